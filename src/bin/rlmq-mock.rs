//! `rlmq-mock`: serves scripted LLM replies on 127.0.0.1 for demos.
//!
//! ```text
//! rlmq-mock rules.json [--port 8089]
//! ```
//!
//! The rules file is the JSON form of `rlmq::llm::mock::MockRules` (see
//! `src/llm/mock/rules.rs`). The server speaks the OpenAI-compatible and
//! the Anthropic protocols, prints the two base URLs, and serves until it is
//! interrupted.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rlmq::llm::mock::{MockRules, MockServer};

/// Serve scripted LLM replies on 127.0.0.1.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// JSON rules file.
    rules: PathBuf,
    /// Port on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let text = match std::fs::read_to_string(&args.rules) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("rlmq-mock: cannot read {}: {e}", args.rules.display());
            return ExitCode::from(2);
        }
    };
    let rules = match MockRules::from_json(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rlmq-mock: {}: {e}", args.rules.display());
            return ExitCode::from(2);
        }
    };
    let server = match MockServer::start_on(rules, args.port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rlmq-mock: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("OPENAI_BASE_URL={}", server.openai_url());
    println!("ANTHROPIC_BASE_URL={}", server.anthropic_url());
    loop {
        std::thread::park();
    }
}
