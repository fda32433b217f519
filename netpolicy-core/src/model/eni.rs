use super::Meta;
use serde::Serialize;
use std::net::Ipv4Addr;

/// An elastic network interface: where packets start and end.
#[derive(Clone, Debug, Serialize)]
pub struct Eni {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The subnet.
    pub subnet: String,
    /// Private IPv4 addresses (the first is the primary). Empty means "allocate one".
    pub private_ips: Vec<Ipv4Addr>,
    /// Public IPv4 address or Elastic IP.
    pub public_ip: Option<Ipv4Addr>,
    /// Whether AWS gives the interface a public address that the input does not
    /// name (one is then allocated, see [`Eni::addresses_allocated`]).
    pub auto_public_ip: bool,
    /// Security groups (at most 5 in AWS).
    pub security_groups: Vec<String>,
    /// Whether security groups filter this interface's traffic (not for NAT
    /// gateways, nor for network load balancers without security groups).
    pub sg_enforced: bool,
    /// What the interface belongs to.
    pub owner: EniOwner,
    /// Whether the addresses were chosen by netpolicy because the input leaves them to
    /// AWS (a template before deployment).
    pub addresses_allocated: bool,
}

/// What an ENI belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum EniOwner {
    /// A standalone interface.
    None,
    /// An EC2 instance.
    Instance(String),
    /// A load balancer node.
    LoadBalancer(String),
    /// A NAT gateway.
    NatGateway(String),
    /// An interface VPC endpoint.
    VpcEndpoint(String),
}

/// An EC2 instance; its interfaces are ENIs owned by it.
#[derive(Clone, Debug, Serialize)]
pub struct Instance {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// Its network interfaces, device index 0 first.
    pub enis: Vec<String>,
}
