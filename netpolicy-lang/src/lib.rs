//! netpolicy-lang: the words of the `.np` policy language.
//!
//! This stage turns text into engine inputs: service expressions (`tcp/3306`,
//! `ssh`, `udp/53`, `icmp`, `all`) into packet sets, and endpoint names
//! (`internet`, `onprem`, an instance, interface or load balancer) into engine
//! endpoints, with spanned errors and "did you mean" help. The assertion grammar
//! builds on these.

pub mod resolve;
pub mod service;

pub use resolve::{ResolveError, resolve_endpoint};
pub use service::{ServiceError, parse_service};
