//! The standard library: helpers written in rlq itself (stdlib/*.rlq),
//! embedded in the binary and run before every script.

use crate::diag::Diagnostic;
use crate::eval::{Globals, Runtime};
use crate::syntax::span::FileId;

/// The source of the standard library.
pub const PRELUDE: &str = include_str!("../stdlib/prelude.rlq");

/// The file id the standard library always has (it is added first).
pub const FILE: FileId = 0;

/// Parses and runs the standard library into `globals`.
pub fn load(rt: &Runtime, globals: &mut Globals) -> Result<(), Diagnostic> {
    let id = rt.add_source("<stdlib>", PRELUDE);
    assert_eq!(
        id, FILE,
        "the standard library must be the first source of a runtime"
    );
    let program = crate::syntax::parse(&rt.sources(), id).map_err(|mut d| d.remove(0))?;
    let mut sink = std::io::sink();
    rt.run(&program, globals, &mut sink)?;
    Ok(())
}
