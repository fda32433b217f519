//! Canonical formatting of policy files: one statement per line (labelled
//! assertions on two), single spaces around operators, `, ` between services,
//! comments kept in place, at most one blank line between statements. Formatting
//! is idempotent.

use crate::ast::{Assertion, AssertionKind, Layer, Qualifier, Selector, ServiceExpr};
use crate::parse::{ParseError, parse_policy};
use netpolicy_core::span::SourceId;

/// Formats a policy's text.
pub fn format_policy(text: &str) -> Result<String, ParseError> {
    // Output lines end in `\n`; `\r\n` and a lone `\r` end lines too.
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = normalized.as_str();
    let policy = parse_policy(text, SourceId(0))?;
    let mut statements: Vec<(usize, usize, String)> = Vec::new();
    if let Some((path, span)) = &policy.model {
        statements.push((
            span.start as usize,
            span.end as usize,
            format!("model \"{path}\""),
        ));
    }
    for l in &policy.lets {
        statements.push((
            l.span.start as usize,
            l.span.end as usize,
            format!("let {} = {}", l.name, selector(&l.selector, false)),
        ));
    }
    for a in &policy.assertions {
        statements.push((a.span.start as usize, a.span.end as usize, assertion(a)));
    }
    statements.sort_by_key(|s| s.0);
    let mut out = String::new();
    let mut cursor = 0;
    for (start, end, rendered) in statements {
        let gap = text.get(cursor..start).unwrap_or_default();
        push_gap(&mut out, gap);
        // Comments written inside a statement move above it.
        for c in comments(text.get(start..end).unwrap_or_default()) {
            out.push_str(&c);
            out.push('\n');
        }
        out.push_str(&rendered);
        out.push('\n');
        cursor = end;
    }
    push_gap(&mut out, text.get(cursor..).unwrap_or_default());
    while out.ends_with("\n\n") {
        out.pop();
    }
    Ok(out)
}

/// Appends the comments and blank lines between two statements. The gap starts
/// right after the previous statement, so its first line is the rest of that
/// statement's line: a trailing comment there stays on it.
fn push_gap(out: &mut String, gap: &str) {
    let at_start = out.is_empty();
    let mut lines = gap.split('\n');
    if !at_start && let Some(rest) = lines.next().map(str::trim).filter(|r| !r.is_empty()) {
        out.pop();
        out.push(' ');
        out.push_str(rest);
        out.push('\n');
    }
    let rest: Vec<&str> = lines.collect();
    let last = rest.len().saturating_sub(1);
    let mut blank = false;
    for (i, line) in rest.iter().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            // The last piece is the indentation of the next statement, not a line.
            blank |= i != last;
            continue;
        }
        if blank && !out.is_empty() {
            out.push('\n');
        }
        blank = false;
        out.push_str(t);
        out.push('\n');
    }
    if blank && !out.is_empty() {
        out.push('\n');
    }
}

/// Comments inside a statement's text (outside strings). `//` inside a token
/// (`tcp//443`, a malformed service) is part of the token, as the grammar
/// reads it: only `//` after a space or punctuation starts a comment.
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, &(i, c)) in chars.iter().enumerate() {
            let in_token = k
                .checked_sub(1)
                .and_then(|p| chars.get(p))
                .is_some_and(|(_, p)| {
                    p.is_ascii_alphanumeric() || matches!(p, '/' | '-' | '.' | '_' | '*' | '?')
                });
            match c {
                '"' => in_string = !in_string,
                '#' if !in_string => {
                    out.push(line[i..].trim().to_string());
                    break;
                }
                '/' if !in_string && !in_token && chars.get(k + 1).is_some_and(|n| n.1 == '/') => {
                    out.push(line[i..].trim().to_string());
                    break;
                }
                _ => {}
            }
        }
    }
    out
}

/// Words the grammar reads as keywords where a selector could start: a `let`
/// with such a name is written in parentheses.
const KEYWORDS: &[&str] = &[
    "any",
    "no",
    "only",
    "isolated",
    "same",
    "exposure",
    "least",
    "privately",
    "not",
    "through",
    "with",
    "none",
    "from",
    "model",
    "let",
    "assert",
    "internet",
    "onprem",
];

fn service(s: &ServiceExpr) -> String {
    s.text
        .split(',')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(", ")
}

fn service_clause(s: &Option<ServiceExpr>) -> String {
    s.as_ref()
        .map(|s| format!(" : {}", service(s)))
        .unwrap_or_default()
}

fn selector(s: &Selector, nested: bool) -> String {
    match s {
        Selector::Internet(_) => "internet".into(),
        Selector::OnPrem(_) => "onprem".into(),
        Selector::Typed { kind, pattern, .. } => format!("{kind}:{pattern}"),
        Selector::Cidr { text, .. } => format!("cidr:{text}"),
        Selector::Name { name, .. } if KEYWORDS.contains(&name.as_str()) => format!("({name})"),
        Selector::Name { name, .. } => name.clone(),
        Selector::Union(a, b) | Selector::Difference(a, b) => {
            let op = if matches!(s, Selector::Union(..)) {
                "+"
            } else {
                "-"
            };
            // Operators associate to the left: a compound right operand needs parentheses.
            let inner = format!("{} {op} {}", selector(a, false), selector(b, true));
            if nested { format!("({inner})") } else { inner }
        }
    }
}

fn assertion(a: &Assertion) -> String {
    let body = match &a.kind {
        AssertionKind::Reach {
            any,
            from,
            to,
            service,
        } => format!(
            "{}{} -> {}{}",
            if *any { "any " } else { "" },
            selector(from, false),
            selector(to, false),
            service_clause(service)
        ),
        AssertionKind::No {
            from,
            to,
            both,
            service,
        } => format!(
            "no {} {} {}{}",
            selector(from, false),
            if *both { "<->" } else { "->" },
            selector(to, false),
            service_clause(service)
        ),
        AssertionKind::Only { from, to, service } => {
            format!(
                "only {} -> {}{}",
                selector(from, false),
                selector(to, false),
                service_clause(service)
            )
        }
        AssertionKind::Isolated { a, b } => {
            format!("isolated {}, {}", selector(a, false), selector(b, false))
        }
        AssertionKind::Same { a, b } => format!(
            "same reachability {}, {}",
            selector(a, false),
            selector(b, false)
        ),
        AssertionKind::LeastPrivilege { targets } => {
            format!("least privilege {}", selector(targets, false))
        }
        AssertionKind::Exposure { targets, allowed } => format!(
            "exposure {} <= {} from internet",
            selector(targets, false),
            allowed.as_ref().map_or("none".to_string(), service)
        ),
    };
    let qualifiers: String = a
        .qualifiers
        .iter()
        .map(|q| match q {
            Qualifier::Privately(_) => " privately".to_string(),
            Qualifier::AnySourcePort(_) => " with any source port".to_string(),
            Qualifier::Ignoring(Layer::SecurityGroups, _) => " ignoring sg".to_string(),
            Qualifier::Ignoring(Layer::NetworkAcls, _) => " ignoring nacl".to_string(),
            Qualifier::Through(t) => format!(" through {}", selector(t, true)),
            Qualifier::NotThrough(t) => format!(" not through {}", selector(t, true)),
        })
        .collect();
    match &a.label {
        Some(l) => format!("assert \"{l}\":\n  {body}{qualifiers}"),
        None => format!("{body}{qualifiers}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_canonically_and_idempotently() {
        let messy = "# head\n\n\nmodel   \"m.json\"\nlet  web=sg:web*+instance:a   # trailing\n\n\n\nassert \"x\" :   no internet->web:tcp/80,ssh   privately\nonly a - (b + c) -> d : 3306\n// end\n";
        let once = format_policy(messy).unwrap();
        assert_eq!(
            once,
            "# head\n\nmodel \"m.json\"\nlet web = sg:web* + instance:a # trailing\n\nassert \"x\":\n  no internet -> web : tcp/80, ssh privately\nonly a - (b + c) -> d : 3306\n// end\n"
        );
        assert_eq!(format_policy(&once).unwrap(), once);
    }
}
