//! Checks a parsed program before it runs: names that are never defined,
//! builtin calls with the wrong arguments, assignments to the inputs
//! (`context`, `docs`, `question`), a built-in called where the program
//! has made its name a plain value, and `return`/`break` out of place.
//! Every problem is reported, each with a hint; `rlmq check` prints them
//! and the interpreter refuses to start.
//!
//! Scope is Python's: a variable or parameter may shadow a built-in, a
//! `def`'s locals shadow only inside it.

use std::collections::{HashMap, HashSet};

use crate::builtins;
use crate::diag::{Diagnostic, Stage};
use crate::eval::interp::walk_expr;
use crate::suggest;
use crate::syntax::ast::*;
use crate::syntax::span::{SourceMap, Span};

/// Names bound by whoever runs the program, which it may read but not assign.
pub const INPUTS: &[&str] = &["context", "docs", "question"];

/// Checks `program`; `predefined` are names bound before it runs
/// (`context`, `docs`, the standard library, a session's variables);
/// `sources` turns spans into line numbers for messages.
pub fn check<'a>(
    program: &Program,
    predefined: impl IntoIterator<Item = &'a str>,
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let mut bound: HashSet<String> = predefined.into_iter().map(str::to_string).collect();
    bound.insert("context".into());
    bound.insert("docs".into());
    let mut globals = Binds::default();
    for n in &bound {
        globals.add_predefined(n);
    }
    globals.collect(&program.stmts);
    collect_names(&program.stmts, &mut bound);
    let mut c = Checker {
        bound,
        scopes: vec![globals],
        diags: Vec::new(),
        sources,
    };
    c.block(&program.stmts, false, false);
    c.diags
}

/// The message and hint for a call of `name` where it is the script's
/// variable; `what` says what is known of it ("assigned at line 3").
pub fn shadowed_message(name: &str, what: &str) -> (String, String) {
    (
        format!("`{name}` is the script's variable here ({what}), not the built-in {name}()"),
        format!("rename the variable where it is assigned (say `n_{name}`), so {name}(...) calls the built-in again"),
    )
}

/// Where `program` binds names that builtins have, in source order, for
/// the runtime's error when such a name is then called.
pub fn shadow_sites(program: &Program) -> Vec<(Name, Span)> {
    let mut out = Vec::new();
    sites_in(&program.stmts, &mut out);
    out.sort_by_key(|(_, s)| (s.file, s.start));
    out
}

fn sites_in(stmts: &[Stmt], out: &mut Vec<(Name, Span)>) {
    let mut b = Binds::default();
    b.collect(stmts);
    for (name, sites) in b.sites {
        if builtins::lookup(&name).is_some() {
            let name: Name = name.as_str().into();
            out.extend(sites.iter().filter_map(|s| Some((name.clone(), s.span?))));
        }
    }
    for s in stmts {
        visit_defs(s, &mut |d| {
            for p in &d.params {
                if builtins::lookup(&p.name).is_some() {
                    out.push((p.name.clone(), p.span));
                }
            }
            sites_in(&d.body, out);
        });
    }
}

/// Where the names of one scope (the program, or one `def`) are bound, and
/// whether each binding could hold a function.
#[derive(Default)]
struct Binds {
    sites: HashMap<String, Vec<Site>>,
}

#[derive(Clone, Copy)]
struct Site {
    /// The name where it is bound (`None`: before the program).
    span: Option<Span>,
    /// Where the binding takes effect: the end of its statement.
    from: u32,
    maybe_function: bool,
}

impl Binds {
    fn add(&mut self, name: &str, span: Option<Span>, from: u32, maybe_function: bool) {
        self.sites.entry(name.to_string()).or_default().push(Site {
            span,
            from,
            maybe_function,
        });
    }

    fn add_predefined(&mut self, name: &str) {
        if builtins::lookup(name).is_some() {
            self.add(name, None, 0, true);
        }
    }

    fn pattern(&mut self, p: &Pattern, from: u32, maybe_function: bool) {
        match p {
            Pattern::Name(n, s, _) => self.add(n, Some(*s), from, maybe_function),
            Pattern::List(ps, _) => ps.iter().for_each(|p| self.pattern(p, from, true)),
        }
    }

    /// The bindings made by `stmts` in this scope (not inside `def`s).
    fn collect(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match &s.kind {
                StmtKind::Let { target, value } => {
                    self.pattern(target, s.span.end, may_be_function(value));
                    self.exprs(value);
                }
                StmtKind::AugAssign { place, value, .. } if place.path.is_empty() => {
                    self.add(&place.root, Some(place.root_span), s.span.end, false);
                    self.exprs(value);
                }
                StmtKind::For { target, iter, body } => {
                    self.pattern(target, s.span.start, true);
                    self.exprs(iter);
                    self.collect(body);
                }
                StmtKind::If {
                    branches,
                    otherwise,
                } => {
                    for (c, b) in branches {
                        self.exprs(c);
                        self.collect(b);
                    }
                    if let Some(b) = otherwise {
                        self.collect(b);
                    }
                }
                StmtKind::While { cond, body } => {
                    self.exprs(cond);
                    self.collect(body);
                }
                StmtKind::Def(d) => self.add(&d.name, Some(d.span), d.span.start, true),
                StmtKind::Expr(e)
                | StmtKind::SetPlace { value: e, .. }
                | StmtKind::AugAssign { value: e, .. }
                | StmtKind::Return(Some(e)) => self.exprs(e),
                _ => {}
            }
        }
    }

    /// Lambda parameters and comprehension variables: counted in the
    /// scope around them (a loose reading that never reports too much).
    fn exprs(&mut self, e: &Expr) {
        walk_expr(e, &mut |x| match &x.kind {
            ExprKind::Lambda(l) => l
                .params
                .iter()
                .for_each(|p| self.pattern(p, x.span.start, true)),
            ExprKind::ListComp { clauses, .. } | ExprKind::RecordComp { clauses, .. } => {
                for c in clauses {
                    if let CompClause::For { target, .. } = c {
                        self.pattern(target, x.span.start, true);
                    }
                }
            }
            _ => {}
        });
    }
}

/// False when `e` certainly does not evaluate to a function (a literal, an
/// operator, a call of a builtin that returns data).
fn may_be_function(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Regex(_)
        | ExprKind::FString(_)
        | ExprKind::List(_)
        | ExprKind::Record(_)
        | ExprKind::ListComp { .. }
        | ExprKind::RecordComp { .. }
        | ExprKind::Unary(..)
        | ExprKind::Binary(..)
        | ExprKind::Compare(..)
        | ExprKind::Slice { .. } => false,
        ExprKind::Call { callee, .. } => match &callee.kind {
            ExprKind::Var(n, _) => {
                builtins::lookup(n).is_none()
                    || matches!(&**n, "get" | "first" | "reduce" | "min" | "max")
            }
            _ => true,
        },
        _ => true,
    }
}

fn collect_names(stmts: &[Stmt], out: &mut HashSet<String>) {
    let mut b = Binds::default();
    b.collect(stmts);
    out.extend(b.sites.into_keys());
    for s in stmts {
        visit_defs(s, &mut |d| {
            for p in &d.params {
                out.insert(p.name.to_string());
            }
            collect_names(&d.body, out);
        });
    }
}

/// Calls `f` on each `def` directly inside `s` (in its blocks, not in
/// other defs).
fn visit_defs(s: &Stmt, f: &mut dyn FnMut(&FnDef)) {
    match &s.kind {
        StmtKind::Def(d) => f(d),
        StmtKind::For { body, .. } | StmtKind::While { body, .. } => {
            body.iter().for_each(|s| visit_defs(s, f))
        }
        StmtKind::If {
            branches,
            otherwise,
        } => {
            for (_, b) in branches {
                b.iter().for_each(|s| visit_defs(s, f));
            }
            if let Some(b) = otherwise {
                b.iter().for_each(|s| visit_defs(s, f));
            }
        }
        _ => {}
    }
}

struct Checker<'s> {
    /// Every name bound anywhere (for "unknown name").
    bound: HashSet<String>,
    /// The program's scope, then the `def`s being checked, innermost last.
    scopes: Vec<Binds>,
    diags: Vec<Diagnostic>,
    sources: &'s SourceMap,
}

fn err(span: Span, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Stage::Check, msg).at(span)
}

impl Checker<'_> {
    fn block(&mut self, stmts: &[Stmt], in_def: bool, in_loop: bool) {
        for s in stmts {
            self.stmt(s, in_def, in_loop);
        }
    }

    fn assignable(&mut self, name: &str, span: Span) {
        if INPUTS.contains(&name) {
            self.diags.push(
                err(
                    span,
                    format!("`{name}` is an input of the program and cannot be assigned"),
                )
                .hint(format!(
                    "keep it as it is and choose another name, such as `my_{name}`"
                )),
            );
        }
    }

    fn pattern(&mut self, p: &Pattern) {
        match p {
            Pattern::Name(n, s, _) => self.assignable(n, *s),
            Pattern::List(ps, _) => ps.iter().for_each(|p| self.pattern(p)),
        }
    }

    fn stmt(&mut self, s: &Stmt, in_def: bool, in_loop: bool) {
        match &s.kind {
            StmtKind::Let { target, value } => {
                self.pattern(target);
                self.expr(value);
            }
            StmtKind::SetPlace { place, value } | StmtKind::AugAssign { place, value, .. } => {
                self.assignable(&place.root, place.root_span);
                self.name(&place.root, place.root_span);
                for step in &place.path {
                    if let PlaceStep::Index(e) = step {
                        self.expr(e);
                    }
                }
                self.expr(value);
            }
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (c, b) in branches {
                    self.expr(c);
                    self.block(b, in_def, in_loop);
                }
                if let Some(b) = otherwise {
                    self.block(b, in_def, in_loop);
                }
            }
            StmtKind::For { target, iter, body } => {
                self.pattern(target);
                self.expr(iter);
                self.block(body, in_def, true);
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body, in_def, true);
            }
            StmtKind::Break | StmtKind::Continue if !in_loop => {
                self.diags
                    .push(err(s.span, "`break` or `continue` outside a loop"));
            }
            StmtKind::Return(_) if !in_def => {
                self.diags.push(
                    err(s.span, "`return` outside a function")
                        .hint("use final(x) to end the program with a value"),
                );
            }
            StmtKind::Return(Some(e)) => self.expr(e),
            StmtKind::Def(d) => {
                self.assignable(&d.name, d.span);
                let mut locals = Binds::default();
                for p in &d.params {
                    self.assignable(&p.name, p.span);
                    locals.add(&p.name, Some(p.span), p.span.start, true);
                    if let Some(e) = &p.default {
                        self.expr(e);
                    }
                }
                locals.collect(&d.body);
                self.scopes.push(locals);
                self.block(&d.body, true, false);
                self.scopes.pop();
            }
            _ => {}
        }
    }

    /// The bindings of `name` visible here: the innermost scope that binds
    /// it (Python's rule), if any does.
    fn visible(&self, name: &str) -> Option<&[Site]> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.sites.get(name))
            .map(Vec::as_slice)
    }

    fn name(&mut self, name: &str, span: Span) {
        if self.bound.contains(name) || builtins::lookup(name).is_some() {
            return;
        }
        let d = err(span, format!("unknown name `{name}`"));
        let d = if let Some(h) = builtins::python_hint(name) {
            d.hint(h)
        } else {
            let mut cands: Vec<&str> = self.bound.iter().map(String::as_str).collect();
            for n in builtins::names() {
                cands.push(n);
            }
            match suggest::closest(name, cands.iter().copied()) {
                Some(s) => d.hint(format!("did you mean `{s}`?")),
                None => d.hint("define it first with `let`"),
            }
        };
        self.diags.push(d);
    }

    fn expr(&mut self, e: &Expr) {
        let mut found: Vec<(Name, Span)> = Vec::new();
        // (name, call span, callee span, positional, keywords, is a method call)
        let mut calls: Vec<(Name, Span, Span, usize, Vec<Name>, bool)> = Vec::new();
        let mut lambdas: Vec<Vec<Pattern>> = Vec::new();
        walk_expr(e, &mut |x| match &x.kind {
            ExprKind::Var(n, _) => found.push((n.clone(), x.span)),
            ExprKind::Call { callee, args, .. } => {
                if let ExprKind::Var(n, _) = &callee.kind {
                    let pos = args.iter().filter(|a| a.name.is_none()).count();
                    let kw = args.iter().filter_map(|a| a.name.clone()).collect();
                    calls.push((n.clone(), x.span, callee.span, pos, kw, false));
                }
            }
            ExprKind::Method {
                name,
                name_span,
                args,
                ..
            } if builtins::lookup(name).is_some() => {
                let pos = args.iter().filter(|a| a.name.is_none()).count() + 1;
                let kw = args.iter().filter_map(|a| a.name.clone()).collect();
                calls.push((name.clone(), *name_span, *name_span, pos, kw, true));
            }
            ExprKind::Lambda(l) => lambdas.push(l.params.clone()),
            _ => {}
        });
        for ps in &lambdas {
            ps.iter().for_each(|p| self.pattern(p));
        }
        for (n, span) in found {
            self.name(&n, span);
        }
        for (n, span, callee_span, pos, kw, method) in calls {
            let Some(b) = builtins::lookup(&n) else {
                continue;
            };
            match self.visible(&n) {
                None => self.arity(b, span, pos, &kw),
                // `x.count(...)` calls a variable `count` only if it is a
                // function, which is known when it runs.
                Some(_) if method => {}
                Some(sites) => {
                    let sites = sites.to_vec();
                    self.shadowed_call(&n, callee_span, &sites);
                }
            }
        }
    }

    /// A call of `name` where the program has bound `name`: an error when
    /// every binding before the call is a plain value, not a function.
    fn shadowed_call(&mut self, name: &str, span: Span, sites: &[Site]) {
        let earlier: Vec<&Site> = sites
            .iter()
            .filter(|s| {
                s.span
                    .is_none_or(|b| b.file != span.file || s.from <= span.start)
            })
            .collect();
        if earlier.is_empty() || earlier.iter().any(|s| s.maybe_function) {
            return;
        }
        let Some(at) = earlier.last().and_then(|s| s.span) else {
            return;
        };
        let line = self.sources.get(at.file).locate(at.start as usize).0;
        let (msg, hint) = shadowed_message(name, &format!("assigned at line {line}"));
        self.diags.push(err(span, msg).hint(hint));
    }

    fn arity(&mut self, b: builtins::BuiltinRef, span: Span, pos: usize, kw: &[Name]) {
        let e = b.entry();
        let usage = format!("usage: {}", e.builtin.sig);
        let fixed = e.params.iter().take_while(|p| !p.rest).count();
        let has_rest = fixed < e.params.len();
        if !has_rest && pos > fixed {
            self.diags.push(
                err(
                    span,
                    format!(
                        "{}() takes at most {fixed} positional argument{}, got {pos}",
                        e.name,
                        if fixed == 1 { "" } else { "s" }
                    ),
                )
                .hint(usage.clone()),
            );
            return;
        }
        for k in kw {
            if !e.params.iter().any(|p| !p.rest && *p.name == **k) {
                let names: Vec<&str> = e
                    .params
                    .iter()
                    .filter(|p| !p.rest)
                    .map(|p| p.name)
                    .collect();
                let d = err(span, format!("{}() has no parameter `{k}`", e.name));
                self.diags
                    .push(match suggest::closest(k, names.iter().copied()) {
                        Some(g) => d.hint(format!("did you mean `{g}=`? {usage}")),
                        None => d.hint(usage.clone()),
                    });
            }
        }
        for (i, p) in e.params.iter().enumerate() {
            if p.required && i >= pos && !kw.iter().any(|k| **k == *p.name) {
                self.diags.push(
                    err(
                        span,
                        format!("{}() is missing the argument `{}`", e.name, p.name),
                    )
                    .hint(usage.clone()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(src: &str) -> Vec<String> {
        let mut sources = SourceMap::new();
        let id = sources.add("t.rlq", src);
        let program = crate::syntax::parse(&sources, id).expect("parses");
        check(&program, [], &sources)
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn a_def_local_shadows_only_inside_the_def() {
        assert!(problems("def f(lines) { return len(lines) }\nprint(lines(context))").is_empty());
        assert!(
            problems("def f() { let count = 0\n return count }\nprint(count(context, \"x\"))")
                .is_empty()
        );
        // Outside the def the builtin's arguments are still checked.
        let p = problems("def f(grep) { return grep }\nprint(grep(context))");
        assert_eq!(p, ["grep() is missing the argument `pattern`"]);
    }

    #[test]
    fn calling_a_plain_value_by_a_builtins_name_is_reported_once_bound() {
        assert!(problems("print(count(context, \"x\"))\nlet count = 3").is_empty());
        assert!(problems("let lines = lines(context)\nprint(len(lines))").is_empty());
        assert!(problems("let max = x => x\nprint(max(1))").is_empty());
        assert!(problems("let n = 0\nlet len = get({}, \"f\")\nprint(len(n))").is_empty());
        let p = problems("let sum = 0\nfor x in [1] { sum += x }\nprint(sum([1]))");
        assert_eq!(
            p,
            ["`sum` is the script's variable here (assigned at line 2), not the built-in sum()"]
        );
        assert_eq!(problems("let question = 1\nlet docs = 2").len(), 2);
    }
}
