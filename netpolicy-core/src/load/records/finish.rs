//! The one step from records to model parts: what AWS adds to a network
//! beyond what its document writes, applied in one fixed order for every
//! format.
//!
//! A reader translates its document into records and says, in a
//! [`Finish`], what the document implies without writing it (groups created
//! without egress rules, ids known only outside it, the default VPC it lands
//! in). [`finish`] then applies, in this order: the default VPC, the
//! default groups the input names, objects known only outside the input,
//! public addresses that follow their subnet (which may be one of those),
//! the rules written for groups the input does not hold, the default groups
//! of interfaces that name none, AWS's allow-all egress rule, routes to
//! instances, `local` routes, routes to endpoints netpolicy does not follow,
//! and what the input names but does not hold (pruned, or
//! unknown prefix lists declared empty). The order matters: a default group
//! must stand before unknown references are placed or pruned, or a rule naming
//! it would name an external group without rules.

use super::{default_group, default_vpc, external, public_address, reconcile, route};
use crate::diagnostic::Warning;
use crate::model::{
    Approximation, ModelParts, NaclAction, SecurityGroupRule, TrafficMatch, outbound_routes_part,
};
use crate::span::Span;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The formats netpolicy reads, for the words and codes of what [`finish`]
/// reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A CloudFormation template.
    Template,
    /// A Terraform plan or state.
    Plan,
    /// An AWS CLI dump.
    Dump,
    /// The native format.
    Native,
}

impl Format {
    /// How warnings name the input.
    pub(crate) fn input(self) -> &'static str {
        match self {
            Format::Template => "the template",
            Format::Plan => "the plan",
            Format::Dump => "the dump",
            Format::Native => "the model",
        }
    }

    fn external_code(self) -> &'static str {
        match self {
            Format::Template => "np::cfn::external",
            Format::Plan => "np::terraform::external",
            Format::Dump => "np::aws::external",
            Format::Native => "np::native::external",
        }
    }

    fn not_modelled_code(self) -> &'static str {
        match self {
            Format::Template => "np::cfn::not-modelled",
            Format::Plan => "np::terraform::not-modelled",
            Format::Dump => "np::aws::not-modelled",
            Format::Native => "np::native::not-modelled",
        }
    }

    fn missing_code(self) -> &'static str {
        match self {
            Format::Template => "np::cfn::managed-prefix-list",
            Format::Plan => "np::terraform::not-in-plan",
            Format::Dump => "np::aws::not-in-dump",
            Format::Native => "np::native::not-in-model",
        }
    }

    fn default_vpc_code(self) -> &'static str {
        match self {
            Format::Template => "np::cfn::default-vpc",
            Format::Plan => "np::terraform::default-vpc",
            Format::Dump => "np::aws::default-vpc",
            Format::Native => "np::native::default-vpc",
        }
    }

    /// Whether the format can write a route that really drops its packets
    /// (a dump's `blackhole` state, the native `blackhole` target). In the
    /// others a blackhole stands only for a target netpolicy does not follow.
    fn writes_blackholes(self) -> bool {
        matches!(self, Format::Dump | Format::Native)
    }
}

/// What the input says about objects it does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outside {
    /// Every reference must name an object of the input (hand-written).
    Closed,
    /// Ids of the deployed account stand as external objects; the model
    /// rejects other references it does not hold.
    Placed,
    /// What the input names but does not hold is neutralised, with a warning.
    Pruned,
    /// Ids of the deployed account stand as external objects; what still
    /// names nothing is neutralised.
    PlacedThenPruned,
}

/// What a skipped IPv6 part could let through that the IPv4 model does not:
/// the part a verdict then rests on (docs/semantics.md, "IPv6").
#[derive(Debug, Clone)]
pub(crate) enum Ipv6Skip {
    /// A security-group rule with an IPv6 peer: the group's rules in that
    /// direction, for the rule's traffic.
    Rule {
        /// The group.
        group: String,
        /// An egress rule (`false`: ingress).
        egress: bool,
        /// The rule's protocol and ports.
        traffic: TrafficMatch,
    },
    /// An IPv6 route, by its table's id: what the table's subnets send
    /// (see [`outbound_routes_part`]).
    Routes(String),
    /// An IPv6 allow entry of a NACL: the NACL, unless its IPv4 entries in
    /// that direction let everything through already (then the IPv6 entry
    /// lets through nothing that IPv4 packets between the same interfaces
    /// could not: a default NACL's rule 101).
    NaclAllow {
        /// The NACL.
        acl: String,
        /// An outbound entry (`false`: inbound).
        egress: bool,
    },
    /// IPv6 entries of a prefix list (by its id): the whole list.
    Part(String),
    /// A block or an address: it lets nothing through by itself (rules,
    /// entries and routes decide), so no verdict rests on it alone.
    Address,
}

impl Ipv6Skip {
    /// An IPv6 peer of one of `group`'s rules, in its direction.
    pub(crate) fn rule(group: &str, egress: bool, traffic: TrafficMatch) -> Ipv6Skip {
        Ipv6Skip::Rule {
            group: group.to_string(),
            egress,
            traffic,
        }
    }

    /// An IPv6 entry of NACL `acl`: an allow entry may let through what the
    /// model lacks; a deny entry only takes away IPv6 packets, which the
    /// model has none of.
    pub(crate) fn nacl_entry(acl: &str, egress: bool, action: NaclAction) -> Ipv6Skip {
        match action {
            NaclAction::Allow => Ipv6Skip::NaclAllow {
                acl: acl.to_string(),
                egress,
            },
            NaclAction::Deny => Ipv6Skip::Address,
        }
    }
}

/// IPv6 rules, routes, NACL entries and blocks a reader skipped: how many,
/// where the first is, and which parts they make unknown. One warning says
/// so, alike in every format; [`Ipv6Skipped::approximate`] marks the parts.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ipv6Skipped {
    count: usize,
    first: Option<Span>,
    skips: Vec<Ipv6Skip>,
}

impl Ipv6Skipped {
    /// Counts one skipped at `span`, which makes `skip` unknown.
    pub(crate) fn note(&mut self, span: Option<Span>, skip: Ipv6Skip) {
        self.count += 1;
        if self.first.is_none() {
            self.first = span;
        }
        if !matches!(skip, Ipv6Skip::Address) {
            self.skips.push(skip);
        }
    }

    /// Adds the skips of another reader of the same estate.
    pub(crate) fn add(&mut self, other: Ipv6Skipped) {
        self.count += other.count;
        self.first = self.first.or(other.first);
        self.skips.extend(other.skips);
    }

    /// Marks every part a skip concerns as modelled narrower than AWS: the
    /// model carries no IPv6 packet, so an IPv6 rule, allow entry or route
    /// may let through what the model lacks, and a verdict that rests on it
    /// is UNKNOWN rather than a false HOLDS (a `tcp/22 from ::/0` rule beside
    /// a `::/0 -> igw` route opens ssh to the IPv6 internet).
    fn approximate(&self, parts: &mut ModelParts) {
        for skip in &self.skips {
            match skip {
                Ipv6Skip::Rule {
                    group,
                    egress,
                    traffic,
                } => parts.approximate_rule(group, *egress, Approximation::Narrower, *traffic),
                Ipv6Skip::Routes(table) => {
                    parts.approximate(outbound_routes_part(table), Approximation::Narrower);
                }
                Ipv6Skip::NaclAllow { acl, egress } => {
                    if !ipv4_opens_all(parts, acl, *egress) {
                        parts.approximate(acl.as_str(), Approximation::Narrower);
                    }
                }
                Ipv6Skip::Part(id) => parts.approximate(id.as_str(), Approximation::Narrower),
                Ipv6Skip::Address => {}
            }
        }
    }

    fn warning(&self) -> Option<Warning> {
        (self.count > 0).then(|| {
            Warning::new(
                "np::load::ipv6-ignored",
                format!(
                    "{} IPv6 rule(s), route(s), NACL entr(y/ies) or block(s) skipped: netpolicy models IPv4 only, so a verdict that rests on a group, NACL or route table they belong to is UNKNOWN",
                    self.count
                ),
                self.first,
            )
        })
    }
}

/// Whether the IPv4 entries of `acl` in one direction let every packet
/// through: the first of them in rule order allows all traffic from (or to)
/// `0.0.0.0/0`.
fn ipv4_opens_all(parts: &ModelParts, acl: &str, egress: bool) -> bool {
    let Some(acl) = parts.network_acls.iter().find(|a| a.meta.id == acl) else {
        return false;
    };
    let first = (acl.entries.iter())
        .filter(|e| e.egress == egress)
        .min_by_key(|e| e.rule_number);
    first.is_some_and(|e| {
        e.action == NaclAction::Allow && e.traffic == TrafficMatch::ALL && e.cidr.prefix_len() == 0
    })
}

/// The resources that landed in a region's default VPC.
#[derive(Debug, Default)]
pub(crate) struct DefaultVpcUse {
    /// The region (its zones name the default subnets).
    pub(crate) region: String,
    /// The zones the resources named.
    pub(crate) zones: BTreeSet<String>,
    /// The resources, by id.
    pub(crate) users: Vec<String>,
}

/// What a reader hands the records step besides the records.
#[derive(Debug)]
pub(crate) struct Finish {
    /// The format read.
    pub(crate) format: Format,
    /// What references to objects outside the input become.
    pub(crate) outside: Outside,
    /// Resources the input puts in the region's default VPC, if any.
    pub(crate) default_vpc: Option<DefaultVpcUse>,
    /// The VPCs' default groups: declared by the input, and named by it.
    pub(crate) default_groups: default_group::DefaultGroups,
    /// Groups the input creates without an egress rule, to which AWS adds its
    /// allow-all rule.
    pub(crate) created_without_egress: Vec<String>,
    /// Rules the input adds to groups it does not hold (`(group, egress,
    /// rule)`), added once those groups stand.
    pub(crate) outside_rules: Vec<(String, bool, SecurityGroupRule)>,
    /// VPC endpoints of kinds netpolicy does not follow (Gateway Load
    /// Balancer and firewall endpoints), which routes may name.
    pub(crate) appliance_endpoints: HashSet<String>,
    /// Interfaces whose public address at launch their subnet's
    /// `MapPublicIpOnLaunch` decides ([`public_address::at_launch`] said
    /// `None`).
    pub(crate) public_by_subnet: Vec<String>,
    /// IPv6 parts the reader skipped.
    pub(crate) ipv6: Ipv6Skipped,
}

impl Finish {
    /// Nothing implied yet, for `format`.
    pub(crate) fn new(format: Format, outside: Outside) -> Self {
        Finish {
            format,
            outside,
            default_vpc: None,
            default_groups: default_group::DefaultGroups::default(),
            created_without_egress: Vec::new(),
            outside_rules: Vec::new(),
            appliance_endpoints: HashSet::new(),
            public_by_subnet: Vec::new(),
            ipv6: Ipv6Skipped::default(),
        }
    }

    /// Adds what another document of the same estate implies (several plans
    /// read as one network).
    pub(crate) fn append(&mut self, other: Finish) {
        if let Some(theirs) = other.default_vpc {
            let ours = self.default_vpc.get_or_insert_with(DefaultVpcUse::default);
            if ours.region.is_empty() {
                ours.region = theirs.region;
            }
            ours.zones.extend(theirs.zones);
            ours.users.extend(theirs.users);
        }
        self.default_groups.append(other.default_groups);
        self.created_without_egress
            .extend(other.created_without_egress);
        self.outside_rules.extend(other.outside_rules);
        self.appliance_endpoints.extend(other.appliance_endpoints);
        self.public_by_subnet.extend(other.public_by_subnet);
        self.ipv6.add(other.ipv6);
    }
}

/// Applies what `how` says the input implies to `parts`, in the order the
/// module documentation gives; `outside` explains ids known only outside the
/// input (`Some(why)`). Returns the warnings.
pub(crate) fn finish(
    parts: &mut ModelParts,
    how: Finish,
    outside: &dyn Fn(&str) -> Option<String>,
) -> Vec<Warning> {
    let format = how.format;
    let mut warnings: Vec<Warning> = how.ipv6.warning().into_iter().collect();
    how.ipv6.approximate(parts);
    if let Some(use_) = how.default_vpc.filter(|u| !u.users.is_empty()) {
        warnings.push(default_vpc::add(
            parts,
            &use_.region,
            &use_.zones,
            &use_.users,
            format.default_vpc_code(),
        ));
    }
    let groups = how.default_groups;
    groups.stand_named(parts, how.outside_rules.iter().map(|(g, _, _)| g));
    if matches!(how.outside, Outside::Placed | Outside::PlacedThenPruned) {
        warnings.extend(external::place_external(
            parts,
            outside,
            format.external_code(),
        ));
    }
    public_address::follow_subnets(parts, &how.public_by_subnet);
    add_outside_rules(parts, how.outside_rules);
    groups.join(parts);
    add_default_egress(parts, &how.created_without_egress);
    route::resolve_instance_targets(parts);
    route::drop_local(parts);
    warnings.extend(route::stop_at_endpoints(
        parts,
        &how.appliance_endpoints,
        format.not_modelled_code(),
    ));
    if !format.writes_blackholes() {
        route::approximate_stopped(parts);
    }
    let missing = match how.outside {
        Outside::Pruned | Outside::PlacedThenPruned => {
            reconcile::prune_unknown_references(parts, format.missing_code(), format.input())
        }
        Outside::Placed => {
            reconcile::declare_unknown_prefix_lists(parts, format.missing_code(), format.input())
        }
        Outside::Closed => Vec::new(),
    };
    warnings.extend(missing);
    warnings
}

/// Adds the rules the input writes for groups it does not hold, to those
/// that now stand (an id nothing explained stays unheld, and its rules with
/// it: the model reports the dangling reference that named it).
fn add_outside_rules(parts: &mut ModelParts, rules: Vec<(String, bool, SecurityGroupRule)>) {
    if rules.is_empty() {
        return;
    }
    let index: HashMap<String, usize> = (parts.security_groups.iter().enumerate())
        .map(|(i, g)| (g.meta.id.clone(), i))
        .collect();
    for (group, egress, rule) in rules {
        let Some(g) = index
            .get(&group)
            .and_then(|&i| parts.security_groups.get_mut(i))
        else {
            continue;
        };
        if egress {
            g.egress.push(rule);
        } else {
            g.ingress.push(rule);
        }
    }
}

/// AWS's allow-all egress rule, first in each group of `groups` (those the
/// input creates without an egress rule).
fn add_default_egress(parts: &mut ModelParts, groups: &[String]) {
    if groups.is_empty() {
        return;
    }
    let groups: HashSet<&str> = groups.iter().map(String::as_str).collect();
    for g in (parts.security_groups.iter_mut()).filter(|g| groups.contains(g.meta.id.as_str())) {
        g.egress
            .insert(0, default_group::allow_all_egress(g.meta.span));
    }
}
