//! Capture groups of many matches, kept in one flat allocation.
//!
//! A search that reports groups for a million matches would otherwise make
//! a million small vectors. [`GroupTable`] holds every match's group bounds
//! in one flat array (two slots per group, [`UNSET`] where a group took no
//! part); [`Groups`] is one match's row, copied out when its match value
//! is made. A row of its own, rather than a counted share of the table,
//! lets the threads of a `map` make and drop match values without all
//! updating one shared count.

use std::ops::Range;

/// A slot of a group that took no part in its match.
pub(crate) const UNSET: usize = usize::MAX;

/// The groups of a list of matches, `per` groups each, in match order.
#[derive(Clone, Debug, Default)]
pub struct GroupTable {
    slots: Vec<usize>,
    per: usize,
}

/// The capture groups 1.. of one match: a row of a [`GroupTable`].
#[derive(Clone, Debug, Default)]
pub struct Groups {
    /// Two slots per group.
    slots: Box<[usize]>,
}

impl GroupTable {
    /// A table over `slots` (two per group, `per` groups a match).
    pub(crate) fn new(slots: Vec<usize>, per: usize) -> GroupTable {
        GroupTable { slots, per }
    }

    /// The groups of match `i` (none if the table has no groups or no
    /// such row).
    pub fn row(&self, i: usize) -> Groups {
        let width = 2 * self.per;
        match self.slots.get(i * width..(i + 1) * width) {
            Some(row) if width > 0 => Groups { slots: row.into() },
            _ => Groups::default(),
        }
    }
}

impl Groups {
    /// The number of groups.
    pub fn len(&self) -> usize {
        self.slots.len() / 2
    }

    /// True when the pattern has no groups.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The bounds of group `i` (0 for the first group), or `None` when it
    /// took no part in the match or there is no such group.
    pub fn get(&self, i: usize) -> Option<Range<usize>> {
        let (a, b) = (*self.slots.get(2 * i)?, *self.slots.get(2 * i + 1)?);
        (a != UNSET && b != UNSET).then_some(a..b)
    }

    /// Every group's bounds, in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<Range<usize>>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_a_table() {
        let t = GroupTable::new(vec![0, 2, UNSET, UNSET, 5, 9, 7, 7], 2);
        let r = t.row(1);
        assert_eq!(r.len(), 2);
        assert_eq!(r.iter().collect::<Vec<_>>(), [Some(5..9), Some(7..7)]);
        assert_eq!(t.row(0).get(1), None);
        assert_eq!(t.row(0).get(2), None);
        assert!(t.row(2).is_empty());
        let none = GroupTable::new(Vec::new(), 0);
        assert!(none.row(0).is_empty());
        assert_eq!(none.row(0).get(0), None);
    }
}
