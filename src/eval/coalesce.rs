//! `x ?? d`: the default when `x` is null, a failed sub-call, or a read
//! that finds nothing: a record key that is not there or an index out of
//! range, anywhere along a chain of reads (`c[w]`, `r.a.b`, `xs[i][0]`).
//! Outside `??` such a read is an error that lists the keys present.

use std::io::Write;

use crate::syntax::ast::*;

use super::env::Scope;
use super::flow::R;
use super::interp::Runtime;
use super::ops;
use super::value::*;

impl Runtime {
    /// Evaluates `x ?? d`.
    pub(super) fn coalesce(&self, x: &Expr, d: &Expr, sc: &Scope, out: &mut dyn Write) -> R<Value> {
        match self.read_or_absent(x, sc, out)? {
            Some(v) if !matches!(v, Value::Null | Value::Error(_)) => Ok(v),
            _ => self.eval(d, sc, out),
        }
    }

    /// The value of `e`, or `None` when it reads a key, field or index that
    /// is not there, or reads from null or a failed sub-call.
    fn read_or_absent(&self, e: &Expr, sc: &Scope, out: &mut dyn Write) -> R<Option<Value>> {
        match &e.kind {
            ExprKind::Field(x, name) => {
                let Some(v) = self.receiver(x, e, sc, out)? else {
                    return Ok(None);
                };
                match &v {
                    Value::Record(r) if r.field(name).is_none() => Ok(None),
                    _ => self.field(&v, name, e.span).map(Some),
                }
            }
            ExprKind::Index(x, i) => {
                let Some(v) = self.receiver(x, e, sc, out)? else {
                    return Ok(None);
                };
                let idx = self.eval(i, sc, out)?;
                let absent = match (&v, &idx) {
                    (Value::Record(r), k) => ops::to_key(k).is_some_and(|k| r.get(&k).is_none()),
                    (Value::List(l), Value::Int(n)) => ops::resolve_index(*n, l.len()).is_none(),
                    (Value::Str(s), Value::Int(n)) => {
                        ops::resolve_index(*n, s.char_len()).is_none()
                    }
                    _ => false,
                };
                if absent {
                    Ok(None)
                } else {
                    self.index(&v, &idx, e.span).map(Some)
                }
            }
            _ => self.eval(e, sc, out).map(Some),
        }
    }

    /// What the read `e` reads from, or `None` when that is itself absent,
    /// null or a failed sub-call.
    fn receiver(&self, x: &Expr, e: &Expr, sc: &Scope, out: &mut dyn Write) -> R<Option<Value>> {
        self.meter.tick().map_err(|d| d.at(e.span))?;
        Ok(self
            .read_or_absent(x, sc, out)?
            .filter(|v| !matches!(v, Value::Null | Value::Error(_))))
    }
}
