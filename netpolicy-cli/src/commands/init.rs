//! `netpolicy init`: a first policy that records what holds today, as
//! assertions a person would write, each checked before it is written.

use super::{flush, load};
use crate::Outcome;
use crate::args::InitArgs;
use miette::{IntoDiagnostic, Report};
use netpolicy_core::engine::{Endpoint, Engine};
use netpolicy_core::model::{Model, PortMatch, Protocol};
use netpolicy_core::span::SourceMap;
use netpolicy_lang::check::{CheckOptions, Names, check_policy_options};
use netpolicy_lang::report::Status;
use netpolicy_lang::service::{NAMED_SERVICES, parse_service};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Services that mark a data tier or an administration port.
const GUARDED: &[(&str, u16)] = &[
    ("ssh", 22),
    ("rdp", 3389),
    ("mysql", 3306),
    ("postgres", 5432),
    ("mssql", 1433),
    ("oracle", 1521),
    ("redis", 6379),
    ("mongodb", 27017),
    ("elasticsearch", 9200),
];

/// Beyond this many VPCs, pairs are not each asserted isolated.
const MAX_VPCS_PAIRED: usize = 12;

/// The most source-destination pairs the data-tier section examines (each
/// group is asked of every endpoint): on a large estate the groups with
/// the fewest members are taken first, and a comment counts the others.
const TIER_PAIR_BUDGET: usize = 20_000_000;

/// One assertion a section proposes, before it is checked.
struct Candidate {
    section: &'static str,
    text: String,
}

/// Comments for sections that could not cover everything.
#[derive(Default)]
struct Notes {
    tiers_left_out: usize,
    vpcs_not_paired: usize,
}

/// Runs the command.
pub fn run(args: &InitArgs) -> Result<Outcome, Report> {
    let model = load(&args.model)?;
    let engine = Engine::new(&model);
    let model_line = model_line(&args.model.model, args.out.as_deref());
    let policy = if model.enis().is_empty() {
        format!(
            "{}# {} holds no network interface: nothing flows yet, so there is\n# nothing to assert. Run `netpolicy init` again once it has some.\n{model_line}\n",
            header(&args.model.model),
            args.model.model.display()
        )
    } else {
        let mut notes = Notes::default();
        let candidates = candidates(&model, &engine, &mut notes)?;
        let holding = holding(&engine, &candidates)?;
        write_policy(
            &args.model.model,
            &model_line,
            &candidates,
            &holding,
            &notes,
        )
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &policy).into_diagnostic()?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{policy}"),
    }
    flush()?;
    Ok(Outcome::Ok)
}

fn header(model: &Path) -> String {
    format!(
        "# A starting policy, written by `netpolicy init` from\n#   {}\n# Every assertion below holds on it today. Review it, keep what must stay\n# true, and check it in CI (`netpolicy check`): a change that breaks one is a\n# violation, and `netpolicy diff` shows which change did.\n",
        model.display()
    )
}

/// The `model "..."` line: the model's path as seen from the policy's folder.
fn model_line(model: &Path, out: Option<&Path>) -> String {
    let folder = out
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty());
    let path = match folder {
        Some(folder) => relative(model, folder),
        None => model.to_path_buf(),
    };
    let text = path
        .display()
        .to_string()
        .replace('\\', "/")
        .replace('"', "\\\"");
    format!("model \"{text}\"")
}

/// `path` relative to `folder`, both taken from the working directory.
fn relative(path: &Path, folder: &Path) -> PathBuf {
    let absolute = |p: &Path| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let (path, folder) = (absolute(path), absolute(folder));
    let (a, b): (Vec<_>, Vec<_>) = (path.components().collect(), folder.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &a[common..] {
        out.push(c);
    }
    out
}

/// Whether `text` can stand in a selector as written.
fn plain(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '@'))
}

/// How a policy names an object: its name where that is a plain, unique
/// word (a template's logical id, a `Name` tag), else its id; `None` when
/// neither can be written in a selector.
fn selector(
    kind: &str,
    id: &str,
    name: Option<&str>,
    unique: &dyn Fn(&str) -> bool,
) -> Option<String> {
    match name.filter(|n| plain(n) && unique(n)) {
        Some(name) => Some(format!("{kind}:{name}")),
        None => plain(id).then(|| format!("{kind}:{id}")),
    }
}

fn candidates(
    model: &Model,
    engine: &Engine<'_>,
    notes: &mut Notes,
) -> Result<Vec<Candidate>, Report> {
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for g in model.security_groups() {
        if let Some(n) = g.meta.name.as_deref() {
            *names.entry(n).or_default() += 1;
        }
    }
    let unique = |n: &str| names.get(n) == Some(&1);
    let members: BTreeMap<&str, usize> = model
        .enis()
        .iter()
        .flat_map(|e| e.security_groups.iter().map(String::as_str))
        .fold(BTreeMap::new(), |mut m, g| {
            *m.entry(g).or_default() += 1;
            m
        });
    let group_selector = |id: &str| -> Option<String> {
        let name = model
            .security_group(id)
            .and_then(|g| g.meta.name.as_deref());
        selector("sg", id, name, &unique)
    };
    let mut out = Vec::new();
    out.extend(exposure(model, engine, &members, &group_selector));
    out.extend(isolation(model, notes));
    out.extend(data_tiers(model, engine, &members, &group_selector, notes)?);
    out.push(Candidate {
        section: "admin",
        text: "assert \"no ssh or rdp from the internet\":\n  no internet -> vpc:* : ssh, rdp"
            .into(),
    });
    // Where that does not hold, the VPCs where it does.
    for v in (model.vpcs().iter()).filter(|v| plain(&v.meta.id)) {
        let id = &v.meta.id;
        out.push(Candidate {
            section: "admin-vpc",
            text: format!(
                "assert \"no ssh or rdp from the internet into {id}\":\n  no internet -> vpc:{id} : ssh, rdp"
            ),
        });
    }
    Ok(out)
}

/// What the internet reaches on each group's members today.
fn exposure(
    model: &Model,
    engine: &Engine<'_>,
    members: &BTreeMap<&str, usize>,
    group_selector: &dyn Fn(&str) -> Option<String>,
) -> Vec<Candidate> {
    let mut open: BTreeMap<String, BTreeSet<String>> = members
        .keys()
        .map(|g| ((*g).to_string(), BTreeSet::new()))
        .collect();
    for x in engine.exposure() {
        let Some(eni) = model.eni(&x.interface) else {
            continue;
        };
        for g in &eni.security_groups {
            let services = open.entry(g.clone()).or_default();
            services.extend(x.open.iter().map(|o| service_text(&o.service)));
        }
    }
    open.into_iter()
        .filter_map(|(group, services)| {
            let valid = services.iter().all(|s| parse_service(s).is_ok());
            let allowed = if services.is_empty() {
                "none".to_string()
            } else {
                services.into_iter().collect::<Vec<_>>().join(", ")
            };
            let sel = group_selector(&group).filter(|_| valid)?;
            Some(Candidate {
                section: "exposure",
                text: format!(
                    "assert \"internet exposure of {sel}\":\n  exposure {sel} <= {allowed} from internet"
                ),
            })
        })
        .collect()
}

/// A service as reports spell it, as a policy writes it: by its name where
/// the language has one (`tcp/22` is `ssh`).
fn service_text(service: &str) -> String {
    let named = (NAMED_SERVICES.iter()).find(|(_, expansion)| *expansion == service);
    if let Some((name, _)) = named {
        return (*name).to_string();
    }
    if let Some(t) = service.strip_prefix("icmp type ") {
        return format!("icmp/{}", t.split_whitespace().next().unwrap_or(t));
    }
    if let Some(n) = service.strip_prefix("proto ") {
        return format!("proto/{n}");
    }
    service.replace("/all", "")
}

/// VPCs with nothing between them, pair by pair (up to a dozen VPCs).
fn isolation(model: &Model, notes: &mut Notes) -> Vec<Candidate> {
    let vpcs: Vec<&str> = (model.vpcs().iter())
        .map(|v| v.meta.id.as_str())
        .filter(|id| plain(id))
        .collect();
    if vpcs.len() > MAX_VPCS_PAIRED {
        notes.vpcs_not_paired = vpcs.len();
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, a) in vpcs.iter().enumerate() {
        for b in vpcs.iter().skip(i + 1) {
            out.push(Candidate {
                section: "isolation",
                text: format!("assert \"{a} and {b} are isolated\":\n  isolated vpc:{a}, vpc:{b}"),
            });
        }
    }
    out
}

/// For each group whose rules admit a data or administration port: who
/// reaches its members there today.
fn data_tiers(
    model: &Model,
    engine: &Engine<'_>,
    members: &BTreeMap<&str, usize>,
    group_selector: &dyn Fn(&str) -> Option<String>,
    notes: &mut Notes,
) -> Result<Vec<Candidate>, Report> {
    let mut probes = Vec::new();
    // The smallest groups first, within the budget of pairs.
    let everyone = model.enis().len() + 2;
    let mut groups: Vec<(&netpolicy_core::model::SecurityGroup, usize)> =
        (model.security_groups().iter())
            .filter_map(|g| Some((g, *members.get(g.meta.id.as_str())?)))
            .collect();
    groups.sort_by_key(|(g, n)| (*n, g.meta.id.clone()));
    let mut pairs = 0usize;
    for (g, size) in groups {
        let Some(sel) = group_selector(&g.meta.id) else {
            continue;
        };
        for (service, port) in GUARDED {
            let admits = g.ingress.iter().any(|r| {
                matches!(r.traffic.protocol, Protocol::Tcp | Protocol::All)
                    && match r.traffic.ports {
                        PortMatch::Range { first, last } => (first..=last).contains(port),
                        _ => true,
                    }
            });
            if !admits {
                continue;
            }
            pairs = pairs.saturating_add(everyone.saturating_mul(size));
            if pairs > TIER_PAIR_BUDGET {
                notes.tiers_left_out += 1;
            } else {
                probes.push((sel.clone(), *service));
            }
        }
    }
    // Who gets through beside the group's own members: an `only` that
    // names the group alone lists every other source as a finding.
    if probes.is_empty() {
        return Ok(Vec::new());
    }
    let text: String = (probes.iter())
        .map(|(sel, s)| format!("assert \"probe\": only {sel} -> {sel} : {s}\n"))
        .collect();
    let report = check_text(
        engine,
        &text,
        &CheckOptions::default().all_counterexamples(),
    )?;
    let mut out = Vec::new();
    for ((sel, service), verdict) in probes.iter().zip(&report.verdicts) {
        let mut sources: BTreeSet<String> = BTreeSet::new();
        sources.insert(sel.clone());
        for c in &verdict.counterexamples {
            match &c.source {
                Endpoint::Eni(id) => {
                    let named = (model.eni(id))
                        .and_then(|e| e.security_groups.iter().find_map(|g| group_selector(g)));
                    match named {
                        Some(g) => sources.insert(g),
                        // A source no group names: the assertion could not say it.
                        None => continue,
                    };
                }
                other => {
                    sources.insert(other.name().to_string());
                }
            }
        }
        let from: Vec<String> = sources.into_iter().collect();
        out.push(Candidate {
            section: "tiers",
            text: format!(
                "assert \"who reaches {sel} on {service}\":\n  only {} -> {sel} : {service}",
                from.join(" + ")
            ),
        });
    }
    Ok(out)
}

/// Parses and checks `text` on `engine`.
fn check_text(
    engine: &Engine<'_>,
    text: &str,
    options: &CheckOptions,
) -> Result<netpolicy_lang::report::Report, Report> {
    let mut sources = SourceMap::default();
    let id = sources.add("init.np", text);
    let policy = netpolicy_lang::parse_policy(text, id).map_err(Report::new)?;
    let names = Names {
        policy: "init.np",
        model: "",
    };
    check_policy_options(engine, &policy, &sources, names, options, &|| {}).map_err(Report::new)
}

/// Which candidates hold, checked together.
fn holding(engine: &Engine<'_>, candidates: &[Candidate]) -> Result<Vec<bool>, Report> {
    let text: String = candidates.iter().map(|c| format!("{}\n", c.text)).collect();
    let report = check_text(engine, &text, &CheckOptions::default())?;
    Ok(report
        .verdicts
        .iter()
        .map(|v| v.status == Status::Holds)
        .collect())
}

fn write_policy(
    model: &Path,
    model_line: &str,
    candidates: &[Candidate],
    holding: &[bool],
    notes: &Notes,
) -> String {
    let mut out = header(model);
    let _ = writeln!(out, "{model_line}");
    let sections = [
        (
            "exposure",
            "What the internet reaches on each security group's members today\n# (`none`: nothing).",
        ),
        ("isolation", "VPCs with nothing flowing between them today."),
        (
            "tiers",
            "Who reaches the groups that admit database and administration ports.",
        ),
        ("admin", "Administration ports closed to the internet."),
        (
            "admin-vpc",
            "Administration ports closed to the internet, VPC by VPC (not everywhere).",
        ),
    ];
    let whole_estate_closed =
        (candidates.iter().zip(holding)).any(|(c, h)| c.section == "admin" && *h);
    for (section, comment) in sections {
        if section == "admin-vpc" && whole_estate_closed {
            continue;
        }
        let held: Vec<&Candidate> = (candidates.iter().zip(holding))
            .filter(|(c, h)| c.section == section && **h)
            .map(|(c, _)| c)
            .collect();
        if held.is_empty() {
            continue;
        }
        let _ = write!(out, "\n# {comment}\n");
        for c in held {
            let _ = writeln!(out, "{}", c.text);
        }
    }
    if notes.vpcs_not_paired > 0 {
        let _ = write!(
            out,
            "\n# {} VPCs are too many to assert isolated pair by pair: write `isolated`\n# for the pairs that matter (`netpolicy graph --by vpc` shows what flows).\n",
            notes.vpcs_not_paired
        );
    }
    if notes.tiers_left_out > 0 {
        let _ = write!(
            out,
            "\n# {} more group and port pair(s) that admit database or administration\n# ports were not examined (the largest groups, on a large estate).\n",
            notes.tiers_left_out
        );
    }
    let dropped = holding.iter().filter(|h| !**h).count();
    if dropped > 0 {
        let _ = write!(
            out,
            "\n# {dropped} more candidate assertion(s) did not hold today and are left out\n# (run `netpolicy exposure` and `netpolicy graph` to see what is open).\n"
        );
    }
    out
}
