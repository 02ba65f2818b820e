//! Operators on values: arithmetic, comparison, membership, indexing and
//! slicing, with Python's meaning and rlq's errors.
//!
//! Each function returns a plain message on failure; the interpreter adds
//! the span and turns it into a diagnostic.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::syntax::ast::{BinOp, CmpOp};

use super::value::{Func, Key, KeyRef, List, Str, Value};

/// An operator error: a message and an optional hint.
pub struct OpError {
    /// What went wrong.
    pub message: String,
    /// What to write instead.
    pub hint: Option<String>,
}

impl OpError {
    /// An error with a message only.
    pub fn new(message: impl Into<String>) -> OpError {
        OpError {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> OpError {
        self.hint = Some(hint.into());
        self
    }
}

type OpResult = Result<Value, OpError>;

fn sym(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "**",
    }
}

fn overflow(op: BinOp) -> OpError {
    OpError::new(format!("integer overflow in `{}`", sym(op)))
        .hint("use float(x) for very large numbers")
}

/// Bytes the result of `a op b` will hold when it builds a string or a
/// list (`"x" * n`, `xs + ys`), known before it is built; 0 otherwise.
pub fn result_size(op: BinOp, a: &Value, b: &Value) -> usize {
    use Value::*;
    const ITEM: usize = std::mem::size_of::<Value>();
    match (op, a, b) {
        (BinOp::Mul, Str(s), Int(n)) | (BinOp::Mul, Int(n), Str(s)) => {
            s.byte_len().saturating_mul((*n).max(0) as usize)
        }
        (BinOp::Mul, List(l), Int(n)) | (BinOp::Mul, Int(n), List(l)) => l
            .len()
            .saturating_mul((*n).max(0) as usize)
            .saturating_mul(ITEM),
        (BinOp::Add, Str(x), Str(y)) => x.byte_len().saturating_add(y.byte_len()),
        (BinOp::Add, List(x), List(y)) => x.len().saturating_add(y.len()).saturating_mul(ITEM),
        _ => 0,
    }
}

/// `x op y` on two ints when it is an int and raises nothing: the common
/// case of loop arithmetic, without the general dispatch. `None` leaves
/// division, overflow and the errors to [`binary`].
#[inline(always)]
pub fn int_fast(op: BinOp, x: i64, y: i64) -> Option<Value> {
    int_arith(op, x, y).map(Value::Int)
}

/// [`int_fast`]'s int.
#[inline(always)]
pub fn int_arith(op: BinOp, x: i64, y: i64) -> Option<i64> {
    match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Mod if y > 0 && x >= 0 => Some(x % y),
        BinOp::FloorDiv if y > 0 && x >= 0 => Some(x / y),
        _ => None,
    }
}

/// `x op y` for two ints; `None` for `in`, which [`compare_op`] rejects.
#[inline]
pub fn int_compare(op: CmpOp, x: i64, y: i64) -> Option<bool> {
    Some(match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
        CmpOp::In | CmpOp::NotIn => return None,
    })
}

/// `a op b` for the arithmetic operators.
pub fn binary(op: BinOp, a: &Value, b: &Value) -> OpResult {
    use Value::*;
    match (a, b) {
        (Int(x), Int(y)) => int_op(op, *x, *y),
        (Int(_) | Float(_), Int(_) | Float(_)) => float_op(op, as_f64(a), as_f64(b)),
        (Bool(_), _) | (_, Bool(_)) if numeric_like(a) && numeric_like(b) => {
            binary(op, &bool_to_int(a), &bool_to_int(b))
        }
        (Str(x), Str(y)) if op == BinOp::Add => {
            Ok(Value::Str(super::value::Str::concat(&x.text(), &y.text())))
        }
        (List(x), List(y)) if op == BinOp::Add => {
            let mut v = Vec::with_capacity(x.len() + y.len());
            v.extend(x.iter());
            v.extend(y.iter());
            Ok(Value::list(v))
        }
        (Str(s), Int(n)) | (Int(n), Str(s)) if op == BinOp::Mul => {
            let n = (*n).max(0) as usize;
            if s.byte_len().saturating_mul(n) > 1 << 30 {
                return Err(OpError::new("string repetition would exceed 1 GiB"));
            }
            Ok(Value::str(s.text().repeat(n)))
        }
        (List(l), Int(n)) | (Int(n), List(l)) if op == BinOp::Mul => {
            let n = (*n).max(0) as usize;
            if l.len().saturating_mul(n) > 100_000_000 {
                return Err(OpError::new(
                    "list repetition would exceed 100,000,000 items",
                ));
            }
            let items = l.to_vec();
            let mut v = Vec::with_capacity(items.len() * n);
            for _ in 0..n {
                v.extend(items.iter().cloned());
            }
            Ok(Value::list(v))
        }
        (Record(x), Record(y)) if op == BinOp::Add => {
            let mut m = (**x).clone();
            for (k, v) in y.iter() {
                m.insert(k.clone(), v.clone());
            }
            Ok(Value::Record(Arc::new(m)))
        }
        (Str(_), Int(_) | Float(_)) | (Int(_) | Float(_), Str(_)) if op == BinOp::Add => {
            Err(OpError::new(format!(
                "cannot add {} and {}",
                a.type_name(),
                b.type_name()
            ))
            .hint("convert first: str(n) + s, or use an f-string f\"{s}{n}\""))
        }
        (Str(_), _) if op == BinOp::Mod => Err(OpError::new(format!(
            "rlq has no `%` formatting of strings (got str % {})",
            b.type_name()
        ))
        .hint("use an f-string: f\"{n} items\", f\"{x:.2f}\"")),
        _ => Err(OpError::new(format!(
            "unsupported operand types for `{}`: {} and {}",
            sym(op),
            a.type_name(),
            b.type_name()
        ))),
    }
}

fn numeric_like(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Float(_) | Value::Bool(_))
}

fn bool_to_int(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Int(*b as i64),
        other => other.clone(),
    }
}

/// A number as f64 (ints converted).
pub fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => *b as i64 as f64,
        _ => f64::NAN,
    }
}

fn int_op(op: BinOp, x: i64, y: i64) -> OpResult {
    let v = match op {
        BinOp::Add => x.checked_add(y).ok_or_else(|| overflow(op))?,
        BinOp::Sub => x.checked_sub(y).ok_or_else(|| overflow(op))?,
        BinOp::Mul => x.checked_mul(y).ok_or_else(|| overflow(op))?,
        BinOp::Div => {
            if y == 0 {
                return Err(OpError::new("division by zero"));
            }
            return Ok(Value::Float(x as f64 / y as f64));
        }
        BinOp::FloorDiv => {
            if y == 0 {
                return Err(OpError::new("division by zero"));
            }
            let q = x.checked_div(y).ok_or_else(|| overflow(op))?;
            if (x % y != 0) && ((x < 0) != (y < 0)) {
                q - 1
            } else {
                q
            }
        }
        BinOp::Mod => {
            if y == 0 {
                return Err(OpError::new("modulo by zero"));
            }
            let r = x.checked_rem(y).ok_or_else(|| overflow(op))?;
            if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            }
        }
        BinOp::Pow => {
            if y < 0 {
                return float_op(op, x as f64, y as f64);
            }
            let e = u32::try_from(y).map_err(|_| overflow(op))?;
            x.checked_pow(e).ok_or_else(|| overflow(op))?
        }
    };
    Ok(Value::Int(v))
}

fn float_op(op: BinOp, x: f64, y: f64) -> OpResult {
    let v = match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                return Err(OpError::new("division by zero"));
            }
            x / y
        }
        BinOp::FloorDiv => {
            if y == 0.0 {
                return Err(OpError::new("division by zero"));
            }
            (x / y).floor()
        }
        BinOp::Mod => {
            if y == 0.0 {
                return Err(OpError::new("modulo by zero"));
            }
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }
        }
        BinOp::Pow if x == 0.0 && y < 0.0 => {
            return Err(OpError::new("0 cannot be raised to a negative power")
                .hint("check for zero first: `0 if x == 0 else x ** -n`"))
        }
        BinOp::Pow => x.powf(y),
    };
    Ok(Value::Float(v))
}

/// Deep equality, Python style (`1 == 1.0`; different kinds are unequal).
/// Values that share structure (`a = [a, a]` repeated) compare in time
/// linear in their distinct parts: a list or record is equal to itself,
/// and pairs already found equal are remembered.
pub fn equal(a: &Value, b: &Value) -> bool {
    Walk::default().equal(a, b)
}

/// Ordering for `<`, `sort`, `min`, `max`: numbers numerically, strings by
/// code point, lists lexicographically; other mixes are an error. Shared
/// structure costs as in [`equal`].
pub fn compare(a: &Value, b: &Value) -> Result<Ordering, OpError> {
    Walk::default().compare(a, b)
}

/// Composite values visited before pairs start being remembered.
const MEMO_AFTER: u32 = 4096;

/// One deep comparison: counts the composite pairs visited, and past
/// [`MEMO_AFTER`] remembers the pairs found equal, so a value built by
/// doubling (`a = [a, a]` forty times) is not walked 2^40 times.
#[derive(Default)]
struct Walk {
    visited: u32,
    /// Unseeded: made for every `==`, where a seeded hasher's set-up would
    /// cost more than most comparisons (the keys are addresses, not text).
    same: std::collections::HashSet<(usize, usize), foldhash::fast::FixedState>,
}

impl Walk {
    /// Whether the pair of composites at these identities is known equal;
    /// if not, counts a visit.
    fn known(&mut self, x: usize, y: usize) -> bool {
        if x == y || self.same.contains(&(x, y)) {
            return true;
        }
        self.visited = self.visited.saturating_add(1);
        false
    }

    fn remember(&mut self, x: usize, y: usize) {
        if self.visited > MEMO_AFTER {
            self.same.insert((x, y));
        }
    }

    fn equal(&mut self, a: &Value, b: &Value) -> bool {
        use Value::*;
        match (a, b) {
            (Null, Null) => true,
            (Bool(x), Bool(y)) => x == y,
            (Int(x), Int(y)) => x == y,
            (Int(_) | Float(_) | Bool(_), Int(_) | Float(_) | Bool(_)) => as_f64(a) == as_f64(b),
            (Str(x), Str(y)) => x == y,
            (List(x), List(y)) => {
                let (i, j) = (x.identity(), y.identity());
                if self.known(i, j) {
                    return true;
                }
                let eq =
                    x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| self.equal(&p, &q));
                if eq {
                    self.remember(i, j);
                }
                eq
            }
            (Record(x), Record(y)) => {
                let (i, j) = (Arc::as_ptr(x) as usize, Arc::as_ptr(y) as usize);
                if self.known(i, j) {
                    return true;
                }
                let eq = x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| self.equal(v, w)));
                if eq {
                    self.remember(i, j);
                }
                eq
            }
            (Match(x), Match(y)) => Arc::ptr_eq(x, y) || (x.range == y.range && x.hay == y.hay),
            (Regex(x), Regex(y)) => x.source == y.source,
            (Func(_), Func(_)) => false,
            (Error(x), Error(y)) => Arc::ptr_eq(x, y),
            _ => false,
        }
    }

    fn compare(&mut self, a: &Value, b: &Value) -> Result<Ordering, OpError> {
        use Value::*;
        match (a, b) {
            (Int(x), Int(y)) => Ok(x.cmp(y)),
            (Int(_) | Float(_) | Bool(_), Int(_) | Float(_) | Bool(_)) => {
                let (x, y) = (as_f64(a), as_f64(b));
                x.partial_cmp(&y)
                    .ok_or_else(|| OpError::new("cannot order NaN"))
            }
            (Str(x), Str(y)) => Ok(x.cmp(y)),
            (List(x), List(y)) => {
                let (i, j) = (x.identity(), y.identity());
                if self.known(i, j) {
                    return Ok(Ordering::Equal);
                }
                for (p, q) in x.iter().zip(y.iter()) {
                    match self.compare(&p, &q)? {
                        Ordering::Equal => continue,
                        o => return Ok(o),
                    }
                }
                let o = x.len().cmp(&y.len());
                if o == Ordering::Equal {
                    self.remember(i, j);
                }
                Ok(o)
            }
            (Null, Null) => Ok(Ordering::Equal),
            _ => Err(OpError::new(format!(
                "cannot order {} and {}",
                a.type_name(),
                b.type_name()
            ))
            .hint("compare values of one kind; convert with int(), float() or str() first")),
        }
    }
}

/// `a op b` for a comparison operator.
pub fn compare_op(op: CmpOp, a: &Value, b: &Value) -> OpResult {
    if matches!(op, CmpOp::Eq | CmpOp::Ne) {
        if let Some(e) = function_compared(op, a, b) {
            return Err(e);
        }
    }
    let r = match op {
        CmpOp::Eq => equal(a, b),
        CmpOp::Ne => !equal(a, b),
        CmpOp::Lt => compare(a, b)? == Ordering::Less,
        CmpOp::Le => compare(a, b)? != Ordering::Greater,
        CmpOp::Gt => compare(a, b)? == Ordering::Greater,
        CmpOp::Ge => compare(a, b)? != Ordering::Less,
        CmpOp::In => contains(b, a)?,
        CmpOp::NotIn => !contains(b, a)?,
    };
    Ok(Value::Bool(r))
}

/// The builtins that convert to a type and are named as `type(x)` names it.
const TYPE_NAMES: [&str; 6] = ["int", "float", "str", "bool", "list", "record"];

/// `==` or `!=` between a function and a value of another kind (not
/// null), which cannot hold and is a slip: Python's `type(x) == int` most
/// often, or a function not called.
fn function_compared(op: CmpOp, a: &Value, b: &Value) -> Option<OpError> {
    let (f, other) = match (a, b) {
        (Value::Func(f), o) | (o, Value::Func(f)) if !matches!(o, Value::Func(_) | Value::Null) => {
            (f, o)
        }
        _ => return None,
    };
    let sign = if op == CmpOp::Eq { "==" } else { "!=" };
    let (what, hint) = match f {
        Func::Builtin(b) if TYPE_NAMES.contains(&b.name()) && matches!(other, Value::Str(_)) => (
            format!("the function `{}`", b.name()),
            format!(
                "type(x) gives the name of x's type as a str: write type(x) {sign} \"{}\"",
                b.name()
            ),
        ),
        Func::Builtin(b) => (
            format!("the function `{}`", b.name()),
            "a function only equals itself; call it first: f(x)".to_string(),
        ),
        _ => (
            "a function".to_string(),
            "a function only equals itself; call it first: f(x)".to_string(),
        ),
    };
    Some(
        OpError::new(format!(
            "`{sign}` compares {what} with {}: a function never equals one",
            with_article(other.type_name())
        ))
        .hint(hint),
    )
}

/// `a str`, `an int`.
fn with_article(type_name: &str) -> String {
    match type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        true => format!("an {type_name}"),
        false => format!("a {type_name}"),
    }
}

/// `needle in hay`: substring, list membership, or record key.
pub fn contains(hay: &Value, needle: &Value) -> Result<bool, OpError> {
    match hay {
        Value::Str(h) => match needle {
            Value::Str(n) => Ok(crate::search::needle::find(h.bytes(), n.bytes()).is_some()),
            _ => Err(OpError::new(format!(
                "`in` on a str needs a str on the left, got {}",
                needle.type_name()
            ))),
        },
        Value::List(l) => Ok(l.iter().any(|x| equal(&x, needle))),
        Value::Record(r) => Ok(key_ref(needle).is_some_and(|k| r.contains_key(&k))),
        Value::Null => {
            Err(OpError::new("`in` on null").hint("check for null first: x != null and k in x"))
        }
        _ => Err(OpError::new(format!(
            "`in` is not defined on {}",
            hay.type_name()
        ))),
    }
}

/// A value as a record key (strings and ints; bools and whole floats as ints).
pub fn to_key(v: &Value) -> Option<Key> {
    match v {
        Value::Str(Str::Owned(s)) => Some(Key::Str(s.clone())),
        other => key_ref(other).map(|k| k.to_key()),
    }
}

/// A value as a borrowed record key, for lookups (no allocation).
pub fn key_ref(v: &Value) -> Option<KeyRef<'_>> {
    match v {
        Value::Str(s) => Some(KeyRef::Str(s.text())),
        Value::Int(i) => Some(KeyRef::Int(*i)),
        Value::Bool(b) => Some(KeyRef::Int(*b as i64)),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Some(KeyRef::Int(*f as i64)),
        _ => None,
    }
}

/// Resolves a possibly negative index against a length.
pub fn resolve_index(i: i64, len: usize) -> Option<usize> {
    let idx = if i < 0 { len as i64 + i } else { i };
    (idx >= 0 && (idx as usize) < len).then_some(idx as usize)
}

/// Python slice indices for `[start:stop:step]` over `len` items.
pub fn slice_indices(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    len: usize,
) -> Result<Vec<usize>, OpError> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(OpError::new("slice step cannot be zero"));
    }
    let len = len as i64;
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let norm = |v: i64| if v < 0 { v + len } else { v };
    let mut out = Vec::new();
    if step > 0 {
        let a = clamp(start.map_or(0, norm), 0, len);
        let b = clamp(stop.map_or(len, norm), 0, len);
        let mut i = a;
        while i < b {
            out.push(i as usize);
            i += step;
        }
    } else {
        let a = clamp(start.map_or(len - 1, norm), -1, len - 1);
        let b = clamp(
            stop.map_or(-1, |v| if v < 0 { v + len } else { v }),
            -1,
            len - 1,
        );
        let b = if stop.is_some_and(|v| v + len < 0) {
            -1
        } else {
            b
        };
        let mut i = a;
        while i > b {
            out.push(i as usize);
            i += step;
        }
    }
    Ok(out)
}

/// A contiguous Python slice `[start:stop]` over `len` items, clamped.
pub fn slice_range(start: Option<i64>, stop: Option<i64>, len: usize) -> std::ops::Range<usize> {
    let len_i = len as i64;
    let norm = |v: i64| {
        let v = if v < 0 { v + len_i } else { v };
        v.clamp(0, len_i) as usize
    };
    let a = start.map_or(0, norm);
    let b = stop.map_or(len, norm);
    a..b.max(a)
}

/// Items of a list by index list (for stepped slices).
pub fn pick(list: &List, idx: &[usize]) -> Value {
    Value::list(idx.iter().filter_map(|&i| list.get(i)).collect())
}

/// Characters of a string by index list (for stepped slices).
pub fn pick_chars(s: &Str, idx: &[usize]) -> Value {
    let chars: Vec<char> = s.text().chars().collect();
    Value::str(idx.iter().filter_map(|&i| chars.get(i)).collect::<String>())
}
