//! The sections of a CloudFormation template, located but not yet evaluated.

use super::super::LoadError;
use super::super::document::{Node, Value};
use foldhash::{HashMap, HashMapExt};

/// One resource of the template.
pub(crate) struct Resource<'d> {
    /// The logical id.
    pub id: &'d str,
    /// `AWS::EC2::VPC`, ...
    pub kind: &'d str,
    /// The `Properties` mapping, when present.
    pub properties: Option<&'d Node>,
    /// The `Condition` naming when the resource exists.
    pub condition: Option<&'d Node>,
    /// The whole resource entry.
    pub node: &'d Node,
}

/// A template's sections.
pub(crate) struct Template<'d> {
    pub parameters: HashMap<&'d str, &'d Node>,
    pub mappings: Option<&'d Node>,
    /// The template-level `Transform` (macros, SAM), when present.
    pub transform: Option<&'d Node>,
    /// The `Outputs` section, when present.
    pub outputs: Option<&'d Node>,
    pub conditions: HashMap<&'d str, &'d Node>,
    pub resources: Vec<Resource<'d>>,
    pub resource_kinds: HashMap<&'d str, &'d str>,
    /// Each resource's place in `resources`, by logical id.
    by_id: HashMap<&'d str, usize>,
}

fn entries<'d>(node: &'d Node, what: &str) -> Result<&'d [(Node, Node)], LoadError> {
    match &node.value {
        Value::Map(e) => Ok(e),
        _ => Err(LoadError::Type {
            expected: format!("a mapping of {what}"),
            found: node.kind(),
            span: node.span,
        }),
    }
}

impl<'d> Template<'d> {
    /// The resource with this logical id.
    pub(crate) fn resource(&self, id: &str) -> Option<&Resource<'d>> {
        self.by_id.get(id).and_then(|&i| self.resources.get(i))
    }

    pub(crate) fn new(root: &'d Node) -> Result<Self, LoadError> {
        let top = entries(root, "template sections")?;
        let section = |name: &str| {
            top.iter()
                .find(|(k, _)| k.as_str() == Some(name))
                .map(|(_, v)| v)
        };
        let named = |name: &str, what: &str| -> Result<HashMap<&'d str, &'d Node>, LoadError> {
            match section(name) {
                None => Ok(HashMap::new()),
                Some(n) => Ok(entries(n, what)?
                    .iter()
                    .filter_map(|(k, v)| k.as_str().map(|k| (k, v)))
                    .collect()),
            }
        };
        let Some(resources_node) = section("Resources") else {
            return Err(LoadError::MissingField {
                field: "Resources".into(),
                object: "a CloudFormation template".into(),
                span: root.span,
            });
        };
        let mut resources = Vec::new();
        for (key, node) in entries(resources_node, "resources")? {
            let id = key.as_str().unwrap_or_default();
            let body = entries(node, "resource fields")?;
            let field = |name: &str| {
                body.iter()
                    .find(|(k, _)| k.as_str() == Some(name))
                    .map(|(_, v)| v)
            };
            let kind = match field("Type") {
                Some(t) => t.as_str().ok_or_else(|| LoadError::Type {
                    expected: "a resource type string".into(),
                    found: t.kind(),
                    span: t.span,
                })?,
                None => {
                    return Err(LoadError::MissingField {
                        field: "Type".into(),
                        object: format!("resource `{id}`"),
                        span: node.span,
                    });
                }
            };
            resources.push(Resource {
                id,
                kind,
                properties: field("Properties"),
                condition: field("Condition"),
                node,
            });
        }
        let resource_kinds = resources.iter().map(|r| (r.id, r.kind)).collect();
        let by_id = resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
        Ok(Template {
            parameters: named("Parameters", "parameters")?,
            mappings: section("Mappings"),
            transform: section("Transform"),
            outputs: section("Outputs"),
            conditions: named("Conditions", "conditions")?,
            resources,
            resource_kinds,
            by_id,
        })
    }
}
