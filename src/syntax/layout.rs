//! The adapter between logos and lalrpop: decides which line breaks end a
//! statement and what each `{` opens.
//!
//! Newline rules: a line break ends a statement except inside `()`, `[]`
//! and record braces, after a token that cannot end a statement (a binary
//! operator, `=>`, `,`, `=`, ...), before a line whose first token is `|`
//! (one pipeline stage per line) or another token that cannot start one
//! (`.`, `and`, `??`, `==`, `*`, ...), and before `else`/`elif` on the
//! line after a block's `}`. Runs of line breaks collapse into one, and none is
//! emitted at the start of a block or after `;`.
//!
//! Braces: a `{` right after a token that ends an expression (a name, a
//! literal, `)`, `]`, `}`) or after the `else` of `} else` opens a block
//! ([`Token::BlockOpen`], as in `if x {`, `def f(a) {`, `} else {`);
//! anywhere else (after `=`, `(`, `,`, `:`, `=>`, an operator, `return`,
//! at the start of a statement) it opens a record ([`Token::RecordOpen`]).
//! Inside block braces line breaks are significant, inside record braces
//! they are not. The grammar thus sees two different tokens and has no
//! conflict between blocks and records.
//!
//! Lexing errors are reported here and leave a [`Token::Error`] behind,
//! which the parser skips without a second message.

use logos::Logos;

use super::span::{FileId, Span};
use super::token::{LexError, Token};
use crate::diag::Diagnostic;

/// The deepest bracket nesting accepted.
const MAX_DEPTH: usize = 100;

/// The most lexing errors reported one by one.
const MAX_LEX_ERRORS: usize = 100;

/// The most operators and brackets one statement may have.
const MAX_WEIGHT: usize = 3000;

/// How much `tok` can deepen the expression tree: one level per operator
/// and bracket, two for `++`/`--` (read as two unary signs).
fn nesting(tok: Token<'_>) -> usize {
    match tok {
        Token::PlusPlus | Token::MinusMinus => 2,
        Token::Comma => 0,
        Token::LParen | Token::LBracket | Token::LBrace | Token::Bang | Token::If => 1,
        t => usize::from(t.continues_line()),
    }
}

/// A token with its start and end byte offsets in the file, as lalrpop
/// wants it.
pub type Spanned<'src> = (usize, Token<'src>, usize);

/// The kinds of bracket the layout adapter keeps track of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bracket {
    /// `(`.
    Paren,
    /// `[`.
    Square,
    /// `{` of a record.
    Record,
    /// `{` of a block.
    Block,
}

impl Bracket {
    /// The opening spelling.
    pub fn open(self) -> &'static str {
        match self {
            Bracket::Paren => "(",
            Bracket::Square => "[",
            Bracket::Record | Bracket::Block => "{",
        }
    }

    /// The closing spelling.
    pub fn close(self) -> &'static str {
        match self {
            Bracket::Paren => ")",
            Bracket::Square => "]",
            Bracket::Record | Bracket::Block => "}",
        }
    }
}

/// An opening bracket: its kind and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opener {
    /// What it opens.
    pub kind: Bracket,
    /// The bracket itself.
    pub span: Span,
}

/// Whether line breaks can end statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A whole program: line breaks follow the newline rules.
    #[default]
    Program,
    /// One expression (inside an f-string): line breaks never count.
    Expression,
}

/// The token stream of one piece of source, ready for the parser.
#[derive(Debug, Default)]
pub struct Lexed<'src> {
    /// The tokens, with [`Token::Newline`] only where a statement ends.
    pub tokens: Vec<Spanned<'src>>,
    /// For each token, the innermost bracket open at it (for a closing
    /// bracket, the one it closes or should close).
    pub inside: Vec<Option<Opener>>,
    /// Brackets still open at the end, outermost first.
    pub unclosed: Vec<Opener>,
    /// Matched block braces: the `{` and its `}`.
    pub blocks: Vec<(Span, Span)>,
    /// Lexing and bracket errors, already reported.
    pub diags: Vec<Diagnostic>,
    /// True when lexing stopped early at an expression too deep to parse.
    pub truncated: bool,
    /// Offsets of the line breaks at which an unclosed bracket was closed
    /// (and reported); a parse error there is not reported again.
    pub autoclosed: Vec<usize>,
    /// What was lexed: a program or one expression.
    pub mode: Mode,
}

/// Lexes `src[start..end]` of file `file` and applies the layout rules.
/// Offsets in the result are offsets in `src`.
pub fn lex(src: &str, file: FileId, start: usize, end: usize, mode: Mode) -> Lexed<'_> {
    let raw = raw_tokens(src, file, start, end);
    let mut out = Lexed {
        diags: raw.1,
        mode,
        ..Lexed::default()
    };
    let mut stack: Vec<Opener> = Vec::new();
    let mut pending_newline: Option<(usize, usize)> = None;
    // Whether the last token pushed is a `}` that closed a block.
    let mut after_block_close = false;
    // Whether the last token pushed is an `else` that follows a block's `}`.
    let mut else_after_block = false;
    // Whether an unclosed bracket was just closed at a line break.
    let mut force_newline = false;
    // The first token of the current statement: a `{` on the line after
    // an `if`, `for`, `while` or `def` header still opens its block.
    let mut statement_head: Option<Token<'_>> = None;

    let raw = raw.0;
    // Operators and brackets in the current statement: a bound on how deep
    // the expression tree can get, so that no input can exhaust the stack.
    let mut weight = 0usize;
    for (i, &(s, tok, e)) in raw.iter().enumerate() {
        if stack.len() > MAX_DEPTH || weight > MAX_WEIGHT {
            let msg = if stack.len() > MAX_DEPTH {
                format!("brackets nested more than {MAX_DEPTH} deep")
            } else {
                format!("a statement with more than {MAX_WEIGHT} operators")
            };
            out.diags.push(
                Diagnostic::syntax(Span::new(file, s, e), msg)
                    .hint("split it into several statements with intermediate variables"),
            );
            out.truncated = true;
            break;
        }
        let at_statement_level = stack.last().is_none_or(|o| o.kind == Bracket::Block);
        if matches!(tok, Token::Semi | Token::Newline) && at_statement_level {
            weight = 0;
        } else {
            weight += nesting(tok);
        }
        if tok == Token::Newline {
            if mode == Mode::Program
                && !stack.is_empty()
                && close_before_statement(src, s, &raw[i + 1..], &mut stack, &mut out)
            {
                force_newline = true;
            }
            let counts =
                mode == Mode::Program && stack.last().is_none_or(|o| o.kind == Bracket::Block);
            if counts && pending_newline.is_none() {
                pending_newline = Some((s, e));
            }
            continue;
        }
        if let Some((ns, ne)) = pending_newline.take() {
            let ends = match out.tokens.last() {
                None => false,
                Some((_, p, _)) => {
                    !matches!(p, Token::Newline | Token::Semi | Token::BlockOpen)
                        && !p.continues_line()
                }
            };
            let allman = tok == Token::LBrace
                && matches!(
                    statement_head,
                    Some(
                        Token::If
                            | Token::Elif
                            | Token::Else
                            | Token::For
                            | Token::While
                            | Token::Def
                    )
                );
            let joins = tok.only_continues()
                || allman
                || (after_block_close && matches!(tok, Token::Else | Token::Elif));
            if (ends && !joins) || std::mem::take(&mut force_newline) {
                push(&mut out, &stack, (ns, Token::Newline, ne));
                after_block_close = false;
                else_after_block = false;
            }
        }
        if out
            .tokens
            .last()
            .is_none_or(|t| matches!(t.1, Token::Newline | Token::Semi | Token::BlockOpen))
        {
            statement_head = Some(tok);
        }
        let span = Span::new(file, s, e);
        let mut tok = tok;
        let mut closed_block = false;
        match tok {
            Token::LParen | Token::LBracket | Token::LBrace => {
                let kind = match tok {
                    Token::LParen => Bracket::Paren,
                    Token::LBracket => Bracket::Square,
                    _ => {
                        let block = match out.tokens.last() {
                            Some((_, Token::Else, _)) => else_after_block,
                            Some((_, p, _)) => p.ends_expression(),
                            None => false,
                        };
                        if block {
                            tok = Token::BlockOpen;
                            Bracket::Block
                        } else {
                            tok = Token::RecordOpen;
                            Bracket::Record
                        }
                    }
                };
                push(&mut out, &stack, (s, tok, e));
                stack.push(Opener { kind, span });
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                let want: &[Bracket] = match tok {
                    Token::RParen => &[Bracket::Paren],
                    Token::RBracket => &[Bracket::Square],
                    _ => &[Bracket::Record, Bracket::Block],
                };
                let at = match stack.iter().rposition(|o| want.contains(&o.kind)) {
                    Some(at) => Some(at),
                    // Nothing of this kind is open: take it as the closer of
                    // the innermost `(` or `[`, and say so.
                    None => match stack.last() {
                        Some(top) if top.kind != Bracket::Block => {
                            out.diags.push(mismatch(src, span, tok, *top));
                            tok = match top.kind {
                                Bracket::Paren => Token::RParen,
                                Bracket::Square => Token::RBracket,
                                _ => Token::RBrace,
                            };
                            Some(stack.len() - 1)
                        }
                        _ => None,
                    },
                };
                push(&mut out, &stack, (s, tok, e));
                if let Some(at) = at {
                    let opener = stack[at];
                    stack.truncate(at);
                    if opener.kind == Bracket::Block {
                        closed_block = true;
                        out.blocks.push((opener.span, span));
                    }
                }
            }
            _ => push(&mut out, &stack, (s, tok, e)),
        }
        else_after_block = tok == Token::Else && after_block_close;
        after_block_close = closed_block;
    }
    out.unclosed.extend(stack);
    out
}

/// At a line break inside `(`, `[` or a record: if the next line starts
/// with a word that only starts statements (`let`, `def`, `while`,
/// `return`, ...), or after a complete value with a name, `if` or `for`
/// indented no deeper than the line of the bracket, the bracket was never
/// closed. Reports it, and closes it
/// (and any bracket inside it) so the next line parses as a statement.
fn close_before_statement(
    src: &str,
    newline: usize,
    rest: &[Spanned<'_>],
    stack: &mut Vec<Opener>,
    out: &mut Lexed<'_>,
) -> bool {
    let Some(open_at) = stack
        .iter()
        .rposition(|o| o.kind == Bracket::Block)
        .map_or(Some(0), |b| (b + 1 < stack.len()).then_some(b + 1))
    else {
        return false;
    };
    let mut next = rest.iter().filter(|t| t.1 != Token::Newline);
    let Some(&(ns, first, _)) = next.next() else {
        return false;
    };
    if matches!(first, Token::RParen | Token::RBracket | Token::RBrace) {
        return false;
    }
    let prev_ends = out.tokens.last().is_some_and(|t| t.1.ends_expression());
    let statement_word = matches!(
        first,
        Token::Let
            | Token::Def
            | Token::While
            | Token::Return
            | Token::Break
            | Token::Continue
            | Token::Elif
    );
    let outer = stack[open_at];
    let dedented_statement = matches!(first, Token::Ident(_) | Token::If | Token::For)
        && prev_ends
        && indent(src, ns) <= indent(src, outer.span.start as usize);
    if !(statement_word || dedented_statement) {
        return false;
    }
    let opener = stack[stack.len() - 1];
    out.diags.push(
        Diagnostic::syntax(
            opener.span,
            format!("unclosed `{}` opened here", opener.kind.open()),
        )
        .hint(format!(
            "it is still open when line {} starts a new statement: add the missing `{}`",
            line(src, ns),
            opener.kind.close()
        )),
    );
    out.autoclosed.push(newline);
    stack.truncate(open_at);
    true
}

/// The 1-based line of byte `at`.
fn line(src: &str, at: usize) -> usize {
    src[..at.min(src.len())].matches('\n').count() + 1
}

/// The indentation (in characters) of the line holding byte `at`.
fn indent(src: &str, at: usize) -> usize {
    let start = src[..at.min(src.len())].rfind('\n').map_or(0, |n| n + 1);
    src[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .count()
}

fn mismatch(src: &str, span: Span, tok: Token<'_>, open: Opener) -> Diagnostic {
    Diagnostic::syntax(
        span,
        format!(
            "`{}` does not close the `{}` opened at line {}",
            tok.spelling(),
            open.kind.open(),
            line(src, open.span.start as usize)
        ),
    )
    .hint(format!("close it with `{}`", open.kind.close()))
}

fn push<'src>(out: &mut Lexed<'src>, stack: &[Opener], t: Spanned<'src>) {
    out.tokens.push(t);
    out.inside.push(stack.last().copied());
}

/// Runs logos over the range, turning lexing errors into diagnostics and
/// [`Token::Error`].
fn raw_tokens(
    src: &str,
    file: FileId,
    start: usize,
    end: usize,
) -> (Vec<Spanned<'_>>, Vec<Diagnostic>) {
    let text = &src[start..end];
    let mut tokens = Vec::new();
    let mut diags = Vec::new();
    let mut dropped = 0usize;
    for (res, range) in Token::lexer(text).spanned() {
        let (s, e) = (start + range.start, start + range.end);
        let span = Span::new(file, s, e);
        if diags.len() >= MAX_LEX_ERRORS
            && (res.is_err() || matches!(res, Ok(Token::UnterminatedStr(_))))
        {
            // Past the cap errors are only counted: a script of a million
            // stray characters must not cost a million messages.
            dropped += 1;
            let e = match res {
                Err(LexError::Unexpected) => s + src[s..].chars().next().map_or(0, char::len_utf8),
                _ => e,
            };
            tokens.push((s, Token::Error, e));
            continue;
        }
        match res {
            Ok(Token::UnterminatedStr(text)) => {
                diags.push(unterminated(span, text));
                tokens.push((s, Token::Error, e));
            }
            Ok(tok) => tokens.push((s, tok, e)),
            Err(LexError::UnterminatedTriple) => {
                let slice = &src[s..e];
                let quotes = if slice.contains("\"\"\"") {
                    "\"\"\""
                } else {
                    "'''"
                };
                let open = slice.find(quotes).map_or(0, |i| i + 3);
                diags.push(
                    Diagnostic::syntax(
                        Span::new(file, s, s + open),
                        format!("unterminated {quotes} string"),
                    )
                    .hint(format!("close the string with {quotes}")),
                );
                tokens.push((s, Token::Error, e));
            }
            Err(LexError::Unexpected) => {
                let ch = src[s..].chars().next().unwrap_or('?');
                let span = Span::new(file, s, s + ch.len_utf8());
                diags.push(unexpected_char(span, ch));
                tokens.push((s, Token::Error, s + ch.len_utf8()));
            }
        }
    }
    if dropped > 0 {
        let at = tokens
            .iter()
            .rev()
            .find(|t| t.1 == Token::Error)
            .map_or(start, |t| t.0);
        diags.push(Diagnostic::syntax(
            Span::new(file, at, at),
            format!("{dropped} more characters or strings rlq cannot read (not listed)"),
        ));
    }
    (tokens, diags)
}

fn unterminated(span: Span, text: &str) -> Diagnostic {
    let body = text.trim_start_matches(['r', 'e', 'f']);
    let quote = &body[..1];
    let other = if quote == "\"" { "'" } else { "\"" };
    Diagnostic::syntax(span, "unterminated string: no closing quote on this line").hint(format!(
        "end it with {quote} on the same line; for text over several lines use {q3}...{q3}; \
         a {quote} inside the text is written \\{quote} (or delimit with {other})",
        q3 = quote.repeat(3)
    ))
}

fn unexpected_char(span: Span, ch: char) -> Diagnostic {
    let d = Diagnostic::syntax(span, format!("unexpected character `{ch}`"));
    match ch {
        '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}' => {
            d.hint("use plain quotes: \"...\" or '...'")
        }
        '`' => d.hint("strings use \"...\" or '...'; f\"...{x}...\" interpolates"),
        '&' => d.hint("write `and` for a logical and"),
        '$' => d.hint("f-strings interpolate with f\"{x}\""),
        '@' => d.hint("rlq has no decorators or `@` operator"),
        '~' | '^' => d.hint("rlq has no bitwise operators"),
        c if c.is_alphabetic() => d.hint("names use ASCII letters, digits and `_`"),
        _ => d.hint("remove it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> String {
        lex(src, 0, 0, src.len(), Mode::Program)
            .tokens
            .iter()
            .map(|(_, t, _)| match t {
                Token::Newline => "NL".to_string(),
                Token::BlockOpen => "{blk".to_string(),
                Token::RecordOpen => "{rec".to_string(),
                Token::Ident(s) | Token::Int(s) => s.to_string(),
                t => t.spelling().to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn newline_ends_statements_but_not_inside_brackets() {
        assert_eq!(
            kinds("a = f(1,\n 2)\nb = 3\n\n\nc"),
            "a = f ( 1 , 2 ) NL b = 3 NL c"
        );
        assert_eq!(kinds("\n\na\n"), "a");
        assert_eq!(kinds("x = [\n1,\n2,\n]"), "x = [ 1 , 2 , ]");
    }

    #[test]
    fn trailing_operator_continues() {
        assert_eq!(
            kinds("a = 1 +\n 2\nb = c and\nd"),
            "a = 1 + 2 NL b = c and d"
        );
        assert_eq!(kinds("f = x =>\n x"), "f = x => x");
    }

    #[test]
    fn leading_pipe_continues() {
        assert_eq!(kinds("a = xs\n  | f\n\n  | g\nb"), "a = xs | f | g NL b");
    }

    #[test]
    fn braces_block_or_record() {
        assert_eq!(kinds("if x {\n a = {}\n}"), "if x {blk a = {rec } NL }");
        assert_eq!(
            kinds("def f(a) { return {k: 1} }"),
            "def f ( a ) {blk return {rec k : 1 } }"
        );
        assert_eq!(kinds("y = a if c else {}"), "y = a if c else {rec }");
        assert_eq!(kinds("m => {u: 1}"), "m => {rec u : 1 }");
    }

    #[test]
    fn else_on_next_line() {
        assert_eq!(
            kinds("if a {\n x\n}\nelse {\n y\n}\nz"),
            "if a {blk x NL } else {blk y NL } NL z"
        );
        assert_eq!(
            kinds("if a { x }\n\nelif b { y }"),
            "if a {blk x } elif b {blk y }"
        );
    }

    #[test]
    fn newlines_in_record_braces_do_not_count() {
        assert_eq!(
            kinds("r = {\n a: 1,\n b: 2\n}\nx"),
            "r = {rec a : 1 , b : 2 } NL x"
        );
    }

    #[test]
    fn unclosed_brackets_are_listed() {
        let l = lex("if a {\n f(", 0, 0, 10, Mode::Program);
        let kinds: Vec<_> = l.unclosed.iter().map(|o| o.kind).collect();
        assert_eq!(kinds, vec![Bracket::Block, Bracket::Paren]);
    }

    #[test]
    fn lex_errors_become_error_tokens() {
        let l = lex("x = \"abc\ny = $", 0, 0, 14, Mode::Program);
        assert_eq!(l.diags.len(), 2);
        assert!(l.tokens.iter().filter(|t| t.1 == Token::Error).count() == 2);
    }
}
