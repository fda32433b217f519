//! Network ACLs: stateless, ordered, first match wins, implicit deny. Here an
//! entry list becomes the set of packets it lets through, and here the entry that
//! decides a packet is found.

use super::path::RuleRef;
use super::rules::{cidr_set, traffic_packets};
use crate::model::{Model, NaclAction, NetworkAcl};
use crate::packet::{Dim, Packet, PacketSet};
use foldhash::{HashMap, HashMapExt};

/// One entry, compiled.
struct CompiledEntry {
    packets: PacketSet,
    allow: bool,
    rule: RuleRef,
}

/// One direction of a NACL: entries by ascending rule number and what passes.
pub(crate) struct Direction {
    entries: Vec<CompiledEntry>,
    /// The packets the direction lets through (forward coordinates of that packet).
    pub(crate) allowed: PacketSet,
    /// The forward packets whose reply this direction lets through (for return
    /// hops), computed once.
    pub(crate) allowed_replies: PacketSet,
    object: String,
    /// `Some(why)` when the direction lets everything through without entries.
    open_rule: Option<&'static str>,
    span: Option<crate::span::Span>,
}

/// A subnet's NACL, both directions.
pub(crate) struct CompiledNacl {
    pub(crate) ingress: Direction,
    pub(crate) egress: Direction,
}

/// Every NACL of the model compiled once, and which one each subnet uses.
pub(crate) struct Nacls {
    by_key: HashMap<String, CompiledNacl>,
    subnet_key: HashMap<String, String>,
}

impl Nacls {
    /// The NACL a subnet uses.
    pub(crate) fn for_subnet(&self, subnet: &str) -> Option<&CompiledNacl> {
        self.subnet_key.get(subnet).and_then(|k| self.by_key.get(k))
    }
}

/// Compiles the NACL of every subnet (explicit, else its VPC's default NACL,
/// else the implicit default that allows everything).
pub(crate) fn compile(model: &Model) -> Nacls {
    let mut by_key = HashMap::new();
    let mut subnet_key = HashMap::new();
    for subnet in model.subnets() {
        if model.ignored().network_acls {
            let key = "network ACLs ignored".to_string();
            by_key.entry(key.clone()).or_insert_with(|| {
                open(
                    "network ACLs".into(),
                    "ignored (`ignoring nacl`): allows all",
                )
            });
            subnet_key.insert(subnet.meta.id.clone(), key);
            continue;
        }
        let key = match model.subnet_network_acl(subnet) {
            Some(acl) => {
                by_key
                    .entry(acl.meta.id.clone())
                    .or_insert_with(|| CompiledNacl {
                        ingress: compile_direction(acl, false),
                        egress: compile_direction(acl, true),
                    });
                acl.meta.id.clone()
            }
            None => {
                let key = format!("implicit default NACL of {}", subnet.vpc);
                by_key.entry(key.clone()).or_insert_with(|| {
                    open(
                        format!("default network ACL of vpc {}", subnet.vpc),
                        "allows all (no NACL declared)",
                    )
                });
                key
            }
        };
        subnet_key.insert(subnet.meta.id.clone(), key);
    }
    Nacls { by_key, subnet_key }
}

/// A NACL that lets everything through both ways: the implicit default of a
/// VPC without one, or any NACL an assertion ignores. `rule` says which.
fn open(object: String, rule: &'static str) -> CompiledNacl {
    let direction = || Direction {
        entries: Vec::new(),
        allowed: PacketSet::all(),
        allowed_replies: PacketSet::all(),
        object: object.clone(),
        open_rule: Some(rule),
        span: None,
    };
    CompiledNacl {
        ingress: direction(),
        egress: direction(),
    }
}

fn compile_direction(acl: &NetworkAcl, egress: bool) -> Direction {
    let object = format!("network ACL {}", acl.meta.label());
    let remote = if egress { Dim::DstAddr } else { Dim::SrcAddr };
    let mut sorted: Vec<_> = acl.entries.iter().filter(|e| e.egress == egress).collect();
    sorted.sort_by_key(|e| e.rule_number);
    let entries: Vec<CompiledEntry> = sorted
        .into_iter()
        .map(|e| {
            let allow = e.action == NaclAction::Allow;
            let word = if egress { "to" } else { "from" };
            CompiledEntry {
                packets: traffic_packets(&e.traffic).restrict(remote, &cidr_set(&e.cidr)),
                allow,
                rule: RuleRef {
                    object: object.clone(),
                    rule: format!(
                        "{} rule {} {} {} {word} {}",
                        if egress { "egress" } else { "ingress" },
                        e.rule_number,
                        if allow { "allow" } else { "deny" },
                        e.traffic,
                        e.cidr
                    ),
                    span: e.span.or(acl.meta.span),
                },
            }
        })
        .collect();
    // First match wins: each entry decides only what no earlier entry matched.
    let mut undecided = PacketSet::all();
    let mut allowed = PacketSet::empty();
    for e in &entries {
        let decided = undecided.intersect(&e.packets);
        if e.allow {
            allowed = allowed.union(&decided);
        }
        undecided = undecided.difference(&e.packets);
        if undecided.is_empty() {
            break;
        }
    }
    Direction {
        entries,
        // ICMP messages that are not requests expect no reply: no return hop stops them.
        allowed_replies: allowed.return_preimage().union(&PacketSet::without_reply()),
        allowed,
        object,
        open_rule: None,
        span: acl.meta.span,
    }
}

impl Direction {
    /// The entry that decides `packet` (the packet as this direction sees it).
    pub(crate) fn decide(&self, packet: &Packet) -> RuleRef {
        if let Some(rule) = self.open_rule {
            return RuleRef {
                object: self.object.clone(),
                rule: rule.into(),
                span: None,
            };
        }
        self.entries
            .iter()
            .find(|e| e.packets.contains(packet))
            .map(|e| e.rule.clone())
            .unwrap_or_else(|| RuleRef {
                object: self.object.clone(),
                rule: "rule * deny (no entry matches)".into(),
                span: self.span,
            })
    }
}
