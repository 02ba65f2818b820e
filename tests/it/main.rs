//! One integration-test binary; each module is one concern.

/// Loading the context from files, folders and JSONL.
mod context_load;
/// The parallel search equals the sequential one, which equals the regex crate.
mod search_equivalence;
/// Character and line queries of a source against a naive reference.
mod source_index;
