//! Builtins on lists and records that take no function: take, skip, zip,
//! enumerate, flatten, pairs, unique, reverse, range, sum, keys, values,
//! items, get, record, merge.

use std::collections::HashSet;
use std::sync::Arc;

use super::args::{Args, CallCx};
use super::{Builtin, Effect};
use crate::eval::flow::R;
use crate::eval::ops::{self, to_key};
use crate::eval::value::{IntRange, Key, List, Record, Value};

/// The collection builtins.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        sig: "take(xs, n)",
        doc: "the first n items (or characters)",
        brief: "first n",
        effect: Effect::Pure,
        run: take,
    },
    Builtin {
        sig: "skip(xs, n)",
        doc: "all but the first n items (or characters)",
        brief: "all but first n",
        effect: Effect::Pure,
        run: skip,
    },
    Builtin {
        sig: "zip(*lists)",
        doc: "[a_i, b_i, ...] for each position, as long as the shortest list",
        brief: "[a_i, b_i] lists",
        effect: Effect::Pure,
        run: zip,
    },
    Builtin {
        sig: "enumerate(xs, start=0)",
        doc: "[i, x] for each item",
        brief: "[i, x] lists",
        effect: Effect::Pure,
        run: enumerate,
    },
    Builtin {
        sig: "flatten(xs)",
        doc: "the items of the inner lists, one level (non-list items kept as they are)",
        brief: "one level",
        effect: Effect::Pure,
        run: flatten,
    },
    Builtin {
        sig: "pairs(xs)",
        doc: "every [xs_i, xs_j] with i < j",
        brief: "every [xs_i, xs_j], i < j",
        effect: Effect::Pure,
        run: pairs,
    },
    Builtin {
        sig: "unique(xs)",
        doc: "distinct items in first-seen order",
        brief: "distinct, first-seen order",
        effect: Effect::Pure,
        run: unique,
    },
    Builtin {
        sig: "reverse(xs)",
        doc: "the items (or characters) in reverse order",
        brief: "",
        effect: Effect::Pure,
        run: reverse,
    },
    Builtin {
        sig: "range(a, b=null, step=1)",
        doc: "range(n) is 0..n-1; range(a, b) is a..b-1; its ints are made as they are read (a loop over `range(n)` holds no list of n ints)",
        brief: "as Python's",
        effect: Effect::Pure,
        run: range,
    },
    Builtin {
        sig: "sum(xs, start=0)",
        doc: "the sum of numbers",
        brief: "",
        effect: Effect::Pure,
        run: sum,
    },
    Builtin {
        sig: "keys(r)",
        doc: "the keys of a record, in insertion order",
        brief: "",
        effect: Effect::Pure,
        run: keys,
    },
    Builtin {
        sig: "values(r)",
        doc: "the values of a record, in insertion order",
        brief: "",
        effect: Effect::Pure,
        run: values,
    },
    Builtin {
        sig: "items(r)",
        doc: "[key, value] pairs of a record, in insertion order",
        brief: "[key, value] lists",
        effect: Effect::Pure,
        run: items,
    },
    Builtin {
        sig: "get(x, key, default=null)",
        doc: "r[key] or xs[i], or default when absent",
        brief: "r[key] / xs[i], or default",
        effect: Effect::Pure,
        run: get,
    },
    Builtin {
        sig: "record(pairs=null)",
        doc: "a record from [key, value] pairs (or a copy of a record)",
        brief: "record from [k, v] pairs",
        effect: Effect::Pure,
        run: record,
    },
    Builtin {
        sig: "merge(*records)",
        doc: "a record with the keys of later records over earlier ones",
        brief: "later records' keys win",
        effect: Effect::Pure,
        run: merge,
    },
    Builtin {
        sig: "list(x)",
        doc: "a list: the characters of a str, the keys of a record, a copy of a list",
        brief: "chars / keys / copy",
        effect: Effect::Pure,
        run: list,
    },
];

fn take(cx: &mut CallCx, a: &Args) -> R<Value> {
    let n = cx.int(a, 1, None)?.max(0);
    match a.raw(0) {
        Some(Value::List(l)) => Ok(Value::List(l.slice(0..(n as usize).min(l.len())))),
        Some(Value::Str(s)) => Ok(Value::Str(crate::eval::interp::slice_str(s, None, Some(n)))),
        Some(other) => Err(cx.fail(format!("cannot take from {}", other.type_name()))),
        None => Err(cx.fail("missing the list")),
    }
}

fn skip(cx: &mut CallCx, a: &Args) -> R<Value> {
    let n = cx.int(a, 1, None)?.max(0);
    match a.raw(0) {
        Some(Value::List(l)) => Ok(Value::List(l.slice((n as usize).min(l.len())..l.len()))),
        Some(Value::Str(s)) => Ok(Value::Str(crate::eval::interp::slice_str(s, Some(n), None))),
        Some(other) => Err(cx.fail(format!("cannot skip in {}", other.type_name()))),
        None => Err(cx.fail("missing the list")),
    }
}

fn zip(cx: &mut CallCx, a: &Args) -> R<Value> {
    let mut lists = Vec::new();
    for (i, v) in a.rest().iter().enumerate() {
        match v {
            Value::List(l) => lists.push(l.to_vec()),
            other => {
                return Err(cx.fail(format!(
                    "argument {} must be a list, got {}",
                    i + 1,
                    other.type_name()
                )))
            }
        }
    }
    let n = lists.iter().map(|l| l.len()).min().unwrap_or(0);
    cx.reserve(n * lists.len() * 32)?;
    Ok(Value::list(
        (0..n)
            .map(|i| Value::list(lists.iter().map(|l| l[i].clone()).collect()))
            .collect(),
    ))
}

fn enumerate(cx: &mut CallCx, a: &Args) -> R<Value> {
    let l = cx.iterable(a, 0)?;
    let start = cx.int(a, 1, Some(0))?;
    cx.reserve(l.len() * 64)?;
    let mut out = Vec::with_capacity(l.len());
    for (i, x) in l.iter().enumerate() {
        let n = i64::try_from(i)
            .ok()
            .and_then(|i| start.checked_add(i))
            .ok_or_else(|| {
                cx.fail("integer overflow: start plus the index passes the largest int")
            })?;
        out.push(Value::list(vec![Value::Int(n), x]));
    }
    Ok(Value::list(out))
}

fn flatten(cx: &mut CallCx, a: &Args) -> R<Value> {
    let l = cx.list(a, 0)?;
    let mut out = Vec::new();
    for x in l.iter() {
        match x {
            Value::List(inner) => out.extend(inner.iter()),
            other => out.push(other),
        }
    }
    cx.tick(out.len() as u64)?;
    Ok(Value::list(out))
}

fn pairs(cx: &mut CallCx, a: &Args) -> R<Value> {
    let l = cx.list(a, 0)?.to_vec();
    let n = l.len();
    let count = n.saturating_mul(n.saturating_sub(1)) / 2;
    if count > 50_000_000 {
        return Err(cx.fail_hint(
            format!("{n} items make {count} pairs, too many"),
            "filter the items first so fewer remain",
        ));
    }
    cx.reserve(count.saturating_mul(96))?;
    cx.tick(count as u64)?;
    let mut out = Vec::with_capacity(count);
    for i in 0..n {
        for j in i + 1..n {
            out.push(Value::list(vec![l[i].clone(), l[j].clone()]));
        }
    }
    Ok(Value::list(out))
}

/// A hashable identity for `unique` and grouping; values without one
/// (floats that are not whole, lists, records) fall back to a linear scan.
pub fn hash_key(v: &Value) -> Option<HashKey<'_>> {
    match v {
        Value::Str(s) => Some(HashKey::Str(s.bytes())),
        Value::Int(i) => Some(HashKey::Int(*i)),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Some(HashKey::Int(*f as i64)),
        Value::Bool(b) => Some(HashKey::Int(*b as i64)),
        Value::Null => Some(HashKey::Null),
        _ => None,
    }
}

/// See [`hash_key`].
#[derive(Hash, PartialEq, Eq)]
pub enum HashKey<'a> {
    /// A string's bytes.
    Str(&'a [u8]),
    /// A number that is whole.
    Int(i64),
    /// null.
    Null,
}

fn unique(cx: &mut CallCx, a: &Args) -> R<Value> {
    let l = cx.iterable(a, 0)?;
    let items = l.to_vec();
    cx.tick(items.len() as u64)?;
    // One kind alone (ints, strings): a set of plain numbers or bytes,
    // smaller and quicker to hash than one of keys of every kind.
    let int = |x: &Value| match x {
        Value::Int(i) => Some(*i),
        _ => None,
    };
    if let Some(out) = unique_dense_ints(&items)
        .or_else(|| unique_by(&items, int))
        .or_else(|| unique_by(&items, str_bytes))
    {
        return Ok(Value::list(out));
    }
    let mut seen: HashSet<HashKey<'_>, foldhash::fast::RandomState> =
        HashSet::with_capacity_and_hasher(items.len(), Default::default());
    let mut slow: Vec<&Value> = Vec::new();
    let mut out = Vec::new();
    for x in items.iter() {
        let fresh = match hash_key(x) {
            Some(k) => seen.insert(k),
            None => {
                if slow.iter().any(|y| ops::equal(y, x)) {
                    false
                } else {
                    slow.push(x);
                    true
                }
            }
        };
        if fresh {
            out.push(x.clone());
        }
    }
    Ok(Value::list(out))
}

/// A string's bytes.
fn str_bytes(x: &Value) -> Option<&[u8]> {
    match x {
        Value::Str(s) => Some(s.bytes()),
        _ => None,
    }
}

/// Widest span of ints, per item, that [`unique_dense_ints`] marks in a
/// bitmap (64: at most 8 bytes of bitmap an item, as a hash set's slot).
const DENSE_SPAN_PER_ITEM: u128 = 64;

/// The first of each int, in order, when every item is an int and they
/// span at most [`DENSE_SPAN_PER_ITEM`] times their number; `None`
/// otherwise. The ints seen are bits of a bitmap over the span: a million
/// ints below a million fit 125 KB, read in cache, where a hash set of
/// them misses it at every insert.
fn unique_dense_ints(items: &[Value]) -> Option<Vec<Value>> {
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for x in items {
        let Value::Int(i) = x else { return None };
        (lo, hi) = (lo.min(*i), hi.max(*i));
    }
    if items.is_empty() {
        return Some(Vec::new());
    }
    let span = (i128::from(hi) - i128::from(lo)) as u128 + 1;
    if span > items.len() as u128 * DENSE_SPAN_PER_ITEM {
        return None;
    }
    let mut seen = vec![0u64; span.div_ceil(64) as usize];
    let mut out = Vec::new();
    for x in items {
        if let Value::Int(i) = x {
            // Below the span checked above, so it fits a usize.
            let k = (i128::from(*i) - i128::from(lo)) as usize;
            let (word, bit) = (k / 64, 1u64 << (k % 64));
            if seen[word] & bit == 0 {
                seen[word] |= bit;
                out.push(Value::Int(*i));
            }
        }
    }
    Some(out)
}

/// The first of each group of equal items, in order, when every item has
/// a `key` (items with equal keys are equal); `None` otherwise.
fn unique_by<'v, K: std::hash::Hash + Eq + Sync>(
    items: &'v [Value],
    key: impl Fn(&'v Value) -> Option<K>,
) -> Option<Vec<Value>> {
    let keys: Vec<K> = items.iter().map(key).collect::<Option<_>>()?;
    // Which items are first of their key, then their copies: a copy of a
    // string is an atomic increment, which would wait at every item for
    // the table's stores (most of them cache misses) to complete.
    let firsts = super::distinct::first_of_each(&keys);
    drop(keys);
    Some(firsts.into_iter().map(|i| items[i].clone()).collect())
}

fn reverse(cx: &mut CallCx, a: &Args) -> R<Value> {
    match a.raw(0) {
        Some(Value::List(l)) => {
            let mut v = Arc::unwrap_or_clone(l.to_vec());
            v.reverse();
            Ok(Value::list(v))
        }
        Some(Value::Str(s)) => Ok(Value::str(s.text().chars().rev().collect::<String>())),
        Some(other) => Err(cx.fail(format!("cannot reverse {}", other.type_name()))),
        None => Err(cx.fail("missing the list")),
    }
}

fn range(cx: &mut CallCx, a: &Args) -> R<Value> {
    let first = cx.int(a, 0, None)?;
    let (start, stop) = match cx.opt_int(a, 1)? {
        Some(b) => (first, b),
        None => (0, first),
    };
    let step = cx.int(a, 2, Some(1))?;
    if step == 0 {
        return Err(cx.fail("step cannot be zero"));
    }
    // In 128 bits: the span of two 64-bit ints does not fit in 64.
    let (start, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
    let span = if step > 0 { stop - start } else { start - stop }.max(0);
    let count = (span + step.abs() - 1) / step.abs();
    if count > 100_000_000 {
        return Err(cx.fail(format!("range of {count} numbers is too long")));
    }
    Ok(Value::List(List::Range(Arc::new(IntRange {
        start: start as i64,
        step: step as i64,
        len: count as usize,
    }))))
}

fn sum(cx: &mut CallCx, a: &Args) -> R<Value> {
    let l = cx.iterable(a, 0)?;
    let start = a.get(1).cloned().unwrap_or(Value::Int(0));
    match l.as_slice() {
        Some(items) => add_all(cx, start, items.iter()),
        None => add_all(cx, start, l.iter()),
    }
}

/// `acc` plus each of `items`, numbers only: ints as machine ints while
/// the sum and the item are ints and the sum fits, else the general
/// addition (and its errors).
fn add_all<V: std::borrow::Borrow<Value>>(
    cx: &CallCx,
    mut acc: Value,
    items: impl Iterator<Item = V>,
) -> R<Value> {
    for x in items {
        let x = x.borrow();
        acc = match (&acc, x) {
            (Value::Int(t), Value::Int(i)) => match t.checked_add(*i) {
                Some(t) => Value::Int(t),
                None => add_one(cx, &acc, x)?,
            },
            _ => add_one(cx, &acc, x)?,
        };
    }
    Ok(acc)
}

/// `acc + x` for `sum`, with its error for an item that is not a number.
fn add_one(cx: &CallCx, acc: &Value, x: &Value) -> R<Value> {
    if !matches!(x, Value::Int(_) | Value::Float(_) | Value::Bool(_)) {
        return Err(cx.fail_hint(
            format!("can only add numbers, got {}", x.type_name()),
            "convert first: sum(xs | map(x => int(x)))",
        ));
    }
    ops::binary(crate::syntax::ast::BinOp::Add, acc, x).map_err(|e| cx.fail(e.message))
}

fn record_arg(cx: &CallCx, a: &Args, i: usize) -> R<Arc<Record>> {
    match a.raw(i) {
        Some(Value::Record(r)) => Ok(r.clone()),
        Some(other) => Err(cx.fail_hint(
            format!("needs a record, got {}", other.type_name()),
            "records are written {key: value}",
        )),
        None => Err(cx.fail("missing the record")),
    }
}

fn keys(cx: &mut CallCx, a: &Args) -> R<Value> {
    let r = record_arg(cx, a, 0)?;
    Ok(Value::list(r.keys().map(Key::to_value).collect()))
}

fn values(cx: &mut CallCx, a: &Args) -> R<Value> {
    let r = record_arg(cx, a, 0)?;
    Ok(Value::list(r.values().cloned().collect()))
}

fn items(cx: &mut CallCx, a: &Args) -> R<Value> {
    let r = record_arg(cx, a, 0)?;
    Ok(Value::list(
        r.iter()
            .map(|(k, v)| Value::list(vec![k.to_value(), v.clone()]))
            .collect(),
    ))
}

fn get(cx: &mut CallCx, a: &Args) -> R<Value> {
    let default = a.raw(2).cloned().unwrap_or(Value::Null);
    let key = a.raw(1).cloned().unwrap_or(Value::Null);
    Ok(match a.raw(0) {
        Some(Value::Record(r)) => ops::key_ref(&key)
            .and_then(|k| r.get(&k).cloned())
            .unwrap_or(default),
        Some(Value::List(l)) => match key {
            Value::Int(i) => ops::resolve_index(i, l.len())
                .and_then(|i| l.get(i))
                .unwrap_or(default),
            _ => default,
        },
        Some(Value::Null) | None => default,
        Some(other) => {
            return Err(cx.fail_hint(
                format!("get on {} is not defined", other.type_name()),
                "get(r, key, default) reads a record; check type(x) == \"record\" first",
            ))
        }
    })
}

fn record(cx: &mut CallCx, a: &Args) -> R<Value> {
    match a.raw(0) {
        None | Some(Value::Null) => Ok(Value::record(Record::default())),
        Some(Value::Record(r)) => Ok(Value::Record(r.clone())),
        Some(Value::List(l)) => {
            let mut m = Record::with_capacity(l.len());
            for p in l.iter() {
                let pair = match &p {
                    Value::List(kv) if kv.len() == 2 => kv.to_vec(),
                    other => {
                        return Err(cx.fail_hint(
                            format!(
                                "each item must be a [key, value] pair, got {}",
                                other.type_name()
                            ),
                            "record([[\"a\", 1], [\"b\", 2]])",
                        ))
                    }
                };
                let k = to_key(&pair[0]).ok_or_else(|| {
                    cx.fail(format!(
                        "record keys must be str or int, got {}",
                        pair[0].type_name()
                    ))
                })?;
                m.insert(k, pair[1].clone());
            }
            Ok(Value::record(m))
        }
        Some(other) => Err(cx.fail(format!("cannot make a record from {}", other.type_name()))),
    }
}

fn merge(cx: &mut CallCx, a: &Args) -> R<Value> {
    let mut m = Record::default();
    for (i, v) in a.rest().iter().enumerate() {
        match v {
            Value::Record(r) => {
                for (k, x) in r.iter() {
                    m.insert(k.clone(), x.clone());
                }
            }
            Value::Null => {}
            other => {
                return Err(cx.fail(format!(
                    "argument {} must be a record, got {}",
                    i + 1,
                    other.type_name()
                )))
            }
        }
    }
    Ok(Value::record(m))
}

/// Bytes one character of `list(s)` costs as an item.
const CHAR_ITEM_BYTES: usize = 64;

fn list(cx: &mut CallCx, a: &Args) -> R<Value> {
    match a.raw(0) {
        None | Some(Value::Null) => Ok(Value::list(Vec::new())),
        Some(Value::List(l)) => {
            if l.as_slice().is_none() {
                // A lazy list (lines, a range) is made here, item by item.
                cx.reserve(l.len().saturating_mul(std::mem::size_of::<Value>()))?;
            }
            Ok(Value::List(List::Vec(l.to_vec())))
        }
        Some(Value::Str(s)) => {
            // One value and one small string per character, reserved before
            // any is made.
            cx.reserve(s.char_len().saturating_mul(CHAR_ITEM_BYTES))?;
            cx.tick(s.char_len() as u64)?;
            Ok(Value::list(
                s.text()
                    .chars()
                    .map(|c| Value::str(c.to_string()))
                    .collect(),
            ))
        }
        Some(Value::Record(r)) => Ok(Value::list(r.keys().map(Key::to_value).collect())),
        Some(other) => Err(cx.fail(format!("cannot make a list from {}", other.type_name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(xs: &[i64]) -> Vec<Value> {
        xs.iter().map(|&i| Value::Int(i)).collect()
    }

    fn as_ints(xs: &[Value]) -> Vec<i64> {
        xs.iter()
            .map(|x| match x {
                Value::Int(i) => *i,
                _ => panic!("an int"),
            })
            .collect()
    }

    /// The bitmap and the hash set keep the same ints in the same order.
    #[test]
    fn dense_ints_unique_as_the_hash_set_does() {
        let int = |x: &Value| match x {
            Value::Int(i) => Some(*i),
            _ => None,
        };
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (n, width, base) in [
            (1, 1, 0),
            (50, 10, -5),
            (1000, 997, -500),
            (4096, 200_000, 1 << 40),
        ] {
            let xs: Vec<i64> = (0..n).map(|_| base + (next() % width) as i64).collect();
            let items = ints(&xs);
            let dense = unique_dense_ints(&items).expect("dense");
            let hashed = unique_by(&items, int).expect("ints");
            assert_eq!(as_ints(&dense), as_ints(&hashed), "n={n} width={width}");
        }
    }

    #[test]
    fn sparse_or_mixed_items_are_left_to_the_hash_set() {
        assert!(unique_dense_ints(&ints(&[i64::MIN, 0, i64::MAX])).is_none());
        assert!(unique_dense_ints(&ints(&[0, 64 * 2])).is_none());
        assert!(unique_dense_ints(&[Value::Int(1), Value::str("1")]).is_none());
        assert_eq!(unique_dense_ints(&[]).map(|v| v.len()), Some(0));
        assert_eq!(
            as_ints(&unique_dense_ints(&ints(&[i64::MAX, i64::MAX - 1, i64::MAX])).unwrap()),
            vec![i64::MAX, i64::MAX - 1]
        );
    }
}
