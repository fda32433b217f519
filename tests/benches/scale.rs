//! Scale benchmarks on organizations from `netpolicy gen` (docs/scale.md):
//! load (parse + build) from the native format and from an AWS CLI dump, engine
//! compile, the 20-assertion policy
//! `policies/synthetic-org.np`, `only` and `same reachability`, the internet
//! exposure of every interface, and the all-pairs class matrix for six
//! services (reachability bits, `Engine::service_matrix`).
//!
//! `cargo bench -p netpolicy-tests --bench scale` runs S and M;
//! `NETPOLICY_BENCH_PRESETS=S,M,L` adds L (minutes).
//!
//! `scale-dense` is one VPC of 1,000 instances whose ten groups hold 60 random
//! rules each (`netpolicy gen --shape dense`): every assertion kind, one by
//! one, where the cost follows how finely the rules cut the packet space.

use criterion::{Criterion, criterion_group, criterion_main};
use netpolicy_core::engine::Engine;
use netpolicy_core::load::aws_cli::load_aws_cli_dir;
use netpolicy_core::load::load_native_file;
use netpolicy_core::packet::{IntervalSet, PacketSet};
use netpolicy_core::span::SourceMap;
use netpolicy_core::synth::{self, Preset};
use netpolicy_lang::check::check_policy_with;
use rayon::prelude::*;
use std::hint::black_box;
use std::path::PathBuf;

fn presets() -> Vec<Preset> {
    let list = std::env::var("NETPOLICY_BENCH_PRESETS").unwrap_or_else(|_| "S,M".into());
    list.split(',').filter_map(Preset::parse).collect()
}

/// Writes the preset's organization to a temporary native file.
fn native_file(preset: Preset) -> Option<PathBuf> {
    let model = synth::generate(&preset.spec()).ok()?;
    let path = std::env::temp_dir().join(format!("netpolicy-bench-{}.json", preset.name()));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).ok()?);
    synth::native::write(&model, &mut out).ok()?;
    drop(out);
    Some(path)
}

/// Writes the preset's organization to a temporary AWS CLI dump folder.
fn dump_dir(preset: Preset) -> Option<PathBuf> {
    let model = synth::generate(&preset.spec()).ok()?;
    let dir = std::env::temp_dir().join(format!("netpolicy-bench-{}-dump", preset.name()));
    synth::aws_cli::write(&model, &dir).ok()?;
    Some(dir)
}

fn policy(text: &str) -> Option<(netpolicy_lang::ast::Policy, SourceMap)> {
    let mut sources = SourceMap::default();
    let id = sources.add("bench.np", text);
    let policy = netpolicy_lang::parse_policy(text, id).ok()?;
    Some((policy, sources))
}

/// Benchmarks checking the policy `text` on `engine`, as `name`.
fn bench_check(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    engine: &Engine<'_>,
    name: &str,
    text: &str,
) {
    let Some((policy, sources)) = policy(text) else {
        return;
    };
    let names = netpolicy_lang::check::Names {
        policy: name,
        model: "bench",
    };
    group.bench_function(name, |b| {
        b.iter(|| check_policy_with(engine, &policy, &sources, names, &|| {}).is_ok())
    });
}

fn tcp(port: u32) -> PacketSet {
    PacketSet::for_protocols(
        &IntervalSet::single(6),
        &IntervalSet::range(1024, 65535),
        &IntervalSet::single(port),
    )
}

fn scale(c: &mut Criterion) {
    let twenty = include_str!("../../policies/synthetic-org.np");
    let only = "only sg:bastion-0000-* -> vpc:spoke-0001 : ssh";
    let same = "same reachability instance:host-0001-5, instance:host-0001-6";
    for preset in presets() {
        let Some(path) = native_file(preset) else {
            continue;
        };
        let Ok(model) = load_native_file(&path) else {
            continue;
        };
        let mut group = c.benchmark_group(format!("scale-{}", preset.name()));
        group.sample_size(10);
        group.bench_function("load", |b| {
            b.iter(|| load_native_file(black_box(&path)).map(|m| m.enis().len()))
        });
        if let Some(dir) = dump_dir(preset) {
            group.bench_function("load-aws-cli", |b| {
                b.iter(|| load_aws_cli_dir(black_box(&dir)).map(|m| m.enis().len()))
            });
            let _ = std::fs::remove_dir_all(&dir);
        }
        group.bench_function("compile", |b| {
            b.iter(|| Engine::new(black_box(&model)).classes().len())
        });
        let engine = Engine::new(&model);
        for (name, text) in [("policy-20", twenty), ("only", only), ("same", same)] {
            bench_check(&mut group, &engine, name, text);
        }
        group.bench_function("exposure-all", |b| {
            b.iter(|| {
                model
                    .enis()
                    .par_iter()
                    .filter(|e| !engine.internet_exposure(&e.meta.id).is_empty())
                    .count()
            })
        });
        let services = [22, 3389, 80, 443, 3306, 5432].map(tcp);
        group.bench_function("matrix-6-services", |b| {
            b.iter(|| {
                let bits = engine.service_matrix(&services);
                (0..services.len()).map(|k| bits.count(k)).sum::<usize>()
            })
        });
        group.finish();
        let _ = std::fs::remove_file(&path);
    }
}

/// The dense shape of issue "Dense rule sets": every assertion kind on one VPC
/// of 1,000 instances with long random rule lists.
fn dense(c: &mut Criterion) {
    let spec = synth::Spec {
        vpcs: 1,
        subnets_per_vpc: 5,
        enis: 1000,
        security_groups: 10,
        rules_per_group: 60,
        internet_percent: 100,
        shape: synth::Shape::Dense,
        ..Preset::S.spec()
    };
    let Ok(model) = synth::generate(&spec) else {
        return;
    };
    let engine = Engine::new(&model);
    let assertions = [
        ("only-wide", "only instance:host-0000-0 -> vpc:* : all"),
        ("only-narrow", "only vpc:* -> instance:host-0000-0 : all"),
        ("no-all-pairs", "no vpc:* -> vpc:* : all"),
        ("no-internet", "no internet -> vpc:* : all"),
        (
            "isolated",
            "isolated subnet:private-0000-1, subnet:private-0000-2",
        ),
        ("reach", "instance:host-0000-0 -> vpc:* : all"),
        (
            "same",
            "same reachability instance:host-0000-0, instance:host-0000-1",
        ),
        ("exposure", "exposure vpc:* <= https from internet"),
        ("least-privilege", "least privilege vpc:*"),
    ];
    let mut group = c.benchmark_group("scale-dense");
    group.sample_size(10);
    for (name, text) in assertions {
        bench_check(
            &mut group,
            &engine,
            name,
            &format!("assert \"{name}\": {text}\n"),
        );
    }
    group.finish();
}

criterion_group!(benches, scale, dense);
criterion_main!(benches);
