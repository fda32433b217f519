//! `Network::reach`: one question, answered pair by pair with a trace.

use crate::error::{Error, ErrorKind};
use netpolicy_core::engine::{Endpoint, Engine, Flow, Hop, PathKind};
use netpolicy_core::packet::{Dim, IntervalSet, Packet, PacketSet};
use std::fmt;

/// Who reaches whom on a service: one entry per source-destination pair.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Reachability {
    /// The service asked about, as written.
    pub service: String,
    /// Every pair of the two selectors, sources first.
    pub pairs: Vec<PairReach>,
}

/// What one source can open on one destination.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PairReach {
    /// The source.
    pub source: Endpoint,
    /// The destination.
    pub destination: Endpoint,
    /// The paths that carry some of the service; empty when none does.
    pub paths: Vec<ReachPath>,
    /// When no path carries it: one packet of the service traced along each
    /// path it tries, to show which rule stops it.
    pub blocked: Vec<TracedPath>,
}

/// One path that carries packets.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReachPath {
    /// How the packets travel.
    pub kind: PathKind,
    /// Every packet of the service that arrives this way (and whose reply
    /// returns).
    pub packets: PacketSet,
    /// One of them, traced hop by hop.
    pub example: Option<TracedPath>,
}

/// One packet traced along one path, hop by hop, with the deciding rules.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TracedPath {
    /// The packet as the source sends it.
    pub packet: Packet,
    /// The path.
    pub kind: PathKind,
    /// Hop by hop; a hop with `allowed == false` stopped it.
    pub hops: Vec<Hop>,
}

impl Reachability {
    /// Whether any source reaches any destination on some of the service.
    pub fn is_reachable(&self) -> bool {
        self.pairs.iter().any(PairReach::is_reachable)
    }
}

impl PairReach {
    /// Whether some of the service arrives.
    pub fn is_reachable(&self) -> bool {
        !self.paths.is_empty()
    }

    /// The services that arrive, summarised (`tcp/443`), over every path.
    pub fn services(&self) -> String {
        self.paths
            .iter()
            .fold(PacketSet::empty(), |acc, p| acc.union(&p.packets))
            .service_summary()
    }
}

pub(crate) fn reach(
    engine: &Engine<'_>,
    from: &str,
    to: &str,
    service: &str,
) -> Result<Reachability, Error> {
    let model = engine.model();
    let endpoints = |text: &str| {
        netpolicy_lang::resolve_endpoint(model, text)
            .map_err(|e| Error::new(ErrorKind::Policy, e, Some(("selector", text))))
    };
    let (sources, destinations) = (endpoints(from)?, endpoints(to)?);
    let query = netpolicy_lang::parse_service(service).map_err(|e| {
        let span = netpolicy_core::span::Span::new(
            netpolicy_core::span::SourceId(0),
            e.span.0,
            e.span.0 + e.span.1,
        );
        let help = e.help.clone();
        let error = netpolicy_lang::check::CheckError::Service {
            error: e,
            span,
            help,
        };
        Error::new(ErrorKind::Policy, error, Some(("service", service)))
    })?;
    let mut pairs = Vec::new();
    for src in &sources {
        for dst in destinations.iter().filter(|d| *d != src) {
            pairs.push(pair(engine, src, dst, &query));
        }
    }
    Ok(Reachability {
        service: service.to_string(),
        pairs,
    })
}

fn pair(engine: &Engine<'_>, src: &Endpoint, dst: &Endpoint, query: &PacketSet) -> PairReach {
    let reach = engine.reach(src, dst, query);
    let paths: Vec<ReachPath> = reach
        .flows
        .into_iter()
        .filter(|f| !f.packets.is_empty())
        .map(|flow| {
            let example = flow.packets.witness().and_then(|packet| {
                engine
                    .explain(src, dst, &packet)
                    .into_iter()
                    .find(|t| t.kind == flow.kind)
                    .map(|t| traced(packet, t))
            });
            ReachPath {
                kind: flow.kind,
                packets: flow.packets,
                example,
            }
        })
        .collect();
    let blocked = if paths.is_empty() {
        sample(engine, src, dst, query)
            .map(|packet| {
                engine
                    .explain(src, dst, &packet)
                    .into_iter()
                    .map(|t| traced(packet, t))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    PairReach {
        source: src.clone(),
        destination: dst.clone(),
        paths,
        blocked,
    }
}

fn traced(packet: Packet, flow: Flow) -> TracedPath {
    TracedPath {
        packet,
        kind: flow.kind,
        hops: flow.hops,
    }
}

/// A packet of the service from the source's first address to the
/// destination's (public addresses included).
fn sample(
    engine: &Engine<'_>,
    src: &Endpoint,
    dst: &Endpoint,
    query: &PacketSet,
) -> Option<Packet> {
    let first = |e: &Endpoint, public: bool| engine.endpoint_addresses(e, public).first();
    query
        .restrict(Dim::SrcAddr, &IntervalSet::single(first(src, false)?))
        .restrict(Dim::DstAddr, &IntervalSet::single(first(dst, true)?))
        .witness()
}

impl fmt::Display for Reachability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.pairs.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{} -> {} : {}", p.source, p.destination, self.service)?;
            if p.paths.is_empty() {
                writeln!(f, "  blocked")?;
                if p.blocked.is_empty() {
                    writeln!(f, "  no path can carry it between these endpoints")?;
                }
                for t in &p.blocked {
                    write!(f, "{t}")?;
                }
                continue;
            }
            writeln!(f, "  REACHABLE ({})", p.services())?;
            for path in &p.paths {
                match &path.example {
                    Some(t) => write!(f, "{t}")?,
                    None => writeln!(f, "  path: {}", path.kind)?,
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for TracedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  packet {}", self.packet)?;
        writeln!(f, "  path: {}", self.kind)?;
        for hop in &self.hops {
            writeln!(f, "    {hop}")?;
        }
        Ok(())
    }
}
