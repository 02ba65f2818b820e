//! Builtins that convert and inspect: int, float, str, bool, json,
//! parse_json, type, is_error, round, abs, pow, floor, ceil.

use super::args::{Args, CallCx};
use super::{Builtin, Effect};
use crate::eval::flow::R;
use crate::eval::ops::as_f64;
use crate::eval::render::{display_within, from_json, json_within};
use crate::eval::value::Value;

/// The conversion builtins.
pub const BUILTINS: &[Builtin] = &[
    Builtin { sig: "int(x)", doc: "an int from a number, a bool or a decimal string (surrounding spaces and _ or , separators allowed)", brief: "from number, bool or numeric str", effect: Effect::Pure, run: int },
    Builtin { sig: "float(x)", doc: "a float from a number or a string", brief: "", effect: Effect::Pure, run: float },
    Builtin { sig: "str(x)", doc: "a string: strings as they are, other values as print shows them", brief: "as print shows it", effect: Effect::Inspect, run: str_ },
    Builtin { sig: "bool(x)", doc: "truthiness: 0, 0.0, \"\", [], {}, null and false are false", brief: "truthiness", effect: Effect::Pure, run: bool_ },
    Builtin { sig: "json(x)", doc: "the value as JSON text", brief: "to JSON text", effect: Effect::Pure, run: json },
    Builtin { sig: "parse_json(text)", doc: "a value from JSON text (code fences around it are ignored)", brief: "from JSON text (fences ok)", effect: Effect::Pure, run: parse_json },
    Builtin { sig: "type(x)", doc: "\"str\" \"int\" \"float\" \"bool\" \"null\" \"list\" \"record\" \"match\" \"regex\" \"function\" or \"error\"", brief: "\"str\" \"int\" \"list\" \"record\" \"error\" ...", effect: Effect::Inspect, run: type_ },
    Builtin { sig: "is_error(x)", doc: "true if x is a failed sub-call", brief: "a failed sub-call?", effect: Effect::Inspect, run: is_error },
    Builtin { sig: "round(x, digits=0)", doc: "x rounded half to even: an int without digits, else a float", brief: "half to even; int without digits", effect: Effect::Pure, run: round },
    Builtin { sig: "abs(x)", doc: "absolute value", brief: "", effect: Effect::Pure, run: abs },
    Builtin { sig: "pow(x, y)", doc: "x ** y", brief: "", effect: Effect::Pure, run: pow },
    Builtin { sig: "floor(x)", doc: "largest int <= x", brief: "", effect: Effect::Pure, run: floor },
    Builtin { sig: "ceil(x)", doc: "smallest int >= x", brief: "", effect: Effect::Pure, run: ceil },
];

fn arg(a: &Args, i: usize) -> Value {
    a.raw(i).cloned().unwrap_or(Value::Null)
}

/// A number as written, without surrounding space and `_`/`,` separators.
fn numeric_text(t: &str) -> String {
    t.trim()
        .chars()
        .filter(|c| *c != '_' && *c != ',')
        .collect()
}

fn int(cx: &mut CallCx, a: &Args) -> R<Value> {
    match arg(a, 0) {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Bool(b) => Ok(Value::Int(b as i64)),
        Value::Float(f) if f.is_finite() && f.abs() < 9.2e18 => Ok(Value::Int(f.trunc() as i64)),
        Value::Float(f) => Err(cx.fail(format!("cannot convert {f} to int"))),
        Value::Str(s) => {
            let t = s.text();
            let clean = numeric_text(&t);
            clean.parse::<i64>().map(Value::Int).or_else(|_| {
                clean
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                    .map(|f| Value::Int(f as i64))
                    .ok_or_else(|| {
                        let shown: String = t.chars().take(40).collect();
                        cx.fail_hint(
                            format!("cannot convert {shown:?} to int"),
                            "extract the digits first, e.g. with a regex group: find(s, re\"\\d+\").text",
                        )
                    })
            })
        }
        other => Err(cx.fail(format!("cannot convert {} to int", other.type_name()))),
    }
}

fn float(cx: &mut CallCx, a: &Args) -> R<Value> {
    match arg(a, 0) {
        v @ (Value::Int(_) | Value::Bool(_) | Value::Float(_)) => Ok(Value::Float(as_f64(&v))),
        Value::Str(s) => {
            let t = s.text();
            let clean = numeric_text(&t);
            clean.parse::<f64>().map(Value::Float).map_err(|_| {
                let shown: String = t.chars().take(40).collect();
                cx.fail(format!("cannot convert {shown:?} to float"))
            })
        }
        other => Err(cx.fail(format!("cannot convert {} to float", other.type_name()))),
    }
}

fn str_(cx: &mut CallCx, a: &Args) -> R<Value> {
    match arg(a, 0) {
        v @ Value::Str(_) => Ok(v),
        Value::Error(e) => Err(crate::eval::interp::error_value_used(&e, cx.span).into()),
        other => cx.render(&other, display_within).map(Value::str),
    }
}

fn bool_(_: &mut CallCx, a: &Args) -> R<Value> {
    Ok(Value::Bool(arg(a, 0).truthy()))
}

fn json(cx: &mut CallCx, a: &Args) -> R<Value> {
    cx.render(&arg(a, 0), json_within).map(Value::str)
}

/// The JSON inside a reply: code fences and text around one object or array removed.
pub fn strip_fences(text: &str) -> &str {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("```") {
        let body = rest.split_once('\n').map_or("", |(_, b)| b);
        return body.trim_end().trim_end_matches("```").trim();
    }
    t
}

fn parse_json(cx: &mut CallCx, a: &Args) -> R<Value> {
    let s = cx.str(a, 0)?;
    let text = s.text();
    match serde_json::from_str::<serde_json::Value>(strip_fences(&text)) {
        Ok(j) => Ok(from_json(&j)),
        Err(e) => Err(cx.fail_hint(
            format!("not valid JSON: {e}"),
            "check the text first, or guard the call: if matches(s, re\"^\\s*[\\[{]\") { ... }",
        )),
    }
}

fn type_(_: &mut CallCx, a: &Args) -> R<Value> {
    Ok(Value::str(arg(a, 0).type_name()))
}

fn is_error(_: &mut CallCx, a: &Args) -> R<Value> {
    Ok(Value::Bool(matches!(arg(a, 0), Value::Error(_))))
}

fn number(cx: &CallCx, a: &Args, i: usize) -> R<Value> {
    match arg(a, i) {
        v @ (Value::Int(_) | Value::Float(_)) => Ok(v),
        Value::Bool(b) => Ok(Value::Int(b as i64)),
        other => Err(cx.fail_hint(
            format!("needs a number, got {}", other.type_name()),
            "convert with int(x) or float(x)",
        )),
    }
}

fn round(cx: &mut CallCx, a: &Args) -> R<Value> {
    let x = number(cx, a, 0)?;
    let digits = cx.opt_int(a, 1)?;
    match (x, digits) {
        (Value::Int(i), Some(d)) if d < 0 => round_int(i, d)
            .map(Value::Int)
            .ok_or_else(|| cx.fail("integer overflow in round")),
        (Value::Int(i), _) => Ok(Value::Int(i)),
        (v, None) => {
            let f = as_f64(&v).round_ties_even();
            if f.is_finite() && f.abs() < 9.2e18 {
                Ok(Value::Int(f as i64))
            } else {
                Err(cx.fail(format!("cannot round {f} to an int")))
            }
        }
        // Decimal rounding of the exact binary value, as Python does:
        // round(2.675, 2) is 2.67 because 2.675 is stored as 2.67499999...
        (v, Some(d)) if d >= 0 => {
            let text = format!("{:.*}", d.min(300) as usize, as_f64(&v));
            Ok(Value::Float(text.parse().unwrap_or(f64::NAN)))
        }
        // Past 10^308 every float rounds to zero.
        (v, Some(d)) if d < -308 => Ok(Value::Float(0.0f64.copysign(as_f64(&v)))),
        (v, Some(d)) => {
            let m = 10f64.powi(-d as i32);
            Ok(Value::Float((as_f64(&v) / m).round_ties_even() * m))
        }
    }
}

/// `round(i, d)` for an int and negative `d`, as Python: to the nearest
/// multiple of 10^-d, ties to the even multiple (`round(15, -1)` is 20,
/// `round(25, -1)` is 20). `None` on overflow.
fn round_int(i: i64, d: i64) -> Option<i64> {
    if d < -18 {
        // 10^19 passes every i64: only 0 is near enough.
        return Some(0);
    }
    let m = 10i128.pow((-d) as u32);
    let i = i128::from(i);
    let q = i.div_euclid(m);
    let r = i.rem_euclid(m);
    let q = match (2 * r).cmp(&m) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 != 0 => q + 1,
        _ => q,
    };
    i64::try_from(q * m).ok()
}

fn abs(cx: &mut CallCx, a: &Args) -> R<Value> {
    match number(cx, a, 0)? {
        Value::Int(i) => i
            .checked_abs()
            .map(Value::Int)
            .ok_or_else(|| cx.fail("integer overflow")),
        v => Ok(Value::Float(as_f64(&v).abs())),
    }
}

fn pow(cx: &mut CallCx, a: &Args) -> R<Value> {
    let x = number(cx, a, 0)?;
    let y = number(cx, a, 1)?;
    crate::eval::ops::binary(crate::syntax::ast::BinOp::Pow, &x, &y).map_err(|e| cx.fail(e.message))
}

fn to_int(cx: &CallCx, f: f64) -> R<Value> {
    if f.is_finite() && f.abs() < 9.2e18 {
        Ok(Value::Int(f as i64))
    } else {
        Err(cx.fail(format!("{f} does not fit an int")))
    }
}

fn floor(cx: &mut CallCx, a: &Args) -> R<Value> {
    let f = as_f64(&number(cx, a, 0)?).floor();
    to_int(cx, f)
}

fn ceil(cx: &mut CallCx, a: &Args) -> R<Value> {
    let f = as_f64(&number(cx, a, 0)?).ceil();
    to_int(cx, f)
}
