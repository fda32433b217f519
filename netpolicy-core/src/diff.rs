//! What a change to a network opens and closes: two models, before and after,
//! compared flow by flow.
//!
//! Interfaces are matched across the two models by a stable identity (a
//! CloudFormation logical id, alias or id, else the Name tag; interfaces of an
//! instance, load balancer or endpoint by their owner's identity and place).
//! Only pairs where something could differ are computed: every interface gets a
//! *footprint* of everything its flows depend on (its own addresses and groups,
//! its groups' rules, its subnet's route table and NACL, and what is shared by
//! the whole network: VPCs, gateways, peerings, NAT gateways' subnets, load
//! balancers, prefix lists). A pair of interfaces whose footprints are the same
//! in both models exchanges the same packets in both, so the comparison runs
//! over pairs with a changed end only, through [`Engine::reach_between`], by
//! class, exactly as `check` computes them.

use crate::engine::{Endpoint, Engine, Flow, Hop, HopKind, PairReach, PathKind};
use crate::model::{Eni, EniOwner, Meta, Model};
use crate::packet::{Dim, Packet, PacketSet};
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

/// How a changed flow travels, as a reviewer tells paths apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PathClass {
    /// Private addresses, within a VPC or across a peering.
    Private,
    /// Over the internet: to or from it, or to another interface's public address.
    Internet,
    /// From a load-balancer node to a target.
    LoadBalancer,
    /// To or from on-premises networks through a virtual private gateway.
    OnPremises,
}

impl PathClass {
    /// The class of a path the engine found.
    pub fn of(kind: &PathKind) -> PathClass {
        match kind {
            PathKind::Private { .. } => PathClass::Private,
            PathKind::PublicInternet { .. }
            | PathKind::FromInternet { .. }
            | PathKind::ToInternet { .. } => PathClass::Internet,
            PathKind::LoadBalancer { .. } => PathClass::LoadBalancer,
            PathKind::FromOnPrem { .. } | PathKind::ToOnPrem { .. } => PathClass::OnPremises,
        }
    }
}

impl fmt::Display for PathClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathClass::Private => "private",
            PathClass::Internet => "internet",
            PathClass::LoadBalancer => "load-balancer",
            PathClass::OnPremises => "on-premises",
        })
    }
}

/// The rule that decides a changed flow on one side of the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Whether the rule lets the packet through.
    pub allowed: bool,
    /// The hop (`sg ingress`, `nacl egress`, `route`, ...).
    pub hop: String,
    /// The security group, NACL or route table.
    pub object: String,
    /// The rule itself.
    pub rule: String,
    /// Where the rule is written (`file:line:column`), when the input says.
    pub location: Option<String>,
}

/// One flow that a change opened or closed.
#[derive(Clone, Debug, Serialize)]
pub struct FlowChange {
    /// The source endpoint (an interface id, `internet` or `onprem`).
    pub source: String,
    /// The destination endpoint.
    pub destination: String,
    /// The services concerned, spelled as in reports (`tcp/3306`, `icmp`, ...).
    pub services: Vec<String>,
    /// How the packets travel.
    pub path: PathClass,
    /// A concrete packet of the change, as the side where it flows sends it.
    pub packet: Option<String>,
    /// The rule that decides the packet before the change (`None`: the
    /// endpoint did not exist).
    pub before: Option<Decision>,
    /// The rule that decides it after the change.
    pub after: Option<Decision>,
    /// The packets that changed (addresses left open where the two models
    /// give an endpoint different ones).
    #[serde(skip)]
    pub packets: PacketSet,
}

/// An interface present on one side only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndpointChange {
    /// The interface id.
    pub endpoint: String,
    /// What it belongs to (`instance Web`, `load balancer Alb`, ...).
    pub owner: String,
}

/// Everything a change opened and closed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkDiff {
    /// Flows that exist after the change and not before.
    pub opened: Vec<FlowChange>,
    /// Flows that existed before the change and not after.
    pub closed: Vec<FlowChange>,
    /// Interfaces only the second model has.
    pub added: Vec<EndpointChange>,
    /// Interfaces only the first model has.
    pub removed: Vec<EndpointChange>,
    /// Interfaces matched across the two models.
    pub matched: usize,
    /// Matched interfaces whose footprint changed (the pairs computed).
    pub touched: usize,
    /// What makes the comparison less useful than it looks.
    pub warnings: Vec<String>,
}

impl NetworkDiff {
    /// Whether the change opened or closed nothing and moved no interface.
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty()
            && self.closed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
    }
}

/// One endpoint of the comparison: an interface on either side or both, or
/// the internet or on-premises.
struct Identity {
    before: Option<usize>,
    after: Option<usize>,
}

/// How [`diff_with`] works.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct DiffOptions {
    /// Compute every pair of endpoints, not only those with a changed
    /// footprint: slower, the same answer (what tests check the footprints by).
    pub every_pair: bool,
}

impl DiffOptions {
    /// Options that compute every pair (see [`DiffOptions::every_pair`]).
    pub fn every_pair() -> DiffOptions {
        DiffOptions { every_pair: true }
    }
}

/// Compares what `before` and `after` let through, over every pair of
/// endpoints and every service.
pub fn diff(before: &Engine<'_>, after: &Engine<'_>) -> NetworkDiff {
    diff_with(before, after, DiffOptions::default())
}

/// [`diff`] with options.
pub fn diff_with(before: &Engine<'_>, after: &Engine<'_>, options: DiffOptions) -> NetworkDiff {
    let (b, a) = (before.model(), after.model());
    let mut ids = match_interfaces(b, a);
    let out_b = footprints(b);
    let out_a = footprints(a);
    let matched = ids
        .iter()
        .filter(|i| i.before.is_some() && i.after.is_some())
        .count();
    let touched: Vec<bool> = ids
        .iter()
        .map(|i| match (i.before, i.after) {
            (Some(x), Some(y)) => options.every_pair || out_b.get(x) != out_a.get(y),
            _ => true,
        })
        .collect();
    let mut out = NetworkDiff {
        matched,
        touched: ids
            .iter()
            .zip(&touched)
            .filter(|(i, t)| **t && i.before.is_some() && i.after.is_some())
            .count(),
        ..NetworkDiff::default()
    };
    for i in &ids {
        match (i.before, i.after) {
            (Some(x), None) => out.removed.push(endpoint_change(b, x)),
            (None, Some(y)) => out.added.push(endpoint_change(a, y)),
            _ => {}
        }
    }
    if matched == 0 && !b.enis().is_empty() && !a.enis().is_empty() {
        out.warnings.push(format!(
            "the two networks share no interface identity ({} interfaces before, {} after): \
             every interface shows as removed and added; are they the same network?",
            b.enis().len(),
            a.enis().len()
        ));
    }
    // The internet and on-premises end the list of identities.
    let internet = ids.len();
    ids.push(Identity {
        before: None,
        after: None,
    });
    let onprem = ids.len();
    ids.push(Identity {
        before: None,
        after: None,
    });
    let sides = Sides {
        ids: &ids,
        internet,
        onprem,
    };
    let flows_b = sides.flows(before, &touched, |i| i.before);
    let flows_a = sides.flows(after, &touched, |i| i.after);
    let keys: std::collections::BTreeSet<&(usize, usize, PathClass)> =
        flows_b.keys().chain(flows_a.keys()).collect();
    for key in keys {
        let (src, dst, path) = *key;
        let old = flows_b.get(key);
        let new = flows_a.get(key);
        let (open_src, open_dst) = (!sides.comparable(b, a, src), !sides.comparable(b, a, dst));
        let norm = |set: Option<&PacketSet>| {
            let mut set = set.cloned().unwrap_or_else(PacketSet::empty);
            if open_src {
                set = set.forget(Dim::SrcAddr);
            }
            if open_dst {
                set = set.forget(Dim::DstAddr);
            }
            set
        };
        let (nb, na) = (norm(old), norm(new));
        let opened = na.difference(&nb);
        if !opened.is_empty() {
            let raw = new.map(|s| s.intersect(&opened)).unwrap_or_default();
            out.opened
                .push(sides.change((before, after), (src, dst, path), opened, &raw, true));
        }
        let closed = nb.difference(&na);
        if !closed.is_empty() {
            let raw = old.map(|s| s.intersect(&closed)).unwrap_or_default();
            out.closed
                .push(sides.change((before, after), (src, dst, path), closed, &raw, false));
        }
    }
    out
}

fn endpoint_change(model: &Model, i: usize) -> EndpointChange {
    let eni = &model.enis()[i];
    EndpointChange {
        endpoint: eni.meta.id.clone(),
        owner: owner_label(&eni.owner),
    }
}

fn owner_label(owner: &EniOwner) -> String {
    match owner {
        EniOwner::None => "interface".into(),
        EniOwner::Instance(i) => format!("instance {i}"),
        EniOwner::LoadBalancer(l) => format!("load balancer {l}"),
        EniOwner::NatGateway(n) => format!("NAT gateway {n}"),
        EniOwner::VpcEndpoint(e) => format!("VPC endpoint {e}"),
    }
}

/// Flows of one model keyed by (source identity, destination identity, path).
type Flows = BTreeMap<(usize, usize, PathClass), PacketSet>;

struct Sides<'a> {
    ids: &'a [Identity],
    internet: usize,
    onprem: usize,
}

impl Sides<'_> {
    /// Every flow of `engine` with a touched end, by identity.
    fn flows(
        &self,
        engine: &Engine<'_>,
        touched: &[bool],
        side: impl Fn(&Identity) -> Option<usize>,
    ) -> Flows {
        let model = engine.model();
        let endpoint = |k: usize| -> Option<Endpoint> {
            if k == self.internet {
                return Some(Endpoint::Internet);
            }
            if k == self.onprem {
                return Some(Endpoint::OnPrem);
            }
            let x = side(self.ids.get(k)?)?;
            Some(Endpoint::Eni(model.enis().get(x)?.meta.id.clone()))
        };
        let changed: Vec<usize> = (0..self.ids.len())
            .filter(|&k| touched.get(k).copied().unwrap_or(false))
            .filter(|&k| endpoint(k).is_some())
            .collect();
        let steady: Vec<usize> = (0..self.ids.len())
            .filter(|&k| !touched.get(k).copied().unwrap_or(false))
            .filter(|&k| endpoint(k).is_some())
            .collect();
        let everyone: Vec<usize> = changed.iter().chain(&steady).copied().collect();
        let as_endpoints =
            |ks: &[usize]| -> Vec<Endpoint> { ks.iter().filter_map(|&k| endpoint(k)).collect() };
        let mut out = Flows::new();
        let mut add = |srcs: &[usize], dsts: &[usize], found: Vec<PairReach>| {
            for pair in found {
                let (Some(&s), Some(&d)) = (srcs.get(pair.src), dsts.get(pair.dst)) else {
                    continue;
                };
                for flow in pair.reach.flows {
                    let slot = out
                        .entry((s, d, PathClass::of(&flow.kind)))
                        .or_insert_with(PacketSet::empty);
                    *slot = slot.union(&flow.packets);
                }
            }
        };
        // What a policy without a service asks: every client packet.
        let query = PacketSet::client_traffic();
        let changed_endpoints = as_endpoints(&changed);
        let found = engine.reach_between(&changed_endpoints, &as_endpoints(&everyone), &query);
        add(&changed, &everyone, found);
        let found = engine.reach_between(&as_endpoints(&steady), &changed_endpoints, &query);
        add(&steady, &changed, found);
        out
    }

    /// Whether the packets of endpoint `k` can be compared address for address
    /// (an interface with the same addresses on both sides).
    fn comparable(&self, b: &Model, a: &Model, k: usize) -> bool {
        let Some(i) = self.ids.get(k) else {
            return false;
        };
        match (i.before, i.after) {
            (Some(x), Some(y)) => match (b.enis().get(x), a.enis().get(y)) {
                (Some(p), Some(q)) => addresses(p) == addresses(q),
                _ => false,
            },
            // One side only: nothing to compare against, keep its addresses.
            (Some(_), None) | (None, Some(_)) => true,
            (None, None) => false,
        }
    }

    fn name(&self, before: &Model, after: &Model, k: usize) -> String {
        if k == self.internet {
            return "internet".into();
        }
        if k == self.onprem {
            return "onprem".into();
        }
        let Some(i) = self.ids.get(k) else {
            return String::new();
        };
        let id = |m: &Model, x: Option<usize>| {
            x.and_then(|x| m.enis().get(x)).map(|e| e.meta.id.clone())
        };
        match (id(before, i.before), id(after, i.after)) {
            (Some(p), Some(q)) if p != q => format!("{q} (was {p})"),
            (_, Some(q)) => q,
            (Some(p), None) => p,
            (None, None) => String::new(),
        }
    }

    fn endpoint(&self, model: &Model, k: usize, after: bool) -> Option<Endpoint> {
        if k == self.internet {
            return Some(Endpoint::Internet);
        }
        if k == self.onprem {
            return Some(Endpoint::OnPrem);
        }
        let i = self.ids.get(k)?;
        let x = if after { i.after } else { i.before }?;
        Some(Endpoint::Eni(model.enis().get(x)?.meta.id.clone()))
    }

    /// One opened (`opened`) or closed flow, with the rule deciding a concrete
    /// packet of it on each side.
    fn change(
        &self,
        (before, after): (&Engine<'_>, &Engine<'_>),
        (src, dst, path): (usize, usize, PathClass),
        packets: PacketSet,
        raw: &PacketSet,
        opened: bool,
    ) -> FlowChange {
        let (b, a) = (before.model(), after.model());
        let (flowing, other) = if opened {
            (after, before)
        } else {
            (before, after)
        };
        let witness = raw.witness();
        let decide = |engine: &Engine<'_>, is_after: bool, packet: Option<Packet>| {
            let model = engine.model();
            let s = self.endpoint(model, src, is_after)?;
            let d = self.endpoint(model, dst, is_after)?;
            let packet = packet?;
            let trace = engine.explain(&s, &d, &packet);
            Some(decision(model, &trace, path))
        };
        let here = decide(flowing, opened, witness);
        let moved = witness
            .and_then(|w| self.translate(flowing.model(), other.model(), src, dst, w, opened));
        let there = decide(other, !opened, moved).flatten();
        let (old, new) = if opened {
            (there, here.flatten())
        } else {
            (here.flatten(), there)
        };
        FlowChange {
            source: self.name(b, a, src),
            destination: self.name(b, a, dst),
            services: services(&packets),
            path,
            packet: witness.map(|w| w.to_string()),
            before: old,
            after: new,
            packets,
        }
    }

    /// The packet `w` of model `from` as the other model addresses the same
    /// endpoints (the same packet when their addresses agree).
    fn translate(
        &self,
        from: &Model,
        to: &Model,
        src: usize,
        dst: usize,
        w: Packet,
        from_after: bool,
    ) -> Option<Packet> {
        let map = |k: usize, addr: std::net::Ipv4Addr| -> Option<std::net::Ipv4Addr> {
            let i = self.ids.get(k)?;
            let (x, y) = if from_after {
                (i.after, i.before)
            } else {
                (i.before, i.after)
            };
            let (Some(x), Some(y)) = (x, y) else {
                // The internet and on-premises keep their addresses.
                return (k == self.internet || k == self.onprem).then_some(addr);
            };
            let (p, q) = (from.enis().get(x)?, to.enis().get(y)?);
            if p.public_ip == Some(addr) {
                return q.public_ip;
            }
            q.private_ips.first().copied()
        };
        Some(Packet {
            src: map(src, w.src)?,
            dst: map(dst, w.dst)?,
            ..w
        })
    }
}

/// The hop that decides `trace` on a path of class `path`: the first hop that
/// drops the packet, else the destination's security-group ingress (the rule
/// that admits it), else the last hop.
fn decision(model: &Model, trace: &[Flow], path: PathClass) -> Option<Decision> {
    let flows: Vec<&Flow> = trace
        .iter()
        .filter(|f| PathClass::of(&f.kind) == path)
        .collect();
    let flows = if flows.is_empty() {
        trace.iter().collect()
    } else {
        flows
    };
    let hops: Vec<&Hop> = flows.iter().flat_map(|f| f.hops.iter()).collect();
    let hop = hops
        .iter()
        .find(|h| !h.allowed)
        .or_else(|| {
            hops.iter()
                .rev()
                .find(|h| h.kind == HopKind::SecurityGroupIngress)
        })
        .or_else(|| hops.last())?;
    Some(describe(model, hop))
}

fn describe(model: &Model, hop: &Hop) -> Decision {
    let location = hop.rule.span.and_then(|s| {
        let (line, col) = model.sources().line_col(s)?;
        Some(format!(
            "{}:{line}:{col}",
            model.sources().get(s.source)?.name
        ))
    });
    Decision {
        allowed: hop.allowed,
        hop: hop.kind.to_string(),
        object: hop.rule.object.clone(),
        rule: hop.rule.rule.clone(),
        location,
    }
}

/// The services of a packet set, one entry per protocol as reports spell them.
pub fn services(packets: &PacketSet) -> Vec<String> {
    packets
        .service_summary()
        .split(", ")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn addresses(e: &Eni) -> (&[std::net::Ipv4Addr], Option<std::net::Ipv4Addr>) {
    (&e.private_ips, e.public_ip)
}

/// The names an object is known by, most stable first: aliases (a deployed
/// resource's CloudFormation logical id), the id, the Name tag.
fn keys(meta: &Meta) -> Vec<String> {
    let mut out: Vec<String> = meta.aliases.clone();
    out.push(meta.id.clone());
    if let Some(name) = &meta.name {
        out.push(format!("name:{name}"));
    }
    out
}

/// The identities of an interface: its owner's with its place in the owner.
fn eni_keys(model: &Model, eni: &Eni) -> Vec<String> {
    let subnet_keys = || {
        model
            .subnet(&eni.subnet)
            .map(|s| keys(&s.meta))
            .unwrap_or_default()
    };
    let cross = |owner: Vec<String>, place: Vec<String>| -> Vec<String> {
        owner
            .iter()
            .flat_map(|o| place.iter().map(move |p| format!("{o}@{p}")))
            .collect()
    };
    match &eni.owner {
        EniOwner::Instance(i) => match model.instance(i) {
            Some(inst) => {
                let index = inst
                    .enis
                    .iter()
                    .position(|e| *e == eni.meta.id)
                    .unwrap_or(0);
                keys(&inst.meta)
                    .into_iter()
                    .map(|k| format!("instance {k}#{index}"))
                    .collect()
            }
            None => keys(&eni.meta),
        },
        EniOwner::LoadBalancer(l) => match model.load_balancer(l) {
            Some(lb) => cross(
                keys(&lb.meta)
                    .into_iter()
                    .map(|k| format!("lb {k}"))
                    .collect(),
                subnet_keys(),
            ),
            None => keys(&eni.meta),
        },
        EniOwner::VpcEndpoint(v) => match model.vpc_endpoint(v) {
            Some(ep) => cross(
                keys(&ep.meta)
                    .into_iter()
                    .map(|k| format!("vpce {k}"))
                    .collect(),
                subnet_keys(),
            ),
            None => keys(&eni.meta),
        },
        EniOwner::NatGateway(n) => match model.nat_gateway(n) {
            Some(nat) => keys(&nat.meta)
                .into_iter()
                .map(|k| format!("nat {k}"))
                .collect(),
            None => keys(&eni.meta),
        },
        EniOwner::None => keys(&eni.meta)
            .into_iter()
            .map(|k| format!("eni {k}"))
            .collect(),
    }
}

/// Pairs the interfaces of the two models: each interface of `before` takes
/// the first of its keys that names exactly one unmatched interface of `after`.
fn match_interfaces(before: &Model, after: &Model) -> Vec<Identity> {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (y, eni) in after.enis().iter().enumerate() {
        for k in eni_keys(after, eni) {
            by_key.entry(k).or_default().push(y);
        }
    }
    let mut taken = vec![false; after.enis().len()];
    let mut out = Vec::new();
    for (x, eni) in before.enis().iter().enumerate() {
        let found = eni_keys(before, eni)
            .into_iter()
            .find_map(|k| match by_key.get(&k) {
                Some(ys) if ys.len() == 1 => ys.first().copied().filter(|&y| !taken[y]),
                _ => None,
            });
        if let Some(y) = found {
            taken[y] = true;
        }
        out.push(Identity {
            before: Some(x),
            after: found,
        });
    }
    for (y, t) in taken.iter().enumerate() {
        if !t {
            out.push(Identity {
                before: None,
                after: Some(y),
            });
        }
    }
    out
}

fn hash_of(value: &impl Serialize) -> u64 {
    let mut h = DefaultHasher::new();
    serde_json::to_string(value)
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}

/// Per interface, a hash of everything its flows depend on.
fn footprints(model: &Model) -> Vec<u64> {
    let shared = shared_footprint(model);
    let groups: HashMap<&str, u64> = model
        .security_groups()
        .iter()
        .map(|g| (g.meta.id.as_str(), hash_of(g)))
        .collect();
    let subnets: HashMap<&str, u64> = model
        .subnets()
        .iter()
        .map(|s| (s.meta.id.as_str(), subnet_footprint(model, s)))
        .collect();
    model
        .enis()
        .iter()
        .map(|e| {
            let mut h = DefaultHasher::new();
            shared.hash(&mut h);
            hash_of(e).hash(&mut h);
            for g in &e.security_groups {
                groups.get(g.as_str()).hash(&mut h);
            }
            subnets.get(e.subnet.as_str()).hash(&mut h);
            h.finish()
        })
        .collect()
}

/// A subnet with its route table and NACL (a route to an interface is not
/// followed by the engine, so the interface is no dependency).
fn subnet_footprint(model: &Model, subnet: &crate::model::Subnet) -> u64 {
    let mut h = DefaultHasher::new();
    hash_of(subnet).hash(&mut h);
    hash_of(&model.subnet_route_table(subnet)).hash(&mut h);
    hash_of(&model.subnet_network_acl(subnet)).hash(&mut h);
    h.finish()
}

/// What every flow may depend on: VPCs, gateways, peerings, load balancers,
/// endpoints, prefix lists, and the subnets NAT gateways sit in.
fn shared_footprint(model: &Model) -> u64 {
    let mut h = DefaultHasher::new();
    hash_of(&model.vpcs()).hash(&mut h);
    hash_of(&model.internet_gateways()).hash(&mut h);
    hash_of(&model.nat_gateways()).hash(&mut h);
    hash_of(&model.vpn_gateways()).hash(&mut h);
    hash_of(&model.peerings()).hash(&mut h);
    hash_of(&model.load_balancers()).hash(&mut h);
    hash_of(&model.target_groups()).hash(&mut h);
    hash_of(&model.vpc_endpoints()).hash(&mut h);
    hash_of(&model.prefix_lists()).hash(&mut h);
    for nat in model.nat_gateways() {
        if let Some(subnet) = model.subnet(&nat.subnet) {
            subnet_footprint(model, subnet).hash(&mut h);
        }
    }
    // Who is a load balancer's node, NAT gateway or endpoint, and where.
    for eni in model.enis() {
        if !matches!(eni.owner, EniOwner::Instance(_) | EniOwner::None) {
            hash_of(eni).hash(&mut h);
        }
    }
    h.finish()
}
