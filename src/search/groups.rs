//! Capture groups of a match that has already been found.
//!
//! The search finds a match's bounds with the meta engine's DFAs; its
//! groups then come from an engine run over those bounds only, anchored at
//! the start: the one-pass DFA when the pattern is one-pass, else the
//! character [`Program`] when it takes the pattern and finishes within its
//! budget, else the regex crate's bounded backtracker, else (a match too
//! long for the backtracker's visited set) the PikeVM. Within the bounds, the leftmost-first match is
//! the one already found, so its groups are the ones the regex crate would
//! report. Each searcher keeps its own scratch space and capture slots.

use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use regex_automata::dfa::onepass;
use regex_automata::nfa::thompson::{self, backtrack, pikevm, NFA};
use regex_automata::util::captures::Captures;
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::Hir;

use super::backtrack::{self as chars, Outcome, Program};
use super::group_table::UNSET;

/// Makes a searcher's scratch space.
pub(crate) type ScratchFn =
    Box<dyn Fn() -> GroupScratch + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// The engines, built once per pattern.
pub(crate) struct GroupEngines {
    onepass: Option<onepass::DFA>,
    program: Option<Arc<Program>>,
    backtrack: backtrack::BoundedBacktracker,
    pikevm: pikevm::PikeVM,
    /// Scratch spaces, reused from one search to the next (making one
    /// zeroes the engines' tables, which would dominate a search of one
    /// line).
    scratches: Pool<GroupScratch, ScratchFn>,
}

/// A pool of scratch spaces for the engines `onepass`, `backtrack` and
/// `pikevm`.
fn scratch_pool(
    onepass: &Option<onepass::DFA>,
    backtrack: &backtrack::BoundedBacktracker,
    pikevm: &pikevm::PikeVM,
) -> Pool<GroupScratch, ScratchFn> {
    let engines = (onepass.clone(), backtrack.clone(), pikevm.clone());
    Pool::new(Box::new(move || {
        let (onepass, backtrack, pikevm) = &engines;
        GroupScratch {
            onepass: onepass.as_ref().map(onepass::DFA::create_cache),
            program: chars::Scratch::default(),
            backtrack: backtrack.create_cache(),
            pikevm: pikevm.create_cache(),
            caps: pikevm.create_captures(),
        }
    }))
}

/// One searcher's scratch space for [`GroupEngines`].
pub(crate) struct GroupScratch {
    onepass: Option<onepass::Cache>,
    program: chars::Scratch,
    backtrack: backtrack::Cache,
    pikevm: pikevm::Cache,
    caps: Captures,
}

impl GroupEngines {
    /// The engines for `hir`, compiled as the meta engine compiles it
    /// (leftmost-first, empty matches never splitting a UTF-8 character);
    /// `None` if the pattern is too big for them.
    pub(crate) fn new(hir: &Hir) -> Option<GroupEngines> {
        let nfa: NFA = thompson::Compiler::new()
            .configure(thompson::Config::new().utf8(true))
            .build_from_hir(hir)
            .ok()?;
        let onepass = onepass::Builder::new()
            .configure(onepass::Config::new().match_kind(MatchKind::LeftmostFirst))
            .build_from_nfa(nfa.clone())
            .ok();
        let backtrack = backtrack::Builder::new().build_from_nfa(nfa.clone()).ok()?;
        let pikevm = pikevm::Builder::new()
            .configure(pikevm::Config::new().match_kind(MatchKind::LeftmostFirst))
            .build_from_nfa(nfa)
            .ok()?;
        Some(GroupEngines {
            scratches: scratch_pool(&onepass, &backtrack, &pikevm),
            onepass,
            program: Program::new(hir).map(Arc::new),
            backtrack,
            pikevm,
        })
    }

    /// The same engines with a pool of scratch spaces of their own, for a
    /// thread that searches with them often (a pool serves the thread that
    /// made it first, and the others through a lock).
    pub(crate) fn with_own_scratches(&self) -> GroupEngines {
        GroupEngines {
            onepass: self.onepass.clone(),
            program: self.program.clone(),
            backtrack: self.backtrack.clone(),
            pikevm: self.pikevm.clone(),
            scratches: scratch_pool(&self.onepass, &self.backtrack, &self.pikevm),
        }
    }

    /// Scratch space for one searcher, back to the pool when dropped.
    pub(crate) fn scratch(&self) -> PoolGuard<'_, GroupScratch, ScratchFn> {
        self.scratches.get()
    }

    /// Whether the character program takes the pattern (so that
    /// [`program`](Self::program) gives one).
    pub(crate) fn has_program(&self) -> bool {
        self.program.is_some()
    }

    /// The character program, if it takes the pattern, with its scratch
    /// space in `s`.
    pub(crate) fn program<'a>(
        &'a self,
        s: &'a mut GroupScratch,
    ) -> Option<(&'a Program, &'a mut chars::Scratch)> {
        Some((self.program.as_deref()?, &mut s.program))
    }

    /// Fills `out` with the slots of groups 1.. (two a group, [`UNSET`]
    /// where a group took no part) of the match `start..end` of `hay`.
    pub(crate) fn groups(
        &self,
        s: &mut GroupScratch,
        hay: &[u8],
        start: usize,
        end: usize,
        out: &mut [usize],
    ) {
        let input = Input::new(hay).span(start..end).anchored(Anchored::Yes);
        if let (Some(dfa), Some(cache)) = (&self.onepass, &mut s.onepass) {
            if dfa.try_search(cache, &input, &mut s.caps).is_ok() && s.caps.is_match() {
                return slots_of(&s.caps, out);
            }
        }
        if let Some(p) = &self.program {
            if p.run(&mut s.program, hay, start, end, true, out) == Outcome::Match(end) {
                return;
            }
        }
        let done = end - start <= self.backtrack.max_haystack_len()
            && self
                .backtrack
                .try_search(&mut s.backtrack, &input, &mut s.caps)
                .is_ok()
            && s.caps.is_match();
        if !done {
            self.pikevm.search(&mut s.pikevm, &input, &mut s.caps);
        }
        slots_of(&s.caps, out);
    }
}

/// Fills `out` with the slots of groups 1.. of `caps`.
pub(crate) fn slots_of(caps: &Captures, out: &mut [usize]) {
    for (i, pair) in out.chunks_exact_mut(2).enumerate() {
        let g = caps.get_group(i + 1);
        pair[0] = g.map_or(UNSET, |x| x.start);
        pair[1] = g.map_or(UNSET, |x| x.end);
    }
}
