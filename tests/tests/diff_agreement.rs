//! `diff` computes only pairs with an end whose footprint changed; on random
//! networks and random changes it must give exactly what comparing every pair
//! gives. A pair it skips wrongly is a change a reviewer never sees.

use netpolicy_core::diff::{DiffOptions, NetworkDiff, PathClass, diff, diff_with};
use netpolicy_core::engine::{Endpoint, Engine};
use netpolicy_core::model::Model;
use netpolicy_core::packet::{Dim, IntervalSet, PacketSet};
use netpolicy_core::span::SourceMap;
use netpolicy_tests::generate::{self, Rng};
use proptest::prelude::*;

/// A random network and the same network after `changes` random changes;
/// `None` when a change made it invalid.
fn changed_network(seed: u64, changes: usize) -> Option<(Model, Model)> {
    let mut rng = Rng::new(seed);
    let parts = generate::network_parts(&mut rng);
    let mut changed = parts.clone();
    for _ in 0..changes {
        generate::change(&mut changed, &mut rng);
    }
    let before = Model::build(parts, SourceMap::default()).ok()?;
    let after = Model::build(changed, SourceMap::default()).ok()?;
    Some((before, after))
}

fn listing(d: &NetworkDiff) -> Vec<String> {
    let line = |kind: &str, c: &netpolicy_core::diff::FlowChange| {
        format!(
            "{kind} {} -> {} [{}] {}",
            c.source,
            c.destination,
            c.path,
            c.services.join(",")
        )
    };
    let mut out: Vec<String> = d
        .opened
        .iter()
        .map(|c| line("+", c))
        .chain(d.closed.iter().map(|c| line("-", c)))
        .collect();
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn footprints_skip_only_pairs_that_did_not_change(seed in any::<u64>(), changes in 1..4usize) {
        let Some((before, after)) = changed_network(seed, changes) else {
            return Err(TestCaseError::reject("a change made the network invalid"));
        };
        let (eb, ea) = (Engine::new(&before), Engine::new(&after));
        let quick = diff(&eb, &ea);
        let full = diff_with(&eb, &ea, DiffOptions::every_pair());
        prop_assert_eq!(listing(&quick), listing(&full));
        // Nothing changes between a network and itself.
        let same = diff(&eb, &Engine::new(&before));
        prop_assert!(same.is_empty(), "{:?}", listing(&same));
    }
}

/// The property above means something only if the changes it draws open and
/// close flows, and if the footprints leave pairs out.
#[test]
fn random_changes_open_and_close_flows_and_leave_pairs_out() {
    let (mut built, mut changed, mut skipped) = (0, 0, 0);
    for seed in 0..200u64 {
        let Some((before, after)) = changed_network(seed, 1) else {
            continue;
        };
        built += 1;
        let d = diff(&Engine::new(&before), &Engine::new(&after));
        changed += usize::from(!d.opened.is_empty() || !d.closed.is_empty());
        skipped += usize::from(d.touched < d.matched);
    }
    assert!(
        built >= 150,
        "only {built} of 200 changed networks are valid"
    );
    assert!(
        changed >= 40,
        "only {changed} of {built} changes changed a flow"
    );
    assert!(
        skipped >= 40,
        "footprints left pairs out in only {skipped} of {built}"
    );
}

/// What `engine.reach` gives for every ordered pair of interfaces, by path
/// class: the brute-force view the class-level diff must agree with.
fn pairwise(
    e: &Engine<'_>,
) -> std::collections::BTreeMap<(String, String, PathClass), netpolicy_core::packet::PacketSet> {
    let mut out = std::collections::BTreeMap::new();
    let enis = e.model().enis();
    for s in enis {
        for d in enis {
            if s.meta.id == d.meta.id {
                continue;
            }
            let (src, dst) = (
                Endpoint::Eni(s.meta.id.clone()),
                Endpoint::Eni(d.meta.id.clone()),
            );
            for flow in e.reach(&src, &dst, &PacketSet::client_traffic()).flows {
                let slot = out
                    .entry((
                        s.meta.id.clone(),
                        d.meta.id.clone(),
                        PathClass::of(&flow.kind),
                    ))
                    .or_insert_with(PacketSet::empty);
                *slot = slot.union(&flow.packets);
            }
        }
    }
    out
}

/// Addresses of an interface, private and public.
fn addresses_of(m: &Model, id: &str) -> IntervalSet {
    m.eni(id).map_or_else(IntervalSet::default, |e| {
        IntervalSet::from_ranges(
            e.private_ips
                .iter()
                .chain(e.public_ip.iter())
                .map(|ip| (u32::from(*ip), u32::from(*ip))),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Interface pairs the diff reports, expanded member by member, are
    /// exactly the pairs whose packets `reach` gives differently.
    #[test]
    fn class_level_diff_matches_pair_by_pair_reach(seed in any::<u64>()) {
        agrees_with_reach(seed)?;
    }
}

/// A public address taken from one interface of a class closed flows to it
/// from its class mates, which the class-level comparison once missed (the
/// whole class was compared on services alone).
#[test]
fn regression_public_address_taken_from_one_class_member() {
    assert!(agrees_with_reach(14770305740272757804).is_ok());
}

fn agrees_with_reach(seed: u64) -> Result<(), TestCaseError> {
    {
        let Some((before, after)) = changed_network(seed, 2) else {
            return Err(TestCaseError::reject("a change made the network invalid"));
        };
        let (eb, ea) = (Engine::new(&before), Engine::new(&after));
        let (pb, pa) = (pairwise(&eb), pairwise(&ea));
        let keys: std::collections::BTreeSet<_> = pb.keys().chain(pa.keys()).cloned().collect();
        let mut expected = std::collections::BTreeSet::new();
        for key in keys {
            let (s, d, _) = &key;
            let same =
                |id: &str| addresses_of(&before, id).ranges() == addresses_of(&after, id).ranges();
            let norm = |set: Option<&PacketSet>| {
                let mut set = set.cloned().unwrap_or_else(PacketSet::empty);
                if !same(s) {
                    set = set.forget(Dim::SrcAddr);
                }
                if !same(d) {
                    set = set.forget(Dim::DstAddr);
                }
                set
            };
            let (old, new) = (norm(pb.get(&key)), norm(pa.get(&key)));
            if !new.difference(&old).is_empty() {
                expected.insert(("+", key.clone()));
            }
            if !old.difference(&new).is_empty() {
                expected.insert(("-", key.clone()));
            }
        }
        let d = diff(&eb, &ea);
        let mut found = std::collections::BTreeSet::new();
        for (mark, list, model) in [("+", &d.opened, &after), ("-", &d.closed, &before)] {
            for c in list
                .iter()
                .filter(|c| !c.sources.is_empty() && !c.destinations.is_empty())
            {
                for s in &c.sources {
                    for t in &c.destinations {
                        let hit = c
                            .packets
                            .restrict(Dim::SrcAddr, &addresses_of(model, s))
                            .restrict(Dim::DstAddr, &addresses_of(model, t));
                        if s != t && !hit.is_empty() {
                            found.insert((mark, (s.clone(), t.clone(), c.path)));
                        }
                    }
                }
            }
        }
        prop_assert_eq!(found, expected);
    }
    Ok(())
}
