//! The `rlmq` command line: one file per subcommand, each with a `run`
//! that returns the process exit code.

pub mod bench;
pub mod check;
pub mod inputs;
pub mod run;

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
    /// Time the primitives (scan, search, partition, indexes, slices) on a file.
    Bench(bench::BenchArgs),
}

/// Parses the command line and runs it; returns the exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(a) => run::run(*a),
        Command::Check(a) => check::run(a),
        Command::Bench(a) => bench::run(a),
    }
}
