//! How values are shown: `print`, bare expression statements and `final`
//! write strings raw and everything else as JSON; and the conversion of
//! values to and from JSON (`json`, `parse_json`, `--json`, sub-call
//! replies with `json=true`).

use std::sync::Arc;

use serde_json::{Map, Number, Value as Json};

use super::value::{Func, Key, Record, Str, Value};

/// The text `print` writes for one value.
pub fn display(v: &Value) -> String {
    match v {
        Value::Str(s) => s.text().into_owned(),
        other => {
            let mut out = String::new();
            display_into(&mut out, other);
            out
        }
    }
}

/// Appends the text `print` writes for one value to `out`.
pub fn display_into(out: &mut String, v: &Value) {
    use std::fmt::Write;
    match v {
        Value::Str(s) => out.push_str(&s.text()),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&float_text(*f)),
        other => {
            let _ = write!(out, "{}", to_json(other));
        }
    }
}

/// Python-like text of a float (`3.0`, `0.1`, `1e+20` as `1e20`, `nan`, `inf`).
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// A value as JSON. Strings are copied; matches become records of their
/// fields; functions and regexes become descriptive strings; an error
/// becomes `{"error": message}`.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.text().into_owned()),
        Value::List(l) => Json::Array(l.iter().map(|x| to_json(&x)).collect()),
        Value::Record(r) => {
            let mut m = Map::new();
            for (k, v) in r.iter() {
                m.insert(k.to_string(), to_json(v));
            }
            Json::Object(m)
        }
        Value::Match(m) => {
            let mut o = Map::new();
            o.insert("text".into(), Json::String(m.text().text().into_owned()));
            o.insert("start".into(), Json::Number(m.start_char().into()));
            o.insert("end".into(), Json::Number(m.end_char().into()));
            o.insert("line".into(), Json::Number(m.line().into()));
            let groups = m.groups();
            if !groups.is_empty() {
                o.insert(
                    "groups".into(),
                    Json::Array(groups.iter().map(to_json).collect()),
                );
            }
            if let Some(d) = &m.doc {
                o.insert("doc".into(), Json::String(d.to_string()));
            }
            Json::Object(o)
        }
        Value::Regex(r) => Json::String(format!("re\"{}\"", r.source)),
        Value::Func(f) => Json::String(match f {
            Func::Builtin(b) => format!("<builtin {}>", b.name()),
            _ => format!("<function {}>", f.name()),
        }),
        Value::Error(e) => {
            let mut o = Map::new();
            o.insert(
                "error".into(),
                Json::String(format!("{} (call at {})", e.message, e.site)),
            );
            Json::Object(o)
        }
    }
}

/// JSON as a value: objects become records (keys stay strings), arrays
/// lists, integral numbers ints, other numbers floats.
pub fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Str(Str::from_str_ref(s)),
        Json::Array(a) => Value::list(a.iter().map(from_json).collect()),
        Json::Object(o) => {
            let mut r = Record::with_capacity(o.len());
            for (k, v) in o {
                r.insert(Key::Str(Arc::from(k.as_str())), from_json(v));
            }
            Value::record(r)
        }
    }
}
