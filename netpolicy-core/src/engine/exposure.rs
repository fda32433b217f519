//! Internet exposure, interface by interface: which services the internet can
//! open, from which source prefixes, by which path and security-group rule;
//! and, apart, what opens only to a client that picks a privileged source port.

use super::path::HopKind;
use super::{Endpoint, Engine, PathKind, Reach};
use crate::packet::{Dim, ICMP, IntervalSet, PacketSet, TCP, UDP};
use foldhash::HashMap;
use ipnet::Ipv4Net;
use rayon::prelude::*;
use serde::{Serialize, Serializer};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, OnceLock};

/// One service an interface is open on, and from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Opening {
    /// The service as reports spell it (`tcp/22`, `udp/53`, `icmp type 8`).
    pub service: String,
    /// The internet sources that open it, as CIDR prefixes: `0.0.0.0/0` when
    /// every internet address does.
    pub sources: Sources,
    /// The client source ports it needs, when only chosen (privileged) ports
    /// open it; absent for ordinary exposure, which uses ephemeral ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ports: Option<String>,
    /// The path the first example packet takes.
    pub path: PathKind,
    /// The security-group rule that admits the example packet, as
    /// `object: rule`; absent when no group filters the interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// The internet sources of an opening. Openings with the same sources share
/// one set, and its CIDR prefixes are written out only when read: an
/// estate whose NACLs and rules cut the internet into thousands of pieces
/// lists them once per distinct set, not once per interface.
#[derive(Clone, Debug)]
pub struct Sources(Arc<SourceSet>);

#[derive(Debug)]
struct SourceSet {
    addresses: IntervalSet,
    whole_internet: bool,
    /// How many prefixes the cover has, counted on first request.
    count: OnceLock<usize>,
}

impl Sources {
    fn new(addresses: IntervalSet, whole_internet: bool) -> Sources {
        Sources(Arc::new(SourceSet {
            addresses,
            whole_internet,
            count: OnceLock::new(),
        }))
    }

    /// The source addresses.
    pub fn addresses(&self) -> &IntervalSet {
        &self.0.addresses
    }

    /// Whether every internet address is a source.
    pub fn is_whole_internet(&self) -> bool {
        self.0.whole_internet
    }

    /// The sources as the fewest CIDR prefixes, in address order;
    /// `0.0.0.0/0` alone when every internet address is a source.
    pub fn prefixes(&self) -> impl Iterator<Item = Ipv4Net> + '_ {
        let whole = self.is_whole_internet();
        let all = whole.then_some(Ipv4Net::default());
        let cover = (!whole).then(|| CidrCover::new(&self.0.addresses));
        all.into_iter().chain(cover.into_iter().flatten())
    }

    /// How many prefixes [`Sources::prefixes`] gives.
    pub fn len(&self) -> usize {
        *self.0.count.get_or_init(|| self.prefixes().count())
    }

    /// Whether there is no source (never, for an opening).
    pub fn is_empty(&self) -> bool {
        self.0.addresses.is_empty()
    }
}

impl PartialEq for Sources {
    fn eq(&self, other: &Sources) -> bool {
        self.0.whole_internet == other.0.whole_internet && self.0.addresses == other.0.addresses
    }
}

impl Eq for Sources {}

/// The prefixes as strings, written out one by one.
impl Serialize for Sources {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.prefixes().map(|p| p.to_string()))
    }
}

/// The source sets of one exposure run, one [`Sources`] per distinct set.
#[derive(Default)]
struct SourceSets(Mutex<HashMap<IntervalSet, Sources>>);

impl SourceSets {
    fn get(&self, addresses: IntervalSet, whole_internet: bool) -> Sources {
        let Ok(mut known) = self.0.lock() else {
            // A poisoned lock only means another thread panicked: share nothing.
            return Sources::new(addresses, whole_internet);
        };
        known
            .entry(addresses)
            .or_insert_with_key(|a| Sources::new(a.clone(), whole_internet))
            .clone()
    }
}

/// What the internet can open on one interface.
#[derive(Clone, Debug, Serialize)]
pub struct InterfaceExposure {
    /// The interface id.
    pub interface: String,
    /// The interface as reports name it (`name (id)`).
    pub label: String,
    /// Its public address, if it has one (load-balanced targets may not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<Ipv4Addr>,
    /// Services opened by clients from ephemeral source ports (1024-65535).
    pub open: Vec<Opening>,
    /// Services opened only from source ports a client must choose on purpose
    /// (below 1024, e.g. `nmap -g 80`): a NACL that allows replies to a
    /// service port lets such packets through. Never mixed with `open`.
    pub chosen_source_ports: Vec<Opening>,
    /// The parts the input does not fix that this answer rests on: for an
    /// exposed interface, parts modelled wider than they may be (it may not
    /// be exposed); for one with nothing open, parts modelled narrower,
    /// such as a route to a transit gateway (it may be). Empty: proven.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
    /// For an exposed interface, the parts modelled narrower than they may
    /// be that its exposure rests on (a route to a transit gateway, a skipped
    /// IPv6 rule): what is listed is open, and more may be. Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_may_open: Vec<String>,
}

impl InterfaceExposure {
    /// Whether nothing opens, from any source port.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.chosen_source_ports.is_empty()
    }
}

impl Engine<'_> {
    /// The exposure of every interface that the internet opens something on,
    /// or may (see [`InterfaceExposure::undecided`]), in model order;
    /// computed in parallel.
    pub fn exposure(&self) -> Vec<InterfaceExposure> {
        let sets = SourceSets::default();
        self.model
            .enis()
            .par_iter()
            .filter_map(|e| self.exposure_with(&e.meta.id, &sets))
            .filter(|x| !x.is_empty() || !x.undecided.is_empty())
            .collect()
    }

    /// The parts an exposure answer for `eni` rests on (see
    /// [`InterfaceExposure::undecided`]).
    fn undecided(&self, eni: &crate::model::Eni, exposed: bool) -> Vec<String> {
        self.inbound_parts(eni, !exposed)
    }

    /// The approximated parts that judge the connections `eni` accepts:
    /// those modelled narrower than they may be (with routes to targets
    /// netpolicy does not follow between it and the internet) when
    /// `narrower`, else those modelled wider.
    fn inbound_parts(&self, eni: &crate::model::Eni, narrower: bool) -> Vec<String> {
        let approximated = self.model.approximated_parts(eni);
        let mut found: std::collections::BTreeSet<String> = approximated
            .into_iter()
            .filter(|p| p.judges.covers(false))
            .filter(|p| {
                let a = p.approximation;
                if narrower {
                    a.may_narrow()
                } else {
                    a.may_widen()
                }
            })
            .map(|p| p.id)
            .collect();
        if narrower && self.has_unfollowed_routes() {
            let target = [Endpoint::Eni(eni.meta.id.clone())];
            found.extend(self.unfollowed_routes(&[Endpoint::Internet], Some(&target)));
        }
        found.into_iter().collect()
    }

    /// The exposure of one interface; `None` for an unknown id.
    pub fn interface_exposure(&self, eni: &str) -> Option<InterfaceExposure> {
        self.exposure_with(eni, &SourceSets::default())
    }

    /// [`Engine::interface_exposure`], sharing source sets through `sets`.
    fn exposure_with(&self, eni: &str, sets: &SourceSets) -> Option<InterfaceExposure> {
        let e = self.eni(eni)?;
        let ordinary = self.internet_exposure(eni);
        let chosen = self.chosen_beyond(eni, || ordinary.clone());
        let open = self.openings(eni, &ordinary, false, sets);
        let chosen = self.openings(eni, &chosen, true, sets);
        let exposed = !open.is_empty() || !chosen.is_empty();
        let undecided = self.undecided(e, exposed);
        let more_may_open = if exposed {
            self.inbound_parts(e, true)
        } else {
            Vec::new()
        };
        Some(InterfaceExposure {
            undecided,
            more_may_open,
            interface: eni.to_string(),
            label: e.meta.label(),
            public_ip: e.public_ip,
            open,
            chosen_source_ports: chosen,
        })
    }

    /// `reach`'s packets split into services, each with its sources, the path
    /// and the admitting rule of an example packet.
    fn openings(&self, eni: &str, reach: &Reach, chosen: bool, sets: &SourceSets) -> Vec<Opening> {
        let packets = reach.packets();
        service_parts(&packets)
            .into_iter()
            .map(|part| {
                let example = part.witness();
                let flow = reach
                    .flows
                    .iter()
                    .find(|f| example.is_some_and(|p| f.packets.contains(&p)));
                let rule = example.and_then(|p| {
                    self.explain(&Endpoint::Internet, &Endpoint::Eni(eni.to_string()), &p)
                        .iter()
                        .filter(|f| !f.packets.is_empty())
                        .flat_map(|f| &f.hops)
                        .find(|h| h.kind == HopKind::SecurityGroupIngress)
                        .map(|h| format!("{}: {}", h.rule.object, h.rule.rule))
                });
                Opening {
                    service: part.service_summary(),
                    sources: self.sources(part.project(Dim::SrcAddr), sets),
                    source_ports: chosen.then(|| ports_text(&part.project(Dim::SrcPort))),
                    path: flow.map_or(
                        PathKind::FromInternet {
                            public_ip: Ipv4Addr::UNSPECIFIED,
                        },
                        |f| f.kind.clone(),
                    ),
                    rule,
                }
            })
            .collect()
    }

    /// Source addresses, shared through `sets`.
    fn sources(&self, addresses: IntervalSet, sets: &SourceSets) -> Sources {
        let whole = self.internet.is_subset(&addresses);
        sets.get(addresses, whole)
    }
}

/// The set split into services that each have one set of sources: per
/// protocol (other protocols together), destination ports (ICMP types; other
/// protocols: protocol numbers) cut where the sources change, neighbours with
/// the same sources merged.
pub fn service_parts(packets: &PacketSet) -> Vec<PacketSet> {
    let named = [TCP, UDP, ICMP].map(|p| IntervalSet::single(u32::from(p)));
    let others = named
        .iter()
        .fold(Dim::Protocol.full(), |acc, p| acc.difference(p));
    let mut out = Vec::new();
    for (protocols, dim) in named
        .iter()
        .map(|p| (p, Dim::DstPort))
        .chain([(&others, Dim::Protocol)])
    {
        let part = packets.restrict(Dim::Protocol, protocols);
        if part.is_empty() {
            continue;
        }
        out.extend(split_by_sources(&part, dim));
    }
    out
}

/// `part` cut along `dim` into runs over which the source addresses are the same.
fn split_by_sources(part: &PacketSet, dim: Dim) -> Vec<PacketSet> {
    let mut cuts: Vec<u32> = part
        .cubes()
        .iter()
        .flat_map(|c| {
            c.get(dim)
                .ranges()
                .iter()
                .flat_map(|&(a, b)| [a, b.saturating_add(1)])
        })
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut runs: Vec<(IntervalSet, IntervalSet)> = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1] - 1);
        let atom = IntervalSet::range(a, b);
        let sources = part.restrict(dim, &atom).project(Dim::SrcAddr);
        if sources.is_empty() {
            continue;
        }
        // Ports merge with their neighbour only; other protocols merge with
        // any run that has the same sources (ICMP and TCP lie between them).
        let adjacent = |values: &IntervalSet| {
            dim == Dim::Protocol
                || values
                    .ranges()
                    .last()
                    .is_some_and(|r| r.1.saturating_add(1) == a)
        };
        let same = runs
            .iter_mut()
            .rev()
            .take(if dim == Dim::Protocol { usize::MAX } else { 1 })
            .find(|(values, s)| *s == sources && adjacent(values));
        match same {
            Some((values, _)) => *values = values.union(&atom),
            None => runs.push((atom, sources)),
        }
    }
    runs.into_iter()
        .map(|(values, _)| part.restrict(dim, &values))
        .collect()
}

/// Ports as text: `0-1023`, `80`, `80, 443`.
fn ports_text(ports: &IntervalSet) -> String {
    ports
        .ranges()
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fewest CIDR prefixes that cover exactly `set`.
pub fn cidr_cover(set: &IntervalSet) -> Vec<Ipv4Net> {
    CidrCover::new(set).collect()
}

/// The prefixes of [`cidr_cover`], one at a time, in address order.
struct CidrCover<'a> {
    ranges: std::slice::Iter<'a, (u32, u32)>,
    /// The next address to cover and the last of its range.
    at: u64,
    last: u64,
}

impl<'a> CidrCover<'a> {
    fn new(set: &'a IntervalSet) -> CidrCover<'a> {
        // Starts past an empty range, so the first call takes the first one.
        CidrCover {
            ranges: set.ranges().iter(),
            at: 1,
            last: 0,
        }
    }
}

impl Iterator for CidrCover<'_> {
    type Item = Ipv4Net;

    fn next(&mut self) -> Option<Ipv4Net> {
        loop {
            if self.at > self.last {
                let &(first, last) = self.ranges.next()?;
                (self.at, self.last) = (u64::from(first), u64::from(last));
            }
            let at = self.at;
            // The largest aligned block that starts at `at` and ends by `last`.
            let mut size: u64 = if at == 0 {
                1 << 32
            } else {
                1 << at.trailing_zeros().min(32)
            };
            while at + size - 1 > self.last {
                size >>= 1;
            }
            self.at = at + size;
            let prefix = 32 - size.trailing_zeros();
            let start = Ipv4Addr::from(u32::try_from(at).unwrap_or(u32::MAX));
            if let Ok(net) = Ipv4Net::new(start, u8::try_from(prefix).unwrap_or(32)) {
                return Some(net);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_cover_is_exact_and_minimal() {
        let nets = |s: &IntervalSet| {
            cidr_cover(s)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(nets(&Dim::SrcAddr.full()), ["0.0.0.0/0"]);
        let a = u32::from(Ipv4Addr::new(192, 0, 2, 0));
        assert_eq!(nets(&IntervalSet::range(a, a + 255)), ["192.0.2.0/24"]);
        assert_eq!(
            nets(&IntervalSet::range(a + 1, a + 4)),
            ["192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/32"]
        );
    }

    #[test]
    fn openings_with_the_same_sources_share_them_and_write_them_alike() {
        let sets = SourceSets::default();
        let a = u32::from(Ipv4Addr::new(192, 0, 2, 0));
        let cut = IntervalSet::range(a + 1, a + 4);
        let (x, y) = (sets.get(cut.clone(), false), sets.get(cut, false));
        assert!(Arc::ptr_eq(&x.0, &y.0), "one set for both");
        assert_eq!(x.len(), 3);
        assert_eq!(
            serde_json::to_string(&x).ok().as_deref(),
            Some(r#"["192.0.2.1/32","192.0.2.2/31","192.0.2.4/32"]"#)
        );
        let whole = sets.get(Dim::SrcAddr.full(), true);
        let listed: Vec<String> = whole.prefixes().map(|p| p.to_string()).collect();
        assert_eq!(listed, ["0.0.0.0/0"]);
        assert_eq!(whole.len(), 1);
    }

    #[test]
    fn services_are_split_where_their_sources_differ() {
        let tcp = |ports: (u32, u32), src: (u32, u32)| {
            PacketSet::for_protocols(
                &IntervalSet::single(6),
                &IntervalSet::range(1024, 65535),
                &IntervalSet::range(ports.0, ports.1),
            )
            .restrict(Dim::SrcAddr, &IntervalSet::range(src.0, src.1))
        };
        let set = tcp((22, 22), (0, 9)).union(&tcp((80, 443), (0, 99)));
        let parts = service_parts(&set);
        let labels: Vec<String> = parts.iter().map(PacketSet::service_summary).collect();
        assert_eq!(labels, ["tcp/22", "tcp/80-443"]);
    }
}
