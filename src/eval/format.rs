//! Format specs in f-strings: `{x:.2f}`, `{n:,}`, `{s:>10}`, `{n:05d}`,
//! `{p:.1%}` — the subset of Python's mini-language models use.

use super::ops::as_f64;
use super::render::{display_within, Bound};
use super::value::Value;

/// The largest precision accepted (Python allows more, but no model needs
/// a float with more digits than this).
pub const MAX_PRECISION: usize = 1000;

/// Formats `v` by `spec`; an unsupported spec is an error naming it. The
/// padded result may take at most `room` bytes (the memory left): a width
/// beyond it is an error before anything is allocated.
pub fn apply(v: &Value, spec: &str, room: usize) -> Result<String, String> {
    let bad = || {
        format!("unsupported format spec `:{spec}` (rlq supports fill/align, width, `,`, `.N`, and the types d f e g % s)")
    };
    let mut chars = spec.chars().peekable();
    let mut fill = ' ';
    let mut align = None;
    let s: Vec<char> = spec.chars().collect();
    if s.len() >= 2 && matches!(s[1], '<' | '>' | '^') {
        fill = s[0];
        align = Some(s[1]);
        chars.next();
        chars.next();
    } else if !s.is_empty() && matches!(s[0], '<' | '>' | '^') {
        align = Some(s[0]);
        chars.next();
    }
    let mut zero = false;
    if chars.peek() == Some(&'0') {
        zero = true;
        chars.next();
    }
    let mut width = String::new();
    while let Some(c) = chars.peek().filter(|c| c.is_ascii_digit()) {
        width.push(*c);
        chars.next();
    }
    let mut comma = false;
    if matches!(chars.peek(), Some(',') | Some('_')) {
        comma = true;
        chars.next();
    }
    let mut precision = None;
    if chars.peek() == Some(&'.') {
        chars.next();
        let mut p = String::new();
        while let Some(c) = chars.peek().filter(|c| c.is_ascii_digit()) {
            p.push(*c);
            chars.next();
        }
        let n = p.parse::<usize>().map_err(|_| bad())?;
        if n > MAX_PRECISION {
            return Err(format!(
                "precision {n} in `:{spec}` is more than {MAX_PRECISION} digits"
            ));
        }
        precision = Some(n);
    }
    // A width too large for usize is as impossible as one past the room.
    let width: usize = if width.is_empty() {
        0
    } else {
        width.parse().unwrap_or(usize::MAX)
    };
    if width.saturating_mul(fill.len_utf8()) > room {
        return Err(format!(
            "width {width} in `:{spec}` needs more memory than the script has left ({room} bytes; see --max-memory)"
        ));
    }
    let ty = chars.next();
    if chars.next().is_some() {
        return Err(bad());
    }
    let numeric = matches!(v, Value::Int(_) | Value::Float(_) | Value::Bool(_));
    let body = match ty {
        Some('f') | Some('F') if numeric => {
            group(format!("{:.*}", precision.unwrap_or(6), as_f64(v)), comma)
        }
        Some('%') if numeric => format!(
            "{}%",
            group(
                format!("{:.*}", precision.unwrap_or(6), as_f64(v) * 100.0),
                comma
            )
        ),
        Some('d') => match v {
            Value::Int(i) => group(i.to_string(), comma),
            _ => {
                return Err(format!(
                    "format `:{spec}` needs an int, got {}",
                    v.type_name()
                ))
            }
        },
        Some('s') | None => match (v, precision) {
            (Value::Float(f), Some(p)) => group(format!("{f:.p$}"), comma),
            (Value::Int(i), _) if comma => group(i.to_string(), true),
            (Value::Float(f), None) if comma => group(format!("{f}"), true),
            (Value::Str(s), Some(p)) => s.text().chars().take(p).collect(),
            _ => {
                let bound = Bound {
                    max_bytes: room,
                    deadline: None,
                };
                display_within(v, &bound).map_err(|_| {
                    format!("the value formatted by `:{spec}` needs more memory than the script has left ({room} bytes; see --max-memory)")
                })?
            }
        },
        Some('e') if numeric => group(exponent(as_f64(v), precision.unwrap_or(6)), comma),
        Some('E') if numeric => {
            group(exponent(as_f64(v), precision.unwrap_or(6)), comma).to_uppercase()
        }
        Some('g') if numeric => group(general(as_f64(v), precision.unwrap_or(6)), comma),
        Some('G') if numeric => {
            group(general(as_f64(v), precision.unwrap_or(6)), comma).to_uppercase()
        }
        _ => return Err(bad()),
    };
    let len = body.chars().count();
    if len >= width {
        return Ok(body);
    }
    let pad = width - len;
    let (fill, align) = if zero && align.is_none() {
        ('0', '=')
    } else {
        (fill, align.unwrap_or(if numeric { '>' } else { '<' }))
    };
    let f = |n: usize| fill.to_string().repeat(n);
    Ok(match align {
        '<' => format!("{body}{}", f(pad)),
        '^' => format!("{}{body}{}", f(pad / 2), f(pad - pad / 2)),
        '=' => match body.strip_prefix('-') {
            Some(rest) => format!("-{}{rest}", f(pad)),
            None => format!("{}{body}", f(pad)),
        },
        _ => format!("{}{body}", f(pad)),
    })
}

/// Python's `e` format: `3.000000e+00` (a signed exponent of at least two
/// digits).
fn exponent(x: f64, precision: usize) -> String {
    if !x.is_finite() {
        return nonfinite(x);
    }
    let s = format!("{x:.precision$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let e: i32 = exp.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", e.abs())
        }
        None => s,
    }
}

/// Python's `g` format: `precision` significant digits, fixed or
/// exponent notation by the size of the exponent, trailing zeros removed.
fn general(x: f64, precision: usize) -> String {
    if !x.is_finite() {
        return nonfinite(x);
    }
    let p = precision.max(1);
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let rounded = format!("{x:.*e}", p - 1);
    let exp: i32 = rounded
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let strip = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if exp >= -4 && exp < p as i32 {
        strip(format!("{x:.*}", (p as i32 - 1 - exp).max(0) as usize))
    } else {
        let e = exponent(x, p - 1);
        let (m, rest) = e.split_once('e').unwrap_or((&e, ""));
        format!("{}e{rest}", strip(m.to_string()))
    }
}

fn nonfinite(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

fn group(num: String, comma: bool) -> String {
    if !comma {
        return num;
    }
    let (sign, rest) = match num.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", num.as_str()),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_and_precision_are_bounded_before_allocating() {
        assert!(apply(&Value::Int(1), ".65536f", 1 << 20).is_err());
        assert!(apply(&Value::Int(1), ">18446744073709551615", 1 << 20).is_err());
        assert!(apply(&Value::Int(1), ">99999999999999999999999", 1 << 20).is_err());
        assert!(apply(&Value::Int(1), ">1000000000", 1 << 20).is_err());
        assert_eq!(apply(&Value::Int(1), ">3", 3).unwrap(), "  1");
        assert_eq!(
            apply(&Value::Float(1.0), ".1000f", 1 << 20).unwrap().len(),
            1002
        );
    }

    #[test]
    fn python_specs() {
        assert_eq!(
            apply(&Value::Float(1.23456), ".2f", 1 << 20).unwrap(),
            "1.23"
        );
        assert_eq!(
            apply(&Value::Int(1234567), ",", 1 << 20).unwrap(),
            "1,234,567"
        );
        assert_eq!(apply(&Value::Int(42), "05d", 1 << 20).unwrap(), "00042");
        assert_eq!(
            apply(&Value::Float(0.256), ".1%", 1 << 20).unwrap(),
            "25.6%"
        );
        assert_eq!(apply(&Value::str("ab"), ">4", 1 << 20).unwrap(), "  ab");
        assert_eq!(apply(&Value::str("ab"), "*^6", 1 << 20).unwrap(), "**ab**");
        assert!(apply(&Value::Int(1), "q", 1 << 20).is_err());
        assert_eq!(apply(&Value::Int(3), "e", 1 << 20).unwrap(), "3.000000e+00");
        assert_eq!(
            apply(&Value::Float(12345.678), ".2e", 1 << 20).unwrap(),
            "1.23e+04"
        );
        assert_eq!(
            apply(&Value::Float(0.00012), "E", 1 << 20).unwrap(),
            "1.200000E-04"
        );
        assert_eq!(
            apply(&Value::Float(1e-300), ".1e", 1 << 20).unwrap(),
            "1.0e-300"
        );
        assert_eq!(
            apply(&Value::Float(0.1 + 0.2), "g", 1 << 20).unwrap(),
            "0.3"
        );
        assert_eq!(
            apply(&Value::Float(1234567.0), "g", 1 << 20).unwrap(),
            "1.23457e+06"
        );
        assert_eq!(
            apply(&Value::Float(0.0001234), ".3g", 1 << 20).unwrap(),
            "0.000123"
        );
        assert_eq!(
            apply(&Value::Float(0.00001234), ".3g", 1 << 20).unwrap(),
            "1.23e-05"
        );
        assert_eq!(apply(&Value::Int(100), ".2g", 1 << 20).unwrap(), "1e+02");
    }
}
