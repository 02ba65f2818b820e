//! The `rlmq` command.
fn main() {}
