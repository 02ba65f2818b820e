//! How values are shown: `print`, bare expression statements and `final`
//! write strings raw and everything else as JSON; and the conversion of
//! values to and from JSON (`json`, `parse_json`, `--json`, sub-call
//! replies with `json=true`).

use std::time::Instant;

use serde_json::{Map, Number, Value as Json};

use super::value::{Func, Key, Record, Str, Value};

/// The text `print` writes for one value.
pub fn display(v: &Value) -> String {
    display_within(v, &Bound::unlimited()).unwrap_or_default()
}

/// How much a rendering may build: bytes, and a moment to stop by.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// The most bytes of text.
    pub max_bytes: usize,
    /// When to give up, if ever.
    pub deadline: Option<Instant>,
}

impl Bound {
    /// No bound (for values known to be small).
    pub fn unlimited() -> Bound {
        Bound {
            max_bytes: usize::MAX,
            deadline: None,
        }
    }
}

/// Why a bounded rendering stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The text would pass [`Bound::max_bytes`].
    Size,
    /// The deadline passed.
    Time,
}

/// [`display`] within `bound`: the text is written as it goes and the
/// walk stops as soon as it would pass the bound, so a value that shares
/// structure (`a = [a, a]` forty times) costs no more than the bound.
pub fn display_within(v: &Value, bound: &Bound) -> Result<String, Stop> {
    match v {
        Value::Str(s) if s.byte_len() > bound.max_bytes => Err(Stop::Size),
        Value::Str(s) => Ok(s.text().into_owned()),
        Value::Float(f) => Ok(float_text(*f)),
        other => json_within(other, bound),
    }
}

/// The first `max` bytes or so of [`display`]'s text (cut on a character
/// boundary), built without rendering the rest.
pub fn display_head(v: &Value, max: usize) -> String {
    match v {
        Value::Str(s) => {
            let t = s.text();
            let mut end = t.len().min(max);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t[..end].to_string()
        }
        Value::Float(f) => float_text(*f),
        other => {
            let mut w = JsonWriter {
                out: Vec::new(),
                bound: Bound {
                    max_bytes: max,
                    deadline: None,
                },
                nodes: 0,
            };
            let _ = w.value(other);
            String::from_utf8_lossy(&w.out).into_owned()
        }
    }
}

/// The JSON text of `v` (as `to_json(v).to_string()`), within `bound`.
pub fn json_within(v: &Value, bound: &Bound) -> Result<String, Stop> {
    let mut w = JsonWriter {
        out: Vec::new(),
        bound: *bound,
        nodes: 0,
    };
    w.value(v)?;
    // Only whole UTF-8 texts were written.
    Ok(String::from_utf8(w.out).unwrap_or_default())
}

/// Writes JSON text into a buffer, checking the bound as it grows.
struct JsonWriter {
    out: Vec<u8>,
    bound: Bound,
    nodes: u32,
}

impl JsonWriter {
    fn fits(&self, more: usize) -> Result<(), Stop> {
        if self.out.len().saturating_add(more) > self.bound.max_bytes {
            return Err(Stop::Size);
        }
        Ok(())
    }

    fn push(&mut self, s: &str) -> Result<(), Stop> {
        self.fits(s.len())?;
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn string(&mut self, s: &str) -> Result<(), Stop> {
        // The escaped text is at least as long as the raw one.
        self.fits(s.len().saturating_add(2))?;
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.out, s);
        self.fits(0)
    }

    fn value(&mut self, v: &Value) -> Result<(), Stop> {
        self.nodes = self.nodes.wrapping_add(1);
        if self.nodes % 4096 == 0 && self.bound.deadline.is_some_and(|d| Instant::now() > d) {
            return Err(Stop::Time);
        }
        match v {
            Value::Null => self.push("null"),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                // Formatted on the stack (20 digits and a sign at most).
                self.push(itoa::Buffer::new().format(*i))
            }
            Value::Str(s) => self.string(&s.text()),
            Value::List(super::value::List::Vec(items)) => {
                self.push("[")?;
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        self.push(",")?;
                    }
                    self.value(x)?;
                }
                self.push("]")
            }
            Value::List(l) => {
                self.push("[")?;
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        self.push(",")?;
                    }
                    self.value(&x)?;
                }
                self.push("]")
            }
            Value::Record(r) => {
                self.push("{")?;
                for (i, (k, x)) in r.iter().enumerate() {
                    if i > 0 {
                        self.push(",")?;
                    }
                    self.string(&k.to_string())?;
                    self.push(":")?;
                    self.value(x)?;
                }
                self.push("}")
            }
            other => {
                let text = to_json(other).to_string();
                self.push(&text)
            }
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
    } else if f.abs() >= 1e16 {
        // Python's exponent form (without its `+`), never 300 digits.
        format!("{f:e}")
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
                r.insert(Key::Str(k.as_str().into()), from_json(v));
            }
            Value::record(r)
        }
    }
}
