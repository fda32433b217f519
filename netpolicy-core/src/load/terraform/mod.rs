//! `terraform show -json` output, of a plan or of a state, to a model.
//!
//! A state, or a plan's resources that already exist, carry AWS ids; resources
//! a plan creates have none yet, so they are known by their address
//! (`aws_instance.web`, `module.net.aws_subnet.a[0]`), and the resource name is
//! an alias. A value the plan only knows after apply is read from the
//! configuration when it is a reference to another resource (`vpc_id =
//! aws_vpc.main.id`); anything else unknown is left out with a warning, never
//! guessed.

mod resources;

use super::document::{self, Node, Value};
use super::read::Fields;
use super::records::finish::{Finish, Format, Outside};
use super::records::{self, external};
use super::{LoadError, LoadFailure};
use crate::diagnostic::Warning;
use crate::model::{Meta, Model};
use crate::span::{SourceMap, Span};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Loads `terraform show -json` output from text; `name` names the file.
/// The model keeps the text for its diagnostics: pass a `String` to hand it
/// over rather than have it copied.
pub fn load_terraform(name: &str, text: impl Into<String>) -> Result<Model, LoadFailure> {
    let mut sources = SourceMap::default();
    let id = sources.add(name, text);
    let text = sources.text(id);
    let unread = document::KeySet::except(UNREAD);
    let parsed = document::parse_json_keeping(text, id, Some(&unread)).and_then(|doc| {
        let read = read(&doc);
        document::drop_later(doc);
        read
    });
    super::build_model(parsed, sources)
}

/// Loads the plans or states of several stacks of one estate (`(name,
/// text)` each) as one network: an application stack's subnets and groups,
/// read by data sources, are the network stack's objects. What none of them
/// holds stands as an external object, as for one plan.
pub fn load_terraform_stacks(inputs: Vec<(String, String)>) -> Result<Model, LoadFailure> {
    let mut sources = SourceMap::default();
    let ids: Vec<_> = (inputs.into_iter())
        .map(|(name, text)| sources.add(&name, text))
        .collect();
    let unread = document::KeySet::except(UNREAD);
    let read_all = || {
        let mut parts = crate::model::ModelParts::default();
        let mut warnings = Vec::new();
        let mut finish = Finish::new(Format::Plan, Outside::PlacedThenPruned);
        for &id in &ids {
            let doc = document::parse_json_keeping(sources.text(id), id, Some(&unread))?;
            let stack = read_stack(&doc);
            document::drop_later(doc);
            let (stack, said, implied) = stack?;
            parts.append(stack);
            warnings.extend(said);
            finish.append(implied);
        }
        warnings.extend(reconcile_outside(&mut parts, finish));
        Ok((parts, warnings))
    };
    let parsed = read_all();
    super::build_model(parsed, sources)
}

fn read(doc: &Node) -> Result<(crate::model::ModelParts, Vec<Warning>), LoadError> {
    let (mut parts, mut warnings, finish) = read_stack(doc)?;
    warnings.extend(reconcile_outside(&mut parts, finish));
    Ok((parts, warnings))
}

/// The objects one plan or state holds, before what it names outside itself
/// is placed.
type Stack = (crate::model::ModelParts, Vec<Warning>, Finish);

fn read_stack(doc: &Node) -> Result<Stack, LoadError> {
    let plan = Plan::new(doc)?;
    let mut b = resources::Builder::new(&plan);
    b.build()?;
    Ok(b.finish())
}

/// The records step for the plans: group references that name a VPC (what
/// `aws_vpc.x.default_security_group_id` is in a plan) are translated to
/// its default group first. A plan is often one stack of a larger estate:
/// the ids of the deployed account it names but does not hold (a shared
/// network's subnets and groups, read by data sources) stand as external
/// objects, as a template's do, rather than failing the load.
fn reconcile_outside(parts: &mut crate::model::ModelParts, finish: Finish) -> Vec<Warning> {
    resources::default_groups_named_by_vpc(parts, &finish.default_groups);
    records::finish::finish(parts, finish, &external::deployed_id)
}

/// Keys whose values the reader never uses, wherever they are: a resource
/// change's values before and after (the planned values hold the latter, the
/// plan's unknowns are in `after_unknown`), which values are sensitive, the
/// prior state and drift, an expression's constant (only its references are
/// read) and provider bookkeeping. They are a third of a plan or more;
/// skipping them (checked as JSON, not built) saves building and freeing
/// that share of the tree. No attribute the reader reads has one of these
/// names.
const UNREAD: &[&str] = &[
    "before",
    "after",
    "before_sensitive",
    "after_sensitive",
    "sensitive_values",
    "before_identity",
    "after_identity",
    "prior_state",
    "resource_drift",
    "relevant_attributes",
    "constant_value",
    "provider_name",
    "provider_config_key",
    "schema_version",
];

/// One resource instance of the plan or state.
pub(crate) struct Resource<'a> {
    /// Full address, `module.net.aws_subnet.a[0]`.
    pub address: &'a str,
    /// Module path, `module.net.` (empty at the root), for resolving references.
    module: &'a str,
    /// The address without the instance's own index (`module.m[0].aws_subnet.a`
    /// for `module.m[0].aws_subnet.a[1]`): what `count.index` references name.
    base: &'a str,
    /// `aws_subnet`.
    pub kind: &'a str,
    /// `a`.
    pub name: &'a str,
    /// The `index` key, as text, when the resource uses `count` or `for_each`.
    index: Option<String>,
    /// Its (planned) values.
    pub values: Fields<'a>,
    /// The matching `after_unknown` of a plan: `true` where a value is unknown.
    unknown: Option<&'a Node>,
    /// The resource's `expressions` in the configuration.
    config: Option<&'a Node>,
    /// The resource's entry, address and values included.
    span: Span,
}

impl Resource<'_> {
    /// Where the resource is in the input.
    pub fn span(&self) -> Span {
        self.span
    }
}

/// The resources of a plan or a state, with what is needed to resolve
/// references.
pub(crate) struct Plan<'a> {
    pub resources: Vec<Resource<'a>>,
    /// Module outputs and inputs, to follow references through modules.
    outputs: HashMap<String, &'a Node>,
    inputs: HashMap<String, &'a Node>,
    by_address: HashMap<&'a str, usize>,
    /// Instances by address without index (`aws_subnet.a` for `aws_subnet.a[0]`).
    by_base: HashMap<&'a str, Vec<usize>>,
    /// The `aws_vpc` resources of each module instance (`module.net[0].`).
    vpcs_by_module: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Plan<'a> {
    fn new(doc: &'a Node) -> Result<Self, LoadError> {
        let top = Fields::new(doc, "terraform show -json output")?;
        let (root, is_plan) = if let Some(p) = top.object("planned_values", "planned values")? {
            (p.req("root_module")?, true)
        } else if let Some(v) = top.object("values", "state values")? {
            (v.req("root_module")?, false)
        } else {
            return Err(super::read::invalid(
                "neither a Terraform plan nor a state: no `planned_values` and no `values`".into(),
                doc.span,
                Some("write a plan with `terraform show -json plan.out`, a state with `terraform show -json`".into()),
            ));
        };
        // The changes, the configuration and the resources are read side by
        // side, and the resources one by one in parallel: a large plan holds
        // hundreds of thousands.
        let (unknown, config) = rayon::join(
            || {
                if is_plan {
                    unknown_values(&top)
                } else {
                    Ok(HashMap::new())
                }
            },
            || configuration(&top),
        );
        let (unknown, config) = (unknown?, config?);
        let mut listed = Vec::new();
        let listing = module_resources(&Fields::new(root, "a module")?, &mut listed);
        let read: Vec<Result<Option<Resource<'a>>, LoadError>> = listed
            .par_iter()
            .map(|r| resource(r, &unknown, &config))
            .collect();
        let mut resources = Vec::with_capacity(read.len());
        for r in read {
            resources.extend(r?);
        }
        // A malformed module comes after the resources listed before it, as
        // a reading in document order meets them.
        listing?;
        let mut by_address = HashMap::with_capacity(resources.len());
        let mut by_base: HashMap<&'a str, Vec<usize>> = HashMap::with_capacity(resources.len());
        let mut vpcs_by_module: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (i, r) in resources.iter().enumerate() {
            by_address.insert(r.address, i);
            by_base.entry(r.base).or_default().push(i);
            if r.kind == "aws_vpc" {
                vpcs_by_module.entry(r.module).or_default().push(i);
            }
        }
        Ok(Plan {
            resources,
            outputs: config.outputs,
            inputs: config.inputs,
            by_address,
            by_base,
            vpcs_by_module,
        })
    }

    /// The model id of a resource: its AWS id when known, else its address.
    pub fn id(&self, r: &Resource<'_>) -> String {
        match r.values.opt("id").and_then(Node::as_str) {
            Some(id) if r.unknown_at("id").is_none() => id.to_string(),
            _ => r.address.to_string(),
        }
    }

    /// The metadata of a resource: id, `Name` tag, tags, and its name and
    /// address as aliases.
    pub fn meta(&self, r: &Resource<'_>) -> Result<Meta, LoadError> {
        let mut meta = Meta::new(self.id(r)).at(r.span());
        let mut tags = BTreeMap::new();
        if let Some(t) = r.values.object("tags", "tags")?
            && let Value::Map(entries) = &t.node.value
        {
            for (k, v) in entries {
                if let (Some(k), Some(v)) = (k.as_str(), v.scalar_text()) {
                    tags.insert(k.to_string(), v);
                }
            }
        }
        meta.name = tags.get("Name").cloned();
        meta.tags = tags;
        meta.aliases = vec![r.name.to_string(), r.address.to_string()];
        meta.aliases.retain(|a| a != &meta.id);
        Ok(meta)
    }

    /// The VPC of a module instance that creates exactly one: what its
    /// resources' `vpc_id` is when it goes through a local value
    /// (`vpc_id = local.vpc_id`, as the registry's VPC module writes it),
    /// which the plan's configuration does not show.
    fn module_vpc(&self, r: &Resource<'_>) -> Option<String> {
        match self.vpcs_by_module.get(r.module)?.as_slice() {
            [one] => Some(self.id(&self.resources[*one])),
            _ => None,
        }
    }

    /// The resources a reference (`aws_vpc.main.id`, `aws_subnet.a[0]`,
    /// `module.net.subnet_ids[0]`, `var.vpc_id`) names, seen from `from`.
    fn resolve(&self, from: &Resource<'_>, reference: &str) -> Vec<usize> {
        // Borrowed where it can be: every unknown reference of a large plan
        // comes through here.
        let config = if from.module.contains('[') {
            Cow::Owned(strip_indexes(from.module))
        } else {
            Cow::Borrowed(from.module)
        };
        let scope = Scope {
            address: Cow::Borrowed(from.module),
            config,
        };
        self.resolve_in(from, &scope, reference, 0)
    }

    /// [`Plan::resolve`] of `reference` written in module `scope`: a module
    /// output is followed into its module, a variable out to the module
    /// call's input, as Terraform evaluates them.
    fn resolve_in(
        &self,
        from: &Resource<'_>,
        scope: &Scope<'_>,
        reference: &str,
        depth: usize,
    ) -> Vec<usize> {
        // Deeper than any real module tree: a malformed configuration.
        if depth > 32 {
            return Vec::new();
        }
        if let Some(rest) = reference.strip_prefix("module.") {
            let (call, after) = split_name(rest);
            let (key, after) = split_index(after);
            let Some(after) = after.strip_prefix('.') else {
                return Vec::new();
            };
            let (output, after) = split_name(after);
            let child = Scope {
                address: Cow::Owned(format!("{}module.{call}{key}.", scope.address)),
                config: Cow::Owned(format!("{}module.{call}.", scope.config)),
            };
            let expression = self.outputs.get(&format!("{}{output}", child.config));
            return self.resolve_expression(from, &child, expression.copied(), after, depth);
        }
        if let Some(rest) = reference.strip_prefix("var.") {
            let (variable, after) = split_name(rest);
            let expression = self.inputs.get(&format!("{}{variable}", scope.config));
            let Some(parent) = scope.parent() else {
                // The root module's variables are values, not references.
                return Vec::new();
            };
            return self.resolve_expression(from, &parent, expression.copied(), after, depth);
        }
        if scope.address.is_empty() {
            return self.resolve_resource(from, reference);
        }
        self.resolve_resource(from, &format!("{}{reference}", scope.address))
    }

    /// The resources an output or input `expression` names in `scope`;
    /// `after` is what the reference read of it (`[0]` picks one of a list
    /// of instances, as `aws_subnet.private[*].id` writes one).
    fn resolve_expression(
        &self,
        from: &Resource<'_>,
        scope: &Scope<'_>,
        expression: Option<&Node>,
        after: &str,
        depth: usize,
    ) -> Vec<usize> {
        let references = most_specific(expression_references(expression));
        let mut found = Vec::new();
        for reference in &references {
            for i in self.resolve_in(from, scope, reference, depth + 1) {
                if !found.contains(&i) {
                    found.push(i);
                }
            }
        }
        let element = split_index(after).0;
        let element = element.trim_matches(|c| c == '[' || c == ']');
        match element.parse::<usize>() {
            Ok(k) if references.len() == 1 && found.len() > 1 => {
                found.get(k).map(|&i| vec![i]).unwrap_or(found)
            }
            _ => found,
        }
    }

    /// The resources a full address names: the instance, or the instances
    /// of a `count`/`for_each` resource.
    fn resolve_resource(&self, from: &Resource<'_>, full: &str) -> Vec<usize> {
        let mut path: &str = full;
        loop {
            if let Some(&i) = self.by_address.get(path) {
                return vec![i];
            }
            if let Some(all) = self.by_base.get(path) {
                // `count.index`/`each.key` references name the base address: the
                // instance with the same key is meant when there is one.
                let same = all
                    .iter()
                    .copied()
                    .filter(|&i| from.index.is_some() && self.resources[i].index == from.index)
                    .collect::<Vec<_>>();
                return if same.is_empty() { all.clone() } else { same };
            }
            match path.rsplit_once('.') {
                Some((head, _)) if head.contains('.') => path = head,
                _ => return Vec::new(),
            }
        }
    }
}

/// A module's place: its address prefix with instance keys
/// (`module.net[0].`) and its configuration path without (`module.net.`).
struct Scope<'s> {
    address: Cow<'s, str>,
    config: Cow<'s, str>,
}

impl Scope<'_> {
    /// The module that calls this one; `None` at the root.
    fn parent(&self) -> Option<Scope<'static>> {
        let up = |path: &str| {
            let trimmed = path.strip_suffix('.')?;
            let at = trimmed.rfind("module.")?;
            Some(Cow::Owned(trimmed.get(..at)?.to_string()))
        };
        Some(Scope {
            address: up(&self.address)?,
            config: up(&self.config)?,
        })
    }
}

/// `name` and the rest of `text` (`vpc[0].id` -> `vpc`, `[0].id`).
fn split_name(text: &str) -> (&str, &str) {
    let end = text.find(['.', '[']).unwrap_or(text.len());
    text.split_at(end)
}

/// A leading `[key]` of `text` and the rest (`[0].id` -> `[0]`, `.id`).
fn split_index(text: &str) -> (&str, &str) {
    if !text.starts_with('[') {
        return ("", text);
    }
    let end = text.find(']').map_or(text.len(), |i| i + 1);
    text.split_at(end)
}

/// The references of an expression less those another one extends
/// (`module.net.ids` beside `module.net.ids[0]`, `aws_vpc.main` beside
/// `aws_vpc.main.id`): Terraform lists every prefix of a traversal.
fn most_specific<'n>(references: impl Iterator<Item = &'n str>) -> Vec<&'n str> {
    let all: Vec<&str> = references.collect();
    all.iter()
        .copied()
        .filter(|r| {
            !all.iter().any(|other| {
                other.len() > r.len()
                    && other.starts_with(r)
                    && matches!(other.as_bytes().get(r.len()), Some(b'.' | b'['))
            })
        })
        .collect()
}

impl Resource<'_> {
    /// `after_unknown` at `key`, when the plan marks (part of) it unknown.
    fn unknown_at(&self, key: &str) -> Option<&Node> {
        let u = self.unknown?.get(key)?;
        contains_true(u).then_some(u)
    }

    /// Whether `key` (at the top, or inside the `i`-th of the nested blocks
    /// `block`) is, wholly or in part, only known after apply.
    pub(crate) fn unknown_in(&self, at: Option<(&str, usize)>, key: &str) -> bool {
        let Some(mut scope) = self.unknown else {
            return false;
        };
        if let Some((block, i)) = at {
            scope = match scope.get(block) {
                Some(u) => match &u.value {
                    Value::Seq(items) => match items.get(i) {
                        Some(item) => item,
                        None => return false,
                    },
                    _ => u,
                },
                None => return false,
            };
        }
        match &scope.value {
            Value::Bool(b) => *b,
            _ => scope.get(key).is_some_and(contains_true),
        }
    }

    /// Whether some of the nested blocks `block` that the configuration
    /// writes are, as wholes, only known after apply (the plan writes nothing
    /// or a null for them). Blocks the configuration does not write
    /// (`ingress`, `egress`, `route` left to rule and route resources) are
    /// unknown in a plan that creates the resource too, because the provider
    /// computes them from those resources: they are not counted.
    pub(crate) fn unknown_blocks(&self, block: &str) -> bool {
        if self.config.is_some_and(|c| c.get(block).is_none()) {
            return false;
        }
        match self.unknown.and_then(|u| u.get(block)).map(|u| &u.value) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Seq(items)) => items.iter().any(|i| matches!(i.value, Value::Bool(true))),
            _ => false,
        }
    }
}

fn contains_true(n: &Node) -> bool {
    match &n.value {
        Value::Bool(b) => *b,
        Value::Seq(items) => items.iter().any(contains_true),
        Value::Map(entries) => entries.iter().any(|(_, v)| contains_true(v)),
        _ => false,
    }
}

/// Each `after_unknown` of the resource changes, by address.
fn unknown_values<'a>(top: &Fields<'a>) -> Result<HashMap<&'a str, &'a Node>, LoadError> {
    let changes = top.objects("resource_changes", "a resource change")?;
    let read: Vec<Result<Option<(&'a str, &'a Node)>, LoadError>> = changes
        .par_iter()
        .map(|c| {
            let address = c.req_text("address")?;
            let unknown = c
                .object("change", "a change")?
                .and_then(|change| change.opt("after_unknown"));
            Ok(unknown.map(|u| (address, u)))
        })
        .collect();
    let mut unknown = HashMap::with_capacity(read.len());
    for entry in read {
        if let Some((address, u)) = entry? {
            unknown.insert(address, u);
        }
    }
    Ok(unknown)
}

/// What the configuration says of references: keys are module paths
/// without instance keys (`module.net.`), as the configuration is per module
/// call.
#[derive(Default)]
struct Config<'a> {
    /// The `expressions` of every configured resource, by address.
    resources: HashMap<String, &'a Node>,
    /// Each module's output expressions, by `module.net.` + output name.
    outputs: HashMap<String, &'a Node>,
    /// Each module call's input expressions, by `module.net.` + variable
    /// name (the references are the caller's).
    inputs: HashMap<String, &'a Node>,
}

/// The configuration's expressions, outputs and module inputs.
fn configuration<'a>(top: &Fields<'a>) -> Result<Config<'a>, LoadError> {
    let mut config = Config::default();
    if let Some(c) = top.object("configuration", "the configuration")?
        && let Some(m) = c.object("root_module", "a module")?
    {
        collect_config(&m, "", &mut config)?;
    }
    Ok(config)
}

/// The resources of `module` and of its child modules, depth first, up to
/// the first malformed module list (`out` keeps those listed before it).
fn module_resources<'a>(module: &Fields<'a>, out: &mut Vec<Fields<'a>>) -> Result<(), LoadError> {
    out.extend(module.objects("resources", "a resource")?);
    for c in module.objects("child_modules", "a module")? {
        module_resources(&c, out)?;
    }
    Ok(())
}

/// One resource of the planned values (`None` for a data source).
fn resource<'a>(
    r: &Fields<'a>,
    unknown: &HashMap<&'a str, &'a Node>,
    config: &Config<'a>,
) -> Result<Option<Resource<'a>>, LoadError> {
    if r.text("mode")? == Some("data") {
        return Ok(None);
    }
    let address = r.req_text("address")?;
    let kind = r.req_text("type")?;
    let name = r.req_text("name")?;
    let index = r.opt("index").and_then(Node::scalar_text);
    let base = format!("{kind}.{name}");
    // The module path is what comes before the resource's own `type.name`.
    let at = address.find(&base);
    let module = at.and_then(|at| address.get(..at)).unwrap_or_default();
    let base_address = at
        .and_then(|at| address.get(..at + base.len()))
        .unwrap_or(address);
    let values = match r.object("values", "resource values")? {
        Some(v) => v,
        None => Fields::new(r.node, "a resource")?,
    };
    // The configuration is per module call, not per instance of it.
    let configured = if at.is_some() { base_address } else { &base };
    let config_key = if module.contains('[') {
        strip_indexes(configured)
    } else {
        configured.to_string()
    };
    Ok(Some(Resource {
        unknown: unknown.get(address).copied(),
        config: config.resources.get(&config_key).copied(),
        address,
        module,
        base: base_address,
        kind,
        name,
        index,
        values,
        span: r.span(),
    }))
}

/// `module.a["x"].aws_vpc.v` to `module.a.aws_vpc.v`: configuration is per module
/// call, not per instance.
fn strip_indexes(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn collect_config<'a>(
    module: &Fields<'a>,
    prefix: &str,
    out: &mut Config<'a>,
) -> Result<(), LoadError> {
    for r in module.objects("resources", "a configured resource")? {
        if r.str("mode")?.as_deref() == Some("data") {
            continue;
        }
        if let Some(e) = r.opt("expressions") {
            (out.resources).insert(format!("{prefix}{}", r.req_str("address")?), e);
        }
    }
    if let Some(outputs) = module.object("outputs", "module outputs")?
        && let Value::Map(entries) = &outputs.node.value
    {
        for (name, output) in entries {
            if let (Some(name), Some(e)) = (name.as_str(), output.get("expression")) {
                out.outputs.insert(format!("{prefix}{name}"), e);
            }
        }
    }
    if let Some(calls) = module.object("module_calls", "module calls")?
        && let Value::Map(entries) = &calls.node.value
    {
        for (name, call) in entries {
            let Some(name) = name.as_str() else { continue };
            let call = Fields::new(call, "a module call")?;
            let child = format!("{prefix}module.{name}.");
            if let Some(inputs) = call.object("expressions", "module inputs")?
                && let Value::Map(entries) = &inputs.node.value
            {
                for (variable, e) in entries {
                    if let Some(variable) = variable.as_str() {
                        out.inputs.insert(format!("{child}{variable}"), e);
                    }
                }
            }
            if let Some(m) = call.object("module", "a module")? {
                collect_config(&m, &child, out)?;
            }
        }
    }
    Ok(())
}

/// The references an expression (`{"references": [...]}`) makes.
fn expression_references(expr: Option<&Node>) -> impl Iterator<Item = &str> {
    let items = match expr.and_then(|e| e.get("references")).map(|l| &l.value) {
        Some(Value::Seq(items)) => &items[..],
        _ => &[],
    };
    items.iter().filter_map(Node::as_str)
}

/// What a reference-valued attribute holds after the plan.
pub(crate) enum Reference {
    /// Nothing (null or absent, and not pending).
    None,
    /// The ids of the resources it names.
    Ids(Vec<String>),
    /// Unknown until apply, and not a reference netpolicy can follow.
    Unknown,
}

/// Reads reference-valued attributes, falling back on the configuration.
pub(crate) struct Refs<'p, 'a> {
    pub plan: &'p Plan<'a>,
    pub warnings: Vec<Warning>,
}

impl<'a> Refs<'_, 'a> {
    /// The ids a top-level attribute of `r` refers to.
    pub fn attr(&mut self, r: &Resource<'a>, key: &str) -> Result<Reference, LoadError> {
        let config = r.config.and_then(|c| c.get(key));
        let found = self.read(r, r.values.opt(key), r.unknown_at(key).is_some(), config)?;
        let through_local = || expression_references(config).any(|x| x.starts_with("local."));
        if let (Reference::Unknown, "vpc_id") = (&found, key)
            && through_local()
            && let Some(vpc) = self.plan.module_vpc(r)
        {
            return Ok(Reference::Ids(vec![vpc]));
        }
        Ok(found)
    }

    /// The ids an attribute of the `i`-th nested `block` of `r` refers to
    /// (`default_action[0].target_group_arn`).
    pub fn nested(
        &mut self,
        r: &Resource<'a>,
        block: &str,
        i: usize,
        values: &Fields<'a>,
        key: &str,
    ) -> Result<Reference, LoadError> {
        let unknown = r.unknown_in(Some((block, i)), key);
        let config = r
            .config
            .and_then(|c| c.get(block))
            .and_then(|b| match &b.value {
                Value::Seq(items) => items.get(i),
                _ => None,
            })
            .and_then(|b| b.get(key));
        self.read(r, values.opt(key), unknown, config)
    }

    fn read(
        &mut self,
        r: &Resource<'a>,
        value: Option<&'a Node>,
        unknown: bool,
        config: Option<&'a Node>,
    ) -> Result<Reference, LoadError> {
        let mut ids = Vec::new();
        if let Some(v) = value {
            match &v.value {
                Value::String(s) => ids.push(s.to_string()),
                Value::Seq(items) => {
                    for item in items {
                        match &item.value {
                            Value::String(s) => ids.push(s.to_string()),
                            Value::Null => {}
                            _ => return Err(super::read::type_error("a string", item)),
                        }
                    }
                }
                _ => return Err(super::read::type_error("a string or a list of strings", v)),
            }
        }
        if !unknown {
            return Ok(if ids.is_empty() {
                Reference::None
            } else {
                Reference::Ids(ids)
            });
        }
        let mut found = false;
        for reference in most_specific(expression_references(config)) {
            for i in self.plan.resolve(r, reference) {
                found = true;
                let id = self.plan.id(&self.plan.resources[i]);
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Ok(if found {
            Reference::Ids(ids)
        } else {
            Reference::Unknown
        })
    }

    /// A single-object reference; `None` when absent or unknown (warned).
    pub fn one(&mut self, r: &Resource<'a>, key: &str) -> Result<Option<String>, LoadError> {
        Ok(match self.attr(r, key)? {
            Reference::Ids(ids) => ids.into_iter().next(),
            Reference::None => None,
            Reference::Unknown => {
                self.unknown(r, &format!("`{key}`"));
                None
            }
        })
    }

    /// A required single-object reference; `None` (warned) when unknown.
    pub fn req(&mut self, r: &Resource<'a>, key: &str) -> Result<Option<String>, LoadError> {
        match self.attr(r, key)? {
            Reference::Ids(ids) => Ok(ids.into_iter().next()),
            Reference::Unknown => {
                self.unknown(r, &format!("`{key}`, so the resource"));
                Ok(None)
            }
            Reference::None => Err(LoadError::MissingField {
                field: key.to_string(),
                object: format!("`{}`", r.address),
                span: r.span(),
            }),
        }
    }

    /// A list of references; unknown parts are warned about and left out.
    /// A list the configuration does not write is the provider's default
    /// (an instance's groups: its VPC's default group), unknown on creation
    /// for that reason only: empty, without a warning.
    pub fn many(&mut self, r: &Resource<'a>, key: &str) -> Result<Vec<String>, LoadError> {
        Ok(match self.attr(r, key)? {
            Reference::Ids(ids) => ids,
            Reference::None => Vec::new(),
            Reference::Unknown if r.config.is_some_and(|c| c.get(key).is_none()) => Vec::new(),
            Reference::Unknown => {
                self.unknown(r, &format!("`{key}`"));
                Vec::new()
            }
        })
    }

    /// Warns that `what` of `r` is unknown until apply and what stands for
    /// it (`stands`, from [`records::unknown`](super::records::unknown)).
    pub fn widened(&mut self, r: &Resource<'_>, what: &str, stands: &str) {
        self.unknown_said(r, format!("{what} is only known after apply: {stands}"));
    }

    /// Warns that `what` of `r` is unknown until apply.
    pub fn unknown(&mut self, r: &Resource<'_>, what: &str) {
        self.unknown_said(
            r,
            format!("{what} is only known after apply and is not a reference netpolicy can follow, so it is left out"),
        );
    }

    fn unknown_said(&mut self, r: &Resource<'_>, said: String) {
        self.warnings.push(Warning::new(
            "np::terraform::unknown",
            format!("`{}`: {said}", r.address),
            Some(r.span()),
        ));
    }
}

#[cfg(test)]
mod tests;
