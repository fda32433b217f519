//! Where a source class meets a destination class without walking each
//! pair's path: the factorizations [`Engine::service_matrix`] and
//! [`Engine::class_flows`] share, so that the two answer alike.
//!
//! A private path is a chain of restrictions (the source's security groups and
//! NACL, both subnets' routes there and back, the destination's NACL and
//! security groups), so it equals what the source class sends, met with what
//! the destination class admits, met with what the two subnets route between
//! them: each computed once, per class or per subnet pair ([`PrivateParts`]).
//! Only a NAT gateway on the way rewrites a packet; those subnet pairs take the
//! full path. Over the internet, what a source class puts out is cut where its
//! destination intervals change, and each piece meets every distinct profile of
//! what public addresses let in once ([`Internet`]), then is split among the
//! classes holding addresses of that profile. [`Engine::reach_between`],
//! which names each member's exit, meets exits with one public address at a
//! time ([`meet_public`]).

use super::Engine;
use super::flows::{Origin, Side};
use super::path::HopKind;
use crate::model::{EniOwner, RouteTarget};
use crate::packet::{Dim, IntervalSet, PacketSet};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, OnceLock};

/// The internet side, shared by every source class.
pub(super) struct Internet {
    /// The distinct ingress profiles: what a public address lets in, its
    /// own destination address left open.
    pub(super) profiles: Vec<PacketSet>,
    /// Per profile, the classes with public addresses of that profile and
    /// those addresses.
    pub(super) holders: Vec<Vec<(usize, IntervalSet)>>,
    /// Source-address boundaries of every profile: addresses between two
    /// consecutive ones are alike to every destination.
    pub(super) boundaries: Vec<u32>,
}

impl Engine<'_> {
    /// Every public interface reachable through an internet gateway, what it
    /// lets in, and the source-address boundaries that matter to any of them.
    pub(super) fn internet_side(&self, sides: &[Option<Side<'_>>]) -> Internet {
        self.internet_side_of(sides, &|_| true, &PacketSet::all())
    }

    /// [`Self::internet_side`] of the classes `holders` accepts, for the
    /// packets of `scope` only (which must leave destinations free: each
    /// public address lets in `scope` addressed to it).
    pub(super) fn internet_side_of(
        &self,
        sides: &[Option<Side<'_>>],
        holders: &(dyn Fn(usize) -> bool + Sync),
        scope: &PacketSet,
    ) -> Internet {
        let opened: Vec<(usize, u32, PacketSet)> = self
            .public_ingress(sides, holders, scope)
            .into_par_iter()
            .filter_map(|(b, ip, open)| {
                let ip = u32::from(ip);
                let profile = open.preimage_of_rewrite(Dim::DstAddr, ip);
                (!profile.is_empty()).then_some((b, ip, profile))
            })
            .collect();
        let mut ids: HashMap<PacketSet, usize> = HashMap::new();
        let mut profiles = Vec::new();
        let mut by_class: Vec<BTreeMap<usize, Vec<(u32, u32)>>> = Vec::new();
        for (class, ip, open) in opened {
            let profile = *ids.entry(open).or_insert_with_key(|open| {
                profiles.push(open.clone());
                by_class.push(BTreeMap::new());
                profiles.len() - 1
            });
            if let Some(group) = by_class.get_mut(profile) {
                group.entry(class).or_default().push((ip, ip));
            }
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
        let holders = by_class
            .into_iter()
            .map(|group| {
                group
                    .into_iter()
                    .map(|(class, ips)| (class, IntervalSet::from_ranges(ips)))
                    .collect()
            })
            .collect();
        Internet {
            profiles,
            holders,
            boundaries,
        }
    }

    /// Every public address of the classes' members behind an internet
    /// gateway, of the classes `holders` accepts: (class, address, what of
    /// `scope` it lets in from the internet).
    fn public_ingress(
        &self,
        sides: &[Option<Side<'_>>],
        holders: &(dyn Fn(usize) -> bool + Sync),
        scope: &PacketSet,
    ) -> Vec<(usize, Ipv4Addr, PacketSet)> {
        sides
            .par_iter()
            .enumerate()
            .filter(|(b, _)| holders(*b))
            .flat_map_iter(|(b, side)| {
                let open = side.iter().flat_map(|d| self.internet_openings(d, scope));
                open.map(move |(_, ip, open)| (b, ip, open))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// What the members of `s` send of `query` onto the internet, per exit
    /// (see `egress_internet`); nothing without a way out.
    pub(super) fn internet_egress(
        &self,
        s: &Side<'_>,
        query: &PacketSet,
    ) -> Vec<(String, PacketSet, Origin)> {
        if !self.topology.has_exit(&s.subnet.meta.id) {
            return Vec::new();
        }
        let mut w = Self::walk(false);
        let set = query.restrict(Dim::SrcAddr, &s.addrs);
        self.egress_internet(&mut w, s, &set)
    }

    /// Everything of `query` the members of `s` put on the internet, to any
    /// destination: the scope of an internet side that needs to answer for
    /// these packets only.
    pub(super) fn internet_scope(&self, s: &Side<'_>, query: &PacketSet) -> PacketSet {
        self.internet_egress(s, query)
            .iter()
            .fold(PacketSet::empty(), |acc, (_, translated, _)| {
                acc.union(&translated.forget(Dim::DstAddr))
            })
    }

    /// What source class `s` opens over the internet to the public addresses
    /// of the classes `wanted` accepts, per destination class, as the source
    /// members send it (the destination address is the public one). Several
    /// entries may name one class: the caller unions them.
    pub(super) fn public_packets(
        &self,
        s: &Side<'_>,
        query: &PacketSet,
        internet: &Internet,
        wanted: &dyn Fn(usize) -> bool,
    ) -> Vec<(usize, PacketSet)> {
        let mut out = Vec::new();
        for (_, translated, origin) in self.internet_egress(s, query) {
            // Within one piece every destination address is alike to the
            // source side, so the piece meets each profile once.
            let dst_cuts = cuts(&translated, Dim::DstAddr);
            for (within, first) in atoms(&translated.project(Dim::DstAddr), &dst_cuts) {
                let shape = translated.preimage_of_rewrite(Dim::DstAddr, first);
                for (profile, holders) in internet.profiles.iter().zip(&internet.holders) {
                    let here: Vec<(usize, IntervalSet)> = holders
                        .iter()
                        .filter(|(class, _)| wanted(*class))
                        .map(|(class, ips)| (*class, ips.intersect(&within)))
                        .filter(|(_, ips)| !ips.is_empty())
                        .collect();
                    if here.is_empty() || !shape.intersects(profile) {
                        continue;
                    }
                    let met = origin.restore(&shape.intersect(profile));
                    for (class, ips) in here {
                        let arrived = met.restrict(Dim::DstAddr, &ips);
                        if !arrived.is_empty() {
                            out.push((class, arrived));
                        }
                    }
                }
            }
        }
        out
    }
}

/// The packets a source sends that leave for the internet differently
/// through `old` exits than through `new` ones (from `egress_internet`), as
/// the source sends them; `None` when the exits or their translations differ,
/// so that any packet may arrive differently. Outside this set a packet
/// leaves through the same exit, translated alike, on both sides.
pub(super) fn egress_difference(
    old: &[(String, PacketSet, Origin)],
    new: &[(String, PacketSet, Origin)],
) -> Option<PacketSet> {
    if old.len() != new.len() {
        return None;
    }
    let mut out = PacketSet::empty();
    for ((g, p, o), (h, q, n)) in old.iter().zip(new) {
        if g != h {
            return None;
        }
        let moved = p.symmetric_difference(q);
        let sent = match (o, n) {
            (Origin::Address(a), Origin::Address(b)) if a == b => {
                moved.with_value(Dim::SrcAddr, u32::from(*a))
            }
            (
                Origin::Translated {
                    entered: e,
                    public: a,
                },
                Origin::Translated {
                    entered: f,
                    public: b,
                },
            ) if a == b => e
                .symmetric_difference(f)
                .union(&moved.preimage_of_rewrite(Dim::SrcAddr, u32::from(*a))),
            _ => return None,
        };
        out = out.union(&sent);
    }
    Some(out)
}

/// What a source's internet exits (from `egress_internet`) deliver to the public
/// address `ip`, which lets in `open`: as the source sent it.
pub(super) fn meet_public(
    exits: &[(String, PacketSet, Origin)],
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

impl Ends {
    /// The end a private path takes from this class: what it sends (as the
    /// `source`) or admits, `local`ly within its subnet or from others.
    fn role(&self, source: bool, local: bool) -> &PacketSet {
        match (source, local) {
            (true, true) => &self.send_local,
            (true, false) => &self.send,
            (false, true) => &self.admit_local,
            (false, false) => &self.admit,
        }
    }
}

/// A set holding every packet that the ends built from `x` and from `y`
/// (see [`Engine::ends`]) hold on one side only: each end is a meet of its
/// inputs, so it differs only where one of its inputs does. Wider than the
/// exact difference, but made of the inputs' differences, which are small
/// where the change is (a rule, a NACL entry), where the ends' own
/// difference is cut into many pieces. `None` when the addresses differ or
/// one side has a NACL and the other none.
fn ends_delta(x: EndInputs<'_>, y: EndInputs<'_>) -> Option<Ends> {
    if x.0 != y.0 {
        return None;
    }
    let differ = |a: &PacketSet, b: &PacketSet| {
        if a == b {
            PacketSet::empty()
        } else {
            a.symmetric_difference(b)
        }
    };
    let (egress, ingress) = (differ(x.1, y.1), differ(x.2, y.2));
    let acl = match (x.3, y.3) {
        (Some(a), Some(b)) => [0, 1, 2, 3].map(|i| differ(a[i], b[i])),
        (None, None) => Default::default(),
        _ => return None,
    };
    let [
        acl_egress,
        acl_ingress_replies,
        acl_ingress,
        acl_egress_replies,
    ] = &acl;
    Some(Ends {
        send: egress.union(acl_egress).union(acl_ingress_replies),
        admit: ingress.union(acl_ingress).union(acl_egress_replies),
        send_local: egress,
        admit_local: ingress,
    })
}

impl Engine<'_> {
    fn ends(&self, s: &Side<'_>, query: &PacketSet) -> Ends {
        let send_local = query.restrict(Dim::SrcAddr, &s.addrs).intersect(s.egress);
        let admit_local = s.ingress.restrict(Dim::DstAddr, &s.addrs);
        Ends {
            send: self.past_nacl(s, &send_local, true),
            admit: self.past_nacl(s, &admit_local, false),
            send_local,
            admit_local,
        }
    }

    /// What of `own` (packets class `s`'s security groups let it send, as
    /// the `source`, or admit) crosses its subnet's edge: its NACL that way,
    /// the reply included. No NACL: nothing crosses.
    fn past_nacl(&self, s: &Side<'_>, own: &PacketSet, source: bool) -> PacketSet {
        let Some(acl) = self.nacls.for_subnet(&s.subnet.meta.id) else {
            return PacketSet::empty();
        };
        if source {
            own.intersect(&acl.egress.allowed)
                .intersect(&acl.ingress.allowed_replies)
        } else {
            own.intersect(&acl.ingress.allowed)
                .intersect(&acl.egress.allowed_replies)
        }
    }

    /// `set` met with one end of class `s` (see [`Ends::role`]), from the
    /// end's inputs: the same packets as building the end and meeting it,
    /// cheaper when `set` is small.
    fn meet_end(
        &self,
        s: &Side<'_>,
        query: &PacketSet,
        set: &PacketSet,
        (source, local): (bool, bool),
    ) -> PacketSet {
        let own = if source {
            set.restrict(Dim::SrcAddr, &s.addrs)
                .intersect(query)
                .intersect(s.egress)
        } else {
            set.restrict(Dim::DstAddr, &s.addrs).intersect(&s.ingress)
        };
        if local || own.is_empty() {
            return own;
        }
        self.past_nacl(s, &own, source)
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

/// The pieces of private paths between chosen class pairs: each class's
/// ends (built when first asked), each subnet pair's routes, and the subnet
/// pairs a NAT gateway joins.
pub(super) struct PrivateParts<'e> {
    ends: Vec<OnceLock<Ends>>,
    /// The query the ends are built for.
    query: PacketSet,
    routes: HashMap<(&'e str, &'e str), PacketSet>,
    via_nat: HashSet<(&'e str, &'e str)>,
}

impl<'e> Engine<'e> {
    /// The pieces for the class pairs `pairs` of `sides` (routes only for
    /// their subnet pairs). In parallel.
    pub(super) fn private_parts(
        &'e self,
        sides: &[Option<Side<'e>>],
        pairs: &[(usize, usize)],
        query: &PacketSet,
    ) -> PrivateParts<'e> {
        let mut subnet_pairs: Vec<(&'e str, &'e str)> = Vec::new();
        for &pair in pairs {
            if let Some((sa, sb)) = subnets(sides, pair)
                && sa != sb
            {
                subnet_pairs.push((sa, sb));
            }
        }
        subnet_pairs.sort_unstable();
        subnet_pairs.dedup();
        self.private_parts_for(sides, &subnet_pairs, query)
    }

    /// The pieces for the classes of `sides` and the `subnet_pairs` (sorted,
    /// distinct). In parallel.
    pub(super) fn private_parts_for(
        &'e self,
        sides: &[Option<Side<'e>>],
        subnet_pairs: &[(&'e str, &'e str)],
        query: &PacketSet,
    ) -> PrivateParts<'e> {
        let routes = subnet_pairs
            .par_iter()
            .map(|&(a, b)| ((a, b), self.routes_between(a, b)))
            .collect();
        let via_nat = subnet_pairs
            .par_iter()
            .filter(|&&(a, b)| self.nat_onward(a, b))
            .copied()
            .collect();
        PrivateParts {
            ends: sides.iter().map(|_| OnceLock::new()).collect(),
            query: query.clone(),
            routes,
            via_nat,
        }
    }

    /// The ends of class `c` (side `s`), built once.
    fn end<'p>(&self, parts: &'p PrivateParts<'_>, c: usize, s: &Side<'_>) -> Option<&'p Ends> {
        Some(
            parts
                .ends
                .get(c)?
                .get_or_init(|| self.ends(s, &parts.query)),
        )
    }

    /// What the ends of a class are made of: its addresses, what its
    /// security groups send and admit, and its subnet's NACL. Alike inputs
    /// give alike ends without building them.
    fn end_inputs<'s>(&'s self, s: &'s Side<'_>) -> EndInputs<'s> {
        let acl = self.nacls.for_subnet(&s.subnet.meta.id).map(|acl| {
            [
                &acl.egress.allowed,
                &acl.ingress.allowed_replies,
                &acl.ingress.allowed,
                &acl.egress.allowed_replies,
            ]
        });
        (&s.addrs, s.egress, s.ingress.as_ref(), acl)
    }

    /// What class `fixed` opens privately to `others`, classes of one
    /// subnet (or they to it, when `fixed` is not `as_source`): the same
    /// packets as [`Engine::private`] pair by pair, met from the parts. A
    /// private path is a chain of restrictions, so it is what the source
    /// sends, met with what the destination admits and what the two subnets
    /// route between them; the fixed end and the routes are met once. Subnet
    /// pairs a NAT gateway joins take the full path. The pairs that exchange
    /// something, as (source, destination, packets); a pair `focus` names
    /// carries only its packets that may differ across a change.
    pub(super) fn private_meet_group(
        &self,
        parts: &PrivateParts<'_>,
        sides: &[Option<Side<'_>>],
        (fixed, as_source): (usize, bool),
        others: &[usize],
        focus: Option<&PrivateFocus>,
    ) -> Vec<(usize, usize, PacketSet)> {
        let side = |c: usize| sides.get(c).and_then(Option::as_ref);
        let ordered = |other: usize| {
            if as_source {
                (fixed, other)
            } else {
                (other, fixed)
            }
        };
        let Some((sa, sb)) = others.first().and_then(|&o| subnets(sides, ordered(o))) else {
            return Vec::new();
        };
        if parts.via_nat.contains(&(sa, sb)) {
            return others
                .iter()
                .filter_map(|&other| {
                    let (a, b) = ordered(other);
                    let packets = self
                        .private(side(a)?, side(b)?, &parts.query, false)
                        .packets;
                    (!packets.is_empty()).then_some((a, b, packets))
                })
                .collect();
        }
        let local = sa == sb;
        let end =
            |c: usize, source: bool| self.end(parts, c, side(c)?).map(|e| e.role(source, local));
        let Some(mine) = end(fixed, as_source) else {
            return Vec::new();
        };
        let routes = match (local, parts.routes.get(&(sa, sb))) {
            (true, _) => None,
            (false, Some(r)) => Some(r),
            (false, None) => return Vec::new(),
        };
        // Of a set, what the fixed end and the routes carry: small sets first.
        let carried = |set: &PacketSet| match routes {
            Some(r) => set.intersect(mine).intersect(r),
            None => set.intersect(mine),
        };
        // Built only for pairs met whole: a focused group never needs it.
        let piece = std::cell::OnceCell::new();
        let piece = || {
            piece.get_or_init(|| match routes {
                Some(r) => mine.intersect(r),
                None => mine.clone(),
            })
        };
        // What is carried of the fixed end's and the routes' differences,
        // per route difference (the others of a group nearly always share one).
        let mut near: HashMap<Option<usize>, PacketSet> = HashMap::new();
        others
            .iter()
            .filter_map(|&other| {
                let (a, b) = ordered(other);
                let packets = match focus.and_then(|f| Some((f, f.pair(a, b)?))) {
                    // Only what may differ, met with the other end's inputs
                    // (small sets: its end is not built).
                    Some((focus, route)) => {
                        let near = near.entry(route).or_insert_with(|| {
                            let fixed = focus.delta(fixed, as_source, local);
                            carried(&fixed.union(focus.route(route)))
                        });
                        let far = carried(focus.delta(other, !as_source, local));
                        let (s, role) = (side(other)?, (!as_source, local));
                        let mut packets = self.meet_end(s, &parts.query, near, role);
                        if !far.is_empty() {
                            packets = packets.union(&self.meet_end(s, &parts.query, &far, role));
                        }
                        packets
                    }
                    None => {
                        let piece = piece();
                        if piece.is_empty() {
                            return None;
                        }
                        let theirs = end(other, !as_source)?;
                        // Most pairs do not meet: ask that first, without building sets.
                        if !piece.intersects(theirs) {
                            return None;
                        }
                        piece.intersect(theirs)
                    }
                };
                (!packets.is_empty()).then_some((a, b, packets))
            })
            .collect()
    }
}

/// Whether a class opens connections freely (not load-balancer nodes, which
/// open them to their targets only, nor interface endpoints, which open none).
pub(super) fn plain(s: &Side<'_>) -> bool {
    s.members.first().is_some_and(|m| {
        !matches!(
            m.owner,
            EniOwner::LoadBalancer(_) | EniOwner::VpcEndpoint(_)
        )
    })
}

/// Where `dim`'s intervals start or end over the set's cubes.
pub(super) fn cuts(set: &PacketSet, dim: Dim) -> Vec<u32> {
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
pub(super) fn atoms(values: &IntervalSet, boundaries: &[u32]) -> Vec<(IntervalSet, u32)> {
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

/// Which private-path inputs of one network (`one`) are alike in another
/// (`other`): per class, its ends against those of its class across; per
/// pair of subnet pairs, their routes. Computed once, then asked per class
/// pair: a pair whose every input is alike carries the same packets on both
/// sides ([`Engine::private_meet_group`] meets the same sets). Where inputs
/// differ, what differs is kept too, for [`Alike::focus`].
pub(super) struct Alike<'p, 'e> {
    one: Network<'p, 'e>,
    other: Network<'p, 'e>,
    /// Per class of `one`.
    ends: Vec<ClassAlike>,
    /// Subnet pairs of `one` and `other` (in that order) with alike routes.
    routes: HashSet<SubnetPairs<'e>>,
    /// Subnet pairs whose routes differ (and that no NAT gateway joins): an
    /// index into `route_deltas`.
    route_delta: HashMap<SubnetPairs<'e>, usize>,
    /// What such routes carry on one side only.
    route_deltas: Vec<PacketSet>,
}

/// A subnet pair's routes against those of a subnet pair across the change.
enum RoutesAcross {
    Alike,
    /// What they carry on one side only.
    Differ(PacketSet),
    /// A NAT gateway joins either pair (the path is not a meet of parts),
    /// or a side has no routes for it.
    Unknown,
}

/// A class of one network against its class across the change.
#[derive(Default)]
struct ClassAlike {
    /// Its class in the other network, where there is one.
    there: Option<usize>,
    /// Which of its ends are alike.
    alike: EndsAlike,
    /// What its ends hold on one side only.
    delta: EndsDelta,
}

/// What a class's ends hold on one side of a change only.
#[derive(Default)]
enum EndsDelta {
    /// Not known (a side's ends or its class across are missing, or the
    /// addresses or the presence of a NACL differ): nothing of the class
    /// is focused.
    #[default]
    Unknown,
    /// Nothing: its ends are alike.
    Nothing,
    /// At most these packets.
    Packets(Arc<Ends>),
}

/// Which ends of a class are alike in another network (see [`Ends`]).
#[derive(Clone, Copy, Default)]
struct EndsAlike {
    send: bool,
    admit: bool,
    send_local: bool,
    admit_local: bool,
}

impl EndsAlike {
    const ALL: EndsAlike = EndsAlike {
        send: true,
        admit: true,
        send_local: true,
        admit_local: true,
    };

    fn all(self) -> bool {
        self.send && self.admit && self.send_local && self.admit_local
    }
}

/// One side of a comparison: its parts, sides and engine.
pub(super) type Network<'p, 'e> = (&'p PrivateParts<'e>, &'p [Option<Side<'e>>], &'p Engine<'e>);

/// What a class's ends are made of (see [`Engine::end_inputs`]).
type EndInputs<'s> = (
    &'s IntervalSet,
    &'s PacketSet,
    &'s PacketSet,
    Option<[&'s PacketSet; 4]>,
);

/// A class pair of one network and the class pair of another it maps to.
pub(super) type MatchedPair = ((usize, usize), (usize, usize));

/// A subnet pair of one network and a subnet pair of another.
type SubnetPairs<'e> = ((&'e str, &'e str), (&'e str, &'e str));

impl<'p, 'e> Alike<'p, 'e> {
    /// Compares the inputs of the class pairs `pairs` of `one` with the pairs
    /// of `other` their classes map to (`across`). In parallel.
    pub(super) fn of(
        one: Network<'p, 'e>,
        other: Network<'p, 'e>,
        pairs: &[MatchedPair],
        across: &(dyn Fn(usize) -> Option<usize> + Sync),
    ) -> Self {
        let ends = (0..one.1.len())
            .into_par_iter()
            .map(|c| Self::class(one, other, c, across(c)))
            .collect();
        let mut combos: HashSet<SubnetPairs<'e>> = HashSet::new();
        for &(here, there) in pairs {
            if let (Some(p), Some(q)) = (subnets(one.1, here), subnets(other.1, there)) {
                combos.insert((p, q));
            }
        }
        let combos: Vec<SubnetPairs<'e>> = combos.into_iter().collect();
        let compared: Vec<(SubnetPairs<'e>, RoutesAcross)> = combos
            .into_par_iter()
            .map(|(p, q)| {
                let nat = one.0.via_nat.contains(&p) || other.0.via_nat.contains(&q);
                let (x, y) = (one.0.routes.get(&p), other.0.routes.get(&q));
                let found = match (nat, x, y) {
                    (false, Some(x), Some(y)) if x == y => RoutesAcross::Alike,
                    (false, Some(x), Some(y)) => RoutesAcross::Differ(x.symmetric_difference(y)),
                    _ => RoutesAcross::Unknown,
                };
                ((p, q), found)
            })
            .collect();
        let mut routes = HashSet::new();
        let mut route_delta = HashMap::new();
        let mut route_deltas = Vec::new();
        for (combo, found) in compared {
            match found {
                RoutesAcross::Alike => {
                    routes.insert(combo);
                }
                RoutesAcross::Differ(delta) => {
                    route_delta.insert(combo, route_deltas.len());
                    route_deltas.push(delta);
                }
                RoutesAcross::Unknown => {}
            }
        }
        Alike {
            one,
            other,
            ends,
            routes,
            route_delta,
            route_deltas,
        }
    }

    /// Class `c` of `one` against its class `there` in `other`.
    fn class(
        one: Network<'p, 'e>,
        other: Network<'p, 'e>,
        c: usize,
        there: Option<usize>,
    ) -> ClassAlike {
        let side = |sides: &'p [Option<Side<'e>>], c: usize| sides.get(c)?.as_ref();
        let (Some(d), Some(x), Some(y)) =
            (there, side(one.1, c), there.and_then(|d| side(other.1, d)))
        else {
            return ClassAlike::default();
        };
        let (engines, parts) = ((one.2, other.2), (one.0, other.0));
        if engines.0.end_inputs(x) == engines.1.end_inputs(y) {
            return ClassAlike {
                there: Some(d),
                alike: EndsAlike::ALL,
                delta: EndsDelta::Nothing,
            };
        }
        let (Some(e), Some(f)) = (engines.0.end(parts.0, c, x), engines.1.end(parts.1, d, y))
        else {
            return ClassAlike {
                there: Some(d),
                ..ClassAlike::default()
            };
        };
        let alike = EndsAlike {
            send: e.send == f.send,
            admit: e.admit == f.admit,
            send_local: e.send_local == f.send_local,
            admit_local: e.admit_local == f.admit_local,
        };
        let delta = if alike.all() {
            EndsDelta::Nothing
        } else {
            match ends_delta(engines.0.end_inputs(x), engines.1.end_inputs(y)) {
                Some(delta) => EndsDelta::Packets(Arc::new(delta)),
                None => EndsDelta::Unknown,
            }
        };
        ClassAlike {
            there: Some(d),
            alike,
            delta,
        }
    }

    /// Whether class pair `here` of `one` and `there` of `other` have every
    /// input of their private path alike.
    pub(super) fn pair(&self, here: (usize, usize), there: (usize, usize)) -> bool {
        let (Some(p), Some(q)) = (subnets(self.one.1, here), subnets(self.other.1, there)) else {
            return false;
        };
        let local = p.0 == p.1;
        if local != (q.0 == q.1) {
            return false;
        }
        let (Some(from), Some(to)) = (self.ends.get(here.0), self.ends.get(here.1)) else {
            return false;
        };
        if local {
            from.alike.send_local && to.alike.admit_local
        } else {
            from.alike.send && to.alike.admit && self.routes.contains(&(p, q))
        }
    }

    /// The focus of the matched pairs `pairs` (whose inputs are not all
    /// alike) on each side: a pair's private path is what its source sends,
    /// met with what the routes carry and its destination admits, so where
    /// the two sides differ, one of those differs; outside the union of
    /// their differences the pair carries the same packets on both sides.
    /// Pairs a NAT gateway joins, or whose ends are unknown, are not focused.
    pub(super) fn focus(mut self, pairs: &[MatchedPair]) -> [PrivateFocus; 2] {
        let routes = Arc::new(std::mem::take(&mut self.route_deltas));
        let mut out = [
            PrivateFocus::new(self.one.1.len(), Arc::clone(&routes)),
            PrivateFocus::new(self.other.1.len(), routes),
        ];
        for (c, class) in self.ends.iter().enumerate() {
            if let (Some(d), EndsDelta::Packets(delta)) = (class.there, &class.delta) {
                if let Some(slot) = out[0].ends.get_mut(c) {
                    *slot = Some(Arc::clone(delta));
                }
                if let Some(slot) = out[1].ends.get_mut(d) {
                    *slot = Some(Arc::clone(delta));
                }
            }
        }
        for &(here, there) in pairs {
            if let Some(route) = self.pair_route(here, there) {
                out[0].pairs.insert(here, route);
                out[1].pairs.insert(there, route);
            }
        }
        out
    }

    /// The route difference of a focusable pair (`Some(None)`: the routes
    /// are alike or the pair stays within a subnet); `None` when the pair
    /// cannot be focused.
    fn pair_route(&self, here: (usize, usize), there: (usize, usize)) -> Option<Option<usize>> {
        let (p, q) = (subnets(self.one.1, here)?, subnets(self.other.1, there)?);
        let known = |c: usize| {
            self.ends
                .get(c)
                .is_some_and(|e| !matches!(e.delta, EndsDelta::Unknown))
        };
        if !known(here.0) || !known(here.1) {
            return None;
        }
        match (p.0 == p.1, q.0 == q.1) {
            (true, true) => Some(None),
            (false, false) if self.routes.contains(&(p, q)) => Some(None),
            (false, false) => self.route_delta.get(&(p, q)).map(|&i| Some(i)),
            _ => None,
        }
    }
}

/// What may differ between the private paths of class pairs matched across
/// a change, on one side of it (see [`Alike::focus`]).
pub(super) struct PrivateFocus {
    /// Per class: what its ends hold on one side only (`None`: nothing).
    ends: Vec<Option<Arc<Ends>>>,
    /// The focused class pairs, each with the index of its routes'
    /// difference in `routes` (`None`: nothing differs there).
    pairs: HashMap<(usize, usize), Option<usize>>,
    routes: Arc<Vec<PacketSet>>,
    /// The empty set, for what does not differ.
    none: PacketSet,
}

impl PrivateFocus {
    fn new(classes: usize, routes: Arc<Vec<PacketSet>>) -> PrivateFocus {
        PrivateFocus {
            ends: vec![None; classes],
            pairs: HashMap::new(),
            routes,
            none: PacketSet::empty(),
        }
    }

    /// Whether class pair (`a`, `b`) is focused, and its routes' difference.
    fn pair(&self, a: usize, b: usize) -> Option<Option<usize>> {
        self.pairs.get(&(a, b)).copied()
    }

    /// What class `c`'s end (as the `source` or not, `local`ly or not)
    /// holds on one side only.
    fn delta(&self, c: usize, source: bool, local: bool) -> &PacketSet {
        match self.ends.get(c).and_then(Option::as_ref) {
            Some(e) => e.role(source, local),
            None => &self.none,
        }
    }

    /// A routes' difference by index (empty for `None`).
    fn route(&self, route: Option<usize>) -> &PacketSet {
        route.and_then(|i| self.routes.get(i)).unwrap_or(&self.none)
    }
}

/// The (source, destination) subnets of a class pair.
fn subnets<'e>(sides: &[Option<Side<'e>>], (a, b): (usize, usize)) -> Option<(&'e str, &'e str)> {
    let side = |c: usize| sides.get(c).and_then(Option::as_ref);
    Some((
        side(a)?.subnet.meta.id.as_str(),
        side(b)?.subnet.meta.id.as_str(),
    ))
}
