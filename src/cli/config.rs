//! `rlmq config`: prints the effective configuration (defaults, the
//! environment, `rlmq.toml`, then the flags given here), with where the
//! provider and the key came from, and a table of the root and sub-model
//! (and every model of the file): context window, input and reply limits,
//! prices. The key is never printed, only whether it is set; a password in
//! the base URL is masked.

use std::fmt::Write as _;
use std::io::Write;

use clap::Args;

use super::inputs::ModelArgs;
use crate::llm::{LlmConfig, ModelInfo};
use crate::trajectory::group;

/// Arguments of `rlmq config`.
#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(flatten)]
    models: ModelArgs,
}

/// Runs `rlmq config`.
pub fn run(args: ConfigArgs) -> u8 {
    match args.models.config() {
        Ok(config) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(render(&config).as_bytes());
            let _ = out.flush();
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// The configuration as text.
pub fn render(c: &LlmConfig) -> String {
    let mut s = String::new();
    let mut line = |key: &str, value: String| {
        let _ = writeln!(s, "{key:<21} {value}");
    };
    line(
        "config file",
        match &c.config_file {
            Some(p) => p.display().to_string(),
            None => "none (no ./rlmq.toml, none in the user config dir, no --config)".into(),
        },
    );
    line(
        "provider",
        format!("{} (from {})", c.provider.name(), c.provider_from),
    );
    line("base_url", masked_url(&c.base_url));
    line(
        "api key",
        match &c.api_key {
            Some(_) => format!("set, from {} (not shown)", c.api_key_var),
            None => format!("not set ({} is empty or unset)", c.api_key_var),
        },
    );
    line("root_model", c.root_model.clone());
    line("sub_model", c.sub_model.clone());
    line(
        "max_tokens",
        format!("{} (reply allowance of one sub-call)", c.sub_max_tokens),
    );
    line("chars_per_token", c.chars_per_token.to_string());
    line("timeout_secs", c.timeout.as_secs_f64().to_string());
    line(
        "connect_timeout_secs",
        c.connect_timeout.as_secs_f64().to_string(),
    );
    line("retries", c.retries.to_string());
    line("concurrency", c.concurrency.to_string());
    line(
        "cache",
        match c.cache {
            true => format!("on, in {}", c.cache_dir.display()),
            false => "off".into(),
        },
    );
    line(
        "trace",
        c.trace
            .as_ref()
            .map_or("none".into(), |p| p.display().to_string()),
    );
    line(
        "compact_at",
        format!(
            "{} (share of the root model's input limit that triggers history compaction)",
            c.compact_at
        ),
    );
    let b = &c.budget;
    let or_unlimited = |v: Option<String>| v.unwrap_or_else(|| "unlimited".into());
    s.push_str("\n[budget]\n");
    let mut line = |key: &str, value: String| {
        let _ = writeln!(s, "{key:<21} {value}");
    };
    line("max_calls", or_unlimited(b.max_calls.map(group)));
    line("max_tokens", or_unlimited(b.max_tokens.map(group)));
    line("max_usd", or_unlimited(b.max_usd.map(|u| format!("${u}"))));
    line(
        "max_seconds",
        or_unlimited(b.max_seconds.map(|x| format!("{x} s"))),
    );
    line("max_depth", b.max_depth.to_string());
    s.push_str("\n[models] (prices in USD per million tokens)\n");
    s.push_str(&models_table(c));
    s
}

/// One row per model: the root and sub-model first, then the file's others.
fn models_table(c: &LlmConfig) -> String {
    let mut names: Vec<(String, &str)> =
        vec![(c.root_model.clone(), "root"), (c.sub_model.clone(), "sub")];
    if c.root_model == c.sub_model {
        names = vec![(c.root_model.clone(), "root, sub")];
    }
    for name in c.models.keys() {
        if !names.iter().any(|(n, _)| n == name) {
            names.push((name.clone(), ""));
        }
    }
    let header = [
        "model",
        "role",
        "window",
        "max input",
        "max reply",
        "input",
        "cached input",
        "cache write",
        "output",
        "from",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    for (name, role) in names {
        let info = c.model_info(&name);
        let builtin = crate::llm::models::builtin(&name);
        let from = match (
            c.models.contains_key(&name),
            builtin != ModelInfo::default(),
        ) {
            (true, true) => "rlmq.toml over the built-in table",
            (true, false) => "rlmq.toml",
            (false, true) => "built-in table",
            (false, false) => "unknown model: window assumed, no price",
        };
        let tokens = |v: Option<u64>| v.map_or("—".to_string(), group);
        let price = |v: Option<f64>| v.map_or("—".to_string(), |p| format!("{p}"));
        rows.push(vec![
            name.clone(),
            role.to_string(),
            match info.context_window {
                Some(w) => group(w),
                None => format!("{} (assumed)", group(info.window())),
            },
            tokens(info.max_input),
            tokens(info.max_output),
            price(info.input_per_million),
            price(info.cached_input_per_million),
            price(info.cache_write_per_million),
            price(info.output_per_million),
            from.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(s, "{}", cells.join("  ").trim_end());
    }
    s
}

/// The URL with any password replaced by `****`.
fn masked_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string().trim_end_matches('/').to_string()
        }
        _ => url.to_string(),
    }
}
