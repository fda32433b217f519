use super::Meta;
use crate::span::Span;
use ipnet::Ipv4Net;
use serde::Serialize;

/// A route table. Its `local` routes (one per CIDR of its VPC) are implicit.
#[derive(Clone, Debug, Serialize)]
pub struct RouteTable {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The VPC.
    pub vpc: String,
    /// Declared routes, in input order.
    pub routes: Vec<Route>,
}

/// One route: a destination and where matching packets go.
#[derive(Clone, Debug, Serialize)]
pub struct Route {
    /// The destination prefix or prefix list.
    pub destination: RouteDestination,
    /// The target.
    pub target: RouteTarget,
    /// Where the route is declared.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// A route's destination.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteDestination {
    /// An IPv4 prefix.
    Cidr(Ipv4Net),
    /// A managed prefix list, by id.
    PrefixList(String),
}

/// Where a route sends packets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum RouteTarget {
    /// Within the VPC.
    Local,
    /// An internet gateway.
    InternetGateway(String),
    /// A NAT gateway.
    NatGateway(String),
    /// A VPC peering connection.
    Peering(String),
    /// A virtual private gateway (to on-premises).
    VpnGateway(String),
    /// A transit gateway (not modelled yet: packets stop there, with a warning).
    TransitGateway(String),
    /// A network interface or instance acting as a middlebox (not followed).
    NetworkInterface(String),
    /// A gateway VPC endpoint (S3, DynamoDB).
    GatewayEndpoint(String),
    /// Packets are dropped.
    Blackhole,
}

impl RouteTarget {
    /// The id of the object the route points at, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            RouteTarget::Local | RouteTarget::Blackhole => None,
            RouteTarget::InternetGateway(id)
            | RouteTarget::NatGateway(id)
            | RouteTarget::Peering(id)
            | RouteTarget::VpnGateway(id)
            | RouteTarget::TransitGateway(id)
            | RouteTarget::NetworkInterface(id)
            | RouteTarget::GatewayEndpoint(id) => Some(id),
        }
    }

    /// The id of a target netpolicy does not follow yet (a transit gateway,
    /// a middlebox interface): packets routed to it count as dropped.
    pub fn unfollowed(&self) -> Option<&str> {
        match self {
            RouteTarget::TransitGateway(id) | RouteTarget::NetworkInterface(id) => Some(id),
            _ => None,
        }
    }

    /// A short description such as `igw main-igw` or `local`.
    pub fn describe(&self) -> String {
        match self {
            RouteTarget::Local => "local".into(),
            RouteTarget::Blackhole => "blackhole".into(),
            RouteTarget::InternetGateway(id) => format!("internet gateway {id}"),
            RouteTarget::NatGateway(id) => format!("NAT gateway {id}"),
            RouteTarget::Peering(id) => format!("peering {id}"),
            RouteTarget::VpnGateway(id) => format!("virtual private gateway {id}"),
            RouteTarget::TransitGateway(id) => format!("transit gateway {id}"),
            RouteTarget::NetworkInterface(id) => format!("network interface {id}"),
            RouteTarget::GatewayEndpoint(id) => format!("gateway endpoint {id}"),
        }
    }
}
