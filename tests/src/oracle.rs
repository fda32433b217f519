//! A deliberately simple reachability oracle over concrete packets.

use ipnet::Ipv4Net;
use netpolicy_core::model::*;
use std::net::Ipv4Addr;

/// One packet header, as the oracle sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pkt {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// IP protocol number.
    pub proto: u8,
    /// Source port (ICMP: code).
    pub sport: u16,
    /// Destination port (ICMP: type).
    pub dport: u16,
}

/// Where the packet comes from or goes.
#[derive(Clone, Copy, Debug)]
pub enum End<'a> {
    /// An interface.
    Eni(&'a Eni),
    /// The internet.
    Internet,
    /// On-premises.
    OnPrem,
}

/// Decides single packets on one model.
pub struct Oracle<'a> {
    m: &'a Model,
}

impl<'a> Oracle<'a> {
    /// An oracle for `m`.
    pub fn new(m: &'a Model) -> Self {
        Oracle { m }
    }

    /// Whether `p`, sent by `src`, arrives at `dst` (directly, without a load
    /// balancer) and its reply gets back.
    pub fn delivered(&self, src: End<'_>, dst: End<'_>, p: Pkt) -> bool {
        if let End::Eni(d) = dst
            && !self.accepts(d, &p)
        {
            return false;
        }
        match (src, dst) {
            (End::Eni(s), End::Eni(d)) => {
                if !s.private_ips.contains(&p.src) {
                    return false;
                }
                if d.private_ips.contains(&p.dst) {
                    self.private(s, d, p)
                } else if d.public_ip == Some(p.dst) {
                    self.out_to_internet(s, p)
                        .is_some_and(|q| self.arrive_public(d, q))
                } else {
                    false
                }
            }
            (End::Internet, End::Eni(d)) => {
                self.is_internet(p.src) && d.public_ip == Some(p.dst) && self.arrive_public(d, p)
            }
            (End::OnPrem, End::Eni(d)) => {
                self.is_onprem(p.src) && d.private_ips.contains(&p.dst) && self.onprem_to_eni(d, p)
            }
            (End::Eni(s), End::Internet) => {
                s.private_ips.contains(&p.src)
                    && self.is_internet(p.dst)
                    && self.out_to_internet(s, p).is_some()
            }
            (End::Eni(s), End::OnPrem) => {
                s.private_ips.contains(&p.src) && self.is_onprem(p.dst) && self.to_onprem(s, p)
            }
            _ => false,
        }
    }

    /// A load-balancer node accepts only its listeners' protocol and port.
    fn accepts(&self, d: &Eni, p: &Pkt) -> bool {
        let EniOwner::LoadBalancer(lb) = &d.owner else {
            return true;
        };
        self.m
            .load_balancers()
            .iter()
            .filter(|x| &x.meta.id == lb)
            .flat_map(|x| &x.listeners)
            .any(|l| {
                let proto_ok = match l.protocol {
                    Protocol::Udp => p.proto == 17,
                    Protocol::All => p.proto == 6 || p.proto == 17,
                    _ => p.proto == 6,
                };
                proto_ok && l.port == p.dport
            })
    }

    fn subnet(&self, id: &str) -> Option<&'a Subnet> {
        self.m.subnets().iter().find(|s| s.meta.id == id)
    }

    fn is_internet(&self, a: Ipv4Addr) -> bool {
        let o = a.octets();
        let private = o[0] == 0
            || o[0] == 10
            || o[0] == 127
            || (o[0] == 100 && (64..128).contains(&o[1]))
            || (o[0] == 169 && o[1] == 254)
            || (o[0] == 172 && (16..32).contains(&o[1]))
            || (o[0] == 192 && o[1] == 168)
            || o[0] >= 224;
        let own = self.m.enis().iter().any(|e| e.public_ip == Some(a))
            || self.m.nat_gateways().iter().any(|n| n.public_ip == Some(a));
        !private && !own
    }

    fn is_onprem(&self, a: Ipv4Addr) -> bool {
        self.m.route_tables().iter().flat_map(|t| &t.routes).any(|r| {
            matches!((&r.destination, &r.target), (RouteDestination::Cidr(n), RouteTarget::VpnGateway(_)) if n.contains(&a))
        })
    }

    fn traffic(t: &TrafficMatch, p: &Pkt) -> bool {
        let proto_ok = match t.protocol {
            Protocol::All => true,
            Protocol::Tcp => p.proto == 6,
            Protocol::Udp => p.proto == 17,
            Protocol::Icmp => p.proto == 1,
            Protocol::Number(n) => p.proto == n,
        };
        let ports_ok = match t.ports {
            PortMatch::Any => true,
            PortMatch::Range { first, last } => {
                (p.proto == 6 || p.proto == 17) && first <= p.dport && p.dport <= last
            }
            PortMatch::Icmp {
                icmp_type,
                icmp_code,
            } => {
                p.proto == 1
                    && icmp_type.is_none_or(|t| u16::from(t) == p.dport)
                    && icmp_code.is_none_or(|c| u16::from(c) == p.sport)
            }
        };
        proto_ok && ports_ok
    }

    fn peer_has(&self, peer: &RulePeer, a: Ipv4Addr) -> bool {
        match peer {
            RulePeer::Cidr(n) => n.contains(&a),
            RulePeer::SecurityGroup(g) => self
                .m
                .enis()
                .iter()
                .any(|e| e.security_groups.contains(g) && e.private_ips.contains(&a)),
            RulePeer::PrefixList(id) => self
                .m
                .prefix_lists()
                .iter()
                .filter(|l| &l.meta.id == id)
                .any(|l| l.cidrs.iter().any(|n| n.contains(&a))),
        }
    }

    fn sg(&self, e: &Eni, p: &Pkt, egress: bool) -> bool {
        if !e.sg_enforced {
            return true;
        }
        self.m
            .security_groups()
            .iter()
            .filter(|g| e.security_groups.contains(&g.meta.id))
            .any(|g| {
                let rules = if egress { &g.egress } else { &g.ingress };
                rules.iter().any(|r| {
                    let remote = if egress { p.dst } else { p.src };
                    Self::traffic(&r.traffic, p) && self.peer_has(&r.peer, remote)
                })
            })
    }

    fn nacl(&self, subnet: &str, p: &Pkt, egress: bool) -> bool {
        let Some(s) = self.subnet(subnet) else {
            return false;
        };
        let acl_id = s.network_acl.clone().or_else(|| {
            self.m
                .vpcs()
                .iter()
                .find(|v| v.meta.id == s.vpc)
                .and_then(|v| v.default_network_acl.clone())
        });
        let Some(acl_id) = acl_id else { return true };
        let Some(acl) = self.m.network_acls().iter().find(|a| a.meta.id == acl_id) else {
            return false;
        };
        let mut entries: Vec<&NaclEntry> =
            acl.entries.iter().filter(|e| e.egress == egress).collect();
        entries.sort_by_key(|e| e.rule_number);
        for e in entries {
            let remote = if egress { p.dst } else { p.src };
            if e.cidr.contains(&remote) && Self::traffic(&e.traffic, p) {
                return e.action == NaclAction::Allow;
            }
        }
        false
    }

    fn route(&self, subnet: &str, a: Ipv4Addr) -> Option<RouteTarget> {
        let s = self.subnet(subnet)?;
        let vpc = self.m.vpcs().iter().find(|v| v.meta.id == s.vpc)?;
        let table_id = s
            .route_table
            .clone()
            .or_else(|| vpc.main_route_table.clone());
        let mut best: Option<(u8, RouteTarget)> = None;
        for n in &vpc.cidr_blocks {
            if n.contains(&a) && best.as_ref().is_none_or(|(l, _)| n.prefix_len() > *l) {
                best = Some((n.prefix_len(), RouteTarget::Local));
            }
        }
        let table = self
            .m
            .route_tables()
            .iter()
            .find(|t| Some(&t.meta.id) == table_id.as_ref());
        for r in table.map(|t| t.routes.as_slice()).unwrap_or_default() {
            let nets: Vec<Ipv4Net> = match &r.destination {
                RouteDestination::Cidr(n) => vec![*n],
                RouteDestination::PrefixList(id) => self
                    .m
                    .prefix_lists()
                    .iter()
                    .filter(|l| &l.meta.id == id)
                    .flat_map(|l| l.cidrs.clone())
                    .collect(),
            };
            for n in nets {
                if n.contains(&a) && best.as_ref().is_none_or(|(l, _)| n.prefix_len() > *l) {
                    best = Some((n.prefix_len(), r.target.clone()));
                }
            }
        }
        best.map(|(_, t)| t)
    }

    fn reply(p: &Pkt) -> Pkt {
        match p.proto {
            6 | 17 => Pkt {
                src: p.dst,
                dst: p.src,
                sport: p.dport,
                dport: p.sport,
                proto: p.proto,
            },
            1 => {
                let t = match p.dport {
                    8 => 0,
                    13 => 14,
                    15 => 16,
                    17 => 18,
                    t => t,
                };
                Pkt {
                    src: p.dst,
                    dst: p.src,
                    dport: t,
                    ..*p
                }
            }
            _ => Pkt {
                src: p.dst,
                dst: p.src,
                ..*p
            },
        }
    }

    /// ICMP messages other than the four requests expect no reply: they are
    /// reached when delivered, whatever the return hops would say.
    fn one_way(p: &Pkt) -> bool {
        p.proto == 1 && ![8, 13, 15, 17].contains(&p.dport)
    }

    fn vpc_of(&self, e: &Eni) -> Option<String> {
        self.subnet(&e.subnet).map(|s| s.vpc.clone())
    }

    fn peered(&self, id: &str, a: &str, b: &str) -> bool {
        self.m.peerings().iter().any(|x| {
            x.meta.id == id
                && x.active
                && ((x.requester_vpc == a && x.accepter_vpc == b)
                    || (x.requester_vpc == b && x.accepter_vpc == a))
        })
    }

    fn private(&self, s: &Eni, d: &Eni, p: Pkt) -> bool {
        if !self.sg(s, &p, true) {
            return false;
        }
        if s.subnet == d.subnet {
            return self.sg(d, &p, false);
        }
        let (Some(sv), Some(dv)) = (self.vpc_of(s), self.vpc_of(d)) else {
            return false;
        };
        let Some(there) = self.route(&s.subnet, p.dst) else {
            return false;
        };
        if let RouteTarget::NatGateway(n) = &there {
            return self.private_via_nat(s, d, n, &dv, p);
        }
        let ok_target = match &there {
            RouteTarget::Local => sv == dv,
            RouteTarget::Peering(id) => self.peered(id, &sv, &dv),
            _ => false,
        };
        ok_target && self.hop_in(&s.subnet, d, there, p)
    }

    /// From `from_subnet` into `d`'s subnet (NACLs both ways when they differ),
    /// `d`'s groups, and the reply routed back by `via`.
    fn hop_in(&self, from_subnet: &str, d: &Eni, via: RouteTarget, p: Pkt) -> bool {
        let r = Self::reply(&p);
        let same = from_subnet == d.subnet;
        (same || (self.nacl(from_subnet, &p, true) && self.nacl(&d.subnet, &p, false)))
            && self.sg(d, &p, false)
            && (Self::one_way(&p)
                || ((same || self.nacl(&d.subnet, &r, true))
                    && self.route(&d.subnet, p.src) == Some(via)
                    && (same || self.nacl(from_subnet, &r, false))))
    }

    /// Into NAT gateway `n` from `s` (NACLs both ways), translated to the NAT's
    /// private address.
    fn enter_nat(&self, s: &Eni, n: &str, p: Pkt) -> Option<(&'a NatGateway, Pkt)> {
        let nat = self.m.nat_gateways().iter().find(|x| x.meta.id == n)?;
        if nat.subnet != s.subnet {
            let r = Self::reply(&p);
            let ok = self.nacl(&s.subnet, &p, true)
                && self.nacl(&nat.subnet, &p, false)
                && (Self::one_way(&p)
                    || (self.nacl(&nat.subnet, &r, true) && self.nacl(&s.subnet, &r, false)));
            if !ok {
                return None;
            }
        }
        Some((
            nat,
            Pkt {
                src: nat.private_ip?,
                ..p
            },
        ))
    }

    fn private_via_nat(&self, s: &Eni, d: &Eni, n: &str, dv: &str, p: Pkt) -> bool {
        let Some((nat, p2)) = self.enter_nat(s, n, p) else {
            return false;
        };
        let Some(nv) = self.subnet(&nat.subnet).map(|x| x.vpc.clone()) else {
            return false;
        };
        let Some(onward) = self.route(&nat.subnet, p2.dst) else {
            return false;
        };
        let ok = match &onward {
            RouteTarget::Local => nv == dv,
            RouteTarget::Peering(id) => self.peered(id, &nv, dv),
            _ => false,
        };
        ok && self.hop_in(&nat.subnet, d, onward, p2)
    }

    fn igw_of(&self, vpc: &str) -> Option<&'a InternetGateway> {
        self.m
            .internet_gateways()
            .iter()
            .find(|g| g.vpc.as_deref() == Some(vpc))
    }

    /// The packet as it appears on the internet, if it gets there.
    fn out_to_internet(&self, s: &Eni, p: Pkt) -> Option<Pkt> {
        if !self.sg(s, &p, true) {
            return None;
        }
        let vpc = self.vpc_of(s)?;
        match self.route(&s.subnet, p.dst)? {
            RouteTarget::InternetGateway(g) => {
                let attached = self.igw_of(&vpc).is_some_and(|x| x.meta.id == g);
                let public = s.public_ip?;
                (attached
                    && self.nacl(&s.subnet, &p, true)
                    && (Self::one_way(&p) || self.nacl(&s.subnet, &Self::reply(&p), false)))
                .then_some(Pkt { src: public, ..p })
            }
            RouteTarget::NatGateway(n) => {
                let (nat, p2) = self.enter_nat(s, &n, p)?;
                let nat_vpc = self.subnet(&nat.subnet)?.vpc.clone();
                let RouteTarget::InternetGateway(g) = self.route(&nat.subnet, p.dst)? else {
                    return None;
                };
                let attached = self.igw_of(&nat_vpc).is_some_and(|x| x.meta.id == g);
                let public = nat.public_ip?;
                (attached
                    && self.nacl(&nat.subnet, &p2, true)
                    && (Self::one_way(&p2) || self.nacl(&nat.subnet, &Self::reply(&p2), false)))
                .then_some(Pkt { src: public, ..p })
            }
            _ => None,
        }
    }

    fn arrive_public(&self, d: &Eni, q: Pkt) -> bool {
        if matches!(d.owner, EniOwner::NatGateway(_)) {
            return false;
        }
        let Some(vpc) = self.vpc_of(d) else {
            return false;
        };
        let Some(igw) = self.igw_of(&vpc) else {
            return false;
        };
        let Some(private) = d.private_ips.first().copied() else {
            return false;
        };
        let q = Pkt { dst: private, ..q };
        self.nacl(&d.subnet, &q, false)
            && self.sg(d, &q, false)
            && (Self::one_way(&q)
                || (self.nacl(&d.subnet, &Self::reply(&q), true)
                    && self.route(&d.subnet, q.src)
                        == Some(RouteTarget::InternetGateway(igw.meta.id.clone()))))
    }

    fn vgw_of(&self, vpc: &str) -> Option<&'a VpnGateway> {
        self.m
            .vpn_gateways()
            .iter()
            .find(|g| g.vpc.as_deref() == Some(vpc))
    }

    fn onprem_to_eni(&self, d: &Eni, p: Pkt) -> bool {
        let Some(vpc) = self.vpc_of(d) else {
            return false;
        };
        let Some(vgw) = self.vgw_of(&vpc) else {
            return false;
        };
        self.nacl(&d.subnet, &p, false)
            && self.sg(d, &p, false)
            && (Self::one_way(&p)
                || (self.nacl(&d.subnet, &Self::reply(&p), true)
                    && self.route(&d.subnet, p.src)
                        == Some(RouteTarget::VpnGateway(vgw.meta.id.clone()))))
    }

    fn to_onprem(&self, s: &Eni, p: Pkt) -> bool {
        let Some(vpc) = self.vpc_of(s) else {
            return false;
        };
        let Some(vgw) = self.vgw_of(&vpc) else {
            return false;
        };
        let to_vgw = Some(RouteTarget::VpnGateway(vgw.meta.id.clone()));
        if !self.sg(s, &p, true) {
            return false;
        }
        match self.route(&s.subnet, p.dst) {
            Some(RouteTarget::NatGateway(n)) => {
                let Some((nat, p2)) = self.enter_nat(s, &n, p) else {
                    return false;
                };
                self.route(&nat.subnet, p2.dst) == to_vgw
                    && self.nacl(&nat.subnet, &p2, true)
                    && (Self::one_way(&p2) || self.nacl(&nat.subnet, &Self::reply(&p2), false))
            }
            t => {
                t == to_vgw
                    && self.nacl(&s.subnet, &p, true)
                    && (Self::one_way(&p) || self.nacl(&s.subnet, &Self::reply(&p), false))
            }
        }
    }
}
