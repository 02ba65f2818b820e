//! `rlmq serve`: an OpenAI-compatible HTTP server (`POST
//! /v1/chat/completions`, `GET /v1/models`) answering each request as a
//! session over the `--context` corpus and the request's long content, or
//! passing short requests straight to the root model. Prints the base URL
//! on standard output once it listens.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use sha2::{Digest, Sha256};

use super::inputs::SessionInputs;
use crate::serve::{App, Server};
use crate::session::Session;

/// Arguments of `rlmq serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    #[command(flatten)]
    inputs: SessionInputs,
    /// Write one trace per request to DIR/<trace id>.jsonl (for `rlmq trace` and `rlmq replay`).
    #[arg(long, value_name = "DIR")]
    trace_dir: Option<PathBuf>,
    /// Require `Authorization: Bearer <key>` with the key held by this environment variable.
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    /// Largest request body accepted, in bytes (larger ones get a 400).
    #[arg(long, default_value_t = 32 << 20)]
    max_body_bytes: usize,
    /// With no --context, requests of at most this many characters go straight to the root model.
    #[arg(long, default_value_t = 20_000)]
    passthrough_chars: usize,
    /// Parts of a message longer than this many characters become documents of the context.
    #[arg(long, default_value_t = 4_000)]
    document_chars: usize,
}

fn fail(msg: impl std::fmt::Display) -> u8 {
    eprintln!("error: {msg}");
    2
}

/// Runs `rlmq serve`.
pub fn run(args: ServeArgs) -> u8 {
    if args.inputs.models.trace.is_some() {
        return fail(
            "rlmq serve writes one trace per request: use --trace-dir DIR instead of --trace",
        );
    }
    let key_hash = match &args.api_key_env {
        None => None,
        Some(var) => match std::env::var(var) {
            Ok(k) if !k.trim().is_empty() => {
                Some(<[u8; 32]>::from(Sha256::digest(k.trim().as_bytes())))
            }
            _ => {
                return fail(format!(
                    "--api-key-env {var}: the variable is not set (or empty)"
                ))
            }
        },
    };
    if key_hash.is_none() && !args.host.is_loopback() {
        eprintln!(
            "rlmq serve: warning: listening on {} with no --api-key-env: anyone who can reach it spends this server's model budget",
            args.host
        );
    }
    let config = match args.inputs.models.config() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let context = match args.inputs.context.context.is_empty() {
        true => None,
        false => match args.inputs.context.load(&args.inputs.limits.limits()) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => return fail(e),
        },
    };
    if let Some(dir) = &args.trace_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fail(format!("cannot create --trace-dir {}: {e}", dir.display()));
        }
    }
    let base = match Session::new(crate::context::Context::empty())
        .config(config)
        .backend()
    {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let mut server = Server::new(base, context, args.inputs.options());
    server.trace_dir = args.trace_dir.clone();
    server.passthrough_chars = args.passthrough_chars;
    server.document_chars = args.document_chars;
    let app = App {
        server,
        key_hash,
        max_body_bytes: args.max_body_bytes,
    };
    let result = crate::serve::serve(app, SocketAddr::new(args.host, args.port), |addr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "rlmq serve: listening on http://{addr}/v1");
        let _ = out.flush();
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
