//! Every parse and resolve error class, rendered against the policy text as a
//! user sees it. One case file per error in `tests/cases/policy-errors/`, checked
//! against the first workshop's template.

use miette::{NamedSource, Report};
use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation_file};
use netpolicy_core::span::{SourceMap, WindowedText};
use netpolicy_lang::check::check_policy;
use netpolicy_lang::parse_policy;
use netpolicy_tests::render_diagnostic;

#[test]
fn policy_errors_are_spanned() {
    let template = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cloudformation/inspector-reachability-workshop.json"
    );
    let Ok(model) =
        load_cloudformation_file(std::path::Path::new(template), &TemplateOptions::default())
    else {
        unreachable!("the fixture loads (tested elsewhere)")
    };
    insta::glob!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/cases/policy-errors"),
        "*.np",
        |path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("policy.np")
                .to_string();
            let mut sources = SourceMap::default();
            let id = sources.add(&name, text.as_str());
            let source = || NamedSource::new(name.clone(), WindowedText::new(text.clone()));
            let rendered = match parse_policy(&text, id) {
                Err(e) => render_diagnostic(Report::new(e).with_source_code(source()).as_ref()),
                Ok(policy) => match check_policy(&model, &policy, &sources, &name, "template") {
                    Err(e) => {
                        assert!(e.span().is_some(), "{name}: the error has no span");
                        render_diagnostic(Report::new(e).with_source_code(source()).as_ref())
                    }
                    Ok(_) => "checked without error".to_string(),
                },
            };
            insta::assert_snapshot!(rendered);
        }
    );
}
