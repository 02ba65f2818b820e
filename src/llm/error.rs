//! Errors of the sub-call backend.
//!
//! [`LlmError`] is a setup problem (config, cache dir, trace file): the run
//! cannot start. [`CallError`] is one failed `llm()` call: the interpreter
//! turns it into an error value in its place. Both display as **one line**
//! that says what went wrong and what to do, prefixed by the call site when
//! there is one. Text that comes from outside (a provider's error message,
//! an OS error) is cut to one short line and scrubbed of the API key before
//! it can reach a message, so no error ever carries the key.

use std::fmt;

use super::budget::{BudgetLimit, Refusal};
use super::config::ApiKey;

/// The backend could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlmError {
    /// A bad setting, in a file or a flag.
    Config(String),
    /// Something the backend needs could not be created (runtime, HTTP
    /// client, cache dir, trace file).
    Setup(String),
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::Config(m) => write!(f, "config: {m}"),
            LlmError::Setup(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for LlmError {}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum CallErrorKind {
    /// A budget limit refused the call before anything was sent.
    Budget {
        /// What ran out.
        limit: BudgetLimit,
    },
    /// The message does not fit the model's window (checked before sending).
    PromptTooLarge {
        /// Characters in the message (prompt, blank line, text).
        chars: u64,
        /// Tokens counted for the system prompt and the message.
        tokens: u64,
        /// Tokens allowed for them.
        limit: u64,
    },
    /// The provider refused the key (HTTP 401 or 403); not retried.
    Auth {
        /// 401 or 403.
        status: u16,
    },
    /// The provider does not know the model, or the URL is wrong (HTTP 404);
    /// not retried.
    UnknownModel,
    /// Any other HTTP status: a 4xx that is not retried, or a 429/5xx that
    /// outlasted the retries.
    Http {
        /// The status code.
        status: u16,
    },
    /// No reply within the timeout, on the last attempt.
    Timeout,
    /// The server could not be reached, or dropped the connection.
    Connect,
    /// The reply could not be read as the provider's format, or had no
    /// answer in it.
    BadReply,
    /// `json=true` and the reply text is not JSON.
    JsonReply {
        /// The start of the reply, for the message.
        excerpt: String,
    },
    /// The run was interrupted (Ctrl-C in `rlmq repl`): the call was not
    /// sent, or abandoned while in flight.
    Interrupted,
}

impl CallErrorKind {
    /// A short name for the trace and for tests.
    pub fn name(&self) -> &'static str {
        match self {
            CallErrorKind::Budget { .. } => "budget",
            CallErrorKind::PromptTooLarge { .. } => "prompt_too_large",
            CallErrorKind::Auth { .. } => "auth",
            CallErrorKind::UnknownModel => "unknown_model",
            CallErrorKind::Http { .. } => "http",
            CallErrorKind::Timeout => "timeout",
            CallErrorKind::Connect => "connect",
            CallErrorKind::BadReply => "bad_reply",
            CallErrorKind::JsonReply { .. } => "json_reply",
            CallErrorKind::Interrupted => "interrupted",
        }
    }
}

/// One failed call: its kind, where it was made, and a one-line message.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    /// Why it failed.
    pub kind: CallErrorKind,
    /// The call site (`script.rlq:12:5`), or empty.
    pub site: String,
    /// The call's id in the trace, when it got one.
    pub id: Option<u64>,
    /// Retries made before giving up.
    pub retries: u32,
    message: String,
}

impl CallError {
    /// An error with a message (what happened, then what to do).
    pub fn new(kind: CallErrorKind, message: impl Into<String>) -> CallError {
        CallError {
            kind,
            site: String::new(),
            id: None,
            retries: 0,
            message: crate::diag::redact_urls(&message.into()).into_owned(),
        }
    }

    /// A budget refusal, with advice for the limit that ran out.
    pub fn budget(r: Refusal, model: &str) -> CallError {
        let advice = match r.limit {
            BudgetLimit::Calls => {
                "raise --max-llm-calls, or make fewer, larger calls (a bigger partition(size=...))"
                    .to_string()
            }
            BudgetLimit::Tokens => "raise --max-tokens, or send smaller pieces".to_string(),
            BudgetLimit::Usd if r.detail.contains("unknown") => format!(
                "set input_per_million and output_per_million under [models.\"{model}\"] in rlmq.toml"
            ),
            BudgetLimit::Usd => "raise --max-usd, or send fewer or smaller pieces".to_string(),
            BudgetLimit::Time => "raise --max-seconds".to_string(),
        };
        CallError::new(
            CallErrorKind::Budget { limit: r.limit },
            format!("llm() refused: {}; {advice}", r.detail),
        )
    }

    /// The same error, made at `site`.
    pub fn with_site(mut self, site: impl Into<String>) -> CallError {
        self.site = site.into();
        self
    }

    /// The message without the site.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.site.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.site, self.message)
        }
    }
}

impl std::error::Error for CallError {}

/// Text from outside made safe for a message: the key replaced, control
/// characters and line breaks turned into spaces, cut to `max` characters.
pub fn scrub(text: &str, key: Option<&ApiKey>, max: usize) -> String {
    let text = crate::diag::redact_urls(text);
    let mut s = match key {
        Some(k) if !k.expose().is_empty() => text.replace(k.expose(), "<redacted>"),
        _ => text.into_owned(),
    };
    s = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if s.chars().count() > max {
        s = s.chars().take(max).collect::<String>() + "…";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_key_and_lines() {
        let k = ApiKey::new("sk-SECRET");
        let s = scrub("bad key sk-SECRET\nline two", Some(&k), 100);
        assert_eq!(s, "bad key <redacted> line two");
        assert_eq!(scrub("ééééé", None, 3), "ééé…");
    }

    #[test]
    fn display_has_site_and_one_line() {
        let e = CallError::budget(
            Refusal {
                limit: BudgetLimit::Calls,
                detail: "the call budget is spent (5 of 5 calls)".into(),
            },
            "m",
        )
        .with_site("s.rlq:1:2");
        let s = e.to_string();
        assert!(
            s.starts_with("s.rlq:1:2: llm() refused: the call budget is spent"),
            "{s}"
        );
        assert!(!s.contains('\n'));
    }
}
