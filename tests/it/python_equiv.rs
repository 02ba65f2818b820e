//! The language's forms give what Python computes: each
//! `tests/equiv/NAME.rlq` and `NAME.py` print the same labelled lines over
//! the same context, the Python side written from Python's own semantics.
//! Run over the sample context and over a generated multi-MB text that
//! exercises the parallel search paths and non-ASCII offsets.

use std::fs;
use std::process::Command;

use super::common::{rlmq, root, sample};

fn python() -> Option<String> {
    ["python3", "python"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_string)
}

/// A deterministic multi-MB text: sections, log lines, labelled rows,
/// non-ASCII words, one needle.
pub fn generated_text(target: usize) -> String {
    let words = [
        "harbor", "village", "café", "naïve", "日本", "signal", "tower", "winter", "report",
        "ERROR",
    ];
    let labels = ["spam", "ham", "question", "other"];
    let mut s = String::with_capacity(target + 1024);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut line = 0u64;
    while s.len() < target {
        line += 1;
        match next() % 23 {
            0 => s.push_str(&format!("## Section {line}\n")),
            1..=4 => s.push_str(&format!(
                "Date: 2024-01-01 || User: {} || Label: {}\n",
                next() % 500,
                labels[(next() % 4) as usize]
            )),
            _ => {
                let n = 3 + next() % 20;
                let ws: Vec<&str> = (0..n)
                    .map(|_| words[(next() % words.len() as u64) as usize])
                    .collect();
                s.push_str(&ws.join(" "));
                s.push('\n');
            }
        }
        if line == 40_000 {
            s.push_str("The magic number is 77731.\n");
        }
    }
    s
}

fn compare(name: &str, context: &std::path::Path) {
    let Some(py) = python() else {
        panic!("python3 is needed for the Python equivalence tests");
    };
    let script = root().join(format!("tests/equiv/{name}.rlq"));
    let pyfile = root().join(format!("tests/equiv/{name}.py"));
    let ours = rlmq()
        .arg("run")
        .arg(&script)
        .arg("--context")
        .arg(context)
        .output()
        .expect("run rlmq");
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let theirs = Command::new(py)
        .arg(&pyfile)
        .arg(context)
        .output()
        .expect("run python");
    assert!(
        theirs.status.success(),
        "{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let (a, b) = (
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&theirs.stdout),
    );
    let mut diffs = Vec::new();
    for (x, y) in a.lines().zip(b.lines()) {
        if x != y {
            let cut = |s: &str| s.chars().take(600).collect::<String>();
            diffs.push(format!("rlq:    {}\npython: {}", cut(x), cut(y)));
        }
    }
    assert_eq!(a.lines().count(), b.lines().count(), "line counts differ");
    assert!(
        diffs.is_empty(),
        "{} lines differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn issue_block_matches_python_on_the_sample() {
    compare("issue_block", &sample());
}

#[test]
fn issue_block_matches_python_on_a_generated_multi_mb_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.txt");
    fs::write(&path, generated_text(6 << 20)).expect("write");
    compare("issue_block", &path);
}

#[test]
fn python_habits_match_python() {
    compare("python_habits", &sample());
}

#[test]
fn loop_forms_match_python() {
    compare("loop_forms", &sample());
}
