//! `rlmq ask` against the scripted server playing the root model (its
//! replies are rlq blocks) and the sub-model, over real HTTP on 127.0.0.1,
//! on real files: a needle in 50 MB, label-and-count with labels from
//! sub-calls, a pairs question, a 1,000-document search. Each test checks
//! the answer, the number of calls, and the trace; then `rlmq replay`
//! reproduces the answer with the server stopped. One report is opened in
//! headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Output;

use rlmq::llm::mock::{MockRules, MockServer, Rule};
use serde_json::Value;

use super::common::{rlmq, root};

pub const KEY: &str = "sk-test-session-PLANTED-5e1d7c";

/// A block of rlq as the root model writes it: a line of prose, the code.
pub fn block(prose: &str, code: &str) -> String {
    format!("{prose}\n\n```rlq\n{code}\n```")
}

/// The scripted server: `root` replies (in order) for the root model, then
/// the sub-model's rules.
pub fn server(root: Vec<String>, sub: Vec<Rule>) -> MockServer {
    let mut rules = MockRules::new()
        .api_key(KEY)
        .rule(Rule::queue("root", root).for_model("mock-root"));
    for r in sub {
        rules = rules.rule(r.for_model("mock-small"));
    }
    MockServer::start(rules).expect("mock server")
}

/// A config file for the server: models, windows and prices.
pub fn config_file(dir: &Path, server: &MockServer) -> PathBuf {
    let path = dir.join("rlmq.toml");
    std::fs::write(
        &path,
        format!(
            r#"provider = "openai"
base_url = "{}"
root_model = "mock-root"
sub_model = "mock-small"
retries = 1

[models."mock-root"]
context_window = 400000
input_per_million = 1.25
output_per_million = 10.0

[models."mock-small"]
context_window = 128000
input_per_million = 0.25
output_per_million = 2.0
"#,
            server.openai_url()
        ),
    )
    .expect("write config");
    path
}

/// Runs `rlmq ask` with the trace in `dir/t.jsonl`.
pub fn ask(
    server: &MockServer,
    dir: &Path,
    question: &str,
    context: &[&Path],
    extra: &[&str],
) -> Output {
    let config = config_file(dir, server);
    let mut c = rlmq();
    c.env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_BASE_URL")
        .env("OPENAI_API_KEY", KEY)
        .arg("ask")
        .arg(question)
        .arg("--config")
        .arg(&config)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("--trace")
        .arg(dir.join("t.jsonl"));
    for p in context {
        c.arg("--context").arg(p);
    }
    c.args(extra).output().expect("run rlmq ask")
}

/// The trace's events.
pub fn events(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("t.jsonl")).expect("trace written");
    assert!(
        !text.contains("PLANTED"),
        "the API key leaked into the trace"
    );
    text.lines()
        .map(|l| serde_json::from_str(l).expect("trace lines are JSON"))
        .collect()
}

pub fn of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

fn out(o: &Output) -> (String, String) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(
        !stdout.contains("PLANTED") && !stderr.contains("PLANTED"),
        "the API key leaked into the output"
    );
    (stdout, stderr)
}

/// `rlmq replay` of `dir/t.jsonl` (the server must be stopped by then).
fn replay(dir: &Path) -> Output {
    rlmq()
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .arg("replay")
        .arg(dir.join("t.jsonl"))
        .output()
        .expect("run rlmq replay")
}

/// Checks the common shape of a finished session's trace: one session,
/// `turns` turns with root calls nested under it, `subcalls` sub-calls
/// nested under turns, and an end event with the answer.
fn check_trace(ev: &[Value], turns: usize, subcalls: usize, answer: &str) {
    let starts = of(ev, "session_start");
    assert_eq!(starts.len(), 1);
    let sid = &starts[0]["id"];
    let roots = of(ev, "root");
    let turn_events = of(ev, "turn");
    assert_eq!(roots.len(), turns);
    assert_eq!(turn_events.len(), turns);
    for (r, t) in roots.iter().zip(&turn_events) {
        assert_eq!(&r["parent"], sid);
        assert_eq!(r["id"], t["id"], "a turn event shares its root call's id");
        assert!(r["prompt_chars"].as_u64().unwrap() > 0);
        assert!(r["input_tokens"].as_u64().unwrap() > 0);
    }
    let turn_ids: Vec<&Value> = turn_events.iter().map(|t| &t["id"]).collect();
    let subs = of(ev, "subcall");
    assert_eq!(subs.len(), subcalls);
    for s in &subs {
        assert!(
            turn_ids.contains(&&s["parent"]),
            "sub-call under a turn: {s}"
        );
        assert!(s["prompt"].as_str().is_some());
    }
    let ends = of(ev, "session_end");
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0]["status"], "final");
    assert_eq!(ends[0]["answer"], answer);
    assert_eq!(ends[0]["turns"], turns as u64);
    assert_eq!(
        ends[0]["usage"]["calls"],
        (turns + subcalls) as u64,
        "root calls count in the budget and totals"
    );
    assert!(ends[0]["usage"]["cost_usd"].as_f64().unwrap() > 0.0);
}

// ---------------------------------------------------------------------
// A needle in 50 MB.

/// About `mb` MB of log lines with decoys and one needle.
fn haystack(mb: usize) -> (String, usize) {
    let mut s = String::with_capacity(mb << 20);
    let mut i = 0usize;
    let target = (mb << 20) * 3 / 5;
    let mut needle_line = 0;
    while s.len() < mb << 20 {
        i += 1;
        if needle_line == 0 && s.len() >= target {
            needle_line = i;
            s.push_str("2024-05-02 03:14:07 ALERT ticket 88412: outage first reported by user maria.k at 03:14:07 on 2024-05-02\n");
        } else if i % 400_003 == 0 {
            s.push_str("2024-05-01 09:00:00 NOTE outage drill scheduled for next week, nobody reported anything\n");
        } else {
            s.push_str(&format!(
                "2024-05-01 {:02}:{:02}:{:02} INFO worker-{} processed batch {i} in {} ms\n",
                (i / 3600) % 24,
                (i / 60) % 60,
                i % 60,
                i % 13,
                i % 997
            ));
        }
    }
    (s, needle_line)
}

#[test]
fn a_needle_in_50_mb() {
    let dir = tempfile::tempdir().unwrap();
    let (text, line) = haystack(50);
    let ctx = dir.path().join("logs.txt");
    std::fs::write(&ctx, &text).unwrap();
    drop(text);
    let replies = vec![
        block(
            "I'll look at the size and the start first.",
            "print(len(context), len(lines(context)))\nprint(head(context, 120))",
        ),
        block(
            "Search for the outage reports.",
            "let hits = grep(context, [\"outage\", \"reported by\"], ignore_case=true)\nprint(len(hits))\nfor h in take(hits, 5) { print(h.line, h.line_text) }",
        ),
        block(
            "The alert line has the user and the time.",
            "let m = find(context, re\"first reported by user (\\S+) at ([\\d:]+) on ([\\d-]+)\")\nlet answer = f\"{m.groups[0]} at {m.groups[1]} on {m.groups[2]}\"\nprint(answer)",
        ),
        block("The output confirms it.", "final(answer)"),
    ];
    let server = server(replies, vec![]);
    let o = ask(
        &server,
        dir.path(),
        "Which user reported the outage first, and when?",
        &[&ctx],
        &[],
    );
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "maria.k at 03:14:07 on 2024-05-02\n");
    assert!(stderr.contains("final answer after 4 turns"), "{stderr}");
    assert_eq!(server.count(), 4, "four root turns, no sub-call");

    let ev = events(dir.path());
    check_trace(&ev, 4, 0, "maria.k at 03:14:07 on 2024-05-02");
    let start = of(&ev, "session_start")[0];
    assert_eq!(
        start["question"],
        "Which user reported the outage first, and when?"
    );
    assert_eq!(start["context"]["documents"], 1);
    assert!(start["context"]["chars"].as_u64().unwrap() >= 50 << 20);
    let first = start["first_message"].as_str().unwrap();
    assert!(first.contains("1 document, 52,4"), "{first}");
    assert!(
        first.contains("One sub-call (`llm`) takes at most"),
        "{first}"
    );
    let turns = of(&ev, "turn");
    let hits = turns[1]["output"].as_str().unwrap();
    assert!(
        hits.contains(&format!("{line} 2024-05-02 03:14:07 ALERT")),
        "{hits}"
    );
    assert_eq!(turns[0]["truncated"], false);
    // What the model saw after turn 1 went back as the next user message.
    let reqs = server.requests();
    assert!(reqs[1]
        .last_user
        .as_deref()
        .unwrap()
        .contains("Output:\n52"));

    drop(server);
    let r = replay(dir.path());
    let (stdout, stderr) = out(&r);
    assert_eq!(r.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "maria.k at 03:14:07 on 2024-05-02\n");
    assert!(
        stderr.contains("the answer matches the recording"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------
// Label and count, the labels from sub-calls.

/// 40 customers, one file each; every third one is angry.
fn customers(dir: &Path) -> (PathBuf, usize) {
    let folder = dir.join("customers");
    std::fs::create_dir_all(&folder).unwrap();
    let mut angry = 0;
    for i in 0..40 {
        let mad = i % 3 == 0;
        angry += usize::from(mad);
        let mut t = format!("Customer {i:02}\n");
        for j in 0..5 {
            let line = if mad && j == 2 {
                "I am furious: the parcel came broken, again.".to_string()
            } else {
                format!("Message {j}: a question about order {}.", 1000 + i * 10 + j)
            };
            t.push_str(&line);
            t.push('\n');
        }
        std::fs::write(folder.join(format!("customer-{i:02}.txt")), t).unwrap();
    }
    (folder, angry)
}

fn label_session() -> (Vec<String>, Vec<Rule>) {
    let replies = vec![
        block(
            "How are the documents laid out?",
            "print(len(docs), docs[0].name, len(docs[0].text))\nprint(docs[0].text)",
        ),
        block(
            "Label every customer with one sub-call each (a whole file per call), then count in code.",
            "let moods = docs | map(d => llm(\"What is this customer's overall mood: angry or calm? Reply with one word.\", d.text))\nlet counts = count_by(moods | map(m => trim(lower(m))), x => x)\nprint(counts)",
        ),
        block(
            "The counts are in.",
            "let answer = f\"angry: {get(counts, 'angry', 0)}, calm: {get(counts, 'calm', 0)}\"\nfinal(answer)",
        ),
    ];
    let sub = vec![
        Rule::text("angry", "angry").when(r"(?s)overall mood.*(furious|outraged)"),
        Rule::text("calm", "Calm").when("overall mood"),
    ];
    (replies, sub)
}

#[test]
fn label_and_count_with_labels_from_sub_calls_and_a_report_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, angry) = customers(dir.path());
    let (replies, sub) = label_session();
    let server = server(replies, sub);
    let o = ask(
        &server,
        dir.path(),
        "How many customers are angry overall, and how many are calm?",
        &[&folder],
        &[],
    );
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let want = format!("angry: {angry}, calm: {}", 40 - angry);
    assert_eq!(stdout.trim_end(), want);
    assert_eq!(server.count_rule("root"), 3);
    assert_eq!(server.count_rule("angry"), angry as u64);
    assert_eq!(server.count_rule("calm"), (40 - angry) as u64);
    let ev = events(dir.path());
    check_trace(&ev, 3, 40, &want);
    let turn2 = &of(&ev, "turn")[1];
    assert!(of(&ev, "subcall")
        .iter()
        .all(|s| s["parent"] == turn2["id"]));

    // The trace as a tree and as an HTML report.
    let t = rlmq()
        .args(["trace"])
        .arg(dir.path().join("t.jsonl"))
        .output()
        .unwrap();
    let (tree, stderr) = out(&t);
    assert_eq!(t.status.code(), Some(0), "{stderr}");
    assert!(
        tree.starts_with("session 1: \"How many customers"),
        "{tree}"
    );
    assert!(tree.contains("├─ turn 2"), "{tree}");
    assert!(tree.contains("40 sub-calls"), "{tree}");
    assert!(tree.contains("… 34 more sub-calls (0 failed)"), "{tree}");
    assert!(
        tree.contains(&format!("└─ end: final · answer \"{want}\"")),
        "{tree}"
    );

    let html = dir.path().join("report.html");
    let t = rlmq()
        .args(["trace"])
        .arg(dir.path().join("t.jsonl"))
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(t.status.code(), Some(0), "{}", out(&t).1);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("PLANTED"));
    for bad in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(bad), "the report fetches something: {bad}");
    }
    super::chromium::check_page(
        &html,
        "ask-label-count-report.png",
        &[
            "Cost per turn",
            "Timeline",
            &want,
            "What is this customer",
            "40 sub-calls",
            "model calls</td><td>43<",
        ],
    );

    drop(server);
    let r = replay(dir.path());
    let (stdout, stderr) = out(&r);
    assert_eq!(r.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.trim_end(), want);
}

// ---------------------------------------------------------------------
// Pairs of users.

/// 20 users with 3 questions each; returns the text and the users that
/// asked both a "Where" and a "How many" question.
fn pairs_context() -> (String, Vec<u32>) {
    let kinds = [
        "Where is the nearest station?",
        "How many people live in Lyon?",
        "Who wrote Hamlet?",
        "What is a prime number?",
        "Where was the treaty signed?",
        "How many moons does Mars have?",
    ];
    let mut s = String::new();
    let mut both = Vec::new();
    for u in 0..20u32 {
        let user = 100 + u * 7;
        let picks = [(u * 3) % 6, (u * 5 + 1) % 6, (u * 7 + 2) % 6];
        let mut where_ = false;
        let mut many = false;
        for (d, p) in picks.iter().enumerate() {
            let q = kinds[*p as usize];
            where_ |= q.starts_with("Where");
            many |= q.starts_with("How many");
            s.push_str(&format!(
                "Date: 2024-03-{:02} || User: {user} || Instance: {q} (ref {user}-{d})\n",
                d + 1
            ));
        }
        if where_ && many {
            both.push(user);
        }
    }
    (s, both)
}

#[test]
fn a_pairs_question() {
    let dir = tempfile::tempdir().unwrap();
    let (text, both) = pairs_context();
    assert!(both.len() >= 3, "the data has pairs");
    let ctx = dir.path().join("instances.txt");
    std::fs::write(&ctx, text).unwrap();
    let replies = vec![
        block("Look at the lines.", "print(len(lines(context)))\nprint(head(lines(context), 3))"),
        block(
            "Group the questions by user, ask once per user, keep those that qualify.",
            "let rows = grep(context, re\"User: (\\d+) \\|\\| Instance: (.*)$\") | map(m => {user: int(m.groups[0]), q: m.groups[1]})\nlet by_user = group_by(rows, r => r.user)\nlet users = sort(keys(by_user))\nlet verdicts = users | map(u => llm(\"Does this user ask both about a location and about a quantity? Reply yes or no.\", join(by_user[u] | map(r => r.q), \"\\n\")))\nlet ok = [u for u, v in zip(users, verdicts) if trim(lower(v)) == \"yes\"]\nprint(len(users), ok)",
        ),
        block(
            "Build every pair in code, lower id first.",
            "let answer = pairs(ok) | map(p => f\"({p[0]}, {p[1]})\") | join(\", \")\nprint(len(pairs(ok)), answer[:200])",
        ),
        block("Return the variable.", "final(answer)"),
    ];
    let sub = vec![
        Rule::text("yes", "yes")
            .when(r"(?s)location and about a quantity.*(Where .*How many|How many .*Where )"),
        Rule::text("no", "no").when("location and about a quantity"),
    ];
    let server = server(replies, sub);
    let o = ask(
        &server,
        dir.path(),
        "List every pair of users who both asked about a location and about a quantity, as (lower id, higher id).",
        &[&ctx],
        &[],
    );
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let mut want = Vec::new();
    for (i, a) in both.iter().enumerate() {
        for b in &both[i + 1..] {
            want.push(format!("({a}, {b})"));
        }
    }
    let want = want.join(", ");
    assert_eq!(stdout.trim_end(), want);
    assert_eq!(server.count_rule("root"), 4);
    assert_eq!(server.count_rule("yes"), both.len() as u64);
    assert_eq!(server.count_rule("yes") + server.count_rule("no"), 20);
    check_trace(&events(dir.path()), 4, 20, &want);

    drop(server);
    let r = replay(dir.path());
    assert_eq!(r.status.code(), Some(0), "{}", out(&r).1);
    assert_eq!(out(&r).0.trim_end(), want);
}

// ---------------------------------------------------------------------
// A 1,000-document search.

#[test]
fn a_search_over_1000_documents() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("corpus");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..1000 {
        let mut t = format!("Document {i}\n");
        for j in 0..20 {
            t.push_str(&format!(
                "Paragraph {j} of document {i}: routine notes about budgets, rooms and schedules number {}.\n",
                i * 31 + j
            ));
        }
        match i {
            137 | 602 => {
                t.push_str("Project Heron kickoff moved to June; no codes were issued yet.\n")
            }
            845 => t.push_str(
                "Security memo: the launch code for Project Heron is HX-4471-Q, rotate monthly.\n",
            ),
            _ => {}
        }
        std::fs::write(folder.join(format!("doc-{i:04}.txt")), t).unwrap();
    }
    let replies = vec![
        block(
            "A corpus of documents: how many, how large?",
            "print(len(docs), len(context))\nprint(docs | take(3) | map(d => d.name))",
        ),
        block(
            "Find the documents that mention Heron and ask about each.",
            "let hits = [d for d in docs if contains(d.text, \"Heron\")]\nprint(len(hits), hits | map(d => d.name))\nlet replies = hits | map(d => llm(\"What is the launch code for Project Heron? Answer with the code only, or NONE.\", d.text))\nprint(replies)",
        ),
        block(
            "Verify the code against its document before answering.",
            "let found = [[d.name, trim(r)] for d, r in zip(hits, replies) if trim(r) != \"NONE\" and contains(d.text, trim(r))]\nprint(found)\nlet answer = found[0][1]",
        ),
        block("Verified in doc-0845.", "final(answer)"),
    ];
    let sub = vec![
        Rule::template("code", r"launch code for Project Heron is ([\w-]+)", "$1"),
        Rule::text("none", "NONE").when("launch code"),
    ];
    let server = server(replies, sub);
    let o = ask(
        &server,
        dir.path(),
        "What is the launch code for Project Heron?",
        &[&folder],
        &[],
    );
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "HX-4471-Q\n");
    assert_eq!(server.count_rule("root"), 4);
    assert_eq!(server.count_rule("code"), 1);
    assert_eq!(server.count_rule("none"), 2);
    let ev = events(dir.path());
    check_trace(&ev, 4, 3, "HX-4471-Q");
    let start = of(&ev, "session_start")[0];
    assert_eq!(start["context"]["documents"], 1000);
    let first = start["first_message"].as_str().unwrap();
    assert!(
        first.contains("the first 100 of 1,000: doc-0000.txt ("),
        "{first}"
    );
    assert!(first.contains("and 900 more"), "{first}");
    let turn3 = &of(&ev, "turn")[2];
    assert_eq!(turn3["output"], "[[\"doc-0845.txt\",\"HX-4471-Q\"]]\n");

    drop(server);
    let r = replay(dir.path());
    assert_eq!(r.status.code(), Some(0), "{}", out(&r).1);
    assert_eq!(out(&r).0, "HX-4471-Q\n");
}

// ---------------------------------------------------------------------
// What the model writes after its code does not count.

#[test]
fn invented_output_and_a_final_answer_after_the_code_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let replies = vec![
        "Let me count the errors.\n\n```rlq\nprint(count(context, \"ERROR\"))\n```\n\nOutput:\n```\n3\n```\n\nSo there are 3 errors.\n\nFINAL(3)\nFinal answer: 3".to_string(),
        block("The real count is in the output.", "final(count(context, \"ERROR\"))"),
    ];
    let server = server(replies, vec![]);
    let o = ask(
        &server,
        dir.path(),
        "How many ERROR lines are there?",
        &[&root().join("examples/sample.txt")],
        &[],
    );
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stdout, "10\n",
        "the invented answer (3) did not end the session"
    );
    assert_eq!(server.count(), 2);
    let reqs = server.requests();
    let shown = reqs[1].last_user.as_deref().unwrap();
    assert!(shown.starts_with("Output:\n10\n"), "{shown}");
    assert!(shown.contains("the text after it was ignored"), "{shown}");
    let ev = events(dir.path());
    let t1 = &of(&ev, "turn")[0];
    assert_eq!(t1["code"], "print(count(context, \"ERROR\"))");
    assert_eq!(t1["final"], Value::Null);
    assert!(t1["ignored_chars"].as_u64().unwrap() > 20);
    assert_eq!(t1["ignored_blocks"], 1);
}

#[test]
fn ask_without_a_key_for_a_hosted_provider_is_a_one_line_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rlmq.toml");
    std::fs::write(&config, "provider = \"openai\"\n").unwrap();
    let o = rlmq()
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .args([
            "ask",
            "What is the magic number?",
            "--context",
            "examples/sample.txt",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with("error: no API key for https://api.openai.com"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let o = rlmq()
        .args(["ask", "--context", "examples/sample.txt"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).1.contains("no question"));
}

#[test]
fn ask_json_reports_a_best_effort_answer_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let replies = vec![
        block(
            "Look.",
            "let answer = find(context, re\"magic number is (\\d+)\").groups[0]\nprint(answer)",
        ),
        block("Check again.", "print(len(answer))"),
    ];
    let server = server(replies, vec![]);
    let o = ask(
        &server,
        dir.path(),
        "What is the magic number?",
        &[&root().join("examples/sample.txt")],
        &["--max-iterations", "2", "--json"],
    );
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["answer"], "4817");
    assert_eq!(v["status"], "max_iterations");
    assert_eq!(v["answer_from"], "answer");
    assert_eq!(v["turns"], 2);
    assert_eq!(v["usage"]["calls"], 2);
    assert!(stderr.contains("NOT a final answer"), "{stderr}");
    assert!(stderr.contains("variable `answer`"), "{stderr}");
}
