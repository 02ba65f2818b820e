//! Token counting before a request is sent.
//!
//! Counts use tiktoken's encodings: `o200k_base` for GPT-4o/4.1/5 and the
//! o-series, `cl100k_base` otherwise. For OpenAI models they are exact (up to
//! a few tokens of chat framing, [`FRAMING_TOKENS`]); for other vendors
//! (Claude, local models) they are an **approximation**, raised by
//! [`FOREIGN_MARGIN`] because those tokenizers usually need more tokens than
//! cl100k for the same text.
//!
//! tiktoken's byte-pair merge is quadratic in the length of one pre-token,
//! and its pre-tokenizer regex can give up on pathological input. So text is
//! counted in segments cut where whitespace follows a word (where tiktoken
//! cuts too, so the count is unchanged for spaces and at most one token off
//! per cut otherwise) and inside any run of whitespace or non-whitespace
//! longer than `RUN_CUT` (64) bytes (again at most one token off per cut), so
//! that no pre-token is long. Counting is then
//! linear in the text; a segment the tokenizer still fails on is estimated
//! at one token per byte, which only ever overstates.

use std::panic::{catch_unwind, AssertUnwindSafe};

use tiktoken_rs::CoreBPE;

use super::models::Encoding;

/// Tokens the chat format adds around the messages (role markers, priming).
pub const FRAMING_TOKENS: u64 = 16;

/// Factor applied to counts for models whose tokenizer is not tiktoken's.
pub const FOREIGN_MARGIN: f64 = 1.1;

/// Segments end at the first word end after this many bytes.
const SOFT_CUT: usize = 1024;

/// A run of whitespace or of non-whitespace is cut after this many bytes.
const RUN_CUT: usize = 64;

fn bpe(encoding: Encoding) -> &'static CoreBPE {
    match encoding {
        Encoding::O200k => tiktoken_rs::o200k_base_singleton(),
        Encoding::Cl100k => tiktoken_rs::cl100k_base_singleton(),
    }
}

/// Loads both encodings now (they take a moment to build), so the first
/// calls of a batch do not each wait for it.
pub fn warm_up() {
    let _ = bpe(Encoding::O200k);
    let _ = bpe(Encoding::Cl100k);
}

/// Texts longer than this are counted from their first this-many bytes and
/// the count scaled up: no model's window holds that much, and a message of
/// a gigabyte must still be refused in about a second.
pub const SAMPLE_BYTES: usize = 16 << 20;

/// Tokens in `text` for `model`, without chat framing, margin included for
/// non-OpenAI models (extrapolated beyond [`SAMPLE_BYTES`]).
pub fn count(model: &str, text: &str) -> u64 {
    let encoding = Encoding::for_model(model);
    let raw = if text.len() > SAMPLE_BYTES {
        let mut end = SAMPLE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let sample = count_raw(encoding, &text[..end]);
        (sample as f64 * text.len() as f64 / end as f64).ceil() as u64
    } else {
        count_raw(encoding, text)
    };
    if Encoding::is_exact_for(model) {
        raw
    } else {
        (raw as f64 * FOREIGN_MARGIN).ceil() as u64
    }
}

/// Tokens in `text` with `encoding`, counted segment by segment.
pub fn count_raw(encoding: Encoding, text: &str) -> u64 {
    let bpe = bpe(encoding);
    segments(text)
        .map(|seg| {
            catch_unwind(AssertUnwindSafe(|| bpe.encode_ordinary(seg).len() as u64))
                .unwrap_or(seg.len() as u64)
        })
        .sum()
}

/// Splits `text` into segments: after [`SOFT_CUT`] bytes at the next place
/// where whitespace follows a non-whitespace character, and anywhere a run
/// of either kind reaches [`RUN_CUT`] bytes, so that no tiktoken pre-token is
/// longer than that.
fn segments(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = rest.len();
        let mut run_start = 0;
        let mut prev_space = None;
        for (i, c) in rest.char_indices() {
            let space = c.is_whitespace();
            if prev_space != Some(space) {
                if prev_space == Some(false) && i >= SOFT_CUT {
                    cut = i;
                    break;
                }
                run_start = i;
            } else if i - run_start >= RUN_CUT {
                cut = i;
                break;
            }
            prev_space = Some(space);
        }
        let (seg, tail) = rest.split_at(cut);
        rest = tail;
        Some(seg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmented_count_matches_whole_count_on_prose() {
        let text = "The quick brown fox jumps over the lazy dog. ".repeat(500);
        let whole = bpe(Encoding::O200k).encode_ordinary(&text).len() as u64;
        assert_eq!(count_raw(Encoding::O200k, &text), whole);
        let whole = bpe(Encoding::Cl100k).encode_ordinary(&text).len() as u64;
        assert_eq!(count_raw(Encoding::Cl100k, &text), whole);
    }

    #[test]
    fn segments_cover_text_on_char_boundaries() {
        let text = format!(
            "{}{}{}",
            "é".repeat(3000),
            " word".repeat(400),
            "x".repeat(5000)
        );
        let joined: String = segments(&text).collect();
        assert_eq!(joined, text);
        assert!(segments(&text).all(|s| !s.is_empty()));
        let longest_run = segments(&text)
            .flat_map(|s| s.split(char::is_whitespace))
            .map(str::len)
            .max()
            .unwrap();
        assert!(longest_run <= RUN_CUT + 4, "{longest_run}");
    }

    #[test]
    fn pathological_runs_are_fast() {
        let text = "a".repeat(2_000_000) + &" ".repeat(1_000_000);
        let t = std::time::Instant::now();
        let n = count("gpt-4o", &text);
        assert!(n > 0);
        assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    }

    #[test]
    fn huge_texts_are_extrapolated() {
        let text = "lorem ipsum dolor sit amet ".repeat(2_000_000);
        let t = std::time::Instant::now();
        let n = count("gpt-4o", &text);
        let exact = count("gpt-4o", &"lorem ipsum dolor sit amet ".repeat(1_000)) * 2_000;
        assert!(n.abs_diff(exact) < exact / 50, "{n} vs {exact}");
        assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    }

    #[test]
    fn foreign_models_get_a_margin() {
        let text = "hello world ".repeat(100);
        assert!(count("claude-haiku-4-5", &text) > count("gpt-4", &text));
    }
}
