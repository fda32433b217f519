//! ENI equivalence classes: interfaces with the same subnet and security-group set
//! are treated alike by every rule except address-specific ones, so pairwise work
//! runs over classes (with the members' addresses as sets), in parallel.

use super::flows::Side;
use super::meet::{Alike, MatchedPair, PrivateFocus, PrivateParts};
use super::{Endpoint, Engine};
use crate::model::{Eni, EniOwner, Model};
use crate::packet::PacketSet;
use foldhash::{HashMap, HashMapExt, HashSet};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Index of a class in [`Engine::classes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ClassId(pub usize);

/// Interfaces sharing a subnet and a security-group set.
#[derive(Clone, Debug, Serialize)]
pub struct EniClass {
    /// The class's index.
    pub id: ClassId,
    /// The subnet.
    pub subnet: String,
    /// The security groups, sorted.
    pub security_groups: Vec<String>,
    /// The member interfaces.
    pub enis: Vec<String>,
}

/// How a [`ClassFlow`] travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassPath {
    /// Private addresses (within a VPC, across a peering, through a NAT
    /// gateway onward).
    Private,
    /// To the destination's public address, over the internet.
    PublicAddress,
    /// From a load-balancer node to one of its targets.
    LoadBalancerNode,
}

/// What one class opens to another along one kind of path.
#[derive(Clone, Debug)]
pub struct ClassFlow {
    /// Source class.
    pub src: ClassId,
    /// Destination class.
    pub dst: ClassId,
    /// The kind of path.
    pub kind: ClassPath,
    /// The packets that arrive, as the source members send them.
    pub packets: PacketSet,
}

/// What one class can open to another.
#[derive(Clone, Debug)]
pub struct ClassPair {
    /// Source class.
    pub src: ClassId,
    /// Destination class.
    pub dst: ClassId,
    /// The packets (source members' addresses to destination members' addresses,
    /// private or public) that arrive.
    pub packets: PacketSet,
}

/// Which classes a class-flow computation recomputes, and how.
#[derive(Clone, Copy)]
struct Marks<'a> {
    /// Classes with a changed interface: every pair with one is computed.
    touched: &'a [bool],
    /// Classes whose public addresses let in something else than on the
    /// other side.
    public_changed: &'a [bool],
    /// For touched classes whose internet exits are the same on both sides,
    /// the packets they send that may leave differently (none: the class is
    /// quiet). Towards a public address that is not `public_changed`, the
    /// other packets arrive alike on both sides, so only these are met.
    focus: &'a [Option<PacketSet>],
}

impl Marks<'_> {
    fn touched(&self, c: usize) -> bool {
        self.touched.get(c).copied().unwrap_or(false)
    }

    fn public_changed(&self, c: usize) -> bool {
        self.public_changed.get(c).copied().unwrap_or(false)
    }

    /// What of a touched class's packets is met with unchanged public
    /// addresses: all of them (`None`) or its focus.
    fn focus(&self, c: usize) -> Option<&PacketSet> {
        self.focus.get(c).and_then(Option::as_ref)
    }

    /// Touched, and what it sends onto the internet may differ.
    fn loud(&self, c: usize) -> bool {
        self.touched(c) && !self.focus(c).is_some_and(PacketSet::is_empty)
    }
}

/// Private class pairs to meet, the parts they are met from, and what of
/// each pair a change review needs (all of it when there is no focus).
type PrivateJobs<'j, 'e> = (
    &'j [(usize, usize)],
    &'j PrivateParts<'e>,
    Option<&'j PrivateFocus>,
);

/// The sides a class-flow computation works on.
struct FlowPlan<'e> {
    sides: Vec<Option<Side<'e>>>,
    /// Classes that open connections freely.
    plain: Vec<usize>,
    /// Classes of load-balancer nodes.
    nodes: Vec<usize>,
}

pub(crate) struct Classes {
    pub(super) list: Vec<EniClass>,
    /// The class of each interface, by its position in the model.
    of_eni: Vec<ClassId>,
}

impl Classes {
    pub(crate) fn of(model: &Model) -> Classes {
        let mut groups: BTreeMap<(&str, Vec<&str>, bool), Vec<usize>> = BTreeMap::new();
        for (i, eni) in model.enis().iter().enumerate() {
            let mut sgs: Vec<&str> = eni.security_groups.iter().map(String::as_str).collect();
            sgs.sort_unstable();
            groups
                .entry((eni.subnet.as_str(), sgs, eni.sg_enforced))
                .or_default()
                .push(i);
        }
        let mut of_eni = vec![ClassId(0); model.enis().len()];
        let enis = model.enis();
        let list = groups
            .into_iter()
            .enumerate()
            .map(|(c, ((subnet, security_groups, _), members))| {
                for &m in &members {
                    of_eni[m] = ClassId(c);
                }
                EniClass {
                    id: ClassId(c),
                    subnet: subnet.to_string(),
                    security_groups: security_groups.into_iter().map(str::to_string).collect(),
                    enis: members.iter().map(|&m| enis[m].meta.id.clone()).collect(),
                }
            })
            .collect();
        Classes { list, of_eni }
    }
}

impl<'m> Engine<'m> {
    /// The ENI equivalence classes.
    pub fn classes(&self) -> &[EniClass] {
        &self.classes.list
    }

    /// The class of the interface `id`.
    pub fn class_of(&self, id: &str) -> Option<ClassId> {
        self.classes.of_eni.get(self.model.eni_index(id)?).copied()
    }

    /// The interface with this id and its class, found with one lookup.
    pub(super) fn eni_and_class(&self, id: &str) -> Option<(&Eni, ClassId)> {
        let i = self.model.eni_index(id)?;
        Some((self.model.enis().get(i)?, *self.classes.of_eni.get(i)?))
    }

    /// Every class's side, by class position, computed in parallel.
    pub(super) fn class_sides(&self) -> Vec<Option<Side<'_>>> {
        self.class_sides_where(&|_| true)
    }

    /// The sides of the classes `needed` accepts (none for the others), in
    /// parallel: a change review builds only what its pairs use.
    fn class_sides_where(&self, needed: &(dyn Fn(usize) -> bool + Sync)) -> Vec<Option<Side<'_>>> {
        self.classes
            .list
            .par_iter()
            .map(|c| needed(c.id.0).then(|| self.class_side(c)).flatten())
            .collect()
    }

    /// The classes [`Engine::class_flows`] may pair: those in a VPC
    /// connected to a touched class's (private paths either way), every
    /// class with a public address (what the internet side lets in), every
    /// class with a way out when a public address changed (untouched sources
    /// towards it), and load-balancer nodes.
    fn classes_paired(&self, marks: Marks<'_>) -> Vec<bool> {
        let vpc_of = |class: &EniClass| self.model.subnet(&class.subnet).map(|s| s.vpc.as_str());
        let near: HashSet<&str> = self
            .classes
            .list
            .iter()
            .filter(|c| marks.touched(c.id.0))
            .filter_map(vpc_of)
            .flat_map(|v| self.topology.connected_vpcs(v))
            .collect();
        let any_public_changed = marks.public_changed.iter().any(|&c| c);
        // The internet side matters only when some source is met with it.
        let public_sources = any_public_changed
            || self
                .classes
                .list
                .iter()
                .any(|c| marks.loud(c.id.0) && self.topology.has_exit(&c.subnet));
        self.classes
            .list
            .iter()
            .map(|class| {
                let members = || class.enis.iter().filter_map(|id| self.model.eni(id));
                vpc_of(class).is_some_and(|v| near.contains(v))
                    || (any_public_changed && self.topology.has_exit(&class.subnet))
                    || members().any(|e| {
                        (public_sources && e.public_ip.is_some())
                            || matches!(e.owner, EniOwner::LoadBalancer(_))
                    })
            })
            .collect()
    }

    pub(super) fn class_side(&self, class: &EniClass) -> Option<Side<'_>> {
        let members = class
            .enis
            .iter()
            .filter_map(|id| self.model.eni(id))
            .collect();
        self.side(members)
    }

    /// For every ordered pair of classes, the packets of `query` that the source
    /// class opens to the destination class directly (privately or over public
    /// addresses; a load-balanced flow shows as client -> node and node -> target).
    /// Pairs that exchange nothing are left out; the rest come in (source,
    /// destination) order.
    ///
    /// Never every pair: private paths are computed between classes of the same
    /// or peered VPCs only, paths over public addresses as what each source class
    /// sends onto the internet (once) met with what each public address lets in
    /// (once), and load-balancer nodes only towards their targets. In parallel.
    pub fn class_matrix(&self, query: &PacketSet) -> Vec<ClassPair> {
        let sides = self.class_sides();
        let (plain, nodes): (Vec<usize>, Vec<usize>) = (0..sides.len())
            .filter(|&i| {
                sides[i].as_ref().is_some_and(|s| {
                    s.members
                        .first()
                        .is_some_and(|m| !matches!(m.owner, EniOwner::VpcEndpoint(_)))
                })
            })
            .partition(|&i| {
                sides[i]
                    .as_ref()
                    .and_then(|s| s.members.first())
                    .is_some_and(|m| !matches!(m.owner, EniOwner::LoadBalancer(_)))
            });
        let mut found: Vec<(usize, usize, PacketSet)> = Vec::new();
        found.extend(self.private_matrix(&sides, &plain, query));
        found.extend(self.public_matrix(&sides, &plain, query));
        found.extend(self.node_matrix(&sides, &nodes, query, &|_| true));
        found.sort_by_key(|(a, b, _)| (*a, *b));
        let mut out: Vec<ClassPair> = Vec::new();
        for (a, b, packets) in found {
            match out.last_mut() {
                Some(last) if last.src.0 == a && last.dst.0 == b => {
                    last.packets = last.packets.union(&packets);
                }
                _ => out.push(ClassPair {
                    src: ClassId(a),
                    dst: ClassId(b),
                    packets,
                }),
            }
        }
        out
    }

    /// [`Engine::class_matrix`] for the pairs with a class in `touched` at
    /// either end, each path kind apart: what a change review compares (the
    /// other pairs are known not to change). Over public addresses, an
    /// untouched source is met only with the classes in `public_changed`
    /// (whose public addresses let in something else than before: towards the
    /// others an unchanged source sends and arrives as before). Each (source,
    /// destination, path kind) comes once, in that order. In parallel.
    pub fn class_flows(
        &self,
        query: &PacketSet,
        touched: &[bool],
        public_changed: &[bool],
    ) -> Vec<ClassFlow> {
        let marks = Marks {
            touched,
            public_changed,
            focus: &[],
        };
        let (plan, jobs, parts) = self.prepared(query, marks);
        self.planned_flows(&plan, (&jobs, &parts, None), query, marks)
    }

    /// [`Engine::class_flows`] of two versions of a network, `before` and
    /// `after`, leaving out the private class pairs whose every input (what
    /// the source sends, what the destination admits, what their subnets
    /// route between them) is the same on both sides: such a pair carries
    /// the same packets on both, and a change review would only compare them
    /// to find nothing. Likewise a touched source that leaves for the
    /// internet through the same exits on both sides is met with the public
    /// addresses that did not change only on the packets that leave
    /// differently (see [`Self::internet_focus`]). `across` maps a class of
    /// `before` to the class of `after` with the same interfaces and
    /// addresses, where there is one. Without `shortcuts` nothing is left out.
    pub(crate) fn class_flows_of_versions(
        [before, after]: [&Engine<'_>; 2],
        query: &PacketSet,
        touched: [&[bool]; 2],
        public_changed: [&[bool]; 2],
        across: &(dyn Fn(ClassId) -> Option<ClassId> + Sync),
        shortcuts: bool,
    ) -> [Vec<ClassFlow>; 2] {
        let across = |c: usize| across(ClassId(c)).map(|d| d.0).filter(|_| shortcuts);
        let [focus_b, focus_a] = Self::internet_focus([before, after], query, touched[0], &across);
        let marks_b = Marks {
            touched: touched[0],
            public_changed: public_changed[0],
            focus: &focus_b,
        };
        let marks_a = Marks {
            touched: touched[1],
            public_changed: public_changed[1],
            focus: &focus_a,
        };
        // One after the other, each in parallel: what `before` compiles,
        // `after` takes over where the change left it alone.
        let (plan_b, jobs_b, parts_b) = before.prepared(query, marks_b);
        if shortcuts {
            after.adopt_compiled(before);
        }
        let (plan_a, jobs_a, parts_a) = after.prepared(query, marks_a);
        let after_jobs: HashSet<(usize, usize)> = jobs_a.iter().copied().collect();
        let matched: Vec<MatchedPair> = jobs_b
            .iter()
            .filter_map(|&(x, y)| {
                let there = (across(x)?, across(y)?);
                after_jobs.contains(&there).then_some(((x, y), there))
            })
            .collect();
        let inputs = Alike::of(
            (&parts_b, &plan_b.sides, before),
            (&parts_a, &plan_a.sides, after),
            &matched,
            &across,
        );
        let (alike, differ): (Vec<MatchedPair>, Vec<MatchedPair>) = matched
            .into_par_iter()
            .partition(|&(here, there)| inputs.pair(here, there));
        let [focus_b, focus_a] = inputs.focus(&differ);
        let skip_b: HashSet<(usize, usize)> = alike.iter().map(|&(here, _)| here).collect();
        let skip_a: HashSet<(usize, usize)> = alike.iter().map(|&(_, there)| there).collect();
        let jobs_b: Vec<(usize, usize)> = jobs_b
            .into_iter()
            .filter(|job| !skip_b.contains(job))
            .collect();
        let jobs_a: Vec<(usize, usize)> = jobs_a
            .into_iter()
            .filter(|job| !skip_a.contains(job))
            .collect();
        let (old, new) = rayon::join(
            || before.planned_flows(&plan_b, (&jobs_b, &parts_b, Some(&focus_b)), query, marks_b),
            || after.planned_flows(&plan_a, (&jobs_a, &parts_a, Some(&focus_a)), query, marks_a),
        );
        // Many small sets: each side frees its own, side by side.
        rayon::join(
            move || drop((plan_b, parts_b)),
            move || drop((plan_a, parts_a)),
        );
        [old, new]
    }

    /// For each touched class of `before` (first list) and its class
    /// `across` the change (second list) that leave for the internet
    /// through the same exits with the same translations on both sides, the
    /// packets they send that may leave differently: the same set on both
    /// sides. Towards a public address that lets in the same packets on both
    /// sides, such a source opens the same flows outside it.
    fn internet_focus(
        [before, after]: [&Engine<'_>; 2],
        query: &PacketSet,
        touched: &[bool],
        across: &(dyn Fn(usize) -> Option<usize> + Sync),
    ) -> [Vec<Option<PacketSet>>; 2] {
        let candidates: Vec<(usize, usize)> = (0..before.classes.list.len())
            .filter(|&c| touched.get(c) == Some(&true))
            .filter_map(|c| Some((c, across(c)?)))
            .collect();
        let egress = |engine: &Engine<'_>, c: usize| {
            let side = engine.class_side(engine.classes.list.get(c)?)?;
            Some(engine.internet_egress(&side, query))
        };
        let found: Vec<(usize, usize, PacketSet)> = candidates
            .into_par_iter()
            .filter_map(|(c, d)| {
                let focus =
                    super::meet::egress_difference(&egress(before, c)?, &egress(after, d)?)?;
                Some((c, d, focus))
            })
            .collect();
        let mut out = [
            vec![None; before.classes.list.len()],
            vec![None; after.classes.list.len()],
        ];
        for (c, d, focus) in found {
            if let Some(slot) = out[1].get_mut(d) {
                *slot = Some(focus.clone());
            }
            if let Some(slot) = out[0].get_mut(c) {
                *slot = Some(focus);
            }
        }
        out
    }

    /// The plan of [`Engine::class_flows`], its private pairs and their parts.
    fn prepared(
        &self,
        query: &PacketSet,
        marks: Marks<'_>,
    ) -> (FlowPlan<'_>, Vec<(usize, usize)>, PrivateParts<'_>) {
        let plan = self.flow_plan(marks);
        let is = |c: usize| marks.touched(c);
        let jobs = self.private_jobs(&plan.sides, &plan.plain, &is);
        let parts = self.private_parts(&plan.sides, &jobs, query);
        (plan, jobs, parts)
    }

    /// The sides [`Engine::class_flows`] needs, and which of them open
    /// connections freely (`plain`) or are load-balancer nodes.
    fn flow_plan(&self, marks: Marks<'_>) -> FlowPlan<'_> {
        let needed = self.classes_paired(marks);
        let sides = self.class_sides_where(&|c| needed.get(c) == Some(&true));
        let owner = |i: usize| {
            sides
                .get(i)
                .and_then(Option::as_ref)
                .and_then(|s| s.members.first())
                .map(|m| &m.owner)
        };
        let plain: Vec<usize> = (0..sides.len())
            .filter(|&i| {
                owner(i).is_some_and(|o| {
                    !matches!(o, EniOwner::VpcEndpoint(_) | EniOwner::LoadBalancer(_))
                })
            })
            .collect();
        let nodes: Vec<usize> = (0..sides.len())
            .filter(|&i| matches!(owner(i), Some(EniOwner::LoadBalancer(_))))
            .collect();
        FlowPlan {
            sides,
            plain,
            nodes,
        }
    }

    /// The flows of a plan: the private pairs `jobs` (met from `parts`), the
    /// public paths and the load-balancer nodes' flows with a touched end.
    fn planned_flows(
        &self,
        plan: &FlowPlan<'_>,
        jobs: PrivateJobs<'_, '_>,
        query: &PacketSet,
        marks: Marks<'_>,
    ) -> Vec<ClassFlow> {
        let is = |c: usize| marks.touched(c);
        let keep = |(a, b, _): &(usize, usize, PacketSet)| is(*a) || is(*b);
        let tag = |kind: ClassPath| {
            move |(a, b, packets): (usize, usize, PacketSet)| ClassFlow {
                src: ClassId(a),
                dst: ClassId(b),
                kind,
                packets,
            }
        };
        let mut out: Vec<ClassFlow> = Vec::new();
        out.extend(
            self.private_of_jobs(&plan.sides, jobs, &is)
                .into_iter()
                .map(tag(ClassPath::Private)),
        );
        out.extend(
            self.public_matrix_marked(&plan.sides, &plan.plain, query, marks)
                .into_iter()
                .filter(keep)
                .map(tag(ClassPath::PublicAddress)),
        );
        out.extend(
            self.node_matrix(&plan.sides, &plan.nodes, query, &is)
                .into_iter()
                .map(tag(ClassPath::LoadBalancerNode)),
        );
        out.sort_by_key(|f| (f.src, f.dst, f.kind));
        // A path kind may arrive in parts (one per internet exit): one flow
        // per (source, destination, kind).
        let mut merged: Vec<ClassFlow> = Vec::with_capacity(out.len());
        for flow in out {
            match merged.last_mut() {
                Some(last)
                    if (last.src, last.dst, last.kind) == (flow.src, flow.dst, flow.kind) =>
                {
                    last.packets = last.packets.union(&flow.packets);
                }
                _ => merged.push(flow),
            }
        }
        merged
    }

    /// Private paths between classes of connected VPCs.
    fn private_matrix(
        &self,
        sides: &[Option<Side<'_>>],
        sources: &[usize],
        query: &PacketSet,
    ) -> Vec<(usize, usize, PacketSet)> {
        self.private_matrix_where(sides, sources, query, &|_| true)
    }

    /// [`Self::private_matrix`] over the pairs with an end `touched` accepts
    /// (every pair when it accepts every class).
    fn private_matrix_where(
        &self,
        sides: &[Option<Side<'_>>],
        sources: &[usize],
        query: &PacketSet,
        touched: &(dyn Fn(usize) -> bool + Sync),
    ) -> Vec<(usize, usize, PacketSet)> {
        let jobs = self.private_jobs(sides, sources, touched);
        let parts = self.private_parts(sides, &jobs, query);
        self.private_of_jobs(sides, (&jobs, &parts, None), touched)
    }

    /// The class pairs of connected VPCs with an end `touched` accepts.
    fn private_jobs(
        &self,
        sides: &[Option<Side<'_>>],
        sources: &[usize],
        touched: &(dyn Fn(usize) -> bool + Sync),
    ) -> Vec<(usize, usize)> {
        // Destinations by VPC: all of them for a touched source, the touched
        // ones for the others.
        let mut by_vpc: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut touched_by_vpc: HashMap<&str, Vec<usize>> = HashMap::new();
        for (b, side) in sides.iter().enumerate() {
            if let Some(side) = side {
                by_vpc.entry(side.subnet.vpc.as_str()).or_default().push(b);
                if touched(b) {
                    touched_by_vpc
                        .entry(side.subnet.vpc.as_str())
                        .or_default()
                        .push(b);
                }
            }
        }
        sources
            .iter()
            .filter_map(|&a| Some((a, sides.get(a)?.as_ref()?.subnet.vpc.as_str())))
            .flat_map(|(a, sv)| {
                let targets = if touched(a) { &by_vpc } else { &touched_by_vpc };
                targets
                    .iter()
                    .filter(move |(dv, _)| self.topology.vpcs_connected(sv, dv))
                    .flat_map(move |(_, bs)| bs.iter().map(move |&b| (a, b)))
            })
            .collect()
    }

    /// The private paths of the class pairs `jobs`, met from `parts`; the
    /// pairs that exchange nothing are left out.
    fn private_of_jobs(
        &self,
        sides: &[Option<Side<'_>>],
        (jobs, parts, focus): PrivateJobs<'_, '_>,
        touched: &(dyn Fn(usize) -> bool + Sync),
    ) -> Vec<(usize, usize, PacketSet)> {
        // A touched source meets the classes of each destination subnet
        // through one piece (its end and the subnets' routes); a touched
        // destination likewise meets the untouched sources of each subnet.
        let subnet = |c: usize| {
            sides
                .get(c)
                .and_then(Option::as_ref)
                .map(|s| s.subnet.meta.id.as_str())
        };
        let mut groups: HashMap<(usize, bool, &str), Vec<usize>> = HashMap::new();
        for &(a, b) in jobs {
            let (key, other) = if touched(a) {
                ((a, true, subnet(b)), b)
            } else {
                ((b, false, subnet(a)), a)
            };
            if let (fixed, as_source, Some(other_subnet)) = key {
                groups
                    .entry((fixed, as_source, other_subnet))
                    .or_default()
                    .push(other);
            }
        }
        let groups: Vec<_> = groups.into_iter().collect();
        groups
            .par_iter()
            .flat_map_iter(|&((fixed, as_source, _), ref others)| {
                self.private_meet_group(parts, sides, (fixed, as_source), others, focus)
            })
            .collect()
    }

    /// Paths to public addresses: each source class's internet egress, met with
    /// each public address's ingress.
    fn public_matrix(
        &self,
        sides: &[Option<Side<'_>>],
        sources: &[usize],
        query: &PacketSet,
    ) -> Vec<(usize, usize, PacketSet)> {
        let every = vec![true; sides.len()];
        let marks = Marks {
            touched: &every,
            public_changed: &[],
            focus: &[],
        };
        self.public_matrix_marked(sides, sources, query, marks)
    }

    /// [`Self::public_matrix`] for a change review: from touched sources to
    /// every class (a focused source only its focus towards the classes
    /// whose public addresses did not change), and from the other sources
    /// to the classes whose public addresses changed.
    fn public_matrix_marked(
        &self,
        sides: &[Option<Side<'_>>],
        sources: &[usize],
        query: &PacketSet,
        marks: Marks<'_>,
    ) -> Vec<(usize, usize, PacketSet)> {
        let changed = |b: usize| marks.public_changed(b);
        let unchanged = |b: usize| !marks.public_changed(b);
        // An untouched or quiet source matters only towards changed public
        // addresses.
        let any_changed = (0..sides.len()).any(changed);
        let sources: Vec<(usize, &Side<'_>)> = sources
            .iter()
            .filter(|&&a| any_changed || marks.loud(a))
            .filter_map(|&a| Some((a, sides.get(a)?.as_ref()?)))
            .filter(|(_, s)| self.topology.has_exit(&s.subnet.meta.id))
            .collect();
        if sources.is_empty() {
            return Vec::new();
        }
        // What each source meets the unchanged public addresses with:
        // everything (`None` with `full`), its focus, or nothing.
        let focus: Vec<Option<PacketSet>> = sources
            .iter()
            .map(|&(a, _)| {
                let f = marks.focus(a).filter(|f| marks.touched(a) && !f.is_empty());
                f.map(|f| query.intersect(f))
            })
            .collect();
        let full_source = |a: usize| marks.touched(a) && marks.focus(a).is_none();
        // With one source met in full, every public address is needed in
        // full; else the unchanged ones only for what the focused sources
        // put on the internet.
        let everything = sources.iter().any(|&(a, _)| full_source(a));
        let full = self.internet_side_of(sides, &|b| everything || changed(b), &PacketSet::all());
        let narrow_side;
        let narrow = if everything || focus.iter().all(Option::is_none) {
            &full
        } else {
            let scope = sources
                .par_iter()
                .zip(&focus)
                .filter_map(|(&(_, s), f)| Some(self.internet_scope(s, f.as_ref()?)))
                .reduce(PacketSet::empty, |x, y| x.union(&y));
            narrow_side = self.internet_side_of(sides, &unchanged, &scope);
            &narrow_side
        };
        sources
            .par_iter()
            .zip(&focus)
            .flat_map_iter(|(&(a, s), f)| {
                let mut found = Vec::new();
                if full_source(a) {
                    found = self.public_packets(s, query, &full, &|_| true);
                } else {
                    if any_changed {
                        found = self.public_packets(s, query, &full, &changed);
                    }
                    if let Some(f) = f {
                        found.extend(self.public_packets(s, f, narrow, &unchanged));
                    }
                }
                found.into_iter().map(move |(b, packets)| (a, b, packets))
            })
            .collect()
    }

    /// Load-balancer nodes connect only to their load balancer's targets.
    /// Only the pairs with an end `touched` accepts.
    fn node_matrix(
        &self,
        sides: &[Option<Side<'_>>],
        nodes: &[usize],
        query: &PacketSet,
        touched: &(dyn Fn(usize) -> bool + Sync),
    ) -> Vec<(usize, usize, PacketSet)> {
        nodes
            .par_iter()
            .filter_map(|&a| Some((a, sides.get(a)?.as_ref()?)))
            .flat_map_iter(|(a, s)| {
                let every = touched(a);
                self.node_pairs(s, query, &|b| every || touched(b))
                    .into_iter()
                    .map(move |(b, packets)| (a, b, packets))
            })
            .collect()
    }

    /// What a class of load-balancer nodes opens to the classes of its load
    /// balancer's targets (the only interfaces it connects to), of the target
    /// classes `wanted` accepts.
    pub(super) fn node_pairs(
        &self,
        s: &Side<'_>,
        query: &PacketSet,
        wanted: &dyn Fn(usize) -> bool,
    ) -> Vec<(usize, PacketSet)> {
        let mut out = Vec::new();
        let Some(first) = s.members.first() else {
            return out;
        };
        let EniOwner::LoadBalancer(lb) = &first.owner else {
            return out;
        };
        let Some(lb) = self
            .model
            .load_balancers()
            .iter()
            .position(|l| l.meta.id == *lb)
        else {
            return out;
        };
        let source = Endpoint::Eni(first.meta.id.clone());
        let mut by_class: BTreeMap<ClassId, Vec<&Eni>> = BTreeMap::new();
        let targets = self.lb_members.get(lb).into_iter().flatten();
        for t in targets.filter_map(|id| self.model.eni(id)) {
            if let Some(c) = self.class_of(&t.meta.id)
                && wanted(c.0)
                && self.may_initiate(&source, &Endpoint::Eni(t.meta.id.clone()))
            {
                by_class.entry(c).or_default().push(t);
            }
        }
        for (b, members) in by_class {
            let Some(d) = self.side(members) else {
                continue;
            };
            let packets = self
                .eni_to_eni(s, &d, query, false)
                .into_iter()
                .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets));
            if !packets.is_empty() {
                out.push((b.0, packets));
            }
        }
        out
    }

    /// [`Engine::class_matrix`] the direct way, every class pair through the
    /// full path computation: the oracle the structured version is tested against.
    #[cfg(test)]
    pub(crate) fn class_matrix_pairwise(&self, query: &PacketSet) -> Vec<ClassPair> {
        let sides: Vec<Option<Side<'_>>> = self
            .classes
            .list
            .iter()
            .map(|c| self.class_side(c))
            .collect();
        let n = sides.len();
        (0..n * n)
            .into_par_iter()
            .filter_map(|k| {
                let (i, j) = (k / n, k % n);
                let (Some(Some(s)), Some(Some(d))) = (sides.get(i), sides.get(j)) else {
                    return None;
                };
                // Load-balancer nodes and interface endpoints open connections to
                // few destinations or none: keep the members they may reach.
                let first = s.members.first()?;
                let narrowed;
                let d = if matches!(
                    first.owner,
                    EniOwner::LoadBalancer(_) | EniOwner::VpcEndpoint(_)
                ) {
                    let source = Endpoint::Eni(first.meta.id.clone());
                    let reachable: Vec<_> = d
                        .members
                        .iter()
                        .copied()
                        .filter(|m| self.may_initiate(&source, &Endpoint::Eni(m.meta.id.clone())))
                        .collect();
                    if reachable.len() == d.members.len() {
                        d
                    } else {
                        narrowed = self.side(reachable)?;
                        &narrowed
                    }
                } else {
                    d
                };
                let packets = self
                    .eni_to_eni(s, d, query, false)
                    .into_iter()
                    .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets));
                (!packets.is_empty()).then_some(ClassPair {
                    src: ClassId(i),
                    dst: ClassId(j),
                    packets,
                })
            })
            .collect()
    }
}
