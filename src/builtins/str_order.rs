//! The sorted order of strings, found a few words at a time.
//!
//! A comparison sort of strings spends its time in `memcmp` on strings
//! scattered over the heap and the context: lines of one format share long
//! stretches (`" || User: "`), so most comparisons read two cold strings
//! well past their first bytes. Here each string is instead represented by
//! a window of 24 of its bytes, read as big-endian words (word order is
//! byte order), and by how many bytes the window holds. The entries are
//! sorted by window; each run of entries whose windows are equal and full
//! is then sorted again by the next window; when a window tells none of a
//! run apart, whatever else its strings all share is skipped (so a run of
//! equal strings costs two passes, not one per window). A comparison reads
//! entries that sit side by side in one array, and a string's bytes are
//! read once per window it needs: for most, the first, read in order.
//!
//! Byte order is code point order for UTF-8, the order `sort` defines for
//! strings. The order is stable: entries that stay equal to the end keep
//! the order of their indexes, in either direction.

use rayon::prelude::*;

/// Entries at or above which the first sort runs on the thread pool.
const PARALLEL: usize = 1 << 15;

/// Words in a window: the first pass reads the strings in their own order
/// (the lines of a text, front to back), each later pass at random, so the
/// first window is wide enough to settle most strings (a date, a field
/// name and a number: `22-02-26 || User: 55710 `).
const WORDS: usize = 3;

/// Bytes in a window.
const WIDE: usize = WORDS * 8;

/// How many bytes a window holds, as stored for a reverse sort (more
/// bytes rank lower).
const HELD_FLIP: u64 = 0x1F;

/// One string's place in the sort: its rank at the current depth, ordered
/// field by field as one number would be.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    /// The window (inverted for a reverse sort).
    window: [u64; WORDS],
    /// How many bytes the window holds (inverted for a reverse sort) above
    /// the string's index (never inverted: ties keep their order).
    held_idx: u64,
}

impl Entry {
    /// The entry of string `idx`, `s`, at byte `depth`.
    #[inline]
    fn at(s: &[u8], depth: usize, idx: usize, reverse: bool) -> Entry {
        let rest = s.get(depth..).unwrap_or_default();
        let flip = if reverse { u64::MAX } else { 0 };
        let mut window = [0u64; WORDS];
        for (k, w) in window.iter_mut().enumerate() {
            let part = rest.get(k * 8..).unwrap_or_default();
            *w = flip
                ^ match part.first_chunk::<8>() {
                    Some(bytes) => u64::from_be_bytes(*bytes),
                    None => {
                        let mut buf = [0u8; 8];
                        buf[..part.len()].copy_from_slice(part);
                        u64::from_be_bytes(buf)
                    }
                };
        }
        let held = rest.len().min(WIDE) as u64;
        Entry {
            window,
            held_idx: ((held ^ (flip & HELD_FLIP)) << 32) | idx as u64,
        }
    }

    #[inline]
    fn idx(&self) -> usize {
        (self.held_idx & u64::from(u32::MAX)) as usize
    }

    /// Whether `self` and `other` are equal as far as their windows go and
    /// both windows are full (so the strings go on and may still differ).
    #[inline]
    fn tied_and_full(&self, other: &Entry, reverse: bool) -> bool {
        let full = if reverse {
            WIDE as u64 ^ HELD_FLIP
        } else {
            WIDE as u64
        };
        self.window == other.window && self.held_idx >> 32 == full && other.held_idx >> 32 == full
    }
}

/// The indexes of `strs` in sorted order (descending when `reverse`), or
/// `None` when there are too many strings to index with 32 bits.
pub fn str_order(strs: &[&[u8]], reverse: bool) -> Option<Vec<usize>> {
    if strs.len() > u32::MAX as usize {
        return None;
    }
    let depth = shared_prefix(strs);
    let mut entries: Vec<Entry> = if strs.len() >= PARALLEL {
        strs.par_iter()
            .enumerate()
            .map(|(i, s)| Entry::at(s, depth, i, reverse))
            .collect()
    } else {
        strs.iter()
            .enumerate()
            .map(|(i, s)| Entry::at(s, depth, i, reverse))
            .collect()
    };
    if entries.len() >= PARALLEL {
        entries.par_sort_unstable();
        let runs = tied_runs(&mut entries, reverse);
        runs.into_par_iter()
            .for_each(|run| refine(run, strs, depth + WIDE, reverse));
    } else {
        entries.sort_unstable();
        for run in tied_runs(&mut entries, reverse) {
            refine(run, strs, depth + WIDE, reverse);
        }
    }
    Some(entries.iter().map(Entry::idx).collect())
}

/// The runs of two or more entries of sorted `entries` whose windows are
/// equal and full, as disjoint slices.
fn tied_runs(entries: &mut [Entry], reverse: bool) -> Vec<&mut [Entry]> {
    let mut runs = Vec::new();
    let mut rest = entries;
    while rest.len() > 1 {
        let len = 1 + rest[1..]
            .iter()
            .take_while(|e| e.tied_and_full(&rest[0], reverse))
            .count();
        let (run, after) = rest.split_at_mut(len);
        if len > 1 {
            runs.push(run);
        }
        rest = after;
    }
    runs
}

/// Sorts `run`, entries that tie up to byte `depth`, by the bytes from
/// there on; runs that still tie are sorted in turn (a work list, not
/// recursion: a run of long strings that differ late goes many levels).
fn refine(run: &mut [Entry], strs: &[&[u8]], depth: usize, reverse: bool) {
    let mut work = vec![(run, depth)];
    while let Some((run, depth)) = work.pop() {
        // Each load is independent of the others, so the processor waits
        // for many cold strings at once.
        for e in run.iter_mut() {
            *e = Entry::at(strs[e.idx()], depth, e.idx(), reverse);
        }
        run.sort_unstable();
        let len = run.len();
        let ties = tied_runs(run, reverse);
        let next = match &ties[..] {
            // Nothing told apart: skip all the run shares (its strings are
            // in the cache now) rather than a window a pass.
            [whole] if whole.len() == len => {
                depth + WIDE + shared_from(whole.iter().map(|e| strs[e.idx()]), depth + WIDE)
            }
            _ => depth + WIDE,
        };
        work.extend(ties.into_iter().map(|r| (r, next)));
    }
}

/// How many bytes all of `strs` begin with.
fn shared_prefix(strs: &[&[u8]]) -> usize {
    shared_from(strs.iter().copied(), 0)
}

/// How many bytes from `depth` on all of `strs` share.
fn shared_from<'s>(mut strs: impl Iterator<Item = &'s [u8]>, depth: usize) -> usize {
    let Some(first) = strs.next() else {
        return 0;
    };
    let first = first.get(depth..).unwrap_or_default();
    strs.fold(first.len(), |n, s| {
        let s = s.get(depth..).unwrap_or_default();
        let n = n.min(s.len());
        if first[..n] == s[..n] {
            return n;
        }
        first[..n]
            .iter()
            .zip(s)
            .position(|(a, b)| a != b)
            .unwrap_or(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order a stable comparison sort gives.
    fn by_comparison(strs: &[&[u8]], reverse: bool) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..strs.len()).collect();
        idx.sort_by(|&a, &b| {
            let o = strs[a].cmp(strs[b]);
            if reverse {
                o.reverse()
            } else {
                o
            }
        });
        idx
    }

    fn agrees(strs: &[&[u8]]) {
        for reverse in [false, true] {
            assert_eq!(
                str_order(strs, reverse).unwrap(),
                by_comparison(strs, reverse),
                "reverse={reverse} {strs:?}"
            );
        }
    }

    #[test]
    fn prefixes_zero_bytes_and_ties_sort_as_bytes_do() {
        let strs: Vec<&[u8]> = vec![
            b"x\0",
            b"x",
            b"",
            b"x\0\x01",
            b"abcdefgh",
            b"abcdefg",
            b"abcdefghi",
            b"x",
            b"abcdefgh",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff",
            b"\xff\xff\xff\xff\xff\xff\xff\xff",
            "é".as_bytes(),
            b"",
        ];
        agrees(&strs);
    }

    #[test]
    fn lines_of_one_format_that_differ_late_or_not_at_all() {
        let owned: Vec<String> = (0..3000)
            .map(|i| {
                format!(
                    "Date: 2023-01-{:02} || User: {} || {}",
                    i % 7,
                    "0".repeat(40),
                    (i * 7919) % 113
                )
            })
            .collect();
        let strs: Vec<&[u8]> = owned.iter().map(|s| s.as_bytes()).collect();
        agrees(&strs);
        let same = vec![&b"the same long line, again and again"[..]; 500];
        agrees(&same);
    }

    #[test]
    fn random_strings_over_few_bytes_agree_with_a_comparison_sort() {
        // Few distinct bytes, many lengths: ties, prefixes and zero bytes
        // at every depth, in runs large enough for the parallel path.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let owned: Vec<Vec<u8>> = (0..PARALLEL + 5000)
            .map(|_| {
                let len = (next() % 21) as usize;
                (0..len)
                    .map(|_| [0u8, 1, b'a', 0xff][(next() % 4) as usize])
                    .collect()
            })
            .collect();
        let strs: Vec<&[u8]> = owned.iter().map(|s| &s[..]).collect();
        agrees(&strs);
        agrees(&strs[..300]);
    }

    #[test]
    fn no_strings_and_one() {
        agrees(&[]);
        agrees(&[b"only"]);
    }
}
