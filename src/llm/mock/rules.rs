//! What the mock server answers: rules, faults, and their JSON form.
//!
//! A request is answered by the first [`Rule`] whose `model` (if set)
//! equals the request's and whose `when` regex (if set) matches the last
//! user message. A rule's reply is fixed text, a template expanded with the
//! captures of `when` (`$1`, `${name}`; write `${1}x` when letters follow),
//! or a queue of scripted replies handed out one per request. No matching
//! rule, or an exhausted queue, is an HTTP 400 that says so (not retried by
//! the client, so a broken test fails fast).
//!
//! Faults come before rules. By sequence: `sequence[i]` applies to the
//! i-th request the server receives (`null` for a normal answer). By rate:
//! each request whose body was already seen `n` times faults when a hash of
//! (`seed`, body, `n`) falls under `rate`; so a fault is a property of the
//! request and its attempt number, not of arrival order, and a run is
//! repeatable under any thread interleaving. `max_per_request` caps the
//! faults one body receives, which makes "every call succeeds within its
//! retries" a guarantee rather than a likelihood.
//!
//! As JSON (for `cargo run --example mock_server -- rules.json`):
//!
//! ```json
//! {
//!   "api_key": "test-key",
//!   "models": ["mock-small"],
//!   "latency_ms": 20,
//!   "rules": [
//!     {"name": "label", "when": "Label: (\\w+)", "reply": {"template": "$1"}},
//!     {"name": "root", "model": "mock-root", "reply": {"queue": ["first", "second"]}},
//!     {"name": "default", "reply": {"text": "ok"}}
//!   ],
//!   "prompt_cache": false,
//!   "faults": {"rate": 0.3, "kinds": ["rate_limit", "server_error", "timeout", "malformed", "drop"],
//!              "max_per_request": 3, "seed": 7, "retry_after_secs": 1, "timeout_ms": 5000}
//! }
//! ```

use serde::{Deserialize, Serialize};

/// Everything the server is told to do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockRules {
    /// The key requests must carry (`Authorization: Bearer` or `x-api-key`);
    /// `None` accepts any or none. A wrong key gets 401, whose message echoes
    /// the key received, as some providers do.
    pub api_key: Option<String>,
    /// Known models; others get 404. `None` knows every model.
    pub models: Option<Vec<String>>,
    /// Delay before every answer, unless a rule sets its own.
    pub latency_ms: u64,
    /// Rules, first match wins.
    pub rules: Vec<Rule>,
    /// Injected faults.
    pub faults: Faults,
    /// Imitate the providers' prompt caches (see
    /// [`prompt_cache`](super::prompt_cache)): replies whose rule sets no
    /// `usage` report the whole prompt's tokens and the cached part.
    pub prompt_cache: bool,
    /// Leave the `usage` field out of replies, as some servers do.
    pub omit_usage: bool,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Name, for counts and records.
    pub name: String,
    /// Regex over the last user message; `None` matches all.
    #[serde(default)]
    pub when: Option<String>,
    /// Only requests for this model; `None` for any.
    #[serde(default)]
    pub model: Option<String>,
    /// The answer.
    pub reply: ReplySpec,
    /// Delay before answering, over the server's default.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Token usage to report, `[input, output]`; estimated at 4 characters
    /// per token when `None`.
    #[serde(default)]
    pub usage: Option<[u64; 2]>,
}

/// How a rule answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplySpec {
    /// This text.
    Text(String),
    /// This template, expanded with the captures of `when`.
    Template(String),
    /// These replies, one per request, in order.
    Queue(Vec<String>),
}

/// An injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// HTTP 429 with `Retry-After`.
    RateLimit,
    /// HTTP 500.
    ServerError,
    /// Sleeps `timeout_ms` (past the client's timeout), then 504.
    Timeout,
    /// HTTP 200 with a body that is not JSON.
    Malformed,
    /// HTTP 200 headers, part of a body, then the connection is cut.
    Drop,
}

impl Fault {
    /// Every kind, in a fixed order.
    pub const ALL: [Fault; 5] = [
        Fault::RateLimit,
        Fault::ServerError,
        Fault::Timeout,
        Fault::Malformed,
        Fault::Drop,
    ];
}

/// When and how to fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Share of attempts that fault, 0.0 to 1.0.
    pub rate: f64,
    /// Kinds drawn from for rate faults; every kind when empty.
    pub kinds: Vec<Fault>,
    /// Most faults one request body receives (rate faults only).
    pub max_per_request: Option<u32>,
    /// Seed of the fault draw.
    pub seed: u64,
    /// Faults by arrival: entry i is for the i-th request.
    pub sequence: Vec<Option<Fault>>,
    /// `Retry-After` seconds sent with 429.
    pub retry_after_secs: u64,
    /// How long a timeout fault sleeps.
    pub timeout_ms: u64,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            rate: 0.0,
            kinds: Vec::new(),
            max_per_request: None,
            seed: 0,
            sequence: Vec::new(),
            retry_after_secs: 1,
            timeout_ms: 30_000,
        }
    }
}

impl MockRules {
    /// No rules, no key check, no faults.
    pub fn new() -> MockRules {
        MockRules::default()
    }

    /// Leaves `usage` out of every reply (builder style).
    pub fn without_usage(mut self) -> MockRules {
        self.omit_usage = true;
        self
    }

    /// Reads rules from JSON.
    pub fn from_json(text: &str) -> Result<MockRules, String> {
        serde_json::from_str(text).map_err(|e| format!("bad mock rules: {e}"))
    }

    /// Requires this key (builder style).
    pub fn api_key(mut self, key: impl Into<String>) -> MockRules {
        self.api_key = Some(key.into());
        self
    }

    /// Knows only these models (builder style).
    pub fn models<S: Into<String>>(mut self, models: impl IntoIterator<Item = S>) -> MockRules {
        self.models = Some(models.into_iter().map(Into::into).collect());
        self
    }

    /// Waits this long before every answer (builder style).
    pub fn latency_ms(mut self, ms: u64) -> MockRules {
        self.latency_ms = ms;
        self
    }

    /// Adds a rule after the others (builder style).
    pub fn rule(mut self, rule: Rule) -> MockRules {
        self.rules.push(rule);
        self
    }

    /// Sets the faults (builder style).
    pub fn faults(mut self, faults: Faults) -> MockRules {
        self.faults = faults;
        self
    }

    /// Imitates the providers' prompt caches (builder style).
    pub fn prompt_cache(mut self) -> MockRules {
        self.prompt_cache = true;
        self
    }
}

impl Rule {
    fn with(name: impl Into<String>, reply: ReplySpec) -> Rule {
        Rule {
            name: name.into(),
            when: None,
            model: None,
            reply,
            latency_ms: None,
            usage: None,
        }
    }

    /// Always answers `text`.
    pub fn text(name: impl Into<String>, text: impl Into<String>) -> Rule {
        Rule::with(name, ReplySpec::Text(text.into()))
    }

    /// Answers `template` expanded with the captures of `when`, for messages
    /// `when` matches.
    pub fn template(
        name: impl Into<String>,
        when: impl Into<String>,
        template: impl Into<String>,
    ) -> Rule {
        Rule::with(name, ReplySpec::Template(template.into())).when(when)
    }

    /// Answers these replies in order, one per request.
    pub fn queue<S: Into<String>>(
        name: impl Into<String>,
        replies: impl IntoIterator<Item = S>,
    ) -> Rule {
        Rule::with(
            name,
            ReplySpec::Queue(replies.into_iter().map(Into::into).collect()),
        )
    }

    /// Only for messages matching `regex` (builder style).
    pub fn when(mut self, regex: impl Into<String>) -> Rule {
        self.when = Some(regex.into());
        self
    }

    /// Only for `model` (builder style).
    pub fn for_model(mut self, model: impl Into<String>) -> Rule {
        self.model = Some(model.into());
        self
    }

    /// Its own latency (builder style).
    pub fn latency_ms(mut self, ms: u64) -> Rule {
        self.latency_ms = Some(ms);
        self
    }

    /// Reports this usage (builder style).
    pub fn usage(mut self, input: u64, output: u64) -> Rule {
        self.usage = Some([input, output]);
        self
    }
}

impl Faults {
    /// Faults on a share `rate` of attempts, drawn from `kinds` (all when
    /// empty).
    pub fn rate(rate: f64, kinds: impl IntoIterator<Item = Fault>) -> Faults {
        Faults {
            rate,
            kinds: kinds.into_iter().collect(),
            ..Faults::default()
        }
    }

    /// Faults by arrival order.
    pub fn sequence(sequence: impl IntoIterator<Item = Option<Fault>>) -> Faults {
        Faults {
            sequence: sequence.into_iter().collect(),
            ..Faults::default()
        }
    }

    /// At most `n` rate faults per request body (builder style).
    pub fn max_per_request(mut self, n: u32) -> Faults {
        self.max_per_request = Some(n);
        self
    }

    /// Seed of the draw (builder style).
    pub fn seed(mut self, seed: u64) -> Faults {
        self.seed = seed;
        self
    }

    /// `Retry-After` seconds for 429 (builder style).
    pub fn retry_after_secs(mut self, secs: u64) -> Faults {
        self.retry_after_secs = secs;
        self
    }

    /// Sleep of a timeout fault (builder style).
    pub fn timeout_ms(mut self, ms: u64) -> Faults {
        self.timeout_ms = ms;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_round_trips() {
        let text = r#"{
          "api_key": "k", "models": ["m"], "latency_ms": 5,
          "rules": [
            {"name": "label", "when": "Label: (\\w+)", "reply": {"template": "$1"}},
            {"name": "q", "reply": {"queue": ["a", "b"]}, "usage": [3, 1]},
            {"name": "d", "reply": {"text": "ok"}}
          ],
          "faults": {"rate": 0.5, "kinds": ["rate_limit", "drop"], "sequence": [null, "timeout"]}
        }"#;
        let r = MockRules::from_json(text).unwrap();
        assert_eq!(r.rules[0].reply, ReplySpec::Template("$1".into()));
        assert_eq!(r.faults.sequence, vec![None, Some(Fault::Timeout)]);
        assert_eq!(r.faults.timeout_ms, 30_000);
        let again = MockRules::from_json(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(again, r);
        assert!(MockRules::from_json(r#"{"rulez": []}"#).is_err());
    }
}
