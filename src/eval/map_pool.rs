//! The threads that run a program's own functions in parallel (`map`,
//! `filter` and their kin over many pure items): a rayon pool whose
//! threads have deep stacks, so a function nests as deeply there as on the
//! interpreter's thread without growing its stack in segments (see
//! [`super::depth`]). The pool starts the first time a program goes
//! parallel: a run that never does starts no threads. Searching and
//! sorting, which run no program code, use rayon's global pool.

use std::sync::OnceLock;

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Native stack of a pool thread.
const STACK: usize = 64 << 20;

/// Runs `f` on a thread of the pool, so that the parallel iterators it
/// starts run there; on the calling thread (and rayon's global pool) if
/// the pool's threads could not be started.
pub fn install<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: OnceLock<Option<ThreadPool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        ThreadPoolBuilder::new()
            .stack_size(STACK)
            .thread_name(|i| format!("rlmq-map-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    fn on_pool_thread() -> bool {
        std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("rlmq-map-"))
    }

    /// Recursion `depth` deep with a frame of about a kilobyte.
    #[inline(never)]
    fn nest(depth: usize) -> usize {
        let frame = std::hint::black_box([1u8; 1024]);
        if depth == 0 {
            return 0;
        }
        usize::from(frame[depth % 1024]) + nest(depth - 1)
    }

    #[test]
    fn parallel_items_started_in_the_pool_run_on_its_deep_stacked_threads() {
        assert!(!on_pool_thread());
        let all = install(|| (0..1000).into_par_iter().all(|_| on_pool_thread()));
        assert!(all, "an item ran outside the pool");
        // Its threads' stacks hold what rayon's 2 MiB default would not.
        let deep = install(|| {
            (0..2)
                .into_par_iter()
                .map(|_| nest(16 << 10))
                .sum::<usize>()
        });
        assert_eq!(deep, 2 * (16 << 10));
    }
}
