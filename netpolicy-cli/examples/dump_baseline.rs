//! The yardstick of docs/scale.md for AWS CLI dumps: the time to merely parse
//! every file of a dump folder into untyped `serde_json::Value`s (one file after
//! another, then all files in parallel), beside the time netpolicy takes to load
//! the same folder and check a policy against it, in one process with the
//! allocator the `netpolicy` binary uses.
//!
//! `cargo run --release -p netpolicy-cli --example dump_baseline -- DIR [POLICY | --exposure]`
//!
//! `--exposure` measures what `netpolicy exposure` computes (every interface's
//! exposure, sources and admitting rules) in place of a policy check.

use netpolicy_core::engine::Engine;
use netpolicy_core::span::SourceMap;
use netpolicy_lang::check::{Names, check_policy_with};
use rayon::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Each measurement is repeated this many times, interleaved, and the fastest
/// run is reported: the first touch of fresh memory is slow on some machines
/// and would otherwise favour whichever runs second.
const ROUNDS: usize = 3;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: dump_baseline DIR [POLICY]");
        std::process::exit(2);
    };
    let dir = Path::new(&dir);
    let policy = args.next();
    let texts: Vec<String> = netpolicy_core::load::aws_cli::FILES
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f.file)).ok())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut best = [Duration::MAX; 4];
    let mut summary = String::new();
    for round in 1..=ROUNDS {
        let (sequential, parallel) = untyped_parse(&texts);
        let started = Instant::now();
        let model = match netpolicy_core::load::aws_cli::load_aws_cli_dir(dir) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("load failed: {}", e.error());
                std::process::exit(2);
            }
        };
        let load = started.elapsed();
        let checked = policy.as_ref().map(|p| match p.as_str() {
            "--exposure" => exposure(&model),
            _ => check(&model, Path::new(p)),
        });
        let check_time = checked.map(|(d, _)| d).unwrap_or_default();
        summary = format!(
            "{} interfaces{}",
            model.enis().len(),
            match checked {
                Some((_, n)) if policy.as_deref() == Some("--exposure") => {
                    format!(", exposure: {n} exposed")
                }
                Some((_, n)) => format!(", {n} assertions"),
                None => String::new(),
            }
        );
        eprintln!(
            "round {round}: Value {} one by one, {} in parallel; netpolicy load {} + check {}",
            ms(sequential),
            ms(parallel),
            ms(load),
            ms(check_time)
        );
        for (b, t) in best
            .iter_mut()
            .zip([sequential, parallel, load, load + check_time])
        {
            *b = (*b).min(t);
        }
    }
    let [sequential, parallel, load, total] = best;
    println!(
        "{:.1} MB ({summary}), best of {ROUNDS}: serde_json::Value {} one by one, {} in parallel; \
         netpolicy load {}, load + check {} = {:.2}x one by one, {:.2}x parallel",
        bytes as f64 / 1e6,
        ms(sequential),
        ms(parallel),
        ms(load),
        ms(total),
        total.as_secs_f64() / sequential.as_secs_f64(),
        total.as_secs_f64() / parallel.as_secs_f64(),
    );
}

/// Parses every file into a `Value`, one after another and then in parallel.
fn untyped_parse(texts: &[String]) -> (Duration, Duration) {
    let parse = |t: &&String| serde_json::from_str::<serde_json::Value>(t).is_ok();
    let started = Instant::now();
    let ok = texts.iter().filter(parse).count();
    let sequential = started.elapsed();
    let started = Instant::now();
    let ok_parallel = texts.par_iter().filter(parse).count();
    let parallel = started.elapsed();
    if (ok, ok_parallel) != (texts.len(), texts.len()) {
        eprintln!("a dump file is not JSON");
        std::process::exit(2);
    }
    (sequential, parallel)
}

/// Compiles the model and checks the policy: (time, assertions).
fn check(model: &netpolicy_core::model::Model, path: &Path) -> (Duration, usize) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("cannot read {}: {e}", path.display());
        std::process::exit(2);
    });
    let mut sources = SourceMap::default();
    let id = sources.add(path.display().to_string(), text.as_str());
    let started = Instant::now();
    let policy = match netpolicy_lang::parse_policy(&text, id) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("policy does not parse: {e}");
            std::process::exit(2);
        }
    };
    let engine = Engine::new(model);
    let names = Names {
        policy: "policy",
        model: "dump",
    };
    let report = check_policy_with(&engine, &policy, &sources, names, &|| {});
    let elapsed = started.elapsed();
    let verdicts = match report {
        Ok(r) => r.verdicts.len(),
        Err(e) => {
            eprintln!("check failed: {e}");
            std::process::exit(2);
        }
    };
    (elapsed, verdicts)
}

/// Compiles the model and computes every interface's exposure: (time, exposed).
fn exposure(model: &netpolicy_core::model::Model) -> (Duration, usize) {
    let started = Instant::now();
    let engine = Engine::new(model);
    let exposed = engine.exposure().len();
    (started.elapsed(), exposed)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}
