//! The abstract syntax tree of rlq: what the parser builds and the
//! interpreter walks.
//!
//! Surface sugar is removed by the parser, so the interpreter sees one form
//! per idea: `x | f(a)` is a [`ExprKind::Call`] with `x` as the first
//! argument (and `piped` set, for messages); `(a, b)` is a list literal;
//! `x is None` is `x == null`. Every node carries a [`Span`].

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::shared_str::SharedStr;
use super::span::Span;

/// A variable, field or function name.
pub type Name = Arc<str>;

/// Where a name was last found when it was read or bound: a hint that
/// turns the next lookup into an index instead of a hash. The variables
/// check it before use (the same program may run against other variables,
/// on several threads), so a stale hint only costs the hash.
#[derive(Debug)]
pub struct SlotHint(AtomicU32);

impl SlotHint {
    /// No hint yet.
    pub const NONE: u32 = u32::MAX;

    /// The hint ([`SlotHint::NONE`] if none).
    #[inline]
    pub fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// Remembers where the name was found. A hint that already says so
    /// is not written again: the threads of a `map` run the same program,
    /// and a store, even of the same value, would take its cache line from
    /// the others at every call.
    #[inline]
    pub fn set(&self, slot: u32) {
        if self.get() != slot {
            self.0.store(slot, Ordering::Relaxed);
        }
    }
}

impl Default for SlotHint {
    fn default() -> SlotHint {
        SlotHint(AtomicU32::new(SlotHint::NONE))
    }
}

impl Clone for SlotHint {
    fn clone(&self) -> SlotHint {
        SlotHint(AtomicU32::new(self.get()))
    }
}

/// A whole program: its statements in order.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// Top-level statements.
    pub stmts: Vec<Stmt>,
}

/// A sequence of statements inside `{ ... }`.
pub type Block = Vec<Stmt>;

/// A statement with its span.
#[derive(Debug, Clone)]
pub struct Stmt {
    /// What the statement is.
    pub kind: StmtKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of statement.
#[derive(Debug, Clone)]
pub enum StmtKind {
    /// `let x = e`, `x = e`, `let [a, b] = e`, `let a, b = e`.
    Let {
        /// What is bound.
        target: Pattern,
        /// The value.
        value: Expr,
    },
    /// `xs[i] = e`, `r.k = e`, `r[k][j] = e`: an update of part of a variable.
    SetPlace {
        /// The part updated.
        place: Place,
        /// The new value.
        value: Expr,
    },
    /// `x += e`, `xs[i] -= e`, `r.n *= e`.
    AugAssign {
        /// The variable or part of one.
        place: Place,
        /// `Add`, `Sub`, `Mul`, `Div`, `FloorDiv` or `Mod`.
        op: BinOp,
        /// The right-hand side.
        value: Expr,
    },
    /// A bare expression; its value is shown unless it is `null` or the
    /// statement is a call of `print` (notebook style).
    Expr(Expr),
    /// `if c { } elif d { } else { }`.
    If {
        /// Each condition with its block, in order.
        branches: Vec<(Expr, Block)>,
        /// The `else` block, if any.
        otherwise: Option<Block>,
    },
    /// `for x in xs { }`, `for i, x in enumerate(xs) { }`.
    For {
        /// The loop variable(s).
        target: Pattern,
        /// What is iterated.
        iter: Expr,
        /// The body.
        body: Block,
    },
    /// `while c { }`.
    While {
        /// The condition.
        cond: Expr,
        /// The body.
        body: Block,
    },
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `return` or `return e`.
    Return(Option<Expr>),
    /// `def name(a, b=1) { ... }`.
    Def(Arc<FnDef>),
    /// A statement the parser could not read; its error was recorded.
    Error,
}

/// A binding target: a name, or a list of targets to destructure into.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// `x` (with where it was last bound).
    Name(Name, Span, SlotHint),
    /// `[a, b]`, `a, b` or `(a, b)`.
    List(Vec<Pattern>, Span),
}

impl Pattern {
    /// Where the pattern is.
    pub fn span(&self) -> Span {
        match self {
            Pattern::Name(_, s, _) | Pattern::List(_, s) => *s,
        }
    }
}

/// A variable and a path into it, as the left side of an update.
#[derive(Debug, Clone)]
pub struct Place {
    /// The variable.
    pub root: Name,
    /// Where the variable name is.
    pub root_span: Span,
    /// Where the variable was last found.
    pub root_hint: SlotHint,
    /// Index and field steps, outermost first (`r[k].f` is `[Index(k), Field(f)]`).
    pub path: Vec<PlaceStep>,
}

/// One step of a [`Place`].
#[derive(Debug, Clone)]
pub enum PlaceStep {
    /// `[e]`.
    Index(Expr),
    /// `.name`.
    Field(Name, Span),
}

/// A user-defined function.
#[derive(Debug)]
pub struct FnDef {
    /// Its name.
    pub name: Name,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// Its body.
    pub body: Block,
    /// The span of the whole `def`.
    pub span: Span,
}

/// A parameter of a `def`.
#[derive(Debug, Clone)]
pub struct Param {
    /// The name.
    pub name: Name,
    /// The default value, evaluated at each call that omits the argument.
    pub default: Option<Expr>,
    /// Where the parameter is.
    pub span: Span,
}

/// A lambda: `x => e`, `(a, b) => e`.
#[derive(Debug)]
pub struct Lambda {
    /// The parameters (a parameter may destructure).
    pub params: Vec<Pattern>,
    /// The body.
    pub body: Expr,
    /// The span of the whole lambda.
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// A call argument: positional, or `name=value`.
#[derive(Debug, Clone)]
pub struct Arg {
    /// The keyword, for `name=value`.
    pub name: Option<Name>,
    /// The value.
    pub value: Expr,
}

/// A key in a record literal.
#[derive(Debug, Clone)]
pub enum RecordKey {
    /// `name: v` or `"any key": v` (always a string key).
    Fixed(SharedStr),
    /// `[k]: v`, a computed key.
    Computed(Expr),
}

/// A piece of an f-string.
#[derive(Debug, Clone)]
pub enum FStringPart {
    /// Literal text (escapes and `{{`/`}}` already resolved).
    Text(Arc<str>),
    /// `{expr}` or `{expr:spec}`.
    Expr {
        /// The expression.
        expr: Expr,
        /// A format spec after `:`, such as `.2f`, `>8`, `,`.
        spec: Option<Arc<str>>,
    },
}

/// One `for ... in ...` or `if ...` clause of a comprehension.
#[derive(Debug, Clone)]
pub enum CompClause {
    /// `for target in iter`.
    For {
        /// The loop variable(s).
        target: Pattern,
        /// What is iterated.
        iter: Expr,
    },
    /// `if cond`.
    If(Expr),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`.
    Neg,
    /// `not x`.
    Not,
}

/// Binary operators that evaluate both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (always a float).
    Div,
    /// `//` (floor division).
    FloorDiv,
    /// `%`.
    Mod,
    /// `**`.
    Pow,
}

/// Comparison operators (they chain: `a < b < c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==` (and `is`).
    Eq,
    /// `!=` (and `is not`).
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `in`.
    In,
    /// `not in`.
    NotIn,
}

/// The kinds of expression.
#[derive(Debug, Clone)]
pub enum ExprKind {
    /// `null` / `None`.
    Null,
    /// `true` / `false` / `True` / `False`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A string literal (escapes resolved), interned for the process when
    /// short (see [`SharedStr`]), so that evaluating it counts no reference.
    Str(SharedStr),
    /// `re"..."`: the regex source.
    Regex(Arc<str>),
    /// `f"..."`.
    FString(Vec<FStringPart>),
    /// A name.
    Var(Name, SlotHint),
    /// `[a, b]` or `(a, b)`.
    List(Vec<Expr>),
    /// `{k: v, ...}`.
    Record(Vec<(RecordKey, Expr)>),
    /// `[elem for x in xs if c]`.
    ListComp {
        /// The element.
        elem: Box<Expr>,
        /// The clauses, the first being a `For`.
        clauses: Vec<CompClause>,
    },
    /// `{k: v for k, v in items(r)}`.
    RecordComp {
        /// The key.
        key: Box<Expr>,
        /// The value.
        value: Box<Expr>,
        /// The clauses, the first being a `For`.
        clauses: Vec<CompClause>,
    },
    /// `-x`, `not x`.
    Unary(UnOp, Box<Expr>),
    /// `a + b` and the other arithmetic operators.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a and b` (short-circuit).
    And(Box<Expr>, Box<Expr>),
    /// `a or b` (short-circuit).
    Or(Box<Expr>, Box<Expr>),
    /// `a ?? b`: `b` where `a` is null or an error.
    Coalesce(Box<Expr>, Box<Expr>),
    /// `a < b`, `a in b`, chained: `a < b <= c`.
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    /// `a if c else b`.
    Cond {
        /// The condition.
        cond: Box<Expr>,
        /// The value when true.
        then: Box<Expr>,
        /// The value when false.
        otherwise: Box<Expr>,
    },
    /// `f(a, k=v)`, and `x | f(a)` (with `x` as first argument).
    Call {
        /// What is called.
        callee: Box<Expr>,
        /// The arguments.
        args: Vec<Arg>,
        /// True when written with `|`.
        piped: bool,
    },
    /// `x.f(a)`: the field `f` of `x` if `x` is a record that has it,
    /// otherwise the function `f` called as `f(x, a)`.
    Method {
        /// The receiver.
        recv: Box<Expr>,
        /// The method name.
        name: Name,
        /// Where the method name is.
        name_span: Span,
        /// The arguments after the receiver.
        args: Vec<Arg>,
        /// Where the function `name` was found last (see [`SlotHint`]).
        hint: SlotHint,
    },
    /// `x.name`.
    Field(Box<Expr>, Name),
    /// `x[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `x[a:b:c]` (each part optional).
    Slice {
        /// The sliced value.
        expr: Box<Expr>,
        /// Start.
        start: Option<Box<Expr>>,
        /// Stop.
        stop: Option<Box<Expr>>,
        /// Step.
        step: Option<Box<Expr>>,
    },
    /// `x => e`.
    Lambda(Arc<Lambda>),
    /// An expression the parser could not read; its error was recorded.
    Error,
}
