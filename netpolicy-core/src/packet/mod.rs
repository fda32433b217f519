//! The packet-set algebra: exact sets of IPv4 packet headers.
//!
//! A packet is `(source address, destination address, protocol, source port,
//! destination port)`. A [`PacketSet`] is a union of disjoint [`Cube`]s, each the
//! product of one [`IntervalSet`] per dimension. Nothing here knows about AWS: the
//! engine builds sets from rules and combines them with union, intersection and
//! difference, and never enumerates ports or addresses.
//!
//! Protocols without ports are encoded with both ports 0. ICMP carries its type in
//! the destination-port dimension and its code in the source-port dimension, so an
//! SG rule's ICMP type/code range is one cube like any port range.

mod interval;

pub use interval::IntervalSet;

use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::net::Ipv4Addr;

/// IP protocol number of ICMP.
pub const ICMP: u8 = 1;
/// IP protocol number of TCP.
pub const TCP: u8 = 6;
/// IP protocol number of UDP.
pub const UDP: u8 = 17;

/// The ports a client picks for its side of a connection when a query does not fix it.
pub const EPHEMERAL_PORTS: (u16, u16) = (1024, 65535);

/// One dimension of a packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    /// Source IPv4 address.
    SrcAddr = 0,
    /// Destination IPv4 address.
    DstAddr = 1,
    /// IP protocol number.
    Protocol = 2,
    /// Source port (ICMP: code).
    SrcPort = 3,
    /// Destination port (ICMP: type).
    DstPort = 4,
}

const DIMS: [Dim; 5] = [
    Dim::SrcAddr,
    Dim::DstAddr,
    Dim::Protocol,
    Dim::SrcPort,
    Dim::DstPort,
];

impl Dim {
    /// The largest value the dimension can hold.
    pub fn max(self) -> u32 {
        match self {
            Dim::SrcAddr | Dim::DstAddr => u32::MAX,
            Dim::Protocol => 255,
            Dim::SrcPort | Dim::DstPort => 65535,
        }
    }

    /// Every value of the dimension.
    pub fn full(self) -> IntervalSet {
        IntervalSet::range(0, self.max())
    }
}

/// One concrete packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Packet {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// IP protocol number.
    pub protocol: u8,
    /// Source port (ICMP: code; other protocols without ports: 0).
    pub src_port: u16,
    /// Destination port (ICMP: type; other protocols without ports: 0).
    pub dst_port: u16,
}

impl Packet {
    fn value(&self, dim: Dim) -> u32 {
        match dim {
            Dim::SrcAddr => u32::from(self.src),
            Dim::DstAddr => u32::from(self.dst),
            Dim::Protocol => u32::from(self.protocol),
            Dim::SrcPort => u32::from(self.src_port),
            Dim::DstPort => u32::from(self.dst_port),
        }
    }
}

/// ICMP request types and the reply type that answers each: echo, timestamp,
/// information, address mask. Every other ICMP type expects no reply.
pub const ICMP_REQUESTS: [(u32, u32); 4] = [(8, 0), (13, 14), (15, 16), (17, 18)];

impl Packet {
    /// Whether a reply must come back for the packet to count as reached:
    /// everything but ICMP messages that are not requests.
    pub fn expects_reply(&self) -> bool {
        self.protocol != ICMP
            || ICMP_REQUESTS
                .iter()
                .any(|(q, _)| *q == u32::from(self.dst_port))
    }

    /// The reply a stateless hop sees: addresses swapped, TCP/UDP ports swapped,
    /// ICMP requests answered by their reply type (see [`PacketSet::return_preimage`]).
    pub fn reply(&self) -> Packet {
        let swapped = Packet {
            src: self.dst,
            dst: self.src,
            ..*self
        };
        match self.protocol {
            TCP | UDP => Packet {
                src_port: self.dst_port,
                dst_port: self.src_port,
                ..swapped
            },
            ICMP => Packet {
                dst_port: ICMP_REQUESTS
                    .iter()
                    .find(|(q, _)| u32::from(self.dst_port) == *q)
                    .and_then(|(_, r)| u16::try_from(*r).ok())
                    .unwrap_or(self.dst_port),
                ..swapped
            },
            _ => swapped,
        }
    }
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.protocol {
            TCP | UDP => write!(
                f,
                "{} {}:{} -> {}:{}",
                protocol_name(self.protocol),
                self.src,
                self.src_port,
                self.dst,
                self.dst_port
            ),
            ICMP => write!(
                f,
                "icmp {} -> {} type {} code {}",
                self.src, self.dst, self.dst_port, self.src_port
            ),
            p => write!(f, "proto {p} {} -> {}", self.src, self.dst),
        }
    }
}

/// The usual name of a protocol number (`tcp`, `udp`, `icmp`), else the number.
pub fn protocol_name(protocol: u8) -> String {
    match protocol {
        TCP => "tcp".into(),
        UDP => "udp".into(),
        ICMP => "icmp".into(),
        p => p.to_string(),
    }
}

/// A packet written as its `Display` gives it (`tcp 10.0.0.5:40000 ->
/// 10.0.1.9:443`, `icmp 1.2.3.4 -> 10.0.0.5 type 8 code 0`, `proto 50 A -> B`)
/// that does not read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a packet: expected e.g. `tcp 10.0.0.5:40000 -> 10.0.1.9:443`")]
pub struct PacketParseError(pub String);

impl std::str::FromStr for Packet {
    type Err = PacketParseError;

    fn from_str(text: &str) -> Result<Packet, PacketParseError> {
        parse_packet(text).ok_or_else(|| PacketParseError(text.to_string()))
    }
}

fn parse_packet(text: &str) -> Option<Packet> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let endpoint = |w: &str| -> Option<(Ipv4Addr, u16)> {
        let (ip, port) = w.split_once(':')?;
        Some((ip.parse().ok()?, port.parse().ok()?))
    };
    match words.as_slice() {
        [proto @ ("tcp" | "udp"), src, "->", dst] => {
            let ((src, src_port), (dst, dst_port)) = (endpoint(src)?, endpoint(dst)?);
            let protocol = if *proto == "tcp" { TCP } else { UDP };
            Some(Packet {
                src,
                dst,
                protocol,
                src_port,
                dst_port,
            })
        }
        ["icmp", src, "->", dst, "type", kind, "code", code] => Some(Packet {
            src: src.parse().ok()?,
            dst: dst.parse().ok()?,
            protocol: ICMP,
            src_port: code.parse::<u8>().ok()?.into(),
            dst_port: kind.parse::<u8>().ok()?.into(),
        }),
        ["proto", number, src, "->", dst] => Some(Packet {
            src: src.parse().ok()?,
            dst: dst.parse().ok()?,
            protocol: number.parse().ok()?,
            src_port: 0,
            dst_port: 0,
        }),
        _ => None,
    }
}

/// A product of one interval set per dimension.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cube {
    dims: [IntervalSet; 5],
}

impl Cube {
    /// Every header, ports included for every protocol (not all of them are real
    /// packets: see [`PacketSet::all`]).
    pub fn full() -> Self {
        Cube {
            dims: DIMS.map(Dim::full),
        }
    }

    /// The values of one dimension.
    pub fn get(&self, dim: Dim) -> &IntervalSet {
        &self.dims[dim as usize]
    }

    /// The same cube with one dimension replaced.
    pub fn with(mut self, dim: Dim, values: IntervalSet) -> Self {
        self.dims[dim as usize] = values;
        self
    }

    fn is_empty(&self) -> bool {
        self.dims.iter().any(IntervalSet::is_empty)
    }

    fn intersect(&self, other: &Cube) -> Option<Cube> {
        // Most cube pairs of two sets are disjoint: find out without allocating.
        if !self.intersects(other) {
            return None;
        }
        let dims = std::array::from_fn(|d| self.dims[d].intersect(&other.dims[d]));
        Some(Cube { dims })
    }

    fn intersects(&self, other: &Cube) -> bool {
        self.dims
            .iter()
            .zip(other.dims.iter())
            .all(|(a, b)| a.intersects(b))
    }

    /// `self \ other` as at most five disjoint cubes: piece `i` agrees with
    /// `other` on the dimensions before `i` and lies outside it on dimension `i`.
    fn subtract(&self, other: &Cube, out: &mut Vec<Cube>) {
        if !self.intersects(other) {
            out.push(self.clone());
            return;
        }
        let mut prefix = self.clone();
        for dim in DIMS {
            let d = dim as usize;
            let outside = prefix.dims[d].difference(&other.dims[d]);
            if !outside.is_empty() {
                out.push(prefix.clone().with(dim, outside));
            }
            prefix.dims[d] = prefix.dims[d].intersect(&other.dims[d]);
        }
    }

    fn contains(&self, packet: &Packet) -> bool {
        DIMS.iter().all(|d| self.get(*d).contains(packet.value(*d)))
    }

    fn witness(&self) -> Option<Packet> {
        let v = |d: Dim| self.get(d).first();
        Some(Packet {
            src: Ipv4Addr::from(v(Dim::SrcAddr)?),
            dst: Ipv4Addr::from(v(Dim::DstAddr)?),
            protocol: u8::try_from(v(Dim::Protocol)?).ok()?,
            src_port: u16::try_from(v(Dim::SrcPort)?).ok()?,
            dst_port: u16::try_from(v(Dim::DstPort)?).ok()?,
        })
    }
}

impl fmt::Debug for Cube {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "src{:?} dst{:?} proto{:?} sport{:?} dport{:?}",
            self.dims[0], self.dims[1], self.dims[2], self.dims[3], self.dims[4]
        )
    }
}

/// A set of packet headers: a union of disjoint cubes.
///
/// The cube list is not canonical: compare sets with [`PacketSet::same_as`].
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct PacketSet {
    cubes: Vec<Cube>,
}

impl PacketSet {
    /// The empty set.
    pub fn empty() -> Self {
        PacketSet { cubes: Vec::new() }
    }

    /// Every real packet: TCP and UDP with any ports, ICMP with any type and code,
    /// every other protocol with ports 0.
    pub fn all() -> Self {
        Self::for_protocols(
            &Dim::Protocol.full(),
            &Dim::SrcPort.full(),
            &Dim::DstPort.full(),
        )
    }

    /// Every packet a client sends to open a connection, as docs/semantics.md
    /// defines "reached": TCP and UDP from an ephemeral source port
    /// ([`EPHEMERAL_PORTS`]), ICMP and other protocols as in [`PacketSet::all`].
    /// A client that binds a privileged source port (`nmap -g 80`) is outside
    /// this set on purpose: [`PacketSet::with_any_source_port`] asks for it.
    pub fn client_traffic() -> Self {
        let (first, last) = EPHEMERAL_PORTS;
        Self::for_protocols(
            &Dim::Protocol.full(),
            &IntervalSet::range(u32::from(first), u32::from(last)),
            &Dim::DstPort.full(),
        )
    }

    /// ICMP messages that expect no reply: every type but the four requests that
    /// have one (echo 8, timestamp 13, information 15, address mask 17). Such a
    /// message is reached when it is delivered; no return hop applies to it.
    pub fn without_reply() -> Self {
        let requests = IntervalSet::from_ranges(ICMP_REQUESTS.iter().map(|(q, _)| (*q, *q)));
        Self::from_cube(
            Cube::full()
                .with(Dim::Protocol, IntervalSet::single(u32::from(ICMP)))
                .with(Dim::SrcPort, IntervalSet::range(0, 255))
                .with(
                    Dim::DstPort,
                    IntervalSet::range(0, 255).difference(&requests),
                ),
        )
    }

    /// The set with the TCP and UDP source port left free: what a client that
    /// may choose any source port sends.
    pub fn with_any_source_port(&self) -> PacketSet {
        let ported = IntervalSet::from_ranges([
            (u32::from(TCP), u32::from(TCP)),
            (u32::from(UDP), u32::from(UDP)),
        ]);
        let widened = self
            .cubes
            .iter()
            .map(|c| {
                let p = c.get(Dim::Protocol).intersect(&ported);
                c.clone()
                    .with(Dim::Protocol, p)
                    .with(Dim::SrcPort, Dim::SrcPort.full())
            })
            .filter(|c| !c.is_empty())
            .fold(PacketSet::empty(), |acc, c| {
                acc.union(&PacketSet::from_cube(c))
            });
        self.union(&widened)
    }

    /// Packets of `protocols`; TCP/UDP packets take `src_ports`/`dst_ports`, ICMP any
    /// type and code, others ports 0.
    pub fn for_protocols(
        protocols: &IntervalSet,
        src_ports: &IntervalSet,
        dst_ports: &IntervalSet,
    ) -> Self {
        let ported = protocols.intersect(&IntervalSet::from_ranges([
            (u32::from(TCP), u32::from(TCP)),
            (u32::from(UDP), u32::from(UDP)),
        ]));
        let icmp = protocols.intersect(&IntervalSet::single(u32::from(ICMP)));
        let portless = protocols.difference(&ported).difference(&icmp);
        let byte = IntervalSet::range(0, 255);
        let zero = IntervalSet::single(0);
        Self::from_cubes([
            Cube::full()
                .with(Dim::Protocol, ported)
                .with(Dim::SrcPort, src_ports.clone())
                .with(Dim::DstPort, dst_ports.clone()),
            Cube::full()
                .with(Dim::Protocol, icmp)
                .with(Dim::SrcPort, byte.clone())
                .with(Dim::DstPort, byte),
            Cube::full()
                .with(Dim::Protocol, portless)
                .with(Dim::SrcPort, zero.clone())
                .with(Dim::DstPort, zero),
        ])
    }

    /// A set from cubes the caller knows to be pairwise disjoint.
    fn from_cubes(cubes: impl IntoIterator<Item = Cube>) -> Self {
        PacketSet {
            cubes: cubes.into_iter().filter(|c| !c.is_empty()).collect(),
        }
    }

    /// A set of one cube.
    pub fn from_cube(cube: Cube) -> Self {
        Self::from_cubes([cube])
    }

    /// The set holding exactly one packet.
    pub fn single(packet: &Packet) -> Self {
        Self::from_cube(Cube {
            dims: DIMS.map(|d| IntervalSet::single(packet.value(d))),
        })
    }

    /// The set with `dim` left open: every packet that differs from one of the
    /// set's only in that dimension (comparing what two networks let through
    /// when their addresses differ).
    pub fn forget(&self, dim: Dim) -> PacketSet {
        self.cubes.iter().fold(PacketSet::empty(), |acc, c| {
            acc.union(&PacketSet::from_cube(c.clone().with(dim, dim.full())))
        })
    }

    /// The cubes, pairwise disjoint.
    pub fn cubes(&self) -> &[Cube] {
        &self.cubes
    }

    /// Whether the set holds no packet.
    pub fn is_empty(&self) -> bool {
        self.cubes.is_empty()
    }

    /// Whether `packet` is in the set.
    pub fn contains(&self, packet: &Packet) -> bool {
        self.cubes.iter().any(|c| c.contains(packet))
    }

    /// One packet of the set (the smallest corner of its first cube), if any.
    pub fn witness(&self) -> Option<Packet> {
        self.cubes.iter().find_map(Cube::witness)
    }

    /// Every packet in either set.
    pub fn union(&self, other: &PacketSet) -> PacketSet {
        let mut cubes = self.cubes.clone();
        cubes.extend(other.difference(self).cubes);
        PacketSet { cubes }.compacted()
    }

    /// Every packet in both sets.
    pub fn intersect(&self, other: &PacketSet) -> PacketSet {
        let cubes = self
            .cubes
            .iter()
            .flat_map(|a| other.cubes.iter().filter_map(move |b| a.intersect(b)))
            .collect();
        PacketSet { cubes }.compacted()
    }

    /// Every packet of `self` that is not in `other`.
    pub fn difference(&self, other: &PacketSet) -> PacketSet {
        let mut current = self.cubes.clone();
        for b in &other.cubes {
            let mut next = Vec::with_capacity(current.len());
            for a in &current {
                a.subtract(b, &mut next);
            }
            current = next;
            if current.is_empty() {
                break;
            }
        }
        PacketSet { cubes: current }.compacted()
    }

    /// Every packet in exactly one of the two sets.
    pub fn symmetric_difference(&self, other: &PacketSet) -> PacketSet {
        self.difference(other).union(&other.difference(self))
    }

    /// Whether the two sets share a packet.
    pub fn intersects(&self, other: &PacketSet) -> bool {
        self.cubes
            .iter()
            .any(|a| other.cubes.iter().any(|b| a.intersects(b)))
    }

    /// Whether every packet of `self` is in `other`.
    pub fn is_subset(&self, other: &PacketSet) -> bool {
        self.difference(other).is_empty()
    }

    /// Set equality (the cube lists may differ).
    pub fn same_as(&self, other: &PacketSet) -> bool {
        self.is_subset(other) && other.is_subset(self)
    }

    /// Whether every cube leaves `dim` free, so that with any packet the set
    /// holds every packet that differs from it only in `dim`. A set cut along
    /// `dim` into pieces that happen to cover it answers false.
    pub fn is_free(&self, dim: Dim) -> bool {
        let full = dim.full();
        self.cubes.iter().all(|c| *c.get(dim) == full)
    }

    /// The packets whose `dim` lies in `values`.
    pub fn restrict(&self, dim: Dim, values: &IntervalSet) -> PacketSet {
        let cubes = self
            .cubes
            .iter()
            .filter_map(|c| {
                let v = c.get(dim).intersect(values);
                (!v.is_empty()).then(|| c.clone().with(dim, v))
            })
            .collect();
        PacketSet { cubes }
    }

    /// The image of the set under a hop that rewrites `dim` to `value` (the
    /// translation itself, where [`PacketSet::preimage_of_rewrite`] is its inverse).
    pub fn with_value(&self, dim: Dim, value: u32) -> PacketSet {
        let single = IntervalSet::single(value);
        self.cubes.iter().fold(PacketSet::empty(), |acc, c| {
            acc.union(&PacketSet::from_cube(c.clone().with(dim, single.clone())))
        })
    }

    /// The destination ports (ICMP: types) the set reaches, per protocol, sorted by
    /// protocol number.
    pub fn services(&self) -> Vec<(u8, IntervalSet)> {
        let mut by_protocol: std::collections::BTreeMap<u8, Vec<(u32, u32)>> = Default::default();
        for c in &self.cubes {
            for &(first, last) in c.get(Dim::Protocol).ranges() {
                for p in first..=last.min(255) {
                    let entry = by_protocol
                        .entry(u8::try_from(p).unwrap_or(u8::MAX))
                        .or_default();
                    entry.extend(c.get(Dim::DstPort).ranges().iter().copied());
                }
            }
        }
        by_protocol
            .into_iter()
            .map(|(p, r)| (p, IntervalSet::from_ranges(r)))
            .collect()
    }

    /// A one-line summary such as `tcp/22, tcp/80-81, icmp type 8`; other
    /// protocols are counted rather than listed when there are many.
    pub fn service_summary(&self) -> String {
        let services = self.services();
        let mut parts = Vec::new();
        let mut others = Vec::new();
        for (protocol, ports) in &services {
            let list = |ports: &IntervalSet| {
                ports
                    .ranges()
                    .iter()
                    .map(|(a, b)| {
                        if a == b {
                            a.to_string()
                        } else {
                            format!("{a}-{b}")
                        }
                    })
                    .collect::<Vec<_>>()
            };
            match *protocol {
                TCP | UDP => {
                    let name = protocol_name(*protocol);
                    if ports.len() == 65536 {
                        parts.push(format!("{name}/all"));
                    } else {
                        parts.extend(list(ports).into_iter().map(|p| format!("{name}/{p}")));
                    }
                }
                ICMP if ports.len() == 256 => parts.push("icmp".into()),
                ICMP => parts.extend(list(ports).into_iter().map(|t| format!("icmp type {t}"))),
                p => others.push(p),
            }
        }
        match others.as_slice() {
            [] => {}
            [a] => parts.push(format!("proto {a}")),
            many if many.len() <= 3 => parts.extend(many.iter().map(|p| format!("proto {p}"))),
            many => parts.push(format!("{} other protocols", many.len())),
        }
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }

    /// Every value `dim` takes over the set.
    pub fn project(&self, dim: Dim) -> IntervalSet {
        IntervalSet::from_ranges(
            self.cubes
                .iter()
                .flat_map(|c| c.get(dim).ranges().iter().copied()),
        )
    }

    /// `{p | p with dim := value is in self}`: what a hop that rewrites `dim` to
    /// `value` (NAT, an internet gateway) lets through, seen from before the rewrite.
    pub fn preimage_of_rewrite(&self, dim: Dim, value: u32) -> PacketSet {
        let full = dim.full();
        let cubes = self
            .cubes
            .iter()
            .filter(|c| c.get(dim).contains(value))
            .map(|c| c.clone().with(dim, full.clone()))
            .collect::<Vec<_>>();
        // Cubes that were disjoint only on `dim` now overlap: rebuild as a union.
        cubes.into_iter().fold(PacketSet::empty(), |acc, c| {
            acc.union(&PacketSet::from_cube(c))
        })
    }

    /// The forward packets whose return packet lies in `self` (a set of return
    /// packets): addresses swap, TCP/UDP ports swap, ICMP requests map to their
    /// replies (echo 8 -> 0, timestamp 13 -> 14, information 15 -> 16, address mask
    /// 17 -> 18; other types return as themselves), other protocols keep ports 0.
    pub fn return_preimage(&self) -> PacketSet {
        let ported = IntervalSet::from_ranges([
            (u32::from(TCP), u32::from(TCP)),
            (u32::from(UDP), u32::from(UDP)),
        ]);
        let icmp = IntervalSet::single(u32::from(ICMP));
        let mut cubes = Vec::new();
        for c in &self.cubes {
            let swapped = c
                .clone()
                .with(Dim::SrcAddr, c.get(Dim::DstAddr).clone())
                .with(Dim::DstAddr, c.get(Dim::SrcAddr).clone());
            let protos = c.get(Dim::Protocol);
            let p = protos.intersect(&ported);
            cubes.push(
                swapped
                    .clone()
                    .with(Dim::Protocol, p)
                    .with(Dim::SrcPort, c.get(Dim::DstPort).clone())
                    .with(Dim::DstPort, c.get(Dim::SrcPort).clone()),
            );
            let i = protos.intersect(&icmp);
            cubes.push(
                swapped
                    .clone()
                    .with(Dim::Protocol, i)
                    .with(Dim::DstPort, icmp_request_types(c.get(Dim::DstPort))),
            );
            cubes.push(swapped.with(Dim::Protocol, protos.difference(&ported).difference(&icmp)));
        }
        PacketSet::from_cubes(cubes).compacted()
    }

    /// Merges cubes that differ in one dimension only; keeps sets small after the
    /// fragmenting operations (difference splits a cube into up to five).
    fn compacted(mut self) -> PacketSet {
        if self.cubes.len() < 2 {
            return self;
        }
        for d in 0..DIMS.len() {
            if self.cubes.len() <= SMALL {
                self.cubes = merge_small(self.cubes, d);
                continue;
            }
            // Cubes are grouped by a hash of their other four dimensions, then
            // compared exactly: no key is cloned, and the hash is a cheap one.
            let mut groups: HashMap<u64, Vec<usize>, FastHash> = HashMap::default();
            let mut merged: Vec<Cube> = Vec::with_capacity(self.cubes.len());
            for cube in self.cubes {
                let key = others_hash(&cube, d);
                let slot = groups.entry(key).or_default();
                let same = slot
                    .iter()
                    .copied()
                    .find(|&i| merged.get(i).is_some_and(|m| same_others(m, &cube, d)));
                match same.and_then(|i| merged.get_mut(i)) {
                    Some(existing) => {
                        existing.dims[d] = existing.dims[d].union(&cube.dims[d]);
                    }
                    None => {
                        slot.push(merged.len());
                        merged.push(cube);
                    }
                }
            }
            self.cubes = merged;
        }
        self
    }
}

/// Up to this many cubes, compaction compares every pair: cheaper than
/// building a hash map, and most sets on a path are this small.
const SMALL: usize = 8;

/// [`PacketSet::compacted`]'s merge along dimension `d`, by pairwise comparison.
fn merge_small(cubes: Vec<Cube>, d: usize) -> Vec<Cube> {
    let mut merged: Vec<Cube> = Vec::with_capacity(cubes.len());
    for cube in cubes {
        match merged.iter_mut().find(|m| same_others(m, &cube, d)) {
            Some(existing) => existing.dims[d] = existing.dims[d].union(&cube.dims[d]),
            None => merged.push(cube),
        }
    }
    merged
}

fn same_others(a: &Cube, b: &Cube, skip: usize) -> bool {
    (0..a.dims.len()).all(|i| i == skip || a.dims[i] == b.dims[i])
}

fn others_hash(cube: &Cube, skip: usize) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    for (i, dim) in cube.dims.iter().enumerate() {
        if i == skip {
            continue;
        }
        h = (h ^ 0xff).wrapping_mul(0x0100_0000_01b3);
        for &(a, b) in dim.ranges() {
            h = (h.rotate_left(5) ^ (u64::from(a) << 32 | u64::from(b)))
                .wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    h
}

/// The map's keys are already well-mixed hashes: pass them through.
#[derive(Default, Clone, Copy)]
struct FastHash;

impl std::hash::BuildHasher for FastHash {
    type Hasher = PassThrough;
    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// ICMP request types whose reply type lies in `replies` (see
/// [`PacketSet::return_preimage`]).
fn icmp_request_types(replies: &IntervalSet) -> IntervalSet {
    let pairs = ICMP_REQUESTS;
    let requests = IntervalSet::from_ranges(pairs.iter().map(|(q, _)| (*q, *q)));
    let mut out = replies.difference(&requests);
    for (request, reply) in pairs {
        if replies.contains(reply) {
            out = out.union(&IntervalSet::single(request));
        }
    }
    out
}

impl fmt::Debug for PacketSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.cubes.iter()).finish()
    }
}

#[cfg(test)]
mod tests;
