#![expect(clippy::panic, reason = "helpers of a test fail the test")]

//! `netpolicy fmt` is idempotent and keeps meaning: for every policy that
//! parses, the formatted text parses, formatting it again changes nothing, and
//! checking it gives the same verdicts. Policies are generated at random, with
//! comments between tokens and inside service lists, parentheses, keyword-named
//! bindings and every line ending, beside the bundled policies.

use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation_file};
use netpolicy_core::model::Model;
use netpolicy_core::span::SourceMap;
use netpolicy_lang::check::check_policy;
use netpolicy_lang::fmt::format_policy;
use netpolicy_lang::parse_policy;
use netpolicy_tests::generate::Rng;
use std::path::Path;

fn workshop() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/cloudformation/inspector-reachability-workshop.json");
    match load_cloudformation_file(&path, &TemplateOptions::default()) {
        Ok(m) => m,
        Err(e) => panic!("fixture: {}", e.error()),
    }
}

/// Verdicts as comparable text (status and finding count per assertion), or
/// the error's message.
fn verdicts(model: &Model, text: &str) -> Result<Vec<String>, String> {
    let mut sources = SourceMap::default();
    let id = sources.add("p.np", text);
    let policy = parse_policy(text, id).map_err(|e| format!("parse: {e}"))?;
    let report =
        check_policy(model, &policy, &sources, "p.np", "m").map_err(|e| format!("check: {e}"))?;
    Ok(report
        .verdicts
        .iter()
        .map(|v| format!("{:?} {} {:?}", v.status, v.findings, v.name))
        .collect())
}

const ATOMS: &[&str] = &[
    "internet",
    "onprem",
    "WebAppServerAZ1",
    "instance:DbServerAZ*",
    "vpc:PoCVPC",
    "subnet:WebAppPublicSubnet*",
    "sg:*",
    "cidr:10.0.0.0/16",
    "any",
    "privately",
    "web",
];
const SERVICES: &[&str] = &[
    "ssh",
    "tcp/443",
    "udp/53",
    "icmp",
    "all",
    "3306",
    "tcp/1024-65535",
];

/// Whitespace between two tokens: spaces, a line break, or a comment.
fn gap(rng: &mut Rng, eol: &str) -> String {
    match rng.below(8) {
        0 => format!(" # note{eol}  "),
        1 => format!(" // note{eol}"),
        2 => format!("{eol}   "),
        3 => "  ".into(),
        _ => " ".into(),
    }
}

fn selector(rng: &mut Rng, depth: usize, eol: &str) -> String {
    let atom = |rng: &mut Rng| {
        let a = rng.pick(ATOMS).copied().unwrap_or("internet");
        // Keyword-named bindings need their parentheses.
        if matches!(a, "any" | "privately") {
            format!("({a})")
        } else {
            a.to_string()
        }
    };
    let mut out = if depth > 0 && rng.chance(30) {
        format!("({})", selector(rng, depth - 1, eol))
    } else {
        atom(rng)
    };
    for _ in 0..rng.below(3) {
        let op = if rng.chance(60) { "+" } else { "-" };
        let rhs = if depth > 0 && rng.chance(30) {
            format!("({})", selector(rng, depth - 1, eol))
        } else {
            atom(rng)
        };
        out = format!("{out}{}{op} {rhs}", gap(rng, eol));
    }
    out
}

fn services(rng: &mut Rng, eol: &str) -> String {
    let mut items = vec![rng.pick(SERVICES).copied().unwrap_or("ssh").to_string()];
    for _ in 0..rng.below(3) {
        items.push(rng.pick(SERVICES).copied().unwrap_or("ssh").to_string());
    }
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
            out.push_str(&gap(rng, eol));
        }
        out.push_str(item);
    }
    out
}

fn statement(rng: &mut Rng, eol: &str) -> String {
    let s = |rng: &mut Rng| selector(rng, 2, eol);
    let body = match rng.below(7) {
        0 => format!("no {} -> {} : {}", s(rng), s(rng), services(rng, eol)),
        1 => format!("{} -> {} : {}", s(rng), s(rng), services(rng, eol)),
        2 => format!("only {} -> {}", s(rng), s(rng)),
        3 => format!("isolated {}, {}", s(rng), s(rng)),
        4 => format!(
            "exposure {} <= {} from internet",
            s(rng),
            services(rng, eol)
        ),
        5 => format!("any {} -> {} : {}", s(rng), s(rng), services(rng, eol)),
        _ => format!("no {} <-> {}", s(rng), s(rng)),
    };
    let qualifier = match rng.below(7) {
        0 => " privately",
        1 => " through vpc:WebAppVPC",
        2 => " with any source port",
        3 => " not through internet",
        4 => " ignoring sg",
        5 => " ignoring nacl privately",
        _ => "",
    };
    if rng.chance(40) {
        format!(
            "assert \"label {}\":{eol}  {body}{qualifier}",
            rng.below(100)
        )
    } else {
        format!("{body}{qualifier}")
    }
}

fn policy(rng: &mut Rng) -> String {
    let eol = *rng.pick(&["\n", "\r\n", "\r"]).unwrap_or(&"\n");
    let mut out = format!("# generated{eol}let web = instance:WebAppServerAZ*{eol}");
    out.push_str(&format!(
        "let any = vpc:*{eol}let privately = vpc:PoCVPC{eol}"
    ));
    for _ in 0..1 + rng.below(4) {
        if rng.chance(30) {
            out.push_str(&format!("{eol}# between{eol}"));
        }
        out.push_str(&statement(rng, eol));
        out.push_str(if rng.chance(30) { " # trailing" } else { "" });
        out.push_str(eol);
    }
    out
}

fn assert_round_trip(model: &Model, name: &str, text: &str) {
    let Ok(once) = format_policy(text) else {
        return; // Only policies that parse are promised anything.
    };
    let twice = format_policy(&once)
        .unwrap_or_else(|e| panic!("{name}: fmt output does not parse: {e}\n{once}"));
    assert_eq!(
        once, twice,
        "{name}: fmt is not idempotent\n--- input\n{text}"
    );
    assert_eq!(
        verdicts(model, text),
        verdicts(model, &once),
        "{name}: meaning changed\n--- input\n{text}\n--- formatted\n{once}"
    );
}

#[test]
fn fmt_is_idempotent_and_keeps_verdicts_on_random_policies() {
    let model = workshop();
    let mut parsed = 0;
    for seed in 0..300u64 {
        let mut rng = Rng::new(seed);
        let text = policy(&mut rng);
        parsed += usize::from(format_policy(&text).is_ok());
        assert_round_trip(&model, &format!("seed {seed}"), &text);
    }
    assert!(
        parsed > 200,
        "only {parsed} of 300 generated policies parse"
    );
}

#[test]
fn fmt_keeps_the_bundled_policies() {
    let model = workshop();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in [
        "policies/inspector-workshop.np",
        "policies/native-infrasec.np",
        "policies/native-infrasec-changes.np",
    ] {
        let text = std::fs::read_to_string(root.join(name)).unwrap_or_default();
        assert_round_trip(&model, name, &text);
    }
}

#[test]
fn fmt_regressions() {
    let model = workshop();
    for text in [
        "isolated internet, (onprem)",
        "no internet -> vpc:* : tcp/22, # c\n tcp/80",
        "no internet -> vpc:* : tcp//443",
        "let any = vpc:*\nno (any) -> internet",
        "let privately = vpc:PoCVPC\nno (privately) -> internet privately",
        "no subnet:WebAppPublicSubnet* -> subnet:WebAppDbSubnet* : all ignoring sg ignoring nacl",
        "# x\rno internet -> vpc:*\r# y\r",
    ] {
        assert_round_trip(&model, text, text);
        let once = format_policy(text).unwrap_or_default();
        assert!(!once.contains(" )"), "{once}");
    }
}
