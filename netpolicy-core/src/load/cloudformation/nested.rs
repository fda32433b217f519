//! Nested stacks (`AWS::CloudFormation::Stack`) whose `TemplateURL` names a
//! local file: loaded as stacks of their own, with the parameters their
//! parent passes, and their `Outputs` back to the parent's
//! `Fn::GetAtt Nested.Outputs.Name`. A URL (S3, https) is not followed, with
//! a warning; so is a nested template whose logical ids collide with
//! another stack's, since logical ids name the objects.

use super::super::document::{self, Node, Value};
use super::TemplateOptions;
use super::intrinsics::Resolver;
use super::template::Template;
use crate::diagnostic::Warning;
use crate::span::SourceId;
use foldhash::HashSet;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many stacks nesting may add, in all: a template that includes itself
/// must end.
const MAX_STACKS: usize = 64;

/// One template to load, with the options it is evaluated under.
pub(crate) struct Stack {
    /// The file, as diagnostics name it.
    pub name: String,
    /// Its text.
    pub text: String,
    /// Its parameters (a nested stack's come from its parent).
    pub options: TemplateOptions,
}

/// A nested stack found in a parent.
struct Child {
    /// The parent's logical id for it.
    id: String,
    path: PathBuf,
    text: String,
}

/// Adds the local nested stacks of `stacks` (and theirs) to `stacks`.
pub(crate) fn follow(stacks: &mut Vec<Stack>) -> Vec<Warning> {
    let mut warnings = Vec::new();
    // Most templates nest nothing: they are not parsed again.
    if !stacks.iter().any(|s| nests(&s.text)) {
        return warnings;
    }
    let mut seen: HashSet<PathBuf> = stacks.iter().map(|s| PathBuf::from(&s.name)).collect();
    let mut ids: HashSet<String> = stacks.iter().flat_map(|s| logical_ids(&s.text)).collect();
    let mut i = 0;
    while i < stacks.len() {
        if !nests(&stacks[i].text) {
            i += 1;
            continue;
        }
        let children = discover(&stacks[i], &mut warnings);
        let mut placed = Vec::new();
        for child in children {
            if stacks.len() + placed.len() >= MAX_STACKS || !seen.insert(child.path.clone()) {
                warnings.push(not_followed(
                    &child.id,
                    "it is loaded already, or nesting goes too deep",
                ));
                continue;
            }
            let child_ids = logical_ids(&child.text);
            if let Some(clash) = child_ids.iter().find(|id| ids.contains(*id)) {
                warnings.push(not_followed(
                    &child.id,
                    &format!("its logical id `{clash}` is another stack's too"),
                ));
                continue;
            }
            ids.extend(child_ids);
            placed.push(child);
        }
        if !placed.is_empty() {
            connect(stacks, i, placed);
        }
        i += 1;
    }
    warnings
}

/// Whether a template may hold a nested stack.
fn nests(text: &str) -> bool {
    text.contains("AWS::CloudFormation::Stack")
}

fn not_followed(id: &str, why: &str) -> Warning {
    Warning::new(
        "np::cfn::nested-stack",
        format!("nested stack `{id}` is not followed: {why}"),
        None,
    )
}

/// The logical ids a template defines (none when it does not parse).
fn logical_ids(text: &str) -> Vec<String> {
    let Ok(doc) = document::parse(text, SourceId(0)) else {
        return Vec::new();
    };
    let ids = Template::new(&doc)
        .map(|t| t.resources.iter().map(|r| r.id.to_string()).collect())
        .unwrap_or_default();
    document::drop_later(doc);
    ids
}

/// The nested stacks of `stack` with a local `TemplateURL`.
fn discover(stack: &Stack, warnings: &mut Vec<Warning>) -> Vec<Child> {
    let Ok(doc) = document::parse(&stack.text, SourceId(0)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(template) = Template::new(&doc) {
        let r = Resolver::new(&template, &stack.options);
        let dir = Path::new(&stack.name).parent().unwrap_or(Path::new("."));
        for res in template
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::CloudFormation::Stack")
        {
            let url = res
                .properties
                .and_then(|p| p.get("TemplateURL"))
                .and_then(|u| r.eval_string(u).ok())
                .map(|u| u.0);
            let Some(url) = url else { continue };
            let local = url.strip_prefix("file://").unwrap_or(&url);
            let path = dir.join(local);
            if url.contains("://") && !url.starts_with("file://") || !path.is_file() {
                warnings.push(not_followed(
                    res.id,
                    &format!("its TemplateURL `{url}` is not a local file (load that template with `--with` to include it)"),
                ));
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => out.push(Child {
                    id: res.id.to_string(),
                    path,
                    text,
                }),
                Err(e) => {
                    warnings.push(not_followed(res.id, &format!("`{}`: {e}", path.display())))
                }
            }
        }
    }
    document::drop_later(doc);
    out
}

/// Adds `children` of stack `parent`, passing them the parameters the parent
/// gives and giving the parent their outputs, until neither changes (a
/// parameter may be another child's output).
fn connect(stacks: &mut Vec<Stack>, parent: usize, children: Vec<Child>) {
    let first = stacks.len();
    for c in &children {
        stacks.push(Stack {
            name: c.path.display().to_string(),
            text: c.text.clone(),
            options: TemplateOptions {
                exports: stacks[parent].options.exports.clone(),
                ..TemplateOptions::default()
            },
        });
    }
    for _ in 0..=children.len() {
        let before: Vec<_> = (0..children.len())
            .map(|k| stacks[first + k].options.parameters.clone())
            .collect();
        let parameters = passed_parameters(&stacks[parent], &children);
        for (k, p) in parameters.into_iter().enumerate() {
            stacks[first + k].options.parameters = p;
        }
        let mut outputs = BTreeMap::new();
        for (k, c) in children.iter().enumerate() {
            for (name, value) in evaluated_outputs(&stacks[first + k]) {
                outputs.insert(format!("{}.Outputs.{name}", c.id), value);
            }
        }
        stacks[parent].options.nested_outputs.extend(outputs);
        stacks[parent]
            .options
            .followed
            .extend(children.iter().map(|c| c.id.clone()));
        let after: Vec<_> = (0..children.len())
            .map(|k| stacks[first + k].options.parameters.clone())
            .collect();
        if before == after {
            break;
        }
    }
}

/// The `Parameters` the parent passes each child, evaluated (lists joined by
/// commas, as CloudFormation passes them).
fn passed_parameters(parent: &Stack, children: &[Child]) -> Vec<BTreeMap<String, String>> {
    let Ok(doc) = document::parse(&parent.text, SourceId(0)) else {
        return vec![BTreeMap::new(); children.len()];
    };
    let mut out = Vec::new();
    if let Ok(template) = Template::new(&doc) {
        let r = Resolver::new(&template, &parent.options);
        for c in children {
            let mut passed = BTreeMap::new();
            let given = template
                .resource(&c.id)
                .and_then(|res| res.properties)
                .and_then(|p| p.get("Parameters"));
            if let Some(Node {
                value: Value::Map(entries),
                ..
            }) = given
            {
                for (k, v) in entries {
                    let (Some(key), Ok(value)) = (k.as_str(), r.eval(v)) else {
                        continue;
                    };
                    let text = match &value.value {
                        Value::Seq(items) => items
                            .iter()
                            .filter_map(Node::scalar_text)
                            .collect::<Vec<_>>()
                            .join(","),
                        _ => value.scalar_text().unwrap_or_default(),
                    };
                    passed.insert(key.to_string(), text);
                }
            }
            out.push(passed);
        }
    }
    document::drop_later(doc);
    out.resize(children.len(), BTreeMap::new());
    out
}

/// A stack's `Outputs`, evaluated under its options (those that cannot be
/// evaluated are left out).
fn evaluated_outputs(stack: &Stack) -> Vec<(String, String)> {
    let Ok(doc) = document::parse(&stack.text, SourceId(0)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(template) = Template::new(&doc) {
        let r = Resolver::new(&template, &stack.options);
        if let Some(Node {
            value: Value::Map(outputs),
            ..
        }) = template.outputs
        {
            for (k, v) in outputs {
                let (Some(name), Some(value)) = (k.as_str(), v.get("Value")) else {
                    continue;
                };
                if let Ok((value, _)) = r.eval_string(value) {
                    out.push((name.to_string(), value));
                }
            }
        }
    }
    document::drop_later(doc);
    out
}
