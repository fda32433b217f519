#![expect(
    clippy::panic,
    reason = "an input that does not load or check fails the test"
)]

//! A dual-stack network, read while netpolicy models IPv4 only: a verdict
//! that an IPv6 rule, allow entry or route could change is UNKNOWN, never a
//! false HOLDS, in every format (docs/semantics.md, "IPv6").
//!
//! The answers are decided by hand from the AWS VPC guide, not by running
//! netpolicy. In AWS: `Web` has an IPv6 address in a subnet whose table sends
//! `::/0` to the internet gateway, and its group admits `tcp/22 from ::/0`,
//! so ssh is open to the IPv6 internet (the truth is VIOLATED; the IPv4 model
//! cannot show it, so UNKNOWN). `App` sits in a subnet whose only route out is
//! `::/0` to an egress-only internet gateway and its group allows all IPv6
//! egress, so it reaches the internet over IPv6 (truth VIOLATED, UNKNOWN
//! here). An egress-only gateway admits no connection from outside and App's
//! group admits nothing from outside the VPC: `no internet -> App` is true
//! (HOLDS). `Db`'s group admits only Web's group on 5432 and names no IPv6
//! peer: `no internet -> Db` is true (HOLDS) whatever IPv6 does.

use netpolicy_core::load::aws_cli::load_aws_cli_dir;
use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation};
use netpolicy_core::load::load_native;
use netpolicy_core::model::Model;
use netpolicy_lang::report::Status;

const TEMPLATE: &str = r#"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Ipv6Block:
    Type: AWS::EC2::VPCCidrBlock
    Properties: {VpcId: !Ref Vpc, AmazonProvidedIpv6CidrBlock: true}
  Igw:
    Type: AWS::EC2::InternetGateway
  Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}
  Eigw:
    Type: AWS::EC2::EgressOnlyInternetGateway
    Properties: {VpcId: !Ref Vpc}
  Public:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
      Ipv6CidrBlock: !Select [0, !Cidr [!Select [0, !GetAtt Vpc.Ipv6CidrBlocks], 256, 64]]
      MapPublicIpOnLaunch: true
  Private:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.2.0/24
      Ipv6CidrBlock: !Select [1, !Cidr [!Select [0, !GetAtt Vpc.Ipv6CidrBlocks], 256, 64]]
  PublicRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PublicDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PublicRoutes, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  PublicDefault6:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PublicRoutes, DestinationIpv6CidrBlock: "::/0", GatewayId: !Ref Igw}
  PublicAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Public, RouteTableId: !Ref PublicRoutes}
  PrivateRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PrivateDefault6:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateRoutes, DestinationIpv6CidrBlock: "::/0", EgressOnlyInternetGatewayId: !Ref Eigw}
  PrivateAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Private, RouteTableId: !Ref PrivateRoutes}
  WebSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: "::/0"}
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref WebSg}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
      SecurityGroupEgress:
        - {IpProtocol: "-1", CidrIpv6: "::/0"}
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 10.0.0.0/16}
  Web:
    Type: AWS::EC2::Instance
    Properties: {SubnetId: !Ref Public, SecurityGroupIds: [!Ref WebSg], Ipv6AddressCount: 1}
  Db:
    Type: AWS::EC2::Instance
    Properties: {SubnetId: !Ref Public, SecurityGroupIds: [!Ref DbSg]}
  App:
    Type: AWS::EC2::Instance
    Properties: {SubnetId: !Ref Private, SecurityGroupIds: [!Ref AppSg], Ipv6AddressCount: 1}
"#;

const POLICY: &str = "no internet -> instance:Web : ssh
internet -> instance:Web : http
no internet -> instance:Web : rdp
no instance:App -> internet
no internet -> instance:App
no internet -> instance:Db
";

/// The verdicts decided by hand (see the module documentation).
const WANT: [(&str, Status); 6] = [
    ("no internet -> instance:Web : ssh", Status::Unknown),
    ("internet -> instance:Web : http", Status::Holds),
    // Only tcp/22 has an IPv6 rule: rdp is closed over both families.
    ("no internet -> instance:Web : rdp", Status::Holds),
    ("no instance:App -> internet", Status::Unknown),
    ("no internet -> instance:App", Status::Holds),
    ("no internet -> instance:Db", Status::Holds),
];

fn statuses(model: &Model, policy: &str) -> Vec<(String, Status)> {
    netpolicy_tests::statuses(model, policy).unwrap_or_else(|e| panic!("{e}"))
}

fn want() -> Vec<(String, Status)> {
    WANT.iter().map(|(a, s)| (a.to_string(), *s)).collect()
}

#[test]
fn a_template_s_ipv6_openings_leave_what_they_change_unknown() {
    let model = load_cloudformation("t.yaml", TEMPLATE, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e}: {:?}", e.error()));
    assert!(
        model
            .warnings()
            .iter()
            .any(|w| w.code == "np::load::ipv6-ignored"),
        "the skip is said"
    );
    assert_eq!(statuses(&model, POLICY), want());
}

/// The same network in the native format (addresses fixed by hand).
const NATIVE: &str = r#"
vpcs:
  - {id: vpc-1, cidr_blocks: [10.0.0.0/16, "2600:1f18:1:100::/56"]}
internet_gateways:
  - {id: igw-1, vpc: vpc-1}
subnets:
  - {id: public, vpc: vpc-1, cidr: 10.0.1.0/24, route_table: rt-public}
  - {id: private, vpc: vpc-1, cidr: 10.0.2.0/24, route_table: rt-private}
route_tables:
  - id: rt-public
    vpc: vpc-1
    routes:
      - {destination: 0.0.0.0/0, internet_gateway: igw-1}
      - {destination: "::/0", internet_gateway: igw-1}
  - id: rt-private
    vpc: vpc-1
    routes:
      - {destination: "::/0", internet_gateway: igw-1}
security_groups:
  - id: web-sg
    vpc: vpc-1
    ingress:
      - {protocol: tcp, ports: 80, from: 0.0.0.0/0}
      - {protocol: tcp, ports: 22, from: "::/0"}
  - id: db-sg
    vpc: vpc-1
    ingress:
      - {protocol: tcp, ports: 5432, from: "sg:web-sg"}
  - id: app-sg
    vpc: vpc-1
    egress:
      - {protocol: all, to: "::/0"}
      - {protocol: tcp, ports: 5432, to: 10.0.0.0/16}
instances:
  - {id: Web, subnet: public, private_ip: 10.0.1.10, public_ip: 203.0.113.10, security_groups: [web-sg]}
  - {id: Db, subnet: public, private_ip: 10.0.1.20, public_ip: 203.0.113.20, security_groups: [db-sg]}
  - {id: App, subnet: private, private_ip: 10.0.2.10, security_groups: [app-sg]}
"#;

#[test]
fn a_native_file_s_ipv6_openings_leave_what_they_change_unknown() {
    let model = load_native("n.yaml", NATIVE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statuses(&model, POLICY), want());
}

/// The same network as `aws ec2 describe-*` output (the files a dump holds).
/// The default NACL lists AWS's rule 101 beside rule 100: its IPv6 entries
/// let through nothing its IPv4 ones do not, so it leaves no verdict unknown.
const DUMP: [(&str, &str); 7] = [
    (
        "ec2-describe-internet-gateways.json",
        r#"{"InternetGateways": [{"InternetGatewayId": "igw-1",
            "Attachments": [{"VpcId": "vpc-1", "State": "available"}]}]}"#,
    ),
    (
        "ec2-describe-network-acls.json",
        r#"{"NetworkAcls": [{"NetworkAclId": "acl-default", "VpcId": "vpc-1", "IsDefault": true,
            "Associations": [{"SubnetId": "subnet-public"}, {"SubnetId": "subnet-private"}],
            "Entries": [
              {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0"},
              {"RuleNumber": 101, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "Ipv6CidrBlock": "::/0"},
              {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0"},
              {"RuleNumber": 32768, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "Ipv6CidrBlock": "::/0"},
              {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": true, "CidrBlock": "0.0.0.0/0"},
              {"RuleNumber": 101, "Protocol": "-1", "RuleAction": "allow", "Egress": true, "Ipv6CidrBlock": "::/0"},
              {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": true, "CidrBlock": "0.0.0.0/0"},
              {"RuleNumber": 32768, "Protocol": "-1", "RuleAction": "deny", "Egress": true, "Ipv6CidrBlock": "::/0"}]}]}"#,
    ),
    (
        "ec2-describe-vpcs.json",
        r#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16",
            "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1:100::/56",
              "Ipv6CidrBlockState": {"State": "associated"}}]}]}"#,
    ),
    (
        "ec2-describe-subnets.json",
        r#"{"Subnets": [
            {"SubnetId": "subnet-public", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24",
             "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1:100::/64"}]},
            {"SubnetId": "subnet-private", "VpcId": "vpc-1", "CidrBlock": "10.0.2.0/24",
             "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1:101::/64"}]}]}"#,
    ),
    (
        "ec2-describe-route-tables.json",
        r#"{"RouteTables": [
            {"RouteTableId": "rtb-public", "VpcId": "vpc-1",
             "Associations": [{"SubnetId": "subnet-public"}],
             "Routes": [
               {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
               {"DestinationIpv6CidrBlock": "2600:1f18:1:100::/56", "GatewayId": "local", "State": "active"},
               {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"},
               {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1", "State": "active"}]},
            {"RouteTableId": "rtb-private", "VpcId": "vpc-1",
             "Associations": [{"SubnetId": "subnet-private"}],
             "Routes": [
               {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
               {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1", "State": "active"}]}]}"#,
    ),
    (
        "ec2-describe-security-groups.json",
        r#"{"SecurityGroups": [
            {"GroupId": "sg-web", "GroupName": "web", "VpcId": "vpc-1",
             "IpPermissions": [
               {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
               {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
             "IpPermissionsEgress": []},
            {"GroupId": "sg-db", "GroupName": "db", "VpcId": "vpc-1",
             "IpPermissions": [
               {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": "sg-web"}]}],
             "IpPermissionsEgress": []},
            {"GroupId": "sg-app", "GroupName": "app", "VpcId": "vpc-1",
             "IpPermissions": [],
             "IpPermissionsEgress": [
               {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
               {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]}]}"#,
    ),
    (
        "ec2-describe-instances.json",
        r#"{"Reservations": [{"Instances": [
            {"InstanceId": "i-web", "Tags": [{"Key": "Name", "Value": "Web"}],
             "NetworkInterfaces": [{"NetworkInterfaceId": "eni-web", "SubnetId": "subnet-public",
               "PrivateIpAddress": "10.0.1.10", "Association": {"PublicIp": "203.0.113.10"},
               "Ipv6Addresses": [{"Ipv6Address": "2600:1f18:1:100::10"}],
               "Groups": [{"GroupId": "sg-web"}]}]},
            {"InstanceId": "i-db", "Tags": [{"Key": "Name", "Value": "Db"}],
             "NetworkInterfaces": [{"NetworkInterfaceId": "eni-db", "SubnetId": "subnet-public",
               "PrivateIpAddress": "10.0.1.20", "Association": {"PublicIp": "203.0.113.20"},
               "Groups": [{"GroupId": "sg-db"}]}]},
            {"InstanceId": "i-app", "Tags": [{"Key": "Name", "Value": "App"}],
             "NetworkInterfaces": [{"NetworkInterfaceId": "eni-app", "SubnetId": "subnet-private",
               "PrivateIpAddress": "10.0.2.10",
               "Ipv6Addresses": [{"Ipv6Address": "2600:1f18:1:101::10"}],
               "Groups": [{"GroupId": "sg-app"}]}]}]}]}"#,
    ),
];

#[test]
fn a_dump_s_ipv6_openings_leave_what_they_change_unknown() {
    let dir = std::env::temp_dir().join(format!("netpolicy-ipv6-dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in DUMP {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }
    let model = load_aws_cli_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let policy = POLICY
        .replace("instance:Web", "instance:i-web")
        .replace("instance:App", "instance:i-app")
        .replace("instance:Db", "instance:i-db");
    let want: Vec<(String, Status)> = (want().into_iter())
        .map(|(a, s)| {
            let a = a
                .replace("instance:Web", "instance:i-web")
                .replace("instance:App", "instance:i-app")
                .replace("instance:Db", "instance:i-db");
            (a, s)
        })
        .collect();
    assert_eq!(statuses(&model, &policy), want);
}

#[test]
fn exposure_says_more_may_be_open_over_ipv6() {
    let model = load_cloudformation("t.yaml", TEMPLATE, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e}: {:?}", e.error()));
    let engine = netpolicy_core::engine::Engine::new(&model);
    let web = engine
        .interface_exposure("Web/eni0")
        .unwrap_or_else(|| panic!("Web's interface"));
    // Open on tcp/80 over IPv4 (a fact), and ssh may be open over IPv6.
    assert_eq!(web.open.len(), 1, "{web:?}");
    assert!(web.undecided.is_empty(), "{web:?}");
    assert_eq!(web.more_may_open, ["WebSg ingress rules"], "{web:?}");
    let app = engine
        .interface_exposure("App/eni0")
        .unwrap_or_else(|| panic!("App's interface"));
    assert!(app.is_empty() && app.undecided.is_empty(), "{app:?}");
}

#[test]
fn an_ipv6_prefix_list_in_a_template_loads_and_leaves_its_rules_unknown() {
    // Web's ssh rule names a list of IPv6 office prefixes instead of `::/0`:
    // the office reaches ssh over IPv6 in AWS, the same answers stand.
    let template = TEMPLATE
        .replace(
            r#"{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: "::/0"}"#,
            "{IpProtocol: tcp, FromPort: 22, ToPort: 22, SourcePrefixListId: !Ref OfficeV6}",
        )
        .replace(
            "Resources:\n",
            r#"Resources:
  OfficeV6:
    Type: AWS::EC2::PrefixList
    Properties:
      PrefixListName: office-v6
      AddressFamily: IPv6
      MaxEntries: 2
      Entries: [{Cidr: "2001:db8::/32"}]
"#,
        );
    assert!(template.contains("SourcePrefixListId"));
    let model = load_cloudformation("t.yaml", &template, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e}: {:?}", e.error()));
    assert_eq!(statuses(&model, POLICY), want());
}
