//! netpolicy-lang: the `.np` policy language.
//!
//! The stages read as the pipeline: [`parse`] (text to [`ast`], with pest),
//! [`resolve`] (names and services to engine endpoints and packet sets),
//! [`check`] (assertions to verdicts) and [`report`] (a stable, serializable
//! result with a plain-text rendering). Nothing here prints.

pub mod ast;
pub mod check;
pub mod fmt;
pub mod least_privilege;
pub mod parse;
pub mod report;
pub mod resolve;
pub mod service;
mod undecided;

pub use parse::{ParseError, parse_policy, parse_selector};
pub use resolve::{ResolveError, resolve_endpoint};
pub use service::{ServiceError, parse_service};
