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

/// The standard library's functions for the system prompt: each `def` as
/// its signature and the first phrase of the comment above it.
pub fn prompt_line() -> String {
    let mut items = Vec::new();
    let mut comment = String::new();
    for line in PRELUDE.lines() {
        if let Some(c) = line.strip_prefix("# ") {
            comment.push_str(c);
            comment.push(' ');
        } else if let Some(def) = line.strip_prefix("def ") {
            let sig = def.split(" {").next().unwrap_or(def);
            let brief = comment
                .split([':', ';', ','])
                .next()
                .unwrap_or("")
                .split(" (")
                .next()
                .unwrap_or("")
                .trim()
                .trim_end_matches('.');
            items.push(format!("`{sig}` {}", brief.to_lowercase()));
            comment.clear();
        } else {
            comment.clear();
        }
    }
    format!("- helpers: {}\n", items.join("; "))
}
