//! Source locations: every model object and rule remembers where it came from.

use serde::Serialize;
use std::sync::OnceLock;

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
    /// Where each line starts, found on the first lookup: a report cites
    /// rules all over a model of tens of megabytes.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// The 1-based line and column of byte `offset`, if it is in the text.
    pub fn line_col(&self, offset: usize) -> Option<(usize, usize)> {
        let before = self.text.get(..offset)?;
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|at| at + 1))
                .collect()
        });
        let line = starts.partition_point(|&start| start <= offset);
        let line_start = starts.get(line.checked_sub(1)?).copied().unwrap_or(0);
        let col = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }
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
            line_starts: OnceLock::new(),
        });
        id
    }

    /// The files, in the order they were added.
    pub fn into_files(self) -> Vec<SourceFile> {
        self.files
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
        self.get(span.source)?.line_col(span.start as usize)
    }

    /// A miette source for one file, built only when a diagnostic is rendered.
    pub fn named_source(&self, id: SourceId) -> Option<miette::NamedSource<WindowedText>> {
        let file = self.get(id)?;
        Some(miette::NamedSource::new(
            file.name.clone(),
            WindowedText(file.text.clone()),
        ))
    }
}

/// Longest line a diagnostic shows whole; a longer one (a minified template, a
/// one-line AWS CLI file) is shown as a window around the span.
pub const LONG_LINE: usize = 512;

/// Bytes of a long line shown on each side of the span.
const WINDOW: usize = 120;

/// Text for miette that never hands it a line longer than [`LONG_LINE`]:
/// miette pads labels to their column with a format width, which panics past
/// 65,535, and a megabyte of one line helps nobody.
#[derive(Clone, Debug)]
pub struct WindowedText(pub String);

impl miette::SourceCode for WindowedText {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        read_span_windowed(&self.0, span, context_lines_before, context_lines_after)
    }
}

/// [`miette::SourceCode::read_span`] over `text`, cutting a window around the
/// span when the span's line is longer than [`LONG_LINE`] (then without
/// context lines). Labels keep their offsets: the window says where it starts.
pub fn read_span_windowed<'a>(
    text: &'a str,
    span: &miette::SourceSpan,
    context_lines_before: usize,
    context_lines_after: usize,
) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
    let offset = span.offset().min(text.len());
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = text
        .get(offset..)
        .and_then(|rest| rest.find(['\n', '\r']))
        .map_or(text.len(), |i| offset + i);
    // Every line miette would show: the span's, and the context around it.
    let span_end = (offset + span.len()).min(text.len());
    let mut region_start = line_start;
    for _ in 0..context_lines_before {
        let Some(i) = text
            .get(..region_start.saturating_sub(1))
            .and_then(|t| t.rfind('\n'))
        else {
            region_start = 0;
            break;
        };
        region_start = i + 1;
    }
    let mut region_end = text
        .get(span_end..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| span_end + i);
    for _ in 0..context_lines_after {
        region_end = text
            .get(region_end + 1..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |i| region_end + 1 + i);
    }
    let region = text.get(region_start..region_end).unwrap_or_default();
    if region.split(['\n', '\r']).all(|l| l.len() <= LONG_LINE) {
        return miette::SourceCode::read_span(
            text,
            span,
            context_lines_before,
            context_lines_after,
        );
    }
    let shown = span.len().min(2 * WINDOW);
    let start = floor_boundary(text, offset.saturating_sub(WINDOW).max(line_start));
    let end = floor_boundary(text, (offset + shown + WINDOW).min(line_end));
    let data = text.get(start..end).unwrap_or_default();
    let line = before.matches('\n').count();
    // miette reads the column of the span's start (for the `file:line:col`
    // header), as its own implementation for `str` reports it.
    let column = text
        .get(line_start..offset)
        .map_or(0, |t| t.chars().count());
    Ok(Box::new(miette::MietteSpanContents::new(
        data.as_bytes(),
        miette::SourceSpan::new(start.into(), end - start),
        line,
        column,
        1,
    )))
}

/// The largest char boundary of `text` at or before `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one() {
        let mut sources = SourceMap::default();
        let id = sources.add("f", "a\nbé\n\nd");
        let at = |offset: usize| sources.line_col(Span::new(id, offset, offset));
        assert_eq!(at(0), Some((1, 1)));
        assert_eq!(at(2), Some((2, 1)));
        assert_eq!(at(5), Some((2, 3)), "columns count characters");
        assert_eq!(at(6), Some((3, 1)));
        assert_eq!(at(8), Some((4, 2)), "the end of the text");
        assert_eq!(at(9), None, "past the end");
        assert_eq!(at(4), None, "inside a character");
    }
}
