//! Access: fields, indexing and slicing of values.

use crate::builtins::{self};
use crate::diag::Diagnostic;
use crate::syntax::span::Span;

use super::errors::*;
use super::flow::R;
use super::interp::Runtime;
use super::ops::{self};
use super::value::*;

impl Runtime {
    /// `v.name`.
    pub fn field(&self, v: &Value, name: &str, span: Span) -> R<Value> {
        match v {
            Value::Record(r) => match r.field(name) {
                Some(x) => Ok(x.clone()),
                // Python's `key=d.get`, or `d.items` without its call.
                None if matches!(name, "get" | "items" | "keys" | "values") => Err(Diagnostic::runtime(
                    span,
                    format!("the record has no key `{name}`, and `r.{name}` without a call is no function"),
                )
                .hint(format!(
                    "a method works only when called, as r.{name}(...); to pass a record's lookup as a function write k => r[k], e.g. max(r, key=k => r[k])"
                ))
                .into()),
                None => Err(missing_key(r, &Key::Str(name.into()), span).into()),
            },
            Value::Match(m) => match name {
                "text" => Ok(Value::Str(m.text())),
                "start" => Ok(Value::Int(m.start_char() as i64)),
                "end" => Ok(Value::Int(m.end_char() as i64)),
                "line" => Ok(Value::Int(m.line() as i64)),
                "context_line" => Ok(Value::Int(m.context_line() as i64)),
                "line_text" => Ok(Value::Str(m.line_text())),
                "groups" => Ok(Value::list(m.groups())),
                "doc" => Ok(m.doc.as_ref().map_or(Value::Null, |d| Value::Str(Str::Owned(d.clone().into())))),
                "around" => Ok(Value::Str(m.around_text())),
                other => Err(Diagnostic::runtime(span, format!("a match has no field `{other}`"))
                    .hint(match other {
                        "group" => "use m.text for the whole match and m.groups[0] for the first group",
                        _ => "a match has .text .start .end .line .line_text .groups .doc .around .context_line",
                    })
                    .into()),
            },
            // Python's `str.lower` (as in `key=str.lower`): the builtin.
            Value::Func(Func::Builtin(b)) if b.name() == "str" => match builtins::lookup(name) {
                Some(f) => Ok(Value::Func(Func::Builtin(f))),
                None => Err(Diagnostic::runtime(span, format!("strings have no method `{name}`"))
                    .hint("str.f names the builtin f, as in sort(xs, key=str.lower)")
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
            (Value::Str(s), Value::Int(n)) => match s.char_at(*n) {
                Some(c) => Ok(Value::Str(c)),
                None => Err(Diagnostic::runtime(
                    span,
                    format!(
                        "index {n} is out of range for a string of {} characters",
                        s.char_len()
                    ),
                )
                .into()),
            },
            (Value::Record(r), k) => {
                let key = self.key_ref_of(k, span)?;
                match r.get(&key) {
                    Some(x) => Ok(x.clone()),
                    None => Err(missing_key(r, &key.to_key(), span).into()),
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

    pub(super) fn slice(
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
