//! The typed network model: what a loader produces and the engine reads.
//!
//! Loaders fill a [`ModelParts`] with string references between objects;
//! [`Model::build`] validates it (every reference resolves, values are in range),
//! allocates the addresses the input leaves to AWS, and freezes it. A [`Model`] is
//! therefore always consistent, and lookups by id cannot dangle.

mod addressing;
mod approximation;
mod endpoint;
mod eni;
mod error;
mod gateway;
mod ignoring;
mod load_balancer;
mod meta;
mod nacl;
mod route_table;
mod security_group;
mod summary;
mod traffic;
mod validate;
mod vpc;

pub use approximation::{
    Approximated, ApproximatedPart, Approximation, Judges, outbound_routes_part, rules_part,
};
pub use endpoint::{EndpointKind, PrefixList, VpcEndpoint};
pub use eni::{Eni, EniOwner, Instance};
pub use error::{ModelError, ModelErrors};
pub use gateway::{InternetGateway, NatGateway, Peering, VpnGateway};
pub use ignoring::Ignored;
pub use load_balancer::{Listener, LoadBalancer, LoadBalancerKind, Target, TargetGroup, TargetRef};
pub use meta::Meta;
pub use nacl::{NaclAction, NaclEntry, NetworkAcl};
pub use route_table::{Route, RouteDestination, RouteTable, RouteTarget};
pub use security_group::{RulePeer, SecurityGroup, SecurityGroupRule};
pub use traffic::{PortMatch, Protocol, TrafficMatch};
pub use vpc::{Subnet, Vpc};

use crate::diagnostic::Warning;
use crate::span::SourceMap;
use foldhash::HashMap;
use serde::Serialize;

/// The raw objects of a network, as a loader assembles them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ModelParts {
    /// VPCs.
    pub vpcs: Vec<Vpc>,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Route tables.
    pub route_tables: Vec<RouteTable>,
    /// Internet gateways.
    pub internet_gateways: Vec<InternetGateway>,
    /// NAT gateways.
    pub nat_gateways: Vec<NatGateway>,
    /// Virtual private gateways.
    pub vpn_gateways: Vec<VpnGateway>,
    /// VPC peering connections.
    pub peerings: Vec<Peering>,
    /// Security groups.
    pub security_groups: Vec<SecurityGroup>,
    /// Network ACLs.
    pub network_acls: Vec<NetworkAcl>,
    /// Network interfaces.
    pub enis: Vec<Eni>,
    /// Instances.
    pub instances: Vec<Instance>,
    /// Load balancers.
    pub load_balancers: Vec<LoadBalancer>,
    /// Target groups.
    pub target_groups: Vec<TargetGroup>,
    /// VPC endpoints.
    pub vpc_endpoints: Vec<VpcEndpoint>,
    /// Managed prefix lists.
    pub prefix_lists: Vec<PrefixList>,
    /// The ids of external objects: stand-ins for subnets, VPCs and security
    /// groups the input names but does not hold (their placement is a guess;
    /// see docs/semantics.md). Verdicts that depend on them are incomplete.
    #[serde(skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub external: std::collections::BTreeSet<String>,
    /// Objects whose rules or entries the input does not fix (values known
    /// only outside a template or after apply, prefix lists whose entries are
    /// not in the input), by id, with the way the model approximates them.
    /// Verdicts that rest on them are unknown (docs/semantics.md).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub approximated: std::collections::BTreeMap<String, Approximated>,
}

impl ModelParts {
    /// Notes that the object `id` is approximated `a` way, for all its
    /// traffic (with any way it already was).
    pub fn approximate(&mut self, id: impl Into<String>, a: Approximation) {
        self.approximated
            .entry(id.into())
            .or_insert_with(|| Approximated::none(a))
            .add(a, None);
    }

    /// Notes that one of the `egress` or ingress rules of `group`, for
    /// `traffic`, is approximated `a` way (see [`rules_part`]).
    pub fn approximate_rule(
        &mut self,
        group: &str,
        egress: bool,
        a: Approximation,
        traffic: TrafficMatch,
    ) {
        self.approximated
            .entry(rules_part(group, egress))
            .or_insert_with(|| Approximated::none(a))
            .add(a, Some(traffic));
    }

    /// Moves every object of `more` into these parts (inputs read apart,
    /// one network: the files of a dump, the stacks of an estate).
    pub fn append(&mut self, more: ModelParts) {
        let ModelParts {
            vpcs,
            subnets,
            route_tables,
            internet_gateways,
            nat_gateways,
            vpn_gateways,
            peerings,
            security_groups,
            network_acls,
            enis,
            instances,
            load_balancers,
            target_groups,
            vpc_endpoints,
            prefix_lists,
            external,
            approximated,
        } = more;
        self.external.extend(external);
        for (id, a) in approximated {
            match self.approximated.get_mut(&id) {
                Some(known) => known.merge(a),
                None => {
                    self.approximated.insert(id, a);
                }
            }
        }
        self.vpcs.extend(vpcs);
        self.subnets.extend(subnets);
        self.route_tables.extend(route_tables);
        self.internet_gateways.extend(internet_gateways);
        self.nat_gateways.extend(nat_gateways);
        self.vpn_gateways.extend(vpn_gateways);
        self.peerings.extend(peerings);
        self.security_groups.extend(security_groups);
        self.network_acls.extend(network_acls);
        self.enis.extend(enis);
        self.instances.extend(instances);
        self.load_balancers.extend(load_balancers);
        self.target_groups.extend(target_groups);
        self.vpc_endpoints.extend(vpc_endpoints);
        self.prefix_lists.extend(prefix_lists);
    }

    /// The id, names and span of every object, kind after kind.
    pub fn metas(&self) -> impl Iterator<Item = &Meta> {
        self.vpcs
            .iter()
            .map(|o| &o.meta)
            .chain(self.subnets.iter().map(|o| &o.meta))
            .chain(self.route_tables.iter().map(|o| &o.meta))
            .chain(self.internet_gateways.iter().map(|o| &o.meta))
            .chain(self.nat_gateways.iter().map(|o| &o.meta))
            .chain(self.vpn_gateways.iter().map(|o| &o.meta))
            .chain(self.peerings.iter().map(|o| &o.meta))
            .chain(self.security_groups.iter().map(|o| &o.meta))
            .chain(self.network_acls.iter().map(|o| &o.meta))
            .chain(self.enis.iter().map(|o| &o.meta))
            .chain(self.instances.iter().map(|o| &o.meta))
            .chain(self.load_balancers.iter().map(|o| &o.meta))
            .chain(self.target_groups.iter().map(|o| &o.meta))
            .chain(self.vpc_endpoints.iter().map(|o| &o.meta))
            .chain(self.prefix_lists.iter().map(|o| &o.meta))
    }
}

/// Position of each object by id, per kind.
#[derive(Clone, Debug, Default)]
struct Index {
    vpcs: HashMap<String, usize>,
    subnets: HashMap<String, usize>,
    route_tables: HashMap<String, usize>,
    internet_gateways: HashMap<String, usize>,
    nat_gateways: HashMap<String, usize>,
    vpn_gateways: HashMap<String, usize>,
    peerings: HashMap<String, usize>,
    security_groups: HashMap<String, usize>,
    network_acls: HashMap<String, usize>,
    enis: HashMap<String, usize>,
    instances: HashMap<String, usize>,
    load_balancers: HashMap<String, usize>,
    target_groups: HashMap<String, usize>,
    vpc_endpoints: HashMap<String, usize>,
    prefix_lists: HashMap<String, usize>,
}

/// A validated network: every reference resolves, every ENI has an address.
#[derive(Clone, Debug, Default)]
pub struct Model {
    parts: ModelParts,
    index: Index,
    sources: SourceMap,
    warnings: Vec<Warning>,
    ignored: Ignored,
}

macro_rules! accessors {
    ($($field:ident, $one:ident, $ty:ty;)*) => {
        impl Model {
            $(
                #[doc = concat!("All `", stringify!($ty), "` objects, in input order.")]
                pub fn $field(&self) -> &[$ty] {
                    &self.parts.$field
                }

                #[doc = concat!("The `", stringify!($ty), "` with this id.")]
                pub fn $one(&self, id: &str) -> Option<&$ty> {
                    self.index.$field.get(id).and_then(|&i| self.parts.$field.get(i))
                }
            )*
        }

        impl Index {
            fn of(parts: &ModelParts) -> Index {
                fn positions<'a>(ids: impl Iterator<Item = &'a Meta>) -> HashMap<String, usize> {
                    ids.enumerate().map(|(i, m)| (m.id.clone(), i)).collect()
                }
                Index {
                    $($field: positions(parts.$field.iter().map(|o| &o.meta)),)*
                }
            }
        }
    };
}

accessors! {
    vpcs, vpc, Vpc;
    subnets, subnet, Subnet;
    route_tables, route_table, RouteTable;
    internet_gateways, internet_gateway, InternetGateway;
    nat_gateways, nat_gateway, NatGateway;
    vpn_gateways, vpn_gateway, VpnGateway;
    peerings, peering, Peering;
    security_groups, security_group, SecurityGroup;
    network_acls, network_acl, NetworkAcl;
    enis, eni, Eni;
    instances, instance, Instance;
    load_balancers, load_balancer, LoadBalancer;
    target_groups, target_group, TargetGroup;
    vpc_endpoints, vpc_endpoint, VpcEndpoint;
    prefix_lists, prefix_list, PrefixList;
}

impl Model {
    /// Validates `parts`, allocates missing addresses and builds the model.
    ///
    /// Every problem found is returned, not just the first. Warnings (things the
    /// model represents only partly) are kept in [`Model::warnings`].
    pub fn build(parts: ModelParts, sources: SourceMap) -> Result<Model, ModelErrors> {
        Model::build_or_return(parts, sources).map_err(|(errors, _)| errors)
    }

    /// [`Model::build`], handing the sources back with the errors, so a loader
    /// can render them without having copied every input file beforehand.
    pub(crate) fn build_or_return(
        parts: ModelParts,
        sources: SourceMap,
    ) -> Result<Model, (ModelErrors, SourceMap)> {
        // Indexing and the duplicate check read the same parts: side by side.
        let (index, duplicates) =
            rayon::join(|| Index::of(&parts), || validate::duplicates(&parts));
        let mut model = Model {
            parts: ModelParts::default(),
            index,
            sources,
            warnings: Vec::new(),
            ignored: Ignored::default(),
        };
        match model.complete(parts, duplicates) {
            Ok(()) => Ok(model),
            Err(errors) => Err((
                ModelErrors(errors.into_iter().map(ModelError::shortened).collect()),
                model.sources,
            )),
        }
    }

    /// Validates `parts` (whose `duplicates` are already known) against the
    /// index already built, completes their addresses and makes them the
    /// model's.
    fn complete(
        &mut self,
        mut parts: ModelParts,
        duplicates: Vec<ModelError>,
    ) -> Result<(), Vec<ModelError>> {
        if !duplicates.is_empty() {
            return Err(duplicates);
        }
        // Values are checked beside the references, but reported only when
        // every reference holds (a dangling one explains the rest).
        let (references, values) = rayon::join(
            || validate::references(&parts, &self.index),
            || validate::values(&parts, &self.index),
        );
        if !references.is_empty() {
            return Err(references);
        }
        if !values.is_empty() {
            return Err(values);
        }
        let known = parts.enis.len();
        addressing::complete(&mut parts, &self.index)?;
        // Completion only appends interfaces (load-balancer nodes, endpoint
        // interfaces): index those rather than everything again.
        for (i, eni) in parts.enis.iter().enumerate().skip(known) {
            self.index.enis.insert(eni.meta.id.clone(), i);
        }
        self.warnings = validate::warnings(&parts);
        self.parts = parts;
        Ok(())
    }

    /// The external object an interface depends on, if any: its subnet, the
    /// subnet's VPC or one of its security groups stands in for an object
    /// the input names but does not hold.
    pub fn external_dependency<'a>(&'a self, eni: &'a Eni) -> Option<&'a str> {
        let external = &self.parts.external;
        if external.is_empty() {
            return None;
        }
        let subnet = self.subnet(&eni.subnet);
        std::iter::once(eni.subnet.as_str())
            .chain(subnet.map(|s| s.vpc.as_str()))
            .chain(eni.security_groups.iter().map(String::as_str))
            .find(|id| external.contains(*id))
    }

    /// The raw objects.
    pub fn parts(&self) -> &ModelParts {
        &self.parts
    }

    /// The position of the interface `id` in [`Model::enis`].
    pub fn eni_index(&self, id: &str) -> Option<usize> {
        self.index.enis.get(id).copied()
    }

    /// The input files, for diagnostics.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Moves the input files out of the model, whose diagnostics show no
    /// snippets afterwards: for a caller done with the model that still renders
    /// reports citing those files, without copying or reading them again.
    pub fn take_sources(&mut self) -> SourceMap {
        std::mem::take(&mut self.sources)
    }

    /// What the model could not represent fully.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Adds a warning found by a loader.
    pub fn push_warning(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }

    /// The route table a subnet uses: its explicit association, else its VPC's main
    /// table (`None` means the implicit main table with only local routes).
    pub fn subnet_route_table(&self, subnet: &Subnet) -> Option<&RouteTable> {
        match &subnet.route_table {
            Some(id) => self.route_table(id),
            None => self
                .vpc(&subnet.vpc)
                .and_then(|v| v.main_route_table.as_deref())
                .and_then(|id| self.route_table(id)),
        }
    }

    /// The NACL a subnet uses: explicit, else its VPC's default (`None` means the
    /// implicit default NACL, which allows everything).
    pub fn subnet_network_acl(&self, subnet: &Subnet) -> Option<&NetworkAcl> {
        match &subnet.network_acl {
            Some(id) => self.network_acl(id),
            None => self
                .vpc(&subnet.vpc)
                .and_then(|v| v.default_network_acl.as_deref())
                .and_then(|id| self.network_acl(id)),
        }
    }

    /// The VPC an ENI lives in.
    pub fn eni_vpc(&self, eni: &Eni) -> Option<&Vpc> {
        self.subnet(&eni.subnet).and_then(|s| self.vpc(&s.vpc))
    }
}
