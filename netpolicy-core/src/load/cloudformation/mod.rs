//! CloudFormation templates (JSON or YAML, short-form tags included) to models.
//!
//! Logical ids are the ids (physical ids do not exist before deployment); `Name`
//! tags and `GroupName`s are names. Every object keeps the span of its resource,
//! every security-group rule and NACL entry the span of its own entry.

mod intrinsics;
mod resources;
mod template;

pub use intrinsics::TemplateOptions;

use super::document;
use super::{LoadError, LoadFailure, read_file};
use crate::model::Model;
use crate::span::SourceMap;
use std::path::Path;

/// Loads a template from text; `name` is how diagnostics name the file.
pub fn load_cloudformation(
    name: &str,
    text: &str,
    options: &TemplateOptions,
) -> Result<Model, LoadFailure> {
    let mut sources = SourceMap::default();
    let id = sources.add(name, text);
    let built = document::parse(text, id).and_then(|doc| {
        let read = read(&doc, options);
        document::drop_later(doc);
        read
    });
    super::build_model(built, sources)
}

fn read(
    doc: &document::Node,
    options: &TemplateOptions,
) -> Result<(crate::model::ModelParts, Vec<crate::diagnostic::Warning>), LoadError> {
    let template = template::Template::new(doc)?;
    let resolver = intrinsics::Resolver::new(&template, options);
    let (parts, mut warnings) = resources::Builder::new(&template, &resolver).build()?;
    warnings.extend(unknown_parameters(&template, options));
    if let Some(t) = template.transform {
        let names = match &t.value {
            document::Value::Seq(items) => items.iter().filter_map(|i| i.scalar_text()).collect(),
            _ => t.scalar_text().into_iter().collect::<Vec<_>>(),
        };
        warnings.push(crate::diagnostic::Warning::new(
            "np::cfn::transform",
            format!(
                "the template asks for the transform {}, which netpolicy does not run: resources are read as written (serverless functions with `VpcConfig` included)",
                names.join(", ")
            ),
            Some(t.span),
        ));
    }
    Ok((parts, warnings))
}

/// A warning for each `--param` the template does not declare (a typo would
/// otherwise leave the default in force without a word).
fn unknown_parameters(
    template: &template::Template<'_>,
    options: &TemplateOptions,
) -> Vec<crate::diagnostic::Warning> {
    options
        .parameters
        .keys()
        .filter(|k| !k.starts_with("AWS::") && !template.parameters.contains_key(k.as_str()))
        .map(|k| {
            let hint = crate::suggest::suggest(k, template.parameters.keys().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            crate::diagnostic::Warning::new(
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
    load_cloudformation(&path.display().to_string(), &text, options)
}

#[cfg(test)]
mod tests;
