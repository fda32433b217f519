use super::{Meta, Protocol};
use crate::span::Span;
use serde::Serialize;
use std::net::Ipv4Addr;

/// An application or network load balancer.
#[derive(Clone, Debug, Serialize)]
pub struct LoadBalancer {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// Application or network.
    pub kind: LoadBalancerKind,
    /// Whether the nodes have public addresses.
    pub internet_facing: bool,
    /// The subnets holding its nodes.
    pub subnets: Vec<String>,
    /// Its security groups (ALB; NLB when set).
    pub security_groups: Vec<String>,
    /// Listeners.
    pub listeners: Vec<Listener>,
    /// Its node ENIs, one per subnet (created by the model builder when absent).
    pub nodes: Vec<String>,
}

/// The load-balancer type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadBalancerKind {
    /// Application load balancer (HTTP/HTTPS).
    Application,
    /// Network load balancer (TCP/UDP/TLS).
    Network,
}

/// A listener: a port the load balancer accepts, forwarding to a target group.
#[derive(Clone, Debug, Serialize)]
pub struct Listener {
    /// Transport protocol the client uses (TCP for HTTP/HTTPS/TLS).
    pub protocol: Protocol,
    /// Listening port.
    pub port: u16,
    /// Target groups it forwards to (default action and listener rules).
    pub target_groups: Vec<String>,
    /// Where it is declared.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// A target group: where a listener forwards.
#[derive(Clone, Debug, Serialize)]
pub struct TargetGroup {
    /// Id, name, tags, span.
    pub meta: Meta,
    /// Transport protocol to the targets.
    pub protocol: Protocol,
    /// Default target port.
    pub port: u16,
    /// Registered targets.
    pub targets: Vec<Target>,
    /// Whether a network load balancer forwarding here keeps the client's
    /// address, so that the targets' security groups and NACLs judge the
    /// client rather than the load balancer's node (docs/semantics.md).
    /// Application load balancers never do.
    pub preserve_client_ip: bool,
}

/// One registered target.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// The instance or address.
    pub target: TargetRef,
    /// Port override.
    pub port: Option<u16>,
}

/// What a target is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetRef {
    /// An instance (its primary ENI's primary address).
    Instance(String),
    /// An address.
    Ip(Ipv4Addr),
}
