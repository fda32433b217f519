//! CloudFormation resources to model objects (docs/semantics.md, "CloudFormation specifics").
//!
//! Objects are created in a first pass and modifiers (routes, associations,
//! standalone rules, attachments, listeners) applied in a second, so resource
//! order in the template does not matter.

use super::super::LoadError;
use super::super::document::{Node, Value};
use super::super::read::{self, boolean, integer, invalid, type_error};
use super::super::records::endpoint::{self, EndpointType};
use super::super::records::finish::{
    DefaultVpcUse, Finish, Format, Ipv6Skip, Ipv6Skipped, Outside,
};
use super::super::records::{
    self, Records, default_vpc, load_balancer, nacl, public_address, route, traffic, unknown,
};
use super::intrinsics::{OPAQUE, Resolver, is_no_value};
use super::template::{Resource, Template};
use crate::diagnostic::Warning;
use crate::model::*;
use crate::span::Span;
use ipnet::Ipv4Net;

mod coverage;
mod services;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::{BTreeMap, BTreeSet};

/// Resource types that shape traffic but are not modelled yet: each one is a
/// warning, because results may miss what it does.
const NOT_MODELLED: &[&str] = &[
    "AWS::EC2::TransitGateway",
    "AWS::EC2::TransitGatewayAttachment",
    "AWS::EC2::TransitGatewayVpcAttachment",
    "AWS::EC2::TransitGatewayRoute",
    "AWS::EC2::TransitGatewayRouteTable",
    "AWS::EC2::TransitGatewayPeeringAttachment",
    "AWS::NetworkFirewall::Firewall",
    "AWS::NetworkFirewall::FirewallPolicy",
    "AWS::NetworkFirewall::RuleGroup",
    "AWS::EC2::EgressOnlyInternetGateway",
    "AWS::EC2::CarrierGateway",
    "AWS::EC2::LocalGatewayRoute",
    "AWS::EC2::VPNGatewayRoutePropagation",
    "AWS::EC2::ClientVpnEndpoint",
    "AWS::EC2::ClientVpnRoute",
    "AWS::EC2::ClientVpnAuthorizationRule",
    "AWS::EC2::GatewayRouteTableAssociation",
    "AWS::EC2::SubnetCidrBlock",
    "AWS::EC2::VPCEndpointService",
    "AWS::ElasticLoadBalancing::LoadBalancer",
    "AWS::Route53Resolver::ResolverEndpoint",
];

pub(crate) struct Builder<'d> {
    /// Every stack loaded together, and their resolvers.
    templates: &'d [Template<'d>],
    resolvers: &'d [Resolver<'d>],
    /// The ids of the deployed network the stacks are loaded over.
    base_ids: HashSet<String>,
    /// The stack being read.
    template: &'d Template<'d>,
    r: &'d Resolver<'d>,
    pub(crate) parts: Records,
    pub(crate) warnings: Vec<Warning>,
    /// Security groups that have an inline `SecurityGroupEgress` or a standalone
    /// egress resource: they lose the implicit allow-all rule.
    explicit_egress: HashSet<String>,
    skipped: HashSet<&'d str>,
    /// Subnets whose availability zone could not be resolved, by reason.
    unknown_zones: BTreeMap<String, (Vec<String>, Span)>,
    /// Standalone rules added to security groups from outside the template,
    /// applied once those stand as external groups.
    external_rules: Vec<(String, bool, SecurityGroupRule)>,
    /// Resources that name no VPC or subnet and land in the default VPC.
    default_vpc_users: Vec<String>,
    /// Zones whose default subnet a resource uses.
    default_zones: BTreeSet<String>,
    /// Security groups in the default VPC, whose rules may name peers by
    /// group name.
    default_vpc_groups: HashSet<String>,
    /// The template's security groups by `GroupName`.
    group_names: HashMap<String, String>,
    /// Security groups EKS creates for clusters, with the cluster and its span.
    cluster_groups: BTreeMap<String, (String, Span)>,
    /// Instance interfaces whose public address follows their subnet's
    /// `MapPublicIpOnLaunch` (device 0, `AssociatePublicIpAddress` not given).
    public_by_subnet: HashSet<String>,
    /// Gateway Load Balancer endpoints, which routes may name but netpolicy
    /// does not follow.
    appliance_endpoints: std::collections::HashSet<String>,
    /// IPv6 rules, routes and entries skipped.
    ipv6: Ipv6Skipped,
    /// The load balancer of each listener read, by the listener's id.
    listener_owners: HashMap<String, String>,
}

/// Property access on one resource, evaluating as it reads.
struct Props<'a, 'd> {
    res: &'a Resource<'d>,
    r: &'a Resolver<'d>,
}

impl Props<'_, '_> {
    fn span(&self) -> Span {
        self.res.node.span
    }

    fn get(&self, key: &str) -> Result<Option<Node>, LoadError> {
        match self.res.properties.and_then(|p| p.get(key)) {
            None => Ok(None),
            Some(n) => {
                let v = self.r.eval(n)?;
                Ok((!is_no_value(&v) && v.value != Value::Null).then_some(v))
            }
        }
    }

    fn req(&self, key: &str) -> Result<Node, LoadError> {
        self.get(key)?.ok_or_else(|| LoadError::MissingField {
            field: key.to_string(),
            object: format!("resource `{}` ({})", self.res.id, self.res.kind),
            span: self.span(),
        })
    }

    fn string(&self, key: &str) -> Result<Option<String>, LoadError> {
        self.get(key)?.map(|n| text(&n)).transpose()
    }

    fn req_string(&self, key: &str) -> Result<String, LoadError> {
        text(&self.req(key)?)
    }

    fn list(&self, key: &str) -> Result<Vec<Node>, LoadError> {
        match self.get(key)? {
            None => Ok(Vec::new()),
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => Ok(items.into_vec()),
            Some(n) => Err(type_error("a list", &n)),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, LoadError> {
        self.list(key)?.iter().map(text).collect()
    }

    fn flag(&self, key: &str) -> Result<Option<bool>, LoadError> {
        self.get(key)?.map(|n| boolean(&n)).transpose()
    }
}

/// A scalar as text: templates write numbers and booleans where strings are
/// meant, and CloudFormation converts them.
fn text(n: &Node) -> Result<String, LoadError> {
    n.scalar_text().ok_or_else(|| type_error("a string", n))
}

/// An IPv4 CIDR property. An imported value, an IPv6 block (which belongs in
/// the property's `Ipv6` sibling) and anything else that is not IPv4 are
/// errors that say which.
fn cidr_property(n: &Node) -> Result<Option<Ipv4Net>, LoadError> {
    let t = text(n)?;
    if is_opaque(n) {
        return Err(LoadError::External {
            message: format!("the CIDR `{t}` is known only outside this template"),
            span: n.span,
        });
    }
    if t.contains(':') {
        return Err(invalid(
            format!("`{t}` is an IPv6 block in an IPv4 field"),
            n.span,
            Some("CloudFormation takes IPv6 blocks in the Ipv6 variant of the property (CidrIpv6, Ipv6CidrBlock, DestinationIpv6CidrBlock)".into()),
        ));
    }
    let value = Node {
        value: Value::String(t.into()),
        ..n.clone()
    };
    Ok(read::cidr(&value)?.ok())
}

/// Whether a value is known only outside the template.
fn is_opaque(n: &Node) -> bool {
    n.tag.as_deref() == Some(OPAQUE)
}

fn meta(res: &Resource<'_>, r: &Resolver<'_>) -> Meta {
    let mut tags = BTreeMap::new();
    if let Some(Node {
        value: Value::Seq(items),
        ..
    }) = res.properties.and_then(|p| p.get("Tags"))
    {
        for t in items {
            let k = t
                .get("Key")
                .and_then(|k| r.eval_string(k).ok())
                .map(|x| x.0);
            let v = t
                .get("Value")
                .and_then(|v| r.eval_string(v).ok())
                .map(|x| x.0);
            if let (Some(k), Some(v)) = (k, v) {
                tags.insert(k, v);
            }
        }
    }
    Meta {
        id: res.id.to_string(),
        name: tags.get("Name").cloned(),
        tags,
        aliases: Vec::new(),
        span: Some(res.node.span),
    }
}

impl<'d> Builder<'d> {
    /// A builder of the stacks `templates` (each evaluated by the resolver at
    /// the same place in `resolvers`), over the objects of `base`.
    pub(crate) fn new(
        templates: &'d [Template<'d>],
        resolvers: &'d [Resolver<'d>],
        base: ModelParts,
    ) -> Option<Self> {
        Some(Builder {
            template: templates.first()?,
            r: resolvers.first()?,
            templates,
            resolvers,
            base_ids: base.metas().map(|m| m.id.clone()).collect(),
            parts: Records::from(base),
            warnings: Vec::new(),
            explicit_egress: HashSet::new(),
            skipped: HashSet::new(),
            unknown_zones: BTreeMap::new(),
            external_rules: Vec::new(),
            public_by_subnet: HashSet::new(),
            appliance_endpoints: std::collections::HashSet::new(),
            ipv6: Ipv6Skipped::default(),
            listener_owners: HashMap::new(),
            default_vpc_users: Vec::new(),
            default_zones: BTreeSet::new(),
            default_vpc_groups: HashSet::new(),
            group_names: HashMap::new(),
            cluster_groups: BTreeMap::new(),
        })
    }

    /// The type of the resource with this logical id, in the stack being
    /// read or another stack loaded with it.
    fn kind_of(&self, id: &str) -> Option<&'d str> {
        self.template
            .resource_kinds
            .get(id)
            .or_else(|| self.templates.iter().find_map(|t| t.resource_kinds.get(id)))
            .copied()
    }

    /// The resource with this logical id, in the stack being read or
    /// another stack loaded with it.
    fn resource(&self, id: &str) -> Option<&'d Resource<'d>> {
        self.template
            .resource(id)
            .or_else(|| self.templates.iter().find_map(|t| t.resource(id)))
    }

    /// Why `id` is known only outside the stacks and the deployed network
    /// loaded with them, if it is.
    fn outside(&self, id: &str) -> Option<String> {
        self.r.unknown(id).or_else(|| {
            (!self.base_ids.contains(id))
                .then(|| records::external::deployed_id(id))
                .flatten()
        })
    }

    /// Makes stack `i` the one being read.
    fn enter(&mut self, i: usize) {
        if let (Some(t), Some(r)) = (self.templates.get(i), self.resolvers.get(i)) {
            self.template = t;
            self.r = r;
        }
    }

    fn warn(&mut self, code: &'static str, message: String, span: Span) {
        self.warnings.push(Warning::new(code, message, Some(span)));
    }

    /// Builds every network object of the stacks: every stack's objects
    /// first, then what modifies them, so that order (of resources and of
    /// stacks) does not matter.
    pub(crate) fn build(mut self) -> Result<(ModelParts, Vec<Warning>), LoadError> {
        let mut live: Vec<(usize, &'d Resource<'d>)> = Vec::new();
        for (i, template) in self.templates.iter().enumerate() {
            self.enter(i);
            for res in &template.resources {
                if let Some(c) = res.condition {
                    let (name, span) = self.r.eval_string(c)?;
                    if !self.r.condition(&name, span)? {
                        self.skipped.insert(res.id);
                        continue;
                    }
                }
                live.push((i, res));
            }
        }
        for &(i, res) in live
            .iter()
            .filter(|(_, r)| r.kind == "AWS::EC2::SecurityGroup")
        {
            self.enter(i);
            let p = Props { res, r: self.r };
            if let Ok(Some(name)) = p.string("GroupName") {
                self.group_names.insert(name, res.id.to_string());
            }
        }
        for &(i, res) in &live {
            self.enter(i);
            let created = self.create(res);
            self.unless_external(res, created, "not modelled")?;
        }
        for &(i, res) in &live {
            self.enter(i);
            let modified = self.modify(res);
            self.unless_external(res, modified, "not applied")?;
        }
        self.finish();
        let left_out = self.skipped.len();
        let resources: Vec<&Resource<'d>> = live.iter().map(|(_, r)| *r).collect();
        self.coverage(&resources, left_out);
        for r in self.resolvers {
            self.warnings.extend(r.warnings.borrow_mut().drain(..));
        }
        Ok((self.parts.into_parts(), self.warnings))
    }

    /// Turns an error about a value known only outside the template into a
    /// warning: the resource is left out (`what`) and, when something names
    /// it, stands as an external object (see [`Builder::place_external`]).
    fn unless_external(
        &mut self,
        res: &Resource<'d>,
        outcome: Result<(), LoadError>,
        what: &str,
    ) -> Result<(), LoadError> {
        match outcome {
            Err(LoadError::External { message, span }) => {
                self.warn(
                    "np::cfn::external",
                    format!("{message}: `{}` is {what}", res.id),
                    span,
                );
                self.r.declare_unknown(res.id, &message);
                Ok(())
            }
            other => other,
        }
    }

    fn create(&mut self, res: &Resource<'d>) -> Result<(), LoadError> {
        let p = Props { res, r: self.r };
        match res.kind {
            "AWS::EC2::VPC" => {
                let c = p.req("CidrBlock")?;
                let block = cidr_property(&c)?
                    .ok_or_else(|| invalid("a VPC needs an IPv4 CIDR".into(), c.span, None))?;
                self.parts.vpcs.push(Vpc {
                    meta: meta(res, self.r),
                    cidr_blocks: vec![block],
                    main_route_table: None,
                    default_network_acl: None,
                });
            }
            "AWS::EC2::Subnet" => {
                let c = p.req("CidrBlock")?;
                let block = cidr_property(&c)?
                    .ok_or_else(|| invalid("a subnet needs an IPv4 CIDR".into(), c.span, None))?;
                let zone = p.get("AvailabilityZone").and_then(|z| match z {
                    Some(z) if is_opaque(&z) => Err(LoadError::External {
                        message: format!("`{}` is known only outside this template", text(&z)?),
                        span: z.span,
                    }),
                    z => z.map(|z| text(&z)).transpose(),
                });
                let availability_zone = match zone {
                    Ok(az) => az,
                    Err(e) => {
                        // Zones do not change reachability: one warning per cause, not an error.
                        let span = e.span().unwrap_or(res.node.span);
                        self.unknown_zones
                            .entry(e.to_string())
                            .or_insert_with(|| (Vec::new(), span))
                            .0
                            .push(res.id.to_string());
                        None
                    }
                };
                self.parts.subnets.push(Subnet {
                    meta: meta(res, self.r),
                    vpc: p.req_string("VpcId")?,
                    cidr: block,
                    availability_zone,
                    map_public_ip_on_launch: p.flag("MapPublicIpOnLaunch")?.unwrap_or(false),
                    route_table: None,
                    network_acl: None,
                });
            }
            "AWS::EC2::RouteTable" => self.parts.route_tables.push(RouteTable {
                meta: meta(res, self.r),
                vpc: p.req_string("VpcId")?,
                routes: Vec::new(),
            }),
            "AWS::EC2::InternetGateway" => self.parts.internet_gateways.push(InternetGateway {
                meta: meta(res, self.r),
                vpc: None,
            }),
            "AWS::EC2::VPNGateway" => self.parts.vpn_gateways.push(VpnGateway {
                meta: meta(res, self.r),
                vpc: None,
                has_vpn_connection: false,
            }),
            "AWS::EC2::NatGateway" => {
                let private = p.string("ConnectivityType")?.as_deref() == Some("private");
                self.parts.nat_gateways.push(NatGateway {
                    meta: meta(res, self.r),
                    subnet: p.req_string("SubnetId")?,
                    private_ip: p
                        .get("PrivateIpAddress")?
                        .map(|n| read::ip(&n))
                        .transpose()?,
                    public: !private,
                    public_ip: None,
                });
            }
            "AWS::EC2::VPCPeeringConnection" => {
                let peer_region = p.string("PeerRegion")?;
                if let Some(region) = peer_region {
                    self.warn("np::cfn::peer-region", format!("peering `{}` goes to region {region}: security-group references across it do not apply", res.id), res.node.span);
                }
                self.parts.peerings.push(Peering {
                    meta: meta(res, self.r),
                    requester_vpc: p.req_string("VpcId")?,
                    accepter_vpc: p.req_string("PeerVpcId")?,
                    active: true,
                });
            }
            "AWS::EC2::SecurityGroup" => self.security_group(res, &p)?,
            "AWS::EC2::NetworkAcl" => self.parts.network_acls.push(NetworkAcl {
                meta: meta(res, self.r),
                vpc: p.req_string("VpcId")?,
                entries: Vec::new(),
            }),
            "AWS::EC2::NetworkInterface" => {
                let eni = Eni {
                    meta: meta(res, self.r),
                    subnet: p.req_string("SubnetId")?,
                    private_ips: p
                        .get("PrivateIpAddress")?
                        .map(|n| read::ip(&n))
                        .transpose()?
                        .into_iter()
                        .collect(),
                    public_ip: None,
                    auto_public_ip: false,
                    security_groups: p.strings("GroupSet")?,
                    sg_enforced: true,
                    owner: EniOwner::None,
                    addresses_allocated: false,
                };
                self.parts.enis.push(eni);
            }
            "AWS::EC2::Instance" => self.instance(res, &p)?,
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => self.load_balancer(res, &p)?,
            "AWS::ElasticLoadBalancingV2::TargetGroup" => self.target_group(res, &p)?,
            "AWS::EC2::VPCEndpoint" => {
                let kind = match endpoint::endpoint_type(p.string("VpcEndpointType")?.as_deref()) {
                    EndpointType::Modelled(kind) => kind,
                    EndpointType::Appliance => {
                        self.appliance_endpoints.insert(res.id.to_string());
                        self.warn(
                            "np::cfn::not-modelled",
                            format!(
                                "`{}`: Gateway Load Balancer endpoints are not modelled",
                                res.id
                            ),
                            res.node.span,
                        );
                        return Ok(());
                    }
                };
                self.parts.vpc_endpoints.push(VpcEndpoint {
                    meta: meta(res, self.r),
                    vpc: p.req_string("VpcId")?,
                    service_name: p.req_string("ServiceName")?,
                    kind,
                    subnets: p.strings("SubnetIds")?,
                    security_groups: p.strings("SecurityGroupIds")?,
                    route_tables: p.strings("RouteTableIds")?,
                    enis: Vec::new(),
                });
            }
            "AWS::EC2::PrefixList" => {
                let meta = meta(res, self.r);
                let mut cidrs = Vec::new();
                for e in p.list("Entries")? {
                    let Some(c) = e.get("Cidr") else { continue };
                    // An IPv6 list's entries: the list stands without them,
                    // unknown (docs/semantics.md, "IPv6").
                    if !is_opaque(c) && text(c)?.contains(':') {
                        self.ipv6
                            .note(Some(c.span), Ipv6Skip::Part(meta.id.clone()));
                        continue;
                    }
                    cidrs.extend(cidr_property(c)?);
                }
                self.parts.prefix_lists.push(PrefixList { meta, cidrs });
            }
            kind if services::SERVICE_TYPES.contains(&kind) => {
                self.service(res, &p)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn modify(&mut self, res: &Resource<'d>) -> Result<(), LoadError> {
        let p = Props { res, r: self.r };
        match res.kind {
            "AWS::EC2::VPCCidrBlock" => {
                let vpc = p.req_string("VpcId")?;
                if let Some(c) = p.get("CidrBlock")? {
                    let block = cidr_property(&c)?;
                    if let (Some(v), Some(b)) = (self.parts.vpc_mut(&vpc), block) {
                        v.cidr_blocks.push(b);
                    }
                }
            }
            "AWS::EC2::VPCGatewayAttachment" => {
                let vpc = p.req_string("VpcId")?;
                if let Some(g) = p.string("InternetGatewayId")? {
                    self.find_igw(&g, res)?.vpc = Some(vpc.clone());
                }
                if let Some(g) = p.string("VpnGatewayId")? {
                    self.find_vgw(&g, res)?.vpc = Some(vpc);
                }
            }
            "AWS::EC2::VPNConnection" => {
                if let Some(g) = p.string("VpnGatewayId")? {
                    self.find_vgw(&g, res)?.has_vpn_connection = true;
                }
                if p.string("TransitGatewayId")?.is_some() {
                    self.warn(
                        "np::cfn::not-modelled",
                        format!(
                            "`{}`: VPN connections to transit gateways are not modelled",
                            res.id
                        ),
                        res.node.span,
                    );
                }
            }
            "AWS::EC2::Route" => self.route(res, &p)?,
            "AWS::EC2::SubnetRouteTableAssociation" => {
                let (subnet, table) = (p.req_string("SubnetId")?, p.req_string("RouteTableId")?);
                self.known(res, "route table", &table)?;
                self.find_subnet(&subnet, res)?.route_table = Some(table);
            }
            "AWS::EC2::SubnetNetworkAclAssociation" => {
                let (subnet, acl) = (p.req_string("SubnetId")?, p.req_string("NetworkAclId")?);
                self.known(res, "network ACL", &acl)?;
                self.find_subnet(&subnet, res)?.network_acl = Some(acl);
            }
            "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                let egress = res.kind.ends_with("Egress");
                let group = p.req_string("GroupId")?;
                let props = self.r.eval(res.properties.unwrap_or(res.node))?;
                let rule = self.sg_rule(&props, egress, res.node.span, &group)?;
                if egress {
                    self.explicit_egress.insert(group.clone());
                }
                // A VPC's default group stands once every resource is read.
                let default_group = records::default_group::vpc_of(&group)
                    .is_some_and(|vpc| self.kind_of(vpc) == Some("AWS::EC2::VPC"));
                if default_group || self.outside(&group).is_some() {
                    self.external_rules.extend(rule.map(|r| (group, egress, r)));
                    return Ok(());
                }
                let Some(sg) = self.parts.security_group_mut(&group) else {
                    return Err(dangling(self.r, res, "security group", &group));
                };
                if let Some(rule) = rule {
                    if egress {
                        sg.egress.push(rule)
                    } else {
                        sg.ingress.push(rule)
                    }
                }
            }
            "AWS::EC2::NetworkAclEntry" => self.nacl_entry(res, &p)?,
            "AWS::EC2::EIP" => {
                if let Some(i) = p.string("InstanceId")? {
                    self.give_public_ip_to_instance(&i, res)?;
                }
            }
            "AWS::EC2::EIPAssociation" => {
                if let Some(i) = p.string("InstanceId")? {
                    self.give_public_ip_to_instance(&i, res)?;
                } else if let Some(e) = p.string("NetworkInterfaceId")? {
                    let Some(eni) = self.parts.eni_mut(&e) else {
                        return Err(dangling(self.r, res, "network interface", &e));
                    };
                    eni.auto_public_ip = true;
                }
            }
            "AWS::EC2::NetworkInterfaceAttachment" => {
                let (instance, eni) = (
                    p.req_string("InstanceId")?,
                    p.req_string("NetworkInterfaceId")?,
                );
                let index = p
                    .get("DeviceIndex")?
                    .map(|n| integer(&n))
                    .transpose()?
                    .unwrap_or(1);
                let Some(inst) = self.parts.instance_mut(&instance) else {
                    return Err(dangling(self.r, res, "instance", &instance));
                };
                if index == 0 {
                    inst.enis.insert(0, eni.clone())
                } else {
                    inst.enis.push(eni.clone())
                }
                if let Some(e) = self.parts.eni_mut(&eni) {
                    e.owner = EniOwner::Instance(instance);
                }
            }
            "AWS::ElasticLoadBalancingV2::Listener" => self.listener(res, &p)?,
            "AWS::AutoScaling::AutoScalingGroup" => self.scaling_group(res, &p)?,
            "AWS::ElasticLoadBalancingV2::ListenerRule" => {
                let listener = p.req_string("ListenerArn")?;
                let groups = forward_targets(&p.list("Actions")?, self.r)?;
                let span = self.resource(&listener).map(|r| r.node.span);
                // A listener is one entry per transport of its load
                // balancer, told apart from the others by its span.
                let lb = self.listener_owners.get(&listener).cloned();
                let found = lb
                    .and_then(|lb| self.parts.load_balancer_mut(&lb))
                    .into_iter()
                    .flat_map(|lb| lb.listeners.iter_mut())
                    .filter(|l| l.span == span)
                    .map(|l| l.target_groups.extend(groups.iter().cloned()))
                    .count();
                if found == 0 {
                    return Err(dangling(self.r, res, "listener", &listener));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Fails with [`LoadError::External`] when `id` is known only outside
    /// the template (a modifier that uses it is then not applied).
    fn known(&self, res: &Resource<'_>, kind: &str, id: &str) -> Result<(), LoadError> {
        match self.outside(id) {
            Some(_) => Err(dangling(self.r, res, kind, id)),
            None => Ok(()),
        }
    }

    fn find_subnet(&mut self, id: &str, res: &Resource<'_>) -> Result<&mut Subnet, LoadError> {
        self.parts
            .subnet_mut(id)
            .ok_or_else(|| dangling(self.r, res, "subnet", id))
    }

    fn find_igw(
        &mut self,
        id: &str,
        res: &Resource<'_>,
    ) -> Result<&mut InternetGateway, LoadError> {
        self.parts
            .internet_gateway_mut(id)
            .ok_or_else(|| dangling(self.r, res, "internet gateway", id))
    }

    fn find_vgw(&mut self, id: &str, res: &Resource<'_>) -> Result<&mut VpnGateway, LoadError> {
        self.parts
            .vpn_gateway_mut(id)
            .ok_or_else(|| dangling(self.r, res, "VPN gateway", id))
    }

    fn give_public_ip_to_instance(
        &mut self,
        instance: &str,
        res: &Resource<'_>,
    ) -> Result<(), LoadError> {
        let primary = self
            .parts
            .instance(instance)
            .and_then(|i| i.enis.first().cloned())
            .ok_or_else(|| dangling(self.r, res, "instance", instance))?;
        if let Some(e) = self.parts.eni_mut(&primary) {
            e.auto_public_ip = true;
        }
        Ok(())
    }

    /// Notes that `id` names no VPC or subnet and lands in the default VPC.
    fn in_default_vpc(&mut self, id: &str) {
        self.default_vpc_users.push(id.to_string());
    }

    /// The default subnet of the zone an instance names (its region's first
    /// zone when it names none).
    fn default_subnet(&mut self, res: &Resource<'d>, p: &Props<'_, 'd>) -> String {
        let zone = p
            .get("AvailabilityZone")
            .ok()
            .flatten()
            .filter(|z| !is_opaque(z))
            .and_then(|z| z.scalar_text())
            .unwrap_or_else(|| default_vpc::first_zone(&self.r.region()));
        self.in_default_vpc(res.id);
        self.default_zones.insert(zone.clone());
        default_vpc::subnet(&zone)
    }

    /// The security group a default-VPC name stands for: a group of the
    /// template (by logical id or `GroupName`), the default VPC's default
    /// group, else a group from outside the template.
    fn group_by_name(&mut self, name: &str) -> String {
        if self.kind_of(name) == Some("AWS::EC2::SecurityGroup") {
            return name.to_string();
        }
        if let Some(id) = self.group_names.get(name) {
            return id.clone();
        }
        if name == "default" {
            self.in_default_vpc(name);
            return records::default_group::id(default_vpc::ID);
        }
        self.r
            .declare_unknown(name, "a security group named outside this template");
        name.to_string()
    }

    fn security_group(&mut self, res: &Resource<'d>, p: &Props<'_, 'd>) -> Result<(), LoadError> {
        let vpc = match p.string("VpcId")? {
            Some(vpc) => vpc,
            None => {
                self.in_default_vpc(res.id);
                self.default_vpc_groups.insert(res.id.to_string());
                default_vpc::ID.to_string()
            }
        };
        let mut m = meta(res, self.r);
        if let Some(name) = p.string("GroupName")? {
            m.name = Some(name);
        }
        let mut ingress = Vec::new();
        for rule in p.list("SecurityGroupIngress")? {
            ingress.extend(self.sg_rule(&rule, false, rule.span, res.id)?);
        }
        let mut egress = Vec::new();
        let written = p.list("SecurityGroupEgress")?;
        // EC2 adds the allow-all rule to a group created without egress rules,
        // and an empty list adds none.
        if !written.is_empty() {
            self.explicit_egress.insert(res.id.to_string());
        }
        for rule in written {
            egress.extend(self.sg_rule(&rule, true, rule.span, res.id)?);
        }
        self.parts.security_groups.push(SecurityGroup {
            meta: m,
            vpc,
            ingress,
            egress,
        });
        Ok(())
    }

    /// One rule from its (evaluated) fields; `None` (with a warning) for IPv6.
    fn sg_rule(
        &mut self,
        n: &Node,
        egress: bool,
        span: Span,
        group: &str,
    ) -> Result<Option<SecurityGroupRule>, LoadError> {
        let field = |k: &str| n.get(k).filter(|v| v.value != Value::Null);
        let protocol_node = field("IpProtocol").ok_or_else(|| LoadError::MissingField {
            field: "IpProtocol".into(),
            object: format!("a rule of security group `{group}`"),
            span,
        })?;
        let traffic = traffic::traffic(protocol_node, field("FromPort"), field("ToPort"), span)?;
        let (peer_keys, id_key, pl_key) = if egress {
            (
                ["CidrIp", "CidrIpv6"],
                "DestinationSecurityGroupId",
                "DestinationPrefixListId",
            )
        } else {
            (
                ["CidrIp", "CidrIpv6"],
                "SourceSecurityGroupId",
                "SourcePrefixListId",
            )
        };
        let named: Vec<&str> = [peer_keys[0], peer_keys[1], id_key, pl_key]
            .into_iter()
            .filter(|k| field(k).is_some())
            .collect();
        if named.len() > 1 {
            return Err(invalid(
                format!(
                    "a rule of security group `{group}` names several peers ({}); EC2 takes one",
                    named.join(", ")
                ),
                span,
                Some("write one rule per peer".into()),
            ));
        }
        let peer = if let Some(c) = field(peer_keys[0]).filter(|c| is_opaque(c)) {
            // The widest block: a rule never admits less than it may.
            self.warn(
                "np::cfn::external",
                format!(
                    "a rule of security group `{group}` names the CIDR `{}`, known only outside this template: {}",
                    c.scalar_text().unwrap_or_default(),
                    unknown::RULE_CIDR
                ),
                c.span,
            );
            (self.parts).approximate_rule(group, egress, Approximation::Wider, traffic);
            RulePeer::Cidr(unknown::rule_cidr())
        } else if let Some(c) = field(peer_keys[0]) {
            match cidr_property(c)? {
                Some(net) => RulePeer::Cidr(net),
                None => return Ok(None),
            }
        } else if field(peer_keys[1]).is_some() {
            self.ipv6
                .note(Some(span), Ipv6Skip::rule(group, egress, traffic));
            return Ok(None);
        } else if let Some(g) = field(id_key) {
            RulePeer::SecurityGroup(text(g)?)
        } else if let Some(pl) = field(pl_key) {
            RulePeer::PrefixList(text(pl)?)
        } else if let Some(name) =
            field("SourceSecurityGroupName").filter(|_| self.default_vpc_groups.contains(group))
        {
            RulePeer::SecurityGroup(self.group_by_name(&text(name)?))
        } else if let Some(name) = field("SourceSecurityGroupName") {
            self.warn("np::cfn::group-name-peer", format!("security group `{group}`: a peer by group name (`{}`) applies to the default VPC only; rule skipped", text(name)?), span);
            return Ok(None);
        } else {
            return Err(invalid(
                format!("a rule of security group `{group}` names no peer"),
                span,
                Some(format!("give CidrIp, {id_key} or {pl_key}")),
            ));
        };
        Ok(Some(SecurityGroupRule {
            traffic,
            peer,
            description: field("Description").and_then(|d| d.scalar_text()),
            implicit: false,
            span: Some(span),
        }))
    }

    fn route(&mut self, res: &Resource<'d>, p: &Props<'_, 'd>) -> Result<(), LoadError> {
        let table = p.req_string("RouteTableId")?;
        let destination = if let Some(c) = p.get("DestinationCidrBlock")? {
            let Some(net) = cidr_property(&c)? else {
                return Ok(());
            };
            RouteDestination::Cidr(net)
        } else if let Some(pl) = p.string("DestinationPrefixListId")? {
            RouteDestination::PrefixList(pl)
        } else if p.get("DestinationIpv6CidrBlock")?.is_some() {
            self.ipv6.note(Some(res.node.span), Ipv6Skip::Routes(table));
            return Ok(());
        } else {
            return Err(invalid(
                format!("route `{}` has no destination", res.id),
                res.node.span,
                None,
            ));
        };
        let target = match self.route_target(res, p) {
            // The route still wins its prefixes: its packets stop there.
            Err(LoadError::External { message, span }) => {
                self.warn(
                    "np::cfn::external",
                    format!("{message}: the packets it carries are not followed"),
                    span,
                );
                RouteTarget::Blackhole
            }
            other => other?,
        };
        let Some(t) = self.parts.route_table_mut(&table) else {
            return Err(dangling(self.r, res, "route table", &table));
        };
        t.routes.push(Route {
            destination,
            target,
            span: Some(res.node.span),
        });
        Ok(())
    }

    /// The target of a route; a blackhole (with a warning) for one netpolicy
    /// does not model.
    fn route_target(
        &mut self,
        res: &Resource<'d>,
        p: &Props<'_, 'd>,
    ) -> Result<RouteTarget, LoadError> {
        let Some((field, id)) = route::given_target(|key| p.string(key))? else {
            return Err(invalid(
                format!("route `{}` names no target", res.id),
                res.node.span,
                Some(format!("give one of {}", route::modelled_fields())),
            ));
        };
        // Transit gateways and unmodelled targets stop packets whatever their id.
        let followed = !matches!(
            field.kind,
            route::TargetKind::TransitGateway | route::TargetKind::NotModelled
        );
        if followed && self.outside(&id).is_some() {
            return Err(dangling(self.r, res, field.api, &id));
        }
        let gateway = match field.kind {
            route::TargetKind::Gateway => Some(self.gateway_kind(res, &id)?),
            _ => None,
        };
        Ok(
            route::route_target(field.kind, id, |_| gateway).unwrap_or_else(|id| {
                let what = format!("{} `{id}`", field.api);
                self.warn(
                    "np::cfn::not-modelled",
                    format!("route `{}`: {}", res.id, route::not_followed(&what)),
                    res.node.span,
                );
                RouteTarget::Blackhole
            }),
        )
    }

    /// What a `GatewayId` names: by the template's resource type, else (an
    /// id from outside the template) by its prefix.
    fn gateway_kind(&self, res: &Resource<'_>, id: &str) -> Result<route::GatewayKind, LoadError> {
        match self.kind_of(id) {
            Some("AWS::EC2::VPNGateway") => Ok(route::GatewayKind::Vpn),
            Some("AWS::EC2::InternetGateway") => Ok(route::GatewayKind::Internet),
            Some("AWS::EC2::VPCEndpoint") => Ok(route::GatewayKind::Endpoint),
            Some(other) => Err(invalid(
                format!("route `{}`: GatewayId names `{id}`, a {other}", res.id),
                res.node.span,
                None,
            )),
            None => route::gateway_kind_by_prefix(id)
                .ok_or_else(|| dangling(self.r, res, "gateway", id)),
        }
    }

    fn nacl_entry(&mut self, res: &Resource<'d>, p: &Props<'_, 'd>) -> Result<(), LoadError> {
        let acl = p.req_string("NetworkAclId")?;
        let Some(c) = p.get("CidrBlock")? else {
            if p.get("Ipv6CidrBlock")?.is_none() {
                return Err(LoadError::MissingField {
                    field: "CidrBlock".into(),
                    object: format!("NACL entry `{}` (or Ipv6CidrBlock)", res.id),
                    span: res.node.span,
                });
            }
            let action = nacl::rule_action(&p.req("RuleAction")?)?;
            let egress = p.flag("Egress")?.unwrap_or(false);
            let skip = Ipv6Skip::nacl_entry(&acl, egress, action);
            self.ipv6.note(Some(res.node.span), skip);
            return Ok(());
        };
        let action = nacl::rule_action(&p.req("RuleAction")?)?;
        let block = if is_opaque(&c) {
            let (block, what) = unknown::nacl_cidr(action);
            self.parts.approximate(acl.as_str(), Approximation::Wider);
            self.warn(
                "np::cfn::external",
                format!(
                    "NACL entry `{}` names the CIDR `{}`, known only outside this template: {what}",
                    res.id,
                    c.scalar_text().unwrap_or_default()
                ),
                c.span,
            );
            block
        } else {
            cidr_property(&c)?
        };
        let Some(block) = block else {
            return Ok(());
        };
        let rule_number = nacl::rule_number(&p.req("RuleNumber")?)?;
        let protocol = traffic::protocol(&p.req("Protocol")?)?;
        let (fields, from, to) = match protocol {
            Protocol::Icmp => (p.get("Icmp")?, "Type", "Code"),
            _ => (p.get("PortRange")?, "From", "To"),
        };
        let ports = match &fields {
            Some(f) => traffic::ports(protocol, f.get(from), f.get(to), f.span)?,
            None => PortMatch::Any,
        };
        let entry = NaclEntry {
            rule_number,
            egress: p.flag("Egress")?.unwrap_or(false),
            action,
            traffic: TrafficMatch { protocol, ports },
            cidr: block,
            span: Some(res.node.span),
        };
        let Some(a) = self.parts.network_acl_mut(&acl) else {
            return Err(dangling(self.r, res, "network ACL", &acl));
        };
        a.entries.push(entry);
        Ok(())
    }

    fn instance(&mut self, res: &Resource<'d>, p: &Props<'_, 'd>) -> Result<(), LoadError> {
        let mut m = meta(res, self.r);
        let mut enis = Vec::new();
        let interfaces = p.list("NetworkInterfaces")?;
        let mut created = Vec::new();
        if interfaces.is_empty() {
            let subnet = match p.string("SubnetId")? {
                Some(subnet) => subnet,
                None => self.default_subnet(res, p),
            };
            let mut groups = p.strings("SecurityGroupIds")?;
            let named = p.strings("SecurityGroups")?;
            if self.kind_of(&subnet) == Some("AWS::EC2::Subnet") {
                if !named.is_empty() {
                    self.warn("np::cfn::group-names", format!("instance `{}` names security groups by name (default VPC only); they are ignored", res.id), res.node.span);
                }
            } else {
                for name in named {
                    groups.push(self.group_by_name(&name));
                }
            }
            created.push((
                0,
                subnet,
                groups,
                p.get("PrivateIpAddress")?,
                None,
                res.node.span,
            ));
        } else {
            for ni in &interfaces {
                let field = |k: &str| ni.get(k).filter(|v| v.value != Value::Null);
                let index = field("DeviceIndex").map(integer).transpose()?.unwrap_or(0);
                if let Some(existing) = field("NetworkInterfaceId") {
                    enis.push((index, text(existing)?));
                    continue;
                }
                let subnet = text(field("SubnetId").ok_or_else(|| LoadError::MissingField {
                    field: "SubnetId".into(),
                    object: format!("a network interface of instance `{}`", res.id),
                    span: ni.span,
                })?)?;
                let groups = match field("GroupSet") {
                    Some(Node {
                        value: Value::Seq(items),
                        ..
                    }) => items.iter().map(text).collect::<Result<Vec<_>, _>>()?,
                    Some(other) => return Err(type_error("a list", other)),
                    None => Vec::new(),
                };
                let associate = field("AssociatePublicIpAddress").map(boolean).transpose()?;
                // `None`: the subnet decides once all are read.
                let public = public_address::at_launch(associate, index, interfaces.len());
                created.push((
                    index,
                    subnet,
                    groups,
                    field("PrivateIpAddress").cloned(),
                    public,
                    ni.span,
                ));
            }
        }
        for (index, subnet, groups, private, public, span) in created {
            let id = records::launched_interface(res.id, index);
            self.parts.enis.push(Eni {
                meta: Meta {
                    span: Some(span),
                    ..m.inherited(id.clone())
                },
                subnet,
                private_ips: private
                    .map(|n| read::ip(&n))
                    .transpose()?
                    .into_iter()
                    .collect(),
                public_ip: None,
                auto_public_ip: public.unwrap_or(false),
                security_groups: groups,
                sg_enforced: true,
                owner: EniOwner::Instance(res.id.to_string()),
                addresses_allocated: false,
            });
            if public.is_none() {
                self.public_by_subnet.insert(id.clone());
            }
            enis.push((index, id));
        }
        enis.sort_by_key(|(i, _)| *i);
        for (_, id) in &enis {
            if let Some(e) = self.parts.eni_mut(id) {
                e.owner = EniOwner::Instance(res.id.to_string());
            }
        }
        m.span = Some(res.node.span);
        self.parts.instances.push(Instance {
            meta: m,
            enis: enis.into_iter().map(|(_, id)| id).collect(),
        });
        Ok(())
    }

    fn load_balancer(&mut self, res: &Resource<'d>, p: &Props<'_, 'd>) -> Result<(), LoadError> {
        let type_ = p.string("Type")?;
        let kind = match (load_balancer::kind(type_.as_deref()), type_) {
            (Some(kind), _) => kind,
            (None, other) => {
                let other = other.unwrap_or_default();
                self.warn(
                    "np::cfn::not-modelled",
                    format!("load balancer `{}` of type {other} is not modelled", res.id),
                    res.node.span,
                );
                return Ok(());
            }
        };
        let mut subnets = p.strings("Subnets")?;
        for m in p.list("SubnetMappings")? {
            if let Some(s) = m.get("SubnetId") {
                subnets.push(text(s)?);
            }
        }
        let mut m = meta(res, self.r);
        if let Some(name) = p.string("Name")? {
            m.name = Some(name);
        }
        self.parts.load_balancers.push(LoadBalancer {
            meta: m,
            kind,
            internet_facing: load_balancer::internet_facing(p.string("Scheme")?.as_deref()),
            subnets,
            security_groups: p.strings("SecurityGroups")?,
            listeners: Vec::new(),
            nodes: Vec::new(),
        });
        Ok(())
    }

    fn target_group(&mut self, res: &Resource<'d>, p: &Props<'_, 'd>) -> Result<(), LoadError> {
        let target_type = p.string("TargetType")?;
        let protocol_text = p.string("Protocol")?;
        let protocol =
            load_balancer::target_group_transport(target_type.as_deref(), protocol_text.as_deref());
        let (Some(protocol), Some(port)) = (protocol, p.get("Port")?) else {
            let target_type = target_type.as_deref().unwrap_or("instance");
            self.warn(
                "np::cfn::not-modelled",
                format!(
                    "target group `{}` ({target_type} targets) is not modelled: traffic to it is not followed",
                    res.id
                ),
                res.node.span,
            );
            return Ok(());
        };
        let port = load_balancer::port(&port)?;
        let mut targets = Vec::new();
        for t in p.list("Targets")? {
            let id = t.get("Id").ok_or_else(|| LoadError::MissingField {
                field: "Id".into(),
                object: format!("a target of `{}`", res.id),
                span: t.span,
            })?;
            let port = t.get("Port").map(load_balancer::port).transpose()?;
            let target = load_balancer::target(target_type.as_deref(), id)?;
            targets.push(Target { target, port });
        }
        let mut m = meta(res, self.r);
        if let Some(name) = p.string("Name")? {
            m.name = Some(name);
        }
        let attribute = self.preserve_client_ip_attribute(res, p)?;
        self.parts.target_groups.push(TargetGroup {
            meta: m,
            protocol,
            port,
            targets,
            preserve_client_ip: load_balancer::preserves_client_ip(
                target_type.as_deref(),
                protocol_text.as_deref(),
                attribute,
            ),
        });
        Ok(())
    }

    /// `preserve_client_ip.enabled` among a target group's
    /// `TargetGroupAttributes`, when given as a boolean (otherwise warned).
    fn preserve_client_ip_attribute(
        &mut self,
        res: &Resource<'d>,
        p: &Props<'_, 'd>,
    ) -> Result<Option<bool>, LoadError> {
        let mut found = None;
        for a in p.list("TargetGroupAttributes")? {
            let field = |k: &str| a.get(k).filter(|v| v.value != Value::Null);
            let key = field("Key").map(text).transpose()?.unwrap_or_default();
            if key != load_balancer::PRESERVE_CLIENT_IP {
                if let Some(why) = load_balancer::unknown_attribute_key(&key) {
                    let message = format!("target group `{}`: {why}", res.id);
                    self.warn("np::cfn::target-group-attribute", message, a.span);
                }
                continue;
            }
            let Some(value) = field("Value") else {
                continue;
            };
            match load_balancer::preserve_client_ip_value(value) {
                Ok(v) => found = v.or(found),
                Err(why) => self.warn(
                    "np::cfn::target-group-attribute",
                    format!("target group `{}`: {why}", res.id),
                    a.span,
                ),
            }
        }
        Ok(found)
    }

    fn listener(&mut self, res: &Resource<'d>, p: &Props<'_, 'd>) -> Result<(), LoadError> {
        let lb = p.req_string("LoadBalancerArn")?;
        let port = load_balancer::port(&p.req("Port")?)?;
        let target_groups = forward_targets(&p.list("DefaultActions")?, self.r)?;
        let listeners = load_balancer::listener_protocols(p.string("Protocol")?.as_deref())
            .into_iter()
            .map(|protocol| Listener {
                protocol,
                port,
                target_groups: target_groups.clone(),
                span: Some(res.node.span),
            });
        let Some(l) = self.parts.load_balancer_mut(&lb) else {
            return Err(dangling(self.r, res, "load balancer", &lb));
        };
        l.listeners.extend(listeners);
        self.listener_owners.insert(res.id.to_string(), lb);
        Ok(())
    }

    /// Hands the records to the records step with what the template
    /// implies ([`records::finish`]), then adds the groups EKS creates,
    /// whose VPC is their interfaces' (subnets placed from outside
    /// included).
    fn finish(&mut self) {
        for (reason, (subnets, span)) in std::mem::take(&mut self.unknown_zones) {
            self.warn(
                "np::cfn::unresolved-az",
                format!(
                    "availability zones of {} unknown ({reason})",
                    subnets.join(", ")
                ),
                span,
            );
        }
        let mut how = Finish::new(Format::Template, Outside::Placed);
        how.public_by_subnet = std::mem::take(&mut self.public_by_subnet)
            .into_iter()
            .collect();
        how.default_vpc = Some(DefaultVpcUse {
            region: self.r.region(),
            zones: std::mem::take(&mut self.default_zones),
            users: std::mem::take(&mut self.default_vpc_users),
        });
        how.appliance_endpoints = std::mem::take(&mut self.appliance_endpoints);
        how.ipv6 = std::mem::take(&mut self.ipv6);
        let outside_rules = std::mem::take(&mut self.external_rules);
        for (group, egress, _) in &outside_rules {
            if *egress {
                self.explicit_egress.insert(group.clone());
            }
        }
        how.outside_rules = outside_rules;
        // A group from outside the template keeps no rule: its rules are unknown.
        let resolvers = self.resolvers;
        how.created_without_egress = (self.parts.security_groups.iter())
            .map(|g| &g.meta.id)
            .filter(|id| !self.explicit_egress.contains(*id) && !self.base_ids.contains(*id))
            .filter(|id| resolvers.iter().all(|r| outside(r, id).is_none()))
            .cloned()
            .collect();
        let outside_ids = |id: &str| {
            resolvers
                .iter()
                .find_map(|r| r.unknown(id))
                .or_else(|| records::external::deployed_id(id))
        };
        let said = records::finish::finish(&mut self.parts, how, &outside_ids);
        self.warnings.extend(said);
        self.add_cluster_groups();
    }
}

/// `res` names a `kind` the template does not define: an error, unless the
/// id is a value known only outside the template, which the caller turns
/// into a warning.
fn dangling(r: &Resolver<'_>, res: &Resource<'_>, kind: &str, id: &str) -> LoadError {
    match outside(r, id) {
        Some(why) => LoadError::External {
            message: format!("`{}` names {kind} `{id}`, {why}", res.id),
            span: res.node.span,
        },
        None => records::dangling(res.id, kind, id, res.node.span, "the template"),
    }
}

/// Why `id` is known only outside the template: a value the resolver could
/// not know, or the id of an object of the deployed account.
fn outside(r: &Resolver<'_>, id: &str) -> Option<String> {
    r.unknown(id).or_else(|| records::external::deployed_id(id))
}

/// Target groups a list of listener actions forwards to.
fn forward_targets(actions: &[Node], r: &Resolver<'_>) -> Result<Vec<String>, LoadError> {
    let mut out = Vec::new();
    for a in actions {
        if let Some(tg) = a.get("TargetGroupArn") {
            out.push(r.eval_string(tg)?.0);
        }
        if let Some(Node {
            value: Value::Seq(groups),
            ..
        }) = a.get("ForwardConfig").and_then(|f| f.get("TargetGroups"))
        {
            for g in groups {
                if let Some(tg) = g.get("TargetGroupArn") {
                    out.push(r.eval_string(tg)?.0);
                }
            }
        }
    }
    Ok(out)
}
