//! Sending one call over HTTP: the concurrency limit, timeouts, retries.
//!
//! Every attempt holds one permit of a semaphore shared by the whole call
//! tree, so at most `concurrency` requests are in flight however many
//! threads call in; waits between attempts hold no permit. Transient
//! failures are retried: HTTP 408/409/425/429/5xx, timeouts, connection
//! errors and 2xx bodies that cannot be read. 400, 401, 403, 404 and other
//! 4xx are final at once. The wait before retry `n` (0-based) is
//! `backoff_base · 2ⁿ`, capped at `backoff_max`, scaled by a jitter in
//! [0.5, 1) derived from the request's hash (so a rerun waits the same) and
//! raised to the server's `Retry-After` (or `retry-after-ms`) when it sends
//! one. Attempts are cut to the time budget, and no retry starts that the
//! time budget could not wait for.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::Semaphore;

use super::config::{ApiKey, LlmConfig, Provider};
use super::error::{scrub, CallErrorKind, LlmError};
use super::wire;
use crate::llm::budget::BudgetLimit;

/// Longest piece of a provider's or the OS's own message quoted in ours.
const QUOTE_CHARS: usize = 160;

/// Largest reply body read; a bigger one is refused, not buffered.
const MAX_REPLY_BYTES: usize = 64 << 20;

/// The HTTP side of the backend: one client, one endpoint, one semaphore.
#[derive(Debug)]
pub struct Http {
    client: reqwest::Client,
    provider: Provider,
    /// The base URL as messages show it (without any user:password@).
    base_url: String,
    url: String,
    headers: HeaderMap,
    key: Option<ApiKey>,
    key_var: String,
    sem: Semaphore,
    retries: u32,
    timeout: Duration,
    backoff_base: Duration,
    backoff_max: Duration,
}

/// A retry about to happen, for the trace.
#[derive(Debug, Clone)]
pub struct RetryNote {
    /// 1 for the first retry.
    pub attempt: u32,
    /// What went wrong with the attempt before.
    pub reason: String,
    /// How long the wait before it is.
    pub delay: Duration,
}

/// A call that got a readable reply.
#[derive(Debug)]
pub struct Sent {
    /// The reply.
    pub reply: wire::Reply,
    /// Retries it took.
    pub retries: u32,
}

/// A call that failed for good.
#[derive(Debug)]
pub struct Failed {
    /// Why.
    pub kind: CallErrorKind,
    /// One line: what happened and what to do (no site).
    pub message: String,
    /// Retries made.
    pub retries: u32,
}

enum Attempt {
    Done(wire::Reply),
    Transient {
        kind: CallErrorKind,
        reason: String,
        retry_after: Option<Duration>,
    },
    Final {
        kind: CallErrorKind,
        detail: Option<String>,
    },
}

impl Http {
    /// Builds the client for `config`. Must run inside the backend's
    /// runtime context.
    pub fn new(config: &LlmConfig) -> Result<Http, LlmError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(config.concurrency)
            .tcp_nodelay(true)
            .user_agent(concat!("rlmq/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&config.base_url) {
            // A local server must never be reached through a proxy.
            builder = builder.no_proxy();
        }
        if is_plain_http(&config.base_url) {
            // Nothing is sent over TLS, so the system's root certificates
            // (hundreds of files, read and parsed before the first call)
            // are not loaded; a redirect to https is refused, not met
            // with a certificate error.
            builder = builder
                .tls_certs_only([])
                .redirect(reqwest::redirect::Policy::custom(plain_redirects));
        }
        let client = builder
            .build()
            .map_err(|e| LlmError::Setup(format!("cannot create the HTTP client: {e}")))?;
        let mut headers = HeaderMap::new();
        for (name, value) in wire::headers(config.provider, config.api_key.as_ref()) {
            let mut v = HeaderValue::from_str(&value).map_err(|_| {
                LlmError::Config(format!(
                    "the value of {} contains characters not allowed in an HTTP header",
                    if name == "content-type" || name == "anthropic-version" {
                        name.to_string()
                    } else {
                        config.api_key_var.clone()
                    }
                ))
            })?;
            if name == "authorization" || name == "x-api-key" {
                v.set_sensitive(true);
            }
            headers.insert(HeaderName::from_static(name), v);
        }
        Ok(Http {
            client,
            provider: config.provider,
            base_url: shown_url(&config.base_url),
            url: wire::url(config.provider, &config.base_url),
            headers,
            key: config.api_key.clone(),
            key_var: config.api_key_var.clone(),
            sem: Semaphore::new(config.concurrency),
            retries: config.retries,
            timeout: config.timeout,
            backoff_base: config.backoff_base,
            backoff_max: config.backoff_max,
        })
    }

    /// Sends `body` for `model` until it succeeds, fails for good, runs out
    /// of retries or of time. `seed` drives the jitter; `on_retry` hears of
    /// each retry before its wait.
    pub async fn send(
        &self,
        model: &str,
        body: bytes::Bytes,
        seed: u64,
        deadline: Option<Instant>,
        on_retry: &(dyn Fn(&RetryNote) + Send + Sync),
    ) -> Result<Sent, Failed> {
        let mut retries = 0u32;
        loop {
            let now = Instant::now();
            let left = deadline.map(|d| d.saturating_duration_since(now));
            if left.is_some_and(|l| l.is_zero()) {
                return Err(self.out_of_time(retries));
            }
            let (timeout, cut_by_deadline) = match left {
                Some(l) if l < self.timeout => (l, true),
                _ => (self.timeout, false),
            };
            let permit = match deadline {
                Some(d) => match tokio::time::timeout_at(d.into(), self.sem.acquire()).await {
                    Ok(p) => p,
                    Err(_) => return Err(self.out_of_time(retries)),
                },
                None => self.sem.acquire().await,
            };
            let outcome = self.attempt(body.clone(), timeout).await;
            drop(permit);
            let (kind, reason, retry_after) = match outcome {
                Attempt::Done(reply) => return Ok(Sent { reply, retries }),
                Attempt::Final { kind, detail } => {
                    let message = self.final_message(&kind, detail.as_deref(), model);
                    return Err(Failed {
                        kind,
                        message,
                        retries,
                    });
                }
                Attempt::Transient {
                    kind,
                    reason,
                    retry_after,
                } => (kind, reason, retry_after),
            };
            if kind == CallErrorKind::Timeout && cut_by_deadline {
                return Err(self.out_of_time(retries));
            }
            let mut delay = backoff(self.backoff_base, self.backoff_max, retries, seed);
            if let Some(ra) = retry_after {
                delay = delay.max(ra.min(self.backoff_max));
            }
            let no_time = deadline.is_some_and(|d| Instant::now() + delay >= d);
            if retries >= self.retries || no_time {
                let message = self.exhausted_message(&kind, &reason, retries, no_time);
                return Err(Failed {
                    kind,
                    message,
                    retries,
                });
            }
            retries += 1;
            on_retry(&RetryNote {
                attempt: retries,
                reason: format!("{}: {reason}", kind.name()),
                delay,
            });
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt; `body` is shared, not copied, between attempts.
    async fn attempt(&self, body: bytes::Bytes, timeout: Duration) -> Attempt {
        let request = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .timeout(timeout)
            .body(body);
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return self.transport(&e, timeout),
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
                        return Attempt::Final {
                            kind: CallErrorKind::BadReply,
                            detail: Some(format!(
                                "it is larger than {} MiB",
                                MAX_REPLY_BYTES >> 20
                            )),
                        };
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return self.transport(&e, timeout),
            }
        }
        let provider_says = || wire::error_message(&bytes).map(|m| self.quote(&m));
        match status {
            200..=299 => match wire::parse_reply(self.provider, &bytes) {
                Ok(reply) => Attempt::Done(reply),
                Err(reason) => Attempt::Transient {
                    kind: CallErrorKind::BadReply,
                    reason: self.quote(&reason),
                    retry_after: None,
                },
            },
            401 | 403 => Attempt::Final {
                kind: CallErrorKind::Auth { status },
                detail: None,
            },
            404 => Attempt::Final {
                kind: CallErrorKind::UnknownModel,
                detail: provider_says(),
            },
            408 | 409 | 425 | 429 | 500..=599 => Attempt::Transient {
                kind: CallErrorKind::Http { status },
                reason: provider_says().unwrap_or_else(|| format!("HTTP {status}")),
                retry_after,
            },
            _ => Attempt::Final {
                kind: CallErrorKind::Http { status },
                detail: provider_says(),
            },
        }
    }

    fn transport(&self, e: &reqwest::Error, timeout: Duration) -> Attempt {
        if e.is_redirect() {
            // Where the server sends us does not change on a retry.
            return Attempt::Final {
                kind: CallErrorKind::Connect,
                detail: Some(self.quote(&cause(e))),
            };
        }
        let (kind, reason) = if e.is_timeout() {
            (
                CallErrorKind::Timeout,
                format!("no reply within {}", secs(timeout)),
            )
        } else if e.is_connect() {
            (CallErrorKind::Connect, self.quote(&cause(e)))
        } else {
            (
                CallErrorKind::Connect,
                format!("connection dropped: {}", self.quote(&cause(e))),
            )
        };
        Attempt::Transient {
            kind,
            reason,
            retry_after: None,
        }
    }

    fn quote(&self, text: &str) -> String {
        scrub(text, self.key.as_ref(), QUOTE_CHARS)
    }

    fn out_of_time(&self, retries: u32) -> Failed {
        Failed {
            kind: CallErrorKind::Budget {
                limit: BudgetLimit::Time,
            },
            message: "llm() stopped: the time budget ran out while waiting for the reply; raise --max-seconds".into(),
            retries,
        }
    }

    fn final_message(&self, kind: &CallErrorKind, detail: Option<&str>, model: &str) -> String {
        let base = &self.base_url;
        let said = detail.map(|d| format!(": {d}")).unwrap_or_default();
        match kind {
            CallErrorKind::Auth { status: 401 } if self.key.is_none() => format!(
                "{base} refused the call with HTTP 401 and no API key is set; set {}",
                self.key_var
            ),
            CallErrorKind::Auth { status: 401 } => format!(
                "{base} refused the API key (HTTP 401); check the key in {}",
                self.key_var
            ),
            CallErrorKind::Auth { status } => format!(
                "{base} refused the call with HTTP {status}; the key in {} may not use model '{model}'",
                self.key_var
            ),
            CallErrorKind::UnknownModel => format!(
                "{base} does not know model '{model}' (HTTP 404{said}); check the model name (sub_model in rlmq.toml, or model=) and the base URL"
            ),
            CallErrorKind::Http { status } => {
                let lower = said.to_lowercase();
                let advice = if ["context", "too long", "too large", "maximum", "tokens"]
                    .iter()
                    .any(|w| lower.contains(w))
                {
                    "send smaller pieces"
                } else {
                    "check the model and settings in rlmq.toml"
                };
                format!("{base} rejected the call with HTTP {status}{said}; {advice}")
            }
            CallErrorKind::Connect => format!("{base} could not be reached{said}"),
            _ => format!(
                "the reply from {base} could not be read{said}; check that the base URL serves the {} API",
                self.provider.name()
            ),
        }
    }

    fn exhausted_message(
        &self,
        kind: &CallErrorKind,
        reason: &str,
        retries: u32,
        no_time: bool,
    ) -> String {
        let base = &self.base_url;
        let tries = match (retries, no_time) {
            (_, true) => format!("after {retries} retries, with no time budget left for another"),
            (0, false) => "with no retries".to_string(),
            (1, false) => "after 1 retry".to_string(),
            (n, false) => format!("after {n} retries"),
        };
        match kind {
            CallErrorKind::Http { status: 429 } => format!(
                "{base} kept answering HTTP 429 (rate limited: {reason}) {tries}; lower --concurrency or try again later"
            ),
            CallErrorKind::Http { status } => format!(
                "{base} kept failing with HTTP {status} ({reason}) {tries}; the provider is in trouble, try again later"
            ),
            CallErrorKind::Timeout => format!(
                "{base} gave no reply within {} {tries}; raise timeout_secs in rlmq.toml or send smaller pieces",
                secs(self.timeout)
            ),
            CallErrorKind::Connect => format!(
                "cannot reach {base} ({reason}) {tries}; check the base URL ({} or base_url in rlmq.toml) and that the server is running",
                self.provider.base_url_var()
            ),
            _ => format!(
                "the reply from {base} could not be read ({reason}) {tries}; check that the base URL serves the {} API",
                self.provider.name()
            ),
        }
    }
}

/// `base` without credentials or query, for messages.
fn shown_url(base: &str) -> String {
    crate::diag::redact_urls(base).into_owned()
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// What went wrong underneath, briefly: the kind of the first I/O error in
/// the chain when it is a common one, else the innermost message.
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    use std::io::ErrorKind as K;
    let mut cur = e;
    loop {
        if let Some(io) = cur.downcast_ref::<std::io::Error>() {
            let short = match io.kind() {
                K::ConnectionRefused => "connection refused",
                K::ConnectionReset => "connection reset",
                K::ConnectionAborted => "connection aborted",
                K::UnexpectedEof => "connection closed early",
                K::TimedOut => "connect timed out",
                K::AddrNotAvailable => "address not available",
                _ => "",
            };
            if !short.is_empty() {
                return short.to_string();
            }
        }
        match cur.source() {
            Some(next) => cur = next,
            None => return cur.to_string(),
        }
    }
}

/// `Retry-After: <seconds>` or `retry-after-ms: <ms>`; an HTTP date is ignored.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let num = |name: &str| {
        h.get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    if let Some(ms) = num("retry-after-ms") {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    Duration::try_from_secs_f64(num("retry-after")?).ok()
}

/// The wait before retry `n` (0-based): exponential, capped, jittered.
pub fn backoff(base: Duration, max: Duration, n: u32, seed: u64) -> Duration {
    let exp = base.saturating_mul(1u32 << n.min(20)).min(max);
    let u = splitmix64(seed ^ u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 11;
    let unit = u as f64 / (1u64 << 53) as f64;
    exp.mul_f64(0.5 + 0.5 * unit)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Whether `base` is an `http://` URL (no TLS needed to reach it).
fn is_plain_http(base: &str) -> bool {
    reqwest::Url::parse(base).is_ok_and(|url| url.scheme() == "http")
}

/// Redirects of a client without TLS roots: followed as reqwest follows
/// them (at most ten), except to `https://`, which it could not verify.
fn plain_redirects(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    if attempt.url().scheme() != "http" {
        let to = shown_url(attempt.url().as_str());
        return attempt.error(format!(
            "the server redirects to {to}; set the base URL (OPENAI_BASE_URL / ANTHROPIC_BASE_URL) to that address"
        ));
    }
    match attempt.previous().len() {
        0..10 => attempt.follow(),
        _ => attempt.error("too many redirects"),
    }
}

fn is_loopback(base: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base) else {
        return false;
    };
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_is_deterministic() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for n in 0..30 {
            let d = backoff(base, max, n, 42);
            assert_eq!(d, backoff(base, max, n, 42));
            let full = base.saturating_mul(1 << n.min(20)).min(max);
            assert!(d >= full / 2 && d <= full, "{n}: {d:?}");
        }
        assert_ne!(backoff(base, max, 0, 1), backoff(base, max, 0, 2));
    }

    #[test]
    fn retry_after_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        h.clear();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn credentials_in_the_url_are_not_shown() {
        assert_eq!(
            shown_url("https://u:secret@h.example/v1?key=k"),
            "https://<redacted>@h.example/v1?<redacted>"
        );
        assert_eq!(shown_url("http://127.0.0.1:9/v1"), "http://127.0.0.1:9/v1");
    }

    #[test]
    fn loopback() {
        assert!(is_loopback("http://127.0.0.1:8080/v1"));
        assert!(is_loopback("http://localhost:1"));
        assert!(is_loopback("http://[::1]:1"));
        assert!(!is_loopback("https://api.openai.com/v1"));
    }
}
