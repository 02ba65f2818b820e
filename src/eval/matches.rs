//! The matches of a `grep`, as a lazy list.
//!
//! A search over a large context can find millions of matches, and a
//! program most often turns each into a record at once
//! (`grep(...) | map(m => {...})`). [`MatchesOf`] keeps only what the
//! search found, each match's bounds and its capture groups' bounds in two
//! flat arrays (16 bytes a match and 16 a group), and makes a match value
//! (about 250 bytes with its row of groups) when an item is read. A `map`
//! over the list frees each one as soon as its item is done, and makes it
//! on the thread that runs the item.

use std::sync::Arc;

use crate::context::Context;
use crate::search::GroupTable;

use super::thread_copies::string_here;
use super::value::{MatchValue, Str, Value};

/// The matches of one search of `hay`, made into values as they are read.
pub struct MatchesOf {
    hay: Str,
    hits: Vec<(usize, usize)>,
    groups: GroupTable,
    around: usize,
    /// The context, when `hay` is a view of its source: it names each
    /// match's document.
    context: Option<Arc<Context>>,
}

impl MatchesOf {
    /// The matches `hits` of `hay` (byte bounds relative to `hay`), with
    /// their groups, `around` lines of context asked for each.
    pub fn new(
        hay: Str,
        hits: Vec<(usize, usize)>,
        groups: GroupTable,
        around: usize,
        context: &Arc<Context>,
    ) -> MatchesOf {
        let of_context = hay.as_view().is_some_and(|v| v.src.is(&context.source));
        MatchesOf {
            hay,
            hits,
            groups,
            around,
            context: of_context.then(|| context.clone()),
        }
    }

    /// How many matches there are.
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    /// True when the search found nothing.
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Match `i`, if there is one, made for this thread: it holds no
    /// count that the values other threads make from this list update too
    /// (its text through this thread's handle on the source, its groups
    /// and its document's name copied), so the threads of a `map` over the
    /// list never pass a shared count's cache line back and forth.
    pub fn get(&self, i: usize) -> Option<Value> {
        let &(start, end) = self.hits.get(i)?;
        let hay = match &self.hay {
            Str::View(v) => Str::View(v.here()),
            owned => owned.clone(),
        };
        let mut doc_range = None;
        let doc = self.context.as_ref().and_then(|c| match c.docs.len() {
            0 | 1 => c.docs.first().map(|d| string_here(&d.name)),
            _ => c.doc_at(hay.as_view()?.range.start + start).map(|d| {
                doc_range = Some(d.range.clone());
                string_here(&d.name)
            }),
        });
        Some(Value::Match(Arc::new(MatchValue {
            hay,
            range: start..end,
            groups: self.groups.row(i),
            around: self.around,
            doc,
            doc_range,
        })))
    }
}
