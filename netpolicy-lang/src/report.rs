//! The result of checking a policy: stable, serializable, and renderable as plain
//! text (for terminals without colour and for snapshot tests).

use serde::Serialize;
use std::fmt::Write;

/// Where something is written: a file and a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The network satisfies the assertion.
    Holds,
    /// The network contradicts it; see the counterexamples.
    Violated,
}

/// One hop of a counterexample path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    pub packet: String,
    /// Where the rule is written in the model's input.
    pub location: Option<Location>,
}

/// A concrete witness for a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    /// The finding in one line.
    pub finding: String,
    /// Source endpoint.
    pub source: String,
    /// Destination endpoint.
    pub destination: String,
    /// The services concerned, summarised.
    pub services: String,
    /// A concrete packet.
    pub packet: Option<String>,
    /// How the packet travels.
    pub path: Option<String>,
    /// Hop by hop, with the deciding rule of each.
    pub hops: Vec<HopReport>,
    /// The hop whose rule the finding is about (the rule to change), if any.
    pub deciding_hop: Option<usize>,
}

/// The verdict on one assertion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// Concrete witnesses (at most [`MAX_COUNTEREXAMPLES`]; `findings` counts all).
    pub counterexamples: Vec<Counterexample>,
    /// External objects the verdict depends on (stand-ins for subnets, VPCs
    /// or security groups the input names but does not hold): when any, the
    /// verdict rests on their guessed placement and is incomplete.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

/// How many counterexamples a verdict carries; the rest are counted.
pub const MAX_COUNTEREXAMPLES: usize = 5;

/// The result of checking one policy against one model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

    /// Plain text, deterministic: what the CLI prints without colour.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "policy {} on {}", self.policy, self.model);
        for v in &self.verdicts {
            let status = match v.status {
                Status::Holds => "HOLDS",
                Status::Violated => "VIOLATED",
            };
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
            if !v.incomplete.is_empty() {
                let _ = writeln!(
                    out,
                    "  incomplete: depends on external {} (placed by a guess, see the warnings)",
                    v.incomplete
                        .iter()
                        .map(|x| format!("`{x}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
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
        let holds = self
            .verdicts
            .iter()
            .filter(|v| v.status == Status::Holds)
            .count();
        let violated = self.verdicts.len() - holds;
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "\nwarnings (results may be incomplete):");
            for w in &self.warnings {
                let _ = writeln!(out, "  {w}");
            }
        }
        let _ = writeln!(out, "\n{holds} holds, {violated} violated");
        out
    }
}
