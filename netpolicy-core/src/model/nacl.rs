use super::{Meta, TrafficMatch};
use crate::span::Span;
use ipnet::Ipv4Net;
use serde::Serialize;

/// A network ACL: ordered, stateless, per subnet.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkAcl {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The VPC.
    pub vpc: String,
    /// Entries in input order; evaluation sorts them by rule number.
    pub entries: Vec<NaclEntry>,
}

/// One NACL entry.
#[derive(Clone, Debug, Serialize)]
pub struct NaclEntry {
    /// Rule number, 1-32766; lower numbers are evaluated first.
    pub rule_number: u16,
    /// Outbound (`true`) or inbound entry.
    pub egress: bool,
    /// Allow or deny.
    pub action: NaclAction,
    /// Protocol and ports.
    pub traffic: TrafficMatch,
    /// The remote prefix (destination for egress, source for ingress).
    pub cidr: Ipv4Net,
    /// Where the entry is declared.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// What a NACL entry does with matching packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NaclAction {
    /// Let the packet through.
    Allow,
    /// Drop the packet.
    Deny,
}
