//! Parts of the network that the input does not fix (values known only
//! outside a template or after apply, prefix lists whose entries are not in
//! the input, objects named but not held), and which way the model
//! approximates each: what verdicts may rest on (docs/semantics.md, "Unknown
//! parts").

use super::{Eni, Model, RouteDestination, RouteTarget, RulePeer, TrafficMatch};
use serde::Serialize;

/// Which way the model approximates a part of the network that the input
/// does not fix: what it lets through may be more than AWS would, or less.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Approximation {
    /// Modelled as letting through the most it may (a rule whose CIDR is
    /// unknown allows every address): a flow through it may not exist.
    Wider,
    /// Modelled as letting through the least it may (a prefix list whose
    /// entries are unknown matches nothing, a route to a target netpolicy
    /// does not follow drops): a flow may exist that the model lacks.
    Narrower,
    /// Both at once (an object the input names but does not hold, whose
    /// placement is a guess).
    Both,
}

impl Approximation {
    /// Both approximations, where `self` and `other` differ.
    pub fn and(self, other: Approximation) -> Approximation {
        if self == other {
            self
        } else {
            Approximation::Both
        }
    }

    /// Whether the model may let through more than AWS.
    pub fn may_widen(self) -> bool {
        self != Approximation::Narrower
    }

    /// Whether the model may let through less than AWS.
    pub fn may_narrow(self) -> bool {
        self != Approximation::Wider
    }
}

/// How the model approximates one part, and for which traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Approximated {
    /// Which way the model errs.
    pub approximation: Approximation,
    /// The protocols and ports of the approximated rules, when the part is
    /// a group's rules and each is known; `None`: all traffic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<Vec<TrafficMatch>>,
}

impl Approximated {
    /// Nothing approximated yet, the first way being `a`.
    pub(crate) fn none(a: Approximation) -> Approximated {
        Approximated {
            approximation: a,
            traffic: Some(Vec::new()),
        }
    }

    /// Adds `a` for `traffic` (`None`: all of it).
    pub(crate) fn add(&mut self, a: Approximation, traffic: Option<TrafficMatch>) {
        self.approximation = self.approximation.and(a);
        match (&mut self.traffic, traffic) {
            (Some(list), Some(t)) => list.push(t),
            (known, None) => *known = None,
            (None, Some(_)) => {}
        }
    }

    /// Adds what `other` approximates.
    pub(crate) fn merge(&mut self, other: Approximated) {
        match other.traffic {
            None => self.add(other.approximation, None),
            Some(list) => {
                self.approximation = self.approximation.and(other.approximation);
                if let Some(mine) = &mut self.traffic {
                    mine.extend(list);
                }
            }
        }
    }
}

/// The name under which the ingress or egress rules of `group` are
/// approximated (security groups are stateful: only one direction's rules
/// judge a connection at each end).
pub fn rules_part(group: &str, egress: bool) -> String {
    let direction = if egress { "egress" } else { "ingress" };
    format!("{group} {direction} rules")
}

/// The name under which routes of `table` are approximated that only the
/// connections an interface opens take: a route the model leaves out because
/// it carries no packet of the model (an IPv6 route) judges the packets its
/// subnet sends toward the route's destination. Connections toward the
/// interface take it only for their replies, and need a route or rule of
/// their own at the other end, which is approximated there.
pub fn outbound_routes_part(table: &str) -> String {
    format!("{table} outbound routes")
}

/// A part of the network that an interface's traffic is judged by and that
/// the model approximates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApproximatedPart {
    /// The object (or `GROUP ingress rules`, see [`rules_part`]).
    pub id: String,
    /// Which way the model errs on it.
    pub approximation: Approximation,
    /// Which connections of the interface it judges.
    pub judges: Judges,
    /// The protocols and ports it judges, when it is rules' (a prefix
    /// list a rule names, rules whose CIDR is unknown); `None`: all traffic.
    pub traffic: Option<Vec<TrafficMatch>>,
}

impl ApproximatedPart {
    fn whole(id: &str, approximation: Approximation) -> ApproximatedPart {
        ApproximatedPart {
            id: id.to_string(),
            approximation,
            judges: Judges::Both,
            traffic: None,
        }
    }
}

/// Which traffic of an interface an approximated part judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judges {
    /// Connections it accepts (its groups' ingress rules).
    Inbound,
    /// Connections it opens (its groups' egress rules).
    Outbound,
    /// Both (its NACL and route table see requests and replies alike).
    Both,
}

impl Judges {
    /// Whether a part judging this traffic matters to connections opened
    /// (`outbound`) or accepted by the interface.
    pub fn covers(self, outbound: bool) -> bool {
        match self {
            Judges::Both => true,
            Judges::Inbound => !outbound,
            Judges::Outbound => outbound,
        }
    }
}

impl Model {
    /// The approximated parts that `eni`'s traffic is judged by, each with
    /// the way it is approximated and which of its connections it judges:
    /// its security groups' ingress and egress rules (and the prefix lists
    /// they name, with the rule's protocol and ports), its subnet's NACL and
    /// route table (and the prefix lists its routes name), and the objects
    /// the input names but does not hold that it depends on. Empty, and
    /// cheap, for a model without any.
    pub fn approximated_parts(&self, eni: &Eni) -> Vec<ApproximatedPart> {
        let parts = self.parts();
        let mut found = Vec::new();
        if parts.approximated.is_empty() && parts.external.is_empty() {
            return found;
        }
        let approximated = &parts.approximated;
        // A part that is a rule's peer judges only that rule's traffic.
        let mut note = |id: &str, judges: Judges, rule: Option<TrafficMatch>| {
            if let Some(a) = approximated.get(id) {
                found.push(ApproximatedPart {
                    id: id.to_string(),
                    approximation: a.approximation,
                    judges,
                    traffic: rule.map(|t| vec![t]).or_else(|| a.traffic.clone()),
                });
            }
        };
        for g in &eni.security_groups {
            note(&rules_part(g, false), Judges::Inbound, None);
            note(&rules_part(g, true), Judges::Outbound, None);
            let Some(group) = self.security_group(g) else {
                continue;
            };
            let rules = (group.ingress.iter().map(|r| (r, Judges::Inbound)))
                .chain(group.egress.iter().map(|r| (r, Judges::Outbound)));
            for (r, judges) in rules {
                if let RulePeer::PrefixList(p) = &r.peer {
                    note(p, judges, Some(r.traffic));
                }
            }
        }
        if let Some(subnet) = self.subnet(&eni.subnet) {
            if let Some(acl) = self.subnet_network_acl(subnet) {
                note(&acl.meta.id, Judges::Both, None);
            }
            if let Some(table) = self.subnet_route_table(subnet) {
                note(&table.meta.id, Judges::Both, None);
                note(
                    &outbound_routes_part(&table.meta.id),
                    Judges::Outbound,
                    None,
                );
                // A route to an unknown prefix list sends some addresses
                // elsewhere, or fails to: either way. One to a gateway
                // endpoint only takes AWS services' own addresses off the
                // internet path, which no verdict turns on.
                for r in &table.routes {
                    if let RouteDestination::PrefixList(p) = &r.destination
                        && !matches!(r.target, RouteTarget::GatewayEndpoint(_))
                        && approximated.contains_key(p.as_str())
                    {
                        found.push(ApproximatedPart::whole(p, Approximation::Both));
                    }
                }
            }
        }
        // A subnet or VPC the input names but does not hold is placed by a
        // guess (public, routed to the internet): either way. A group it
        // does not hold has no known rule (it admits nothing here), and as an
        // extra group it can only admit more: narrower.
        let external = &parts.external;
        if !external.is_empty() {
            let vpc = self.subnet(&eni.subnet).map(|s| s.vpc.as_str());
            for place in std::iter::once(eni.subnet.as_str()).chain(vpc) {
                if external.contains(place) {
                    found.push(ApproximatedPart::whole(place, Approximation::Both));
                }
            }
            for g in eni.security_groups.iter().filter(|g| external.contains(*g)) {
                found.push(ApproximatedPart::whole(g, Approximation::Narrower));
            }
        }
        found
    }
}
