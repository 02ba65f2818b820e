//! Iteration: what a `for` loop or a comprehension walks, and the
//! clauses of comprehensions.

use std::io::Write;

use crate::diag::Diagnostic;
use crate::syntax::ast::*;
use crate::syntax::span::Span;

use super::env::{Locals, Scope};
use super::errors::*;
use super::flow::R;
use super::interp::Runtime;
use super::value::*;

/// Bytes of the character `bytes` starts with (stray continuation bytes
/// attach to it, as the context's character count has it), if any.
fn utf8_len(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.first()?;
    let n = match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    };
    let mut n = n.min(bytes.len());
    while n < bytes.len() && (0x80..=0xBF).contains(&bytes[n]) {
        n += 1;
    }
    Some(n)
}

impl Runtime {
    /// The items a `for` loop or comprehension walks: a list's items, a
    /// string's characters, a record's keys.
    pub fn iterate(&self, v: Value, span: Span) -> R<Box<dyn Iterator<Item = Value> + '_>> {
        Ok(match v {
            // Items are made one at a time, as the loop takes them: a
            // loop over a huge list or text holds no second copy of it,
            // and lines are walked in order, never looked up by index.
            Value::List(l) => Box::new(l.into_values()),
            Value::Str(s) => {
                let mut at = 0;
                Box::new(std::iter::from_fn(move || {
                    let rest = s.bytes().get(at..)?;
                    let n = utf8_len(rest)?;
                    let piece = String::from_utf8_lossy(&rest[..n]).into_owned();
                    at += n;
                    Some(Value::str(piece))
                }))
            }
            Value::Record(r) => {
                Box::new(r.keys().map(Key::to_value).collect::<Vec<_>>().into_iter())
            }
            Value::Error(e) => return Err(error_value_used(&e, span).into()),
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

    /// The scope a comprehension binds its names in: the enclosing
    /// locals, with room for one name per `for` clause (at least; a
    /// clause may unpack into more).
    pub(super) fn comp_scope<'a>(&self, sc: &'a Scope, clauses: &[CompClause]) -> Scope<'a> {
        let names = clauses
            .iter()
            .filter(|c| matches!(c, CompClause::For { .. }))
            .count();
        Scope::Local {
            globals: sc.globals(),
            locals: match sc.locals() {
                Some(l) => l.with_room(names),
                None => Locals::with_capacity(names),
            },
        }
    }

    /// Gives `results` one result per item the `clauses` yield.
    pub(super) fn comprehend<'g>(
        &self,
        clauses: &'g [CompClause],
        sc: &mut Scope<'g>,
        out: &mut dyn Write,
        results: &mut dyn Results,
    ) -> R<()> {
        let Some((first, rest)) = clauses.split_first() else {
            return results.add(self, sc, out);
        };
        match first {
            CompClause::If(c) => {
                if self.holds(c, sc, out)? {
                    self.comprehend(rest, sc, out, results)?;
                }
                Ok(())
            }
            CompClause::For { target, iter } => {
                let it = self.eval(iter, sc, out)?;
                let items = self.iterate(it, iter.span)?;
                if rest.is_empty() {
                    results.expect(items.size_hint().0);
                }
                for item in items {
                    self.meter.tick().map_err(|d| d.at(iter.span))?;
                    self.bind(target, item, sc)?;
                    self.comprehend(rest, sc, out, results)?;
                }
                Ok(())
            }
        }
    }
}

/// What a comprehension builds, one result at a time.
pub(super) trait Results {
    /// Room for `n` more results: the last clause is a `for` over `n`
    /// items, each of which yields one (so the results are sized once,
    /// not grown by doubling).
    fn expect(&mut self, n: usize);

    /// Adds the result for the names bound in `sc`.
    fn add(&mut self, rt: &Runtime, sc: &Scope, out: &mut dyn Write) -> R<()>;
}

/// A list comprehension's results: `elem` for each item.
pub(super) struct ListResults<'e> {
    /// The expression each item yields.
    pub elem: &'e Expr,
    /// The results so far.
    pub items: Vec<Value>,
}

impl Results for ListResults<'_> {
    fn expect(&mut self, n: usize) {
        self.items.reserve(n);
    }

    fn add(&mut self, rt: &Runtime, sc: &Scope, out: &mut dyn Write) -> R<()> {
        self.items.push(rt.eval(self.elem, sc, out)?);
        Ok(())
    }
}

/// A record comprehension's results: `key: value` for each item.
pub(super) struct RecordResults<'e> {
    /// The expression of each key.
    pub key: &'e Expr,
    /// The expression of each value.
    pub value: &'e Expr,
    /// The record so far.
    pub record: Record,
}

impl Results for RecordResults<'_> {
    fn expect(&mut self, n: usize) {
        self.record.reserve(n);
    }

    fn add(&mut self, rt: &Runtime, sc: &Scope, out: &mut dyn Write) -> R<()> {
        let k = rt.eval(self.key, sc, out)?;
        let k = rt.key_of(&k, self.key.span)?;
        self.record.insert(k, rt.eval(self.value, sc, out)?);
        Ok(())
    }
}
