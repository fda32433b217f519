use crate::span::Span;
use serde::Serialize;
use std::collections::BTreeMap;

/// What every model object carries: its id, a human name, tags and where it came from.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Meta {
    /// Unique id within its kind (an AWS id, a CloudFormation logical id, ...).
    pub id: String,
    /// The `Name` tag or another human name, when the input gives one.
    pub name: Option<String>,
    /// Tags, sorted by key.
    pub tags: BTreeMap<String, String>,
    /// Other names the object goes by, which policies may use: the CloudFormation
    /// logical id of a deployed resource, the address of a Terraform resource.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Where the object is declared in the input.
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Meta {
    /// A bare object with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        Meta {
            id: id.into(),
            ..Meta::default()
        }
    }

    /// The metadata of an object made for this one (an instance's network
    /// interface): its own id, this one's name and tags, no aliases.
    pub fn inherited(&self, id: impl Into<String>) -> Self {
        Meta {
            id: id.into(),
            name: self.name.clone(),
            tags: self.tags.clone(),
            aliases: Vec::new(),
            span: self.span,
        }
    }

    /// Sets the span (builder style).
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Sets the name (builder style).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The id, the name and the aliases: every name a policy may use.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str())
            .chain(self.name.as_deref())
            .chain(self.aliases.iter().map(String::as_str))
    }

    /// `name (id)` when a name differs from the id, else the id.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) if n != &self.id => format!("{n} ({})", self.id),
            _ => self.id.clone(),
        }
    }
}
