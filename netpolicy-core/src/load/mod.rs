//! Loaders: each turns one input format into a [`Model`], in three steps.
//!
//! ```text
//!  read (syntax, per format)          records (AWS meaning, once)      model
//!  native/  aws_cli/                  records/: traffic, nacl, route,  Model::build:
//!  cloudformation/  terraform/   ->   load_balancer, Records (by id),  references,
//!  over document + read (spans)       reconcile (unknown references)   addresses
//! ```
//!
//! A reader knows where its format keeps a value and how it writes
//! references (CloudFormation intrinsics, Terraform's unknown values); what a
//! protocol, a port range, a NACL entry or a route target means is decided in
//! `records`, the same way for every format. Every reader reads through
//! `document`, so a value it rejects is reported with the span of that value
//! in the user's file.

pub mod aws_cli;
pub mod cloudformation;
pub(crate) mod document;
mod native;
mod read;
mod records;
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
    /// A value known only outside this input: another stack's export, a
    /// parameter without a value, an attribute known after deployment. A
    /// template reader turns it into a warning and models what it can; it
    /// reaches the user only where nothing can stand in for the value.
    #[error("{message}")]
    #[diagnostic(code(np::load::external_value))]
    External {
        /// What is unknown and why.
        message: String,
        /// The expression or resource.
        #[label("known only outside this template")]
        span: Span,
    },
    /// The file's format cannot be told from its structure.
    #[error("cannot tell the format of `{path}`: {reason}")]
    #[diagnostic(
        code(np::load::unknown_format),
        help(
            "tried a CloudFormation template (a top-level `Resources`), a Terraform plan or state (`format_version`, `planned_values` or `values`) and a native model (top-level `vpcs`, `subnets`, ...); force one with `--model-format cloudformation|terraform|native`"
        )
    )]
    UnknownFormat {
        /// The file.
        path: String,
        /// What the top level holds.
        reason: String,
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
            LoadError::Io { .. }
            | LoadError::MissingFile { .. }
            | LoadError::UnknownFormat { .. } => None,
            LoadError::Syntax { span, .. }
            | LoadError::DuplicateKey { span, .. }
            | LoadError::Type { span, .. }
            | LoadError::MissingField { span, .. }
            | LoadError::UnknownField { span, .. }
            | LoadError::External { span, .. }
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
    load_native(&path.display().to_string(), text)
}

/// The input formats netpolicy reads.
#[non_exhaustive]
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
    /// Guesses the format of a file from its text (see
    /// [`ModelFormat::from_structure`]); a document whose top level fits no
    /// format is taken as native, whose loader then names what it does not know.
    pub fn detect(text: &str) -> ModelFormat {
        Self::from_structure(text).unwrap_or(ModelFormat::Native)
    }

    /// The format a document's top-level keys show, read without parsing the
    /// whole document (JSON, block or flow YAML, a byte-order mark allowed): a
    /// CloudFormation template has `Resources` (and only template sections
    /// beside it), a Terraform plan or state has `format_version`,
    /// `terraform_version`, `planned_values` or `values`, a native model only
    /// native sections. `None` when the top level fits none of them.
    pub fn from_structure(text: &str) -> Option<ModelFormat> {
        const TEMPLATE: &[&str] = &[
            "AWSTemplateFormatVersion",
            "Description",
            "Metadata",
            "Parameters",
            "Rules",
            "Mappings",
            "Conditions",
            "Transform",
            "Resources",
            "Outputs",
            "Hooks",
        ];
        const TERRAFORM: &[&str] = &[
            "format_version",
            "terraform_version",
            "planned_values",
            "values",
            "resource_changes",
            "prior_state",
            "configuration",
            "variables",
            "output_changes",
            "resource_drift",
            "relevant_attributes",
            "checks",
            "applyable",
            "complete",
            "errored",
            "timestamp",
        ];
        // The tools that write plans and templates put their own version
        // first: no other format has that key, so the rest of a document of
        // hundreds of megabytes need not be scanned (and keys a newer
        // Terraform adds after it do not make the plan unrecognisable).
        match leading_keys(text, 1).first().map(String::as_str) {
            Some("format_version" | "terraform_version") => return Some(ModelFormat::Terraform),
            Some("AWSTemplateFormatVersion") => return Some(ModelFormat::CloudFormation),
            _ => {}
        }
        let keys = top_level_keys(text);
        let has = |k: &str| keys.iter().any(|x| x == k);
        let all_in = |set: &[&str]| keys.iter().all(|k| set.contains(&k.as_str()));
        if [
            "format_version",
            "terraform_version",
            "planned_values",
            "values",
        ]
        .iter()
        .any(|k| has(k))
            && all_in(TERRAFORM)
        {
            Some(ModelFormat::Terraform)
        } else if has("Resources") && all_in(TEMPLATE) {
            Some(ModelFormat::CloudFormation)
        } else if all_in(native::TOP_FIELDS) {
            Some(ModelFormat::Native)
        } else {
            None
        }
    }
}

/// The keys of a document's top-level mapping, from a scan that tracks only
/// nesting and quoting. JSON and flow YAML (`{...}`) are read by brackets;
/// block YAML by lines that start in column 0.
pub fn top_level_keys(text: &str) -> Vec<String> {
    leading_keys(text, usize::MAX)
}

/// The first `most` keys of a document's top-level mapping (see
/// [`top_level_keys`]); the scan stops there.
fn leading_keys(text: &str, most: usize) -> Vec<String> {
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return flow_keys(trimmed, most);
    }
    let mut keys = Vec::new();
    for line in text.lines() {
        if keys.len() >= most {
            break;
        }
        let Some(first) = line.chars().next() else {
            continue;
        };
        if first.is_whitespace() || matches!(first, '#' | '-' | '%' | '.' | '}' | ']') {
            continue;
        }
        if let Some((key, _)) = split_key(line) {
            keys.push(key);
        }
    }
    keys
}

/// `key: value` (the key possibly quoted, spaces allowed before the colon).
fn split_key(line: &str) -> Option<(String, &str)> {
    let (key, rest) = match line.chars().next()? {
        q @ ('"' | '\'') => {
            let end = line.get(1..)?.find(q)? + 1;
            (line.get(1..end)?.to_string(), line.get(end + 1..)?)
        }
        _ => {
            let colon = line.find(':')?;
            (line.get(..colon)?.trim().to_string(), line.get(colon..)?)
        }
    };
    let rest = rest.trim_start();
    let after = rest.strip_prefix(':')?;
    (after.is_empty() || after.starts_with([' ', '\t'])).then_some((key, after))
}

/// Keys at depth one of a `{...}` document (JSON or flow YAML).
fn flow_keys(text: &str, most: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut current = String::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        // Inside a top-level value only brackets and quotes matter: jump to
        // the next one (a plan is hundreds of megabytes).
        if depth > 1 && !NESTING[usize::from(b)] {
            i += bytes
                .get(i..)
                .and_then(|rest| rest.iter().position(|c| NESTING[usize::from(*c)]))
                .unwrap_or(bytes.len() - i);
            continue;
        }
        match b {
            b'"' | b'\'' => {
                let end = string_end(bytes, i + 1, b);
                if depth == 1 && expect_key {
                    current = unescape(text.get(i + 1..end).unwrap_or_default(), b);
                }
                i = end + 1;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => {
                expect_key = true;
                current.clear();
            }
            b':' if depth == 1 && expect_key => {
                keys.push(std::mem::take(&mut current).trim().to_string());
                if keys.len() >= most {
                    break;
                }
                expect_key = false;
            }
            _ if depth == 1 && expect_key && !b.is_ascii_whitespace() => {
                // An unquoted flow-YAML key: whole characters, not bytes.
                let width = text
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                current.push_str(text.get(i..i + width).unwrap_or_default());
                i += width;
                continue;
            }
            _ => {}
        }
        i += 1;
        if depth == 0 && !keys.is_empty() {
            break;
        }
    }
    keys
}

/// The bytes that open or close a value: brackets and quotes.
const NESTING: [bool; 256] = {
    let mut table = [false; 256];
    let mut k = 0;
    let marks = *b"\"'{}[]";
    while k < marks.len() {
        table[marks[k] as usize] = true;
        k += 1;
    }
    table
};

/// Where the string opened by `quote` before `start` ends (its closing quote).
fn string_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut at = start;
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        match memchr::memchr2(quote, b'\\', rest) {
            Some(k) if quote == b'"' && rest.get(k) == Some(&b'\\') => at += k + 2,
            Some(k) if rest.get(k) == Some(&b'\\') => at += k + 1,
            Some(k) => return at + k,
            None => return bytes.len(),
        }
    }
}

/// A quoted key's text: in double quotes a backslash keeps the next character.
fn unescape(raw: &str, quote: u8) -> String {
    if quote != b'"' || !raw.contains('\\') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
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
    // A byte-order mark says nothing the parsers need.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    let name = path.display().to_string();
    let format = match format {
        Some(f) => f,
        None => ModelFormat::from_structure(&text).ok_or_else(|| {
            let keys = top_level_keys(&text);
            fail(LoadError::UnknownFormat {
                path: name.clone(),
                reason: if keys.is_empty() {
                    "it has no top-level mapping".into()
                } else {
                    format!(
                        "its top-level keys are {}",
                        keys.iter()
                            .take(8)
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            })
        })?,
    };
    load_text(&name, text, format, options)
}

/// Loads a model from text in `format`, calling its input `name` (errors
/// point into it). An AWS CLI dump is a folder, not a text: an error. The
/// model keeps the text for its diagnostics: pass a `String` to hand it over
/// rather than have it copied.
pub fn load_text(
    name: &str,
    text: impl Into<String>,
    format: ModelFormat,
    options: &cloudformation::TemplateOptions,
) -> Result<Model, LoadFailure> {
    match format {
        ModelFormat::Native => load_native(name, text),
        ModelFormat::CloudFormation => cloudformation::load_cloudformation(name, text, options),
        ModelFormat::Terraform => terraform::load_terraform(name, text),
        ModelFormat::AwsCli => Err(LoadFailure::new(
            LoadError::Io {
                path: name.to_string(),
                message:
                    "an AWS CLI dump is a folder of describe-* outputs, not a file: load the folder"
                        .into(),
            },
            SourceMap::default(),
        )),
    }
}

/// Loads inputs as one network: CloudFormation templates together (a stack
/// set, whose imports find each other's exports), over at most one AWS CLI
/// dump of the deployed network they go into (their parameters may name its
/// subnet, VPC and security group ids); or Terraform plans and states
/// together (the stacks of one estate). One input loads as
/// [`load_model_file`] does.
pub fn load_model_files(
    paths: &[std::path::PathBuf],
    format: Option<ModelFormat>,
    options: &cloudformation::TemplateOptions,
) -> Result<Model, LoadFailure> {
    let fail = |error| LoadFailure::new(error, SourceMap::default());
    match paths {
        [] => Err(fail(LoadError::Io {
            path: String::new(),
            message: "no model to load".into(),
        })),
        [one] => load_model_file(one, format, options),
        many => {
            let (dumps, files): (Vec<_>, Vec<_>) = many.iter().partition(|p| p.is_dir());
            let mut texts = Vec::new();
            let mut formats = Vec::new();
            for path in &files {
                let text = read_file(path).map_err(fail)?;
                let text = text
                    .strip_prefix('\u{feff}')
                    .map(str::to_string)
                    .unwrap_or(text);
                formats.push(format.or_else(|| ModelFormat::from_structure(&text)));
                texts.push((path.display().to_string(), text));
            }
            let all = |f: ModelFormat| formats.iter().all(|g| *g == Some(f));
            if dumps.is_empty() && all(ModelFormat::Terraform) {
                return terraform::load_terraform_stacks(texts);
            }
            let odd = formats
                .iter()
                .position(|f| *f != Some(ModelFormat::CloudFormation));
            if let Some(i) = odd {
                return Err(fail(LoadError::Io {
                    path: files[i].display().to_string(),
                    message: "cannot load together with these inputs: templates load together (a stack set, over at most one AWS CLI dump), and so do Terraform plans and states (the stacks of one estate), but not one format with another".into(),
                }));
            }
            let deployed = match dumps[..] {
                [] => None,
                [dir] => {
                    let mut sources = SourceMap::default();
                    let (parts, warnings) = aws_cli::read_all(dir, &mut sources)
                        .map_err(|e| LoadFailure::new(e, SourceMap::default()))?;
                    Some(cloudformation::Deployed {
                        parts,
                        sources,
                        warnings,
                    })
                }
                _ => {
                    return Err(fail(LoadError::Io {
                        path: dumps[1].display().to_string(),
                        message:
                            "is a second AWS CLI dump: templates load over one deployed network"
                                .into(),
                    }));
                }
            };
            cloudformation::load_stacks(texts, options, deployed)
        }
    }
}

#[cfg(test)]
mod detection_tests {
    use super::ModelFormat::{self, *};

    fn detect(text: &str) -> Option<ModelFormat> {
        ModelFormat::from_structure(text)
    }

    #[test]
    fn formats_are_told_by_their_top_level_keys() {
        let yaml =
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X: {Type: AWS::EC2::VPC}\n";
        assert_eq!(detect(yaml), Some(CloudFormation));
        assert_eq!(detect(&format!("\u{feff}{yaml}")), Some(CloudFormation));
        assert_eq!(
            detect("Resources :\n  X: {Type: AWS::EC2::VPC}\n"),
            Some(CloudFormation)
        );
        assert_eq!(
            detect(
                "{AWSTemplateFormatVersion: '2010-09-09', Resources: {X: {Type: 'AWS::EC2::VPC'}}}"
            ),
            Some(CloudFormation)
        );
        assert_eq!(
            detect(r#"{"Resources": {"X": {"Type": "AWS::EC2::VPC"}}}"#),
            Some(CloudFormation)
        );
        // A native model that names something "Resources" is still native.
        assert_eq!(
            detect(
                r#"{"vpcs": [{"id": "Resources", "cidr_blocks": ["10.0.0.0/16"]}], "subnets": []}"#
            ),
            Some(Native)
        );
        assert_eq!(
            detect("vpcs:\n  - {id: Resources, cidr_blocks: [10.0.0.0/16]}\n"),
            Some(Native)
        );
        // A plan or a template is told by its first key, whatever follows.
        assert_eq!(
            detect(r#"{"format_version": "1.2", "deferred_changes": [], "values": {}}"#),
            Some(Terraform)
        );
        assert_eq!(
            detect("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\nExtra: 1\n"),
            Some(CloudFormation)
        );
        // Otherwise every top-level key counts: a key no format has is not
        // taken for one.
        assert_eq!(
            detect(r#"{"planned_values": {}, "Reservations": []}"#),
            None
        );
        // A plan without `format_version`.
        assert_eq!(
            detect(r#"{"terraform_version": "1.9.0", "planned_values": {}}"#),
            Some(Terraform)
        );
        assert_eq!(
            detect(r#"{"format_version": "1.2", "values": {}}"#),
            Some(Terraform)
        );
        // Nothing fits.
        assert_eq!(detect(r#"{"Reservations": []}"#), None);
        assert_eq!(detect("hello: world\n"), None);
        assert_eq!(detect(""), Some(Native));
    }
}
