//! `rlmq kernel`: bring your own root model. One JSON object per line on
//! standard input, `{"code": "..."}`, runs as the next turn; one JSON
//! object per line answers it on standard output:
//!
//! ```json
//! {"turn": 1, "output": "...", "truncated": false, "error": null, "final": null,
//!  "usage": {"elapsed_ms": 0.4, "calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}}
//! ```
//!
//! `llm()` calls go to the sub-model configured as for `rlmq run`
//! (environment, `rlmq.toml`, `--sub-model`, budgets); `usage` counts what
//! the line's code spent on them (`cost_usd` is `null` when a price is
//! unknown).
//!
//! Variables persist from line to line. `output` is the printed output cut
//! to `--max-output-chars` (head and tail, with a line saying how much was
//! cut; `"max_output_chars"` in a request overrides it for that line);
//! `error` is the caret diagnostic of a parse, check or runtime error (the
//! variables set before it are kept); `final` is the value given to
//! `final(...)`, rendered as `rlmq run` prints it. A line that is not such
//! an object gets an answer with only `error` set. The kernel ends at the
//! end of its input, with exit code 0.

use std::io::{BufRead, Read, Write};

use clap::Args;
use serde_json::{json, Value as Json};

use super::inputs::ShellArgs;
use crate::llm::Usage;
use crate::session::truncate::truncate;
use crate::session::Shell;

/// Arguments of `rlmq kernel`.
#[derive(Args, Debug)]
pub struct KernelArgs {
    #[command(flatten)]
    shell: ShellArgs,
    /// Output returned per line, in characters (head and tail kept).
    #[arg(long, default_value_t = 10_000)]
    max_output_chars: usize,
}

/// Runs `rlmq kernel`.
pub fn run(args: KernelArgs) -> u8 {
    let mut shell = match args.shell.open("line") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut input_line = 0u64;
    let max_line = args.shell.max_memory_bytes();
    let mut reader = stdin.lock();
    loop {
        // A line is read up to the memory limit and no further: a line
        // that never ends is refused, not held.
        let mut bytes = Vec::new();
        let limit = u64::try_from(max_line)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        match (&mut reader).take(limit).read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: cannot read standard input: {e}");
                return 1;
            }
        }
        input_line += 1;
        if bytes.len() > max_line {
            eprintln!(
                "error: input line {input_line} is longer than the {} MiB --max-memory allows",
                max_line >> 20
            );
            return 1;
        }
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let reply = answer(&mut shell, line, input_line, args.max_output_chars);
        let mut out = stdout.lock();
        if writeln!(out, "{reply}").and_then(|_| out.flush()).is_err() {
            return 0; // the reader went away
        }
    }
    0
}

/// The answer to one input line.
fn answer(shell: &mut Shell, line: &str, input_line: u64, default_max: usize) -> Json {
    let request: Json = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return refusal(format!("input line {input_line} is not JSON ({e}); send one object per line: {{\"code\": \"...\"}}")),
    };
    let Some(code) = request.get("code").and_then(Json::as_str) else {
        return refusal(format!(
            "input line {input_line} has no \"code\" string; send {{\"code\": \"...\"}}"
        ));
    };
    let max = match request.get("max_output_chars") {
        None | Some(Json::Null) => default_max,
        Some(v) => match v.as_u64() {
            Some(n) => n.min(usize::MAX as u64) as usize,
            None => {
                return refusal(format!(
                    "input line {input_line}: \"max_output_chars\" must be a whole number"
                ))
            }
        },
    };
    turn_reply(shell, code, max)
}

/// Runs `code` as the shell's next turn and answers as the kernel does:
/// output cut to `max_output_chars`, the error as data, the final value,
/// and what the turn's sub-calls spent (`rlmq mcp` answers the same way).
pub fn turn_reply(shell: &mut Shell, code: &str, max_output_chars: usize) -> Json {
    let before = spent(shell);
    let turn = shell.run(code);
    let after = spent(shell);
    let cut = truncate(&turn.output, max_output_chars);
    json!({
        "turn": turn.index,
        "output": cut.text,
        "truncated": cut.truncated(),
        "error": turn.error.as_ref().map(|e| e.rendered.clone()),
        "final": turn.final_text(),
        "usage": {
            "elapsed_ms": (turn.elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            "calls": after.calls - before.calls,
            "input_tokens": after.input_tokens - before.input_tokens,
            "output_tokens": after.output_tokens - before.output_tokens,
            "cost_usd": match (after.cost_usd, before.cost_usd) {
                (Some(a), Some(b)) => Some(((a - b) * 1e9).round() / 1e9),
                (Some(a), None) if before.calls == 0 => Some(a),
                _ => None,
            },
        },
    })
}

/// What the sub-calls spent so far (nothing before the first one).
fn spent(shell: &Shell) -> Usage {
    shell
        .engine()
        .rt
        .models
        .as_ref()
        .and_then(|m| m.started())
        .map(|c| c.totals())
        .unwrap_or_default()
}

fn refusal(message: String) -> Json {
    json!({
        "turn": null,
        "output": "",
        "truncated": false,
        "error": message,
        "final": null,
        "usage": null,
    })
}
