#![expect(clippy::panic, reason = "output that is not JSON fails the test")]

//! `netpolicy diff` through the second workshop's four changes: what each
//! opens and closes, the side effects the workshop does not mention, and the
//! exit codes and formats CI relies on.

mod common;

use common::netpolicy;

const STEPS: [&str; 5] = [
    "workshop",
    "step1-sg-references",
    "step2-load-balancer-isolation",
    "step3-poc-protection",
    "step4-session-manager",
];

fn fixture(step: &str) -> String {
    format!("tests/fixtures/cloudformation/native-infrasec-{step}.json")
}

fn json_diff(before: &str, after: &str) -> serde_json::Value {
    let (code, stdout, stderr) = netpolicy(&[
        "diff",
        "--format",
        "json",
        &fixture(before),
        &fixture(after),
    ]);
    assert!(code == 0 || code == 1, "{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// (source, destination, path) of each listed flow.
fn flows(doc: &serde_json::Value, key: &str) -> Vec<(String, String, String)> {
    doc[key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("source"), s("destination"), s("path"))
        })
        .collect()
}

#[test]
fn each_step_of_the_workshop_as_a_reviewer_reads_it() {
    for pair in STEPS.windows(2) {
        let (code, stdout, stderr) = netpolicy(&[
            "diff",
            &fixture(pair[0]),
            &fixture(pair[1]),
            "policies/native-infrasec-changes.np",
        ]);
        assert_eq!(code, 1, "every step changes something: {stderr}");
        insta::assert_snapshot!(format!("diff_{}", pair[1]), stdout);
    }
}

#[test]
fn load_balancer_isolation_also_cuts_the_database_servers_off_the_internet() {
    let doc = json_diff(STEPS[1], STEPS[2]);
    let closed = flows(&doc, "closed");
    for db in ["DbServerAZ1/eni0", "DbServerAZ2/eni0"] {
        assert!(
            closed
                .iter()
                .any(|(s, d, p)| s == db && d == "internet" && p == "internet"),
            "{db} -> internet is not closed: {closed:?}"
        );
    }
    assert!(flows(&doc, "opened").is_empty());
    // The reason is named: the new NACL's deny entry, in the changed template.
    let why = doc["closed"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["destination"] == "internet")
        .map(|f| f["after"].clone())
        .unwrap_or_default();
    assert_eq!(why["allowed"], false, "{why}");
    assert!(
        why["object"]
            .as_str()
            .is_some_and(|o| o.contains("LoadBalancerIsolation")),
        "{why}"
    );
    assert!(
        why["location"]
            .as_str()
            .is_some_and(|l| l.contains("step2-load-balancer-isolation.json:")),
        "{why}"
    );
}

#[test]
fn poc_protection_closes_the_private_path_only() {
    let doc = json_diff(STEPS[2], STEPS[3]);
    let closed = flows(&doc, "closed");
    assert_eq!(
        closed,
        vec![
            (
                "PoCServerAZ1/eni0".into(),
                "PoCServerAZ2/eni0".into(),
                "private".into()
            ),
            (
                "PoCServerAZ2/eni0".into(),
                "PoCServerAZ1/eni0".into(),
                "private".into()
            ),
        ]
    );
    // Over their public addresses they still reach each other, after the step.
    let (code, stdout, _) = netpolicy(&[
        "query",
        "--model",
        &fixture(STEPS[3]),
        "instance:PoCServerAZ1 -> instance:PoCServerAZ2 : http",
    ]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn json_lists_opened_and_closed_with_services_and_path() {
    let doc = json_diff(STEPS[3], STEPS[4]);
    let closed = doc["closed"].as_array().cloned().unwrap_or_default();
    assert_eq!(closed.len(), 2, "{doc}");
    for f in &closed {
        assert_eq!(f["source"], "onprem");
        assert_eq!(f["path"], "on-premises");
        assert_eq!(f["services"], serde_json::json!(["tcp/22", "tcp/3389"]));
    }
    assert_eq!(doc["opened"], serde_json::json!([]));
}

#[test]
fn no_change_exits_0_and_fail_on_picks_the_kind() {
    let (code, stdout, _) = netpolicy(&["diff", &fixture(STEPS[0]), &fixture(STEPS[0])]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("opened: 0 flows"), "{stdout}");
    // Step 4 only closes: a gate on opened flows passes, one on closed fails.
    let (code, _, _) = netpolicy(&[
        "diff",
        "--fail-on",
        "opened",
        &fixture(STEPS[3]),
        &fixture(STEPS[4]),
    ]);
    assert_eq!(code, 0);
    let (code, _, _) = netpolicy(&[
        "diff",
        "--fail-on",
        "closed",
        &fixture(STEPS[3]),
        &fixture(STEPS[4]),
    ]);
    assert_eq!(code, 1);
}

#[test]
fn markdown_and_sarif() {
    let (_, md, _) = netpolicy(&[
        "diff",
        "--format",
        "markdown",
        &fixture(STEPS[2]),
        &fixture(STEPS[3]),
    ]);
    assert!(
        md.contains("| source | destination | services | path | before | after |"),
        "{md}"
    );
    assert!(md.contains("`PoCServerAZ1/eni0`"), "{md}");
    let (_, sarif, _) = netpolicy(&[
        "diff",
        "--format",
        "sarif",
        &fixture(STEPS[2]),
        &fixture(STEPS[3]),
    ]);
    let doc: serde_json::Value =
        serde_json::from_str(&sarif).unwrap_or_else(|e| panic!("{e}: {sarif}"));
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ruleId"], "closed");
}

#[test]
fn an_unreadable_side_is_an_error_and_unrelated_networks_warn() {
    let (code, _, stderr) = netpolicy(&["diff", &fixture(STEPS[0]), "does-not-exist.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
    let (code, _, stderr) = netpolicy(&["diff", "examples/small.yaml", &fixture(STEPS[0])]);
    assert_eq!(code, 1);
    assert!(stderr.contains("share no interface identity"), "{stderr}");
}
