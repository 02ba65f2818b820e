//! Sessions: a model (or a person, or another program) writes rlq a turn
//! at a time against one interpreter whose variables persist.
//!
//! [`Session`] is the entry point from Rust:
//!
//! ```no_run
//! use rlmq::Session;
//! let session = Session::from_files(["book.txt"]).unwrap();
//! let answer = session.model("gpt-5").sub_model("gpt-5-mini").ask("Who is the narrator?").unwrap();
//! println!("{} ({} calls)", answer.text, answer.usage.calls);
//! ```
//!
//! [`Session::from_text`] and [`Session::from_bytes`] take the context from
//! memory; [`Shell`] runs code a turn at a time without a root model.
//!
//! - [`run`]: the root loop (turns, final, limits, trace events) and
//!   `rlm()` sub-sessions;
//! - [`replay`]: a recorded session run again from its trace, offline;
//! - [`shell`]: the interpreter kept between turns, capturing each turn's
//!   output, error and final value;
//! - [`truncate`]: head-and-tail cutting of what a model is shown;
//! - [`compact`]: older turns summarised when the conversation nears the
//!   root model's window;
//! - [`extract`]: the first rlq block of a model's reply;
//! - [`prompt`]: the system prompt, the first message and the messages
//!   between turns.

pub mod compact;
pub mod extract;
pub mod prompt;
pub mod replay;
pub mod run;
pub mod shell;
pub mod truncate;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use shell::{Shell, TurnError, TurnRun};

/// The variables a session binds before the model's first turn, besides
/// `context` and `docs`.
pub const SESSION_NAMES: &[&str] = &["question"];

use crate::context::Context;
use crate::eval::Limits;
use crate::llm::{LlmConfig, SubCalls, Usage};

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The code called `final(x)`: the answer is `x`.
    Final,
    /// The turns ran out; the answer, if any, is the best found in the
    /// model's variables.
    MaxIterations,
    /// Too many turns in a row failed; as above.
    MaxErrors,
    /// A root call failed for good (budget, network, key); as above.
    Stopped,
}

impl Status {
    /// The name used in traces and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Status::Final => "final",
            Status::MaxIterations => "max_iterations",
            Status::MaxErrors => "max_errors",
            Status::Stopped => "stopped",
        }
    }
}

/// What a session came to.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The answer: the value given to `final`, rendered as `rlmq run`
    /// prints it; or the best available one (see `source`); or empty.
    pub text: String,
    /// How the session ended.
    pub status: Status,
    /// Why it ended without `final` (empty when it called it).
    pub reason: String,
    /// When the answer was not given to `final`: the variable it was taken
    /// from.
    pub source: Option<String>,
    /// Root-model turns taken.
    pub turns: u32,
    /// What the whole run spent (root and sub-calls, all depths).
    pub usage: Usage,
    /// The trace file, when one was written.
    pub trace: Option<PathBuf>,
    /// Wall time of the session.
    pub elapsed: Duration,
    /// The session's id in the trace.
    pub session_id: u64,
}

impl Answer {
    /// True when the model called `final`.
    pub fn is_final(&self) -> bool {
        self.status == Status::Final
    }
}

/// Settings of the root loop.
#[derive(Debug, Clone)]
pub struct Options {
    /// The root model; the configuration's when `None`.
    pub root_model: Option<String>,
    /// Reply allowance of a root turn in tokens; the configuration's when `None`.
    pub root_max_tokens: Option<u32>,
    /// Root-model turns at most.
    pub max_iterations: u32,
    /// Turns in a row that may fail (error, no block) before the session ends.
    pub max_errors: u32,
    /// Characters of each turn's output shown to the model (head and tail).
    pub max_output_chars: usize,
    /// Interpreter limits of each turn.
    pub limits: Limits,
    /// Whether the system prompt includes the worked examples.
    pub examples: bool,
    /// The context as given (paths), for the trace and replays.
    pub context_paths: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            root_model: None,
            root_max_tokens: None,
            max_iterations: 20,
            max_errors: 5,
            max_output_chars: 10_000,
            limits: Limits {
                max_output: 64 << 20,
                ..Limits::default()
            },
            examples: false,
            context_paths: Vec::new(),
        }
    }
}

/// A session that cannot start (the configuration or the backend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionError(pub String);

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SessionError {}

/// A question-answering session over a context, configured by builder
/// methods and run by [`Session::ask`].
pub struct Session {
    context: Arc<Context>,
    config: Option<LlmConfig>,
    calls: Option<Arc<SubCalls>>,
    root_model: Option<String>,
    sub_model: Option<String>,
    trace: Option<PathBuf>,
    options: Options,
}

impl Session {
    /// A session over `context`, configured from the environment and
    /// `rlmq.toml` unless [`Session::config`] is given.
    pub fn new(context: impl Into<Arc<Context>>) -> Session {
        Session {
            context: context.into(),
            config: None,
            calls: None,
            root_model: None,
            sub_model: None,
            trace: None,
            options: Options::default(),
        }
    }

    /// A session over one document held in a string.
    pub fn from_text(text: impl Into<String>) -> Session {
        Session::new(Context::from_text(text))
    }

    /// A session over one document given as bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Session {
        Session::new(Context::from_bytes(bytes))
    }

    /// A session over files and folders, loaded as `--context` loads them.
    pub fn from_files<P: Into<PathBuf>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Session, SessionError> {
        Context::from_files(paths)
            .map(Session::new)
            .map_err(|e| SessionError(e.to_string()))
    }

    /// Uses this model configuration.
    pub fn config(mut self, config: LlmConfig) -> Session {
        self.config = Some(config);
        self
    }

    /// Uses a backend that is already running (its budget, cache, trace
    /// and sub-model); [`Session::model`] still picks the root model.
    pub fn calls(mut self, calls: Arc<SubCalls>) -> Session {
        self.calls = Some(calls);
        self
    }

    /// The root model.
    pub fn model(mut self, model: impl Into<String>) -> Session {
        self.root_model = Some(model.into());
        self
    }

    /// The model `llm()` calls.
    pub fn sub_model(mut self, model: impl Into<String>) -> Session {
        self.sub_model = Some(model.into());
        self
    }

    /// Appends the trace to this file.
    pub fn trace(mut self, path: impl Into<PathBuf>) -> Session {
        self.trace = Some(path.into());
        self
    }

    /// Root-model turns at most (default 20).
    pub fn max_iterations(mut self, n: u32) -> Session {
        self.options.max_iterations = n;
        self
    }

    /// Failed turns in a row before the session ends (default 5).
    pub fn max_errors(mut self, n: u32) -> Session {
        self.options.max_errors = n;
        self
    }

    /// Characters of output shown per turn (default 10,000).
    pub fn max_output_chars(mut self, n: usize) -> Session {
        self.options.max_output_chars = n;
        self
    }

    /// Interpreter limits of each turn.
    pub fn limits(mut self, limits: Limits) -> Session {
        self.options.limits = limits;
        self
    }

    /// Includes the worked examples in the system prompt.
    pub fn examples(mut self, on: bool) -> Session {
        self.options.examples = on;
        self
    }

    /// All loop settings at once.
    pub fn options(mut self, options: Options) -> Session {
        self.options = options;
        self
    }

    /// The backend this session would run on (started now).
    pub fn backend(&self) -> Result<Arc<SubCalls>, SessionError> {
        if let Some(c) = &self.calls {
            return Ok(Arc::clone(c));
        }
        let mut config = match &self.config {
            Some(c) => c.clone(),
            None => LlmConfig::from_env_and_file(None).map_err(|e| SessionError(e.to_string()))?,
        };
        if let Some(m) = &self.root_model {
            config.root_model = m.clone();
        }
        if let Some(m) = &self.sub_model {
            config.sub_model = m.clone();
        }
        if let Some(t) = &self.trace {
            config.trace = Some(t.clone());
        }
        let hosted = ["api.openai.com", "api.anthropic.com"]
            .iter()
            .any(|h| config.base_url.contains(h));
        if config.api_key.is_none() && hosted {
            return Err(SessionError(format!(
                "no API key for {}: set {} (or OPENAI_BASE_URL for a local server that needs none)",
                config.base_url, config.api_key_var
            )));
        }
        SubCalls::new(config)
            .map(Arc::new)
            .map_err(|e| SessionError(e.to_string()))
    }

    /// Answers `question`: runs the root loop to its end.
    pub fn ask(&self, question: &str) -> Result<Answer, SessionError> {
        let calls = self.backend()?;
        let mut options = self.options.clone();
        if self.root_model.is_some() {
            options.root_model = self.root_model.clone();
        }
        Ok(run::run_session(
            &calls,
            Arc::clone(&self.context),
            question,
            0,
            None,
            &Arc::new(options),
        ))
    }
}
