//! `rlmq ask`: a root model answers a question about a context by writing
//! rlq a turn at a time. Prints the answer (and one summary line on
//! stderr). Exit codes: 0 the model called `final`; 3 it did not, and the
//! answer printed is the best found in its variables (stderr says which);
//! 1 no answer at all; 2 usage or setup error.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use super::inputs::SessionInputs;
use crate::session::{Answer, Session};
use crate::trajectory::{cost, count, duration, group};

/// Arguments of `rlmq ask`.
#[derive(Args, Debug)]
pub struct AskArgs {
    /// The question.
    question: Option<String>,
    /// Read the question from this file instead.
    #[arg(long, value_name = "PATH", conflicts_with = "question")]
    question_file: Option<PathBuf>,
    #[command(flatten)]
    inputs: SessionInputs,
    /// Print one JSON object (answer, status, turns, usage) instead of the answer.
    #[arg(long)]
    json: bool,
}

fn usage_error(msg: impl std::fmt::Display) -> u8 {
    eprintln!("error: {msg}");
    2
}

/// Runs `rlmq ask`.
pub fn run(args: AskArgs) -> u8 {
    let question = match (&args.question, &args.question_file) {
        (Some(q), _) => q.clone(),
        (None, Some(p)) => match std::fs::read(p) {
            Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
            Err(e) => return usage_error(format!("cannot read {}: {e}", p.display())),
        },
        (None, None) => {
            return usage_error("no question: rlmq ask \"...\" --context PATH (or --question-file)")
        }
    };
    if question.trim().is_empty() {
        return usage_error("the question is empty");
    }
    let config = match args.inputs.models.config() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let context = match args.inputs.context.load(&args.inputs.limits.limits()) {
        Ok(c) => Arc::new(c),
        Err(e) => return usage_error(e),
    };
    let options = args.inputs.options();
    let session = Session::new(context).config(config).options(options);
    let answer = match session.ask(&question) {
        Ok(a) => a,
        Err(e) => return usage_error(e),
    };
    report(&answer, args.json)
}

fn report(answer: &Answer, as_json: bool) -> u8 {
    let code = if answer.is_final() {
        0
    } else if answer.source.is_some() {
        3
    } else {
        1
    };
    let mut out = std::io::stdout().lock();
    if as_json {
        let v = json!({
            "answer": answer.text,
            "status": answer.status.name(),
            "reason": if answer.reason.is_empty() { None } else { Some(&answer.reason) },
            "answer_from": answer.source,
            "turns": answer.turns,
            "usage": answer.usage,
            "elapsed_ms": answer.elapsed.as_millis() as u64,
            "trace": answer.trace.as_ref().map(|p| p.display().to_string()),
        });
        let _ = writeln!(out, "{v}");
    } else if !answer.text.is_empty() || answer.is_final() {
        let _ = writeln!(out, "{}", answer.text);
    }
    let _ = out.flush();
    let u = &answer.usage;
    let cached = match u.prompt_cache_read_tokens {
        0 => String::new(),
        n => format!(
            " ({} from the prompt cache, saving {})",
            group(n),
            cost(u.prompt_cache_saved_usd, false)
        ),
    };
    let totals = format!(
        "{}, {}, {} → {} tokens{cached}, {}, {}",
        count(answer.turns.into(), "turn", "turns"),
        count(u.calls, "model call", "model calls"),
        group(u.input_tokens),
        group(u.output_tokens),
        u.cost_usd
            .map_or("cost unknown".to_string(), |c| cost(c, false)),
        duration(answer.elapsed.as_millis() as u64)
    );
    match (answer.is_final(), &answer.source) {
        (true, _) => eprintln!("rlmq: final answer after {totals}"),
        (false, Some(var)) => eprintln!(
            "rlmq: NOT a final answer: {}; printed the best available answer, from the variable `{var}` ({totals})",
            answer.reason
        ),
        (false, None) => eprintln!("rlmq: no answer: {} ({totals})", answer.reason),
    }
    code
}
