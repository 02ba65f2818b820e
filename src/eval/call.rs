//! Calls: builtins, `def` functions, lambdas and methods (`x.f(a)` is
//! `f(x, a)`), with the call-depth limit.

use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;

use crate::builtins::{self, BuiltinRef, CallCx};
use crate::diag::{Diagnostic, Stage};
use crate::suggest;
use crate::syntax::ast::*;
use crate::syntax::span::Span;

use super::env::{Globals, Locals, Scope};
use super::errors::*;
use super::expr::{builtin_named, hinted_builtin};
use super::flow::{Flow, R};
use super::interp::Runtime;
use super::value::*;

/// Positional and keyword arguments of a call, evaluated.
pub(super) type CallArgs = (Vec<Value>, Vec<(Name, Value)>);

impl Runtime {
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
        match f {
            // A builtin is no level of its own: the functions it calls back
            // (`map`'s, `sort`'s key) each enter theirs.
            Func::Builtin(b) => {
                let mut cx = self.builtin_cx(*b, globals, locals, out, span);
                builtins::invoke(*b, &mut cx, args, kwargs)
            }
            Func::Def(d) => super::depth::enter(true, span, || {
                self.call_def(d, args, kwargs, globals, out, span)
            }),
            Func::Lambda(l) => super::depth::enter(true, span, || {
                self.call_lambda(l, args, kwargs, globals, out, span)
            }),
        }
    }

    /// [`Self::call`] with one positional argument: how `map`, `filter`,
    /// `sort`'s key and the other higher-order builtins call their
    /// function once per item. A one-parameter lambda binds the item
    /// directly, with no vector of arguments.
    pub fn call_one(
        &self,
        f: &Func,
        x: Value,
        globals: &Globals,
        locals: Option<&Locals>,
        out: &mut dyn Write,
        span: Span,
    ) -> R<Value> {
        match f {
            Func::Lambda(l) if l.lambda.params.len() == 1 => {
                super::depth::enter(true, span, || {
                    self.run_lambda(l, std::iter::once(x), globals, out)
                })
            }
            _ => self.call(f, vec![x], Vec::new(), globals, locals, out, span),
        }
    }

    pub(super) fn call_def(
        &self,
        d: &DefValue,
        args: Vec<Value>,
        kwargs: Vec<(Name, Value)>,
        globals: &Globals,
        out: &mut dyn Write,
        span: Span,
    ) -> R<Value> {
        let def = &d.def;
        if kwargs.is_empty() && takes_by_position(d, args.len()) {
            // The common call: every parameter given by position.
            let locals = positional_locals(def, args.into_iter().map(Ok))?;
            return self.run_body(def, Scope::Local { globals, locals }, out);
        }
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
        self.run_body(def, sc, out)
    }

    /// Calls `d` with every argument given by position in `args`, when it
    /// closes over nothing and takes that many: the arguments are evaluated
    /// straight into the call's locals. `None` for any other call.
    pub(super) fn call_def_direct(
        &self,
        d: &DefValue,
        args: &[Arg],
        sc: &Scope,
        out: &mut dyn Write,
        span: Span,
    ) -> Option<R<Value>> {
        let def = &d.def;
        if !takes_by_position(d, args.len()) || args.iter().any(|a| a.name.is_some()) {
            return None;
        }
        let values = args.iter().map(|a| self.eval(&a.value, sc, out));
        let locals = match positional_locals(def, values) {
            Ok(locals) => locals,
            Err(flow) => return Some(Err(flow)),
        };
        let globals = sc.globals();
        Some(super::depth::enter(true, span, || {
            self.run_body(def, Scope::Local { globals, locals }, out)
        }))
    }

    /// Calls `l` with every argument given by position in `args`, one per
    /// parameter, when each parameter is a plain name that may be bound:
    /// the arguments are evaluated in the caller's scope and bound straight
    /// into the call's, with no vector of them. (Binding such a name cannot
    /// fail, so binding each argument as it comes is the general path's
    /// evaluating them all first.) `None` for any other call.
    pub(super) fn call_lambda_direct(
        &self,
        l: &LambdaValue,
        args: &[Arg],
        sc: &Scope,
        out: &mut dyn Write,
        span: Span,
    ) -> Option<R<Value>> {
        let lam = &l.lambda;
        let plain = |p: &Pattern| match p {
            Pattern::Name(n, ..) => !crate::check::INPUTS.contains(&&**n),
            _ => false,
        };
        if args.len() != lam.params.len()
            || args.iter().any(|a| a.name.is_some())
            || !lam.params.iter().all(plain)
        {
            return None;
        }
        let mut callee = Scope::Local {
            globals: sc.globals(),
            locals: l.captured.with_room(lam.params.len()),
        };
        for (p, a) in lam.params.iter().zip(args) {
            let v = match self.eval(&a.value, sc, out) {
                Ok(v) => v,
                Err(flow) => return Some(Err(flow)),
            };
            if let Pattern::Name(n, _, hint) = p {
                callee.bind(n, hint, v);
            }
        }
        Some(super::depth::enter(true, span, || {
            self.eval(&lam.body, &callee, out)
        }))
    }

    /// `b(args)` with every argument given by position to a builtin that
    /// [takes them inline](builtins::BuiltinRef::takes_inline): evaluated
    /// into slots on the stack, with no vector built. `None` when the call
    /// takes the general path.
    pub(super) fn call_builtin_inline(
        &self,
        b: BuiltinRef,
        args: &[Arg],
        sc: &Scope,
        out: &mut dyn Write,
        span: Span,
    ) -> Option<R<Value>> {
        if !b.takes_inline(args.len()) || args.iter().any(|a| a.name.is_some()) {
            return None;
        }
        let mut slots: [builtins::Slot; builtins::INLINE_PARAMS] = Default::default();
        for (slot, a) in slots.iter_mut().zip(args) {
            match self.eval_ref(&a.value, sc, out) {
                Ok(v) => *slot = Some(v),
                Err(flow) => return Some(Err(flow)),
            }
        }
        let mut cx = self.builtin_cx(b, sc.globals(), sc.locals(), out, span);
        Some(builtins::invoke_inline(b, &mut cx, &slots, args.len()))
    }

    /// The surroundings of a call of `b`.
    fn builtin_cx<'a>(
        &'a self,
        b: BuiltinRef,
        globals: &'a Globals,
        locals: Option<&'a Locals>,
        out: &'a mut dyn Write,
        span: Span,
    ) -> CallCx<'a> {
        CallCx {
            rt: self,
            globals,
            locals,
            out,
            span,
            name: b.name(),
        }
    }

    /// Runs a `def`'s body in its call's scope; its value is what it returns.
    ///
    /// A body that ends in `return e` (most do) evaluates `e` here, with
    /// the step `exec` counts for the statement, rather than as an early
    /// exit back through the block.
    fn run_body<'g>(&self, def: &'g FnDef, mut sc: Scope<'g>, out: &mut dyn Write) -> R<Value> {
        let done = match def.body.split_last() {
            Some((
                Stmt {
                    kind: StmtKind::Return(e),
                    ..
                },
                before,
            )) => self.exec_block(before, &mut sc, out).and_then(|()| {
                self.meter.tick()?;
                match e {
                    Some(e) => self.eval(e, &sc, out),
                    None => Ok(Value::Null),
                }
            }),
            _ => self
                .exec_block(&def.body, &mut sc, out)
                .map(|()| Value::Null),
        };
        match done {
            Ok(v) => Ok(v),
            Err(Flow::Return(v)) => Ok(v),
            Err(Flow::Break | Flow::Continue) => {
                Err(Diagnostic::runtime(def.span, "`break` or `continue` outside a loop").into())
            }
            Err(other) => Err(other),
        }
    }

    pub(super) fn call_lambda(
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
        self.run_lambda(l, args.into_iter(), globals, out)
    }

    /// Binds a lambda's parameters to `args` (as many as it has) over the
    /// locals it captured, and evaluates its body.
    fn run_lambda(
        &self,
        l: &LambdaValue,
        args: impl Iterator<Item = Value>,
        globals: &Globals,
        out: &mut dyn Write,
    ) -> R<Value> {
        let lam = &l.lambda;
        let mut sc = Scope::Local {
            globals,
            locals: l.captured.with_room(lam.params.len()),
        };
        for (p, v) in lam.params.iter().zip(args) {
            self.bind(p, v, &mut sc)?;
        }
        self.eval(&lam.body, &sc, out)
    }

    /// `x.name(args)`: the field `name` of a record `x` that has one and
    /// holds a function, called; otherwise the function `name` called as
    /// `name(x, args)` (or, when there is none, the field, which then fails
    /// as no function). A record used as a dict keeps its methods whatever
    /// keys it holds: `counts.get(w, 0)` works when a counted word is `get`.
    pub(super) fn method(&self, e: &Expr, sc: &Scope, out: &mut dyn Write) -> R<Value> {
        let ExprKind::Method {
            recv,
            name,
            name_span,
            args,
            hint,
        } = &e.kind
        else {
            unreachable!("method() is called on a method call")
        };
        let (name_span, span) = (*name_span, e.span);
        let r = self.eval_ref(recv, sc, out)?;
        if let Value::Record(rec) = &*r {
            if let Some(v) = rec.field(name) {
                if matches!(v, Value::Func(_)) || self.method_function(name, hint, sc).is_none() {
                    let (argv, kwargs) = self.eval_args(args, sc, out)?;
                    return self.call_value(v, argv, kwargs, sc, out, span, name_span);
                }
            }
        }
        if let Value::Error(err) = &*r {
            return Err(error_value_used(err, recv.span).into());
        }
        if args.len() < builtins::INLINE_PARAMS && args.iter().all(|a| a.name.is_none()) {
            return self.method_inline(r, name, hint, args, sc, out, (span, name_span));
        }
        let (mut argv, kwargs) = self.eval_args_after(r.into_owned(), args, sc, out)?;
        if let Some(d) = method_misuse(name, &argv[0], argv.get(1), argv.len() - 1) {
            return Err(d.at(name_span).into());
        }
        if swaps_for_join(name, &argv[0], argv.get(1)) {
            argv.swap(0, 1);
        }
        let Some(f) = self.method_function(name, hint, sc) else {
            return Err(no_method(name, &argv[0], name_span).into());
        };
        self.call_value(&f, argv, kwargs, sc, out, span, name_span)
    }

    /// [`Self::method`] with the receiver `r` and a few arguments, all by
    /// position: they are evaluated into slots on the stack, which a
    /// builtin that [takes them inline](builtins::BuiltinRef::takes_inline)
    /// reads in place.
    #[allow(clippy::too_many_arguments)]
    fn method_inline(
        &self,
        r: Cow<'_, Value>,
        name: &Name,
        hint: &SlotHint,
        args: &[Arg],
        sc: &Scope,
        out: &mut dyn Write,
        (span, name_span): (Span, Span),
    ) -> R<Value> {
        let mut slots: [builtins::Slot; builtins::INLINE_PARAMS] = Default::default();
        let given = args.len() + 1;
        for (slot, a) in slots[1..].iter_mut().zip(args) {
            *slot = Some(self.eval_ref(&a.value, sc, out)?);
        }
        if let Some(d) = method_misuse(name, &r, slots[1].as_deref(), args.len()) {
            return Err(d.at(name_span).into());
        }
        let Some(f) = self.method_function(name, hint, sc) else {
            return Err(no_method(name, &r, name_span).into());
        };
        let join = swaps_for_join(name, &r, slots[1].as_deref());
        slots[0] = Some(r);
        if join {
            slots.swap(0, 1);
        }
        if let Value::Func(Func::Builtin(b)) = &f {
            if b.takes_inline(given) {
                let mut cx = self.builtin_cx(*b, sc.globals(), sc.locals(), out, span);
                return builtins::invoke_inline(*b, &mut cx, &slots, given);
            }
        }
        let argv = slots.into_iter().flatten().map(Cow::into_owned).collect();
        self.call_value(&f, argv, Vec::new(), sc, out, span, name_span)
    }

    /// The function `x.name(...)` calls: a function variable called
    /// `name`, else the builtin, found through `hint`.
    #[inline]
    fn method_function(&self, name: &Name, hint: &SlotHint, sc: &Scope) -> Option<Value> {
        if let Some(b) = hinted_builtin(name, hint.get(), sc) {
            return Some(Value::Func(Func::Builtin(b)));
        }
        if let Some(v @ Value::Func(_)) = sc.find(name, hint) {
            return Some(v.clone());
        }
        builtin_named(name, hint).map(|b| Value::Func(Func::Builtin(b)))
    }
}

/// The error for `x.name(...)` when no function `name` exists.
fn no_method(name: &str, recv: &Value, name_span: Span) -> Diagnostic {
    let d = Diagnostic::runtime(
        name_span,
        format!("no method `{name}` on {}", recv.type_name()),
    );
    match builtins::python_hint(name) {
        Some(h) => d.hint(h),
        None => match suggest::closest(name, builtins::names()) {
            Some(s) => d.hint(format!("did you mean `{s}`? x.f(a) calls f(x, a)")),
            None => d.hint("x.f(a) calls the builtin or def f as f(x, a)"),
        },
    }
}

/// Whether `a.join(b)` is Python's `",".join(xs)` (or `",".join("abc")`,
/// the characters of a text): the separator first, so the arguments swap.
fn swaps_for_join(name: &str, a: &Value, b: Option<&Value>) -> bool {
    name == "join"
        && matches!(a, Value::Str(_))
        && matches!(b, Some(Value::List(_) | Value::Str(_)))
}

/// A method call that is Python's and means something else in rlq (or
/// only works as a statement): `recv.name(first, ...)` with `n_args`
/// arguments after the receiver.
pub(super) fn method_misuse(
    name: &str,
    recv: &Value,
    first: Option<&Value>,
    n_args: usize,
) -> Option<Diagnostic> {
    let msg = match (name, recv) {
        ("find", Value::Str(_)) if matches!(first, Some(Value::Str(_))) && n_args == 1 => {
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

/// Whether a call of `d` with `n` positional arguments binds them straight
/// to its parameters: it closes over nothing and takes exactly `n`.
fn takes_by_position(d: &DefValue, n: usize) -> bool {
    d.captured.is_none() && n == d.def.params.len()
}

/// The locals of a call of `def` given one value per parameter, in order.
fn positional_locals<'n>(def: &'n FnDef, values: impl Iterator<Item = R<Value>>) -> R<Locals<'n>> {
    let mut locals = Locals::with_capacity(def.params.len() + 2);
    for (p, v) in def.params.iter().zip(values) {
        locals.push_param(&p.name, v?);
    }
    Ok(locals)
}
