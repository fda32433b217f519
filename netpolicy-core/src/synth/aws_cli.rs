//! Writes a model as an AWS CLI dump: one file per `describe-*` call, with the
//! CLI's names, nesting and pretty-printing, and the fields AWS returns that
//! netpolicy does not read (block devices, placement, metadata options...), so
//! that reading a dump is measured on files of a real dump's size and shape.
//! `docs/aws-cli-dump.md` lists the files.

use crate::model::*;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// Writes the dump of `model` into `dir` (created if needed).
pub fn write(model: &Model, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let w = Writer::new(model);
    let p = model.parts();
    let file = |name: &str| -> io::Result<BufWriter<File>> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            File::create(dir.join(name))?,
        ))
    };
    list(
        file("ec2-describe-vpcs.json")?,
        "Vpcs",
        p.vpcs.iter().map(|v| w.vpc(v)),
    )?;
    list(
        file("ec2-describe-subnets.json")?,
        "Subnets",
        p.subnets.iter().map(|s| w.subnet(s)),
    )?;
    list(
        file("ec2-describe-route-tables.json")?,
        "RouteTables",
        p.route_tables.iter().map(|t| w.route_table(t)),
    )?;
    list(
        file("ec2-describe-security-groups.json")?,
        "SecurityGroups",
        p.security_groups.iter().map(|g| w.security_group(g)),
    )?;
    list(
        file("ec2-describe-network-acls.json")?,
        "NetworkAcls",
        p.network_acls.iter().map(|a| w.network_acl(a)),
    )?;
    list(
        file("ec2-describe-network-interfaces.json")?,
        "NetworkInterfaces",
        p.enis
            .iter()
            .map(|e| w.interface(e, true))
            .chain(p.nat_gateways.iter().filter_map(|n| w.nat_interface(n))),
    )?;
    list(
        file("ec2-describe-instances.json")?,
        "Reservations",
        p.instances.iter().map(|i| w.reservation(i)),
    )?;
    list(
        file("ec2-describe-internet-gateways.json")?,
        "InternetGateways",
        p.internet_gateways.iter().map(|g| {
            json!({
                "Attachments": g.vpc.iter().map(|v| json!({"State": "available", "VpcId": v})).collect::<Vec<_>>(),
                "InternetGatewayId": g.meta.id,
                "OwnerId": ACCOUNT,
                "Tags": tags(&g.meta),
            })
        }),
    )?;
    list(
        file("ec2-describe-nat-gateways.json")?,
        "NatGateways",
        p.nat_gateways.iter().map(|n| w.nat_gateway(n)),
    )?;
    list(
        file("ec2-describe-vpc-peering-connections.json")?,
        "VpcPeeringConnections",
        p.peerings.iter().map(|x| w.peering(x)),
    )?;
    list(
        file("ec2-describe-vpn-gateways.json")?,
        "VpnGateways",
        p.vpn_gateways.iter().map(|g| {
            json!({
                "State": "available",
                "Type": "ipsec.1",
                "VpcAttachments": g.vpc.iter().map(|v| json!({"State": "attached", "VpcId": v})).collect::<Vec<_>>(),
                "VpnGatewayId": g.meta.id,
                "AmazonSideAsn": 64512,
                "Tags": tags(&g.meta),
            })
        }),
    )?;
    list(
        file("ec2-describe-vpn-connections.json")?,
        "VpnConnections",
        p.vpn_gateways
            .iter()
            .filter(|g| g.has_vpn_connection)
            .map(|g| {
                json!({
                    "CustomerGatewayId": format!("cgw-{}", suffix(&g.meta.id)),
                    "Category": "VPN",
                    "State": "available",
                    "Type": "ipsec.1",
                    "VpnConnectionId": format!("vpn-{}", suffix(&g.meta.id)),
                    "VpnGatewayId": g.meta.id,
                    "Routes": [],
                    "Tags": [],
                })
            }),
    )?;
    list(
        file("ec2-describe-vpc-endpoints.json")?,
        "VpcEndpoints",
        p.vpc_endpoints.iter().map(|e| w.endpoint(e)),
    )?;
    list(
        file("ec2-describe-managed-prefix-lists.json")?,
        "PrefixLists",
        p.prefix_lists.iter().map(|l| {
            json!({
                "PrefixListId": l.meta.id,
                "AddressFamily": "IPv4",
                "State": "create-complete",
                "PrefixListName": l.meta.name.as_deref().unwrap_or(&l.meta.id),
                "MaxEntries": l.cidrs.len().max(1),
                "OwnerId": ACCOUNT,
                // `netpolicy collect` adds each list's entries.
                "Entries": l.cidrs.iter().map(|c| json!({"Cidr": c})).collect::<Vec<_>>(),
                "Tags": tags(&l.meta),
            })
        }),
    )?;
    list(
        file("elbv2-describe-load-balancers.json")?,
        "LoadBalancers",
        p.load_balancers.iter().map(|lb| w.load_balancer(lb)),
    )?;
    list(
        file("elbv2-describe-listeners.json")?,
        "Listeners",
        p.load_balancers.iter().flat_map(|lb| w.listeners(lb)),
    )?;
    list(
        file("elbv2-describe-target-groups.json")?,
        "TargetGroups",
        p.target_groups.iter().map(|t| w.target_group(t)),
    )?;
    let mut health = file("elbv2-describe-target-health.json")?;
    let answers: Vec<Value> = p.target_groups.iter().map(|t| w.target_health(t)).collect();
    pretty(&mut health, &answers)?;
    health.flush()?;
    list(
        file("elbv2-describe-tags.json")?,
        "TagDescriptions",
        p.load_balancers
            .iter()
            .map(|lb| json!({"ResourceArn": lb_arn(&lb.meta.id), "Tags": tags(&lb.meta)}))
            .chain(
                p.target_groups
                    .iter()
                    .map(|t| json!({"ResourceArn": tg_arn(&t.meta.id), "Tags": tags(&t.meta)})),
            ),
    )
}

/// Writes `{"KEY": [items...]}` one item at a time: the big files never sit in
/// memory whole.
fn list(mut out: BufWriter<File>, key: &str, items: impl Iterator<Item = Value>) -> io::Result<()> {
    write!(out, "{{\n    \"{key}\": [")?;
    for (i, item) in items.enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        pretty(&mut out, &item)?;
    }
    out.write_all(b"\n    ]\n}\n")?;
    out.flush()
}

fn pretty(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// The object's tags, with its name as the `Name` tag AWS reads names from.
fn tags(meta: &Meta) -> Vec<Value> {
    let mut tags: Vec<Value> = (meta.tags.iter())
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    if let (Some(name), false) = (&meta.name, meta.tags.contains_key("Name")) {
        tags.push(json!({"Key": "Name", "Value": name}));
    }
    tags
}

/// The hex part of an AWS id (`sg-0abc...` -> `0abc...`).
fn suffix(id: &str) -> &str {
    id.split_once('-').map_or(id, |(_, s)| s)
}

fn lb_arn(id: &str) -> String {
    format!("arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{id}")
}

fn tg_arn(id: &str) -> String {
    format!("arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{id}")
}

/// A stable AWS-style id for objects the model names otherwise (load-balancer
/// node interfaces are `LB/node/SUBNET` in the model).
fn aws_id(prefix: &str, key: &str) -> String {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{prefix}-0{:016x}", super::mix(hash))
}

pub(super) fn protocol_name(p: Protocol) -> String {
    match p {
        Protocol::All => "-1".into(),
        Protocol::Tcp => "tcp".into(),
        Protocol::Udp => "udp".into(),
        Protocol::Icmp => "icmp".into(),
        Protocol::Number(n) => n.to_string(),
    }
}

pub(super) fn protocol_number(p: Protocol) -> String {
    match p {
        Protocol::All => "-1".into(),
        Protocol::Tcp => "6".into(),
        Protocol::Udp => "17".into(),
        Protocol::Icmp => "1".into(),
        Protocol::Number(n) => n.to_string(),
    }
}

/// Lookups the writers need.
struct Writer<'m> {
    model: &'m Model,
    subnets: HashMap<&'m str, &'m Subnet>,
    group_name: HashMap<&'m str, String>,
    eni_id: HashMap<&'m str, String>,
    /// Subnets by the route table / NACL they name: one pass, not one scan of
    /// every subnet per table (quadratic on XL).
    by_table: HashMap<&'m str, Vec<&'m Subnet>>,
    by_acl: HashMap<&'m str, Vec<&'m Subnet>>,
    main_tables: HashSet<&'m str>,
    default_acls: HashSet<&'m str>,
}

impl<'m> Writer<'m> {
    fn new(model: &'m Model) -> Self {
        let p = model.parts();
        let mut by_table: HashMap<&str, Vec<&Subnet>> = HashMap::new();
        let mut by_acl: HashMap<&str, Vec<&Subnet>> = HashMap::new();
        for sub in &p.subnets {
            if let Some(t) = &sub.route_table {
                by_table.entry(t.as_str()).or_default().push(sub);
            }
            if let Some(a) = &sub.network_acl {
                by_acl.entry(a.as_str()).or_default().push(sub);
            }
        }
        Writer {
            model,
            by_table,
            by_acl,
            main_tables: p
                .vpcs
                .iter()
                .filter_map(|v| v.main_route_table.as_deref())
                .collect(),
            default_acls: p
                .vpcs
                .iter()
                .filter_map(|v| v.default_network_acl.as_deref())
                .collect(),
            subnets: p.subnets.iter().map(|s| (s.meta.id.as_str(), s)).collect(),
            group_name: p
                .security_groups
                .iter()
                .map(|g| {
                    let name = g.meta.name.clone().unwrap_or_else(|| g.meta.id.clone());
                    (g.meta.id.as_str(), name)
                })
                .collect(),
            eni_id: p
                .enis
                .iter()
                .map(|e| {
                    let id = if e.meta.id.starts_with("eni-") {
                        e.meta.id.clone()
                    } else {
                        aws_id("eni", &e.meta.id)
                    };
                    (e.meta.id.as_str(), id)
                })
                .collect(),
        }
    }

    fn vpc_of(&self, subnet: &str) -> &str {
        self.subnets.get(subnet).map_or("", |s| s.vpc.as_str())
    }

    fn az_of(&self, subnet: &str) -> &str {
        self.subnets
            .get(subnet)
            .and_then(|s| s.availability_zone.as_deref())
            .unwrap_or("us-east-1a")
    }

    fn vpc(&self, v: &Vpc) -> Value {
        let cidr = v.cidr_blocks.first().map(ToString::to_string);
        json!({
            "OwnerId": ACCOUNT,
            "InstanceTenancy": "default",
            "CidrBlockAssociationSet": v.cidr_blocks.iter().map(|c| json!({
                "AssociationId": aws_id("vpc-cidr-assoc", &format!("{}{c}", v.meta.id)),
                "CidrBlock": c,
                "CidrBlockState": {"State": "associated"},
            })).collect::<Vec<_>>(),
            "IsDefault": false,
            "Tags": tags(&v.meta),
            "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
            "VpcId": v.meta.id,
            "State": "available",
            "CidrBlock": cidr,
            "DhcpOptionsId": "dopt-0f1e2d3c4b5a69788",
        })
    }

    fn subnet(&self, s: &Subnet) -> Value {
        json!({
            "AvailabilityZoneId": "use1-az1",
            "MapCustomerOwnedIpOnLaunch": false,
            "OwnerId": ACCOUNT,
            "AssignIpv6AddressOnCreation": false,
            "Ipv6CidrBlockAssociationSet": [],
            "Tags": tags(&s.meta),
            "SubnetArn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{}", s.meta.id),
            "EnableDns64": false,
            "Ipv6Native": false,
            "PrivateDnsNameOptionsOnLaunch": {
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": false,
                "EnableResourceNameDnsAAAARecord": false,
            },
            "SubnetId": s.meta.id,
            "State": "available",
            "VpcId": s.vpc,
            "CidrBlock": s.cidr,
            "AvailableIpAddressCount": 100,
            "AvailabilityZone": s.availability_zone,
            "DefaultForAz": false,
            "MapPublicIpOnLaunch": s.map_public_ip_on_launch,
        })
    }

    fn route_table(&self, t: &RouteTable) -> Value {
        let mut associations: Vec<Value> = self
            .by_table
            .get(t.meta.id.as_str())
            .into_iter()
            .flatten()
            .map(|s| {
                json!({
                    "Main": false,
                    "RouteTableAssociationId": aws_id("rtbassoc", &format!("{}{}", t.meta.id, s.meta.id)),
                    "RouteTableId": t.meta.id,
                    "SubnetId": s.meta.id,
                    "AssociationState": {"State": "associated"},
                })
            })
            .collect();
        let main = self.main_tables.contains(t.meta.id.as_str());
        if main {
            associations.push(json!({
                "Main": true,
                "RouteTableAssociationId": aws_id("rtbassoc", &t.meta.id),
                "RouteTableId": t.meta.id,
                "AssociationState": {"State": "associated"},
            }));
        }
        let local = (!t.routes.iter().any(|r| r.target == RouteTarget::Local))
            .then(|| self.model.vpc(&t.vpc))
            .flatten()
            .into_iter()
            .flat_map(|v| v.cidr_blocks.iter())
            .map(|c| Route {
                destination: RouteDestination::Cidr(*c),
                target: RouteTarget::Local,
                span: None,
            });
        // Interfaces are written under their AWS-style ids, and routes follow.
        let renamed = t.routes.iter().map(|r| match &r.target {
            RouteTarget::NetworkInterface(e) => Route {
                target: RouteTarget::NetworkInterface(
                    self.eni_id
                        .get(e.as_str())
                        .cloned()
                        .unwrap_or_else(|| e.clone()),
                ),
                ..r.clone()
            },
            _ => r.clone(),
        });
        let routes: Vec<Value> = local
            .chain(renamed)
            .collect::<Vec<_>>()
            .iter()
            .map(route)
            .collect();
        json!({
            "Associations": associations,
            "PropagatingVgws": [],
            "RouteTableId": t.meta.id,
            "Routes": routes,
            "Tags": tags(&t.meta),
            "VpcId": t.vpc,
            "OwnerId": ACCOUNT,
        })
    }

    fn security_group(&self, g: &SecurityGroup) -> Value {
        json!({
            "GroupId": g.meta.id,
            "IpPermissionsEgress": g.egress.iter().map(|r| self.permission(r)).collect::<Vec<_>>(),
            "Tags": tags(&g.meta),
            "VpcId": g.vpc,
            "SecurityGroupArn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{}", g.meta.id),
            "OwnerId": ACCOUNT,
            "GroupName": self.group_name.get(g.meta.id.as_str()),
            "Description": "generated by netpolicy gen",
            "IpPermissions": g.ingress.iter().map(|r| self.permission(r)).collect::<Vec<_>>(),
        })
    }

    fn permission(&self, r: &SecurityGroupRule) -> Value {
        let mut p = serde_json::Map::new();
        p.insert(
            "IpProtocol".into(),
            json!(protocol_name(r.traffic.protocol)),
        );
        match r.traffic.ports {
            PortMatch::Any => {}
            PortMatch::Range { first, last } => {
                p.insert("FromPort".into(), json!(first));
                p.insert("ToPort".into(), json!(last));
            }
            PortMatch::Icmp {
                icmp_type,
                icmp_code,
            } => {
                p.insert("FromPort".into(), json!(icmp_type.map_or(-1, i32::from)));
                p.insert("ToPort".into(), json!(icmp_code.map_or(-1, i32::from)));
            }
        }
        let (mut pairs, mut ranges, mut lists) = (vec![], vec![], vec![]);
        match &r.peer {
            RulePeer::Cidr(net) => ranges.push(json!({"CidrIp": net})),
            RulePeer::SecurityGroup(id) => pairs.push(json!({"UserId": ACCOUNT, "GroupId": id})),
            RulePeer::PrefixList(id) => lists.push(json!({"PrefixListId": id})),
        }
        p.insert("UserIdGroupPairs".into(), json!(pairs));
        p.insert("IpRanges".into(), json!(ranges));
        p.insert("Ipv6Ranges".into(), json!([]));
        p.insert("PrefixListIds".into(), json!(lists));
        Value::Object(p)
    }

    fn network_acl(&self, a: &NetworkAcl) -> Value {
        let associations: Vec<Value> = self
            .by_acl
            .get(a.meta.id.as_str())
            .into_iter()
            .flatten()
            .map(|s| {
                json!({
                    "NetworkAclAssociationId": aws_id("aclassoc", &s.meta.id),
                    "NetworkAclId": a.meta.id,
                    "SubnetId": s.meta.id,
                })
            })
            .collect();
        let is_default = self.default_acls.contains(a.meta.id.as_str());
        let mut entries: Vec<Value> = a.entries.iter().map(nacl_entry).collect();
        for egress in [true, false] {
            entries.push(json!({
                "CidrBlock": "0.0.0.0/0", "Egress": egress, "Protocol": "-1",
                "RuleAction": "deny", "RuleNumber": 32767,
            }));
        }
        json!({
            "Associations": associations,
            "Entries": entries,
            "IsDefault": is_default,
            "NetworkAclId": a.meta.id,
            "Tags": tags(&a.meta),
            "VpcId": a.vpc,
            "OwnerId": ACCOUNT,
        })
    }

    /// An interface as `describe-network-interfaces` shows it (`full`), or as an
    /// instance's `NetworkInterfaces` entry shows it.
    fn interface(&self, e: &Eni, full: bool) -> Value {
        let id = self
            .eni_id
            .get(e.meta.id.as_str())
            .cloned()
            .unwrap_or_default();
        let ip = e
            .private_ips
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let dns = format!("ip-{}.ec2.internal", ip.replace('.', "-"));
        let (description, requester, owner) = match &e.owner {
            EniOwner::LoadBalancer(lb) => (format!("ELB {lb}"), Some("amazon-elb"), "amazon-elb"),
            _ => (String::new(), None, "amazon"),
        };
        let association = e.public_ip.map(|public| {
            json!({
                "IpOwnerId": owner,
                "PublicDnsName": format!("ec2-{}.compute-1.amazonaws.com", public.to_string().replace('.', "-")),
                "PublicIp": public,
            })
        });
        let attachment = match &e.owner {
            EniOwner::Instance(i) => json!({
                "AttachTime": "2026-11-02T09:14:51+00:00",
                "AttachmentId": aws_id("eni-attach", &id),
                "DeleteOnTermination": true,
                "DeviceIndex": 0,
                "NetworkCardIndex": 0,
                "InstanceId": i,
                "InstanceOwnerId": ACCOUNT,
                "Status": "attached",
            }),
            _ => json!({
                "AttachTime": "2026-11-02T09:12:03+00:00",
                "AttachmentId": aws_id("ela-attach", &id),
                "DeleteOnTermination": false,
                "DeviceIndex": 1,
                "NetworkCardIndex": 0,
                "InstanceOwnerId": owner,
                "Status": "attached",
            }),
        };
        let mut n = serde_json::Map::new();
        if let Some(a) = &association {
            n.insert("Association".into(), a.clone());
        }
        n.insert("Attachment".into(), attachment);
        if full {
            n.insert("AvailabilityZone".into(), json!(self.az_of(&e.subnet)));
            n.insert(
                "ConnectionTrackingConfiguration".into(),
                json!({"TcpEstablishedTimeout": 432000, "UdpStreamTimeout": 180, "UdpTimeout": 30}),
            );
        }
        let mut primary = serde_json::Map::new();
        if let Some(a) = association {
            primary.insert("Association".into(), a);
        }
        primary.insert("Primary".into(), json!(true));
        primary.insert("PrivateDnsName".into(), json!(dns));
        primary.insert("PrivateIpAddress".into(), json!(ip));
        let mut addresses = vec![Value::Object(primary)];
        addresses.extend(e.private_ips.iter().skip(1).map(|extra| {
            json!({"Primary": false, "PrivateDnsName": format!("ip-{}.ec2.internal", extra.to_string().replace('.', "-")), "PrivateIpAddress": extra})
        }));
        let mac: String = (0..5)
            .map(|i| format!(":{:02x}", super::mix(i ^ id.len() as u64) as u8))
            .collect();
        let rest = json!({
            "Description": description,
            "Groups": e.security_groups.iter().map(|g| json!({
                "GroupName": self.group_name.get(g.as_str()),
                "GroupId": g,
            })).collect::<Vec<_>>(),
            "InterfaceType": if matches!(e.owner, EniOwner::VpcEndpoint(_)) { "vpc_endpoint" } else { "interface" },
            "Ipv6Addresses": [],
            "MacAddress": format!("0e{mac}"),
            "NetworkInterfaceId": id,
            "OwnerId": ACCOUNT,
            "PrivateDnsName": dns,
            "PrivateIpAddress": ip,
            "PrivateIpAddresses": addresses,
            "Ipv4Prefixes": [],
            "Ipv6Prefixes": [],
            "SourceDestCheck": true,
            "Status": "in-use",
            "SubnetId": e.subnet,
            "VpcId": self.vpc_of(&e.subnet),
        });
        if let Value::Object(rest) = rest {
            n.extend(rest);
        }
        if full {
            if let Some(r) = requester {
                n.insert("RequesterId".into(), json!(r));
            }
            n.insert("RequesterManaged".into(), json!(requester.is_some()));
            n.insert("TagSet".into(), json!([]));
        }
        Value::Object(n)
    }

    fn nat_interface(&self, n: &NatGateway) -> Option<Value> {
        let ip = n.private_ip?;
        Some(json!({
            "Attachment": {"DeleteOnTermination": false, "DeviceIndex": 1, "InstanceOwnerId": ACCOUNT, "Status": "attached"},
            "AvailabilityZone": self.az_of(&n.subnet),
            "Description": format!("Interface for NAT Gateway {}", n.meta.id),
            "Groups": [],
            "InterfaceType": "nat_gateway",
            "NetworkInterfaceId": aws_id("eni", &n.meta.id),
            "OwnerId": ACCOUNT,
            "PrivateIpAddress": ip,
            "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": ip}],
            "RequesterManaged": true,
            "SourceDestCheck": false,
            "Status": "in-use",
            "SubnetId": n.subnet,
            "TagSet": [],
            "VpcId": self.vpc_of(&n.subnet),
        }))
    }

    /// One instance per reservation, with the fields `describe-instances`
    /// returns for a typical Linux instance.
    fn reservation(&self, i: &Instance) -> Value {
        let enis: Vec<&Eni> = i.enis.iter().filter_map(|e| self.model.eni(e)).collect();
        let Some(primary) = enis.first() else {
            return json!({"ReservationId": aws_id("r", &i.meta.id), "OwnerId": ACCOUNT, "Groups": [], "Instances": []});
        };
        let ip = primary
            .private_ips
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let az = self.az_of(&primary.subnet);
        let mut tags = tags(&i.meta);
        for (k, v) in [
            ("Environment", "production"),
            ("Team", "platform"),
            ("CostCenter", "cc-4711"),
            ("Owner", "platform-team@example.com"),
            ("Application", "synthetic"),
            ("ManagedBy", "netpolicy-gen"),
        ] {
            tags.push(json!({"Key": k, "Value": v}));
        }
        let mut inst = json!({
            "Architecture": "x86_64",
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/xvda", "Ebs": {"AttachTime": "2026-11-02T09:14:52+00:00", "DeleteOnTermination": true, "Status": "attached", "VolumeId": aws_id("vol", &i.meta.id)}},
                {"DeviceName": "/dev/sdf", "Ebs": {"AttachTime": "2026-11-02T09:14:52+00:00", "DeleteOnTermination": false, "Status": "attached", "VolumeId": aws_id("vol", &format!("{}/data", i.meta.id))}},
            ],
            "ClientToken": aws_id("token", &i.meta.id),
            "EbsOptimized": true,
            "EnaSupport": true,
            "Hypervisor": "xen",
            "IamInstanceProfile": {
                "Arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/synthetic-instance-profile"),
                "Id": "AIPAQ3EGSWXYZEXAMPLE1",
            },
            "NetworkInterfaces": enis.iter().map(|e| self.interface(e, false)).collect::<Vec<_>>(),
            "RootDeviceName": "/dev/xvda",
            "RootDeviceType": "ebs",
            "SecurityGroups": primary.security_groups.iter().map(|g| json!({"GroupName": self.group_name.get(g.as_str()), "GroupId": g})).collect::<Vec<_>>(),
            "SourceDestCheck": true,
            "Tags": tags,
            "VirtualizationType": "hvm",
            "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2},
            "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
            "HibernationOptions": {"Configured": false},
            "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled", "InstanceMetadataTags": "disabled"},
            "EnclaveOptions": {"Enabled": false},
            "BootMode": "uefi-preferred",
            "PlatformDetails": "Linux/UNIX",
            "UsageOperation": "RunInstances",
            "UsageOperationUpdateTime": "2026-11-02T09:14:51+00:00",
            "PrivateDnsNameOptions": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": false, "EnableResourceNameDnsAAAARecord": false},
            "MaintenanceOptions": {"AutoRecovery": "default"},
            "CurrentInstanceBootMode": "legacy-bios",
            "NetworkPerformanceOptions": {"BandwidthWeighting": "default"},
            "Operator": {"Managed": false},
            "InstanceId": i.meta.id,
            "ImageId": "ami-0ff8a91507f77f867",
            "State": {"Code": 16, "Name": "running"},
            "PrivateDnsName": format!("ip-{}.ec2.internal", ip.replace('.', "-")),
            "PublicDnsName": primary.public_ip.map(|p| format!("ec2-{}.compute-1.amazonaws.com", p.to_string().replace('.', "-"))).unwrap_or_default(),
            "StateTransitionReason": "",
            "KeyName": "platform",
            "AmiLaunchIndex": 0,
            "ProductCodes": [],
            "InstanceType": "m6i.large",
            "LaunchTime": "2026-11-02T09:14:51+00:00",
            "Placement": {"GroupName": "", "Tenancy": "default", "AvailabilityZone": az},
            "Monitoring": {"State": "disabled"},
            "SubnetId": primary.subnet,
            "VpcId": self.vpc_of(&primary.subnet),
            "PrivateIpAddress": ip,
        });
        if let (Some(public), Value::Object(m)) = (primary.public_ip, &mut inst) {
            m.insert("PublicIpAddress".into(), json!(public));
        }
        json!({
            "ReservationId": aws_id("r", &i.meta.id),
            "OwnerId": ACCOUNT,
            "Groups": [],
            "Instances": [inst],
        })
    }

    fn nat_gateway(&self, n: &NatGateway) -> Value {
        json!({
            "CreateTime": "2026-11-02T09:11:40+00:00",
            "NatGatewayAddresses": [{
                "AllocationId": aws_id("eipalloc", &n.meta.id),
                "NetworkInterfaceId": aws_id("eni", &n.meta.id),
                "PrivateIp": n.private_ip,
                "PublicIp": n.public_ip,
                "AssociationId": aws_id("eipassoc", &n.meta.id),
                "IsPrimary": true,
                "Status": "succeeded",
            }],
            "NatGatewayId": n.meta.id,
            "State": "available",
            "SubnetId": n.subnet,
            "VpcId": self.vpc_of(&n.subnet),
            "Tags": tags(&n.meta),
            "ConnectivityType": if n.public { "public" } else { "private" },
        })
    }

    fn peering(&self, x: &Peering) -> Value {
        let info = |vpc: &str| {
            let cidr = self
                .model
                .vpc(vpc)
                .and_then(|v| v.cidr_blocks.first().copied());
            json!({
                "CidrBlock": cidr,
                "CidrBlockSet": cidr.iter().map(|c| json!({"CidrBlock": c})).collect::<Vec<_>>(),
                "OwnerId": ACCOUNT,
                "PeeringOptions": {
                    "AllowDnsResolutionFromRemoteVpc": false,
                    "AllowEgressFromLocalClassicLinkToRemoteVpc": false,
                    "AllowEgressFromLocalVpcToRemoteClassicLink": false,
                },
                "VpcId": vpc,
                "Region": REGION,
            })
        };
        let (code, message) = if x.active {
            ("active", "Active")
        } else {
            ("pending-acceptance", "Pending Acceptance")
        };
        json!({
            "AccepterVpcInfo": info(&x.accepter_vpc),
            "RequesterVpcInfo": info(&x.requester_vpc),
            "Status": {"Code": code, "Message": message},
            "Tags": tags(&x.meta),
            "VpcPeeringConnectionId": x.meta.id,
        })
    }

    fn load_balancer(&self, lb: &LoadBalancer) -> Value {
        let name = lb.meta.name.clone().unwrap_or_else(|| lb.meta.id.clone());
        let vpc = lb
            .subnets
            .first()
            .map(|s| self.vpc_of(s))
            .unwrap_or_default();
        json!({
            "LoadBalancerArn": lb_arn(&lb.meta.id),
            "DNSName": format!("{name}.{REGION}.elb.amazonaws.com"),
            "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K",
            "CreatedTime": "2026-11-02T09:12:03.410000+00:00",
            "LoadBalancerName": name,
            "Scheme": if lb.internet_facing { "internet-facing" } else { "internal" },
            "VpcId": vpc,
            "State": {"Code": "active"},
            "Type": match lb.kind { LoadBalancerKind::Application => "application", LoadBalancerKind::Network => "network" },
            "AvailabilityZones": lb.subnets.iter().map(|s| json!({"ZoneName": self.az_of(s), "SubnetId": s, "LoadBalancerAddresses": []})).collect::<Vec<_>>(),
            "SecurityGroups": lb.security_groups,
            "IpAddressType": "ipv4",
        })
    }

    fn listeners(&self, lb: &LoadBalancer) -> Vec<Value> {
        lb.listeners
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let protocol = match (lb.kind, l.protocol) {
                    (_, Protocol::Udp) => "UDP",
                    (LoadBalancerKind::Application, _) => "HTTPS",
                    (LoadBalancerKind::Network, _) => "TCP",
                };
                let groups: Vec<Value> = l
                    .target_groups
                    .iter()
                    .map(|t| json!({"TargetGroupArn": tg_arn(t), "Weight": 1}))
                    .collect();
                json!({
                    "ListenerArn": format!("{}/listener/{k}", lb_arn(&lb.meta.id)),
                    "LoadBalancerArn": lb_arn(&lb.meta.id),
                    "Port": l.port,
                    "Protocol": protocol,
                    "DefaultActions": [{
                        "Type": "forward",
                        "ForwardConfig": {"TargetGroups": groups, "TargetGroupStickinessConfig": {"Enabled": false}},
                    }],
                })
            })
            .collect()
    }

    fn target_group(&self, t: &TargetGroup) -> Value {
        let name = t.meta.name.clone().unwrap_or_else(|| t.meta.id.clone());
        json!({
            "TargetGroupArn": tg_arn(&t.meta.id),
            "TargetGroupName": name,
            "Protocol": if t.protocol == Protocol::Udp { "UDP" } else { "HTTP" },
            "Port": t.port,
            "HealthCheckProtocol": "HTTP",
            "HealthCheckPort": "traffic-port",
            "HealthCheckEnabled": true,
            "TargetType": "instance",
            "IpAddressType": "ipv4",
        })
    }

    fn endpoint(&self, e: &VpcEndpoint) -> Value {
        let kind = match e.kind {
            EndpointKind::Interface => "Interface",
            EndpointKind::Gateway => "Gateway",
        };
        let groups: Vec<Value> = (e.security_groups.iter())
            .map(|g| json!({"GroupId": g, "GroupName": self.group_name.get(g.as_str()).cloned().unwrap_or_default()}))
            .collect();
        let interfaces: Vec<String> = (e.enis.iter())
            .filter_map(|n| self.eni_id.get(n.as_str()).cloned())
            .collect();
        json!({
            "VpcEndpointId": e.meta.id,
            "VpcEndpointType": kind,
            "VpcId": e.vpc,
            "ServiceName": e.service_name,
            "State": "available",
            "RouteTableIds": e.route_tables,
            "SubnetIds": e.subnets,
            "Groups": groups,
            "NetworkInterfaceIds": interfaces,
            "PrivateDnsEnabled": kind == "Interface",
            "OwnerId": ACCOUNT,
            "Tags": tags(&e.meta),
        })
    }

    fn target_health(&self, t: &TargetGroup) -> Value {
        json!({
            "TargetGroupArn": tg_arn(&t.meta.id),
            "TargetHealthDescriptions": t.targets.iter().map(|x| {
                let id = match &x.target {
                    TargetRef::Instance(i) => i.clone(),
                    TargetRef::Ip(ip) => ip.to_string(),
                };
                json!({"Target": {"Id": id, "Port": x.port.unwrap_or(t.port)}, "TargetHealth": {"State": "healthy"}})
            }).collect::<Vec<_>>(),
        })
    }
}

fn route(r: &Route) -> Value {
    let mut m = serde_json::Map::new();
    match &r.destination {
        RouteDestination::Cidr(net) => m.insert("DestinationCidrBlock".into(), json!(net)),
        RouteDestination::PrefixList(id) => m.insert("DestinationPrefixListId".into(), json!(id)),
    };
    let target = match &r.target {
        RouteTarget::Local => Some(("GatewayId", "local")),
        RouteTarget::InternetGateway(id)
        | RouteTarget::VpnGateway(id)
        | RouteTarget::GatewayEndpoint(id) => Some(("GatewayId", id.as_str())),
        RouteTarget::NatGateway(id) => Some(("NatGatewayId", id.as_str())),
        RouteTarget::Peering(id) => Some(("VpcPeeringConnectionId", id.as_str())),
        RouteTarget::TransitGateway(id) => Some(("TransitGatewayId", id.as_str())),
        RouteTarget::NetworkInterface(id) => Some(("NetworkInterfaceId", id.as_str())),
        // The target was deleted: a dump keeps the route, marked `blackhole`.
        RouteTarget::Blackhole => None,
    };
    if let Some((key, id)) = target {
        m.insert(key.into(), json!(id));
    }
    let origin = if r.target == RouteTarget::Local {
        "CreateRouteTable"
    } else {
        "CreateRoute"
    };
    let state = if target.is_some() {
        "active"
    } else {
        "blackhole"
    };
    m.insert("Origin".into(), json!(origin));
    m.insert("State".into(), json!(state));
    Value::Object(m)
}

fn nacl_entry(e: &NaclEntry) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("CidrBlock".into(), json!(e.cidr));
    m.insert("Egress".into(), json!(e.egress));
    m.insert(
        "Protocol".into(),
        json!(protocol_number(e.traffic.protocol)),
    );
    match e.traffic.ports {
        PortMatch::Any => {}
        PortMatch::Range { first, last } => {
            m.insert("PortRange".into(), json!({"From": first, "To": last}));
        }
        PortMatch::Icmp {
            icmp_type,
            icmp_code,
        } => {
            m.insert(
                "IcmpTypeCode".into(),
                json!({"Type": icmp_type.map_or(-1, i32::from), "Code": icmp_code.map_or(-1, i32::from)}),
            );
        }
    }
    let action = match e.action {
        NaclAction::Allow => "allow",
        NaclAction::Deny => "deny",
    };
    m.insert("RuleAction".into(), json!(action));
    m.insert("RuleNumber".into(), json!(e.rule_number));
    Value::Object(m)
}
