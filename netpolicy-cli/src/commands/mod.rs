//! One module per subcommand, plus what they share.

pub mod check;
pub mod collect;
pub mod diff;
pub mod explain;
pub mod exposure;
pub mod fmt;
pub mod gen_org;
pub mod graph;
pub mod init;
pub mod lsp;
pub mod matrix;

use crate::args::{FormatArg, ModelArgs};
use miette::{IntoDiagnostic, NamedSource, Report};
use netpolicy_core::engine::Flow;
use netpolicy_core::load::cloudformation::TemplateOptions;
use netpolicy_core::load::{ModelFormat, load_model_file, load_model_files};
use netpolicy_core::model::Model;
use netpolicy_core::packet::PacketSet;

/// Loads the model and prints its warnings to stderr (grouped; all of them
/// with `--verbose`).
pub fn load(args: &ModelArgs) -> Result<Model, Report> {
    let model = load_quietly(&args.model, &args.with, args.model_format, &args.params)?;
    print_warnings(&model, args.verbose);
    Ok(model)
}

/// A file larger than this is cited by line, never copied into a snippet: a
/// dump's files run to hundreds of megabytes.
const SNIPPET_LIMIT: usize = 4 << 20;

/// Prints the model's warnings grouped by code, in order of first appearance:
/// one line per code (its first message and how many share the code), or
/// every warning with its source snippet with `--verbose`. What is not
/// modelled is said once and briefly; the verdicts are what a reader wants.
pub fn print_warnings(model: &Model, verbose: bool) {
    if verbose {
        for w in model.warnings() {
            print_warning(model, w);
        }
        return;
    }
    let mut groups: Vec<(&str, &netpolicy_core::diagnostic::Warning, usize)> = Vec::new();
    for w in model.warnings() {
        match groups.iter_mut().find(|(code, _, _)| *code == w.code) {
            Some((_, _, n)) => *n += 1,
            None => groups.push((w.code, w, 1)),
        }
    }
    for (code, first, n) in &groups {
        let more = match n {
            1 => String::new(),
            n => format!(" (and {} more like it)", n - 1),
        };
        eprintln!("warning[{code}]: {}{more}", first.message);
    }
    if !groups.is_empty() {
        eprintln!("(--verbose shows each warning with its source)");
    }
}

fn print_warning(model: &Model, w: &netpolicy_core::diagnostic::Warning) {
    let small = w
        .span
        .and_then(|s| model.sources().get(s.source))
        .is_some_and(|f| f.text.len() <= SNIPPET_LIMIT);
    let report = Report::new(w.clone());
    let report = match w.span.filter(|_| small) {
        Some(s) => match model.sources().named_source(s.source) {
            Some(src) => report.with_source_code(src),
            None => report,
        },
        None => {
            let at = w.span.and_then(|s| {
                let (line, col) = model.sources().line_col(s)?;
                Some(format!(
                    " ({}:{line}:{col})",
                    model.sources().get(s.source)?.name
                ))
            });
            if let Some(at) = at {
                eprintln!("warning: {}{at}", w.message);
                return;
            }
            report
        }
    };
    crate::render::diagnostic::eprint(&report);
}

/// Loads a model (with the inputs loaded together with it) without
/// printing anything.
pub fn load_quietly(
    path: &std::path::Path,
    with: &[std::path::PathBuf],
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
        ..TemplateOptions::default()
    };
    if with.is_empty() {
        return load_model_file(path, format, &options).map_err(Report::new);
    }
    let mut all = vec![path.to_path_buf()];
    all.extend(with.iter().cloned());
    load_model_files(&all, format, &options).map_err(Report::new)
}

/// A policy file, read and parsed, its text kept to cite in diagnostics.
pub struct PolicyFile {
    /// The path as given, which reports name the policy by.
    pub name: String,
    /// The text, for locations in reports.
    pub sources: netpolicy_core::span::SourceMap,
    /// The parsed policy.
    pub policy: netpolicy_lang::ast::Policy,
    text: String,
}

impl PolicyFile {
    /// Reads and parses `path`; errors come with the policy's text attached.
    pub fn read(path: &std::path::Path) -> Result<PolicyFile, Report> {
        let text = std::fs::read_to_string(path)
            .into_diagnostic()
            .map_err(|e| e.wrap_err(format!("cannot read policy `{}`", path.display())))?;
        let mut sources = netpolicy_core::span::SourceMap::default();
        let name = path.display().to_string();
        let id = sources.add(&name, &text);
        let policy = netpolicy_lang::parse_policy(&text, id)
            .map_err(|e| cite(&name, &text, Report::new(e)))?;
        Ok(PolicyFile {
            name,
            sources,
            policy,
            text,
        })
    }

    /// `report` with the policy's text attached, so its spans show as snippets.
    pub fn cite(&self, report: Report) -> Report {
        cite(&self.name, &self.text, report)
    }
}

fn cite(name: &str, text: &str, report: Report) -> Report {
    report.with_source_code(NamedSource::new(
        name,
        netpolicy_core::span::WindowedText::new(text.to_string()),
    ))
}

/// Parses a service given on the command line, rendering errors against it.
pub fn service(text: &str) -> Result<PacketSet, Report> {
    netpolicy_lang::parse_service(text).map_err(|e| {
        Report::new(e).with_source_code(NamedSource::new(
            "service",
            netpolicy_core::span::WindowedText::new(text.to_string()),
        ))
    })
}

/// Prints a traced flow with one line per hop, and where the deciding rule is.
pub fn print_trace(model: &Model, flow: &Flow) {
    let arrived = !flow.packets.is_empty();
    println!(
        "  path: {} — {}",
        flow.kind,
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
