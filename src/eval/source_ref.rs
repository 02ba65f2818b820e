//! A view's handle on the [`Source`] it slices, counted per thread.
//!
//! Every string a program takes from the context (a line, a field of
//! `split`, a group of a match) is a view that keeps its source alive.
//! Were every view to hold the one `Arc<Source>` of the context, each view
//! made or dropped would update one shared counter, and the threads of a
//! `map` or `count_by` would spend their time passing its cache line back
//! and forth (measured: about a fifth of the samples of a two-thread
//! `count_by` over split lines, on the counter's `lock inc` and `dec`). A [`SourceRef`] is instead a counted handle on that `Arc`: each
//! thread makes the views it cuts through a handle of its own
//! ([`SourceRef::here`]), so their counts stay in that thread's cache.

use std::cell::RefCell;
use std::ops::Deref;
use std::sync::Arc;

use crate::context::source::Source;

/// A counted handle on a shared source; it reads as the [`Source`].
// The second allocation is the point: each handle has a count of its own.
#[allow(clippy::redundant_allocation)]
#[derive(Clone)]
pub struct SourceRef(Arc<Arc<Source>>);

/// Handles a thread keeps for the sources it cut views from last.
const KEPT: usize = 2;

thread_local! {
    static HERE: RefCell<[Option<SourceRef>; KEPT]> = const { RefCell::new([None, None]) };
}

impl SourceRef {
    /// A first handle on `src`.
    pub fn new(src: Arc<Source>) -> SourceRef {
        SourceRef(Arc::new(src))
    }

    /// Whether this handle is on `src`.
    pub fn is(&self, src: &Arc<Source>) -> bool {
        Arc::ptr_eq(&*self.0, src)
    }

    /// Whether this handle and `other` are on one source.
    pub fn same_source(&self, other: &SourceRef) -> bool {
        Arc::ptr_eq(&*self.0, &*other.0)
    }

    /// The source, for changing, when this handle is the only one on it
    /// and no other thread's handle shares it.
    pub fn get_mut(&mut self) -> Option<&mut Source> {
        Arc::get_mut(&mut self.0).and_then(Arc::get_mut)
    }

    /// A handle on the same source for a view made on this thread: the
    /// thread's own handle, made the first time it cuts from this source.
    /// A thread keeps the handles of the last [`KEPT`] sources it cut from
    /// (so each keeps at most that many sources alive after a run).
    #[inline]
    pub fn here(&self) -> SourceRef {
        HERE.try_with(|kept| {
            let Ok(mut kept) = kept.try_borrow_mut() else {
                return self.clone();
            };
            if let Some(h) = kept.iter().flatten().find(|h| Arc::ptr_eq(&*h.0, &*self.0)) {
                return h.clone();
            }
            let own = SourceRef(Arc::new(Arc::clone(&self.0)));
            kept.rotate_right(1);
            kept[0] = Some(own.clone());
            own
        })
        .unwrap_or_else(|_| self.clone())
    }
}

impl Deref for SourceRef {
    type Target = Source;

    #[inline]
    fn deref(&self) -> &Source {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Arc<Source> {
        Arc::new(Source::from_vec(text.as_bytes().to_vec()))
    }

    #[test]
    fn handles_of_one_source_read_it_and_are_shared_per_thread() {
        let src = source("alpha beta");
        let first = SourceRef::new(src.clone());
        let a = first.here();
        let b = first.here();
        assert!(a.is(&src) && b.is(&src));
        assert!(Arc::ptr_eq(&a.0, &b.0), "one handle per thread");
        assert_eq!(a.bytes(), b"alpha beta");
        let other = std::thread::spawn(move || {
            let c = first.here();
            (Arc::ptr_eq(&c.0, &a.0), c.bytes().to_vec())
        })
        .join()
        .unwrap();
        assert_eq!(
            other,
            (false, b"alpha beta".to_vec()),
            "another thread's own"
        );
    }

    #[test]
    fn a_thread_keeps_only_its_last_sources() {
        let sources: Vec<Arc<Source>> = (0..4).map(|i| source(&format!("s{i}"))).collect();
        for s in &sources {
            drop(SourceRef::new(s.clone()).here());
        }
        // The test's handles are gone; the thread holds the last two.
        let held: Vec<usize> = sources.iter().map(Arc::strong_count).collect();
        assert_eq!(held, vec![1, 1, 2, 2]);
    }
}
