//! Security groups: stateful allow lists. Here a rule becomes a packet set, and
//! here the rule that admits a packet is found.
//!
//! A rule whose peer is a security group matches the *private* addresses of that
//! group's member interfaces, never their public ones (DESIGN §3).

use super::path::RuleRef;
use super::rules::{cidr_set, traffic_packets};
use crate::model::{Model, RulePeer, SecurityGroup, SecurityGroupRule};
use crate::packet::{Dim, IntervalSet, Packet, PacketSet};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One rule, compiled.
struct CompiledRule {
    packets: PacketSet,
    rule: RuleRef,
}

/// One security group, compiled: forward packets it allows, per direction.
pub(crate) struct CompiledGroup {
    ingress_rules: Vec<CompiledRule>,
    egress_rules: Vec<CompiledRule>,
    pub(crate) ingress: PacketSet,
    pub(crate) egress: PacketSet,
    span: Option<crate::span::Span>,
}

/// Compiles every group of the model.
pub(crate) fn compile(model: &Model) -> HashMap<String, CompiledGroup> {
    let members = member_addresses(model);
    model
        .security_groups()
        .par_iter()
        .map(|sg| (sg.meta.id.clone(), compile_group(model, sg, &members)))
        .collect()
}

/// Private addresses of each group's member interfaces.
fn member_addresses(model: &Model) -> HashMap<&str, IntervalSet> {
    let mut ranges: HashMap<&str, Vec<(u32, u32)>> = HashMap::new();
    for eni in model.enis() {
        for sg in &eni.security_groups {
            let entry = ranges.entry(sg.as_str()).or_default();
            entry.extend(
                eni.private_ips
                    .iter()
                    .map(|ip| (u32::from(*ip), u32::from(*ip))),
            );
        }
    }
    ranges
        .into_iter()
        .map(|(k, v)| (k, IntervalSet::from_ranges(v)))
        .collect()
}

fn peer_addresses(
    model: &Model,
    peer: &RulePeer,
    members: &HashMap<&str, IntervalSet>,
) -> IntervalSet {
    match peer {
        RulePeer::Cidr(net) => cidr_set(net),
        RulePeer::SecurityGroup(id) => members.get(id.as_str()).cloned().unwrap_or_default(),
        RulePeer::PrefixList(id) => model.prefix_list(id).map_or_else(IntervalSet::empty, |pl| {
            pl.cidrs
                .iter()
                .fold(IntervalSet::empty(), |acc, n| acc.union(&cidr_set(n)))
        }),
    }
}

fn describe_peer(peer: &RulePeer) -> String {
    match peer {
        RulePeer::Cidr(net) => net.to_string(),
        RulePeer::SecurityGroup(id) => format!("sg {id}"),
        RulePeer::PrefixList(id) => format!("prefix list {id}"),
    }
}

fn compile_group(
    model: &Model,
    sg: &SecurityGroup,
    members: &HashMap<&str, IntervalSet>,
) -> CompiledGroup {
    let object = format!("security group {}", sg.meta.label());
    let compile_rules = |rules: &[SecurityGroupRule], dim: Dim, dir: &str, word: &str| {
        rules
            .iter()
            .map(|r| {
                let addrs = peer_addresses(model, &r.peer, members);
                let implicit = if r.implicit {
                    " (implicit default rule)"
                } else {
                    ""
                };
                CompiledRule {
                    packets: traffic_packets(&r.traffic).restrict(dim, &addrs),
                    rule: RuleRef {
                        object: object.clone(),
                        rule: format!(
                            "{dir} {} {word} {}{implicit}",
                            r.traffic,
                            describe_peer(&r.peer)
                        ),
                        span: r.span.or(sg.meta.span),
                    },
                }
            })
            .collect::<Vec<_>>()
    };
    let ingress_rules = compile_rules(&sg.ingress, Dim::SrcAddr, "ingress", "from");
    let egress_rules = compile_rules(&sg.egress, Dim::DstAddr, "egress", "to");
    let union = |rules: &[CompiledRule]| {
        rules
            .iter()
            .fold(PacketSet::empty(), |acc, r| acc.union(&r.packets))
    };
    CompiledGroup {
        span: sg.meta.span,
        ingress: union(&ingress_rules),
        egress: union(&egress_rules),
        ingress_rules,
        egress_rules,
    }
}

/// The rule of `groups` that allows `packet`, or a "no rule allows" reference.
pub(crate) fn decide(
    groups: &[&CompiledGroup],
    names: &[String],
    packet: &Packet,
    egress: bool,
) -> RuleRef {
    let found = groups.iter().find_map(|g| {
        let rules = if egress {
            &g.egress_rules
        } else {
            &g.ingress_rules
        };
        rules
            .iter()
            .find(|r| r.packets.contains(packet))
            .map(|r| r.rule.clone())
    });
    found.unwrap_or_else(|| RuleRef {
        object: format!("security groups {}", names.join(", ")),
        rule: format!(
            "no {} rule allows it (security groups deny by default)",
            if egress { "egress" } else { "ingress" }
        ),
        // The group itself is where a missing rule would go.
        span: groups.first().and_then(|g| g.span),
    })
}

/// What a set of security groups (an interface's) allows together: the union of
/// its groups, per direction.
pub(crate) struct GroupSet {
    pub(crate) ingress: PacketSet,
    pub(crate) egress: PacketSet,
}

/// The union of every security-group set some interface uses, computed once per
/// set rather than per interface and per query (on large models the unions of
/// groups with many referenced members dominate otherwise), and only when a
/// query first needs it: a check that touches a few VPCs of a large estate pays
/// for those.
pub(crate) struct GroupSets {
    index: HashMap<Vec<String>, usize>,
    sets: Vec<OnceLock<GroupSet>>,
    /// What an interface whose security groups are not enforced allows.
    pub(crate) unfiltered: PacketSet,
}

impl GroupSets {
    pub(crate) fn compile(model: &Model) -> GroupSets {
        let mut keys: Vec<Vec<String>> = model
            .enis()
            .iter()
            .filter(|e| e.sg_enforced)
            .map(|e| key(&e.security_groups))
            .collect();
        keys.sort();
        keys.dedup();
        GroupSets {
            sets: keys.iter().map(|_| OnceLock::new()).collect(),
            index: keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect(),
            unfiltered: PacketSet::all(),
        }
    }

    /// The compiled union of `groups` (any order), from the compiled `compiled`.
    pub(crate) fn of(
        &self,
        groups: &[String],
        compiled: &HashMap<String, CompiledGroup>,
    ) -> Option<&GroupSet> {
        let k = key(groups);
        let cell = self.sets.get(*self.index.get(&k)?)?;
        Some(cell.get_or_init(|| {
            let members: Vec<&CompiledGroup> = k.iter().filter_map(|g| compiled.get(g)).collect();
            let union = |f: fn(&CompiledGroup) -> &PacketSet| {
                members
                    .iter()
                    .fold(PacketSet::empty(), |acc, g| acc.union(f(g)))
            };
            GroupSet {
                ingress: union(|g| &g.ingress),
                egress: union(|g| &g.egress),
            }
        }))
    }
}

fn key(groups: &[String]) -> Vec<String> {
    let mut k = groups.to_vec();
    k.sort();
    k.dedup();
    k
}
