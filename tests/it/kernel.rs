//! `rlmq kernel` driven as an agent framework drives it: one JSON request
//! per line, each answer read before the next request is written.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use serde_json::{json, Value};

use super::common::rlmq;

struct Kernel {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Kernel {
    fn start(args: &[&str]) -> Kernel {
        let mut child = rlmq()
            .arg("kernel")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rlmq kernel");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Kernel {
            child,
            stdin,
            stdout,
        }
    }

    fn send_raw(&mut self, line: &str) -> Value {
        writeln!(self.stdin, "{line}").expect("write request");
        self.stdin.flush().expect("flush request");
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).expect("read answer");
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("bad answer {answer:?}: {e}"))
    }

    fn code(&mut self, code: &str) -> Value {
        self.send_raw(&json!({ "code": code }).to_string())
    }

    fn finish(self) -> i32 {
        drop(self.stdin);
        let out = self.child.wait_with_output().expect("wait kernel");
        out.status.code().unwrap_or(-1)
    }
}

/// A log of `lines` lines with one planted needle at line `at` (1-based).
fn haystack(lines: usize, at: usize) -> String {
    let mut s = String::with_capacity(lines * 64);
    for i in 1..=lines {
        if i == at {
            s.push_str("2024-05-01 12:00:00 NOTE the vault code is 7341-alpha, keep it\n");
        } else {
            s.push_str(&format!(
                "2024-05-01 12:{:02}:{:02} INFO worker-{} processed batch {i}\n",
                (i / 60) % 60,
                i % 60,
                i % 7
            ));
        }
    }
    s
}

#[test]
fn a_multi_turn_needle_search_keeps_state_recovers_from_errors_and_reports_final() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    std::fs::write(&path, haystack(200_000, 123_457)).unwrap();
    let mut k = Kernel::start(&[
        "--context",
        path.to_str().unwrap(),
        "--question",
        "What is the vault code?",
    ]);

    // Turn 1: look.
    let a = k.code(
        "print(len(context), len(lines(context)))\nprint(question)\nprint(head(context, 60))",
    );
    assert_eq!(a["turn"], 1);
    assert_eq!(a["error"], Value::Null);
    assert_eq!(a["final"], Value::Null);
    let out = a["output"].as_str().unwrap();
    assert!(
        out.starts_with("200000") || out.contains(" 200000\n"),
        "{out}"
    );
    assert!(out.contains("What is the vault code?"));
    assert!(a["usage"]["elapsed_ms"].as_f64().is_some());

    // Turn 2: a long output is cut, head and tail kept.
    let a = k.code("let hits = grep(context, re\"code is (\\S+)\")\nfor l in take(lines(context), 5000) { print(l) }");
    assert_eq!(a["truncated"], true);
    let out = a["output"].as_str().unwrap();
    assert!(out.contains("processed batch 1\n"), "head kept");
    assert!(out.contains("processed batch 5000\n"), "tail kept");
    assert!(out.contains("characters ("), "says what was cut");
    assert!(out.chars().count() < 10_500);

    // Turn 3: a mistake; the answer carries the caret diagnostic.
    let a = k.code("print(len(hits))\nprint(hits[0].grups)");
    let err = a["error"].as_str().expect("an error");
    assert!(err.contains("line-3:2"), "{err}");
    assert!(err.contains('^'), "{err}");
    assert!(
        err.contains("= line 2 stopped the program; the lines before it ran"),
        "{err}"
    );
    assert_eq!(a["output"], "1\n", "output before the error is kept");

    // A line that is not a request gets an error answer, and the kernel goes on.
    let a = k.send_raw("this is not json");
    assert!(a["error"].as_str().unwrap().contains("not JSON"));
    let a = k.send_raw("{\"cmd\": 1}");
    assert!(a["error"].as_str().unwrap().contains("\"code\""));

    // Turn 4: state from turn 2 is still there; fix and keep the answer.
    let a = k.code("let m = hits[0]\nlet answer = m.groups[0] + \" (line \" + str(m.line) + \")\"\nprint(answer)");
    assert_eq!(a["error"], Value::Null, "{a}");
    assert_eq!(a["output"], "7341-alpha, (line 123457)\n");

    // Turn 5: final is reported; a per-line output limit applies.
    let a = k.send_raw(
        &json!({"code": "print(\"x\" * 50)\nfinal(answer)", "max_output_chars": 10}).to_string(),
    );
    assert_eq!(a["final"], "7341-alpha, (line 123457)");
    assert_eq!(a["truncated"], true);
    assert_eq!(a["turn"], 5);

    // The variables survive a final, too.
    let a = k.code("print(len(answer))");
    assert_eq!(a["output"], "25\n");

    // A parse error: nothing ran. A builtin's name that an earlier turn made
    // a value names where it was assigned.
    let a = k.code("let count = 3\nprint(count(");
    assert!(
        a["error"].as_str().unwrap().contains("= nothing ran"),
        "{a}"
    );
    let a = k.code("let count = len(hits)");
    assert_eq!(a["error"], Value::Null, "{a}");
    let a = k.code("print(count(context, \"code\"))");
    let err = a["error"].as_str().unwrap();
    assert!(
        err.contains("`count` is the script's variable here (an int, assigned at line-8:1), not the built-in count()"),
        "{err}"
    );
    assert_eq!(k.finish(), 0);
}

#[test]
fn the_kernel_reports_a_missing_context_as_a_usage_error() {
    let out = rlmq()
        .args(["kernel", "--context", "no/such/file.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn kernel_lines_can_make_sub_calls_and_report_their_usage() {
    use rlmq::llm::mock::{MockRules, MockServer, Rule};
    let server = MockServer::start(
        MockRules::new()
            .api_key("sk-kernel-test-key-123")
            .rule(Rule::template("label", r"Label: (\w+)", "$1")),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut child = rlmq()
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("OPENAI_BASE_URL", server.openai_url())
        .env("OPENAI_API_KEY", "sk-kernel-test-key-123")
        .args([
            "kernel",
            "--context",
            "examples/sample.txt",
            "--sub-model",
            "mock-small",
            "--cache-dir",
        ])
        .arg(cache.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut k = Kernel {
        stdin: child.stdin.take().unwrap(),
        stdout: BufReader::new(child.stdout.take().unwrap()),
        child,
    };
    let a = k.code("let rows = grep(context, re\"Label: \\w+\") | take(3) | map(m => m.line_text)\nprint(rows | map(r => llm(\"Which label?\", r)))");
    assert_eq!(a["error"], Value::Null, "{a}");
    assert_eq!(a["output"], "[\"complaint\",\"question\",\"praise\"]\n");
    assert_eq!(a["usage"]["calls"], 3);
    assert!(a["usage"]["input_tokens"].as_u64().unwrap() > 0);
    let a = k.code("print(1)");
    assert_eq!(a["usage"]["calls"], 0);
    assert_eq!(k.finish(), 0);
    assert_eq!(server.count(), 3);
}
