//! JUnit XML: one test case per assertion, a failure per violated one.

use super::RunError;
use crate::report::{Report, Status};
use std::fmt::Write;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The JUnit document for a set of reports (one test suite per policy).
pub fn render(reports: &[Report], errors: &[RunError]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    if !errors.is_empty() {
        // Errors are a suite of their own, so a run that could not check
        // anything never reads as an empty, passing one.
        let _ = writeln!(
            out,
            "  <testsuite name=\"netpolicy\" tests=\"{n}\" failures=\"0\" errors=\"{n}\">",
            n = errors.len()
        );
        for e in errors {
            let place = match (&e.file, e.line, e.column) {
                (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
                (Some(f), _, _) => f.clone(),
                _ => "netpolicy".into(),
            };
            let _ = writeln!(
                out,
                "    <testcase classname=\"netpolicy\" name=\"{}\">\n      <error message=\"{}\" type=\"{}\">{}</error>\n    </testcase>",
                escape(&place),
                escape(&e.message),
                escape(e.code.as_deref().unwrap_or("error")),
                escape(e.help.as_deref().unwrap_or_default())
            );
        }
        out.push_str("  </testsuite>\n");
    }
    for r in reports {
        let failures = r
            .verdicts
            .iter()
            .filter(|v| v.status != Status::Holds)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
            escape(&r.policy),
            r.verdicts.len()
        );
        for v in &r.verdicts {
            let name = match &v.name {
                Some(n) => format!("{n}: {}", v.assertion),
                None => v.assertion.clone(),
            };
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                escape(&r.policy),
                escape(&name)
            );
            if v.status == Status::Holds {
                out.push_str("/>\n");
                continue;
            }
            // An undecided verdict fails as `netpolicy check` does by default.
            let kind = match v.status {
                Status::Unknown => "unknown",
                _ => "violated",
            };
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"{kind}\">",
                escape(&v.message)
            );
            if !v.unknown.is_empty() {
                let _ = writeln!(out, "undecided by: {}", escape(&v.unknown.join(", ")));
            }
            let _ = writeln!(
                out,
                "{}:{}:{}",
                escape(&v.location.file),
                v.location.line,
                v.location.column
            );
            for c in &v.counterexamples {
                let _ = writeln!(out, "{}", escape(&c.finding));
                if let Some(p) = &c.packet {
                    let _ = writeln!(out, "  packet {}", escape(&p.to_string()));
                }
                for h in &c.hops {
                    let verdict = if h.allowed { "allow" } else { "DENY" };
                    let _ = writeln!(
                        out,
                        "  {verdict} {}: {}: {}",
                        escape(&h.check),
                        escape(&h.object),
                        escape(&h.rule)
                    );
                }
            }
            out.push_str("      </failure>\n    </testcase>\n");
        }
        // The model's warnings say what may make the results incomplete.
        if !r.warnings.is_empty() {
            out.push_str("    <system-err>");
            for w in &r.warnings {
                let _ = writeln!(out, "{}", escape(w));
            }
            out.push_str("</system-err>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
