//! Runtime error messages shared by the interpreter's stages.

use crate::diag::Diagnostic;
use crate::suggest;
use crate::syntax::span::Span;

use super::flow::Flow;
use super::ops::OpError;
use super::value::*;

/// `an int cannot be sliced`: an operation a kind of value does not have.
pub(super) fn kind_error(span: Span, v: &Value, what: &str) -> Flow {
    let t = v.type_name();
    Diagnostic::runtime(span, format!("{} {t} {what}", article(t))).into()
}

/// "a" or "an" before a type name.
pub fn article(type_name: &str) -> &'static str {
    if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

pub(super) fn missing_key(r: &Record, key: &Key, span: Span) -> Diagnostic {
    if let Key::Str(k) = key {
        let names: Vec<String> = r.keys().map(|k| k.to_string()).collect();
        if let Some(s) = suggest::closest(k, names.iter().map(String::as_str)) {
            return Diagnostic::runtime(span, format!("the record has no key `{key}`")).hint(
                format!(
                    "did you mean `{s}`? keys present: {}",
                    names
                        .iter()
                        .take(20)
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let mut present: Vec<String> = r.keys().take(20).map(|k| format!("`{k}`")).collect();
    if r.len() > 20 {
        present.push(format!("... ({} keys)", r.len()));
    }
    Diagnostic::runtime(span, format!("the record has no key `{key}`")).hint(if r.is_empty() {
        "the record is empty; `r[k] ?? default` gives a default".to_string()
    } else {
        format!(
            "keys present: {}; `r[k] ?? default` gives a default",
            present.join(", ")
        )
    })
}

pub(super) fn op_err(e: OpError, span: Span) -> Flow {
    let d = Diagnostic::runtime(span, e.message);
    match e.hint {
        Some(h) => d.hint(h).into(),
        None => d.into(),
    }
}

/// The error for using a failed sub-call's value in an operation.
pub fn error_value_used(e: &ErrorValue, span: Span) -> Diagnostic {
    Diagnostic::runtime(
        span,
        format!(
            "used the result of a failed sub-call (at {}): {}",
            e.site, e.message
        ),
    )
    .hint("test it first: `if is_error(x) { ... }`, or give a default: `x ?? \"\"`")
}
