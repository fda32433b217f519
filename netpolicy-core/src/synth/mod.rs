//! Synthetic organizations: seeded, realistic networks of any size, for
//! benchmarks, scale tests and demos (`netpolicy gen`).
//!
//! An organization is groups of VPCs in hub-and-spoke (each spoke peered with
//! its group's hub, the hubs meshed, the spokes' routes sending all of 10/8 to
//! the hub, so non-transitive peering matters), public subnets behind internet
//! gateways, private ones behind NAT gateways, VPN gateways on the hubs, security
//! groups whose rules mix CIDR peers and references to other groups, NACLs with
//! deny entries (and, in some VPCs, no blanket allow, so return traffic decides),
//! instances with a few security-group sets per subnet, and internet-facing load
//! balancers in front of private instances.
//!
//! The same seed always gives the same organization. [`native`] and [`aws_cli`]
//! write it in the native format and as an AWS CLI dump.

pub mod aws_cli;
pub mod cloudformation;
pub mod native;
pub mod terraform;

use crate::model::*;
use crate::span::SourceMap;
use ipnet::Ipv4Net;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// VPCs.
    pub vpcs: usize,
    /// Subnets per VPC; the first is public in VPCs with internet access.
    pub subnets_per_vpc: usize,
    /// Instances (one interface each), spread evenly over the subnets.
    pub enis: usize,
    /// Security groups, spread evenly over the VPCs (load balancers add their own).
    pub security_groups: usize,
    /// Ingress rules per security group.
    pub rules_per_group: usize,
    /// Distinct security-group sets the instances of one subnet draw from: with
    /// the subnets, this sets the number of interface classes.
    pub sg_sets_per_subnet: usize,
    /// VPCs per hub-and-spoke group (the first is the hub); hubs are meshed.
    pub hub_size: usize,
    /// Percentage of VPCs with an internet gateway and a NAT gateway.
    pub internet_percent: u8,
    /// Internet-facing application load balancers.
    pub load_balancers: usize,
    /// How the rules cut the packet space.
    pub shape: Shape,
    /// The seed: the same seed gives the same organization.
    pub seed: u64,
}

/// How an organization's rules look: the shapes that decide what checking
/// them costs, beside their number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Few, well-known services from a handful of prefixes: the VPC, 10/8,
    /// the hub, a few on-premises /24s, the internet for web ports.
    #[default]
    Tidy,
    /// Groups that grew for years: every rule a random port range (TCP, UDP
    /// or ICMP) from a random prefix inside the VPC, the internet or another
    /// group, and private NACLs of 20 random entries ahead of their allow.
    Dense,
    /// Internet source sets cut into many pieces: NACLs deny public ranges
    /// ahead of their allow rules, groups admit documentation, carrier-grade
    /// NAT and random public prefixes beside the whole internet.
    Fragmented,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 3] = [Shape::Tidy, Shape::Dense, Shape::Fragmented];

    /// The shape's name.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Tidy => "tidy",
            Shape::Dense => "dense",
            Shape::Fragmented => "fragmented",
        }
    }

    /// `tidy`, `dense` or `fragmented`, any case.
    pub fn parse(text: &str) -> Option<Shape> {
        Shape::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text))
    }
}

/// Named sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Preset {
    /// 1,000 interfaces in 5 VPCs.
    S,
    /// 10,000 interfaces in 50 VPCs.
    M,
    /// 100,000 interfaces: 500 VPCs, 2,000 subnets, 5,000 groups, 50,000 rules.
    L,
    /// 1,000,000 interfaces: 5,000 VPCs, 20,000 subnets, 50,000 groups.
    Xl,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 4] = [Preset::S, Preset::M, Preset::L, Preset::Xl];

    /// The preset's parameters, with seed 1.
    pub fn spec(self) -> Spec {
        let scale = match self {
            Preset::S => 1,
            Preset::M => 10,
            Preset::L => 100,
            Preset::Xl => 1000,
        };
        Spec {
            vpcs: 5 * scale,
            subnets_per_vpc: 4,
            enis: 1000 * scale,
            security_groups: 50 * scale,
            rules_per_group: 10,
            sg_sets_per_subnet: 10,
            hub_size: 50,
            internet_percent: 80,
            load_balancers: 2 * scale,
            shape: Shape::Tidy,
            seed: 1,
        }
    }

    /// `S`, `M`, `L` or `XL`, any case.
    pub fn parse(text: &str) -> Option<Preset> {
        match text.to_ascii_uppercase().as_str() {
            "S" => Some(Preset::S),
            "M" => Some(Preset::M),
            "L" => Some(Preset::L),
            "XL" => Some(Preset::Xl),
            _ => None,
        }
    }

    /// The preset's name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::S => "S",
            Preset::M => "M",
            Preset::L => "L",
            Preset::Xl => "XL",
        }
    }
}

/// Why a spec cannot be generated.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SynthError {
    /// A parameter is out of range.
    #[error("{0}")]
    #[diagnostic(code(np::gen::spec))]
    Spec(String),
    /// The generated parts do not form a valid model (a generator bug).
    #[error("the generated organization is not a valid model: {0}")]
    #[diagnostic(code(np::gen::model))]
    Model(String),
}

/// A small, fast, seedable generator (SplitMix64): the organizations must be
/// reproducible across platforms and crate versions, so no external RNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// AWS-looking unique ids: `prefix-0` and 16 hex digits, a bijection of the
/// running number, so ids never collide within a kind.
struct Ids {
    seed: u64,
    next: u64,
}

impl Ids {
    fn make(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-0{:016x}", mix(self.seed ^ self.next))
    }
}

const ROLES: [&str; 10] = [
    "web",
    "app",
    "db",
    "cache",
    "bastion",
    "monitoring",
    "batch",
    "api",
    "search",
    "queue",
];

const PORTS: [(u16, u16); 13] = [
    (22, 22),
    (3389, 3389),
    (80, 80),
    (443, 443),
    (3306, 3306),
    (5432, 5432),
    (6379, 6379),
    (8080, 8080),
    (8443, 8443),
    (9200, 9200),
    (27017, 27017),
    (8000, 8999),
    (1024, 65535),
];

/// The most addresses AWS gives a VPC or subnet block (a /16).
const LARGEST_BLOCK: usize = 1 << 16;

/// The address plan: every VPC gets the same block size inside 10.0.0.0/8.
struct Plan {
    subnet_prefix: u8,
    vpc_prefix: u8,
}

impl Plan {
    fn of(spec: &Spec) -> Result<Plan, SynthError> {
        let per_subnet = spec.enis.div_ceil(spec.vpcs * spec.subnets_per_vpc);
        // Room for the interfaces, AWS's five reserved addresses, the NAT
        // gateway and load-balancer nodes.
        let subnet_size = (per_subnet + 16).next_power_of_two().max(16);
        let vpc_size = subnet_size * spec.subnets_per_vpc.next_power_of_two();
        // AWS takes VPC and subnet blocks from /16 (65,536 addresses) to /28.
        if subnet_size > LARGEST_BLOCK {
            return Err(SynthError::Spec(format!(
                "{per_subnet} interfaces per subnet do not fit in one: an AWS subnet is at most a /16 ({LARGEST_BLOCK} addresses, 5 reserved); give more VPCs or subnets per VPC"
            )));
        }
        if vpc_size > LARGEST_BLOCK {
            return Err(SynthError::Spec(format!(
                "{} subnets of {subnet_size} addresses do not fit in one VPC: an AWS VPC block is at most a /16 ({LARGEST_BLOCK} addresses); give more VPCs, fewer subnets per VPC or fewer interfaces",
                spec.subnets_per_vpc
            )));
        }
        if vpc_size * spec.vpcs > 1 << 24 {
            return Err(SynthError::Spec(format!(
                "{} VPCs of {vpc_size} addresses do not fit in 10.0.0.0/8",
                spec.vpcs
            )));
        }
        Ok(Plan {
            subnet_prefix: 32 - subnet_size.trailing_zeros() as u8,
            vpc_prefix: 32 - vpc_size.trailing_zeros() as u8,
        })
    }

    fn vpc(&self, v: usize) -> Ipv4Net {
        let size = 1u32 << (32 - self.vpc_prefix);
        let base = (10u32 << 24) + size * v as u32;
        Ipv4Net::new(Ipv4Addr::from(base), self.vpc_prefix).unwrap_or_default()
    }

    fn subnet(&self, v: usize, s: usize) -> Ipv4Net {
        let size = 1u32 << (32 - self.subnet_prefix);
        let base = u32::from(self.vpc(v).network()) + size * s as u32;
        Ipv4Net::new(Ipv4Addr::from(base), self.subnet_prefix).unwrap_or_default()
    }
}

fn host(net: Ipv4Net, offset: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(net.network()) + offset as u32)
}

fn net(addr: [u8; 4], len: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::from(addr), len).unwrap_or_default()
}

fn named(id: String, name: String) -> Meta {
    let mut meta = Meta::new(id).named(name.clone());
    meta.tags.insert("Name".into(), name);
    meta
}

fn rule(traffic: TrafficMatch, peer: RulePeer) -> SecurityGroupRule {
    SecurityGroupRule {
        traffic,
        peer,
        description: None,
        implicit: false,
        span: None,
    }
}

fn route(destination: Ipv4Net, target: RouteTarget) -> Route {
    Route {
        destination: RouteDestination::Cidr(destination),
        target,
        span: None,
    }
}

fn entry(
    rule_number: u16,
    egress: bool,
    action: NaclAction,
    traffic: TrafficMatch,
    cidr: Ipv4Net,
) -> NaclEntry {
    NaclEntry {
        rule_number,
        egress,
        action,
        traffic,
        cidr,
        span: None,
    }
}

const ICMP_ALL: TrafficMatch = TrafficMatch {
    protocol: Protocol::Icmp,
    ports: PortMatch::Any,
};

/// One VPC's generated ids, kept for the peering and load-balancer passes.
struct VpcIds {
    vpc: String,
    cidr: Ipv4Net,
    internet: bool,
    tables: Vec<usize>,
    groups: Vec<String>,
    public_subnet: Option<String>,
    private_enis: Vec<(String, String)>,
}

/// A rule's ports as EC2 writes them in `FromPort`/`ToPort` (ICMP: type and
/// code), `-1` for any; `None` for protocols without ports.
fn from_to(traffic: TrafficMatch) -> Option<(i64, i64)> {
    match (traffic.ports, traffic.protocol) {
        (_, Protocol::All | Protocol::Number(_)) => None,
        (PortMatch::Range { first, last }, _) => Some((i64::from(first), i64::from(last))),
        (
            PortMatch::Icmp {
                icmp_type,
                icmp_code,
            },
            _,
        ) => Some((
            icmp_type.map_or(-1, i64::from),
            icmp_code.map_or(-1, i64::from),
        )),
        (PortMatch::Any, Protocol::Icmp) => Some((-1, -1)),
        (PortMatch::Any, _) => Some((0, 65535)),
    }
}

/// The protocol a listener is written with: web protocols on application
/// load balancers (HTTPS on 443), the transport on network ones.
fn listener_protocol(kind: LoadBalancerKind, protocol: Protocol, port: u16) -> &'static str {
    match (kind, protocol, port) {
        (LoadBalancerKind::Application, _, 443) => "HTTPS",
        (LoadBalancerKind::Application, _, _) => "HTTP",
        (LoadBalancerKind::Network, Protocol::Udp, _) => "UDP",
        (LoadBalancerKind::Network, _, _) => "TCP",
    }
}

/// Builds the organization `spec` describes.
pub fn generate(spec: &Spec) -> Result<Model, SynthError> {
    check(spec)?;
    let plan = Plan::of(spec)?;
    let mut generator = Generator {
        spec: *spec,
        plan,
        rng: Rng(spec.seed),
        ids: Ids {
            seed: mix(spec.seed),
            next: 0,
        },
        parts: ModelParts::default(),
        next_public: u32::from(Ipv4Addr::new(3, 0, 0, 1)),
    };
    let vpcs: Vec<VpcIds> = (0..spec.vpcs).map(|v| generator.vpc(v)).collect();
    generator.peer(&vpcs);
    generator.load_balancers(&vpcs);
    Model::build(generator.parts, SourceMap::default())
        .map_err(|e| SynthError::Model(e.to_string()))
}

fn check(spec: &Spec) -> Result<(), SynthError> {
    let positive = [
        ("vpcs", spec.vpcs),
        ("subnets per VPC", spec.subnets_per_vpc),
        ("security groups", spec.security_groups),
        ("security-group sets per subnet", spec.sg_sets_per_subnet),
        ("hub size", spec.hub_size),
    ];
    for (what, n) in positive {
        if n == 0 {
            return Err(SynthError::Spec(format!("{what} must be at least 1")));
        }
    }
    if spec.security_groups < spec.vpcs {
        return Err(SynthError::Spec(format!(
            "{} security groups cannot give each of {} VPCs one",
            spec.security_groups, spec.vpcs
        )));
    }
    if spec.internet_percent > 100 {
        return Err(SynthError::Spec("internet percentage is above 100".into()));
    }
    Ok(())
}

struct Generator {
    spec: Spec,
    plan: Plan,
    rng: Rng,
    ids: Ids,
    parts: ModelParts,
    next_public: u32,
}

impl Generator {
    fn public_ip(&mut self) -> Ipv4Addr {
        self.next_public += 1;
        Ipv4Addr::from(self.next_public)
    }

    fn hub_of(&self, v: usize) -> usize {
        v - v % self.spec.hub_size
    }

    fn vpc(&mut self, v: usize) -> VpcIds {
        let cidr = self.plan.vpc(v);
        let hub = self.hub_of(v) == v;
        let role = if hub { "hub" } else { "spoke" };
        let vpc = self.ids.make("vpc");
        let internet = self.rng.chance(u64::from(self.spec.internet_percent));
        let acls = self.nacls(v, &vpc);
        let mut ids = VpcIds {
            vpc: vpc.clone(),
            cidr,
            internet,
            tables: Vec::new(),
            groups: Vec::new(),
            public_subnet: None,
            private_enis: Vec::new(),
        };
        let (public_table, private_table) = self.route_tables(v, &mut ids);
        self.parts.vpcs.push(Vpc {
            meta: named(vpc.clone(), format!("{role}-{v:04}")),
            cidr_blocks: vec![cidr],
            main_route_table: Some(private_table.clone()),
            default_network_acl: Some(acls.0.clone()),
        });
        if hub {
            let vgw = self.ids.make("vgw");
            self.parts.vpn_gateways.push(VpnGateway {
                meta: named(vgw.clone(), format!("onprem-{v:04}")),
                vpc: Some(vpc.clone()),
                has_vpn_connection: true,
            });
            for &t in &ids.tables {
                self.parts.route_tables[t].routes.push(route(
                    net([192, 168, 0, 0], 16),
                    RouteTarget::VpnGateway(vgw.clone()),
                ));
            }
        }
        self.groups(v, &mut ids);
        self.subnets(v, &mut ids, &acls, &public_table, &private_table);
        ids
    }

    /// The default NACL (allows everything, as AWS creates it) and a custom one
    /// for private subnets, with deny entries.
    fn nacls(&mut self, v: usize, vpc: &str) -> (String, String) {
        let all = net([0, 0, 0, 0], 0);
        let default = self.ids.make("acl");
        let mut default_entries = vec![
            entry(100, false, NaclAction::Allow, TrafficMatch::ALL, all),
            entry(100, true, NaclAction::Allow, TrafficMatch::ALL, all),
        ];
        if self.spec.shape == Shape::Fragmented {
            default_entries.extend(self.public_denies());
        }
        self.parts.network_acls.push(NetworkAcl {
            meta: Meta::new(default.clone()),
            vpc: vpc.to_string(),
            entries: default_entries,
        });
        let private = self.ids.make("acl");
        let blocked = net(
            [10, self.rng.below(256) as u8, self.rng.below(256) as u8, 0],
            24,
        );
        let mut entries = vec![
            entry(
                90,
                false,
                NaclAction::Deny,
                TrafficMatch::tcp(3389, 3389),
                all,
            ),
            entry(100, false, NaclAction::Deny, TrafficMatch::ALL, blocked),
            entry(110, false, NaclAction::Deny, TrafficMatch::tcp(23, 23), all),
            entry(100, true, NaclAction::Deny, TrafficMatch::tcp(25, 25), all),
            entry(200, true, NaclAction::Allow, TrafficMatch::ALL, all),
        ];
        if self.spec.shape == Shape::Fragmented {
            entries.extend(self.public_denies());
        }
        if self.spec.shape == Shape::Dense {
            entries = self.dense_nacl(self.plan.vpc(v));
        } else if v % 4 == 3 {
            // Strict: only named services from 10/8, and return traffic.
            let ten = net([10, 0, 0, 0], 8);
            entries.extend([
                entry(
                    120,
                    false,
                    NaclAction::Allow,
                    TrafficMatch::tcp(443, 443),
                    ten,
                ),
                entry(
                    130,
                    false,
                    NaclAction::Allow,
                    TrafficMatch::tcp(5432, 5432),
                    ten,
                ),
                entry(
                    140,
                    false,
                    NaclAction::Allow,
                    TrafficMatch::tcp(8080, 8080),
                    ten,
                ),
                entry(
                    150,
                    false,
                    NaclAction::Allow,
                    TrafficMatch::tcp(22, 22),
                    net([192, 168, 0, 0], 16),
                ),
                entry(
                    200,
                    false,
                    NaclAction::Allow,
                    TrafficMatch::tcp(1024, 65535),
                    all,
                ),
                entry(
                    210,
                    false,
                    NaclAction::Allow,
                    TrafficMatch::udp(1024, 65535),
                    all,
                ),
            ]);
        } else {
            entries.push(entry(200, false, NaclAction::Allow, TrafficMatch::ALL, all));
        }
        self.parts.network_acls.push(NetworkAcl {
            meta: named(private.clone(), format!("private-{v:04}")),
            vpc: vpc.to_string(),
            entries,
        });
        (default, private)
    }

    /// Public and private tables, with internet and peering routes; returns
    /// their ids. Peering routes are added by [`Generator::peer`].
    fn route_tables(&mut self, v: usize, ids: &mut VpcIds) -> (String, String) {
        let mut ids_out = Vec::new();
        for kind in ["public", "private"] {
            let id = self.ids.make("rtb");
            ids.tables.push(self.parts.route_tables.len());
            self.parts.route_tables.push(RouteTable {
                meta: named(id.clone(), format!("{kind}-{v:04}")),
                vpc: ids.vpc.clone(),
                routes: Vec::new(),
            });
            ids_out.push(id);
        }
        (ids_out[0].clone(), ids_out[1].clone())
    }

    fn groups(&mut self, v: usize, ids: &mut VpcIds) {
        let per_vpc = self.spec.security_groups / self.spec.vpcs
            + usize::from(v < self.spec.security_groups % self.spec.vpcs);
        ids.groups = (0..per_vpc).map(|_| self.ids.make("sg")).collect();
        let hub_cidr = self.plan.vpc(self.hub_of(v));
        for g in 0..per_vpc {
            let role = ROLES[g % ROLES.len()];
            let mut ingress: Vec<SecurityGroupRule> = (0..self.spec.rules_per_group)
                .map(|_| match self.spec.shape {
                    Shape::Dense => self.dense_rule(ids),
                    _ => self.ingress_rule(ids, g, hub_cidr),
                })
                .collect();
            if self.spec.shape == Shape::Fragmented {
                ingress.extend(self.fragmented_rules());
            }
            let egress = if self.spec.shape == Shape::Dense && self.rng.chance(15) {
                (0..self.spec.rules_per_group / 4)
                    .map(|_| self.dense_rule(ids))
                    .collect()
            } else if self.rng.chance(15) {
                vec![
                    rule(
                        TrafficMatch::tcp(443, 443),
                        RulePeer::Cidr(net([0, 0, 0, 0], 0)),
                    ),
                    rule(
                        TrafficMatch::tcp(5432, 5432),
                        RulePeer::SecurityGroup(ids.groups[self.rng.below(per_vpc)].clone()),
                    ),
                    rule(TrafficMatch::udp(53, 53), RulePeer::Cidr(ids.cidr)),
                ]
            } else {
                vec![SecurityGroupRule {
                    implicit: true,
                    ..rule(TrafficMatch::ALL, RulePeer::Cidr(net([0, 0, 0, 0], 0)))
                }]
            };
            self.parts.security_groups.push(SecurityGroup {
                meta: named(ids.groups[g].clone(), format!("{role}-{v:04}-{g}")),
                vpc: ids.vpc.clone(),
                ingress,
                egress,
            });
        }
    }

    fn ingress_rule(&mut self, ids: &VpcIds, g: usize, hub_cidr: Ipv4Net) -> SecurityGroupRule {
        let (first, last) = PORTS[self.rng.below(PORTS.len())];
        let tcp = TrafficMatch::tcp(first, last);
        match self.rng.below(10) {
            0..=3 => {
                let web = matches!(first, 80 | 443);
                let peer = match self.rng.below(5) {
                    0 if web => net([0, 0, 0, 0], 0),
                    0 | 1 => ids.cidr,
                    2 => net([10, 0, 0, 0], 8),
                    3 => net([192, 168, self.rng.below(256) as u8, 0], 24),
                    _ => hub_cidr,
                };
                rule(tcp, RulePeer::Cidr(peer))
            }
            4..=7 => {
                let other = ids.groups[self.rng.below(ids.groups.len())].clone();
                rule(tcp, RulePeer::SecurityGroup(other))
            }
            8 => rule(
                TrafficMatch::ALL,
                RulePeer::SecurityGroup(ids.groups[g].clone()),
            ),
            _ if self.rng.chance(50) => rule(TrafficMatch::udp(53, 53), RulePeer::Cidr(ids.cidr)),
            _ => rule(ICMP_ALL, RulePeer::Cidr(net([10, 0, 0, 0], 8))),
        }
    }

    /// A rule of [`Shape::Dense`]: a random service from a random peer.
    fn dense_rule(&mut self, ids: &VpcIds) -> SecurityGroupRule {
        let traffic = self.random_traffic();
        let peer = match self.rng.below(10) {
            0..=3 => RulePeer::Cidr(self.random_block(ids.cidr, 30)),
            4 => RulePeer::Cidr(net([10, 0, 0, 0], 8)),
            5 => RulePeer::Cidr(self.random_public_block()),
            _ => RulePeer::SecurityGroup(ids.groups[self.rng.below(ids.groups.len())].clone()),
        };
        rule(traffic, peer)
    }

    /// [`Shape::Fragmented`]'s extra rules of a group: the internet cut into
    /// pieces on a web port.
    fn fragmented_rules(&mut self) -> Vec<SecurityGroupRule> {
        let port = [443, 80, 8443][self.rng.below(3)];
        let mut peers = vec![
            net([192, 0, 2, 0], 24),
            net([203, 0, 113, 0], 24),
            net([100, 64, 0, 0], 10),
        ];
        peers.extend((0..3).map(|_| self.random_public_block()));
        if self.rng.chance(50) {
            peers.push(net([0, 0, 0, 0], 0));
        }
        peers
            .into_iter()
            .map(|p| rule(TrafficMatch::tcp(port, port), RulePeer::Cidr(p)))
            .collect()
    }

    /// A random port range of TCP or UDP (single ports, tens, hundreds or
    /// thousands wide), or an ICMP type.
    fn random_traffic(&mut self) -> TrafficMatch {
        if self.rng.chance(10) {
            let icmp_type = [0u8, 3, 8, 11][self.rng.below(4)];
            return TrafficMatch {
                protocol: Protocol::Icmp,
                ports: PortMatch::Icmp {
                    icmp_type: Some(icmp_type),
                    icmp_code: None,
                },
            };
        }
        let first = 1 + self.rng.below(65535) as u32;
        let width = [0u32, 0, 0, 9, 99, 999, 9999][self.rng.below(7)];
        let last = (first + width).min(65535);
        let (first, last) = (first as u16, last as u16);
        if self.rng.chance(75) {
            TrafficMatch::tcp(first, last)
        } else {
            TrafficMatch::udp(first, last)
        }
    }

    /// A random block inside `within`, at least one bit longer, at most
    /// `longest` bits.
    fn random_block(&mut self, within: Ipv4Net, longest: u8) -> Ipv4Net {
        let shortest = (within.prefix_len() + 1).min(longest);
        let len = shortest + self.rng.below(usize::from(longest - shortest) + 1) as u8;
        let span = 1u64 << (32 - u32::from(within.prefix_len()));
        let offset = (self.rng.next() % span) as u32;
        let addr = Ipv4Addr::from(u32::from(within.network()) | offset);
        Ipv4Net::new(addr, len).map_or(within, |n| n.trunc())
    }

    /// A random public block, /16 to /28, in ranges cloud providers and
    /// enterprises announce.
    fn random_public_block(&mut self) -> Ipv4Net {
        let first = [13u8, 18, 34, 52, 54, 99, 104, 151, 185, 198][self.rng.below(10)];
        self.random_block(net([first, 0, 0, 0], 8), 28)
    }

    /// [`Shape::Dense`]'s private NACL: random entries in both directions
    /// ahead of an allow for everything.
    fn dense_nacl(&mut self, vpc_cidr: Ipv4Net) -> Vec<NaclEntry> {
        let all = net([0, 0, 0, 0], 0);
        let mut entries: Vec<NaclEntry> = (0..18u16)
            .map(|k| {
                let action = if self.rng.chance(40) {
                    NaclAction::Deny
                } else {
                    NaclAction::Allow
                };
                let cidr = match self.rng.below(3) {
                    0 => self.random_public_block(),
                    _ => self.random_block(vpc_cidr, 28),
                };
                let traffic = self.random_traffic();
                entry(10 * (k / 2 + 1), k % 2 == 1, action, traffic, cidr)
            })
            .collect();
        entries.extend([
            entry(200, false, NaclAction::Allow, TrafficMatch::ALL, all),
            entry(200, true, NaclAction::Allow, TrafficMatch::ALL, all),
        ]);
        entries
    }

    /// [`Shape::Fragmented`]'s deny entries, ahead of a NACL's allow rules:
    /// a few public /24s and carrier-grade NAT space, inbound.
    fn public_denies(&mut self) -> Vec<NaclEntry> {
        let mut blocks: Vec<Ipv4Net> = (0..4)
            .map(|_| {
                let b = self.random_public_block();
                Ipv4Net::new(b.network(), b.prefix_len().max(24)).map_or(b, |n| n.trunc())
            })
            .collect();
        blocks.push(net([100, 64, 0, 0], 10));
        blocks
            .into_iter()
            .enumerate()
            .map(|(k, b)| entry(50 + k as u16, false, NaclAction::Deny, TrafficMatch::ALL, b))
            .collect()
    }

    /// Security-group sets of the VPC: one to three of its groups each.
    fn sg_sets(&mut self, ids: &VpcIds) -> Vec<Vec<String>> {
        let n = ids.groups.len();
        (0..self.spec.sg_sets_per_subnet * 2)
            .map(|k| {
                let mut set = vec![ids.groups[k % n].clone()];
                if self.rng.chance(50) {
                    set.push(ids.groups[self.rng.below(n)].clone());
                }
                if self.rng.chance(25) {
                    set.push(ids.groups[self.rng.below(n)].clone());
                }
                set.sort();
                set.dedup();
                set
            })
            .collect()
    }

    fn subnets(
        &mut self,
        v: usize,
        ids: &mut VpcIds,
        acls: &(String, String),
        public_table: &str,
        private_table: &str,
    ) {
        let sets = self.sg_sets(ids);
        let total_subnets = self.spec.vpcs * self.spec.subnets_per_vpc;
        let all = net([0, 0, 0, 0], 0);
        let nat = ids.internet.then(|| self.ids.make("nat"));
        if let (Some(nat), Some(&t)) = (&nat, ids.tables.get(1)) {
            self.parts.route_tables[t]
                .routes
                .push(route(all, RouteTarget::NatGateway(nat.clone())));
        }
        if ids.internet {
            let igw = self.ids.make("igw");
            self.parts.internet_gateways.push(InternetGateway {
                meta: named(igw.clone(), format!("igw-{v:04}")),
                vpc: Some(ids.vpc.clone()),
            });
            if let Some(&t) = ids.tables.first() {
                self.parts.route_tables[t]
                    .routes
                    .push(route(all, RouteTarget::InternetGateway(igw)));
            }
        }
        for s in 0..self.spec.subnets_per_vpc {
            let public = ids.internet && s == 0;
            let subnet = self.ids.make("subnet");
            let cidr = self.plan.subnet(v, s);
            let k = v * self.spec.subnets_per_vpc + s;
            let count =
                self.spec.enis / total_subnets + usize::from(k < self.spec.enis % total_subnets);
            let tier = if public { "public" } else { "private" };
            self.parts.subnets.push(Subnet {
                meta: named(subnet.clone(), format!("{tier}-{v:04}-{s}")),
                vpc: ids.vpc.clone(),
                cidr,
                availability_zone: Some(format!("us-east-1{}", ['a', 'b', 'c'][s % 3])),
                map_public_ip_on_launch: public,
                route_table: Some(if public { public_table } else { private_table }.to_string()),
                network_acl: Some(if public { &acls.0 } else { &acls.1 }.clone()),
            });
            let mut order: Vec<usize> = (0..sets.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, self.rng.below(i + 1));
            }
            order.truncate(self.spec.sg_sets_per_subnet);
            for e in 0..count {
                let set = &sets[order[self.rng.below(order.len())]];
                let eni = self.instance(v, &subnet, cidr, e, set.clone(), public && e % 3 == 0);
                if !public {
                    ids.private_enis.push(eni);
                }
            }
            if public {
                ids.public_subnet = Some(subnet.clone());
                if let Some(nat) = &nat {
                    let public_ip = self.public_ip();
                    self.parts.nat_gateways.push(NatGateway {
                        meta: named(nat.clone(), format!("nat-{v:04}")),
                        subnet: subnet.clone(),
                        private_ip: Some(host(cidr, 4 + count)),
                        public: true,
                        public_ip: Some(public_ip),
                    });
                }
            }
        }
    }

    /// An instance with one interface; returns (instance id, interface id).
    fn instance(
        &mut self,
        v: usize,
        subnet: &str,
        cidr: Ipv4Net,
        e: usize,
        security_groups: Vec<String>,
        public: bool,
    ) -> (String, String) {
        let instance = self.ids.make("i");
        let eni = self.ids.make("eni");
        let public_ip = public.then(|| self.public_ip());
        self.parts.enis.push(Eni {
            meta: Meta::new(eni.clone()),
            subnet: subnet.to_string(),
            private_ips: vec![host(cidr, 4 + e)],
            public_ip,
            auto_public_ip: false,
            security_groups,
            sg_enforced: true,
            owner: EniOwner::Instance(instance.clone()),
            addresses_allocated: false,
        });
        self.parts.instances.push(Instance {
            meta: named(instance.clone(), format!("host-{v:04}-{e}")),
            enis: vec![eni.clone()],
        });
        (instance, eni)
    }

    /// Hub-and-spoke groups, hubs meshed; routes on every table of both ends.
    fn peer(&mut self, vpcs: &[VpcIds]) {
        let hubs: Vec<usize> = (0..vpcs.len()).step_by(self.spec.hub_size).collect();
        let mut links: Vec<(usize, usize)> = Vec::new();
        for (i, &a) in hubs.iter().enumerate() {
            for &b in &hubs[i + 1..] {
                links.push((a, b));
            }
        }
        for v in 0..vpcs.len() {
            let hub = self.hub_of(v);
            if hub != v {
                links.push((hub, v));
            }
        }
        let mut routes: BTreeMap<usize, Vec<Route>> = BTreeMap::new();
        for (a, b) in links {
            let pcx = self.ids.make("pcx");
            self.parts.peerings.push(Peering {
                meta: Meta::new(pcx.clone()),
                requester_vpc: vpcs[a].vpc.clone(),
                accepter_vpc: vpcs[b].vpc.clone(),
                active: true,
            });
            let target = RouteTarget::Peering(pcx);
            routes
                .entry(a)
                .or_default()
                .push(route(vpcs[b].cidr, target.clone()));
            let from_b = if self.hub_of(b) == b {
                vpcs[a].cidr
            } else {
                net([10, 0, 0, 0], 8)
            };
            routes.entry(b).or_default().push(route(from_b, target));
        }
        for (v, list) in routes {
            for &t in &vpcs[v].tables {
                self.parts.route_tables[t]
                    .routes
                    .extend(list.iter().cloned());
            }
        }
    }

    /// Internet-facing ALBs in public subnets, forwarding HTTPS to three private
    /// instances of their VPC on 8080.
    fn load_balancers(&mut self, vpcs: &[VpcIds]) {
        let hosts: Vec<&VpcIds> = vpcs
            .iter()
            .filter(|v| v.public_subnet.is_some() && !v.private_enis.is_empty())
            .collect();
        if hosts.is_empty() {
            return;
        }
        for k in 0..self.spec.load_balancers {
            let vpc = hosts[k % hosts.len()];
            let Some(subnet) = vpc.public_subnet.clone() else {
                continue;
            };
            let sg = self.ids.make("sg");
            self.parts.security_groups.push(SecurityGroup {
                meta: named(sg.clone(), format!("alb-{k}")),
                vpc: vpc.vpc.clone(),
                ingress: vec![
                    rule(
                        TrafficMatch::tcp(443, 443),
                        RulePeer::Cidr(net([0, 0, 0, 0], 0)),
                    ),
                    rule(
                        TrafficMatch::tcp(80, 80),
                        RulePeer::Cidr(net([0, 0, 0, 0], 0)),
                    ),
                ],
                egress: vec![rule(
                    TrafficMatch::tcp(8080, 8080),
                    RulePeer::Cidr(vpc.cidr),
                )],
            });
            let tg = format!("app-{k}/{:016x}", mix(self.spec.seed ^ (k as u64) << 1));
            let n = vpc.private_enis.len();
            let targets = (0..3.min(n))
                .map(|i| Target {
                    target: TargetRef::Instance(vpc.private_enis[(k + i * 7) % n].0.clone()),
                    port: None,
                })
                .collect();
            self.parts.target_groups.push(TargetGroup {
                meta: named(tg.clone(), format!("app-{k}")),
                protocol: Protocol::Tcp,
                port: 8080,
                targets,
                // AWS's default for instance targets (an application load
                // balancer does not use it).
                preserve_client_ip: true,
            });
            self.parts.load_balancers.push(LoadBalancer {
                // The id an ARN gives (`app/NAME/HASH`), so both outputs agree.
                meta: named(
                    format!("app/alb-{k}/{:016x}", mix(self.spec.seed ^ (k as u64) << 2)),
                    format!("alb-{k}"),
                ),
                kind: LoadBalancerKind::Application,
                internet_facing: true,
                subnets: vec![subnet],
                security_groups: vec![sg],
                listeners: vec![Listener {
                    protocol: Protocol::Tcp,
                    port: 443,
                    target_groups: vec![tg],
                    span: None,
                }],
                nodes: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests;
