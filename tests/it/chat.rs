//! `SubCalls::chat`: root-model turns through the sub-call pipeline, against
//! the scripted server over real HTTP (both protocols, the whole
//! conversation sent in order, cache keyed on all of it, shared budget,
//! `root` trace events).

use std::path::Path;
use std::time::Duration;

use rlmq::llm::mock::{MockRules, MockServer, Protocol, Rule};
use rlmq::llm::{
    BudgetLimits, CallErrorKind, CallRequest, ChatMessage, ChatRequest, LlmConfig, Provider, Role,
    SubCalls,
};
use serde_json::Value;

const KEY: &str = "sk-test-PLANTED-c4a1e0d9";

fn config(provider: Provider, url: String, dir: &Path) -> LlmConfig {
    let mut c = LlmConfig::new(provider, url)
        .with_api_key(KEY)
        .with_sub_model("mock-small")
        .with_cache_dir(dir.join("cache"))
        .with_trace(dir.join("trace.jsonl"));
    c.root_model = "mock-root".into();
    c.backoff_base = Duration::from_millis(20);
    c.timeout = Duration::from_secs(10);
    c
}

fn msg(role: Role, content: &str) -> ChatMessage {
    ChatMessage {
        role,
        content: content.into(),
    }
}

fn conversation(last: &str) -> ChatRequest {
    ChatRequest {
        system: "You write rlq.".into(),
        messages: vec![
            msg(Role::User, "Question: what?"),
            msg(Role::Assistant, "```rlq\nprint(1)\n```"),
            msg(Role::User, last),
        ],
        parent: Some(7),
        ..ChatRequest::default()
    }
}

#[test]
fn a_conversation_is_sent_whole_in_order_cached_and_traced_as_root() {
    for provider in [Provider::OpenAi, Provider::Anthropic] {
        let dir = tempfile::tempdir().unwrap();
        let server = MockServer::start(
            MockRules::new()
                .api_key(KEY)
                .rule(Rule::queue("root", ["first reply", "second reply"]).for_model("mock-root"))
                .rule(Rule::text("sub", "sub reply")),
        )
        .unwrap();
        let url = match provider {
            Provider::OpenAi => server.openai_url(),
            Provider::Anthropic => server.anthropic_url(),
        };
        let sub = SubCalls::new(config(provider, url, dir.path())).unwrap();
        let r = sub.chat(&conversation("Output: 1")).unwrap();
        assert_eq!(r.text, "first reply");
        assert!(r.usage.input_tokens > 0);
        // The same conversation again: from the cache, no request.
        let again = sub.chat(&conversation("Output: 1")).unwrap();
        assert_eq!(again.text, "first reply");
        assert!(again.cached);
        // A different conversation (only the last message differs): sent.
        let r = sub.chat(&conversation("Output: 2")).unwrap();
        assert_eq!(r.text, "second reply");
        assert_eq!(server.count(), 2);
        // A sub-call still works beside it, with its own model.
        let s = sub.call(&CallRequest::new("label").text("x")).unwrap();
        assert_eq!(s.text, "sub reply");

        let reqs = server.requests();
        let first = &reqs[0];
        assert_eq!(first.model.as_deref(), Some("mock-root"));
        assert_eq!(first.system.as_deref(), Some("You write rlq."));
        assert_eq!(first.last_user.as_deref(), Some("Output: 1"));
        let msgs = first.body["messages"].as_array().unwrap();
        let roles: Vec<&str> = msgs
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .filter(|r| *r != "system")
            .collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
        assert_eq!(
            first.protocol,
            match provider {
                Provider::OpenAi => Protocol::OpenAi,
                Provider::Anthropic => Protocol::Anthropic,
            }
        );

        drop(sub);
        let text = std::fs::read_to_string(dir.path().join("trace.jsonl")).unwrap();
        assert!(!text.contains("PLANTED"));
        let events: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let roots: Vec<&Value> = events.iter().filter(|e| e["event"] == "root").collect();
        assert_eq!(roots.len(), 3);
        assert_eq!(roots[0]["parent"], 7);
        assert_eq!(roots[0]["model"], "mock-root");
        assert_eq!(roots[0]["reply"], "first reply");
        assert_eq!(roots[1]["cached"], true);
        assert_ne!(roots[0]["prompt_sha256"], roots[2]["prompt_sha256"]);
        assert_eq!(events.iter().filter(|e| e["event"] == "subcall").count(), 1);
    }
}

#[test]
fn root_turns_and_calls_spend_the_shared_budget_at_any_max_depth() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(MockRules::new().rule(Rule::text("any", "ok"))).unwrap();
    let mut c = config(Provider::OpenAi, server.openai_url(), dir.path()).without_cache();
    c.budget = BudgetLimits {
        max_calls: Some(3),
        max_depth: 0,
        ..BudgetLimits::default()
    };
    let sub = SubCalls::new(c).unwrap();
    // max_depth bounds only rlm() sub-sessions: llm() is sent even at 0.
    assert_eq!(sub.call(&CallRequest::new("x")).unwrap().text, "ok");
    assert_eq!(sub.chat(&conversation("a")).unwrap().text, "ok");
    assert_eq!(sub.chat(&conversation("b")).unwrap().text, "ok");
    let e = sub.chat(&conversation("c")).unwrap_err();
    assert!(matches!(e.kind, CallErrorKind::Budget { .. }), "{e}");
    assert_eq!(server.count(), 3);
    assert_eq!(sub.totals().calls, 3);
}

#[test]
fn a_conversation_must_end_with_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(MockRules::new().rule(Rule::text("any", "ok"))).unwrap();
    let sub = SubCalls::new(config(Provider::OpenAi, server.openai_url(), dir.path())).unwrap();
    let mut req = conversation("a");
    req.messages.pop();
    assert!(sub.chat(&req).is_err());
    assert!(sub.chat(&ChatRequest::default()).is_err());
    assert_eq!(server.count(), 0);
}

#[test]
fn a_recording_answers_every_call_again_with_the_server_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .rule(Rule::queue("root", ["turn one", "turn two"]).for_model("mock-root"))
            .rule(Rule::template("label", r"Label: (\w+)", "$1"))
            .rule(Rule::text("json", "not json")),
    )
    .unwrap();
    let url = server.openai_url();
    let labelled = |i: u32| CallRequest::new("label?").text(format!("Label: L{i}"));
    let sub =
        SubCalls::new(config(Provider::OpenAi, url.clone(), dir.path()).without_cache()).unwrap();
    assert_eq!(sub.chat(&conversation("a")).unwrap().text, "turn one");
    assert_eq!(sub.call(&labelled(1)).unwrap().text, "L1");
    assert_eq!(sub.call(&labelled(1)).unwrap().text, "L1");
    assert_eq!(sub.chat(&conversation("b")).unwrap().text, "turn two");
    let mut j = CallRequest::new("give json");
    j.json = true;
    assert!(matches!(
        sub.call(&j).unwrap_err().kind,
        CallErrorKind::JsonReply { .. }
    ));
    drop(sub);
    drop(server);

    let trace = std::fs::read_to_string(dir.path().join("trace.jsonl")).unwrap();
    let rec = rlmq::llm::Recording::from_trace(&trace);
    assert_eq!(rec.len(), 5);
    let replay_dir = tempfile::tempdir().unwrap();
    let sub = SubCalls::new(config(Provider::OpenAi, url, replay_dir.path()).without_cache())
        .unwrap()
        .replaying(rec);
    assert_eq!(sub.call(&labelled(1)).unwrap().text, "L1");
    assert_eq!(sub.chat(&conversation("b")).unwrap().text, "turn two");
    assert_eq!(sub.chat(&conversation("a")).unwrap().text, "turn one");
    assert_eq!(sub.call(&labelled(1)).unwrap().text, "L1");
    assert!(matches!(
        sub.call(&j).unwrap_err().kind,
        CallErrorKind::JsonReply { .. }
    ));
    assert_eq!(sub.recording().unwrap().remaining(), 0);
    let e = sub.call(&labelled(2)).unwrap_err();
    assert!(e.message().contains("left the recorded path"), "{e}");
    // Replayed calls count as calls, the one off the path too (as failed).
    assert_eq!(sub.totals().calls, 6);
    assert_eq!(sub.totals().failures, 2);
}
