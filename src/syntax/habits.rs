//! Habits from Python and JavaScript, caught before parsing.
//!
//! Models write rlq with Python's (and sometimes JavaScript's) reflexes.
//! Each habit here gets one precise diagnostic whose hint is the rlq
//! spelling, and the token stream is then repaired as far as that is safe,
//! so the parser goes on to report the program's other mistakes instead of
//! a cascade of confusion:
//!
//! - `&&` `||` `!x` `===` `!==` become `and` `or` `not x` `==` `!=`;
//! - `x++` / `x--` become `x += 1` / `x -= 1`;
//! - `lambda a, b: e` becomes `(a, b) => e`;
//! - `var`/`const` become `let`, `function f(` becomes `def f(`;
//! - `await e` loses its `await`;
//! - a statement starting with `import`, `from`, `class`, `with`, `try`,
//!   `except`, `finally`, `raise`, `yield`, `async`, `global`, `nonlocal`,
//!   `del` or `pass` is reported and skipped;
//! - `if c:` / `for x in xs:` / `while c:` / `def f(x):` / `elif c:` /
//!   `else:` followed by an indented block becomes the brace form, the
//!   block ending at the first line indented no deeper than the header.

use std::collections::HashSet;

use super::layout::{Lexed, Opener, Spanned};
use super::span::{FileId, Span};
use super::token::Token;
use crate::diag::Diagnostic;

type Item<'src> = (Spanned<'src>, Option<Opener>);

/// Reports and repairs the habits above in `lexed`.
pub fn rewrite(src: &str, file: FileId, lexed: &mut Lexed<'_>) {
    let items: Vec<Item<'_>> = std::mem::take(&mut lexed.tokens)
        .into_iter()
        .zip(std::mem::take(&mut lexed.inside))
        .collect();
    let mut h = Habits {
        src,
        file,
        diags: Vec::new(),
    };
    let items = h.lambdas(items);
    let items = h.words_and_operators(items);
    let items = h.colon_blocks(items);
    lexed.diags.append(&mut h.diags);
    (lexed.tokens, lexed.inside) = items.into_iter().unzip();
}

struct Habits<'a> {
    src: &'a str,
    file: FileId,
    diags: Vec<Diagnostic>,
}

/// Statement-leading words of other languages, with message and hint.
const STATEMENT_WORDS: &[(&str, &str, &str)] = &[
    (
        "import",
        "rlq has no imports",
        "grep, count, partition, llm ... are built in; a regex is a literal: re\"...\"",
    ),
    (
        "from",
        "rlq has no imports",
        "grep, count, partition, llm ... are built in; a regex is a literal: re\"...\"",
    ),
    (
        "class",
        "rlq has no classes",
        "keep data in records `{name: value}` and write functions with `def`",
    ),
    (
        "with",
        "rlq has no `with`",
        "nothing needs opening: the input is already `context` (and `docs`)",
    ),
    (
        "try",
        "rlq has no `try`/`except`",
        "a failed sub-call is an error value in its place: test it with `is_error(x)` or replace it with `x ?? default`",
    ),
    (
        "except",
        "rlq has no `try`/`except`",
        "a failed sub-call is an error value in its place: test it with `is_error(x)` or replace it with `x ?? default`",
    ),
    (
        "finally",
        "rlq has no `try`/`finally`",
        "write the cleanup as ordinary statements",
    ),
    (
        "raise",
        "rlq has no `raise`",
        "stop the program with `final(...)`, or return a value that says what went wrong",
    ),
    (
        "yield",
        "rlq has no generators (`yield`)",
        "build a list and return it: `out.append(x)` in the loop, then `return out`",
    ),
    (
        "async",
        "rlq has no `async`",
        "calls return their value directly; `map` already runs sub-calls in parallel",
    ),
    (
        "global",
        "a def cannot assign outer variables",
        "return the value instead: `x = f(x)`",
    ),
    (
        "nonlocal",
        "a def cannot assign outer variables",
        "return the value instead: `x = f(x)`",
    ),
    (
        "del",
        "rlq has no `del`",
        "build the value without the item: `{k: v for k, v in items(r) if k != key}`, or `xs[:i] + xs[i + 1:]`",
    ),
    (
        "pass",
        "rlq has no `pass`",
        "just omit it; an empty block is `{}`",
    ),
];

impl<'a> Habits<'a> {
    fn report(&mut self, s: usize, e: usize, msg: impl Into<String>, hint: impl Into<String>) {
        self.diags
            .push(Diagnostic::syntax(Span::new(self.file, s, e), msg).hint(hint));
    }

    fn text(&self, s: usize, e: usize) -> &'a str {
        self.src.get(s..e).unwrap_or("")
    }

    /// Operators and words of other languages.
    fn words_and_operators<'src>(&mut self, items: Vec<Item<'src>>) -> Vec<Item<'src>> {
        let mut out: Vec<Item<'src>> = Vec::with_capacity(items.len());
        let mut reported_try = false;
        let mut i = 0;
        while i < items.len() {
            let ((s, tok, e), inside) = items[i];
            let prev = out.last().map(|it| it.0 .1);
            let next = items.get(i + 1).map(|it| it.0 .1);
            let at_start =
                prev.is_none_or(|p| matches!(p, Token::Newline | Token::Semi | Token::BlockOpen));
            let prev_text = out.last().map_or("x", |it| self.text(it.0 .0, it.0 .2));
            let mut put = |t: Token<'src>, s: usize, e: usize| out.push(((s, t, e), inside));
            match tok {
                Token::AmpAmp => {
                    self.report(s, e, "rlq writes `and`, not `&&`", "write `a and b`");
                    put(Token::And, s, e);
                }
                Token::BarBar => {
                    self.report(s, e, "rlq writes `or`, not `||`", "write `a or b`");
                    put(Token::Or, s, e);
                }
                Token::Bang => {
                    self.report(
                        s,
                        e,
                        "rlq writes `not x`, not `!x`",
                        "write `not x` (and `a != b` for not-equal)",
                    );
                    put(Token::Not, s, e);
                }
                Token::EqEqEq => {
                    self.report(s, e, "rlq has no `===`", "write `a == b`");
                    put(Token::EqEq, s, e);
                }
                Token::NotEqEq => {
                    self.report(s, e, "rlq has no `!==`", "write `a != b`");
                    put(Token::NotEq, s, e);
                }
                Token::PlusPlus | Token::MinusMinus => {
                    let (one, update, sign) = if tok == Token::PlusPlus {
                        (Token::Plus, Token::AddAssign, "+")
                    } else {
                        (Token::Minus, Token::SubAssign, "-")
                    };
                    let postfix = prev.is_some_and(|p| p.ends_expression())
                        && next.is_none_or(|n| {
                            matches!(
                                n,
                                Token::Newline
                                    | Token::Semi
                                    | Token::RParen
                                    | Token::RBracket
                                    | Token::RBrace
                            )
                        });
                    if postfix {
                        self.report(
                            s,
                            e,
                            format!("rlq has no `{sign}{sign}`"),
                            format!("write `{prev_text} {sign}= 1`"),
                        );
                        put(update, s, s + 1);
                        put(Token::Int("1"), s + 1, e);
                    } else {
                        put(one, s, s + 1);
                        put(one, s + 1, e);
                    }
                }
                Token::Ident(w @ ("var" | "const")) if matches!(next, Some(Token::Ident(_))) => {
                    self.report(
                        s,
                        e,
                        format!("rlq declares variables with `let`, not `{w}`"),
                        "write `let x = ...`",
                    );
                    put(Token::Let, s, e);
                }
                Token::Ident("function") if matches!(next, Some(Token::Ident(_))) => {
                    self.report(
                        s,
                        e,
                        "rlq defines functions with `def`",
                        "write `def f(a, b) { ... }`",
                    );
                    put(Token::Def, s, e);
                }
                Token::Ident("await") if next.is_some_and(starts_operand) => {
                    self.report(
                        s,
                        e,
                        "rlq has no `await`",
                        "drop `await`: calls return their value directly",
                    );
                }
                Token::Ident(w) if at_start && next.is_none_or(follows_statement_word) => {
                    match STATEMENT_WORDS.iter().find(|(k, _, _)| *k == w) {
                        Some((_, msg, hint)) => {
                            let continues_try = matches!(w, "except" | "finally") && reported_try;
                            if !continues_try {
                                self.report(s, e, *msg, *hint);
                            }
                            reported_try |= w == "try";
                            put(Token::Error, s, e);
                        }
                        None => put(tok, s, e),
                    }
                }
                Token::Ident("yield") if next.is_some_and(starts_operand) => {
                    let (_, msg, hint) = STATEMENT_WORDS
                        .iter()
                        .find(|(k, _, _)| *k == "yield")
                        .copied()
                        .unwrap_or_default();
                    self.report(s, e, msg, hint);
                    put(Token::Error, s, e);
                }
                _ => put(tok, s, e),
            }
            i += 1;
        }
        out
    }

    /// `lambda a, b: body` becomes `(a, b) => body` when its `:` can be
    /// found, and is skipped as an error otherwise.
    fn lambdas<'src>(&mut self, items: Vec<Item<'src>>) -> Vec<Item<'src>> {
        let mut opens = HashSet::new();
        let mut colons = HashSet::new();
        let mut failed = HashSet::new();
        for (i, it) in items.iter().enumerate() {
            let (s, tok, e) = it.0;
            if tok != Token::Ident("lambda") {
                continue;
            }
            let Some(k) = scan(&items, i + 1, |t| t == Token::Colon, false) else {
                self.report(
                    s,
                    e,
                    "rlq has no `lambda`",
                    "write `x => e` or `(a, b) => e`",
                );
                failed.insert(i);
                continue;
            };
            let params = if k > i + 1 {
                self.text(items[i + 1].0 .0, items[k - 1].0 .2)
            } else {
                ""
            };
            let body_end = scan(&items, k + 1, |t| t == Token::Comma, true).unwrap_or(items.len());
            let body = if body_end > k + 1 {
                self.text(items[k + 1].0 .0, items[body_end - 1].0 .2)
            } else {
                "..."
            };
            let single = k == i + 2 && matches!(items[i + 1].0 .1, Token::Ident(_));
            let params = if single {
                params.to_string()
            } else {
                format!("({params})")
            };
            self.report(
                s,
                items[k].0 .2,
                "rlq writes lambdas with `=>`, not `lambda`",
                format!("write `{params} => {}`", clip(body)),
            );
            opens.insert(i);
            colons.insert(k);
        }
        let mut out = Vec::with_capacity(items.len() + colons.len());
        for (i, ((s, tok, e), inside)) in items.into_iter().enumerate() {
            if opens.contains(&i) {
                out.push(((s, Token::LParen, e), inside));
            } else if failed.contains(&i) {
                out.push(((s, Token::Error, e), inside));
            } else if colons.contains(&i) {
                out.push(((s, Token::RParen, e), inside));
                out.push(((e, Token::Arrow, e), inside));
            } else {
                out.push(((s, tok, e), inside));
            }
        }
        out
    }
}

impl<'a> Habits<'a> {
    /// The indentation of the line holding byte `at`, with tab stops
    /// every 8 columns as in Python.
    fn indent(&self, at: usize) -> usize {
        let line_start = self.src[..at.min(self.src.len())]
            .rfind('\n')
            .map_or(0, |n| n + 1);
        let mut col = 0;
        for c in self.src[line_start..].chars() {
            match c {
                ' ' => col += 1,
                '\t' => col = (col / 8 + 1) * 8,
                _ => break,
            }
        }
        col
    }

    /// Python's `header:` and an indented block, turned into braces.
    fn colon_blocks<'src>(&mut self, items: Vec<Item<'src>>) -> Vec<Item<'src>> {
        let mut out: Vec<Item<'src>> = Vec::with_capacity(items.len());
        // For each open converted block, the indentation of its header.
        let mut open: Vec<usize> = Vec::new();
        // The header being read: where its keyword starts, its indentation.
        let mut header: Option<(usize, usize)> = None;
        let mut depth = 0usize;
        // `?`s of `c ? a : b` in the header, whose `:` is not a block's.
        let mut questions = 0usize;
        for ((s, tok, e), inside) in items {
            if !open.is_empty() && out.last().is_some_and(|it| it.0 .1 == Token::Newline) {
                let ind = self.indent(s);
                let mut closed = false;
                while open.last().is_some_and(|&h| h >= ind) {
                    open.pop();
                    let newline = out.pop().expect("the last item is a newline");
                    let at = newline.0 .0;
                    out.push(((at, Token::RBrace, at), None));
                    out.push(newline);
                    closed = true;
                }
                if closed && matches!(tok, Token::Else | Token::Elif) {
                    out.pop();
                }
            }
            let prev = out.last().map(|it| it.0 .1);
            let at_start =
                prev.is_none_or(|p| matches!(p, Token::Newline | Token::Semi | Token::BlockOpen));
            let after_block =
                prev == Some(Token::RBrace) && matches!(tok, Token::Else | Token::Elif);
            if matches!(
                tok,
                Token::If | Token::Elif | Token::Else | Token::For | Token::While | Token::Def
            ) && (at_start || after_block)
            {
                header = Some((s, self.indent(s)));
                depth = 0;
                questions = 0;
            }
            match tok {
                Token::LParen | Token::LBracket | Token::RecordOpen => depth += 1,
                Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
                Token::Newline | Token::Semi | Token::BlockOpen if depth == 0 => header = None,
                Token::Question if depth == 0 => questions += 1,
                Token::Colon if depth == 0 && questions > 0 => questions -= 1,
                Token::Colon if depth == 0 => {
                    if let Some((hs, ind)) = header.take() {
                        let head = self.text(hs, s);
                        let head = head.split("->").next().unwrap_or(head);
                        self.report(
                            s,
                            e,
                            "rlq blocks use braces, not `:` and indentation",
                            format!("write `{} {{ ... }}`", clip(head)),
                        );
                        out.push(((s, Token::BlockOpen, e), inside));
                        open.push(ind);
                        continue;
                    }
                }
                _ => {}
            }
            out.push(((s, tok, e), inside));
        }
        let end = out.last().map_or(0, |it| it.0 .2);
        for _ in open {
            out.push(((end, Token::RBrace, end), None));
        }
        out
    }
}

fn clip(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 40 {
        format!("{}...", one_line.chars().take(37).collect::<String>())
    } else {
        one_line
    }
}

/// The index of the first token from `from` at bracket depth 0 for which
/// `want` holds; the scan stops (None, or Some at the stop when
/// `stop_is_end`) at a line break, `;`, a block `{`, or a closing bracket
/// that was opened before `from`.
fn scan(
    items: &[Item<'_>],
    from: usize,
    want: impl Fn(Token<'_>) -> bool,
    stop_is_end: bool,
) -> Option<usize> {
    let mut depth = 0usize;
    for (j, it) in items.iter().enumerate().skip(from) {
        let t = it.0 .1;
        if depth == 0 && want(t) {
            return Some(j);
        }
        match t {
            Token::LParen | Token::LBracket | Token::RecordOpen => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace if depth > 0 => depth -= 1,
            Token::RParen
            | Token::RBracket
            | Token::RBrace
            | Token::Newline
            | Token::Semi
            | Token::BlockOpen => {
                return stop_is_end.then_some(j);
            }
            _ => {}
        }
    }
    stop_is_end.then_some(items.len())
}

/// Tokens that can follow a statement word of another language when it is
/// used as such (`import re`, `try:`, `pass`), as opposed to a variable of
/// that name (`with = 3`, `pass(x)`).
fn follows_statement_word(t: Token<'_>) -> bool {
    matches!(
        t,
        Token::Newline
            | Token::Semi
            | Token::RBrace
            | Token::Colon
            | Token::Ident(_)
            | Token::Int(_)
            | Token::Float(_)
            | Token::Str(_)
            | Token::FStr(_)
            | Token::Def
            | Token::For
            | Token::If
            | Token::True
            | Token::False
            | Token::Null
    )
}

/// Tokens that start an operand: a name or a literal.
fn starts_operand(t: Token<'_>) -> bool {
    matches!(
        t,
        Token::Ident(_)
            | Token::Int(_)
            | Token::Float(_)
            | Token::Str(_)
            | Token::FStr(_)
            | Token::Regex(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::layout::{lex, Mode};

    /// The repaired tokens, spelled out, and how many habits were reported.
    fn repaired(src: &str) -> (String, usize) {
        let mut lexed = lex(src, 0, 0, src.len(), Mode::Program);
        rewrite(src, 0, &mut lexed);
        let text = lexed
            .tokens
            .iter()
            .map(|(_, t, _)| match t {
                Token::Newline => "NL".to_string(),
                Token::BlockOpen => "{blk".to_string(),
                Token::Ident(s) | Token::Int(s) => s.to_string(),
                t => t.spelling().to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(lexed.tokens.len(), lexed.inside.len());
        (text, lexed.diags.len())
    }

    #[test]
    fn operators_get_their_rlq_spelling() {
        assert_eq!(
            repaired("a && !b || c === d"),
            ("a and not b or c == d".into(), 4)
        );
        assert_eq!(repaired("i++\nj = --k"), ("i += 1 NL j = - - k".into(), 1));
    }

    #[test]
    fn lambda_becomes_an_arrow() {
        assert_eq!(
            repaired("f(lambda a, b: a + b, 1)"),
            ("f ( ( a , b ) => a + b , 1 )".into(), 1)
        );
        assert_eq!(repaired("g = lambda: 0"), ("g = ( ) => 0".into(), 1));
    }

    #[test]
    fn statement_words_are_skipped_but_variables_of_that_name_are_not() {
        assert_eq!(repaired("import re"), ("error re".into(), 1));
        assert_eq!(repaired("pass"), ("error".into(), 1));
        assert_eq!(
            repaired("with = 3\npass(x)"),
            ("with = 3 NL pass ( x )".into(), 0)
        );
        assert_eq!(
            repaired("try:\n  x\nexcept E:\n  y"),
            ("error : NL x NL error E : NL y".into(), 1)
        );
    }

    #[test]
    fn colon_blocks_become_braces() {
        assert_eq!(
            repaired("if a:\n  x\n  if b:\n    y\nelse:\n  z\nw"),
            (
                "if a {blk NL x NL if b {blk NL y } } else {blk NL z } NL w".into(),
                3
            )
        );
        assert_eq!(
            repaired("for x in xs: f(x)\ng"),
            ("for x in xs {blk f ( x ) } NL g".into(), 1)
        );
        assert_eq!(repaired("while c:\n  x"), ("while c {blk NL x }".into(), 1));
    }

    #[test]
    fn colons_inside_brackets_are_not_headers() {
        assert_eq!(repaired("if xs[1:2] == {a: 1} { }").1, 0);
    }
}
