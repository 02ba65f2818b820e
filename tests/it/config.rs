//! `rlmq config` and the configuration's sources: which provider wins,
//! `--provider`, the key never printed, and a README that documents every
//! key `rlmq.toml` accepts with examples that load.

use std::path::Path;
use std::process::Command;

use rlmq::llm::LlmConfig;

use super::common::root;

const OPENAI_KEY: &str = "sk-config-PLANTED-openai-91c2";
const ANTHROPIC_KEY: &str = "sk-ant-config-PLANTED-77ab";

/// `rlmq config <args>` in `dir` with both keys set and no other provider
/// variables; its exit code and standard output.
fn config_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_rlmq"))
        .current_dir(dir)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("OPENAI_API_KEY", OPENAI_KEY)
        .env("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        .env("XDG_CONFIG_HOME", dir)
        .env("HOME", dir)
        .arg("config")
        .args(args)
        .output()
        .expect("run rlmq config");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stdout.contains("PLANTED") && !stderr.contains("PLANTED"),
        "a key leaked: {stdout}{stderr}"
    );
    (o.status.code().unwrap_or(-1), stdout)
}

/// The value printed after `key` (first column) in `rlmq config`'s output.
fn value<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .filter(|rest| rest.starts_with(' '))
                .map(str::trim)
        })
        .unwrap_or_else(|| panic!("no `{key}` in:\n{out}"))
}

/// The model table's row of `model` has each of `cells`.
fn row_has(out: &str, model: &str, cells: &[&str]) {
    let row = out
        .lines()
        .find(|l| l.starts_with(&format!("{model} ")))
        .unwrap_or_else(|| panic!("no row for {model} in:\n{out}"));
    for cell in cells {
        assert!(
            row.split("  ").any(|c| c.trim() == *cell),
            "{cell} in {row}"
        );
    }
}

#[test]
fn openai_wins_when_both_keys_are_set_and_provider_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = config_in(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        value(&out, "provider"),
        "openai (from environment (OPENAI_*))"
    );
    assert_eq!(
        value(&out, "api key"),
        "set, from OPENAI_API_KEY (not shown)"
    );
    assert_eq!(value(&out, "root_model"), "gpt-5");
    // The model table: windows and prices of the built-in entries.
    row_has(
        &out,
        "gpt-5-mini",
        &[
            "sub",
            "400,000",
            "272,000",
            "0.25",
            "0.025",
            "2",
            "built-in table",
        ],
    );

    let (code, out) = config_in(dir.path(), &["--provider", "anthropic"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(value(&out, "provider"), "anthropic (from --provider)");
    assert_eq!(value(&out, "base_url"), "https://api.anthropic.com");
    assert_eq!(
        value(&out, "api key"),
        "set, from ANTHROPIC_API_KEY (not shown)"
    );
    assert_eq!(value(&out, "sub_model"), "claude-haiku-4-5");

    let (code, _) = config_in(dir.path(), &["--provider", "gemini"]);
    assert_eq!(code, 2);
}

#[test]
fn config_shows_the_file_flags_and_models_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rlmq.toml"),
        r#"provider = "openai"
base_url = "http://gateway:pw-PLANTED@127.0.0.1:8000/v1"
api_key_env = "GATEWAY_KEY"
sub_model = "qwen3-coder"
compact_at = 0.5
[budget]
max_usd = 2.5
[models."qwen3-coder"]
context_window = 262144
input_per_million = 0.3
cached_input_per_million = 0.03
output_per_million = 1.2
"#,
    )
    .unwrap();
    let (code, out) = config_in(dir.path(), &["--model", "gpt-4o", "--max-llm-calls", "9"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(value(&out, "config file"), "rlmq.toml");
    assert_eq!(value(&out, "provider"), "openai (from rlmq.toml)");
    assert_eq!(
        value(&out, "base_url"),
        "http://gateway:****@127.0.0.1:8000/v1"
    );
    assert_eq!(
        value(&out, "api key"),
        "not set (GATEWAY_KEY is empty or unset)"
    );
    assert_eq!(value(&out, "root_model"), "gpt-4o");
    assert_eq!(
        value(&out, "sub_model"),
        "gpt-4o",
        "--model is also the sub-model unless --sub-model is given"
    );
    assert!(value(&out, "compact_at").starts_with("0.5 "));
    assert_eq!(value(&out, "max_calls"), "9");
    assert_eq!(value(&out, "max_usd"), "$2.5");
    row_has(
        &out,
        "qwen3-coder",
        &["262,144", "0.3", "0.03", "1.2", "rlmq.toml"],
    );

    std::fs::write(dir.path().join("rlmq.toml"), "compact_at = 1.5\n").unwrap();
    let (code, _) = config_in(dir.path(), &[]);
    assert_eq!(code, 2, "a bad value is a usage error");
}

/// The keys a table of `rlmq.toml` accepts, read from the error that an
/// unknown key gets ("expected one of `a`, `b`, ...").
fn accepted_keys(prefix: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rlmq.toml");
    std::fs::write(&path, format!("{prefix}no_such_key = 1\n")).unwrap();
    let e = LlmConfig::from_sources(|_| None, Some(&path))
        .unwrap_err()
        .to_string();
    let list = e
        .split("expected one of")
        .nth(1)
        .unwrap_or_else(|| panic!("{e}"));
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_readme_documents_every_config_key_and_its_examples_load() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("### The configuration file")
        .expect("a README section on rlmq.toml");
    let section = &readme[start..];
    let section = &section[..section[4..].find("\n## ").map_or(section.len(), |e| e + 4)];
    let mut keys = accepted_keys("");
    keys.extend(accepted_keys("[budget]\n"));
    keys.extend(accepted_keys("[models.m]\n"));
    assert!(keys.len() > 20, "{keys:?}");
    for key in &keys {
        let documented = match key.as_str() {
            "budget" => section.contains("`[budget]`"),
            "models" => section.contains("`[models.\"NAME\"]`"),
            _ => section.contains(&format!("`{key}`")),
        };
        assert!(
            documented,
            "the README's rlmq.toml section does not document `{key}`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut examples = 0;
    for block in section.split("```toml\n").skip(1) {
        let body = &block[..block.find("```").expect("closed block")];
        let path = dir.path().join(format!("example{examples}.toml"));
        std::fs::write(&path, body).unwrap();
        LlmConfig::from_sources(|_| None, Some(&path))
            .unwrap_or_else(|e| panic!("README example does not load: {e}\n{body}"));
        examples += 1;
    }
    assert!(
        examples >= 3,
        "examples for OpenAI-compatible servers and Anthropic"
    );
    let (code, out, _) = super::common::run(&["config", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--provider"), "{out}");
}
