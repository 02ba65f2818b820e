//! `rlmq replay`: runs recorded sessions again from their trace, with no
//! network: model replies come from the trace, the interpreter runs the
//! code again, and each answer must match the recorded one. Prints each
//! replayed answer; exit 0 when all match, 1 when one does not, 2 when the
//! trace or context cannot be read.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::session::replay::{replay, ReplaySettings};

/// Arguments of `rlmq replay`.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The trace file written by `rlmq ask --trace`.
    trace: PathBuf,
    /// The context, if not at the recorded paths (repeatable).
    #[arg(short = 'c', long = "context", value_name = "PATH")]
    context: Vec<PathBuf>,
    /// Write the replay's own trace here.
    #[arg(long = "out-trace", value_name = "PATH")]
    out_trace: Option<PathBuf>,
    /// Read the context into memory instead of mapping it.
    #[arg(long)]
    no_mmap: bool,
}

/// Runs `rlmq replay`.
pub fn run(args: ReplayArgs) -> u8 {
    let text = match std::fs::read(&args.trace) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.trace.display());
            return 2;
        }
    };
    let settings = ReplaySettings {
        context: args.context,
        trace: args.out_trace,
        no_mmap: args.no_mmap,
    };
    let results = match replay(&text, &settings) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut all = true;
    let mut out = std::io::stdout().lock();
    for (i, r) in results.iter().enumerate() {
        let _ = writeln!(out, "{}", r.answer.text);
        let ok = r.matches();
        all &= ok;
        let what = match (&r.recorded, ok) {
            (_, true) => "the answer matches the recording".to_string(),
            (None, false) => "the recording ends before the session did".to_string(),
            (Some((a, s)), false) => format!(
                "the answer DIFFERS from the recording (recorded {s}: {:?}; replayed {}: {:?})",
                crate::trajectory::tree::clip(a, 80),
                r.answer.status.name(),
                crate::trajectory::tree::clip(&r.answer.text, 80)
            ),
        };
        eprintln!(
            "rlmq: session {} of {} replayed: {} turns, {}",
            i + 1,
            results.len(),
            r.answer.turns,
            what
        );
        for d in &r.differences {
            eprintln!("  {d}");
        }
    }
    let _ = out.flush();
    if all {
        0
    } else {
        1
    }
}
