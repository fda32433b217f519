//! Text to syntax tree, with pest; errors carry the span of the offending text.

use crate::ast::*;
use grammar::{NpParser, Rule};
use netpolicy_core::span::{SourceId, Span};
use pest::Parser;
use pest::iterators::Pair;

mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "grammar.pest"]
    pub(super) struct NpParser;
}

/// A policy that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(np::parse::syntax))]
pub struct ParseError {
    /// What went wrong.
    pub message: String,
    /// Where.
    #[label("here")]
    pub span: Span,
    /// How to fix it.
    #[help]
    pub help: Option<String>,
}

/// Parses a policy file held in `source`.
pub fn parse_policy(text: &str, source: SourceId) -> Result<Policy, ParseError> {
    check_nesting(text, source)?;
    let mut pairs =
        NpParser::parse(Rule::file, text).map_err(|e| syntax_error(&e, text, source))?;
    let mut policy = Policy {
        model: None,
        lets: Vec::new(),
        assertions: Vec::new(),
    };
    let ctx = Ctx {
        source,
        text,
        too_long: std::cell::Cell::new(None),
    };
    let Some(file) = pairs.next() else {
        return Ok(policy);
    };
    for statement in file.into_inner().filter(|p| p.as_rule() == Rule::statement) {
        for inner in statement.into_inner() {
            match inner.as_rule() {
                Rule::model_decl => {
                    let span = ctx.span(&inner);
                    if let Some(s) = inner.into_inner().next() {
                        if policy.model.is_some() {
                            return Err(ParseError {
                                message: "a policy names its model once".into(),
                                span,
                                help: None,
                            });
                        }
                        policy.model = Some((string_value(&s), span));
                    }
                }
                Rule::let_decl => policy.lets.push(ctx.let_decl(inner)?),
                Rule::assertion => policy.assertions.push(ctx.assertion(inner)?),
                _ => {}
            }
            if let Some(span) = ctx.too_long.get() {
                return Err(ParseError {
                    message: format!(
                        "this selector has more than {MAX_TERMS} terms: too long to check"
                    ),
                    span,
                    help: Some("name parts of it with `let`, or select by tag or glob".into()),
                });
            }
        }
    }
    Ok(policy)
}

/// Parses one selector (`sg:web*`, `instance:Db + internet`, a bare name), as
/// the command line and the library take endpoints.
pub fn parse_selector(text: &str, source: SourceId) -> Result<Selector, ParseError> {
    check_nesting(text, source)?;
    let mut pairs = NpParser::parse(Rule::selector_input, text).map_err(|e| {
        let mut error = syntax_error(&e, text, source);
        error.help = Some(
            "a selector is `internet`, `onprem`, a name, `KIND:PATTERN` (sg, subnet, vpc, instance, eni, lb, tag) or `cidr:...`, joined with ` + ` and ` - `".into(),
        );
        error
    })?;
    let ctx = Ctx {
        source,
        text,
        too_long: std::cell::Cell::new(None),
    };
    let selector = pairs
        .next()
        .and_then(|input| input.into_inner().find(|p| p.as_rule() == Rule::selector))
        .map(|p| ctx.selector(p));
    match (selector, ctx.too_long.get()) {
        (_, Some(span)) => Err(ParseError {
            message: format!("this selector has more than {MAX_TERMS} terms: too long to check"),
            span,
            help: None,
        }),
        (Some(s), None) => Ok(s),
        (None, None) => Err(ParseError {
            message: "expected a selector".into(),
            span: Span::new(source, 0, text.len()),
            help: None,
        }),
    }
}

/// Replaces the comments in `text[from..to]` (text between tokens) with
/// spaces, byte for byte, keeping line breaks.
fn blank_comments(text: &mut [u8], from: usize, to: usize) {
    let mut in_comment = false;
    for i in from..to.min(text.len()) {
        let next = text.get(i + 1).copied();
        match text[i] {
            b'\n' | b'\r' => in_comment = false,
            b'#' => in_comment = true,
            b'/' if next == Some(b'/') => in_comment = true,
            _ => {}
        }
        // Every byte of a comment but tabs, multi-byte characters included.
        if in_comment && text[i] >= 0x20 {
            text[i] = b' ';
        }
    }
}

/// Most terms one selector may join with `+` and `-`.
pub const MAX_TERMS: usize = 500;

/// Deepest nesting of parentheses a policy may use.
pub const MAX_NESTING: usize = 64;

/// Rejects parentheses nested deeper than [`MAX_NESTING`] before the parser,
/// which descends once per level, sees them.
fn check_nesting(text: &str, source: SourceId) -> Result<(), ParseError> {
    let (mut depth, mut in_string, mut in_comment) = (0usize, false, false);
    let mut prev = '\0';
    for (at, c) in text.char_indices() {
        match c {
            '\n' | '\r' => {
                in_comment = false;
                in_string = false;
            }
            _ if in_comment => {}
            '"' => in_string = !in_string,
            _ if in_string => {}
            '#' => in_comment = true,
            '/' if prev == '/' => in_comment = true,
            '(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ParseError {
                        message: format!("parentheses nested more than {MAX_NESTING} deep"),
                        span: Span::new(source, at, at + 1),
                        help: Some("name the inner selectors with `let`".into()),
                    });
                }
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        prev = c;
    }
    Ok(())
}

/// The layer an `ignoring` qualifier names (the grammar admits only two).
fn layer_of(text: &str) -> Layer {
    if text.trim_end().ends_with("nacl") {
        Layer::NetworkAcls
    } else {
        Layer::SecurityGroups
    }
}

fn string_value(pair: &Pair<'_, Rule>) -> String {
    pair.clone()
        .into_inner()
        .next()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

fn syntax_error(e: &pest::error::Error<Rule>, text: &str, source: SourceId) -> ParseError {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((a, b)) => (a, b),
    };
    // Point at the token that stopped the parser (or the last character at the end).
    let at = start.min(text.len());
    let token_end = text
        .get(at..)
        .and_then(|rest| rest.find(char::is_whitespace).map(|w| at + w))
        .unwrap_or(text.len())
        .max(end);
    let (start, end) = if at >= text.trim_end().len() {
        let last = text.trim_end().len();
        (last.saturating_sub(1), last)
    } else {
        (at, token_end.max(at + 1))
    };
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(|r| describe(*r))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    if let Some(error) = label_without_colon(text, at, source) {
        return error;
    }
    // An opening quote with no closing one on its line reads better as that.
    let line = text
        .get(at..)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_default();
    if line.starts_with('"') && !line.get(1..).is_some_and(|l| l.contains('"')) {
        return ParseError {
            message: "unterminated string".into(),
            span: Span::new(source, at, at + line.len()),
            help: Some("close it with `\"` on the same line".into()),
        };
    }
    let message = if expected.is_empty() {
        "this does not parse as a policy statement".to_string()
    } else {
        format!("expected {}", expected.join(" or "))
    };
    ParseError {
        message,
        span: Span::new(source, start, end),
        help: Some("statements are `model \"file\"`, `let NAME = SELECTOR`, or an assertion such as `no internet -> sg:db : mysql` (see docs/language.md)".into()),
    }
}

/// `assert "label" no ...`: pest reads `assert` as a name and stumbles later;
/// the statement the error is in says what is missing.
fn label_without_colon(text: &str, at: usize, source: SourceId) -> Option<ParseError> {
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    let indent = line.len() - line.trim_start().len();
    let rest = line.trim_start().strip_prefix("assert")?;
    let quoted = rest.trim_start().strip_prefix('"')?;
    let close = quoted.find('"')?;
    let after = quoted.get(close + 1..)?;
    if after.trim_start().starts_with(':') {
        return None;
    }
    let label_end =
        line_start + indent + "assert".len() + (rest.len() - rest.trim_start().len()) + close + 2;
    Some(ParseError {
        message: "a labelled assertion needs `:` after its label".into(),
        span: Span::new(source, line_start + indent, label_end),
        help: Some("write `assert \"label\": no internet -> sg:db : mysql`".into()),
    })
}

fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::statement | Rule::assertion | Rule::body => "a statement",
        Rule::selector
        | Rule::term
        | Rule::typed
        | Rule::name
        | Rule::internet
        | Rule::onprem
        | Rule::cidr => "a selector",
        Rule::arrow => "`->` or `<->`",
        Rule::service | Rule::service_item | Rule::service_clause => "a service",
        Rule::string => "a quoted string",
        Rule::ident => "a name",
        Rule::qualifier
        | Rule::through
        | Rule::not_through
        | Rule::privately
        | Rule::any_source_port
        | Rule::ignoring => "a qualifier",
        Rule::layer => "`sg` or `nacl`",
        Rule::set_op => "`+` or `-`",
        Rule::selector_input => "a selector",
        Rule::EOI => "the end of the file",
        Rule::pattern => "a name or glob",
        Rule::kind => "a selector kind",
        _ => return None,
    })
}

struct Ctx<'t> {
    source: SourceId,
    text: &'t str,
    /// The first selector found with more than [`MAX_TERMS`] terms.
    too_long: std::cell::Cell<Option<Span>>,
}

impl Ctx<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.source, s.start(), s.end())
    }

    /// A pair's span, ending at its last leaf token: the span of a repetition can
    /// include the whitespace and comments it skipped.
    fn tight_span(&self, pair: &Pair<'_, Rule>) -> Span {
        let start = pair.as_span().start();
        let outer = pair.as_span().end();
        let mut end = pair
            .clone()
            .into_inner()
            .flatten()
            .filter(|p| p.clone().into_inner().next().is_none())
            .map(|p| p.as_span().end())
            .max()
            .unwrap_or(outer);
        // Closing parentheses are literals, not pairs: take those that follow
        // the last leaf (across whitespace) into the statement.
        let bytes = self.text.as_bytes();
        let mut at = end;
        while at < outer {
            match bytes.get(at) {
                Some(b')') => {
                    at += 1;
                    end = at;
                }
                Some(b' ' | b'\t' | b'\n' | b'\r') => at += 1,
                _ => break,
            }
        }
        Span::new(self.source, start, end)
    }

    fn let_decl(&self, pair: Pair<'_, Rule>) -> Result<Let, ParseError> {
        let span = self.tight_span(&pair);
        let mut inner = pair.into_inner();
        let name = inner
            .next()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let selector = match inner.next() {
            Some(p) => self.selector(p),
            None => {
                return Err(ParseError {
                    message: "`let` needs a selector".into(),
                    span,
                    help: None,
                });
            }
        };
        Ok(Let {
            name,
            selector,
            span,
        })
    }

    fn assertion(&self, pair: Pair<'_, Rule>) -> Result<Assertion, ParseError> {
        let span = self.span(&pair);
        let mut label = None;
        let mut kind = None;
        let mut qualifiers = Vec::new();
        let mut body_start = span.start as usize;
        let body_end = self.tight_span(&pair).end as usize;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::label => {
                    label = p.clone().into_inner().next().map(|s| string_value(&s));
                    body_start = p.as_span().end();
                }
                Rule::body => kind = p.into_inner().next().map(|b| self.body(b)),
                Rule::qualifier => {
                    qualifiers.extend(p.into_inner().next().map(|q| self.qualifier(q)))
                }
                _ => {}
            }
        }
        let Some(kind) = kind else {
            return Err(ParseError {
                message: "an assertion needs a body".into(),
                span,
                help: None,
            });
        };
        let text = self
            .text
            .get(body_start..body_end)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let span = Span::new(self.source, span.start as usize, body_end);
        Ok(Assertion {
            label,
            kind,
            qualifiers,
            span,
            text,
        })
    }

    fn service(&self, pair: Pair<'_, Rule>) -> ServiceExpr {
        let pair = if pair.as_rule() == Rule::service_clause {
            pair.clone().into_inner().next().unwrap_or(pair)
        } else {
            pair
        };
        // The span of a repetition can include trailing comments: end at the last item.
        let start = pair.as_span().start();
        let end = pair
            .clone()
            .into_inner()
            .map(|p| p.as_span().end())
            .max()
            .unwrap_or(start);
        // Comments between items are blanked, not removed: offsets into the
        // text stay offsets into the policy, for error spans.
        let mut text: Vec<u8> = self
            .text
            .get(start..end)
            .unwrap_or_default()
            .as_bytes()
            .to_vec();
        let mut at = start;
        for item in pair.into_inner() {
            let (a, b) = (item.as_span().start(), item.as_span().end());
            blank_comments(&mut text, at - start, a - start);
            at = b;
        }
        ServiceExpr {
            text: String::from_utf8(text).unwrap_or_default(),
            span: Span::new(self.source, start, end),
        }
    }

    fn body(&self, pair: Pair<'_, Rule>) -> AssertionKind {
        let rule = pair.as_rule();
        let mut selectors = Vec::new();
        let mut service = None;
        let mut any = false;
        let mut both = false;
        let mut none = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::selector => selectors.push(self.selector(p)),
                Rule::service_clause | Rule::service => service = Some(self.service(p)),
                Rule::any_kw => any = true,
                Rule::none_kw => none = true,
                Rule::arrow => both = p.as_str() == "<->",
                _ => {}
            }
        }
        let mut it = selectors.into_iter();
        let placeholder = Selector::Name {
            name: String::new(),
            span: Span::new(self.source, 0, 0),
        };
        let mut next = || it.next().unwrap_or_else(|| placeholder.clone());
        match rule {
            Rule::no_body => AssertionKind::No {
                from: next(),
                to: next(),
                both,
                service,
            },
            Rule::only_body => AssertionKind::Only {
                from: next(),
                to: next(),
                service,
            },
            Rule::isolated_body => AssertionKind::Isolated {
                a: next(),
                b: next(),
            },
            Rule::same_body => AssertionKind::Same {
                a: next(),
                b: next(),
            },
            Rule::least_body => AssertionKind::LeastPrivilege { targets: next() },
            Rule::exposure_body => AssertionKind::Exposure {
                targets: next(),
                allowed: if none { None } else { service },
            },
            _ => AssertionKind::Reach {
                any,
                from: next(),
                to: next(),
                service,
            },
        }
    }

    fn qualifier(&self, pair: Pair<'_, Rule>) -> Qualifier {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let pair_text = pair.as_str().to_string();
        let target = pair
            .into_inner()
            .next()
            .filter(|t| t.as_rule() == Rule::term)
            .map(|t| self.term(t));
        match (rule, target) {
            (Rule::through, Some(t)) => Qualifier::Through(t),
            (Rule::not_through, Some(t)) => Qualifier::NotThrough(t),
            (Rule::any_source_port, _) => Qualifier::AnySourcePort(span),
            (Rule::ignoring, _) => Qualifier::Ignoring(layer_of(&pair_text), span),
            _ => Qualifier::Privately(span),
        }
    }

    fn selector(&self, pair: Pair<'_, Rule>) -> Selector {
        let mut inner = pair.into_inner();
        let mut acc = match inner.next() {
            Some(t) => self.term(t),
            None => {
                return Selector::Name {
                    name: String::new(),
                    span: Span::new(self.source, 0, 0),
                };
            }
        };
        let mut terms = 1;
        while let (Some(op), Some(t)) = (inner.next(), inner.next()) {
            terms += 1;
            if terms > MAX_TERMS {
                if self.too_long.get().is_none() {
                    self.too_long.set(Some(self.span(&t)));
                }
                break;
            }
            let rhs = self.term(t);
            acc = if op.as_str() == "+" {
                Selector::Union(Box::new(acc), Box::new(rhs))
            } else {
                Selector::Difference(Box::new(acc), Box::new(rhs))
            };
        }
        acc
    }

    fn term(&self, pair: Pair<'_, Rule>) -> Selector {
        let span = self.span(&pair);
        let inner = if pair.as_rule() == Rule::term {
            pair.into_inner().next()
        } else {
            Some(pair)
        };
        let Some(p) = inner else {
            return Selector::Name {
                name: String::new(),
                span,
            };
        };
        let span = self.span(&p);
        match p.as_rule() {
            Rule::selector => self.selector(p),
            Rule::internet => Selector::Internet(span),
            Rule::onprem => Selector::OnPrem(span),
            Rule::typed => {
                let mut it = p.into_inner();
                let kind = it
                    .next()
                    .map(|k| k.as_str().to_string())
                    .unwrap_or_default();
                let pattern = it
                    .next()
                    .map(|k| k.as_str().to_string())
                    .unwrap_or_default();
                Selector::Typed {
                    kind,
                    pattern,
                    span,
                }
            }
            Rule::cidr => Selector::Cidr {
                text: p
                    .into_inner()
                    .next()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
                span,
            },
            _ => Selector::Name {
                name: p.as_str().to_string(),
                span,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Policy {
        parse_policy(text, SourceId(0)).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn design_card_example_parses() {
        let p = parse("only web-sg -> db-sg:3306");
        let AssertionKind::Only { from, to, service } = &p.assertions[0].kind else {
            panic!()
        };
        assert!(matches!(from, Selector::Name { name, .. } if name == "web-sg"));
        assert!(matches!(to, Selector::Name { name, .. } if name == "db-sg"));
        assert_eq!(service.as_ref().map(|s| s.text.as_str()), Some("3306"));
    }

    #[test]
    fn full_file_parses() {
        let p = parse(
            r#"
            # comment
            model "../template.json"
            let web = sg:web* + instance:Web-1   // trailing comment
            assert "db is private": no internet -> subnet:db-* - cidr:10.0.9.0/24 : mysql, tcp/5432
            no vpc:A <-> vpc:B : all through vpc:Hub
            any web -> sg:db : mysql privately not through internet
            isolated vpc:A, (vpc:B + vpc:C)
            same reachability instance:a, instance:b
            exposure vpc:* <= tcp/80, tcp/443 from internet
            exposure subnet:private* <= none from internet
            nobody -> somebody
            "#,
        );
        assert!(p.model.is_some());
        assert_eq!(p.lets.len(), 1);
        assert_eq!(p.assertions.len(), 8);
        assert_eq!(p.assertions[0].label.as_deref(), Some("db is private"));
        assert_eq!(
            p.assertions[0].text,
            "no internet -> subnet:db-* - cidr:10.0.9.0/24 : mysql, tcp/5432"
        );
        assert_eq!(p.assertions[1].qualifiers.len(), 1);
        assert_eq!(p.assertions[2].qualifiers.len(), 2);
        assert!(matches!(
            p.assertions[2].kind,
            AssertionKind::Reach { any: true, .. }
        ));
        assert!(matches!(
            p.assertions[6].kind,
            AssertionKind::Exposure { allowed: None, .. }
        ));
        assert!(matches!(
            p.assertions[7].kind,
            AssertionKind::Reach { any: false, .. }
        ));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse_policy("no internet => sg:db", SourceId(0)).unwrap_err();
        assert_eq!((e.span.start, e.span.end), (12, 14));
        assert!(e.message.contains("`->` or `<->`"), "{}", e.message);
    }
}
