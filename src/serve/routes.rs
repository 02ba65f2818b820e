//! The HTTP side of `rlmq serve`: routes, the optional bearer key, the body
//! limit, JSON in and out, and streaming as server-sent events.
//!
//! A session blocks a thread for its whole run, so each request's job runs
//! on tokio's blocking pool. A streamed request sends progress as
//! `delta.reasoning_content` (which clients reading only `content` skip):
//! first how it will be answered, then a line whenever its calls or tokens
//! grow; then the answer, the finish chunk, the usage chunk when asked for,
//! and `[DONE]`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::answer::{Done, Job, Server};
use super::api::{self, ApiError, ChatRequest};
use crate::trajectory::group;

/// The header that carries a response's trace id.
pub const TRACE_HEADER: &str = "x-rlmq-trace-id";

/// How often a streamed request looks for progress to report.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Everything the handlers share.
pub struct App {
    /// The engine side.
    pub server: Server,
    /// SHA-256 of the bearer key requests must carry, when one is set.
    pub key_hash: Option<[u8; 32]>,
    /// Largest request body read, in bytes.
    pub max_body_bytes: usize,
}

/// The routes over `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .fallback(not_found)
        .with_state(app)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Checks the bearer key (comparing hashes, so the time taken says nothing
/// about the key).
fn authorize(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(want) = &app.key_hash else {
        return Ok(());
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|k| <[u8; 32]>::from(Sha256::digest(k.trim().as_bytes())));
    if given.as_ref() == Some(want) {
        return Ok(());
    }
    Err(ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: "missing or wrong API key: send the server's key as `Authorization: Bearer <key>`"
            .into(),
        kind: "invalid_request_error",
        code: "invalid_api_key",
    })
}

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message:
            "no such endpoint: rlmq serve answers POST /v1/chat/completions and GET /v1/models"
                .into(),
        kind: "invalid_request_error",
        code: "unknown_url",
    }
}

async fn models(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(e) = authorize(&app, &headers) {
        return e.into_response();
    }
    let config = &app.server.config;
    let mut names = vec![config.root_model.clone()];
    if config.sub_model != config.root_model {
        names.push(config.sub_model.clone());
    }
    let data: Vec<Value> = names
        .iter()
        .map(|m| json!({"id": format!("rlm:{m}"), "object": "model", "created": 0, "owned_by": "rlmq"}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

async fn chat(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    if let Err(e) = authorize(&app, &headers) {
        return e.into_response();
    }
    let bytes = match axum::body::to_bytes(body, app.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::bad_request(
                "request_too_large",
                format!(
                    "the request body is over {} bytes (--max-body-bytes), or could not be read",
                    group(app.max_body_bytes as u64)
                ),
            )
            .into_response()
        }
    };
    let req: ChatRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return ApiError::bad_request(
                "invalid_json",
                format!("the request body is not a valid chat completion request: {e}"),
            )
            .into_response()
        }
    };
    let job = match app.server.prepare(&req) {
        Ok(j) => j,
        Err(e) => return e.into_response(),
    };
    let id = job.id.clone();
    let mut response = if req.stream {
        let usage = req.stream_options.is_some_and(|o| o.include_usage);
        stream(job, usage).into_response()
    } else {
        whole(job).await
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(TRACE_HEADER, v);
    }
    response
}

/// The `rlmq` field of a response: how it was answered.
fn about(id: &str, done: &Done) -> Value {
    json!({
        "trace_id": id,
        "mode": done.mode,
        "status": done.status,
        "turns": done.turns,
        "calls": done.usage.calls,
        "cache_hits": done.usage.cache_hits,
        "cost_usd": done.usage.cost_usd,
        "elapsed_ms": done.elapsed_ms,
    })
}

async fn run(job: Job) -> Result<Done, ApiError> {
    tokio::task::spawn_blocking(move || job.run())
        .await
        .unwrap_or_else(|_| {
            Err(ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "internal error in rlmq while answering; the server goes on".into(),
                kind: "server_error",
                code: "internal_error",
            })
        })
}

async fn whole(job: Job) -> Response {
    let (id, model) = (job.id.clone(), job.model.clone());
    match run(job).await {
        Ok(done) => Json(json!({
            "id": id,
            "object": "chat.completion",
            "created": now(),
            "model": model,
            "choices": [api::choice(&done.text, done.finish_reason)],
            "usage": api::usage(&done.usage),
            "rlmq": about(&id, &done),
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

fn event(v: &Value) -> Result<Event, Infallible> {
    Ok(Event::default().data(v.to_string()))
}

fn stream(job: Job, include_usage: bool) -> impl IntoResponse {
    let (tx, rx) = mpsc::channel::<Result<Event, Infallible>>(16);
    let (id, model, calls) = (job.id.clone(), job.model.clone(), Arc::clone(&job.calls));
    let created = now();
    let plan = job.plan();
    tokio::spawn(async move {
        let chunk =
            |delta: Value, finish: Option<&str>| api::chunk(&id, created, &model, delta, finish);
        let _ = tx
            .send(event(&chunk(
                json!({"role": "assistant", "content": ""}),
                None,
            )))
            .await;
        let _ = tx
            .send(event(&chunk(json!({"reasoning_content": plan}), None)))
            .await;
        let mut task = tokio::spawn(run(job));
        let mut seen = (0, 0);
        let result = loop {
            tokio::select! {
                r = &mut task => break r.unwrap_or_else(|_| Err(ApiError::bad_request("internal_error", "internal error in rlmq"))),
                _ = tokio::time::sleep(PROGRESS_EVERY) => {
                    let u = calls.totals();
                    let now = (u.calls + u.cache_hits, u.input_tokens + u.output_tokens);
                    if now != seen {
                        seen = now;
                        let note = format!("rlmq: {} model calls, {} tokens so far\n", group(now.0), group(now.1));
                        let _ = tx.send(event(&chunk(json!({"reasoning_content": note}), None))).await;
                    }
                }
            }
        };
        match result {
            Ok(done) => {
                let _ = tx
                    .send(event(&chunk(json!({"content": done.text}), None)))
                    .await;
                let mut last = chunk(json!({}), Some(done.finish_reason));
                last["rlmq"] = about(&id, &done);
                let _ = tx.send(event(&last)).await;
                if include_usage {
                    let mut u = chunk(json!({}), None);
                    u["choices"] = json!([]);
                    u["usage"] = api::usage(&done.usage);
                    let _ = tx.send(event(&u)).await;
                }
            }
            Err(e) => {
                let _ = tx.send(event(&e.body())).await;
            }
        }
        let _ = tx.send(Ok(Event::default().data("[DONE]"))).await;
    });
    let events =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
    Sse::new(events)
}
