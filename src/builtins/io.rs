//! Builtins with effects on the run itself: print, final, vars.

use super::args::{Args, CallCx};
use super::{Builtin, Effect};
use crate::eval::flow::{Flow, R};
use crate::eval::render::display_head;
use crate::eval::value::{Key, Record, Value};

/// The builtins with effects.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        sig: "print(*values)",
        doc: "writes the values separated by a space (strings raw, others as JSON), then a newline",
        brief: "strings raw, others as JSON",
        effect: Effect::Output,
        run: print,
    },
    Builtin {
        sig: "final(x)",
        doc: "ends the program; x is the answer",
        brief: "end with the answer",
        effect: Effect::Final,
        run: final_,
    },
    Builtin {
        sig: "vars()",
        doc: "the variables: name, type, size and a short preview of each",
        brief: "your variables, previewed",
        effect: Effect::Output,
        run: vars,
    },
];

fn print(cx: &mut CallCx, a: &Args) -> R<Value> {
    let mut text = String::new();
    for (i, v) in a.rest().iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(&cx.rt.shown(v, true, cx.span)?);
        cx.rt.meter.output(0).map_err(|d| d.at(cx.span))?;
    }
    cx.rt.emit(cx.out, &text, cx.span)?;
    Ok(Value::Null)
}

/// `final(x)`: the answer is shown the way `print` shows it, so it counts
/// against the output limit like printed text.
fn final_(cx: &mut CallCx, a: &Args) -> R<Value> {
    match a.raw(0) {
        Some(v) => {
            let text = cx.rt.shown(v, true, cx.span)?;
            cx.rt
                .meter
                .output(text.len() + 1)
                .map_err(|d| d.at(cx.span))?;
            Err(Flow::Final(v.clone()))
        }
        None => Err(cx.fail("final needs the answer: final(x)")),
    }
}

/// Bytes of a value rendered for a preview (more than it shows).
const PREVIEW: usize = 400;

/// One line describing a variable: its type, size and a short preview.
pub fn describe(v: &Value) -> String {
    let preview = |s: &str| {
        let one: String = s
            .chars()
            .take(80)
            .map(|c| if c == '\n' { ' ' } else { c })
            .collect();
        if s.chars().count() > 80 {
            format!("{one}...")
        } else {
            one
        }
    };
    match v {
        Value::Str(s) => format!(
            "str, {} chars: {:?}",
            s.char_len(),
            preview(&crate::eval::interp::slice_str(s, None, Some(100)).text())
        ),
        Value::List(l) => format!(
            "list, {} items: {}",
            l.len(),
            preview(&display_head(
                &Value::List(l.slice(0..l.len().min(5))),
                PREVIEW
            ))
        ),
        Value::Record(r) => format!(
            "record, {} keys: {}",
            r.len(),
            preview(
                &r.keys()
                    .take(10)
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ),
        other => format!(
            "{}: {}",
            other.type_name(),
            preview(&display_head(other, PREVIEW))
        ),
    }
}

fn vars(cx: &mut CallCx, _: &Args) -> R<Value> {
    let mut r = Record::default();
    for (name, v) in cx.globals.sorted() {
        if matches!(v, Value::Func(crate::eval::value::Func::Def(d)) if d.def.span.file == crate::stdlib::FILE)
        {
            continue;
        }
        r.insert(Key::Str(name.clone().into()), Value::str(describe(v)));
    }
    if let Some(l) = cx.locals {
        for (name, v) in l.iter() {
            r.insert(Key::Str(name.clone().into()), Value::str(describe(v)));
        }
    }
    Ok(Value::record(r))
}
