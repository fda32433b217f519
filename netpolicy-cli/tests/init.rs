//! `netpolicy init`, as a new user runs it on the workshop templates.

mod common;
use common::netpolicy;

const WORKSHOP: &str = "tests/fixtures/cloudformation/inspector-reachability-workshop.json";

#[test]
fn init_writes_a_policy_that_holds_and_catches_drift() {
    let dir = std::env::temp_dir().join(format!("netpolicy-init-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let out = dir.join("baseline.np");
    let out_text = out.to_string_lossy().into_owned();
    let (code, _, err) = netpolicy(&["init", "--model", WORKSHOP, "--out", &out_text]);
    assert_eq!(code, 0, "{err}");
    let policy = std::fs::read_to_string(&out).unwrap_or_default();
    for section in [
        "exposure sg:",
        "isolated vpc:",
        "only ",
        "no internet -> vpc:BastionVPC : ssh, rdp",
    ] {
        assert!(policy.contains(section), "{section}:\n{policy}");
    }
    // Names are the template's, not generated ids.
    assert!(!policy.contains("/eni0"), "{policy}");
    // Every assertion holds on the network it was written from.
    let (code, report, err) = netpolicy(&["check", &out_text]);
    assert_eq!(code, 0, "{report}\n{err}\n{policy}");
    // Formatted as `netpolicy fmt` writes policies.
    let (code, _, err) = netpolicy(&["fmt", "--check", &out_text]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn init_on_a_model_without_interfaces_says_so() {
    let dir = std::env::temp_dir().join(format!("netpolicy-init-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let model = dir.join("empty.yaml");
    std::fs::write(&model, "vpcs: [{id: v, cidr_blocks: [10.0.0.0/16]}]\n").unwrap_or_default();
    let (code, out, err) = netpolicy(&["init", "--model", &model.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("holds no network interface"), "{out}");
    assert!(out.contains("model \""), "{out}");
}

#[test]
fn the_baseline_turns_an_opening_into_a_violation() {
    let dir = std::env::temp_dir().join(format!("netpolicy-init-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let network = |web_ingress: &str| {
        format!(
            "vpcs: [{{id: app, cidr_blocks: [10.0.0.0/16]}}]\n\
             internet_gateways: [{{id: igw, vpc: app}}]\n\
             route_tables: [{{id: rt, vpc: app, routes: [{{destination: 0.0.0.0/0, internet_gateway: igw}}]}}]\n\
             subnets: [{{id: public, vpc: app, cidr: 10.0.1.0/24, route_table: rt, map_public_ip_on_launch: true}}]\n\
             security_groups:\n\
             \x20 - {{id: web, vpc: app, ingress: [{web_ingress}]}}\n\
             \x20 - {{id: db, vpc: app, ingress: [{{protocol: tcp, ports: 5432, from: \"sg:web\"}}]}}\n\
             instances:\n\
             \x20 - {{id: web-1, subnet: public, security_groups: [web]}}\n\
             \x20 - {{id: db-1, subnet: public, security_groups: [db], public_ip: none}}\n"
        )
    };
    let https = "{protocol: tcp, ports: 443, from: 0.0.0.0/0}";
    let before = dir.join("before.yaml");
    std::fs::write(&before, network(https)).unwrap_or_default();
    let after = dir.join("after.yaml");
    let opened = format!("{https}, {{protocol: tcp, ports: 22, from: 0.0.0.0/0}}");
    std::fs::write(&after, network(&opened)).unwrap_or_default();
    let baseline = dir.join("baseline.np").to_string_lossy().into_owned();
    let (code, _, err) = netpolicy(&["init", "-m", &before.to_string_lossy(), "-o", &baseline]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = netpolicy(&["check", &baseline]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, _) = netpolicy(&["check", &baseline, "-m", &after.to_string_lossy()]);
    assert_eq!(code, 1, "ssh opened from the internet:\n{out}");
    assert!(
        out.contains("VIOLATED internet exposure of sg:web"),
        "{out}"
    );
}
