//! Many pairs at once, as `no`, `only`, `isolated` and `same` ask over thousands
//! of interfaces.
//!
//! Every hop of a path filters the packet set by rules that belong to the
//! interfaces' class (subnet, security groups) and by addresses as sets, so a path
//! computed once for a whole source class and a whole destination class, with the
//! members' addresses as sets, splits exactly into the member pairs' paths by
//! restricting source and destination addresses. Class pairs are taken only
//! between VPCs that are the same or peered; the work per member is a restriction,
//! and only where something arrives. What depends on one member (its public
//! address, the load balancers it sits behind) is computed once per member on
//! top of the class work: what a source class sends onto the internet, and what a
//! public address lets in, meet by intersection. The internet and on-premises as
//! sources take the same way in reverse: the path in is walked once per
//! destination class and split by member. Load-balancer nodes and interface
//! endpoints as sources, which open few connections, take the pair-by-pair path
//! of [`Engine::reach`].

use super::flows::{Origin, Side, node_to_target, service_set};
use super::{ClassId, Endpoint, Engine, Flow, PathKind, Reach};
use crate::model::{Eni, EniOwner};
use crate::packet::{Dim, IntervalSet, PacketSet};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// One pair of a bulk query, by position in the source and destination lists,
/// and what reaches (never empty).
#[derive(Clone, Debug)]
pub struct PairReach {
    /// Position in the sources.
    pub src: usize,
    /// Position in the destinations.
    pub dst: usize,
    /// The flows that carry packets, as [`Engine::reach`] gives them.
    pub reach: Reach,
}

/// Requested interfaces of one class: positions in the request, and the side
/// they form.
struct Group<'e> {
    positions: Vec<usize>,
    side: Side<'e>,
    vpc: &'e str,
}

/// Flows found for (source position, destination position), in path order.
type Found = Vec<(usize, usize, Flow)>;

impl<'m> Engine<'m> {
    /// [`Engine::reach`] for every pair of `srcs` and `dsts` (an endpoint is not
    /// paired with itself), computed by class where the path allows it, in
    /// parallel. Pairs that nothing reaches are left out; the rest come in
    /// (source, destination) order, each with the same flows `reach` gives.
    pub fn reach_between(
        &self,
        srcs: &[Endpoint],
        dsts: &[Endpoint],
        query: &PacketSet,
    ) -> Vec<PairReach> {
        let reaching = self.reaching(srcs, dsts, query);
        let mut out: Vec<PairReach> = reaching
            .pairs()
            .map(|p| PairReach {
                src: p.src,
                dst: p.dst,
                reach: Reach { flows: p.flows() },
            })
            .collect();
        out.sort_by_key(|p| (p.src, p.dst));
        out
    }

    /// What [`Engine::reach_between`] finds, with each pair's flows built only
    /// when asked for: a question over many pairs that only needs which pairs
    /// reach (a count, the first few findings) then costs a restriction per
    /// source member and a lookup per pair, not a packet set per pair.
    pub fn reaching(&self, srcs: &[Endpoint], dsts: &[Endpoint], query: &PacketSet) -> Reaching {
        let (plain_srcs, other_srcs): (Vec<usize>, Vec<usize>) =
            (0..srcs.len()).partition(|&i| self.plain_source(&srcs[i]));
        let (outside_srcs, other_srcs): (Vec<usize>, Vec<usize>) = other_srcs
            .into_iter()
            .partition(|&i| matches!(srcs[i], Endpoint::Internet | Endpoint::OnPrem));
        let src_groups = self.groups(srcs, &plain_srcs);
        let eni_dsts: Vec<usize> = (0..dsts.len())
            .filter(|&j| matches!(dsts[j], Endpoint::Eni(_)))
            .collect();

        let mut rows = Vec::new();
        let mut found: Found = Vec::new();
        if !src_groups.is_empty() {
            let dst_groups = self.groups(dsts, &eni_dsts);
            rows = self.private_rows(srcs, dsts, &src_groups, &dst_groups, query);
            found.extend(self.public_flows(srcs, dsts, &src_groups, &dst_groups, query));
            found.extend(self.balanced_flows(srcs, dsts, &src_groups, &eni_dsts, query));
            found.extend(self.outside_flows(dsts, &src_groups, query));
        }
        for &i in &outside_srcs {
            // Only the interfaces the topology lets this source reach are grouped:
            // classes are compiled on first use.
            let near: Vec<usize> = eni_dsts
                .iter()
                .copied()
                .filter(|&j| self.could_connect(&srcs[i], &dsts[j]))
                .collect();
            let dst_groups = self.groups(dsts, &near);
            found.extend(self.inbound_flows(i, &srcs[i], dsts, &dst_groups, query));
        }
        let pairwise: Found = other_srcs
            .par_iter()
            .flat_map_iter(|&i| {
                self.pairwise_targets(&srcs[i], dsts)
                    .filter(move |&j| srcs[i] != dsts[j])
                    .map(move |j| (i, j))
            })
            .flat_map_iter(|(i, j)| {
                let reach = self.reach(&srcs[i], &dsts[j], query);
                reach.flows.into_iter().map(move |f| (i, j, f))
            })
            .collect();
        found.extend(pairwise);
        let mut singles: BTreeMap<(usize, usize), Vec<Flow>> = BTreeMap::new();
        // Stable sort keeps each pair's flows in the order `reach` gives them.
        found.sort_by_key(|(i, j, _)| (*i, *j));
        for (i, j, flow) in found {
            singles.entry((i, j)).or_default().push(flow);
        }
        Reaching::new(rows, singles)
    }

    /// An interface that may open connections to anything (not a load-balancer
    /// node or an interface endpoint, which open few or none).
    fn plain_source(&self, e: &Endpoint) -> bool {
        let Endpoint::Eni(id) = e else { return false };
        self.eni(id).is_some_and(|e| {
            !matches!(
                e.owner,
                EniOwner::LoadBalancer(_) | EniOwner::VpcEndpoint(_)
            )
        })
    }

    /// Destinations a non-plain source is checked against pair by pair: a
    /// load-balancer node only reaches its load balancer's targets.
    fn pairwise_targets<'a>(
        &'a self,
        src: &Endpoint,
        dsts: &'a [Endpoint],
    ) -> Box<dyn Iterator<Item = usize> + Send + 'a> {
        let owner = match src {
            Endpoint::Eni(id) => self.eni(id).map(|e| &e.owner),
            _ => None,
        };
        match owner {
            Some(EniOwner::LoadBalancer(lb)) => {
                let Some(lb) = self
                    .model
                    .load_balancers()
                    .iter()
                    .position(|l| l.meta.id == *lb)
                else {
                    return Box::new(std::iter::empty());
                };
                Box::new((0..dsts.len()).filter(move |&j| match &dsts[j] {
                    Endpoint::Eni(d) => self.lb_targets.get(d).is_some_and(|l| l.contains(&lb)),
                    _ => false,
                }))
            }
            Some(EniOwner::VpcEndpoint(_)) => Box::new(std::iter::empty()),
            _ => Box::new(0..dsts.len()),
        }
    }

    /// The requested interfaces at `positions`, by class.
    fn groups(&self, endpoints: &[Endpoint], positions: &[usize]) -> Vec<Group<'_>> {
        let mut by_class: BTreeMap<ClassId, Vec<(usize, &Eni)>> = BTreeMap::new();
        for &p in positions {
            let Endpoint::Eni(id) = &endpoints[p] else {
                continue;
            };
            if let Some((eni, class)) = self.eni_and_class(id) {
                by_class.entry(class).or_default().push((p, eni));
            }
        }
        by_class
            .into_values()
            .filter_map(|members| {
                let positions = members.iter().map(|(p, _)| *p).collect();
                let side = self.side(members.into_iter().map(|(_, e)| e).collect())?;
                let vpc = side.subnet.vpc.as_str();
                Some(Group {
                    positions,
                    side,
                    vpc,
                })
            })
            .collect()
    }

    /// Private paths, class pair by class pair between connected VPCs, as rows
    /// of [`Reaching`].
    fn private_rows(
        &self,
        srcs: &[Endpoint],
        dsts: &[Endpoint],
        src_groups: &[Group<'_>],
        dst_groups: &[Group<'_>],
        query: &PacketSet,
    ) -> Vec<Row> {
        let mut dst_by_vpc: HashMap<&str, Vec<usize>> = HashMap::new();
        for (k, g) in dst_groups.iter().enumerate() {
            dst_by_vpc.entry(g.vpc).or_default().push(k);
        }
        let jobs: Vec<(usize, usize)> = src_groups
            .iter()
            .enumerate()
            .flat_map(|(a, s)| {
                dst_by_vpc
                    .iter()
                    .filter(|(v, _)| self.topology.vpcs_connected(s.vpc, v))
                    .flat_map(move |(_, ks)| ks.iter().map(move |&b| (a, b)))
            })
            .collect();
        // Each destination class's members and addresses, shared by its rows.
        let members: Vec<Arc<Members>> = dst_groups
            .iter()
            .map(|d| Arc::new(Members::of(d)))
            .collect();
        jobs.par_iter()
            .flat_map_iter(|&(a, b)| {
                let (s, d) = (&src_groups[a], &dst_groups[b]);
                let flow = self.private(&s.side, &d.side, query, false);
                rows(srcs, dsts, s, &members[b], flow)
            })
            .collect()
    }

    /// [`Engine::private_rows`] split into member pairs.
    fn private_flows(
        &self,
        srcs: &[Endpoint],
        dsts: &[Endpoint],
        src_groups: &[Group<'_>],
        dst_groups: &[Group<'_>],
        query: &PacketSet,
    ) -> Found {
        let rows = self.private_rows(srcs, dsts, src_groups, dst_groups, query);
        let reaching = Reaching::new(rows, BTreeMap::new());
        let mut out = Vec::new();
        for pair in reaching.pairs() {
            out.extend(pair.flows().into_iter().map(|f| (pair.src, pair.dst, f)));
        }
        out
    }

    /// Paths to destinations' public addresses over the internet: what each
    /// source class sends out (once), met with what each public address lets in
    /// (once per destination class).
    fn public_flows(
        &self,
        srcs: &[Endpoint],
        dsts: &[Endpoint],
        src_groups: &[Group<'_>],
        dst_groups: &[Group<'_>],
        query: &PacketSet,
    ) -> Found {
        let all = PacketSet::all();
        let public: Vec<(usize, Ipv4Addr, PacketSet)> = dst_groups
            .par_iter()
            .flat_map_iter(|d| {
                self.internet_openings(&d.side, &all)
                    .into_iter()
                    .map(|(k, ip, open)| (d.positions[k], ip, open))
            })
            .collect();
        if public.is_empty() {
            return Vec::new();
        }
        let public_ips = IntervalSet::from_ranges(
            public
                .iter()
                .map(|(_, ip, _)| (u32::from(*ip), u32::from(*ip))),
        );
        src_groups
            .par_iter()
            .filter(|s| self.topology.has_exit(&s.side.subnet.meta.id))
            .flat_map_iter(|s| {
                let set = query
                    .restrict(Dim::SrcAddr, &s.side.addrs)
                    .restrict(Dim::DstAddr, &public_ips);
                let mut w = Self::walk(false);
                let exits = self.egress_internet(&mut w, &s.side, &set);
                let mut out = Vec::new();
                for (j, ip, open) in &public {
                    let to_ip = IntervalSet::single(u32::from(*ip));
                    let total = super::meet::meet_public(&exits, *ip, open);
                    if total.is_empty() {
                        continue;
                    }
                    for (&i, member) in s.positions.iter().zip(&s.side.members) {
                        if srcs[i] == dsts[*j] {
                            continue;
                        }
                        let packets = total.restrict(Dim::SrcAddr, &addresses(member));
                        if packets.is_empty() {
                            continue;
                        }
                        // The path is named by the last exit this pair's packets take.
                        let egress = exits
                            .iter()
                            .filter(|(_, translated, origin)| {
                                exit_carries(translated, origin, member, &to_ip)
                            })
                            .map(|(exit, _, _)| exit.clone())
                            .next_back();
                        out.push((
                            i,
                            *j,
                            Flow {
                                kind: PathKind::PublicInternet {
                                    egress,
                                    public_ip: *ip,
                                },
                                packets,
                                hops: Vec::new(),
                            },
                        ));
                    }
                }
                out
            })
            .collect()
    }

    /// Paths through load balancers to their targets: client to node is a
    /// direct path (computed by class once per listener and node), node to target
    /// a private path (once per target).
    fn balanced_flows(
        &self,
        srcs: &[Endpoint],
        dsts: &[Endpoint],
        src_groups: &[Group<'_>],
        eni_dsts: &[usize],
        query: &PacketSet,
    ) -> Found {
        // (load balancer, listener, target port, node) per target, where the
        // node reaches the target.
        let legs: Vec<(usize, Vec<Leg>)> = eni_dsts
            .par_iter()
            .filter_map(|&j| {
                let Endpoint::Eni(id) = &dsts[j] else {
                    return None;
                };
                let lbs = self.lb_targets.get(id)?;
                let target = self.eni(id)?;
                let d = self.side(vec![target])?;
                let mut legs = Vec::new();
                for &lb_index in lbs {
                    let Some(lb) = self.model.load_balancers().get(lb_index) else {
                        continue;
                    };
                    for (l, listener) in lb.listeners.iter().enumerate() {
                        for leg in self.target_ports(&listener.target_groups, target) {
                            let preserved = leg.preserve_client_ip
                                && lb.kind == crate::model::LoadBalancerKind::Network;
                            for node_id in &lb.nodes {
                                let Some(node) = self.eni(node_id).and_then(|n| self.side(vec![n]))
                                else {
                                    continue;
                                };
                                let query = node_to_target(leg.protocol, leg.port);
                                let second = if preserved {
                                    self.preserved_leg(lb, &node, &d, &query, false)
                                } else {
                                    self.private(&node, &d, &query, false)
                                };
                                legs.push(Leg {
                                    lb: lb_index,
                                    listener: l,
                                    target_port: leg.port,
                                    node: node_id.clone(),
                                    reaches: !second.packets.is_empty(),
                                    admitted: preserved
                                        .then(|| second.packets.project(Dim::SrcAddr)),
                                });
                            }
                        }
                    }
                }
                Some((j, legs))
            })
            .collect();
        if legs.is_empty() {
            return Vec::new();
        }
        // Client -> node, once per (load balancer, listener, node).
        let mut firsts: HashMap<(usize, usize, &str), HashMap<usize, Vec<Flow>>> = HashMap::new();
        for leg in legs.iter().flat_map(|(_, l)| l).filter(|l| l.reaches) {
            let key = (leg.lb, leg.listener, leg.node.as_str());
            if firsts.contains_key(&key) {
                continue;
            }
            let Some(listener) = self
                .model
                .load_balancers()
                .get(leg.lb)
                .and_then(|lb| lb.listeners.get(leg.listener))
            else {
                continue;
            };
            let client = query.intersect(&service_set(listener.protocol, listener.port));
            let node = [Endpoint::Eni(leg.node.clone())];
            let mut by_src: HashMap<usize, Vec<Flow>> = HashMap::new();
            if !client.is_empty() {
                let node_groups = self.groups(&node, &[0]);
                let direct = self
                    .private_flows(srcs, &node, src_groups, &node_groups, &client)
                    .into_iter()
                    .chain(self.public_flows(srcs, &node, src_groups, &node_groups, &client));
                let mut direct: Found = direct.collect();
                direct.sort_by_key(|(i, _, _)| *i);
                for (i, _, flow) in direct {
                    by_src.entry(i).or_default().push(flow);
                }
            }
            firsts.insert(key, by_src);
        }
        let mut out = Vec::new();
        for (j, legs) in &legs {
            for s in src_groups {
                for &i in &s.positions {
                    if srcs[i] == dsts[*j] {
                        continue;
                    }
                    for leg in legs.iter().filter(|l| l.reaches) {
                        let Some(flows) = firsts
                            .get(&(leg.lb, leg.listener, leg.node.as_str()))
                            .and_then(|f| f.get(&i))
                        else {
                            continue;
                        };
                        let Some(lb) = self.model.load_balancers().get(leg.lb) else {
                            continue;
                        };
                        let listener_port = lb.listeners.get(leg.listener).map_or(0, |l| l.port);
                        for f in flows {
                            out.push((
                                i,
                                *j,
                                Flow {
                                    kind: PathKind::LoadBalancer {
                                        load_balancer: lb.meta.id.clone(),
                                        node: leg.node.clone(),
                                        listener_port,
                                        target_port: leg.target_port,
                                    },
                                    packets: match &leg.admitted {
                                        Some(clients) => f.packets.restrict(Dim::SrcAddr, clients),
                                        None => f.packets.clone(),
                                    },
                                    hops: Vec::new(),
                                },
                            ));
                        }
                    }
                }
            }
        }
        out
    }

    /// From the internet or on-premises (source position `i`) to interfaces:
    /// the direct path walked once per destination class and split by member,
    /// then, member by member, the paths through load balancers in front.
    fn inbound_flows(
        &self,
        i: usize,
        src: &Endpoint,
        dsts: &[Endpoint],
        dst_groups: &[Group<'_>],
        query: &PacketSet,
    ) -> Found {
        let from_internet = query.restrict(Dim::SrcAddr, &self.internet);
        dst_groups
            .par_iter()
            .flat_map_iter(|d| {
                let mut direct: Vec<Option<Flow>> = vec![None; d.positions.len()];
                if *src == Endpoint::Internet {
                    for (k, public_ip, packets) in self.internet_openings(&d.side, &from_internet) {
                        direct[k] = Some(Flow {
                            kind: PathKind::FromInternet { public_ip },
                            packets,
                            hops: Vec::new(),
                        });
                    }
                } else {
                    let flow = self.onprem_to_eni(&d.side, query, false);
                    for (k, member) in d.side.members.iter().enumerate() {
                        let packets = flow.packets.restrict(Dim::DstAddr, &addresses(member));
                        direct[k] = (!packets.is_empty()).then(|| Flow {
                            kind: flow.kind.clone(),
                            packets,
                            hops: Vec::new(),
                        });
                    }
                }
                let mut out = Vec::new();
                for ((&j, member), direct) in d.positions.iter().zip(&d.side.members).zip(direct) {
                    if dsts[j] == *src {
                        continue;
                    }
                    out.extend(direct.map(|f| (i, j, f)));
                    if !self.lb_targets.contains_key(&member.meta.id) {
                        continue;
                    }
                    let Some(one) = self.side(vec![*member]) else {
                        continue;
                    };
                    let balanced = self.load_balanced(src, &one, query, false);
                    out.extend(
                        balanced
                            .into_iter()
                            .filter(|f| !f.packets.is_empty())
                            .map(|f| (i, j, f)),
                    );
                }
                out
            })
            .collect()
    }

    /// Interfaces to the internet and to on-premises, by class.
    fn outside_flows(
        &self,
        dsts: &[Endpoint],
        src_groups: &[Group<'_>],
        query: &PacketSet,
    ) -> Found {
        let outside: Vec<usize> = (0..dsts.len())
            .filter(|&j| matches!(dsts[j], Endpoint::Internet | Endpoint::OnPrem))
            .collect();
        if outside.is_empty() {
            return Vec::new();
        }
        src_groups
            .par_iter()
            .flat_map_iter(|s| {
                let mut out = Vec::new();
                for &j in &outside {
                    let flows = match dsts[j] {
                        Endpoint::Internet => self.eni_to_internet(&s.side, query, false),
                        _ => vec![self.eni_to_onprem(&s.side, query, false)],
                    };
                    for (&i, member) in s.positions.iter().zip(&s.side.members) {
                        let own = addresses(member);
                        for f in &flows {
                            let packets = f.packets.restrict(Dim::SrcAddr, &own);
                            if !packets.is_empty() {
                                out.push((
                                    i,
                                    j,
                                    Flow {
                                        kind: f.kind.clone(),
                                        packets,
                                        hops: Vec::new(),
                                    },
                                ));
                            }
                        }
                    }
                }
                out
            })
            .collect()
    }
}

/// One way through a load balancer to a target.
struct Leg {
    lb: usize,
    listener: usize,
    target_port: u16,
    node: String,
    /// Whether the node's connection reaches the target.
    reaches: bool,
    /// The client addresses the target admits, where the load balancer
    /// keeps them (`None`: the target sees the node).
    admitted: Option<IntervalSet>,
}

/// A class pair's flow split into rows, one per source member that sends
/// something, each naming the destination members its packets reach.
fn rows(
    srcs: &[Endpoint],
    dsts: &[Endpoint],
    s: &Group<'_>,
    members: &Arc<Members>,
    flow: Flow,
) -> Vec<Row> {
    let mut out = Vec::new();
    if flow.packets.is_empty() {
        return out;
    }
    for (&i, sm) in s.positions.iter().zip(&s.side.members) {
        let from = flow.packets.restrict(Dim::SrcAddr, &addresses(sm));
        if from.is_empty() {
            continue;
        }
        // A member's pair is non-empty exactly when some cube reaches one of
        // its addresses: the projection decides every pair of the row at once.
        let hits: Vec<u32> = members
            .within(&from.project(Dim::DstAddr))
            .into_iter()
            .filter(|&k| members.get(k).is_some_and(|(j, _)| srcs[i] != dsts[*j]))
            .collect();
        if !hits.is_empty() {
            out.push(Row {
                src: i,
                kind: flow.kind.clone(),
                from,
                members: Arc::clone(members),
                hits,
            });
        }
    }
    out
}

/// What reaches between two lists of endpoints ([`Engine::reaching`]): private
/// paths as rows (a source member's packets, split by destination member only
/// when a pair's flows are asked for), every other path pair by pair.
pub struct Reaching {
    rows: Vec<Row>,
    singles: BTreeMap<(usize, usize), Vec<Flow>>,
    /// The rows of each source position, to tell which singles share a pair
    /// with a row.
    rows_of: HashMap<usize, Vec<usize>>,
}

/// One source member against one destination class over a private path.
struct Row {
    src: usize,
    kind: PathKind,
    /// The class pair's packets restricted to the member's addresses.
    from: PacketSet,
    /// The destination class's positions and addresses.
    members: Arc<Members>,
    /// The members (indices into `members`, in order) the packets reach.
    hits: Vec<u32>,
}

/// The requested members of a destination class: positions and addresses,
/// and every address with its member, sorted, to find the members inside a
/// set of addresses without looking at the others.
struct Members {
    list: Vec<(usize, IntervalSet)>,
    by_address: Vec<(u32, u32)>,
}

impl Members {
    fn of(d: &Group<'_>) -> Members {
        let list: Vec<(usize, IntervalSet)> = (d.positions.iter().zip(&d.side.members))
            .map(|(&j, m)| (j, addresses(m)))
            .collect();
        let mut by_address: Vec<(u32, u32)> = Vec::new();
        for (k, (_, addrs)) in list.iter().enumerate() {
            let Ok(k) = u32::try_from(k) else { break };
            for &(first, last) in addrs.ranges() {
                by_address.extend((first..=last).map(|a| (a, k)));
            }
        }
        by_address.sort_unstable();
        Members { list, by_address }
    }

    fn get(&self, k: u32) -> Option<&(usize, IntervalSet)> {
        self.list.get(k as usize)
    }

    /// The members (by index, in order) with an address in `set`.
    fn within(&self, set: &IntervalSet) -> Vec<u32> {
        let mut out = Vec::new();
        for &(first, last) in set.ranges() {
            let start = self.by_address.partition_point(|(a, _)| *a < first);
            out.extend(
                self.by_address[start..]
                    .iter()
                    .take_while(|(a, _)| *a <= last)
                    .map(|(_, k)| *k),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Row {
    fn member(&self, hit: u32) -> Option<&(usize, IntervalSet)> {
        self.members.get(hit)
    }

    fn reaches(&self, dst: usize) -> bool {
        self.hits
            .binary_search_by_key(&dst, |&k| self.member(k).map_or(usize::MAX, |m| m.0))
            .is_ok()
    }
}

impl Reaching {
    fn new(rows: Vec<Row>, singles: BTreeMap<(usize, usize), Vec<Flow>>) -> Reaching {
        let mut rows_of: HashMap<usize, Vec<usize>> = HashMap::new();
        if !singles.is_empty() {
            for (k, row) in rows.iter().enumerate() {
                rows_of.entry(row.src).or_default().push(k);
            }
        }
        Reaching {
            rows,
            singles,
            rows_of,
        }
    }

    /// Every pair something reaches, in no promised order, each once.
    pub fn pairs(&self) -> impl Iterator<Item = ReachingPair<'_>> + '_ {
        self.rows
            .iter()
            .flat_map(move |row| self.row_pairs(row))
            .chain(self.lone_singles())
    }

    /// [`Reaching::pairs`], in parallel.
    pub fn par_pairs(&self) -> impl ParallelIterator<Item = ReachingPair<'_>> + '_ {
        let lone: Vec<ReachingPair<'_>> = self.lone_singles().collect();
        self.rows
            .par_iter()
            .flat_map_iter(move |row| self.row_pairs(row))
            .chain(lone)
    }

    fn row_pairs<'a>(&'a self, row: &'a Row) -> impl Iterator<Item = ReachingPair<'a>> + 'a {
        row.hits.iter().filter_map(move |&k| {
            let (dst, addrs) = row.member(k)?;
            let others = if self.singles.is_empty() {
                &[][..]
            } else {
                self.singles
                    .get(&(row.src, *dst))
                    .map_or(&[][..], Vec::as_slice)
            };
            Some(ReachingPair {
                src: row.src,
                dst: *dst,
                private: Some((row, addrs)),
                others,
            })
        })
    }

    /// Pairs with no private path: those no row holds.
    fn lone_singles(&self) -> impl Iterator<Item = ReachingPair<'_>> + '_ {
        self.singles
            .iter()
            .filter(|((i, j), _)| {
                !(self.rows_of.get(i)).is_some_and(|ks| {
                    ks.iter()
                        .any(|&k| self.rows.get(k).is_some_and(|r| r.reaches(*j)))
                })
            })
            .map(|(&(src, dst), flows)| ReachingPair {
                src,
                dst,
                private: None,
                others: flows,
            })
    }
}

/// One pair of a [`Reaching`]; its flows are built when asked for.
#[derive(Clone, Copy)]
pub struct ReachingPair<'a> {
    /// Position in the sources.
    pub src: usize,
    /// Position in the destinations.
    pub dst: usize,
    private: Option<(&'a Row, &'a IntervalSet)>,
    others: &'a [Flow],
}

impl<'a> ReachingPair<'a> {
    /// The kinds of the pair's flows, in the order of [`ReachingPair::flows`];
    /// every flow carries packets.
    pub fn kinds(&self) -> impl Iterator<Item = &'a PathKind> + 'a {
        let private = self.private.map(|(row, _)| &row.kind);
        private
            .into_iter()
            .chain(self.others.iter().map(|f| &f.kind))
    }

    /// The packets of the flows whose kind `keep` accepts, as one set.
    pub fn packets_where(&self, keep: impl Fn(&PathKind) -> bool) -> PacketSet {
        let mut out = PacketSet::empty();
        if let Some((row, addrs)) = self.private
            && keep(&row.kind)
        {
            out = out.union(&row.from.restrict(Dim::DstAddr, addrs));
        }
        for f in self.others.iter().filter(|f| keep(&f.kind)) {
            out = out.union(&f.packets);
        }
        out
    }

    /// The pair's flows, as [`Engine::reach`] gives them.
    pub fn flows(&self) -> Vec<Flow> {
        let private = self.private.map(|(row, addrs)| Flow {
            kind: row.kind.clone(),
            packets: row.from.restrict(Dim::DstAddr, addrs),
            hops: Vec::new(),
        });
        private
            .into_iter()
            .chain(self.others.iter().cloned())
            .collect()
    }
}

/// An interface's private addresses.
fn addresses(eni: &Eni) -> IntervalSet {
    IntervalSet::from_ranges(
        eni.private_ips
            .iter()
            .map(|ip| (u32::from(*ip), u32::from(*ip))),
    )
}

/// Whether an exit of a source class carries packets of `member` to `to`: an
/// internet gateway exit is one address's, a NAT exit carries whatever entered.
fn exit_carries(translated: &PacketSet, origin: &Origin, member: &Eni, to: &IntervalSet) -> bool {
    match origin {
        Origin::Address(a) => {
            member.private_ips.contains(a) && !translated.restrict(Dim::DstAddr, to).is_empty()
        }
        Origin::Translated { entered, .. } => !entered
            .restrict(Dim::SrcAddr, &addresses(member))
            .restrict(Dim::DstAddr, to)
            .is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::synth::{Spec, generate};

    fn tcp(port: u16) -> PacketSet {
        crate::engine::traffic_packets(&crate::model::TrafficMatch::tcp(port, port))
    }

    fn endpoints(model: &Model) -> Vec<Endpoint> {
        let mut all: Vec<Endpoint> = model
            .enis()
            .iter()
            .map(|e| Endpoint::Eni(e.meta.id.clone()))
            .collect();
        all.extend([Endpoint::Internet, Endpoint::OnPrem]);
        all
    }

    /// Pair by pair, the same flows (kind and packets, in order) as `reach`.
    fn agrees_with_reach(
        model: &Model,
        query: &PacketSet,
        kinds: &mut std::collections::HashSet<String>,
    ) -> usize {
        let engine = Engine::new(model);
        let all = endpoints(model);
        let bulk: HashMap<(usize, usize), Reach> = engine
            .reach_between(&all, &all, query)
            .into_iter()
            .map(|p| ((p.src, p.dst), p.reach))
            .collect();
        let mut reached = 0;
        for (i, s) in all.iter().enumerate() {
            for (j, d) in all.iter().enumerate().filter(|(_, d)| *d != s) {
                let expected = engine.reach(s, d, query);
                let got = bulk.get(&(i, j)).cloned().unwrap_or_default();
                // The same kinds in the same order, and the same packets as
                // sets (cubes may be cut differently).
                let kinds_of = |r: &Reach| -> Vec<PathKind> {
                    r.flows.iter().map(|f| f.kind.clone()).collect()
                };
                assert_eq!(kinds_of(&got), kinds_of(&expected), "{s:?} -> {d:?}");
                for (g, e) in got.flows.iter().zip(&expected.flows) {
                    assert!(
                        g.packets.same_as(&e.packets),
                        "{s:?} -> {d:?}: {:?} != {:?}",
                        g.packets,
                        e.packets
                    );
                }
                reached += usize::from(!expected.flows.is_empty());
                for f in &expected.flows {
                    let kind = format!("{:?}", f.kind);
                    kinds.insert(
                        kind.split([' ', '{'])
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
            }
        }
        reached
    }

    #[test]
    fn bulk_reach_and_class_matrix_agree_with_pair_by_pair_computation() {
        let mut kinds = std::collections::HashSet::new();
        let mut matrices = 0;
        for seed in 1..=4 {
            let spec = Spec {
                vpcs: 4,
                subnets_per_vpc: 2,
                enis: 100,
                security_groups: 12,
                rules_per_group: 10,
                sg_sets_per_subnet: 3,
                hub_size: 2,
                internet_percent: 75,
                load_balancers: 2,
                shape: crate::synth::Shape::ALL[seed as usize % 3],
                seed,
            };
            let model = generate(&spec).unwrap();
            let services = [tcp(22), tcp(80), tcp(443), PacketSet::all()];
            let bits = Engine::new(&model).service_matrix(&services);
            let engine = Engine::new(&model);
            for (k, q) in services.iter().enumerate() {
                let expected: Vec<(ClassId, ClassId)> = engine
                    .class_matrix_pairwise(q)
                    .into_iter()
                    .map(|p| (p.src, p.dst))
                    .collect();
                let got: Vec<(ClassId, ClassId)> = (0..engine.classes().len())
                    .flat_map(|a| {
                        bits.row(k, ClassId(a))
                            .iter()
                            .map(move |&b| (ClassId(a), ClassId(b as usize)))
                    })
                    .collect();
                assert_eq!(got, expected, "seed {seed}: service {k}");
                matrices += usize::from(!got.is_empty());
            }
            for (everything, query) in [(true, PacketSet::all()), (false, tcp(22))] {
                let reached = agrees_with_reach(&model, &query, &mut kinds);
                // Random rules (the dense shape) may leave one port closed.
                assert!(reached > 0 || !everything, "seed {seed}: nothing reaches");
                let engine = Engine::new(&model);
                let summary = |m: Vec<crate::engine::ClassPair>| -> Vec<_> {
                    m.into_iter().map(|p| (p.src, p.dst, p.packets)).collect()
                };
                let (fast, slow) = (
                    summary(engine.class_matrix(&query)),
                    summary(engine.class_matrix_pairwise(&query)),
                );
                assert!(!fast.is_empty() || !everything, "seed {seed}: empty matrix");
                let keys = |m: &[(ClassId, ClassId, PacketSet)]| -> Vec<(ClassId, ClassId)> {
                    m.iter().map(|(a, b, _)| (*a, *b)).collect()
                };
                assert_eq!(keys(&fast), keys(&slow), "seed {seed}: class pairs");
                for ((a, b, x), (_, _, y)) in fast.iter().zip(&slow) {
                    // The same packets, however the cubes fall.
                    assert!(x.same_as(y), "seed {seed}: {a:?} -> {b:?}");
                }
            }
        }
        assert!(matrices > 0);
        // Every kind of path was compared: private, over public addresses, through
        // load balancers, to and from the internet and on-premises.
        assert_eq!(kinds.len(), 7, "{kinds:?}");
    }

    #[test]
    fn bulk_reach_agrees_when_the_query_cuts_destination_addresses() {
        let spec = Spec {
            vpcs: 3,
            subnets_per_vpc: 2,
            enis: 60,
            security_groups: 8,
            rules_per_group: 8,
            sg_sets_per_subnet: 2,
            hub_size: 2,
            internet_percent: 100,
            load_balancers: 1,
            shape: crate::synth::Shape::Tidy,
            seed: 7,
        };
        let model = generate(&spec).unwrap();
        // Every other public address, and the private ranges: the internet's
        // per-class path cannot be split by member for such a query, and must not be.
        let publics: Vec<u32> = model
            .enis()
            .iter()
            .filter_map(|e| e.public_ip.map(u32::from))
            .step_by(2)
            .collect();
        assert!(publics.len() > 2);
        let cut = IntervalSet::from_ranges(
            publics
                .iter()
                .map(|&a| (a, a))
                .chain([(0x0a00_0000, 0x0aff_ffff)]),
        );
        let query = PacketSet::all().restrict(Dim::DstAddr, &cut);
        assert!(!query.is_free(Dim::DstAddr));
        let mut kinds = std::collections::HashSet::new();
        assert!(agrees_with_reach(&model, &query, &mut kinds) > 0);
        assert!(kinds.contains("FromInternet"), "{kinds:?}");
    }
}
