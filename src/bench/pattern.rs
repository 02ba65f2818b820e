//! Patterns for `rlmq bench`: read from the command line in rlq syntax,
//! shown back in rlq syntax, and picked from the file when none is given.
//!
//! On the command line a pattern is an rlq expression: `"ERROR"` (or just
//! `ERROR`) is a literal, `re"user_id: (\d+)"` a regex and `["a", "b"]` a
//! literal set. Anything that does not start like one of those is taken as
//! a bare literal, so `--pattern 'label: spam'` needs no inner quotes.

use std::collections::HashMap;

use crate::search::PatternSpec;
use crate::syntax::ast::ExprKind;
use crate::syntax::span::SourceMap;

/// The three kinds of pattern the search engine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One literal string.
    Literal,
    /// Several literal strings.
    Set,
    /// A regex.
    Regex,
}

/// The kind of `spec`.
pub fn kind(spec: &PatternSpec) -> Kind {
    match spec {
        PatternSpec::Literal(_) => Kind::Literal,
        PatternSpec::Set(_) => Kind::Set,
        PatternSpec::Regex(_) => Kind::Regex,
    }
}

/// Reads one `--pattern` argument (rlq syntax, or a bare literal).
pub fn parse(arg: &str) -> Result<PatternSpec, String> {
    let t = arg.trim();
    let looks_like_rlq = t.starts_with("re\"")
        || t.starts_with("re'")
        || t.starts_with('"')
        || t.starts_with('\'')
        || t.starts_with('[');
    if !looks_like_rlq {
        if arg.is_empty() {
            return Err("the pattern is empty".into());
        }
        return Ok(PatternSpec::Literal(arg.to_string()));
    }
    let mut sources = SourceMap::new();
    let id = sources.add("<pattern>", t);
    let expr = crate::syntax::parse_expr(&sources, id).map_err(|diags| {
        diags
            .first()
            .map_or_else(|| "cannot parse it".to_string(), |d| d.message.clone())
    })?;
    let spec = match expr.kind {
        ExprKind::Str(s) => PatternSpec::Literal(s.to_string()),
        ExprKind::Regex(r) => PatternSpec::Regex(r.to_string()),
        ExprKind::List(items) => {
            let mut lits = Vec::with_capacity(items.len());
            for item in items {
                match item.kind {
                    ExprKind::Str(s) => lits.push(s.to_string()),
                    _ => {
                        return Err(
                            "a literal set holds string literals only: [\"a\", \"b\"]".into()
                        )
                    }
                }
            }
            PatternSpec::Set(lits)
        }
        _ => {
            return Err(
                "expected a string \"...\", a regex re\"...\" or a list of strings [\"a\", \"b\"]"
                    .into(),
            );
        }
    };
    match &spec {
        PatternSpec::Literal(s) if s.is_empty() => Err("the literal is empty".into()),
        PatternSpec::Set(l) if l.is_empty() => Err("the literal set is empty".into()),
        _ => Ok(spec),
    }
}

/// `spec` written back in rlq syntax.
pub fn display(spec: &PatternSpec) -> String {
    let quote = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    match spec {
        PatternSpec::Literal(s) => quote(s),
        PatternSpec::Set(l) => format!(
            "[{}]",
            l.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
        ),
        PatternSpec::Regex(r) if r.contains('"') && !r.contains('\'') => format!("re'{r}'"),
        PatternSpec::Regex(r) => format!("re\"{}\"", r.replace('"', "\\\"")),
    }
}

/// Bytes of each sample window [`frequent_words`] reads.
const WINDOW: usize = 256 * 1024;

/// Words of at least `min_len` bytes (ASCII letters, digits and `_`, not
/// starting with a digit) seen in a few sample windows of `bytes` (spread
/// over the file; the whole file when it is small), most frequent first,
/// ties in byte order. Deterministic for a given file.
pub fn frequent_words(bytes: &[u8], min_len: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<&[u8], usize> = HashMap::new();
    for (w_start, w_end) in sample_windows(bytes.len()) {
        let mut i = w_start;
        // A word cut by the window's start is not a word of the file.
        while i < w_end && i > 0 && is_word_byte(bytes[i - 1]) && is_word_byte(bytes[i]) {
            i += 1;
        }
        while i < w_end {
            if !is_word_byte(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && is_word_byte(bytes[i]) {
                i += 1;
            }
            let word = &bytes[start..i];
            if word.len() >= min_len && word.len() <= 40 && !word[0].is_ascii_digit() {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
    }
    let mut out: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(w, c)| (String::from_utf8_lossy(w).into_owned(), c))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Up to four windows of [`WINDOW`] bytes at 10 %, 35 %, 60 % and 85 % of a
/// file of `len` bytes (one window over the whole file when it is small).
fn sample_windows(len: usize) -> Vec<(usize, usize)> {
    if len <= 4 * WINDOW {
        return vec![(0, len)];
    }
    [10, 35, 60, 85]
        .iter()
        .map(|&pct| {
            let start = len / 100 * pct;
            (start, (start + WINDOW).min(len))
        })
        .collect()
}

/// The patterns the suite uses when none of a kind is given, picked from
/// the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// A frequent long word (at least 8 bytes if the file has one).
    pub literal: Option<String>,
    /// The next five frequent words of at least 6 bytes.
    pub set: Vec<String>,
    /// The literal followed by a captured word: a regex with a usable
    /// prefix literal.
    pub regex_literal: Option<String>,
}

/// A regex whose only literals (`@`, `.com`) are weak: many candidates, so
/// the regex engine does the work (as in ripgrep's and the research's
/// e-mail benchmark).
pub const WEAK_LITERAL_REGEX: &str = r"\b\w+@\w+\.com\b";

/// A regex with no literal at all: two capitalised words in a row.
pub const NO_LITERAL_REGEX: &str = r"[A-Z][a-z]+ [A-Z][a-z]+";

/// The default pattern `partition(by=...)` splits before: Markdown
/// second-level headings.
pub const SPLIT_REGEX: &str = r"^## ";

/// Picks the default patterns from the file.
pub fn defaults(bytes: &[u8]) -> Defaults {
    let literal = [8, 5, 3, 1]
        .iter()
        .find_map(|&n| frequent_words(bytes, n).into_iter().next())
        .map(|(w, _)| w);
    let set: Vec<String> = frequent_words(bytes, 6)
        .into_iter()
        .map(|(w, _)| w)
        .filter(|w| Some(w) != literal.as_ref())
        .take(5)
        .collect();
    let regex_literal = literal
        .as_ref()
        .map(|l| format!(r"{}\s+(\w+)", regex_syntax::escape(l)));
    Defaults {
        literal,
        set,
        regex_literal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rlq_patterns() {
        assert_eq!(
            parse("ERROR").unwrap(),
            PatternSpec::Literal("ERROR".into())
        );
        assert_eq!(
            parse("label: spam").unwrap(),
            PatternSpec::Literal("label: spam".into())
        );
        assert_eq!(
            parse("\"a\\tb\"").unwrap(),
            PatternSpec::Literal("a\tb".into())
        );
        assert_eq!(
            parse(r#"re"user_id: (\d+)""#).unwrap(),
            PatternSpec::Regex(r"user_id: (\d+)".into())
        );
        assert_eq!(
            parse(r#"["a", "b"]"#).unwrap(),
            PatternSpec::Set(vec!["a".into(), "b".into()])
        );
        assert!(parse("").is_err());
        assert!(parse("[1, 2]").is_err());
        assert!(parse("[]").is_err());
        assert!(parse("\"unterminated").is_err());
    }

    #[test]
    fn display_round_trips() {
        for spec in [
            PatternSpec::Literal("say \"hi\"".into()),
            PatternSpec::Regex(r"user_id: (\d+)".into()),
            PatternSpec::Regex(r#"a"b"#.into()),
            PatternSpec::Set(vec!["x".into(), "y z".into()]),
        ] {
            assert_eq!(parse(&display(&spec)).unwrap(), spec, "{}", display(&spec));
        }
    }

    #[test]
    fn picks_frequent_words() {
        let text = b"alpha beta gamma_ray gamma_ray 9digits gamma_ray beta\nomega_ray omega_ray";
        let w = frequent_words(text, 5);
        assert_eq!(w[0], ("gamma_ray".into(), 3));
        assert_eq!(w[1], ("omega_ray".into(), 2));
        assert!(w.iter().all(|(x, _)| x != "9digits" && x != "beta"));
        let d = defaults(text);
        assert_eq!(d.literal.as_deref(), Some("gamma_ray"));
        assert_eq!(d.regex_literal.as_deref(), Some(r"gamma_ray\s+(\w+)"));
        assert_eq!(defaults(b"").literal, None);
        assert_eq!(defaults(b"!! a !!").literal.as_deref(), Some("a"));
    }
}
