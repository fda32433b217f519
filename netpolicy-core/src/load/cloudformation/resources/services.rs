//! AWS services that place network interfaces in the subnets a template
//! names: databases, caches, file systems, functions, clusters, scaling
//! groups, directories. Each becomes one representative interface per
//! subnet it may use, with the security groups it names, so that an
//! assertion about `sg:db` means something on templates that use RDS.

use super::super::super::LoadError;
use super::super::super::document::{Node, Value};
use super::super::template::Resource;
use super::{Builder, Props, is_opaque, meta, text};
use crate::load::records::default_vpc;
use crate::model::*;
use std::collections::BTreeMap;

/// Where a service's interfaces go.
struct Placement {
    /// The subnets it may use (empty: the default VPC).
    subnets: Vec<String>,
    /// Its security groups (empty: the VPC's default group).
    groups: Vec<String>,
    /// Whether its interfaces get a public address (`None`: as their
    /// subnet maps one on launch).
    public: Option<bool>,
}

/// Resource types whose interfaces are modelled here.
pub(super) const SERVICE_TYPES: &[&str] = &[
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::Neptune::DBCluster",
    "AWS::DocDB::DBCluster",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::ServerlessCache",
    "AWS::EFS::MountTarget",
    "AWS::Lambda::Function",
    "AWS::Serverless::Function",
    "AWS::EKS::Cluster",
    "AWS::EKS::Nodegroup",
    "AWS::DirectoryService::MicrosoftAD",
    "AWS::DirectoryService::SimpleAD",
    "AWS::DMS::ReplicationInstance",
    "AWS::ECS::Service",
];

/// Resource types that only describe a service's placement (read through
/// the service that names them).
pub(super) const PLACEMENT_TYPES: &[&str] = &[
    "AWS::RDS::DBSubnetGroup",
    "AWS::Neptune::DBSubnetGroup",
    "AWS::DocDB::DBSubnetGroup",
    "AWS::ElastiCache::SubnetGroup",
    "AWS::DMS::ReplicationSubnetGroup",
    "AWS::AutoScaling::LaunchConfiguration",
    "AWS::EC2::LaunchTemplate",
];

impl<'d> Builder<'d> {
    /// The interfaces of a service resource; `false` when `res` is not one.
    pub(super) fn service(
        &mut self,
        res: &Resource<'d>,
        p: &Props<'_, 'd>,
    ) -> Result<bool, LoadError> {
        let placement = match res.kind {
            "AWS::RDS::DBInstance" => {
                if p.get("DBClusterIdentifier")?.is_some() {
                    return Ok(true); // the cluster's interfaces stand for it
                }
                let mut place = self.database(p, "DBSubnetGroupName", "VPCSecurityGroups")?;
                if place.subnets.is_empty()
                    && let Some(source) = p.string("SourceDBInstanceIdentifier")?
                    && let Some(src) = self.resource(&source)
                {
                    let sp = Props {
                        res: src,
                        r: self.r,
                    };
                    let from = self.database(&sp, "DBSubnetGroupName", "VPCSecurityGroups")?;
                    place.subnets = from.subnets;
                    if place.groups.is_empty() {
                        place.groups = from.groups;
                    }
                }
                let default_public = place.subnets.is_empty();
                place.public = Some(p.flag("PubliclyAccessible")?.unwrap_or(default_public));
                place
            }
            "AWS::RDS::DBCluster" | "AWS::Neptune::DBCluster" | "AWS::DocDB::DBCluster" => {
                self.database(p, "DBSubnetGroupName", "VpcSecurityGroupIds")?
            }
            "AWS::ElastiCache::CacheCluster" => {
                self.database(p, "CacheSubnetGroupName", "VpcSecurityGroupIds")?
            }
            "AWS::ElastiCache::ReplicationGroup" => {
                self.database(p, "CacheSubnetGroupName", "SecurityGroupIds")?
            }
            "AWS::ElastiCache::ServerlessCache" => Placement {
                subnets: p.strings("SubnetIds")?,
                groups: p.strings("SecurityGroupIds")?,
                public: Some(false),
            },
            "AWS::EFS::MountTarget" => Placement {
                subnets: vec![p.req_string("SubnetId")?],
                groups: p.strings("SecurityGroups")?,
                public: Some(false),
            },
            "AWS::Lambda::Function" | "AWS::Serverless::Function" => {
                let Some(config) = p.get("VpcConfig")? else {
                    return Ok(true); // outside any VPC: no interface
                };
                Placement {
                    subnets: strings_at(&config, "SubnetIds")?,
                    groups: strings_at(&config, "SecurityGroupIds")?,
                    public: Some(false),
                }
            }
            "AWS::EKS::Cluster" => {
                let config = p.req("ResourcesVpcConfig")?;
                let mut groups = strings_at(&config, "SecurityGroupIds")?;
                groups.push(self.cluster_group(res.id, res.node.span));
                Placement {
                    subnets: strings_at(&config, "SubnetIds")?,
                    groups,
                    public: Some(false),
                }
            }
            "AWS::EKS::Nodegroup" => {
                let cluster = p.req_string("ClusterName")?;
                let group = if self.kind_of(&cluster) == Some("AWS::EKS::Cluster") {
                    self.cluster_group(&cluster, res.node.span)
                } else {
                    let id = format!("{cluster}.ClusterSecurityGroup");
                    self.r.declare_unknown(
                        &id,
                        "the security group of an EKS cluster outside this template",
                    );
                    id
                };
                // A launch template's groups replace the cluster group, as EKS does.
                let (from_template, _) = self.launch_settings(p)?;
                let groups = if from_template.is_empty() {
                    vec![group]
                } else {
                    from_template
                };
                Placement {
                    subnets: p.strings("Subnets")?,
                    groups,
                    public: None,
                }
            }
            "AWS::DirectoryService::MicrosoftAD" | "AWS::DirectoryService::SimpleAD" => {
                let settings = p.req("VpcSettings")?;
                let id = format!("{}.DirectorySecurityGroup", res.id);
                self.r.declare_unknown(
                    &id,
                    "created by Directory Service, with rules this template does not state",
                );
                Placement {
                    subnets: strings_at(&settings, "SubnetIds")?,
                    groups: vec![id],
                    public: Some(false),
                }
            }
            "AWS::DMS::ReplicationInstance" => {
                let mut place =
                    self.database(p, "ReplicationSubnetGroupIdentifier", "VpcSecurityGroupIds")?;
                place.public = Some(p.flag("PubliclyAccessible")?.unwrap_or(true));
                place
            }
            "AWS::ECS::Service" => {
                let Some(config) = p
                    .get("NetworkConfiguration")?
                    .and_then(|n| n.get("AwsvpcConfiguration").cloned())
                else {
                    return Ok(true); // tasks use their host's interfaces
                };
                let public = Some(
                    config
                        .get("AssignPublicIp")
                        .and_then(Node::scalar_text)
                        .as_deref()
                        == Some("ENABLED"),
                );
                Placement {
                    subnets: strings_at(&config, "Subnets")?,
                    groups: strings_at(&config, "SecurityGroups")?,
                    public,
                }
            }
            _ => return Ok(false),
        };
        self.service_interfaces(res, placement);
        Ok(true)
    }

    /// A database-like service: subnets from the subnet group it names,
    /// groups from `groups_key`.
    fn database(
        &mut self,
        p: &Props<'_, 'd>,
        group_key: &str,
        groups_key: &str,
    ) -> Result<Placement, LoadError> {
        let groups = p.strings(groups_key)?;
        let subnets = match p.get(group_key)? {
            None => Vec::new(),
            Some(name) => self.subnet_group(&name)?,
        };
        Ok(Placement {
            subnets,
            groups,
            public: Some(false),
        })
    }

    /// The subnets of a subnet group: the template's resource, else a group
    /// from outside the template, which stands as one external subnet.
    fn subnet_group(&mut self, name: &Node) -> Result<Vec<String>, LoadError> {
        let id = text(name)?;
        if let Some(group) = self
            .template
            .resource(&id)
            .filter(|r| r.kind.ends_with("SubnetGroup"))
        {
            let gp = Props {
                res: group,
                r: self.r,
            };
            return gp.strings("SubnetIds");
        }
        if !is_opaque(name) {
            self.r
                .declare_unknown(&id, "a subnet group named outside this template");
        }
        Ok(vec![id])
    }

    /// The security group EKS creates for a cluster: members reach each
    /// other, everything goes out.
    fn cluster_group(&mut self, cluster: &str, span: crate::span::Span) -> String {
        let id = format!("{cluster}.ClusterSecurityGroup");
        if !self.cluster_groups.contains_key(&id) {
            self.cluster_groups
                .insert(id.clone(), (cluster.to_string(), span));
        }
        id
    }

    /// One interface per subnet of `placement` (the default VPC's first
    /// subnet when it names none).
    fn service_interfaces(&mut self, res: &Resource<'d>, placement: Placement) {
        let mut subnets = placement.subnets;
        if subnets.is_empty() {
            let zone = default_vpc::first_zone(&self.r.region());
            self.in_default_vpc(res.id);
            self.default_zones.insert(zone.clone());
            subnets.push(default_vpc::subnet(&zone));
        }
        subnets.dedup();
        let base = meta(res, self.r);
        let single = subnets.len() == 1;
        for subnet in subnets {
            let id = if single {
                res.id.to_string()
            } else {
                format!("{}@{subnet}", res.id)
            };
            if placement.public.is_none() {
                self.public_by_subnet.insert(id.clone());
            }
            self.parts.enis.push(Eni {
                meta: Meta {
                    id,
                    aliases: if single {
                        Vec::new()
                    } else {
                        vec![res.id.to_string()]
                    },
                    ..base.clone()
                },
                subnet,
                private_ips: Vec::new(),
                public_ip: None,
                auto_public_ip: placement.public.unwrap_or(false),
                security_groups: placement.groups.clone(),
                sg_enforced: true,
                owner: EniOwner::None,
                addresses_allocated: false,
            });
        }
    }

    /// The security groups EKS creates for the template's clusters.
    pub(super) fn add_cluster_groups(&mut self) {
        let groups = std::mem::take(&mut self.cluster_groups);
        let subnet_vpc: BTreeMap<&str, &str> = self
            .parts
            .subnets
            .iter()
            .map(|s| (s.meta.id.as_str(), s.vpc.as_str()))
            .collect();
        let mut made = Vec::new();
        for (id, (cluster, span)) in groups {
            let vpc = self
                .parts
                .enis
                .iter()
                .find(|e| e.security_groups.contains(&id))
                .and_then(|e| subnet_vpc.get(e.subnet.as_str()))
                .map(|v| v.to_string());
            let Some(vpc) = vpc else { continue };
            let rule = |peer| SecurityGroupRule {
                traffic: TrafficMatch::ALL,
                peer,
                description: Some("created by EKS".into()),
                implicit: true,
                span: Some(span),
            };
            made.push(SecurityGroup {
                meta: Meta {
                    name: Some(format!("cluster security group of {cluster}")),
                    span: Some(span),
                    ..Meta::new(id.clone())
                },
                vpc,
                ingress: vec![rule(RulePeer::SecurityGroup(id))],
                egress: vec![rule(RulePeer::Cidr(ipnet::Ipv4Net::default()))],
            });
        }
        self.explicit_egress
            .extend(made.iter().map(|g| g.meta.id.clone()));
        self.parts.security_groups.extend(made);
    }

    /// An Auto Scaling group: one representative instance per subnet, with
    /// its launch configuration's or template's groups, registered with the
    /// target groups the scaling group names.
    pub(super) fn scaling_group(
        &mut self,
        res: &Resource<'d>,
        p: &Props<'_, 'd>,
    ) -> Result<(), LoadError> {
        let mut subnets = p.strings("VPCZoneIdentifier")?;
        if subnets.is_empty() {
            let zones = p.strings("AvailabilityZones")?;
            let zones = if zones.is_empty() {
                vec![default_vpc::first_zone(&self.r.region())]
            } else {
                zones
            };
            self.in_default_vpc(res.id);
            for zone in zones {
                self.default_zones.insert(zone.clone());
                subnets.push(default_vpc::subnet(&zone));
            }
        }
        let (groups, public) = self.launch_settings(p)?;
        let base = meta(res, self.r);
        let mut instances = Vec::new();
        for subnet in subnets {
            let instance = format!("{}@{subnet}", res.id);
            let eni = crate::load::records::primary_interface(&instance);
            if public.is_none() {
                self.public_by_subnet.insert(eni.clone());
            }
            self.parts.enis.push(Eni {
                meta: Meta {
                    id: eni.clone(),
                    aliases: Vec::new(),
                    ..base.clone()
                },
                subnet,
                private_ips: Vec::new(),
                public_ip: None,
                auto_public_ip: public.unwrap_or(false),
                security_groups: groups.clone(),
                sg_enforced: true,
                owner: EniOwner::Instance(instance.clone()),
                addresses_allocated: false,
            });
            self.parts.instances.push(Instance {
                meta: Meta {
                    id: instance.clone(),
                    aliases: vec![res.id.to_string()],
                    ..base.clone()
                },
                enis: vec![eni],
            });
            instances.push(instance);
        }
        for tg in p.strings("TargetGroupARNs")? {
            let r = self.r;
            let Some(group) = self.parts.target_group_mut(&tg) else {
                return Err(super::dangling(r, res, "target group", &tg));
            };
            group.targets.extend(instances.iter().map(|i| Target {
                target: TargetRef::Instance(i.clone()),
                port: None,
            }));
        }
        Ok(())
    }

    /// The groups and public-address choice of a scaling group's launch
    /// configuration or launch template (`None`: the subnet decides).
    fn launch_settings(
        &mut self,
        p: &Props<'_, 'd>,
    ) -> Result<(Vec<String>, Option<bool>), LoadError> {
        if let Some(name) = p.string("LaunchConfigurationName")? {
            let Some(config) = self.resource(&name) else {
                return Ok((Vec::new(), None));
            };
            let cp = Props {
                res: config,
                r: self.r,
            };
            let mut groups = Vec::new();
            for g in cp.strings("SecurityGroups")? {
                groups.push(self.group_by_name(&g));
            }
            return Ok((groups, cp.flag("AssociatePublicIpAddress")?));
        }
        let spec = match p.get("LaunchTemplate")? {
            Some(s) => Some(s),
            None => p.get("MixedInstancesPolicy")?.and_then(|m| {
                m.get("LaunchTemplate")
                    .and_then(|l| l.get("LaunchTemplateSpecification"))
                    .cloned()
            }),
        };
        let Some(spec) = spec else {
            return Ok((Vec::new(), None));
        };
        let id = ["LaunchTemplateId", "LaunchTemplateName", "Id", "Name"]
            .iter()
            .find_map(|k| spec.get(k).and_then(Node::scalar_text));
        let Some(template) = id.and_then(|id| self.resource(&id)) else {
            return Ok((Vec::new(), None));
        };
        let tp = Props {
            res: template,
            r: self.r,
        };
        let Some(data) = tp.get("LaunchTemplateData")? else {
            return Ok((Vec::new(), None));
        };
        let mut groups = strings_at(&data, "SecurityGroupIds")?;
        for g in strings_at(&data, "SecurityGroups")? {
            groups.push(self.group_by_name(&g));
        }
        let mut public = None;
        if let Some(Node {
            value: Value::Seq(nics),
            ..
        }) = data.get("NetworkInterfaces")
            && let Some(first) = nics.first()
        {
            groups.extend(strings_at(first, "Groups")?);
            let associate = first
                .get("AssociatePublicIpAddress")
                .map(super::super::super::read::boolean)
                .transpose()?;
            public = crate::load::records::public_address::at_launch(associate, 0, nics.len());
        }
        Ok((groups, public))
    }
}

/// A list of strings under `key` of an evaluated mapping (absent: empty).
fn strings_at(n: &Node, key: &str) -> Result<Vec<String>, LoadError> {
    match n.get(key) {
        None => Ok(Vec::new()),
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items.iter().map(text).collect(),
        Some(Node {
            value: Value::Null, ..
        }) => Ok(Vec::new()),
        Some(other) => Ok(vec![text(other)?]),
    }
}
