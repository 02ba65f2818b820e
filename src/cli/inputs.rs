//! Arguments shared by the subcommands that read a script and a context.

use std::path::PathBuf;
use std::time::Duration;

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
}

impl ContextArgs {
    /// Loads the context (an empty one when none is given).
    pub fn load(&self) -> Result<Context, String> {
        if self.context.is_empty() {
            return Ok(Context::empty());
        }
        let inputs: Vec<ContextInput> = self
            .context
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    ContextInput::Stdin
                } else {
                    ContextInput::Path(p.clone())
                }
            })
            .collect();
        Context::load(
            &inputs,
            &LoadOptions {
                mmap: !self.no_mmap,
            },
        )
        .map_err(|e| e.to_string())
    }
}

/// Limits on a run.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Most evaluation steps.
    #[arg(long, default_value_t = 1_000_000_000)]
    pub max_steps: u64,
    /// Most seconds of wall time.
    #[arg(long, default_value_t = 600.0)]
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
            max_time: Duration::from_secs_f64(self.max_time.clamp(0.0, 1e9)),
            max_memory: self.max_memory.saturating_mul(1 << 20),
            max_output: self.max_output,
        }
    }
}
