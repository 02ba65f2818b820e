//! A compiled pattern and the one search step every driver is built on.
//!
//! A [`Matcher`] picks the engine from the pattern:
//!
//! - a literal: a prebuilt `memchr::memmem::Finder` (SIMD, reused);
//! - a literal set: aho-corasick with `MatchKind::LeftmostFirst`, which is
//!   what enables its Teddy SIMD searcher (the default `Standard` kind does
//!   not, and is an order of magnitude slower);
//! - a regex, and every case-insensitive literal or set: the regex crate's
//!   meta engine over bytes, multi-line on, `.` not matching `\n`, Unicode
//!   on. Empty matches never split a UTF-8 character, as with the regex
//!   crate's `str` API. The meta engine finds literals in the pattern itself
//!   and scans for them with memchr or Teddy. A regex with a Unicode word
//!   boundary whose matches stay on one line is searched a line at a time
//!   through a [`LineFilter`]. A regex whose every match starts a line
//!   (`^...`) and stays on it finds a match's start as the line start before
//!   its end, with no reverse scan.
//!
//! Every engine reports leftmost-first matches. [`Searcher::next`] is the one
//! iteration step (with the regex crate's rule for an empty match right after
//! the previous match); the drivers in [`super::driver`] call nothing else.
//!
//! A matcher also knows its [`Reach`]: whether a match can hold a `\n`, and
//! how long a match can be. That decides how far past a chunk's end a
//! parallel worker must be allowed to look.

use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;
use regex_automata::meta;
use regex_automata::util::captures::Captures;
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::backtrack::Outcome;
use super::error::SearchError;
use super::group_table::UNSET;
use super::groups::{slots_of, GroupEngines, GroupScratch, ScratchFn};
use super::line_filter::{LineCursor, LineFilter};
use super::PatternSpec;

/// Regexes whose longest match is at most this long count as bounded.
const MAX_BOUNDED: usize = 1 << 20;

/// What a pattern is compiled from.
#[derive(Clone)]
enum Engine {
    /// Matches nothing (an empty literal set).
    Never,
    /// A non-empty literal.
    Literal(Box<memmem::Finder<'static>>),
    /// Non-empty literals, leftmost-first.
    Set(AhoCorasick),
    /// Everything else, with a line filter for some.
    Regex(meta::Regex, Option<LineFilter>),
}

/// How far a match can extend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// No match contains `\n`: a match that starts on a line ends on it.
    Line,
    /// A match may contain `\n` but is at most this many bytes long.
    Bounded(usize),
    /// A match may contain `\n` and be of any length.
    Unbounded,
}

/// Makes a regex's search cache.
type CacheFn = Box<dyn Fn() -> meta::Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

struct Inner {
    engine: Engine,
    /// A regex's search caches, reused from one search to the next: a
    /// fresh cache starts its lazy DFA empty, so a regex run over one line
    /// at a time (in a loop) would build the same states again for every
    /// line.
    caches: Option<Pool<meta::Cache, CacheFn>>,
    reach: Reach,
    groups: usize,
    /// Engines for the capture groups of a match (regexes with groups).
    group_engines: Option<GroupEngines>,
    /// Every match starts a line (`^` in front) and stays on it: its start
    /// is the line start before its end, found with no reverse scan.
    starts_line: bool,
}

/// A compiled pattern. `Send + Sync` and cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Matcher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match self.inner.engine {
            Engine::Never => "never",
            Engine::Literal(_) => "literal",
            Engine::Set(_) => "set",
            Engine::Regex(_, None) => "regex",
            Engine::Regex(_, Some(_)) => "regex by line",
        };
        f.debug_struct("Matcher")
            .field("engine", &engine)
            .field("reach", &self.inner.reach)
            .field("groups", &self.inner.groups)
            .finish()
    }
}

impl Matcher {
    /// The same compiled pattern with caches and scratch spaces of its own,
    /// for a thread that searches with it often: a cache pool serves the
    /// thread that took from it first, and the others through a lock.
    pub fn with_own_caches(&self) -> Matcher {
        let inner = &self.inner;
        Matcher {
            inner: Arc::new(Inner {
                caches: match &inner.engine {
                    Engine::Regex(re, _) => Some(cache_pool(re)),
                    _ => None,
                },
                engine: inner.engine.clone(),
                reach: inner.reach,
                groups: inner.groups,
                group_engines: inner
                    .group_engines
                    .as_ref()
                    .map(GroupEngines::with_own_scratches),
                starts_line: inner.starts_line,
            }),
        }
    }

    /// Compiles a pattern. `ignore_case` applies to literals and sets too.
    pub fn new(spec: &PatternSpec, ignore_case: bool) -> Result<Matcher, SearchError> {
        let inner = match spec {
            PatternSpec::Literal(lit) if !lit.is_empty() && !ignore_case => Inner {
                reach: literal_reach(std::iter::once(lit.as_str())),
                engine: Engine::Literal(Box::new(memmem::Finder::new(lit.as_bytes()).into_owned())),
                groups: 0,
                group_engines: None,
                starts_line: false,
                caches: None,
            },
            PatternSpec::Literal(lit) => literal_regex(std::slice::from_ref(lit), ignore_case)?,
            PatternSpec::Set(lits) if lits.is_empty() => Inner {
                engine: Engine::Never,
                reach: Reach::Line,
                groups: 0,
                group_engines: None,
                starts_line: false,
                caches: None,
            },
            PatternSpec::Set(lits) if !ignore_case && lits.iter().all(|l| !l.is_empty()) => {
                let ac = AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(lits)
                    .map_err(|e| SearchError::build_failed("the literal set", &e))?;
                Inner {
                    engine: Engine::Set(ac),
                    reach: literal_reach(lits.iter().map(String::as_str)),
                    groups: 0,
                    group_engines: None,
                    starts_line: false,
                    caches: None,
                }
            }
            PatternSpec::Set(lits) => literal_regex(lits, ignore_case)?,
            PatternSpec::Regex(pattern) => {
                let hir = parse(pattern, ignore_case)
                    .map_err(|e| SearchError::from_syntax(pattern, &e))?;
                regex_inner(&hir, "the regex")?
            }
        };
        Ok(Matcher {
            inner: Arc::new(inner),
        })
    }

    /// Number of capture groups, not counting the whole match (0 for
    /// literals and sets).
    pub fn group_count(&self) -> usize {
        self.inner.groups
    }

    pub(crate) fn reach(&self) -> Reach {
        self.inner.reach
    }

    /// Whether [`Searcher::line_match`] can answer for this pattern: every
    /// match starts a line and stays on it, and the character program
    /// takes it.
    pub(crate) fn walks_lines(&self) -> bool {
        self.inner.starts_line
            && self
                .inner
                .group_engines
                .as_ref()
                .is_some_and(GroupEngines::has_program)
    }

    /// A searcher with its own scratch space, for one thread.
    pub(crate) fn searcher(&self) -> Searcher<'_> {
        let cache = self.inner.caches.as_ref().map(Pool::get);
        let lines = match &self.inner.engine {
            Engine::Regex(_, filter) => filter.as_ref().map(LineFilter::cursor),
            _ => None,
        };
        Searcher {
            m: self,
            cache,
            lines,
            group_scratch: None,
        }
    }
}

fn literal_reach<'a>(lits: impl Iterator<Item = &'a str>) -> Reach {
    let mut longest = 0;
    let mut newline = false;
    for l in lits {
        longest = longest.max(l.len());
        newline |= l.contains('\n');
    }
    if newline {
        Reach::Bounded(longest)
    } else {
        Reach::Line
    }
}

pub(super) fn parse(pattern: &str, ignore_case: bool) -> Result<Hir, Box<regex_syntax::Error>> {
    regex_syntax::ParserBuilder::new()
        .multi_line(true)
        .dot_matches_new_line(false)
        .case_insensitive(ignore_case)
        .unicode(true)
        // As the regex crate's bytes API: a pattern may match bytes that are
        // not UTF-8 (`(?-u:\xFF)`); Unicode classes still match UTF-8 only.
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(Box::new)
}

/// Literals searched through the regex engine: case-insensitive ones, and
/// sets holding the empty string (whose empty matches must follow the
/// regex rules at character boundaries).
fn literal_regex(lits: &[String], ignore_case: bool) -> Result<Inner, SearchError> {
    let alts: Vec<String> = lits.iter().map(|l| regex_syntax::escape(l)).collect();
    let pattern = format!("(?:{})", alts.join("|"));
    let what = if lits.len() == 1 {
        "the literal"
    } else {
        "the literal set"
    };
    let hir =
        parse(&pattern, ignore_case).map_err(|e| SearchError::too_big(what, &e.to_string()))?;
    let mut inner = regex_inner(&hir, what)?;
    inner.groups = 0;
    inner.group_engines = None;
    Ok(inner)
}

fn regex_inner(hir: &Hir, what: &str) -> Result<Inner, SearchError> {
    let config = meta::Config::new()
        .match_kind(regex_automata::MatchKind::LeftmostFirst)
        .utf8_empty(true);
    let re = meta::Builder::new()
        .configure(config.clone())
        .build_from_hir(hir)
        .map_err(|e| SearchError::build_failed(what, &e))?;
    let reach = if !can_match_newline(hir) {
        Reach::Line
    } else {
        match hir.properties().maximum_len() {
            Some(n) if n <= MAX_BOUNDED => Reach::Bounded(n),
            _ => Reach::Unbounded,
        }
    };
    let groups = re.captures_len().saturating_sub(1);
    Ok(Inner {
        caches: Some(cache_pool(&re)),
        groups,
        group_engines: if groups > 0 {
            GroupEngines::new(hir)
        } else {
            None
        },
        engine: Engine::Regex(re, LineFilter::for_pattern(hir, reach, config)?),
        starts_line: reach == Reach::Line
            && hir.properties().look_set_prefix().contains(Look::StartLF),
        reach,
    })
}

/// A pool of search caches for `re`.
fn cache_pool(re: &meta::Regex) -> Pool<meta::Cache, CacheFn> {
    let re = re.clone();
    Pool::new(Box::new(move || re.create_cache()))
}

/// True when some match of `hir` could contain a `\n` byte. Conservative: a
/// `true` only costs speed, a wrong `false` would cost correctness.
fn can_match_newline(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => lit.0.contains(&b'\n'),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        HirKind::Repetition(rep) => can_match_newline(&rep.sub),
        HirKind::Capture(cap) => can_match_newline(&cap.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(can_match_newline),
    }
}

/// Where an iteration stands: where the next search starts, and where the
/// previous match ended (an empty match there is not reported again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct State {
    pub(crate) pos: usize,
    pub(crate) last_end: Option<usize>,
}

impl State {
    /// The state of a search that starts fresh at `pos`.
    pub(crate) fn at(pos: usize) -> State {
        State {
            pos,
            last_end: None,
        }
    }

    /// The state right after match `m`.
    pub(crate) fn after(m: (usize, usize)) -> State {
        State {
            pos: m.1,
            last_end: Some(m.1),
        }
    }
}

/// One thread's handle on a matcher: the matcher plus scratch space. A
/// searcher serves one haystack (its line cursor remembers a line of it).
pub(crate) struct Searcher<'m> {
    m: &'m Matcher,
    cache: Option<PoolGuard<'m, meta::Cache, CacheFn>>,
    lines: Option<LineCursor>,
    /// Scratch space for capture groups, made on the first match whose
    /// groups are asked for and reused for the next ones.
    group_scratch: Option<PoolGuard<'m, GroupScratch, ScratchFn>>,
}

impl Searcher<'_> {
    /// The leftmost-first match starting at or after `pos` and ending at or
    /// before `cap`. Look-around (`^`, `$`, `\b`, `\A`, `\z`) sees the whole
    /// haystack, not just `pos..cap`. Requires `pos <= cap <= hay.len()`.
    #[inline]
    pub(crate) fn find(&mut self, hay: &[u8], pos: usize, cap: usize) -> Option<(usize, usize)> {
        match &self.m.inner.engine {
            Engine::Never => None,
            Engine::Literal(f) => f
                .find(&hay[pos..cap])
                .map(|i| (pos + i, pos + i + f.needle().len())),
            Engine::Set(ac) => ac
                .find(aho_corasick::Input::new(&hay[..cap]).span(pos..cap))
                .map(|m| (m.start(), m.end())),
            Engine::Regex(..) if self.m.inner.starts_line => {
                let end = self.find_end(hay, pos, cap)?;
                let start = memchr::memrchr(b'\n', &hay[..end]).map_or(0, |i| i + 1);
                Some((start, end))
            }
            Engine::Regex(re, filter) => {
                let cache = &mut **self.cache.as_mut()?;
                let mut search = |span| {
                    re.search_with(cache, &Input::new(hay).span(span))
                        .map(|m| (m.start(), m.end()))
                };
                match (filter, &mut self.lines) {
                    (Some(f), Some(lines)) => lines.find(f, hay, pos, cap, search),
                    _ => search(pos..cap),
                }
            }
        }
    }

    /// For literals and sets (whose matches are never empty), calls `f` on
    /// each match of an iteration that starts fresh at `start`, within
    /// `..cap`, until `f` returns false, with the engines' own iterators
    /// (which keep their prefilter state between matches). Returns whether
    /// the matches ran out, or `None` for a regex.
    pub(crate) fn each_fixed(
        &mut self,
        hay: &[u8],
        start: usize,
        cap: usize,
        mut f: impl FnMut((usize, usize)) -> bool,
    ) -> Option<bool> {
        match &self.m.inner.engine {
            Engine::Never => Some(true),
            Engine::Literal(finder) => {
                let n = finder.needle().len();
                for i in finder.find_iter(&hay[start..cap]) {
                    if !f((start + i, start + i + n)) {
                        return Some(false);
                    }
                }
                Some(true)
            }
            Engine::Set(ac) => {
                let input = aho_corasick::Input::new(&hay[..cap]).span(start..cap);
                for m in ac.find_iter(input) {
                    if !f((m.start(), m.end())) {
                        return Some(false);
                    }
                }
                Some(true)
            }
            Engine::Regex(..) => None,
        }
    }

    /// Where the leftmost-first match at or after `pos` ends, without
    /// finding where it starts (a regex skips its reverse scan).
    #[inline]
    fn find_end(&mut self, hay: &[u8], pos: usize, cap: usize) -> Option<usize> {
        match &self.m.inner.engine {
            Engine::Regex(re, filter) => {
                let cache = &mut **self.cache.as_mut()?;
                let mut search = |span| {
                    re.search_half_with(cache, &Input::new(hay).span(span))
                        .map(|m| m.offset())
                };
                match (filter, &mut self.lines) {
                    (Some(f), Some(lines)) => lines.find(f, hay, pos, cap, search),
                    _ => search(pos..cap),
                }
            }
            _ => self.find(hay, pos, cap).map(|m| m.1),
        }
    }

    /// Like [`next`](Self::next), but reports only where the match ends:
    /// enough to count matches and to go on iterating. (A match that ends
    /// where the previous one ended is necessarily empty, so the rule for
    /// empty matches needs no start.)
    #[inline]
    pub(crate) fn next_end(&mut self, hay: &[u8], st: &mut State, cap: usize) -> Option<usize> {
        if st.pos > cap {
            return None;
        }
        let mut e = self.find_end(hay, st.pos, cap)?;
        if Some(e) == st.last_end {
            let p = st.pos + 1;
            if p > cap {
                return None;
            }
            e = self.find_end(hay, p, cap)?;
        }
        *st = State::after((e, e));
        Some(e)
    }

    /// The next match of an iteration that stands at `st`, within `..cap`,
    /// advancing `st`. An empty match where the previous match ended is
    /// skipped, exactly as the regex crate's iterators do.
    #[inline]
    pub(crate) fn next(
        &mut self,
        hay: &[u8],
        st: &mut State,
        cap: usize,
    ) -> Option<(usize, usize)> {
        if st.pos > cap {
            return None;
        }
        let mut m = self.find(hay, st.pos, cap)?;
        if m.0 == m.1 && Some(m.1) == st.last_end {
            let p = st.pos + 1;
            if p > cap {
                return None;
            }
            m = self.find(hay, p, cap)?;
        }
        *st = State::after(m);
        Some(m)
    }

    /// For a pattern that [walks lines](Matcher::walks_lines): the match
    /// that starts at line start `start` and ends by `end` (the line's
    /// end), where it ends and its groups in `out`, found in one pass.
    pub(crate) fn line_match(
        &mut self,
        hay: &[u8],
        start: usize,
        end: usize,
        out: &mut [usize],
    ) -> Outcome {
        let Some(engines) = &self.m.inner.group_engines else {
            return Outcome::GaveUp;
        };
        let scratch = self.group_scratch.get_or_insert_with(|| engines.scratch());
        match engines.program(scratch) {
            Some((p, s)) => p.run(s, hay, start, end, false, out),
            None => Outcome::GaveUp,
        }
    }

    /// Fills `out` with the slots of capture groups 1.. of the match
    /// `start..end`: two a group, [`UNSET`] where a group took no part
    /// (`out` holds two per group of the pattern).
    pub(crate) fn groups(&mut self, hay: &[u8], start: usize, end: usize, out: &mut [usize]) {
        if out.is_empty() {
            return;
        }
        if let Some(engines) = &self.m.inner.group_engines {
            let scratch = self.group_scratch.get_or_insert_with(|| engines.scratch());
            return engines.groups(scratch, hay, start, end, out);
        }
        out.fill(UNSET);
        let (Engine::Regex(re, _), Some(cache)) = (&self.m.inner.engine, self.cache.as_mut())
        else {
            return;
        };
        let mut caps: Captures = re.create_captures();
        let input = Input::new(hay).span(start..end).anchored(Anchored::Yes);
        re.search_captures_with(cache, &input, &mut caps);
        slots_of(&caps, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `p` compiled as a regex.
    fn regex(p: &str) -> Matcher {
        Matcher::new(&PatternSpec::Regex(p.into()), false).unwrap()
    }

    fn reach(p: &str) -> Reach {
        regex(p).reach()
    }

    #[test]
    fn reach_of_patterns() {
        assert_eq!(reach(r"\w+"), Reach::Line);
        assert_eq!(reach(r"^foo.*$"), Reach::Line);
        assert_eq!(reach(r"[^\n]+"), Reach::Line);
        assert_eq!(reach(r"a\nb"), Reach::Bounded(3));
        assert_eq!(reach(r"\s"), Reach::Bounded(3));
        assert_eq!(reach(r"\s+"), Reach::Unbounded);
        assert_eq!(reach(r"(?s)a.*b"), Reach::Unbounded);
        assert_eq!(reach(r"[^x]+"), Reach::Unbounded);
        let lit = |s: &str| {
            Matcher::new(&PatternSpec::Literal(s.into()), false)
                .unwrap()
                .reach()
        };
        assert_eq!(lit("ab"), Reach::Line);
        assert_eq!(lit("a\nbc"), Reach::Bounded(4));
    }

    #[test]
    fn line_anchored_patterns_skip_the_reverse_scan() {
        let starts = |p: &str| regex(p).inner.starts_line;
        assert!(starts(r"^Date: (\d+)"));
        assert!(starts(r"^$"));
        assert!(starts(r"(?:^a|^b)c"));
        assert!(!starts(r"^a|b"));
        assert!(!starts(r"^a\nb"));
        assert!(!starts(r"^\s+"));
        assert!(!starts(r"\Aa"));
    }

    #[test]
    fn line_starting_patterns_with_groups_walk_lines() {
        let walks = |p: &str| regex(p).walks_lines();
        assert!(walks(r"^Date: (\d+) .* Label: (\w+)$"));
        assert!(walks(r"^(.*)\r$"));
        // No groups: no group engines, nothing to gain over the DFA.
        assert!(!walks(r"^Date: \d+"));
        assert!(!walks(r"(\w+)$"));
        // The character program refuses it.
        assert!(!walks(r"^(a*)*b"));
    }

    #[test]
    fn group_counts() {
        let g = |p: &str| regex(p).group_count();
        assert_eq!(g("a"), 0);
        assert_eq!(g("(a)(?:b)(?P<n>c)"), 2);
        let l = Matcher::new(&PatternSpec::Literal("(x)".into()), true).unwrap();
        assert_eq!(l.group_count(), 0);
    }

    #[test]
    fn errors_have_hints() {
        for (p, needle) in [
            ("foo(?=bar)", "look-ahead"),
            ("(?<=a)b", "look-ahead"),
            ("(a)\\1", "back-references"),
            ("a(b", "parentheses"),
            ("*a", "repeat"),
            ("x\\Z", "\\z"),
            ("(?P<n>a)(?P=n)", "back-references"),
        ] {
            let e = Matcher::new(&PatternSpec::Regex(p.into()), false).unwrap_err();
            assert!(!e.to_string().contains('\n'), "{e}");
            assert!(e.hint().contains(needle), "{p}: {e} / {}", e.hint());
        }
    }
}
