//! What stands for a value a document leaves unknown: a template's value
//! known only outside it, a plan's value known only after apply. Never less
//! than the value may let through, so that an unknown can turn a verdict into
//! a violation to look at, never into a HOLDS nobody proved. Every reader
//! says so in a warning.

use crate::model::{NaclAction, TrafficMatch};
use ipnet::Ipv4Net;

/// The peer of a security-group rule whose CIDR is unknown: every address.
pub(crate) fn rule_cidr() -> Ipv4Net {
    Ipv4Net::default()
}

/// What a reader says of [`rule_cidr`].
pub(crate) const RULE_CIDR: &str = "modelled as 0.0.0.0/0, the widest it may be";

/// The block of a NACL entry with `action` whose CIDR is unknown, and what a
/// reader says of it: an allow entry as wide as it may be, a deny entry as
/// narrow (left out, it may deny nothing). Neither hides a packet the entry
/// might let through.
pub(crate) fn nacl_cidr(action: NaclAction) -> (Option<Ipv4Net>, &'static str) {
    match action {
        NaclAction::Allow => (Some(Ipv4Net::default()), "modelled as 0.0.0.0/0"),
        NaclAction::Deny => (None, "left out (it may deny nothing)"),
    }
}

/// What stands for rules or entries unknown as wholes (protocol, ports and
/// peer alike): all traffic, to and from every address.
pub(crate) fn whole_rule() -> (TrafficMatch, Ipv4Net) {
    (TrafficMatch::ALL, Ipv4Net::default())
}

/// What a reader says of [`whole_rule`].
pub(crate) const WHOLE_RULE: &str =
    "modelled as allowing all traffic to and from 0.0.0.0/0, the most it may allow";
