//! The two ways a call reaches a builtin give the same thing: arguments
//! bound in place ([`invoke_inline`], every argument by position) and
//! arguments bound from vectors ([`invoke`], the general path of keyword
//! and `*rest` arguments and of calls from other builtins).

use std::sync::Arc;

use super::*;
use crate::context::Context;
use crate::eval::env::Globals;
use crate::eval::flow::Flow;
use crate::eval::value::{Func, Key, Record};
use crate::eval::{Limits, Runtime};

/// What a call gave, as text: its value, or how it stopped, with what it
/// printed.
fn outcome(r: R<Value>, printed: Vec<u8>) -> String {
    let printed = String::from_utf8_lossy(&printed);
    match r {
        Ok(v) => format!("ok {} | {printed}", crate::eval::render::display(&v)),
        Err(Flow::Error(d)) => format!("error {} | {printed}", d.message),
        Err(Flow::Final(v)) => format!("final {} | {printed}", crate::eval::render::display(&v)),
        Err(Flow::Return(_) | Flow::Break | Flow::Continue) => format!("jump | {printed}"),
    }
}

/// Arguments the builtins are tried with: one of each common kind.
fn samples() -> Vec<Value> {
    let mut r = Record::with_capacity(1);
    r.insert(Key::Str("a".into()), Value::Int(1));
    vec![
        Value::Int(2),
        Value::str("a,b c"),
        Value::list(vec![Value::Int(3), Value::Int(1), Value::Int(2)]),
        Value::record(r),
        Value::Null,
        Value::Func(Func::Builtin(lookup("len").expect("len is a builtin"))),
    ]
}

/// Every sequence of `n` samples.
fn tuples(samples: &[Value], n: usize) -> Vec<Vec<Value>> {
    (0..n).fold(vec![Vec::new()], |acc, _| {
        acc.iter()
            .flat_map(|t| {
                samples.iter().map(move |s| {
                    let mut t = t.clone();
                    t.push(s.clone());
                    t
                })
            })
            .collect()
    })
}

#[test]
fn binding_in_place_equals_binding_from_vectors() {
    let rt = Runtime::new(
        Arc::new(Context::from_text("alpha a,b c\nbeta 2\n")),
        Limits::default(),
    );
    let globals = Globals::new();
    let samples = samples();
    let mut compared = 0;
    for entry in all().filter(|e| e.inline && e.builtin.effect != Effect::Model) {
        let b = lookup(entry.name).expect("a registered builtin");
        for n in 0..=entry.params.len().min(3) {
            for args in tuples(&samples, n) {
                let call = |inline: bool| {
                    let mut printed = Vec::new();
                    let mut cx = CallCx {
                        rt: &rt,
                        globals: &globals,
                        locals: None,
                        out: &mut printed,
                        span: Span::default(),
                        name: entry.name,
                    };
                    let r = if inline {
                        // Variables' values are read where they lie.
                        let mut slots: [Slot; INLINE_PARAMS] = Default::default();
                        for (slot, v) in slots.iter_mut().zip(&args) {
                            *slot = Some(std::borrow::Cow::Borrowed(v));
                        }
                        invoke_inline(b, &mut cx, &slots, args.len())
                    } else {
                        invoke(b, &mut cx, args.clone(), Vec::new())
                    };
                    outcome(r, printed)
                };
                assert_eq!(call(true), call(false), "{}{:?}", entry.name, args.len());
                compared += 1;
            }
        }
    }
    assert!(compared > 1000, "only {compared} calls compared");
}
