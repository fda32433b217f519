#![expect(
    clippy::panic,
    reason = "fixtures that do not load or check fail the test"
)]

//! The bundled policies, checked through the library API as an embedding user
//! would, with their reports snapshot-tested (a pattern to copy for your own
//! policies: load, parse, check, then `insta::assert_snapshot!` the text).

use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation};
use netpolicy_core::model::Model;
use netpolicy_core::span::SourceMap;
use netpolicy_lang::check::check_policy;
use netpolicy_lang::parse_policy;
use netpolicy_lang::report::{Report, Status};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Loads a template under a stable, repository-relative name (for snapshots).
fn template(relative: &str) -> Model {
    let text = std::fs::read_to_string(root().join(relative)).unwrap_or_default();
    load_cloudformation(relative, &text, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn check(policy: &str, model: &Model) -> Report {
    let text = std::fs::read_to_string(root().join(policy)).unwrap_or_default();
    let mut sources = SourceMap::default();
    let id = sources.add(policy, text.as_str());
    let parsed = parse_policy(&text, id).unwrap_or_else(|e| panic!("{policy}: {e}"));
    check_policy(model, &parsed, &sources, policy, "the template")
        .unwrap_or_else(|e| panic!("{policy}: {e}"))
}

#[test]
fn inspector_workshop_assumptions() {
    let model = template("tests/fixtures/cloudformation/inspector-reachability-workshop.json");
    let report = check("policies/inspector-workshop.np", &model);
    let statuses: Vec<(&str, Status)> = report
        .verdicts
        .iter()
        .map(|v| (v.name.as_deref().unwrap_or(""), v.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("private subnets are private", Status::Violated),
            ("PoC failover parity", Status::Violated),
            ("no transit through the Bastion VPC", Status::Holds),
            (
                "only the load balancer reaches the web servers",
                Status::Holds
            ),
            ("only the web servers reach the database", Status::Violated),
            ("no admin ports from the internet", Status::Violated),
            ("bastions reach every environment", Status::Violated),
        ]
    );
    insta::assert_snapshot!("inspector_workshop_human", report.render_text());
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    insta::assert_snapshot!("inspector_workshop_json", json);
}

#[test]
fn native_infrasec_intentions() {
    let model = template("tests/fixtures/cloudformation/native-infrasec-workshop.json");
    let report = check("policies/native-infrasec.np", &model);
    let statuses: Vec<(&str, Status)> = report
        .verdicts
        .iter()
        .map(|v| (v.name.as_deref().unwrap_or(""), v.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("services egress is least privilege", Status::Violated),
            ("no admin ports from the internet", Status::Holds),
            (
                "load balancer stays out of the database subnets",
                Status::Holds
            ),
            ("only http is exposed", Status::Holds),
        ]
    );
    let finding = &report.verdicts[0].counterexamples[0].finding;
    assert!(
        finding.contains("`tcp/22 to 10.0.0.0/16` spans 65536 addresses for 4 interfaces"),
        "{finding}"
    );
    assert!(
        finding.contains(
            "reference sg:WebAppDbServerSecurityGroup, sg:WebAppWebServerSecurityGroup instead"
        ),
        "{finding}"
    );
    insta::assert_snapshot!("native_infrasec_human", report.render_text());
}

#[test]
fn bundled_policies_are_formatted_and_formatting_is_idempotent() {
    let dir = root().join("policies");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("np") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let once = netpolicy_lang::fmt::format_policy(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            once,
            text,
            "{} is not formatted: run `netpolicy fmt`",
            path.display()
        );
        let twice = netpolicy_lang::fmt::format_policy(&once).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(twice, once);
        checked += 1;
    }
    assert!(checked >= 2, "found {checked} policies");
}

/// The scale policy, on the small generated organization: the same verdicts as
/// on L (docs/scale.md), so the benchmark measures a policy that means something.
#[test]
fn synthetic_org_policy_on_a_generated_organization() {
    use netpolicy_core::synth::{Preset, generate};
    let model = generate(&Preset::S.spec()).unwrap_or_else(|e| panic!("{e}"));
    let report = check("policies/synthetic-org.np", &model);
    let violated: Vec<&str> = report
        .verdicts
        .iter()
        .filter(|v| v.status == Status::Violated)
        .filter_map(|v| v.name.as_deref())
        .collect();
    assert_eq!(report.verdicts.len(), 20);
    assert_eq!(
        violated,
        [
            "on-premises does not reach databases directly",
            "spokes do not talk to each other",
            "two spokes are isolated from each other",
            "no smtp out of the hub",
            "no rdp from the hub into the first spoke",
            "on-premises reaches a bastion on ssh",
        ]
    );
}

/// The README's snapshot example checks policies/web-tier.np: every
/// assertion holds on the network it names.
#[test]
fn the_readme_web_tier_policy_holds() {
    let text = std::fs::read_to_string(root().join("examples/small.yaml")).unwrap_or_default();
    let model =
        netpolicy_core::load::load_native("small.yaml", text).unwrap_or_else(|e| panic!("{e}"));
    let report = check("policies/web-tier.np", &model);
    assert_eq!(report.verdicts.len(), 4);
    assert!(
        report.verdicts.iter().all(|v| v.status == Status::Holds),
        "{}",
        report.render_text()
    );
}
