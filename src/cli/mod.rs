//! The `rlmq` command line: one file per subcommand, each with a `run`
//! that returns the process exit code.

pub mod ask;
pub mod bench;
pub mod check;
pub mod config;
pub mod inputs;
pub mod kernel;
pub mod mcp;
pub mod prompt;
pub mod repl;
pub mod replay;
pub mod run;
pub mod serve;
pub mod trace;

use clap::{Parser, Subcommand};

/// rlmq: run rlq programs over a large context, or let a model do it.
#[derive(Parser, Debug)]
#[command(name = "rlmq", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run an rlq script over a context; print what it prints, then its final value.
    Run(Box<run::RunArgs>),
    /// Parse and check a script (names, calls) without running it.
    Check(check::CheckArgs),
    /// Answer a question about a context: a root model writes rlq a turn at a time.
    Ask(Box<ask::AskArgs>),
    /// Run rlq sent as JSON lines on stdin ({"code": "..."}), one JSON answer per line: bring your own root model.
    Kernel(kernel::KernelArgs),
    /// Explore a context in rlq interactively, with line editing and history.
    Repl(repl::ReplArgs),
    /// Print the system prompt rlmq gives the root model.
    Prompt(prompt::PromptArgs),
    /// Show a trace file as a tree, or write it as an HTML report (--html).
    Trace(trace::TraceArgs),
    /// Run recorded sessions again from their trace, offline; the answers must match.
    Replay(replay::ReplayArgs),
    /// Serve the OpenAI chat completions API: each request answered as a session (or passed through when short).
    Serve(Box<serve::ServeArgs>),
    /// Serve the context to coding agents over the Model Context Protocol (stdio): run rlq, describe, ask.
    Mcp(Box<mcp::McpArgs>),
    /// Time the primitives (scan, search, partition, indexes, slices) on a file.
    Bench(bench::BenchArgs),
    /// Print the effective configuration: provider, models, windows, prices, budget (the key masked).
    Config(config::ConfigArgs),
}

/// Parses the command line and runs it; returns the exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(a) => run::run(*a),
        Command::Check(a) => check::run(a),
        Command::Kernel(a) => kernel::run(a),
        Command::Repl(a) => repl::run(a),
        Command::Prompt(a) => prompt::run(a),
        Command::Trace(a) => trace::run(a),
        Command::Ask(a) => ask::run(*a),
        Command::Replay(a) => replay::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Config(a) => config::run(a),
        Command::Serve(a) => serve::run(*a),
        Command::Mcp(a) => mcp::run(*a),
    }
}
