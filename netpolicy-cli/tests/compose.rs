//! Inputs loaded together (`--with`): a stack set, a template over the dump
//! of its deployed network.

mod common;
use common::netpolicy;

const APP: &str = "tests/fixtures/cloudformation/existing-network/app.yaml";
const DUMP: &str = "tests/fixtures/exports/aws-cli/inspector-workshop";

#[test]
fn a_template_is_checked_over_the_deployed_network() {
    let query = "assert \"the app is private\": no internet -> instance:AppServer : tcp/8443";
    let run = |vpc: &str, subnet: &str| {
        netpolicy(&[
            "query",
            "--model",
            APP,
            "--with",
            DUMP,
            "--param",
            &format!("AppVpc={vpc}"),
            "--param",
            &format!("AppSubnet={subnet}"),
            query,
        ])
    };
    let (code, out, err) = run("vpc-0f1b29643fbdfee79", "subnet-0289bcc12d1c12384");
    assert_eq!(code, 1, "a public subnet exposes it:\n{out}\n{err}");
    let (code, out, err) = run("vpc-07f4a4dee9fb91d2c", "subnet-030d85d162d301f06");
    assert_eq!(code, 0, "the bastion subnet does not:\n{out}\n{err}");
}

#[test]
fn a_stack_set_is_one_network() {
    let (code, out, err) = netpolicy(&[
        "exposure",
        "--model",
        "tests/fixtures/cloudformation/stack-set/app.yaml",
        "--with",
        "tests/fixtures/cloudformation/stack-set/network.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 of 2 interfaces are reachable from the internet"),
        "{out}"
    );
    assert!(err.contains("np::cfn::coverage"), "{err}");
}

#[test]
fn two_dumps_cannot_be_composed() {
    let (code, _, err) = netpolicy(&["exposure", "--model", APP, "--with", DUMP, "--with", DUMP]);
    assert_eq!(code, 2);
    assert!(err.contains("second AWS CLI dump"), "{err}");
}

#[test]
fn assertions_about_service_interfaces_mean_something() {
    let model = "tests/fixtures/cloudformation/services-and-default-vpc.yaml";
    let query = |assertion: &str| netpolicy(&["query", "--model", model, assertion]);
    let (code, out, err) = query("assert \"db private\": no internet -> sg:DbSg : mysql");
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) =
        query("assert \"web tier reaches the db\": Fleet -> eni:Database : mysql");
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) =
        query("assert \"one representative\": instance:Fleet@Public -> eni:Database : mysql");
    assert_eq!(
        code, 0,
        "interface ids with @ and / are selectable: {out}\n{err}"
    );
    let (code, out, err) =
        query("assert \"bastion closed\": no internet -> instance:Bastion : ssh");
    assert_eq!(
        code, 1,
        "the default VPC is public and the office CIDR is unknown: {out}\n{err}"
    );
}

#[test]
fn verdicts_resting_on_external_objects_say_so() {
    let assertion = "assert \"db private\": no internet -> instance:DbServer : postgres";
    let app = "tests/fixtures/cloudformation/stack-set/app.yaml";
    let (code, out, err) = netpolicy(&["query", "--model", app, "--format", "json", assertion]);
    // No flow as modelled, but the subnet's placement is a guess: undecided.
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("\"status\": \"unknown\""), "{out}");
    assert!(
        out.contains("\"incomplete\"")
            && out.contains("ImportValue:netpolicy-stack-PrivateSubnetId"),
        "alone, the app stack's subnets are guesses: {out}"
    );
    let network = "tests/fixtures/cloudformation/stack-set/network.yaml";
    let (code, out, err) = netpolicy(&[
        "query", "--model", app, "--with", network, "--format", "json", assertion,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        !out.contains("\"incomplete\""),
        "with the network stack nothing is guessed: {out}"
    );
}

#[test]
fn the_coverage_line_reaches_every_output_format() {
    for format in ["human", "json", "sarif", "junit"] {
        let (code, out, err) = netpolicy(&[
            "check",
            "--format",
            format,
            "policies/inspector-workshop.np",
        ]);
        assert_eq!(code, 1, "{format}: {err}");
        let text = format!("{out}{err}");
        assert!(
            text.contains(
                "modelled 70 resources, not modelled 0 of 0 types, ignored 7 non-network"
            ),
            "{format}: {text}"
        );
    }
}

#[test]
fn a_change_is_reviewed_over_the_deployed_network() {
    let dir = std::env::temp_dir().join(format!("netpolicy-compose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let after = dir.join("app-after.yaml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../",
        "tests/fixtures/cloudformation/existing-network/app.yaml"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let opened = text.replace(
        "        - {IpProtocol: tcp, FromPort: 8443, ToPort: 8443, CidrIp: 0.0.0.0/0}",
        "        - {IpProtocol: tcp, FromPort: 8443, ToPort: 8443, CidrIp: 0.0.0.0/0}\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}",
    );
    assert_ne!(text, opened);
    std::fs::write(&after, opened).unwrap_or_else(|e| panic!("{e}"));
    let after = after.display().to_string();
    let (code, out, err) = netpolicy(&[
        "diff",
        APP,
        &after,
        "--with",
        DUMP,
        "--param",
        "AppVpc=vpc-0f1b29643fbdfee79",
        "--param",
        "AppSubnet=subnet-0289bcc12d1c12384",
        "--format",
        "json",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1, "{out}\n{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let opened = json["opened"].as_array().cloned().unwrap_or_default();
    assert!(!opened.is_empty(), "ssh opened: {out}");
    for flow in &opened {
        assert_eq!(
            flow["destination"], "AppServer/eni0",
            "only the app server changed: {flow}"
        );
        assert_eq!(flow["services"], serde_json::json!(["tcp/22"]), "{flow}");
    }
    assert!(
        opened.iter().any(|f| f["source"] == "internet"),
        "ssh from the internet opened: {out}"
    );
}

#[test]
fn verdicts_over_routes_netpolicy_does_not_follow_say_so() {
    let model = "tests/fixtures/native/over-a-transit-gateway.yaml";
    let query = |assertion: &str, format: &str| {
        netpolicy(&["query", "--model", model, "--format", format, assertion])
    };
    let across = "assert \"apart\": no eni:eni-a -> eni:eni-b : ssh";
    let (code, out, err) = query(across, "human");
    // Dropped at the gateway as modelled, but the gateway may pass it: not
    // a proof either way.
    assert_eq!(code, 1, "undecided fails: {out}\n{err}");
    assert!(out.contains("UNKNOWN apart"), "{out}");
    assert!(out.contains("undecided by: `tgw-1`"), "{out}");
    assert!(
        out.contains("incomplete: traffic between them is routed to `tgw-1`"),
        "{out}"
    );
    assert!(out.contains("0 holds, 0 violated, 1 unknown"), "{out}");
    let (code, _, _) = netpolicy(&["query", "--model", model, "--allow-unknown", across]);
    assert_eq!(code, 0, "--allow-unknown lets it pass");
    let (_, json, _) = query(across, "json");
    assert!(json.contains("\"unfollowed\""), "{json}");
    assert!(json.contains("\"status\": \"unknown\""), "{json}");
    // Within the subnet the gateway plays no part: a proof.
    let (code, out, _) = query("no eni:eni-a -> eni:eni-a2 : ssh", "human");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("HOLDS"), "{out}");
    let (_, out, _) = query(
        "assert \"beside\": no eni:eni-a -> eni:eni-a2 : ssh",
        "json",
    );
    assert!(out.contains("\"verdicts\""), "{out}");
    assert!(
        !out.contains("\"unfollowed\""),
        "the local route decides: {out}"
    );
}
