//! Sub-model calls: everything behind `llm(prompt, text)`.
//!
//! [`SubCalls`] is the entry point: built once from an [`LlmConfig`],
//! shared by every thread and every level of the call tree, it turns a
//! [`CallRequest`] into a [`Reply`] or a one-line [`CallError`]. Around the
//! HTTP exchange it keeps the hard [`Budget`], the on-disk [`cache`], the
//! [`trace`], token counts ([`tokens`]) and running [`Usage`]. The
//! [`mock`] server speaks both wire protocols from scripted rules, so tests
//! and demos exercise the real client over real HTTP on 127.0.0.1.
//!
//! Modules, one concern each:
//! - [`config`]: settings and where they come from (env, `rlmq.toml`);
//! - [`models`]: known prices, windows and tokenizers;
//! - [`tokens`]: counting before sending;
//! - [`counter`]: the byte-pair counter under it;
//! - [`ascii_pretoken`]: its pre-tokenizer's fast path for ASCII text;
//! - [`known_counts`]: counts kept from a `map`'s pre-check for its calls;
//! - [`budget`]: shared limits, checked before every call;
//! - [`usage`]: per-call and total spend;
//! - [`wire`]: OpenAI-compatible and Anthropic request/reply shapes;
//! - [`message`]: a call's user message, held in its parts;
//! - [`json_str`]: the strings of request bodies, escaped fast;
//! - [`body_pool`]: request-body buffers used again;
//! - [`http`]: concurrency limit, timeouts, retries with backoff;
//! - [`cache`]: crash-safe reply files;
//! - [`trace`]: JSON-lines audit trail;
//! - [`progress`]: the stderr progress bar;
//! - [`json_reply`]: reading `json=true` replies;
//! - [`recording`]: replies read back from a trace, for replays;
//! - [`error`]: setup and call errors;
//! - [`subcalls`]: the pipeline that ties them together;
//! - [`mock`]: the scripted test server.

pub mod ascii_pretoken;
pub mod body_pool;
pub mod budget;
pub mod cache;
pub mod config;
pub mod counter;
pub mod error;
pub mod http;
pub mod json_reply;
pub mod json_str;
pub mod known_counts;
pub mod message;
pub mod mock;
pub mod models;
pub mod progress;
pub mod recording;
pub mod subcalls;
pub mod tokens;
pub mod trace;
pub mod usage;
pub mod wire;

pub use budget::{Budget, BudgetLimit, BudgetLimits, BudgetView};
pub use config::{ApiKey, LlmConfig, Provider};
pub use error::{CallError, CallErrorKind, LlmError};
pub use message::Message;
pub use models::ModelInfo;
pub use progress::ProgressGuard;
pub use recording::Recording;
pub use subcalls::{CallRequest, ChatRequest, MapPlan, Reply, SubCalls};
pub use trace::Trace;
pub use usage::{CallUsage, Usage};
pub use wire::{ChatMessage, Role};

/// Locks `m`, going on with the data if a thread panicked while holding it
/// (every lock here guards data that stays consistent between statements).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The default system prompt of a sub-call (`prompts/sub.md`).
pub const DEFAULT_SYSTEM: &str = include_str!("../../prompts/sub.md");

/// Appended to the system prompt of a `json=true` call.
pub const JSON_INSTRUCTION: &str =
    "\n\nReply with one JSON value only: no prose before or after it, no code fences.";
