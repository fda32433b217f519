//! `netpolicy graph`: who reaches whom, as DOT or Mermaid.

use super::{PolicyFile, flush, load, service};
use crate::Outcome;
use crate::args::{GraphArgs, GraphBy, GraphFormat};
use miette::Report;
use netpolicy_core::engine::Engine;
use netpolicy_core::graph::{Graph, Grouping, Highlight, Marked, node_count};
use netpolicy_core::packet::PacketSet;
use netpolicy_lang::check::{CheckOptions, Names, check_policy_options};
use netpolicy_lang::report::Status;

/// Beyond this many subnets, `--by auto` draws VPCs.
const READABLE_NODES: usize = 40;

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
    let grouping = match args.by {
        GraphBy::Vpc => Grouping::Vpc,
        GraphBy::Subnet => Grouping::Subnet,
        GraphBy::Sg => Grouping::SecurityGroup,
        GraphBy::Class => Grouping::Class,
        GraphBy::Auto => {
            let subnets = node_count(&engine, Grouping::Subnet);
            if subnets > READABLE_NODES {
                eprintln!(
                    "note: {subnets} subnets are more than a picture can show; drawing VPCs (--by subnet draws them anyway)"
                );
                Grouping::Vpc
            } else {
                Grouping::Subnet
            }
        }
    };
    let marked = marked_flows(args, &engine)?;
    let graph = Graph::of(&engine, &query, grouping, &marked);
    match args.format {
        GraphFormat::Dot => print!("{}", graph.to_dot()),
        GraphFormat::Mermaid => print!("{}", graph.to_mermaid()),
    }
    flush()?;
    Ok(Outcome::Ok)
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
