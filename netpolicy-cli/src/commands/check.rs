//! `netpolicy check`: policies against a model, with verdicts and exit codes.

use super::load_quietly;
use crate::Outcome;
use crate::args::{CheckArgs, OutputFormat};
use crate::render::RunError;
use crate::render::diagnostic::Sources;
use miette::{IntoDiagnostic, Report};
use netpolicy_core::engine::Engine;
use netpolicy_core::span::SourceMap;
use netpolicy_lang::check::{Names, check_policy, check_policy_with};
use netpolicy_lang::parse_policy;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Wall time per phase, summed over policies and models.
#[derive(Default)]
struct Timings {
    parse: Duration,
    load: Duration,
    compile: Duration,
    check: Duration,
}

impl Timings {
    fn print(&self, render: Duration) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "timings: parse {:.1} ms, load {:.1} ms, compile {:.1} ms, check {:.1} ms, report {:.1} ms",
            ms(self.parse),
            ms(self.load),
            ms(self.compile),
            ms(self.check),
            ms(render)
        );
        match peak_memory_kib() {
            Some(kib) => eprintln!("peak memory: {:.1} MiB", kib as f64 / 1024.0),
            None => eprintln!("peak memory: not available on this platform"),
        }
    }
}

/// The process's peak resident memory (Linux: `VmHWM` in /proc/self/status).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the command: every policy is checked; the worst outcome wins.
pub fn run(args: &CheckArgs) -> Result<Outcome, Report> {
    let mut outcome = Outcome::Ok;
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    let mut timings = Timings::default();
    let sources = Sources::default();
    for path in &args.policies {
        match check_one(args, path, &mut timings, &sources) {
            Ok(checked) => {
                for report in checked {
                    if fails(&report, args.allow_unknown) && outcome == Outcome::Ok {
                        outcome = Outcome::Violation;
                    }
                    reports.push(report);
                }
            }
            Err(e) => {
                crate::render::diagnostic::eprint(&e);
                errors.push(RunError::of(&e));
                outcome = Outcome::Error;
            }
        }
    }
    let started = Instant::now();
    print_reports(&reports, &errors, args.format, &sources)?;
    super::flush()?;
    if args.timings {
        timings.print(started.elapsed());
    }
    Ok(outcome)
}

/// `netpolicy query`: one assertion from the command line.
pub fn query(args: &crate::args::QueryArgs) -> Result<Outcome, Report> {
    let (report, cited) = match query_report(args) {
        Ok(done) => done,
        Err(e) => {
            // A machine format still gets its document, with the error in it.
            if args.format != OutputFormat::Human {
                print_reports(&[], &[RunError::of(&e)], args.format, &Sources::default())?;
                super::flush()?;
            }
            return Err(e);
        }
    };
    print_reports(std::slice::from_ref(&report), &[], args.format, &cited)?;
    super::flush()?;
    Ok(if fails(&report, args.allow_unknown) {
        Outcome::Violation
    } else {
        Outcome::Ok
    })
}

/// Whether `report` fails the run: a violation, or an undecided verdict
/// unless the user allows those.
fn fails(report: &netpolicy_lang::report::Report, allow_unknown: bool) -> bool {
    report.has_violations() || (report.has_unknown() && !allow_unknown)
}

/// Loads the model and checks the query's assertion.
fn query_report(
    args: &crate::args::QueryArgs,
) -> Result<(netpolicy_lang::report::Report, Sources), Report> {
    // The report lists the model's warnings after the verdict; `--verbose`
    // adds each with its source first.
    let m = &args.model;
    let mut model = load_quietly(&m.model, &m.with, m.model_format, &m.params)?;
    if m.verbose {
        super::print_warnings(&model, true);
    }
    let mut sources = SourceMap::default();
    let id = sources.add("query", args.assertion.as_str());
    let with_source = |r: Report| {
        r.with_source_code(miette::NamedSource::new(
            "query",
            netpolicy_core::span::WindowedText::new(args.assertion.clone()),
        ))
    };
    let policy = parse_policy(&args.assertion, id).map_err(|e| with_source(Report::new(e)))?;
    let model_name = args.model.model.display().to_string();
    let report = check_policy(&model, &policy, &sources, "query", &model_name)
        .map_err(|e| with_source(Report::new(e)))?;
    let cited = Sources::default();
    cited.add_all(model.take_sources());
    Ok((report, cited))
}

/// Prints the reports on stdout and, for people, each violation as a
/// diagnostic on stderr citing `sources`.
fn print_reports(
    reports: &[netpolicy_lang::report::Report],
    errors: &[RunError],
    format: OutputFormat,
    sources: &Sources,
) -> Result<(), Report> {
    match format {
        OutputFormat::Human => {
            for r in reports {
                print!("{}", r.render_text());
                print_violations(r, sources);
            }
        }
        OutputFormat::Json => {
            // One shape whatever the number of policies, models and errors.
            let json = serde_json::json!({ "reports": reports, "errors": errors });
            println!("{}", serde_json::to_string_pretty(&json).into_diagnostic()?);
        }
        OutputFormat::Sarif => {
            let sarif = crate::render::sarif::render(reports, errors);
            println!(
                "{}",
                serde_json::to_string_pretty(&sarif).into_diagnostic()?
            );
        }
        OutputFormat::Junit => print!("{}", crate::render::junit::render(reports, errors)),
    }
    Ok(())
}

/// Checks one policy against each of its models; the models' files are handed
/// to `sources` for the reports to cite.
fn check_one(
    args: &CheckArgs,
    path: &Path,
    timings: &mut Timings,
    sources_cited: &Sources,
) -> Result<Vec<netpolicy_lang::report::Report>, Report> {
    let started = Instant::now();
    let file = super::PolicyFile::read(path)?;
    let (name, policy, sources) = (&file.name, &file.policy, &file.sources);
    timings.parse += started.elapsed();
    let models: Vec<PathBuf> = match (&args.model[..], &policy.model) {
        ([], Some((m, _))) => vec![path.parent().unwrap_or(Path::new(".")).join(m)],
        ([], None) => {
            return Err(miette::miette!(
                help = "add `model \"path/to/template.json\"` to the policy, or pass --model",
                "policy `{}` names no model",
                path.display()
            ));
        }
        (given, _) => given.to_vec(),
    };
    let mut reports = Vec::new();
    for model_path in models {
        let model_name = model_path.display().to_string();
        let started = Instant::now();
        let progress = Progress::start(format!("loading {model_name}"));
        let mut model = load_quietly(&model_path, &args.with, args.model_format, &args.params)?;
        timings.load += started.elapsed();
        let started = Instant::now();
        progress.phase(format!("compiling {} interfaces", model.enis().len()));
        let engine = Engine::new(&model);
        timings.compile += started.elapsed();
        let started = Instant::now();
        progress.count(format!("checking {name}"), policy.assertions.len() as u64);
        let names = Names {
            policy: name,
            model: &model_name,
        };
        let report = check_policy_with(&engine, policy, sources, names, &|| progress.tick())
            .map_err(|e| file.cite(Report::new(e)))?;
        progress.finish();
        timings.check += started.elapsed();
        reports.push(report);
        // Freeing a large model and its compiled engine (millions of small
        // allocations) takes longer than checking a few assertions; the process
        // ends soon, and the operating system takes the memory back at once.
        std::mem::forget(engine);
        sources_cited.add_all(model.take_sources());
        std::mem::forget(model);
    }
    Ok(reports)
}

/// Each violation as a diagnostic on stderr: the assertion in the policy and the
/// deciding rules in the model's input, underlined.
fn print_violations(report: &netpolicy_lang::report::Report, sources: &Sources) {
    use crate::render::diagnostic::Violation;
    let Some(policy) = sources.get(&report.policy) else {
        return;
    };
    for v in report
        .verdicts
        .iter()
        .filter(|v| v.status == netpolicy_lang::report::Status::Violated)
    {
        let diagnostic = Violation::new(v, &policy, sources);
        crate::render::diagnostic::eprint(&Report::new(diagnostic));
    }
}

/// A progress line on stderr for the long phases, shown only when stderr is a
/// terminal (CI logs and pipes stay clean).
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn start(message: String) -> Progress {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(message);
        Progress(Some(bar))
    }

    fn phase(&self, message: String) {
        if let Some(bar) = &self.0 {
            bar.set_message(message);
        }
    }

    fn count(&self, message: String, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_position(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} assertions",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(message);
        }
    }

    fn tick(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
