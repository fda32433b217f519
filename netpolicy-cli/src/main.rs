//! The `netpolicy` command line: loads a model, asks the engine, prints answers.
//!
//! Only this crate prints and chooses exit codes: 0 when the command did its job
//! (for checks: every assertion holds), 1 when a check found a violation, 2 on any
//! error (unreadable or invalid input, unknown names).

mod args;
mod commands;
mod render;

use clap::Parser;
use std::process::{ExitCode, Termination};

// Loading a large model allocates millions of small nodes; mimalloc's
// thread-local free lists make that markedly cheaper than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked holds.
    Ok,
    /// A check found a violation.
    Violation,
    /// The input could not be used.
    Error,
}

impl Termination for Outcome {
    fn report(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Ok => 0,
            Outcome::Violation => 1,
            Outcome::Error => 2,
        })
    }
}

fn main() -> Outcome {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Check(a) => commands::check::run(&a),
        args::Command::Query(a) => commands::check::query(&a),
        args::Command::Fmt(a) => commands::fmt::run(&a),
        args::Command::Exposure(a) => commands::exposure::run(&a),
        args::Command::Explain(a) => commands::explain::run(&a),
        args::Command::Matrix(a) => commands::matrix::run(&a),
        args::Command::Graph(a) => commands::graph::run(&a),
        args::Command::Init(a) => commands::init::run(&a),
        args::Command::Lsp => commands::lsp::run(),
        args::Command::Diff(a) => commands::diff::run(&a),
        args::Command::Collect(a) => commands::collect::run(&a),
        args::Command::Gen(a) => commands::gen_org::run(&a),
    };
    match result {
        Ok(outcome) => outcome,
        Err(report) => {
            crate::render::diagnostic::eprint(&report);
            Outcome::Error
        }
    }
}
