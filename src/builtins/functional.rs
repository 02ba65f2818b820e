//! Builtins that take a function: map, filter, sort, group_by, count_by,
//! first, reduce, min, max, any, all. Pure functions run on all cores
//! through [`CallCx::apply_all`]; results keep input order.

use std::cell::RefCell;
use std::cmp::Ordering;

use super::args::{fail_hint_at, Args, CallCx};
use super::str_order::str_order;
use super::{Builtin, Effect};
use crate::eval::flow::{Flow, R};
use crate::eval::ops::{compare, key_ref, to_key};
use crate::eval::value::{Func, List, Record, Value};
use crate::syntax::span::Span;

/// The builtins that take a function.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        sig: "map(xs, f)",
        doc: "f(x) for each item, in order (concurrent for sub-calls, parallel for pure functions)", brief: "f(x) each, in order; sub-calls run concurrently",
        effect: Effect::Pure,
        run: map,
    },
    Builtin {
        sig: "filter(xs, f)",
        doc: "the items for which f(x) is truthy, in order", brief: "items where f(x) is truthy",
        effect: Effect::Pure,
        run: filter,
    },
    Builtin {
        sig: "sort(xs, key=null, reverse=false)",
        doc: "sorted copy of a list (a string's characters, a record's keys), stable; numbers numerically, strings by code point", brief: "stable sorted copy (sorted is an alias)",
        effect: Effect::Pure,
        run: sort,
    },
    Builtin {
        sig: "group_by(xs, f)",
        doc: "record f(x) -> list of items, keys in first-seen order", brief: "record f(x) -> items",
        effect: Effect::Pure,
        run: group_by,
    },
    Builtin {
        sig: "count_by(xs, f)",
        doc: "record f(x) -> number of items, keys in first-seen order", brief: "record f(x) -> count",
        effect: Effect::Pure,
        run: count_by,
    },
    Builtin {
        sig: "first(xs, f=null)",
        doc: "the first item for which f(x) is truthy (the first item without f), or null", brief: "first item with f(x) truthy, or null",
        effect: Effect::Pure,
        run: first,
    },
    Builtin {
        sig: "reduce(xs, f, init)",
        doc: "f(...f(f(init, x0), x1)..., xn)", brief: "fold from init",
        effect: Effect::Pure,
        run: reduce,
    },
    Builtin {
        sig: "min(*values, key=null)",
        doc: "smallest of a list (a string's characters, a record's keys) or of the arguments (the first on ties)", brief: "of a list/str/record or the arguments",
        effect: Effect::Pure,
        run: min,
    },
    Builtin {
        sig: "max(*values, key=null)",
        doc: "largest of a list (a string's characters, a record's keys) or of the arguments (the first on ties)", brief: "of a list/str/record or the arguments",
        effect: Effect::Pure,
        run: max,
    },
    Builtin {
        sig: "any(xs, f=null)",
        doc: "true if any item (or f(item)) is truthy", brief: "",
        effect: Effect::Pure,
        run: any,
    },
    Builtin {
        sig: "all(xs, f=null)",
        doc: "true if every item (or f(item)) is truthy", brief: "",
        effect: Effect::Pure,
        run: all,
    },
];

fn map(cx: &mut CallCx, a: &Args) -> R<Value> {
    let xs = cx.iterable(a, 0)?;
    let f = cx.func(a, 1)?;
    Ok(Value::list(cx.apply_all(&xs, &f)?))
}

fn filter(cx: &mut CallCx, a: &Args) -> R<Value> {
    let xs = cx.iterable(a, 0)?;
    let f = cx.func(a, 1)?;
    let keep = cx.apply_all(&xs, &f)?;
    Ok(Value::list(
        xs.iter()
            .zip(keep)
            .filter(|(_, k)| k.truthy())
            .map(|(x, _)| x)
            .collect(),
    ))
}

/// Lists at least this long are sorted on all cores (shorter ones sort
/// in less time than handing the work to other threads takes).
const PARALLEL_SORT: usize = 1 << 15;

/// Sorts `v` by `cmp`, keeping equal elements in order when `stable`; on
/// all cores when it is long.
fn sort_slice<T: Send>(v: &mut [T], stable: bool, cmp: impl Fn(&T, &T) -> Ordering + Sync) {
    use rayon::slice::ParallelSliceMut;
    match (v.len() >= PARALLEL_SORT, stable) {
        (true, true) => v.par_sort_by(cmp),
        (true, false) => v.par_sort_unstable_by(cmp),
        (false, true) => v.sort_by(cmp),
        (false, false) => v.sort_unstable_by(cmp),
    }
}

/// The order of the items whose sort keys are `keys`: the index of the
/// item that goes first, then the next (stable); an incomparable pair is
/// an error. Keys that are all ints are compared directly, all strings by
/// their bytes a few words at a time ([`str_order`]); when the items are their
/// own keys, equal items cannot be told apart and the sort need not be
/// stable.
fn sort_order(cx: &CallCx, keys: &[Value], reverse: bool, keys_are_items: bool) -> R<Vec<usize>> {
    let order = |o: Ordering| if reverse { o.reverse() } else { o };
    let stable = !keys_are_items;
    if let Some(ints) = all_ints(keys) {
        let mut pairs: Vec<(i64, usize)> = ints.into_iter().zip(0..).collect();
        sort_slice(&mut pairs, stable, |a, b| order(a.0.cmp(&b.0)));
        return Ok(pairs.into_iter().map(|(_, i)| i).collect());
    }
    if let Some(order) = all_strs(keys).and_then(|strs| str_order(&strs, reverse)) {
        return Ok(order);
    }
    let failure: RefCell<Option<Flow>> = RefCell::new(None);
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by(|&i, &j| {
        let o = compare(&keys[i], &keys[j]).unwrap_or_else(|e| {
            failure.borrow_mut().get_or_insert_with(|| {
                let d = crate::diag::Diagnostic::runtime(
                    cx.span,
                    format!("{}: {}", cx.name, e.message),
                );
                match e.hint {
                    Some(h) => d.hint(h).into(),
                    None => d.into(),
                }
            });
            Ordering::Equal
        });
        order(o)
    });
    match failure.into_inner() {
        Some(f) => Err(f),
        None => Ok(idx),
    }
}

/// `items` in the order `idx` gives (each index once).
fn in_order(mut items: Vec<Value>, idx: Vec<usize>) -> Vec<Value> {
    idx.into_iter()
        .map(|i| std::mem::replace(&mut items[i], Value::Null))
        .collect()
}

/// The keys as ints, when every one is an int.
fn all_ints(keys: &[Value]) -> Option<Vec<i64>> {
    keys.iter()
        .map(|k| match k {
            Value::Int(i) => Some(*i),
            _ => None,
        })
        .collect()
}

/// The keys' bytes, when every one is a string (byte order is code point
/// order).
fn all_strs(keys: &[Value]) -> Option<Vec<&[u8]>> {
    keys.iter()
        .map(|k| match k {
            Value::Str(s) => Some(s.bytes()),
            _ => None,
        })
        .collect()
}

fn sort(cx: &mut CallCx, a: &Args) -> R<Value> {
    let xs = cx.iterable(a, 0)?;
    let reverse = cx.bool(a, 2, false);
    let key_fn = cx.opt_func(a, 1)?;
    if key_fn.is_none() {
        // Ints sorted as themselves need no permutation of the items (a
        // list of lines holds none).
        if let Some(mut ints) = xs.as_slice().and_then(all_ints) {
            cx.tick(ints.len() as u64)?;
            sort_slice(&mut ints, false, i64::cmp);
            if reverse {
                ints.reverse();
            }
            return Ok(Value::list(ints.into_iter().map(Value::Int).collect()));
        }
    }
    let items: Vec<Value> = xs.iter().collect();
    cx.tick(items.len() as u64)?;
    let idx = match &key_fn {
        Some(f) => {
            let keys = cx.apply_all(&xs, f)?;
            sort_order(cx, &keys, reverse, false)?
        }
        None => sort_order(cx, &items, reverse, true)?,
    };
    Ok(Value::list(in_order(items, idx)))
}

/// The key function's results, each checked to be usable as a record key.
fn key_values(cx: &mut CallCx, xs: &List, f: &Func) -> R<Vec<Value>> {
    let keys = cx.apply_all(xs, f)?;
    if let Some(k) = keys.iter().find(|k| key_ref(k).is_none()) {
        return Err(not_a_key(cx.name, cx.span, k));
    }
    Ok(keys)
}

/// The error for a key function that returned `k`, which cannot be a key.
#[cold]
fn not_a_key(name: &str, span: Span, k: &Value) -> Flow {
    fail_hint_at(
        name,
        span,
        format!(
            "the key function returned {}, which cannot be a record key",
            k.type_name()
        ),
        "return a str or an int, e.g. r => str(r.user)",
    )
}

/// The index of `k`'s entry in `r`, made with `fresh()` the first time the
/// key turns up; `None` for a value that cannot be a key. Looked up
/// borrowed, a key is only copied when new.
fn entry_of(r: &mut Record, k: &Value, fresh: impl FnOnce() -> Value) -> Option<usize> {
    let kr = key_ref(k)?;
    Some(match r.get_index_of(&kr) {
        Some(at) => at,
        None => {
            r.insert_full(to_key(k).unwrap_or_else(|| kr.to_key()), fresh())
                .0
        }
    })
}

/// Calls `seen(index)` for each key: the index of its record entry (see
/// [`entry_of`]).
fn tally(
    r: &mut Record,
    keys: &[Value],
    fresh: impl Fn() -> Value,
    mut seen: impl FnMut(&mut Record, usize, usize),
) {
    for (i, k) in keys.iter().enumerate() {
        if let Some(at) = entry_of(r, k, &fresh) {
            seen(r, at, i);
        }
    }
}

fn group_by(cx: &mut CallCx, a: &Args) -> R<Value> {
    let xs = cx.iterable(a, 0)?;
    let f = cx.func(a, 1)?;
    let keys = key_values(cx, &xs, &f)?;
    let items = xs.to_vec();
    let mut groups: Vec<Vec<Value>> = Vec::new();
    let mut r = Record::default();
    tally(
        &mut r,
        &keys,
        || Value::Null,
        |_, at, i| {
            if at == groups.len() {
                groups.push(Vec::new());
            }
            groups[at].push(items[i].clone());
        },
    );
    for (slot, g) in r.values_mut().zip(groups) {
        *slot = Value::list(g);
    }
    Ok(Value::record(r))
}

fn count_by(cx: &mut CallCx, a: &Args) -> R<Value> {
    let xs = cx.iterable(a, 0)?;
    let f = cx.func(a, 1)?;
    // Keys are counted as they come, never held all at once.
    let (name, span) = (cx.name, cx.span);
    let mut r = Record::default();
    cx.apply_each(&xs, &f, |k| {
        let at = entry_of(&mut r, &k, || Value::Int(0)).ok_or_else(|| not_a_key(name, span, &k))?;
        if let Some((_, Value::Int(n))) = r.get_index_mut(at) {
            *n += 1;
        }
        Ok(())
    })?;
    Ok(Value::record(r))
}

fn first(cx: &mut CallCx, a: &Args) -> R<Value> {
    let xs = cx.iterable(a, 0)?;
    let Some(f) = cx.opt_func(a, 1)? else {
        return Ok(xs.get(0).unwrap_or(Value::Null));
    };
    for x in xs.iter() {
        if cx.call_one(&f, x.clone())?.truthy() {
            return Ok(x);
        }
    }
    Ok(Value::Null)
}

fn reduce(cx: &mut CallCx, a: &Args) -> R<Value> {
    let xs = cx.iterable(a, 0)?;
    let f = cx.func(a, 1)?;
    let mut acc = a.raw(2).cloned().unwrap_or(Value::Null);
    for x in xs.iter() {
        acc = cx.call(&f, vec![acc, x])?;
    }
    Ok(acc)
}

fn extreme(cx: &mut CallCx, a: &Args, want: Ordering) -> R<Value> {
    // One argument is iterated as in Python: `max("hello")` is "o",
    // `max(r)` the largest key of a record.
    let items: List = match a.rest() {
        [one] => super::args::python_items(one).ok_or_else(|| {
            cx.fail_hint(
                format!("needs a list, a string or a record, got {}", one.type_name()),
                format!(
                    "{0}(xs) gives the {1} item of a list (a string's characters, a record's keys); {0}(a, b) the {1} of its arguments",
                    cx.name,
                    if cx.name == "max" { "largest" } else { "smallest" }
                ),
            )
        })?,
        [] => return Err(cx.fail("needs a list or at least one value")),
        many => List::from_vec(many.to_vec()),
    };
    if items.is_empty() {
        return Err(cx.fail_hint(
            "the list is empty",
            "check `if xs` first, or use first(sort(xs)) ?? default",
        ));
    }
    let keys = match cx.opt_func(a, 1)? {
        Some(f) => cx.apply_all(&items, &f)?,
        None => items.iter().collect(),
    };
    let mut best = 0;
    for i in 1..keys.len() {
        let o = compare(&keys[i], &keys[best]).map_err(|e| cx.fail(e.message))?;
        if o == want {
            best = i;
        }
    }
    Ok(items.get(best).unwrap_or(Value::Null))
}

fn min(cx: &mut CallCx, a: &Args) -> R<Value> {
    extreme(cx, a, Ordering::Less)
}

fn max(cx: &mut CallCx, a: &Args) -> R<Value> {
    extreme(cx, a, Ordering::Greater)
}

fn truth_test(cx: &mut CallCx, a: &Args, want_any: bool) -> R<Value> {
    let xs = cx.iterable(a, 0)?;
    let f = cx.opt_func(a, 1)?;
    for x in xs.iter() {
        let t = match &f {
            Some(f) => cx.call_one(f, x)?.truthy(),
            None => x.truthy(),
        };
        if t == want_any {
            return Ok(Value::Bool(want_any));
        }
    }
    Ok(Value::Bool(!want_any))
}

fn any(cx: &mut CallCx, a: &Args) -> R<Value> {
    truth_test(cx, a, true)
}

fn all(cx: &mut CallCx, a: &Args) -> R<Value> {
    truth_test(cx, a, false)
}
