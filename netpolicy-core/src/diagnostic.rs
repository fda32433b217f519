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
            message: message.into(),
            span,
        }
    }
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
