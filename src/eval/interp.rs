//! The tree-walking interpreter: statements and expressions.
//!
//! A [`Runtime`] holds what one run shares across threads (the context, the
//! limits, compiled regexes, the sub-call backend); it evaluates a checked
//! [`Program`] against [`Globals`] that the caller keeps, so a session's
//! variables persist from one turn to the next. Statements take a mutable
//! [`Scope`]; expressions only read it, which is what lets `map` run a pure
//! function on many threads at once.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, RwLock};

use crate::builtins::{self, CallCx};
use crate::context::Context;
use crate::diag::{Diagnostic, Stage};
use crate::search::{Matcher, PatternSpec};
use crate::suggest;
use crate::syntax::ast::*;
use crate::syntax::span::{FileId, SourceMap, Span};

use super::env::{visible_names, Globals, Locals, Scope};
use super::flow::{Flow, R};
use super::limits::{Limits, Meter};
use super::ops::{self, OpError};
use super::render;
use super::value::*;

/// Positional and keyword arguments of a call, evaluated.
type CallArgs = (Vec<Value>, Vec<(Name, Value)>);

/// Deepest nesting of function calls before the run stops.
pub const MAX_CALL_DEPTH: usize = 1000;

thread_local! {
    static CALL_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// What one run shares: the context, limits and caches.
pub struct Runtime {
    /// The documents.
    pub context: Arc<Context>,
    /// Counters and limits.
    pub meter: Meter,
    sources: RwLock<SourceMap>,
    regexes: Mutex<HashMap<Arc<str>, Arc<RegexValue>>>,
    pub(crate) effects: Mutex<HashMap<usize, super::effects::Effects>>,
    /// Models available to the run, if any.
    pub models: Option<super::models::Models>,
}

impl Runtime {
    /// A runtime over `context` with `limits`.
    pub fn new(context: Arc<Context>, limits: Limits) -> Runtime {
        Runtime {
            context,
            meter: Meter::new(limits),
            sources: RwLock::new(SourceMap::new()),
            regexes: Mutex::new(HashMap::new()),
            effects: Mutex::new(HashMap::new()),
            models: None,
        }
    }

    /// Adds a source file (a script, a turn of a session) and returns its id.
    pub fn add_source(&self, name: &str, text: &str) -> FileId {
        self.sources
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add(name, text)
    }

    /// A snapshot of the source files, for rendering diagnostics.
    pub fn sources(&self) -> SourceMap {
        self.sources
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `file:line:col` of a span.
    pub fn site(&self, span: Span) -> String {
        let map = self.sources.read().unwrap_or_else(|e| e.into_inner());
        let file = map.get(span.file);
        let (line, col, _) = file.locate(span.start as usize);
        format!("{}:{line}:{col}", file.name)
    }

    /// Globals holding `context` and `docs`.
    pub fn base_globals(&self) -> Globals {
        let mut g = Globals::new();
        let src = self.context.source.clone();
        let len = src.len();
        g.set(
            Arc::from("context"),
            Value::Str(Str::View(View {
                src: src.clone(),
                range: 0..len,
            })),
        );
        let docs = self
            .context
            .docs
            .iter()
            .map(|d| {
                let mut r = Record::new();
                r.insert(Key::Str(Arc::from("name")), Value::str(d.name.clone()));
                r.insert(
                    Key::Str(Arc::from("text")),
                    Value::Str(Str::View(View {
                        src: src.clone(),
                        range: d.range.clone(),
                    })),
                );
                Value::record(r)
            })
            .collect();
        g.set(Arc::from("docs"), Value::list(docs));
        g
    }

    /// Runs a program against `globals`, writing printed output to `out`.
    /// Returns the value given to `final`, if the program called it.
    pub fn run(
        &self,
        program: &Program,
        globals: &mut Globals,
        out: &mut dyn Write,
    ) -> Result<Option<Value>, Diagnostic> {
        let mut scope = Scope::Top(globals);
        match self.exec_block(&program.stmts, &mut scope, out) {
            Ok(()) => Ok(None),
            Err(Flow::Final(v)) => Ok(Some(v)),
            Err(Flow::Error(d)) => Err(*d),
            Err(Flow::Return(_)) => Err(Diagnostic::new(
                Stage::Runtime,
                "`return` outside a function",
            )
            .hint("use final(x) to end the program with a value")),
            Err(Flow::Break | Flow::Continue) => Err(Diagnostic::new(
                Stage::Runtime,
                "`break` or `continue` outside a loop",
            )),
        }
    }

    fn exec_block(&self, stmts: &[Stmt], sc: &mut Scope, out: &mut dyn Write) -> R<()> {
        for s in stmts {
            self.exec(s, sc, out)?;
        }
        Ok(())
    }

    fn exec(&self, stmt: &Stmt, sc: &mut Scope, out: &mut dyn Write) -> R<()> {
        self.meter.tick()?;
        match &stmt.kind {
            StmtKind::Let { target, value } => {
                let v = self.eval(value, sc, out)?;
                self.bind(target, v, sc)
            }
            StmtKind::SetPlace { place, value } => {
                let v = self.eval(value, sc, out)?;
                self.update_place(place, sc, out, |_| Ok(v))
            }
            StmtKind::AugAssign { place, op, value } => {
                let rhs = self.eval(value, sc, out)?;
                let op = *op;
                let span = stmt.span;
                self.update_place(place, sc, out, |old| {
                    ops::binary(op, &old, &rhs).map_err(|e| op_err(e, span))
                })
            }
            StmtKind::Expr(e) => {
                if let Some(done) = self.exec_mutating_method(e, sc, out)? {
                    return Ok(done);
                }
                let v = self.eval(e, sc, out)?;
                if !matches!(v, Value::Null) && !is_print_call(e) {
                    self.emit(out, &render::display(&v), e.span)?;
                }
                Ok(())
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    if self.eval(cond, sc, out)?.truthy() {
                        return self.exec_block(body, sc, out);
                    }
                }
                if let Some(body) = otherwise {
                    self.exec_block(body, sc, out)?;
                }
                Ok(())
            }
            StmtKind::For { target, iter, body } => {
                let it = self.eval(iter, sc, out)?;
                let items = self.iterate(&it, iter.span)?;
                for item in items {
                    self.bind(target, item, sc)?;
                    match self.exec_block(body, sc, out) {
                        Ok(()) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(other) => return Err(other),
                    }
                }
                Ok(())
            }
            StmtKind::While { cond, body } => {
                while self.eval(cond, sc, out)?.truthy() {
                    match self.exec_block(body, sc, out) {
                        Ok(()) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(other) => return Err(other),
                    }
                }
                Ok(())
            }
            StmtKind::Break => Err(Flow::Break),
            StmtKind::Continue => Err(Flow::Continue),
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e, sc, out)?,
                    None => Value::Null,
                };
                Err(Flow::Return(v))
            }
            StmtKind::Def(def) => {
                self.check_assignable(&def.name, def.span)?;
                let captured = sc.locals().cloned();
                sc.set(
                    def.name.clone(),
                    Value::Func(Func::Def(Arc::new(DefValue {
                        def: def.clone(),
                        captured,
                    }))),
                );
                Ok(())
            }
            StmtKind::Error => {
                Err(Diagnostic::runtime(stmt.span, "this statement did not parse").into())
            }
        }
    }

    /// Writes printed text (and a newline) to `out`, within the output limit.
    pub fn emit(&self, out: &mut dyn Write, text: &str, span: Span) -> R<()> {
        self.meter.output(text.len() + 1).map_err(|d| d.at(span))?;
        let ok = out
            .write_all(text.as_bytes())
            .and_then(|_| out.write_all(b"\n"));
        ok.map_err(|e| Diagnostic::runtime(span, format!("cannot write output: {e}")).into())
    }

    /// `xs.append(x)`, `xs.extend(ys)`, `xs.sort()`, `xs.reverse()`,
    /// `r.update(s)` as statements update the variable they are called on.
    fn exec_mutating_method(&self, e: &Expr, sc: &mut Scope, out: &mut dyn Write) -> R<Option<()>> {
        let ExprKind::Method {
            recv, name, args, ..
        } = &e.kind
        else {
            return Ok(None);
        };
        if !matches!(
            &**name,
            "append" | "extend" | "sort" | "reverse" | "update" | "insert" | "pop"
        ) {
            return Ok(None);
        }
        let Some(place) = expr_to_place(recv) else {
            return Ok(None);
        };
        if let Some(Value::Record(r)) = sc.get(&place.root) {
            if r.contains_key(&Key::Str(name.clone())) && place.path.is_empty() {
                return Ok(None);
            }
        }
        let mut argv = Vec::new();
        let mut kwargs = Vec::new();
        for a in args {
            let v = self.eval(&a.value, sc, out)?;
            match &a.name {
                Some(n) => kwargs.push((n.clone(), v)),
                None => argv.push(v),
            }
        }
        let span = e.span;
        let name = name.clone();
        self.update_place(&place, sc, out, |old| {
            mutate(&name, old, &argv, &kwargs).map_err(|m| Diagnostic::runtime(span, m).into())
        })?;
        Ok(Some(()))
    }

    fn update_place(
        &self,
        place: &Place,
        sc: &mut Scope,
        out: &mut dyn Write,
        f: impl FnOnce(Value) -> R<Value>,
    ) -> R<()> {
        self.check_assignable(&place.root, place.root_span)?;
        let mut keys = Vec::with_capacity(place.path.len());
        for step in &place.path {
            keys.push(match step {
                PlaceStep::Index(e) => (self.eval(e, sc, out)?, e.span),
                PlaceStep::Field(n, s) => (Value::Str(Str::Owned(n.clone())), *s),
            });
        }
        let root = match sc.get(&place.root) {
            Some(v) => v.clone(),
            None if keys.is_empty() => {
                return Err(self.unknown_name(&place.root, place.root_span, sc).into())
            }
            None => return Err(self.unknown_name(&place.root, place.root_span, sc).into()),
        };
        let updated = set_path(root, &keys, f)?;
        sc.set(place.root.clone(), updated);
        Ok(())
    }

    fn check_assignable(&self, name: &str, span: Span) -> R<()> {
        if name == "context" || name == "docs" || builtins::lookup(name).is_some() {
            return Err(Diagnostic::runtime(
                span,
                format!("`{name}` is a built-in name and cannot be assigned"),
            )
            .hint(format!(
                "choose another name, such as `{name}_` or `my_{name}`"
            ))
            .into());
        }
        Ok(())
    }

    fn bind(&self, target: &Pattern, v: Value, sc: &mut Scope) -> R<()> {
        match target {
            Pattern::Name(n, span) => {
                self.check_assignable(n, *span)?;
                sc.set(n.clone(), v);
                Ok(())
            }
            Pattern::List(parts, span) => {
                let items = match &v {
                    Value::List(l) => l.to_vec(),
                    other => {
                        return Err(Diagnostic::runtime(
                            *span,
                            format!(
                                "cannot unpack {} into {} names",
                                other.type_name(),
                                parts.len()
                            ),
                        )
                        .into())
                    }
                };
                if items.len() != parts.len() {
                    return Err(Diagnostic::runtime(
                        *span,
                        format!(
                            "cannot unpack a list of {} items into {} names",
                            items.len(),
                            parts.len()
                        ),
                    )
                    .into());
                }
                for (p, item) in parts.iter().zip(items.iter()) {
                    self.bind(p, item.clone(), sc)?;
                }
                Ok(())
            }
        }
    }

    /// The items a `for` loop or comprehension walks: a list's items, a
    /// string's characters, a record's keys.
    pub fn iterate(&self, v: &Value, span: Span) -> R<Box<dyn Iterator<Item = Value> + '_>> {
        Ok(match v {
            Value::List(l) => {
                let l = l.clone();
                Box::new(
                    (0..)
                        .map_while(move |i| l.get(i))
                        .collect::<Vec<_>>()
                        .into_iter(),
                )
            }
            Value::Str(s) => Box::new(
                s.text()
                    .chars()
                    .map(|c| Value::str(c.to_string()))
                    .collect::<Vec<_>>()
                    .into_iter(),
            ),
            Value::Record(r) => {
                Box::new(r.keys().map(Key::to_value).collect::<Vec<_>>().into_iter())
            }
            Value::Error(e) => return Err(error_value_used(e, span).into()),
            other => {
                return Err(Diagnostic::runtime(
                    span,
                    format!("cannot iterate over {}", other.type_name()),
                )
                .hint("iterate over a list, a string, or a record's keys (use items(r) for pairs)")
                .into())
            }
        })
    }

    /// Evaluates an expression.
    pub fn eval(&self, e: &Expr, sc: &Scope, out: &mut dyn Write) -> R<Value> {
        self.meter.tick().map_err(|d| d.at(e.span))?;
        match &e.kind {
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Float(f) => Ok(Value::Float(*f)),
            ExprKind::Str(s) => Ok(Value::Str(Str::Owned(s.clone()))),
            ExprKind::Regex(src) => self
                .regex(src)
                .map(Value::Regex)
                .map_err(|d| d.at(e.span).into()),
            ExprKind::FString(parts) => self.fstring(parts, sc, out),
            ExprKind::Var(name) => self.lookup(name, e.span, sc),
            ExprKind::List(items) => {
                let mut v = Vec::with_capacity(items.len());
                for x in items {
                    v.push(self.eval(x, sc, out)?);
                }
                Ok(Value::list(v))
            }
            ExprKind::Record(entries) => {
                let mut r = Record::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = match k {
                        RecordKey::Fixed(n) => Key::Str(n.clone()),
                        RecordKey::Computed(ke) => {
                            let kv = self.eval(ke, sc, out)?;
                            self.key_of(&kv, ke.span)?
                        }
                    };
                    r.insert(key, self.eval(v, sc, out)?);
                }
                Ok(Value::record(r))
            }
            ExprKind::ListComp { elem, clauses } => {
                let mut results = Vec::new();
                let mut local = self.comp_scope(sc);
                self.comprehend(clauses, &mut local, out, &mut |me, s, o| {
                    results.push(me.eval(elem, s, o)?);
                    Ok(())
                })?;
                Ok(Value::list(results))
            }
            ExprKind::RecordComp {
                key,
                value,
                clauses,
            } => {
                let mut r = Record::new();
                let mut local = self.comp_scope(sc);
                self.comprehend(clauses, &mut local, out, &mut |me, s, o| {
                    let kv = me.eval(key, s, o)?;
                    let k = me.key_of(&kv, key.span)?;
                    r.insert(k, me.eval(value, s, o)?);
                    Ok(())
                })?;
                Ok(Value::record(r))
            }
            ExprKind::Unary(op, x) => {
                let v = self.eval(x, sc, out)?;
                self.no_error(&v, x.span)?;
                match op {
                    UnOp::Not => Ok(Value::Bool(!v.truthy())),
                    UnOp::Neg => match v {
                        Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(|| {
                            Diagnostic::runtime(e.span, "integer overflow in `-`").into()
                        }),
                        Value::Float(f) => Ok(Value::Float(-f)),
                        Value::Bool(b) => Ok(Value::Int(-(b as i64))),
                        other => Err(Diagnostic::runtime(
                            e.span,
                            format!("cannot negate {}", other.type_name()),
                        )
                        .into()),
                    },
                }
            }
            ExprKind::Binary(op, a, b) => {
                let x = self.eval(a, sc, out)?;
                self.no_error(&x, a.span)?;
                let y = self.eval(b, sc, out)?;
                self.no_error(&y, b.span)?;
                if *op == BinOp::Mul || *op == BinOp::Add {
                    self.meter
                        .check_memory(estimate_concat(&x, &y, *op))
                        .map_err(|d| d.at(e.span))?;
                }
                ops::binary(*op, &x, &y).map_err(|err| op_err(err, e.span))
            }
            ExprKind::And(a, b) => {
                let x = self.eval(a, sc, out)?;
                if !x.truthy() {
                    return Ok(x);
                }
                self.eval(b, sc, out)
            }
            ExprKind::Or(a, b) => {
                let x = self.eval(a, sc, out)?;
                if x.truthy() {
                    return Ok(x);
                }
                self.eval(b, sc, out)
            }
            ExprKind::Coalesce(a, b) => {
                let x = self.eval(a, sc, out)?;
                if matches!(x, Value::Null | Value::Error(_)) {
                    self.eval(b, sc, out)
                } else {
                    Ok(x)
                }
            }
            ExprKind::Compare(first, rest) => {
                let mut left = self.eval(first, sc, out)?;
                self.no_error(&left, first.span)?;
                for (op, rhs) in rest {
                    let right = self.eval(rhs, sc, out)?;
                    self.no_error(&right, rhs.span)?;
                    let r = ops::compare_op(*op, &left, &right)
                        .map_err(|err| op_err(err, first.span.to(rhs.span)))?;
                    if !r.truthy() {
                        return Ok(Value::Bool(false));
                    }
                    left = right;
                }
                Ok(Value::Bool(true))
            }
            ExprKind::Cond {
                cond,
                then,
                otherwise,
            } => {
                if self.eval(cond, sc, out)?.truthy() {
                    self.eval(then, sc, out)
                } else {
                    self.eval(otherwise, sc, out)
                }
            }
            ExprKind::Call { callee, args, .. } => {
                let f = self.eval(callee, sc, out)?;
                let (argv, kwargs) = self.eval_args(args, sc, out)?;
                self.call_value(&f, argv, kwargs, sc, out, e.span, callee.span)
            }
            ExprKind::Method {
                recv,
                name,
                name_span,
                args,
            } => self.method(recv, name, *name_span, args, sc, out, e.span),
            ExprKind::Field(x, name) => {
                let v = self.eval(x, sc, out)?;
                self.field(&v, name, e.span)
            }
            ExprKind::Index(x, i) => {
                let v = self.eval(x, sc, out)?;
                let idx = self.eval(i, sc, out)?;
                self.index(&v, &idx, e.span)
            }
            ExprKind::Slice {
                expr,
                start,
                stop,
                step,
            } => {
                let v = self.eval(expr, sc, out)?;
                let mut bound = |b: &Option<Box<Expr>>| -> R<Option<i64>> {
                    match b {
                        None => Ok(None),
                        Some(b) => match self.eval(b, sc, out)? {
                            Value::Null => Ok(None),
                            Value::Int(i) => Ok(Some(i)),
                            Value::Bool(x) => Ok(Some(x as i64)),
                            other => Err(Diagnostic::runtime(
                                b.span,
                                format!("slice bounds must be int, got {}", other.type_name()),
                            )
                            .hint("convert with int(x)")
                            .into()),
                        },
                    }
                };
                let (a, b, c) = (bound(start)?, bound(stop)?, bound(step)?);
                self.slice(&v, a, b, c, e.span)
            }
            ExprKind::Lambda(l) => Ok(Value::Func(Func::Lambda(Arc::new(LambdaValue {
                lambda: l.clone(),
                captured: sc.capture(),
            })))),
            ExprKind::Error => {
                Err(Diagnostic::runtime(e.span, "this expression did not parse").into())
            }
        }
    }

    fn comp_scope<'a>(&self, sc: &'a Scope) -> Scope<'a> {
        Scope::Local {
            globals: sc.globals(),
            locals: sc.capture(),
        }
    }

    fn comprehend(
        &self,
        clauses: &[CompClause],
        sc: &mut Scope,
        out: &mut dyn Write,
        body: &mut dyn FnMut(&Runtime, &Scope, &mut dyn Write) -> R<()>,
    ) -> R<()> {
        let Some((first, rest)) = clauses.split_first() else {
            return body(self, sc, out);
        };
        match first {
            CompClause::If(c) => {
                if self.eval(c, sc, out)?.truthy() {
                    self.comprehend(rest, sc, out, body)?;
                }
                Ok(())
            }
            CompClause::For { target, iter } => {
                let it = self.eval(iter, sc, out)?;
                for item in self.iterate(&it, iter.span)? {
                    self.bind(target, item, sc)?;
                    self.comprehend(rest, sc, out, body)?;
                }
                Ok(())
            }
        }
    }

    fn eval_args(&self, args: &[Arg], sc: &Scope, out: &mut dyn Write) -> R<CallArgs> {
        let mut argv = Vec::with_capacity(args.len());
        let mut kwargs = Vec::new();
        for a in args {
            let v = self.eval(&a.value, sc, out)?;
            match &a.name {
                Some(n) => kwargs.push((n.clone(), v)),
                None => argv.push(v),
            }
        }
        Ok((argv, kwargs))
    }

    fn lookup(&self, name: &Name, span: Span, sc: &Scope) -> R<Value> {
        if let Some(v) = sc.get(name) {
            return Ok(v.clone());
        }
        if let Some(b) = builtins::lookup(name) {
            return Ok(Value::Func(Func::Builtin(b)));
        }
        Err(self.unknown_name(name, span, sc).into())
    }

    fn unknown_name(&self, name: &str, span: Span, sc: &Scope) -> Diagnostic {
        let d = Diagnostic::runtime(span, format!("unknown name `{name}`"));
        if let Some(hint) = builtins::python_hint(name) {
            return d.hint(hint);
        }
        let mut candidates = visible_names(sc);
        for n in builtins::names() {
            candidates.push(n);
        }
        match suggest::closest(name, candidates.iter().copied()) {
            Some(s) => d.hint(format!("did you mean `{s}`?")),
            None => {
                d.hint("define it first with `let`, or see the builtins in the language reference")
            }
        }
    }

    fn key_of(&self, v: &Value, span: Span) -> R<Key> {
        ops::to_key(v).ok_or_else(|| {
            Diagnostic::runtime(
                span,
                format!("record keys must be str or int, got {}", v.type_name()),
            )
            .hint("convert the key with str(k)")
            .into()
        })
    }

    /// A compiled regex for a `re"..."` literal or `regex(s)`, cached by source.
    pub fn regex(&self, src: &Arc<str>) -> Result<Arc<RegexValue>, Diagnostic> {
        let mut cache = self.regexes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = cache.get(src) {
            return Ok(r.clone());
        }
        let matcher = Matcher::new(&PatternSpec::Regex(src.to_string()), false)
            .map_err(|e| Diagnostic::new(Stage::Runtime, e.to_string()).hint(e.hint()))?;
        let r = Arc::new(RegexValue::new(src.clone(), matcher));
        cache.insert(src.clone(), r.clone());
        Ok(r)
    }

    fn fstring(&self, parts: &[FStringPart], sc: &Scope, out: &mut dyn Write) -> R<Value> {
        let mut s = String::new();
        for p in parts {
            match p {
                FStringPart::Text(t) => s.push_str(t),
                FStringPart::Expr { expr, spec } => {
                    let v = self.eval(expr, sc, out)?;
                    self.no_error(&v, expr.span)?;
                    match spec {
                        None => s.push_str(&render::display(&v)),
                        Some(spec) => s.push_str(
                            &super::format::apply(&v, spec, self.meter.memory_room())
                                .map_err(|m| Diagnostic::runtime(expr.span, m))?,
                        ),
                    }
                }
            }
        }
        Ok(Value::str(s))
    }

    /// Fails when `v` is a failed sub-call used in an operation.
    pub fn no_error(&self, v: &Value, span: Span) -> R<()> {
        match v {
            Value::Error(e) => Err(error_value_used(e, span).into()),
            _ => Ok(()),
        }
    }

    /// Calls a function value with arguments.
    #[allow(clippy::too_many_arguments)]
    pub fn call_value(
        &self,
        f: &Value,
        args: Vec<Value>,
        kwargs: Vec<(Name, Value)>,
        sc: &Scope,
        out: &mut dyn Write,
        span: Span,
        callee_span: Span,
    ) -> R<Value> {
        match f {
            Value::Func(func) => {
                self.call(func, args, kwargs, sc.globals(), sc.locals(), out, span)
            }
            Value::Error(e) => Err(error_value_used(e, callee_span).into()),
            other => Err(kind_error(callee_span, other, "is not a function")),
        }
    }

    /// Calls a function with positional and keyword arguments.
    #[allow(clippy::too_many_arguments)]
    pub fn call(
        &self,
        f: &Func,
        args: Vec<Value>,
        kwargs: Vec<(Name, Value)>,
        globals: &Globals,
        locals: Option<&Locals>,
        out: &mut dyn Write,
        span: Span,
    ) -> R<Value> {
        let depth = CALL_DEPTH.with(|d| {
            let v = d.get() + 1;
            d.set(v);
            v
        });
        let _guard = DepthGuard;
        if depth > MAX_CALL_DEPTH {
            return Err(Diagnostic::new(
                Stage::Limit,
                format!("calls nested deeper than {MAX_CALL_DEPTH}"),
            )
            .at(span)
            .hint("a recursive def needs a base case; or use a loop")
            .into());
        }
        // Deep recursion grows the native stack in segments instead of
        // overflowing it, on whichever thread the call runs.
        stacker::maybe_grow(256 * 1024, 8 << 20, || match f {
            Func::Builtin(b) => {
                let mut cx = CallCx {
                    rt: self,
                    globals,
                    locals,
                    out,
                    span,
                    name: b.name(),
                };
                builtins::invoke(*b, &mut cx, args, kwargs)
            }
            Func::Def(d) => self.call_def(d, args, kwargs, globals, out, span),
            Func::Lambda(l) => self.call_lambda(l, args, kwargs, globals, out, span),
        })
    }

    fn call_def(
        &self,
        d: &DefValue,
        args: Vec<Value>,
        kwargs: Vec<(Name, Value)>,
        globals: &Globals,
        out: &mut dyn Write,
        span: Span,
    ) -> R<Value> {
        let def = &d.def;
        let mut locals = d.captured.clone().unwrap_or_default();
        if d.captured.is_some() {
            locals.set(
                def.name.clone(),
                Value::Func(Func::Def(Arc::new(DefValue {
                    def: def.clone(),
                    captured: d.captured.clone(),
                }))),
            );
        }
        if args.len() > def.params.len() {
            return Err(Diagnostic::runtime(
                span,
                format!(
                    "{}() takes {} argument{} but {} were given",
                    def.name,
                    def.params.len(),
                    if def.params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            )
            .into());
        }
        let mut slots: Vec<Option<Value>> = args.into_iter().map(Some).collect();
        slots.resize(def.params.len(), None);
        for (k, v) in kwargs {
            match def.params.iter().position(|p| p.name == k) {
                Some(i) if slots[i].is_none() => slots[i] = Some(v),
                Some(_) => {
                    return Err(Diagnostic::runtime(
                        span,
                        format!("{}() got two values for `{k}`", def.name),
                    )
                    .into())
                }
                None => {
                    return Err(Diagnostic::runtime(
                        span,
                        format!("{}() has no parameter `{k}`", def.name),
                    )
                    .hint(format!(
                        "its parameters are: {}",
                        def.params
                            .iter()
                            .map(|p| &*p.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .into())
                }
            }
        }
        let mut sc = Scope::Local { globals, locals };
        for (p, slot) in def.params.iter().zip(slots) {
            let v = match slot {
                Some(v) => v,
                None => match &p.default {
                    Some(e) => self.eval(e, &sc, out)?,
                    None => {
                        return Err(Diagnostic::runtime(
                            span,
                            format!("{}() is missing the argument `{}`", def.name, p.name),
                        )
                        .into())
                    }
                },
            };
            sc.set(p.name.clone(), v);
        }
        match self.exec_block(&def.body, &mut sc, out) {
            Ok(()) => Ok(Value::Null),
            Err(Flow::Return(v)) => Ok(v),
            Err(Flow::Break | Flow::Continue) => {
                Err(Diagnostic::runtime(def.span, "`break` or `continue` outside a loop").into())
            }
            Err(other) => Err(other),
        }
    }

    fn call_lambda(
        &self,
        l: &LambdaValue,
        mut args: Vec<Value>,
        kwargs: Vec<(Name, Value)>,
        globals: &Globals,
        out: &mut dyn Write,
        span: Span,
    ) -> R<Value> {
        let lam = &l.lambda;
        if !kwargs.is_empty() {
            return Err(Diagnostic::runtime(span, "a lambda takes no keyword arguments").into());
        }
        if lam.params.len() > 1 && args.len() == 1 {
            if let Value::List(items) = &args[0] {
                if items.len() == lam.params.len() {
                    args = items.iter().collect();
                }
            }
        }
        if args.len() != lam.params.len() {
            return Err(Diagnostic::runtime(
                span,
                format!(
                    "the lambda takes {} argument{} but got {}",
                    lam.params.len(),
                    if lam.params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            )
            .into());
        }
        let mut sc = Scope::Local {
            globals,
            locals: l.captured.clone(),
        };
        for (p, v) in lam.params.iter().zip(args) {
            self.bind(p, v, &mut sc)?;
        }
        self.eval(&lam.body, &sc, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn method(
        &self,
        recv: &Expr,
        name: &Name,
        name_span: Span,
        args: &[Arg],
        sc: &Scope,
        out: &mut dyn Write,
        span: Span,
    ) -> R<Value> {
        let r = self.eval(recv, sc, out)?;
        if let Value::Record(rec) = &r {
            if let Some(v) = rec.get(&Key::Str(name.clone())) {
                let (argv, kwargs) = self.eval_args(args, sc, out)?;
                return self.call_value(v, argv, kwargs, sc, out, span, name_span);
            }
        }
        if let Value::Error(e) = &r {
            return Err(error_value_used(e, recv.span).into());
        }
        let (mut argv, kwargs) = self.eval_args(args, sc, out)?;
        if let Some(d) = method_misuse(name, &r, &argv) {
            return Err(d.at(name_span).into());
        }
        // `",".join(xs)`: Python's spelling, the separator first.
        if &**name == "join"
            && matches!(r, Value::Str(_))
            && matches!(argv.first(), Some(Value::List(_)))
        {
            let xs = argv.remove(0);
            argv.insert(0, r);
            argv.insert(0, xs);
        } else {
            argv.insert(0, r);
        }
        let f = match sc.get(name) {
            Some(v @ Value::Func(_)) => v.clone(),
            _ => match builtins::lookup(name) {
                Some(b) => Value::Func(Func::Builtin(b)),
                None => {
                    let d = Diagnostic::runtime(
                        name_span,
                        format!("no method `{name}` on {}", argv[0].type_name()),
                    );
                    let d = match builtins::python_hint(name) {
                        Some(h) => d.hint(h),
                        None => match suggest::closest(name, builtins::names()) {
                            Some(s) => d.hint(format!("did you mean `{s}`? x.f(a) calls f(x, a)")),
                            None => d.hint("x.f(a) calls the builtin or def f as f(x, a)"),
                        },
                    };
                    return Err(d.into());
                }
            },
        };
        self.call_value(&f, argv, kwargs, sc, out, span, name_span)
    }

    /// `v.name`.
    pub fn field(&self, v: &Value, name: &str, span: Span) -> R<Value> {
        match v {
            Value::Record(r) => match r.get(&Key::Str(Arc::from(name))) {
                Some(x) => Ok(x.clone()),
                None => Err(missing_key(r, &Key::Str(Arc::from(name)), span).into()),
            },
            Value::Match(m) => match name {
                "text" => Ok(Value::Str(m.text())),
                "start" => Ok(Value::Int(m.start_char() as i64)),
                "end" => Ok(Value::Int(m.end_char() as i64)),
                "line" => Ok(Value::Int(m.line() as i64)),
                "line_text" => Ok(Value::Str(m.line_text())),
                "groups" => Ok(Value::list(m.groups())),
                "doc" => Ok(m.doc.as_ref().map_or(Value::Null, |d| Value::Str(Str::Owned(d.clone())))),
                "around" => Ok(Value::Str(m.around_text())),
                other => Err(Diagnostic::runtime(span, format!("a match has no field `{other}`"))
                    .hint(match other {
                        "group" => "use m.text for the whole match and m.groups[0] for the first group",
                        _ => "a match has .text .start .end .line .line_text .groups .doc .around",
                    })
                    .into()),
            },
            Value::Error(e) => Err(error_value_used(e, span).into()),
            Value::Null => Err(Diagnostic::runtime(span, format!("`.{name}` on null"))
                .hint("the value is null (nothing found?); check with `if x != null` or use `x ?? default`")
                .into()),
            other => {
                let d = Diagnostic::runtime(
                    span,
                    format!("{} {} has no field `{name}`", article(other.type_name()), other.type_name()),
                );
                Err(if builtins::lookup(name).is_some() {
                    d.hint(format!("call it: x.{name}() or {name}(x)"))
                } else {
                    d
                }
                .into())
            }
        }
    }

    /// `v[i]`.
    pub fn index(&self, v: &Value, i: &Value, span: Span) -> R<Value> {
        match (v, i) {
            (Value::List(l), Value::Int(n)) => match ops::resolve_index(*n, l.len()) {
                Some(k) => Ok(l.get(k).unwrap_or(Value::Null)),
                None => Err(Diagnostic::runtime(
                    span,
                    format!("index {n} is out of range for a list of {} items", l.len()),
                )
                .hint(if l.is_empty() {
                    "the list is empty; check `if xs` first"
                } else {
                    "valid indices are 0..len(xs)-1, or negative from the end"
                })
                .into()),
            },
            (Value::Str(s), Value::Int(n)) => {
                let len = s.char_len();
                match ops::resolve_index(*n, len) {
                    Some(k) => {
                        let a = s.char_to_byte(k);
                        let b = s.char_to_byte(k + 1);
                        Ok(Value::Str(s.sub(a..b)))
                    }
                    None => Err(Diagnostic::runtime(
                        span,
                        format!("index {n} is out of range for a string of {len} characters"),
                    )
                    .into()),
                }
            }
            (Value::Record(r), k) => {
                let key = self.key_of(k, span)?;
                match r.get(&key) {
                    Some(x) => Ok(x.clone()),
                    None => Err(missing_key(r, &key, span).into()),
                }
            }
            (Value::Match(_), Value::Int(_)) => Err(Diagnostic::runtime(
                span,
                "a match cannot be indexed",
            )
            .hint("use m.text for the whole match and m.groups[0] for the first capture group")
            .into()),
            (Value::Error(e), _) => Err(error_value_used(e, span).into()),
            (Value::List(_) | Value::Str(_), other) => Err(Diagnostic::runtime(
                span,
                format!("indices must be int, got {}", other.type_name()),
            )
            .hint("convert with int(x)")
            .into()),
            (Value::Null, _) => Err(Diagnostic::runtime(span, "cannot index null")
                .hint("the value is null (nothing found?); check with `if x != null` first")
                .into()),
            (other, _) => Err(kind_error(span, other, "cannot be indexed")),
        }
    }

    fn slice(
        &self,
        v: &Value,
        a: Option<i64>,
        b: Option<i64>,
        step: Option<i64>,
        span: Span,
    ) -> R<Value> {
        match v {
            Value::Str(s) => {
                if step.is_some_and(|st| st != 1) {
                    let idx = ops::slice_indices(a, b, step, s.char_len())
                        .map_err(|e| op_err(e, span))?;
                    return Ok(ops::pick_chars(s, &idx));
                }
                Ok(Value::Str(slice_str(s, a, b)))
            }
            Value::List(l) => {
                if step.is_some_and(|st| st != 1) {
                    let idx =
                        ops::slice_indices(a, b, step, l.len()).map_err(|e| op_err(e, span))?;
                    return Ok(ops::pick(l, &idx));
                }
                let r = ops::slice_range(a, b, l.len());
                Ok(Value::List(l.slice(r)))
            }
            Value::Error(e) => Err(error_value_used(e, span).into()),
            other => Err(kind_error(span, other, "cannot be sliced")),
        }
    }
}

struct DepthGuard;

impl Drop for DepthGuard {
    fn drop(&mut self) {
        CALL_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Calls `f` on `e` and every expression inside it (lambda bodies included).
pub fn walk_expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    let mut w = |x: &Expr| walk_expr(x, f);
    match &e.kind {
        ExprKind::FString(parts) => {
            for p in parts {
                if let FStringPart::Expr { expr, .. } = p {
                    w(expr);
                }
            }
        }
        ExprKind::List(xs) => xs.iter().for_each(&mut w),
        ExprKind::Record(es) => {
            for (k, v) in es {
                if let RecordKey::Computed(k) = k {
                    w(k);
                }
                w(v);
            }
        }
        ExprKind::ListComp { elem, clauses } => {
            w(elem);
            walk_clauses(clauses, &mut w);
        }
        ExprKind::RecordComp {
            key,
            value,
            clauses,
        } => {
            w(key);
            w(value);
            walk_clauses(clauses, &mut w);
        }
        ExprKind::Unary(_, x) | ExprKind::Field(x, _) => w(x),
        ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Coalesce(a, b)
        | ExprKind::Index(a, b) => {
            w(a);
            w(b);
        }
        ExprKind::Compare(a, rest) => {
            w(a);
            rest.iter().for_each(|(_, x)| w(x));
        }
        ExprKind::Cond {
            cond,
            then,
            otherwise,
        } => {
            w(cond);
            w(then);
            w(otherwise);
        }
        ExprKind::Call { callee, args, .. } => {
            w(callee);
            args.iter().for_each(|a| w(&a.value));
        }
        ExprKind::Method { recv, args, .. } => {
            w(recv);
            args.iter().for_each(|a| w(&a.value));
        }
        ExprKind::Slice {
            expr,
            start,
            stop,
            step,
        } => {
            w(expr);
            for x in [start, stop, step].into_iter().flatten() {
                w(x);
            }
        }
        ExprKind::Lambda(l) => w(&l.body),
        _ => {}
    }
}

fn walk_clauses(clauses: &[CompClause], w: &mut dyn FnMut(&Expr)) {
    for c in clauses {
        match c {
            CompClause::For { iter, .. } => w(iter),
            CompClause::If(x) => w(x),
        }
    }
}

fn is_print_call(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { callee, .. } if matches!(&callee.kind, ExprKind::Var(n) if &**n == "print"))
}

fn expr_to_place(e: &Expr) -> Option<Place> {
    match &e.kind {
        ExprKind::Var(n) => Some(Place {
            root: n.clone(),
            root_span: e.span,
            path: Vec::new(),
        }),
        ExprKind::Index(x, i) => {
            let mut p = expr_to_place(x)?;
            p.path.push(PlaceStep::Index((**i).clone()));
            Some(p)
        }
        ExprKind::Field(x, n) => {
            let mut p = expr_to_place(x)?;
            p.path.push(PlaceStep::Field(n.clone(), e.span));
            Some(p)
        }
        _ => None,
    }
}

fn mutate(
    name: &str,
    old: Value,
    args: &[Value],
    kwargs: &[(Name, Value)],
) -> Result<Value, String> {
    match (name, old) {
        ("append", Value::List(l)) if args.len() == 1 => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            v.push(args[0].clone());
            Ok(Value::list(v))
        }
        ("extend", Value::List(l)) if args.len() == 1 => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            match &args[0] {
                Value::List(m) => v.extend(m.iter()),
                other => return Err(format!("extend needs a list, got {}", other.type_name())),
            }
            Ok(Value::list(v))
        }
        ("insert", Value::List(l)) if args.len() == 2 => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            let Value::Int(i) = args[0] else {
                return Err("insert(i, x) needs an int index".into());
            };
            let len = v.len() as i64;
            let at = if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
            v.insert(at, args[1].clone());
            Ok(Value::list(v))
        }
        ("reverse", Value::List(l)) if args.is_empty() => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            v.reverse();
            Ok(Value::list(v))
        }
        ("sort", Value::List(_)) => Err("`xs.sort()` as a statement: write `xs = sort(xs)` (with key=..., reverse=true as needed)".into()),
        ("pop", Value::List(_)) => Err("`xs.pop()` is not available: use `last = xs[-1]` and `xs = xs[:-1]`".into()),
        ("update", Value::Record(r)) if args.len() == 1 => match &args[0] {
            Value::Record(s) => {
                let mut m = (*r).clone();
                for (k, v) in s.iter() {
                    m.insert(k.clone(), v.clone());
                }
                Ok(Value::record(m))
            }
            other => Err(format!("update needs a record, got {}", other.type_name())),
        },
        (_, old) => {
            let _ = kwargs;
            Err(format!(
                "`.{name}(...)` is not defined on {} with {} argument{}",
                old.type_name(),
                args.len(),
                if args.len() == 1 { "" } else { "s" }
            ))
        }
    }
}

fn set_path(root: Value, keys: &[(Value, Span)], f: impl FnOnce(Value) -> R<Value>) -> R<Value> {
    let Some(((key, span), rest)) = keys.split_first() else {
        return f(root);
    };
    match root {
        Value::List(l) => {
            let Value::Int(i) = key else {
                return Err(Diagnostic::runtime(
                    *span,
                    format!("list indices must be int, got {}", key.type_name()),
                )
                .into());
            };
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            let Some(k) = ops::resolve_index(*i, v.len()) else {
                return Err(Diagnostic::runtime(
                    *span,
                    format!("index {i} is out of range for a list of {} items", v.len()),
                )
                .hint("use xs.append(x) to add an item")
                .into());
            };
            let old = std::mem::replace(&mut v[k], Value::Null);
            v[k] = set_path(old, rest, f)?;
            Ok(Value::list(v))
        }
        Value::Record(r) => {
            let k = ops::to_key(key).ok_or_else(|| {
                Flow::from(Diagnostic::runtime(
                    *span,
                    format!("record keys must be str or int, got {}", key.type_name()),
                ))
            })?;
            let mut m = Arc::unwrap_or_clone(r);
            let old = match m.get(&k) {
                Some(v) => v.clone(),
                None if rest.is_empty() => Value::Null,
                None => return Err(missing_key(&m, &k, *span).into()),
            };
            let new = set_path(old, rest, f)?;
            m.insert(k, new);
            Ok(Value::record(m))
        }
        other => Err(Diagnostic::runtime(
            *span,
            format!("cannot assign into a {}", other.type_name()),
        )
        .hint("only list items and record keys can be assigned")
        .into()),
    }
}

/// `an int cannot be sliced`: an operation a kind of value does not have.
fn kind_error(span: Span, v: &Value, what: &str) -> Flow {
    let t = v.type_name();
    Diagnostic::runtime(span, format!("{} {t} {what}", article(t))).into()
}

/// "a" or "an" before a type name.
pub fn article(type_name: &str) -> &'static str {
    if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn missing_key(r: &Record, key: &Key, span: Span) -> Diagnostic {
    if let Key::Str(k) = key {
        let names: Vec<String> = r.keys().map(|k| k.to_string()).collect();
        if let Some(s) = suggest::closest(k, names.iter().map(String::as_str)) {
            return Diagnostic::runtime(span, format!("the record has no key `{key}`")).hint(
                format!(
                    "did you mean `{s}`? keys present: {}",
                    names
                        .iter()
                        .take(20)
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let mut present: Vec<String> = r.keys().take(20).map(|k| format!("`{k}`")).collect();
    if r.len() > 20 {
        present.push(format!("... ({} keys)", r.len()));
    }
    Diagnostic::runtime(span, format!("the record has no key `{key}`")).hint(if r.is_empty() {
        "the record is empty; use get(r, k, default) for a default".to_string()
    } else {
        format!(
            "keys present: {}; use get(r, k, default) for a default",
            present.join(", ")
        )
    })
}

fn method_misuse(name: &str, recv: &Value, args: &[Value]) -> Option<Diagnostic> {
    let msg = match (name, recv) {
        ("find", Value::Str(_)) if matches!(args.first(), Some(Value::Str(_))) && args.len() == 1 => {
            return Some(
                Diagnostic::new(Stage::Runtime, "`s.find(x)` is Python's index search; rlq's find returns the first match")
                    .hint("write index_of(s, x) for the offset (-1 if absent), or find(s, x) for the match (null if absent)"),
            )
        }
        ("append" | "extend" | "insert" | "update", _) => {
            format!("`.{name}(...)` updates a variable and only works as a statement on its own line")
        }
        ("format", Value::Str(_)) => {
            return Some(
                Diagnostic::new(Stage::Runtime, "rlq strings have no .format()")
                    .hint("use an f-string: f\"{name} has {n} items\""),
            )
        }
        _ => return None,
    };
    Some(Diagnostic::new(Stage::Runtime, msg).hint(format!(
        "write `xs.{name}(x)` as a statement, or build a new value: xs + [x]"
    )))
}

fn op_err(e: OpError, span: Span) -> Flow {
    let d = Diagnostic::runtime(span, e.message);
    match e.hint {
        Some(h) => d.hint(h).into(),
        None => d.into(),
    }
}

/// The error for using a failed sub-call's value in an operation.
pub fn error_value_used(e: &ErrorValue, span: Span) -> Diagnostic {
    Diagnostic::runtime(
        span,
        format!(
            "used the result of a failed sub-call (at {}): {}",
            e.site, e.message
        ),
    )
    .hint("test it first: `if is_error(x) { ... }`, or give a default: `x ?? \"\"`")
}

fn estimate_concat(a: &Value, b: &Value, op: BinOp) -> usize {
    match (op, a, b) {
        (BinOp::Add, Value::Str(x), Value::Str(y)) => x.byte_len() + y.byte_len(),
        (BinOp::Add, Value::List(x), Value::List(y)) => (x.len() + y.len()) * 32,
        (BinOp::Mul, Value::Str(s), Value::Int(n)) | (BinOp::Mul, Value::Int(n), Value::Str(s)) => {
            s.byte_len().saturating_mul((*n).max(0) as usize)
        }
        (BinOp::Mul, Value::List(l), Value::Int(n))
        | (BinOp::Mul, Value::Int(n), Value::List(l)) => l
            .len()
            .saturating_mul((*n).max(0) as usize)
            .saturating_mul(32),
        _ => 0,
    }
}

/// `s[a:b]` on characters, zero-copy for views.
pub fn slice_str(s: &Str, a: Option<i64>, b: Option<i64>) -> Str {
    let needs_len = a.is_some_and(|x| x < 0) || b.is_some_and(|x| x < 0);
    if !needs_len {
        let start = a.map_or(0, |x| x as usize);
        let bs = s.char_to_byte(start);
        let be = match b {
            None => s.byte_len(),
            Some(x) if (x as usize) <= start => bs,
            Some(x) => s.char_to_byte(x as usize),
        };
        return s.sub(bs..be.max(bs));
    }
    let r = ops::slice_range(a, b, s.char_len());
    let bs = s.char_to_byte(r.start);
    let be = s.char_to_byte(r.end);
    s.sub(bs..be.max(bs))
}
