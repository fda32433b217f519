//! Who reaches whom, as a picture: interface classes' flows gathered into
//! nodes (VPCs, subnets, security groups or the classes themselves), the
//! internet and on-premises as nodes of their own, edges labelled with the
//! services they carry; rendered as Graphviz DOT or Mermaid. Computed by class
//! (`Engine::class_matrix`), so the picture is exact, not sampled. A flow
//! through a load balancer is drawn as its two legs: from the source to the
//! load balancer's node (an interface of its subnet) and from the node to the
//! target.

use crate::engine::{Endpoint, Engine, EniClass, PathKind};
use crate::packet::{Dim, PacketSet};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// What a node of the picture stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grouping {
    /// One node per VPC.
    Vpc,
    /// One node per subnet.
    Subnet,
    /// One node per security group (an interface in several groups is in
    /// each of their nodes).
    SecurityGroup,
    /// One node per interface class (same subnet, same security groups).
    Class,
}

/// A node: a group of interfaces, the internet or on-premises.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node {
    /// A stable identifier (the group's id, `internet`, `onprem`).
    pub id: String,
    /// How many interfaces it holds (0 for the internet and on-premises).
    pub interfaces: usize,
}

/// Whether an edge is one a policy's violation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Highlight {
    /// Drawn plainly.
    None,
    /// A flow that exists and an assertion says must not.
    Violating,
    /// A flow an assertion requires and the network does not carry (drawn
    /// even though nothing flows).
    Missing,
}

/// An edge: what one node's interfaces can open on another's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Destination node id.
    pub to: String,
    /// The services carried, as reports spell them (`tcp/22, tcp/443`).
    pub services: String,
    /// Whether a policy violation concerns it.
    pub highlight: Highlight,
}

/// The picture, ready to render.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Nodes, sorted, internet and on-premises first when present.
    pub nodes: Vec<Node>,
    /// Edges, sorted by source and destination.
    pub edges: Vec<Edge>,
    /// What the nodes stand for, in words (`subnet`, `vpc`, ...).
    pub grouping: String,
}

/// A flow to mark: from one endpoint to another (as a report names them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    /// Source.
    pub from: Endpoint,
    /// Destination.
    pub to: Endpoint,
    /// Violating (exists, must not) or missing (required, absent).
    pub highlight: Highlight,
}

impl Graph {
    /// Every flow of `query` between the network's interfaces, the internet
    /// and on-premises, gathered by `grouping`, with `marked` flows
    /// highlighted.
    pub fn of(
        engine: &Engine<'_>,
        query: &PacketSet,
        grouping: Grouping,
        marked: &[Marked],
    ) -> Graph {
        let classes = engine.classes();
        let class_groups: Vec<Vec<String>> = classes
            .iter()
            .map(|c| groups_of(engine, c, grouping))
            .collect();
        let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
        for (c, groups) in classes.iter().zip(&class_groups) {
            for g in groups {
                *sizes.entry(g.clone()).or_default() += c.enis.len();
            }
        }
        let mut carried: BTreeMap<(String, String), PacketSet> = BTreeMap::new();
        let mut add = |from: &[String], to: &[String], packets: &PacketSet| {
            for f in from {
                for t in to {
                    let entry = carried.entry((f.clone(), t.clone())).or_default();
                    *entry = entry.union(packets);
                }
            }
        };
        for pair in engine.class_matrix(query) {
            let packets = if pair.src == pair.dst {
                classes
                    .get(pair.src.0)
                    .map(|c| without_self_traffic(engine, c, &pair.packets))
                    .unwrap_or_default()
            } else {
                pair.packets
            };
            if let (Some(f), Some(t)) = (class_groups.get(pair.src.0), class_groups.get(pair.dst.0))
            {
                add(f, t, &packets);
            }
        }
        let outside = outside_flows(engine, query, classes);
        for (class, endpoint, inbound, packets) in &outside {
            let (Some(groups), name) = (class_groups.get(*class), endpoint.name()) else {
                continue;
            };
            let place = [name.to_string()];
            if *inbound {
                add(&place, groups, packets);
            } else {
                add(groups, &place, packets);
            }
            sizes.entry(name.to_string()).or_default();
        }
        let eni_groups = |e: &Endpoint| -> Vec<String> {
            match e {
                Endpoint::Eni(id) => engine
                    .class_of(id)
                    .and_then(|c| class_groups.get(c.0).cloned())
                    .unwrap_or_default(),
                other => vec![other.name().to_string()],
            }
        };
        let mut highlights: BTreeMap<(String, String), Highlight> = BTreeMap::new();
        for m in marked {
            for f in eni_groups(&m.from) {
                for t in eni_groups(&m.to) {
                    let h = highlights.entry((f.clone(), t)).or_insert(Highlight::None);
                    *h = (*h).max(m.highlight);
                }
            }
        }
        let mut edges: Vec<Edge> = carried
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|((from, to), packets)| Edge {
                from: from.clone(),
                to: to.clone(),
                services: packets.service_summary(),
                highlight: highlights
                    .get(&(from.clone(), to.clone()))
                    .copied()
                    .unwrap_or(Highlight::None),
            })
            .collect();
        // Required flows that do not exist still get an edge, to show the gap.
        for ((from, to), h) in &highlights {
            let drawn = carried
                .get(&(from.clone(), to.clone()))
                .is_some_and(|p| !p.is_empty());
            if *h == Highlight::Missing && !drawn {
                edges.push(Edge {
                    from: from.clone(),
                    to: to.clone(),
                    services: "(required, not carried)".into(),
                    highlight: Highlight::Missing,
                });
                sizes.entry(from.clone()).or_default();
                sizes.entry(to.clone()).or_default();
            }
        }
        edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        let mut nodes: Vec<Node> = sizes
            .into_iter()
            .map(|(id, interfaces)| Node { id, interfaces })
            .collect();
        nodes.sort_by_key(|n| {
            (
                !matches!(n.id.as_str(), "internet" | "onprem"),
                n.id.clone(),
            )
        });
        Graph {
            nodes,
            edges,
            grouping: match grouping {
                Grouping::Vpc => "vpc",
                Grouping::Subnet => "subnet",
                Grouping::SecurityGroup => "security group",
                Grouping::Class => "interface class",
            }
            .into(),
        }
    }

    /// Graphviz DOT: `dot -Tsvg graph.dot > graph.svg`.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph netpolicy {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n",
        );
        for n in &self.nodes {
            let label = node_label(n, &self.grouping);
            let shape = if n.interfaces == 0 {
                ", shape=ellipse"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} [label={}{shape}];",
                dot_quote(&n.id),
                dot_quote(&label)
            );
        }
        for e in &self.edges {
            let style = match e.highlight {
                Highlight::None => "",
                Highlight::Violating => ", color=red, fontcolor=red, penwidth=2",
                Highlight::Missing => ", color=red, fontcolor=red, style=dashed",
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{style}];",
                dot_quote(&e.from),
                dot_quote(&e.to),
                dot_quote(&e.services)
            );
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart, which renders in GitHub and GitLab pull requests
    /// inside a ```` ```mermaid ```` block.
    pub fn to_mermaid(&self) -> String {
        let ids: BTreeMap<&str, String> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
            .collect();
        let mut out = String::from("flowchart LR\n");
        for n in &self.nodes {
            let label = mermaid_text(&node_label(n, &self.grouping));
            let Some(id) = ids.get(n.id.as_str()) else {
                continue;
            };
            if n.interfaces == 0 {
                let _ = writeln!(out, "  {id}((\"{label}\"))");
            } else {
                let _ = writeln!(out, "  {id}[\"{label}\"]");
            }
        }
        let mut red = Vec::new();
        for (k, e) in self.edges.iter().enumerate() {
            let (Some(from), Some(to)) = (ids.get(e.from.as_str()), ids.get(e.to.as_str())) else {
                continue;
            };
            let arrow = if e.highlight == Highlight::Missing {
                "-.->"
            } else {
                "-->"
            };
            let _ = writeln!(
                out,
                "  {from} {arrow}|\"{}\"| {to}",
                mermaid_text(&e.services)
            );
            if e.highlight != Highlight::None {
                red.push(k.to_string());
            }
        }
        if !red.is_empty() {
            let _ = writeln!(
                out,
                "  linkStyle {} stroke:#d00,stroke-width:3px,color:#d00",
                red.join(",")
            );
        }
        out
    }
}

/// Per class, what the internet and on-premises open on it and what it opens
/// there: `(class, place, inbound, packets)`, the union over its members,
/// computed in bulk by class (`Engine::reach_between`).
fn outside_flows(
    engine: &Engine<'_>,
    query: &PacketSet,
    classes: &[EniClass],
) -> Vec<(usize, Endpoint, bool, PacketSet)> {
    let places = [Endpoint::Internet, Endpoint::OnPrem];
    let (enis, class_of): (Vec<Endpoint>, Vec<usize>) = classes
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.enis.iter().map(move |id| (Endpoint::Eni(id.clone()), i)))
        .unzip();
    // Through a load balancer: drawn as the node's legs.
    let carried = |reach: &crate::engine::Reach| {
        reach
            .flows
            .iter()
            .filter(|f| !matches!(f.kind, PathKind::LoadBalancer { .. }))
            .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets))
    };
    let mut union: BTreeMap<(usize, usize, bool), PacketSet> = BTreeMap::new();
    for pair in engine.reach_between(&places, &enis, query) {
        if let Some(&class) = class_of.get(pair.dst) {
            let entry = union.entry((class, pair.src, true)).or_default();
            *entry = entry.union(&carried(&pair.reach));
        }
    }
    for pair in engine.reach_between(&enis, &places, query) {
        if let Some(&class) = class_of.get(pair.src) {
            let entry = union.entry((class, pair.dst, false)).or_default();
            *entry = entry.union(&carried(&pair.reach));
        }
    }
    union
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .filter_map(|((class, place, inbound), packets)| {
            Some((class, places.get(place)?.clone(), inbound, packets))
        })
        .collect()
}

/// A class's packets to itself less what each member sends to its own
/// addresses: an interface reaching itself is no flow between two of them.
fn without_self_traffic(engine: &Engine<'_>, class: &EniClass, packets: &PacketSet) -> PacketSet {
    class.enis.iter().fold(packets.clone(), |acc, id| {
        let member = Endpoint::Eni(id.clone());
        let own = acc
            .restrict(Dim::SrcAddr, &engine.endpoint_addresses(&member, false))
            .restrict(Dim::DstAddr, &engine.endpoint_addresses(&member, true));
        acc.difference(&own)
    })
}

fn node_label(n: &Node, grouping: &str) -> String {
    match n.interfaces {
        0 => n.id.clone(),
        1 => format!("{} ({grouping}, 1 interface)", n.id),
        k => format!("{} ({grouping}, {k} interfaces)", n.id),
    }
}

fn dot_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Mermaid labels are quoted; a quote inside is written as its entity.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// The nodes a class's interfaces belong to under `grouping`.
fn groups_of(engine: &Engine<'_>, class: &EniClass, grouping: Grouping) -> Vec<String> {
    match grouping {
        Grouping::Class => vec![format!("C{}", class.id.0)],
        Grouping::Subnet => vec![class.subnet.clone()],
        Grouping::SecurityGroup if class.security_groups.is_empty() => {
            vec!["(no security group)".into()]
        }
        Grouping::SecurityGroup => class.security_groups.clone(),
        Grouping::Vpc => vec![
            engine
                .model()
                .subnet(&class.subnet)
                .map_or_else(|| class.subnet.clone(), |s| s.vpc.clone()),
        ],
    }
}

/// How many interface nodes `grouping` gives, for callers that decide
/// whether a picture is readable before drawing it.
pub fn node_count(engine: &Engine<'_>, grouping: Grouping) -> usize {
    engine
        .classes()
        .iter()
        .flat_map(|c| groups_of(engine, c, grouping))
        .collect::<BTreeSet<_>>()
        .len()
}
