//! Searching one large haystack on all cores with results identical to one
//! sequential leftmost-first iteration.
//!
//! # How
//!
//! The haystack is cut into chunks at line starts. A worker iterates from
//! its chunk's start as if it were a fresh search, over the *whole*
//! haystack (so look-behind — `^`, `\b` — sees the real bytes before it), and
//! keeps the matches that *start* in its chunk. How far past its chunk a
//! worker may read depends on the matcher's [`Reach`]:
//!
//! - [`Reach::Line`]: no match holds a `\n`, so none that starts in a chunk
//!   (which ends just after a `\n`) can end past it: the worker stops at its
//!   chunk's end.
//! - [`Reach::Bounded`]`(L)`: no match is longer than `L`: the worker may read
//!   `L` bytes past its chunk.
//! - [`Reach::Unbounded`]: the worker reads as far as its last match needs.
//!
//! Within those limits every search gives the same answer as a search over
//! the whole haystack, for the matches that start in the chunk.
//!
//! The merge walks the chunks in order, carrying the true iteration
//! [`State`] (where the sequential search would stand). A worker's list is
//! the true continuation from the first of its matches that the worker
//! reached from a position at or before the true state's position — any
//! later match of an iteration depends only on where the previous one ended.
//! When the previous chunk's last match ran past a boundary, the matches it
//! overlaps are dropped and the true next match is re-derived by a sequential
//! search from the true state, until it coincides with a worker's match
//! again. An empty match right where the true previous match ended is
//! dropped, as the sequential iterator skips it.
//!
//! A worker of an unbounded pattern reads past its chunk until it finds a
//! match that starts after it (or the end), so such patterns get one chunk
//! per thread rather than four: in the worst case (no match at all) the
//! wall time is then that of one sequential scan, never more. What that last
//! search found is exact, so the merge keeps it as the true next match and
//! skips every chunk before it (the inside of a long match, or a stretch
//! without matches) without searching again.
//!
//! Counting workers keep only their first [`HEAD`] matches (enough to get
//! back in step after a crossing match; past that the merge searches the
//! rest of that chunk itself) and find only where later matches end, which
//! spares a regex its reverse scan for the start.
//!
//! With a `max`, chunks are searched in ordered waves of growing size and
//! the search stops once `max` matches are merged, so a small `max` reads
//! little of the file (a large one, such as the memory limit's, starts at
//! the full chunk size).
//!
//! Tests in `tests/it/search_equivalence.rs` run both paths over generated
//! texts with tiny chunks and many patterns.

use rayon::prelude::*;

use super::group_table::GroupTable;
use super::matcher::{Matcher, Reach, Searcher, State};
use super::RawMatch;

/// Haystacks below this are searched sequentially.
const PAR_MIN: usize = 4 << 20;
/// Smallest chunk in the normal plan.
const MIN_CHUNK: usize = 1 << 20;
/// Chunk size of the first wave when a small `max` is given.
const FIRST_WAVE: usize = 256 << 10;
/// A `max` from which the search is expected to read most of the haystack
/// (a bound on memory rather than a request for the first few matches): its
/// waves start at the full chunk size.
pub(super) const LARGE_MAX: usize = 1 << 20;
/// Matches a counting worker keeps for the merge to synchronise on.
const HEAD: usize = 256;

/// How to run a search.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode {
    /// Parallel for large haystacks, sequential for small ones.
    Auto,
    /// One sequential iteration (the reference).
    Sequential,
    /// Parallel with this chunk size, whatever the haystack size (tests).
    Chunked(usize),
}

/// The matches of one chunk, as its worker found them.
struct ChunkHits {
    start: usize,
    /// Matches starting before this belong to the chunk (the last chunk owns
    /// `hay.len()` too, for an empty match at the very end).
    end: usize,
    /// The first matches found (all of them when collecting).
    hits: Vec<(usize, usize)>,
    /// How many matches were found in all.
    total: usize,
    /// Where the last match found ends.
    last_end: Option<usize>,
    /// The worker stopped at its limit; more matches may follow.
    stopped: bool,
    /// The match after the chunk that ended the worker's iteration.
    next: Option<(usize, usize)>,
    /// The worker's last search found nothing up to its cap.
    finished: bool,
}

/// How far a worker or the merge may read for matches starting before `end`.
fn cap_for(len: usize, reach: Reach, end: usize) -> usize {
    let end = end.min(len);
    match reach {
        Reach::Line => end,
        Reach::Bounded(l) => end.saturating_add(l).min(len),
        Reach::Unbounded => len,
    }
}

/// The size of the chunks a haystack of `len` bytes is cut into, about
/// `per_thread` a thread; `None` when it is searched in one sequential
/// iteration (the reference mode, or a small haystack or one thread).
pub(super) fn chunk_size(len: usize, mode: Mode, per_thread: usize) -> Option<usize> {
    let threads = rayon::current_num_threads().max(1);
    match mode {
        Mode::Sequential => None,
        Mode::Chunked(size) => Some(size.max(1)),
        Mode::Auto if len >= PAR_MIN && threads > 1 => {
            Some(MIN_CHUNK.max(len.div_ceil(per_thread * threads)))
        }
        Mode::Auto => None,
    }
}

/// Chunks from `from` of about `size` bytes, cut just after a `\n` (or at the
/// end), at most `count` of them.
pub(super) fn plan(hay: &[u8], from: usize, size: usize, count: usize) -> Vec<(usize, usize)> {
    let len = hay.len();
    let mut out = Vec::new();
    let mut s = from;
    while s < len && out.len() < count {
        let t = s.saturating_add(size.max(1));
        let e = if t >= len {
            len
        } else {
            memchr::memchr(b'\n', &hay[t - 1..]).map_or(len, |i| t + i)
        };
        out.push((s, if e == len { len + 1 } else { e }));
        s = e;
    }
    out
}

fn scan_chunk(
    s: &mut Searcher<'_>,
    hay: &[u8],
    reach: Reach,
    (start, end): (usize, usize),
    store: usize,
    limit: usize,
) -> ChunkHits {
    let cap = cap_for(hay.len(), reach, end);
    let mut c = ChunkHits {
        start,
        end,
        hits: Vec::new(),
        total: 0,
        last_end: None,
        stopped: false,
        next: None,
        finished: false,
    };
    // Takes one match; false ends the worker's iteration.
    let take = |c: &mut ChunkHits, x: (usize, usize)| {
        if x.0 >= end {
            c.next = Some(x);
            return false;
        }
        if c.hits.len() < store {
            c.hits.push(x);
        }
        c.total += 1;
        c.last_end = Some(x.1);
        if c.total >= limit {
            c.stopped = true;
            return false;
        }
        true
    };
    if let Some(finished) = s.each_fixed(hay, start, cap, |x| take(&mut c, x)) {
        c.finished = finished;
        return c;
    }
    let mut st = State::at(start);
    loop {
        if c.hits.len() >= store && limit == usize::MAX {
            // Counting past the kept head: ends are enough, and cheaper.
            let before = st;
            match s.next_end(hay, &mut st, cap) {
                None => {
                    c.finished = true;
                    break;
                }
                Some(e) if e < end => {
                    c.total += 1;
                    c.last_end = Some(e);
                    continue;
                }
                // It may start in the next chunk: find out where it starts.
                Some(_) => st = before,
            }
        }
        let Some(x) = s.next(hay, &mut st, cap) else {
            c.finished = true;
            break;
        };
        if !take(&mut c, x) {
            break;
        }
    }
    c
}

/// Folds chunk results, in order, into the sequential answer.
struct Merger<'h> {
    hay: &'h [u8],
    reach: Reach,
    st: State,
    /// The true next match, when a search already found it past a chunk.
    pending: Option<(usize, usize)>,
    /// No match remains anywhere.
    exhausted: bool,
    max: usize,
    count: usize,
    list: Option<Vec<(usize, usize)>>,
}

impl Merger<'_> {
    fn done(&self) -> bool {
        self.exhausted || self.count >= self.max
    }

    fn emit(&mut self, m: (usize, usize)) {
        if self.count < self.max {
            if let Some(l) = &mut self.list {
                l.push(m);
            }
            self.count += 1;
            self.st = State::after(m);
        }
    }

    fn merge(&mut self, c: &ChunkHits, s: &mut Searcher<'_>) {
        if self.done() {
            return;
        }
        if let Some(p) = self.pending {
            if p.0 >= c.end {
                return;
            }
            self.pending = None;
            self.emit(p);
        }
        if self.st.pos < c.start {
            // Nothing true starts in st.pos..c.start, and the previous match
            // ended before c.start: the chunk's worker started in the true
            // state.
            self.st = State::at(c.start);
        }
        let cap = cap_for(self.hay.len(), self.reach, c.end);
        loop {
            if self.done() || self.st.pos >= c.end {
                return;
            }
            let j = c.hits.partition_point(|h| h.0 < self.st.pos);
            let w = if j == 0 { c.start } else { c.hits[j - 1].1 };
            if w > self.st.pos {
                // The worker's previous match overlaps the true position:
                // re-derive the true next match.
                let mut st = self.st;
                match s.next(self.hay, &mut st, cap) {
                    Some(m) if m.0 < c.end => self.emit(m),
                    other => return self.beyond(other),
                }
                continue;
            }
            // The worker reached its match j from w <= st.pos, so from j on
            // its list is the true continuation.
            if j >= c.hits.len() && c.total > c.hits.len() {
                return self.sequential(c, s, cap);
            }
            let mut j = j;
            if let Some(&h) = c.hits.get(j) {
                if h.0 == h.1 && h.0 == self.st.pos && self.st.last_end == Some(h.0) {
                    j += 1;
                }
            }
            if self.list.is_some() {
                for &h in &c.hits[j..] {
                    self.emit(h);
                }
            } else if c.total > j {
                self.count += c.total - j;
                if let Some(e) = c.last_end {
                    self.st = State::after((e, e));
                }
            }
            if c.stopped {
                self.sequential(c, s, cap);
            } else if !self.done() {
                // In step with the worker, its last search tells what comes
                // next (exact only when it was not capped).
                match (c.next, c.finished) {
                    (Some(n), _) => self.beyond(Some(n)),
                    (None, true) => self.beyond(None),
                    (None, false) => {}
                }
            }
            return;
        }
    }

    /// A search that ran past the chunk found `m` (or nothing).
    fn beyond(&mut self, m: Option<(usize, usize)>) {
        // Only an unbounded search is exact past the chunk.
        if self.reach == Reach::Unbounded {
            match m {
                Some(m) => self.pending = Some(m),
                None => self.exhausted = true,
            }
        }
    }

    /// Continues the true iteration through the rest of chunk `c`.
    fn sequential(&mut self, c: &ChunkHits, s: &mut Searcher<'_>, cap: usize) {
        let mut st = self.st;
        while !self.done() {
            match s.next(self.hay, &mut st, cap) {
                Some(m) if m.0 < c.end => self.emit(m),
                other => return self.beyond(other),
            }
        }
    }
}

/// Matches as `(start, end)` pairs (all, or the first `max`), or only their
/// number when `collect` is false.
pub(crate) fn run(
    hay: &[u8],
    m: &Matcher,
    collect: bool,
    max: Option<usize>,
    mode: Mode,
) -> (Vec<(usize, usize)>, usize) {
    let max_n = max.unwrap_or(usize::MAX);
    if max_n == 0 {
        return (Vec::new(), 0);
    }
    let threads = rayon::current_num_threads().max(1);
    // A worker of an unbounded pattern may read on to the end of the
    // haystack looking for its next match, so more chunks than threads
    // would only multiply that reading.
    let per_thread = match m.reach() {
        Reach::Unbounded => 1,
        _ => 4,
    };
    let chunk = chunk_size(hay.len(), mode, per_thread);
    let Some(chunk) = chunk.filter(|_| !hay.is_empty()) else {
        return sequential(hay, m, collect, max_n);
    };
    let mut merger = Merger {
        hay,
        reach: m.reach(),
        st: State::at(0),
        pending: None,
        exhausted: false,
        max: max_n,
        count: 0,
        list: collect.then(Vec::new),
    };
    let (store, limit) = if collect {
        (max_n, max_n)
    } else {
        (HEAD, usize::MAX)
    };
    let mut s = m.searcher();
    let reach = m.reach();
    if max.is_none() {
        let chunks = plan(hay, 0, chunk, usize::MAX);
        let results: Vec<ChunkHits> = chunks
            .par_iter()
            .map_init(
                || m.searcher(),
                |s, &c| scan_chunk(s, hay, reach, c, store, limit),
            )
            .collect();
        if let Some(list) = &mut merger.list {
            list.reserve(results.iter().map(|r| r.hits.len()).sum());
        }
        for r in &results {
            merger.merge(r, &mut s);
        }
    } else {
        // Ordered waves of growing chunks, until `max` matches are merged.
        let width = threads.max(2);
        let mut size = match mode {
            Mode::Chunked(_) => chunk,
            _ if max_n >= LARGE_MAX => chunk,
            _ => FIRST_WAVE.min(chunk),
        };
        let mut from = 0;
        while from < hay.len() && !merger.done() {
            let chunks = plan(hay, from, size, width);
            let Some(&(_, end)) = chunks.last() else {
                break;
            };
            let results: Vec<ChunkHits> = chunks
                .par_iter()
                .map_init(
                    || m.searcher(),
                    |s, &c| scan_chunk(s, hay, reach, c, store, limit),
                )
                .collect();
            for r in &results {
                merger.merge(r, &mut s);
            }
            from = end;
            if !matches!(mode, Mode::Chunked(_)) {
                size = size.saturating_mul(2).min(chunk);
            }
        }
    }
    (merger.list.unwrap_or_default(), merger.count)
}

fn sequential(hay: &[u8], m: &Matcher, collect: bool, max: usize) -> (Vec<(usize, usize)>, usize) {
    let mut s = m.searcher();
    let mut st = State::at(0);
    let mut list = Vec::new();
    let mut count = 0;
    let fixed = s.each_fixed(hay, 0, hay.len(), |x| {
        if collect {
            list.push(x);
        }
        count += 1;
        count < max
    });
    if fixed.is_some() {
        return (list, count);
    }
    if !collect {
        while count < max && s.next_end(hay, &mut st, hay.len()).is_some() {
            count += 1;
        }
        return (list, count);
    }
    while count < max {
        let Some(x) = s.next(hay, &mut st, hay.len()) else {
            break;
        };
        list.push(x);
        count += 1;
    }
    (list, count)
}

/// Matches per task when groups are found in parallel.
const GROUP_TASK: usize = 1024;

/// Matches as `(start, end)` pairs (all, or the first `max`) with their
/// capture groups (in parallel for many).
pub(crate) fn find_grouped(
    hay: &[u8],
    m: &Matcher,
    max: Option<usize>,
    mode: Mode,
) -> (Vec<(usize, usize)>, GroupTable) {
    if let Some(found) = super::line_walk::find_grouped(hay, m, max, mode) {
        return found;
    }
    let (list, _) = run(hay, m, true, max, mode);
    let width = 2 * m.group_count();
    let mut slots = vec![0; list.len() * width];
    if width > 0 {
        let fill = |s: &mut Searcher<'_>, (rows, spans): (&mut [usize], &[(usize, usize)])| {
            for (out, &(start, end)) in rows.chunks_exact_mut(width).zip(spans) {
                s.groups(hay, start, end, out);
            }
        };
        if list.len() <= GROUP_TASK {
            fill(&mut m.searcher(), (&mut slots, &list));
        } else {
            slots
                .par_chunks_mut(GROUP_TASK * width)
                .zip(list.par_chunks(GROUP_TASK))
                .for_each_init(|| m.searcher(), fill);
        }
    }
    (list, GroupTable::new(slots, m.group_count()))
}

/// Full matches, with capture groups when asked.
pub(crate) fn find_all(
    hay: &[u8],
    m: &Matcher,
    groups: bool,
    max: Option<usize>,
    mode: Mode,
) -> Vec<RawMatch> {
    let (list, table) = if groups {
        find_grouped(hay, m, max, mode)
    } else {
        (run(hay, m, true, max, mode).0, GroupTable::default())
    };
    list.into_iter()
        .enumerate()
        .map(|(i, (start, end))| RawMatch {
            start,
            end,
            groups: table.row(i).iter().collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::PatternSpec;

    fn check(hay: &[u8], spec: PatternSpec) {
        let m = Matcher::new(&spec, false).unwrap();
        let (want, n) = run(hay, &m, true, None, Mode::Sequential);
        assert_eq!(want.len(), n);
        for size in [1, 2, 3, 5, 8, 13, 64] {
            let (got, _) = run(hay, &m, true, None, Mode::Chunked(size));
            assert_eq!(got, want, "{spec:?} chunk {size}");
            let (_, c) = run(hay, &m, false, None, Mode::Chunked(size));
            assert_eq!(c, n, "{spec:?} chunk {size} count");
            for k in [1, 2, 5] {
                let (got, _) = run(hay, &m, true, Some(k), Mode::Chunked(size));
                assert_eq!(
                    got[..],
                    want[..k.min(want.len())],
                    "{spec:?} chunk {size} max {k}"
                );
            }
        }
    }

    #[test]
    fn crossing_and_empty_matches() {
        let hay = b"ab\ncd\n\n  x\ny  \n\nz\n";
        for p in [
            r"\s+", r"b\nc", r"", r"^", r"$", r"(?s).*", r"[^x]+", r"\b", r"\n*", r"\z", r"\A.",
            "x|",
        ] {
            check(hay, PatternSpec::Regex(p.into()));
        }
        check(hay, PatternSpec::Literal("\n\n".into()));
        check(hay, PatternSpec::Set(vec!["d\n".into(), "\n".into()]));
    }

    #[test]
    fn long_match_over_more_than_a_counting_head() {
        // The X..Y match crosses chunks whose workers each found far more
        // than HEAD one-letter matches inside it.
        let mut hay = b"a\nX".to_vec();
        hay.extend(b"aaaa\n".repeat(HEAD));
        hay.extend(b"Y\n");
        hay.extend(b"aaaa\n".repeat(HEAD));
        for p in [r"(?s)X.*?Y|a", r"X[^Y]*Y|a", r"X(?s-u:.){0,2000}?Y|a"] {
            let m = Matcher::new(&PatternSpec::Regex(p.into()), false).unwrap();
            let (want, n) = run(&hay, &m, true, None, Mode::Sequential);
            assert_eq!(n, 2 + 4 * HEAD);
            for size in [10, 800, 3000] {
                assert_eq!(
                    run(&hay, &m, false, None, Mode::Chunked(size)).1,
                    n,
                    "{p} {size}"
                );
                assert_eq!(
                    run(&hay, &m, true, None, Mode::Chunked(size)).0,
                    want,
                    "{p} {size}"
                );
            }
        }
    }

    #[test]
    fn plan_cuts_after_newlines() {
        let hay = b"aaaa\nbb\ncccccc\nd";
        let chunks = plan(hay, 0, 3, usize::MAX);
        assert_eq!(chunks, vec![(0, 5), (5, 8), (8, 15), (15, 17)]);
        assert_eq!(plan(b"", 0, 3, 9), vec![]);
        assert_eq!(plan(b"abc\n", 0, 100, 9), vec![(0, 5)]);
    }
}
