#![expect(
    clippy::panic,
    reason = "a template that does not load or check fails the test"
)]

//! Verdicts that rest on parts the input does not fix are UNKNOWN, and only
//! those (docs/semantics.md, "Unknown parts"). The answers are decided by
//! hand: the office CIDR is a parameter without a default, so the one rule
//! naming it may admit anyone or no one.

use netpolicy_core::load::cloudformation::{TemplateOptions, load_cloudformation};
use netpolicy_core::load::load_native;
use netpolicy_core::model::Model;
use netpolicy_lang::report::Status;

const TEMPLATE: &str = r#"
Parameters:
  OfficeCidr: {Type: String}
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
  WebSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref OfficeCidr}
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref WebSg}
  Web:
    Type: AWS::EC2::Instance
    Properties: {SubnetId: !Ref Public, SecurityGroupIds: [!Ref WebSg]}
  Db:
    Type: AWS::EC2::Instance
    Properties: {SubnetId: !Ref Public, SecurityGroupIds: [!Ref DbSg]}
"#;

fn statuses(model: &Model, policy: &str) -> Vec<(String, Status)> {
    netpolicy_tests::statuses(model, policy).unwrap_or_else(|e| panic!("{e}"))
}

fn template() -> Model {
    load_cloudformation("t.yaml", TEMPLATE, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e}: {:?}", e.error()))
}

#[test]
fn only_verdicts_the_unknown_office_cidr_can_change_are_unknown() {
    let model = template();
    let got = statuses(
        &model,
        "no internet -> instance:Web : ssh
internet -> instance:Web : http
no internet -> instance:Web : rdp
no internet -> instance:Db : ssh
instance:Web -> instance:Db : postgres
",
    );
    let want = [
        // The office rule may admit the whole internet, or only the office.
        ("no internet -> instance:Web : ssh", Status::Unknown),
        // Port 80 is open to all; the unknown rule judges only port 22.
        ("internet -> instance:Web : http", Status::Holds),
        ("no internet -> instance:Web : rdp", Status::Holds),
        // Db's group is fully known.
        ("no internet -> instance:Db : ssh", Status::Holds),
        ("instance:Web -> instance:Db : postgres", Status::Holds),
    ];
    let want: Vec<(String, Status)> = want.iter().map(|(a, s)| (a.to_string(), *s)).collect();
    assert_eq!(got, want);
}

#[test]
fn a_known_violation_stays_violated_beside_an_unknown_rule() {
    // Port 80 from anywhere is a fact whatever the office CIDR is.
    let got = statuses(&template(), "no internet -> instance:Web : http, ssh\n");
    assert_eq!(got[0].1, Status::Violated, "{got:?}");
}

#[test]
fn a_transit_gateway_between_two_vpcs_leaves_their_isolation_unknown() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/native/over-a-transit-gateway.yaml"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let model = load_native("tgw.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let got = statuses(
        &model,
        "no eni:eni-a -> eni:eni-b : ssh\nno eni:eni-a -> eni:eni-a2 : ssh\n",
    );
    assert_eq!(got[0].1, Status::Unknown, "routed to tgw-1: {got:?}");
    assert_eq!(got[1].1, Status::Holds, "the local route decides: {got:?}");
}

#[test]
fn a_route_netpolicy_does_not_follow_leaves_what_it_carries_unknown() {
    // Replies to the internet go to an appliance netpolicy does not follow
    // (here a local gateway): they may return, or not.
    let template = TEMPLATE.replace(
        "DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}",
        "DestinationCidrBlock: 0.0.0.0/0, LocalGatewayId: lgw-0123456789abcdef0}",
    );
    let model = load_cloudformation("t.yaml", &template, &TemplateOptions::default())
        .unwrap_or_else(|e| panic!("{e}: {:?}", e.error()));
    let got = statuses(
        &model,
        "no internet -> instance:Web : http\ninstance:Web -> instance:Db : postgres\n",
    );
    assert_eq!(got[0].1, Status::Unknown, "{got:?}");
    // Within the subnet no route is looked up.
    assert_eq!(got[1].1, Status::Holds, "{got:?}");
}
