//! Sub-calls end to end: the real client against the scripted server over
//! real HTTP on 127.0.0.1 (concurrency, retries, cache, budgets, errors).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rlmq::llm::budget::BudgetLimit;
use rlmq::llm::mock::{Fault, Faults, MockRules, MockServer, Protocol, Rule};
use rlmq::llm::{
    BudgetLimits, CallError, CallErrorKind, CallRequest, LlmConfig, ModelInfo, Provider, Reply,
    SubCalls, DEFAULT_SYSTEM, JSON_INSTRUCTION,
};
use serde_json::{json, Value};

/// Planted in every config; must never show up in errors or traces.
const KEY: &str = "sk-test-PLANTED-7f3a9c2e51d04b8e";
const MODEL: &str = "mock-small";

fn label_rules(latency_ms: u64) -> MockRules {
    MockRules::new()
        .api_key(KEY)
        .models([MODEL])
        .latency_ms(latency_ms)
        .rule(Rule::template("label", r"Label: (\w+)", "$1"))
}

/// A config for `server` with fast retries, its cache and trace in `dir`.
fn config(server: &MockServer, dir: &Path) -> LlmConfig {
    let mut c = LlmConfig::new(Provider::OpenAi, server.openai_url())
        .with_api_key(KEY)
        .with_sub_model(MODEL)
        .with_cache_dir(dir.join("cache"))
        .with_trace(dir.join("trace.jsonl"));
    c.backoff_base = Duration::from_millis(20);
    c.backoff_max = Duration::from_millis(200);
    c.timeout = Duration::from_secs(10);
    c
}

fn labelled(i: usize) -> CallRequest<'static> {
    CallRequest::new("What is the label? Reply with the label only.")
        .text(format!(
            "Some filler text about item {i}.\nLabel: L{i}\nMore filler."
        ))
        .site(format!("script.rlq:{}:5", i + 1))
}

/// Calls `sub` once per request, each from its own OS thread (as a `map`
/// fans out), and returns the results in input order.
fn fan_out(sub: &SubCalls, reqs: &[CallRequest]) -> Vec<Result<Reply, CallError>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = reqs.iter().map(|r| s.spawn(move || sub.call(r))).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a call thread panicked"))
            .collect()
    })
}

fn trace_events(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("trace.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every trace line is JSON"))
        .collect()
}

fn events<'a>(all: &'a [Value], kind: &str) -> Vec<&'a Value> {
    all.iter().filter(|e| e["event"] == kind).collect()
}

fn cache_entries(dir: &Path) -> usize {
    let Ok(shards) = std::fs::read_dir(dir) else {
        return 0;
    };
    shards
        .flatten()
        .filter_map(|s| std::fs::read_dir(s.path()).ok())
        .flatten()
        .flatten()
        .filter(|f| f.file_name().to_string_lossy().ends_with(".json"))
        .count()
}

#[test]
fn map_of_256_calls_runs_32_at_a_time_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(label_rules(200)).unwrap();
    let mut c = config(&server, dir.path()).without_cache();
    c.concurrency = 32;
    let sub = SubCalls::new(c).unwrap();
    let reqs: Vec<_> = (0..256).map(labelled).collect();

    let t = Instant::now();
    let results = fan_out(&sub, &reqs);
    let elapsed = t.elapsed();
    let ideal = Duration::from_millis(8 * 200);
    let ratio = elapsed.as_secs_f64() / ideal.as_secs_f64();
    println!(
        "256 calls, 200 ms each, concurrency 32: {:.0} ms, {ratio:.3}x the ideal 8 x 200 ms",
        elapsed.as_secs_f64() * 1000.0
    );

    for (i, r) in results.iter().enumerate() {
        let reply = r.as_ref().unwrap_or_else(|e| panic!("call {i}: {e}"));
        assert_eq!(reply.text, format!("L{i}"));
    }
    assert_eq!(server.count(), 256);
    // Concurrency is shown by the server, not by the clock: at some moment
    // more than one call was in flight, and never more than the limit.
    assert!(
        server.max_in_flight() > 1 && server.max_in_flight() <= 32,
        "{} in flight",
        server.max_in_flight()
    );
    let totals = sub.totals();
    assert_eq!((totals.calls, totals.failures, totals.retries), (256, 0, 0));
}

#[test]
fn thirty_percent_faults_are_retried_until_every_call_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Faults::rate(0.3, Fault::ALL)
        .max_per_request(3)
        .seed(11)
        .retry_after_secs(1)
        .timeout_ms(6_000);
    let server = MockServer::start(label_rules(5).faults(faults)).unwrap();
    let mut c = config(&server, dir.path()).without_cache();
    // Generous, so that only injected timeouts time out on a busy machine.
    c.timeout = Duration::from_millis(1_500);
    c.concurrency = 16;
    let sub = SubCalls::new(c).unwrap();
    let reqs: Vec<_> = (0..100).map(labelled).collect();

    let results = fan_out(&sub, &reqs);
    for (i, r) in results.iter().enumerate() {
        let reply = r.as_ref().unwrap_or_else(|e| panic!("call {i}: {e}"));
        assert_eq!(reply.text, format!("L{i}"));
    }

    let totals = sub.totals();
    let faults = server.faults_injected();
    println!("{faults} faults injected over {} requests", server.count());
    assert!(faults >= 15, "only {faults} faults injected");
    assert_eq!(server.count(), 100 + faults, "one extra request per fault");
    assert_eq!(totals.retries, faults);
    let mut kinds: Vec<_> = server.requests().iter().filter_map(|r| r.fault).collect();
    kinds.sort_by_key(|f| format!("{f:?}"));
    kinds.dedup();
    assert_eq!(kinds.len(), 5, "every fault kind was exercised: {kinds:?}");

    let all = trace_events(dir.path());
    assert_eq!(events(&all, "retry").len() as u64, totals.retries);
    let per_call: u64 = events(&all, "subcall")
        .iter()
        .map(|e| e["retries"].as_u64().unwrap())
        .sum();
    assert_eq!(per_call, totals.retries);
    let reasons: Vec<&str> = events(&all, "retry")
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    for kind in [
        "http: mock: rate limited",
        "http: mock: internal error",
        "timeout",
        "bad_reply",
        "connect: connection dropped",
    ] {
        assert!(
            reasons.iter().any(|r| r.starts_with(kind)),
            "no retry for {kind}: {reasons:?}"
        );
    }
}

#[test]
fn retry_after_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Faults::sequence([Some(Fault::RateLimit)]).retry_after_secs(1);
    let server = MockServer::start(label_rules(0).faults(faults)).unwrap();
    let mut c = config(&server, dir.path()).without_cache();
    c.backoff_max = Duration::from_secs(5);
    let sub = SubCalls::new(c).unwrap();
    let t = Instant::now();
    let reply = sub.call(&labelled(0)).unwrap();
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "waited only {:?}",
        t.elapsed()
    );
    assert_eq!((reply.text.as_str(), reply.retries), ("L0", 1));
    let retry = &events(&trace_events(dir.path()), "retry")[0].clone();
    assert!(retry["delay_ms"].as_u64().unwrap() >= 1000, "{retry}");
}

#[test]
fn rerun_is_served_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(label_rules(0)).unwrap();
    let reqs: Vec<_> = (0..20).map(labelled).collect();

    let first = SubCalls::new(config(&server, dir.path())).unwrap();
    let a = fan_out(&first, &reqs);
    assert_eq!(server.count(), 20);
    assert!(a.iter().all(|r| !r.as_ref().unwrap().cached));
    drop(first);

    let second = SubCalls::new(config(&server, dir.path())).unwrap();
    let b = fan_out(&second, &reqs);
    assert_eq!(server.count(), 20, "the rerun sent requests");
    for (x, y) in a.iter().zip(&b) {
        let (x, y) = (x.as_ref().unwrap(), y.as_ref().unwrap());
        assert_eq!(x.text, y.text);
        assert!(y.cached);
        assert_eq!(y.usage.cost_usd, Some(0.0));
    }
    let t = second.totals();
    assert_eq!((t.calls, t.cache_hits, t.input_tokens), (0, 20, 0));

    // --no-cache goes to the server again.
    let third = SubCalls::new(config(&server, dir.path()).without_cache()).unwrap();
    third.call(&reqs[0]).unwrap();
    assert_eq!(server.count(), 21);
}

/// The child half of the crash test: runs a batch against the server the
/// parent names, until the parent kills it. Does nothing in a normal run.
#[test]
fn crash_child() {
    let (Ok(url), Ok(dir)) = (
        std::env::var("RLMQ_CRASH_CHILD_URL"),
        std::env::var("RLMQ_CRASH_CHILD_DIR"),
    ) else {
        return;
    };
    let mut c = LlmConfig::new(Provider::OpenAi, url)
        .with_api_key(KEY)
        .with_sub_model(MODEL)
        .with_cache_dir(PathBuf::from(dir));
    c.concurrency = 4;
    let sub = SubCalls::new(c).unwrap();
    let reqs: Vec<_> = (0..40).map(labelled).collect();
    fan_out(&sub, &reqs);
}

#[cfg(unix)]
#[test]
fn a_killed_run_keeps_every_reply_and_the_rerun_makes_only_the_missing_calls() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let server = MockServer::start(label_rules(100)).unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "subcalls::crash_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("RLMQ_CRASH_CHILD_URL", server.openai_url())
        .env("RLMQ_CRASH_CHILD_DIR", &cache)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // 40 calls, 4 at a time, 100 ms each: about a second. Kill it midway.
    let t = Instant::now();
    while cache_entries(&cache) < 10 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the child made no progress"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended early: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let kept = cache_entries(&cache);
    assert!(
        (10..40).contains(&kept),
        "{kept} entries: not killed mid-batch"
    );
    // What a kill leaves: maybe a half-written temp file; plant one to be sure.
    let any_shard = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::write(any_shard.join(".deadbeef.123.0.tmp"), b"{\"key\": \"dead").unwrap();

    let before = server.count();
    let sub = SubCalls::new(config(&server, dir.path())).unwrap();
    let reqs: Vec<_> = (0..40).map(labelled).collect();
    let results = fan_out(&sub, &reqs);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.as_ref().unwrap().text, format!("L{i}"));
    }
    assert_eq!(
        server.count() - before,
        (40 - kept) as u64,
        "rerun made more than the missing calls"
    );
    assert_eq!(sub.totals().cache_hits, kept as u64);
}

#[test]
fn budget_limits_refuse_calls_with_what_ran_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(label_rules(0)).unwrap();
    let c = config(&server, dir.path())
        .without_cache()
        .with_budget(BudgetLimits {
            max_calls: Some(3),
            ..BudgetLimits::default()
        });
    let sub = SubCalls::new(c).unwrap();
    assert_eq!(sub.budget(0).llm_calls_left, Some(3));
    let plan = |n: usize| rlmq::llm::MapPlan {
        pieces: vec![&b"x"[..]; n],
        calls_per_item: 1,
        ..Default::default()
    };
    let err = sub.reserve_map(&plan(10)).unwrap_err().to_string();
    assert!(
        err.contains("up to 10") && err.contains("partition(size=...)"),
        "{err}"
    );
    sub.reserve_map(&plan(3)).unwrap();
    let results: Vec<_> = (0..5).map(|i| sub.call(&labelled(i))).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
    let e = results[4].as_ref().unwrap_err();
    assert_eq!(
        e.kind,
        CallErrorKind::Budget {
            limit: BudgetLimit::Calls
        }
    );
    assert!(
        e.to_string()
            .starts_with("script.rlq:5:5: llm() refused: the call budget is spent"),
        "{e}"
    );
    assert_eq!(server.count(), 3);
    assert_eq!(sub.budget(0).llm_calls_left, Some(0));

    // Tokens: the reply allowance alone is over the budget.
    let c = config(&server, dir.path())
        .without_cache()
        .with_budget(BudgetLimits {
            max_tokens: Some(1000),
            ..BudgetLimits::default()
        });
    let sub = SubCalls::new(c).unwrap();
    let e = sub.call(&labelled(0)).unwrap_err();
    assert_eq!(
        e.kind,
        CallErrorKind::Budget {
            limit: BudgetLimit::Tokens
        }
    );
    let ok = sub
        .call(&CallRequest {
            max_tokens: Some(100),
            ..labelled(0)
        })
        .unwrap();
    let used = ok.usage.input_tokens + ok.usage.output_tokens;
    assert_eq!(sub.budget(0).tokens_left, Some(1000 - used));

    // USD: with no known price the limit cannot be enforced, so it refuses.
    let c = config(&server, dir.path())
        .without_cache()
        .with_budget(BudgetLimits {
            max_usd: Some(1.0),
            ..BudgetLimits::default()
        });
    let sub = SubCalls::new(c).unwrap();
    let e = sub.call(&labelled(0)).unwrap_err().to_string();
    assert!(
        e.contains("price is unknown") && e.contains("[models.\"mock-small\"]"),
        "{e}"
    );

    // Time: none left.
    let c = config(&server, dir.path())
        .without_cache()
        .with_budget(BudgetLimits {
            max_seconds: Some(0.0),
            ..BudgetLimits::default()
        });
    let sub = SubCalls::new(c).unwrap();
    let e = sub.call(&labelled(0)).unwrap_err();
    assert_eq!(
        e.kind,
        CallErrorKind::Budget {
            limit: BudgetLimit::Time
        }
    );
    assert_eq!(server.count(), 4);
}

#[test]
fn prices_give_costs_and_a_usd_limit_holds() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .rule(Rule::text("fixed", "ok").usage(1_000, 100)),
    )
    .unwrap();
    let price = ModelInfo {
        input_per_million: Some(1.0),
        output_per_million: Some(10.0),
        ..ModelInfo::default()
    };
    let c = config(&server, dir.path())
        .without_cache()
        .with_model(MODEL, price)
        .with_budget(BudgetLimits {
            max_usd: Some(0.05),
            ..BudgetLimits::default()
        });
    let sub = SubCalls::new(c).unwrap();
    let reply = sub
        .call(&CallRequest {
            max_tokens: Some(500),
            ..CallRequest::new("hi")
        })
        .unwrap();
    // 1000 in at $1/M + 100 out at $10/M.
    assert!((reply.usage.cost_usd.unwrap() - 0.002).abs() < 1e-9);
    let mut ok = 1;
    while sub
        .call(&CallRequest {
            max_tokens: Some(500),
            ..CallRequest::new(format!("hi {ok}"))
        })
        .is_ok()
    {
        ok += 1;
        assert!(ok < 100, "the USD limit never held");
    }
    // Each call costs $0.002 but reserves about $0.005 (its counted input
    // and its whole 500-token reply allowance) until it is answered.
    let spent = sub.totals().cost_usd.unwrap();
    assert!(spent <= 0.05 + 1e-9, "spent {spent}");
    assert!(
        spent > 0.05 - 0.006 - 0.002,
        "stopped early: spent {spent} in {ok} calls"
    );
    assert!(sub.budget(0).usd_left.unwrap() < 0.006);

    // A model with no price makes the total unknown, never 0.
    let sub = SubCalls::new(config(&server, dir.path()).without_cache()).unwrap();
    let reply = sub.call(&CallRequest::new("hi")).unwrap();
    assert_eq!(reply.usage.cost_usd, None);
    assert_eq!(sub.totals().cost_usd, None);
}

#[test]
fn an_oversize_prompt_fails_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(label_rules(0)).unwrap();
    let window = ModelInfo {
        context_window: Some(4_000),
        ..ModelInfo::default()
    };
    let mut c = config(&server, dir.path())
        .without_cache()
        .with_model(MODEL, window);
    c.sub_max_tokens = 1_000;
    let sub = SubCalls::new(c).unwrap();
    let view = sub.budget(0);
    assert_eq!(view.sub_output_tokens, 1_000);
    assert!(
        view.sub_input_chars > 5_000 && view.sub_input_chars < 9_000,
        "{view:?}"
    );

    let words = "lorem ipsum dolor sit amet consectetur adipiscing elit ";
    let big = words.repeat(1_000);
    let e = sub
        .call(&CallRequest::new("Summarize.").text(&big).site("s.rlq:3:1"))
        .unwrap_err();
    let CallErrorKind::PromptTooLarge {
        chars,
        tokens,
        limit,
    } = e.kind
    else {
        panic!("{e}");
    };
    assert_eq!(chars, ("Summarize.\n\n".len() + big.len()) as u64);
    assert!(tokens > limit);
    assert_eq!(limit, 3_000);
    let line = e.to_string();
    for part in [
        &format!("{chars} characters"),
        &format!("about {tokens} tokens"),
        "limit of 3000 tokens",
        "partition(text, size=",
    ] {
        assert!(line.contains(part), "{part:?} missing from: {line}");
    }
    assert_eq!(server.count(), 0);

    // What budget() promises does fit.
    let fits: String = big
        .chars()
        .take(view.sub_input_chars as usize - "Summarize.\n\n".len())
        .collect();
    let rules_reply = sub.call(&CallRequest::new("Summarize.").text(fits));
    assert!(
        !matches!(
            rules_reply,
            Err(CallError {
                kind: CallErrorKind::PromptTooLarge { .. },
                ..
            })
        ),
        "sub_input_chars overstates what fits"
    );
}

#[test]
fn anthropic_protocol_end_to_end() {
    let server = MockServer::start(label_rules(0)).unwrap();
    let mut c = LlmConfig::new(Provider::Anthropic, server.anthropic_url())
        .with_api_key(KEY)
        .with_sub_model(MODEL)
        .without_cache();
    c.sub_max_tokens = 321;
    let sub = SubCalls::new(c).unwrap();
    let reply = sub.call(&labelled(7)).unwrap();
    assert_eq!(reply.text, "L7");
    assert!(reply.usage.input_tokens > 0 && reply.usage.output_tokens > 0);
    let r = &server.requests()[0];
    assert_eq!(r.protocol, Protocol::Anthropic);
    assert_eq!(r.headers["anthropic-version"], "2023-06-01");
    assert!(r.headers.contains_key("x-api-key"));
    assert_eq!(r.body["max_tokens"], 321);
    assert_eq!(r.system.as_deref(), Some(DEFAULT_SYSTEM));
    assert_eq!(
        r.last_user.as_deref(),
        Some(labelled(7).message().joined().as_ref())
    );
}

#[test]
fn messages_system_prompts_and_json_replies() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .rule(
                Rule::text("fenced", "```json\n{\"label\": \"spam\", \"n\": 3}\n```")
                    .when("^Classify"),
            )
            .rule(Rule::text("prose", "I think it is spam.").when("^Prose")),
    )
    .unwrap();
    let sub = SubCalls::new(config(&server, dir.path()).without_cache()).unwrap();
    let reply = sub
        .call(&CallRequest {
            json: true,
            ..CallRequest::new("Classify this.").text("buy now")
        })
        .unwrap();
    assert_eq!(reply.json, Some(json!({"label": "spam", "n": 3})));
    let r = &server.requests()[0];
    assert_eq!(r.last_user.as_deref(), Some("Classify this.\n\nbuy now"));
    assert_eq!(
        r.system.as_deref(),
        Some(format!("{DEFAULT_SYSTEM}{JSON_INSTRUCTION}").as_str())
    );
    assert_eq!(r.body["messages"][0]["role"], "system");
    assert_eq!(r.body["max_tokens"], 8192);

    let e = sub
        .call(&CallRequest {
            json: true,
            site: "s.rlq:9:2".into(),
            ..CallRequest::new("Prose please")
        })
        .unwrap_err();
    assert!(
        matches!(&e.kind, CallErrorKind::JsonReply { excerpt } if excerpt == "I think it is spam.")
    );
    assert!(
        e.to_string()
            .starts_with("s.rlq:9:2: the reply is not valid JSON"),
        "{e}"
    );

    let custom = sub
        .call(&CallRequest {
            system: Some("Be terse.".into()),
            ..CallRequest::new("Prose")
        })
        .unwrap();
    assert_eq!(custom.json, None);
    assert_eq!(server.requests()[2].system.as_deref(), Some("Be terse."));
}

#[test]
fn trace_has_one_subcall_event_per_call_with_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(label_rules(0)).unwrap();
    let sub = SubCalls::new(config(&server, dir.path())).unwrap();
    let first = sub
        .call(&CallRequest {
            parent: Some(7),
            ..labelled(1)
        })
        .unwrap();
    let again = sub.call(&labelled(1)).unwrap();
    assert!(again.cached && !first.cached);
    sub.trace()
        .unwrap()
        .event(json!({"event": "run_end", "answer": "L1"}));

    let all = trace_events(dir.path());
    let calls = events(&all, "subcall");
    assert_eq!(calls.len(), 2);
    let e = calls[0];
    for field in [
        "id",
        "parent",
        "depth",
        "model",
        "prompt_sha256",
        "prompt_chars",
        "reply",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "latency_ms",
        "cached",
        "retries",
        "error",
        "ts",
    ] {
        assert!(e.get(field).is_some(), "no {field} in {e}");
    }
    assert_eq!(e["id"], first.id);
    assert_eq!(e["parent"], 7);
    assert_eq!(e["reply"], "L1");
    assert_eq!(e["model"], MODEL);
    assert_eq!(e["cost_usd"], Value::Null);
    assert_eq!(e["prompt_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(calls[1]["cached"], true);
    assert_eq!(calls[1]["prompt_sha256"], e["prompt_sha256"]);
    assert_eq!(events(&all, "run_end").len(), 1);
}

/// Every failure a user can meet, as the one line they would read.
#[test]
fn errors_are_one_clear_line_and_never_show_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(label_rules(0)).unwrap();
    let port = server.addr.port().to_string();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let call = |c: LlmConfig, req: CallRequest| -> CallError {
        SubCalls::new(c).unwrap().call(&req).unwrap_err()
    };
    let base = || config(&server, dir.path()).without_cache();
    let mut errors = Vec::new();

    // Wrong key: the server echoes the key it got in its 401 message.
    let wrong = base().with_api_key(format!("{KEY}-wrong"));
    errors.push(call(wrong, labelled(0)));
    let mut unknown = base();
    unknown.sub_model = "no-such-model".into();
    errors.push(call(unknown, labelled(1)));
    let mut unreachable = base();
    unreachable.base_url = format!("http://127.0.0.1:{closed}/v1");
    unreachable.retries = 2;
    errors.push(call(unreachable, labelled(2)));
    let budget = base().with_budget(BudgetLimits {
        max_calls: Some(0),
        ..BudgetLimits::default()
    });
    errors.push(call(budget, labelled(3)));
    let tiny = base().with_model(
        MODEL,
        ModelInfo {
            context_window: Some(9_000),
            ..ModelInfo::default()
        },
    );
    errors.push(call(tiny, labelled(4).text("word ".repeat(5_000))));
    let slow_server = MockServer::start(label_rules(3_000)).unwrap();
    let mut slow = config(&slow_server, dir.path()).without_cache();
    slow.timeout = Duration::from_millis(200);
    slow.retries = 1;
    errors.push(call(slow, labelled(5)));

    let kinds: Vec<_> = errors.iter().map(|e| e.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "auth",
            "unknown_model",
            "connect",
            "budget",
            "prompt_too_large",
            "timeout"
        ]
    );
    assert_eq!(server.count(), 2, "401 and 404 are not retried");
    let lines: Vec<String> = errors
        .iter()
        .map(|e| {
            let line = e.to_string();
            assert!(!line.contains('\n'), "{line}");
            assert!(line.starts_with("script.rlq:"), "no call site: {line}");
            assert!(
                !line.contains(KEY) && !format!("{e:?}").contains(KEY),
                "key in: {line}"
            );
            line.replace(&format!("127.0.0.1:{port}"), "127.0.0.1:PORT")
                .replace(&format!("127.0.0.1:{closed}"), "127.0.0.1:CLOSED")
                .replace(&slow_server.addr.to_string(), "127.0.0.1:SLOW")
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));

    let trace = std::fs::read_to_string(dir.path().join("trace.jsonl")).unwrap();
    assert!(trace.contains("refused the API key"));
    assert!(!trace.contains(KEY), "the key is in the trace");
    assert!(!format!("{:?}", base()).contains(KEY));
}

#[test]
fn nothing_panics_inside_an_async_runtime_or_with_odd_input() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(label_rules(0).rule(Rule::text("any", "ok"))).unwrap();
    let sub = Arc::new(SubCalls::new(config(&server, dir.path()).without_cache()).unwrap());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = Arc::clone(&sub);
    let reply = rt.block_on(async move { s.call(&CallRequest::new("\u{0}\u{202e} é")) });
    assert_eq!(reply.unwrap().text, "ok");
    let empty = sub.call(&CallRequest::new("")).unwrap();
    assert_eq!(empty.text, "ok");
    let with_model = sub.call(&CallRequest {
        model: Some(String::new()),
        ..CallRequest::new("x")
    });
    assert!(with_model.is_ok());
    // Dropping the backend inside a runtime must not panic either.
    let owned = SubCalls::new(config(&server, dir.path()).without_cache()).unwrap();
    rt.block_on(async move { drop(owned) });
}

#[test]
fn the_demo_rules_file_parses_and_serves() {
    let rules = MockRules::from_json(include_str!("../../examples/mock/label-rules.json")).unwrap();
    let server = MockServer::start(MockRules {
        faults: Faults::default(),
        ..rules
    })
    .unwrap();
    let c = LlmConfig::new(Provider::OpenAi, server.openai_url())
        .with_api_key("demo-key")
        .with_sub_model(MODEL)
        .without_cache();
    let sub = SubCalls::new(c).unwrap();
    assert_eq!(sub.call(&labelled(3)).unwrap().text, "L3");
    assert_eq!(
        sub.call(&CallRequest::new("nothing here")).unwrap().text,
        "not found"
    );
}

#[test]
fn scripted_queues_answer_in_order_then_say_they_are_empty() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .rule(Rule::queue("root", ["first", "second"]).for_model("mock-root"))
            .rule(Rule::text("sub", "sub reply")),
    )
    .unwrap();
    let sub = SubCalls::new(config(&server, dir.path()).without_cache()).unwrap();
    let root = |i: usize| CallRequest {
        model: Some("mock-root".into()),
        ..CallRequest::new(format!("turn {i}"))
    };
    assert_eq!(sub.call(&root(0)).unwrap().text, "first");
    assert_eq!(sub.call(&CallRequest::new("x")).unwrap().text, "sub reply");
    assert_eq!(sub.call(&root(1)).unwrap().text, "second");
    let e = sub.call(&root(2)).unwrap_err();
    assert_eq!(e.kind, CallErrorKind::Http { status: 400 });
    assert!(
        e.to_string()
            .contains("reply queue of rule \"root\" is exhausted"),
        "{e}"
    );
    assert_eq!(
        (
            server.count(),
            server.count_rule("root"),
            server.count_rule("sub")
        ),
        (4, 3, 1)
    );
    assert!(
        !format!("{sub:?}").contains(KEY),
        "the key is in SubCalls' Debug"
    );
}

#[test]
fn call_many_keeps_input_order_under_the_concurrency_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start(label_rules(50)).unwrap();
    let mut c = config(&server, dir.path()).without_cache();
    c.concurrency = 8;
    let sub = SubCalls::new(c).unwrap();
    let reqs: Vec<_> = (0..64).map(labelled).collect();
    let results = sub.call_many(&reqs);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.as_ref().unwrap().text, format!("L{i}"));
    }
    // The calls overlapped (each holds the server 50 ms), within the limit.
    assert!(server.max_in_flight() > 1 && server.max_in_flight() <= 8);
    assert!(sub.call_many(&[]).is_empty());
}

/// A server on 127.0.0.1 that answers every request with a 307 to
/// `location`; the requests it got.
fn redirecting_server(location: String) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let got = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&got);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    let mut body = vec![0; length];
                    let _ = reader.read_exact(&mut body);
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let reply = format!(
                        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n"
                    );
                    let _ = reader.get_mut().write_all(reply.as_bytes());
                    length = 0;
                }
            }
        }
    });
    (base, got)
}

#[test]
fn a_plain_http_endpoint_follows_http_redirects_and_refuses_https_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // The key is not sent on to another host (reqwest drops it), so the
    // server redirected to asks for none.
    let open =
        MockRules::new()
            .models([MODEL])
            .rule(Rule::template("label", r"Label: (\w+)", "$1"));
    let server = MockServer::start(open).unwrap();
    // A client without TLS roots still follows a redirect to http.
    let (base, got) = redirecting_server(format!("{}/chat/completions", server.openai_url()));
    let mut moved = config(&server, dir.path()).without_cache();
    moved.base_url = base;
    let reply = SubCalls::new(moved).unwrap().call(&labelled(7)).unwrap();
    assert_eq!(reply.text, "L7");
    assert_eq!(got.load(std::sync::atomic::Ordering::SeqCst), 1);
    // A redirect to https is refused on the first attempt, in one line that
    // names where to point the base URL, and never retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let to = format!(
        "https://{}/v1/chat/completions",
        closed.local_addr().unwrap()
    );
    let (base, got) = redirecting_server(to.clone());
    let mut secure = config(&server, dir.path()).without_cache();
    secure.base_url = base;
    secure.retries = 3;
    let e = SubCalls::new(secure)
        .unwrap()
        .call(&labelled(8))
        .unwrap_err();
    assert_eq!(e.kind, CallErrorKind::Connect);
    assert_eq!(e.retries, 0);
    assert_eq!(got.load(std::sync::atomic::Ordering::SeqCst), 1);
    let message = e.to_string();
    assert!(message.contains(&format!("redirects to {to}")), "{message}");
    assert!(message.contains("set the base URL"), "{message}");
    assert!(
        !message.contains('\n') && !message.contains(KEY),
        "{message}"
    );
}
