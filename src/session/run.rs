//! The root loop: a root model answers a question about a context by
//! writing rlq a turn at a time.
//!
//! Each turn the model gets the conversation so far and replies with prose
//! and one rlq block; the first block runs (nothing after it counts), and
//! the model is shown the output cut to its head and tail, any error with
//! its caret diagnostic, and the next turn's number. The session ends when
//! code calls `final(x)` (refused until the model has seen the output of a
//! turn of its code: on the first turn, and after replies that ran
//! nothing), when the turns run out or too many turns in a row
//! fail (then the best answer found in the model's variables is returned,
//! marked as such), or when a root call fails for good (the budget, say).
//! Every step goes to the trace: `session_start`, a `root` event and a
//! `turn` event per turn, the sub-calls the turn's code made (nested under
//! the turn), `compaction` when older turns were summarised to fit the
//! window (see [`super::compact`]), and `session_end`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};

use super::compact::History;
use super::extract::{extract, Extracted};
use super::prompt::{self, ContextFacts, FirstMessage};
use super::truncate::truncate;
use super::{Answer, Options, Shell, Status};
use crate::context::{Context, Doc, Source};
use crate::eval::models::{Models, SubSession};
use crate::eval::render::display;
use crate::eval::Value;
use crate::llm::{ChatMessage, ChatRequest, Role, SubCalls, Usage};

/// Names searched, in order, for the best available answer when a session
/// ends without `final`.
const ANSWER_NAMES: &[&str] = &[
    "final_answer",
    "answer",
    "result",
    "ans",
    "response",
    "output",
    "summary",
];

/// A fingerprint of a context's text: its length and SHA-256 over its
/// first and last 64 KiB and 64 samples of 4 KiB in between (cheap on any
/// size, and different for any two contexts a replay could confuse).
pub fn fingerprint(context: &Context) -> String {
    let bytes = context.source.bytes();
    let mut h = Sha256::new();
    h.update((bytes.len() as u64).to_le_bytes());
    let n = bytes.len();
    h.update(&bytes[..n.min(65_536)]);
    h.update(&bytes[n.saturating_sub(65_536)..]);
    for i in 0..64 {
        let at = n / 64 * i;
        h.update(&bytes[at..(at + 4096).min(n)]);
    }
    hex::encode(h.finalize())
}

/// The best answer in the variables: the first of [`ANSWER_NAMES`] that
/// holds something, else any variable whose name contains "answer".
fn best_answer(shell: &Shell) -> Option<(String, String)> {
    let usable = |v: &Value| match v {
        Value::Null | Value::Error(_) | Value::Func(_) => false,
        Value::Str(s) => !s.text().trim().is_empty(),
        _ => true,
    };
    let globals = &shell.engine().globals;
    for name in ANSWER_NAMES {
        if let Some(v) = globals.get(name).filter(|v| usable(v)) {
            return Some((name.to_string(), display(v)));
        }
    }
    globals
        .sorted()
        .into_iter()
        .find(|(n, v)| n.to_lowercase().contains("answer") && usable(v))
        .map(|(n, v)| (n.to_string(), display(v)))
}

fn user(content: String) -> ChatMessage {
    ChatMessage {
        role: Role::User,
        content,
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Runs `rlm()` sub-sessions: the same loop over a text, one level deeper,
/// on the caller's backend (so the same budget, cache and trace).
pub struct Recurse {
    options: Arc<Options>,
}

impl Recurse {
    /// Sub-sessions run with these loop settings.
    pub fn new(options: Arc<Options>) -> Recurse {
        Recurse { options }
    }
}

impl SubSession for Recurse {
    fn run(
        &self,
        calls: &Arc<SubCalls>,
        question: &str,
        text: &str,
        depth: u32,
        parent: Option<u64>,
    ) -> Result<String, String> {
        let len = text.len();
        let context = Context {
            source: Arc::new(Source::from_vec(text.as_bytes().to_vec())),
            docs: vec![Doc {
                name: "text".into(),
                range: 0..len,
            }],
        };
        let answer = run_session(
            calls,
            Arc::new(context),
            question,
            depth,
            parent,
            &self.options,
        );
        match answer.status {
            Status::Final => Ok(answer.text),
            _ => Err(format!(
                "rlm() sub-session ended without final(): {}{}",
                answer.reason,
                match &answer.source {
                    Some(var) => format!(
                        "; its best available answer (variable `{var}`): {}",
                        super::truncate::truncate(&answer.text, 500).text
                    ),
                    None => String::new(),
                }
            )),
        }
    }
}

/// Runs one session to its end. Never fails: problems end the session
/// with a [`Status`] and a reason.
pub fn run_session(
    calls: &Arc<SubCalls>,
    context: Arc<Context>,
    question: &str,
    depth: u32,
    parent: Option<u64>,
    options: &Arc<Options>,
) -> Answer {
    let started = Instant::now();
    let config = calls.config();
    let root_model = options
        .root_model
        .clone()
        .unwrap_or_else(|| config.root_model.clone());
    let id = calls.next_id();
    let facts = ContextFacts::of(&context, config.chars_per_token);
    let print = fingerprint(&context);
    if let Some(rec) = calls.recording() {
        rec.claim_session(id, question, &print, depth);
    }
    let sub_input_chars = calls.budget(depth).sub_input_chars;
    let system = prompt::system_prompt(Some(&root_model), options.examples);
    let first = FirstMessage {
        question,
        facts: &facts,
        sub_input_chars: Some(sub_input_chars),
        max_output_chars: options.max_output_chars,
        max_iterations: options.max_iterations,
    }
    .render();
    let trace = calls.trace();
    if let Some(t) = trace {
        let limits = &options.limits;
        t.event(json!({
            "event": "session_start",
            "id": id,
            "parent": parent,
            "depth": depth,
            "question": question,
            "root_model": root_model,
            "sub_model": config.sub_model,
            "context": {
                "paths": options.context_paths,
                "documents": facts.doc_count,
                "chars": facts.chars,
                "lines": facts.lines,
                "bytes": context.source.len(),
                "fingerprint": print,
            },
            "options": {
                "max_iterations": options.max_iterations,
                "max_errors": options.max_errors,
                "max_output_chars": options.max_output_chars,
                "root_max_tokens": options.root_max_tokens,
                "examples": options.examples,
                "limits": {
                    "max_steps": limits.max_steps,
                    "max_time": limits.max_time.as_secs_f64(),
                    "max_memory": limits.max_memory,
                    "max_output": limits.max_output,
                },
            },
            "config": {
                "root_model": config.root_model,
                "sub_model": config.sub_model,
                "sub_max_tokens": config.sub_max_tokens,
                "chars_per_token": config.chars_per_token,
                "concurrency": config.concurrency,
                "compact_at": config.compact_at,
                "budget": config.budget,
                "models": {
                    root_model.clone(): config.model_info(&root_model),
                    config.sub_model.clone(): config.model_info(&config.sub_model),
                },
            },
            "sub_input_chars": sub_input_chars,
            "system_prompt": system,
            "first_message": first,
            "rlmq_version": env!("CARGO_PKG_VERSION"),
        }));
    }

    let mut answer = Answer {
        text: String::new(),
        status: Status::Stopped,
        reason: String::new(),
        source: None,
        turns: 0,
        usage: Usage::default(),
        trace: config.trace.clone(),
        elapsed: Duration::ZERO,
        session_id: id,
    };
    let mut shell = match Shell::new(context, options.limits.clone(), "turn") {
        Ok(s) => s,
        Err(e) => {
            answer.reason = e;
            return end(calls, answer, parent, depth, started);
        }
    };
    shell.bind_str("question", question);
    let mut models = Models::shared(Arc::clone(calls), depth);
    models.sub_session = Some(Arc::new(Recurse::new(Arc::clone(options))));
    shell.engine_mut().rt.models = Some(models);

    let history = History {
        calls,
        model: &root_model,
        system: &system,
        first: &first,
        max_tokens: options.root_max_tokens,
        session: id,
        depth,
    };
    let mut messages = vec![user(first.clone())];
    let mut errors_in_a_row = 0u32;
    let mut seen_output = false;
    let max = options.max_iterations.max(1);
    for turn in 1..=max {
        answer.turns = turn;
        if turn > 1 {
            history.compact_if_full(&mut messages, turn, &shell.variables());
        }
        let reply = match calls.chat(&ChatRequest {
            system: system.clone(),
            messages: messages.clone(),
            model: Some(root_model.clone()),
            max_tokens: options.root_max_tokens,
            parent: Some(id),
            depth,
        }) {
            Ok(r) => r,
            Err(e) => {
                answer.reason =
                    format!("the root model call of turn {turn} failed: {}", e.message());
                return finish_best(calls, answer, &shell, parent, depth, started);
            }
        };
        messages.push(ChatMessage {
            role: Role::Assistant,
            content: reply.text.clone(),
        });
        let mut event = json!({
            "event": "turn",
            "id": reply.id,
            "parent": id,
            "session": id,
            "turn": turn,
            "depth": depth,
        });
        let feedback;
        let mut done = false;
        match extract(&reply.text) {
            Extracted::Code {
                code,
                ignored_blocks,
                ignored_chars,
            } => {
                if let Some(m) = &shell.engine().rt.models {
                    m.set_parent(Some(reply.id));
                }
                let run = shell.run(&code);
                let cut = truncate(&run.output, options.max_output_chars);
                let refused = run.final_value.is_some() && !seen_output;
                seen_output = true;
                let final_text = run.final_text();
                if run.error.is_some() {
                    errors_in_a_row += 1;
                } else {
                    errors_in_a_row = 0;
                }
                let mut text = prompt::after_run(
                    &cut.text,
                    run.error.as_ref().map(|e| e.rendered.as_str()),
                    refused,
                    turn,
                    max,
                );
                if ignored_blocks > 0 || ignored_chars > 0 {
                    text.push_str(&format!(
                        "\n(Only the first rlq block of your reply ran{}; the text after it was ignored. The real output is above.)",
                        if ignored_blocks > 0 {
                            format!(", {ignored_blocks} more ignored")
                        } else {
                            String::new()
                        }
                    ));
                }
                let obj = event.as_object_mut().expect("an object");
                obj.insert("block".into(), json!("rlq"));
                obj.insert("code".into(), json!(code));
                obj.insert("ignored_blocks".into(), json!(ignored_blocks));
                obj.insert("ignored_chars".into(), json!(ignored_chars));
                obj.insert("output".into(), json!(run.output));
                obj.insert("truncated".into(), json!(cut.truncated()));
                obj.insert("cut_chars".into(), json!(cut.cut_chars));
                obj.insert(
                    "error".into(),
                    json!(run.error.as_ref().map(|e| &e.rendered)),
                );
                obj.insert(
                    "error_line".into(),
                    json!(run.error.as_ref().map(|e| &e.one_line)),
                );
                obj.insert("final".into(), json!(final_text));
                obj.insert("final_refused".into(), json!(refused));
                obj.insert("elapsed_ms".into(), json!(ms(run.elapsed)));
                if let (Some(f), false) = (final_text, refused) {
                    answer.text = f;
                    answer.status = Status::Final;
                    done = true;
                }
                feedback = text;
            }
            Extracted::OtherLanguage(lang) => {
                errors_in_a_row += 1;
                feedback = prompt::wrong_language(&lang, turn, max);
                let obj = event.as_object_mut().expect("an object");
                obj.insert("block".into(), json!(lang));
            }
            Extracted::NoBlock => {
                errors_in_a_row += 1;
                feedback = prompt::no_block(turn, max);
                let obj = event.as_object_mut().expect("an object");
                obj.insert("block".into(), json!("none"));
            }
        }
        if !done {
            event
                .as_object_mut()
                .expect("an object")
                .insert("shown".into(), json!(feedback));
        }
        if let Some(t) = trace {
            t.event(event);
        }
        if done {
            return end(calls, answer, parent, depth, started);
        }
        if errors_in_a_row >= options.max_errors.max(1) {
            answer.status = Status::MaxErrors;
            answer.reason = format!(
                "{errors_in_a_row} turns in a row failed (--max-errors {})",
                options.max_errors
            );
            return finish_best(calls, answer, &shell, parent, depth, started);
        }
        messages.push(user(feedback));
    }
    answer.status = Status::MaxIterations;
    answer.reason = format!("no final() within {max} turns (--max-iterations)");
    finish_best(calls, answer, &shell, parent, depth, started)
}

/// Ends a session that did not call `final`: the best answer in the
/// variables, marked as such.
fn finish_best(
    calls: &Arc<SubCalls>,
    mut answer: Answer,
    shell: &Shell,
    parent: Option<u64>,
    depth: u32,
    started: Instant,
) -> Answer {
    if let Some((name, text)) = best_answer(shell) {
        answer.text = text;
        answer.source = Some(name);
    }
    end(calls, answer, parent, depth, started)
}

/// Writes `session_end` and fills in the totals.
fn end(
    calls: &Arc<SubCalls>,
    mut answer: Answer,
    parent: Option<u64>,
    depth: u32,
    started: Instant,
) -> Answer {
    answer.elapsed = started.elapsed();
    answer.usage = calls.totals();
    if let Some(t) = calls.trace() {
        t.event(json!({
            "event": "session_end",
            "id": answer.session_id,
            "parent": parent,
            "depth": depth,
            "status": answer.status.name(),
            "answer": answer.text,
            "reason": if answer.reason.is_empty() { None } else { Some(&answer.reason) },
            "answer_from": answer.source,
            "turns": answer.turns,
            "usage": answer.usage,
            "elapsed_ms": ms(answer.elapsed),
        }));
    }
    answer
}
