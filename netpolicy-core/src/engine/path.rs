//! Paths and hops: what a verdict shows the user, and the walker that records them.

use crate::packet::{Packet, PacketSet};
use crate::span::Span;
use serde::Serialize;
use std::fmt;

/// The rule that decided a hop, and where it is declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// The object holding the rule, e.g. `security group web-sg`.
    pub object: String,
    /// The rule in words, e.g. `ingress tcp/80 from sg lb-sg`.
    pub rule: String,
    /// Where the rule (or its object) is declared.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// What a hop checks.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    /// Source security groups, outbound.
    SecurityGroupEgress,
    /// Source subnet NACL, outbound.
    NaclEgress,
    /// Route lookup for the forward packet.
    Route,
    /// Destination subnet NACL, inbound.
    NaclIngress,
    /// Destination security groups, inbound.
    SecurityGroupIngress,
    /// The reply leaving the destination subnet (stateless NACL).
    ReturnNaclEgress,
    /// The reply entering the source subnet (stateless NACL).
    ReturnNaclIngress,
    /// Route lookup for the reply.
    ReturnRoute,
    /// Address translation or a gateway crossing.
    Gateway,
}

impl HopKind {
    /// Whether the hop checks the reply rather than the forward packet.
    pub fn is_return(self) -> bool {
        matches!(
            self,
            HopKind::ReturnNaclEgress | HopKind::ReturnNaclIngress | HopKind::ReturnRoute
        )
    }

    fn seen(self, forward: &Packet) -> Packet {
        if self.is_return() {
            forward.reply()
        } else {
            *forward
        }
    }
}

impl fmt::Display for HopKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HopKind::SecurityGroupEgress => "sg egress",
            HopKind::NaclEgress => "nacl egress",
            HopKind::Route => "route",
            HopKind::NaclIngress => "nacl ingress",
            HopKind::SecurityGroupIngress => "sg ingress",
            HopKind::ReturnNaclEgress => "return nacl egress",
            HopKind::ReturnNaclIngress => "return nacl ingress",
            HopKind::ReturnRoute => "return route",
            HopKind::Gateway => "gateway",
        })
    }
}

/// One step of a path, for one concrete packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// What the hop checks.
    pub kind: HopKind,
    /// The packet as the hop sees it (after translation; the reply for return hops).
    pub packet: Packet,
    /// Whether the packet got through.
    pub allowed: bool,
    /// The deciding rule.
    pub rule: RuleRef,
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "allow" } else { "DENY " };
        write!(
            f,
            "{verdict} {:<19} {}: {}   [{}]",
            self.kind.to_string(),
            self.rule.object,
            self.rule.rule,
            self.packet
        )
    }
}

/// Applies hop filters to a packet set and, when tracing one packet, records each
/// hop with the rule that decided it.
pub(crate) struct Walk {
    hops: Option<Vec<Hop>>,
}

impl Walk {
    /// A walk over sets, recording nothing.
    pub(crate) fn sets() -> Self {
        Walk { hops: None }
    }

    /// A walk that records hops (use with a one-packet set).
    pub(crate) fn tracing() -> Self {
        Walk {
            hops: Some(Vec::new()),
        }
    }

    pub(crate) fn into_hops(self) -> Vec<Hop> {
        self.hops.unwrap_or_default()
    }

    /// Keeps the packets of `set` in `allowed`. `decide` names the rule that decides
    /// a concrete packet (it is only called when tracing).
    pub(crate) fn filter(
        &mut self,
        kind: HopKind,
        set: PacketSet,
        allowed: &PacketSet,
        decide: impl FnOnce(&Packet) -> RuleRef,
    ) -> PacketSet {
        let out = set.intersect(allowed);
        if let (Some(hops), Some(p)) = (self.hops.as_mut(), set.witness()) {
            hops.push(Hop {
                kind,
                packet: kind.seen(&p),
                allowed: !out.is_empty(),
                rule: decide(&p),
            });
        }
        out
    }

    /// Records a hop whose outcome the caller decided (routes, gateways).
    pub(crate) fn note(
        &mut self,
        kind: HopKind,
        set: &PacketSet,
        allowed: bool,
        rule: impl FnOnce() -> RuleRef,
    ) {
        if let (Some(hops), Some(p)) = (self.hops.as_mut(), set.witness()) {
            hops.push(Hop {
                kind,
                packet: kind.seen(&p),
                allowed,
                rule: rule(),
            });
        }
    }
}
