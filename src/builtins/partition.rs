//! Builtins that cut: `partition` of a text (before each match, by size in
//! characters, into n pieces) or of a list (batches by count or by total
//! characters), and `offset`/`doc_of`, which say where a piece lies.

use super::args::{Args, CallCx};
use super::search::pieces;
use super::{Builtin, Effect};
use crate::eval::flow::R;
use crate::eval::render::display;
use crate::eval::value::{Str, Value, View};
use crate::search;

/// The partition builtins.
pub const BUILTINS: &[Builtin] = &[
    Builtin { sig: "partition(x, by=null, size=null, n=null, chars=null)", doc: "a text: pieces starting at each match of by, of at most size characters cut after a newline, or n nearly equal pieces at line ends; a list: batches of size items, n batches, or batches of at most chars characters; t.partition(sep) with a str by position is Python's [before, sep, after]", brief: "text: by= pieces at each match, size= chars, n= pieces; list: size=, n=, chars= batches", effect: Effect::Pure, run: partition },
    Builtin { sig: "offset(text)", doc: "where a slice of the context starts in the context, in characters; null for a computed string", brief: "start of a context slice in context", effect: Effect::Pure, run: offset },
    Builtin { sig: "doc_of(text)", doc: "the name of the document a slice of the context lies in; null for a computed string", brief: "document name of a context slice", effect: Effect::Pure, run: doc_of },
];

/// `s.partition(sep)` as in Python: `[before, sep, after]` around the
/// first `sep`, or `[s, "", ""]` when it does not occur.
fn python_partition(cx: &mut CallCx, a: &Args) -> R<Value> {
    let usage = "partition(t, by=p) cuts before each match of p; Python's t.partition(sep) gives [before, sep, after]";
    if [2, 3, 4].iter().any(|&i| a.get(i).is_some()) {
        return Err(cx.fail_hint(
            "give the pattern as by= together with size=, n= or chars=",
            usage,
        ));
    }
    match (a.raw(0), a.raw(1)) {
        (Some(Value::Str(s)), Some(Value::Str(sep))) => {
            let text = s.text();
            let sep_text = sep.text();
            if sep_text.is_empty() {
                return Err(cx.fail_hint("empty separator", usage));
            }
            Ok(Value::list(match text.find(&*sep_text) {
                Some(i) => vec![
                    Value::Str(s.sub(0..i)),
                    Value::Str(s.sub(i..i + sep_text.len())),
                    Value::Str(s.sub(i + sep_text.len()..text.len())),
                ],
                None => vec![Value::Str(s.clone()), Value::str(""), Value::str("")],
            }))
        }
        (Some(Value::Str(_)), Some(_)) => Err(cx.fail_hint(
            "a pattern to cut at is given as by=",
            "partition(t, by=re\"^## \") gives the pieces starting at each match; t.partition(sep) with a str sep is Python's [before, sep, after]",
        )),
        _ => Err(cx.fail_hint(
            "a list is cut with size=, n= or chars=",
            "partition(xs, size=100), partition(xs, n=8), partition(xs, chars=50000)",
        )),
    }
}

fn positive(cx: &CallCx, a: &Args, i: usize, name: &str) -> R<Option<usize>> {
    match cx.opt_int(a, i)? {
        None => Ok(None),
        Some(n) if n > 0 => Ok(Some(n as usize)),
        Some(n) => Err(cx.fail_hint(
            format!("{name}={n} must be at least 1"),
            "pick a positive size, e.g. partition(t, size=budget().sub_input_chars - 2000)",
        )),
    }
}

/// Bytes a piece costs while the pieces are found and held (range, match,
/// value).
const PIECE_BYTES: usize = 96;

fn partition(cx: &mut CallCx, a: &Args) -> R<Value> {
    if a.by_position(1) {
        return python_partition(cx, a);
    }
    let given = [1, 2, 3, 4].iter().filter(|&&i| a.get(i).is_some()).count();
    if given != 1 {
        return Err(cx.fail_hint(
            "give exactly one of by=, size=, n=, chars=",
            "partition(t, by=re\"^## \"), partition(t, size=100000), partition(t, n=8), partition(xs, chars=50000)",
        ));
    }
    let size = positive(cx, a, 2, "size")?;
    let n = positive(cx, a, 3, "n")?;
    let chars = positive(cx, a, 4, "chars")?;
    match a.raw(0) {
        Some(Value::Str(s)) => {
            if a.get(1).is_some() {
                let m = cx.pattern(a, 1, false)?;
                // Looking for one match past what memory allows is enough to
                // know the pieces would not fit.
                let cap = cx.room_for(PIECE_BYTES).saturating_add(1);
                let ranges = search::split_before(s.bytes(), &m, Some(cap));
                cx.reserve(ranges.len().saturating_mul(PIECE_BYTES))?;
                return Ok(pieces(s, ranges));
            }
            if chars.is_some() {
                return Err(cx.fail_hint(
                    "chars= is for lists",
                    "for a text use size=N (characters per piece)",
                ));
            }
            let view = as_view(s);
            let ranges = match (size, n) {
                (Some(size), _) => search::chunk_by_chars(&view.src, view.range.clone(), size),
                (_, Some(n)) => search::chunk_n(&view.src, view.range.clone(), n),
                _ => return Err(cx.fail("give size= or n= for a text")),
            };
            cx.reserve(ranges.len() * 48)?;
            Ok(Value::list(
                ranges
                    .into_iter()
                    .map(|r| {
                        Value::Str(Str::View(View {
                            src: view.src.here(),
                            range: r,
                        }))
                    })
                    .collect(),
            ))
        }
        Some(Value::List(l)) => {
            if a.get(1).is_some() {
                return Err(cx.fail_hint("by= is for texts", "for a list use size=, n= or chars="));
            }
            let items = l.to_vec();
            let batches: Vec<Vec<Value>> = match (size, n, chars) {
                (Some(size), _, _) => items.chunks(size).map(<[Value]>::to_vec).collect(),
                (_, Some(n), _) => {
                    let len = items.len();
                    let k = n.min(len.max(1));
                    let mut out = Vec::with_capacity(k);
                    let mut start = 0;
                    for i in 0..k {
                        let end = (len * (i + 1)) / k;
                        out.push(items[start..end].to_vec());
                        start = end;
                    }
                    out.retain(|b| !b.is_empty());
                    out
                }
                (_, _, Some(limit)) => {
                    let mut out: Vec<Vec<Value>> = Vec::new();
                    let mut cur = Vec::new();
                    let mut total = 0;
                    for x in items.iter() {
                        let c = item_chars(x);
                        if !cur.is_empty() && total + c > limit {
                            out.push(std::mem::take(&mut cur));
                            total = 0;
                        }
                        total += c;
                        cur.push(x.clone());
                    }
                    if !cur.is_empty() {
                        out.push(cur);
                    }
                    out
                }
                _ => return Err(cx.fail("give size=, n= or chars= for a list")),
            };
            Ok(Value::list(batches.into_iter().map(Value::list).collect()))
        }
        Some(other) => Err(cx.fail(format!("cannot partition {}", other.type_name()))),
        None => Err(cx.fail("missing the text or list")),
    }
}

fn item_chars(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.char_len(),
        other => display(other).chars().count(),
    }
}

/// A string as a view, giving an owned string a source of its own.
pub fn as_view(s: &Str) -> View {
    match s {
        Str::View(v) => v.clone(),
        Str::Owned(o) => View::of_owned(o.as_bytes().to_vec()),
    }
}

fn context_view<'a>(cx: &CallCx, a: &'a Args) -> Option<&'a View> {
    match a.raw(0) {
        Some(Value::Str(Str::View(v))) if v.src.is(&cx.rt.context.source) => Some(v),
        _ => None,
    }
}

fn offset(cx: &mut CallCx, a: &Args) -> R<Value> {
    cx.str(a, 0)?;
    Ok(match context_view(cx, a) {
        Some(v) => Value::Int(v.src.byte_to_char(0, v.range.start) as i64),
        None => Value::Null,
    })
}

fn doc_of(cx: &mut CallCx, a: &Args) -> R<Value> {
    cx.str(a, 0)?;
    Ok(
        match context_view(cx, a).and_then(|v| cx.rt.context.doc_at(v.range.start)) {
            Some(d) => Value::Str(Str::Owned(d.name.clone().into())),
            None => Value::Null,
        },
    )
}
