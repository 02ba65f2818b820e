//! The `rlmq` command.

use std::process::ExitCode;

#[global_allocator]
static ALLOC: rlmq::alloc::CountingAlloc = rlmq::alloc::CountingAlloc;

/// Native stack of the interpreter thread: deep programs recurse deeply
/// (the same as a `map` worker's).
const STACK: usize = rlmq::eval::fanout::WORKER_STACK;

fn main() -> ExitCode {
    let worker = std::thread::Builder::new()
        .name("rlmq".into())
        .stack_size(STACK)
        .spawn(rlmq::cli::main);
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!("error: internal failure (please report it with the script that caused it)");
            ExitCode::from(70)
        }
    }
}
