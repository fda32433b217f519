//! Loaders never panic: real inputs, cut and damaged at random, must load or fail
//! with an error.

use netpolicy_core::engine::Engine;
use netpolicy_core::load::aws_cli::load_aws_cli_dir;
use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation};
use netpolicy_core::load::load_native;
use netpolicy_core::load::terraform::load_terraform;
use netpolicy_tests::DUMP_FILES;
use proptest::prelude::*;

const TEMPLATE: &str =
    include_str!("../fixtures/cloudformation/inspector-reachability-workshop.json");
const NATIVE: &str = include_str!("../../examples/inspector-workshop.yaml");
const PLAN: &str = include_str!("../fixtures/exports/terraform/inspector-workshop.plan.json");
const DUMP: &str = "fixtures/exports/aws-cli/inspector-workshop";

/// A scratch copy of the workshop dump with one file replaced by `text`.
fn damaged_dump(file: &str, text: &str, case: usize) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("netpolicy-no-panic-{}-{case}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(entries) = std::fs::read_dir(DUMP) {
        for e in entries.flatten() {
            let _ = std::fs::copy(e.path(), dir.join(e.file_name()));
        }
    }
    let _ = std::fs::write(dir.join(file), text);
    dir
}

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
    fn damaged_terraform_plans_never_panic(at in 0usize..270_000, len in 0usize..400, kind in 0u8..3) {
        let text = damage(PLAN, at, len, kind);
        if let Ok(model) = load_terraform("p.json", &text) {
            let engine = Engine::new(&model);
            for eni in model.enis() {
                let _ = engine.internet_exposure(&eni.meta.id);
            }
        }
    }

    #[test]
    fn damaged_dumps_never_panic(file in 0usize..6, at in 0usize..60_000, len in 0usize..400, kind in 0u8..3) {
        let name = DUMP_FILES[file];
        let original = std::fs::read_to_string(std::path::Path::new(DUMP).join(name)).unwrap_or_default();
        let dir = damaged_dump(name, &damage(&original, at, len, kind), file);
        if let Ok(model) = load_aws_cli_dir(&dir) {
            let engine = Engine::new(&model);
            for eni in model.enis() {
                let _ = engine.internet_exposure(&eni.meta.id);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = load_native("m.yaml", &text);
        let _ = load_cloudformation("t.yaml", &text, &TemplateOptions::default());
        let _ = load_terraform("p.json", &text);
    }
}
