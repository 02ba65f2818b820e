//! The report of a script run (`rlmq run --trace`, then `rlmq trace`):
//! totals, calls grouped by call site in program order, failures and
//! retries visible; the HTML page is opened in headless Chromium.

use std::path::Path;

use rlmq::llm::mock::{Fault, Faults, MockRules, MockServer, Rule};

use super::common::rlmq;

const KEY: &str = "sk-report-PLANTED-4b1f00";

/// Six calls at four sites: a retried one, a cache hit, a `map` of three,
/// and one that fails (no rule answers it: HTTP 400, not retried).
const SCRIPT: &str = "let hello = llm(\"Say hello\")
let again = llm(\"Say hello\")
let rows = grep(context, re\"Label: \\w+\") | map(m => m.line_text)
let labels = rows[:3] | map(r => llm(\"Which label?\", r))
let missing = llm(\"no rule answers this\")
final([hello, again, labels, is_error(missing)])
";

fn traced_run(dir: &Path) -> MockServer {
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .rule(Rule::text("hello", "hello").when("Say hello"))
            .rule(Rule::template("label", r"Label: (\w+)", "$1"))
            .faults(Faults::sequence([Some(Fault::RateLimit)]).retry_after_secs(0)),
    )
    .expect("mock server");
    let script = dir.join("labels.rlq");
    std::fs::write(&script, SCRIPT).unwrap();
    let o = rlmq()
        .env_remove("ANTHROPIC_API_KEY")
        .env("OPENAI_BASE_URL", server.openai_url())
        .env("OPENAI_API_KEY", KEY)
        .arg("run")
        .arg(&script)
        .args(["--context", "examples/sample.txt", "--model", "mock-small"])
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("--trace")
        .arg(dir.join("t.jsonl"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.starts_with("[\"hello\",\"hello\",[\""), "{stdout}");
    assert!(stdout.ends_with(",true]\n"), "{stdout}");
    server
}

#[test]
fn the_run_report_shows_totals_and_calls_by_call_site() {
    let dir = tempfile::tempdir().unwrap();
    let server = traced_run(dir.path());
    assert_eq!(server.count(), 6, "five calls, one of them retried once");
    drop(server);

    let html = dir.path().join("report.html");
    let o = rlmq()
        .arg("trace")
        .arg(dir.path().join("t.jsonl"))
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("PLANTED"));
    let totals = &page[page.find("id=\"totals-run-0\"").expect("run totals")..];
    let totals = &totals[..totals.find("</table>").unwrap()];
    for row in [
        "model calls</td><td>5<",
        "cache hits</td><td>1<",
        "retries</td><td class=\"bad\">1<",
        "failed calls</td><td class=\"bad\">1<",
    ] {
        assert!(totals.contains(row), "{row} in {totals}");
    }
    // Sites in program order, each once, with their call counts.
    let site = |line: u32| {
        page.find(&format!("labels.rlq:{line}:"))
            .unwrap_or_else(|| panic!("site of line {line}"))
    };
    let order: Vec<usize> = [1, 2, 4, 5].into_iter().map(site).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(page.contains("3 calls"), "the map's site");
    assert!(!page.contains("1 calls") && !page.contains("1 sub-calls"));
    assert!(page.contains("<span class=\"tag err\">1 retry</span>"));
    assert!(
        page.contains("class=\"call failed\" id=\"call-"),
        "failed call marked"
    );
    assert!(
        page.contains("\" open><summary>llm"),
        "failed call shown open"
    );
    assert!(
        !page.contains("Other events"),
        "start and end belong to the run"
    );

    let dom = super::chromium::check_page(
        &html,
        "run-report.png",
        &[
            "Script run:",
            "Calls by call site",
            "failed calls",
            "cache hits",
        ],
    );
    if let Some(dom) = dom {
        assert!(dom.contains("model calls</td><td>5<"), "totals in the DOM");
    }

    let o = rlmq()
        .arg("trace")
        .arg(dir.path().join("t.jsonl"))
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&o.stdout);
    assert!(tree.starts_with("6 calls outside a session\n"), "{tree}");
    assert!(tree.contains("1 retry"), "{tree}");
    assert!(tree.contains("FAILED: "), "{tree}");
}
