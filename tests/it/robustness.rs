//! No input crashes rlmq and no script escapes a limit: each case ends with
//! a one-line error (or the right answer) within small limits, never a
//! signal, a panic or a hang. One test per kind of attack, and one per
//! class (nesting of every expression form at its bound, every allocating
//! builtin against `--max-memory`, every loop against the step and time
//! limits).

use std::io::Write;
use std::process::{Output, Stdio};

use crate::common::{rlmq, run, run_with_stdin};

/// Exit code, stdout, stderr of a run of `code` with extra flags.
fn script(code: &str, flags: &[&str]) -> (i32, String, String) {
    let mut args = vec!["run", "-e", code];
    args.extend_from_slice(flags);
    run(&args)
}

/// Exit code and stderr of a script given on standard input.
fn piped(code: &str, flags: &[&str]) -> (i32, String) {
    let mut args = vec!["run", "-"];
    args.extend_from_slice(flags);
    let o: Output = run_with_stdin(&args, code);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Asserts a run ended with exit code `code` and an error mentioning `what`.
fn fails_with(result: (i32, String, String), code: i32, what: &str) {
    let (status, out, err) = result;
    assert_eq!(status, code, "stdout: {out}\nstderr: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(what), "expected `{what}` in: {err}");
}

const SHARED: &str = "let a = [1]\nfor i in range(40) { a = [a, a] }\n";

#[test]
fn chained_unary_operators_meet_the_operator_bound() {
    for op in ["-", "+"] {
        let code = format!("let x = 1\nprint({}x)", op.repeat(500_000));
        let (status, err) = piped(&code, &[]);
        assert_eq!(status, 2, "{err}");
        assert!(err.contains("more than 3000 operators"), "{err}");
        assert!(err.len() < 4000, "{} bytes of errors", err.len());
        let o = run_with_stdin(&["check", "-"], &code);
        assert_eq!(o.status.code(), Some(2));
    }
}

#[test]
fn recursion_times_nesting_meets_the_depth_guard() {
    let direct = format!("def f(n) {{ return {}f(n+1) }}\nf(0)", "not ".repeat(1500));
    let (status, err) = piped(&direct, &[]);
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("nested deeper than"), "{err}");
    // Worker threads of map have the same stack and inherit the depth.
    let in_map = format!(
        "def f(n) {{ return {}f(n+1) }}\nprint(map([1, 2, 3], f))",
        "not ".repeat(2900)
    );
    let (status, err) = piped(&in_map, &[]);
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("nested deeper than"), "{err}");
}

#[test]
fn a_builtin_between_recursive_calls_is_no_call_level() {
    // Each level calls `max` and a lambda through `map`: the bound counts
    // the def and lambda calls (two a level), not the builtins between them.
    let code = "def f(n) {\n  if n == 0 { return 0 }\n  return max(map([n - 1], k => f(k))[0] + 1, 0)\n}\nprint(f(450))";
    let (status, out, err) = script(code, &[]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(out, "450\n");
    let (status, err) = piped(&code.replace("450", "600"), &[]);
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("calls nested deeper than 1000"), "{err}");
}

#[test]
fn the_kernel_survives_a_program_that_nests_too_deeply() {
    let deep = format!("def f(n) {{ return {}f(n+1) }}\nf(0)", "not ".repeat(2900));
    let lines = format!(
        "{}\n{}\n",
        serde_json::json!({ "code": deep }),
        serde_json::json!({ "code": "print(1 + 1)" })
    );
    let o = run_with_stdin(&["kernel", "--max-memory", "512"], &lines);
    let out = String::from_utf8_lossy(&o.stdout);
    let replies: Vec<&str> = out.lines().collect();
    assert_eq!(replies.len(), 2, "{out}");
    assert!(replies[0].contains("nested deeper than"), "{out}");
    assert!(replies[1].contains('2'), "{out}");
}

#[test]
fn format_specs_are_bounded_before_allocating() {
    let cases = [
        ("print(f\"{1:.65536f}\")", "precision"),
        ("print(f\"{1:>18446744073709551615}\")", "width"),
        ("print(f\"{1:>9999999999999}\")", "width"),
        ("print(f\"{1:>1000000000}\")", "width"),
    ];
    for (code, what) in cases {
        fails_with(script(code, &["--max-memory", "100"]), 1, what);
    }
    let (status, out, _) = script("print(f\"{1:>5}|{2.5:.3f}\")", &[]);
    assert_eq!((status, out.as_str()), (0, "    1|2.500\n"));
}

#[test]
fn shared_structure_meets_the_memory_limit_as_it_renders() {
    for tail in [
        "print(a)",
        "a",
        "final(a)",
        "json(a)",
        "str(a)",
        "print(f\"{a}\")",
        "join([a], \"\")",
        "print({k: a})",
    ] {
        let code = format!("{SHARED}let k = 1\n{tail}");
        fails_with(script(&code, &["--max-memory", "8"]), 1, "memory");
    }
    let code = format!("{SHARED}let b = [1]\nfor i in range(40) {{ b = [b, b] }}\nprint(a == a, a == b, len(unique([a, a, b])), len(sort([a, b])))\nprint(len(vars()) > 3)");
    let (status, out, err) = script(&code, &["--max-memory", "8"]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(out, "true true 1 2\ntrue\n");
}

#[test]
fn error_reports_are_bounded() {
    let code = format!("print(1{})", "$".repeat(20_000));
    let (status, err) = piped(&code, &[]);
    assert_eq!(status, 2);
    assert!(err.len() < 20_000, "{} bytes of errors", err.len());
    assert!(err.contains("more errors"), "{err}");
    // A huge line is shown as a window around the error.
    let long = format!("let x = \"{}\" $", "a".repeat(100_000));
    let (status, err) = piped(&long, &[]);
    assert_eq!(status, 2);
    assert!(err.len() < 2000, "{err}");
    assert!(err.contains('…'), "{err}");
}

#[test]
fn numeric_flags_reject_nan_inf_and_negative_amounts() {
    for value in ["nan", "inf", "-1", "1e400", "abc"] {
        let flag = format!("--max-time={value}");
        for cmd in [vec!["run", "-e", "print(1)"], vec!["kernel"]] {
            let mut args = cmd.clone();
            args.push(&flag);
            let (status, _, err) = run(&args);
            assert_eq!(status, 2, "{cmd:?} {flag}: {err}");
            assert!(err.contains("--max-time"), "{err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    let (status, _, err) = run(&["run", "-e", "print(1)", "--max-usd=-0.5"]);
    assert_eq!(status, 2, "{err}");
}

#[cfg(unix)]
#[test]
fn a_mapped_context_truncated_while_read_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.txt");
    std::fs::write(&file, "hello world line\n".repeat(100_000)).unwrap();
    let fifo = dir.path().join("go");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // The var file is read after the context is mapped: the run waits on
    // the FIFO while the file is truncated, then counts over the map.
    let child = rlmq()
        .args(["run", "-e", "print(count(context, \"zzz\"))", "--context"])
        .arg(&file)
        .arg("--var-file")
        .arg(format!("go={}", fifo.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(10)
        .unwrap();
    writer.write_all(b"go").unwrap();
    drop(writer);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("big.txt") && err.contains("--no-mmap"),
        "{err}"
    );
}

#[test]
fn allocating_builtins_meet_the_memory_limit_before_allocating() {
    let cases = [
        "list(\"x\" * 2000000)",
        "let s = \"x\" * 1000000\nstr([s] * 100)",
        "let s = \"x\" * 1000000\njson([s] * 100)",
        "let s = \"x\" * 1000000\njoin([s] * 100, \"\")",
        "partition(\"x\" * 2000000, by=re\"\")",
        "replace(\"a\" * 100000, re\"a\", \"x\" * 100000)",
        "replace(\"a\" * 100000, \"a\", \"x\" * 100000)",
        "let s = \"x\" * 900000000",
        "let xs = [0] * 90000000",
        "let s = \"x\" * 8000000\nlet t = s + s + s",
        "print(f\"{1:>90000000}\")",
        "let s = \"x \" * 1000000\nwords(s)",
        // A range is made as it is read; a list of it is made at once.
        "let xs = list(range(50000000))",
    ];
    for code in cases {
        fails_with(script(code, &["--max-memory", "24"]), 1, "memory");
    }
}

#[test]
fn every_loop_form_meets_the_step_limit() {
    let cases = [
        "for j in range(1000000) { }\nprint(\"done\")",
        "let n = 0\nwhile true { }\n",
        "let xs = [0 for i in range(100000) for j in range(100)]",
        "let r = {i: 0 for i in range(1000000)}",
        "for c in \"x\" * 100000 { }",
        "for i in range(1000) { for j in range(1000) { } }",
    ];
    for code in cases {
        fails_with(script(code, &["--max-steps", "1000"]), 1, "steps");
    }
}

/// Comparisons of int arithmetic are decided without making values; they
/// count the steps the general path counts. Each loop runs once against
/// an int (decided at once) and once against the equal float (the general
/// path): same output, same steps.
#[test]
fn int_comparisons_decided_at_once_count_every_step() {
    let loops = [
        "let n = 0\nfor i in range(5000) {\n  if (i * 3 + 1) % 7 == RHS { n += 1 }\n}\nprint(n)",
        "let i = 0\nwhile i * 2 < RHS { i += 1 }\nprint(i)",
        "print(len([i for i in range(3000) if i % 5 - 1 >= RHS]))",
        "let i = 4\nlet ok = i * i - 7 == RHS\nprint(ok)",
    ];
    for (template, int, float) in loops
        .iter()
        .zip(["2", "9000", "3", "9"])
        .zip(["2.0", "9000.0", "3.0", "9.0"])
        .map(|((t, i), f)| (t, i, f))
    {
        let report = |rhs: &str| {
            let (code, out, err) = script(&template.replace("RHS", rhs), &["--json"]);
            assert_eq!(code, 0, "{err}");
            let v: serde_json::Value = serde_json::from_str(&out).expect("json");
            (v["output"].clone(), v["steps"].as_u64().expect("steps"))
        };
        let (at_once, general) = (report(int), report(float));
        assert_eq!(at_once, general, "{template}");
        assert!(at_once.1 > 0, "{template}");
    }
}

/// `d[k] = get(d, k, 0) + 1` (and `d.get(k, 0) + 1`, `(d[k] ?? 0) + 1`)
/// takes a path of its own; written with the
/// default and the step in variables it takes the general one. Both give
/// the same output and count the same steps: new and old keys, int keys,
/// an alias that must not see the change, an entry that is not an int, a
/// `get` of the program's own, the method form (also on a record whose
/// field `get` is called instead), a local and a global record counted
/// inside a call, and an overflow.
#[test]
fn a_count_kept_in_a_record_counts_as_the_general_path_does() {
    let program = "\
let START = 0
let STEP = 1
let d = {}
let alias = d
for i in range(300) {
  let k = str(i % 7)
  d[k] = get(d, k, START) + STEP
  let j = i % 3
  d[j] = get(d, j, START) + STEP
}
let f = {x: 1.5}
for k in [\"x\", \"x\", \"y\"] { f[k] = get(f, k, START) + STEP }
print(d, len(alias), f)
let q = {n: null}
for k in [\"n\", \"n\", \"o\", \"o\", \"x\"] { q[k] = (q[k] ?? START) + STEP }
for i in range(50) {
  let j = i % 4
  q[j] = (q[j] ?? START) + STEP
}
print(q)
let m = {}
for k in [\"p\", \"q\", \"p\"] { m[k] = m.get(k, START) + STEP }
let g = {get: (k, x) => 50}
for k in [\"z\"] { g[k] = g.get(k, START) + STEP }
print(m, g[\"z\"])
def tally(ks) {
  let t = {}
  for k in ks {
    t[k] = get(t, k, START) + STEP
    d[k] = get(d, k, START) + STEP
  }
  return [t, d]
}
print(tally([\"a\", \"b\", \"a\"]), d)
def shadowed() {
  let get = (r, k, x) => 100
  let e = {}
  for k in [\"a\", \"a\"] { e[k] = get(e, k, START) + STEP }
  return e
}
print(shadowed())
let big = {m: 9223372036854775806}
for k in [\"m\", \"m\"] { big[k] = get(big, k, START) + STEP }
";
    let report = |literals: bool| {
        let code = match literals {
            true => program.replace("START)", "0)").replace("+ STEP", "+ 1"),
            false => program.to_string(),
        };
        let (status, out, err) = script(&code, &["--json"]);
        assert_eq!(status, 1, "{err}");
        assert!(err.contains("integer overflow"), "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        (v["output"].clone(), v["steps"].as_u64().expect("steps"))
    };
    let (own, general) = (report(true), report(false));
    assert_eq!(own, general);
    let printed = own.0.as_str().unwrap();
    assert!(printed.contains("100") && printed.contains("51"), "{own:?}");
}

/// Regression: the steps a parallel `map`'s pool threads counted since
/// their last batch were never added up, so `--json`'s `"steps"` (and where
/// `--max-steps` stops a run) changed from run to run and with the number
/// of threads.
#[test]
fn the_steps_of_a_parallel_map_do_not_depend_on_its_threads() {
    let code = "\
let ys = map(range(200000), x => x * 2 + 1)
let zs = filter(ys, y => y % 3 == 0)
let ks = sort(zs, key=z => -z)
print(len(ys), len(zs), ks[0])";
    let steps = |threads: &str| {
        let o = rlmq()
            .env("RAYON_NUM_THREADS", threads)
            .args(["run", "-e", code, "--json"])
            .output()
            .expect("run rlmq");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(v["output"], "200000 66667 399999\n");
        v["steps"].as_u64().expect("steps")
    };
    let all: Vec<u64> = ["1", "2", "4", "4"].iter().map(|t| steps(t)).collect();
    assert!(all.iter().all(|&n| n == all[0]), "{all:?}");
}

#[test]
fn every_loop_form_meets_the_time_limit() {
    let cases = [
        "for i in range(10000000) { for j in range(1000) { } }",
        "while true { }",
        "let xs = [0 for i in range(10000000) for j in range(1000)]",
    ];
    for code in cases {
        fails_with(
            script(code, &["--max-time", "1", "--max-steps", "100000000000"]),
            1,
            "longer than",
        );
    }
}

#[test]
fn words_of_a_view_are_views_in_one_pass() {
    let (status, out, err) = script(
        "let w = words(context)\nprint(len(w) == len(split(context)), offset(w[3]) != null)",
        &["--context", "examples/sample.txt"],
    );
    assert_eq!(status, 0, "{err}");
    assert_eq!(out, "true true\n");
}

#[cfg(unix)]
#[test]
fn input_reads_meet_the_memory_and_time_limits() {
    for flags in [
        vec!["--context", "/dev/zero", "--max-memory", "24"],
        vec!["--var-file", "x=/dev/zero", "--max-memory", "24"],
    ] {
        fails_with(script("print(1)", &flags), 2, "--max-memory");
    }
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let o = rlmq()
        .args([
            "run",
            "-e",
            "print(1)",
            "--context",
            "-",
            "--max-memory",
            "24",
        ])
        .stdin(zero)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--max-memory"));
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("nobody-writes");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let path = fifo.display().to_string();
    fails_with(
        script("print(1)", &["--context", &path, "--max-time", "1"]),
        2,
        "--max-time",
    );
    fails_with(
        script(
            "print(1)",
            &["--var-file", &format!("x={path}"), "--max-time", "1"],
        ),
        2,
        "--max-time",
    );
    let mut kernel = rlmq()
        .args(["kernel", "--max-memory", "20"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = kernel.stdin.take().unwrap();
    // The kernel stops reading once the line passes the limit: the rest
    // of the write may fail.
    let _ = stdin.write_all(&vec![b'x'; 30 << 20]);
    drop(stdin);
    let o = kernel.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("longer than"));
}

#[test]
fn a_sub_call_that_never_answers_meets_max_time() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and never answers; the connections stay open.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let o = rlmq()
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("OPENAI_BASE_URL", format!("http://127.0.0.1:{port}/v1"))
        .env("OPENAI_API_KEY", "sk-test")
        .args(["run", "-e", "print(llm(\"?\", \"x\"))", "--model", "m"])
        .args(["--no-cache", "--max-time", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("longer than 2 s"), "{err}");
}

#[test]
fn final_meets_max_output() {
    fails_with(
        script("final(\"x\" * 10000000)", &["--max-output", "1000"]),
        1,
        "printed more than 1000 bytes",
    );
    let (status, out, _) = script("final(\"x\" * 10)", &["--max-output", "1000"]);
    assert_eq!((status, out.trim()), (0, "xxxxxxxxxx"));
}

#[test]
fn trace_of_a_deep_chain_is_linear_and_totals_saturate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.jsonl");
    let mut text = String::new();
    let n = 20_000u64;
    for i in 1..=n {
        let parent = if i > 1 {
            serde_json::json!(i - 1)
        } else {
            serde_json::Value::Null
        };
        text.push_str(
            &serde_json::json!({"event": "subcall", "id": i, "parent": parent,
                "input_tokens": u64::MAX / 2, "output_tokens": 1, "ts": 1000 + i, "model": "m"})
            .to_string(),
        );
        text.push('\n');
    }
    // A tree this deep is dropped recursively: read it on a stack as large
    // as the rlmq binary's.
    let parsed = text.clone();
    let totals = std::thread::Builder::new()
        .stack_size(rlmq::eval::fanout::WORKER_STACK)
        .spawn(move || {
            let read = rlmq::trajectory::read(&parsed);
            (read.roots[0].tokens(), read.roots[0].subcall_count())
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        totals,
        ((u64::MAX, n), n as usize - 1),
        "totals must saturate"
    );
    std::fs::write(&path, text).unwrap();
    let o = rlmq().arg("trace").arg(&path).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    // Linear: a few hundred bytes per node at most, whatever the depth.
    assert!(
        o.stdout.len() < 400 * n as usize,
        "{} bytes",
        o.stdout.len()
    );
    let html = dir.path().join("t.html");
    let o = rlmq()
        .arg("trace")
        .arg(&path)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn secrets_in_the_base_url_are_redacted_everywhere() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rlmq.toml");
    std::fs::write(&config, "retries = 0\n").unwrap();
    for json in [false, true] {
        let mut c = rlmq();
        c.env_remove("ANTHROPIC_API_KEY")
            .env_remove("ANTHROPIC_BASE_URL")
            .env(
                "OPENAI_BASE_URL",
                format!("http://user:pw@127.0.0.1:{port}/v1?key=SECRET"),
            )
            .env("OPENAI_API_KEY", "sk-test")
            .args([
                "run",
                "-e",
                "print(llm(\"?\", \"x\"))",
                "--model",
                "m",
                "--no-cache",
            ])
            .arg("--config")
            .arg(&config);
        if json {
            c.arg("--json");
        }
        let o = c.output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(1), "{all}");
        assert!(!all.contains("SECRET") && !all.contains("pw@"), "{all}");
        assert!(all.contains("?<redacted>"), "{all}");
    }
}

#[cfg(unix)]
#[test]
fn folder_links_that_leave_the_folder_are_not_followed_unless_asked() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "outside text").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "inside").unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("leak")).unwrap();
    std::os::unix::fs::symlink("a.txt", dir.path().join("same")).unwrap();
    let folder = dir.path().display().to_string();
    let code = "print([d.name for d in docs])";
    let (status, out, err) = script(code, &["--context", &folder]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(out, "[\"a.txt\",\"same\"]\n");
    let (status, out, _) = script(code, &["--context", &folder, "--follow"]);
    assert_eq!(status, 0);
    assert_eq!(out, "[\"a.txt\",\"leak\",\"same\"]\n");
}

#[test]
fn numbers_follow_python() {
    let (status, out, err) = script(
        "print(round(15, -1), round(25, -1), round(-15, -1), round(1e308, -400), round(1234.5, -2))\nprint(range(-9223372036854775807 - 1, 9223372036854775807, 4611686018427387904))\nprint(1e308, 2 ** -1)",
        &[],
    );
    assert_eq!(status, 0, "{err}");
    assert_eq!(
        out,
        "20 20 -20 0.0 1200.0\n[-9223372036854775808,-4611686018427387904,0,4611686018427387904]\n1e308 0.5\n"
    );
    fails_with(
        script("print(enumerate([1, 2], start=9223372036854775807))", &[]),
        1,
        "overflow",
    );
    fails_with(script("print(0 ** -1)", &[]), 1, "negative power");
    fails_with(script("print(0.0 ** -2)", &[]), 1, "negative power");
}

#[test]
fn terminal_escapes_are_escaped_and_a_byte_order_mark_is_accepted() {
    let (status, err) = piped("print(\u{1b}[31mred)\n", &[]);
    assert_eq!(status, 2);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("\\u{1b}"), "{err}");
    let (status, _, err) = script("print(undefined_\u{1b}]0;title\u{7})", &[]);
    assert_ne!(status, 0);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    let o = run_with_stdin(&["run", "-"], "\u{feff}print(\"bom ok\")\n");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "bom ok\n");
}

/// The bounds of the parser, for each form of expression: at the bound
/// the program parses and runs (no stack overflow), one past it is one
/// syntax error.
#[test]
fn deep_nesting_of_every_expression_form_at_its_bound() {
    type Form = (&'static str, fn(usize) -> String, usize);
    let forms: [Form; 11] = [
        (
            "parens",
            |n| format!("let x = {}1{}", "(".repeat(n), ")".repeat(n)),
            100,
        ),
        (
            "lists",
            |n| format!("let x = {}1{}", "[".repeat(n), "]".repeat(n)),
            100,
        ),
        (
            "records",
            |n| format!("let x = {}1{}", "{a: ".repeat(n), "}".repeat(n)),
            100,
        ),
        (
            "calls",
            |n| format!("let x = {}1{}", "abs(".repeat(n), ")".repeat(n)),
            100,
        ),
        (
            "unary minus",
            |n| format!("let x = {}1", "-".repeat(n)),
            2999,
        ),
        ("not", |n| format!("let x = {}1", "not ".repeat(n)), 2999),
        ("binary", |n| format!("let x = 1{}", " + 1".repeat(n)), 2999),
        (
            "conditional",
            |n| format!("let x = {}1", "1 if true else ".repeat(n)),
            1499,
        ),
        (
            "lambda",
            |n| format!("let x = {}1", "a => ".repeat(n)),
            2999,
        ),
        (
            "index",
            |n| format!("let x = \"a\"{}", "[0]".repeat(n)),
            2999,
        ),
        ("pipe", |n| format!("let x = 1{}", " | abs".repeat(n)), 2999),
    ];
    for (name, make, bound) in forms {
        let o = run_with_stdin(&["run", "-"], &(make(bound) + "\nprint(\"ok\")\n"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{name} at {bound}: {err}");
        let o = run_with_stdin(&["run", "-"], &make(bound + 1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name} at {}: {err}", bound + 1);
        assert!(err.contains("more than"), "{name}: {err}");
    }
}

#[test]
fn long_int_chains_give_their_sum_or_their_overflow() {
    // Int arithmetic over variables is computed at once up to a depth, and
    // by the general path beyond: both must agree, and an overflow deep in
    // the chain is still reported at its operator.
    let (_, out, err) = script(&format!("let i = 3\nprint({}i)", "i + ".repeat(2000)), &[]);
    assert_eq!(out, "6003\n", "{err}");
    let code = format!(
        "let i = 3\nlet big = 9223372036854775000\nprint({}big + i * 1000)",
        "i + ".repeat(40)
    );
    fails_with(script(&code, &[]), 1, "integer overflow in `+`");
}

#[test]
fn a_grep_list_made_on_demand_reads_as_the_list_of_its_matches() {
    // Three documents, so that each match names its own; every fifth line
    // leaves the third group unset.
    let dir = tempfile::tempdir().unwrap();
    for d in 0..3 {
        let text: String = (0..40_000)
            .map(|i| {
                let x = if i % 5 == 0 { " x" } else { "" };
                format!("w{} {}{x}\nfiller {i}\n", (i * 7 + d) % 13, i % 1000)
            })
            .collect();
        std::fs::write(dir.path().join(format!("doc{d}.txt")), text).unwrap();
    }
    let code = "\
let ms = grep(context, re\"^(w\\d+) (\\d+)( x)?$\", around=1)
let xs = [m for m in ms]
let f = m => [m.text, m.start, m.end, m.line, m.line_text, m.groups, m.doc, m.around]
print(len(ms), len(xs), ms == xs)
print(f(ms[0]) == f(xs[0]), f(ms[-1]) == f(xs[-1]), map(ms[3:7], f) == map(xs[3:7], f))
let a = map(ms, f)
print(a == map(xs, f), len(a))
print(filter(ms, m => m.groups[2] != null) == filter(xs, m => m.groups[2] != null))
print(sort(ms, key=m => int(m.groups[1]))[9].text == sort(xs, key=m => int(m.groups[1]))[9].text)
print(str(ms[1]) == str(xs[1]), count_by(ms, m => m.doc) == count_by(xs, m => m.doc))
print(a[0], a[-1])";
    let context = dir.path().to_str().unwrap();
    let report = |threads: &str| {
        let o = rlmq()
            .env("RAYON_NUM_THREADS", threads)
            .args(["run", "-e", code, "--context", context, "--json"])
            .output()
            .expect("run rlmq");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        (
            v["output"].as_str().unwrap().to_string(),
            v["steps"].as_u64(),
        )
    };
    let (out, steps) = report("1");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..6],
        [
            "120000 120000 true",
            "true true true",
            "true 120000",
            "true",
            "true",
            "true true",
        ],
        "{out}"
    );
    // What the list of match values that `grep` made before gave.
    assert_eq!(
        lines[6],
        r#"["w0 0 x",0,6,1,"w0 0 x",["w0","0"," x"],"doc0.txt","w0 0 x\nfiller 0"] ["w1 999",2429147,2429153,79999,"w1 999",["w1","999",null],"doc2.txt","filler 39998\nw1 999\nfiller 39999"]"#
    );
    for threads in ["2", "4"] {
        assert_eq!(report(threads), (out.clone(), steps), "{threads} threads");
    }
    // The list holds the matches' bounds, not a value per match: 120,000
    // matches fit in 25 MiB (a list of match values needed about 30).
    let (status, out, err) = script(
        "print(len(grep(context, re\"^(w\\d+) (\\d+)( x)?$\")))",
        &["--context", context, "--max-memory", "25"],
    );
    assert_eq!((status, out.as_str()), (0, "120000\n"), "{err}");
}

#[test]
fn a_def_ending_in_return_counts_the_steps_its_block_did() {
    // A body's last `return e` is evaluated where the call returns, not as
    // an early exit through the block; the steps are those the block took
    // (1048: what the build before this path counted).
    let code = "\
def one(x) { return x + 1 }
def bare(x) { print(x)
  return }
def looped(n) {
  let t = 0
  for i in range(n) { t += i }
  return t
}
def early(n) {
  if n < 2 { return n }
  return early(n - 1) + early(n - 2)
}
def none(x) { let y = x }
def nested(x) { return one(one(x)) * looped(3) }
def inner(xs) {
  def sq(v) { return v * v }
  return [sq(v) for v in xs]
}
print(one(1), bare(2), looped(5), early(10), none(3), nested(4), inner([1, 2, 3]))";
    let o = rlmq()
        .args(["run", "-e", code, "--json"])
        .output()
        .expect("run rlmq");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["output"], "2\n2 null 10 55 null 18 [1,4,9]\n");
    assert_eq!(v["steps"], 1048);
}
