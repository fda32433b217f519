//! ENI equivalence classes: interfaces with the same subnet and security-group set
//! are treated alike by every rule except address-specific ones, so pairwise work
//! runs over classes (with the members' addresses as sets), in parallel.

use super::flows::Side;
use super::{Endpoint, Engine};
use crate::model::{Eni, EniOwner, Model};
use crate::packet::{Dim, IntervalSet, PacketSet};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

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
        self.classes
            .list
            .par_iter()
            .map(|c| self.class_side(c))
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
        found.extend(self.node_matrix(&sides, &nodes, query));
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
    /// others an unchanged source sends and arrives as before). In parallel.
    pub fn class_flows(
        &self,
        query: &PacketSet,
        touched: &[bool],
        public_changed: &[bool],
    ) -> Vec<ClassFlow> {
        let is = |c: usize| touched.get(c).copied().unwrap_or(false);
        let public_is = |c: usize| public_changed.get(c).copied().unwrap_or(false);
        let sides = self.class_sides();
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
            self.private_matrix_where(&sides, &plain, query, &is)
                .into_iter()
                .map(tag(ClassPath::Private)),
        );
        out.extend(
            self.public_matrix_where(&sides, &plain, query, &is, &public_is)
                .into_iter()
                .filter(keep)
                .map(tag(ClassPath::PublicAddress)),
        );
        out.extend(
            self.node_matrix(&sides, &nodes, query)
                .into_iter()
                .filter(keep)
                .map(tag(ClassPath::LoadBalancerNode)),
        );
        out.sort_by_key(|f| (f.src, f.dst, f.kind));
        out
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
        let jobs: Vec<(usize, usize)> = sources
            .iter()
            .filter_map(|&a| Some((a, sides.get(a)?.as_ref()?.subnet.vpc.as_str())))
            .flat_map(|(a, sv)| {
                let targets = if touched(a) { &by_vpc } else { &touched_by_vpc };
                targets
                    .iter()
                    .filter(move |(dv, _)| self.topology.vpcs_connected(sv, dv))
                    .flat_map(move |(_, bs)| bs.iter().map(move |&b| (a, b)))
            })
            .collect();
        jobs.par_iter()
            .filter_map(|&(a, b)| {
                let (Some(Some(s)), Some(Some(d))) = (sides.get(a), sides.get(b)) else {
                    return None;
                };
                let flow = self.private(s, d, query, false);
                (!flow.packets.is_empty()).then_some((a, b, flow.packets))
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
        self.public_matrix_where(sides, sources, query, &|_| true, &|_| true)
    }

    /// [`Self::public_matrix`] from `touched` sources to every class, and
    /// from the other sources to the classes `changed` accepts.
    fn public_matrix_where(
        &self,
        sides: &[Option<Side<'_>>],
        sources: &[usize],
        query: &PacketSet,
        touched: &(dyn Fn(usize) -> bool + Sync),
        changed: &(dyn Fn(usize) -> bool + Sync),
    ) -> Vec<(usize, usize, PacketSet)> {
        let public = self.public_ingress(sides);
        if public.is_empty() {
            return Vec::new();
        }
        let public_ips = IntervalSet::from_ranges(
            public
                .iter()
                .map(|(_, ip, _)| (u32::from(*ip), u32::from(*ip))),
        );
        // An untouched source matters only towards touched public addresses.
        let any_touched_target = public.iter().any(|(b, _, _)| changed(*b));
        sources
            .par_iter()
            .filter(|&&a| any_touched_target || touched(a))
            .filter_map(|&a| Some((a, sides.get(a)?.as_ref()?)))
            .filter(|(_, s)| self.topology.has_exit(&s.subnet.meta.id))
            .flat_map_iter(|(a, s)| {
                let set = query
                    .restrict(Dim::SrcAddr, &s.addrs)
                    .restrict(Dim::DstAddr, &public_ips);
                let mut w = Self::walk(false);
                let exits = self.egress_internet(&mut w, s, &set);
                let mut out = Vec::new();
                let all_targets = touched(a);
                for (b, ip, open) in public.iter().filter(|(b, _, _)| all_targets || changed(*b)) {
                    let total = meet_public(&exits, *ip, open);
                    if !total.is_empty() {
                        out.push((a, *b, total));
                    }
                }
                out
            })
            .collect()
    }

    /// Every public address of the classes' members behind an internet
    /// gateway: (class, address, everything it lets in from the internet).
    pub(super) fn public_ingress(
        &self,
        sides: &[Option<Side<'_>>],
    ) -> Vec<(usize, Ipv4Addr, PacketSet)> {
        let all = PacketSet::all();
        sides
            .par_iter()
            .enumerate()
            .flat_map_iter(|(b, side)| {
                let open = side.iter().flat_map(|d| self.internet_openings(d, &all));
                open.map(move |(_, ip, open)| (b, ip, open))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Load-balancer nodes connect only to their load balancer's targets.
    fn node_matrix(
        &self,
        sides: &[Option<Side<'_>>],
        nodes: &[usize],
        query: &PacketSet,
    ) -> Vec<(usize, usize, PacketSet)> {
        nodes
            .par_iter()
            .filter_map(|&a| Some((a, sides.get(a)?.as_ref()?)))
            .flat_map_iter(|(a, s)| {
                self.node_pairs(s, query)
                    .into_iter()
                    .map(move |(b, packets)| (a, b, packets))
            })
            .collect()
    }

    /// What a class of load-balancer nodes opens to the classes of its load
    /// balancer's targets (the only interfaces it connects to).
    pub(super) fn node_pairs(&self, s: &Side<'_>, query: &PacketSet) -> Vec<(usize, PacketSet)> {
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

/// What a source's internet exits (from `egress_internet`) deliver to the public
/// address `ip`, which lets in `open`: as the source sent it.
pub(super) fn meet_public(
    exits: &[(String, PacketSet, super::flows::Origin)],
    ip: Ipv4Addr,
    open: &PacketSet,
) -> PacketSet {
    let to_ip = IntervalSet::single(u32::from(ip));
    let mut total = PacketSet::empty();
    for (_, translated, origin) in exits {
        let arrived = translated.restrict(Dim::DstAddr, &to_ip).intersect(open);
        if !arrived.is_empty() {
            total = total.union(&origin.restore(&arrived));
        }
    }
    total
}
