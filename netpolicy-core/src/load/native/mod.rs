//! The native model format: a network written by hand in YAML or JSON
//! (`docs/model-format.md` is its reference).
//!
//! Unknown fields are errors (they are almost always typos), and every value is
//! checked where it is read, so errors point at the exact value.

use super::document::{self, Node, Value};
use super::read::{cidr, invalid, ip, string, type_error};
use super::records::finish::{Finish, Format, Ipv6Skip, Ipv6Skipped, Outside};
use super::records::route::{GatewayKind, TargetKind};
use super::records::{self, load_balancer, nacl, public_address, route};
use super::{LoadError, LoadFailure};
use crate::diagnostic::Warning;
use crate::model::*;
use crate::span::SourceMap;
use crate::suggest::suggest;
use ipnet::Ipv4Net;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Loads a native-format model from text; `name` is how diagnostics name the file.
/// The model keeps the text for its diagnostics: pass a `String` to hand it
/// over rather than have it copied.
pub fn load_native(name: &str, text: impl Into<String>) -> Result<Model, LoadFailure> {
    let mut sources = SourceMap::default();
    let id = sources.add(name, text);
    let text = sources.text(id);
    let outline = text
        .trim_start()
        .starts_with('{')
        .then(|| document::outline_json(text, id).ok())
        .flatten();
    let parsed = match outline {
        Some(outline) => read_parts(&Lists::Outline(&outline)),
        // YAML, or JSON the outline rejects: the full parser says precisely why.
        None => document::parse(text, id).and_then(|doc| {
            let read = parse_native(&doc);
            document::drop_later(doc);
            read
        }),
    };
    super::build_model(parsed, sources)
}

/// Reads the objects of a native-format document (not yet validated).
pub fn parse_native(doc: &Node) -> Result<(ModelParts, Vec<Warning>), LoadError> {
    read_parts(&Lists::Tree(Obj::new(doc, "the model", TOP_FIELDS)?))
}

/// The top-level lists of a document: from a parsed tree, or items located in
/// JSON text and parsed one at a time.
enum Lists<'a> {
    Tree(Obj<'a>),
    Outline(&'a document::JsonOutline<'a>),
}

impl Lists<'_> {
    /// Reads every item of the list `key` with `read`, in parallel; results
    /// keep document order, and the first error in it is returned.
    fn read<T: Send>(
        &self,
        key: &str,
        read: impl Fn(&mut Reader, &Node) -> Result<T, LoadError> + Sync,
    ) -> Result<(Vec<T>, Ipv6Skipped), LoadError> {
        let one = |n: &Node| {
            let mut r = Reader::default();
            read(&mut r, n).map(|t| (t, r.ipv6))
        };
        let results: Vec<Result<(T, Ipv6Skipped), LoadError>> = match self {
            Lists::Tree(top) => top.list(key)?.into_par_iter().map(one).collect(),
            Lists::Outline(outline) => outline.read_list(key, None, one)?,
        };
        let mut out = Vec::with_capacity(results.len());
        let mut ipv6 = Ipv6Skipped::default();
        for r in results {
            let (t, skipped) = r?;
            out.push(t);
            ipv6.add(skipped);
        }
        Ok((out, ipv6))
    }

    /// A top-level key that is not part of the format.
    fn check_keys(&self) -> Result<(), LoadError> {
        let Lists::Outline(outline) = self else {
            return Ok(()); // `Obj::new` checked them
        };
        for (key, _) in &outline.entries {
            let k = key.as_str().unwrap_or_default();
            if !TOP_FIELDS.contains(&k) {
                return Err(unknown_field(key, "the model", TOP_FIELDS));
            }
        }
        Ok(())
    }
}

/// The items of one list, the IPv6 parts it skipped counted in `ipv6`.
fn take<T>((items, skipped): (Vec<T>, Ipv6Skipped), ipv6: &mut Ipv6Skipped) -> Vec<T> {
    ipv6.add(skipped);
    items
}

fn read_parts(lists: &Lists<'_>) -> Result<(ModelParts, Vec<Warning>), LoadError> {
    lists.check_keys()?;
    let mut ipv6 = Ipv6Skipped::default();
    let mut how = Finish::new(Format::Native, Outside::Closed);
    let mut vpcs = Vec::new();
    for (vpc, default_group) in take(lists.read("vpcs", Reader::vpc)?, &mut ipv6) {
        if let Some(group) = default_group {
            how.default_groups
                .declared
                .insert(vpc.meta.id.clone(), group);
        }
        vpcs.push(vpc);
    }
    let mut security_groups = Vec::new();
    for (group, wrote_egress) in take(
        lists.read("security_groups", Reader::security_group)?,
        &mut ipv6,
    ) {
        if !wrote_egress {
            how.created_without_egress.push(group.meta.id.clone());
        }
        security_groups.push(group);
    }
    let mut parts = ModelParts {
        vpcs,
        security_groups,
        subnets: take(lists.read("subnets", Reader::subnet)?, &mut ipv6),
        route_tables: take(lists.read("route_tables", Reader::route_table)?, &mut ipv6),
        internet_gateways: take(
            lists.read("internet_gateways", Reader::internet_gateway)?,
            &mut ipv6,
        ),
        nat_gateways: take(lists.read("nat_gateways", Reader::nat_gateway)?, &mut ipv6),
        vpn_gateways: take(lists.read("vpn_gateways", Reader::vpn_gateway)?, &mut ipv6),
        peerings: take(lists.read("peerings", Reader::peering)?, &mut ipv6),
        network_acls: take(lists.read("network_acls", Reader::network_acl)?, &mut ipv6),
        enis: take(
            lists.read("enis", |r, n| r.eni(n, EniOwner::None))?,
            &mut ipv6,
        ),
        ..ModelParts::default()
    };
    for (instance, eni, by_subnet) in take(lists.read("instances", Reader::instance)?, &mut ipv6) {
        if let (Some(eni), true) = (&eni, by_subnet) {
            how.public_by_subnet.push(eni.meta.id.clone());
        }
        parts.enis.extend(eni);
        parts.instances.push(instance);
    }
    attach_instance_interfaces(&mut parts);
    parts.load_balancers = take(
        lists.read("load_balancers", Reader::load_balancer)?,
        &mut ipv6,
    );
    parts.target_groups = take(
        lists.read("target_groups", Reader::target_group)?,
        &mut ipv6,
    );
    parts.vpc_endpoints = take(lists.read("vpc_endpoints", Reader::endpoint)?, &mut ipv6);
    parts.prefix_lists = take(lists.read("prefix_lists", Reader::prefix_list)?, &mut ipv6);
    how.ipv6 = ipv6;
    let warnings = records::finish::finish(&mut parts, how, &|_| None);
    Ok((parts, warnings))
}

pub(crate) const TOP_FIELDS: &[&str] = &[
    "vpcs",
    "subnets",
    "route_tables",
    "internet_gateways",
    "nat_gateways",
    "vpn_gateways",
    "peerings",
    "security_groups",
    "network_acls",
    "enis",
    "instances",
    "load_balancers",
    "target_groups",
    "vpc_endpoints",
    "prefix_lists",
];

/// A mapping being read: checks field names up front, then hands out values.
struct Obj<'a> {
    node: &'a Node,
    entries: &'a [(Node, Node)],
    what: &'static str,
}

impl<'a> Obj<'a> {
    fn new(node: &'a Node, what: &'static str, fields: &[&str]) -> Result<Self, LoadError> {
        let Value::Map(entries) = &node.value else {
            return Err(type_error("a mapping", node));
        };
        for (key, _) in entries {
            let k = key.as_str().unwrap_or_default();
            if !fields.contains(&k) {
                return Err(unknown_field(key, what, fields));
            }
        }
        Ok(Obj {
            node,
            entries,
            what,
        })
    }

    fn opt(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
            .filter(|v| v.value != Value::Null)
    }

    fn req(&self, key: &str) -> Result<&'a Node, LoadError> {
        self.opt(key).ok_or_else(|| LoadError::MissingField {
            field: key.to_string(),
            object: self.what.to_string(),
            span: self.node.span,
        })
    }

    fn req_str(&self, key: &str) -> Result<String, LoadError> {
        string(self.req(key)?)
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, LoadError> {
        self.opt(key).map(string).transpose()
    }

    /// An optional field that is one of `words` (see [`choice`]); what it
    /// means is AWS's, decided in `records`.
    fn opt_word(&self, key: &str, what: &str, words: &[&str]) -> Result<Option<String>, LoadError> {
        let options: Vec<(&str, &str)> = words.iter().map(|w| (*w, *w)).collect();
        let word = self
            .opt(key)
            .map(|n| choice(n, what, &options))
            .transpose()?;
        Ok(word.map(str::to_string))
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, LoadError> {
        self.opt(key)
            .map(|n| match n.value {
                Value::Bool(b) => Ok(b),
                _ => Err(type_error("true or false", n)),
            })
            .transpose()
    }

    fn list(&self, key: &str) -> Result<Vec<&'a Node>, LoadError> {
        match self.opt(key) {
            None => Ok(Vec::new()),
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => Ok(items.iter().collect()),
            Some(n) => Err(type_error("a list", n)),
        }
    }

    fn str_list(&self, key: &str) -> Result<Vec<String>, LoadError> {
        self.list(key)?.into_iter().map(string).collect()
    }

    fn meta(&mut self) -> Result<Meta, LoadError> {
        let mut tags = BTreeMap::new();
        if let Some(t) = self.opt("tags") {
            let Value::Map(entries) = &t.value else {
                return Err(type_error("a mapping of tags", t));
            };
            for (k, v) in entries {
                tags.insert(
                    string(k)?,
                    v.scalar_text().ok_or_else(|| type_error("a string", v))?,
                );
            }
        }
        let name = self.opt_str("name")?.or_else(|| tags.get("Name").cloned());
        Ok(Meta {
            id: self.req_str("id")?,
            name,
            tags,
            aliases: Vec::new(),
            span: Some(self.node.span),
        })
    }
}

fn unknown_field(key: &Node, what: &str, fields: &[&str]) -> LoadError {
    let k = key.as_str().unwrap_or_default();
    LoadError::UnknownField {
        field: k.to_string(),
        object: what.to_string(),
        span: key.span,
        help: suggest(k, fields.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| Some(format!("known fields: {}", fields.join(", ")))),
    }
}

/// The native route target fields: the kind of AWS target each names
/// (and, for `GatewayId`'s kinds, which).
const ROUTE_TARGETS: &[(&str, TargetKind, Option<GatewayKind>)] = &[
    (
        "internet_gateway",
        TargetKind::Gateway,
        Some(GatewayKind::Internet),
    ),
    ("vpn_gateway", TargetKind::Gateway, Some(GatewayKind::Vpn)),
    ("nat_gateway", TargetKind::NatGateway, None),
    ("peering", TargetKind::Peering, None),
    ("transit_gateway", TargetKind::TransitGateway, None),
    ("network_interface", TargetKind::NetworkInterface, None),
    ("instance", TargetKind::Instance, None),
    ("gateway_endpoint", TargetKind::GatewayEndpoint, None),
];

/// One of a fixed set of words, e.g. `allow` or `deny`.
fn choice<T: Copy>(node: &Node, what: &str, options: &[(&str, T)]) -> Result<T, LoadError> {
    let text = string(node)?;
    options
        .iter()
        .find(|(word, _)| *word == text)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let words: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
            invalid(
                format!("unknown {what} `{text}`"),
                node.span,
                Some(format!("use one of: {}", words.join(", "))),
            )
        })
}

/// A rule's traffic: its `protocol` (all when absent), and its `ports`
/// (`80`, `"80"`, `"1024-65535"`, `all`; every port when absent) or, for
/// ICMP, `icmp_type` and `icmp_code`. The values are AWS's, decided in
/// [`records::traffic`]; only where they sit is the native format's.
fn traffic(o: &Obj<'_>) -> Result<TrafficMatch, LoadError> {
    let protocol = match o.opt("protocol") {
        Some(p) => records::traffic::protocol(p)?,
        None => Protocol::All,
    };
    let icmp = [o.opt("icmp_type"), o.opt("icmp_code")];
    if icmp.iter().any(Option::is_some) {
        if protocol != Protocol::Icmp {
            return Err(invalid(
                "icmp_type and icmp_code need protocol icmp".into(),
                o.node.span,
                None,
            ));
        }
        let ports = records::traffic::ports(protocol, icmp[0], icmp[1], o.node.span)?;
        return Ok(TrafficMatch { protocol, ports });
    }
    let (from, to) = match o.opt("ports") {
        Some(node) => port_range(node, protocol)?,
        None => (None, None),
    };
    let span = o.opt("ports").map_or(o.node.span, |n| n.span);
    let ports = records::traffic::ports(protocol, from.as_ref(), to.as_ref(), span)?;
    Ok(TrafficMatch { protocol, ports })
}

/// The first and last port of a `ports` value, as the nodes EC2's
/// `FromPort` and `ToPort` would be.
fn port_range(node: &Node, protocol: Protocol) -> Result<(Option<Node>, Option<Node>), LoadError> {
    let text = node
        .scalar_text()
        .ok_or_else(|| type_error("a port or port range", node))?;
    if text == "all" || text.trim() == "-1" {
        return Ok((None, None));
    }
    if protocol == Protocol::Icmp {
        return Err(invalid(
            "ICMP has no ports".into(),
            node.span,
            Some("use icmp_type and icmp_code".into()),
        ));
    }
    let part = |t: &str| Node {
        value: Value::String(t.trim().into()),
        ..node.clone()
    };
    let (first, last) = text.split_once('-').unwrap_or((&text, &text));
    if first.trim().is_empty() {
        return Err(invalid(
            format!("`{text}` is not a port or port range (0-65535, first <= last)"),
            node.span,
            None,
        ));
    }
    Ok((Some(part(first)), Some(part(last))))
}

/// Marks each interface an instance lists as that instance's (by index: a scan
/// per instance would be quadratic on large estates).
fn attach_instance_interfaces(parts: &mut ModelParts) {
    let owner: std::collections::HashMap<&str, &str> = parts
        .instances
        .iter()
        .flat_map(|i| i.enis.iter().map(move |e| (e.as_str(), i.meta.id.as_str())))
        .collect();
    for eni in &mut parts.enis {
        if let Some(i) = owner.get(eni.meta.id.as_str()) {
            eni.owner = EniOwner::Instance((*i).to_string());
        }
    }
}

/// Reads one item; counts the IPv6 parts it skips.
#[derive(Default)]
struct Reader {
    ipv6: Ipv6Skipped,
}

impl Reader {
    /// An IPv4 block; `None` for an IPv6 one, which is counted as skipped
    /// and makes `skip` unknown.
    fn cidr_or_skip(&mut self, node: &Node, skip: Ipv6Skip) -> Result<Option<Ipv4Net>, LoadError> {
        let block = cidr(node)?.ok();
        if block.is_none() {
            self.ipv6.note(Some(node.span), skip);
        }
        Ok(block)
    }

    fn internet_gateway(&mut self, n: &Node) -> Result<InternetGateway, LoadError> {
        let mut o = Obj::new(n, "an internet gateway", &["id", "name", "tags", "vpc"])?;
        Ok(InternetGateway {
            meta: o.meta()?,
            vpc: o.opt_str("vpc")?,
        })
    }

    fn nat_gateway(&mut self, n: &Node) -> Result<NatGateway, LoadError> {
        let fields = &[
            "id",
            "name",
            "tags",
            "subnet",
            "private_ip",
            "public_ip",
            "public",
        ];
        let mut o = Obj::new(n, "a NAT gateway", fields)?;
        let public_ip = o.opt("public_ip").map(ip).transpose()?;
        Ok(NatGateway {
            meta: o.meta()?,
            subnet: o.req_str("subnet")?,
            private_ip: o.opt("private_ip").map(ip).transpose()?,
            public: o.opt_bool("public")?.unwrap_or(true),
            public_ip,
        })
    }

    fn vpn_gateway(&mut self, n: &Node) -> Result<VpnGateway, LoadError> {
        let fields = &["id", "name", "tags", "vpc", "has_vpn_connection"];
        let mut o = Obj::new(n, "a VPN gateway", fields)?;
        Ok(VpnGateway {
            meta: o.meta()?,
            vpc: o.opt_str("vpc")?,
            has_vpn_connection: route::vpn_connection(o.opt_bool("has_vpn_connection")?),
        })
    }

    fn peering(&mut self, n: &Node) -> Result<Peering, LoadError> {
        let fields = &[
            "id",
            "name",
            "tags",
            "requester_vpc",
            "accepter_vpc",
            "active",
        ];
        let mut o = Obj::new(n, "a peering", fields)?;
        Ok(Peering {
            meta: o.meta()?,
            requester_vpc: o.req_str("requester_vpc")?,
            accepter_vpc: o.req_str("accepter_vpc")?,
            active: o.opt_bool("active")?.unwrap_or(true),
        })
    }

    fn prefix_list(&mut self, n: &Node) -> Result<PrefixList, LoadError> {
        let mut o = Obj::new(n, "a prefix list", &["id", "name", "tags", "cidrs"])?;
        let meta = o.meta()?;
        let mut cidrs = Vec::new();
        for c in o.list("cidrs")? {
            if let Some(net) = self.cidr_or_skip(c, Ipv6Skip::Part(meta.id.clone()))? {
                cidrs.push(net);
            }
        }
        Ok(PrefixList { meta, cidrs })
    }

    /// A VPC, and the group it names as its default security group.
    fn vpc(&mut self, n: &Node) -> Result<(Vpc, Option<String>), LoadError> {
        let mut o = Obj::new(
            n,
            "a VPC",
            &[
                "id",
                "name",
                "tags",
                "cidr_blocks",
                "main_route_table",
                "default_network_acl",
                "default_security_group",
            ],
        )?;
        let meta = o.meta()?;
        let mut cidr_blocks = Vec::new();
        for c in o.list("cidr_blocks")? {
            if let Some(net) = self.cidr_or_skip(c, Ipv6Skip::Address)? {
                cidr_blocks.push(net);
            }
        }
        let vpc = Vpc {
            meta,
            cidr_blocks,
            main_route_table: o.opt_str("main_route_table")?,
            default_network_acl: o.opt_str("default_network_acl")?,
        };
        Ok((vpc, o.opt_str("default_security_group")?))
    }

    fn subnet(&mut self, n: &Node) -> Result<Subnet, LoadError> {
        let fields = &[
            "id",
            "name",
            "tags",
            "vpc",
            "cidr",
            "availability_zone",
            "map_public_ip_on_launch",
            "route_table",
            "network_acl",
        ];
        let mut o = Obj::new(n, "a subnet", fields)?;
        let cidr_node = o.req("cidr")?;
        let cidr = cidr(cidr_node)?
            .map_err(|_| invalid("a subnet needs an IPv4 CIDR".into(), cidr_node.span, None))?;
        Ok(Subnet {
            meta: o.meta()?,
            vpc: o.req_str("vpc")?,
            cidr,
            availability_zone: o.opt_str("availability_zone")?,
            map_public_ip_on_launch: o.opt_bool("map_public_ip_on_launch")?.unwrap_or(false),
            route_table: o.opt_str("route_table")?,
            network_acl: o.opt_str("network_acl")?,
        })
    }

    fn route_table(&mut self, n: &Node) -> Result<RouteTable, LoadError> {
        let mut o = Obj::new(n, "a route table", &["id", "name", "tags", "vpc", "routes"])?;
        let meta = o.meta()?;
        let mut routes = Vec::new();
        for r in o.list("routes")? {
            if let Some(route) = self.route(r, &meta.id)? {
                routes.push(route);
            }
        }
        Ok(RouteTable {
            meta,
            vpc: o.req_str("vpc")?,
            routes,
        })
    }

    fn route(&mut self, n: &Node, table: &str) -> Result<Option<Route>, LoadError> {
        let mut fields = vec!["destination", "prefix_list", "blackhole"];
        fields.extend(ROUTE_TARGETS.iter().map(|(field, _, _)| *field));
        let o = Obj::new(n, "a route", &fields)?;
        let destination = match (o.opt("destination"), o.opt_str("prefix_list")?) {
            (Some(d), None) => match self.cidr_or_skip(d, Ipv6Skip::Routes(table.to_string()))? {
                Some(net) => RouteDestination::Cidr(net),
                None => return Ok(None),
            },
            (None, Some(pl)) => RouteDestination::PrefixList(pl),
            _ => {
                return Err(invalid(
                    "a route needs exactly one of `destination` and `prefix_list`".into(),
                    n.span,
                    None,
                ));
            }
        };
        let given: Vec<&(&str, TargetKind, Option<GatewayKind>)> = (ROUTE_TARGETS.iter())
            .filter(|(field, _, _)| o.opt(field).is_some())
            .collect();
        let target = match (given.as_slice(), o.opt("blackhole")) {
            ([], Some(_)) => RouteTarget::Blackhole,
            ([(field, kind, gateway)], None) => {
                let id = o.req_str(field)?;
                route::route_target(*kind, id, |_| *gateway).map_err(|id| {
                    invalid(format!("route target `{id}` is not modelled"), n.span, None)
                })?
            }
            _ => {
                let names: Vec<&str> = ROUTE_TARGETS.iter().map(|(f, _, _)| *f).collect();
                return Err(invalid(
                    "a route needs exactly one target".into(),
                    n.span,
                    Some(format!("one of: {}, blackhole", names.join(", "))),
                ));
            }
        };
        Ok(Some(Route {
            destination,
            target,
            span: Some(n.span),
        }))
    }

    /// A security group, and whether it writes its egress rules (AWS gives
    /// one created without any its allow-all rule).
    fn security_group(&mut self, n: &Node) -> Result<(SecurityGroup, bool), LoadError> {
        let mut o = Obj::new(
            n,
            "a security group",
            &["id", "name", "tags", "vpc", "ingress", "egress"],
        )?;
        let meta = o.meta()?;
        let mut ingress = Vec::new();
        for r in o.list("ingress")? {
            ingress.extend(self.sg_rule(r, "from", &meta.id)?);
        }
        let mut egress = Vec::new();
        for r in o.list("egress")? {
            egress.extend(self.sg_rule(r, "to", &meta.id)?);
        }
        let group = SecurityGroup {
            meta,
            vpc: o.req_str("vpc")?,
            ingress,
            egress,
        };
        Ok((group, o.opt("egress").is_some()))
    }

    /// One rule entry; `peer_key` is `from` (ingress) or `to` (egress). A rule with
    /// an IPv6 peer is skipped (and counted).
    fn sg_rule(
        &mut self,
        n: &Node,
        peer_key: &'static str,
        group: &str,
    ) -> Result<Option<SecurityGroupRule>, LoadError> {
        let o = Obj::new(
            n,
            "a security-group rule",
            &[
                "protocol",
                "ports",
                "icmp_type",
                "icmp_code",
                peer_key,
                "description",
            ],
        )?;
        let traffic = traffic(&o)?;
        let peer_node = o.req(peer_key)?;
        let peer_text = string(peer_node)?;
        let peer = if let Some(id) = peer_text.strip_prefix("sg:") {
            RulePeer::SecurityGroup(id.to_string())
        } else if let Some(id) = peer_text.strip_prefix("pl:") {
            RulePeer::PrefixList(id.to_string())
        } else {
            let skip = Ipv6Skip::rule(group, peer_key == "to", traffic);
            match self.cidr_or_skip(peer_node, skip)? {
                Some(net) => RulePeer::Cidr(net),
                None => return Ok(None),
            }
        };
        Ok(Some(SecurityGroupRule {
            traffic,
            peer,
            description: o.opt_str("description")?,
            implicit: false,
            span: Some(n.span),
        }))
    }

    fn network_acl(&mut self, n: &Node) -> Result<NetworkAcl, LoadError> {
        let mut o = Obj::new(
            n,
            "a network ACL",
            &["id", "name", "tags", "vpc", "entries"],
        )?;
        let meta = o.meta()?;
        let mut entries = Vec::new();
        for e in o.list("entries")? {
            let fields = &[
                "rule",
                "direction",
                "action",
                "protocol",
                "ports",
                "icmp_type",
                "icmp_code",
                "cidr",
            ];
            let eo = Obj::new(e, "a NACL entry", fields)?;
            let rule_number = nacl::rule_number(eo.req("rule")?)?;
            let direction = eo.req("direction")?;
            let egress = choice(
                direction,
                "direction",
                &[
                    ("ingress", false),
                    ("inbound", false),
                    ("egress", true),
                    ("outbound", true),
                ],
            )?;
            let action = nacl::rule_action(eo.req("action")?)?;
            let skip = Ipv6Skip::nacl_entry(&meta.id, egress, action);
            let Some(cidr) = self.cidr_or_skip(eo.req("cidr")?, skip)? else {
                continue;
            };
            entries.push(NaclEntry {
                rule_number,
                egress,
                action,
                traffic: traffic(&eo)?,
                cidr,
                span: Some(e.span),
            });
        }
        Ok(NetworkAcl {
            meta,
            vpc: o.req_str("vpc")?,
            entries,
        })
    }

    fn eni(&mut self, n: &Node, owner: EniOwner) -> Result<Eni, LoadError> {
        let fields = &[
            "id",
            "name",
            "tags",
            "subnet",
            "private_ip",
            "private_ips",
            "public_ip",
            "security_groups",
            "sg_enforced",
        ];
        let mut o = Obj::new(n, "a network interface", fields)?;
        self.eni_fields(&mut o, owner)
    }

    fn eni_fields(&mut self, o: &mut Obj<'_>, owner: EniOwner) -> Result<Eni, LoadError> {
        let mut private_ips = Vec::new();
        if let Some(p) = o.opt("private_ip") {
            private_ips.push(ip(p)?);
        }
        for p in o.list("private_ips")? {
            private_ips.push(ip(p)?);
        }
        let (public_ip, auto_public_ip) = match o.opt("public_ip") {
            Some(p) if p.as_str() == Some("auto") => (None, true),
            Some(p) if p.as_str() == Some("none") => (None, false),
            Some(p) => (Some(ip(p)?), false),
            None => (None, false),
        };
        Ok(Eni {
            meta: o.meta()?,
            subnet: o.req_str("subnet")?,
            private_ips,
            public_ip,
            auto_public_ip,
            security_groups: o.str_list("security_groups")?,
            sg_enforced: o.opt_bool("sg_enforced")?.unwrap_or(true),
            owner,
            addresses_allocated: false,
        })
    }

    /// An instance with its primary interface inline (`subnet`, addresses, groups)
    /// or a list of existing interfaces (`enis`); and whether the inline
    /// interface's public address is its subnet's to decide (no `public_ip`).
    fn instance(&mut self, n: &Node) -> Result<(Instance, Option<Eni>, bool), LoadError> {
        let fields = &[
            "id",
            "name",
            "tags",
            "subnet",
            "private_ip",
            "private_ips",
            "public_ip",
            "security_groups",
            "enis",
        ];
        let mut o = Obj::new(n, "an instance", fields)?;
        let meta = o.meta()?;
        let mut enis = o.str_list("enis")?;
        if o.opt("subnet").is_some() {
            let mut eni = self.eni_fields(&mut o, EniOwner::Instance(meta.id.clone()))?;
            eni.meta = Meta {
                id: records::primary_interface(&meta.id),
                ..meta.clone()
            };
            let by_subnet = o.opt("public_ip").is_none()
                && public_address::at_launch(None, 0, 1 + enis.len()).is_none();
            enis.insert(0, eni.meta.id.clone());
            return Ok((Instance { meta, enis }, Some(eni), by_subnet));
        } else if enis.is_empty() {
            return Err(invalid(
                format!("instance `{}` has neither `subnet` nor `enis`", meta.id),
                n.span,
                Some("give its subnet (and security_groups) inline, or list its interfaces in `enis`".into()),
            ));
        }
        Ok((Instance { meta, enis }, None, false))
    }

    fn load_balancer(&mut self, n: &Node) -> Result<LoadBalancer, LoadError> {
        let fields = &[
            "id",
            "name",
            "tags",
            "type",
            "scheme",
            "subnets",
            "security_groups",
            "listeners",
        ];
        let mut o = Obj::new(n, "a load balancer", fields)?;
        let kind = o.opt_word("type", "load balancer type", &["application", "network"])?;
        let kind = load_balancer::kind(kind.as_deref()).unwrap_or(LoadBalancerKind::Application);
        let scheme = o.opt_word("scheme", "scheme", &["internet-facing", "internal"])?;
        let internet_facing = load_balancer::internet_facing(scheme.as_deref());
        let mut listeners = Vec::new();
        for l in o.list("listeners")? {
            let lo = Obj::new(
                l,
                "a listener",
                &["protocol", "port", "target_group", "target_groups"],
            )?;
            let mut target_groups = lo.str_list("target_groups")?;
            if let Some(tg) = lo.opt_str("target_group")? {
                target_groups.insert(0, tg);
            }
            let port = load_balancer::port(lo.req("port")?)?;
            for protocol in listener_protocols(lo.opt("protocol"))? {
                listeners.push(Listener {
                    protocol,
                    port,
                    target_groups: target_groups.clone(),
                    span: Some(l.span),
                });
            }
        }
        Ok(LoadBalancer {
            meta: o.meta()?,
            kind,
            internet_facing,
            subnets: o.str_list("subnets")?,
            security_groups: o.str_list("security_groups")?,
            listeners,
            nodes: Vec::new(),
        })
    }

    fn target_group(&mut self, n: &Node) -> Result<TargetGroup, LoadError> {
        let mut o = Obj::new(
            n,
            "a target group",
            &[
                "id",
                "name",
                "tags",
                "protocol",
                "port",
                "targets",
                "preserve_client_ip",
            ],
        )?;
        let mut targets = Vec::new();
        for t in o.list("targets")? {
            let to = Obj::new(t, "a target", &["instance", "ip", "port"])?;
            let target = match (to.opt("instance"), to.opt("ip")) {
                (Some(i), None) => load_balancer::target(Some("instance"), i)?,
                (None, Some(a)) => load_balancer::target(Some("ip"), a)?,
                _ => {
                    return Err(invalid(
                        "a target needs exactly one of `instance` and `ip`".into(),
                        t.span,
                        None,
                    ));
                }
            };
            targets.push(Target {
                target,
                port: to.opt("port").map(load_balancer::port).transpose()?,
            });
        }
        // A group's targets are all of one type; IP targets name addresses.
        let all_ips = !targets.is_empty()
            && (targets.iter()).all(|t: &Target| matches!(t.target, TargetRef::Ip(_)));
        let target_type = if all_ips { "ip" } else { "instance" };
        let protocol_text = o.opt("protocol").and_then(Node::as_str).map(str::to_string);
        let attribute = o.opt_bool("preserve_client_ip")?;
        Ok(TargetGroup {
            meta: o.meta()?,
            protocol: target_group_transport(o.opt("protocol"))?,
            port: load_balancer::port(o.req("port")?)?,
            targets,
            preserve_client_ip: load_balancer::preserves_client_ip(
                Some(target_type),
                protocol_text.as_deref(),
                attribute,
            ),
        })
    }

    fn endpoint(&mut self, n: &Node) -> Result<VpcEndpoint, LoadError> {
        let fields = &[
            "id",
            "name",
            "tags",
            "vpc",
            "service_name",
            "type",
            "subnets",
            "security_groups",
            "route_tables",
        ];
        let mut o = Obj::new(n, "a VPC endpoint", fields)?;
        let type_ = o.opt_word("type", "endpoint type", &["interface", "gateway"])?;
        let kind = match records::endpoint::endpoint_type(type_.as_deref()) {
            records::endpoint::EndpointType::Modelled(kind) => kind,
            records::endpoint::EndpointType::Appliance => EndpointKind::Gateway,
        };
        Ok(VpcEndpoint {
            meta: o.meta()?,
            vpc: o.req_str("vpc")?,
            service_name: o.req_str("service_name")?,
            kind,
            subnets: o.str_list("subnets")?,
            security_groups: o.str_list("security_groups")?,
            route_tables: o.str_list("route_tables")?,
            enis: Vec::new(),
        })
    }
}

/// The transports a listener's `protocol` accepts (TCP when absent), as
/// every reader reads them.
fn listener_protocols(node: Option<&Node>) -> Result<Vec<Protocol>, LoadError> {
    let Some(node) = node else {
        return Ok(load_balancer::listener_protocols(None));
    };
    let text = string(node)?;
    let protocols = load_balancer::listener_protocols(Some(&text));
    if protocols.is_empty() {
        return Err(unknown_protocol("listener", node, &text));
    }
    Ok(protocols)
}

/// The transport of a target group's `protocol` (TCP when absent).
fn target_group_transport(node: Option<&Node>) -> Result<Protocol, LoadError> {
    let Some(node) = node else {
        return Ok(Protocol::Tcp);
    };
    let text = string(node)?;
    load_balancer::transport(&text).ok_or_else(|| unknown_protocol("target-group", node, &text))
}

fn unknown_protocol(what: &str, node: &Node, text: &str) -> LoadError {
    invalid(
        format!("unknown {what} protocol `{text}`"),
        node.span,
        Some("use http, https, tcp, tls, udp or tcp_udp".into()),
    )
}
