use super::Meta;
use serde::Serialize;
use std::net::Ipv4Addr;

/// An internet gateway.
#[derive(Clone, Debug, Serialize)]
pub struct InternetGateway {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The VPC it is attached to, if any.
    pub vpc: Option<String>,
}

/// A NAT gateway: outbound-only translation to its own address.
#[derive(Clone, Debug, Serialize)]
pub struct NatGateway {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The subnet it lives in.
    pub subnet: String,
    /// Its private address (allocated in the subnet when the input does not say).
    pub private_ip: Option<Ipv4Addr>,
    /// Whether it is a public NAT gateway (with an Elastic IP).
    pub public: bool,
    /// Its Elastic IP (allocated when a public NAT gateway's input does not name it).
    pub public_ip: Option<Ipv4Addr>,
}

/// A virtual private gateway: the VPC side of a site-to-site VPN.
#[derive(Clone, Debug, Serialize)]
pub struct VpnGateway {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The VPC it is attached to, if any.
    pub vpc: Option<String>,
    /// Whether any VPN connection uses it (without one, nothing is behind it yet).
    pub has_vpn_connection: bool,
}

/// A VPC peering connection.
#[derive(Clone, Debug, Serialize)]
pub struct Peering {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The requester VPC.
    pub requester_vpc: String,
    /// The accepter VPC.
    pub accepter_vpc: String,
    /// Whether the connection is active (only active ones carry traffic).
    pub active: bool,
}

impl Peering {
    /// The VPC at the other end from `vpc`, if `vpc` is one of the two ends.
    pub fn peer_of(&self, vpc: &str) -> Option<&str> {
        if self.requester_vpc == vpc {
            Some(&self.accepter_vpc)
        } else if self.accepter_vpc == vpc {
            Some(&self.requester_vpc)
        } else {
            None
        }
    }
}
