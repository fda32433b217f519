//! Synthetic organizations: deterministic networks of any size, for benchmarks
//! and scale tests. Hub-and-spoke peering, public and private subnets, NAT,
//! security groups that reference each other and CIDRs, NACLs with deny entries.

use crate::model::*;
use crate::span::SourceMap;
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// The shape of a synthetic organization.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// VPCs; the first is the hub, peered with every other.
    pub vpcs: usize,
    /// Subnets per VPC (the first is public), at most 250.
    pub subnets_per_vpc: usize,
    /// Security groups per VPC.
    pub groups_per_vpc: usize,
    /// Interfaces per subnet, at most 250.
    pub enis_per_subnet: usize,
}

impl Shape {
    /// Total interfaces.
    pub fn enis(&self) -> usize {
        self.vpcs * self.subnets_per_vpc * self.enis_per_subnet
    }
}

fn net(a: u8, b: u8, c: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::new(a, b, c, 0), len).unwrap_or_default()
}

fn vpc_octets(v: usize) -> (u8, u8) {
    (10 + (v / 256) as u8, (v % 256) as u8)
}

/// Builds the organization.
pub fn organization(shape: Shape) -> Result<Model, ModelErrors> {
    let mut p = ModelParts::default();
    for v in 0..shape.vpcs {
        add_vpc(&mut p, shape, v);
    }
    Model::build(p, SourceMap::default())
}

fn add_vpc(p: &mut ModelParts, shape: Shape, v: usize) {
    let (a, b) = vpc_octets(v);
    let vpc = format!("vpc-{v}");
    p.vpcs.push(Vpc {
        meta: Meta::new(&vpc),
        cidr_blocks: vec![net(a, b, 0, 16)],
        main_route_table: None,
        default_network_acl: None,
    });
    p.internet_gateways.push(InternetGateway {
        meta: Meta::new(format!("igw-{v}")),
        vpc: Some(vpc.clone()),
    });
    p.nat_gateways.push(NatGateway {
        meta: Meta::new(format!("nat-{v}")),
        subnet: format!("subnet-{v}-0"),
        private_ip: None,
        public: true,
        public_ip: None,
    });
    if v > 0 {
        p.peerings.push(Peering {
            meta: Meta::new(format!("pcx-{v}")),
            requester_vpc: "vpc-0".into(),
            accepter_vpc: vpc.clone(),
            active: true,
        });
    }
    let peering_routes = |p: &mut Vec<Route>| {
        if v == 0 {
            for other in 1..shape.vpcs {
                let (oa, ob) = vpc_octets(other);
                p.push(Route {
                    destination: RouteDestination::Cidr(net(oa, ob, 0, 16)),
                    target: RouteTarget::Peering(format!("pcx-{other}")),
                    span: None,
                });
            }
        } else {
            p.push(Route {
                destination: RouteDestination::Cidr(net(10, 0, 0, 8)),
                target: RouteTarget::Peering(format!("pcx-{v}")),
                span: None,
            });
        }
    };
    for (suffix, target) in [
        ("public", RouteTarget::InternetGateway(format!("igw-{v}"))),
        ("private", RouteTarget::NatGateway(format!("nat-{v}"))),
    ] {
        let mut routes = vec![Route {
            destination: RouteDestination::Cidr(Ipv4Net::default()),
            target,
            span: None,
        }];
        peering_routes(&mut routes);
        p.route_tables.push(RouteTable {
            meta: Meta::new(format!("rt-{v}-{suffix}")),
            vpc: vpc.clone(),
            routes,
        });
    }
    let deny = |n: u16, egress: bool, traffic: TrafficMatch, cidr: Ipv4Net, action: NaclAction| {
        NaclEntry {
            rule_number: n,
            egress,
            action,
            traffic,
            cidr,
            span: None,
        }
    };
    p.network_acls.push(NetworkAcl {
        meta: Meta::new(format!("acl-{v}")),
        vpc: vpc.clone(),
        entries: vec![
            deny(
                100,
                false,
                TrafficMatch::tcp(3389, 3389),
                Ipv4Net::default(),
                NaclAction::Deny,
            ),
            deny(
                110,
                false,
                TrafficMatch::udp(0, 1023),
                net(10, 0, 0, 8),
                NaclAction::Deny,
            ),
            deny(
                200,
                false,
                TrafficMatch::ALL,
                Ipv4Net::default(),
                NaclAction::Allow,
            ),
            deny(
                100,
                true,
                TrafficMatch::tcp(23, 23),
                Ipv4Net::default(),
                NaclAction::Deny,
            ),
            deny(
                200,
                true,
                TrafficMatch::ALL,
                Ipv4Net::default(),
                NaclAction::Allow,
            ),
        ],
    });
    for g in 0..shape.groups_per_vpc {
        let peer_group = format!("sg-{v}-{}", (g + 1) % shape.groups_per_vpc);
        let ingress = vec![
            SecurityGroupRule {
                traffic: TrafficMatch::tcp(443, 443),
                peer: RulePeer::Cidr(net(10, 0, 0, 8)),
                description: None,
                implicit: false,
                span: None,
            },
            SecurityGroupRule {
                traffic: TrafficMatch::tcp(5432, 5432),
                peer: RulePeer::SecurityGroup(peer_group),
                description: None,
                implicit: false,
                span: None,
            },
            SecurityGroupRule {
                traffic: TrafficMatch::tcp(22, 22),
                peer: RulePeer::Cidr(net(a, b, 0, 24)),
                description: None,
                implicit: false,
                span: None,
            },
            SecurityGroupRule {
                traffic: TrafficMatch::tcp(8000 + g as u16, 8000 + g as u16),
                peer: RulePeer::Cidr(Ipv4Net::default()),
                description: None,
                implicit: false,
                span: None,
            },
        ];
        let egress = vec![SecurityGroupRule {
            traffic: TrafficMatch::ALL,
            peer: RulePeer::Cidr(Ipv4Net::default()),
            description: None,
            implicit: true,
            span: None,
        }];
        p.security_groups.push(SecurityGroup {
            meta: Meta::new(format!("sg-{v}-{g}")),
            vpc: vpc.clone(),
            ingress,
            egress,
        });
    }
    for s in 0..shape.subnets_per_vpc {
        let id = format!("subnet-{v}-{s}");
        let public = s == 0;
        p.subnets.push(Subnet {
            meta: Meta::new(&id),
            vpc: vpc.clone(),
            cidr: net(a, b, s as u8, 24),
            availability_zone: None,
            map_public_ip_on_launch: public,
            route_table: Some(format!(
                "rt-{v}-{}",
                if public { "public" } else { "private" }
            )),
            network_acl: (s % 2 == 1).then(|| format!("acl-{v}")),
        });
        for e in 0..shape.enis_per_subnet {
            let g = (s + e % 2) % shape.groups_per_vpc.max(1);
            p.enis.push(Eni {
                meta: Meta::new(format!("eni-{v}-{s}-{e}")),
                subnet: id.clone(),
                private_ips: Vec::new(),
                public_ip: None,
                auto_public_ip: public && e == 0,
                security_groups: vec![format!("sg-{v}-{g}")],
                sg_enforced: true,
                owner: EniOwner::None,
                addresses_allocated: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations_build_and_have_the_requested_size() {
        let shape = Shape {
            vpcs: 3,
            subnets_per_vpc: 3,
            groups_per_vpc: 2,
            enis_per_subnet: 4,
        };
        let model = organization(shape).unwrap();
        assert_eq!(model.enis().len(), shape.enis());
        assert_eq!(model.peerings().len(), 2);
    }
}
