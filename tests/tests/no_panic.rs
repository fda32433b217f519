//! Loaders never panic: real inputs, cut and damaged at random, must load or fail
//! with an error.

use netpolicy_core::engine::Engine;
use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation};
use netpolicy_core::load::load_native;
use proptest::prelude::*;

const TEMPLATE: &str =
    include_str!("../fixtures/cloudformation/inspector-reachability-workshop.json");
const NATIVE: &str = include_str!("../../examples/inspector-workshop.yaml");

/// Applies one edit: cut the text, delete a range, or overwrite a byte with a
/// character that matters to JSON or YAML.
fn damage(text: &str, at: usize, len: usize, kind: u8) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = at % bytes.len().max(1);
    match kind % 3 {
        0 => bytes.truncate(at),
        1 => {
            let end = (at + len).min(bytes.len());
            bytes.drain(at..end);
        }
        _ => {
            let specials = b"{}[]:,\"'!-#&*\n 0";
            if let Some(b) = bytes.get_mut(at) {
                *b = specials[len % specials.len()];
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn damaged_templates_never_panic(at in 0usize..60_000, len in 0usize..400, kind in 0u8..3) {
        let text = damage(TEMPLATE, at, len, kind);
        if let Ok(model) = load_cloudformation("t.json", &text, &TemplateOptions::default()) {
            // Whatever loads can be analysed too.
            let engine = Engine::new(&model);
            for eni in model.enis() {
                let _ = engine.internet_exposure(&eni.meta.id);
            }
        }
    }

    #[test]
    fn damaged_native_models_never_panic(at in 0usize..12_000, len in 0usize..200, kind in 0u8..3) {
        let text = damage(NATIVE, at, len, kind);
        let _ = load_native("m.yaml", &text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = load_native("m.yaml", &text);
        let _ = load_cloudformation("t.yaml", &text, &TemplateOptions::default());
    }
}
