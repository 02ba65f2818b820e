//! Sub-model calls from rlq programs, through the real binary and real
//! HTTP to the scripted server on 127.0.0.1: results in input order,
//! concurrency, JSON replies, failed calls as error values, the budget
//! checked before a `map` starts, and one clear line for fatal failures.

use std::process::Output;

use rlmq::llm::mock::{Fault, Faults, MockRules, MockServer, Rule};

use super::common::rlmq;

const KEY: &str = "sk-test-planted-key-0123456789";

fn run(server: &MockServer, cache: &std::path::Path, code: &str, extra: &[&str]) -> Output {
    rlmq()
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("OPENAI_BASE_URL", server.openai_url())
        .env("OPENAI_API_KEY", KEY)
        .args([
            "run",
            "-e",
            code,
            "--context",
            "examples/sample.txt",
            "--model",
            "mock-small",
            "--cache-dir",
        ])
        .arg(cache)
        .args(extra)
        .output()
        .expect("run rlmq")
}

fn label_server(latency_ms: u64) -> MockServer {
    MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .models(["mock-small"])
            .latency_ms(latency_ms)
            .rule(Rule::template("label", r"Label: (\w+)", "$1"))
            .rule(
                Rule::text("json", "```json\n{\"n\": 2, \"xs\": [1, 2.5]}\n```")
                    .when("JSON please"),
            )
            .rule(Rule::text("default", "ok")),
    )
    .expect("mock server")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn map_of_llm_calls_keeps_input_order() {
    let server = label_server(30);
    let cache = tempfile::tempdir().unwrap();
    let code = "let rows = grep(context, re\"Label: \\w+\") | map(m => m.line_text)\nlet got = rows | map(r => llm(\"Which label?\", r))\nlet want = rows | map(r => find(r, re\"Label: (\\w+)\").groups[0])\nprint(len(got), got == want)\nfinal(got[:3])";
    let o = run(&server, cache.path(), code, &[]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.starts_with("48 true\n"), "{out}");
    assert_eq!(server.count(), 48);
    // The same run again is answered from the cache: no new request.
    let o = run(&server, cache.path(), code, &[]);
    assert!(o.status.success());
    assert_eq!(text(&o).0, out);
    assert_eq!(server.count(), 48);
}

#[test]
fn map_fans_out_concurrently() {
    let server = label_server(200);
    let cache = tempfile::tempdir().unwrap();
    let code = "let xs = range(64) | map(i => f\"Label: l{i}\")\nfinal(len(xs | map(x => llm(\"label?\", x))))";
    let o = run(&server, cache.path(), code, &["--concurrency", "16"]);
    assert!(o.status.success(), "{}", text(&o).1);
    assert_eq!(text(&o).0, "64\n");
    // Each call holds the server 200 ms: concurrent calls overlap there.
    assert!(
        server.max_in_flight() > 1 && server.max_in_flight() <= 16,
        "in flight {}",
        server.max_in_flight()
    );
}

#[test]
fn json_replies_become_values() {
    let server = label_server(0);
    let cache = tempfile::tempdir().unwrap();
    let o = run(
        &server,
        cache.path(),
        "let r = llm(\"JSON please\", json=true)\nfinal([r.n + 1, r.xs, type(r)])",
        &[],
    );
    assert_eq!(text(&o).0, "[3,[1,2.5],\"record\"]\n", "{}", text(&o).1);
}

#[test]
fn a_failed_call_is_an_error_value_in_its_place() {
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .rule(Rule::template("label", r"Label: (\w+)", "$1"))
            .faults(Faults::sequence([
                None,
                Some(Fault::ServerError),
                Some(Fault::ServerError),
            ])),
    )
    .expect("mock");
    let cache = tempfile::tempdir().unwrap();
    // One retry: the second item's two attempts both fail.
    let config = cache.path().join("rlmq.toml");
    std::fs::write(&config, "retries = 1\n").unwrap();
    let code = "let xs = [\"Label: a\", \"Label: b\"] | map(x => llm(\"?\", x))\nprint(len(xs), is_error(xs[0]) or is_error(xs[1]), xs | map(x => x ?? \"failed\"))\nprint(f\"{xs[0]}{xs[1]}\")";
    let o = run(
        &server,
        cache.path(),
        code,
        &["--concurrency", "1", "--config", config.to_str().unwrap()],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.starts_with("2 true "), "{out}");
    assert!(out.contains("\"failed\""), "{out}");
    assert!(
        err.contains("failed sub-call") && err.contains("<-e>:1:"),
        "{err}"
    );
}

#[test]
fn budget_is_checked_before_a_map_starts() {
    let server = label_server(0);
    let cache = tempfile::tempdir().unwrap();
    let o = run(
        &server,
        cache.path(),
        "let xs = range(10) | map(i => llm(\"?\", str(i)))",
        &["--max-llm-calls", "3"],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("partition"), "{err}");
    assert_eq!(
        server.count(),
        0,
        "no call may be spent on a map the budget cannot finish"
    );
}

#[test]
fn fatal_failures_are_one_clear_line_without_the_key() {
    let server = label_server(0);
    let cache = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<&str>); 2] = [
        ("llm(\"?\", \"x\", model=\"no-such-model\")", vec![]),
        ("llm(\"?\", context * 200)", vec![]),
    ];
    for (code, extra) in cases {
        let o = run(&server, cache.path(), code, &extra);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{code}: {err}");
        assert!(err.starts_with("error: llm: "), "{code}: {err}");
        assert!(
            !out.contains(KEY) && !err.contains(KEY),
            "the key leaked: {err}"
        );
    }
    let bad_key = rlmq()
        .env("OPENAI_BASE_URL", server.openai_url())
        .env("OPENAI_API_KEY", "sk-wrong-planted-key-999")
        .args([
            "run",
            "-e",
            "llm(\"?\")",
            "--model",
            "mock-small",
            "--no-cache",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad_key.stderr);
    assert_eq!(bad_key.status.code(), Some(1));
    assert!(!err.contains("sk-wrong-planted-key-999"), "{err}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = rlmq()
        .env("OPENAI_BASE_URL", format!("http://127.0.0.1:{port}/v1"))
        .env("OPENAI_API_KEY", KEY)
        .args(["run", "-e", "llm(\"?\")", "--model", "m", "--no-cache"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&unreachable.stderr);
    assert_eq!(unreachable.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: llm: "), "{err}");
}

#[test]
fn no_model_configured_says_what_to_set() {
    let o = rlmq()
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_API_KEY")
        .args(["run", "-e", "llm(\"hi\")"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("OPENAI_API_KEY"), "{err}");
}

#[test]
fn a_map_survives_thirty_percent_faults_and_the_trace_shows_retries() {
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .rule(Rule::template("echo", r"item (\d+)", "r$1"))
            .faults(
                Faults::rate(
                    0.3,
                    [
                        Fault::RateLimit,
                        Fault::ServerError,
                        Fault::Malformed,
                        Fault::Drop,
                    ],
                )
                .max_per_request(2)
                .retry_after_secs(0)
                .seed(11),
            ),
    )
    .expect("mock");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let config = dir.path().join("rlmq.toml");
    std::fs::write(&config, "retries = 3\n").unwrap();
    let code = "let r = range(100) | map(i => llm(\"x\", f\"item {i}\"))\nfinal([len(r), len(filter(r, x => is_error(x))), r[99]])";
    let o = run(
        &server,
        &dir.path().join("cache"),
        code,
        &[
            "--trace",
            trace.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--concurrency",
            "16",
        ],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(out, "[100,0,\"r99\"]\n");
    assert!(
        server.faults_injected() > 10,
        "only {} faults",
        server.faults_injected()
    );
    let events: Vec<serde_json::Value> = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let retries: u64 = events
        .iter()
        .filter(|e| e["event"] == "subcall")
        .map(|e| e["retries"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        retries,
        server.faults_injected(),
        "every fault is a recorded retry"
    );
    assert!(
        events.iter().any(|e| e["event"] == "end"),
        "the run's end is traced"
    );
    assert!(!std::fs::read_to_string(&trace).unwrap().contains(KEY));
}

#[test]
fn a_runtime_error_says_what_ran_before_it() {
    let server = label_server(0);
    let cache = tempfile::tempdir().unwrap();
    let code = "let got = [\"a\", \"b\", \"c\"] | map(x => llm(\"Say\", x))\nprint(len(got))\nprint(got[0].label)";
    let o = run(&server, cache.path(), code, &[]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(out, "3\n");
    assert!(
        err.contains("= line 3 stopped the program; the lines before it ran (their variables and output are kept) and 3 sub-calls were spent ("),
        "{err}"
    );
    // The same run again: the calls come from the cache, and it says so.
    let o = run(&server, cache.path(), code, &[]);
    let err = text(&o).1;
    assert!(
        err.contains("and no sub-calls were spent (3 answered from the cache)"),
        "{err}"
    );
    // A parse error: nothing ran, no request was made.
    let o = run(
        &server,
        cache.path(),
        "let a = [\"x\"] | map(x => llm(\"Say\", x))\nprint(a[0]",
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("= nothing ran: the code has errors"),
        "{}",
        text(&o).1
    );
    assert_eq!(server.count(), 3);
}
