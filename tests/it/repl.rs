//! `rlmq repl` fed from a pipe: entries run one after another with their
//! variables, multi-line entries continue, commands answer, errors show.

use super::common::run_with_stdin;

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
