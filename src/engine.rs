//! One interpreter with its variables: the standard library loaded, scripts
//! compiled (parsed and checked) and run one after another against the
//! same globals, as `rlmq run` runs one script and a session runs one per
//! turn.

use std::io::Write;
use std::sync::Arc;

use crate::check::check;
use crate::context::Context;
use crate::diag::Diagnostic;
use crate::eval::{Globals, Limits, Runtime, Value};
use crate::syntax::ast::Program;
use crate::syntax::span::SourceMap;

/// An interpreter and the variables its scripts share.
pub struct Engine {
    /// The shared state of the run.
    pub rt: Runtime,
    /// The variables.
    pub globals: Globals,
}

impl Engine {
    /// An engine over `context` with the standard library loaded.
    pub fn new(context: Arc<Context>, limits: Limits) -> Result<Engine, Diagnostic> {
        let rt = Runtime::new(context, limits);
        let mut globals = rt.base_globals();
        crate::stdlib::load(&rt, &mut globals)?;
        Ok(Engine { rt, globals })
    }

    /// Parses and checks a script; every problem found is returned.
    pub fn compile(&self, name: &str, text: &str) -> Result<Program, Vec<Diagnostic>> {
        let id = self.rt.add_source(name, text);
        let sources = self.rt.sources();
        let program = crate::syntax::parse(&sources, id)?;
        let problems = check(&program, self.globals.names().map(|n| &**n), &sources);
        if problems.is_empty() {
            self.rt.note_shadows(crate::check::shadow_sites(&program));
            Ok(program)
        } else {
            Err(problems)
        }
    }

    /// Runs a compiled script; returns the value given to `final`, if any.
    pub fn run(
        &mut self,
        program: &Program,
        out: &mut dyn Write,
    ) -> Result<Option<Value>, Diagnostic> {
        self.rt.run(program, &mut self.globals, out)
    }

    /// What the sub-calls of the run spent so far.
    pub fn spent(&self) -> crate::llm::Usage {
        self.rt
            .models
            .as_ref()
            .map(|m| m.spent())
            .unwrap_or_default()
    }

    /// The source files seen so far, for rendering diagnostics.
    pub fn sources(&self) -> SourceMap {
        self.rt.sources()
    }
}
