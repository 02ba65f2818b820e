//! Statements: running blocks, `let`, assignment, `if`, loops, `def`,
//! and binding names (with the check that built-in names stay fixed).

use std::io::Write;
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::syntax::ast::*;
use crate::syntax::span::Span;

use super::env::{Locals, Scope};
use super::flow::{Flow, R};
use super::interp::Runtime;

use super::value::*;

impl Runtime {
    pub(super) fn exec_block<'g>(
        &self,
        stmts: &'g [Stmt],
        sc: &mut Scope<'g>,
        out: &mut dyn Write,
    ) -> R<()> {
        for s in stmts {
            self.exec(s, sc, out)?;
        }
        Ok(())
    }

    pub(super) fn exec<'g>(
        &self,
        stmt: &'g Stmt,
        sc: &mut Scope<'g>,
        out: &mut dyn Write,
    ) -> R<()> {
        self.meter.tick()?;
        match &stmt.kind {
            StmtKind::Let { target, value } => {
                let v = self.eval_stored(value, sc, out)?;
                self.bind(target, v, sc)
            }
            StmtKind::SetPlace { place, value } => {
                if let Some(done) = self.count_into_record(place, value, sc) {
                    return done;
                }
                let v = self.eval_stored(value, sc, out)?;
                self.update_place(place, sc, out, |slot| {
                    *slot = v;
                    Ok(())
                })
            }
            StmtKind::AugAssign { place, op, value } => {
                let rhs = self.eval_stored(value, sc, out)?;
                let op = *op;
                let span = stmt.span;
                self.update_place(place, sc, out, |slot| {
                    if let (Value::Int(a), Value::Int(b)) = (&*slot, &rhs) {
                        if let Some(v) = super::ops::int_fast(op, *a, *b) {
                            *slot = v;
                            return Ok(());
                        }
                    }
                    if let (BinOp::Add, Value::Str(s), Value::Str(t)) = (op, &mut *slot, &rhs) {
                        let size = s.byte_len().saturating_add(t.byte_len());
                        self.meter.check_memory(size).map_err(|d| d.at(span))?;
                        if s.append_in_place(t) {
                            return Ok(());
                        }
                    }
                    *slot = self.binary(op, slot, &rhs, span, value.span, span)?;
                    Ok(())
                })
            }
            StmtKind::Expr(e) => {
                if let Some(done) = self.exec_mutating_method(e, sc, out)? {
                    return Ok(done);
                }
                let v = self.eval(e, sc, out)?;
                if !matches!(v, Value::Null) && !is_print_call(e) {
                    let text = self.shown(&v, true, e.span)?;
                    self.emit(out, &text, e.span)?;
                }
                Ok(())
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    if self.holds(cond, sc, out)? {
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
                match it {
                    // A list's items (lines, most often) through its own
                    // iterator, called directly rather than through a box.
                    Value::List(l) => self.run_for(stmt, target, body, l.into_values(), sc, out),
                    other => {
                        let items = self.iterate(other, iter.span)?;
                        self.run_for(stmt, target, body, items, sc, out)
                    }
                }
            }
            StmtKind::While { cond, body } => {
                while self.holds(cond, sc, out)? {
                    self.meter.tick().map_err(|d| d.at(stmt.span))?;
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
                let captured = sc.locals().map(Locals::captured);
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

    /// The iterations of a `for` loop over `items`.
    fn run_for<'g>(
        &self,
        stmt: &Stmt,
        target: &'g Pattern,
        body: &'g [Stmt],
        items: impl Iterator<Item = Value>,
        sc: &mut Scope<'g>,
        out: &mut dyn Write,
    ) -> R<()> {
        for item in items {
            // Every iteration counts, an empty body's too.
            self.meter.tick().map_err(|d| d.at(stmt.span))?;
            self.bind(target, item, sc)?;
            match self.exec_block(body, sc, out) {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Fails when `name` is one of the program's inputs.
    #[inline(always)]
    pub(super) fn check_assignable(&self, name: &str, span: Span) -> R<()> {
        if crate::check::INPUTS.contains(&name) {
            return Err(input_assigned(name, span));
        }
        Ok(())
    }

    pub(super) fn bind<'g>(&self, target: &'g Pattern, v: Value, sc: &mut Scope<'g>) -> R<()> {
        match target {
            Pattern::Name(n, span, hint) => {
                self.check_assignable(n, *span)?;
                sc.bind(n, hint, v);
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
}

pub(super) fn is_print_call(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { callee, .. } if matches!(&callee.kind, ExprKind::Var(n, _) if &**n == "print"))
}

/// The error for an assignment to input `name`.
#[cold]
fn input_assigned(name: &str, span: Span) -> Flow {
    Diagnostic::runtime(
        span,
        format!("`{name}` is an input of the program and cannot be assigned"),
    )
    .hint(format!(
        "keep it as it is and choose another name, such as `my_{name}`"
    ))
    .into()
}
