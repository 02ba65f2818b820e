//! One integration-test binary; each module is one concern.

mod common;

/// `rlmq ask` and `rlmq replay` against the scripted root model.
mod ask;
/// `rlmq bench`: table, JSON, errors.
mod bench_cli;
/// Each builtin, one table row per behaviour.
mod builtins;
/// Root-model turns through the sub-call pipeline.
mod chat;
/// Pages checked in headless Chromium.
mod chromium;
/// The command line: inputs, outputs, exit codes.
mod cli;
/// Older turns summarised when a conversation nears the window.
mod compaction;
/// `rlmq config` and where the configuration comes from.
mod config;
/// Loading the context from files, folders and JSONL.
mod context_load;
/// Every rlq example of the reference, the README and the prompts runs.
mod docs;
/// Rendered errors, as snapshots.
mod errors;
/// Scripts under tests/golden/ with their expected output.
mod golden;
/// The interpreter benchmark suite's programs print what their Python twins print.
mod interp_suite;
/// `rlmq kernel` driven line by line.
mod kernel;
/// The budget of a `map` of sub-calls: checked whole before it starts.
mod map_budget;
/// `rlmq mcp` over stdio, by hand and with the `mcp` Python SDK.
mod mcp;
/// Sub-model calls from rlq programs, against the scripted server.
mod model_calls;
/// Programs models wrote from the reference alone pass `check`.
mod model_written;
/// Names found through slot hints: locals, globals, hidden builtins.
mod names;
/// Root-model conversations read their prefix from the providers' prompt caches.
mod prompt_cache;
/// The language's forms give what Python computes on the same context.
mod python_equiv;
/// `rlm()` sub-sessions in `rlmq run` and `rlmq kernel`.
mod recursion;
/// `rlmq repl` and `rlmq prompt`.
mod repl;
/// The report of a traced script run.
mod report;
/// No input crashes rlmq and no script escapes a limit.
mod robustness;
/// The parallel search equals the sequential one, which equals the regex crate.
mod search_equivalence;
/// `rlmq serve` over HTTP, by hand and with the `openai` Python client.
mod serve;
/// The root loop from Rust, against the scripted root model.
mod session;
/// Character and line queries of a source against a naive reference.
mod source_index;
/// The sub-call backend: retries, cache, budgets, errors, over real HTTP.
mod subcalls;
/// The parser: shapes, layout, and syntax errors.
mod syntax;
