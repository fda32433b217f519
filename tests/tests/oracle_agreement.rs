//! The engine's packet sets against the brute-force oracle, on random networks.

use netpolicy_core::engine::{Endpoint, Engine, PathKind};
use netpolicy_core::model::{Eni, Model};
use netpolicy_core::packet::{Dim, Packet, PacketSet};
use netpolicy_tests::generate::{self, INTERNET_SOURCES, Rng};
use netpolicy_tests::oracle::{End, Oracle, Pkt};
use proptest::prelude::*;
use std::net::Ipv4Addr;

const PROTOCOLS: [u8; 4] = [6, 17, 1, 47];
const PORTS: [u16; 6] = [22, 53, 80, 443, 1000, 40000];

fn sample_header(rng: &mut Rng) -> (u8, u16, u16) {
    let proto = *rng.pick(&PROTOCOLS).unwrap_or(&6);
    match proto {
        6 | 17 => (
            proto,
            *rng.pick(&PORTS).unwrap_or(&80),
            *rng.pick(&PORTS).unwrap_or(&80),
        ),
        1 => (proto, 0, *rng.pick(&[0u16, 3, 8, 13, 14]).unwrap_or(&8)),
        _ => (proto, 0, 0),
    }
}

/// A random packet of `set` (random cube, random value in each dimension), so
/// agreement is checked on delivered packets too, not only on the cube corners.
fn sample_from(set: &PacketSet, rng: &mut Rng) -> Option<Packet> {
    let cube = rng.pick(set.cubes())?;
    let mut value = |dim: Dim| {
        let ranges = cube.get(dim).ranges();
        let (a, b) = *rng.pick(ranges)?;
        Some(a + (rng.next_u64() % (u64::from(b - a) + 1)) as u32)
    };
    Some(Packet {
        src: Ipv4Addr::from(value(Dim::SrcAddr)?),
        dst: Ipv4Addr::from(value(Dim::DstAddr)?),
        protocol: u8::try_from(value(Dim::Protocol)?).ok()?,
        src_port: u16::try_from(value(Dim::SrcPort)?).ok()?,
        dst_port: u16::try_from(value(Dim::DstPort)?).ok()?,
    })
}

fn addresses(e: &Eni) -> Vec<Ipv4Addr> {
    e.private_ips.iter().copied().chain(e.public_ip).collect()
}

/// Compares the engine and the oracle on `samples` packets per (source, destination)
/// pair drawn at random; returns the number of packets checked.
fn check_network(seed: u64, model: &Model) -> Result<(usize, usize), String> {
    let engine = Engine::new(model);
    let oracle = Oracle::new(model);
    let mut rng = Rng::new(seed ^ 0xA5A5);
    let enis = model.enis();
    let mut checked = 0;
    let mut positives = 0;
    for _ in 0..12 {
        let Some(dst) = rng.pick(enis) else { break };
        let dst_addrs = addresses(dst);
        let kind = rng.below(4);
        let (src_ep, src_end, src_addr) = match kind {
            0 => (
                Endpoint::Internet,
                End::Internet,
                *rng.pick(&INTERNET_SOURCES).unwrap_or(&INTERNET_SOURCES[0]),
            ),
            1 => (
                Endpoint::OnPrem,
                End::OnPrem,
                Ipv4Addr::new(192, 168, 1, 10),
            ),
            _ => {
                let Some(src) = rng.pick(enis) else { break };
                let a = src
                    .private_ips
                    .first()
                    .copied()
                    .unwrap_or(Ipv4Addr::UNSPECIFIED);
                (Endpoint::Eni(src.meta.id.clone()), End::Eni(src), a)
            }
        };
        // Engine: one set computation per pair, then membership per packet.
        let reach = engine.reach(
            &src_ep,
            &Endpoint::Eni(dst.meta.id.clone()),
            &PacketSet::all(),
        );
        let direct = reach
            .flows
            .iter()
            .filter(|f| !matches!(f.kind, PathKind::LoadBalancer { .. }))
            .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets));
        for i in 0..8 {
            let Some(dst_addr) = rng.pick(&dst_addrs).copied() else {
                break;
            };
            let (protocol, src_port, dst_port) = sample_header(&mut rng);
            let random = Packet {
                src: src_addr,
                dst: dst_addr,
                protocol,
                src_port,
                dst_port,
            };
            // Half the samples come from the engine's own answer: the oracle must
            // accept each of them.
            let p = if i % 2 == 0 {
                sample_from(&direct, &mut rng).unwrap_or(random)
            } else {
                random
            };
            let q = Pkt {
                src: p.src,
                dst: p.dst,
                proto: p.protocol,
                sport: p.src_port,
                dport: p.dst_port,
            };
            let engine_says = direct.contains(&p);
            let oracle_says = oracle.delivered(src_end, End::Eni(dst), q);
            if engine_says != oracle_says {
                return Err(format!(
                    "seed {seed}: {src_ep:?} -> {} packet {p}: engine {engine_says}, oracle {oracle_says}\n{:#?}",
                    dst.meta.id,
                    engine.explain(&src_ep, &Endpoint::Eni(dst.meta.id.clone()), &p)
                ));
            }
            checked += 1;
            positives += usize::from(engine_says);
        }
        // Outbound to the internet and on-premises.
        if let End::Eni(src) = src_end {
            for (ep, end, addr) in [
                (Endpoint::Internet, End::Internet, Ipv4Addr::new(8, 8, 8, 8)),
                (Endpoint::OnPrem, End::OnPrem, Ipv4Addr::new(192, 168, 7, 7)),
            ] {
                let out = engine.reach(&src_ep, &ep, &PacketSet::all()).packets();
                let (protocol, src_port, dst_port) = sample_header(&mut rng);
                let p = Packet {
                    src: src_addr,
                    dst: addr,
                    protocol,
                    src_port,
                    dst_port,
                };
                let q = Pkt {
                    src: src_addr,
                    dst: addr,
                    proto: protocol,
                    sport: src_port,
                    dport: dst_port,
                };
                let (e, o) = (out.contains(&p), oracle.delivered(End::Eni(src), end, q));
                if e != o {
                    return Err(format!(
                        "seed {seed}: {} -> {ep:?} packet {p}: engine {e}, oracle {o}",
                        src.meta.id
                    ));
                }
                checked += 1;
                positives += usize::from(e);
            }
        }
    }
    Ok((checked, positives))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_oracle_on_random_networks(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let model = generate::network(&mut rng).map_err(|e| TestCaseError::fail(format!("generator made an invalid model: {e}")))?;
        check_network(seed, &model).map_err(TestCaseError::fail)?;
    }
}

/// The sampled packets must include many deliveries, or agreement means little.
#[test]
fn sampled_packets_are_a_mix_of_delivered_and_dropped() {
    let (mut checked, mut positives, mut pairs, mut open_pairs) = (0, 0, 0, 0);
    for seed in 0..200u64 {
        let mut rng = Rng::new(seed);
        let Ok(model) = generate::network(&mut rng) else {
            panic!("seed {seed}: invalid model")
        };
        let (c, p) = check_network(seed, &model).unwrap_or_else(|e| panic!("{e}"));
        checked += c;
        positives += p;
        let engine = Engine::new(&model);
        for s in model.enis() {
            for d in model.enis() {
                pairs += 1;
                let r = engine.reach(
                    &Endpoint::Eni(s.meta.id.clone()),
                    &Endpoint::Eni(d.meta.id.clone()),
                    &PacketSet::all(),
                );
                open_pairs += usize::from(!r.is_empty());
            }
        }
    }
    eprintln!(
        "{positives} of {checked} sampled packets delivered; {open_pairs} of {pairs} ENI pairs open"
    );
    assert!(
        positives * 20 > checked && positives > 1000,
        "only {positives} of {checked} sampled packets delivered"
    );
    assert!(
        open_pairs * 10 > pairs,
        "only {open_pairs} of {pairs} pairs deliver anything"
    );
    assert!(
        open_pairs * 10 < pairs * 9,
        "{open_pairs} of {pairs} pairs deliver: networks too open"
    );
}

/// Class-level answers (members' addresses as sets, NAT translation per class)
/// equal the per-interface ones, member pair by member pair.
#[test]
fn class_matrix_matches_pairwise_reach() {
    use netpolicy_core::packet::IntervalSet;
    for seed in 0..60u64 {
        let mut rng = Rng::new(seed);
        let Ok(model) = generate::network(&mut rng) else {
            panic!("seed {seed}: invalid model")
        };
        let engine = Engine::new(&model);
        let matrix = engine.class_matrix(&PacketSet::all());
        let class_of = |id: &str| {
            engine
                .classes()
                .iter()
                .find(|c| c.enis.iter().any(|e| e == id))
                .map(|c| c.id)
        };
        for s in model.enis() {
            for d in model.enis() {
                let single = engine
                    .reach(
                        &Endpoint::Eni(s.meta.id.clone()),
                        &Endpoint::Eni(d.meta.id.clone()),
                        &PacketSet::all(),
                    )
                    .flows
                    .iter()
                    .filter(|f| !matches!(f.kind, PathKind::LoadBalancer { .. }))
                    .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets));
                let addrs = |ips: Vec<Ipv4Addr>| {
                    IntervalSet::from_ranges(
                        ips.into_iter().map(|ip| (u32::from(ip), u32::from(ip))),
                    )
                };
                let from_matrix = matrix
                    .iter()
                    .find(|p| {
                        Some(p.src) == class_of(&s.meta.id) && Some(p.dst) == class_of(&d.meta.id)
                    })
                    .map(|p| {
                        p.packets
                            .restrict(Dim::SrcAddr, &addrs(s.private_ips.clone()))
                            .restrict(Dim::DstAddr, &addrs(addresses(d)))
                    })
                    .unwrap_or_default();
                assert!(
                    from_matrix.same_as(&single),
                    "seed {seed}: {} -> {}",
                    s.meta.id,
                    d.meta.id
                );
            }
        }
    }
}
