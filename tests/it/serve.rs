//! `rlmq serve` over real HTTP on 127.0.0.1, against the scripted model
//! server: a short request passed through, a long one answered by a
//! session (its trace replayed), streaming, concurrent requests under one
//! concurrency limit, errors in the OpenAI shape; then the official
//! `openai` Python client against the same server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use rlmq::llm::mock::{MockRules, MockServer, Rule};
use serde_json::{json, Value};

use super::ask::{config_file, KEY};
use super::common::{rlmq, run_client};

/// The key clients give the server (not the provider's).
const SERVER_KEY: &str = "rlmq-server-key-PLANTED-77";

/// The scripted root model: it greets "Say hello"; otherwise it greps the
/// context for "magic number is N" and, on seeing the output, answers
/// "The magic number is N".
pub fn root_rules(latency_ms: u64) -> MockRules {
    MockRules::new()
        .api_key(KEY)
        .latency_ms(latency_ms)
        .rule(Rule::text("hello", "Hello from the root model.").when("^Say hello").for_model("mock-root"))
        .rule(
            Rule::template("found", r"FOUND (\d+)", "Done.\n\n```rlq\nfinal(\"The magic number is $1\")\n```")
                .for_model("mock-root"),
        )
        .rule(
            Rule::text(
                "look",
                "Search first.\n\n```rlq\nlet hits = grep(context, re\"magic number is (\\d+)\")\nprint(\"FOUND\", hits[0].groups[0])\n```",
            )
            .when("Question:")
            .for_model("mock-root"),
        )
}

/// A text with one magic number in it, long enough for a session.
pub fn document(number: u64) -> String {
    let filler: String = (0..400)
        .map(|i| format!("line {i}: nothing to see here, keep reading.\n"))
        .collect();
    format!("{filler}the magic number is {number}\n{filler}")
}

/// A running `rlmq serve`, stopped when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(mock: &MockServer, dir: &Path, extra: &[&str]) -> Served {
    let config = config_file(dir, mock);
    let mut c = rlmq();
    c.env_remove("OPENAI_BASE_URL")
        .env("OPENAI_API_KEY", KEY)
        .env("RLMQ_TEST_SERVER_KEY", SERVER_KEY)
        .args([
            "serve",
            "--port",
            "0",
            "--api-key-env",
            "RLMQ_TEST_SERVER_KEY",
        ])
        .arg("--config")
        .arg(&config)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("--trace-dir")
        .arg(dir.join("traces"))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = c.spawn().expect("start rlmq serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the first line");
    let url = line
        .trim()
        .strip_prefix("rlmq serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    Served { child, url }
}

/// One HTTP exchange: status, the trace id header, body.
fn http(
    method: &str,
    url: &str,
    body: Option<String>,
    key: Option<&str>,
) -> (u16, Option<String>, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let mut req = match method {
            "GET" => client.get(url),
            _ => client.post(url),
        };
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let trace = resp
            .headers()
            .get("x-rlmq-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (status, trace, resp.text().await.expect("body"))
    })
}

fn chat(s: &Served, body: Value) -> (u16, Option<String>, String) {
    http(
        "POST",
        &format!("{}/chat/completions", s.url),
        Some(body.to_string()),
        Some(SERVER_KEY),
    )
}

fn question(number: u64) -> Value {
    json!({
        "model": "rlm:mock-root",
        "messages": [{"role": "user", "content": format!("{}\n\nWhat is the magic number?", document(number))}],
    })
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn trace_file(dir: &Path, id: &str) -> PathBuf {
    dir.join("traces").join(format!("{id}.jsonl"))
}

#[test]
fn passthrough_session_stream_and_trace() {
    let mock = MockServer::start(root_rules(0)).expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let s = serve(&mock, dir.path(), &["--passthrough-chars", "500"]);

    let (status, _, body) = http("GET", &format!("{}/models", s.url), None, Some(SERVER_KEY));
    assert_eq!(status, 200, "{body}");
    assert_eq!(parse(&body)["data"][0]["id"], "rlm:mock-root");

    let (status, trace, body) = chat(
        &s,
        json!({"model": "rlm:mock-root", "messages": [{"role": "user", "content": "Say hello"}]}),
    );
    assert_eq!(status, 200, "{body}");
    let v = parse(&body);
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello from the root model."
    );
    assert_eq!(v["rlmq"]["mode"], "passthrough");
    assert_eq!(trace.as_deref(), v["id"].as_str());
    assert_eq!(mock.count_rule("hello"), 1);

    let (status, trace, body) = chat(&s, question(4217));
    assert_eq!(status, 200, "{body}");
    let v = parse(&body);
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "The magic number is 4217"
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        (v["rlmq"]["mode"].as_str(), v["rlmq"]["turns"].as_u64()),
        (Some("session"), Some(2))
    );
    let usage = &v["usage"];
    assert!(
        usage["prompt_tokens"].as_u64() > Some(0) && usage["completion_tokens"].as_u64() > Some(0),
        "{usage}"
    );
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        )
    );

    // The request's trace is its own file, and replays offline.
    let path = trace_file(dir.path(), trace.as_deref().expect("trace id"));
    let text = std::fs::read_to_string(&path).expect("the trace was written");
    assert!(!text.contains("PLANTED"), "a key leaked into the trace");
    assert!(text.contains("\"session_start\"") && text.contains("\"session_end\""));
    drop(s);
    let out = rlmq().arg("replay").arg(&path).output().expect("replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The same question again is answered from the cache, and says so.
    let s = serve(&mock, dir.path(), &[]);
    let before = mock.count();
    let (_, _, body) = chat(&s, question(4217));
    let v = parse(&body);
    assert_eq!(mock.count(), before, "all from the cache");
    assert_eq!(v["rlmq"]["cache_hits"], 2);
    assert!(
        v["usage"]["prompt_tokens_details"]["cached_tokens"].as_u64() > Some(0),
        "{}",
        v["usage"]
    );

    // Streamed: the plan, the answer, the finish, the usage, [DONE].
    let mut req = question(5150);
    req["stream"] = json!(true);
    req["stream_options"] = json!({"include_usage": true});
    let (status, _, body) = chat(&s, req);
    assert_eq!(status, 200, "{body}");
    let events: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| parse(e))
        .collect();
    let field = |name: &str| -> String {
        chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"][name].as_str())
            .collect()
    };
    assert_eq!(field("content"), "The magic number is 5150");
    assert!(
        field("reasoning_content")
            .starts_with("rlmq: a session with root model mock-root over 1 document"),
        "{}",
        field("reasoning_content")
    );
    let finish: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finish, [&json!("stop")]);
    let last = chunks.last().expect("a usage chunk");
    assert_eq!(last["choices"], json!([]));
    assert!(last["usage"]["total_tokens"].as_u64() > Some(0));
}

#[test]
fn concurrent_requests_share_one_concurrency_limit() {
    let mock = MockServer::start(root_rules(50)).expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let s = serve(&mock, dir.path(), &["--concurrency", "2", "--no-cache"]);
    let answers: Vec<(u64, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8u64)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    let n = 1000 + i;
                    let (status, _, body) = chat(s, question(n));
                    assert_eq!(status, 200, "{body}");
                    (
                        n,
                        parse(&body)["choices"][0]["message"]["content"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("request thread"))
            .collect()
    });
    for (n, a) in &answers {
        assert_eq!(a, &format!("The magic number is {n}"));
    }
    assert_eq!(mock.count(), 16, "two root turns per request");
    assert!(
        mock.max_in_flight() <= 2,
        "{} requests in flight at once over --concurrency 2",
        mock.max_in_flight()
    );
}

#[test]
fn bad_requests_get_openai_errors_and_the_server_goes_on() {
    let mock = MockServer::start(root_rules(0)).expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let s = serve(
        &mock,
        dir.path(),
        &[
            "--max-body-bytes",
            "20000",
            "--passthrough-chars",
            "1000",
            "--no-cache",
        ],
    );
    let url = format!("{}/chat/completions", s.url);
    let error = |status: u16, body: &str| -> (u16, String, String) {
        let v = parse(body);
        (
            status,
            v["error"]["code"].as_str().unwrap_or("").to_string(),
            v["error"]["message"].as_str().unwrap_or("").to_string(),
        )
    };
    let hello = || json!({"model": "rlm", "messages": [{"role": "user", "content": "Say hello"}]});

    let (st, _, body) = http("POST", &url, Some("{not json".into()), Some(SERVER_KEY));
    let (st, code, msg) = error(st, &body);
    assert_eq!((st, code.as_str()), (400, "invalid_json"), "{msg}");

    let mut req = hello();
    req["temprature"] = json!(0.5);
    let (st, _, body) = chat(&s, req);
    let (st, code, msg) = error(st, &body);
    assert_eq!((st, code.as_str()), (400, "invalid_json"));
    assert!(msg.contains("unknown field `temprature`"), "{msg}");

    let (st, _, body) = chat(&s, question(9));
    let (st, code, msg) = error(st, &body);
    assert_eq!((st, code.as_str()), (400, "request_too_large"), "{msg}");
    assert!(msg.contains("20,000 bytes"), "{msg}");

    let (st, _, body) = http("POST", &url, Some(hello().to_string()), None);
    let (st, code, _) = error(st, &body);
    assert_eq!((st, code.as_str()), (401, "invalid_api_key"));
    let (st, _, body) = http("POST", &url, Some(hello().to_string()), Some("wrong"));
    assert_eq!(st, 401, "{body}");

    let (st, _, body) = http("GET", &format!("{}/nothing", s.url), None, Some(SERVER_KEY));
    let (st, code, _) = error(st, &body);
    assert_eq!((st, code.as_str()), (404, "unknown_url"));

    let mut req = json!({"model": "rlm", "messages": [{"role": "user", "content": format!("{}the magic number is 3\n\nWhat is the magic number?", "filler line\n".repeat(200))}]});
    req["rlmq"] = json!({"max_llm_calls": 1});
    let (st, _, body) = chat(&s, req);
    let (st, code, msg) = error(st, &body);
    assert_eq!((st, code.as_str()), (400, "limit_exceeded"), "{msg}");
    assert!(msg.contains("call budget is spent (1 of 1 calls)"), "{msg}");

    let (st, _, body) = chat(&s, hello());
    assert_eq!(st, 200, "the server goes on: {body}");
    assert!(!body.contains("PLANTED"));
}

#[test]
fn the_openai_python_client() {
    let mock = MockServer::start(root_rules(0)).expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let s = serve(
        &mock,
        dir.path(),
        &[
            "--passthrough-chars",
            "500",
            "--concurrency",
            "2",
            "--no-cache",
        ],
    );
    let Some(out) = run_client(
        "openai",
        "openai_client.py",
        &[&s.url],
        &[("RLMQ_SERVE_KEY", SERVER_KEY), ("NO_PROXY", "127.0.0.1")],
    ) else {
        return;
    };
    assert!(out.contains("all checks passed"), "{out}");
    assert!(mock.max_in_flight() <= 2, "{}", mock.max_in_flight());
}
