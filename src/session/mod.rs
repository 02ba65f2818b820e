//! Sessions: a model (or a person, or another program) writes rlq a turn
//! at a time against one interpreter whose variables persist.
//!
//! - [`shell`]: the interpreter kept between turns, capturing each turn's
//!   output, error and final value;
//! - [`truncate`]: head-and-tail cutting of what a model is shown;
//! - [`extract`]: the first rlq block of a model's reply;
//! - [`prompt`]: the system prompt, the first message and the messages
//!   between turns.

pub mod extract;
pub mod prompt;
pub mod shell;
pub mod truncate;

pub use shell::{Shell, TurnError, TurnRun};
