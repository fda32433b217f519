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

/// Whether the internet reaches interface `eni` of `model`.
fn internet_reaches(model: &netpolicy_core::model::Model, eni: &str) -> bool {
    let engine = netpolicy_core::engine::Engine::new(model);
    !engine.internet_exposure(eni).packets().is_empty()
}

fn warning_codes(model: &netpolicy_core::model::Model) -> String {
    model
        .warnings()
        .iter()
        .map(|w| format!("{}: {}", w.code, w.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_stack_set_loads_as_one_network_and_imports_find_exports() {
    let paths = [
        fixture("stack-set/app.yaml"),
        fixture("stack-set/network.yaml"),
    ];
    let model = netpolicy_core::load::load_model_files(&paths, None, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let web = model.eni("WebServer/eni0").expect("web server");
    assert_eq!(
        web.subnet, "PublicSubnet",
        "placed by an import of the network stack"
    );
    assert_eq!(
        model.eni("DbServer/eni0").map(|e| e.subnet.as_str()),
        Some("PrivateSubnet")
    );
    assert!(internet_reaches(&model, "WebServer/eni0"));
    assert!(!internet_reaches(&model, "DbServer/eni0"));
    let warnings = warning_codes(&model);
    assert!(
        warnings.contains("security group `ImportValue:monitoring-AgentGroup` is exported by another stack that is not loaded"),
        "an import nobody exports is an external object: {warnings}"
    );
}

#[test]
fn the_application_stack_alone_stands_on_external_objects() {
    let model =
        load_cloudformation_file(&fixture("stack-set/app.yaml"), &TemplateOptions::default())
            .unwrap_or_else(|e| panic!("{e:?}"));
    let subnet = model
        .subnet("ImportValue:netpolicy-stack-PrivateSubnetId")
        .expect("external subnet");
    assert!(subnet.map_public_ip_on_launch, "the most exposed placement");
    assert!(internet_reaches(&model, "WebServer/eni0"));
}

#[test]
fn a_template_loads_over_the_dump_of_its_deployed_network() {
    let dump =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/exports/aws-cli/inspector-workshop");
    let paths = [fixture("existing-network/app.yaml"), dump];
    let place = |vpc: &str, subnet: &str| {
        let options = TemplateOptions {
            parameters: [("AppVpc", vpc), ("AppSubnet", subnet)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..TemplateOptions::default()
        };
        netpolicy_core::load::load_model_files(&paths, None, &options)
            .unwrap_or_else(|e| panic!("{e:?}"))
    };
    // The web app's public subnet maps public addresses and routes to the internet.
    let public = place("vpc-0f1b29643fbdfee79", "subnet-0289bcc12d1c12384");
    assert!(
        public.eni("eni-05ac3b14c970d938d").is_some(),
        "the dump's interfaces are there"
    );
    assert!(internet_reaches(&public, "AppServer/eni0"));
    // The bastion subnet does not.
    let private = place("vpc-07f4a4dee9fb91d2c", "subnet-030d85d162d301f06");
    assert!(!internet_reaches(&private, "AppServer/eni0"));
    assert!(
        !warning_codes(&private).contains("np::cfn::external"),
        "nothing is left unknown"
    );
}

#[test]
fn local_nested_stacks_are_followed_with_their_parameters_and_outputs() {
    let model =
        load_cloudformation_file(&fixture("nested/parent.yaml"), &TemplateOptions::default())
            .unwrap_or_else(|e| panic!("{e:?}"));
    let server = model
        .eni("NestedServer/eni0")
        .expect("the server of the nested stack");
    assert_eq!(
        server.subnet, "NestedPublicSubnet",
        "placed by the network stack's output"
    );
    assert_eq!(
        model
            .subnet("NestedPublicSubnet")
            .map(|s| s.cidr.to_string())
            .as_deref(),
        Some("10.40.0.0/24"),
        "the parent's parameter reached the network stack"
    );
    assert!(internet_reaches(&model, "NestedServer/eni0"));
    let warnings = warning_codes(&model);
    assert!(
        warnings.contains("nested stack `Monitoring` is not followed"),
        "{warnings}"
    );
    assert!(
        warnings.contains("modelled 11 resources, not modelled 1 of 1 types"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("np::cfn::external"),
        "nothing is guessed: {warnings}"
    );
}
