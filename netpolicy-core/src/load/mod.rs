//! Loaders: each turns one input format into a [`Model`].
//!
//! Every loader reads through [`document`], so a value it rejects is reported
//! with the span of that value in the user's file.

pub mod aws_cli;
pub mod cloudformation;
pub mod document;
mod native;
mod read;
mod reconcile;
pub mod terraform;

pub use native::{load_native, parse_native};

use crate::model::{Model, ModelErrors};
use crate::span::{SourceMap, Span};
use std::fmt;

/// Why an input could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {message}")]
    #[diagnostic(code(np::load::io))]
    Io {
        /// The path.
        path: String,
        /// The system's reason.
        message: String,
    },
    /// The text is not valid JSON or YAML.
    #[error("syntax error: {message}")]
    #[diagnostic(code(np::load::syntax))]
    Syntax {
        /// What the parser says.
        message: String,
        /// Where.
        #[label("here")]
        span: Span,
    },
    /// A mapping has the same key twice.
    #[error("duplicate key `{key}`")]
    #[diagnostic(code(np::load::duplicate_key))]
    DuplicateKey {
        /// The key.
        key: String,
        /// The second occurrence.
        #[label("repeated here")]
        span: Span,
        /// The first occurrence.
        #[label("first here")]
        first: Span,
    },
    /// A value has the wrong type.
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(np::load::type_mismatch))]
    Type {
        /// What was expected.
        expected: String,
        /// What was found.
        found: &'static str,
        /// The value.
        #[label("this is {found}")]
        span: Span,
    },
    /// A required field is absent.
    #[error("{object} has no `{field}`")]
    #[diagnostic(code(np::load::missing_field))]
    MissingField {
        /// The field.
        field: String,
        /// The object lacking it.
        object: String,
        /// The object.
        #[label("`{field}` is required here")]
        span: Span,
    },
    /// A field the format does not know (a typo, usually).
    #[error("unknown field `{field}` in {object}")]
    #[diagnostic(code(np::load::unknown_field))]
    UnknownField {
        /// The field.
        field: String,
        /// The object holding it.
        object: String,
        /// The key.
        #[label("not a field of {object}")]
        span: Span,
        /// Suggestion.
        #[help]
        help: Option<String>,
    },
    /// A value is malformed or out of range.
    #[error("{message}")]
    #[diagnostic(code(np::load::invalid_value))]
    Invalid {
        /// What is wrong.
        message: String,
        /// The value.
        #[label("here")]
        span: Span,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
    /// A file the input needs is not there.
    #[error("`{dir}` has no `{file}`")]
    #[diagnostic(code(np::load::missing_file))]
    MissingFile {
        /// The folder searched.
        dir: String,
        /// The file.
        file: String,
        /// How to produce it.
        #[help]
        help: Option<String>,
    },
    /// The objects do not form a valid network.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Model(#[from] ModelErrors),
}

impl LoadError {
    /// The primary span, when the error has one.
    pub fn span(&self) -> Option<Span> {
        match self {
            LoadError::Io { .. } | LoadError::MissingFile { .. } => None,
            LoadError::Syntax { span, .. }
            | LoadError::DuplicateKey { span, .. }
            | LoadError::Type { span, .. }
            | LoadError::MissingField { span, .. }
            | LoadError::UnknownField { span, .. }
            | LoadError::Invalid { span, .. } => Some(*span),
            LoadError::Model(e) => e.errors().first().and_then(|e| e.span()),
        }
    }
}

/// A load error together with the input it points into, ready to render.
#[derive(Debug)]
pub struct LoadFailure(Box<FailureParts>);

#[derive(Debug)]
struct FailureParts {
    error: LoadError,
    sources: SourceMap,
    named: Option<miette::NamedSource<crate::span::WindowedText>>,
}

impl LoadFailure {
    /// Pairs an error with the inputs its spans point into.
    pub fn new(error: LoadError, sources: SourceMap) -> Self {
        let named = error.span().and_then(|s| sources.named_source(s.source));
        LoadFailure(Box::new(FailureParts {
            error,
            sources,
            named,
        }))
    }

    /// The error.
    pub fn error(&self) -> &LoadError {
        &self.0.error
    }

    /// The inputs read so far.
    pub fn sources(&self) -> &SourceMap {
        &self.0.sources
    }
}

impl fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.error.fmt(f)
    }
}

impl std::error::Error for LoadFailure {}

impl miette::Diagnostic for LoadFailure {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.error.code()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.error.help()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.error.labels()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        self.0.error.related()
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.named.as_ref().map(|n| n as &dyn miette::SourceCode)
    }
}

/// Validates what a loader read and attaches its warnings: the last step of
/// every loader.
pub(crate) fn build_model(
    parsed: Result<(crate::model::ModelParts, Vec<crate::diagnostic::Warning>), LoadError>,
    sources: SourceMap,
) -> Result<Model, LoadFailure> {
    let (parts, warnings) = match parsed {
        Ok(p) => p,
        Err(error) => return Err(LoadFailure::new(error, sources)),
    };
    match Model::build_or_return(parts, sources) {
        Ok(mut model) => {
            for w in warnings {
                model.push_warning(w);
            }
            Ok(model)
        }
        Err((errors, sources)) => Err(LoadFailure::new(LoadError::Model(errors), sources)),
    }
}

/// Reads a file, mapping I/O failures to [`LoadError::Io`].
pub fn read_file(path: &std::path::Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|e| LoadError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Loads a model file in the native format (YAML or JSON).
pub fn load_native_file(path: &std::path::Path) -> Result<Model, LoadFailure> {
    let text = read_file(path).map_err(|error| LoadFailure::new(error, SourceMap::default()))?;
    load_native(&path.display().to_string(), &text)
}

/// The input formats netpolicy reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelFormat {
    /// netpolicy's own YAML/JSON (`docs/model-format.md`).
    Native,
    /// An AWS CloudFormation template (JSON or YAML).
    CloudFormation,
    /// A folder of AWS CLI `describe-*` outputs (`docs/aws-cli-dump.md`).
    AwsCli,
    /// `terraform show -json` of a plan or a state.
    Terraform,
}

impl ModelFormat {
    /// Guesses the format of a file from its text: Terraform's JSON starts with
    /// `format_version` and holds `planned_values` or `values`; a CloudFormation
    /// template has a top-level `Resources` section (and usually
    /// `AWSTemplateFormatVersion`); anything else is native.
    pub fn detect(text: &str) -> ModelFormat {
        let head = text.get(..4096).unwrap_or(text);
        let terraform = head.contains("\"format_version\"")
            && (text.contains("\"planned_values\"") || text.contains("\"terraform_version\""));
        let template = text.contains("AWSTemplateFormatVersion")
            || text.contains("\"Resources\"")
            || text.lines().any(|l| l.starts_with("Resources:"));
        if terraform {
            ModelFormat::Terraform
        } else if template {
            ModelFormat::CloudFormation
        } else {
            ModelFormat::Native
        }
    }
}

/// Loads a model from a file in `format`, or in the detected format when
/// `None`; a folder is an AWS CLI dump.
pub fn load_model_file(
    path: &std::path::Path,
    format: Option<ModelFormat>,
    options: &cloudformation::TemplateOptions,
) -> Result<Model, LoadFailure> {
    let fail = |error| LoadFailure::new(error, SourceMap::default());
    if path.is_dir() {
        return match format {
            None | Some(ModelFormat::AwsCli) => aws_cli::load_aws_cli_dir(path),
            Some(other) => Err(fail(LoadError::Io {
                path: path.display().to_string(),
                message: format!("is a folder, and a {other:?} model is a file"),
            })),
        };
    }
    let text = read_file(path).map_err(fail)?;
    let name = path.display().to_string();
    match format.unwrap_or_else(|| ModelFormat::detect(&text)) {
        ModelFormat::Native => load_native(&name, &text),
        ModelFormat::CloudFormation => cloudformation::load_cloudformation(&name, &text, options),
        ModelFormat::Terraform => terraform::load_terraform(&name, &text),
        ModelFormat::AwsCli => Err(fail(LoadError::Io {
            path: name,
            message: "an AWS CLI dump is a folder of describe-* outputs, not a file".into(),
        })),
    }
}
