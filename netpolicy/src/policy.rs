//! A parsed `.np` policy with its text, ready to check against any network.

use crate::error::{Error, ErrorKind};
use netpolicy_core::span::SourceMap;
use netpolicy_lang::ast;
use std::path::{Path, PathBuf};

/// A policy: assertions about a network, parsed from `.np` text.
///
/// ```
/// let policy: netpolicy::Policy = "no internet -> sg:db* : mysql".parse()?;
/// assert_eq!(policy.assertions(), 1);
/// # Ok::<(), netpolicy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    name: String,
    text: String,
    ast: ast::Policy,
    sources: SourceMap,
    file: Option<PathBuf>,
}

impl Policy {
    /// Parses `text`; reports and errors call it `name`.
    pub fn parse(name: impl Into<String>, text: impl Into<String>) -> Result<Policy, Error> {
        let (name, text) = (name.into(), text.into());
        let mut sources = SourceMap::default();
        let id = sources.add(&name, &text);
        let ast = netpolicy_lang::parse_policy(&text, id)
            .map_err(|e| Error::new(ErrorKind::Syntax, e, Some((&name, &text))))?;
        Ok(Policy {
            name,
            text,
            ast,
            sources,
            file: None,
        })
    }

    /// Reads and parses a policy file; reports name it by its file name, and
    /// its `model "..."` is found relative to its folder.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut policy = Policy::parse(file_name(path), text)?;
        policy.file = Some(path.to_path_buf());
        Ok(policy)
    }

    /// The name reports give the policy.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many assertions it makes.
    pub fn assertions(&self) -> usize {
        self.ast.assertions.len()
    }

    /// The model the policy names with `model "..."`, relative to the policy
    /// file's folder (to the working directory for a policy parsed from text).
    pub fn model_path(&self) -> Option<PathBuf> {
        let (model, _) = self.ast.model.as_ref()?;
        let base = self
            .file
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        Some(base.join(model))
    }

    /// Where the `model "..."` line's path is written.
    pub(crate) fn model_span(&self) -> Option<miette::SourceSpan> {
        self.ast.model.as_ref().map(|(_, span)| (*span).into())
    }

    /// The syntax tree.
    pub fn ast(&self) -> &ast::Policy {
        &self.ast
    }

    pub(crate) fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// `error` with this policy's text attached, to show where it points.
    pub(crate) fn cite(
        &self,
        kind: ErrorKind,
        error: impl miette::Diagnostic + Send + Sync + 'static,
    ) -> Error {
        Error::new(kind, error, Some((&self.name, &self.text)))
    }
}

impl std::str::FromStr for Policy {
    type Err = Error;

    /// Parses policy text; reports call it `policy.np`.
    fn from_str(text: &str) -> Result<Policy, Error> {
        Policy::parse("policy.np", text)
    }
}

/// The last component of a path: reports and snapshots stay the same wherever
/// the files are.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
