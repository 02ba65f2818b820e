//! A scripted LLM server on 127.0.0.1, for demos and trying rlmq without
//! a provider:
//!
//! ```text
//! cargo run --example mock_server -- examples/mock/label-rules.json [--port 8089]
//! ```
//!
//! It is an example rather than a binary so that `cargo install` puts only
//! `rlmq` on a user's PATH; the tests start the same server in-process
//! (`rlmq::llm::mock::MockServer`).
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
#[command(name = "mock_server", version)]
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
            eprintln!("mock_server: cannot read {}: {e}", args.rules.display());
            return ExitCode::from(2);
        }
    };
    let rules = match MockRules::from_json(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mock_server: {}: {e}", args.rules.display());
            return ExitCode::from(2);
        }
    };
    let server = match MockServer::start_on(rules, args.port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mock_server: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("OPENAI_BASE_URL={}", server.openai_url());
    println!("ANTHROPIC_BASE_URL={}", server.anthropic_url());
    loop {
        std::thread::park();
    }
}
