//! One question, one answer: pair by pair (`reach`), by class
//! (`reach_between`, `class_matrix`, `service_matrix`), `exposure`, and the
//! language's assertions must agree on networks where NACL return legs, NAT
//! gateways and ICMP types decide (issue 15).

use netpolicy_core::engine::{Endpoint, Engine, PathKind};
use netpolicy_core::model::Model;
use netpolicy_core::packet::{Dim, IntervalSet, PacketSet};
use netpolicy_core::span::SourceMap;
use netpolicy_lang::check::check_policy;
use netpolicy_lang::parse_policy;
use netpolicy_lang::report::Status;
use netpolicy_tests::generate::{self, Rng};

/// Random networks by seed; a seed whose model does not build is an `Err`.
fn networks(count: u64) -> impl Iterator<Item = (u64, Result<Model, String>)> {
    (0..count).map(|seed| {
        let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9) ^ 15);
        (seed, generate::network(&mut rng).map_err(|e| e.to_string()))
    })
}

fn eni(id: &str) -> Endpoint {
    Endpoint::Eni(id.to_string())
}

/// The exposure report (what `netpolicy exposure` prints, as text or JSON)
/// lists exactly the interfaces and services that pair-by-pair queries from the
/// internet find open; what opens only to chosen source ports is never among
/// them. Returns how many interfaces are open.
fn report_matches_pairs(model: &Model, engine: &Engine<'_>, label: &str) -> usize {
    let report = engine.exposure();
    let mut open = 0;
    for e in model.enis() {
        let pair = engine
            .reach(
                &Endpoint::Internet,
                &eni(&e.meta.id),
                &PacketSet::client_traffic(),
            )
            .packets();
        let listed = report.iter().find(|x| x.interface == e.meta.id);
        let services: Vec<String> = listed
            .map(|x| x.open.iter().map(|o| o.service.clone()).collect())
            .unwrap_or_default();
        let expected: Vec<String> = netpolicy_core::engine::service_parts(&pair)
            .iter()
            .map(PacketSet::service_summary)
            .collect();
        assert_eq!(services, expected, "{label}: {}", e.meta.id);
        let chosen = listed.map(|x| x.chosen_source_ports.len()).unwrap_or(0);
        let only_chosen = engine.chosen_port_exposure(&e.meta.id).packets();
        assert_eq!(
            chosen == 0,
            only_chosen.is_empty(),
            "{label}: {}",
            e.meta.id
        );
        assert!(!only_chosen.intersects(&pair), "{label}: {}", e.meta.id);
        open += usize::from(!pair.is_empty());
    }
    open
}

/// `exposure` (per interface and by class) equals the pair-by-pair answer for
/// the internet, from clients' ephemeral ports; attacker-chosen source ports
/// are reported apart and never overlap it.
#[test]
fn exposure_equals_pair_by_pair_reach_from_the_internet() {
    let mut exposed = 0;
    for (seed, model) in networks(150) {
        let model = model.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let engine = Engine::new(&model);
        let ids: Vec<Endpoint> = model.enis().iter().map(|e| eni(&e.meta.id)).collect();
        let by_class =
            engine.reach_between(&[Endpoint::Internet], &ids, &PacketSet::client_traffic());
        for (j, e) in model.enis().iter().enumerate() {
            let exposure = engine.internet_exposure(&e.meta.id).packets();
            let pair = engine
                .reach(
                    &Endpoint::Internet,
                    &eni(&e.meta.id),
                    &PacketSet::client_traffic(),
                )
                .packets();
            let class = by_class
                .iter()
                .find(|p| p.dst == j)
                .map(|p| p.reach.packets())
                .unwrap_or_default();
            assert!(
                exposure.same_as(&pair),
                "seed {seed}: {} exposure vs reach",
                e.meta.id
            );
            assert!(
                exposure.same_as(&class),
                "seed {seed}: {} exposure vs class",
                e.meta.id
            );
            let chosen = engine.chosen_port_exposure(&e.meta.id).packets();
            assert!(
                !chosen.intersects(&exposure),
                "seed {seed}: chosen ports mixed in"
            );
            let low = IntervalSet::range(0, 1023);
            for c in chosen.cubes() {
                assert!(
                    c.get(Dim::SrcPort).is_subset(&low),
                    "seed {seed}: chosen port set"
                );
            }
            exposed += usize::from(!exposure.is_empty());
        }
        report_matches_pairs(&model, &engine, &format!("seed {seed}"));
    }
    assert!(
        exposed > 20,
        "only {exposed} exposed interfaces: the test says little"
    );
}

/// The language's assertion kinds give the verdicts the engine's pair-by-pair
/// answers give, on the same networks.
#[test]
fn assertions_agree_with_pair_by_pair_answers() {
    for (seed, model) in networks(60) {
        let model = model.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let engine = Engine::new(&model);
        let enis: Vec<&str> = model.enis().iter().map(|e| e.meta.id.as_str()).collect();
        let mut text = String::new();
        let mut expected = Vec::new();
        for id in enis.iter().take(4) {
            let exposed = !engine.internet_exposure(id).is_empty();
            text.push_str(&format!("exposure eni:{id} <= none from internet\n"));
            expected.push(exposed);
            text.push_str(&format!("no internet -> eni:{id} : all\n"));
            expected.push(exposed);
            let https = engine
                .reach(
                    &Endpoint::Internet,
                    &eni(id),
                    &netpolicy_lang::service::parse_service("https").unwrap_or_default(),
                )
                .is_empty();
            text.push_str(&format!("no internet -> eni:{id} : https\n"));
            expected.push(!https);
            let any_port = !engine
                .reach(&Endpoint::Internet, &eni(id), &PacketSet::all())
                .is_empty();
            text.push_str(&format!(
                "no internet -> eni:{id} : all with any source port\n"
            ));
            expected.push(any_port);
        }
        let client = PacketSet::client_traffic();
        let opens = |a: &str, b: &str| !engine.reach(&eni(a), &eni(b), &client).is_empty();
        for (a, b) in enis.iter().zip(enis.iter().skip(1)).take(3) {
            text.push_str(&format!("no eni:{a} -> eni:{b}\n"));
            expected.push(opens(a, b));
            text.push_str(&format!("eni:{a} -> eni:{b} : all\n"));
            expected.push(!opens(a, b));
            text.push_str(&format!("any eni:{a} -> eni:{b}\n"));
            expected.push(!opens(a, b));
            text.push_str(&format!("isolated eni:{a}, eni:{b}\n"));
            expected.push(opens(a, b) || opens(b, a));
            // Only `a` may reach `b`: violated when any other interface or an
            // outside source does.
            let others = model
                .enis()
                .iter()
                .map(|e| eni(&e.meta.id))
                .chain([Endpoint::Internet, Endpoint::OnPrem])
                .filter(|s| *s != eni(a) && *s != eni(b))
                .any(|s| !engine.reach(&s, &eni(b), &client).is_empty());
            text.push_str(&format!("only eni:{a} -> eni:{b}\n"));
            expected.push(others);
        }
        let mut sources = SourceMap::default();
        let id = sources.add("agree.np", text.clone());
        let policy = parse_policy(&text, id).unwrap_or_else(|e| panic!("{e:?}"));
        let report = check_policy(&model, &policy, &sources, "agree.np", "generated")
            .unwrap_or_else(|e| panic!("{e:?}"));
        for (v, violated) in report.verdicts.iter().zip(&expected) {
            assert_eq!(
                v.status == Status::Violated,
                *violated,
                "seed {seed}: {}",
                v.assertion
            );
        }
    }
}

/// The service matrix (ends met per class pair, NAT pairs walked) agrees with
/// pair-by-pair reach for every interface pair and service.
#[test]
fn service_matrix_agrees_with_pair_by_pair_reach() {
    let services: Vec<PacketSet> = ["ssh", "https", "all", "icmp"]
        .iter()
        .map(|s| netpolicy_lang::service::parse_service(s).unwrap_or_default())
        .collect();
    for (seed, model) in networks(80) {
        let model = model.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let engine = Engine::new(&model);
        let bits = engine.service_matrix(&services);
        for s in model.enis() {
            for d in model.enis() {
                if s.meta.id == d.meta.id {
                    continue;
                }
                let (Some(cs), Some(cd)) = (
                    engine
                        .classes()
                        .iter()
                        .find(|c| c.enis.contains(&s.meta.id)),
                    engine
                        .classes()
                        .iter()
                        .find(|c| c.enis.contains(&d.meta.id)),
                ) else {
                    continue;
                };
                for (k, q) in services.iter().enumerate() {
                    // The matrix is per class: some member pair of the classes.
                    let any_member = cs.enis.iter().any(|a| {
                        cd.enis.iter().filter(|b| *b != a).any(|b| {
                            engine.reach(&eni(a), &eni(b), q).flows.iter().any(|f| {
                                !matches!(f.kind, PathKind::LoadBalancer { .. })
                                    && !f.packets.is_empty()
                            })
                        })
                    });
                    assert_eq!(
                        bits.reaches(k, cs.id, cd.id),
                        any_member,
                        "seed {seed}: C{} -> C{} service {k}",
                        cs.id.0,
                        cd.id.0
                    );
                }
            }
        }
    }
}

/// On the generated S organization (1,002 interfaces, NAT gateways, NACLs
/// with denies, load balancers): the exposure report (what `netpolicy
/// exposure` prints, as text or JSON) lists exactly the interfaces and services
/// that pair-by-pair queries from the internet find open, and what opens only
/// to chosen source ports is reported apart.
#[test]
fn exposure_equals_pair_by_pair_queries_on_the_s_organization() {
    use netpolicy_core::synth::{Preset, generate};
    let model = generate(
        &Preset::parse("S")
            .map(|p| p.spec())
            .unwrap_or_else(|| panic!("S")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::new(&model);
    let open = report_matches_pairs(&model, &engine, "S");
    assert!(open > 5, "only {open} interfaces open on S");
}

/// On long random rule lists (the dense shape of `netpolicy gen`), wide
/// `no`, `only` and `isolated` assertions count exactly the pairs that
/// pair-by-pair reach finds, though the checker builds packet sets only for
/// the findings it shows.
#[test]
fn wide_assertions_count_the_pairs_pair_by_pair_reach_finds_on_dense_rules() {
    use netpolicy_core::synth::{self, Preset, Shape, Spec};
    for seed in 1..=3 {
        let spec = Spec {
            vpcs: 1,
            subnets_per_vpc: 3,
            enis: 40,
            security_groups: 5,
            rules_per_group: 30,
            sg_sets_per_subnet: 3,
            internet_percent: 100,
            load_balancers: 1,
            shape: Shape::Dense,
            seed,
            ..Preset::S.spec()
        };
        let model = synth::generate(&spec).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let engine = Engine::new(&model);
        let client = PacketSet::client_traffic();
        let hosts: Vec<Endpoint> = model
            .instances()
            .iter()
            .flat_map(|i| i.enis.iter().map(|e| eni(e)))
            .collect();
        let everyone: Vec<Endpoint> = model
            .enis()
            .iter()
            .map(|e| eni(&e.meta.id))
            .chain([Endpoint::Internet, Endpoint::OnPrem])
            .collect();
        let count = |from: &[Endpoint], to: &[Endpoint]| {
            from.iter()
                .flat_map(|s| to.iter().map(move |d| (s, d)))
                .filter(|(s, d)| s != d && !engine.reach(s, d, &client).is_empty())
                .count()
        };
        let first = hosts.first().cloned().unwrap_or(Endpoint::Internet);
        let others: Vec<Endpoint> = everyone.iter().filter(|e| **e != first).cloned().collect();
        let name = |e: &Endpoint| match e {
            Endpoint::Eni(id) => model
                .enis()
                .iter()
                .find(|x| x.meta.id == *id)
                .and_then(|x| match &x.owner {
                    netpolicy_core::model::EniOwner::Instance(i) => Some(i.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        let first_instance = name(&first);
        let text = format!(
            "no instance:host-* -> instance:host-* : all\nonly instance:{first_instance} -> instance:host-* : all\n"
        );
        let expected = [count(&hosts, &hosts), count(&others, &hosts)];
        let mut sources = SourceMap::default();
        let id = sources.add("dense.np", text.clone());
        let policy = parse_policy(&text, id).unwrap_or_else(|e| panic!("{e:?}"));
        let report = check_policy(&model, &policy, &sources, "dense.np", "generated")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(expected[0] > 0, "seed {seed}: nothing reaches");
        for (v, n) in report.verdicts.iter().zip(expected) {
            assert_eq!(v.findings, n, "seed {seed}: {}", v.assertion);
            assert_eq!(
                v.status == Status::Violated,
                n > 0,
                "seed {seed}: {}",
                v.assertion
            );
        }
    }
}
