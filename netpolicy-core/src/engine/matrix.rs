//! The all-pairs matrix as bits: for every pair of interface classes and every
//! service asked, whether anything arrives. Unlike [`Engine::class_matrix`] no
//! packet set is kept per pair, so it stays small where millions of class pairs
//! reach each other (on a large estate, every class with a way out reaches every
//! public web server).
//!
//! Private paths are computed per class pair between the same or peered VPCs
//! only. Paths over public addresses are where the pair count explodes, and they
//! factor: what a source class puts on the internet, and what a public address
//! lets in, are each computed once. Both are then reduced to *shapes*: every
//! source address the destination side cannot tell apart (no rule boundary
//! between them) is replaced by one representative, and the destination address
//! by an interval the source side cannot split. Equal shapes are met once, so
//! the intersections number (distinct egress shapes) x (distinct ingress
//! profiles), not (source classes) x (public interfaces).

use super::flows::Side;
use super::path::HopKind;
use super::{ClassId, Engine};
use crate::model::{EniOwner, RouteTarget};
use crate::packet::{Dim, IntervalSet, PacketSet};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::collections::BTreeSet;

/// Which class pairs exchange which services.
#[derive(Clone, Debug, Default)]
pub struct ServiceMatrix {
    /// Per service asked, per source class: the destination classes reached,
    /// sorted.
    rows: Vec<Vec<Vec<u32>>>,
}

impl ServiceMatrix {
    /// Whether `src` reaches `dst` on the `service`-th service asked.
    pub fn reaches(&self, service: usize, src: ClassId, dst: ClassId) -> bool {
        self.row(service, src)
            .binary_search(&u32::try_from(dst.0).unwrap_or(u32::MAX))
            .is_ok()
    }

    /// The destination classes `src` reaches on the `service`-th service.
    pub fn row(&self, service: usize, src: ClassId) -> &[u32] {
        self.rows
            .get(service)
            .and_then(|r| r.get(src.0))
            .map_or(&[], Vec::as_slice)
    }

    /// How many class pairs exchange the `service`-th service.
    pub fn count(&self, service: usize) -> usize {
        self.rows
            .get(service)
            .map_or(0, |r| r.iter().map(Vec::len).sum())
    }
}

/// A public interface as the internet sees it.
struct PublicTarget {
    class: u32,
    ip: u32,
    /// Index of what it lets in (destination address left open) in the
    /// distinct ingress profiles.
    profile: usize,
}

/// The internet side, shared by every source class.
struct Internet {
    targets: Vec<PublicTarget>,
    profiles: Vec<PacketSet>,
    /// Source-address boundaries of every profile: addresses between two
    /// consecutive ones are alike to every destination.
    boundaries: Vec<u32>,
}

impl<'m> Engine<'m> {
    /// For every pair of classes and each of `services`, whether the source
    /// class opens anything of that service to the destination class directly
    /// (privately or over public addresses; load balancers as in
    /// [`Engine::class_matrix`], with which it agrees pair for pair). In parallel.
    pub fn service_matrix(&self, services: &[PacketSet]) -> ServiceMatrix {
        let sides = self.class_sides();
        let query = services
            .iter()
            .fold(PacketSet::empty(), |acc, q| acc.union(q));
        let internet = self.internet_side(&sides);
        let egress: Vec<Vec<(PacketSet, IntervalSet)>> = sides
            .par_iter()
            .map(|s| match s {
                Some(s) if plain(s) => self.egress_shapes(s, &query, &internet.boundaries),
                _ => Vec::new(),
            })
            .collect();
        // Distinct egress shapes, each met with every ingress profile once.
        let mut shape_ids: HashMap<&PacketSet, usize> = HashMap::new();
        let mut shapes: Vec<&PacketSet> = Vec::new();
        for (shape, _) in egress.iter().flatten() {
            shape_ids.entry(shape).or_insert_with(|| {
                shapes.push(shape);
                shapes.len() - 1
            });
        }
        let meets: Vec<Vec<Vec<bool>>> = shapes
            .par_iter()
            .map(|shape| {
                internet
                    .profiles
                    .iter()
                    .map(|profile| {
                        let both = shape.intersect(profile);
                        services.iter().map(|q| both.intersects(q)).collect()
                    })
                    .collect()
            })
            .collect();
        // The destination classes of each (shape, public addresses) met, once.
        let mut key_ids: HashMap<(usize, &IntervalSet), usize> = HashMap::new();
        let mut keys: Vec<(usize, &IntervalSet)> = Vec::new();
        for (shape, within) in egress.iter().flatten() {
            if let Some(&id) = shape_ids.get(shape) {
                key_ids.entry((id, within)).or_insert_with(|| {
                    keys.push((id, within));
                    keys.len() - 1
                });
            }
        }
        let public_rows: Vec<Vec<Vec<u32>>> = keys
            .par_iter()
            .map(|&(shape, within)| {
                let mut rows = vec![Vec::new(); services.len()];
                let Some(meet) = meets.get(shape) else {
                    return rows;
                };
                for t in &internet.targets {
                    let Some(bits) = meet.get(t.profile) else {
                        continue;
                    };
                    if bits.iter().any(|b| *b) && within.contains(t.ip) {
                        for (row, _) in rows.iter_mut().zip(bits).filter(|(_, b)| **b) {
                            row.push(t.class);
                        }
                    }
                }
                rows
            })
            .collect();
        let mut by_vpc: HashMap<&str, Vec<usize>> = HashMap::new();
        for (b, side) in sides.iter().enumerate() {
            if let Some(side) = side {
                by_vpc.entry(side.subnet.vpc.as_str()).or_default().push(b);
            }
        }
        // A private path's packets are what the source class sends (its
        // security groups, its subnet's NACL when the path leaves the subnet),
        // what the destination class admits (likewise), and what the two
        // subnets' route tables carry there and back: each computed once, met
        // per class pair.
        let ends: Vec<Ends> = sides
            .par_iter()
            .map(|s| s.as_ref().map(|s| self.ends(s, &query)).unwrap_or_default())
            .collect();
        // Route pairs by subnet, not by class pair: a subnet holds many classes.
        let mut subnets_by_vpc: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for side in sides.iter().flatten() {
            subnets_by_vpc
                .entry(side.subnet.vpc.as_str())
                .or_default()
                .insert(side.subnet.meta.id.as_str());
        }
        let sending: BTreeSet<(&str, &str)> = sides
            .iter()
            .flatten()
            .filter(|s| plain(s))
            .map(|s| (s.subnet.vpc.as_str(), s.subnet.meta.id.as_str()))
            .collect();
        let mut subnet_pairs: Vec<(&str, &str)> = sending
            .iter()
            .flat_map(|&(vpc, a)| {
                self.topology
                    .connected_vpcs(vpc)
                    .filter_map(|v| subnets_by_vpc.get(v))
                    .flatten()
                    .filter(move |&&b| b != a)
                    .map(move |&b| (a, b))
            })
            .collect();
        subnet_pairs.sort_unstable();
        subnet_pairs.dedup();
        let routes: HashMap<(&str, &str), PacketSet> = subnet_pairs
            .par_iter()
            .map(|&(a, b)| ((a, b), self.routes_between(a, b)))
            .collect();
        // Pairs a NAT gateway joins: the destination sees the NAT's address, so
        // the ends above do not meet; the path itself decides them.
        let via_nat: BTreeSet<(&str, &str)> = subnet_pairs
            .par_iter()
            .filter(|&&(a, b)| self.nat_onward(a, b))
            .copied()
            .collect();
        let per_class: Vec<Vec<Vec<u32>>> = (0..sides.len())
            .into_par_iter()
            .map(|a| {
                let mut rows = vec![Vec::new(); services.len()];
                let Some(Some(s)) = sides.get(a) else {
                    return rows;
                };
                if plain(s) {
                    let connected = self
                        .topology
                        .connected_vpcs(&s.subnet.vpc)
                        .filter_map(|v| by_vpc.get(v))
                        .flatten();
                    let Some(from) = ends.get(a) else {
                        return rows;
                    };
                    for &b in connected {
                        let (Some(Some(d)), Some(to)) = (sides.get(b), ends.get(b)) else {
                            continue;
                        };
                        let (sa, sb) = (s.subnet.meta.id.as_str(), d.subnet.meta.id.as_str());
                        if via_nat.contains(&(sa, sb)) {
                            let packets = self.private(s, d, &query, false).packets;
                            push_services(&packets, services, b, &mut rows);
                            continue;
                        }
                        // Most pairs do not meet: ask that first, without building sets.
                        let (out, into) = if sa == sb {
                            (&from.send_local, &to.admit_local)
                        } else {
                            (&from.send, &to.admit)
                        };
                        if !out.intersects(into) {
                            continue;
                        }
                        let packets = if sa == sb {
                            from.send_local.intersect(&to.admit_local)
                        } else {
                            let met = from.send.intersect(&to.admit);
                            match routes.get(&(sa, sb)) {
                                Some(r) if !met.is_empty() => met.intersect(r),
                                _ => PacketSet::empty(),
                            }
                        };
                        push_services(&packets, services, b, &mut rows);
                    }
                    for (shape, within) in egress.get(a).into_iter().flatten() {
                        let public = shape_ids
                            .get(shape)
                            .and_then(|&id| key_ids.get(&(id, within)))
                            .and_then(|&k| public_rows.get(k));
                        for (row, extra) in rows.iter_mut().zip(public.into_iter().flatten()) {
                            row.extend_from_slice(extra);
                        }
                    }
                } else {
                    for (b, packets) in self.node_pairs(s, &query) {
                        push_services(&packets, services, b, &mut rows);
                    }
                }
                for row in &mut rows {
                    row.sort_unstable();
                    row.dedup();
                }
                rows
            })
            .collect();
        let mut rows = vec![Vec::with_capacity(per_class.len()); services.len()];
        for class_rows in per_class {
            for (k, row) in class_rows.into_iter().enumerate() {
                if let Some(r) = rows.get_mut(k) {
                    r.push(row);
                }
            }
        }
        ServiceMatrix { rows }
    }

    /// Every public interface reachable through an internet gateway, what it
    /// lets in, and the source-address boundaries that matter to any of them.
    fn internet_side(&self, sides: &[Option<Side<'_>>]) -> Internet {
        let opened: Vec<(u32, u32, PacketSet)> = self
            .public_ingress(sides)
            .into_par_iter()
            .filter_map(|(b, ip, open)| {
                let ip = u32::from(ip);
                let profile = open.preimage_of_rewrite(Dim::DstAddr, ip);
                (!profile.is_empty()).then(|| (u32::try_from(b).unwrap_or(u32::MAX), ip, profile))
            })
            .collect();
        let mut ids: HashMap<PacketSet, usize> = HashMap::new();
        let mut profiles = Vec::new();
        let mut targets = Vec::with_capacity(opened.len());
        for (class, ip, open) in opened {
            let profile = *ids.entry(open).or_insert_with_key(|open| {
                profiles.push(open.clone());
                profiles.len() - 1
            });
            targets.push(PublicTarget { class, ip, profile });
        }
        let mut boundaries: Vec<u32> = profiles
            .iter()
            .flat_map(|p| p.cubes().iter())
            .flat_map(|c| c.get(Dim::SrcAddr).ranges().iter())
            .flat_map(|&(lo, hi)| [lo, hi.saturating_add(1)])
            .chain([0])
            .collect();
        boundaries.sort_unstable();
        boundaries.dedup();
        if profiles.is_empty() {
            profiles.push(PacketSet::empty());
        }
        Internet {
            targets,
            profiles,
            boundaries,
        }
    }

    /// What a source class puts on the internet, as shapes: each with one
    /// representative per source-address atom and the destination address left
    /// open, paired with the public addresses it applies to.
    fn egress_shapes(
        &self,
        s: &Side<'_>,
        query: &PacketSet,
        boundaries: &[u32],
    ) -> Vec<(PacketSet, IntervalSet)> {
        if !self.topology.has_exit(&s.subnet.meta.id) {
            return Vec::new();
        }
        let mut w = Self::walk(false);
        let set = query.restrict(Dim::SrcAddr, &s.addrs);
        let mut out = Vec::new();
        for (_, translated, _) in self.egress_internet(&mut w, s, &set) {
            for (atom, rep) in atoms(&translated.project(Dim::SrcAddr), boundaries) {
                let alike = translated
                    .restrict(Dim::SrcAddr, &atom)
                    .with_value(Dim::SrcAddr, rep);
                let dst_cuts: Vec<u32> = cuts(&alike, Dim::DstAddr);
                for (within, first) in atoms(&Dim::DstAddr.full(), &dst_cuts) {
                    let shape = alike.preimage_of_rewrite(Dim::DstAddr, first);
                    if !shape.is_empty() {
                        out.push((shape, within));
                    }
                }
            }
        }
        out
    }
}

/// One class's ends of its private paths.
#[derive(Default)]
struct Ends {
    /// Sent past its security groups, within its subnet.
    send_local: PacketSet,
    /// Sent out of its subnet: its subnet's NACL too, the reply included.
    send: PacketSet,
    /// Admitted by its security groups from its subnet.
    admit_local: PacketSet,
    /// Admitted from other subnets: its subnet's NACL too, the reply included.
    admit: PacketSet,
}

impl Engine<'_> {
    fn ends(&self, s: &Side<'_>, query: &PacketSet) -> Ends {
        let send_local = query.restrict(Dim::SrcAddr, &s.addrs).intersect(s.egress);
        let admit_local = s.ingress.restrict(Dim::DstAddr, &s.addrs);
        let Some(acl) = self.nacls.for_subnet(&s.subnet.meta.id) else {
            // No NACL: nothing crosses the subnet's edge.
            return Ends {
                send_local,
                admit_local,
                ..Ends::default()
            };
        };
        Ends {
            send: send_local
                .intersect(&acl.egress.allowed)
                .intersect(&acl.ingress.allowed_replies),
            admit: admit_local
                .intersect(&acl.ingress.allowed)
                .intersect(&acl.egress.allowed_replies),
            send_local,
            admit_local,
        }
    }

    /// Subnets `a` and `b`, and every packet from an address of `a` to one of `b`.
    fn subnet_pair(
        &self,
        a: &str,
        b: &str,
    ) -> Option<(&crate::model::Subnet, &crate::model::Subnet, PacketSet)> {
        let (sa, sb) = (self.model.subnet(a)?, self.model.subnet(b)?);
        let set = PacketSet::all()
            .restrict(Dim::SrcAddr, &super::rules::cidr_set(&sa.cidr))
            .restrict(Dim::DstAddr, &super::rules::cidr_set(&sb.cidr));
        Some((sa, sb, set))
    }

    /// The (source, destination) addresses of subnet `a` and subnet `b` that
    /// `a`'s table routes towards `b` (locally or over a peering with `b`'s VPC)
    /// and `b`'s table routes back the same way.
    fn routes_between(&self, a: &str, b: &str) -> PacketSet {
        let Some((sa, sb, set)) = self.subnet_pair(a, b) else {
            return PacketSet::empty();
        };
        let (sv, dv) = (sa.vpc.as_str(), sb.vpc.as_str());
        let mut w = Self::walk(false);
        let forward = self.routed(&mut w, HopKind::Route, a, &set, Dim::DstAddr, |t| {
            (*t == RouteTarget::Local && sv == dv) || self.active_peering_between(t, sv, dv)
        });
        let mut out = PacketSet::empty();
        for (target, part) in forward {
            out = out.union(&self.returned(&mut w, b, &part, |t| *t == target));
        }
        out
    }
}

impl Engine<'_> {
    /// Whether subnet `a`'s table sends some address of subnet `b` to a NAT
    /// gateway whose subnet routes it onward towards `b` privately (locally or
    /// over a peering with `b`'s VPC).
    fn nat_onward(&self, a: &str, b: &str) -> bool {
        let Some((_, sb, set)) = self.subnet_pair(a, b) else {
            return false;
        };
        let mut w = Self::walk(false);
        let to_nat = self.routed(&mut w, HopKind::Route, a, &set, Dim::DstAddr, |t| {
            matches!(t, RouteTarget::NatGateway(_))
        });
        to_nat.into_iter().any(|(target, part)| {
            let RouteTarget::NatGateway(n) = target else {
                return false;
            };
            let Some(nat) = self.model.nat_gateway(&n) else {
                return false;
            };
            let nv = self
                .model
                .subnet(&nat.subnet)
                .map(|s| s.vpc.as_str())
                .unwrap_or_default();
            let dv = sb.vpc.as_str();
            !self
                .routed(
                    &mut w,
                    HopKind::Route,
                    &nat.subnet,
                    &part,
                    Dim::DstAddr,
                    |t| {
                        (*t == RouteTarget::Local && nv == dv)
                            || self.active_peering_between(t, nv, dv)
                    },
                )
                .is_empty()
        })
    }
}

/// Whether a class opens connections freely (not load-balancer nodes, which
/// open them to their targets only, nor interface endpoints, which open none).
fn plain(s: &Side<'_>) -> bool {
    s.members.first().is_some_and(|m| {
        !matches!(
            m.owner,
            EniOwner::LoadBalancer(_) | EniOwner::VpcEndpoint(_)
        )
    })
}

/// Marks `b` in the row of every service `packets` carries some of.
fn push_services(packets: &PacketSet, services: &[PacketSet], b: usize, rows: &mut [Vec<u32>]) {
    if packets.is_empty() {
        return;
    }
    let b = u32::try_from(b).unwrap_or(u32::MAX);
    for (row, q) in rows.iter_mut().zip(services) {
        if packets.intersects(q) {
            row.push(b);
        }
    }
}

/// Where `dim`'s intervals start or end over the set's cubes.
fn cuts(set: &PacketSet, dim: Dim) -> Vec<u32> {
    let mut out: Vec<u32> = set
        .cubes()
        .iter()
        .flat_map(|c| c.get(dim).ranges().iter())
        .flat_map(|&(lo, hi)| [lo, hi.saturating_add(1)])
        .chain([0])
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `values` split at `boundaries` (sorted, starting at 0): each piece with its
/// first value.
fn atoms(values: &IntervalSet, boundaries: &[u32]) -> Vec<(IntervalSet, u32)> {
    let mut out = Vec::new();
    for &(lo, hi) in values.ranges() {
        let mut start = lo;
        loop {
            // The next boundary after `start` ends this piece.
            let next = boundaries.partition_point(|&b| b <= start);
            let end = boundaries
                .get(next)
                .map_or(hi, |&b| b.saturating_sub(1).min(hi));
            let piece = IntervalSet::range(start, end);
            // The representative is where the atom begins, so every value in
            // it maps to the same one whichever range it came from.
            let rep = boundaries.get(next.saturating_sub(1)).copied().unwrap_or(0);
            out.push((piece, rep));
            if end >= hi {
                break;
            }
            start = end + 1;
        }
    }
    out
}
