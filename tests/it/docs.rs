//! The documentation cannot teach what the interpreter rejects: every
//! ```rlq block in docs/LANGUAGE.md, README.md and prompts/ runs against
//! examples/sample.txt, and where an ```output block follows, the output
//! must match. The builtin table of the reference must list exactly the
//! registry's builtins. Every worked example under prompts/examples/ runs
//! to its `final`. `RLMQ_BLESS=1` rewrites output blocks and the table.
//!
//! Snippets that call `llm` run against the scripted server on 127.0.0.1,
//! whose canned replies fit the prompts the snippets use (`NONE` for
//! "reply NONE", a JSON list for "JSON list", an answer sentence for
//! "Answer from this excerpt"); their output is not compared.

use std::fs;
use std::path::{Path, PathBuf};

use rlmq::llm::mock::{MockRules, MockServer, Rule};
use rlmq::llm::{LlmConfig, Provider};

use super::common::{eval_session, root};

/// True when a snippet needs a sub-model to run.
fn needs_model(code: &str) -> bool {
    code.contains("llm(") || code.contains("rlm(")
}

/// A sub-model for the snippets: the scripted server and a config for it.
fn sub_model() -> (MockServer, LlmConfig, tempfile::TempDir) {
    let server = MockServer::start(
        MockRules::new()
            .rule(
                Rule::text("answer", "The magic number is 4817.").when("Answer from this excerpt"),
            )
            .rule(Rule::text("none", "NONE").when("or reply NONE"))
            .rule(Rule::text("json", "[\"weather\", \"people\"]").when("JSON list"))
            .rule(Rule::text(
                "notes",
                "The harbor log notes storms, repairs and a magic number, 4817.",
            )),
    )
    .expect("mock server");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = LlmConfig::new(Provider::OpenAi, server.openai_url())
        .with_api_key("sk-docs-test-key-000")
        .with_sub_model("mock-small")
        .with_cache_dir(dir.path().join("cache"));
    (server, config, dir)
}

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

fn check_file(path: &Path, bless: bool, models: &LlmConfig, failures: &mut Vec<String>) -> usize {
    let text = fs::read_to_string(path).expect("read doc");
    let exs = examples(&text);
    let mut blessed = text.clone();
    for ex in exs.iter().rev() {
        let got = eval_session(&ex.code, Some(models));
        let where_ = format!("{}:{}", path.display(), ex.line);
        match (&got, &ex.output) {
            (Err(e), _) => failures.push(format!("{where_}: the example fails:\n{e}")),
            (Ok(_), Some(_)) if needs_model(&ex.code) => {}
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
    let (server, models, _dir) = sub_model();
    for f in files() {
        total += check_file(&f, bless, &models, &mut failures);
    }
    assert!(server.count() >= 5, "the snippets that call llm() ran");
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

#[test]
fn every_worked_example_runs_to_its_final() {
    let dir = root().join("prompts/examples");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("prompts/examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rlq"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "only {} worked examples", files.len());
    let mut failures = Vec::new();
    let (server, models, _dir) = sub_model();
    for f in &files {
        let code = fs::read_to_string(f).expect("read example");
        match eval_session(&code, Some(&models)) {
            Ok(out) if out.trim_end().lines().last().is_some() => {}
            Ok(out) => failures.push(format!("{}: no final value\n{out}", f.display())),
            Err(e) => failures.push(format!("{}: fails\n{e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(server.count() >= 10, "the examples made their sub-calls");
}

#[test]
fn the_prompt_compiled_into_rlmq_lists_every_worked_example_and_model_file() {
    use rlmq::session::prompt::{EXAMPLES, MODEL_ADDITIONS};
    let stems = |dir: &str, ext: &str| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(root().join(dir))
            .expect("prompt folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let mut listed: Vec<String> = EXAMPLES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(listed, stems("prompts/examples", "rlq"));
    let mut listed: Vec<String> = MODEL_ADDITIONS.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(listed, stems("prompts/models", "md"));
}
