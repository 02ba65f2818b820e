//! The interpreter's access to models: the sub-call backend (started on
//! the first `llm()` call, so scripts that never call a model pay nothing
//! for it), the depth of this run in the call tree, the trace parent of its
//! calls, and the hook through which `rlm()` starts a sub-session.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::llm::{LlmConfig, SubCalls};

/// Runs a model-driven sub-session over a text: what `rlm()` calls.
pub trait SubSession: Send + Sync {
    /// Answers `question` about `text` at `depth` (the caller's depth + 1)
    /// on the caller's backend `calls` (one budget, cache and trace for the
    /// whole tree), with trace events nested under `parent`.
    fn run(
        &self,
        calls: &Arc<SubCalls>,
        question: &str,
        text: &str,
        depth: u32,
        parent: Option<u64>,
    ) -> Result<String, String>;
}

/// Models available to a run.
pub struct Models {
    config: LlmConfig,
    calls: OnceLock<Result<Arc<SubCalls>, String>>,
    /// Depth of the program in the call tree (the root program is 0).
    pub depth: u32,
    /// How `rlm()` starts a sub-session, when sessions are available.
    pub sub_session: Option<Arc<dyn SubSession>>,
    /// When set, calls are refused or abandoned (Ctrl-C in `rlmq repl`).
    pub interrupt: Option<Arc<AtomicBool>>,
    parent: AtomicU64,
}

impl Models {
    /// Models from a configuration; the backend starts on first use.
    pub fn new(config: LlmConfig) -> Models {
        Models {
            config,
            calls: OnceLock::new(),
            depth: 0,
            sub_session: None,
            interrupt: None,
            parent: AtomicU64::new(0),
        }
    }

    /// Models over a backend that is already running (sessions share one
    /// backend, and so one budget, across the whole call tree).
    pub fn shared(calls: Arc<SubCalls>, depth: u32) -> Models {
        let config = calls.config().clone();
        let cell = OnceLock::new();
        let _ = cell.set(Ok(calls));
        Models {
            config,
            calls: cell,
            depth,
            sub_session: None,
            interrupt: None,
            parent: AtomicU64::new(0),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// What the sub-calls spent so far (nothing when none was made yet).
    pub fn spent(&self) -> crate::llm::Usage {
        match self.calls.get() {
            Some(Ok(c)) => c.totals(),
            _ => crate::llm::Usage::default(),
        }
    }

    /// The backend, started on first use; an error says why it cannot start.
    pub fn calls(&self) -> Result<&Arc<SubCalls>, String> {
        self.calls
            .get_or_init(|| {
                if self.config.api_key.is_none() && is_hosted(&self.config.base_url) {
                    return Err(format!(
                        "no API key for {}: set {} (or OPENAI_BASE_URL for a local server that needs none)",
                        self.config.base_url, self.config.api_key_var
                    ));
                }
                SubCalls::new(self.config.clone())
                    .map(|c| match &self.interrupt {
                        Some(flag) => c.interruptible(Arc::clone(flag)),
                        None => c,
                    })
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The backend if it has started.
    pub fn started(&self) -> Option<&Arc<SubCalls>> {
        self.calls.get().and_then(|r| r.as_ref().ok())
    }

    /// The trace id that calls made now are nested under.
    pub fn parent(&self) -> Option<u64> {
        match self.parent.load(Ordering::Relaxed) {
            0 => None,
            id => Some(id),
        }
    }

    /// Sets the trace parent of the calls made from now on (a session turn).
    pub fn set_parent(&self, parent: Option<u64>) {
        self.parent.store(parent.unwrap_or(0), Ordering::Relaxed);
    }
}

/// Hosted providers need a key; a local server (any other URL) may not.
fn is_hosted(base_url: &str) -> bool {
    base_url.contains("api.openai.com") || base_url.contains("api.anthropic.com")
}
