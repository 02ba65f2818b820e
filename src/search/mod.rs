//! Literal, literal-set and regex search over bytes, and partitioning by
//! matches, characters and lines.
//!
//! - [`Matcher`] (module `matcher`): a compiled pattern and the single search
//!   step all drivers share.
//! - `driver`: the parallel search over one large haystack, with results
//!   identical to one sequential leftmost-first iteration.
//! - `partition`: [`split_before`], [`chunk_by_chars`], [`chunk_n`].
//! - `groups` and `backtrack`: the capture groups of a match already found;
//!   [`GroupTable`] keeps those of a whole search in one allocation.
//! - `line_walk`: the grouped search of a pattern whose matches start lines,
//!   each line matched and its groups found in one pass.
//! - [`needle`]: substring search with per-thread cached finders, for short
//!   needles tested over and over.
//! - [`SearchError`]: a pattern that cannot be compiled, with a hint.
//!
//! All offsets here are bytes relative to the haystack given. A haystack that
//! is a slice from the middle of the context is searched as if it were the
//! whole string: `^` and `\A` match at its start.
//!
//! ```
//! use rlmq::search::{count, find_all, Matcher, PatternSpec};
//!
//! let hay = b"user_id: 17 | label: spam\nuser_id: 4 | label: ham\n";
//! let m = Matcher::new(&PatternSpec::Regex(r"user_id: (\d+)".into()), false)?;
//! let hits = find_all(hay, &m, true, None);
//! assert_eq!(hits.len(), 2);
//! assert_eq!(&hay[hits[1].groups[0].clone().unwrap()], b"4");
//! let spam = Matcher::new(&PatternSpec::Literal("SPAM".into()), true)?;
//! assert_eq!(count(hay, &spam), 1);
//! # Ok::<(), rlmq::search::SearchError>(())
//! ```

use std::ops::Range;

mod backtrack;
mod driver;
mod error;
mod group_table;
mod groups;
mod line_filter;
mod line_walk;
mod matcher;
pub mod needle;
mod partition;

pub use error::{SearchError, SearchErrorKind};
pub use group_table::{GroupTable, Groups};
pub use matcher::Matcher;
pub use partition::{chunk_by_chars, chunk_n, split_before};

use driver::Mode;

/// What to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternSpec {
    /// One literal string.
    Literal(String),
    /// Any of several literal strings; where several match at one place, the
    /// first listed wins (leftmost-first).
    Set(Vec<String>),
    /// A regex in the Rust `regex` dialect (multi-line on).
    Regex(String),
}

/// One match, as byte offsets relative to the haystack searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMatch {
    /// Where the match starts.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
    /// Capture groups 1.. (`None` for a group that did not take part). Empty
    /// unless groups were asked for.
    pub groups: Vec<Option<Range<usize>>>,
}

/// All non-overlapping matches in order (or the first `max`), exactly as a
/// sequential leftmost-first iteration finds them. Large haystacks are
/// searched in parallel; a small `max` stops early.
pub fn find_all(hay: &[u8], m: &Matcher, groups: bool, max: Option<usize>) -> Vec<RawMatch> {
    driver::find_all(hay, m, groups, max, Mode::Auto)
}

/// All non-overlapping matches as `(start, end)` pairs, as [`find_all`]
/// finds them, with their capture groups in one shared table (row `i` for
/// match `i`).
pub fn find_all_grouped(
    hay: &[u8],
    m: &Matcher,
    max: Option<usize>,
) -> (Vec<(usize, usize)>, GroupTable) {
    driver::find_grouped(hay, m, max, Mode::Auto)
}

/// The number of non-overlapping matches.
pub fn count(hay: &[u8], m: &Matcher) -> usize {
    driver::run(hay, m, false, None, Mode::Auto).1
}

/// The first match, if any.
pub fn find_first(hay: &[u8], m: &Matcher, groups: bool) -> Option<RawMatch> {
    driver::find_all(hay, m, groups, Some(1), Mode::Auto).pop()
}

/// True when the pattern matches anywhere in `hay`.
pub fn is_match(hay: &[u8], m: &Matcher) -> bool {
    driver::run(hay, m, false, Some(1), Mode::Auto).1 > 0
}

/// [`find_all`] forced through the parallel path with chunks of about
/// `chunk_size` bytes, whatever the haystack size (for equivalence tests).
#[doc(hidden)]
pub fn find_all_with_chunk_size(
    hay: &[u8],
    m: &Matcher,
    groups: bool,
    max: Option<usize>,
    chunk_size: usize,
) -> Vec<RawMatch> {
    driver::find_all(hay, m, groups, max, Mode::Chunked(chunk_size))
}

/// [`count`] forced through the parallel path (for equivalence tests).
#[doc(hidden)]
pub fn count_with_chunk_size(hay: &[u8], m: &Matcher, chunk_size: usize) -> usize {
    driver::run(hay, m, false, None, Mode::Chunked(chunk_size)).1
}

/// [`find_all`] as one sequential iteration: the reference the parallel
/// path must equal.
#[doc(hidden)]
pub fn find_all_sequential(
    hay: &[u8],
    m: &Matcher,
    groups: bool,
    max: Option<usize>,
) -> Vec<RawMatch> {
    driver::find_all(hay, m, groups, max, Mode::Sequential)
}
