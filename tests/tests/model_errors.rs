//! Every kind of bad model input yields one spanned error, rendered as a user
//! sees it. One case file per error in `tests/cases/model-errors/`.

use miette::{GraphicalReportHandler, GraphicalTheme};
use netpolicy_core::load::load_native;

fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    match handler.render_report(&mut out, diagnostic) {
        Ok(()) => out,
        Err(e) => format!("render failed: {e}"),
    }
}

#[test]
fn bad_models_render_spanned_errors() {
    insta::glob!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/cases/model-errors"),
        "*.*",
        |path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("model");
            let rendered = match load_native(name, &text) {
                Ok(_) => "loaded without error".to_string(),
                Err(failure) => {
                    assert!(
                        failure.error().span().is_some(),
                        "{name}: the error has no span"
                    );
                    render(&failure)
                }
            };
            insta::assert_snapshot!(rendered);
        }
    );
}
