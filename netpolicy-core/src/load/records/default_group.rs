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

/// Puts every interface that names no group (and whose groups apply), and
/// every application load balancer that names none, into its VPC's default
/// group, `default_of(vpc)`; `named` are VPCs whose
/// default group the input names without an interface needing it. Each
/// default group `parts` does not hold (the input does not manage it) is
/// added with AWS's rules.
pub(crate) fn join_default_groups(
    parts: &mut ModelParts,
    default_of: &dyn Fn(&str) -> String,
    named: impl IntoIterator<Item = String>,
) {
    let vpc_of_subnet: HashMap<String, String> = (parts.subnets.iter())
        .map(|s| (s.meta.id.clone(), s.vpc.clone()))
        .collect();
    let mut defaults: Vec<(String, String)> = Vec::new();
    let mut note = |id: String, vpc: &str| {
        if !defaults.iter().any(|(d, _)| *d == id) {
            defaults.push((id, vpc.to_string()));
        }
    };
    for eni in (parts.enis.iter_mut()).filter(|e| e.security_groups.is_empty() && e.sg_enforced) {
        let Some(vpc) = vpc_of_subnet.get(&eni.subnet) else {
            continue;
        };
        let id = default_of(vpc);
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
        let id = default_of(vpc);
        lb.security_groups.push(id.clone());
        note(id, vpc);
    }
    for vpc in named {
        note(default_of(&vpc), &vpc);
    }
    let held: HashSet<&str> = (parts.security_groups.iter())
        .map(|g| g.meta.id.as_str())
        .collect();
    let missing: Vec<(String, String)> = defaults
        .into_iter()
        .filter(|(id, _)| !held.contains(id.as_str()))
        .collect();
    for (id, vpc) in missing {
        add_default_group(parts, id, vpc);
    }
}

/// Adds the default group `id` of `vpc` with AWS's rules: all traffic from
/// its own members, all traffic out.
pub(crate) fn add_default_group(parts: &mut ModelParts, id: String, vpc: String) {
    {
        let rule = |peer| SecurityGroupRule {
            traffic: TrafficMatch::ALL,
            peer,
            description: None,
            implicit: true,
            span: None,
        };
        let span = (parts.vpcs.iter())
            .find(|v| v.meta.id == vpc)
            .and_then(|v| v.meta.span);
        parts.security_groups.push(SecurityGroup {
            meta: Meta {
                name: Some(format!("default security group of {vpc}")),
                span,
                ..Meta::new(id.clone())
            },
            vpc,
            ingress: vec![rule(RulePeer::SecurityGroup(id))],
            egress: vec![rule(RulePeer::Cidr(Ipv4Net::default()))],
        });
    }
}
