//! Route tables: longest-prefix match, over one address or a whole address set.
//!
//! Every table holds the implicit `local` route for each CIDR of its VPC; a subnet
//! without an explicit association uses its VPC's main table.

use super::path::RuleRef;
use super::rules::cidr_set;
use crate::model::{Model, RouteDestination, RouteTarget, Subnet, Vpc};
use crate::packet::{Dim, IntervalSet, PacketSet};
use foldhash::{HashMap, HashMapExt};
use ipnet::Ipv4Net;

/// One route, compiled.
pub(crate) struct RouteEntry {
    net: Ipv4Net,
    addrs: IntervalSet,
    pub(crate) target: RouteTarget,
    pub(crate) rule: RuleRef,
}

/// A route table, entries sorted by prefix length, longest first.
pub(crate) struct CompiledTable {
    entries: Vec<RouteEntry>,
    object: String,
    span: Option<crate::span::Span>,
}

impl CompiledTable {
    /// Splits `set` by the route its `dim` address takes. Packets no route matches
    /// come last, with `None`.
    pub(crate) fn partition(
        &self,
        set: &PacketSet,
        dim: Dim,
    ) -> Vec<(Option<&RouteEntry>, PacketSet)> {
        let mut out = Vec::new();
        let mut rest = set.clone();
        for e in &self.entries {
            if rest.is_empty() {
                break;
            }
            let part = rest.restrict(dim, &e.addrs);
            if !part.is_empty() {
                rest = rest.restrict(dim, &dim.full().difference(&e.addrs));
                out.push((Some(e), part));
            }
        }
        if !rest.is_empty() {
            out.push((None, rest));
        }
        out
    }

    /// Whether some route sends packets to a target netpolicy does not
    /// follow (a transit gateway, a middlebox interface).
    pub(crate) fn has_unfollowed(&self) -> bool {
        self.targets().any(|t| t.unfollowed().is_some())
    }

    /// Every route's target.
    pub(crate) fn targets(&self) -> impl Iterator<Item = &RouteTarget> {
        self.entries.iter().map(|e| &e.target)
    }

    /// The targets that win some of `addrs`, each with the addresses it wins.
    pub(crate) fn winners(&self, addrs: &IntervalSet) -> Vec<(&RouteTarget, IntervalSet)> {
        let mut out = Vec::new();
        let mut rest = addrs.clone();
        for e in &self.entries {
            if rest.is_empty() {
                break;
            }
            let won = rest.intersect(&e.addrs);
            if !won.is_empty() {
                rest = rest.difference(&e.addrs);
                out.push((&e.target, won));
            }
        }
        out
    }

    /// The reference for "no route matches".
    pub(crate) fn no_route(&self) -> RuleRef {
        RuleRef {
            object: self.object.clone(),
            rule: "no route matches: dropped".into(),
            span: self.span,
        }
    }
}

/// Every route table compiled once, and which one each subnet uses.
pub(crate) struct Routes {
    by_key: HashMap<String, CompiledTable>,
    subnet_key: HashMap<String, String>,
    /// Whether some table routes to a target netpolicy does not follow
    /// (asked once per interface by `exposure`: decided once here).
    unfollowed: bool,
}

impl Routes {
    /// Whether some table routes to a target netpolicy does not follow (a
    /// transit gateway, a middlebox interface).
    pub(crate) fn has_unfollowed(&self) -> bool {
        self.unfollowed
    }

    /// The table a subnet uses.
    pub(crate) fn for_subnet(&self, subnet: &str) -> Option<&CompiledTable> {
        self.subnet_key.get(subnet).and_then(|k| self.by_key.get(k))
    }
}

/// Compiles the route table of every subnet.
pub(crate) fn compile(model: &Model) -> Routes {
    let mut by_key = HashMap::new();
    let mut subnet_key = HashMap::new();
    for subnet in model.subnets() {
        let Some(vpc) = model.vpc(&subnet.vpc) else {
            continue;
        };
        let key = match model.subnet_route_table(subnet) {
            Some(t) => {
                by_key.entry(t.meta.id.clone()).or_insert_with(|| {
                    compile_table(
                        model,
                        vpc,
                        format!("route table {}", t.meta.label()),
                        Some(t),
                    )
                });
                t.meta.id.clone()
            }
            None => implicit_main(model, vpc, subnet, &mut by_key),
        };
        subnet_key.insert(subnet.meta.id.clone(), key);
    }
    let unfollowed = by_key.values().any(CompiledTable::has_unfollowed);
    Routes {
        by_key,
        subnet_key,
        unfollowed,
    }
}

fn implicit_main(
    model: &Model,
    vpc: &Vpc,
    subnet: &Subnet,
    by_key: &mut HashMap<String, CompiledTable>,
) -> String {
    let key = format!("implicit main route table of {}", subnet.vpc);
    by_key.entry(key.clone()).or_insert_with(|| {
        compile_table(
            model,
            vpc,
            format!("main route table of vpc {} (implicit)", vpc.meta.label()),
            None,
        )
    });
    key
}

fn compile_table(
    model: &Model,
    vpc: &Vpc,
    object: String,
    table: Option<&crate::model::RouteTable>,
) -> CompiledTable {
    let mut entries: Vec<RouteEntry> = vpc
        .cidr_blocks
        .iter()
        .map(|net| RouteEntry {
            net: *net,
            addrs: cidr_set(net),
            target: RouteTarget::Local,
            rule: RuleRef {
                object: object.clone(),
                rule: format!("{net} -> local"),
                span: None,
            },
        })
        .collect();
    for route in table.map(|t| t.routes.as_slice()).unwrap_or_default() {
        let nets: Vec<Ipv4Net> = match &route.destination {
            RouteDestination::Cidr(net) => vec![*net],
            RouteDestination::PrefixList(id) => model
                .prefix_list(id)
                .map(|p| p.cidrs.clone())
                .unwrap_or_default(),
        };
        for net in nets {
            entries.push(RouteEntry {
                net,
                addrs: cidr_set(&net),
                target: route.target.clone(),
                rule: RuleRef {
                    object: object.clone(),
                    rule: format!("{net} -> {}", route.target.describe()),
                    span: route.span.or(table.and_then(|t| t.meta.span)),
                },
            });
        }
    }
    // Stable sort: for equal prefixes the local route, listed first, wins.
    entries.sort_by_key(|e| std::cmp::Reverse(e.net.prefix_len()));
    CompiledTable {
        entries,
        object,
        span: table.and_then(|t| t.meta.span),
    }
}
