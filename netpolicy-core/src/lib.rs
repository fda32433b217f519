#![recursion_limit = "256"]
//! netpolicy-core: the network model, the packet-set algebra and the reachability
//! engine.
pub mod diagnostic;
pub mod diff;
pub mod engine;
pub mod graph;
pub mod load;
pub mod model;
pub mod packet;
pub mod span;
pub mod suggest;
#[doc(hidden)] // The generator behind `netpolicy gen` and the benchmarks, not an API.
pub mod synth;
