//! Copies, kept per thread, of values a program shares: its string
//! literals, its compiled regex literals, and the names of the context's
//! documents that its matches carry.
//!
//! A literal (`contains(l, "harbor")`, `find(l, re"\d+")`) is one shared
//! value in the program, and each evaluation added to its count. The
//! workers of a `map` run the same program, so on two threads each
//! literal's count (and whatever shares its cache line) went back and
//! forth between the cores at every evaluation: the `lock inc` of one
//! string literal was most of the samples of `eval` in a parallel
//! comprehension over lines, and a regex literal took a lock on the
//! runtime's table of compiled patterns besides. A thread instead makes
//! its own copy of each literal it evaluates, once, and counts on that.

use std::cell::RefCell;
use std::sync::Arc;
use std::thread::LocalKey;

use super::value::RegexValue;

/// Literals a thread keeps copies of, per kind.
const KEPT: usize = 32;

/// A thread's copies: the program's literal, and the copy.
type Copies<T> = RefCell<Vec<(Arc<str>, T)>>;

thread_local! {
    static STRINGS: Copies<Arc<str>> = const { RefCell::new(Vec::new()) };
    static REGEXES: Copies<Arc<RegexValue>> = const { RefCell::new(Vec::new()) };
}

/// This thread's copy of what `of` stands for in `copies`, made by `make`
/// the first time (`None`: nothing to keep, and `make`'s error, if any,
/// is the caller's to find again).
fn copy_here<T: Clone>(
    copies: &'static LocalKey<Copies<T>>,
    of: &Arc<str>,
    make: impl FnOnce() -> Option<T>,
) -> Option<T> {
    copies
        .try_with(|copies| {
            let mut copies = copies.try_borrow_mut().ok()?;
            if let Some((_, own)) = copies.iter().find(|(k, _)| Arc::ptr_eq(k, of)) {
                return Some(own.clone());
            }
            let own = make()?;
            if copies.len() == KEPT {
                copies.remove(0);
            }
            // The program's literal is kept with its copy, so its address
            // cannot be taken by another literal while the entry lives.
            copies.push((of.clone(), own.clone()));
            Some(own)
        })
        .ok()
        .flatten()
}

/// A shared string `text` (a string literal, a document's name) for a
/// value made here: this thread's copy of it on a worker thread of the
/// pool, the shared string elsewhere.
#[inline]
pub fn string_here(text: &Arc<str>) -> Arc<str> {
    if rayon::current_thread_index().is_none() {
        return text.clone();
    }
    copy_here(&STRINGS, text, || Some(Arc::from(&**text))).unwrap_or_else(|| text.clone())
}

/// This thread's compiled regex literal `source`, if it has one; else
/// `compile()`'s, whose compiled pattern this thread's copy shares, with a
/// count and search caches of its own.
pub fn regex_here<E>(
    source: &Arc<str>,
    mut compile: impl FnMut() -> Result<Arc<RegexValue>, E>,
) -> Result<Arc<RegexValue>, E> {
    let mut failed = None;
    let own = copy_here(&REGEXES, source, || match compile() {
        Ok(shared) => Some(Arc::new(RegexValue::new(
            shared.source.clone(),
            shared.matcher.with_own_caches(),
        ))),
        Err(e) => {
            failed = Some(e);
            None
        }
    });
    match (own, failed) {
        (Some(own), _) => Ok(own),
        (None, Some(e)) => Err(e),
        // No thread-local storage (the thread is ending): compile as usual.
        (None, None) => compile(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_counts_on_its_own_copy_and_the_caller_on_the_program_string() {
        let text: Arc<str> = Arc::from("harbor");
        assert!(
            Arc::ptr_eq(&string_here(&text), &text),
            "the calling thread"
        );
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (a, b) = pool.install(|| (string_here(&text), string_here(&text)));
        assert!(!Arc::ptr_eq(&a, &text), "a worker's copy");
        assert!(Arc::ptr_eq(&a, &b), "made once per worker");
        assert_eq!(&*a, "harbor");
    }

    #[test]
    fn a_regex_literal_is_compiled_once_per_thread_and_errors_are_not_kept() {
        use crate::search::{Matcher, PatternSpec};
        let source: Arc<str> = Arc::from(r"\d+");
        let mut compiled = 0;
        let mut compile = || -> Result<Arc<RegexValue>, String> {
            compiled += 1;
            let m = Matcher::new(&PatternSpec::Regex(r"\d+".into()), false)
                .map_err(|e| e.to_string())?;
            Ok(Arc::new(RegexValue::new(source.clone(), m)))
        };
        let a = regex_here(&source, &mut compile).unwrap();
        let b = regex_here(&source, &mut compile).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(compiled, 1);
        let bad: Arc<str> = Arc::from("(");
        let fail = || -> Result<Arc<RegexValue>, String> { Err("unclosed group".into()) };
        assert_eq!(
            regex_here(&bad, fail).err().as_deref(),
            Some("unclosed group")
        );
        assert_eq!(
            regex_here(&bad, fail).err().as_deref(),
            Some("unclosed group")
        );
    }
}
