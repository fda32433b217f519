//! `netpolicy explain`: one service, hop by hop.

use super::{flush, load, print_trace, service};
use crate::Outcome;
use crate::args::ExplainArgs;
use miette::Report;
use netpolicy_core::engine::{Endpoint, Engine};
use netpolicy_core::packet::{Dim, IntervalSet, Packet};
use netpolicy_lang::resolve_endpoint;

/// Runs the command.
pub fn run(args: &ExplainArgs) -> Result<Outcome, Report> {
    let model = load(&args.model)?;
    let query = service(&args.service)?;
    let srcs = resolve_endpoint(&model, &args.src).map_err(Report::new)?;
    let dsts = resolve_endpoint(&model, &args.dst).map_err(Report::new)?;
    let engine = Engine::new(&model);
    for src in &srcs {
        for dst in &dsts {
            println!("{src} -> {dst} : {}", args.service);
            let reach = engine.reach(src, dst, &query);
            if reach.is_empty() {
                let samples = blocked_samples(&engine, src, dst, &query);
                if samples.is_empty() {
                    println!("  no path can carry this service between these endpoints");
                }
                for packet in samples {
                    println!("  packet {packet}");
                    for flow in engine.explain(src, dst, &packet) {
                        print_trace(&model, &flow);
                    }
                }
            }
            // One traced example per path that carries packets.
            for flow in &reach.flows {
                let Some(packet) = flow.packets.witness() else {
                    continue;
                };
                println!("  packet {packet}  ({})", flow.packets.service_summary());
                for traced in engine
                    .explain(src, dst, &packet)
                    .iter()
                    .filter(|t| t.kind == flow.kind)
                {
                    print_trace(&model, traced);
                }
            }
            println!();
        }
    }
    flush()?;
    Ok(Outcome::Ok)
}

/// Packets worth tracing when nothing arrives: the query's first packet from the
/// source's address to each of the destination's addresses.
fn blocked_samples(
    engine: &Engine<'_>,
    src: &Endpoint,
    dst: &Endpoint,
    query: &netpolicy_core::packet::PacketSet,
) -> Vec<Packet> {
    // Every address pair, but only the first address of the internet or on-premises.
    let addresses = |e: &Endpoint, include_public: bool| -> Vec<u32> {
        let all = engine.endpoint_addresses(e, include_public);
        match e {
            Endpoint::Eni(_) => all.ranges().iter().flat_map(|(a, b)| *a..=*b).collect(),
            _ => all.first().into_iter().collect(),
        }
    };
    let mut out = Vec::new();
    for s in addresses(src, false) {
        for d in addresses(dst, true) {
            let p = query
                .restrict(Dim::SrcAddr, &IntervalSet::single(s))
                .restrict(Dim::DstAddr, &IntervalSet::single(d));
            out.extend(p.witness());
        }
    }
    out
}
