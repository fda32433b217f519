//! netpolicy-core: the network model, the packet-set algebra and the reachability
//! engine.
pub mod packet;
