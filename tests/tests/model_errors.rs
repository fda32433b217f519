//! Every kind of bad model input yields one spanned error, rendered as a user
//! sees it. One case file per error in `tests/cases/model-errors/`.

use netpolicy_core::load::load_native;
use netpolicy_tests::render_diagnostic;

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
                    render_diagnostic(&failure)
                }
            };
            insta::assert_snapshot!(rendered);
        }
    );
}
