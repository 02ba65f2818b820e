//! Any text through the parser and the checker: a diagnostic or a program,
//! never a panic, a hang or a stack overflow.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rlmq::context::Context;
use rlmq::engine::Engine;
use rlmq::eval::Limits;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let engine = Engine::new(Arc::new(Context::empty()), Limits::default()).expect("engine");
    if let Err(diags) = engine.compile("fuzz.rlq", text) {
        let _ = rlmq::diag::render_all(&diags, &engine.sources());
    }
});
