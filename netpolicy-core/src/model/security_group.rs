use super::{Meta, TrafficMatch};
use crate::span::Span;
use ipnet::Ipv4Net;
use serde::Serialize;

/// A security group: stateful allow rules, one list per direction.
#[derive(Clone, Debug, Serialize)]
pub struct SecurityGroup {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The VPC.
    pub vpc: String,
    /// Inbound rules (the peer is the source).
    pub ingress: Vec<SecurityGroupRule>,
    /// Outbound rules (the peer is the destination). The implicit allow-all rule,
    /// when it applies, is listed here with `implicit: true`.
    pub egress: Vec<SecurityGroupRule>,
}

/// One security-group rule.
#[derive(Clone, Debug, Serialize)]
pub struct SecurityGroupRule {
    /// Protocol and ports.
    pub traffic: TrafficMatch,
    /// The other side of the connection.
    pub peer: RulePeer,
    /// The rule's description, if any.
    pub description: Option<String>,
    /// Whether AWS adds the rule by itself (the default allow-all egress).
    pub implicit: bool,
    /// Where the rule is declared.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// The peer of a security-group rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RulePeer {
    /// An IPv4 prefix.
    Cidr(Ipv4Net),
    /// The private addresses of the members of a security group.
    SecurityGroup(String),
    /// The prefixes of a managed prefix list.
    PrefixList(String),
}
