//! Builtins that search: grep, count, find, findall, matches, regex,
//! replace. Patterns are literals, literal sets or regexes; the engine in
//! [`crate::search`] picks memmem, aho-corasick or the regex crate and
//! splits large texts across cores.

use std::sync::Arc;

use super::args::{str_list, Args, CallCx};
use super::{Builtin, Effect};
use crate::eval::flow::R;
use crate::eval::value::{List, MatchesOf, Str, Value};
use crate::search;

/// The search builtins.
pub const BUILTINS: &[Builtin] = &[
    Builtin { sig: "grep(text, pattern, ignore_case=false, around=0, max=null)", doc: "every match in order: .text .start .end .line .line_text .groups .doc (.around with around=N)", brief: "every match: .text .groups .line .line_text .start .end .doc (.around)", effect: Effect::Pure, run: grep },
    Builtin { sig: "count(x, pattern, ignore_case=false)", doc: "non-overlapping matches of pattern in a str; equal items in a list", brief: "matches in a str; equal items in a list", effect: Effect::Pure, run: count },
    Builtin { sig: "find(text, pattern, ignore_case=false)", doc: "the first match, or null", brief: "first match or null", effect: Effect::Pure, run: find },
    Builtin { sig: "findall(text, pattern, ignore_case=false)", doc: "matched strings (the group when the regex has one group, a list of groups when several), like Python's re.findall", brief: "matched strings (or groups), as re.findall", effect: Effect::Pure, run: findall },
    Builtin { sig: "matches(text, pattern, ignore_case=false)", doc: "true if the pattern occurs anywhere in the text", brief: "true if pattern occurs anywhere", effect: Effect::Pure, run: matches },
    Builtin { sig: "regex(source)", doc: "a regex built from a computed string (use re\"...\" for a literal one)", brief: "regex from a computed string", effect: Effect::Pure, run: regex },
    Builtin { sig: "escape(text)", doc: "the text with regex metacharacters escaped, for regex(...)", brief: "escape regex metacharacters", effect: Effect::Pure, run: escape },
    Builtin { sig: "replace(text, old, new, max=null)", doc: "text with occurrences of old (a str or a regex; $1 names groups) replaced by new", brief: "replace str or regex ($1 = group)", effect: Effect::Pure, run: replace },
];

/// Memory `grep`'s list holds per match of a pattern with `groups` capture
/// groups, for the memory limit: the match's bounds and its groups'.
fn match_bytes(groups: usize) -> usize {
    16 * (1 + groups)
}
/// Memory held per string or group list of `findall`.
const FOUND_BYTES: usize = 48;

/// How many matches a search may collect: the script's `max` if given, and
/// one more than fit under the memory limit (so that a pattern matching
/// everywhere in a large context stops early, and the check after the
/// search reports the limit instead of the process running out of memory).
fn collect_at_most(cx: &CallCx, max: Option<usize>, bytes_each: usize) -> usize {
    let room = cx.room_for(bytes_each).saturating_add(1);
    max.map_or(room, |n| n.min(room))
}

fn grep(cx: &mut CallCx, a: &Args) -> R<Value> {
    let hay = cx.str(a, 0)?;
    let ic = cx.bool(a, 2, false);
    let m = cx.pattern(a, 1, ic)?;
    let around = cx.int(a, 3, Some(0))?.max(0) as usize;
    let max = cx.opt_int(a, 4)?.map(|n| n.max(0) as usize);
    let each = match_bytes(m.group_count());
    let (hits, groups) =
        search::find_all_grouped(hay.bytes(), &m, Some(collect_at_most(cx, max, each)));
    cx.reserve(hits.len().saturating_mul(each))?;
    cx.tick(hits.len() as u64)?;
    let matches = MatchesOf::new(hay.clone(), hits, groups, around, &cx.rt.context);
    Ok(Value::List(List::Matches(Arc::new(matches))))
}

fn count(cx: &mut CallCx, a: &Args) -> R<Value> {
    if let Some(Value::List(l)) = a.raw(0) {
        let x = a.raw(1).cloned().unwrap_or(Value::Null);
        return Ok(Value::Int(
            l.iter().filter(|y| crate::eval::ops::equal(y, &x)).count() as i64,
        ));
    }
    let hay = cx.str(a, 0)?;
    let ic = cx.bool(a, 2, false);
    let m = cx.pattern(a, 1, ic)?;
    Ok(Value::Int(search::count(hay.bytes(), &m) as i64))
}

fn find(cx: &mut CallCx, a: &Args) -> R<Value> {
    let hay = cx.str(a, 0)?;
    let ic = cx.bool(a, 2, false);
    let m = cx.pattern(a, 1, ic)?;
    let (hits, groups) = search::find_all_grouped(hay.bytes(), &m, Some(1));
    Ok(match hits.first() {
        Some(&h) => MatchesOf::new(hay.clone(), vec![h], groups, 0, &cx.rt.context)
            .get(0)
            .unwrap_or(Value::Null),
        None => Value::Null,
    })
}

fn findall(cx: &mut CallCx, a: &Args) -> R<Value> {
    let hay = cx.str(a, 0)?;
    let ic = cx.bool(a, 2, false);
    let m = cx.pattern(a, 1, ic)?;
    let groups = m.group_count();
    let (hits, table) = search::find_all_grouped(
        hay.bytes(),
        &m,
        Some(collect_at_most(cx, None, FOUND_BYTES)),
    );
    cx.reserve(hits.len().saturating_mul(FOUND_BYTES))?;
    let g = |r: Option<std::ops::Range<usize>>| match r {
        Some(r) => Value::Str(hay.sub(r)),
        None => Value::str(""),
    };
    let out: Vec<Value> = hits
        .into_iter()
        .enumerate()
        .map(|(i, (start, end))| match groups {
            0 => Value::Str(hay.sub(start..end)),
            1 => g(table.row(i).get(0)),
            _ => Value::list(table.row(i).iter().map(g).collect()),
        })
        .collect();
    Ok(Value::list(out))
}

fn matches(cx: &mut CallCx, a: &Args) -> R<Value> {
    let hay = cx.str(a, 0)?;
    let ic = cx.bool(a, 2, false);
    let m = cx.pattern(a, 1, ic)?;
    Ok(Value::Bool(search::is_match(hay.bytes(), &m)))
}

fn regex(cx: &mut CallCx, a: &Args) -> R<Value> {
    if let Some(Value::Regex(r)) = a.raw(0) {
        return Ok(Value::Regex(r.clone()));
    }
    let s = cx.str(a, 0)?;
    cx.rt
        .regex(&Arc::from(s.text().as_ref()))
        .map(Value::Regex)
        .map_err(|d| d.at(cx.span).into())
}

fn escape(cx: &mut CallCx, a: &Args) -> R<Value> {
    let s = cx.str(a, 0)?;
    Ok(Value::str(regex::escape(&s.text())))
}

fn replace(cx: &mut CallCx, a: &Args) -> R<Value> {
    let s = cx.str(a, 0)?;
    let new = cx.str(a, 2)?;
    let max = cx.opt_int(a, 3)?.map(|n| n.max(0) as usize);
    let text = s.text();
    let new_text = new.text();
    let out = match a.raw(1) {
        Some(Value::Str(old)) => {
            if old.is_empty() {
                return Err(cx.fail("cannot replace the empty string"));
            }
            // The result's size, known from the number of occurrences,
            // is checked before it is built.
            let finder = memchr::memmem::Finder::new(old.bytes());
            let n = finder
                .find_iter(text.as_bytes())
                .take(max.unwrap_or(usize::MAX))
                .count();
            let grows = new_text.len().saturating_sub(old.byte_len());
            cx.tick(n as u64)?;
            cx.reserve(text.len().saturating_add(n.saturating_mul(grows)))?;
            match max {
                Some(n) => text.replacen(&*old.text(), &new_text, n),
                None => text.replace(&*old.text(), &new_text),
            }
        }
        Some(Value::Regex(r)) => {
            let re = r.replacer().map_err(|e| {
                cx.fail_hint(
                    format!("cannot replace with this regex: {e}"),
                    "replace works on text: write the pattern without bytes-only parts such as (?-u:\\xFF)",
                )
            })?;
            // An upper bound of the result's size, from the matches (each
            // `$` reference in the replacement can bring at most the whole
            // match), checked before it is built.
            let refs = new_text.matches('$').count();
            let mut size = text.len();
            for m in re
                .find_iter(&text)
                .take(max.filter(|&n| n > 0).unwrap_or(usize::MAX))
            {
                size = size
                    .saturating_add(new_text.len().saturating_add(refs.saturating_mul(m.len())));
                cx.tick(1)?;
                cx.reserve(size)?;
            }
            re.replacen(&text, max.unwrap_or(0), new_text.as_ref())
                .into_owned()
        }
        Some(other) => {
            return Err(cx.fail(format!(
                "`old` must be a str or a regex, got {}",
                other.type_name()
            )))
        }
        None => return Err(cx.fail("missing `old`")),
    };
    cx.reserve(out.len())?;
    Ok(Value::str(out))
}

/// Used by `partition(by=...)` and others: the pieces of a string as values.
pub fn pieces(hay: &Str, ranges: Vec<std::ops::Range<usize>>) -> Value {
    str_list(ranges.into_iter().map(|r| hay.sub(r)))
}
