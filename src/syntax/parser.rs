//! The parser lalrpop generates from grammar/rlq.lalrpop, and the two ways
//! into it: a whole program, and one expression (for f-string fields).

use super::ast::{Expr, ExprKind, Program};
use super::builder::Builder;
use super::layout::{self, Mode};
use super::span::{FileId, Span};
use crate::diag::Diagnostic;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, missing_docs, unused)]
    grammar,
    "/rlq.rs"
);

/// Parses the whole of `src` (file `file`) as a program.
pub fn program(src: &str, file: FileId) -> (Program, Vec<Diagnostic>) {
    let lexed = layout::lex(src, file, 0, src.len(), Mode::Program);
    let mut diags = lexed.diags.clone();
    let mut b = Builder::new(src, file);
    let tokens = lexed.tokens.clone().into_iter().map(Ok);
    let result = grammar::ProgramParser::new().parse(&mut b, tokens);
    let program = match result {
        Ok(p) => p,
        Err(e) => {
            b.errors.push(e);
            Program::default()
        }
    };
    for e in std::mem::take(&mut b.errors) {
        diags.push(Diagnostic::syntax(Span::new(file, 0, 0), format!("{e:?}")));
    }
    diags.extend(b.finish());
    (program, diags)
}

/// Parses `src[start..end]` of file `file` as one expression.
pub fn expression(src: &str, file: FileId, start: usize, end: usize) -> (Expr, Vec<Diagnostic>) {
    let lexed = layout::lex(src, file, start, end, Mode::Expression);
    let mut diags = lexed.diags.clone();
    let mut b = Builder::new(src, file);
    let tokens = lexed.tokens.clone().into_iter().map(Ok);
    let result = grammar::ExpressionParser::new().parse(&mut b, tokens);
    let expr = match result {
        Ok(e) => e,
        Err(e) => {
            b.errors.push(e);
            Expr { kind: ExprKind::Error, span: Span::new(file, start, end) }
        }
    };
    for e in std::mem::take(&mut b.errors) {
        diags.push(Diagnostic::syntax(Span::new(file, start, end), format!("{e:?}")));
    }
    diags.extend(b.finish());
    (expr, diags)
}
