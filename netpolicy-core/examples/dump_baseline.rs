//! The yardstick of docs/scale.md for AWS CLI dumps: the time to merely parse
//! every file of a dump folder into untyped `serde_json::Value`s (one file after
//! another, then all files in parallel), beside the time netpolicy takes to load
//! the same folder into a model.
//!
//! `cargo run --release -p netpolicy-core --example dump_baseline -- DIR`

use rayon::prelude::*;
use std::time::Instant;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: dump_baseline DIR");
        std::process::exit(2);
    };
    let mut texts = Vec::new();
    let mut bytes = 0;
    for f in netpolicy_core::load::aws_cli::FILES {
        if let Ok(text) = std::fs::read_to_string(std::path::Path::new(&dir).join(f.file)) {
            bytes += text.len();
            texts.push(text);
        }
    }
    let started = Instant::now();
    let parsed = texts
        .iter()
        .filter(|t| serde_json::from_str::<serde_json::Value>(t).is_ok())
        .count();
    let sequential = started.elapsed();
    let started = Instant::now();
    let parallel_ok = texts
        .par_iter()
        .filter(|t| serde_json::from_str::<serde_json::Value>(t).is_ok())
        .count();
    let parallel = started.elapsed();
    let started = Instant::now();
    let loaded = netpolicy_core::load::aws_cli::load_aws_cli_dir(std::path::Path::new(&dir));
    let load = started.elapsed();
    println!(
        "{} files, {:.1} MB; serde_json::Value: {:.0} ms one by one, {:.0} ms in parallel ({parsed}/{parallel_ok} parsed); netpolicy load: {:.0} ms ({})",
        texts.len(),
        bytes as f64 / 1e6,
        sequential.as_secs_f64() * 1e3,
        parallel.as_secs_f64() * 1e3,
        load.as_secs_f64() * 1e3,
        match &loaded {
            Ok(m) => format!("{} interfaces", m.enis().len()),
            Err(e) => format!("error: {}", e.error()),
        }
    );
}
