//! The mock server's imitation of the providers' prompt caches, so that
//! tests can tell whether requests are built to be cached.
//!
//! Token counts are characters / 4 of the prompt. Like the real caches,
//! nothing under [`MIN_TOKENS`] is cached.
//!
//! - OpenAI-compatible (automatic prefix caching): the prompt is the
//!   request's `messages` as JSON; the cached part is the longest prefix it
//!   shares with an earlier prompt to the same model, in whole blocks of
//!   [`BLOCK_TOKENS`]. A request whose bytes differ early (a reordered key,
//!   an edited old message) gets little or nothing.
//! - Anthropic (explicit breakpoints): the prompt is the system blocks and
//!   the messages' blocks in order; each block with `cache_control` ends a
//!   cacheable prefix. The longest such prefix stored by an earlier request
//!   is read; the longest one of this request is written when it is new;
//!   every prefix of this request is stored.

use std::collections::HashSet;
use std::sync::Mutex;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::server::Protocol;
use crate::llm::lock;

/// Smallest prefix cached, in tokens (the providers' minimum).
pub const MIN_TOKENS: u64 = 1024;
/// OpenAI caches prefixes in steps of this many tokens.
pub const BLOCK_TOKENS: u64 = 128;

/// How a request's input splits, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Split {
    /// The whole input.
    pub total: u64,
    /// Read from the cache.
    pub read: u64,
    /// Written to the cache (Anthropic).
    pub write: u64,
}

/// Prompts seen so far.
#[derive(Debug, Default)]
pub struct PromptCache {
    openai: Mutex<Vec<(String, String)>>,
    anthropic: Mutex<HashSet<[u8; 32]>>,
}

fn tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

impl PromptCache {
    /// Accounts for one request body: how its input splits, and remembers
    /// what a later request could read.
    pub fn account(&self, protocol: Protocol, model: &str, body: &Value) -> Split {
        match protocol {
            Protocol::OpenAi => self.openai(model, body),
            Protocol::Anthropic => self.anthropic(model, body),
        }
    }

    fn openai(&self, model: &str, body: &Value) -> Split {
        let prompt = body
            .get("messages")
            .map(Value::to_string)
            .unwrap_or_default();
        let mut seen = lock(&self.openai);
        let common = seen
            .iter()
            .filter(|(m, _)| m == model)
            .map(|(_, p)| common_prefix(p, &prompt))
            .max()
            .unwrap_or(0);
        let cached = tokens(common) / BLOCK_TOKENS * BLOCK_TOKENS;
        seen.push((model.to_string(), prompt.clone()));
        Split {
            total: tokens(prompt.chars().count()),
            read: if cached >= MIN_TOKENS { cached } else { 0 },
            write: 0,
        }
    }

    fn anthropic(&self, model: &str, body: &Value) -> Split {
        // The prompt as text, with the end of each marked block.
        let mut text = String::new();
        let mut marks = Vec::new();
        let mut add = |role: &str, content: &Value| match content {
            Value::String(s) => text.push_str(&format!("<{role}>{s}")),
            Value::Array(blocks) => {
                for b in blocks {
                    let t = b.get("text").and_then(Value::as_str).unwrap_or("");
                    text.push_str(&format!("<{role}>{t}"));
                    if b.get("cache_control").is_some() {
                        marks.push(text.chars().count());
                    }
                }
            }
            _ => {}
        };
        if let Some(system) = body.get("system") {
            add("system", system);
        }
        for m in body
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let role = m.get("role").and_then(Value::as_str).unwrap_or("");
            if let Some(c) = m.get("content") {
                add(role, c);
            }
        }
        let key = |end: usize| -> [u8; 32] {
            let prefix: String = text.chars().take(end).collect();
            Sha256::digest(format!("{model}\n{prefix}").as_bytes()).into()
        };
        let cacheable: Vec<usize> = marks
            .into_iter()
            .filter(|&end| tokens(end) >= MIN_TOKENS)
            .collect();
        let mut stored = lock(&self.anthropic);
        let read = cacheable
            .iter()
            .rev()
            .find(|&&end| stored.contains(&key(end)))
            .map_or(0, |&end| tokens(end));
        let write = match cacheable.last() {
            Some(&end) if tokens(end) > read => tokens(end) - read,
            _ => 0,
        };
        for &end in &cacheable {
            stored.insert(key(end));
        }
        Split {
            total: tokens(text.chars().count()),
            read,
            write,
        }
    }
}

/// Characters two strings share at their start.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openai_reads_the_shared_prefix_in_blocks() {
        let c = PromptCache::default();
        let long = "x".repeat(8000);
        let one = json!({"messages": [{"role": "system", "content": long}, {"role": "user", "content": "a"}]});
        let two = json!({"messages": [{"role": "system", "content": long}, {"role": "user", "content": "b"}]});
        assert_eq!(c.account(Protocol::OpenAi, "m", &one).read, 0);
        let s = c.account(Protocol::OpenAi, "m", &two);
        assert!(
            s.read >= MIN_TOKENS && s.read % BLOCK_TOKENS == 0 && s.read <= s.total,
            "{s:?}"
        );
        assert_eq!(c.account(Protocol::OpenAi, "other", &two).read, 0);
    }

    #[test]
    fn anthropic_reads_and_writes_at_breakpoints() {
        let c = PromptCache::default();
        let long = "y".repeat(8000);
        let bp = json!({"type": "ephemeral"});
        let sys = json!([{"type": "text", "text": long, "cache_control": bp}]);
        let one = json!({"system": sys, "messages": [{"role": "user", "content": "q"}]});
        let s = c.account(Protocol::Anthropic, "m", &one);
        assert_eq!((s.read, s.write), (0, 2002));
        let s = c.account(Protocol::Anthropic, "m", &one);
        assert_eq!((s.read, s.write), (2002, 0));
        // No breakpoints: nothing cached.
        let plain = json!({"system": long, "messages": [{"role": "user", "content": "q"}]});
        let s = c.account(Protocol::Anthropic, "m", &plain);
        assert_eq!((s.read, s.write), (0, 0));
    }
}
