//! `netpolicy fmt`: canonical formatting of policy files.

use crate::Outcome;
use crate::args::FmtArgs;
use miette::{IntoDiagnostic, Report};
use netpolicy_lang::fmt::format_policy;

/// Runs the command.
pub fn run(args: &FmtArgs) -> Result<Outcome, Report> {
    let mut changed = Vec::new();
    for path in &args.policies {
        let text = std::fs::read_to_string(path)
            .into_diagnostic()
            .map_err(|e| e.wrap_err(format!("cannot read `{}`", path.display())))?;
        let formatted = format_policy(&text).map_err(|e| {
            Report::new(e).with_source_code(miette::NamedSource::new(
                path.display().to_string(),
                netpolicy_core::span::WindowedText::new(text.clone()),
            ))
        })?;
        if formatted == text {
            continue;
        }
        changed.push(path.display().to_string());
        if !args.check {
            std::fs::write(path, formatted).into_diagnostic()?;
        }
    }
    if args.check && !changed.is_empty() {
        for c in &changed {
            println!("would reformat {c}");
        }
        return Ok(Outcome::Violation);
    }
    for c in &changed {
        println!("formatted {c}");
    }
    Ok(Outcome::Ok)
}
