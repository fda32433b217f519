//! Which parts of the network a verdict rests on that the input does not fix,
//! and whether the verdict survives them (docs/semantics.md, "Unknown parts").
//!
//! The model approximates each such part one way: a rule whose CIDR is known
//! only after apply allows every address (wider), a route to a transit gateway
//! drops (narrower), an object the input names but does not hold is placed by
//! a guess (both). A verdict is a proof only when it is the same whichever way
//! each part really behaves: a flow found through a wider part may not exist,
//! and a flow missed at a narrower part may. Otherwise it is UNKNOWN.

use netpolicy_core::engine::{Endpoint, traffic_packets};
use netpolicy_core::model::{Approximation, Judges, Model};
use netpolicy_core::packet::PacketSet;
use std::collections::{BTreeSet, HashMap};

/// The approximated parts a verdict rests on, by the way they may err.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    /// Parts modelled as letting through more than they may.
    pub(crate) wider: BTreeSet<String>,
    /// Parts modelled as letting through less than they may.
    pub(crate) narrower: BTreeSet<String>,
}

impl Parts {
    fn add(&mut self, id: &str, a: Approximation) {
        if a.may_widen() {
            self.wider.insert(id.to_string());
        }
        if a.may_narrow() {
            self.narrower.insert(id.to_string());
        }
    }

    /// Adds route targets netpolicy does not follow: packets routed there
    /// count as dropped.
    pub(crate) fn add_unfollowed<'a>(&mut self, ids: impl IntoIterator<Item = &'a String>) {
        self.narrower.extend(ids.into_iter().cloned());
    }

    /// Every part, each once, in order.
    pub(crate) fn all(&self) -> Vec<String> {
        let all: BTreeSet<&String> = self.wider.iter().chain(&self.narrower).collect();
        all.into_iter().cloned().collect()
    }
}

/// The approximated parts each interface rests on: its security groups'
/// rules (and the prefix lists they name), its subnet's NACL and route table
/// (and the prefix lists its routes name), and the external objects it
/// depends on, each with which of its connections it judges. Built once per
/// model; empty (and free) for a model without any.
pub(crate) struct Approximations {
    by_eni: HashMap<String, Vec<Part>>,
}

/// One approximated part of an interface, with the packets it judges.
struct Part {
    id: String,
    approximation: Approximation,
    judges: Judges,
    /// `None`: all traffic.
    packets: Option<PacketSet>,
}

/// Which connections of an endpoint a verdict is about.
#[derive(Clone, Copy)]
pub(crate) enum Role {
    /// Connections it opens.
    Source,
    /// Connections it accepts.
    Destination,
    /// Both.
    Either,
}

impl Role {
    fn covers(self, judges: Judges) -> bool {
        match self {
            Role::Source => judges.covers(true),
            Role::Destination => judges.covers(false),
            Role::Either => true,
        }
    }
}

impl Approximations {
    /// None at all.
    pub(crate) fn none() -> Approximations {
        Approximations {
            by_eni: HashMap::new(),
        }
    }

    /// The parts of every interface of `model`.
    pub(crate) fn new(model: &Model) -> Approximations {
        let by_eni = (model.enis().iter())
            .filter_map(|eni| {
                let found = model.approximated_parts(eni);
                (!found.is_empty()).then(|| {
                    let found = found.into_iter().map(|p| Part {
                        packets: p.traffic.as_ref().map(|list| {
                            (list.iter())
                                .fold(PacketSet::empty(), |all, t| all.union(&traffic_packets(t)))
                        }),
                        id: p.id,
                        approximation: p.approximation,
                        judges: p.judges,
                    });
                    (eni.meta.id.clone(), found.collect())
                })
            })
            .collect();
        Approximations { by_eni }
    }

    /// Whether no interface rests on an approximated part.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_eni.is_empty()
    }

    /// Adds the parts that judge `query`'s connections of `endpoints` in
    /// `role` to `out`.
    pub(crate) fn of<'a>(
        &self,
        endpoints: impl IntoIterator<Item = &'a Endpoint>,
        role: Role,
        query: &PacketSet,
        out: &mut Parts,
    ) {
        if self.is_empty() {
            return;
        }
        for e in endpoints {
            if let Endpoint::Eni(id) = e
                && let Some(found) = self.by_eni.get(id.as_str())
            {
                Self::add(found, role, query, out);
            }
        }
    }

    /// Adds the parts of every interface in `role` to `out` (for assertions
    /// about every source, such as `only` and `same reachability`).
    pub(crate) fn everywhere(&self, role: Role, query: &PacketSet, out: &mut Parts) {
        for found in self.by_eni.values() {
            Self::add(found, role, query, out);
        }
    }

    fn add(found: &[Part], role: Role, query: &PacketSet, out: &mut Parts) {
        for p in found {
            let judged = p.packets.as_ref().is_none_or(|set| set.intersects(query));
            if role.covers(p.judges) && judged {
                out.add(&p.id, p.approximation);
            }
        }
    }

    /// Whether a finding from `src` to `dst` of `packets` rests on parts
    /// modelled wider than they may be: every one of its packets is judged
    /// by such a part, so it may not exist. A packet no such part judges was
    /// admitted by known rules.
    pub(crate) fn may_not_exist(
        &self,
        src: &Endpoint,
        dst: &Endpoint,
        packets: &PacketSet,
    ) -> bool {
        let mut judged = PacketSet::empty();
        let ends = [(src, Role::Source), (dst, Role::Destination)];
        for (end, role) in ends {
            let Endpoint::Eni(id) = end else { continue };
            let found = self.by_eni.get(id.as_str()).into_iter().flatten();
            for p in found.filter(|p| role.covers(p.judges) && p.approximation.may_widen()) {
                match &p.packets {
                    None => return true,
                    Some(set) => judged = judged.union(set),
                }
            }
        }
        !judged.is_empty() && packets.is_subset(&judged)
    }
}
