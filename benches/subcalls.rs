//! Sub-call fan-out: 256 calls from 256 threads (a `map`) against the mock
//! server at 200 ms per reply, concurrency 32. The ideal is 8 waves of
//! 200 ms = 1.6 s; the figure reported is the wall time over that ideal
//! (1.00 is perfect; the goal is at most 1.25).
//!
//! It also reports how fast a sub-call message is counted in tokens before
//! it is sent (prose, `o200k_base`), since that runs on every call.
//!
//! `cargo bench --bench subcalls` (add `-- --runs N` for more runs).

use std::time::{Duration, Instant};

use rlmq::llm::mock::{MockRules, MockServer, Rule};
use rlmq::llm::tokens;
use rlmq::llm::{CallRequest, LlmConfig, Provider, SubCalls};

const CALLS: usize = 256;
const CONCURRENCY: usize = 32;
const LATENCY_MS: u64 = 200;

fn token_count_speed() {
    let text = "The committee met on Tuesday to review the budget, and agreed to revisit item 4. "
        .repeat(50_000);
    tokens::count("gpt-4o", "warm up");
    let t = Instant::now();
    let n = tokens::count("gpt-4o", &text);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "subcalls/token_count_prose: {:.1} MB in {:.0} ms, {:.1} MB/s ({n} tokens)",
        text.len() as f64 / 1e6,
        secs * 1000.0,
        text.len() as f64 / 1e6 / secs
    );
}

fn main() {
    token_count_speed();
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(7usize);
    let server = MockServer::start(
        MockRules::new()
            .api_key("bench-key")
            .latency_ms(LATENCY_MS)
            .rule(Rule::template("label", r"Label: (\w+)", "$1")),
    )
    .expect("mock server");
    let mut config = LlmConfig::new(Provider::OpenAi, server.openai_url())
        .with_api_key("bench-key")
        .with_sub_model("mock-small")
        .without_cache();
    config.concurrency = CONCURRENCY;
    let sub = SubCalls::new(config).expect("backend");
    let reqs: Vec<CallRequest> = (0..CALLS)
        .map(|i| {
            CallRequest::new("What is the label? Reply with the label only.").text(format!(
                "Some filler text about item {i}.\nLabel: L{i}\nMore filler."
            ))
        })
        .collect();
    let ideal = Duration::from_millis(LATENCY_MS * (CALLS / CONCURRENCY) as u64);

    let mut ratios = Vec::new();
    for run in 0..runs {
        let t = Instant::now();
        let ok = std::thread::scope(|s| {
            let handles: Vec<_> = reqs.iter().map(|r| s.spawn(|| sub.call(r))).collect();
            handles
                .into_iter()
                .enumerate()
                .map(|(i, h)| match h.join() {
                    Ok(Ok(reply)) => reply.text == format!("L{i}"),
                    _ => false,
                })
                .filter(|ok| *ok)
                .count()
        });
        let elapsed = t.elapsed();
        let ratio = elapsed.as_secs_f64() / ideal.as_secs_f64();
        println!(
            "run {run}: {CALLS} calls in {:.0} ms, {ratio:.3}x ideal ({ok} correct)",
            elapsed.as_secs_f64() * 1000.0
        );
        assert_eq!(ok, CALLS, "some calls failed");
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!(
        "subcalls/fan_out_256x200ms_c32: median {median:.3}x ideal over {runs} runs (min {:.3}, max {:.3})",
        ratios[0],
        ratios[ratios.len() - 1]
    );
}
