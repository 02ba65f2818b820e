//! The token counter behind [`super::tokens`]: OpenAI's byte-pair
//! encodings from `bpe-openai`, driven by a pre-tokenizer of our own.
//!
//! `bpe-openai` splits a text with a regex that takes its search cache from
//! a pool shared by all threads, once per pre-token; with many threads
//! counting at once most of the time went to that pool and to allocating
//! caches. Here each thread keeps its own cache, and a small memo of the
//! counts of short pre-tokens it met (a word recurs thousands of times in a
//! long text, and its byte-pair encoding is the costly part). The regex is
//! `bpe-openai`'s (the same patterns, the same one-character look-ahead
//! emulation), so the pre-tokens, and the counts, are the same; a test in
//! [`super::tokens`] compares them with tiktoken on a corpus. On ASCII
//! text the regex is not even run: [`ascii_pretoken`] finds the same
//! pre-tokens by hand, several times faster.
//!
//! A text's pre-tokens from any pre-token boundary on depend on nothing
//! before it (the patterns look ahead, never behind), so the count of a
//! text split at such a boundary is the sum of its parts' counts
//! ([`boundary_at`]).

use std::cell::RefCell;
use std::sync::LazyLock;

use bpe_openai::byte_pair_encoding::BytePairEncoding;
use regex_automata::meta::{Cache, Regex};
use regex_automata::{Anchored, Input};

use super::ascii_pretoken;
use super::models::Encoding;

/// Longest pre-token whose count is memoised.
const MEMO_BYTES: usize = 16;

/// Slots of a thread's memo per encoding (a power of two).
const MEMO_SLOTS: usize = 1 << 16;

/// The pattern of `bpe-openai` 0.3 that is a look-ahead one: its match ends
/// with one character that is not part of the pre-token.
const LOOKAHEAD_PATTERN: usize = 1;

/// `bpe-openai`'s `cl100k_base` pre-tokenizing patterns.
fn cl100k_patterns() -> [String; 3] {
    [
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+$".into(),
        "\\s+\\s".into(),
        "\\s+".into(),
    ]
}

/// `bpe-openai`'s `o200k_base` pre-tokenizing patterns.
fn o200k_patterns() -> [String; 3] {
    [
        [
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "\\p{N}{1,3}",
            " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
            "\\s*[\\r\\n]+",
            "\\s+$",
        ]
        .join("|"),
        "\\s+\\s".into(),
        "\\s+".into(),
    ]
}

fn build(patterns: [String; 3]) -> Regex {
    Regex::new_many(&patterns).expect("the pre-tokenizing patterns are valid")
}

static CL100K: LazyLock<Regex> = LazyLock::new(|| build(cl100k_patterns()));
static O200K: LazyLock<Regex> = LazyLock::new(|| build(o200k_patterns()));

fn index(encoding: Encoding) -> usize {
    match encoding {
        Encoding::O200k => 0,
        Encoding::Cl100k => 1,
    }
}

fn regex(encoding: Encoding) -> &'static Regex {
    match encoding {
        Encoding::O200k => &O200K,
        Encoding::Cl100k => &CL100K,
    }
}

fn bpe(encoding: Encoding) -> &'static BytePairEncoding {
    match encoding {
        Encoding::O200k => &bpe_openai::o200k_base().bpe,
        Encoding::Cl100k => &bpe_openai::cl100k_base().bpe,
    }
}

/// One memoised pre-token: its bytes (zero-padded), length (0: empty slot)
/// and count.
#[derive(Clone, Copy, Default)]
struct Slot {
    bytes: [u8; MEMO_BYTES],
    len: u8,
    count: u8,
}

/// A thread's state for one encoding.
struct Scratch {
    cache: Cache,
    memo: Box<[Slot]>,
}

impl Scratch {
    fn new(encoding: Encoding) -> Scratch {
        Scratch {
            cache: regex(encoding).create_cache(),
            memo: vec![Slot::default(); MEMO_SLOTS].into_boxed_slice(),
        }
    }

    /// Calls `f` with each pre-token of `text` in order, until it returns
    /// `false`. ASCII stretches are split by hand ([`ascii_pretoken`]),
    /// the rest by the regex.
    fn split<'t>(
        &mut self,
        encoding: Encoding,
        text: &'t str,
        mut f: impl FnMut(&mut Self, &'t str) -> bool,
    ) {
        let o200k = encoding == Encoding::O200k;
        let mut last = 0;
        while last < text.len() {
            let rest = &text[last..];
            let len = match ascii_pretoken::pretoken(rest.as_bytes(), o200k) {
                Some(len) => len,
                None => match self.regex_pretoken(encoding, rest) {
                    Some(len) => len,
                    None => break,
                },
            };
            let piece = &rest[..len];
            last += len;
            if !f(self, piece) {
                break;
            }
        }
    }

    /// The length of the pre-token at the start of `text` as the regex
    /// finds it (`None`: no match, or an empty one).
    fn regex_pretoken(&mut self, encoding: Encoding, text: &str) -> Option<usize> {
        let input = Input::new(text).anchored(Anchored::Yes);
        let m = regex(encoding).search_with(&mut self.cache, &input)?;
        let mut end = m.end();
        if m.pattern().as_usize() == LOOKAHEAD_PATTERN {
            end -= text[..end].chars().next_back().map_or(0, char::len_utf8);
        }
        (end > 0).then_some(end)
    }

    /// Tokens of one pre-token.
    fn piece(&mut self, bpe: &BytePairEncoding, piece: &[u8]) -> usize {
        if piece.len() > MEMO_BYTES {
            return bpe.count(piece);
        }
        let mut bytes = [0u8; MEMO_BYTES];
        bytes[..piece.len()].copy_from_slice(piece);
        let x = u128::from_le_bytes(bytes);
        let h = (x as u64 ^ ((x >> 64) as u64).rotate_left(29) ^ piece.len() as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = &mut self.memo[(h >> 40) as usize & (MEMO_SLOTS - 1)];
        if usize::from(slot.len) == piece.len() && slot.bytes == bytes {
            return usize::from(slot.count);
        }
        let count = bpe.count(piece);
        *slot = Slot {
            bytes,
            len: piece.len() as u8,
            count: count as u8,
        };
        count
    }
}

thread_local! {
    static SCRATCH: RefCell<[Option<Scratch>; 2]> = const { RefCell::new([None, None]) };
}

/// Runs `f` with this thread's scratch for `encoding` (a fresh one if it is
/// in use further up the stack).
fn with_scratch<T>(encoding: Encoding, f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut all) => f(all[index(encoding)].get_or_insert_with(|| Scratch::new(encoding))),
        Err(_) => f(&mut Scratch::new(encoding)),
    })
}

/// Tokens of `text` with `encoding`.
pub fn count(encoding: Encoding, text: &str) -> u64 {
    let bpe = bpe(encoding);
    with_scratch(encoding, |s| {
        let mut total = 0usize;
        s.split(encoding, text, |s, piece| {
            total += s.piece(bpe, piece.as_bytes());
            true
        });
        total as u64
    })
}

/// Tokens of `text` with `encoding` when they are at most `limit`, `None`
/// when they are more; reads no further than needed to know.
pub fn count_within(encoding: Encoding, text: &str, limit: u64) -> Option<u64> {
    let bpe = bpe(encoding);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    with_scratch(encoding, |s| {
        let mut total = Some(0usize);
        s.split(encoding, text, |s, piece| {
            let Some(left) = total.and_then(|t| limit.checked_sub(t)) else {
                return false;
            };
            // A pre-token longer than what is left may pass it: count it
            // only as far as needed (a token is at least one byte).
            let n = match piece.len() <= left {
                true => Some(s.piece(bpe, piece.as_bytes())),
                false => bpe.count_till_limit(piece.as_bytes(), left),
            };
            total = n.and_then(|n| total.map(|t| t + n)).filter(|t| *t <= limit);
            total.is_some()
        });
        total.map(|t| t as u64)
    })
}

/// Whether a pre-token of `text` ends at byte `at` (or `at` is 0), so that
/// `text[..at]` and `text[at..]` count apart as they count together. Reads
/// `text` only up to the pre-token that reaches `at`.
pub fn boundary_at(encoding: Encoding, text: &str, at: usize) -> bool {
    if at == 0 {
        return true;
    }
    with_scratch(encoding, |s| {
        let mut end = 0;
        s.split(encoding, text, |_, piece| {
            end += piece.len();
            end < at
        });
        end == at
    })
}

/// `len` characters of `alphabet` chosen by a xorshift generator whose
/// state is `x` (tests: deterministic random texts).
#[cfg(test)]
pub(super) fn random_text(x: &mut u64, alphabet: &[char], len: usize) -> String {
    (0..len)
        .map(|_| {
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            alphabet[(*x % alphabet.len() as u64) as usize]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pre-tokens of `text` as the regex alone finds them.
    fn by_regex(encoding: Encoding, text: &str) -> Vec<&str> {
        let mut s = Scratch::new(encoding);
        let mut out = Vec::new();
        let mut last = 0;
        while let Some(len) = s.regex_pretoken(encoding, &text[last..]) {
            out.push(&text[last..last + len]);
            last += len;
        }
        out
    }

    fn by_split(encoding: Encoding, text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        Scratch::new(encoding).split(encoding, text, |_, p| {
            out.push(p);
            true
        });
        out
    }

    #[test]
    fn the_ascii_split_finds_the_regex_pre_tokens() {
        let ascii = "aZbYs t'rRevlLdDmM 09 \t\n\r\x0B\x0C\x1F\x00/.,!-_()\"' ";
        let mixed = format!("{ascii}é\u{a0}\u{17f}\u{301}\u{2028}٣🎉東");
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for (alphabet, all_ascii) in [(ascii.to_string(), true), (mixed, false)] {
            let alphabet: Vec<char> = alphabet.chars().collect();
            for len in (1..30).chain([300, 3000]) {
                for _ in 0..60 {
                    let s = random_text(&mut x, &alphabet, len);
                    for encoding in [Encoding::O200k, Encoding::Cl100k] {
                        let want = by_regex(encoding, &s);
                        assert_eq!(by_split(encoding, &s), want, "{encoding:?} {s:?}");
                        if all_ascii {
                            // ASCII text never needs the regex.
                            let o200k = encoding == Encoding::O200k;
                            let mut at = 0;
                            for p in want {
                                assert_eq!(
                                    ascii_pretoken::pretoken(&s.as_bytes()[at..], o200k),
                                    Some(p.len())
                                );
                                at += p.len();
                            }
                        }
                    }
                }
            }
        }
    }
}
