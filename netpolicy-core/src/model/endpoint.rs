use super::Meta;
use ipnet::Ipv4Net;
use serde::Serialize;

/// A VPC endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct VpcEndpoint {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// The VPC.
    pub vpc: String,
    /// The AWS service, e.g. `com.amazonaws.us-east-1.s3`.
    pub service_name: String,
    /// Interface (ENIs in subnets) or gateway (a route target).
    pub kind: EndpointKind,
    /// Subnets of an interface endpoint.
    pub subnets: Vec<String>,
    /// Security groups of an interface endpoint.
    pub security_groups: Vec<String>,
    /// Route tables of a gateway endpoint.
    pub route_tables: Vec<String>,
    /// ENIs of an interface endpoint (created by the model builder when absent).
    pub enis: Vec<String>,
}

/// The VPC endpoint type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointKind {
    /// ENIs in subnets.
    Interface,
    /// A route-table target.
    Gateway,
}

/// A managed prefix list.
#[derive(Clone, Debug, Serialize)]
pub struct PrefixList {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// Its prefixes.
    pub cidrs: Vec<Ipv4Net>,
}
