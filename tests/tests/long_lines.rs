//! Diagnostics over long lines (minified templates, one-line dumps, policies
//! with huge tokens) render as a window around the span: miette pads labels
//! with a format width, which panics past column 65,535.

use netpolicy_core::span::WindowedText;
use netpolicy_tests::render_diagnostic;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("boom")]
struct Boom {
    #[source_code]
    src: WindowedText,
    #[label("here")]
    at: miette::SourceSpan,
}

fn render(text: &str, at: (usize, usize)) -> String {
    render_diagnostic(&Boom {
        src: WindowedText::new(text.to_string()),
        at: at.into(),
    })
}

#[test]
fn spans_into_long_lines_render_as_windows() {
    let long = "x".repeat(70_000);
    let text = format!("short line\n{long} tail\nlast\n");
    // A span on a short line that runs into a long one, one deep in a long
    // line, one that covers a long line, one that covers everything.
    for at in [(6, 20), (11 + 69_990, 8), (11, 70_005), (0, text.len())] {
        let out = render(&text, at);
        let longest = out.lines().map(str::len).max().unwrap_or(0);
        assert!(longest < 2_000, "{at:?}: a line of {longest} bytes");
    }
}
