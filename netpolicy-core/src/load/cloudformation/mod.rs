//! CloudFormation templates (JSON or YAML, short-form tags included) to models.
//!
//! Logical ids are the ids (physical ids do not exist before deployment); `Name`
//! tags and `GroupName`s are names. Every object keeps the span of its resource,
//! every security-group rule and NACL entry the span of its own entry.

mod intrinsics;
mod nested;
mod resources;
mod template;

pub use intrinsics::TemplateOptions;

use super::document;
use super::{LoadError, LoadFailure, read_file};
use crate::diagnostic::Warning;
use crate::model::{Model, ModelParts};
use crate::span::SourceMap;
use std::path::Path;

/// Loads a template from text; `name` is how diagnostics name the file.
/// The model keeps the text for its diagnostics: pass a `String` to hand it
/// over rather than have it copied.
pub fn load_cloudformation(
    name: &str,
    text: impl Into<String>,
    options: &TemplateOptions,
) -> Result<Model, LoadFailure> {
    load_stacks(vec![(name.to_string(), text.into())], options, None)
}

/// A deployed network that templates are loaded over: the objects an AWS CLI
/// dump holds (read, not yet built), its files and warnings.
pub(crate) struct Deployed {
    pub parts: ModelParts,
    pub sources: SourceMap,
    pub warnings: Vec<Warning>,
}

/// Loads several templates as one network (a stack set: `Fn::ImportValue`
/// finds the other templates' exports), over a deployed network when given
/// (the templates' parameters and references may name its ids).
pub(crate) fn load_stacks(
    files: Vec<(String, String)>,
    options: &TemplateOptions,
    deployed: Option<Deployed>,
) -> Result<Model, LoadFailure> {
    let Deployed {
        parts,
        mut sources,
        warnings: base_warnings,
    } = deployed.unwrap_or(Deployed {
        parts: ModelParts::default(),
        sources: SourceMap::default(),
        warnings: Vec::new(),
    });
    let mut stacks: Vec<nested::Stack> = files
        .into_iter()
        .map(|(name, text)| nested::Stack {
            name,
            text,
            options: options.clone(),
        })
        .collect();
    let nested_warnings = nested::follow(&mut stacks);
    let mut docs = Vec::new();
    for stack in &mut stacks {
        let id = sources.add(stack.name.as_str(), std::mem::take(&mut stack.text));
        let text = sources.text(id);
        match document::parse(text, id) {
            Ok(doc) => docs.push(doc),
            Err(e) => return Err(LoadFailure::new(e, sources)),
        }
    }
    let options: Vec<TemplateOptions> = stacks.into_iter().map(|s| s.options).collect();
    let built = read(&docs, &options, parts).map(|(parts, warnings)| {
        let mut all = base_warnings;
        all.extend(nested_warnings);
        all.extend(warnings);
        (parts, all)
    });
    for doc in docs {
        document::drop_later(doc);
    }
    super::build_model(built, sources)
}

fn read(
    docs: &[document::Node],
    options: &[TemplateOptions],
    base: ModelParts,
) -> Result<(ModelParts, Vec<Warning>), LoadError> {
    let templates = docs
        .iter()
        .map(template::Template::new)
        .collect::<Result<Vec<_>, _>>()?;
    distinct_ids(&templates)?;
    let exports = exports(&templates, options);
    let options: Vec<TemplateOptions> = options
        .iter()
        .map(|o| TemplateOptions {
            exports: exports.clone(),
            ..o.clone()
        })
        .collect();
    let resolvers: Vec<_> = templates
        .iter()
        .zip(&options)
        .map(|(t, o)| intrinsics::Resolver::new(t, o))
        .collect();
    let Some(builder) = resources::Builder::new(&templates, &resolvers, base) else {
        return Ok((ModelParts::default(), Vec::new()));
    };
    let (parts, mut warnings) = builder.build()?;
    if let Some(first) = options.first() {
        warnings.extend(unknown_parameters(&templates, first));
    }
    warnings.extend(templates.iter().filter_map(transform_warning));
    Ok((parts, warnings))
}

/// Logical ids name the objects, so two stacks loaded together may not use
/// the same one.
fn distinct_ids(templates: &[template::Template<'_>]) -> Result<(), LoadError> {
    let mut seen = std::collections::HashSet::new();
    for t in templates {
        for r in &t.resources {
            if !seen.insert(r.id) {
                return Err(LoadError::Invalid {
                    message: format!(
                        "logical id `{}` is defined by two of the templates loaded together",
                        r.id
                    ),
                    span: r.node.span,
                    help: Some(
                        "netpolicy names objects by their logical ids: rename one, or load the templates separately".into(),
                    ),
                });
            }
        }
    }
    Ok(())
}

/// What the templates export (`Outputs` with `Export`), by export name. An
/// export that cannot be evaluated is left out: an import of it stays an
/// unknown value, with a warning.
fn exports(
    templates: &[template::Template<'_>],
    options: &[TemplateOptions],
) -> std::collections::BTreeMap<String, String> {
    let mut out = options
        .first()
        .map(|o| o.exports.clone())
        .unwrap_or_default();
    if templates.len() < 2 {
        return out;
    }
    for (t, o) in templates.iter().zip(options) {
        let r = intrinsics::Resolver::new(t, o);
        let Some(document::Node {
            value: document::Value::Map(outputs),
            ..
        }) = t.outputs
        else {
            continue;
        };
        for (_, output) in outputs {
            let name = output.get("Export").and_then(|e| e.get("Name"));
            let (Some(name), Some(value)) = (name, output.get("Value")) else {
                continue;
            };
            if let (Ok((name, _)), Ok((value, _))) = (r.eval_string(name), r.eval_string(value)) {
                out.insert(name, value);
            }
        }
    }
    out
}

/// A warning for a template-level `Transform`, which netpolicy does not run.
fn transform_warning(t: &template::Template<'_>) -> Option<Warning> {
    let node = t.transform?;
    let names: Vec<String> = match &node.value {
        document::Value::Seq(items) => items.iter().filter_map(|i| i.scalar_text()).collect(),
        _ => node.scalar_text().into_iter().collect(),
    };
    Some(Warning::new(
        "np::cfn::transform",
        format!(
            "the template asks for the transform {}, which netpolicy does not run: resources are read as written (serverless functions with `VpcConfig` included)",
            names.join(", ")
        ),
        Some(node.span),
    ))
}

/// A warning for each `--param` no template declares (a typo would
/// otherwise leave the default in force without a word).
fn unknown_parameters(
    templates: &[template::Template<'_>],
    options: &TemplateOptions,
) -> Vec<Warning> {
    let declared = |k: &str| templates.iter().any(|t| t.parameters.contains_key(k));
    options
        .parameters
        .keys()
        .filter(|k| !k.starts_with("AWS::") && !declared(k))
        .map(|k| {
            let hint = crate::suggest::suggest(
                k,
                templates.iter().flat_map(|t| t.parameters.keys().copied()),
            )
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
            Warning::new(
                "np::cfn::unknown-param",
                format!("--param `{k}` is not a parameter of this template: ignored{hint}"),
                None,
            )
        })
        .collect()
}

/// Loads a template file.
pub fn load_cloudformation_file(
    path: &Path,
    options: &TemplateOptions,
) -> Result<Model, LoadFailure> {
    let text = read_file(path).map_err(|e| LoadFailure::new(e, SourceMap::default()))?;
    load_cloudformation(&path.display().to_string(), text, options)
}

#[cfg(test)]
mod tests;
