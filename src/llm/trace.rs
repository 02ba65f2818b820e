//! The audit trail: one JSON object per line, appended to a file and
//! flushed line by line, so a killed run keeps every event written so far.
//!
//! The backend writes `subcall` events (one per `llm()` call, answered or
//! not) and `retry` events (one per retry, before its wait); the interpreter
//! adds its own through [`Trace::event`] (run start with hashes of context
//! and script, run end with the answer and [`Usage`](super::Usage)). Every
//! event gets a `ts` field (Unix time in milliseconds) unless it has one.
//! A `subcall` event has the fields `id parent depth site model
//! prompt_sha256 prompt_chars reply input_tokens output_tokens cost_usd
//! latency_ms cached retries error`.
//!
//! Lines pass through a scrubber that replaces the API key should it ever
//! appear in them (say, echoed back inside a reply). A write failure does
//! not stop the run: the first one is kept for [`Trace::error`].

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::config::ApiKey;
use super::error::LlmError;
use super::lock;

/// An open trace file.
#[derive(Debug)]
pub struct Trace {
    path: PathBuf,
    out: Mutex<BufWriter<File>>,
    secret: Option<ApiKey>,
    error: Mutex<Option<String>>,
}

impl Trace {
    /// Opens `path` for appending (creating it and its directory).
    pub fn open(path: &Path) -> Result<Trace, LlmError> {
        let fail = |e: std::io::Error| {
            LlmError::Setup(format!(
                "cannot open the trace file {}: {e}",
                path.display()
            ))
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(fail)?;
        Ok(Trace {
            path: path.to_path_buf(),
            out: Mutex::new(BufWriter::new(file)),
            secret: None,
            error: Mutex::new(None),
        })
    }

    /// The same trace, scrubbing `key` from every line.
    pub(crate) fn scrubbing(mut self, key: Option<ApiKey>) -> Trace {
        self.secret = key.filter(|k| !k.expose().is_empty());
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event (normally an object with an `event` field) and
    /// flushes it.
    pub fn event(&self, mut event: Value) {
        if let Value::Object(map) = &mut event {
            if !map.contains_key("ts") {
                let ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0);
                map.insert("ts".into(), ms.into());
            }
        }
        let mut line = event.to_string();
        if let Some(k) = &self.secret {
            if line.contains(k.expose()) {
                line = line.replace(k.expose(), "<redacted>");
            }
        }
        line.push('\n');
        let mut out = lock(&self.out);
        if let Err(e) = out.write_all(line.as_bytes()).and_then(|_| out.flush()) {
            lock(&self.error).get_or_insert_with(|| e.to_string());
        }
    }

    /// The first write error, if any.
    pub fn error(&self) -> Option<String> {
        lock(&self.error).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn appends_lines_with_ts_and_scrubs_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/trace.jsonl");
        let t = Trace::open(&path)
            .unwrap()
            .scrubbing(Some(ApiKey::new("sk-PLANTED-42")));
        t.event(json!({"event": "run_start", "script_sha256": "ab"}));
        t.event(json!({"event": "x", "reply": "echo sk-PLANTED-42", "ts": 5}));
        drop(t);
        let t = Trace::open(&path).unwrap();
        t.event(json!({"event": "run_end"}));
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0]["ts"].as_u64().unwrap() > 0);
        assert_eq!(lines[1]["ts"], 5);
        assert!(!text.contains("PLANTED"));
        assert_eq!(t.error(), None);
    }
}
