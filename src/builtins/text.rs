//! Builtins on strings: length, lines, slicing, case, trimming, splitting,
//! joining, replacing. Slices of the context stay zero-copy views.

use std::borrow::Cow;

use super::args::{Args, CallCx};
use super::{Builtin, Effect};
use crate::eval::flow::R;
use crate::eval::interp::slice_str;
use crate::eval::render::{display_within, Bound, Stop};
use crate::eval::value::{List, Str, Value};

/// The text builtins.
pub const BUILTINS: &[Builtin] = &[
    Builtin { sig: "len(x)", doc: "characters of a str, items of a list, keys of a record", brief: "characters / items / keys", effect: Effect::Pure, run: len },
    Builtin { sig: "lines(text)", doc: "the lines of a text (split at \\n and \\r\\n, no trailing empty line); each a zero-copy str", brief: "list of lines", effect: Effect::Pure, run: lines },
    Builtin { sig: "slice(x, start, stop=null)", doc: "x[start:stop] for a str (characters) or a list", brief: "x[start:stop]", effect: Effect::Pure, run: slice },
    Builtin { sig: "head(x, n=null)", doc: "first n characters of a str (default 2000) or items of a list (default 10)", brief: "first n chars (2000) or items (10)", effect: Effect::Pure, run: head },
    Builtin { sig: "tail(x, n=null)", doc: "last n characters of a str (default 2000) or items of a list (default 10)", brief: "last n chars (2000) or items (10)", effect: Effect::Pure, run: tail },
    Builtin { sig: "lower(text)", doc: "lower-cased copy", brief: "", effect: Effect::Pure, run: lower },
    Builtin { sig: "upper(text)", doc: "upper-cased copy", brief: "", effect: Effect::Pure, run: upper },
    Builtin { sig: "is_digit(text)", doc: "true if text is not empty and all its characters are digits (Unicode numerics)", brief: "", effect: Effect::Pure, run: is_digit },
    Builtin { sig: "is_alpha(text)", doc: "true if text is not empty and all its characters are letters", brief: "", effect: Effect::Pure, run: is_alpha },
    Builtin { sig: "is_upper(text)", doc: "true if text has a cased character and none is lower case", brief: "", effect: Effect::Pure, run: is_upper },
    Builtin { sig: "is_lower(text)", doc: "true if text has a cased character and none is upper case", brief: "", effect: Effect::Pure, run: is_lower },
    Builtin { sig: "trim(text, chars=null)", doc: "without leading and trailing whitespace (or the given chars)", brief: "strip whitespace (or chars)", effect: Effect::Pure, run: trim },
    Builtin { sig: "ltrim(text, chars=null)", doc: "without leading whitespace (or the given chars)", brief: "", effect: Effect::Pure, run: ltrim },
    Builtin { sig: "rtrim(text, chars=null)", doc: "without trailing whitespace (or the given chars)", brief: "", effect: Effect::Pure, run: rtrim },
    Builtin { sig: "split(text, sep=null, max=null)", doc: "pieces between occurrences of sep (whitespace runs when sep is null; a regex splits as Python's re.split, its groups kept between the pieces, except that an empty match right after a match does not split), at most max splits", brief: "pieces between sep (whitespace runs if null)", effect: Effect::Pure, run: split },
    Builtin { sig: "join(items, sep=\"\")", doc: "the items (strings raw, others as JSON; a text gives its characters) joined with sep", brief: "items joined with sep", effect: Effect::Pure, run: join },
    Builtin { sig: "contains(x, item)", doc: "substring of a str, item of a list, key of a record", brief: "substring / list item / record key", effect: Effect::Pure, run: contains },
    Builtin { sig: "starts_with(text, prefix)", doc: "true if text starts with prefix (or any prefix of a list)", brief: "prefix test (or any of a list)", effect: Effect::Pure, run: starts_with },
    Builtin { sig: "ends_with(text, suffix)", doc: "true if text ends with suffix (or any suffix of a list)", brief: "suffix test (or any of a list)", effect: Effect::Pure, run: ends_with },
    Builtin { sig: "index_of(x, item, start=0)", doc: "character offset of the first occurrence of a str (or index in a list) at or after start; -1 if absent", brief: "offset of item, or -1 (not find)", effect: Effect::Pure, run: index_of },
    Builtin { sig: "words(text)", doc: "the whitespace-separated words of a text", brief: "whitespace-separated words", effect: Effect::Pure, run: words },
];

fn len(cx: &mut CallCx, a: &Args) -> R<Value> {
    let n = match a.raw(0) {
        Some(Value::Str(s)) => s.char_len(),
        Some(Value::List(l)) => l.len(),
        Some(Value::Record(r)) => r.len(),
        Some(Value::Match(m)) => m.text().char_len(),
        Some(other) => {
            return Err(cx.fail_hint(
                format!("len() of {} is not defined", other.type_name()),
                "len takes a str, a list or a record",
            ))
        }
        None => 0,
    };
    Ok(Value::Int(n as i64))
}

fn lines(cx: &mut CallCx, a: &Args) -> R<Value> {
    let s = cx.str(a, 0)?;
    Ok(match &s {
        Str::View(v) => Value::List(List::lines_of(v.clone())),
        Str::Owned(_) => {
            let n = s.line_count();
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                if let Some(r) = s.line_range(i) {
                    out.push(Value::Str(s.sub(r)));
                }
            }
            Value::list(out)
        }
    })
}

fn slice(cx: &mut CallCx, a: &Args) -> R<Value> {
    let start = cx.opt_int(a, 1)?;
    let stop = cx.opt_int(a, 2)?;
    match a.raw(0) {
        Some(Value::Str(s)) => Ok(Value::Str(slice_str(s, start, stop))),
        Some(Value::List(l)) => Ok(Value::List(l.slice(crate::eval::ops::slice_range(
            start,
            stop,
            l.len(),
        )))),
        Some(other) => Err(cx.fail(format!("cannot slice {}", other.type_name()))),
        None => Ok(Value::Null),
    }
}

fn head(cx: &mut CallCx, a: &Args) -> R<Value> {
    match a.raw(0) {
        Some(Value::Str(s)) => {
            let n = cx.int(a, 1, Some(2000))?.max(0);
            Ok(Value::Str(slice_str(s, None, Some(n))))
        }
        Some(Value::List(l)) => {
            let n = cx.int(a, 1, Some(10))?.max(0) as usize;
            Ok(Value::List(l.slice(0..n.min(l.len()))))
        }
        Some(other) => Err(cx.fail(format!("head of {} is not defined", other.type_name()))),
        None => Ok(Value::Null),
    }
}

fn tail(cx: &mut CallCx, a: &Args) -> R<Value> {
    match a.raw(0) {
        Some(Value::Str(s)) => {
            let n = cx.int(a, 1, Some(2000))?.max(0);
            if n == 0 {
                return Ok(Value::str(""));
            }
            Ok(Value::Str(slice_str(s, Some(-n), None)))
        }
        Some(Value::List(l)) => {
            let n = cx.int(a, 1, Some(10))?.max(0) as usize;
            let len = l.len();
            Ok(Value::List(l.slice(len.saturating_sub(n)..len)))
        }
        Some(other) => Err(cx.fail(format!("tail of {} is not defined", other.type_name()))),
        None => Ok(Value::Null),
    }
}

fn lower(cx: &mut CallCx, a: &Args) -> R<Value> {
    let s = cx.str(a, 0)?;
    cx.reserve(s.byte_len())?;
    let text = s.text();
    Ok(Value::Str(
        Str::ascii_case(&text, false).unwrap_or_else(|| Str::from_string(text.to_lowercase())),
    ))
}

fn upper(cx: &mut CallCx, a: &Args) -> R<Value> {
    let s = cx.str(a, 0)?;
    cx.reserve(s.byte_len())?;
    let text = s.text();
    Ok(Value::Str(
        Str::ascii_case(&text, true).unwrap_or_else(|| Str::from_string(text.to_uppercase())),
    ))
}

/// Whether `text` is not empty and every character passes `class`, as
/// Python's `str.isdigit()` and its kin.
fn all_chars(cx: &mut CallCx, a: &Args, class: fn(char) -> bool) -> R<Value> {
    let s = cx.str(a, 0)?;
    let text = s.text();
    Ok(Value::Bool(!text.is_empty() && text.chars().all(class)))
}

/// Whether `text` has a character of case `is` and none of case `not`, as
/// Python's `str.isupper()` and `str.islower()`.
fn cased(cx: &mut CallCx, a: &Args, is: fn(char) -> bool, not: fn(char) -> bool) -> R<Value> {
    let s = cx.str(a, 0)?;
    let text = s.text();
    Ok(Value::Bool(text.chars().any(is) && !text.chars().any(not)))
}

fn is_digit(cx: &mut CallCx, a: &Args) -> R<Value> {
    all_chars(cx, a, char::is_numeric)
}

fn is_alpha(cx: &mut CallCx, a: &Args) -> R<Value> {
    all_chars(cx, a, char::is_alphabetic)
}

fn is_upper(cx: &mut CallCx, a: &Args) -> R<Value> {
    cased(cx, a, char::is_uppercase, char::is_lowercase)
}

fn is_lower(cx: &mut CallCx, a: &Args) -> R<Value> {
    cased(cx, a, char::is_lowercase, char::is_uppercase)
}

#[derive(Clone, Copy)]
enum Side {
    Both,
    Left,
    Right,
}

fn trim_side(cx: &mut CallCx, a: &Args, side: Side) -> R<Value> {
    let s = cx.str(a, 0)?;
    let chars = cx.opt_str(a, 1)?;
    if chars.is_none() {
        if let Some(range) = trimmed_ascii(s.bytes(), &side) {
            return Ok(Value::Str(s.sub(range)));
        }
    }
    let text = s.text();
    let set: Option<Vec<char>> = chars.map(|c| c.text().chars().collect());
    let is_trim = |c: char| match &set {
        Some(set) => set.contains(&c),
        None => c.is_whitespace(),
    };
    let start = match side {
        Side::Right => 0,
        _ => text.len() - text.trim_start_matches(is_trim).len(),
    };
    let end = match side {
        Side::Left => text.len(),
        _ => text.trim_end_matches(is_trim).len(),
    };
    let end = end.max(start);
    // A view whose text needed no repair has the same byte offsets.
    if matches!(s, Str::View(_)) && matches!(text, Cow::Borrowed(_)) {
        return Ok(Value::Str(s.sub(start..end)));
    }
    Ok(Value::str(&text[start..end]))
}

/// What trimming whitespace from `side` of `bytes` leaves, found on the
/// bytes alone when each end stops at an ASCII character: no other
/// whitespace can lie past it, and the text between is what trimming the
/// decoded text leaves. `None` when an end stops at a non-ASCII byte
/// (perhaps Unicode whitespace).
fn trimmed_ascii(bytes: &[u8], side: &Side) -> Option<std::ops::Range<usize>> {
    // ASCII whitespace as `char::is_whitespace` has it (vertical tab too).
    let white = |b: u8| matches!(b, b' ' | b'\t'..=b'\r');
    let (mut start, mut end) = (0, bytes.len());
    if !matches!(side, Side::Right) {
        while start < end && white(bytes[start]) {
            start += 1;
        }
        if start < end && !bytes[start].is_ascii() {
            return None;
        }
    }
    if !matches!(side, Side::Left) {
        while end > start && white(bytes[end - 1]) {
            end -= 1;
        }
        if end > start && !bytes[end - 1].is_ascii() {
            return None;
        }
    }
    Some(start..end)
}

fn trim(cx: &mut CallCx, a: &Args) -> R<Value> {
    trim_side(cx, a, Side::Both)
}

fn ltrim(cx: &mut CallCx, a: &Args) -> R<Value> {
    trim_side(cx, a, Side::Left)
}

fn rtrim(cx: &mut CallCx, a: &Args) -> R<Value> {
    trim_side(cx, a, Side::Right)
}

fn split(cx: &mut CallCx, a: &Args) -> R<Value> {
    let s = cx.str(a, 0)?;
    let max = cx.opt_int(a, 2)?.filter(|m| *m >= 0).map(|m| m as usize);
    if let Some(Value::Regex(re)) = a.raw(1) {
        return split_by_regex(cx, s, &re.matcher, max);
    }
    let bytes = s.bytes();
    // The pieces are made values as they are cut (no second vector), with
    // room for the few fields of a typical line (a first push would grow an
    // empty vector to as many, through the slower path).
    let mut pieces: Vec<Value> = Vec::with_capacity(4);
    let piece = |r: std::ops::Range<usize>| Value::Str(s.sub(r));
    match cx.opt_str(a, 1)? {
        None => {
            let mut i = 0;
            while i < bytes.len() {
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i >= bytes.len() {
                    break;
                }
                if max.is_some_and(|m| pieces.len() >= m) {
                    let mut end = bytes.len();
                    while end > i && bytes[end - 1].is_ascii_whitespace() {
                        end -= 1;
                    }
                    pieces.push(piece(i..end));
                    break;
                }
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                pieces.push(piece(start..i));
            }
        }
        Some(sep) => {
            if sep.is_empty() {
                return Err(cx.fail_hint("empty separator", "to split into characters use list(s)"));
            }
            let rest = each_field(bytes, sep.bytes(), |field| -> R<bool> {
                if max.is_some_and(|m| pieces.len() >= m) {
                    return Ok(false);
                }
                pieces.push(piece(field));
                cx.tick(1)?;
                Ok(true)
            })?;
            pieces.push(piece(rest..bytes.len()));
        }
    }
    cx.reserve(pieces.len() * 40)?;
    Ok(Value::list(pieces))
}

/// `split(text, re"...")`, as Python's `re.split`: the pieces between the
/// matches (at most `max` of them), each match's groups (null for one that
/// took no part) between the pieces it separates.
fn split_by_regex(
    cx: &mut CallCx,
    s: &Str,
    m: &crate::search::Matcher,
    max: Option<usize>,
) -> R<Value> {
    let (hits, groups) = crate::search::find_all_grouped(s.bytes(), m, max);
    cx.tick(hits.len() as u64)?;
    let n = hits.len() * (1 + m.group_count()) + 1;
    cx.reserve(n.saturating_mul(40))?;
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    for (i, &(a, b)) in hits.iter().enumerate() {
        pieces.push(Value::Str(s.sub(start..a)));
        pieces.extend(
            groups
                .row(i)
                .iter()
                .map(|g| g.map_or(Value::Null, |r| Value::Str(s.sub(r)))),
        );
        start = b;
    }
    pieces.push(Value::Str(s.sub(start..s.byte_len())));
    Ok(Value::list(pieces))
}

/// Walks the fields of `bytes` split on `sep` (not empty), left to right,
/// handing `field` the range of each one that a separator ends, until it
/// says to stop; returns where the rest (the last field) starts. A
/// separator overlapping the one before it does not count.
fn each_field<E>(
    bytes: &[u8],
    sep: &[u8],
    mut field: impl FnMut(std::ops::Range<usize>) -> Result<bool, E>,
) -> Result<usize, E> {
    crate::search::needle::with_finder(sep, |finder| {
        let mut start = 0;
        for pos in finder.find_iter(bytes) {
            if pos < start {
                continue;
            }
            if !field(start..pos)? {
                break;
            }
            start = pos + sep.len();
        }
        Ok(start)
    })
}

/// The range of field `k` of `bytes` split on `sep` (not empty): the
/// piece `split(text, sep)[k]` gives, found without cutting the others.
/// `None` when there are not that many fields.
pub fn nth_field(bytes: &[u8], sep: &[u8], k: usize) -> Option<std::ops::Range<usize>> {
    let mut seen = 0;
    let mut found = None;
    let rest = each_field(bytes, sep, |field| {
        if seen == k {
            found = Some(field);
            return Ok::<_, ()>(false);
        }
        seen += 1;
        Ok(true)
    })
    .ok()?;
    found.or_else(|| (seen == k).then_some(rest..bytes.len()))
}

fn join(cx: &mut CallCx, a: &Args) -> R<Value> {
    let (items, sep) = match (a.raw(0), a.raw(1)) {
        // `join(",", xs)`: the separator first, as Python's ",".join(xs) reads.
        (Some(Value::Str(sep)), Some(Value::List(l))) => (l.clone(), sep.clone()),
        (Some(Value::List(l)), Some(Value::Str(sep))) => (l.clone(), sep.clone()),
        (Some(Value::List(l)), None | Some(Value::Null)) => (l.clone(), Str::from_str_ref("")),
        // A text's characters, as Python's `",".join("abc")` reads them.
        (Some(Value::Str(_)), Some(Value::Str(sep))) => (cx.iterable(a, 0)?, sep.clone()),
        _ => {
            let _ = cx.list(a, 0)?;
            return Err(cx.fail_hint("the separator must be a str", "join(xs, \", \")"));
        }
    };
    let sep = sep.text();
    // The text is built in place, each item rendered within what is left
    // of the memory and time: a join of shared or huge items stops at the
    // limit instead of after it.
    let meter = &cx.rt.meter;
    let bound = meter.bound(false);
    let mut out = String::new();
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        let left = Bound {
            max_bytes: bound.max_bytes.saturating_sub(out.len()),
            ..bound
        };
        let t = match &x {
            Value::Error(e) => return Err(crate::eval::interp::error_value_used(e, cx.span).into()),
            other => {
                display_within(other, &left).map_err(|s| meter.stopped(s, false).at(cx.span))?
            }
        };
        if out.len().saturating_add(t.len()) > bound.max_bytes {
            return Err(meter.stopped(Stop::Size, false).at(cx.span).into());
        }
        out.push_str(&t);
        cx.tick(1)?;
    }
    Ok(Value::str(out))
}

fn contains(cx: &mut CallCx, a: &Args) -> R<Value> {
    let hay = a.raw(0).cloned().unwrap_or(Value::Null);
    let needle = a.raw(1).cloned().unwrap_or(Value::Null);
    crate::eval::ops::contains(&hay, &needle)
        .map(Value::Bool)
        .map_err(|e| cx.fail(e.message))
}

fn affix(cx: &mut CallCx, a: &Args, start: bool) -> R<Value> {
    let s = cx.str(a, 0)?;
    let test = |p: &Str| {
        if start {
            s.bytes().starts_with(p.bytes())
        } else {
            s.bytes().ends_with(p.bytes())
        }
    };
    match a.raw(1) {
        Some(Value::Str(p)) => Ok(Value::Bool(test(p))),
        Some(Value::List(l)) => Ok(Value::Bool(
            l.iter().any(|x| matches!(&x, Value::Str(p) if test(p))),
        )),
        Some(other) => Err(cx.fail(format!(
            "needs a str or a list of str, got {}",
            other.type_name()
        ))),
        None => Err(cx.fail("missing the prefix")),
    }
}

fn starts_with(cx: &mut CallCx, a: &Args) -> R<Value> {
    affix(cx, a, true)
}

fn ends_with(cx: &mut CallCx, a: &Args) -> R<Value> {
    affix(cx, a, false)
}

fn index_of(cx: &mut CallCx, a: &Args) -> R<Value> {
    let start = cx.int(a, 2, Some(0))?.max(0) as usize;
    match (a.raw(0), a.raw(1)) {
        (Some(Value::Str(s)), Some(Value::Str(n))) => {
            let from = s.char_to_byte(start);
            Ok(Value::Int(
                crate::search::needle::find(&s.bytes()[from..], n.bytes())
                    .map_or(-1, |i| s.byte_to_char(from + i) as i64),
            ))
        }
        (Some(Value::List(l)), Some(x)) => Ok(Value::Int(
            l.iter()
                .skip(start)
                .position(|y| crate::eval::ops::equal(&y, x))
                .map_or(-1, |i| (i + start) as i64),
        )),
        (Some(Value::Str(_)), Some(other)) => Err(cx.fail(format!(
            "can only find a str in a str, got {}",
            other.type_name()
        ))),
        (Some(other), _) => {
            Err(cx.fail(format!("index_of on {} is not defined", other.type_name())))
        }
        _ => Err(cx.fail("needs a text and what to look for")),
    }
}

fn words(cx: &mut CallCx, a: &Args) -> R<Value> {
    let s = cx.str(a, 0)?;
    let text = s.text();
    // Views of the text when its bytes are the text's (valid UTF-8); one
    // pass, each word's offset read from where it lies in the text.
    let views = matches!(s, Str::View(_)) && matches!(text, std::borrow::Cow::Borrowed(_));
    let mut out = Vec::new();
    for w in text.split_whitespace() {
        let pos = w.as_ptr() as usize - text.as_ptr() as usize;
        out.push(Value::Str(if views {
            s.sub(pos..pos + w.len())
        } else {
            Str::from_str_ref(w)
        }));
        if out.len() % 1024 == 0 {
            cx.tick(1024)?;
            cx.reserve(1024 * 40)?;
        }
    }
    cx.reserve(out.len().saturating_mul(40))?;
    Ok(Value::list(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What trimming the decoded text leaves, as byte offsets.
    fn trimmed_chars(text: &str, side: &Side) -> std::ops::Range<usize> {
        let start = match side {
            Side::Right => 0,
            _ => text.len() - text.trim_start().len(),
        };
        let end = match side {
            Side::Left => text.len(),
            _ => text.trim_end().len(),
        };
        start..end.max(start)
    }

    #[test]
    fn byte_trim_agrees_with_unicode_trim_or_declines() {
        let pieces = [
            "",
            " ",
            "a",
            " a ",
            "\t\n a b \r\n",
            "\x0b x \x0c",
            "\x1c y \x1f",
            "\u{a0}z\u{a0}",
            " \u{3000}w ",
            "é ",
            " é",
            "  ü  ",
            "\u{2028}",
            "x\u{85}",
            "ab  cd",
        ];
        for text in pieces {
            for side in [Side::Both, Side::Left, Side::Right] {
                let want = trimmed_chars(text, &side);
                if let Some(got) = trimmed_ascii(text.as_bytes(), &side) {
                    assert_eq!(got, want, "{text:?}");
                }
            }
        }
        // Plain ASCII always takes the byte path.
        assert_eq!(trimmed_ascii(b"\x0b x \t", &Side::Both), Some(2..3));
        assert_eq!(trimmed_ascii("\u{a0}z".as_bytes(), &Side::Left), None);
    }
}
