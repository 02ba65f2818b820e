//! JSON strings written fast: the escaping of `serde_json` (`\"`, `\\`,
//! `\b`, `\f`, `\n`, `\r`, `\t`, other control bytes as `\u00xx`, every
//! other byte as it is), found eight bytes at a time, so that a text of
//! hundreds of kilobytes with a line break now and then is copied in long
//! runs.

/// Bytes in one step of the scan.
const STEP: usize = 8;

const ONES: u64 = u64::from_le_bytes([0x01; STEP]);
const HIGHS: u64 = u64::from_le_bytes([0x80; STEP]);

/// A mask whose lowest set bit is in the first byte of `x` (eight bytes
/// read little-endian) that needs escaping; bits above it may be set
/// spuriously (a borrow runs upwards).
fn needs_escape(x: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    control | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')))
}

/// Whether a byte needs escaping.
fn special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends `s` as a JSON string, quotes included.
pub fn write(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0; // first byte not yet copied
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + STEP) {
            let mut word = [0u8; STEP];
            word.copy_from_slice(chunk);
            let mask = needs_escape(u64::from_le_bytes(word));
            if mask == 0 {
                i += STEP;
                continue;
            }
            i += mask.trailing_zeros() as usize / 8;
        } else if !special(bytes[i]) {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        escape(out, bytes[i]);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
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
            for at in 0..STEP + 1 {
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
        }
    }
}
