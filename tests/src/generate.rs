//! Small random networks: 2-4 VPCs with peerings, public and private subnets,
//! internet, NAT and VPN gateways, NACLs with deny entries and security groups that
//! reference each other, across VPCs too.

use ipnet::Ipv4Net;
use netpolicy_core::model::*;
use netpolicy_core::span::SourceMap;
use std::net::Ipv4Addr;

/// A small deterministic random source (SplitMix64), so a failing seed replays.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

fn net(text: &str) -> Ipv4Net {
    text.parse().unwrap_or_default()
}

fn random_traffic(rng: &mut Rng) -> TrafficMatch {
    match rng.below(9) {
        0 => TrafficMatch::ALL,
        1 => TrafficMatch::tcp(22, 22),
        2 => TrafficMatch::tcp(80, 80),
        3 => TrafficMatch::tcp(0, 1023),
        4 => TrafficMatch::tcp(1024, 65535),
        5 => TrafficMatch::udp(53, 53),
        6 => TrafficMatch {
            protocol: Protocol::Icmp,
            ports: PortMatch::Icmp {
                icmp_type: Some(8),
                icmp_code: None,
            },
        },
        7 => TrafficMatch {
            protocol: Protocol::Icmp,
            ports: PortMatch::Icmp {
                icmp_type: Some(3),
                icmp_code: None,
            },
        },
        _ => TrafficMatch {
            protocol: Protocol::Tcp,
            ports: PortMatch::Any,
        },
    }
}

/// A random valid network; `None` only if the generator produced an invalid one
/// (which the caller treats as a test failure).
pub fn network(rng: &mut Rng) -> Result<Model, ModelErrors> {
    Model::build(network_parts(rng), SourceMap::default())
}

/// The parts of a random network, before validation (to change some and build
/// both, as a change to a network does).
pub fn network_parts(rng: &mut Rng) -> ModelParts {
    let mut p = ModelParts::default();
    let nv = 2 + rng.below(3);
    let mut cidrs = vec![
        "0.0.0.0/0".to_string(),
        "10.0.0.0/8".to_string(),
        "192.168.0.0/16".to_string(),
    ];
    for v in 0..nv {
        let vpc = format!("vpc{v}");
        cidrs.push(format!("10.{v}.0.0/16"));
        p.vpcs.push(Vpc {
            meta: Meta::new(&vpc),
            cidr_blocks: vec![net(&format!("10.{v}.0.0/16"))],
            main_route_table: None,
            default_network_acl: None,
        });
        if rng.chance(75) {
            p.internet_gateways.push(InternetGateway {
                meta: Meta::new(format!("igw{v}")),
                vpc: Some(vpc.clone()),
            });
        }
        if rng.chance(30) {
            p.vpn_gateways.push(VpnGateway {
                meta: Meta::new(format!("vgw{v}")),
                vpc: Some(vpc.clone()),
                has_vpn_connection: true,
            });
        }
        for s in 0..1 + rng.below(3) {
            cidrs.push(format!("10.{v}.{s}.0/24"));
            p.subnets.push(Subnet {
                meta: Meta::new(format!("s{v}_{s}")),
                vpc: vpc.clone(),
                cidr: net(&format!("10.{v}.{s}.0/24")),
                availability_zone: None,
                map_public_ip_on_launch: false,
                route_table: None,
                network_acl: None,
            });
        }
    }
    for a in 0..nv {
        for b in a + 1..nv {
            if rng.chance(50) {
                p.peerings.push(Peering {
                    meta: Meta::new(format!("pcx{a}{b}")),
                    requester_vpc: format!("vpc{a}"),
                    accepter_vpc: format!("vpc{b}"),
                    active: rng.chance(90),
                });
            }
        }
    }
    let subnet_ids: Vec<(String, String)> = p
        .subnets
        .iter()
        .map(|s| (s.meta.id.clone(), s.vpc.clone()))
        .collect();
    for v in 0..nv {
        let vpc = format!("vpc{v}");
        let mine: Vec<&String> = subnet_ids
            .iter()
            .filter(|(_, sv)| *sv == vpc)
            .map(|(s, _)| s)
            .collect();
        if rng.chance(50)
            && let Some(s) = rng.pick(&mine)
        {
            p.nat_gateways.push(NatGateway {
                meta: Meta::new(format!("nat{v}")),
                subnet: (*s).clone(),
                private_ip: None,
                public: rng.chance(90),
                public_ip: None,
            });
        }
    }
    routes(rng, &mut p, nv);
    groups(rng, &mut p, nv, &cidrs);
    nacls(rng, &mut p, nv, &cidrs);
    let subnets: Vec<String> = p.subnets.iter().map(|s| s.meta.id.clone()).collect();
    for s in &subnets {
        let vpc = p
            .subnets
            .iter()
            .find(|x| &x.meta.id == s)
            .map(|x| x.vpc.clone())
            .unwrap_or_default();
        let sgs: Vec<String> = p
            .security_groups
            .iter()
            .filter(|g| g.vpc == vpc)
            .map(|g| g.meta.id.clone())
            .collect();
        for e in 0..1 + rng.below(3) {
            let mut mine = vec![rng.pick(&sgs).cloned().unwrap_or_default()];
            if rng.chance(30) {
                mine.extend(rng.pick(&sgs).cloned());
                mine.dedup();
            }
            p.enis.push(Eni {
                meta: Meta::new(format!("{s}_e{e}")),
                subnet: s.clone(),
                private_ips: Vec::new(),
                public_ip: None,
                auto_public_ip: rng.chance(50),
                security_groups: mine,
                sg_enforced: true,
                owner: EniOwner::None,
                addresses_allocated: false,
            });
        }
    }
    p
}

/// One random change of the kind a pull request makes: a security-group rule
/// dropped or widened, a NACL entry flipped, a route removed, an interface
/// moved to other groups, a public address given or taken.
pub fn change(p: &mut ModelParts, rng: &mut Rng) {
    match rng.below(7) {
        0 => {
            let n = p.security_groups.len();
            if let Some(g) = p.security_groups.get_mut(rng.below(n.max(1))) {
                let rules = if rng.chance(50) {
                    &mut g.ingress
                } else {
                    &mut g.egress
                };
                if !rules.is_empty() {
                    let k = rng.below(rules.len());
                    rules.remove(k);
                }
            }
        }
        1 => {
            let n = p.security_groups.len();
            if let Some(g) = p.security_groups.get_mut(rng.below(n.max(1))) {
                let traffic = random_traffic(rng);
                g.ingress.push(SecurityGroupRule {
                    traffic,
                    peer: RulePeer::Cidr(net("0.0.0.0/0")),
                    description: None,
                    implicit: false,
                    span: None,
                });
            }
        }
        2 => {
            let n = p.network_acls.len();
            if let Some(acl) = p.network_acls.get_mut(rng.below(n.max(1))) {
                let k = rng.below(acl.entries.len().max(1));
                if let Some(e) = acl.entries.get_mut(k) {
                    e.action = match e.action {
                        NaclAction::Allow => NaclAction::Deny,
                        NaclAction::Deny => NaclAction::Allow,
                    };
                }
            }
        }
        3 => {
            let n = p.route_tables.len();
            if let Some(t) = p.route_tables.get_mut(rng.below(n.max(1)))
                && !t.routes.is_empty()
            {
                let k = rng.below(t.routes.len());
                t.routes.remove(k);
            }
        }
        4 => {
            let groups: Vec<(String, String)> = p
                .security_groups
                .iter()
                .map(|g| (g.meta.id.clone(), g.vpc.clone()))
                .collect();
            let subnets: Vec<(String, String)> = p
                .subnets
                .iter()
                .map(|s| (s.meta.id.clone(), s.vpc.clone()))
                .collect();
            let n = p.enis.len();
            if let Some(e) = p.enis.get_mut(rng.below(n.max(1))) {
                let vpc = subnets
                    .iter()
                    .find(|(s, _)| *s == e.subnet)
                    .map(|(_, v)| v.clone());
                let same: Vec<&String> = groups
                    .iter()
                    .filter(|(_, v)| Some(v) == vpc.as_ref())
                    .map(|(g, _)| g)
                    .collect();
                if let Some(g) = rng.pick(&same) {
                    e.security_groups = vec![(*g).clone()];
                }
            }
        }
        5 => {
            // A narrow entry ahead of the others: it changes part of what
            // crosses the subnets' edge (one service, one direction), the
            // kind of change a diff may compare on that part alone.
            let n = p.network_acls.len();
            if let Some(acl) = p.network_acls.get_mut(rng.below(n.max(1))) {
                let first = acl.entries.iter().map(|e| e.rule_number).min();
                let number = first.map_or(100, |r| r.saturating_sub(1));
                if number > 0 {
                    acl.entries.push(NaclEntry {
                        rule_number: number,
                        egress: rng.chance(50),
                        action: NaclAction::Deny,
                        traffic: random_traffic(rng),
                        cidr: net("0.0.0.0/0"),
                        span: None,
                    });
                }
            }
        }
        _ => {
            let n = p.enis.len();
            if let Some(e) = p.enis.get_mut(rng.below(n.max(1))) {
                e.auto_public_ip = !e.auto_public_ip && e.public_ip.is_none();
                if !e.auto_public_ip {
                    e.public_ip = None;
                }
            }
        }
    }
}

fn routes(rng: &mut Rng, p: &mut ModelParts, nv: usize) {
    for v in 0..nv {
        let vpc = format!("vpc{v}");
        let igw = p
            .internet_gateways
            .iter()
            .find(|g| g.vpc.as_deref() == Some(&vpc))
            .map(|g| g.meta.id.clone());
        let vgw = p
            .vpn_gateways
            .iter()
            .find(|g| g.vpc.as_deref() == Some(&vpc))
            .map(|g| g.meta.id.clone());
        let nat = p
            .nat_gateways
            .iter()
            .find(|n| n.meta.id == format!("nat{v}"))
            .map(|n| n.meta.id.clone());
        let peerings: Vec<(String, String)> = p
            .peerings
            .iter()
            .filter_map(|x| {
                x.peer_of(&vpc)
                    .map(|other| (x.meta.id.clone(), other.to_string()))
            })
            .collect();
        let tables = 1 + rng.below(2);
        for t in 0..tables {
            let id = format!("rt{v}_{t}");
            let mut routes = Vec::new();
            let add = |dest: &str, target: RouteTarget, routes: &mut Vec<Route>| {
                if !routes
                    .iter()
                    .any(|r: &Route| r.destination == RouteDestination::Cidr(net(dest)))
                {
                    routes.push(Route {
                        destination: RouteDestination::Cidr(net(dest)),
                        target,
                        span: None,
                    });
                }
            };
            // A private table: everything to the NAT gateway, whose own
            // subnet may route onward (peering, VPN gateway).
            if t == 1 && nat.is_some() && rng.chance(50) {
                if let Some(n) = &nat {
                    add("0.0.0.0/0", RouteTarget::NatGateway(n.clone()), &mut routes);
                }
                p.route_tables.push(RouteTable {
                    meta: Meta::new(&id),
                    vpc: vpc.clone(),
                    routes,
                });
                continue;
            }
            let default_target = match rng.below(4) {
                0 => igw.clone().map(RouteTarget::InternetGateway),
                1 => nat.clone().map(RouteTarget::NatGateway),
                2 => Some(RouteTarget::Blackhole),
                _ => None,
            };
            if let Some(t) = default_target {
                add("0.0.0.0/0", t, &mut routes);
            }
            for (pcx, other) in &peerings {
                if rng.chance(70) {
                    let dest = if rng.chance(70) {
                        format!("{}/16", other_cidr(other))
                    } else {
                        "10.0.0.0/8".into()
                    };
                    add(&dest, RouteTarget::Peering(pcx.clone()), &mut routes);
                }
            }
            if let Some(g) = &vgw
                && rng.chance(70)
            {
                add(
                    "192.168.0.0/16",
                    RouteTarget::VpnGateway(g.clone()),
                    &mut routes,
                );
            }
            if rng.chance(20) {
                add("10.0.0.0/8", RouteTarget::Blackhole, &mut routes);
            }
            // A blackhole inside a wider route (a peered VPC's subnet, half
            // the internet): it still wins its prefix.
            if rng.chance(25) {
                let peered = peerings.get(rng.below(peerings.len().max(1)));
                let dest = match peered {
                    Some((_, other)) if rng.chance(70) => format!(
                        "10.{}.{}.0/24",
                        other.trim_start_matches("vpc"),
                        rng.below(3)
                    ),
                    _ => "128.0.0.0/1".to_string(),
                };
                add(&dest, RouteTarget::Blackhole, &mut routes);
            }
            p.route_tables.push(RouteTable {
                meta: Meta::new(&id),
                vpc: vpc.clone(),
                routes,
            });
        }
        // Subnets: explicit table, or the VPC's main one (explicit or implicit).
        if rng.chance(50)
            && let Some(v) = p.vpcs.iter_mut().find(|x| x.meta.id == vpc)
        {
            v.main_route_table = Some(format!("rt{v}_0", v = v.meta.id.trim_start_matches("vpc")));
        }
        for s in p.subnets.iter_mut().filter(|s| s.vpc == vpc) {
            if rng.chance(70) {
                s.route_table = Some(format!("rt{v}_{}", rng.below(tables)));
            }
        }
    }
}

fn other_cidr(vpc: &str) -> String {
    format!("10.{}.0.0", vpc.trim_start_matches("vpc"))
}

fn groups(rng: &mut Rng, p: &mut ModelParts, nv: usize, cidrs: &[String]) {
    let all_ids: Vec<(String, usize)> = (0..nv)
        .flat_map(|v| (0..3).map(move |g| (format!("sg{v}_{g}"), v)))
        .collect();
    for v in 0..nv {
        let count = 1 + rng.below(3);
        for g in 0..count {
            let rule = |rng: &mut Rng| {
                let peer = if rng.chance(35) {
                    // Only groups that exist: the first of each VPC always does.
                    let (id, other) = rng.pick(&all_ids).cloned().unwrap_or_default();
                    let id = if id.ends_with("_0") || other == v {
                        id
                    } else {
                        format!("sg{other}_0")
                    };
                    RulePeer::SecurityGroup(id)
                } else if rng.chance(50) {
                    RulePeer::Cidr(net(if rng.chance(50) {
                        "0.0.0.0/0"
                    } else {
                        "10.0.0.0/8"
                    }))
                } else {
                    RulePeer::Cidr(net(rng
                        .pick(cidrs)
                        .map(String::as_str)
                        .unwrap_or("0.0.0.0/0")))
                };
                let traffic = if rng.chance(30) {
                    TrafficMatch::ALL
                } else {
                    random_traffic(rng)
                };
                SecurityGroupRule {
                    traffic,
                    peer,
                    description: None,
                    implicit: false,
                    span: None,
                }
            };
            let ingress = (0..1 + rng.below(3)).map(|_| rule(rng)).collect();
            let egress = if rng.chance(50) {
                vec![SecurityGroupRule {
                    traffic: TrafficMatch::ALL,
                    peer: RulePeer::Cidr(Ipv4Net::default()),
                    description: None,
                    implicit: true,
                    span: None,
                }]
            } else {
                (0..1 + rng.below(2)).map(|_| rule(rng)).collect()
            };
            p.security_groups.push(SecurityGroup {
                meta: Meta::new(format!("sg{v}_{g}")),
                vpc: format!("vpc{v}"),
                ingress,
                egress,
            });
        }
    }
    // A reference to sgV_G with G beyond the VPC's count would dangle; point it at _0.
    let existing: Vec<String> = p
        .security_groups
        .iter()
        .map(|g| g.meta.id.clone())
        .collect();
    for g in &mut p.security_groups {
        for r in g.ingress.iter_mut().chain(g.egress.iter_mut()) {
            if let RulePeer::SecurityGroup(id) = &mut r.peer
                && !existing.contains(id)
            {
                let v = id
                    .trim_start_matches("sg")
                    .split('_')
                    .next()
                    .unwrap_or("0")
                    .to_string();
                *id = format!("sg{v}_0");
            }
        }
    }
}

fn nacls(rng: &mut Rng, p: &mut ModelParts, nv: usize, cidrs: &[String]) {
    for v in 0..nv {
        let vpc = format!("vpc{v}");
        if !rng.chance(60) {
            continue;
        }
        let id = format!("acl{v}");
        let mut entries = Vec::new();
        let web_only = rng.chance(30);
        if web_only {
            // A web-only NACL: tcp/80 and tcp/443 both ways and nothing for the
            // ephemeral ports, so the return leg decides (issue 15's shape).
            for egress in [false, true] {
                for (n, port) in [(100, 80), (110, 443)] {
                    entries.push(NaclEntry {
                        rule_number: n,
                        egress,
                        action: NaclAction::Allow,
                        traffic: TrafficMatch::tcp(port, port),
                        cidr: net("0.0.0.0/0"),
                        span: None,
                    });
                }
            }
        }
        for egress in [false, true].into_iter().filter(|_| !web_only) {
            let mut numbers: Vec<u16> = (0..rng.below(5))
                .map(|_| 1 + rng.below(300) as u16)
                .collect();
            numbers.sort_unstable();
            numbers.dedup();
            for n in numbers {
                entries.push(NaclEntry {
                    rule_number: n,
                    egress,
                    action: if rng.chance(65) {
                        NaclAction::Allow
                    } else {
                        NaclAction::Deny
                    },
                    traffic: random_traffic(rng),
                    cidr: net(rng.pick(cidrs).map(String::as_str).unwrap_or("0.0.0.0/0")),
                    span: None,
                });
            }
        }
        p.network_acls.push(NetworkAcl {
            meta: Meta::new(&id),
            vpc: vpc.clone(),
            entries,
        });
        if rng.chance(30)
            && let Some(x) = p.vpcs.iter_mut().find(|x| x.meta.id == vpc)
        {
            x.default_network_acl = Some(id.clone());
        }
        for s in p.subnets.iter_mut().filter(|s| s.vpc == vpc) {
            if rng.chance(60) {
                s.network_acl = Some(id.clone());
            }
        }
    }
}

/// Addresses worth sampling as internet sources: well-known public ones.
pub const INTERNET_SOURCES: [Ipv4Addr; 2] =
    [Ipv4Addr::new(8, 8, 8, 8), Ipv4Addr::new(203, 0, 113, 7)];
