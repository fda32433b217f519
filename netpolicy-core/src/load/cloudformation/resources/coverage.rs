//! What the loader made of a template's resources, said once: each resource
//! type that shapes traffic but is not modelled, with its count, and one
//! coverage line over the whole template.

use super::super::template::Resource;
use super::{Builder, NOT_MODELLED, services};
use crate::load::records::coverage::{Class, Coverage, INCOMPLETE};

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
        let mut coverage = Coverage::default();
        for res in live {
            let followed = res.kind == "AWS::CloudFormation::Stack"
                && self.resolvers.iter().any(|r| r.follows(res.id));
            let class = if followed
                || MODELLED.contains(&res.kind)
                || services::SERVICE_TYPES.contains(&res.kind)
                || services::PLACEMENT_TYPES.contains(&res.kind)
            {
                Class::Modelled
            } else if res.kind == "AWS::CloudFormation::Stack" {
                Class::NotModelled {
                    why: "nested stacks are not followed (load the nested template beside this one with `--with` to include it)",
                }
            } else if not_modelled(res.kind) {
                Class::NotModelled { why: INCOMPLETE }
            } else {
                Class::Ignored
            };
            coverage.count(res.kind, class, res.id, Some(res.node.span));
        }
        let conditions = match left_out {
            0 => String::new(),
            n => format!(", {n} left out by their conditions"),
        };
        self.warnings.extend(coverage.warnings(
            "np::cfn::not-modelled",
            "np::cfn::coverage",
            &conditions,
        ));
    }
}
