//! Objects an input names but does not hold, because their ids are known only
//! outside it: a template deployed into an existing network (a parameter of
//! type `AWS::EC2::Subnet::Id` without a value), another stack's export, an
//! attribute known after deployment.
//!
//! Each becomes an *external* object, placed so that the input's own rules
//! decide and nothing is hidden: an external subnet is public and routes to
//! the internet (the most exposed placement), an external VPC holds the
//! external subnets and the input's subnets that name it, an external security
//! group has no rules (they are unknown). Every placement is a warning naming
//! the object and why its id is unknown: results that depend on it are
//! incomplete, and loading the deployed network beside the input replaces the
//! guesses with the real objects.

use crate::diagnostic::Warning;
use crate::model::*;
use foldhash::{HashMap, HashMapExt, HashSet};
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Why `id` is known only outside the input when it is written as an AWS
/// resource id (`vpc-0abc...`, `subnet-...`, `sg-...`): an object of the
/// deployed account that the input names but does not hold.
pub(crate) fn deployed_id(id: &str) -> Option<String> {
    const PREFIXES: &[&str] = &[
        "vpc", "subnet", "sg", "rtb", "igw", "vgw", "nat", "eni", "i", "acl", "pcx", "vpce", "tgw",
        "eigw", "lt",
    ];
    let (prefix, hex) = id.split_once('-')?;
    let is_hex = !hex.is_empty() && hex.len() <= 17 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    (PREFIXES.contains(&prefix) && is_hex)
        .then(|| "an id of the deployed account that this input does not hold".to_string())
}

/// The id of the external VPC that holds external subnets nothing else places.
const EXTERNAL_VPC: &str = "external-vpc";

/// Where external subnets take their addresses when their VPC is external:
/// the shared address space (RFC 6598), one /24 each.
const EXTERNAL_SPACE: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 0);

/// Creates an external object for every id that `parts` names, does not
/// hold, and `unknown` explains (`Some(why)`); one warning each.
pub(crate) fn place_external(
    parts: &mut ModelParts,
    unknown: &dyn Fn(&str) -> Option<String>,
    code: &'static str,
) -> Vec<Warning> {
    let mut placing = Placing {
        code,
        checked_vpcs: HashSet::default(),
        warnings: Vec::new(),
        next_block: 0,
    };
    placing.drop_unfollowed(parts, unknown);
    let vpcs = placing.vpcs(parts, unknown);
    placing.subnets(parts, unknown, &vpcs);
    placing.security_groups(parts, unknown);
    placing.finish_vpcs(parts, &vpcs);
    placing.warnings
}

struct Placing {
    code: &'static str,
    /// The VPC ids [`Placing::ensure_vpc`] has seen.
    checked_vpcs: HashSet<String>,
    warnings: Vec<Warning>,
    /// The next /24 of [`EXTERNAL_SPACE`] to hand out.
    next_block: u32,
}

/// Ids in `wanted` that `parts` does not define and `unknown` explains, with why.
fn missing<'a>(
    wanted: impl Iterator<Item = &'a String>,
    defined: &HashSet<&str>,
    unknown: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    wanted
        .filter(|id| !defined.contains(id.as_str()))
        .filter_map(|id| unknown(id).map(|why| (id.clone(), why)))
        .collect()
}

impl Placing {
    fn warn(&mut self, message: String) {
        self.warnings.push(Warning::new(self.code, message, None));
    }

    fn block(&mut self) -> Ipv4Net {
        let base = u32::from(EXTERNAL_SPACE).wrapping_add(self.next_block.wrapping_shl(8));
        self.next_block = self.next_block.wrapping_add(1);
        Ipv4Net::new(Ipv4Addr::from(base), 24).unwrap_or_default()
    }

    /// References that cannot stand as an external object are dropped: a
    /// peering to an unknown VPC, an unknown route table of an endpoint, an
    /// unknown target or target group.
    fn drop_unfollowed(
        &mut self,
        parts: &mut ModelParts,
        unknown: &dyn Fn(&str) -> Option<String>,
    ) {
        // Why `id`, absent from `held`, is unknown; `None` keeps the reference.
        let outside = |held: &HashSet<String>, id: &str| {
            if held.contains(id) { None } else { unknown(id) }
        };
        let vpcs: HashSet<String> = parts.vpcs.iter().map(|v| v.meta.id.clone()).collect();
        let mut dropped = Vec::new();
        parts.peerings.retain(|p| {
            let found = [&p.requester_vpc, &p.accepter_vpc]
                .into_iter()
                .find_map(|v| outside(&vpcs, v).map(|why| (v, why)));
            let Some((v, why)) = found else {
                return true;
            };
            dropped.push(format!(
                "peering `{}` connects to VPC `{v}`, {why}: traffic over it is not followed",
                p.meta.id
            ));
            false
        });
        let tables: HashSet<String> = parts
            .route_tables
            .iter()
            .map(|t| t.meta.id.clone())
            .collect();
        for e in &mut parts.vpc_endpoints {
            e.route_tables.retain(|t| {
                let Some(why) = outside(&tables, t) else {
                    return true;
                };
                dropped.push(format!(
                    "endpoint `{}` adds routes to route table `{t}`, {why}: not followed",
                    e.meta.id
                ));
                false
            });
        }
        let instances: HashSet<String> =
            parts.instances.iter().map(|i| i.meta.id.clone()).collect();
        for g in &mut parts.target_groups {
            g.targets.retain(|t| {
                let TargetRef::Instance(i) = &t.target else {
                    return true;
                };
                let Some(why) = outside(&instances, i) else {
                    return true;
                };
                dropped.push(format!(
                    "target group `{}` registers instance `{i}`, {why}: not followed",
                    g.meta.id
                ));
                false
            });
        }
        let groups: HashSet<String> = parts
            .target_groups
            .iter()
            .map(|t| t.meta.id.clone())
            .collect();
        for lb in &mut parts.load_balancers {
            for l in &mut lb.listeners {
                l.target_groups.retain(|t| {
                    let Some(why) = outside(&groups, t) else {
                        return true;
                    };
                    dropped.push(format!(
                        "a listener of `{}` forwards to target group `{t}`, {why}: not followed",
                        lb.meta.id
                    ));
                    false
                });
            }
        }
        for message in dropped {
            self.warn(message);
        }
    }

    /// External VPCs: every unknown id that an object's `vpc` names.
    fn vpcs(
        &mut self,
        parts: &mut ModelParts,
        unknown: &dyn Fn(&str) -> Option<String>,
    ) -> BTreeMap<String, String> {
        let defined: HashSet<&str> = parts.vpcs.iter().map(|v| v.meta.id.as_str()).collect();
        let wanted = parts
            .subnets
            .iter()
            .map(|s| &s.vpc)
            .chain(parts.security_groups.iter().map(|g| &g.vpc))
            .chain(parts.route_tables.iter().map(|t| &t.vpc))
            .chain(parts.network_acls.iter().map(|n| &n.vpc))
            .chain(parts.vpc_endpoints.iter().map(|e| &e.vpc))
            .chain(
                parts
                    .internet_gateways
                    .iter()
                    .filter_map(|g| g.vpc.as_ref()),
            )
            .chain(parts.vpn_gateways.iter().filter_map(|g| g.vpc.as_ref()));
        let found = missing(wanted, &defined, unknown);
        for id in found.keys() {
            parts.external.insert(id.clone());
            parts.vpcs.push(Vpc {
                meta: Meta {
                    name: Some(format!("external VPC {id}")),
                    ..Meta::new(id.clone())
                },
                cidr_blocks: Vec::new(),
                main_route_table: None,
                default_network_acl: None,
            });
        }
        found
    }

    /// External subnets: every unknown id an interface, NAT gateway, load
    /// balancer or endpoint is placed in.
    fn subnets(
        &mut self,
        parts: &mut ModelParts,
        unknown: &dyn Fn(&str) -> Option<String>,
        external_vpcs: &BTreeMap<String, String>,
    ) {
        let defined: HashSet<&str> = parts.subnets.iter().map(|s| s.meta.id.as_str()).collect();
        let wanted = parts
            .enis
            .iter()
            .map(|e| &e.subnet)
            .chain(parts.nat_gateways.iter().map(|n| &n.subnet))
            .chain(parts.load_balancers.iter().flat_map(|l| &l.subnets))
            .chain(parts.vpc_endpoints.iter().flat_map(|e| &e.subnets));
        let found = missing(wanted, &defined, unknown);
        if found.is_empty() {
            return;
        }
        let hints = vpc_hints(parts);
        let addresses = known_addresses(parts);
        for (id, why) in found {
            let known = addresses.get(&id).map(Vec::as_slice).unwrap_or_default();
            let inside = hints
                .get(&id)
                .filter(|v| !external_vpcs.contains_key(*v))
                .and_then(|v| {
                    let block = if known.is_empty() {
                        free_block(parts, v)
                    } else {
                        block_around(parts, v, known)
                    };
                    block.map(|b| (v.clone(), b))
                });
            let (vpc, cidr) = match inside {
                Some(found) => found,
                None => {
                    let vpc = hints
                        .get(&id)
                        .filter(|v| external_vpcs.contains_key(*v))
                        .cloned()
                        .or_else(|| external_vpcs.keys().next().cloned())
                        .unwrap_or_else(|| EXTERNAL_VPC.to_string());
                    self.ensure_vpc(parts, &vpc);
                    let around = (!known.is_empty())
                        .then(|| block_around(parts, &vpc, known))
                        .flatten();
                    (vpc, around.unwrap_or_else(|| self.block()))
                }
            };
            self.warn(format!(
                "subnet `{id}` is {why}: modelled as an external public subnet {cidr} of VPC `{vpc}` that routes to the internet (the most exposed placement); results that depend on it are incomplete"
            ));
            parts.external.insert(id.clone());
            parts.subnets.push(Subnet {
                meta: Meta {
                    name: Some(format!("external subnet {id}")),
                    ..Meta::new(id.clone())
                },
                vpc,
                cidr,
                availability_zone: None,
                map_public_ip_on_launch: true,
                route_table: None,
                network_acl: None,
            });
        }
    }

    /// External security groups: unknown ids in group lists and rule peers,
    /// in the VPC of the first object that uses them.
    fn security_groups(
        &mut self,
        parts: &mut ModelParts,
        unknown: &dyn Fn(&str) -> Option<String>,
    ) {
        let defined: HashSet<&str> = parts
            .security_groups
            .iter()
            .map(|g| g.meta.id.as_str())
            .collect();
        let subnet_vpc: HashMap<&str, &str> = parts
            .subnets
            .iter()
            .map(|s| (s.meta.id.as_str(), s.vpc.as_str()))
            .collect();
        let mut users: Vec<(&String, Option<&str>)> = Vec::new();
        for e in &parts.enis {
            let vpc = subnet_vpc.get(e.subnet.as_str()).copied();
            users.extend(e.security_groups.iter().map(|g| (g, vpc)));
        }
        for l in &parts.load_balancers {
            let vpc = l
                .subnets
                .first()
                .and_then(|s| subnet_vpc.get(s.as_str()).copied());
            users.extend(l.security_groups.iter().map(|g| (g, vpc)));
        }
        for e in &parts.vpc_endpoints {
            users.extend(e.security_groups.iter().map(|g| (g, Some(e.vpc.as_str()))));
        }
        for g in &parts.security_groups {
            for r in g.ingress.iter().chain(&g.egress) {
                if let RulePeer::SecurityGroup(peer) = &r.peer {
                    users.push((peer, Some(g.vpc.as_str())));
                }
            }
        }
        let mut found: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        for (id, vpc) in users {
            if defined.contains(id.as_str()) {
                continue;
            }
            if let Some(why) = unknown(id) {
                found
                    .entry(id.clone())
                    .or_insert((why, vpc.map(str::to_string)));
            }
        }
        for (id, (why, vpc)) in found {
            let vpc = vpc.unwrap_or_else(|| EXTERNAL_VPC.to_string());
            self.ensure_vpc(parts, &vpc);
            self.warn(format!(
                "security group `{id}` is {why}: its rules are unknown, so it is modelled without rules; results that depend on it are incomplete"
            ));
            parts.external.insert(id.clone());
            parts.security_groups.push(SecurityGroup {
                meta: Meta {
                    name: Some(format!("external security group {id}")),
                    ..Meta::new(id)
                },
                vpc,
                ingress: Vec::new(),
                egress: Vec::new(),
            });
        }
    }

    /// Creates the shared external VPC when `vpc` names it and it is not there yet.
    fn ensure_vpc(&mut self, parts: &mut ModelParts, vpc: &str) {
        if !self.checked_vpcs.insert(vpc.to_string()) || parts.vpcs.iter().any(|v| v.meta.id == vpc)
        {
            return;
        }
        parts.external.insert(vpc.to_string());
        parts.vpcs.push(Vpc {
            meta: Meta {
                name: Some("external VPC (holds objects from outside the input)".into()),
                ..Meta::new(vpc)
            },
            cidr_blocks: Vec::new(),
            main_route_table: None,
            default_network_acl: None,
        });
        self.warn(format!(
            "VPC `{vpc}` stands for the VPC of objects from outside the input: modelled as an external VPC whose main route table routes to the internet"
        ));
    }

    /// Gives each external VPC its address blocks (its subnets', or one of
    /// its own), an internet gateway and a main route table to it.
    fn finish_vpcs(&mut self, parts: &mut ModelParts, named: &BTreeMap<String, String>) {
        let external: BTreeSet<String> = parts
            .vpcs
            .iter()
            .filter(|v| v.cidr_blocks.is_empty())
            .map(|v| v.meta.id.clone())
            .collect();
        let mut subnet_blocks: HashMap<&str, Vec<Ipv4Net>> = HashMap::new();
        for s in (parts.subnets.iter()).filter(|s| external.contains(&s.vpc)) {
            subnet_blocks
                .entry(s.vpc.as_str())
                .or_default()
                .push(s.cidr);
        }
        let mut blocks_of: BTreeMap<String, Vec<Ipv4Net>> = (subnet_blocks.into_iter())
            .map(|(vpc, blocks)| (vpc.to_string(), blocks))
            .collect();
        let position: HashMap<String, usize> = (parts.vpcs.iter().enumerate())
            .filter(|(_, v)| external.contains(&v.meta.id))
            .map(|(i, v)| (v.meta.id.clone(), i))
            .collect();
        for id in external {
            let mut blocks = blocks_of.remove(&id).unwrap_or_default();
            if blocks.is_empty() {
                blocks.push(self.block());
            }
            blocks = Ipv4Net::aggregate(&blocks);
            let gateway = format!("{id}/internet-gateway");
            let table = format!("{id}/main-route-table");
            if let Some(why) = named.get(&id) {
                let list: Vec<String> = blocks.iter().map(ToString::to_string).collect();
                self.warn(format!(
                    "VPC `{id}` is {why}: modelled as an external VPC ({}) whose main route table routes to the internet; results that depend on it are incomplete",
                    list.join(", ")
                ));
            }
            if let Some(v) = position.get(&id).and_then(|&i| parts.vpcs.get_mut(i)) {
                v.cidr_blocks = blocks;
                v.main_route_table = Some(table.clone());
            }
            parts.internet_gateways.push(InternetGateway {
                meta: Meta::new(gateway.clone()),
                vpc: Some(id.clone()),
            });
            parts.route_tables.push(RouteTable {
                meta: Meta::new(table),
                vpc: id,
                routes: vec![Route {
                    destination: RouteDestination::Cidr(Ipv4Net::default()),
                    target: RouteTarget::InternetGateway(gateway),
                    span: None,
                }],
            });
        }
    }
}

/// A /24 of `vpc`'s blocks that none of its subnets uses, for an external
/// subnet that its users place in a VPC the input holds (the default VPC,
/// say). At most 4096 candidates are tried.
fn free_block(parts: &ModelParts, vpc: &str) -> Option<Ipv4Net> {
    let blocks = &parts.vpcs.iter().find(|v| v.meta.id == vpc)?.cidr_blocks;
    let used = subnet_blocks(parts, vpc);
    blocks
        .iter()
        .filter_map(|b| b.subnets(24.max(b.prefix_len())).ok())
        .flatten()
        .take(4096)
        .find(|c| !overlaps(&used, c))
}

/// The blocks of `vpc`'s subnets.
fn subnet_blocks(parts: &ModelParts, vpc: &str) -> Vec<Ipv4Net> {
    (parts.subnets.iter())
        .filter(|s| s.vpc == vpc)
        .map(|s| s.cidr)
        .collect()
}

/// Whether `block` shares addresses with one of `used`.
fn overlaps(used: &[Ipv4Net], block: &Ipv4Net) -> bool {
    used.iter().any(|u| u.contains(block) || block.contains(u))
}

/// The private addresses the input gives for what sits in each subnet
/// (interfaces, NAT gateways): an external subnet must hold them.
fn known_addresses(parts: &ModelParts) -> HashMap<String, Vec<Ipv4Addr>> {
    let mut out: HashMap<String, Vec<Ipv4Addr>> = HashMap::new();
    for e in &parts.enis {
        out.entry(e.subnet.clone())
            .or_default()
            .extend(&e.private_ips);
    }
    for n in &parts.nat_gateways {
        out.entry(n.subnet.clone())
            .or_default()
            .extend(n.private_ip);
    }
    out.retain(|_, a| !a.is_empty());
    out
}

/// A block for an external subnet of `vpc` that holds every `known`
/// address and no other subnet of `vpc` overlaps: a /24 where one does, a
/// wider one where the addresses are spread, a narrower one beside a
/// neighbour. Inside the VPC's blocks when it has any (an external VPC takes
/// its blocks from its subnets).
fn block_around(parts: &ModelParts, vpc: &str, known: &[Ipv4Addr]) -> Option<Ipv4Net> {
    let first = *known.first()?;
    let vpc_blocks = parts
        .vpcs
        .iter()
        .find(|v| v.meta.id == vpc)
        .map(|v| v.cidr_blocks.as_slice())
        .unwrap_or_default();
    let used = subnet_blocks(parts, vpc);
    (16..=24)
        .rev()
        .chain(25..=28)
        .filter_map(|prefix| Ipv4Net::new(first, prefix).ok().map(|n| n.trunc()))
        .find(|net| {
            known.iter().all(|a| net.contains(a))
                && !overlaps(&used, net)
                && (vpc_blocks.is_empty() || vpc_blocks.iter().any(|b| b.contains(net)))
        })
}

/// The VPC each subnet's users suggest: the VPC of the first security group
/// of an interface or load balancer placed in it, or an endpoint's VPC.
fn vpc_hints(parts: &ModelParts) -> HashMap<String, String> {
    let group_vpc: HashMap<&str, &str> = parts
        .security_groups
        .iter()
        .map(|g| (g.meta.id.as_str(), g.vpc.as_str()))
        .collect();
    let first_vpc = |groups: &[String]| {
        groups
            .iter()
            .find_map(|g| group_vpc.get(g.as_str()).map(|v| v.to_string()))
    };
    let mut hints: HashMap<String, String> = HashMap::new();
    for e in &parts.enis {
        if let Some(v) = first_vpc(&e.security_groups) {
            hints.entry(e.subnet.clone()).or_insert(v);
        }
    }
    for l in &parts.load_balancers {
        if let Some(v) = first_vpc(&l.security_groups) {
            for s in &l.subnets {
                hints.entry(s.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    for e in &parts.vpc_endpoints {
        for s in &e.subnets {
            hints.entry(s.clone()).or_insert_with(|| e.vpc.clone());
        }
    }
    hints
}
