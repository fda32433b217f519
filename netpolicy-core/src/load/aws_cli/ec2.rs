//! The `aws ec2 describe-*` outputs.

use super::{Dump, meta};
use crate::load::LoadError;
use crate::load::read::{Fields, cidr, integer, invalid, ip, string};
use crate::load::records::finish::Ipv6Skip;
use crate::load::records::{self, nacl, route, traffic};
use crate::model::*;
use crate::span::Span;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

/// Peering states that no longer exist as a connection.
const GONE_PEERING: &[&str] = &["deleted", "rejected", "failed", "expired", "deleting"];
/// NAT gateway states without a working gateway.
const GONE_NAT: &[&str] = &["deleted", "deleting", "failed"];

/// Every field [`reservation`] and [`interface`] read, at any depth: the long
/// listings build only these, and a field missing here reads as
/// absent (`long_listings_read_the_same_with_every_field_built` guards this).
const INTERFACE_FIELDS: &[&str] = &[
    "Association",
    "Attachment",
    "Description",
    "DeviceIndex",
    "GroupId",
    "Groups",
    "InstanceId",
    "Instances",
    "InterfaceType",
    "Key",
    "Name",
    "NetworkInterfaceId",
    "NetworkInterfaces",
    "Primary",
    "PrivateIpAddress",
    "PrivateIpAddresses",
    "PublicIp",
    "State",
    "SubnetId",
    "TagSet",
    "Tags",
    "Value",
];

impl Dump<'_> {
    pub(super) fn read_ec2(&mut self) -> Result<(), LoadError> {
        self.vpcs()?;
        self.subnets()?;
        self.network_acls()?;
        self.gateways()?;
        self.peerings()?;
        self.security_groups()?;
        self.endpoints()?;
        self.prefix_lists()?;
        // After the gateways and endpoints: a `GatewayId` is what the dump
        // holds under that id before it is what its prefix says.
        self.route_tables()?;
        Ok(())
    }

    fn vpcs(&mut self) -> Result<(), LoadError> {
        for v in self.items("ec2-describe-vpcs.json", "Vpcs", "a VPC")? {
            let mut cidr_blocks = Vec::new();
            for a in v.objects("CidrBlockAssociationSet", "a CIDR block association")? {
                let state = a.object("CidrBlockState", "a CIDR block state")?;
                let state = state.map(|s| s.str("State")).transpose()?.flatten();
                if state.is_none_or(|s| s == "associated")
                    && let Ok(net) = cidr(a.req("CidrBlock")?)?
                {
                    cidr_blocks.push(net);
                }
            }
            if cidr_blocks.is_empty()
                && let Ok(net) = cidr(v.req("CidrBlock")?)?
            {
                cidr_blocks.push(net);
            }
            self.parts.vpcs.push(Vpc {
                meta: meta(&v, "VpcId", "Tags")?,
                cidr_blocks,
                main_route_table: None,
                default_network_acl: None,
            });
        }
        Ok(())
    }

    fn subnets(&mut self) -> Result<(), LoadError> {
        for s in self.items("ec2-describe-subnets.json", "Subnets", "a subnet")? {
            let node = s.req("CidrBlock")?;
            let Ok(net) = cidr(node)? else {
                self.skip_ipv6(node.span, Ipv6Skip::Address);
                continue;
            };
            self.parts.subnets.push(Subnet {
                meta: meta(&s, "SubnetId", "Tags")?,
                vpc: s.req_str("VpcId")?,
                cidr: net,
                availability_zone: s.str("AvailabilityZone")?,
                map_public_ip_on_launch: s.bool("MapPublicIpOnLaunch")?.unwrap_or(false),
                route_table: None,
                network_acl: None,
            });
        }
        Ok(())
    }

    fn route_tables(&mut self) -> Result<(), LoadError> {
        let mut main = HashMap::new();
        let mut explicit = HashMap::new();
        for t in self.items(
            "ec2-describe-route-tables.json",
            "RouteTables",
            "a route table",
        )? {
            let table = meta(&t, "RouteTableId", "Tags")?;
            let vpc = t.req_str("VpcId")?;
            for a in t.objects("Associations", "a route table association")? {
                let state = a.object("AssociationState", "an association state")?;
                let state = state.map(|s| s.str("State")).transpose()?.flatten();
                if state.is_some_and(|s| s != "associated") {
                    continue;
                }
                if a.bool("Main")?.unwrap_or(false) {
                    main.insert(vpc.clone(), table.id.clone());
                } else if let Some(subnet) = a.str("SubnetId")? {
                    explicit.insert(subnet, table.id.clone());
                }
            }
            let mut routes = Vec::new();
            let mut stopped = false;
            for r in t.objects("Routes", "a route")? {
                if let Some(route) = self.route(&r, &table.id)? {
                    // A blackhole AWS reports is exact; one that stands for a
                    // target netpolicy does not follow is not.
                    stopped |= route.target == RouteTarget::Blackhole
                        && r.str("State")?.as_deref() != Some("blackhole");
                    routes.push(route);
                }
            }
            if stopped {
                (self.parts).approximate(table.id.as_str(), Approximation::Narrower);
            }
            self.parts.route_tables.push(RouteTable {
                meta: table,
                vpc,
                routes,
            });
        }
        for v in &mut self.parts.vpcs {
            v.main_route_table = main.remove(&v.meta.id);
        }
        for s in &mut self.parts.subnets {
            s.route_table = explicit.remove(&s.meta.id);
        }
        Ok(())
    }

    /// One entry of `Routes`; `None` for the implicit local routes and for IPv6.
    fn route(&mut self, r: &Fields<'_>, table: &str) -> Result<Option<Route>, LoadError> {
        let skip = || Ipv6Skip::Routes(table.to_string());
        let destination = if let Some(c) = r.opt("DestinationCidrBlock") {
            match cidr(c)? {
                Ok(net) => RouteDestination::Cidr(net),
                Err(_) => {
                    self.skip_ipv6(r.span(), skip());
                    return Ok(None);
                }
            }
        } else if let Some(pl) = r.str("DestinationPrefixListId")? {
            RouteDestination::PrefixList(pl)
        } else if r.opt("DestinationIpv6CidrBlock").is_some() {
            self.skip_ipv6(r.span(), skip());
            return Ok(None);
        } else {
            return Err(invalid(
                "route has no DestinationCidrBlock, DestinationPrefixListId or DestinationIpv6CidrBlock".into(),
                r.span(),
                None,
            ));
        };
        let target = if r.str("State")?.as_deref() == Some("blackhole") {
            RouteTarget::Blackhole
        } else if let Some((field, id)) = route::given_target(|key| r.str(key))? {
            let kind = field.kind;
            match route::route_target(kind, id, |id| route::gateway_kind(&mut self.parts, id)) {
                Ok(t) => t,
                Err(id) => self.not_modelled(r.span(), &format!("{} `{id}`", field.api)),
            }
        } else {
            self.not_modelled(r.span(), "a target netpolicy does not know")
        };
        Ok(Some(Route {
            destination,
            target,
            span: Some(r.span()),
        }))
    }

    fn not_modelled(&mut self, span: Span, what: &str) -> RouteTarget {
        self.warn(
            "np::aws::not-modelled",
            route::not_followed(what),
            Some(span),
        );
        RouteTarget::Blackhole
    }

    fn network_acls(&mut self) -> Result<(), LoadError> {
        let mut default = HashMap::new();
        let mut associated = HashMap::new();
        for a in self.items(
            "ec2-describe-network-acls.json",
            "NetworkAcls",
            "a network ACL",
        )? {
            let acl = meta(&a, "NetworkAclId", "Tags")?;
            let vpc = a.req_str("VpcId")?;
            if a.bool("IsDefault")?.unwrap_or(false) {
                default.insert(vpc.clone(), acl.id.clone());
            }
            for s in a.objects("Associations", "a network ACL association")? {
                associated.insert(s.req_str("SubnetId")?, acl.id.clone());
            }
            let mut entries = Vec::new();
            for e in a.objects("Entries", "a network ACL entry")? {
                if let Some(entry) = self.nacl_entry(&e, &acl.id)? {
                    entries.push(entry);
                }
            }
            self.parts.network_acls.push(NetworkAcl {
                meta: acl,
                vpc,
                entries,
            });
        }
        for v in &mut self.parts.vpcs {
            v.default_network_acl = default.remove(&v.meta.id);
        }
        for s in &mut self.parts.subnets {
            s.network_acl = associated.remove(&s.meta.id);
        }
        Ok(())
    }

    fn nacl_entry(&mut self, e: &Fields<'_>, acl: &str) -> Result<Option<NaclEntry>, LoadError> {
        let number_node = e.req("RuleNumber")?;
        // 32767 (IPv4) and 32768 (IPv6) are the `*` entries AWS lists last:
        // the implicit deny every NACL has.
        if (nacl::LAST_RULE_NUMBER + 1..=nacl::LAST_RULE_NUMBER + 2)
            .contains(&integer(number_node)?)
        {
            return Ok(None);
        }
        let rule_number = nacl::rule_number(number_node)?;
        let action = nacl::rule_action(e.req("RuleAction")?)?;
        let egress = e.bool("Egress")?.unwrap_or(false);
        let skip = || Ipv6Skip::nacl_entry(acl, egress, action);
        let Some(c) = e.opt("CidrBlock") else {
            self.skip_ipv6(e.span(), skip());
            return Ok(None);
        };
        let Ok(net) = cidr(c)? else {
            self.skip_ipv6(e.span(), skip());
            return Ok(None);
        };
        let protocol = traffic::protocol(e.req("Protocol")?)?;
        let (fields, from, to) = match protocol {
            Protocol::Icmp => (
                e.object("IcmpTypeCode", "an ICMP type and code")?,
                "Type",
                "Code",
            ),
            _ => (e.object("PortRange", "a port range")?, "From", "To"),
        };
        let ports = match fields {
            Some(f) => traffic::ports(protocol, f.opt(from), f.opt(to), f.span())?,
            None => PortMatch::Any,
        };
        Ok(Some(NaclEntry {
            rule_number,
            egress,
            action,
            traffic: TrafficMatch { protocol, ports },
            cidr: net,
            span: Some(e.span()),
        }))
    }

    fn gateways(&mut self) -> Result<(), LoadError> {
        for g in self.items(
            "ec2-describe-internet-gateways.json",
            "InternetGateways",
            "an internet gateway",
        )? {
            let mut vpc = None;
            for a in g.objects("Attachments", "an attachment")? {
                if a.str("State")?
                    .is_none_or(|s| s == "available" || s == "attached")
                {
                    vpc = a.str("VpcId")?;
                }
            }
            self.parts.internet_gateways.push(InternetGateway {
                meta: meta(&g, "InternetGatewayId", "Tags")?,
                vpc,
            });
        }
        for n in self.items(
            "ec2-describe-nat-gateways.json",
            "NatGateways",
            "a NAT gateway",
        )? {
            if n.str("State")?
                .is_some_and(|s| GONE_NAT.contains(&s.as_str()))
            {
                continue;
            }
            let addresses = n.objects("NatGatewayAddresses", "a NAT gateway address")?;
            let mut primary = None;
            for a in &addresses {
                if primary.is_none() || a.bool("IsPrimary")? == Some(true) {
                    primary = Some(*a);
                }
            }
            let address = |key: &str| primary.and_then(|a| a.opt(key)).map(ip).transpose();
            let public = n.str("ConnectivityType")?.as_deref() != Some("private");
            self.parts.nat_gateways.push(NatGateway {
                meta: meta(&n, "NatGatewayId", "Tags")?,
                subnet: n.req_str("SubnetId")?,
                private_ip: address("PrivateIp")?,
                public,
                public_ip: if public { address("PublicIp")? } else { None },
            });
        }
        let connections = self.vpn_connections()?;
        for g in self.items(
            "ec2-describe-vpn-gateways.json",
            "VpnGateways",
            "a virtual private gateway",
        )? {
            if g.str("State")?
                .is_some_and(|s| s == "deleted" || s == "deleting")
            {
                continue;
            }
            let mut vpc = None;
            for a in g.objects("VpcAttachments", "a VPC attachment")? {
                if a.str("State")?.is_none_or(|s| s == "attached") {
                    vpc = a.str("VpcId")?;
                }
            }
            let meta = meta(&g, "VpnGatewayId", "Tags")?;
            let has_vpn_connection =
                route::vpn_connection(connections.as_ref().map(|c| c.contains(&meta.id)));
            self.parts.vpn_gateways.push(VpnGateway {
                meta,
                vpc,
                has_vpn_connection,
            });
        }
        Ok(())
    }

    /// The gateways that have a live VPN connection, when the dump says; without
    /// the file every gateway is assumed connected (on-premises is then reachable
    /// wherever routes and rules allow, the cautious reading).
    fn vpn_connections(&self) -> Result<Option<HashSet<String>>, LoadError> {
        let file = "ec2-describe-vpn-connections.json";
        if !self.has(file) {
            return Ok(None);
        }
        let mut out = HashSet::new();
        for c in self.items(file, "VpnConnections", "a VPN connection")? {
            let live = c
                .str("State")?
                .is_none_or(|s| s == "available" || s == "pending");
            if let (true, Some(g)) = (live, c.str("VpnGatewayId")?) {
                out.insert(g);
            }
        }
        Ok(Some(out))
    }

    fn peerings(&mut self) -> Result<(), LoadError> {
        for p in self.items(
            "ec2-describe-vpc-peering-connections.json",
            "VpcPeeringConnections",
            "a VPC peering connection",
        )? {
            let status = match p.object("Status", "a peering status")? {
                Some(s) => s.str("Code")?,
                None => None,
            };
            if status.as_deref().is_some_and(|s| GONE_PEERING.contains(&s)) {
                continue;
            }
            let end = |key: &'static str| -> Result<String, LoadError> {
                p.object(key, "a peering end")?
                    .ok_or_else(|| LoadError::MissingField {
                        field: key.to_string(),
                        object: "a VPC peering connection".into(),
                        span: p.span(),
                    })?
                    .req_str("VpcId")
            };
            self.parts.peerings.push(Peering {
                meta: meta(&p, "VpcPeeringConnectionId", "Tags")?,
                requester_vpc: end("RequesterVpcInfo")?,
                accepter_vpc: end("AccepterVpcInfo")?,
                active: status.as_deref() == Some("active"),
            });
        }
        Ok(())
    }

    fn security_groups(&mut self) -> Result<(), LoadError> {
        let separate = self.has("ec2-describe-security-group-rules.json");
        for g in self.items(
            "ec2-describe-security-groups.json",
            "SecurityGroups",
            "a security group",
        )? {
            let mut m = meta(&g, "GroupId", "Tags")?;
            let name = g.str("GroupName")?;
            let vpc = g.req_str("VpcId")?;
            // The group AWS creates with each VPC, which interfaces that
            // name no group are in.
            if name.as_deref() == Some("default") {
                (self.default_groups.declared).insert(vpc.clone(), m.id.clone());
            }
            if m.name.is_none() {
                m.name = name;
            }
            let (mut ingress, mut egress) = (Vec::new(), Vec::new());
            if !separate {
                for p in g.objects("IpPermissions", "a permission")? {
                    ingress.extend(self.permission(&p, &m.id, false)?);
                }
                for p in g.objects("IpPermissionsEgress", "a permission")? {
                    egress.extend(self.permission(&p, &m.id, true)?);
                }
            }
            self.parts.security_groups.push(SecurityGroup {
                meta: m,
                vpc,
                ingress,
                egress,
            });
        }
        if separate {
            self.security_group_rules()?;
        }
        Ok(())
    }

    /// One `IpPermissions` entry: a rule per peer it lists.
    fn permission(
        &mut self,
        p: &Fields<'_>,
        group: &str,
        egress: bool,
    ) -> Result<Vec<SecurityGroupRule>, LoadError> {
        let traffic = traffic(p)?;
        let skip = || Ipv6Skip::rule(group, egress, traffic);
        let mut rules = Vec::new();
        let rule = |peer: RulePeer, description: Option<String>| SecurityGroupRule {
            traffic,
            peer,
            description,
            implicit: false,
            span: Some(p.span()),
        };
        for r in p.objects("IpRanges", "an IP range")? {
            match cidr(r.req("CidrIp")?)? {
                Ok(net) => rules.push(rule(RulePeer::Cidr(net), r.str("Description")?)),
                Err(_) => self.skip_ipv6(r.span(), skip()),
            }
        }
        for r in p.objects("Ipv6Ranges", "an IPv6 range")? {
            self.skip_ipv6(r.span(), skip());
        }
        for r in p.objects("PrefixListIds", "a prefix list id")? {
            let id = r.req_str("PrefixListId")?;
            rules.push(rule(RulePeer::PrefixList(id), r.str("Description")?));
        }
        for r in p.objects("UserIdGroupPairs", "a security group pair")? {
            let id = r.req_str("GroupId")?;
            rules.push(rule(RulePeer::SecurityGroup(id), r.str("Description")?));
        }
        Ok(rules)
    }

    /// `describe-security-group-rules`: one rule per entry, with its own id.
    fn security_group_rules(&mut self) -> Result<(), LoadError> {
        let position: HashMap<String, usize> = self
            .parts
            .security_groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.meta.id.clone(), i))
            .collect();
        for r in self.items(
            "ec2-describe-security-group-rules.json",
            "SecurityGroupRules",
            "a security group rule",
        )? {
            let group_node = r.req("GroupId")?;
            let group = string(group_node)?;
            let Some(&i) = position.get(&group) else {
                return Err(invalid(
                    format!(
                        "rule names security group `{group}`, which is not in ec2-describe-security-groups.json"
                    ),
                    group_node.span,
                    Some("export both files in the same run".into()),
                ));
            };
            let traffic = traffic(&r)?;
            let egress = r.bool("IsEgress")?.unwrap_or(false);
            let skip = || Ipv6Skip::rule(&group, egress, traffic);
            let peer = if let Some(c) = r.opt("CidrIpv4") {
                match cidr(c)? {
                    Ok(net) => RulePeer::Cidr(net),
                    Err(_) => {
                        self.skip_ipv6(r.span(), skip());
                        continue;
                    }
                }
            } else if let Some(pl) = r.str("PrefixListId")? {
                RulePeer::PrefixList(pl)
            } else if let Some(g) = r.object("ReferencedGroupInfo", "a referenced group")? {
                RulePeer::SecurityGroup(g.req_str("GroupId")?)
            } else {
                self.skip_ipv6(r.span(), skip());
                continue;
            };
            let rule = SecurityGroupRule {
                traffic,
                peer,
                description: r.str("Description")?,
                implicit: false,
                span: Some(r.span()),
            };
            let g = &mut self.parts.security_groups[i];
            if egress {
                g.egress.push(rule);
            } else {
                g.ingress.push(rule);
            }
        }
        Ok(())
    }

    fn endpoints(&mut self) -> Result<(), LoadError> {
        for e in self.items(
            "ec2-describe-vpc-endpoints.json",
            "VpcEndpoints",
            "a VPC endpoint",
        )? {
            if e.str("State")?.is_some_and(|s| {
                matches!(
                    s.to_ascii_lowercase().as_str(),
                    "deleted" | "deleting" | "failed" | "rejected"
                )
            }) {
                continue;
            }
            let meta = meta(&e, "VpcEndpointId", "Tags")?;
            let type_ = e.str("VpcEndpointType")?;
            let kind = match records::endpoint::endpoint_type(type_.as_deref()) {
                records::endpoint::EndpointType::Modelled(kind) => kind,
                records::endpoint::EndpointType::Appliance => {
                    let other = type_.unwrap_or_default();
                    self.appliance_endpoints.insert(meta.id.clone());
                    self.warn(
                        "np::aws::not-modelled",
                        format!(
                            "VPC endpoint `{}` of type {other} is not modelled: it is ignored",
                            meta.id
                        ),
                        Some(e.span()),
                    );
                    continue;
                }
            };
            let mut security_groups = Vec::new();
            for g in e.objects("Groups", "a security group")? {
                security_groups.push(g.req_str("GroupId")?);
            }
            self.parts.vpc_endpoints.push(VpcEndpoint {
                meta,
                vpc: e.req_str("VpcId")?,
                service_name: e.str("ServiceName")?.unwrap_or_default(),
                kind,
                subnets: e.strings("SubnetIds")?,
                security_groups,
                route_tables: e.strings("RouteTableIds")?,
                // Filled from the interfaces the dump holds, see `attach_interfaces`.
                enis: Vec::new(),
            });
        }
        Ok(())
    }

    fn prefix_lists(&mut self) -> Result<(), LoadError> {
        for p in self.items(
            "ec2-describe-managed-prefix-lists.json",
            "PrefixLists",
            "a prefix list",
        )? {
            let mut m = meta(&p, "PrefixListId", "Tags")?;
            // An IPv6 list stands, empty: the rules and routes naming it are
            // unknown (docs/semantics.md, "IPv6"), not dangling.
            if p.str("AddressFamily")?.as_deref() == Some("IPv6") {
                self.skip_ipv6(p.span(), Ipv6Skip::Part(m.id.clone()));
                self.parts.prefix_lists.push(PrefixList {
                    meta: m,
                    cidrs: Vec::new(),
                });
                continue;
            }
            if m.name.is_none() {
                m.name = p.str("PrefixListName")?;
            }
            if p.opt("Entries").is_none() {
                self.warn(
                    "np::aws::prefix-list-entries",
                    format!("prefix list `{}` has no `Entries` (from get-managed-prefix-list-entries): it matches nothing", m.id),
                    Some(p.span()),
                );
            }
            let mut cidrs = Vec::new();
            for e in p.objects("Entries", "a prefix list entry")? {
                match cidr(e.req("Cidr")?)? {
                    Ok(net) => cidrs.push(net),
                    Err(_) => self.skip_ipv6(e.span(), Ipv6Skip::Part(m.id.clone())),
                }
            }
            self.parts.prefix_lists.push(PrefixList { meta: m, cidrs });
        }
        Ok(())
    }

    /// Interfaces and instances. An interface belongs to the load balancer,
    /// endpoint or instance the dump says; instances whose interfaces are missing
    /// from `describe-network-interfaces` contribute them from their own listing,
    /// which has the same shape.
    pub(super) fn attach_interfaces(&mut self) -> Result<(), LoadError> {
        let endpoint_of: HashMap<String, String> = self
            .items(
                "ec2-describe-vpc-endpoints.json",
                "VpcEndpoints",
                "a VPC endpoint",
            )?
            .iter()
            .map(|e| -> Result<Vec<(String, String)>, LoadError> {
                let id = e.req_str("VpcEndpointId")?;
                Ok(e.strings("NetworkInterfaceIds")?
                    .into_iter()
                    .map(|n| (n, id.clone()))
                    .collect())
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        let listed = self.par_items(
            (
                "ec2-describe-network-interfaces.json",
                "NetworkInterfaces",
                "a network interface",
            ),
            INTERFACE_FIELDS,
            |n| interface(n, &endpoint_of),
        )?;
        let mut seen = HashSet::new();
        for eni in listed.into_iter().flatten() {
            seen.insert(eni.meta.id.clone());
            self.parts.enis.push(eni);
        }
        self.instances(&mut seen, &endpoint_of)?;
        self.adopt_orphans();
        self.name_instance_interfaces();
        Ok(())
    }

    /// Interfaces seldom carry tags of their own; reports name them after their
    /// instance, as the template loader does.
    fn name_instance_interfaces(&mut self) {
        let names: HashMap<&str, &str> = self
            .parts
            .instances
            .iter()
            .filter_map(|i| Some((i.meta.id.as_str(), i.meta.name.as_deref()?)))
            .collect();
        let mut named = Vec::new();
        for (at, e) in self.parts.enis.iter().enumerate() {
            if let (None, EniOwner::Instance(i)) = (&e.meta.name, &e.owner)
                && let Some(n) = names.get(i.as_str())
            {
                named.push((at, n.to_string()));
            }
        }
        for (at, name) in named {
            self.parts.enis[at].meta.name = Some(name);
        }
    }

    /// Instances, with the interfaces `seen` lacks (built while reading in
    /// parallel, then kept once each in document order).
    fn instances(
        &mut self,
        seen: &mut HashSet<String>,
        endpoint_of: &HashMap<String, String>,
    ) -> Result<(), LoadError> {
        let listed = self.par_items(
            (
                "ec2-describe-instances.json",
                "Reservations",
                "a reservation",
            ),
            INTERFACE_FIELDS,
            |r| reservation(r, seen, endpoint_of),
        )?;
        for (instance, enis) in listed.into_iter().flatten() {
            for eni in enis {
                if seen.insert(eni.meta.id.clone()) {
                    self.parts.enis.push(eni);
                }
            }
            self.parts.instances.push(instance);
        }
        Ok(())
    }

    /// Interfaces attached to instances that `describe-instances` does not list
    /// (the file is absent, or the snapshot raced a launch) still belong to an
    /// instance: one with only an id.
    fn adopt_orphans(&mut self) {
        let known: HashSet<&str> = self
            .parts
            .instances
            .iter()
            .map(|i| i.meta.id.as_str())
            .collect();
        let mut orphans: Vec<Instance> = Vec::new();
        let mut position: HashMap<&str, usize> = HashMap::new();
        for e in &self.parts.enis {
            if let EniOwner::Instance(id) = &e.owner {
                if known.contains(id.as_str()) {
                    continue;
                }
                match position.get(id.as_str()).and_then(|&i| orphans.get_mut(i)) {
                    Some(i) => i.enis.push(e.meta.id.clone()),
                    None => {
                        position.insert(id, orphans.len());
                        orphans.push(Instance {
                            meta: Meta {
                                span: e.meta.span,
                                ..Meta::new(id.clone())
                            },
                            enis: vec![e.meta.id.clone()],
                        });
                    }
                }
            }
        }
        self.parts.instances.extend(orphans);
    }
}

/// The instances of one reservation that still exist, each with the
/// interfaces `seen` lacks.
fn reservation(
    r: &Fields<'_>,
    seen: &HashSet<String>,
    endpoint_of: &HashMap<String, String>,
) -> Result<Vec<(Instance, Vec<Eni>)>, LoadError> {
    let mut out = Vec::new();
    for i in r.objects("Instances", "an instance")? {
        let state = match i.object("State", "an instance state")? {
            Some(s) => s.str("Name")?,
            None => None,
        };
        if state.as_deref() == Some("terminated") {
            continue;
        }
        let meta = meta(&i, "InstanceId", "Tags")?;
        let mut attached = Vec::new();
        let mut enis = Vec::new();
        for n in i.objects("NetworkInterfaces", "a network interface")? {
            let index = match n.object("Attachment", "an attachment")? {
                Some(a) => a.int("DeviceIndex")?.unwrap_or(0),
                None => 0,
            };
            let id = n.req_str("NetworkInterfaceId")?;
            if !seen.contains(&id)
                && let Some(mut eni) = interface(&n, endpoint_of)?
            {
                eni.owner = EniOwner::Instance(meta.id.clone());
                enis.push(eni);
            }
            attached.push((index, id));
        }
        attached.sort();
        let instance = Instance {
            meta,
            enis: attached.into_iter().map(|(_, id)| id).collect(),
        };
        out.push((instance, enis));
    }
    Ok(out)
}

/// One interface, from `describe-network-interfaces` or an instance's
/// `NetworkInterfaces`; `None` for NAT gateway interfaces (the NAT gateway is
/// the model object).
fn interface(
    n: &Fields<'_>,
    endpoint_of: &HashMap<String, String>,
) -> Result<Option<Eni>, LoadError> {
    let kind = n
        .str("InterfaceType")?
        .unwrap_or_else(|| "interface".into());
    if kind == "nat_gateway" {
        return Ok(None);
    }
    let meta = meta(n, "NetworkInterfaceId", "TagSet")?;
    let mut private_ips = Vec::new();
    let mut public_ip = None;
    for a in n.objects("PrivateIpAddresses", "a private address")? {
        let address = ip(a.req("PrivateIpAddress")?)?;
        let primary = a.bool("Primary")?.unwrap_or(false);
        if primary {
            private_ips.insert(0, address);
            if let Some(assoc) = a.object("Association", "an address association")? {
                public_ip = assoc.opt("PublicIp").map(ip).transpose()?;
            }
        } else {
            private_ips.push(address);
        }
    }
    if private_ips.is_empty()
        && let Some(p) = n.opt("PrivateIpAddress")
    {
        private_ips.push(ip(p)?);
    }
    if public_ip.is_none()
        && let Some(assoc) = n.object("Association", "an address association")?
    {
        public_ip = assoc.opt("PublicIp").map(ip).transpose()?;
    }
    let mut security_groups = Vec::new();
    for g in n.objects("Groups", "a security group")? {
        security_groups.push(g.req_str("GroupId")?);
    }
    let description = n.str("Description")?.unwrap_or_default();
    let instance = match n.object("Attachment", "an attachment")? {
        Some(a) => a.str("InstanceId")?,
        None => None,
    };
    let mut sg_enforced = true;
    let owner = if let Some(lb) = description.strip_prefix("ELB ") {
        sg_enforced = !(lb.starts_with("net/") && security_groups.is_empty());
        EniOwner::LoadBalancer(lb.to_string())
    } else if kind == "vpc_endpoint" {
        match endpoint_of.get(&meta.id) {
            Some(e) => EniOwner::VpcEndpoint(e.clone()),
            None => EniOwner::None,
        }
    } else if let Some(i) = instance {
        EniOwner::Instance(i)
    } else {
        EniOwner::None
    };
    Ok(Some(Eni {
        meta,
        subnet: n.req_str("SubnetId")?,
        private_ips,
        public_ip,
        auto_public_ip: false,
        security_groups,
        sg_enforced,
        owner,
        addresses_allocated: false,
    }))
}

/// `IpProtocol`, `FromPort`, `ToPort` of a permission or security-group rule.
fn traffic(f: &Fields<'_>) -> Result<TrafficMatch, LoadError> {
    traffic::traffic(
        f.req("IpProtocol")?,
        f.opt("FromPort"),
        f.opt("ToPort"),
        f.span(),
    )
}
