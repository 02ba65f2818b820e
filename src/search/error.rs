//! Why a pattern could not be compiled, said in one line, with a hint that
//! gives the workaround.

use std::fmt;

use regex_syntax::ast::ErrorKind as AstKind;

/// What kind of problem a [`SearchError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchErrorKind {
    /// The regex uses look-ahead or look-behind: `foo(?=bar)`.
    LookAround,
    /// The regex uses a back-reference: `(\w)\1`.
    Backreference,
    /// The regex is not valid syntax: `a(b`, `*x`, `[a-`.
    Syntax,
    /// The pattern compiles to something too large: `\w{5000}{5000}`, or a
    /// literal set too big for memory.
    TooBig,
}

/// A pattern that cannot be searched for. `Display` is one line; [`hint`]
/// says what to write instead.
///
/// [`hint`]: SearchError::hint
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchError {
    kind: SearchErrorKind,
    message: String,
    hint: String,
}

impl SearchError {
    /// What kind of problem this is.
    pub fn kind(&self) -> SearchErrorKind {
        self.kind
    }

    /// The one-line message (the same text as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to write instead.
    pub fn hint(&self) -> &str {
        &self.hint
    }

    /// From a regex parse or translation error of `pattern`.
    pub(crate) fn from_syntax(pattern: &str, err: &regex_syntax::Error) -> SearchError {
        let (what, at, kind_hint) = match err {
            regex_syntax::Error::Parse(e) => (
                e.kind().to_string(),
                e.span().start.offset,
                ast_hint(e.kind(), pattern),
            ),
            regex_syntax::Error::Translate(e) => {
                (e.kind().to_string(), e.span().start.offset, None)
            }
            other => (first_line(&other.to_string()), 0, None),
        };
        let (kind, hint) = kind_hint.unwrap_or((SearchErrorKind::Syntax, GENERIC_HINT.to_string()));
        let what = match kind {
            SearchErrorKind::Backreference => "back-references are not supported".to_string(),
            _ => what,
        };
        let col = pattern.get(..at).map_or(at, |p| p.chars().count()) + 1;
        SearchError {
            kind,
            message: format!(
                "invalid regex {}: {what} (at character {col})",
                quote(pattern)
            ),
            hint,
        }
    }

    /// From a failure to build the compiled form (size limits and the like),
    /// with the error's causes on the same line.
    pub(crate) fn build_failed(what: &str, err: &dyn std::error::Error) -> SearchError {
        let mut detail = err.to_string();
        let mut cause = err.source();
        while let Some(c) = cause {
            detail.push_str(": ");
            detail.push_str(&c.to_string());
            cause = c.source();
        }
        SearchError::too_big(what, &detail)
    }

    /// From a failure to build the compiled form (size limits and the like).
    pub(crate) fn too_big(what: &str, detail: &str) -> SearchError {
        SearchError {
            kind: SearchErrorKind::TooBig,
            message: format!("{what} is too large to compile: {}", first_line(detail)),
            hint: "use a smaller repetition count (`{n}`), fewer alternatives, or split the \
                   search into several calls"
                .to_string(),
        }
    }
}

const GENERIC_HINT: &str = "check the pattern; to find text that holds regex characters \
                            like `(` `[` `*` `?` `.`, escape them with `\\` or search for a \
                            literal string instead of a regex";

fn ast_hint(kind: &AstKind, pattern: &str) -> Option<(SearchErrorKind, String)> {
    use SearchErrorKind as K;
    let h = |k, s: &str| Some((k, s.to_string()));
    match kind {
        AstKind::UnsupportedLookAround => h(
            K::LookAround,
            "rlq regexes have no look-ahead or look-behind; match the surrounding text \
             too and keep the part you want with a capture group, e.g. `price: (\\d+)` \
             and then `.groups[0]`",
        ),
        AstKind::UnsupportedBackreference => h(
            K::Backreference,
            "rlq regexes have no back-references; capture both parts, e.g. `(\\w+) (\\w+)`, \
             and compare `.groups[0]` with `.groups[1]` in code",
        ),
        AstKind::FlagUnrecognized if pattern.contains("(?P=") => h(
            K::Backreference,
            "rlq regexes have no back-references; capture both parts, e.g. `(\\w+) (\\w+)`, \
             and compare `.groups[0]` with `.groups[1]` in code",
        ),
        AstKind::EscapeUnrecognized if pattern.contains("\\Z") => h(
            K::Syntax,
            "write the end of the text as `\\z` (lower case); `$` matches at every line end",
        ),
        AstKind::RepetitionMissing => h(
            K::Syntax,
            "`*`, `+`, `?` and `{n}` repeat what comes before them; to match the character \
             itself, escape it: `\\*`, `\\+`, `\\?`, `\\{`",
        ),
        AstKind::GroupUnclosed | AstKind::GroupUnopened => h(
            K::Syntax,
            "parentheses must balance; to match a literal parenthesis write `\\(` or `\\)`",
        ),
        AstKind::ClassUnclosed => h(
            K::Syntax,
            "`[` opens a character class; to match a literal bracket write `\\[`",
        ),
        AstKind::EscapeUnrecognized => h(
            K::Syntax,
            "unknown escape; escape only punctuation (`\\.` `\\(` `\\$`), or use \\d \\w \\s \\b",
        ),
        AstKind::FlagUnrecognized => h(
            K::Syntax,
            "known inline flags are i, m, s, x, U, u and R; look-around like `(?=` and \
             `(?<=` does not exist in rlq regexes",
        ),
        _ => None,
    }
}

/// A pattern quoted for a one-line message: newlines escaped, long ones cut.
fn quote(pattern: &str) -> String {
    const MAX: usize = 60;
    let mut s: String = pattern
        .chars()
        .take(MAX)
        .flat_map(|c| match c {
            '\n' => vec!['\\', 'n'],
            '\r' => vec!['\\', 'r'],
            '\t' => vec!['\\', 't'],
            c => vec![c],
        })
        .collect();
    if pattern.chars().count() > MAX {
        s.push('…');
    }
    format!("`{s}`")
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SearchError {}
