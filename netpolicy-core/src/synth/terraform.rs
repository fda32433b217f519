//! Writes a model as `terraform show -json` output of a plan that creates it,
//! as the AWS provider describes one: ids, ARNs and every attribute that
//! names another resource are unknown until apply, and the configuration
//! holds the references (`vpc_id = aws_vpc.main.id`). Rules, routes, NACL
//! associations and target attachments are their own resources, as current
//! provider guidance writes them; a VPC's main route table and default NACL
//! are `aws_default_route_table` / `aws_default_network_acl`. Loading it gives
//! the same network up to naming: resources are named after the model ids.

use super::aws_cli::protocol_number;
use crate::model::*;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

const PROVIDER: &str = "registry.terraform.io/hashicorp/aws";

/// How a plan writes routes and security-group rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Blocks {
    /// As resources of their own (`aws_route`,
    /// `aws_vpc_security_group_ingress_rule`), as current provider guidance
    /// writes them.
    #[default]
    Resources,
    /// As `route` blocks of their table and `ingress`/`egress` blocks of
    /// their group, as many existing configurations and modules write them.
    Inline,
}

/// Writes the plan of `model` to `out`, routes and rules as resources.
pub fn write(model: &Model, out: &mut impl Write) -> io::Result<()> {
    write_with(model, Blocks::Resources, out)
}

/// Writes the plan of `model` to `out`, routes and rules as `blocks` says.
pub fn write_with(model: &Model, blocks: Blocks, out: &mut impl Write) -> io::Result<()> {
    let plan = Plan::new(model, blocks);
    out.write_all(b"{\"format_version\":\"1.2\",\"terraform_version\":\"1.9.8\",\"planned_values\":{\"root_module\":{\"resources\":[")?;
    section(out, plan.resources(), |r| r.planned())?;
    out.write_all(b"]}},\"resource_changes\":[")?;
    section(out, plan.resources(), |r| r.change())?;
    out.write_all(b"],\"configuration\":{\"provider_config\":{\"aws\":{\"name\":\"aws\",\"full_name\":\"registry.terraform.io/hashicorp/aws\"}},\"root_module\":{\"resources\":[")?;
    section(out, plan.resources(), |r| r.configured())?;
    out.write_all(b"]}}}\n")
}

fn section(
    out: &mut impl Write,
    resources: impl Iterator<Item = Resource>,
    render: impl Fn(&Resource) -> Value,
) -> io::Result<()> {
    for (i, r) in resources.enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &render(&r)).map_err(io::Error::other)?;
    }
    Ok(())
}

/// A Terraform resource name for a model id.
pub fn resource_name(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, 'r');
    }
    out
}

/// An address and the attribute a reference reads (`id`, `arn`).
struct Target {
    address: String,
    attribute: &'static str,
}

/// `block[index].attribute = target.id`, or `= [a.id, ...]` when `list`.
struct Nested {
    block: &'static str,
    index: usize,
    attribute: &'static str,
    targets: Vec<Target>,
    list: bool,
}

/// One resource: what the plan knows, and the attributes that refer to other
/// resources (unknown until apply).
struct Resource {
    kind: &'static str,
    name: String,
    values: Map<String, Value>,
    refs: Vec<(&'static str, Vec<Target>, bool)>,
    /// References inside nested blocks (`default_action[0].target_group_arn`).
    nested: Vec<Nested>,
    /// Attributes only known after apply besides those references.
    computed: &'static [&'static str],
}

impl Resource {
    fn new(kind: &'static str, name: String, values: Value) -> Self {
        let values = match values {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Resource {
            kind,
            name,
            values,
            refs: Vec::new(),
            nested: Vec::new(),
            computed: &["id", "arn"],
        }
    }

    /// `attribute = target.id`.
    fn refer(mut self, attribute: &'static str, target: Target) -> Self {
        self.refs.push((attribute, vec![target], false));
        self
    }

    /// `attribute = [a.id, b.id, ...]`.
    fn refer_all(mut self, attribute: &'static str, targets: Vec<Target>) -> Self {
        self.refs.push((attribute, targets, true));
        self
    }

    /// `block[index].attribute = target.id`: the planned value leaves it out.
    fn refer_in(
        &mut self,
        block: &'static str,
        index: usize,
        attribute: &'static str,
        target: Target,
    ) {
        self.nested.push(Nested {
            block,
            index,
            attribute,
            targets: vec![target],
            list: false,
        });
    }

    /// `block[index].attribute = [a.id, ...]`: the planned value holds a null
    /// for each, as Terraform keeps the positions of unknown elements.
    fn refer_all_in(
        &mut self,
        block: &'static str,
        index: usize,
        attribute: &'static str,
        targets: Vec<Target>,
    ) {
        self.nested.push(Nested {
            block,
            index,
            attribute,
            targets,
            list: true,
        });
    }

    /// The nested references rendered per block as a list of objects, one
    /// per block of the planned values (`{}` where a block refers to none).
    fn nested_by_block(&self, render: impl Fn(&Nested) -> Value) -> Map<String, Value> {
        let mut out = Map::new();
        for n in &self.nested {
            let len = match self.values.get(n.block) {
                Some(Value::Array(items)) => items.len(),
                _ => 0,
            }
            .max(n.index + 1);
            let blocks = out
                .entry(n.block)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = blocks {
                items.resize(len, json!({}));
                if let Some(Value::Object(m)) = items.get_mut(n.index) {
                    m.insert(n.attribute.into(), render(n));
                }
            }
        }
        out
    }

    fn address(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }

    fn header(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("address".into(), json!(self.address()));
        m.insert("mode".into(), json!("managed"));
        m.insert("type".into(), json!(self.kind));
        m.insert("name".into(), json!(self.name));
        m.insert("provider_name".into(), json!(PROVIDER));
        m
    }

    fn planned(&self) -> Value {
        let mut m = self.header();
        m.insert("schema_version".into(), json!(0));
        m.insert("values".into(), Value::Object(self.values.clone()));
        m.insert("sensitive_values".into(), json!({}));
        Value::Object(m)
    }

    fn unknown(&self) -> Value {
        let mut u = Map::new();
        for c in self.computed {
            u.insert((*c).into(), json!(true));
        }
        for (attribute, targets, list) in &self.refs {
            let flag = if *list {
                json!(vec![true; targets.len()])
            } else {
                json!(true)
            };
            u.insert((*attribute).into(), flag);
        }
        u.extend(self.nested_by_block(|n| {
            if n.list {
                json!(vec![true; n.targets.len()])
            } else {
                json!(true)
            }
        }));
        Value::Object(u)
    }

    fn change(&self) -> Value {
        let mut m = self.header();
        let change = json!({
            "actions": ["create"],
            "before": null,
            "after": self.values,
            "after_unknown": self.unknown(),
            "before_sensitive": false,
            "after_sensitive": {},
        });
        m.insert("change".into(), change);
        Value::Object(m)
    }

    fn configured(&self) -> Value {
        let references = |targets: &[&Target]| -> Value {
            let mut list = Vec::new();
            for t in targets {
                list.push(json!(format!("{}.{}", t.address, t.attribute)));
                list.push(json!(t.address));
            }
            json!({ "references": list })
        };
        let mut expressions = Map::new();
        for (attribute, targets, _) in &self.refs {
            expressions.insert(
                (*attribute).into(),
                references(&targets.iter().collect::<Vec<_>>()),
            );
        }
        expressions
            .extend(self.nested_by_block(|n| references(&n.targets.iter().collect::<Vec<_>>())));
        let mut m = Map::new();
        m.insert("address".into(), json!(self.address()));
        m.insert("mode".into(), json!("managed"));
        m.insert("type".into(), json!(self.kind));
        m.insert("name".into(), json!(self.name));
        m.insert("provider_config_key".into(), json!("aws"));
        m.insert("expressions".into(), Value::Object(expressions));
        m.insert("schema_version".into(), json!(0));
        Value::Object(m)
    }
}

fn tags(meta: &Meta) -> Value {
    let mut tags: Map<String, Value> = meta
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if let Some(name) = &meta.name {
        tags.entry("Name").or_insert_with(|| json!(name));
    }
    Value::Object(tags)
}

use super::from_to as ports;

/// The attributes of an `aws_route_table`'s `route` block.
const ROUTE_BLOCK: &[&str] = &[
    "carrier_gateway_id",
    "cidr_block",
    "core_network_arn",
    "destination_prefix_list_id",
    "egress_only_gateway_id",
    "gateway_id",
    "ipv6_cidr_block",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

/// The model's lookups the plan needs.
struct Plan<'m> {
    model: &'m Model,
    blocks: Blocks,
    main_tables: HashSet<&'m str>,
    default_acls: HashSet<&'m str>,
    /// An instance's primary interface, to route to the instance.
    primary_eni: HashMap<&'m str, &'m str>,
}

impl<'m> Plan<'m> {
    fn new(model: &'m Model, blocks: Blocks) -> Self {
        let p = model.parts();
        let main_tables = p
            .vpcs
            .iter()
            .filter_map(|v| v.main_route_table.as_deref())
            .collect();
        let default_acls = p
            .vpcs
            .iter()
            .filter_map(|v| v.default_network_acl.as_deref())
            .collect();
        let primary_eni = (p.instances.iter())
            .filter_map(|i| Some((i.enis.first()?.as_str(), i.meta.id.as_str())))
            .collect();
        Plan {
            model,
            blocks,
            main_tables,
            default_acls,
            primary_eni,
        }
    }

    fn target(kind: &'static str, id: &str) -> Target {
        Target {
            address: format!("{kind}.{}", resource_name(id)),
            attribute: "id",
        }
    }

    fn table(&self, id: &str) -> Target {
        let kind = if self.main_tables.contains(id) {
            "aws_default_route_table"
        } else {
            "aws_route_table"
        };
        Plan::target(kind, id)
    }

    fn acl(&self, id: &str) -> Target {
        let kind = if self.default_acls.contains(id) {
            "aws_default_network_acl"
        } else {
            "aws_network_acl"
        };
        Plan::target(kind, id)
    }

    fn arn(kind: &'static str, id: &str) -> Target {
        Target {
            attribute: "arn",
            ..Plan::target(kind, id)
        }
    }

    fn groups(ids: &[String]) -> Vec<Target> {
        ids.iter()
            .map(|g| Plan::target("aws_security_group", g))
            .collect()
    }

    fn resources(&self) -> impl Iterator<Item = Resource> + '_ {
        let p = self.model.parts();
        (p.vpcs.iter().flat_map(|v| self.vpc(v)))
            .chain(p.subnets.iter().flat_map(|s| self.subnet(s)))
            .chain(p.route_tables.iter().flat_map(|t| self.route_table(t)))
            .chain(p.internet_gateways.iter().map(|g| self.internet_gateway(g)))
            .chain(p.vpn_gateways.iter().flat_map(|g| self.vpn_gateway(g)))
            .chain(p.nat_gateways.iter().flat_map(|n| self.nat_gateway(n)))
            .chain(p.peerings.iter().map(|x| self.peering(x)))
            .chain(
                p.security_groups
                    .iter()
                    .flat_map(|g| self.security_group(g)),
            )
            .chain(p.network_acls.iter().map(|a| self.network_acl(a)))
            .chain(p.instances.iter().filter_map(|i| self.instance(i)))
            .chain(p.enis.iter().filter_map(|e| self.interface(e)))
            .chain(
                p.load_balancers
                    .iter()
                    .flat_map(|lb| self.load_balancer(lb)),
            )
            .chain(p.target_groups.iter().flat_map(|t| self.target_group(t)))
            .chain(p.vpc_endpoints.iter().map(|e| self.endpoint(e)))
            .chain(p.prefix_lists.iter().map(|l| self.prefix_list(l)))
    }

    fn vpc(&self, v: &Vpc) -> Vec<Resource> {
        let name = resource_name(&v.meta.id);
        let mut out = Vec::new();
        for (i, block) in v.cidr_blocks.iter().enumerate() {
            if i == 0 {
                let values = json!({"cidr_block": block.to_string(), "enable_dns_support": true, "enable_dns_hostnames": true, "tags": tags(&v.meta)});
                let mut r = Resource::new("aws_vpc", name.clone(), values);
                r.computed = &[
                    "id",
                    "arn",
                    "main_route_table_id",
                    "default_network_acl_id",
                    "default_security_group_id",
                ];
                out.push(r);
            } else {
                let values = json!({"cidr_block": block.to_string()});
                out.push(
                    Resource::new(
                        "aws_vpc_ipv4_cidr_block_association",
                        format!("{name}_{i}"),
                        values,
                    )
                    .refer("vpc_id", Plan::target("aws_vpc", &v.meta.id)),
                );
            }
        }
        out
    }

    fn subnet(&self, s: &Subnet) -> Vec<Resource> {
        let name = resource_name(&s.meta.id);
        let mut values = json!({"cidr_block": s.cidr.to_string(), "map_public_ip_on_launch": s.map_public_ip_on_launch, "tags": tags(&s.meta)});
        if let (Some(az), Some(map)) = (&s.availability_zone, values.as_object_mut()) {
            map.insert("availability_zone".into(), json!(az));
        }
        let mut out = vec![
            Resource::new("aws_subnet", name.clone(), values)
                .refer("vpc_id", Plan::target("aws_vpc", &s.vpc)),
        ];
        let subnet = || Plan::target("aws_subnet", &s.meta.id);
        if let Some(t) = &s.route_table {
            out.push(
                Resource::new("aws_route_table_association", name.clone(), json!({}))
                    .refer("subnet_id", subnet())
                    .refer("route_table_id", self.table(t)),
            );
        }
        if let Some(a) = &s.network_acl {
            out.push(
                Resource::new("aws_network_acl_association", name, json!({}))
                    .refer("subnet_id", subnet())
                    .refer("network_acl_id", self.acl(a)),
            );
        }
        out
    }

    fn route_table(&self, t: &RouteTable) -> Vec<Resource> {
        let name = resource_name(&t.meta.id);
        let mut table = if self.main_tables.contains(t.meta.id.as_str()) {
            Resource::new(
                "aws_default_route_table",
                name.clone(),
                json!({"tags": tags(&t.meta)}),
            )
            .refer(
                "default_route_table_id",
                Target {
                    attribute: "default_route_table_id",
                    ..Plan::target("aws_vpc", &t.vpc)
                },
            )
        } else {
            Resource::new(
                "aws_route_table",
                name.clone(),
                json!({"tags": tags(&t.meta)}),
            )
            .refer("vpc_id", Plan::target("aws_vpc", &t.vpc))
        };
        let written =
            (t.routes.iter().enumerate()).filter_map(|(i, r)| Some((i, r, self.route_target(r)?)));
        if self.blocks == Blocks::Inline {
            let mut blocks = Vec::new();
            for (_, route, target) in written {
                let index = blocks.len();
                blocks.push(self.route_block(&mut table, index, route, target));
            }
            table.values.insert("route".into(), Value::Array(blocks));
            return vec![table];
        }
        // Routes written as `aws_route` resources leave the table's `route`
        // to the provider: unknown until apply on creation.
        table.computed = &["id", "arn", "owner_id", "route"];
        let mut out = vec![table];
        for (i, route, target) in written {
            let destination = match &route.destination {
                RouteDestination::Cidr(c) => json!({"destination_cidr_block": c.to_string()}),
                RouteDestination::PrefixList(_) => json!({}),
            };
            let mut r = Resource::new("aws_route", format!("{name}_{i}"), destination)
                .refer("route_table_id", self.table(&t.meta.id));
            if let RouteDestination::PrefixList(l) = &route.destination {
                r = self.prefix_list_ref(r, "destination_prefix_list_id", l);
            }
            out.push(match target {
                (attribute, Ok(target)) => r.refer(attribute, target),
                (attribute, Err(id)) => {
                    r.values.insert(attribute.into(), json!(id));
                    r
                }
            });
        }
        out
    }

    /// One `route` block of `table` (its `index`-th), with every attribute
    /// of the block's schema: unset ones empty, references left out of the
    /// planned value (unknown until apply) and noted on `table`.
    fn route_block(
        &self,
        table: &mut Resource,
        index: usize,
        route: &Route,
        (attribute, target): (&'static str, Result<Target, String>),
    ) -> Value {
        let mut block: Map<String, Value> = ROUTE_BLOCK
            .iter()
            .map(|k| ((*k).into(), json!("")))
            .collect();
        match &route.destination {
            RouteDestination::Cidr(c) => {
                block.insert("cidr_block".into(), json!(c.to_string()));
            }
            RouteDestination::PrefixList(l) if self.model.prefix_list(l).is_some() => {
                block.remove("destination_prefix_list_id");
                let list = Plan::target("aws_ec2_managed_prefix_list", l);
                table.refer_in("route", index, "destination_prefix_list_id", list);
            }
            RouteDestination::PrefixList(l) => {
                block.insert("destination_prefix_list_id".into(), json!(l));
            }
        }
        match target {
            Ok(target) => {
                block.remove(attribute);
                table.refer_in("route", index, attribute, target);
            }
            Err(id) => {
                block.insert(attribute.into(), json!(id));
            }
        }
        Value::Object(block)
    }

    /// The attribute a route's target is written in, and what it holds: a
    /// reference to a resource of the plan, or an id from outside it.
    /// `None` for what a plan does not write (the local route, a blackhole).
    fn route_target(&self, route: &Route) -> Option<(&'static str, Result<Target, String>)> {
        let inline = self.blocks == Blocks::Inline;
        Some(match &route.target {
            RouteTarget::Local | RouteTarget::Blackhole => return None,
            RouteTarget::InternetGateway(g) => {
                ("gateway_id", Ok(Plan::target("aws_internet_gateway", g)))
            }
            RouteTarget::VpnGateway(g) => ("gateway_id", Ok(Plan::target("aws_vpn_gateway", g))),
            RouteTarget::NatGateway(n) => {
                ("nat_gateway_id", Ok(Plan::target("aws_nat_gateway", n)))
            }
            RouteTarget::Peering(x) => (
                "vpc_peering_connection_id",
                Ok(Plan::target("aws_vpc_peering_connection", x)),
            ),
            RouteTarget::GatewayEndpoint(x) => {
                ("vpc_endpoint_id", Ok(Plan::target("aws_vpc_endpoint", x)))
            }
            RouteTarget::TransitGateway(x) => ("transit_gateway_id", Err(x.clone())),
            RouteTarget::NetworkInterface(e) => match self.primary_eni.get(e.as_str()) {
                // A `route` block has no `instance_id`: it names the
                // instance's primary interface.
                Some(instance) if inline => (
                    "network_interface_id",
                    Ok(Target {
                        attribute: "primary_network_interface_id",
                        ..Plan::target("aws_instance", instance)
                    }),
                ),
                Some(instance) => ("instance_id", Ok(Plan::target("aws_instance", instance))),
                None if self.model.eni(e).is_some() => (
                    "network_interface_id",
                    Ok(Plan::target("aws_network_interface", e)),
                ),
                None => ("network_interface_id", Err(e.clone())),
            },
        })
    }

    fn internet_gateway(&self, g: &InternetGateway) -> Resource {
        let r = Resource::new(
            "aws_internet_gateway",
            resource_name(&g.meta.id),
            json!({"tags": tags(&g.meta)}),
        );
        match &g.vpc {
            Some(vpc) => r.refer("vpc_id", Plan::target("aws_vpc", vpc)),
            None => r,
        }
    }

    fn vpn_gateway(&self, g: &VpnGateway) -> Vec<Resource> {
        let name = resource_name(&g.meta.id);
        let mut r = Resource::new(
            "aws_vpn_gateway",
            name.clone(),
            json!({"tags": tags(&g.meta)}),
        );
        if let Some(vpc) = &g.vpc {
            r = r.refer("vpc_id", Plan::target("aws_vpc", vpc));
        }
        let mut out = vec![r];
        if g.has_vpn_connection {
            out.push(Resource::new(
                "aws_customer_gateway",
                name.clone(),
                json!({"bgp_asn": "65000", "ip_address": "198.51.100.1", "type": "ipsec.1"}),
            ));
            out.push(
                Resource::new(
                    "aws_vpn_connection",
                    name,
                    json!({"type": "ipsec.1", "static_routes_only": true}),
                )
                .refer(
                    "vpn_gateway_id",
                    Plan::target("aws_vpn_gateway", &g.meta.id),
                )
                .refer(
                    "customer_gateway_id",
                    Plan::target("aws_customer_gateway", &g.meta.id),
                ),
            );
        }
        out
    }

    fn nat_gateway(&self, n: &NatGateway) -> Vec<Resource> {
        let name = resource_name(&n.meta.id);
        let mut values = json!({"connectivity_type": if n.public { "public" } else { "private" }, "tags": tags(&n.meta)});
        if let (Some(ip), Some(map)) = (n.private_ip, values.as_object_mut()) {
            map.insert("private_ip".into(), json!(ip.to_string()));
        }
        let mut nat = Resource::new("aws_nat_gateway", name.clone(), values)
            .refer("subnet_id", Plan::target("aws_subnet", &n.subnet));
        let mut out = Vec::new();
        if n.public {
            let mut eip = Resource::new("aws_eip", name, json!({"domain": "vpc"}));
            eip.computed = &["id", "arn", "public_ip", "allocation_id"];
            nat = nat.refer("allocation_id", Plan::target("aws_eip", &n.meta.id));
            out.push(eip);
        }
        out.push(nat);
        out
    }

    fn peering(&self, x: &Peering) -> Resource {
        Resource::new(
            "aws_vpc_peering_connection",
            resource_name(&x.meta.id),
            json!({"auto_accept": x.active, "tags": tags(&x.meta)}),
        )
        .refer("vpc_id", Plan::target("aws_vpc", &x.requester_vpc))
        .refer("peer_vpc_id", Plan::target("aws_vpc", &x.accepter_vpc))
    }

    /// The group, and one rule resource per rule (Terraform drops the
    /// allow-all egress rule EC2 adds, so that one is written too).
    fn security_group(&self, g: &SecurityGroup) -> Vec<Resource> {
        let name = resource_name(&g.meta.id);
        let label = g.meta.name.as_deref().unwrap_or(&g.meta.id);
        let values = json!({"name": label, "description": format!("{label} security group"), "tags": tags(&g.meta)});
        let mut group = Resource::new("aws_security_group", name.clone(), values)
            .refer("vpc_id", Plan::target("aws_vpc", &g.vpc));
        if self.blocks == Blocks::Inline {
            for (block, rules) in [("ingress", &g.ingress), ("egress", &g.egress)] {
                let blocks = (rules.iter().enumerate())
                    .map(|(i, rule)| self.rule_block(&mut group, block, i, g, rule))
                    .collect();
                group.values.insert(block.into(), Value::Array(blocks));
            }
            return vec![group];
        }
        // Rules written as their own resources leave the group's `ingress`
        // and `egress` to the provider: unknown until apply on creation.
        group.computed = &["id", "arn", "owner_id", "ingress", "egress"];
        let mut out = vec![group];
        for (kind, direction, rules) in [
            ("aws_vpc_security_group_ingress_rule", "in", &g.ingress),
            ("aws_vpc_security_group_egress_rule", "out", &g.egress),
        ] {
            for (i, rule) in rules.iter().enumerate() {
                out.push(self.rule(kind, format!("{name}_{direction}_{i}"), g, rule));
            }
        }
        out
    }

    /// One `ingress` or `egress` block (`block`, the `index`-th) of `group`,
    /// with every attribute of the block's schema; references are unknown
    /// until apply (nulls in the planned value) and noted on `group`.
    fn rule_block(
        &self,
        group: &mut Resource,
        block: &'static str,
        index: usize,
        g: &SecurityGroup,
        rule: &SecurityGroupRule,
    ) -> Value {
        let (from, to) = ports(rule.traffic).unwrap_or((0, 0));
        let mut b = json!({
            "cidr_blocks": [],
            "description": rule.description.as_deref().unwrap_or_default(),
            "from_port": from,
            "ipv6_cidr_blocks": [],
            "prefix_list_ids": [],
            "protocol": super::aws_cli::protocol_name(rule.traffic.protocol),
            "security_groups": [],
            "self": false,
            "to_port": to,
        });
        let (attribute, value) = match &rule.peer {
            RulePeer::Cidr(c) => ("cidr_blocks", json!([c.to_string()])),
            RulePeer::SecurityGroup(peer) if *peer == g.meta.id => ("self", json!(true)),
            RulePeer::SecurityGroup(peer) => {
                let target = Plan::target("aws_security_group", peer);
                group.refer_all_in(block, index, "security_groups", vec![target]);
                ("security_groups", json!([null]))
            }
            RulePeer::PrefixList(l) if self.model.prefix_list(l).is_some() => {
                let target = Plan::target("aws_ec2_managed_prefix_list", l);
                group.refer_all_in(block, index, "prefix_list_ids", vec![target]);
                ("prefix_list_ids", json!([null]))
            }
            RulePeer::PrefixList(l) => ("prefix_list_ids", json!([l])),
        };
        if let Some(m) = b.as_object_mut() {
            m.insert(attribute.into(), value);
        }
        b
    }

    fn rule(
        &self,
        kind: &'static str,
        name: String,
        g: &SecurityGroup,
        rule: &SecurityGroupRule,
    ) -> Resource {
        let mut values = Map::new();
        values.insert(
            "ip_protocol".into(),
            json!(super::aws_cli::protocol_name(rule.traffic.protocol)),
        );
        if let Some((from, to)) = ports(rule.traffic) {
            values.insert("from_port".into(), json!(from));
            values.insert("to_port".into(), json!(to));
        }
        if let Some(d) = &rule.description {
            values.insert("description".into(), json!(d));
        }
        match &rule.peer {
            RulePeer::Cidr(c) => {
                values.insert("cidr_ipv4".into(), json!(c.to_string()));
            }
            RulePeer::PrefixList(_) | RulePeer::SecurityGroup(_) => {}
        }
        let mut r = Resource::new(kind, name, Value::Object(values)).refer(
            "security_group_id",
            Plan::target("aws_security_group", &g.meta.id),
        );
        if let RulePeer::PrefixList(l) = &rule.peer {
            r = self.prefix_list_ref(r, "prefix_list_id", l);
        }
        if let RulePeer::SecurityGroup(peer) = &rule.peer {
            r = r.refer(
                "referenced_security_group_id",
                Plan::target("aws_security_group", peer),
            );
        }
        r
    }

    fn network_acl(&self, a: &NetworkAcl) -> Resource {
        let entry = |e: &NaclEntry| {
            let (from, to) = match e.traffic.protocol {
                Protocol::Icmp => (0, 0),
                _ => ports(e.traffic).unwrap_or((0, 0)),
            };
            let mut m = json!({
                "rule_no": e.rule_number,
                "action": if e.action == NaclAction::Allow { "allow" } else { "deny" },
                "protocol": protocol_number(e.traffic.protocol),
                "cidr_block": e.cidr.to_string(),
                "ipv6_cidr_block": "",
                "from_port": from,
                "to_port": to,
            });
            if let (Protocol::Icmp, Some((t, c)), Some(map)) =
                (e.traffic.protocol, ports(e.traffic), m.as_object_mut())
            {
                map.insert("icmp_type".into(), json!(t));
                map.insert("icmp_code".into(), json!(c));
            }
            m
        };
        let ingress: Vec<Value> = a.entries.iter().filter(|e| !e.egress).map(entry).collect();
        let egress: Vec<Value> = a.entries.iter().filter(|e| e.egress).map(entry).collect();
        let values = json!({"ingress": ingress, "egress": egress, "tags": tags(&a.meta)});
        let name = resource_name(&a.meta.id);
        if self.default_acls.contains(a.meta.id.as_str()) {
            Resource::new("aws_default_network_acl", name, values).refer(
                "default_network_acl_id",
                Target {
                    attribute: "default_network_acl_id",
                    ..Plan::target("aws_vpc", &a.vpc)
                },
            )
        } else {
            Resource::new("aws_network_acl", name, values)
                .refer("vpc_id", Plan::target("aws_vpc", &a.vpc))
        }
    }

    /// An instance with its primary interface (the writer's organizations
    /// give each instance one).
    fn instance(&self, i: &Instance) -> Option<Resource> {
        let e = self.model.eni(i.enis.first()?)?;
        let mut values = json!({
            "ami": "ami-0abcdef1234567890",
            "instance_type": "t3.micro",
            "associate_public_ip_address": e.public_ip.is_some() || e.auto_public_ip,
            "tags": tags(&i.meta),
        });
        if let (Some(ip), Some(map)) = (e.private_ips.first(), values.as_object_mut()) {
            map.insert("private_ip".into(), json!(ip.to_string()));
        }
        let mut r = Resource::new("aws_instance", resource_name(&i.meta.id), values)
            .refer("subnet_id", Plan::target("aws_subnet", &e.subnet))
            .refer_all("vpc_security_group_ids", Plan::groups(&e.security_groups));
        r.computed = &["id", "arn", "public_ip", "primary_network_interface_id"];
        Some(r)
    }

    /// `attribute` names prefix list `id`: a reference when the plan creates
    /// the list, else the (AWS-managed) id itself.
    fn prefix_list_ref(&self, mut r: Resource, attribute: &'static str, id: &str) -> Resource {
        if self.model.prefix_list(id).is_some() {
            return r.refer(attribute, Plan::target("aws_ec2_managed_prefix_list", id));
        }
        r.values.insert(attribute.into(), json!(id));
        r
    }

    /// A standalone interface; those of instances, load balancers, NAT
    /// gateways and endpoints come with their owner.
    fn interface(&self, e: &Eni) -> Option<Resource> {
        if e.owner != EniOwner::None {
            return None;
        }
        let ips: Vec<String> = e.private_ips.iter().map(ToString::to_string).collect();
        let values = json!({"private_ips": ips, "tags": tags(&e.meta)});
        Some(
            Resource::new("aws_network_interface", resource_name(&e.meta.id), values)
                .refer("subnet_id", Plan::target("aws_subnet", &e.subnet))
                .refer_all("security_groups", Plan::groups(&e.security_groups)),
        )
    }

    fn load_balancer(&self, lb: &LoadBalancer) -> Vec<Resource> {
        let name = resource_name(&lb.meta.id);
        let kind = match lb.kind {
            LoadBalancerKind::Application => "application",
            LoadBalancerKind::Network => "network",
        };
        let values = json!({
            "name": lb.meta.name.as_deref().unwrap_or(&name),
            "internal": !lb.internet_facing,
            "load_balancer_type": kind,
            "tags": tags(&lb.meta),
        });
        let mut out = vec![
            Resource::new("aws_lb", name.clone(), values)
                .refer_all(
                    "subnets",
                    lb.subnets
                        .iter()
                        .map(|s| Plan::target("aws_subnet", s))
                        .collect(),
                )
                .refer_all("security_groups", Plan::groups(&lb.security_groups)),
        ];
        for (i, l) in lb.listeners.iter().enumerate() {
            let protocol = super::listener_protocol(lb.kind, l.protocol, l.port);
            let mut values = json!({"port": l.port, "protocol": protocol, "default_action": [{"type": "forward"}]});
            if let (true, Some(map)) = (protocol == "HTTPS", values.as_object_mut()) {
                map.insert("certificate_arn".into(), json!("arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"));
            }
            let mut r = Resource::new("aws_lb_listener", format!("{name}_{i}"), values)
                .refer("load_balancer_arn", Plan::arn("aws_lb", &lb.meta.id));
            if let Some(tg) = l.target_groups.first() {
                r.refer_in(
                    "default_action",
                    0,
                    "target_group_arn",
                    Plan::arn("aws_lb_target_group", tg),
                );
            }
            out.push(r);
        }
        out
    }

    fn target_group(&self, t: &TargetGroup) -> Vec<Resource> {
        let name = resource_name(&t.meta.id);
        let ip = t
            .targets
            .iter()
            .any(|x| matches!(x.target, TargetRef::Ip(_)));
        let values = json!({
            "name": t.meta.name.as_deref().unwrap_or(&name),
            "port": t.port,
            "protocol": if t.protocol == Protocol::Udp { "UDP" } else { "HTTP" },
            "target_type": if ip { "ip" } else { "instance" },
            "tags": tags(&t.meta),
        });
        let mut out = vec![Resource::new("aws_lb_target_group", name.clone(), values)];
        for (i, x) in t.targets.iter().enumerate() {
            let mut values = Map::new();
            if let Some(port) = x.port {
                values.insert("port".into(), json!(port));
            }
            let mut r = Resource::new(
                "aws_lb_target_group_attachment",
                format!("{name}_{i}"),
                Value::Object(values),
            )
            .refer(
                "target_group_arn",
                Plan::arn("aws_lb_target_group", &t.meta.id),
            );
            match &x.target {
                TargetRef::Instance(instance) => {
                    r = r.refer("target_id", Plan::target("aws_instance", instance))
                }
                TargetRef::Ip(a) => {
                    r.values.insert("target_id".into(), json!(a.to_string()));
                }
            }
            out.push(r);
        }
        out
    }

    fn endpoint(&self, e: &VpcEndpoint) -> Resource {
        let kind = if e.kind == EndpointKind::Interface {
            "Interface"
        } else {
            "Gateway"
        };
        Resource::new(
            "aws_vpc_endpoint",
            resource_name(&e.meta.id),
            json!({"service_name": e.service_name, "vpc_endpoint_type": kind}),
        )
        .refer("vpc_id", Plan::target("aws_vpc", &e.vpc))
        .refer_all(
            "subnet_ids",
            e.subnets
                .iter()
                .map(|s| Plan::target("aws_subnet", s))
                .collect(),
        )
        .refer_all("security_group_ids", Plan::groups(&e.security_groups))
        .refer_all(
            "route_table_ids",
            e.route_tables.iter().map(|t| self.table(t)).collect(),
        )
    }

    fn prefix_list(&self, l: &PrefixList) -> Resource {
        let entries: Vec<Value> = l
            .cidrs
            .iter()
            .map(|c| json!({"cidr": c.to_string()}))
            .collect();
        let values = json!({
            "name": l.meta.name.as_deref().unwrap_or(&l.meta.id),
            "address_family": "IPv4",
            "max_entries": entries.len().max(1),
            "entry": entries,
        });
        Resource::new(
            "aws_ec2_managed_prefix_list",
            resource_name(&l.meta.id),
            values,
        )
    }
}
