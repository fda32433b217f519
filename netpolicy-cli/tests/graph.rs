//! `netpolicy graph` and the command line's selectors, as a user runs them.

mod common;
use common::netpolicy;

const WORKSHOP: &str = "tests/fixtures/cloudformation/inspector-reachability-workshop.json";

#[test]
fn graph_draws_dot_with_violations_in_red() {
    let (code, out, err) = netpolicy(&[
        "graph",
        "--model",
        WORKSHOP,
        "--service",
        "ssh",
        "--service",
        "mysql",
        "--by",
        "subnet",
        "--policy",
        "policies/inspector-workshop.np",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph netpolicy {"), "{out}");
    assert!(
        out.contains("\"internet\" [label=\"internet\", shape=ellipse];"),
        "{out}"
    );
    // The internet reaches the databases: the workshop's first finding.
    assert!(
        out.contains("\"internet\" -> \"WebAppDbSubnetAZ1\" [label=\"mysql\", color=red"),
        "{out}"
    );
    // The bastions cannot reach the PoC servers they should administer.
    assert!(
        out.contains(
            "\"BastionSubnetAZ1\" -> \"PoCPublicSubnetAZ1\" [label=\"(required, not carried)\""
        ),
        "{out}"
    );
    // An allowed flow stays plain.
    assert!(
        out.contains("\"BastionSubnetAZ1\" -> \"WebAppDbSubnetAZ1\" [label=\"ssh\"];"),
        "{out}"
    );
}

#[test]
fn graph_draws_mermaid_by_vpc() {
    let (code, out, err) = netpolicy(&[
        "graph",
        "--model",
        WORKSHOP,
        "--service",
        "ssh",
        "--by",
        "vpc",
        "--format",
        "mermaid",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("flowchart LR\n"), "{out}");
    assert!(
        out.contains("[\"BastionVPC (vpc, 2 interfaces)\"]"),
        "{out}"
    );
    assert!(out.contains("-->|\"ssh\"|"), "{out}");
    assert!(
        !out.contains("linkStyle"),
        "no policy, nothing in red:\n{out}"
    );
}

#[test]
fn explain_takes_the_languages_selectors() {
    let (code, out, err) = netpolicy(&[
        "explain",
        "--model",
        WORKSHOP,
        "instance:BastionAZ1",
        "instance:PoCServerAZ1 + instance:DbServerAZ1",
        "ssh",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("BastionAZ1/eni0 -> PoCServerAZ1/eni0 : ssh"),
        "{out}"
    );
    assert!(
        out.contains("BastionAZ1/eni0 -> DbServerAZ1/eni0 : ssh"),
        "{out}"
    );
    assert!(out.contains("REACHABLE"), "{out}");
    let (code, _, err) = netpolicy(&[
        "explain", "--model", WORKSHOP, "sg:Nope*", "internet", "ssh",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no security group matches `Nope*`"), "{err}");
}

#[test]
fn every_subcommand_shows_an_example() {
    for command in [
        "check", "query", "fmt", "exposure", "explain", "matrix", "graph", "diff", "collect",
        "gen", "init", "lsp",
    ] {
        let (code, out, _) = netpolicy(&[command, "--help"]);
        assert_eq!(code, 0, "{command}");
        assert!(
            out.contains(&format!("Examples:\n  netpolicy {command}")),
            "{command}: {out}"
        );
    }
    let (_, out, _) = netpolicy(&["--help"]);
    assert!(out.starts_with("Prove or refute reachability"), "{out}");
}

/// Checks DOT the way a parser would: balanced braces, statements ended,
/// and every edge between declared nodes. Returns (nodes, edges).
fn parse_dot(text: &str) -> (usize, usize) {
    let mut depth = 0i32;
    let mut nodes = std::collections::BTreeSet::new();
    let mut edges = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.ends_with('{') {
            depth += 1;
            continue;
        }
        if line == "}" {
            depth -= 1;
            assert!(depth >= 0, "unbalanced braces:\n{text}");
            continue;
        }
        assert!(line.ends_with(';'), "statement not ended: {line}");
        let quoted: Vec<&str> = line.split('"').collect();
        if line.contains(" -> ") {
            edges.push((quoted[1].to_string(), quoted[3].to_string()));
        } else if line.contains("[label=") && line.starts_with('"') {
            nodes.insert(quoted[1].to_string());
        }
    }
    assert_eq!(depth, 0, "unbalanced braces:\n{text}");
    for (from, to) in &edges {
        assert!(
            nodes.contains(from) && nodes.contains(to),
            "edge {from} -> {to} names an undeclared node:\n{text}"
        );
    }
    (nodes.len(), edges.len())
}

#[test]
fn the_default_picture_is_readable() {
    let (code, out, err) = netpolicy(&["graph", "--model", WORKSHOP]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("note: drawn by vpc"), "{err}");
    let (nodes, edges) = parse_dot(&out);
    assert!(
        nodes <= 30 && edges <= 30,
        "{nodes} nodes, {edges} edges:\n{out}"
    );
    // Services by name where the language has one.
    assert!(out.contains("ssh"), "{out}");

    let (code, out, err) = netpolicy(&["graph", "--model", WORKSHOP, "--by", "subnet"]);
    assert_eq!(code, 0, "{err}");
    parse_dot(&out);
    // Each VPC is a cluster; the internet stays outside every cluster.
    assert!(out.contains("subgraph cluster_"), "{out}");
    assert!(out.contains("label=\"vpc BastionVPC\";"), "{out}");
    let internet = out.find("\"internet\" [label").unwrap_or(0);
    assert!(internet < out.find("subgraph").unwrap_or(0), "{out}");
}

#[test]
fn mermaid_clusters_close_and_name_declared_nodes() {
    let (code, out, err) = netpolicy(&[
        "graph", "--model", WORKSHOP, "--by", "subnet", "--format", "mermaid",
    ]);
    assert_eq!(code, 0, "{err}");
    let opened = out.matches("  subgraph ").count();
    assert!(opened > 0, "{out}");
    assert_eq!(opened, out.matches("\n  end\n").count(), "{out}");
    let declared: std::collections::BTreeSet<&str> = out
        .lines()
        .filter_map(|l| {
            l.trim()
                .split(['[', '('])
                .next()
                .filter(|_| l.contains("[\"") || l.contains("((\""))
        })
        .collect();
    for line in out
        .lines()
        .filter(|l| l.contains("-->") || l.contains("-.->"))
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (from, to) = (words[0], words[words.len() - 1]);
        assert!(
            declared.contains(from) && declared.contains(to),
            "{line}\n{out}"
        );
    }
}

#[test]
fn the_html_page_is_self_contained() {
    let (code, out, err) = netpolicy(&["graph", "--model", WORKSHOP, "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("<!DOCTYPE html>"), "{out}");
    assert!(
        !out.contains("src=") && !out.contains("href="),
        "nothing fetched when viewed"
    );
    let start = out
        .find("<script id=\"graph-data\" type=\"application/json\">")
        .unwrap_or(0);
    let data = &out[start..];
    let data = &data[data.find('>').unwrap_or(0) + 1..data.find("</script>").unwrap_or(0)];
    let graph: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
    let nodes = graph["nodes"].as_array().map_or(0, Vec::len);
    assert!(nodes > 0 && nodes <= 30, "{data}");
    assert!(
        graph["edges"].as_array().is_some_and(|e| !e.is_empty()),
        "{data}"
    );
}

#[test]
fn focus_draws_part_of_the_estate() {
    let (code, out, err) = netpolicy(&[
        "graph",
        "--model",
        WORKSHOP,
        "--by",
        "subnet",
        "--focus",
        "instance:BastionAZ1",
    ]);
    assert_eq!(code, 0, "{err}");
    let (nodes, edges) = parse_dot(&out);
    assert!(edges > 0, "{out}");
    assert!(out.contains("\"BastionSubnetAZ1\""), "{out}");
    assert!(!out.contains("\"PoCPrivateSubnetAZ2\" ->"), "{out}");
    assert!(nodes < 19, "{out}");
    let (code, _, err) = netpolicy(&["graph", "--model", WORKSHOP, "--focus", "instance:Nope"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_generated_organization_gets_a_bounded_picture() {
    let dir = std::env::temp_dir().join(format!("netpolicy-graph-org-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let org = dir.join("org.json");
    let org = org.to_string_lossy();
    let (code, _, err) = netpolicy(&["gen", &org, "--preset", "M"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = netpolicy(&["graph", "--model", &org]);
    assert_eq!(code, 0, "{err}");
    let (nodes, edges) = parse_dot(&out);
    assert!(
        nodes <= 30 && edges <= 30,
        "{nodes} nodes, {edges} edges\n{err}"
    );
}
