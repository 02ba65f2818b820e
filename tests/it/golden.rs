//! Golden tests: each `tests/golden/NAME.rlq` runs through the real binary
//! and its output must equal `NAME.stdout` (and `NAME.stderr`, where that
//! file exists). Directives in leading comments:
//!
//! - `# context: PATH` (repeatable; default `examples/sample.txt`, `none` for no context)
//! - `# args: ...` extra arguments
//! - `# exit: N` the expected exit code (default 0)
//!
//! `RLMQ_BLESS=1 cargo test` rewrites the expected files; review the diff.

use std::fs;

use super::common::{rlmq, root};

#[test]
fn golden_scripts() {
    let dir = root().join("tests/golden");
    let mut scripts: Vec<_> = fs::read_dir(&dir)
        .expect("tests/golden")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rlq"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no golden scripts");
    let bless = std::env::var_os("RLMQ_BLESS").is_some();
    let mut failures = Vec::new();
    for script in &scripts {
        let text = fs::read_to_string(script).expect("read script");
        let mut contexts = Vec::new();
        let mut extra = Vec::new();
        let mut exit = 0;
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            if let Some(c) = line.strip_prefix("# context:") {
                contexts.push(c.trim().to_string());
            } else if let Some(a) = line.strip_prefix("# args:") {
                extra.extend(a.split_whitespace().map(str::to_string));
            } else if let Some(e) = line.strip_prefix("# exit:") {
                exit = e.trim().parse().expect("exit code");
            }
        }
        if contexts.is_empty() {
            contexts.push("examples/sample.txt".into());
        }
        let mut cmd = rlmq();
        cmd.arg("run")
            .arg(script.strip_prefix(root()).unwrap_or(script));
        for c in contexts.iter().filter(|c| *c != "none") {
            cmd.arg("--context").arg(c);
        }
        cmd.args(&extra);
        let out = cmd.output().expect("run rlmq");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let want_out = script.with_extension("stdout");
        let want_err = script.with_extension("stderr");
        if bless {
            fs::write(&want_out, &stdout).expect("bless stdout");
            if exit != 0 || !stderr.is_empty() {
                fs::write(&want_err, &stderr).expect("bless stderr");
            }
            continue;
        }
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        if out.status.code() != Some(exit) {
            failures.push(format!(
                "{name}: exit {:?}, expected {exit}\nstderr:\n{stderr}",
                out.status.code()
            ));
            continue;
        }
        let expected = fs::read_to_string(&want_out).unwrap_or_default();
        if stdout != expected {
            failures.push(format!(
                "{name}: stdout differs\n--- expected\n{expected}\n--- got\n{stdout}"
            ));
        }
        if let Ok(expected) = fs::read_to_string(&want_err) {
            if stderr != expected {
                failures.push(format!(
                    "{name}: stderr differs\n--- expected\n{expected}\n--- got\n{stderr}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
