//! Rendering for terminals (diagnostics). The machine formats (SARIF, JUnit)
//! live in the library, [`netpolicy_lang::report`]; JSON is the report itself.

pub mod diagnostic;

pub use netpolicy_lang::report::{RunError, junit, sarif};
