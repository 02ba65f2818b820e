//! History compaction against the scripted root model with a small window:
//! older turns are summarised into a note, the session goes on to its
//! answer with its variables intact, and the trace keeps every turn.

use rlmq::llm::mock::{MockRules, MockServer, Rule};

use super::ask::{block, events, of, KEY};
use super::common::rlmq;

const NOTE: &str = "NOTE: turn 1 counted the ERROR lines into `errors`; the log has been read up to character 6000.";

#[test]
fn a_full_conversation_is_compacted_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let turns = vec![
        block(
            "Count first.",
            "let errors = count(context, \"ERROR\")\nprint(context[0:3000])",
        ),
        block("Read on.", "print(context[3000:6000])"),
        block("Read on.", "print(context[6000:9000])"),
        block("Read again.", "print(context[0:3000])"),
        block("Answer from the variable of turn 1.", "final(errors)"),
    ];
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .rule(
                Rule::text("summary", NOTE)
                    .when("nearing your context window")
                    .for_model("mock-root"),
            )
            .rule(Rule::queue("root", turns).for_model("mock-root")),
    )
    .unwrap();
    let config = dir.path().join("rlmq.toml");
    std::fs::write(
        &config,
        format!(
            "base_url = \"{}\"\nroot_model = \"mock-root\"\ncompact_at = 0.5\n[models.\"mock-root\"]\ncontext_window = 8000\n",
            server.openai_url()
        ),
    )
    .unwrap();
    let o = rlmq()
        .env_remove("ANTHROPIC_API_KEY")
        .env("OPENAI_API_KEY", KEY)
        .args([
            "ask",
            "How many ERROR lines?",
            "--context",
            "examples/sample.txt",
        ])
        .args(["--root-max-tokens", "1000", "--no-cache", "--config"])
        .arg(&config)
        .arg("--trace")
        .arg(dir.path().join("t.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "10\n",
        "the variable of turn 1 survived"
    );

    let ev = events(dir.path());
    let compactions = of(&ev, "compaction");
    assert!(!compactions.is_empty(), "no compaction");
    for c in &compactions {
        assert_eq!(c["summary"], NOTE, "{c}");
        let (before, after) = (
            c["tokens_before"].as_u64().unwrap(),
            c["tokens_after"].as_u64().unwrap(),
        );
        let limit = c["limit"].as_u64().unwrap();
        assert_eq!(limit, 7000, "window minus the reply allowance");
        assert!(before as f64 > 0.5 * limit as f64 && after < before, "{c}");
    }
    // Every turn is in the trace with its full output.
    let turn_events = of(&ev, "turn");
    assert_eq!(turn_events.len(), 5);
    assert_eq!(
        turn_events[1]["output"].as_str().unwrap().chars().count(),
        3001
    );

    // What the root model was sent after the first compaction: the note in
    // the first message, the summarised turns' outputs gone.
    let requests = server.requests();
    let first_compaction = requests
        .iter()
        .position(|r| r.rule.as_deref() == Some("summary"))
        .unwrap();
    let after = &requests[first_compaction + 1];
    let messages = after.body["messages"].as_array().unwrap();
    let first = messages[1]["content"].as_str().unwrap();
    assert!(
        first.starts_with("Question: How many ERROR lines?"),
        "{first}"
    );
    assert!(
        first.contains(NOTE) && first.contains("- errors: "),
        "{first}"
    );
    assert_eq!(
        messages.len(),
        4,
        "system, first with the note, last reply, last output"
    );
    assert_eq!(server.count_rule("root"), 5);

    // The recorded session replays offline, compactions included.
    drop(server);
    let o = rlmq()
        .env_remove("OPENAI_API_KEY")
        .arg("replay")
        .arg(dir.path().join("t.jsonl"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
