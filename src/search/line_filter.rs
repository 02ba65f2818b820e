//! Line-at-a-time search for regexes with Unicode word boundaries.
//!
//! The regex crate's lazy DFA handles a Unicode `\b` only over ASCII bytes:
//! at the first non-ASCII byte it gives up and the meta engine runs the
//! search again with the PikeVM, from the search's start to its end. Over a
//! multi-megabyte span that holds one curly quote or one accented letter,
//! that is a PikeVM scan of megabytes for every search (60× slower than
//! `rg` on a 100 MB text with some non-ASCII lines, measured).
//!
//! When no match can hold a `\n`, a [`LineFilter`] bounds that cost to one
//! line, as ripgrep does. Its regex is the pattern with every Unicode word
//! assertion removed: a superset of the pattern, which every DFA handles, so
//! it finds the first line that can hold a match at DFA speed, and the full
//! regex then searches that line only. Removing an assertion can only add
//! matches, so no line that holds a match is skipped; and since no match
//! crosses a line, the full regex's leftmost-first match within the line is
//! its leftmost-first match from the search's start.

use std::ops::Range;

use regex_automata::meta;
use regex_automata::Input;
use regex_syntax::hir::{Hir, HirKind, Look, Repetition};

use super::error::SearchError;
use super::matcher::Reach;

/// The relaxed regex that picks the lines a full search must look at.
#[derive(Clone)]
pub(super) struct LineFilter {
    relaxed: meta::Regex,
}

impl LineFilter {
    /// A filter for `hir`, when it has a Unicode word assertion and no match
    /// of it can hold a `\n` (otherwise `None`: the plain search is best).
    pub(super) fn for_pattern(
        hir: &Hir,
        reach: Reach,
        config: meta::Config,
    ) -> Result<Option<LineFilter>, SearchError> {
        if reach != Reach::Line || !hir.properties().look_set().contains_word_unicode() {
            return Ok(None);
        }
        let relaxed = meta::Builder::new()
            .configure(config)
            .build_from_hir(&relax(hir))
            .map_err(|e| SearchError::build_failed("the regex's line filter", &e))?;
        Ok(Some(LineFilter { relaxed }))
    }

    /// A cursor with its own scratch space, for one thread.
    pub(super) fn cursor(&self) -> LineCursor {
        LineCursor {
            cache: self.relaxed.create_cache(),
            line: None,
        }
    }
}

/// One thread's position in the candidate lines of one haystack.
pub(super) struct LineCursor {
    cache: meta::Cache,
    /// The last candidate line found: its start and the index of its `\n`
    /// (or the haystack's end).
    line: Option<(usize, usize)>,
}

impl LineCursor {
    /// Runs `search` (the full regex over a span) on each line of `pos..cap`
    /// that the filter lets through, in order, and returns its first answer.
    /// `hay` must be the haystack of every earlier call on this cursor.
    pub(super) fn find<T>(
        &mut self,
        filter: &LineFilter,
        hay: &[u8],
        mut pos: usize,
        cap: usize,
        mut search: impl FnMut(Range<usize>) -> Option<T>,
    ) -> Option<T> {
        while pos <= cap {
            let (start, end) = self.candidate(filter, hay, pos, cap)?;
            let to = end.min(cap);
            if let Some(found) = search(start.max(pos)..to) {
                return Some(found);
            }
            pos = to + 1;
        }
        None
    }

    /// The first line from `pos` that may hold a match starting at or after
    /// `pos` and ending by `cap`.
    fn candidate(
        &mut self,
        filter: &LineFilter,
        hay: &[u8],
        pos: usize,
        cap: usize,
    ) -> Option<(usize, usize)> {
        if let Some((start, end)) = self.line {
            if start <= pos && pos <= end {
                return Some((start, end));
            }
        }
        // The earliest end of a relaxed match lies on the first line that
        // holds a relaxed match (a match never crosses a line).
        let input = Input::new(hay).span(pos..cap).earliest(true);
        let end_of_match = filter
            .relaxed
            .search_half_with(&mut self.cache, &input)?
            .offset();
        let start = memchr::memrchr(b'\n', &hay[pos..end_of_match]).map_or(pos, |i| pos + i + 1);
        let line = match memchr::memchr(b'\n', &hay[end_of_match..cap]) {
            Some(i) => Some((start, end_of_match + i)),
            None if cap == hay.len() => Some((start, cap)),
            // The line goes on past `cap`: where it ends is not known, so it
            // is not kept for the next call.
            None => {
                self.line = None;
                return Some((start, cap));
            }
        };
        self.line = line;
        line
    }
}

/// `hir` without its Unicode word assertions and capture groups.
fn relax(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(look) if is_unicode_word(*look) => Hir::empty(),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(relax(&rep.sub)),
            ..rep.clone()
        }),
        HirKind::Capture(cap) => relax(&cap.sub),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(relax).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(relax).collect()),
    }
}

fn is_unicode_word(look: Look) -> bool {
    matches!(
        look,
        Look::WordUnicode
            | Look::WordUnicodeNegate
            | Look::WordStartUnicode
            | Look::WordEndUnicode
            | Look::WordStartHalfUnicode
            | Look::WordEndHalfUnicode
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &str) -> Hir {
        regex_syntax::ParserBuilder::new()
            .multi_line(true)
            .utf8(false)
            .build()
            .parse(p)
            .unwrap()
    }

    #[test]
    fn relaxing_drops_unicode_word_assertions_only() {
        let r = |p: &str| relax(&parse(p)).properties().look_set();
        assert!(!r(r"\b\w+@\w+\b").contains_word_unicode());
        assert!(!r(r"(?:\bfoo\B)+|\<bar\>").contains_word_unicode());
        assert!(r(r"(?-u:\b)x^").contains_word_ascii());
        assert!(r(r"(?-u:\b)x^").contains_anchor_line());
    }

    #[test]
    fn only_line_patterns_with_unicode_words_get_a_filter() {
        let f = |p: &str, reach| {
            LineFilter::for_pattern(&parse(p), reach, meta::Config::new())
                .unwrap()
                .is_some()
        };
        assert!(f(r"\bfoo\b", Reach::Line));
        assert!(!f(r"\bfoo\b", Reach::Unbounded));
        assert!(!f(r"(?-u:\b)foo", Reach::Line));
        assert!(!f(r"foo", Reach::Line));
    }
}
