//! The documentation cannot teach what the interpreter rejects: every
//! ```rlq block in docs/LANGUAGE.md, README.md and prompts/ runs against
//! examples/sample.txt, and where an ```output block follows, the output
//! must match. The builtin table of the reference must list exactly the
//! registry's builtins. `RLMQ_BLESS=1` rewrites output blocks and the table.

use std::fs;
use std::path::{Path, PathBuf};

use super::common::{eval, root};

struct Example {
    code: String,
    /// Byte range of the output block's body in the file, and its text.
    output: Option<(std::ops::Range<usize>, String)>,
    line: usize,
}

fn examples(text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = text[pos..].find("```rlq\n") {
        let start = pos + i + "```rlq\n".len();
        let Some(end) = text[start..].find("\n```").map(|e| start + e) else {
            break;
        };
        let code = text[start..end].to_string();
        let line = text[..start].lines().count() + 1;
        let after = end + "\n```".len();
        let rest = &text[after..];
        let trimmed = rest.trim_start_matches('\n');
        let output = if trimmed.starts_with("```output\n") {
            let ob = after + (rest.len() - trimmed.len()) + "```output\n".len();
            let oe = text[ob..].find("```").map(|e| ob + e).unwrap_or(text.len());
            Some((ob..oe, text[ob..oe].to_string()))
        } else {
            None
        };
        pos = after;
        out.push(Example { code, output, line });
    }
    out
}

fn files() -> Vec<PathBuf> {
    let mut v = vec![root().join("docs/LANGUAGE.md"), root().join("README.md")];
    let prompts = root().join("prompts");
    if let Ok(rd) = fs::read_dir(&prompts) {
        let mut md: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        md.sort();
        v.extend(md);
    }
    v
}

fn check_file(path: &Path, bless: bool, failures: &mut Vec<String>) -> usize {
    let text = fs::read_to_string(path).expect("read doc");
    let exs = examples(&text);
    let mut blessed = text.clone();
    for ex in exs.iter().rev() {
        let got = eval(&ex.code);
        let where_ = format!("{}:{}", path.display(), ex.line);
        match (&got, &ex.output) {
            (Err(e), _) => failures.push(format!("{where_}: the example fails:\n{e}")),
            (Ok(out), Some((range, want))) => {
                if bless {
                    blessed.replace_range(range.clone(), out);
                } else if out != want {
                    failures.push(format!(
                        "{where_}: output differs\n--- expected\n{want}--- got\n{out}"
                    ));
                }
            }
            (Ok(_), None) => {}
        }
    }
    if bless && blessed != text {
        fs::write(path, blessed).expect("bless doc");
    }
    exs.len()
}

#[test]
fn every_rlq_example_in_the_docs_runs() {
    let bless = std::env::var_os("RLMQ_BLESS").is_some();
    let mut failures = Vec::new();
    let mut total = 0;
    for f in files() {
        total += check_file(&f, bless, &mut failures);
    }
    assert!(total >= 8, "only {total} examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_reference_lists_exactly_the_builtins() {
    let path = root().join("docs/LANGUAGE.md");
    let text = fs::read_to_string(&path).expect("read reference");
    let (begin, end) = ("<!-- builtins:begin -->\n", "<!-- builtins:end -->");
    let b = text.find(begin).expect("builtins:begin marker") + begin.len();
    let e = text.find(end).expect("builtins:end marker");
    let mut table = b"| builtin | returns |\n|---|---|\n".to_vec();
    rlmq::builtins::reference_table(&mut table).expect("table");
    let table = String::from_utf8(table).expect("utf8");
    if std::env::var_os("RLMQ_BLESS").is_some() {
        let mut t = text.clone();
        t.replace_range(b..e, &table);
        fs::write(&path, t).expect("bless reference");
        return;
    }
    assert_eq!(
        &text[b..e],
        table,
        "the builtin table in docs/LANGUAGE.md is out of date: run RLMQ_BLESS=1 cargo test the_reference_lists"
    );
}
