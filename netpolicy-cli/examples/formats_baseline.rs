//! The yardstick of docs/scale.md for the four formats: one organization
//! written by `netpolicy gen` natively, as an AWS CLI dump, as a CloudFormation
//! template and as a Terraform plan, loaded by netpolicy beside the time to
//! merely parse the same bytes into untyped `serde_json::Value`s, in one
//! process with the allocator the `netpolicy` binary uses. netpolicy's load
//! reads the file itself, so the time to read it is shown too: the parse
//! alone, and read and parse together.
//!
//! ```text
//! netpolicy gen --preset L --as native DIR/org.json
//! netpolicy gen --preset L --as aws-cli DIR/dump
//! netpolicy gen --preset L --as cloudformation DIR/org.template.json
//! netpolicy gen --preset L --as terraform DIR/org.plan.json
//! cargo run --release -p netpolicy-cli --example formats_baseline -- DIR [FILE...]
//! ```
//!
//! Naming files (`org.plan.json`, `dump`) measures only those.

use netpolicy_core::load::cloudformation::TemplateOptions;
use netpolicy_core::load::load_model_file;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Each measurement is repeated this many times, interleaved; the fastest run
/// is reported.
const ROUNDS: usize = 3;

const INPUTS: [(&str, &str); 4] = [
    ("native", "org.json"),
    ("AWS CLI dump", "dump"),
    ("CloudFormation", "org.template.json"),
    ("Terraform plan", "org.plan.json"),
];

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!(
            "usage: formats_baseline DIR (with org.json, dump/, org.template.json, org.plan.json)"
        );
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let only: Vec<String> = std::env::args().skip(2).collect();
    let measured = |file: &str| only.is_empty() || only.iter().any(|o| o == file);
    // Per format: the read, the untyped parse, netpolicy's load (which reads
    // the file itself), best of the rounds.
    let mut best = [[Duration::MAX; 3]; 4];
    let mut interfaces = [0; 4];
    let mut sizes = [0; 4];
    for round in 1..=ROUNDS {
        for (i, (name, file)) in INPUTS.iter().enumerate() {
            if !measured(file) {
                continue;
            }
            let started = Instant::now();
            let texts = read(&dir.join(file));
            let reading = started.elapsed();
            let untyped = untyped_parse(&texts);
            sizes[i] = texts.iter().map(String::len).sum();
            drop(texts);
            let started = Instant::now();
            let model = match load_model_file(&dir.join(file), None, &TemplateOptions::default()) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("{name}: load failed: {}", e.error());
                    std::process::exit(2);
                }
            };
            let load = started.elapsed();
            interfaces[i] = model.enis().len();
            drop(model);
            eprintln!(
                "round {round}, {name}: read {}, Value {}, netpolicy load {}",
                ms(reading),
                ms(untyped),
                ms(load)
            );
            for (b, t) in best[i].iter_mut().zip([reading, untyped, load]) {
                *b = (*b).min(t);
            }
        }
    }
    println!(
        "| format | size | `Value` parse | read + `Value` parse | netpolicy load (reads the file) | ratio to parse | ratio to read + parse | interfaces |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (i, (name, file)) in INPUTS.iter().enumerate() {
        if !measured(file) {
            continue;
        }
        let [reading, untyped, load] = best[i];
        let from_file = reading + untyped;
        println!(
            "| {name} | {:.0} MB | {} | {} | {} | {:.2}x | {:.2}x | {} |",
            sizes[i] as f64 / 1e6,
            ms(untyped),
            ms(from_file),
            ms(load),
            load.as_secs_f64() / untyped.as_secs_f64(),
            load.as_secs_f64() / from_file.as_secs_f64(),
            interfaces[i]
        );
    }
}

/// The file, or every file of a dump folder.
fn read(path: &Path) -> Vec<String> {
    let files: Vec<PathBuf> = if path.is_dir() {
        netpolicy_core::load::aws_cli::FILES
            .iter()
            .map(|f| path.join(f.file))
            .filter(|p| p.is_file())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f).unwrap_or_else(|e| {
                eprintln!("cannot read {}: {e}", f.display());
                std::process::exit(2);
            })
        })
        .collect()
}

/// Parses every text into a `Value`, one after another.
fn untyped_parse(texts: &[String]) -> Duration {
    let started = Instant::now();
    for t in texts {
        if serde_json::from_str::<serde_json::Value>(t).is_err() {
            eprintln!("not JSON");
            std::process::exit(2);
        }
    }
    started.elapsed()
}

fn ms(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        format!("{:.0} ms", d.as_secs_f64() * 1e3)
    }
}
