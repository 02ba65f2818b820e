//! Places: updating a variable or a path inside it (`x[k] = v`, `x.f += 1`,
//! `xs.append(x)` as a statement).

use std::io::Write;
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::syntax::ast::*;
use crate::syntax::span::Span;

use super::env::Scope;
use super::errors::*;
use super::flow::{Flow, R};
use super::interp::Runtime;
use super::ops::{self};
use super::value::*;

impl Runtime {
    /// `xs.append(x)`, `xs.extend(ys)`, `xs.sort()`, `xs.reverse()`,
    /// `r.update(s)` as statements update the variable they are called on.
    pub(super) fn exec_mutating_method(
        &self,
        e: &Expr,
        sc: &mut Scope,
        out: &mut dyn Write,
    ) -> R<Option<()>> {
        let ExprKind::Method {
            recv, name, args, ..
        } = &e.kind
        else {
            return Ok(None);
        };
        if !matches!(
            &**name,
            "append" | "extend" | "sort" | "reverse" | "update" | "insert" | "pop"
        ) {
            return Ok(None);
        }
        let Some(place) = expr_to_place(recv) else {
            return Ok(None);
        };
        if let Some(Value::Record(r)) = sc.get(&place.root) {
            if r.contains_key(&Key::Str(name.clone())) && place.path.is_empty() {
                return Ok(None);
            }
        }
        let mut argv = Vec::new();
        let mut kwargs = Vec::new();
        for a in args {
            let v = self.eval(&a.value, sc, out)?;
            match &a.name {
                Some(n) => kwargs.push((n.clone(), v)),
                None => argv.push(v),
            }
        }
        let span = e.span;
        let name = name.clone();
        self.update_place(&place, sc, out, |old| {
            mutate(&name, old, &argv, &kwargs).map_err(|m| Diagnostic::runtime(span, m).into())
        })?;
        Ok(Some(()))
    }

    pub(super) fn update_place(
        &self,
        place: &Place,
        sc: &mut Scope,
        out: &mut dyn Write,
        f: impl FnOnce(Value) -> R<Value>,
    ) -> R<()> {
        self.check_assignable(&place.root, place.root_span)?;
        let mut keys = Vec::with_capacity(place.path.len());
        for step in &place.path {
            keys.push(match step {
                PlaceStep::Index(e) => (self.eval(e, sc, out)?, e.span),
                PlaceStep::Field(n, s) => (Value::Str(Str::Owned(n.clone())), *s),
            });
        }
        let root = match sc.get(&place.root) {
            Some(v) => v.clone(),
            None if keys.is_empty() => {
                return Err(self.unknown_name(&place.root, place.root_span, sc).into())
            }
            None => return Err(self.unknown_name(&place.root, place.root_span, sc).into()),
        };
        let updated = set_path(root, &keys, f)?;
        sc.set(place.root.clone(), updated);
        Ok(())
    }
}

pub(super) fn expr_to_place(e: &Expr) -> Option<Place> {
    match &e.kind {
        ExprKind::Var(n) => Some(Place {
            root: n.clone(),
            root_span: e.span,
            path: Vec::new(),
        }),
        ExprKind::Index(x, i) => {
            let mut p = expr_to_place(x)?;
            p.path.push(PlaceStep::Index((**i).clone()));
            Some(p)
        }
        ExprKind::Field(x, n) => {
            let mut p = expr_to_place(x)?;
            p.path.push(PlaceStep::Field(n.clone(), e.span));
            Some(p)
        }
        _ => None,
    }
}

pub(super) fn mutate(
    name: &str,
    old: Value,
    args: &[Value],
    kwargs: &[(Name, Value)],
) -> Result<Value, String> {
    match (name, old) {
        ("append", Value::List(l)) if args.len() == 1 => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            v.push(args[0].clone());
            Ok(Value::list(v))
        }
        ("extend", Value::List(l)) if args.len() == 1 => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            match &args[0] {
                Value::List(m) => v.extend(m.iter()),
                other => return Err(format!("extend needs a list, got {}", other.type_name())),
            }
            Ok(Value::list(v))
        }
        ("insert", Value::List(l)) if args.len() == 2 => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            let Value::Int(i) = args[0] else {
                return Err("insert(i, x) needs an int index".into());
            };
            let len = v.len() as i64;
            let at = if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
            v.insert(at, args[1].clone());
            Ok(Value::list(v))
        }
        ("reverse", Value::List(l)) if args.is_empty() => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            v.reverse();
            Ok(Value::list(v))
        }
        ("sort", Value::List(_)) => Err("`xs.sort()` as a statement: write `xs = sort(xs)` (with key=..., reverse=true as needed)".into()),
        ("pop", Value::List(_)) => Err("`xs.pop()` is not available: use `last = xs[-1]` and `xs = xs[:-1]`".into()),
        ("update", Value::Record(r)) if args.len() == 1 => match &args[0] {
            Value::Record(s) => {
                let mut m = (*r).clone();
                for (k, v) in s.iter() {
                    m.insert(k.clone(), v.clone());
                }
                Ok(Value::record(m))
            }
            other => Err(format!("update needs a record, got {}", other.type_name())),
        },
        (_, old) => {
            let _ = kwargs;
            Err(format!(
                "`.{name}(...)` is not defined on {} with {} argument{}",
                old.type_name(),
                args.len(),
                if args.len() == 1 { "" } else { "s" }
            ))
        }
    }
}

pub(super) fn set_path(
    root: Value,
    keys: &[(Value, Span)],
    f: impl FnOnce(Value) -> R<Value>,
) -> R<Value> {
    let Some(((key, span), rest)) = keys.split_first() else {
        return f(root);
    };
    match root {
        Value::List(l) => {
            let Value::Int(i) = key else {
                return Err(Diagnostic::runtime(
                    *span,
                    format!("list indices must be int, got {}", key.type_name()),
                )
                .into());
            };
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            let Some(k) = ops::resolve_index(*i, v.len()) else {
                return Err(Diagnostic::runtime(
                    *span,
                    format!("index {i} is out of range for a list of {} items", v.len()),
                )
                .hint("use xs.append(x) to add an item")
                .into());
            };
            let old = std::mem::replace(&mut v[k], Value::Null);
            v[k] = set_path(old, rest, f)?;
            Ok(Value::list(v))
        }
        Value::Record(r) => {
            let k = ops::to_key(key).ok_or_else(|| {
                Flow::from(Diagnostic::runtime(
                    *span,
                    format!("record keys must be str or int, got {}", key.type_name()),
                ))
            })?;
            let mut m = Arc::unwrap_or_clone(r);
            let old = match m.get(&k) {
                Some(v) => v.clone(),
                None if rest.is_empty() => Value::Null,
                None => return Err(missing_key(&m, &k, *span).into()),
            };
            let new = set_path(old, rest, f)?;
            m.insert(k, new);
            Ok(Value::record(m))
        }
        other => Err(Diagnostic::runtime(
            *span,
            format!("cannot assign into a {}", other.type_name()),
        )
        .hint("only list items and record keys can be assigned")
        .into()),
    }
}
