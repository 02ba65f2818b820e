//! What rlmq knows about models: prices, context windows, reply limits.
//!
//! A built-in table covers common OpenAI and Anthropic models; `rlmq.toml`
//! adds models or overrides any field (`[models."name"]`). A name matches a
//! table entry when it equals it or extends it after a `-` (so
//! `gpt-4o-2024-08-06` is `gpt-4o`, and `gpt-4o-mini-…` is `gpt-4o-mini`, the
//! longest entry winning); a `vendor/` prefix (`openai/gpt-4o`) is ignored
//! for the lookup. A model the table does not know has no price (its cost is
//! *unknown*, never 0) and an assumed window of [`FALLBACK_WINDOW`] tokens.
//!
//! Prices are list prices in USD per million tokens as published by the
//! providers in 2025; they drift, so the config file is the place to correct
//! them.

use serde::{Deserialize, Serialize};

/// Context window assumed for a model that neither the table nor the config
/// knows: small on purpose, so an unknown model fails early and clearly
/// rather than at the provider.
pub const FALLBACK_WINDOW: u64 = 32_768;

/// Facts about one model; every field is optional so a config entry can
/// override just one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    /// USD per million input tokens.
    pub input_per_million: Option<f64>,
    /// USD per million input tokens read from the provider's prompt cache
    /// (the input price when unknown).
    pub cached_input_per_million: Option<f64>,
    /// USD per million input tokens written to the prompt cache (Anthropic
    /// charges more for them; the input price when unknown).
    pub cache_write_per_million: Option<f64>,
    /// USD per million output tokens.
    pub output_per_million: Option<f64>,
    /// Context window in tokens (input and reply together).
    pub context_window: Option<u64>,
    /// Longest input the provider accepts, when it is less than the window
    /// minus the reply (GPT-5: 272k of a 400k window).
    pub max_input: Option<u64>,
    /// Longest reply the model can give, in tokens.
    pub max_output: Option<u64>,
}

impl ModelInfo {
    /// `self`, with fields that are `None` taken from `base`.
    pub fn or(self, base: ModelInfo) -> ModelInfo {
        ModelInfo {
            input_per_million: self.input_per_million.or(base.input_per_million),
            cached_input_per_million: self
                .cached_input_per_million
                .or(base.cached_input_per_million),
            cache_write_per_million: self
                .cache_write_per_million
                .or(base.cache_write_per_million),
            output_per_million: self.output_per_million.or(base.output_per_million),
            context_window: self.context_window.or(base.context_window),
            max_input: self.max_input.or(base.max_input),
            max_output: self.max_output.or(base.max_output),
        }
    }

    /// Cost in USD of a call with these token counts and no prompt cache;
    /// `None` when either price is unknown.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> Option<f64> {
        self.cost_cached(input_tokens, 0, 0, output_tokens)
    }

    /// Cost in USD of a call of `input_tokens` in all, of which
    /// `cache_read` were read from and `cache_write` written to the prompt
    /// cache; `None` when the input or output price is unknown.
    pub fn cost_cached(
        &self,
        input_tokens: u64,
        cache_read: u64,
        cache_write: u64,
        output_tokens: u64,
    ) -> Option<f64> {
        let i = self.input_per_million?;
        let o = self.output_per_million?;
        let read = self.cached_input_per_million.unwrap_or(i);
        let write = self.cache_write_per_million.unwrap_or(i);
        let plain = input_tokens.saturating_sub(cache_read + cache_write);
        Some(
            (plain as f64 * i
                + cache_read as f64 * read
                + cache_write as f64 * write
                + output_tokens as f64 * o)
                / 1_000_000.0,
        )
    }

    /// The most a call of these counts can cost, whatever the cache does
    /// (all input written to the cache when writes cost more), for budget
    /// reservations.
    pub fn cost_at_most(&self, input_tokens: u64, output_tokens: u64) -> Option<f64> {
        let dearer = self.cache_write_per_million.unwrap_or(0.0) > self.input_per_million?;
        match dearer {
            true => self.cost_cached(input_tokens, 0, input_tokens, output_tokens),
            false => self.cost(input_tokens, output_tokens),
        }
    }

    /// The window in tokens, or [`FALLBACK_WINDOW`] when unknown.
    pub fn window(&self) -> u64 {
        self.context_window.unwrap_or(FALLBACK_WINDOW)
    }
}

/// `(name, input $/M, cached input $/M, cache write $/M, output $/M,
/// window, max input, max output)`. OpenAI writes to its cache at the input
/// price; Anthropic charges 1.25× the input price for a (5-minute) write.
type Row = (
    &'static str,
    f64,
    f64,
    Option<f64>,
    f64,
    u64,
    Option<u64>,
    u64,
);

#[rustfmt::skip]
const TABLE: &[Row] = &[
    // OpenAI
    ("gpt-5", 1.25, 0.125, None, 10.0, 400_000, Some(272_000), 128_000),
    ("gpt-5-mini", 0.25, 0.025, None, 2.0, 400_000, Some(272_000), 128_000),
    ("gpt-5-nano", 0.05, 0.005, None, 0.40, 400_000, Some(272_000), 128_000),
    ("gpt-4.1", 2.0, 0.50, None, 8.0, 1_047_576, None, 32_768),
    ("gpt-4.1-mini", 0.40, 0.10, None, 1.60, 1_047_576, None, 32_768),
    ("gpt-4.1-nano", 0.10, 0.025, None, 0.40, 1_047_576, None, 32_768),
    ("gpt-4o", 2.50, 1.25, None, 10.0, 128_000, None, 16_384),
    ("gpt-4o-mini", 0.15, 0.075, None, 0.60, 128_000, None, 16_384),
    ("o3", 2.0, 0.50, None, 8.0, 200_000, None, 100_000),
    ("o4-mini", 1.10, 0.275, None, 4.40, 200_000, None, 100_000),
    // Anthropic
    ("claude-opus-4", 15.0, 1.50, Some(18.75), 75.0, 200_000, None, 32_000),
    ("claude-opus-4-1", 15.0, 1.50, Some(18.75), 75.0, 200_000, None, 32_000),
    ("claude-opus-4-5", 5.0, 0.50, Some(6.25), 25.0, 200_000, None, 64_000),
    ("claude-sonnet-4", 3.0, 0.30, Some(3.75), 15.0, 200_000, None, 64_000),
    ("claude-sonnet-4-5", 3.0, 0.30, Some(3.75), 15.0, 200_000, None, 64_000),
    ("claude-3-7-sonnet", 3.0, 0.30, Some(3.75), 15.0, 200_000, None, 64_000),
    ("claude-haiku-4-5", 1.0, 0.10, Some(1.25), 5.0, 200_000, None, 64_000),
    ("claude-3-5-haiku", 0.80, 0.08, Some(1.0), 4.0, 200_000, None, 8_192),
];

/// The built-in facts for `model`, or all-`None` when the table does not
/// know it (see the module doc for how names match).
pub fn builtin(model: &str) -> ModelInfo {
    let name = model.rsplit('/').next().unwrap_or(model);
    TABLE
        .iter()
        .filter(|row| matches_entry(name, row.0))
        .max_by_key(|row| row.0.len())
        .map(
            |&(_, i, cached, write, o, window, max_input, max_output)| ModelInfo {
                input_per_million: Some(i),
                cached_input_per_million: Some(cached),
                cache_write_per_million: write,
                output_per_million: Some(o),
                context_window: Some(window),
                max_input,
                max_output: Some(max_output),
            },
        )
        .unwrap_or_default()
}

/// Whether `name` is `entry` or `entry-<suffix>`.
fn matches_entry(name: &str, entry: &str) -> bool {
    match name.strip_prefix(entry) {
        Some(rest) => rest.is_empty() || rest.starts_with('-'),
        None => false,
    }
}

/// Which tiktoken encoding approximates a model's tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `o200k_base`: GPT-4o, GPT-4.1, GPT-5, o-series, gpt-oss.
    O200k,
    /// `cl100k_base`: older OpenAI models, and the stand-in for every other
    /// vendor's tokenizer (an approximation; see [`crate::llm::tokens`]).
    Cl100k,
}

impl Encoding {
    /// The encoding for a model name.
    pub fn for_model(model: &str) -> Encoding {
        let name = model.rsplit('/').next().unwrap_or(model);
        let o200k = [
            "gpt-4o",
            "chatgpt-4o",
            "gpt-4.1",
            "gpt-4.5",
            "gpt-5",
            "gpt-oss",
            "o1",
            "o3",
            "o4",
        ];
        if o200k.iter().any(|p| name.starts_with(p)) {
            Encoding::O200k
        } else {
            Encoding::Cl100k
        }
    }

    /// Whether counts in this encoding are exact for `model` (an OpenAI
    /// model) rather than an approximation of another vendor's tokenizer.
    pub fn is_exact_for(model: &str) -> bool {
        let name = model.rsplit('/').next().unwrap_or(model);
        ["gpt-", "chatgpt-", "o1", "o3", "o4"]
            .iter()
            .any(|p| name.starts_with(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_entry_wins_and_dates_match() {
        assert_eq!(
            builtin("gpt-4o-mini-2024-07-18").input_per_million,
            Some(0.15)
        );
        assert_eq!(builtin("gpt-4o-2024-08-06").input_per_million, Some(2.5));
        assert_eq!(
            builtin("claude-sonnet-4-5-20250929").input_per_million,
            Some(3.0)
        );
        assert_eq!(builtin("openai/gpt-5-mini").output_per_million, Some(2.0));
        assert_eq!(builtin("gpt-5.1"), ModelInfo::default());
        assert_eq!(builtin("gpt-4omni"), ModelInfo::default());
        assert_eq!(builtin("gpt-4o-minimal").input_per_million, Some(2.5));
        assert_eq!(builtin("mock-small").window(), FALLBACK_WINDOW);
    }

    #[test]
    fn unknown_price_is_none_never_zero() {
        assert_eq!(builtin("my-local-model").cost(1000, 1000), None);
        let c = builtin("gpt-4o").cost(1_000_000, 0).unwrap();
        assert!((c - 2.5).abs() < 1e-9);
    }

    #[test]
    fn encodings() {
        assert_eq!(Encoding::for_model("gpt-5-mini"), Encoding::O200k);
        assert_eq!(Encoding::for_model("gpt-4-turbo"), Encoding::Cl100k);
        assert_eq!(Encoding::for_model("claude-haiku-4-5"), Encoding::Cl100k);
        assert!(!Encoding::is_exact_for("claude-haiku-4-5"));
    }
}
