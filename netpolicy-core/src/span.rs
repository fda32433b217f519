//! Source locations: every model object and rule remembers where it came from.

use serde::Serialize;
use std::sync::{Arc, OnceLock};

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
    /// Characters before each [`CHAR_BLOCK`]-byte block, for columns deep in
    /// a long line.
    chars_before_block: OnceLock<Vec<usize>>,
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
        let col = if offset - line_start <= CHAR_BLOCK {
            before.get(line_start..).map_or(0, |l| l.chars().count())
        } else {
            // Deep in a long line (a one-line file): counted by blocks.
            self.chars_before(offset) - self.chars_before(line_start)
        };
        Some((line, col + 1))
    }

    /// Characters before byte `offset` (a char boundary), by [`CHAR_BLOCK`]
    /// blocks counted once.
    fn chars_before(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        let blocks = self
            .chars_before_block
            .get_or_init(|| block_char_counts(bytes));
        let block = offset / CHAR_BLOCK;
        blocks.get(block).copied().unwrap_or(0)
            + bytes.get(block * CHAR_BLOCK..offset).map_or(0, char_starts)
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
            chars_before_block: OnceLock::new(),
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

    /// The whole text of `id` (empty for an id this map did not give).
    pub fn text(&self, id: SourceId) -> &str {
        self.get(id).map_or("", |f| f.text.as_str())
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
            WindowedText::new(file.text.clone()),
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
/// 65,535, and a megabyte of one line helps nobody. A long line is shown as a
/// window around the span.
///
/// Lines are indexed when a diagnostic first cites the text
/// (most inputs of a large model are never cited): a model of tens of
/// megabytes is cited by every counterexample of a report, and scanning it
/// from the start for each label costs more than the check itself; a
/// one-line file (a minified template, `terraform show -json`) is the worst
/// case. Clones share the text and the index.
#[derive(Clone, Debug)]
pub struct WindowedText(Arc<IndexedText>);

#[derive(Debug)]
struct IndexedText {
    text: String,
    /// Where each line starts, as miette breaks lines (`\n`, `\r\n`, `\r`).
    line_starts: OnceLock<Vec<usize>>,
}

/// Bytes per entry of the character index.
const CHAR_BLOCK: usize = 4096;

impl WindowedText {
    /// Wraps `text`; nothing is indexed until a span is read.
    pub fn new(text: impl Into<String>) -> Self {
        WindowedText(Arc::new(IndexedText {
            text: text.into(),
            line_starts: OnceLock::new(),
        }))
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.0.text
    }

    fn line_starts(&self) -> &[usize] {
        self.0.line_starts.get_or_init(|| {
            let bytes = self.0.text.as_bytes();
            let mut starts = vec![0];
            for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
                if bytes.get(i) == Some(&b'\n') || bytes.get(i + 1) != Some(&b'\n') {
                    starts.push(i + 1);
                }
            }
            starts
        })
    }

    /// The line (0-based) that holds byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts()
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// The byte range of line `line` without its line break.
    fn line_range(&self, line: usize) -> (usize, usize) {
        let starts = self.line_starts();
        let len = self.0.text.len();
        let start = starts.get(line).copied().unwrap_or(len);
        let mut end = starts.get(line + 1).copied().unwrap_or(len);
        let bytes = self.0.text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        (start, end)
    }
}

/// Characters before each [`CHAR_BLOCK`]-byte block of `bytes`.
fn block_char_counts(bytes: &[u8]) -> Vec<usize> {
    let mut out = vec![0];
    for chunk in bytes.chunks(CHAR_BLOCK) {
        let last = out.last().copied().unwrap_or(0);
        out.push(last + char_starts(chunk));
    }
    out
}

/// Bytes that start a UTF-8 character.
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

impl miette::SourceCode for WindowedText {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text = self.text();
        let offset = span.offset().min(text.len());
        let span_end = (offset + span.len()).min(text.len());
        let line = self.line_of(offset);
        let first = line.saturating_sub(context_lines_before);
        let last = self.line_of(span_end) + context_lines_after;
        let long = (first..=last).any(|l| {
            let (a, b) = self.line_range(l);
            b - a > LONG_LINE
        });
        if !long {
            // Short lines: miette's own reading, on the lines shown only.
            let starts = self.line_starts();
            let start = starts.get(first).copied().unwrap_or(0);
            let end = starts.get(last + 1).copied().unwrap_or(text.len());
            let window = text
                .get(start..end)
                .ok_or(miette::MietteError::OutOfBounds)?;
            let local = miette::SourceSpan::new((offset - start).into(), span.len());
            let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
            return Ok(Box::new(miette::MietteSpanContents::new(
                inner.data(),
                miette::SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
                inner.line() + first,
                inner.column(),
                inner.line_count() + first,
            )));
        }
        let (line_start, line_end) = self.line_range(line);
        let shown = span.len().min(2 * WINDOW);
        let start = floor_boundary(text, offset.saturating_sub(WINDOW).max(line_start));
        let end = floor_boundary(text, (offset + shown + WINDOW).min(line_end.max(offset)));
        let data = text.get(start..end).unwrap_or_default();
        // miette reads the column of the span's start (for the `file:line:col`
        // header) in bytes, as its own implementation for `str` reports it.
        let column = offset - line_start;
        Ok(Box::new(miette::MietteSpanContents::new(
            data.as_bytes(),
            miette::SourceSpan::new(start.into(), end - start),
            line,
            column,
            1,
        )))
    }
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
    use miette::SourceCode;

    /// Lines of every length, short and far past [`LONG_LINE`], with
    /// multi-byte characters and every kind of line break.
    fn mixed_text() -> String {
        let mut text = String::new();
        for (i, len) in [3usize, 700, 0, 40, 9000, 1, 100_000, 12]
            .iter()
            .enumerate()
        {
            for k in 0..*len {
                text.push(if k % 7 == 3 { 'é' } else { 'a' });
            }
            text.push_str(["\n", "\r\n", "\r"][i % 3]);
        }
        text
    }

    #[test]
    fn indexed_spans_read_as_miette_reads_them() {
        let text = mixed_text();
        let indexed = WindowedText::new(text.clone());
        let offsets = (0..text.len())
            .step_by(997)
            .chain(0..60)
            .chain(805..860)
            .chain([text.len() - 1])
            .filter(|&o| text.is_char_boundary(o));
        for offset in offsets {
            for (len, context) in [(0, 0), (5, 1), (2000, 2)] {
                let len = (offset + len).min(text.len()) - offset;
                let span = miette::SourceSpan::new(offset.into(), len);
                let ours = indexed.read_span(&span, context, context).unwrap();
                let theirs = text.as_str().read_span(&span, 0, 0).unwrap();
                // The `file:line:col` header: the span's own line (a window
                // shows no context lines), column in bytes as miette counts.
                let inside_crlf = text.as_bytes().get(offset.wrapping_sub(1)) == Some(&b'\r');
                if !inside_crlf && context == 0 {
                    assert_eq!(ours.line(), theirs.line(), "line at {offset}");
                    assert_eq!(ours.column(), theirs.column(), "column at {offset}");
                }
                let data = std::str::from_utf8(ours.data()).unwrap();
                assert!(
                    data.split(['\n', '\r'])
                        .all(|l| l.len() <= LONG_LINE + 2 * WINDOW + 4),
                    "window at {offset}"
                );
                if ours.span().len() == theirs.span().len()
                    && context == 0
                    && data.len() < LONG_LINE
                {
                    assert_eq!(
                        ours.data(),
                        theirs.data(),
                        "short lines as miette shows them, at {offset}"
                    );
                }
            }
        }
    }

    #[test]
    fn columns_deep_in_a_long_line_count_characters() {
        let text = mixed_text();
        let mut sources = SourceMap::default();
        let id = sources.add("f", text.clone());
        for offset in (0..text.len())
            .step_by(1231)
            .filter(|&o| text.is_char_boundary(o))
        {
            let before = &text[..offset];
            let found = sources.line_col(Span::new(id, offset, offset));
            // `SourceFile::line_col` breaks lines at `\n` only.
            let newline_line = before.matches('\n').count() + 1;
            let newline_start = before.rfind('\n').map_or(0, |i| i + 1);
            let newline_column = text[newline_start..offset].chars().count() + 1;
            assert_eq!(found, Some((newline_line, newline_column)), "at {offset}");
        }
    }

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
