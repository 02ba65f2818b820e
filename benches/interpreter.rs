//! End-to-end timings of rlq programs: parse + check + run, on a generated
//! text of about 100 MB (`cargo bench --bench interpreter`).
//!
//! Each program runs in a fresh engine over a freshly mapped context, as a
//! new `rlmq run` would (process start-up excepted), so index builds are
//! paid every time. The first rows time start-up alone: the standard library
//! parsed and loaded and a one-line script compiled and run, and the mapping
//! of the context file (targets: under 10 ms each).
//!
//! The text is generated once, deterministically (fixed seed), into
//! `CARGO_TARGET_TMPDIR` by the generator `benches/search.rs` uses too
//! (`benches/common`): sections headed `## Section N: ...`, English-like
//! paragraphs, blocks of records `user_id: N | date: YYYY-MM-DD | label: L`
//! and a few e-mail addresses. `RLMQ_BENCH_BYTES` changes the size, `RLMQ_BENCH_RUNS`
//! the number of timed runs (default 5, after one warm-up).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use rlmq::context::{Context, ContextInput, LoadOptions};
use rlmq::engine::Engine;
use rlmq::eval::Limits;

/// Seed of the generated text (the one `benches/search.rs` uses).
const SEED: u64 = 20_251_120;

#[global_allocator]
static ALLOC: rlmq::alloc::CountingAlloc = rlmq::alloc::CountingAlloc;

/// The generated file, made once per size.
fn data_file(bytes: usize) -> std::io::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("interpreter-{SEED}-{bytes}.txt"));
    if !path.exists() {
        let tmp = dir.join(format!("interpreter-{SEED}-{bytes}.txt.tmp"));
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        common::generate(&mut out, bytes as u64, SEED)?;
        out.flush()?;
        drop(out);
        std::fs::rename(&tmp, &path)?;
    }
    Ok(path)
}

fn load(path: &Path) -> Result<Arc<Context>, String> {
    Context::load(
        &[ContextInput::Path(path.to_path_buf())],
        &LoadOptions::default(),
    )
    .map(Arc::new)
    .map_err(|e| e.to_string())
}

/// Maps the context, starts an engine (standard library included),
/// compiles and runs `code`; returns the final value as text.
fn run_program(path: Option<&Path>, code: &str) -> Result<String, String> {
    let context = match path {
        Some(p) => load(p)?,
        None => Arc::new(Context::empty()),
    };
    let mut engine = Engine::new(context, Limits::default()).map_err(|d| d.message)?;
    let program = engine
        .compile("bench.rlq", code)
        .map_err(|d| d.first().map_or_else(String::new, |d| d.message.clone()))?;
    let mut sink = Vec::new();
    let v = engine.run(&program, &mut sink).map_err(|d| d.message)?;
    Ok(v.map(|v| rlmq::eval::render::display(&v))
        .unwrap_or_default())
}

struct Timed {
    median: Duration,
    min: Duration,
    max: Duration,
    result: String,
}

fn time(runs: usize, mut f: impl FnMut() -> Result<String, String>) -> Result<Timed, String> {
    f()?;
    let mut v = Vec::with_capacity(runs);
    let mut result = String::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        result = f()?;
        v.push(t.elapsed());
    }
    v.sort_unstable();
    Ok(Timed {
        median: v[v.len() / 2],
        min: v[0],
        max: v[v.len() - 1],
        result,
    })
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The programs timed over the context, with a name each.
const PROGRAMS: &[(&str, &str)] = &[
    ("context[:2000]", "final(len(context[:2000]))"),
    ("count literal", r#"final(count(context, "label: spam"))"#),
    ("len(lines(context))", "final(len(lines(context)))"),
    ("len(context)", "final(len(context))"),
    (
        "regex count, weak literal",
        r#"final(count(context, re"\b\w+@\w+\.com\b"))"#,
    ),
    (
        "OOLONG-style aggregate (grep + map + count_by)",
        r#"let rows = grep(context, re"user_id: (\d+) \| date: (\d{4})-\d\d-\d\d \| label: (\w+)")
  | map(m => {user: int(m.groups[0]), year: int(m.groups[1]), label: m.groups[2]})
final(count_by(rows, r => r.label)["spam"])"#,
    ),
    (
        "partition(size=100000) | map(count) | sum",
        r#"final(partition(context, size=100000) | map(p => count(p, "harbor")) | sum)"#,
    ),
    (
        "replace with a regex on 20,000 lines",
        r#"final(lines(context[:10000000])[:20000] | map(l => replace(l, re"user_id: (\d+)", "uid=$1")) | len)"#,
    ),
    (
        "a small map in a loop: fields of 20,000 lines",
        r#"final([map(split(l, " | "), trim) for l in lines(context[:10000000])[:20000]] | len)"#,
    ),
    (
        "a regex with groups on each of 20,000 lines",
        r#"let n = 0
for l in lines(context[:10000000])[:20000] {
  let m = find(l, re"user_id: (\d+) \| date: (\d{4})")
  if m { n += int(m.groups[1]) }
}
final(n)"#,
    ),
    (
        "a parallel filter with a regex and a string literal, 200,000 lines",
        r#"final(filter(lines(context[:30000000])[:200000], l => find(l, re"user_id: 4\d+") != null or contains(l, "harbor")) | len)"#,
    ),
    (
        "for each section: count records",
        r#"let best = 0
for s in partition(context, by=re"^## ") {
  let n = count(s, "user_id: ")
  if n > best { best = n }
}
final(best)"#,
    ),
];

fn main() {
    // The interpreter recurses on its native stack, as `rlmq run` does.
    let worker = std::thread::Builder::new()
        .name("rlmq-bench".into())
        .stack_size(256 << 20)
        .spawn(bench);
    match worker.map(|h| h.join()) {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => {
            eprintln!("interpreter bench failed: {e}");
            std::process::exit(1);
        }
        _ => {
            eprintln!("interpreter bench failed: the worker thread died");
            std::process::exit(1);
        }
    }
}

fn bench() -> Result<(), String> {
    // `cargo bench` passes `--bench` and possibly a filter; a filter that
    // names no program here skips the whole bench.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let bytes: usize = std::env::var("RLMQ_BENCH_BYTES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000_000);
    let runs: usize = std::env::var("RLMQ_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let t = Instant::now();
    let path = data_file(bytes).map_err(|e| format!("cannot write the bench text: {e}"))?;
    let size = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
    println!(
        "interpreter bench: {} ({size} bytes, ready in {:.1} s); median of {runs} runs after 1 warm-up; {} threads",
        path.display(),
        t.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    println!(
        "{:<48} {:>10} {:>22} {:>7}  result",
        "program", "median", "spread (min–max)", "GB/s"
    );
    let row = |name: &str, t: &Timed, scans: bool| {
        let gbs = if scans {
            format!(
                "{:.2}",
                size as f64 / 1e9 / t.median.as_secs_f64().max(1e-9)
            )
        } else {
            "–".into()
        };
        println!(
            "{name:<48} {:>10} {:>22} {gbs:>7}  {}",
            ms(t.median),
            format!("{} – {}", ms(t.min), ms(t.max)),
            t.result
        );
    };
    if wanted("start-up") {
        let t = time(runs.max(20), || run_program(None, "final(1)"))?;
        row("start-up: stdlib + parse + run `final(1)`", &t, false);
    }
    if wanted("map") {
        let t = time(runs.max(20), || {
            load(&path).map(|c| c.source.len().to_string())
        })?;
        row("map the context file", &t, false);
    }
    for (name, code) in PROGRAMS {
        if wanted(name) {
            let t = time(runs, || run_program(Some(&path), code))?;
            row(name, &t, *name != "context[:2000]");
        }
    }
    Ok(())
}
