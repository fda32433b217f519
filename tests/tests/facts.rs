#![expect(
    clippy::panic,
    reason = "a fact that netpolicy gets wrong, or a case that does not load, fails the test"
)]

//! Facts decided by hand: each case under `tests/facts/` is a small network
//! written in every format that can express it, beside `facts.np`, whose
//! assertions were decided from AWS documentation by reading the template,
//! never by running netpolicy (tests/facts/README.md). Every assertion must
//! hold on every format of its case: unlike the oracle, which reads the model
//! a loader produced, these catch a loader that gets AWS wrong.

use netpolicy_core::load::cloudformation::TemplateOptions;
use netpolicy_core::load::load_model_file;
use netpolicy_core::span::SourceMap;
use netpolicy_lang::check::check_policy;
use netpolicy_lang::parse_policy;
use netpolicy_lang::report::Status;
use std::path::{Path, PathBuf};

/// The files a case may hold, one per format.
const FORMATS: [&str; 4] = ["template.yaml", "plan.json", "dump", "network.yaml"];

fn facts_root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/facts")).to_path_buf()
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(facts_root())
        .unwrap_or_else(|e| panic!("tests/facts: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("facts.np").is_file())
        .collect();
    cases.sort();
    cases
}

/// The facts of `case` that `model_path` gets wrong, one line each.
fn wrong_facts(case: &Path, model_path: &Path) -> Vec<String> {
    let name = format!(
        "{}/{}",
        case.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        model_path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    let model = match load_model_file(model_path, None, &TemplateOptions::default()) {
        Ok(m) => m,
        Err(e) => return vec![format!("{name}: does not load: {e}: {:?}", e.error())],
    };
    let policy_path = case.join("facts.np");
    let text = std::fs::read_to_string(&policy_path).unwrap_or_else(|e| panic!("{e}"));
    let mut sources = SourceMap::default();
    let id = sources.add(policy_path.display().to_string(), text.as_str());
    let policy = parse_policy(&text, id).unwrap_or_else(|e| panic!("{name}: {e}"));
    let report = match check_policy(&model, &policy, &sources, "facts.np", "the case") {
        Ok(r) => r,
        Err(e) => return vec![format!("{name}: does not check: {e}")],
    };
    report
        .verdicts
        .iter()
        .filter(|v| v.status != Status::Holds)
        .map(|v| {
            let why = v.name.as_deref().unwrap_or("");
            let first = v.counterexamples.first().map(|c| c.finding.as_str());
            format!(
                "{name}: {} is {} ({why}){}",
                v.assertion,
                v.status,
                first.map(|f| format!(": {f}")).unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn every_hand_decided_fact_holds_in_every_format() {
    let cases = cases();
    assert!(!cases.is_empty(), "no case under tests/facts");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for case in &cases {
        for format in FORMATS {
            let path = case.join(format);
            if path.exists() {
                checked += 1;
                wrong.extend(wrong_facts(case, &path));
            }
        }
    }
    assert!(checked >= cases.len(), "a case without any format");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
