//! Token and cost accounting: per call ([`CallUsage`]) and for the run
//! ([`Usage`], kept in lock-free [`Totals`]).
//!
//! Token counts come from the provider's `usage` field; when a provider
//! leaves it out, rlmq's own count stands in and the usage is marked
//! *estimated* (per call, and for the run as the number of such calls). Costs come from the configured
//! prices and are `None` (unknown) when a model has no price: an unknown
//! cost is never reported as 0. A cache hit spends nothing, so its usage is
//! zero tokens at a known cost of 0.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

/// What one call spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CallUsage {
    /// Input tokens billed (system prompt and message), cached ones included.
    pub input_tokens: u64,
    /// Of the input, tokens read from the provider's prompt cache.
    pub prompt_cache_read_tokens: u64,
    /// Of the input, tokens written to the prompt cache (Anthropic).
    pub prompt_cache_write_tokens: u64,
    /// Output tokens billed.
    pub output_tokens: u64,
    /// Cost in USD; `None` when the model has no known price.
    pub cost_usd: Option<f64>,
    /// What the prompt cache saved in USD: the cost at the plain input
    /// price minus `cost_usd` (negative when cache writes cost more than
    /// reads saved; 0 when the price is unknown).
    pub prompt_cache_saved_usd: f64,
    /// Whether the provider left out a token count, so that rlmq's own
    /// count stands in (exact for OpenAI models, approximate otherwise).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

/// What the whole run spent so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Usage {
    /// Calls sent to the provider (each counted once, however many retries).
    pub calls: u64,
    /// Calls answered from the cache (not in `calls`).
    pub cache_hits: u64,
    /// Input tokens the cached replies cost when they were first made
    /// (saved, not in `input_tokens`).
    pub cached_input_tokens: u64,
    /// Input tokens over all calls.
    pub input_tokens: u64,
    /// Of the input, tokens read from the providers' prompt caches.
    pub prompt_cache_read_tokens: u64,
    /// Of the input, tokens written to the prompt caches.
    pub prompt_cache_write_tokens: u64,
    /// Output tokens over all calls.
    pub output_tokens: u64,
    /// Cost in USD; `None` once any call had no known price.
    pub cost_usd: Option<f64>,
    /// What the prompt caches saved, in USD (see [`CallUsage`]).
    pub prompt_cache_saved_usd: f64,
    /// HTTP attempts repeated after a transient failure.
    pub retries: u64,
    /// Calls that ended in an error (refused, failed after retries, or an
    /// unparsable JSON reply).
    pub failures: u64,
    /// Calls whose token counts are rlmq's own because the provider did
    /// not report them (see [`CallUsage::estimated`]).
    pub estimated_calls: u64,
}

/// Atomic running totals behind [`Usage`].
#[derive(Debug, Default)]
pub struct Totals {
    calls: AtomicU64,
    cache_hits: AtomicU64,
    cached_input_tokens: AtomicU64,
    input_tokens: AtomicU64,
    prompt_cache_read_tokens: AtomicU64,
    prompt_cache_write_tokens: AtomicU64,
    output_tokens: AtomicU64,
    nano_usd: AtomicU64,
    /// Saved USD in billionths, as two's complement (a saving may be negative).
    nano_saved: AtomicU64,
    cost_unknown: AtomicBool,
    retries: AtomicU64,
    failures: AtomicU64,
    estimated_calls: AtomicU64,
}

impl Totals {
    /// Counts a call sent to the provider.
    pub fn sent(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a cache hit whose reply first cost `input_tokens`.
    pub fn hit(&self, input_tokens: u64) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
        self.cached_input_tokens
            .fetch_add(input_tokens, Ordering::Relaxed);
    }

    /// Counts one retry.
    pub fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed call.
    pub fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds what a call that reached the provider spent.
    pub fn spent(&self, u: &CallUsage) {
        if u.estimated {
            self.estimated_calls.fetch_add(1, Ordering::Relaxed);
        }
        self.input_tokens
            .fetch_add(u.input_tokens, Ordering::Relaxed);
        self.prompt_cache_read_tokens
            .fetch_add(u.prompt_cache_read_tokens, Ordering::Relaxed);
        self.prompt_cache_write_tokens
            .fetch_add(u.prompt_cache_write_tokens, Ordering::Relaxed);
        self.output_tokens
            .fetch_add(u.output_tokens, Ordering::Relaxed);
        self.nano_saved.fetch_add(
            (u.prompt_cache_saved_usd * 1e9).round() as i64 as u64,
            Ordering::Relaxed,
        );
        match u.cost_usd {
            Some(c) => {
                self.nano_usd
                    .fetch_add((c * 1e9).round() as u64, Ordering::Relaxed);
            }
            None => self.cost_unknown.store(true, Ordering::Relaxed),
        }
    }

    /// A snapshot.
    pub fn snapshot(&self) -> Usage {
        let unknown = self.cost_unknown.load(Ordering::Relaxed);
        Usage {
            calls: self.calls.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cached_input_tokens: self.cached_input_tokens.load(Ordering::Relaxed),
            input_tokens: self.input_tokens.load(Ordering::Relaxed),
            prompt_cache_read_tokens: self.prompt_cache_read_tokens.load(Ordering::Relaxed),
            prompt_cache_write_tokens: self.prompt_cache_write_tokens.load(Ordering::Relaxed),
            output_tokens: self.output_tokens.load(Ordering::Relaxed),
            cost_usd: (!unknown).then(|| self.nano_usd.load(Ordering::Relaxed) as f64 / 1e9),
            prompt_cache_saved_usd: self.nano_saved.load(Ordering::Relaxed) as i64 as f64 / 1e9,
            retries: self.retries.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            estimated_calls: self.estimated_calls.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_cost_sticks() {
        let t = Totals::default();
        t.spent(&CallUsage {
            input_tokens: 10,
            output_tokens: 5,
            cost_usd: Some(0.5),
            estimated: false,
            ..CallUsage::default()
        });
        assert_eq!(t.snapshot().cost_usd, Some(0.5));
        t.spent(&CallUsage {
            input_tokens: 1,
            output_tokens: 1,
            cost_usd: None,
            estimated: true,
            ..CallUsage::default()
        });
        let u = t.snapshot();
        assert_eq!(u.cost_usd, None);
        assert_eq!(u.input_tokens, 11);
        assert_eq!(u.estimated_calls, 1);
    }
}
