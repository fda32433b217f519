#![expect(clippy::panic, reason = "a fixture that does not load fails the test")]

//! The first workshop's network from three inputs: its CloudFormation template,
//! an AWS CLI dump of the deployed stack and a Terraform plan of a translation
//! (`tests/fixtures/exports/`). The same policy must give the same verdicts on
//! all three, modulo ids: the template's logical ids, AWS's ids and Terraform
//! addresses all name the same objects. Malformed dumps and plans get spanned
//! errors (snapshots, one case per error).

use netpolicy_core::load::aws_cli::load_aws_cli_dir;
use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation_file};
use netpolicy_core::load::terraform::load_terraform;
use netpolicy_core::load::{LoadFailure, ModelFormat, load_model_file};
use netpolicy_core::model::{EniOwner, Model};
use netpolicy_core::span::SourceMap;
use netpolicy_lang::check::check_policy;
use netpolicy_lang::parse_policy;
use netpolicy_lang::report::{Report, Status};
use netpolicy_tests::render_diagnostic;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn inputs() -> Vec<(&'static str, Model)> {
    let fixtures = root().join("tests/fixtures");
    let load = |path: PathBuf| {
        load_model_file(&path, None, &TemplateOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    vec![
        (
            "cloudformation",
            load_cloudformation_file(
                &fixtures.join("cloudformation/inspector-reachability-workshop.json"),
                &TemplateOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{e}")),
        ),
        (
            "aws-cli",
            load(fixtures.join("exports/aws-cli/inspector-workshop")),
        ),
        (
            "terraform",
            load(fixtures.join("exports/terraform/inspector-workshop.plan.json")),
        ),
    ]
}

fn check(model: &Model) -> Report {
    let policy = "policies/inspector-workshop.np";
    let text = std::fs::read_to_string(root().join(policy)).unwrap_or_default();
    let mut sources = SourceMap::default();
    let id = sources.add(policy, text.as_str());
    let parsed = parse_policy(&text, id).unwrap_or_else(|e| panic!("{e}"));
    check_policy(model, &parsed, &sources, policy, "the model").unwrap_or_else(|e| panic!("{e}"))
}

/// The template's name for an object: its id in the template, the CloudFormation
/// logical id tag in the dump, the resource name in the plan.
fn logical(meta: &netpolicy_core::model::Meta) -> String {
    meta.aliases
        .iter()
        .find(|a| !a.contains('.'))
        .unwrap_or(&meta.id)
        .clone()
}

/// Interface ids to a name that does not depend on the input: the instance's
/// logical id, or the load balancer's node in a subnet.
fn canonical_interfaces(model: &Model) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for e in model.enis() {
        let subnet = model
            .subnet(&e.subnet)
            .map(|s| logical(&s.meta))
            .unwrap_or_default();
        let name = match &e.owner {
            EniOwner::Instance(i) => model
                .instance(i)
                .map(|i| logical(&i.meta))
                .unwrap_or_default(),
            EniOwner::LoadBalancer(l) => {
                let lb = model.load_balancer(l).map(|l| logical(&l.meta));
                format!("{} node in {subnet}", lb.unwrap_or_default())
            }
            _ => e.meta.id.clone(),
        };
        names.insert(e.meta.id.clone(), name);
    }
    names
}

type Verdicts = Vec<(
    String,
    Status,
    usize,
    Option<BTreeSet<(String, String, String)>>,
)>;

/// Per assertion: name, status, number of findings and, when the report lists
/// every finding, the findings with interfaces named canonically.
fn normalized(model: &Model, report: &Report) -> Verdicts {
    let names = canonical_interfaces(model);
    let rename = |s: &str| names.get(s).cloned().unwrap_or_else(|| s.to_string());
    report
        .verdicts
        .iter()
        .map(|v| {
            let complete = v.counterexamples.len() == v.findings;
            let findings = complete.then(|| {
                v.counterexamples
                    .iter()
                    .map(|c| {
                        (
                            rename(&c.source.to_string()),
                            rename(&c.destination.to_string()),
                            c.services.clone(),
                        )
                    })
                    .collect()
            });
            (
                v.name.clone().unwrap_or_default(),
                v.status,
                v.findings,
                findings,
            )
        })
        .collect()
}

#[test]
fn template_dump_and_plan_give_the_same_verdicts() {
    let all: Vec<(&str, Verdicts)> = inputs()
        .iter()
        .map(|(name, model)| (*name, normalized(model, &check(model))))
        .collect();
    let (_, reference) = &all[0];
    let statuses: Vec<Status> = reference.iter().map(|v| v.1).collect();
    assert_eq!(
        statuses,
        [
            Status::Violated,
            Status::Violated,
            Status::Holds,
            Status::Holds,
            Status::Violated,
            Status::Violated,
            Status::Violated
        ]
    );
    let compared = reference.iter().filter(|v| v.3.is_some()).count();
    assert!(compared >= 3, "too few assertions list every finding");
    for (input, verdicts) in &all[1..] {
        assert_eq!(verdicts, reference, "{input} disagrees with the template");
    }
}

#[test]
fn the_dump_and_the_plan_resolve_policies_by_logical_id() {
    for (input, model) in inputs().into_iter().skip(1) {
        let web = model
            .instances()
            .iter()
            .find(|i| i.meta.names().any(|n| n == "WebAppServerAZ1"))
            .unwrap_or_else(|| panic!("{input}: no WebAppServerAZ1"));
        assert_ne!(
            web.meta.id, "WebAppServerAZ1",
            "{input}: ids are the input's own"
        );
        assert_eq!(web.meta.name.as_deref(), Some("Web Server for AZ1"));
        let lb = &model.load_balancers()[0];
        assert_eq!(lb.nodes.len(), 2, "{input}: one node per subnet");
        assert_eq!(lb.listeners.len(), 1);
        assert_eq!(model.target_groups()[0].targets.len(), 2);
    }
}

#[test]
fn the_dump_keeps_deployed_addresses_and_the_plan_allocates_them() {
    let models = inputs();
    let dump = &models[1].1;
    let db = dump
        .enis()
        .iter()
        .find(|e| e.meta.name.as_deref() == Some("Database Server for AZ1"))
        .unwrap_or_else(|| panic!("no DB interface in the dump"));
    assert_eq!(db.private_ips[0].to_string(), "10.0.2.113");
    assert_eq!(
        db.public_ip.map(|ip| ip.to_string()).as_deref(),
        Some("34.229.81.7")
    );
    assert!(!db.addresses_allocated);
    let plan = &models[2].1;
    let db = plan
        .eni("aws_instance.DbServerAZ1/eni0")
        .unwrap_or_else(|| panic!("no DB interface in the plan"));
    assert!(db.addresses_allocated, "a plan knows no addresses yet");
    assert!(
        db.public_ip.is_some(),
        "the DB subnet maps public IPs on launch"
    );
}

#[test]
fn formats_are_detected() {
    let fixtures = root().join("tests/fixtures");
    let plan =
        std::fs::read_to_string(fixtures.join("exports/terraform/inspector-workshop.plan.json"))
            .unwrap_or_default();
    assert_eq!(ModelFormat::detect(&plan), ModelFormat::Terraform);
    let template = std::fs::read_to_string(
        fixtures.join("cloudformation/inspector-reachability-workshop.json"),
    )
    .unwrap_or_default();
    assert_eq!(ModelFormat::detect(&template), ModelFormat::CloudFormation);
}

fn render(result: Result<Model, LoadFailure>, name: &str) -> String {
    match result {
        Ok(_) => "loaded without error".to_string(),
        Err(failure) => {
            let missing_file = matches!(
                failure.error(),
                netpolicy_core::load::LoadError::MissingFile { .. }
            );
            assert!(
                missing_file || failure.error().span().is_some(),
                "{name}: the error has no span"
            );
            render_diagnostic(&failure)
        }
    }
}

#[test]
fn bad_dumps_render_spanned_errors() {
    insta::glob!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/cases/aws-cli-errors"),
        "*/ec2-describe-vpcs.json",
        |path| {
            let case = path.parent().unwrap_or(path);
            let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("dump");
            // A relative path keeps file names in snapshots stable.
            let relative = Path::new("cases/aws-cli-errors").join(name);
            insta::assert_snapshot!(render(load_aws_cli_dir(&relative), name));
        }
    );
}

#[test]
fn bad_plans_render_spanned_errors() {
    insta::glob!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/cases/terraform-errors"),
        "*.json",
        |path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("plan");
            insta::assert_snapshot!(render(load_terraform(name, &text), name));
        }
    );
}
