//! The state the grammar's actions share, and the helpers that build AST
//! nodes from what the grammar matched.
//!
//! The grammar stays declarative; the decisions that need a look at a whole
//! sub-tree live here: turning a parsed expression into lambda parameters,
//! a binding pattern or an updatable place; desugaring `x | f(a)`; telling
//! `x.f(a)` (a method call) from `(x.f)(a)`; checking record keys. Problems
//! found here are recorded as diagnostics and the node still gets built, so
//! parsing goes on and reports everything in one pass.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;

use lalrpop_util::{ErrorRecovery, ParseError};

use super::ast::{
    Arg, BinOp, CmpOp, CompClause, Expr, ExprKind, FStringPart, FnDef, Lambda, Name, Param,
    Pattern, Place, PlaceStep, RecordKey, SlotHint, StmtKind, UnOp,
};
use super::fstring;
use super::literal;
use super::shared_str::{self, SharedStr};
use super::span::{FileId, Span};
use super::token::Token;
use crate::diag::Diagnostic;

/// A parse error as lalrpop reports it.
pub type GrammarError<'src> = ParseError<usize, Token<'src>, Infallible>;

/// One string piece of a run of adjacent string literals: start, token
/// text, end.
pub type StrPiece<'src> = (usize, &'src str, usize);

/// What the grammar's actions read and write while parsing one piece of
/// source.
#[derive(Debug)]
pub struct Builder<'src> {
    /// The whole text of the file.
    pub src: &'src str,
    /// Its id, for spans.
    pub file: FileId,
    /// Problems found by actions (bad escapes, bad targets, ...).
    pub diags: Vec<Diagnostic>,
    /// Parse errors the grammar recovered from.
    pub errors: Vec<GrammarError<'src>>,
    /// Where the block `{`s are that error recovery skipped.
    pub dropped_opens: Vec<usize>,
    /// `()` written where no lambda parameters follow (yet).
    units: HashSet<Span>,
    /// Each name of the file, shared by all its uses, so the variables
    /// recognise a name by its address before comparing its text.
    names: HashMap<&'src str, Name>,
}

impl<'src> Builder<'src> {
    /// A builder for source in `src`, file `file`.
    pub fn new(src: &'src str, file: FileId) -> Builder<'src> {
        Builder {
            src,
            file,
            diags: Vec::new(),
            errors: Vec::new(),
            dropped_opens: Vec::new(),
            units: HashSet::new(),
            names: HashMap::new(),
        }
    }

    /// The shared [`Name`] for the identifier `n`.
    pub fn name(&mut self, n: &'src str) -> Name {
        self.names
            .entry(n)
            .or_insert_with(|| shared_str::intern_name(n))
            .clone()
    }

    /// The span `l..r` in this file.
    pub fn span(&self, l: usize, r: usize) -> Span {
        Span::new(self.file, l, r)
    }

    /// An expression node over `l..r`.
    pub fn expr(&self, kind: ExprKind, l: usize, r: usize) -> Expr {
        Expr {
            kind,
            span: self.span(l, r),
        }
    }

    /// Records an error the grammar recovered from.
    pub fn recover(&mut self, e: ErrorRecovery<usize, Token<'src>, Infallible>) {
        self.dropped_opens.extend(
            e.dropped_tokens
                .iter()
                .filter(|t| t.1 == Token::BlockOpen)
                .map(|t| t.0),
        );
        self.errors.push(e.error);
    }

    /// Ends the parse: reports any `()` that did not become lambda
    /// parameters, and returns all diagnostics of the actions.
    pub fn finish(&mut self) -> Vec<Diagnostic> {
        let mut units: Vec<Span> = self.units.drain().collect();
        units.sort_by_key(|s| s.start);
        for span in units {
            self.diags.push(
                Diagnostic::syntax(span, "`()` is not a value")
                    .hint("use [] for an empty list; `() => e` is a lambda without parameters"),
            );
        }
        std::mem::take(&mut self.diags)
    }

    fn error(&mut self, span: Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::syntax(span, msg).hint(hint));
    }

    /// An integer literal.
    pub fn int(&mut self, text: &str, l: usize, r: usize) -> Expr {
        let n = literal::int(text, self.span(l, r), &mut self.diags);
        self.expr(ExprKind::Int(n), l, r)
    }

    /// A run of adjacent string literals (`"a" "b"`, `"a" f"{x}"`), joined.
    pub fn strings(&mut self, pieces: Vec<StrPiece<'src>>, l: usize, r: usize) -> Expr {
        let mut parts: Vec<FStringPart> = Vec::new();
        let mut formatted = false;
        for (start, text, _) in pieces {
            let tok = literal::split(text);
            let at = start + tok.body_offset;
            if tok.prefix == "f" {
                formatted = true;
                parts.extend(fstring::parse(
                    self.src,
                    self.file,
                    tok,
                    at,
                    &mut self.diags,
                ));
            } else if tok.prefix == "r" {
                parts.push(FStringPart::Text(tok.body.into()));
            } else {
                let s = literal::unescape(tok.body, self.file, at, &mut self.diags);
                parts.push(FStringPart::Text(s.into()));
            }
        }
        let mut merged: Vec<FStringPart> = Vec::new();
        for part in parts {
            match (merged.last_mut(), part) {
                (Some(FStringPart::Text(a)), FStringPart::Text(b)) => {
                    *a = format!("{a}{b}").into();
                }
                (_, part) => merged.push(part),
            }
        }
        let kind = match merged.as_slice() {
            _ if formatted => ExprKind::FString(merged),
            [] => ExprKind::Str(SharedStr::intern("")),
            [FStringPart::Text(s)] => ExprKind::Str(SharedStr::intern(s)),
            _ => ExprKind::FString(merged),
        };
        self.expr(kind, l, r)
    }

    /// A regex literal: its source, as written.
    pub fn regex(&mut self, text: &str, l: usize, r: usize) -> Expr {
        let tok = literal::split(text);
        self.expr(ExprKind::Regex(tok.body.into()), l, r)
    }

    /// `()`: valid only as the parameters of a lambda.
    pub fn unit(&mut self, l: usize, r: usize) -> Expr {
        let e = self.expr(ExprKind::List(Vec::new()), l, r);
        self.units.insert(e.span);
        e
    }

    /// True when the list expression was written in parentheses.
    fn parenthesised(&self, e: &Expr) -> bool {
        self.src.as_bytes().get(e.span.start as usize) == Some(&b'(')
    }

    /// `params => body`, with the parameters parsed as an expression.
    pub fn lambda(&mut self, params: Expr, body: Expr, l: usize, r: usize) -> Expr {
        let span = params.span;
        let params = match params.kind {
            ExprKind::Var(name, hint) => vec![Pattern::Name(name, span, hint)],
            ExprKind::List(items)
                if self.src.as_bytes().get(span.start as usize) == Some(&b'(') =>
            {
                self.units.remove(&span);
                items.into_iter().map(|p| self.lambda_param(p)).collect()
            }
            ExprKind::List(_) => vec![self.pattern(params, "a lambda parameter")],
            _ => {
                self.error(
                    span,
                    "lambda parameters must be names",
                    "write `x => ...`, `(a, b) => ...` or `() => ...`",
                );
                Vec::new()
            }
        };
        let lambda = Lambda {
            params,
            body,
            span: self.span(l, r),
        };
        self.expr(ExprKind::Lambda(Arc::new(lambda)), l, r)
    }

    fn lambda_param(&mut self, p: Expr) -> Pattern {
        if matches!(p.kind, ExprKind::Var(..) | ExprKind::List(_)) {
            self.pattern(p, "a lambda parameter")
        } else {
            self.error(
                p.span,
                "lambda parameters must be names",
                "write `(a, b) => ...`; a parameter may unpack a pair: `([a, b], c) => ...`",
            );
            Pattern::List(Vec::new(), p.span)
        }
    }

    /// A binding target from an expression: a name or a list of targets.
    pub fn pattern(&mut self, e: Expr, role: &str) -> Pattern {
        match e.kind {
            ExprKind::Var(name, hint) => Pattern::Name(name, e.span, hint),
            ExprKind::List(items) => {
                self.units.remove(&e.span);
                Pattern::List(
                    items.into_iter().map(|p| self.pattern(p, role)).collect(),
                    e.span,
                )
            }
            _ => {
                let what = describe(&e.kind);
                self.error(
                    e.span,
                    format!("{what} cannot be {role}"),
                    "only names and lists of names can be bound: `x`, `[a, b]`, `a, b`",
                );
                Pattern::List(Vec::new(), e.span)
            }
        }
    }

    /// `x | f`: `f(x)`; `x | f(a)`: `f(x, a)`; `x | s.m(a)`: `s.m(x, a)`.
    pub fn pipe(&mut self, x: Expr, f: Expr, l: usize, r: usize) -> Expr {
        let first = Arg {
            name: None,
            value: x,
        };
        let kind = match f.kind {
            ExprKind::Call {
                callee, mut args, ..
            } => {
                args.insert(0, first);
                ExprKind::Call {
                    callee,
                    args,
                    piped: true,
                }
            }
            ExprKind::Method {
                recv,
                name,
                name_span,
                mut args,
                hint,
            } => {
                args.insert(0, first);
                ExprKind::Method {
                    recv,
                    name,
                    name_span,
                    args,
                    hint,
                }
            }
            kind => ExprKind::Call {
                callee: Box::new(Expr { kind, span: f.span }),
                args: vec![first],
                piped: true,
            },
        };
        self.expr(kind, l, r)
    }

    /// `f(args)`, or `x.f(args)` as a method call.
    pub fn call(&mut self, callee: Expr, args: Vec<Arg>, l: usize, r: usize) -> Expr {
        self.check_args(&args);
        let kind = match callee.kind {
            ExprKind::Field(recv, name) => {
                let end = callee.span.end as usize;
                let name_span = self.span(end - name.len(), end);
                ExprKind::Method {
                    recv,
                    name,
                    name_span,
                    args,
                    hint: SlotHint::default(),
                }
            }
            kind => ExprKind::Call {
                callee: Box::new(Expr {
                    kind,
                    span: callee.span,
                }),
                args,
                piped: false,
            },
        };
        self.expr(kind, l, r)
    }

    fn check_args(&mut self, args: &[Arg]) {
        let mut seen_keyword = false;
        let mut names: HashSet<&str> = HashSet::new();
        let mut problems = Vec::new();
        for arg in args {
            match &arg.name {
                Some(n) => {
                    seen_keyword = true;
                    if !names.insert(n) {
                        problems.push((
                            arg.value.span,
                            format!("keyword argument `{n}` given twice"),
                            "give each keyword once".to_string(),
                        ));
                    }
                }
                None if seen_keyword => problems.push((
                    arg.value.span,
                    "a positional argument after a keyword argument".to_string(),
                    "put positional arguments first: `f(x, y, key=v)`".to_string(),
                )),
                None => {}
            }
        }
        for (span, msg, hint) in problems {
            self.error(span, msg, hint);
        }
    }

    /// `x.name`.
    pub fn field(&mut self, x: Expr, name: &'src str, l: usize, r: usize) -> Expr {
        let name = self.name(name);
        self.expr(ExprKind::Field(Box::new(x), name), l, r)
    }

    /// `-x`; a number literal becomes a negative literal.
    pub fn negate(&mut self, x: Expr, l: usize, r: usize) -> Expr {
        let kind = match x.kind {
            ExprKind::Int(n) => ExprKind::Int(n.wrapping_neg()),
            ExprKind::Float(f) => ExprKind::Float(-f),
            kind => ExprKind::Unary(UnOp::Neg, Box::new(Expr { kind, span: x.span })),
        };
        self.expr(kind, l, r)
    }

    /// A binary arithmetic operation.
    pub fn binary(&mut self, op: BinOp, a: Expr, b: Expr, l: usize, r: usize) -> Expr {
        self.expr(ExprKind::Binary(op, Box::new(a), Box::new(b)), l, r)
    }

    /// A chain of comparisons.
    pub fn compare(&mut self, first: Expr, rest: Vec<(CmpOp, Expr)>, l: usize, r: usize) -> Expr {
        self.expr(ExprKind::Compare(Box::new(first), rest), l, r)
    }

    /// A record literal from `key: value` entries.
    pub fn record(&mut self, entries: Vec<(Expr, Expr)>, l: usize, r: usize) -> Expr {
        let mut out = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let paren = self.parenthesised(&key);
            let key = match key.kind {
                ExprKind::Var(name, _) => RecordKey::Fixed(SharedStr::intern(&name)),
                ExprKind::Str(s) => RecordKey::Fixed(s),
                ExprKind::List(mut items) if items.len() == 1 && !paren => {
                    RecordKey::Computed(items.pop().expect("one item"))
                }
                ExprKind::Int(_) => RecordKey::Computed(key),
                _ => {
                    self.error(
                        key.span,
                        format!("{} cannot be a record key", describe(&key.kind)),
                        "a key is a name (`{name: 1}`), a string (`{\"any key\": 1}`) or a computed `[expr]` (`{[k]: 1}`)",
                    );
                    RecordKey::Fixed(SharedStr::intern(""))
                }
            };
            out.push((key, value));
        }
        self.expr(ExprKind::Record(out), l, r)
    }

    /// `{key: value for ...}`; a `[k]` key is the computed key `k`.
    pub fn record_comp(
        &mut self,
        key: Expr,
        value: Expr,
        clauses: Vec<CompClause>,
        l: usize,
        r: usize,
    ) -> Expr {
        let paren = self.parenthesised(&key);
        let key = match key.kind {
            ExprKind::List(mut items) if items.len() == 1 && !paren => {
                items.pop().expect("one item")
            }
            kind => Expr {
                kind,
                span: key.span,
            },
        };
        self.expr(
            ExprKind::RecordComp {
                key: Box::new(key),
                value: Box::new(value),
                clauses,
            },
            l,
            r,
        )
    }

    /// `let target = value`.
    pub fn let_stmt(&mut self, target: Expr, value: Expr) -> StmtKind {
        if matches!(target.kind, ExprKind::Index(..) | ExprKind::Field(..)) {
            self.error(
                target.span,
                "`let` binds names; it cannot update part of a variable",
                format!("drop `let`: `{} = ...`", self.src_of(target.span)),
            );
            return StmtKind::Error;
        }
        StmtKind::Let {
            target: self.pattern(target, "bound by `let`"),
            value,
        }
    }

    /// `target = value`: a binding, or an update of part of a variable.
    pub fn assign(&mut self, target: Expr, value: Expr) -> StmtKind {
        match target.kind {
            ExprKind::Var(..) | ExprKind::List(_) => StmtKind::Let {
                target: self.pattern(target, "assigned to"),
                value,
            },
            _ => match self.place(target) {
                Some(place) => StmtKind::SetPlace { place, value },
                None => StmtKind::Error,
            },
        }
    }

    /// `target op= value`.
    pub fn aug(&mut self, target: Expr, op: BinOp, value: Expr) -> StmtKind {
        match self.place(target) {
            Some(place) => StmtKind::AugAssign { place, op, value },
            None => StmtKind::Error,
        }
    }

    /// The place an update writes to: a variable and a path of index and
    /// field steps.
    fn place(&mut self, e: Expr) -> Option<Place> {
        let span = e.span;
        match e.kind {
            ExprKind::Var(root, root_hint) => Some(Place {
                root,
                root_span: span,
                root_hint,
                path: Vec::new(),
            }),
            ExprKind::Index(x, i) => {
                let mut p = self.place(*x)?;
                p.path.push(PlaceStep::Index(*i));
                Some(p)
            }
            ExprKind::Field(x, name) => {
                let mut p = self.place(*x)?;
                let end = span.end as usize;
                p.path.push(PlaceStep::Field(
                    name.clone(),
                    self.span(end - name.len(), end),
                ));
                Some(p)
            }
            kind => {
                let what = describe(&kind);
                let hint = match kind {
                    ExprKind::Slice { .. } => "a slice cannot be assigned; build the new list with `+` and slices",
                    ExprKind::Call { .. } | ExprKind::Method { .. } => {
                        "assign to a variable, `xs[i]` or `r.k`; to add to a list write `xs.append(e)` as a statement"
                    }
                    _ => "assign to a variable, an item `xs[i]` or a field `r.k`",
                };
                self.error(span, format!("cannot assign to {what}"), hint);
                None
            }
        }
    }

    /// A `def`.
    pub fn def(
        &mut self,
        name: &'src str,
        params: Vec<Param>,
        body: Vec<super::ast::Stmt>,
        l: usize,
        r: usize,
    ) -> StmtKind {
        let mut seen: HashSet<Name> = HashSet::new();
        let mut defaulted = false;
        let mut problems = Vec::new();
        for p in &params {
            if !seen.insert(p.name.clone()) {
                problems.push((
                    p.span,
                    format!("parameter `{}` appears twice", p.name),
                    "give each parameter its own name",
                ));
            }
            if p.default.is_some() {
                defaulted = true;
            } else if defaulted {
                problems.push((
                    p.span,
                    format!(
                        "parameter `{}` without a default follows one with a default",
                        p.name
                    ),
                    "put parameters with defaults last: `def f(a, b=1)`",
                ));
            }
        }
        for (span, msg, hint) in problems {
            self.error(span, msg, hint);
        }
        StmtKind::Def(Arc::new(FnDef {
            name: self.name(name),
            params,
            body,
            span: self.span(l, r),
        }))
    }

    fn src_of(&self, span: Span) -> &'src str {
        self.src
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// How an expression is named in messages: "a call", "a number".
pub fn describe(kind: &ExprKind) -> &'static str {
    match kind {
        ExprKind::Null => "`null`",
        ExprKind::Bool(_) => "a boolean",
        ExprKind::Int(_) | ExprKind::Float(_) => "a number",
        ExprKind::Str(_) | ExprKind::FString(_) => "a string",
        ExprKind::Regex(_) => "a regex",
        ExprKind::Var(..) => "a name",
        ExprKind::List(_) | ExprKind::ListComp { .. } => "a list",
        ExprKind::Record(_) | ExprKind::RecordComp { .. } => "a record",
        ExprKind::Unary(..)
        | ExprKind::Binary(..)
        | ExprKind::And(..)
        | ExprKind::Or(..)
        | ExprKind::Coalesce(..)
        | ExprKind::Compare(..) => "an operator expression",
        ExprKind::Cond { .. } => "a conditional expression",
        ExprKind::Call { .. } | ExprKind::Method { .. } => "a call",
        ExprKind::Field(..) => "a field",
        ExprKind::Index(..) => "an item",
        ExprKind::Slice { .. } => "a slice",
        ExprKind::Lambda(_) => "a lambda",
        ExprKind::Error => "an invalid expression",
    }
}
