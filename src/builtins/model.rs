//! Builtins that call models: `llm` (one sub-call), `rlm` (a recursive
//! sub-session) and `budget` (what is left to spend).
//!
//! A call that fails after its retries (an HTTP error, a timeout, an
//! unreadable or non-JSON reply) becomes an error value in its place, so a
//! `map` over 100 items still returns 100 results. A failure that no retry
//! or later call could mend stops the program with one clear line: the
//! budget ran out, the prompt is too large for the model, the key or the
//! model name is wrong, the endpoint cannot be reached.

use std::sync::Arc;
use std::time::Instant;

use super::args::{Args, CallCx};
use super::{Builtin, Effect};
use crate::diag::{Diagnostic, Stage};
use crate::eval::flow::{Flow, R};
use crate::eval::models::Models;
use crate::eval::render::{display_within, from_json};
use crate::eval::value::{ErrorValue, Value};
use crate::llm::{Budget, BudgetLimits, CallError, CallErrorKind, CallRequest};

/// The model builtins.
pub const BUILTINS: &[Builtin] = &[
    Builtin { sig: "llm(prompt, text=null, model=null, json=false, max_tokens=null, system=null)", doc: "one sub-model call: the reply as a str (parsed into values with json=true); a failed call is an error value", brief: "one sub-call: reply str (parsed with json=true); failure is an error value", effect: Effect::Model, run: llm },
    Builtin { sig: "rlm(question, text)", doc: "a recursive sub-session over text at depth+1 (bounded by --max-depth); its answer", brief: "a whole sub-session over text", effect: Effect::Model, run: rlm },
    Builtin { sig: "budget()", doc: "what is spent and left: {llm_calls_used, llm_calls_left, tokens_used, tokens_left, usd_used, usd_left, depth, max_depth, sub_input_chars, sub_output_tokens}; \"unlimited\" where no limit is set", brief: "spent and left: llm_calls_*, tokens_*, usd_* (\"unlimited\"), sub_input_chars, sub_output_tokens", effect: Effect::Pure, run: budget },
];

const NO_MODEL: &str = "set OPENAI_API_KEY (with OPENAI_BASE_URL for a local or other OpenAI-compatible server) or ANTHROPIC_API_KEY, or name a model with --model / --sub-model";

fn models<'a>(cx: &CallCx<'a>) -> R<&'a Models> {
    cx.rt
        .models
        .as_ref()
        .ok_or_else(|| cx.fail_hint("no model is configured for sub-calls", NO_MODEL))
}

/// A failed call: an error value where a retry or a later call could do
/// better, otherwise a stop with one clear line.
/// Which failures stop and which are values is the split the language
/// reference documents (sub-model calls).
fn failed(cx: &CallCx, e: CallError, site: String) -> R<Value> {
    // The run's own time ran out while waiting: the time limit's error.
    cx.rt.meter.check_time().map_err(|d| d.at(cx.span))?;
    let stop = |stage: Stage, hint: &str| -> R<Value> {
        Err(Flow::from(
            Diagnostic::new(stage, format!("{}: {}", cx.name, e.message()))
                .at(cx.span)
                .hint(hint),
        ))
    };
    match &e.kind {
        CallErrorKind::Budget { .. } => stop(
            Stage::Limit,
            "the budget is spent; what was computed so far is kept. Raise the limit (--max-llm-calls, --max-tokens, --max-usd, --max-seconds) or make fewer, larger calls",
        ),
        CallErrorKind::PromptTooLarge { .. } => stop(
            Stage::Runtime,
            "cut the text to fit: partition(t, size=budget().sub_input_chars - len(prompt) - 100) and call llm on each piece",
        ),
        CallErrorKind::Auth { .. } => stop(Stage::Runtime, "check the API key"),
        CallErrorKind::UnknownModel => stop(Stage::Runtime, "check the model name (--model, --sub-model, model=) and the base URL"),
        CallErrorKind::Connect => stop(Stage::Runtime, "check the base URL (OPENAI_BASE_URL / ANTHROPIC_BASE_URL) and that the server is running"),
        CallErrorKind::Interrupted => stop(Stage::Limit, "the variables set before it are kept"),
        CallErrorKind::Http { .. }
        | CallErrorKind::Timeout
        | CallErrorKind::BadReply
        | CallErrorKind::JsonReply { .. } => Ok(Value::Error(Arc::new(ErrorValue {
            message: e.message().to_string(),
            site,
        }))),
    }
}

fn llm(cx: &mut CallCx, a: &Args) -> R<Value> {
    let prompt = match a.raw(0) {
        Some(Value::Str(s)) => s.text().into_owned(),
        Some(other) => cx.render(other, display_within)?,
        None => return Err(cx.fail("missing the prompt")),
    };
    let json = cx.bool(a, 3, false);
    // The text stays where it is (a piece of the context, say) until it
    // is escaped into the request body: one copy.
    let req = CallRequest::new(prompt);
    let req = match a.get(1) {
        Some(Value::Str(s)) => req.text(s.text()),
        Some(other) => req.text(cx.render(other, display_within)?),
        None => req,
    };
    let req = CallRequest {
        model: cx.opt_str(a, 2)?.map(|s| s.text().into_owned()),
        system: cx.opt_str(a, 5)?.map(|s| s.text().into_owned()),
        json,
        max_tokens: cx
            .opt_int(a, 4)?
            .map(|n| n.clamp(1, u32::MAX as i64) as u32),
        site: cx.rt.site(cx.span),
        deadline: Instant::now().checked_add(cx.rt.meter.time_left()),
        ..req
    };
    let m = models(cx)?;
    let calls = m.calls().map_err(|e| cx.fail_hint(e, NO_MODEL))?;
    let req = CallRequest {
        parent: m.parent(),
        depth: m.depth,
        ..req
    };
    let site = req.site.clone();
    match calls.call(&req) {
        Ok(reply) if json => Ok(reply.json.as_ref().map_or(Value::Null, from_json)),
        Ok(reply) => Ok(Value::str(reply.text)),
        Err(e) => failed(cx, e, site),
    }
}

fn rlm(cx: &mut CallCx, a: &Args) -> R<Value> {
    let question = cx.str(a, 0)?.text().into_owned();
    let text = match a.raw(1) {
        Some(Value::Str(s)) => s.text().into_owned(),
        Some(other) => cx.render(other, display_within)?,
        None => return Err(cx.fail("missing the text")),
    };
    let m = models(cx)?;
    let max_depth = m.config().budget.max_depth;
    if m.depth + 1 > max_depth {
        return Err(cx.fail_hint(
            format!(
                "a sub-session would run at depth {}, deeper than --max-depth {max_depth}",
                m.depth + 1
            ),
            "answer with llm(prompt, text) on a smaller piece, or raise --max-depth",
        ));
    }
    let Some(sub) = &m.sub_session else {
        return Err(cx.fail_hint(
            "recursive sub-sessions need a root model",
            "pass --model NAME (the model that writes the sub-session's rlq); or use llm(prompt, text)",
        ));
    };
    let calls = m.calls().map_err(|e| cx.fail_hint(e, NO_MODEL))?;
    match sub.run(calls, &question, &text, m.depth + 1, m.parent()) {
        Ok(answer) => Ok(Value::str(answer)),
        Err(message) => Ok(Value::Error(Arc::new(ErrorValue {
            message,
            site: cx.rt.site(cx.span),
        }))),
    }
}

fn budget(cx: &mut CallCx, _: &Args) -> R<Value> {
    let view = match &cx.rt.models {
        Some(m) => match m.calls() {
            Ok(calls) => calls.budget_over(m.depth, cx.rt.context.source.bytes()),
            // No backend (no key, say): the limits, with nothing spent and
            // no room for a sub-call.
            Err(_) => Budget::new(m.config().budget).view(m.depth, 0, 0),
        },
        None => Budget::new(BudgetLimits::default()).view(0, 0, 0),
    };
    Ok(serde_json::to_value(view).map_or(Value::Null, |j| from_json(&j)))
}
