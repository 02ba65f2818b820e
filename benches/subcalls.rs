//! Sub-call benchmarks against the mock server on 127.0.0.1:
//!
//! - **fan-out**: 256 calls from 256 threads (a `map`) at 200 ms per reply,
//!   concurrency 32. The ideal is 8 waves of 200 ms = 1.6 s; the figure is
//!   the wall time over that ideal (1.00 is perfect; the goal is at most
//!   1.25).
//! - **token counting** speed of a sub-call message (prose, `o200k_base`).
//! - **dispatch**: `rlmq run` (the whole process) mapping `llm()` over 101
//!   pieces of 700,000 characters, against a plain HTTP client (reqwest,
//!   the same concurrency) sending the very bodies rlmq sent, recorded by
//!   the server, to the same server answering at once. Paired, interleaved
//!   runs; the figure is the median of rlmq's time over the client's (goal:
//!   at most 1.3). Beside it, the same over a plain client that makes the
//!   bodies itself from the file, as a program without rlmq must: it
//!   reads and decodes the context, cuts it as `partition` does and writes
//!   each body with `serde_json` (checked to be the bodies rlmq sent).
//!   Once with a model whose window holds a piece by its bytes (nothing
//!   counted) and once with one where every piece must be counted
//!   (272k-token input limit); and once more with the first model and
//!   `--no-cache`, which writes no reply files (the plain clients write
//!   none either).
//!
//! `cargo bench --bench subcalls` (add `-- --runs N` for N runs of each
//! case instead of 5 for the dispatch and 7 for the fan-out,
//! `-- --before PATH` to time another rlmq binary on the dispatch too, and
//! `-- --model NAME` for that model's dispatch alone, e.g. under a profiler).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rlmq::llm::mock::{MockRules, MockServer, Rule};
use rlmq::llm::tokens;
use rlmq::llm::{CallRequest, LlmConfig, Provider, SubCalls};

const CALLS: usize = 256;
const CONCURRENCY: usize = 32;
const LATENCY_MS: u64 = 200;

fn token_count_speed() {
    let text = "The committee met on Tuesday to review the budget, and agreed to revisit item 4. "
        .repeat(50_000);
    let t = Instant::now();
    tokens::count("gpt-4o", "warm up");
    println!(
        "subcalls/tokenizer_load_o200k: {:.0} ms (once per process, on first use)",
        t.elapsed().as_secs_f64() * 1000.0
    );
    time_count("prose", &text);
    // The same count with tiktoken-rs, which counted every call before.
    let t = Instant::now();
    let bpe = tiktoken_rs::o200k_base_singleton();
    let load = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let m = bpe.encode_ordinary(&text).len();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "subcalls/token_count_prose_tiktoken: {:.1} MB/s ({m} tokens), load {:.0} ms",
        text.len() as f64 / 1e6 / secs,
        load * 1000.0
    );
    // A repeated sentence meets the counter's memo of short pre-tokens at
    // every word; the generated corpus (a vocabulary of 40,000 made-up
    // words) is the harder, more honest case.
    let corpus = String::from_utf8_lossy(&common::generate_vec(4_000_000, 12)).into_owned();
    time_count("corpus", &corpus);
}

/// Counts the `o200k_base` tokens of `text` once and prints the speed.
fn time_count(label: &str, text: &str) {
    let t = Instant::now();
    let n = tokens::count("gpt-4o", text);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "subcalls/token_count_{label}: {:.1} MB in {:.0} ms, {:.1} MB/s ({n} tokens)",
        text.len() as f64 / 1e6,
        secs * 1000.0,
        text.len() as f64 / 1e6 / secs
    );
}

mod common;

/// The value after `flag` on the command line.
fn arg(flag: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != flag).nth(1)
}

const PIECES: u64 = 101;
const PIECE_CHARS: u64 = 700_000;
const DISPATCH_KEY: &str = "bench-key";

/// Runs `rlmq run` mapping `llm()` over the pieces of `context`, caching
/// replies in `cache` (a new directory) or, with `None`, not at all; its
/// wall time and the number of requests the server got.
///
/// Each run's cache stays until the benchmark ends: files deleted just
/// before cost the next run's file creations a search for recently freed
/// inodes (ext4 without a journal), a cost of the benchmark, not of rlmq.
fn time_rlmq(
    bin: &Path,
    server: &MockServer,
    context: &Path,
    model: &str,
    cache: Option<&Path>,
) -> (f64, u64) {
    let before = server.count();
    let cache_args = match cache {
        Some(dir) => vec!["--cache-dir".as_ref(), dir.as_os_str()],
        None => vec!["--no-cache".as_ref()],
    };
    let t = Instant::now();
    let out = Command::new(bin)
        .args(["run", "-e"])
        .arg(format!(
            "final(partition(context, size={PIECE_CHARS}) | map(p => llm(\"Summarize.\", p)) | len)"
        ))
        .arg("--context")
        .arg(context)
        .args(["--model", model])
        .args(cache_args)
        .env("OPENAI_BASE_URL", server.openai_url())
        .env("OPENAI_API_KEY", DISPATCH_KEY)
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .expect("run rlmq");
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (secs, server.count() - before)
}

/// Sends `bodies` to the server as a plain client would: one reqwest
/// client, `concurrency` requests in flight; the wall time.
fn time_plain(server: &MockServer, bodies: &[bytes::Bytes], concurrency: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("{}/chat/completions", server.openai_url());
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let t = Instant::now();
        let tasks: Vec<_> = bodies
            .iter()
            .map(|b| {
                let (client, url, sem, body) =
                    (client.clone(), url.clone(), sem.clone(), b.clone());
                tokio::spawn(async move {
                    let _permit = sem.acquire().await.expect("permit");
                    let r = client
                        .post(url)
                        .bearer_auth(DISPATCH_KEY)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("send");
                    assert!(r.status().is_success(), "{}", r.status());
                    r.bytes().await.expect("reply");
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        t.elapsed().as_secs_f64()
    })
}

/// The pieces of `text` as `partition(t, size=chars)` cuts them: at most
/// `chars` characters, cut just after the last newline among them (or at
/// `chars` when there is none).
fn pieces(text: &str, chars: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some((end, _)) = rest.char_indices().nth(chars) else {
            out.push(rest);
            break;
        };
        let cut = rest[..end].rfind('\n').map_or(end, |nl| nl + 1);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

/// The other reference: a plain client that makes the bodies itself, as a
/// program without rlmq would. Timed from the start: it reads and decodes
/// `context`, cuts it as `partition` does, and in each of its tasks writes
/// the body (`template`, a body rlmq sent, with this piece's text in the
/// user message) with `serde_json` and sends it. The wall time and the
/// bodies it sent (for the check that they are rlmq's).
fn time_plain_from_file(
    server: &MockServer,
    context: &Path,
    template: &serde_json::Value,
    concurrency: usize,
) -> (f64, Vec<Vec<u8>>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("{}/chat/completions", server.openai_url());
    let template = Arc::new(template.clone());
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let t = Instant::now();
        let text: Arc<str> = std::fs::read_to_string(context).expect("context").into();
        let cuts: Vec<(usize, usize)> = pieces(&text, PIECE_CHARS as usize)
            .iter()
            .map(|p| {
                let start = p.as_ptr() as usize - text.as_ptr() as usize;
                (start, start + p.len())
            })
            .collect();
        let tasks: Vec<_> = cuts
            .into_iter()
            .map(|(start, end)| {
                let (client, url, sem) = (client.clone(), url.clone(), sem.clone());
                let (text, template) = (text.clone(), template.clone());
                tokio::spawn(async move {
                    let _permit = sem.acquire().await.expect("permit");
                    let mut body = (*template).clone();
                    body["messages"][1]["content"] =
                        format!("Summarize.\n\n{}", &text[start..end]).into();
                    let body = serde_json::to_vec(&body).expect("body");
                    let r = client
                        .post(url)
                        .bearer_auth(DISPATCH_KEY)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("send");
                    assert!(r.status().is_success(), "{}", r.status());
                    r.bytes().await.expect("reply");
                    body
                })
            })
            .collect();
        let mut sent = Vec::new();
        for task in tasks {
            sent.push(task.await.expect("task"));
        }
        (t.elapsed().as_secs_f64(), sent)
    })
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The dispatch benchmark for `model` (see the module doc); the runs'
/// caches go in `dir`, or with `cached` false there are none.
fn dispatch(
    dir: &Path,
    context: &Path,
    (model, cached): (&str, bool),
    runs: usize,
    before: Option<&PathBuf>,
) {
    let bin = Path::new(env!("CARGO_BIN_EXE_rlmq"));
    let (mut ours, mut plain, mut ratios, mut old) = (vec![], vec![], vec![], vec![]);
    let (mut made, mut made_ratios) = (vec![], vec![]);
    for run in 0..runs {
        let server = MockServer::start(
            MockRules::new()
                .api_key(DISPATCH_KEY)
                .rule(Rule::text("ok", "ok")),
        )
        .expect("mock server");
        let cache = |who: &str| cached.then(|| dir.join(format!("cache-{model}-{run}-{who}")));
        let (secs, sent) = time_rlmq(bin, &server, context, model, cache("rlmq").as_deref());
        let recorded = server.requests();
        let bodies: Vec<bytes::Bytes> = recorded
            .iter()
            .map(|r| serde_json::to_vec(&r.body).expect("body").into())
            .collect();
        let reference = time_plain(&server, &bodies, 16);
        let template = &recorded[0].body;
        let (from_file, mut made_bodies) = time_plain_from_file(&server, context, template, 16);
        let mut theirs = bodies.iter().map(|b| b.to_vec()).collect::<Vec<_>>();
        theirs.sort();
        made_bodies.sort();
        assert!(
            made_bodies == theirs,
            "the client that makes its bodies made others than rlmq sent"
        );
        let mut line = format!(
            "run {run}: {model}{}: rlmq {secs:.2} s, plain client {reference:.2} s ({sent} requests, {:.1} MB), ratio {:.2}; making its bodies {from_file:.2} s, ratio {:.2}",
            if cached { "" } else { " (--no-cache)" },
            bodies.iter().map(|b| b.len()).sum::<usize>() as f64 / 1e6,
            secs / reference,
            secs / from_file
        );
        if let Some(b) = before {
            let (s, _) = time_rlmq(b, &server, context, model, cache("before").as_deref());
            line.push_str(&format!(", before {s:.2} s"));
            old.push(s);
        }
        println!("{line}");
        ours.push(secs);
        plain.push(reference);
        ratios.push(secs / reference);
        made.push(from_file);
        made_ratios.push(secs / from_file);
    }
    let cache = if cached { "" } else { "_no_cache" };
    let mut line = format!(
        "subcalls/dispatch_{PIECES}x{PIECE_CHARS}_{model}{cache}: median rlmq {:.2} s, plain client {:.2} s, ratio {:.2} (min {:.2}, max {:.2}) over {runs} runs",
        median(&mut ours),
        median(&mut plain),
        median(&mut ratios),
        ratios[0],
        ratios[ratios.len() - 1]
    );
    line.push_str(&format!(
        "; a client making its bodies from the file {:.2} s, ratio {:.2}",
        median(&mut made),
        median(&mut made_ratios)
    ));
    if !old.is_empty() {
        line.push_str(&format!(", before: median {:.2} s", median(&mut old)));
    }
    println!("{line}");
}

fn main() {
    let only = arg("--model");
    if only.is_none() {
        token_count_speed();
    }
    let runs: Option<usize> = arg("--runs").and_then(|n| n.parse().ok());
    let before = arg("--before").map(PathBuf::from);
    let dir = std::env::temp_dir().join(format!("rlmq-bench-dispatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let context = dir.join("context.txt");
    std::fs::write(&context, common::generate_vec(PIECES * PIECE_CHARS, 12)).expect("context");
    let cases = [
        ("gpt-4.1-mini", true),
        ("gpt-4.1-mini", false),
        ("gpt-5-mini", true),
    ];
    for case in cases
        .into_iter()
        .filter(|(m, _)| only.as_ref().is_none_or(|o| o == m))
    {
        dispatch(&dir, &context, case, runs.unwrap_or(5), before.as_ref());
    }
    let _ = std::fs::remove_dir_all(&dir);
    if only.is_none() {
        fan_out(runs.unwrap_or(7));
    }
}

fn fan_out(runs: usize) {
    let server = MockServer::start(
        MockRules::new()
            .api_key("bench-key")
            .latency_ms(LATENCY_MS)
            .rule(Rule::template("label", r"Label: (\w+)", "$1")),
    )
    .expect("mock server");
    let mut config = LlmConfig::new(Provider::OpenAi, server.openai_url())
        .with_api_key("bench-key")
        .with_sub_model("mock-small")
        .without_cache();
    config.concurrency = CONCURRENCY;
    let sub = SubCalls::new(config).expect("backend");
    let reqs: Vec<CallRequest> = (0..CALLS)
        .map(|i| {
            CallRequest::new("What is the label? Reply with the label only.").text(format!(
                "Some filler text about item {i}.\nLabel: L{i}\nMore filler."
            ))
        })
        .collect();
    let ideal = Duration::from_millis(LATENCY_MS * (CALLS / CONCURRENCY) as u64);

    let mut ratios = Vec::new();
    for run in 0..runs {
        let t = Instant::now();
        let ok = std::thread::scope(|s| {
            let handles: Vec<_> = reqs.iter().map(|r| s.spawn(|| sub.call(r))).collect();
            handles
                .into_iter()
                .enumerate()
                .map(|(i, h)| match h.join() {
                    Ok(Ok(reply)) => reply.text == format!("L{i}"),
                    _ => false,
                })
                .filter(|ok| *ok)
                .count()
        });
        let elapsed = t.elapsed();
        let ratio = elapsed.as_secs_f64() / ideal.as_secs_f64();
        println!(
            "run {run}: {CALLS} calls in {:.0} ms, {ratio:.3}x ideal ({ok} correct)",
            elapsed.as_secs_f64() * 1000.0
        );
        assert_eq!(ok, CALLS, "some calls failed");
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!(
        "subcalls/fan_out_256x200ms_c32: median {median:.3}x ideal over {runs} runs (min {:.3}, max {:.3})",
        ratios[0],
        ratios[ratios.len() - 1]
    );
}
