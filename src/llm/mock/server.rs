//! The mock server's request handling: both protocols, key and model
//! checks, fault injection, rule answers, and the request log.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use regex::Regex;
use serde::Serialize;
use serde_json::{json, Value};

use super::prompt_cache::{PromptCache, Split};
use sha2::{Digest, Sha256};

use super::rules::{Fault, MockRules, ReplySpec, Rule};
use crate::llm::lock;

/// Which protocol a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// `/v1/chat/completions` (or `/chat/completions`).
    OpenAi,
    /// `/v1/messages`.
    Anthropic,
}

/// One request as the server saw it, and what it did with it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// Arrival order, from 0.
    pub seq: u64,
    /// The protocol.
    pub protocol: Protocol,
    /// Headers, with the values of `authorization` and `x-api-key` masked.
    pub headers: BTreeMap<String, String>,
    /// The body (`null` when it was not JSON).
    pub body: Value,
    /// The requested model.
    pub model: Option<String>,
    /// The system prompt.
    pub system: Option<String>,
    /// The last user message.
    pub last_user: Option<String>,
    /// The status answered (200 for the `malformed` and `drop` faults).
    pub status: u16,
    /// The rule that answered, if one did.
    pub rule: Option<String>,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
}

pub(crate) struct State {
    rules: MockRules,
    regexes: Vec<Option<Regex>>,
    queues: Vec<Mutex<VecDeque<String>>>,
    pub(crate) count: AtomicU64,
    in_flight: AtomicU64,
    pub(crate) max_in_flight: AtomicU64,
    attempts: Mutex<HashMap<[u8; 32], u32>>,
    faulted: Mutex<HashMap<[u8; 32], u32>>,
    pub(crate) log: Mutex<Vec<RecordedRequest>>,
    prompt_cache: PromptCache,
}

impl State {
    pub(crate) fn new(rules: MockRules) -> Result<State, String> {
        let regexes = rules
            .rules
            .iter()
            .map(|r| match &r.when {
                Some(w) => Regex::new(w)
                    .map(Some)
                    .map_err(|e| format!("rule {:?}: bad regex: {e}", r.name)),
                None => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let queues = rules
            .rules
            .iter()
            .map(|r| match &r.reply {
                ReplySpec::Queue(q) => Mutex::new(q.iter().cloned().collect()),
                _ => Mutex::new(VecDeque::new()),
            })
            .collect();
        if !(0.0..=1.0).contains(&rules.faults.rate) {
            return Err("faults.rate must be between 0 and 1".into());
        }
        Ok(State {
            rules,
            regexes,
            queues,
            count: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            attempts: Mutex::new(HashMap::new()),
            faulted: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            prompt_cache: PromptCache::default(),
        })
    }
}

/// Counts a request in flight for as long as it lives (also when the
/// client hangs up and the handler is dropped).
struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    fn enter(s: &'a State) -> InFlight<'a> {
        let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        s.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(s)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What to send back, decided before the latency wait.
enum Answer {
    Reply {
        text: String,
        usage: [u64; 2],
    },
    Error {
        status: StatusCode,
        kind: &'static str,
        message: String,
    },
    Fault(Fault),
}

pub(crate) async fn handle(
    state: &State,
    protocol: Protocol,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seq = state.count.fetch_add(1, Ordering::SeqCst);
    let _in_flight = InFlight::enter(state);
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = json
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_string);
    let system = system_of(protocol, &json);
    let last_user = last_user(&json);

    let (answer, rule, latency) = decide(
        state,
        protocol,
        seq,
        &headers,
        &body,
        &json,
        model.as_deref(),
        system.as_deref(),
        last_user.as_deref(),
    );
    let status = match &answer {
        Answer::Reply { .. } => 200,
        Answer::Error { status, .. } => status.as_u16(),
        Answer::Fault(Fault::RateLimit) => 429,
        Answer::Fault(Fault::ServerError) => 500,
        Answer::Fault(Fault::Timeout) => 504,
        Answer::Fault(Fault::Malformed | Fault::Drop) => 200,
    };
    // The prompt cache sees only requests that are answered.
    let split = match &answer {
        Answer::Reply { usage, .. } => {
            let scripted = rule.is_some_and(|r| r.usage.is_some());
            match state.rules.prompt_cache && !scripted {
                true => state.prompt_cache.account(
                    protocol,
                    model.as_deref().unwrap_or_default(),
                    &json,
                ),
                false => Split {
                    total: usage[0],
                    ..Split::default()
                },
            }
        }
        _ => Split::default(),
    };
    lock(&state.log).push(RecordedRequest {
        seq,
        protocol,
        headers: masked(&headers),
        body: json,
        model: model.clone(),
        system,
        last_user,
        status,
        rule: rule.map(|r| r.name.clone()),
        fault: match answer {
            Answer::Fault(f) => Some(f),
            _ => None,
        },
    });

    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let model = model.unwrap_or_default();
    match answer {
        Answer::Reply { text, usage } => (
            StatusCode::OK,
            axum::Json({
                let mut body = reply_body(protocol, seq, &model, &text, split, usage[1]);
                if state.rules.omit_usage {
                    body.as_object_mut().map(|o| o.remove("usage"));
                }
                body
            }),
        )
            .into_response(),
        Answer::Error {
            status,
            kind,
            message,
        } => error_response(protocol, status, kind, &message),
        Answer::Fault(f) => fault_response(state, protocol, f).await,
    }
}

#[allow(clippy::too_many_arguments)]
fn decide<'s>(
    state: &'s State,
    protocol: Protocol,
    seq: u64,
    headers: &HeaderMap,
    raw: &[u8],
    json: &Value,
    model: Option<&str>,
    system: Option<&str>,
    last_user: Option<&str>,
) -> (Answer, Option<&'s Rule>, u64) {
    let rules = &state.rules;
    let latency = rules.latency_ms;
    let err = |status: StatusCode, kind: &'static str, message: String| {
        (
            Answer::Error {
                status,
                kind,
                message,
            },
            None,
            latency,
        )
    };
    if json.is_null() {
        return err(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "mock: the body is not JSON".into(),
        );
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(expected) = &rules.api_key {
        let got = match protocol {
            Protocol::OpenAi => header("authorization")
                .and_then(|h| h.strip_prefix("Bearer "))
                .map(str::to_string),
            Protocol::Anthropic => header("x-api-key").map(str::to_string),
        };
        if got.as_deref() != Some(expected.as_str()) {
            // Echo what was received, as some providers do, so tests can
            // check that clients keep it out of their messages.
            let shown = got.unwrap_or_else(|| "(none)".into());
            return err(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                format!("Incorrect API key provided: {shown}"),
            );
        }
    }
    if protocol == Protocol::Anthropic {
        if header("anthropic-version").is_none() {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "anthropic-version header is required".into(),
            );
        }
        if json.get("max_tokens").and_then(Value::as_u64).is_none() {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "max_tokens: Field required".into(),
            );
        }
    }
    let Some(model) = model else {
        return err(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "model: Field required".into(),
        );
    };
    if let Some(known) = &rules.models {
        if !known.iter().any(|m| m == model) {
            return err(
                StatusCode::NOT_FOUND,
                "not_found_error",
                format!("The model `{model}` does not exist"),
            );
        }
    }
    if let Some(f) = fault_for(state, seq, raw) {
        return (Answer::Fault(f), None, latency);
    }
    let user = last_user.unwrap_or("");
    for (i, rule) in rules.rules.iter().enumerate() {
        if rule.model.as_deref().is_some_and(|m| m != model) {
            continue;
        }
        let caps = match &state.regexes[i] {
            Some(re) => match re.captures(user) {
                Some(c) => Some(c),
                None => continue,
            },
            None => None,
        };
        let text = match &rule.reply {
            ReplySpec::Text(t) => t.clone(),
            ReplySpec::Template(t) => {
                let mut out = String::new();
                match &caps {
                    Some(c) => c.expand(t, &mut out),
                    None => out.push_str(t),
                }
                out
            }
            ReplySpec::Queue(_) => match lock(&state.queues[i]).pop_front() {
                Some(t) => t,
                None => {
                    let msg = format!("mock: the reply queue of rule {:?} is exhausted", rule.name);
                    return (
                        Answer::Error {
                            status: StatusCode::BAD_REQUEST,
                            kind: "invalid_request_error",
                            message: msg,
                        },
                        Some(rule),
                        latency,
                    );
                }
            },
        };
        let usage = rule.usage.unwrap_or_else(|| {
            let input = system.unwrap_or("").chars().count() + user.chars().count();
            [
                input.div_ceil(4) as u64,
                (text.chars().count().div_ceil(4) as u64).max(1),
            ]
        });
        return (
            Answer::Reply { text, usage },
            Some(rule),
            rule.latency_ms.unwrap_or(latency),
        );
    }
    err(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "mock: no rule matched the last user message".into(),
    )
}

/// The fault for request `seq` with body `raw`, if any (see the rules doc).
fn fault_for(state: &State, seq: u64, raw: &[u8]) -> Option<Fault> {
    let f = &state.rules.faults;
    if let Some(entry) = usize::try_from(seq).ok().and_then(|i| f.sequence.get(i)) {
        return *entry;
    }
    if f.rate <= 0.0 {
        return None;
    }
    let h: [u8; 32] = Sha256::digest(raw).into();
    let n = {
        let mut attempts = lock(&state.attempts);
        let n = attempts.entry(h).or_insert(0);
        *n += 1;
        *n - 1
    };
    let mut faulted = lock(&state.faulted);
    let count = faulted.entry(h).or_insert(0);
    if f.max_per_request.is_some_and(|max| *count >= max) {
        return None;
    }
    let mut seed = Sha256::new();
    seed.update(f.seed.to_le_bytes());
    seed.update(h);
    seed.update(n.to_le_bytes());
    let d: [u8; 32] = seed.finalize().into();
    let draw = u64::from_le_bytes(d[..8].try_into().unwrap_or_default());
    let unit = (draw >> 11) as f64 / (1u64 << 53) as f64;
    if unit >= f.rate {
        return None;
    }
    *count += 1;
    let kinds: &[Fault] = if f.kinds.is_empty() {
        &Fault::ALL
    } else {
        &f.kinds
    };
    let pick = u64::from_le_bytes(d[8..16].try_into().unwrap_or_default());
    Some(kinds[(pick % kinds.len() as u64) as usize])
}

async fn fault_response(state: &State, protocol: Protocol, fault: Fault) -> Response {
    match fault {
        Fault::RateLimit => {
            let mut r = error_response(
                protocol,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "mock: rate limited",
            );
            if let Ok(v) = state.rules.faults.retry_after_secs.to_string().parse() {
                r.headers_mut().insert("retry-after", v);
            }
            r
        }
        Fault::ServerError => error_response(
            protocol,
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "mock: internal error",
        ),
        Fault::Timeout => {
            tokio::time::sleep(Duration::from_millis(state.rules.faults.timeout_ms)).await;
            error_response(
                protocol,
                StatusCode::GATEWAY_TIMEOUT,
                "timeout_error",
                "mock: timed out",
            )
        }
        Fault::Malformed => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"id\": \"mock\", \"choices\": [{\"message\": {\"content\": \"unfinish",
        )
            .into_response(),
        Fault::Drop => {
            let parts: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"id\": \"mock\", \"choices\"")),
                Err(std::io::Error::other("mock: connection dropped")),
            ];
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                Body::from_stream(futures_util::stream::iter(parts)),
            )
                .into_response()
        }
    }
}

/// A reply body with its usage: `split` of the input (its cached parts
/// reported as each protocol does), `o` output tokens.
fn reply_body(
    protocol: Protocol,
    seq: u64,
    model: &str,
    text: &str,
    split: Split,
    o: u64,
) -> Value {
    let i = split.total;
    match protocol {
        Protocol::OpenAi => json!({
            "id": format!("chatcmpl-mock-{seq}"),
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o,
                      "prompt_tokens_details": {"cached_tokens": split.read}},
        }),
        Protocol::Anthropic => json!({
            "id": format!("msg_mock_{seq}"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": i - split.read - split.write, "output_tokens": o,
                      "cache_read_input_tokens": split.read, "cache_creation_input_tokens": split.write},
        }),
    }
}

fn error_response(protocol: Protocol, status: StatusCode, kind: &str, message: &str) -> Response {
    let body = match protocol {
        Protocol::OpenAi => json!({"error": {"message": message, "type": kind, "code": null}}),
        Protocol::Anthropic => {
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
    };
    (status, axum::Json(body)).into_response()
}

fn system_of(protocol: Protocol, body: &Value) -> Option<String> {
    match protocol {
        Protocol::OpenAi => body
            .get("messages")?
            .as_array()?
            .iter()
            .find(|m| m.get("role").and_then(Value::as_str) == Some("system"))
            .and_then(|m| content_text(m.get("content")?)),
        Protocol::Anthropic => content_text(body.get("system")?),
    }
}

fn last_user(body: &Value) -> Option<String> {
    body.get("messages")?
        .as_array()?
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(|m| content_text(m.get("content")?))
}

/// A string, or the joined `text` of an array of content parts.
fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect(),
        ),
        _ => None,
    }
}

fn masked(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_string();
            let value = if name == "authorization" || name == "x-api-key" {
                "<masked>".to_string()
            } else {
                v.to_str().unwrap_or("<binary>").to_string()
            };
            (name, value)
        })
        .collect()
}
