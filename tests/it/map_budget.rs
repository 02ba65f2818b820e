//! The budget of a `map` of sub-calls, through the real binary and real
//! HTTP to the scripted server: each call site counted once, worst-case
//! tokens and dollars checked and every piece's size checked before the
//! first request (nothing is sent when refused), `budget().sub_input_chars`
//! that fits multi-byte text, and the usage in `--json`, marked estimated
//! where the server reported none.

use std::path::Path;
use std::process::Output;

use rlmq::llm::mock::{MockRules, MockServer, Rule};

use super::common::rlmq;

const KEY: &str = "sk-test-map-budget-0123456789";

fn server(model: &str) -> MockServer {
    MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .models([model])
            .rule(Rule::text("default", "ok")),
    )
    .expect("mock server")
}

fn run(server: &MockServer, model: &str, context: &Path, code: &str, extra: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    rlmq()
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("OPENAI_BASE_URL", server.openai_url())
        .env("OPENAI_API_KEY", KEY)
        .args(["run", "-e", code, "--context"])
        .arg(context)
        .args(["--model", model, "--cache-dir"])
        .arg(cache.path())
        .args(extra)
        .output()
        .expect("run rlmq")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sample() -> &'static Path {
    Path::new("examples/sample.txt")
}

#[test]
fn a_map_counts_each_call_site_once() {
    let s = server("mock-small");
    let ten = "final(range(10) | map(i => llm(\"?\", str(i))) | len)";
    let o = run(&s, "mock-small", sample(), ten, &["--max-llm-calls", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "10\n");
    assert_eq!(s.count(), 10);

    let o = run(&s, "mock-small", sample(), ten, &["--max-llm-calls", "9"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("up to 10 llm() calls"),
        "{}",
        stderr(&o)
    );
    assert_eq!(s.count(), 10, "nothing sent when refused");

    // Two sites in a def: two calls per item.
    let two = "def f(x) {\n  return llm(\"a\", x) + llm(\"b\", x)\n}\nfinal(range(5) | map(i => f(str(i))) | len)";
    let o = run(&s, "mock-small", sample(), two, &["--max-llm-calls", "9"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("up to 10 llm() calls"),
        "{}",
        stderr(&o)
    );
    let o = run(&s, "mock-small", sample(), two, &["--max-llm-calls", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(s.count(), 20);
}

#[test]
fn a_map_reserves_worst_case_tokens_and_dollars_before_its_first_call() {
    // gpt-4o-mini has a list price: $0.15 in, $0.60 out per million.
    let model = "gpt-4o-mini";
    let s = server(model);
    let code = "final(partition(context, size=900) | map(p => llm(\"Summarize.\", p)) | len)";
    let o = run(&s, model, sample(), code, &["--max-usd", "0.01"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("before the map's first call") && err.contains("may cost up to $0.05"),
        "{err}"
    );
    assert!(err.contains("input tokens counted over 11 pieces"), "{err}");
    assert!(err.contains("--max-usd"), "{err}");
    assert_eq!(s.count(), 0, "nothing sent when refused");

    let o = run(&s, model, sample(), code, &["--max-tokens", "50000"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("only 50000 of 50000 are left"), "{err}");
    assert!(err.contains("--max-tokens"), "{err}");
    assert_eq!(s.count(), 0, "nothing sent when refused");

    let o = run(
        &s,
        model,
        sample(),
        code,
        &["--max-usd", "0.1", "--max-tokens", "200000"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(s.count(), 11);
}

/// ASCII prose, then Japanese at about one token per character.
fn mixed_context(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("mixed.txt");
    let text = "The committee met to review the budget and agreed to revisit it. ".repeat(1400)
        + &"東京都は日本の首都であり、人口は約千四百万人です。".repeat(1800);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_piece_is_checked_before_the_first_request() {
    let dir = tempfile::tempdir().unwrap();
    let context = mixed_context(dir.path());
    let s = server("mock-small");
    // mock-small: an assumed 32,768-token window, 8,192 kept for the reply.
    let code = "final(partition(context, size=40000) | map(p => llm(\"Summarize.\", p)) | len)";
    let o = run(&s, "mock-small", &context, code, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("(nothing was sent)"), "{err}");
    assert_eq!(
        s.count(),
        0,
        "no piece sent before the oversize one was found"
    );
    // The size the message gives fits every piece.
    let size: u64 = err
        .split("partition(text, size=")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in: {err}"));
    let code =
        format!("final(partition(context, size={size}) | map(p => llm(\"Summarize.\", p)) | len)");
    let o = run(&s, "mock-small", &context, &code, &[]);
    assert!(o.status.success(), "size={size}: {}", stderr(&o));
    assert!(s.count() > 2);
}

#[test]
fn sub_input_chars_fits_multi_byte_text() {
    let dir = tempfile::tempdir().unwrap();
    let context = mixed_context(dir.path());
    let s = server("mock-small");
    let code = "let n = budget().sub_input_chars - 100\nlet rs = partition(context, size=n) | map(p => llm(\"Summarize.\", p))\nfinal([n, len(rs)])";
    let o = run(&s, "mock-small", &context, code, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(s.count() > 2);
}

#[test]
fn run_json_reports_sub_call_usage_and_marks_estimates() {
    let s = server("mock-small");
    let code = "final(range(3) | map(i => llm(\"?\", str(i))) | len)";
    let o = run(&s, "mock-small", sample(), code, &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let u = &v["usage"];
    assert_eq!(u["calls"], 3);
    assert!(u["input_tokens"].as_u64().unwrap() > 0, "{u}");
    assert!(u["output_tokens"].as_u64().unwrap() > 0, "{u}");
    assert!(u["cost_usd"].is_null(), "mock-small has no price: {u}");
    assert_eq!(u["estimated_calls"], 0, "the server reported usage: {u}");

    let none = run(&s, "mock-small", sample(), "final(1)", &["--json"]);
    let v: serde_json::Value = serde_json::from_slice(&none.stdout).expect("json");
    assert_eq!(v["usage"]["calls"], 0);
    assert_eq!(v["usage"]["cost_usd"], 0.0);
}

#[test]
fn usage_the_server_did_not_report_is_marked_estimated() {
    let s = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .models(["mock-small"])
            .without_usage()
            .rule(Rule::text("default", "ok")),
    )
    .expect("mock server");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let code = "final(range(2) | map(i => llm(\"?\", str(i))) | len)";
    let o = run(
        &s,
        "mock-small",
        sample(),
        code,
        &["--json", "--trace", trace.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["usage"]["estimated_calls"], 2, "{v}");
    assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);
    let events: Vec<serde_json::Value> = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let calls: Vec<_> = events.iter().filter(|e| e["event"] == "subcall").collect();
    assert_eq!(calls.len(), 2);
    assert!(
        calls.iter().all(|e| e["usage_estimated"] == true),
        "{calls:?}"
    );
    let end = events.iter().find(|e| e["event"] == "end").unwrap();
    assert_eq!(end["totals"]["estimated_calls"], 2);
}

/// Regression: the steps a `map`'s workers counted since their last batch
/// were lost when they ended, so `--json`'s `"steps"` (and where
/// `--max-steps` stops a run) changed with how the items fell to threads.
#[test]
fn the_steps_of_a_map_of_calls_do_not_depend_on_its_threads() {
    let s = server("mock-small");
    let code = "\
def work(i) {
  let t = 0
  for j in range(i * 30) { t += j }
  return t + len(llm(\"?\", str(i)))
}
final(sum(map(range(40), work)))";
    let steps = |concurrency: &str| {
        let o = run(
            &s,
            "mock-small",
            sample(),
            code,
            &["--json", "--no-cache", "--concurrency", concurrency],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(v["final"], 9_231_380, "{v}");
        v["steps"].as_u64().expect("steps")
    };
    let all: Vec<u64> = ["1", "3", "16", "16"].iter().map(|c| steps(c)).collect();
    assert!(all.iter().all(|&n| n == all[0]), "{all:?}");
}
