//! Every character and line query of a `Source` agrees with a naive
//! reference, with and without the indexes built, on texts with long lines,
//! blank lines, CRLF, multi-byte characters and invalid UTF-8.

use std::ops::Range;

use rlmq::context::Source;

use super::common::Rng;

fn text(seed: u64, len: usize) -> Vec<u8> {
    let pieces: &[&[u8]] = &[
        b"word ",
        b"the ",
        b"\n",
        b"\r\n",
        b"\n\n",
        "é".as_bytes(),
        "✓ ".as_bytes(),
        "😀".as_bytes(),
        b"\xff",
        b"\x80\x80",
        b"\xc3",
        b"abc",
    ];
    let mut r = Rng(seed | 1);
    let mut out = Vec::with_capacity(len + 300_000);
    while out.len() < len {
        if r.below(2000) == 0 {
            // A line longer than every scan window.
            out.extend(std::iter::repeat_n(b'x', 100_000 + r.below(200_000)));
        }
        out.extend_from_slice(pieces[r.below(pieces.len())]);
    }
    out
}

/// Naive answers from per-byte prefix counts and position lists.
struct Reference<'a> {
    bytes: &'a [u8],
    chars: Vec<usize>,
    newlines: Vec<usize>,
    char_starts: Vec<usize>,
    newline_at: Vec<usize>,
}

fn is_char(b: u8) -> bool {
    !(0x80..=0xBF).contains(&b)
}

impl<'a> Reference<'a> {
    fn new(bytes: &'a [u8]) -> Reference<'a> {
        let mut chars = vec![0];
        let mut newlines = vec![0];
        for &b in bytes {
            chars.push(chars.last().unwrap() + usize::from(is_char(b)));
            newlines.push(newlines.last().unwrap() + usize::from(b == b'\n'));
        }
        let char_starts = (0..bytes.len()).filter(|&i| is_char(bytes[i])).collect();
        let newline_at = (0..bytes.len()).filter(|&i| bytes[i] == b'\n').collect();
        Reference {
            bytes,
            chars,
            newlines,
            char_starts,
            newline_at,
        }
    }

    fn char_count(&self, r: &Range<usize>) -> usize {
        self.chars[r.end] - self.chars[r.start]
    }

    fn char_to_byte(&self, r: &Range<usize>, k: usize) -> usize {
        if k == 0 {
            return r.start;
        }
        match self.char_starts.get(self.chars[r.start] + k) {
            Some(&i) if i < r.end => i,
            _ => r.end,
        }
    }

    fn char_to_byte_back(&self, r: &Range<usize>, n: usize) -> usize {
        let total = self.char_count(r);
        if n == 0 {
            return r.end;
        }
        if n >= total {
            return r.start;
        }
        self.char_to_byte(r, total - n)
    }

    fn line_count(&self, r: &Range<usize>) -> usize {
        let open = r.end > r.start && self.bytes[r.end - 1] != b'\n';
        self.newlines[r.end] - self.newlines[r.start] + usize::from(open)
    }

    /// The first newline at or after `b`, below `end`, or `end`.
    fn next_newline(&self, b: usize, end: usize) -> usize {
        self.newline_at
            .get(self.newlines[b])
            .copied()
            .filter(|&i| i < end)
            .unwrap_or(end)
    }

    fn line(&self, r: &Range<usize>, i: usize) -> Option<Range<usize>> {
        if i >= self.line_count(r) {
            return None;
        }
        let start = if i == 0 {
            r.start
        } else {
            self.newline_at[self.newlines[r.start] + i - 1] + 1
        };
        Some(self.strip_cr(start..self.next_newline(start, r.end)))
    }

    fn strip_cr(&self, l: Range<usize>) -> Range<usize> {
        if l.end > l.start && self.bytes[l.end - 1] == b'\r' {
            l.start..l.end - 1
        } else {
            l
        }
    }

    fn line_around(&self, r: &Range<usize>, b: usize) -> Range<usize> {
        let before = self.newlines[b];
        let start = if before > self.newlines[r.start] {
            self.newline_at[before - 1] + 1
        } else {
            r.start
        };
        self.strip_cr(start..self.next_newline(b, r.end))
    }
}

fn check(bytes: &[u8], seed: u64, with_index: bool, samples: usize) {
    let src = Source::from_vec(bytes.to_vec());
    if with_index {
        src.char_count(0..src.len());
        src.line_count(0..src.len());
    }
    let rf = Reference::new(bytes);
    let mut r = Rng(seed);
    let n = bytes.len();
    for _ in 0..samples {
        let a = r.below(n + 1);
        let b = if r.below(3) == 0 {
            n
        } else {
            a + r.below(n + 1 - a)
        };
        let range = a..b;
        assert_eq!(
            src.char_count(range.clone()),
            rf.char_count(&range),
            "chars {range:?}"
        );
        let total = rf.char_count(&range);
        for k in [
            0,
            1,
            2,
            1000,
            total / 2,
            total.saturating_sub(1),
            total,
            total + 5,
        ] {
            assert_eq!(
                src.char_to_byte(range.clone(), k),
                rf.char_to_byte(&range, k),
                "char_to_byte {range:?} {k}"
            );
            assert_eq!(
                src.char_to_byte_back(range.clone(), k),
                rf.char_to_byte_back(&range, k),
                "char_to_byte_back {range:?} {k}"
            );
        }
        let mid = a + r.below(b - a + 1);
        assert_eq!(src.byte_to_char(a, mid), rf.chars[mid] - rf.chars[a]);
        assert_eq!(
            src.line_number(a, mid),
            rf.newlines[mid] - rf.newlines[a] + 1
        );
        assert_eq!(
            src.line_around(range.clone(), mid),
            rf.line_around(&range, mid),
            "around {range:?} {mid}"
        );
        let lines = rf.line_count(&range);
        assert_eq!(src.line_count(range.clone()), lines, "line_count {range:?}");
        for i in [
            0,
            1,
            2,
            lines / 3,
            lines.saturating_sub(1),
            lines,
            lines + 1,
        ] {
            assert_eq!(
                src.line_range(range.clone(), i),
                rf.line(&range, i),
                "line {i} of {range:?}"
            );
        }
    }
    let range = n / 3..n;
    let all: Vec<_> = src.lines(range.clone()).collect();
    assert_eq!(all.len(), rf.line_count(&range));
    for (i, l) in all.iter().enumerate().step_by(97) {
        assert_eq!(Some(l.clone()), rf.line(&range, i));
    }
    let offsets: Vec<usize> = (0..50).map(|i| i * n / 50).collect();
    let want: Vec<usize> = offsets.iter().map(|&o| rf.chars[o]).collect();
    assert_eq!(src.byte_to_char_many(0, &offsets), want);
    let want: Vec<usize> = offsets.iter().map(|&o| rf.newlines[o] + 1).collect();
    assert_eq!(src.line_number_many(0, &offsets), want);
}

#[test]
fn queries_agree_with_naive_reference() {
    for seed in 1..=3 {
        let t = text(seed, 1 << 20);
        check(&t, seed, false, 200);
        check(&t, seed, true, 200);
    }
}

#[test]
fn past_the_scan_limits() {
    // Larger than the forward and backward scan windows (8 MiB), so queries
    // without an index fall back to building one.
    let t = text(8, 9 << 20);
    let rf = Reference::new(&t);
    let all = 0..t.len();
    let total = rf.char_count(&all);
    for k in [100, total - 100, total / 2] {
        let fresh = Source::from_vec(t.clone());
        assert_eq!(
            fresh.char_to_byte(all.clone(), k),
            rf.char_to_byte(&all, k),
            "{k}"
        );
        let fresh = Source::from_vec(t.clone());
        assert_eq!(
            fresh.char_to_byte_back(all.clone(), k),
            rf.char_to_byte_back(&all, k),
            "{k}"
        );
        let fresh = Source::from_vec(t.clone());
        let lines = rf.line_count(&all);
        let i = k * lines / total;
        assert_eq!(
            fresh.line_range(all.clone(), i),
            rf.line(&all, i),
            "line {i}"
        );
    }
    check(&t, 8, false, 40);
}

#[test]
fn ascii_text_keeps_no_char_index() {
    let t: Vec<u8> = b"plain ascii text\n".repeat(100_000);
    let src = Source::from_vec(t.clone());
    assert_eq!(src.char_count(0..src.len()), t.len());
    assert_eq!(src.index_heap_bytes(), 0);
    assert_eq!(src.char_to_byte(5..src.len(), 10), 15);
    check(&t, 9, true, 100);
}

#[test]
fn a_long_single_line() {
    let mut t = "é".repeat(3 << 20).into_bytes();
    t.extend_from_slice(b"\r\n");
    let src = Source::from_vec(t.clone());
    let all = 0..src.len();
    assert_eq!(src.line_count(all.clone()), 1);
    assert_eq!(src.line_range(all.clone(), 0), Some(0..t.len() - 2));
    assert_eq!(src.line_around(all.clone(), t.len() / 2), 0..t.len() - 2);
    assert_eq!(src.char_count(all.clone()), (3 << 20) + 2);
    assert_eq!(src.char_to_byte(all.clone(), 1 << 20), 2 << 20);
}

#[test]
fn mapped_and_read_sources_agree() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.txt");
    let t = text(4, 300_000);
    std::fs::write(&p, &t).unwrap();
    let mapped = Source::map_file(&p).unwrap();
    let read = Source::read_file(&p).unwrap();
    assert!(mapped.is_mapped() && !read.is_mapped());
    assert_eq!(mapped.bytes(), read.bytes());
    let all = 0..t.len();
    assert_eq!(mapped.line_count(all.clone()), read.line_count(all.clone()));
    assert_eq!(mapped.char_count(all.clone()), read.char_count(all));
}

#[test]
fn shared_types_are_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<Source>();
    both::<rlmq::search::Matcher>();
    both::<rlmq::context::Context>();
}
