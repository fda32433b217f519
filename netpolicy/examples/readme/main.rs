//! The README's Rust example (`code.rs`, shown there as written): run it
//! with `cargo run -p netpolicy --example readme` in a folder holding a
//! `network.json`.

include!("code.rs");
