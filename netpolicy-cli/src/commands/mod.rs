//! One module per subcommand, plus what they share.

pub mod check;
pub mod collect;
pub mod explain;
pub mod exposure;
pub mod fmt;
pub mod gen_org;
pub mod matrix;

use crate::args::{FormatArg, ModelArgs};
use miette::{IntoDiagnostic, NamedSource, Report};
use netpolicy_core::engine::Flow;
use netpolicy_core::load::cloudformation::TemplateOptions;
use netpolicy_core::load::{ModelFormat, load_model_file};
use netpolicy_core::model::Model;
use netpolicy_core::packet::PacketSet;

/// Loads the model and prints its warnings to stderr.
pub fn load(args: &ModelArgs) -> Result<Model, Report> {
    let model = load_quietly(&args.model, args.model_format, &args.params)?;
    for w in model.warnings() {
        let report = Report::new(w.clone());
        let report = match w.span.and_then(|s| model.sources().named_source(s.source)) {
            Some(src) => report.with_source_code(src),
            None => report,
        };
        crate::render::diagnostic::eprint(&report);
    }
    Ok(model)
}

/// Loads a model without printing anything.
pub fn load_quietly(
    path: &std::path::Path,
    format: Option<FormatArg>,
    params: &[(String, String)],
) -> Result<Model, Report> {
    let format = format.map(|f| match f {
        FormatArg::Native => ModelFormat::Native,
        FormatArg::Cloudformation => ModelFormat::CloudFormation,
        FormatArg::AwsCli => ModelFormat::AwsCli,
        FormatArg::Terraform => ModelFormat::Terraform,
    });
    let options = TemplateOptions {
        parameters: params.iter().cloned().collect(),
    };
    load_model_file(path, format, &options).map_err(Report::new)
}

/// Parses a service given on the command line, rendering errors against it.
pub fn service(text: &str) -> Result<PacketSet, Report> {
    netpolicy_lang::parse_service(text)
        .map_err(|e| Report::new(e).with_source_code(NamedSource::new("service", text.to_string())))
}

pub use netpolicy_lang::check::describe_path;

/// Prints a traced flow with one line per hop, and where the deciding rule is.
pub fn print_trace(model: &Model, flow: &Flow) {
    let arrived = !flow.packets.is_empty();
    println!(
        "  path: {} — {}",
        describe_path(&flow.kind),
        if arrived { "REACHABLE" } else { "blocked" }
    );
    for hop in &flow.hops {
        let place = hop
            .rule
            .span
            .and_then(|s| {
                let (line, col) = model.sources().line_col(s)?;
                let file = model.sources().get(s.source)?;
                Some(format!("  ({}:{line}:{col})", file.name))
            })
            .unwrap_or_default();
        println!("    {hop}{place}");
    }
}

/// Flushes stdout, turning a broken pipe into an error rather than a panic.
pub fn flush() -> Result<(), Report> {
    use std::io::Write;
    std::io::stdout().flush().into_diagnostic()
}
