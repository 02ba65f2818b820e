//! The OpenAI wire format as `rlmq serve` reads and writes it: the chat
//! completion request (unknown fields refused), the response and stream
//! chunk bodies, `usage`, and the error object.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::llm::Usage;

/// `POST /v1/chat/completions`. Sampling fields are accepted and not
/// forwarded; any other unknown field is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// `rlm:<model>` (or a bare model name): the root model.
    pub model: String,
    /// The conversation; the last message must be the user's.
    pub messages: Vec<Message>,
    /// Answer as server-sent events.
    #[serde(default)]
    pub stream: bool,
    /// `{"include_usage": true}` adds a last chunk with `usage`.
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    /// Reply allowance of a passed-through completion (and of each root
    /// turn of a session), in tokens.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// The newer name of `max_tokens`.
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    /// Must be 1 when given.
    #[serde(default)]
    pub n: Option<u32>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub stop: Option<Value>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub presence_penalty: Option<f64>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub frequency_penalty: Option<f64>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub seed: Option<i64>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub user: Option<String>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub store: Option<bool>,
    /// Accepted, not forwarded.
    #[serde(default)]
    pub reasoning_effort: Option<String>,
    /// rlmq's own settings of this request (narrowing the server's).
    #[serde(default)]
    pub rlmq: Option<Limits>,
}

/// `stream_options`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamOptions {
    /// Send a last chunk with the usage.
    #[serde(default)]
    pub include_usage: bool,
}

/// One message of the conversation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    pub role: String,
    /// A string, or a list of `{"type": "text", "text": ...}` parts.
    #[serde(default)]
    pub content: Value,
    /// Accepted, not used.
    #[serde(default)]
    pub name: Option<String>,
    /// Accepted on `tool` messages, not used.
    #[serde(default)]
    pub tool_call_id: Option<String>,
}

/// Limits a request asks for; each can only lower the server's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Most model calls (root turns and sub-calls).
    pub max_llm_calls: Option<u64>,
    /// Most tokens, input and output.
    pub max_tokens: Option<u64>,
    /// Most USD.
    pub max_usd: Option<f64>,
    /// Most seconds of model time.
    pub max_seconds: Option<f64>,
    /// Deepest `rlm()` recursion.
    pub max_depth: Option<u32>,
    /// Most root-model turns.
    pub max_iterations: Option<u32>,
}

/// An error as OpenAI clients expect it: an HTTP status and
/// `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// One line saying what went wrong and what to do.
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `rlm_error`, ...
    pub kind: &'static str,
    /// A stable code (`limit_exceeded`, `model_not_found`, ...).
    pub code: &'static str,
}

impl ApiError {
    /// A 400 `invalid_request_error`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            code,
        }
    }

    /// The `{"error": ...}` body.
    pub fn body(&self) -> Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": null,
            "code": self.code,
        }})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// `usage` in the OpenAI shape, for the whole call tree: prompt tokens
/// include those of replies served from rlmq's cache, counted again under
/// `prompt_tokens_details.cached_tokens`.
pub fn usage(u: &Usage) -> Value {
    let prompt = u.input_tokens + u.cached_input_tokens;
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": u.output_tokens,
        "total_tokens": prompt + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_input_tokens},
    })
}

/// The `choices[0]` of a whole response.
pub fn choice(text: &str, finish_reason: &str) -> Value {
    json!({
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": finish_reason,
    })
}

/// One `chat.completion.chunk` with this `delta` (and finish reason).
pub fn chunk(id: &str, created: u64, model: &str, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })
}
