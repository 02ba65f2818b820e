//! What the MCP server tells an agent: the tool descriptions (rlq in a few
//! lines), the server's instructions, and the reference documents it
//! serves as resources.

/// The language reference.
pub const LANGUAGE: &str = include_str!("../../docs/LANGUAGE.md");

/// URI of the language reference resource.
pub const LANGUAGE_URI: &str = "rlmq://docs/language";

/// URI of the builtin table resource.
pub const BUILTINS_URI: &str = "rlmq://docs/builtins";

/// The builtin table of the reference (between its `builtins` markers).
pub fn builtins() -> &'static str {
    let (begin, end) = ("<!-- builtins:begin -->\n", "<!-- builtins:end -->");
    let from = LANGUAGE.find(begin).map_or(0, |i| i + begin.len());
    let to = LANGUAGE[from..]
        .find(end)
        .map_or(LANGUAGE.len(), |i| from + i);
    &LANGUAGE[from..to]
}

/// The description of the `rlq` tool.
pub const RLQ_TOOL: &str = "Run rlq code against the context (the documents the server was started with) and get its printed output, error and final value. \
rlq is a small Python-like language: braces for blocks, `let x = ...` (variables persist across calls), lambdas `x => x + 1`, regexes `re\"...\"`, pipes `x | f(a)` meaning `f(x, a)`. \
`context` is the whole text, `docs` its documents as {name, text} records. \
Start with `print(len(context), len(docs))` and `print(head(context, 500))`; search with `grep(context, re\"pattern\", ignore_case=true)` (matches with .text .groups .line .line_text .doc), `count`, `find`; cut with `lines`, `partition(t, size=N)`; combine with `map`, `filter`, `sort`, `count_by`, `join`. \
Output is cut to its head and tail: print counts and samples. An error comes back as data (line, caret, hint) and the variables set before it are kept. \
The full builtin table is the resource rlmq://docs/builtins; the whole reference is rlmq://docs/language.";

/// The description of the `describe_context` tool.
pub const DESCRIBE_TOOL: &str = "Describe the context: its documents (name, characters, lines), totals, and the variables the rlq tool has defined so far.";

/// The description of the `ask` tool.
pub const ASK_TOOL: &str = "Answer a question about the context as a whole Recursive Language Model session: a root model writes rlq a turn at a time (with sub-model calls) until it gives a final answer. Returns the answer, how the session ended, and its usage. Slower and costlier than running rlq yourself; use it for questions that need reading much of the context.";

/// The server's instructions to the agent.
pub const INSTRUCTIONS: &str = "rlmq holds a large context (files, folders) outside your window. Explore it with the `rlq` tool (search, count, slice; variables persist between calls) instead of reading files whole; `describe_context` lists the documents. The prompt `rlq_guide` and the resources rlmq://docs/builtins and rlmq://docs/language teach the language.";

/// The prompt that teaches rlq (the root model's own system prompt).
pub fn guide() -> String {
    crate::session::prompt::system_prompt(None, false)
}
