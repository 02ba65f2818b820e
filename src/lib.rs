//! rlmq: a Recursive Language Model engine.
//!
//! The document stays outside the model as a memory-mapped *context*; a
//! model (or a person) writes short programs in **rlq** that peek, search,
//! slice and partition it and hand small pieces to sub-model calls. This
//! crate holds the whole pipeline:
//!
//! - [`syntax`]: lexing and parsing rlq into an AST, with diagnostics;
//! - [`context`]: the memory-mapped context, its documents, and the character
//!   and line indexes that make offsets cheap;
//! - [`search`]: literal, literal-set and regex search over bytes, parallel
//!   over one large text;
//! - [`llm`]: sub-model calls: HTTP clients, retries, budgets, cache,
//!   trace, token counts, and a scripted test server;
//! - [`diag`]: errors as data, rendered for people and models.
#![warn(missing_docs)]

pub mod diag;
pub mod llm;
pub mod syntax;
