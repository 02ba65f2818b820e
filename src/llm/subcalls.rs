//! [`SubCalls`]: the one object the interpreter calls `llm()` through.
//!
//! A call goes through these steps, each of which can end it:
//! 1. **cache**: a stored reply is returned at once, free (no request, no
//!    budget);
//! 2. **size**: system prompt and message are counted in tokens; more than
//!    the window minus the reply allowance is
//!    [`PromptTooLarge`](CallErrorKind::PromptTooLarge), before any request;
//! 3. **budget**: one call, the counted input plus the reply allowance, and
//!    their cost are taken from the shared [`Budget`] (see there);
//! 4. **HTTP**: on the backend's tokio runtime, with a semaphore permit per
//!    attempt, retries and backoff ([`super::http`]);
//! 5. **record**: real usage settles the budget, the reply goes to the cache
//!    at once, a `subcall` event goes to the trace, the progress bar moves.
//!
//! [`SubCalls::call`] blocks the calling thread and may be called from any
//! number of OS threads at once (the interpreter fans a `map` out over a
//! thread pool); token counting and cache I/O run on the caller's thread,
//! only the network wait runs on the runtime. It works from inside another
//! tokio runtime too (it never calls `block_on`), though blocking a worker
//! there is the caller's choice.

use std::borrow::Cow;
use std::cell::LazyCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::body_pool::BODIES;
use super::budget::{Budget, BudgetLimits, BudgetView};
use super::cache::{Cache, Entry, KeyParts};
use super::config::LlmConfig;
use super::error::{CallError, CallErrorKind, LlmError};
use super::http::{Failed, Http, RetryNote, Sent};
use super::message::Message;
use super::models::{Encoding, ModelInfo};
use super::progress::{Progress, ProgressGuard};
use super::recording::Recording;
use super::trace::Trace;
use super::usage::{CallUsage, Totals, Usage};
use super::wire::{ChatMessage, Role};
use super::{json_reply, tokens, wire, DEFAULT_SYSTEM, JSON_INSTRUCTION};

/// One `llm()` call as the interpreter describes it.
///
/// The user message is the prompt, then a blank line and the text when
/// there is one. The text is borrowed where the program holds it (a piece
/// of the mapped context, say), so it is copied once, into the request
/// body, on its way from the context to the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallRequest<'a> {
    /// The instruction.
    pub prompt: String,
    /// The text the call is about, if any.
    pub text: Option<Cow<'a, str>>,
    /// Model; the configured sub-model when `None`.
    pub model: Option<String>,
    /// System prompt; `prompts/sub.md` when `None`.
    pub system: Option<String>,
    /// Ask for a JSON reply and parse it.
    pub json: bool,
    /// Reply allowance in tokens; the configured one when `None`.
    pub max_tokens: Option<u32>,
    /// Id of the call (or run step) this call was made under, for the trace.
    pub parent: Option<u64>,
    /// Depth of the program making the call (the root program is 0).
    pub depth: u32,
    /// Where the call is in the script (`script.rlq:12:5`), for messages.
    pub site: String,
    /// When the run that makes the call must end (its `--max-time`): the
    /// call, its retries and its wait for a slot end by then too.
    pub deadline: Option<Instant>,
}

impl<'a> CallRequest<'a> {
    /// A call with `prompt` and no text, at depth 0.
    pub fn new(prompt: impl Into<String>) -> CallRequest<'a> {
        CallRequest {
            prompt: prompt.into(),
            ..CallRequest::default()
        }
    }

    /// Sets the text, sent after a blank line (builder style).
    pub fn text(self, text: impl Into<Cow<'a, str>>) -> CallRequest<'a> {
        CallRequest {
            text: Some(text.into()),
            ..self
        }
    }

    /// Sets the call site (builder style).
    pub fn site(mut self, site: impl Into<String>) -> CallRequest<'a> {
        self.site = site.into();
        self
    }

    /// The user message, in its parts.
    pub fn message(&self) -> Message<'_> {
        match &self.text {
            Some(text) => Message::about(&self.prompt, text),
            None => Message::whole(&self.prompt),
        }
    }
}

/// A `map` of sub-calls about to start, for [`SubCalls::reserve_map`].
#[derive(Debug, Clone, Default)]
pub struct MapPlan<'a> {
    /// The items' texts, as UTF-8 (invalid bytes count as U+FFFD).
    pub pieces: Vec<&'a [u8]>,
    /// Sub-model call sites the mapped function reaches, per item.
    pub calls_per_item: u64,
    /// Whether each item is the whole text of one call (`p => llm(prompt,
    /// p)`), so that it must fit one call.
    pub sent_whole: bool,
    /// The model of that call, when the program names it.
    pub model: Option<&'a str>,
    /// The reply allowance of that call, when the program sets it.
    pub max_tokens: Option<u32>,
}

/// One turn of a root model: a conversation (a system prompt and
/// alternating user and assistant messages, the last one the user's) to
/// which the model adds its reply. It goes through the same pipeline as a
/// sub-call (cache keyed on the whole conversation, size check, budget,
/// retries) and is traced as a `root` event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// The system prompt.
    pub system: String,
    /// The conversation so far; it must end with a user message.
    pub messages: Vec<ChatMessage>,
    /// Model; the configured root model when `None`.
    pub model: Option<String>,
    /// Reply allowance in tokens; the configured one when `None`.
    pub max_tokens: Option<u32>,
    /// Id of the session (or call) this turn belongs to, for the trace.
    pub parent: Option<u64>,
    /// Depth of the session (the top session is 0), for the trace.
    pub depth: u32,
}

/// A successful call.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The call's id (also in the trace).
    pub id: u64,
    /// The reply text.
    pub text: String,
    /// With `json=true`: the parsed value (code fences stripped).
    pub json: Option<Value>,
    /// What the call spent (zero for a cache hit).
    pub usage: CallUsage,
    /// Whether it came from the cache.
    pub cached: bool,
    /// Retries it took.
    pub retries: u32,
    /// Wall time of the whole call, retries and waits included.
    pub latency_ms: u64,
}

/// The sub-call backend; share it with an `Arc`.
#[derive(Debug)]
pub struct SubCalls {
    config: LlmConfig,
    runtime: Option<Arc<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
    http: Arc<Http>,
    cache: Option<Cache>,
    budget: Arc<Budget>,
    trace: Option<Arc<Trace>>,
    totals: Arc<Totals>,
    progress: Progress,
    next_id: Arc<AtomicU64>,
    /// Tokens of the default system prompt for the sub-model, counted on
    /// first use (so a run that never needs it never loads a tokenizer);
    /// shared with the backends [`within`](SubCalls::within) this one.
    default_system_tokens: Arc<std::sync::OnceLock<u64>>,
    /// The last text [`SubCalls::budget_over`] measured (address and
    /// length) and the message size that fits at its density.
    density_fit: std::sync::Mutex<Option<((usize, usize), u64)>>,
    recording: Option<Recording>,
    interrupt: Option<Arc<AtomicBool>>,
}

/// What a call came to, before it becomes a [`Reply`] or a [`CallError`].
struct Outcome {
    text: Option<String>,
    json: Option<Value>,
    usage: CallUsage,
    cached: bool,
    retries: u32,
    error: Option<CallError>,
}

impl Outcome {
    fn failed(error: CallError) -> Outcome {
        Outcome {
            text: None,
            json: None,
            usage: CallUsage::default(),
            cached: false,
            retries: error.retries,
            error: Some(error),
        }
    }

    fn answered(text: String, usage: CallUsage, cached: bool, retries: u32, json: bool) -> Outcome {
        let mut out = Outcome {
            text: None,
            json: None,
            usage,
            cached,
            retries,
            error: None,
        };
        if json {
            match json_reply::parse(&text) {
                Ok(v) => out.json = Some(v),
                Err(excerpt) => {
                    let msg = format!(
                        "the reply is not valid JSON (json=true): {excerpt:?}; ask for JSON only in the prompt, or drop json=true and read the text"
                    );
                    let mut e = CallError::new(CallErrorKind::JsonReply { excerpt }, msg);
                    e.retries = retries;
                    out.error = Some(e);
                }
            }
        }
        out.text = Some(text);
        out
    }
}

impl SubCalls {
    /// Starts the backend: runtime, HTTP client, cache, trace (tokenizers
    /// load on first use).
    pub fn new(config: LlmConfig) -> Result<SubCalls, LlmError> {
        config.validate()?;
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("rlmq-llm")
            .enable_all()
            .build()
            .map_err(|e| LlmError::Setup(format!("cannot start the async runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let http = {
            let _inside = runtime.enter();
            Arc::new(Http::new(&config)?)
        };
        let cache = match config.cache {
            true => Some(Cache::open(&config.cache_dir)?),
            false => None,
        };
        let trace = match &config.trace {
            Some(path) => Some(Arc::new(
                Trace::open(path)?.scrubbing(config.api_key.clone()),
            )),
            None => None,
        };
        Ok(SubCalls {
            budget: Arc::new(Budget::new(config.budget)),
            config,
            runtime: Some(Arc::new(runtime)),
            handle,
            http,
            cache,
            trace,
            totals: Arc::new(Totals::default()),
            progress: Progress::new(),
            next_id: Arc::new(AtomicU64::new(1)),
            default_system_tokens: Arc::default(),
            density_fit: std::sync::Mutex::new(None),
            recording: None,
            interrupt: None,
        })
    }

    /// A backend for another run that shares this one's runtime, HTTP
    /// client (so its concurrency limit towards the provider) and cache, with
    /// its own budget, usage totals, trace and call ids. `config` must name
    /// the same provider and endpoint; its budget, models and trace are the
    /// new run's.
    pub fn fork(&self, config: LlmConfig) -> Result<SubCalls, LlmError> {
        config.validate()?;
        let trace = match &config.trace {
            Some(path) => Some(Arc::new(
                Trace::open(path)?.scrubbing(config.api_key.clone()),
            )),
            None => None,
        };
        let cache = match config.cache {
            true => Some(Cache::open(&config.cache_dir)?),
            false => None,
        };
        Ok(SubCalls {
            budget: Arc::new(Budget::new(config.budget)),
            default_system_tokens: Arc::default(),
            density_fit: std::sync::Mutex::new(None),
            config,
            runtime: self.runtime.clone(),
            handle: self.handle.clone(),
            http: Arc::clone(&self.http),
            cache,
            trace,
            totals: Arc::new(Totals::default()),
            progress: Progress::new(),
            next_id: Arc::new(AtomicU64::new(1)),
            recording: None,
            interrupt: None,
        })
    }

    /// The same backend (runtime, HTTP client, cache, trace and call ids)
    /// for one part of its run, under `limits` of its own: each call is
    /// charged to both budgets and must fit both, its usage counts in both
    /// totals, and it stops when this one is interrupted. It answers from
    /// the network, never from a recording.
    pub fn within(&self, limits: BudgetLimits) -> Result<SubCalls, LlmError> {
        limits.validate().map_err(LlmError::Config)?;
        let cache = match self.config.cache {
            true => Some(Cache::open(&self.config.cache_dir)?),
            false => None,
        };
        Ok(SubCalls {
            config: self.config.clone().with_budget(limits),
            runtime: self.runtime.clone(),
            handle: self.handle.clone(),
            http: Arc::clone(&self.http),
            cache,
            budget: Arc::new(Budget::within(limits, Arc::clone(&self.budget))),
            trace: self.trace.clone(),
            totals: Arc::new(Totals::within(Arc::clone(&self.totals))),
            progress: Progress::new(),
            next_id: Arc::clone(&self.next_id),
            default_system_tokens: Arc::clone(&self.default_system_tokens),
            density_fit: std::sync::Mutex::new(None),
            recording: None,
            interrupt: self.interrupt.clone(),
        })
    }

    /// The same backend answering every call from `recording` instead of
    /// the network (see [`Recording`]).
    pub fn replaying(mut self, recording: Recording) -> SubCalls {
        self.recording = Some(recording);
        self
    }

    /// The same backend, refusing new calls and abandoning those in flight
    /// (each recorded as interrupted) while `flag` is set.
    pub fn interruptible(mut self, flag: Arc<AtomicBool>) -> SubCalls {
        self.interrupt = Some(flag);
        self
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// The recording it answers from, when replaying.
    pub fn recording(&self) -> Option<&Recording> {
        self.recording.as_ref()
    }

    /// A fresh id from the sequence calls use, for other trace nodes
    /// (sessions) that calls nest under.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// Makes one call, blocking until it is answered or fails for good.
    /// Since it holds its thread for the whole exchange, a `map` fanned out
    /// over a pool smaller than `concurrency` has no more requests in flight
    /// than the pool has threads.
    pub fn call(&self, req: &CallRequest) -> Result<Reply, CallError> {
        let started = Instant::now();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let model = match req.model.as_deref() {
            Some(m) if !m.trim().is_empty() => m,
            _ => self.config.sub_model.as_str(),
        };
        let mut system = req.system.as_deref().unwrap_or(DEFAULT_SYSTEM).to_string();
        if req.json {
            system.push_str(JSON_INSTRUCTION);
        }
        let message = req.message();
        let max_tokens = self.config.reply_allowance(model, req.max_tokens);
        let outcome = self.run(id, req, model, &system, message, None, max_tokens);
        self.record(id, req, model, message, None, started, outcome)
    }

    /// Makes one root-model turn, blocking until it is answered or fails
    /// for good: the model's next message in the conversation.
    pub fn chat(&self, req: &ChatRequest) -> Result<Reply, CallError> {
        let started = Instant::now();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let model = match req.model.as_deref() {
            Some(m) if !m.trim().is_empty() => m,
            _ => self.config.root_model.as_str(),
        };
        let (history, message) = match req.messages.split_last() {
            Some((last, history)) if last.role == Role::User => {
                (history, Message::whole(&last.content))
            }
            _ => return Err(CallError::new(
                CallErrorKind::BadReply,
                "a root-model conversation must end with a user message (internal error in rlmq)",
            )),
        };
        // The shared pipeline reads parent, depth and site from a CallRequest.
        let call = CallRequest {
            parent: req.parent,
            depth: req.depth,
            site: "root".into(),
            ..CallRequest::default()
        };
        let max_tokens = self.config.reply_allowance(model, req.max_tokens);
        let outcome = self.run(
            id,
            &call,
            model,
            &req.system,
            message,
            Some(history),
            max_tokens,
        );
        self.record(id, &call, model, message, Some(history), started, outcome)
    }

    /// The pipeline of one call. `history` is `Some` for a root-model turn
    /// (the messages before `message`) and `None` for a sub-call.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        id: u64,
        req: &CallRequest,
        model: &str,
        system: &str,
        message: Message<'_>,
        history: Option<&[ChatMessage]>,
        max_tokens: u64,
    ) -> Outcome {
        let is_root = history.is_some();
        if self.interrupted() {
            return Outcome::failed(interruption("was not sent"));
        }
        // A root turn is cached and hashed under its whole conversation,
        // written only when there is a cache or a recording to ask.
        let conversation =
            LazyCell::new(|| history.map(|h| conversation_key(h, &message.joined())));
        // The cache key hashes the whole message: only with a cache.
        let key = self.cache.as_ref().map(|_| {
            KeyParts {
                provider: self.config.provider.name(),
                base_url: &self.config.base_url,
                model,
                system,
                max_tokens,
                json: req.json,
                message: match &*conversation {
                    None => message,
                    Some(c) => Message::whole(c),
                },
            }
            .key()
        });
        let cached = (self.cache.as_ref())
            .zip(key.as_deref())
            .and_then(|(c, k)| c.get(k));
        if let Some(entry) = cached {
            self.totals.hit(entry.input_tokens);
            let free = CallUsage {
                cost_usd: Some(0.0),
                ..CallUsage::default()
            };
            return Outcome::answered(entry.text, free, true, 0, req.json);
        }

        let info = self.config.model_info(model);
        let limit = input_limit(&info, max_tokens);
        let history = history.unwrap_or_default();
        let mut texts: Vec<&str> = Vec::with_capacity(history.len() + 1);
        texts.push(system);
        texts.extend(history.iter().map(|m| m.content.as_str()));
        let framing = tokens::FRAMING_TOKENS * (history.len() as u64 + 1);
        // A token or USD limit needs the real count to reserve; otherwise
        // only the size check does, and only when the bytes could fail it.
        let exact =
            self.budget.limits().max_tokens.is_some() || self.budget.limits().max_usd.is_some();
        let Some(input) = input_count(model, &texts, message, framing, limit, exact) else {
            let e = match is_root {
                false => self.too_large(model, system, &message.joined(), limit, max_tokens),
                true => {
                    let about = (texts.iter().copied().chain(message.parts()))
                        .map(|t| tokens::estimate(model, t))
                        .sum::<u64>();
                    conversation_too_large(
                        model,
                        texts.len() - 1,
                        about + framing,
                        limit,
                        max_tokens,
                    )
                }
            };
            return Outcome::failed(e);
        };
        let need = input.tokens.saturating_add(max_tokens);
        let reservation = match self
            .budget
            .try_spend(need, info.cost_at_most(input.tokens, max_tokens))
        {
            Ok(r) => r,
            Err(refusal) => return Outcome::failed(CallError::budget(refusal, model)),
        };
        self.totals.sent();

        let request = wire::Request {
            model,
            system,
            history,
            message,
            max_tokens,
            cache: is_root,
        };
        let mut body = BODIES.take(wire::room(&request));
        wire::body(
            self.config.provider,
            &self.config.base_url,
            request,
            &mut body,
        );
        let body = BODIES.share(body);
        // Retries' jitter: from the key, else the call's number.
        let seed = (key.as_deref())
            .and_then(|k| u64::from_str_radix(k.get(..16)?, 16).ok())
            .unwrap_or(id);
        let sent = match &self.recording {
            Some(rec) => {
                let hashed = match is_root {
                    false => sha256_hex(message.parts()),
                    true => sha256_hex(conversation.as_deref()),
                };
                rec.answer(is_root, model, &hashed, req.parent)
            }
            None => self.send(id, model, body, seed, req.deadline),
        };
        match sent {
            Ok(Sent { reply, retries }) => {
                // Our own counts stand in where the provider reports none,
                // and the usage says so.
                let input_tokens = reply.input_tokens.unwrap_or_else(|| match input.counted {
                    true => input.tokens,
                    false => {
                        let all = texts.iter().map(|t| tokens::count(model, t)).sum::<u64>();
                        all + tokens::count(model, &message.joined()) + framing
                    }
                });
                let output_tokens = reply
                    .output_tokens
                    .unwrap_or_else(|| tokens::count(model, &reply.text));
                let (read, write) = (reply.cache_read_tokens, reply.cache_write_tokens);
                let usage = CallUsage {
                    input_tokens,
                    prompt_cache_read_tokens: read,
                    prompt_cache_write_tokens: write,
                    output_tokens,
                    cost_usd: info.cost_cached(input_tokens, read, write, output_tokens),
                    prompt_cache_saved_usd: match (
                        info.cost(input_tokens, output_tokens),
                        info.cost_cached(input_tokens, read, write, output_tokens),
                    ) {
                        (Some(plain), Some(cached)) => plain - cached,
                        _ => 0.0,
                    },
                    estimated: reply.input_tokens.is_none() || reply.output_tokens.is_none(),
                };
                self.budget.settle(
                    reservation,
                    usage.input_tokens + usage.output_tokens,
                    usage.cost_usd,
                );
                self.totals.spent(&usage);
                if reply.truncated && reply.text.trim().is_empty() {
                    let mut e = CallError::new(
                        CallErrorKind::BadReply,
                        format!(
                            "model '{model}' used its whole reply allowance ({max_tokens} tokens) without answering; raise max_tokens (or max_tokens in rlmq.toml)"
                        ),
                    );
                    e.retries = retries;
                    return Outcome {
                        usage,
                        ..Outcome::failed(e)
                    };
                }
                if let Some(key) = key {
                    self.store(id, key, model, &reply.text, &usage);
                }
                Outcome::answered(reply.text, usage, false, retries, req.json)
            }
            Err(Failed {
                kind,
                message,
                retries,
            }) => {
                self.budget.settle(reservation, 0, None);
                let mut e = CallError::new(kind, message);
                e.retries = retries;
                Outcome::failed(e)
            }
        }
    }

    /// Runs the HTTP exchange on the runtime and waits for it here.
    fn send(
        &self,
        id: u64,
        model: &str,
        body: bytes::Bytes,
        seed: u64,
        run_deadline: Option<Instant>,
    ) -> Result<Sent, Failed> {
        let http = Arc::clone(&self.http);
        let trace = self.trace.clone();
        let totals = Arc::clone(&self.totals);
        let model = model.to_string();
        let deadline = match (self.budget.deadline(), run_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let task = self.handle.spawn(async move {
            let on_retry = move |note: &RetryNote| {
                totals.retried();
                if let Some(t) = &trace {
                    t.event(json!({
                        "event": "retry",
                        "id": id,
                        "attempt": note.attempt,
                        "reason": note.reason,
                        "delay_ms": note.delay.as_millis() as u64,
                    }));
                }
            };
            let result = http.send(&model, body, seed, deadline, &on_retry).await;
            let _ = tx.send(result);
        });
        let lost = || Failed {
            kind: CallErrorKind::BadReply,
            message: "the request stopped without an answer (internal error in rlmq)".into(),
            retries: 0,
        };
        if self.interrupt.is_none() {
            return rx.recv().unwrap_or_else(|_| Err(lost()));
        }
        // Interruptible: look at the flag between short waits.
        loop {
            match rx.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok(result) => return result,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Err(lost()),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if self.interrupted() => {
                    task.abort();
                    let e = interruption("was abandoned in flight");
                    return Err(Failed {
                        message: e.message().to_string(),
                        kind: e.kind,
                        retries: 0,
                    });
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// Writes a reply to the cache; a failure is traced, not fatal.
    fn store(&self, id: u64, key: String, model: &str, text: &str, usage: &CallUsage) {
        let Some(cache) = &self.cache else { return };
        let entry = Entry {
            key,
            model: model.to_string(),
            text: text.to_string(),
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
        };
        if let Err(e) = cache.put(&entry) {
            if let Some(t) = &self.trace {
                t.event(json!({"event": "cache_error", "id": id, "error": e.to_string()}));
            }
        }
    }

    /// The refusal of a message too large for `model`, with a size that
    /// fits: measured on this message's own characters per token, so that
    /// it holds for multi-byte text too.
    fn too_large(
        &self,
        model: &str,
        system: &str,
        message: &str,
        limit: u64,
        max_tokens: u64,
    ) -> CallError {
        let chars = message.chars().count() as u64;
        let system_tokens = tokens::count(model, system);
        let tokens = system_tokens + tokens::estimate(model, message) + tokens::FRAMING_TOKENS;
        let avail = limit.saturating_sub(system_tokens + tokens::FRAMING_TOKENS);
        let fit = densest_fit(model, avail, message.as_bytes()).min(self.fit_chars(
            model,
            system_tokens,
            max_tokens,
        ));
        let info = self.config.model_info(model);
        let window = info.window();
        let assumed = if info.context_window.is_none() {
            format!(" (assumed: set context_window under [models.\"{model}\"] in rlmq.toml)")
        } else {
            String::new()
        };
        let advice = if fit == 0 {
            "the system prompt and reply allowance alone fill the window; lower max_tokens or use a larger model".to_string()
        } else {
            format!(
                "cut the text into pieces of at most {fit} characters, e.g. partition(text, size={fit})"
            )
        };
        CallError::new(
            CallErrorKind::PromptTooLarge {
                chars,
                tokens,
                limit,
            },
            format!(
                "llm() message is too large for model '{model}': {chars} characters, about {tokens} tokens with the system prompt, over the limit of {limit} tokens ({window}-token window{assumed}, {max_tokens} kept for the reply); {advice}"
            ),
        )
    }

    /// Characters of message that fit one call to `model`, at the
    /// configured characters per token.
    fn fit_chars(&self, model: &str, system_tokens: u64, max_tokens: u64) -> u64 {
        let limit = input_limit(&self.config.model_info(model), max_tokens);
        let avail = limit.saturating_sub(system_tokens + tokens::FRAMING_TOKENS);
        let margin = if Encoding::is_exact_for(model) {
            1.0
        } else {
            tokens::FOREIGN_MARGIN
        };
        (avail as f64 * self.config.chars_per_token / margin) as u64
    }

    /// Counts, traces and shapes the outcome: a `subcall` event, or a
    /// `root` event for a root-model turn (`history` is `Some`), whose
    /// `prompt_sha256` and `prompt_chars` cover the whole conversation.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        id: u64,
        req: &CallRequest,
        model: &str,
        message: Message<'_>,
        history: Option<&[ChatMessage]>,
        started: Instant,
        outcome: Outcome,
    ) -> Result<Reply, CallError> {
        let latency_ms = started.elapsed().as_millis() as u64;
        if outcome.error.is_some() {
            self.totals.failed();
        }
        if let Some(t) = &self.trace {
            let (prompt, text_head, text_chars) = match history {
                None => (
                    Some(head(&req.prompt, TRACE_PROMPT_CHARS)),
                    req.text.as_deref().map(|x| head(x, TRACE_TEXT_CHARS)),
                    req.text.as_deref().map(|x| x.chars().count()),
                ),
                Some(_) => (None, None, None),
            };
            let (event, hashed, chars) = match history {
                None => ("subcall", None, message.char_count()),
                Some(h) => (
                    "root",
                    Some(conversation_key(h, &message.joined())),
                    h.iter().map(|m| m.content.chars().count()).sum::<usize>()
                        + message.char_count(),
                ),
            };
            t.event(json!({
                "event": event,
                "id": id,
                "parent": req.parent,
                "depth": req.depth,
                "site": req.site,
                "model": model,
                "prompt_sha256": match &hashed {
                    Some(conversation) => sha256_hex([conversation.as_str()]),
                    None => sha256_hex(message.parts()),
                },
                "prompt_chars": chars,
                "prompt": prompt,
                "text_head": text_head,
                "text_chars": text_chars,
                "messages": history.map(|h| h.len() + 1),
                "reply": outcome.text,
                "input_tokens": outcome.usage.input_tokens,
                "prompt_cache_read_tokens": outcome.usage.prompt_cache_read_tokens,
                "prompt_cache_write_tokens": outcome.usage.prompt_cache_write_tokens,
                "prompt_cache_saved_usd": outcome.usage.prompt_cache_saved_usd,
                "output_tokens": outcome.usage.output_tokens,
                "cost_usd": outcome.usage.cost_usd,
                "usage_estimated": outcome.usage.estimated,
                "latency_ms": latency_ms,
                "cached": outcome.cached,
                "retries": outcome.retries,
                "error": outcome.error.as_ref().map(|e| e.message().to_string()),
                "error_kind": outcome.error.as_ref().map(|e| e.kind.name()),
            }));
        }
        self.progress.tick(&self.totals.snapshot());
        match outcome.error {
            Some(mut e) => {
                e.site = req.site.clone();
                e.id = Some(id);
                Err(e)
            }
            None => Ok(Reply {
                id,
                text: outcome.text.unwrap_or_default(),
                json: outcome.json,
                usage: outcome.usage,
                cached: outcome.cached,
                retries: outcome.retries,
                latency_ms,
            }),
        }
    }

    /// Makes many calls at once and returns the results in input order: a
    /// `map` whose function is a single `llm()`. Runs them on scoped threads
    /// (twice the concurrency limit, so token counting overlaps the network
    /// wait); the semaphore still bounds the requests in flight. A `map`
    /// that runs arbitrary code per item should instead call
    /// [`SubCalls::call`] from a thread pool of at least `concurrency`
    /// threads: `call` blocks its thread, so a smaller pool caps the
    /// requests in flight at the pool's size.
    pub fn call_many(&self, reqs: &[CallRequest]) -> Vec<Result<Reply, CallError>> {
        let workers = reqs
            .len()
            .min(self.config.concurrency.saturating_mul(2))
            .max(1);
        let next = AtomicU64::new(0);
        let slots: Vec<std::sync::OnceLock<Result<Reply, CallError>>> =
            reqs.iter().map(|_| std::sync::OnceLock::new()).collect();
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(req) = reqs.get(i) else { break };
                    let _ = slots[i].set(self.call(req));
                });
            }
        });
        slots
            .into_iter()
            .map(|slot| {
                slot.into_inner().unwrap_or_else(|| {
                    Err(CallError::new(
                        CallErrorKind::BadReply,
                        "the call's thread stopped without an answer (internal error in rlmq)",
                    ))
                })
            })
            .collect()
    }

    /// Before a `map`: refuses, sending and spending nothing, when its
    /// calls cannot all be made. Checked, in this order: the calls (sites ×
    /// items) against the call budget and the time left; with
    /// [`MapPlan::sent_whole`], every piece against what one call to the
    /// model takes; with a token or USD limit, the worst case against what
    /// is left: every piece counted as the text of every call, with the
    /// system prompt, framing and the whole reply allowance, at the model's
    /// price (the prompts are not known before the calls are made).
    pub fn reserve_map(&self, plan: &MapPlan<'_>) -> Result<(), CallError> {
        let n = plan.pieces.len() as u64;
        let calls = plan.calls_per_item.saturating_mul(n);
        self.budget.check_ahead(calls).map_err(|r| {
            let msg = format!(
                "llm() refused: {}; use larger pieces so fewer calls are needed (a bigger partition(size=...)), or raise --max-llm-calls",
                r.detail
            );
            CallError::new(CallErrorKind::Budget { limit: r.limit }, msg)
        })?;
        let limits = self.budget.limits();
        let exact = limits.max_tokens.is_some() || limits.max_usd.is_some();
        if !exact && !plan.sent_whole {
            return Ok(());
        }
        let model = plan.model.unwrap_or(&self.config.sub_model);
        let info = self.config.model_info(model);
        let max_tokens = self.config.reply_allowance(model, plan.max_tokens);
        let limit = input_limit(&info, max_tokens);
        // Tokens are counted only where the figure can matter: a piece
        // whose bytes fit with the system prompt's bytes needs no count
        // unless a token or USD limit asks for it.
        let bound = tokens::upper_bound(model, DEFAULT_SYSTEM.len()) + tokens::FRAMING_TOKENS;
        let base = std::sync::OnceLock::new();
        let base =
            || *base.get_or_init(|| tokens::count(model, DEFAULT_SYSTEM) + tokens::FRAMING_TOKENS);
        // Each piece: its tokens (`None`: too large for one call), counted
        // in parallel.
        let counts: Vec<Option<u64>> = plan
            .pieces
            .par_iter()
            .map(|p| {
                if !exact && tokens::upper_bound(model, p.len()) + bound <= limit {
                    return Some(0);
                }
                let p = match simdutf8::basic::from_utf8(p) {
                    Ok(p) => std::borrow::Cow::Borrowed(p),
                    Err(_) => String::from_utf8_lossy(p),
                };
                match (exact, plan.sent_whole) {
                    (true, false) => Some(tokens::count(model, &p)),
                    _ => tokens::count_within_kept(model, &p, limit.saturating_sub(base())),
                }
            })
            .collect();
        if let Some(i) = counts.iter().position(Option::is_none) {
            let piece = String::from_utf8_lossy(plan.pieces[i]);
            let e = self.too_large(model, DEFAULT_SYSTEM, &piece, limit, max_tokens);
            return Err(CallError::new(
                e.kind.clone(),
                format!("piece {} of {n} (nothing was sent): {}", i + 1, e.message()),
            ));
        }
        if !exact {
            return Ok(());
        }
        let per_call: u64 = counts.iter().flatten().map(|c| c + base()).sum();
        let input = per_call.saturating_mul(plan.calls_per_item);
        let reply = calls.saturating_mul(max_tokens);
        let why = format!(
            "{calls} calls: {input} input tokens counted over {n} pieces and {reply} for the replies, {max_tokens} each"
        );
        self.budget
            .check_spend_ahead(input.saturating_add(reply), info.cost_at_most(input, reply), &why)
            .map_err(|r| {
                let msg = format!(
                    "llm() refused before the map's first call: {}; use fewer or smaller pieces, a lower max_tokens, or raise {}",
                    r.detail,
                    match r.limit {
                        super::budget::BudgetLimit::Usd => "--max-usd",
                        _ => "--max-tokens",
                    }
                );
                CallError::new(CallErrorKind::Budget { limit: r.limit }, msg)
            })
    }

    /// How full a root-model conversation is: its tokens (system prompt
    /// and messages, counted as a call counts them) and the most input
    /// `model` takes with a reply allowance of `max_tokens`.
    pub fn conversation_tokens(
        &self,
        model: &str,
        system: &str,
        messages: &[ChatMessage],
        max_tokens: Option<u32>,
    ) -> (u64, u64) {
        let used = messages
            .iter()
            .map(|m| tokens::count(model, &m.content) + tokens::FRAMING_TOKENS)
            .sum::<u64>()
            + tokens::count(model, system);
        let allowance = self.config.reply_allowance(model, max_tokens);
        (used, input_limit(&self.config.model_info(model), allowance))
    }

    /// The budget as a program at `depth` sees it.
    pub fn budget(&self, depth: u32) -> BudgetView {
        let model = &self.config.sub_model;
        let reply = self.config.reply_allowance(model, None);
        let system = *self
            .default_system_tokens
            .get_or_init(|| tokens::count(model, DEFAULT_SYSTEM));
        let fit = self.fit_chars(model, system, reply);
        self.budget.view(depth, fit, reply)
    }

    /// The budget as a program at `depth` over `text` sees it: as
    /// [`SubCalls::budget`], with `sub_input_chars` lowered to what fits at
    /// the density (characters per token) of the densest of a few samples
    /// of `text`, so that pieces of multi-byte text that size fit too.
    pub fn budget_over(&self, depth: u32, text: &[u8]) -> BudgetView {
        let mut view = self.budget(depth);
        let key = (text.as_ptr() as usize, text.len());
        let mut memo = super::lock(&self.density_fit);
        let fit = match *memo {
            Some((k, fit)) if k == key => fit,
            _ => {
                let model = &self.config.sub_model;
                let system = *self
                    .default_system_tokens
                    .get_or_init(|| tokens::count(model, DEFAULT_SYSTEM));
                let limit = input_limit(&self.config.model_info(model), view.sub_output_tokens);
                let avail = limit.saturating_sub(system + tokens::FRAMING_TOKENS);
                let fit = densest_fit(model, avail, text);
                *memo = Some((key, fit));
                fit
            }
        };
        view.sub_input_chars = view.sub_input_chars.min(fit);
        view
    }

    /// What the run spent so far.
    pub fn totals(&self) -> Usage {
        self.totals.snapshot()
    }

    /// The trace, for the interpreter's own events.
    pub fn trace(&self) -> Option<&Trace> {
        self.trace.as_deref()
    }

    /// Announces a batch of up to `total` calls for the progress bar.
    pub fn progress_start(&self, total: u64) -> ProgressGuard<'_> {
        self.progress.start(total)
    }
}

impl Drop for SubCalls {
    fn drop(&mut self) {
        // Dropping a runtime normally waits for its tasks and panics inside
        // another runtime; nothing of ours is left to wait for. The last
        // backend sharing it shuts it down.
        if let Some(rt) = self.runtime.take().and_then(|rt| Arc::try_unwrap(rt).ok()) {
            rt.shutdown_background();
        }
    }
}

/// The error of a call stopped by an interrupt; `what` says how far it got.
fn interruption(what: &str) -> CallError {
    CallError::new(
        CallErrorKind::Interrupted,
        format!("interrupted (Ctrl-C): the call {what}"),
    )
}

/// Characters of a sub-call's prompt kept in its trace event.
const TRACE_PROMPT_CHARS: usize = 4000;
/// Characters of the start of a sub-call's text kept in its trace event.
const TRACE_TEXT_CHARS: usize = 500;

/// The first `n` characters of `s`.
fn head(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// SHA-256, in hex, of `parts` joined.
fn sha256_hex<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The text a conversation is cached and hashed under: every message with
/// its role, as JSON, so that no two conversations share it.
fn conversation_key(history: &[ChatMessage], last: &str) -> String {
    let mut all: Vec<serde_json::Value> =
        history.iter().map(|m| json!([m.role, m.content])).collect();
    all.push(json!([Role::User, last]));
    serde_json::Value::Array(all).to_string()
}

fn conversation_too_large(
    model: &str,
    messages: usize,
    tokens: u64,
    limit: u64,
    max_tokens: u64,
) -> CallError {
    CallError::new(
        CallErrorKind::PromptTooLarge {
            chars: 0,
            tokens,
            limit,
        },
        format!(
            "the conversation with root model '{model}' no longer fits its window: {messages} messages, about {tokens} tokens, over the limit of {limit} ({max_tokens} kept for the reply); use a model with a larger window, or lower --max-output-chars so turns are shorter"
        ),
    )
}

/// The input tokens of a call, as far as they were needed.
#[derive(Debug, Clone, Copy)]
struct InputCount {
    tokens: u64,
    /// Whether `tokens` is a count; otherwise it is the byte bound.
    counted: bool,
}

/// The input tokens of `texts` (system prompt, history), then `message`,
/// plus `framing`, or `None` when they pass `limit`. Without `exact`, texts
/// whose bytes fit are not counted: their byte bound stands in, and the
/// message is never joined. The message's text may have been counted
/// already (see [`tokens::count_within_after`]).
fn input_count(
    model: &str,
    texts: &[&str],
    message: Message<'_>,
    framing: u64,
    limit: u64,
    exact: bool,
) -> Option<InputCount> {
    let bound = (texts.iter().map(|t| t.len()).chain([message.len()]))
        .map(|len| tokens::upper_bound(model, len))
        .fold(framing, u64::saturating_add);
    if bound <= limit && !exact {
        return Some(InputCount {
            tokens: bound,
            counted: false,
        });
    }
    let mut total = framing;
    for t in texts {
        total += tokens::count_within(model, t, limit.checked_sub(total)?)?;
    }
    let left = limit.checked_sub(total)?;
    let whole = message.joined();
    total += match message.text_start() {
        Some(at) => tokens::count_within_after(model, &whole, at, left)?,
        None => tokens::count_within(model, &whole, left)?,
    };
    Some(InputCount {
        tokens: total,
        counted: true,
    })
}

/// Characters that fit `avail` tokens at the density (characters per
/// token) of the densest of [`samples`] of `text`, less a tenth for pieces
/// denser still.
fn densest_fit(model: &str, avail: u64, text: &[u8]) -> u64 {
    samples(text)
        .map(|s| {
            let s = String::from_utf8_lossy(s);
            match tokens::count(model, &s) {
                0 => u64::MAX,
                n => (avail as f64 * s.chars().count() as f64 / n as f64 * 0.9) as u64,
            }
        })
        .min()
        .unwrap_or(u64::MAX)
}

/// Bytes of each sample [`samples`] takes.
const SAMPLE_BYTES: usize = 64 << 10;

/// Up to eight samples of [`SAMPLE_BYTES`], spread evenly over `text`.
fn samples(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let n = 8.min(text.len().div_ceil(SAMPLE_BYTES));
    let step = text.len().saturating_sub(SAMPLE_BYTES) / n.saturating_sub(1).max(1);
    (0..n).map(move |i| {
        let start = i * step;
        &text[start..(start + SAMPLE_BYTES).min(text.len())]
    })
}

/// Tokens the system prompt and message may take: the window minus the
/// reply allowance, and never more than the model's input limit.
fn input_limit(info: &ModelInfo, max_tokens: u64) -> u64 {
    let by_window = info.window().saturating_sub(max_tokens);
    match info.max_input {
        Some(m) => by_window.min(m),
        None => by_window,
    }
}
