//! The pre-tokenizing regexes of `o200k_base` and `cl100k_base` (see
//! [`super::counter`]) worked out by hand for ASCII text: where the regex's
//! match at the start of a text ends, found by looking at a few bytes.
//!
//! The regexes are Unicode-aware; on ASCII bytes their classes are simple
//! (`\p{L}` is `[A-Za-z]`, `\p{Lu}` `[A-Z]`, `\p{Ll}` `[a-z]`, `\p{N}`
//! `[0-9]`, `\s` `[\t\n\x0B\x0C\r ]`). Whenever the answer would depend on
//! a byte that is not ASCII (a letter, digit, space or case fold the ASCII
//! classes do not cover), [`pretoken`] gives up and the regex decides. A
//! test compares both on random texts mixing ASCII and other characters.
//!
//! The alternatives, tried in order (leftmost-first), with `P` an optional
//! prefix `[^\r\n\p{L}\p{N}]` and `C` an optional contraction `'s`, `'t`,
//! `'re`, `'ve`, `'m`, `'ll`, `'d` (any case):
//! - `o200k_base`: `P` + upper-case letters + lower-case letters + `C`
//!   (at least one lower-case letter), or `P` + upper-case letters (at
//!   least one) + lower-case letters + `C`; 1 to 3 digits; an optional
//!   space, symbols, then `\r`, `\n` and `/`; spaces ending with a line
//!   break; spaces at the end of the text; spaces but the last one;
//!   spaces.
//! - `cl100k_base`: `C` alone; `P` + letters; 1 to 3 digits; an optional
//!   space, symbols, then `\r` and `\n`; and the same spaces as above.

/// A byte's class on the ASCII side; `None` for a byte that is not ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    Digit,
    /// `\r` or `\n`.
    Newline,
    /// Another `\s`: space, tab, vertical tab, form feed.
    Space,
    /// Anything else ASCII: punctuation, symbols, control bytes.
    Symbol,
    /// Past the end of the text.
    End,
}

fn class(s: &[u8], i: usize) -> Option<Class> {
    let Some(&b) = s.get(i) else {
        return Some(Class::End);
    };
    Some(match b {
        b'A'..=b'Z' => Class::Upper,
        b'a'..=b'z' => Class::Lower,
        b'0'..=b'9' => Class::Digit,
        b'\r' | b'\n' => Class::Newline,
        b' ' | b'\t' | 0x0B | 0x0C => Class::Space,
        0x80.. => return None,
        _ => Class::Symbol,
    })
}

fn is_letter(c: Class) -> bool {
    matches!(c, Class::Upper | Class::Lower)
}

/// Whether a class may be the optional prefix `[^\r\n\p{L}\p{N}]`.
fn is_prefix(c: Class) -> bool {
    matches!(c, Class::Space | Class::Symbol)
}

/// The end of the run of bytes of class `c` from `i`; `None` when it
/// stops at a byte that is not ASCII.
fn run(s: &[u8], mut i: usize, c: Class) -> Option<usize> {
    loop {
        match class(s, i)? {
            x if x == c => i += 1,
            _ => return Some(i),
        }
    }
}

/// Bytes of a contraction at `i` (0 when there is none).
fn contraction(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) != Some(&b'\'') {
        return Some(0);
    }
    class(s, i + 1)?;
    let first = s.get(i + 1).map(u8::to_ascii_lowercase);
    let second = || {
        class(s, i + 2)?;
        Some(s.get(i + 2).map(u8::to_ascii_lowercase))
    };
    Some(match first {
        Some(b's' | b't' | b'm' | b'd') => 2,
        Some(b'r' | b'v') if second()? == Some(b'e') => 3,
        Some(b'l') if second()? == Some(b'l') => 3,
        _ => 0,
    })
}

/// `o200k_base`'s letters from `i` (a letter), with the contraction.
fn o200k_letters(s: &[u8], i: usize) -> Option<usize> {
    let upper = run(s, i, Class::Upper)?;
    let end = match class(s, upper)? {
        Class::Lower => run(s, upper, Class::Lower)?,
        _ => upper,
    };
    Some(end + contraction(s, end)?)
}

/// `cl100k_base`'s letters from `i` (a letter).
fn cl100k_letters(s: &[u8], mut i: usize) -> Option<usize> {
    while is_letter(class(s, i)?) {
        i += 1;
    }
    Some(i)
}

/// The length of the pre-token at the start of `s` (not empty), as the
/// regex of `o200k_base` (`o200k`) or `cl100k_base` finds it; `None` when
/// a byte that decides it is not ASCII.
pub fn pretoken(s: &[u8], o200k: bool) -> Option<usize> {
    if s.is_empty() {
        return None;
    }
    let c = class(s, 0)?;
    let letters = |i| match o200k {
        true => o200k_letters(s, i),
        false => cl100k_letters(s, i),
    };
    if !o200k && s.first() == Some(&b'\'') {
        let n = contraction(s, 0)?;
        if n > 0 {
            return Some(n);
        }
    }
    if is_letter(c) {
        return letters(0);
    }
    if c == Class::Digit {
        let mut i = 1;
        while i < 3 && class(s, i)? == Class::Digit {
            i += 1;
        }
        // A fourth digit starts the next pre-token; a non-ASCII character
        // after fewer may be a digit.
        if i < 3 {
            class(s, i)?;
        }
        return Some(i);
    }
    let next = class(s, 1)?;
    if is_prefix(c) && is_letter(next) {
        return letters(1);
    }
    let symbols = match (c, next) {
        (Class::Symbol, _) => Some(0),
        (Class::Space, Class::Symbol) if s[0] == b' ' => Some(1),
        _ => None,
    };
    if let Some(start) = symbols {
        let mut end = run(s, start, Class::Symbol)?;
        while matches!(s.get(end), Some(b'\r' | b'\n')) || (o200k && s.get(end) == Some(&b'/')) {
            end += 1;
        }
        return Some(end);
    }
    // Spaces: a run of `\s`.
    let mut end = 0;
    while matches!(class(s, end)?, Class::Space | Class::Newline) {
        end += 1;
    }
    if let Some(last) = s[..end].iter().rposition(|b| matches!(b, b'\r' | b'\n')) {
        return Some(last + 1);
    }
    if end == s.len() || end == 1 {
        return Some(end);
    }
    Some(end - 1)
}
