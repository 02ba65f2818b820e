//! Reading rlq: tokens, layout (where a newline ends a statement), the
//! lalrpop grammar, and the AST it builds.
//!
//! [`parse`] turns one file of a [`SourceMap`] into a [`Program`], or
//! into every syntax error it can find, each with a span, a one-line
//! message and a hint that says what to write instead.

pub mod ast;
pub mod builder;
pub mod dump;
pub mod fstring;
pub mod habits;
pub mod layout;
pub mod literal;
pub mod parser;
pub mod report;
pub mod shared_str;
pub mod span;
pub mod token;

use ast::{Expr, Program};
use span::{FileId, SourceMap};

use crate::diag::Diagnostic;

/// Parses file `file` of `sources` as an rlq program.
///
/// Never panics; on failure returns all the syntax errors found, in source
/// order.
pub fn parse(sources: &SourceMap, file: FileId) -> Result<Program, Vec<Diagnostic>> {
    let (program, diags) = parser::program(&sources.get(file).text, file);
    if diags.is_empty() {
        Ok(program)
    } else {
        Err(diags)
    }
}

/// Parses file `file` of `sources` as a single expression.
pub fn parse_expr(sources: &SourceMap, file: FileId) -> Result<Expr, Vec<Diagnostic>> {
    let text = &sources.get(file).text;
    let (expr, diags) = parser::expression(text, file, 0, text.len());
    if diags.is_empty() {
        Ok(expr)
    } else {
        Err(diags)
    }
}
