//! Grouped search of patterns whose every match starts a line, a line at a
//! time.
//!
//! The usual grouped search finds each match's end with the lazy DFA, then
//! runs an engine over the match again for its groups. For a pattern such
//! as `^Date: (\S+) \|\| User: (\d+) .* Label: (\w+)$`, whose every match
//! starts a line and stays on it, the character program of
//! [`super::backtrack`] does both in one pass: run from a line's start, it
//! finds whether a match starts there, where it ends and its groups. When
//! most lines match (rows of a table, records of a log), that reads each
//! line once instead of twice.
//!
//! A line where no match starts hands over to the usual search, which finds
//! the next match from there with the DFA (so lines that do not match are
//! skipped as fast as before); so does a line where the program gives up.
//! Chunks are cut at line starts and walked in parallel, in ordered waves
//! until `max` matches are in. No match crosses a line, so a chunk's matches
//! are exactly those a sequential iteration finds in it.
//!
//! `tests/it/search_equivalence.rs` checks the walk, at many chunk sizes,
//! against the sequential search (which does not walk) and the regex crate.

use rayon::prelude::*;

use super::backtrack::Outcome;
use super::driver::{chunk_size, plan, Mode, LARGE_MAX};
use super::group_table::GroupTable;
use super::matcher::{Matcher, Searcher};

/// Matches and their groups' slots (two a group, in match order).
#[derive(Default)]
struct Walked {
    spans: Vec<(usize, usize)>,
    slots: Vec<usize>,
}

/// The matches of `m` over `hay` (the first `max`) and their groups, or `None` when the walk does not apply: the pattern does not
/// [walk lines](Matcher::walks_lines), the mode is the sequential reference,
/// or `max` is small in the automatic mode (whose waves then read as little
/// of the haystack as they can).
pub(crate) fn find_grouped(
    hay: &[u8],
    m: &Matcher,
    max: Option<usize>,
    mode: Mode,
) -> Option<(Vec<(usize, usize)>, GroupTable)> {
    let max = max.unwrap_or(usize::MAX);
    let applies = m.walks_lines()
        && match mode {
            Mode::Sequential => false,
            Mode::Chunked(_) => true,
            Mode::Auto => max >= LARGE_MAX,
        };
    if !applies {
        return None;
    }
    let width = 2 * m.group_count();
    let threads = rayon::current_num_threads().max(1);
    let size = chunk_size(hay.len(), mode, 4).unwrap_or(usize::MAX);
    let wave = if max == usize::MAX {
        usize::MAX
    } else {
        threads.max(2)
    };
    let mut all = Walked::default();
    let mut from = 0;
    while all.spans.len() < max {
        let chunks = match hay.is_empty() {
            // The empty haystack is one empty line.
            true if from == 0 => vec![(0, 1)],
            _ => plan(hay, from, size, wave),
        };
        let Some(&(_, end)) = chunks.last() else {
            break;
        };
        // One chunk (a small haystack) is walked here: handing it to the
        // pool would cost more than the walk.
        let walked: Vec<Walked> = match chunks.as_slice() {
            [chunk] => vec![walk(&mut m.searcher(), hay, *chunk, width, max)],
            _ => chunks
                .par_iter()
                .map_init(|| m.searcher(), |s, &chunk| walk(s, hay, chunk, width, max))
                .collect(),
        };
        // Room for the wave at once: growing by doubling would copy what
        // is already in, into fresh pages, about once more in all.
        all.spans
            .reserve(walked.iter().map(|w| w.spans.len()).sum());
        all.slots
            .reserve(walked.iter().map(|w| w.slots.len()).sum());
        for w in walked {
            all.spans.extend(w.spans);
            all.slots.extend(w.slots);
        }
        if end > hay.len() {
            break;
        }
        from = end;
    }
    all.spans.truncate(max);
    all.slots.truncate(max.saturating_mul(width));
    Some((all.spans, GroupTable::new(all.slots, m.group_count())))
}

/// The matches (at most `max`) that start in the chunk `start..end` (which
/// starts a line; the last chunk's end is past the haystack's), a line at
/// a time.
fn walk(
    s: &mut Searcher<'_>,
    hay: &[u8],
    (start, end): (usize, usize),
    width: usize,
    max: usize,
) -> Walked {
    let mut w = Walked::default();
    let mut row = vec![0; width];
    let cap = end.min(hay.len());
    let mut line = start;
    while line < end && w.spans.len() < max {
        let line_end = memchr::memchr(b'\n', &hay[line..]).map_or(hay.len(), |i| line + i);
        let found = match s.line_match(hay, line, line_end, &mut row) {
            Outcome::Match(e) => (line, e),
            Outcome::NoMatch | Outcome::GaveUp => match s.find(hay, line, cap) {
                Some(m) if m.0 < end => {
                    s.groups(hay, m.0, m.1, &mut row);
                    m
                }
                _ => break,
            },
        };
        w.spans.push(found);
        w.slots.extend_from_slice(&row);
        match memchr::memchr(b'\n', &hay[found.1..]) {
            Some(i) => line = found.1 + i + 1,
            None => break,
        }
    }
    w
}
