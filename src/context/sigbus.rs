//! A one-line error instead of a bare `SIGBUS` when a memory-mapped context
//! file shrinks while rlmq reads it.
//!
//! A mapped file that another process truncates makes every read past its
//! new end raise `SIGBUS`. Reading on after such a fault is not possible
//! (the bytes are gone), so the handler does not try to recover: it finds
//! the mapping the faulting address lies in, writes one prepared line that
//! names the file and `--no-mmap`, and ends the process with `_exit(1)`.
//! Both calls are async-signal-safe; the handler allocates nothing and takes
//! no lock. A fault outside every registered mapping restores the default
//! action and returns, so the fault repeats and ends the process as before.
//!
//! Mappings are registered in a fixed table of atomics ([`Watch::new`]) and
//! leave it when their [`Watch`] is dropped.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Once;

/// Mappings watched at once; more are simply not watched.
const SLOTS: usize = 16;

/// One watched mapping: its address range and the line to write.
struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    message: AtomicPtr<u8>,
    message_len: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    message: AtomicPtr::new(std::ptr::null_mut()),
    message_len: AtomicUsize::new(0),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

static INSTALL: Once = Once::new();

/// Keeps a mapping watched while it lives.
#[derive(Debug)]
pub struct Watch {
    slot: Option<usize>,
}

impl Watch {
    /// Watches `len` bytes mapped at `start` from the file shown as `name`.
    pub fn new(start: *const u8, len: usize, name: &str) -> Watch {
        if len == 0 {
            return Watch { slot: None };
        }
        INSTALL.call_once(install);
        let line = format!(
            "error: context file `{}` was truncated while rlmq read it; rerun with --no-mmap to read it into memory first\n",
            crate::diag::escape_controls(name)
        );
        // Leaked on purpose: the handler may read it at any time, and a
        // slot reused later must never point at freed memory. One short
        // line per mapped file of a run.
        let line: &'static mut [u8] = Box::leak(line.into_bytes().into_boxed_slice());
        for (i, s) in TABLE.iter().enumerate() {
            if s.start
                .compare_exchange(0, start as usize, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                s.message_len.store(line.len(), Ordering::Release);
                s.message.store(line.as_mut_ptr(), Ordering::Release);
                s.len.store(len, Ordering::Release);
                return Watch { slot: Some(i) };
            }
        }
        Watch { slot: None }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            let s = &TABLE[i];
            s.len.store(0, Ordering::Release);
            s.start.store(0, Ordering::Release);
        }
    }
}

#[cfg(unix)]
fn install() {
    // SAFETY: `sigaction` is given a zeroed (valid) struct whose handler is
    // an `extern "C"` function of the SA_SIGINFO signature; the old action
    // is not needed. Installing a handler has no other precondition.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

#[cfg(not(unix))]
fn install() {}

#[cfg(unix)]
extern "C" fn handler(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid `siginfo_t` to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    for s in &TABLE {
        let start = s.start.load(Ordering::Acquire);
        let len = s.len.load(Ordering::Acquire);
        if start != 0 && addr >= start && addr - start < len {
            let msg = s.message.load(Ordering::Acquire);
            let n = s.message_len.load(Ordering::Acquire);
            // SAFETY: `msg` points at `n` leaked bytes that are never freed;
            // `write` and `_exit` are async-signal-safe.
            unsafe {
                libc::write(2, msg as *const libc::c_void, n);
                libc::_exit(1);
            }
        }
    }
    // Not a watched mapping: let the default action happen when the
    // faulting instruction runs again.
    // SAFETY: `signal` with SIG_DFL is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
}
