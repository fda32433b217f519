//! A plain-text summary of a model: counts, every security group with its rules,
//! every route table with its routes and subnets. Stable, for snapshots and for
//! checking a loader's reading of a template by eye.

use super::*;
use std::fmt::Write;

fn peer(p: &RulePeer) -> String {
    match p {
        RulePeer::Cidr(n) => n.to_string(),
        RulePeer::SecurityGroup(g) => format!("sg {g}"),
        RulePeer::PrefixList(l) => format!("prefix list {l}"),
    }
}

impl Model {
    /// The summary text.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let counts = [
            ("vpcs", self.vpcs().len()),
            ("subnets", self.subnets().len()),
            ("route tables", self.route_tables().len()),
            ("internet gateways", self.internet_gateways().len()),
            ("NAT gateways", self.nat_gateways().len()),
            ("VPN gateways", self.vpn_gateways().len()),
            ("peerings", self.peerings().len()),
            ("security groups", self.security_groups().len()),
            ("network ACLs", self.network_acls().len()),
            ("network interfaces", self.enis().len()),
            ("instances", self.instances().len()),
            ("load balancers", self.load_balancers().len()),
            ("target groups", self.target_groups().len()),
            ("VPC endpoints", self.vpc_endpoints().len()),
            ("prefix lists", self.prefix_lists().len()),
        ];
        let _ = writeln!(out, "counts:");
        for (what, n) in counts.iter().filter(|(_, n)| *n > 0) {
            let _ = writeln!(out, "  {what}: {n}");
        }
        let _ = writeln!(out, "\nvpcs:");
        for v in self.vpcs() {
            let blocks: Vec<String> = v.cidr_blocks.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "  {} [{}]", v.meta.label(), blocks.join(", "));
            for s in self.subnets().iter().filter(|s| s.vpc == v.meta.id) {
                let public = if s.map_public_ip_on_launch {
                    ", public IPs on launch"
                } else {
                    ""
                };
                let table = self
                    .subnet_route_table(s)
                    .map_or("(implicit main)".to_string(), |t| t.meta.id.clone());
                let acl = self
                    .subnet_network_acl(s)
                    .map_or("(default, allow all)".to_string(), |a| a.meta.id.clone());
                let _ = writeln!(
                    out,
                    "    subnet {} {}{public}; routes {table}; nacl {acl}",
                    s.meta.id, s.cidr
                );
            }
        }
        let _ = writeln!(out, "\nroute tables:");
        for t in self.route_tables() {
            let subnets: Vec<&str> = self
                .subnets()
                .iter()
                .filter(|s| {
                    self.subnet_route_table(s)
                        .is_some_and(|x| x.meta.id == t.meta.id)
                })
                .map(|s| s.meta.id.as_str())
                .collect();
            let _ = writeln!(
                out,
                "  {} (vpc {}; subnets: {})",
                t.meta.id,
                t.vpc,
                if subnets.is_empty() {
                    "none".into()
                } else {
                    subnets.join(", ")
                }
            );
            for r in &t.routes {
                let dest = match &r.destination {
                    RouteDestination::Cidr(n) => n.to_string(),
                    RouteDestination::PrefixList(p) => format!("prefix list {p}"),
                };
                let _ = writeln!(out, "    {dest} -> {}", r.target.describe());
            }
        }
        let _ = writeln!(out, "\nsecurity groups:");
        for g in self.security_groups() {
            let _ = writeln!(out, "  {} (vpc {})", g.meta.label(), g.vpc);
            for r in &g.ingress {
                let _ = writeln!(out, "    in  {} from {}", r.traffic, peer(&r.peer));
            }
            for r in &g.egress {
                let implicit = if r.implicit { " (implicit)" } else { "" };
                let _ = writeln!(out, "    out {} to {}{implicit}", r.traffic, peer(&r.peer));
            }
        }
        if !self.network_acls().is_empty() {
            let _ = writeln!(out, "\nnetwork ACLs:");
        }
        for a in self.network_acls() {
            let _ = writeln!(out, "  {} (vpc {})", a.meta.id, a.vpc);
            let mut entries: Vec<&NaclEntry> = a.entries.iter().collect();
            entries.sort_by_key(|e| (e.egress, e.rule_number));
            for e in entries {
                let dir = if e.egress { "out" } else { "in " };
                let _ = writeln!(
                    out,
                    "    {dir} {} {:?} {} {}",
                    e.rule_number, e.action, e.traffic, e.cidr
                );
            }
        }
        let _ = writeln!(out, "\ngateways:");
        for g in self.internet_gateways() {
            let _ = writeln!(
                out,
                "  internet gateway {} -> vpc {}",
                g.meta.id,
                g.vpc.as_deref().unwrap_or("(detached)")
            );
        }
        for n in self.nat_gateways() {
            let show =
                |ip: Option<std::net::Ipv4Addr>| ip.map_or("-".to_string(), |i| i.to_string());
            let _ = writeln!(
                out,
                "  NAT gateway {} in {} (private {}, public {})",
                n.meta.id,
                n.subnet,
                show(n.private_ip),
                show(n.public_ip)
            );
        }
        for g in self.vpn_gateways() {
            let vpn = if g.has_vpn_connection {
                ""
            } else {
                ", no VPN connection"
            };
            let _ = writeln!(
                out,
                "  VPN gateway {} -> vpc {}{vpn}",
                g.meta.id,
                g.vpc.as_deref().unwrap_or("(detached)")
            );
        }
        for p in self.peerings() {
            let _ = writeln!(
                out,
                "  peering {}: {} <-> {}",
                p.meta.id, p.requester_vpc, p.accepter_vpc
            );
        }
        let _ = writeln!(out, "\ninterfaces:");
        for e in self.enis() {
            let ips: Vec<String> = e.private_ips.iter().map(ToString::to_string).collect();
            let public = e
                .public_ip
                .map_or(String::new(), |p| format!(", public {p}"));
            let allocated = if e.addresses_allocated {
                " (allocated)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} in {}: {}{public}{allocated}; groups [{}]",
                e.meta.id,
                e.subnet,
                ips.join(", "),
                e.security_groups.join(", ")
            );
        }
        for lb in self.load_balancers() {
            let scheme = if lb.internet_facing {
                "internet-facing"
            } else {
                "internal"
            };
            let _ = writeln!(
                out,
                "\nload balancer {} ({:?}, {scheme}) in [{}]",
                lb.meta.label(),
                lb.kind,
                lb.subnets.join(", ")
            );
            for l in &lb.listeners {
                let _ = writeln!(
                    out,
                    "  listener {}/{} -> {}",
                    l.protocol,
                    l.port,
                    l.target_groups.join(", ")
                );
            }
        }
        for tg in self.target_groups() {
            let targets: Vec<String> = tg
                .targets
                .iter()
                .map(|t| match &t.target {
                    TargetRef::Instance(i) => i.clone(),
                    TargetRef::Ip(ip) => ip.to_string(),
                })
                .collect();
            let _ = writeln!(
                out,
                "target group {} {}/{} -> [{}]",
                tg.meta.label(),
                tg.protocol,
                tg.port,
                targets.join(", ")
            );
        }
        for ep in self.vpc_endpoints() {
            let _ = writeln!(
                out,
                "endpoint {} ({:?}, {}) in vpc {}",
                ep.meta.id, ep.kind, ep.service_name, ep.vpc
            );
        }
        if !self.warnings().is_empty() {
            let _ = writeln!(out, "\nwarnings:");
            for w in self.warnings() {
                let _ = writeln!(out, "  {}: {}", w.code, w.message);
            }
        }
        out
    }
}
