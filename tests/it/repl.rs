//! `rlmq repl` fed from a pipe: entries run one after another with their
//! variables, multi-line entries continue, commands answer, errors show;
//! SIGINT while an entry runs interrupts that entry only.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rlmq::llm::mock::{MockRules, MockServer, Rule};

use super::common::{rlmq, run_with_stdin};

#[test]
fn entries_share_variables_continue_across_lines_and_show_errors() {
    let input = "let x = count(context, \"ERROR\")\nx\nlet xs = [1,\n2]\nprint(xs)\n:vars\nprint(y)\ndef f(a) {\n  return a * 2\n}\nf(x)\n:history\nfinal(x + 1)\nx\n";
    let out = run_with_stdin(&["repl", "--context", "examples/sample.txt"], input);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("rlmq repl: 1 document"), "{stdout}");
    assert_eq!(lines[1], "10");
    assert_eq!(lines[2], "[1,2]");
    assert!(stdout.contains("x: int: 10\n"), "{stdout}");
    assert!(stdout.contains("xs: list, 2 items"), "{stdout}");
    assert!(stdout.contains("\n20\n"), "{stdout}");
    assert!(
        stdout.contains("[6] def f(a) {\n      return a * 2\n    }\n"),
        "{stdout}"
    );
    assert!(stdout.contains("final: 11\n10\n"), "{stdout}");
    assert!(stderr.contains("unknown name `y`"), "{stderr}");
    assert!(stderr.contains("--> in-5:1:7"), "{stderr}");
}

#[test]
fn the_history_file_is_written_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let hist = dir.path().join("hist");
    let h = hist.to_str().unwrap();
    let out = run_with_stdin(
        &[
            "repl",
            "--context",
            "examples/sample.txt",
            "--history-file",
            h,
        ],
        "let n = 3\nprint(n * 2)\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let saved = std::fs::read_to_string(&hist).unwrap();
    assert!(saved.contains("print(n * 2)"), "{saved}");
    let out = run_with_stdin(
        &[
            "repl",
            "--context",
            "examples/sample.txt",
            "--history-file",
            h,
        ],
        ":quit\n",
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn prompt_prints_the_system_prompt_and_the_first_message() {
    let out = run_with_stdin(&["prompt"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(text.contains("```rlq"), "teaches rlq blocks");
    assert!(text.contains("final("));
    assert!(!text.contains("## For this model"));
    let out = run_with_stdin(&["prompt", "--model", "qwen3-coder", "--examples"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("## For this model"));
    assert!(text.contains("### label_count"));
    let out = run_with_stdin(
        &[
            "prompt",
            "--question",
            "What is the magic number?",
            "--context",
            "examples/sample.txt",
        ],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("----- first message -----"));
    assert!(text.contains("Question: What is the magic number?"));
    assert!(
        text.contains("1 document, 9,007 characters in 165 lines"),
        "{text}"
    );
}

#[test]
fn sigint_interrupts_the_running_entry_and_the_repl_goes_on() {
    let server = MockServer::start(
        MockRules::new()
            .rule(
                Rule::text("slow", "late")
                    .when("slow please")
                    .latency_ms(120_000),
            )
            .rule(Rule::text("fast", "quick")),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut child = rlmq()
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env("OPENAI_BASE_URL", server.openai_url())
        .args([
            "repl",
            "--context",
            "examples/sample.txt",
            "--model",
            "mock-small",
            "--no-cache",
        ])
        .arg("--trace")
        .arg(&trace)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"let a = 41\nlet r = llm(\"slow please\")\n")
        .unwrap();
    stdin.flush().unwrap();
    // Wait (bounded) until the slow call is in flight at the server.
    let waited = Instant::now();
    while server.count_rule("slow") == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "the call never reached the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    stdin
        .write_all(b"print(a + 1, llm(\"fast\"))\n:history\n")
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("interrupted (Ctrl-C): the call was abandoned in flight"),
        "{stderr}"
    );
    assert!(stdout.contains("42 quick\n"), "variables kept: {stdout}");
    assert!(
        stdout.contains("[2] let r = llm(\"slow please\")"),
        "history kept: {stdout}"
    );
    let events = std::fs::read_to_string(&trace).unwrap();
    let slow: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "subcall" && e["reply"].is_null())
        .collect();
    assert_eq!(slow.len(), 1, "{events}");
    assert_eq!(slow[0]["error_kind"], "interrupted");
}
