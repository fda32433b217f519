//! The CloudFormation loader on the real workshop templates and on broken ones.

use netpolicy_core::load::cloudformation::{
    TemplateOptions, load_cloudformation, load_cloudformation_file,
};
use netpolicy_tests::render_diagnostic;
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/cloudformation")
        .join(name)
}

#[test]
fn inspector_workshop_summary() {
    match load_cloudformation_file(
        &fixture("inspector-reachability-workshop.json"),
        &TemplateOptions::default(),
    ) {
        Ok(model) => insta::assert_snapshot!(model.summary()),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn native_infrasec_workshop_summary() {
    match load_cloudformation_file(
        &fixture("native-infrasec-workshop.json"),
        &TemplateOptions::default(),
    ) {
        Ok(model) => insta::assert_snapshot!(model.summary()),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn broken_templates_render_spanned_errors() {
    insta::glob!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/cases/cfn-errors"),
        "*.*",
        |path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("template");
            let rendered = match load_cloudformation(name, &text, &TemplateOptions::default()) {
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
