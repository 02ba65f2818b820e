//! Arguments shared by the subcommands that read a script and a context.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use crate::context::{Context, ContextInput, LoadOptions};
use crate::eval::Limits;

/// Where the script comes from.
#[derive(Args, Debug, Clone)]
pub struct ScriptArgs {
    /// The script file (`-` for standard input).
    pub script: Option<PathBuf>,
    /// The script as text, instead of a file.
    #[arg(
        short = 'e',
        long = "expr",
        value_name = "CODE",
        conflicts_with = "script"
    )]
    pub expr: Option<String>,
}

impl ScriptArgs {
    /// The script's display name and text.
    pub fn read(&self) -> Result<(String, String), String> {
        if let Some(code) = &self.expr {
            return Ok(("<-e>".into(), code.clone()));
        }
        match &self.script {
            Some(p) if p.as_os_str() == "-" => {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .map_err(|e| format!("cannot read the script from standard input: {e}"))?;
                Ok(("<stdin>".into(), s))
            }
            Some(p) => {
                let bytes = std::fs::read(p)
                    .map_err(|e| format!("cannot read script `{}`: {e}", p.display()))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("script `{}` is not valid UTF-8", p.display()))?;
                Ok((p.display().to_string(), text))
            }
            None => {
                Err("no script given: pass a file, `-` for standard input, or -e 'code'".into())
            }
        }
    }
}

/// The context documents.
#[derive(Args, Debug, Clone)]
pub struct ContextArgs {
    /// A context file, folder (every file a document), `.jsonl` (one document per line) or `-` (stdin); repeatable.
    #[arg(short = 'c', long = "context", value_name = "PATH")]
    pub context: Vec<PathBuf>,
    /// Read the context into memory instead of mapping it (use when another process may truncate the file while rlmq runs).
    #[arg(long)]
    pub no_mmap: bool,
    /// In a context folder, also follow symbolic links that lead out of it (links inside it are always followed).
    #[arg(short = 'L', long)]
    pub follow: bool,
}

impl ContextArgs {
    /// Loads the context (an empty one when none is given), within the
    /// run's memory and time limits: a device that never ends, a FIFO with
    /// no writer or a folder that is the whole disk ends with an error.
    pub fn load(&self, limits: &Limits) -> Result<Context, String> {
        if self.context.is_empty() {
            return Ok(Context::empty());
        }
        // `-` is standard input.
        let inputs: Vec<ContextInput> = self
            .context
            .iter()
            .cloned()
            .map(ContextInput::Path)
            .collect();
        let opts = LoadOptions {
            mmap: !self.no_mmap,
            max_bytes: limits.max_memory,
            deadline: Instant::now().checked_add(limits.max_time),
            follow: self.follow,
        };
        within(limits.max_time, "reading the context", move || {
            Context::load(&inputs, &opts).map_err(|e| e.to_string())
        })
    }
}

/// Runs `work` on its own thread and waits for it at most `limit`: opening
/// a FIFO that no one writes blocks in the kernel, where no check can run.
/// Past the limit the thread is left behind (the caller ends the run).
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("rlmq-read".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| format!("{what}: cannot start a thread: {e}"))?;
    match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(_) => Err(format!(
            "{what} took longer than --max-time allows ({} s); a FIFO with no writer, or a device that never ends?",
            limit.as_secs_f64()
        )),
    }
}

/// A flag's amount (seconds, dollars): a finite number, zero or more.
/// `nan`, `inf` and negative numbers are usage errors.
pub fn amount(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("`{s}` must be a finite number, zero or more"));
    }
    Ok(v)
}

/// Limits on a run.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Most evaluation steps.
    #[arg(long, default_value_t = 1_000_000_000)]
    pub max_steps: u64,
    /// Most seconds of wall time of the program (in `ask`, `kernel` and `repl`: of each turn or line).
    #[arg(long, default_value_t = 600.0, value_parser = amount)]
    pub max_time: f64,
    /// Most MiB of memory held by values.
    #[arg(long, default_value_t = 8192)]
    pub max_memory: usize,
    /// Most bytes of printed output.
    #[arg(long, default_value_t = 1 << 30)]
    pub max_output: u64,
}

impl LimitArgs {
    /// The limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_steps: self.max_steps,
            max_time: Duration::from_secs_f64(self.max_time.min(1e9)),
            max_memory: self.max_memory.saturating_mul(1 << 20),
            max_output: self.max_output,
        }
    }
}

/// Models, budgets, cache and trace: shared by the subcommands that may
/// call models. Flags override the environment and `rlmq.toml`.
#[derive(Args, Debug, Clone, Default)]
pub struct ModelArgs {
    /// The root model (sessions) and, unless --sub-model is given, the model `llm()` calls.
    #[arg(long)]
    pub model: Option<String>,
    /// The model `llm()` calls.
    #[arg(long)]
    pub sub_model: Option<String>,
    /// The wire protocol, over rlmq.toml's `provider` and the environment (OpenAI when both keys are set).
    #[arg(long, value_enum)]
    pub provider: Option<crate::llm::Provider>,
    /// Base URL of the provider (OpenAI-style bases end in /v1).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// A config file instead of ./rlmq.toml or the user's config dir.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Most model calls sent for the whole run: llm() calls and, in sessions, root-model turns, at every depth (cache hits are free).
    #[arg(long)]
    pub max_llm_calls: Option<u64>,
    /// Most tokens (input and output) for the whole run.
    #[arg(long)]
    pub max_tokens: Option<u64>,
    /// Most USD for the whole run, from the configured prices.
    #[arg(long, value_parser = amount)]
    pub max_usd: Option<f64>,
    /// Most seconds of wall time for the whole run's model calls, counted from the first call (in `ask`, from the start): no call starts after it, and calls waiting for a reply are cut off.
    #[arg(long, value_parser = amount)]
    pub max_seconds: Option<f64>,
    /// Deepest recursion of rlm() sub-sessions (the root program is depth 0).
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Sub-calls in flight at once, across the whole run.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Neither read nor write the reply cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Where replies are cached.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Append one JSON line per event (run start and end, sessions, turns, model calls, retries) to this file.
    #[arg(long, value_name = "PATH")]
    pub trace: Option<PathBuf>,
}

/// What the subcommands that run sessions (`ask`, `serve`, `mcp`) take: the
/// context, models and budgets, interpreter limits, and the loop's settings.
#[derive(Args, Debug)]
pub struct SessionInputs {
    /// The context documents.
    #[command(flatten)]
    pub context: ContextArgs,
    /// Models, budgets, cache and trace.
    #[command(flatten)]
    pub models: ModelArgs,
    /// Interpreter limits of each turn.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Settings of the root loop.
    #[command(flatten)]
    pub session: SessionArgs,
}

impl SessionInputs {
    /// The loop's options (see [`SessionArgs::options`]).
    pub fn options(&self) -> crate::session::Options {
        self.session.options(&self.limits, &self.context)
    }
}

/// Settings of the root loop, shared by the subcommands that run sessions.
#[derive(Args, Debug, Clone)]
pub struct SessionArgs {
    /// Root-model turns at most.
    #[arg(long, default_value_t = 20)]
    pub max_iterations: u32,
    /// Turns in a row that may fail (script error, no rlq block) before the session ends.
    #[arg(long, default_value_t = 5)]
    pub max_errors: u32,
    /// Characters of each turn's output shown to the model (head and tail kept).
    #[arg(long, default_value_t = 10_000)]
    pub max_output_chars: usize,
    /// Reply allowance of each root-model turn, in tokens (default: the configured max_tokens).
    #[arg(long, value_name = "TOKENS")]
    pub root_max_tokens: Option<u32>,
    /// Include the worked examples (prompts/examples/) in the system prompt.
    #[arg(long)]
    pub examples: bool,
}

impl SessionArgs {
    /// The loop's options with these interpreter limits (printed output
    /// capped at 64 MiB a turn) over the context given as `context`.
    pub fn options(&self, limits: &LimitArgs, context: &ContextArgs) -> crate::session::Options {
        let mut limits = limits.limits();
        limits.max_output = limits.max_output.min(64 << 20);
        crate::session::Options {
            root_model: None,
            root_max_tokens: self.root_max_tokens,
            max_iterations: self.max_iterations,
            max_errors: self.max_errors,
            max_output_chars: self.max_output_chars,
            limits,
            examples: self.examples,
            context_paths: context
                .context
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        }
    }
}

/// What an interactive shell (`rlmq kernel`, `rlmq repl`) opens on.
#[derive(Args, Debug)]
pub struct ShellArgs {
    #[command(flatten)]
    context: ContextArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    models: ModelArgs,
    /// Bind the variable `question` to this text.
    #[arg(long)]
    question: Option<String>,
}

impl ShellArgs {
    /// The memory limit in bytes (bounds what one input line may hold).
    pub fn max_memory_bytes(&self) -> usize {
        self.limits.limits().max_memory
    }

    /// A shell over the context, with the sub-model configured and
    /// `question` bound, or the exit code after printing why there is none.
    /// `prefix` names the shell's inputs in diagnostics.
    pub fn open(&self, prefix: &str) -> Result<crate::session::Shell, u8> {
        let fail = |code: u8| {
            move |e: String| {
                eprintln!("error: {e}");
                code
            }
        };
        let config = self.models.config().map_err(fail(2))?;
        let context = self.context.load(&self.limits.limits()).map_err(fail(2))?;
        let mut shell =
            crate::session::Shell::new(std::sync::Arc::new(context), self.limits.limits(), prefix)
                .map_err(|e| fail(1)(e.to_string()))?;
        if let Some(q) = &self.question {
            shell.bind_str("question", q);
        }
        shell.engine_mut().rt.models = Some(self.models.models(config, &self.limits.limits()));
        Ok(shell)
    }
}

impl ModelArgs {
    /// Models over `config`; with `--model`, `rlm()` runs sub-sessions
    /// whose turns have the interpreter limits `limits`.
    pub fn models(
        &self,
        config: crate::llm::LlmConfig,
        limits: &Limits,
    ) -> crate::eval::models::Models {
        let mut models = crate::eval::models::Models::new(config);
        if let Some(root) = &self.model {
            let options = crate::session::Options {
                root_model: Some(root.clone()),
                limits: Limits {
                    max_output: limits.max_output.min(64 << 20),
                    ..limits.clone()
                },
                ..crate::session::Options::default()
            };
            models.sub_session = Some(std::sync::Arc::new(crate::session::run::Recurse::new(
                std::sync::Arc::new(options),
            )));
        }
        models
    }

    /// The configuration: environment and config file, then these flags.
    pub fn config(&self) -> Result<crate::llm::LlmConfig, String> {
        let mut c =
            crate::llm::LlmConfig::from_env_file_provider(self.config.as_deref(), self.provider)
                .map_err(|e| e.to_string())?;
        if let Some(url) = &self.base_url {
            c.base_url = url.trim_end_matches('/').to_string();
        }
        if let Some(m) = &self.model {
            c.root_model = m.clone();
            if self.sub_model.is_none() {
                c.sub_model = m.clone();
            }
        }
        if let Some(m) = &self.sub_model {
            c.sub_model = m.clone();
        }
        let b = &mut c.budget;
        b.max_calls = self.max_llm_calls.or(b.max_calls);
        b.max_tokens = self.max_tokens.or(b.max_tokens);
        b.max_usd = self.max_usd.or(b.max_usd);
        b.max_seconds = self.max_seconds.or(b.max_seconds);
        if let Some(d) = self.max_depth {
            b.max_depth = d;
        }
        if let Some(n) = self.concurrency {
            c.concurrency = n;
        }
        if self.no_cache {
            c.cache = false;
        }
        if let Some(d) = &self.cache_dir {
            c.cache_dir = d.clone();
        }
        if let Some(t) = &self.trace {
            c.trace = Some(t.clone());
        }
        c.validate().map_err(|e| e.to_string())?;
        Ok(c)
    }
}
