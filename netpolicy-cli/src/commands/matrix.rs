//! `netpolicy matrix`: which interface classes reach which, per service.

use super::{flush, load, service};
use crate::Outcome;
use crate::args::{MatrixArgs, TableFormat};
use miette::Report;
use netpolicy_core::engine::{Engine, EniClass};
use netpolicy_core::packet::PacketSet;
use rayon::prelude::*;
use serde::Serialize;

/// Beyond this many classes the listing is left out unless `--all` asks for it.
const LIST_LIMIT: usize = 1_000;

/// Runs the command.
pub fn run(args: &MatrixArgs) -> Result<Outcome, Report> {
    let model = load(&args.model)?;
    let services: Vec<(&str, PacketSet)> = args
        .service
        .iter()
        .map(|s| Ok((s.as_str(), service(s)?)))
        .collect::<Result<_, Report>>()?;
    let engine = Engine::new(&model);
    let classes = engine.classes();
    let list = args.all || classes.len() <= LIST_LIMIT;
    if args.format == TableFormat::Json {
        return print_json(&engine, &services, list);
    }
    println!(
        "{} interface classes (same subnet and security groups):",
        classes.len()
    );
    if list {
        for c in classes {
            println!(
                "  C{}: {} in {} [{}]",
                c.id.0,
                c.enis.join(", "),
                c.subnet,
                c.security_groups.join(", ")
            );
        }
    }
    let queries: Vec<PacketSet> = services.iter().map(|(_, q)| q.clone()).collect();
    let bits = engine.service_matrix(&queries);
    let pairs = classes.len() * classes.len();
    println!();
    for (k, (name, _)) in services.iter().enumerate() {
        println!("{} of {pairs} class pairs exchange {name}", bits.count(k));
    }
    if !list {
        println!(
            "\nclass pairs not listed ({} classes, more than {LIST_LIMIT}): pass --all to list them",
            classes.len()
        );
        flush()?;
        return Ok(Outcome::Ok);
    }
    // The packets themselves, for the listing: one matrix over every service
    // asked, then split (each path filters the packets it is given, so the part
    // of a pair's packets in one service is what that service alone gives).
    let union = queries
        .iter()
        .fold(PacketSet::empty(), |acc, q| acc.union(q));
    let matrix = engine.class_matrix(&union);
    let carried: Vec<Vec<bool>> = matrix
        .par_iter()
        .map(|pair| {
            services
                .iter()
                .map(|(_, q)| pair.packets.intersects(q))
                .collect()
        })
        .collect();
    println!();
    for (pair, carried) in matrix.iter().zip(&carried) {
        for ((name, q), _) in services.iter().zip(carried).filter(|(_, c)| **c) {
            let packets = pair.packets.intersect(q);
            let label = if services.len() > 1 {
                format!(" [{name}]")
            } else {
                String::new()
            };
            println!(
                "  C{} -> C{}{label}: {}",
                pair.src.0,
                pair.dst.0,
                packets.service_summary()
            );
        }
    }
    flush()?;
    Ok(Outcome::Ok)
}

/// The JSON document of `matrix --format json`.
#[derive(Serialize)]
struct Document<'a> {
    classes: &'a [EniClass],
    services: Vec<ServiceRow<'a>>,
}

/// One service: how many class pairs exchange it and, when listed, which.
#[derive(Serialize)]
struct ServiceRow<'a> {
    service: &'a str,
    class_pairs: usize,
    /// `[source class, destination class]` by class id; absent beyond
    /// 1,000 classes unless `--all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pairs: Option<Vec<[usize; 2]>>,
}

fn print_json(
    engine: &Engine<'_>,
    services: &[(&str, PacketSet)],
    list: bool,
) -> Result<Outcome, Report> {
    use miette::IntoDiagnostic;
    let queries: Vec<PacketSet> = services.iter().map(|(_, q)| q.clone()).collect();
    let bits = engine.service_matrix(&queries);
    let classes = engine.classes();
    let rows = services
        .iter()
        .enumerate()
        .map(|(k, (name, _))| ServiceRow {
            service: name,
            class_pairs: bits.count(k),
            pairs: list.then(|| {
                classes
                    .iter()
                    .flat_map(|c| {
                        bits.row(k, c.id)
                            .iter()
                            .map(move |&d| [c.id.0, d as usize])
                            .collect::<Vec<_>>()
                    })
                    .collect()
            }),
        })
        .collect();
    let doc = Document {
        classes: if list { classes } else { &[] },
        services: rows,
    };
    println!("{}", serde_json::to_string_pretty(&doc).into_diagnostic()?);
    flush()?;
    Ok(Outcome::Ok)
}
