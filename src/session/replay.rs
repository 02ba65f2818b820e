//! A recorded session run again from its trace, with no network: every
//! model reply comes from the trace ([`Recording`]), the interpreter runs
//! the code again, and the answer must come out the same.
//!
//! The session's question, options and model settings are read from its
//! `session_start` event; the context is loaded again from the recorded
//! paths (or the ones given) and must have the same fingerprint. Each
//! top-level session in the file is replayed on its own backend (its own
//! budget, as when it ran). Besides the answer, each turn's code and
//! output are compared with the recorded ones, and the differences listed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use super::run::{fingerprint, run_session};
use super::{Answer, Options};
use crate::context::{Context, ContextInput, LoadOptions};
use crate::eval::Limits;
use crate::llm::{BudgetLimits, LlmConfig, ModelInfo, Provider, Recording, SubCalls};
use crate::trajectory::{self, Kind, Node};

/// One session replayed.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The question.
    pub question: String,
    /// The recorded answer and status (`None` when the recording was cut
    /// short before the session ended).
    pub recorded: Option<(String, String)>,
    /// What the replay came to.
    pub answer: Answer,
    /// Turns whose code or output differ from the recording, one line each.
    pub differences: Vec<String>,
}

impl Replayed {
    /// True when the replay gave the recorded answer with the recorded
    /// status.
    pub fn matches(&self) -> bool {
        self.recorded
            .as_ref()
            .is_some_and(|(a, s)| *a == self.answer.text && s == self.answer.status.name())
    }
}

/// What to replay with.
#[derive(Debug, Clone, Default)]
pub struct ReplaySettings {
    /// Load the context from these paths instead of the recorded ones.
    pub context: Vec<PathBuf>,
    /// Write the replay's own trace here.
    pub trace: Option<PathBuf>,
    /// Read the context into memory instead of mapping it.
    pub no_mmap: bool,
}

/// Replays every top-level session of a trace's text.
pub fn replay(trace_text: &str, settings: &ReplaySettings) -> Result<Vec<Replayed>, String> {
    let recorded = trajectory::read(trace_text);
    let sessions: Vec<&Node> = recorded
        .roots
        .iter()
        .filter(|n| n.kind == Kind::Session && n.get("question").is_some())
        .collect();
    if sessions.is_empty() {
        return Err(
            "the trace holds no session (no session_start event): it was not written by rlmq ask"
                .into(),
        );
    }
    let own_trace = match &settings.trace {
        Some(p) => p.clone(),
        None => std::env::temp_dir().join(format!(
            "rlmq-replay-{}-{}.jsonl",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        )),
    };
    let result = replay_all(trace_text, &sessions, settings, &own_trace);
    if settings.trace.is_none() {
        let _ = std::fs::remove_file(&own_trace);
    }
    result
}

fn replay_all(
    trace_text: &str,
    sessions: &[&Node],
    settings: &ReplaySettings,
    own_trace: &Path,
) -> Result<Vec<Replayed>, String> {
    let mut out = Vec::new();
    for (i, rec) in sessions.iter().enumerate() {
        let question = rec.str("question").unwrap_or_default().to_string();
        let context = load_context(rec, settings)?;
        let config = config_of(rec, own_trace);
        let calls = SubCalls::new(config)
            .map_err(|e| e.to_string())?
            .replaying(Recording::from_trace(trace_text));
        let calls = Arc::new(calls);
        let options = Arc::new(options_of(rec));
        // Only what this session appends is read back: re-reading the
        // whole growing trace for every session would be quadratic.
        let before = std::fs::metadata(own_trace).map_or(0, |m| m.len());
        let answer = run_session(&calls, Arc::new(context), &question, 0, None, &options);
        drop(calls);
        let replayed_text = std::fs::read(own_trace).unwrap_or_default();
        let appended = replayed_text
            .get(usize::try_from(before).unwrap_or(usize::MAX)..)
            .unwrap_or_default();
        let replayed = trajectory::read(&String::from_utf8_lossy(appended));
        let differences = replayed
            .roots
            .iter()
            .filter(|n| n.kind == Kind::Session)
            .find(|n| n.id == answer.session_id && n.run == last_run(&replayed))
            .map(|new| compare(rec, new))
            .unwrap_or_else(|| vec![format!("session {}: the replay wrote no trace", i + 1)]);
        let recorded = rec
            .str("status")
            .map(|s| (rec.str("answer").unwrap_or("").to_string(), s.to_string()));
        out.push(Replayed {
            question,
            recorded,
            answer,
            differences,
        });
    }
    Ok(out)
}

fn last_run(t: &trajectory::Trajectory) -> u32 {
    t.roots.iter().map(|n| n.run).max().unwrap_or(0)
}

fn load_context(rec: &Node, settings: &ReplaySettings) -> Result<Context, String> {
    let paths: Vec<PathBuf> = if settings.context.is_empty() {
        rec.get("context")
            .and_then(|c| c.get("paths"))
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        settings.context.clone()
    };
    let want = rec
        .get("context")
        .and_then(|c| c.get("fingerprint"))
        .and_then(Json::as_str)
        .unwrap_or("");
    let recorded_bytes = rec
        .get("context")
        .and_then(|c| c.get("bytes"))
        .and_then(Json::as_u64)
        .unwrap_or(0);
    let context = if paths.is_empty() {
        if recorded_bytes > 0 {
            return Err("the trace does not say where the context came from (the session was not started from the command line): pass --context".into());
        }
        Context::empty()
    } else {
        // `-` is standard input.
        let inputs: Vec<ContextInput> = paths.iter().cloned().map(ContextInput::Path).collect();
        Context::load(
            &inputs,
            &LoadOptions {
                mmap: !settings.no_mmap,
                ..LoadOptions::default()
            },
        )
        .map_err(|e| format!("cannot load the recorded context: {e}; pass --context"))?
    };
    if !want.is_empty() && fingerprint(&context) != want {
        return Err(format!(
            "the context ({}) is not the one recorded: its fingerprint differs; pass the recorded files with --context",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(context)
}

/// The model settings the session ran with; the network is never used.
fn config_of(rec: &Node, trace: &Path) -> LlmConfig {
    let mut c = LlmConfig::new(Provider::OpenAi, "http://127.0.0.1:9/v1").without_cache();
    c.trace = Some(trace.to_path_buf());
    let Some(cfg) = rec.get("config") else {
        return c;
    };
    let s = |k: &str| cfg.get(k).and_then(Json::as_str).map(str::to_string);
    if let Some(m) = s("root_model") {
        c.root_model = m;
    }
    if let Some(m) = s("sub_model") {
        c.sub_model = m;
    }
    if let Some(n) = cfg.get("sub_max_tokens").and_then(Json::as_u64) {
        c.sub_max_tokens = n.min(u32::MAX as u64) as u32;
    }
    if let Some(x) = cfg.get("chars_per_token").and_then(Json::as_f64) {
        c.chars_per_token = x;
    }
    if let Some(n) = cfg.get("concurrency").and_then(Json::as_u64) {
        c.concurrency = (n as usize).max(1);
    }
    if let Some(x) = cfg.get("compact_at").and_then(Json::as_f64) {
        c.compact_at = x;
    }
    if let Some(b) = cfg
        .get("budget")
        .and_then(|b| serde_json::from_value::<BudgetLimits>(b.clone()).ok())
    {
        c.budget = b;
    }
    if let Some(models) = cfg.get("models").and_then(Json::as_object) {
        for (name, info) in models {
            if let Ok(info) = serde_json::from_value::<ModelInfo>(info.clone()) {
                c.models.insert(name.clone(), info);
            }
        }
    }
    c
}

fn options_of(rec: &Node) -> Options {
    let mut o = Options {
        root_model: rec.str("root_model").map(str::to_string),
        context_paths: rec
            .get("context")
            .and_then(|c| c.get("paths"))
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        ..Options::default()
    };
    let Some(opt) = rec.get("options") else {
        return o;
    };
    let u = |k: &str| opt.get(k).and_then(Json::as_u64);
    if let Some(n) = u("max_iterations") {
        o.max_iterations = n.min(u32::MAX as u64) as u32;
    }
    if let Some(n) = u("max_errors") {
        o.max_errors = n.min(u32::MAX as u64) as u32;
    }
    if let Some(n) = u("max_output_chars") {
        o.max_output_chars = n as usize;
    }
    o.root_max_tokens = u("root_max_tokens").map(|n| n.min(u32::MAX as u64) as u32);
    o.examples = opt.get("examples").and_then(Json::as_bool).unwrap_or(false);
    if let Some(l) = opt.get("limits") {
        let d = Limits::default();
        o.limits = Limits {
            max_steps: l
                .get("max_steps")
                .and_then(Json::as_u64)
                .unwrap_or(d.max_steps),
            max_time: l
                .get("max_time")
                .and_then(Json::as_f64)
                .map_or(d.max_time, |s| {
                    std::time::Duration::from_secs_f64(s.clamp(0.0, 1e9))
                }),
            max_memory: l
                .get("max_memory")
                .and_then(Json::as_u64)
                .map_or(d.max_memory, |n| n as usize),
            max_output: l
                .get("max_output")
                .and_then(Json::as_u64)
                .unwrap_or(d.max_output),
        };
    }
    o
}

/// Differences between the recorded turns of a session and the replayed
/// ones: code, output, error.
fn compare(recorded: &Node, replayed: &Node) -> Vec<String> {
    let turns = |n: &Node| -> Vec<Node> { n.children_of(Kind::Turn).cloned().collect() };
    let (a, b) = (turns(recorded), turns(replayed));
    let mut out = Vec::new();
    if a.len() != b.len() {
        out.push(format!(
            "the recording has {} turns, the replay {}",
            a.len(),
            b.len()
        ));
    }
    for (x, y) in a.iter().zip(&b) {
        let t = x.u64("turn").unwrap_or(0);
        for field in ["code", "output", "error_line"] {
            let (p, q) = (x.str(field).unwrap_or(""), y.str(field).unwrap_or(""));
            if p != q {
                let at = p
                    .chars()
                    .zip(q.chars())
                    .position(|(c, d)| c != d)
                    .unwrap_or(p.chars().count().min(q.chars().count()));
                out.push(format!(
                    "turn {t}: the {} differs from character {at} (recorded {} characters, replayed {})",
                    field.replace('_', " "),
                    p.chars().count(),
                    q.chars().count()
                ));
            }
        }
        let subs = (x.subcall_count(), y.subcall_count());
        if subs.0 != subs.1 {
            out.push(format!(
                "turn {t}: {} sub-calls recorded, {} replayed",
                subs.0, subs.1
            ));
        }
    }
    out
}
