//! The root loop from Rust (`Session::new(context).ask(question)`) against
//! the scripted server: corrective messages, `final` refused on the first
//! turn, output cut for the model but whole in the trace, the best answer
//! when turns run out, `--max-errors`, the budget over root calls, and
//! `rlm()` sub-sessions nested in the trace.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rlmq::llm::mock::{MockServer, Rule};
use rlmq::llm::{BudgetLimits, LlmConfig, ModelInfo, Provider};
use rlmq::session::{Answer, Session, Status};

use super::ask::{block, events, of, server, KEY};
use super::common::{context_of, sample};

fn config(server: &MockServer, dir: &Path) -> LlmConfig {
    let mut c = LlmConfig::new(Provider::OpenAi, server.openai_url())
        .with_api_key(KEY)
        .with_sub_model("mock-small")
        .with_cache_dir(dir.join("cache"))
        .with_trace(dir.join("t.jsonl"))
        .with_model(
            "mock-root",
            ModelInfo {
                context_window: Some(400_000),
                ..ModelInfo::default()
            },
        );
    c.root_model = "mock-root".into();
    c.retries = 0;
    c.backoff_base = Duration::from_millis(10);
    c
}

fn ask_with(server: &MockServer, dir: &Path, f: impl FnOnce(Session) -> Session) -> Answer {
    let session = f(Session::new(context_of(&sample())).config(config(server, dir)));
    session
        .ask("What is the magic number?")
        .expect("session starts")
}

/// The user messages the root model received, in order.
fn shown(server: &MockServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter(|r| r.model.as_deref() == Some("mock-root"))
        .map(|r| r.last_user.clone().unwrap_or_default())
        .collect()
}

#[test]
fn replies_without_rlq_get_a_correction_and_the_first_turn_cannot_end_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        vec![
            "I think the answer is 4817.".into(),
            "```python\nimport re\nprint(re.findall(r'magic number is (\\d+)', context))\n```"
                .into(),
            "```repl\nprint(1)\n```".into(),
            block(
                "Straight to it.",
                "final(find(context, re\"magic number is (\\d+)\").groups[0])",
            ),
            block("Now I have seen it.", "final(\"4817\")"),
        ],
        vec![],
    );
    let a = ask_with(&s, dir.path(), |x| x);
    assert!(a.is_final());
    assert_eq!(a.text, "4817");
    assert_eq!(a.turns, 5);
    let msgs = shown(&s);
    assert!(msgs[0].starts_with("Question: What is the magic number?"));
    assert!(msgs[0].contains("do not answer yet"));
    assert!(msgs[1].contains("no ```rlq block"), "{}", msgs[1]);
    assert!(msgs[2].contains("a ```python block"), "{}", msgs[2]);
    assert!(msgs[3].contains("a ```repl block"), "{}", msgs[3]);
    // The fourth reply is the first that ran code: its final is refused,
    // since the model had seen no output yet.
    assert!(msgs[4].starts_with("Output: (none"), "{}", msgs[4]);
    assert!(msgs[4].contains("final() was refused"), "{}", msgs[4]);
    let ev = events(dir.path());
    let blocks: Vec<&str> = of(&ev, "turn")
        .iter()
        .map(|t| t["block"].as_str().unwrap())
        .collect();
    assert_eq!(blocks, ["none", "python", "repl", "rlq", "rlq"]);
    assert_eq!(of(&ev, "turn")[3]["final_refused"], true);
}

#[test]
fn final_on_the_first_turn_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        vec![
            block("Answer at once.", "let answer = \"42\"\nfinal(answer)"),
            block(
                "Having seen nothing, I check.",
                "print(find(context, re\"magic number is (\\d+)\").groups[0])",
            ),
            block("Done.", "final(answer + \"?\")"),
        ],
        vec![],
    );
    let a = ask_with(&s, dir.path(), |x| x);
    assert_eq!(a.text, "42?", "variables of the refused turn are kept");
    assert_eq!(a.turns, 3);
    let msgs = shown(&s);
    assert!(
        msgs[1].contains("final() was refused: this is the first turn of yours that ran code"),
        "{}",
        msgs[1]
    );
    assert!(msgs[2].starts_with("Output:\n4817\n"));
    let ev = events(dir.path());
    assert_eq!(of(&ev, "turn")[0]["final_refused"], true);
}

#[test]
fn long_output_is_cut_for_the_model_and_kept_whole_in_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        vec![
            block("Print all of it.", "for l in lines(context) { print(l) }"),
            block("Enough.", "final(\"ok\")"),
        ],
        vec![],
    );
    let a = ask_with(&s, dir.path(), |x| x.max_output_chars(1000));
    assert_eq!(a.text, "ok");
    let msgs = shown(&s);
    assert!(msgs[1].contains("# Harbor operations log"), "head kept");
    assert!(msgs[1].contains("characters ("), "the cut is stated");
    assert!(msgs[1].chars().count() < 1400, "{}", msgs[1].len());
    let ev = events(dir.path());
    let t = of(&ev, "turn")[0];
    assert_eq!(t["truncated"], true);
    let full = t["output"].as_str().unwrap();
    assert_eq!(full.lines().count(), 165, "the trace has all of it");
}

#[test]
fn when_turns_run_out_the_best_answer_in_the_variables_is_returned_and_marked() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        vec![
            block("Look.", "print(len(context))"),
            block(
                "Search.",
                "let answer = find(context, re\"magic number is (\\d+)\").groups[0]",
            ),
            block("Let me double-check once more.", "print(answer)"),
        ],
        vec![],
    );
    let a = ask_with(&s, dir.path(), |x| x.max_iterations(3));
    assert_eq!(a.status, Status::MaxIterations);
    assert!(!a.is_final());
    assert_eq!(a.text, "4817");
    assert_eq!(a.source.as_deref(), Some("answer"));
    assert!(a.reason.contains("within 3 turns"), "{}", a.reason);
    let msgs = shown(&s);
    assert!(
        msgs[2].contains("Turn 3 of 3: this is your last turn"),
        "{}",
        msgs[2]
    );
    let ev = events(dir.path());
    let end = of(&ev, "session_end")[0];
    assert_eq!(end["status"], "max_iterations");
    assert_eq!(end["answer_from"], "answer");
}

#[test]
fn consecutive_errors_end_the_session_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        vec![
            block("Look.", "print(len(contxt))"),
            "no code, sorry".into(),
            block("Again.", "print(context[0] + 1)"),
            block("never sent", "final(1)"),
        ],
        vec![],
    );
    let a = ask_with(&s, dir.path(), |x| x.max_errors(3));
    assert_eq!(a.status, Status::MaxErrors);
    assert_eq!(a.turns, 3);
    assert!(a.text.is_empty());
    assert!(a.reason.contains("3 turns in a row failed"), "{}", a.reason);
    let msgs = shown(&s);
    assert_eq!(msgs.len(), 3);
    assert!(msgs[1].contains("unknown name `contxt`"), "{}", msgs[1]);
    assert!(msgs[1].contains("turn-1:1:11"), "{}", msgs[1]);
    assert!(msgs[1].contains('^'), "the caret diagnostic is shown");
}

#[test]
fn root_calls_spend_the_session_budget() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        vec![
            block(
                "Look.",
                "let answer = \"partial\"\nprint(llm(\"hi\", \"there\"))",
            ),
            block("More.", "print(2)"),
            block("never sent", "final(1)"),
        ],
        vec![Rule::text("any", "hello")],
    );
    let dir_path = dir.path().to_path_buf();
    let mut c = config(&s, &dir_path);
    c.budget = BudgetLimits {
        max_calls: Some(3),
        ..c.budget
    };
    let a = Session::new(context_of(&sample()))
        .config(c)
        .ask("What is the magic number?")
        .unwrap();
    assert_eq!(a.status, Status::Stopped);
    assert!(
        a.reason.contains("root model call of turn 3 failed"),
        "{}",
        a.reason
    );
    assert_eq!(a.text, "partial");
    assert_eq!(s.count(), 3, "two root turns and one sub-call");
    assert_eq!(a.usage.calls, 3);
}

#[test]
fn rlm_runs_a_sub_session_nested_under_its_turn() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        vec![
            block(
                "Ask a sub-session about section 4 only.",
                "let sec = sections(context)[4].text\nlet inner = rlm(\"What is the magic number in this section?\", sec)\nprint(inner)",
            ),
            // The sub-session's turns (it runs inside the turn above).
            block("Inner look.", "print(len(context), question)"),
            block("Inner search.", "let n = find(context, re\"magic number is (\\d+)\").groups[0]\nprint(n)"),
            block("Inner done.", "final(n)"),
            // Back in the outer session.
            block("The sub-session found it.", "final(\"magic: \" + inner)"),
        ],
        vec![],
    );
    let a = ask_with(&s, dir.path(), |x| x);
    assert_eq!(a.text, "magic: 4817");
    assert_eq!(a.turns, 2);
    let ev = events(dir.path());
    let starts = of(&ev, "session_start");
    assert_eq!(starts.len(), 2);
    let outer_turn1 = &of(&ev, "turn")
        .into_iter()
        .find(|t| t["depth"] == 0)
        .unwrap()["id"];
    assert_eq!(starts[1]["depth"], 1);
    assert_eq!(
        &starts[1]["parent"], outer_turn1,
        "nested under the turn that called rlm"
    );
    assert_eq!(
        starts[1]["question"],
        "What is the magic number in this section?"
    );
    assert_eq!(starts[1]["context"]["documents"], 1);
    let inner_turns: Vec<_> = of(&ev, "turn")
        .into_iter()
        .filter(|t| t["depth"] == 1)
        .collect();
    assert_eq!(inner_turns.len(), 3);
    assert!(inner_turns[0]["output"]
        .as_str()
        .unwrap()
        .ends_with("What is the magic number in this section?\n"));
    let ends = of(&ev, "session_end");
    assert_eq!(ends[0]["depth"], 1);
    assert_eq!(ends[0]["answer"], "4817");

    // The tree shows the sub-session inside turn 1.
    let t = rlmq::trajectory::read(&std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap());
    let tree = rlmq::trajectory::tree::render(&t, Default::default());
    assert!(
        tree.contains("(depth 1): \"What is the magic number in this section?\""),
        "{tree}"
    );
    let page = rlmq::trajectory::html::render(&t, "rlm");
    assert!(
        page.contains("class=\"session nested\""),
        "the sub-session nests in the report"
    );

    // Replayed offline, the nested session gets its own recorded turns.
    let text = std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap();
    drop(s);
    let settings = rlmq::session::replay::ReplaySettings {
        context: vec![sample()],
        ..Default::default()
    };
    let e = rlmq::session::replay::replay(&text, &Default::default()).unwrap_err();
    assert!(e.contains("pass --context"), "{e}");
    let done = rlmq::session::replay::replay(&text, &settings).unwrap();
    assert_eq!(done.len(), 1);
    assert!(done[0].matches(), "{:?}", done[0].differences);
    assert!(done[0].differences.is_empty(), "{:?}", done[0].differences);
}

#[test]
fn a_session_over_a_shared_backend_and_the_rust_entry_point() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        vec![
            block("Look.", "print(count(context, \"ERROR\"))"),
            block("Done.", "final(count(context, \"ERROR\"))"),
        ],
        vec![],
    );
    let calls = Arc::new(rlmq::llm::SubCalls::new(config(&s, dir.path())).unwrap());
    let a = Session::new(context_of(&sample()))
        .calls(Arc::clone(&calls))
        .ask("How many errors?")
        .unwrap();
    assert_eq!(a.text, "10");
    assert_eq!(a.usage.calls, 2);
    assert_eq!(calls.totals().calls, 2);
    assert_eq!(
        a.trace.as_deref(),
        Some(dir.path().join("t.jsonl").as_path())
    );
}
