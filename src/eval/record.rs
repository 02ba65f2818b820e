//! Records: insertion-ordered maps from [`Key`]s to values.
//!
//! Most records are rows of a few fields (`{user: u, label: l}`), made a
//! million at a time, so a record is its entries in order and nothing more
//! until it grows past [`SMALL`] entries: a key is found by a scan that
//! compares addresses first (a program's field names share one string per
//! name). Past that, a hash index over the entries is built and kept
//! (foldhash, seeded at random per process, so keys taken from a document
//! cannot be chosen to collide).

use std::borrow::Cow;
use std::hash::{BuildHasher, Hash};

use hashbrown::Equivalent;
use hashbrown::HashTable;

use super::value::{same_text, Key, KeyRef, Value};

/// Records with at most this many entries have no hash index.
const SMALL: usize = 8;

/// An insertion-ordered map from keys to values.
#[derive(Clone, Default)]
pub struct Record {
    entries: Vec<(Key, Value)>,
    index: Option<Box<Index>>,
}

/// The hash index of a large record: positions in its entries.
#[derive(Clone)]
struct Index {
    table: HashTable<usize>,
    state: foldhash::fast::RandomState,
}

impl Index {
    /// An index over `entries`.
    fn over(entries: &[(Key, Value)]) -> Box<Index> {
        let mut index = Box::new(Index {
            table: HashTable::with_capacity(entries.len()),
            state: foldhash::fast::RandomState::default(),
        });
        for (i, (k, _)) in entries.iter().enumerate() {
            index.add(entries, k, i);
        }
        index
    }

    /// Adds entry `i`, whose key is `k`.
    fn add(&mut self, entries: &[(Key, Value)], k: &Key, i: usize) {
        let state = &self.state;
        let hash = state.hash_one(k);
        self.table
            .insert_unique(hash, i, |&j| state.hash_one(&entries[j].0));
    }

    /// The position of the entry whose key is `q`.
    fn find<Q: Hash + Equivalent<Key> + ?Sized>(
        &self,
        entries: &[(Key, Value)],
        q: &Q,
    ) -> Option<usize> {
        let hash = self.state.hash_one(q);
        self.table
            .find(hash, |&i| q.equivalent(&entries[i].0))
            .copied()
    }
}

impl Record {
    /// An empty record with room for `n` entries.
    pub fn with_capacity(n: usize) -> Record {
        Record {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The position of the entry whose key is `q`.
    #[inline]
    pub fn get_index_of<Q: Hash + Equivalent<Key> + ?Sized>(&self, q: &Q) -> Option<usize> {
        match &self.index {
            Some(index) => index.find(&self.entries, q),
            None => self.entries.iter().position(|(k, _)| q.equivalent(k)),
        }
    }

    /// The value whose key is `q`.
    #[inline]
    pub fn get<Q: Hash + Equivalent<Key> + ?Sized>(&self, q: &Q) -> Option<&Value> {
        self.get_index_of(q).map(|i| &self.entries[i].1)
    }

    /// The value of the string key `name` (a field, `r.name`). A small
    /// record is scanned for it directly, without the borrowed-key
    /// comparison [`Record::get`] makes for keys of either kind.
    #[inline]
    pub fn field(&self, name: &str) -> Option<&Value> {
        if self.index.is_some() {
            return self.get(&KeyRef::Str(Cow::Borrowed(name)));
        }
        self.entries.iter().find_map(|(k, v)| match k {
            Key::Str(s) if same_text(s, name) => Some(v),
            _ => None,
        })
    }

    /// Whether some entry's key is `q`.
    pub fn contains_key<Q: Hash + Equivalent<Key> + ?Sized>(&self, q: &Q) -> bool {
        self.get_index_of(q).is_some()
    }

    /// The entry at position `i`.
    pub fn get_index(&self, i: usize) -> Option<(&Key, &Value)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    /// The entry at position `i`, its value for changing in place.
    pub fn get_index_mut(&mut self, i: usize) -> Option<(&Key, &mut Value)> {
        self.entries.get_mut(i).map(|(k, v)| (&*k, v))
    }

    /// Sets `k` to `v`: in its place if present (returning the value it
    /// had), else as a new last entry. Returns the entry's position too.
    pub fn insert_full(&mut self, k: Key, v: Value) -> (usize, Option<Value>) {
        if let Some(i) = self.get_index_of(&k) {
            return (i, Some(std::mem::replace(&mut self.entries[i].1, v)));
        }
        let i = self.entries.len();
        match &mut self.index {
            Some(index) => {
                index.add(&self.entries, &k, i);
                self.entries.push((k, v));
            }
            None => {
                self.entries.push((k, v));
                if self.entries.len() > SMALL {
                    self.index = Some(Index::over(&self.entries));
                }
            }
        }
        (i, None)
    }

    /// Sets `k` to `v` (see [`Record::insert_full`]).
    pub fn insert(&mut self, k: Key, v: Value) -> Option<Value> {
        self.insert_full(k, v).1
    }

    /// Room for `n` more entries.
    pub fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        if let Some(index) = &mut self.index {
            let (entries, state) = (&self.entries, &index.state);
            index.table.reserve(n, |&j| state.hash_one(&entries[j].0));
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Key, &Value)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in order, for changing in place.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// The values in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl FromIterator<(Key, Value)> for Record {
    fn from_iter<I: IntoIterator<Item = (Key, Value)>>(iter: I) -> Record {
        let iter = iter.into_iter();
        let mut r = Record::with_capacity(iter.size_hint().0);
        for (k, v) in iter {
            r.insert(k, v);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> Key {
        if i % 3 == 0 {
            Key::Int(i as i64)
        } else {
            Key::Str(format!("k{i}").as_str().into())
        }
    }

    /// Small and indexed records answer alike: every key is found at its
    /// position, by owned and borrowed key, replaced in place, and absent
    /// keys are absent, at every size across the switch to an index.
    #[test]
    fn small_and_indexed_records_agree() {
        for n in 0..40 {
            let mut r = Record::default();
            for i in 0..n {
                let (at, old) = r.insert_full(key(i), Value::Int(i as i64));
                assert_eq!(at, i);
                assert!(old.is_none());
            }
            assert_eq!(r.len(), n);
            assert_eq!(r.index.is_some(), n > SMALL);
            for i in 0..n {
                assert_eq!(r.get_index_of(&key(i)), Some(i));
                let borrowed = match key(i) {
                    Key::Str(s) => KeyRef::Str(Cow::Owned(s.to_string())),
                    Key::Int(x) => KeyRef::Int(x),
                };
                assert!(matches!(r.get(&borrowed), Some(Value::Int(x)) if *x == i as i64));
            }
            assert_eq!(r.get_index_of(&key(n + 1)), None);
            assert!(!r.contains_key(&KeyRef::Str(Cow::Borrowed("absent"))));
            if n > 0 {
                let (i, old) = r.insert_full(key(n / 2), Value::Null);
                assert_eq!(i, n / 2);
                assert!(old.is_some());
                assert_eq!(r.len(), n);
            }
            let order: Vec<Key> = r.keys().cloned().collect();
            assert_eq!(order, (0..n).map(key).collect::<Vec<_>>());
            r.reserve(100);
            assert_eq!(r.get_index_of(&key(n.saturating_sub(1))), n.checked_sub(1));
        }
    }
}
