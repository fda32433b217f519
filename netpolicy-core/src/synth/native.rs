//! Writes a model in the native format (JSON, one object per line), as
//! `docs/model-format.md` describes it. Objects the loader derives (load-balancer
//! nodes, endpoint and NAT interfaces, local routes) are left out, so reading the
//! file back gives the same model.

use crate::model::*;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// Writes `model` to `out`.
pub fn write(model: &Model, out: &mut impl Write) -> io::Result<()> {
    let parts = model.parts();
    let sections: Vec<(&str, Vec<Value>)> = vec![
        ("vpcs", parts.vpcs.iter().map(vpc).collect()),
        ("subnets", parts.subnets.iter().map(subnet).collect()),
        (
            "route_tables",
            parts.route_tables.iter().map(route_table).collect(),
        ),
        (
            "internet_gateways",
            parts
                .internet_gateways
                .iter()
                .map(|g| object(&g.meta, [("vpc", json!(g.vpc))]))
                .collect(),
        ),
        (
            "nat_gateways",
            parts.nat_gateways.iter().map(nat_gateway).collect(),
        ),
        (
            "vpn_gateways",
            parts
                .vpn_gateways
                .iter()
                .map(|g| {
                    object(
                        &g.meta,
                        [
                            ("vpc", json!(g.vpc)),
                            ("has_vpn_connection", json!(g.has_vpn_connection)),
                        ],
                    )
                })
                .collect(),
        ),
        (
            "peerings",
            parts
                .peerings
                .iter()
                .map(|p| {
                    object(
                        &p.meta,
                        [
                            ("requester_vpc", json!(p.requester_vpc)),
                            ("accepter_vpc", json!(p.accepter_vpc)),
                            ("active", json!(p.active)),
                        ],
                    )
                })
                .collect(),
        ),
        (
            "security_groups",
            parts.security_groups.iter().map(security_group).collect(),
        ),
        (
            "network_acls",
            parts.network_acls.iter().map(network_acl).collect(),
        ),
        (
            "enis",
            parts
                .enis
                .iter()
                .filter(|e| matches!(e.owner, EniOwner::None | EniOwner::Instance(_)))
                .map(eni)
                .collect(),
        ),
        (
            "instances",
            parts
                .instances
                .iter()
                .map(|i| object(&i.meta, [("enis", json!(i.enis))]))
                .collect(),
        ),
        (
            "load_balancers",
            parts.load_balancers.iter().map(load_balancer).collect(),
        ),
        (
            "target_groups",
            parts.target_groups.iter().map(target_group).collect(),
        ),
        (
            "vpc_endpoints",
            parts.vpc_endpoints.iter().map(endpoint).collect(),
        ),
        (
            "prefix_lists",
            parts
                .prefix_lists
                .iter()
                .map(|l| object(&l.meta, [("cidrs", json!(l.cidrs))]))
                .collect(),
        ),
    ];
    out.write_all(b"{\n")?;
    let mut first_section = true;
    for (key, items) in sections {
        if items.is_empty() {
            continue;
        }
        if !first_section {
            out.write_all(b",\n")?;
        }
        first_section = false;
        writeln!(out, "\"{key}\": [")?;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.write_all(b",\n")?;
            }
            serde_json::to_writer(&mut *out, item)?;
        }
        out.write_all(b"\n]")?;
    }
    out.write_all(b"\n}\n")
}

fn object<const N: usize>(meta: &Meta, fields: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(meta.id));
    if let Some(name) = &meta.name {
        map.insert("name".into(), json!(name));
    }
    let tags: Map<String, Value> = meta
        .tags
        .iter()
        .filter(|(k, _)| k.as_str() != "Name")
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if !tags.is_empty() {
        map.insert("tags".into(), Value::Object(tags));
    }
    for (key, value) in fields {
        if !value.is_null() {
            map.insert(key.into(), value);
        }
    }
    Value::Object(map)
}

fn vpc(v: &Vpc) -> Value {
    object(
        &v.meta,
        [
            ("cidr_blocks", json!(v.cidr_blocks)),
            ("main_route_table", json!(v.main_route_table)),
            ("default_network_acl", json!(v.default_network_acl)),
        ],
    )
}

fn subnet(s: &Subnet) -> Value {
    object(
        &s.meta,
        [
            ("vpc", json!(s.vpc)),
            ("cidr", json!(s.cidr)),
            ("availability_zone", json!(s.availability_zone)),
            ("map_public_ip_on_launch", json!(s.map_public_ip_on_launch)),
            ("route_table", json!(s.route_table)),
            ("network_acl", json!(s.network_acl)),
        ],
    )
}

fn route_table(t: &RouteTable) -> Value {
    let routes: Vec<Value> = t
        .routes
        .iter()
        .filter(|r| r.target != RouteTarget::Local)
        .map(|r| {
            let mut m = Map::new();
            match &r.destination {
                RouteDestination::Cidr(net) => m.insert("destination".into(), json!(net)),
                RouteDestination::PrefixList(id) => m.insert("prefix_list".into(), json!(id)),
            };
            let (key, value) = match &r.target {
                RouteTarget::Local | RouteTarget::Blackhole => ("blackhole", json!(true)),
                RouteTarget::InternetGateway(id) => ("internet_gateway", json!(id)),
                RouteTarget::NatGateway(id) => ("nat_gateway", json!(id)),
                RouteTarget::Peering(id) => ("peering", json!(id)),
                RouteTarget::VpnGateway(id) => ("vpn_gateway", json!(id)),
                RouteTarget::TransitGateway(id) => ("transit_gateway", json!(id)),
                RouteTarget::NetworkInterface(id) => ("network_interface", json!(id)),
                RouteTarget::GatewayEndpoint(id) => ("gateway_endpoint", json!(id)),
            };
            m.insert(key.into(), value);
            Value::Object(m)
        })
        .collect();
    object(&t.meta, [("vpc", json!(t.vpc)), ("routes", json!(routes))])
}

fn nat_gateway(n: &NatGateway) -> Value {
    object(
        &n.meta,
        [
            ("subnet", json!(n.subnet)),
            ("private_ip", json!(n.private_ip)),
            ("public_ip", json!(n.public_ip)),
            ("public", json!(n.public)),
        ],
    )
}

/// `protocol` and `ports` / `icmp_type` / `icmp_code` of a rule or entry.
fn traffic(t: &TrafficMatch, m: &mut Map<String, Value>) {
    let protocol = match t.protocol {
        Protocol::Number(n) => json!(n.to_string()),
        p => json!(p.to_string()),
    };
    m.insert("protocol".into(), protocol);
    match t.ports {
        PortMatch::Any => {}
        PortMatch::Range { first, last } if first == last => {
            m.insert("ports".into(), json!(first));
        }
        PortMatch::Range { first, last } => {
            m.insert("ports".into(), json!(format!("{first}-{last}")));
        }
        PortMatch::Icmp {
            icmp_type,
            icmp_code,
        } => {
            if let Some(t) = icmp_type {
                m.insert("icmp_type".into(), json!(t));
            }
            if let Some(c) = icmp_code {
                m.insert("icmp_code".into(), json!(c));
            }
        }
    }
}

fn sg_rule(r: &SecurityGroupRule, peer_key: &str) -> Value {
    let mut m = Map::new();
    traffic(&r.traffic, &mut m);
    let peer = match &r.peer {
        RulePeer::Cidr(net) => net.to_string(),
        RulePeer::SecurityGroup(id) => format!("sg:{id}"),
        RulePeer::PrefixList(id) => format!("pl:{id}"),
    };
    m.insert(peer_key.into(), json!(peer));
    if let Some(d) = &r.description {
        m.insert("description".into(), json!(d));
    }
    Value::Object(m)
}

fn security_group(g: &SecurityGroup) -> Value {
    let ingress: Vec<Value> = g.ingress.iter().map(|r| sg_rule(r, "from")).collect();
    // AWS's default egress rule is what an absent `egress` key means.
    let egress = match g.egress.as_slice() {
        [only] if only.implicit => Value::Null,
        rules => json!(rules.iter().map(|r| sg_rule(r, "to")).collect::<Vec<_>>()),
    };
    object(
        &g.meta,
        [
            ("vpc", json!(g.vpc)),
            ("ingress", json!(ingress)),
            ("egress", egress),
        ],
    )
}

fn network_acl(a: &NetworkAcl) -> Value {
    let entries: Vec<Value> = a
        .entries
        .iter()
        .map(|e| {
            let mut m = Map::new();
            m.insert("rule".into(), json!(e.rule_number));
            let direction = if e.egress { "egress" } else { "ingress" };
            m.insert("direction".into(), json!(direction));
            let action = match e.action {
                NaclAction::Allow => "allow",
                NaclAction::Deny => "deny",
            };
            m.insert("action".into(), json!(action));
            m.insert("cidr".into(), json!(e.cidr));
            traffic(&e.traffic, &mut m);
            Value::Object(m)
        })
        .collect();
    object(
        &a.meta,
        [("vpc", json!(a.vpc)), ("entries", json!(entries))],
    )
}

fn eni(e: &Eni) -> Value {
    object(
        &e.meta,
        [
            ("subnet", json!(e.subnet)),
            ("private_ips", json!(e.private_ips)),
            ("public_ip", json!(e.public_ip)),
            ("security_groups", json!(e.security_groups)),
            (
                "sg_enforced",
                if e.sg_enforced {
                    Value::Null
                } else {
                    json!(false)
                },
            ),
        ],
    )
}

fn load_balancer(lb: &LoadBalancer) -> Value {
    let listeners: Vec<Value> = lb
        .listeners
        .iter()
        .map(|l| {
            json!({
                "protocol": listener_protocol(lb.kind, l.protocol),
                "port": l.port,
                "target_groups": l.target_groups,
            })
        })
        .collect();
    let kind = match lb.kind {
        LoadBalancerKind::Application => "application",
        LoadBalancerKind::Network => "network",
    };
    let scheme = if lb.internet_facing {
        "internet-facing"
    } else {
        "internal"
    };
    object(
        &lb.meta,
        [
            ("type", json!(kind)),
            ("scheme", json!(scheme)),
            ("subnets", json!(lb.subnets)),
            ("security_groups", json!(lb.security_groups)),
            ("listeners", json!(listeners)),
        ],
    )
}

fn listener_protocol(kind: LoadBalancerKind, p: Protocol) -> &'static str {
    match (kind, p) {
        (_, Protocol::Udp) => "udp",
        (LoadBalancerKind::Application, _) => "https",
        (LoadBalancerKind::Network, _) => "tcp",
    }
}

fn target_group(t: &TargetGroup) -> Value {
    let targets: Vec<Value> = t
        .targets
        .iter()
        .map(|x| {
            let mut m = Map::new();
            match &x.target {
                TargetRef::Instance(id) => m.insert("instance".into(), json!(id)),
                TargetRef::Ip(ip) => m.insert("ip".into(), json!(ip)),
            };
            if let Some(port) = x.port {
                m.insert("port".into(), json!(port));
            }
            Value::Object(m)
        })
        .collect();
    let protocol = if t.protocol == Protocol::Udp {
        "udp"
    } else {
        "tcp"
    };
    object(
        &t.meta,
        [
            ("protocol", json!(protocol)),
            ("port", json!(t.port)),
            ("targets", json!(targets)),
            ("preserve_client_ip", json!(t.preserve_client_ip)),
        ],
    )
}

fn endpoint(e: &VpcEndpoint) -> Value {
    let kind = match e.kind {
        EndpointKind::Interface => "interface",
        EndpointKind::Gateway => "gateway",
    };
    object(
        &e.meta,
        [
            ("vpc", json!(e.vpc)),
            ("service_name", json!(e.service_name)),
            ("type", json!(kind)),
            ("subnets", json!(e.subnets)),
            ("security_groups", json!(e.security_groups)),
            ("route_tables", json!(e.route_tables)),
        ],
    )
}
