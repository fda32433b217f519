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
use super::meet::{atoms, cuts, plain};
use super::{ClassId, Engine};
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
                for (bits, holders) in meet.iter().zip(&internet.holders) {
                    if !bits.iter().any(|b| *b) {
                        continue;
                    }
                    let here = holders.iter().filter(|(_, ips)| ips.intersects(within));
                    for (class, _) in here {
                        let class = u32::try_from(*class).unwrap_or(u32::MAX);
                        for (row, _) in rows.iter_mut().zip(bits).filter(|(_, b)| **b) {
                            row.push(class);
                        }
                    }
                }
                rows
            })
            .collect();
        let mut by_subnet: HashMap<&str, Vec<usize>> = HashMap::new();
        for (b, side) in sides.iter().enumerate() {
            if let Some(side) = side {
                by_subnet
                    .entry(side.subnet.meta.id.as_str())
                    .or_default()
                    .push(b);
            }
        }
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
        let parts = self.private_parts_for(&sides, &subnet_pairs, &query);
        let per_class: Vec<Vec<Vec<u32>>> = (0..sides.len())
            .into_par_iter()
            .map(|a| {
                let mut rows = vec![Vec::new(); services.len()];
                let Some(Some(s)) = sides.get(a) else {
                    return rows;
                };
                if plain(s) {
                    // The classes of each connected subnet, met through one piece.
                    let connected = self
                        .topology
                        .connected_vpcs(&s.subnet.vpc)
                        .filter_map(|v| subnets_by_vpc.get(v))
                        .flatten()
                        .filter_map(|subnet| by_subnet.get(subnet));
                    for classes in connected {
                        for (_, b, packets) in
                            self.private_meet_group(&parts, &sides, (a, true), classes, None)
                        {
                            push_services(&packets, services, b, &mut rows);
                        }
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
                    for (b, packets) in self.node_pairs(s, &query, &|_| true) {
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
