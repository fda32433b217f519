//! `netpolicy exposure`: what the internet can open, per interface.

use super::{flush, load};
use crate::Outcome;
use crate::args::{ExposureArgs, TableFormat};
use miette::{IntoDiagnostic, Report};
use netpolicy_core::engine::{Engine, InterfaceExposure, Opening};
use serde::Serialize;
use std::io::Write;

/// Source prefixes listed per service in text; JSON lists them all.
const PREFIXES_SHOWN: usize = 5;

/// The JSON document: the model, the exposed interfaces, the warnings.
#[derive(Serialize)]
struct Document<'a> {
    model: String,
    interfaces: usize,
    exposed: &'a [InterfaceExposure],
    warnings: Vec<String>,
}

/// Runs the command.
pub fn run(args: &ExposureArgs) -> Result<Outcome, Report> {
    let model = load(&args.model)?;
    let engine = Engine::new(&model);
    let exposed = engine.exposure();
    match args.format {
        TableFormat::Json => {
            let doc = Document {
                model: args.model.model.display().to_string(),
                interfaces: model.enis().len(),
                exposed: &exposed,
                warnings: model
                    .warnings()
                    .iter()
                    .map(|w| format!("{}: {}", w.code, w.message))
                    .collect(),
            };
            // Written out as it is serialized: the text of a large answer is
            // never held whole.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, &doc).into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
            out.flush().into_diagnostic()?;
        }
        TableFormat::Human => print_human(args, model.enis().len(), &exposed),
    }
    flush()?;
    Ok(Outcome::Ok)
}

fn print_human(args: &ExposureArgs, interfaces: usize, exposed: &[InterfaceExposure]) {
    println!(
        "internet exposure of {} ({interfaces} interfaces)",
        args.model.model.display()
    );
    let proven = |x: &&InterfaceExposure| x.undecided.is_empty();
    for x in exposed.iter().filter(|x| !x.open.is_empty()).filter(proven) {
        let public = x
            .public_ip
            .map(|ip| format!(" public {ip}"))
            .unwrap_or_default();
        println!("\n{}{public}", x.label);
        for o in &x.open {
            print_opening(o);
        }
        if !x.more_may_open.is_empty() {
            let parts = x.more_may_open.join("`, `");
            println!("  more may be open: rests on `{parts}`");
        }
    }
    let chosen: Vec<&InterfaceExposure> = exposed
        .iter()
        .filter(|x| !x.chosen_source_ports.is_empty())
        .collect();
    if !chosen.is_empty() {
        println!(
            "\nreachable only from chosen source ports (a client binding a port below 1024, e.g. `nmap -g 80`):"
        );
        for x in &chosen {
            println!("\n{}", x.label);
            for o in &x.chosen_source_ports {
                print_opening(o);
            }
        }
    }
    let undecided: Vec<&InterfaceExposure> =
        exposed.iter().filter(|x| !x.undecided.is_empty()).collect();
    if !undecided.is_empty() {
        println!(
            "\nmay be exposed: the answer rests on parts the input does not fix or netpolicy does not follow"
        );
        for x in &undecided {
            let parts = x.undecided.join("`, `");
            if x.open.is_empty() {
                println!(
                    "\n{} (nothing open as modelled; rests on `{parts}`)",
                    x.label
                );
            } else {
                println!("\n{} (open as modelled; rests on `{parts}`)", x.label);
            }
            for o in &x.open {
                print_opening(o);
            }
        }
    }
    let proven_open = exposed
        .iter()
        .filter(|x| !x.open.is_empty() && x.undecided.is_empty())
        .count();
    println!("\n{proven_open} of {interfaces} interfaces are reachable from the internet");
    if !undecided.is_empty() {
        println!(
            "{} more may be (listed under \"may be exposed\")",
            undecided.len()
        );
    }
    if !chosen.is_empty() {
        println!(
            "{} more open only to chosen source ports (`with any source port` in a policy asks for them)",
            chosen.iter().filter(|x| x.open.is_empty()).count()
        );
    }
}

fn print_opening(o: &Opening) {
    let mut sources = (o.sources.prefixes())
        .take(PREFIXES_SHOWN)
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if o.sources.len() > PREFIXES_SHOWN {
        sources.push_str(&format!(
            " and {} more prefixes",
            o.sources.len() - PREFIXES_SHOWN
        ));
    } else if !o.sources.is_whole_internet() {
        sources.push_str(" only");
    }
    let ports = o
        .source_ports
        .as_deref()
        .map(|p| format!(" from source ports {p}"))
        .unwrap_or_default();
    println!("  {} from {sources}{ports}", o.service);
    println!("    path: {}", o.path);
    if let Some(rule) = &o.rule {
        println!("    admitted by {rule}");
    }
}
