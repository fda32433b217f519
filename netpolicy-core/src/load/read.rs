//! Reading values out of a [`Node`] tree with errors that point at the value.
//!
//! Shared by the loaders. [`Fields`] reads a mapping leniently, as formats written
//! by tools (the AWS CLI, Terraform) need: those grow fields with every release,
//! so a field netpolicy does not know is skipped, while a known field with the
//! wrong type is an error at that field.

use super::LoadError;
use super::document::{Node, Value};
use crate::span::Span;
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

pub(crate) use super::document::type_error;

/// A malformed value.
pub(crate) fn invalid(message: String, span: Span, help: Option<String>) -> LoadError {
    LoadError::Invalid {
        message: crate::diagnostic::shorten_quoted(message),
        span,
        help,
    }
}

/// A string value.
pub(crate) fn string(node: &Node) -> Result<String, LoadError> {
    text(node).map(str::to_string)
}

/// A string value, borrowed.
pub(crate) fn text(node: &Node) -> Result<&str, LoadError> {
    node.as_str().ok_or_else(|| type_error("a string", node))
}

/// An IPv4 address written as a string.
pub(crate) fn ip(node: &Node) -> Result<Ipv4Addr, LoadError> {
    let text = string(node)?;
    text.parse()
        .map_err(|_| invalid(format!("`{text}` is not an IPv4 address"), node.span, None))
}

/// An IPv4 CIDR, in its canonical form (host bits cleared, as AWS stores
/// every block it is given: docs/semantics.md); `Ok(Err(text))` for an IPv6
/// one, which the caller skips with a warning.
pub(crate) fn cidr(node: &Node) -> Result<Result<Ipv4Net, String>, LoadError> {
    let text = string(node)?;
    if text.contains(':') {
        return Ok(Err(text));
    }
    let net: Ipv4Net = text.parse().map_err(|_| {
        invalid(
            format!("`{text}` is not an IPv4 CIDR"),
            node.span,
            Some("write it as address/prefix, e.g. 10.0.0.0/16".into()),
        )
    })?;
    Ok(Ok(net.trunc()))
}

/// An integer, written as a number or a numeric string.
pub(crate) fn integer(node: &Node) -> Result<i64, LoadError> {
    let text = node
        .scalar_text()
        .filter(|_| !matches!(node.value, Value::Bool(_)))
        .ok_or_else(|| type_error("an integer", node))?;
    text.trim()
        .parse()
        .map_err(|_| invalid(format!("`{text}` is not an integer"), node.span, None))
}

/// A boolean, written as `true`/`false` (or those words as strings).
pub(crate) fn boolean(node: &Node) -> Result<bool, LoadError> {
    match &node.value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(type_error("true or false", node)),
    }
}

/// A mapping read leniently: unknown fields are ignored, `null` counts as absent.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a> {
    /// The mapping.
    pub node: &'a Node,
    entries: &'a [(Node, Node)],
    what: &'static str,
}

impl<'a> Fields<'a> {
    /// Reads `node` as a mapping; `what` names it in errors ("a subnet").
    pub fn new(node: &'a Node, what: &'static str) -> Result<Self, LoadError> {
        match &node.value {
            Value::Map(entries) => Ok(Fields {
                node,
                entries,
                what,
            }),
            _ => Err(type_error(&format!("{what} (a mapping)"), node)),
        }
    }

    /// The mapping's span.
    pub fn span(&self) -> Span {
        self.node.span
    }

    /// The value of `key`, unless absent or null.
    pub fn opt(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
            .filter(|v| v.value != Value::Null)
    }

    /// The value of `key`, which must be present.
    pub fn req(&self, key: &str) -> Result<&'a Node, LoadError> {
        self.opt(key).ok_or_else(|| LoadError::MissingField {
            field: key.to_string(),
            object: self.what.to_string(),
            span: self.node.span,
        })
    }

    /// An optional string.
    pub fn str(&self, key: &str) -> Result<Option<String>, LoadError> {
        self.opt(key).map(string).transpose()
    }

    /// A required string.
    pub fn req_str(&self, key: &str) -> Result<String, LoadError> {
        string(self.req(key)?)
    }

    /// An optional string, borrowed from the document.
    pub fn text(&self, key: &str) -> Result<Option<&'a str>, LoadError> {
        self.opt(key).map(text).transpose()
    }

    /// A required string, borrowed from the document.
    pub fn req_text(&self, key: &str) -> Result<&'a str, LoadError> {
        text(self.req(key)?)
    }

    /// An optional boolean.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, LoadError> {
        self.opt(key).map(boolean).transpose()
    }

    /// An optional integer.
    pub fn int(&self, key: &str) -> Result<Option<i64>, LoadError> {
        self.opt(key).map(integer).transpose()
    }

    /// The items of an optional list (absent means empty).
    pub fn list(&self, key: &str) -> Result<&'a [Node], LoadError> {
        match self.opt(key) {
            None => Ok(&[]),
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => Ok(items),
            Some(n) => Err(type_error("a list", n)),
        }
    }

    /// The items of an optional list of mappings.
    pub fn objects(&self, key: &str, what: &'static str) -> Result<Vec<Fields<'a>>, LoadError> {
        self.list(key)?
            .iter()
            .map(|n| Fields::new(n, what))
            .collect()
    }

    /// An optional nested mapping.
    pub fn object(&self, key: &str, what: &'static str) -> Result<Option<Fields<'a>>, LoadError> {
        self.opt(key).map(|n| Fields::new(n, what)).transpose()
    }

    /// An optional list of strings.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, LoadError> {
        self.list(key)?.iter().map(string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::document::parse_json;
    use crate::span::SourceId;

    fn doc(text: &str) -> Node {
        parse_json(text, SourceId(0)).expect("valid JSON")
    }

    #[test]
    fn unknown_fields_are_skipped_and_wrong_types_point_at_the_value() {
        let d = doc(r#"{"VpcId": "vpc-1", "Brand": {"New": 1}, "IsDefault": "yes"}"#);
        let f = Fields::new(&d, "a VPC").expect("a mapping");
        assert_eq!(f.req_str("VpcId").expect("present"), "vpc-1");
        let err = f.bool("IsDefault").expect_err("not a boolean");
        assert_eq!(err.span().map(|s| (s.start, s.end)), Some((53, 58)));
        let missing = f.req("CidrBlock").expect_err("absent");
        assert!(missing.to_string().contains("a VPC has no `CidrBlock`"));
    }

    #[test]
    fn integers_accept_numeric_strings_only() {
        let d = doc(r#"[5, "6", "six", true]"#);
        let Value::Seq(items) = &d.value else {
            unreachable!()
        };
        assert_eq!(integer(&items[0]).ok(), Some(5));
        assert_eq!(integer(&items[1]).ok(), Some(6));
        assert!(integer(&items[2]).is_err());
        assert!(integer(&items[3]).is_err());
    }

    #[test]
    fn cidrs_are_canonical_and_ipv6_is_set_aside() {
        let d = doc(r#"["10.0.1.5/16", "::/0", "10.0.0.0/16", "10.0.0/8"]"#);
        let Value::Seq(items) = &d.value else {
            unreachable!()
        };
        let canonical: Ipv4Net = "10.0.0.0/16".parse().expect("net");
        assert_eq!(cidr(&items[0]).ok(), Some(Ok(canonical)));
        assert!(cidr(&items[3]).is_err());
        assert_eq!(cidr(&items[1]).ok(), Some(Err("::/0".to_string())));
        assert!(matches!(cidr(&items[2]), Ok(Ok(_))));
    }
}
