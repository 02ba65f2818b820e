//! A `map` of sub-calls against the scripted server, with the progress bar
//! (shown when stderr is a terminal), a trace, and the totals at the end.
//!
//! `cargo run --example subcalls_demo`
use std::time::Instant;

use rlmq::llm::mock::{Fault, Faults, MockRules, MockServer, Rule};
use rlmq::llm::{CallRequest, LlmConfig, Provider, SubCalls};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start(
        MockRules::new()
            .api_key("demo-key")
            .latency_ms(150)
            .rule(Rule::template("label", r"Label: (\w+)", "$1"))
            .faults(
                Faults::rate(0.2, [Fault::RateLimit, Fault::ServerError])
                    .max_per_request(2)
                    .retry_after_secs(0),
            ),
    )?;
    let dir = std::env::temp_dir().join(format!("rlmq-demo-{}", std::process::id()));
    let mut config = LlmConfig::new(Provider::OpenAi, server.openai_url())
        .with_api_key("demo-key")
        .with_sub_model("mock-small")
        .without_cache()
        .with_trace(dir.join("trace.jsonl"));
    config.concurrency = 8;
    let sub = SubCalls::new(config)?;
    let items: Vec<CallRequest> = (0..64)
        .map(|i| CallRequest::new("Give the label.").text(format!("item {i}\nLabel: L{i}")))
        .collect();
    let t = Instant::now();
    let labels: Vec<String> = {
        let _bar = sub.progress_start(items.len() as u64);
        std::thread::scope(|s| {
            let hs: Vec<_> = items.iter().map(|r| s.spawn(|| sub.call(r))).collect();
            hs.into_iter()
                .map(|h| match h.join() {
                    Ok(Ok(reply)) => reply.text,
                    Ok(Err(e)) => format!("error: {e}"),
                    Err(_) => "error: thread panicked".to_string(),
                })
                .collect()
        })
    };
    println!(
        "{} labels in {:?}: {} ... {}",
        labels.len(),
        t.elapsed(),
        labels[0],
        labels[63]
    );
    println!("totals: {}", serde_json::to_string(&sub.totals())?);
    println!("trace: {}", dir.join("trace.jsonl").display());
    Ok(())
}
