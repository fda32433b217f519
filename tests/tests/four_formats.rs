#![expect(
    clippy::panic,
    reason = "an organization that does not write, load or check fails the test"
)]

//! One organization, four formats, one answer: a generated organization is
//! written natively, as an AWS CLI dump, as a CloudFormation template and as a
//! Terraform plan; each loads to the same network (compared by what decides
//! reachability, with every id replaced by what identifies the object in any
//! format: addresses, CIDRs, names) and gets the same verdicts and finding
//! counts on `policies/synthetic-org.np`.

use netpolicy_core::engine::{Endpoint, Engine};
use netpolicy_core::load::cloudformation::TemplateOptions;
use netpolicy_core::load::load_model_file;
use netpolicy_core::model::*;
use netpolicy_core::packet::PacketSet;
use netpolicy_core::span::SourceMap;
use netpolicy_core::synth::{self, Preset};
use netpolicy_lang::check::check_policy;
use netpolicy_lang::parse_policy;
use netpolicy_tests::generate::{self, Rng};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

const POLICY: &str = "policies/synthetic-org.np";
const VOCABULARY: &str = "tests/cases/four-formats/vocabulary.yaml";
const VOCABULARY_POLICY: &str = "tests/cases/four-formats/vocabulary.np";

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Writes `model` in every format under `dir`; the paths to load.
fn write_all(model: &Model, dir: &Path) -> Vec<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    let file = |name: &str, write: &dyn Fn(&mut BufWriter<File>) -> std::io::Result<()>| {
        let path = dir.join(name);
        let mut out = BufWriter::new(File::create(&path).unwrap_or_else(|e| panic!("{e}")));
        write(&mut out)
            .and_then(|()| out.flush())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        path
    };
    let dump = dir.join("dump");
    synth::aws_cli::write(model, &dump).unwrap_or_else(|e| panic!("{e}"));
    vec![
        file("org.json", &|out| synth::native::write(model, out)),
        dump,
        file("org.template.json", &|out| {
            synth::cloudformation::write(model, out)
        }),
        file("org.plan.json", &|out| synth::terraform::write(model, out)),
        // Routes and group rules as blocks of their table and group, as many
        // configurations write them: what they name exists only later.
        file("org.inline.plan.json", &|out| {
            synth::terraform::write_with(model, synth::terraform::Blocks::Inline, out)
        }),
    ]
}

fn load(path: &Path) -> Model {
    load_model_file(path, None, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}: {:?}", path.display(), e.error()))
}

/// The verdicts of `policy`: (assertion, status, findings).
fn verdicts(model: &Model, policy: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(policy)).unwrap_or_default();
    let mut sources = SourceMap::default();
    let id = sources.add(policy, text.as_str());
    let parsed = parse_policy(&text, id).unwrap_or_else(|e| panic!("{e}"));
    let report = check_policy(model, &parsed, &sources, policy, "the model")
        .unwrap_or_else(|e| panic!("{e}"));
    report
        .verdicts
        .iter()
        .map(|v| format!("{}: {:?} ({} findings)", v.assertion, v.status, v.findings))
        .collect()
}

/// What identifies each object in every format.
struct Keys<'m>(&'m Model);

impl Keys<'_> {
    fn vpc(&self, id: &str) -> String {
        self.0
            .vpc(id)
            .and_then(|v| v.cidr_blocks.first())
            .map_or_else(|| format!("?{id}"), ToString::to_string)
    }

    fn subnet(&self, id: &str) -> String {
        self.0
            .subnet(id)
            .map_or_else(|| format!("?{id}"), |s| s.cidr.to_string())
    }

    fn group(&self, id: &str) -> String {
        match self.0.security_group(id) {
            Some(g) => format!(
                "{}@{}",
                g.meta.name.as_deref().unwrap_or("?"),
                self.vpc(&g.vpc)
            ),
            None => format!("?{id}"),
        }
    }

    fn eni(&self, id: &str) -> String {
        self.0
            .eni(id)
            .and_then(|e| e.private_ips.first())
            .map_or_else(|| format!("?{id}"), ToString::to_string)
    }

    fn instance(&self, id: &str) -> String {
        match self.0.instance(id).and_then(|i| i.enis.first()) {
            Some(e) => self.eni(e),
            None => format!("?{id}"),
        }
    }

    fn peering(&self, id: &str) -> String {
        match self.0.peering(id) {
            Some(p) => format!(
                "{}<->{}",
                self.vpc(&p.requester_vpc),
                self.vpc(&p.accepter_vpc)
            ),
            None => format!("?{id}"),
        }
    }

    fn target(&self, t: &RouteTarget) -> String {
        match t {
            RouteTarget::Local => "local".into(),
            RouteTarget::Blackhole => "blackhole".into(),
            RouteTarget::InternetGateway(g) => match self.0.internet_gateway(g) {
                Some(g) => format!(
                    "igw@{}",
                    g.vpc.as_deref().map_or("-".into(), |v| self.vpc(v))
                ),
                None => format!("?{g}"),
            },
            RouteTarget::VpnGateway(g) => match self.0.vpn_gateway(g) {
                Some(g) => format!(
                    "vgw@{}",
                    g.vpc.as_deref().map_or("-".into(), |v| self.vpc(v))
                ),
                None => format!("?{g}"),
            },
            RouteTarget::NatGateway(n) => match self.0.nat_gateway(n) {
                Some(n) => format!("nat@{}", self.subnet(&n.subnet)),
                None => format!("?{n}"),
            },
            RouteTarget::Peering(p) => format!("pcx {}", self.peering(p)),
            RouteTarget::TransitGateway(t) => format!("tgw {t}"),
            RouteTarget::NetworkInterface(e) => format!("eni {}", self.eni(e)),
            RouteTarget::GatewayEndpoint(e) => format!("vpce {e}"),
        }
    }

    fn traffic(t: &TrafficMatch) -> String {
        let ports = match (t.protocol, t.ports) {
            (
                Protocol::Tcp | Protocol::Udp,
                PortMatch::Range {
                    first: 0,
                    last: 65535,
                },
            ) => PortMatch::Any,
            (_, p) => p,
        };
        format!("{} {ports:?}", t.protocol)
    }

    fn prefix_list(&self, id: &str) -> String {
        self.0
            .prefix_list(id)
            .map_or_else(|| format!("?{id}"), |l| format!("{:?}", l.cidrs))
    }

    fn rule(&self, r: &SecurityGroupRule) -> String {
        let peer = match &r.peer {
            RulePeer::Cidr(c) => c.to_string(),
            RulePeer::SecurityGroup(g) => format!("sg {}", self.group(g)),
            RulePeer::PrefixList(p) => format!("pl {}", self.prefix_list(p)),
        };
        format!("{} {peer}", Keys::traffic(&r.traffic))
    }

    fn routes(&self, table: Option<&str>) -> Vec<String> {
        let mut routes: Vec<String> = table
            .and_then(|t| self.0.route_table(t))
            .map(|t| {
                (t.routes.iter())
                    .filter(|r| r.target != RouteTarget::Local)
                    .map(|r| {
                        let destination = match &r.destination {
                            RouteDestination::Cidr(c) => c.to_string(),
                            RouteDestination::PrefixList(p) => {
                                format!("pl {}", self.prefix_list(p))
                            }
                        };
                        format!("{destination} -> {}", self.target(&r.target))
                    })
                    .collect()
            })
            .unwrap_or_default();
        routes.sort();
        routes
    }

    fn entries(&self, acl: Option<&str>) -> Vec<String> {
        let mut entries: Vec<_> = acl
            .and_then(|a| self.0.network_acl(a))
            .map(|a| a.entries.iter().collect())
            .unwrap_or_default();
        entries.sort_by_key(|e| (e.egress, e.rule_number));
        entries
            .iter()
            .map(|e| {
                let dir = if e.egress { "out" } else { "in" };
                format!(
                    "{dir} {} {:?} {} {}",
                    e.rule_number,
                    e.action,
                    Keys::traffic(&e.traffic),
                    e.cidr
                )
            })
            .collect()
    }
}

fn broadcast() -> ipnet::Ipv4Net {
    ipnet::Ipv4Net::new(std::net::Ipv4Addr::BROADCAST, 32).unwrap_or_default()
}

/// The network as the engine sees it, every id replaced by its key.
fn fingerprint(model: &Model) -> BTreeSet<String> {
    let k = Keys(model);
    let mut out = BTreeSet::new();
    for v in model.vpcs() {
        out.insert(format!("vpc {:?}", v.cidr_blocks));
    }
    for s in model.subnets() {
        let vpc = model.vpc(&s.vpc);
        let table = s
            .route_table
            .as_deref()
            .or(vpc.and_then(|v| v.main_route_table.as_deref()));
        let acl = s
            .network_acl
            .as_deref()
            .or(vpc.and_then(|v| v.default_network_acl.as_deref()));
        out.insert(format!(
            "subnet {} in {} public={} routes={:?} nacl={:?}",
            s.cidr,
            k.vpc(&s.vpc),
            s.map_public_ip_on_launch,
            k.routes(table),
            k.entries(acl)
        ));
    }
    for g in model.security_groups() {
        // A rule to the broadcast address matches no packet: a template
        // writes one to say "no egress" (EC2 would add allow-all otherwise).
        let real = |r: &&SecurityGroupRule| r.peer != RulePeer::Cidr(broadcast());
        let mut ingress: Vec<String> = g.ingress.iter().map(|r| k.rule(r)).collect();
        let mut egress: Vec<String> = g.egress.iter().filter(real).map(|r| k.rule(r)).collect();
        ingress.sort();
        egress.sort();
        out.insert(format!(
            "sg {} in={ingress:?} out={egress:?}",
            k.group(&g.meta.id)
        ));
    }
    for e in model.enis() {
        if let EniOwner::LoadBalancer(_) | EniOwner::NatGateway(_) = e.owner {
            continue;
        }
        let mut groups: Vec<String> = e.security_groups.iter().map(|g| k.group(g)).collect();
        groups.sort();
        let owner = match &e.owner {
            EniOwner::Instance(_) => "instance",
            EniOwner::VpcEndpoint(_) => "endpoint",
            _ => "none",
        };
        out.insert(format!(
            "eni {:?} in {} public={} groups={groups:?} owner={owner}",
            e.private_ips,
            k.subnet(&e.subnet),
            e.public_ip.is_some() || e.auto_public_ip,
        ));
    }
    for i in model.instances() {
        let enis: Vec<String> = i.enis.iter().map(|e| k.eni(e)).collect();
        out.insert(format!("instance {enis:?}"));
    }
    for g in model.internet_gateways() {
        out.insert(k.target(&RouteTarget::InternetGateway(g.meta.id.clone())));
    }
    for g in model.vpn_gateways() {
        let key = k.target(&RouteTarget::VpnGateway(g.meta.id.clone()));
        out.insert(format!("{key} connected={}", g.has_vpn_connection));
    }
    for n in model.nat_gateways() {
        let key = k.target(&RouteTarget::NatGateway(n.meta.id.clone()));
        out.insert(format!("{key} {:?} public={}", n.private_ip, n.public));
    }
    for p in model.peerings() {
        out.insert(format!(
            "peering {} active={}",
            k.peering(&p.meta.id),
            p.active
        ));
    }
    for lb in model.load_balancers() {
        let mut subnets: Vec<String> = lb.subnets.iter().map(|s| k.subnet(s)).collect();
        subnets.sort();
        let groups: Vec<String> = lb.security_groups.iter().map(|g| k.group(g)).collect();
        let listeners: Vec<String> = (lb.listeners.iter())
            .map(|l| {
                let groups: Vec<String> = (l.target_groups.iter())
                    .map(|t| {
                        model
                            .target_group(t)
                            .and_then(|t| t.meta.name.clone())
                            .unwrap_or_default()
                    })
                    .collect();
                format!("{} {} -> {groups:?}", l.protocol, l.port)
            })
            .collect();
        out.insert(format!(
            "lb {:?} {:?} facing={} subnets={subnets:?} groups={groups:?} listeners={listeners:?} nodes={}",
            lb.meta.name, lb.kind, lb.internet_facing, lb.nodes.len()
        ));
    }
    for t in model.target_groups() {
        let mut targets: Vec<String> = (t.targets.iter())
            .map(|x| match &x.target {
                // A target without a port uses the group's.
                TargetRef::Instance(i) => format!("{} {}", k.instance(i), x.port.unwrap_or(t.port)),
                TargetRef::Ip(a) => format!("{a} {}", x.port.unwrap_or(t.port)),
            })
            .collect();
        targets.sort();
        out.insert(format!(
            "tg {:?} {} {} {targets:?}",
            t.meta.name, t.protocol, t.port
        ));
    }
    out
}

/// A folder of this test run's own for the files of `name`.
fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "netpolicy-four-formats-{name}-{}",
        std::process::id()
    ))
}

/// Each file `model` is written to, loaded back, after it has been compared
/// with `model` by fingerprint.
fn loaded_in_four_formats(model: &Model, name: &str) -> Vec<(PathBuf, Model)> {
    let dir = scratch(name);
    let paths = write_all(model, &dir);
    let expected_fingerprint = fingerprint(model);
    let mut loaded_models = Vec::new();
    for path in paths {
        let loaded = load(&path);
        let got = fingerprint(&loaded);
        let missing: Vec<_> = expected_fingerprint.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&expected_fingerprint).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: the loaded network differs\nmissing: {missing:#?}\nextra: {extra:#?}",
            path.display()
        );
        loaded_models.push((path, loaded));
    }
    let _ = std::fs::remove_dir_all(&dir);
    loaded_models
}

fn four_formats_agree(model: &Model, name: &str, policy: &str) {
    let expected_verdicts = verdicts(model, policy);
    for (path, loaded) in loaded_in_four_formats(model, name) {
        assert_eq!(
            verdicts(&loaded, policy),
            expected_verdicts,
            "{}",
            path.display()
        );
    }
}

/// Every interface by its first private address, which every format keeps.
fn interfaces_by_address(model: &Model) -> BTreeMap<Ipv4Addr, Endpoint> {
    model
        .enis()
        .iter()
        .filter_map(|e| {
            let first = e.private_ips.first()?;
            Some((*first, Endpoint::Eni(e.meta.id.clone())))
        })
        .collect()
}

/// The engine's answer for every pair (the internet or an interface, to an
/// interface) is the same set of packets on `model` and on `loaded`.
fn same_answers(model: &Model, loaded: &Model, label: &str) {
    let (want, got) = (interfaces_by_address(model), interfaces_by_address(loaded));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{label}: interface addresses"
    );
    let (engine, loaded_engine) = (Engine::new(model), Engine::new(loaded));
    let query = PacketSet::client_traffic();
    let sources =
        std::iter::once((None, &Endpoint::Internet)).chain(want.iter().map(|(a, e)| (Some(*a), e)));
    for (src_address, src) in sources {
        let loaded_src = match src_address {
            Some(a) => &got[&a],
            None => &Endpoint::Internet,
        };
        for (address, dst) in &want {
            let expected = engine.reach(src, dst, &query).packets();
            let answer = loaded_engine
                .reach(loaded_src, &got[address], &query)
                .packets();
            assert!(
                answer.same_as(&expected),
                "{label}: {src_address:?} -> {address}: expected {}, loaded {}",
                expected.service_summary(),
                answer.service_summary()
            );
        }
    }
}

/// How many random networks to write and read back (`NETPOLICY_RANDOM_CASES`).
fn random_cases() -> u64 {
    std::env::var("NETPOLICY_RANDOM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

fn organization(preset: Preset) {
    let model = synth::generate(&preset.spec()).unwrap_or_else(|e| panic!("{e}"));
    four_formats_agree(&model, preset.name(), POLICY);
}

#[test]
fn the_s_organization_is_the_same_network_in_four_formats() {
    organization(Preset::S);
}

#[test]
fn the_m_organization_is_the_same_network_in_four_formats() {
    organization(Preset::M);
}

/// Endpoints, prefix lists, private NAT, VPN, transit-gateway and interface
/// routes, ICMP and numbered protocols, standalone interfaces, both load
/// balancer types, IP targets, a second VPC block, main table and default NACL.
#[test]
fn the_whole_vocabulary_reads_the_same_in_four_formats() {
    let model = load(&root().join(VOCABULARY));
    four_formats_agree(&model, "vocabulary", VOCABULARY_POLICY);
}

/// A random network of the oracle, made writable in every format: groups
/// named, every interface an instance's, peerings active (a template's
/// peering is accepted or fails).
fn random_parts(seed: u64) -> ModelParts {
    let mut rng = Rng::new(seed.wrapping_mul(0x2545_F491) ^ 17);
    let mut parts = generate::network_parts(&mut rng);
    // Every group has a name in AWS, and the fingerprint knows groups by it.
    for g in &mut parts.security_groups {
        g.meta.name = Some(g.meta.id.clone());
    }
    // An address on launch is an instance's: every interface gets one.
    for e in &mut parts.enis {
        let instance = format!("i_{}", e.meta.id);
        e.owner = EniOwner::Instance(instance.clone());
        parts.instances.push(Instance {
            meta: Meta::new(instance),
            enis: vec![e.meta.id.clone()],
        });
    }
    for p in &mut parts.peerings {
        p.active = true;
    }
    parts
}

fn build(parts: ModelParts, seed: u64) -> Model {
    Model::build(parts, SourceMap::default()).unwrap_or_else(|e| panic!("seed {seed}: {e}"))
}

/// The oracle's random networks (public and private NAT, VPN gateways, SG
/// references, ordered NACLs with ICMP and deny entries, peerings, routes to
/// every target kind) read back the same from every format, and every pair
/// gets the same answer: the writers and readers of four formats checked on
/// shapes nobody wrote a case for.
#[test]
fn random_networks_read_the_same_in_four_formats() {
    let mut compared = 0;
    for seed in 0..random_cases() {
        let mut parts = random_parts(seed);
        // A blackhole is a route whose target was deleted: a template cannot
        // write one (the next test reads them another way).
        for t in &mut parts.route_tables {
            t.routes.retain(|r| r.target != RouteTarget::Blackhole);
        }
        let model = build(parts, seed);
        let name = format!("random-{seed}");
        for (path, loaded) in loaded_in_four_formats(&model, &name) {
            same_answers(&model, &loaded, &format!("seed {seed}, {}", path.display()));
            compared += 1;
        }
    }
    assert_eq!(compared, 5 * random_cases());
}

/// The native model and the AWS CLI dump can write a blackhole (a dump marks
/// a route whose target was deleted `State: blackhole`): with them kept, the
/// random networks read back with the same answers.
#[test]
fn blackholes_read_back_from_native_models_and_dumps() {
    let mut compared = 0;
    for seed in 0..random_cases() {
        let model = build(random_parts(seed), seed);
        let blackholes = |m: &Model| {
            (m.route_tables().iter())
                .flat_map(|t| &t.routes)
                .filter(|r| r.target == RouteTarget::Blackhole)
                .count()
        };
        if blackholes(&model) == 0 {
            continue;
        }
        let dir = scratch(&format!("blackholes-{seed}"));
        for path in write_all(&model, &dir).iter().take(2) {
            let loaded = load(path);
            let label = format!("seed {seed}, {}", path.display());
            assert_eq!(blackholes(&loaded), blackholes(&model), "{label}");
            same_answers(&model, &loaded, &label);
            compared += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(compared > 0, "no random network had a blackhole route");
}

/// Rewrites every route to a transit gateway in `path` (a file or a dump
/// folder) as a route to a carrier gateway, a target netpolicy does not model.
fn to_carrier_gateways(path: &Path) {
    let files: Vec<PathBuf> = if path.is_dir() {
        let entries = std::fs::read_dir(path).unwrap_or_else(|e| panic!("{e}"));
        entries.filter_map(|e| Some(e.ok()?.path())).collect()
    } else {
        vec![path.to_path_buf()]
    };
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        // An inline `route` block writes every target attribute, the unset
        // ones empty: drop the empty carrier one before renaming.
        let text = text
            .replace("\"carrier_gateway_id\":\"\",", "")
            .replace("\"TransitGatewayId\"", "\"CarrierGatewayId\"")
            .replace("\"transit_gateway_id\"", "\"carrier_gateway_id\"");
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A route to a target netpolicy does not model still wins the addresses of
/// its prefix in AWS: in every format it stops its packets, as a blackhole
/// does, and never hands them to a less specific route (a peering or the
/// internet gateway beneath it).
#[test]
fn routes_to_unmodelled_targets_stop_their_packets_in_every_format() {
    let mut compared = 0;
    for seed in 0..random_cases() {
        let parts = random_parts(seed);
        let mut written = parts.clone();
        let mut stops = 0;
        for t in &mut written.route_tables {
            for r in &mut t.routes {
                if r.target == RouteTarget::Blackhole {
                    stops += 1;
                    r.target = RouteTarget::TransitGateway(format!("cagw-{stops}"));
                }
            }
        }
        if stops == 0 {
            continue;
        }
        let expected = build(parts, seed);
        let dir = scratch(&format!("unmodelled-{seed}"));
        // The native model has its own vocabulary: the three AWS formats.
        for path in write_all(&build(written, seed), &dir).iter().skip(1) {
            to_carrier_gateways(path);
            let loaded = load(path);
            let label = format!("seed {seed}, {}", path.display());
            let warned = (loaded.warnings().iter())
                .filter(|w| w.message.contains("treated as dropped"))
                .count();
            assert!(
                warned >= stops,
                "{label}: {warned} warnings for {stops} routes"
            );
            same_answers(&expected, &loaded, &label);
            compared += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(compared > 0, "no random network had a blackhole route");
}
