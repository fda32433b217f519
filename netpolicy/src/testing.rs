//! Snapshot-test policies with [insta](https://insta.rs): a report as stable
//! text (file names without folders, verdicts in policy order, deterministic
//! counterexamples), so a snapshot reviewed once changes only when the network
//! or the policy does. Enable with the `testing` feature.
//!
//! ```no_run
//! use netpolicy::{Network, Policy, assert_policy_snapshot};
//!
//! #[test]
//! fn web_tier() -> Result<(), netpolicy::Error> {
//!     let network = Network::load("network/template.json")?;
//!     let policy = Policy::from_file("policies/web-tier.np")?;
//!     assert_policy_snapshot!(network, policy);
//!     Ok(())
//! }
//! ```

use crate::{Network, Policy};

#[doc(hidden)]
pub use insta as __insta;

/// The text a policy snapshot holds: the report's plain rendering with file
/// names stripped of their folders, or the errors when the policy does not
/// check (an unknown name is a result worth snapshotting too).
pub fn snapshot_text(network: &Network, policy: &Policy) -> String {
    match network.check(policy) {
        Ok(report) => report.with_file_names().render_text(),
        Err(error) => {
            let mut out = String::new();
            for e in error.iter() {
                out.push_str(&format!("error: {e}\n"));
                if let Some(help) = miette::Diagnostic::help(e) {
                    out.push_str(&format!("  help: {help}\n"));
                }
            }
            out
        }
    }
}

/// Snapshots the report of checking a policy against a network (insta's
/// `assert_snapshot!`: review with `cargo insta review`). An optional first
/// argument names the snapshot. `network` and `policy` are borrowed, not
/// moved: pass them by value (`assert_policy_snapshot!(network, policy)`)
/// and use them again after. Needs the `testing` feature.
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
#[macro_export]
macro_rules! assert_policy_snapshot {
    ($network:expr, $policy:expr $(,)?) => {
        $crate::testing::__insta::with_settings!(
            {
                omit_expression => true,
                description => $crate::testing::description(&$network, &$policy),
            },
            {
                $crate::testing::__insta::assert_snapshot!($crate::testing::snapshot_text(
                    &$network, &$policy
                ))
            }
        )
    };
    ($name:expr, $network:expr, $policy:expr $(,)?) => {
        $crate::testing::__insta::with_settings!(
            {
                omit_expression => true,
                description => $crate::testing::description(&$network, &$policy),
            },
            {
                $crate::testing::__insta::assert_snapshot!(
                    $name,
                    $crate::testing::snapshot_text(&$network, &$policy)
                )
            }
        )
    };
}

/// What a policy snapshot's header says it holds.
pub fn description(network: &Network, policy: &Policy) -> String {
    format!("policy {} checked on {}", policy.name(), network.name())
}
