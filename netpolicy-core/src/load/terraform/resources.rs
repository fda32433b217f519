//! Terraform resource types (AWS provider) to model objects.

use super::{Plan, Reference, Refs, Resource};
use crate::diagnostic::Warning;
use crate::load::LoadError;
use crate::load::document::{Node, Value};
use crate::load::read::{Fields, cidr, invalid, ip};
use crate::load::records::coverage::{Class, Coverage, INCOMPLETE};
use crate::load::records::default_group::DefaultGroups;
use crate::load::records::endpoint::{self, EndpointType};
use crate::load::records::finish::{Finish, Format, Ipv6Skip, Outside};
use crate::load::records::load_balancer;
use crate::load::records::load_balancer::{
    listener_protocols, port as port_of, target_group_transport,
};
use crate::load::records::{self, Records, nacl, route, traffic, unknown};
use crate::model::*;
use crate::span::Span;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use ipnet::Ipv4Net;
use rayon::prelude::*;
use std::net::Ipv4Addr;

/// Builds model objects from the resources of a plan or state: objects first,
/// then what attaches to them (routes, rules, associations, listeners).
pub(crate) struct Builder<'p, 'a> {
    plan: &'p Plan<'a>,
    refs: Refs<'p, 'a>,
    parts: Records,
    /// Peering connections an `aws_vpc_peering_connection_accepter` accepts.
    accepted_peerings: HashSet<String>,
    /// Virtual private gateways an `aws_vpn_connection` uses.
    vpn_connected: HashSet<String>,
    /// A VPC's default route table and NACL ids (in a state), to their VPC.
    vpc_defaults: HashMap<(&'static str, String), String>,
    /// Elastic IPs by id: their address and what they are associated with.
    eips: HashMap<String, Eip>,
    /// Listener id to (load balancer id, listener position).
    listeners: HashMap<String, (String, usize)>,
    /// An instance's known `primary_network_interface_id` (a state's) to the
    /// interface the instance was given.
    primary_interfaces: HashMap<String, String>,
    /// What the plan implies without writing it (its default groups, the
    /// endpoints netpolicy does not follow), for the records step.
    finish: Finish,
}

/// What an `aws_instance` says, read apart from the records (see
/// [`Builder::instances`]).
struct InstanceDraft {
    meta: Meta,
    interfaces: Interfaces,
    /// `primary_network_interface_id`, when known.
    primary_id: Option<String>,
    warnings: Vec<Warning>,
}

/// An instance's network interfaces.
enum Interfaces {
    /// Interfaces of its own, by device index.
    Attached(Vec<(i64, String)>),
    /// None: the instance creates its primary interface (built while the
    /// instances are read in parallel; it is most of a large plan).
    Primary(Box<Eni>),
    /// None, and its subnet is unknown until apply (warned): left out.
    Skipped,
}

impl InstanceDraft {
    /// `maps_public` says, per subnet of the plan, whether it maps public
    /// addresses on launch.
    fn read<'a>(
        plan: &Plan<'a>,
        r: &Resource<'a>,
        maps_public: &HashMap<&str, bool>,
    ) -> Result<Self, LoadError> {
        let meta = plan.meta(r)?;
        let mut refs = Refs {
            plan,
            warnings: Vec::new(),
        };
        let mut attached = Vec::new();
        for (i, b) in r
            .values
            .objects("network_interface", "a network interface")?
            .into_iter()
            .enumerate()
        {
            let index = b.int("device_index")?.unwrap_or(0);
            if let Reference::Ids(ids) =
                refs.nested(r, "network_interface", i, &b, "network_interface_id")?
            {
                attached.extend(ids.into_iter().map(|id| (index, id)));
            }
        }
        let primary_id = r
            .values
            .opt("primary_network_interface_id")
            .and_then(crate::load::document::Node::as_str)
            .filter(|_| r.unknown_at("primary_network_interface_id").is_none())
            .map(str::to_string);
        let interfaces = if !attached.is_empty() {
            Interfaces::Attached(attached)
        } else if let Some(subnet) = refs.req(r, "subnet_id")? {
            let public_ip = r.values.opt("public_ip").map(ip).transpose()?;
            // An unknown `associate_public_ip_address` follows the subnet (docs/semantics.md).
            let associate = r.values.bool("associate_public_ip_address")?;
            let security_groups = refs.many(r, "vpc_security_group_ids")?;
            let private_ip = r.values.opt("private_ip").map(ip).transpose()?;
            // A subnet of the deployed account outside the plan stands
            // as an external subnet, which maps public addresses.
            let maps_public = match maps_public.get(subnet.as_str()) {
                Some(&maps) => maps,
                None => records::external::deployed_id(&subnet).is_some(),
            };
            let id = records::primary_interface(&meta.id);
            Interfaces::Primary(Box::new(Eni {
                meta: meta.inherited(id),
                subnet,
                private_ips: private_ip.into_iter().collect(),
                public_ip,
                auto_public_ip: public_ip.is_none()
                    && records::public_address::at_launch(associate, 0, 1).unwrap_or(maps_public),
                security_groups,
                sg_enforced: true,
                owner: EniOwner::Instance(meta.id.clone()),
                addresses_allocated: false,
            }))
        } else {
            Interfaces::Skipped
        };
        Ok(InstanceDraft {
            meta,
            interfaces,
            primary_id,
            warnings: refs.warnings,
        })
    }
}

/// The rule resources of the VPC API, one peer each.
const VPC_RULES: [&str; 2] = [
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
];

/// An `aws_vpc_security_group_ingress_rule` or `_egress_rule`, read apart
/// from the others.
struct RuleDraft {
    /// The group and its rule; `None` when the rule is left out.
    rule: Option<(String, SecurityGroupRule)>,
    /// Where the rule is, and the group rules it makes unknown, when it was
    /// skipped as IPv6.
    ipv6: Option<(Span, Ipv6Skip)>,
    /// Whether the rule stands for a CIDR known only after apply.
    approximated: bool,
    warnings: Vec<Warning>,
}

impl RuleDraft {
    fn read<'a>(plan: &Plan<'a>, r: &Resource<'a>) -> Result<Self, LoadError> {
        let mut refs = Refs {
            plan,
            warnings: Vec::new(),
        };
        let (mut ipv6, mut approximated) = (None, false);
        let rule = Self::rule(&mut refs, r, &mut ipv6, &mut approximated)?;
        Ok(RuleDraft {
            rule,
            ipv6,
            approximated,
            warnings: refs.warnings,
        })
    }

    fn rule<'a>(
        refs: &mut Refs<'_, 'a>,
        r: &Resource<'a>,
        ipv6: &mut Option<(Span, Ipv6Skip)>,
        approximated: &mut bool,
    ) -> Result<Option<(String, SecurityGroupRule)>, LoadError> {
        let Some(group) = refs.req(r, "security_group_id")? else {
            return Ok(None);
        };
        let traffic = traffic(&r.values, "ip_protocol")?;
        let skip = || Ipv6Skip::rule(&group, r.kind.ends_with("egress_rule"), traffic);
        let peer = if let Some(c) = r.values.opt("cidr_ipv4") {
            match cidr(c)? {
                Ok(net) => RulePeer::Cidr(net),
                Err(_) => {
                    *ipv6 = Some((c.span, skip()));
                    return Ok(None);
                }
            }
        } else if r.values.opt("cidr_ipv6").is_some() {
            *ipv6 = Some((r.span(), skip()));
            return Ok(None);
        } else if let Some(g) = refs.one(r, "referenced_security_group_id")? {
            RulePeer::SecurityGroup(g)
        } else if let Some(p) = refs.one(r, "prefix_list_id")? {
            RulePeer::PrefixList(p)
        } else if r.unknown_in(None, "cidr_ipv4") {
            refs.widened(r, "`cidr_ipv4`", unknown::RULE_CIDR);
            *approximated = true;
            RulePeer::Cidr(unknown::rule_cidr())
        } else {
            refs.unknown(r, "the rule's peer");
            return Ok(None);
        };
        let rule = SecurityGroupRule {
            traffic,
            peer,
            description: r.values.str("description")?,
            implicit: false,
            span: Some(r.span()),
        };
        Ok(Some((group, rule)))
    }
}

#[derive(Default)]
struct Eip {
    /// Its place among the plan's Elastic IPs: they are applied in document
    /// order (a hash map's order would differ from run to run).
    seq: usize,
    public_ip: Option<Ipv4Addr>,
    instance: Option<String>,
    eni: Option<String>,
}

/// The resource types that create objects, in the order they are read.
const CREATE: &[&str] = &[
    "aws_vpc",
    "aws_vpc_ipv4_cidr_block_association",
    "aws_subnet",
    "aws_route_table",
    "aws_default_route_table",
    "aws_internet_gateway",
    "aws_eip",
    "aws_nat_gateway",
    "aws_vpc_peering_connection",
    "aws_vpn_gateway",
    "aws_security_group",
    "aws_default_security_group",
    "aws_network_acl",
    "aws_default_network_acl",
    "aws_network_interface",
    "aws_instance",
    "aws_lb",
    "aws_alb",
    "aws_lb_target_group",
    "aws_alb_target_group",
    "aws_vpc_endpoint",
    "aws_ec2_managed_prefix_list",
];

/// The resources of each kind in [`CREATE`], in that order, each in plan
/// order: one pass over the plan rather than one per kind.
fn by_kind<'r, 'a>(resources: &'r [Resource<'a>]) -> Vec<Vec<&'r Resource<'a>>> {
    let position: HashMap<&str, usize> = CREATE.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let mut grouped = vec![Vec::new(); CREATE.len()];
    for r in resources {
        if let Some(&i) = position.get(r.kind) {
            grouped[i].push(r);
        }
    }
    grouped
}

impl<'p, 'a> Builder<'p, 'a> {
    pub(crate) fn new(plan: &'p Plan<'a>) -> Self {
        Builder {
            plan,
            refs: Refs {
                plan,
                warnings: Vec::new(),
            },
            parts: Records::default(),
            accepted_peerings: HashSet::new(),
            vpn_connected: HashSet::new(),
            vpc_defaults: HashMap::new(),
            eips: HashMap::new(),
            listeners: HashMap::new(),
            primary_interfaces: HashMap::new(),
            finish: Finish::new(Format::Plan, Outside::PlacedThenPruned),
        }
    }

    pub(crate) fn build(&mut self) -> Result<(), LoadError> {
        let plan = self.plan;
        self.index_relations();
        for (kind, of_kind) in CREATE.iter().zip(by_kind(&plan.resources)) {
            if *kind == "aws_instance" {
                self.instances(&of_kind)?;
                continue;
            }
            for r in of_kind {
                self.create(r)?;
            }
        }
        for r in &plan.resources {
            self.inline_routes(r)?;
        }
        // The rule resources are most of what is attached in a large plan:
        // they are read in parallel, then added in plan order.
        let rules: Vec<Option<Result<RuleDraft, LoadError>>> = (plan.resources.par_iter())
            .map(|r| {
                VPC_RULES
                    .contains(&r.kind)
                    .then(|| RuleDraft::read(plan, r))
            })
            .collect();
        for (r, rule) in plan.resources.iter().zip(rules) {
            match rule {
                Some(draft) => self.vpc_sg_rule(r, draft?)?,
                None => self.attach(r)?,
            }
        }
        for r in plan
            .resources
            .iter()
            .filter(|r| r.kind == "aws_lb_listener_rule" || r.kind == "aws_alb_listener_rule")
        {
            self.listener_rule(r)?;
        }
        self.apply_eips();
        self.coverage();
        Ok(())
    }

    /// One warning per resource type that shapes traffic but is not
    /// modelled, and the coverage line (as for templates).
    fn coverage(&mut self) {
        let mut coverage = Coverage::default();
        for r in &self.plan.resources {
            coverage.count(r.kind, class(r.kind), r.address, Some(r.span()));
        }
        self.refs.warnings.extend(coverage.warnings(
            "np::terraform::not-modelled",
            "np::terraform::coverage",
            "",
        ));
    }

    /// The records, the warnings, and what the plan implies for the
    /// records step ([`records::finish`]).
    pub(crate) fn finish(self) -> (ModelParts, Vec<Warning>, Finish) {
        (self.parts.into_parts(), self.refs.warnings, self.finish)
    }

    /// What other resources say about a resource, gathered once: looking it
    /// up per resource would scan the plan each time.
    fn index_relations(&mut self) {
        let plan = self.plan;
        for r in &plan.resources {
            match r.kind {
                "aws_vpc_peering_connection_accepter" => {
                    if let Some(id) = self.refs_of(r, "vpc_peering_connection_id") {
                        self.accepted_peerings.insert(id);
                    }
                }
                "aws_vpn_connection" => {
                    if let Some(id) = self.refs_of(r, "vpn_gateway_id") {
                        self.vpn_connected.insert(id);
                    }
                }
                "aws_vpc" => {
                    for attribute in ["main_route_table_id", "default_network_acl_id"] {
                        if let Some(id) = r.values.opt(attribute).and_then(|n| n.as_str()) {
                            self.vpc_defaults
                                .entry((attribute, id.to_string()))
                                .or_insert_with(|| plan.id(r));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn warn(&mut self, code: &'static str, message: String, span: Span) {
        self.refs
            .warnings
            .push(Warning::new(code, message, Some(span)));
    }

    /// A single-object reference; `None` when absent or unknown (warned).
    fn one(&mut self, r: &Resource<'a>, key: &str) -> Result<Option<String>, LoadError> {
        self.refs.one(r, key)
    }

    /// A required single-object reference; `None` (warned) when unknown.
    fn req(&mut self, r: &Resource<'a>, key: &str) -> Result<Option<String>, LoadError> {
        self.refs.req(r, key)
    }

    /// A list of references; unknown parts are warned about and left out.
    fn many(&mut self, r: &Resource<'a>, key: &str) -> Result<Vec<String>, LoadError> {
        self.refs.many(r, key)
    }

    /// An IPv4 CIDR attribute that must be known.
    fn cidr_attr(&mut self, r: &Resource<'a>, key: &str) -> Result<Option<Ipv4Net>, LoadError> {
        let Some(n) = r.values.opt(key) else {
            if r.unknown_at(key).is_some() {
                self.refs.unknown(r, &format!("`{key}`, so the resource"));
                return Ok(None);
            }
            return Err(LoadError::MissingField {
                field: key.to_string(),
                object: format!("`{}`", r.address),
                span: r.span(),
            });
        };
        Ok(match cidr(n)? {
            Ok(net) => Some(net),
            Err(_) => {
                self.skip_ipv6(n.span, Ipv6Skip::Address);
                None
            }
        })
    }

    /// The nested blocks `block` of `r` the plan knows, with their
    /// positions. Blocks only known after apply are written as nothing, or
    /// as nulls to keep the others' positions: the caller says what stands
    /// for them when `r.unknown_blocks(block)`.
    fn known_blocks(
        r: &Resource<'a>,
        block: &str,
        what: &'static str,
    ) -> Result<Vec<(usize, Fields<'a>)>, LoadError> {
        let mut known = Vec::new();
        for (i, n) in r.values.list(block)?.iter().enumerate() {
            if !matches!(n.value, Value::Null) {
                known.push((i, Fields::new(n, what)?));
            }
        }
        Ok(known)
    }

    /// The IPv4 blocks of a rule's `cidr_blocks` in `values` (the top level
    /// of `r`, or the nested block `at`); IPv6 ones are counted aside. An
    /// element known only after apply (a null) stands as 0.0.0.0/0, with a
    /// warning.
    fn rule_cidrs(
        &mut self,
        r: &Resource<'a>,
        at: Option<(&str, usize)>,
        values: &Fields<'a>,
        (group, egress, traffic): (&str, bool, TrafficMatch),
    ) -> Result<Vec<Ipv4Net>, LoadError> {
        let mut nets = Vec::new();
        for c in values.list("cidr_blocks")? {
            if matches!(c.value, Value::Null) {
                continue;
            }
            match cidr(c)? {
                Ok(net) => nets.push(net),
                Err(_) => self.skip_ipv6(c.span, Ipv6Skip::rule(group, egress, traffic)),
            }
        }
        if r.unknown_in(at, "cidr_blocks") {
            let what = match at {
                Some((block, _)) => format!("a CIDR of an `{block}` rule"),
                None => "a CIDR of the rule".to_string(),
            };
            self.refs.widened(r, &what, unknown::RULE_CIDR);
            (self.parts).approximate_rule(group, egress, Approximation::Wider, traffic);
            nets.push(unknown::rule_cidr());
        }
        Ok(nets)
    }

    /// Warns that some `block`s of `r` (rules or entries) are only known
    /// after apply; what stands for them is what [`unknown::whole_rule`]
    /// allows.
    fn widened_blocks(&mut self, r: &Resource<'a>, block: &str) {
        self.refs
            .widened(r, &format!("an `{block}` block"), unknown::WHOLE_RULE);
    }

    /// Counts an IPv6 part skipped at `span`, which makes `skip` unknown.
    fn skip_ipv6(&mut self, span: Span, skip: Ipv6Skip) {
        self.finish.ipv6.note(Some(span), skip);
    }

    fn create(&mut self, r: &Resource<'a>) -> Result<(), LoadError> {
        let plan = self.plan;
        let meta = plan.meta(r)?;
        match r.kind {
            "aws_vpc" => {
                let Some(net) = self.cidr_attr(r, "cidr_block")? else {
                    return Ok(());
                };
                self.parts.vpcs.push(Vpc {
                    meta,
                    cidr_blocks: vec![net],
                    main_route_table: None,
                    default_network_acl: None,
                });
            }
            "aws_vpc_ipv4_cidr_block_association" => {
                let (Some(vpc), Some(net)) =
                    (self.req(r, "vpc_id")?, self.cidr_attr(r, "cidr_block")?)
                else {
                    return Ok(());
                };
                if let Some(v) = self.parts.vpc_mut(&vpc) {
                    v.cidr_blocks.push(net);
                }
            }
            "aws_subnet" => {
                let Some(vpc) = self.req(r, "vpc_id")? else {
                    return Ok(());
                };
                let Some(net) = self.cidr_attr(r, "cidr_block")? else {
                    return Ok(());
                };
                self.parts.subnets.push(Subnet {
                    meta,
                    vpc,
                    cidr: net,
                    availability_zone: r.values.str("availability_zone")?,
                    map_public_ip_on_launch: r
                        .values
                        .bool("map_public_ip_on_launch")?
                        .unwrap_or(false),
                    route_table: None,
                    network_acl: None,
                });
            }
            "aws_route_table" | "aws_default_route_table" => {
                let key = if r.kind == "aws_route_table" {
                    "vpc_id"
                } else {
                    // `default_route_table_id = aws_vpc.x.default_route_table_id`
                    // refers to the VPC whose main table this is.
                    "default_route_table_id"
                };
                let Some(vpc) = self.req(r, key)? else {
                    return Ok(());
                };
                let vpc = self.vpc_of_default(&vpc, "main_route_table_id");
                if r.kind == "aws_default_route_table"
                    && let Some(v) = self.parts.vpc_mut(&vpc)
                {
                    v.main_route_table = Some(meta.id.clone());
                }
                // Inline routes are read once every target exists
                // (`Builder::inline_routes`).
                self.parts.route_tables.push(RouteTable {
                    meta,
                    vpc,
                    routes: Vec::new(),
                });
            }
            "aws_internet_gateway" => {
                let vpc = self.one(r, "vpc_id")?;
                self.parts
                    .internet_gateways
                    .push(InternetGateway { meta, vpc });
            }
            "aws_eip" => {
                let public_ip = r.values.opt("public_ip").map(ip).transpose()?;
                let instance = self.one(r, "instance")?;
                let eni = self.one(r, "network_interface")?;
                let seq = self.eips.len();
                self.eips.insert(
                    meta.id,
                    Eip {
                        seq,
                        public_ip,
                        instance,
                        eni,
                    },
                );
            }
            "aws_nat_gateway" => {
                let Some(subnet) = self.req(r, "subnet_id")? else {
                    return Ok(());
                };
                let public = r.values.str("connectivity_type")?.as_deref() != Some("private");
                let mut public_ip = r.values.opt("public_ip").map(ip).transpose()?;
                if public_ip.is_none() {
                    let eip = self.one(r, "allocation_id")?;
                    public_ip = eip
                        .and_then(|e| self.eips.get(&e))
                        .and_then(|e| e.public_ip);
                }
                self.parts.nat_gateways.push(NatGateway {
                    meta,
                    subnet,
                    private_ip: r.values.opt("private_ip").map(ip).transpose()?,
                    public,
                    public_ip: public_ip.filter(|_| public),
                });
            }
            "aws_vpc_peering_connection" => {
                let (Some(requester), Some(accepter)) =
                    (self.req(r, "vpc_id")?, self.req(r, "peer_vpc_id")?)
                else {
                    return Ok(());
                };
                let accepted = self.accepted_peerings.contains(&meta.id);
                let active = r.values.str("accept_status")?.as_deref() == Some("active")
                    || r.values.bool("auto_accept")?.unwrap_or(false)
                    || accepted;
                self.parts.peerings.push(Peering {
                    meta,
                    requester_vpc: requester,
                    accepter_vpc: accepter,
                    active,
                });
            }
            "aws_vpn_gateway" => {
                let vpc = self.one(r, "vpc_id")?;
                let has_vpn_connection = self.vpn_connected.contains(&meta.id);
                self.parts.vpn_gateways.push(VpnGateway {
                    meta,
                    vpc,
                    has_vpn_connection,
                });
            }
            "aws_security_group" | "aws_default_security_group" => {
                let Some(vpc) = self.req(r, "vpc_id")? else {
                    return Ok(());
                };
                let mut g = SecurityGroup {
                    meta,
                    vpc,
                    ingress: Vec::new(),
                    egress: Vec::new(),
                };
                if g.meta.name.is_none() {
                    g.meta.name = r.values.str("name")?;
                }
                if r.kind == "aws_default_security_group" {
                    (self.finish.default_groups.declared).insert(g.vpc.clone(), g.meta.id.clone());
                }
                // Terraform removes the default allow-all egress rule: a group's
                // rules are exactly the ones written.
                for (block, egress) in [("ingress", false), ("egress", true)] {
                    let mut rules = Vec::new();
                    for (i, b) in Self::known_blocks(r, block, "a rule")? {
                        rules.extend(self.inline_sg_rule(r, block, i, &b, &g.meta.id)?);
                    }
                    if r.unknown_blocks(block) {
                        self.widened_blocks(r, block);
                        let part = rules_part(&g.meta.id, egress);
                        self.parts.approximate(part, Approximation::Wider);
                        let (traffic, net) = unknown::whole_rule();
                        rules.push(SecurityGroupRule {
                            traffic,
                            peer: RulePeer::Cidr(net),
                            description: Some(format!(
                                "stands for `{block}` blocks known only after apply"
                            )),
                            implicit: false,
                            span: Some(r.span()),
                        });
                    }
                    if egress {
                        g.egress.extend(rules);
                    } else {
                        g.ingress.extend(rules);
                    }
                }
                self.parts.security_groups.push(g);
            }
            "aws_network_acl" | "aws_default_network_acl" => {
                let key = if r.kind == "aws_network_acl" {
                    "vpc_id"
                } else {
                    "default_network_acl_id"
                };
                let Some(vpc) = self.req(r, key)? else {
                    return Ok(());
                };
                let vpc = self.vpc_of_default(&vpc, "default_network_acl_id");
                let mut entries = Vec::new();
                for (block, egress) in [("ingress", false), ("egress", true)] {
                    let mut known = Vec::new();
                    for (i, b) in Self::known_blocks(r, block, "a NACL entry")? {
                        let at = Some((block, i));
                        known.extend(self.nacl_entry(
                            r,
                            at,
                            &b,
                            egress,
                            ("rule_no", "action"),
                            &meta.id,
                        )?);
                    }
                    if r.unknown_blocks(block) {
                        self.widened_blocks(r, block);
                        self.parts
                            .approximate(meta.id.as_str(), Approximation::Wider);
                        entries.push(widest_entry(&known, egress, r.span()));
                    }
                    entries.extend(known);
                }
                for s in self.many(r, "subnet_ids")? {
                    if let Some(sub) = self.parts.subnet_mut(&s) {
                        sub.network_acl = Some(meta.id.clone());
                    }
                }
                if r.kind == "aws_default_network_acl"
                    && let Some(v) = self.parts.vpc_mut(&vpc)
                {
                    v.default_network_acl = Some(meta.id.clone());
                }
                self.parts
                    .network_acls
                    .push(NetworkAcl { meta, vpc, entries });
            }
            "aws_network_interface" => {
                let Some(subnet) = self.req(r, "subnet_id")? else {
                    return Ok(());
                };
                let mut private_ips = Vec::new();
                for n in r.values.list("private_ips")? {
                    private_ips.push(ip(n)?);
                }
                if private_ips.is_empty()
                    && let Some(n) = r.values.opt("private_ip")
                {
                    private_ips.push(ip(n)?);
                }
                let security_groups = self.many(r, "security_groups")?;
                self.parts.enis.push(Eni {
                    meta,
                    subnet,
                    private_ips,
                    public_ip: None,
                    auto_public_ip: false,
                    security_groups,
                    sg_enforced: true,
                    owner: EniOwner::None,
                    addresses_allocated: false,
                });
                self.attach_interface(r)?;
            }
            "aws_instance" => self.instances(&[r])?,
            "aws_lb" | "aws_alb" => {
                let type_ = r.values.str("load_balancer_type")?;
                let kind = match load_balancer::kind(type_.as_deref()) {
                    Some(kind) => kind,
                    None => {
                        let other = type_.unwrap_or_default();
                        self.warn(
                            "np::terraform::not-modelled",
                            format!(
                                "`{}`: load balancers of type {other} are not modelled",
                                r.address
                            ),
                            r.span(),
                        );
                        return Ok(());
                    }
                };
                let mut subnets = self.many(r, "subnets")?;
                for (i, m) in r
                    .values
                    .objects("subnet_mapping", "a subnet mapping")?
                    .into_iter()
                    .enumerate()
                {
                    if let Reference::Ids(ids) =
                        self.refs.nested(r, "subnet_mapping", i, &m, "subnet_id")?
                    {
                        subnets.extend(
                            ids.into_iter()
                                .filter(|s| !subnets.contains(s))
                                .collect::<Vec<_>>(),
                        );
                    }
                }
                let mut meta = meta;
                if meta.name.is_none() {
                    meta.name = r.values.str("name")?;
                }
                let security_groups = self.many(r, "security_groups")?;
                self.parts.load_balancers.push(LoadBalancer {
                    meta,
                    kind,
                    // `internal` is the provider's spelling of the scheme.
                    internet_facing: load_balancer::internet_facing(
                        (r.values.bool("internal")?).map(|internal| {
                            if internal {
                                "internal"
                            } else {
                                "internet-facing"
                            }
                        }),
                    ),
                    subnets,
                    security_groups,
                    listeners: Vec::new(),
                    nodes: Vec::new(),
                });
            }
            "aws_lb_target_group" | "aws_alb_target_group" => {
                let target_type = r.values.str("target_type")?;
                let protocol_text = r.values.str("protocol")?;
                let protocol =
                    target_group_transport(target_type.as_deref(), protocol_text.as_deref());
                let (Some(protocol), Some(port)) = (protocol, r.values.opt("port")) else {
                    let target_type = target_type.as_deref().unwrap_or("instance");
                    self.warn(
                        "np::terraform::not-modelled",
                        format!("`{}` ({target_type} targets) is not modelled: traffic to it is not followed", r.address),
                        r.span(),
                    );
                    return Ok(());
                };
                let mut meta = meta;
                if meta.name.is_none() {
                    meta.name = r.values.str("name")?;
                }
                // Known only after apply when the configuration does not set
                // it: the provider leaves AWS's default.
                let attribute = match r.values.opt("preserve_client_ip") {
                    Some(v) => {
                        records::load_balancer::preserve_client_ip_value(v).unwrap_or_else(|why| {
                            let message = format!("`{}`: {why}", r.address);
                            self.warn("np::terraform::target-group-attribute", message, v.span);
                            None
                        })
                    }
                    None => None,
                };
                self.parts.target_groups.push(TargetGroup {
                    meta,
                    protocol,
                    port: port_of(port)?,
                    targets: Vec::new(),
                    preserve_client_ip: records::load_balancer::preserves_client_ip(
                        target_type.as_deref(),
                        protocol_text.as_deref(),
                        attribute,
                    ),
                });
            }
            "aws_vpc_endpoint" => {
                let Some(vpc) = self.req(r, "vpc_id")? else {
                    return Ok(());
                };
                let type_ = r.values.str("vpc_endpoint_type")?;
                let kind = match endpoint::endpoint_type(type_.as_deref()) {
                    EndpointType::Modelled(kind) => kind,
                    EndpointType::Appliance => {
                        let other = type_.unwrap_or_default();
                        self.finish.appliance_endpoints.insert(meta.id.clone());
                        self.warn(
                            "np::terraform::not-modelled",
                            format!(
                                "`{}`: endpoints of type {other} are not modelled",
                                r.address
                            ),
                            r.span(),
                        );
                        return Ok(());
                    }
                };
                let subnets = self.many(r, "subnet_ids")?;
                let security_groups = self.many(r, "security_group_ids")?;
                let route_tables = self.many(r, "route_table_ids")?;
                self.parts.vpc_endpoints.push(VpcEndpoint {
                    meta,
                    vpc,
                    service_name: r.values.str("service_name")?.unwrap_or_default(),
                    kind,
                    subnets,
                    security_groups,
                    route_tables,
                    enis: Vec::new(),
                });
            }
            "aws_ec2_managed_prefix_list" => {
                let mut cidrs = Vec::new();
                for e in r.values.objects("entry", "a prefix list entry")? {
                    match cidr(e.req("cidr")?)? {
                        Ok(net) => cidrs.push(net),
                        Err(_) => self.skip_ipv6(e.span(), Ipv6Skip::Part(meta.id.clone())),
                    }
                }
                let mut meta = meta;
                if meta.name.is_none() {
                    meta.name = r.values.str("name")?;
                }
                self.parts.prefix_lists.push(PrefixList { meta, cidrs });
            }
            _ => {}
        }
        Ok(())
    }

    /// The VPC behind `aws_vpc.x.default_route_table_id`-style references: the
    /// reference resolves to the VPC itself in a plan; in a state the value is
    /// the table's id, found in the VPC's `attribute`.
    fn vpc_of_default(&mut self, id: &str, attribute: &'static str) -> String {
        if self.parts.vpc(id).is_some() {
            return id.to_string();
        }
        self.vpc_defaults
            .get(&(attribute, id.to_string()))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// The single id `key` of `r` names, if known, without warnings.
    fn refs_of(&self, r: &Resource<'a>, key: &str) -> Option<String> {
        let mut probe = Refs {
            plan: self.plan,
            warnings: Vec::new(),
        };
        match probe.attr(r, key) {
            Ok(Reference::Ids(ids)) => ids.into_iter().next(),
            _ => None,
        }
    }

    /// Instances are most of a large plan: what each says is read in
    /// parallel, then recorded in document order.
    fn instances(&mut self, rs: &[&Resource<'a>]) -> Result<(), LoadError> {
        let plan = self.plan;
        let maps_public: HashMap<&str, bool> = (self.parts.subnets.iter())
            .map(|s| (s.meta.id.as_str(), s.map_public_ip_on_launch))
            .collect();
        let drafts: Vec<Result<InstanceDraft, LoadError>> = rs
            .par_iter()
            .map(|r| InstanceDraft::read(plan, r, &maps_public))
            .collect();
        for draft in drafts {
            self.instance(draft?);
        }
        Ok(())
    }

    fn instance(&mut self, draft: InstanceDraft) {
        let InstanceDraft {
            meta,
            interfaces,
            primary_id,
            warnings,
        } = draft;
        self.refs.warnings.extend(warnings);
        let enis = match interfaces {
            Interfaces::Attached(mut enis) => {
                enis.sort();
                for (_, id) in &enis {
                    if let Some(e) = self.parts.eni_mut(id) {
                        e.owner = EniOwner::Instance(meta.id.clone());
                    }
                }
                enis
            }
            Interfaces::Skipped => return,
            Interfaces::Primary(eni) => {
                let id = eni.meta.id.clone();
                self.parts.enis.push(*eni);
                vec![(0, id)]
            }
        };
        if let (Some(aws_id), Some((_, eni))) = (primary_id, enis.first()) {
            self.primary_interfaces.insert(aws_id, eni.clone());
        }
        self.parts.instances.push(Instance {
            meta,
            enis: enis.into_iter().map(|(_, id)| id).collect(),
        });
    }

    /// The interface `id` names: an interface, or an instance's primary
    /// interface (`aws_instance.web.primary_network_interface_id` in a plan
    /// names the instance; in a state, its AWS id).
    fn interface_named(&mut self, id: String) -> String {
        if self.parts.eni(&id).is_some() {
            return id;
        }
        if let Some(eni) = self.primary_interfaces.get(&id) {
            return eni.clone();
        }
        match self.parts.instance(&id).and_then(|i| i.enis.first()) {
            Some(eni) => eni.clone(),
            None => id,
        }
    }

    /// Warns that an attachment names an object the plan does not hold (one
    /// managed outside Terraform, which these attachments are often for):
    /// nothing in the model changes.
    fn not_in_plan(&mut self, r: &Resource<'a>, kind: &str, id: &str) {
        self.warn(
            "np::terraform::not-in-plan",
            format!(
                "`{}` names {kind} `{id}`, which is not in the plan: the attachment is left out",
                r.address
            ),
            r.span(),
        );
    }

    /// `attachment { instance = ..., device_index = ... }` of an interface.
    fn attach_interface(&mut self, r: &Resource<'a>) -> Result<(), LoadError> {
        let id = self.plan.id(r);
        for (i, a) in r
            .values
            .objects("attachment", "an attachment")?
            .into_iter()
            .enumerate()
        {
            if let Reference::Ids(ids) = self.refs.nested(r, "attachment", i, &a, "instance")?
                && let Some(instance) = ids.into_iter().next()
                && let Some(e) = self.parts.eni_mut(&id)
            {
                e.owner = EniOwner::Instance(instance);
            }
        }
        Ok(())
    }

    /// The `route` blocks of a route table, read after every resource is
    /// created: a route names its gateway, instance or endpoint by reference,
    /// and what the reference names (an internet gateway the plan creates,
    /// an instance's primary interface) is known only once that exists.
    fn inline_routes(&mut self, r: &Resource<'a>) -> Result<(), LoadError> {
        if !matches!(r.kind, "aws_route_table" | "aws_default_route_table") {
            return Ok(());
        }
        let table = self.plan.id(r);
        if self.parts.route_table_mut(&table).is_none() {
            // Left out when created (its VPC is unknown, warned then).
            return Ok(());
        }
        let blocks = Self::known_blocks(r, "route", "a route")?;
        if r.unknown_blocks("route") {
            // Where an unknown route sends packets cannot be widened.
            self.refs.unknown(r, "a `route` block");
        }
        let mut routes = Vec::new();
        for (i, b) in blocks {
            routes.extend(self.route(r, Some(("route", i)), &b, &table)?);
        }
        if let Some(t) = self.parts.route_table_mut(&table) {
            t.routes.extend(routes);
        }
        Ok(())
    }

    /// Resources that attach to objects created before.
    fn attach(&mut self, r: &Resource<'a>) -> Result<(), LoadError> {
        match r.kind {
            "aws_route" => {
                let Some(table) = self.req(r, "route_table_id")? else {
                    return Ok(());
                };
                let Some(route) = self.route(r, None, &r.values, &table)? else {
                    return Ok(());
                };
                match self.parts.route_table_mut(&table) {
                    Some(t) => t.routes.push(route),
                    None => return Err(dangling(r, "route table", &table)),
                }
            }
            "aws_route_table_association" => {
                let (Some(subnet), Some(table)) =
                    (self.one(r, "subnet_id")?, self.req(r, "route_table_id")?)
                else {
                    return Ok(());
                };
                match self.parts.subnet_mut(&subnet) {
                    Some(s) => s.route_table = Some(table),
                    None => return Err(dangling(r, "subnet", &subnet)),
                }
            }
            "aws_main_route_table_association" => {
                let (Some(vpc), Some(table)) =
                    (self.req(r, "vpc_id")?, self.req(r, "route_table_id")?)
                else {
                    return Ok(());
                };
                if let Some(v) = self.parts.vpc_mut(&vpc) {
                    v.main_route_table = Some(table);
                }
            }
            "aws_internet_gateway_attachment" | "aws_vpn_gateway_attachment" => {
                let key = if r.kind == "aws_internet_gateway_attachment" {
                    "internet_gateway_id"
                } else {
                    "vpn_gateway_id"
                };
                let (Some(gw), Some(vpc)) = (self.req(r, key)?, self.req(r, "vpc_id")?) else {
                    return Ok(());
                };
                if let Some(g) = self.parts.internet_gateway_mut(&gw) {
                    g.vpc = Some(vpc);
                } else if let Some(g) = self.parts.vpn_gateway_mut(&gw) {
                    g.vpc = Some(vpc);
                }
            }
            "aws_vpn_connection" => {
                if let Some(gw) = self.one(r, "vpn_gateway_id")?
                    && let Some(g) = self.parts.vpn_gateway_mut(&gw)
                {
                    g.has_vpn_connection = true;
                }
            }
            "aws_security_group_rule" => self.sg_rule_resource(r)?,
            "aws_network_acl_rule" => {
                let Some(acl) = self.req(r, "network_acl_id")? else {
                    return Ok(());
                };
                let egress = r.values.bool("egress")?.unwrap_or(false);
                let keys = ("rule_number", "rule_action");
                let Some(entry) = self.nacl_entry(r, None, &r.values, egress, keys, &acl)? else {
                    return Ok(());
                };
                match self.parts.network_acl_mut(&acl) {
                    Some(a) => a.entries.push(entry),
                    None => return Err(dangling(r, "network ACL", &acl)),
                }
            }
            "aws_network_acl_association" => {
                let (Some(acl), Some(subnet)) =
                    (self.req(r, "network_acl_id")?, self.req(r, "subnet_id")?)
                else {
                    return Ok(());
                };
                if let Some(s) = self.parts.subnet_mut(&subnet) {
                    s.network_acl = Some(acl);
                }
            }
            "aws_network_interface_sg_attachment" => {
                let (Some(eni), Some(group)) = (
                    self.req(r, "network_interface_id")?,
                    self.req(r, "security_group_id")?,
                ) else {
                    return Ok(());
                };
                let eni = self.interface_named(eni);
                match self.parts.eni_mut(&eni) {
                    Some(e) if !e.security_groups.contains(&group) => e.security_groups.push(group),
                    Some(_) => {}
                    None => self.not_in_plan(r, "network interface", &eni),
                }
            }
            "aws_network_interface_attachment" => {
                let (Some(instance), Some(eni)) = (
                    self.req(r, "instance_id")?,
                    self.req(r, "network_interface_id")?,
                ) else {
                    return Ok(());
                };
                if self.parts.instance(&instance).is_none() {
                    self.not_in_plan(r, "instance", &instance);
                    return Ok(());
                }
                match self.parts.eni_mut(&eni) {
                    Some(e) => e.owner = EniOwner::Instance(instance.clone()),
                    None => {
                        self.not_in_plan(r, "network interface", &eni);
                        return Ok(());
                    }
                }
                if let Some(i) = self.parts.instance_mut(&instance)
                    && !i.enis.contains(&eni)
                {
                    i.enis.push(eni);
                }
            }
            "aws_eip_association" => {
                let Some(eip) = self.one(r, "allocation_id")? else {
                    return Ok(());
                };
                let instance = self.one(r, "instance_id")?;
                let eni = self.one(r, "network_interface_id")?;
                if let Some(e) = self.eips.get_mut(&eip) {
                    e.instance = e.instance.take().or(instance);
                    e.eni = e.eni.take().or(eni);
                }
            }
            "aws_lb_target_group_attachment" | "aws_alb_target_group_attachment" => {
                let (Some(tg), Some(target)) =
                    (self.req(r, "target_group_arn")?, self.req(r, "target_id")?)
                else {
                    return Ok(());
                };
                // The attachment does not say its group's target type: an
                // instance of the plan, else an address, is what it names.
                let is_ip =
                    self.parts.instance(&target).is_none() && target.parse::<Ipv4Addr>().is_ok();
                let target_type = if is_ip { "ip" } else { "instance" };
                let target = load_balancer::target_id(Some(target_type), target, r.span())?;
                let port = r.values.opt("port").map(port_of).transpose()?;
                if let Some(g) = self.parts.target_group_mut(&tg) {
                    g.targets.push(Target { target, port });
                }
            }
            "aws_lb_listener" | "aws_alb_listener" => self.listener(r)?,
            "aws_vpc_endpoint_route_table_association" => {
                let (Some(ep), Some(table)) = (
                    self.req(r, "vpc_endpoint_id")?,
                    self.req(r, "route_table_id")?,
                ) else {
                    return Ok(());
                };
                if let Some(e) = self.parts.vpc_endpoint_mut(&ep) {
                    e.route_tables.push(table);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn listener(&mut self, r: &Resource<'a>) -> Result<(), LoadError> {
        let Some(lb) = self.req(r, "load_balancer_arn")? else {
            return Ok(());
        };
        let target_groups = self.actions(r, "default_action")?;
        let port = port_of(r.values.req("port")?)?;
        let protocols = listener_protocols(r.values.str("protocol")?.as_deref());
        let id = self.plan.id(r);
        let Some(l) = self.parts.load_balancer_mut(&lb) else {
            return Err(dangling(r, "load balancer", &lb));
        };
        self.listeners.insert(id, (lb.clone(), l.listeners.len()));
        for protocol in protocols {
            l.listeners.push(Listener {
                protocol,
                port,
                target_groups: target_groups.clone(),
                span: Some(r.span()),
            });
        }
        Ok(())
    }

    fn listener_rule(&mut self, r: &Resource<'a>) -> Result<(), LoadError> {
        let Some(listener) = self.req(r, "listener_arn")? else {
            return Ok(());
        };
        let more = self.actions(r, "action")?;
        let Some((lb, at)) = self.listeners.get(&listener).cloned() else {
            return Err(dangling(r, "listener", &listener));
        };
        if let Some(l) = self
            .parts
            .load_balancer_mut(&lb)
            .and_then(|l| l.listeners.get_mut(at))
        {
            for tg in more {
                if !l.target_groups.contains(&tg) {
                    l.target_groups.push(tg);
                }
            }
        }
        Ok(())
    }

    /// Target groups the forward actions of block `block` name.
    fn actions(&mut self, r: &Resource<'a>, block: &str) -> Result<Vec<String>, LoadError> {
        let mut out = Vec::new();
        for (i, a) in r
            .values
            .objects(block, "an action")?
            .into_iter()
            .enumerate()
        {
            if a.str("type")?.as_deref() != Some("forward") {
                continue;
            }
            match self.refs.nested(r, block, i, &a, "target_group_arn")? {
                Reference::Ids(ids) => out.extend(ids),
                Reference::Unknown => self.refs.unknown(r, "a forward target group"),
                Reference::None => {}
            }
            // `forward { target_group { arn = ... } }`: known values only.
            for f in a.objects("forward", "a forward block")? {
                for g in f.objects("target_group", "a weighted target group")? {
                    if let Some(arn) = g.str("arn")? {
                        out.push(arn);
                    }
                }
            }
        }
        out.dedup();
        Ok(out)
    }

    /// A route, inline (`block` names its position) or an `aws_route`.
    fn route(
        &mut self,
        r: &Resource<'a>,
        block: Option<(&str, usize)>,
        values: &Fields<'a>,
        table: &str,
    ) -> Result<Option<Route>, LoadError> {
        let span = values.span();
        let skip = || Ipv6Skip::Routes(table.to_string());
        // A `route` block writes every attribute of its schema, the unset
        // ones empty: an IPv6 route has `"cidr_block": ""`.
        let destination = if let Some(c) =
            given(values, "destination_cidr_block").or(given(values, "cidr_block"))
        {
            match cidr(c)? {
                Ok(net) => RouteDestination::Cidr(net),
                Err(_) => {
                    self.skip_ipv6(span, skip());
                    return Ok(None);
                }
            }
        } else if let Some(pl) = self.route_prefix_list(r, block, values)? {
            RouteDestination::PrefixList(pl)
        } else if given(values, "destination_ipv6_cidr_block").is_some()
            || given(values, "ipv6_cidr_block").is_some()
        {
            self.skip_ipv6(span, skip());
            return Ok(None);
        } else {
            self.refs.unknown(r, "a route's destination");
            return Ok(None);
        };
        let mut target = None;
        // A route given `instance_id` has its `network_interface_id` computed
        // by the provider (unknown in a plan): the field the configuration
        // gives decides, and only when none does is the target unknown.
        let mut unknown = None;
        for field in route::TARGET_FIELDS {
            let key = field.terraform;
            let found = match block {
                Some((b, i)) => self.refs.nested(r, b, i, values, key)?,
                None => self.refs.attr(r, key)?,
            };
            match found {
                Reference::Ids(ids) => match ids.into_iter().find(|s| !s.is_empty()) {
                    Some(id) => {
                        target = Some((field, id));
                        break;
                    }
                    None => continue,
                },
                Reference::Unknown => {
                    unknown.get_or_insert(key);
                }
                Reference::None => {}
            }
        }
        if let (None, Some(key)) = (&target, unknown) {
            let what = format!("`{key}` known only after apply");
            return Ok(Some(self.stopping_route(r, destination, &what, span)));
        }
        let Some((field, id)) = target else {
            let what = "a target netpolicy does not know";
            return Ok(Some(self.stopping_route(r, destination, what, span)));
        };
        let target = match field.kind {
            // `network_interface_id = aws_instance.nat.primary_network_interface_id`
            // names the instance in a plan.
            route::TargetKind::NetworkInterface => {
                Ok(RouteTarget::NetworkInterface(self.interface_named(id)))
            }
            kind => route::route_target(kind, id, |id| route::gateway_kind(&mut self.parts, id)),
        };
        Ok(match target {
            Ok(target) => Some(Route {
                destination,
                target,
                span: Some(span),
            }),
            Err(id) => {
                let what = format!("{} `{id}`", field.terraform);
                Some(self.stopping_route(r, destination, &what, span))
            }
        })
    }

    /// A route to `what`, which netpolicy does not follow: a blackhole, with
    /// a warning.
    fn stopping_route(
        &mut self,
        r: &Resource<'a>,
        destination: RouteDestination,
        what: &str,
        span: Span,
    ) -> Route {
        self.warn(
            "np::terraform::not-modelled",
            format!("`{}`: {}", r.address, route::not_followed(what)),
            span,
        );
        Route {
            destination,
            target: RouteTarget::Blackhole,
            span: Some(span),
        }
    }

    /// A route's `destination_prefix_list_id`, which may name a list the
    /// plan creates (unknown until apply, read from the configuration).
    fn route_prefix_list(
        &mut self,
        r: &Resource<'a>,
        block: Option<(&str, usize)>,
        values: &Fields<'a>,
    ) -> Result<Option<String>, LoadError> {
        const KEY: &str = "destination_prefix_list_id";
        let found = match block {
            Some((b, i)) => self.refs.nested(r, b, i, values, KEY)?,
            None => self.refs.attr(r, KEY)?,
        };
        Ok(match found {
            Reference::Ids(ids) => ids.into_iter().find(|s| !s.is_empty()),
            Reference::None | Reference::Unknown => None,
        })
    }

    /// One inline `ingress`/`egress` block of an `aws_security_group`.
    fn inline_sg_rule(
        &mut self,
        r: &Resource<'a>,
        block: &str,
        i: usize,
        b: &Fields<'a>,
        group: &str,
    ) -> Result<Vec<SecurityGroupRule>, LoadError> {
        let traffic = traffic(b, "protocol")?;
        let rule = (group, block == "egress", traffic);
        let description = b.str("description")?.filter(|d| !d.is_empty());
        let mut peers = Vec::new();
        for net in self.rule_cidrs(r, Some((block, i)), b, rule)? {
            peers.push(RulePeer::Cidr(net));
        }
        for c in b.list("ipv6_cidr_blocks")? {
            self.skip_ipv6(c.span, Ipv6Skip::rule(group, block == "egress", traffic));
        }
        match self.refs.nested(r, block, i, b, "prefix_list_ids")? {
            Reference::Ids(ids) => peers.extend(ids.into_iter().map(RulePeer::PrefixList)),
            Reference::Unknown => {
                self.refs
                    .unknown(r, &format!("an {block} rule's prefix lists"));
                (self.parts).approximate_rule(group, rule.1, Approximation::Narrower, traffic);
            }
            Reference::None => {}
        }
        match self.refs.nested(r, block, i, b, "security_groups")? {
            Reference::Ids(ids) => peers.extend(ids.into_iter().map(RulePeer::SecurityGroup)),
            Reference::Unknown => {
                self.refs
                    .unknown(r, &format!("an {block} rule's security groups"));
                (self.parts).approximate_rule(group, rule.1, Approximation::Narrower, traffic);
            }
            Reference::None => {}
        }
        if b.bool("self")?.unwrap_or(false) {
            peers.push(RulePeer::SecurityGroup(group.to_string()));
        }
        Ok(peers
            .into_iter()
            .map(|peer| SecurityGroupRule {
                traffic,
                peer,
                description: description.clone(),
                implicit: false,
                span: Some(b.span()),
            })
            .collect())
    }

    /// `aws_security_group_rule`.
    fn sg_rule_resource(&mut self, r: &Resource<'a>) -> Result<(), LoadError> {
        let Some(group) = self.req(r, "security_group_id")? else {
            return Ok(());
        };
        let egress = match r.values.str("type")?.as_deref() {
            Some("egress") => true,
            Some("ingress") => false,
            _ => {
                return Err(invalid(
                    format!("`{}` has no `type` (ingress or egress)", r.address),
                    r.span(),
                    None,
                ));
            }
        };
        let traffic = traffic(&r.values, "protocol")?;
        let mut peers = Vec::new();
        for net in self.rule_cidrs(r, None, &r.values, (&group, egress, traffic))? {
            peers.push(RulePeer::Cidr(net));
        }
        for c in r.values.list("ipv6_cidr_blocks")? {
            self.skip_ipv6(c.span, Ipv6Skip::rule(&group, egress, traffic));
        }
        for p in self.many(r, "prefix_list_ids")? {
            peers.push(RulePeer::PrefixList(p));
        }
        if let Some(g) = self.one(r, "source_security_group_id")? {
            peers.push(RulePeer::SecurityGroup(g));
        }
        if r.values.bool("self")?.unwrap_or(false) {
            peers.push(RulePeer::SecurityGroup(group.clone()));
        }
        let description = r.values.str("description")?;
        let rules = peers.into_iter().map(|peer| SecurityGroupRule {
            traffic,
            peer,
            description: description.clone(),
            implicit: false,
            span: Some(r.span()),
        });
        self.push_rules(r, &group, egress, rules.collect())
    }

    /// Adds a rule read by [`RuleDraft::read`], in plan order.
    fn vpc_sg_rule(&mut self, r: &Resource<'a>, draft: RuleDraft) -> Result<(), LoadError> {
        self.refs.warnings.extend(draft.warnings);
        if let Some((span, skip)) = draft.ipv6 {
            self.skip_ipv6(span, skip);
        }
        match draft.rule {
            Some((group, rule)) => {
                let egress = r.kind.ends_with("egress_rule");
                if draft.approximated {
                    let a = Approximation::Wider;
                    (self.parts).approximate_rule(&group, egress, a, rule.traffic);
                }
                self.push_rules(r, &group, egress, vec![rule])
            }
            None => Ok(()),
        }
    }

    fn push_rules(
        &mut self,
        r: &Resource<'a>,
        group: &str,
        egress: bool,
        rules: Vec<SecurityGroupRule>,
    ) -> Result<(), LoadError> {
        // `aws_vpc.x.default_security_group_id`, unknown in a plan, names
        // the VPC: its default group (the plan's, else AWS's), which the
        // records step stands before it adds these rules.
        let names_vpc = self.parts.vpc(group).is_some();
        if names_vpc && self.parts.security_group_mut(group).is_none() {
            let id = self.finish.default_groups.of(group);
            let rules = rules.into_iter().map(|rule| (id.clone(), egress, rule));
            self.finish.outside_rules.extend(rules);
            return Ok(());
        }
        let Some(g) = self.parts.security_group_mut(group) else {
            return Err(dangling(r, "security group", group));
        };
        if egress {
            g.egress.extend(rules);
        } else {
            g.ingress.extend(rules);
        }
        Ok(())
    }

    /// A NACL entry, inline (`rule_no`, `action`) or an `aws_network_acl_rule`
    /// (`rule_number`, `rule_action`).
    fn nacl_entry(
        &mut self,
        r: &Resource<'a>,
        at: Option<(&str, usize)>,
        e: &Fields<'a>,
        egress: bool,
        (number_key, action_key): (&str, &str),
        acl: &str,
    ) -> Result<Option<NaclEntry>, LoadError> {
        let rule_number = nacl::rule_number(e.req(number_key)?)?;
        let action = nacl::rule_action(e.req(action_key)?)?;
        let skip = || Ipv6Skip::nacl_entry(acl, egress, action);
        let net = match given(e, "cidr_block") {
            Some(c) => match cidr(c)? {
                Ok(net) => net,
                Err(_) => {
                    self.skip_ipv6(e.span(), skip());
                    return Ok(None);
                }
            },
            None if r.unknown_in(at, "cidr_block") => {
                let (net, stands) = unknown::nacl_cidr(action);
                let what = format!("the CIDR of NACL entry {rule_number}");
                self.refs.widened(r, &what, stands);
                self.parts.approximate(acl, Approximation::Wider);
                match net {
                    Some(net) => net,
                    None => return Ok(None),
                }
            }
            None => {
                self.skip_ipv6(e.span(), skip());
                return Ok(None);
            }
        };
        let protocol = traffic::protocol(e.req("protocol")?)?;
        let (from, to) = match protocol {
            Protocol::Icmp => ("icmp_type", "icmp_code"),
            _ => ("from_port", "to_port"),
        };
        let traffic = TrafficMatch {
            protocol,
            ports: traffic::ports(protocol, e.opt(from), e.opt(to), e.span())?,
        };
        Ok(Some(NaclEntry {
            rule_number,
            egress,
            action,
            traffic,
            cidr: net,
            span: Some(e.span()),
        }))
    }

    /// Elastic IPs become the public address of what they are associated with.
    fn apply_eips(&mut self) {
        let mut eips: Vec<&Eip> = self.eips.values().collect();
        eips.sort_by_key(|e| e.seq);
        for eip in eips {
            let eni = match (&eip.eni, &eip.instance) {
                (Some(e), _) => Some(e.clone()),
                (None, Some(i)) => self.parts.instance(i).and_then(|x| x.enis.first().cloned()),
                (None, None) => None,
            };
            if let Some(e) = eni.and_then(|id| self.parts.eni_mut(&id)) {
                e.public_ip = eip.public_ip.or(e.public_ip);
                e.auto_public_ip = e.public_ip.is_none();
            }
        }
    }
}

/// The resource types read into the model.
const MODELLED: &[&str] = &[
    "aws_alb",
    "aws_alb_listener",
    "aws_alb_listener_rule",
    "aws_alb_target_group",
    "aws_alb_target_group_attachment",
    "aws_customer_gateway",
    "aws_default_network_acl",
    "aws_default_route_table",
    "aws_default_security_group",
    "aws_ec2_managed_prefix_list",
    "aws_eip",
    "aws_eip_association",
    "aws_instance",
    "aws_internet_gateway",
    "aws_internet_gateway_attachment",
    "aws_lb",
    "aws_lb_listener",
    "aws_lb_listener_rule",
    "aws_lb_target_group",
    "aws_lb_target_group_attachment",
    "aws_main_route_table_association",
    "aws_nat_gateway",
    "aws_network_acl",
    "aws_network_acl_association",
    "aws_network_acl_rule",
    "aws_network_interface",
    "aws_network_interface_attachment",
    "aws_network_interface_sg_attachment",
    "aws_route",
    "aws_route_table",
    "aws_route_table_association",
    "aws_security_group",
    "aws_security_group_rule",
    "aws_subnet",
    "aws_vpc",
    "aws_vpc_endpoint",
    "aws_vpc_endpoint_route_table_association",
    "aws_vpc_ipv4_cidr_block_association",
    "aws_vpc_peering_connection",
    "aws_vpc_peering_connection_accepter",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpn_connection",
    "aws_vpn_gateway",
    "aws_vpn_gateway_attachment",
];

/// Resource types that shape traffic (routes, gateways, firewalls) or put
/// network interfaces into subnets (databases, functions, clusters) without
/// being modelled: each is a warning, since results may miss what it does.
const NOT_MODELLED: &[&str] = &[
    "aws_api_gateway_vpc_link",
    "aws_apigatewayv2_vpc_link",
    "aws_autoscaling_group",
    "aws_batch_compute_environment",
    "aws_codebuild_project",
    "aws_db_instance",
    "aws_db_proxy",
    "aws_default_subnet",
    "aws_default_vpc",
    "aws_directory_service_directory",
    "aws_dms_replication_instance",
    "aws_docdb_cluster_instance",
    "aws_ec2_carrier_gateway",
    "aws_ec2_instance_connect_endpoint",
    "aws_ecs_service",
    "aws_efs_mount_target",
    "aws_egress_only_internet_gateway",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_serverless_cache",
    "aws_elasticsearch_domain",
    "aws_elb",
    "aws_emr_cluster",
    "aws_lambda_function",
    "aws_memorydb_cluster",
    "aws_mq_broker",
    "aws_msk_cluster",
    "aws_mwaa_environment",
    "aws_neptune_cluster_instance",
    "aws_opensearch_domain",
    "aws_rds_cluster_instance",
    "aws_redshift_cluster",
    "aws_route53_resolver_endpoint",
    "aws_spot_instance_request",
    "aws_vpc_endpoint_security_group_association",
    "aws_vpc_endpoint_service",
    "aws_vpc_endpoint_subnet_association",
    "aws_vpc_ipv6_cidr_block_association",
    "aws_vpn_connection_route",
    "aws_vpn_gateway_route_propagation",
];

/// Families of resource types that shape traffic and are not modelled.
const NOT_MODELLED_FAMILIES: &[&str] = &[
    "aws_ec2_client_vpn_",
    "aws_ec2_local_gateway",
    "aws_ec2_transit_gateway",
    "aws_fsx_",
    "aws_networkfirewall_",
];

/// How the coverage line counts a resource type.
fn class(kind: &str) -> Class {
    if MODELLED.contains(&kind) {
        Class::Modelled
    } else if NOT_MODELLED.contains(&kind)
        || NOT_MODELLED_FAMILIES.iter().any(|f| kind.starts_with(f))
    {
        Class::NotModelled { why: INCOMPLETE }
    } else {
        Class::Ignored
    }
}

/// The entry that stands for NACL entries of a direction known only after
/// apply: what [`unknown::whole_rule`] allows, under the first number no
/// `known` entry holds, the earliest an unknown entry may decide.
fn widest_entry(known: &[NaclEntry], egress: bool, span: Span) -> NaclEntry {
    let taken: HashSet<u16> = known.iter().map(|e| e.rule_number).collect();
    let (traffic, cidr) = unknown::whole_rule();
    NaclEntry {
        rule_number: (1..=u16::MAX).find(|n| !taken.contains(n)).unwrap_or(1),
        egress,
        action: NaclAction::Allow,
        traffic,
        cidr,
        span: Some(span),
    }
}

/// `key` of `values` when it holds something: neither null nor empty text.
fn given<'a>(values: &Fields<'a>, key: &str) -> Option<&'a Node> {
    values
        .opt(key)
        .filter(|n| !matches!(n.value, Value::Null) && n.as_str() != Some(""))
}

/// Protocol and ports of a rule whose protocol is in `key`; `from_port` and
/// `to_port` are its port range, or ICMP type and code.
fn traffic(f: &Fields<'_>, key: &str) -> Result<TrafficMatch, LoadError> {
    traffic::traffic(f.req(key)?, f.opt("from_port"), f.opt("to_port"), f.span())
}

fn dangling(r: &Resource<'_>, kind: &str, id: &str) -> LoadError {
    records::dangling(r.address, kind, id, r.span(), "the plan")
}

/// Rewrites the group references that name a VPC, which is what
/// `aws_vpc.x.default_security_group_id` is in a plan (unknown until apply,
/// read as the VPC it belongs to), into that VPC's default group; the VPCs
/// so named.
pub(crate) fn default_groups_named_by_vpc(parts: &mut ModelParts, defaults: &DefaultGroups) {
    let vpcs: HashSet<String> = (parts.vpcs.iter()).map(|v| v.meta.id.clone()).collect();
    let groups: HashSet<String> = (parts.security_groups.iter())
        .map(|g| g.meta.id.clone())
        .collect();
    let rename = |id: &mut String| {
        if vpcs.contains(id.as_str()) && !groups.contains(id.as_str()) {
            *id = defaults.of(id);
        }
    };
    for eni in &mut parts.enis {
        eni.security_groups.iter_mut().for_each(rename);
    }
    for lb in &mut parts.load_balancers {
        lb.security_groups.iter_mut().for_each(rename);
    }
    for g in &mut parts.security_groups {
        for r in g.ingress.iter_mut().chain(g.egress.iter_mut()) {
            if let RulePeer::SecurityGroup(peer) = &mut r.peer {
                rename(peer);
            }
        }
    }
}
