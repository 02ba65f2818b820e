//! Running rlq: values, scopes, operators, the interpreter and its limits.

pub mod effects;
pub mod env;
pub mod fanout;
pub mod flow;
pub mod format;
pub mod interp;
pub mod limits;
pub mod models;
pub mod ops;
pub mod render;
pub mod value;

pub use env::Globals;
pub use interp::Runtime;
pub use limits::Limits;
pub use value::Value;
