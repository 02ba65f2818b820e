//! `rlmq run`: run a script over a context. Prints what the script prints,
//! then its final value and a newline; `--json` prints one JSON object
//! instead, with what the sub-calls spent. Exit codes: 0 success, 1 script
//! error, 2 usage or parse error.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::inputs::{ContextArgs, LimitArgs, ModelArgs, ScriptArgs};
use crate::context::LoadOptions;
use crate::diag::render_all;
use crate::engine::Engine;
use crate::eval::render::{display, to_json};
use crate::eval::Globals;
use crate::eval::{Limits, Value};

/// Arguments of `rlmq run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    script: ScriptArgs,
    #[command(flatten)]
    context: ContextArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    models: ModelArgs,
    /// Print one JSON object: final value, printed output, counts, timings,
    /// sub-call usage.
    #[arg(long)]
    json: bool,
    /// Bind a string variable: --var name=value (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Bind a variable to a file's text: --var-file name=path (repeatable).
    #[arg(long = "var-file", value_name = "NAME=PATH")]
    var_files: Vec<String>,
}

fn usage_error(msg: impl std::fmt::Display) -> u8 {
    eprintln!("error: {msg}");
    2
}

/// Runs `rlmq run`.
pub fn run(args: RunArgs) -> u8 {
    let started = Instant::now();
    let (name, text) = match args.script.read() {
        Ok(x) => x,
        Err(e) => return usage_error(e),
    };
    let context = match args.context.load(&args.limits.limits()) {
        Ok(c) => Arc::new(c),
        Err(e) => return usage_error(e),
    };
    let mut engine = match Engine::new(context.clone(), args.limits.limits()) {
        Ok(e) => e,
        Err(d) => {
            eprint!("{}", d.render(&crate::syntax::span::SourceMap::new()));
            return 1;
        }
    };
    if let Err(e) = bind_vars(
        &mut engine,
        &args.vars,
        &args.var_files,
        &args.limits.limits(),
    ) {
        return usage_error(e);
    }
    match args.models.config() {
        Ok(config) => engine.rt.models = Some(args.models.models(config, &args.limits.limits())),
        Err(e) => return usage_error(e),
    }
    trace_start(&engine, &name, &text, &context);
    let program = match engine.compile(&name, &text) {
        Ok(p) => p,
        Err(diags) => {
            eprint!("{}", render_all(&diags, &engine.sources()));
            eprintln!("= {}", crate::stopped::NOTHING_RAN);
            return 2;
        }
    };
    let stdout = std::io::stdout();
    let mut captured = Vec::new();
    // Line by line on a terminal; in large blocks into a pipe or a file.
    let mut lock: Box<dyn Write> = if std::io::IsTerminal::is_terminal(&stdout) {
        Box::new(stdout.lock())
    } else {
        Box::new(std::io::BufWriter::with_capacity(1 << 16, stdout.lock()))
    };
    let before = engine.spent();
    let result = if args.json {
        engine.run(&program, &mut captured)
    } else {
        engine.run(&program, &mut lock)
    };
    let code = match &result {
        Ok(_) => 0,
        Err(d) => d.exit_code(),
    };
    if let Some(calls) = engine.rt.models.as_ref().and_then(|m| m.started()) {
        if let Some(trace) = calls.trace() {
            let answer = match &result {
                Ok(v) => v.as_ref().map_or(serde_json::Value::Null, to_json),
                Err(_) => serde_json::Value::Null,
            };
            trace.event(json!({
                "event": "end",
                "script": name,
                "script_sha256": sha256_hex(text.as_bytes()),
                "answer": answer,
                "error": result.as_ref().err().map(|d| d.one_line(&engine.sources())),
                "totals": serde_json::to_value(calls.totals()).unwrap_or_default(),
                "elapsed_ms": started.elapsed().as_millis() as u64,
            }));
        }
    }
    if args.json {
        let (final_value, error) = match &result {
            Ok(v) => (
                v.as_ref().map_or(serde_json::Value::Null, to_json),
                serde_json::Value::Null,
            ),
            Err(d) => (
                serde_json::Value::Null,
                json!(d.one_line(&engine.sources())),
            ),
        };
        // What the sub-calls spent (zero when none was made).
        let usage = match engine.rt.models.as_ref().and_then(|m| m.started()) {
            Some(calls) => calls.totals(),
            None => crate::llm::Usage {
                cost_usd: Some(0.0),
                ..Default::default()
            },
        };
        let report = json!({
            "final": final_value,
            "output": String::from_utf8_lossy(&captured),
            "error": error,
            "steps": engine.rt.meter.steps(),
            "elapsed_ms": started.elapsed().as_secs_f64() * 1000.0,
            "context": {"documents": context.docs.len(), "bytes": context.source.len()},
            "usage": usage,
        });
        let _ = writeln!(lock, "{report}");
    } else if let Ok(Some(v)) = &result {
        if write_final(&mut lock, v).is_err() {
            return 0;
        }
    }
    let _ = lock.flush();
    if let Err(d) = &result {
        let sources = engine.sources();
        eprint!("{}", d.render(&sources));
        eprintln!(
            "= {}",
            crate::stopped::ran_until(d, &sources, &before, &engine.spent())
        );
    }
    // The program's variables are memory alone, and the process ends here:
    // the system takes it back at once, where freeing a million records
    // one by one took a few percent of a run. (The runtime, with its
    // sub-call client, cache and trace, still ends as usual.)
    std::mem::forget(std::mem::replace(&mut engine.globals, Globals::new()));
    code
}

fn write_final(out: &mut dyn Write, v: &Value) -> std::io::Result<()> {
    out.write_all(display(v).as_bytes())?;
    out.write_all(b"\n")
}

/// A `--var-file`'s bytes, within the memory and time limits.
fn read_var_file(path: &str, limits: &Limits) -> Result<Vec<u8>, String> {
    let opts = LoadOptions {
        max_bytes: limits.max_memory,
        deadline: Instant::now().checked_add(limits.max_time),
        ..LoadOptions::default()
    };
    let owned = path.to_string();
    super::inputs::within(limits.max_time, "--var-file", move || {
        let mut f = std::fs::File::open(&owned)
            .map_err(|e| format!("--var-file: cannot read `{owned}`: {e}"))?;
        let mut buf = Vec::new();
        crate::context::read_bounded(&mut f, &mut buf, &opts, &format!("--var-file `{owned}`"))
            .map_err(|e| e.to_string())?;
        Ok(buf)
    })
}

fn bind_vars(
    engine: &mut Engine,
    vars: &[String],
    files: &[String],
    limits: &Limits,
) -> Result<(), String> {
    let split = |s: &str, flag: &str| -> Result<(String, String), String> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("{flag} takes NAME=VALUE, got `{s}`"))?;
        let valid = !k.is_empty()
            && k.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !k.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(format!("{flag}: `{k}` is not a valid variable name"));
        }
        if k == "context" || k == "docs" {
            return Err(format!(
                "{flag}: `{k}` is bound by rlmq; choose another name"
            ));
        }
        Ok((k.to_string(), v.to_string()))
    };
    for s in vars {
        let (k, v) = split(s, "--var")?;
        engine.globals.set(Arc::from(k.as_str()), Value::str(v));
    }
    for s in files {
        let (k, path) = split(s, "--var-file")?;
        let text = read_var_file(&path, limits)?;
        engine.globals.set(
            Arc::from(k.as_str()),
            Value::str(String::from_utf8_lossy(&text).into_owned()),
        );
    }
    Ok(())
}

/// With `--trace`, the run's first event: what ran over what.
fn trace_start(engine: &Engine, name: &str, text: &str, context: &crate::context::Context) {
    let Some(models) = &engine.rt.models else {
        return;
    };
    if models.config().trace.is_none() {
        return;
    }
    let Some(trace) = models.calls().ok().and_then(|c| c.trace()) else {
        return;
    };
    trace.event(json!({
        "event": "start",
        "script": name,
        "script_sha256": sha256_hex(text.as_bytes()),
        "context_sha256": sha256_hex(context.source.bytes()),
        "context_bytes": context.source.len(),
        "documents": context.docs.len(),
    }));
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
