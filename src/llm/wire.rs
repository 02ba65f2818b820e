//! The two wire protocols: request bodies and headers out, reply text and
//! usage in.
//!
//! - OpenAI-compatible: `POST {base}/chat/completions`, `Authorization:
//!   Bearer <key>`, the system prompt as a `system` message. The reply limit
//!   is sent as `max_completion_tokens` to api.openai.com (its newer models
//!   refuse `max_tokens`) and as `max_tokens` to every other server (vLLM,
//!   Ollama, OpenRouter and most gateways only know that one).
//! - Anthropic: `POST {base}/v1/messages`, `x-api-key`, `anthropic-version:
//!   2023-06-01`, top-level `system`, `max_tokens` always sent.
//!
//! Prompt caching: a root-model conversation only grows, and its requests
//! are built so that each one's prefix is the previous one's, byte for
//! byte (fixed key order, history messages unchanged), which is what
//! OpenAI's automatic prefix caching needs. Anthropic caches only up to
//! explicit `cache_control` breakpoints; a conversation ([`Request::cache`])
//! gets three: the system prompt, the previous user message (whose prefix
//! the last request wrote, so this one reads it) and the last user message
//! (written for the next turn). Both report the cached part of the input in
//! their usage, which [`parse_reply`] reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::config::{ApiKey, Provider};
use super::json_str;
use super::message::Message;

/// Who wrote a message of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The caller (rlmq, on behalf of the user).
    User,
    /// The model.
    Assistant,
}

/// One message of a conversation (the system prompt is separate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: String,
}

/// The Anthropic API version sent with every request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// One request, before it is put on the wire.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Model name.
    pub model: &'a str,
    /// System prompt.
    pub system: &'a str,
    /// Earlier messages of a conversation, before `message` (empty for a
    /// sub-call).
    pub history: &'a [ChatMessage],
    /// The last user message.
    pub message: Message<'a>,
    /// Reply limit in tokens.
    pub max_tokens: u64,
    /// Mark prompt-cache breakpoints (Anthropic; a growing conversation).
    pub cache: bool,
}

/// The endpoint for `provider` at `base`.
pub fn url(provider: Provider, base: &str) -> String {
    let base = base.trim_end_matches('/');
    match provider {
        Provider::OpenAi => format!("{base}/chat/completions"),
        Provider::Anthropic => format!("{base}/v1/messages"),
    }
}

/// Bytes a body for `r` most likely fits in: its texts, a little escaping
/// and the framing.
pub fn room(r: &Request<'_>) -> usize {
    let texts: usize =
        r.history.iter().map(|m| m.content.len()).sum::<usize>() + r.system.len() + r.message.len();
    texts + texts / 64 + 256 + 64 * r.history.len()
}

/// The JSON body, written into `out` (emptied first) straight from the
/// borrowed texts (one pass over each text, escaping as it copies):
/// compact, keys in a fixed order, strings escaped as `serde_json` escapes
/// them.
pub fn body(provider: Provider, base: &str, r: Request<'_>, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(room(&r));
    out.extend_from_slice(b"{\"model\":");
    json_str::write(out, r.model);
    let all = r
        .history
        .iter()
        .map(|m| (m.role, Message::whole(&m.content)))
        .chain(std::iter::once((Role::User, r.message)));
    match provider {
        Provider::OpenAi => {
            out.extend_from_slice(b",\"messages\":[");
            message(out, "system", Message::whole(r.system), false);
            for (role, text) in all {
                out.push(b',');
                message(out, role_name(role), text, false);
            }
            out.extend_from_slice(match is_openai_host(base) {
                true => b"],\"max_completion_tokens\":",
                false => b"],\"max_tokens\":",
            });
            out.extend_from_slice(r.max_tokens.to_string().as_bytes());
        }
        Provider::Anthropic => {
            out.extend_from_slice(b",\"max_tokens\":");
            out.extend_from_slice(r.max_tokens.to_string().as_bytes());
            out.extend_from_slice(b",\"system\":");
            content(out, Message::whole(r.system), r.cache);
            out.extend_from_slice(b",\"messages\":[");
            // Breakpoints (with `cache`): the last two user messages.
            let users = all.clone().filter(|(role, _)| *role == Role::User).count();
            let mut user = 0;
            for (i, (role, text)) in all.enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                user += usize::from(role == Role::User);
                let marked = r.cache && role == Role::User && user + 2 > users;
                message(out, role_name(role), text, marked);
            }
            out.push(b']');
        }
    }
    out.push(b'}');
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// `{"role": role, "content": text}`.
fn message(out: &mut Vec<u8>, role: &str, text: Message<'_>, marked: bool) {
    out.extend_from_slice(b"{\"role\":");
    json_str::write(out, role);
    out.extend_from_slice(b",\"content\":");
    content(out, text, marked);
    out.push(b'}');
}

/// A text: a plain string, or (`marked`) one text block marked as an
/// Anthropic prompt-cache breakpoint.
fn content(out: &mut Vec<u8>, text: Message<'_>, marked: bool) {
    if !marked {
        return json_str::write_joined(out, text.parts());
    }
    out.extend_from_slice(b"[{\"type\":\"text\",\"text\":");
    json_str::write_joined(out, text.parts());
    out.extend_from_slice(b",\"cache_control\":{\"type\":\"ephemeral\"}}]");
}

fn is_openai_host(base: &str) -> bool {
    reqwest::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(|h| h == "api.openai.com"))
        .unwrap_or(false)
}

/// The headers, auth included when there is a key.
pub fn headers(provider: Provider, key: Option<&ApiKey>) -> Vec<(&'static str, String)> {
    let mut h = vec![("content-type", "application/json".to_string())];
    match provider {
        Provider::OpenAi => {
            if let Some(k) = key {
                h.push(("authorization", format!("Bearer {}", k.expose())));
            }
        }
        Provider::Anthropic => {
            if let Some(k) = key {
                h.push(("x-api-key", k.expose().to_string()));
            }
            h.push(("anthropic-version", ANTHROPIC_VERSION.to_string()));
        }
    }
    h
}

/// What a successful reply carried.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The answer text (text blocks joined).
    pub text: String,
    /// Billed input tokens, when reported.
    pub input_tokens: Option<u64>,
    /// Billed output tokens, when reported.
    pub output_tokens: Option<u64>,
    /// Input tokens read from the provider's prompt cache (0 when none or
    /// not reported).
    pub cache_read_tokens: u64,
    /// Input tokens written to the prompt cache (Anthropic).
    pub cache_write_tokens: u64,
    /// Whether the reply stopped at the token limit.
    pub truncated: bool,
}

/// Reads a 2xx body; the error is a short reason (`not JSON: ...`,
/// `no choices[0] in the reply`).
pub fn parse_reply(provider: Provider, body: &[u8]) -> Result<Reply, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    match provider {
        Provider::OpenAi => {
            let choice = v
                .get("choices")
                .and_then(|c| c.get(0))
                .ok_or("no choices[0] in the reply")?;
            let msg = choice.get("message").ok_or("no choices[0].message")?;
            let text = match msg.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => join_text(parts),
                _ => match msg.get("refusal") {
                    Some(Value::String(s)) => s.clone(),
                    _ => String::new(),
                },
            };
            let usage = v.get("usage");
            Ok(Reply {
                text,
                input_tokens: usage
                    .and_then(|u| u.get("prompt_tokens"))
                    .and_then(Value::as_u64),
                output_tokens: usage
                    .and_then(|u| u.get("completion_tokens"))
                    .and_then(Value::as_u64),
                cache_read_tokens: usage
                    .and_then(|u| u.pointer("/prompt_tokens_details/cached_tokens"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
                cache_write_tokens: 0,
                truncated: choice.get("finish_reason").and_then(Value::as_str) == Some("length"),
            })
        }
        Provider::Anthropic => {
            let parts = v
                .get("content")
                .and_then(Value::as_array)
                .ok_or("no content array in the reply")?;
            let usage = v.get("usage");
            let field = |name: &str| usage.and_then(|u| u.get(name)).and_then(Value::as_u64);
            let input = field("input_tokens").map(|i| {
                i + field("cache_creation_input_tokens").unwrap_or(0)
                    + field("cache_read_input_tokens").unwrap_or(0)
            });
            Ok(Reply {
                text: join_text(parts),
                input_tokens: input,
                output_tokens: field("output_tokens"),
                cache_read_tokens: field("cache_read_input_tokens").unwrap_or(0),
                cache_write_tokens: field("cache_creation_input_tokens").unwrap_or(0),
                truncated: v.get("stop_reason").and_then(Value::as_str) == Some("max_tokens"),
            })
        }
    }
}

/// Joins the `text` of the parts whose type is `text` (or that have no type).
fn join_text(parts: &[Value]) -> String {
    parts
        .iter()
        .filter(|p| p.get("type").and_then(Value::as_str).unwrap_or("text") == "text")
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect()
}

/// The provider's own error message from an error body, if it has one
/// (`{"error": {"message": ...}}` in both protocols, or `{"error": "..."}`).
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let e = v.get("error")?;
    match e {
        Value::String(s) => Some(s.clone()),
        _ => e.get("message").and_then(Value::as_str).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The body as a JSON value.
    fn body(provider: Provider, base: &str, r: Request<'_>) -> Value {
        serde_json::from_str(&written(provider, base, r)).unwrap()
    }

    /// The body as written, into a buffer that held another.
    fn written(provider: Provider, base: &str, r: Request<'_>) -> String {
        let mut out = b"an earlier body".to_vec();
        super::body(provider, base, r, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn req() -> Request<'static> {
        Request {
            model: "m",
            system: "sys",
            history: &[],
            message: Message::whole("hi"),
            max_tokens: 10,
            cache: false,
        }
    }

    #[test]
    fn bodies() {
        let b = body(Provider::OpenAi, "https://api.openai.com/v1", req());
        assert_eq!(b["max_completion_tokens"], 10);
        assert_eq!(b["messages"][0]["role"], "system");
        let b = body(Provider::OpenAi, "http://127.0.0.1:1/v1", req());
        assert_eq!(b["max_tokens"], 10);
        let b = body(Provider::Anthropic, "http://127.0.0.1:1", req());
        assert_eq!(b["system"], "sys");
        assert_eq!(b["max_tokens"], 10);
        assert_eq!(
            url(Provider::Anthropic, "http://h/"),
            "http://h/v1/messages"
        );
    }

    #[test]
    fn conversations_keep_their_order() {
        let history = [
            ChatMessage {
                role: Role::User,
                content: "q".into(),
            },
            ChatMessage {
                role: Role::Assistant,
                content: "a".into(),
            },
        ];
        let r = Request {
            history: &history,
            ..req()
        };
        let b = body(Provider::OpenAi, "http://127.0.0.1:1/v1", r);
        let roles: Vec<&str> = b["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        let b = body(Provider::Anthropic, "http://127.0.0.1:1", r);
        assert_eq!(b["messages"][1]["content"], "a");
        assert_eq!(b["messages"][2]["content"], "hi");
        assert_eq!(b["messages"].as_array().unwrap().len(), 3);
        // With caching: breakpoints on the system prompt and the last two
        // user messages; the text is unchanged.
        let b = body(
            Provider::Anthropic,
            "http://127.0.0.1:1",
            Request { cache: true, ..r },
        );
        let bp = json!({"type": "ephemeral"});
        assert_eq!(b["system"][0]["text"], "sys");
        assert_eq!(b["system"][0]["cache_control"], bp);
        assert_eq!(b["messages"][0]["content"][0]["text"], "q");
        assert_eq!(b["messages"][0]["content"][0]["cache_control"], bp);
        assert_eq!(b["messages"][1]["content"], "a");
        assert_eq!(b["messages"][2]["content"][0]["cache_control"], bp);
    }

    #[test]
    fn a_growing_conversation_keeps_its_prefix_byte_for_byte() {
        let mut history = vec![ChatMessage {
            role: Role::User,
            content: "q".into(),
        }];
        let one = written(
            Provider::OpenAi,
            "http://127.0.0.1:1/v1",
            Request {
                history: &[],
                message: Message::whole("q"),
                cache: true,
                ..req()
            },
        );
        history.push(ChatMessage {
            role: Role::Assistant,
            content: "a".into(),
        });
        let two = written(
            Provider::OpenAi,
            "http://127.0.0.1:1/v1",
            Request {
                history: &history,
                message: Message::whole("next"),
                cache: true,
                ..req()
            },
        );
        let cut = one.find(r#"}],"max_tokens""#).unwrap() + 1;
        assert!(two.starts_with(&one[..cut]), "{one}\n{two}");
    }

    #[test]
    fn bodies_are_compact_json_in_a_fixed_key_order() {
        let history = [
            ChatMessage {
                role: Role::User,
                content: "q \"1\"\n".into(),
            },
            ChatMessage {
                role: Role::Assistant,
                content: "a\u{1}é".into(),
            },
        ];
        let r = Request {
            history: &history,
            message: Message::about("tab\there", "\\ 🎉"),
            ..req()
        };
        let want = json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "user", "content": "q \"1\"\n"},
                {"role": "assistant", "content": "a\u{1}é"},
                {"role": "user", "content": "tab\there\n\n\\ 🎉"},
            ],
            "max_tokens": 10,
        });
        assert_eq!(
            written(Provider::OpenAi, "http://127.0.0.1:1/v1", r),
            want.to_string()
        );
        let marked =
            |t: &str| json!([{"type": "text", "text": t, "cache_control": {"type": "ephemeral"}}]);
        let want = json!({
            "model": "m",
            "max_tokens": 10,
            "system": marked("sys"),
            "messages": [
                {"role": "user", "content": marked("q \"1\"\n")},
                {"role": "assistant", "content": "a\u{1}é"},
                {"role": "user", "content": marked("tab\there\n\n\\ 🎉")},
            ],
        });
        let cached = Request { cache: true, ..r };
        assert_eq!(
            written(Provider::Anthropic, "http://127.0.0.1:1", cached),
            want.to_string()
        );
    }

    #[test]
    fn replies() {
        let r = parse_reply(
            Provider::OpenAi,
            br#"{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#,
        )
        .unwrap();
        assert_eq!(
            (r.text.as_str(), r.input_tokens, r.output_tokens),
            ("ok", Some(5), Some(1))
        );
        let r = parse_reply(
            Provider::Anthropic,
            br#"{"content":[{"type":"thinking","thinking":"x"},{"type":"text","text":"a"},{"type":"text","text":"b"}],"stop_reason":"max_tokens","usage":{"input_tokens":3,"output_tokens":2,"cache_read_input_tokens":4}}"#,
        )
        .unwrap();
        assert_eq!(
            (r.text.as_str(), r.input_tokens, r.truncated),
            ("ab", Some(7), true)
        );
        assert_eq!((r.cache_read_tokens, r.cache_write_tokens), (4, 0));
        let r = parse_reply(
            Provider::OpenAi,
            br#"{"choices":[{"message":{"content":"ok"}}],"usage":{"prompt_tokens":2000,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":1536}}}"#,
        )
        .unwrap();
        assert_eq!((r.input_tokens, r.cache_read_tokens), (Some(2000), 1536));
        assert!(parse_reply(Provider::OpenAi, b"{\"choices\": [").is_err());
        assert!(parse_reply(Provider::OpenAi, b"{}").is_err());
        assert_eq!(
            error_message(br#"{"type":"error","error":{"type":"x","message":"bad"}}"#).as_deref(),
            Some("bad")
        );
    }
}
