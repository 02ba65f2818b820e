//! The command line through the real binary: inputs, outputs, exit codes.

use std::fs;

use super::common::{run, run_with_stdin};

#[test]
fn expression_flag_prints_output_then_final() {
    let (code, out, _) = run(&[
        "run",
        "-e",
        "print(count(context, \"ERROR\"))\nfinal([1, \"a\"])",
        "--context",
        "examples/sample.txt",
    ]);
    assert_eq!((code, out.as_str()), (0, "10\n[1,\"a\"]\n"));
}

#[test]
fn script_on_stdin() {
    let out = run_with_stdin(
        &["run", "-", "--context", "examples/sample.txt"],
        "final(len(lines(context)))",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "165\n");
}

#[test]
fn context_on_stdin() {
    let out = run_with_stdin(
        &["run", "-e", "final(len(context))", "--context", "-"],
        "héllo\n",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "6\n");
}

#[test]
fn quickstart_example_runs() {
    let (code, out, err) = run(&[
        "run",
        "examples/quickstart.rlq",
        "--context",
        "examples/sample.txt",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.ends_with("users sent spam; pairs among them: 28\n"),
        "{out}"
    );
}

#[test]
fn missing_context_file_is_a_usage_error() {
    let (code, _, err) = run(&["run", "-e", "1", "--context", "no/such/file.txt"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no/such/file.txt") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn missing_script_is_a_usage_error() {
    let (code, _, err) = run(&["run", "nope.rlq"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope.rlq"), "{err}");
}

#[test]
fn parse_error_exits_2_and_runtime_error_exits_1() {
    assert_eq!(run(&["run", "-e", "let = 3"]).0, 2);
    assert_eq!(run(&["run", "-e", "print(1 / 0)"]).0, 1);
    assert_eq!(run(&["check", "-e", "print(lenght(context))"]).0, 2);
    assert_eq!(run(&["check", "-e", "print(len(context))"]).0, 0);
}

#[test]
fn folder_of_documents() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("b.txt"), "beta ERROR\n").unwrap();
    fs::write(dir.path().join("sub/a.md"), "alpha\n").unwrap();
    fs::write(dir.path().join("bin.dat"), b"\x00\x01binary").unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = run(&[
        "run",
        "-e",
        "print(docs | map(d => d.name))\nfinal(find(context, \"ERROR\").doc)",
        "--context",
        d,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "[\"b.txt\",\"sub/a.md\"]\nb.txt\n");
}

#[test]
fn jsonl_documents_and_several_contexts() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("c.jsonl");
    fs::write(
        &j,
        "{\"id\": \"d1\", \"text\": \"one\"}\n{\"title\": \"T\", \"text\": \"two\"}\n",
    )
    .unwrap();
    let t = dir.path().join("x.txt");
    fs::write(&t, "three").unwrap();
    let (code, out, err) = run(&[
        "run",
        "-e",
        "final([docs | map(d => d.name), context])",
        "--context",
        j.to_str().unwrap(),
        "--context",
        t.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let name = t.to_str().unwrap();
    assert_eq!(
        out,
        format!("[[\"d1\",\"T\",\"{name}\"],\"one\\n\\ntwo\\n\\nthree\"]\n")
    );
}

#[test]
fn json_output_is_one_object() {
    let (code, out, _) = run(&[
        "run",
        "-e",
        "print(\"hi\")\nfinal({a: 1})",
        "--context",
        "examples/sample.txt",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["final"], serde_json::json!({"a": 1}));
    assert_eq!(v["output"], "hi\n");
    assert_eq!(v["context"]["documents"], 1);
}

#[test]
fn vars_bind_strings() {
    let (code, out, _) = run(&["run", "-e", "final(q + \"!\")", "--var", "q=why"]);
    assert_eq!((code, out.as_str()), (0, "why!\n"));
    assert_eq!(run(&["run", "-e", "1", "--var", "docs=3"]).0, 2);
    // A variable may shadow a built-in, as in Python.
    let (code, out, _) = run(&["run", "-e", "final(len + \"!\")", "--var", "len=3"]);
    assert_eq!((code, out.as_str()), (0, "3!\n"));
}

#[test]
fn awkward_contexts_do_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    fs::write(&empty, "").unwrap();
    let bad = dir.path().join("bad.txt");
    fs::write(&bad, b"ok \xff\xfe bytes\nline2 \xc3\n").unwrap();
    let long = dir.path().join("long.txt");
    fs::write(&long, "x".repeat(3 << 20)).unwrap();
    let code = "print(len(context), len(lines(context)), count(context, \"x\"), context[:5], context[-3:])\nfinal(partition(context, size=1000) | len)";
    for f in [&empty, &bad, &long] {
        let (c, out, err) = run(&["run", "-e", code, "--context", f.to_str().unwrap()]);
        assert_eq!(c, 0, "{}: {err}", f.display());
        assert!(!out.is_empty());
    }
    let (_, out, _) = run(&[
        "run",
        "-e",
        "final(context)",
        "--context",
        bad.to_str().unwrap(),
    ]);
    assert!(out.contains('\u{FFFD}'), "{out}");
}

#[test]
fn memory_limit_stops_large_values() {
    for code in [
        "let s = \"x\" * 40000000\nprint(len(s))",
        "let s = \"x\"\nwhile true { s = s + s }",
    ] {
        let (c, _, err) = run(&["run", "-e", code, "--max-memory", "16"]);
        assert_eq!(c, 1, "{code}: {err}");
        assert!(err.contains("more than 16 MiB"), "{code}: {err}");
    }
}

#[test]
fn dense_matches_stop_at_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let words = dir.path().join("words.txt");
    fs::write(&words, "ab cd ef gh\n".repeat(500_000)).unwrap();
    let w = words.to_str().unwrap();
    for code in [
        r#"len(findall(context, re"\w+"))"#,
        r#"len(grep(context, re"\w+"))"#,
    ] {
        let (c, _, err) = run(&["run", "-e", code, "--context", w, "--max-memory", "16"]);
        assert_eq!(c, 1, "{code}: {err}");
        assert!(err.contains("more than 16 MiB"), "{code}: {err}");
    }
    let (c, out, err) = run(&[
        "run",
        "-e",
        r#"len(grep(context, re"\w+", max=5))"#,
        "--context",
        w,
        "--max-memory",
        "16",
    ]);
    assert_eq!((c, out.trim()), (0, "5"), "{err}");
}

#[test]
fn limits_stop_runaway_scripts() {
    let (code, _, err) = run(&["run", "-e", "while true { }", "--max-steps", "100000"]);
    assert_eq!(code, 1);
    assert!(err.contains("--max-steps"), "{err}");
    let (code, _, err) = run(&[
        "run",
        "-e",
        "while true { print(\"x\") }",
        "--max-output",
        "1000",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("--max-output"), "{err}");
    let (code, _, err) = run(&["run", "-e", "while true { }", "--max-time", "0.5"]);
    assert_eq!(code, 1);
    assert!(err.contains("--max-time"), "{err}");
}

#[test]
fn a_runaway_loop_whose_test_compares_two_ints_stops_at_the_step_limit() {
    // Such a test is decided without making a value; it must still count.
    let code = "let i = 0\nlet n = 10\nwhile i < n { }";
    let (code, _, err) = run(&["run", "-e", code, "--max-steps", "100000"]);
    assert_eq!(code, 1);
    assert!(err.contains("--max-steps"), "{err}");
    let code = "let i = 0\nwhile i < 3 { if i >= 0 { i += 1 } }\nprint(i)";
    let (c, out, err) = run(&["run", "-e", code]);
    assert_eq!((c, out.trim()), (0, "3"), "{err}");
}

#[test]
fn and_and_or_in_a_condition_decide_as_their_values_would() {
    // Conditions decide `and` and `or` side by side, without making the
    // value; it must be the truthiness of the value they give.
    let code = r#"
let vals = [0, 1, "", "x", [], [0], null, 2 > 1, 1 > 2]
let wrong = 0
for a in vals {
  for b in vals {
    let by_if = 0
    if a and b or not a and b { by_if = 1 }
    let by_cond = (a or b) and a ? 1 : 0
    let kept = len([x for x in [1] if a and not b or b and a])
    if by_if != (1 if bool(a and b or not a and b) else 0) { wrong += 1 }
    if by_cond != (1 if bool((a or b) and a) else 0) { wrong += 1 }
    if kept != (1 if bool(a and not b or b and a) else 0) { wrong += 1 }
  }
}
print(wrong)
"#;
    let (c, out, err) = run(&["run", "-e", code]);
    assert_eq!((c, out.trim()), (0, "0"), "{err}");
    let deep = format!("if {}true {{ print(\"deep\") }}", "1 < 2 and ".repeat(1400));
    let (c, out, err) = run(&["run", "-e", &deep]);
    assert_eq!((c, out.trim()), (0, "deep"), "{err}");
}

#[test]
fn sum_adds_ints_as_ints_until_an_item_or_the_total_is_not_one() {
    // Ints are summed as machine ints; a float, a bool, a start value or
    // an overflow hands over to the general addition and its errors.
    let code = "print(sum([1, 2, 3]), sum([1, 2.5, True]), sum([1, 2], 10), sum([]), sum([0.5], 1), sum(range(5)))";
    let (c, out, err) = run(&["run", "-e", code]);
    assert_eq!((c, out.trim()), (0, "6 4.5 13 0 1.5 10"), "{err}");
    for code in [
        "sum([9223372036854775807, 1])",
        "sum([-9223372036854775807, -1, -1])",
    ] {
        let (c, _, err) = run(&["run", "-e", code]);
        assert_eq!(c, 1, "{code}");
        assert!(
            err.contains("sum: integer overflow in `+`"),
            "{code}: {err}"
        );
    }
    let (c, _, err) = run(&["run", "-e", "sum([1, \"a\"])"]);
    assert_eq!(c, 1);
    assert!(err.contains("can only add numbers, got str"), "{err}");
}

/// Every long flag of every subcommand.
fn cli_flags() -> std::collections::BTreeSet<String> {
    use clap::CommandFactory;
    fn walk(c: &clap::Command, out: &mut std::collections::BTreeSet<String>) {
        for a in c.get_arguments() {
            if let Some(l) = a.get_long() {
                out.insert(l.to_string());
            }
        }
        for s in c.get_subcommands() {
            walk(s, out);
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(&rlmq::cli::Cli::command(), &mut out);
    out.insert("help".into());
    out.insert("version".into());
    out
}

/// Files whose text speaks of rlmq's flags: the sources (messages, hints,
/// help), the prompts and the docs.
fn texts_naming_flags() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs" || x == "md") {
                out.push(p);
            }
        }
    }
    let root = super::common::root();
    let mut out = vec![root.join("README.md"), root.join("docs/LANGUAGE.md")];
    walk(&root.join("src"), &mut out);
    walk(&root.join("prompts"), &mut out);
    out
}

#[test]
fn every_flag_named_in_messages_help_and_docs_exists() {
    let flags = cli_flags();
    assert!(flags.contains("max-llm-calls") && flags.contains("provider"));
    let re = regex::Regex::new(r"(^|[^\w-])--([a-z][a-z0-9]+(?:-[a-z0-9]+)*)").unwrap();
    let mut unknown = Vec::new();
    for path in texts_naming_flags() {
        let text = fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            // Cargo's own flags, apt's, ripgrep's and the benchmark script's.
            if ["cargo ", "apt-get ", "benches/", "`rg "]
                .iter()
                .any(|t| line.contains(t))
            {
                continue;
            }
            for c in re.captures_iter(line) {
                let name = c.get(2).unwrap();
                let after = &line[name.end()..];
                let css = after.starts_with(':') || line[..name.start()].ends_with("var(--");
                if !css && !flags.contains(name.as_str()) {
                    unknown.push(format!("{}:{}: --{}", path.display(), n + 1, name.as_str()));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "flags that do not exist:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn check_accepts_every_worked_example_and_knows_session_names() {
    let dir = super::common::root().join("prompts/examples");
    let mut n = 0;
    for e in fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rlq") {
            let (code, out, err) = run(&["check", p.to_str().unwrap()]);
            assert_eq!(code, 0, "{}: {out}{err}", p.display());
            n += 1;
        }
    }
    assert!(n >= 5);
    assert_eq!(run(&["check", "-e", "print(question)"]).0, 0);
    let (code, _, err) = run(&["check", "-e", "let question = 1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`question` is an input of the program"),
        "{err}"
    );
}
