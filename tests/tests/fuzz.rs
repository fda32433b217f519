//! The fuzzing harness: structured mutations of real inputs (templates in JSON
//! and YAML, Terraform plans, AWS CLI dump files, native models, policies) run
//! through everything a user can reach in-process: loading, every bulk query,
//! a policy check, tracing, formatting and diagnostic rendering. Each input
//! must load or fail with an error; nothing may panic, overflow the stack or
//! blow up.
//!
//! Runs on stable Rust as an ordinary test. CI runs a short campaign; a release
//! runs a long one (docs/fuzzing.md):
//!
//! ```sh
//! NETPOLICY_FUZZ_CASES=20000 cargo test --release -p netpolicy-tests --test fuzz
//! ```
//!
//! A failing case prints its target and seed; `NETPOLICY_FUZZ_SEED=N` replays it.

use miette::Report;
use netpolicy_core::engine::{Endpoint, Engine};
use netpolicy_core::load::aws_cli::load_aws_cli_dir;
use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation};
use netpolicy_core::load::load_native;
use netpolicy_core::load::terraform::load_terraform;
use netpolicy_core::model::Model;
use netpolicy_core::packet::PacketSet;
use netpolicy_core::span::{SourceMap, WindowedText};
use netpolicy_lang::check::check_policy;
use netpolicy_lang::fmt::format_policy;
use netpolicy_lang::parse_policy;
use netpolicy_tests::generate::Rng;
use netpolicy_tests::render_diagnostic;

const TEMPLATE: &str =
    include_str!("../fixtures/cloudformation/inspector-reachability-workshop.json");
const TEMPLATE_2: &str = include_str!("../fixtures/cloudformation/native-infrasec-workshop.json");
const NATIVE: &str = include_str!("../../examples/inspector-workshop.yaml");
const PLAN: &str = include_str!("../fixtures/exports/terraform/inspector-workshop.plan.json");
const POLICY: &str = include_str!("../../policies/inspector-workshop.np");
const DUMP: &str = "fixtures/exports/aws-cli/inspector-workshop";
const VOCABULARY: &str = include_str!("../cases/four-formats/vocabulary.yaml");

/// Names the target and seed of a case that panics, so that it can be replayed.
struct Case(&'static str, u64);

impl Drop for Case {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "fuzz target {} failed at seed {}: replay with NETPOLICY_FUZZ_SEED={}",
                self.0, self.1, self.1
            );
        }
    }
}

/// Cases per target: a short campaign unless the environment asks for more.
fn cases() -> u64 {
    std::env::var("NETPOLICY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

/// The seeds to run: one replayed seed, or `0..cases()`.
fn seeds() -> Vec<u64> {
    match std::env::var("NETPOLICY_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(seed) => vec![seed],
        None => (0..cases()).collect(),
    }
}

/// Fragments that matter to the formats' readers and to the evaluator.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "'",
    "\n",
    "\r",
    "\t",
    " ",
    "#",
    "&a ",
    "*a",
    "!Ref ",
    "!Sub ",
    "!Cidr ",
    "!If ",
    "!GetAtt ",
    "{\"Ref\": \"AWS::NoValue\"}",
    "{\"Fn::ImportValue\": \"x\"}",
    "{\"Fn::Cidr\": [\"10.0.0.0/8\", 256, 8]}",
    "{\"Fn::Cidr\": [\"10.0.0.0/8\", 300, 40]}",
    "\"0.0.0.0/0\"",
    "\"::/0\"",
    "\"10.0.0.0/33\"",
    "\"255.255.255.255/32\"",
    "-1",
    "0",
    "65535",
    "65536",
    "4294967296",
    "99999999999999999999",
    "1e308",
    "null",
    "true",
    "\"\u{feff}\"",
    "\"é∑\"",
    "\"Resources\"",
    "\"format_version\"",
    "\"vpcs\"",
    "\\u0000",
];

/// One structured mutation of `text`.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(4) {
        let len = s.len().max(1);
        let at = floor(&s, rng.below(len));
        match rng.below(9) {
            0 => s.truncate(at),
            1 => {
                let end = floor(&s, (at + rng.below(400)).min(s.len()));
                s.replace_range(at..end, "");
            }
            2 | 3 => s.insert_str(at, rng.pick(TOKENS).copied().unwrap_or("{")),
            4 => {
                // Duplicate a region (a resource, a rule, a list item).
                let end = floor(&s, (at + rng.below(2_000)).min(s.len()));
                let piece = s.get(at..end).unwrap_or_default().to_string();
                s.insert_str(end, &piece);
            }
            5 => {
                // Deep nesting.
                let depth = 1 + rng.below(400);
                let open = "[".repeat(depth);
                let close = "]".repeat(depth);
                s.insert_str(at, &format!("{open}1{close}"));
            }
            6 => s.insert_str(at, &"x".repeat(1 + rng.below(70_000))),
            7 => {
                // A number replaced by a boundary value.
                if let Some(p) = s
                    .get(at..)
                    .and_then(|t| t.find(|c: char| c.is_ascii_digit()))
                {
                    let start = at + p;
                    let end = s
                        .get(start..)
                        .and_then(|t| t.find(|c: char| !c.is_ascii_digit()))
                        .map_or(s.len(), |e| start + e);
                    let v = ["0", "-1", "256", "65535", "65536", "4294967296", "300"];
                    s.replace_range(start..end, rng.pick(&v).copied().unwrap_or("0"));
                }
            }
            _ => {
                // Swap two lines.
                let mut lines: Vec<&str> = s.lines().collect();
                if lines.len() > 2 {
                    let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                    lines.swap(a, b);
                }
                s = lines.join("\n");
            }
        }
    }
    s
}

/// The largest char boundary at or before `at`.
fn floor(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while at > 0 && !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Everything a user can ask of a model that loaded.
fn exercise(model: &Model) {
    let engine = Engine::new(model);
    let _ = engine.exposure();
    let services = ["ssh", "https", "all"]
        .map(|s| netpolicy_lang::parse_service(s).unwrap_or_default())
        .to_vec();
    let _ = engine.service_matrix(&services);
    let _ = engine.class_matrix(&PacketSet::client_traffic());
    let mut sources = SourceMap::default();
    let id = sources.add("policy.np", POLICY);
    if let Ok(policy) = parse_policy(POLICY, id) {
        match check_policy(model, &policy, &sources, "policy.np", "model") {
            Ok(report) => {
                let _ = report.render_text();
                let _ = serde_json::to_string(&report);
            }
            Err(e) => {
                let _ = render_diagnostic(&e);
            }
        }
    }
    if let (Some(first), Some(last)) = (model.enis().first(), model.enis().last()) {
        let packet = netpolicy_core::packet::Packet {
            src: first
                .private_ips
                .first()
                .copied()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            dst: last
                .private_ips
                .first()
                .copied()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            protocol: 6,
            src_port: 40_000,
            dst_port: 22,
        };
        let (s, d) = (
            Endpoint::Eni(first.meta.id.clone()),
            Endpoint::Eni(last.meta.id.clone()),
        );
        let _ = engine.explain(&s, &d, &packet);
    }
}

/// A load failure rendered as the CLI renders it, with its source.
fn render_failure(e: &netpolicy_core::load::LoadFailure) {
    let _ = render_diagnostic(e);
}

fn run(loaded: Result<Model, netpolicy_core::load::LoadFailure>) {
    match loaded {
        Ok(model) => exercise(&model),
        Err(e) => render_failure(&e),
    }
}

#[test]
fn fuzz_templates() {
    for seed in seeds() {
        let _case = Case("fuzz_templates", seed);
        let mut rng = Rng::new(seed);
        let base = if rng.chance(50) { TEMPLATE } else { TEMPLATE_2 };
        let text = mutate(base, &mut rng);
        run(load_cloudformation(
            "t.json",
            &text,
            &TemplateOptions::default(),
        ));
    }
}

#[test]
fn fuzz_yaml_templates() {
    // The native example is YAML: its structure exercises the YAML reader
    // under both the template and the native loaders.
    for seed in seeds() {
        let _case = Case("fuzz_yaml_templates", seed);
        let mut rng = Rng::new(seed ^ 0x5EED);
        let text = mutate(NATIVE, &mut rng);
        run(load_native("m.yaml", &text));
        let template = format!(
            "Resources:\n  X:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: {}\n",
            mutate("!Select [0, !Cidr [10.0.0.0/16, 4, 8]]", &mut rng)
        );
        run(load_cloudformation(
            "t.yaml",
            &template,
            &TemplateOptions::default(),
        ));
    }
}

/// The model of every object kind, written as a template and as a plan by
/// `netpolicy gen`'s writers: endpoints, prefix lists, NLBs, references the
/// workshop fixtures do not have.
#[test]
fn fuzz_the_whole_vocabulary() {
    let Ok(model) = load_native("v.yaml", VOCABULARY) else {
        panic!("the vocabulary model does not load");
    };
    let written = |write: fn(&Model, &mut Vec<u8>) -> std::io::Result<()>| {
        let mut out = Vec::new();
        write(&model, &mut out).map(|()| String::from_utf8_lossy(&out).into_owned())
    };
    let inline = |m: &Model, out: &mut Vec<u8>| {
        use netpolicy_core::synth::terraform::{Blocks, write_with};
        write_with(m, Blocks::Inline, out)
    };
    let (Ok(template), Ok(plan), Ok(inline_plan)) = (
        written(netpolicy_core::synth::cloudformation::write),
        written(netpolicy_core::synth::terraform::write),
        written(inline),
    ) else {
        panic!("the vocabulary model cannot be written");
    };
    for seed in seeds() {
        let _case = Case("fuzz_the_whole_vocabulary", seed);
        let mut rng = Rng::new(seed ^ 0x70CA);
        run(load_native("v.yaml", mutate(VOCABULARY, &mut rng)));
        run(load_cloudformation(
            "t.json",
            mutate(&template, &mut rng),
            &TemplateOptions::default(),
        ));
        run(load_terraform("p.json", mutate(&plan, &mut rng)));
        run(load_terraform("i.json", mutate(&inline_plan, &mut rng)));
    }
}

#[test]
fn fuzz_terraform_plans() {
    for seed in seeds() {
        let _case = Case("fuzz_terraform_plans", seed);
        let mut rng = Rng::new(seed ^ 0x7E44);
        let text = mutate(PLAN, &mut rng);
        run(load_terraform("p.json", &text));
    }
}

#[test]
fn fuzz_dumps() {
    let files = netpolicy_tests::DUMP_FILES;
    let dir = std::env::temp_dir().join(format!("netpolicy-fuzz-{}", std::process::id()));
    for seed in seeds() {
        let _case = Case("fuzz_dumps", seed);
        let mut rng = Rng::new(seed ^ 0xD0);
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(entries) = std::fs::read_dir(DUMP) {
            for e in entries.flatten() {
                let _ = std::fs::copy(e.path(), dir.join(e.file_name()));
            }
        }
        let file = rng
            .pick(files)
            .copied()
            .unwrap_or("ec2-describe-instances.json");
        let original =
            std::fs::read_to_string(std::path::Path::new(DUMP).join(file)).unwrap_or_default();
        let _ = std::fs::write(dir.join(file), mutate(&original, &mut rng));
        run(load_aws_cli_dir(&dir));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fuzz_policies() {
    let model = match load_cloudformation("t.json", TEMPLATE, &TemplateOptions::default()) {
        Ok(m) => m,
        Err(e) => {
            render_failure(&e);
            return;
        }
    };
    let extra = [
        "let a = a\n",
        "let x = b\nlet b = x\n",
        "(",
        ")",
        " + ",
        " - ",
        " -> ",
        " <-> ",
        " : ",
        " with any source port",
        " privately",
        " through internet",
        "assert \"x\":\n",
        "\r",
        "//",
        "tcp//443",
        "icmp/300",
        "cidr:1.2.3.4/40",
        "exposure vpc:* <= none from internet\n",
        "same reachability vpc:*, vpc:*\n",
        "least privilege sg:*\n",
    ];
    for seed in seeds() {
        let _case = Case("fuzz_policies", seed);
        let mut rng = Rng::new(seed ^ 0xB0);
        let mut text = mutate(POLICY, &mut rng);
        for _ in 0..rng.below(4) {
            let at = floor(&text, rng.below(text.len().max(1)));
            text.insert_str(at, rng.pick(&extra).copied().unwrap_or("("));
        }
        let mut sources = SourceMap::default();
        let id = sources.add("p.np", text.as_str());
        match parse_policy(&text, id) {
            Ok(policy) => {
                if let Err(e) = check_policy(&model, &policy, &sources, "p.np", "m") {
                    let report = Report::new(e).with_source_code(miette::NamedSource::new(
                        "p.np",
                        WindowedText::new(text.clone()),
                    ));
                    let _ = render_diagnostic(report.as_ref());
                }
                if let Ok(once) = format_policy(&text) {
                    let twice = format_policy(&once);
                    assert_eq!(twice.as_ref().ok(), Some(&once), "seed {seed}: fmt\n{text}");
                }
            }
            Err(e) => {
                let report = Report::new(e).with_source_code(miette::NamedSource::new(
                    "p.np",
                    WindowedText::new(text.clone()),
                ));
                let _ = render_diagnostic(report.as_ref());
            }
        }
    }
}

/// Templates as people write them: parameters without values, imports,
/// service resources, the default VPC.
#[test]
fn fuzz_templates_as_people_write_them() {
    const INPUTS: &[&str] = &[
        include_str!("../fixtures/cloudformation/stack-set/app.yaml"),
        include_str!("../fixtures/cloudformation/stack-set/network.yaml"),
        include_str!("../fixtures/cloudformation/existing-network/app.yaml"),
        include_str!("../fixtures/cloudformation/services-and-default-vpc.yaml"),
    ];
    for seed in seeds() {
        let _case = Case("fuzz_templates_as_people_write_them", seed);
        let mut rng = Rng::new(seed ^ 0x18);
        for input in INPUTS {
            let text = mutate(input, &mut rng);
            run(load_cloudformation(
                "t.yaml",
                &text,
                &TemplateOptions::default(),
            ));
        }
    }
}

/// The library's questions with text from anywhere: selectors and services
/// given to `Network::reach`, policies to `validate`, and networks built in
/// code from mutated CIDRs, services and peers. Answers or errors, never a
/// panic; every error renders with its source.
#[test]
fn fuzz_library_questions() {
    use netpolicy::build::{Instance, NetworkAcl, NetworkBuilder, SecurityGroup, Subnet, Vpc};
    let Ok(network) =
        netpolicy::Network::parse("t.json", TEMPLATE, netpolicy::Format::CloudFormation)
    else {
        panic!("the fuzz template does not load");
    };
    let selectors = [
        "internet",
        "onprem",
        "*",
        "vpc:*",
        "sg:*Web* + instance:*",
        "cidr:10.0.0.0/8",
        "(a - b)",
    ];
    let services = ["ssh", "tcp/443", "icmp, udp/53", "all", "tcp/1-65535"];
    for seed in seeds() {
        let _case = Case("fuzz_library_questions", seed);
        let mut rng = Rng::new(seed ^ 0x11B);
        let from = mutate(rng.pick(&selectors).copied().unwrap_or("*"), &mut rng);
        let to = mutate(rng.pick(&selectors).copied().unwrap_or("*"), &mut rng);
        let service = mutate(rng.pick(&services).copied().unwrap_or("ssh"), &mut rng);
        match network.reach(&from, &to, &service) {
            Ok(reach) => drop(reach.to_string()),
            Err(e) => drop(render_diagnostic(&e)),
        }
        let policy = format!("no {from} -> {to} : {service}\n");
        match netpolicy::Policy::parse("p.np", policy) {
            Ok(policy) => {
                for e in network.validate(&policy).errors {
                    let _ = render_diagnostic(&e);
                }
            }
            Err(e) => drop(render_diagnostic(&e)),
        }
        let built = NetworkBuilder::new()
            .vpc(Vpc::new("v", mutate("10.0.0.0/16", &mut rng)).with_internet_gateway())
            .subnet(
                Subnet::new("s", "v", mutate("10.0.1.0/24", &mut rng))
                    .public()
                    .network_acl("a"),
            )
            .network_acl(
                NetworkAcl::new("a", "v")
                    .allow_in(100, &service, &mutate("0.0.0.0/0", &mut rng))
                    .allow_out(100, "all", "0.0.0.0/0"),
            )
            .security_group(
                SecurityGroup::new("g", "v").ingress(&service, &mutate("sg:g", &mut rng)),
            )
            .instance(Instance::new("i", "s").group("g"))
            .build();
        match built {
            Ok(n) => {
                let _ = n.reach("internet", "i", "all").map(|r| r.is_reachable());
            }
            Err(e) => drop(render_diagnostic(&e)),
        }
    }
}
