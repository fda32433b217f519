#![expect(clippy::unwrap_used, reason = "helpers of a test fail the test")]
//! The facade as a user meets it: loading, checking, errors with their
//! source, options, serialization, builders.

use netpolicy::build::{Instance, NetworkBuilder, SecurityGroup, Subnet, Vpc};
use netpolicy::{CheckOptions, Endpoint, ErrorKind, Network, Packet, Policy, Report, Status};
use std::sync::Arc;

fn workshop() -> Network {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/cloudformation/inspector-reachability-workshop.json"
    );
    Network::load(path).unwrap()
}

/// Renders a diagnostic as plain text, snippets included.
fn render(error: &netpolicy::Error) -> String {
    let mut out = String::new();
    miette::NarratableReportHandler::new()
        .render_report(&mut out, error)
        .unwrap();
    out
}

#[test]
fn a_service_keeps_a_network_without_a_lifetime() {
    struct Service {
        network: Arc<Network>,
    }
    fn shared<T: Send + Sync + 'static>(_: &T) {}
    let service = Service {
        network: Arc::new(workshop()),
    };
    shared(&service.network);
    let policy: Policy = "no internet -> instance:BastionAZ* : ssh".parse().unwrap();
    for _ in 0..2 {
        let report = service.network.check(&policy).unwrap();
        assert_eq!(report.verdicts[0].status, Status::Holds);
    }
    assert_eq!(
        service.network.name(),
        "inspector-reachability-workshop.json"
    );
}

#[test]
fn every_unknown_name_is_reported_with_the_policy_text() {
    let network = workshop();
    let policy = Policy::parse(
        "typos.np",
        "no internet -> sg:Nope : ssh\nno instance:Nada -> internet : ssh\nno internet -> vpc:* : sshh\n",
    )
    .unwrap();
    let error = network.check(&policy).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Policy);
    let messages: Vec<String> = error.iter().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("`Nope`"), "{messages:?}");
    assert!(messages[1].contains("`Nada`"), "{messages:?}");
    let text = render(&error);
    assert!(text.contains("typos.np"), "{text}");
    assert!(text.contains("no internet -> sg:Nope : ssh"), "{text}");
    let validation = network.validate(&policy);
    assert_eq!(validation.errors.len(), 3);
    assert!(!validation.warnings.is_empty());
}

#[test]
fn a_subnet_without_interfaces_is_not_called_unknown() {
    let network = NetworkBuilder::new()
        .vpc(Vpc::new("prod", "10.0.0.0/16").with_internet_gateway())
        .subnet(Subnet::new("web", "prod", "10.0.1.0/24").public())
        .subnet(Subnet::new("db-a", "prod", "10.0.2.0/24"))
        .subnet(Subnet::new("db-b", "prod", "10.0.3.0/24"))
        .instance(Instance::new("web-1", "web"))
        .build()
        .unwrap();
    let policy = Policy::parse("db.np", "no internet -> subnet:db-* : all\n").unwrap();
    let error = network.check(&policy).unwrap_err();
    let message = error
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        message.contains("`db-*` matches db-a, db-b, which hold no network interface"),
        "{message}"
    );
    let text = render(&error);
    assert!(text.contains("no interface here"), "{text}");
    assert!(!text.contains("did you mean"), "{text}");
    // A name that matches nothing at all is still a typo.
    let typo = Policy::parse("db.np", "no internet -> subnet:dbx : all\n").unwrap();
    let text = render(&network.check(&typo).unwrap_err());
    assert!(text.contains("no subnet matches `dbx`"), "{text}");
}

#[test]
fn a_label_without_colon_says_so() {
    let error = "assert \"x\" no internet -> * : ssh"
        .parse::<Policy>()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Syntax);
    assert_eq!(
        error.to_string(),
        "a labelled assertion needs `:` after its label"
    );
    assert!(render(&error).contains("assert \"x\""));
}

#[test]
fn counterexamples_are_limited_by_an_option() {
    let network = workshop();
    let policy: Policy = "only instance:WebAppServerAZ* -> instance:DbServerAZ* : mysql"
        .parse()
        .unwrap();
    let five = network.check(&policy).unwrap();
    let all = network
        .check_with(&policy, &CheckOptions::default().all_counterexamples())
        .unwrap();
    let (five, all) = (&five.verdicts[0], &all.verdicts[0]);
    assert_eq!(five.findings, 8);
    assert_eq!(five.counterexamples.len(), 5);
    assert_eq!(all.counterexamples.len(), 8);
    assert_eq!(all.counterexamples[..5], five.counterexamples[..]);
    let one = network
        .check_with(&policy, &CheckOptions::default().max_counterexamples(1))
        .unwrap();
    assert_eq!(one.verdicts[0].counterexamples.len(), 1);
}

#[test]
fn reports_are_typed_and_read_back() {
    let network = workshop();
    let policy: Policy = "no internet -> * : ssh".parse().unwrap();
    let report = network.check(&policy).unwrap();
    let c = &report.verdicts[0].counterexamples[0];
    assert_eq!(c.source, Endpoint::Internet);
    assert_eq!(c.destination, Endpoint::Eni("PoCServerAZ2/eni0".into()));
    let packet: Packet = "tcp 203.0.113.0:1024 -> 198.18.0.7:22".parse().unwrap();
    assert_eq!(c.packet, Some(packet));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["verdicts"][0]["counterexamples"][0]["source"],
        "internet"
    );
    assert_eq!(
        json["verdicts"][0]["counterexamples"][0]["packet"],
        "tcp 203.0.113.0:1024 -> 198.18.0.7:22"
    );
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
    assert_eq!(report.verdicts[0].status.to_string(), "VIOLATED");
}

#[test]
fn reach_traces_each_path() {
    let network = workshop();
    let reach = network
        .reach("internet", "instance:PoCServerAZ2", "ssh")
        .unwrap();
    assert!(reach.is_reachable());
    let pair = &reach.pairs[0];
    assert_eq!(pair.services(), "tcp/22");
    let example = pair.paths[0].example.as_ref().unwrap();
    assert!(example.hops.iter().all(|h| h.allowed));
    let text = reach.to_string();
    assert!(text.contains("REACHABLE (tcp/22)"), "{text}");
    assert!(text.contains("ingress tcp/22 from 0.0.0.0/0"), "{text}");

    let blocked = network
        .reach("instance:BastionAZ1", "instance:PoCServerAZ1", "ssh")
        .unwrap();
    assert!(!blocked.is_reachable());
    let stop = &blocked.pairs[0].blocked[0];
    assert!(stop.hops.iter().any(|h| !h.allowed));
    assert!(blocked.to_string().contains("DENY"));

    let error = network.reach("internet", "sg:Nope", "ssh").unwrap_err();
    assert!(error.to_string().contains("`Nope`"));
    let error = network.reach("internet", "*", "tcp/99999").unwrap_err();
    assert!(render(&error).contains("tcp/99999"), "{}", render(&error));
}

#[test]
fn a_policy_finds_its_model() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policies/inspector-workshop.np"
    );
    let policy = Policy::from_file(path).unwrap();
    let network = Network::for_policy(&policy).unwrap();
    let report = network.check(&policy).unwrap();
    assert_eq!(report.policy, "inspector-workshop.np");
    assert_eq!(report.verdicts.len(), 7);
    let orphan: Policy = "no internet -> * : ssh".parse().unwrap();
    let error = Network::for_policy(&orphan).unwrap_err();
    assert!(error.to_string().contains("names no model"));
}

#[test]
fn a_network_built_in_code_is_validated_like_a_file() {
    let network = NetworkBuilder::new()
        .vpc(Vpc::new("prod", "10.0.0.0/16").with_internet_gateway())
        .subnet(Subnet::new("web", "prod", "10.0.1.0/24").public())
        .security_group(SecurityGroup::new("web-sg", "prod").ingress("tcp/443", "0.0.0.0/0"))
        .instance(Instance::new("web-1", "web").group("web-sg"))
        .build()
        .unwrap();
    assert!(
        network
            .reach("internet", "web-1", "https")
            .unwrap()
            .is_reachable()
    );
    assert!(
        !network
            .reach("internet", "web-1", "ssh")
            .unwrap()
            .is_reachable()
    );
    assert_eq!(
        network.exposure().iter().filter(|x| !x.is_empty()).count(),
        1
    );

    let broken = NetworkBuilder::new()
        .vpc(Vpc::new("prod", "10.0.0.0/16"))
        .subnet(Subnet::new("web", "prod", "10.1.0.0/24"))
        .instance(Instance::new("web-1", "web").group("web-sgg"))
        .security_group(SecurityGroup::new("web-sg", "prod"))
        .build()
        .unwrap_err();
    assert_eq!(broken.kind(), ErrorKind::Network);
    let text = render(&broken);
    assert!(text.contains("\"web-sgg\""), "{text}");
    assert!(text.contains("did you mean `web-sg`?"), "{text}");

    let outside = NetworkBuilder::new()
        .vpc(Vpc::new("prod", "10.0.0.0/16"))
        .subnet(Subnet::new("web", "prod", "10.1.0.0/24"))
        .build()
        .unwrap_err();
    let text = render(&outside);
    assert!(text.contains("10.1.0.0/24"), "{text}");
}

#[test]
fn the_same_network_from_text() {
    let network = Network::parse(
        "net.yaml",
        "vpcs: [{id: v, cidr_blocks: [10.0.0.0/16]}]\nsubnets: [{id: s, vpc: v, cidr: 10.0.300.0/24}]\n",
        netpolicy::Format::Native,
    )
    .unwrap_err();
    let text = render(&network);
    assert!(text.contains("net.yaml"), "{text}");
}

#[test]
fn a_builder_takes_services_as_a_policy_writes_them() {
    let network = NetworkBuilder::new()
        .vpc(Vpc::new("prod", "10.0.0.0/16").with_internet_gateway())
        .subnet(Subnet::new("web", "prod", "10.0.1.0/24").public())
        .subnet(Subnet::new("data", "prod", "10.0.2.0/24"))
        .security_group(SecurityGroup::new("web-sg", "prod").ingress("https, ssh", "0.0.0.0/0"))
        .security_group(
            SecurityGroup::new("db-sg", "prod")
                .ingress("mysql", "sg:web-sg")
                .egress("https, dns", "0.0.0.0/0"),
        )
        .instance(Instance::new("web-1", "web").group("web-sg"))
        .instance(Instance::new("web-2", "web").group("web-sg").private_only())
        .instance(Instance::new("db-1", "data").group("db-sg"))
        .build()
        .unwrap();
    let reaches = |from: &str, to: &str, service: &str| {
        network.reach(from, to, service).unwrap().is_reachable()
    };
    assert!(reaches("internet", "web-1", "https"));
    assert!(reaches("internet", "web-1", "ssh"));
    assert!(!reaches("internet", "web-1", "rdp"));
    assert!(reaches("web-1", "db-1", "tcp/3306"));
    assert!(!reaches("web-1", "db-1", "postgres"));
    assert!(
        !reaches("db-1", "web-1", "ssh"),
        "db-sg's egress is https and dns only"
    );
    assert!(
        !reaches("internet", "web-2", "https"),
        "private_only keeps it off the internet in a public subnet"
    );

    let error = NetworkBuilder::new()
        .vpc(Vpc::new("prod", "10.0.0.0/16"))
        .security_group(SecurityGroup::new("web-sg", "prod").ingress("htps", "0.0.0.0/0"))
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    let text = render(&error);
    assert!(
        text.contains("SecurityGroup::ingress(\"htps\", \"0.0.0.0/0\") on `web-sg`"),
        "{text}"
    );
    assert!(text.contains("did you mean `https`?"), "{text}");
}

#[test]
fn a_missing_file_is_an_io_error_whoever_reads_it() {
    let missing = Network::load("no/such/network.json").unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Io);
    let policy = Policy::from_file("no/such/policy.np").unwrap_err();
    assert_eq!(policy.kind(), ErrorKind::Io);

    let policy: Policy = "model \"no/such/network.json\"\nno internet -> * : ssh\n"
        .parse()
        .unwrap();
    let error = Network::for_policy(&policy).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io);
    let text = render(&error);
    assert!(text.contains("policy.np"), "{text}");
    assert!(text.contains("named here"), "{text}");
    assert!(text.contains("model \"no/such/network.json\""), "{text}");
}
