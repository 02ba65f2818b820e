//! JSON strings written fast: the escaping of `serde_json` (`\"`, `\\`,
//! `\b`, `\f`, `\n`, `\r`, `\t`, other control bytes as `\u00xx`, every
//! other byte as it is), sixteen bytes at a time, or sixty-four while none
//! needs escaping: each block (or stride of four blocks) is copied whole (a
//! fixed-size move, no call to `memcpy`) and, when it holds a byte that
//! needs escaping, cut back to that byte. A text of hundreds of kilobytes
//! with a line break every line costs about one move per sixty-four bytes
//! and one escape per line; a text dense with quotes, one sixteen-byte
//! block per escape.

/// Bytes in one block.
const BLOCK: usize = 16;

/// Bytes in one stride: four blocks, scanned together.
const STRIDE: usize = 4 * BLOCK;

#[cfg(not(target_arch = "x86_64"))]
use first_special_in_stride_by_blocks as first_special_in_stride;
/// The position of the first byte of `block` that needs escaping, if any.
#[cfg(target_arch = "x86_64")]
use first_special_sse2 as first_special;
#[cfg(not(target_arch = "x86_64"))]
use first_special_swar as first_special;

/// The bytes of the sixteen at `p` that need escaping, as 0xff lanes.
///
/// # Safety
/// `p` must point at sixteen readable bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn special_lanes(p: *const u8) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline; the load is unaligned
    // and reads the sixteen bytes the caller vouches for.
    unsafe {
        let v = _mm_loadu_si128(p.cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // A byte below 0x20: max(byte, 0x1f) is 0x1f.
        let low = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
        _mm_or_si128(_mm_or_si128(quote, backslash), control)
    }
}

/// [`first_special`] with SSE2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn first_special_sse2(block: &[u8; BLOCK]) -> Option<usize> {
    use std::arch::x86_64::*;
    // SAFETY: `block` is sixteen bytes.
    let mask = unsafe { _mm_movemask_epi8(special_lanes(block.as_ptr())) };
    (mask != 0).then(|| mask.trailing_zeros() as usize)
}

/// The position of the first byte of `stride` that needs escaping, if any.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn first_special_in_stride(stride: &[u8; STRIDE]) -> Option<usize> {
    use std::arch::x86_64::*;
    let p = stride.as_ptr();
    // SAFETY: `stride` is four blocks of sixteen bytes, at offsets 0, 16,
    // 32 and 48.
    unsafe {
        let a = special_lanes(p);
        let b = special_lanes(p.add(BLOCK));
        let c = special_lanes(p.add(2 * BLOCK));
        let d = special_lanes(p.add(3 * BLOCK));
        if _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))) == 0 {
            return None;
        }
        let bits = |lanes| u64::from(_mm_movemask_epi8(lanes) as u16);
        let mask = bits(a) | bits(b) << BLOCK | bits(c) << (2 * BLOCK) | bits(d) << (3 * BLOCK);
        Some(mask.trailing_zeros() as usize)
    }
}

/// [`first_special_in_stride`] a block at a time, for every target.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn first_special_in_stride_by_blocks(stride: &[u8; STRIDE]) -> Option<usize> {
    (0..4).find_map(|k| {
        let block: &[u8; BLOCK] = stride[k * BLOCK..(k + 1) * BLOCK]
            .try_into()
            .expect("a whole block");
        first_special(block).map(|at| k * BLOCK + at)
    })
}

/// [`first_special`] eight bytes at a time in a word, for every target.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn first_special_swar(block: &[u8; BLOCK]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // The lowest set bit is in the first byte that needs escaping; bits
    // above it may be set spuriously (a borrow runs upwards).
    let needs_escape = |x: u64| {
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        control | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')))
    };
    let (lo, hi) = block.split_at(8);
    let word = |half: &[u8]| u64::from_le_bytes(half.try_into().expect("eight bytes"));
    match (needs_escape(word(lo)), needs_escape(word(hi))) {
        (0, 0) => None,
        (0, m) => Some(8 + m.trailing_zeros() as usize / 8),
        (m, _) => Some(m.trailing_zeros() as usize / 8),
    }
}

/// Whether a byte needs escaping.
fn special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends `s` as a JSON string, quotes included.
pub fn write(out: &mut Vec<u8>, s: &str) {
    write_joined(out, [s]);
}

/// Appends `parts`, joined, as one JSON string, quotes included (no joined
/// copy of the parts is made).
pub fn write_joined<'a>(out: &mut Vec<u8>, parts: impl IntoIterator<Item = &'a str> + Clone) {
    let len: usize = parts.clone().into_iter().map(str::len).sum();
    out.reserve(len + 2);
    out.push(b'"');
    for part in parts {
        push_escaped(out, part.as_bytes());
    }
    out.push(b'"');
}

/// Appends `bytes` escaped, without quotes.
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut i = 0;
    while let Some(stride) = bytes.get(i..i + STRIDE) {
        let stride: &[u8; STRIDE] = stride.try_into().expect("a whole stride");
        let block: &[u8; BLOCK] = stride[..BLOCK].try_into().expect("a whole block");
        let start = out.len();
        // Text dense with escapes finds the next one in the first block.
        let found = match first_special(block) {
            Some(at) => {
                out.extend_from_slice(block);
                Some(at)
            }
            None => {
                out.extend_from_slice(stride);
                first_special_in_stride(stride)
            }
        };
        i += settle(out, start, stride, found);
    }
    while let Some(block) = bytes.get(i..i + BLOCK) {
        let block: &[u8; BLOCK] = block.try_into().expect("a whole block");
        let start = out.len();
        out.extend_from_slice(block);
        i += settle(out, start, block, first_special(block));
    }
    for &b in &bytes[i..] {
        match special(b) {
            true => escape(out, b),
            false => out.push(b),
        }
    }
}

/// After `chunk` was copied whole to `out` from `start` on: when `found`
/// a byte that needs escaping, cuts the copy back to it and escapes it.
/// The bytes of `chunk` now written.
#[inline(always)]
fn settle(out: &mut Vec<u8>, start: usize, chunk: &[u8], found: Option<usize>) -> usize {
    match found {
        None => chunk.len(),
        Some(at) => {
            out.truncate(start + at);
            escape(out, chunk[at]);
            at + 1
        }
    }
}

/// Appends the escape of `b`, a byte that needs one.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0C => out.extend_from_slice(b"\\f"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xF)],
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scan for the first byte of an `N`-byte chunk that needs escaping.
    type Scan<const N: usize> = fn(&[u8; N]) -> Option<usize>;

    /// Checks each of `scans` against a byte-at-a-time scan: every byte
    /// value at every offset of an `N`-byte chunk, alone and followed by a
    /// quote; and a line break at every offset with a quote at every
    /// offset after it (a second special byte changes nothing).
    fn agree_with_a_byte_at_a_time<const N: usize>(scans: &[Scan<N>]) {
        let check = |chunk: &[u8; N]| {
            let want = chunk.iter().position(|&x| special(x));
            for scan in scans {
                assert_eq!(scan(chunk), want, "{chunk:?}");
            }
        };
        let mut chunk = [b'a'; N];
        for at in 0..N {
            for b in 0..=255u8 {
                chunk[at] = b;
                check(&chunk);
                if at + 1 < N {
                    chunk[at + 1] = b'"';
                    check(&chunk);
                    chunk[at + 1] = b'a';
                }
            }
            chunk[at] = b'\n';
            for later in at + 1..N {
                chunk[later] = b'"';
                check(&chunk);
                chunk[later] = b'a';
            }
            chunk[at] = b'a';
        }
    }

    #[test]
    fn the_block_scans_agree_with_a_byte_at_a_time() {
        agree_with_a_byte_at_a_time::<BLOCK>(&[
            first_special_swar,
            #[cfg(target_arch = "x86_64")]
            first_special_sse2,
        ]);
    }

    #[test]
    fn the_stride_scans_agree_with_a_byte_at_a_time() {
        agree_with_a_byte_at_a_time::<STRIDE>(&[
            first_special_in_stride_by_blocks,
            #[cfg(target_arch = "x86_64")]
            first_special_in_stride,
        ]);
    }

    #[test]
    fn escapes_as_serde_json_does() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "plain".into(),
            "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{0}i\u{1f}j\u{7f}k é 🎉 東".into(),
            "x".repeat(17) + "\"" + &"y".repeat(9) + "\n",
        ];
        // Every byte value at every offset of a step.
        for b in 0u8..0x80 {
            for at in 0..2 * STRIDE + 1 {
                let mut s = "z".repeat(at);
                s.push(char::from(b));
                s.push_str("tail é");
                texts.push(s);
            }
        }
        for t in texts {
            let mut out = Vec::new();
            write(&mut out, &t);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
            // Cut anywhere on a character boundary, the parts escape as
            // the whole does.
            for cut in (0..=t.len()).filter(|&i| t.is_char_boundary(i)).step_by(7) {
                let mut joined = Vec::new();
                write_joined(&mut joined, [&t[..cut], "", &t[cut..]]);
                assert_eq!(joined, serde_json::to_vec(&t).unwrap(), "{t:?} at {cut}");
            }
        }
    }
}
