//! The text of a string literal for a value made on this thread.
//!
//! A literal (`contains(l, "harbor")`) is one shared string in the
//! program, and each evaluation adds to its count. The workers of a `map`
//! run the same program, so on two threads each literal's count (and
//! whatever shares its cache line) went back and forth between the cores
//! at every evaluation: the `lock inc` of one literal was most of the
//! samples of `eval` in a parallel comprehension over lines. A worker
//! thread instead makes its own copy of each literal it evaluates, once,
//! and counts on that; the calling thread uses the program's string.

use std::cell::RefCell;
use std::sync::Arc;

/// Literals a worker thread keeps copies of.
const KEPT: usize = 32;

thread_local! {
    /// The program's literal, and this thread's copy of it.
    static COPIES: RefCell<Vec<(Arc<str>, Arc<str>)>> = const { RefCell::new(Vec::new()) };
}

/// The literal `text` for a value made here: this thread's copy of it on
/// a worker thread of the pool, the program's string elsewhere.
#[inline]
pub fn literal_here(text: &Arc<str>) -> Arc<str> {
    if rayon::current_thread_index().is_none() {
        return text.clone();
    }
    COPIES
        .try_with(|copies| {
            let Ok(mut copies) = copies.try_borrow_mut() else {
                return text.clone();
            };
            if let Some((_, own)) = copies.iter().find(|(of, _)| Arc::ptr_eq(of, text)) {
                return own.clone();
            }
            // The program's string is kept with its copy, so its address
            // cannot be taken by another literal while the entry lives.
            let own: Arc<str> = Arc::from(&**text);
            if copies.len() == KEPT {
                copies.remove(0);
            }
            copies.push((text.clone(), own.clone()));
            own
        })
        .unwrap_or_else(|_| text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_counts_on_its_own_copy_and_the_caller_on_the_program_string() {
        let text: Arc<str> = Arc::from("harbor");
        assert!(
            Arc::ptr_eq(&literal_here(&text), &text),
            "the calling thread"
        );
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (a, b) = pool.install(|| (literal_here(&text), literal_here(&text)));
        assert!(!Arc::ptr_eq(&a, &text), "a worker's copy");
        assert!(Arc::ptr_eq(&a, &b), "made once per worker");
        assert_eq!(&*a, "harbor");
    }
}
