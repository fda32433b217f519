//! Static evaluation of CloudFormation intrinsic functions (docs/semantics.md, "CloudFormation specifics").
//!
//! Evaluation is lazy: the loader evaluates only the properties it reads, so a
//! parameter without a default breaks the load only where the network needs it.
//! Results are document nodes whose span is the expression they came from, so an
//! error in a resolved value still points at the template.

use super::super::LoadError;
use super::super::document::{Node, Value};
use super::template::Template;
use crate::diagnostic::Warning;
use crate::span::Span;
use crate::suggest::suggest;
use ipnet::Ipv4Net;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Tag of the value `Ref: AWS::NoValue` evaluates to (the property is absent).
const NO_VALUE: &str = "!NoValue";
/// Tag of a value that cannot be known before deployment (`Fn::ImportValue`).
pub(crate) const OPAQUE: &str = "!Opaque";

/// Options a user gives when loading a template.
#[derive(Clone, Debug, Default)]
pub struct TemplateOptions {
    /// Parameter values (`--param K=V`), overriding defaults. `AWS::Region` and
    /// `AWS::AccountId` may be given here too.
    pub parameters: BTreeMap<String, String>,
    /// Values other stacks export (`Outputs` with `Export`), by export name:
    /// what `Fn::ImportValue` resolves to when the exporting template is
    /// loaded beside this one.
    pub exports: BTreeMap<String, String>,
    /// Outputs of nested stacks loaded with this template, by
    /// `Nested.Outputs.Name`: what `Fn::GetAtt` of them resolves to.
    pub nested_outputs: BTreeMap<String, String>,
    /// Logical ids of this template's nested stacks that are loaded with it.
    pub followed: std::collections::BTreeSet<String>,
}

/// Why a value is known only outside the template.
struct Unknown {
    why: String,
    /// Whether it (and the items of it as a list) go without a warning of
    /// their own: a zone, which the subnets using it report once.
    quiet: bool,
}

/// Evaluates expressions of one template.
pub(crate) struct Resolver<'d> {
    template: &'d Template<'d>,
    options: &'d TemplateOptions,
    pub(crate) warnings: RefCell<Vec<Warning>>,
    /// `Resource.Attribute` pairs being evaluated, to report cycles.
    stack: RefCell<Vec<String>>,
    /// Conditions, parameters and attributes already evaluated: a chain of
    /// `Fn::Or` over conditions (or of `Fn::GetAtt`) that names each link
    /// twice would otherwise double the work per link.
    done: RefCell<std::collections::HashMap<String, Node>>,
    /// Values known only outside the template, by the text that stands for
    /// them, with why they are unknown.
    opaque: RefCell<std::collections::HashMap<String, Unknown>>,
}

fn invalid(message: impl Into<String>, span: Span, help: Option<String>) -> LoadError {
    LoadError::Invalid {
        message: crate::diagnostic::shorten_quoted(message.into()),
        span,
        help,
    }
}

fn string_node(text: impl Into<compact_str::CompactString>, span: Span) -> Node {
    Node {
        value: Value::String(text.into()),
        span,
        tag: None,
    }
}

/// Whether a node is the absent value of `AWS::NoValue`.
pub(crate) fn is_no_value(node: &Node) -> bool {
    node.tag.as_deref() == Some(NO_VALUE)
}

/// Whether a resource type is a custom resource, whose values its provider
/// computes at deployment.
fn is_custom(kind: &str) -> bool {
    kind.starts_with("Custom::") || kind == "AWS::CloudFormation::CustomResource"
}

/// Whether a parameter type holds a list.
fn is_list(ty: &str) -> bool {
    ty.starts_with("List<") || ty == "CommaDelimitedList" || ty.contains("<List<")
}

/// The intrinsic function a node calls, in long (`{"Fn::Join": ...}`) or short
/// (`!Join`) form, with its argument.
fn call(node: &Node) -> Option<(String, Node)> {
    if let Some(tag) = node.tag.as_deref() {
        let name = tag.trim_start_matches('!');
        let name = if name == "Ref" || name == "Condition" {
            name.to_string()
        } else {
            format!("Fn::{name}")
        };
        return Some((
            name,
            Node {
                tag: None,
                ..node.clone()
            },
        ));
    }
    match &node.value {
        Value::Map(entries) if entries.len() == 1 => {
            let (k, v) = entries.first()?;
            let key = k.as_str()?;
            (key == "Ref" || key == "Condition" || key.starts_with("Fn::"))
                .then(|| (key.to_string(), v.clone()))
        }
        _ => None,
    }
}

impl<'d> Resolver<'d> {
    pub(crate) fn new(template: &'d Template<'d>, options: &'d TemplateOptions) -> Self {
        Resolver {
            template,
            options,
            warnings: RefCell::new(Vec::new()),
            stack: RefCell::new(Vec::new()),
            done: RefCell::new(std::collections::HashMap::new()),
            opaque: RefCell::new(std::collections::HashMap::new()),
        }
    }

    /// Whether the nested stack `id` is loaded with this template.
    pub(crate) fn follows(&self, id: &str) -> bool {
        self.options.followed.contains(id)
    }

    /// Why `text` is unknown, when it stands for a value known only outside
    /// the template (a parameter without a value, an import, an attribute
    /// known after deployment).
    pub(crate) fn unknown(&self, text: &str) -> Option<String> {
        self.opaque.borrow().get(text).map(|u| u.why.clone())
    }

    /// Records `text` as unknown for `why`, unless it is already; whether it
    /// was new.
    fn record(&self, text: &str, why: String, quiet: bool) -> bool {
        let mut known = self.opaque.borrow_mut();
        if known.contains_key(text) {
            return false;
        }
        known.insert(text.to_string(), Unknown { why, quiet });
        true
    }

    /// Records a resource left out for want of a value known only outside the
    /// template: references to it are unknown too.
    pub(crate) fn declare_unknown(&self, id: &str, why: &str) {
        self.record(id, format!("left out ({why})"), false);
    }

    /// Records `text` as a value known only outside the template, once with a
    /// warning, and returns the node that stands for it.
    fn opaque(&self, text: String, why: String, code: &'static str, span: Span) -> Node {
        self.opaque_as(text, why, code, span, false)
    }

    /// [`Resolver::opaque`], saying whether it goes without a warning.
    fn opaque_as(
        &self,
        text: String,
        why: String,
        code: &'static str,
        span: Span,
        quiet: bool,
    ) -> Node {
        let message = format!("`{text}` is {why}: modelled as an unknown value");
        if self.record(&text, why, quiet) && !quiet {
            self.warnings
                .borrow_mut()
                .push(Warning::new(code, message, Some(span)));
        }
        Node {
            value: Value::String(text.into()),
            span,
            tag: Some(OPAQUE.into()),
        }
    }

    /// Element `index` of an unknown list: itself unknown, named after it.
    fn opaque_element(&self, list: &Node, index: usize, span: Span) -> Node {
        let base = match &list.value {
            Value::Seq(items) => items
                .first()
                .and_then(Node::scalar_text)
                .map(|t| t.trim_end_matches("[0]").to_string())
                .unwrap_or_default(),
            _ => list.scalar_text().unwrap_or_default(),
        };
        let (why, quiet) = {
            let known = self.opaque.borrow();
            known
                .get(&base)
                .or_else(|| known.get(&format!("{base}[0]")))
                .map(|u| (u.why.clone(), u.quiet))
                .unwrap_or_else(|| ("known only outside this template".into(), false))
        };
        self.opaque_as(
            format!("{base}[{index}]"),
            why,
            "np::cfn::unknown-value",
            span,
            quiet,
        )
    }

    /// The region the template is deployed to (`AWS::Region`, else us-east-1).
    pub(crate) fn region(&self) -> String {
        self.options
            .parameters
            .get("AWS::Region")
            .cloned()
            .unwrap_or_else(|| "us-east-1".into())
    }

    /// Evaluates every intrinsic in `node`.
    pub(crate) fn eval(&self, node: &Node) -> Result<Node, LoadError> {
        if let Some((name, arg)) = call(node) {
            // A `Condition` key inside a resource body is not a call; only a lone
            // `{"Condition": name}` inside Fn::And/Or/Not is, handled there.
            return self.function(&name, &arg, node.span);
        }
        let value = match &node.value {
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let v = self.eval(item)?;
                    if !is_no_value(&v) {
                        out.push(v);
                    }
                }
                Value::Seq(out.into())
            }
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let v = self.eval(v)?;
                    if !is_no_value(&v) {
                        out.push((k.clone(), v));
                    }
                }
                Value::Map(out.into())
            }
            other => other.clone(),
        };
        Ok(Node {
            value,
            span: node.span,
            tag: None,
        })
    }

    /// Evaluates to a string (numbers and booleans are accepted as their text).
    pub(crate) fn eval_string(&self, node: &Node) -> Result<(String, Span), LoadError> {
        let v = self.eval(node)?;
        match v.scalar_text() {
            Some(s) => Ok((s, v.span)),
            None => Err(LoadError::Type {
                expected: "a string".into(),
                found: v.kind(),
                span: node.span,
            }),
        }
    }

    fn eval_list(&self, node: &Node) -> Result<Vec<Node>, LoadError> {
        match self.eval(node)?.value {
            Value::Seq(items) => Ok(items.into_vec()),
            _ => Err(LoadError::Type {
                expected: "a list".into(),
                found: node.kind(),
                span: node.span,
            }),
        }
    }

    fn args<'a>(&self, arg: &'a Node, name: &str, count: usize) -> Result<&'a [Node], LoadError> {
        match &arg.value {
            Value::Seq(items) if items.len() == count => Ok(items),
            _ => Err(invalid(
                format!("{name} takes a list of {count} arguments"),
                arg.span,
                None,
            )),
        }
    }

    fn function(&self, name: &str, arg: &Node, span: Span) -> Result<Node, LoadError> {
        match name {
            "Ref" => self.reference(arg, span),
            "Fn::GetAtt" => {
                let (resource, attribute) = match &arg.value {
                    Value::String(s) => s
                        .split_once('.')
                        .map(|(r, a)| (r.to_string(), a.to_string()))
                        .ok_or_else(|| invalid("Fn::GetAtt needs `Resource.Attribute`", span, None))?,
                    _ => {
                        let a = self.args(arg, "Fn::GetAtt", 2)?;
                        (self.eval_string(&a[0])?.0, self.eval_string(&a[1])?.0)
                    }
                };
                self.get_att(&resource, &attribute, span)
            }
            "Fn::FindInMap" => self.find_in_map(arg, span),
            "Fn::Sub" => self.sub(arg, span),
            "Fn::Join" => {
                let a = self.args(arg, "Fn::Join", 2)?;
                let (delimiter, _) = self.eval_string(&a[0])?;
                let items = self.eval_list(&a[1])?;
                let unknown = items.iter().any(|p| p.tag.as_deref() == Some(OPAQUE));
                let parts: Result<Vec<String>, LoadError> =
                    items.iter().map(|p| self.eval_string(p).map(|s| s.0)).collect();
                Ok(self.derived(parts?.join(&delimiter), unknown, span))
            }
            "Fn::Select" => {
                let a = self.args(arg, "Fn::Select", 2)?;
                let (index, ispan) = self.eval_string(&a[0])?;
                let index: usize = index
                    .parse()
                    .map_err(|_| invalid(format!("Fn::Select index `{index}` is not a number"), ispan, None))?;
                let whole = self.eval(&a[1])?;
                if whole.tag.as_deref() == Some(OPAQUE) {
                    return Ok(self.opaque_element(&whole, index, span));
                }
                let list = self.eval_list(&a[1])?;
                let len = list.len();
                list.into_iter()
                    .nth(index)
                    .map(|n| Node { span, ..n })
                    .ok_or_else(|| invalid(format!("Fn::Select index {index} is out of range (the list has {len})"), span, None))
            }
            "Fn::Split" => {
                let a = self.args(arg, "Fn::Split", 2)?;
                let (delimiter, dspan) = self.eval_string(&a[0])?;
                if delimiter.is_empty() {
                    return Err(invalid("Fn::Split needs a non-empty delimiter", dspan, None));
                }
                let whole = self.eval(&a[1])?;
                if whole.tag.as_deref() == Some(OPAQUE) {
                    let item = self.opaque_element(&whole, 0, span);
                    return Ok(Node { value: Value::Seq(vec![item].into()), span, tag: Some(OPAQUE.into()) });
                }
                let (text, _) = self.eval_string(&a[1])?;
                let items = text.split(delimiter.as_str()).map(|p| string_node(p, span)).collect();
                Ok(Node { value: Value::Seq(items), span, tag: None })
            }
            "Fn::GetAZs" => {
                let (region, _) = self.eval_string(arg)?;
                let region = if region.is_empty() { self.region() } else { region };
                // Deterministic: the first three zones of the region.
                let items = ["a", "b", "c"].iter().map(|z| string_node(format!("{region}{z}"), span)).collect();
                Ok(Node { value: Value::Seq(items), span, tag: None })
            }
            "Fn::If" => {
                let a = self.args(arg, "Fn::If", 3)?;
                let (cond, cspan) = self.eval_string(&a[0])?;
                if self.condition(&cond, cspan)? { self.eval(&a[1]) } else { self.eval(&a[2]) }
            }
            "Fn::Equals" => {
                let a = self.args(arg, "Fn::Equals", 2)?;
                let (x, y) = (self.eval(&a[0])?, self.eval(&a[1])?);
                let same = match (x.scalar_text(), y.scalar_text()) {
                    (Some(x), Some(y)) => x == y,
                    _ => x.value == y.value,
                };
                Ok(Node { value: Value::Bool(same), span, tag: None })
            }
            "Fn::And" | "Fn::Or" => {
                let Value::Seq(items) = &arg.value else {
                    return Err(invalid(format!("{name} takes a list of conditions"), arg.span, None));
                };
                let mut values = Vec::new();
                for item in items {
                    values.push(self.truth(item)?);
                }
                let result = if name == "Fn::And" { values.iter().all(|v| *v) } else { values.iter().any(|v| *v) };
                Ok(Node { value: Value::Bool(result), span, tag: None })
            }
            "Fn::Not" => {
                let a = self.args(arg, "Fn::Not", 1)?;
                Ok(Node { value: Value::Bool(!self.truth(&a[0])?), span, tag: None })
            }
            "Condition" => {
                let (cond, cspan) = self.eval_string(arg)?;
                Ok(Node { value: Value::Bool(self.condition(&cond, cspan)?), span, tag: None })
            }
            "Fn::ImportValue" => {
                let (export, _) = self.eval_string(arg).unwrap_or_else(|_| ("?".into(), span));
                if let Some(value) = self.options.exports.get(&export) {
                    return Ok(string_node(value.clone(), span));
                }
                Ok(self.opaque(
                    format!("ImportValue:{export}"),
                    "exported by another stack that is not loaded".into(),
                    "np::cfn::import-value",
                    span,
                ))
            }
            "Fn::Base64" => self.eval(arg),
            "Fn::Cidr" => self.cidr(arg, span),
            other => Err(invalid(
                format!("`{other}` cannot be evaluated statically"),
                span,
                Some("netpolicy evaluates Ref, Fn::GetAtt, Fn::FindInMap, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::GetAZs, Fn::If, Fn::Equals/And/Or/Not, Fn::Cidr, Fn::Base64 and Fn::ImportValue".into()),
            )),
        }
    }

    fn truth(&self, node: &Node) -> Result<bool, LoadError> {
        let v = self.eval(node)?;
        match v.value {
            Value::Bool(b) => Ok(b),
            Value::String(ref s) if s == "true" || s == "false" => Ok(s == "true"),
            _ => Err(LoadError::Type {
                expected: "a condition (true or false)".into(),
                found: v.kind(),
                span: node.span,
            }),
        }
    }

    /// Whether the named condition holds.
    pub(crate) fn condition(&self, name: &str, span: Span) -> Result<bool, LoadError> {
        let Some(node) = self.template.conditions.get(name) else {
            return Err(invalid(
                format!("unknown condition `{name}`"),
                span,
                suggest(name, self.template.conditions.keys().copied())
                    .map(|s| format!("did you mean `{s}`?")),
            ));
        };
        let key = format!("Condition:{name}");
        let value = self.once(&key, span, || {
            self.truth(node).map(|b| Node {
                value: Value::Bool(b),
                span,
                tag: None,
            })
        })?;
        Ok(value.value == Value::Bool(true))
    }

    /// [`Resolver::guard`], evaluating each key once.
    fn once(
        &self,
        key: &str,
        span: Span,
        f: impl FnOnce() -> Result<Node, LoadError>,
    ) -> Result<Node, LoadError> {
        if let Some(v) = self.done.borrow().get(key) {
            return Ok(v.clone());
        }
        let v = self.guard(key, span, f)?;
        self.done.borrow_mut().insert(key.to_string(), v.clone());
        Ok(v)
    }

    /// Runs `f` with `key` on the evaluation stack, failing on a cycle.
    fn guard<T>(
        &self,
        key: &str,
        span: Span,
        f: impl FnOnce() -> Result<T, LoadError>,
    ) -> Result<T, LoadError> {
        if self.stack.borrow().iter().any(|k| k == key) {
            let chain = self.stack.borrow().join(" -> ");
            return Err(invalid(
                format!("cyclic reference: {chain} -> {key}"),
                span,
                None,
            ));
        }
        self.stack.borrow_mut().push(key.to_string());
        let out = f();
        self.stack.borrow_mut().pop();
        out
    }

    fn reference(&self, arg: &Node, span: Span) -> Result<Node, LoadError> {
        let Some(name) = arg.as_str() else {
            return Err(LoadError::Type {
                expected: "a name to Ref".into(),
                found: arg.kind(),
                span: arg.span,
            });
        };
        if name == "AWS::NoValue" {
            return Ok(Node {
                value: Value::Null,
                span,
                tag: Some(NO_VALUE.into()),
            });
        }
        if let Some(v) = self.pseudo(name) {
            return Ok(Node { span, ..v });
        }
        if let Some(kind) = self.template.resource_kinds.get(name) {
            if is_custom(kind) {
                return Ok(self.opaque(
                    name.to_string(),
                    format!(
                        "custom resource `{name}`, whose id comes from its provider at deployment"
                    ),
                    "np::cfn::unknown-value",
                    span,
                ));
            }
            return Ok(string_node(name, span));
        }
        if let Some(param) = self.template.parameters.get(name) {
            return self.parameter(name, param, span);
        }
        let candidates = self
            .template
            .resource_kinds
            .keys()
            .chain(self.template.parameters.keys())
            .copied();
        let help = match suggest(name, candidates) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "a module or a fragment that another template includes names what that template defines: load the template that uses it (with `--with` for its other stacks)".into(),
        };
        Err(invalid(
            format!(
                "`Ref` to `{name}`, which is neither a parameter nor a resource of this template"
            ),
            span,
            Some(help),
        ))
    }

    fn pseudo(&self, name: &str) -> Option<Node> {
        let text = match name {
            "AWS::Region" => self.region(),
            "AWS::AccountId" => self
                .options
                .parameters
                .get(name)
                .cloned()
                .unwrap_or_else(|| "123456789012".into()),
            "AWS::Partition" => "aws".into(),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            "AWS::StackName" => self
                .options
                .parameters
                .get(name)
                .cloned()
                .unwrap_or_else(|| "netpolicy-stack".into()),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{}:123456789012:stack/netpolicy-stack/0",
                self.region()
            ),
            "AWS::NotificationARNs" => {
                return Some(Node {
                    value: Value::Seq(Vec::new().into()),
                    span: Span::new(crate::span::SourceId(0), 0, 0),
                    tag: None,
                });
            }
            _ => return None,
        };
        Some(string_node(text, Span::new(crate::span::SourceId(0), 0, 0)))
    }

    fn parameter(&self, name: &str, param: &Node, span: Span) -> Result<Node, LoadError> {
        let ty = param.get("Type").and_then(Node::as_str).unwrap_or("String");
        let text = match (self.options.parameters.get(name), param.get("Default")) {
            (Some(v), _) => v.clone(),
            (None, Some(default)) => {
                // A default may refer to the parameter itself (directly or
                // through Fn::Sub): a cycle, reported, never followed.
                let d = self.once(&format!("Parameter:{name}"), span, || self.eval(default))?;
                if let Value::Seq(_) = d.value {
                    return Ok(Node { span, ..d });
                }
                d.scalar_text().unwrap_or_default()
            }
            (None, None) => {
                let why =
                    format!("parameter `{name}` ({ty}) without a default or a `--param` value");
                // A zone changes no reachability: the subnets that use one say so once.
                let quiet = ty.contains("AvailabilityZone::Name");
                let code = "np::cfn::unknown-value";
                if is_list(ty) {
                    let item = self.opaque_as(format!("{name}[0]"), why, code, span, quiet);
                    return Ok(Node {
                        value: Value::Seq(vec![item].into()),
                        span,
                        tag: Some(OPAQUE.into()),
                    });
                }
                return Ok(self.opaque_as(name.to_string(), why, code, span, quiet));
            }
        };
        if is_list(ty) {
            let items = text
                .split(',')
                .map(|s| string_node(s.trim(), span))
                .collect();
            return Ok(Node {
                value: Value::Seq(items),
                span,
                tag: None,
            });
        }
        Ok(string_node(text, span))
    }

    fn find_in_map(&self, arg: &Node, span: Span) -> Result<Node, LoadError> {
        let a = self.args(arg, "Fn::FindInMap", 3)?;
        let (map, mspan) = self.eval_string(&a[0])?;
        let (top, tspan) = self.eval_string(&a[1])?;
        let (second, sspan) = self.eval_string(&a[2])?;
        let keys = |n: &Node| -> Vec<String> {
            match &n.value {
                Value::Map(e) => e
                    .iter()
                    .filter_map(|(k, _)| k.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let miss = |what: &str, key: &str, span: Span, within: &Node| {
            let names = keys(within);
            invalid(
                format!("Fn::FindInMap: no {what} `{key}`"),
                span,
                suggest(key, names.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?")),
            )
        };
        let empty = Node {
            value: Value::Map(Vec::new().into()),
            span,
            tag: None,
        };
        let mappings = self.template.mappings.unwrap_or(&empty);
        let m = mappings
            .get(&map)
            .ok_or_else(|| miss("mapping", &map, mspan, mappings))?;
        let t = m
            .get(&top)
            .ok_or_else(|| miss("top-level key", &top, tspan, m))?;
        let v = t
            .get(&second)
            .ok_or_else(|| miss("second-level key", &second, sspan, t))?;
        let v = self.eval(v)?;
        Ok(Node { span, ..v })
    }

    fn sub(&self, arg: &Node, span: Span) -> Result<Node, LoadError> {
        let (text, vars) = match &arg.value {
            Value::String(s) => (s.to_string(), None),
            Value::Seq(items) if items.len() == 2 => {
                (self.eval_string(&items[0])?.0, Some(&items[1]))
            }
            _ => {
                return Err(invalid(
                    "Fn::Sub takes a string, or a string and a map of variables",
                    arg.span,
                    None,
                ));
            }
        };
        let mut out = String::new();
        let mut unknown = false;
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(invalid("Fn::Sub: unclosed `${`", span, None));
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let (value, opaque) = self.sub_variable(name, vars, span)?;
                unknown |= opaque;
                out.push_str(&value);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(self.derived(out, unknown, span))
    }

    /// A variable of `Fn::Sub`, with whether it is known only outside the
    /// template.
    fn sub_variable(
        &self,
        name: &str,
        vars: Option<&Node>,
        span: Span,
    ) -> Result<(String, bool), LoadError> {
        let v = if let Some(v) = vars.and_then(|m| m.get(name)) {
            self.eval(v)?
        } else if let Some((resource, attribute)) = name.split_once('.')
            && self.template.resource_kinds.contains_key(resource)
        {
            self.get_att(resource, attribute, span)?
        } else {
            self.reference(&string_node(name, span), span)?
        };
        let opaque = v.tag.as_deref() == Some(OPAQUE);
        v.scalar_text()
            .map(|t| (t, opaque))
            .ok_or_else(|| invalid(format!("`${{{name}}}` is not a string"), span, None))
    }

    /// A string computed from other values: unknown when one of them is.
    fn derived(&self, text: String, unknown: bool, span: Span) -> Node {
        if !unknown {
            return string_node(text, span);
        }
        self.record(
            &text,
            "computed from a value known only outside this template".into(),
            false,
        );
        Node {
            value: Value::String(text.into()),
            span,
            tag: Some(OPAQUE.into()),
        }
    }

    /// `Fn::GetAtt`: identifiers resolve to the logical id (physical ids do not
    /// exist before deployment); an attribute that is also a property of the
    /// resource (a VPC's `CidrBlock`) evaluates that property.
    fn get_att(&self, resource: &str, attribute: &str, span: Span) -> Result<Node, LoadError> {
        let Some(r) = self.template.resource(resource) else {
            return Err(invalid(
                format!("Fn::GetAtt on `{resource}`, which is not a resource"),
                span,
                suggest(resource, self.template.resource_kinds.keys().copied())
                    .map(|s| format!("did you mean `{s}`?")),
            ));
        };
        const IDS: &[&str] = &[
            "GroupId",
            "AllocationId",
            "Id",
            "NetworkInterfaceId",
            "RouteTableId",
            "SubnetId",
            "VpcId",
            "LoadBalancerArn",
            "TargetGroupArn",
            "ListenerArn",
            "Arn",
            "InternetGatewayId",
            "NatGatewayId",
            "VpnGatewayId",
            "NetworkAclId",
            "PrefixListId",
        ];
        if r.kind == "AWS::CloudFormation::Stack"
            && let Some(v) = self
                .options
                .nested_outputs
                .get(&format!("{resource}.{attribute}"))
        {
            return Ok(string_node(v.clone(), span));
        }
        if is_custom(r.kind) {
            return Ok(self.opaque(
                format!("{resource}.{attribute}"),
                format!("an attribute of custom resource `{resource}`, computed at deployment"),
                "np::cfn::unknown-value",
                span,
            ));
        }
        let own_id = attribute == "VpcId" && r.kind == "AWS::EC2::VPC"
            || attribute != "VpcId" && IDS.contains(&attribute);
        if own_id {
            return Ok(string_node(resource, span));
        }
        if r.kind == "AWS::EC2::VPC" && attribute == "DefaultSecurityGroup" {
            let id = crate::load::records::default_group::id(resource);
            return Ok(string_node(id, span));
        }
        let key = format!("{resource}.{attribute}");
        if let Some(p) = r.properties.and_then(|p| p.get(attribute)) {
            let v = self.once(&key, span, || self.eval(p))?;
            return Ok(Node { span, ..v });
        }
        Ok(self.opaque(
            key,
            format!(
                "an attribute of `{resource}` ({}) known only after deployment",
                r.kind
            ),
            "np::cfn::unknown-value",
            span,
        ))
    }

    fn cidr(&self, arg: &Node, span: Span) -> Result<Node, LoadError> {
        let a = self.args(arg, "Fn::Cidr", 3)?;
        let (block, bspan) = self.eval_string(&a[0])?;
        let (count, cspan) = self.eval_string(&a[1])?;
        let (bits, tspan) = self.eval_string(&a[2])?;
        let block: Ipv4Net = block
            .parse()
            .map_err(|_| invalid(format!("`{block}` is not an IPv4 CIDR"), bspan, None))?;
        let count: usize = count
            .parse()
            .map_err(|_| invalid("Fn::Cidr count must be a number", cspan, None))?;
        let bits: u8 = bits
            .parse()
            .map_err(|_| invalid("Fn::Cidr cidrBits must be a number", tspan, None))?;
        // CloudFormation's own limits: 1 to 256 blocks, host bits within the address.
        if !(1..=256).contains(&count) {
            return Err(invalid(
                format!("Fn::Cidr count is {count}: CloudFormation allows 1 to 256"),
                cspan,
                None,
            ));
        }
        if bits > 32 {
            return Err(invalid(
                format!("Fn::Cidr cidrBits is {bits}: an IPv4 block has at most 32"),
                tspan,
                None,
            ));
        }
        let prefix = 32u8.checked_sub(bits).filter(|p| *p >= block.prefix_len());
        let subnets: Vec<Node> = prefix
            .and_then(|p| block.subnets(p).ok())
            .map(|it| {
                it.take(count)
                    .map(|n| string_node(n.to_string(), span))
                    .collect()
            })
            .unwrap_or_default();
        if subnets.len() < count {
            return Err(invalid(
                format!(
                    "Fn::Cidr cannot cut {count} blocks of /{} from {block}",
                    32u8.saturating_sub(bits)
                ),
                span,
                None,
            ));
        }
        Ok(Node {
            value: Value::Seq(subnets.into()),
            span,
            tag: None,
        })
    }
}
