//! The first of each distinct key, in order: the work of `unique`.
//!
//! One hash table of a million keys is tens of megabytes, and nearly every
//! insert into it misses the cache. A long list is instead hashed on every
//! core, then split by bits of the hashes into parts of a few thousand
//! keys: no key is in two parts, a part's table fits a core's cache, and
//! the parts are deduplicated on all cores at once. Within a part the
//! positions are walked in increasing order, so the first of each key is
//! the one kept, as a walk of the whole list in order keeps it.

use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;
use rayon::prelude::*;

/// Lists shorter than this are deduplicated in one table on one thread
/// (its table, 2 MB and less, is read mostly in cache: measured quicker).
const PARTITIONED: usize = 1 << 17;

/// About this many keys a part: its table (16 bytes a key) stays within
/// a core's cache.
const KEYS_PER_PART: usize = 1 << 13;

/// Bits of a hash the table's control bytes read (hashbrown takes the top
/// seven); the part is cut from the bits below them, and the table's
/// position from the lowest, so the three do not overlap.
const TAG_BITS: u32 = 7;

/// The positions of the first key of each group of equal keys, in
/// increasing order.
pub fn first_of_each<K: Hash + Eq + Sync>(keys: &[K]) -> Vec<usize> {
    let state = foldhash::fast::RandomState::default();
    if keys.len() < PARTITIONED || keys.len() > u32::MAX as usize {
        let mut table = HashTable::with_capacity(keys.len());
        return (0..keys.len())
            .filter(|&i| first_seen(&mut table, keys, state.hash_one(&keys[i]), i))
            .collect();
    }
    let hashes: Vec<u64> = keys
        .par_iter()
        .with_min_len(1 << 12)
        .map(|k| state.hash_one(k))
        .collect();
    let bits = (keys.len() / KEYS_PER_PART)
        .next_power_of_two()
        .trailing_zeros();
    let part = |h: u64| ((h >> (64 - TAG_BITS - bits)) as usize) & ((1 << bits) - 1);
    // The positions grouped by part (a counting sort: in increasing order
    // within each part).
    let mut starts = vec![0usize; (1 << bits) + 1];
    for &h in &hashes {
        starts[part(h) + 1] += 1;
    }
    for p in 0..1 << bits {
        starts[p + 1] += starts[p];
    }
    let mut next = starts.clone();
    let mut grouped = vec![0u32; keys.len()];
    for (i, &h) in hashes.iter().enumerate() {
        let slot = &mut next[part(h)];
        grouped[*slot] = i as u32;
        *slot += 1;
    }
    let firsts: Vec<Vec<u32>> = starts
        .par_windows(2)
        .map(|w| {
            let positions = &grouped[w[0]..w[1]];
            let mut table = HashTable::with_capacity(positions.len());
            positions
                .iter()
                .copied()
                .filter(|&i| first_seen(&mut table, keys, hashes[i as usize], i as usize))
                .collect()
        })
        .collect();
    let mut kept = vec![false; keys.len()];
    for i in firsts.into_iter().flatten() {
        kept[i as usize] = true;
    }
    (0..keys.len()).filter(|&i| kept[i]).collect()
}

/// Whether key `i` (whose hash is `hash`) is the first of its group in
/// `table`, where it is then entered.
#[inline]
fn first_seen<K: Eq>(table: &mut HashTable<(u64, usize)>, keys: &[K], hash: u64, i: usize) -> bool {
    let seen = table
        .find(hash, |&(h, j)| h == hash && keys[j] == keys[i])
        .is_some();
    if !seen {
        table.insert_unique(hash, (hash, i), |&(h, _)| h);
    }
    !seen
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The positions a walk in order with one set keeps.
    fn naive<K: Hash + Eq + Clone>(keys: &[K]) -> Vec<usize> {
        let mut seen = std::collections::HashSet::new();
        (0..keys.len())
            .filter(|&i| seen.insert(keys[i].clone()))
            .collect()
    }

    /// In one table and in parts, with few, many or no repeats, the
    /// positions kept are those a walk in order keeps.
    #[test]
    fn parts_keep_the_first_of_each_key_as_one_walk_does() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [0, 1, 2, 1000, PARTITIONED - 1, PARTITIONED, 300_000] {
            for distinct in [1, 7, 5000, u64::MAX] {
                let ints: Vec<i64> = (0..n).map(|_| (next() % distinct) as i64).collect();
                assert_eq!(
                    first_of_each(&ints),
                    naive(&ints),
                    "ints n={n} distinct={distinct}"
                );
                let texts: Vec<String> = ints.iter().map(|i| format!("k{i}")).collect();
                let bytes: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
                assert_eq!(
                    first_of_each(&bytes),
                    naive(&bytes),
                    "strs n={n} distinct={distinct}"
                );
            }
        }
    }
}
