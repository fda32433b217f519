//! Turning rule fields into packet sets: the one place where a protocol, port
//! range or CIDR becomes a set of headers.

use crate::model::{PortMatch, Protocol, TrafficMatch};
use crate::packet::{Cube, Dim, ICMP, IntervalSet, PacketSet};
use ipnet::Ipv4Net;

/// The addresses of a prefix.
pub fn cidr_set(net: &Ipv4Net) -> IntervalSet {
    IntervalSet::range(u32::from(net.network()), u32::from(net.broadcast()))
}

/// Every packet (any addresses) that a protocol/port match covers.
pub fn traffic_packets(traffic: &TrafficMatch) -> PacketSet {
    let protocols = match traffic.protocol {
        Protocol::All => Dim::Protocol.full(),
        Protocol::Tcp => IntervalSet::single(6),
        Protocol::Udp => IntervalSet::single(17),
        Protocol::Icmp => IntervalSet::single(u32::from(ICMP)),
        Protocol::Number(n) => IntervalSet::single(u32::from(n)),
    };
    match traffic.ports {
        PortMatch::Any => {
            PacketSet::for_protocols(&protocols, &Dim::SrcPort.full(), &Dim::DstPort.full())
        }
        PortMatch::Range { first, last } => PacketSet::for_protocols(
            &protocols,
            &Dim::SrcPort.full(),
            &IntervalSet::range(u32::from(first), u32::from(last)),
        ),
        PortMatch::Icmp {
            icmp_type,
            icmp_code,
        } => {
            let byte = |v: Option<u8>| {
                v.map_or(IntervalSet::range(0, 255), |v| {
                    IntervalSet::single(u32::from(v))
                })
            };
            PacketSet::from_cube(
                Cube::full()
                    .with(
                        Dim::Protocol,
                        protocols.intersect(&IntervalSet::single(u32::from(ICMP))),
                    )
                    .with(Dim::DstPort, byte(icmp_type))
                    .with(Dim::SrcPort, byte(icmp_code)),
            )
        }
    }
}

/// The public IPv4 space as docs/semantics.md, "Endpoints" defines `internet`: everything but private,
/// shared, loopback, link-local, multicast, reserved and "this network" ranges.
pub fn public_space() -> IntervalSet {
    let reserved = [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    ];
    let reserved = IntervalSet::from_ranges(
        reserved
            .iter()
            .filter_map(|c| c.parse::<Ipv4Net>().ok())
            .map(|n| (u32::from(n.network()), u32::from(n.broadcast()))),
    );
    Dim::SrcAddr.full().difference(&reserved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Packet;
    use std::net::Ipv4Addr;

    fn pkt(protocol: u8, src_port: u16, dst_port: u16) -> Packet {
        Packet {
            src: Ipv4Addr::new(1, 2, 3, 4),
            dst: Ipv4Addr::new(10, 0, 0, 1),
            protocol,
            src_port,
            dst_port,
        }
    }

    #[test]
    fn icmp_type_and_code_map_to_port_dimensions() {
        let echo = TrafficMatch {
            protocol: Protocol::Icmp,
            ports: PortMatch::Icmp {
                icmp_type: Some(8),
                icmp_code: None,
            },
        };
        let set = traffic_packets(&echo);
        assert!(set.contains(&pkt(1, 0, 8)));
        assert!(!set.contains(&pkt(1, 0, 0)));
        assert!(!set.contains(&pkt(6, 0, 8)));
    }

    #[test]
    fn tcp_range_leaves_source_port_free() {
        let set = traffic_packets(&TrafficMatch::tcp(80, 80));
        assert!(set.contains(&pkt(6, 55555, 80)));
        assert!(!set.contains(&pkt(6, 55555, 81)));
        assert!(!set.contains(&pkt(17, 55555, 80)));
    }

    #[test]
    fn public_space_excludes_private_ranges() {
        let p = public_space();
        assert!(p.contains(u32::from(Ipv4Addr::new(8, 8, 8, 8))));
        assert!(!p.contains(u32::from(Ipv4Addr::new(10, 1, 2, 3))));
        assert!(!p.contains(u32::from(Ipv4Addr::new(192, 168, 0, 1))));
        assert!(p.contains(u32::from(Ipv4Addr::new(172, 32, 0, 1))));
    }
}
