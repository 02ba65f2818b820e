//! The parser lalrpop generates from grammar/rlq.lalrpop, and the two ways
//! into it: a whole program, and one expression (an f-string field).
//!
//! Both run the same pipeline: lex and lay out ([`layout`]), repair and
//! report habits of other languages ([`habits`]), parse with recovery,
//! then explain the parse errors ([`report`]). Diagnostics come back in
//! source order.

use super::ast::{Expr, ExprKind, Program};
use super::builder::{Builder, GrammarError};
use super::habits;
use super::layout::{self, Lexed, Mode};
use super::report;
use super::span::{FileId, Span};
use super::token::Token;
use crate::diag::Diagnostic;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, missing_docs, unused)]
    grammar,
    "/rlq.rs"
);

type Input<'src> = Result<(usize, Token<'src>, usize), std::convert::Infallible>;

/// Parses the whole of `src` (file `file`) as a program.
/// A UTF-8 byte-order mark at the start is skipped.
pub fn program(src: &str, file: FileId) -> (Program, Vec<Diagnostic>) {
    let start = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let lexed = prepare(src, file, start, src.len(), Mode::Program);
    let mut b = Builder::new(src, file);
    let result = grammar::ProgramParser::new().parse(&mut b, input(&lexed));
    let program = result.unwrap_or_else(|e| {
        b.errors.push(e);
        Program::default()
    });
    let diags = finish(b, lexed, src, file);
    (program, diags)
}

/// Parses `src[start..end]` of file `file` as one expression.
pub fn expression(src: &str, file: FileId, start: usize, end: usize) -> (Expr, Vec<Diagnostic>) {
    let lexed = prepare(src, file, start, end, Mode::Expression);
    let mut b = Builder::new(src, file);
    let result = grammar::ExpressionParser::new().parse(&mut b, input(&lexed));
    let expr = result.unwrap_or_else(|e| {
        b.errors.push(e);
        Expr {
            kind: ExprKind::Error,
            span: Span::new(file, start, end),
        }
    });
    let diags = finish(b, lexed, src, file);
    (expr, diags)
}

fn prepare(src: &str, file: FileId, start: usize, end: usize, mode: Mode) -> Lexed<'_> {
    let mut lexed = layout::lex(src, file, start, end, mode);
    habits::rewrite(src, file, &mut lexed);
    lexed
}

/// The tokens as the generated parser takes them. Tokens the grammar does
/// not know (all of them already reported and replaced) become errors.
fn input<'a, 'src>(lexed: &'a Lexed<'src>) -> impl Iterator<Item = Input<'src>> + 'a {
    lexed.tokens.iter().map(|&(l, t, r)| {
        let t = match t {
            Token::LBrace
            | Token::UnterminatedStr(_)
            | Token::AmpAmp
            | Token::BarBar
            | Token::Bang
            | Token::EqEqEq
            | Token::NotEqEq
            | Token::PlusPlus
            | Token::MinusMinus => Token::Error,
            t => t,
        };
        Ok((l, t, r))
    })
}

fn finish(mut b: Builder<'_>, lexed: Lexed<'_>, src: &str, file: FileId) -> Vec<Diagnostic> {
    let errors: Vec<GrammarError<'_>> = std::mem::take(&mut b.errors);
    let mut diags = lexed.diags.clone();
    diags.extend(report::diagnostics(
        &errors,
        &b.dropped_opens,
        &lexed,
        src,
        file,
    ));
    diags.extend(b.finish());
    diags.sort_by_key(|d| d.span.map(|s| (s.start, s.end)));
    diags.dedup_by(|a, b| a.span == b.span && a.message == b.message);
    diags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::dump;

    #[test]
    fn an_expression_inside_a_larger_text_keeps_file_offsets() {
        let src = "xxxx a + b * c yyyy";
        let (e, diags) = expression(src, 3, 5, 14);
        assert!(diags.is_empty());
        assert_eq!(dump::expr(&e), "(+ a (* b c))");
        assert_eq!((e.span.file, e.span.start, e.span.end), (3, 5, 14));
    }

    #[test]
    fn expressions_ignore_line_breaks() {
        let src = "f(a,\n b) |\n g";
        let (e, diags) = expression(src, 0, 0, src.len());
        assert!(diags.is_empty());
        assert_eq!(dump::expr(&e), "(call| g (call f a b))");
    }

    #[test]
    fn errors_come_back_in_source_order_without_duplicates() {
        let src = "x = 1 2\nif a:\n  b\ny = (3\nlet z = 4\n";
        let (_, diags) = program(src, 0);
        let starts: Vec<u32> = diags.iter().map(|d| d.span.unwrap().start).collect();
        let mut sorted = starts.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(starts, sorted);
        assert_eq!(diags.len(), 3);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let (p, diags) = program("\u{feff}let n = 1\nfinal(n)\n", 0);
        assert!(diags.is_empty());
        assert_eq!(p.stmts.len(), 2);
    }

    #[test]
    fn a_program_that_parses_has_no_diagnostics() {
        let (p, diags) = program("let n = len(context)\nfinal(n)\n", 0);
        assert!(diags.is_empty());
        assert_eq!(p.stmts.len(), 2);
    }
}
