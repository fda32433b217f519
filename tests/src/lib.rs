//! Test support for netpolicy: a brute-force oracle that walks one concrete packet
//! through a model, and a generator of small random networks to cross-check the
//! engine against it.
//!
//! The oracle shares no code with the engine's set logic: it reads the model and
//! decides each hop with plain comparisons, straight from DESIGN §3.

pub mod generate;
pub mod oracle;

/// Renders a diagnostic as a user sees it without colour, at a fixed width, for
/// snapshot tests.
pub fn render_diagnostic(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100);
    match handler.render_report(&mut out, diagnostic) {
        Ok(()) => out,
        Err(e) => format!("render failed: {e}"),
    }
}
