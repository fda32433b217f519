//! One error type for the facade: what went wrong, with the text it points
//! into attached, so `miette::Result` prints the snippet without more work.

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use netpolicy_core::span::WindowedText;
use std::fmt;

/// What kind of input an [`Error`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read.
    Io,
    /// The network does not load: unreadable format, dangling reference,
    /// invalid CIDR, ...
    Network,
    /// The policy does not parse.
    Syntax,
    /// The policy names something the network lacks, or a service that does
    /// not parse.
    Policy,
}

/// Why netpolicy could not answer. Renders as a diagnostic with the policy or
/// model text underlined; [`Error::related_errors`] holds the other errors
/// found in the same pass (every unknown name of a policy, not just the first).
pub struct Error {
    kind: ErrorKind,
    inner: Box<dyn Diagnostic + Send + Sync + 'static>,
    source_code: Option<NamedSource<WindowedText>>,
    related: Vec<Error>,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        inner: impl Diagnostic + Send + Sync + 'static,
        source: Option<(&str, &str)>,
    ) -> Error {
        Error {
            kind,
            inner: Box::new(inner),
            source_code: source
                .map(|(name, text)| NamedSource::new(name, WindowedText::new(text.to_string()))),
            related: Vec::new(),
        }
    }

    /// A load failure, which carries its own input text: of kind
    /// [`ErrorKind::Io`] when a file could not be read, else
    /// [`ErrorKind::Network`].
    pub(crate) fn network(failure: netpolicy_core::load::LoadFailure) -> Error {
        let unreadable = matches!(failure.error(), netpolicy_core::load::LoadError::Io { .. });
        Error {
            kind: if unreadable {
                ErrorKind::Io
            } else {
                ErrorKind::Network
            },
            inner: Box::new(failure),
            source_code: None,
            related: Vec::new(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, error: std::io::Error) -> Error {
        Error::new(
            ErrorKind::Io,
            IoError {
                path: path.display().to_string(),
                error,
            },
            None,
        )
    }

    /// The first of `errors`, with the others as related; `None` when empty.
    pub(crate) fn all(mut errors: Vec<Error>) -> Option<Error> {
        if errors.is_empty() {
            return None;
        }
        let mut first = errors.remove(0);
        first.related.extend(errors);
        Some(first)
    }

    /// What the error is about.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The other errors found with this one, in order.
    pub fn related_errors(&self) -> &[Error] {
        &self.related
    }

    /// This error and the related ones, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Error> {
        std::iter::once(self).chain(self.related.iter())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.inner.to_string())
            .field("related", &self.related)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

impl Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.code()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.help()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.inner.labels()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match &self.source_code {
            Some(s) => Some(s),
            None => self.inner.source_code(),
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return self.inner.related();
        }
        Some(Box::new(self.related.iter().map(|e| e as &dyn Diagnostic)))
    }
}

/// A file that cannot be read.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("cannot read `{path}`: {error}")]
#[diagnostic(code(np::io))]
struct IoError {
    path: String,
    #[source]
    error: std::io::Error,
}

/// A policy's `model "..."` that names a file that cannot be read.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("the model `{path}` cannot be read: {reason}")]
#[diagnostic(code(np::io), help("the path is relative to the policy file's folder"))]
pub(crate) struct UnreadableModel {
    pub(crate) path: String,
    pub(crate) reason: String,
    #[label("named here")]
    pub(crate) span: miette::SourceSpan,
}

/// A plain message as a diagnostic (a policy that names no model, ...).
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub(crate) struct Message {
    pub(crate) message: String,
    #[help]
    pub(crate) help: Option<String>,
}
