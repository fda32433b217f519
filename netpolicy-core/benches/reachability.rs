//! Benchmarks of the engine on synthetic organizations.

use criterion::{Criterion, criterion_group, criterion_main};
use netpolicy_core::engine::Engine;
use netpolicy_core::packet::{IntervalSet, PacketSet};
use netpolicy_core::synth::{Shape, organization};
use std::hint::black_box;

/// 10,000 interfaces: 20 VPCs x 10 subnets x 50 interfaces, 4 groups per VPC.
const TEN_K: Shape = Shape {
    vpcs: 20,
    subnets_per_vpc: 10,
    groups_per_vpc: 4,
    enis_per_subnet: 50,
};

fn tcp(port: u32) -> PacketSet {
    PacketSet::for_protocols(
        &IntervalSet::single(6),
        &IntervalSet::range(1024, 65535),
        &IntervalSet::single(port),
    )
}

fn all_pairs(c: &mut Criterion) {
    let Ok(model) = organization(TEN_K) else {
        return;
    };
    let mut group = c.benchmark_group("10k-enis");
    group.sample_size(10);
    group.bench_function("build-model", |b| {
        b.iter(|| organization(black_box(TEN_K)).map(|m| m.enis().len()))
    });
    group.bench_function("compile-engine", |b| {
        b.iter(|| Engine::new(black_box(&model)).classes().len())
    });
    let engine = Engine::new(&model);
    eprintln!(
        "{} interfaces in {} classes",
        model.enis().len(),
        engine.classes().len()
    );
    for (name, query) in [("matrix-ssh", tcp(22)), ("matrix-all", PacketSet::all())] {
        group.bench_function(name, |b| {
            b.iter(|| engine.class_matrix(black_box(&query)).len())
        });
    }
    group.finish();
}

criterion_group!(benches, all_pairs);
criterion_main!(benches);
