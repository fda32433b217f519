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
        out.contains("\"internet\" -> \"WebAppDbSubnetAZ1\" [label=\"tcp/3306\", color=red"),
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
        out.contains("\"BastionSubnetAZ1\" -> \"WebAppDbSubnetAZ1\" [label=\"tcp/22\"];"),
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
    assert!(out.contains("-->|\"tcp/22\"|"), "{out}");
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
        "check", "query", "fmt", "exposure", "explain", "matrix", "graph", "diff", "collect", "gen",
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
