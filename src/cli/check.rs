//! `rlmq check`: parse and check a script without running it. The names a
//! session binds (`question`) count as defined.

use std::sync::Arc;

use clap::Args;

use super::inputs::ScriptArgs;
use crate::context::Context;
use crate::diag::render_all;
use crate::engine::Engine;
use crate::eval::{Limits, Value};

/// Arguments of `rlmq check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    script: ScriptArgs,
}

/// Runs `rlmq check`; 0 when the script is fine, 2 otherwise.
pub fn run(args: CheckArgs) -> u8 {
    let (name, text) = match args.script.read() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut engine = match Engine::new(Arc::new(Context::empty()), Limits::default()) {
        Ok(e) => e,
        Err(d) => {
            eprintln!("{}", d.message);
            return 1;
        }
    };
    // A script may read what a session binds (`question`).
    for name in crate::session::SESSION_NAMES {
        engine.globals.set(Arc::from(*name), Value::str(""));
    }
    match engine.compile(&name, &text) {
        Ok(_) => {
            println!("ok: {name}");
            0
        }
        Err(diags) => {
            eprint!("{}", render_all(&diags, &engine.sources()));
            eprintln!(
                "{} problem{} found",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" }
            );
            2
        }
    }
}
