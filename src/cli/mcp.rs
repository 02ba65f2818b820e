//! `rlmq mcp`: a Model Context Protocol server on standard input and
//! output. Tools: `rlq` (run code against the context; variables persist,
//! output is cut, errors come back as data), `describe_context`, and `ask`
//! (a whole session) when a model is configured. Per call: the interpreter
//! limits and the output cut; per server: the model budget, shared by every
//! call's `llm()` and every `ask`.

use std::sync::Arc;

use clap::Args;

use super::inputs::SessionInputs;
use crate::mcp::server::RlmqMcp;
use crate::mcp::worker::Worker;
use crate::session::{Session, Shell};

/// Arguments of `rlmq mcp`.
#[derive(Args, Debug)]
pub struct McpArgs {
    #[command(flatten)]
    inputs: SessionInputs,
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
    let context = match args.inputs.context.load(&args.inputs.limits.limits()) {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(e),
    };
    // One backend for the server's life: rlq's llm() and ask sessions share
    // its budget. Without a usable model, llm() says why when called.
    let calls = Session::new(Arc::clone(&context))
        .config(config.clone())
        .backend()
        .ok();
    let limits = args.inputs.limits.limits();
    let shell_context = Arc::clone(&context);
    let shell_calls = calls.clone();
    let worker = Worker::start(move || {
        let mut shell = Shell::new(shell_context, limits, "call")?;
        shell.engine_mut().rt.models = Some(match shell_calls {
            Some(c) => crate::eval::models::Models::shared(c, 0),
            None => crate::eval::models::Models::new(config),
        });
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
