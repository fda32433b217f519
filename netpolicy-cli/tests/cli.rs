//! The binary as CI runs it: exit codes and formats.

mod common;

use common::netpolicy;

#[test]
fn check_exits_1_on_violations_and_prints_verdicts() {
    let (code, stdout, _) = netpolicy(&["check", "policies/inspector-workshop.np"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("HOLDS no transit through the Bastion VPC"),
        "{stdout}"
    );
    assert!(stdout.contains("2 holds, 5 violated"), "{stdout}");
}

#[test]
fn check_json_is_valid_json() {
    let (code, stdout, _) = netpolicy(&[
        "check",
        "--format",
        "json",
        "policies/inspector-workshop.np",
    ]);
    assert_eq!(code, 1);
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(&stdout);
    assert!(parsed.is_ok(), "{stdout}");
}

#[test]
fn errors_exit_2() {
    let (code, _, stderr) = netpolicy(&[
        "check",
        "--model",
        "does-not-exist.json",
        "policies/inspector-workshop.np",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
    let (code, _, stderr) = netpolicy(&[
        "explain",
        "--model",
        "examples/small.yaml",
        "internet",
        "app-2",
        "https",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `app-1`?"), "{stderr}");
}

#[test]
fn exposure_of_the_bundled_example() {
    let (code, stdout, _) = netpolicy(&["exposure", "--model", "examples/small.yaml"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("through load balancer alb"), "{stdout}");
    assert!(
        stdout.contains("2 of 2 interfaces are reachable from the internet"),
        "{stdout}"
    );
}

#[test]
fn sarif_has_what_code_scanning_requires() {
    let (code, stdout, _) = netpolicy(&[
        "check",
        "--format",
        "sarif",
        "policies/inspector-workshop.np",
    ]);
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "netpolicy");
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rules.len(), 7, "one rule per assertion");
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert!(!results.is_empty());
    for r in &results {
        assert!(r["message"]["text"].is_string());
        let rule = r["ruleId"].as_str().unwrap_or_default();
        assert!(rules.iter().any(|x| x["id"] == rule), "{rule}");
        let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert_eq!(uri, "policies/inspector-workshop.np");
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap_or(0)
                > 0
        );
    }
    let template_uri = "tests/fixtures/cloudformation/inspector-reachability-workshop.json";
    assert!(
        results
            .iter()
            .any(|r| r["relatedLocations"].as_array().is_some_and(|l| l
                .iter()
                .any(|x| x["physicalLocation"]["artifactLocation"]["uri"] == template_uri)))
    );
}

#[test]
fn junit_has_one_test_case_per_assertion() {
    let (code, stdout, _) = netpolicy(&[
        "check",
        "--format",
        "junit",
        "policies/inspector-workshop.np",
    ]);
    assert_eq!(code, 1);
    assert_eq!(stdout.matches("<testcase ").count(), 7, "{stdout}");
    assert_eq!(stdout.matches("<failure ").count(), 5, "{stdout}");
    assert!(stdout.contains("tests=\"7\" failures=\"5\""), "{stdout}");
}

#[test]
fn the_template_and_its_native_translation_agree() {
    let (code, stdout, _) = netpolicy(&[
        "check",
        "--model",
        "tests/fixtures/cloudformation/inspector-reachability-workshop.json",
        "--model",
        "examples/inspector-workshop.yaml",
        "policies/inspector-workshop.np",
    ]);
    assert_eq!(code, 1);
    assert_eq!(stdout.matches("2 holds, 5 violated").count(), 2, "{stdout}");
}

#[test]
fn timings_report_phases_and_peak_memory() {
    let (code, _, stderr) = netpolicy(&["check", "--timings", "policies/native-infrasec.np"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("timings: parse "), "{stderr}");
    assert!(stderr.contains("peak memory: "), "{stderr}");
}

#[test]
fn check_reads_a_cli_dump_folder_and_a_terraform_plan() {
    for model in [
        "tests/fixtures/exports/aws-cli/inspector-workshop",
        "tests/fixtures/exports/terraform/inspector-workshop.plan.json",
    ] {
        let (code, stdout, stderr) =
            netpolicy(&["check", "--model", model, "policies/inspector-workshop.np"]);
        assert_eq!(code, 1, "{model}: {stderr}");
        assert!(stdout.contains("2 holds, 5 violated"), "{model}: {stdout}");
    }
}

#[test]
fn a_forced_format_that_does_not_fit_is_an_error() {
    let (code, _, stderr) = netpolicy(&[
        "check",
        "--model",
        "tests/fixtures/exports/aws-cli/inspector-workshop",
        "--model-format",
        "cloudformation",
        "policies/inspector-workshop.np",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("np::load::io"), "{stderr}");
    let (code, _, stderr) = netpolicy(&[
        "exposure",
        "--model",
        "tests/fixtures/cloudformation/inspector-reachability-workshop.json",
        "--model-format",
        "terraform",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("neither a Terraform plan nor a state"),
        "{stderr}"
    );
}

#[test]
fn collect_dry_run_lists_the_read_only_calls() {
    let (code, stdout, _) = netpolicy(&[
        "collect",
        "/nonexistent/dump",
        "--region",
        "eu-west-1",
        "--dry-run",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("aws ec2 describe-vpcs --output json --region eu-west-1"));
    assert!(stdout.contains("aws elbv2 describe-load-balancers"));
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("aws ") || l.starts_with('#'))
    );
}

#[test]
fn exposure_lists_chosen_source_ports_apart_in_both_formats() {
    let (code, stdout, _) = netpolicy(&["exposure", "--model", "examples/web-only-nacl.yaml"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("0 of 1 interfaces are reachable from the internet"),
        "{stdout}"
    );
    let (before, after) = stdout
        .split_once("reachable only from chosen source ports")
        .unwrap_or_else(|| panic!("no heading: {stdout}"));
    assert!(!before.contains("tcp/80"), "{stdout}");
    assert!(
        after.contains("tcp/80 from 0.0.0.0/0 from source ports 80, 443"),
        "{stdout}"
    );
    let (code, stdout, _) = netpolicy(&[
        "exposure",
        "--format",
        "json",
        "--model",
        "examples/web-only-nacl.yaml",
    ]);
    assert_eq!(code, 0);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let web = &doc["exposed"][0];
    assert_eq!(web["interface"], "web/eni0");
    assert_eq!(web["public_ip"], "203.0.113.10");
    assert_eq!(web["open"].as_array().map(Vec::len), Some(0));
    let chosen = web["chosen_source_ports"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let services: Vec<&str> = chosen
        .iter()
        .filter_map(|o| o["service"].as_str())
        .collect();
    assert_eq!(services, ["tcp/80", "tcp/443"]);
    assert_eq!(chosen[0]["sources"][0], "0.0.0.0/0");
    assert_eq!(chosen[0]["source_ports"], "80, 443");
}

#[test]
fn exposure_names_the_sources_and_the_admitting_rule() {
    let (code, stdout, _) = netpolicy(&[
        "exposure",
        "--format",
        "json",
        "--model",
        "tests/fixtures/cloudformation/inspector-reachability-workshop.json",
    ]);
    assert_eq!(code, 0);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let db = doc["exposed"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["interface"] == "DbServerAZ1/eni0"))
        .cloned()
        .unwrap_or_else(|| panic!("DbServerAZ1 not exposed: {stdout}"));
    assert_eq!(db["open"][0]["service"], "tcp/3306");
    assert_eq!(db["open"][0]["sources"][0], "0.0.0.0/0");
    assert!(
        db["open"][0]["rule"]
            .as_str()
            .is_some_and(|r| r.contains("WebAppDbServerSecurityGroup") && r.contains("tcp/3306")),
        "{db}"
    );
}

#[test]
fn matrix_json_lists_classes_and_pairs_per_service() {
    let (code, stdout, _) = netpolicy(&[
        "matrix",
        "--format",
        "json",
        "--model",
        "examples/small.yaml",
        "-s",
        "https",
        "-s",
        "ssh",
    ]);
    assert_eq!(code, 0);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["classes"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["services"][0]["service"], "https");
    assert_eq!(doc["services"][1]["service"], "ssh");
    assert_eq!(doc["services"][1]["class_pairs"], 0);
    let pairs = doc["services"][0]["pairs"].as_array().map(Vec::len);
    assert_eq!(
        pairs,
        doc["services"][0]["class_pairs"]
            .as_u64()
            .map(|n| n as usize)
    );
}

#[test]
fn an_empty_policy_or_query_is_an_error() {
    for query in ["", "# only a comment", "let a = app-1"] {
        let (code, _, stderr) = netpolicy(&["query", "--model", "examples/small.yaml", query]);
        assert_eq!(code, 2, "{query:?}: {stderr}");
        assert!(stderr.contains("no assertion"), "{stderr}");
    }
}

/// A minified template whose deciding rules sit beyond column 65,535 once
/// made miette's renderer panic; long lines are shown as a window.
#[test]
fn violations_in_a_minified_template_render_without_panicking() {
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/cloudformation/inspector-reachability-workshop.json"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let doc: serde_json::Value = serde_json::from_str(&template).unwrap_or_else(|e| panic!("{e}"));
    let mut padded = serde_json::Map::new();
    padded.insert(
        "Metadata".into(),
        serde_json::json!({ "Pad": "x".repeat(70_000) }),
    );
    if let serde_json::Value::Object(rest) = doc {
        padded.extend(rest);
    }
    let dir = std::env::temp_dir().join(format!("netpolicy-minified-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("minified.json");
    let text = serde_json::to_string(&serde_json::Value::Object(padded)).unwrap_or_default();
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let path = path.display().to_string();
    let (code, stdout, stderr) =
        netpolicy(&["check", "--model", &path, "policies/inspector-workshop.np"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let longest = stdout.lines().chain(stderr.lines()).map(str::len).max();
    assert!(
        longest.is_some_and(|l| l < 1_000),
        "lines up to {longest:?} bytes"
    );
    assert!(stdout.contains(&format!("{path}:1")), "{stdout}");
}

/// An error is in every machine format: a CI consumer reading only the report
/// must never see a clean run.
#[test]
fn errors_reach_every_machine_format() {
    let run = |format: &str| {
        netpolicy(&[
            "query",
            "--format",
            format,
            "--model",
            "examples/small.yaml",
            "no nosuch -> internet",
        ])
    };
    let (code, stdout, _) = run("json");
    assert_eq!(code, 2);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["reports"].as_array().map(Vec::len), Some(0));
    assert_eq!(doc["errors"][0]["code"], "np::resolve::unknown_name");
    assert_eq!(doc["errors"][0]["line"], 1);
    let (code, stdout, _) = run("sarif");
    assert_eq!(code, 2);
    let sarif: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert!(
        note["message"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("nosuch"))
    );
    assert!(
        sarif["runs"][0]["tool"]["driver"]
            .get("informationUri")
            .is_none()
    );
    let (code, stdout, _) = run("junit");
    assert_eq!(code, 2);
    assert!(stdout.contains("errors=\"1\""), "{stdout}");
    assert!(
        stdout.contains("<error message=\"no endpoint matches `nosuch`\""),
        "{stdout}"
    );
    // `check` with several policies, one unreadable: same shape, both present.
    let (code, stdout, _) = netpolicy(&[
        "check",
        "--format",
        "json",
        "policies/inspector-workshop.np",
        "does-not-exist.np",
    ]);
    assert_eq!(code, 2);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["reports"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["errors"].as_array().map(Vec::len), Some(1));
}

/// Formats are told by the document's structure; when none fits, the error
/// says what was tried and how to force one.
#[test]
fn model_formats_are_detected_by_structure() {
    let dir = std::env::temp_dir().join(format!("netpolicy-detect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let vpc = "V:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n";
    let cases = [
        ("bom.yaml", format!("\u{feff}Resources:\n  {vpc}"), 0),
        ("spaced.yaml", format!("Resources :\n  {vpc}"), 0),
        (
            "flow.yaml",
            "{AWSTemplateFormatVersion: '2010-09-09', Resources: {V: {Type: 'AWS::EC2::VPC', Properties: {CidrBlock: 10.0.0.0/16}}}}".to_string(),
            0,
        ),
        (
            "native.json",
            r#"{"vpcs": [{"id": "Resources", "cidr_blocks": ["10.0.0.0/16"]}]}"#.to_string(),
            0,
        ),
        ("dump.json", r#"{"Reservations": []}"#.to_string(), 2),
    ];
    for (name, text, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let path = path.display().to_string();
        let (code, _, stderr) = netpolicy(&["exposure", "--model", &path]);
        assert_eq!(code, expected, "{name}: {stderr}");
        if expected == 2 {
            assert!(stderr.contains("cannot tell the format"), "{stderr}");
            assert!(stderr.contains("--model-format"), "{stderr}");
        }
    }
}
