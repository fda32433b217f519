//! `netpolicy exposure`: what the internet can open, per interface.

use super::{describe_path, flush, load};
use crate::Outcome;
use crate::args::ModelArgs;
use miette::Report;
use netpolicy_core::engine::Engine;
use rayon::prelude::*;

/// Runs the command.
pub fn run(args: &ModelArgs) -> Result<Outcome, Report> {
    let model = load(args)?;
    let engine = Engine::new(&model);
    println!(
        "internet exposure of {} ({} interfaces)",
        args.model.display(),
        model.enis().len()
    );
    // Interfaces are independent: compute in parallel, print in model order.
    let reaches: Vec<_> = model
        .enis()
        .par_iter()
        .map(|eni| engine.internet_exposure(&eni.meta.id))
        .collect();
    let mut exposed = 0;
    for (eni, reach) in model.enis().iter().zip(reaches) {
        if reach.is_empty() {
            continue;
        }
        exposed += 1;
        println!(
            "\n{}  [{}]",
            eni.meta.label(),
            reach.packets().service_summary()
        );
        for flow in &reach.flows {
            println!(
                "  {}: {}",
                describe_path(&flow.kind),
                flow.packets.service_summary()
            );
        }
    }
    println!(
        "\n{exposed} of {} interfaces are reachable from the internet",
        model.enis().len()
    );
    flush()?;
    Ok(Outcome::Ok)
}
