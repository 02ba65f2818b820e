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

    /// Plain-text rendering with the source line and a caret.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = format!("error: {}\n", self.message);
        if let Some(span) = self.span {
            let file = sources.get(span.file);
            let (line, col, text) = file.locate(span.start as usize);
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            let _ = writeln!(out, "{pad}--> {}:{line}:{col}", file.name);
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line} | {text}");
            let width = sources
                .snippet(span)
                .split('\n')
                .next()
                .map_or(1, |s| s.chars().count().max(1));
            let width = width.min(text.chars().count().saturating_sub(col - 1).max(1));
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(col - 1), "^".repeat(width));
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  = hint: {hint}");
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
        out.push_str(&self.message);
        if let Some(hint) = &self.hint {
            let _ = write!(out, " (hint: {hint})");
        }
        out
    }
}

/// Renders several diagnostics, separated by blank lines.
pub fn render_all(diags: &[Diagnostic], sources: &SourceMap) -> String {
    diags
        .iter()
        .map(|d| d.render(sources))
        .collect::<Vec<_>>()
        .join("\n")
}
