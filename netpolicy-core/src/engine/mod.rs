//! The reachability engine: which packets from A reach B, along which paths, and
//! which rule decided each hop.
//!
//! Semantics are those of docs/semantics.md. Each hop has its own module
//! (`security_group`, `nacl`, `route`); `flows` strings hops into the
//! path kinds AWS allows (private, over the internet, from and to on-premises,
//! through a load balancer). Every computation runs on [`PacketSet`]s; tracing one
//! packet runs the very same code on a one-packet set and records each hop.

mod bulk;
mod classes;
mod exposure;
mod flows;
mod matrix;
mod meet;
mod nacl;
mod path;
mod route;
mod rules;
mod security_group;
mod topology;

pub use bulk::{PairReach, Reaching, ReachingPair};
pub use classes::{ClassFlow, ClassId, ClassPair, ClassPath, EniClass};
pub use exposure::{InterfaceExposure, Opening, Sources, cidr_cover, service_parts};
pub use matrix::ServiceMatrix;
pub use path::{Hop, HopKind, RuleRef};
pub use rules::{public_space, traffic_packets};

use crate::model::{Eni, Model, RouteTarget};
use crate::packet::{Dim, IntervalSet, Packet, PacketSet};
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// A place packets start from or arrive at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Endpoint {
    /// A network interface of the model, by id.
    Eni(String),
    /// Public IPv4 space, less the model's own public addresses.
    Internet,
    /// The networks behind the model's virtual private gateways.
    OnPrem,
}

impl Endpoint {
    /// `internet`, `onprem`, or the interface's id: how reports name an
    /// endpoint.
    pub fn name(&self) -> &str {
        match self {
            Endpoint::Eni(id) => id,
            Endpoint::Internet => "internet",
            Endpoint::OnPrem => "onprem",
        }
    }
}

/// [`Endpoint::name`].
impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The other way: `internet` and `onprem` are the two reserved names, anything
/// else is an interface id.
impl std::str::FromStr for Endpoint {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Endpoint, Self::Err> {
        Ok(match text {
            "internet" => Endpoint::Internet,
            "onprem" => Endpoint::OnPrem,
            id => Endpoint::Eni(id.to_string()),
        })
    }
}

/// How a flow travels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PathKind {
    /// Private addresses within a VPC, or across one peering; possibly through
    /// a NAT gateway whose subnet routes onward.
    Private {
        /// The peering crossed, if any.
        peering: Option<String>,
        /// The NAT gateway the packets were translated by, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        nat: Option<String>,
    },
    /// From an interface to another interface's public address, out through an
    /// internet gateway (directly or through a NAT gateway) and back in.
    PublicInternet {
        /// The NAT or internet gateway the flow leaves through.
        egress: Option<String>,
        /// The destination's public address.
        public_ip: Ipv4Addr,
    },
    /// From the internet to a public address.
    FromInternet {
        /// The destination's public address.
        public_ip: Ipv4Addr,
    },
    /// From an interface to the internet.
    ToInternet {
        /// The NAT or internet gateway the flow leaves through.
        egress: Option<String>,
    },
    /// From on-premises through a virtual private gateway.
    FromOnPrem {
        /// The gateway.
        vpn_gateway: Option<String>,
    },
    /// To on-premises through a virtual private gateway.
    ToOnPrem {
        /// The gateway.
        vpn_gateway: Option<String>,
        /// The NAT gateway whose subnet routes to the gateway, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        nat: Option<String>,
    },
    /// Client to listener, then load-balancer node to target: two segments.
    LoadBalancer {
        /// The load balancer.
        load_balancer: String,
        /// The node (ENI) that takes the connection.
        node: String,
        /// The listener port the client connects to.
        listener_port: u16,
        /// The target port the node connects to.
        target_port: u16,
    },
}

/// One path from a source to a destination and the packets that take it.
#[derive(Clone, Debug)]
pub struct Flow {
    /// How the packets travel.
    pub kind: PathKind,
    /// The packets, as the source sends them, that arrive (and whose replies return).
    pub packets: PacketSet,
    /// Hop by hop, when the flow was traced for one packet; empty otherwise.
    pub hops: Vec<Hop>,
}

/// Everything from one source that reaches one destination.
#[derive(Clone, Debug, Default)]
pub struct Reach {
    /// The paths that carry packets.
    pub flows: Vec<Flow>,
}

/// How a path kind reads in reports: "private addresses, over peering pcx-1".
impl std::fmt::Display for PathKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            PathKind::Private { peering, nat } => {
                let mut text = String::from("private addresses");
                if let Some(n) = nat {
                    text.push_str(&format!(", through NAT gateway {n}"));
                }
                if let Some(p) = peering {
                    text.push_str(&format!(", over peering {p}"));
                }
                text
            }
            PathKind::PublicInternet { egress, public_ip } => format!(
                "over the internet to public {public_ip}, leaving through {}",
                egress.as_deref().unwrap_or("(no exit)")
            ),
            PathKind::FromInternet { public_ip } => {
                format!("from the internet to public {public_ip}")
            }
            PathKind::ToInternet { egress } => format!(
                "to the internet through {}",
                egress.as_deref().unwrap_or("(no exit)")
            ),
            PathKind::FromOnPrem { vpn_gateway } => format!(
                "from on-premises through {}",
                vpn_gateway.as_deref().unwrap_or("(no gateway)")
            ),
            PathKind::ToOnPrem { vpn_gateway, nat } => format!(
                "to on-premises through {}{}",
                nat.as_deref()
                    .map(|n| format!("NAT gateway {n}, then "))
                    .unwrap_or_default(),
                vpn_gateway.as_deref().unwrap_or("(no gateway)")
            ),
            PathKind::LoadBalancer {
                load_balancer,
                node,
                listener_port,
                target_port,
            } => {
                format!(
                    "through load balancer {load_balancer} (node {node}), listener {listener_port} -> target {target_port}"
                )
            }
        };
        f.write_str(&text)
    }
}

impl Reach {
    /// Every packet that arrives, over any path.
    pub fn packets(&self) -> PacketSet {
        self.flows
            .iter()
            .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets))
    }

    /// Whether nothing arrives.
    pub fn is_empty(&self) -> bool {
        self.flows.iter().all(|f| f.packets.is_empty())
    }
}

/// A model compiled for queries: rules as packet sets, tables sorted for lookup.
pub struct Engine<'m> {
    /// Borrowed for a query session, owned by [`Engine::owning`] (a service that
    /// keeps one network for its lifetime carries no lifetime).
    model: Cow<'m, Model>,
    groups: security_group::SecurityGroups,
    sg_sets: security_group::GroupSets,
    nacls: nacl::Nacls,
    routes: route::Routes,
    internet: IntervalSet,
    onprem: IntervalSet,
    /// Every address a packet arriving at a public address can come from: the
    /// internet and the network's own public addresses.
    public_sources: IntervalSet,
    classes: classes::Classes,
    /// For each interface, the load balancers (by index) that have it as a
    /// target: checks look a destination's load balancers up, never scan them.
    lb_targets: HashMap<String, Vec<usize>>,
    /// The other way: each load balancer's targets, by load-balancer index.
    lb_members: Vec<Vec<String>>,
    topology: topology::Topology,
}

impl<'m> Engine<'m> {
    /// Compiles `model`.
    pub fn new(model: &'m Model) -> Self {
        Engine::compile(Cow::Borrowed(model))
    }

    /// Compiles `model` into an engine that owns it: no lifetime to carry, for
    /// a service that keeps one network loaded.
    pub fn owning(model: Model) -> Engine<'static> {
        Engine::compile(Cow::Owned(model))
    }

    /// Takes over what `other`, an engine of another version of the same
    /// network, has compiled of the security groups that mean the same in
    /// both, so that a change review compiles them once.
    pub(crate) fn adopt_compiled(&self, other: &Engine<'_>) {
        let same = self.groups.adopt(&self.model, &other.groups, &other.model);
        self.sg_sets.adopt(&other.sg_sets, &same);
    }

    fn compile(model: Cow<'m, Model>) -> Self {
        let m: &Model = &model;
        let own_public = IntervalSet::from_ranges(
            m.enis()
                .iter()
                .filter_map(|e| e.public_ip)
                .chain(m.nat_gateways().iter().filter_map(|n| n.public_ip))
                .map(|ip| (u32::from(ip), u32::from(ip))),
        );
        let groups = security_group::SecurityGroups::compile(m);
        let sg_sets = security_group::GroupSets::compile(m);
        let nacls = nacl::compile(m);
        let routes = route::compile(m);
        let onprem = onprem_space(m);
        let classes = classes::Classes::of(m);
        let lb_targets = lb_targets(m);
        let lb_members = lb_members(m, &lb_targets);
        let topology = topology::Topology::of(m, &lb_targets);
        Engine {
            model,
            groups,
            sg_sets,
            nacls,
            routes,
            internet: public_space().difference(&own_public),
            public_sources: public_space().union(&own_public),
            onprem,
            classes,
            lb_targets,
            lb_members,
            topology,
        }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The addresses `internet` stands for.
    pub fn internet_addresses(&self) -> &IntervalSet {
        &self.internet
    }

    /// The addresses `onprem` stands for: every prefix routed to a virtual private
    /// gateway.
    pub fn onprem_addresses(&self) -> &IntervalSet {
        &self.onprem
    }

    /// The addresses of an endpoint: an interface's private addresses (and its
    /// public one when `include_public`), or the address space of `internet` or
    /// `onprem`.
    pub fn endpoint_addresses(&self, endpoint: &Endpoint, include_public: bool) -> IntervalSet {
        match endpoint {
            Endpoint::Eni(id) => IntervalSet::from_ranges(
                self.eni(id)
                    .into_iter()
                    .flat_map(|e| {
                        e.private_ips
                            .iter()
                            .copied()
                            .chain(e.public_ip.filter(|_| include_public))
                    })
                    .map(|ip| (u32::from(ip), u32::from(ip))),
            ),
            Endpoint::Internet => self.internet.clone(),
            Endpoint::OnPrem => self.onprem.clone(),
        }
    }

    /// Whether some route table sends packets to a target netpolicy does not
    /// follow yet (see [`Engine::unfollowed_routes`]).
    pub fn has_unfollowed_routes(&self) -> bool {
        self.routes.has_unfollowed()
    }

    /// The route targets netpolicy does not follow yet (transit gateways,
    /// middlebox interfaces) that some packet between `a` and `b` meets,
    /// either way: at the first route lookup in an interface's subnet, or in
    /// the subnet of a NAT gateway it routes to. `None` for `b` means
    /// anywhere. What reaches, or does not, between them is computed as if
    /// such packets were dropped; a verdict on them is incomplete.
    pub fn unfollowed_routes(&self, a: &[Endpoint], b: Option<&[Endpoint]>) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        if !self.has_unfollowed_routes() {
            return found;
        }
        let anywhere = IntervalSet::range(0, u32::MAX);
        // One sort of every address, not a union per endpoint: a selector
        // may hold a hundred thousand interfaces.
        let addresses = |side: &[Endpoint]| {
            IntervalSet::from_ranges(side.iter().flat_map(|e| {
                let set = self.endpoint_addresses(e, true);
                set.ranges().to_vec()
            }))
        };
        let (a_addrs, b_addrs) = (addresses(a), b.map_or(anywhere.clone(), addresses));
        self.unfollowed_from(a, &b_addrs, &mut found);
        // Replies to anywhere leave by the same tables: already seen.
        if let Some(b) = b {
            self.unfollowed_from(b, &a_addrs, &mut found);
        }
        found
    }

    /// [`Engine::unfollowed_routes`] of the packets `side`'s interfaces send
    /// toward `toward`.
    fn unfollowed_from(
        &self,
        side: &[Endpoint],
        toward: &IntervalSet,
        found: &mut BTreeSet<String>,
    ) {
        let onward = |target: &RouteTarget| match target {
            RouteTarget::NatGateway(nat) => {
                (self.model.nat_gateway(nat)).and_then(|n| self.routes.for_subnet(&n.subnet))
            }
            _ => None,
        };
        // Each table once (a side may hold thousands of interfaces in a
        // few subnets), and only those that may send packets to an
        // unfollowed target, themselves or through a NAT gateway.
        let mut tables: HashMap<usize, &route::CompiledTable> = HashMap::new();
        for e in side {
            if let Endpoint::Eni(id) = e
                && let Some(table) =
                    (self.eni(id)).and_then(|eni| self.routes.for_subnet(&eni.subnet))
            {
                tables.insert(std::ptr::from_ref(table).addr(), table);
            }
        }
        let may_meet = |table: &route::CompiledTable| {
            table.has_unfollowed()
                || (table.targets()).any(|t| onward(t).is_some_and(|o| o.has_unfollowed()))
        };
        for table in tables.into_values().filter(|t| may_meet(t)) {
            for (target, won) in table.winners(toward) {
                let beyond = onward(target).map(|t| t.winners(&won)).unwrap_or_default();
                let targets = std::iter::once(target).chain(beyond.into_iter().map(|(t, _)| t));
                found.extend(
                    targets
                        .filter_map(RouteTarget::unfollowed)
                        .map(String::from),
                );
            }
        }
    }

    /// The packets of `query` from `src` that reach `dst`, by path. `query`
    /// constrains protocol and ports (and may constrain addresses); the endpoints
    /// fix the addresses.
    pub fn reach(&self, src: &Endpoint, dst: &Endpoint, query: &PacketSet) -> Reach {
        if !self.could_connect(src, dst) {
            return Reach::default();
        }
        let flows = self
            .candidates(src, dst, query, false)
            .into_iter()
            .filter(|f| !f.packets.is_empty())
            .collect();
        Reach { flows }
    }

    /// Every path `packet` could take from `src` to `dst`, each traced hop by hop up
    /// to where it stops; a flow with an empty packet set did not arrive.
    pub fn explain(&self, src: &Endpoint, dst: &Endpoint, packet: &Packet) -> Vec<Flow> {
        self.candidates(src, dst, &PacketSet::single(packet), true)
            .into_iter()
            .filter(|f| !f.hops.is_empty())
            .collect()
    }

    /// Everything the internet can open to `eni`, directly or through a load
    /// balancer, from clients' ephemeral source ports
    /// ([`PacketSet::client_traffic`]).
    pub fn internet_exposure(&self, eni: &str) -> Reach {
        self.reach(
            &Endpoint::Internet,
            &Endpoint::Eni(eni.to_string()),
            &PacketSet::client_traffic(),
        )
    }

    /// What the public address of `eni` lets in from the internet and from
    /// the network's own public addresses (all a public address can receive),
    /// as the public paths of [`Engine::class_flows`] meet it; `None` without
    /// a public address reachable from the internet.
    pub fn public_opening(&self, eni: &str) -> Option<(Ipv4Addr, PacketSet)> {
        let side = self.side(vec![self.model.eni(eni)?])?;
        let (_, ip, open) = self
            .internet_openings(&side, &PacketSet::all())
            .into_iter()
            .next()?;
        Some((ip, open.restrict(Dim::SrcAddr, &self.public_sources)))
    }

    /// What the internet opens to `eni` only from source ports a client must
    /// choose on purpose (below 1024, e.g. `nmap -g 80`): packets from such
    /// ports whose source, protocol and destination port no ephemeral port
    /// opens. Reported apart from [`Engine::internet_exposure`], never mixed
    /// with it.
    pub fn chosen_port_exposure(&self, eni: &str) -> Reach {
        self.chosen_beyond(eni, || self.internet_exposure(eni))
    }

    /// [`Engine::chosen_port_exposure`], given the ordinary exposure lazily:
    /// a caller that has it already does not compute it again.
    pub(crate) fn chosen_beyond(&self, eni: &str, ordinary: impl FnOnce() -> Reach) -> Reach {
        let dst = Endpoint::Eni(eni.to_string());
        let chosen = PacketSet::all().difference(&PacketSet::client_traffic());
        let mut reach = self.reach(&Endpoint::Internet, &dst, &chosen);
        if reach.is_empty() {
            return reach;
        }
        // A service that ephemeral ports open already is ordinary exposure,
        // whatever other source ports do.
        let ordinary = ordinary().packets().with_any_source_port();
        for f in &mut reach.flows {
            f.packets = f.packets.difference(&ordinary);
        }
        reach.flows.retain(|f| !f.packets.is_empty());
        reach
    }

    fn eni(&self, id: &str) -> Option<&Eni> {
        self.model.eni(id)
    }
}

/// Interface id -> indices of the load balancers with a target group that
/// registers it (by instance, through its primary interface, or by address).
fn lb_targets(model: &Model) -> HashMap<String, Vec<usize>> {
    let mut by_address: HashMap<Ipv4Addr, Vec<&str>> = HashMap::new();
    for eni in model.enis() {
        for ip in &eni.private_ips {
            by_address.entry(*ip).or_default().push(&eni.meta.id);
        }
    }
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, lb) in model.load_balancers().iter().enumerate() {
        let groups = lb.listeners.iter().flat_map(|l| &l.target_groups);
        for tg in groups.filter_map(|g| model.target_group(g)) {
            for t in &tg.targets {
                let enis: Vec<&str> = match &t.target {
                    crate::model::TargetRef::Instance(id) => model
                        .instance(id)
                        .and_then(|inst| inst.enis.first())
                        .map(|e| vec![e.as_str()])
                        .unwrap_or_default(),
                    crate::model::TargetRef::Ip(ip) => {
                        by_address.get(ip).cloned().unwrap_or_default()
                    }
                };
                for e in enis {
                    let list = out.entry(e.to_string()).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
    }
    out
}

fn lb_members(model: &Model, lb_targets: &HashMap<String, Vec<usize>>) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); model.load_balancers().len()];
    for (eni, lbs) in lb_targets {
        for &lb in lbs {
            if let Some(list) = out.get_mut(lb) {
                list.push(eni.clone());
            }
        }
    }
    for list in &mut out {
        list.sort();
    }
    out
}

/// Every prefix some route sends to a virtual private gateway.
fn onprem_space(model: &Model) -> IntervalSet {
    let mut ranges = Vec::new();
    for table in model.route_tables() {
        for route in &table.routes {
            if let (RouteTarget::VpnGateway(_), crate::model::RouteDestination::Cidr(net)) =
                (&route.target, &route.destination)
            {
                ranges.push((u32::from(net.network()), u32::from(net.broadcast())));
            }
        }
    }
    IntervalSet::from_ranges(ranges)
}

#[cfg(test)]
mod tests;
