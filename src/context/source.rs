//! One byte buffer (a memory map of a file, or owned bytes) and the lazy
//! character and line indexes over it.
//!
//! Everything inside rlmq is a byte range into a [`Source`]; everything a user
//! sees is counted in characters and lines. This module owns the conversion:
//!
//! - A *character* is a byte that is not a UTF-8 continuation byte
//!   (0x80..=0xBF). For valid UTF-8 that is exactly one per Unicode scalar
//!   value; stray continuation bytes of invalid UTF-8 attach to the character
//!   before them, so nothing ever fails on binary data.
//! - A *line* ends at `\n`; its text excludes the `\n` and one `\r` before
//!   it, and a text that ends with `\n` has no empty line after it.
//!
//! Indexes are sparse checkpoint tables (module `index`) built on first
//! need, once, in one parallel pass. A text with no continuation byte at all
//! (pure ASCII, or Latin-1 bytes) keeps no character index: byte offsets are
//! character offsets. Queries on small ranges, and queries near the start or
//! the end of a large one (`context[:2000]`, `context[-2000:]`), just scan
//! and never build an index; a walk over most of a large source
//! (`partition(size=…)`) builds it first ([`Source::prepare_char_walk`]).
//!
//! # Memory maps and truncation
//!
//! [`Source::map_file`] maps the file read-only. The contract a memory map
//! relies on is that **nobody truncates the file while it is mapped**: if
//! that happens, touching a page past the new end raises `SIGBUS` and the
//! process would die (this is not memory-unsafe, but it is abrupt). Every
//! mapping is watched (module `sigbus`): such a fault ends the run with one
//! line naming the file and `--no-mmap`. For a file that may change while
//! rlmq runs (a log being rotated, say), use `--no-mmap`, which loads the
//! context with [`Source::read_file`] instead.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use memmap2::Mmap;

use super::index::{self, Checkpoints, Unit};
use super::sigbus::Watch;

/// Ranges up to this many bytes are counted directly instead of building an
/// index.
const SMALL: usize = 256 * 1024;

/// Whole passes over a source that scans for characters may add up to
/// before the index is built (see [`Source::may_scan`]).
const SCAN_PASSES: usize = 4;

/// How far a forward or backward character scan goes before it gives up and
/// builds the index instead.
const SCAN_LIMIT: usize = 8 * 1024 * 1024;

/// How far `line_around` scans for the ends of a line before it asks the
/// line index.
const LINE_SCAN: usize = 64 * 1024;

/// Ranges up to this many bytes are counted directly even when an index
/// exists (cheaper than two index lookups).
const DIRECT: usize = 2 * index::BLOCK;

enum Buf {
    /// The map, and the watch that turns a fault in it into an error line
    /// (held only to be dropped with the map).
    Mapped(Mmap, #[allow(dead_code)] Watch),
    Owned(Vec<u8>),
}

/// The character index: either "bytes are characters" or checkpoints.
#[derive(Debug)]
enum CharIndex {
    /// No continuation byte anywhere: byte offsets are character offsets.
    Identity,
    /// Character counts every [`index::BLOCK`] bytes.
    Sparse(Checkpoints),
}

/// One byte buffer with lazily built character and line indexes.
///
/// `Source` is `Send + Sync`; share it behind an `Arc`. All methods accept
/// any ranges and offsets: they are clamped to the buffer, never a panic.
pub struct Source {
    buf: Buf,
    chars: OnceLock<CharIndex>,
    lines: OnceLock<Checkpoints>,
    /// Bytes scanned for characters without the index, counted only for
    /// ranges longer than [`DIRECT`] (see [`Source::may_scan`]).
    scanned: AtomicUsize,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("len", &self.len())
            .field("mapped", &self.is_mapped())
            .finish_non_exhaustive()
    }
}

impl Source {
    /// Maps `path` read-only (advised sequential). Files that cannot be
    /// mapped (size 0 as reported by `/proc` files, pipes and other special
    /// files, or a failing `mmap`) are read into memory instead.
    ///
    /// See the module docs for the truncation contract of a memory map.
    pub fn map_file(path: &Path) -> io::Result<Source> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() == 0 {
            return Self::read_all(file);
        }
        // SAFETY: the map is read-only and lives as long as this `Source`.
        // Its contract is that the file is not truncated or modified while
        // mapped; rlmq documents that (module docs, `--no-mmap`), and a
        // truncation ends the run with a one-line error from the SIGBUS
        // watch instead of a bare signal. A file changed in place shows the new bytes, which
        // the indexes may no longer describe, but every access is bounds
        // checked against the length fixed at map time, so no query panics
        // or reads out of bounds.
        match unsafe { Mmap::map(&file) } {
            Ok(map) => {
                #[cfg(unix)]
                {
                    // Advice is a hint; failing to give it changes nothing.
                    let _ = map.advise(memmap2::Advice::Sequential);
                }
                let watch = Watch::new(map.as_ptr(), map.len(), &path.display().to_string());
                Ok(Source::with_buf(Buf::Mapped(map, watch)))
            }
            Err(_) => Self::read_all(file),
        }
    }

    /// Reads `path` into memory (the `--no-mmap` path).
    pub fn read_file(path: &Path) -> io::Result<Source> {
        Self::read_all(File::open(path)?)
    }

    fn read_all(mut file: File) -> io::Result<Source> {
        let mut bytes = Vec::new();
        if let Ok(meta) = file.metadata() {
            // A hint only; special files report 0.
            bytes.reserve(meta.len().min(isize::MAX as u64) as usize);
        }
        file.read_to_end(&mut bytes)?;
        Ok(Source::from_vec(bytes))
    }

    /// A source over owned bytes.
    pub fn from_vec(bytes: Vec<u8>) -> Source {
        Source::with_buf(Buf::Owned(bytes))
    }

    /// Appends `more` to a buffer of its own (`false`, changing nothing,
    /// for a mapped file). The indexes built over the old bytes are
    /// dropped; `&mut self` means nothing else reads the source meanwhile.
    pub fn append(&mut self, more: &[u8]) -> bool {
        let Buf::Owned(bytes) = &mut self.buf else {
            return false;
        };
        bytes.extend_from_slice(more);
        self.chars = OnceLock::new();
        self.lines = OnceLock::new();
        *self.scanned.get_mut() = 0;
        true
    }

    fn with_buf(buf: Buf) -> Source {
        Source {
            buf,
            chars: OnceLock::new(),
            lines: OnceLock::new(),
            scanned: AtomicUsize::new(0),
        }
    }

    /// The whole buffer.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        match &self.buf {
            Buf::Mapped(m, _) => m,
            Buf::Owned(v) => v,
        }
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    /// True when the buffer holds no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the buffer is a memory map of a file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.buf, Buf::Mapped(..))
    }

    /// Heap bytes held by the indexes built so far (not the buffer itself).
    pub fn index_heap_bytes(&self) -> usize {
        let c = match self.chars.get() {
            Some(CharIndex::Sparse(cp)) => cp.heap_bytes(),
            _ => 0,
        };
        c + self.lines.get().map_or(0, Checkpoints::heap_bytes)
    }

    fn clamp(&self, r: Range<usize>) -> Range<usize> {
        let end = r.end.min(self.len());
        r.start.min(end)..end
    }

    // ---- characters ----

    /// The character index, built (in parallel) on first call.
    fn char_index(&self) -> &CharIndex {
        if let Some(ci) = self.chars.get() {
            return ci;
        }
        // Built outside the lock: the build runs on rayon, and a rayon worker
        // that blocked inside `get_or_init` could be asked to run another
        // task that needs this same index. Two racing builds are harmless.
        let cp = Checkpoints::build(self.bytes(), Unit::Char);
        let built = if cp.total() == self.len() {
            CharIndex::Identity
        } else {
            CharIndex::Sparse(cp)
        };
        self.chars.get_or_init(|| built)
    }

    /// Builds the character index now, unless it exists, for a caller about
    /// to walk `range` character by character from start to end
    /// (`partition(size=…)`), when the range is long and most of the
    /// source: the index's one pass runs on every core, where the walk's
    /// own scans would run on one. A short range, or a small part of a
    /// large source, is scanned as before.
    pub fn prepare_char_walk(&self, range: Range<usize>) {
        let r = self.clamp(range);
        if r.len() > SCAN_LIMIT && r.len() >= self.len() / 2 {
            self.char_index();
        }
    }

    /// Whether a query may scan `n` more bytes for characters instead of
    /// building the index. Scans are what keep `context[:2000]` from
    /// reading the whole file, but a loop that indexes a long string
    /// character by character would scan it again at every step: once the
    /// scans of ranges longer than [`DIRECT`] add up to [`SCAN_PASSES`]
    /// times the source's length (or [`SMALL`], whichever is more), the one
    /// pass that builds the index has been paid for several times over, and
    /// queries use it from then on.
    /// Shorter ranges (a line, a field) are always counted directly and not
    /// counted here.
    fn may_scan(&self, n: usize) -> bool {
        if n <= DIRECT {
            return true;
        }
        let budget = self.len().saturating_mul(SCAN_PASSES).max(SMALL);
        self.scanned
            .fetch_add(n, Ordering::Relaxed)
            .saturating_add(n)
            <= budget
    }

    /// Characters in `bytes[..x]`, using the index.
    fn chars_before(&self, x: usize) -> usize {
        match self.char_index() {
            CharIndex::Identity => x.min(self.len()),
            CharIndex::Sparse(cp) => cp.prefix(self.bytes(), x),
        }
    }

    /// Number of characters in `range`. O(log n) once the index exists;
    /// small ranges are counted directly and never build it.
    pub fn char_count(&self, range: Range<usize>) -> usize {
        let r = self.clamp(range);
        match self.chars.get() {
            Some(CharIndex::Identity) => r.len(),
            _ if r.len() <= DIRECT => index::count_chars(&self.bytes()[r]),
            Some(CharIndex::Sparse(_)) => self.chars_before(r.end) - self.chars_before(r.start),
            None if r.len() <= SMALL && self.may_scan(r.len()) => {
                index::count_chars(&self.bytes()[r])
            }
            None => self.chars_before(r.end) - self.chars_before(r.start),
        }
    }

    /// Absolute byte offset where the `chars`-th (0-based) character of
    /// `range` starts, or `range.end` if `range` has no more characters.
    ///
    /// Character 0 always starts at `range.start` (stray continuation bytes
    /// at the start belong to it), so `range.start..char_to_byte(range, n)`
    /// is the first `n` characters. A small `chars` scans forward from the
    /// start and stops when done: `context[:2000]` never reads the whole
    /// file.
    pub fn char_to_byte(&self, range: Range<usize>, chars: usize) -> usize {
        let r = self.clamp(range);
        if chars == 0 {
            return r.start;
        }
        let bytes = self.bytes();
        match self.chars.get() {
            Some(CharIndex::Identity) => return r.start.saturating_add(chars).min(r.end),
            Some(CharIndex::Sparse(_)) => {}
            None if !self.may_scan(chars) => {}
            None => {
                let window = r.start..r.end.min(r.start.saturating_add(SCAN_LIMIT));
                if let Some(i) = index::nth_char(&bytes[window.clone()], chars) {
                    return window.start + i;
                }
                if window.end == r.end {
                    return r.end;
                }
            }
        }
        let k = self.chars_before(r.start).saturating_add(chars);
        let at = match self.char_index() {
            CharIndex::Identity => Some(k),
            CharIndex::Sparse(cp) => cp.nth(bytes, k),
        };
        match at {
            Some(i) if i < r.end => i,
            _ => r.end,
        }
    }

    /// Absolute byte offset where the last `chars` characters of `range`
    /// start (`range.start` if it has fewer; `range.end` for 0). Scans back
    /// from the end, so `context[-2000:]` never reads the whole file.
    pub fn char_to_byte_back(&self, range: Range<usize>, chars: usize) -> usize {
        let r = self.clamp(range);
        if chars == 0 {
            return r.end;
        }
        let bytes = self.bytes();
        let found = match self.chars.get() {
            Some(CharIndex::Identity) => return r.end.saturating_sub(chars).max(r.start),
            Some(CharIndex::Sparse(_)) => None,
            None if !self.may_scan(chars) => None,
            None => {
                let window = r.end.saturating_sub(SCAN_LIMIT).max(r.start)..r.end;
                match index::nth_char_back(&bytes[window.clone()], chars) {
                    Some(i) => Some(window.start + i),
                    None if window.start == r.start => return r.start,
                    None => None,
                }
            }
        };
        let at = match found {
            Some(at) => at,
            None => {
                let total = self.char_count(r.clone());
                if chars >= total {
                    return r.start;
                }
                self.char_to_byte(r.clone(), total - chars)
            }
        };
        // The first character of the range owns any stray continuation
        // bytes before it.
        let mut i = at;
        while i > r.start && index::is_continuation(bytes[i - 1]) {
            i -= 1;
        }
        if i == r.start {
            r.start
        } else {
            at
        }
    }

    /// Number of characters in `range_start..byte`.
    pub fn byte_to_char(&self, range_start: usize, byte: usize) -> usize {
        self.char_count(range_start..byte.max(range_start))
    }

    /// [`byte_to_char`](Self::byte_to_char) for many offsets at once; cheap
    /// when `bytes` is sorted (each count continues from the previous one).
    pub fn byte_to_char_many(&self, range_start: usize, bytes: &[usize]) -> Vec<usize> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut at = range_start;
        let mut count = 0;
        for &b in bytes {
            let b = b.max(range_start).min(self.len());
            if b >= at {
                count += self.char_count(at..b);
            } else {
                count = self.char_count(range_start..b);
            }
            at = b;
            out.push(count);
        }
        out
    }

    // ---- lines ----

    /// The line index, built (in parallel) on first call.
    fn line_index(&self) -> &Checkpoints {
        if let Some(li) = self.lines.get() {
            return li;
        }
        // Built outside the lock, for the reason given in `char_index`.
        let built = Checkpoints::build(self.bytes(), Unit::Newline);
        self.lines.get_or_init(|| built)
    }

    /// Number of `\n` in `range` (already clamped).
    fn newlines_in(&self, r: Range<usize>) -> usize {
        if r.len() <= DIRECT || (r.len() <= SMALL && self.lines.get().is_none()) {
            return index::count_newlines(&self.bytes()[r]);
        }
        let li = self.line_index();
        li.prefix(self.bytes(), r.end) - li.prefix(self.bytes(), r.start)
    }

    /// Number of lines in `range`: `"a\nb\n"` and `"a\nb"` have 2, `""` has
    /// 0 and `"\n"` has 1 (empty) line.
    pub fn line_count(&self, range: Range<usize>) -> usize {
        let r = self.clamp(range);
        if r.is_empty() {
            return 0;
        }
        let last_open = self.bytes()[r.end - 1] != b'\n';
        self.newlines_in(r) + usize::from(last_open)
    }

    /// Offset of the `k`-th (0-based) `\n` at or after `from`, below `end`.
    fn nth_newline_from(&self, from: usize, end: usize, k: usize) -> Option<usize> {
        let bytes = self.bytes();
        if self.lines.get().is_none() && (end - from <= SMALL || k < 1024) {
            // Few lines to skip: a forward scan, no index.
            if let Some(i) = index::nth_newline(&bytes[from..end], k) {
                return Some(from + i);
            }
            if end - from <= SMALL {
                return None;
            }
        }
        let li = self.line_index();
        let before = li.prefix(bytes, from);
        li.nth(bytes, before + k).filter(|&i| i < end)
    }

    /// Strips one trailing `\r` from a line's byte range.
    fn strip_cr(&self, start: usize, end: usize) -> Range<usize> {
        if end > start && self.bytes()[end - 1] == b'\r' {
            start..end - 1
        } else {
            start..end
        }
    }

    /// The `i`-th (0-based) line of `range`, without its terminator, or
    /// `None` past the last line. O(log n) with the line index; lines near
    /// the start are found by a scan without building it.
    pub fn line_range(&self, range: Range<usize>, i: usize) -> Option<Range<usize>> {
        let r = self.clamp(range);
        let start = if i == 0 {
            r.start
        } else {
            self.nth_newline_from(r.start, r.end, i - 1)? + 1
        };
        if start >= r.end {
            return None;
        }
        let end = self.line_end(start, r.end);
        Some(self.strip_cr(start, end))
    }

    /// Offset of the first `\n` at or after `from` (below `end`), or `end`.
    fn line_end(&self, from: usize, end: usize) -> usize {
        let bytes = self.bytes();
        let near = end.min(from.saturating_add(LINE_SCAN));
        if let Some(i) = memchr::memchr(b'\n', &bytes[from..near]) {
            return from + i;
        }
        if near == end {
            return end;
        }
        let li = self.line_index();
        li.nth(bytes, li.prefix(bytes, from))
            .filter(|&i| i < end)
            .unwrap_or(end)
    }

    /// Offset just after the last `\n` before `byte` (not below `start`), or
    /// `start`.
    fn line_start(&self, start: usize, byte: usize) -> usize {
        let bytes = self.bytes();
        let near = start.max(byte.saturating_sub(LINE_SCAN));
        if let Some(i) = memchr::memrchr(b'\n', &bytes[near..byte]) {
            return near + i + 1;
        }
        if near == start {
            return start;
        }
        let li = self.line_index();
        match li.prefix(bytes, byte).checked_sub(1) {
            Some(k) => li.nth(bytes, k).map_or(start, |i| (i + 1).max(start)),
            None => start,
        }
    }

    /// 1-based line number, in the text that starts at `range_start`, of the
    /// byte at `byte`. A `\n` belongs to the line it ends.
    pub fn line_number(&self, range_start: usize, byte: usize) -> usize {
        let r = self.clamp(range_start..byte.max(range_start));
        self.newlines_in(r) + 1
    }

    /// [`line_number`](Self::line_number) for many offsets at once; cheap
    /// when `bytes` is sorted.
    pub fn line_number_many(&self, range_start: usize, bytes: &[usize]) -> Vec<usize> {
        let mut out = Vec::with_capacity(bytes.len());
        let range_start = range_start.min(self.len());
        let mut at = range_start;
        let mut count = 0;
        for &b in bytes {
            let b = b.max(range_start).min(self.len());
            if b >= at {
                count += self.newlines_in(at..b);
            } else {
                count = self.newlines_in(range_start..b);
            }
            at = b;
            out.push(count + 1);
        }
        out
    }

    /// The lines of `range` in order, each without its terminator (the same
    /// lines as [`line_range`](Self::line_range) gives one by one, found by
    /// one forward scan).
    pub fn lines(&self, range: Range<usize>) -> Lines<'_> {
        let r = self.clamp(range);
        Lines {
            src: self,
            at: r.start,
            end: r.end,
        }
    }

    /// The line holding `byte`, clipped to `range`, without its terminator.
    /// A `\n` belongs to the line it ends. Bounded work even inside a very
    /// long line (the line index is used past 64 KiB).
    pub fn line_around(&self, range: Range<usize>, byte: usize) -> Range<usize> {
        let r = self.clamp(range);
        let byte = byte.clamp(r.start, r.end);
        let start = self.line_start(r.start, byte);
        let end = self.line_end(byte, r.end);
        self.strip_cr(start, end)
    }
}

/// Iterator over the lines of a range of a [`Source`], as byte ranges
/// without terminators; see [`Source::lines`].
#[derive(Debug, Clone)]
pub struct Lines<'s> {
    src: &'s Source,
    at: usize,
    end: usize,
}

impl Iterator for Lines<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        if self.at >= self.end {
            return None;
        }
        let start = self.at;
        let stop = memchr::memchr(b'\n', &self.src.bytes()[start..self.end])
            .map_or(self.end, |i| start + i);
        self.at = stop + 1;
        Some(self.src.strip_cr(start, stop))
    }
}

impl std::iter::FusedIterator for Lines<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(s: &[u8]) -> Source {
        Source::from_vec(s.to_vec())
    }

    fn lines_naive(s: &[u8]) -> Vec<&[u8]> {
        if s.is_empty() {
            return vec![];
        }
        let body = s.strip_suffix(b"\n").unwrap_or(s);
        body.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .collect()
    }

    #[test]
    fn repeated_scans_of_a_mid_size_range_build_the_index_once_paid_for() {
        // 300 KB, one two-byte character in every 100 bytes.
        let text: Vec<u8> = (0..3000)
            .flat_map(|i| format!("{:097}é\n", i).into_bytes())
            .collect();
        let s = src(&text);
        let range = 1000..60_000;
        let want = index::count_chars(&text[range.clone()]);
        let nth = index::nth_char(&text[range.clone()], 20_000).unwrap() + range.start;
        // Each query scans ~60 KB: the scans pass the source's length
        // within a few rounds, and the answers never change.
        for round in 0..30 {
            assert_eq!(s.char_count(range.clone()), want, "round {round}");
            assert_eq!(s.char_to_byte(range.clone(), 20_000), nth, "round {round}");
        }
        assert!(s.chars.get().is_some(), "the index was built");
        // Short ranges are counted directly and never build it.
        let small = src(&text);
        for _ in 0..1000 {
            assert_eq!(small.char_count(0..4000), index::count_chars(&text[..4000]));
        }
        assert!(small.chars.get().is_none());
        // One walk over the whole source in pieces (as `partition` cuts it,
        // then `len` of each piece) does not build it either: regression
        // for a partition of the whole context that paid an index build.
        let once = src(&text);
        let mut at = 0;
        while at < once.len() {
            let next = once.char_to_byte(at..once.len(), 50_000);
            once.char_count(at..next);
            at = next;
        }
        assert!(once.chars.get().is_none());
    }

    #[test]
    fn line_counts_follow_splitlines() {
        for (text, n) in [
            (&b""[..], 0),
            (b"\n", 1),
            (b"a", 1),
            (b"a\nb\n", 2),
            (b"a\nb", 2),
            (b"a\r\nb\r\n", 2),
            (b"\n\n", 2),
        ] {
            let s = src(text);
            assert_eq!(s.line_count(0..s.len()), n, "{text:?}");
            let got: Vec<_> = (0..n + 2)
                .filter_map(|i| s.line_range(0..s.len(), i))
                .map(|r| &text[r])
                .collect();
            assert_eq!(got, lines_naive(text), "{text:?}");
            let iterated: Vec<_> = s.lines(0..s.len()).map(|r| &text[r]).collect();
            assert_eq!(iterated, lines_naive(text), "{text:?}");
        }
    }

    #[test]
    fn chars_of_utf8_and_garbage() {
        let s = src("héllo\nwörld ✓".as_bytes());
        assert_eq!(s.char_count(0..s.len()), 13);
        assert_eq!(s.char_to_byte(0..s.len(), 2), 3);
        assert_eq!(s.char_to_byte(0..s.len(), 100), s.len());
        assert_eq!(s.char_to_byte_back(0..s.len(), 1), s.len() - 3);
        assert_eq!(s.byte_to_char(0, 3), 2);
        // Stray continuation bytes attach to the character before them.
        let g = src(b"\x80\x80a\xffb\xbf");
        assert_eq!(g.char_count(0..g.len()), 3);
        assert_eq!(g.char_to_byte(0..g.len(), 0), 0);
        assert_eq!(g.char_to_byte(0..g.len(), 1), 3);
        assert_eq!(g.char_to_byte_back(0..g.len(), 3), 0);
        assert_eq!(g.char_to_byte_back(0..g.len(), 1), 4);
        assert_eq!(g.char_count(5..100), 0);
    }

    #[test]
    fn large_text_uses_indexes_consistently() {
        // Big enough to pass SMALL and need the indexes.
        let mut text = Vec::new();
        let mut i = 0u32;
        while text.len() < 3 * SMALL + 17 {
            text.extend_from_slice(format!("line {i} é ✓\r\n").as_bytes());
            if i % 97 == 0 {
                text.extend_from_slice(b"\n");
            }
            i += 1;
        }
        let s = src(&text);
        let all = 0..s.len();
        let naive = lines_naive(&text);
        assert_eq!(s.line_count(all.clone()), naive.len());
        for k in [0, 1, 500, naive.len() / 2, naive.len() - 1] {
            assert_eq!(&text[s.line_range(all.clone(), k).unwrap()], naive[k]);
        }
        assert_eq!(s.line_range(all.clone(), naive.len()), None);
        let st = std::str::from_utf8(&text).unwrap();
        assert_eq!(s.char_count(all.clone()), st.chars().count());
        let mid = s.len() / 2;
        let mid = (mid..).find(|&m| st.is_char_boundary(m)).unwrap();
        assert_eq!(s.byte_to_char(0, mid), st[..mid].chars().count());
        let nth = st[..mid].chars().count();
        assert_eq!(s.char_to_byte(all.clone(), nth), mid);
        assert_eq!(
            s.char_to_byte_back(all.clone(), st[mid..].chars().count()),
            mid
        );
        assert_eq!(s.line_number(0, mid), st[..mid].matches('\n').count() + 1);
        let nums = s.line_number_many(0, &[0, 10, mid, mid, s.len()]);
        assert_eq!(nums[2], s.line_number(0, mid));
        assert_eq!(nums[4], s.line_number(0, s.len()));
        let chars = s.byte_to_char_many(0, &[mid, 5]);
        assert_eq!(chars, vec![s.byte_to_char(0, mid), 5]);
        assert!(s.index_heap_bytes() > 0);
    }

    #[test]
    fn line_around_handles_edges() {
        let t = b"ab\r\ncd\n\nef";
        let s = src(t);
        let all = 0..s.len();
        assert_eq!(&t[s.line_around(all.clone(), 0)], b"ab");
        assert_eq!(&t[s.line_around(all.clone(), 3)], b"ab");
        assert_eq!(&t[s.line_around(all.clone(), 5)], b"cd");
        assert_eq!(&t[s.line_around(all.clone(), 7)], b"");
        assert_eq!(&t[s.line_around(all.clone(), 9)], b"ef");
        assert_eq!(&t[s.line_around(all.clone(), 99)], b"ef");
        assert_eq!(&t[s.line_around(4..6, 0)], b"cd");
    }

    #[test]
    fn long_single_line() {
        let mut t = vec![b'x'; 3 * LINE_SCAN + 5];
        t.push(b'\n');
        t.extend(vec![b'y'; 2 * LINE_SCAN]);
        let s = src(&t);
        let all = 0..s.len();
        assert_eq!(
            s.line_around(all.clone(), LINE_SCAN * 2),
            0..3 * LINE_SCAN + 5
        );
        let second = s.line_around(all.clone(), s.len() - 1);
        assert_eq!(second, 3 * LINE_SCAN + 6..s.len());
        assert_eq!(s.line_count(all), 2);
    }

    #[test]
    #[allow(clippy::reversed_empty_ranges)]
    fn out_of_range_never_panics() {
        let s = src(b"abc");
        assert_eq!(s.char_count(5..2), 0);
        assert_eq!(s.char_to_byte(10..20, 3), 3);
        assert_eq!(s.char_to_byte_back(10..20, 3), 3);
        assert_eq!(s.line_range(7..9, 0), None);
        assert_eq!(s.line_around(2..1, 0), 1..1);
        assert_eq!(s.line_number(9, 2), 1);
        let e = src(b"");
        assert_eq!(e.line_count(0..0), 0);
        assert_eq!(e.char_count(0..1), 0);
        assert_eq!(e.line_around(0..0, 0), 0..0);
    }
}
