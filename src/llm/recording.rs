//! Replies read back from a trace and answered in place of the network:
//! what `rlmq replay` runs on.
//!
//! Every `root` and `subcall` event of a trace that reached the provider
//! (or the cache) is filed under its kind, model and `prompt_sha256` (the
//! hash of the whole message, or of the whole conversation for a root
//! turn). A [`SubCalls`](super::SubCalls) given a recording answers each
//! call from the next entry filed under the same key, with the recorded
//! usage, and sends nothing. Calls refused before sending (budget, size)
//! are not recorded: the replay decides them again. A call with no entry
//! left means the run has taken another path than the recorded one; it
//! fails with a message that says so.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::Value;

use super::error::CallErrorKind;
use super::http::{Failed, Sent};
use super::wire;

/// What one recorded call came to.
#[derive(Debug, Clone)]
enum Entry {
    Answered {
        text: String,
        input_tokens: u64,
        output_tokens: u64,
    },
    Failed {
        kind: CallErrorKind,
        message: String,
    },
}

/// The recorded replies of a trace.
#[derive(Debug, Default)]
pub struct Recording {
    entries: Mutex<HashMap<(bool, String, String), VecDeque<Entry>>>,
    total: usize,
}

fn kind_of(name: &str) -> Option<CallErrorKind> {
    Some(match name {
        "auth" => CallErrorKind::Auth { status: 401 },
        "unknown_model" => CallErrorKind::UnknownModel,
        "http" => CallErrorKind::Http { status: 500 },
        "timeout" => CallErrorKind::Timeout,
        "connect" => CallErrorKind::Connect,
        "bad_reply" => CallErrorKind::BadReply,
        // Decided here before anything was sent: decided again on replay.
        _ => return None,
    })
}

impl Recording {
    /// Reads the calls of a trace's text; lines that are not call events
    /// are skipped.
    pub fn from_trace(text: &str) -> Recording {
        let mut entries: HashMap<(bool, String, String), VecDeque<Entry>> = HashMap::new();
        let mut total = 0;
        for line in text.lines() {
            let Ok(e) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let root = match e.get("event").and_then(Value::as_str) {
                Some("root") => true,
                Some("subcall") => false,
                _ => continue,
            };
            let (Some(model), Some(sha)) = (
                e.get("model").and_then(Value::as_str),
                e.get("prompt_sha256").and_then(Value::as_str),
            ) else {
                continue;
            };
            let error_kind = e.get("error_kind").and_then(Value::as_str);
            let reply = e.get("reply").and_then(Value::as_str);
            let entry = match (error_kind, reply) {
                // A reply that was not JSON with json=true fails again.
                (None | Some("json_reply"), Some(text)) => Entry::Answered {
                    text: text.to_string(),
                    input_tokens: e.get("input_tokens").and_then(Value::as_u64).unwrap_or(0),
                    output_tokens: e.get("output_tokens").and_then(Value::as_u64).unwrap_or(0),
                },
                (Some(k), _) => match kind_of(k) {
                    Some(kind) => Entry::Failed {
                        kind,
                        message: e
                            .get("error")
                            .and_then(Value::as_str)
                            .unwrap_or("the call failed")
                            .to_string(),
                    },
                    None => continue,
                },
                (None, None) => continue,
            };
            entries
                .entry((root, model.to_string(), sha.to_string()))
                .or_default()
                .push_back(entry);
            total += 1;
        }
        Recording {
            entries: Mutex::new(entries),
            total,
        }
    }

    /// Calls recorded.
    pub fn len(&self) -> usize {
        self.total
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Calls recorded and not answered yet.
    pub fn remaining(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(VecDeque::len)
            .sum()
    }

    /// The recorded answer to a call (`root` for a root turn) to `model`
    /// whose message hashes to `sha256`.
    pub(crate) fn answer(&self, root: bool, model: &str, sha256: &str) -> Result<Sent, Failed> {
        let next = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&(root, model.to_string(), sha256.to_string()))
            .and_then(VecDeque::pop_front);
        match next {
            Some(Entry::Answered {
                text,
                input_tokens,
                output_tokens,
            }) => Ok(Sent {
                reply: wire::Reply {
                    text,
                    input_tokens: Some(input_tokens),
                    output_tokens: Some(output_tokens),
                    truncated: false,
                },
                retries: 0,
            }),
            Some(Entry::Failed { kind, message }) => Err(Failed {
                kind,
                message,
                retries: 0,
            }),
            None => Err(Failed {
                kind: CallErrorKind::BadReply,
                message: format!(
                    "replay: the recording has no {} to model '{model}' with this {} (sha256 {}…): the run has left the recorded path",
                    if root { "root-model turn" } else { "llm() call" },
                    if root { "conversation" } else { "message" },
                    &sha256[..sha256.len().min(12)]
                ),
                retries: 0,
            }),
        }
    }
}
