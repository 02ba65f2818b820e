//! Helpers shared by the integration tests: the real binary, the sample
//! context, and an in-process interpreter.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use rlmq::context::{Context, ContextInput, LoadOptions};
use rlmq::engine::Engine;
use rlmq::eval::Limits;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample context shipped in the repository.
/// (Relative to the repository root, the working directory of tests, so
/// that document names read `examples/sample.txt`.)
pub fn sample() -> PathBuf {
    PathBuf::from("examples/sample.txt")
}

/// A command running the real `rlmq` binary from the repository root.
pub fn rlmq() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rlmq"));
    c.current_dir(root()).stdin(Stdio::null());
    c
}

/// Runs the binary with `args`: its exit code, standard output and error.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = rlmq().args(args).output().expect("run rlmq");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the binary with `args` and the given standard input.
pub fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = rlmq()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rlmq");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait rlmq")
}

/// Loads a context file.
pub fn context_of(path: &Path) -> Arc<Context> {
    Arc::new(
        Context::load(
            &[ContextInput::Path(path.to_path_buf())],
            &LoadOptions::default(),
        )
        .expect("load context"),
    )
}

/// Runs `code` in-process over `context`: printed output plus the final
/// value's rendering, or the rendered error.
pub fn eval_on(context: Arc<Context>, code: &str) -> Result<String, String> {
    let mut engine = Engine::new(context, Limits::default()).map_err(|d| d.message)?;
    let program = engine
        .compile("test.rlq", code)
        .map_err(|d| rlmq::diag::render_all(&d, &engine.sources()))?;
    let mut out = Vec::new();
    match engine.run(&program, &mut out) {
        Ok(v) => {
            let mut s = String::from_utf8_lossy(&out).into_owned();
            if let Some(v) = v {
                s.push_str(&rlmq::eval::render::display(&v));
                s.push('\n');
            }
            Ok(s)
        }
        Err(d) => Err(d.render(&engine.sources())),
    }
}

/// [`eval_on`] over the sample context.
pub fn eval(code: &str) -> Result<String, String> {
    eval_on(context_of(&sample()), code)
}

/// [`eval`] as a session runs code: with `question` bound, and sub-calls
/// going to `models` when given.
pub fn eval_session(code: &str, models: Option<&rlmq::llm::LlmConfig>) -> Result<String, String> {
    let mut shell = rlmq::session::Shell::new(context_of(&sample()), Limits::default(), "test")
        .map_err(|e| e.to_string())?;
    shell.bind_str("question", "What is the magic number?");
    if let Some(c) = models {
        shell.engine_mut().rt.models = Some(rlmq::eval::models::Models::new(c.clone()));
    }
    let turn = shell.run(code);
    if let Some(e) = turn.error {
        return Err(e.rendered);
    }
    let mut s = turn.output.clone();
    if let Some(v) = turn.final_text() {
        s.push_str(&v);
        s.push('\n');
    }
    Ok(s)
}

/// A small deterministic generator (xorshift64*), so tests need no extra
/// crate and generate the same texts everywhere.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A Python interpreter that can import `module` (the official client
/// packages the client tests drive rlmq with): `$RLMQ_TEST_PYTHON`, else
/// `.venv-ci/bin/python` of the repository, else `python3`. `None`, with a
/// visible message, when there is none; under `CI=true` that is a failure
/// (`.ci/run` installs the packages).
pub fn python_with(module: &str) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("RLMQ_TEST_PYTHON") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![root().join(".venv-ci/bin/python"), PathBuf::from("python3")],
    };
    for python in candidates {
        let ok = Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(python);
        }
    }
    let msg = format!(
        "the Python package `{module}` is not installed (set RLMQ_TEST_PYTHON, or run .ci/run, which makes .venv-ci)"
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("SKIPPED: {msg}");
    None
}

/// Runs the Python client script `tests/clients/<script>` with `args` and
/// `env`; asserts that it passed and returns its output (`None` when
/// skipped, see [`python_with`]).
pub fn run_client(
    module: &str,
    script: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Option<String> {
    let python = python_with(module)?;
    let out = Command::new(python)
        .arg(root().join("tests/clients").join(script))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("run the Python client");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    Some(stdout)
}
