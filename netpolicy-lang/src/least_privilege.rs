//! Security-group rules broader than what they serve.
//!
//! A rule whose peer is a private CIDR (neither internet nor on-premises space)
//! is flagged when the prefix holds far more addresses than the interfaces it
//! actually lets through: at least 256 addresses and more than 64 per interface
//! served. "Served" is decided by the engine, not by the rule alone: for an egress
//! rule, the interfaces in the prefix that the group's members really reach with
//! the rule's traffic; for an ingress rule, the interfaces in the prefix that
//! really reach the members. The suggested rewrite names the security groups of
//! the interfaces served.

use crate::resolve::Endpoints;
use netpolicy_core::engine::{Endpoint, Engine, public_space, traffic_packets};
use netpolicy_core::model::{Model, RulePeer, SecurityGroupRule};
use netpolicy_core::packet::{Dim, IntervalSet, PacketSet};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Addresses per interface served above which a rule is too broad.
const ADDRESSES_PER_INTERFACE: u64 = 64;
/// Prefixes smaller than this are never flagged.
const MIN_ADDRESSES: u64 = 256;

/// One over-broad rule.
pub struct BroadRule {
    /// The security group.
    pub group: String,
    /// `ingress` or `egress`.
    pub direction: &'static str,
    /// The rule, in words.
    pub rule: String,
    /// Addresses the prefix spans.
    pub addresses: u64,
    /// Interfaces it serves.
    pub served: Vec<String>,
    /// Security groups to reference instead.
    pub suggestion: Vec<String>,
    /// A member and a served interface, for a counterexample.
    pub example_src: Endpoint,
    /// See `example_src`.
    pub example_dst: Endpoint,
    /// The packets of the example flow.
    pub packets: PacketSet,
}

impl BroadRule {
    /// One line for reports.
    pub fn describe(&self) -> String {
        let rewrite = if self.suggestion.is_empty() {
            "it serves nothing: remove it".to_string()
        } else {
            let refs: Vec<String> = self.suggestion.iter().map(|g| format!("sg:{g}")).collect();
            format!("reference {} instead", refs.join(", "))
        };
        format!(
            "security group {} {} rule `{}` spans {} addresses for {} interfaces ({}); {rewrite}",
            self.group,
            self.direction,
            self.rule,
            self.addresses,
            self.served.len(),
            self.served.join(", ")
        )
    }
}

fn private_only(net: &IntervalSet, onprem: &IntervalSet) -> bool {
    !net.intersects(&public_space()) && !net.intersects(onprem)
}

/// Over-broad CIDR rules of the security groups of `targets`.
pub fn broad_rules(model: &Model, engine: &Engine<'_>, targets: &Endpoints) -> Vec<BroadRule> {
    let groups: BTreeSet<&str> = targets
        .iter()
        .filter_map(|t| match t {
            Endpoint::Eni(id) => model.eni(id),
            _ => None,
        })
        .flat_map(|e| e.security_groups.iter().map(String::as_str))
        .collect();
    // Every candidate rule with its group and the group's members; rules are
    // independent, so they are checked in parallel, reported in this order.
    let mut rules: Vec<(&str, Arc<Vec<Endpoint>>, &SecurityGroupRule, bool)> = Vec::new();
    for group in groups {
        let Some(sg) = model.security_group(group) else {
            continue;
        };
        let members: Arc<Vec<Endpoint>> = Arc::new(
            model
                .enis()
                .iter()
                .filter(|e| e.security_groups.iter().any(|g| g == group))
                .map(|e| Endpoint::Eni(e.meta.id.clone()))
                .collect(),
        );
        for (list, egress) in [(&sg.ingress, false), (&sg.egress, true)] {
            for rule in list.iter().filter(|r| !r.implicit) {
                rules.push((group, Arc::clone(&members), rule, egress));
            }
        }
    }
    rules
        .par_iter()
        .filter_map(|(group, members, rule, egress)| {
            check_rule(model, engine, group, members, rule, *egress)
        })
        .collect()
}

fn check_rule(
    model: &Model,
    engine: &Engine<'_>,
    group: &str,
    members: &[Endpoint],
    rule: &SecurityGroupRule,
    egress: bool,
) -> Option<BroadRule> {
    let RulePeer::Cidr(net) = &rule.peer else {
        return None;
    };
    let range = IntervalSet::range(u32::from(net.network()), u32::from(net.broadcast()));
    if range.len() < MIN_ADDRESSES || !private_only(&range, engine.onprem_addresses()) {
        return None;
    }
    let traffic =
        traffic_packets(&rule.traffic).restrict(Dim::SrcPort, &IntervalSet::range(1024, 65535));
    let in_prefix: Vec<&netpolicy_core::model::Eni> = model
        .enis()
        .iter()
        .filter(|e| e.private_ips.iter().any(|ip| net.contains(ip)))
        .collect();
    // Which interfaces of the prefix are served, decided in bulk; the first,
    // in model order, with its first member is the example.
    let others: Vec<Endpoint> = (in_prefix.iter())
        .map(|e| Endpoint::Eni(e.meta.id.clone()))
        .collect();
    let (srcs, dsts) = if egress {
        (members, &others[..])
    } else {
        (&others[..], members)
    };
    // Per interface of the prefix, the first member it is served with.
    let mut first: BTreeMap<usize, usize> = BTreeMap::new();
    for pair in engine.reaching(srcs, dsts, &traffic).pairs() {
        let (other, member) = if egress {
            (pair.dst, pair.src)
        } else {
            (pair.src, pair.dst)
        };
        let slot = first.entry(other).or_insert(member);
        *slot = (*slot).min(member);
    }
    let mut served = Vec::new();
    let mut suggestion = BTreeSet::new();
    for &other in first.keys() {
        if let Some(e) = in_prefix.get(other) {
            served.push(e.meta.id.clone());
            suggestion.extend(e.security_groups.iter().cloned());
        }
    }
    let example = first.iter().next().and_then(|(&other, &member)| {
        let (o, m) = (others.get(other)?, members.get(member)?);
        let (src, dst) = if egress { (m, o) } else { (o, m) };
        let packets = engine.reach(src, dst, &traffic).packets();
        Some((src.clone(), dst.clone(), packets))
    });
    let addresses = range.len();
    if addresses <= ADDRESSES_PER_INTERFACE * served.len() as u64 {
        return None;
    }
    let (example_src, example_dst, packets) = example.unwrap_or_else(|| {
        let first = members.first().cloned().unwrap_or(Endpoint::Internet);
        (first.clone(), first, PacketSet::empty())
    });
    let word = if egress { "to" } else { "from" };
    Some(BroadRule {
        group: group.to_string(),
        direction: if egress { "egress" } else { "ingress" },
        rule: format!("{} {word} {net}", rule.traffic),
        addresses,
        served,
        suggestion: suggestion.into_iter().collect(),
        example_src,
        example_dst,
        packets,
    })
}
