//! `rlm()` sub-sessions outside `rlmq ask`: in `rlmq run` and `rlmq kernel`
//! with `--model`, against the scripted root and sub-model on 127.0.0.1.
//! A depth-1 sub-session makes its own `llm()` calls; only a further
//! `rlm()` is bounded by `--max-depth`.

use std::path::Path;
use std::process::Output;

use rlmq::llm::mock::{MockServer, Rule};
use serde_json::Value;

use super::ask::{block, config_file, events, of, server, KEY};
use super::common::rlmq;

/// The sub-session's turns: look the label up with `llm()`, then answer.
fn labelling_turns() -> Vec<String> {
    vec![
        block(
            "Ask the sub-model for the label.",
            "let label = llm(\"Give the label\", context)\nprint(label)",
        ),
        block("Answer.", "final(label)"),
    ]
}

fn label_rule() -> Rule {
    Rule::template("label", r"Label: (\w+)", "$1")
}

/// `rlmq <args>` against `server`, the trace in `dir/t.jsonl`.
fn rlmq_with(server: &MockServer, dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let config = config_file(dir, server);
    let mut c = rlmq();
    c.env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env("OPENAI_API_KEY", KEY)
        .args(args)
        .arg("--config")
        .arg(&config)
        .arg("--no-cache")
        .arg("--trace")
        .arg(dir.join("t.jsonl"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("spawn rlmq");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait rlmq")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The trace shows a depth-1 session whose sub-call ran at depth 1.
fn check_nested(dir: &Path) {
    let ev = events(dir);
    let starts = of(&ev, "session_start");
    assert_eq!(starts.len(), 1, "one sub-session");
    assert_eq!(starts[0]["depth"], 1);
    let subs = of(&ev, "subcall");
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["depth"], 1);
    assert_eq!(subs[0]["reply"], "spam");
    assert!(subs[0]["error"].is_null());
    let ends = of(&ev, "session_end");
    assert_eq!(ends[0]["status"], "final");
    assert_eq!(ends[0]["answer"], "spam");
}

#[test]
fn rlm_in_run_with_model_runs_a_sub_session_that_may_call_llm() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(labelling_turns(), vec![label_rule()]);
    let o = rlmq_with(
        &server,
        dir.path(),
        &[
            "run",
            "-e",
            "final(rlm(\"What is the label?\", \"User: 7 || Label: spam\"))",
            "--model",
            "mock-root",
            "--sub-model",
            "mock-small",
        ],
        None,
    );
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "spam\n");
    assert_eq!(server.count_rule("root"), 2);
    assert_eq!(server.count_rule("label"), 1);
    check_nested(dir.path());
}

#[test]
fn rlm_in_the_kernel_with_model_runs_a_sub_session() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(labelling_turns(), vec![label_rule()]);
    let line = serde_json::json!({
        "code": "let a = rlm(\"What is the label?\", \"User: 7 || Label: spam\")\nprint(a)"
    });
    let o = rlmq_with(
        &server,
        dir.path(),
        &[
            "kernel",
            "--model",
            "mock-root",
            "--sub-model",
            "mock-small",
        ],
        Some(&format!("{line}\n")),
    );
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let reply: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(reply["error"], Value::Null, "{reply}");
    assert_eq!(reply["output"], "spam\n");
    check_nested(dir.path());
}

#[test]
fn a_further_rlm_is_bounded_by_max_depth() {
    let dir = tempfile::tempdir().unwrap();
    let turns = vec![
        block("Recurse again.", "let deeper = rlm(\"q\", context)"),
        block("Answer.", "final(\"gave up\")"),
    ];
    let server = server(turns, vec![]);
    let o = rlmq_with(
        &server,
        dir.path(),
        &[
            "run",
            "-e",
            "final(rlm(\"q\", \"some text\"))",
            "--model",
            "mock-root",
        ],
        None,
    );
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "gave up\n");
    let ev = events(dir.path());
    let turn = of(&ev, "turn")[0];
    let err = turn["error"].as_str().expect("the first turn failed");
    assert!(
        err.contains("a sub-session would run at depth 2, deeper than --max-depth 1"),
        "{err}"
    );
    assert_eq!(of(&ev, "session_start").len(), 1, "no depth-2 session");
}

#[test]
fn rlm_without_a_root_model_says_to_pass_model() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(vec![], vec![]);
    let o = rlmq_with(
        &server,
        dir.path(),
        &["run", "-e", "final(rlm(\"q\", \"text\"))"],
        None,
    );
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("recursive sub-sessions need a root model")
            && stderr.contains("pass --model NAME"),
        "{stderr}"
    );
    assert_eq!(server.count(), 0);
}
