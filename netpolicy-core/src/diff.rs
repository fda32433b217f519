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

use crate::engine::{
    ClassFlow, ClassId, ClassPath, Endpoint, Engine, Flow, Hop, HopKind, PathKind,
};
use crate::model::{Eni, EniOwner, Meta, Model, RouteTarget, TargetRef};
use crate::packet::{Dim, IntervalSet, Packet, PacketSet};
use foldhash::quality::{FixedState, FoldHasher};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};

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
///
/// Fields in alphabetical order, as JSON keys are written everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Whether the rule lets the packet through.
    pub allowed: bool,
    /// The hop (`sg ingress`, `nacl egress`, `route`, ...).
    pub hop: String,
    /// Where the rule is written (`file:line:column`), when the input says.
    pub location: Option<String>,
    /// The security group, NACL or route table.
    pub object: String,
    /// The rule itself.
    pub rule: String,
}

/// One flow that a change opened or closed.
#[derive(Clone, Debug)]
pub struct FlowChange {
    /// The source endpoint (an interface id, `internet` or `onprem`).
    pub source: String,
    /// The destination endpoint.
    pub destination: String,
    /// Every source interface the change concerns (`source` names the first
    /// and counts the rest); empty for the internet and on-premises.
    pub sources: Vec<String>,
    /// Every destination interface the change concerns.
    pub destinations: Vec<String>,
    /// The services concerned, spelled as in reports (`tcp/3306`, `icmp`, ...).
    pub services: Vec<String>,
    /// How the packets travel.
    pub path: PathClass,
    /// A concrete packet of the change, as the side where it flows sends it.
    pub packet: Option<String>,
    /// Whether the deciding rules were traced (the first changes of each kind
    /// are; see [`NetworkDiff::warnings`]).
    pub traced: bool,
    /// The rule that decides the packet before the change (`None`: the
    /// endpoint did not exist, or the change was not traced).
    pub before: Option<Decision>,
    /// The rule that decides it after the change.
    pub after: Option<Decision>,
    /// The packets that changed (addresses left open where the two models
    /// give an endpoint different ones). Not serialized.
    pub packets: PacketSet,
}

/// Keys in alphabetical order, as in every JSON document netpolicy writes
/// (most pass through `serde_json::Value`, whose maps are sorted), so that a
/// large diff can be written straight from its changes without such a copy.
impl Serialize for FlowChange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("FlowChange", 10)?;
        out.serialize_field("after", &self.after)?;
        out.serialize_field("before", &self.before)?;
        out.serialize_field("destination", &self.destination)?;
        out.serialize_field("destinations", &self.destinations)?;
        out.serialize_field("packet", &self.packet)?;
        out.serialize_field("path", &self.path)?;
        out.serialize_field("services", &self.services)?;
        out.serialize_field("source", &self.source)?;
        out.serialize_field("sources", &self.sources)?;
        out.serialize_field("traced", &self.traced)?;
        out.end()
    }
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
    /// Matched interfaces whose flows were recomputed: their footprint
    /// changed, or that of an interface they share a class with.
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
    /// footprint, and leave no pair out for having the same inputs on both
    /// sides: slower, the same answer (what tests check the shortcuts by).
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
    // Matching is partly sequential: the footprints fill the gaps.
    let (ids, (print_b, print_a)) = rayon::join(
        || match_interfaces(b, a),
        || rayon::join(|| footprints(b), || footprints(a)),
    );
    let changed: Vec<bool> = ids
        .iter()
        .map(|i| match (i.before, i.after) {
            (Some(x), Some(y)) => options.every_pair || print_b.get(x) != print_a.get(y),
            _ => true,
        })
        .collect();
    let mut out = NetworkDiff {
        matched: ids
            .iter()
            .filter(|i| i.before.is_some() && i.after.is_some())
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
    if out.matched == 0 && !b.enis().is_empty() && !a.enis().is_empty() {
        out.warnings.push(format!(
            "the two networks share no interface identity ({} interfaces before, {} after): \
             every interface shows as removed and added; are they the same network?",
            b.enis().len(),
            a.enis().len()
        ));
    }
    let (rb, ra) = (regions(b), regions(a));
    if !rb.is_empty() && !ra.is_empty() && rb.is_disjoint(&ra) {
        let list = |r: &std::collections::BTreeSet<String>| {
            r.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        out.warnings.push(format!(
            "the two networks are in different regions ({} before, {} after): \
             a diff between regions compares different networks",
            list(&rb),
            list(&ra)
        ));
    }
    let sides = Sides::new(&ids, (before, after), &changed, !options.every_pair);
    out.touched = ids
        .iter()
        .enumerate()
        .filter(|(k, i)| i.before.is_some() && i.after.is_some() && sides.touched_identity(*k))
        .count();
    sides.interface_flows(&mut out);
    sides.outside_flows(&mut out);
    for (kind, list) in [("opened", &out.opened), ("closed", &out.closed)] {
        if list.len() > MAX_TRACED {
            out.warnings.push(format!(
                "{} {kind} flows: the deciding rules are traced for the first {MAX_TRACED} only \
                 (a policy or a narrower change names the rest)",
                list.len()
            ));
        }
    }
    out
}

/// The regions a network's subnets are in, from their availability zones
/// (`us-east-1a` is in `us-east-1`); empty when no zone is known.
fn regions(model: &Model) -> std::collections::BTreeSet<String> {
    model
        .subnets()
        .iter()
        .filter_map(|s| s.availability_zone.as_deref())
        .map(|z| {
            z.trim_end_matches(|c: char| c.is_ascii_lowercase())
                .to_string()
        })
        .filter(|r| !r.is_empty())
        .collect()
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

/// Changed flows of each kind whose deciding rules are traced.
const MAX_TRACED: usize = 1_000;

/// Where an endpoint of a change is: an interface (by identity), or outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    /// The members of a refined class.
    Refined(usize),
    /// One interface, by identity.
    Member(usize),
    Internet,
    OnPrem,
}

/// Interfaces that the engines of both sides treat alike: the same class
/// before and the same class after. Flows are compared per pair of refined
/// classes, with the members' addresses as sets.
struct Refined {
    members: Vec<usize>,
    class_before: Option<ClassId>,
    class_after: Option<ClassId>,
    /// Its members have the same addresses on both sides (or exist on one
    /// side only); else it is one interface, compared on services alone.
    comparable: bool,
}

/// Marks a refined class's class on each side; whether a mark was new.
fn mark_both(group: &Refined, marks: &mut [Vec<bool>; 2]) -> bool {
    let mut moved = false;
    for (side, class) in [(0, group.class_before), (1, group.class_after)] {
        if let Some(slot) = class.and_then(|c| marks[side].get_mut(c.0)) {
            moved |= !std::mem::replace(slot, true);
        }
    }
    moved
}

/// Per-class marks of the two sides, closed over refined classes: a refined
/// class whose class is marked on one side gets its class on the other side
/// marked too, until nothing moves. A pair computed (or met) on one side
/// only would look opened or closed.
fn spread_between_sides(refined: &[Refined], marks: &mut [Vec<bool>; 2]) {
    let on = |marks: &[Vec<bool>; 2], side: usize, c: Option<ClassId>| {
        c.and_then(|c| marks[side].get(c.0))
            .copied()
            .unwrap_or(false)
    };
    loop {
        let mut moved = false;
        for group in refined {
            if on(marks, 0, group.class_before) || on(marks, 1, group.class_after) {
                moved |= mark_both(group, marks);
            }
        }
        if !moved {
            break;
        }
    }
}

/// What makes a refined class: the class before, the class after, and the
/// identity of an interface that stands alone.
type RefinedKey = (Option<ClassId>, Option<ClassId>, Option<usize>);

/// The two sides of a change, their classes and what changed.
struct Sides<'a, 'e> {
    ids: &'a [Identity],
    engines: (&'e Engine<'e>, &'e Engine<'e>),
    refined: Vec<Refined>,
    /// The refined class of each identity.
    refined_of: Vec<usize>,
    /// Per class of each side, whether its flows are recomputed.
    touched_before: Vec<bool>,
    touched_after: Vec<bool>,
    /// Whether class pairs whose inputs are alike on both sides are left
    /// out before they are computed.
    shortcuts: bool,
}

impl<'a, 'e> Sides<'a, 'e> {
    fn new(
        ids: &'a [Identity],
        engines: (&'e Engine<'e>, &'e Engine<'e>),
        changed: &[bool],
        shortcuts: bool,
    ) -> Self {
        let (before, after) = engines;
        let class = |engine: &Engine<'_>, x: Option<usize>| {
            x.and_then(|x| engine.model().enis().get(x))
                .and_then(|e| engine.class_of(&e.meta.id))
        };
        // An interface whose addresses differ between the sides is compared
        // on services alone, so it is a refined class of its own: its
        // neighbours keep their address-for-address comparison.
        let mut index: BTreeMap<RefinedKey, usize> = BTreeMap::new();
        let mut refined: Vec<Refined> = Vec::new();
        let mut refined_of = Vec::with_capacity(ids.len());
        for (k, i) in ids.iter().enumerate() {
            let alone = (!same_addresses(before.model(), after.model(), i)).then_some(k);
            let key = (class(before, i.before), class(after, i.after), alone);
            let r = *index.entry(key).or_insert_with(|| {
                refined.push(Refined {
                    members: Vec::new(),
                    class_before: key.0,
                    class_after: key.1,
                    comparable: alone.is_none(),
                });
                refined.len() - 1
            });
            if let Some(group) = refined.get_mut(r) {
                group.members.push(k);
            }
            refined_of.push(r);
        }
        // A class is recomputed on a side when any interface of it changed;
        // and a refined class whose class is recomputed on one side must be
        // on the other too, or a pair computed on one side only would look
        // opened or closed. Spread until nothing moves.
        let mut touched = [
            vec![false; before.classes().len()],
            vec![false; after.classes().len()],
        ];
        for group in &refined {
            let hot = group
                .members
                .iter()
                .any(|&k| changed.get(k).copied().unwrap_or(true));
            if hot {
                mark_both(group, &mut touched);
            }
        }
        spread_between_sides(&refined, &mut touched);
        let [touched_before, touched_after] = touched;
        Sides {
            ids,
            engines,
            refined,
            refined_of,
            touched_before,
            touched_after,
            shortcuts,
        }
    }

    fn touched_identity(&self, k: usize) -> bool {
        let Some(r) = self.refined_of.get(k).and_then(|&r| self.refined.get(r)) else {
            return false;
        };
        let on = |t: &[bool], c: Option<ClassId>| c.is_some_and(|c| t.get(c.0) == Some(&true));
        on(&self.touched_before, r.class_before) || on(&self.touched_after, r.class_after)
    }

    /// The members' addresses of each refined class on one side.
    fn addresses(&self, after: bool) -> Vec<IntervalSet> {
        self.refined
            .iter()
            .map(|group| {
                let enis = group.members.iter().filter_map(|&k| self.eni(k, after));
                enis.fold(IntervalSet::default(), |acc, e| {
                    acc.union(&eni_addresses(e))
                })
            })
            .collect()
    }

    fn eni(&self, k: usize, after: bool) -> Option<&'e Eni> {
        let i = self.ids.get(k)?;
        let (engine, x) = if after {
            (self.engines.1, i.after)
        } else {
            (self.engines.0, i.before)
        };
        engine.model().enis().get(x?)
    }

    /// Per class of each side, whether a member's public address lets in
    /// something else than on the other side (or the member is on one side
    /// only, or its addresses differ).
    fn public_changed(&self) -> [Vec<bool>; 2] {
        let (before, after) = self.engines;
        let mut out = [
            vec![false; before.classes().len()],
            vec![false; after.classes().len()],
        ];
        for k in 0..self.ids.len() {
            if !self.touched_identity(k) {
                continue;
            }
            let opening = |engine: &Engine<'_>, after: bool| {
                engine.public_opening(&self.eni(k, after)?.meta.id)
            };
            let (old, new) = (opening(before, false), opening(after, true));
            let same = match (&old, &new) {
                (None, None) => true,
                (Some((a, p)), Some((b, q))) => a == b && p.same_as(q),
                _ => false,
            };
            if same {
                continue;
            }
            let Some(r) = self.refined_of.get(k).and_then(|&r| self.refined.get(r)) else {
                continue;
            };
            mark_both(r, &mut out);
        }
        // As for `touched`: an untouched source's pair with a member whose
        // class split or merged must be computed on both sides or neither.
        spread_between_sides(&self.refined, &mut out);
        out
    }

    /// Interface-to-interface flows, per pair of refined classes, on the
    /// pairs of recomputed classes.
    fn interface_flows(&self, out: &mut NetworkDiff) {
        let query = PacketSet::client_traffic();
        let (before, after) = self.engines;
        let mut by_class: [Vec<Vec<usize>>; 2] = [
            vec![Vec::new(); before.classes().len()],
            vec![Vec::new(); after.classes().len()],
        ];
        for (r, group) in self.refined.iter().enumerate() {
            for (side, class) in [(0, group.class_before), (1, group.class_after)] {
                if let Some(slot) = class.and_then(|c| by_class[side].get_mut(c.0)) {
                    slot.push(r);
                }
            }
        }
        let mut flows: BTreeMap<(usize, usize, PathClass), [Option<PacketSet>; 2]> =
            BTreeMap::new();
        let public = self.public_changed();
        let addresses = [self.addresses(false), self.addresses(true)];
        let none = IntervalSet::default();
        let across = self.across(&by_class);
        let across = |c: ClassId| across.get(c.0).copied().flatten();
        let found = Engine::class_flows_of_versions(
            [before, after],
            &query,
            [&self.touched_before, &self.touched_after],
            [&public[0], &public[1]],
            &across,
            self.shortcuts,
        );
        let class_flows = drop_unchanged(&across, found);
        for (side, found) in class_flows.iter().enumerate() {
            let of = |r: usize| addresses[side].get(r).unwrap_or(&none);
            let refined_of = |c: ClassId| by_class[side].get(c.0).map_or(&[][..], Vec::as_slice);
            let split: Vec<((usize, usize, PathClass), PacketSet)> = found
                .par_iter()
                .flat_map_iter(|flow| {
                    let path = match flow.kind {
                        ClassPath::Private => PathClass::Private,
                        ClassPath::PublicAddress => PathClass::Internet,
                        ClassPath::LoadBalancerNode => PathClass::LoadBalancer,
                    };
                    let mut parts = Vec::new();
                    for &r1 in refined_of(flow.src) {
                        let part = flow.packets.restrict(Dim::SrcAddr, of(r1));
                        for &r2 in refined_of(flow.dst) {
                            let packets = part.restrict(Dim::DstAddr, of(r2));
                            if !packets.is_empty() {
                                parts.push(((r1, r2, path), packets));
                            }
                        }
                    }
                    parts
                })
                .collect();
            for (key, packets) in split {
                let slot = &mut flows.entry(key).or_default()[side];
                *slot = Some(match slot.take() {
                    Some(p) => p.union(&packets),
                    None => packets,
                });
            }
        }
        let comparable = |r: usize| self.refined.get(r).is_some_and(|g| g.comparable);
        let pairs = flows
            .into_iter()
            .map(|((r1, r2, path), sides)| {
                let key = (End::Refined(r1), End::Refined(r2), path);
                (key, sides, (!comparable(r1), !comparable(r2)))
            })
            .collect();
        self.compare_all(pairs, out);
    }

    /// For each class before the change, the class after it that holds the
    /// same interfaces with the same addresses, where there is one: both are
    /// one refined class, whose members are alike on both sides.
    fn across(&self, by_class: &[Vec<Vec<usize>>; 2]) -> Vec<Option<ClassId>> {
        let only = |side: usize, c: ClassId| match by_class[side].get(c.0).map(Vec::as_slice) {
            Some(&[r]) if self.refined.get(r).is_some_and(|g| g.comparable) => Some(r),
            _ => None,
        };
        (0..by_class[0].len())
            .map(|c| {
                let r = only(0, ClassId(c))?;
                let y = self.refined.get(r)?.class_after?;
                (only(1, y) == Some(r)).then_some(y)
            })
            .collect()
    }

    /// Flows between the internet or on-premises and the interfaces of
    /// recomputed classes, pair by pair (few: two outside endpoints).
    fn outside_flows(&self, out: &mut NetworkDiff) {
        let hot: Vec<usize> = (0..self.ids.len())
            .filter(|&k| self.touched_identity(k))
            .collect();
        let query = PacketSet::client_traffic();
        let mut flows: BTreeMap<(End, End, PathClass), [Option<PacketSet>; 2]> = BTreeMap::new();
        let outside = [Endpoint::Internet, Endpoint::OnPrem];
        let end_of = |e: &Endpoint| match e {
            Endpoint::Internet => End::Internet,
            _ => End::OnPrem,
        };
        for (side, engine) in [(0, self.engines.0), (1, self.engines.1)] {
            let (ks, enis): (Vec<usize>, Vec<Endpoint>) = hot
                .iter()
                .filter_map(|&k| Some((k, Endpoint::Eni(self.eni(k, side == 1)?.meta.id.clone()))))
                .unzip();
            let mut add = |src: End, dst: End, found: Vec<Flow>| {
                for flow in found {
                    let slot = &mut flows
                        .entry((src, dst, PathClass::of(&flow.kind)))
                        .or_default()[side];
                    *slot = Some(match slot.take() {
                        Some(p) => p.union(&flow.packets),
                        None => flow.packets,
                    });
                }
            };
            for pair in engine.reach_between(&enis, &outside, &query) {
                if let (Some(&k), Some(o)) = (ks.get(pair.src), outside.get(pair.dst)) {
                    add(End::Member(k), end_of(o), pair.reach.flows);
                }
            }
            for pair in engine.reach_between(&outside, &enis, &query) {
                if let (Some(o), Some(&k)) = (outside.get(pair.src), ks.get(pair.dst)) {
                    add(end_of(o), End::Member(k), pair.reach.flows);
                }
            }
        }
        let mut pairs: Vec<Compared> = Vec::with_capacity(flows.len());
        for ((src, dst, path), [old, new]) in flows {
            let open = |e: End| match e {
                End::Member(k) => !self.ids.get(k).is_some_and(|i| {
                    same_addresses(self.engines.0.model(), self.engines.1.model(), i)
                }),
                _ => true,
            };
            pairs.push(((src, dst, path), [old, new], (open(src), open(dst))));
        }
        self.compare_all(pairs, out);
    }

    /// The interfaces an end stands for.
    fn members(&self, end: End) -> std::borrow::Cow<'_, [usize]> {
        match end {
            End::Member(k) => vec![k].into(),
            End::Refined(r) => self
                .refined
                .get(r)
                .map_or(&[][..], |g| g.members.as_slice())
                .into(),
            End::Internet | End::OnPrem => (&[][..]).into(),
        }
    }

    /// Compares each (source, destination, path) across the two sides and
    /// records what opened and closed, in the order given. `open` leaves an
    /// end's addresses out of the comparison (the outside, or addresses that
    /// differ). In parallel; the first [`MAX_TRACED`] of each kind are traced.
    fn compare_all(&self, pairs: Vec<Compared>, out: &mut NetworkDiff) {
        let deltas: Vec<[Option<(PacketSet, PacketSet)>; 2]> = pairs
            .par_iter()
            .map(|(_, sides, open)| delta(sides, *open))
            .collect();
        let mut jobs = Vec::new();
        let mut counts = [out.opened.len(), out.closed.len()];
        for ((key, _, _), found) in pairs.iter().zip(deltas) {
            for (kind, change) in found.into_iter().enumerate() {
                if let (Some((packets, raw)), Some(count)) = (change, counts.get_mut(kind)) {
                    jobs.push((*key, packets, raw, kind == 0, *count < MAX_TRACED));
                    *count += 1;
                }
            }
        }
        let changes: Vec<(bool, FlowChange)> = jobs
            .into_par_iter()
            .map(|(key, packets, raw, opened, trace)| {
                (opened, self.change(key, packets, &raw, opened, trace))
            })
            .collect();
        for (opened, change) in changes {
            if opened {
                out.opened.push(change);
            } else {
                out.closed.push(change);
            }
        }
    }

    /// The name of identity `k`: its id after the change (and before, when
    /// it differs).
    fn name(&self, k: usize) -> String {
        let id = |after: bool| self.eni(k, after).map(|e| e.meta.id.as_str());
        match (id(false), id(true)) {
            (Some(p), Some(q)) if p != q => format!("{q} (was {p})"),
            (_, Some(q)) => q.to_string(),
            (Some(p), None) => p.to_string(),
            (None, None) => String::new(),
        }
    }

    /// The members of `end` whose addresses on the side `after` meet `addrs`.
    fn concerned(&self, end: End, addrs: &IntervalSet, after: bool) -> Vec<usize> {
        self.members(end)
            .iter()
            .copied()
            .filter(|&k| {
                self.eni(k, after).is_some_and(|e| {
                    let mut own = e.private_ips.iter().chain(&e.public_ip);
                    own.any(|ip| addrs.contains(u32::from(*ip)))
                })
            })
            .collect()
    }

    fn label(&self, end: End, members: &[usize]) -> String {
        match end {
            End::Internet => "internet".into(),
            End::OnPrem => "onprem".into(),
            End::Refined(_) | End::Member(_) => match members {
                [] => String::new(),
                [one] => self.name(*one),
                [first, rest @ ..] => format!("{} (+{} more)", self.name(*first), rest.len()),
            },
        }
    }

    /// The endpoint of identity `k` on one side.
    fn endpoint(&self, k: usize, after: bool) -> Option<Endpoint> {
        Some(Endpoint::Eni(self.eni(k, after)?.meta.id.clone()))
    }

    /// One opened (`opened`) or closed flow, with the rule deciding a concrete
    /// packet of it on each side.
    fn change(
        &self,
        (src, dst, path): (End, End, PathClass),
        packets: PacketSet,
        raw: &PacketSet,
        opened: bool,
        trace: bool,
    ) -> FlowChange {
        // The side where the packets flow, and which interfaces they concern.
        let here = opened;
        let src_members = self.concerned(src, &raw.project(Dim::SrcAddr), here);
        let dst_members = self.concerned(dst, &raw.project(Dim::DstAddr), here);
        let witness = raw.witness();
        let pick =
            |end: End, members: &[usize], addr: Option<std::net::Ipv4Addr>| -> Option<usize> {
                let addr = addr?;
                members
                    .iter()
                    .copied()
                    .find(|&k| {
                        self.eni(k, here).is_some_and(|e| {
                            e.private_ips.contains(&addr) || e.public_ip == Some(addr)
                        })
                    })
                    .or_else(|| matches!(end, End::Internet | End::OnPrem).then_some(usize::MAX))
            };
        let s = pick(src, &src_members, witness.map(|w| w.src));
        let d = pick(dst, &dst_members, witness.map(|w| w.dst));
        let end_point = |end: End, k: Option<usize>, after: bool| match end {
            End::Internet => Some(Endpoint::Internet),
            End::OnPrem => Some(Endpoint::OnPrem),
            End::Refined(_) | End::Member(_) => self.endpoint(k?, after),
        };
        let decide = |after: bool, packet: Option<Packet>| -> Option<Decision> {
            let engine = if after {
                self.engines.1
            } else {
                self.engines.0
            };
            let (se, de) = (end_point(src, s, after)?, end_point(dst, d, after)?);
            let flows = engine.explain(&se, &de, &packet?);
            decision(engine.model(), &flows, path)
        };
        let (mut before, mut after) = (None, None);
        if trace && let Some(w) = witness {
            let moved = self.translate(src, s, dst, d, w, here);
            let (now, then) = (decide(here, Some(w)), decide(!here, moved));
            (before, after) = if opened { (then, now) } else { (now, then) };
        }
        FlowChange {
            source: self.label(src, &src_members),
            destination: self.label(dst, &dst_members),
            sources: src_members.iter().map(|&k| self.name(k)).collect(),
            destinations: dst_members.iter().map(|&k| self.name(k)).collect(),
            services: services(&packets),
            path,
            packet: witness.map(|w| w.to_string()),
            traced: trace,
            before,
            after,
            packets,
        }
    }

    /// The packet `w` of one side as the other side addresses the same
    /// endpoints (the same packet when their addresses agree).
    fn translate(
        &self,
        src: End,
        s: Option<usize>,
        dst: End,
        d: Option<usize>,
        w: Packet,
        from_after: bool,
    ) -> Option<Packet> {
        let map = |end: End, k: Option<usize>, addr: std::net::Ipv4Addr| {
            if matches!(end, End::Internet | End::OnPrem) {
                return Some(addr);
            }
            let k = k?;
            let (p, q) = (self.eni(k, from_after)?, self.eni(k, !from_after)?);
            if p.public_ip == Some(addr) {
                return q.public_ip;
            }
            let at = p.private_ips.iter().position(|ip| *ip == addr).unwrap_or(0);
            q.private_ips.get(at).or(q.private_ips.first()).copied()
        };
        Some(Packet {
            src: map(src, s, w.src)?,
            dst: map(dst, d, w.dst)?,
            ..w
        })
    }
}

/// The class flows of the two sides without the pairs that are the same on
/// both: between classes that map one to one across the change (`across`),
/// the same packets can neither open nor close anything. Most recomputed
/// pairs are such, and passing them over saves splitting and comparing them.
fn drop_unchanged(
    across: &(dyn Fn(ClassId) -> Option<ClassId> + Sync),
    [old, new]: [Vec<ClassFlow>; 2],
) -> [Vec<ClassFlow>; 2] {
    // `class_flows` gives each (source, destination, path) once, and
    // `across` is one to one, so a match covers everything that pair
    // carries on each side and no flow is matched twice.
    let index: HashMap<(ClassId, ClassId, ClassPath), usize> = new
        .iter()
        .enumerate()
        .map(|(k, f)| ((f.src, f.dst, f.kind), k))
        .collect();
    let same: Vec<Option<usize>> = old
        .par_iter()
        .map(|f| {
            let key = (across(f.src)?, across(f.dst)?, f.kind);
            let k = *index.get(&key)?;
            new.get(k)
                .is_some_and(|n| n.packets == f.packets)
                .then_some(k)
        })
        .collect();
    let mut keep_new = vec![true; new.len()];
    for k in same.iter().flatten() {
        if let Some(keep) = keep_new.get_mut(*k) {
            *keep = false;
        }
    }
    let old = old
        .into_iter()
        .zip(&same)
        .filter_map(|(f, same)| same.is_none().then_some(f))
        .collect();
    let new = new
        .into_iter()
        .zip(keep_new)
        .filter_map(|(f, keep)| keep.then_some(f))
        .collect();
    [old, new]
}

/// One (source, destination, path) to compare: its packets on each side,
/// and whether each end's addresses are left out of the comparison.
type Compared = ((End, End, PathClass), [Option<PacketSet>; 2], (bool, bool));

/// What opened and what closed between `old` and `new`, each with the
/// packets of its side that carry it.
fn delta(
    [old, new]: &[Option<PacketSet>; 2],
    (open_src, open_dst): (bool, bool),
) -> [Option<(PacketSet, PacketSet)>; 2] {
    let norm = |set: &Option<PacketSet>| {
        let mut set = set.clone().unwrap_or_else(PacketSet::empty);
        if open_src {
            set = set.forget(Dim::SrcAddr);
        }
        if open_dst {
            set = set.forget(Dim::DstAddr);
        }
        set
    };
    let (nb, na) = (norm(old), norm(new));
    let side = |gained: PacketSet, raw: &Option<PacketSet>| {
        (!gained.is_empty()).then(|| {
            let raw = raw
                .as_ref()
                .map(|s| s.intersect(&gained))
                .unwrap_or_default();
            (gained, raw)
        })
    };
    [side(na.difference(&nb), new), side(nb.difference(&na), old)]
}

/// Whether an identity's interface has the same addresses on both sides (or
/// exists on one side only: nothing to compare against).
fn same_addresses(b: &Model, a: &Model, i: &Identity) -> bool {
    match (i.before, i.after) {
        (Some(x), Some(y)) => match (b.enis().get(x), a.enis().get(y)) {
            (Some(p), Some(q)) => addresses(p) == addresses(q),
            _ => false,
        },
        _ => true,
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

/// Every address of an interface, private and public, as a set.
fn eni_addresses(e: &Eni) -> IntervalSet {
    IntervalSet::from_ranges(
        e.private_ips
            .iter()
            .chain(e.public_ip.iter())
            .map(|ip| (u32::from(*ip), u32::from(*ip))),
    )
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
    let keys_of = |model: &Model| -> Vec<Vec<String>> {
        model
            .enis()
            .par_iter()
            .map(|e| eni_keys(model, e))
            .collect()
    };
    let (keys_before, keys_after) = rayon::join(|| keys_of(before), || keys_of(after));
    // The one interface of `after` a key names; `None` when it names several.
    let mut by_key: HashMap<&str, Option<usize>> =
        HashMap::with_capacity(keys_after.iter().map(Vec::len).sum());
    for (y, keys) in keys_after.iter().enumerate() {
        for k in keys {
            by_key
                .entry(k.as_str())
                .and_modify(|one| *one = None)
                .or_insert(Some(y));
        }
    }
    let mut taken = vec![false; after.enis().len()];
    let mut out = Vec::with_capacity(keys_before.len());
    for (x, keys) in keys_before.iter().enumerate() {
        let found = keys.iter().find_map(|k| match by_key.get(k.as_str()) {
            Some(&Some(y)) => (!taken.get(y).copied().unwrap_or(true)).then_some(y),
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

/// A hasher for footprints, the same in both versions of a diff (fixed
/// seed); many small writes stream into it, which SipHash made slow.
fn footprint_hasher() -> FoldHasher<'static> {
    FixedState::with_seed(0x6e70_6469_6666).build_hasher()
}

fn hash_of(value: &impl Serialize) -> u64 {
    let mut h = footprint_hasher();
    // Streamed into the hasher: no text is built per interface.
    let _ = serde_json::to_writer(HashWriter(&mut h), value);
    h.finish()
}

/// Feeds written bytes to a hasher.
struct HashWriter<'h>(&'h mut FoldHasher<'static>);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Per interface, a hash of everything its flows depend on.
fn footprints(model: &Model) -> Vec<u64> {
    let shared = shared_footprint(model);
    let groups: HashMap<&str, u64> = model
        .security_groups()
        .par_iter()
        .map(|g| (g.meta.id.as_str(), hash_of(g)))
        .collect();
    let own: HashMap<&str, u64> = model
        .subnets()
        .iter()
        .map(|s| (s.meta.id.as_str(), subnet_footprint(model, s)))
        .collect();
    // A subnet as its members' flows see it: its own tables, and the tables of
    // the subnets its NAT gateways sit in (the way out and back).
    let reach: HashMap<&str, u64> = model
        .subnets()
        .iter()
        .map(|s| {
            let mut h = footprint_hasher();
            own.get(s.meta.id.as_str()).hash(&mut h);
            let routes = model
                .subnet_route_table(s)
                .into_iter()
                .flat_map(|t| &t.routes);
            for route in routes {
                if let RouteTarget::NatGateway(n) = &route.target
                    && let Some(nat) = model.nat_gateway(n)
                {
                    own.get(nat.subnet.as_str()).hash(&mut h);
                }
            }
            (s.meta.id.as_str(), h.finish())
        })
        .collect();
    let side = |e: &Eni, h: &mut FoldHasher<'static>| {
        hash_of(e).hash(h);
        for g in &e.security_groups {
            groups.get(g.as_str()).hash(h);
        }
        reach.get(e.subnet.as_str()).hash(h);
    };
    let behind = load_balancers_in_front(model);
    let lb_sides: Vec<u64> = model
        .load_balancers()
        .iter()
        .map(|lb| {
            let mut h = footprint_hasher();
            for node in lb.nodes.iter().filter_map(|n| model.eni(n)) {
                side(node, &mut h);
            }
            h.finish()
        })
        .collect();
    model
        .enis()
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            let mut h = footprint_hasher();
            shared.hash(&mut h);
            side(e, &mut h);
            for lb in behind.get(&i).into_iter().flatten() {
                lb_sides.get(*lb).hash(&mut h);
            }
            h.finish()
        })
        .collect()
}

/// The load balancers in front of each interface (by position): a flow
/// through one to the interface depends on its nodes' groups and subnets.
fn load_balancers_in_front(model: &Model) -> HashMap<usize, Vec<usize>> {
    let mut by_address: HashMap<std::net::Ipv4Addr, usize> = HashMap::new();
    for (i, e) in model.enis().iter().enumerate() {
        for ip in &e.private_ips {
            by_address.insert(*ip, i);
        }
    }
    let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
    for (l, lb) in model.load_balancers().iter().enumerate() {
        let groups = lb.listeners.iter().flat_map(|x| &x.target_groups);
        let targets = groups
            .filter_map(|g| model.target_group(g))
            .flat_map(|g| &g.targets);
        for t in targets {
            let eni = match &t.target {
                TargetRef::Instance(id) => model
                    .instance(id)
                    .and_then(|inst| inst.enis.first())
                    .and_then(|e| model.eni_index(e)),
                TargetRef::Ip(ip) => by_address.get(ip).copied(),
            };
            if let Some(eni) = eni {
                out.entry(eni).or_default().push(l);
            }
        }
    }
    out
}

/// A subnet with its route table and NACL (a route to an interface is not
/// followed by the engine, so the interface is no dependency).
fn subnet_footprint(model: &Model, subnet: &crate::model::Subnet) -> u64 {
    let mut h = footprint_hasher();
    hash_of(subnet).hash(&mut h);
    hash_of(&model.subnet_route_table(subnet)).hash(&mut h);
    hash_of(&model.subnet_network_acl(subnet)).hash(&mut h);
    h.finish()
}

/// What any flow may depend on: VPCs, gateways, peerings, load balancers and
/// their target groups, endpoints, prefix lists, and which interfaces belong
/// to gateways, load balancers and endpoints.
fn shared_footprint(model: &Model) -> u64 {
    let mut h = footprint_hasher();
    hash_of(&model.vpcs()).hash(&mut h);
    hash_of(&model.internet_gateways()).hash(&mut h);
    hash_of(&model.nat_gateways()).hash(&mut h);
    hash_of(&model.vpn_gateways()).hash(&mut h);
    hash_of(&model.peerings()).hash(&mut h);
    hash_of(&model.load_balancers()).hash(&mut h);
    hash_of(&model.target_groups()).hash(&mut h);
    hash_of(&model.vpc_endpoints()).hash(&mut h);
    hash_of(&model.prefix_lists()).hash(&mut h);
    // What `onprem` and `internet` stand for: every prefix routed to a virtual
    // private gateway, and public space less the network's own addresses.
    for table in model.route_tables() {
        for route in &table.routes {
            if matches!(route.target, RouteTarget::VpnGateway(_)) {
                hash_of(&route.destination).hash(&mut h);
            }
        }
    }
    let own_public = model.enis().iter().filter_map(|e| e.public_ip);
    for ip in own_public.chain(model.nat_gateways().iter().filter_map(|n| n.public_ip)) {
        ip.hash(&mut h);
    }
    // Who is a load balancer's node, NAT gateway or endpoint, and where.
    for eni in model.enis() {
        if !matches!(eni.owner, EniOwner::Instance(_) | EniOwner::None) {
            hash_of(eni).hash(&mut h);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_native;

    fn model(yaml: &str) -> Model {
        match load_native("test.yaml", yaml) {
            Ok(m) => m,
            Err(e) => panic!("test model does not load: {e}"),
        }
    }

    fn network(az: &str, instance: &str, extra: &str) -> String {
        format!(
            r#"
vpcs:
  - {{id: vpc-a, cidr_blocks: [10.0.0.0/16]}}
subnets:
  - {{id: app, vpc: vpc-a, cidr: 10.0.1.0/24, availability_zone: {az}}}
security_groups:
  - id: open
    vpc: vpc-a
    ingress: [{{protocol: tcp, ports: 22, from: 10.0.0.0/16}}{extra}]
instances:
  - {{id: {instance}, subnet: app, security_groups: [open], private_ips: [10.0.1.10]}}
  - {{id: other, subnet: app, security_groups: [open], private_ips: [10.0.1.11]}}
"#
        )
    }

    fn run(before: &str, after: &str) -> NetworkDiff {
        let (b, a) = (model(before), model(after));
        diff(&Engine::new(&b), &Engine::new(&a))
    }

    #[test]
    fn an_added_rule_opens_its_port_both_ways_between_class_mates() {
        let d = run(
            &network("us-east-1a", "web", ""),
            &network(
                "us-east-1a",
                "web",
                ", {protocol: tcp, ports: 443, from: 10.0.0.0/16}",
            ),
        );
        assert!(d.closed.is_empty(), "{:?}", d.closed);
        let opened: Vec<_> = d
            .opened
            .iter()
            .map(|c| (c.services.clone(), c.path))
            .collect();
        assert_eq!(
            opened,
            vec![(vec!["tcp/443".to_string()], PathClass::Private)]
        );
        let c = &d.opened[0];
        assert_eq!(c.sources, vec!["web/eni0", "other/eni0"]);
        let after = c.after.as_ref().map(|d| (d.allowed, d.hop.clone()));
        assert_eq!(after, Some((true, "sg ingress".to_string())));
        let before = c.before.as_ref().map(|d| d.allowed);
        assert_eq!(before, Some(false));
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn nothing_matched_and_other_regions_warn() {
        let d = run(
            &network("us-east-1a", "web", ""),
            &network("eu-west-1b", "db", ""),
        );
        assert_eq!(d.matched, 1, "`other` is on both sides");
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.removed.len(), 1);
        assert!(
            d.warnings
                .iter()
                .any(|w| w.contains("different regions (us-east-1 before, eu-west-1 after)")),
            "{:?}",
            d.warnings
        );
    }

    /// Two public subnets; the client's NACL holds `extra` entries before
    /// its allow-all ones.
    fn public_pair(extra: &str) -> String {
        format!(
            r#"
vpcs:
  - {{id: vpc-a, cidr_blocks: [10.0.0.0/16]}}
internet_gateways:
  - {{id: igw-a, vpc: vpc-a}}
subnets:
  - {{id: front, vpc: vpc-a, cidr: 10.0.1.0/24, route_table: rt, network_acl: acl}}
  - {{id: back, vpc: vpc-a, cidr: 10.0.2.0/24, route_table: rt}}
route_tables:
  - {{id: rt, vpc: vpc-a, routes: [{{destination: 0.0.0.0/0, internet_gateway: igw-a}}]}}
network_acls:
  - id: acl
    vpc: vpc-a
    entries:{extra}
      - {{rule: 100, direction: egress, action: allow, protocol: all, cidr: 0.0.0.0/0}}
      - {{rule: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}}
security_groups:
  - {{id: client, vpc: vpc-a}}
  - id: server
    vpc: vpc-a
    ingress: [{{protocol: tcp, ports: 5432, from: 0.0.0.0/0}}, {{protocol: tcp, ports: 443, from: 0.0.0.0/0}}]
instances:
  - {{id: c, subnet: front, public_ip: 203.0.113.10, security_groups: [client]}}
  - {{id: s, subnet: back, public_ip: 203.0.113.20, security_groups: [server]}}
"#
        )
    }

    #[test]
    fn a_source_whose_internet_exit_changed_in_part_is_compared_on_that_part() {
        // The client still leaves through the same gateway, now without
        // tcp/5432: over the server's public address only that closes.
        let (b, a) = (
            model(&public_pair("")),
            model(&public_pair(
                "\n      - {rule: 50, direction: egress, action: deny, protocol: tcp, ports: 5432, cidr: 0.0.0.0/0}",
            )),
        );
        let (eb, ea) = (Engine::new(&b), Engine::new(&a));
        let d = diff(&eb, &ea);
        let closed: Vec<_> = d
            .closed
            .iter()
            .map(|c| (c.source.as_str(), c.services.clone(), c.path))
            .collect();
        let tcp5432 = vec!["tcp/5432".to_string()];
        assert!(
            closed.contains(&("c/eni0", tcp5432.clone(), PathClass::Internet)),
            "{closed:?}"
        );
        assert!(
            closed.contains(&("c/eni0", tcp5432, PathClass::Private)),
            "{closed:?}"
        );
        assert!(d.opened.is_empty(), "{:?}", d.opened);
        let full = diff_with(&eb, &ea, DiffOptions::every_pair());
        assert_eq!(closed_flows(&d), closed_flows(&full));
    }

    /// Two peered VPCs: a client in `front`, servers in `back` and `spare`;
    /// the client's table routes `peer_route` over the peering, and the
    /// servers' NACL holds `extra` entries before its allow-all ones.
    fn peered(peer_route: &str, extra: &str) -> String {
        format!(
            r#"
vpcs:
  - {{id: vpc-a, cidr_blocks: [10.0.0.0/16]}}
  - {{id: vpc-b, cidr_blocks: [10.1.0.0/16]}}
peerings:
  - {{id: pcx-1, requester_vpc: vpc-a, accepter_vpc: vpc-b, active: true}}
subnets:
  - {{id: front, vpc: vpc-a, cidr: 10.0.1.0/24, route_table: rt-a}}
  - {{id: back, vpc: vpc-b, cidr: 10.1.2.0/24, route_table: rt-b, network_acl: acl}}
  - {{id: spare, vpc: vpc-b, cidr: 10.1.3.0/24, route_table: rt-b, network_acl: acl}}
route_tables:
  - {{id: rt-a, vpc: vpc-a, routes: [{{destination: {peer_route}, peering: pcx-1}}]}}
  - {{id: rt-b, vpc: vpc-b, routes: [{{destination: 10.0.0.0/16, peering: pcx-1}}]}}
network_acls:
  - id: acl
    vpc: vpc-b
    entries:{extra}
      - {{rule: 100, direction: egress, action: allow, protocol: all, cidr: 0.0.0.0/0}}
      - {{rule: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}}
security_groups:
  - {{id: client, vpc: vpc-a}}
  - id: server
    vpc: vpc-b
    ingress: [{{protocol: tcp, ports: 5432, from: 10.0.0.0/8}}, {{protocol: tcp, ports: 443, from: 10.0.0.0/8}}]
instances:
  - {{id: c, subnet: front, security_groups: [client], private_ips: [10.0.1.10]}}
  - {{id: s, subnet: back, security_groups: [server], private_ips: [10.1.2.10]}}
  - {{id: t, subnet: spare, security_groups: [server], private_ips: [10.1.3.10]}}
"#
        )
    }

    /// Every closed flow as (source, destination, path, services), sorted.
    fn closed_flows(d: &NetworkDiff) -> Vec<(String, String, PathClass, Vec<String>)> {
        let mut v: Vec<_> = d
            .closed
            .iter()
            .map(|c| {
                let ends = (c.source.clone(), c.destination.clone());
                (ends.0, ends.1, c.path, c.services.clone())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn private_pairs_whose_inputs_changed_in_part_are_compared_on_that_part() {
        // A narrower peering route (routes differ) and a NACL entry on the
        // servers' side (their admission differs): each pair is compared on
        // what may differ, and finds what the full comparison finds.
        let (b, a) = (
            model(&peered("10.1.0.0/16", "")),
            model(&peered(
                "10.1.2.0/24",
                "\n      - {rule: 50, direction: ingress, action: deny, protocol: tcp, ports: 5432, cidr: 10.0.1.0/24}",
            )),
        );
        let (eb, ea) = (Engine::new(&b), Engine::new(&a));
        let d = diff(&eb, &ea);
        let full = diff_with(&eb, &ea, DiffOptions::every_pair());
        let closed = closed_flows(&d);
        let flow = |dst: &str, services: &[&str]| {
            let services = services.iter().map(|s| s.to_string()).collect();
            (
                "c/eni0".to_string(),
                dst.to_string(),
                PathClass::Private,
                services,
            )
        };
        assert!(
            closed.contains(&flow("s/eni0", &["tcp/5432"])),
            "{closed:?}"
        );
        assert!(
            closed.contains(&flow("t/eni0", &["tcp/443", "tcp/5432"])),
            "{closed:?}"
        );
        assert_eq!(closed, closed_flows(&full));
        assert!(
            d.opened.is_empty() && full.opened.is_empty(),
            "{:?}",
            d.opened
        );
    }

    #[test]
    fn interfaces_match_by_name_when_ids_differ() {
        // A template's logical id against a deployed instance id: the Name
        // tag they share matches them.
        let named = |id: &str| {
            network("us-east-1a", id, "").replace(
                &format!("{{id: {id},"),
                &format!("{{id: {id}, name: web-1,"),
            )
        };
        let before = model(&named("Web"));
        let after = model(&named("i-0abc"));
        let ids = match_interfaces(&before, &after);
        let pairs: Vec<_> = ids.iter().map(|i| (i.before, i.after)).collect();
        assert_eq!(pairs, vec![(Some(0), Some(0)), (Some(1), Some(1))]);
        let d = diff(&Engine::new(&before), &Engine::new(&after));
        assert!(d.opened.is_empty() && d.closed.is_empty(), "{d:?}");
    }
}
