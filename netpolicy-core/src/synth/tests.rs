use super::*;
use crate::engine::Engine;

fn small() -> Spec {
    Spec {
        vpcs: 6,
        subnets_per_vpc: 3,
        enis: 180,
        security_groups: 24,
        rules_per_group: 6,
        sg_sets_per_subnet: 3,
        hub_size: 3,
        internet_percent: 70,
        load_balancers: 2,
        shape: Shape::Tidy,
        seed: 7,
    }
}

#[test]
fn organizations_have_the_requested_size() {
    let spec = small();
    let model = generate(&spec).unwrap();
    let instances = model
        .enis()
        .iter()
        .filter(|e| matches!(e.owner, EniOwner::Instance(_)))
        .count();
    assert_eq!(instances, spec.enis);
    assert_eq!(model.vpcs().len(), spec.vpcs);
    assert_eq!(model.subnets().len(), spec.vpcs * spec.subnets_per_vpc);
    // Two hubs meshed (1 peering) and four spokes.
    assert_eq!(model.peerings().len(), 5);
    let ingress: usize = model
        .security_groups()
        .iter()
        .take(spec.security_groups)
        .map(|g| g.ingress.len())
        .sum();
    assert_eq!(ingress, spec.security_groups * spec.rules_per_group);
    assert_eq!(model.load_balancers().len(), spec.load_balancers);
}

#[test]
fn the_same_seed_gives_the_same_organization() {
    let a = generate(&small()).unwrap();
    let b = generate(&small()).unwrap();
    let c = generate(&Spec { seed: 8, ..small() }).unwrap();
    let mut text = [Vec::new(), Vec::new(), Vec::new()];
    for (m, out) in [&a, &b, &c].into_iter().zip(text.iter_mut()) {
        native::write(m, out).unwrap();
    }
    assert_eq!(text[0], text[1]);
    assert_ne!(text[0], text[2]);
}

#[test]
fn presets_grow_tenfold() {
    let sizes: Vec<usize> = Preset::ALL.iter().map(|p| p.spec().enis).collect();
    assert_eq!(sizes, [1_000, 10_000, 100_000, 1_000_000]);
    let l = Preset::L.spec();
    assert_eq!(
        (l.vpcs, l.vpcs * l.subnets_per_vpc, l.security_groups),
        (500, 2_000, 5_000)
    );
    assert_eq!(l.security_groups * l.rules_per_group, 50_000);
    assert_eq!(Preset::parse("xl"), Some(Preset::Xl));
    assert_eq!(Preset::parse("XXL"), None);
}

#[test]
fn impossible_specs_are_errors() {
    for spec in [
        Spec { vpcs: 0, ..small() },
        Spec {
            security_groups: 2,
            ..small()
        },
        Spec {
            vpcs: 100_000,
            ..small()
        },
        // More interfaces than an AWS subnet (a /16 at most) holds.
        Spec {
            vpcs: 1,
            subnets_per_vpc: 1,
            enis: 70_000,
            security_groups: 5,
            ..small()
        },
        // More subnets than an AWS VPC block (a /16 at most) holds.
        Spec {
            vpcs: 1,
            subnets_per_vpc: 5_000,
            security_groups: 5,
            ..small()
        },
    ] {
        assert!(generate(&spec).is_err(), "{spec:?}");
    }
}

#[test]
fn both_outputs_load_back_to_the_same_network() {
    let model = generate(&small()).unwrap();
    let dir = std::env::temp_dir().join(format!("netpolicy-synth-{}", std::process::id()));
    let native_path = dir.join("org.json");
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = Vec::new();
    native::write(&model, &mut text).unwrap();
    std::fs::write(&native_path, &text).unwrap();
    aws_cli::write(&model, &dir.join("dump")).unwrap();
    let from_native = crate::load::load_native_file(&native_path).unwrap();
    let from_dump = crate::load::aws_cli::load_aws_cli_dir(&dir.join("dump")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    for loaded in [&from_native, &from_dump] {
        assert_eq!(loaded.enis().len(), model.enis().len());
        assert_eq!(
            loaded.security_groups().len(),
            model.security_groups().len()
        );
        let (a, b) = (Engine::new(&model), Engine::new(loaded));
        assert_eq!(a.classes().len(), b.classes().len());
        let exposed = |e: &Engine<'_>| {
            e.model()
                .enis()
                .iter()
                .filter(|x| !e.internet_exposure(&x.meta.id).is_empty())
                .count()
        };
        assert_eq!(exposed(&a), exposed(&b));
        let ssh = crate::packet::PacketSet::for_protocols(
            &crate::packet::IntervalSet::single(6),
            &crate::packet::IntervalSet::range(1024, 65535),
            &crate::packet::IntervalSet::single(22),
        );
        assert_eq!(a.class_matrix(&ssh).len(), b.class_matrix(&ssh).len());
    }
}

#[test]
fn shapes_are_named_and_parsed() {
    for shape in Shape::ALL {
        assert_eq!(Shape::parse(shape.name()), Some(shape));
        assert_eq!(Shape::parse(&shape.name().to_uppercase()), Some(shape));
    }
    assert_eq!(Shape::parse("tidy-ish"), None);
}

/// The dense shape cuts the packet space finely: many distinct port ranges
/// and prefixes per group, and private NACLs of 20 entries.
#[test]
fn the_dense_shape_has_long_random_rule_lists() {
    let spec = Spec {
        shape: Shape::Dense,
        rules_per_group: 40,
        ..small()
    };
    let model = generate(&spec).unwrap();
    let groups = &model.security_groups()[..spec.security_groups];
    for g in groups {
        assert_eq!(g.ingress.len(), 40, "{}", g.meta.id);
        let services: std::collections::BTreeSet<String> =
            g.ingress.iter().map(|r| r.traffic.to_string()).collect();
        assert!(services.len() > 20, "{}: {services:?}", g.meta.id);
    }
    let prefixes: std::collections::BTreeSet<Ipv4Net> = groups
        .iter()
        .flat_map(|g| &g.ingress)
        .filter_map(|r| match r.peer {
            RulePeer::Cidr(net) => Some(net),
            _ => None,
        })
        .collect();
    assert!(prefixes.len() > 100, "{} prefixes", prefixes.len());
    let private = model.network_acls().iter().filter(|a| {
        a.meta
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with("private-"))
    });
    for acl in private {
        assert_eq!(acl.entries.len(), 20, "{}", acl.meta.id);
    }
    // Every format writes and reads it back.
    let mut text = Vec::new();
    native::write(&model, &mut text).unwrap();
    let back = crate::load::load_native("dense.json", String::from_utf8(text).unwrap()).unwrap();
    assert_eq!(back.security_groups().len(), model.security_groups().len());
}

/// The fragmented shape cuts the internet: public deny ranges ahead of every
/// NACL's allow, and groups admitting documentation, carrier-grade NAT and
/// public prefixes beside the whole internet.
#[test]
fn the_fragmented_shape_cuts_internet_sources() {
    let spec = Spec {
        shape: Shape::Fragmented,
        ..small()
    };
    let model = generate(&spec).unwrap();
    let cgnat: Ipv4Net = "100.64.0.0/10".parse().unwrap();
    for acl in model.network_acls() {
        let deny = acl
            .entries
            .iter()
            .find(|e| !e.egress && e.cidr == cgnat && e.action == NaclAction::Deny)
            .unwrap_or_else(|| panic!("{}: no deny of {cgnat}", acl.meta.id));
        let first_allow = acl
            .entries
            .iter()
            .filter(|e| !e.egress && e.action == NaclAction::Allow)
            .map(|e| e.rule_number)
            .min()
            .unwrap_or(u16::MAX);
        assert!(deny.rule_number < first_allow, "{}", acl.meta.id);
    }
    let documentation: Ipv4Net = "192.0.2.0/24".parse().unwrap();
    for g in &model.security_groups()[..spec.security_groups] {
        assert!(
            g.ingress
                .iter()
                .any(|r| r.peer == RulePeer::Cidr(documentation)),
            "{}",
            g.meta.id
        );
    }
}
