//! The split-field shortcut: `split(s, sep)[k]` and `s.split(sep)[k]`,
//! which programs write to take one field of a line, find field `k`
//! without cutting the line into a list of every field.
//!
//! Taken only where it cannot be told from the general path: the function
//! is the builtin `split` (no variable hides it), `k` is a literal that is
//! not negative, and the text and separator are read without effects
//! (variables, literals, their fields and items). Anything else, or a line
//! with fewer fields, takes the general path, which evaluates the
//! expression afresh (reading has no effect) and reports what it reports.

use std::io::Write;

use crate::builtins;
use crate::syntax::ast::*;

use super::env::Scope;
use super::expr::{hinted_builtin, receiver_call};
use super::flow::R;
use super::interp::Runtime;
use super::value::Value;

impl Runtime {
    /// `x[k]` when `x` is a call of `split` the shortcut applies to (see
    /// the module docs); `None` to take the general path.
    pub(super) fn split_field(
        &self,
        x: &Expr,
        k: i64,
        sc: &Scope,
        out: &mut dyn Write,
    ) -> Option<R<Value>> {
        let k = usize::try_from(k).ok()?;
        let call = receiver_call(x)?;
        let [sep] = call.rest else {
            return None;
        };
        let (text, name, hint) = (call.recv, call.name, call.hint);
        if &**name != "split"
            || sep.name.as_deref().is_some_and(|n| n != "sep")
            || !reads_only(text)
            || !reads_only(&sep.value)
            || hinted_builtin(name, hint.get(), sc).is_none()
        {
            return None;
        }
        let text = match self.eval_ref(text, sc, out) {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };
        let Value::Str(text) = &*text else {
            return None;
        };
        // A literal separator is read where it lies: a value made of it
        // would update the literal's shared count twice per line, which
        // the threads of a `map` would contend for.
        let sep_value;
        let sep = match &sep.value.kind {
            ExprKind::Str(s) => s.as_bytes(),
            _ => {
                sep_value = match self.eval_ref(&sep.value, sc, out) {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e)),
                };
                match &*sep_value {
                    Value::Str(s) => s.bytes(),
                    _ => return None,
                }
            }
        };
        if sep.is_empty() {
            return None;
        }
        let field = builtins::nth_field(text.bytes(), sep, k)?;
        Some(
            self.meter
                .ticks(k as u64 + 2)
                .map(|()| Value::Str(text.sub(field)))
                .map_err(|d| d.at(x.span).into()),
        )
    }
}

/// Whether evaluating `e` only reads: a variable, a literal, or a field or
/// literal item of one.
fn reads_only(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Var(..) | ExprKind::Str(_) | ExprKind::Int(_) => true,
        ExprKind::Field(x, _) => reads_only(x),
        ExprKind::Index(x, i) => reads_only(x) && matches!(i.kind, ExprKind::Int(_)),
        _ => false,
    }
}
