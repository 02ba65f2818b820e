//! One integration-test binary; each module is one concern.

mod common;

/// Scripts under tests/golden/ with their expected output.
mod golden;
/// Every rlq example of the reference, the README and the prompts runs.
mod docs;
/// The language's forms give what Python computes on the same context.
mod python_equiv;
/// Each builtin, one table row per behaviour.
mod builtins;
/// Rendered errors, as snapshots.
mod errors;
/// The command line: inputs, outputs, exit codes.
mod cli;
/// Programs models wrote from the reference alone pass `check`.
mod model_written;
/// `rlmq bench`: table, JSON, errors.
mod bench_cli;
