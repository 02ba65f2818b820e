//! Decoding literal tokens: numbers, and the text of string literals with
//! their escapes.
//!
//! A string token keeps its prefix (`r`, `re`, `f`) and quotes; [`split`]
//! finds the body and [`unescape`] resolves `\n \t \r \0 \\ \" \' \u{263A}
//! \uXXXX \xNN` (a backslash before a line break joins the lines). An
//! unknown escape is reported with a pointer to the raw forms, because a
//! `"\d+"` meant as a regex is the usual cause.

use super::span::{FileId, Span};
use crate::diag::Diagnostic;

/// The parts of a string token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrToken<'a> {
    /// The prefix: `""`, `"r"`, `"re"` or `"f"`.
    pub prefix: &'a str,
    /// The quote: `"`, `'`, `"""` or `'''`.
    pub quote: &'a str,
    /// The text between the quotes.
    pub body: &'a str,
    /// Offset of the body within the token.
    pub body_offset: usize,
}

/// Splits a string token into prefix, quote and body.
pub fn split(token: &str) -> StrToken<'_> {
    let prefix_len = token.find(['"', '\'']).unwrap_or(0);
    let (prefix, rest) = token.split_at(prefix_len);
    let quote_len = if rest.len() >= 6 && (rest.starts_with("\"\"\"") || rest.starts_with("'''")) {
        3
    } else {
        1
    };
    let quote = &rest[..quote_len.min(rest.len())];
    let body_end = rest.len().saturating_sub(quote_len).max(quote_len);
    StrToken {
        prefix,
        quote,
        body: &rest[quote_len.min(rest.len())..body_end],
        body_offset: prefix_len + quote_len,
    }
}

/// Resolves the escapes of `body`, which starts at byte `at` of `file`;
/// bad escapes are reported into `diags` and kept as written.
pub fn unescape(body: &str, file: FileId, at: usize, diags: &mut Vec<Diagnostic>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let offset = at + (body.len() - rest.len()) + i;
        let after = &rest[i + 1..];
        let (decoded, len) = escape(after);
        match decoded {
            Ok(Some(c)) => out.push(c),
            Ok(None) => {}
            Err(msg) => {
                let shown: String = rest[i..].chars().take(2).collect();
                let end = offset + 1 + len.max(after.chars().next().map_or(0, char::len_utf8));
                diags.push(bad_escape(Span::new(file, offset, end), &shown, msg));
                out.push_str(&rest[i..i + 1 + len]);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// Decodes one escape; `after` is the text after the backslash. Returns
/// the character (None for a joined line break) and how many bytes of
/// `after` the escape used.
fn escape(after: &str) -> (Result<Option<char>, &'static str>, usize) {
    let Some(c) = after.chars().next() else {
        return (Err("a backslash at the end of a string"), 0);
    };
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        '0' => Some('\0'),
        '\\' => Some('\\'),
        '"' => Some('"'),
        '\'' => Some('\''),
        '\n' => return (Ok(None), 1),
        _ => None,
    };
    if let Some(ch) = simple {
        return (Ok(Some(ch)), 1);
    }
    match c {
        'u' if after[1..].starts_with('{') => match after[2..].find('}') {
            Some(close) => (code_point(&after[2..2 + close]), close + 3),
            None => (Err("`\\u{` needs a closing `}`"), 1),
        },
        'u' => fixed_hex(after, 4),
        'x' => fixed_hex(after, 2),
        _ => (Err("unknown escape"), c.len_utf8()),
    }
}

fn fixed_hex(after: &str, digits: usize) -> (Result<Option<char>, &'static str>, usize) {
    let hex = after.get(1..1 + digits).unwrap_or("");
    if hex.len() == digits && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        (code_point(hex), 1 + digits)
    } else {
        (Err("the escape needs hexadecimal digits"), 1)
    }
}

fn code_point(hex: &str) -> Result<Option<char>, &'static str> {
    u32::from_str_radix(hex, 16)
        .ok()
        .and_then(char::from_u32)
        .map(Some)
        .ok_or("not a valid Unicode code point")
}

fn bad_escape(span: Span, shown: &str, msg: &str) -> Diagnostic {
    Diagnostic::syntax(span, format!("{msg} `{shown}` in a string")).hint(
        "for a regex write re\"...\" (no escapes are processed there); for a backslash write \
         \\\\; known escapes are \\n \\t \\r \\0 \\\\ \\\" \\' \\u{263A}",
    )
}

/// Parses an integer literal (`1_000`), reporting one too large for 64 bits.
pub fn int(text: &str, span: Span, diags: &mut Vec<Diagnostic>) -> i64 {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    match digits.parse() {
        Ok(n) => n,
        Err(_) => {
            diags.push(
                Diagnostic::syntax(span, "integer literal too large for 64 bits")
                    .hint("integers range from -9223372036854775808 to 9223372036854775807; write a float such as 1e20 for larger numbers"),
            );
            0
        }
    }
}

/// Parses a float literal (`1.5`, `1e3`, `1_000.5`).
pub fn float(text: &str) -> f64 {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    digits.parse().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(body: &str) -> (String, usize) {
        let mut d = Vec::new();
        let s = unescape(body, 0, 0, &mut d);
        (s, d.len())
    }

    #[test]
    fn split_finds_the_body() {
        let t = split(r#"re"\d+""#);
        assert_eq!(
            (t.prefix, t.quote, t.body, t.body_offset),
            ("re", "\"", r"\d+", 3)
        );
        let t = split("f'''a'b'''");
        assert_eq!((t.prefix, t.quote, t.body), ("f", "'''", "a'b"));
        let t = split("\"\"");
        assert_eq!((t.quote, t.body), ("\"", ""));
        let t = split("''''''");
        assert_eq!((t.quote, t.body), ("'''", ""));
    }

    #[test]
    fn escapes() {
        assert_eq!(un(r#"a\nb\t\"\\\'\0"#), ("a\nb\t\"\\'\0".to_string(), 0));
        assert_eq!(un(r"\u{263A}\u00e9\x41"), ("\u{263A}éA".to_string(), 0));
        assert_eq!(un("a\\\nb"), ("ab".to_string(), 0));
    }

    #[test]
    fn bad_escapes_are_reported_and_kept() {
        assert_eq!(un(r"\d+"), (r"\d+".to_string(), 1));
        assert_eq!(un(r"\u{zz}x"), (r"\u{zz}x".to_string(), 1));
        assert_eq!(un(r"\x4"), (r"\x4".to_string(), 1));
    }

    #[test]
    fn numbers() {
        let mut d = Vec::new();
        assert_eq!(int("1_000", Span::default(), &mut d), 1000);
        assert_eq!(int("99999999999999999999", Span::default(), &mut d), 0);
        assert_eq!(d.len(), 1);
        assert_eq!(float("1e3"), 1000.0);
        assert_eq!(float("2.5"), 2.5);
    }
}
