//! `netpolicy matrix`: which interface classes reach which.

use super::{flush, load, service};
use crate::Outcome;
use crate::args::MatrixArgs;
use miette::Report;
use netpolicy_core::engine::Engine;

/// Runs the command.
pub fn run(args: &MatrixArgs) -> Result<Outcome, Report> {
    let model = load(&args.model)?;
    let query = service(&args.service)?;
    let engine = Engine::new(&model);
    let classes = engine.classes();
    println!(
        "{} interface classes (same subnet and security groups):",
        classes.len()
    );
    for c in classes {
        println!(
            "  C{}: {} in {} [{}]",
            c.id.0,
            c.enis.join(", "),
            c.subnet,
            c.security_groups.join(", ")
        );
    }
    let matrix = engine.class_matrix(&query);
    println!(
        "\n{} of {} class pairs exchange {}:",
        matrix.len(),
        classes.len() * classes.len(),
        args.service
    );
    for pair in &matrix {
        println!(
            "  C{} -> C{}: {}",
            pair.src.0,
            pair.dst.0,
            pair.packets.service_summary()
        );
    }
    flush()?;
    Ok(Outcome::Ok)
}
