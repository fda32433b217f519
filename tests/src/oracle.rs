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

    fn vpc_of(&self, e: &Eni) -> Option<String> {
        self.subnet(&e.subnet).map(|s| s.vpc.clone())
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
        let ok_target = match &there {
            RouteTarget::Local => sv == dv,
            RouteTarget::Peering(id) => self.m.peerings().iter().any(|x| {
                &x.meta.id == id
                    && x.active
                    && ((x.requester_vpc == sv && x.accepter_vpc == dv)
                        || (x.requester_vpc == dv && x.accepter_vpc == sv))
            }),
            _ => false,
        };
        let r = Self::reply(&p);
        ok_target
            && self.nacl(&s.subnet, &p, true)
            && self.nacl(&d.subnet, &p, false)
            && self.sg(d, &p, false)
            && self.nacl(&d.subnet, &r, true)
            && self.route(&d.subnet, p.src) == Some(there)
            && self.nacl(&s.subnet, &r, false)
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
                    && self.nacl(&s.subnet, &Self::reply(&p), false))
                .then_some(Pkt { src: public, ..p })
            }
            RouteTarget::NatGateway(n) => {
                let nat = self.m.nat_gateways().iter().find(|x| x.meta.id == n)?;
                if nat.subnet != s.subnet {
                    let r = Self::reply(&p);
                    if !(self.nacl(&s.subnet, &p, true)
                        && self.nacl(&nat.subnet, &p, false)
                        && self.nacl(&nat.subnet, &r, true)
                        && self.nacl(&s.subnet, &r, false))
                    {
                        return None;
                    }
                }
                let p2 = Pkt {
                    src: nat.private_ip?,
                    ..p
                };
                let nat_vpc = self.subnet(&nat.subnet)?.vpc.clone();
                let RouteTarget::InternetGateway(g) = self.route(&nat.subnet, p.dst)? else {
                    return None;
                };
                let attached = self.igw_of(&nat_vpc).is_some_and(|x| x.meta.id == g);
                let public = nat.public_ip?;
                (attached
                    && self.nacl(&nat.subnet, &p2, true)
                    && self.nacl(&nat.subnet, &Self::reply(&p2), false))
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
            && self.nacl(&d.subnet, &Self::reply(&q), true)
            && self.route(&d.subnet, q.src)
                == Some(RouteTarget::InternetGateway(igw.meta.id.clone()))
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
            && self.nacl(&d.subnet, &Self::reply(&p), true)
            && self.route(&d.subnet, p.src) == Some(RouteTarget::VpnGateway(vgw.meta.id.clone()))
    }

    fn to_onprem(&self, s: &Eni, p: Pkt) -> bool {
        let Some(vpc) = self.vpc_of(s) else {
            return false;
        };
        let Some(vgw) = self.vgw_of(&vpc) else {
            return false;
        };
        self.sg(s, &p, true)
            && self.route(&s.subnet, p.dst) == Some(RouteTarget::VpnGateway(vgw.meta.id.clone()))
            && self.nacl(&s.subnet, &p, true)
            && self.nacl(&s.subnet, &Self::reply(&p), false)
    }
}
