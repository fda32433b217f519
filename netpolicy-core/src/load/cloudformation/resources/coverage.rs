//! What the loader made of a template's resources, said once: each resource
//! type that shapes traffic but is not modelled, with its count, and one
//! coverage line over the whole template.

use super::super::template::Resource;
use super::{Builder, NOT_MODELLED, services};
use std::collections::BTreeMap;

/// Resource types read into the model.
const MODELLED: &[&str] = &[
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPNGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::VPCPeeringConnection",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::NetworkInterface",
    "AWS::EC2::Instance",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::PrefixList",
    "AWS::EC2::VPCCidrBlock",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::VPNConnection",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::SubnetNetworkAclAssociation",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::NetworkAclEntry",
    "AWS::EC2::EIP",
    "AWS::EC2::EIPAssociation",
    "AWS::EC2::NetworkInterfaceAttachment",
    "AWS::AutoScaling::AutoScalingGroup",
];

/// Whether a resource type shapes traffic but is not modelled.
pub(super) fn not_modelled(kind: &str) -> bool {
    NOT_MODELLED.contains(&kind)
        || kind.starts_with("AWS::NetworkFirewall::")
        || kind == "AWS::CloudFormation::Stack"
}

impl Builder<'_> {
    /// One warning per type that is not modelled (its count and first
    /// resources), then the coverage line.
    pub(super) fn coverage(&mut self, live: &[&Resource<'_>], left_out: usize) {
        let mut modelled = 0;
        let mut ignored = 0;
        let mut missing: BTreeMap<&str, Vec<&Resource<'_>>> = BTreeMap::new();
        for res in live {
            let followed = res.kind == "AWS::CloudFormation::Stack"
                && self.resolvers.iter().any(|r| r.follows(res.id));
            if followed
                || MODELLED.contains(&res.kind)
                || services::SERVICE_TYPES.contains(&res.kind)
                || services::PLACEMENT_TYPES.contains(&res.kind)
            {
                modelled += 1;
            } else if not_modelled(res.kind) {
                missing.entry(res.kind).or_default().push(res);
            } else {
                ignored += 1;
            }
        }
        let mut not_modelled_count = 0;
        for (kind, resources) in &missing {
            not_modelled_count += resources.len();
            let names: Vec<&str> = resources.iter().take(3).map(|r| r.id).collect();
            let more = match resources.len().saturating_sub(names.len()) {
                0 => String::new(),
                n => format!(", {n} more"),
            };
            let what = if *kind == "AWS::CloudFormation::Stack" {
                "nested stacks are not followed (load the nested template beside this one with `--with` to include it)"
            } else {
                "affects the network but is not modelled: results may be incomplete"
            };
            let span = resources.first().map(|r| r.node.span);
            self.warnings.push(crate::diagnostic::Warning::new(
                "np::cfn::not-modelled",
                format!(
                    "{kind} x{} ({}{more}) {what}",
                    resources.len(),
                    names.join(", ")
                ),
                span,
            ));
        }
        let conditions = match left_out {
            0 => String::new(),
            n => format!(", {n} left out by their conditions"),
        };
        self.warnings.push(crate::diagnostic::Warning::new(
            "np::cfn::coverage",
            format!(
                "modelled {modelled} resources, not modelled {not_modelled_count} of {} types, ignored {ignored} non-network{conditions}",
                missing.len()
            ),
            None,
        ));
    }
}
