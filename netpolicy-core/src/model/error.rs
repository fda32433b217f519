use crate::span::Span;
use std::fmt;

/// A reason a [`super::ModelParts`] is not a valid network.
///
/// Messages name both ends of a broken relation so the user can fix either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ModelError {
    /// Two objects of one kind share an id.
    #[error("duplicate {kind} id `{id}`")]
    #[diagnostic(
        code(np::model::duplicate_id),
        help("ids must be unique within a kind")
    )]
    DuplicateId {
        /// Kind of object.
        kind: &'static str,
        /// The id.
        id: String,
        /// The second declaration.
        #[label("declared again here")]
        span: Option<Span>,
    },
    /// A reference names an object that does not exist.
    #[error(
        "{from_kind} `{from_id}` refers in `{field}` to {to_kind} `{to_id}`, which does not exist"
    )]
    #[diagnostic(code(np::model::dangling_reference))]
    DanglingReference {
        /// Kind of the referring object.
        from_kind: &'static str,
        /// Id of the referring object.
        from_id: String,
        /// The field holding the reference.
        field: &'static str,
        /// Kind of the missing object.
        to_kind: &'static str,
        /// Id of the missing object.
        to_id: String,
        /// The referring object or rule.
        #[label("refers to `{to_id}`")]
        span: Option<Span>,
        /// Ids of that kind that look alike.
        #[help]
        help: Option<String>,
    },
    /// Two related objects sit in different VPCs.
    #[error(
        "{from_kind} `{from_id}` is in VPC `{from_vpc}` but its {to_kind} `{to_id}` is in VPC `{to_vpc}`"
    )]
    #[diagnostic(code(np::model::cross_vpc))]
    CrossVpc {
        /// Kind of the first object.
        from_kind: &'static str,
        /// Id of the first object.
        from_id: String,
        /// Its VPC.
        from_vpc: String,
        /// Kind of the related object.
        to_kind: &'static str,
        /// Id of the related object.
        to_id: String,
        /// Its VPC.
        to_vpc: String,
        /// The relation.
        #[label("here")]
        span: Option<Span>,
    },
    /// A value is out of range or malformed.
    #[error("{kind} `{id}`: {message}")]
    #[diagnostic(code(np::model::invalid_value))]
    InvalidValue {
        /// Kind of object.
        kind: &'static str,
        /// Id of the object.
        id: String,
        /// What is wrong.
        message: String,
        /// The value.
        #[label("here")]
        span: Option<Span>,
    },
    /// Two subnets of one VPC overlap.
    #[error("subnets `{first}` ({first_cidr}) and `{second}` ({second_cidr}) overlap")]
    #[diagnostic(code(np::model::overlapping_subnets))]
    OverlappingSubnets {
        /// First subnet.
        first: String,
        /// Its CIDR.
        first_cidr: String,
        /// Second subnet.
        second: String,
        /// Its CIDR.
        second_cidr: String,
        /// The second subnet.
        #[label("overlaps `{first}`")]
        span: Option<Span>,
    },
    /// Two interfaces share a private address, or an address cannot be allocated.
    #[error("{message}")]
    #[diagnostic(code(np::model::addressing))]
    Addressing {
        /// What is wrong.
        message: String,
        /// The interface or subnet.
        #[label("here")]
        span: Option<Span>,
    },
}

impl ModelError {
    /// The error with every id and message cut to a readable length: an
    /// input's megabyte id must not be echoed whole (see
    /// [`crate::diagnostic::shorten_quoted`]).
    pub fn shortened(self) -> ModelError {
        let short = |id: String| crate::diagnostic::shorten_value(&id);
        match self {
            ModelError::DuplicateId { kind, id, span } => ModelError::DuplicateId {
                kind,
                id: short(id),
                span,
            },
            ModelError::DanglingReference {
                from_kind,
                from_id,
                field,
                to_kind,
                to_id,
                span,
                help,
            } => ModelError::DanglingReference {
                from_kind,
                from_id: short(from_id),
                field,
                to_kind,
                to_id: short(to_id),
                span,
                help: help.map(crate::diagnostic::shorten_quoted),
            },
            ModelError::CrossVpc {
                from_kind,
                from_id,
                from_vpc,
                to_kind,
                to_id,
                to_vpc,
                span,
            } => ModelError::CrossVpc {
                from_kind,
                from_id: short(from_id),
                from_vpc: short(from_vpc),
                to_kind,
                to_id: short(to_id),
                to_vpc: short(to_vpc),
                span,
            },
            ModelError::InvalidValue {
                kind,
                id,
                message,
                span,
            } => ModelError::InvalidValue {
                kind,
                id: short(id),
                message: crate::diagnostic::shorten_quoted(message),
                span,
            },
            ModelError::OverlappingSubnets {
                first,
                first_cidr,
                second,
                second_cidr,
                span,
            } => ModelError::OverlappingSubnets {
                first: short(first),
                first_cidr,
                second: short(second),
                second_cidr,
                span,
            },
            ModelError::Addressing { message, span } => ModelError::Addressing {
                message: crate::diagnostic::shorten_quoted(message),
                span,
            },
        }
    }

    /// Where in the input the error points.
    pub fn span(&self) -> Option<Span> {
        match self {
            ModelError::DuplicateId { span, .. }
            | ModelError::DanglingReference { span, .. }
            | ModelError::CrossVpc { span, .. }
            | ModelError::InvalidValue { span, .. }
            | ModelError::OverlappingSubnets { span, .. }
            | ModelError::Addressing { span, .. } => *span,
        }
    }
}

/// Every error found while building a model; shows the first, relates the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelErrors(pub Vec<ModelError>);

impl ModelErrors {
    /// The errors.
    pub fn errors(&self) -> &[ModelError] {
        &self.0
    }
}

impl fmt::Display for ModelErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("invalid model"),
            [one] => write!(f, "{one}"),
            [first, rest @ ..] => write!(f, "{first} (and {} more errors)", rest.len()),
        }
    }
}

impl std::error::Error for ModelErrors {}

impl miette::Diagnostic for ModelErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.first().and_then(miette::Diagnostic::code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.first().and_then(miette::Diagnostic::labels)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.first().and_then(miette::Diagnostic::help)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.0.iter().skip(1).map(|e| e as &dyn miette::Diagnostic),
        ))
    }
}
