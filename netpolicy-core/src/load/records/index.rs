//! Finding an object by id while a reader is still adding objects.
//!
//! Readers attach things to objects they created earlier (a rule to its group,
//! a route to its table, a listener to its load balancer). A scan per
//! attachment is quadratic on a large plan, so lookups go through an index
//! that catches up with the objects pushed since the last lookup.

use crate::model::*;
use foldhash::HashMap;
use std::ops::{Deref, DerefMut};

/// An object with a model id.
pub(crate) trait Identified {
    /// Its id.
    fn id(&self) -> &str;
}

macro_rules! identified {
    ($($ty:ty),*) => {
        $(impl Identified for $ty {
            fn id(&self) -> &str {
                &self.meta.id
            }
        })*
    };
}

identified!(
    Vpc,
    Subnet,
    RouteTable,
    InternetGateway,
    NatGateway,
    VpnGateway,
    Peering,
    SecurityGroup,
    NetworkAcl,
    Eni,
    Instance,
    LoadBalancer,
    TargetGroup,
    VpcEndpoint,
    PrefixList
);

/// Positions by id of one list, indexed up to `seen`.
#[derive(Default)]
struct IdIndex {
    positions: HashMap<String, usize>,
    seen: usize,
    /// The id of the last object indexed, to notice a list that was changed
    /// other than by appending.
    last: Option<String>,
}

impl IdIndex {
    /// The position of the first object with `id`.
    fn position<T: Identified>(&mut self, items: &[T], id: &str) -> Option<usize> {
        let last = self.seen.checked_sub(1).and_then(|i| items.get(i));
        if self.seen > items.len() || last.map(Identified::id) != self.last.as_deref() {
            *self = IdIndex::default();
        }
        let hit = self.catch_up(items, id);
        // Objects are only appended while reading; anything else (a reader
        // that sorted or removed) shows as a stale hit, and a rebuild fixes it.
        if hit.is_some_and(|i| items.get(i).map(Identified::id) != Some(id)) {
            *self = IdIndex::default();
            return self.catch_up(items, id);
        }
        hit
    }

    fn catch_up<T: Identified>(&mut self, items: &[T], id: &str) -> Option<usize> {
        if self.seen < items.len() {
            for (i, item) in items.iter().enumerate().skip(self.seen) {
                self.positions.entry(item.id().to_string()).or_insert(i);
            }
            self.seen = items.len();
            self.last = items.last().map(|x| x.id().to_string());
        }
        self.positions.get(id).copied()
    }
}

/// The records of a network as a reader assembles them: the model's parts, plus
/// lookups by id that stay linear in the input.
#[derive(Default)]
pub(crate) struct Records {
    parts: ModelParts,
    index: Indexes,
}

#[derive(Default)]
struct Indexes {
    vpcs: IdIndex,
    subnets: IdIndex,
    route_tables: IdIndex,
    internet_gateways: IdIndex,
    vpn_gateways: IdIndex,
    security_groups: IdIndex,
    network_acls: IdIndex,
    enis: IdIndex,
    instances: IdIndex,
    load_balancers: IdIndex,
    target_groups: IdIndex,
    vpc_endpoints: IdIndex,
}

macro_rules! lookups {
    ($($field:ident, $get_mut:ident, $ty:ty;)*) => {
        impl Records {
            $(
                #[doc = concat!("The `", stringify!($ty), "` with this id.")]
                pub fn $get_mut(&mut self, id: &str) -> Option<&mut $ty> {
                    let i = self.index.$field.position(&self.parts.$field, id)?;
                    self.parts.$field.get_mut(i)
                }
            )*
        }
    };
}

macro_rules! shared_lookups {
    ($($get:ident, $get_mut:ident, $ty:ty;)*) => {
        impl Records {
            $(
                #[doc = concat!("The `", stringify!($ty), "` with this id (`&mut`: the index catches up).")]
                pub fn $get(&mut self, id: &str) -> Option<&$ty> {
                    self.$get_mut(id).map(|x| &*x)
                }
            )*
        }
    };
}

lookups! {
    vpcs, vpc_mut, Vpc;
    subnets, subnet_mut, Subnet;
    route_tables, route_table_mut, RouteTable;
    internet_gateways, internet_gateway_mut, InternetGateway;
    vpn_gateways, vpn_gateway_mut, VpnGateway;
    security_groups, security_group_mut, SecurityGroup;
    network_acls, network_acl_mut, NetworkAcl;
    enis, eni_mut, Eni;
    instances, instance_mut, Instance;
    load_balancers, load_balancer_mut, LoadBalancer;
    target_groups, target_group_mut, TargetGroup;
    vpc_endpoints, vpc_endpoint_mut, VpcEndpoint;
}

shared_lookups! {
    vpc, vpc_mut, Vpc;
    internet_gateway, internet_gateway_mut, InternetGateway;
    vpn_gateway, vpn_gateway_mut, VpnGateway;
    eni, eni_mut, Eni;
    instance, instance_mut, Instance;
    vpc_endpoint, vpc_endpoint_mut, VpcEndpoint;
}

impl From<ModelParts> for Records {
    /// Records that start from objects already read (a deployed network a
    /// template is loaded over).
    fn from(parts: ModelParts) -> Self {
        Records {
            parts,
            index: Indexes::default(),
        }
    }
}

impl Records {
    /// The parts, for building the model.
    pub fn into_parts(self) -> ModelParts {
        self.parts
    }
}

impl Deref for Records {
    type Target = ModelParts;

    fn deref(&self) -> &ModelParts {
        &self.parts
    }
}

impl DerefMut for Records {
    fn deref_mut(&mut self) -> &mut ModelParts {
        &mut self.parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str) -> SecurityGroup {
        SecurityGroup {
            meta: Meta::new(id.to_string()),
            vpc: "vpc-1".into(),
            ingress: Vec::new(),
            egress: Vec::new(),
        }
    }

    #[test]
    fn finds_objects_added_after_the_last_lookup() {
        let mut r = Records::default();
        r.security_groups.push(group("a"));
        assert!(r.security_group_mut("a").is_some());
        assert!(r.security_group_mut("b").is_none());
        r.security_groups.push(group("b"));
        assert_eq!(
            r.security_group_mut("b").map(|g| g.meta.id.as_str()),
            Some("b")
        );
    }

    #[test]
    fn the_first_of_two_equal_ids_wins_as_a_scan_would() {
        let mut r = Records::default();
        r.security_groups.push(group("a"));
        r.security_groups.push(group("a"));
        r.security_groups[1].vpc = "vpc-2".into();
        assert_eq!(
            r.security_group_mut("a").map(|g| g.vpc.as_str()),
            Some("vpc-1")
        );
    }

    #[test]
    fn survives_a_reader_that_reorders_or_removes() {
        let mut r = Records::default();
        r.security_groups.push(group("a"));
        r.security_groups.push(group("b"));
        assert!(r.security_group_mut("b").is_some());
        r.security_groups.reverse();
        assert_eq!(
            r.security_group_mut("a").map(|g| g.meta.id.as_str()),
            Some("a")
        );
        r.security_groups.retain(|g| g.meta.id != "a");
        assert!(r.security_group_mut("a").is_none());
        assert!(r.security_group_mut("b").is_some());
    }
}
