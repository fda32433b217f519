//! Checks that turn a [`ModelParts`] into a trustworthy [`super::Model`]: every
//! reference resolves to an object of the right kind in the right VPC, and every
//! value is one AWS would accept.

use super::*;
use crate::span::Span;
use crate::suggest::suggest;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

pub(super) fn duplicates(parts: &ModelParts) -> Vec<ModelError> {
    let mut errors = Vec::new();
    let mut check = |kind: &'static str, metas: Vec<&Meta>| {
        let mut seen = HashSet::new();
        for m in metas {
            if !seen.insert(m.id.as_str()) {
                errors.push(ModelError::DuplicateId {
                    kind,
                    id: m.id.clone(),
                    span: m.span,
                });
            }
        }
    };
    check("vpc", parts.vpcs.iter().map(|o| &o.meta).collect());
    check("subnet", parts.subnets.iter().map(|o| &o.meta).collect());
    check(
        "route table",
        parts.route_tables.iter().map(|o| &o.meta).collect(),
    );
    check(
        "internet gateway",
        parts.internet_gateways.iter().map(|o| &o.meta).collect(),
    );
    check(
        "NAT gateway",
        parts.nat_gateways.iter().map(|o| &o.meta).collect(),
    );
    check(
        "VPN gateway",
        parts.vpn_gateways.iter().map(|o| &o.meta).collect(),
    );
    check("peering", parts.peerings.iter().map(|o| &o.meta).collect());
    check(
        "security group",
        parts.security_groups.iter().map(|o| &o.meta).collect(),
    );
    check(
        "network ACL",
        parts.network_acls.iter().map(|o| &o.meta).collect(),
    );
    check(
        "network interface",
        parts.enis.iter().map(|o| &o.meta).collect(),
    );
    check(
        "instance",
        parts.instances.iter().map(|o| &o.meta).collect(),
    );
    check(
        "load balancer",
        parts.load_balancers.iter().map(|o| &o.meta).collect(),
    );
    check(
        "target group",
        parts.target_groups.iter().map(|o| &o.meta).collect(),
    );
    check(
        "VPC endpoint",
        parts.vpc_endpoints.iter().map(|o| &o.meta).collect(),
    );
    check(
        "prefix list",
        parts.prefix_lists.iter().map(|o| &o.meta).collect(),
    );
    errors
}

/// Collects dangling and cross-VPC references.
struct RefCheck<'a> {
    parts: &'a ModelParts,
    index: &'a Index,
    errors: Vec<ModelError>,
}

/// The referring side of a reference, for messages.
#[derive(Clone, Copy)]
struct From<'a> {
    kind: &'static str,
    id: &'a str,
    span: Option<Span>,
}

impl<'a> RefCheck<'a> {
    fn exists(
        &mut self,
        from: From<'_>,
        field: &'static str,
        to_kind: &'static str,
        to_id: &str,
        table: &HashMap<String, usize>,
    ) -> bool {
        if table.contains_key(to_id) {
            return true;
        }
        let help = suggest(to_id, table.keys().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"));
        self.errors.push(ModelError::DanglingReference {
            from_kind: from.kind,
            from_id: from.id.to_string(),
            field,
            to_kind,
            to_id: to_id.to_string(),
            span: from.span,
            help,
        });
        false
    }

    fn same_vpc(
        &mut self,
        from: From<'_>,
        from_vpc: &str,
        to_kind: &'static str,
        to_id: &str,
        to_vpc: &str,
    ) {
        if from_vpc != to_vpc {
            self.errors.push(ModelError::CrossVpc {
                from_kind: from.kind,
                from_id: from.id.to_string(),
                from_vpc: from_vpc.to_string(),
                to_kind,
                to_id: to_id.to_string(),
                to_vpc: to_vpc.to_string(),
                span: from.span,
            });
        }
    }

    fn vpc(&mut self, from: From<'_>, vpc: &str) {
        let index = self.index;
        self.exists(from, "vpc", "vpc", vpc, &index.vpcs);
    }

    fn subnet_vpc(&self, subnet: &str) -> Option<&'a str> {
        let i = *self.index.subnets.get(subnet)?;
        self.parts.subnets.get(i).map(|s| s.vpc.as_str())
    }

    fn route_table(&mut self, from: From<'_>, field: &'static str, id: &str, vpc: &str) {
        let index = self.index;
        if self.exists(from, field, "route table", id, &index.route_tables)
            && let Some(t) = index
                .route_tables
                .get(id)
                .and_then(|&i| self.parts.route_tables.get(i))
        {
            self.same_vpc(from, vpc, "route table", id, &t.vpc);
        }
    }

    fn network_acl(&mut self, from: From<'_>, field: &'static str, id: &str, vpc: &str) {
        let index = self.index;
        if self.exists(from, field, "network ACL", id, &index.network_acls)
            && let Some(t) = index
                .network_acls
                .get(id)
                .and_then(|&i| self.parts.network_acls.get(i))
        {
            self.same_vpc(from, vpc, "network ACL", id, &t.vpc);
        }
    }

    fn subnet(&mut self, from: From<'_>, field: &'static str, id: &str) -> Option<&'a str> {
        let index = self.index;
        self.exists(from, field, "subnet", id, &index.subnets)
            .then(|| self.subnet_vpc(id))
            .flatten()
    }

    fn security_group(&mut self, from: From<'_>, field: &'static str, id: &str, vpc: Option<&str>) {
        let index = self.index;
        if self.exists(from, field, "security group", id, &index.security_groups) {
            let sg = self
                .index
                .security_groups
                .get(id)
                .and_then(|&i| self.parts.security_groups.get(i));
            if let (Some(sg), Some(vpc)) = (sg, vpc) {
                self.same_vpc(from, vpc, "security group", id, &sg.vpc);
            }
        }
    }
}

pub(super) fn references(parts: &ModelParts, index: &Index) -> Vec<ModelError> {
    let mut c = RefCheck {
        parts,
        index,
        errors: Vec::new(),
    };
    fn at<'m>(kind: &'static str, meta: &'m Meta) -> From<'m> {
        From {
            kind,
            id: &meta.id,
            span: meta.span,
        }
    }
    let idx = index;
    for v in &parts.vpcs {
        let f = at("vpc", &v.meta);
        if let Some(t) = &v.main_route_table {
            c.route_table(f, "main_route_table", t, &v.meta.id);
        }
        if let Some(n) = &v.default_network_acl {
            c.network_acl(f, "default_network_acl", n, &v.meta.id);
        }
    }
    for s in &parts.subnets {
        let f = at("subnet", &s.meta);
        if c.exists(f, "vpc", "vpc", &s.vpc, &idx.vpcs) {
            if let Some(t) = &s.route_table {
                c.route_table(f, "route_table", t, &s.vpc);
            }
            if let Some(n) = &s.network_acl {
                c.network_acl(f, "network_acl", n, &s.vpc);
            }
        }
    }
    for t in &parts.route_tables {
        c.vpc(at("route table", &t.meta), &t.vpc);
        for r in &t.routes {
            let f = From {
                kind: "route table",
                id: &t.meta.id,
                span: r.span.or(t.meta.span),
            };
            if let RouteDestination::PrefixList(pl) = &r.destination {
                c.exists(
                    f,
                    "routes.destination",
                    "prefix list",
                    pl,
                    &idx.prefix_lists,
                );
            }
            route_target(&mut c, f, &t.vpc, &r.target);
        }
    }
    for g in &parts.internet_gateways {
        if let Some(v) = &g.vpc {
            c.vpc(at("internet gateway", &g.meta), v);
        }
    }
    for g in &parts.vpn_gateways {
        if let Some(v) = &g.vpc {
            c.vpc(at("VPN gateway", &g.meta), v);
        }
    }
    for n in &parts.nat_gateways {
        c.subnet(at("NAT gateway", &n.meta), "subnet", &n.subnet);
    }
    for p in &parts.peerings {
        let f = at("peering", &p.meta);
        c.exists(f, "requester_vpc", "vpc", &p.requester_vpc, &idx.vpcs);
        c.exists(f, "accepter_vpc", "vpc", &p.accepter_vpc, &idx.vpcs);
    }
    for sg in &parts.security_groups {
        c.vpc(at("security group", &sg.meta), &sg.vpc);
        for rule in sg.ingress.iter().chain(&sg.egress) {
            let f = From {
                kind: "security group",
                id: &sg.meta.id,
                span: rule.span.or(sg.meta.span),
            };
            match &rule.peer {
                // References across a peering are allowed, so no VPC check here.
                RulePeer::SecurityGroup(id) => c.security_group(f, "rule peer", id, None),
                RulePeer::PrefixList(id) => {
                    c.exists(f, "rule peer", "prefix list", id, &idx.prefix_lists);
                }
                RulePeer::Cidr(_) => {}
            }
        }
    }
    for n in &parts.network_acls {
        c.vpc(at("network ACL", &n.meta), &n.vpc);
    }
    for e in &parts.enis {
        let f = at("network interface", &e.meta);
        let vpc = c.subnet(f, "subnet", &e.subnet);
        for sg in &e.security_groups {
            c.security_group(f, "security_groups", sg, vpc);
        }
    }
    for i in &parts.instances {
        for e in &i.enis {
            c.exists(
                at("instance", &i.meta),
                "enis",
                "network interface",
                e,
                &idx.enis,
            );
        }
    }
    for lb in &parts.load_balancers {
        let f = at("load balancer", &lb.meta);
        let mut vpc = None;
        for s in &lb.subnets {
            vpc = c.subnet(f, "subnets", s).or(vpc);
        }
        for sg in &lb.security_groups {
            c.security_group(f, "security_groups", sg, vpc);
        }
        for l in &lb.listeners {
            for tg in &l.target_groups {
                let lf = From {
                    span: l.span.or(lb.meta.span),
                    ..f
                };
                c.exists(
                    lf,
                    "listeners.target_groups",
                    "target group",
                    tg,
                    &idx.target_groups,
                );
            }
        }
        for e in &lb.nodes {
            c.exists(f, "nodes", "network interface", e, &idx.enis);
        }
    }
    for tg in &parts.target_groups {
        for t in &tg.targets {
            if let TargetRef::Instance(i) = &t.target {
                c.exists(
                    at("target group", &tg.meta),
                    "targets",
                    "instance",
                    i,
                    &idx.instances,
                );
            }
        }
    }
    for ep in &parts.vpc_endpoints {
        let f = at("VPC endpoint", &ep.meta);
        c.vpc(f, &ep.vpc);
        for s in &ep.subnets {
            if let Some(v) = c.subnet(f, "subnets", s) {
                c.same_vpc(f, &ep.vpc, "subnet", s, v);
            }
        }
        for sg in &ep.security_groups {
            c.security_group(f, "security_groups", sg, Some(&ep.vpc));
        }
        for t in &ep.route_tables {
            c.route_table(f, "route_tables", t, &ep.vpc);
        }
        for e in &ep.enis {
            c.exists(f, "enis", "network interface", e, &idx.enis);
        }
    }
    c.errors
}

fn route_target(c: &mut RefCheck<'_>, f: From<'_>, vpc: &str, target: &RouteTarget) {
    let idx = c.index;
    let parts = c.parts;
    let get = |table: &HashMap<String, usize>, id: &str| table.get(id).copied();
    match target {
        RouteTarget::Local | RouteTarget::Blackhole => {}
        RouteTarget::InternetGateway(id) => {
            if c.exists(
                f,
                "routes.target",
                "internet gateway",
                id,
                &idx.internet_gateways,
            ) {
                let attached = get(&idx.internet_gateways, id)
                    .and_then(|i| parts.internet_gateways.get(i))
                    .and_then(|g| g.vpc.clone());
                match attached {
                    Some(v) => c.same_vpc(f, vpc, "internet gateway", id, &v),
                    None => c.same_vpc(f, vpc, "internet gateway", id, "(not attached)"),
                }
            }
        }
        RouteTarget::VpnGateway(id) => {
            if c.exists(f, "routes.target", "VPN gateway", id, &idx.vpn_gateways) {
                let attached = get(&idx.vpn_gateways, id)
                    .and_then(|i| parts.vpn_gateways.get(i))
                    .and_then(|g| g.vpc.clone());
                c.same_vpc(
                    f,
                    vpc,
                    "VPN gateway",
                    id,
                    attached.as_deref().unwrap_or("(not attached)"),
                );
            }
        }
        RouteTarget::NatGateway(id) => {
            if c.exists(f, "routes.target", "NAT gateway", id, &idx.nat_gateways) {
                let nat_vpc = get(&idx.nat_gateways, id)
                    .and_then(|i| parts.nat_gateways.get(i))
                    .and_then(|n| c.subnet_vpc(&n.subnet));
                if let Some(v) = nat_vpc {
                    c.same_vpc(f, vpc, "NAT gateway", id, v);
                }
            }
        }
        RouteTarget::Peering(id) => {
            if c.exists(f, "routes.target", "peering", id, &idx.peerings) {
                let p = get(&idx.peerings, id).and_then(|i| parts.peerings.get(i));
                if let Some(p) = p.filter(|p| p.peer_of(vpc).is_none()) {
                    c.same_vpc(
                        f,
                        vpc,
                        "peering",
                        id,
                        &format!("{} <-> {}", p.requester_vpc, p.accepter_vpc),
                    );
                }
            }
        }
        RouteTarget::TransitGateway(_) => {}
        RouteTarget::NetworkInterface(id) => {
            c.exists(f, "routes.target", "network interface", id, &idx.enis);
        }
        RouteTarget::GatewayEndpoint(id) => {
            c.exists(f, "routes.target", "VPC endpoint", id, &idx.vpc_endpoints);
        }
    }
}

fn invalid(kind: &'static str, id: &str, message: String, span: Option<Span>) -> ModelError {
    ModelError::InvalidValue {
        kind,
        id: id.to_string(),
        message,
        span,
    }
}

fn traffic_error(t: &TrafficMatch) -> Option<String> {
    match (t.protocol, t.ports) {
        (_, PortMatch::Any) => None,
        (p, PortMatch::Range { first, last }) if p.has_ports() => {
            (first > last).then(|| format!("port range {first}-{last} is empty"))
        }
        (Protocol::Icmp, PortMatch::Icmp { .. }) => None,
        (p, ports) => Some(format!("protocol {p} cannot match {ports:?}")),
    }
}

pub(super) fn values(parts: &ModelParts, index: &Index) -> Vec<ModelError> {
    let mut errors = Vec::new();
    for v in &parts.vpcs {
        if v.cidr_blocks.is_empty() {
            errors.push(invalid(
                "vpc",
                &v.meta.id,
                "has no CIDR block".into(),
                v.meta.span,
            ));
        }
    }
    let mut by_vpc: HashMap<&str, Vec<&Subnet>> = HashMap::new();
    for s in &parts.subnets {
        let vpc = index.vpcs.get(&s.vpc).and_then(|&i| parts.vpcs.get(i));
        if let Some(vpc) = vpc
            && !vpc.cidr_blocks.iter().any(|b| b.contains(&s.cidr))
        {
            {
                let blocks: Vec<String> = vpc.cidr_blocks.iter().map(ToString::to_string).collect();
                errors.push(invalid(
                    "subnet",
                    &s.meta.id,
                    format!(
                        "CIDR {} lies outside VPC `{}` ({})",
                        s.cidr,
                        s.vpc,
                        blocks.join(", ")
                    ),
                    s.meta.span,
                ));
            }
        }
        let peers = by_vpc.entry(s.vpc.as_str()).or_default();
        if let Some(other) = peers
            .iter()
            .find(|o| o.cidr.contains(&s.cidr) || s.cidr.contains(&o.cidr))
        {
            errors.push(ModelError::OverlappingSubnets {
                first: other.meta.id.clone(),
                first_cidr: other.cidr.to_string(),
                second: s.meta.id.clone(),
                second_cidr: s.cidr.to_string(),
                span: s.meta.span,
            });
        }
        peers.push(s);
    }
    for sg in &parts.security_groups {
        for r in sg.ingress.iter().chain(&sg.egress) {
            if let Some(m) = traffic_error(&r.traffic) {
                errors.push(invalid(
                    "security group",
                    &sg.meta.id,
                    m,
                    r.span.or(sg.meta.span),
                ));
            }
        }
    }
    for n in &parts.network_acls {
        let mut numbers = HashSet::new();
        for e in &n.entries {
            let span = e.span.or(n.meta.span);
            if !(1..=32766).contains(&e.rule_number) {
                errors.push(invalid(
                    "network ACL",
                    &n.meta.id,
                    format!("rule number {} is outside 1-32766", e.rule_number),
                    span,
                ));
            }
            if !numbers.insert((e.egress, e.rule_number)) {
                let dir = if e.egress { "egress" } else { "ingress" };
                errors.push(invalid(
                    "network ACL",
                    &n.meta.id,
                    format!("{dir} rule number {} is used twice", e.rule_number),
                    span,
                ));
            }
            if let Some(m) = traffic_error(&e.traffic) {
                errors.push(invalid("network ACL", &n.meta.id, m, span));
            }
        }
    }
    for t in &parts.route_tables {
        let mut seen = HashSet::new();
        for r in &t.routes {
            if !seen.insert(&r.destination) {
                errors.push(invalid(
                    "route table",
                    &t.meta.id,
                    format!("two routes for destination {:?}", r.destination),
                    r.span.or(t.meta.span),
                ));
            }
        }
    }
    for p in &parts.peerings {
        if p.requester_vpc == p.accepter_vpc {
            errors.push(invalid(
                "peering",
                &p.meta.id,
                "connects a VPC to itself".into(),
                p.meta.span,
            ));
        }
    }
    for e in &parts.enis {
        let subnet = index
            .subnets
            .get(&e.subnet)
            .and_then(|&i| parts.subnets.get(i));
        if let Some(s) = subnet {
            for ip in e.private_ips.iter().filter(|ip| !s.cidr.contains(*ip)) {
                errors.push(invalid(
                    "network interface",
                    &e.meta.id,
                    format!(
                        "address {ip} lies outside subnet `{}` ({})",
                        s.meta.id, s.cidr
                    ),
                    e.meta.span,
                ));
            }
        }
    }
    errors
}

pub(super) fn warnings(parts: &ModelParts) -> Vec<Warning> {
    let mut out = Vec::new();
    for g in &parts.vpn_gateways {
        if !g.has_vpn_connection {
            out.push(Warning::new(
                "np::model::vgw-without-vpn",
                format!(
                    "virtual private gateway `{}` has no VPN connection: on-premises traffic is assumed to arrive once one exists",
                    g.meta.id
                ),
                g.meta.span,
            ));
        }
    }
    for g in &parts.internet_gateways {
        if g.vpc.is_none() {
            out.push(Warning::new(
                "np::model::igw-detached",
                format!("internet gateway `{}` is not attached to a VPC", g.meta.id),
                g.meta.span,
            ));
        }
    }
    for t in &parts.route_tables {
        for r in &t.routes {
            let what = match &r.target {
                RouteTarget::TransitGateway(id) => format!("transit gateway `{id}`"),
                RouteTarget::NetworkInterface(id) => format!("network interface `{id}`"),
                _ => continue,
            };
            out.push(Warning::new(
                "np::model::target-not-followed",
                format!(
                    "route table `{}` sends traffic to {what}, which netpolicy does not follow yet: those packets are treated as dropped",
                    t.meta.id
                ),
                r.span.or(t.meta.span),
            ));
        }
    }
    for p in parts.peerings.iter().filter(|p| !p.active) {
        out.push(Warning::new(
            "np::model::peering-inactive",
            format!(
                "peering `{}` is not active and carries no traffic",
                p.meta.id
            ),
            p.meta.span,
        ));
    }
    out
}
