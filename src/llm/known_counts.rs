//! Token counts of whole texts, kept from a `map`'s pre-check for the
//! calls that send those texts, so that each text is counted once.
//!
//! A count is a function of the encoding and the text alone, so one table
//! serves the whole process. A text is known by its BLAKE3 hash and its
//! length (each piece of a counted `map` is hashed twice, and BLAKE3 reads
//! a long text several times faster than SHA-256); an entry is taken by the
//! first call that asks for it, and the table is emptied when it holds
//! [`MAX_ENTRIES`] (entries a call never took).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use super::models::Encoding;

/// Most entries kept at once.
const MAX_ENTRIES: usize = 4096;

type Key = (Encoding, usize, [u8; 32]);

static KNOWN: LazyLock<Mutex<HashMap<Key, u64>>> = LazyLock::new(Mutex::default);

fn key(encoding: Encoding, text: &str) -> Key {
    (
        encoding,
        text.len(),
        *blake3::hash(text.as_bytes()).as_bytes(),
    )
}

/// Keeps `raw`, the tokens of `text` with `encoding`.
pub fn keep(encoding: Encoding, text: &str, raw: u64) {
    let key = key(encoding, text);
    let mut known = super::lock(&KNOWN);
    if known.len() >= MAX_ENTRIES {
        known.clear();
    }
    known.insert(key, raw);
}

/// The tokens of `text` with `encoding`, if they were kept (and not taken
/// yet); taking them forgets them.
pub fn take(encoding: Encoding, text: &str) -> Option<u64> {
    if super::lock(&KNOWN).is_empty() {
        return None;
    }
    let key = key(encoding, text);
    super::lock(&KNOWN).remove(&key)
}
