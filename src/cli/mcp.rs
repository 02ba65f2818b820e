//! `rlmq mcp`: a Model Context Protocol server on standard input and
//! output. Tools: `rlq` (run code against the context; variables persist,
//! output is cut, errors come back as data), `describe_context`, and `ask`
//! (a whole session) when a model is configured. Per call: the interpreter
//! limits, the output cut and the model budget of `--call-max-llm-calls`,
//! `--call-max-tokens`, `--call-max-usd` and `--call-max-seconds` (which a
//! call's arguments may narrow); per server: the model budget of
//! `--max-llm-calls`, `--max-tokens`, `--max-usd` and `--max-seconds`,
//! which every call's `llm()` and every `ask` also spend from.

use std::sync::Arc;

use clap::Args;

use super::inputs::SessionInputs;
use crate::llm::BudgetLimits;
use crate::mcp::server::RlmqMcp;
use crate::mcp::worker::Worker;
use crate::session::{Session, Shell};

/// Arguments of `rlmq mcp`.
#[derive(Args, Debug)]
pub struct McpArgs {
    #[command(flatten)]
    inputs: SessionInputs,
    /// Most model calls of one tool call (--max-llm-calls bounds the whole server).
    #[arg(long, value_name = "N")]
    call_max_llm_calls: Option<u64>,
    /// Most tokens (input and output) of one tool call.
    #[arg(long, value_name = "N")]
    call_max_tokens: Option<u64>,
    /// Most USD of one tool call, from the configured prices.
    #[arg(long, value_name = "USD")]
    call_max_usd: Option<f64>,
    /// Most seconds of model time of one tool call.
    #[arg(long, value_name = "SECS")]
    call_max_seconds: Option<f64>,
}

fn fail(msg: impl std::fmt::Display) -> u8 {
    eprintln!("error: {msg}");
    2
}

/// Runs `rlmq mcp`.
pub fn run(args: McpArgs) -> u8 {
    let config = match args.inputs.models.config() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let call_limits = BudgetLimits {
        max_calls: args.call_max_llm_calls,
        max_tokens: args.call_max_tokens,
        max_usd: args.call_max_usd,
        max_seconds: args.call_max_seconds,
        max_depth: config.budget.max_depth,
    };
    if let Err(e) = call_limits.validate() {
        return fail(
            e.replace("max_usd", "--call-max-usd")
                .replace("max_seconds", "--call-max-seconds"),
        );
    }
    let limits = args.inputs.limits.limits();
    let context = match args.inputs.context.load(&limits) {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(e),
    };
    // One backend for the server's life, whose budget every call's own
    // (nested) budget also spends from. Without a usable model, llm() says
    // why when called; with one, each rlq call runs on its own backend.
    let calls = Session::new(Arc::clone(&context))
        .config(config.clone())
        .backend()
        .ok();
    let shell_context = Arc::clone(&context);
    let worker = Worker::start(move || {
        let mut shell = Shell::new(shell_context, limits, "call")?;
        shell.engine_mut().rt.models = Some(crate::eval::models::Models::new(config));
        Ok(shell)
    });
    let worker = match worker {
        Ok(w) => w,
        Err(e) => return fail(e),
    };
    let handler = RlmqMcp {
        worker,
        context,
        calls,
        call_limits,
        options: args.inputs.options(),
        max_output_chars: args.inputs.session.max_output_chars,
    };
    match crate::mcp::serve(handler) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
