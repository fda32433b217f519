//! A VPC's default security group. AWS puts an interface that names no
//! group into its VPC's default group, which, unless someone changed it,
//! lets its members reach each other and everything go out. Leaving such an
//! interface without groups would have it accept nothing: a `no a -> b` could
//! hold between two instances that in AWS talk freely.

use crate::model::{
    LoadBalancerKind, Meta, ModelParts, RulePeer, SecurityGroup, SecurityGroupRule, TrafficMatch,
};
use foldhash::{HashMap, HashSet};
use ipnet::Ipv4Net;

/// How [`id`] ends.
const ID_SUFFIX: &str = "/default-security-group";

/// The id of `vpc`'s default group where the input does not give one.
pub(crate) fn id(vpc: &str) -> String {
    format!("{vpc}{ID_SUFFIX}")
}

/// The VPC whose default group `id` is, when it is one ([`id`]'s inverse).
pub(crate) fn vpc_of(id: &str) -> Option<&str> {
    id.strip_suffix(ID_SUFFIX)
}

/// AWS's allow-all egress rule, which EC2 gives a group created without
/// egress rules, and every default group.
pub(crate) fn allow_all_egress(span: Option<crate::span::Span>) -> SecurityGroupRule {
    SecurityGroupRule {
        traffic: TrafficMatch::ALL,
        peer: RulePeer::Cidr(Ipv4Net::default()),
        description: None,
        implicit: true,
        span,
    }
}

/// The VPCs' default groups: the ones the input declares (a dump's
/// `default` group, a plan's `aws_default_security_group`, a native VPC's
/// `default_security_group`), else AWS's own, with its rules, under [`id`].
#[derive(Debug, Default)]
pub(crate) struct DefaultGroups {
    /// The declared default group of each VPC that has one.
    pub(crate) declared: HashMap<String, String>,
}

impl DefaultGroups {
    /// The default group of `vpc`.
    pub(crate) fn of(&self, vpc: &str) -> String {
        (self.declared.get(vpc).cloned()).unwrap_or_else(|| id(vpc))
    }

    /// Adds the declarations of another document of the same estate.
    pub(crate) fn append(&mut self, other: DefaultGroups) {
        self.declared.extend(other.declared);
    }

    /// Adds, with AWS's rules, each default group the input names (an
    /// interface's group, a rule's peer, the group of `rules_for`: rules
    /// written for groups the input does not hold) without holding it, so
    /// that it stands before references to objects outside the input are
    /// placed.
    pub(crate) fn stand_named<'a>(
        &self,
        parts: &mut ModelParts,
        rules_for: impl Iterator<Item = &'a String>,
    ) {
        let by_id: HashMap<String, String> = (parts.vpcs.iter())
            .map(|v| (self.of(&v.meta.id), v.meta.id.clone()))
            .collect();
        let mut named: Vec<(String, String)> = Vec::new();
        let mut note = |group: &String| {
            if let Some(vpc) = by_id.get(group)
                && !named.iter().any(|(g, _)| g == group)
            {
                named.push((group.clone(), vpc.clone()));
            }
        };
        (parts.enis.iter()).for_each(|e| e.security_groups.iter().for_each(&mut note));
        (parts.load_balancers.iter()).for_each(|l| l.security_groups.iter().for_each(&mut note));
        (parts.vpc_endpoints.iter()).for_each(|e| e.security_groups.iter().for_each(&mut note));
        for g in &parts.security_groups {
            for r in g.ingress.iter().chain(&g.egress) {
                if let RulePeer::SecurityGroup(peer) = &r.peer {
                    note(peer);
                }
            }
        }
        rules_for.for_each(note);
        add_missing(parts, named);
    }

    /// Puts every interface that names no group (and whose groups apply),
    /// and every application load balancer that names none, into its VPC's
    /// default group, adding the groups the input does not hold.
    pub(crate) fn join(&self, parts: &mut ModelParts) {
        let vpc_of_subnet: HashMap<String, String> = (parts.subnets.iter())
            .map(|s| (s.meta.id.clone(), s.vpc.clone()))
            .collect();
        let mut defaults: Vec<(String, String)> = Vec::new();
        let mut note = |id: String, vpc: &str| {
            if !defaults.iter().any(|(d, _)| *d == id) {
                defaults.push((id, vpc.to_string()));
            }
        };
        for eni in (parts.enis.iter_mut()).filter(|e| e.security_groups.is_empty() && e.sg_enforced)
        {
            let Some(vpc) = vpc_of_subnet.get(&eni.subnet) else {
                continue;
            };
            let id = self.of(vpc);
            eni.security_groups.push(id.clone());
            note(id, vpc);
        }
        // An application load balancer created without groups is in the
        // default group too (a network one without groups enforces none).
        for lb in (parts.load_balancers.iter_mut())
            .filter(|l| l.security_groups.is_empty() && l.kind == LoadBalancerKind::Application)
        {
            let Some(vpc) = lb.subnets.iter().find_map(|s| vpc_of_subnet.get(s)) else {
                continue;
            };
            let id = self.of(vpc);
            lb.security_groups.push(id.clone());
            note(id, vpc);
        }
        add_missing(parts, defaults);
    }
}

/// Adds each `(group, vpc)` default group `parts` does not hold.
fn add_missing(parts: &mut ModelParts, groups: Vec<(String, String)>) {
    let held: HashSet<&str> = (parts.security_groups.iter())
        .map(|g| g.meta.id.as_str())
        .collect();
    let missing: Vec<(String, String)> = groups
        .into_iter()
        .filter(|(id, _)| !held.contains(id.as_str()))
        .collect();
    for (id, vpc) in missing {
        add_default_group(parts, id, vpc);
    }
}

/// Adds the default group `id` of `vpc` with AWS's rules: all traffic from
/// its own members, all traffic out.
fn add_default_group(parts: &mut ModelParts, id: String, vpc: String) {
    let span = (parts.vpcs.iter())
        .find(|v| v.meta.id == vpc)
        .and_then(|v| v.meta.span);
    let from_members = SecurityGroupRule {
        peer: RulePeer::SecurityGroup(id.clone()),
        ..allow_all_egress(None)
    };
    parts.security_groups.push(SecurityGroup {
        meta: Meta {
            name: Some(format!("default security group of {vpc}")),
            span,
            ..Meta::new(id)
        },
        vpc,
        ingress: vec![from_members],
        egress: vec![allow_all_egress(None)],
    });
}
