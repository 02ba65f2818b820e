//! rlmq: a Recursive Language Model engine.
//!
//! The document stays outside the model as a memory-mapped *context*; a
//! model (or a person) writes short programs in **rlq** that peek, search,
//! slice and partition it and hand small pieces to sub-model calls. This
//! crate holds the whole pipeline:
//!
//! - [`syntax`]: lexing and parsing rlq into an AST, with diagnostics;
//! - [`check`]: names and calls checked before anything runs;
//! - [`eval`]: values, scopes, the interpreter and its limits;
//! - [`builtins`]: the built-in functions, one family per file;
//! - [`stdlib`]: helpers written in rlq itself;
//! - [`context`]: the memory-mapped context, its documents, and the
//!   character and line indexes that make offsets cheap;
//! - [`search`]: literal, literal-set and regex search over bytes, parallel
//!   over one large text;
//! - [`engine`]: an interpreter with its variables, as `rlmq run` and
//!   sessions use it;
//! - [`session`]: code run a turn at a time, as a root model, an agent
//!   framework or a person drives it;
//! - [`llm`]: sub-model calls: HTTP backends, budgets, cache, trace, and a
//!   scripted test server;
//! - [`diag`]: errors as data, rendered for people and models;
//! - [`trajectory`]: trace files read back as a tree, for the terminal
//!   and as an HTML report;
//! - [`bench`]: timing the primitives on a file (`rlmq bench`);
//! - [`mcp`]: the Model Context Protocol server (`rlmq mcp`);
//! - [`serve`]: the OpenAI-compatible HTTP server (`rlmq serve`);
//! - [`cli`]: the `rlmq` command.
#![warn(missing_docs)]

pub mod alloc;
pub mod bench;
pub mod builtins;
pub mod check;
pub mod cli;
pub mod context;
pub mod diag;
pub mod engine;
pub mod eval;
pub mod llm;
pub mod mcp;
pub mod search;
pub mod serve;
pub mod session;
pub mod stdlib;
pub mod stopped;
pub mod suggest;
pub mod syntax;
pub mod trajectory;

/// The Rust examples of the README, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/readme_rust.md"))]
pub struct ReadmeExamples;

pub use context::Context;
pub use session::{Answer, Session, SessionError, Shell, Status, TurnRun};
