//! Names and selectors to engine endpoints, against one model.

use crate::ast::{Let, Selector};
use foldhash::{HashMap, HashSet};
use netpolicy_core::engine::Endpoint;
use netpolicy_core::model::{Eni, EniOwner, Meta, Model};
use netpolicy_core::span::Span;
use netpolicy_core::suggest::suggest;
use std::collections::BTreeSet;

/// A name that denotes nothing in the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(np::resolve::unknown_name))]
pub struct ResolveError {
    /// The message, e.g. "no security group matches `db*`".
    pub message: String,
    /// The name.
    pub name: String,
    /// Where it is written, when it comes from a policy.
    #[label("{label}")]
    pub span: Option<Span>,
    /// What the label under it says: `unknown`, or `no interface here` for
    /// a name that matches objects holding no interface.
    pub label: &'static str,
    /// A suggestion.
    #[help]
    pub help: Option<String>,
}

/// A set of endpoints.
pub type Endpoints = BTreeSet<Endpoint>;

/// Resolves a selector written as in a policy (`internet`, `sg:web*`,
/// `instance:Db + subnet:App*`, the id or name of an interface, instance or
/// load balancer). For command-line arguments and library calls; text that
/// does not parse as a selector is looked up as one name.
pub fn resolve_endpoint(model: &Model, name: &str) -> Result<Vec<Endpoint>, ResolveError> {
    let source = netpolicy_core::span::SourceId(u32::MAX);
    let selector = crate::parse::parse_selector(name, source).unwrap_or_else(|_| Selector::Name {
        name: name.to_string(),
        span: Span::new(source, 0, 0),
    });
    match Resolver::new(model, &[]).selector(&selector) {
        Ok(found) => Ok(found.into_iter().collect()),
        Err(e) => Err(ResolveError { span: None, ..e }),
    }
}

/// `*` matches any run of characters, `?` one character; case-sensitive.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

fn meta_matches(meta: &Meta, pattern: &str) -> bool {
    meta.names().any(|n| glob_match(pattern, n))
}

/// `pattern` names objects (`matched`) that hold no network interface: an
/// assertion about them would hold or fail vacuously, so it is an error too,
/// but not a typo.
fn no_interfaces(what: &str, pattern: &str, span: Span, matched: &[String]) -> ResolveError {
    const SHOWN: usize = 5;
    let mut names = matched
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if matched.len() > SHOWN {
        names.push_str(&format!(" and {} more", matched.len() - SHOWN));
    }
    ResolveError {
        message: format!("{what} `{pattern}` matches {names}, which hold no network interface"),
        name: pattern.to_string(),
        span: Some(span),
        label: "no interface here",
        help: Some(
            "an assertion needs interfaces to be about; interfaces launched from outside the \
             input (an Auto Scaling group, a service) are not in the model"
                .into(),
        ),
    }
}

/// Resolves selectors of one policy against one model.
pub struct Resolver<'m> {
    model: &'m Model,
    lets: HashMap<String, &'m Selector>,
    /// Each binding resolved once: `let b = a + a` over a chain of such
    /// bindings would otherwise double the work per link.
    resolved: std::sync::Mutex<HashMap<String, Endpoints>>,
}

impl<'m> Resolver<'m> {
    /// A resolver with the policy's `let` bindings.
    pub fn new(model: &'m Model, lets: &'m [Let]) -> Self {
        Resolver {
            model,
            lets: lets.iter().map(|l| (l.name.clone(), &l.selector)).collect(),
            resolved: std::sync::Mutex::new(HashMap::default()),
        }
    }

    fn enis_where(&self, keep: impl Fn(&Eni) -> bool) -> Endpoints {
        self.model
            .enis()
            .iter()
            .filter(|e| keep(e))
            .map(|e| Endpoint::Eni(e.meta.id.clone()))
            .collect()
    }

    fn unknown(&self, kind: &str, name: &str, span: Span, candidates: Vec<&str>) -> ResolveError {
        ResolveError {
            message: format!("no {kind} matches `{name}`"),
            name: name.to_string(),
            span: Some(span),
            label: "unknown",
            help: suggest(name, candidates).map(|s| format!("did you mean `{s}`?")),
        }
    }

    /// The endpoints a selector stands for. An atom that matches nothing is an
    /// error: a typo must never silently make an assertion vacuous.
    pub fn selector(&self, s: &Selector) -> Result<Endpoints, ResolveError> {
        match s {
            Selector::Internet(_) => Ok([Endpoint::Internet].into()),
            Selector::OnPrem(_) => Ok([Endpoint::OnPrem].into()),
            Selector::Union(a, b) => Ok(&self.selector(a)? | &self.selector(b)?),
            Selector::Difference(a, b) => Ok(&self.selector(a)? - &self.selector(b)?),
            Selector::Cidr { text, span } => {
                let net: ipnet_shim::Net = text.parse().map_err(|_| ResolveError {
                    message: format!("`{text}` is not an IPv4 CIDR"),
                    name: text.clone(),
                    span: Some(*span),
                    label: "unknown",
                    help: Some("write it as address/prefix, e.g. cidr:10.0.0.0/16".into()),
                })?;
                Ok(self.enis_where(|e| e.private_ips.iter().any(|ip| net.contains(ip))))
            }
            Selector::Typed {
                kind,
                pattern,
                span,
            } => self.typed(kind, pattern, *span),
            Selector::Name { name, span } => self.name(name, *span),
        }
    }

    fn typed(&self, kind: &str, pattern: &str, span: Span) -> Result<Endpoints, ResolveError> {
        let m = self.model;
        // The objects the pattern names, kept to tell "matches nothing" from
        // "matches objects that hold no interface".
        let mut matched: Vec<String> = Vec::new();
        let (found, candidates, what): (Endpoints, Vec<&str>, &str) = match kind {
            "sg" => {
                let groups: HashSet<&str> = m
                    .security_groups()
                    .iter()
                    .filter(|g| meta_matches(&g.meta, pattern))
                    .inspect(|g| matched.push(g.meta.label()))
                    .map(|g| g.meta.id.as_str())
                    .collect();
                let c = m
                    .security_groups()
                    .iter()
                    .flat_map(|g| g.meta.names())
                    .collect();
                if groups.is_empty() {
                    return Err(self.unknown("security group", pattern, span, c));
                }
                (
                    self.enis_where(|e| {
                        e.security_groups
                            .iter()
                            .any(|g| groups.contains(g.as_str()))
                    }),
                    c,
                    "security group",
                )
            }
            "subnet" => {
                let subnets: HashSet<&str> = m
                    .subnets()
                    .iter()
                    .filter(|s| meta_matches(&s.meta, pattern))
                    .inspect(|s| matched.push(s.meta.label()))
                    .map(|s| s.meta.id.as_str())
                    .collect();
                let c = m.subnets().iter().flat_map(|s| s.meta.names()).collect();
                if subnets.is_empty() {
                    return Err(self.unknown("subnet", pattern, span, c));
                }
                (
                    self.enis_where(|e| subnets.contains(e.subnet.as_str())),
                    c,
                    "subnet",
                )
            }
            "vpc" => {
                let vpcs: HashSet<&str> = m
                    .vpcs()
                    .iter()
                    .filter(|v| meta_matches(&v.meta, pattern))
                    .inspect(|v| matched.push(v.meta.label()))
                    .map(|v| v.meta.id.as_str())
                    .collect();
                let c = m.vpcs().iter().flat_map(|v| v.meta.names()).collect();
                if vpcs.is_empty() {
                    return Err(self.unknown("vpc", pattern, span, c));
                }
                let subnets: HashSet<&str> = m
                    .subnets()
                    .iter()
                    .filter(|s| vpcs.contains(s.vpc.as_str()))
                    .map(|s| s.meta.id.as_str())
                    .collect();
                (
                    self.enis_where(|e| subnets.contains(e.subnet.as_str())),
                    c,
                    "vpc",
                )
            }
            "instance" => {
                let c = m.instances().iter().flat_map(|i| i.meta.names()).collect();
                let enis = m
                    .instances()
                    .iter()
                    .filter(|i| meta_matches(&i.meta, pattern))
                    .inspect(|i| matched.push(i.meta.label()))
                    .flat_map(|i| i.enis.iter().map(|e| Endpoint::Eni(e.clone())))
                    .collect();
                (enis, c, "instance")
            }
            "eni" => {
                let c = m.enis().iter().flat_map(|e| e.meta.names()).collect();
                (
                    self.enis_where(|e| meta_matches(&e.meta, pattern)),
                    c,
                    "network interface",
                )
            }
            "lb" => {
                let c = m
                    .load_balancers()
                    .iter()
                    .flat_map(|l| l.meta.names())
                    .collect();
                let nodes = m
                    .load_balancers()
                    .iter()
                    .filter(|l| meta_matches(&l.meta, pattern))
                    .inspect(|l| matched.push(l.meta.label()))
                    .flat_map(|l| l.nodes.iter().map(|e| Endpoint::Eni(e.clone())))
                    .collect();
                (nodes, c, "load balancer")
            }
            "tag" => {
                let (key, value) = pattern.split_once('=').unwrap_or((pattern, "*"));
                let tagged = |meta: &Meta| {
                    meta.tags
                        .iter()
                        .any(|(k, v)| glob_match(key, k) && glob_match(value, v))
                };
                let enis = self.enis_where(|e| {
                    tagged(&e.meta)
                        || matches!(&e.owner, EniOwner::Instance(i) if m.instance(i).is_some_and(|x| tagged(&x.meta)))
                        || m.subnet(&e.subnet).is_some_and(|s| tagged(&s.meta))
                });
                (enis, Vec::new(), "tagged interface")
            }
            other => {
                return Err(self.unknown(
                    "selector kind",
                    other,
                    span,
                    vec!["sg", "subnet", "vpc", "instance", "eni", "lb", "tag"],
                ));
            }
        };
        if found.is_empty() {
            if !matched.is_empty() {
                return Err(no_interfaces(what, pattern, span, &matched));
            }
            return Err(self.unknown(what, pattern, span, candidates));
        }
        Ok(found)
    }

    /// A bare name: a `let` binding, else a security group, instance, load
    /// balancer, interface, subnet or VPC with that id or name (first kind that
    /// matches).
    fn name(&self, name: &str, span: Span) -> Result<Endpoints, ResolveError> {
        if let Some(bound) = self.lets.get(name) {
            let known = self.resolved.lock().ok().and_then(|m| m.get(name).cloned());
            if let Some(found) = known {
                return Ok(found);
            }
            let found = self.selector(bound)?;
            if let Ok(mut m) = self.resolved.lock() {
                m.insert(name.to_string(), found.clone());
            }
            return Ok(found);
        }
        match name {
            "internet" => return Ok([Endpoint::Internet].into()),
            "onprem" => return Ok([Endpoint::OnPrem].into()),
            _ => {}
        }
        for kind in ["sg", "instance", "lb", "eni", "subnet", "vpc"] {
            if let Ok(found) = self.typed(kind, name, span) {
                return Ok(found);
            }
        }
        let m = self.model;
        let candidates: Vec<&str> = self
            .lets
            .keys()
            .map(String::as_str)
            .chain(m.security_groups().iter().flat_map(|g| g.meta.names()))
            .chain(m.instances().iter().flat_map(|i| i.meta.names()))
            .chain(m.load_balancers().iter().flat_map(|l| l.meta.names()))
            .chain(m.subnets().iter().flat_map(|s| s.meta.names()))
            .chain(m.vpcs().iter().flat_map(|v| v.meta.names()))
            .chain(["internet", "onprem"])
            .collect();
        Err(self.unknown("endpoint", name, span, candidates))
    }
}

/// CIDR parsing without pulling `ipnet` into this crate's public API.
mod ipnet_shim {
    use std::net::Ipv4Addr;
    use std::str::FromStr;

    pub(super) struct Net {
        base: u32,
        mask: u32,
    }

    impl Net {
        pub(super) fn contains(&self, ip: &Ipv4Addr) -> bool {
            u32::from(*ip) & self.mask == self.base
        }
    }

    impl FromStr for Net {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            let (addr, len) = s.split_once('/').ok_or(())?;
            let addr: Ipv4Addr = addr.parse().map_err(|_| ())?;
            let len: u32 = len.parse().map_err(|_| ())?;
            if len > 32 {
                return Err(());
            }
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            Ok(Net {
                base: u32::from(addr) & mask,
                mask,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("web*", "web-sg"));
        assert!(glob_match("*AZ?", "PoCServerAZ1"));
        assert!(!glob_match("db*", "web-db"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
    }
}

/// A `let` binding that cannot stand: defined twice, redefining a built-in
/// endpoint, referring to itself, or nested too deep.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(np::resolve::let_binding))]
pub struct LetError {
    /// What is wrong.
    pub message: String,
    /// The binding.
    #[label("this binding")]
    pub span: Span,
    /// How to fix it.
    #[help]
    pub help: Option<String>,
}

/// Longest chain of `let`s that refer to one another.
pub const MAX_LET_DEPTH: usize = 64;

/// Checks a policy's `let` bindings before anything resolves them: each name
/// defined once, none redefining `internet` or `onprem`, no binding that
/// refers to itself (directly or through others, used or not), and no chain of
/// references deeper than [`MAX_LET_DEPTH`].
pub fn check_lets(lets: &[Let]) -> Result<(), LetError> {
    let error = |message: String, l: &Let, help: Option<String>| LetError {
        message,
        span: l.span,
        help,
    };
    let mut index: HashMap<&str, usize> = HashMap::default();
    for (i, l) in lets.iter().enumerate() {
        if matches!(l.name.as_str(), "internet" | "onprem") {
            return Err(error(
                format!(
                    "`{}` is a built-in endpoint: a `let` cannot redefine it",
                    l.name
                ),
                l,
                Some("choose another name".into()),
            ));
        }
        if index.insert(l.name.as_str(), i).is_some() {
            return Err(error(
                format!("`let {}` is defined twice", l.name),
                l,
                Some("rename one of them, or join them with `+`".into()),
            ));
        }
    }
    let refs: Vec<Vec<usize>> = lets
        .iter()
        .map(|l| {
            names_in(&l.selector)
                .into_iter()
                .filter_map(|n| index.get(n).copied())
                .collect()
        })
        .collect();
    // Depth-first, with an explicit stack: 0 unvisited, 1 on the path, 2 done.
    let mut state = vec![0u8; lets.len()];
    let mut depth = vec![0usize; lets.len()];
    for root in 0..lets.len() {
        if state[root] != 0 {
            continue;
        }
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            match refs[node].get(*next).copied() {
                Some(child) => {
                    *next += 1;
                    match state[child] {
                        0 => {
                            state[child] = 1;
                            path.push((child, 0));
                        }
                        1 => {
                            let start = path.iter().position(|(n, _)| *n == child).unwrap_or(0);
                            let cycle: Vec<&str> = path[start..]
                                .iter()
                                .map(|(n, _)| lets[*n].name.as_str())
                                .chain([lets[child].name.as_str()])
                                .collect();
                            return Err(error(
                                format!(
                                    "`let {}` refers to itself: {}",
                                    lets[child].name,
                                    cycle.join(" -> ")
                                ),
                                &lets[child],
                                Some("a binding must stand for interfaces, not for itself".into()),
                            ));
                        }
                        _ => {}
                    }
                }
                None => {
                    depth[node] = 1 + refs[node].iter().map(|&c| depth[c]).max().unwrap_or(0);
                    if depth[node] > MAX_LET_DEPTH {
                        return Err(error(
                            format!(
                                "`let {}` expands through more than {MAX_LET_DEPTH} other bindings: too deep",
                                lets[node].name
                            ),
                            &lets[node],
                            None,
                        ));
                    }
                    state[node] = 2;
                    path.pop();
                }
            }
        }
    }
    Ok(())
}

/// The bare names a selector mentions.
fn names_in(selector: &Selector) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![selector];
    while let Some(s) = stack.pop() {
        match s {
            Selector::Name { name, .. } => out.push(name.as_str()),
            Selector::Union(a, b) | Selector::Difference(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            _ => {}
        }
    }
    out
}
