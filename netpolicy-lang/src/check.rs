//! Assertions to engine queries to verdicts. docs/language.md states what each
//! assertion kind means; this is that text, executed.

use crate::ast::{Assertion, AssertionKind, Layer, Policy, Qualifier, Selector, ServiceExpr};
use crate::report::{
    Counterexample, HopReport, Location, MAX_COUNTEREXAMPLES, Report, Status, Verdict,
};
use crate::resolve::{Endpoints, ResolveError, Resolver, glob_match};
use crate::service::{ServiceError, parse_service};
use crate::undecided::{Approximations, Parts, Role};
use netpolicy_core::engine::{Endpoint, Engine, Flow, HopKind, PathKind, ReachingPair};
use netpolicy_core::model::{Ignored, Model};
use netpolicy_core::packet::{Dim, IntervalSet, Packet, PacketSet};
use netpolicy_core::span::{SourceMap, Span};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Why a policy could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum CheckError {
    /// A name in the policy matches nothing in the model.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Resolve(#[from] ResolveError),
    /// A `let` binding that cannot stand.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Let(#[from] crate::resolve::LetError),
    /// The policy holds no assertion: a CI variable left empty must not pass.
    #[error("{name} has no assertion: there is nothing to check")]
    #[diagnostic(
        code(np::check::empty),
        help("write an assertion, e.g. `no internet -> vpc:* : ssh`")
    )]
    NoAssertion {
        /// The policy, as the report names it.
        name: String,
    },
    /// A service expression is malformed.
    #[error("{error}")]
    #[diagnostic(code(np::check::service))]
    Service {
        /// The service error.
        error: ServiceError,
        /// Where, in the policy.
        #[label("{}", error.reason)]
        span: Span,
        /// A suggestion.
        #[help]
        help: Option<String>,
    },
}

impl CheckError {
    /// Where in the policy the error is.
    pub fn span(&self) -> Option<Span> {
        match self {
            CheckError::Resolve(e) => e.span,
            CheckError::Service { span, .. } => Some(*span),
            CheckError::NoAssertion { .. } => None,
            CheckError::Let(e) => Some(e.span),
        }
    }
}

/// Checks every assertion of `policy` against `model`. `policy_sources` holds the
/// policy text (for locations); `policy_name` and `model_name` label the report.
pub fn check_policy(
    model: &Model,
    policy: &Policy,
    policy_sources: &SourceMap,
    policy_name: &str,
    model_name: &str,
) -> Result<Report, CheckError> {
    let engine = Engine::new(model);
    let names = Names {
        policy: policy_name,
        model: model_name,
    };
    check_policy_with(&engine, policy, policy_sources, names, &|| {})
}

/// What a report calls the policy and the model.
#[derive(Clone, Copy, Debug)]
pub struct Names<'a> {
    /// The policy, as the report names it.
    pub policy: &'a str,
    /// The model, as the report names it.
    pub model: &'a str,
}

/// How a policy is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Counterexamples kept per verdict (the rest are counted in
    /// `Verdict::findings`); `usize::MAX` keeps every finding.
    pub max_counterexamples: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_counterexamples: MAX_COUNTEREXAMPLES,
        }
    }
}

impl CheckOptions {
    /// Keeps at most `limit` counterexamples per verdict.
    pub fn max_counterexamples(mut self, limit: usize) -> Self {
        self.max_counterexamples = limit;
        self
    }

    /// Keeps every finding as a counterexample.
    pub fn all_counterexamples(self) -> Self {
        self.max_counterexamples(usize::MAX)
    }
}

/// [`check_policy`] with an engine compiled by the caller (compile once, check
/// several policies), calling `done` after each assertion (for progress).
pub fn check_policy_with(
    engine: &Engine<'_>,
    policy: &Policy,
    policy_sources: &SourceMap,
    names: Names<'_>,
    done: &(dyn Fn() + Sync),
) -> Result<Report, CheckError> {
    let options = CheckOptions::default();
    check_policy_options(engine, policy, policy_sources, names, &options, done)
}

/// [`check_policy_with`] with options (how many counterexamples to keep).
pub fn check_policy_options(
    engine: &Engine<'_>,
    policy: &Policy,
    policy_sources: &SourceMap,
    names: Names<'_>,
    options: &CheckOptions,
    done: &(dyn Fn() + Sync),
) -> Result<Report, CheckError> {
    let model = engine.model();
    let (policy_name, model_name) = (names.policy, names.model);
    crate::resolve::check_lets(&policy.lets)?;
    if policy.assertions.is_empty() {
        return Err(CheckError::NoAssertion {
            name: policy_name.to_string(),
        });
    }
    // `ignoring` assertions are judged on the model with that layer opened up,
    // one model and engine per combination asked for; names still resolve
    // against the user's model.
    let mut layered: Vec<Ignored> = policy.assertions.iter().map(ignored).collect();
    layered.retain(|i| !i.is_nothing());
    layered.sort_unstable();
    layered.dedup();
    let opened: Vec<Model> = layered.iter().map(|&i| model.ignoring(i)).collect();
    let engines: Vec<Engine<'_>> = opened.iter().map(Engine::new).collect();
    let approximations = Approximations::new(model);
    let checker = |engine| Checker {
        approximations: &approximations,
        model,
        limit: options.max_counterexamples,
        engine,
        resolver: Resolver::new(model, &policy.lets),
        policy_sources,
    };
    let plain = checker(engine);
    let checkers: Vec<(Ignored, Checker<'_, '_>)> = layered
        .iter()
        .zip(&engines)
        .map(|(&i, e)| (i, checker(e)))
        .collect();
    // Assertions are independent: check them in parallel, report them in order.
    let verdicts = policy
        .assertions
        .par_iter()
        .map(|a| {
            let wanted = ignored(a);
            let checker = checkers
                .iter()
                .find(|(i, _)| *i == wanted)
                .map_or(&plain, |(_, c)| c);
            let verdict = checker.assertion(a);
            done();
            verdict
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Report {
        policy: policy_name.to_string(),
        model: model_name.to_string(),
        verdicts,
        warnings: model
            .warnings()
            .iter()
            .map(|w| format!("{}: {}", w.code, w.message))
            .collect(),
    })
}

/// Every error that would stop `policy` from being checked against the
/// engine's model, not just the first: each unknown name, malformed service,
/// bad `let` and unknown `through` place, in policy order. Empty when the
/// policy can be checked.
pub fn validate_policy(
    engine: &Engine<'_>,
    policy: &Policy,
    policy_sources: &SourceMap,
) -> Vec<CheckError> {
    let mut errors = Vec::new();
    if let Err(e) = crate::resolve::check_lets(&policy.lets) {
        // Bindings that cannot stand make every use of them fail too.
        errors.push(e.into());
        return errors;
    }
    // Only names are resolved: no verdict is decided.
    let approximations = Approximations::none();
    let checker = Checker {
        approximations: &approximations,
        model: engine.model(),
        limit: 0,
        engine,
        resolver: Resolver::new(engine.model(), &policy.lets),
        policy_sources,
    };
    // An unknown name inside a `let` is met again at each use: listed once.
    let unknown = |e: ResolveError, errors: &mut Vec<CheckError>| {
        let e = CheckError::Resolve(e);
        if !errors.contains(&e) {
            errors.push(e);
        }
    };
    for l in &policy.lets {
        if let Err(e) = checker.resolver.selector(&l.selector) {
            unknown(e, &mut errors);
        }
    }
    for a in &policy.assertions {
        for s in selectors_of(&a.kind) {
            if let Err(e) = checker.resolver.selector(s) {
                unknown(e, &mut errors);
            }
        }
        if let Some(expr) = service_of(&a.kind)
            && let Err(e) = checker.service(Some(expr))
        {
            errors.push(e);
        }
        if let Err(e) = PathFilter::new(&checker, &a.qualifiers) {
            errors.push(e);
        }
    }
    errors
}

/// The selectors an assertion names, in the order written.
fn selectors_of(kind: &AssertionKind) -> Vec<&Selector> {
    match kind {
        AssertionKind::Reach { from, to, .. }
        | AssertionKind::No { from, to, .. }
        | AssertionKind::Only { from, to, .. } => vec![from, to],
        AssertionKind::Isolated { a, b } | AssertionKind::Same { a, b } => vec![a, b],
        AssertionKind::LeastPrivilege { targets } | AssertionKind::Exposure { targets, .. } => {
            vec![targets]
        }
    }
}

/// The service an assertion names, if any.
fn service_of(kind: &AssertionKind) -> Option<&ServiceExpr> {
    match kind {
        AssertionKind::Reach { service, .. }
        | AssertionKind::No { service, .. }
        | AssertionKind::Only { service, .. } => service.as_ref(),
        AssertionKind::Exposure { allowed, .. } => allowed.as_ref(),
        AssertionKind::Isolated { .. }
        | AssertionKind::Same { .. }
        | AssertionKind::LeastPrivilege { .. } => None,
    }
}

/// The layers an assertion's `ignoring` qualifiers leave out.
fn ignored(a: &Assertion) -> Ignored {
    let mut out = Ignored::default();
    for q in &a.qualifiers {
        match q {
            Qualifier::Ignoring(Layer::SecurityGroups, _) => out.security_groups = true,
            Qualifier::Ignoring(Layer::NetworkAcls, _) => out.network_acls = true,
            _ => {}
        }
    }
    out
}

struct Checker<'m, 'e> {
    model: &'m Model,
    /// Counterexamples kept per verdict.
    limit: usize,
    engine: &'e Engine<'m>,
    resolver: Resolver<'m>,
    policy_sources: &'m SourceMap,
    /// The approximated parts each interface rests on.
    approximations: &'e Approximations,
}

/// What [`Checker::each_reaching_pair`] calls for each reaching pair: its
/// positions, the kind of its first accepted path, and a way to build its
/// packets; answers whether to go on.
type PairVisitor<'v> = dyn FnMut(usize, usize, &PathKind, &dyn Fn() -> PacketSet) -> bool + 'v;

/// Source-destination pairs computed at once by [`Checker::each_reaching_pair`].
const PAIRS_PER_BLOCK: usize = 262_144;

/// The findings of one assertion: how many, and the first few in full (the
/// report shows the checker's limit; the rest are only counted). Findings
/// arrive in any order; the kept ones are those with the smallest keys (pair
/// positions), so a report does not depend on how the work was cut.
struct Found {
    total: usize,
    limit: usize,
    first: Vec<((usize, usize), Finding)>,
}

impl Found {
    fn new(limit: usize) -> Found {
        Found {
            total: 0,
            limit,
            first: Vec::new(),
        }
    }

    fn of(all: Vec<Finding>, limit: usize) -> Found {
        Found {
            total: all.len(),
            limit,
            first: all
                .into_iter()
                .take(limit)
                .enumerate()
                .map(|(k, f)| ((k, 0), f))
                .collect(),
        }
    }

    /// Counts a finding, building it only when it is among the first few.
    fn push(&mut self, key: (usize, usize), finding: impl FnOnce() -> Finding) {
        self.total += 1;
        let full = self.first.len() >= self.limit;
        if full && self.first.last().is_some_and(|(k, _)| *k <= key) {
            return;
        }
        let at = self.first.partition_point(|(k, _)| *k < key);
        self.first.insert(at, (key, finding()));
        self.first.truncate(self.limit);
    }

    /// Adds `other`'s findings after these.
    fn append(&mut self, other: Found) {
        let room = self.limit.saturating_sub(self.first.len());
        let offset = self.first.last().map_or(0, |(k, _)| k.0 + 1);
        self.first.extend(
            other
                .first
                .into_iter()
                .take(room)
                .map(|((i, j), f)| ((offset + i, j), f)),
        );
        self.total += other.total;
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }

    fn into_findings(self) -> impl Iterator<Item = Finding> {
        self.first.into_iter().map(|(_, f)| f)
    }
}

/// A finding before it becomes a counterexample.
struct Finding {
    text: String,
    src: Endpoint,
    dst: Endpoint,
    packets: PacketSet,
    flow: Option<PathKind>,
    /// The kind of hop whose rule the finding is about; `None`: the first hop
    /// that drops the packet, else the destination's security-group ingress.
    decisive: Option<HopKind>,
}

/// Every place a flow passes: VPCs, subnets, gateways, peerings, load balancers,
/// and `internet`.
type Places = BTreeSet<String>;

impl Checker<'_, '_> {
    fn service(&self, expr: Option<&ServiceExpr>) -> Result<PacketSet, CheckError> {
        match expr {
            None => Ok(PacketSet::client_traffic()),
            Some(e) => parse_service(&e.text).map_err(|err| {
                let start = e.span.start as usize + err.span.0;
                let span = Span::new(e.span.source, start, start + err.span.1);
                let help = err.help.clone();
                CheckError::Service {
                    error: err,
                    span,
                    help,
                }
            }),
        }
    }

    fn location(&self, span: Span) -> Location {
        let (line, column) = self.policy_sources.line_col(span).unwrap_or((0, 0));
        let file = self
            .policy_sources
            .get(span.source)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        Location {
            file,
            line,
            column,
            start: span.start as usize,
            end: span.end as usize,
        }
    }

    fn model_location(&self, span: Option<Span>) -> Option<Location> {
        let span = span?;
        let (line, column) = self.model.sources().line_col(span)?;
        let file = self.model.sources().get(span.source)?.name.clone();
        Some(Location {
            file,
            line,
            column,
            start: span.start as usize,
            end: span.end as usize,
        })
    }

    fn everyone(&self) -> Endpoints {
        self.model
            .enis()
            .iter()
            .map(|e| Endpoint::Eni(e.meta.id.clone()))
            .chain([Endpoint::Internet, Endpoint::OnPrem])
            .collect()
    }

    /// The external objects the endpoints of `a` depend on (at most five).
    fn external_dependencies(&self, a: &Assertion) -> Result<Vec<String>, CheckError> {
        if self.model.parts().external.is_empty() {
            return Ok(Vec::new());
        }
        let selectors = selectors_of(&a.kind);
        let mut found = std::collections::BTreeSet::new();
        for s in selectors {
            for e in self.resolver.selector(s)? {
                let Endpoint::Eni(id) = e else { continue };
                let dependency = self
                    .model
                    .eni(&id)
                    .and_then(|eni| self.model.external_dependency(eni));
                if let Some(d) = dependency {
                    found.insert(d.to_string());
                }
            }
        }
        Ok(found.into_iter().take(5).collect())
    }

    /// Route targets netpolicy does not follow yet (transit gateways,
    /// middlebox interfaces) that traffic between the assertion's endpoints
    /// meets: what reaches through them is unknown to the verdict.
    fn unfollowed_routes(&self, a: &Assertion) -> Result<Vec<String>, CheckError> {
        // Most models have none: no selector is resolved again for them.
        if !self.engine.has_unfollowed_routes() {
            return Ok(Vec::new());
        }
        let endpoints = |s: &Selector| -> Result<Vec<Endpoint>, CheckError> {
            Ok(self.resolver.selector(s)?.into_iter().collect())
        };
        let found = match &a.kind {
            AssertionKind::Reach { from, to, .. }
            | AssertionKind::No { from, to, .. }
            | AssertionKind::Only { from, to, .. } => {
                (self.engine).unfollowed_routes(&endpoints(from)?, Some(&endpoints(to)?))
            }
            AssertionKind::Isolated { a, b } => {
                (self.engine).unfollowed_routes(&endpoints(a)?, Some(&endpoints(b)?))
            }
            // Inbound and outbound, from and to anywhere.
            AssertionKind::Same { a, b } => {
                let mut both = endpoints(a)?;
                both.extend(endpoints(b)?);
                self.engine.unfollowed_routes(&both, None)
            }
            AssertionKind::Exposure { targets, .. } => {
                (self.engine).unfollowed_routes(&[Endpoint::Internet], Some(&endpoints(targets)?))
            }
            AssertionKind::LeastPrivilege { .. } => Default::default(),
        };
        Ok(found.into_iter().take(5).collect())
    }

    fn assertion(&self, a: &Assertion) -> Result<Verdict, CheckError> {
        let filter = PathFilter::new(self, &a.qualifiers)?;
        let (findings, holds_message, violated_message, violated) = match &a.kind {
            AssertionKind::Reach {
                any,
                from,
                to,
                service,
            } => {
                let (from, to) = (self.resolver.selector(from)?, self.resolver.selector(to)?);
                let query = filter.widen(self.service(service.as_ref())?);
                let (from, to): (Vec<Endpoint>, Vec<Endpoint>) =
                    (from.into_iter().collect(), to.into_iter().collect());
                // Only which pairs reach is kept, never their packets.
                let mut reaching: HashSet<(usize, usize)> = HashSet::new();
                // `any` is decided by its first witness.
                let enough = |found: usize| *any && found > 0;
                self.each_reaching_pair(&from, &to, &query, &filter, &mut |i, j, _, _| {
                    reaching.insert((i, j));
                    !enough(reaching.len())
                });
                let reached = reaching.len();
                let reaching = &reaching;
                let (from, to) = (&from, &to);
                let missing = (0..from.len()).flat_map(|i| {
                    (0..to.len())
                        .filter(move |&j| from[i] != to[j] && !reaching.contains(&(i, j)))
                        .map(move |j| (&from[i], &to[j]))
                });
                let violated = if *any {
                    reached == 0
                } else {
                    missing.clone().next().is_some()
                };
                let mut findings = Found::new(self.limit);
                if violated {
                    for (k, (s, d)) in missing.enumerate() {
                        findings.push((k, 0), || self.blocked(s, d, &query));
                    }
                }
                (
                    findings,
                    if *any {
                        "a source-destination pair reaches (the first one found decides)".into()
                    } else {
                        format!("{reached} source-destination pairs reach")
                    },
                    "these pairs do not reach".to_string(),
                    violated,
                )
            }
            AssertionKind::No {
                from,
                to,
                both,
                service,
            } => {
                let (from, to) = (self.resolver.selector(from)?, self.resolver.selector(to)?);
                let query = filter.widen(self.service(service.as_ref())?);
                let mut findings = self.flows_between(&from, &to, &query, &filter);
                if *both {
                    findings.append(self.flows_between(&to, &from, &query, &filter));
                }
                let violated = !findings.is_empty();
                (
                    findings,
                    "no flow exists".into(),
                    "flows exist".into(),
                    violated,
                )
            }
            AssertionKind::Only { from, to, service } => {
                let (allowed, to) = (self.resolver.selector(from)?, self.resolver.selector(to)?);
                let query = filter.widen(self.service(service.as_ref())?);
                let others: Endpoints = &self.everyone() - &allowed;
                let findings = self.flows_between(&others, &to, &query, &filter);
                let violated = !findings.is_empty();
                (
                    findings,
                    "only the allowed sources reach".into(),
                    "other sources reach".into(),
                    violated,
                )
            }
            AssertionKind::Isolated { a, b } => {
                let (a, b) = (self.resolver.selector(a)?, self.resolver.selector(b)?);
                let all = filter.widen(PacketSet::client_traffic());
                let mut findings = self.flows_between(&a, &b, &all, &filter);
                findings.append(self.flows_between(&b, &a, &all, &filter));
                let violated = !findings.is_empty();
                (
                    findings,
                    "nothing flows either way".into(),
                    "flows exist".into(),
                    violated,
                )
            }
            AssertionKind::Same { a, b } => {
                let (a, b) = (self.resolver.selector(a)?, self.resolver.selector(b)?);
                let findings = Found::of(self.parity(&a, &b, &filter), self.limit);
                let violated = !findings.is_empty();
                (
                    findings,
                    "both are reached by the same sources on the same services".into(),
                    "reachability differs".into(),
                    violated,
                )
            }
            AssertionKind::LeastPrivilege { targets } => {
                let targets = self.resolver.selector(targets)?;
                let findings =
                    crate::least_privilege::broad_rules(self.model, self.engine, &targets)
                        .into_iter()
                        .map(|b| Finding {
                            text: b.describe(),
                            src: b.example_src.clone(),
                            dst: b.example_dst.clone(),
                            packets: b.packets.clone(),
                            flow: None,
                            decisive: Some(if b.direction == "egress" {
                                HopKind::SecurityGroupEgress
                            } else {
                                HopKind::SecurityGroupIngress
                            }),
                        })
                        .collect::<Vec<_>>();
                let findings = Found::of(findings, self.limit);
                let violated = !findings.is_empty();
                (
                    findings,
                    "every CIDR rule is as narrow as the interfaces it serves".into(),
                    "rules are broader than needed".into(),
                    violated,
                )
            }
            AssertionKind::Exposure { targets, allowed } => {
                let targets = self.resolver.selector(targets)?;
                let allowed = match allowed {
                    // Services name destination ports; any client port is allowed.
                    Some(expr) => self.service(Some(expr))?.with_any_source_port(),
                    None => PacketSet::empty(),
                };
                let mut findings = Found::new(self.limit);
                let targets: Vec<Endpoint> = targets
                    .into_iter()
                    .filter(|t| matches!(t, Endpoint::Eni(_)))
                    .collect();
                let internet = [Endpoint::Internet];
                let everything = filter.widen(PacketSet::client_traffic());
                let mut visit = |_: usize,
                                 j: usize,
                                 kind: &PathKind,
                                 exposed: &dyn Fn() -> PacketSet| {
                    let Some(t) = targets.get(j) else { return true };
                    let extra = exposed().difference(&allowed);
                    if !extra.is_empty() {
                        findings.push((0, j), || Finding {
                            text: format!("internet -> {} : {}", t.name(), extra.service_summary()),
                            src: Endpoint::Internet,
                            dst: t.clone(),
                            packets: extra,
                            flow: Some(kind.clone()),
                            decisive: None,
                        });
                    }
                    true
                };
                self.each_reaching_pair(&internet, &targets, &everything, &filter, &mut visit);
                let violated = !findings.is_empty();
                (
                    findings,
                    "nothing beyond the allowed services is exposed".into(),
                    "more is exposed".into(),
                    violated,
                )
            }
        };
        let incomplete = self.external_dependencies(a)?;
        let unfollowed = self.unfollowed_routes(a)?;
        let mut parts = self.rests_on(a)?;
        parts.add_unfollowed(&unfollowed);
        let findings_count = findings.total;
        let findings: Vec<Finding> = findings.into_findings().collect();
        let status = self.decide(&a.kind, violated, &parts, &findings);
        let counterexamples = findings
            .into_iter()
            .map(|f| self.counterexample(f))
            .collect();
        let modelled = if violated {
            format!("{violated_message} ({findings_count} findings)")
        } else {
            holds_message
        };
        let unknown = if status == Status::Unknown {
            parts.all().into_iter().take(5).collect()
        } else {
            Vec::new()
        };
        Ok(Verdict {
            name: a.label.clone(),
            assertion: a.text.clone(),
            location: self.location(a.span),
            status,
            message: if status == Status::Unknown {
                format!(
                    "undecided: {modelled} as modelled, but the answer rests on parts the input does not fix or netpolicy does not follow"
                )
            } else {
                modelled
            },
            findings: findings_count,
            counterexamples: if violated {
                counterexamples
            } else {
                Vec::new()
            },
            incomplete,
            unfollowed,
            unknown,
        })
    }

    /// The approximated parts that the endpoints of `a` rest on (see
    /// [`crate::undecided`]).
    fn rests_on(&self, a: &Assertion) -> Result<Parts, CheckError> {
        let mut parts = Parts::default();
        let found = self.approximations;
        if found.is_empty() {
            return Ok(parts);
        }
        // A part that judges other protocols and ports than the
        // assertion's cannot change it.
        let query = match &a.kind {
            AssertionKind::Reach { service, .. }
            | AssertionKind::No { service, .. }
            | AssertionKind::Only { service, .. } => {
                self.service(service.as_ref())?.with_any_source_port()
            }
            _ => PacketSet::all(),
        };
        let mut side = |s: &Selector, role: Role| -> Result<(), CheckError> {
            found.of(&self.resolver.selector(s)?, role, &query, &mut parts);
            Ok(())
        };
        match &a.kind {
            AssertionKind::Reach { from, to, .. }
            | AssertionKind::No {
                from,
                to,
                both: false,
                ..
            } => {
                side(from, Role::Source)?;
                side(to, Role::Destination)?;
            }
            AssertionKind::No { from: a, to: b, .. } | AssertionKind::Isolated { a, b } => {
                side(a, Role::Either)?;
                side(b, Role::Either)?;
            }
            // Every other interface is a source.
            AssertionKind::Only { to, .. } => {
                side(to, Role::Destination)?;
                found.everywhere(Role::Source, &query, &mut parts);
            }
            AssertionKind::Exposure { targets, .. } => side(targets, Role::Destination)?,
            AssertionKind::LeastPrivilege { targets } => side(targets, Role::Either)?,
            // Sources and destinations anywhere.
            AssertionKind::Same { .. } => found.everywhere(Role::Either, &query, &mut parts),
        }
        Ok(parts)
    }

    /// The status of an assertion whose answer on the model is `violated`,
    /// given the approximated parts it rests on: an answer that an
    /// approximation could have made is not a proof.
    fn decide(
        &self,
        kind: &AssertionKind,
        violated: bool,
        parts: &Parts,
        findings: &[Finding],
    ) -> Status {
        // Some finding exists whatever the parts modelled wider do.
        let a_finding_stands = || {
            parts.wider.is_empty()
                || (findings.iter())
                    .any(|f| !(self.approximations).may_not_exist(&f.src, &f.dst, &f.packets))
        };
        let proven = match kind {
            // Broad CIDR rules found: real unless a stand-in for an unknown
            // CIDR is the broad one; none found: a part that matches less
            // than it may (a prefix list) is no CIDR rule.
            AssertionKind::LeastPrivilege { .. } => !violated || a_finding_stands(),
            // Found flows: real unless they rest on a part modelled wider;
            // no flow: real unless a part modelled narrower hides one.
            AssertionKind::No { .. }
            | AssertionKind::Only { .. }
            | AssertionKind::Isolated { .. }
            | AssertionKind::Exposure { .. } => {
                if violated {
                    a_finding_stands()
                } else {
                    parts.narrower.is_empty()
                }
            }
            // Reaching: real unless through a wider part; not reaching: real
            // unless a narrower part stops it.
            AssertionKind::Reach { .. } => {
                if violated {
                    parts.narrower.is_empty()
                } else {
                    parts.wider.is_empty()
                }
            }
            // A difference, or its absence, may come from either.
            AssertionKind::Same { .. } => parts.wider.is_empty() && parts.narrower.is_empty(),
        };
        match (proven, violated) {
            (false, _) => Status::Unknown,
            (true, true) => Status::Violated,
            (true, false) => Status::Holds,
        }
    }

    /// Calls `visit` for every pair of `from` and `to` (an endpoint not with
    /// itself) that something reaches over accepted paths: the pair's
    /// positions, the kind of its first accepted path and its packets over
    /// accepted paths (built only when `visit` asks), until `visit` answers
    /// false. Decided by class (see [`Engine::reaching`]), a block of whole
    /// source classes at a time, so that memory follows the block, not every
    /// pair of a large selection, and no class pair is computed twice. Pairs
    /// come in no promised order.
    fn each_reaching_pair(
        &self,
        from: &[Endpoint],
        to: &[Endpoint],
        query: &PacketSet,
        filter: &PathFilter,
        visit: &mut PairVisitor<'_>,
    ) {
        let classes = self.source_classes(from);
        // Blocks aim at PAIRS_PER_BLOCK *reaching* pairs: the first is sized as
        // if every pair reached, the next by the share that did. On a large
        // estate few pairs reach and one or two blocks take everything.
        let mut target = (PAIRS_PER_BLOCK / to.len().max(1)).max(1);
        let mut next = classes.into_iter().peekable();
        while next.peek().is_some() {
            let mut block: Vec<usize> = Vec::new();
            while let Some(members) = next.peek() {
                if !block.is_empty() && block.len() + members.len() > target {
                    break;
                }
                block.extend(members);
                next.next();
            }
            let sources: Vec<Endpoint> =
                block.iter().filter_map(|&i| from.get(i).cloned()).collect();
            let reaching = self.engine.reaching(&sources, to, query);
            // Which pairs reach over accepted paths is decided by path kinds
            // alone; packets wait until a visit asks for them.
            let found: Vec<(ReachingPair<'_>, &PathKind)> = reaching
                .par_pairs()
                .filter_map(|p| {
                    let (s, d) = (sources.get(p.src)?, to.get(p.dst)?);
                    let kind = p.kinds().find(|k| filter.accepts(self, s, d, k))?;
                    Some((p, kind))
                })
                .collect();
            let reached = found.len().max(1);
            target = (PAIRS_PER_BLOCK.saturating_mul(block.len()) / reached).max(target);
            for (pair, kind) in found {
                let (Some(&i), Some(s), Some(d)) =
                    (block.get(pair.src), sources.get(pair.src), to.get(pair.dst))
                else {
                    continue;
                };
                let packets = || pair.packets_where(|k| filter.accepts(self, s, d, k));
                if !visit(i, pair.dst, kind, &packets) {
                    return;
                }
            }
        }
    }

    /// Positions of `from` by interface class (outside endpoints on their
    /// own), a class never split: its pairs are computed once, by class.
    fn source_classes(&self, from: &[Endpoint]) -> Vec<Vec<usize>> {
        let mut by_class: std::collections::BTreeMap<Option<usize>, Vec<usize>> =
            Default::default();
        for (i, e) in from.iter().enumerate() {
            let class = match e {
                Endpoint::Eni(id) => self.engine.class_of(id).map(|c| c.0),
                _ => None,
            };
            by_class.entry(class).or_default().push(i);
        }
        by_class.into_values().collect()
    }

    /// Every flow from `from` to `to`, in a stable order: how many, and the
    /// first few in full.
    fn flows_between(
        &self,
        from: &Endpoints,
        to: &Endpoints,
        query: &PacketSet,
        filter: &PathFilter,
    ) -> Found {
        let (from, to): (Vec<Endpoint>, Vec<Endpoint>) =
            (from.iter().cloned().collect(), to.iter().cloned().collect());
        let mut found = Found::new(self.limit);
        self.each_reaching_pair(&from, &to, query, filter, &mut |i, j, kind, packets| {
            let (Some(s), Some(d)) = (from.get(i), to.get(j)) else {
                return true;
            };
            found.push((i, j), || {
                let packets = packets();
                Finding {
                    text: format!(
                        "{} -> {} : {}",
                        s.name(),
                        d.name(),
                        packets.service_summary()
                    ),
                    src: s.clone(),
                    dst: d.clone(),
                    packets,
                    flow: Some(kind.clone()),
                    decisive: None,
                }
            });
            true
        });
        found
    }

    /// Parity both ways: every other endpoint reaches `a` and `b` on the same
    /// services, and `a` and `b` reach every other endpoint on the same services.
    fn parity(&self, a: &Endpoints, b: &Endpoints, filter: &PathFilter) -> Vec<Finding> {
        let all = filter.widen(PacketSet::client_traffic());
        let sides: Endpoints = a | b;
        let others: Vec<Endpoint> = (&self.everyone() - &sides).into_iter().collect();
        let (a, b): (Vec<Endpoint>, Vec<Endpoint>) =
            (a.iter().cloned().collect(), b.iter().cloned().collect());
        // Per other endpoint: the packets over all its pairs with one side, and
        // the first pair that carries some, for the trace.
        let combined = |from: &[Endpoint], to: &[Endpoint], other_is_source: bool| {
            let mut per_other: HashMap<Endpoint, Combined> = HashMap::new();
            self.each_reaching_pair(from, to, &all, filter, &mut |i, j, kind, packets| {
                let (Some(s), Some(d)) = (from.get(i), to.get(j)) else {
                    return true;
                };
                let (packets, kind) = (packets(), Some(kind.clone()));
                let other = if other_is_source { s } else { d };
                let entry = per_other.entry(other.clone()).or_default();
                // The example is the pair that comes first, however the
                // pairs arrive.
                if entry.2.is_none_or(|k| (i, j) < k) {
                    entry.1 = Some((s.clone(), d.clone(), packets.clone(), kind));
                    entry.2 = Some((i, j));
                }
                entry.0 = entry.0.union(&packets);
                true
            });
            per_other
        };
        let (in_a, in_b) = (combined(&others, &a, true), combined(&others, &b, true));
        let (out_a, out_b) = (combined(&a, &others, false), combined(&b, &others, false));
        let none = Combined::default();
        let mut out = Vec::new();
        for other in &others {
            let get = |m: &HashMap<Endpoint, Combined>| m.get(other).unwrap_or(&none).clone();
            for (direction, (on_a, ex_a, _), (on_b, ex_b, _)) in [
                ("from", get(&in_a), get(&in_b)),
                ("to", get(&out_a), get(&out_b)),
            ] {
                if on_a.services() == on_b.services() {
                    continue;
                }
                let verb = if direction == "from" {
                    "is reached on"
                } else {
                    "reaches it on"
                };
                let text = format!(
                    "{direction} {}: the first {verb} {}, the second on {}",
                    other.name(),
                    on_a.service_summary(),
                    on_b.service_summary()
                );
                let (src, dst, packets, flow) = ex_a
                    .as_ref()
                    .or(ex_b.as_ref())
                    .cloned()
                    .unwrap_or((other.clone(), other.clone(), PacketSet::empty(), None));
                out.push(Finding {
                    text,
                    src,
                    dst,
                    packets,
                    flow,
                    decisive: None,
                });
            }
        }
        out
    }

    /// A finding for a pair that does not reach: the query's first packet, traced.
    fn blocked(&self, s: &Endpoint, d: &Endpoint, query: &PacketSet) -> Finding {
        // From the internet, a destination is reached at its public address.
        let addrs = |e: &Endpoint, public: bool| self.engine.endpoint_addresses(e, public);
        let sample = query
            .restrict(Dim::SrcAddr, &addrs(s, false))
            .restrict(Dim::DstAddr, &addrs(d, *s == Endpoint::Internet));
        Finding {
            text: format!(
                "{} does not reach {} : {}",
                s.name(),
                d.name(),
                query.service_summary()
            ),
            src: s.clone(),
            dst: d.clone(),
            packets: sample,
            flow: None,
            decisive: None,
        }
    }

    /// A readable packet of the set: from an ephemeral source port and, for the
    /// internet, from a documentation address, when the set allows.
    fn pick_packet(&self, set: &PacketSet) -> Option<Packet> {
        let ephemeral = IntervalSet::range(1024, 65535);
        let example_net = IntervalSet::range(0xCB00_7100, 0xCB00_71FF); // 203.0.113.0/24
        let preferred = [
            set.restrict(Dim::SrcPort, &ephemeral)
                .restrict(Dim::SrcAddr, &example_net),
            set.restrict(Dim::SrcPort, &ephemeral),
        ];
        preferred
            .iter()
            .find_map(PacketSet::witness)
            .or_else(|| set.witness())
    }

    fn counterexample(&self, f: Finding) -> Counterexample {
        let packet = self.pick_packet(&f.packets);
        let traced = packet.map(|p| self.trace(&f, &p)).unwrap_or_default();
        let path = traced
            .first()
            .map(|t| t.kind.to_string())
            .or_else(|| f.flow.as_ref().map(PathKind::to_string));
        let raw = traced
            .first()
            .map(|t| t.hops.as_slice())
            .unwrap_or_default();
        let hops: Vec<HopReport> = raw.iter().map(|h| self.hop(h)).collect();
        let deciding_hop = match f.decisive {
            Some(kind) => raw.iter().position(|h| h.kind == kind),
            None => raw.iter().position(|h| !h.allowed).or_else(|| {
                raw.iter()
                    .rposition(|h| h.kind == HopKind::SecurityGroupIngress)
            }),
        };
        Counterexample {
            finding: f.text,
            source: f.src,
            destination: f.dst,
            services: f.packets.service_summary(),
            packet,
            path,
            hops,
            deciding_hop,
        }
    }

    fn trace(&self, f: &Finding, p: &Packet) -> Vec<Flow> {
        let mut flows = self.engine.explain(&f.src, &f.dst, p);
        if let Some(kind) = &f.flow {
            flows.retain(|t| &t.kind == kind);
        }
        // Delivered paths first; for a blocked pair, the path that got furthest.
        flows.sort_by_key(|t| {
            (
                t.packets.is_empty(),
                std::cmp::Reverse(t.hops.iter().filter(|h| h.allowed).count()),
            )
        });
        flows
    }

    fn hop(&self, h: &netpolicy_core::engine::Hop) -> HopReport {
        HopReport {
            check: h.kind.to_string(),
            allowed: h.allowed,
            object: h.rule.object.clone(),
            rule: h.rule.rule.clone(),
            packet: h.packet,
            location: self.model_location(h.rule.span),
        }
    }
}

/// The packets between one endpoint and one side of a `same` assertion, and an
/// example pair (source, destination, its packets, its path kind).
type Combined = (
    PacketSet,
    Option<(Endpoint, Endpoint, PacketSet, Option<PathKind>)>,
    Option<(usize, usize)>,
);

/// The path qualifiers of one assertion, resolved to places.
struct PathFilter {
    privately: bool,
    /// `with any source port`: queries cover every TCP/UDP source port.
    any_source_port: bool,
    through: Vec<Places>,
    not_through: Vec<Places>,
}

impl PathFilter {
    fn new(c: &Checker<'_, '_>, qualifiers: &[Qualifier]) -> Result<Self, CheckError> {
        let mut f = PathFilter {
            privately: false,
            any_source_port: false,
            through: Vec::new(),
            not_through: Vec::new(),
        };
        for q in qualifiers {
            match q {
                Qualifier::Privately(_) => f.privately = true,
                Qualifier::AnySourcePort(_) => f.any_source_port = true,
                Qualifier::Through(t) => f.through.push(places_of(c, t)?),
                Qualifier::NotThrough(t) => f.not_through.push(places_of(c, t)?),
                // Decided by the model the assertion is checked on.
                Qualifier::Ignoring(..) => {}
            }
        }
        Ok(f)
    }

    /// The assertion's packets: clients' ephemeral source ports, or any source
    /// port under `with any source port`.
    fn widen(&self, query: PacketSet) -> PacketSet {
        if self.any_source_port {
            query.with_any_source_port()
        } else {
            query
        }
    }

    fn accepts(&self, c: &Checker<'_, '_>, s: &Endpoint, d: &Endpoint, kind: &PathKind) -> bool {
        if !self.privately && self.through.is_empty() && self.not_through.is_empty() {
            return true;
        }
        let places = flow_places(c, s, d, kind);
        if self.privately && places.contains("internet") {
            return false;
        }
        self.through.iter().all(|t| !t.is_disjoint(&places))
            && self.not_through.iter().all(|t| t.is_disjoint(&places))
    }
}

/// The places a `through` target names: VPCs, subnets, load balancers, gateways,
/// peerings (by id, name or glob), or `internet`.
fn places_of(c: &Checker<'_, '_>, target: &Selector) -> Result<Places, CheckError> {
    let m = c.model;
    let matching = |pattern: &str, kinds: &[&str]| -> Places {
        let mut out = Places::new();
        let mut add = |kind: &str, meta: &netpolicy_core::model::Meta| {
            if kinds.contains(&kind) && meta.names().any(|n| glob_match(pattern, n)) {
                out.insert(meta.id.clone());
            }
        };
        for v in m.vpcs() {
            add("vpc", &v.meta);
        }
        for s in m.subnets() {
            add("subnet", &s.meta);
        }
        for l in m.load_balancers() {
            add("lb", &l.meta);
        }
        for g in m.internet_gateways() {
            add("gateway", &g.meta);
        }
        for g in m.nat_gateways() {
            add("gateway", &g.meta);
        }
        for g in m.vpn_gateways() {
            add("gateway", &g.meta);
        }
        for p in m.peerings() {
            add("gateway", &p.meta);
        }
        out
    };
    let (places, pattern, span) = match target {
        Selector::Internet(_) => return Ok(["internet".to_string()].into()),
        Selector::Typed {
            kind,
            pattern,
            span,
        } if ["vpc", "subnet", "lb"].contains(&kind.as_str()) => {
            (matching(pattern, &[kind.as_str()]), pattern.clone(), *span)
        }
        Selector::Name { name, span } => (
            matching(name, &["vpc", "subnet", "lb", "gateway"]),
            name.clone(),
            *span,
        ),
        other => {
            let text = match other {
                Selector::Typed { kind, pattern, .. } => format!("{kind}:{pattern}"),
                Selector::OnPrem(_) => "onprem".into(),
                Selector::Cidr { text, .. } => format!("cidr:{text}"),
                // A compound selector, named as written.
                _ => c.policy_sources.snippet(other.span()).map_or_else(
                    || "this selector".into(),
                    |t| t.split_whitespace().collect::<Vec<_>>().join(" "),
                ),
            };
            return Err(CheckError::Resolve(ResolveError {
                message: format!("a path cannot go through `{text}`"),
                name: text,
                span: Some(other.span()),
                label: "unknown",
                help: Some("`through` takes one vpc:, subnet: or lb: selector, a gateway or peering id, or internet; write one `through` per place".into()),
            }));
        }
    };
    if places.is_empty() {
        return Err(CheckError::Resolve(ResolveError {
            message: format!(
                "no VPC, subnet, load balancer, gateway or peering matches `{pattern}`"
            ),
            name: pattern,
            span: Some(span),
            label: "unknown",
            help: None,
        }));
    }
    Ok(places)
}

fn eni_places(c: &Checker<'_, '_>, e: &Endpoint, out: &mut Places) {
    match e {
        Endpoint::Internet => {
            out.insert("internet".into());
        }
        Endpoint::OnPrem => {
            out.insert("onprem".into());
        }
        Endpoint::Eni(id) => {
            if let Some(subnet) = c.model.eni(id).and_then(|x| c.model.subnet(&x.subnet)) {
                out.insert(subnet.meta.id.clone());
                out.insert(subnet.vpc.clone());
            }
        }
    }
}

/// A NAT gateway a flow passes and its subnet.
fn nat_places(c: &Checker<'_, '_>, nat: Option<&str>, out: &mut Places) {
    let Some(nat) = nat.and_then(|n| c.model.nat_gateway(n)) else {
        return;
    };
    out.insert(nat.meta.id.clone());
    out.insert(nat.subnet.clone());
}

/// The internet gateways of `vpc`.
fn igw_places(c: &Checker<'_, '_>, vpc: &str, out: &mut Places) {
    out.extend(
        c.model
            .internet_gateways()
            .iter()
            .filter(|g| g.vpc.as_deref() == Some(vpc))
            .map(|g| g.meta.id.clone()),
    );
}

/// The VPC of an interface endpoint.
fn eni_vpc(c: &Checker<'_, '_>, e: &Endpoint) -> Option<String> {
    let Endpoint::Eni(id) = e else { return None };
    c.model
        .eni(id)
        .and_then(|x| c.model.subnet(&x.subnet))
        .map(|s| s.vpc.clone())
}

/// Every place a flow passes through.
fn flow_places(c: &Checker<'_, '_>, s: &Endpoint, d: &Endpoint, kind: &PathKind) -> Places {
    let mut out = Places::new();
    eni_places(c, s, &mut out);
    eni_places(c, d, &mut out);
    match kind {
        PathKind::Private { peering, nat } => {
            out.extend(peering.clone());
            nat_places(c, nat.as_deref(), &mut out);
        }
        PathKind::PublicInternet { egress, .. } | PathKind::ToInternet { egress } => {
            out.insert("internet".into());
            out.extend(egress.clone());
            nat_places(c, egress.as_deref(), &mut out);
            // A NAT gateway leaves through its own VPC's internet gateway.
            if let Some(vpc) = egress
                .as_deref()
                .and_then(|e| c.model.nat_gateway(e))
                .and_then(|nat| c.model.subnet(&nat.subnet))
                .map(|s| s.vpc.as_str())
            {
                igw_places(c, vpc, &mut out);
            }
            // The destination's internet gateway.
            if let Some(vpc) = eni_vpc(c, d) {
                igw_places(c, &vpc, &mut out);
            }
        }
        PathKind::FromInternet { .. } => {
            out.insert("internet".into());
            // It enters by the destination VPC's internet gateway.
            if let Some(vpc) = eni_vpc(c, d) {
                igw_places(c, &vpc, &mut out);
            }
        }
        PathKind::FromOnPrem { vpn_gateway } => out.extend(vpn_gateway.clone()),
        PathKind::ToOnPrem { vpn_gateway, nat } => {
            out.extend(vpn_gateway.clone());
            nat_places(c, nat.as_deref(), &mut out);
        }
        PathKind::LoadBalancer {
            load_balancer,
            node,
            ..
        } => {
            out.insert(load_balancer.clone());
            let node = Endpoint::Eni(node.clone());
            eni_places(c, &node, &mut out);
            // A client on the internet enters by the node's internet gateway.
            if *s == Endpoint::Internet
                && let Some(vpc) = eni_vpc(c, &node)
            {
                igw_places(c, &vpc, &mut out);
            }
        }
    }
    out
}
