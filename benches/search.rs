//! Throughput of the engine under the language: counting, indexing, search
//! and partition over a deterministic English-like text held in memory.
//!
//! `cargo bench --bench search` (size: `RLMQ_BENCH_MB`, default 256). Each
//! case runs `RLMQ_BENCH_RUNS` times (default 5); the table gives the median
//! and GB/s over the whole text. "1 thread" cases run in a one-thread rayon
//! pool; the others use the global pool (all cores).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use rlmq::context::Source;
use rlmq::search::{self, Matcher, PatternSpec};

const SEED: u64 = 20_251_120;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Bench {
    runs: usize,
    bytes: usize,
    one: rayon::ThreadPool,
}

impl Bench {
    /// Times `f` (after an untimed `setup` per run) and prints one row.
    fn case<S: Send, R: std::fmt::Debug + Send>(
        &self,
        name: &str,
        one_thread: bool,
        mut setup: impl FnMut() -> S,
        mut f: impl FnMut(S) -> R + Send,
    ) {
        let mut times: Vec<Duration> = Vec::with_capacity(self.runs);
        let mut result = None;
        for _ in 0..self.runs {
            let s = setup();
            let t = Instant::now();
            let r = if one_thread {
                self.one.install(|| f(s))
            } else {
                f(s)
            };
            times.push(t.elapsed());
            result = Some(black_box(r));
        }
        times.sort();
        let median = times[times.len() / 2];
        let gbs = self.bytes as f64 / 1e9 / median.as_secs_f64();
        let threads = if one_thread { "1" } else { "all" };
        println!(
            "{name:<44} {threads:>3}  {:>9.2} ms  {gbs:>7.2} GB/s   {:?}",
            median.as_secs_f64() * 1e3,
            result.expect("at least one run"),
        );
    }
}

fn matcher(spec: PatternSpec, ignore_case: bool) -> Matcher {
    Matcher::new(&spec, ignore_case).expect("benchmark patterns compile")
}

fn lit(s: &str) -> PatternSpec {
    PatternSpec::Literal(s.to_string())
}

fn re(s: &str) -> PatternSpec {
    PatternSpec::Regex(s.to_string())
}

fn main() {
    let mb = env_usize("RLMQ_BENCH_MB", 256);
    let runs = env_usize("RLMQ_BENCH_RUNS", 5).max(1);
    let t = Instant::now();
    let text = common::generate_vec(mb as u64 * 1_000_000, SEED);
    let hay = &text[..];
    println!(
        "text: {} bytes, generated in {:.1} s; {} rayon threads; median of {runs} runs",
        hay.len(),
        t.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    let b = Bench {
        runs,
        bytes: hay.len(),
        one: rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a one-thread pool"),
    };
    let none = || ();

    // Counting and indexes.
    b.case("newline count (memchr count)", true, none, |_| {
        memchr::memchr_iter(b'\n', hay).count()
    });
    let fresh = || Source::from_vec(text.clone());
    b.case("line index build (line_count)", false, fresh, |s| {
        s.line_count(0..s.len())
    });
    b.case("char index build (char_count)", false, fresh, |s| {
        s.char_count(0..s.len())
    });
    b.case("char index build (char_count)", true, fresh, |s| {
        s.char_count(0..s.len())
    });
    let indexed = Source::from_vec(text.clone());
    let (lines, chars) = (
        indexed.line_count(0..hay.len()),
        indexed.char_count(0..hay.len()),
    );
    b.case(
        "1000 x line_range + char_to_byte (indexed)",
        false,
        none,
        |_| {
            (0..1000usize)
                .map(|i| {
                    let l = indexed.line_range(0..hay.len(), i * (lines / 1000));
                    l.map_or(0, |l| l.start)
                        + indexed.char_to_byte(0..hay.len(), i * (chars / 1000))
                })
                .fold(0usize, usize::wrapping_add)
        },
    );
    drop(indexed);

    // Search.
    let cases: Vec<(&str, PatternSpec, bool)> = vec![
        ("literal, rare (7 hits)", lit("magic numbers for"), false),
        ("literal, common", lit("label: spam"), false),
        ("literal, very common", lit("the "), false),
        (
            "literal set, 10 words (Teddy)",
            PatternSpec::Set(
                [
                    "harbor", "village", "engineer", "teacher", "doctor", "farmer", "captain",
                    "merchant", "traveler", "mountain",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ),
            false,
        ),
        ("literal, ignore case", lit("MAGIC NUMBERS FOR"), true),
        (
            "literal set, ignore case",
            PatternSpec::Set(vec!["HARBOR".into(), "Village".into(), "doctor".into()]),
            true,
        ),
        (
            "regex with literal: user_id: (\\d+)",
            re(r"user_id: (\d+)"),
            false,
        ),
        (
            "regex, inner literal: \\w+ harbor",
            re(r"\w+ harbor"),
            false,
        ),
        (
            "regex, weak literal: e-mail",
            re(r"\b\w+@\w+\.com\b"),
            false,
        ),
        (
            "regex, no literal: [A-Z][a-z]+ [A-Z][a-z]+",
            re(r"[A-Z][a-z]+ [A-Z][a-z]+"),
            false,
        ),
        ("regex, crosses lines: \\n\\n## ", re(r"\n\n## "), false),
        ("regex, unbounded: \\s{2,}", re(r"\s{2,}"), false),
    ];
    for (name, spec, ic) in &cases {
        let m = matcher(spec.clone(), *ic);
        b.case(&format!("count {name}"), false, none, |_| {
            search::count(hay, &m)
        });
    }
    for name in [
        "regex, no literal: [A-Z][a-z]+ [A-Z][a-z]+",
        "literal, common",
    ] {
        let Some((_, spec, ic)) = cases.iter().find(|c| c.0 == name) else {
            continue;
        };
        let m = matcher(spec.clone(), *ic);
        b.case(&format!("count {name}"), true, none, |_| {
            search::count(hay, &m)
        });
    }
    let user = matcher(re(r"user_id: (\d+)"), false);
    b.case("find_all with groups: user_id: (\\d+)", false, none, |_| {
        search::find_all(hay, &user, true, None).len()
    });
    b.case("find_all max=10: user_id: (\\d+)", false, none, |_| {
        search::find_all(hay, &user, true, Some(10)).len()
    });

    // Partition.
    let section = matcher(re(r"^## Section"), false);
    b.case("split_before ^## Section", false, none, |_| {
        search::split_before(hay, &section, None).len()
    });
    b.case("chunk_by_chars 100k (no index)", false, fresh, |s| {
        search::chunk_by_chars(&s, 0..s.len(), 100_000).len()
    });
    b.case("chunk_n 64 (line index)", false, fresh, |s| {
        search::chunk_n(&s, 0..s.len(), 64).len()
    });
}
