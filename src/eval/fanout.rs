//! Running a function that calls models over many items at once.
//!
//! `map` (and the other builtins that apply a function) hand items whose
//! function reaches `llm`/`rlm` to a pool of OS threads, the backend's
//! concurrency and one more per core (so that preparing a request and
//! storing a reply overlap the network wait); the backend's semaphore
//! bounds the requests in flight across the whole call tree, nested maps
//! included. Each item prints into its own buffer; buffers and results
//! come back in input order, so the output is the same as a sequential
//! run. A script error in one item stops the others from starting new
//! items, and the error of the earliest failing item is reported.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::env::Globals;
use super::flow::{Flow, R};
use super::interp::Runtime;
use super::value::{Func, Value};
use crate::syntax::span::Span;

/// Native stack of a fan-out worker: the interpreter thread's, so that a
/// function nests as deeply in `map` as outside it (deep recursion grows
/// it further, see [`super::depth`]).
pub const WORKER_STACK: usize = 256 << 20;

type Slot = Mutex<Option<(R<Value>, Vec<u8>)>>;

/// `f(x)` for every item on up to `workers` threads; results in order.
pub fn apply_concurrently(
    rt: &Runtime,
    items: &[Value],
    f: &Func,
    globals: &Globals,
    out: &mut dyn Write,
    span: Span,
    workers: usize,
) -> R<Vec<Value>> {
    let n = items.len();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Vec<Slot> = (0..n).map(|_| Mutex::new(None)).collect();
    let depth = super::depth::current();
    let run_item = |i: usize| {
        let _depth = super::depth::inherit(depth);
        let mut buf = Vec::new();
        let r = rt.call_one(f, items[i].clone(), globals, None, &mut buf, span);
        (r, buf)
    };
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, n.max(1)) {
            let work = || {
                let _settle = rt.meter.settling();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let (r, buf) = run_item(i);
                    if r.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some((r, buf));
                }
            };
            let spawned = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, work);
            if spawned.is_err() {
                // No thread to be had: the items left run on the threads
                // already started (or, with none, after the scope below).
                break;
            }
        }
    });
    let mut results = Vec::with_capacity(n);
    for (i, slot) in slots.into_iter().enumerate() {
        let taken = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        let (r, buf) = match taken {
            Some(x) => x,
            None if stop.load(Ordering::Relaxed) => continue,
            None => run_item(i),
        };
        out.write_all(&buf).map_err(|e| {
            Flow::from(crate::diag::Diagnostic::runtime(
                span,
                format!("cannot write output: {e}"),
            ))
        })?;
        results.push(r?);
    }
    Ok(results)
}
