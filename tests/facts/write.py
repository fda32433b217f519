"""Write every case of the hand-decided facts suite in its four formats.

Each case below is one small network, described once. This script writes it
as a CloudFormation template (template.yaml), a Terraform plan
(plan.json, `terraform show -json` of a plan that creates it), an AWS CLI dump
of it deployed (dump/, the answers `netpolicy collect` reads) and the native
format (network.yaml). The facts about each network (facts.np) are written by
hand, from the AWS documentation, and are not produced here: nothing in this
file runs or imports netpolicy.

Deployed addresses (the dump's private and public IPv4 addresses, and the
native format's) are decided by hand too, from the same AWS rules the facts
rest on: an interface gets a public address only where a comment on it says
why (its subnet maps public addresses on launch and it is eth0 of a
single-interface launch, or AssociatePublicIpAddress is true, or an Elastic IP
is associated with it). An Elastic IP replaces any public address the
interface had (VPC user guide, "Elastic IP address concepts and rules").

Shapes follow ../fixtures/exports/workshop.py (AWS CLI and Terraform JSON
output formats). Run `python3 write.py` in this folder; it is deterministic
and uses the standard library only.
"""

import hashlib
import ipaddress
import json
import os
import re

ACCOUNT = "123456789012"
REGION = "us-east-1"
AZ = "us-east-1a"
AZ_ID = "use1-az4"
AMI = "ami-0abcdef1234567890"


# --- the description of a network ----------------------------------------------

class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def Subnet(name, cidr, map_public=False, table=None, acl=None):
    return Obj(name=name, cidr=cidr, map_public=map_public, table=table, acl=acl)


def Table(name, routes, tf="resources"):
    """routes: [(route name, destination, "igw"|"nat"|"vgw"|"instance", target name)].
    A destination is written as the template writes it (host bits
    included); AWS stores its canonical form (canonical()). "instance": the
    route names an instance (CloudFormation InstanceId); AWS routes to its
    primary interface and reports both ids. tf: "resources" (aws_route) or
    "inline" (route blocks of the aws_route_table)."""
    return Obj(name=name, routes=routes, tf=tf)


def canonical(cidr):
    """The block AWS stores for a CIDR written with host bits (EC2 API
    reference, CreateRoute DestinationCidrBlock, CreateNetworkAclEntry
    CidrBlock, AuthorizeSecurityGroupIngress CidrIp: "We modify the
    specified CIDR block to its canonical form"). Unchanged for a canonical
    block."""
    return str(ipaddress.ip_network(cidr, strict=False))


def Nat(name, subnet, eip, private_ip, public_ip):
    return Obj(name=name, subnet=subnet, eip=eip, private_ip=private_ip, public_ip=public_ip)


def Rule(proto, lo=None, hi=None, cidr=None, sg=None):
    """proto: "tcp", "udp", "icmp", "-1" or a protocol number as written
    ("6", "17"); the peer is a CIDR (as written: host bits allowed) or a
    group name (DEFAULT_GROUP: the VPC's default group). lo/hi: the port
    range (FromPort/ToPort); for icmp the type and code (-1: any); for "-1"
    ports written anyway (AWS ignores them)."""
    if hi is None:
        hi = lo
    return Obj(proto=proto, lo=lo, hi=hi, cidr=cidr, sg=sg)


# How describe-security-groups reports a protocol written as a number.
PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp"}


ALL_OUT = Rule("-1", cidr="0.0.0.0/0")


def Group(name, ingress=(), egress=None, extra_ingress=(), extra_egress=()):
    """ingress/egress: rules written in the group itself; egress None means
    none written (AWS adds its allow-all rule when the group is created
    without egress rules, unless a standalone egress rule is added: then
    CloudFormation removes it). extra_*: standalone rule resources."""
    return Obj(name=name, ingress=list(ingress), egress=egress, extra_ingress=list(extra_ingress),
               extra_egress=list(extra_egress))


def effective_egress(g):
    """The group's egress rules once deployed (what describe-security-groups shows)."""
    if g.egress is None and not g.extra_egress:
        return [ALL_OUT]
    return list(g.egress or []) + list(g.extra_egress)


def Acl(name, subnets, entries, tf="inline"):
    """entries: [(rule number, egress, action, proto number, from, to, cidr)]"""
    return Obj(name=name, subnets=subnets, entries=entries, tf=tf)


def Eni(name, subnet, groups, private_ip):
    """A standalone network interface (AWS::EC2::NetworkInterface). Such an
    interface never gets a public address of its own: only an Elastic IP."""
    return Obj(name=name, subnet=subnet, groups=groups, private_ip=private_ip)


def Nic(device, subnet=None, groups=None, private_ip=None, associate=None, public_ip=None, eni=None):
    """One entry of an instance's NetworkInterfaces: a new interface (subnet,
    groups, AssociatePublicIpAddress) or an existing one (eni). public_ip: the
    address AWS assigns on launch, decided by hand (None: none)."""
    return Obj(device=device, subnet=subnet, groups=groups, private_ip=private_ip, associate=associate,
               public_ip=public_ip, eni=eni)


def Instance(name, subnet=None, groups=None, private_ip=None, associate=None, public_ip=None, nics=None,
             native_public=None):
    """Either SubnetId/SecurityGroupIds (and AssociatePublicIpAddress, which
    the template writes as a one-entry NetworkInterfaces) or nics.
    native_public: how network.yaml writes the public address of an inline
    instance: None, the deployed address (or nothing); "omit", no public_ip
    (the native format decides from the subnet); "none" or "auto", written so."""
    return Obj(name=name, subnet=subnet, groups=groups, private_ip=private_ip, associate=associate,
               public_ip=public_ip, nics=nics, native_public=native_public)


def Attach(name, instance, eni, device):
    return Obj(name=name, instance=instance, eni=eni, device=device)


def Eip(name, public_ip, instance=None, eni=None, association=None):
    """An Elastic IP on an instance (its primary interface) or an interface;
    association None: AWS::EC2::EIP InstanceId (aws_eip.instance), else the
    name of an AWS::EC2::EIPAssociation (aws_eip_association)."""
    return Obj(name=name, public_ip=public_ip, instance=instance, eni=eni, association=association)


def Lb(name, subnets, nodes, listeners, groups=None, scheme="internet-facing"):
    """A network load balancer. nodes: {subnet: (private, public)} as
    deployed (public None for an internal one); listeners: [(listener name,
    protocol, port, target group)]. scheme None: not written (AWS's default,
    internet-facing)."""
    return Obj(name=name, subnets=subnets, nodes=nodes, listeners=listeners, groups=groups, scheme=scheme)


def Tg(name, proto, port, target_type, targets, preserve=None):
    """targets: [(instance name or IP address, port)]; preserve: the
    preserve_client_ip.enabled attribute as written (None: not written)."""
    return Obj(name=name, proto=proto, port=port, target_type=target_type, targets=targets, preserve=preserve)


def preserved(tg):
    """The effective preserve_client_ip.enabled of a target group (ELB guide,
    "Edit target group attributes for your Network Load Balancer"): always on
    for UDP and TCP_UDP; else the attribute; else on for instance targets and
    off for IP targets."""
    if tg.proto in ("UDP", "TCP_UDP"):
        return True
    if tg.preserve is not None:
        return tg.preserve
    return tg.target_type == "instance"


# The S3 service's AWS-managed prefix list in us-east-1, and its entries (as
# ../fixtures/exports/workshop.py writes them).
S3_PREFIX_LIST = "pl-63a5400a"
S3_CIDRS = ["3.5.0.0/19", "16.182.0.0/16", "18.34.0.0/19", "18.34.232.0/21", "52.216.0.0/15", "54.231.0.0/16"]


def Endpoint(name, kind, service, subnets=(), groups=(), tables=(), private_ips=None, typed=True):
    """A VPC endpoint. kind "Interface": one endpoint network interface per
    subnet, in groups, deployed at private_ips {subnet: address}, and private
    DNS off; "Gateway": AWS adds a route for the service's prefix list to each
    of tables (PrivateLink guide, "Gateway endpoints", Routing). typed False:
    the type is not written (a Gateway endpoint by AWS's and the provider's
    default)."""
    return Obj(name=name, kind=kind, service=service, subnets=list(subnets), groups=list(groups),
               tables=list(tables), private_ips=private_ips or {}, typed=typed)


def Vgw(name, connection=None, attach="inline"):
    """A virtual private gateway attached to the VPC (VpcGatewayAttachment
    VpnGatewayId). connection: None, no VPN connection; else (customer gateway
    name, its public address, BGP ASN, VPN connection name, [static routes]).
    attach (Terraform): "inline" (aws_vpn_gateway vpc_id) or "resource"
    (aws_vpn_gateway_attachment)."""
    return Obj(name=name, connection=connection, attach=attach)


# An instance written with groups=[] names no security group: AWS puts its
# interface in the VPC's default group (VPC user guide, "Default security
# groups for your VPCs"). The dump lists that group on the interface.
DEFAULT_GROUP = "default"


# The native format's id for the VPC's default group, where a case declares
# it (native_default_group): an ordinary group with AWS's default rules, named
# by the VPC's default_security_group.
NATIVE_DEFAULT_GROUP = "VpcDefaultSg"


def Case(name, doc, vpc_cidr, subnets, tables=(), igw=True, nats=(), groups=(), acls=(), enis=(),
         instances=(), attachments=(), eips=(), lbs=(), tgs=(), endpoints=(), order=None, native=True,
         vgw=None, native_default_group=False):
    """native False: the case is not written in the native format (no
    network.yaml). native_default_group: network.yaml declares the VPC's
    default group (NATIVE_DEFAULT_GROUP) and names it in the VPC's
    default_security_group; else an interface without groups is left
    without security_groups (the native format puts it in AWS's default
    group)."""
    return Obj(name=name, doc=doc, vpc="Vpc", vpc_cidr=vpc_cidr, igw="Igw" if igw else None,
               subnets=list(subnets), tables=list(tables), nats=list(nats), groups=list(groups),
               acls=list(acls), enis=list(enis), instances=list(instances), attachments=list(attachments),
               eips=list(eips), lbs=list(lbs), tgs=list(tgs), endpoints=list(endpoints), order=order,
               native=native, vgw=vgw, native_default_group=native_default_group)


HTTP_IN = Rule("tcp", 80, cidr="0.0.0.0/0")

CASES = [
    Case(
        "eip-instance",
        "An Elastic IP (AWS::EC2::EIP InstanceId) on an instance in a subnet that does not map public addresses; a second instance there without one.",
        "10.1.0.0/16",
        subnets=[Subnet("AppSubnet", "10.1.1.0/24", table="PublicRoutes")],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        instances=[
            Instance("Web", subnet="AppSubnet", groups=["WebSg"], private_ip="10.1.1.10"),
            Instance("Db", subnet="AppSubnet", groups=["WebSg"], private_ip="10.1.1.11"),
        ],
        eips=[Eip("WebEip", "54.211.20.10", instance="Web")],
    ),
    Case(
        "eip-association-instance",
        "An Elastic IP (Domain vpc) associated by an AWS::EC2::EIPAssociation with InstanceId and AllocationId, written before the instance.",
        "10.2.0.0/16",
        subnets=[Subnet("AppSubnet", "10.2.1.0/24", table="PublicRoutes")],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("AppSg", ingress=[HTTP_IN])],
        instances=[
            Instance("App", subnet="AppSubnet", groups=["AppSg"], private_ip="10.2.1.10"),
            Instance("Worker", subnet="AppSubnet", groups=["AppSg"], private_ip="10.2.1.11"),
        ],
        eips=[Eip("AppEip", "54.211.20.20", instance="App", association="AppEipAssociation")],
        order=["Vpc", "Igw", "IgwAttachment", "AppEip", "AppEipAssociation"],
    ),
    Case(
        "eip-association-eni",
        "Elastic IPs associated with declared network interfaces: one the primary interface (device 0) of Front, one attached to Back as device 1 by an AWS::EC2::NetworkInterfaceAttachment.",
        "10.3.0.0/16",
        subnets=[
            Subnet("FrontSubnet", "10.3.1.0/24", table="PublicRoutes"),
            Subnet("DataSubnet", "10.3.2.0/24", table="PublicRoutes"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        enis=[
            Eni("FrontEni", "FrontSubnet", ["WebSg"], "10.3.1.10"),
            Eni("BackData", "DataSubnet", ["WebSg"], "10.3.2.10"),
        ],
        instances=[
            Instance("Front", nics=[Nic(0, eni="FrontEni")]),
            Instance("Back", subnet="FrontSubnet", groups=["WebSg"], private_ip="10.3.1.11"),
        ],
        attachments=[Attach("BackDataAttachment", "Back", "BackData", 1)],
        eips=[
            Eip("FrontEip", "54.211.30.10", eni="FrontEni", association="FrontEipAssociation"),
            Eip("BackEip", "54.211.30.11", eni="BackData", association="BackEipAssociation"),
        ],
    ),
    Case(
        "eip-over-associate-false",
        "Instances whose primary interface says AssociatePublicIpAddress false in a subnet that maps public addresses: one gets an Elastic IP, one does not; a third keeps the subnet's default.",
        "10.4.0.0/16",
        subnets=[Subnet("PublicSubnet", "10.4.1.0/24", map_public=True, table="PublicRoutes")],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        instances=[
            # AssociatePublicIpAddress false: no address on launch; then the EIP.
            Instance("Api", subnet="PublicSubnet", groups=["WebSg"], private_ip="10.4.1.10", associate=False),
            Instance("Quiet", subnet="PublicSubnet", groups=["WebSg"], private_ip="10.4.1.11", associate=False),
            # The subnet maps public addresses on launch.
            Instance("Auto", subnet="PublicSubnet", groups=["WebSg"], private_ip="10.4.1.12", public_ip="3.84.40.12"),
        ],
        eips=[Eip("ApiEip", "54.211.40.10", instance="Api")],
    ),
    Case(
        "public-by-subnet",
        "Public addresses on launch: a subnet that maps them (an instance with the default, one that opts out) and one that does not (an instance that opts in).",
        "10.5.0.0/16",
        subnets=[
            Subnet("MappingSubnet", "10.5.1.0/24", map_public=True, table="PublicRoutes"),
            Subnet("PlainSubnet", "10.5.2.0/24", table="PublicRoutes"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        instances=[
            Instance("Default", subnet="MappingSubnet", groups=["WebSg"], private_ip="10.5.1.10", public_ip="3.84.50.10"),
            Instance("OptOut", subnet="MappingSubnet", groups=["WebSg"], private_ip="10.5.1.11", associate=False),
            Instance("OptIn", subnet="PlainSubnet", groups=["WebSg"], private_ip="10.5.2.10", associate=True,
                     public_ip="3.84.50.20"),
        ],
    ),
    Case(
        "secondary-eni",
        "Second interfaces in subnets that map public addresses: Dual is launched with two interfaces; Solo is launched with one and gets a second (device 1) by an attachment.",
        "10.6.0.0/16",
        subnets=[
            Subnet("MapA", "10.6.1.0/24", map_public=True, table="PublicRoutes"),
            Subnet("MapB", "10.6.2.0/24", map_public=True, table="PublicRoutes"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        enis=[Eni("SoloData", "MapB", ["WebSg"], "10.6.2.11")],
        instances=[
            # Launched with two interfaces: no public IPv4 address on either.
            Instance("Dual", nics=[
                Nic(0, subnet="MapA", groups=["WebSg"], private_ip="10.6.1.10"),
                Nic(1, subnet="MapB", groups=["WebSg"], private_ip="10.6.2.10"),
            ]),
            # Launched with one interface in a mapping subnet: public eth0.
            Instance("Solo", subnet="MapA", groups=["WebSg"], private_ip="10.6.1.11", public_ip="3.84.60.11"),
        ],
        attachments=[Attach("SoloDataAttachment", "Solo", "SoloData", 1)],
    ),
    Case(
        "standalone-rules",
        "Security groups without inline rules: standalone ingress and egress resources, rules naming the other group; the standalone egress rule removes the group's default allow-all egress.",
        "10.7.0.0/16",
        subnets=[Subnet("PublicSubnet", "10.7.1.0/24", map_public=True, table="PublicRoutes")],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[
            Group("FrontSg", extra_ingress=[Rule("tcp", 80, cidr="0.0.0.0/0")],
                  extra_egress=[Rule("tcp", 8080, sg="BackSg")]),
            Group("BackSg", extra_ingress=[Rule("tcp", 8080, sg="FrontSg")]),
        ],
        instances=[
            Instance("Front", subnet="PublicSubnet", groups=["FrontSg"], private_ip="10.7.1.10", public_ip="3.84.70.10"),
            Instance("Back", subnet="PublicSubnet", groups=["BackSg"], private_ip="10.7.1.11", public_ip="3.84.70.11"),
        ],
    ),
    Case(
        "route-resources",
        "Route tables: a subnet whose table routes 0.0.0.0/0 to the internet gateway, one whose table has no such route, one with no association (the VPC's main table, local routes only). All map public addresses.",
        "10.8.0.0/16",
        subnets=[
            Subnet("RoutedSubnet", "10.8.1.0/24", map_public=True, table="PublicRoutes"),
            Subnet("IsolatedSubnet", "10.8.2.0/24", map_public=True, table="IsolatedRoutes"),
            Subnet("MainSubnet", "10.8.3.0/24", map_public=True),
        ],
        tables=[
            Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")]),
            Table("IsolatedRoutes", []),
        ],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        instances=[
            Instance("Web", subnet="RoutedSubnet", groups=["WebSg"], private_ip="10.8.1.10", public_ip="3.84.80.10"),
            Instance("Stuck", subnet="IsolatedSubnet", groups=["WebSg"], private_ip="10.8.2.10", public_ip="3.84.80.20"),
            Instance("Lost", subnet="MainSubnet", groups=["WebSg"], private_ip="10.8.3.10", public_ip="3.84.80.30"),
        ],
    ),
    Case(
        "nat",
        "A private instance behind a NAT gateway, and a public one in the NAT gateway's subnet.",
        "10.9.0.0/16",
        subnets=[
            Subnet("PublicSubnet", "10.9.1.0/24", map_public=True, table="PublicRoutes"),
            Subnet("PrivateSubnet", "10.9.2.0/24", table="PrivateRoutes"),
        ],
        tables=[
            Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")]),
            Table("PrivateRoutes", [("NatRoute", "0.0.0.0/0", "nat", "Nat")]),
        ],
        nats=[Nat("Nat", "PublicSubnet", "NatEip", "10.9.1.100", "54.211.90.100")],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        instances=[
            Instance("App", subnet="PrivateSubnet", groups=["WebSg"], private_ip="10.9.2.10"),
            Instance("Edge", subnet="PublicSubnet", groups=["WebSg"], private_ip="10.9.1.10", public_ip="3.84.90.10"),
        ],
    ),
    Case(
        "nacl",
        "Custom network ACLs: one allows tcp/80 in and tcp/80 out only (replies to ephemeral ports are denied), the other allows tcp/80 in, ephemeral ports in and out, and https out.",
        "10.10.0.0/16",
        subnets=[
            Subnet("BrokenSubnet", "10.10.1.0/24", map_public=True, table="PublicRoutes", acl="BrokenAcl"),
            Subnet("GoodSubnet", "10.10.2.0/24", map_public=True, table="PublicRoutes", acl="GoodAcl"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("WebSg", ingress=[HTTP_IN, Rule("tcp", 443, cidr="0.0.0.0/0")])],
        acls=[
            Acl("BrokenAcl", ["BrokenSubnet"], [
                (100, False, "allow", "6", 80, 80, "0.0.0.0/0"),
                (100, True, "allow", "6", 80, 80, "0.0.0.0/0"),
            ]),
            Acl("GoodAcl", ["GoodSubnet"], [
                (100, False, "allow", "6", 80, 80, "0.0.0.0/0"),
                (110, False, "allow", "6", 1024, 65535, "0.0.0.0/0"),
                (100, True, "allow", "6", 1024, 65535, "0.0.0.0/0"),
                (110, True, "allow", "6", 443, 443, "0.0.0.0/0"),
            ], tf="rules"),
        ],
        instances=[
            Instance("WebBroken", subnet="BrokenSubnet", groups=["WebSg"], private_ip="10.10.1.10", public_ip="3.84.100.10"),
            Instance("WebGood", subnet="GoodSubnet", groups=["WebSg"], private_ip="10.10.2.10", public_ip="3.84.100.20"),
        ],
    ),
    Case(
        "nlb-instance-target",
        "Two internet-facing network load balancers (TCP 80) with instance targets whose group admits tcp/80 from the VPC CIDR only: PreservingNlb's target group keeps the default (client IP preserved), RewritingNlb's sets preserve_client_ip.enabled false.",
        "10.11.0.0/16",
        subnets=[
            Subnet("LbSubnet", "10.11.1.0/24", table="PublicRoutes"),
            Subnet("AppSubnet", "10.11.2.0/24"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("TargetSg", ingress=[Rule("tcp", 80, cidr="10.11.0.0/16")])],
        instances=[
            Instance("TargetA", subnet="AppSubnet", groups=["TargetSg"], private_ip="10.11.2.10"),
            Instance("TargetB", subnet="AppSubnet", groups=["TargetSg"], private_ip="10.11.2.11"),
        ],
        lbs=[
            Lb("PreservingNlb", ["LbSubnet"], {"LbSubnet": ("10.11.1.50", "54.211.110.50")},
               [("PreservingListener", "TCP", 80, "PreservedTg")]),
            Lb("RewritingNlb", ["LbSubnet"], {"LbSubnet": ("10.11.1.60", "54.211.110.60")},
               [("RewritingListener", "TCP", 80, "RewrittenTg")]),
        ],
        tgs=[
            Tg("PreservedTg", "TCP", 80, "instance", [("TargetA", 80)]),
            Tg("RewrittenTg", "TCP", 80, "instance", [("TargetB", 80)], preserve=False),
        ],
    ),
    Case(
        "nlb-ip-target",
        "An internet-facing network load balancer with IP targets: TCP (client IP not preserved by default), UDP (always preserved) and TCP with preserve_client_ip.enabled true; each target admits one port from the VPC CIDR and one from an office range 198.51.100.0/24.",
        "10.12.0.0/16",
        subnets=[
            Subnet("LbSubnet", "10.12.1.0/24", table="PublicRoutes"),
            Subnet("AppSubnet", "10.12.2.0/24"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[
            Group("TcpSg", ingress=[Rule("tcp", 80, cidr="10.12.0.0/16"), Rule("tcp", 81, cidr="198.51.100.0/24")]),
            Group("UdpSg", ingress=[Rule("udp", 53, cidr="10.12.0.0/16"), Rule("udp", 54, cidr="198.51.100.0/24")]),
            Group("PreservedSg", ingress=[Rule("tcp", 90, cidr="10.12.0.0/16"), Rule("tcp", 91, cidr="198.51.100.0/24")]),
        ],
        instances=[
            Instance("TcpTarget", subnet="AppSubnet", groups=["TcpSg"], private_ip="10.12.2.10"),
            Instance("UdpTarget", subnet="AppSubnet", groups=["UdpSg"], private_ip="10.12.2.11"),
            Instance("PreservedTarget", subnet="AppSubnet", groups=["PreservedSg"], private_ip="10.12.2.12"),
        ],
        lbs=[
            Lb("IpNlb", ["LbSubnet"], {"LbSubnet": ("10.12.1.50", "54.211.120.50")}, [
                ("Tcp80Listener", "TCP", 80, "TcpVpcTg"),
                ("Tcp81Listener", "TCP", 81, "TcpOfficeTg"),
                ("Udp53Listener", "UDP", 53, "UdpVpcTg"),
                ("Udp54Listener", "UDP", 54, "UdpOfficeTg"),
                ("Tcp90Listener", "TCP", 90, "PreservedVpcTg"),
                ("Tcp91Listener", "TCP", 91, "PreservedOfficeTg"),
            ]),
        ],
        tgs=[
            Tg("TcpVpcTg", "TCP", 80, "ip", [("10.12.2.10", 80)]),
            Tg("TcpOfficeTg", "TCP", 81, "ip", [("10.12.2.10", 81)]),
            Tg("UdpVpcTg", "UDP", 53, "ip", [("10.12.2.11", 53)]),
            Tg("UdpOfficeTg", "UDP", 54, "ip", [("10.12.2.11", 54)]),
            Tg("PreservedVpcTg", "TCP", 90, "ip", [("10.12.2.12", 90)], preserve=True),
            Tg("PreservedOfficeTg", "TCP", 91, "ip", [("10.12.2.12", 91)], preserve=True),
        ],
    ),
    Case(
        "nlb-sg-reference",
        "An internet-facing network load balancer with a security group, and an instance target (client IP preserved) whose group admits tcp/80 only from the load balancer's group; the target also has a public address of its own.",
        "10.13.0.0/16",
        subnets=[
            Subnet("LbSubnet", "10.13.1.0/24", table="PublicRoutes"),
            Subnet("AppSubnet", "10.13.2.0/24", map_public=True, table="PublicRoutes"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[
            Group("NlbSg", ingress=[HTTP_IN]),
            Group("TargetSg", ingress=[Rule("tcp", 80, sg="NlbSg"), Rule("tcp", 22, cidr="0.0.0.0/0")]),
        ],
        instances=[
            Instance("Target", subnet="AppSubnet", groups=["TargetSg"], private_ip="10.13.2.10", public_ip="3.84.130.10"),
        ],
        lbs=[
            Lb("FrontNlb", ["LbSubnet"], {"LbSubnet": ("10.13.1.50", "54.211.130.50")},
               [("FrontListener", "TCP", 80, "FrontTg")], groups=["NlbSg"]),
        ],
        tgs=[Tg("FrontTg", "TCP", 80, "instance", [("Target", 80)])],
    ),
    Case(
        "nlb-target-nacl",
        "Two internet-facing network load balancers (TCP 80) with instance targets (client IP preserved, group admitting tcp/80 from anywhere and tcp/22 from the VPC) in subnets with custom network ACLs: TargetA's ACL admits tcp/80 from the VPC CIDR only, TargetB's from 0.0.0.0/0; both let replies out to ephemeral ports anywhere.",
        "10.14.0.0/16",
        subnets=[
            Subnet("LbSubnet", "10.14.1.0/24", table="PublicRoutes"),
            Subnet("SubnetA", "10.14.2.0/24", acl="AclA"),
            Subnet("SubnetB", "10.14.3.0/24", acl="AclB"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[
            Group("TargetSg", ingress=[Rule("tcp", 80, cidr="0.0.0.0/0"), Rule("tcp", 22, cidr="10.14.0.0/16")]),
            Group("ClientSg"),
        ],
        acls=[
            Acl("AclA", ["SubnetA"], [
                (100, False, "allow", "6", 80, 80, "10.14.0.0/16"),
                (100, True, "allow", "6", 1024, 65535, "0.0.0.0/0"),
            ]),
            Acl("AclB", ["SubnetB"], [
                (100, False, "allow", "6", 80, 80, "0.0.0.0/0"),
                (100, True, "allow", "6", 1024, 65535, "0.0.0.0/0"),
            ], tf="rules"),
        ],
        instances=[
            Instance("TargetA", subnet="SubnetA", groups=["TargetSg"], private_ip="10.14.2.10"),
            Instance("TargetB", subnet="SubnetB", groups=["TargetSg"], private_ip="10.14.3.10"),
            # LbSubnet does not map public addresses: Client has none.
            Instance("Client", subnet="LbSubnet", groups=["ClientSg"], private_ip="10.14.1.10"),
        ],
        lbs=[
            Lb("NlbA", ["LbSubnet"], {"LbSubnet": ("10.14.1.50", "54.211.140.50")},
               [("ListenerA", "TCP", 80, "TgA")]),
            Lb("NlbB", ["LbSubnet"], {"LbSubnet": ("10.14.1.60", "54.211.140.60")},
               [("ListenerB", "TCP", 80, "TgB")]),
        ],
        tgs=[
            Tg("TgA", "TCP", 80, "instance", [("TargetA", 80)]),
            Tg("TgB", "TCP", 80, "instance", [("TargetB", 80)]),
        ],
    ),
    Case(
        "vpc-endpoint",
        "A private subnet (its table has no route to the internet gateway) holding App, an interface endpoint for SSM (private DNS off) whose group admits tcp/443 from the VPC CIDR, and a gateway endpoint for S3 on the subnet's table.",
        "10.15.0.0/16",
        subnets=[Subnet("PrivateSubnet", "10.15.1.0/24", table="PrivateRoutes")],
        tables=[Table("PrivateRoutes", [])],
        groups=[
            Group("AppSg", ingress=[Rule("tcp", 443, cidr="0.0.0.0/0")]),
            Group("EndpointSg", ingress=[Rule("tcp", 443, cidr="10.15.0.0/16")]),
        ],
        instances=[
            # No public address: the subnet does not map them.
            Instance("App", subnet="PrivateSubnet", groups=["AppSg"], private_ip="10.15.1.10"),
        ],
        endpoints=[
            Endpoint("SsmEndpoint", "Interface", f"com.amazonaws.{REGION}.ssm", subnets=["PrivateSubnet"],
                     groups=["EndpointSg"], private_ips={"PrivateSubnet": "10.15.1.50"}),
            Endpoint("S3Endpoint", "Gateway", f"com.amazonaws.{REGION}.s3", tables=["PrivateRoutes"]),
        ],
    ),
    Case(
        "default-group",
        "Instances launched without a security group (the VPC's default group: Lone, Peer) beside one with its own group that admits nothing (Other), in a subnet that maps public addresses and routes to the internet gateway.",
        "10.16.0.0/16",
        subnets=[Subnet("PublicSubnet", "10.16.1.0/24", map_public=True, table="PublicRoutes")],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("OtherSg")],
        instances=[
            # The subnet maps public addresses on launch: all three get one.
            Instance("Lone", subnet="PublicSubnet", groups=[], private_ip="10.16.1.10", public_ip="3.84.160.10"),
            Instance("Peer", subnet="PublicSubnet", groups=[], private_ip="10.16.1.11", public_ip="3.84.160.11"),
            Instance("Other", subnet="PublicSubnet", groups=["OtherSg"], private_ip="10.16.1.12",
                     public_ip="3.84.160.12"),
        ],
        # network.yaml leaves Lone and Peer without security_groups and
        # declares no default group: the native format puts them in AWS's
        # default group with AWS's default rules.
    ),
    Case(
        "default-group-reference",
        "A group whose rule names the VPC's default security group (CloudFormation Vpc.DefaultSecurityGroup, Terraform aws_vpc.default_security_group_id): Member is launched without a group (the default group), Guarded admits ssh from the default group only, Outsider is in a group that admits nothing.",
        "10.17.0.0/16",
        subnets=[Subnet("PublicSubnet", "10.17.1.0/24", map_public=True, table="PublicRoutes")],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[
            Group("GuardedSg", ingress=[Rule("tcp", 22, sg=DEFAULT_GROUP)]),
            Group("OutsiderSg"),
        ],
        instances=[
            # The subnet maps public addresses on launch: all three get one.
            Instance("Member", subnet="PublicSubnet", groups=[], private_ip="10.17.1.10", public_ip="3.84.170.10"),
            Instance("Guarded", subnet="PublicSubnet", groups=["GuardedSg"], private_ip="10.17.1.11",
                     public_ip="3.84.170.11"),
            Instance("Outsider", subnet="PublicSubnet", groups=["OutsiderSg"], private_ip="10.17.1.12",
                     public_ip="3.84.170.12"),
        ],
        native_default_group=True,
    ),
    Case(
        "route-to-instance",
        "Routes whose target is an instance: AppRoutes (aws_route resources) sends 192.168.0.0/16 to Appliance, launched with its interface inline (SubnetId); DataRoutes (inline route blocks) sends 172.16.0.0/12 to Router, whose primary interface (device 0) is the declared RouterEni. Both appliances sit in EdgeSubnet, which does not map public addresses.",
        "10.18.0.0/16",
        subnets=[
            Subnet("EdgeSubnet", "10.18.1.0/24", table="EdgeRoutes"),
            Subnet("AppSubnet", "10.18.2.0/24", map_public=True, table="AppRoutes"),
            Subnet("DataSubnet", "10.18.3.0/24", table="DataRoutes"),
        ],
        tables=[
            Table("EdgeRoutes", [("EdgeInternetRoute", "0.0.0.0/0", "igw", "Igw")]),
            Table("AppRoutes", [
                ("AppInternetRoute", "0.0.0.0/0", "igw", "Igw"),
                ("ApplianceRoute", "192.168.0.0/16", "instance", "Appliance"),
            ]),
            Table("DataRoutes", [("RouterRoute", "172.16.0.0/12", "instance", "Router")], tf="inline"),
        ],
        groups=[
            Group("ApplianceSg", ingress=[Rule("tcp", 22, cidr="10.18.0.0/16"), Rule("tcp", 443, cidr="0.0.0.0/0")]),
            Group("AppSg", ingress=[HTTP_IN]),
        ],
        enis=[Eni("RouterEni", "EdgeSubnet", ["ApplianceSg"], "10.18.1.20")],
        instances=[
            # EdgeSubnet does not map public addresses: neither appliance has one.
            Instance("Appliance", subnet="EdgeSubnet", groups=["ApplianceSg"], private_ip="10.18.1.10"),
            Instance("Router", nics=[Nic(0, eni="RouterEni")]),
            # AppSubnet maps public addresses on launch.
            Instance("App", subnet="AppSubnet", groups=["AppSg"], private_ip="10.18.2.10", public_ip="3.84.180.10"),
            Instance("Data", subnet="DataSubnet", groups=["AppSg"], private_ip="10.18.3.10"),
        ],
    ),
    Case(
        "host-bits",
        "CIDRs written with host bits: WebSg admits ssh from 10.19.9.9/16 and lets https out to 198.51.100.200/25, BackupSg lets https out to 198.51.101.9/24; WebAcl admits ssh from 10.19.2.99/24 only; WebSubnet's only route beside the local one sends 198.51.100.77/24 to the internet gateway. AWS stores each block in its canonical form (10.19.0.0/16, 198.51.100.128/25, 198.51.101.0/24, 10.19.2.0/24, 198.51.100.0/24).",
        "10.19.0.0/16",
        subnets=[
            Subnet("WebSubnet", "10.19.1.0/24", map_public=True, table="PartnerRoutes", acl="WebAcl"),
            Subnet("AdminSubnet", "10.19.2.0/24"),
            Subnet("OtherSubnet", "10.19.3.0/24"),
        ],
        tables=[Table("PartnerRoutes", [("PartnerRoute", "198.51.100.77/24", "igw", "Igw")])],
        groups=[
            Group("WebSg", ingress=[Rule("tcp", 22, cidr="10.19.9.9/16")],
                  egress=[Rule("tcp", 443, cidr="198.51.100.200/25")]),
            Group("BackupSg", egress=[Rule("tcp", 443, cidr="198.51.101.9/24")]),
            Group("AdminSg"),
        ],
        acls=[
            Acl("WebAcl", ["WebSubnet"], [
                (100, False, "allow", "6", 22, 22, "10.19.2.99/24"),
                (110, False, "allow", "6", 1024, 65535, "0.0.0.0/0"),
                (100, True, "allow", "6", 1024, 65535, "10.19.7.7/16"),
                (110, True, "allow", "6", 443, 443, "0.0.0.0/0"),
            ], tf="rules"),
        ],
        instances=[
            # WebSubnet maps public addresses on launch.
            Instance("Web", subnet="WebSubnet", groups=["WebSg"], private_ip="10.19.1.10", public_ip="3.84.190.10"),
            Instance("Backup", subnet="WebSubnet", groups=["BackupSg"], private_ip="10.19.1.11",
                     public_ip="3.84.190.11"),
            Instance("Admin", subnet="AdminSubnet", groups=["AdminSg"], private_ip="10.19.2.10"),
            Instance("Other", subnet="OtherSubnet", groups=["AdminSg"], private_ip="10.19.3.10"),
        ],
    ),
    Case(
        "protocol-forms",
        "Protocols written in AWS's other forms: ServerSg admits IpProtocol -1 with FromPort/ToPort 80 from ClientSubnet, icmp type 8 code -1 from anywhere, protocol 6 port 8080 and protocol 17 port 53 from anywhere; ServerAcl allows protocol -1 with PortRange 80 in and 443 out.",
        "10.20.0.0/16",
        subnets=[
            Subnet("ServerSubnet", "10.20.1.0/24", map_public=True, table="PublicRoutes", acl="ServerAcl"),
            Subnet("ClientSubnet", "10.20.2.0/24"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[
            # Standalone rule resources: Terraform's aws_security_group
            # refuses ports on a "-1" rule, its rule resource passes them on.
            Group("ServerSg", extra_ingress=[
                Rule("-1", 80, 80, cidr="10.20.2.0/24"),
                Rule("icmp", 8, -1, cidr="0.0.0.0/0"),
                Rule("6", 8080, 8080, cidr="0.0.0.0/0"),
                Rule("17", 53, 53, cidr="0.0.0.0/0"),
            ]),
            Group("ClientSg"),
        ],
        acls=[
            Acl("ServerAcl", ["ServerSubnet"], [
                (100, False, "allow", "-1", 80, 80, "0.0.0.0/0"),
                (100, True, "allow", "-1", 443, 443, "0.0.0.0/0"),
            ], tf="rules"),
        ],
        instances=[
            # ServerSubnet maps public addresses on launch.
            Instance("Server", subnet="ServerSubnet", groups=["ServerSg"], private_ip="10.20.1.10",
                     public_ip="3.84.200.10"),
            Instance("Client", subnet="ClientSubnet", groups=["ClientSg"], private_ip="10.20.2.10"),
        ],
    ),
    Case(
        "endpoint-no-type",
        "A VPC endpoint for S3 written without its type (a gateway endpoint by default) on PublicRoutes, which also routes 0.0.0.0/0 to the internet gateway, and on PrivateRoutes, which has no other route.",
        "10.21.0.0/16",
        subnets=[
            Subnet("PublicSubnet", "10.21.1.0/24", map_public=True, table="PublicRoutes"),
            Subnet("PrivateSubnet", "10.21.2.0/24", table="PrivateRoutes"),
        ],
        tables=[
            Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")]),
            Table("PrivateRoutes", []),
        ],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        instances=[
            # PublicSubnet maps public addresses on launch; PrivateSubnet does not.
            Instance("Web", subnet="PublicSubnet", groups=["WebSg"], private_ip="10.21.1.10", public_ip="3.84.210.10"),
            Instance("App", subnet="PrivateSubnet", groups=["WebSg"], private_ip="10.21.2.10"),
        ],
        endpoints=[
            Endpoint("S3Endpoint", "Gateway", f"com.amazonaws.{REGION}.s3", tables=["PublicRoutes", "PrivateRoutes"],
                     typed=False),
        ],
    ),
    Case(
        "lb-no-scheme",
        "Two network load balancers (TCP 80, instance targets, no security groups) with nodes in LbSubnet: DefaultNlb written without a scheme (internet-facing by default) in front of OpenTarget, InternalNlb with scheme internal in front of HiddenTarget. The targets, without public addresses, admit tcp/80 from anywhere.",
        "10.22.0.0/16",
        subnets=[
            Subnet("LbSubnet", "10.22.1.0/24", table="PublicRoutes"),
            Subnet("AppSubnet", "10.22.2.0/24"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("TargetSg", ingress=[HTTP_IN]), Group("ClientSg")],
        instances=[
            # Neither subnet maps public addresses.
            Instance("OpenTarget", subnet="AppSubnet", groups=["TargetSg"], private_ip="10.22.2.10"),
            Instance("HiddenTarget", subnet="AppSubnet", groups=["TargetSg"], private_ip="10.22.2.11"),
            Instance("Client", subnet="LbSubnet", groups=["ClientSg"], private_ip="10.22.1.10"),
        ],
        lbs=[
            Lb("DefaultNlb", ["LbSubnet"], {"LbSubnet": ("10.22.1.50", "54.211.220.50")},
               [("DefaultListener", "TCP", 80, "DefaultTg")], scheme=None),
            # An internal load balancer's nodes have private addresses only.
            Lb("InternalNlb", ["LbSubnet"], {"LbSubnet": ("10.22.1.60", None)},
               [("InternalListener", "TCP", 80, "InternalTg")], scheme="internal"),
        ],
        tgs=[
            Tg("DefaultTg", "TCP", 80, "instance", [("OpenTarget", 80)]),
            Tg("InternalTg", "TCP", 80, "instance", [("HiddenTarget", 80)]),
        ],
    ),
    Case(
        "public-by-subnet-native",
        "public-by-subnet with the native format left to decide: Default (MappingSubnet) has no public_ip in network.yaml, OptOut (MappingSubnet, AssociatePublicIpAddress false) says public_ip none, OptIn (PlainSubnet, AssociatePublicIpAddress true) says auto, Plain (PlainSubnet) has none.",
        "10.23.0.0/16",
        subnets=[
            Subnet("MappingSubnet", "10.23.1.0/24", map_public=True, table="PublicRoutes"),
            Subnet("PlainSubnet", "10.23.2.0/24", table="PublicRoutes"),
        ],
        tables=[Table("PublicRoutes", [("InternetRoute", "0.0.0.0/0", "igw", "Igw")])],
        groups=[Group("WebSg", ingress=[HTTP_IN])],
        instances=[
            # MappingSubnet maps public addresses on launch.
            Instance("Default", subnet="MappingSubnet", groups=["WebSg"], private_ip="10.23.1.10", public_ip="3.84.230.10",
                     native_public="omit"),
            # AssociatePublicIpAddress false: none.
            Instance("OptOut", subnet="MappingSubnet", groups=["WebSg"], private_ip="10.23.1.11", associate=False,
                     native_public="none"),
            # AssociatePublicIpAddress true: one, though PlainSubnet does not map.
            Instance("OptIn", subnet="PlainSubnet", groups=["WebSg"], private_ip="10.23.2.10", associate=True,
                     public_ip="3.84.230.20", native_public="auto"),
            # PlainSubnet does not map public addresses: none.
            Instance("Plain", subnet="PlainSubnet", groups=["WebSg"], private_ip="10.23.2.11"),
        ],
    ),
    Case(
        "vpn-gateway",
        "A virtual private gateway attached to the VPC with a Site-to-Site VPN connection (static route 192.168.0.0/16) to a customer gateway; AppSubnet's table routes 192.168.0.0/16 to the gateway, IsolatedSubnet uses the main table (local routes only). No internet gateway.",
        "10.24.0.0/16",
        subnets=[
            Subnet("AppSubnet", "10.24.1.0/24", table="VpnRoutes"),
            Subnet("IsolatedSubnet", "10.24.2.0/24"),
        ],
        tables=[Table("VpnRoutes", [("OnPremRoute", "192.168.0.0/16", "vgw", "Vgw")])],
        igw=False,
        vgw=Vgw("Vgw", connection=("OfficeGateway", "203.0.113.12", 65000, "OfficeVpn", ["192.168.0.0/16"])),
        groups=[Group("AppSg", ingress=[Rule("tcp", 22, cidr="192.168.0.0/16")])],
        instances=[
            Instance("App", subnet="AppSubnet", groups=["AppSg"], private_ip="10.24.1.10"),
            Instance("Isolated", subnet="IsolatedSubnet", groups=["AppSg"], private_ip="10.24.2.10"),
        ],
    ),
    Case(
        "vpn-gateway-unconnected",
        "A virtual private gateway attached to the VPC (by a separate attachment) with no VPN connection; WebSubnet's table routes 192.168.0.0/16 to it and 0.0.0.0/0 to the internet gateway.",
        "10.25.0.0/16",
        subnets=[
            Subnet("WebSubnet", "10.25.1.0/24", map_public=True, table="WebRoutes"),
            Subnet("AppSubnet", "10.25.2.0/24"),
        ],
        tables=[Table("WebRoutes", [
            ("InternetRoute", "0.0.0.0/0", "igw", "Igw"),
            ("OnPremRoute", "192.168.0.0/16", "vgw", "Vgw"),
        ])],
        vgw=Vgw("Vgw", attach="resource"),
        groups=[Group("WebSg", ingress=[HTTP_IN, Rule("tcp", 22, cidr="192.168.0.0/16")])],
        instances=[
            # WebSubnet maps public addresses on launch; AppSubnet does not.
            Instance("Web", subnet="WebSubnet", groups=["WebSg"], private_ip="10.25.1.10", public_ip="3.84.250.10"),
            Instance("App", subnet="AppSubnet", groups=["WebSg"], private_ip="10.25.2.10"),
        ],
    ),
]


# --- interfaces as deployed ----------------------------------------------------------

def interfaces(case):
    """Every instance and standalone interface as deployed: dicts with name
    (the interface's own name), instance, device, subnet, groups, private_ip,
    public_ip, eni (the declared ENI's name, if any), eip (its name, if any)."""
    enis = {e.name: e for e in case.enis}
    out = []
    used = set()
    for inst in case.instances:
        if inst.nics is None:
            out.append(dict(name=f"{inst.name}-eth0", instance=inst.name, device=0, subnet=inst.subnet,
                            groups=inst.groups, private_ip=inst.private_ip, public_ip=inst.public_ip, eni=None))
        else:
            for nic in inst.nics:
                if nic.eni:
                    e = enis[nic.eni]
                    used.add(e.name)
                    out.append(dict(name=e.name, instance=inst.name, device=nic.device, subnet=e.subnet,
                                    groups=e.groups, private_ip=e.private_ip, public_ip=None, eni=e.name))
                else:
                    out.append(dict(name=f"{inst.name}-eth{nic.device}", instance=inst.name, device=nic.device,
                                    subnet=nic.subnet, groups=nic.groups, private_ip=nic.private_ip,
                                    public_ip=nic.public_ip, eni=None))
    for a in case.attachments:
        e = enis[a.eni]
        used.add(e.name)
        out.append(dict(name=e.name, instance=a.instance, device=a.device, subnet=e.subnet, groups=e.groups,
                        private_ip=e.private_ip, public_ip=None, eni=e.name))
    for e in case.enis:
        if e.name not in used:
            out.append(dict(name=e.name, instance=None, device=None, subnet=e.subnet, groups=e.groups,
                            private_ip=e.private_ip, public_ip=None, eni=e.name))
    for i in out:
        i["eip"] = None
    for eip in case.eips:
        for i in out:
            if (eip.instance and i["instance"] == eip.instance and i["device"] == 0) or (eip.eni and i["eni"] == eip.eni):
                # The Elastic IP replaces any public address the interface had.
                i["public_ip"] = eip.public_ip
                i["eip"] = eip.name
    return out


# --- a small YAML writer (CloudFormation short intrinsics included) ----------------

class Ref:
    def __init__(self, name, attr=None):
        self.name, self.attr = name, attr


def GetAtt(name, attr):
    return Ref(name, attr)


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Ref):
        return f"!GetAtt {v.name}.{v.attr}" if v.attr else f"!Ref {v.name}"
    s = str(v)
    plain = s and all(c.isalnum() or c in "-_./:" for c in s) and not s[0] in "-:!&*" \
        and s not in ("true", "false", "yes", "no", "null", "on", "off") and not s.replace(".", "").isdigit() \
        and not re.match(r"^\d{4}-\d{2}-\d{2}", s)
    return s if plain else json.dumps(s)


def is_flow(v):
    """Small leaf mappings and lists are written on one line."""
    if isinstance(v, dict):
        return all(not isinstance(x, (dict, list)) for x in v.values()) and len(v) <= 7
    if isinstance(v, list):
        return all(not isinstance(x, (dict, list)) for x in v)
    return True


def flow(v):
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {scalar(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(scalar(x) for x in v) + "]"
    return scalar(v)


def yaml(v, indent=0):
    pad = " " * indent
    lines = []
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and not is_flow(x):
                lines.append(f"{pad}{k}:")
                lines.append(yaml(x, indent + 2))
            else:
                lines.append(f"{pad}{k}: {flow(x)}")
    else:
        for x in v:
            if isinstance(x, dict) and not is_flow(x):
                inner = yaml(x, indent + 2).split("\n")
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {flow(x)}")
    return "\n".join(lines)


# --- CloudFormation ------------------------------------------------------------------

def name_tags(name):
    return [{"Key": "Name", "Value": name}]


def cfn_rule(r, egress):
    out = {"IpProtocol": r.proto}
    if r.lo is not None:
        out["FromPort"], out["ToPort"] = r.lo, r.hi
    if r.cidr:
        out["CidrIp"] = r.cidr
    else:
        # The VPC's default group has no logical id: the VPC's attribute names it.
        peer = GetAtt("Vpc", "DefaultSecurityGroup") if r.sg == DEFAULT_GROUP else Ref(r.sg, "GroupId")
        out["DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"] = peer
    return out


def template(case):
    res = {}

    def R(name, kind, props, depends=None):
        res[name] = {"Type": kind}
        if depends:
            res[name]["DependsOn"] = depends
        res[name]["Properties"] = props

    R(case.vpc, "AWS::EC2::VPC", {"CidrBlock": case.vpc_cidr, "Tags": name_tags(case.vpc)})
    if case.igw:
        R(case.igw, "AWS::EC2::InternetGateway", {"Tags": name_tags(case.igw)})
        R("IgwAttachment", "AWS::EC2::VPCGatewayAttachment", {"VpcId": Ref(case.vpc), "InternetGatewayId": Ref(case.igw)})
    if case.vgw:
        v = case.vgw
        R(v.name, "AWS::EC2::VPNGateway", {"Type": "ipsec.1", "Tags": name_tags(v.name)})
        R(f"{v.name}Attachment", "AWS::EC2::VPCGatewayAttachment", {"VpcId": Ref(case.vpc), "VpnGatewayId": Ref(v.name)})
        if v.connection:
            cgw, address, asn, vpn, static = v.connection
            R(cgw, "AWS::EC2::CustomerGateway", {"BgpAsn": asn, "IpAddress": address, "Type": "ipsec.1",
                                                "Tags": name_tags(cgw)})
            R(vpn, "AWS::EC2::VPNConnection", {"CustomerGatewayId": Ref(cgw), "StaticRoutesOnly": True,
                                               "Type": "ipsec.1", "VpnGatewayId": Ref(v.name), "Tags": name_tags(vpn)})
            for k, dest in enumerate(static):
                R(f"{vpn}Route{k}", "AWS::EC2::VPNConnectionRoute", {"DestinationCidrBlock": dest,
                                                                     "VpnConnectionId": Ref(vpn)})
    for s in case.subnets:
        p = {"VpcId": Ref(case.vpc), "CidrBlock": s.cidr, "AvailabilityZone": AZ}
        if s.map_public:
            p["MapPublicIpOnLaunch"] = True
        p["Tags"] = name_tags(s.name)
        R(s.name, "AWS::EC2::Subnet", p)
    for n in case.nats:
        R(n.eip, "AWS::EC2::EIP", {"Domain": "vpc"}, depends="IgwAttachment")
        R(n.name, "AWS::EC2::NatGateway", {"AllocationId": GetAtt(n.eip, "AllocationId"), "SubnetId": Ref(n.subnet),
                                           "Tags": name_tags(n.name)})
    for t in case.tables:
        R(t.name, "AWS::EC2::RouteTable", {"VpcId": Ref(case.vpc), "Tags": name_tags(t.name)})
        for rname, dest, kind, target in t.routes:
            p = {"RouteTableId": Ref(t.name), "DestinationCidrBlock": dest}
            p[{"igw": "GatewayId", "vgw": "GatewayId", "nat": "NatGatewayId", "instance": "InstanceId"}[kind]] = Ref(target)
            # A route to a gateway needs the gateway attached first.
            depends = {"igw": "IgwAttachment", "vgw": f"{target}Attachment"}.get(kind)
            R(rname, "AWS::EC2::Route", p, depends=depends)
    for s in case.subnets:
        if s.table:
            R(f"{s.name}Routes", "AWS::EC2::SubnetRouteTableAssociation", {"SubnetId": Ref(s.name), "RouteTableId": Ref(s.table)})
    for a in case.acls:
        R(a.name, "AWS::EC2::NetworkAcl", {"VpcId": Ref(case.vpc), "Tags": name_tags(a.name)})
        for number, egress, action, proto, lo, hi, cidr in a.entries:
            R(f"{a.name}{'Out' if egress else 'In'}{number}", "AWS::EC2::NetworkAclEntry", {
                "NetworkAclId": Ref(a.name), "RuleNumber": number, "Protocol": int(proto), "RuleAction": action,
                "Egress": egress, "CidrBlock": cidr, **({"PortRange": {"From": lo, "To": hi}} if lo is not None else {})})
        for s in a.subnets:
            R(f"{s}Acl", "AWS::EC2::SubnetNetworkAclAssociation", {"SubnetId": Ref(s), "NetworkAclId": Ref(a.name)})
    for g in case.groups:
        p = {"GroupDescription": g.name, "VpcId": Ref(case.vpc)}
        if g.ingress:
            p["SecurityGroupIngress"] = [cfn_rule(r, False) for r in g.ingress]
        if g.egress is not None:
            p["SecurityGroupEgress"] = [cfn_rule(r, True) for r in g.egress]
        p["Tags"] = name_tags(g.name)
        R(g.name, "AWS::EC2::SecurityGroup", p)
        for i, r in enumerate(g.extra_ingress):
            R(f"{g.name}Ingress{i}", "AWS::EC2::SecurityGroupIngress", dict(GroupId=Ref(g.name, "GroupId"), **cfn_rule(r, False)))
        for i, r in enumerate(g.extra_egress):
            R(f"{g.name}Egress{i}", "AWS::EC2::SecurityGroupEgress", dict(GroupId=Ref(g.name, "GroupId"), **cfn_rule(r, True)))
    for e in case.enis:
        R(e.name, "AWS::EC2::NetworkInterface", {"SubnetId": Ref(e.subnet), "GroupSet": [Ref(x) for x in e.groups],
                                                 "PrivateIpAddress": e.private_ip, "Tags": name_tags(e.name)})
    for inst in case.instances:
        p = {"ImageId": AMI, "InstanceType": "t3.micro"}
        if inst.nics is None and inst.associate is None:
            p["SubnetId"] = Ref(inst.subnet)
            if inst.groups:
                # Without SecurityGroupIds (and SecurityGroups) the instance
                # is in the VPC's default group.
                p["SecurityGroupIds"] = [Ref(x) for x in inst.groups]
            p["PrivateIpAddress"] = inst.private_ip
        else:
            nics = inst.nics or [Nic(0, subnet=inst.subnet, groups=inst.groups, private_ip=inst.private_ip,
                                     associate=inst.associate)]
            p["NetworkInterfaces"] = []
            for nic in nics:
                if nic.eni:
                    p["NetworkInterfaces"].append({"DeviceIndex": str(nic.device), "NetworkInterfaceId": Ref(nic.eni)})
                    continue
                n = {"DeviceIndex": str(nic.device), "SubnetId": Ref(nic.subnet)}
                if nic.associate is not None:
                    n["AssociatePublicIpAddress"] = nic.associate
                n["GroupSet"] = [Ref(x) for x in nic.groups]
                n["PrivateIpAddress"] = nic.private_ip
                p["NetworkInterfaces"].append(n)
        p["Tags"] = name_tags(inst.name)
        R(inst.name, "AWS::EC2::Instance", p)
    for a in case.attachments:
        R(a.name, "AWS::EC2::NetworkInterfaceAttachment", {"InstanceId": Ref(a.instance), "NetworkInterfaceId": Ref(a.eni),
                                                          "DeviceIndex": str(a.device)})
    for eip in case.eips:
        if eip.association is None:
            R(eip.name, "AWS::EC2::EIP", {"Domain": "vpc", "InstanceId": Ref(eip.instance)}, depends="IgwAttachment")
        else:
            R(eip.name, "AWS::EC2::EIP", {"Domain": "vpc"}, depends="IgwAttachment")
            p = {"AllocationId": GetAtt(eip.name, "AllocationId")}
            if eip.instance:
                p["InstanceId"] = Ref(eip.instance)
            else:
                p["NetworkInterfaceId"] = Ref(eip.eni)
            R(eip.association, "AWS::EC2::EIPAssociation", p)
    for e in case.endpoints:
        p = {"VpcId": Ref(case.vpc), "ServiceName": e.service}
        if e.typed:
            p["VpcEndpointType"] = e.kind
        if e.kind == "Interface":
            p["SubnetIds"] = [Ref(x) for x in e.subnets]
            p["SecurityGroupIds"] = [Ref(x) for x in e.groups]
            p["PrivateDnsEnabled"] = False
        else:
            p["RouteTableIds"] = [Ref(x) for x in e.tables]
        R(e.name, "AWS::EC2::VPCEndpoint", p)
    for lb in case.lbs:
        p = {"Name": lb.name, "Type": "network"}
        if lb.scheme:
            p["Scheme"] = lb.scheme
        p["Subnets"] = [Ref(s) for s in lb.subnets]
        if lb.groups:
            p["SecurityGroups"] = [Ref(g) for g in lb.groups]
        R(lb.name, "AWS::ElasticLoadBalancingV2::LoadBalancer", p, depends="IgwAttachment")
    for tg in case.tgs:
        p = {"Name": tg.name, "Protocol": tg.proto, "Port": tg.port, "TargetType": tg.target_type, "VpcId": Ref(case.vpc),
             "Targets": [{"Id": Ref(t) if tg.target_type == "instance" else t, "Port": port} for t, port in tg.targets]}
        if tg.preserve is not None:
            p["TargetGroupAttributes"] = [{"Key": "preserve_client_ip.enabled", "Value": "true" if tg.preserve else "false"}]
        R(tg.name, "AWS::ElasticLoadBalancingV2::TargetGroup", p)
    for lb in case.lbs:
        for lname, proto, port, tg in lb.listeners:
            R(lname, "AWS::ElasticLoadBalancingV2::Listener", {
                "LoadBalancerArn": Ref(lb.name), "Port": port, "Protocol": proto,
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": Ref(tg)}]})
    if case.order:
        first = {k: res[k] for k in case.order}
        res = dict(first, **{k: v for k, v in res.items() if k not in first})
    doc = {"AWSTemplateFormatVersion": "2010-09-09", "Description": case.doc, "Resources": res}
    return "# Written by tests/facts/write.py; the facts are in facts.np.\n" + yaml(doc) + "\n"


# --- the AWS CLI dump ------------------------------------------------------------------

STACK = "facts"


def aws_id(case, prefix, logical, length=17):
    digest = hashlib.sha256(f"{case.name}/{prefix}/{logical}".encode()).hexdigest()
    return f"{prefix}-0{digest[: length - 1]}"


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=4)
        f.write("\n")


def dump(case, out):
    stack = f"{STACK}-{case.name}"
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/6a7b1c20-8f2e-11ef-9a3c-0e5d1b2c3d4f"

    def tags(logical, name=True):
        t = [{"Key": "Name", "Value": logical}] if name else []
        return t + [
            {"Key": "aws:cloudformation:stack-name", "Value": stack},
            {"Key": "aws:cloudformation:logical-id", "Value": logical},
            {"Key": "aws:cloudformation:stack-id", "Value": stack_id},
        ]

    I = lambda prefix, logical: aws_id(case, prefix, logical)
    vpc_id = I("vpc", case.vpc)
    subnets = {s.name: s for s in case.subnets}
    groups = {g.name: g for g in case.groups}
    w = lambda name, data: write_json(os.path.join(out, name), data)
    ifaces = interfaces(case)

    w("ec2-describe-vpcs.json", {"Vpcs": [{
        "OwnerId": ACCOUNT,
        "InstanceTenancy": "default",
        "CidrBlockAssociationSet": [{
            "AssociationId": I("vpc-cidr-assoc", case.vpc),
            "CidrBlock": case.vpc_cidr,
            "CidrBlockState": {"State": "associated"},
        }],
        "IsDefault": False,
        "Tags": tags(case.vpc),
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
        "VpcId": vpc_id,
        "State": "available",
        "CidrBlock": case.vpc_cidr,
        "DhcpOptionsId": "dopt-0f1e2d3c4b5a69788",
    }]})

    w("ec2-describe-subnets.json", {"Subnets": [
        {
            "AvailabilityZoneId": AZ_ID,
            "MapCustomerOwnedIpOnLaunch": False,
            "OwnerId": ACCOUNT,
            "AssignIpv6AddressOnCreation": False,
            "Ipv6CidrBlockAssociationSet": [],
            "Tags": tags(s.name),
            "SubnetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{I('subnet', s.name)}",
            "EnableDns64": False,
            "Ipv6Native": False,
            "PrivateDnsNameOptionsOnLaunch": {
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": False,
                "EnableResourceNameDnsAAAARecord": False,
            },
            "SubnetId": I("subnet", s.name),
            "State": "available",
            "VpcId": vpc_id,
            "CidrBlock": s.cidr,
            "AvailableIpAddressCount": 251 - sum(1 for i in ifaces if i["subnet"] == s.name),
            "AvailabilityZone": AZ,
            "DefaultForAz": False,
            "MapPublicIpOnLaunch": s.map_public,
        }
        for s in case.subnets
    ]})

    def prefix_list(e):
        assert e.service == f"com.amazonaws.{REGION}.s3", e.service
        return S3_PREFIX_LIST

    def target_id(kind, target):
        return ("GatewayId", I("igw", target)) if kind == "igw" else ("NatGatewayId", I("nat", target))

    def route(dest, kind, target):
        """A route as describe-route-tables prints it: the canonical
        destination; a route to an instance names the instance and its
        primary interface (device 0)."""
        r = [("DestinationCidrBlock", canonical(dest))]
        if kind == "vgw":
            r.append(("GatewayId", I("vgw", target)))
        elif kind == "instance":
            primary = next(i for i in ifaces if i["instance"] == target and i["device"] == 0)
            r += [("InstanceId", I("i", target)), ("InstanceOwnerId", ACCOUNT),
                  ("NetworkInterfaceId", I("eni", primary["name"]))]
        else:
            r.append(target_id(kind, target))
        return dict(r + [("Origin", "CreateRoute"), ("State", "active")])

    local = {"DestinationCidrBlock": case.vpc_cidr, "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}
    tables = []
    for t in case.tables:
        tables.append({
            "Associations": [
                {
                    "Main": False,
                    "RouteTableAssociationId": I("rtbassoc", f"{t.name}/{s.name}"),
                    "RouteTableId": I("rtb", t.name),
                    "SubnetId": I("subnet", s.name),
                    "AssociationState": {"State": "associated"},
                }
                for s in case.subnets if s.table == t.name
            ],
            "PropagatingVgws": [],
            "RouteTableId": I("rtb", t.name),
            "Routes": [dict(local)] + [
                route(dest, kind, target)
                for _, dest, kind, target in t.routes
            ] + [
                # The route AWS adds for a gateway endpoint on this table.
                {"DestinationPrefixListId": prefix_list(e), "GatewayId": I("vpce", e.name), "Origin": "CreateRoute",
                 "State": "active"}
                for e in case.endpoints if e.kind == "Gateway" and t.name in e.tables
            ],
            "Tags": tags(t.name),
            "VpcId": vpc_id,
            "OwnerId": ACCOUNT,
        })
    # The main route table AWS creates with the VPC: local routes only.
    main = I("rtb", f"{case.vpc}/main")
    tables.append({
        "Associations": [{
            "Main": True,
            "RouteTableAssociationId": I("rtbassoc", f"{case.vpc}/main"),
            "RouteTableId": main,
            "AssociationState": {"State": "associated"},
        }],
        "PropagatingVgws": [],
        "RouteTableId": main,
        "Routes": [dict(local)],
        "Tags": [],
        "VpcId": vpc_id,
        "OwnerId": ACCOUNT,
    })
    w("ec2-describe-route-tables.json", {"RouteTables": tables})

    default_sg = I("sg", f"{case.vpc}/default")

    def permissions(rules):
        out = []
        for r in rules:
            # A number is reported by its name (6: tcp); "-1" keeps no ports
            # (AWS ignores them); icmp keeps its type and code.
            proto = PROTOCOL_NAMES.get(r.proto, r.proto)
            p = {"IpProtocol": proto}
            if proto in ("tcp", "udp", "icmp") and r.lo is not None:
                p["FromPort"], p["ToPort"] = r.lo, r.hi
            peer = (default_sg if r.sg == DEFAULT_GROUP else I("sg", r.sg)) if r.sg else None
            p["UserIdGroupPairs"] = [{"UserId": ACCOUNT, "GroupId": peer}] if r.sg else []
            p["IpRanges"] = [{"CidrIp": canonical(r.cidr)}] if r.cidr else []
            p["Ipv6Ranges"] = []
            p["PrefixListIds"] = []
            out.append(p)
        return out

    sgs = []
    for g in case.groups:
        sgs.append({
            "GroupId": I("sg", g.name),
            "IpPermissionsEgress": permissions(effective_egress(g)),
            "Tags": tags(g.name),
            "VpcId": vpc_id,
            "SecurityGroupArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{I('sg', g.name)}",
            "OwnerId": ACCOUNT,
            "GroupName": f"{stack}-{g.name}-{I('x', g.name)[2:14].upper()}",
            "Description": g.name,
            "IpPermissions": permissions(g.ingress + g.extra_ingress),
        })
    sgs.append({
        "GroupId": default_sg,
        "IpPermissionsEgress": permissions([ALL_OUT]),
        "VpcId": vpc_id,
        "SecurityGroupArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{default_sg}",
        "OwnerId": ACCOUNT,
        "GroupName": "default",
        "Description": "default VPC security group",
        "IpPermissions": [{
            "IpProtocol": "-1",
            "UserIdGroupPairs": [{"UserId": ACCOUNT, "GroupId": default_sg}],
            "IpRanges": [],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
        }],
    })
    w("ec2-describe-security-groups.json", {"SecurityGroups": sgs})

    def entry(number, egress, action, proto, lo=None, hi=None, cidr="0.0.0.0/0"):
        e = {"CidrBlock": canonical(cidr), "Egress": egress, "Protocol": proto}
        # An entry for all protocols applies to all ports: no range is kept
        # (assumed, as AWS keeps none on a "-1" security-group rule; no
        # document says what describe-network-acls shows for one).
        if lo is not None and proto != "-1":
            e["PortRange"] = {"From": lo, "To": hi}
        e["RuleAction"] = action
        e["RuleNumber"] = number
        return e

    custom = {s for a in case.acls for s in a.subnets}
    acls = [{
        "Associations": [
            {"NetworkAclAssociationId": I("aclassoc", s.name), "NetworkAclId": I("acl", f"{case.vpc}/default"),
             "SubnetId": I("subnet", s.name)}
            for s in case.subnets if s.name not in custom
        ],
        "Entries": [entry(n, eg, act, "-1") for eg in (True, False) for n, act in ((100, "allow"), (32767, "deny"))],
        "IsDefault": True,
        "NetworkAclId": I("acl", f"{case.vpc}/default"),
        "Tags": [],
        "VpcId": vpc_id,
        "OwnerId": ACCOUNT,
    }]
    for a in case.acls:
        entries = [entry(n, eg, act, p, lo, hi, c) for n, eg, act, p, lo, hi, c in a.entries]
        entries += [entry(32767, eg, "deny", "-1") for eg in (True, False)]
        entries.sort(key=lambda e: (not e["Egress"], e["RuleNumber"]))
        acls.append({
            "Associations": [
                {"NetworkAclAssociationId": I("aclassoc", s), "NetworkAclId": I("acl", a.name), "SubnetId": I("subnet", s)}
                for s in a.subnets
            ],
            "Entries": entries,
            "IsDefault": False,
            "NetworkAclId": I("acl", a.name),
            "Tags": tags(a.name),
            "VpcId": vpc_id,
            "OwnerId": ACCOUNT,
        })
    w("ec2-describe-network-acls.json", {"NetworkAcls": acls})

    def private_dns(ip):
        return f"ip-{ip.replace('.', '-')}.ec2.internal"

    def association(public, owner, eip=None):
        a = {}
        if eip:
            a["AllocationId"] = I("eipalloc", eip)
            a["AssociationId"] = I("eipassoc", eip)
        a.update({
            "IpOwnerId": owner,
            "PublicDnsName": f"ec2-{public.replace('.', '-')}.compute-1.amazonaws.com",
            "PublicIp": public,
        })
        return a

    def group_id(g):
        return default_sg if g == DEFAULT_GROUP else I("sg", g)

    def group_refs(names):
        return [{"GroupName": next(s["GroupName"] for s in sgs if s["GroupId"] == group_id(g)), "GroupId": group_id(g)}
                for g in names]

    def interface(eni, subnet, group_names, ip, public, description, attachment, kind="interface", requester=None,
                  owner="amazon", eip=None, tag_set=()):
        n = {}
        if public:
            n["Association"] = association(public, ACCOUNT if eip else owner, eip)
        if attachment:
            n["Attachment"] = attachment
        n.update({
            "AvailabilityZone": AZ,
            "ConnectionTrackingConfiguration": {"TcpEstablishedTimeout": 432000, "UdpStreamTimeout": 180, "UdpTimeout": 30},
            "Description": description,
            "Groups": group_refs(group_names),
            "InterfaceType": kind,
            "Ipv6Addresses": [],
            "MacAddress": "0e:" + ":".join(hashlib.md5(eni.encode()).hexdigest()[i:i + 2] for i in range(0, 10, 2)),
            "NetworkInterfaceId": eni,
            "OwnerId": ACCOUNT,
            "PrivateDnsName": private_dns(ip),
            "PrivateIpAddress": ip,
            "PrivateIpAddresses": [dict(
                ({"Association": association(public, ACCOUNT if eip else owner)} if public else {}),
                Primary=True,
                PrivateDnsName=private_dns(ip),
                PrivateIpAddress=ip,
            )],
            "Ipv4Prefixes": [],
            "Ipv6Prefixes": [],
        })
        if requester:
            n["RequesterId"] = requester
        n.update({
            "RequesterManaged": requester is not None,
            "SourceDestCheck": True,
            "Status": "in-use" if attachment or kind != "interface" else "available",
            "SubnetId": I("subnet", subnet),
            "TagSet": list(tag_set),
            "VpcId": vpc_id,
        })
        return n

    enis = []
    eni_of = {}
    for i in ifaces:
        eni = I("eni", i["name"])
        eni_of[i["name"]] = eni
        attachment = None
        if i["instance"]:
            attachment = {
                "AttachTime": "2026-11-02T09:14:51+00:00",
                "AttachmentId": I("eni-attach", i["name"]),
                "DeleteOnTermination": i["eni"] is None,
                "DeviceIndex": i["device"],
                "NetworkCardIndex": 0,
                "InstanceId": I("i", i["instance"]),
                "InstanceOwnerId": ACCOUNT,
                "Status": "attached",
            }
        # An instance launched without a group is in the VPC's default group.
        enis.append(interface(eni, i["subnet"], i["groups"] or [DEFAULT_GROUP], i["private_ip"], i["public_ip"], "", attachment,
                              eip=i["eip"], tag_set=tags(i["eni"]) if i["eni"] else ()))

    lb_ids = {lb.name: f"net/{lb.name}/{hashlib.sha256((case.name + lb.name).encode()).hexdigest()[:16]}" for lb in case.lbs}
    for lb in case.lbs:
        for s in lb.subnets:
            private, public = lb.nodes[s]
            eni = I("eni", f"{lb.name}/{s}")
            enis.append(interface(eni, s, lb.groups or [], private, public, f"ELB {lb_ids[lb.name]}", None,
                                  kind="network_load_balancer", requester="amazon-elb", owner="amazon-elb"))
    for n in case.nats:
        enis.append(interface(I("eni", n.name), n.subnet, [], n.private_ip, n.public_ip,
                              f"Interface for NAT Gateway {I('nat', n.name)}", None, kind="nat_gateway",
                              requester="AIDAJQ4CNXO5EXAMPLE", owner=ACCOUNT, eip=n.eip))
    for e in case.endpoints:
        for sub in e.subnets:
            # An endpoint network interface: requester-managed, private address only.
            enis.append(interface(I("eni", f"{e.name}/{sub}"), sub, e.groups, e.private_ips[sub], None,
                                  f"VPC Endpoint Interface {I('vpce', e.name)}", None, kind="vpc_endpoint",
                                  requester="727180483921"))
    w("ec2-describe-network-interfaces.json", {"NetworkInterfaces": enis})

    reservations = []
    for inst in case.instances:
        mine = sorted((i for i in ifaces if i["instance"] == inst.name), key=lambda i: i["device"])
        nis = []
        for i in mine:
            e = next(x for x in enis if x["NetworkInterfaceId"] == eni_of[i["name"]])
            ni = {k: e[k] for k in e if k not in ("AvailabilityZone", "ConnectionTrackingConfiguration",
                                                   "RequesterManaged", "TagSet", "InterfaceType")}
            if "Association" in ni:
                ni["Association"] = {k: v for k, v in ni["Association"].items() if k in ("IpOwnerId", "PublicDnsName", "PublicIp")}
            ni["InterfaceType"] = "interface"
            nis.append(ni)
        primary = mine[0]
        all_groups = []
        for i in mine:
            for g in i["groups"]:
                if g not in all_groups:
                    all_groups.append(g)
        inst_json = {
            "Architecture": "x86_64",
            "BlockDeviceMappings": [{
                "DeviceName": "/dev/xvda",
                "Ebs": {"AttachTime": "2026-11-02T09:14:52+00:00", "DeleteOnTermination": True, "Status": "attached",
                        "VolumeId": I("vol", inst.name)},
            }],
            "ClientToken": f"{stack[:8]}-{inst.name[:8]}-1A2B3C4D5E6F",
            "EbsOptimized": False,
            "EnaSupport": True,
            "Hypervisor": "xen",
            "NetworkInterfaces": nis,
            "RootDeviceName": "/dev/xvda",
            "RootDeviceType": "ebs",
            "SecurityGroups": group_refs(primary["groups"] or [DEFAULT_GROUP]),
            "SourceDestCheck": True,
            "Tags": tags(inst.name),
            "VirtualizationType": "hvm",
            "InstanceId": I("i", inst.name),
            "ImageId": AMI,
            "State": {"Code": 16, "Name": "running"},
            "PrivateDnsName": private_dns(primary["private_ip"]),
            "PublicDnsName": f"ec2-{primary['public_ip'].replace('.', '-')}.compute-1.amazonaws.com" if primary["public_ip"] else "",
            "StateTransitionReason": "",
            "AmiLaunchIndex": 0,
            "ProductCodes": [],
            "InstanceType": "t3.micro",
            "LaunchTime": "2026-11-02T09:14:51+00:00",
            "Placement": {"GroupName": "", "Tenancy": "default", "AvailabilityZone": AZ},
            "Monitoring": {"State": "disabled"},
            "SubnetId": I("subnet", primary["subnet"]),
            "VpcId": vpc_id,
            "PrivateIpAddress": primary["private_ip"],
        }
        if primary["public_ip"]:
            # describe-instances gives the primary interface's public address.
            inst_json["PublicIpAddress"] = primary["public_ip"]
        reservations.append({
            "ReservationId": I("r", inst.name),
            "OwnerId": ACCOUNT,
            "RequesterId": "043234062703",
            "Groups": [],
            "Instances": [inst_json],
        })
    w("ec2-describe-instances.json", {"Reservations": reservations})

    w("ec2-describe-internet-gateways.json", {"InternetGateways": [{
        "Attachments": [{"State": "available", "VpcId": vpc_id}],
        "InternetGatewayId": I("igw", case.igw),
        "OwnerId": ACCOUNT,
        "Tags": tags(case.igw),
    }] if case.igw else []})
    w("ec2-describe-nat-gateways.json", {"NatGateways": [{
        "CreateTime": "2026-11-02T09:11:40+00:00",
        "NatGatewayAddresses": [{
            "AllocationId": I("eipalloc", n.eip),
            "NetworkInterfaceId": I("eni", n.name),
            "PrivateIp": n.private_ip,
            "PublicIp": n.public_ip,
            "AssociationId": I("eipassoc", n.eip),
            "IsPrimary": True,
            "Status": "succeeded",
        }],
        "NatGatewayId": I("nat", n.name),
        "State": "available",
        "SubnetId": I("subnet", n.subnet),
        "VpcId": vpc_id,
        "Tags": tags(n.name),
        "ConnectivityType": "public",
    } for n in case.nats]})
    w("ec2-describe-vpc-peering-connections.json", {"VpcPeeringConnections": []})
    v = case.vgw
    w("ec2-describe-vpn-gateways.json", {"VpnGateways": [{
        "State": "available",
        "Type": "ipsec.1",
        "VpcAttachments": [{"State": "attached", "VpcId": vpc_id}],
        "VpnGatewayId": I("vgw", v.name),
        "AmazonSideAsn": 64512,
        "Tags": tags(v.name),
    }] if v else []})
    connections = []
    if v and v.connection:
        cgw, address, asn, vpn, static = v.connection
        connections.append({
            "CustomerGatewayId": I("cgw", cgw),
            "Category": "VPN",
            "State": "available",
            "Type": "ipsec.1",
            "VpnConnectionId": I("vpn", vpn),
            "VpnGatewayId": I("vgw", v.name),
            "GatewayAssociationState": "associated",
            "Options": {
                "EnableAcceleration": False,
                "StaticRoutesOnly": True,
                "LocalIpv4NetworkCidr": "0.0.0.0/0",
                "RemoteIpv4NetworkCidr": "0.0.0.0/0",
                "OutsideIpAddressType": "PublicIpv4",
                "TunnelInsideIpVersion": "ipv4",
            },
            "Routes": [{"DestinationCidrBlock": d, "Source": "Static", "State": "available"} for d in static],
            "Tags": tags(vpn),
            "VgwTelemetry": [
                {"AcceptedRouteCount": 0, "LastStatusChange": "2026-11-02T09:20:11+00:00", "OutsideIpAddress": ip,
                 "Status": "UP", "StatusMessage": ""}
                for ip in ("52.0.160.10", "52.0.161.10")
            ],
        })
    w("ec2-describe-vpn-connections.json", {"VpnConnections": connections})
    policy = json.dumps({"Version": "2008-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
    endpoints = []
    for e in case.endpoints:
        interface_kind = e.kind == "Interface"
        vpce = I("vpce", e.name)
        d = {
            "VpcEndpointId": vpce,
            "VpcEndpointType": e.kind,
            "VpcId": vpc_id,
            "ServiceName": e.service,
            "State": "available",
            "PolicyDocument": policy,
            "RouteTableIds": [I("rtb", t) for t in e.tables],
            "SubnetIds": [I("subnet", x) for x in e.subnets],
            "Groups": group_refs(e.groups),
            "IpAddressType": "ipv4",
        }
        if interface_kind:
            d["DnsOptions"] = {"DnsRecordIpType": "ipv4"}
        d.update({
            "PrivateDnsEnabled": False,
            "RequesterManaged": False,
            "NetworkInterfaceIds": [I("eni", f"{e.name}/{x}") for x in e.subnets],
            "DnsEntries": [{"DnsName": f"{vpce}-{hashlib.sha256(vpce.encode()).hexdigest()[:8]}."
                                       f"{e.service.rsplit('.', 1)[1]}.{REGION}.vpce.amazonaws.com",
                            "HostedZoneId": "Z7HUB22UULQXV"}] if interface_kind else [],
            "CreationTimestamp": "2026-11-02T09:13:20.114000+00:00",
            "Tags": tags(e.name, name=False),
            "OwnerId": ACCOUNT,
        })
        endpoints.append(d)
    w("ec2-describe-vpc-endpoints.json", {"VpcEndpoints": endpoints})
    # AWS-managed prefix lists, as `collect` writes them (with their entries),
    # where a gateway endpoint routes to one.
    w("ec2-describe-managed-prefix-lists.json", {"PrefixLists": [{
        "PrefixListId": S3_PREFIX_LIST,
        "AddressFamily": "IPv4",
        "State": "create-complete",
        "PrefixListArn": f"arn:aws:ec2:{REGION}:aws:prefix-list/{S3_PREFIX_LIST}",
        "PrefixListName": f"com.amazonaws.{REGION}.s3",
        "Tags": [],
        "OwnerId": "AWS",
        "Entries": [{"Cidr": c} for c in S3_CIDRS],
    }] if any(e.kind == "Gateway" for e in case.endpoints) else []})

    if not case.lbs:
        return
    lb_arn = {lb.name: f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{lb_ids[lb.name]}" for lb in case.lbs}
    tg_arn = {tg.name: f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{tg.name}/"
                       f"{hashlib.sha256((case.name + tg.name).encode()).hexdigest()[:16]}" for tg in case.tgs}
    lbs_of_tg = {tg.name: [lb.name for lb in case.lbs if any(l[3] == tg.name for l in lb.listeners)] for tg in case.tgs}
    loadbalancers = []
    for lb in case.lbs:
        d = {
            "LoadBalancerArn": lb_arn[lb.name],
            # An internal load balancer's DNS name starts with "internal-".
            "DNSName": f"{'internal-' if lb.scheme == 'internal' else ''}{lb.name}-{lb_ids[lb.name][-10:]}"
                       f".elb.{REGION}.amazonaws.com",
            "CanonicalHostedZoneId": "Z26RNL4JYFTOTI",
            "CreatedTime": "2026-11-02T09:12:03.410000+00:00",
            "LoadBalancerName": lb.name,
            # Not written: AWS's default, internet-facing.
            "Scheme": lb.scheme or "internet-facing",
            "VpcId": vpc_id,
            "State": {"Code": "active"},
            "Type": "network",
            "AvailabilityZones": [{"ZoneName": AZ, "SubnetId": I("subnet", s), "LoadBalancerAddresses": []}
                                  for s in lb.subnets],
            "IpAddressType": "ipv4",
        }
        if lb.groups:
            d["SecurityGroups"] = [I("sg", g) for g in lb.groups]
            d["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] = "on"
        loadbalancers.append(d)
    w("elbv2-describe-load-balancers.json", {"LoadBalancers": loadbalancers})
    w("elbv2-describe-target-groups.json", {"TargetGroups": [{
        "TargetGroupArn": tg_arn[tg.name],
        "TargetGroupName": tg.name,
        "Protocol": tg.proto,
        "Port": tg.port,
        "VpcId": vpc_id,
        "HealthCheckProtocol": "TCP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 10,
        "HealthyThresholdCount": 5,
        "UnhealthyThresholdCount": 2,
        "LoadBalancerArns": [lb_arn[x] for x in lbs_of_tg[tg.name]],
        "TargetType": tg.target_type,
        "IpAddressType": "ipv4",
    } for tg in case.tgs]})
    w("elbv2-describe-listeners.json", {"Listeners": [{
        "ListenerArn": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/{lb_ids[lb.name]}/"
                       f"{hashlib.sha256((case.name + lname).encode()).hexdigest()[:16]}",
        "LoadBalancerArn": lb_arn[lb.name],
        "Port": port,
        "Protocol": proto,
        "DefaultActions": [{
            "Type": "forward",
            "TargetGroupArn": tg_arn[tg],
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": tg_arn[tg], "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            },
        }],
    } for lb in case.lbs for lname, proto, port, tg in lb.listeners]})
    w("elbv2-describe-target-health.json", [{
        "TargetGroupArn": tg_arn[tg.name],
        "TargetHealthDescriptions": [
            {
                "Target": dict({"Id": I("i", t) if tg.target_type == "instance" else t, "Port": port},
                               **({} if tg.target_type == "instance" else {"AvailabilityZone": AZ})),
                "HealthCheckPort": str(port),
                "TargetHealth": {"State": "healthy"},
            }
            for t, port in tg.targets
        ],
    } for tg in case.tgs])
    w("elbv2-describe-target-group-attributes.json", [{
        "TargetGroupArn": tg_arn[tg.name],
        "Attributes": [
            {"Key": "proxy_protocol_v2.enabled", "Value": "false"},
            {"Key": "preserve_client_ip.enabled", "Value": "true" if preserved(tg) else "false"},
            {"Key": "stickiness.enabled", "Value": "false"},
            {"Key": "deregistration_delay.timeout_seconds", "Value": "300"},
            {"Key": "stickiness.type", "Value": "source_ip"},
            {"Key": "deregistration_delay.connection_termination.enabled", "Value": "false"},
            {"Key": "load_balancing.cross_zone.enabled", "Value": "use_load_balancer_configuration"},
            {"Key": "target_health_state.unhealthy.connection_termination.enabled", "Value": "true"},
            {"Key": "target_health_state.unhealthy.draining_interval_seconds", "Value": "0"},
        ],
    } for tg in case.tgs])
    w("elbv2-describe-tags.json", {"TagDescriptions": [
        {"ResourceArn": lb_arn[lb.name], "Tags": tags(lb.name, name=False)} for lb in case.lbs
    ] + [
        {"ResourceArn": tg_arn[tg.name], "Tags": tags(tg.name, name=False)} for tg in case.tgs
    ]})


# --- the Terraform plan -----------------------------------------------------------------

class TfRef:
    """A reference to another resource's attribute, unknown until apply."""

    def __init__(self, address, attr="id"):
        self.address, self.attr = address, attr

    def references(self):
        return [f"{self.address}.{self.attr}", self.address]


def is_ref(v):
    return isinstance(v, TfRef) or (isinstance(v, list) and any(isinstance(x, TfRef) for x in v))


class Default:
    """A value the provider plans without the configuration writing it (a
    schema default, or the empty string a route block gives what it does
    not set): in planned values, not in configuration."""

    def __init__(self, value):
        self.value = value


def is_blocks(v):
    return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)


def expression(v):
    if isinstance(v, TfRef):
        return {"references": v.references()}
    if isinstance(v, list) and any(isinstance(x, TfRef) for x in v):
        return {"references": [r for x in v for r in x.references()]}
    return {"constant_value": v}


# Attributes the provider computes: unknown in a plan that creates the
# resource, unless the configuration sets them.
COMPUTED = {
    "aws_vpc": ["id", "arn", "default_network_acl_id", "default_route_table_id", "default_security_group_id", "dhcp_options_id", "main_route_table_id", "owner_id", "ipv6_association_id"],
    "aws_subnet": ["id", "arn", "owner_id", "ipv6_cidr_block_association_id"],
    "aws_internet_gateway": ["id", "arn", "owner_id"],
    "aws_eip": ["id", "allocation_id", "association_id", "public_ip", "public_dns", "private_ip", "private_dns", "carrier_ip", "customer_owned_ip", "instance", "network_interface", "ptr_record", "arn"],
    "aws_eip_association": ["id", "instance_id", "network_interface_id", "private_ip_address", "public_ip"],
    "aws_nat_gateway": ["id", "association_id", "network_interface_id", "private_ip", "public_ip", "secondary_allocation_ids", "secondary_private_ip_addresses"],
    "aws_route_table": ["id", "arn", "owner_id", "propagating_vgws", "route"],
    "aws_route": ["id", "instance_id", "instance_owner_id", "origin", "state"],
    "aws_route_table_association": ["id"],
    "aws_network_acl": ["id", "arn", "owner_id", "ingress", "egress", "subnet_ids"],
    "aws_network_acl_rule": ["id"],
    "aws_network_acl_association": ["id"],
    "aws_security_group": ["id", "arn", "owner_id", "ingress", "egress"],
    "aws_security_group_rule": ["id", "security_group_rule_id"],
    "aws_vpc_security_group_ingress_rule": ["id", "arn", "security_group_rule_id", "tags_all"],
    "aws_vpc_security_group_egress_rule": ["id", "arn", "security_group_rule_id", "tags_all"],
    "aws_network_interface": ["id", "arn", "attachment", "mac_address", "owner_id", "private_dns_name", "private_ip", "private_ips", "private_ip_list", "outpost_arn", "security_groups", "interface_type", "ipv6_address_count", "ipv6_addresses"],
    "aws_network_interface_attachment": ["id", "status"],
    "aws_instance": ["id", "arn", "associate_public_ip_address", "availability_zone", "private_ip", "public_ip", "public_dns", "private_dns", "primary_network_interface_id", "secondary_private_ips", "security_groups", "vpc_security_group_ids", "subnet_id", "network_interface", "instance_state", "ipv6_addresses", "outpost_arn", "password_data", "placement_group", "placement_partition_number", "host_id", "tenancy"],
    "aws_lb": ["id", "arn", "arn_suffix", "dns_name", "zone_id", "vpc_id", "subnet_mapping", "security_groups", "ip_address_type", "internal"],
    "aws_lb_target_group": ["id", "arn", "arn_suffix", "load_balancer_arns", "preserve_client_ip", "ip_address_type", "load_balancing_cross_zone_enabled", "health_check", "stickiness", "target_failover", "connection_termination"],
    "aws_lb_target_group_attachment": ["id"],
    "aws_lb_listener": ["id", "arn"],
    "aws_vpn_gateway": ["id", "arn", "amazon_side_asn", "vpc_id"],
    "aws_vpn_gateway_attachment": ["id"],
    "aws_customer_gateway": ["id", "arn", "certificate_arn", "device_name"],
    "aws_vpn_connection": ["id", "arn", "customer_gateway_configuration", "routes", "vgw_telemetry", "tunnel1_address",
                           "tunnel2_address", "transit_gateway_attachment_id", "core_network_attachment_arn"],
    "aws_vpn_connection_route": ["id"],
    "aws_vpc_endpoint": ["id", "arn", "cidr_blocks", "dns_entry", "dns_options", "ip_address_type", "network_interface_ids", "owner_id", "policy", "prefix_list_id", "requester_managed", "route_table_ids", "security_group_ids", "state", "subnet_ids"],
}


def plan(case, out_file):
    resources = []

    def R(_kind, _name, **attrs):
        resources.append((_kind, _name, attrs))
        return f"{_kind}.{_name}"

    A = lambda kind, name: f"{kind}.{name}"
    vpc = R("aws_vpc", case.vpc, cidr_block=case.vpc_cidr, enable_dns_support=True, enable_dns_hostnames=False,
            instance_tenancy="default", tags={"Name": case.vpc})
    if case.igw:
        R("aws_internet_gateway", case.igw, vpc_id=TfRef(vpc), tags={"Name": case.igw})
    if case.vgw:
        v = case.vgw
        if v.attach == "inline":
            R("aws_vpn_gateway", v.name, vpc_id=TfRef(vpc), tags={"Name": v.name})
        else:
            R("aws_vpn_gateway", v.name, tags={"Name": v.name})
            R("aws_vpn_gateway_attachment", f"{v.name}Attachment", vpc_id=TfRef(vpc),
              vpn_gateway_id=TfRef(A("aws_vpn_gateway", v.name)))
        if v.connection:
            cgw, address, asn, vpn, static = v.connection
            R("aws_customer_gateway", cgw, bgp_asn=str(asn), ip_address=address, type="ipsec.1", tags={"Name": cgw})
            R("aws_vpn_connection", vpn, customer_gateway_id=TfRef(A("aws_customer_gateway", cgw)),
              vpn_gateway_id=TfRef(A("aws_vpn_gateway", v.name)), type="ipsec.1", static_routes_only=True,
              tags={"Name": vpn})
            for k, dest in enumerate(static):
                R("aws_vpn_connection_route", f"{vpn}Route{k}", destination_cidr_block=dest,
                  vpn_connection_id=TfRef(A("aws_vpn_connection", vpn)))
    for s in case.subnets:
        R("aws_subnet", s.name, vpc_id=TfRef(vpc), cidr_block=s.cidr, availability_zone=AZ,
          map_public_ip_on_launch=s.map_public, assign_ipv6_address_on_creation=False, tags={"Name": s.name})
    for n in case.nats:
        R("aws_eip", n.eip, domain="vpc", tags=None)
        R("aws_nat_gateway", n.name, allocation_id=TfRef(A("aws_eip", n.eip)), subnet_id=TfRef(A("aws_subnet", n.subnet)),
          connectivity_type="public", tags={"Name": n.name})
    def route_target(kind, target):
        # The provider (5.x) no longer sets a route's instance_id: a route to
        # an instance names its primary interface (version 5 upgrade guide).
        return {
            "igw": ("gateway_id", TfRef(A("aws_internet_gateway", target))),
            "vgw": ("gateway_id", TfRef(A("aws_vpn_gateway", target))),
            "nat": ("nat_gateway_id", TfRef(A("aws_nat_gateway", target))),
            "instance": ("network_interface_id", TfRef(A("aws_instance", target), "primary_network_interface_id")),
        }[kind]

    # The attributes of an inline route block; those not set are planned as "".
    route_block_keys = ["carrier_gateway_id", "cidr_block", "core_network_arn", "destination_prefix_list_id",
                        "egress_only_gateway_id", "gateway_id", "ipv6_cidr_block", "local_gateway_id",
                        "nat_gateway_id", "network_interface_id", "transit_gateway_id", "vpc_endpoint_id",
                        "vpc_peering_connection_id"]
    for t in case.tables:
        if t.tf == "inline":
            blocks = []
            for _, dest, kind, target in t.routes:
                key, ref = route_target(kind, target)
                set_ = {"cidr_block": canonical(dest), key: ref}
                blocks.append({k: set_.get(k, Default("")) for k in route_block_keys})
            R("aws_route_table", t.name, vpc_id=TfRef(vpc), route=blocks, tags={"Name": t.name})
            continue
        R("aws_route_table", t.name, vpc_id=TfRef(vpc), tags={"Name": t.name})
        for rname, dest, kind, target in t.routes:
            # The provider refuses a destination with host bits ("is not a
            # valid IPv4 CIDR block; did you mean ...?"): written canonical.
            key, ref = route_target(kind, target)
            R("aws_route", rname, route_table_id=TfRef(A("aws_route_table", t.name)),
              destination_cidr_block=canonical(dest), **{key: ref})
    for s in case.subnets:
        if s.table:
            R("aws_route_table_association", f"{s.name}Routes", subnet_id=TfRef(A("aws_subnet", s.name)),
              route_table_id=TfRef(A("aws_route_table", s.table)))
    protocols = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "-1"}
    for a in case.acls:
        if a.tf == "inline":
            def block(e):
                number, _, action, proto, lo, hi, cidr = e
                return {"protocol": protocols[proto], "rule_no": number, "action": action, "cidr_block": canonical(cidr),
                        "from_port": lo, "to_port": hi, "icmp_code": 0, "icmp_type": 0, "ipv6_cidr_block": ""}
            R("aws_network_acl", a.name, vpc_id=TfRef(vpc),
              subnet_ids=[TfRef(A("aws_subnet", s)) for s in a.subnets],
              ingress=[block(e) for e in a.entries if not e[1]],
              egress=[block(e) for e in a.entries if e[1]],
              tags={"Name": a.name})
        else:
            R("aws_network_acl", a.name, vpc_id=TfRef(vpc), tags={"Name": a.name})
            for number, egress, action, proto, lo, hi, cidr in a.entries:
                # aws_network_acl_rule does not check cidr_block: written as
                # the template writes it, host bits included.
                R("aws_network_acl_rule", f"{a.name}{'Out' if egress else 'In'}{number}",
                  network_acl_id=TfRef(A("aws_network_acl", a.name)), rule_number=number, egress=egress,
                  protocol=protocols[proto], rule_action=action, cidr_block=cidr, from_port=lo, to_port=hi)
            for s in a.subnets:
                R("aws_network_acl_association", f"{s}Acl", network_acl_id=TfRef(A("aws_network_acl", a.name)),
                  subnet_id=TfRef(A("aws_subnet", s)))

    def sg(g):
        # The VPC's default group is the VPC's computed attribute.
        return (f"{vpc}", "default_security_group_id") if g == DEFAULT_GROUP else A("aws_security_group", g)

    def sg_ref(g):
        target = sg(g)
        return TfRef(*target) if isinstance(target, tuple) else TfRef(target)

    def sg_block(r):
        return {
            "protocol": r.proto,
            "from_port": r.lo if r.lo is not None else 0,
            "to_port": r.hi if r.hi is not None else 0,
            # The provider refuses a block with host bits: written canonical.
            "cidr_blocks": [canonical(r.cidr)] if r.cidr else [],
            "ipv6_cidr_blocks": [],
            "prefix_list_ids": [],
            "security_groups": [sg_ref(r.sg)] if r.sg else [],
            "self": False,
            "description": "",
        }

    for g in case.groups:
        attrs = {"name": g.name, "description": g.name, "vpc_id": TfRef(vpc), "tags": {"Name": g.name}}
        if not g.extra_ingress and not g.extra_egress:
            # Inline rules. Terraform removes AWS's default egress rule, so
            # the allow-all egress a template gets implicitly is written.
            if g.ingress:
                attrs["ingress"] = [sg_block(r) for r in g.ingress]
            attrs["egress"] = [sg_block(r) for r in effective_egress(g)]
            R("aws_security_group", g.name, **attrs)
            continue
        R("aws_security_group", g.name, **attrs)
        # Rules as resources: the newer aws_vpc_security_group_*_rule for
        # ingress, aws_security_group_rule for egress.
        for i, r in enumerate(g.ingress + g.extra_ingress):
            peer = {"cidr_ipv4": canonical(r.cidr)} if r.cidr else {"referenced_security_group_id": sg_ref(r.sg)}
            # Ports as written, "-1" included (the resource passes them on; AWS ignores them).
            ports = {"from_port": r.lo, "to_port": r.hi} if r.lo is not None else {}
            R("aws_vpc_security_group_ingress_rule", f"{g.name}Ingress{i}", security_group_id=sg_ref(g.name),
              ip_protocol=r.proto, **ports, **peer)
        for i, r in enumerate(effective_egress(g)):
            peer = {"cidr_blocks": [canonical(r.cidr)]} if r.cidr else {"source_security_group_id": sg_ref(r.sg)}
            R("aws_security_group_rule", f"{g.name}Egress{i}", type="egress", protocol=r.proto,
              from_port=r.lo if r.lo is not None else 0, to_port=r.hi if r.hi is not None else 0,
              security_group_id=sg_ref(g.name), **peer)

    enis = {e.name: e for e in case.enis}
    eni_address = {}
    for e in case.enis:
        eni_address[e.name] = R("aws_network_interface", e.name, subnet_id=TfRef(A("aws_subnet", e.subnet)),
                                private_ips=[e.private_ip], security_groups=[sg_ref(g) for g in e.groups],
                                source_dest_check=True, tags={"Name": e.name})

    def instance_attrs(inst):
        attrs = {"ami": AMI, "instance_type": "t3.micro"}
        if inst.nics is None:
            attrs["subnet_id"] = TfRef(A("aws_subnet", inst.subnet))
            if inst.groups:
                # Not written: the provider fills in the VPC's default group.
                attrs["vpc_security_group_ids"] = [sg_ref(g) for g in inst.groups]
            attrs["private_ip"] = inst.private_ip
            if inst.associate is not None:
                attrs["associate_public_ip_address"] = inst.associate
        else:
            # Terraform attaches existing interfaces only: an instance's
            # NetworkInterfaces of new interfaces become aws_network_interface
            # resources named INSTANCE-ethN (AWS: a public address is only
            # ever assigned to a new eth0 of a one-interface launch).
            blocks = []
            for nic in inst.nics:
                ref = eni_address[nic.eni] if nic.eni else f"aws_network_interface.{inst.name}Eth{nic.device}"
                blocks.append({"device_index": nic.device, "network_interface_id": TfRef(ref),
                               "delete_on_termination": False, "network_card_index": 0})
            attrs["network_interface"] = blocks
        attrs["tags"] = {"Name": inst.name}
        return attrs

    # Interfaces written for instances launched with new ones.
    for inst in case.instances:
        for nic in inst.nics or []:
            if not nic.eni:
                R("aws_network_interface", f"{inst.name}Eth{nic.device}", subnet_id=TfRef(A("aws_subnet", nic.subnet)),
                  private_ips=[nic.private_ip], security_groups=[sg_ref(g) for g in nic.groups],
                  source_dest_check=True, tags={"Name": f"{inst.name}-eth{nic.device}"})

    def eip_resources(eip):
        if eip.association is None:
            R("aws_eip", eip.name, domain="vpc", instance=TfRef(A("aws_instance", eip.instance)), tags={"Name": eip.name})
            return
        R("aws_eip", eip.name, domain="vpc", tags={"Name": eip.name})
        target = ({"instance_id": TfRef(A("aws_instance", eip.instance))} if eip.instance
                  else {"network_interface_id": TfRef(eni_address[eip.eni])})
        R("aws_eip_association", eip.association, allocation_id=TfRef(A("aws_eip", eip.name)), **target)

    if case.order:
        # The association is written before the instance it names.
        for eip in case.eips:
            eip_resources(eip)
    for inst in case.instances:
        R("aws_instance", inst.name, **instance_attrs(inst))
    for a in case.attachments:
        R("aws_network_interface_attachment", a.name, instance_id=TfRef(A("aws_instance", a.instance)),
          network_interface_id=TfRef(eni_address[a.eni]), device_index=a.device)
    if not case.order:
        for eip in case.eips:
            eip_resources(eip)
    for e in case.endpoints:
        # Not written: the provider's default, Gateway, is planned.
        attrs = {"vpc_id": TfRef(vpc), "service_name": e.service,
                 "vpc_endpoint_type": e.kind if e.typed else Default(e.kind)}
        if e.kind == "Interface":
            attrs["subnet_ids"] = [TfRef(A("aws_subnet", x)) for x in e.subnets]
            attrs["security_group_ids"] = [sg_ref(g) for g in e.groups]
            attrs["private_dns_enabled"] = False
        else:
            attrs["route_table_ids"] = [TfRef(A("aws_route_table", t)) for t in e.tables]
        attrs["tags"] = {"Name": e.name}
        R("aws_vpc_endpoint", e.name, **attrs)
    for lb in case.lbs:
        attrs = {"name": lb.name}
        if lb.scheme:
            # Not written: internal is computed, unknown until apply (the
            # provider leaves Scheme out, and AWS makes it internet-facing).
            attrs["internal"] = lb.scheme == "internal"
        attrs.update({"load_balancer_type": "network", "subnets": [TfRef(A("aws_subnet", s)) for s in lb.subnets]})
        if lb.groups:
            attrs["security_groups"] = [sg_ref(g) for g in lb.groups]
        attrs["tags"] = {"Name": lb.name}
        R("aws_lb", lb.name, **attrs)
    for tg in case.tgs:
        attrs = {"name": tg.name, "port": tg.port, "protocol": tg.proto, "target_type": tg.target_type,
                 "vpc_id": TfRef(vpc)}
        if tg.preserve is not None:
            attrs["preserve_client_ip"] = "true" if tg.preserve else "false"
        attrs["tags"] = {"Name": tg.name}
        R("aws_lb_target_group", tg.name, **attrs)
        for k, (t, port) in enumerate(tg.targets):
            R("aws_lb_target_group_attachment", f"{tg.name}Target{k}", target_group_arn=TfRef(A("aws_lb_target_group", tg.name), "arn"),
              target_id=TfRef(A("aws_instance", t)) if tg.target_type == "instance" else t, port=port)
    for lb in case.lbs:
        for lname, proto, port, tg in lb.listeners:
            R("aws_lb_listener", lname, load_balancer_arn=TfRef(A("aws_lb", lb.name), "arn"), port=port, protocol=proto,
              default_action=[{"type": "forward", "target_group_arn": TfRef(A("aws_lb_target_group", tg), "arn")}])

    planned, changes, configured = [], [], []
    for kind, name, attrs in resources:
        address = f"{kind}.{name}"
        values, unknown, expressions = {}, {}, {}
        for a, v in attrs.items():
            if is_blocks(v):
                values[a], unknown[a], expressions[a] = [], [], []
                for b in v:
                    values[a].append({x: (y.value if isinstance(y, Default) else y) for x, y in b.items()
                                      if not is_ref(y)})
                    unknown[a].append({x: True for x, y in b.items() if is_ref(y)})
                    expressions[a].append({x: expression(y) for x, y in b.items() if not isinstance(y, Default)})
            elif isinstance(v, Default):
                values[a] = v.value
            elif is_ref(v):
                unknown[a] = True
                expressions[a] = expression(v)
            else:
                values[a] = v
                if v is not None:
                    expressions[a] = expression(v)
        if "tags" in values:
            values["tags_all"] = values["tags"] or {}
        for c in COMPUTED.get(kind, ["id"]):
            if c not in values and c not in unknown:
                unknown[c] = True
        common = {"address": address, "mode": "managed", "type": kind, "name": name,
                  "provider_name": "registry.terraform.io/hashicorp/aws"}
        planned.append(dict(common, schema_version=0, values=values, sensitive_values={}))
        changes.append(dict(common, change={
            "actions": ["create"],
            "before": None,
            "after": values,
            "after_unknown": unknown,
            "before_sensitive": False,
            "after_sensitive": {},
        }))
        configured.append({"address": address, "mode": "managed", "type": kind, "name": name,
                           "provider_config_key": "aws", "expressions": expressions, "schema_version": 0})
    write_json(out_file, {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {
                "name": "aws",
                "full_name": "registry.terraform.io/hashicorp/aws",
                "version_constraint": "~> 5.0",
                "expressions": {"region": {"constant_value": REGION}},
            }},
            "root_module": {"resources": configured},
        },
        "timestamp": "2026-11-20T10:04:31Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    })


# --- the native format --------------------------------------------------------------------

def native(case):
    doc = {}
    doc["vpcs"] = [{"id": case.vpc, "name": case.vpc, "cidr_blocks": [case.vpc_cidr]}]
    if case.native_default_group:
        doc["vpcs"][0]["default_security_group"] = NATIVE_DEFAULT_GROUP
    if case.igw:
        doc["internet_gateways"] = [{"id": case.igw, "vpc": case.vpc}]
    subnets = []
    for s in case.subnets:
        d = {"id": s.name, "vpc": case.vpc, "cidr": s.cidr, "availability_zone": AZ}
        if s.map_public:
            d["map_public_ip_on_launch"] = True
        if s.table:
            d["route_table"] = s.table
        if s.acl:
            d["network_acl"] = s.acl
        subnets.append(d)
    doc["subnets"] = subnets
    # Blocks are written as the case gives them, host bits included: the
    # native format reads them as AWS does (docs/model-format.md).
    target_key = {"igw": "internet_gateway", "nat": "nat_gateway", "vgw": "vpn_gateway", "instance": "instance"}
    if case.tables:
        doc["route_tables"] = [{
            "id": t.name, "vpc": case.vpc,
            "routes": [{"destination": dest, target_key[kind]: target}
                       for _, dest, kind, target in t.routes],
        } for t in case.tables]
    if case.nats:
        doc["nat_gateways"] = [{"id": n.name, "subnet": n.subnet, "private_ip": n.private_ip, "public_ip": n.public_ip}
                               for n in case.nats]
    if case.vgw:
        doc["vpn_gateways"] = [{"id": case.vgw.name, "vpc": case.vpc,
                                "has_vpn_connection": case.vgw.connection is not None}]
    protocols = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "all"}

    def rule(r, key):
        # A protocol number stays a number; "all" takes no ports (AWS ignores
        # those a template gives it); icmp gives its type, and its code
        # unless any (-1).
        d = {"protocol": "all" if r.proto == "-1" else (int(r.proto) if r.proto.isdigit() else r.proto)}
        if PROTOCOL_NAMES.get(r.proto, r.proto) in ("tcp", "udp"):
            d["ports"] = r.lo if r.lo == r.hi else f"{r.lo}-{r.hi}"
        if r.proto == "icmp" and r.lo is not None:
            d["icmp_type"] = r.lo
            if r.hi != -1:
                d["icmp_code"] = r.hi
        peer = NATIVE_DEFAULT_GROUP if r.sg == DEFAULT_GROUP else r.sg
        d[key] = r.cidr if r.cidr else f"sg:{peer}"
        return d

    groups = []
    if case.native_default_group:
        # AWS's default rules: all traffic from the group's members, all out.
        groups.append({"id": NATIVE_DEFAULT_GROUP, "vpc": case.vpc,
                       "ingress": [{"protocol": "all", "from": f"sg:{NATIVE_DEFAULT_GROUP}"}]})
    for g in case.groups:
        d = {"id": g.name, "vpc": case.vpc, "ingress": [rule(r, "from") for r in g.ingress + g.extra_ingress]}
        if g.egress is not None or g.extra_egress:
            d["egress"] = [rule(r, "to") for r in effective_egress(g)]
        groups.append(d)
    doc["security_groups"] = groups
    if case.acls:
        doc["network_acls"] = [{
            "id": a.name, "vpc": case.vpc,
            "entries": [dict(rule=n, direction="egress" if eg else "ingress", action=act, cidr=c,
                             protocol=protocols[p],
                             **({"ports": lo if lo == hi else f"{lo}-{hi}"} if lo is not None and p != "-1" else {}))
                        for n, eg, act, p, lo, hi, c in a.entries],
        } for a in case.acls]
    ifaces = interfaces(case)
    enis, instances = [], []
    for inst in case.instances:
        mine = sorted((i for i in ifaces if i["instance"] == inst.name), key=lambda i: i["device"])
        if len(mine) == 1 and mine[0]["eni"] is None:
            i = mine[0]
            d = {"id": inst.name, "tags": {"Name": inst.name}, "subnet": i["subnet"], "private_ip": i["private_ip"]}
            if inst.native_public in ("none", "auto"):
                d["public_ip"] = inst.native_public
            elif i["public_ip"] and inst.native_public != "omit":
                d["public_ip"] = i["public_ip"]
            elif inst.native_public is None and any(s.name == i["subnet"] and s.map_public
                                                    for s in case.subnets):
                # No public address in a subnet that maps them: an inline
                # instance without public_ip would get one, as AWS launches it.
                d["public_ip"] = "none"
            # Without security_groups: the VPC's default group.
            if i["groups"]:
                d["security_groups"] = i["groups"]
            instances.append(d)
            continue
        for i in mine:
            e = {"id": i["name"], "tags": {"Name": i["name"]}, "subnet": i["subnet"], "private_ip": i["private_ip"]}
            if i["public_ip"]:
                e["public_ip"] = i["public_ip"]
            if i["groups"]:
                e["security_groups"] = i["groups"]
            enis.append(e)
        instances.append({"id": inst.name, "tags": {"Name": inst.name}, "enis": [i["name"] for i in mine]})
    for i in ifaces:
        if i["instance"] is None:
            e = {"id": i["name"], "tags": {"Name": i["name"]}, "subnet": i["subnet"], "private_ip": i["private_ip"]}
            if i["public_ip"]:
                e["public_ip"] = i["public_ip"]
            e["security_groups"] = i["groups"]
            enis.append(e)
    if enis:
        doc["enis"] = enis
    doc["instances"] = instances
    if case.lbs:
        lbs = []
        for lb in case.lbs:
            d = {"id": lb.name, "type": "network"}
            if lb.scheme:
                d["scheme"] = lb.scheme
            d["subnets"] = lb.subnets
            if lb.groups:
                d["security_groups"] = lb.groups
            d["listeners"] = [{"protocol": proto.lower(), "port": port, "target_group": tg}
                              for _, proto, port, tg in lb.listeners]
            lbs.append(d)
        doc["load_balancers"] = lbs
        tgs = []
        for tg in case.tgs:
            d = {"id": tg.name, "protocol": tg.proto.lower(), "port": tg.port,
                 "targets": [{"instance" if tg.target_type == "instance" else "ip": t, "port": port} for t, port in tg.targets]}
            if tg.preserve is not None:
                # Not in docs/model-format.md yet: the attribute as the
                # template writes it (see README.md).
                d["preserve_client_ip"] = tg.preserve
            tgs.append(d)
        doc["target_groups"] = tgs
    if case.endpoints:
        eps = []
        for e in case.endpoints:
            d = {"id": e.name, "vpc": case.vpc, "service_name": e.service}
            if e.typed:
                d["type"] = e.kind.lower()
            if e.kind == "Interface":
                d["subnets"] = e.subnets
                d["security_groups"] = e.groups
            else:
                d["route_tables"] = e.tables
            eps.append(d)
        doc["vpc_endpoints"] = eps
    head = "# Written by tests/facts/write.py; the facts are in facts.np.\n# " + case.doc + "\n"
    return head + yaml(doc) + "\n"


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for case in CASES:
        folder = os.path.join(here, case.name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "template.yaml"), "w") as f:
            f.write(template(case))
        if case.native:
            with open(os.path.join(folder, "network.yaml"), "w") as f:
                f.write(native(case))
        plan(case, os.path.join(folder, "plan.json"))
        dump(case, os.path.join(folder, "dump"))
