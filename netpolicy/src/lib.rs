//! netpolicy: policy-as-code for AWS networks.
//!
//! Load a network (a CloudFormation template, a `terraform show -json` plan,
//! an AWS CLI dump, netpolicy's own model, or one built in code), write
//! assertions in `.np` policies, and get a verdict per assertion with
//! counterexamples: a concrete packet and the rule that decides each hop. No
//! packet is sent; every answer is a static proof over the model.
//!
//! ```
//! use netpolicy::{Network, Policy, Status};
//!
//! # let dir = env!("CARGO_MANIFEST_DIR");
//! # let template = format!("{dir}/../tests/fixtures/cloudformation/inspector-reachability-workshop.json");
//! let network = Network::load(&template)?;
//! let policy: Policy = r#"
//!     assert "no ssh from the internet": no internet -> * : ssh
//!     assert "db only from web": only sg:*WebServer* -> sg:*DbServer* : mysql
//! "#.parse()?;
//! let report = network.check(&policy)?;
//! for verdict in &report.verdicts {
//!     println!("{} {}", verdict.status, verdict.assertion);
//!     for c in &verdict.counterexamples {
//!         println!("  {} -> {} : {}", c.source, c.destination, c.services);
//!     }
//! }
//! assert_eq!(report.verdicts[0].status, Status::Violated);
//! # Ok::<(), netpolicy::Error>(())
//! ```
//!
//! The pieces, in pipeline order: [`Network`] (load, then compile once),
//! [`Policy`] (parse), [`Network::check`] / [`Network::reach`] /
//! [`Network::exposure`] (evaluate), [`Report`] (serializable both ways;
//! [`Report::render_text`], [`sarif`], [`junit`]). [`build`] makes networks
//! in code; `testing` (feature `testing`) snapshot-tests policies with
//! insta. Errors are [`Error`]s: `miette` diagnostics with the policy or
//! model text attached.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod build;
mod error;
mod network;
mod policy;
mod reach;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use error::{Error, ErrorKind};
pub use network::{LoadOptions, Network, Validation};
pub use policy::Policy;
pub use reach::{PairReach, ReachPath, Reachability, TracedPath};

// Re-exports carry no doc comment of their own: rustdoc would glue it onto
// each item's own documentation.
pub use netpolicy_core::diagnostic::Warning;
pub use netpolicy_core::engine::{
    Endpoint, Engine, Hop, HopKind, InterfaceExposure, Opening, PathKind,
};
pub use netpolicy_core::load::ModelFormat as Format;
pub use netpolicy_core::model;
pub use netpolicy_core::packet::{Packet, PacketSet};
pub use netpolicy_lang::check::CheckOptions;
pub use netpolicy_lang::report::{
    Counterexample, HopReport, Location, Report, RunError, Status, Verdict, junit, sarif,
};

/// The README's Rust snippets, compiled as tests (the snapshot example
/// needs the `testing` feature, which `cargo test --workspace` enables; the
/// other is run by tests/readme.rs).
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../../README.md")]
struct ReadmeSnippets;

/// docs/library.md, compiled and run as tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/library.md")]
struct LibraryGuide;
