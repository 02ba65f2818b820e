//! A counting global allocator, so that the memory held by a script's
//! values can be limited.
//!
//! The memory comes from mimalloc: a program's values are many small,
//! short-lived blocks (a list per call's arguments, a string per field),
//! which it hands out and takes back in a fraction of the instructions the
//! system allocator needs.
//!
//! The `rlmq` binary installs [`CountingAlloc`] as its global allocator;
//! [`allocated`] then reports the bytes currently held on the heap. The
//! memory-mapped context is not heap memory and is not counted. A library
//! user who does not install it gets `0` and no memory limit.

use std::alloc::{GlobalAlloc, Layout};

use libmimalloc_sys as ffi;
use mimalloc::MiMalloc as Backing;
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

/// The alignment every block from mimalloc has: layouts that ask no more
/// take its unaligned entry points, a few instructions shorter than the
/// aligned ones the `mimalloc` crate always calls.
const WORD: usize = std::mem::size_of::<usize>();

/// Bytes held, as of the last flush of every thread's local count.
static ALLOCATED: AtomicIsize = AtomicIsize::new(0);

/// A thread's count moves to [`ALLOCATED`] once it reaches this many bytes
/// either way: one shared atomic per allocation made two threads fight over
/// its cache line (a sixth of the time of an allocation-heavy `map`). The
/// total is then off by less than this per thread, and a thread that exits
/// leaves at most this much uncounted.
const FLUSH: isize = 16 << 10;

thread_local! {
    // Const-initialised and without a destructor: safe to touch from inside
    // the allocator.
    static LOCAL: Cell<isize> = const { Cell::new(0) };
}

/// Counts `delta` bytes on this thread, flushing to the total when large.
#[inline]
fn count(delta: isize) {
    // During thread teardown the local may be gone: count directly then.
    let flushed = LOCAL.try_with(|local| {
        let v = local.get() + delta;
        if v.abs() >= FLUSH {
            local.set(0);
            ALLOCATED.fetch_add(v, Ordering::Relaxed);
        } else {
            local.set(v);
        }
    });
    if flushed.is_err() {
        ALLOCATED.fetch_add(delta, Ordering::Relaxed);
    }
}

/// mimalloc, counting the bytes it hands out.
pub struct CountingAlloc;

// SAFETY: every method forwards to mimalloc with the caller's own arguments,
// so its guarantees hold unchanged; the counter is only bookkeeping.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = if layout.align() <= WORD {
            // SAFETY: every block mimalloc hands out is word-aligned, so
            // its unaligned entry point meets this layout.
            unsafe { ffi::mi_malloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
            unsafe { Backing.alloc(layout) }
        };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from mimalloc through `alloc`/`realloc` above;
        // `mi_free` takes any block it handed out, aligned or not.
        unsafe { ffi::mi_free(ptr as *mut core::ffi::c_void) };
        count(-(layout.size() as isize));
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = if layout.align() <= WORD {
            // SAFETY: as in `alloc`.
            unsafe { ffi::mi_zalloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: forwarded unchanged.
            unsafe { Backing.alloc_zeroed(layout) }
        };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = if layout.align() <= WORD {
            // SAFETY: `ptr` came from mimalloc; the moved block is
            // word-aligned like every block it hands out.
            unsafe { ffi::mi_realloc(ptr as *mut core::ffi::c_void, new_size) as *mut u8 }
        } else {
            // SAFETY: forwarded unchanged; `ptr` was allocated by this allocator.
            unsafe { Backing.realloc(ptr, layout, new_size) }
        };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Bytes currently allocated through [`CountingAlloc`], to within 16 KiB per
/// thread (0 when it is not the global allocator).
pub fn allocated() -> usize {
    ALLOCATED.load(Ordering::Relaxed).max(0) as usize
}
