//! Networks built in code, for tests and for tools that hold their own
//! inventory. What the builder collects is written as a native model
//! (docs/model-format.md) and loaded like a file: the same defaults (implicit
//! egress rule, default NACL, main route table), the same validation, and
//! errors that show the offending object.
//!
//! ```
//! use netpolicy::build::{Instance, NetworkBuilder, SecurityGroup, Subnet, Vpc};
//!
//! let network = NetworkBuilder::new()
//!     .vpc(Vpc::new("prod", "10.0.0.0/16").with_internet_gateway())
//!     .subnet(Subnet::new("web", "prod", "10.0.1.0/24").public())
//!     .subnet(Subnet::new("data", "prod", "10.0.2.0/24"))
//!     .security_group(SecurityGroup::new("web-sg", "prod").ingress("tcp/443", "0.0.0.0/0"))
//!     .security_group(SecurityGroup::new("db-sg", "prod").ingress("tcp/5432", "sg:web-sg"))
//!     .instance(Instance::new("web-1", "web").group("web-sg"))
//!     .instance(Instance::new("db-1", "data").group("db-sg"))
//!     .build()?;
//! assert!(network.reach("internet", "web-1", "tcp/443")?.is_reachable());
//! assert!(!network.reach("internet", "db-1", "tcp/5432")?.is_reachable());
//! # Ok::<(), netpolicy::Error>(())
//! ```

use crate::Network;
use crate::error::{Error, ErrorKind};
use miette::Diagnostic;
use netpolicy_lang::service::{RuleTraffic, ServiceError, rule_traffic};
use serde_json::{Map, Value, json};

/// Collects VPCs, subnets, groups and instances, then builds a [`Network`].
#[derive(Clone, Debug, Default)]
pub struct NetworkBuilder {
    name: Option<String>,
    objects: Map<String, Value>,
    /// Calls whose service did not parse, reported by
    /// [`NetworkBuilder::build`].
    problems: Vec<BadService>,
}

impl NetworkBuilder {
    /// An empty network.
    pub fn new() -> Self {
        NetworkBuilder::default()
    }

    /// What reports call the network (default `network`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    fn push(&mut self, kind: &str, object: Value) {
        let list = self
            .objects
            .entry(kind.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.push(object);
        }
    }

    /// Adds a VPC (and its internet gateway, when it has one).
    pub fn vpc(mut self, vpc: Vpc) -> Self {
        if vpc.internet_gateway {
            self.push(
                "internet_gateways",
                json!({"id": igw_id(&vpc.id), "vpc": vpc.id}),
            );
        }
        self.push(
            "vpcs",
            json!({"id": vpc.id, "cidr_blocks": vpc.cidr_blocks}),
        );
        self
    }

    /// Adds a subnet (and its own route table, when it has routes).
    pub fn subnet(mut self, subnet: Subnet) -> Self {
        let mut object = json!({
            "id": subnet.id,
            "vpc": subnet.vpc,
            "cidr": subnet.cidr,
            "map_public_ip_on_launch": subnet.public,
        });
        if let Some(zone) = &subnet.zone {
            object["availability_zone"] = json!(zone);
        }
        if let Some(acl) = &subnet.network_acl {
            object["network_acl"] = json!(acl);
        }
        let mut routes: Vec<Value> = subnet.routes.clone();
        if subnet.public {
            routes
                .push(json!({"destination": "0.0.0.0/0", "internet_gateway": igw_id(&subnet.vpc)}));
        }
        if !routes.is_empty() {
            let table = format!("{}-routes", subnet.id);
            object["route_table"] = json!(table);
            self.push(
                "route_tables",
                json!({"id": table, "vpc": subnet.vpc, "routes": routes}),
            );
        }
        self.push("subnets", object);
        self
    }

    /// Adds a security group.
    pub fn security_group(mut self, group: SecurityGroup) -> Self {
        self.problems.extend(group.problems);
        let mut object = json!({"id": group.id, "vpc": group.vpc, "ingress": group.ingress});
        // Without egress rules a group keeps AWS's default (all out).
        if let Some(egress) = group.egress {
            object["egress"] = Value::Array(egress);
        }
        self.push("security_groups", object);
        self
    }

    /// Adds a network ACL (associate it with [`Subnet::network_acl`]).
    pub fn network_acl(mut self, acl: NetworkAcl) -> Self {
        self.problems.extend(acl.problems);
        self.push(
            "network_acls",
            json!({"id": acl.id, "vpc": acl.vpc, "entries": acl.entries}),
        );
        self
    }

    /// Adds an instance with one interface.
    pub fn instance(mut self, instance: Instance) -> Self {
        let mut object = json!({
            "id": instance.id,
            "subnet": instance.subnet,
            "security_groups": instance.groups,
        });
        if let Some(ip) = &instance.private_ip {
            object["private_ip"] = json!(ip);
        }
        // Without one, the native model gives it a public address where its
        // subnet maps them, as AWS launches it.
        match instance.public_ip.as_deref() {
            Some("") => object["public_ip"] = json!("none"),
            Some(ip) => object["public_ip"] = json!(ip),
            None => {}
        }
        self.push("instances", object);
        self
    }

    /// Adds a NAT gateway in a (public) subnet; route to it with
    /// [`Subnet::route`] and `nat:ID`.
    pub fn nat_gateway(mut self, id: impl Into<String>, subnet: impl Into<String>) -> Self {
        self.push(
            "nat_gateways",
            json!({"id": id.into(), "subnet": subnet.into()}),
        );
        self
    }

    /// Peers two VPCs (routes still decide what crosses: [`Subnet::route`]
    /// with `peering:ID`).
    pub fn peering(
        mut self,
        id: impl Into<String>,
        requester: impl Into<String>,
        accepter: impl Into<String>,
    ) -> Self {
        self.push(
            "peerings",
            json!({"id": id.into(), "requester_vpc": requester.into(), "accepter_vpc": accepter.into()}),
        );
        self
    }

    /// The native model document the builder has collected (what
    /// [`NetworkBuilder::build`] loads): write it to a file to get the same
    /// network from the command line.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&Value::Object(self.objects.clone())).unwrap_or_default()
    }

    /// Validates and compiles the network, as if loaded from a file: every
    /// problem is reported, pointing at the object in [`NetworkBuilder::to_json`].
    pub fn build(self) -> Result<Network, Error> {
        let problems: Vec<Error> = (self.problems.iter())
            .map(|p| {
                Error::new(
                    ErrorKind::Network,
                    p.clone(),
                    Some(("builder call", &p.call)),
                )
            })
            .collect();
        if let Some(error) = Error::all(problems) {
            return Err(error);
        }
        let name = self.name.clone().unwrap_or_else(|| "network".into());
        Network::parse(&name, &self.to_json(), crate::Format::Native)
    }
}

fn igw_id(vpc: &str) -> String {
    format!("{vpc}-igw")
}

/// A VPC.
#[derive(Clone, Debug)]
pub struct Vpc {
    id: String,
    cidr_blocks: Vec<String>,
    internet_gateway: bool,
}

impl Vpc {
    /// A VPC with one CIDR block, e.g. `Vpc::new("prod", "10.0.0.0/16")`.
    pub fn new(id: impl Into<String>, cidr: impl Into<String>) -> Self {
        Vpc {
            id: id.into(),
            cidr_blocks: vec![cidr.into()],
            internet_gateway: false,
        }
    }

    /// Adds a CIDR block.
    pub fn cidr(mut self, cidr: impl Into<String>) -> Self {
        self.cidr_blocks.push(cidr.into());
        self
    }

    /// Attaches an internet gateway (id `VPC-igw`).
    pub fn with_internet_gateway(mut self) -> Self {
        self.internet_gateway = true;
        self
    }
}

/// A subnet.
#[derive(Clone, Debug)]
pub struct Subnet {
    id: String,
    vpc: String,
    cidr: String,
    zone: Option<String>,
    public: bool,
    routes: Vec<Value>,
    network_acl: Option<String>,
}

impl Subnet {
    /// A private subnet of `vpc` (only its VPC's local routes).
    pub fn new(id: impl Into<String>, vpc: impl Into<String>, cidr: impl Into<String>) -> Self {
        Subnet {
            id: id.into(),
            vpc: vpc.into(),
            cidr: cidr.into(),
            zone: None,
            public: false,
            routes: Vec::new(),
            network_acl: None,
        }
    }

    /// Public: a default route to its VPC's internet gateway, and public
    /// addresses for instances launched in it.
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }

    /// Its availability zone.
    pub fn zone(mut self, zone: impl Into<String>) -> Self {
        self.zone = Some(zone.into());
        self
    }

    /// A route: `destination` a CIDR, `target` one of `igw:ID`, `nat:ID`,
    /// `peering:ID`, `vgw:ID`, `eni:ID` or `blackhole`.
    pub fn route(mut self, destination: impl Into<String>, target: &str) -> Self {
        let mut route = json!({"destination": destination.into()});
        let (kind, id) = target.split_once(':').unwrap_or((target, ""));
        let key = match kind {
            "igw" => "internet_gateway",
            "nat" => "nat_gateway",
            "peering" | "pcx" => "peering",
            "vgw" => "vpn_gateway",
            "eni" => "network_interface",
            "blackhole" => {
                route["blackhole"] = json!(true);
                self.routes.push(route);
                return self;
            }
            // Loading names the unknown key, with the route it is in.
            other => other,
        };
        route[key] = json!(id);
        self.routes.push(route);
        self
    }

    /// Associates a network ACL by id.
    pub fn network_acl(mut self, acl: impl Into<String>) -> Self {
        self.network_acl = Some(acl.into());
        self
    }
}

/// A security group: stateful allow rules.
#[derive(Clone, Debug)]
pub struct SecurityGroup {
    id: String,
    vpc: String,
    ingress: Vec<Value>,
    egress: Option<Vec<Value>>,
    problems: Vec<BadService>,
}

impl SecurityGroup {
    /// A group with no ingress and AWS's default egress (everything).
    pub fn new(id: impl Into<String>, vpc: impl Into<String>) -> Self {
        SecurityGroup {
            id: id.into(),
            vpc: vpc.into(),
            ingress: Vec::new(),
            egress: None,
            problems: Vec::new(),
        }
    }

    /// Allows `service` in from `peer`: a CIDR, `sg:GROUP` or
    /// `pl:PREFIX-LIST`. `service` is written as after `:` in a policy: a
    /// name (`https`, `mysql`), `tcp/443`, `udp/53`, `tcp/1024-65535`,
    /// `icmp`, `all`, or a list of those (`"ssh, https"`), one rule each. A
    /// service that does not parse is reported by
    /// [`NetworkBuilder::build`], naming this call.
    pub fn ingress(mut self, service: &str, peer: &str) -> Self {
        let call = format!("SecurityGroup::ingress({service:?}, {peer:?})");
        match rules(service, "from", peer) {
            Ok(rules) => self.ingress.extend(rules),
            Err(e) => self.problems.push(BadService::new(call, &self.id, e)),
        }
        self
    }

    /// Allows `service` (as for [`SecurityGroup::ingress`]) out to `peer`;
    /// the first egress rule replaces the default allow-all.
    pub fn egress(mut self, service: &str, peer: &str) -> Self {
        let call = format!("SecurityGroup::egress({service:?}, {peer:?})");
        match rules(service, "to", peer) {
            Ok(rules) => self.egress.get_or_insert_with(Vec::new).extend(rules),
            Err(e) => self.problems.push(BadService::new(call, &self.id, e)),
        }
        self
    }

    /// No egress at all (not even the default).
    pub fn no_egress(mut self) -> Self {
        self.egress = Some(Vec::new());
        self
    }
}

/// The native model's fields for one item of a service.
fn traffic(item: &RuleTraffic) -> Value {
    let mut out = json!({"protocol": item.protocol});
    if let Some(ports) = &item.ports {
        out["ports"] = json!(ports);
    }
    if let Some(icmp_type) = item.icmp_type {
        out["icmp_type"] = json!(icmp_type);
    }
    out
}

/// One rule per item of `service`, with `peer` under `direction`.
fn rules(service: &str, direction: &str, peer: &str) -> Result<Vec<Value>, ServiceError> {
    let items = rule_traffic(service)?;
    Ok((items.iter())
        .map(|item| {
            let mut out = traffic(item);
            out[direction] = json!(peer);
            out
        })
        .collect())
}

/// A builder call whose service does not parse: the call, with the service
/// underlined.
#[derive(Clone, Debug, thiserror::Error, Diagnostic)]
#[error("{call} on `{owner}`: invalid service `{item}`: {reason}")]
#[diagnostic(code(np::build::service))]
struct BadService {
    call: String,
    owner: String,
    item: String,
    reason: String,
    #[label("{reason}")]
    span: miette::SourceSpan,
    #[help]
    help: Option<String>,
}

impl BadService {
    fn new(call: String, owner: &str, error: ServiceError) -> Self {
        // The service is the call's first quoted argument.
        let start = call.find('"').map_or(0, |i| i + 1) + error.span.0;
        BadService {
            span: (start, error.span.1).into(),
            owner: owner.to_string(),
            item: error.item,
            reason: error.reason,
            help: error.help,
            call,
        }
    }
}

/// A network ACL: stateless, ordered entries; what no entry allows is denied.
#[derive(Clone, Debug)]
pub struct NetworkAcl {
    id: String,
    vpc: String,
    entries: Vec<Value>,
    problems: Vec<BadService>,
}

impl NetworkAcl {
    /// A NACL with no entries (it denies everything).
    pub fn new(id: impl Into<String>, vpc: impl Into<String>) -> Self {
        NetworkAcl {
            id: id.into(),
            vpc: vpc.into(),
            entries: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn entry(
        mut self,
        rule: u32,
        direction: &str,
        action: &str,
        service: &str,
        cidr: &str,
    ) -> Self {
        let way = if direction == "ingress" { "in" } else { "out" };
        let call = format!("NetworkAcl::{action}_{way}({rule}, {service:?}, {cidr:?})");
        let items = match rule_traffic(service) {
            Ok(items) => items,
            Err(e) => {
                self.problems.push(BadService::new(call, &self.id, e));
                return self;
            }
        };
        // An entry holds one protocol and port range.
        let [item] = items.as_slice() else {
            let reason = "a NACL entry holds one protocol and port range";
            self.problems.push(BadService::new(
                call,
                &self.id,
                ServiceError {
                    item: service.to_string(),
                    reason: reason.into(),
                    span: (0, service.len()),
                    help: Some("give each protocol and port range its own entry".into()),
                },
            ));
            return self;
        };
        let mut entry = traffic(item);
        entry["rule"] = json!(rule);
        entry["direction"] = json!(direction);
        entry["action"] = json!(action);
        entry["cidr"] = json!(cidr);
        self.entries.push(entry);
        self
    }

    /// Inbound entry `rule` allowing `service` from `cidr`.
    pub fn allow_in(self, rule: u32, service: &str, cidr: &str) -> Self {
        self.entry(rule, "ingress", "allow", service, cidr)
    }

    /// Inbound entry `rule` denying `service` from `cidr`.
    pub fn deny_in(self, rule: u32, service: &str, cidr: &str) -> Self {
        self.entry(rule, "ingress", "deny", service, cidr)
    }

    /// Outbound entry `rule` allowing `service` to `cidr`.
    pub fn allow_out(self, rule: u32, service: &str, cidr: &str) -> Self {
        self.entry(rule, "egress", "allow", service, cidr)
    }

    /// Outbound entry `rule` denying `service` to `cidr`.
    pub fn deny_out(self, rule: u32, service: &str, cidr: &str) -> Self {
        self.entry(rule, "egress", "deny", service, cidr)
    }
}

/// An instance with one network interface.
#[derive(Clone, Debug)]
pub struct Instance {
    id: String,
    subnet: String,
    groups: Vec<String>,
    private_ip: Option<String>,
    public_ip: Option<String>,
}

impl Instance {
    /// An instance in `subnet`; its address is the subnet's lowest free one.
    pub fn new(id: impl Into<String>, subnet: impl Into<String>) -> Self {
        Instance {
            id: id.into(),
            subnet: subnet.into(),
            groups: Vec::new(),
            private_ip: None,
            public_ip: None,
        }
    }

    /// Puts it in a security group (by id).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.groups.push(group.into());
        self
    }

    /// Its private address.
    pub fn private_ip(mut self, ip: impl Into<String>) -> Self {
        self.private_ip = Some(ip.into());
        self
    }

    /// Its public address, or `auto` for one AWS would assign (the default
    /// in a [`Subnet::public`] subnet).
    pub fn public_ip(mut self, ip: impl Into<String>) -> Self {
        self.public_ip = Some(ip.into());
        self
    }

    /// No public address, even in a public subnet.
    pub fn private_only(mut self) -> Self {
        self.public_ip = Some(String::new());
        self
    }
}
