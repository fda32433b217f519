//! The result of checking a policy: stable, serializable, and renderable as plain
//! text (for terminals without colour and for snapshot tests).

use netpolicy_core::engine::Endpoint;
use netpolicy_core::packet::Packet;
use serde::{Deserialize, Serialize};

pub mod junit;
pub mod sarif;
use std::fmt::Write;

/// Where something is written: a file and a 1-based line and column.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The file as the user named it.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// Byte offset of the start in the file.
    pub start: usize,
    /// Byte offset of the end in the file.
    pub end: usize,
}

/// The outcome of one assertion.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The network satisfies the assertion.
    Holds,
    /// The network contradicts it; see the counterexamples.
    Violated,
    /// The input does not decide it: the answer differs with how parts that
    /// netpolicy does not follow or the input does not fix behave (listed in
    /// [`Verdict::unknown`]).
    Unknown,
}

/// One hop of a counterexample path.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopReport {
    /// What the hop checks (`sg ingress`, `route`, ...).
    pub check: String,
    /// Whether the packet passed.
    pub allowed: bool,
    /// The object holding the deciding rule.
    pub object: String,
    /// The deciding rule.
    pub rule: String,
    /// The packet as the hop sees it.
    #[serde(with = "as_text")]
    pub packet: Packet,
    /// Where the rule is written in the model's input.
    pub location: Option<Location>,
}

/// A concrete witness for a finding.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The finding in one line.
    pub finding: String,
    /// Source endpoint (written as its id, `internet` or `onprem`).
    #[serde(with = "as_text")]
    pub source: Endpoint,
    /// Destination endpoint.
    #[serde(with = "as_text")]
    pub destination: Endpoint,
    /// The services concerned, summarised (`tcp/22, tcp/443`).
    pub services: String,
    /// A concrete packet (written as `tcp 10.0.0.5:40000 -> 10.0.1.9:443`).
    #[serde(with = "as_text_option")]
    pub packet: Option<Packet>,
    /// How the packet travels.
    pub path: Option<String>,
    /// Hop by hop, with the deciding rule of each.
    pub hops: Vec<HopReport>,
    /// The hop whose rule the finding is about (the rule to change), if any.
    pub deciding_hop: Option<usize>,
}

/// The verdict on one assertion.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The assertion's label, if it has one.
    pub name: Option<String>,
    /// The assertion as written.
    pub assertion: String,
    /// Where it is written.
    pub location: Location,
    /// Holds or violated.
    pub status: Status,
    /// One line saying why.
    pub message: String,
    /// How many findings there are in all.
    pub findings: usize,
    /// Concrete witnesses (at most the limit checked with, by default
    /// [`MAX_COUNTEREXAMPLES`]; `findings` counts all).
    pub counterexamples: Vec<Counterexample>,
    /// External objects the verdict depends on (stand-ins for subnets, VPCs
    /// or security groups the input names but does not hold): when any, the
    /// verdict rests on their guessed placement and is incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
    /// Route targets netpolicy does not follow yet (transit gateways,
    /// middlebox interfaces) that traffic between the verdict's endpoints is
    /// routed to: it counts as dropped there, so the verdict is incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfollowed: Vec<String>,
    /// When the status is [`Status::Unknown`]: the parts that could change
    /// the answer (at most five), by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

/// How many counterexamples a verdict carries by default; the rest are
/// counted (`CheckOptions::max_counterexamples` changes it).
pub const MAX_COUNTEREXAMPLES: usize = 5;

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Holds => "HOLDS",
            Status::Violated => "VIOLATED",
            Status::Unknown => "UNKNOWN",
        })
    }
}

/// The result of checking one policy against one model.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The policy file.
    pub policy: String,
    /// The model's input file.
    pub model: String,
    /// One verdict per assertion, in policy order.
    pub verdicts: Vec<Verdict>,
    /// Warnings about the model (results may be incomplete).
    pub warnings: Vec<String>,
}

impl Report {
    /// Whether any assertion is violated.
    pub fn has_violations(&self) -> bool {
        self.verdicts.iter().any(|v| v.status == Status::Violated)
    }

    /// Whether the input leaves any assertion undecided.
    pub fn has_unknown(&self) -> bool {
        self.verdicts.iter().any(|v| v.status == Status::Unknown)
    }

    /// How many verdicts have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.verdicts.iter().filter(|v| v.status == status).count()
    }

    /// The summary line: `2 holds, 5 violated` (and `, 1 unknown` when any).
    pub fn summary(&self) -> String {
        let unknown = self.count(Status::Unknown);
        let mut line = format!(
            "{} holds, {} violated",
            self.count(Status::Holds),
            self.count(Status::Violated)
        );
        if unknown > 0 {
            line.push_str(&format!(", {unknown} unknown"));
        }
        line
    }

    /// The report with every file named without its folders (the policy, the
    /// model, each rule's location): the same text wherever the files are,
    /// for snapshots and for reports shared between machines.
    pub fn with_file_names(mut self) -> Report {
        let strip = |path: &mut String| {
            if let Some(name) = std::path::Path::new(path.as_str()).file_name() {
                *path = name.to_string_lossy().into_owned();
            }
        };
        strip(&mut self.policy);
        strip(&mut self.model);
        for v in &mut self.verdicts {
            strip(&mut v.location.file);
            for c in &mut v.counterexamples {
                for h in &mut c.hops {
                    if let Some(l) = &mut h.location {
                        strip(&mut l.file);
                    }
                }
            }
        }
        self
    }

    /// Plain text, deterministic: what the CLI prints without colour.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "policy {} on {}", self.policy, self.model);
        for v in &self.verdicts {
            let status = v.status;
            let name = v
                .name
                .as_ref()
                .map(|n| format!("{n}: "))
                .unwrap_or_default();
            let _ = writeln!(out, "\n{status} {name}{}", v.assertion);
            let _ = writeln!(
                out,
                "  at {}:{}:{}",
                v.location.file, v.location.line, v.location.column
            );
            let _ = writeln!(out, "  {}", v.message);
            if !v.unknown.is_empty() {
                let _ = writeln!(out, "  undecided by: {}", ticked(&v.unknown));
            }
            if !v.incomplete.is_empty() {
                let _ = writeln!(
                    out,
                    "  incomplete: depends on external {} (placed by a guess, see the warnings)",
                    ticked(&v.incomplete)
                );
            }
            if !v.unfollowed.is_empty() {
                let _ = writeln!(
                    out,
                    "  incomplete: traffic between them is routed to {}, which netpolicy does not follow yet (counted as dropped)",
                    ticked(&v.unfollowed)
                );
            }
            for c in &v.counterexamples {
                let _ = writeln!(out, "  - {}", c.finding);
                if let Some(p) = &c.packet {
                    let _ = writeln!(out, "    packet {p}");
                }
                if let Some(p) = &c.path {
                    let _ = writeln!(out, "    path: {p}");
                }
                for h in &c.hops {
                    let verdict = if h.allowed { "allow" } else { "DENY " };
                    let at = h
                        .location
                        .as_ref()
                        .map(|l| format!("  ({}:{})", l.file, l.line))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "      {verdict} {:<19} {}: {}{at}",
                        h.check, h.object, h.rule
                    );
                }
            }
            if v.findings > v.counterexamples.len() {
                let _ = writeln!(
                    out,
                    "  ... and {} more findings",
                    v.findings - v.counterexamples.len()
                );
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "\nwarnings (results may be incomplete):");
            for line in grouped_warnings(&self.warnings) {
                let _ = writeln!(out, "  {line}");
            }
        }
        let _ = writeln!(out, "\n{}", self.summary());
        out
    }
}

/// An error met while checking (an unreadable policy, an unknown name, a model
/// that does not load), as the machine formats carry it: a CI consumer that
/// reads only the report must see it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    /// The message.
    pub message: String,
    /// The diagnostic code, e.g. `np::resolve::unknown_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The file the error points into, when it has a location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl RunError {
    /// The error of a diagnostic report, located by its first label.
    pub fn of(report: &miette::Report) -> Self {
        let location = report
            .labels()
            .and_then(|mut labels| labels.next())
            .and_then(|label| {
                let contents = report.source_code()?.read_span(label.inner(), 0, 0).ok()?;
                Some((
                    contents.name().map(str::to_string),
                    contents.line() + 1,
                    contents.column() + 1,
                ))
            });
        let (file, line, column) = match location {
            Some((file, line, column)) => (file, Some(line), Some(column)),
            None => (None, None, None),
        };
        RunError {
            message: report.to_string(),
            code: report.code().map(|c| c.to_string()),
            file,
            line,
            column,
            help: report.help().map(|h| h.to_string()),
        }
    }
}

/// Serde as the value's text: typed in Rust, a plain string in JSON.
mod as_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// [`as_text`] for an optional value (`null` when absent).
mod as_text_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        match Option::<String>::deserialize(d)? {
            Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// Ids as reports quote them: `` `a`, `b` ``.
fn ticked(ids: &[String]) -> String {
    (ids.iter())
        .map(|x| format!("`{x}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Warnings (`code: message`) one line per code, in order of first
/// appearance: the first message, and how many more share its code.
fn grouped_warnings(warnings: &[String]) -> Vec<String> {
    let mut groups: Vec<(&str, &str, usize)> = Vec::new();
    for w in warnings {
        let code = w.split_once(": ").map_or(w.as_str(), |(c, _)| c);
        match groups.iter_mut().find(|(c, _, _)| *c == code) {
            Some((_, _, n)) => *n += 1,
            None => groups.push((code, w, 1)),
        }
    }
    groups
        .into_iter()
        .map(|(_, first, n)| match n {
            1 => first.to_string(),
            n => format!("{first} (and {} more like it)", n - 1),
        })
        .collect()
}
