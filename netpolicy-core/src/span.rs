//! Source locations: every model object and rule remembers where it came from.

use serde::Serialize;

/// Identifies one input file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SourceId(pub u32);

/// A byte range in one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// The file.
    pub source: SourceId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span in `source` over `start..end` (clamped to `u32`).
    pub fn new(source: SourceId, start: usize, end: usize) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            source,
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new(
            (span.start as usize).into(),
            span.end.saturating_sub(span.start) as usize,
        )
    }
}

/// One input file: its name as the user gave it, and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path or name shown in diagnostics.
    pub name: String,
    /// The full text.
    pub text: String,
}

/// The input files of a model, so a diagnostic can show the lines it points at.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Registers a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        let id = SourceId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        id
    }

    /// The file behind `id`.
    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The text a span covers, if the span is valid.
    pub fn snippet(&self, span: Span) -> Option<&str> {
        self.get(span.source)?
            .text
            .get(span.start as usize..span.end as usize)
    }

    /// The 1-based line and column of a span's start.
    pub fn line_col(&self, span: Span) -> Option<(usize, usize)> {
        let text = &self.get(span.source)?.text;
        let before = text.get(..span.start as usize)?;
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }

    /// A miette source for one file, built only when a diagnostic is rendered.
    pub fn named_source(&self, id: SourceId) -> Option<miette::NamedSource<String>> {
        let file = self.get(id)?;
        Some(miette::NamedSource::new(
            file.name.clone(),
            file.text.clone(),
        ))
    }
}
