//! How evaluation stops early: an error, `final`, `return`, `break`,
//! `continue`. They travel up as the `Err` side of [`R`].

use crate::diag::Diagnostic;

use super::value::Value;

/// A non-local exit from evaluation.
pub enum Flow {
    /// An error: the program stops.
    Error(Box<Diagnostic>),
    /// `final(x)`: the program ends with `x`.
    Final(Value),
    /// `return x` from a `def`.
    Return(Value),
    /// `break` out of a loop.
    Break,
    /// `continue` a loop.
    Continue,
}

impl From<Diagnostic> for Flow {
    fn from(d: Diagnostic) -> Flow {
        Flow::Error(Box::new(d))
    }
}

/// Result of evaluating something.
pub type R<T> = Result<T, Flow>;
