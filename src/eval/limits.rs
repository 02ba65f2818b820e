//! Limits on a run: steps, wall time, memory held by values, output size.
//!
//! A [`Meter`] counts as the program runs; reaching a limit is an error of
//! stage `Limit` that names the flag to raise, never a hang or a crash.
//! Steps are counted per thread and added to the shared total in batches, so
//! a parallel `map` does not contend on one counter.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::render::{Bound, Stop};
use crate::diag::{Diagnostic, Stage};

/// The limits of one run.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Evaluation steps (expression nodes and per-item work of builtins).
    pub max_steps: u64,
    /// Wall-clock time.
    pub max_time: Duration,
    /// Heap bytes held (values and interpreter), when the counting allocator is installed.
    pub max_memory: usize,
    /// Bytes of printed output.
    pub max_output: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: 1_000_000_000,
            max_time: Duration::from_secs(600),
            max_memory: 8 << 30,
            max_output: 1 << 30,
        }
    }
}

const BATCH: u32 = 1024;

/// See [`Meter::settling`].
pub struct Settling<'m>(&'m Meter);

impl Drop for Settling<'_> {
    fn drop(&mut self) {
        self.0.settle();
    }
}

thread_local! {
    static PENDING: Cell<u32> = const { Cell::new(0) };
}

/// Counters of one run, shared by all threads working on it.
pub struct Meter {
    limits: Limits,
    steps: AtomicU64,
    output: AtomicU64,
    base: Instant,
    /// Nanoseconds after `base` when the current run started.
    start_ns: AtomicU64,
    /// Set from outside (Ctrl-C in `rlmq repl`) to stop the current run.
    interrupt: Arc<AtomicBool>,
}

impl Meter {
    /// A meter starting now.
    pub fn new(limits: Limits) -> Meter {
        Meter {
            limits,
            steps: AtomicU64::new(0),
            output: AtomicU64::new(0),
            base: Instant::now(),
            start_ns: AtomicU64::new(0),
            interrupt: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The flag that, once set, stops the current run at its next check
    /// like a limit (the next batch of steps).
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Counts one step; every batch of steps also checks time and memory.
    #[inline]
    pub fn tick(&self) -> Result<(), Diagnostic> {
        self.ticks(1)
    }

    /// Counts `n` steps at once (a builtin's per-item work).
    #[inline]
    pub fn ticks(&self, n: u64) -> Result<(), Diagnostic> {
        let pending = PENDING.with(|p| {
            let v = p.get() as u64 + n;
            if v >= BATCH as u64 {
                p.set(0);
                v
            } else {
                p.set(v as u32);
                0
            }
        });
        if pending > 0 {
            self.flush(pending)?;
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn flush(&self, n: u64) -> Result<(), Diagnostic> {
        if self.interrupt.load(Ordering::Relaxed) {
            return Err(
                limit("interrupted (Ctrl-C)".into()).hint("the variables set before it are kept")
            );
        }
        let total = self.steps.fetch_add(n, Ordering::Relaxed) + n;
        if total > self.limits.max_steps {
            return Err(limit(format!(
                "the script ran more than {} steps",
                self.limits.max_steps
            ))
            .hint("raise --max-steps, or do less work per item (search with grep/count instead of looping over lines)"));
        }
        self.check_time()?;
        self.check_memory(0)
    }

    /// How many more bytes the script's values may hold.
    pub fn memory_room(&self) -> usize {
        self.limits.max_memory.saturating_sub(held())
    }

    /// Fails if holding `extra` more bytes would pass the memory limit.
    pub fn check_memory(&self, extra: usize) -> Result<(), Diagnostic> {
        let counted = crate::alloc::allocated() > 0;
        if counted && held().saturating_add(extra) > self.limits.max_memory {
            return Err(self.memory_error());
        }
        Ok(())
    }

    /// What a rendering of a value may build: no more than the memory
    /// left (and, when the text will be printed, the output left), and no
    /// later than the time limit.
    pub fn bound(&self, printed: bool) -> Bound {
        Bound {
            max_bytes: self.room(printed),
            deadline: self.deadline(),
        }
    }

    /// When the time limit passes, if it can be told.
    pub fn deadline(&self) -> Option<Instant> {
        let left = self.limits.max_time.saturating_sub(self.elapsed());
        Instant::now().checked_add(left)
    }

    /// The bytes of text a rendering may build: [`Meter::bound`] without
    /// the deadline (reading the clock twice costs more than rendering a
    /// number or copying a short string).
    pub fn room(&self, printed: bool) -> usize {
        let mut max_bytes = self.memory_room();
        if crate::alloc::allocated() == 0 {
            max_bytes = usize::MAX;
        }
        if printed {
            max_bytes = max_bytes.min(self.output_room().saturating_add(1));
        }
        max_bytes
    }

    /// The limit error for a rendering that stopped at `stop` (see
    /// [`Meter::bound`]).
    pub fn stopped(&self, stop: Stop, printed: bool) -> Diagnostic {
        match stop {
            Stop::Time => self.time_error(),
            Stop::Size if printed && self.output_room() < self.memory_room() => self.output_error(),
            Stop::Size => self.memory_error(),
        }
    }

    fn output_room(&self) -> usize {
        let used = self.output.load(Ordering::Relaxed);
        usize::try_from(self.limits.max_output.saturating_sub(used)).unwrap_or(usize::MAX)
    }

    /// Fails once the time limit has passed (for long work that counts no
    /// steps: reading inputs, waiting for a reply).
    pub fn check_time(&self) -> Result<(), Diagnostic> {
        if self.elapsed() > self.limits.max_time {
            return Err(self.time_error());
        }
        Ok(())
    }

    /// Time left before the limit.
    pub fn time_left(&self) -> Duration {
        self.limits.max_time.saturating_sub(self.elapsed())
    }

    fn time_error(&self) -> Diagnostic {
        limit(format!(
            "the script ran longer than {} s",
            self.limits.max_time.as_secs_f64()
        ))
        .hint("raise --max-time, or narrow the work with grep/partition first")
    }

    fn memory_error(&self) -> Diagnostic {
        limit(format!(
            "the script's values would hold more than {} MiB of memory",
            self.limits.max_memory >> 20
        ))
        .hint("raise --max-memory, or keep views of the context instead of building large strings and lists")
    }

    fn output_error(&self) -> Diagnostic {
        limit(format!(
            "the script printed more than {} bytes",
            self.limits.max_output
        ))
        .hint("print a sample (head, take) instead of everything, or raise --max-output")
    }

    /// Counts printed bytes against the output limit.
    pub fn output(&self, bytes: usize) -> Result<(), Diagnostic> {
        let total = self.output.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
        if total > self.limits.max_output {
            return Err(self.output_error());
        }
        Ok(())
    }

    /// Adds the steps this thread has counted but not yet flushed to the
    /// shared total (no limit is checked here): see [`Self::settling`].
    fn settle(&self) {
        let pending = PENDING.try_with(|p| p.replace(0)).unwrap_or(0);
        if pending > 0 {
            self.steps.fetch_add(u64::from(pending), Ordering::Relaxed);
        }
    }

    /// A guard that adds this thread's unflushed steps to the shared total
    /// when it is dropped: held by a worker of a parallel `map` for its
    /// part of the work, so that the total does not depend on how the
    /// items fell to threads.
    pub fn settling(&self) -> Settling<'_> {
        Settling(self)
    }

    /// Steps counted so far: all of this thread's, and every step of the
    /// workers of the parallel work done (each settles when its part ends).
    pub fn steps(&self) -> u64 {
        let pending = PENDING.try_with(|p| u64::from(p.get())).unwrap_or(0);
        self.steps.load(Ordering::Relaxed) + pending
    }

    /// Time since the run started.
    pub fn elapsed(&self) -> Duration {
        let start = Duration::from_nanos(self.start_ns.load(Ordering::Relaxed));
        self.base.elapsed().saturating_sub(start)
    }

    /// Starts the count again: steps, output and time are limits per run,
    /// so each turn of a session gets the whole allowance; an interrupt of
    /// the last run is cleared.
    pub fn restart(&self) {
        self.interrupt.store(false, Ordering::Relaxed);
        self.steps.store(0, Ordering::Relaxed);
        let _ = PENDING.try_with(|p| p.set(0));
        self.output.store(0, Ordering::Relaxed);
        let now = self.base.elapsed().as_nanos().min(u64::MAX as u128) as u64;
        self.start_ns.store(now, Ordering::Relaxed);
    }
}

fn limit(message: String) -> Diagnostic {
    Diagnostic::new(Stage::Limit, message)
}

/// Heap bytes the run holds: all the counting allocator reports, less the
/// idle request-body buffers kept for the next sub-call (memory no value
/// holds, and which a `map` of sub-calls leaves behind).
fn held() -> usize {
    crate::alloc::allocated().saturating_sub(crate::llm::body_pool::BODIES.idle_bytes())
}
