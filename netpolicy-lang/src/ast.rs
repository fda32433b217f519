//! The syntax tree of a policy file. Every node keeps its span; names are
//! resolved later, against a model ([`crate::resolve`]).

use netpolicy_core::span::Span;

/// A parsed policy file.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The model the policy names (`model "path"`), relative to the policy file.
    pub model: Option<(String, Span)>,
    /// `let` bindings, in order.
    pub lets: Vec<Let>,
    /// The assertions, in order.
    pub assertions: Vec<Assertion>,
}

/// `let name = selector`.
#[derive(Clone, Debug)]
pub struct Let {
    /// The bound name.
    pub name: String,
    /// What it stands for.
    pub selector: Selector,
    /// The whole statement.
    pub span: Span,
}

/// One assertion with its qualifiers.
#[derive(Clone, Debug)]
pub struct Assertion {
    /// `assert "label":`, when given.
    pub label: Option<String>,
    /// What is asserted.
    pub kind: AssertionKind,
    /// Path qualifiers.
    pub qualifiers: Vec<Qualifier>,
    /// The whole assertion.
    pub span: Span,
    /// The assertion's text as written (without its label).
    pub text: String,
}

/// The kinds of assertion (docs/language.md gives their exact meaning).
#[derive(Clone, Debug)]
pub enum AssertionKind {
    /// `A -> B : svc`, or `any A -> B : svc`.
    Reach {
        /// Whether one pair suffices.
        any: bool,
        /// Sources.
        from: Selector,
        /// Destinations.
        to: Selector,
        /// The service (all when absent).
        service: Option<ServiceExpr>,
    },
    /// `no A -> B : svc` (`<->`: both directions).
    No {
        /// Sources.
        from: Selector,
        /// Destinations.
        to: Selector,
        /// Both directions.
        both: bool,
        /// The service.
        service: Option<ServiceExpr>,
    },
    /// `only A -> B : svc`.
    Only {
        /// The allowed sources.
        from: Selector,
        /// Destinations.
        to: Selector,
        /// The service.
        service: Option<ServiceExpr>,
    },
    /// `isolated A, B`.
    Isolated {
        /// One side.
        a: Selector,
        /// The other side.
        b: Selector,
    },
    /// `same reachability A, B`.
    Same {
        /// One side.
        a: Selector,
        /// The other side.
        b: Selector,
    },
    /// `least privilege A`: the CIDR rules of A's security groups are no broader
    /// than the interfaces they let through.
    LeastPrivilege {
        /// The interfaces whose groups are checked.
        targets: Selector,
    },
    /// `exposure A <= svc from internet` (`none` for nothing).
    Exposure {
        /// The exposed endpoints.
        targets: Selector,
        /// What they may expose; `None` means nothing.
        allowed: Option<ServiceExpr>,
    },
}

/// A service expression as written.
#[derive(Clone, Debug)]
pub struct ServiceExpr {
    /// The text, e.g. `tcp/3306, ssh`.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A set of endpoints.
#[derive(Clone, Debug)]
pub enum Selector {
    /// `internet`.
    Internet(Span),
    /// `onprem`.
    OnPrem(Span),
    /// `sg:web*`, `vpc:WebApp`, `tag:Env=prod`, ...
    Typed {
        /// `sg`, `subnet`, `vpc`, `instance`, `eni`, `lb` or `tag`.
        kind: String,
        /// Name, id or glob (`tag`: `Key=Value`).
        pattern: String,
        /// Where.
        span: Span,
    },
    /// `cidr:10.0.0.0/16`.
    Cidr {
        /// The prefix as written.
        text: String,
        /// Where.
        span: Span,
    },
    /// A bare name: a `let` binding, else any object with that name or id.
    Name {
        /// The name.
        name: String,
        /// Where.
        span: Span,
    },
    /// `A + B`.
    Union(Box<Selector>, Box<Selector>),
    /// `A - B`.
    Difference(Box<Selector>, Box<Selector>),
}

impl Selector {
    /// Where the selector is written.
    pub fn span(&self) -> Span {
        match self {
            Selector::Internet(s) | Selector::OnPrem(s) => *s,
            Selector::Typed { span, .. }
            | Selector::Cidr { span, .. }
            | Selector::Name { span, .. } => *span,
            Selector::Union(a, b) | Selector::Difference(a, b) => Span {
                end: b.span().end,
                ..a.span()
            },
        }
    }
}

/// A path qualifier.
#[derive(Clone, Debug)]
pub enum Qualifier {
    /// `privately`: not over the internet.
    Privately(Span),
    /// `through X`.
    Through(Selector),
    /// `not through X`.
    NotThrough(Selector),
    /// `with any source port`: TCP and UDP clients may pick any source port,
    /// not only an ephemeral one (an attacker's `nmap -g 80`).
    AnySourcePort(Span),
    /// `ignoring sg` / `ignoring nacl`: judge the network with that filtering
    /// layer opened up (defense in depth: the other layers alone must hold).
    Ignoring(Layer, Span),
}

/// A filtering layer an assertion may leave out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// Security groups (`sg`).
    SecurityGroups,
    /// Network ACLs (`nacl`).
    NetworkAcls,
}
