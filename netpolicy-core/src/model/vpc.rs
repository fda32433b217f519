use super::Meta;
use ipnet::Ipv4Net;
use serde::Serialize;

/// A VPC: an address space with its own routing.
#[derive(Clone, Debug, Serialize)]
pub struct Vpc {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// Primary and secondary IPv4 CIDR blocks.
    pub cidr_blocks: Vec<Ipv4Net>,
    /// The main route table, when the input names one; otherwise the VPC has an
    /// implicit main table holding only its local routes.
    pub main_route_table: Option<String>,
    /// The default NACL, when the input names one; otherwise an implicit one that
    /// allows everything.
    pub default_network_acl: Option<String>,
}

/// A subnet of a VPC.
#[derive(Clone, Debug, Serialize)]
pub struct Subnet {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The VPC.
    pub vpc: String,
    /// The IPv4 CIDR.
    pub cidr: Ipv4Net,
    /// Availability zone, when known.
    pub availability_zone: Option<String>,
    /// Whether instances launched here get a public IPv4 address by default.
    pub map_public_ip_on_launch: bool,
    /// Explicitly associated route table; `None` means the VPC's main table.
    pub route_table: Option<String>,
    /// Explicitly associated NACL; `None` means the VPC's default NACL.
    pub network_acl: Option<String>,
}
