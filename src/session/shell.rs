//! [`Shell`]: one interpreter that runs code a turn at a time, as `rlmq
//! ask`, `rlmq kernel` and `rlmq repl` all do.
//!
//! Each turn is compiled and run against the same globals, so variables
//! persist; the turn's printed output is captured whole; a parse, check or
//! runtime error becomes the caret diagnostic a model can act on; the value
//! given to `final` is kept. The interpreter's limits (steps, time, output)
//! apply to each turn on its own. An internal failure of the interpreter is
//! turned into an error of the turn rather than ending the process.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::diag::{render_all, Stage};
use crate::engine::Engine;
use crate::eval::render::display;
use crate::eval::{Limits, Value};
use crate::stopped::{ran_until, NOTHING_RAN};

/// An interpreter kept between turns.
pub struct Shell {
    engine: Engine,
    turns: u32,
    prefix: String,
}

/// What one turn did.
#[derive(Clone)]
pub struct TurnRun {
    /// 1-based number of the turn.
    pub index: u32,
    /// Everything the code printed.
    pub output: String,
    /// The error that stopped it, if one did.
    pub error: Option<TurnError>,
    /// The value given to `final`, if the code called it.
    pub final_value: Option<Value>,
    /// Wall time of compiling and running.
    pub elapsed: Duration,
    /// Evaluation steps (approximate: counted in batches).
    pub steps: u64,
}

/// An error of a turn, in the forms readers need.
#[derive(Debug, Clone)]
pub struct TurnError {
    /// The caret diagnostic(s), as shown to a model or a person.
    pub rendered: String,
    /// One line, for logs and summaries.
    pub one_line: String,
    /// Where it was found: syntax, check, runtime or limit.
    pub stage: Stage,
}

impl std::fmt::Debug for TurnRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnRun")
            .field("index", &self.index)
            .field("output", &self.output)
            .field("error", &self.error)
            .field("final", &self.final_text())
            .field("elapsed", &self.elapsed)
            .field("steps", &self.steps)
            .finish()
    }
}

impl TurnRun {
    /// The final value rendered as `rlmq run` prints it.
    pub fn final_text(&self) -> Option<String> {
        self.final_value.as_ref().map(display)
    }
}

impl Shell {
    /// An interpreter over `context`; turns are named `<prefix>-<n>` in
    /// diagnostics (`turn-3:2:5`).
    pub fn new(context: Arc<Context>, limits: Limits, prefix: &str) -> Result<Shell, String> {
        let engine = Engine::new(context, limits)
            .map_err(|d| format!("cannot start the interpreter: {}", d.message))?;
        Ok(Shell {
            engine,
            turns: 0,
            prefix: prefix.to_string(),
        })
    }

    /// A shell over one document held in a string, with the default limits.
    pub fn from_text(text: impl Into<String>) -> Result<Shell, String> {
        Shell::new(
            Arc::new(Context::from_text(text)),
            Limits::default(),
            "turn",
        )
    }

    /// A shell over one document given as bytes, with the default limits.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Shell, String> {
        Shell::new(
            Arc::new(Context::from_bytes(bytes)),
            Limits::default(),
            "turn",
        )
    }

    /// A shell over files and folders (loaded as `--context` loads them),
    /// with the default limits.
    pub fn from_files<P: Into<std::path::PathBuf>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Shell, String> {
        let context = Context::from_files(paths).map_err(|e| e.to_string())?;
        Shell::new(Arc::new(context), Limits::default(), "turn")
    }

    /// Binds a string variable (`question`, say) before the next turn.
    pub fn bind_str(&mut self, name: &str, value: &str) {
        self.engine.globals.set(Arc::from(name), Value::str(value));
    }

    /// The interpreter, for its globals and runtime.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The interpreter, mutably (to bind variables or configure the runtime).
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Turns run so far.
    pub fn turns(&self) -> u32 {
        self.turns
    }

    /// Compiles and runs `code` as the next turn.
    pub fn run(&mut self, code: &str) -> TurnRun {
        self.turns += 1;
        let index = self.turns;
        let started = Instant::now();
        self.engine.rt.meter.restart();
        let name = format!("{}-{index}", self.prefix);
        let mut out = Vec::new();
        let mut turn = TurnRun {
            index,
            output: String::new(),
            error: None,
            final_value: None,
            elapsed: Duration::ZERO,
            steps: 0,
        };
        let engine = &mut self.engine;
        let before = engine.spent();
        let result = catch_unwind(AssertUnwindSafe(|| match engine.compile(&name, code) {
            Err(diags) => Err(TurnError {
                rendered: format!("{}= {NOTHING_RAN}\n", render_all(&diags, &engine.sources())),
                one_line: format!(
                    "{} ({NOTHING_RAN})",
                    diags
                        .iter()
                        .map(|d| d.one_line(&engine.sources()))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                stage: diags.first().map_or(Stage::Syntax, |d| d.stage),
            }),
            Ok(program) => engine.run(&program, &mut out).map_err(|d| {
                let sources = engine.sources();
                let ran = ran_until(&d, &sources, &before, &engine.spent());
                TurnError {
                    rendered: format!("{}= {ran}\n", d.render(&sources)),
                    one_line: format!("{} ({ran})", d.one_line(&sources)),
                    stage: d.stage,
                }
            }),
        }));
        match result {
            Ok(Ok(v)) => turn.final_value = v,
            Ok(Err(e)) => turn.error = Some(e),
            Err(_) => {
                let msg = "internal error in rlmq while running this code; the variables of earlier turns are kept, but try another way to write it";
                turn.error = Some(TurnError {
                    rendered: format!("error: {msg}\n"),
                    one_line: msg.to_string(),
                    stage: Stage::Runtime,
                });
            }
        }
        turn.output = String::from_utf8_lossy(&out).into_owned();
        turn.elapsed = started.elapsed();
        turn.steps = self.engine.rt.meter.steps();
        turn
    }

    /// One line per user variable: `name: type, size: preview`, sorted by
    /// name (builtins, `context`, `docs` and the standard library left out).
    pub fn variables(&self) -> Vec<(String, String)> {
        self.engine
            .globals
            .sorted()
            .into_iter()
            .filter(|(name, v)| {
                let stdlib = matches!(v, Value::Func(crate::eval::value::Func::Def(d)) if d.def.span.file == crate::stdlib::FILE);
                !stdlib && !matches!(&***name, "context" | "docs")
            })
            .map(|(name, v)| (name.to_string(), crate::builtins::describe(v)))
            .collect()
    }
}
