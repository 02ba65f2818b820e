//! Replies read back from a trace and answered in place of the network:
//! what `rlmq replay` runs on.
//!
//! Every `subcall` event of a trace that reached the provider (or the
//! cache) is filed under its model and `prompt_sha256` (the hash of the
//! whole message). Every `root` event is filed under the session it belongs
//! to, in order: a replayed session [claims](Recording::claim_session) the
//! recorded session with the same question, context and depth, and its
//! root turns are answered in the recorded order (so that a turn whose
//! output differs in some detail, say the seconds left in `budget()`,
//! still gets the next recorded reply). A [`SubCalls`](super::SubCalls)
//! given a recording answers each call from it, with the recorded usage,
//! and sends nothing. Calls refused before sending (budget, size)
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
        cache_read: u64,
        cache_write: u64,
    },
    Failed {
        kind: CallErrorKind,
        message: String,
    },
}

/// A recorded session, as its `session_start` event describes it.
#[derive(Debug, Clone)]
struct RecordedSession {
    /// (run of the file, id in that run).
    id: (u32, u64),
    question: String,
    fingerprint: String,
    depth: u64,
    claimed: bool,
}

/// The recorded replies of a trace.
#[derive(Debug, Default)]
pub struct Recording {
    entries: Mutex<HashMap<(bool, String, String), VecDeque<Entry>>>,
    /// Root turns by recorded session (run, id), in order.
    roots: Mutex<HashMap<(u32, u64), VecDeque<Entry>>>,
    sessions: Mutex<Vec<RecordedSession>>,
    /// Replayed session id -> recorded session (run, id).
    bound: Mutex<HashMap<u64, (u32, u64)>>,
    total: usize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
        let mut roots: HashMap<(u32, u64), VecDeque<Entry>> = HashMap::new();
        let mut sessions = Vec::new();
        let mut total = 0;
        // Ids are unique within a run; an event repeating one starts the
        // next run appended to the same file.
        let mut run = 0u32;
        let mut seen = std::collections::HashSet::new();
        for line in text.lines() {
            let Ok(e) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let name = e.get("event").and_then(Value::as_str).unwrap_or("");
            if let Some(id) = e.get("id").and_then(Value::as_u64) {
                if name != "retry" && !seen.insert((name.to_string(), id)) {
                    run += 1;
                    seen.clear();
                    seen.insert((name.to_string(), id));
                }
            }
            let root = match name {
                "root" => true,
                "subcall" => false,
                "session_start" => {
                    if let Some(id) = e.get("id").and_then(Value::as_u64) {
                        let text =
                            |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        sessions.push(RecordedSession {
                            id: (run, id),
                            question: text("question"),
                            fingerprint: e
                                .pointer("/context/fingerprint")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            depth: e.get("depth").and_then(Value::as_u64).unwrap_or(0),
                            claimed: false,
                        });
                    }
                    continue;
                }
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
                    cache_read: e
                        .get("prompt_cache_read_tokens")
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                    cache_write: e
                        .get("prompt_cache_write_tokens")
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
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
            if let Some(parent) = e.get("parent").and_then(Value::as_u64).filter(|_| root) {
                roots
                    .entry((run, parent))
                    .or_default()
                    .push_back(entry.clone());
            }
            entries
                .entry((root, model.to_string(), sha.to_string()))
                .or_default()
                .push_back(entry);
            total += 1;
        }
        Recording {
            entries: Mutex::new(entries),
            roots: Mutex::new(roots),
            sessions: Mutex::new(sessions),
            bound: Mutex::new(HashMap::new()),
            total,
        }
    }

    /// Binds the replayed session `id` to the first recorded session not yet
    /// claimed with the same question, context fingerprint and depth; its
    /// root turns will be answered in the recorded order. False when there
    /// is none (root turns are then matched by their conversation's hash).
    pub fn claim_session(&self, id: u64, question: &str, fingerprint: &str, depth: u32) -> bool {
        let mut sessions = lock(&self.sessions);
        let found = sessions.iter_mut().find(|s| {
            !s.claimed
                && s.question == question
                && s.fingerprint == fingerprint
                && s.depth == u64::from(depth)
        });
        match found {
            Some(s) => {
                s.claimed = true;
                lock(&self.bound).insert(id, s.id);
                true
            }
            None => false,
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

    /// Sub-calls recorded and not answered yet.
    pub fn remaining(&self) -> usize {
        lock(&self.entries)
            .iter()
            .filter(|(k, _)| !k.0)
            .map(|(_, v)| v.len())
            .sum()
    }

    /// The recorded answer to a call (`root` for a root turn of the session
    /// `parent`) to `model` whose message (or conversation) hashes to
    /// `sha256`.
    pub(crate) fn answer(
        &self,
        root: bool,
        model: &str,
        sha256: &str,
        parent: Option<u64>,
    ) -> Result<Sent, Failed> {
        let recorded = parent.and_then(|p| lock(&self.bound).get(&p).copied());
        let next = match (root, recorded) {
            (true, Some(old)) => lock(&self.roots)
                .get_mut(&old)
                .and_then(VecDeque::pop_front),
            _ => lock(&self.entries)
                .get_mut(&(root, model.to_string(), sha256.to_string()))
                .and_then(VecDeque::pop_front),
        };
        match next {
            Some(Entry::Answered {
                text,
                input_tokens,
                output_tokens,
                cache_read,
                cache_write,
            }) => Ok(Sent {
                reply: wire::Reply {
                    text,
                    input_tokens: Some(input_tokens),
                    output_tokens: Some(output_tokens),
                    cache_read_tokens: cache_read,
                    cache_write_tokens: cache_write,
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
