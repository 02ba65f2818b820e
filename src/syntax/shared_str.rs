//! The text of a string record key or of a small string value, and the
//! interning of the names and string literals a program writes
//! (variables, fields, record keys: `{name: v}`, `{"any key": v}`,
//! `r.name`; `contains(l, "harbor")`).
//!
//! A record literal inside a `map` is built once per item on every thread;
//! if its keys were shared strings, each record would add to (and later
//! take from) the same reference counts, and the threads would take turns
//! at their cache lines. A key written in a program is instead interned
//! for the life of the process: copying it is copying a pointer. Names are
//! interned in the same table, so the field a program reads (`r.name`) and
//! the key its record literal wrote are one string, and finding the field
//! compares addresses. Interning is bounded (short names, and a total), so
//! a long-running server that sees many programs keeps a bounded set;
//! past the bound a name is a string of its own, which behaves the same,
//! only slower.
//!
//! String literals are interned in the same table, and a string value
//! holds a [`SharedStr`]: evaluating `"harbor"` in a loop, or passing it to
//! a builtin, copies a pointer and updates no count (an atomic increment
//! and decrement per evaluation were a tenth of a loop over lines).

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

/// Names longer than this are not interned.
const LONGEST_INTERNED: usize = 64;
/// The most text interned in a process, in bytes.
const INTERNED_BUDGET: usize = 1 << 20;

/// The interned names, each kept for the life of the process, and the
/// bytes they hold.
static INTERNED: Mutex<(BTreeSet<Arc<str>>, usize)> = Mutex::new((BTreeSet::new(), 0));

/// The process's one string for the name `text` (a string of its own when
/// it is too long, or the budget is spent), and whether it is interned.
fn interned(text: &str) -> (Arc<str>, bool) {
    if text.len() > LONGEST_INTERNED {
        return (Arc::from(text), false);
    }
    // A poisoned lock only means a panic elsewhere; the set is whole.
    let mut interned = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    let (set, used) = &mut *interned;
    if let Some(kept) = set.get(text) {
        return (kept.clone(), true);
    }
    if *used + text.len() > INTERNED_BUDGET {
        return (Arc::from(text), false);
    }
    let kept: Arc<str> = Arc::from(text);
    set.insert(kept.clone());
    *used += text.len();
    (kept, true)
}

/// The name `text` as written in a program: the process's one string for
/// it while interning lasts.
pub fn intern_name(text: &str) -> Arc<str> {
    interned(text).0
}

/// The text of a string record key or of a small string value: interned
/// (a program's literal) or counted (computed).
#[derive(Clone)]
pub enum SharedStr {
    /// A key or literal written in a program, interned for the life of the
    /// process.
    Interned(&'static str),
    /// A computed key or string (or one past the interning bound).
    Counted(Arc<str>),
}

impl SharedStr {
    /// The key written as `text` in a program: interned when it is short
    /// and the process's budget allows (the same string as the name
    /// `text`, see [`intern_name`]).
    pub fn intern(text: &str) -> SharedStr {
        match interned(text) {
            (kept, true) => {
                // SAFETY: the set of interned names holds a count on `kept`
                // for the rest of the process and never removes it, so its
                // text is never freed or moved.
                let text: &'static str = unsafe { &*Arc::as_ptr(&kept) };
                SharedStr::Interned(text)
            }
            (own, false) => SharedStr::Counted(own),
        }
    }
}

impl Deref for SharedStr {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        match self {
            SharedStr::Interned(s) => s,
            SharedStr::Counted(s) => s,
        }
    }
}

impl From<Arc<str>> for SharedStr {
    fn from(s: Arc<str>) -> SharedStr {
        SharedStr::Counted(s)
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> SharedStr {
        SharedStr::Counted(Arc::from(s))
    }
}

impl PartialOrd for SharedStr {
    fn partial_cmp(&self, other: &SharedStr) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SharedStr {
    fn cmp(&self, other: &SharedStr) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == **other
    }
}

impl Eq for SharedStr {}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_written_twice_is_interned_once() {
        let (SharedStr::Interned(a), SharedStr::Interned(b)) =
            (SharedStr::intern("label"), SharedStr::intern("label"))
        else {
            panic!("a short key is interned");
        };
        assert!(std::ptr::eq(a, b));
    }

    #[test]
    fn a_key_and_the_name_of_its_field_are_one_string() {
        let (SharedStr::Interned(key), name) = (SharedStr::intern("user"), intern_name("user"))
        else {
            panic!("a short key is interned");
        };
        assert!(std::ptr::eq(key.as_ptr(), name.as_ptr()));
    }

    #[test]
    fn a_long_key_stays_shared_and_reads_the_same() {
        let long = "k".repeat(LONGEST_INTERNED + 1);
        let key = SharedStr::intern(&long);
        assert!(matches!(key, SharedStr::Counted(_)));
        assert_eq!(&*key, long);
        assert_eq!(key, SharedStr::from(long.as_str()));
    }
}
