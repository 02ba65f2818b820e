//! What the root model is told: the system prompt (`prompts/root.md`, the
//! additions for its model from `prompts/models/`, and optionally the
//! worked examples of `prompts/examples/`), the first message (the question
//! and the shape of the context), and the short messages that follow each
//! turn.
//!
//! The prompts are compiled into the binary, so `rlmq` needs no files at
//! run time. The system prompt does not change during a session (only
//! messages do), so providers that cache prompt prefixes can cache it.

use super::truncate::group;
use crate::context::Context;

/// The system prompt that teaches rlq (`prompts/root.md`).
pub const ROOT: &str = include_str!("../../prompts/root.md");

/// Where `prompts/root.md` lists the builtins.
pub const BUILTINS_MARK: &str = "{{builtins}}";

/// `prompts/root.md` with the table of every builtin and standard-library
/// function in place of [`BUILTINS_MARK`], generated from the registry so
/// that it cannot drift from the code.
pub fn root() -> String {
    let table = crate::builtins::prompt_table() + &crate::stdlib::prompt_line();
    ROOT.replace(BUILTINS_MARK, table.trim_end())
}

/// Additions for particular models: `(pattern, text)`. A file
/// `prompts/models/<pattern>.md` applies to every model whose name contains
/// `<pattern>`, ignoring case.
pub const MODEL_ADDITIONS: &[(&str, &str)] = &[
    ("claude", include_str!("../../prompts/models/claude.md")),
    ("qwen", include_str!("../../prompts/models/qwen.md")),
];

/// The worked examples: `(file stem, program)`.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("needle", include_str!("../../prompts/examples/needle.rlq")),
    (
        "running_notes",
        include_str!("../../prompts/examples/running_notes.rlq"),
    ),
    (
        "label_count",
        include_str!("../../prompts/examples/label_count.rlq"),
    ),
    ("pairs", include_str!("../../prompts/examples/pairs.rlq")),
    (
        "multi_doc",
        include_str!("../../prompts/examples/multi_doc.rlq"),
    ),
];

/// The additions that apply to `model`, in file-name order.
pub fn additions_for(model: &str) -> Vec<&'static str> {
    let m = model.to_lowercase();
    MODEL_ADDITIONS
        .iter()
        .filter(|(pat, _)| m.contains(&pat.to_lowercase()))
        .map(|(_, text)| *text)
        .collect()
}

/// The system prompt for `model` (no additions when `None`), with the
/// worked examples appended when `examples` is true.
pub fn system_prompt(model: Option<&str>, examples: bool) -> String {
    let mut out = root().trim_end().to_string();
    let additions = model.map(additions_for).unwrap_or_default();
    if !additions.is_empty() {
        out.push_str("\n\n## For this model\n\n");
        out.push_str(
            &additions
                .iter()
                .map(|a| a.trim())
                .collect::<Vec<_>>()
                .join("\n\n"),
        );
    }
    if examples {
        out.push_str("\n\n## Worked examples\n\nEach is a whole session written as one program; `# Turn` comments mark where each turn's block would end.\n");
        for (name, code) in EXAMPLES {
            out.push_str(&format!("\n### {name}\n\n```rlq\n{}\n```\n", code.trim()));
        }
    }
    out.push('\n');
    out
}

/// The facts about a context the first message states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFacts {
    /// Characters of the whole context text.
    pub chars: u64,
    /// Lines of the whole context text.
    pub lines: u64,
    /// Estimated tokens (characters over characters-per-token).
    pub est_tokens: u64,
    /// The documents: `(name, characters)`, at most [`MAX_NAMES`].
    pub docs: Vec<(String, u64)>,
    /// How many documents there are in all.
    pub doc_count: usize,
}

/// Document names listed in the first message, at most.
pub const MAX_NAMES: usize = 100;

impl ContextFacts {
    /// The facts of `context`, estimating tokens at `chars_per_token`.
    pub fn of(context: &Context, chars_per_token: f64) -> ContextFacts {
        let src = &context.source;
        let chars = src.char_count(context.range()) as u64;
        let lines = src.line_count(context.range()) as u64;
        let docs = context
            .docs
            .iter()
            .take(MAX_NAMES)
            .map(|d| (d.name.to_string(), src.char_count(d.range.clone()) as u64))
            .collect();
        ContextFacts {
            chars,
            lines,
            est_tokens: (chars as f64 / chars_per_token.max(0.1)).ceil() as u64,
            docs,
            doc_count: context.docs.len(),
        }
    }
}

/// What the first message says besides the context.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstMessage<'a> {
    /// The question.
    pub question: &'a str,
    /// The context.
    pub facts: &'a ContextFacts,
    /// Characters one sub-call takes (`budget().sub_input_chars`), if
    /// sub-calls are configured.
    pub sub_input_chars: Option<u64>,
    /// Characters of output shown per turn.
    pub max_output_chars: usize,
    /// Turns the model has.
    pub max_iterations: u32,
}

impl FirstMessage<'_> {
    /// The message text.
    pub fn render(&self) -> String {
        let f = self.facts;
        let mut out = format!("Question: {}\n\n", self.question.trim());
        let docs = if f.doc_count == 1 {
            "document"
        } else {
            "documents"
        };
        out.push_str(&format!(
            "The context (`context`): {} {docs}, {} characters in {} lines (about {} tokens).\n",
            group(f.doc_count),
            group(f.chars as usize),
            group(f.lines as usize),
            group(f.est_tokens as usize),
        ));
        if !f.docs.is_empty() {
            let names = f
                .docs
                .iter()
                .map(|(n, c)| format!("{n} ({})", group(*c as usize)))
                .collect::<Vec<_>>()
                .join(", ");
            if f.doc_count > f.docs.len() {
                out.push_str(&format!(
                    "Documents (`docs`, name and characters), the first {} of {}: {names}, and {} more.\n",
                    f.docs.len(),
                    group(f.doc_count),
                    group(f.doc_count - f.docs.len())
                ));
            } else {
                out.push_str(&format!(
                    "Documents (`docs`, name and characters): {names}.\n"
                ));
            }
        }
        match self.sub_input_chars {
            Some(n) => out.push_str(&format!(
                "One sub-call (`llm`) takes at most {} characters: prompt, blank line and text (`budget().sub_input_chars`).\n",
                group(n as usize)
            )),
            None => out.push_str("No sub-model is configured: `llm` and `rlm` are not available; use code.\n"),
        }
        out.push_str(&format!(
            "Output is shown up to {} characters per turn (head and tail). You have {} turns.\n\n",
            group(self.max_output_chars),
            self.max_iterations
        ));
        out.push_str(
            "Turn 1: look at the context first; do not answer yet. Reply with one ```rlq block.",
        );
        out
    }
}

/// After a reply with no ```rlq block.
pub fn no_block(turn: u32, max: u32) -> String {
    format!(
        "Your reply had no ```rlq block, so nothing ran. Write the code to run next in one ```rlq block (finish with final(answer) inside the code when you have the answer).{}",
        footer(turn, max)
    )
}

/// After a reply whose code block is in another language.
pub fn wrong_language(lang: &str, turn: u32, max: u32) -> String {
    format!(
        "Your reply had a ```{lang} block, which rlmq does not run: only ```rlq blocks run (rlq, not {lang}: braces for blocks, x => e for lambdas, grep/partition/llm instead of imports). Nothing ran. Write it again as one ```rlq block.{}",
        footer(turn, max)
    )
}

/// The message after a turn that ran: its (truncated) output, its error,
/// and what comes next.
pub fn after_run(
    shown_output: &str,
    error: Option<&str>,
    final_refused: bool,
    turn: u32,
    max: u32,
) -> String {
    let mut out = String::new();
    if shown_output.is_empty() && error.is_none() {
        out.push_str("Output: (none; print what you want to see)\n");
    } else if !shown_output.is_empty() {
        out.push_str("Output:\n");
        out.push_str(shown_output);
        if !shown_output.ends_with('\n') {
            out.push('\n');
        }
    }
    if let Some(e) = error {
        out.push_str("\nError (its last line says what ran):\n");
        out.push_str(e.trim_end());
        out.push('\n');
    }
    if final_refused {
        out.push_str("\nfinal() was refused: this is the first turn of yours that ran code, so you had not seen any output yet. Check the output above, then call final(...) in a later turn.\n");
    }
    out.push_str(footer(turn, max).trim_start());
    out
}

/// Appended to the last message summarised when the history is compacted:
/// what the root model is asked to write.
pub fn compact_request(last_turn: u32) -> String {
    format!(
        "\n\n(rlmq: the conversation is nearing your context window. Do not write code now. Write a compact note of turns 1 to {last_turn} above, including any earlier note: what you learned about the context (facts, counts, positions, names found), what you tried that failed and why, which variables hold what, and what is left to do. The note replaces those turns; your variables stay as they are. Reply with the note only.)"
    )
}

/// The note that stands for the summarised turns, after the first message.
pub fn compact_note(last_turn: u32, summary: &str, variables: &[(String, String)]) -> String {
    let mut out = format!(
        "\n\n---\nTurns 1 to {last_turn} were summarised to save room (the variables they set are untouched). Your note:\n{}\n",
        summary.trim()
    );
    if !variables.is_empty() {
        out.push_str("\nYour variables now:\n");
        for (name, what) in variables {
            out.push_str(&format!("- {name}: {what}\n"));
        }
    }
    out
}

/// The line that ends each message after the first: the next turn's number
/// and a warning on the last one.
fn footer(turn: u32, max: u32) -> String {
    let next = turn + 1;
    if next >= max {
        format!("\n\nTurn {next} of {max}: this is your last turn. Call final(...) with your best answer now.")
    } else {
        format!("\n\nTurn {next} of {max}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_additions_are_chosen_by_name() {
        assert_eq!(additions_for("gpt-5").len(), 0);
        assert_eq!(additions_for("Qwen3-Coder-480B").len(), 1);
        assert!(system_prompt(Some("claude-sonnet-4-6"), false).contains("## For this model"));
        assert!(!system_prompt(Some("gpt-5"), false).contains("## For this model"));
        assert!(system_prompt(None, true).contains("### pairs"));
    }

    #[test]
    fn system_prompt_lists_every_builtin_and_stays_small() {
        use crate::llm::models::Encoding;
        use crate::llm::tokens::count_raw;
        for model in [None, Some("claude-sonnet-4-6"), Some("qwen3-coder")] {
            let p = system_prompt(model, false);
            assert!(!p.contains(BUILTINS_MARK));
            for b in crate::builtins::all() {
                assert!(p.contains(&format!("`{}`", b.builtin.sig)), "{}", b.name);
            }
            assert!(p.contains("`peek(t, n=1000)`"));
            let tokens = count_raw(Encoding::O200k, &p).max(count_raw(Encoding::Cl100k, &p));
            assert!(tokens < 2500, "{model:?}: {tokens} tokens");
        }
    }

    #[test]
    fn first_message_lists_at_most_the_names_given() {
        let facts = ContextFacts {
            chars: 1_234_567,
            lines: 890,
            est_tokens: 308_641,
            docs: vec![("a.txt".into(), 10), ("b.txt".into(), 20)],
            doc_count: 1000,
        };
        let m = FirstMessage {
            question: "Who?",
            facts: &facts,
            sub_input_chars: Some(400_000),
            max_output_chars: 10_000,
            max_iterations: 20,
        }
        .render();
        assert!(m.starts_with("Question: Who?\n"));
        assert!(m.contains("1,000 documents, 1,234,567 characters in 890 lines"));
        assert!(m.contains("the first 2 of 1,000: a.txt (10), b.txt (20), and 998 more"));
        assert!(m.contains("at most 400,000 characters"));
    }
}
