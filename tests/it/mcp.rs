//! `rlmq mcp` over stdio: JSON-RPC by hand (list tools, run code twice with
//! a variable persisting, an error as data, describe, a resource, a whole
//! session through `ask` against the scripted model server), then the
//! official `mcp` Python SDK as the client.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use rlmq::llm::mock::MockServer;
use serde_json::{json, Value};

use super::ask::{config_file, KEY};
use super::common::{rlmq, run_client};
use super::serve::{document, root_rules};

/// A running `rlmq mcp`, spoken to one request at a time.
struct Mcp {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: u64,
}

impl Drop for Mcp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Mcp {
    /// Starts `rlmq mcp ARGS` with `key` as the provider key.
    fn start(args: &[&str], key: Option<&str>) -> Mcp {
        let mut c = rlmq();
        c.env_remove("OPENAI_BASE_URL")
            .env_remove("OPENAI_API_KEY")
            .env_remove("ANTHROPIC_API_KEY");
        if let Some(k) = key {
            c.env("OPENAI_API_KEY", k);
        }
        let mut child = c
            .arg("mcp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rlmq mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut m = Mcp {
            child,
            stdin,
            stdout,
            next: 1,
        };
        let init = m.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "rlmq-test", "version": "0"}}),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "rlmq", "{init}");
        m.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        m
    }

    fn send(&mut self, v: &Value) {
        writeln!(self.stdin, "{v}").expect("write to rlmq mcp");
        self.stdin.flush().expect("flush");
    }

    /// Sends a request and reads lines until its response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            let n = self
                .stdout
                .read_line(&mut line)
                .expect("read from rlmq mcp");
            assert!(n > 0, "rlmq mcp closed its output");
            let v: Value = serde_json::from_str(&line).expect("JSON-RPC lines");
            if v["id"] == json!(id) {
                return v;
            }
        }
    }

    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let r = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        r["result"].clone()
    }
}

fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .collect()
}

fn tool_names(list: &Value) -> Vec<&str> {
    list["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect()
}

fn context_file(dir: &Path) -> String {
    let p = dir.join("notes.txt");
    std::fs::write(&p, document(4217)).expect("write context");
    p.display().to_string()
}

#[test]
fn tools_variables_errors_and_a_session() {
    let mock = MockServer::start(root_rules(0)).expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(dir.path(), &mock);
    let ctx = context_file(dir.path());
    let cache = dir.path().join("cache");
    let mut m = Mcp::start(
        &[
            "--context",
            &ctx,
            "--config",
            config.to_str().unwrap(),
            "--cache-dir",
            cache.to_str().unwrap(),
            "--max-output-chars",
            "300",
        ],
        Some(KEY),
    );

    let tools = m.request("tools/list", json!({}));
    let names = tool_names(&tools);
    assert_eq!(names, ["rlq", "describe_context", "ask"]);
    assert!(tools["result"]["tools"][0]["description"]
        .as_str()
        .is_some_and(|d| d.contains("rlmq://docs/builtins")));

    let r = m.call(
        "rlq",
        json!({"code": "let hits = grep(context, re\"magic number is (\\d+)\")\nprint(len(hits))"}),
    );
    assert_eq!(
        (text(&r).as_str(), &r["isError"]),
        ("1\n", &json!(false)),
        "{r}"
    );
    let r = m.call(
        "rlq",
        json!({"code": "print(hits[0].groups[0])\nfinal(int(hits[0].groups[0]) + 1)"}),
    );
    assert_eq!(text(&r), "4217\nfinal: 4218");
    assert_eq!(r["structuredContent"]["final"], "4218");

    let r = m.call("rlq", json!({"code": "print(hitz)"}));
    assert_eq!(r["isError"], true);
    assert!(text(&r).contains("did you mean `hits`?"), "{r}");
    assert_eq!(r["structuredContent"]["turn"], 3);

    let r = m.call("rlq", json!({"code": "print(context)"}));
    assert_eq!(
        r["structuredContent"]["truncated"], true,
        "output cut to --max-output-chars"
    );
    assert!(text(&r).chars().count() < 600, "{}", text(&r).len());

    let r = m.call("describe_context", json!({}));
    assert_eq!(r["structuredContent"]["total"]["documents"], 1);
    assert!(
        r["structuredContent"]["variables"]["hits"].is_string(),
        "{r}"
    );

    let r = m.request("resources/read", json!({"uri": "rlmq://docs/builtins"}));
    assert!(r["result"]["contents"][0]["text"]
        .as_str()
        .is_some_and(|t| t.contains("| `grep(")));
    let r = m.request("tools/call", json!({"name": "nope", "arguments": {}}));
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|t| t.contains("the tools are rlq, describe_context, ask")),
        "{r}"
    );

    let r = m.call("ask", json!({"question": "What is the magic number?"}));
    assert_eq!(text(&r), "The magic number is 4217", "{r}");
    assert_eq!(r["structuredContent"]["status"], "final");
    assert_eq!(r["structuredContent"]["usage"]["calls"], 2);
    assert_eq!(mock.count(), 2);
}

#[test]
fn without_a_model_there_is_no_ask() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context_file(dir.path());
    let mut m = Mcp::start(
        &["--context", &ctx, "--base-url", "https://api.openai.com/v1"],
        None,
    );
    let tools = m.request("tools/list", json!({}));
    let names = tool_names(&tools);
    assert_eq!(names, ["rlq", "describe_context"]);
    let r = m.call(
        "rlq",
        json!({"code": "print(len(context) > 1000)\nllm(\"Say hi\")"}),
    );
    assert_eq!(r["isError"], true);
    assert!(text(&r).starts_with("true\n"), "{r}");
    assert!(text(&r).contains("no API key"), "{r}");
}

#[test]
fn the_mcp_python_sdk() {
    let mock = MockServer::start(root_rules(0)).expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(dir.path(), &mock);
    let ctx = context_file(dir.path());
    let binary = env!("CARGO_BIN_EXE_rlmq");
    let Some(out) = run_client(
        "mcp",
        "mcp_client.py",
        &[
            binary,
            "--",
            "--context",
            &ctx,
            "--config",
            config.to_str().unwrap(),
            "--no-cache",
        ],
        &[("OPENAI_API_KEY", KEY)],
    ) else {
        return;
    };
    assert!(out.contains("ok: the session found the number"), "{out}");
}
