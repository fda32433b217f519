//! SARIF 2.1.0, as GitHub code scanning accepts it: one rule per assertion, one
//! result per counterexample, located at the assertion in the policy, with the
//! deciding rules in the model's input as related locations.

use super::RunError;
use crate::report::{Location, Report, Status};
use serde_json::{Value, json};

/// `policies/../tests/x.json` as `tests/x.json`: SARIF consumers want plain
/// relative URIs.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." if !parts.is_empty() || part == "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A relative path as a URI reference: characters outside RFC 3986's
/// unreserved set and `/` are percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in normalize(path).bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn physical(l: &Location) -> Value {
    json!({
        "artifactLocation": { "uri": uri(&l.file) },
        "region": { "startLine": l.line.max(1), "startColumn": l.column.max(1) }
    })
}

fn rule_id(index: usize, name: Option<&str>) -> String {
    let slug: String = name
        .unwrap_or("assertion")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("np/{}-{}", index + 1, slug.trim_matches('-'))
}

/// The SARIF log for a set of reports.
pub fn render(reports: &[Report], errors: &[RunError]) -> Value {
    let mut rules = Vec::new();
    let mut results = Vec::new();
    let mut index = 0;
    for report in reports {
        for v in &report.verdicts {
            let id = rule_id(index, v.name.as_deref());
            index += 1;
            rules.push(json!({
                "id": id,
                "name": v.name.clone().unwrap_or_else(|| v.assertion.clone()),
                "shortDescription": { "text": v.assertion },
                "fullDescription": { "text": format!("{} (policy {} on {})", v.assertion, report.policy, report.model) },
                "defaultConfiguration": { "level": "error" }
            }));
            // An undecided verdict is a result of its own level: a reviewer
            // looks at it, but it proves nothing either way.
            let level = match v.status {
                Status::Holds => continue,
                Status::Unknown => "warning",
                _ => "error",
            };
            let base = |message: String, related: Vec<Value>| {
                json!({
                    "ruleId": id,
                    "level": level,
                    "message": { "text": message },
                    "locations": [ { "physicalLocation": physical(&v.location) } ],
                    "relatedLocations": related
                })
            };
            if v.status == Status::Unknown {
                let parts = v.unknown.join(", ");
                results.push(base(
                    format!("{}: {} (rests on: {parts})", v.assertion, v.message),
                    Vec::new(),
                ));
                continue;
            }
            if v.counterexamples.is_empty() {
                results.push(base(format!("{}: {}", v.assertion, v.message), Vec::new()));
            }
            for c in &v.counterexamples {
                let related: Vec<Value> = c
                    .hops
                    .iter()
                    .filter_map(|h| h.location.as_ref().map(|l| (h, l)))
                    .enumerate()
                    .map(|(i, (h, l))| {
                        json!({
                            "id": i + 1,
                            "physicalLocation": physical(l),
                            "message": { "text": format!("{} {}: {}: {}", if h.allowed { "allow" } else { "deny" }, h.check, h.object, h.rule) }
                        })
                    })
                    .collect();
                let packet = c
                    .packet
                    .as_ref()
                    .map(|p| format!(" (packet {p})"))
                    .unwrap_or_default();
                results.push(base(
                    format!("{}: {}{packet}", v.assertion, c.finding),
                    related,
                ));
            }
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": {
                "name": "netpolicy",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            } },
            "invocations": [ {
                "executionSuccessful": errors.is_empty(),
                "toolExecutionNotifications": errors
                    .iter()
                    .map(notification)
                    .chain(reports.iter().flat_map(model_warnings))
                    .collect::<Vec<_>>()
            } ],
            "results": results
        } ]
    })
}

/// A report's model warnings (what may make its results incomplete, the
/// coverage line) as SARIF tool-execution notifications.
fn model_warnings(r: &Report) -> impl Iterator<Item = Value> + '_ {
    r.warnings.iter().map(move |w| {
        let (code, text) = w.split_once(": ").unwrap_or(("", w.as_str()));
        let mut n = json!({
            "level": "warning",
            "message": { "text": format!("{text} (model {})", r.model) },
        });
        if !code.is_empty() {
            n["descriptor"] = json!({ "id": code });
        }
        n
    })
}

/// An error as a SARIF tool-execution notification.
fn notification(e: &RunError) -> Value {
    let mut n = json!({
        "level": "error",
        "message": { "text": match &e.help {
            Some(h) => format!("{} ({h})", e.message),
            None => e.message.clone(),
        } },
    });
    if let Some(code) = &e.code {
        n["descriptor"] = json!({ "id": code });
    }
    if let Some(file) = &e.file {
        n["locations"] = json!([ { "physicalLocation": {
            "artifactLocation": { "uri": uri(file) },
            "region": { "startLine": e.line.unwrap_or(1), "startColumn": e.column.unwrap_or(1) }
        } } ]);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::{normalize, uri};

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalize("policies/../tests/x.json"), "tests/x.json");
        assert_eq!(normalize("./a/./b"), "a/b");
        assert_eq!(normalize("../a"), "../a");
        assert_eq!(uri("my policies/a#1.np"), "my%20policies/a%231.np");
        assert_eq!(normalize("/abs/x/../y"), "/abs/y");
    }
}
