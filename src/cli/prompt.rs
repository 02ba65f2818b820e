//! `rlmq prompt`: prints the system prompt rlmq gives the root model (with
//! the additions for the root model: `--model`, else the configured one),
//! and with `--question` also the first message it would send about
//! `--context`, with the sub-call size of the configured sub-model.

use std::io::Write;

use clap::Args;

use super::inputs::{ContextArgs, ModelArgs};
use crate::llm::SubCalls;
use crate::session::prompt::{system_prompt, ContextFacts, FirstMessage};

/// Arguments of `rlmq prompt`.
#[derive(Args, Debug)]
pub struct PromptArgs {
    #[command(flatten)]
    models: ModelArgs,
    /// Append the worked examples (prompts/examples/).
    #[arg(long)]
    examples: bool,
    /// Also print the first message for this question (and --context).
    #[arg(long)]
    question: Option<String>,
    #[command(flatten)]
    context: ContextArgs,
    /// Output shown per turn, in characters (stated in the first message).
    #[arg(long, default_value_t = 10_000)]
    max_output_chars: usize,
    /// Turns (stated in the first message).
    #[arg(long, default_value_t = 20)]
    max_iterations: u32,
}

/// Runs `rlmq prompt`.
pub fn run(args: PromptArgs) -> u8 {
    let config = match args.models.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut text = system_prompt(Some(&config.root_model), args.examples);
    if let Some(q) = &args.question {
        let context = match args.context.load(&crate::eval::Limits::default()) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        };
        let facts = ContextFacts::of(&context, config.chars_per_token);
        let mut quiet = config.clone();
        quiet.trace = None;
        quiet.cache = false;
        let sub_input_chars = SubCalls::new(quiet)
            .ok()
            .map(|c| c.budget(0).sub_input_chars);
        text.push_str("\n----- first message -----\n\n");
        text.push_str(
            &FirstMessage {
                question: q,
                facts: &facts,
                sub_input_chars,
                max_output_chars: args.max_output_chars,
                max_iterations: args.max_iterations,
            }
            .render(),
        );
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    0
}
