//! The interpreter benchmark suite (`benches/interp/progs`) measures each
//! rlq program against its Python twin; here each pair runs on small
//! generated inputs and must print the same bytes (correctness, not speed).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::{rlmq, root};

/// Generates the suite's inputs, small: OOLONG-like rows and prose.
fn inputs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let rows = dir.join("oolong.txt");
    let prose = dir.join("prose.txt");
    let empty = dir.join("empty.txt");
    let gen = |script: &str, args: &[&str]| {
        let ok = Command::new("python3")
            .arg(root().join(script))
            .args(args)
            .output()
            .expect("python3 is needed for the interpreter suite test");
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    gen(
        "benches/interp/gen_oolong.py",
        &[rows.to_str().unwrap(), "3000"],
    );
    gen(
        "benches/gen_haystack.py",
        &[prose.to_str().unwrap(), "300000", "20251120"],
    );
    std::fs::write(&empty, "").unwrap();
    (rows, prose, empty)
}

#[test]
fn suite_programs_print_what_their_python_twins_print() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, prose, empty) = inputs(dir.path());
    let cases: &[(&str, Option<&Path>, &[&str])] = &[
        ("p00_empty", None, &[]),
        ("p01_grep_count_by", Some(rows.as_path()), &[]),
        ("p03_for_lines", Some(rows.as_path()), &[]),
        ("p03_for_lines", Some(prose.as_path()), &[]),
        ("p04_split_comp", Some(rows.as_path()), &[]),
        ("p05_partition_map", Some(prose.as_path()), &[]),
        ("p05b_partition_map_lines", Some(prose.as_path()), &[]),
        ("p07a_sort_ints", None, &["N=3000"]),
        ("p07b_sort_strs", None, &["N=3000"]),
        ("p07c_sort_lines", Some(rows.as_path()), &[]),
        ("p08a_fib", None, &["N=15"]),
        ("p08b_while", None, &["N=20000"]),
        ("p09a_dict_loop", Some(rows.as_path()), &[]),
        ("p09b_count_by", Some(rows.as_path()), &[]),
        ("p10_append_loop", Some(rows.as_path()), &[]),
        ("p10b_filter_comp", Some(rows.as_path()), &[]),
        ("p11_join", Some(rows.as_path()), &["THR=3"]),
    ];
    let progs = root().join("benches/interp/progs");
    let mut failures = Vec::new();
    for (name, data, vars) in cases {
        let mut ours = rlmq();
        ours.arg("run").arg(progs.join(format!("{name}.rlq")));
        if let Some(d) = data {
            ours.arg("--context").arg(d);
        }
        for v in *vars {
            ours.arg("--var").arg(v);
        }
        let ours = ours.output().expect("run rlmq");
        let theirs = Command::new("python3")
            .arg(root().join("benches/interp/pyrun.py"))
            .arg(progs.join(format!("{name}.py")))
            .arg(data.unwrap_or(empty.as_path()))
            .args(*vars)
            .output()
            .expect("run python3");
        assert!(
            theirs.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&theirs.stderr)
        );
        if !ours.status.success() || ours.stdout != theirs.stdout {
            failures.push(format!(
                "{name} {data:?}:\nrlq:    {}{}\npython: {}",
                String::from_utf8_lossy(&ours.stdout),
                String::from_utf8_lossy(&ours.stderr),
                String::from_utf8_lossy(&theirs.stdout)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
