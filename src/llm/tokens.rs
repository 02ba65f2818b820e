//! Token counting before a request is sent.
//!
//! Counts use OpenAI's byte-pair encodings, `o200k_base` for GPT-4o/4.1/5
//! and the o-series and `cl100k_base` otherwise, through `bpe-openai`: the
//! same tokens as tiktoken, several times faster, and linear in the text
//! even inside one very long pre-token. For OpenAI models the counts are
//! exact (up to a few tokens of chat framing, [`FRAMING_TOKENS`]); for other
//! vendors (Claude, local models) they are an **approximation**, raised by
//! [`FOREIGN_MARGIN`] because those tokenizers usually need more tokens than
//! cl100k for the same text.
//!
//! Counting costs time, so it is done only where it can change something:
//! - a token is at least one byte, so a text of `n` bytes has at most
//!   [`upper_bound`] tokens, and a text whose bound fits a limit fits it
//!   without being counted;
//! - a count against a limit ([`count_within`]) stops as soon as the limit
//!   is passed, so a text of a gigabyte is refused after reading about
//!   `limit` tokens of it;
//! - the encodings are loaded on first use (a few tens of milliseconds),
//!   never at start-up;
//! - a text a `map`'s pre-check counted ([`count_within_kept`]) is not
//!   counted again by the call that sends it ([`count_within_after`]).
//!
//! The counting itself is [`super::counter`]'s.

use super::counter;
use super::known_counts;
use super::models::Encoding;

/// Tokens the chat format adds around the messages (role markers, priming).
pub const FRAMING_TOKENS: u64 = 16;

/// Factor applied to counts for models whose tokenizer is not OpenAI's.
pub const FOREIGN_MARGIN: f64 = 1.1;

/// The factor by which raw counts are raised for `model`.
fn margin(model: &str) -> f64 {
    if Encoding::is_exact_for(model) {
        1.0
    } else {
        FOREIGN_MARGIN
    }
}

/// Tokens in `text` for `model`, without chat framing, margin included for
/// non-OpenAI models.
pub fn count(model: &str, text: &str) -> u64 {
    let raw = count_raw(Encoding::for_model(model), text);
    (raw as f64 * margin(model)).ceil() as u64
}

/// Tokens in `text` with `encoding`, no margin.
pub fn count_raw(encoding: Encoding, text: &str) -> u64 {
    counter::count(encoding, text)
}

/// The most tokens [`count`] can give for a text of `bytes` bytes, known
/// without counting: its length (margin included).
pub fn upper_bound(model: &str, bytes: usize) -> u64 {
    (bytes as f64 * margin(model)).ceil() as u64
}

/// [`count`] when it is at most `limit`, `None` when it is more; reads no
/// further than needed to know.
pub fn count_within(model: &str, text: &str, limit: u64) -> Option<u64> {
    within(model, limit, |encoding, raw_limit| {
        counter::count_within(encoding, text, raw_limit)
    })
}

/// [`count_within`], keeping the count of `text` for the call that will
/// send it ([`count_within_after`]).
pub fn count_within_kept(model: &str, text: &str, limit: u64) -> Option<u64> {
    within(model, limit, |encoding, raw_limit| {
        let raw = counter::count_within(encoding, text, raw_limit)?;
        known_counts::keep(encoding, text, raw);
        Some(raw)
    })
}

/// [`count_within`] of `message`, whose part from byte `at` on may be a
/// text [`count_within_kept`] counted: that part's count is taken from
/// there when `at` is a pre-token boundary, so only the part before is
/// counted.
pub fn count_within_after(model: &str, message: &str, at: usize, limit: u64) -> Option<u64> {
    let Some((head, tail)) = message.split_at_checked(at) else {
        return count_within(model, message, limit);
    };
    within(model, limit, |encoding, raw_limit| {
        let known = known_counts::take(encoding, tail)
            .filter(|_| counter::boundary_at(encoding, message, at));
        match known {
            Some(tail) => {
                let head = counter::count_within(encoding, head, raw_limit)?;
                Some(head + tail).filter(|n| *n <= raw_limit)
            }
            None => counter::count_within(encoding, message, raw_limit),
        }
    })
}

/// A count against `limit` of `model`'s tokens, from `raw` counting
/// against the limit without the margin.
fn within(model: &str, limit: u64, raw: impl FnOnce(Encoding, u64) -> Option<u64>) -> Option<u64> {
    let m = margin(model);
    let raw_limit = (limit as f64 / m).floor() as u64;
    let raw = raw(Encoding::for_model(model), raw_limit)?;
    Some((raw as f64 * m).ceil() as u64)
}

/// Texts longer than this are estimated by [`estimate`] from their first
/// this-many bytes.
const SAMPLE_BYTES: usize = 8 << 20;

/// [`count`], exact up to [`SAMPLE_BYTES`] and extrapolated by length
/// beyond: for the sizes quoted in messages about texts too large to send.
pub fn estimate(model: &str, text: &str) -> u64 {
    if text.len() <= SAMPLE_BYTES {
        return count(model, text);
    }
    let mut end = SAMPLE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = count(model, &text[..end]);
    (sample as f64 * text.len() as f64 / end as f64).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts of every kind the counts must agree on: prose, code, numbers,
    /// CJK, emoji, whitespace runs, contractions, mixed scripts.
    fn corpus() -> Vec<String> {
        let mut texts = vec![
            "The quick brown fox jumps over the lazy dog. ".repeat(200),
            "fn main() {\n    let x = vec![1, 2, 3];\n    println!(\"{x:?}\");\n}\n".repeat(50),
            "1234567890 3.14159 -42 1e10 0xdeadbeef\n".repeat(100),
            "東京都は日本の首都です。人口は約1400万人。".repeat(100),
            "emoji 🎉🚀 mixed Ünïcödé Ωμέγα русский текст\t\ttabs".repeat(80),
            "   leading spaces\n\n\n\nmany newlines  \n \n trailing   ".repeat(60),
            "I'm sure they'll say it's THE BEST, we've seen y'all DON'T.".repeat(60),
            "a".repeat(5000) + &" ".repeat(3000) + &"\n".repeat(500),
            String::new(),
        ];
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let alphabet: Vec<char> = "ab cd\nef.,!é東🎉0123'\t-_/".chars().collect();
        for len in [1, 7, 64, 999, 20_000] {
            texts.push(super::super::counter::random_text(&mut x, &alphabet, len));
        }
        texts
    }

    #[test]
    fn counts_equal_tiktoken_on_a_corpus() {
        let o200k = tiktoken_rs::o200k_base_singleton();
        let cl100k = tiktoken_rs::cl100k_base_singleton();
        for text in corpus() {
            let want = o200k.encode_ordinary(&text).len() as u64;
            assert_eq!(
                count("gpt-4o", &text),
                want,
                "o200k on {:?}",
                &text[..text.len().min(40)]
            );
            let want = cl100k.encode_ordinary(&text).len() as u64;
            assert_eq!(
                count("gpt-4", &text),
                want,
                "cl100k on {:?}",
                &text[..text.len().min(40)]
            );
        }
    }

    #[test]
    fn count_within_stops_at_the_limit() {
        let text = "hello world ".repeat(1000);
        let n = count("gpt-4o", &text);
        assert_eq!(count_within("gpt-4o", &text, n), Some(n));
        assert_eq!(count_within("gpt-4o", &text, n - 1), None);
        let m = count("claude-haiku-4-5", &text);
        assert_eq!(count_within("claude-haiku-4-5", &text, m), Some(m));
        assert_eq!(count_within("claude-haiku-4-5", &text, m - 1), None);
    }

    #[test]
    fn a_kept_count_stands_in_for_the_text_of_a_message() {
        let prompts = ["Summarize.", "Count: ", "Look at this\n", "x/", "a"];
        let texts = [
            "Plain words follow here.",
            "\n\nleading newlines",
            "   leading spaces then words",
            "/path/like text",
            "'s a contraction",
            "123 numbers",
            "東京 text",
        ];
        for model in ["gpt-4o", "gpt-4", "claude-haiku-4-5"] {
            for prompt in prompts {
                for text in texts {
                    let message = format!("{prompt}\n\n{text}");
                    let at = message.len() - text.len();
                    let whole = count_within(model, &message, 10_000);
                    assert!(count_within_kept(model, text, 10_000).is_some());
                    assert_eq!(
                        count_within_after(model, &message, at, 10_000),
                        whole,
                        "{message:?}"
                    );
                    let n = whole.unwrap();
                    count_within_kept(model, text, 10_000);
                    assert_eq!(count_within_after(model, &message, at, n - 1), None);
                }
            }
        }
    }

    #[test]
    fn the_byte_bound_is_never_below_the_count() {
        for text in corpus() {
            assert!(upper_bound("gpt-4o", text.len()) >= count("gpt-4o", &text));
            let m = "claude-haiku-4-5";
            assert!(upper_bound(m, text.len()) >= count(m, &text));
        }
    }

    #[test]
    fn foreign_models_get_a_margin() {
        let text = "hello world ".repeat(100);
        assert!(count("claude-haiku-4-5", &text) > count("gpt-4", &text));
    }
}
