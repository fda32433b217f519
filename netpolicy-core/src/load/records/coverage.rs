//! What a load made of its input's resources, said the same way for every
//! format: one warning per resource type that shapes traffic but is not
//! modelled (its count and first resources), then one coverage line.
//!
//! A resource that is silently dropped can turn a violated policy into one
//! that holds, so nothing that affects traffic may pass unmentioned.

use crate::diagnostic::Warning;
use crate::span::Span;
use std::collections::BTreeMap;

/// How a reader classes one resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Read into the model.
    Modelled,
    /// Shapes traffic but is not modelled: `why` ends the warning.
    NotModelled {
        /// What the user should know (how results may be wrong, what to do).
        why: &'static str,
    },
    /// Does not take part in the network (IAM, queues, ...).
    Ignored,
}

/// The default end of a not-modelled warning.
pub(crate) const INCOMPLETE: &str =
    "affects the network but is not modelled: results may be incomplete";

/// The resources of one load, counted by class.
#[derive(Default)]
pub(crate) struct Coverage<'a> {
    modelled: usize,
    ignored: usize,
    missing: BTreeMap<&'a str, (Vec<&'a str>, Option<Span>, &'static str)>,
}

impl<'a> Coverage<'a> {
    /// Counts the resource `name` of type `kind`, at `span`.
    pub fn count(&mut self, kind: &'a str, class: Class, name: &'a str, span: Option<Span>) {
        match class {
            Class::Modelled => self.modelled += 1,
            Class::Ignored => self.ignored += 1,
            Class::NotModelled { why } => {
                let entry = self
                    .missing
                    .entry(kind)
                    .or_insert_with(|| (Vec::new(), span, why));
                entry.0.push(name);
            }
        }
    }

    /// The warnings, under the reader's codes (`np::cfn::not-modelled`,
    /// `np::cfn::coverage`); `left_out` ends the coverage line (resources
    /// left out by conditions, say), empty when there is nothing to add.
    pub fn warnings(
        self,
        not_modelled_code: &'static str,
        coverage_code: &'static str,
        left_out: &str,
    ) -> Vec<Warning> {
        let mut warnings = Vec::with_capacity(self.missing.len() + 1);
        let mut not_modelled = 0;
        let types = self.missing.len();
        for (kind, (names, span, why)) in self.missing {
            not_modelled += names.len();
            let shown = &names[..names.len().min(3)];
            let more = match names.len() - shown.len() {
                0 => String::new(),
                n => format!(", {n} more"),
            };
            warnings.push(Warning::new(
                not_modelled_code,
                format!("{kind} x{} ({}{more}) {why}", names.len(), shown.join(", ")),
                span,
            ));
        }
        warnings.push(Warning::new(
            coverage_code,
            format!(
                "modelled {} resources, not modelled {not_modelled} of {types} types, ignored {} non-network{left_out}",
                self.modelled, self.ignored
            ),
            None,
        ));
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_missing_type_is_one_warning_before_the_coverage_line() {
        let mut c = Coverage::default();
        let why = Class::NotModelled { why: INCOMPLETE };
        for name in ["a", "b", "c", "d"] {
            c.count("T", why, name, None);
        }
        c.count("U", Class::Modelled, "u", None);
        c.count("V", Class::Ignored, "v", None);
        let w = c.warnings("x::not-modelled", "x::coverage", ", 2 left out");
        let messages: Vec<&str> = w.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "T x4 (a, b, c, 1 more) affects the network but is not modelled: results may be incomplete",
                "modelled 1 resources, not modelled 4 of 1 types, ignored 1 non-network, 2 left out",
            ]
        );
    }
}
