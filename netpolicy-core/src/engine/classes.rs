//! ENI equivalence classes: interfaces with the same subnet and security-group set
//! are treated alike by every rule except address-specific ones, so pairwise work
//! runs over classes (with the members' addresses as sets), in parallel.

use super::flows::Side;
use super::{Endpoint, Engine};
use crate::model::{EniOwner, Model};
use crate::packet::PacketSet;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Index of a class in [`Engine::classes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ClassId(pub usize);

/// Interfaces sharing a subnet and a security-group set.
#[derive(Clone, Debug, Serialize)]
pub struct EniClass {
    /// The class's index.
    pub id: ClassId,
    /// The subnet.
    pub subnet: String,
    /// The security groups, sorted.
    pub security_groups: Vec<String>,
    /// The member interfaces.
    pub enis: Vec<String>,
}

/// What one class can open to another.
#[derive(Clone, Debug)]
pub struct ClassPair {
    /// Source class.
    pub src: ClassId,
    /// Destination class.
    pub dst: ClassId,
    /// The packets (source members' addresses to destination members' addresses,
    /// private or public) that arrive.
    pub packets: PacketSet,
}

pub(crate) struct Classes {
    list: Vec<EniClass>,
    /// The class of each interface, by its position in the model.
    of_eni: Vec<ClassId>,
}

impl Classes {
    pub(crate) fn of(model: &Model) -> Classes {
        let mut groups: BTreeMap<(&str, Vec<&str>, bool), Vec<usize>> = BTreeMap::new();
        for (i, eni) in model.enis().iter().enumerate() {
            let mut sgs: Vec<&str> = eni.security_groups.iter().map(String::as_str).collect();
            sgs.sort_unstable();
            groups
                .entry((eni.subnet.as_str(), sgs, eni.sg_enforced))
                .or_default()
                .push(i);
        }
        let mut of_eni = vec![ClassId(0); model.enis().len()];
        let enis = model.enis();
        let list = groups
            .into_iter()
            .enumerate()
            .map(|(c, ((subnet, security_groups, _), members))| {
                for &m in &members {
                    of_eni[m] = ClassId(c);
                }
                EniClass {
                    id: ClassId(c),
                    subnet: subnet.to_string(),
                    security_groups: security_groups.into_iter().map(str::to_string).collect(),
                    enis: members.iter().map(|&m| enis[m].meta.id.clone()).collect(),
                }
            })
            .collect();
        Classes { list, of_eni }
    }
}

impl<'m> Engine<'m> {
    /// The ENI equivalence classes.
    pub fn classes(&self) -> &[EniClass] {
        &self.classes.list
    }

    /// The class of the interface `id`.
    pub fn class_of(&self, id: &str) -> Option<ClassId> {
        self.classes.of_eni.get(self.model.eni_index(id)?).copied()
    }

    fn class_side(&self, class: &EniClass) -> Option<Side<'_>> {
        let members = class
            .enis
            .iter()
            .filter_map(|id| self.model.eni(id))
            .collect();
        self.side(members)
    }

    /// For every ordered pair of classes, the packets of `query` that the source
    /// class opens to the destination class directly (privately or over public
    /// addresses; a load-balanced flow shows as client -> node and node -> target).
    /// Pairs that exchange nothing are left out. Runs in parallel.
    pub fn class_matrix(&self, query: &PacketSet) -> Vec<ClassPair> {
        let sides: Vec<Option<Side<'_>>> = self
            .classes
            .list
            .iter()
            .map(|c| self.class_side(c))
            .collect();
        let n = sides.len();
        (0..n * n)
            .into_par_iter()
            .filter_map(|k| {
                let (i, j) = (k / n, k % n);
                let (Some(Some(s)), Some(Some(d))) = (sides.get(i), sides.get(j)) else {
                    return None;
                };
                // Load-balancer nodes and interface endpoints open connections to
                // few destinations or none: keep the members they may reach.
                let first = s.members.first()?;
                let narrowed;
                let d = if matches!(
                    first.owner,
                    EniOwner::LoadBalancer(_) | EniOwner::VpcEndpoint(_)
                ) {
                    let source = Endpoint::Eni(first.meta.id.clone());
                    let reachable: Vec<_> = d
                        .members
                        .iter()
                        .copied()
                        .filter(|m| self.may_initiate(&source, &Endpoint::Eni(m.meta.id.clone())))
                        .collect();
                    if reachable.len() == d.members.len() {
                        d
                    } else {
                        narrowed = self.side(reachable)?;
                        &narrowed
                    }
                } else {
                    d
                };
                let packets = self
                    .eni_to_eni(s, d, query, false)
                    .into_iter()
                    .fold(PacketSet::empty(), |acc, f| acc.union(&f.packets));
                (!packets.is_empty()).then_some(ClassPair {
                    src: ClassId(i),
                    dst: ClassId(j),
                    packets,
                })
            })
            .collect()
    }
}
