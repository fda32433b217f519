//! Addresses the input leaves to AWS: a template names no private IPs, no public
//! IPs and no load-balancer nodes. netpolicy picks them deterministically so that
//! security-group references and routes can be evaluated on concrete addresses:
//! private addresses are the lowest free ones of the subnet (AWS reserves the first
//! four and the last), public ones come from 198.18.0.0/15 (RFC 2544, never routed
//! on the internet, and excluded from `internet` along with every public address of
//! the model). Allocated interfaces are marked so reports can say so.

use super::*;
use foldhash::{HashMap, HashSet};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

const PUBLIC_POOL: Ipv4Net = match Ipv4Net::new(Ipv4Addr::new(198, 18, 0, 0), 15) {
    Ok(n) => n,
    Err(_) => Ipv4Net::new_assert(Ipv4Addr::new(198, 18, 0, 0), 15),
};

pub(super) fn complete(parts: &mut ModelParts, index: &Index) -> Result<(), Vec<ModelError>> {
    add_load_balancer_nodes(parts);
    add_endpoint_interfaces(parts);
    let mut errors = Vec::new();
    let mut private = PrivateAllocator::new(parts, index, &mut errors);
    for nat in &mut parts.nat_gateways {
        if nat.private_ip.is_none() {
            match private.next(&nat.subnet) {
                Some(ip) => nat.private_ip = Some(ip),
                None => errors.push(full(&nat.subnet, nat.meta.span)),
            }
        }
    }
    for eni in &mut parts.enis {
        if eni.private_ips.is_empty() {
            match private.next(&eni.subnet) {
                Some(ip) => {
                    eni.private_ips.push(ip);
                    eni.addresses_allocated = true;
                }
                None => errors.push(full(&eni.subnet, eni.meta.span)),
            }
        }
    }
    let mut public = PublicAllocator::new(parts);
    for nat in parts
        .nat_gateways
        .iter_mut()
        .filter(|n| n.public && n.public_ip.is_none())
    {
        nat.public_ip = public.next();
    }
    for eni in parts
        .enis
        .iter_mut()
        .filter(|e| e.auto_public_ip && e.public_ip.is_none())
    {
        eni.public_ip = public.next();
        eni.addresses_allocated = true;
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn full(subnet: &str, span: Option<crate::span::Span>) -> ModelError {
    ModelError::Addressing {
        message: format!("subnet `{subnet}` has no free address left to allocate"),
        span,
    }
}

fn add_load_balancer_nodes(parts: &mut ModelParts) {
    let mut new = Vec::new();
    for lb in parts
        .load_balancers
        .iter_mut()
        .filter(|lb| lb.nodes.is_empty())
    {
        for subnet in &lb.subnets {
            let id = format!("{}/node/{subnet}", lb.meta.id);
            lb.nodes.push(id.clone());
            new.push(Eni {
                meta: Meta {
                    id,
                    name: Some(format!(
                        "{} node in {subnet}",
                        lb.meta.name.as_deref().unwrap_or(&lb.meta.id)
                    )),
                    tags: Default::default(),
                    aliases: Vec::new(),
                    span: lb.meta.span,
                },
                subnet: subnet.clone(),
                private_ips: Vec::new(),
                public_ip: None,
                auto_public_ip: lb.internet_facing,
                security_groups: lb.security_groups.clone(),
                sg_enforced: lb.kind == LoadBalancerKind::Application
                    || !lb.security_groups.is_empty(),
                owner: EniOwner::LoadBalancer(lb.meta.id.clone()),
                addresses_allocated: true,
            });
        }
    }
    // Exactly: doubling a list of a million interfaces would waste hundreds of MB.
    parts.enis.reserve_exact(new.len());
    parts.enis.extend(new);
}

fn add_endpoint_interfaces(parts: &mut ModelParts) {
    let mut new = Vec::new();
    for ep in parts
        .vpc_endpoints
        .iter_mut()
        .filter(|e| e.kind == EndpointKind::Interface && e.enis.is_empty())
    {
        for subnet in &ep.subnets {
            let id = format!("{}/eni/{subnet}", ep.meta.id);
            ep.enis.push(id.clone());
            new.push(Eni {
                meta: Meta {
                    id,
                    name: Some(format!(
                        "{} in {subnet}",
                        ep.meta.name.as_deref().unwrap_or(&ep.meta.id)
                    )),
                    tags: Default::default(),
                    aliases: Vec::new(),
                    span: ep.meta.span,
                },
                subnet: subnet.clone(),
                private_ips: Vec::new(),
                public_ip: None,
                auto_public_ip: false,
                security_groups: ep.security_groups.clone(),
                sg_enforced: true,
                owner: EniOwner::VpcEndpoint(ep.meta.id.clone()),
                addresses_allocated: true,
            });
        }
    }
    // Exactly: doubling a list of a million interfaces would waste hundreds of MB.
    parts.enis.reserve_exact(new.len());
    parts.enis.extend(new);
}

/// Hands out the lowest free host addresses of each subnet.
struct PrivateAllocator {
    cidrs: HashMap<String, Ipv4Net>,
    used: HashSet<Ipv4Addr>,
    cursor: HashMap<String, u32>,
}

impl PrivateAllocator {
    fn new(parts: &ModelParts, index: &Index, errors: &mut Vec<ModelError>) -> Self {
        let cidrs = parts
            .subnets
            .iter()
            .map(|s| (s.meta.id.clone(), s.cidr))
            .collect();
        let mut used = HashSet::default();
        let mut owners: HashMap<(&str, Ipv4Addr), &str> = HashMap::default();
        let declared = parts
            .enis
            .iter()
            .flat_map(|e| {
                e.private_ips
                    .iter()
                    .map(move |ip| (&e.subnet, *ip, e.meta.id.as_str(), e.meta.span))
            })
            .chain(parts.nat_gateways.iter().filter_map(|n| {
                n.private_ip
                    .map(|ip| (&n.subnet, ip, n.meta.id.as_str(), n.meta.span))
            }));
        for (subnet, ip, owner, span) in declared {
            let vpc = index
                .subnets
                .get(subnet)
                .and_then(|&i| parts.subnets.get(i))
                .map_or("", |s| s.vpc.as_str());
            if let Some(first) = owners.insert((vpc, ip), owner) {
                errors.push(ModelError::Addressing {
                    message: format!("`{first}` and `{owner}` both use address {ip}"),
                    span,
                });
            }
            used.insert(ip);
        }
        PrivateAllocator {
            cidrs,
            used,
            cursor: HashMap::default(),
        }
    }

    fn next(&mut self, subnet: &str) -> Option<Ipv4Addr> {
        let cidr = *self.cidrs.get(subnet)?;
        let first = u32::from(cidr.network()).checked_add(4)?;
        let last = u32::from(cidr.broadcast()).checked_sub(1)?;
        let start = self.cursor.get(subnet).copied().unwrap_or(first).max(first);
        let found = (start..=last)
            .map(Ipv4Addr::from)
            .find(|ip| !self.used.contains(ip))?;
        self.used.insert(found);
        self.cursor
            .insert(subnet.to_string(), u32::from(found).saturating_add(1));
        Some(found)
    }
}

/// Hands out public addresses from [`PUBLIC_POOL`], skipping declared ones.
struct PublicAllocator {
    used: HashSet<Ipv4Addr>,
    next: u32,
}

impl PublicAllocator {
    fn new(parts: &ModelParts) -> Self {
        let used = parts
            .enis
            .iter()
            .filter_map(|e| e.public_ip)
            .chain(parts.nat_gateways.iter().filter_map(|n| n.public_ip))
            .collect();
        PublicAllocator {
            used,
            next: u32::from(PUBLIC_POOL.network()) + 1,
        }
    }

    fn next(&mut self) -> Option<Ipv4Addr> {
        let last = u32::from(PUBLIC_POOL.broadcast());
        while self.next < last {
            let ip = Ipv4Addr::from(self.next);
            self.next += 1;
            if self.used.insert(ip) {
                return Some(ip);
            }
        }
        None
    }
}
