//! `netpolicy diff`: what a change opens and closes, and what it does to policies.

use super::{load_quietly, print_warnings};
use crate::Outcome;
use crate::args::{DiffArgs, DiffFormat, FailOn};
use miette::{IntoDiagnostic, Report};
use netpolicy_core::diff::{Decision, EndpointChange, FlowChange, NetworkDiff, diff};
use netpolicy_core::engine::Engine;
use netpolicy_lang::check::{Names, check_policy_with};
use netpolicy_lang::report::{Counterexample, Status, Verdict};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Flows of each kind the human and markdown outputs list without `--all`.
const LIST_LIMIT: usize = 200;

/// One assertion before and after the change.
#[derive(Debug, Serialize)]
struct AssertionChange {
    /// The policy file.
    policy: String,
    /// The assertion's label, if any.
    name: Option<String>,
    /// The assertion as written.
    assertion: String,
    before: Status,
    after: Status,
    findings_before: usize,
    findings_after: usize,
    /// Counterexamples shown after and not before (`source -> destination :
    /// services`), among the few each report shows.
    appeared: Vec<String>,
    /// Counterexamples shown before and not after.
    disappeared: Vec<String>,
}

/// The `--format json` document. Keys in alphabetical order, as every JSON
/// document netpolicy writes; written straight to the output (a large
/// change lists tens of thousands of flows).
#[derive(Serialize)]
struct DiffDocument<'a> {
    added: &'a [EndpointChange],
    after: &'a str,
    before: &'a str,
    closed: &'a [FlowChange],
    matched: usize,
    opened: &'a [FlowChange],
    policies: Value,
    removed: &'a [EndpointChange],
    touched: usize,
    warnings: &'a [String],
}

/// Runs the command.
pub fn run(args: &DiffArgs) -> Result<Outcome, Report> {
    // The two sides load side by side; the first error (before's, if both
    // fail) is the one reported.
    let (before, after) = rayon::join(
        || load_quietly(&args.before, &args.with, args.model_format, &args.params),
        || load_quietly(&args.after, &args.with, args.model_format, &args.params),
    );
    let (before, after) = (before?, after?);
    let (eb, ea) = rayon::join(|| Engine::new(&before), || Engine::new(&after));
    let changes = diff(&eb, &ea);
    let mut policies = Vec::new();
    for path in &args.policies {
        policies.extend(policy_changes(path, (&eb, &ea), args)?);
    }
    let names = (
        args.before.display().to_string(),
        args.after.display().to_string(),
    );
    match args.format {
        DiffFormat::Human => print!("{}", human(&changes, &policies, &names, args.all)),
        DiffFormat::Markdown => print!("{}", markdown(&changes, &policies, &names, args.all)),
        DiffFormat::Json => {
            let doc = DiffDocument {
                added: &changes.added,
                after: &names.1,
                before: &names.0,
                closed: &changes.closed,
                matched: changes.matched,
                opened: &changes.opened,
                policies: serde_json::to_value(&policies).into_diagnostic()?,
                removed: &changes.removed,
                touched: changes.touched,
                warnings: &changes.warnings,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, &doc).into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
            out.flush().into_diagnostic()?;
        }
        DiffFormat::Sarif => {
            let doc = sarif(&changes, &policies);
            println!("{}", serde_json::to_string_pretty(&doc).into_diagnostic()?);
        }
    }
    // What is not modelled comes after the changes, briefly.
    print_warnings(&before, args.verbose);
    print_warnings(&after, args.verbose);
    if args.format != DiffFormat::Json {
        for w in &changes.warnings {
            eprintln!("warning: {w}");
        }
    }
    super::flush()?;
    let failed = fails(&changes, &policies, args.fail_on);
    // As `check` does: two models, their engines and the changes are
    // millions of small allocations, and the process ends next; the
    // operating system takes the memory back at once.
    std::mem::forget(changes);
    std::mem::forget((eb, ea));
    std::mem::forget((before, after));
    Ok(if failed {
        Outcome::Violation
    } else {
        Outcome::Ok
    })
}

/// Whether a verdict going from `before` to `after` moves towards a
/// violation: a proof lost (HOLDS to VIOLATED or UNKNOWN), or an undecided
/// verdict refuted. The reverse move closes.
fn opens(before: Status, after: Status) -> bool {
    matches!(
        (before, after),
        (Status::Holds, Status::Violated | Status::Unknown) | (Status::Unknown, Status::Violated)
    )
}

/// Whether the changes found are the kind `--fail-on` asks about.
fn fails(changes: &NetworkDiff, policies: &[AssertionChange], on: FailOn) -> bool {
    let opened = !changes.opened.is_empty()
        || !changes.added.is_empty()
        || policies.iter().any(|p| opens(p.before, p.after));
    let closed = !changes.closed.is_empty()
        || !changes.removed.is_empty()
        || policies.iter().any(|p| opens(p.after, p.before));
    match on {
        FailOn::Opened => opened,
        FailOn::Closed => closed,
        FailOn::Any => opened || closed,
    }
}

/// Checks one policy on both sides and pairs its verdicts.
fn policy_changes(
    path: &Path,
    (before, after): (&Engine<'_>, &Engine<'_>),
    args: &DiffArgs,
) -> Result<Vec<AssertionChange>, Report> {
    let file = super::PolicyFile::read(path)?;
    let check = |engine: &Engine<'_>, model: &Path| {
        let model = model.display().to_string();
        let names = Names {
            policy: &file.name,
            model: &model,
        };
        check_policy_with(engine, &file.policy, &file.sources, names, &|| {})
            .map_err(|e| file.cite(Report::new(e)))
    };
    let old = check(before, &args.before)?;
    let new = check(after, &args.after)?;
    Ok(old
        .verdicts
        .iter()
        .zip(&new.verdicts)
        .map(|(b, a)| assertion_change(&file.name, b, a))
        .collect())
}

fn assertion_change(policy: &str, b: &Verdict, a: &Verdict) -> AssertionChange {
    let shown =
        |v: &Verdict| -> BTreeSet<String> { v.counterexamples.iter().map(finding_line).collect() };
    let (sb, sa) = (shown(b), shown(a));
    AssertionChange {
        policy: policy.to_string(),
        name: a.name.clone(),
        assertion: a.assertion.clone(),
        before: b.status,
        after: a.status,
        findings_before: b.findings,
        findings_after: a.findings,
        appeared: sa.difference(&sb).cloned().collect(),
        disappeared: sb.difference(&sa).cloned().collect(),
    }
}

fn finding_line(c: &Counterexample) -> String {
    format!("{} -> {} : {}", c.source, c.destination, c.services)
}

fn status(s: Status) -> String {
    s.to_string()
}

fn decision_line(c: &FlowChange, d: Option<&Decision>) -> String {
    if !c.traced {
        return "(not traced)".into();
    }
    match d {
        None => "(endpoint absent)".into(),
        Some(d) => {
            let verb = if d.allowed { "allow" } else { "deny" };
            let at = d
                .location
                .as_ref()
                .map(|l| format!("  ({l})"))
                .unwrap_or_default();
            format!("{verb} {} {}: {}{at}", d.hop, d.object, d.rule)
        }
    }
}

fn flow_line(c: &FlowChange) -> String {
    format!(
        "{} -> {} : {} [{}]",
        c.source,
        c.destination,
        c.services.join(", "),
        c.path
    )
}

/// The text for people.
fn human(
    changes: &NetworkDiff,
    policies: &[AssertionChange],
    (before, after): &(String, String),
    all: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "diff {before} -> {after}");
    let _ = writeln!(
        out,
        "{} interfaces matched ({} recomputed), {} added, {} removed",
        changes.matched,
        changes.touched,
        changes.added.len(),
        changes.removed.len()
    );
    for e in &changes.added {
        let _ = writeln!(out, "  added   {} ({})", e.endpoint, e.owner);
    }
    for e in &changes.removed {
        let _ = writeln!(out, "  removed {} ({})", e.endpoint, e.owner);
    }
    for (title, mark, list) in [
        ("opened", '+', &changes.opened),
        ("closed", '-', &changes.closed),
    ] {
        let _ = writeln!(out, "\n{title}: {} flows", list.len());
        let shown = if all {
            list.len()
        } else {
            list.len().min(LIST_LIMIT)
        };
        for c in list.iter().take(shown) {
            let _ = writeln!(out, "  {mark} {}", flow_line(c));
            for (label, list) in [("sources", &c.sources), ("to", &c.destinations)] {
                if list.len() > 1 {
                    let _ = writeln!(out, "      {label:<7} {}", list.join(", "));
                }
            }
            if let Some(p) = &c.packet {
                let _ = writeln!(out, "      packet  {p}");
            }
            if c.traced {
                let _ = writeln!(out, "      before  {}", decision_line(c, c.before.as_ref()));
                let _ = writeln!(out, "      after   {}", decision_line(c, c.after.as_ref()));
            }
        }
        if list.len() > shown {
            let _ = writeln!(
                out,
                "  ... {} more {title} flows not listed (--all lists them)",
                list.len() - shown
            );
        }
    }
    if !policies.is_empty() {
        let _ = writeln!(out, "\npolicies:");
        for p in policies {
            let label = p.name.as_deref().unwrap_or(&p.assertion);
            let moved = if p.before == p.after { "  " } else { "=>" };
            let _ = writeln!(
                out,
                "  {moved} {} -> {}  {label}  (findings {} -> {})",
                status(p.before),
                status(p.after),
                p.findings_before,
                p.findings_after
            );
            for f in &p.appeared {
                let _ = writeln!(out, "       + {f}");
            }
            for f in &p.disappeared {
                let _ = writeln!(out, "       - {f}");
            }
        }
    }
    out
}

/// Markdown for a pull-request comment: a summary line, one table per kind.
fn markdown(
    changes: &NetworkDiff,
    policies: &[AssertionChange],
    (before, after): &(String, String),
    all: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### netpolicy diff: `{before}` → `{after}`\n");
    let _ = writeln!(
        out,
        "**{} opened, {} closed** flows; {} interfaces matched ({} recomputed), {} added, {} removed.\n",
        changes.opened.len(),
        changes.closed.len(),
        changes.matched,
        changes.touched,
        changes.added.len(),
        changes.removed.len()
    );
    let cell = |s: &str| s.replace('|', "\\|");
    for (title, list) in [("Opened", &changes.opened), ("Closed", &changes.closed)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "#### {title}\n");
        let _ = writeln!(
            out,
            "| source | destination | services | path | before | after |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        let shown = if all {
            list.len()
        } else {
            list.len().min(LIST_LIMIT)
        };
        for c in list.iter().take(shown) {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} | {} | {} |",
                cell(&c.source),
                cell(&c.destination),
                cell(&c.services.join(", ")),
                c.path,
                cell(&decision_line(c, c.before.as_ref())),
                cell(&decision_line(c, c.after.as_ref()))
            );
        }
        if list.len() > shown {
            let _ = writeln!(
                out,
                "\n{} more not listed (`--all` lists them).",
                list.len() - shown
            );
        }
        out.push('\n');
    }
    if !policies.is_empty() {
        let _ = writeln!(out, "#### Policies\n");
        let _ = writeln!(out, "| assertion | before | after | findings |");
        let _ = writeln!(out, "|---|---|---|---|");
        for p in policies {
            let label = p.name.as_deref().unwrap_or(&p.assertion);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} → {} |",
                cell(label),
                status(p.before),
                status(p.after),
                p.findings_before,
                p.findings_after
            );
        }
    }
    for w in &changes.warnings {
        let _ = writeln!(out, "\n> **Warning:** {w}");
    }
    out
}

/// `file:line:column` as a SARIF physical location.
fn location(at: &str) -> Option<Value> {
    let mut parts = at.rsplitn(3, ':');
    let column: u64 = parts.next()?.parse().ok()?;
    let line: u64 = parts.next()?.parse().ok()?;
    let file = parts.next()?;
    Some(json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file },
            "region": { "startLine": line, "startColumn": column }
        }
    }))
}

/// SARIF 2.1.0: one result per changed flow (rule `opened` or `closed`) at the
/// rule that decides it after the change, and one per assertion whose verdict
/// changed.
fn sarif(changes: &NetworkDiff, policies: &[AssertionChange]) -> Value {
    let mut results = Vec::new();
    for (rule, level, list) in [
        ("opened", "warning", &changes.opened),
        ("closed", "note", &changes.closed),
    ] {
        for c in list {
            let at = c
                .after
                .as_ref()
                .or(c.before.as_ref())
                .and_then(|d| d.location.as_deref())
                .and_then(location);
            results.push(json!({
                "ruleId": rule,
                "level": level,
                "message": { "text": format!("{rule}: {}", flow_line(c)) },
                "locations": at.into_iter().collect::<Vec<_>>(),
            }));
        }
    }
    for p in policies.iter().filter(|p| p.before != p.after) {
        results.push(json!({
            "ruleId": "verdict",
            "level": match p.after {
                Status::Violated => "error",
                Status::Unknown => "warning",
                _ => "note",
            },
            "message": { "text": format!(
                "{}: {} -> {}", p.name.as_deref().unwrap_or(&p.assertion),
                status(p.before), status(p.after)) },
            "locations": [],
        }));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "netpolicy",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": [
                    { "id": "opened", "shortDescription": { "text": "A flow the change opens" } },
                    { "id": "closed", "shortDescription": { "text": "A flow the change closes" } },
                    { "id": "verdict", "shortDescription": { "text": "An assertion whose verdict the change turns" } }
                ]
            }},
            "results": results,
        }]
    })
}
