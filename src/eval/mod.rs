//! Running rlq: values, scopes, operators, the interpreter and its limits.

mod access;
mod call;
mod coalesce;
pub mod depth;
pub mod effects;
pub mod env;
mod errors;
mod exec;
mod expr;
pub mod fanout;
pub mod flow;
pub mod format;
pub mod interp;
mod iterate;
pub mod limits;
pub mod map_pool;
mod matches;
pub mod models;
pub mod ops;
mod place;
pub mod record;
pub mod render;
mod shadow;
pub mod source_ref;
mod split_field;
mod thread_copies;
pub mod value;
mod walk;

pub use env::Globals;
pub use interp::Runtime;
pub use limits::Limits;
pub use value::Value;
