//! Checks a parsed program before it runs: names that are never defined,
//! builtin calls with the wrong arguments, assignments to built-in names,
//! and `return`/`break` out of place. Every problem is reported, each with
//! a hint; `rlmq check` prints them and the interpreter refuses to start.

use std::collections::HashSet;

use crate::builtins;
use crate::diag::{Diagnostic, Stage};
use crate::eval::interp::walk_expr;
use crate::suggest;
use crate::syntax::ast::*;
use crate::syntax::span::Span;

/// Checks `program`; `predefined` are names bound before it runs
/// (`context`, `docs`, the standard library, a session's variables).
pub fn check<'a>(
    program: &Program,
    predefined: impl IntoIterator<Item = &'a str>,
) -> Vec<Diagnostic> {
    let mut bound: HashSet<String> = predefined.into_iter().map(str::to_string).collect();
    bound.insert("context".into());
    bound.insert("docs".into());
    collect_bound(&program.stmts, &mut bound);
    let mut c = Checker {
        bound,
        diags: Vec::new(),
    };
    c.block(&program.stmts, false, false);
    c.diags
}

struct Checker {
    bound: HashSet<String>,
    diags: Vec<Diagnostic>,
}

fn err(span: Span, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Stage::Check, msg).at(span)
}

fn collect_pattern(p: &Pattern, out: &mut HashSet<String>) {
    match p {
        Pattern::Name(n, _) => {
            out.insert(n.to_string());
        }
        Pattern::List(ps, _) => ps.iter().for_each(|p| collect_pattern(p, out)),
    }
}

fn collect_bound(stmts: &[Stmt], out: &mut HashSet<String>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Let { target, value } => {
                collect_pattern(target, out);
                collect_expr(value, out);
            }
            StmtKind::For { target, iter, body } => {
                collect_pattern(target, out);
                collect_expr(iter, out);
                collect_bound(body, out);
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (c, b) in branches {
                    collect_expr(c, out);
                    collect_bound(b, out);
                }
                if let Some(b) = otherwise {
                    collect_bound(b, out);
                }
            }
            StmtKind::While { cond, body } => {
                collect_expr(cond, out);
                collect_bound(body, out);
            }
            StmtKind::Def(d) => {
                out.insert(d.name.to_string());
                for p in &d.params {
                    out.insert(p.name.to_string());
                }
                collect_bound(&d.body, out);
            }
            StmtKind::Expr(e)
            | StmtKind::SetPlace { value: e, .. }
            | StmtKind::AugAssign { value: e, .. } => collect_expr(e, out),
            StmtKind::Return(Some(e)) => collect_expr(e, out),
            _ => {}
        }
    }
}

fn collect_expr(e: &Expr, out: &mut HashSet<String>) {
    walk_expr(e, &mut |x| match &x.kind {
        ExprKind::Lambda(l) => l.params.iter().for_each(|p| collect_pattern(p, out)),
        ExprKind::ListComp { clauses, .. } | ExprKind::RecordComp { clauses, .. } => {
            for c in clauses {
                if let CompClause::For { target, .. } = c {
                    collect_pattern(target, out);
                }
            }
        }
        _ => {}
    });
}

impl Checker {
    fn block(&mut self, stmts: &[Stmt], in_def: bool, in_loop: bool) {
        for s in stmts {
            self.stmt(s, in_def, in_loop);
        }
    }

    fn assignable(&mut self, name: &str, span: Span) {
        if name == "context" || name == "docs" || builtins::lookup(name).is_some() {
            self.diags.push(
                err(
                    span,
                    format!("`{name}` is a built-in name and cannot be assigned"),
                )
                .hint(format!(
                    "choose another name, such as `{name}_` or `my_{name}`"
                )),
            );
        }
    }

    fn pattern(&mut self, p: &Pattern) {
        match p {
            Pattern::Name(n, s) => self.assignable(n, *s),
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
                for p in &d.params {
                    self.assignable(&p.name, p.span);
                    if let Some(e) = &p.default {
                        self.expr(e);
                    }
                }
                self.block(&d.body, true, false);
            }
            _ => {}
        }
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
        let mut calls: Vec<(Name, Span, usize, Vec<Name>)> = Vec::new();
        let mut lambdas: Vec<Vec<Pattern>> = Vec::new();
        walk_expr(e, &mut |x| match &x.kind {
            ExprKind::Var(n) => found.push((n.clone(), x.span)),
            ExprKind::Call { callee, args, .. } => {
                if let ExprKind::Var(n) = &callee.kind {
                    let pos = args.iter().filter(|a| a.name.is_none()).count();
                    let kw = args.iter().filter_map(|a| a.name.clone()).collect();
                    calls.push((n.clone(), x.span, pos, kw));
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
                calls.push((name.clone(), *name_span, pos, kw));
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
        for (n, span, pos, kw) in calls {
            if self.bound.contains(&*n) {
                continue;
            }
            if let Some(b) = builtins::lookup(&n) {
                self.arity(b, span, pos, &kw);
            }
        }
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
