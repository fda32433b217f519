//! One small hand-written network per rule of docs/semantics.md.

use super::*;
use crate::load::load_native;
use crate::packet::{Dim, IntervalSet, TCP};

fn model(yaml: &str) -> Model {
    match load_native("test.yaml", yaml) {
        Ok(m) => m,
        Err(e) => panic!("test model does not load: {e} ({:?})", e.error()),
    }
}

fn tcp(port: u16) -> PacketSet {
    PacketSet::for_protocols(
        &IntervalSet::single(u32::from(TCP)),
        &IntervalSet::range(1024, 65535),
        &IntervalSet::single(u32::from(port)),
    )
}

fn eni(id: &str) -> Endpoint {
    Endpoint::Eni(id.to_string())
}

fn reaches(engine: &Engine<'_>, src: &Endpoint, dst: &Endpoint, port: u16) -> bool {
    !engine.reach(src, dst, &tcp(port)).is_empty()
}

fn addr(model: &Model, id: &str) -> std::net::Ipv4Addr {
    model
        .eni(id)
        .and_then(|e| e.private_ips.first().copied())
        .expect("eni has an address")
}

fn packet(src: std::net::Ipv4Addr, dst: std::net::Ipv4Addr, port: u16) -> Packet {
    Packet {
        src,
        dst,
        protocol: TCP,
        src_port: 40000,
        dst_port: port,
    }
}

/// The first denying hop of the first traced path.
fn denial(flows: &[Flow]) -> Option<&Hop> {
    flows
        .iter()
        .flat_map(|f| f.hops.iter())
        .find(|h| !h.allowed)
}

const ONE_VPC: &str = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.0.0.0/16]}
internet_gateways:
  - {id: igw-a, vpc: vpc-a}
subnets:
  - {id: public, vpc: vpc-a, cidr: 10.0.1.0/24, route_table: rt-public}
  - {id: private, vpc: vpc-a, cidr: 10.0.2.0/24, route_table: rt-private}
route_tables:
  - id: rt-public
    vpc: vpc-a
    routes:
      - {destination: 0.0.0.0/0, internet_gateway: igw-a}
  - id: rt-private
    vpc: vpc-a
    routes:
      - {destination: 0.0.0.0/0, nat_gateway: nat-a}
nat_gateways:
  - {id: nat-a, subnet: public}
security_groups:
  - id: web-sg
    vpc: vpc-a
    ingress:
      - {protocol: tcp, ports: 80, from: "sg:app-sg"}
  - id: app-sg
    vpc: vpc-a
    ingress:
      - {protocol: tcp, ports: 22, from: 0.0.0.0/0}
instances:
  - {id: web, subnet: public, public_ip: auto, security_groups: [web-sg]}
  - {id: app, subnet: public, public_ip: auto, security_groups: [app-sg]}
  - {id: worker, subnet: private, security_groups: [app-sg]}
"#;

#[test]
fn sg_reference_matches_private_ips_only() {
    let m = model(ONE_VPC);
    let e = Engine::new(&m);
    // app is a member of app-sg: its private address is admitted.
    let private = e.reach(&eni("app/eni0"), &eni("web/eni0"), &tcp(80));
    assert!(private.flows.iter().any(|f| f.kind
        == PathKind::Private {
            peering: None,
            nat: None
        }));
    // Over the internet it arrives from its public address, which the reference
    // does not cover; so neither the internet nor app-over-public-IP gets in.
    assert!(
        !private
            .flows
            .iter()
            .any(|f| matches!(f.kind, PathKind::PublicInternet { .. }))
    );
    assert!(!reaches(&e, &Endpoint::Internet, &eni("web/eni0"), 80));
    // The denial names the web group's missing rule.
    let web_public = m
        .eni("web/eni0")
        .and_then(|x| x.public_ip)
        .expect("allocated");
    let trace = e.explain(
        &eni("app/eni0"),
        &eni("web/eni0"),
        &packet(addr(&m, "app/eni0"), web_public, 80),
    );
    let hop = denial(&trace).expect("denied somewhere");
    assert_eq!(hop.kind, HopKind::SecurityGroupIngress);
    assert!(hop.rule.rule.contains("no ingress rule"), "{hop}");
}

#[test]
fn sg_rule_allowing_a_private_path_is_named_with_its_span() {
    let m = model(ONE_VPC);
    let e = Engine::new(&m);
    let trace = e.explain(
        &eni("app/eni0"),
        &eni("web/eni0"),
        &packet(addr(&m, "app/eni0"), addr(&m, "web/eni0"), 80),
    );
    let ingress = trace[0]
        .hops
        .iter()
        .find(|h| h.kind == HopKind::SecurityGroupIngress)
        .expect("sg hop");
    assert!(ingress.allowed);
    assert_eq!(ingress.rule.rule, "ingress tcp/80 from sg app-sg");
    let span = ingress.rule.span.expect("rule has a span");
    assert_eq!(
        m.sources().snippet(span),
        Some(r#"{protocol: tcp, ports: 80, from: "sg:app-sg"}"#)
    );
}

const NACL_BASE: &str = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.0.0.0/16]}
subnets:
  - {id: client, vpc: vpc-a, cidr: 10.0.1.0/24}
  - {id: server, vpc: vpc-a, cidr: 10.0.2.0/24, network_acl: acl-server}
security_groups:
  - id: open
    vpc: vpc-a
    ingress:
      - {protocol: all, from: 10.0.0.0/16}
instances:
  - {id: c, subnet: client, security_groups: [open]}
  - {id: s, subnet: server, security_groups: [open]}
network_acls:
  - id: acl-server
    vpc: vpc-a
    entries:
"#;

fn with_entries(entries: &str) -> Model {
    model(&format!("{NACL_BASE}{entries}"))
}

#[test]
fn nacl_rule_order_first_match_wins() {
    let m = with_entries(
        "      - {rule: 100, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}
      - {rule: 90, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0}
      - {rule: 200, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}
      - {rule: 100, direction: egress, action: allow, protocol: all, cidr: 0.0.0.0/0}
",
    );
    let e = Engine::new(&m);
    assert!(!reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 22));
    assert!(reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 80));
    let trace = e.explain(
        &eni("c/eni0"),
        &eni("s/eni0"),
        &packet(addr(&m, "c/eni0"), addr(&m, "s/eni0"), 22),
    );
    let hop = denial(&trace).expect("denied");
    assert_eq!(hop.kind, HopKind::NaclIngress);
    assert_eq!(hop.rule.rule, "ingress rule 100 deny tcp/22 from 0.0.0.0/0");
}

#[test]
fn nacl_without_matching_entry_denies_implicitly() {
    let m = with_entries(
        "      - {rule: 100, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0}
      - {rule: 100, direction: egress, action: allow, protocol: all, cidr: 0.0.0.0/0}
",
    );
    let e = Engine::new(&m);
    assert!(reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 443));
    assert!(!reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 80));
    let trace = e.explain(
        &eni("c/eni0"),
        &eni("s/eni0"),
        &packet(addr(&m, "c/eni0"), addr(&m, "s/eni0"), 80),
    );
    assert_eq!(
        denial(&trace).map(|h| h.rule.rule.as_str()),
        Some("rule * deny (no entry matches)")
    );
}

#[test]
fn nacl_blocks_the_return_traffic_only() {
    // Inbound 80 is allowed, but outbound allows only well-known ports: the reply
    // to the client's ephemeral port is dropped.
    let m = with_entries(
        "      - {rule: 100, direction: ingress, action: allow, protocol: tcp, ports: 80, cidr: 0.0.0.0/0}
      - {rule: 100, direction: egress, action: allow, protocol: tcp, ports: 0-1023, cidr: 0.0.0.0/0}
",
    );
    let e = Engine::new(&m);
    assert!(!reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 80));
    let trace = e.explain(
        &eni("c/eni0"),
        &eni("s/eni0"),
        &packet(addr(&m, "c/eni0"), addr(&m, "s/eni0"), 80),
    );
    let hops = &trace[0].hops;
    assert!(
        hops.iter()
            .any(|h| h.kind == HopKind::NaclIngress && h.allowed)
    );
    let hop = denial(&trace).expect("denied");
    assert_eq!(hop.kind, HopKind::ReturnNaclEgress);
    assert_eq!(
        (hop.packet.src_port, hop.packet.dst_port),
        (80, 40000),
        "the hop shows the reply"
    );
    // A client that picks a low source port would get its reply through.
    let low = PacketSet::for_protocols(
        &IntervalSet::single(6),
        &IntervalSet::single(1000),
        &IntervalSet::single(80),
    );
    assert!(!e.reach(&eni("c/eni0"), &eni("s/eni0"), &low).is_empty());
}

#[test]
fn default_nacl_allows_all_and_a_new_custom_nacl_denies_all() {
    let m = with_entries("      []\n");
    let e = Engine::new(&m);
    // server uses the empty custom NACL; client uses the implicit default NACL.
    assert!(!reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 80));
    let open = model(&NACL_BASE.replace(", network_acl: acl-server", "").replace(
        "network_acls:\n  - id: acl-server\n    vpc: vpc-a\n    entries:\n",
        "",
    ));
    let e = Engine::new(&open);
    assert!(reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 80));
    let trace = e.explain(
        &eni("c/eni0"),
        &eni("s/eni0"),
        &packet(addr(&open, "c/eni0"), addr(&open, "s/eni0"), 80),
    );
    let nacl = trace[0]
        .hops
        .iter()
        .find(|h| h.kind == HopKind::NaclIngress)
        .expect("nacl hop");
    assert_eq!(nacl.rule.rule, "allows all (no NACL declared)");
}

const THREE_VPCS: &str = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.1.0.0/16]}
  - {id: vpc-b, cidr_blocks: [10.2.0.0/16]}
  - {id: vpc-c, cidr_blocks: [10.3.0.0/16]}
peerings:
  - {id: pcx-ab, requester_vpc: vpc-a, accepter_vpc: vpc-b}
  - {id: pcx-bc, requester_vpc: vpc-b, accepter_vpc: vpc-c}
subnets:
  - {id: sa, vpc: vpc-a, cidr: 10.1.1.0/24, route_table: rt-a}
  - {id: sb, vpc: vpc-b, cidr: 10.2.1.0/24, route_table: rt-b}
  - {id: sc, vpc: vpc-c, cidr: 10.3.1.0/24, route_table: rt-c}
route_tables:
  - id: rt-a
    vpc: vpc-a
    routes:
      - {destination: 10.0.0.0/8, peering: pcx-ab}
  - id: rt-b
    vpc: vpc-b
    routes:
      - {destination: 10.1.0.0/16, peering: pcx-ab}
      - {destination: 10.3.0.0/16, peering: pcx-bc}
  - id: rt-c
    vpc: vpc-c
    routes:
      - {destination: 10.0.0.0/8, peering: pcx-bc}
security_groups:
  - {id: sg-a, vpc: vpc-a, ingress: [{protocol: all, from: 10.0.0.0/8}]}
  - {id: sg-b, vpc: vpc-b, ingress: [{protocol: all, from: 10.0.0.0/8}]}
  - {id: sg-c, vpc: vpc-c, ingress: [{protocol: all, from: 10.0.0.0/8}]}
instances:
  - {id: a, subnet: sa, security_groups: [sg-a]}
  - {id: b, subnet: sb, security_groups: [sg-b]}
  - {id: c, subnet: sc, security_groups: [sg-c]}
"#;

#[test]
fn peering_is_not_transitive() {
    let m = model(THREE_VPCS);
    let e = Engine::new(&m);
    let ab = e.reach(&eni("a/eni0"), &eni("b/eni0"), &tcp(22));
    assert_eq!(
        ab.flows.first().map(|f| &f.kind),
        Some(&PathKind::Private {
            peering: Some("pcx-ab".into()),
            nat: None,
        })
    );
    assert!(reaches(&e, &eni("b/eni0"), &eni("c/eni0"), 22));
    // A routes 10.3/16 to pcx-ab, B would forward to C, but a peering never transits.
    assert!(!reaches(&e, &eni("a/eni0"), &eni("c/eni0"), 22));
    assert!(!reaches(&e, &eni("c/eni0"), &eni("a/eni0"), 22));
    let trace = e.explain(
        &eni("a/eni0"),
        &eni("c/eni0"),
        &packet(addr(&m, "a/eni0"), addr(&m, "c/eni0"), 22),
    );
    let hop = denial(&trace).expect("denied");
    assert_eq!(hop.kind, HopKind::Route);
    assert!(
        hop.rule.rule.starts_with("10.0.0.0/8 -> peering pcx-ab"),
        "{hop}"
    );
}

#[test]
fn missing_return_route_breaks_reachability() {
    let m = model(&THREE_VPCS.replace("      - {destination: 10.1.0.0/16, peering: pcx-ab}\n", ""));
    let e = Engine::new(&m);
    assert!(!reaches(&e, &eni("a/eni0"), &eni("b/eni0"), 22));
    let trace = e.explain(
        &eni("a/eni0"),
        &eni("b/eni0"),
        &packet(addr(&m, "a/eni0"), addr(&m, "b/eni0"), 22),
    );
    let hop = denial(&trace).expect("denied");
    assert_eq!(hop.kind, HopKind::ReturnRoute);
    assert!(hop.rule.rule.contains("no route"), "{hop}");
}

#[test]
fn igw_route_without_public_ip_drops() {
    let m = model(&ONE_VPC.replace(
        "{id: app, subnet: public, public_ip: auto,",
        "{id: app, subnet: public,",
    ));
    let e = Engine::new(&m);
    assert!(
        e.reach(&eni("app/eni0"), &Endpoint::Internet, &tcp(443))
            .is_empty()
    );
    assert!(
        !e.reach(&eni("web/eni0"), &Endpoint::Internet, &tcp(443))
            .is_empty()
    );
    let trace = e.explain(
        &eni("app/eni0"),
        &Endpoint::Internet,
        &packet(addr(&m, "app/eni0"), "8.8.8.8".parse().expect("ip"), 443),
    );
    let hop = denial(&trace).expect("denied");
    assert_eq!(hop.kind, HopKind::Gateway);
    assert!(hop.rule.rule.contains("no public IP"), "{hop}");
}

#[test]
fn nat_allows_out_never_in() {
    let m = model(ONE_VPC);
    let e = Engine::new(&m);
    let out = e.reach(&eni("worker/eni0"), &Endpoint::Internet, &tcp(443));
    assert_eq!(
        out.flows.first().map(|f| &f.kind),
        Some(&PathKind::ToInternet {
            egress: Some("nat-a".into())
        })
    );
    // The worker admits ssh from anywhere, yet nothing on the internet can open it.
    assert!(!reaches(&e, &Endpoint::Internet, &eni("worker/eni0"), 22));
    // app (public IP, same SG) is reachable on ssh, which shows the rule itself is open.
    assert!(reaches(&e, &Endpoint::Internet, &eni("app/eni0"), 22));
    // The worker reaches app's public address through the NAT, arriving from the
    // NAT's Elastic IP.
    let via_nat = e.reach(&eni("worker/eni0"), &eni("app/eni0"), &tcp(22));
    assert!(via_nat.flows.iter().any(
        |f| matches!(&f.kind, PathKind::PublicInternet { egress: Some(n), .. } if n == "nat-a")
    ));
}

#[test]
fn subnet_without_association_uses_the_main_table() {
    let yaml = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.0.0.0/16], main_route_table: rt-main}
  - {id: vpc-b, cidr_blocks: [10.9.0.0/16]}
internet_gateways:
  - {id: igw-a, vpc: vpc-a}
  - {id: igw-b, vpc: vpc-b}
route_tables:
  - {id: rt-main, vpc: vpc-a, routes: [{destination: 0.0.0.0/0, internet_gateway: igw-a}]}
subnets:
  - {id: sa, vpc: vpc-a, cidr: 10.0.1.0/24}
  - {id: sb, vpc: vpc-b, cidr: 10.9.1.0/24}
security_groups:
  - {id: sg-a, vpc: vpc-a}
  - {id: sg-b, vpc: vpc-b}
instances:
  - {id: a, subnet: sa, public_ip: 203.0.113.10, security_groups: [sg-a]}
  - {id: b, subnet: sb, public_ip: 203.0.113.11, security_groups: [sg-b]}
"#;
    let m = model(yaml);
    let e = Engine::new(&m);
    assert!(
        !e.reach(&eni("a/eni0"), &Endpoint::Internet, &tcp(443))
            .is_empty()
    );
    // vpc-b has no main table in the input: its implicit one holds only local routes.
    assert!(
        e.reach(&eni("b/eni0"), &Endpoint::Internet, &tcp(443))
            .is_empty()
    );
    let trace = e.explain(
        &eni("b/eni0"),
        &Endpoint::Internet,
        &packet(addr(&m, "b/eni0"), "8.8.8.8".parse().expect("ip"), 443),
    );
    let hop = denial(&trace).expect("denied");
    assert!(
        hop.rule
            .object
            .contains("main route table of vpc vpc-b (implicit)"),
        "{hop}"
    );
}

const LOAD_BALANCED: &str = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.0.0.0/16]}
internet_gateways:
  - {id: igw-a, vpc: vpc-a}
subnets:
  - {id: public, vpc: vpc-a, cidr: 10.0.1.0/24, route_table: rt-public}
  - {id: app, vpc: vpc-a, cidr: 10.0.2.0/24}
route_tables:
  - {id: rt-public, vpc: vpc-a, routes: [{destination: 0.0.0.0/0, internet_gateway: igw-a}]}
security_groups:
  - id: lb-sg
    vpc: vpc-a
    ingress: [{protocol: tcp, ports: 443, from: 0.0.0.0/0}]
    egress: [{protocol: tcp, ports: 8080, to: "sg:web-sg"}]
  - id: web-sg
    vpc: vpc-a
    ingress: [{protocol: tcp, ports: 8080, from: "sg:lb-sg"}]
instances:
  - {id: web, subnet: app, security_groups: [web-sg]}
load_balancers:
  - id: alb
    scheme: internet-facing
    subnets: [public]
    security_groups: [lb-sg]
    listeners: [{protocol: https, port: 443, target_group: tg-web}]
target_groups:
  - {id: tg-web, protocol: http, port: 8080, targets: [{instance: web}]}
"#;

#[test]
fn load_balancer_path_needs_both_segments() {
    let m = model(LOAD_BALANCED);
    let e = Engine::new(&m);
    let exposure = e.internet_exposure("web/eni0");
    let kinds: Vec<_> = exposure.flows.iter().map(|f| &f.kind).collect();
    assert_eq!(
        kinds,
        vec![&PathKind::LoadBalancer {
            load_balancer: "alb".into(),
            node: "alb/node/public".into(),
            listener_port: 443,
            target_port: 8080
        }]
    );
    let ports = exposure.packets().project(Dim::DstPort);
    assert_eq!(ports, IntervalSet::single(443));
    // Second segment broken: the LB may not talk to the target port.
    let broken = model(&LOAD_BALANCED.replace(
        "egress: [{protocol: tcp, ports: 8080,",
        "egress: [{protocol: tcp, ports: 9090,",
    ));
    let e = Engine::new(&broken);
    assert!(e.internet_exposure("web/eni0").is_empty());
    // First segment broken: the listener port is not open to the internet.
    let closed = model(&LOAD_BALANCED.replace(
        "ingress: [{protocol: tcp, ports: 443, from: 0.0.0.0/0}]",
        "ingress: [{protocol: tcp, ports: 443, from: 10.0.0.0/8}]",
    ));
    assert!(
        Engine::new(&closed)
            .internet_exposure("web/eni0")
            .is_empty()
    );
}

/// An internet-facing network load balancer in front of `web`, whose group
/// admits the listener port from `TARGET_PEER` only.
const NETWORK_LOAD_BALANCED: &str = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.0.0.0/16]}
internet_gateways:
  - {id: igw-a, vpc: vpc-a}
subnets:
  - {id: public, vpc: vpc-a, cidr: 10.0.1.0/24, route_table: rt-public}
  - {id: app, vpc: vpc-a, cidr: 10.0.2.0/24}
route_tables:
  - {id: rt-public, vpc: vpc-a, routes: [{destination: 0.0.0.0/0, internet_gateway: igw-a}]}
security_groups:
  - id: nlb-sg
    vpc: vpc-a
    ingress: [{protocol: tcp, ports: 80, from: 0.0.0.0/0}]
  - id: web-sg
    vpc: vpc-a
    ingress: [{protocol: tcp, ports: 80, from: TARGET_PEER}]
instances:
  - {id: web, subnet: app, security_groups: [web-sg]}
load_balancers:
  - id: nlb
    type: network
    scheme: internet-facing
    subnets: [public]
    security_groups: [nlb-sg]
    listeners: [{protocol: tcp, port: 80, target_group: tg-web}]
target_groups:
  - {id: tg-web, protocol: tcp, port: 80, targets: [TARGET]PRESERVE}
"#;

fn network_load_balanced(peer: &str, target: &str, preserve: &str) -> Model {
    model(
        &NETWORK_LOAD_BALANCED
            .replace("TARGET_PEER", peer)
            .replace("TARGET", target)
            .replace("PRESERVE", preserve),
    )
}

#[test]
fn network_load_balancer_targets_judge_the_client_when_it_is_preserved() {
    let internet_reaches = |m: &Model| !Engine::new(m).internet_exposure("web/eni0").is_empty();
    let instance = "{instance: web}";
    // Instance targets keep the client's address by default: a target group
    // admitting only the VPC is not reached from the internet...
    let vpc_only = network_load_balanced("10.0.0.0/16", instance, "");
    assert!(!internet_reaches(&vpc_only));
    // ... unless the attribute turns preservation off.
    let off = network_load_balanced("10.0.0.0/16", instance, ", preserve_client_ip: false");
    assert!(internet_reaches(&off));
    // Preserved, the internet is admitted by a rule for it.
    assert!(internet_reaches(&network_load_balanced(
        "0.0.0.0/0",
        instance,
        ""
    )));
    // A rule naming the load balancer's group admits it either way.
    assert!(internet_reaches(&network_load_balanced(
        "sg:nlb-sg",
        instance,
        ""
    )));
    // IP targets over TCP see the node unless the attribute says otherwise.
    let ip = "{ip: 10.0.2.4}";
    let m = network_load_balanced("10.0.0.0/16", ip, "");
    let web_ip = addr(&m, "web/eni0").to_string();
    let ip_target = |preserve: &str| {
        network_load_balanced("10.0.0.0/16", &ip.replace("10.0.2.4", &web_ip), preserve)
    };
    assert!(internet_reaches(&ip_target("")));
    assert!(!internet_reaches(&ip_target(", preserve_client_ip: true")));
}

#[test]
fn a_preserved_client_is_judged_by_its_own_address() {
    // Only an office range is admitted: the office reaches the target through
    // the load balancer, the rest of the internet does not.
    let m = network_load_balanced("198.51.100.0/24", "{instance: web}", "");
    let e = Engine::new(&m);
    let reach = e.internet_exposure("web/eni0");
    let sources = reach.packets().project(Dim::SrcAddr);
    assert_eq!(
        sources,
        super::rules::cidr_set(&"198.51.100.0/24".parse().expect("net"))
    );
    let node = m
        .eni("nlb/node/public")
        .and_then(|n| n.public_ip)
        .expect("public node");
    let office = packet("198.51.100.7".parse().expect("ip"), node, 80);
    let flows = e.explain(&Endpoint::Internet, &eni("web/eni0"), &office);
    let lb = flows
        .iter()
        .find(|f| matches!(f.kind, PathKind::LoadBalancer { .. }))
        .expect("lb path");
    assert!(lb.hops.iter().all(|h| h.allowed), "{:#?}", lb.hops);
    assert!(
        lb.hops
            .iter()
            .any(|h| h.rule.rule.contains("client address preserved")),
        "{:#?}",
        lb.hops
    );
}

#[test]
fn load_balancer_trace_shows_both_segments() {
    let m = model(LOAD_BALANCED);
    let e = Engine::new(&m);
    let node_public = m
        .eni("alb/node/public")
        .and_then(|n| n.public_ip)
        .expect("public node");
    let p = packet("8.8.8.8".parse().expect("ip"), node_public, 443);
    let flows = e.explain(&Endpoint::Internet, &eni("web/eni0"), &p);
    let lb = flows
        .iter()
        .find(|f| matches!(f.kind, PathKind::LoadBalancer { .. }))
        .expect("lb path");
    assert!(lb.hops.iter().all(|h| h.allowed), "{:#?}", lb.hops);
    let forward = lb
        .hops
        .iter()
        .find(|h| h.rule.object.starts_with("load balancer"))
        .expect("lb hop");
    assert_eq!(
        forward.rule.rule,
        "listener tcp/443 forwards to target port 8080"
    );
    assert!(
        lb.hops
            .iter()
            .any(|h| h.kind == HopKind::SecurityGroupIngress
                && h.rule.rule == "ingress tcp/8080 from sg lb-sg")
    );
}

#[test]
fn onprem_reaches_only_the_vpc_of_its_gateway() {
    let yaml = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.1.0.0/16]}
  - {id: vpc-b, cidr_blocks: [10.2.0.0/16]}
vpn_gateways:
  - {id: vgw-a, vpc: vpc-a, has_vpn_connection: false}
peerings:
  - {id: pcx-ab, requester_vpc: vpc-a, accepter_vpc: vpc-b}
subnets:
  - {id: sa, vpc: vpc-a, cidr: 10.1.1.0/24, route_table: rt-a}
  - {id: sb, vpc: vpc-b, cidr: 10.2.1.0/24, route_table: rt-b}
route_tables:
  - id: rt-a
    vpc: vpc-a
    routes:
      - {destination: 192.168.0.0/16, vpn_gateway: vgw-a}
      - {destination: 10.2.0.0/16, peering: pcx-ab}
  - id: rt-b
    vpc: vpc-b
    routes:
      - {destination: 10.1.0.0/16, peering: pcx-ab}
      - {destination: 192.168.0.0/16, peering: pcx-ab}
security_groups:
  - {id: sg-a, vpc: vpc-a, ingress: [{protocol: tcp, ports: 22, from: 192.168.0.0/16}]}
  - {id: sg-b, vpc: vpc-b, ingress: [{protocol: tcp, ports: 22, from: 192.168.0.0/16}]}
instances:
  - {id: a, subnet: sa, security_groups: [sg-a]}
  - {id: b, subnet: sb, security_groups: [sg-b]}
"#;
    let m = model(yaml);
    assert!(
        m.warnings()
            .iter()
            .any(|w| w.code == "np::model::vgw-without-vpn")
    );
    let e = Engine::new(&m);
    assert_eq!(
        e.onprem_addresses(),
        &IntervalSet::range(0xC0A8_0000, 0xC0A8_FFFF)
    );
    assert!(reaches(&e, &Endpoint::OnPrem, &eni("a/eni0"), 22));
    assert!(!reaches(&e, &Endpoint::OnPrem, &eni("a/eni0"), 80));
    // Traffic from a VPN gateway does not transit the peering.
    assert!(!reaches(&e, &Endpoint::OnPrem, &eni("b/eni0"), 22));
    assert!(
        !e.reach(&eni("a/eni0"), &Endpoint::OnPrem, &tcp(22))
            .is_empty()
    );
    assert!(
        e.reach(&eni("b/eni0"), &Endpoint::OnPrem, &tcp(22))
            .is_empty()
    );
}

#[test]
fn internet_exposure_is_exact_to_the_port() {
    let m = model(ONE_VPC);
    let e = Engine::new(&m);
    let exposed = e.internet_exposure("app/eni0").packets();
    assert_eq!(exposed.project(Dim::DstPort), IntervalSet::single(22));
    assert_eq!(exposed.project(Dim::Protocol), IntervalSet::single(6));
    assert!(e.internet_exposure("web/eni0").is_empty());
    assert!(e.internet_exposure("worker/eni0").is_empty());
}

#[test]
fn classes_group_interfaces_and_the_matrix_matches_pairwise_reach() {
    let m = model(ONE_VPC);
    let e = Engine::new(&m);
    // web, app (public subnet, different SGs), worker, and the NAT gateway has no ENI.
    assert_eq!(e.classes().len(), 3);
    let matrix = e.class_matrix(&tcp(80));
    let class_of = |id: &str| {
        e.classes()
            .iter()
            .find(|c| c.enis.iter().any(|x| x == id))
            .map(|c| c.id)
    };
    let pair = |a: &str, b: &str| {
        matrix
            .iter()
            .any(|p| Some(p.src) == class_of(a) && Some(p.dst) == class_of(b))
    };
    for a in ["web/eni0", "app/eni0", "worker/eni0"] {
        for b in ["web/eni0", "app/eni0", "worker/eni0"] {
            if a != b {
                assert_eq!(pair(a, b), reaches(&e, &eni(a), &eni(b), 80), "{a} -> {b}");
            }
        }
    }
}

#[test]
fn sg_reference_works_across_a_peering() {
    // sg-b admits members of sg-a, a group of the peered VPC.
    let m = model(&THREE_VPCS.replace(
        "{id: sg-b, vpc: vpc-b, ingress: [{protocol: all, from: 10.0.0.0/8}]}",
        "{id: sg-b, vpc: vpc-b, ingress: [{protocol: tcp, ports: 5432, from: \"sg:sg-a\"}]}",
    ));
    let e = Engine::new(&m);
    assert!(reaches(&e, &eni("a/eni0"), &eni("b/eni0"), 5432));
    assert!(!reaches(&e, &eni("a/eni0"), &eni("b/eni0"), 22));
    // c is in a VPC peered with b too, but not a member of sg-a.
    assert!(!reaches(&e, &eni("c/eni0"), &eni("b/eni0"), 5432));
}

#[test]
fn load_balancer_nodes_only_open_connections_to_their_targets() {
    let yaml = LOAD_BALANCED.replace(
        "instances:\n  - {id: web, subnet: app, security_groups: [web-sg]}",
        "instances:\n  - {id: web, subnet: app, security_groups: [web-sg]}\n  - {id: other, subnet: app, security_groups: [web-sg]}",
    );
    let m = model(&yaml);
    let e = Engine::new(&m);
    let node = eni("alb/node/public");
    assert!(reaches(&e, &node, &eni("web/eni0"), 8080));
    // Same group, same port, but not a registered target.
    assert!(!reaches(&e, &node, &eni("other/eni0"), 8080));
    assert!(e.reach(&node, &Endpoint::Internet, &tcp(443)).is_empty());
    let matrix = e.class_matrix(&tcp(8080));
    let node_class = e
        .classes()
        .iter()
        .find(|c| c.enis.iter().any(|x| x == "alb/node/public"))
        .map(|c| c.id);
    let pair = matrix
        .iter()
        .find(|p| Some(p.src) == node_class)
        .expect("node reaches its target class");
    let other = m
        .eni("other/eni0")
        .and_then(|x| x.private_ips.first().copied())
        .expect("address");
    assert!(
        pair.packets
            .restrict(Dim::DstAddr, &IntervalSet::single(u32::from(other)))
            .is_empty()
    );
}

#[test]
fn interface_endpoints_never_open_connections() {
    let yaml = format!(
        "{ONE_VPC}vpc_endpoints:\n  - {{id: vpce-ssm, vpc: vpc-a, service_name: com.amazonaws.us-east-1.ssm, type: interface, subnets: [public], security_groups: [app-sg]}}\n"
    );
    let m = model(&yaml);
    let e = Engine::new(&m);
    let endpoint = eni("vpce-ssm/eni/public");
    assert!(reaches(&e, &eni("app/eni0"), &endpoint, 22));
    assert!(!reaches(&e, &endpoint, &eni("app/eni0"), 22));
}

/// A private subnet whose default route goes to a NAT gateway, while the NAT's
/// subnet routes a peered VPC and on-premises: the NAT forwards onward, and
/// the destination sees the NAT's private address.
const NAT_ONWARD: &str = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.1.0.0/16]}
  - {id: vpc-b, cidr_blocks: [10.2.0.0/16]}
internet_gateways:
  - {id: igw-a, vpc: vpc-a}
vpn_gateways:
  - {id: vgw-a, vpc: vpc-a}
peerings:
  - {id: pcx-ab, requester_vpc: vpc-a, accepter_vpc: vpc-b}
subnets:
  - {id: public, vpc: vpc-a, cidr: 10.1.1.0/24, route_table: rt-public}
  - {id: private, vpc: vpc-a, cidr: 10.1.2.0/24, route_table: rt-private}
  - {id: far, vpc: vpc-b, cidr: 10.2.1.0/24, route_table: rt-b}
route_tables:
  - id: rt-public
    vpc: vpc-a
    routes:
      - {destination: 0.0.0.0/0, internet_gateway: igw-a}
      - {destination: 10.2.0.0/16, peering: pcx-ab}
      - {destination: 192.168.0.0/16, vpn_gateway: vgw-a}
  - id: rt-private
    vpc: vpc-a
    routes:
      - {destination: 0.0.0.0/0, nat_gateway: NATGW}
  - id: rt-b
    vpc: vpc-b
    routes:
      - {destination: 10.1.1.0/24, peering: pcx-ab}
nat_gateways:
  - {id: NATGW, subnet: public, CONNECTIVITY}
security_groups:
  - {id: sg-a, vpc: vpc-a}
  - id: sg-b
    vpc: vpc-b
    ingress:
      - {protocol: tcp, ports: 22, from: 10.1.1.0/24}
instances:
  - {id: worker, subnet: private, security_groups: [sg-a]}
  - {id: far, subnet: far, security_groups: [sg-b]}
"#;

fn nat_onward(connectivity: &str) -> Model {
    model(
        &NAT_ONWARD
            .replace("NATGW", "nat-a")
            .replace("CONNECTIVITY", connectivity),
    )
}

#[test]
fn nat_gateway_routes_onward_over_a_peering() {
    let m = nat_onward("public: true");
    let e = Engine::new(&m);
    let r = e.reach(&eni("worker/eni0"), &eni("far/eni0"), &tcp(22));
    assert!(!r.is_empty(), "the NAT's subnet peers with vpc-b");
    assert!(r.flows.iter().any(|f| f.kind
        == PathKind::Private {
            peering: Some("pcx-ab".into()),
            nat: Some("nat-a".into())
        }));
    // The hop list names the NAT and the onward route.
    let p = packet(addr(&m, "worker/eni0"), addr(&m, "far/eni0"), 22);
    let flows = e.explain(&eni("worker/eni0"), &eni("far/eni0"), &p);
    let hops: Vec<&Hop> = flows.iter().flat_map(|f| &f.hops).collect();
    assert!(hops.iter().all(|h| h.allowed), "{hops:#?}");
    assert!(hops.iter().any(|h| h.rule.object.contains("NAT gateway")));
    assert!(
        hops.iter()
            .any(|h| h.kind == HopKind::Route && h.rule.rule.contains("pcx-ab"))
    );
    // The far side admits the NAT's subnet only: without the NAT it would not.
    assert!(!reaches(&e, &eni("far/eni0"), &eni("worker/eni0"), 22));
}

#[test]
fn nat_gateway_routes_onward_to_a_vpn_gateway() {
    let m = nat_onward("public: true");
    let e = Engine::new(&m);
    let r = e.reach(&eni("worker/eni0"), &Endpoint::OnPrem, &tcp(443));
    assert!(r.flows.iter().any(|f| !f.packets.is_empty()
        && f.kind
            == PathKind::ToOnPrem {
                vpn_gateway: Some("vgw-a".into()),
                nat: Some("nat-a".into())
            }));
}

#[test]
fn private_nat_gateway_never_reaches_the_internet() {
    let public = nat_onward("public: true");
    let private = nat_onward("public: false");
    assert!(
        !Engine::new(&public)
            .reach(&eni("worker/eni0"), &Endpoint::Internet, &tcp(443))
            .is_empty()
    );
    let e = Engine::new(&private);
    assert!(
        e.reach(&eni("worker/eni0"), &Endpoint::Internet, &tcp(443))
            .is_empty()
    );
    // It still forwards privately.
    assert!(reaches(&e, &eni("worker/eni0"), &eni("far/eni0"), 22));
}

#[test]
fn icmp_without_a_reply_type_needs_no_return_path() {
    let yaml = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.0.0.0/16]}
internet_gateways:
  - {id: igw-a, vpc: vpc-a}
subnets:
  - {id: public, vpc: vpc-a, cidr: 10.0.1.0/24, route_table: rt, network_acl: acl}
route_tables:
  - {id: rt, vpc: vpc-a, routes: [{destination: 0.0.0.0/0, internet_gateway: igw-a}]}
network_acls:
  - id: acl
    vpc: vpc-a
    entries:
      - {rule: 100, direction: ingress, action: allow, protocol: icmp, cidr: 0.0.0.0/0}
      - {rule: 100, direction: egress, action: allow, protocol: tcp, ports: 80, cidr: 0.0.0.0/0}
security_groups:
  - id: open
    vpc: vpc-a
    ingress:
      - {protocol: icmp, from: 0.0.0.0/0}
instances:
  - {id: web, subnet: public, public_ip: 203.0.113.10, security_groups: [open]}
"#;
    let m = model(yaml);
    let e = Engine::new(&m);
    let icmp = |t: u32| {
        PacketSet::from_cube(
            crate::packet::Cube::full()
                .with(Dim::Protocol, IntervalSet::single(1))
                .with(Dim::DstPort, IntervalSet::single(t))
                .with(Dim::SrcPort, IntervalSet::single(0)),
        )
    };
    let reached = |t| {
        !e.reach(&Endpoint::Internet, &eni("web/eni0"), &icmp(t))
            .is_empty()
    };
    // Destination unreachable (3) expects no reply: the NACL's egress does not matter.
    assert!(reached(3));
    // An echo request (8) needs its echo reply (0) to leave, which the NACL denies.
    assert!(!reached(8));
}

#[test]
fn load_balancer_nodes_accept_only_their_listeners() {
    let yaml = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.0.0.0/16]}
internet_gateways:
  - {id: igw-a, vpc: vpc-a}
subnets:
  - {id: public, vpc: vpc-a, cidr: 10.0.1.0/24, route_table: rt}
route_tables:
  - {id: rt, vpc: vpc-a, routes: [{destination: 0.0.0.0/0, internet_gateway: igw-a}]}
security_groups:
  - id: open
    vpc: vpc-a
    ingress:
      - {protocol: all, from: 0.0.0.0/0}
instances:
  - {id: app, subnet: public, security_groups: [open]}
target_groups:
  - {id: tg, protocol: tcp, port: 80, targets: [{instance: app}]}
load_balancers:
  - id: lb
    scheme: internet-facing
    subnets: [public]
    security_groups: [open]
    listeners:
      - {protocol: http, port: 80, target_group: tg}
"#;
    let m = model(yaml);
    let e = Engine::new(&m);
    let node = m
        .load_balancer("lb")
        .and_then(|lb| lb.nodes.first().cloned())
        .expect("a node");
    let exposure = e.internet_exposure(&node).packets();
    assert_eq!(exposure.service_summary(), "tcp/80");
    let udp53 = PacketSet::for_protocols(
        &IntervalSet::single(17),
        &IntervalSet::range(1024, 65535),
        &IntervalSet::single(53),
    );
    assert!(e.reach(&Endpoint::Internet, &eni(&node), &udp53).is_empty());
}

#[test]
fn chosen_source_ports_are_empty_without_nacls() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/small.yaml"
    ))
    .expect("example");
    let m = model(&text);
    let e = Engine::new(&m);
    for x in m.enis() {
        let c = e.chosen_port_exposure(&x.meta.id);
        let o = e
            .internet_exposure(&x.meta.id)
            .packets()
            .with_any_source_port();
        assert!(
            c.is_empty(),
            "{}: {:?}\nordinary {:?}",
            x.meta.id,
            c.packets(),
            o
        );
    }
}

#[test]
fn ignoring_security_groups_leaves_nacls_and_routes_to_decide() {
    let m = with_entries(
        "      - {rule: 100, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}
      - {rule: 200, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}
      - {rule: 100, direction: egress, action: allow, protocol: all, cidr: 0.0.0.0/0}
",
    );
    let open = m.ignoring(crate::model::Ignored {
        security_groups: true,
        ..Default::default()
    });
    let e = Engine::new(&open);
    // The NACL still denies ssh; every other port is open whatever the groups say.
    assert!(!reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 22));
    assert!(reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 5432));
    assert!(reaches(&e, &eni("s/eni0"), &eni("c/eni0"), 5432));
}

#[test]
fn ignoring_nacls_leaves_security_groups_to_decide() {
    let m = with_entries(
        "      - {rule: 100, direction: ingress, action: deny, protocol: all, cidr: 0.0.0.0/0}
",
    );
    let before = Engine::new(&m);
    assert!(!reaches(&before, &eni("c/eni0"), &eni("s/eni0"), 80));
    let open = m.ignoring(crate::model::Ignored {
        network_acls: true,
        ..Default::default()
    });
    let e = Engine::new(&open);
    assert!(reaches(&e, &eni("c/eni0"), &eni("s/eni0"), 80));
}

#[test]
fn ignoring_security_groups_lets_load_balancer_nodes_open_connections() {
    let m = model(LOAD_BALANCED);
    let node = eni("alb/node/public");
    assert!(
        Engine::new(&m)
            .reach(&node, &Endpoint::Internet, &tcp(443))
            .is_empty()
    );
    let open = m.ignoring(crate::model::Ignored {
        security_groups: true,
        ..Default::default()
    });
    let e = Engine::new(&open);
    assert!(!e.reach(&node, &Endpoint::Internet, &tcp(443)).is_empty());
    // By class, the same answer as pair by pair.
    let by_class = e.class_matrix(&PacketSet::client_traffic());
    let mut pairwise = e.class_matrix_pairwise(&PacketSet::client_traffic());
    pairwise.sort_by_key(|p| (p.src, p.dst));
    assert_eq!(by_class.len(), pairwise.len());
    for (a, b) in by_class.iter().zip(&pairwise) {
        assert_eq!((a.src, a.dst), (b.src, b.dst));
        assert!(a.packets.same_as(&b.packets));
    }
}

/// Two VPCs joined only by a transit gateway (not followed yet), a NAT
/// gateway whose subnet sends the corporate range to it, and a third
/// interface beside the first.
const OVER_A_TRANSIT_GATEWAY: &str = r#"
vpcs:
  - {id: vpc-a, cidr_blocks: [10.0.0.0/16]}
  - {id: vpc-b, cidr_blocks: [10.1.0.0/16]}
subnets:
  - {id: sub-a, vpc: vpc-a, cidr: 10.0.1.0/24, route_table: rt-a}
  - {id: sub-nat, vpc: vpc-a, cidr: 10.0.2.0/24, route_table: rt-nat}
  - {id: sub-b, vpc: vpc-b, cidr: 10.1.1.0/24, route_table: rt-b}
route_tables:
  - id: rt-a
    vpc: vpc-a
    routes:
      - {destination: 10.1.0.0/16, transit_gateway: tgw-1}
      - {destination: 172.16.0.0/12, nat_gateway: nat-1}
  - id: rt-nat
    vpc: vpc-a
    routes: [{destination: 172.16.0.0/12, network_interface: eni-firewall}]
  - id: rt-b
    vpc: vpc-b
    routes: [{destination: 10.0.0.0/16, transit_gateway: tgw-1}]
nat_gateways:
  - {id: nat-1, subnet: sub-nat, private_ip: 10.0.2.10}
enis:
  - {id: eni-a, subnet: sub-a, private_ips: [10.0.1.10]}
  - {id: eni-a2, subnet: sub-a, private_ips: [10.0.1.11]}
  - {id: eni-b, subnet: sub-b, private_ips: [10.1.1.10]}
  - {id: eni-firewall, subnet: sub-nat, private_ips: [10.0.2.20]}
"#;

#[test]
fn routes_netpolicy_does_not_follow_are_named_for_the_verdicts_they_touch() {
    let m = model(OVER_A_TRANSIT_GATEWAY);
    let engine = Engine::new(&m);
    let names = |set: BTreeSet<String>| set.into_iter().collect::<Vec<_>>();
    assert!(
        !reaches(&engine, &eni("eni-a"), &eni("eni-b"), 22),
        "dropped at the gateway"
    );
    let between = engine.unfollowed_routes(&[eni("eni-a")], Some(&[eni("eni-b")]));
    assert_eq!(names(between), ["tgw-1"]);
    // The reply way alone is enough: vpc-b's table sends replies to it.
    let only_back = engine.unfollowed_routes(&[eni("eni-b")], Some(&[eni("eni-a")]));
    assert_eq!(names(only_back), ["tgw-1"]);
    let beside = engine.unfollowed_routes(&[eni("eni-a")], Some(&[eni("eni-a2")]));
    assert!(beside.is_empty(), "the local route wins: {beside:?}");
    let to_internet = engine.unfollowed_routes(&[eni("eni-a2")], Some(&[Endpoint::Internet]));
    assert!(to_internet.is_empty(), "{to_internet:?}");
    // Anywhere: the NAT gateway's subnet sends the corporate range to a middlebox.
    let anywhere = engine.unfollowed_routes(&[eni("eni-a")], None);
    assert_eq!(names(anywhere), ["eni-firewall", "tgw-1"]);
}
