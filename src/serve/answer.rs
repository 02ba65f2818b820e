//! One request answered: its own backend (forked from the server's, so all
//! requests share one concurrency limit towards the provider, while each
//! has its own budget, usage and trace), then either a completion passed
//! straight to the root model or a whole session over the server's context
//! and the request's documents.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use super::api::{ApiError, ChatRequest};
use super::meaning::{self, Meaning};
use crate::context::Context;
use crate::llm::{BudgetLimits, CallError, CallErrorKind, LlmConfig, SubCalls, Usage};
use crate::session::{Options, Session, Status};

/// What the server was started with, shared by every request.
pub struct Server {
    /// The backend requests fork theirs from.
    pub base: Arc<SubCalls>,
    /// The server's configuration; its budget is each request's ceiling.
    pub config: LlmConfig,
    /// The `--context` documents, loaded once.
    pub context: Option<Arc<Context>>,
    /// Settings of the root loop.
    pub options: Options,
    /// Where each request's trace goes, as `<trace id>.jsonl`.
    pub trace_dir: Option<PathBuf>,
    /// Requests of at most this many characters, with no server context,
    /// go straight to the root model.
    pub passthrough_chars: usize,
    /// Parts of a message longer than this become documents (and a last
    /// paragraph at most this long can be the question).
    pub document_chars: usize,
    seq: AtomicU64,
}

/// A request ready to run.
pub struct Job {
    /// The trace id (also the response's id).
    pub id: String,
    /// The model name as answered (`rlm:<root model>`).
    pub model: String,
    /// The request's own backend.
    pub calls: Arc<SubCalls>,
    meaning: Meaning,
    context: Option<Arc<Context>>,
    passthrough: bool,
    options: Options,
    max_tokens: Option<u32>,
}

/// What a request came to.
#[derive(Debug, Clone)]
pub struct Done {
    /// The answer.
    pub text: String,
    /// `stop`, or `length` when a session ended without `final` and the
    /// answer is the best found in its variables.
    pub finish_reason: &'static str,
    /// The whole call tree's spend.
    pub usage: Usage,
    /// `passthrough` or `session`.
    pub mode: &'static str,
    /// The session's end (`final`, `max_iterations`, ...), or `completed`.
    pub status: &'static str,
    /// Root-model turns.
    pub turns: u32,
    /// Wall time in milliseconds (of the session alone, for a session).
    pub elapsed_ms: f64,
}

/// Milliseconds, to the microsecond.
fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn narrow<T: PartialOrd + Copy>(server: Option<T>, asked: Option<T>) -> Option<T> {
    match (server, asked) {
        (Some(s), Some(a)) => Some(if a < s { a } else { s }),
        (s, a) => s.or(a),
    }
}

impl Server {
    /// A server over `base` with these settings.
    pub fn new(base: Arc<SubCalls>, context: Option<Arc<Context>>, options: Options) -> Server {
        Server {
            config: base.config().clone(),
            base,
            context,
            options,
            trace_dir: None,
            passthrough_chars: 20_000,
            document_chars: 4_000,
            seq: AtomicU64::new(0),
        }
    }

    /// The root model a request's `model` names: `rlm:<model>`, a bare
    /// model, or `rlm` (or nothing) for the configured one.
    pub fn root_model(&self, name: &str) -> String {
        let bare = name.trim().strip_prefix("rlm:").unwrap_or(name.trim());
        match bare {
            "" | "rlm" => self.config.root_model.clone(),
            m => m.to_string(),
        }
    }

    fn trace_id(&self) -> String {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut h = Sha256::new();
        h.update(now.to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        h.update(seq.to_le_bytes());
        format!("rlmq-{}", &hex::encode(h.finalize())[..20])
    }

    /// Reads and checks a request and gives it its backend.
    pub fn prepare(&self, req: &ChatRequest) -> Result<Job, ApiError> {
        if req.n.is_some_and(|n| n != 1) {
            return Err(ApiError::bad_request(
                "unsupported_n",
                "n must be 1: rlmq serve gives one answer per request",
            ));
        }
        let mut meaning = meaning::read(&req.messages, self.document_chars, self.document_chars)?;
        let passthrough = self.context.is_none() && meaning.chars <= self.passthrough_chars;
        if !passthrough && self.context.is_none() && meaning.documents.is_empty() {
            // A session needs a context: the last message is it.
            meaning = meaning::read(&req.messages, 0, self.document_chars)?;
        }
        let root = self.root_model(&req.model);
        let asked = req.rlmq.as_ref();
        let field = |f: fn(&super::api::Limits) -> Option<u64>| asked.and_then(f);
        let b = &self.config.budget;
        let budget = BudgetLimits {
            max_calls: narrow(b.max_calls, field(|l| l.max_llm_calls)),
            max_tokens: narrow(b.max_tokens, field(|l| l.max_tokens)),
            max_usd: narrow(b.max_usd, asked.and_then(|l| l.max_usd)),
            max_seconds: narrow(b.max_seconds, asked.and_then(|l| l.max_seconds)),
            max_depth: narrow(Some(b.max_depth), asked.and_then(|l| l.max_depth))
                .unwrap_or(b.max_depth),
        };
        let id = self.trace_id();
        let mut config = self.config.clone();
        config.budget = budget;
        config.root_model = root.clone();
        config.trace = self
            .trace_dir
            .as_ref()
            .map(|d| d.join(format!("{id}.jsonl")));
        let calls = self.base.fork(config).map_err(|e| {
            ApiError::bad_request("invalid_limits", format!("the request's rlmq limits: {e}"))
        })?;
        let mut options = self.options.clone();
        options.root_model = Some(root.clone());
        if let Some(n) = asked.and_then(|l| l.max_iterations) {
            options.max_iterations = options.max_iterations.min(n.max(1));
        }
        let max_tokens = req.max_completion_tokens.or(req.max_tokens);
        if max_tokens.is_some() {
            options.root_max_tokens = max_tokens;
        }
        Ok(Job {
            id,
            model: format!("rlm:{root}"),
            calls: Arc::new(calls),
            passthrough,
            context: self.context.clone(),
            meaning,
            options,
            max_tokens,
        })
    }
}

impl Job {
    /// One line saying how the request will be answered.
    pub fn plan(&self) -> String {
        let root = self.options.root_model.as_deref().unwrap_or("");
        if self.passthrough {
            return format!("rlmq: passing the request to {root}\n");
        }
        let (docs, bytes) = self.meaning.documents.iter().fold(
            self.context
                .as_ref()
                .map_or((0, 0), |c| (c.docs.len(), c.source.len())),
            |(n, b), d| (n + 1, b + d.1.len()),
        );
        format!(
            "rlmq: a session with root model {root} over {} document{} ({} bytes)\n",
            crate::trajectory::group(docs as u64),
            if docs == 1 { "" } else { "s" },
            crate::trajectory::group(bytes as u64)
        )
    }

    /// Runs the request to its end (blocking).
    pub fn run(self) -> Result<Done, ApiError> {
        let started = Instant::now();
        if self.passthrough {
            let reply = self
                .calls
                .chat(&crate::llm::ChatRequest {
                    system: self.meaning.system.clone(),
                    messages: self.meaning.conversation.clone(),
                    model: self.options.root_model.clone(),
                    max_tokens: self.max_tokens,
                    parent: None,
                    depth: 0,
                })
                .map_err(call_error)?;
            return Ok(Done {
                text: reply.text,
                finish_reason: "stop",
                usage: self.calls.totals(),
                mode: "passthrough",
                status: "completed",
                turns: 1,
                elapsed_ms: ms(started.elapsed()),
            });
        }
        let mut options = self.options;
        if let (Some(trace), false) = (
            &self.calls.config().trace,
            self.meaning.documents.is_empty(),
        ) {
            // The request's documents go beside its trace, so that `rlmq
            // replay` finds the whole context at the recorded paths.
            let path = trace.with_extension("context.jsonl");
            write_documents(&path, &self.meaning.documents).map_err(|e| ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: format!(
                    "cannot write the request's documents beside its trace ({}): {e}",
                    path.display()
                ),
                kind: "server_error",
                code: "trace_error",
            })?;
            options.context_paths.push(path.display().to_string());
        }
        let context = match (self.context, self.meaning.documents.is_empty()) {
            (Some(c), true) => c,
            (Some(c), false) => Arc::new(c.with_documents(self.meaning.documents)),
            (None, _) => Arc::new(Context::from_documents(self.meaning.documents)),
        };
        let answer = Session::new(context)
            .calls(Arc::clone(&self.calls))
            .options(options)
            .ask(&self.meaning.question)
            .map_err(|e| ApiError {
                status: StatusCode::BAD_GATEWAY,
                message: e.to_string(),
                kind: "rlm_error",
                code: "session_failed",
            })?;
        if !answer.is_final() && answer.source.is_none() {
            let budget = answer.reason.contains("refused") || answer.status != Status::Stopped;
            return Err(ApiError {
                status: if budget {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::BAD_GATEWAY
                },
                message: format!("no answer: {}", answer.reason),
                kind: "rlm_error",
                code: if budget {
                    "limit_exceeded"
                } else {
                    "upstream_error"
                },
            });
        }
        Ok(Done {
            finish_reason: if answer.is_final() { "stop" } else { "length" },
            text: answer.text,
            usage: answer.usage,
            mode: "session",
            status: answer.status.name(),
            turns: answer.turns,
            elapsed_ms: ms(answer.elapsed),
        })
    }
}

/// Writes documents as JSON lines (`{"id", "text"}`), as `--context`
/// reads them back.
fn write_documents(path: &std::path::Path, docs: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let mut out = String::new();
    for (name, text) in docs {
        let line = serde_json::json!({"id": name, "text": String::from_utf8_lossy(text)});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    std::fs::write(path, out)
}

/// A passed-through completion's failure, as the client should see it.
fn call_error(e: CallError) -> ApiError {
    let (status, kind, code) = match &e.kind {
        CallErrorKind::Budget { .. } => (StatusCode::BAD_REQUEST, "rlm_error", "limit_exceeded"),
        CallErrorKind::PromptTooLarge { .. } => (
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "context_length_exceeded",
        ),
        CallErrorKind::UnknownModel => (
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "model_not_found",
        ),
        CallErrorKind::Timeout => (StatusCode::GATEWAY_TIMEOUT, "upstream_error", "timeout"),
        _ => (StatusCode::BAD_GATEWAY, "upstream_error", "upstream_error"),
    };
    ApiError {
        status,
        message: e.message().to_string(),
        kind,
        code,
    }
}
