//! An acceptance corpus: ten programs a model wrote from the language
//! reference alone (tests/model_written/). Every one must parse and pass
//! the checker; `cands` and `q` are bound by the host in one of them.

use std::sync::Arc;

use rlmq::context::Context;
use rlmq::engine::Engine;
use rlmq::eval::{Limits, Value};

use super::common::root;

#[test]
fn every_model_written_program_passes_check() {
    let mut engine = Engine::new(Arc::new(Context::empty()), Limits::default()).expect("engine");
    engine.globals.set(Arc::from("cands"), Value::list(vec![]));
    engine.globals.set(Arc::from("q"), Value::str(""));
    let dir = root().join("tests/model_written");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        if let Err(d) = engine.compile(&f.display().to_string(), &text) {
            failures.push(rlmq::diag::render_all(&d, &engine.sources()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
