//! Expressions: literals, names, operators, f-strings, lambdas and the
//! dispatch to calls, access and comprehensions.

use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;

use crate::builtins::{self, BuiltinRef};
use crate::diag::Diagnostic;
use crate::suggest;
use crate::syntax::ast::*;
use crate::syntax::span::Span;

use super::call::CallArgs;
use super::env::{visible_names, Scope, BUILTIN, GLOBAL};
use super::errors::*;
use super::flow::{Flow, R};
use super::interp::Runtime;
use super::iterate::{ListResults, RecordResults};
use super::ops::{self};
use super::thread_copies::string_here;
use super::value::*;

impl Runtime {
    /// Evaluates an expression. Names and plain literals are read at once;
    /// every other node counts a step and nests one level deeper (see
    /// [`super::depth`]).
    #[inline]
    pub fn eval(&self, e: &Expr, sc: &Scope, out: &mut dyn Write) -> R<Value> {
        match &e.kind {
            ExprKind::Var(name, hint) => self.lookup(name, hint, e.span, sc),
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Str(s) => Ok(string_literal(s)),
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Float(f) => Ok(Value::Float(*f)),
            _ => {
                self.meter.tick().map_err(|d| d.at(e.span))?;
                super::depth::nest(e.span, || self.eval_here(e, sc, out))
            }
        }
    }

    /// The value of `e`, a variable's read where it lies (no copy), a
    /// literal made in place, any other computed. Inlined where it is used, so that a variable's
    /// reference stays in a register: a value returned comes back through
    /// memory, and reading it right after the callee's stores stalls.
    #[inline(always)]
    pub(super) fn eval_ref<'s>(
        &self,
        e: &Expr,
        sc: &'s Scope,
        out: &mut dyn Write,
    ) -> R<Cow<'s, Value>> {
        match &e.kind {
            ExprKind::Str(s) => return Ok(Cow::Owned(string_literal(s))),
            ExprKind::Int(i) => return Ok(Cow::Owned(Value::Int(*i))),
            _ => {}
        }
        match variable(e, sc) {
            Some(v) => Ok(Cow::Borrowed(v)),
            None => self.eval_owned(e, sc, out),
        }
    }

    /// [`Self::eval`] of the value a statement stores (`x = …`, `x += …`):
    /// an int literal, or int arithmetic over int variables and literals
    /// ([`int_arithmetic`], with the steps `eval` would count), is made
    /// here, in registers. A value `eval` returns comes back through
    /// memory, and the store that follows reads it back before the
    /// callee's writes have settled (a stall on every assignment of a
    /// loop).
    #[inline(always)]
    pub(super) fn eval_stored(&self, e: &Expr, sc: &Scope, out: &mut dyn Write) -> R<Value> {
        match &e.kind {
            ExprKind::Int(i) => return Ok(Value::Int(*i)),
            ExprKind::Binary(..) => {
                // Not through `arithmetic_at_once`: it is kept out of line
                // for `eval`'s sake, and its value would come back through
                // memory.
                let mut operators = 0;
                if let Some(v) = int_arithmetic(e, sc, &mut operators, 0) {
                    self.meter.ticks(operators).map_err(|d| d.at(e.span))?;
                    return Ok(Value::Int(v));
                }
            }
            _ => {}
        }
        self.eval(e, sc, out)
    }

    /// [`Self::eval_ref`] of an expression that is not a variable.
    #[inline(never)]
    fn eval_owned<'s>(&self, e: &Expr, sc: &'s Scope, out: &mut dyn Write) -> R<Cow<'s, Value>> {
        self.eval(e, sc, out).map(Cow::Owned)
    }

    /// Whether the condition `e` (of an `if` or a `while`) holds: its
    /// value's truthiness, with one comparison of two ints decided without
    /// making a value. A value comes back from [`Self::eval`] through
    /// memory, which the caller reads back before the store has settled (a
    /// stall on each test of a tight loop); a bool comes back in a register.
    /// `and` and `or` are decided the same way, each side a condition of
    /// its own (their value is one of the sides, so its truthiness is
    /// theirs).
    #[inline]
    pub(super) fn holds(&self, e: &Expr, sc: &Scope, out: &mut dyn Write) -> R<bool> {
        match &e.kind {
            ExprKind::Compare(first, rest) => {
                let mut operators = 0;
                if let Some(holds) = ints_compared(first, rest, sc, &mut operators) {
                    // The steps `eval` would count for the comparison and
                    // its operands' operators.
                    self.meter.ticks(1 + operators).map_err(|d| d.at(e.span))?;
                    return Ok(holds);
                }
            }
            ExprKind::And(a, b) => return self.both_hold(e, a, b, true, sc, out),
            ExprKind::Or(a, b) => return self.both_hold(e, a, b, false, sc, out),
            _ => {}
        }
        Ok(self.eval(e, sc, out)?.into_truthy())
    }

    /// [`Self::holds`] of `e`, which is `a and b` (`all`) or `a or b`,
    /// with the step and the nesting `eval` would count for it.
    #[inline(never)]
    fn both_hold(
        &self,
        e: &Expr,
        a: &Expr,
        b: &Expr,
        all: bool,
        sc: &Scope,
        out: &mut dyn Write,
    ) -> R<bool> {
        self.meter.tick().map_err(|d| d.at(e.span))?;
        super::depth::nest(e.span, || {
            if self.holds(a, sc, out)? != all {
                return Ok(!all);
            }
            self.holds(b, sc, out)
        })
    }

    /// [`Self::eval_ref`] of `e`, which is `x.name`: the field where it
    /// lies when `x` is a record variable that has it (a filter's
    /// `r.label == "x"` copies nothing).
    #[inline(never)]
    fn field_ref<'s>(
        &self,
        e: &Expr,
        x: &Expr,
        name: &str,
        sc: &'s Scope,
        out: &mut dyn Write,
    ) -> R<Cow<'s, Value>> {
        if let Some(Value::Record(r)) = variable(x, sc) {
            if let Some(v) = r.field(name) {
                self.meter.tick().map_err(|d| d.at(e.span))?;
                return Ok(Cow::Borrowed(v));
            }
        }
        self.eval(e, sc, out).map(Cow::Owned)
    }

    fn eval_here(&self, e: &Expr, sc: &Scope, out: &mut dyn Write) -> R<Value> {
        match &e.kind {
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Float(f) => Ok(Value::Float(*f)),
            ExprKind::Str(s) => Ok(string_literal(s)),
            ExprKind::Var(name, hint) => self.lookup(name, hint, e.span, sc),
            ExprKind::Binary(op, a, b) => {
                if nested_arithmetic(a, b) {
                    if let Some(v) = self.arithmetic_at_once(e, sc) {
                        return v;
                    }
                }
                let x = self.eval(a, sc, out)?;
                let y = self.eval(b, sc, out)?;
                match Value::int_pair(x, y) {
                    Ok((p, q)) => match ops::int_fast(*op, p, q) {
                        Some(v) => Ok(v),
                        None => {
                            self.binary(*op, &Value::Int(p), &Value::Int(q), a.span, b.span, e.span)
                        }
                    },
                    Err((x, y)) => self.binary(*op, &x, &y, a.span, b.span, e.span),
                }
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
            ExprKind::Compare(first, rest) => {
                let mut operators = 0;
                if let Some(holds) = ints_compared(first, rest, sc, &mut operators) {
                    if operators > 0 {
                        self.meter.ticks(operators).map_err(|d| d.at(e.span))?;
                    }
                    return Ok(Value::Bool(holds));
                }
                if let [(op, rhs)] = rest.as_slice() {
                    // One comparison (a filter's test): variables read
                    // where they lie.
                    let left = match &first.kind {
                        ExprKind::Field(x, name) => self.field_ref(first, x, name, sc, out)?,
                        _ => self.eval_ref(first, sc, out)?,
                    };
                    self.no_error(&left, first.span)?;
                    // A string against a literal (`r.label == "x"`): the
                    // bytes compared, with no value made for the literal.
                    if let (Value::Str(s), ExprKind::Str(lit), CmpOp::Eq | CmpOp::Ne) =
                        (&*left, &rhs.kind, op)
                    {
                        let same = s.bytes() == lit.as_bytes();
                        return Ok(Value::Bool(same == (*op == CmpOp::Eq)));
                    }
                    let right = self.eval_ref(rhs, sc, out)?;
                    if let (Value::Int(x), Value::Int(y)) = (&*left, &*right) {
                        if let Some(holds) = ops::int_compare(*op, *x, *y) {
                            return Ok(Value::Bool(holds));
                        }
                    }
                    return self.compare(*op, &left, &right, first, rhs);
                }
                let mut left = self.eval(first, sc, out)?;
                self.no_error(&left, first.span)?;
                for (op, rhs) in rest {
                    let right = self.eval(rhs, sc, out)?;
                    let fast = match (&left, &right) {
                        (Value::Int(x), Value::Int(y)) => ops::int_compare(*op, *x, *y),
                        _ => None,
                    };
                    let holds = match fast {
                        Some(holds) => holds,
                        None => self.compare(*op, &left, &right, first, rhs)?.truthy(),
                    };
                    if !holds {
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
                if self.holds(cond, sc, out)? {
                    self.eval(then, sc, out)
                } else {
                    self.eval(otherwise, sc, out)
                }
            }
            ExprKind::Call { callee, args, .. } => {
                // A function in a variable is called where it lies: no
                // count of its shared value goes up and down per call
                // (which threads mapping the same function would fight over).
                if let ExprKind::Var(name, hint) = &callee.kind {
                    let h = hint.get();
                    if h & BUILTIN == 0 {
                        if let Some(f) = sc.find(name, hint) {
                            return self.call_found(f, callee, args, sc, out, e.span);
                        }
                    } else if let Some(b) = hinted_builtin(name, h, sc) {
                        // Made here, not returned by `eval`: a value
                        // returned comes back through memory, and reading
                        // it right after the callee's stores stalls.
                        let f = Value::Func(Func::Builtin(b));
                        return self.call_found(&f, callee, args, sc, out, e.span);
                    }
                }
                let f = self.eval(callee, sc, out)?;
                self.call_found(&f, callee, args, sc, out, e.span)
            }
            ExprKind::Field(x, name) => {
                let v = self.eval_ref(x, sc, out)?;
                self.field(&v, name, e.span)
            }
            ExprKind::Index(x, i) => {
                match (&x.kind, &i.kind) {
                    (ExprKind::Field(inner, name), _) if &**name == "groups" => {
                        return self.group_of(e, x, inner, i, sc, out);
                    }
                    (ExprKind::Call { .. } | ExprKind::Method { .. }, ExprKind::Int(k)) => {
                        if let Some(v) = self.split_field(x, *k, sc, out) {
                            return v;
                        }
                    }
                    _ => {}
                }
                let v = self.eval_ref(x, sc, out)?;
                let idx = self.eval_ref(i, sc, out)?;
                self.index(&v, &idx, e.span)
            }
            ExprKind::Regex(src) => self
                .regex_literal(src)
                .map(Value::Regex)
                .map_err(|d| d.at(e.span).into()),
            ExprKind::FString(parts) => self.fstring(parts, sc, out),
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
                let mut results = ListResults {
                    elem,
                    items: Vec::new(),
                };
                let mut local = self.comp_scope(sc, clauses);
                self.comprehend(clauses, &mut local, out, &mut results)?;
                Ok(Value::list(results.items))
            }
            ExprKind::RecordComp {
                key,
                value,
                clauses,
            } => {
                let mut results = RecordResults {
                    key,
                    value,
                    record: Record::default(),
                };
                let mut local = self.comp_scope(sc, clauses);
                self.comprehend(clauses, &mut local, out, &mut results)?;
                Ok(Value::record(results.record))
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
            ExprKind::Coalesce(a, b) => self.coalesce(a, b, sc, out),
            ExprKind::Method { .. } => self.method(e, sc, out),
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

    /// `e`, an operator over others, computed at once when it is int
    /// arithmetic over int variables and literals (see [`int_arithmetic`]);
    /// its own step was counted on the way in, its inner operators' are
    /// counted here.
    #[inline(never)]
    fn arithmetic_at_once(&self, e: &Expr, sc: &Scope) -> Option<R<Value>> {
        let mut operators = 0;
        let v = int_arithmetic(e, sc, &mut operators, 0)?;
        Some(
            self.meter
                .ticks(operators - 1)
                .map(|()| Value::Int(v))
                .map_err(|d| d.at(e.span).into()),
        )
    }

    /// `callee(args)` once the callee's value `f` is known.
    fn call_found(
        &self,
        f: &Value,
        callee: &Expr,
        args: &[Arg],
        sc: &Scope,
        out: &mut dyn Write,
        span: Span,
    ) -> R<Value> {
        if let ExprKind::Var(name, _) = &callee.kind {
            self.not_the_builtin(name, f, callee.span)?;
        }
        match f {
            Value::Func(Func::Def(d)) => {
                if let Some(result) = self.call_def_direct(d, args, sc, out, span) {
                    return result;
                }
            }
            Value::Func(Func::Lambda(l)) => {
                if let Some(result) = self.call_lambda_direct(l, args, sc, out, span) {
                    return result;
                }
            }
            Value::Func(Func::Builtin(b)) => {
                if let Some(result) = self.call_builtin_inline(*b, args, sc, out, span) {
                    return result;
                }
            }
            _ => {}
        }
        let (argv, kwargs) = self.eval_args(args, sc, out)?;
        self.call_value(f, argv, kwargs, sc, out, span, callee.span)
    }

    /// `m.groups[i]`: one group of a match, without building the list of
    /// all groups (any other value takes the general path).
    fn group_of(
        &self,
        e: &Expr,
        x: &Expr,
        inner: &Expr,
        i: &Expr,
        sc: &Scope,
        out: &mut dyn Write,
    ) -> R<Value> {
        self.meter.tick().map_err(|d| d.at(x.span))?;
        // `m.groups[0]`: a match variable and an int index, read in place.
        if let (Some(Value::Match(m)), Some(n)) = (variable(inner, sc), int_operand(i, sc)) {
            if let Some(k) = ops::resolve_index(n, m.groups.len()) {
                return Ok(m.group(k));
            }
        }
        let v = self.eval_ref(inner, sc, out)?;
        let idx = match &*v {
            Value::Match(m) => {
                let idx = self.eval(i, sc, out)?;
                if let Value::Int(n) = idx {
                    if let Some(k) = ops::resolve_index(n, m.groups.len()) {
                        return Ok(m.group(k));
                    }
                }
                idx
            }
            _ => {
                let list = self.field(&v, "groups", x.span)?;
                let idx = self.eval(i, sc, out)?;
                return self.index(&list, &idx, e.span);
            }
        };
        self.index(&self.field(&v, "groups", x.span)?, &idx, e.span)
    }

    pub(super) fn eval_args(&self, args: &[Arg], sc: &Scope, out: &mut dyn Write) -> R<CallArgs> {
        // Room for a builtin's optional parameters, which its binding fills
        // in place.
        self.eval_args_into(Vec::with_capacity(args.len().max(4)), args, sc, out)
    }

    /// [`Self::eval_args`] with `first` before them (a method's receiver).
    pub(super) fn eval_args_after(
        &self,
        first: Value,
        args: &[Arg],
        sc: &Scope,
        out: &mut dyn Write,
    ) -> R<CallArgs> {
        let mut argv = Vec::with_capacity((args.len() + 1).max(4));
        argv.push(first);
        self.eval_args_into(argv, args, sc, out)
    }

    fn eval_args_into(
        &self,
        mut argv: Vec<Value>,
        args: &[Arg],
        sc: &Scope,
        out: &mut dyn Write,
    ) -> R<CallArgs> {
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

    /// `left op right` of a comparison whose operands are `first`..`rhs`.
    fn compare(
        &self,
        op: CmpOp,
        left: &Value,
        right: &Value,
        first: &Expr,
        rhs: &Expr,
    ) -> R<Value> {
        self.no_error(left, first.span)?;
        self.no_error(right, rhs.span)?;
        ops::compare_op(op, left, right).map_err(|err| op_err(err, first.span.to(rhs.span)))
    }

    /// The value of a name: a variable found through its hint (the common
    /// case, inlined where names are read), else [`Self::lookup_slow`].
    #[inline(always)]
    pub(super) fn lookup(&self, name: &Name, hint: &SlotHint, span: Span, sc: &Scope) -> R<Value> {
        let h = hint.get();
        if h & BUILTIN == 0 {
            if let Some(v) = sc.find(name, hint) {
                return Ok(match v {
                    Value::Int(i) => Value::Int(*i),
                    other => other.clone(),
                });
            }
        } else if let Some(b) = hinted_builtin(name, h, sc) {
            return Ok(Value::Func(Func::Builtin(b)));
        }
        self.lookup_slow(name, hint, span, sc)
    }

    /// [`Self::lookup`] of a name not yet seen, hidden, or whose hint is
    /// stale.
    #[inline(never)]
    fn lookup_slow(&self, name: &Name, hint: &SlotHint, span: Span, sc: &Scope) -> R<Value> {
        if let Some(v) = sc.find(name, hint) {
            return Ok(v.clone());
        }
        if let Some(b) = builtin_named(name, hint) {
            return Ok(Value::Func(Func::Builtin(b)));
        }
        Err(self.unknown_name(name, span, sc).into())
    }

    pub(super) fn unknown_name(&self, name: &str, span: Span, sc: &Scope) -> Diagnostic {
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

    pub(super) fn key_of(&self, v: &Value, span: Span) -> R<Key> {
        ops::to_key(v).ok_or_else(|| bad_key(v, span))
    }

    /// `v` as a borrowed record key, for a lookup.
    pub(super) fn key_ref_of<'v>(&self, v: &'v Value, span: Span) -> R<KeyRef<'v>> {
        ops::key_ref(v).ok_or_else(|| bad_key(v, span))
    }

    pub(super) fn fstring(
        &self,
        parts: &[FStringPart],
        sc: &Scope,
        out: &mut dyn Write,
    ) -> R<Value> {
        let mut s = String::with_capacity(parts.len() * 8);
        for p in parts {
            match p {
                FStringPart::Text(t) => s.push_str(t),
                FStringPart::Expr { expr, spec } => {
                    let v = self.eval(expr, sc, out)?;
                    self.no_error(&v, expr.span)?;
                    match spec {
                        None => self.push_shown(&mut s, &v, false, expr.span)?,
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

    /// `x op y` for an arithmetic operator: two ints at once; otherwise a
    /// string or list result is checked against the memory limit before
    /// it is built.
    #[inline]
    pub(super) fn binary(
        &self,
        op: BinOp,
        x: &Value,
        y: &Value,
        x_span: Span,
        y_span: Span,
        span: Span,
    ) -> R<Value> {
        if let (Value::Int(a), Value::Int(b)) = (x, y) {
            if let Some(v) = ops::int_fast(op, *a, *b) {
                return Ok(v);
            }
        }
        self.no_error(x, x_span)?;
        self.no_error(y, y_span)?;
        self.meter
            .check_memory(ops::result_size(op, x, y))
            .map_err(|d| d.at(span))?;
        ops::binary(op, x, y).map_err(|err| op_err(err, span))
    }

    /// Fails when `v` is a failed sub-call used in an operation.
    #[inline]
    pub fn no_error(&self, v: &Value, span: Span) -> R<()> {
        match v {
            Value::Error(e) => Err(error_value_used(e, span).into()),
            _ => Ok(()),
        }
    }
}

/// The int `e` is when it is an int literal or a variable holding an int
/// (reading either does nothing else).
#[inline(always)]
fn int_operand(e: &Expr, sc: &Scope) -> Option<i64> {
    match (&e.kind, variable(e, sc)) {
        (ExprKind::Int(i), _) | (_, Some(Value::Int(i))) => Some(*i),
        _ => None,
    }
}

/// Operators deep that [`int_arithmetic`] looks (deeper trees take the
/// general path, which guards the stack).
const INT_ARITHMETIC_DEPTH: u32 = 32;

/// The int that `e`, arithmetic over int variables and literals such as
/// `(acc + i * i) % m`, gives, computed at once, with `operators` counting
/// its operators. `None` when an operand is not an int or an operation
/// leaves the ints' fast cases (overflow, a negative modulus, a division):
/// the general path then evaluates `e` afresh (reading variables has no
/// effect) and reports or handles it.
fn int_arithmetic(e: &Expr, sc: &Scope, operators: &mut u64, depth: u32) -> Option<i64> {
    match &e.kind {
        ExprKind::Binary(op, a, b) if depth < INT_ARITHMETIC_DEPTH => {
            let x = int_term(a, sc, operators, depth)?;
            let y = int_term(b, sc, operators, depth)?;
            *operators += 1;
            ops::int_arith(*op, x, y)
        }
        _ => int_operand(e, sc),
    }
}

/// An operand of [`int_arithmetic`] at `depth`: a variable or literal read
/// here (most operands are one), an operator computed one level down.
#[inline(always)]
fn int_term(e: &Expr, sc: &Scope, operators: &mut u64, depth: u32) -> Option<i64> {
    match &e.kind {
        ExprKind::Binary(..) => int_arithmetic(e, sc, operators, depth + 1),
        _ => int_operand(e, sc),
    }
}

/// Whether `a op b` is worth trying with [`int_arithmetic`]: an operator
/// over another (over two plain operands the general path is as quick),
/// with no operand that cannot be an int variable or literal (a call, say).
#[inline(always)]
fn nested_arithmetic(a: &Expr, b: &Expr) -> bool {
    let shaped = |e: &Expr| {
        matches!(
            e.kind,
            ExprKind::Var(..) | ExprKind::Int(_) | ExprKind::Binary(..)
        )
    };
    let nested = |e: &Expr| matches!(e.kind, ExprKind::Binary(..));
    (nested(a) || nested(b)) && shaped(a) && shaped(b)
}

/// The value of `e` where it lies when `e` names a variable (a name whose
/// hint says builtin is looked up the general way).
#[inline(always)]
fn variable<'s>(e: &Expr, sc: &'s Scope) -> Option<&'s Value> {
    match &e.kind {
        ExprKind::Var(name, hint) if hint.get() & BUILTIN == 0 => sc.find(name, hint),
        _ => None,
    }
}

/// One comparison of two ints, `first` then `rest`, decided at once (a
/// loop's test, a filter's, `i % 3 == 0`): each side a variable, a literal
/// or [`int_arithmetic`] over them, whose operators are added to
/// `operators`. The sides' values never leave registers.
#[inline(always)]
fn ints_compared(
    first: &Expr,
    rest: &[(CmpOp, Expr)],
    sc: &Scope,
    operators: &mut u64,
) -> Option<bool> {
    let [(op, rhs)] = rest else { return None };
    let x = int_term(first, sc, operators, 0)?;
    ops::int_compare(*op, x, int_term(rhs, sc, operators, 0)?)
}

/// The value of the string literal `s`: the interned text itself, or
/// this thread's copy of a long one (see [`string_here`]).
#[inline(always)]
fn string_literal(s: &SharedStr) -> Value {
    Value::Str(Str::Owned(match s {
        SharedStr::Interned(_) => s.clone(),
        SharedStr::Counted(long) => SharedStr::Counted(string_here(long)),
    }))
}

/// The builtin `name` is, when the hint `h` points at one and no variable
/// here can hide it.
#[inline(always)]
pub(super) fn hinted_builtin(name: &str, h: u32, sc: &Scope) -> Option<BuiltinRef> {
    if h & BUILTIN != 0 && h & GLOBAL == 0 && !sc.may_hide(name, h & !BUILTIN) {
        builtins::at(h & !BUILTIN)
    } else {
        None
    }
}

/// A call written `f(x, rest…)` or `x.f(rest…)`, taken apart.
pub(super) struct ReceiverCall<'e> {
    /// `x`: the first argument, or the receiver.
    pub recv: &'e Expr,
    /// The arguments after `x`.
    pub rest: &'e [Arg],
    /// The name called.
    pub name: &'e Name,
    /// Where `name` was found last.
    pub hint: &'e SlotHint,
    /// Written `x.f(…)`: a field `f` of a record `x` is called instead.
    pub method: bool,
}

/// `e` as a [`ReceiverCall`], when it is a call of a name whose first
/// argument is given by position, or a method call.
pub(super) fn receiver_call(e: &Expr) -> Option<ReceiverCall<'_>> {
    match &e.kind {
        ExprKind::Call { callee, args, .. } => match (&callee.kind, args.split_first()) {
            (ExprKind::Var(name, hint), Some((first, rest))) if first.name.is_none() => {
                Some(ReceiverCall {
                    recv: &first.value,
                    rest,
                    name,
                    hint,
                    method: false,
                })
            }
            _ => None,
        },
        ExprKind::Method {
            recv,
            name,
            args,
            hint,
            ..
        } => Some(ReceiverCall {
            recv,
            rest: args,
            name,
            hint,
            method: true,
        }),
        _ => None,
    }
}

/// The builtin called `name`, remembered in `hint` for the next time.
pub(super) fn builtin_named(name: &str, hint: &SlotHint) -> Option<BuiltinRef> {
    let (i, b) = builtins::lookup_indexed(name)?;
    hint.set(i | BUILTIN);
    Some(b)
}

/// The error for a value that cannot be a record key.
fn bad_key(v: &Value, span: Span) -> Flow {
    Diagnostic::runtime(
        span,
        format!("record keys must be str or int, got {}", v.type_name()),
    )
    .hint("convert the key with str(k)")
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_string_literal_is_its_interned_text_and_a_long_one_a_counted_copy() {
        let short = SharedStr::intern("harbor");
        let Value::Str(Str::Owned(SharedStr::Interned(s))) = string_literal(&short) else {
            panic!("a short literal evaluates to its interned text");
        };
        assert!(std::ptr::eq(s, &*short));
        let long = SharedStr::intern(&"x".repeat(100));
        let Value::Str(Str::Owned(SharedStr::Counted(s))) = string_literal(&long) else {
            panic!("a long literal is not interned");
        };
        assert_eq!(&*s, &*long);
    }
}
