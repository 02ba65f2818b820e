//! Sparse checkpoint indexes over one byte buffer, and the counting kernels
//! they are built from.
//!
//! Both the character index and the line index of a [`Source`] are the same
//! shape: a prefix count taken every [`BLOCK`] bytes ([`Checkpoints`]). A
//! count up to any offset is one table lookup plus a count over less than one
//! block, and the offset of the k-th counted byte is a binary search plus a
//! scan of one block. At 4 KiB per checkpoint the table costs 2 MiB per GiB
//! of text; it is built in one parallel pass (rayon over blocks).
//!
//! The kernels are plain loops written so that the compiler vectorises them
//! (`count_chars`) or calls into memchr's SIMD counter (`count_newlines`);
//! neither iterates over individual hits.
//!
//! [`Source`]: super::source::Source

use rayon::prelude::*;

/// Bytes between two checkpoints.
pub(crate) const BLOCK: usize = 4096;

/// True when `b` is a UTF-8 continuation byte (0x80..=0xBF).
#[inline]
pub(crate) fn is_continuation(b: u8) -> bool {
    (b as i8) < -64
}

/// Number of characters in `bytes`: bytes that are not UTF-8 continuation
/// bytes. Counts into 32 one-byte lanes (which the compiler turns into
/// vector adds), flushed before they could overflow.
pub(crate) fn count_chars(bytes: &[u8]) -> usize {
    const LANES: usize = 32;
    let mut total = 0usize;
    let mut blocks = bytes.chunks_exact(LANES);
    loop {
        let mut acc = [0u8; LANES];
        let mut rounds = 0;
        for block in blocks.by_ref().take(255) {
            for (a, &b) in acc.iter_mut().zip(block) {
                *a += u8::from(!is_continuation(b));
            }
            rounds += 1;
        }
        total += acc.iter().map(|&a| usize::from(a)).sum::<usize>();
        if rounds < 255 {
            break;
        }
    }
    total
        + blocks
            .remainder()
            .iter()
            .filter(|&&b| !is_continuation(b))
            .count()
}

/// Number of `\n` bytes in `bytes` (memchr's vectorised counter).
#[inline]
pub(crate) fn count_newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// Offset in `bytes` of the `n`-th (0-based) character start, if there is
/// one.
pub(crate) fn nth_char(bytes: &[u8], mut n: usize) -> Option<usize> {
    const STEP: usize = 256;
    let mut base = 0;
    while bytes.len() - base > STEP {
        let c = count_chars(&bytes[base..base + STEP]);
        if c > n {
            break;
        }
        n -= c;
        base += STEP;
    }
    for (i, &b) in bytes[base..].iter().enumerate() {
        if !is_continuation(b) {
            if n == 0 {
                return Some(base + i);
            }
            n -= 1;
        }
    }
    None
}

/// Offset in `bytes` of the `n`-th character start counted from the end
/// (1-based: `n = 1` is the last character), if there is one.
pub(crate) fn nth_char_back(bytes: &[u8], mut n: usize) -> Option<usize> {
    const STEP: usize = 256;
    debug_assert!(n > 0);
    let mut end = bytes.len();
    while end > STEP {
        let c = count_chars(&bytes[end - STEP..end]);
        if c >= n {
            break;
        }
        n -= c;
        end -= STEP;
    }
    for i in (0..end).rev() {
        if !is_continuation(bytes[i]) {
            n -= 1;
            if n == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Offset in `bytes` of the `n`-th (0-based) `\n`, if there is one.
#[inline]
pub(crate) fn nth_newline(bytes: &[u8], n: usize) -> Option<usize> {
    memchr::memchr_iter(b'\n', bytes).nth(n)
}

/// What a checkpoint table counts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Unit {
    /// Character starts (non-continuation bytes).
    Char,
    /// `\n` bytes.
    Newline,
}

impl Unit {
    #[inline]
    fn count(self, bytes: &[u8]) -> usize {
        match self {
            Unit::Char => count_chars(bytes),
            Unit::Newline => count_newlines(bytes),
        }
    }

    #[inline]
    fn nth(self, bytes: &[u8], n: usize) -> Option<usize> {
        match self {
            Unit::Char => nth_char(bytes, n),
            Unit::Newline => nth_newline(bytes, n),
        }
    }
}

/// Prefix counts of one [`Unit`] every [`BLOCK`] bytes.
#[derive(Debug)]
pub(crate) struct Checkpoints {
    unit: Unit,
    /// `cum[i]` is the count in `bytes[..i * BLOCK]`; one entry per block
    /// plus one for the end, so `cum.last()` is the total.
    cum: Vec<u64>,
}

impl Checkpoints {
    /// Counts `unit` over `bytes` in one parallel pass.
    pub(crate) fn build(bytes: &[u8], unit: Unit) -> Checkpoints {
        let mut per_block: Vec<u32> = Vec::new();
        bytes
            .par_chunks(BLOCK)
            .map(|b| unit.count(b) as u32)
            .collect_into_vec(&mut per_block);
        let mut cum = Vec::with_capacity(per_block.len() + 1);
        let mut acc = 0u64;
        cum.push(0);
        for c in per_block {
            acc += u64::from(c);
            cum.push(acc);
        }
        Checkpoints { unit, cum }
    }

    /// Total count over the whole buffer.
    pub(crate) fn total(&self) -> usize {
        self.cum.last().copied().unwrap_or(0) as usize
    }

    /// Count in `bytes[..x]`.
    pub(crate) fn prefix(&self, bytes: &[u8], x: usize) -> usize {
        let x = x.min(bytes.len());
        let b = x / BLOCK;
        self.cum[b] as usize + self.unit.count(&bytes[b * BLOCK..x])
    }

    /// Offset of the `k`-th (0-based) counted byte of the whole buffer.
    pub(crate) fn nth(&self, bytes: &[u8], k: usize) -> Option<usize> {
        let k = k as u64;
        if k >= self.cum.last().copied().unwrap_or(0) {
            return None;
        }
        // The block holding it is the last one whose prefix is <= k.
        let b = self.cum.partition_point(|&c| c <= k) - 1;
        let start = b * BLOCK;
        let end = (start + BLOCK).min(bytes.len());
        let within = (k - self.cum[b]) as usize;
        self.unit.nth(&bytes[start..end], within).map(|i| start + i)
    }

    /// Heap bytes held by the table.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.cum.capacity() * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_chars(b: &[u8]) -> usize {
        b.iter().filter(|&&x| !(0x80..=0xBF).contains(&x)).count()
    }

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        let mut x = 12345u32;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            v.push(match x % 7 {
                0 => b'\n',
                1 => 0xC3,
                2 => 0xA9,
                3 => 0xE2,
                _ => b'a' + (x % 26) as u8,
            });
        }
        v
    }

    #[test]
    fn count_chars_matches_naive() {
        let v = sample();
        for len in [0, 1, 31, 32, 33, 8159, 8160, 8161, 20_000, v.len()] {
            assert_eq!(count_chars(&v[..len]), naive_chars(&v[..len]), "{len}");
        }
        assert_eq!(count_chars("héllo wörld ✓".as_bytes()), 13);
    }

    #[test]
    fn nth_char_forward_and_back() {
        let v = sample();
        let starts: Vec<usize> = (0..v.len()).filter(|&i| !is_continuation(v[i])).collect();
        for n in [0, 1, 255, 256, 257, 1000, starts.len() - 1] {
            assert_eq!(nth_char(&v, n), Some(starts[n]));
            assert_eq!(nth_char_back(&v, n + 1), Some(starts[starts.len() - 1 - n]));
        }
        assert_eq!(nth_char(&v, starts.len()), None);
        assert_eq!(nth_char_back(&v, starts.len() + 1), None);
        assert_eq!(nth_char(b"", 0), None);
    }

    #[test]
    fn checkpoints_agree_with_scans() {
        let v = sample();
        for unit in [Unit::Char, Unit::Newline] {
            let cp = Checkpoints::build(&v, unit);
            let hits: Vec<usize> = (0..v.len())
                .filter(|&i| match unit {
                    Unit::Char => !is_continuation(v[i]),
                    Unit::Newline => v[i] == b'\n',
                })
                .collect();
            assert_eq!(cp.total(), hits.len());
            for x in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7, v.len()] {
                assert_eq!(cp.prefix(&v, x), hits.iter().filter(|&&h| h < x).count());
            }
            for k in [0, 1, 100, hits.len() / 2, hits.len() - 1] {
                assert_eq!(cp.nth(&v, k), Some(hits[k]));
            }
            assert_eq!(cp.nth(&v, hits.len()), None);
        }
        let empty = Checkpoints::build(b"", Unit::Char);
        assert_eq!(empty.total(), 0);
        assert_eq!(empty.prefix(b"", 0), 0);
        assert_eq!(empty.nth(b"", 0), None);
    }
}
