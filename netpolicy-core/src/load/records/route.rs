//! What a route may point at, by the field that names it.
//!
//! EC2 names a route's target by the field that holds it (`NatGatewayId`,
//! `VpcPeeringConnectionId`...); CloudFormation and the AWS CLI use those
//! names, Terraform their snake-case spelling. `GatewayId` alone holds several
//! kinds (internet gateways, virtual private gateways, gateway endpoints,
//! `local`), told apart by what the reader knows of the id, else its prefix.

use super::Records;
use crate::model::RouteTarget;

/// The kind of object a route target field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetKind {
    /// `GatewayId`: an internet gateway, virtual private gateway, gateway
    /// endpoint or `local`.
    Gateway,
    /// A NAT gateway.
    NatGateway,
    /// A VPC peering connection.
    Peering,
    /// A transit gateway.
    TransitGateway,
    /// A network interface.
    NetworkInterface,
    /// An instance: its primary interface.
    Instance,
    /// A gateway VPC endpoint.
    GatewayEndpoint,
    /// A target netpolicy does not model (egress-only, carrier and local
    /// gateways, Cloud WAN): the route stops its packets, with a warning.
    NotModelled,
}

/// One route target field.
pub(crate) struct TargetField {
    /// The EC2 API name (also CloudFormation's and the AWS CLI's).
    pub api: &'static str,
    /// The Terraform attribute.
    pub terraform: &'static str,
    /// What it holds.
    pub kind: TargetKind,
}

const fn field(api: &'static str, terraform: &'static str, kind: TargetKind) -> TargetField {
    TargetField {
        api,
        terraform,
        kind,
    }
}

/// Every route target field, in the order readers look for them.
pub(crate) const TARGET_FIELDS: &[TargetField] = &[
    field("GatewayId", "gateway_id", TargetKind::Gateway),
    field("NatGatewayId", "nat_gateway_id", TargetKind::NatGateway),
    field(
        "VpcPeeringConnectionId",
        "vpc_peering_connection_id",
        TargetKind::Peering,
    ),
    field(
        "TransitGatewayId",
        "transit_gateway_id",
        TargetKind::TransitGateway,
    ),
    field(
        "NetworkInterfaceId",
        "network_interface_id",
        TargetKind::NetworkInterface,
    ),
    field("InstanceId", "instance_id", TargetKind::Instance),
    field(
        "VpcEndpointId",
        "vpc_endpoint_id",
        TargetKind::GatewayEndpoint,
    ),
    field(
        "EgressOnlyInternetGatewayId",
        "egress_only_gateway_id",
        TargetKind::NotModelled,
    ),
    field(
        "CarrierGatewayId",
        "carrier_gateway_id",
        TargetKind::NotModelled,
    ),
    field(
        "LocalGatewayId",
        "local_gateway_id",
        TargetKind::NotModelled,
    ),
    field(
        "CoreNetworkArn",
        "core_network_arn",
        TargetKind::NotModelled,
    ),
];

/// The first target field a route gives, with its id; `get` reads a field by
/// its API name.
pub(crate) fn given_target<E>(
    mut get: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<Option<(&'static TargetField, String)>, E> {
    for f in TARGET_FIELDS {
        if let Some(id) = get(f.api)? {
            return Ok(Some((f, id)));
        }
    }
    Ok(None)
}

/// The API names of the modelled target fields, for help texts.
pub(crate) fn modelled_fields() -> String {
    let names: Vec<&str> = TARGET_FIELDS
        .iter()
        .filter(|f| f.kind != TargetKind::NotModelled)
        .map(|f| f.api)
        .collect();
    names.join(", ")
}

/// What a `GatewayId` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GatewayKind {
    /// `local`: the VPC itself.
    Local,
    /// An internet gateway.
    Internet,
    /// A virtual private gateway.
    Vpn,
    /// A gateway VPC endpoint.
    Endpoint,
}

/// What a `GatewayId` holds: the gateway a reader's `records` hold under
/// `id`, else what its prefix says; `None` when neither tells.
pub(crate) fn gateway_kind(records: &mut Records, id: &str) -> Option<GatewayKind> {
    if records.internet_gateway(id).is_some() {
        Some(GatewayKind::Internet)
    } else if records.vpn_gateway(id).is_some() {
        Some(GatewayKind::Vpn)
    } else if records.vpc_endpoint(id).is_some() {
        Some(GatewayKind::Endpoint)
    } else {
        gateway_kind_by_prefix(id)
    }
}

/// The kind of a gateway id by its AWS prefix, for ids a reader does not
/// know otherwise.
pub(crate) fn gateway_kind_by_prefix(id: &str) -> Option<GatewayKind> {
    if id == "local" {
        return Some(GatewayKind::Local);
    }
    match id.split('-').next() {
        Some("igw") => Some(GatewayKind::Internet),
        Some("vgw") => Some(GatewayKind::Vpn),
        Some("vpce") => Some(GatewayKind::Endpoint),
        _ => None,
    }
}

/// What a reader says of a route whose target netpolicy does not follow.
///
/// The route is kept as a blackhole: in AWS it still wins the addresses of
/// its prefix, so leaving it out would hand them to a less specific route
/// (a peering, the internet gateway) that never carries them.
pub(crate) fn not_followed(what: &str) -> String {
    format!("a route to {what} is not modelled: the packets it carries are treated as dropped")
}

/// Routes a reader wrote to an instance (`NetworkInterface(instance id)`)
/// go to the instance's primary interface, once instances are read: AWS
/// routes to an instance through it. A route to an instance the input does
/// not hold is left as it is (the reader's reconciliation stops it).
pub(crate) fn resolve_instance_targets(parts: &mut crate::model::ModelParts) {
    let primary: std::collections::HashMap<&str, String> = (parts.instances.iter())
        .filter_map(|i| Some((i.meta.id.as_str(), i.enis.first()?.clone())))
        .collect();
    if primary.is_empty() {
        return;
    }
    for t in &mut parts.route_tables {
        for r in &mut t.routes {
            if let RouteTarget::NetworkInterface(id) = &mut r.target
                && let Some(eni) = primary.get(id.as_str())
            {
                *id = eni.clone();
            }
        }
    }
}

/// Whether a virtual private gateway has a VPN connection: `listed` when
/// the input says (a template's or plan's connection resources, a dump's
/// connections), else yes: a connection the input does not show may exist,
/// and assuming one claims the least (on-premises may send and receive).
pub(crate) fn vpn_connection(listed: Option<bool>) -> bool {
    listed.unwrap_or(true)
}

/// Drops the `local` routes an input writes (a dump lists one per VPC
/// block, a template or plan may name `local`): the engine routes within
/// the VPC by its blocks, as AWS's implicit local route does.
pub(crate) fn drop_local(parts: &mut crate::model::ModelParts) {
    for t in &mut parts.route_tables {
        t.routes.retain(|r| r.target != RouteTarget::Local);
    }
}

/// Stops the routes to `endpoints`, VPC endpoints a reader does not model
/// (Gateway Load Balancer endpoints, the firewall endpoints of AWS Network
/// Firewall): the packets go to an appliance that may drop them or send
/// them on, which netpolicy does not follow. Each such route becomes a
/// blackhole that still wins its prefix, its table is approximated
/// narrower, and one warning per table says so.
pub(crate) fn stop_at_endpoints(
    parts: &mut crate::model::ModelParts,
    endpoints: &std::collections::HashSet<String>,
    code: &'static str,
) -> Vec<crate::diagnostic::Warning> {
    let mut warnings = Vec::new();
    if endpoints.is_empty() {
        return warnings;
    }
    let mut stopped = Vec::new();
    for t in &mut parts.route_tables {
        let mut first = None;
        for r in &mut t.routes {
            if let RouteTarget::GatewayEndpoint(id) = &r.target
                && endpoints.contains(id)
            {
                first.get_or_insert((id.clone(), r.span));
                r.target = RouteTarget::Blackhole;
            }
        }
        if let Some((id, span)) = first {
            let what = format!("the Gateway Load Balancer endpoint `{id}`");
            let message = format!("route table `{}`: {}", t.meta.id, not_followed(&what));
            warnings.push(crate::diagnostic::Warning::new(code, message, span));
            stopped.push(t.meta.id.clone());
        }
    }
    for id in stopped {
        parts.approximate(id, crate::model::Approximation::Narrower);
    }
    warnings
}

/// Marks every table holding a stopped route (a blackhole that stands for a
/// target netpolicy does not follow: [`not_followed`]) as approximated
/// narrower: the packets it stops may in fact go on, so verdicts that rest
/// on the table are undecided (docs/semantics.md, "Unknown parts"). For
/// readers whose inputs hold no real blackhole route (templates, plans).
pub(crate) fn approximate_stopped(parts: &mut crate::model::ModelParts) {
    let stopped: Vec<String> = (parts.route_tables.iter())
        .filter(|t| t.routes.iter().any(|r| r.target == RouteTarget::Blackhole))
        .map(|t| t.meta.id.clone())
        .collect();
    for id in stopped {
        parts.approximate(id, crate::model::Approximation::Narrower);
    }
}

/// The route target for `id` held in a field of `kind`; `gateway` tells what
/// a `GatewayId` holds (asked only for that field; `None`: a kind netpolicy
/// does not model). `Err(id)` for targets netpolicy does not model: the id
/// comes back for the reader's warning.
pub(crate) fn route_target(
    kind: TargetKind,
    id: String,
    gateway: impl FnOnce(&str) -> Option<GatewayKind>,
) -> Result<RouteTarget, String> {
    Ok(match kind {
        TargetKind::Gateway => match gateway(&id) {
            Some(GatewayKind::Local) => RouteTarget::Local,
            Some(GatewayKind::Internet) => RouteTarget::InternetGateway(id),
            Some(GatewayKind::Vpn) => RouteTarget::VpnGateway(id),
            Some(GatewayKind::Endpoint) => RouteTarget::GatewayEndpoint(id),
            None => return Err(id),
        },
        TargetKind::NatGateway => RouteTarget::NatGateway(id),
        TargetKind::Peering => RouteTarget::Peering(id),
        TargetKind::TransitGateway => RouteTarget::TransitGateway(id),
        TargetKind::NetworkInterface => RouteTarget::NetworkInterface(id),
        // The instance's primary interface, once instances are read
        // ([`resolve_instance_targets`]).
        TargetKind::Instance => RouteTarget::NetworkInterface(id),
        TargetKind::GatewayEndpoint => RouteTarget::GatewayEndpoint(id),
        TargetKind::NotModelled => return Err(id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_ids_by_prefix() {
        assert_eq!(
            gateway_kind_by_prefix("igw-0a"),
            Some(GatewayKind::Internet)
        );
        assert_eq!(gateway_kind_by_prefix("vgw-1"), Some(GatewayKind::Vpn));
        assert_eq!(
            gateway_kind_by_prefix("vpce-1"),
            Some(GatewayKind::Endpoint)
        );
        assert_eq!(gateway_kind_by_prefix("local"), Some(GatewayKind::Local));
        assert_eq!(gateway_kind_by_prefix("eigw-1"), None);
    }

    #[test]
    fn routes_to_appliance_endpoints_stop_and_approximate_their_table() {
        use crate::model::{Approximation, Meta, ModelParts, Route, RouteDestination, RouteTable};
        let route = |target| Route {
            destination: RouteDestination::Cidr("0.0.0.0/0".parse().expect("net")),
            target,
            span: None,
        };
        let mut parts = ModelParts::default();
        for (id, target) in [
            ("rt-fw", RouteTarget::GatewayEndpoint("vpce-fw".into())),
            ("rt-s3", RouteTarget::GatewayEndpoint("vpce-s3".into())),
        ] {
            parts.route_tables.push(RouteTable {
                meta: Meta::new(id),
                vpc: "vpc-1".into(),
                routes: vec![route(target)],
            });
        }
        let endpoints = ["vpce-fw".to_string()].into_iter().collect();
        let warnings = stop_at_endpoints(&mut parts, &endpoints, "np::test");
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            parts.route_tables[0].routes[0].target,
            RouteTarget::Blackhole
        );
        assert_eq!(
            parts.route_tables[1].routes[0].target,
            RouteTarget::GatewayEndpoint("vpce-s3".into()),
            "a gateway endpoint is followed"
        );
        let approximated = parts.approximated.get("rt-fw").map(|a| a.approximation);
        assert_eq!(approximated, Some(Approximation::Narrower));
        assert!(!parts.approximated.contains_key("rt-s3"));
    }

    #[test]
    fn instances_wait_for_their_interface_and_unmodelled_targets_go_back() {
        let t = |kind| route_target(kind, "x".into(), |_| Some(GatewayKind::Internet));
        assert_eq!(
            t(TargetKind::Gateway),
            Ok(RouteTarget::InternetGateway("x".into()))
        );
        assert_eq!(t(TargetKind::Peering), Ok(RouteTarget::Peering("x".into())));
        assert_eq!(
            t(TargetKind::Instance),
            Ok(RouteTarget::NetworkInterface("x".into()))
        );
        assert_eq!(t(TargetKind::NotModelled), Err("x".into()));
    }
}
