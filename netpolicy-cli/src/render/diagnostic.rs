//! Violations as miette diagnostics: the assertion underlined in the policy, and
//! the deciding rule of each counterexample underlined in the model's input (two
//! sources in one report).

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use netpolicy_core::span::WindowedText;
use netpolicy_lang::report::{Counterexample, Verdict};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// Prints a diagnostic to stderr in one write: stderr is unbuffered and miette
/// writes a character at a time, which costs a system call each.
pub fn eprint(report: &miette::Report) {
    use std::io::Write;
    let text = format!("{report:?}\n");
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// One file's text, read once and shared by every diagnostic that shows it (a
/// model can be tens of megabytes and be cited by every counterexample).
#[derive(Clone)]
pub struct Source {
    name: String,
    text: WindowedText,
}

impl Source {
    /// Reads `path` (as written in the report).
    pub fn read(path: &str) -> Option<Source> {
        std::fs::read_to_string(path).ok().map(|text| Source {
            name: path.to_string(),
            text: WindowedText::new(text),
        })
    }
}

/// Files read so far, by path.
#[derive(Default)]
pub struct Sources(RefCell<HashMap<String, Option<Source>>>);

impl Sources {
    /// Files already in memory (a model's inputs), under their names.
    pub fn add_all(&self, files: netpolicy_core::span::SourceMap) {
        let mut known = self.0.borrow_mut();
        for f in files.into_files() {
            let source = Source {
                name: f.name.clone(),
                text: WindowedText::new(f.text),
            };
            known.insert(f.name, Some(source));
        }
    }

    /// The file at `path`, read on first use.
    pub fn get(&self, path: &str) -> Option<Source> {
        self.0
            .borrow_mut()
            .entry(path.to_string())
            .or_insert_with(|| Source::read(path))
            .clone()
    }
}

/// A violated assertion.
#[derive(Debug)]
pub struct Violation {
    message: String,
    source: NamedSource<WindowedText>,
    label: Option<(usize, usize)>,
    help: String,
    related: Vec<DecidingRule>,
}

/// The rule that decided a counterexample.
#[derive(Debug)]
pub struct DecidingRule {
    message: String,
    source: NamedSource<WindowedText>,
    label: (usize, usize),
}

impl Violation {
    /// Builds the diagnostic for a violated verdict; `model` is the model's input.
    pub fn new(v: &Verdict, policy: &Source, model_source: &Sources) -> Self {
        let related = v
            .counterexamples
            .iter()
            .filter_map(|c| deciding_rule(c, model_source))
            .collect();
        Violation {
            message: format!(
                "violated: {}",
                v.name.clone().unwrap_or_else(|| v.assertion.clone())
            ),
            source: NamedSource::new(policy.name.clone(), policy.text.clone()),
            label: Some((
                v.location.start,
                v.location.end.saturating_sub(v.location.start).max(1),
            )),
            help: v.message.clone(),
            related,
        }
    }
}

fn deciding_rule(c: &Counterexample, model_source: &Sources) -> Option<DecidingRule> {
    let hop = c.hops.get(c.deciding_hop?)?;
    let location = hop.location.as_ref()?;
    let file = model_source.get(&location.file)?;
    let label = (
        location.start,
        location.end.saturating_sub(location.start).max(1),
    );
    let verdict = if hop.allowed {
        "allowed by"
    } else {
        "dropped by"
    };
    Some(DecidingRule {
        message: format!(
            "{}: {verdict} {} {}: {}",
            c.finding, hop.check, hop.object, hop.rule
        ),
        source: NamedSource::new(file.name, file.text),
        label,
    })
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Violation {}
impl Diagnostic for Violation {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("np::check::violated"))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (start, len) = self.label?;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some("this assertion".into()),
            start,
            len,
        ))))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

impl fmt::Display for DecidingRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for DecidingRule {}
impl Diagnostic for DecidingRule {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some("deciding rule".into()),
            self.label.0,
            self.label.1,
        ))))
    }
}
