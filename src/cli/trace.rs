//! `rlmq trace`: a trace file drawn as a tree in the terminal, or written
//! as one self-contained HTML report with `--html`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::trajectory::{self, html, tree};

/// Arguments of `rlmq trace`.
#[derive(Args, Debug)]
pub struct TraceArgs {
    /// The trace file (JSON lines, from --trace).
    trace: PathBuf,
    /// Write an HTML report to this file instead of drawing the tree.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
    /// Lines of code and output, and sub-calls, shown per turn (0: all).
    #[arg(long, default_value_t = 6)]
    lines: usize,
}

/// Runs `rlmq trace`.
pub fn run(args: TraceArgs) -> u8 {
    let bytes = match std::fs::read(&args.trace) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.trace.display());
            return 2;
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let t = trajectory::read(&text);
    if t.roots.is_empty() && t.notes.is_empty() {
        eprintln!(
            "error: {} holds no trace events{}",
            args.trace.display(),
            t.problems
                .first()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        );
        return 1;
    }
    match &args.html {
        Some(path) => {
            let title = format!("rlmq trace: {}", args.trace.display());
            let page = html::render(&t, &title);
            if let Err(e) = std::fs::write(path, page) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return 1;
            }
            eprintln!("wrote {}", path.display());
        }
        None => {
            let text = tree::render(&t, tree::TreeOptions { lines: args.lines });
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }
    0
}
