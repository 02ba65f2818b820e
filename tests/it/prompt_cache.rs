//! Prompt caching of root-model conversations, against the scripted server
//! imitating the providers' caches: OpenAI-compatible requests keep their
//! prefix byte for byte, so each turn reads the whole previous prompt;
//! Anthropic requests carry `cache_control` breakpoints, so each turn reads
//! what the previous one wrote. Cached tokens are priced at the cached
//! rate, and the saving is reported.

use std::path::Path;

use rlmq::llm::mock::{MockRules, MockServer, Rule};
use rlmq::llm::models::builtin;
use serde_json::Value;

use super::ask::{block, events, of, KEY};
use super::common::rlmq;

const TURNS: usize = 6;

/// A session of [`TURNS`] turns whose outputs make the history grow.
fn turns() -> Vec<String> {
    let mut t: Vec<String> = (1..TURNS)
        .map(|i| {
            block(
                &format!("Step {i}: look at the next part."),
                &format!("print(context[{}:{}])", (i - 1) * 1500, i * 1500),
            )
        })
        .collect();
    t.push(block("Done.", "final(\"done\")"));
    t
}

/// Runs the session with `root_model` over `provider`; the trace's events
/// and the summary line.
fn session(dir: &Path, provider: &str, root_model: &str) -> (Vec<Value>, String) {
    let server = MockServer::start(
        MockRules::new()
            .api_key(KEY)
            .prompt_cache()
            .rule(Rule::queue("root", turns()).for_model(root_model)),
    )
    .expect("mock server");
    let (base, key_var) = match provider {
        "anthropic" => (server.anthropic_url(), "ANTHROPIC_API_KEY"),
        _ => (server.openai_url(), "OPENAI_API_KEY"),
    };
    let config = dir.join("rlmq.toml");
    std::fs::write(
        &config,
        format!(
            "provider = \"{provider}\"\nbase_url = \"{base}\"\nroot_model = \"{root_model}\"\n"
        ),
    )
    .unwrap();
    let o = rlmq()
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env(key_var, KEY)
        .args([
            "ask",
            "Summarise the log.",
            "--context",
            "examples/sample.txt",
        ])
        .arg("--config")
        .arg(&config)
        .arg("--no-cache")
        .arg("--trace")
        .arg(dir.join("t.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "done\n");
    assert_eq!(server.count_rule("root"), TURNS as u64);
    (events(dir), stderr)
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// The session's cost, checked against the prices, and what it would have
/// cost without the cache; prints the saving.
fn check_cost(ev: &[Value], model: &str, stderr: &str) {
    let info = builtin(model);
    let mut uncached = 0.0;
    for r in of(ev, "root") {
        let (i, o) = (n(r, "input_tokens"), n(r, "output_tokens"));
        let (read, write) = (
            n(r, "prompt_cache_read_tokens"),
            n(r, "prompt_cache_write_tokens"),
        );
        let want = info.cost_cached(i, read, write, o).unwrap();
        let got = r["cost_usd"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        uncached += info.cost(i, o).unwrap();
    }
    let end = of(ev, "session_end")[0];
    let usage = &end["usage"];
    let cost = usage["cost_usd"].as_f64().unwrap();
    let saved = usage["prompt_cache_saved_usd"].as_f64().unwrap();
    assert!(
        (uncached - cost - saved).abs() < 1e-6,
        "{uncached} {cost} {saved}"
    );
    assert!(saved > 0.0 && cost < uncached);
    assert!(
        stderr.contains("from the prompt cache, saving $"),
        "{stderr}"
    );
    eprintln!(
        "{model}: {} of {} input tokens read from the prompt cache over {TURNS} turns; ${cost:.4} instead of ${uncached:.4} ({:.0}% saved)",
        n(usage, "prompt_cache_read_tokens"),
        n(usage, "input_tokens"),
        saved / uncached * 100.0
    );
}

#[test]
fn openai_compatible_turns_read_the_whole_previous_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, stderr) = session(dir.path(), "openai", "gpt-5");
    let roots = of(&ev, "root");
    assert_eq!(roots.len(), TURNS);
    assert_eq!(n(roots[0], "prompt_cache_read_tokens"), 0);
    for w in roots.windows(2) {
        // The previous prompt is a prefix of this one, byte for byte: all of
        // it is read from the cache, but for the last partial block.
        let before = n(w[0], "input_tokens");
        let read = n(w[1], "prompt_cache_read_tokens");
        assert!(
            read + 128 + 1 >= before && read <= before,
            "{read} of {before}"
        );
        assert!(n(w[1], "input_tokens") > before, "the history grows");
    }
    check_cost(&ev, "gpt-5", &stderr);
}

#[test]
fn anthropic_turns_read_what_the_previous_turn_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, stderr) = session(dir.path(), "anthropic", "claude-sonnet-4-5");
    let roots = of(&ev, "root");
    assert_eq!(roots.len(), TURNS);
    assert_eq!(n(roots[0], "prompt_cache_read_tokens"), 0);
    assert!(n(roots[0], "prompt_cache_write_tokens") > 1024);
    for w in roots.windows(2) {
        let written = n(w[0], "prompt_cache_read_tokens") + n(w[0], "prompt_cache_write_tokens");
        assert_eq!(n(w[1], "prompt_cache_read_tokens"), written);
        assert!(n(w[1], "prompt_cache_write_tokens") > 0);
    }
    check_cost(&ev, "claude-sonnet-4-5", &stderr);
}
