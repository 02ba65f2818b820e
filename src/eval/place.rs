//! Places: updating a variable or a path inside it (`x[k] = v`, `x.f += 1`,
//! `xs.append(x)` as a statement).

use std::io::Write;
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::syntax::ast::*;
use crate::syntax::span::Span;

use super::env::Scope;
use super::errors::*;
use super::flow::R;
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
        if let Some(done) = self.append_to_variable(recv, name, args, sc, out) {
            return done.map(Some);
        }
        let Some(place) = expr_to_place(recv) else {
            return Ok(None);
        };
        // A record's field that holds a function is called instead (see
        // `method`); any other field does not hide the update.
        if let Some(Value::Record(r)) = sc.get(&place.root) {
            if place.path.is_empty() && matches!(r.field(name), Some(Value::Func(_))) {
                return Ok(None);
            }
        }
        let (argv, kwargs) = self.eval_args(args, sc, out)?;
        let span = e.span;
        self.update_place(&place, sc, out, |slot| {
            mutate(name, slot, &argv, &kwargs).map_err(|m| Diagnostic::runtime(span, m).into())
        })?;
        Ok(Some(()))
    }

    /// `xs.append(x)` where `xs` is a variable holding a list (the common
    /// case: an accumulator in a loop): `x` goes straight onto the list, as
    /// the general path would put it, with no place built and no vector of
    /// arguments. `None` for any other call.
    #[inline]
    fn append_to_variable(
        &self,
        recv: &Expr,
        name: &str,
        args: &[Arg],
        sc: &mut Scope,
        out: &mut dyn Write,
    ) -> Option<R<()>> {
        let (ExprKind::Var(root, hint), [Arg { name: None, value }]) = (&recv.kind, args) else {
            return None;
        };
        if name != "append" || !matches!(sc.find(root, hint), Some(Value::List(_))) {
            return None;
        }
        let item = match self.eval(value, sc, out) {
            Ok(item) => item,
            Err(flow) => return Some(Err(flow)),
        };
        if let Err(flow) = self.check_assignable(root, recv.span) {
            return Some(Err(flow));
        }
        // An expression reads variables and changes none: `xs` still
        // holds the list found above.
        Some(match sc.find_mut(root, hint) {
            Some(Value::List(l)) => {
                l.make_mut().push(item);
                Ok(())
            }
            _ => {
                Err(Diagnostic::runtime(recv.span, format!("`{root}` is no longer a list")).into())
            }
        })
    }

    /// `d[k] = get(d, k, a) + b`, `d[k] = d.get(k, a) + b` or
    /// `d[k] = (d[k] ?? a) + b` (a count kept in a loop), where `d` is a
    /// variable holding a record, `k` a variable holding a str or int key
    /// and `a`, `b` int literals: the key is looked up once and the count
    /// set where it lies, with no call made and no value copied, and with
    /// the general path's steps. `None`, before any step is counted, for
    /// any other statement and when the entry holds no int or the sum
    /// would overflow, so that the general path runs and says so.
    pub(super) fn count_into_record(
        &self,
        place: &Place,
        value: &Expr,
        sc: &mut Scope,
    ) -> Option<R<()>> {
        let count = counted(place, value, sc)?;
        let key = match sc.find(count.key.0, count.key.1)? {
            v @ (Value::Str(_) | Value::Int(_)) => v.clone(),
            _ => return None,
        };
        let key_ref = ops::key_ref(&key)?;
        let Some(Value::Record(r)) = sc.find_mut(&place.root, &place.root_hint) else {
            return None;
        };
        if count.method && r.field("get").is_some() {
            return None;
        }
        let at = r.get_index_of(&key_ref);
        let sum = match at {
            Some(i) => match r.get_index(i)? {
                (_, Value::Int(n)) => *n,
                _ => return None,
            },
            None => count.start,
        }
        .checked_add(count.step)?;
        for span in &count.spans[..count.steps] {
            if let Err(d) = self.meter.tick() {
                return Some(Err(d.at(*span).into()));
            }
        }
        if let Err(flow) = self.check_assignable(&place.root, place.root_span) {
            return Some(Err(flow));
        }
        let r = Arc::make_mut(r);
        match at.and_then(|i| r.get_index_mut(i)) {
            Some((_, v)) => *v = Value::Int(sum),
            None => {
                let key = ops::to_key(&key).unwrap_or_else(|| key_ref.to_key());
                r.insert(key, Value::Int(sum));
            }
        }
        Some(Ok(()))
    }

    /// Runs `f` on the value at `place`, in place: the variable's value (or
    /// the item or key inside it) is changed where it lives, so a value with
    /// a single owner is updated without a copy; a shared one is copied once
    /// first (`Arc::make_mut`), so aliases never see the change. When `f`
    /// fails, the value is as it was.
    pub(super) fn update_place(
        &self,
        place: &Place,
        sc: &mut Scope,
        out: &mut dyn Write,
        f: impl FnOnce(&mut Value) -> R<()>,
    ) -> R<()> {
        self.check_assignable(&place.root, place.root_span)?;
        if place.path.is_empty() {
            // A plain name (`i += 1`).
            return match sc.find_mut(&place.root, &place.root_hint) {
                Some(root) => f(root),
                None => Err(self.unknown_name(&place.root, place.root_span, sc).into()),
            };
        }
        // One step (`counts[u] = ...`) is the common case: its key needs
        // no list of its own.
        let (one, many);
        let keys: &[(Value, Span)] = match &place.path[..] {
            [step] => {
                one = [self.place_key(step, sc, out)?];
                &one
            }
            steps => {
                many = steps
                    .iter()
                    .map(|step| self.place_key(step, sc, out))
                    .collect::<R<Vec<_>>>()?;
                &many
            }
        };
        match sc.find_mut(&place.root, &place.root_hint) {
            Some(root) => set_path(root, keys, f),
            None => Err(self.unknown_name(&place.root, place.root_span, sc).into()),
        }
    }

    /// The key a step of a place goes through, and where it is written.
    fn place_key(&self, step: &PlaceStep, sc: &Scope, out: &mut dyn Write) -> R<(Value, Span)> {
        Ok(match step {
            PlaceStep::Index(e) => (self.eval(e, sc, out)?, e.span),
            PlaceStep::Field(n, s) => (Value::Str(Str::Owned(n.clone().into())), *s),
        })
    }
}

/// A count kept in a record, as [`Runtime::count_into_record`] takes it.
struct Count<'p> {
    /// The key's variable and its hint.
    key: (&'p Name, &'p SlotHint),
    /// The default: the count of a new key before the step.
    start: i64,
    /// What the statement adds.
    step: i64,
    /// Written `d.get(k, a)`: a field `get` of the record would be called
    /// instead.
    method: bool,
    /// Where the general path counts its steps, in its order: the sum,
    /// then the read of the count (`get(…)`, or `??` and its `d[k]`).
    spans: [Span; 3],
    /// How many of `spans` it counts.
    steps: usize,
}

/// The parts of `d[k] = get(d, k, a) + b`, `d[k] = d.get(k, a) + b` or
/// `d[k] = (d[k] ?? a) + b`, with `get` the builtin and `a`, `b` int
/// literals.
fn counted<'p>(place: &'p Place, value: &'p Expr, sc: &Scope) -> Option<Count<'p>> {
    let [PlaceStep::Index(key)] = &place.path[..] else {
        return None;
    };
    let ExprKind::Var(k, key_hint) = &key.kind else {
        return None;
    };
    let ExprKind::Binary(BinOp::Add, read, step) = &value.kind else {
        return None;
    };
    let ExprKind::Int(step) = step.kind else {
        return None;
    };
    let (d, k2, start, method, spans, steps) = match &read.kind {
        ExprKind::Coalesce(x, start) => {
            let ExprKind::Index(d, k2) = &x.kind else {
                return None;
            };
            let spans = [value.span, read.span, x.span];
            (&**d, &**k2, &**start, false, spans, 3)
        }
        _ => {
            let call = super::expr::receiver_call(read)?;
            let [k2, start] = call.rest else {
                return None;
            };
            let is_get = super::expr::hinted_builtin(call.name, call.hint.get(), sc)
                .is_some_and(|b| b.name() == "get");
            if !is_get || k2.name.is_some() || start.name.is_some() {
                return None;
            }
            let spans = [value.span, read.span, read.span];
            (call.recv, &k2.value, &start.value, call.method, spans, 2)
        }
    };
    let (ExprKind::Var(d, _), ExprKind::Var(k2, _), ExprKind::Int(start)) =
        (&d.kind, &k2.kind, &start.kind)
    else {
        return None;
    };
    (*d == place.root && k2 == k).then_some(Count {
        key: (k, key_hint),
        start: *start,
        step,
        method,
        spans,
        steps,
    })
}

pub(super) fn expr_to_place(e: &Expr) -> Option<Place> {
    match &e.kind {
        ExprKind::Var(n, hint) => Some(Place {
            root: n.clone(),
            root_span: e.span,
            root_hint: hint.clone(),
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

/// A list method called as a statement, applied to the list in place.
pub(super) fn mutate(
    name: &str,
    slot: &mut Value,
    args: &[Value],
    kwargs: &[(Name, Value)],
) -> Result<(), String> {
    match (name, &mut *slot) {
        ("append", Value::List(l)) if args.len() == 1 => {
            l.make_mut().push(args[0].clone());
            Ok(())
        }
        ("extend", Value::List(l)) if args.len() == 1 => match &args[0] {
            Value::List(m) => {
                l.make_mut().extend(m.iter());
                Ok(())
            }
            other => Err(format!("extend needs a list, got {}", other.type_name())),
        },
        ("insert", Value::List(l)) if args.len() == 2 => {
            let Value::Int(i) = args[0] else {
                return Err("insert(i, x) needs an int index".into());
            };
            let v = l.make_mut();
            let len = v.len() as i64;
            let at = if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
            v.insert(at, args[1].clone());
            Ok(())
        }
        ("reverse", Value::List(l)) if args.is_empty() => {
            l.make_mut().reverse();
            Ok(())
        }
        ("sort", Value::List(_)) => Err("`xs.sort()` as a statement: write `xs = sort(xs)` (with key=..., reverse=true as needed)".into()),
        ("pop", Value::List(_)) => Err("`xs.pop()` is not available: use `last = xs[-1]` and `xs = xs[:-1]`".into()),
        ("update", Value::Record(r)) if args.len() == 1 => match &args[0] {
            Value::Record(s) => {
                let m = Arc::make_mut(r);
                for (k, v) in s.iter() {
                    m.insert(k.clone(), v.clone());
                }
                Ok(())
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

/// Follows `keys` from `root` and runs `f` on the value found, in place
/// (copying shared containers on the way, once each).
pub(super) fn set_path(
    root: &mut Value,
    keys: &[(Value, Span)],
    f: impl FnOnce(&mut Value) -> R<()>,
) -> R<()> {
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
            let Some(k) = ops::resolve_index(*i, l.len()) else {
                return Err(Diagnostic::runtime(
                    *span,
                    format!("index {i} is out of range for a list of {} items", l.len()),
                )
                .hint("use xs.append(x) to add an item")
                .into());
            };
            set_path(&mut l.make_mut()[k], rest, f)
        }
        Value::Record(r) => {
            let Some(k) = ops::key_ref(key) else {
                return Err(Diagnostic::runtime(
                    *span,
                    format!("record keys must be str or int, got {}", key.type_name()),
                )
                .into());
            };
            // One hash finds the entry; the update goes to it by position.
            let Some(at) = r.get_index_of(&k) else {
                if !rest.is_empty() {
                    return Err(missing_key(r, &k.to_key(), *span).into());
                }
                // A new key: computed aside, so a failure adds nothing.
                let mut new = Value::Null;
                f(&mut new)?;
                let k = ops::to_key(key).unwrap_or_else(|| k.to_key());
                Arc::make_mut(r).insert(k, new);
                return Ok(());
            };
            match Arc::make_mut(r).get_index_mut(at) {
                Some((_, v)) => set_path(v, rest, f),
                None => Err(missing_key(r, &k.to_key(), *span).into()),
            }
        }
        other => Err(Diagnostic::runtime(
            *span,
            format!("cannot assign into a {}", other.type_name()),
        )
        .hint("only list items and record keys can be assigned")
        .into()),
    }
}
