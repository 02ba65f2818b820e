//! What calling a function can do, found by walking its code before it
//! runs: whether it is *pure* (no output, no sub-calls, no `final`: safe to
//! run on many threads at once) and how many sub-model call sites it
//! reaches (so that a `map` knows it must fan calls out concurrently, and
//! can count them against the budget before the first one is sent).
//!
//! Defs called by name are followed through the globals; a function reached
//! twice counts once (recursion); a callee that cannot be known (a
//! parameter called as a function) makes the function impure.

use std::sync::Arc;

use crate::builtins::{self, Effect};
use crate::syntax::ast::{ExprKind, Stmt, StmtKind};

use super::env::Globals;
use super::interp::{walk_expr, Runtime};
use super::value::{Func, Value};

/// The effects of calling a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effects {
    /// No output, no sub-calls, no `final`.
    pub pure: bool,
    /// Sub-model call sites (`llm`, `rlm`) reached, each counted once.
    pub model_sites: u64,
}

struct Walk<'a> {
    globals: &'a Globals,
    seen: Vec<usize>,
    fx: Effects,
}

impl Walk<'_> {
    fn builtin(&mut self, effect: Effect) {
        match effect {
            Effect::Pure | Effect::Inspect => {}
            Effect::Model => {
                self.fx.pure = false;
                self.fx.model_sites += 1;
            }
            Effect::Output | Effect::Final => self.fx.pure = false,
        }
    }

    /// A name used as a callee or passed as a function.
    fn name(&mut self, name: &str, called: bool) {
        match self.globals.get(name) {
            Some(Value::Func(Func::Def(d))) => {
                let key = Arc::as_ptr(&d.def) as usize;
                if !self.seen.contains(&key) {
                    self.seen.push(key);
                    d.def.body.iter().for_each(|s| self.stmt(s));
                }
            }
            Some(Value::Func(Func::Builtin(b))) => self.builtin(b.entry().builtin.effect),
            Some(_) if called => self.fx.pure = false,
            Some(_) => {}
            None => match builtins::lookup(name) {
                Some(b) => self.builtin(b.entry().builtin.effect),
                // A local (a parameter) called as a function: unknown.
                None if called => self.fx.pure = false,
                None => {}
            },
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Let { value, .. }
            | StmtKind::SetPlace { value, .. }
            | StmtKind::AugAssign { value, .. } => self.expr(value),
            StmtKind::Expr(e) => {
                // A bare expression statement shows its value.
                self.fx.pure = false;
                self.expr(e);
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (c, b) in branches {
                    self.expr(c);
                    b.iter().for_each(|s| self.stmt(s));
                }
                if let Some(b) = otherwise {
                    b.iter().for_each(|s| self.stmt(s));
                }
            }
            StmtKind::For { iter, body, .. } => {
                self.expr(iter);
                body.iter().for_each(|s| self.stmt(s));
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                body.iter().for_each(|s| self.stmt(s));
            }
            StmtKind::Return(Some(e)) => self.expr(e),
            StmtKind::Def(d) => {
                for p in &d.params {
                    if let Some(e) = &p.default {
                        self.expr(e);
                    }
                }
                d.body.iter().for_each(|s| self.stmt(s));
            }
            StmtKind::Error => self.fx.pure = false,
            StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue => {}
        }
    }

    fn expr(&mut self, e: &crate::syntax::ast::Expr) {
        let mut names: Vec<(Arc<str>, bool)> = Vec::new();
        let mut unknown_callee = false;
        // The walk visits a call before its callee: a name already taken as
        // a callee is not taken again as a plain name (one site, one count).
        let mut callees: Vec<*const crate::syntax::ast::Expr> = Vec::new();
        walk_expr(e, &mut |x| match &x.kind {
            ExprKind::Call { callee, .. } => match &callee.kind {
                ExprKind::Var(n, _) => {
                    names.push((n.clone(), true));
                    callees.push(&**callee);
                }
                ExprKind::Lambda(_) => {}
                _ => unknown_callee = true,
            },
            ExprKind::Method { name, .. } => names.push((name.clone(), true)),
            ExprKind::Var(n, _) if !callees.contains(&(x as *const _)) => {
                names.push((n.clone(), false))
            }
            _ => {}
        });
        if unknown_callee {
            self.fx.pure = false;
        }
        for (n, called) in names {
            self.name(&n, called);
        }
    }
}

impl Runtime {
    /// The effects of calling `f` (memoised per function).
    pub fn effects(&self, f: &Func, globals: &Globals) -> Effects {
        let key = match f {
            Func::Builtin(b) => {
                let mut w = Walk {
                    globals,
                    seen: Vec::new(),
                    fx: Effects {
                        pure: true,
                        model_sites: 0,
                    },
                };
                w.builtin(b.entry().builtin.effect);
                return w.fx;
            }
            Func::Lambda(l) => Arc::as_ptr(&l.lambda) as usize,
            Func::Def(d) => Arc::as_ptr(&d.def) as usize,
        };
        if let Some(fx) = self
            .effects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return *fx;
        }
        let mut w = Walk {
            globals,
            seen: vec![key],
            fx: Effects {
                pure: true,
                model_sites: 0,
            },
        };
        match f {
            Func::Lambda(l) => w.expr(&l.lambda.body),
            Func::Def(d) => {
                for p in &d.def.params {
                    if let Some(e) = &p.default {
                        w.expr(e);
                    }
                }
                d.def.body.iter().for_each(|s| w.stmt(s));
            }
            Func::Builtin(_) => {}
        }
        self.effects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, w.fx);
        w.fx
    }
}

/// What is known before a `map` starts of a function that is one `llm`
/// call sending its item whole: `p => llm(prompt, p)`, or a `def` whose
/// body is `return llm(prompt, p)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCall {
    /// `model=`, when written as a string literal.
    pub model: Option<String>,
    /// `max_tokens=`, when written as an integer literal.
    pub max_tokens: Option<u32>,
}

/// The [`ItemCall`] `f` is, if it is one: its body is a single call of the
/// builtin `llm` whose text is `f`'s first parameter, unchanged. Every item
/// of a `map` of such a function is sent whole, so its size can be checked
/// before the first request.
pub fn item_call(f: &Func, globals: &Globals) -> Option<ItemCall> {
    use crate::syntax::ast::{Expr, Pattern};
    let (param, body): (&str, &Expr) = match f {
        Func::Lambda(l) => match l.lambda.params.first()? {
            Pattern::Name(n, ..) => (n, &l.lambda.body),
            Pattern::List(..) => return None,
        },
        Func::Def(d) => match d.def.body.as_slice() {
            [Stmt {
                kind: StmtKind::Return(Some(e)),
                ..
            }] => (&d.def.params.first()?.name, e),
            _ => return None,
        },
        Func::Builtin(_) => return None,
    };
    let ExprKind::Call { callee, args, .. } = &body.kind else {
        return None;
    };
    // `llm` must be the builtin, not a global of that name.
    if !matches!(&callee.kind, ExprKind::Var(n, _) if &**n == "llm") {
        return None;
    }
    match globals.get("llm") {
        None => {}
        Some(Value::Func(Func::Builtin(b))) if b.entry().builtin.sig.starts_with("llm(") => {}
        Some(_) => return None,
    }
    let arg = |pos: usize, name: &str| {
        args.iter()
            .find(|a| a.name.as_deref() == Some(name))
            .or_else(|| args.iter().filter(|a| a.name.is_none()).nth(pos))
            .map(|a| &a.value.kind)
    };
    if !matches!(arg(1, "text"), Some(ExprKind::Var(n, _)) if &**n == param) {
        return None;
    }
    Some(ItemCall {
        model: match arg(2, "model") {
            Some(ExprKind::Str(s)) => Some(s.to_string()),
            _ => None,
        },
        max_tokens: match arg(4, "max_tokens") {
            Some(ExprKind::Int(n)) => u32::try_from(*n).ok(),
            _ => None,
        },
    })
}
