//! The depth guard: how deeply evaluation nests on the current thread.
//!
//! Every expression evaluated and every `def` or lambda called enters one
//! level (a builtin is not a level: what it calls back enters its own);
//! past [`MAX_DEPTH`] nested expressions or [`MAX_CALL_DEPTH`] nested calls
//! the run stops with a limit error. The levels bound the native stack a
//! program can use, and every few levels the stack is grown in segments
//! when little is left ([`stacker`]), so no program overflows any thread's
//! stack, whatever mix of recursion and nesting it has. A thread that works
//! for another (a `map` worker) starts at the depth of the thread that
//! spawned it ([`inherit`]), so fanning out does not reset the count.

use std::cell::Cell;

use crate::diag::{Diagnostic, Stage};
use crate::syntax::span::Span;

/// Deepest nesting of expressions (across calls) before the run stops.
/// Above what one statement can nest (the parser's bound of 3000
/// operators) times the nesting f-strings allow, so only recursion meets it.
pub const MAX_DEPTH: usize = 20_000;

/// Deepest nesting of function calls before the run stops.
pub const MAX_CALL_DEPTH: usize = 1000;

/// Levels between two checks of the stack left.
const GROW_EVERY: usize = 8;

/// Stack that must be left at a check, else a new segment is used.
const RED_ZONE: usize = 1 << 20;

/// Size of a new stack segment.
const SEGMENT: usize = 16 << 20;

thread_local! {
    static DEPTH: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// One level entered; leaving it is dropping this.
pub struct Level {
    call: bool,
}

impl Drop for Level {
    fn drop(&mut self) {
        let call = usize::from(self.call);
        DEPTH.with(|d| {
            let (e, c) = d.get();
            d.set((e.saturating_sub(1), c.saturating_sub(call)));
        });
    }
}

/// Enters one level of expression nesting at `span`, as [`enter`] does for
/// an expression that is not a call, with the limit and the stack checked
/// only every [`GROW_EVERY`] levels (so the run stops within that many
/// levels past [`MAX_DEPTH`]): the common case is two thread-local updates.
#[inline(always)]
pub fn nest<T, E: From<Diagnostic>>(span: Span, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let e = DEPTH.with(|d| {
        let (e, c) = d.get();
        d.set((e + 1, c));
        e + 1
    });
    let _level = Level { call: false };
    if e % GROW_EVERY == 0 {
        return grown(e, span, f);
    }
    f()
}

/// The every-[`GROW_EVERY`]-levels part of [`nest`]: the limit, and a new
/// stack segment when little is left.
#[inline(never)]
fn grown<T, E: From<Diagnostic>>(
    e: usize,
    span: Span,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    if e > MAX_DEPTH {
        return Err(too_deep(span).into());
    }
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

fn too_deep(span: Span) -> Diagnostic {
    limit(format!(
        "expressions nested deeper than {MAX_DEPTH} (counting those of the calls in progress)"
    ))
    .at(span)
    .hint("recurse less deeply (use a loop), or split deeply nested expressions with intermediate variables")
}

/// Enters one level of expression nesting (a call when `call`) at `span`,
/// or fails past the limit. Runs `f` inside the level, on a grown stack if
/// needed.
pub fn enter<T, E: From<Diagnostic>>(
    call: bool,
    span: Span,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let (e, c) = DEPTH.with(|d| {
        let (e, c) = d.get();
        let next = (e + 1, c + usize::from(call));
        d.set(next);
        next
    });
    let _level = Level { call };
    if c > MAX_CALL_DEPTH {
        return Err(limit(format!("calls nested deeper than {MAX_CALL_DEPTH}"))
            .at(span)
            .hint("a recursive def needs a base case; or use a loop")
            .into());
    }
    if e > MAX_DEPTH {
        return Err(too_deep(span).into());
    }
    // A call is a few frames more than an expression level: checking every
    // few levels of either keeps the stack used between two checks far
    // below the red zone.
    if e % GROW_EVERY == 0 {
        stacker::maybe_grow(RED_ZONE, SEGMENT, f)
    } else {
        f()
    }
}

/// The current thread's depth, to hand to a worker (see [`inherit`]).
pub fn current() -> (usize, usize) {
    DEPTH.with(Cell::get)
}

/// Sets this thread's depth to `depth` (from [`current`] on the thread
/// that handed it work) until the returned guard is dropped.
pub fn inherit(depth: (usize, usize)) -> Inherited {
    let before = DEPTH.with(|d| d.replace(depth));
    Inherited { before }
}

/// Restores a thread's own depth when dropped.
pub struct Inherited {
    before: (usize, usize),
}

impl Drop for Inherited {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(self.before));
    }
}

fn limit(message: String) -> Diagnostic {
    Diagnostic::new(Stage::Limit, message)
}
