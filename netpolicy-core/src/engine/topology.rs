//! Which endpoints could exchange packets at all, from topology alone: same VPC
//! or an active peering, public addresses and a way out to the internet, a VPN
//! gateway, a load balancer in front. A pair this rules out has no path of any
//! kind, so queries skip it without building packet sets; a pair it lets through
//! is decided by the hop-by-hop code as before. On a large estate most pairs sit
//! in unrelated VPCs, so this is what keeps `only`, `no` and `isolated` close to
//! linear in practice.

use super::{Endpoint, Engine};
use crate::model::{Model, RouteTarget};
use foldhash::{HashMap, HashMapExt, HashSet};

/// The topology facts the filter needs, indexed once.
pub(crate) struct Topology {
    peered: HashMap<String, HashSet<String>>,
    internet_vpcs: HashSet<String>,
    vpn_vpcs: HashSet<String>,
    /// Subnets whose route table sends something to an internet or NAT gateway.
    exits: HashSet<String>,
    /// Per interface, by position in the model: whether the internet and
    /// on-premises could reach it at all. Checked for every destination of
    /// every `internet -> ...` query, so answered without hashing ids.
    inbound: Vec<Inbound>,
}

/// Which outside sources could reach one interface.
#[derive(Clone, Copy, Default)]
struct Inbound {
    /// A public address in a VPC with an internet gateway, or behind a load balancer.
    internet: bool,
    /// In a VPC with a virtual private gateway, or behind a load balancer.
    onprem: bool,
}

impl Topology {
    /// `lb_targets`: the interfaces some load balancer has as a target.
    pub(crate) fn of<V>(model: &Model, lb_targets: &HashMap<String, V>) -> Topology {
        let mut peered: HashMap<String, HashSet<String>> = HashMap::new();
        for p in model.peerings().iter().filter(|p| p.active) {
            let (a, b) = (&p.requester_vpc, &p.accepter_vpc);
            peered.entry(a.clone()).or_default().insert(b.clone());
            peered.entry(b.clone()).or_default().insert(a.clone());
        }
        let internet_vpcs: HashSet<String> = model
            .internet_gateways()
            .iter()
            .filter_map(|g| g.vpc.clone())
            .collect();
        let vpn_vpcs: HashSet<String> = model
            .vpn_gateways()
            .iter()
            .filter_map(|g| g.vpc.clone())
            .collect();
        let inbound = model
            .enis()
            .iter()
            .map(|e| {
                let behind_lb = lb_targets.contains_key(&e.meta.id);
                let vpc = model.subnet(&e.subnet).map(|s| s.vpc.as_str());
                Inbound {
                    internet: behind_lb
                        || (e.public_ip.is_some()
                            && vpc.is_some_and(|v| internet_vpcs.contains(v))),
                    onprem: behind_lb || vpc.is_some_and(|v| vpn_vpcs.contains(v)),
                }
            })
            .collect();
        let exit_tables: HashSet<&str> = model
            .route_tables()
            .iter()
            .filter(|t| {
                t.routes.iter().any(|r| {
                    matches!(
                        r.target,
                        RouteTarget::InternetGateway(_) | RouteTarget::NatGateway(_)
                    )
                })
            })
            .map(|t| t.meta.id.as_str())
            .collect();
        let exits = model
            .subnets()
            .iter()
            .filter(|s| {
                model
                    .subnet_route_table(s)
                    .is_some_and(|t| exit_tables.contains(t.meta.id.as_str()))
            })
            .map(|s| s.meta.id.clone())
            .collect();
        Topology {
            peered,
            internet_vpcs,
            vpn_vpcs,
            exits,
            inbound,
        }
    }
}

impl Topology {
    /// Whether private addresses of `a` and `b` can reach each other: the same
    /// VPC, or an active peering between them.
    pub(crate) fn vpcs_connected(&self, a: &str, b: &str) -> bool {
        a == b || self.peered.get(a).is_some_and(|p| p.contains(b))
    }

    /// `vpc` and the VPCs actively peered with it.
    pub(crate) fn connected_vpcs<'a>(&'a self, vpc: &'a str) -> impl Iterator<Item = &'a str> {
        std::iter::once(vpc).chain(
            self.peered
                .get(vpc)
                .into_iter()
                .flatten()
                .map(String::as_str),
        )
    }

    /// Whether `subnet` routes something to an internet or NAT gateway.
    pub(crate) fn has_exit(&self, subnet: &str) -> bool {
        self.exits.contains(subnet)
    }
}

impl Engine<'_> {
    /// False only when no path of any kind can join `src` to `dst`.
    pub(crate) fn could_connect(&self, src: &Endpoint, dst: &Endpoint) -> bool {
        let t = &self.topology;
        let eni = |id: &str| {
            let e = self.model.eni(id)?;
            let vpc = self.model.subnet(&e.subnet)?.vpc.as_str();
            Some((e, vpc))
        };
        let behind_lb = |id: &str| self.lb_targets.contains_key(id);
        match (src, dst) {
            (Endpoint::Eni(s), Endpoint::Eni(d)) => {
                let (Some((se, sv)), Some((de, dv))) = (eni(s), eni(d)) else {
                    return false;
                };
                t.vpcs_connected(sv, dv)
                    || (de.public_ip.is_some()
                        && t.internet_vpcs.contains(dv)
                        && t.exits.contains(&se.subnet))
                    || behind_lb(d)
            }
            (Endpoint::Internet | Endpoint::OnPrem, Endpoint::Eni(d)) => {
                let inbound = self.model.eni_index(d).and_then(|i| t.inbound.get(i));
                inbound.is_some_and(|i| match src {
                    Endpoint::Internet => i.internet,
                    _ => i.onprem,
                })
            }
            (Endpoint::Eni(s), Endpoint::Internet) => {
                eni(s).is_some_and(|(e, _)| t.exits.contains(&e.subnet))
            }
            (Endpoint::Eni(s), Endpoint::OnPrem) => {
                eni(s).is_some_and(|(_, v)| t.vpn_vpcs.contains(v))
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::PacketSet;
    use crate::synth::{Spec, generate};

    /// The filter only ever skips pairs the full computation finds empty.
    #[test]
    fn pairs_ruled_out_have_no_flow() {
        let spec = Spec {
            vpcs: 5,
            subnets_per_vpc: 2,
            enis: 40,
            security_groups: 10,
            rules_per_group: 5,
            sg_sets_per_subnet: 2,
            hub_size: 2,
            internet_percent: 60,
            load_balancers: 2,
            shape: crate::synth::Shape::Tidy,
            seed: 3,
        };
        let model = generate(&spec).unwrap();
        let engine = Engine::new(&model);
        let mut endpoints: Vec<Endpoint> = model
            .enis()
            .iter()
            .map(|e| Endpoint::Eni(e.meta.id.clone()))
            .collect();
        endpoints.extend([Endpoint::Internet, Endpoint::OnPrem]);
        let (mut skipped, mut kept) = (0, 0);
        for s in &endpoints {
            for d in endpoints.iter().filter(|d| *d != s) {
                if engine.could_connect(s, d) {
                    kept += 1;
                    continue;
                }
                skipped += 1;
                let flows = engine.candidates(s, d, &PacketSet::all(), false);
                assert!(flows.iter().all(|f| f.packets.is_empty()), "{s:?} -> {d:?}");
            }
        }
        assert!(skipped > 0 && kept > 0, "{skipped} skipped, {kept} kept");
    }
}
