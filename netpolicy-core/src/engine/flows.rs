//! Path kinds: the hop sequences AWS allows between two endpoints, each a chain of
//! filters over a packet set (docs/semantics.md).
//!
//! Address translations (internet gateway, NAT gateway) are applied to the set
//! itself, one source interface at a time, so the original header is always known
//! and restored on the packets that arrive.

use super::path::{HopKind, RuleRef, Walk};
use super::security_group::CompiledGroup;
use super::{Endpoint, Engine, Flow, PathKind};
use crate::model::{
    Eni, EniOwner, LoadBalancerKind, Model, Protocol, RouteTarget, Subnet, TargetRef,
};
use crate::packet::{Dim, EPHEMERAL_PORTS, IntervalSet, PacketSet};
use std::borrow::Cow;
use std::net::Ipv4Addr;

/// Interfaces that share a subnet and a security-group set, seen as one end.
#[derive(Clone)]
pub(crate) struct Side<'a> {
    pub(crate) subnet: &'a Subnet,
    pub(crate) members: Vec<&'a Eni>,
    pub(crate) addrs: IntervalSet,
    groups: Vec<&'a CompiledGroup>,
    group_ids: Vec<String>,
    enforced: bool,
    pub(crate) egress: &'a PacketSet,
    /// What the side admits: its security groups' ingress, and for a
    /// load-balancer node only its listeners' ports besides.
    pub(crate) ingress: Cow<'a, PacketSet>,
}

/// One registration of a target behind a load balancer's listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TargetLeg {
    /// The transport the node connects with.
    pub(crate) protocol: Protocol,
    /// The target port.
    pub(crate) port: u16,
    /// Whether a network load balancer keeps the client's address.
    pub(crate) preserve_client_ip: bool,
}

/// How replies of a private path find their way back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replies {
    /// By the destination subnet's route table.
    Routed,
    /// Through the load balancer that forwarded the packet.
    Carried,
}

/// How packets seen on the internet map back to the packets the source sent.
#[derive(PartialEq)]
pub(crate) enum Origin {
    /// The source address was this one address (an interface's own public IP).
    Address(Ipv4Addr),
    /// A NAT gateway translated every source to `public`. The hops before the
    /// translation only look at destinations and ports, so a sent packet arrives
    /// exactly when its translation does.
    Translated {
        /// The packets that entered the NAT path.
        entered: PacketSet,
        /// The NAT gateway's Elastic IP.
        public: Ipv4Addr,
    },
}

impl Origin {
    pub(super) fn restore(&self, arrived: &PacketSet) -> PacketSet {
        match self {
            Origin::Address(a) => arrived.with_value(Dim::SrcAddr, u32::from(*a)),
            Origin::Translated { entered, public } => {
                entered.intersect(&arrived.preimage_of_rewrite(Dim::SrcAddr, u32::from(*public)))
            }
        }
    }
}

fn single(ip: Ipv4Addr) -> IntervalSet {
    IntervalSet::single(u32::from(ip))
}

/// The private address an internet gateway translates `member`'s public
/// address to (its primary), if the gateway delivers to it at all: a NAT
/// gateway's public address leads to the NAT itself, never into the VPC.
fn translated_address(member: &Eni) -> Option<Ipv4Addr> {
    if matches!(member.owner, EniOwner::NatGateway(_)) {
        return None;
    }
    member.private_ips.first().copied()
}

impl<'m> Engine<'m> {
    /// The side made of `members`, which must share subnet and security groups.
    pub(crate) fn side<'e>(&'e self, members: Vec<&'e Eni>) -> Option<Side<'e>> {
        let first = *members.first()?;
        let subnet = self.model.subnet(&first.subnet)?;
        let groups: Vec<&CompiledGroup> = first
            .security_groups
            .iter()
            .filter_map(|g| self.groups.get(g))
            .collect();
        let (ingress, egress) = if first.sg_enforced {
            let set = self
                .sg_sets
                .of(&first.security_groups, &self.groups, &self.model)?;
            (&set.ingress, &set.egress)
        } else {
            (&self.sg_sets.unfiltered, &self.sg_sets.unfiltered)
        };
        let ingress = match &first.owner {
            EniOwner::LoadBalancer(lb) => Cow::Owned(ingress.intersect(&self.listener_packets(lb))),
            _ => Cow::Borrowed(ingress),
        };
        let addrs = IntervalSet::from_ranges(members.iter().flat_map(|e| {
            e.private_ips
                .iter()
                .map(|ip| (u32::from(*ip), u32::from(*ip)))
        }));
        Some(Side {
            subnet,
            addrs,
            egress,
            ingress,
            group_ids: first.security_groups.clone(),
            enforced: first.sg_enforced,
            groups,
            members,
        })
    }

    pub(crate) fn candidates(
        &self,
        src: &Endpoint,
        dst: &Endpoint,
        query: &PacketSet,
        tracing: bool,
    ) -> Vec<Flow> {
        if !self.may_initiate(src, dst) {
            return Vec::new();
        }
        let side_of = |id: &str| self.eni(id).and_then(|e| self.side(vec![e]));
        match (src, dst) {
            (Endpoint::Eni(s), Endpoint::Eni(d)) => match (side_of(s), side_of(d)) {
                (Some(s), Some(d)) => {
                    let mut flows = self.eni_to_eni(&s, &d, query, tracing);
                    flows.extend(self.load_balanced(src, &d, query, tracing));
                    flows
                }
                _ => Vec::new(),
            },
            (Endpoint::Internet, Endpoint::Eni(d)) => match side_of(d) {
                Some(d) => {
                    let mut flows = self.internet_to_eni(&d, query, tracing);
                    flows.extend(self.load_balanced(src, &d, query, tracing));
                    flows
                }
                None => Vec::new(),
            },
            (Endpoint::OnPrem, Endpoint::Eni(d)) => match side_of(d) {
                Some(d) => {
                    let mut flows = vec![self.onprem_to_eni(&d, query, tracing)];
                    flows.extend(self.load_balanced(src, &d, query, tracing));
                    flows
                }
                None => Vec::new(),
            },
            (Endpoint::Eni(s), Endpoint::Internet) => side_of(s)
                .map(|s| self.eni_to_internet(&s, query, tracing))
                .unwrap_or_default(),
            (Endpoint::Eni(s), Endpoint::OnPrem) => side_of(s)
                .map(|s| vec![self.eni_to_onprem(&s, query, tracing)])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Private paths, then paths over the destination's public addresses.
    pub(crate) fn eni_to_eni(
        &self,
        s: &Side<'_>,
        d: &Side<'_>,
        query: &PacketSet,
        tracing: bool,
    ) -> Vec<Flow> {
        let mut flows = vec![self.private(s, d, query, tracing)];
        for member in &d.members {
            let Some(public_ip) = member.public_ip else {
                continue;
            };
            let to_public = query.restrict(Dim::DstAddr, &single(public_ip));
            if tracing && to_public.is_empty() {
                continue;
            }
            flows.push(self.public_internet(s, d, member, public_ip, &to_public, tracing));
        }
        flows
    }

    pub(super) fn walk(tracing: bool) -> Walk {
        if tracing {
            Walk::tracing()
        } else {
            Walk::sets()
        }
    }

    fn flow(kind: PathKind, packets: PacketSet, walk: Walk) -> Flow {
        Flow {
            kind,
            packets,
            hops: walk.into_hops(),
        }
    }

    fn sg_egress(&self, w: &mut Walk, side: &Side<'_>, set: PacketSet) -> PacketSet {
        let groups = &side.groups;
        let ids = &side.group_ids;
        let enforced = side.enforced;
        w.filter(HopKind::SecurityGroupEgress, set, side.egress, |p| {
            if enforced {
                self.groups.decide(&self.model, groups, ids, p, true)
            } else {
                unfiltered(&self.model)
            }
        })
    }

    fn sg_ingress(&self, w: &mut Walk, side: &Side<'_>, set: PacketSet) -> PacketSet {
        let groups = &side.groups;
        let ids = &side.group_ids;
        let enforced = side.enforced;
        let node_of = side.members.first().and_then(|m| match &m.owner {
            EniOwner::LoadBalancer(lb) => Some(lb.as_str()),
            _ => None,
        });
        w.filter(HopKind::SecurityGroupIngress, set, &side.ingress, |p| {
            if let Some(lb) = node_of.filter(|lb| !self.listener_packets(lb).contains(p)) {
                RuleRef {
                    object: format!("load balancer {lb}"),
                    rule:
                        "no listener on this protocol and port: a node accepts only its listeners"
                            .into(),
                    span: self.model.load_balancer(lb).and_then(|l| l.meta.span),
                }
            } else if enforced {
                self.groups.decide(&self.model, groups, ids, p, false)
            } else {
                unfiltered(&self.model)
            }
        })
    }

    /// A NACL hop of `subnet`. Return hops check the reply, so their allowed set is
    /// mapped back to forward packets.
    fn nacl(&self, w: &mut Walk, kind: HopKind, subnet: &str, set: PacketSet) -> PacketSet {
        let Some(acl) = self.nacls.for_subnet(subnet) else {
            return PacketSet::empty();
        };
        let direction = match kind {
            HopKind::NaclEgress | HopKind::ReturnNaclEgress => &acl.egress,
            _ => &acl.ingress,
        };
        if kind.is_return() {
            w.filter(kind, set, &direction.allowed_replies, |p| {
                if p.expects_reply() {
                    direction.decide(&p.reply())
                } else {
                    no_reply_expected(p)
                }
            })
        } else {
            w.filter(kind, set, &direction.allowed, |p| direction.decide(p))
        }
    }

    /// Forward NACLs of both subnets and the reply's, when the flow changes subnet.
    fn crossing(&self, w: &mut Walk, from: &str, to: &str, set: PacketSet) -> PacketSet {
        if from == to {
            return set;
        }
        let set = self.nacl(w, HopKind::NaclEgress, from, set);
        self.nacl(w, HopKind::NaclIngress, to, set)
    }

    fn crossing_back(&self, w: &mut Walk, from: &str, to: &str, set: PacketSet) -> PacketSet {
        if from == to {
            return set;
        }
        let set = self.nacl(w, HopKind::ReturnNaclEgress, to, set);
        self.nacl(w, HopKind::ReturnNaclIngress, from, set)
    }

    /// Keeps the packets whose `dim` address the subnet's table routes to a target
    /// accepted by `accept`; records the route when tracing.
    pub(super) fn routed(
        &self,
        w: &mut Walk,
        kind: HopKind,
        subnet: &str,
        set: &PacketSet,
        dim: Dim,
        accept: impl Fn(&RouteTarget) -> bool,
    ) -> Vec<(RouteTarget, PacketSet)> {
        let Some(table) = self.routes.for_subnet(subnet) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (entry, part) in table.partition(set, dim) {
            match entry {
                Some(e) if accept(&e.target) => {
                    w.note(kind, &part, true, || e.rule.clone());
                    out.push((e.target.clone(), part));
                }
                Some(e) => w.note(kind, &part, false, || RuleRef {
                    rule: format!("{}: does not lead to the destination", e.rule.rule),
                    ..e.rule.clone()
                }),
                None => w.note(kind, &part, false, || table.no_route()),
            }
        }
        out
    }

    /// The return route: keeps the packets whose reply `subnet`'s table sends
    /// to a target `back` accepts (the way the packet came). Messages that
    /// expect no reply need no return route.
    pub(super) fn returned(
        &self,
        w: &mut Walk,
        subnet: &str,
        set: &PacketSet,
        back: impl Fn(&RouteTarget) -> bool,
    ) -> PacketSet {
        let one_way = set.intersect(&PacketSet::without_reply());
        let two_way = if one_way.is_empty() {
            set.clone()
        } else {
            w.note(HopKind::ReturnRoute, &one_way, true, || {
                one_way
                    .witness()
                    .map(|p| no_reply_expected(&p))
                    .unwrap_or_else(|| unfiltered(&self.model))
            });
            set.difference(&one_way)
        };
        self.routed(
            w,
            HopKind::ReturnRoute,
            subnet,
            &two_way,
            Dim::SrcAddr,
            back,
        )
        .into_iter()
        .fold(one_way, |acc, (_, p)| acc.union(&p))
    }

    fn vpc_of(&self, subnet: &Subnet) -> String {
        subnet.vpc.clone()
    }

    pub(super) fn active_peering_between(&self, target: &RouteTarget, a: &str, b: &str) -> bool {
        match target {
            RouteTarget::Peering(id) => self
                .model
                .peering(id)
                .is_some_and(|p| p.active && p.peer_of(a) == Some(b)),
            _ => false,
        }
    }

    /// Private addresses, same VPC or across one active peering; a peering never
    /// forwards further (no edge-to-edge routing). A route to a NAT gateway is
    /// followed onward by the NAT subnet's table ([`Engine::via_nat`]).
    pub(crate) fn private(
        &self,
        s: &Side<'_>,
        d: &Side<'_>,
        query: &PacketSet,
        tracing: bool,
    ) -> Flow {
        self.private_with(s, d, query, tracing, Replies::Routed)
    }

    /// [`Engine::private`], with replies routed by the destination subnet's
    /// table or carried back by a load balancer.
    fn private_with(
        &self,
        s: &Side<'_>,
        d: &Side<'_>,
        query: &PacketSet,
        tracing: bool,
        replies: Replies,
    ) -> Flow {
        let mut w = Self::walk(tracing);
        let set = query
            .restrict(Dim::SrcAddr, &s.addrs)
            .restrict(Dim::DstAddr, &d.addrs);
        let set = self.sg_egress(&mut w, s, set);
        let (sv, dv) = (self.vpc_of(s.subnet), self.vpc_of(d.subnet));
        let mut kind = PathKind::Private {
            peering: None,
            nat: None,
        };
        if s.subnet.meta.id == d.subnet.meta.id {
            let set = self.sg_ingress(&mut w, d, set);
            return Self::flow(kind, set, w);
        }
        let mut total = PacketSet::empty();
        let forward = self.routed(
            &mut w,
            HopKind::Route,
            &s.subnet.meta.id,
            &set,
            Dim::DstAddr,
            |t| {
                (*t == RouteTarget::Local && sv == dv)
                    || self.active_peering_between(t, &sv, &dv)
                    || matches!(t, RouteTarget::NatGateway(_))
            },
        );
        for (target, part) in forward {
            if let RouteTarget::NatGateway(nat) = &target {
                let (arrived, peering) = self.via_nat(&mut w, s, d, nat, part);
                if !arrived.is_empty() || tracing {
                    kind = PathKind::Private {
                        peering,
                        nat: Some(nat.clone()),
                    };
                }
                total = total.union(&arrived);
                continue;
            }
            if let RouteTarget::Peering(id) = &target {
                kind = PathKind::Private {
                    peering: Some(id.clone()),
                    nat: None,
                };
            }
            let part = self.crossing(&mut w, &s.subnet.meta.id, &d.subnet.meta.id, part);
            let part = self.sg_ingress(&mut w, d, part);
            let part = self.nacl(&mut w, HopKind::ReturnNaclEgress, &d.subnet.meta.id, part);
            // The reply must come back the way the packet went: local, or the
            // same peering (unless a load balancer carries it back).
            let part = match replies {
                Replies::Routed => {
                    self.returned(&mut w, &d.subnet.meta.id, &part, |t| *t == target)
                }
                Replies::Carried => part,
            };
            let part = self.nacl(&mut w, HopKind::ReturnNaclIngress, &s.subnet.meta.id, part);
            total = total.union(&part);
        }
        Self::flow(kind, total, w)
    }

    /// Source subnet -> NAT gateway (both subnets' NACLs, both ways), where the
    /// source becomes the NAT's private address, then the NAT subnet's route
    /// onward to `d`: locally or over an active peering with `d`'s VPC. Returns
    /// the packets, as the source sent them, that arrive and whose replies come
    /// back, and the peering crossed.
    fn via_nat(
        &self,
        w: &mut Walk,
        s: &Side<'_>,
        d: &Side<'_>,
        nat_id: &str,
        set: PacketSet,
    ) -> (PacketSet, Option<String>) {
        let Some((entered, translated, nat)) = self.enter_nat(w, s.subnet, nat_id, set) else {
            return (PacketSet::empty(), None);
        };
        let (nv, dv) = (nat_vpc(self, nat), self.vpc_of(d.subnet));
        let onward = self.routed(
            w,
            HopKind::Route,
            &nat.subnet,
            &translated,
            Dim::DstAddr,
            |t| (*t == RouteTarget::Local && nv == dv) || self.active_peering_between(t, &nv, &dv),
        );
        let (ns, ds) = (nat.subnet.as_str(), d.subnet.meta.id.as_str());
        let mut arrived = PacketSet::empty();
        let mut peering = None;
        for (target, part) in onward {
            if let RouteTarget::Peering(id) = &target {
                peering = Some(id.clone());
            }
            let part = self.crossing(w, ns, ds, part);
            let part = self.sg_ingress(w, d, part);
            let part = if ns == ds {
                part
            } else {
                self.nacl(w, HopKind::ReturnNaclEgress, ds, part)
            };
            let part = self.returned(w, ds, &part, |t| *t == target);
            let part = if ns == ds {
                part
            } else {
                self.nacl(w, HopKind::ReturnNaclIngress, ns, part)
            };
            arrived = arrived.union(&part);
        }
        let private = nat.private_ip.map_or(0, u32::from);
        let origin = Origin::Translated {
            entered,
            public: Ipv4Addr::from(private),
        };
        (origin.restore(&arrived), peering)
    }

    /// From `from` into the NAT gateway `nat_id`: both subnets' NACLs, both
    /// ways, then the source address becomes the NAT's private one. Returns the
    /// packets that entered (as sent), the same packets translated, and the NAT.
    fn enter_nat(
        &self,
        w: &mut Walk,
        from: &Subnet,
        nat_id: &str,
        set: PacketSet,
    ) -> Option<(PacketSet, PacketSet, &crate::model::NatGateway)> {
        let nat = self.model.nat_gateway(nat_id)?;
        let private = nat.private_ip?;
        let from = from.meta.id.as_str();
        let set = self.crossing(w, from, &nat.subnet, set);
        let set = self.crossing_back(w, from, &nat.subnet, set);
        w.note(HopKind::Gateway, &set, true, || RuleRef {
            object: format!("NAT gateway {}", nat.meta.label()),
            rule: format!("source translated to {private}"),
            span: nat.meta.span,
        });
        let translated = set.with_value(Dim::SrcAddr, u32::from(private));
        Some((set, translated, nat))
    }

    /// Leaves the VPC towards the internet: through the source's own public address
    /// and the internet gateway, or through a NAT gateway. Yields, per exit, the
    /// packets as they appear on the internet (source translated) and how to map
    /// arrivals back to the packets the source sent.
    pub(super) fn egress_internet(
        &self,
        w: &mut Walk,
        s: &Side<'_>,
        set: &PacketSet,
    ) -> Vec<(String, PacketSet, Origin)> {
        let mut out = Vec::new();
        let sv = self.vpc_of(s.subnet);
        let sid = s.subnet.meta.id.as_str();
        let set = self.sg_egress(w, s, set.clone());
        let exits = self.routed(w, HopKind::Route, sid, &set, Dim::DstAddr, |t| match t {
            RouteTarget::InternetGateway(g) => self.igw_attached(g, &sv),
            RouteTarget::NatGateway(_) => true,
            _ => false,
        });
        for (target, part) in exits {
            match target {
                RouteTarget::InternetGateway(g) => {
                    // Each interface leaves from its own public address.
                    for member in &s.members {
                        let own = IntervalSet::from_ranges(
                            member
                                .private_ips
                                .iter()
                                .map(|ip| (u32::from(*ip), u32::from(*ip))),
                        );
                        let mine = part.restrict(Dim::SrcAddr, &own);
                        if mine.is_empty() {
                            continue;
                        }
                        let Some(public) = member.public_ip else {
                            w.note(HopKind::Gateway, &mine, false, || RuleRef {
                                object: format!("internet gateway {g}"),
                                rule: format!(
                                    "interface {} has no public IP: dropped",
                                    member.meta.id
                                ),
                                span: member.meta.span,
                            });
                            continue;
                        };
                        let mine = self.nacl(w, HopKind::NaclEgress, sid, mine);
                        let mine = self.nacl(w, HopKind::ReturnNaclIngress, sid, mine);
                        w.note(HopKind::Gateway, &mine, true, || RuleRef {
                            object: format!("internet gateway {g}"),
                            rule: format!("source translated to public {public}"),
                            span: self.model.internet_gateway(&g).and_then(|x| x.meta.span),
                        });
                        // Members may hold several private addresses; each maps to the one public address.
                        for ip in &member.private_ips {
                            let from_ip = mine.restrict(Dim::SrcAddr, &single(*ip));
                            if !from_ip.is_empty() {
                                out.push((
                                    g.clone(),
                                    from_ip.with_value(Dim::SrcAddr, u32::from(public)),
                                    Origin::Address(*ip),
                                ));
                            }
                        }
                    }
                }
                RouteTarget::NatGateway(n) => {
                    if let Some((exit, public)) = self.through_nat(w, s.subnet, &n, part.clone()) {
                        out.push((
                            n,
                            exit,
                            Origin::Translated {
                                entered: part,
                                public,
                            },
                        ));
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn igw_attached(&self, igw: &str, vpc: &str) -> bool {
        self.model
            .internet_gateway(igw)
            .is_some_and(|g| g.vpc.as_deref() == Some(vpc))
    }

    /// Source subnet -> NAT gateway -> its subnet's internet gateway. NAT gateways
    /// only translate outbound connections; replies return through them. A
    /// private NAT gateway never reaches the internet.
    fn through_nat(
        &self,
        w: &mut Walk,
        from_subnet: &Subnet,
        nat_id: &str,
        set: PacketSet,
    ) -> Option<(PacketSet, Ipv4Addr)> {
        let (_, set, nat) = self.enter_nat(w, from_subnet, nat_id, set)?;
        let public = nat.public_ip;
        let vpc = nat_vpc(self, nat);
        let exits = self.routed(
            w,
            HopKind::Route,
            &nat.subnet,
            &set,
            Dim::DstAddr,
            |t| matches!(t, RouteTarget::InternetGateway(g) if self.igw_attached(g, &vpc)),
        );
        let mut out = PacketSet::empty();
        for (_, part) in exits {
            let Some(public) = public else {
                w.note(HopKind::Gateway, &part, false, || RuleRef {
                    object: format!("NAT gateway {}", nat.meta.label()),
                    rule: "private NAT gateway: no route to the internet".into(),
                    span: nat.meta.span,
                });
                continue;
            };
            let part = self.nacl(w, HopKind::NaclEgress, &nat.subnet, part);
            let part = self.nacl(w, HopKind::ReturnNaclIngress, &nat.subnet, part);
            w.note(HopKind::Gateway, &part, true, || RuleRef {
                object: format!("NAT gateway {}", nat.meta.label()),
                rule: format!("leaves through the internet gateway from its Elastic IP {public}"),
                span: nat.meta.span,
            });
            out = out.union(&part.with_value(Dim::SrcAddr, u32::from(public)));
        }
        public.map(|p| (out, p))
    }

    /// Arrives from the internet at `member`'s public address: internet gateway,
    /// NACL, security groups, and a route for the reply back to that gateway.
    /// `set` holds packets as they appear on the internet.
    pub(super) fn ingress_internet(
        &self,
        w: &mut Walk,
        d: &Side<'_>,
        member: &Eni,
        public_ip: Ipv4Addr,
        set: PacketSet,
    ) -> PacketSet {
        let Some(igw) = self.igw_of(w, d, &set) else {
            return PacketSet::empty();
        };
        let Some(private) = translated_address(member) else {
            return PacketSet::empty();
        };
        let set = set.restrict(Dim::DstAddr, &single(public_ip));
        w.note(HopKind::Gateway, &set, !set.is_empty(), || RuleRef {
            object: format!("internet gateway {}", igw.meta.label()),
            rule: format!("destination {public_ip} translated to private {private}"),
            span: igw.meta.span,
        });
        let set = set.with_value(Dim::DstAddr, u32::from(private));
        let gateway = RouteTarget::InternetGateway(igw.meta.id.clone());
        let arrived = self.arriving_from(w, d, &gateway, set);
        arrived.with_value(Dim::DstAddr, u32::from(public_ip))
    }

    /// [`Engine::ingress_internet`] for every member of `d` with a public
    /// address: (member position in `d`, public address, what arrives), leaving
    /// out members nothing reaches. The hops after the gateway filter by the
    /// class's rules and by source address, so when `set` leaves destination
    /// addresses free they are walked once for the class and split by member.
    pub(super) fn internet_openings(
        &self,
        d: &Side<'_>,
        set: &PacketSet,
    ) -> Vec<(usize, Ipv4Addr, PacketSet)> {
        let public: Vec<(usize, &Eni, Ipv4Addr)> = d
            .members
            .iter()
            .enumerate()
            .filter_map(|(k, m)| Some((k, *m, m.public_ip?)))
            .collect();
        let mut w = Self::walk(false);
        if public.is_empty() {
            return Vec::new();
        }
        if !set.is_free(Dim::DstAddr) {
            return public
                .into_iter()
                .map(|(k, m, ip)| (k, ip, self.ingress_internet(&mut w, d, m, ip, set.clone())))
                .filter(|(_, _, arrived)| !arrived.is_empty())
                .collect();
        }
        let Some(igw) = self.igw_of(&mut w, d, set) else {
            return Vec::new();
        };
        let gateway = RouteTarget::InternetGateway(igw.meta.id.clone());
        let mut arrived = None;
        public
            .into_iter()
            .filter_map(|(k, m, ip)| {
                let private = translated_address(m)?;
                let all = arrived
                    .get_or_insert_with(|| self.arriving_from(&mut w, d, &gateway, set.clone()));
                let mine = all
                    .restrict(Dim::DstAddr, &single(private))
                    .with_value(Dim::DstAddr, u32::from(ip));
                (!mine.is_empty()).then_some((k, ip, mine))
            })
            .collect()
    }

    /// The internet gateway of `d`'s VPC; its absence is noted on `w`.
    fn igw_of(
        &self,
        w: &mut Walk,
        d: &Side<'_>,
        set: &PacketSet,
    ) -> Option<&crate::model::InternetGateway> {
        let vpc = self.vpc_of(d.subnet);
        let igw = self
            .model
            .internet_gateways()
            .iter()
            .find(|g| g.vpc.as_deref() == Some(&vpc));
        if igw.is_none() {
            w.note(HopKind::Gateway, set, false, || RuleRef {
                object: format!("vpc {vpc}"),
                rule: "no internet gateway attached: public addresses are unreachable".into(),
                span: self.model.vpc(&vpc).and_then(|v| v.meta.span),
            });
        }
        igw
    }

    /// From a gateway into `d`, addressed to its private addresses: the subnet's
    /// NACL and the security groups let the packets in, and each reply leaves
    /// through the NACL and is routed back to that same gateway.
    fn arriving_from(
        &self,
        w: &mut Walk,
        d: &Side<'_>,
        gateway: &RouteTarget,
        set: PacketSet,
    ) -> PacketSet {
        let sid = d.subnet.meta.id.as_str();
        let set = self.nacl(w, HopKind::NaclIngress, sid, set);
        let set = self.sg_ingress(w, d, set);
        let set = self.nacl(w, HopKind::ReturnNaclEgress, sid, set);
        self.returned(w, sid, &set, |t| t == gateway)
    }

    fn public_internet(
        &self,
        s: &Side<'_>,
        d: &Side<'_>,
        member: &Eni,
        public_ip: Ipv4Addr,
        set: &PacketSet,
        tracing: bool,
    ) -> Flow {
        let mut w = Self::walk(tracing);
        let set = set.restrict(Dim::SrcAddr, &s.addrs);
        let mut total = PacketSet::empty();
        let mut egress = None;
        for (exit, translated, original) in self.egress_internet(&mut w, s, &set) {
            egress = Some(exit);
            let arrived = self.ingress_internet(&mut w, d, member, public_ip, translated);
            total = total.union(&original.restore(&arrived));
        }
        Self::flow(PathKind::PublicInternet { egress, public_ip }, total, w)
    }

    fn internet_to_eni(&self, d: &Side<'_>, query: &PacketSet, tracing: bool) -> Vec<Flow> {
        let from_internet = query.restrict(Dim::SrcAddr, &self.internet);
        d.members
            .iter()
            .filter_map(|m| Some((m, m.public_ip?)))
            .map(|(member, public_ip)| {
                let mut w = Self::walk(tracing);
                let set = from_internet.restrict(Dim::DstAddr, &single(public_ip));
                let arrived = self.ingress_internet(&mut w, d, member, public_ip, set);
                Self::flow(PathKind::FromInternet { public_ip }, arrived, w)
            })
            .collect()
    }

    pub(super) fn eni_to_internet(
        &self,
        s: &Side<'_>,
        query: &PacketSet,
        tracing: bool,
    ) -> Vec<Flow> {
        let mut w = Self::walk(tracing);
        let set = query
            .restrict(Dim::SrcAddr, &s.addrs)
            .restrict(Dim::DstAddr, &self.internet);
        let mut flows: Vec<Flow> = Vec::new();
        for (exit, translated, original) in self.egress_internet(&mut w, s, &set) {
            let kind = PathKind::ToInternet { egress: Some(exit) };
            let packets = original.restore(&translated);
            match flows.iter_mut().find(|f| f.kind == kind) {
                Some(f) => f.packets = f.packets.union(&packets),
                None => flows.push(Flow {
                    kind,
                    packets,
                    hops: Vec::new(),
                }),
            }
        }
        let hops = w.into_hops();
        match flows.first_mut() {
            Some(f) => f.hops = hops,
            None => flows.push(Flow {
                kind: PathKind::ToInternet { egress: None },
                packets: PacketSet::empty(),
                hops,
            }),
        }
        flows
    }

    fn vgw_of(&self, vpc: &str) -> Option<&crate::model::VpnGateway> {
        self.model
            .vpn_gateways()
            .iter()
            .find(|g| g.vpc.as_deref() == Some(vpc))
    }

    pub(super) fn onprem_to_eni(&self, d: &Side<'_>, query: &PacketSet, tracing: bool) -> Flow {
        let mut w = Self::walk(tracing);
        let vpc = self.vpc_of(d.subnet);
        let set = query
            .restrict(Dim::SrcAddr, &self.onprem)
            .restrict(Dim::DstAddr, &d.addrs);
        let Some(vgw) = self.vgw_of(&vpc) else {
            w.note(HopKind::Gateway, &set, false, || RuleRef {
                object: format!("vpc {vpc}"),
                rule: "no virtual private gateway attached".into(),
                span: None,
            });
            return Self::flow(
                PathKind::FromOnPrem { vpn_gateway: None },
                PacketSet::empty(),
                w,
            );
        };
        w.note(HopKind::Gateway, &set, !set.is_empty(), || RuleRef {
            object: format!("virtual private gateway {}", vgw.meta.label()),
            rule: "arrives from on-premises".into(),
            span: vgw.meta.span,
        });
        let gateway = RouteTarget::VpnGateway(vgw.meta.id.clone());
        let arrived = self.arriving_from(&mut w, d, &gateway, set);
        let kind = PathKind::FromOnPrem {
            vpn_gateway: Some(vgw.meta.id.clone()),
        };
        Self::flow(kind, arrived, w)
    }

    pub(super) fn eni_to_onprem(&self, s: &Side<'_>, query: &PacketSet, tracing: bool) -> Flow {
        let mut w = Self::walk(tracing);
        let vpc = self.vpc_of(s.subnet);
        let set = query
            .restrict(Dim::SrcAddr, &s.addrs)
            .restrict(Dim::DstAddr, &self.onprem);
        let set = self.sg_egress(&mut w, s, set);
        let sid = s.subnet.meta.id.as_str();
        let vgw_of_vpc = |g: &str, vpc: &str| self.vgw_of(vpc).is_some_and(|v| v.meta.id == g);
        let exits = self.routed(
            &mut w,
            HopKind::Route,
            sid,
            &set,
            Dim::DstAddr,
            |t| match t {
                RouteTarget::VpnGateway(g) => vgw_of_vpc(g, &vpc),
                RouteTarget::NatGateway(_) => true,
                _ => false,
            },
        );
        let mut arrived = PacketSet::empty();
        let (mut vpn_gateway, mut nat) = (None, None);
        for (target, part) in exits {
            if let RouteTarget::NatGateway(n) = &target {
                // A NAT gateway whose subnet routes to the VPN gateway: the
                // packets leave from its private address.
                let Some((entered, translated, gw)) = self.enter_nat(&mut w, s.subnet, n, part)
                else {
                    continue;
                };
                let nv = nat_vpc(self, gw);
                let onward = self.routed(
                    &mut w,
                    HopKind::Route,
                    &gw.subnet,
                    &translated,
                    Dim::DstAddr,
                    |t| matches!(t, RouteTarget::VpnGateway(g) if vgw_of_vpc(g, &nv)),
                );
                for (target, part) in onward {
                    let part = self.nacl(&mut w, HopKind::NaclEgress, &gw.subnet, part);
                    let part = self.nacl(&mut w, HopKind::ReturnNaclIngress, &gw.subnet, part);
                    let origin = Origin::Translated {
                        entered: entered.clone(),
                        public: gw.private_ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
                    };
                    if !part.is_empty() || tracing {
                        vpn_gateway = target.id().map(str::to_string);
                        nat = Some(n.clone());
                    }
                    arrived = arrived.union(&origin.restore(&part));
                }
                continue;
            }
            vpn_gateway = target.id().map(str::to_string);
            let part = self.nacl(&mut w, HopKind::NaclEgress, sid, part);
            let part = self.nacl(&mut w, HopKind::ReturnNaclIngress, sid, part);
            arrived = arrived.union(&part);
        }
        Self::flow(PathKind::ToOnPrem { vpn_gateway, nat }, arrived, w)
    }

    /// Through every load balancer that has `d` as a target: client to listener
    /// (any path to a node), then node to target (a private path). The flow's
    /// packets are the client's, addressed to the node.
    pub(super) fn load_balanced(
        &self,
        src: &Endpoint,
        d: &Side<'_>,
        query: &PacketSet,
        tracing: bool,
    ) -> Vec<Flow> {
        let mut flows = Vec::new();
        let Some(target_eni) = d.members.first() else {
            return flows;
        };
        let lbs = self.lb_targets.get(&target_eni.meta.id);
        for lb in lbs
            .into_iter()
            .flatten()
            .filter_map(|&i| self.model.load_balancers().get(i))
        {
            for listener in &lb.listeners {
                let target_ports = self.target_ports(&listener.target_groups, target_eni);
                let listener_set = service_set(listener.protocol, listener.port);
                let client = query.intersect(&listener_set);
                if client.is_empty() {
                    continue;
                }
                for leg in &target_ports {
                    let preserved = leg.preserve_client_ip && lb.kind == LoadBalancerKind::Network;
                    for node_id in &lb.nodes {
                        let Some(node) = self.eni(node_id).and_then(|n| self.side(vec![n])) else {
                            continue;
                        };
                        let node_ep = Endpoint::Eni(node_id.clone());
                        let first = self.to_node(src, &node_ep, &node, &client, tracing);
                        let second_query = node_to_target(leg.protocol, leg.port);
                        // The source the target sees: the node's address, or
                        // the client's where the load balancer keeps it.
                        let seen_source = || {
                            if preserved {
                                client.witness().map(|c| c.src)
                            } else {
                                (node.members.first()).and_then(|m| m.private_ips.first().copied())
                            }
                        };
                        let second_query = match (tracing, second_query.witness()) {
                            (true, Some(p)) => PacketSet::single(&crate::packet::Packet {
                                src: seen_source().unwrap_or(p.src),
                                dst: target_eni.private_ips.first().copied().unwrap_or(p.dst),
                                ..p
                            }),
                            _ => second_query,
                        };
                        let second = if preserved {
                            self.preserved_leg(lb, &node, d, &second_query, tracing)
                        } else {
                            self.private(&node, d, &second_query, tracing)
                        };
                        // Which clients the target admits, where it sees them.
                        let admitted = preserved.then(|| second.packets.project(Dim::SrcAddr));
                        let kind = PathKind::LoadBalancer {
                            load_balancer: lb.meta.id.clone(),
                            node: node_id.clone(),
                            listener_port: listener.port,
                            target_port: leg.port,
                        };
                        for seg in first {
                            if tracing && seg.hops.is_empty() {
                                continue;
                            }
                            let packets = match &admitted {
                                _ if second.packets.is_empty() => PacketSet::empty(),
                                Some(clients) => seg.packets.restrict(Dim::SrcAddr, clients),
                                None => seg.packets,
                            };
                            let mut hops = seg.hops;
                            if let (true, Some(packet)) = (tracing, second_query.witness()) {
                                hops.push(super::Hop {
                                    kind: HopKind::Gateway,
                                    packet,
                                    allowed: true,
                                    rule: RuleRef {
                                        object: format!("load balancer {}", lb.meta.label()),
                                        rule: format!(
                                            "listener {}/{} forwards to target port {}{}",
                                            listener.protocol,
                                            listener.port,
                                            leg.port,
                                            match (preserved, lb.kind) {
                                                (true, _) => "; client address preserved (network load balancer target group): the target judges the client's address",
                                                (false, LoadBalancerKind::Network) => "; client address not preserved: the target judges the node's address",
                                                (false, LoadBalancerKind::Application) => "",
                                            }
                                        ),
                                        span: listener.span.or(lb.meta.span),
                                    },
                                });
                                hops.extend(second.hops.iter().cloned());
                            }
                            flows.push(Flow {
                                kind: kind.clone(),
                                packets,
                                hops,
                            });
                        }
                    }
                }
            }
        }
        flows
    }

    /// The client segment to one load-balancer node. A traced packet is addressed
    /// to the target; it is re-addressed to each of the node's addresses.
    fn to_node(
        &self,
        src: &Endpoint,
        node_ep: &Endpoint,
        node: &Side<'_>,
        client: &PacketSet,
        tracing: bool,
    ) -> Vec<Flow> {
        if !tracing {
            return self.candidates(src, node_ep, client, false);
        }
        let addrs: Vec<Ipv4Addr> = node
            .members
            .iter()
            .flat_map(|m| m.private_ips.iter().copied().chain(m.public_ip))
            .collect();
        // A packet already addressed to the node is traced as it is.
        let to_node = addrs
            .iter()
            .any(|a| !client.restrict(Dim::DstAddr, &single(*a)).is_empty());
        if to_node {
            return self.candidates(src, node_ep, client, true);
        }
        addrs
            .into_iter()
            .flat_map(|a| {
                self.candidates(
                    src,
                    node_ep,
                    &client.with_value(Dim::DstAddr, u32::from(a)),
                    true,
                )
            })
            .filter(|f| !f.hops.is_empty())
            .collect()
    }

    /// Whether `src` opens connections to `dst` at all: interface endpoints never
    /// initiate (they only answer), and a load-balancer node connects only to its
    /// load balancer's registered targets.
    pub(crate) fn may_initiate(&self, src: &Endpoint, dst: &Endpoint) -> bool {
        let Endpoint::Eni(id) = src else { return true };
        let Some(eni) = self.eni(id) else {
            return false;
        };
        match &eni.owner {
            EniOwner::VpcEndpoint(_) => false,
            EniOwner::LoadBalancer(lb) => {
                let Endpoint::Eni(target) = dst else {
                    return false;
                };
                let (Some(lb), Some(target)) = (self.model.load_balancer(lb), self.eni(target))
                else {
                    return false;
                };
                let groups: Vec<String> = lb
                    .listeners
                    .iter()
                    .flat_map(|l| l.target_groups.iter().cloned())
                    .collect();
                !self.target_ports(&groups, target).is_empty()
            }
            _ => true,
        }
    }

    /// What a node of load balancer `lb` accepts from clients: its listeners'
    /// ports, over TCP (HTTP, HTTPS, TLS, TCP listeners), UDP, or both
    /// (TCP_UDP); nothing for an unknown load balancer or one without listeners.
    pub(crate) fn listener_packets(&self, lb: &str) -> PacketSet {
        let Some(lb) = self.model.load_balancer(lb) else {
            return PacketSet::empty();
        };
        lb.listeners
            .iter()
            .map(|l| match l.protocol {
                Protocol::All => {
                    service_set(Protocol::Tcp, l.port).union(&service_set(Protocol::Udp, l.port))
                }
                p => service_set(p, l.port),
            })
            .fold(PacketSet::empty(), |acc, p| acc.union(&p))
    }

    /// Every target registration of `eni` in `groups`: the protocol and port
    /// the node connects to, and whether a network load balancer keeps the
    /// client's address on the way.
    pub(super) fn target_ports(&self, groups: &[String], eni: &Eni) -> Vec<TargetLeg> {
        let mut out = Vec::new();
        for tg in groups.iter().filter_map(|id| self.model.target_group(id)) {
            for t in &tg.targets {
                let hit = match &t.target {
                    TargetRef::Instance(i) => self
                        .model
                        .instance(i)
                        .and_then(|inst| inst.enis.first())
                        .is_some_and(|primary| *primary == eni.meta.id),
                    TargetRef::Ip(ip) => eni.private_ips.contains(ip),
                };
                if hit {
                    out.push(TargetLeg {
                        protocol: tg.protocol,
                        port: t.port.unwrap_or(tg.port),
                        preserve_client_ip: tg.preserve_client_ip,
                    });
                }
            }
        }
        out.sort_by_key(|l| (l.protocol.to_string(), l.port, l.preserve_client_ip));
        out.dedup();
        out
    }

    /// The node-to-target leg of a network load balancer that keeps the
    /// client's address (docs/semantics.md, "Load balancers"): the packets
    /// are the client's (`query`'s source addresses), so the NACLs on the way
    /// and the target's security groups judge the client; a target rule that
    /// names one of the load balancer's own groups admits them whatever
    /// their source. Replies return through the load balancer, not by the
    /// target subnet's routes.
    pub(super) fn preserved_leg(
        &self,
        lb: &crate::model::LoadBalancer,
        node: &Side<'_>,
        d: &Side<'_>,
        query: &PacketSet,
        tracing: bool,
    ) -> Flow {
        let node = Side {
            addrs: query.project(Dim::SrcAddr),
            ..node.clone()
        };
        let via_group = self.admitted_via_groups(&d.group_ids, &lb.security_groups);
        let mut target = d.clone();
        if !via_group.is_empty() {
            target.ingress = Cow::Owned(d.ingress.union(&via_group));
        }
        self.private_with(&node, &target, query, tracing, Replies::Carried)
    }

    /// What ingress rules of `groups` that name one of `peers` (a load
    /// balancer's security groups) admit, from any source address.
    fn admitted_via_groups(&self, groups: &[String], peers: &[String]) -> PacketSet {
        let mut out = PacketSet::empty();
        if peers.is_empty() {
            return out;
        }
        for g in groups.iter().filter_map(|g| self.model.security_group(g)) {
            for r in &g.ingress {
                if let crate::model::RulePeer::SecurityGroup(p) = &r.peer
                    && peers.contains(p)
                {
                    out = out.union(&super::rules::traffic_packets(&r.traffic));
                }
            }
        }
        out
    }
}

/// The VPC of a NAT gateway's subnet.
fn nat_vpc(engine: &Engine<'_>, nat: &crate::model::NatGateway) -> String {
    engine
        .model
        .subnet(&nat.subnet)
        .map(|s| s.vpc.clone())
        .unwrap_or_default()
}

/// What a load-balancer node sends a target: the target group's protocol and
/// port, from an ephemeral port.
pub(super) fn node_to_target(protocol: Protocol, port: u16) -> PacketSet {
    service_set(protocol, port).restrict(
        Dim::SrcPort,
        &IntervalSet::range(u32::from(EPHEMERAL_PORTS.0), u32::from(EPHEMERAL_PORTS.1)),
    )
}

/// Packets of one transport protocol to one destination port, any source port.
pub(super) fn service_set(protocol: Protocol, port: u16) -> PacketSet {
    let p = match protocol {
        Protocol::Udp => 17,
        _ => 6,
    };
    PacketSet::for_protocols(
        &IntervalSet::single(p),
        &Dim::SrcPort.full(),
        &IntervalSet::single(u32::from(port)),
    )
}

/// The hop note for an ICMP message that expects no reply, on a return hop.
pub(super) fn no_reply_expected(p: &crate::packet::Packet) -> RuleRef {
    RuleRef {
        object: format!("icmp type {}", p.dst_port),
        rule: "expects no reply: no return hop applies".into(),
        span: None,
    }
}

fn unfiltered(model: &Model) -> RuleRef {
    if model.ignored().security_groups {
        return RuleRef {
            object: "security groups".into(),
            rule: "ignored (`ignoring sg`): allows all".into(),
            span: None,
        };
    }
    RuleRef {
        object: "no security group".into(),
        rule: "this interface is not filtered by security groups".into(),
        span: None,
    }
}
