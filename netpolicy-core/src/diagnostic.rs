//! Warnings: things in the input that the model does not capture fully.
//!
//! Errors are typed per stage ([`crate::model::ModelError`], [`crate::load::LoadError`]);
//! warnings share this one type because callers only collect and show them.

use crate::span::Span;
use serde::Serialize;
use std::fmt;

/// Something that may make results incomplete, with where it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable code such as `np::model::vgw-without-vpn`.
    pub code: &'static str,
    /// One-line message, lowercase, no final period.
    pub message: String,
    /// Where in the input, when known.
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Warning {
    /// A warning with a code, a message and an optional span.
    pub fn new(code: &'static str, message: impl Into<String>, span: Option<Span>) -> Self {
        Warning {
            code,
            message: shorten_quoted(message.into()),
            span,
        }
    }
}

/// Longest value a message quotes whole.
const QUOTED_LIMIT: usize = 80;

/// A value as a message quotes it: whole up to 80 bytes, else its start and
/// its length.
pub fn shorten_value(value: &str) -> String {
    if value.len() <= QUOTED_LIMIT {
        return value.to_string();
    }
    let mut cut = 60;
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}... ({} bytes)", &value[..cut], value.len())
}

/// A message with every `quoted` value longer than 80 bytes cut to its start
/// and its length: an input's megabyte string must not be echoed into every
/// error and warning that names it.
pub fn shorten_quoted(message: String) -> String {
    if message.len() <= QUOTED_LIMIT {
        return message;
    }
    let parts: Vec<&str> = message.split('`').collect();
    if parts
        .iter()
        .skip(1)
        .step_by(2)
        .all(|p| p.len() <= QUOTED_LIMIT)
    {
        return message;
    }
    parts
        .iter()
        .enumerate()
        .map(|(k, p)| {
            if k % 2 == 1 {
                shorten_value(p)
            } else {
                (*p).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Warning {}

impl miette::Diagnostic for Warning {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Warning)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(None, span),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::shorten_quoted;

    #[test]
    fn long_quoted_values_are_cut() {
        let long = "a".repeat(1_000);
        let m = shorten_quoted(format!("no vpc `{long}` in the template"));
        assert!(m.len() < 120, "{m}");
        assert!(m.ends_with("(1000 bytes)` in the template"), "{m}");
        assert_eq!(shorten_quoted("short `x`".into()), "short `x`");
    }
}
