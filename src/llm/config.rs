//! Configuration of the sub-call backend, and where it comes from.
//!
//! Sources, weakest first:
//! 1. built-in defaults ([`LlmConfig::new`]);
//! 2. environment: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `ANTHROPIC_API_KEY`,
//!    `ANTHROPIC_BASE_URL`, `XDG_CACHE_HOME`;
//! 3. `rlmq.toml`: the one in the working directory, else
//!    `<user config dir>/rlmq/rlmq.toml` (on Linux `~/.config/rlmq/rlmq.toml`);
//!    its settings win over the environment's base URL, since a project file
//!    is the more deliberate choice. The key itself only ever comes from the
//!    environment (`api_key_env = "NAME"` picks the variable), so it never
//!    sits in a file that might be committed;
//! 4. command-line flags, which the CLI writes into the public fields
//!    afterwards.
//!
//! The provider is `--provider`, else the file's `provider`, else
//! OpenAI-compatible when an `OPENAI_*` variable is set (so OpenAI wins
//! when both keys are set), else Anthropic when `ANTHROPIC_API_KEY` is,
//! else OpenAI-compatible. A file looks like:
//!
//! ```toml
//! provider = "openai"            # or "anthropic"
//! base_url = "http://localhost:8000/v1"
//! api_key_env = "MY_GATEWAY_KEY"
//! root_model = "gpt-5"
//! sub_model = "gpt-5-mini"
//! max_tokens = 8192              # reply allowance of one sub-call
//! timeout_secs = 120
//! retries = 4
//! concurrency = 16
//! cache = true
//! trace = "rlmq-trace.jsonl"     # relative paths are relative to this file
//! compact_at = 0.75              # share of the root window that triggers history compaction
//!
//! [budget]
//! max_calls = 500
//! max_usd = 2.0
//! max_seconds = 900
//!
//! [models."qwen3-coder"]
//! input_per_million = 0.3
//! cached_input_per_million = 0.03
//! output_per_million = 1.2
//! context_window = 262144
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::budget::BudgetLimits;
use super::error::LlmError;
use super::models::{self, ModelInfo};

/// Which wire protocol the provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// `POST {base}/chat/completions` with a Bearer key: OpenAI, vLLM,
    /// OpenRouter, Ollama and other compatible servers.
    #[serde(alias = "openai-compatible")]
    #[value(name = "openai")]
    OpenAi,
    /// `POST {base}/v1/messages` with `x-api-key`: Anthropic.
    Anthropic,
}

impl Provider {
    /// The name used in messages, cache keys and the trace.
    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
        }
    }

    /// The environment variable the key is read from by default.
    pub fn key_var(self) -> &'static str {
        match self {
            Provider::OpenAi => "OPENAI_API_KEY",
            Provider::Anthropic => "ANTHROPIC_API_KEY",
        }
    }

    /// The environment variable that may override the base URL.
    pub fn base_url_var(self) -> &'static str {
        match self {
            Provider::OpenAi => "OPENAI_BASE_URL",
            Provider::Anthropic => "ANTHROPIC_BASE_URL",
        }
    }

    /// The public endpoint used when nothing else is configured.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Anthropic => "https://api.anthropic.com",
        }
    }

    /// Default `(root, sub)` models.
    pub fn default_models(self) -> (&'static str, &'static str) {
        match self {
            Provider::OpenAi => ("gpt-5", "gpt-5-mini"),
            Provider::Anthropic => ("claude-sonnet-4-5", "claude-haiku-4-5"),
        }
    }
}

/// An API key. It has no `Display`, its `Debug` prints `<redacted>`, and it
/// is never serialized; only the HTTP layer reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The key itself, for the request header and for redaction.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Everything the sub-call backend needs; see the module doc for sources.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// Wire protocol.
    pub provider: Provider,
    /// Base URL, without a trailing `/` (OpenAI-style bases include `/v1`).
    pub base_url: String,
    /// The key; `None` sends no auth header (local servers).
    pub api_key: Option<ApiKey>,
    /// Where the key came from, for messages ("check OPENAI_API_KEY").
    pub api_key_var: String,
    /// The model that writes rlq programs.
    pub root_model: String,
    /// The model `llm()` calls go to unless a call names another.
    pub sub_model: String,
    /// Per-model facts from the config, over the built-in table.
    pub models: BTreeMap<String, ModelInfo>,
    /// Reply allowance of a sub-call in tokens (`max_tokens` sent), unless a
    /// call asks for another; clamped to the model's longest reply.
    pub sub_max_tokens: u32,
    /// Characters per token assumed when turning a window in tokens into
    /// characters for `budget().sub_input_chars` (3.0: English prose runs
    /// about 4, code and other scripts less).
    pub chars_per_token: f64,
    /// Limit for one HTTP attempt, from connect to the last byte.
    pub timeout: Duration,
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
    /// Retries after the first attempt (429, 5xx, timeouts, connection
    /// errors, unreadable replies).
    pub retries: u32,
    /// First backoff delay; doubles per retry, with jitter.
    pub backoff_base: Duration,
    /// Longest wait between attempts (also caps `Retry-After`).
    pub backoff_max: Duration,
    /// HTTP requests in flight at once, across the whole call tree.
    pub concurrency: usize,
    /// Whether replies are read from and written to the disk cache.
    pub cache: bool,
    /// Cache directory (`$XDG_CACHE_HOME/rlmq` or `~/.cache/rlmq`).
    pub cache_dir: PathBuf,
    /// Hard limits shared by the whole call tree.
    pub budget: BudgetLimits,
    /// JSON-lines trace file, appended to; `None` for no trace.
    pub trace: Option<PathBuf>,
    /// Share of the root model's input limit at which a session's older
    /// turns are summarised into a note (history compaction).
    pub compact_at: f64,
    /// The `rlmq.toml` read, if any.
    pub config_file: Option<PathBuf>,
    /// Where the provider was decided: `--provider`, the file, or the
    /// environment (for `rlmq config`).
    pub provider_from: &'static str,
}

impl LlmConfig {
    /// Defaults for `provider` at `base_url`: no key, the default models,
    /// the cache on in the user's cache dir, no trace, no budget limits.
    pub fn new(provider: Provider, base_url: impl Into<String>) -> LlmConfig {
        let (root, sub) = provider.default_models();
        LlmConfig {
            provider,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key: None,
            api_key_var: provider.key_var().to_string(),
            root_model: root.to_string(),
            sub_model: sub.to_string(),
            models: BTreeMap::new(),
            sub_max_tokens: 8192,
            chars_per_token: 3.0,
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            retries: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            concurrency: 16,
            cache: true,
            cache_dir: default_cache_dir(&|name: &str| {
                std::env::var(name).ok().filter(|v| !v.is_empty())
            }),
            budget: BudgetLimits::default(),
            trace: None,
            compact_at: 0.75,
            config_file: None,
            provider_from: "default",
        }
    }

    /// Reads the process environment and `config_file`, or the `rlmq.toml`
    /// found in the working directory or the user config dir when `None`.
    pub fn from_env_and_file(config_file: Option<&Path>) -> Result<LlmConfig, LlmError> {
        LlmConfig::from_env_file_provider(config_file, None)
    }

    /// Like [`LlmConfig::from_env_and_file`], with the provider forced
    /// when `provider` is given (`--provider`).
    pub fn from_env_file_provider(
        config_file: Option<&Path>,
        provider: Option<Provider>,
    ) -> Result<LlmConfig, LlmError> {
        let file = match config_file {
            Some(path) => Some(path.to_path_buf()),
            None => find_config_file(),
        };
        LlmConfig::from_sources_as(|name| std::env::var(name).ok(), file.as_deref(), provider)
    }

    /// Like [`LlmConfig::from_env_and_file`] with an explicit environment
    /// lookup and file (which must exist when given).
    pub fn from_sources(
        env: impl Fn(&str) -> Option<String>,
        file: Option<&Path>,
    ) -> Result<LlmConfig, LlmError> {
        LlmConfig::from_sources_as(env, file, None)
    }

    /// Like [`LlmConfig::from_sources`], with the provider forced when
    /// `forced` is given.
    pub fn from_sources_as(
        env: impl Fn(&str) -> Option<String>,
        file: Option<&Path>,
        forced: Option<Provider>,
    ) -> Result<LlmConfig, LlmError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let (fc, file_dir) = match file {
            Some(path) => (read_file(path)?, path.parent().map(Path::to_path_buf)),
            None => (FileConfig::default(), None),
        };
        let resolve = |p: PathBuf| match &file_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p,
        };

        let (provider, provider_from) = match (forced, fc.provider) {
            (Some(p), _) => (p, "--provider"),
            (None, Some(p)) => (p, "rlmq.toml"),
            (None, None) => {
                if env("OPENAI_API_KEY").is_some() || env("OPENAI_BASE_URL").is_some() {
                    (Provider::OpenAi, "environment (OPENAI_*)")
                } else if env("ANTHROPIC_API_KEY").is_some() {
                    (Provider::Anthropic, "environment (ANTHROPIC_API_KEY)")
                } else {
                    (Provider::OpenAi, "default")
                }
            }
        };
        let base_url = fc
            .base_url
            .clone()
            .or_else(|| env(provider.base_url_var()))
            .unwrap_or_else(|| provider.default_base_url().to_string());
        let mut c = LlmConfig::new(provider, base_url);
        c.provider_from = provider_from;
        c.config_file = file.map(Path::to_path_buf);
        c.api_key_var = fc
            .api_key_env
            .clone()
            .unwrap_or_else(|| provider.key_var().to_string());
        c.api_key = env(&c.api_key_var).map(|k| ApiKey::new(k.trim()));
        c.cache_dir = default_cache_dir(&env);

        if let Some(v) = fc.root_model {
            c.root_model = v;
        }
        if let Some(v) = fc.sub_model {
            c.sub_model = v;
        }
        if let Some(v) = fc.max_tokens {
            c.sub_max_tokens = v;
        }
        if let Some(v) = fc.chars_per_token {
            c.chars_per_token = v;
        }
        if let Some(v) = fc.timeout_secs {
            c.timeout = secs(v, "timeout_secs")?;
        }
        if let Some(v) = fc.connect_timeout_secs {
            c.connect_timeout = secs(v, "connect_timeout_secs")?;
        }
        if let Some(v) = fc.retries {
            c.retries = v;
        }
        if let Some(v) = fc.concurrency {
            c.concurrency = v;
        }
        if let Some(v) = fc.cache {
            c.cache = v;
        }
        if let Some(v) = fc.cache_dir {
            c.cache_dir = resolve(v);
        }
        c.trace = fc.trace.map(resolve);
        if let Some(v) = fc.compact_at {
            c.compact_at = v;
        }
        if let Some(b) = fc.budget {
            c.budget = b;
        }
        c.models = fc.models;
        c.validate()?;
        Ok(c)
    }

    /// Sets the key (builder style).
    pub fn with_api_key(mut self, key: impl Into<String>) -> LlmConfig {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// Sets the sub-model (builder style).
    pub fn with_sub_model(mut self, model: impl Into<String>) -> LlmConfig {
        self.sub_model = model.into();
        self
    }

    /// Adds or overrides facts about a model (builder style).
    pub fn with_model(mut self, name: impl Into<String>, info: ModelInfo) -> LlmConfig {
        self.models.insert(name.into(), info);
        self
    }

    /// Turns the cache on in `dir` (builder style).
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> LlmConfig {
        self.cache = true;
        self.cache_dir = dir.into();
        self
    }

    /// Turns the cache off (`--no-cache`; builder style).
    pub fn without_cache(mut self) -> LlmConfig {
        self.cache = false;
        self
    }

    /// Sets the trace file (builder style).
    pub fn with_trace(mut self, path: impl Into<PathBuf>) -> LlmConfig {
        self.trace = Some(path.into());
        self
    }

    /// Sets the budget limits (builder style).
    pub fn with_budget(mut self, budget: BudgetLimits) -> LlmConfig {
        self.budget = budget;
        self
    }

    /// Facts about `model`: the config's entry over the built-in table.
    pub fn model_info(&self, model: &str) -> ModelInfo {
        let builtin = models::builtin(model);
        match self.models.get(model) {
            Some(info) => info.or(builtin),
            None => builtin,
        }
    }

    /// Reply allowance for a call to `model` that asked for `requested`
    /// tokens (or the default), clamped to the model's longest reply.
    pub fn reply_allowance(&self, model: &str, requested: Option<u32>) -> u64 {
        let want = u64::from(requested.unwrap_or(self.sub_max_tokens)).max(1);
        match self.model_info(model).max_output {
            Some(max) => want.min(max.max(1)),
            None => want,
        }
    }

    /// Checks values no run could work with.
    pub fn validate(&self) -> Result<(), LlmError> {
        let bad = |what: String| Err(LlmError::Config(what));
        if self.concurrency == 0 {
            return bad("concurrency must be at least 1".into());
        }
        if self.timeout.is_zero() {
            return bad("timeout_secs must be more than 0".into());
        }
        if !(self.compact_at.is_finite() && self.compact_at > 0.0 && self.compact_at <= 1.0) {
            return bad(
                "compact_at must be a share of the window, more than 0 and at most 1".into(),
            );
        }
        if !(self.chars_per_token.is_finite() && self.chars_per_token > 0.0) {
            return bad("chars_per_token must be a positive number".into());
        }
        match reqwest::Url::parse(&self.base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
            _ => {
                return bad(format!(
                    "base URL {:?} is not an http(s) URL (set base_url in rlmq.toml or {})",
                    self.base_url,
                    self.provider.base_url_var()
                ))
            }
        }
        self.budget.validate().map_err(LlmError::Config)
    }
}

/// `rlmq.toml` in the working directory, else in the user config dir.
fn find_config_file() -> Option<PathBuf> {
    let here = PathBuf::from("rlmq.toml");
    if here.is_file() {
        return Some(here);
    }
    let user = dirs::config_dir()?.join("rlmq").join("rlmq.toml");
    user.is_file().then_some(user)
}

/// `$XDG_CACHE_HOME/rlmq` (when absolute, as the spec requires), else
/// `~/.cache/rlmq`, else `./.rlmq-cache` when there is no home.
fn default_cache_dir(env: &impl Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(xdg) = env("XDG_CACHE_HOME").map(PathBuf::from) {
        if xdg.is_absolute() {
            return xdg.join("rlmq");
        }
    }
    match env("HOME").map(PathBuf::from).or_else(dirs::home_dir) {
        Some(home) => home.join(".cache").join("rlmq"),
        None => PathBuf::from(".rlmq-cache"),
    }
}

fn secs(v: f64, name: &str) -> Result<Duration, LlmError> {
    Duration::try_from_secs_f64(v)
        .map_err(|_| LlmError::Config(format!("{name} must be a non-negative number of seconds")))
}

/// The file's shape; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    provider: Option<Provider>,
    base_url: Option<String>,
    api_key_env: Option<String>,
    root_model: Option<String>,
    sub_model: Option<String>,
    max_tokens: Option<u32>,
    chars_per_token: Option<f64>,
    timeout_secs: Option<f64>,
    connect_timeout_secs: Option<f64>,
    retries: Option<u32>,
    concurrency: Option<usize>,
    cache: Option<bool>,
    cache_dir: Option<PathBuf>,
    trace: Option<PathBuf>,
    compact_at: Option<f64>,
    budget: Option<BudgetLimits>,
    #[serde(default)]
    models: BTreeMap<String, ModelInfo>,
}

fn read_file(path: &Path) -> Result<FileConfig, LlmError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LlmError::Config(format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().trim().to_string();
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!(":{line}")
            })
            .unwrap_or_default();
        LlmError::Config(format!("{}{at}: {msg}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_picks_provider_key_and_cache_dir() {
        let c = LlmConfig::from_sources(
            env(&[("ANTHROPIC_API_KEY", "ak"), ("XDG_CACHE_HOME", "/x")]),
            None,
        )
        .unwrap();
        assert_eq!(c.provider, Provider::Anthropic);
        assert_eq!(c.base_url, "https://api.anthropic.com");
        assert_eq!(c.api_key, Some(ApiKey::new("ak")));
        assert_eq!(c.cache_dir, PathBuf::from("/x/rlmq"));
        assert_eq!(c.sub_model, "claude-haiku-4-5");

        let c = LlmConfig::from_sources(
            env(&[
                ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/"),
                ("HOME", "/h"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(c.provider, Provider::OpenAi);
        assert_eq!(c.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(c.api_key, None);
        assert_eq!(c.cache_dir, PathBuf::from("/h/.cache/rlmq"));
    }

    #[test]
    fn file_overrides_and_resolves_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rlmq.toml");
        std::fs::write(
            &path,
            r#"
provider = "openai"
base_url = "http://127.0.0.1:1234/v1"
api_key_env = "GATEWAY_KEY"
sub_model = "local"
trace = "t.jsonl"
concurrency = 4
[budget]
max_calls = 10
[models.local]
context_window = 1000
input_per_million = 1.0
"#,
        )
        .unwrap();
        let c = LlmConfig::from_sources(
            env(&[
                ("GATEWAY_KEY", "gk"),
                ("OPENAI_BASE_URL", "http://127.0.0.1:1/v1"),
            ]),
            Some(&path),
        )
        .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:1234/v1");
        assert_eq!(c.api_key, Some(ApiKey::new("gk")));
        assert_eq!(c.trace, Some(dir.path().join("t.jsonl")));
        assert_eq!(c.budget.max_calls, Some(10));
        assert_eq!(c.budget.max_depth, 1);
        assert_eq!(c.model_info("local").window(), 1000);
        assert_eq!(c.model_info("local").output_per_million, None);
        assert_eq!(c.concurrency, 4);
    }

    #[test]
    fn bad_files_and_values_are_one_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rlmq.toml");
        std::fs::write(&path, "concurency = 4\n").unwrap();
        let e = LlmConfig::from_sources(env(&[]), Some(&path))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rlmq.toml:1") && e.contains("concurency"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        std::fs::write(&path, "concurrency = 0\n").unwrap();
        let e = LlmConfig::from_sources(env(&[]), Some(&path))
            .unwrap_err()
            .to_string();
        assert!(e.contains("concurrency must be at least 1"), "{e}");
        std::fs::write(&path, "base_url = \"localhost:80\"\n").unwrap();
        assert!(LlmConfig::from_sources(env(&[]), Some(&path)).is_err());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let c = LlmConfig::new(Provider::OpenAi, "http://127.0.0.1:1/v1")
            .with_api_key("sk-PLANTED-0123456789");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("PLANTED"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
    }

    #[test]
    fn reply_allowance_is_clamped_to_the_model() {
        let c = LlmConfig::new(Provider::OpenAi, "http://127.0.0.1:1/v1");
        assert_eq!(c.reply_allowance("gpt-4o", Some(100_000)), 16_384);
        assert_eq!(c.reply_allowance("gpt-4o", None), 8192);
        assert_eq!(c.reply_allowance("unknown", Some(50)), 50);
    }
}
