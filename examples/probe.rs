//! One engine operation as a whole process, for timing against other tools
//! (`rg -c`, `wc -l`) on large files.
//!
//! ```text
//! cargo run --release --example probe -- gen FILE MB      # write the bench text
//! cargo run --release --example probe -- [--no-mmap] OP FILE [ARG]
//! ```
//!
//! OP is one of `lines`, `chars`, `head` (first ARG characters, default
//! 2000), `tail`, `count-lit ARG`, `count-re ARG`, `count-set A,B,..`,
//! `first-re ARG`, `split-re ARG`, `chunk ARG` (characters per piece). It
//! prints the result, the seconds the operation took inside the process, and
//! the private memory (RssAnon) of the process after it.

#[path = "../benches/common/mod.rs"]
mod common;

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use rlmq::context::{Context, ContextInput, LoadOptions};
use rlmq::search::{self, Matcher, PatternSpec};

fn rss_anon() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("RssAnon:"))
                .map(|l| l["RssAnon:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".to_string())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mmap = match args.iter().position(|a| a == "--no-mmap") {
        Some(i) => {
            args.remove(i);
            false
        }
        None => true,
    };
    let (Some(op), Some(file)) = (args.first(), args.get(1)) else {
        eprintln!("usage: probe [--no-mmap] OP FILE [ARG] | probe gen FILE MB");
        return ExitCode::from(2);
    };
    let arg = args.get(2).cloned().unwrap_or_default();
    if op == "gen" {
        let mb: u64 = arg.parse().unwrap_or(1000);
        let out = File::create(file)
            .and_then(|f| common::generate(&mut BufWriter::new(f), mb * 1_000_000, 20_251_120));
        return match out {
            Ok(n) => {
                println!("wrote {n} bytes to {file}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let t0 = Instant::now();
    let ctx = match Context::load(
        &[ContextInput::Path(PathBuf::from(file))],
        &LoadOptions {
            mmap,
            ..LoadOptions::default()
        },
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let load = t0.elapsed();
    let src = &ctx.source;
    let all = ctx.range();
    let hay = src.bytes();
    let m = |spec: PatternSpec| Matcher::new(&spec, false);
    let t = Instant::now();
    let result: Result<String, String> = match op.as_str() {
        "lines" => Ok(src.line_count(all).to_string()),
        "chars" => Ok(src.char_count(all).to_string()),
        "head" => {
            let n = arg.parse().unwrap_or(2000);
            Ok(format!("{} bytes", src.char_to_byte(all, n)))
        }
        "tail" => {
            let n = arg.parse().unwrap_or(2000);
            Ok(format!("from byte {}", src.char_to_byte_back(all, n)))
        }
        "count-lit" => m(PatternSpec::Literal(arg))
            .map(|m| search::count(hay, &m).to_string())
            .map_err(|e| e.to_string()),
        "count-re" => m(PatternSpec::Regex(arg))
            .map(|m| search::count(hay, &m).to_string())
            .map_err(|e| e.to_string()),
        "count-set" => m(PatternSpec::Set(arg.split(',').map(String::from).collect()))
            .map(|m| search::count(hay, &m).to_string())
            .map_err(|e| e.to_string()),
        "first-re" => m(PatternSpec::Regex(arg))
            .map(|m| format!("{:?}", search::find_first(hay, &m, true)))
            .map_err(|e| e.to_string()),
        "split-re" => m(PatternSpec::Regex(arg))
            .map(|m| format!("{} pieces", search::split_before(hay, &m, None).len()))
            .map_err(|e| e.to_string()),
        "chunk" => {
            let n = arg.parse().unwrap_or(100_000);
            Ok(format!(
                "{} pieces",
                search::chunk_by_chars(src, all, n).len()
            ))
        }
        other => Err(format!("unknown operation `{other}`")),
    };
    let op_time = t.elapsed();
    match result {
        Ok(r) => {
            println!(
                "{op}\t{r}\tload {:.4} s\top {:.4} s\tRssAnon {}\tindexes {} KiB",
                load.as_secs_f64(),
                op_time.as_secs_f64(),
                rss_anon(),
                src.index_heap_bytes() / 1024
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
