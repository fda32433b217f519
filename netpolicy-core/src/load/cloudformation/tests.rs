//! Intrinsic functions and resource mapping on small YAML templates.

use super::*;
use crate::model::*;

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: prod
  Cidrs:
    Type: CommaDelimitedList
    Default: "10.0.0.0/16,10.9.0.0/16"
Mappings:
  Sizes:
    prod: {Bits: "8"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition NotProd, !Equals [a, a]]]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Select [0, !Ref Cidrs]
      Tags:
        - {Key: Name, Value: !Sub "${Env}-vpc"}
  Extra:
    Type: AWS::EC2::VPCCidrBlock
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: !Select [1, !Ref Cidrs]
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: !Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 4, !FindInMap [Sizes, !Ref Env, Bits]]]
      AvailabilityZone: !Select [0, !GetAZs ""]
      MapPublicIpOnLaunch: !If [IsProd, true, false]
  SubnetB:
    Type: AWS::EC2::Subnet
    Condition: NotProd
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.9.0/24
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupName: !Join ["-", [web, !Ref "AWS::Region"]]
      GroupDescription: web
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0
        - !If [Both, {IpProtocol: "-1", SourceSecurityGroupId: !GetAtt Web.GroupId}, !Ref "AWS::NoValue"]
        - {IpProtocol: icmp, FromPort: 8, ToPort: -1, CidrIp: 10.0.0.0/8}
  Db:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      VpcId: !Ref Vpc
      Tags:
        - {Key: Owner, Value: !ImportValue shared-owner}
  DbFromWeb:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref Db
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: !Ref Web
  DbOut:
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !GetAtt Db.GroupId
      IpProtocol: tcp
      FromPort: 443
      ToPort: 443
      CidrIp: 10.0.0.0/8
  Acl:
    Type: AWS::EC2::NetworkAcl
    Properties:
      VpcId: !Ref Vpc
  AclIn:
    Type: AWS::EC2::NetworkAclEntry
    Properties:
      NetworkAclId: !Ref Acl
      RuleNumber: 100
      Protocol: 6
      RuleAction: deny
      CidrBlock: 0.0.0.0/0
      PortRange: {From: 22, To: 22}
  AclAssoc:
    Type: AWS::EC2::SubnetNetworkAclAssociation
    Properties:
      SubnetId: !Ref SubnetA
      NetworkAclId: !Ref Acl
  Server:
    Type: AWS::EC2::Instance
    Properties:
      SubnetId: !Ref SubnetA
      SecurityGroupIds: [!Ref Web]
  Lonely:
    Type: AWS::EC2::Instance
    Properties:
      SubnetId: !Ref SubnetA
  Tgw:
    Type: AWS::EC2::TransitGateway
  Topic:
    Type: AWS::SNS::Topic
"#;

fn load(text: &str, options: &TemplateOptions) -> Model {
    match load_cloudformation("t.yaml", text, options) {
        Ok(m) => m,
        Err(e) => panic!("{e}: {:?}", e.error()),
    }
}

#[test]
fn intrinsics_resolve_statically() {
    let m = load(TEMPLATE, &TemplateOptions::default());
    let vpc = m.vpc("Vpc").unwrap();
    assert_eq!(vpc.meta.name.as_deref(), Some("prod-vpc"));
    let blocks: Vec<String> = vpc.cidr_blocks.iter().map(ToString::to_string).collect();
    assert_eq!(blocks, ["10.0.0.0/16", "10.9.0.0/16"]);
    let a = m.subnet("SubnetA").unwrap();
    assert_eq!(a.cidr.to_string(), "10.0.0.0/24");
    assert_eq!(a.availability_zone.as_deref(), Some("us-east-1a"));
    assert!(a.map_public_ip_on_launch);
    assert!(m.subnet("SubnetB").is_none(), "the condition is false");
    assert_eq!(
        m.security_group("Web").unwrap().meta.name.as_deref(),
        Some("web-us-east-1")
    );
}

#[test]
fn security_group_rules_follow_cloudformation() {
    let m = load(TEMPLATE, &TemplateOptions::default());
    let web = m.security_group("Web").unwrap();
    assert_eq!(web.ingress.len(), 3);
    assert_eq!(web.ingress[1].peer, RulePeer::SecurityGroup("Web".into()));
    assert_eq!(
        web.ingress[2].traffic.ports,
        PortMatch::Icmp {
            icmp_type: Some(8),
            icmp_code: None
        }
    );
    // No egress declared anywhere: the implicit allow-all rule.
    assert_eq!(web.egress.len(), 1);
    assert!(web.egress[0].implicit);
    // A standalone egress resource replaces the implicit rule (docs/semantics.md, "CloudFormation specifics").
    let db = m.security_group("Db").unwrap();
    assert_eq!(db.egress.len(), 1);
    assert_eq!(db.egress[0].traffic, TrafficMatch::tcp(443, 443));
    assert_eq!(db.ingress[0].peer, RulePeer::SecurityGroup("Web".into()));
    let span = db.ingress[0].span.unwrap();
    assert!(
        m.sources()
            .snippet(span)
            .unwrap()
            .contains("SourceSecurityGroupId: !Ref Web")
    );
}

#[test]
fn nacls_instances_and_warnings() {
    let m = load(TEMPLATE, &TemplateOptions::default());
    assert_eq!(
        m.subnet("SubnetA").unwrap().network_acl.as_deref(),
        Some("Acl")
    );
    let acl = m.network_acl("Acl").unwrap();
    assert_eq!(acl.entries[0].traffic, TrafficMatch::tcp(22, 22));
    assert_eq!(acl.entries[0].action, NaclAction::Deny);
    let server = m.eni("Server/eni0").unwrap();
    assert!(
        server.public_ip.is_some(),
        "device 0 in a subnet mapping public IPs"
    );
    // An instance without groups gets its VPC's default security group.
    let lonely = m.eni("Lonely/eni0").unwrap();
    assert_eq!(lonely.security_groups, ["Vpc/default-security-group"]);
    let codes: Vec<&str> = m.warnings().iter().map(|w| w.code).collect();
    assert!(codes.contains(&"np::cfn::not-modelled"), "{codes:?}");
    assert!(codes.contains(&"np::cfn::import-value"), "{codes:?}");
    assert!(
        !m.warnings().iter().any(|w| w.message.contains("Topic")),
        "SNS is ignored quietly"
    );
}

#[test]
fn parameters_can_be_overridden() {
    let mut options = TemplateOptions::default();
    options.parameters.insert("Env".into(), "dev".into());
    options
        .parameters
        .insert("AWS::Region".into(), "eu-west-1".into());
    let text = TEMPLATE.replace(
        "prod: {Bits: \"8\"}",
        "prod: {Bits: \"8\"}\n    dev: {Bits: \"4\"}",
    );
    let m = load(&text, &options);
    assert!(m.subnet("SubnetB").is_some());
    assert_eq!(m.subnet("SubnetA").unwrap().cidr.to_string(), "10.0.0.0/28");
    assert_eq!(
        m.subnet("SubnetA").unwrap().availability_zone.as_deref(),
        Some("eu-west-1a")
    );
    assert!(!m.subnet("SubnetA").unwrap().map_public_ip_on_launch);
}

#[test]
fn sub_with_variables_and_literals() {
    let text = r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Sub ["${Net}.0.0/16", {Net: "10.7"}]
      Tags:
        - Key: Name
          Value: !Sub "${AWS::StackName}-${!Literal}-${Vpc}"
"#;
    let m = load(text, &TemplateOptions::default());
    let vpc = m.vpc("Vpc").unwrap();
    assert_eq!(vpc.cidr_blocks[0].to_string(), "10.7.0.0/16");
    assert_eq!(
        vpc.meta.name.as_deref(),
        Some("netpolicy-stack-${Literal}-Vpc")
    );
}

/// The error message a template fails with.
fn load_error(text: &str) -> String {
    match load_cloudformation("t.yaml", text, &TemplateOptions::default()) {
        Ok(_) => String::from("(loaded)"),
        Err(e) => e.error().to_string(),
    }
}

const ONE_VPC: &str = r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: CIDR
"#;

#[test]
fn a_parameter_default_that_refers_to_itself_is_a_cycle() {
    for default in ["!Ref Net", "!Sub '${Net}'"] {
        let text = format!(
            "Parameters:\n  Net:\n    Type: String\n    Default: {default}\n{}",
            ONE_VPC.replace("CIDR", "!Ref Net")
        );
        let message = load_error(&text);
        assert!(message.contains("cyclic reference"), "{default}: {message}");
    }
}

#[test]
fn conditions_are_evaluated_once_each() {
    // Each condition names the previous one twice: 2^40 evaluations unmemoised.
    let mut text = String::from("Conditions:\n  C0: !Equals [a, a]\n");
    for i in 1..40 {
        let p = i - 1;
        text.push_str(&format!(
            "  C{i}: !Or [!Condition C{p}, !And [!Condition C{p}, !Equals [a, b]]]\n"
        ));
    }
    text.push_str(&ONE_VPC.replace("CIDR", "!If [C39, 10.0.0.0/16, 10.1.0.0/16]"));
    let m = load(&text, &TemplateOptions::default());
    assert_eq!(
        m.vpc("Vpc").map(|v| v.cidr_blocks[0].to_string()),
        Some("10.0.0.0/16".into())
    );
}

#[test]
fn fn_cidr_keeps_to_cloudformation_limits() {
    let count =
        load_error(&ONE_VPC.replace("CIDR", "!Select [0, !Cidr [10.0.0.0/8, 30000000, 8]]"));
    assert!(count.contains("1 to 256"), "{count}");
    let bits = load_error(&ONE_VPC.replace("CIDR", "!Select [0, !Cidr [10.0.0.0/8, 4, 40]]"));
    assert!(bits.contains("at most 32"), "{bits}");
}

#[test]
fn yaml_aliases_cannot_expand_without_bound() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    text.push_str(ONE_VPC);
    let message = load_error(&text);
    assert!(message.contains("aliases expand"), "{message}");
}

#[test]
fn deeply_nested_yaml_is_an_error() {
    for depth in [300, 5000] {
        let text = format!("x: {}1{}\n{ONE_VPC}", "[".repeat(depth), "]".repeat(depth));
        let message = load_error(&text);
        assert!(
            message.contains("levels deep") || message.contains("recursion limit"),
            "{depth}: {message}"
        );
    }
}

const VPC_AND: &str = r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Table:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  Acl:
    Type: AWS::EC2::NetworkAcl
    Properties: {VpcId: !Ref Vpc}
"#;

#[test]
fn malformed_rules_routes_and_entries_are_rejected_as_cloudformation_would() {
    let cases = [
        (
            "  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      VpcId: !Ref Vpc\n      GroupDescription: x\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0, SourceSecurityGroupId: !Ref Sg}\n",
            "several peers",
        ),
        (
            "  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      VpcId: !Ref Vpc\n      GroupDescription: x\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: '::/0'}\n",
            "IPv6 block in an IPv4 field",
        ),
        (
            "  Entry:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: -1, RuleAction: allow}\n",
            "has no `CidrBlock`",
        ),
        (
            "  Route:\n    Type: AWS::EC2::Route\n    Properties: {RouteTableId: !Ref Table, DestinationCidrBlock: 0.0.0.0/0}\n",
            "names no target",
        ),
    ];
    for (resource, expected) in cases {
        let message = load_error(&format!("{VPC_AND}{resource}"));
        assert!(message.contains(expected), "{expected}: {message}");
    }
}

#[test]
fn long_values_are_cut_in_messages() {
    let long = "9".repeat(1_000_000);
    let message = load_error(&ONE_VPC.replace("CIDR", &long));
    assert!(message.len() < 300, "{} bytes", message.len());
    assert!(message.contains("(1000000 bytes)"), "{message}");
}

#[test]
fn long_names_are_cut_in_messages() {
    let long = "A".repeat(1_000_000);
    for text in [
        ONE_VPC.replace("CIDR", &format!("!Ref {long}")),
        format!(
            "{}  S:\n    Type: AWS::EC2::Subnet\n    Properties: {{VpcId: {long}, CidrBlock: 10.0.0.0/24}}\n",
            ONE_VPC.replace("CIDR", "10.0.0.0/16")
        ),
    ] {
        let message = load_error(&text);
        assert!(message.len() < 400, "{} bytes", message.len());
    }
}

#[test]
fn an_empty_egress_list_keeps_the_allow_all_rule_as_ec2_does() {
    let text = r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Open:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: d, VpcId: !Ref Vpc, SecurityGroupEgress: []}
  Closed:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: d
      VpcId: !Ref Vpc
      SecurityGroupEgress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}]
"#;
    let m = load(text, &TemplateOptions::default());
    let open = &m.security_group("Open").unwrap().egress;
    assert_eq!(open.len(), 1);
    assert!(open[0].implicit);
    let closed = &m.security_group("Closed").unwrap().egress;
    assert_eq!(closed.len(), 1);
    assert!(!closed[0].implicit);
}

/// Codes of a model's warnings, with their messages.
fn warning_texts(m: &Model) -> Vec<String> {
    m.warnings()
        .iter()
        .map(|w| format!("{}: {}", w.code, w.message))
        .collect()
}

const EXISTING_NETWORK: &str = r#"
Parameters:
  Network: {Type: "AWS::EC2::VPC::Id"}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
  Shared: {Type: "AWS::EC2::SecurityGroup::Id"}
  Office: {Type: String}
Resources:
  WebSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: !Ref Network
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Office}
  SharedRule:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !Ref Shared, IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 10.0.0.0/8}
  Web:
    Type: AWS::EC2::Instance
    Properties:
      SubnetId: !Select [1, !Ref Subnets]
      SecurityGroupIds: [!Ref WebSg, !Ref Shared]
  Route:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !ImportValue shared-private-table
      DestinationCidrBlock: 0.0.0.0/0
      NatGatewayId: !GetAtt Web.SomethingAfterDeployment
"#;

#[test]
fn a_template_over_an_existing_network_loads_with_external_objects() {
    let m = load(EXISTING_NETWORK, &TemplateOptions::default());
    let subnet = m.subnet("Subnets[1]").expect("external subnet");
    assert!(subnet.map_public_ip_on_launch, "the most exposed placement");
    assert_eq!(subnet.vpc, "Network", "the VPC of the interface's group");
    let vpc = m.vpc("Network").expect("external VPC");
    assert!(vpc.cidr_blocks.iter().any(|b| b.contains(&subnet.cidr)));
    assert!(
        m.enis()
            .iter()
            .any(|e| e.meta.id == "Web/eni0" && e.auto_public_ip)
    );
    let web = m.security_group("WebSg").expect("the template's group");
    assert_eq!(
        web.ingress[0].peer,
        RulePeer::Cidr(ipnet::Ipv4Net::default()),
        "an unknown CIDR is the widest block"
    );
    let shared = m.security_group("Shared").expect("external group");
    assert_eq!(shared.ingress.len(), 1, "the standalone rule still applies");
    let texts = warning_texts(&m).join("\n");
    for expected in [
        "subnet `Subnets[1]` is parameter `Subnets`",
        "security group `Shared` is parameter `Shared`",
        "VPC `Network` is parameter `Network`",
        "`Route` is not applied",
        "modelled as 0.0.0.0/0",
    ] {
        assert!(texts.contains(expected), "{expected}:\n{texts}");
    }
}

#[test]
fn an_imported_cidr_makes_an_external_subnet() {
    let text = format!(
        "{VPC_AND}  Subnet:\n    Type: AWS::EC2::Subnet\n    Properties: {{VpcId: !Ref Vpc, CidrBlock: !ImportValue shared-cidr}}\n  Nic:\n    Type: AWS::EC2::NetworkInterface\n    Properties: {{SubnetId: !Ref Subnet}}\n"
    );
    let m = load(&text, &TemplateOptions::default());
    assert!(m.subnet("Subnet").is_some_and(|s| s.vpc == "external-vpc"));
    let texts = warning_texts(&m).join("\n");
    assert!(texts.contains("np::cfn::import-value"), "{texts}");
    assert!(texts.contains("`Subnet` is not modelled"), "{texts}");
}

#[test]
fn instances_and_groups_without_a_network_land_in_the_default_vpc() {
    let text = r#"
Resources:
  Server:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-1, SecurityGroups: [!Ref ServerGroup]}
  ServerGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}]
  DbGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 3306, ToPort: 3306, SourceSecurityGroupName: !Ref ServerGroup}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, SourceSecurityGroupName: default}
  Db:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-1, AvailabilityZone: us-east-1b, SecurityGroups: [!Ref DbGroup]}
"#;
    let m = load(text, &TemplateOptions::default());
    let vpc = m.vpc("default-vpc").expect("the default VPC");
    assert_eq!(vpc.cidr_blocks[0].to_string(), "172.31.0.0/16");
    let server = m
        .enis()
        .iter()
        .find(|e| e.meta.id == "Server/eni0")
        .expect("server");
    assert_eq!(server.subnet, "default-vpc/us-east-1a");
    assert!(
        server.auto_public_ip,
        "default subnets map public addresses"
    );
    assert_eq!(server.security_groups, ["ServerGroup"]);
    let db = m
        .enis()
        .iter()
        .find(|e| e.meta.id == "Db/eni0")
        .expect("db");
    assert_eq!(db.subnet, "default-vpc/us-east-1b");
    assert_eq!(
        m.subnet("default-vpc/us-east-1b")
            .map(|s| s.cidr.to_string())
            .as_deref(),
        Some("172.31.16.0/20")
    );
    let rules = &m.security_group("DbGroup").expect("db group").ingress;
    assert_eq!(rules[0].peer, RulePeer::SecurityGroup("ServerGroup".into()));
    assert_eq!(
        rules[1].peer,
        RulePeer::SecurityGroup("default-vpc/default-security-group".into())
    );
    assert!(
        m.security_group("default-vpc/default-security-group")
            .is_some()
    );
    let texts = warning_texts(&m).join("\n");
    assert!(texts.contains("np::cfn::default-vpc"), "{texts}");
}

#[test]
fn an_external_subnet_used_with_a_default_vpc_group_lies_in_the_default_vpc() {
    let text = r#"
Parameters:
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
Resources:
  Server:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-1, SubnetId: !Select [0, !Ref Subnets], SecurityGroupIds: [!GetAtt Group.GroupId]}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: ssh}
"#;
    let m = load(text, &TemplateOptions::default());
    let subnet = m.subnet("Subnets[0]").expect("external subnet");
    assert_eq!(subnet.vpc, "default-vpc");
    assert_eq!(
        subnet.cidr.to_string(),
        "172.31.48.0/24",
        "a block no default subnet uses"
    );
}

const SERVICES: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  A:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, MapPublicIpOnLaunch: true}
  B:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/24}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: app, VpcId: !Ref Vpc}
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      VpcId: !Ref Vpc
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 3306, ToPort: 3306, SourceSecurityGroupId: !Ref AppSg}]
  DbSubnets:
    Type: AWS::RDS::DBSubnetGroup
    Properties: {DBSubnetGroupDescription: db, SubnetIds: [!Ref A, !Ref B]}
  Db:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql, DBSubnetGroupName: !Ref DbSubnets, VPCSecurityGroups: [!Ref DbSg]}
  Files:
    Type: AWS::EFS::MountTarget
    Properties: {FileSystemId: fs-1, SubnetId: !Ref B, SecurityGroups: [!Ref DbSg]}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, VpcConfig: {SubnetIds: [!Ref B], SecurityGroupIds: [!Ref AppSg]}}
  Launch:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties: {ImageId: ami-1, InstanceType: t3.micro, SecurityGroups: [!Ref AppSg]}
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: 80, Protocol: HTTP, VpcId: !Ref Vpc}
  Fleet:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      LaunchConfigurationName: !Ref Launch
      VPCZoneIdentifier: [!Ref A, !Ref B]
      TargetGroupARNs: [!Ref Tg]
      MinSize: 1
      MaxSize: 2
  Tgw:
    Type: AWS::EC2::TransitGateway
  Tgw2:
    Type: AWS::EC2::TransitGateway
  Topic:
    Type: AWS::SNS::Topic
"#;

#[test]
fn services_place_interfaces_in_the_subnets_they_name() {
    let m = load(SERVICES, &TemplateOptions::default());
    let of = |id: &str| {
        m.enis()
            .iter()
            .find(|e| e.meta.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    for (id, subnet) in [("Db@A", "A"), ("Db@B", "B")] {
        let db = of(id);
        assert_eq!(db.subnet, subnet);
        assert_eq!(db.security_groups, ["DbSg"]);
        assert_eq!(db.meta.aliases, ["Db"]);
        assert!(
            !db.auto_public_ip,
            "RDS in a subnet group is private unless asked"
        );
    }
    assert_eq!(of("Files").security_groups, ["DbSg"]);
    assert_eq!(of("Fn").subnet, "B");
    let fleet = of("Fleet@A/eni0");
    assert_eq!(fleet.security_groups, ["AppSg"]);
    assert!(
        fleet.auto_public_ip,
        "the launch configuration leaves it to the subnet"
    );
    assert!(!of("Fleet@B/eni0").auto_public_ip);
    let tg = m
        .target_groups()
        .iter()
        .find(|t| t.meta.id == "Tg")
        .expect("tg");
    assert_eq!(
        tg.targets.len(),
        2,
        "each representative instance is registered"
    );
    let texts = warning_texts(&m).join("\n");
    for expected in [
        "AWS::EC2::TransitGateway x2 (Tgw, Tgw2) affects the network",
        "np::cfn::coverage: modelled 12 resources, not modelled 2 of 1 types, ignored 1 non-network",
        "np::cfn::transform",
    ] {
        assert!(texts.contains(expected), "{expected}:\n{texts}");
    }
}

#[test]
fn literal_ids_of_the_deployed_account_are_external_objects() {
    let text = r#"
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: x, VpcId: vpc-0abc1234}
  Nic:
    Type: AWS::EC2::NetworkInterface
    Properties: {SubnetId: subnet-12345678, GroupSet: [!Ref Sg]}
  Assoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: subnet-12345678, RouteTableId: rtb-0def}
"#;
    let m = load(text, &TemplateOptions::default());
    assert_eq!(
        m.subnet("subnet-12345678").map(|s| s.vpc.as_str()),
        Some("vpc-0abc1234")
    );
    let texts = warning_texts(&m).join("\n");
    assert!(
        texts.contains("`Assoc` names route table `rtb-0def`"),
        "{texts}"
    );
    // Not every name is an id: a typo still fails.
    assert!(load_error(&text.replace("vpc-0abc1234", "Vpcc")).contains("Vpcc"));
}

#[test]
fn values_computed_at_deployment_route_nowhere_and_place_externally() {
    let text = r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Firewall:
    Type: AWS::NetworkFirewall::Firewall
    Properties: {VpcId: !Ref Vpc}
  Routes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  ToFirewall:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref Routes
      DestinationCidrBlock: 0.0.0.0/0
      VpcEndpointId: !Select [1, !Split [":", !Select [0, !GetAtt Firewall.EndpointIds]]]
  Lookup:
    Type: Custom::SubnetLookup
    Properties: {ServiceToken: arn}
  Nic:
    Type: AWS::EC2::NetworkInterface
    Properties: {SubnetId: !GetAtt Lookup.SubnetId, Description: !Join ["-", [!Ref Lookup, x]]}
"#;
    let m = load(text, &TemplateOptions::default());
    let routes = &m.route_table("Routes").expect("table").routes;
    assert_eq!(
        routes[0].target,
        RouteTarget::Blackhole,
        "the route still takes 0.0.0.0/0"
    );
    assert!(
        m.subnet("Lookup.SubnetId").is_some(),
        "a custom resource's subnet is external"
    );
}

#[test]
fn target_groups_are_followed_and_checked_as_in_every_reader() {
    let template = |tg: &str| {
        format!(
            r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {{CidrBlock: 10.0.0.0/16}}
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {tg}
"#
        )
    };
    let lambda = load(
        &template("{TargetType: lambda, Targets: [{Id: arn:aws:lambda:fn}]}"),
        &TemplateOptions::default(),
    );
    assert!(lambda.parts().target_groups.is_empty());
    let said = warning_texts(&lambda);
    assert!(
        said.iter()
            .any(|w| w.contains("`Tg` (lambda targets) is not modelled")),
        "{said:?}"
    );
    let geneve = load(
        &template("{Protocol: GENEVE, Port: 6081, VpcId: !Ref Vpc}"),
        &TemplateOptions::default(),
    );
    assert!(geneve.parts().target_groups.is_empty(), "not taken for TCP");
    let bad_target =
        template("{Protocol: HTTP, Port: 80, VpcId: !Ref Vpc, Targets: [{Id: i-1, Port: 70000}]}");
    assert_eq!(
        load_error(&bad_target),
        "port 70000 is out of range (1-65535)"
    );
    let no_port = template("{Protocol: HTTP, Port: 0, VpcId: !Ref Vpc}");
    assert_eq!(load_error(&no_port), "port 0 is out of range (1-65535)");
}

#[test]
fn a_route_to_an_instance_goes_to_its_primary_interface_even_a_declared_one() {
    // The appliance's primary interface is a declared AWS::EC2::NetworkInterface
    // (source/destination check off, as appliances are): a route naming the
    // instance is a route to that interface, not to one the template lacks.
    let text = r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24}
  ApplianceEni:
    Type: AWS::EC2::NetworkInterface
    Properties: {SubnetId: !Ref Subnet, SourceDestCheck: false}
  Appliance:
    Type: AWS::EC2::Instance
    Properties:
      NetworkInterfaces: [{NetworkInterfaceId: !Ref ApplianceEni, DeviceIndex: "0"}]
  Routes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  ViaAppliance:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref Routes, DestinationCidrBlock: 0.0.0.0/0, InstanceId: !Ref Appliance}
"#;
    let m = load(text, &TemplateOptions::default());
    let routes = &m.route_table("Routes").expect("the table").routes;
    assert_eq!(
        routes[0].target,
        RouteTarget::NetworkInterface("ApplianceEni".into())
    );
}

#[test]
fn the_default_group_a_template_names_is_its_vpcs_not_an_external_one() {
    // `!GetAtt Vpc.DefaultSecurityGroup` names the default group of the
    // template's own VPC: AWS's rules plus those the template adds, never
    // an external group without rules.
    let text = r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Igw:
    Type: AWS::EC2::InternetGateway
  Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}
  Public:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, MapPublicIpOnLaunch: true}
  Routes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  Default:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref Routes, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  Assoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Public, RouteTableId: !Ref Routes}
  OpenHttp:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !GetAtt Vpc.DefaultSecurityGroup, IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: !GetAtt Vpc.DefaultSecurityGroup}
  Web:
    Type: AWS::EC2::Instance
    Properties: {SubnetId: !Ref Public}
  App:
    Type: AWS::EC2::Instance
    Properties: {SubnetId: !Ref Public, SecurityGroupIds: [!Ref AppSg]}
"#;
    let m = load(text, &TemplateOptions::default());
    assert!(!m.parts().external.contains("Vpc/default-security-group"));
    let group = m
        .security_group("Vpc/default-security-group")
        .expect("the default group");
    assert!(
        (group.ingress.iter()).any(|r| r.traffic == TrafficMatch::tcp(80, 80)),
        "the template's rule is on it: {group:?}"
    );
    let web = m.eni("Web/eni0").expect("web");
    assert_eq!(web.security_groups, ["Vpc/default-security-group"]);
}
