//! Writes a model as a CloudFormation template (JSON), the way people write
//! them: rules between security groups as standalone `SecurityGroupIngress` /
//! `SecurityGroupEgress` resources (inline ones would be a circular
//! dependency), routes, NACL entries and associations as their own resources,
//! public NAT gateways with their Elastic IP. Loading it gives the same network
//! up to naming: logical ids are the model ids without punctuation.

use super::aws_cli::{protocol_name, protocol_number};
use crate::model::*;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::{self, Write};

/// Writes the template of `model` to `out`.
pub fn write(model: &Model, out: &mut impl Write) -> io::Result<()> {
    let w = Template::new(model);
    out.write_all(b"{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Description\": \"netpolicy synthetic organization\",\n  \"Resources\": {")?;
    let mut first = true;
    let mut emit = |id: String, resource: Value| -> io::Result<()> {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut *out, &id).map_err(io::Error::other)?;
        out.write_all(b": ")?;
        serde_json::to_writer(&mut *out, &resource).map_err(io::Error::other)
    };
    for (id, resource) in w.resources() {
        emit(id, resource)?;
    }
    out.write_all(b"\n  }\n}\n")
}

/// The model's lookups the template needs.
struct Template<'m> {
    model: &'m Model,
    /// An instance's interfaces by id: (instance, device index).
    instance_eni: HashMap<&'m str, (&'m str, usize)>,
}

/// A CloudFormation logical id for a model id: its letters and digits.
pub fn logical_id(id: &str) -> String {
    let mut out: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'R');
    }
    out
}

fn reference(id: &str) -> Value {
    json!({ "Ref": logical_id(id) })
}

fn resource(kind: &str, properties: Value) -> Value {
    json!({ "Type": kind, "Properties": properties })
}

fn tags(meta: &Meta) -> Value {
    let mut tags: Vec<Value> = meta
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    if let (Some(name), false) = (&meta.name, meta.tags.contains_key("Name")) {
        tags.push(json!({"Key": "Name", "Value": name}));
    }
    Value::Array(tags)
}

/// `FromPort`/`ToPort` (or ICMP type and code) of a rule, `-1` for any.
fn port_fields(ports: PortMatch, protocol: Protocol, fields: &mut Map<String, Value>) {
    if let Some((from, to)) = super::from_to(TrafficMatch { protocol, ports }) {
        fields.insert("FromPort".into(), json!(from));
        fields.insert("ToPort".into(), json!(to));
    }
}

impl<'m> Template<'m> {
    fn new(model: &'m Model) -> Self {
        let mut instance_eni = HashMap::new();
        for i in model.instances() {
            for (k, e) in i.enis.iter().enumerate() {
                instance_eni.insert(e.as_str(), (i.meta.id.as_str(), k));
            }
        }
        Template {
            model,
            instance_eni,
        }
    }

    /// Every resource, in an order a reader can follow.
    fn resources(&self) -> impl Iterator<Item = (String, Value)> + '_ {
        let p = self.model.parts();
        let vpcs = p.vpcs.iter().flat_map(|v| self.vpc(v));
        let subnets = p.subnets.iter().flat_map(|s| self.subnet(s));
        let tables = p.route_tables.iter().flat_map(|t| self.route_table(t));
        let gateways = (p
            .internet_gateways
            .iter()
            .flat_map(|g| self.internet_gateway(g)))
        .chain(p.vpn_gateways.iter().flat_map(|g| self.vpn_gateway(g)))
        .chain(p.nat_gateways.iter().flat_map(|n| self.nat_gateway(n)))
        .chain(p.peerings.iter().map(|x| self.peering(x)));
        let groups = p
            .security_groups
            .iter()
            .flat_map(|g| self.security_group(g));
        let acls = p.network_acls.iter().flat_map(|a| self.network_acl(a));
        let hosts = (p.instances.iter().map(|i| self.instance(i)))
            .chain(p.enis.iter().filter_map(|e| self.interface(e)));
        let balancers = (p
            .load_balancers
            .iter()
            .flat_map(|lb| self.load_balancer(lb)))
        .chain(p.target_groups.iter().map(|t| self.target_group(t)));
        let endpoints = (p.vpc_endpoints.iter().map(|e| self.endpoint(e)))
            .chain(p.prefix_lists.iter().map(|l| self.prefix_list(l)));
        vpcs.chain(subnets)
            .chain(tables)
            .chain(gateways)
            .chain(groups)
            .chain(acls)
            .chain(hosts)
            .chain(balancers)
            .chain(endpoints)
    }

    fn vpc(&self, v: &Vpc) -> Vec<(String, Value)> {
        let id = logical_id(&v.meta.id);
        let mut out = Vec::new();
        for (i, block) in v.cidr_blocks.iter().enumerate() {
            if i == 0 {
                let properties = json!({"CidrBlock": block.to_string(), "EnableDnsSupport": true, "EnableDnsHostnames": true, "Tags": tags(&v.meta)});
                out.push((id.clone(), resource("AWS::EC2::VPC", properties)));
            } else {
                let properties =
                    json!({"VpcId": reference(&v.meta.id), "CidrBlock": block.to_string()});
                out.push((
                    format!("{id}Cidr{i}"),
                    resource("AWS::EC2::VPCCidrBlock", properties),
                ));
            }
        }
        out
    }

    /// The subnet, and its associations with the route table and NACL that
    /// apply to it (a VPC's main table and default NACL are not resources a
    /// template can fill, so they are associated explicitly).
    fn subnet(&self, s: &Subnet) -> Vec<(String, Value)> {
        let id = logical_id(&s.meta.id);
        let mut properties = json!({
            "VpcId": reference(&s.vpc),
            "CidrBlock": s.cidr.to_string(),
            "MapPublicIpOnLaunch": s.map_public_ip_on_launch,
            "Tags": tags(&s.meta),
        });
        if let (Some(az), Some(map)) = (&s.availability_zone, properties.as_object_mut()) {
            map.insert("AvailabilityZone".into(), json!(az));
        }
        let mut out = vec![(id.clone(), resource("AWS::EC2::Subnet", properties))];
        let vpc = self.model.vpc(&s.vpc);
        let table = s
            .route_table
            .clone()
            .or_else(|| vpc.and_then(|v| v.main_route_table.clone()));
        if let Some(t) = table {
            let properties =
                json!({"SubnetId": reference(&s.meta.id), "RouteTableId": reference(&t)});
            out.push((
                format!("{id}RouteTable"),
                resource("AWS::EC2::SubnetRouteTableAssociation", properties),
            ));
        }
        let acl = s
            .network_acl
            .clone()
            .or_else(|| vpc.and_then(|v| v.default_network_acl.clone()));
        if let Some(a) = acl {
            let properties =
                json!({"SubnetId": reference(&s.meta.id), "NetworkAclId": reference(&a)});
            out.push((
                format!("{id}Acl"),
                resource("AWS::EC2::SubnetNetworkAclAssociation", properties),
            ));
        }
        out
    }

    fn route_table(&self, t: &RouteTable) -> Vec<(String, Value)> {
        let id = logical_id(&t.meta.id);
        let properties = json!({"VpcId": reference(&t.vpc), "Tags": tags(&t.meta)});
        let mut out = vec![(id.clone(), resource("AWS::EC2::RouteTable", properties))];
        for (i, r) in t.routes.iter().enumerate() {
            let mut fields = Map::new();
            fields.insert("RouteTableId".into(), reference(&t.meta.id));
            match &r.destination {
                RouteDestination::Cidr(c) => {
                    fields.insert("DestinationCidrBlock".into(), json!(c.to_string()))
                }
                RouteDestination::PrefixList(l) => {
                    fields.insert("DestinationPrefixListId".into(), self.maybe_ref(l))
                }
            };
            let (key, target) = match &r.target {
                RouteTarget::Local | RouteTarget::Blackhole => continue,
                RouteTarget::InternetGateway(g) | RouteTarget::VpnGateway(g) => {
                    ("GatewayId", reference(g))
                }
                RouteTarget::NatGateway(n) => ("NatGatewayId", reference(n)),
                RouteTarget::Peering(x) => ("VpcPeeringConnectionId", reference(x)),
                RouteTarget::TransitGateway(x) => ("TransitGatewayId", json!(x)),
                RouteTarget::GatewayEndpoint(x) => ("VpcEndpointId", reference(x)),
                RouteTarget::NetworkInterface(e) => match self.instance_eni.get(e.as_str()) {
                    Some((instance, 0)) => ("InstanceId", reference(instance)),
                    _ => ("NetworkInterfaceId", self.maybe_ref(e)),
                },
            };
            fields.insert(key.into(), target);
            out.push((
                format!("{id}Route{i}"),
                resource("AWS::EC2::Route", Value::Object(fields)),
            ));
        }
        out
    }

    /// A reference when the template defines the object, else the id itself.
    fn maybe_ref(&self, id: &str) -> Value {
        let defined = self.model.prefix_list(id).is_some() || self.model.eni(id).is_some();
        if defined { reference(id) } else { json!(id) }
    }

    fn internet_gateway(&self, g: &InternetGateway) -> Vec<(String, Value)> {
        let id = logical_id(&g.meta.id);
        let mut out = vec![(
            id.clone(),
            resource("AWS::EC2::InternetGateway", json!({"Tags": tags(&g.meta)})),
        )];
        if let Some(vpc) = &g.vpc {
            let properties =
                json!({"VpcId": reference(vpc), "InternetGatewayId": reference(&g.meta.id)});
            out.push((
                format!("{id}Attachment"),
                resource("AWS::EC2::VPCGatewayAttachment", properties),
            ));
        }
        out
    }

    fn vpn_gateway(&self, g: &VpnGateway) -> Vec<(String, Value)> {
        let id = logical_id(&g.meta.id);
        let mut out = vec![(
            id.clone(),
            resource(
                "AWS::EC2::VPNGateway",
                json!({"Type": "ipsec.1", "Tags": tags(&g.meta)}),
            ),
        )];
        if let Some(vpc) = &g.vpc {
            let properties =
                json!({"VpcId": reference(vpc), "VpnGatewayId": reference(&g.meta.id)});
            out.push((
                format!("{id}Attachment"),
                resource("AWS::EC2::VPCGatewayAttachment", properties),
            ));
        }
        if g.has_vpn_connection {
            let customer = format!("{id}Customer");
            let properties =
                json!({"Type": "ipsec.1", "BgpAsn": 65000, "IpAddress": "198.51.100.1"});
            out.push((
                customer.clone(),
                resource("AWS::EC2::CustomerGateway", properties),
            ));
            let properties = json!({"Type": "ipsec.1", "StaticRoutesOnly": true, "VpnGatewayId": reference(&g.meta.id), "CustomerGatewayId": {"Ref": customer}});
            out.push((
                format!("{id}Connection"),
                resource("AWS::EC2::VPNConnection", properties),
            ));
        }
        out
    }

    fn nat_gateway(&self, n: &NatGateway) -> Vec<(String, Value)> {
        let id = logical_id(&n.meta.id);
        let mut out = Vec::new();
        let mut properties = json!({
            "SubnetId": reference(&n.subnet),
            "ConnectivityType": if n.public { "public" } else { "private" },
            "Tags": tags(&n.meta),
        });
        let Some(map) = properties.as_object_mut() else {
            return out;
        };
        if let Some(ip) = n.private_ip {
            map.insert("PrivateIpAddress".into(), json!(ip.to_string()));
        }
        if n.public {
            let eip = format!("{id}Eip");
            map.insert(
                "AllocationId".into(),
                json!({"Fn::GetAtt": [eip, "AllocationId"]}),
            );
            out.push((eip, resource("AWS::EC2::EIP", json!({"Domain": "vpc"}))));
        }
        out.push((id, resource("AWS::EC2::NatGateway", properties)));
        out
    }

    fn peering(&self, x: &Peering) -> (String, Value) {
        let properties = json!({"VpcId": reference(&x.requester_vpc), "PeerVpcId": reference(&x.accepter_vpc), "Tags": tags(&x.meta)});
        (
            logical_id(&x.meta.id),
            resource("AWS::EC2::VPCPeeringConnection", properties),
        )
    }

    /// A rule's fields; `egress` names the peer as a destination.
    fn rule(&self, r: &SecurityGroupRule, egress: bool) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert(
            "IpProtocol".into(),
            json!(protocol_name(r.traffic.protocol)),
        );
        port_fields(r.traffic.ports, r.traffic.protocol, &mut fields);
        let (group_key, list_key) = if egress {
            ("DestinationSecurityGroupId", "DestinationPrefixListId")
        } else {
            ("SourceSecurityGroupId", "SourcePrefixListId")
        };
        match &r.peer {
            RulePeer::Cidr(c) => fields.insert("CidrIp".into(), json!(c.to_string())),
            RulePeer::SecurityGroup(g) => fields.insert(group_key.into(), reference(g)),
            RulePeer::PrefixList(l) => fields.insert(list_key.into(), self.maybe_ref(l)),
        };
        if let Some(d) = &r.description {
            fields.insert("Description".into(), json!(d));
        }
        fields
    }

    /// The group with its address rules inline; rules naming a group are
    /// their own resources. The implicit allow-all egress rule is left to
    /// EC2, as a template does.
    fn security_group(&self, g: &SecurityGroup) -> Vec<(String, Value)> {
        let id = logical_id(&g.meta.id);
        let mut out = Vec::new();
        let mut inline = |rules: &[SecurityGroupRule], egress: bool| -> Vec<Value> {
            let kind = if egress { "Egress" } else { "Ingress" };
            let mut kept = Vec::new();
            for (i, r) in rules.iter().enumerate().filter(|(_, r)| !r.implicit) {
                let fields = self.rule(r, egress);
                if let RulePeer::SecurityGroup(_) = r.peer {
                    let mut fields = fields;
                    fields.insert("GroupId".into(), reference(&g.meta.id));
                    let resource = resource(
                        &format!("AWS::EC2::SecurityGroup{kind}"),
                        Value::Object(fields),
                    );
                    out.push((format!("{id}{kind}{i}"), resource));
                } else {
                    kept.push(Value::Object(fields));
                }
            }
            kept
        };
        let ingress = inline(&g.ingress, false);
        let egress = inline(&g.egress, true);
        let mut properties = json!({
            "GroupDescription": format!("{} security group", g.meta.name.as_deref().unwrap_or(&g.meta.id)),
            "GroupName": g.meta.name.as_deref().unwrap_or(&g.meta.id),
            "VpcId": reference(&g.vpc),
            "SecurityGroupIngress": ingress,
            "Tags": tags(&g.meta),
        });
        // A group with no egress rule at all cannot be written as such (EC2
        // adds allow-all to a group created without egress rules): the
        // CDK's idiom is one rule no packet matches.
        let egress = if g.egress.is_empty() {
            vec![
                json!({"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic"}),
            ]
        } else {
            egress
        };
        if !egress.is_empty()
            && let Some(map) = properties.as_object_mut()
        {
            map.insert("SecurityGroupEgress".into(), Value::Array(egress));
        }
        out.insert(0, (id, resource("AWS::EC2::SecurityGroup", properties)));
        out
    }

    fn network_acl(&self, a: &NetworkAcl) -> Vec<(String, Value)> {
        let id = logical_id(&a.meta.id);
        let properties = json!({"VpcId": reference(&a.vpc), "Tags": tags(&a.meta)});
        let mut out = vec![(id.clone(), resource("AWS::EC2::NetworkAcl", properties))];
        for (i, e) in a.entries.iter().enumerate() {
            let mut fields = Map::new();
            fields.insert("NetworkAclId".into(), reference(&a.meta.id));
            fields.insert("RuleNumber".into(), json!(e.rule_number));
            fields.insert(
                "Protocol".into(),
                json!(protocol_number(e.traffic.protocol)),
            );
            let action = if e.action == NaclAction::Allow {
                "allow"
            } else {
                "deny"
            };
            fields.insert("RuleAction".into(), json!(action));
            fields.insert("Egress".into(), json!(e.egress));
            fields.insert("CidrBlock".into(), json!(e.cidr.to_string()));
            let mut ports = Map::new();
            port_fields(e.traffic.ports, e.traffic.protocol, &mut ports);
            if let (Some(from), Some(to)) = (ports.remove("FromPort"), ports.remove("ToPort")) {
                let (key, a, b) = match e.traffic.protocol {
                    Protocol::Icmp => ("Icmp", "Type", "Code"),
                    _ => ("PortRange", "From", "To"),
                };
                fields.insert(key.into(), json!({ a: from, b: to }));
            }
            out.push((
                format!("{id}Entry{i}"),
                resource("AWS::EC2::NetworkAclEntry", Value::Object(fields)),
            ));
        }
        out
    }

    /// An interface's fields inside an instance or on its own.
    fn interface_fields(&self, e: &Eni) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("SubnetId".into(), reference(&e.subnet));
        let groups: Vec<Value> = e.security_groups.iter().map(|g| reference(g)).collect();
        fields.insert("GroupSet".into(), Value::Array(groups));
        if let Some(ip) = e.private_ips.first() {
            fields.insert("PrivateIpAddress".into(), json!(ip.to_string()));
        }
        fields
    }

    fn instance(&self, i: &Instance) -> (String, Value) {
        let interfaces: Vec<Value> = (i.enis.iter().enumerate())
            .filter_map(|(k, e)| Some((k, self.model.eni(e)?)))
            .map(|(k, e)| {
                let mut fields = self.interface_fields(e);
                fields.insert("DeviceIndex".into(), json!(k.to_string()));
                fields.insert(
                    "AssociatePublicIpAddress".into(),
                    json!(e.public_ip.is_some() || e.auto_public_ip),
                );
                Value::Object(fields)
            })
            .collect();
        let properties = json!({
            "ImageId": "ami-0abcdef1234567890",
            "InstanceType": "t3.micro",
            "NetworkInterfaces": interfaces,
            "Tags": tags(&i.meta),
        });
        (
            logical_id(&i.meta.id),
            resource("AWS::EC2::Instance", properties),
        )
    }

    /// A standalone interface; those of instances, load balancers, NAT
    /// gateways and endpoints come with their owner.
    fn interface(&self, e: &Eni) -> Option<(String, Value)> {
        if e.owner != EniOwner::None {
            return None;
        }
        let mut fields = self.interface_fields(e);
        fields.insert("Tags".into(), tags(&e.meta));
        Some((
            logical_id(&e.meta.id),
            resource("AWS::EC2::NetworkInterface", Value::Object(fields)),
        ))
    }

    fn load_balancer(&self, lb: &LoadBalancer) -> Vec<(String, Value)> {
        let id = logical_id(&lb.meta.id);
        let kind = match lb.kind {
            LoadBalancerKind::Application => "application",
            LoadBalancerKind::Network => "network",
        };
        let properties = json!({
            "Name": lb.meta.name.as_deref().unwrap_or(&id),
            "Type": kind,
            "Scheme": if lb.internet_facing { "internet-facing" } else { "internal" },
            "Subnets": lb.subnets.iter().map(|s| reference(s)).collect::<Vec<_>>(),
            "SecurityGroups": lb.security_groups.iter().map(|g| reference(g)).collect::<Vec<_>>(),
            "Tags": tags(&lb.meta),
        });
        let mut out = vec![(
            id.clone(),
            resource("AWS::ElasticLoadBalancingV2::LoadBalancer", properties),
        )];
        for (i, l) in lb.listeners.iter().enumerate() {
            let protocol = super::listener_protocol(lb.kind, l.protocol, l.port);
            let actions: Vec<Value> = l
                .target_groups
                .iter()
                .map(|t| json!({"Type": "forward", "TargetGroupArn": reference(t)}))
                .collect();
            let mut properties = json!({"LoadBalancerArn": reference(&lb.meta.id), "Port": l.port, "Protocol": protocol, "DefaultActions": actions});
            if protocol == "HTTPS"
                && let Some(map) = properties.as_object_mut()
            {
                map.insert("Certificates".into(), json!([{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"}]));
            }
            out.push((
                format!("{id}Listener{i}"),
                resource("AWS::ElasticLoadBalancingV2::Listener", properties),
            ));
        }
        out
    }

    fn target_group(&self, t: &TargetGroup) -> (String, Value) {
        let id = logical_id(&t.meta.id);
        let ip = t
            .targets
            .iter()
            .any(|x| matches!(x.target, TargetRef::Ip(_)));
        let targets: Vec<Value> = t
            .targets
            .iter()
            .map(|x| {
                let mut fields = Map::new();
                let target = match &x.target {
                    TargetRef::Instance(i) => reference(i),
                    TargetRef::Ip(a) => json!(a.to_string()),
                };
                fields.insert("Id".into(), target);
                if let Some(port) = x.port {
                    fields.insert("Port".into(), json!(port));
                }
                Value::Object(fields)
            })
            .collect();
        let protocol = if t.protocol == Protocol::Udp {
            "UDP"
        } else {
            "HTTP"
        };
        let properties = json!({
            "Name": t.meta.name.as_deref().unwrap_or(&id),
            "Port": t.port,
            "Protocol": protocol,
            "TargetType": if ip { "ip" } else { "instance" },
            "Targets": targets,
            "Tags": tags(&t.meta),
        });
        (
            id,
            resource("AWS::ElasticLoadBalancingV2::TargetGroup", properties),
        )
    }

    fn endpoint(&self, e: &VpcEndpoint) -> (String, Value) {
        let refs = |ids: &[String]| ids.iter().map(|i| reference(i)).collect::<Vec<_>>();
        let kind = if e.kind == EndpointKind::Interface {
            "Interface"
        } else {
            "Gateway"
        };
        let properties = json!({
            "VpcId": reference(&e.vpc),
            "ServiceName": e.service_name,
            "VpcEndpointType": kind,
            "SubnetIds": refs(&e.subnets),
            "SecurityGroupIds": refs(&e.security_groups),
            "RouteTableIds": refs(&e.route_tables),
        });
        (
            logical_id(&e.meta.id),
            resource("AWS::EC2::VPCEndpoint", properties),
        )
    }

    fn prefix_list(&self, l: &PrefixList) -> (String, Value) {
        let entries: Vec<Value> = l
            .cidrs
            .iter()
            .map(|c| json!({"Cidr": c.to_string()}))
            .collect();
        let properties = json!({
            "PrefixListName": l.meta.name.as_deref().unwrap_or(&l.meta.id),
            "AddressFamily": "IPv4",
            "MaxEntries": entries.len().max(1),
            "Entries": entries,
        });
        (
            logical_id(&l.meta.id),
            resource("AWS::EC2::PrefixList", properties),
        )
    }
}
