//! `rlmq bench`: time rlmq's primitives on your own file.
//!
//! Prints a table (primitive, pattern, threads, result, median, spread,
//! GB/s, × raw scan) or, with `--json`, a JSON array with one object per
//! row. Exit codes: 0 success, 2 usage error (missing file, bad pattern).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use crate::bench::{self, pattern, Options};

/// Arguments of `rlmq bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The file to time the primitives on (mapped, as `rlmq run` maps it).
    #[arg(short = 'c', long = "context", value_name = "FILE")]
    context: PathBuf,
    /// A pattern to search for, in rlq syntax: 'ERROR' or '"ERROR"' (literal), 're"user_id: (\d+)"' (regex), '["a","b"]' (set); repeatable. Each replaces the pattern picked from the file for its kind.
    #[arg(short = 'p', long = "pattern", value_name = "P")]
    patterns: Vec<String>,
    /// What partition(by=...) splits before, in rlq syntax.
    #[arg(long, value_name = "P", default_value = r#"re"^## ""#)]
    split: String,
    /// Characters per piece for partition(size=...).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    size: usize,
    /// Timed runs per primitive (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Untimed runs before the timed ones.
    #[arg(long, value_name = "N", default_value_t = 1)]
    warmup: u32,
    /// Print a JSON array (one object per row) instead of the table.
    #[arg(long)]
    json: bool,
}

fn usage_error(msg: impl std::fmt::Display) -> u8 {
    eprintln!("error: {msg}");
    2
}

/// Runs `rlmq bench`.
pub fn run(args: BenchArgs) -> u8 {
    let mut patterns = Vec::with_capacity(args.patterns.len());
    for p in &args.patterns {
        match pattern::parse(p) {
            Ok(spec) => patterns.push(spec),
            Err(e) => return usage_error(format!("bad pattern `{p}`: {e}")),
        }
    }
    let split = match pattern::parse(&args.split) {
        Ok(spec) => spec,
        Err(e) => return usage_error(format!("bad --split pattern `{}`: {e}", args.split)),
    };
    if args.size == 0 {
        return usage_error("--size must be at least 1");
    }
    let opts = Options {
        runs: args.runs as usize,
        warmup: args.warmup as usize,
        patterns,
        split: Some(split),
        chunk_chars: args.size,
    };
    let tty = std::io::stderr().is_terminal();
    let mut progress = |what: &str| {
        if tty {
            eprint!("\r\x1b[2Ktiming {what}");
        }
    };
    let result = bench::run(&args.context, &opts, &mut progress);
    if tty {
        eprint!("\r\x1b[2K");
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let text = if args.json {
        format!("{}\n", bench::report::json(&report))
    } else {
        bench::report::table(&report)
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    0
}
