//! `diff` computes only pairs with an end whose footprint changed; on random
//! networks and random changes it must give exactly what comparing every pair
//! gives. A pair it skips wrongly is a change a reviewer never sees.

use netpolicy_core::diff::{DiffOptions, NetworkDiff, diff, diff_with};
use netpolicy_core::engine::Engine;
use netpolicy_core::model::Model;
use netpolicy_core::span::SourceMap;
use netpolicy_tests::generate::{self, Rng};
use proptest::prelude::*;

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
        let mut rng = Rng::new(seed);
        let parts = generate::network_parts(&mut rng);
        let mut changed = parts.clone();
        for _ in 0..changes {
            generate::change(&mut changed, &mut rng);
        }
        let (Ok(before), Ok(after)) = (
            Model::build(parts, SourceMap::default()),
            Model::build(changed, SourceMap::default()),
        ) else {
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
        let mut rng = Rng::new(seed);
        let parts = generate::network_parts(&mut rng);
        let mut next = parts.clone();
        generate::change(&mut next, &mut rng);
        let (Ok(before), Ok(after)) = (
            Model::build(parts, SourceMap::default()),
            Model::build(next, SourceMap::default()),
        ) else {
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
