//! Any program that parses, run with small limits over a small context:
//! a value or a one-line error, never a panic, a hang or an abort.
#![no_main]

use std::sync::Arc;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use rlmq::context::Source;
use rlmq::context::{Context, Doc};
use rlmq::engine::Engine;
use rlmq::eval::Limits;

#[global_allocator]
static ALLOC: rlmq::alloc::CountingAlloc = rlmq::alloc::CountingAlloc;

const TEXT: &str = "ERROR disk full on host-1\nINFO ok\nWARN slow: 12 ms\nnaïve café 東京\n\nERROR again\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = Source::from_vec(TEXT.as_bytes().to_vec());
    let context = Context {
        source: Arc::new(source),
        docs: vec![Doc {
            name: "sample.txt".into(),
            range: 0..TEXT.len(),
        }],
    };
    let limits = Limits {
        max_steps: 200_000,
        max_time: Duration::from_millis(500),
        max_memory: rlmq::alloc::allocated() + (256 << 20),
        max_output: 1 << 20,
    };
    let Ok(mut engine) = Engine::new(Arc::new(context), limits) else {
        return;
    };
    let Ok(program) = engine.compile("fuzz.rlq", text) else {
        return;
    };
    let mut out = Vec::new();
    let _ = engine.run(&program, &mut out);
});
