//! netpolicy-core: the network model, the packet-set algebra and the reachability
//! engine.
pub mod packet;
pub mod diagnostic;
pub mod model;
pub mod span;
pub mod suggest;
pub mod engine;
pub mod load;
