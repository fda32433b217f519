//! Security groups: stateful allow lists. Here a rule becomes a packet set, and
//! here the rule that admits a packet is found.
//!
//! A rule whose peer is a security group matches the *private* addresses of that
//! group's member interfaces, never their public ones (docs/semantics.md).

use super::path::RuleRef;
use super::rules::{cidr_set, traffic_packets};
use crate::model::{Model, RulePeer, SecurityGroup, SecurityGroupRule};
use crate::packet::{Dim, IntervalSet, Packet, PacketSet};
use foldhash::{HashMap, HashMapExt, HashSet};
use rayon::prelude::*;
use std::sync::OnceLock;

/// One security group, compiled: forward packets it allows, per direction.
pub(crate) struct CompiledGroup {
    /// The group's position in the model, where [`SecurityGroups::decide`]
    /// finds its rules again.
    index: usize,
    /// (ingress, egress), built when a query first needs the group: a check
    /// of a few VPCs of a large estate, or a change review, uses few groups.
    sets: OnceLock<(PacketSet, PacketSet)>,
    span: Option<crate::span::Span>,
}

/// Every group of the model, compiled on first use. Only each direction's union is kept: the
/// rule that decides a packet is looked for again, rule by rule, when a trace
/// asks (a few packets per report), which on large models saves most of the
/// memory and time that compiling takes.
pub(crate) struct SecurityGroups {
    by_id: HashMap<String, CompiledGroup>,
    /// Private addresses of each group's member interfaces.
    members: HashMap<String, IntervalSet>,
}

impl SecurityGroups {
    /// Indexes every group of the model and its members' addresses; each
    /// group's rules are compiled when [`SecurityGroups::sets`] first asks.
    pub(crate) fn compile(model: &Model) -> SecurityGroups {
        let members = member_addresses(model);
        let by_id = model
            .security_groups()
            .iter()
            .enumerate()
            .map(|(index, sg)| {
                let compiled = CompiledGroup {
                    index,
                    span: sg.meta.span,
                    sets: OnceLock::new(),
                };
                (sg.meta.id.clone(), compiled)
            })
            .collect();
        SecurityGroups { by_id, members }
    }

    /// What group `g` of `model` (the model it was indexed from) allows:
    /// (ingress, egress), compiled once.
    pub(crate) fn sets<'g>(
        &self,
        model: &Model,
        g: &'g CompiledGroup,
    ) -> &'g (PacketSet, PacketSet) {
        g.sets
            .get_or_init(|| match model.security_groups().get(g.index) {
                Some(sg) => (
                    union(model, &sg.ingress, Dim::SrcAddr, &self.members),
                    union(model, &sg.egress, Dim::DstAddr, &self.members),
                ),
                None => (PacketSet::empty(), PacketSet::empty()),
            })
    }

    /// The compiled group with this id.
    pub(crate) fn get(&self, id: &str) -> Option<&CompiledGroup> {
        self.by_id.get(id)
    }

    /// Takes over from `other`, which indexes `other_model` (another version
    /// of `model`), every group it has compiled that means the same packets
    /// here: a change review compiles the groups a change left alone once.
    /// Returns the ids of every group that means the same in both.
    pub(crate) fn adopt<'m>(
        &self,
        model: &'m Model,
        other: &SecurityGroups,
        other_model: &Model,
    ) -> HashSet<&'m str> {
        let same: HashSet<&str> = model
            .security_groups()
            .par_iter()
            .filter(|sg| self.same_meaning(model, sg, other, other_model))
            .map(|sg| sg.meta.id.as_str())
            .collect();
        for id in &same {
            let (Some(mine), Some(theirs)) = (self.by_id.get(*id), other.by_id.get(*id)) else {
                continue;
            };
            if let Some(sets) = theirs.sets.get() {
                // Already set when a query compiled it here first: equal.
                let _ = mine.sets.set(sets.clone());
            }
        }
        same
    }

    /// Whether `sg` of `model` allows the same packets as the group with its
    /// id in `other_model`: the same traffic and peers, in order, with the
    /// same addresses behind every group and prefix-list peer.
    fn same_meaning(
        &self,
        model: &Model,
        sg: &SecurityGroup,
        other: &SecurityGroups,
        other_model: &Model,
    ) -> bool {
        let Some(theirs) = other_model.security_group(&sg.meta.id) else {
            return false;
        };
        let peer_alike = |peer: &RulePeer| match peer {
            RulePeer::Cidr(_) => true,
            RulePeer::SecurityGroup(id) => self.members.get(id) == other.members.get(id),
            RulePeer::PrefixList(id) => {
                model.prefix_list(id).map(|p| &p.cidrs)
                    == other_model.prefix_list(id).map(|p| &p.cidrs)
            }
        };
        let alike = |a: &[SecurityGroupRule], b: &[SecurityGroupRule]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x.traffic == y.traffic && x.peer == y.peer && peer_alike(&x.peer))
        };
        alike(&sg.ingress, &theirs.ingress) && alike(&sg.egress, &theirs.egress)
    }

    /// The rule of `groups` that allows `packet`, or a "no rule allows" reference.
    pub(crate) fn decide(
        &self,
        model: &Model,
        groups: &[&CompiledGroup],
        names: &[String],
        packet: &Packet,
        egress: bool,
    ) -> RuleRef {
        let found = groups.iter().find_map(|g| {
            let sg = model.security_groups().get(g.index)?;
            let (rules, dim) = if egress {
                (&sg.egress, Dim::DstAddr)
            } else {
                (&sg.ingress, Dim::SrcAddr)
            };
            rules
                .iter()
                .find(|r| rule_packets(model, r, dim, &self.members).contains(packet))
                .map(|r| rule_ref(sg, r, egress))
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
}

/// Private addresses of each group's member interfaces.
fn member_addresses(model: &Model) -> HashMap<String, IntervalSet> {
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
        .map(|(k, v)| (k.to_string(), IntervalSet::from_ranges(v)))
        .collect()
}

fn peer_addresses(
    model: &Model,
    peer: &RulePeer,
    members: &HashMap<String, IntervalSet>,
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

/// The packets one rule allows; `dim` is the peer's address (the source for
/// ingress rules, the destination for egress rules).
fn rule_packets(
    model: &Model,
    rule: &SecurityGroupRule,
    dim: Dim,
    members: &HashMap<String, IntervalSet>,
) -> PacketSet {
    traffic_packets(&rule.traffic).restrict(dim, &peer_addresses(model, &rule.peer, members))
}

/// What one direction's rules allow together.
fn union(
    model: &Model,
    rules: &[SecurityGroupRule],
    dim: Dim,
    members: &HashMap<String, IntervalSet>,
) -> PacketSet {
    rules.iter().fold(PacketSet::empty(), |acc, r| {
        acc.union(&rule_packets(model, r, dim, members))
    })
}

fn rule_ref(sg: &SecurityGroup, r: &SecurityGroupRule, egress: bool) -> RuleRef {
    let (dir, word) = if egress {
        ("egress", "to")
    } else {
        ("ingress", "from")
    };
    let implicit = if r.implicit {
        " (implicit default rule)"
    } else {
        ""
    };
    RuleRef {
        object: format!("security group {}", sg.meta.label()),
        rule: format!(
            "{dir} {} {word} {}{implicit}",
            r.traffic,
            describe_peer(&r.peer)
        ),
        span: r.span.or(sg.meta.span),
    }
}

fn describe_peer(peer: &RulePeer) -> String {
    match peer {
        RulePeer::Cidr(net) => net.to_string(),
        RulePeer::SecurityGroup(id) => format!("sg {id}"),
        RulePeer::PrefixList(id) => format!("prefix list {id}"),
    }
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
    /// Takes over from `other` every union it has computed whose groups
    /// all mean the same in both versions (`same`, from
    /// [`SecurityGroups::adopt`]).
    pub(crate) fn adopt(&self, other: &GroupSets, same: &HashSet<&str>) {
        for (key, &i) in &self.index {
            if !key.iter().all(|g| same.contains(g.as_str())) {
                continue;
            }
            let theirs = other.index.get(key).and_then(|&j| other.sets.get(j));
            if let (Some(mine), Some(set)) = (self.sets.get(i), theirs.and_then(OnceLock::get)) {
                let _ = mine.set(GroupSet {
                    ingress: set.ingress.clone(),
                    egress: set.egress.clone(),
                });
            }
        }
    }

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

    /// The compiled union of `groups` (any order), from the groups of
    /// `model` as `compiled` indexes them.
    pub(crate) fn of(
        &self,
        groups: &[String],
        compiled: &SecurityGroups,
        model: &Model,
    ) -> Option<&GroupSet> {
        let k = key(groups);
        let cell = self.sets.get(*self.index.get(&k)?)?;
        Some(cell.get_or_init(|| {
            let members: Vec<&(PacketSet, PacketSet)> = k
                .iter()
                .filter_map(|g| compiled.get(g))
                .map(|g| compiled.sets(model, g))
                .collect();
            let union = |f: fn(&(PacketSet, PacketSet)) -> &PacketSet| {
                members
                    .iter()
                    .fold(PacketSet::empty(), |acc, g| acc.union(f(g)))
            };
            GroupSet {
                ingress: union(|g| &g.0),
                egress: union(|g| &g.1),
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
