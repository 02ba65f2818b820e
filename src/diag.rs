//! Diagnostics as data, rendered at the edge.
//!
//! Every error of the language (lexing, parsing, checking, running) becomes a
//! [`Diagnostic`]: a kind, a one-line message, the span it points at and a
//! hint that says what to write instead. The reader is often a model that
//! must fix its next attempt, so messages name the construct and hints give
//! the exact replacement. [`Diagnostic::render`] draws the plain-text form:
//!
//! ```text
//! error: unknown name `lenght`
//!  --> script.rlq:3:9
//!   |
//! 3 | let n = lenght(context)
//!   |         ^^^^^^
//!   = hint: did you mean `len`?
//! ```

use std::fmt::Write as _;

use serde::Serialize;

use crate::syntax::span::{SourceMap, Span};

/// Which stage found the problem; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The script could not be read as rlq (exit 2).
    Syntax,
    /// A name or call is wrong before anything ran (exit 2).
    Check,
    /// The script failed while running (exit 1).
    Runtime,
    /// A limit (steps, time, memory, output, budget) was reached (exit 1).
    Limit,
}

/// One error, with where it is and what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// The stage that found it.
    pub stage: Stage,
    /// One line saying what is wrong.
    pub message: String,
    /// Where, if the error has a place in the program.
    #[serde(skip)]
    pub span: Option<Span>,
    /// What to write instead, or how to go on.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `stage` with a message and no span or hint.
    pub fn new(stage: Stage, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            stage,
            message: message.into(),
            span: None,
            hint: None,
        }
    }

    /// A syntax error at `span`.
    pub fn syntax(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Stage::Syntax, message).at(span)
    }

    /// A runtime error at `span`.
    pub fn runtime(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Stage::Runtime, message).at(span)
    }

    /// Sets the span (keeps an existing one).
    pub fn at(mut self, span: Span) -> Diagnostic {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    /// Sets the hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// The process exit code this diagnostic calls for.
    pub fn exit_code(&self) -> u8 {
        match self.stage {
            Stage::Syntax | Stage::Check => 2,
            Stage::Runtime | Stage::Limit => 1,
        }
    }

    /// Plain-text rendering with the source line and a caret. A long line
    /// is shown as a window around the caret; control characters (terminal
    /// escape sequences included) are shown escaped.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = format!("error: {}\n", shown(&self.message));
        if let Some(span) = self.span {
            let file = sources.get(span.file);
            let (line, col, text) = file.locate(span.start as usize);
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            let _ = writeln!(out, "{pad}--> {}:{line}:{col}", escape_controls(&file.name));
            let _ = writeln!(out, "{pad} |");
            let width = sources
                .snippet(span)
                .split('\n')
                .next()
                .map_or(1, |s| s.chars().count().max(1));
            let (shown, caret, width) = window(text, col - 1, width);
            let _ = writeln!(out, "{line} | {shown}");
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(caret), "^".repeat(width));
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  = hint: {}", shown(hint));
        }
        out
    }

    /// One line: `file:line:col: message (hint: ...)`, for logs and traces.
    pub fn one_line(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        if let Some(span) = self.span {
            let file = sources.get(span.file);
            let (line, col, _) = file.locate(span.start as usize);
            let _ = write!(out, "{}:{line}:{col}: ", file.name);
        }
        out.push_str(&shown(&self.message));
        if let Some(hint) = &self.hint {
            let _ = write!(out, " (hint: {})", shown(hint));
        }
        out
    }
}

/// The most diagnostics [`render_all`] draws; the rest are counted.
pub const MAX_SHOWN: usize = 20;

/// The most characters of a source line a rendering shows.
const MAX_LINE: usize = 120;

/// Renders the first [`MAX_SHOWN`] diagnostics, separated by blank lines,
/// and says how many more there are.
pub fn render_all(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = diags
        .iter()
        .take(MAX_SHOWN)
        .map(|d| d.render(sources))
        .collect::<Vec<_>>()
        .join("\n");
    if diags.len() > MAX_SHOWN {
        let _ = writeln!(out, "\n... and {} more errors", diags.len() - MAX_SHOWN);
    }
    out
}

/// `text` with control characters written as escapes (`\u{1b}`), so that
/// an error message cannot drive the terminal that shows it.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_escaped) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_escaped(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// The most characters of a message or hint a rendering shows.
const MAX_MESSAGE: usize = 600;

/// `text` with the secrets URLs can carry taken out: the user and password
/// (`http://user:pw@host` → `http://<redacted>@host`) and the query
/// (`?key=...` → `?<redacted>`). Every rendered message goes through it.
pub fn redact_urls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>' | ')' | ']')
            })
            .unwrap_or(after.len());
        let url = &after[..end];
        let host_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let (authority, path) = url.split_at(host_end);
        match authority.rfind('@').filter(|&at| at > 0) {
            Some(at) => {
                out.push_str("<redacted>");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        // (An empty query is left alone: the text may be redacted already.)
        match path.find('?').filter(|&q| q + 1 < path.len()) {
            Some(q) => {
                out.push_str(&path[..q]);
                out.push_str("?<redacted>");
                if let Some(h) = path[q..].find('#') {
                    out.push_str(&path[q + h..]);
                }
            }
            None => out.push_str(path),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out.into()
}

/// A message as rendered: secrets of URLs redacted, controls escaped, the
/// middle of a very long one (quoting a huge token, say) left out.
fn shown(text: &str) -> String {
    let text = &*redact_urls(text);
    let n = text.chars().count();
    if n <= MAX_MESSAGE {
        return escape_controls(text).into_owned();
    }
    let head: String = text.chars().take(MAX_MESSAGE / 2).collect();
    let tail: String = text.chars().skip(n - MAX_MESSAGE / 2).collect();
    format!(
        "{} … ({} characters left out) … {}",
        escape_controls(&head),
        n - MAX_MESSAGE,
        escape_controls(&tail)
    )
}

fn is_escaped(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n' || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The part of source line `text` to show for a caret at character `col`
/// (0-based) spanning `width` characters: the whole line when it is short,
/// else a window of [`MAX_LINE`] characters around the caret marked with
/// `…`. Returns the shown text, the caret's column in it and its width.
fn window(text: &str, col: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    let col = col.min(len);
    let (from, to) = if len <= MAX_LINE {
        (0, len)
    } else {
        let from = col.saturating_sub(MAX_LINE / 2).min(len - MAX_LINE);
        (from, from + MAX_LINE)
    };
    let mut shown = String::new();
    if from > 0 {
        shown.push('…');
    }
    let body: String = chars[from..to].iter().collect();
    shown.push_str(&escape_controls(&body));
    if to < len {
        shown.push('…');
    }
    // Escapes widen what precedes the caret: count the shown characters.
    let before: String = chars[from..col].iter().collect();
    let caret = usize::from(from > 0) + escape_controls(&before).chars().count();
    let width = width.min(to.saturating_sub(col)).max(1);
    (shown, caret, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_and_queries_once() {
        let t =
            "cannot reach http://u:pw@127.0.0.1:9/v1?key=SECRET#f (refused); see https://x.io/a";
        let r = redact_urls(t);
        assert_eq!(
            r,
            "cannot reach http://<redacted>@127.0.0.1:9/v1?<redacted>#f (refused); see https://x.io/a"
        );
        assert_eq!(redact_urls(&r), r);
    }

    #[test]
    fn long_lines_show_a_window_and_controls_are_escaped() {
        let line: String = "a".repeat(1000) + "\u{1b}[31m";
        let (shown, caret, width) = window(&line, 990, 3);
        // The window, two `…` and the escape's extra characters.
        assert!(shown.chars().count() <= MAX_LINE + 2 + 6);
        assert!(shown.contains("\\u{1b}"));
        assert!(caret < shown.chars().count());
        assert!(width >= 1);
        assert_eq!(escape_controls("a\u{7}b"), "a\\u{7}b");
    }
}
