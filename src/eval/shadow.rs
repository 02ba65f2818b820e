//! A builtin's name used as a variable, then called as the builtin: the
//! error says it is the script's variable here and where it was assigned.
//! The sites come from the checker, which records every binding of a
//! builtin's name when a program is compiled.

use crate::builtins;
use crate::diag::Diagnostic;
use crate::syntax::ast::Name;
use crate::syntax::span::Span;

use super::flow::R;
use super::interp::Runtime;
use super::value::Value;

impl Runtime {
    /// Remembers where a compiled program binds builtin names.
    pub fn note_shadows(&self, sites: Vec<(Name, Span)>) {
        self.shadows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(sites);
    }

    /// Fails when `name`, a builtin's name, holds a value that is not a
    /// function where it is called.
    #[inline(always)]
    pub(super) fn not_the_builtin(&self, name: &str, f: &Value, span: Span) -> R<()> {
        if matches!(f, Value::Func(_) | Value::Error(_)) {
            return Ok(());
        }
        self.shadowed_builtin(name, f, span)
    }

    /// [`Self::not_the_builtin`] for a value that is not a function.
    #[inline(never)]
    fn shadowed_builtin(&self, name: &str, f: &Value, span: Span) -> R<()> {
        if builtins::lookup(name).is_none() {
            return Ok(());
        }
        let sites = self.shadows.lock().unwrap_or_else(|e| e.into_inner());
        let named: Vec<Span> = sites
            .iter()
            .filter(|(n, _)| &**n == name)
            .map(|(_, s)| *s)
            .collect();
        drop(sites);
        // The binding before the call, else (in a loop) the last one.
        let site = named
            .iter()
            .rfind(|s| s.file != span.file || s.start < span.start)
            .or(named.last());
        let kind = f.type_name();
        let mut what = format!("{} {kind}", super::errors::article(kind));
        if let Some(s) = site {
            let sources = self.sources();
            let file = sources.get(s.file);
            let line = file.locate(s.start as usize).0;
            if s.file == span.file {
                what.push_str(&format!(", assigned at line {line}"));
            } else {
                what.push_str(&format!(", assigned at {}:{line}", file.name));
            }
        }
        let (msg, hint) = crate::check::shadowed_message(name, &what);
        Err(Diagnostic::runtime(span, msg).hint(hint).into())
    }
}
