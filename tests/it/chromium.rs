//! Pages opened in real headless Chromium (Debian's `chromium`): the DOM
//! after scripts ran, console messages (errors and uncaught exceptions are
//! logged as `CONSOLE` lines with `--enable-logging=stderr`), and a
//! screenshot kept under `target/tmp/`.
//!
//! Without Chromium these checks are skipped with a message on the
//! terminal, except under `CI=true` (as `.ci/run` sets), where a missing
//! browser fails the test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Chromium binary; `None` (after a message on the terminal) when there
/// is none and browser checks may be skipped, a panic under `CI=true`.
fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Some(dir) = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .find(|d| d.join(name).is_file())
        {
            return Some(dir.join(name));
        }
    }
    let install = "install it (apt-get install -y --no-install-recommends chromium)";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("no Chromium found, and CI=true requires the browser checks: {install}");
    }
    // Straight to the terminal: the test harness captures `eprintln!`.
    let _ = writeln!(
        std::io::stderr(),
        "note: browser check skipped: no Chromium found; {install}"
    );
    None
}

/// Runs Chromium headless on `page` with `extra` flags; returns (stdout,
/// stderr). Killed after 90 s.
fn run(browser: &Path, page: &Path, extra: &[String]) -> (String, String) {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait chromium").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("chromium output");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Console lines (messages, errors, uncaught exceptions) in a log.
fn console_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// Opens `page`: no console message at all, every text of `expect` in
/// the DOM, and a screenshot saved as `target/tmp/<shot>`. Returns the
/// DOM, or `None` when the check was skipped (see the module doc).
pub fn check_page(page: &Path, shot: &str, expect: &[&str]) -> Option<String> {
    let browser = chromium()?;
    let page = page.canonicalize().expect("page path");
    let (dom, log) = run(&browser, &page, &["--dump-dom".into()]);
    let console = console_lines(&log);
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    assert!(dom.contains("</html>"), "no DOM dumped:\n{log}");
    for e in expect {
        assert!(dom.contains(e), "the page lacks {e:?}");
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(shot);
    let _ = std::fs::remove_file(&path);
    let (_, log) = run(
        &browser,
        &page,
        &[
            format!("--screenshot={}", path.display()),
            "--window-size=1280,2400".into(),
            "--hide-scrollbars".into(),
        ],
    );
    let png = std::fs::read(&path).unwrap_or_else(|e| panic!("no screenshot ({e}):\n{log}"));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "not a real screenshot"
    );
    Some(dom)
}

#[test]
fn the_console_check_catches_a_page_with_errors() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>console.error(\"boom\"); notDefined();</script></body></html>",
    )
    .unwrap();
    let (_, log) = run(&browser, &page, &["--dump-dom".into()]);
    let console = console_lines(&log);
    assert!(console.iter().any(|l| l.contains("boom")), "{log}");
    assert!(console.iter().any(|l| l.contains("notDefined")), "{log}");
}
