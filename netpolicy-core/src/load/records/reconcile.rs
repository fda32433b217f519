//! What a loader does when the input names objects it does not hold.
//!
//! A template, a dump or a plan is often a slice of a larger estate: a security
//! group rule may name another account's group, a route a deleted NAT gateway, a
//! peering a VPC in an account that was not exported. Failing the whole load for
//! that would make netpolicy useless on real accounts, and guessing would make it
//! wrong; so each such reference is neutralised in the way that claims the least
//! (the rule matches nothing, the route drops) and reported as a warning.

use crate::diagnostic::Warning;
use crate::model::{
    Approximation, Meta, ModelParts, PrefixList, RouteDestination, RouteTarget, RulePeer,
};
use crate::span::Span;
use foldhash::HashSet;
use std::collections::BTreeMap;

/// Prefix lists referenced by id but not in the input are AWS-managed (S3,
/// DynamoDB, CloudFront) or another account's: their entries are unknown, so they
/// are declared empty, with one warning each, rather than failing the load.
pub(crate) fn declare_unknown_prefix_lists(
    parts: &mut ModelParts,
    code: &'static str,
    input: &str,
) -> Vec<Warning> {
    let declared: HashSet<&str> = parts
        .prefix_lists
        .iter()
        .map(|p| p.meta.id.as_str())
        .collect();
    let mut used: BTreeMap<String, Option<Span>> = BTreeMap::new();
    for g in &parts.security_groups {
        for r in g.ingress.iter().chain(&g.egress) {
            if let RulePeer::PrefixList(id) = &r.peer {
                used.entry(id.clone()).or_insert(r.span);
            }
        }
    }
    for t in &parts.route_tables {
        for r in &t.routes {
            if let RouteDestination::PrefixList(id) = &r.destination {
                used.entry(id.clone()).or_insert(r.span);
            }
        }
    }
    used.retain(|id, _| !declared.contains(id.as_str()));
    // A list some route sends to a gateway endpoint is S3's or DynamoDB's
    // (the only services with gateway endpoints): public AWS addresses that
    // traffic reaches through that endpoint, never an interface's or the
    // internet's. Matching nothing, it changes no verdict netpolicy gives.
    let service_lists: HashSet<&str> = (parts.route_tables.iter())
        .flat_map(|t| &t.routes)
        .filter(|r| matches!(r.target, RouteTarget::GatewayEndpoint(_)))
        .filter_map(|r| match &r.destination {
            RouteDestination::PrefixList(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let approximated: Vec<String> = (used.keys())
        .filter(|id| !service_lists.contains(id.as_str()))
        .cloned()
        .collect();
    for id in approximated {
        parts.approximate(id, Approximation::Narrower);
    }
    let mut warnings = Vec::new();
    for (id, span) in used {
        warnings.push(Warning::new(
            code,
            format!(
                "prefix list `{id}` is not in {input} (an AWS-managed list?): its entries are unknown, so rules and routes naming it match nothing"
            ),
            span,
        ));
        parts.prefix_lists.push(PrefixList {
            meta: Meta {
                span,
                ..Meta::new(id)
            },
            cidrs: Vec::new(),
        });
    }
    warnings
}

/// Neutralises references to objects `input` does not hold: peerings to unknown
/// VPCs are dropped, routes to unknown targets drop their packets, rules naming
/// unknown security groups are removed, unknown prefix lists are empty.
pub(crate) fn prune_unknown_references(
    parts: &mut ModelParts,
    code: &'static str,
    input: &str,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let vpcs: HashSet<String> = parts.vpcs.iter().map(|v| v.meta.id.clone()).collect();
    parts.peerings.retain(|p| {
        let missing = [&p.requester_vpc, &p.accepter_vpc]
            .into_iter()
            .find(|v| !vpcs.contains(*v));
        if let Some(v) = missing {
            warnings.push(Warning::new(
                code,
                format!(
                    "peering `{}` connects to VPC `{v}`, which is not in {input}: traffic over it is not followed",
                    p.meta.id
                ),
                p.meta.span,
            ));
        }
        missing.is_none()
    });
    let targets = known_targets(parts);
    for t in &mut parts.route_tables {
        for r in &mut t.routes {
            let Some(id) = r.target.id() else { continue };
            if !targets.contains(id) {
                warnings.push(Warning::new(
                    code,
                    format!(
                        "route table `{}` routes to {}, which is not in {input}: packets on that route are dropped",
                        t.meta.id,
                        r.target.describe()
                    ),
                    r.span.or(t.meta.span),
                ));
                r.target = RouteTarget::Blackhole;
            }
        }
    }
    let groups: HashSet<String> = parts
        .security_groups
        .iter()
        .map(|g| g.meta.id.clone())
        .collect();
    for g in &mut parts.security_groups {
        let id = g.meta.id.clone();
        for rules in [&mut g.ingress, &mut g.egress] {
            rules.retain(|r| match &r.peer {
                RulePeer::SecurityGroup(peer) if !groups.contains(peer) => {
                    warnings.push(Warning::new(
                        code,
                        format!(
                            "a rule of security group `{id}` names group `{peer}`, which is not in {input} (another account's?): its members are unknown, so the rule matches nothing"
                        ),
                        r.span,
                    ));
                    false
                }
                _ => true,
            });
        }
    }
    warnings.extend(declare_unknown_prefix_lists(parts, code, input));
    warnings
}

fn known_targets(parts: &ModelParts) -> HashSet<String> {
    let ids = parts
        .internet_gateways
        .iter()
        .map(|o| &o.meta)
        .chain(parts.nat_gateways.iter().map(|o| &o.meta))
        .chain(parts.peerings.iter().map(|o| &o.meta))
        .chain(parts.vpn_gateways.iter().map(|o| &o.meta))
        .chain(parts.enis.iter().map(|o| &o.meta))
        .chain(parts.vpc_endpoints.iter().map(|o| &o.meta));
    // Transit gateways are not modelled objects: their routes stay as they are and
    // the model warns about them.
    let mut known: HashSet<String> = ids.map(|m| m.id.clone()).collect();
    for t in &parts.route_tables {
        for r in &t.routes {
            if let RouteTarget::TransitGateway(id) = &r.target {
                known.insert(id.clone());
            }
        }
    }
    known
}
