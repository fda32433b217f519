#![expect(clippy::unwrap_used, reason = "helpers of a test fail the test")]
//! The picture says what the pair-by-pair engine says: every edge of
//! `netpolicy graph`, by subnet and by security group, carries exactly the
//! union of what its members' pairs exchange (self-traffic left out), and the
//! internet and on-premises edges match `reach` from and to them. A flow
//! through a load balancer is drawn as its two legs.

use netpolicy_core::engine::{Endpoint, Engine, PathKind};
use netpolicy_core::graph::{Graph, Grouping};
use netpolicy_core::model::Model;
use netpolicy_core::packet::PacketSet;
use netpolicy_tests::generate::{self, Rng};
use std::collections::BTreeMap;

/// Each edge's services, computed pair by pair.
fn pairwise(
    model: &Model,
    engine: &Engine<'_>,
    query: &PacketSet,
    grouping: Grouping,
) -> BTreeMap<(String, String), String> {
    let groups = |e: &Endpoint| -> Vec<String> {
        let Endpoint::Eni(id) = e else {
            return vec![e.to_string()];
        };
        let Some(eni) = model.eni(id) else {
            return vec![];
        };
        match grouping {
            Grouping::Subnet => vec![eni.subnet.clone()],
            Grouping::SecurityGroup if eni.security_groups.is_empty() => {
                vec!["(no security group)".into()]
            }
            Grouping::SecurityGroup => {
                let mut g = eni.security_groups.clone();
                g.sort();
                g.dedup();
                g
            }
            _ => unreachable!("only subnets and groups are compared"),
        }
    };
    let endpoints: Vec<Endpoint> = model
        .enis()
        .iter()
        .map(|e| Endpoint::Eni(e.meta.id.clone()))
        .chain([Endpoint::Internet, Endpoint::OnPrem])
        .collect();
    let mut carried: BTreeMap<(String, String), PacketSet> = BTreeMap::new();
    for a in &endpoints {
        for b in &endpoints {
            let outside = |e: &Endpoint| !matches!(e, Endpoint::Eni(_));
            if a == b || (outside(a) && outside(b)) {
                continue;
            }
            // A flow through a load balancer is drawn as its two legs: to the
            // node (an interface of its own), and from the node to the target.
            let packets = engine
                .reach(a, b, query)
                .flows
                .iter()
                .filter(|f| !matches!(f.kind, PathKind::LoadBalancer { .. }))
                .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets));
            for f in groups(a) {
                for t in groups(b) {
                    let entry = carried.entry((f.clone(), t)).or_default();
                    *entry = entry.union(&packets);
                }
            }
        }
    }
    carried
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(k, p)| (k, p.service_summary()))
        .collect()
}

fn edges(graph: &Graph) -> BTreeMap<(String, String), String> {
    graph
        .edges
        .iter()
        .map(|e| ((e.from.clone(), e.to.clone()), e.services.clone()))
        .collect()
}

fn agree(model: &Model, label: &str) {
    let engine = Engine::new(model);
    for query in [
        PacketSet::client_traffic(),
        netpolicy_lang::parse_service("ssh, mysql, icmp").unwrap(),
    ] {
        for grouping in [Grouping::Subnet, Grouping::SecurityGroup] {
            let graph = Graph::of(&engine, &query, grouping, &[]);
            let (drawn, pairs) = (edges(&graph), pairwise(model, &engine, &query, grouping));
            let only_drawn: Vec<_> = drawn
                .iter()
                .filter(|(k, v)| pairs.get(*k) != Some(v))
                .collect();
            let only_pairs: Vec<_> = pairs
                .iter()
                .filter(|(k, v)| drawn.get(*k) != Some(v))
                .collect();
            assert!(
                only_drawn.is_empty() && only_pairs.is_empty(),
                "{label}: {grouping:?}: drawn {only_drawn:?}, pairs {only_pairs:?}"
            );
        }
    }
}

#[test]
fn the_workshop_picture_matches_pairs() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cloudformation/inspector-reachability-workshop.json"
    );
    let model = netpolicy_core::load::load_model_file(
        std::path::Path::new(path),
        None,
        &Default::default(),
    )
    .unwrap();
    agree(&model, "workshop");
}

#[test]
fn random_pictures_match_pairs() {
    let mut built = 0;
    for seed in 0..40u64 {
        let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9) ^ 20);
        if let Ok(model) = generate::network(&mut rng) {
            agree(&model, &format!("seed {seed}"));
            built += 1;
        }
    }
    assert!(built > 20, "only {built} networks built");
}
