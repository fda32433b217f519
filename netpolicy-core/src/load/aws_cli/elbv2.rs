//! The `aws elbv2 describe-*` outputs: load balancers, listeners, target groups.
//!
//! A load balancer's id is its ARN after `loadbalancer/` (`app/web/50dc6c49...`),
//! which is also how its node interfaces describe themselves (`ELB app/web/...`);
//! a target group's is its ARN after `targetgroup/`.

use super::{Dump, tags};
use crate::load::LoadError;
use crate::load::read::{Fields, invalid};
use crate::load::records;
use crate::load::records::load_balancer::{
    PRESERVE_CLIENT_IP, internet_facing, listener_protocols, port, port_number,
    preserve_client_ip_value, preserves_client_ip, target_group_transport, unknown_attribute_key,
};
use crate::model::*;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;

impl<'a> Dump<'a> {
    pub(super) fn read_elbv2(&mut self) -> Result<(), LoadError> {
        let tags = self.elb_tags()?;
        self.load_balancers(&tags)?;
        self.target_groups(&tags)?;
        self.listeners()?;
        Ok(())
    }

    /// Tags by resource ARN (`describe-load-balancers` carries none itself).
    fn elb_tags(&self) -> Result<HashMap<String, BTreeMap<String, String>>, LoadError> {
        let mut out = HashMap::new();
        for d in self.items(
            "elbv2-describe-tags.json",
            "TagDescriptions",
            "a tag description",
        )? {
            out.insert(d.req_str("ResourceArn")?, tags(&d, "Tags")?);
        }
        Ok(out)
    }

    fn load_balancers(
        &mut self,
        tags: &HashMap<String, BTreeMap<String, String>>,
    ) -> Result<(), LoadError> {
        for l in self.items(
            "elbv2-describe-load-balancers.json",
            "LoadBalancers",
            "a load balancer",
        )? {
            let arn_node = l.req("LoadBalancerArn")?;
            let meta = elb_meta(&l, arn_node, "loadbalancer/", "LoadBalancerName", tags)?;
            let type_ = l.str("Type")?;
            let kind = match records::load_balancer::kind(type_.as_deref()) {
                Some(kind) => kind,
                None => {
                    let other = type_.unwrap_or_default();
                    self.warn(
                        "np::aws::not-modelled",
                        format!(
                            "load balancer `{}` of type {other} is not modelled: it is ignored",
                            meta.id
                        ),
                        Some(l.span()),
                    );
                    continue;
                }
            };
            let mut subnets = Vec::new();
            for z in l.objects("AvailabilityZones", "an availability zone")? {
                if let Some(s) = z.str("SubnetId")? {
                    subnets.push(s);
                }
            }
            self.parts.load_balancers.push(LoadBalancer {
                meta,
                kind,
                internet_facing: internet_facing(l.str("Scheme")?.as_deref()),
                subnets,
                security_groups: l.strings("SecurityGroups")?,
                listeners: Vec::new(),
                nodes: Vec::new(),
            });
        }
        Ok(())
    }

    fn target_groups(
        &mut self,
        tags: &HashMap<String, BTreeMap<String, String>>,
    ) -> Result<(), LoadError> {
        let mut targets = self.target_health()?;
        let attributes = self.preserve_client_ip_attributes()?;
        for t in self.items(
            "elbv2-describe-target-groups.json",
            "TargetGroups",
            "a target group",
        )? {
            let arn_node = t.req("TargetGroupArn")?;
            let meta = elb_meta(&t, arn_node, "targetgroup/", "TargetGroupName", tags)?;
            let arn = t.req_str("TargetGroupArn")?;
            let target_type = t.str("TargetType")?;
            let protocol_text = t.str("Protocol")?;
            let protocol = target_group_transport(target_type.as_deref(), protocol_text.as_deref());
            let (Some(protocol), Some(port)) = (protocol, t.int("Port")?) else {
                let target_type = target_type.as_deref().unwrap_or("instance");
                self.warn(
                    "np::aws::not-modelled",
                    format!("target group `{}` ({target_type} targets) is not modelled: traffic to it is not followed", meta.id),
                    Some(t.span()),
                );
                continue;
            };
            let port = port_number(port, t.span())?;
            self.parts.target_groups.push(TargetGroup {
                meta,
                protocol,
                port,
                targets: targets.remove(&arn).unwrap_or_default(),
                preserve_client_ip: preserves_client_ip(
                    target_type.as_deref(),
                    protocol_text.as_deref(),
                    attributes.get(&arn).copied().flatten(),
                ),
            });
        }
        Ok(())
    }

    /// The answers of a call made once per target group (`file`): one
    /// object or a list of them, each carrying the `TargetGroupArn` it was
    /// asked for, as `netpolicy collect` writes them. `None` when the file
    /// is absent, with a warning (`code`) saying what follows (`without`)
    /// if the dump has target groups.
    fn per_target_group(
        &mut self,
        file: &str,
        code: &'static str,
        without: &str,
    ) -> Option<Vec<&'a crate::load::document::Node>> {
        let files = self.files;
        let Some(doc) = files.trees.get(file) else {
            if self.has("elbv2-describe-target-groups.json") {
                self.warn(code, format!("no {file}: {without}"), None);
            }
            return None;
        };
        Some(match &doc.value {
            crate::load::document::Value::Seq(items) => items.iter().collect(),
            _ => vec![doc],
        })
    }

    /// `preserve_client_ip.enabled` by target-group ARN, from
    /// `describe-target-group-attributes` answers, each with the
    /// `TargetGroupArn` it was asked for (as for target health). Without the
    /// file, AWS's defaults apply (with a warning).
    fn preserve_client_ip_attributes(
        &mut self,
    ) -> Result<HashMap<String, Option<bool>>, LoadError> {
        let mut out = HashMap::new();
        let Some(answers) = self.per_target_group(
            "elbv2-describe-target-group-attributes.json",
            "np::aws::no-target-group-attributes",
            "network load balancers' client IP preservation takes AWS's defaults",
        ) else {
            return Ok(out);
        };
        let mut warnings = Vec::new();
        for a in answers {
            let a = Fields::new(a, "a target group attributes answer")?;
            let arn = a.req_str("TargetGroupArn")?;
            let mut value = None;
            for attribute in a.objects("Attributes", "a target group attribute")? {
                let key = attribute.str("Key")?.unwrap_or_default();
                if key != PRESERVE_CLIENT_IP {
                    if let Some(why) = unknown_attribute_key(&key) {
                        warnings.push((format!("target group `{arn}`: {why}"), attribute.span()));
                    }
                    continue;
                }
                let Some(v) = attribute.opt("Value") else {
                    continue;
                };
                match preserve_client_ip_value(v) {
                    Ok(v) => value = v.or(value),
                    Err(why) => warnings.push((format!("target group `{arn}`: {why}"), v.span)),
                }
            }
            out.insert(arn, value);
        }
        for (message, span) in warnings {
            self.warn("np::aws::target-group-attribute", message, Some(span));
        }
        Ok(out)
    }

    /// Registered targets by target-group ARN. `describe-target-health` answers
    /// for one group and does not repeat its ARN, so each answer in the file
    /// carries the `TargetGroupArn` it was asked for (as `netpolicy collect`
    /// writes it): one such object, or a list of them.
    fn target_health(&mut self) -> Result<HashMap<String, Vec<Target>>, LoadError> {
        let mut out: HashMap<String, Vec<Target>> = HashMap::new();
        let Some(answers) = self.per_target_group(
            "elbv2-describe-target-health.json",
            "np::aws::no-target-health",
            "target groups have no registered targets",
        ) else {
            return Ok(out);
        };
        for a in answers {
            let a = Fields::new(a, "a target health answer")?;
            let arn = a.req_str("TargetGroupArn")?;
            for d in a.objects("TargetHealthDescriptions", "a target health description")? {
                let Some(t) = d.object("Target", "a target")? else {
                    continue;
                };
                let id_node = t.req("Id")?;
                let id = crate::load::read::string(id_node)?;
                // The answer does not say the group's target type: the id does
                // (a Lambda function's ARN is neither).
                let target_type = if id.starts_with("i-") {
                    "instance"
                } else if id.parse::<std::net::Ipv4Addr>().is_ok() {
                    "ip"
                } else {
                    continue;
                };
                let target = records::load_balancer::target(Some(target_type), id_node)?;
                let port = t
                    .int("Port")?
                    .map(|p| port_number(p, t.span()))
                    .transpose()?;
                out.entry(arn.clone())
                    .or_default()
                    .push(Target { target, port });
            }
        }
        Ok(out)
    }

    fn listeners(&mut self) -> Result<(), LoadError> {
        let rules = self.rule_targets()?;
        for l in self.items("elbv2-describe-listeners.json", "Listeners", "a listener")? {
            let lb_node = l.req("LoadBalancerArn")?;
            let lb_id = arn_id(lb_node, "loadbalancer/")?;
            let listener_arn = l.str("ListenerArn")?.unwrap_or_default();
            let mut target_groups = forward_targets(&l.objects("DefaultActions", "an action")?)?;
            for tg in rules.get(&listener_arn).into_iter().flatten() {
                if !target_groups.contains(tg) {
                    target_groups.push(tg.clone());
                }
            }
            let port_node = l.req("Port")?;
            let port = port(port_node)?;
            let protocols = listener_protocols(l.str("Protocol")?.as_deref());
            let Some(lb) = self.parts.load_balancer_mut(&lb_id) else {
                continue;
            };
            for protocol in protocols {
                lb.listeners.push(Listener {
                    protocol,
                    port,
                    target_groups: target_groups.clone(),
                    span: Some(l.span()),
                });
            }
        }
        Ok(())
    }

    /// Forward targets of listener rules, by listener ARN (a rule's ARN is its
    /// listener's with `listener-rule/` for `listener/` and one more segment).
    fn rule_targets(&self) -> Result<HashMap<String, Vec<String>>, LoadError> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for r in self.items("elbv2-describe-rules.json", "Rules", "a listener rule")? {
            let arn = r.req_str("RuleArn")?;
            let Some((listener, _)) = arn
                .replacen(":listener-rule/", ":listener/", 1)
                .rsplit_once('/')
                .map(|(l, rule)| (l.to_string(), rule.to_string()))
            else {
                continue;
            };
            out.entry(listener)
                .or_default()
                .extend(forward_targets(&r.objects("Actions", "an action")?)?);
        }
        Ok(out)
    }

    /// Gives each load balancer its node interfaces; interfaces of load balancers
    /// the dump does not describe become standalone, with a warning.
    pub(super) fn link_load_balancer_nodes(&mut self) {
        let mut unknown = Vec::new();
        let owners: Vec<(usize, String, EniOwner)> = (self.parts.enis.iter().enumerate())
            .filter(|(_, e)| {
                matches!(
                    e.owner,
                    EniOwner::LoadBalancer(_) | EniOwner::VpcEndpoint(_)
                )
            })
            .map(|(i, e)| (i, e.meta.id.clone(), e.owner.clone()))
            .collect();
        for (i, eni, owner) in owners {
            match owner {
                EniOwner::LoadBalancer(id) => match self.parts.load_balancer_mut(&id) {
                    Some(lb) => lb.nodes.push(eni),
                    None => {
                        let span = self.parts.enis.get_mut(i).and_then(|e| {
                            e.owner = EniOwner::None;
                            e.meta.span
                        });
                        unknown.push((eni, id, span));
                    }
                },
                EniOwner::VpcEndpoint(id) => {
                    if let Some(ep) = self.parts.vpc_endpoint_mut(&id) {
                        ep.enis.push(eni);
                    }
                }
                _ => {}
            }
        }
        for (eni, lb, span) in unknown {
            self.warn(
                "np::aws::not-in-dump",
                format!("interface `{eni}` belongs to load balancer `{lb}`, which is not in elbv2-describe-load-balancers.json: it is treated as a standalone interface"),
                span,
            );
        }
    }
}

/// Id (from the ARN), name, tags and CloudFormation logical id.
fn elb_meta(
    f: &Fields<'_>,
    arn_node: &crate::load::document::Node,
    kind: &str,
    name_key: &str,
    tags: &HashMap<String, BTreeMap<String, String>>,
) -> Result<Meta, LoadError> {
    let arn = crate::load::read::string(arn_node)?;
    let mut meta = Meta::new(arn_id(arn_node, kind)?).at(f.span());
    meta.name = f.str(name_key)?;
    if let Some(t) = tags.get(&arn) {
        meta.tags = t.clone();
        if let Some(n) = t.get("Name") {
            meta.name = Some(n.clone());
        }
        meta.aliases
            .extend(t.get("aws:cloudformation:logical-id").cloned());
    }
    Ok(meta)
}

/// The part of an ARN after `kind` (`loadbalancer/`, `targetgroup/`).
fn arn_id(node: &crate::load::document::Node, kind: &str) -> Result<String, LoadError> {
    let arn = crate::load::read::string(node)?;
    match arn.split_once(&format!(":{kind}")) {
        Some((_, id)) if !id.is_empty() => Ok(id.to_string()),
        _ => Err(invalid(
            format!("`{arn}` is not a {} ARN", kind.trim_end_matches('/')),
            node.span,
            Some(format!(
                "expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:{kind}..."
            )),
        )),
    }
}

/// Target-group ids a list of actions forwards to.
fn forward_targets(actions: &[Fields<'_>]) -> Result<Vec<String>, LoadError> {
    let mut out = Vec::new();
    for a in actions {
        if a.str("Type")?.as_deref() != Some("forward") {
            continue;
        }
        let mut arns = Vec::new();
        if let Some(n) = a.opt("TargetGroupArn") {
            arns.push(n);
        }
        if let Some(c) = a.object("ForwardConfig", "a forward configuration")? {
            for g in c.objects("TargetGroups", "a weighted target group")? {
                arns.push(g.req("TargetGroupArn")?);
            }
        }
        for n in arns {
            let id = arn_id(n, "targetgroup/")?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    Ok(out)
}
