#![expect(clippy::panic, reason = "a fixture that does not load fails the test")]

//! The first workshop's network, from its CloudFormation template and from the
//! hand-written native model (`examples/inspector-workshop.yaml`), against the
//! facts its authors and a careful reading state (`../shared/fixtures/README.md`).
//! Every test runs on both inputs: they must agree with the facts and so with
//! each other.

use netpolicy_core::engine::{Endpoint, Engine, PathKind};
use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation_file};
use netpolicy_core::load::load_native_file;
use netpolicy_core::model::Model;
use netpolicy_core::packet::{IntervalSet, PacketSet};
use std::path::Path;

/// The template, as the fixture README names it, and the native translation.
fn workshops() -> Vec<(&'static str, Model)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let template = root.join("tests/fixtures/cloudformation/inspector-reachability-workshop.json");
    let cfn = load_cloudformation_file(&template, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let native = load_native_file(&root.join("examples/inspector-workshop.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    vec![("cloudformation", cfn), ("native", native)]
}

fn eni(instance: &str) -> Endpoint {
    Endpoint::Eni(format!("{instance}/eni0"))
}

fn tcp() -> PacketSet {
    PacketSet::for_protocols(
        &IntervalSet::single(6),
        &IntervalSet::range(1024, 65535),
        &IntervalSet::range(0, 65535),
    )
}

/// Services `src` opens on `dst`, over paths accepted by `keep`.
fn services(
    e: &Engine<'_>,
    src: &Endpoint,
    dst: &Endpoint,
    keep: impl Fn(&PathKind) -> bool,
) -> String {
    e.reach(src, dst, &PacketSet::all())
        .flows
        .iter()
        .filter(|f| keep(&f.kind))
        .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets))
        .service_summary()
}

fn any(_: &PathKind) -> bool {
    true
}

#[test]
fn internet_exposure_is_exactly_the_documented_one() {
    for (input, m) in workshops() {
        let _ = input;
        let e = Engine::new(&m);
        let mut exposure: Vec<(String, String)> = m
            .enis()
            .iter()
            .map(|x| {
                let direct = services(
                    &e,
                    &Endpoint::Internet,
                    &Endpoint::Eni(x.meta.id.clone()),
                    |k| !matches!(k, PathKind::LoadBalancer { .. }),
                );
                (x.meta.id.clone(), direct)
            })
            .collect();
        exposure.sort();
        let expected = [
            ("BastionAZ1/eni0", "nothing"),
            ("BastionAZ2/eni0", "nothing"),
            ("DbServerAZ1/eni0", "tcp/3306"),
            ("DbServerAZ2/eni0", "tcp/3306"),
            ("PoCServerAZ1/eni0", "tcp/80"),
            ("PoCServerAZ2/eni0", "tcp/22, tcp/443"),
            ("WebAppLoadBalancer/node/WebAppPublicSubnetAZ1", "tcp/80"),
            ("WebAppLoadBalancer/node/WebAppPublicSubnetAZ2", "tcp/80"),
            ("WebAppServerAZ1/eni0", "nothing"),
            ("WebAppServerAZ2/eni0", "nothing"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(exposure, expected);
    }
}

#[test]
fn web_servers_are_reachable_from_the_internet_only_through_the_load_balancer() {
    for (input, m) in workshops() {
        let _ = input;
        let e = Engine::new(&m);
        for web in ["WebAppServerAZ1", "WebAppServerAZ2"] {
            let reach = e.reach(&Endpoint::Internet, &eni(web), &PacketSet::all());
            assert!(!reach.flows.is_empty());
            for f in &reach.flows {
                assert!(
                    matches!(
                        f.kind,
                        PathKind::LoadBalancer {
                            listener_port: 80,
                            target_port: 80,
                            ..
                        }
                    ),
                    "{:?}",
                    f.kind
                );
            }
            assert_eq!(reach.packets().service_summary(), "tcp/80");
        }
    }
}

#[test]
fn no_private_path_joins_webapp_and_poc_but_public_paths_exist() {
    for (input, m) in workshops() {
        let _ = input;
        let e = Engine::new(&m);
        let private = |k: &PathKind| matches!(k, PathKind::Private { .. });
        let webapp = [
            "WebAppServerAZ1",
            "WebAppServerAZ2",
            "DbServerAZ1",
            "DbServerAZ2",
        ];
        let poc = ["PoCServerAZ1", "PoCServerAZ2"];
        for a in webapp {
            for b in poc {
                assert_eq!(
                    services(&e, &eni(a), &eni(b), private),
                    "nothing",
                    "{a} -> {b}"
                );
                assert_eq!(
                    services(&e, &eni(b), &eni(a), private),
                    "nothing",
                    "{b} -> {a}"
                );
            }
        }
        // Over public addresses: web servers leave through the NAT gateway's EIP.
        for web in ["WebAppServerAZ1", "WebAppServerAZ2"] {
            let r = e.reach(&eni(web), &eni("PoCServerAZ1"), &tcp());
            assert_eq!(r.packets().service_summary(), "tcp/80");
            assert!(r.flows.iter().all(|f| matches!(&f.kind, PathKind::PublicInternet { egress: Some(n), .. } if n == "WebAppNatGatewayAZ1")));
            assert_eq!(
                services(&e, &eni(web), &eni("PoCServerAZ2"), any),
                "tcp/22, tcp/443"
            );
        }
        for db in ["DbServerAZ1", "DbServerAZ2"] {
            assert_eq!(services(&e, &eni(db), &eni("PoCServerAZ1"), any), "tcp/80");
            assert_eq!(
                services(&e, &eni(db), &eni("PoCServerAZ2"), any),
                "tcp/22, tcp/443"
            );
        }
        for p in poc {
            for db in ["DbServerAZ1", "DbServerAZ2"] {
                assert_eq!(
                    services(&e, &eni(p), &eni(db), any),
                    "tcp/3306",
                    "{p} -> {db}"
                );
            }
            let lb = Endpoint::Eni("WebAppLoadBalancer/node/WebAppPublicSubnetAZ1".into());
            assert_eq!(services(&e, &eni(p), &lb, any), "tcp/80");
        }
    }
}

#[test]
fn bastions_reach_web_and_db_on_admin_ports_and_nothing_in_poc() {
    for (input, m) in workshops() {
        let _ = input;
        let e = Engine::new(&m);
        for b in ["BastionAZ1", "BastionAZ2"] {
            for t in [
                "WebAppServerAZ1",
                "WebAppServerAZ2",
                "DbServerAZ1",
                "DbServerAZ2",
            ] {
                let r = e.reach(&eni(b), &eni(t), &PacketSet::all());
                assert_eq!(
                    r.packets().service_summary(),
                    "tcp/22, tcp/3389",
                    "{b} -> {t}"
                );
                assert!(r.flows.iter().all(|f| f.kind
                    == PathKind::Private {
                        peering: Some("WebApp2BastionPeer".into()),
                        nat: None,
                    }));
            }
            for t in ["PoCServerAZ1", "PoCServerAZ2"] {
                assert_eq!(services(&e, &eni(b), &eni(t), any), "nothing", "{b} -> {t}");
            }
        }
    }
}

#[test]
fn onprem_reaches_the_bastions_on_admin_ports_only_with_a_vpn_warning() {
    for (input, m) in workshops() {
        let _ = input;
        assert!(
            m.warnings()
                .iter()
                .any(|w| w.code == "np::model::vgw-without-vpn")
        );
        let e = Engine::new(&m);
        for x in m.enis() {
            let s = services(
                &e,
                &Endpoint::OnPrem,
                &Endpoint::Eni(x.meta.id.clone()),
                any,
            );
            let expected = if x.meta.id.starts_with("Bastion") {
                "tcp/22, tcp/3389"
            } else {
                "nothing"
            };
            assert_eq!(s, expected, "onprem -> {}", x.meta.id);
        }
    }
}

#[test]
fn poc_servers_do_not_have_the_same_reachability() {
    for (input, m) in workshops() {
        let _ = input;
        let e = Engine::new(&m);
        let a = services(&e, &Endpoint::Internet, &eni("PoCServerAZ1"), any);
        let b = services(&e, &Endpoint::Internet, &eni("PoCServerAZ2"), any);
        assert_ne!(a, b);
    }
}

/// `through` and `not through` an internet gateway, in both directions: a path
/// from the internet enters by its destination VPC's gateway (directly or to a
/// load-balancer node), a path out leaves by its own VPC's (directly or from a
/// NAT gateway).
#[test]
fn internet_gateway_qualifiers_hold_in_both_directions() {
    use netpolicy_core::span::SourceMap;
    use netpolicy_lang::check::check_policy;
    use netpolicy_lang::report::Status;
    let cases = [
        (
            "no internet -> vpc:* : all through WebAppInternetGateway",
            Status::Violated,
        ),
        (
            "no internet -> vpc:WebAppVPC : all not through WebAppInternetGateway",
            Status::Holds,
        ),
        (
            "no internet -> vpc:PoCVPC : all through WebAppInternetGateway",
            Status::Holds,
        ),
        (
            "no vpc:WebAppVPC -> internet : all through WebAppInternetGateway",
            Status::Violated,
        ),
        (
            "no vpc:WebAppVPC -> internet : all not through WebAppInternetGateway",
            Status::Holds,
        ),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let template = root.join("tests/fixtures/cloudformation/inspector-reachability-workshop.json");
    let model = load_cloudformation_file(&template, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    for (text, expected) in cases {
        let mut sources = SourceMap::default();
        let id = sources.add("q.np", text);
        let policy = netpolicy_lang::parse_policy(text, id).unwrap_or_else(|e| panic!("{e}"));
        let report =
            check_policy(&model, &policy, &sources, "q", "m").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.verdicts[0].status, expected, "{text}");
    }
}
