//! Property tests: the algebra against a naive set of enumerated packets.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// A tiny universe of packets, small enough to enumerate.
const ADDRS: u32 = 4;
const PORTS: u32 = 5;
const PROTOS: [u8; 4] = [ICMP, TCP, UDP, 47];

fn universe() -> Vec<Packet> {
    let mut out = Vec::new();
    for s in 0..ADDRS {
        for d in 0..ADDRS {
            for p in PROTOS {
                for sp in 0..PORTS {
                    for dp in 0..PORTS {
                        out.push(Packet {
                            src: Ipv4Addr::from(s),
                            dst: Ipv4Addr::from(d),
                            protocol: p,
                            src_port: sp as u16,
                            dst_port: dp as u16,
                        });
                    }
                }
            }
        }
    }
    out
}

fn naive(set: &PacketSet) -> BTreeSet<Packet> {
    universe().into_iter().filter(|p| set.contains(p)).collect()
}

fn arb_interval(max: u32) -> impl Strategy<Value = IntervalSet> {
    prop::collection::vec((0..max, 0..max), 1..3)
        .prop_map(|v| IntervalSet::from_ranges(v.into_iter().map(|(a, b)| (a.min(b), a.max(b)))))
}

fn arb_cube() -> impl Strategy<Value = Cube> {
    (
        arb_interval(ADDRS),
        arb_interval(ADDRS),
        prop::sample::subsequence(PROTOS.to_vec(), 1..4),
        arb_interval(PORTS),
        arb_interval(PORTS),
    )
        .prop_map(|(s, d, p, sp, dp)| Cube {
            dims: [
                s,
                d,
                IntervalSet::from_ranges(p.into_iter().map(|x| (u32::from(x), u32::from(x)))),
                sp,
                dp,
            ],
        })
}

fn arb_set() -> impl Strategy<Value = PacketSet> {
    prop::collection::vec(arb_cube(), 0..4).prop_map(|cubes| {
        cubes.into_iter().fold(PacketSet::empty(), |acc, c| {
            acc.union(&PacketSet::from_cube(c))
        })
    })
}

fn cubes_are_disjoint(set: &PacketSet) -> bool {
    let c = set.cubes();
    c.iter()
        .enumerate()
        .all(|(i, a)| c.iter().skip(i + 1).all(|b| !a.intersects(b)))
}

fn return_of(p: &Packet) -> Packet {
    let reply_type = |t: u16| match t {
        8 => 0,
        13 => 14,
        15 => 16,
        17 => 18,
        t => t,
    };
    match p.protocol {
        TCP | UDP => Packet {
            src: p.dst,
            dst: p.src,
            protocol: p.protocol,
            src_port: p.dst_port,
            dst_port: p.src_port,
        },
        ICMP => Packet {
            src: p.dst,
            dst: p.src,
            dst_port: reply_type(p.dst_port),
            ..*p
        },
        _ => Packet {
            src: p.dst,
            dst: p.src,
            ..*p
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn set_laws_match_naive(a in arb_set(), b in arb_set()) {
        let (na, nb) = (naive(&a), naive(&b));
        let u = a.union(&b);
        let i = a.intersect(&b);
        let d = a.difference(&b);
        let x = a.symmetric_difference(&b);
        prop_assert_eq!(naive(&x), &na ^ &nb);
        prop_assert_eq!(naive(&u), &na | &nb);
        prop_assert_eq!(naive(&i), &na & &nb);
        prop_assert_eq!(naive(&d), &na - &nb);
        prop_assert!([&u, &i, &d, &x].into_iter().all(cubes_are_disjoint));
        prop_assert_eq!(a.is_empty(), na.is_empty());
        prop_assert_eq!(a.intersects(&b), !(&na & &nb).is_empty());
        prop_assert_eq!(a.is_subset(&b), na.is_subset(&nb));
        prop_assert_eq!(a.same_as(&b), na == nb);
        if let Some(w) = a.witness() {
            prop_assert!(na.contains(&w));
        }
    }

    #[test]
    fn forget_matches_naive(a in arb_set(), v in 0..ADDRS) {
        let open = a.forget(Dim::SrcAddr);
        for p in universe() {
            let moved = Packet { src: Ipv4Addr::from(v), ..p };
            // A packet is in the forgotten set exactly when some source address
            // puts it in the set; `moved` differs from `p` only there.
            let some = (0..ADDRS).any(|x| a.contains(&Packet { src: Ipv4Addr::from(x), ..p }));
            prop_assert_eq!(open.contains(&p), some, "{}", p);
            prop_assert_eq!(open.contains(&moved), some);
        }
    }

    #[test]
    fn rewrite_preimage_matches_naive(a in arb_set(), value in 0..ADDRS) {
        let pre = a.preimage_of_rewrite(Dim::SrcAddr, value);
        for p in universe() {
            let rewritten = Packet { src: Ipv4Addr::from(value), ..p };
            prop_assert_eq!(pre.contains(&p), a.contains(&rewritten), "{}", p);
        }
    }

    #[test]
    fn rewrite_image_matches_naive(a in arb_set(), value in 0..ADDRS) {
        let image = a.with_value(Dim::DstAddr, value);
        let expected: BTreeSet<Packet> = naive(&a)
            .into_iter()
            .map(|p| Packet { dst: Ipv4Addr::from(value), ..p })
            .collect();
        prop_assert_eq!(naive(&image), expected);
        prop_assert!(cubes_are_disjoint(&image));
    }

    #[test]
    fn return_preimage_matches_naive(a in arb_set()) {
        let pre = a.return_preimage();
        for p in universe() {
            prop_assert_eq!(pre.contains(&p), a.contains(&return_of(&p)), "{}", p);
            prop_assert_eq!(p.reply(), return_of(&p));
        }
    }
}

#[test]
fn all_holds_real_packets_only() {
    let all = PacketSet::all();
    let tcp = Packet {
        src: Ipv4Addr::new(10, 0, 0, 1),
        dst: Ipv4Addr::new(10, 0, 0, 2),
        protocol: TCP,
        src_port: 40000,
        dst_port: 443,
    };
    assert!(all.contains(&tcp));
    let gre_with_port = Packet {
        protocol: 47,
        ..tcp
    };
    assert!(!all.contains(&gre_with_port));
    assert!(all.contains(&Packet {
        src_port: 0,
        dst_port: 0,
        ..gre_with_port
    }));
    assert!(!all.contains(&Packet {
        protocol: ICMP,
        dst_port: 300,
        ..tcp
    }));
}

proptest! {
    /// Reports write packets as text and read them back (JSON reports
    /// deserialize): every witness of any set reads back as itself.
    #[test]
    fn packets_read_back_from_their_text(set in arb_set()) {
        if let Some(p) = set.witness() {
            let p = match p.protocol {
                TCP | UDP | ICMP => p,
                // Ports mean nothing for other protocols and are not written.
                _ => Packet { src_port: 0, dst_port: 0, ..p },
            };
            prop_assert_eq!(p.to_string().parse::<Packet>(), Ok(p));
        }
    }
}

#[test]
fn text_that_is_not_a_packet_is_an_error() {
    for bad in [
        "",
        "tcp",
        "tcp 1.2.3.4 -> 5.6.7.8",
        "icmp 1.2.3.4 -> 5.6.7.8 type 300 code 0",
        "tcp 1.2.3.4:70000 -> 5.6.7.8:1",
    ] {
        assert!(bad.parse::<Packet>().is_err(), "{bad}");
    }
}
