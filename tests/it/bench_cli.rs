//! `rlmq bench` through the real binary: table, JSON, one-line errors.

use super::common::run;

#[test]
fn table_on_the_sample() {
    let (code, out, err) = run(&[
        "bench",
        "--context",
        "examples/sample.txt",
        "--runs",
        "1",
        "-p",
        "ERROR",
    ]);
    assert_eq!(code, 0, "{err}");
    for needle in [
        "primitive",
        "× raw scan",
        "raw scan (memchr \\n count)",
        "count",
        "\"ERROR\"",
        "len(context)",
        "context[:2000]",
    ] {
        assert!(out.contains(needle), "missing {needle}: {out}");
    }
}

#[test]
fn json_is_an_array_with_the_given_patterns() {
    let (code, out, err) = run(&[
        "bench",
        "-c",
        "examples/sample.txt",
        "--runs",
        "2",
        "--warmup",
        "0",
        "--json",
        "-p",
        "ERROR",
        "-p",
        r#"re"magic number is (\d+)""#,
        "-p",
        r#"["ERROR", "WARN"]"#,
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let rows = v.as_array().expect("an array");
    let count = |p: &str| {
        rows.iter()
            .find(|r| r["pattern"] == p && r["threads"] == 1)
            .map(|r| r["result"].clone())
    };
    assert_eq!(count("\"ERROR\""), Some(serde_json::json!(10)));
    assert_eq!(
        count(r#"re"magic number is (\d+)""#),
        Some(serde_json::json!(1))
    );
    assert!(rows
        .iter()
        .all(|r| r["runs"].as_array().map(Vec::len) == Some(2)));
    assert!(rows.iter().any(|r| r["primitive"] == "count (set)"));
}

#[test]
fn errors_are_one_line_with_exit_code_2() {
    let (code, _, err) = run(&["bench", "--context", "no/such/file.txt"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot open context `no/such/file.txt`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = run(&[
        "bench",
        "--context",
        "examples/sample.txt",
        "-p",
        r#"re"a(b""#,
    ]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: bad pattern re\"a(b\""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = run(&["bench", "--context", "examples/sample.txt", "-p", "[1]"]);
    assert_eq!(code, 2);
    assert!(err.contains("string literals only"), "{err}");
}
