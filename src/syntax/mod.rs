//! Reading rlq: tokens, layout (where a newline ends a statement), the
//! lalrpop grammar, and the AST it builds.

pub mod ast;
pub mod span;
pub mod token;
pub mod layout;
