//! A JSON or YAML document as a tree of nodes that keep their byte spans.
//!
//! Every loader reads through this tree, so any value it rejects can be pointed at
//! in the user's file. JSON is parsed by a small exact parser here (byte offsets,
//! duplicate keys rejected); YAML by `saphyr-parser`, whose character positions are
//! turned into byte offsets. YAML tags (`!Ref`, `!GetAtt`, ...) are kept.

use super::LoadError;
use crate::span::{SourceId, Span};
use compact_str::CompactString;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::borrow::Cow;

/// "expected `expected`, found ..." at `node`: the error of a value of the
/// wrong kind, for every reader (here, beside [`Node`], so that the tree
/// and the readers' helpers do not import each other).
pub(crate) fn type_error(expected: &str, node: &Node) -> LoadError {
    LoadError::Type {
        expected: expected.to_string(),
        found: node.kind(),
        span: node.span,
    }
}

/// One value and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Its bytes in the source.
    pub span: Span,
    /// A YAML tag such as `!Ref`, without the handle's `!` doubled.
    pub tag: Option<Tag>,
}

// Nodes are most of a large load's memory and time (allocating, touching,
// freeing): keep them at 48 bytes.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Node>() == 48);

/// A YAML tag's text. One pointer wide, so that untagged nodes (nearly all,
/// and every node of a JSON document) cost 8 bytes for it rather than 16:
/// a large plan is millions of nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag(Box<Box<str>>);

impl std::ops::Deref for Tag {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Tag {
    fn from(text: &str) -> Self {
        Tag(Box::new(text.into()))
    }
}

impl From<String> for Tag {
    fn from(text: String) -> Self {
        Tag(Box::new(text.into_boxed_str()))
    }
}

/// A document value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty YAML value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written. (Boxed: numbers are few beside strings, and a
    /// second inline string would make every value 8 bytes larger.)
    Number(Box<str>),
    /// A string (most are short ids, names and CIDRs, kept inline: a large
    /// plan or template holds millions).
    String(CompactString),
    /// A list. (Boxed slices rather than vectors keep a value, and so a
    /// node, 8 bytes smaller.)
    Seq(Box<[Node]>),
    /// A mapping, in document order (keys are strings; duplicates are rejected).
    Map(Box<[(Node, Node)]>),
}

impl Node {
    /// What the value is, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The entry `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if the node is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar as text (strings, numbers and booleans), for fields that accept
    /// either `80` or `"80"`.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) => Some(s.to_string()),
            Value::Number(s) => Some(s.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// Parses JSON or YAML, choosing by the first non-blank character (`{` or `[`
/// means JSON, which is also how YAML would read it). A document that starts
/// like JSON but is not (flow-style YAML: unquoted keys, single quotes) is read
/// as YAML; when that fails too, the JSON error is the one reported.
pub fn parse(text: &str, source: SourceId) -> Result<Node, LoadError> {
    match text.trim_start().chars().next() {
        Some('{') | Some('[') => {
            parse_json(text, source).or_else(|json| parse_yaml(text, source).map_err(|_| json))
        }
        _ => parse_yaml(text, source),
    }
}

/// Drops a large tree on another thread: freeing millions of nodes is a
/// noticeable share of a load, and nothing needs to wait for it.
pub(crate) fn drop_later(node: Node) {
    const LARGE: u32 = 16 << 20;
    if node.span.end.saturating_sub(node.span.start) >= LARGE {
        // If no thread can be started, the tree is dropped here.
        let _ = std::thread::Builder::new()
            .name("netpolicy-drop".into())
            .spawn(move || drop(node));
    }
}

/// Parses a JSON document.
pub fn parse_json(text: &str, source: SourceId) -> Result<Node, LoadError> {
    parse_json_keeping(text, source, None)
}

/// Parses a JSON document, building only the mapping entries `keep` builds
/// (every one when `None`); the others are checked as JSON and skipped.
pub fn parse_json_keeping(
    text: &str,
    source: SourceId,
    keep: Option<&KeySet<'_>>,
) -> Result<Node, LoadError> {
    let mut p = JsonParser::new(text, source, 0, 0, keep);
    p.skip_ws();
    let parallel = (text.len() >= 4 * SPLIT_BYTES)
        .then(|| p.parallel())
        .flatten();
    let node = match parallel {
        Some(node) => node,
        None => p.value()?,
    };
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(node)
}

/// A JSON document whose top level is a mapping, with the items of each list
/// value located but not yet parsed.
///
/// Large models are mostly a few long lists; reading them item by item (in
/// parallel, each item's tree dropped once read) keeps memory near the size of
/// the model instead of the size of the whole document's tree.
pub struct JsonOutline<'a> {
    text: &'a str,
    source: SourceId,
    /// The top-level keys in document order, with their values.
    pub entries: Vec<(Node, OutlineValue)>,
}

/// A top-level value of a [`JsonOutline`].
pub enum OutlineValue {
    /// A list: where it is, and the byte range of each item.
    Items(
        #[cfg_attr(not(test), expect(dead_code, reason = "where the list is, for tests"))] Span,
        Vec<(usize, usize)>,
    ),
    /// Anything else, parsed.
    Node(Node),
}

/// Outlines a JSON document whose top level is a mapping.
///
/// Items are only delimited here; [`JsonOutline::read_list`] parses (and
/// validates) them. An error from this function may be less precise than
/// [`parse_json`]'s, which callers can run to report it.
pub fn outline_json(text: &str, source: SourceId) -> Result<JsonOutline<'_>, LoadError> {
    let mut p = JsonParser::new(text, source, 0, 1, None);
    p.skip_ws();
    if p.bytes.get(p.pos) != Some(&b'{') {
        return Err(p.error("expected a mapping"));
    }
    p.pos += 1;
    let mut entries: Vec<(Node, OutlineValue)> = Vec::new();
    p.skip_ws();
    if p.bytes.get(p.pos) == Some(&b'}') {
        p.pos += 1;
    } else {
        loop {
            p.skip_ws();
            let key = p.key(entries.iter().map(|(k, _)| k))?;
            p.skip_ws();
            let value = if p.bytes.get(p.pos) == Some(&b'[') {
                let start = p.pos;
                let items = p.item_ranges()?;
                OutlineValue::Items(Span::new(source, start, p.pos), items)
            } else {
                OutlineValue::Node(p.value()?)
            };
            entries.push((key, value));
            p.skip_ws();
            match p.bytes.get(p.pos) {
                Some(b',') => p.pos += 1,
                Some(b'}') => {
                    p.pos += 1;
                    break;
                }
                _ => return Err(p.error("expected `,` or `}`")),
            }
        }
    }
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(JsonOutline {
        text,
        source,
        entries,
    })
}

impl JsonOutline<'_> {
    /// Parses the item at `range` (from [`OutlineValue::Items`]).
    #[cfg(test)]
    pub fn item(&self, range: (usize, usize)) -> Result<Node, LoadError> {
        self.parse_item(range, None, &mut Scratch::default())
    }

    /// Parses the item at `range`, building only the mapping entries whose key
    /// is in `keep`, at any depth. Other values are still checked as JSON, but
    /// skipped: most of an AWS CLI listing is fields netpolicy never reads, and
    /// building them would cost more than the rest of the load.
    #[cfg(test)]
    pub fn item_keeping(
        &self,
        range: (usize, usize),
        keep: &KeySet<'_>,
    ) -> Result<Node, LoadError> {
        self.parse_item(range, Some(keep), &mut Scratch::default())
    }

    /// `read` applied to every item of the top-level list `key`, in parallel,
    /// results in document order; each item is parsed keeping `keep` (every
    /// key when `None`) and dropped once read. An absent or null value has no
    /// items; any other value that is not a list is an error.
    pub fn read_list<R: Send>(
        &self,
        key: &str,
        keep: Option<&KeySet<'_>>,
        read: impl Fn(&Node) -> Result<R, LoadError> + Sync,
    ) -> Result<Vec<Result<R, LoadError>>, LoadError> {
        let value = self
            .entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v);
        Ok(match value {
            None => Vec::new(),
            Some(OutlineValue::Items(_, ranges)) => ranges
                .par_iter()
                .map_init(Scratch::default, |scratch, range| {
                    read(&self.parse_item(*range, keep, scratch)?)
                })
                .collect(),
            Some(OutlineValue::Node(n)) => match &n.value {
                Value::Null => Vec::new(),
                Value::Seq(items) => items.par_iter().map(&read).collect(),
                _ => return Err(type_error("a list", n)),
            },
        })
    }

    /// Parses one item; `scratch` lends the parser its buffers, so that a
    /// thread reading thousands of small items grows them once.
    fn parse_item(
        &self,
        (start, end): (usize, usize),
        keep: Option<&KeySet<'_>>,
        scratch: &mut Scratch,
    ) -> Result<Node, LoadError> {
        let text = self.text.get(..end).unwrap_or_default();
        let mut p = JsonParser::new(text, self.source, start, 1, keep);
        p.items = std::mem::take(&mut scratch.items);
        p.entries = std::mem::take(&mut scratch.entries);
        let node = p.value();
        p.items.clear();
        p.entries.clear();
        scratch.items = std::mem::take(&mut p.items);
        scratch.entries = std::mem::take(&mut p.entries);
        let node = node?;
        p.skip_ws();
        if p.pos != end {
            return Err(p.error("expected `,` or `]`"));
        }
        Ok(node)
    }
}

/// The buffers of a [`JsonParser`], kept between the items one thread parses.
#[derive(Default)]
struct Scratch {
    items: Vec<Node>,
    entries: Vec<(Node, Node)>,
}

/// The mapping keys [`JsonOutline::read_list`] builds.
pub struct KeySet<'k> {
    keys: Vec<&'k str>,
    /// Whether the set names the keys *not* to build.
    except: bool,
}

impl<'k> KeySet<'k> {
    /// The set of `keys`.
    pub fn new(keys: &[&'k str]) -> Self {
        let mut keys = keys.to_vec();
        keys.sort_by(|a, b| KeySet::order(a, b));
        keys.dedup();
        KeySet {
            keys,
            except: false,
        }
    }

    /// Every key but `keys`.
    pub fn except(keys: &[&'k str]) -> Self {
        KeySet {
            except: true,
            ..KeySet::new(keys)
        }
    }

    /// Whether a mapping entry under `key` is built.
    pub fn builds(&self, key: &str) -> bool {
        self.contains(key) != self.except
    }

    /// Whether `key` is in the set. Every key of a large listing is looked up,
    /// so the order compares lengths first and bytes only among equals.
    pub fn contains(&self, key: &str) -> bool {
        self.keys
            .binary_search_by(|k| KeySet::order(k, key))
            .is_ok()
    }

    fn order(a: &str, b: &str) -> std::cmp::Ordering {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }
}

/// Nesting deeper than this is rejected instead of overflowing the stack.
const MAX_DEPTH: usize = 256;

/// The bytes [`JsonParser::skip_nested`] stops at: quotes and brackets.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

struct JsonParser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    source: SourceId,
    depth: usize,
    /// The mapping keys to build; `None` builds every one.
    keep: Option<&'a KeySet<'a>>,
    /// The items of the lists being parsed, innermost last: a list takes its
    /// own once it closes, so each is allocated once, at its length (growing
    /// a list of nodes as it is read copied most of a large tree again).
    items: Vec<Node>,
    /// The entries of the mappings being parsed, likewise.
    entries: Vec<(Node, Node)>,
}

/// A child of a list or mapping, delimited before it is parsed (see
/// [`JsonParser::parallel`]).
struct Part {
    /// The key's bytes, quotes included, in a mapping.
    key: Option<(usize, usize)>,
    /// The value's bytes.
    value: (usize, usize),
    /// Whether the value is built (its key is kept).
    built: bool,
    /// The value's own children, when it is a large list or mapping.
    children: Option<Vec<Part>>,
}

/// A list or mapping at least this long (in bytes) is parsed in parallel.
const SPLIT_BYTES: usize = 1 << 20;
/// Only lists and mappings this close to the top are split (modules nest
/// a plan's resource lists a few levels down).
const SPLIT_DEPTH: usize = 8;
/// The children of a list or mapping whose own children are delimited in
/// the same pass; later ones are skipped first (see [`JsonParser::shape`]).
const EAGER_CHILDREN: usize = 8;

impl<'a> JsonParser<'a> {
    fn new(
        text: &'a str,
        source: SourceId,
        pos: usize,
        depth: usize,
        keep: Option<&'a KeySet<'a>>,
    ) -> Self {
        JsonParser {
            bytes: text.as_bytes(),
            text,
            pos,
            source,
            depth,
            keep,
            items: Vec::new(),
            entries: Vec::new(),
        }
    }

    fn error(&self, message: &str) -> LoadError {
        // At the end of the input, point at the last character rather than past it.
        let len = self.bytes.len();
        let start = if self.pos >= len {
            self.text.trim_end().len().saturating_sub(1)
        } else {
            self.pos
        };
        LoadError::Syntax {
            message: message.to_string(),
            span: Span::new(self.source, start, (start + 1).min(len)),
        }
    }

    /// A mapping key, rejected if it repeats one of `seen`.
    fn key<'n>(&mut self, mut seen: impl Iterator<Item = &'n Node>) -> Result<Node, LoadError> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.error("expected a string key"));
        }
        let key_start = self.pos;
        let key = self.string()?;
        let key_node = self.node(Value::String(key), key_start);
        if let Some(first) = seen.find(|k| k.as_str() == key_node.as_str()) {
            return Err(LoadError::DuplicateKey {
                key: key_node.as_str().unwrap_or_default().to_string(),
                span: key_node.span,
                first: first.span,
            });
        }
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b':') {
            return Err(self.error("expected `:`"));
        }
        self.pos += 1;
        Ok(key_node)
    }

    /// The byte range of each item of the list at `pos`, which is skipped.
    fn item_ranges(&mut self) -> Result<Vec<(usize, usize)>, LoadError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            self.skip_ws();
            let start = self.pos;
            self.skip_value()?;
            items.push((start, self.pos));
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// Moves past one value without building it: brackets are counted outside
    /// strings. Only the extent is found; parsing the range validates it.
    fn skip_value(&mut self) -> Result<(), LoadError> {
        match self.bytes.get(self.pos) {
            Some(b'"') => self.skip_string(),
            Some(b'{' | b'[') => self.skip_nested(),
            _ => {
                while !matches!(
                    self.bytes.get(self.pos),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.pos += 1;
                }
                Ok(())
            }
        }
    }

    fn skip_nested(&mut self) -> Result<(), LoadError> {
        let mut depth = 0usize;
        loop {
            // Jump to the next byte that matters: outlining a long listing is
            // one pass over hundreds of megabytes, on one core.
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            match rest.iter().position(|b| STRUCTURAL[usize::from(*b)]) {
                Some(at) => self.pos += at,
                None => self.pos = self.bytes.len(),
            }
            match self.bytes.get(self.pos) {
                Some(b'"') => self.skip_string()?,
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.pos += 1;
                }
                Some(_) => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                None => return Err(self.error("unexpected end of input")),
            }
        }
    }

    fn skip_string(&mut self) -> Result<(), LoadError> {
        self.pos += 1;
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            match memchr::memchr2(b'"', b'\\', rest).map(|at| (at, rest[at])) {
                Some((at, b'"')) => {
                    self.pos += at + 1;
                    return Ok(());
                }
                Some((at, _)) => self.pos += at + 2,
                None => {
                    self.pos = self.bytes.len();
                    return Err(self.error("unterminated string"));
                }
            }
        }
    }

    /// Parses the value here with its large lists and mappings (a template's
    /// `Resources`, a plan's resource lists: most of the file) a child at a
    /// time, in parallel. The children are found in one pass first
    /// ([`JsonParser::shape`]), so no byte is scanned twice. `None` (position unchanged)
    /// when anything is wrong, so that the sequential parse reports the error
    /// exactly.
    fn parallel(&mut self) -> Option<Node> {
        let start = self.pos;
        let mut outline = self.at(start);
        let mut scratch = Vec::new();
        let (end, children) = outline.shape(0, &mut scratch).ok()?;
        let node = self.shaped((start, end), children.as_deref())?;
        self.pos = end;
        Some(node)
    }

    /// Delimits the children of the list or mapping here (`level` below the
    /// top), and theirs while they are large and near the top. Returns the
    /// end and, when the container is large, its children; `scratch` holds
    /// the children of the containers being delimited.
    fn shape(
        &mut self,
        level: usize,
        scratch: &mut Vec<Part>,
    ) -> Result<(usize, Option<Vec<Part>>), LoadError> {
        let start = self.pos;
        let close = match self.bytes.get(self.pos) {
            Some(b'{') => b'}',
            Some(b'[') => b']',
            _ => return Err(self.error("expected a list or mapping")),
        };
        let mark = scratch.len();
        let mut more = self.open(close);
        while more {
            self.skip_ws();
            let mut key = None;
            let mut built = true;
            if close == b'}' {
                let (span, text) = self.key_and_colon()?;
                built = self.keep.is_none_or(|k| k.builds(&text));
                key = Some(span);
            }
            let value_start = self.pos;
            let nested = matches!(self.bytes.get(self.pos), Some(b'{' | b'['));
            let children = if !(built && nested && level < SPLIT_DEPTH) {
                self.skip_value()?;
                None
            } else if scratch.len() - mark < EAGER_CHILDREN {
                self.shape(level + 1, scratch)?.1
            } else {
                // One of many siblings (a resource among thousands) is
                // small: skipping it is cheaper than delimiting its
                // children, which is done only if it turns out large.
                self.skip_value()?;
                if self.pos - value_start >= SPLIT_BYTES {
                    self.pos = value_start;
                    self.shape(level + 1, scratch)?.1
                } else {
                    None
                }
            };
            scratch.push(Part {
                key,
                value: (value_start, self.pos),
                built,
                children,
            });
            self.skip_ws();
            more = self.next_child(close)?;
        }
        let children = (self.pos - start >= SPLIT_BYTES).then(|| scratch.drain(mark..).collect());
        scratch.truncate(mark);
        Ok((self.pos, children))
    }

    /// Parses the value at `start..end`, a large list or mapping's
    /// `children` in parallel.
    fn shaped(&self, (start, end): (usize, usize), children: Option<&[Part]>) -> Option<Node> {
        let Some(children) = children else {
            let mut p = self.at(start);
            let node = p.value().ok()?;
            return (p.pos == end).then_some(node);
        };
        if self.depth >= MAX_DEPTH {
            return None;
        }
        let parsed: Vec<Option<(Option<Node>, Node)>> = children
            .par_iter()
            .map(|part| self.part(part))
            .collect::<Option<_>>()?;
        let value = if self.bytes.get(start) == Some(&b'[') {
            Value::Seq(parsed.into_iter().flatten().map(|(_, v)| v).collect())
        } else {
            let mut entries = Vec::with_capacity(parsed.len());
            let mut seen = SeenKeys::default();
            for (key, v) in parsed.into_iter().flatten() {
                let key = key?;
                if seen
                    .find(&entries, key.as_str().unwrap_or_default())
                    .is_some()
                {
                    return None;
                }
                entries.push((key, v));
            }
            Value::Map(entries.into())
        };
        Some(Node {
            value,
            span: Span::new(self.source, start, end),
            tag: None,
        })
    }

    /// One child of a shaped container: its key (in a mapping) and value,
    /// or `Some(None)` for a value that is checked but not built.
    fn part(&self, part: &Part) -> Option<Option<(Option<Node>, Node)>> {
        let key = match part.key {
            Some((start, end)) => {
                let text = self.at(start).string_text().ok()?;
                Some(Node {
                    value: Value::String(text.into()),
                    span: Span::new(self.source, start, end),
                    tag: None,
                })
            }
            None => None,
        };
        let (start, end) = part.value;
        let mut p = self.at(start);
        p.depth += 1;
        if !part.built {
            p.check_value().ok()?;
            return (p.pos == end).then_some(None);
        }
        let value = p.shaped(part.value, part.children.as_deref())?;
        Some(Some((key, value)))
    }

    /// A parser like this one, at `pos`.
    fn at(&self, pos: usize) -> JsonParser<'a> {
        JsonParser::new(self.text, self.source, pos, self.depth, self.keep)
    }

    /// Past a `,` (true) or the closing bracket (false).
    fn next_child(&mut self, close: u8) -> Result<bool, LoadError> {
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if *b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.error("expected `,` or a closing bracket")),
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn node(&self, value: Value, start: usize) -> Node {
        Node {
            value,
            span: Span::new(self.source, start, self.pos),
            tag: None,
        }
    }

    fn value(&mut self) -> Result<Node, LoadError> {
        let start = self.pos;
        match self.bytes.get(self.pos) {
            Some(b'{') => self.nested(|p| p.object(start)),
            Some(b'[') => self.nested(|p| p.array(start)),
            Some(b'"') => {
                let s = self.string()?;
                Ok(self.node(Value::String(s), start))
            }
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    fn nested(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Node, LoadError>,
    ) -> Result<Node, LoadError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting is too deep"));
        }
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Node, LoadError> {
        let start = self.pos;
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(self.node(value, start))
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Node, LoadError> {
        let start = self.pos;
        let raw = self.number_text()?;
        Ok(self.node(Value::Number(raw.into()), start))
    }

    fn number_text(&mut self) -> Result<&'a str, LoadError> {
        let start = self.pos;
        while matches!(
            self.bytes.get(self.pos),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.pos += 1;
        }
        let raw = self.text.get(start..self.pos).unwrap_or_default();
        if raw.parse::<f64>().is_err() {
            self.pos = start;
            return Err(self.error("malformed number"));
        }
        Ok(raw)
    }

    fn string(&mut self) -> Result<CompactString, LoadError> {
        self.string_text().map(CompactString::from)
    }

    /// A string, borrowed from the text unless it has escapes.
    fn string_text(&mut self) -> Result<Cow<'a, str>, LoadError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        while matches!(self.bytes.get(self.pos), Some(b) if *b != b'"' && *b != b'\\' && *b >= 0x20)
        {
            self.pos += 1;
        }
        if self.bytes.get(self.pos) == Some(&b'"') {
            self.pos += 1;
            return Ok(Cow::Borrowed(
                self.text.get(start..self.pos - 1).unwrap_or_default(),
            ));
        }
        // Escapes (rare in practice): build the string, starting with the run
        // already scanned.
        let mut out = self
            .text
            .get(start..self.pos)
            .unwrap_or_default()
            .to_string();
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error("control character in string")),
                None => return Err(self.error("unterminated string")),
            }
            let run_start = self.pos;
            while matches!(self.bytes.get(self.pos), Some(b) if *b != b'"' && *b != b'\\' && *b >= 0x20)
            {
                self.pos += 1;
            }
            out.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), LoadError> {
        let c = match self.bytes.get(self.pos) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&hi)
                    && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
                {
                    self.pos += 2;
                    let lo = self.hex4()?;
                    char::from_u32(
                        0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF),
                    )
                } else {
                    char::from_u32(hi)
                };
                out.push(c.unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            _ => return Err(self.error("invalid escape")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, LoadError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        let v = u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(v)
    }

    fn array(&mut self, start: usize) -> Result<Node, LoadError> {
        self.pos += 1;
        let mark = self.items.len();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(self.node(Value::Seq(Vec::new().into()), start));
        }
        loop {
            self.skip_ws();
            let item = self.value()?;
            self.items.push(item);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    let items = self.items.drain(mark..).collect();
                    return Ok(self.node(Value::Seq(items), start));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, start: usize) -> Result<Node, LoadError> {
        self.pos += 1;
        let mark = self.entries.len();
        let mut seen = SeenKeys::default();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(self.node(Value::Map(Vec::new().into()), start));
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_start = self.pos;
            let key = self.string_text()?;
            let key_span = Span::new(self.source, key_start, self.pos);
            let kept = self.keep.is_none_or(|k| k.builds(&key));
            if kept
                && let Some(first) = seen.find(self.entries.get(mark..).unwrap_or_default(), &key)
            {
                return Err(LoadError::DuplicateKey {
                    key: key.into_owned(),
                    span: key_span,
                    first: first.span,
                });
            }
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected `:`"));
            }
            self.pos += 1;
            self.skip_ws();
            if kept {
                let value = self.value()?;
                let key = Node {
                    value: Value::String(key.into()),
                    span: key_span,
                    tag: None,
                };
                self.entries.push((key, value));
            } else {
                self.check_value()?;
            }
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    let entries = self.entries.drain(mark..).collect();
                    return Ok(self.node(Value::Map(entries), start));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// Moves past one value, checking it as [`JsonParser::value`] would but
    /// building nothing.
    fn check_value(&mut self) -> Result<(), LoadError> {
        match self.bytes.get(self.pos) {
            Some(b'{') => self.check_container(b'}'),
            Some(b'[') => self.check_container(b']'),
            Some(b'"') => self.string_text().map(drop),
            Some(b't') => self.literal("true", Value::Null).map(drop),
            Some(b'f') => self.literal("false", Value::Null).map(drop),
            Some(b'n') => self.literal("null", Value::Null).map(drop),
            Some(b'-' | b'0'..=b'9') => self.number_text().map(drop),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    /// Past the opening bracket here: `false`, and past the closing one too,
    /// when the list or mapping is empty.
    fn open(&mut self, close: u8) -> bool {
        self.pos += 1;
        self.skip_ws();
        let empty = self.bytes.get(self.pos) == Some(&close);
        if empty {
            self.pos += 1;
        }
        !empty
    }

    /// A mapping key (its bytes, quotes included, and its text) and the `:`
    /// after it, up to the value.
    fn key_and_colon(&mut self) -> Result<((usize, usize), Cow<'a, str>), LoadError> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.error("expected a string key"));
        }
        let start = self.pos;
        let text = self.string_text()?;
        let end = self.pos;
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b':') {
            return Err(self.error("expected `:`"));
        }
        self.pos += 1;
        self.skip_ws();
        Ok(((start, end), text))
    }

    /// A mapping (`close` is `}`) or list (`]`) checked and skipped.
    fn check_container(&mut self, close: u8) -> Result<(), LoadError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting is too deep"));
        }
        let mut more = self.open(close);
        while more {
            self.skip_ws();
            if close == b'}' {
                self.key_and_colon()?;
            }
            self.check_value()?;
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(c) if *c == close => {
                    self.pos += 1;
                    more = false;
                }
                _ if close == b'}' => return Err(self.error("expected `,` or `}`")),
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
        self.depth -= 1;
        Ok(())
    }
}

/// Parses a YAML document (the first one of the stream).
pub fn parse_yaml(text: &str, source: SourceId) -> Result<Node, LoadError> {
    // A quoted scalar whose continuation lines are indented less than its
    // key is invalid YAML 1.2, yet CloudFormation and YAML 1.1 readers take
    // it: such a scalar is read again as one line (its line breaks become
    // spaces, so every byte offset, and every span, stays where it was).
    const QUIRK: &str = "invalid indentation in quoted scalar";
    let mut text = std::borrow::Cow::Borrowed(text);
    for _ in 0..MAX_REFOLDED_SCALARS {
        match parse_yaml_once(&text, source) {
            Err(LoadError::Syntax { message, span }) if message.contains(QUIRK) => {
                match one_line_scalar(&text, span.start as usize) {
                    Some(fixed) => text = std::borrow::Cow::Owned(fixed),
                    None => return Err(LoadError::Syntax { message, span }),
                }
            }
            other => return other,
        }
    }
    parse_yaml_once(&text, source)
}

/// How many under-indented quoted scalars one document may have read again.
const MAX_REFOLDED_SCALARS: usize = 64;

/// `text` with the line breaks of the quoted scalar starting at byte `start`
/// replaced by spaces; `None` when no quoted scalar starts there.
fn one_line_scalar(text: &str, start: usize) -> Option<String> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(start).filter(|b| **b == b'\'' || **b == b'"')?;
    let mut i = start + 1;
    let mut out = bytes.to_vec();
    let mut changed = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            b if b == quote => break,
            b'\n' | b'\r' => {
                out[i] = b' ';
                changed = true;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes were replaced by ASCII: the text is still UTF-8.
    changed.then(|| String::from_utf8(out).ok()).flatten()
}

fn parse_yaml_once(text: &str, source: SourceId) -> Result<Node, LoadError> {
    let offsets = CharOffsets::new(text);
    let mut builder = YamlBuilder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        expanded: 0,
        root: None,
        source,
        offsets: &offsets,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| LoadError::Syntax {
            message: e.info().to_string(),
            span: {
                let at = offsets.byte(e.marker().index());
                Span::new(source, at, (at + 1).min(text.len()))
            },
        })?;
        let start = offsets.byte(span.start.index());
        let end = offsets.byte(span.end.index());
        builder.event(event, start, end)?;
        if builder.root.is_some() {
            break;
        }
    }
    Ok(builder.root.unwrap_or(Node {
        value: Value::Null,
        span: Span::new(source, 0, 0),
        tag: None,
    }))
}

/// Most values YAML aliases may copy into one document: hardened YAML readers
/// cap alias expansion so that a few hundred bytes of nested aliases cannot
/// demand gigabytes. Real templates seldom use aliases at all.
pub const MAX_ALIAS_VALUES: usize = 100_000;

/// How many values a node holds, itself included.
fn value_count(node: &Node) -> usize {
    let mut count = 0usize;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        match &n.value {
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => stack.extend(entries.iter().flat_map(|(k, v)| [k, v])),
            _ => {}
        }
    }
    count
}

/// Character index to byte offset (saphyr counts characters).
struct CharOffsets {
    table: Option<Vec<usize>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| text.char_indices().map(|(b, _)| b).collect());
        CharOffsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, index: usize) -> usize {
        match &self.table {
            None => index.min(self.len),
            Some(t) => t.get(index).copied().unwrap_or(self.len),
        }
    }
}

enum Open {
    Seq(Vec<Node>, usize, Option<Tag>, usize),
    Map(
        Vec<(Node, Node)>,
        Option<Node>,
        usize,
        Option<Tag>,
        usize,
        SeenKeys,
    ),
}

/// Finds a repeated mapping key: a scan while the mapping is small, an index
/// beyond (a template's `Resources` holds thousands of keys, and a scan per
/// key made reading it quadratic).
#[derive(Default)]
struct SeenKeys {
    index: HashMap<String, usize>,
    indexed: usize,
}

impl SeenKeys {
    const SCAN: usize = 16;

    /// The earlier entry of `entries` with `key`.
    fn find<'e, V>(&mut self, entries: &'e [(Node, V)], key: &str) -> Option<&'e Node> {
        if entries.len() <= Self::SCAN {
            return entries
                .iter()
                .map(|(k, _)| k)
                .find(|k| k.as_str() == Some(key));
        }
        for (i, (k, _)) in entries.iter().enumerate().skip(self.indexed) {
            if let Some(text) = k.as_str() {
                self.index.entry(text.to_string()).or_insert(i);
            }
        }
        self.indexed = entries.len();
        let i = *self.index.get(key)?;
        entries.get(i).map(|(k, _)| k)
    }
}

struct YamlBuilder<'a> {
    stack: Vec<Open>,
    /// Anchored nodes and how many values each holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Values copied by aliases so far (see [`MAX_ALIAS_VALUES`]).
    expanded: usize,
    root: Option<Node>,
    source: SourceId,
    offsets: &'a CharOffsets,
}

fn tag_text(tag: Option<&saphyr_parser::Tag>) -> Option<Tag> {
    let tag = tag?;
    if tag.is_yaml_core_schema() {
        return None;
    }
    Some(format!("{}{}", tag.handle, tag.suffix).into())
}

fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        t if t.parse::<i64>().is_ok()
            || (t.parse::<f64>().is_ok() && t.chars().any(|c| c.is_ascii_digit())) =>
        {
            Value::Number(t.into())
        }
        t => Value::String(t.into()),
    }
}

impl YamlBuilder<'_> {
    fn event(&mut self, event: Event<'_>, start: usize, end: usize) -> Result<(), LoadError> {
        let _ = self.offsets;
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag_text(tag.as_deref());
                let value = if style == ScalarStyle::Plain && tag.is_none() {
                    plain_scalar(&text)
                } else {
                    Value::String(text.into())
                };
                let node = Node {
                    value,
                    span: Span::new(self.source, start, end),
                    tag,
                };
                self.finish(node, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                self.enter(start, end)?;
                self.stack.push(Open::Seq(
                    Vec::new(),
                    start,
                    tag_text(tag.as_deref()),
                    anchor,
                ));
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                self.enter(start, end)?;
                self.stack.push(Open::Map(
                    Vec::new(),
                    None,
                    start,
                    tag_text(tag.as_deref()),
                    anchor,
                    SeenKeys::default(),
                ));
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Open::Seq(items, s, tag, anchor)) => (
                        Node {
                            value: Value::Seq(items.into()),
                            span: Span::new(self.source, s, end),
                            tag,
                        },
                        anchor,
                    ),
                    Some(Open::Map(entries, _, s, tag, anchor, _)) => (
                        Node {
                            value: Value::Map(entries.into()),
                            span: Span::new(self.source, s, end),
                            tag,
                        },
                        anchor,
                    ),
                    None => return Ok(()),
                };
                self.finish(node.0, node.1)
            }
            Event::Alias(id) => {
                let (node, size) =
                    self.anchors
                        .get(&id)
                        .cloned()
                        .ok_or_else(|| LoadError::Syntax {
                            message: "alias to an unknown anchor".into(),
                            span: Span::new(self.source, start, end),
                        })?;
                self.expanded = self.expanded.saturating_add(size);
                if self.expanded > MAX_ALIAS_VALUES {
                    return Err(LoadError::Syntax {
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_VALUES} values: refusing a document that grows this much (a \"billion laughs\" document?)"
                        ),
                        span: Span::new(self.source, start, end),
                    });
                }
                self.finish(node, 0)
            }
            _ => Ok(()),
        }
    }

    /// Opens a collection, refusing nesting deeper than [`MAX_DEPTH`].
    fn enter(&self, start: usize, end: usize) -> Result<(), LoadError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(LoadError::Syntax {
                message: format!("nested more than {MAX_DEPTH} levels deep"),
                span: Span::new(self.source, start, end),
            });
        }
        Ok(())
    }

    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        if anchor > 0 {
            let size = value_count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq(items, ..)) => items.push(node),
            Some(Open::Map(entries, pending, _, _, _, seen)) => match pending.take() {
                None => {
                    let key = match &node.value {
                        Value::String(_) => node,
                        Value::Number(s) => Node {
                            value: Value::String(CompactString::from(&**s)),
                            ..node
                        },
                        Value::Bool(b) => Node {
                            value: Value::String(if *b { "true" } else { "false" }.into()),
                            ..node
                        },
                        _ => {
                            return Err(LoadError::Type {
                                expected: "a string key".into(),
                                found: node.kind(),
                                span: node.span,
                            });
                        }
                    };
                    if let Some(first) = seen.find(entries, key.as_str().unwrap_or_default()) {
                        return Err(LoadError::DuplicateKey {
                            key: key.as_str().unwrap_or_default().to_string(),
                            span: key.span,
                            first: first.span,
                        });
                    }
                    *pending = Some(key);
                }
                Some(key) => entries.push((key, node)),
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: SourceId = SourceId(0);

    fn snippet<'a>(text: &'a str, node: &Node) -> &'a str {
        text.get(node.span.start as usize..node.span.end as usize)
            .unwrap_or("?")
    }

    #[test]
    fn under_indented_quoted_scalars_read_as_one_line() {
        let text = "a:\n  b: 'it''s\nnot indented'\n  c: \"x\n y\\\"\n\"\n  d: 10.0.0.0/8\n";
        let doc = parse_yaml(text, SRC).unwrap();
        let b = doc.get("a").and_then(|a| a.get("b")).unwrap();
        assert_eq!(b.as_str(), Some("it's not indented"));
        let d = doc.get("a").and_then(|a| a.get("d")).unwrap();
        assert_eq!(
            snippet(text, d),
            "10.0.0.0/8",
            "spans stay on the original text"
        );
        // Anything else stays an error.
        assert!(parse_yaml("a: 'never closed\n", SRC).is_err());
    }

    #[test]
    fn json_spans_cover_values() {
        let text = r#"{"a": [1, "x\u00e9"], "b": {"c": null}}"#;
        let doc = parse_json(text, SRC).unwrap();
        let a = doc.get("a").unwrap();
        assert_eq!(snippet(text, a), r#"[1, "x\u00e9"]"#);
        let Value::Seq(items) = &a.value else {
            panic!()
        };
        assert_eq!(items[1].as_str(), Some("xé"));
        assert_eq!(
            snippet(text, doc.get("b").unwrap().get("c").unwrap()),
            "null"
        );
    }

    #[test]
    fn outline_items_parse_like_the_whole_document() {
        let text = r#" {"a": [ {"x": "]}\"", "y": [1, {}]} , 2,"s" ], "b": {"c": null}} "#;
        let outline = outline_json(text, SRC).unwrap();
        let whole = parse_json(text, SRC).unwrap();
        let Value::Seq(expected) = &whole.get("a").unwrap().value else {
            panic!()
        };
        let OutlineValue::Items(span, items) = &outline.entries[0].1 else {
            panic!()
        };
        assert_eq!(*span, whole.get("a").unwrap().span);
        let parsed: Vec<Node> = items.iter().map(|r| outline.item(*r).unwrap()).collect();
        assert_eq!(&parsed[..], &expected[..]);
        let OutlineValue::Node(b) = &outline.entries[1].1 else {
            panic!()
        };
        assert_eq!(b, whole.get("b").unwrap());
    }

    #[test]
    fn outline_rejects_what_the_parser_rejects() {
        for bad in [
            r#"{"a": [1 2]}"#,
            r#"{"a": [{"x": 1,}]}"#,
            r#"{"a": [1], "a": [2]}"#,
            r#"{"a": ["unterminated]}"#,
            r#"{"a": [tru]}"#,
            r#"{"a": []} x"#,
        ] {
            assert!(parse_json(bad, SRC).is_err(), "{bad}");
            let outlined = outline_json(bad, SRC).and_then(|o| {
                o.entries
                    .iter()
                    .filter_map(|(_, v)| match v {
                        OutlineValue::Items(_, items) => Some(items.clone()),
                        OutlineValue::Node(_) => None,
                    })
                    .flatten()
                    .try_for_each(|r| o.item(r).map(drop))
            });
            assert!(outlined.is_err(), "{bad}");
        }
    }

    /// The single item of `{"a": [ITEM]}`, built keeping `keep`.
    fn kept_item(item: &str, keep: &[&str]) -> Result<Node, LoadError> {
        let keep = KeySet::new(keep);
        let text = format!(r#"{{"a": [{item}]}}"#);
        let outline = outline_json(&text, SRC)?;
        let OutlineValue::Items(_, items) = &outline.entries[0].1 else {
            panic!("a list");
        };
        outline.item_keeping(items[0], &keep)
    }

    #[test]
    fn kept_items_build_only_the_kept_keys_with_their_spans() {
        let item = r#"{"Big": {"x": [1, 2.5e3, "s\u00e9", null, true]}, "Id": "i-1", "Nested": {"Id": "n", "Skip": false}}"#;
        let node = kept_item(item, &["Id", "Nested"]).unwrap();
        let text = format!(r#"{{"a": [{item}]}}"#);
        let whole = parse_json(&text, SRC).unwrap();
        let Some(Value::Seq(items)) = whole.get("a").map(|a| &a.value) else {
            panic!("a list");
        };
        let full = &items[0];
        assert!(node.get("Big").is_none());
        assert_eq!(node.get("Id"), full.get("Id"));
        let nested = node.get("Nested").unwrap();
        assert_eq!(
            nested.get("Id"),
            full.get("Nested").and_then(|n| n.get("Id"))
        );
        assert!(nested.get("Skip").is_none());
        assert_eq!(node.span, full.span);
    }

    #[test]
    fn skipped_values_are_still_checked() {
        for bad in [
            r#"{"Skip": [1 2], "Id": 1}"#,
            r#"{"Skip": {"x": 1,}, "Id": 1}"#,
            r#"{"Skip": "bad \q escape", "Id": 1}"#,
            r#"{"Skip": tru, "Id": 1}"#,
            r#"{"Skip": -, "Id": 1}"#,
            r#"{"Skip": {1: 2}, "Id": 1}"#,
        ] {
            assert!(kept_item(bad, &["Id"]).is_err(), "{bad}");
        }
        let deep = format!(r#"{{"Skip": {}{}}}"#, "[".repeat(300), "]".repeat(300));
        assert!(kept_item(&deep, &["Id"]).is_err(), "too deep");
    }

    #[test]
    fn json_errors_point_at_the_problem() {
        for (bad, at) in [
            ("{\"a\": }", 6),
            ("[1, 2", 4),
            ("{\"a\":1,\"a\":2}", 7),
            ("{} x", 3),
        ] {
            let err = parse_json(bad, SRC).unwrap_err();
            assert_eq!(
                err.span().map(|s| s.start as usize),
                Some(at),
                "{bad}: {err}"
            );
        }
        let deep = "[".repeat(10_000);
        assert!(parse_json(&deep, SRC).is_err());
    }

    #[test]
    fn yaml_keeps_tags_types_and_byte_spans() {
        let text = "é: 1\nname: !Ref Thing\nlist:\n  - true\n  - '80'\n  - 10.0.0.0/16\n";
        let doc = parse_yaml(text, SRC).unwrap();
        let name = doc.get("name").unwrap();
        assert_eq!(name.tag.as_deref(), Some("!Ref"));
        // The span covers the tag too, so a diagnostic underlines the whole expression.
        assert_eq!(snippet(text, name), "!Ref Thing");
        let Value::Seq(items) = &doc.get("list").unwrap().value else {
            panic!()
        };
        assert_eq!(items[0].value, Value::Bool(true));
        assert_eq!(items[1].value, Value::String("80".into()));
        assert_eq!(items[2].as_str(), Some("10.0.0.0/16"));
        assert_eq!(snippet(text, &items[2]), "10.0.0.0/16");
    }

    #[test]
    fn yaml_errors_have_spans() {
        let err = parse_yaml("a: [1, 2\nb: 3\n", SRC).unwrap_err();
        assert!(err.span().is_some());
        let err = parse_yaml("a: 1\na: 2\n", SRC).unwrap_err();
        assert!(matches!(err, LoadError::DuplicateKey { .. }));
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    /// A document over the split threshold: a large mapping of small objects
    /// and a large list, nested as templates and plans nest them.
    fn large() -> String {
        let mut resources = Vec::new();
        for i in 0..40_000 {
            resources.push(format!(
                r#""R{i}": {{"Type": "AWS::EC2::Subnet", "Properties": {{"CidrBlock": "10.{}.{}.0/24", "Tags": [{{"Key": "Name", "Value": "s\u00e9{i}"}}]}}}}"#,
                i / 256 % 256,
                i % 256
            ));
        }
        let items: Vec<String> = (0..40_000)
            .map(|i| format!(r#"{{"address": "a.b{i}", "values": [1, -2.5e3, true, null]}}"#))
            .collect();
        format!(
            "{{\"Resources\": {{{}}},\n \"planned\": {{\"root\": {{\"resources\": [{}]}}}}}}",
            resources.join(",\n"),
            items.join(",")
        )
    }

    fn sequential(text: &str) -> Result<Node, LoadError> {
        let mut p = JsonParser::new(text, SourceId(0), 0, 0, None);
        p.value()
    }

    #[test]
    fn a_large_document_parses_the_same_in_parallel() {
        let text = large();
        assert!(text.len() > 4 * SPLIT_BYTES);
        let parallel = parse_json(&text, SourceId(0));
        assert!(parallel.is_ok(), "{parallel:?}");
        assert_eq!(parallel, sequential(&text));
    }

    #[test]
    fn a_large_value_after_many_small_siblings_is_split_too() {
        let small: Vec<String> = (0..2 * EAGER_CHILDREN)
            .map(|i| format!("\"s{i}\": {{\"n\": [{i}]}}"))
            .collect();
        let text = format!("{{{}, \"late\": {}}}", small.join(", "), large());
        let mut outline = JsonParser::new(&text, SourceId(0), 0, 0, None);
        let (_, children) = outline.shape(0, &mut Vec::new()).unwrap();
        let late = children.as_ref().and_then(|c| c.last()).unwrap();
        assert!(late.children.is_some(), "the late large value is delimited");
        assert_eq!(parse_json(&text, SourceId(0)), sequential(&text));
        let repeated = text.replacen("\"R39000\"", "\"R12\"", 1);
        assert!(matches!(
            parse_json(&repeated, SourceId(0)),
            Err(LoadError::DuplicateKey { .. })
        ));
    }

    #[test]
    fn a_skipped_value_is_checked_in_parallel_as_in_sequence() {
        let text = large().replacen(
            "{\"Resources\"",
            "{\"skip\": {\"a\": tru}, \"Resources\"",
            1,
        );
        let keep = KeySet::except(&["skip"]);
        let mut p = JsonParser::new(&text, SourceId(0), 0, 0, Some(&keep));
        let expected = p.value().err();
        assert!(expected.is_some());
        assert_eq!(
            parse_json_keeping(&text, SourceId(0), Some(&keep)).err(),
            expected
        );
    }

    #[test]
    fn damaged_large_documents_parse_as_in_sequence() {
        let text = large();
        let bytes = text.as_bytes();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let keep = KeySet::except(&["values", "Tags"]);
        for _ in 0..6 {
            let mut damaged = bytes.to_vec();
            for _ in 0..3 {
                let at = next(damaged.len());
                damaged[at] = b"{}[],:\"x0 "[next(10)];
            }
            let Ok(damaged) = String::from_utf8(damaged) else {
                continue;
            };
            for keep in [None, Some(&keep)] {
                let mut p = JsonParser::new(&damaged, SourceId(0), 0, 0, keep);
                let expected = p.value().and_then(|node| {
                    p.skip_ws();
                    match p.pos < p.bytes.len() {
                        true => Err(p.error("unexpected text after the JSON value")),
                        false => Ok(node),
                    }
                });
                assert_eq!(parse_json_keeping(&damaged, SourceId(0), keep), expected);
            }
        }
    }

    #[test]
    fn errors_in_a_large_document_are_those_of_the_sequential_parse() {
        let text = large();
        let broken = text.replacen("\"R39000\": {", "\"R39000\": {,", 1);
        assert_eq!(
            parse_json(&broken, SourceId(0)).err(),
            sequential(&broken).err()
        );
        let repeated = text.replacen("\"R39000\"", "\"R12\"", 1);
        let err = parse_json(&repeated, SourceId(0));
        assert!(
            matches!(err, Err(LoadError::DuplicateKey { .. })),
            "{err:?}"
        );
    }
}
