//! `netpolicy graph`: who reaches whom, as DOT, Mermaid or an HTML page.

use super::{PolicyFile, flush, load, service};
use crate::Outcome;
use crate::args::{GraphArgs, GraphBy, GraphFormat};
use miette::Report;
use netpolicy_core::engine::{Endpoint, Engine};
use netpolicy_core::graph::{Flows, Graph, Grouping, Highlight, Marked};
use netpolicy_core::packet::PacketSet;
use netpolicy_lang::check::{CheckOptions, Names, check_policy_options};
use netpolicy_lang::report::Status;
use netpolicy_lang::service::NAMED_SERVICES;
use std::collections::BTreeSet;

/// The most nodes a picture drawn by `--by auto` has (the internet and
/// on-premises included).
pub(crate) const NODE_BUDGET: usize = 30;

/// The most edges a picture drawn by `--by auto` has.
pub(crate) const EDGE_BUDGET: usize = 30;

/// Counterexamples read per violated assertion to mark its flows.
const MARKED_PER_ASSERTION: usize = 10_000;

/// Runs the command.
pub fn run(args: &GraphArgs) -> Result<Outcome, Report> {
    let model = load(&args.model)?;
    let query = match args.service.as_slice() {
        [] => PacketSet::client_traffic(),
        list => list.iter().try_fold(PacketSet::empty(), |acc, s| {
            Ok::<_, Report>(acc.union(&service(s)?))
        })?,
    };
    let engine = Engine::new(&model);
    let marked = marked_flows(args, &engine)?;
    let mut flows = Flows::of(&engine, &query, &marked);
    if let Some(selector) = &args.focus {
        flows = flows.focus(&focus_classes(&engine, selector)?);
    }
    let mut graph = match args.by {
        GraphBy::Auto => readable(&flows, &engine),
        GraphBy::Vpc => flows.graph(&engine, Grouping::Vpc),
        GraphBy::Subnet => flows.graph(&engine, Grouping::Subnet),
        GraphBy::Sg => flows.graph(&engine, Grouping::SecurityGroup),
        GraphBy::Class => flows.graph(&engine, Grouping::Class),
    };
    graph.name_services(NAMED_SERVICES);
    match args.format {
        GraphFormat::Dot => print!("{}", graph.to_dot()),
        GraphFormat::Mermaid => print!("{}", graph.to_mermaid()),
        GraphFormat::Html => {
            let name = args
                .model
                .model
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            let title = format!("netpolicy graph of {}", name.unwrap_or_default());
            print!("{}", graph.to_html(&title));
        }
    }
    flush()?;
    Ok(Outcome::Ok)
}

/// The finest picture within the budget: by subnet, else by VPC, else by
/// VPC with the least connected VPCs folded into one node. Says which.
fn readable(flows: &Flows, engine: &Engine<'_>) -> Graph {
    for grouping in [Grouping::Subnet, Grouping::Vpc] {
        let graph = flows.graph(engine, grouping);
        if graph.fits(NODE_BUDGET, EDGE_BUDGET) {
            eprintln!(
                "note: drawn by {} ({} nodes, {} edges; --by subnet, vpc, sg or class picks the level)",
                grouping.name(),
                graph.nodes.len(),
                graph.edges.len()
            );
            return graph;
        }
    }
    let whole = flows.graph(engine, Grouping::Vpc);
    let keep = (1..=NODE_BUDGET.saturating_sub(2))
        .rev()
        .find(|&keep| whole.folded_size(keep).1 <= EDGE_BUDGET)
        .unwrap_or(1);
    let mut graph = whole.clone();
    graph.fold(keep);
    eprintln!(
        "note: {} VPCs with {} edges are more than a picture can show: the least connected are folded into one node ({} nodes, {} edges; --focus SELECTOR draws part of the estate)",
        whole.nodes.len(),
        whole.edges.len(),
        graph.nodes.len(),
        graph.edges.len()
    );
    graph
}

/// The classes of the interfaces `selector` names.
fn focus_classes(engine: &Engine<'_>, selector: &str) -> Result<BTreeSet<usize>, Report> {
    let endpoints =
        netpolicy_lang::resolve::resolve_endpoint(engine.model(), selector).map_err(Report::new)?;
    let classes: BTreeSet<usize> = (endpoints.iter())
        .filter_map(|e| match e {
            Endpoint::Eni(id) => engine.class_of(id).map(|c| c.0),
            _ => None,
        })
        .collect();
    if classes.is_empty() {
        return Err(miette::miette!(
            "--focus `{selector}` names no network interface"
        ));
    }
    Ok(classes)
}
/// The flows of every violated assertion of `--policy`: existing flows an
/// assertion forbids, and required ones the network does not carry (their
/// trace ends in a denial).
fn marked_flows(args: &GraphArgs, engine: &Engine<'_>) -> Result<Vec<Marked>, Report> {
    let mut marked = Vec::new();
    let options = CheckOptions::default().max_counterexamples(MARKED_PER_ASSERTION);
    for path in &args.policy {
        let file = PolicyFile::read(path)?;
        let names = Names {
            policy: &file.name,
            model: "",
        };
        let report =
            check_policy_options(engine, &file.policy, &file.sources, names, &options, &|| {})
                .map_err(|e| file.cite(Report::new(e)))?;
        for v in report
            .verdicts
            .iter()
            .filter(|v| v.status == Status::Violated)
        {
            for c in &v.counterexamples {
                let blocked = c.hops.iter().any(|h| !h.allowed);
                marked.push(Marked {
                    from: c.source.clone(),
                    to: c.destination.clone(),
                    highlight: if blocked {
                        Highlight::Missing
                    } else {
                        Highlight::Violating
                    },
                });
            }
        }
    }
    Ok(marked)
}
