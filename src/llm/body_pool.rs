//! Request-body buffers, used again from one call to the next.
//!
//! A `map` of sub-calls over big pieces writes one body per call, each as
//! large as its piece. Written into fresh memory, every page of every body
//! is a page the kernel must fault in and zero: a sixth of the CPU time of
//! such a `map`. Here a body's buffer comes back when the request is done
//! with it (the last clone of its [`Bytes`] dropped, on whatever thread)
//! and the next body is written into it. A pool keeps at most its bound of
//! buffer capacity; a buffer that would exceed it is freed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bytes::Bytes;

/// The process's pool of body buffers.
pub static BODIES: BodyPool = BodyPool::new(64 << 20);

/// Idle body buffers, at most `keep` bytes of them.
pub struct BodyPool {
    idle: Mutex<Vec<Vec<u8>>>,
    keep: usize,
    /// The idle buffers' capacity (changed under the lock, read without).
    idle_bytes: AtomicUsize,
}

impl BodyPool {
    /// An empty pool that keeps at most `keep` bytes of buffers.
    pub const fn new(keep: usize) -> BodyPool {
        BodyPool {
            idle: Mutex::new(Vec::new()),
            keep,
            idle_bytes: AtomicUsize::new(0),
        }
    }

    /// Bytes of heap the idle buffers hold: memory no value of a script
    /// holds, which its memory limit does not count (see
    /// [`crate::eval::limits`]).
    pub fn idle_bytes(&self) -> usize {
        self.idle_bytes.load(Ordering::Relaxed)
    }

    /// An empty buffer with room for `size` bytes: the smallest idle one
    /// that has it, or a new one (growing a used buffer would copy its old
    /// bytes for nothing) with the room of `size`'s class, so that the
    /// pieces of a `map`, a few bytes apart in size, reuse each other's
    /// buffers.
    pub fn take(&self, size: usize) -> Vec<u8> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let best = (idle.iter().enumerate())
            .filter(|(_, b)| b.capacity() >= size)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        match best {
            Some(i) => {
                let buffer = idle.swap_remove(i);
                self.idle_bytes
                    .fetch_sub(buffer.capacity(), Ordering::Relaxed);
                buffer
            }
            None => Vec::with_capacity(size_class(size)),
        }
    }

    /// `body` as shared bytes whose buffer returns to this pool when the
    /// last clone is dropped.
    pub fn share(&'static self, body: Vec<u8>) -> Bytes {
        Bytes::from_owner(Returned { body, pool: self })
    }

    /// Keeps `buffer` for a later body, if the bound allows.
    pub fn give_back(&self, mut buffer: Vec<u8>) {
        let size = buffer.capacity();
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if size > 0 && self.idle_bytes() + size <= self.keep {
            buffer.clear();
            self.idle_bytes.fetch_add(size, Ordering::Relaxed);
            idle.push(buffer);
        }
    }
}

/// The room of `size`'s class: `size` rounded up to the next of eight
/// steps between two powers of two (at most an eighth more than asked).
fn size_class(size: usize) -> usize {
    let step = (size.checked_next_power_of_two().unwrap_or(size) / 16).max(64);
    size.checked_next_multiple_of(step).unwrap_or(size)
}

/// A body that goes back to its pool when dropped.
struct Returned {
    body: Vec<u8>,
    pool: &'static BodyPool,
}

impl AsRef<[u8]> for Returned {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for Returned {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(keep: usize) -> &'static BodyPool {
        Box::leak(Box::new(BodyPool::new(keep)))
    }

    #[test]
    fn a_body_s_buffer_is_written_again_once_its_request_is_done_with_it() {
        let pool = pool(1 << 20);
        let mut first = pool.take(100_000);
        first.extend_from_slice(&[7u8; 100_000]);
        let address = first.as_ptr();
        let body = pool.share(first);
        let copy = body.clone();
        assert_eq!(&body[..3], &[7, 7, 7]);
        drop(body);
        // Still held by the clone: the next buffer is a new one.
        assert!(pool.idle.lock().unwrap().is_empty());
        drop(copy);
        let again = pool.take(50_000);
        assert!(again.is_empty() && again.capacity() >= 100_000);
        assert_eq!(again.as_ptr(), address);
    }

    #[test]
    fn bodies_a_few_bytes_apart_reuse_one_buffer() {
        let pool = pool(8 << 20);
        let mut last = None;
        for size in [700_000, 700_120, 699_870, 711_000, 703_333] {
            let mut body = pool.take(size);
            body.resize(size, b'x');
            if let Some(address) = last {
                assert_eq!(body.as_ptr(), address, "{size}");
            }
            last = Some(body.as_ptr());
            drop(pool.share(body));
        }
    }

    #[test]
    fn a_size_class_is_at_most_an_eighth_more_than_the_size() {
        for size in (0..5000).chain([65_537, 700_000, 1 << 20, (1 << 20) + 1, usize::MAX / 3]) {
            let class = size_class(size);
            assert!(
                class >= size && class - size <= (size / 8).max(64),
                "{size} -> {class}"
            );
        }
        assert_eq!(size_class(usize::MAX), usize::MAX);
    }

    #[test]
    fn a_pool_frees_what_would_exceed_its_bound() {
        let pool = pool(150_000);
        drop(pool.share(Vec::with_capacity(100_000)));
        drop(pool.share(Vec::with_capacity(100_000)));
        let idle = pool.idle.lock().unwrap();
        assert_eq!(idle.len(), 1, "the second buffer was freed");
        assert_eq!(pool.idle_bytes(), idle[0].capacity());
        assert!(pool.idle_bytes() >= 100_000 && pool.idle_bytes() <= 150_000);
    }

    #[test]
    fn a_buffer_too_small_for_the_next_body_stays_idle() {
        let pool = pool(1 << 20);
        pool.give_back(Vec::with_capacity(10));
        pool.give_back(Vec::with_capacity(1000));
        pool.give_back(Vec::with_capacity(100));
        assert_eq!(pool.take(50).capacity(), 100);
        assert!(pool.take(5000).capacity() >= 5000);
        assert_eq!(pool.idle.lock().unwrap().len(), 2);
        assert_eq!(pool.idle_bytes(), 1010);
    }
}
