//! Turning lalrpop's parse errors into diagnostics a model can act on.
//!
//! The generic form is "unexpected `x`; expected one of `,` `)`", with the
//! expected tokens written as they are typed, expression starters folded
//! into "an expression" and operators left out (almost anything may be
//! followed by an operator). Before falling back to it, the error is
//! matched against common mistakes that have a better explanation: an
//! unclosed bracket (pointing at the opener), a closing bracket of the
//! wrong kind, `not` in the wrong place, `=` for `==`, a `{` on the next
//! line, a Python set, `*`/`**` unpacking, type annotations, `print x`.
//! Errors at a [`Token::Error`] are dropped: that text was already reported.

use super::builder::GrammarError;
use super::layout::{Bracket, Lexed, Mode, Opener};
use super::span::{FileId, Span};
use super::token::Token;
use crate::diag::Diagnostic;
use lalrpop_util::ParseError;

/// Explains the parse errors of `lexed` (the tokens of `src`, file `file`).
///
/// `dropped_opens` are the starts of the block `{`s that error recovery
/// skipped over.
pub fn diagnostics(
    errors: &[GrammarError<'_>],
    dropped_opens: &[usize],
    lexed: &Lexed<'_>,
    src: &str,
    file: FileId,
) -> Vec<Diagnostic> {
    let r = Reporter {
        lexed,
        dropped_opens,
        src,
        file,
    };
    errors.iter().filter_map(|e| r.explain(e)).collect()
}

struct Reporter<'a, 'src> {
    lexed: &'a Lexed<'src>,
    dropped_opens: &'a [usize],
    src: &'a str,
    file: FileId,
}

impl Reporter<'_, '_> {
    fn span(&self, s: usize, e: usize) -> Span {
        Span::new(self.file, s, e)
    }

    fn line(&self, at: usize) -> usize {
        self.src[..at.min(self.src.len())].matches('\n').count() + 1
    }

    fn indent(&self, at: usize) -> usize {
        let start = self.src[..at.min(self.src.len())]
            .rfind('\n')
            .map_or(0, |n| n + 1);
        self.src[start..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .count()
    }

    fn first_on_line(&self, at: usize) -> bool {
        let start = self.src[..at.min(self.src.len())]
            .rfind('\n')
            .map_or(0, |n| n + 1);
        self.src[start..at].trim().is_empty()
    }

    fn explain(&self, e: &GrammarError<'_>) -> Option<Diagnostic> {
        match e {
            ParseError::UnrecognizedToken {
                token: (s, tok, end),
                expected,
            } => {
                if *tok == Token::Error
                    || (*tok == Token::Newline && self.lexed.autoclosed.contains(s))
                    || (*tok == Token::RBrace && self.closes_dropped_block(*s))
                {
                    return None;
                }
                let idx = self.lexed.tokens.partition_point(|t| t.0 < *s);
                let idx = (idx..self.lexed.tokens.len())
                    .find(|&i| self.lexed.tokens[i].1 == *tok && self.lexed.tokens[i].0 == *s)
                    .unwrap_or(idx);
                Some(
                    self.specific(idx, *s, *tok, *end, expected)
                        .unwrap_or_else(|| self.generic(idx, *s, *tok, *end, expected)),
                )
            }
            ParseError::ExtraToken {
                token: (s, tok, end),
            } => {
                if *tok == Token::Error {
                    return None;
                }
                Some(Diagnostic::syntax(
                    self.span(*s, *end),
                    format!("unexpected {}", tok.describe()),
                ))
            }
            ParseError::UnrecognizedEof { .. } if self.lexed.truncated => None,
            ParseError::UnrecognizedEof { location, expected } => {
                Some(self.end_of_input(*location, expected))
            }
            ParseError::InvalidToken { location } => Some(Diagnostic::syntax(
                self.span(*location, *location + 1),
                "unexpected text",
            )),
            ParseError::User { error } => match *error {},
        }
    }

    /// True when the `}` at `at` closes a block whose `{` an earlier error
    /// recovery skipped: the error there is a consequence, not a mistake.
    fn closes_dropped_block(&self, at: usize) -> bool {
        self.lexed.blocks.iter().any(|(o, c)| {
            c.start as usize == at && self.dropped_opens.contains(&(o.start as usize))
        })
    }

    fn end_of_input(&self, location: usize, expected: &[String]) -> Diagnostic {
        if let Some(open) = self.lexed.unclosed.last() {
            return self.unclosed_at_end(*open);
        }
        let last = self.lexed.tokens.last();
        let span = last.map_or(self.span(location, location), |t| self.span(t.0, t.2));
        let list = human_list(expected);
        if self.lexed.mode == Mode::Expression {
            return Diagnostic::syntax(
                span,
                format!(
                    "the f-string field ends too early; expected {}",
                    list.phrase()
                ),
            )
            .hint("complete the expression before the `}` that ends the field");
        }
        Diagnostic::syntax(
            span,
            format!("the program ends too early; expected {}", list.phrase()),
        )
        .hint("finish the statement that starts here")
    }

    /// The `{` (or `(`, `[`) that is still open at the end of the input;
    /// for a block, the inner block whose `}` seems to be missing.
    fn unclosed_at_end(&self, open: Opener) -> Diagnostic {
        let mut open = open;
        let mut hint = format!("add the `{}` that closes it", open.kind.close());
        if open.kind == Bracket::Block {
            let suspect = self.lexed.blocks.iter().find(|(o, c)| {
                o.start > open.span.start
                    && self.first_on_line(c.start as usize)
                    && self.indent(c.start as usize) < self.indent(o.start as usize)
            });
            if let Some((o, c)) = suspect {
                hint = format!(
                    "add the `}}` that closes it; the `}}` on line {} lines up with an outer block",
                    self.line(c.start as usize)
                );
                open = Opener {
                    kind: Bracket::Block,
                    span: *o,
                };
            }
        }
        Diagnostic::syntax(
            open.span,
            format!("unclosed `{}` opened here", open.kind.open()),
        )
        .hint(hint)
    }

    fn prev(&self, idx: usize) -> Option<Token<'_>> {
        idx.checked_sub(1)
            .and_then(|i| self.lexed.tokens.get(i))
            .map(|t| t.1)
    }

    fn statement_start(&self, idx: usize) -> usize {
        let mut i = idx;
        while i > 0
            && !matches!(
                self.lexed.tokens[i - 1].1,
                Token::Newline | Token::Semi | Token::BlockOpen | Token::RBrace
            )
        {
            i -= 1;
        }
        i
    }

    fn specific(
        &self,
        idx: usize,
        s: usize,
        tok: Token<'_>,
        end: usize,
        expected: &[String],
    ) -> Option<Diagnostic> {
        let span = self.span(s, end);
        let inside = self.lexed.inside.get(idx).copied().flatten();
        let prev = self.prev(idx);
        let expects = |name: &str| expected.iter().any(|x| unquote(x) == name);

        // A closing bracket of the wrong kind, or with nothing open.
        let closer = match tok {
            Token::RParen => Some(Bracket::Paren),
            Token::RBracket => Some(Bracket::Square),
            Token::RBrace => Some(Bracket::Block),
            _ => None,
        };
        if let Some(kind) = closer {
            let close = kind.close();
            match inside {
                None => {
                    return Some(
                        Diagnostic::syntax(
                            span,
                            format!("unexpected `{close}`: no bracket is open here"),
                        )
                        .hint("remove it, or look for a missing opening bracket above"),
                    )
                }
                Some(o) if o.kind.close() != close => {
                    return Some(
                        Diagnostic::syntax(
                            span,
                            format!(
                                "`{close}` does not close the `{}` opened at line {}",
                                o.kind.open(),
                                self.line(o.span.start as usize)
                            ),
                        )
                        .hint(format!(
                            "close the `{}` first with `{}`",
                            o.kind.open(),
                            o.kind.close()
                        )),
                    )
                }
                _ => {}
            }
        }

        // A bracket left open on an earlier line swallowed this one.
        if let Some(o) = inside {
            let opened_before = self.line(o.span.start as usize) < self.line(s);
            let starts_statement = matches!(
                tok,
                Token::Let
                    | Token::Def
                    | Token::While
                    | Token::Return
                    | Token::Break
                    | Token::Continue
            );
            if o.kind != Bracket::Block
                && opened_before
                && self.first_on_line(s)
                && (starts_statement || prev.is_some_and(|p| p.ends_expression()))
            {
                return Some(
                    Diagnostic::syntax(o.span, format!("unclosed `{}` opened here", o.kind.open()))
                        .hint(format!(
                            "it is still open at line {}: add the missing `{}`",
                            self.line(s),
                            o.kind.close()
                        )),
                );
            }
        }

        // `x not None`: the `not` was taken as the start of `not in`.
        if prev == Some(Token::Not) && idx >= 2 && self.lexed.tokens[idx - 2].1.ends_expression() {
            let (ns, _, _) = self.lexed.tokens[idx - 1];
            return Some(
                Diagnostic::syntax(
                    self.span(ns, end),
                    "`not` after a value must be `not in` or `is not`",
                )
                .hint(
                    "write `x not in xs` or `x is not null`; to negate, put `not` first: `not x`",
                ),
            );
        }

        match tok {
            Token::Not => {
                if let Some(p) = prev.filter(|p| p.continues_line() && *p != Token::Not) {
                    let op = p.spelling();
                    return Some(
                        Diagnostic::syntax(span, format!("`not` cannot directly follow `{op}`"))
                            .hint(format!(
                                "put it in parentheses, `a {op} (not b)`, or negate the whole: `not (a {op} b)`"
                            )),
                    );
                }
                if prev.is_some_and(|p| p.ends_expression()) {
                    return Some(
                        Diagnostic::syntax(span, "`not` after a value must be `not in` or `is not`")
                            .hint("write `x not in xs` or `x is not null`; to negate, put `not` first: `not x`"),
                    );
                }
            }
            Token::SlashSlash if self.statement_start(idx) == idx => {
                return Some(
                    Diagnostic::syntax(span, "`//` does not start a comment in rlq")
                        .hint("comments start with `#`; `//` is floor division"),
                );
            }
            Token::Assign if expects("{block") => {
                let first = self.lexed.tokens[self.statement_start(idx)].1;
                if matches!(first, Token::If | Token::While | Token::Elif) {
                    return Some(
                        Diagnostic::syntax(span, "`=` assigns; a condition compares with `==`")
                            .hint("write `a == b`"),
                    );
                }
            }
            Token::Newline if expects("{block") => {
                let (hs, _, _) = self.lexed.tokens[self.statement_start(idx)];
                let header = self.src.get(hs..s).unwrap_or("if c").trim();
                return Some(
                    Diagnostic::syntax(span, "expected `{` to open the block")
                        .hint(format!("rlq blocks use braces: `{header} {{ ... }}`")),
                );
            }
            Token::Comma if expects(":") && inside.is_some_and(|o| o.kind == Bracket::Record) => {
                return Some(
                    Diagnostic::syntax(span, "expected `:` after a record key")
                        .hint("records are `{key: value}`; rlq has no sets: use a list `[a, b]` (and `unique` to drop repeats)"),
                );
            }
            Token::StarStar | Token::Star
                if expects("name")
                    && matches!(
                        prev,
                        Some(Token::Comma | Token::LParen | Token::LBracket | Token::RecordOpen)
                    ) =>
            {
                let hint = if tok == Token::StarStar {
                    "rlq has no `**` unpacking; combine records with `merge(a, b)`"
                } else {
                    "rlq has no `*` unpacking; join lists with `+`"
                };
                return Some(
                    Diagnostic::syntax(span, format!("unexpected `{}`", tok.spelling())).hint(hint),
                );
            }
            Token::Colon
                if inside.is_some_and(|o| o.kind == Bracket::Paren)
                    && self.lexed.tokens[self.statement_start(idx)].1 == Token::Def =>
            {
                return Some(
                    Diagnostic::syntax(span, "rlq has no type annotations")
                        .hint("write the parameters as plain names: `def f(a, b=1) {`"),
                );
            }
            Token::Else if self.statement_start(idx) == idx => {
                return Some(
                    Diagnostic::syntax(span, "`else` without an `if` block before it").hint(
                        "`else` follows the `}` of an `if` block: `if c { ... } else { ... }`",
                    ),
                );
            }
            _ => {}
        }

        if human_list(expected).items == ["`else`"] {
            return Some(
                Diagnostic::syntax(
                    span,
                    format!("unexpected {}; expected `else`", tok.describe()),
                )
                .hint("a conditional expression needs both branches: `a if c else b`"),
            );
        }

        // Python 2's `print x`.
        if idx >= 1
            && self.lexed.tokens[idx - 1].1 == Token::Ident("print")
            && self.statement_start(idx) == idx - 1
        {
            let rest_end = self.lexed.tokens[idx..]
                .iter()
                .take_while(|t| !matches!(t.1, Token::Newline | Token::Semi))
                .last()
                .map_or(end, |t| t.2);
            let args = self.src.get(s..rest_end).unwrap_or("...");
            return Some(
                Diagnostic::syntax(span, "`print` is a function")
                    .hint(format!("write `print({})`", args.trim())),
            );
        }
        None
    }

    fn generic(
        &self,
        idx: usize,
        s: usize,
        tok: Token<'_>,
        end: usize,
        expected: &[String],
    ) -> Diagnostic {
        let span = self.span(s, end);
        let list = human_list(expected);
        let prev = idx.checked_sub(1).map(|i| self.lexed.tokens[i]);
        if list.ends_statement {
            return Diagnostic::syntax(
                span,
                format!(
                    "unexpected {}; the statement should end before it",
                    tok.describe()
                ),
            )
            .hint("end the statement with a newline or `;`, or add the missing operator or `,`");
        }
        let mut d = Diagnostic::syntax(
            span,
            format!("unexpected {}; expected {}", tok.describe(), list.phrase()),
        );
        if list.items.iter().any(|i| i == "`,`") && starts_operand(tok) {
            d = d.hint("is a `,` missing before it?");
        }
        if let Some((ps, p, pe)) = prev {
            if p.continues_line() && self.line(ps) < self.line(s) {
                d = d.hint(format!(
                    "`{}` at the end of line {} continues the statement on the next line; finish it there",
                    self.src.get(ps..pe).unwrap_or(""),
                    self.line(ps)
                ));
            }
        }
        d
    }
}

/// Expected tokens as a reader would write them.
struct HumanList {
    items: Vec<String>,
    ends_statement: bool,
}

impl HumanList {
    fn phrase(&self) -> String {
        match self.items.as_slice() {
            [] => "an operator".to_string(),
            [one] => one.clone(),
            [init @ .., last] if init.len() < 5 => format!("one of {}, {last}", init.join(", ")),
            items => format!("one of {}, ...", items[..5].join(", ")),
        }
    }
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

const EXPR_START: &[&str] = &[
    "name", "int", "float", "string", "regex", "fstring", "true", "false", "null", "(", "[",
    "{record", "-", "+", "not",
];

const OPERATORS: &[&str] = &[
    ".", "(", "[", "**", "*", "/", "//", "%", "+", "-", "|", "==", "!=", "<", "<=", ">", ">=",
    "in", "not", "is", "and", "or", "??", "?", "if", "=>", "for",
];

fn human_list(expected: &[String]) -> HumanList {
    let names: Vec<&str> = expected.iter().map(|s| unquote(s)).collect();
    let has = |n: &str| names.contains(&n);
    let expression = ["name", "int", "string", "("].iter().all(|n| has(n));
    let ends_statement = has("newline") && !expression;
    let mut items: Vec<String> = Vec::new();
    if has("let") {
        items.push("a statement".into());
        if has("}") {
            items.push("`}`".into());
        }
        return HumanList {
            items,
            ends_statement: false,
        };
    }
    if expression {
        items.push("an expression".into());
    }
    for n in &names {
        if (expression && EXPR_START.contains(n))
            || OPERATORS.contains(n)
            || (*n == "=" && has(")"))
        {
            continue;
        }
        let shown = match *n {
            "newline" => "a new line".to_string(),
            "name" => "a name".to_string(),
            "int" | "float" => "a number".to_string(),
            "string" | "fstring" => "a string".to_string(),
            "{block" | "{record" => "`{`".to_string(),
            "error" => continue,
            other => format!("`{other}`"),
        };
        if !items.contains(&shown) {
            items.push(shown);
        }
    }
    HumanList {
        items,
        ends_statement,
    }
}

/// Tokens that begin a value: a name, a literal or an opening bracket.
fn starts_operand(t: Token<'_>) -> bool {
    matches!(
        t,
        Token::Ident(_)
            | Token::Int(_)
            | Token::Float(_)
            | Token::Str(_)
            | Token::Regex(_)
            | Token::FStr(_)
            | Token::True
            | Token::False
            | Token::Null
            | Token::LParen
            | Token::LBracket
            | Token::RecordOpen
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| format!("\"{s}\"")).collect()
    }

    #[test]
    fn expected_tokens_read_as_written() {
        let l = human_list(&names(&[")", ",", "+", "==", ".", "if"]));
        assert_eq!(l.phrase(), "one of `)`, `,`");
        let l = human_list(&names(&["name", "int", "string", "(", "[", "not", "-"]));
        assert_eq!(l.phrase(), "an expression");
        let l = human_list(&names(&["+", "|"]));
        assert_eq!(l.phrase(), "an operator");
        let l = human_list(&names(&["newline", ";", "+"]));
        assert!(l.ends_statement);
        let l = human_list(&names(&["let", "def", "name", "}"]));
        assert_eq!(l.phrase(), "one of a statement, `}`");
    }
}
