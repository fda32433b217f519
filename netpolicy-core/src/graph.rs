//! Who reaches whom, as a picture: interface classes' flows gathered into
//! nodes (VPCs, subnets, security groups or the classes themselves), the
//! internet and on-premises as nodes of their own, edges labelled with the
//! services they carry; rendered as Graphviz DOT, Mermaid (each VPC a
//! cluster) or a self-contained HTML page. Computed by class
//! (`Engine::class_matrix`), once for every grouping ([`Flows`]), so the
//! picture is exact, not sampled. A flow through a load balancer is drawn as
//! its two legs: from the source to the load balancer's node (an interface
//! of its subnet) and from the node to the target.

use crate::engine::{Endpoint, Engine, EniClass, PathKind};
use crate::packet::{Cube, Dim, IntervalSet, PacketSet};
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

impl Grouping {
    /// The grouping in words (`subnet`, `vpc`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Grouping::Vpc => "vpc",
            Grouping::Subnet => "subnet",
            Grouping::SecurityGroup => "security group",
            Grouping::Class => "interface class",
        }
    }
}

/// A node: a group of interfaces, the internet or on-premises.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node {
    /// A stable identifier (the group's id, `internet`, `onprem`).
    pub id: String,
    /// How many interfaces it holds (0 for the internet and on-premises).
    pub interfaces: usize,
    /// The VPC it lies in, drawn as a cluster around it (`None` for the
    /// internet, on-premises, VPC nodes and folded nodes).
    pub vpc: Option<String>,
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
    /// The services carried, as reports spell them (`tcp/22, tcp/443`), or
    /// by name once [`Graph::name_services`] ran (`ssh, https`).
    pub services: String,
    /// Whether a policy violation concerns it.
    pub highlight: Highlight,
}

/// The picture, ready to render.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Nodes, sorted, internet and on-premises first when present.
    pub nodes: Vec<Node>,
    /// Edges, sorted by source and destination; one per pair of nodes.
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

/// The services a flow carries: destination ports (ICMP: types) by
/// protocol. What an edge's label shows, and cheap to merge, unlike the
/// packet sets it is taken from.
type Services = BTreeMap<u8, IntervalSet>;

fn services_of(packets: &PacketSet) -> Services {
    packets.services().into_iter().collect()
}

fn merge(into: &mut Services, from: &Services) {
    for (protocol, ports) in from {
        let entry = into.entry(*protocol).or_insert_with(IntervalSet::empty);
        *entry = entry.union(ports);
    }
}

/// How reports spell `services` (`tcp/22, icmp type 8`).
fn summary(services: &Services) -> String {
    let packets = services.iter().fold(PacketSet::empty(), |acc, (p, ports)| {
        let cube = Cube::full()
            .with(Dim::Protocol, IntervalSet::single(u32::from(*p)))
            .with(Dim::DstPort, ports.clone());
        acc.union(&PacketSet::from_cube(cube))
    });
    packets.service_summary()
}

/// Every flow of a query between interface classes, the internet and
/// on-premises, computed once and drawn at any grouping ([`Flows::graph`]).
#[derive(Clone, Debug, Default)]
pub struct Flows {
    /// `(source class, destination class, services)`, an interface's
    /// traffic to itself left out.
    between: Vec<(usize, usize, Services)>,
    /// `(class, place, inbound, services)` with the internet and on-premises.
    outside: Vec<(usize, Endpoint, bool, Services)>,
    /// Flows a policy's violations are about.
    marked: Vec<Marked>,
    /// Whether [`Flows::focus`] left some classes out: nodes without a
    /// flow are then not drawn.
    focused: bool,
}

impl Flows {
    /// Every flow of `query`, with `marked` flows to highlight.
    pub fn of(engine: &Engine<'_>, query: &PacketSet, marked: &[Marked]) -> Flows {
        let classes = engine.classes();
        let between = (engine.class_matrix(query).into_iter())
            .map(|pair| {
                let packets = if pair.src == pair.dst {
                    (classes.get(pair.src.0))
                        .map(|c| without_self_traffic(engine, c, &pair.packets))
                        .unwrap_or_default()
                } else {
                    pair.packets
                };
                (pair.src.0, pair.dst.0, services_of(&packets))
            })
            .filter(|(_, _, services)| !services.is_empty())
            .collect();
        let outside = (outside_flows(engine, query, classes).into_iter())
            .map(|(class, place, inbound, packets)| (class, place, inbound, services_of(&packets)))
            .collect();
        Flows {
            between,
            outside,
            marked: marked.to_vec(),
            focused: false,
        }
    }

    /// Only the flows that start or end at an interface of `classes` (a
    /// `--focus`): the rest of the estate drops out of the picture.
    pub fn focus(&self, classes: &BTreeSet<usize>) -> Flows {
        Flows {
            between: (self.between.iter())
                .filter(|(s, d, _)| classes.contains(s) || classes.contains(d))
                .cloned()
                .collect(),
            outside: (self.outside.iter())
                .filter(|(c, _, _, _)| classes.contains(c))
                .cloned()
                .collect(),
            marked: self.marked.clone(),
            focused: true,
        }
    }

    /// The flows gathered into nodes by `grouping`.
    pub fn graph(&self, engine: &Engine<'_>, grouping: Grouping) -> Graph {
        let classes = engine.classes();
        let class_groups: Vec<Vec<String>> = classes
            .iter()
            .map(|c| groups_of(engine, c, grouping))
            .collect();
        let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
        // The VPC each node is drawn in: its interfaces' (a VPC node is none).
        let mut vpc_of: BTreeMap<String, String> = BTreeMap::new();
        for (c, groups) in classes.iter().zip(&class_groups) {
            let vpc = engine.model().subnet(&c.subnet).map(|s| s.vpc.clone());
            for g in groups {
                *sizes.entry(g.clone()).or_default() += c.enis.len();
                if let (Some(vpc), false) = (&vpc, grouping == Grouping::Vpc) {
                    vpc_of.entry(g.clone()).or_insert_with(|| vpc.clone());
                }
            }
        }
        let mut carried: BTreeMap<(String, String), Services> = BTreeMap::new();
        let mut add = |from: &[String], to: &[String], services: &Services| {
            for f in from {
                for t in to {
                    merge(carried.entry((f.clone(), t.clone())).or_default(), services);
                }
            }
        };
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for (src, dst, services) in &self.between {
            if let (Some(f), Some(t)) = (class_groups.get(*src), class_groups.get(*dst)) {
                add(f, t, services);
                touched.extend(f.iter().chain(t).cloned());
            }
        }
        for (class, endpoint, inbound, packets) in &self.outside {
            let Some(groups) = class_groups.get(*class) else {
                continue;
            };
            let place = [endpoint.name().to_string()];
            if *inbound {
                add(&place, groups, packets);
            } else {
                add(groups, &place, packets);
            }
            sizes.entry(place[0].clone()).or_default();
            touched.extend(groups.iter().chain(&place).cloned());
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
        for m in &self.marked {
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
            .map(|((from, to), services)| Edge {
                from: from.clone(),
                to: to.clone(),
                services: summary(services),
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
                touched.extend([from.clone(), to.clone()]);
            }
        }
        // A focused picture shows only what its flows touch.
        let focused = self.focused;
        edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        let mut nodes: Vec<Node> = sizes
            .into_iter()
            .filter(|(id, _)| !focused || touched.contains(id))
            .map(|(id, interfaces)| Node {
                vpc: vpc_of.get(&id).cloned(),
                id,
                interfaces,
            })
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
            grouping: grouping.name().into(),
        }
    }
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
        Flows::of(engine, query, marked).graph(engine, grouping)
    }

    /// Whether the picture stays within `nodes` nodes and `edges` edges.
    pub fn fits(&self, nodes: usize, edges: usize) -> bool {
        self.nodes.len() <= nodes && self.edges.len() <= edges
    }

    /// Writes each service the language names by its name (`names`: name
    /// and what it stands for, e.g. `("ssh", "tcp/22")`; only names that
    /// stand for one item are used).
    pub fn name_services(&mut self, names: &[(&str, &str)]) {
        let single: BTreeMap<&str, &str> = (names.iter())
            .filter(|(_, expansion)| !expansion.contains(','))
            .map(|(name, expansion)| (*expansion, *name))
            .collect();
        for e in &mut self.edges {
            let named: Vec<&str> = (e.services.split(", "))
                .map(|item| single.get(item).copied().unwrap_or(item))
                .collect();
            e.services = named.join(", ");
        }
    }

    /// The interface nodes [`Graph::fold`] would fold to keep `max_nodes`:
    /// all but those with the most edges (the internet and on-premises
    /// always stay).
    fn to_fold(&self, max_nodes: usize) -> BTreeSet<String> {
        let place = |id: &str| matches!(id, "internet" | "onprem");
        let inner: Vec<&Node> = self.nodes.iter().filter(|n| !place(&n.id)).collect();
        if inner.len() <= max_nodes {
            return BTreeSet::new();
        }
        let mut degree: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.edges {
            *degree.entry(e.from.as_str()).or_default() += 1;
            *degree.entry(e.to.as_str()).or_default() += 1;
        }
        let mut ranked: Vec<&Node> = inner;
        ranked.sort_by_key(|n| {
            (
                std::cmp::Reverse(degree.get(n.id.as_str()).copied()),
                n.id.clone(),
            )
        });
        let keep = max_nodes.saturating_sub(1);
        ranked.iter().skip(keep).map(|n| n.id.clone()).collect()
    }

    /// How many nodes and edges the picture has once folded to `max_nodes`
    /// ([`Graph::fold`]), without folding it.
    pub fn folded_size(&self, max_nodes: usize) -> (usize, usize) {
        let folded = self.to_fold(max_nodes);
        if folded.is_empty() {
            return (self.nodes.len(), self.edges.len());
        }
        let edges: BTreeSet<(Option<&String>, Option<&String>)> = (self.edges.iter())
            .map(|e| {
                let from = (!folded.contains(&e.from)).then_some(&e.from);
                let to = (!folded.contains(&e.to)).then_some(&e.to);
                (from, to)
            })
            .collect();
        (self.nodes.len() - folded.len() + 1, edges.len())
    }

    /// Keeps at most `max_nodes` interface nodes: those with the most edges
    /// stay, the others become one node (`N other vpcs`), their edges merged.
    /// The internet and on-premises always stay.
    pub fn fold(&mut self, max_nodes: usize) {
        let folded = self.to_fold(max_nodes);
        if folded.is_empty() {
            return;
        }
        let name = format!("{} other {}s", folded.len(), self.grouping);
        let interfaces = (self.nodes.iter())
            .filter(|n| folded.contains(&n.id))
            .map(|n| n.interfaces)
            .sum();
        self.nodes.retain(|n| !folded.contains(&n.id));
        self.nodes.push(Node {
            id: name.clone(),
            interfaces,
            vpc: None,
        });
        let rename = |id: &String| {
            if folded.contains(id) {
                name.clone()
            } else {
                id.clone()
            }
        };
        let mut merged: BTreeMap<(String, String), (BTreeSet<String>, Highlight)> = BTreeMap::new();
        for e in &self.edges {
            let entry = merged
                .entry((rename(&e.from), rename(&e.to)))
                .or_insert_with(|| (BTreeSet::new(), Highlight::None));
            entry.0.extend(e.services.split(", ").map(str::to_string));
            entry.1 = entry.1.max(e.highlight);
        }
        self.edges = merged
            .into_iter()
            .map(|((from, to), (services, highlight))| Edge {
                from,
                to,
                services: services.into_iter().collect::<Vec<_>>().join(", "),
                highlight,
            })
            .collect();
    }

    /// The nodes by the VPC cluster they are drawn in (`None`: outside any).
    fn clusters(&self) -> BTreeMap<Option<&str>, Vec<&Node>> {
        let mut out: BTreeMap<Option<&str>, Vec<&Node>> = BTreeMap::new();
        for n in &self.nodes {
            out.entry(n.vpc.as_deref()).or_default().push(n);
        }
        out
    }

    /// Graphviz DOT: `dot -Tsvg graph.dot > graph.svg`. Each VPC is a
    /// cluster; the internet and on-premises sit outside.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph netpolicy {\n  rankdir=LR;\n  compound=true;\n  node [shape=box, style=rounded];\n",
        );
        let node_line = |out: &mut String, n: &Node, indent: &str| {
            let label = node_label(n, &self.grouping);
            let shape = if n.interfaces == 0 && n.vpc.is_none() {
                ", shape=ellipse"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{indent}{} [label={}{shape}];",
                dot_quote(&n.id),
                dot_quote(&label)
            );
        };
        for (k, (vpc, nodes)) in self.clusters().into_iter().enumerate() {
            match vpc {
                None => nodes.iter().for_each(|n| node_line(&mut out, n, "  ")),
                Some(vpc) => {
                    let _ = writeln!(out, "  subgraph cluster_{k} {{");
                    let _ = writeln!(out, "    label={};", dot_quote(&format!("vpc {vpc}")));
                    let _ = writeln!(out, "    style=rounded;\n    color=gray;");
                    nodes.iter().for_each(|n| node_line(&mut out, n, "    "));
                    out.push_str("  }\n");
                }
            }
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
    /// inside a ```` ```mermaid ```` block. Each VPC is a subgraph.
    pub fn to_mermaid(&self) -> String {
        let ids: BTreeMap<&str, String> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
            .collect();
        let mut out = String::from("flowchart LR\n");
        let node_line = |out: &mut String, n: &Node, indent: &str| {
            let label = mermaid_text(&node_label(n, &self.grouping));
            let Some(id) = ids.get(n.id.as_str()) else {
                return;
            };
            if n.interfaces == 0 && n.vpc.is_none() {
                let _ = writeln!(out, "{indent}{id}((\"{label}\"))");
            } else {
                let _ = writeln!(out, "{indent}{id}[\"{label}\"]");
            }
        };
        for (k, (vpc, nodes)) in self.clusters().into_iter().enumerate() {
            match vpc {
                None => nodes.iter().for_each(|n| node_line(&mut out, n, "  ")),
                Some(vpc) => {
                    let _ = writeln!(out, "  subgraph vpc{k}[\"vpc {}\"]", mermaid_text(vpc));
                    nodes.iter().for_each(|n| node_line(&mut out, n, "    "));
                    out.push_str("  end\n");
                }
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

    /// One self-contained HTML page (no network access when viewed): the
    /// picture laid out in the browser, panned by dragging and zoomed with
    /// the wheel; clicking a node lists its flows.
    pub fn to_html(&self, title: &str) -> String {
        let nodes: Vec<serde_json::Value> = (self.nodes.iter())
            .map(|n| {
                serde_json::json!({
                    "id": n.id,
                    "label": node_label(n, &self.grouping),
                    "vpc": n.vpc,
                    "place": n.interfaces == 0 && n.vpc.is_none(),
                })
            })
            .collect();
        let edges: Vec<serde_json::Value> = (self.edges.iter())
            .map(|e| {
                serde_json::json!({
                    "from": e.from,
                    "to": e.to,
                    "services": e.services,
                    "highlight": match e.highlight {
                        Highlight::None => "none",
                        Highlight::Violating => "violating",
                        Highlight::Missing => "missing",
                    },
                })
            })
            .collect();
        let data = serde_json::json!({"nodes": nodes, "edges": edges, "grouping": self.grouping});
        // `</` cannot end the script early inside a JSON string.
        let data = data.to_string().replace("</", "<\\/");
        HTML_PAGE
            .replace("{{TITLE}}", &html_text(title))
            .replace("{{DATA}}", &data)
    }
}

/// The HTML page's template: `{{TITLE}}` and `{{DATA}}` (the graph as JSON)
/// are filled in by [`Graph::to_html`].
const HTML_PAGE: &str = include_str!("graph.html");

fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str, &str)]) -> Graph {
        let mut ids: BTreeSet<&str> = BTreeSet::new();
        for (a, b, _) in edges {
            ids.extend([*a, *b]);
        }
        Graph {
            nodes: (ids.into_iter())
                .map(|id| Node {
                    id: id.into(),
                    interfaces: usize::from(id != "internet"),
                    vpc: None,
                })
                .collect(),
            edges: (edges.iter())
                .map(|(from, to, services)| Edge {
                    from: (*from).into(),
                    to: (*to).into(),
                    services: (*services).into(),
                    highlight: Highlight::None,
                })
                .collect(),
            grouping: "vpc".into(),
        }
    }

    #[test]
    fn folding_keeps_the_busiest_nodes_and_merges_the_rest() {
        let mut g = graph(&[
            ("a", "b", "tcp/22"),
            ("a", "c", "tcp/80"),
            ("a", "d", "tcp/443"),
            ("internet", "a", "tcp/443"),
            ("c", "d", "tcp/22"),
        ]);
        assert_eq!(g.folded_size(2), (3, 3), "a, 3 others, internet");
        g.fold(2);
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["a", "internet", "3 other vpcs"]);
        let merged = (g.edges.iter())
            .find(|e| e.from == "a" && e.to == "3 other vpcs")
            .map(|e| e.services.clone());
        assert_eq!(merged.as_deref(), Some("tcp/22, tcp/443, tcp/80"));
        assert!(g.fits(3, 3));
    }

    #[test]
    fn services_take_their_names() {
        let mut g = graph(&[("a", "b", "tcp/22, tcp/8443, udp/53")]);
        g.name_services(&[("ssh", "tcp/22"), ("dns", "udp/53,tcp/53")]);
        assert_eq!(g.edges[0].services, "ssh, tcp/8443, udp/53");
    }
}
