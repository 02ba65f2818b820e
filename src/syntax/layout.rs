//! The adapter between logos and lalrpop: decides which line breaks end a
//! statement and what each `{` opens.
//!
//! Newline rules: a line break ends a statement except inside `()`, `[]`
//! and record braces, after a token that cannot end a statement (a binary
//! operator, `=>`, `,`, `=`, ...), before a line whose first token is `|`
//! (one pipeline stage per line), and before `else`/`elif` on the line
//! after a block's `}`. Runs of line breaks collapse into one, and none is
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A whole program: line breaks follow the newline rules.
    Program,
    /// One expression (inside an f-string): line breaks never count.
    Expression,
}

/// The token stream of one piece of source, ready for the parser.
#[derive(Debug, Default)]
pub struct Lexed<'src> {
    /// The tokens, with [`Token::Newline`] only where a statement ends.
    pub tokens: Vec<Spanned<'src>>,
    /// For each token, the innermost bracket open at it (before it, for
    /// an opener; including it, for nothing).
    pub inside: Vec<Option<Opener>>,
    /// Brackets never closed, outermost first.
    pub unclosed: Vec<Opener>,
    /// Matched block braces: (index of `{`, index of `}`) in `tokens`.
    pub blocks: Vec<(usize, usize)>,
    /// Lexing errors, already reported.
    pub diags: Vec<Diagnostic>,
}

/// Lexes `src[start..end]` of file `file` and applies the layout rules.
/// Offsets in the result are offsets in `src`.
pub fn lex(src: &str, file: FileId, start: usize, end: usize, mode: Mode) -> Lexed<'_> {
    let raw = raw_tokens(src, file, start, end);
    let mut out = Lexed {
        diags: raw.1,
        ..Lexed::default()
    };
    let mut stack: Vec<(Opener, usize)> = Vec::new();
    let mut pending_newline: Option<(usize, usize)> = None;
    // Whether the last token pushed is a `}` that closed a block.
    let mut after_block_close = false;
    // Whether the last token pushed is an `else` that follows a block's `}`.
    let mut else_after_block = false;

    for (s, tok, e) in raw.0 {
        if tok == Token::Newline {
            let counts = mode == Mode::Program
                && stack.last().is_none_or(|(o, _)| o.kind == Bracket::Block);
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
            let joins = tok == Token::Pipe
                || (after_block_close && matches!(tok, Token::Else | Token::Elif));
            if ends && !joins {
                push(&mut out, &stack, (ns, Token::Newline, ne));
                after_block_close = false;
                else_after_block = false;
            }
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
                stack.push((Opener { kind, span }, out.tokens.len() - 1));
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                let want: &[Bracket] = match tok {
                    Token::RParen => &[Bracket::Paren],
                    Token::RBracket => &[Bracket::Square],
                    _ => &[Bracket::Record, Bracket::Block],
                };
                if let Some(at) = stack.iter().rposition(|(o, _)| want.contains(&o.kind)) {
                    let inner_unclosed: Vec<Opener> = stack[at + 1..].iter().map(|p| p.0).collect();
                    let (opener, index) = stack[at];
                    stack.truncate(at);
                    if opener.kind == Bracket::Block {
                        closed_block = true;
                        out.blocks.push((index, out.tokens.len()));
                    }
                    out.unclosed.extend(inner_unclosed);
                }
                push(&mut out, &stack, (s, tok, e));
            }
            _ => push(&mut out, &stack, (s, tok, e)),
        }
        else_after_block = tok == Token::Else && after_block_close;
        after_block_close = closed_block;
    }
    out.unclosed.extend(stack.into_iter().map(|(o, _)| o));
    out
}

fn push<'src>(out: &mut Lexed<'src>, stack: &[(Opener, usize)], t: Spanned<'src>) {
    out.tokens.push(t);
    out.inside.push(stack.last().map(|(o, _)| *o));
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
    let mut lexer = Token::lexer(text).spanned();
    while let Some((res, range)) = lexer.next() {
        let (s, e) = (start + range.start, start + range.end);
        let span = Span::new(file, s, e);
        match res {
            Ok(Token::UnterminatedStr(text)) => {
                diags.push(unterminated(span, text));
                tokens.push((s, Token::Error, e));
            }
            Ok(tok) => tokens.push((s, tok, e)),
            Err(LexError::UnterminatedTriple) => {
                let slice = &src[s..e];
                let quotes = if slice.contains("\"\"\"") { "\"\"\"" } else { "'''" };
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
        '?' => d.hint("the conditional is `a if c else b`; `x ?? d` gives d when x is null or an error"),
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
        assert_eq!(kinds("a = f(1,\n 2)\nb = 3\n\n\nc"), "a = f ( 1 , 2 ) NL b = 3 NL c");
        assert_eq!(kinds("\n\na\n"), "a");
        assert_eq!(kinds("x = [\n1,\n2,\n]"), "x = [ 1 , 2 , ]");
    }

    #[test]
    fn trailing_operator_continues() {
        assert_eq!(kinds("a = 1 +\n 2\nb = c and\nd"), "a = 1 + 2 NL b = c and d");
        assert_eq!(kinds("f = x =>\n x"), "f = x => x");
    }

    #[test]
    fn leading_pipe_continues() {
        assert_eq!(kinds("a = xs\n  | f\n\n  | g\nb"), "a = xs | f | g NL b");
    }

    #[test]
    fn braces_block_or_record() {
        assert_eq!(kinds("if x {\n a = {}\n}"), "if x {blk a = {rec } NL }");
        assert_eq!(kinds("def f(a) { return {k: 1} }"), "def f ( a ) {blk return {rec k : 1 } }");
        assert_eq!(kinds("y = a if c else {}"), "y = a if c else {rec }");
        assert_eq!(kinds("m => {u: 1}"), "m => {rec u : 1 }");
    }

    #[test]
    fn else_on_next_line() {
        assert_eq!(
            kinds("if a {\n x\n}\nelse {\n y\n}\nz"),
            "if a {blk x NL } else {blk y NL } NL z"
        );
        assert_eq!(kinds("if a { x }\n\nelif b { y }"), "if a {blk x } elif b {blk y }");
    }

    #[test]
    fn newlines_in_record_braces_do_not_count() {
        assert_eq!(kinds("r = {\n a: 1,\n b: 2\n}\nx"), "r = {rec a : 1 , b : 2 } NL x");
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
