//! Test support for netpolicy: a brute-force oracle that walks one concrete packet
//! through a model, and a generator of small random networks to cross-check the
//! engine against it.
//!
//! The oracle shares no code with the engine's set logic: it reads the model and
//! decides each hop with plain comparisons, straight from DESIGN §3.

pub mod generate;
pub mod oracle;
