//! What an error says about what ran: a parse or check error means nothing
//! ran; a runtime error names the line that stopped the program and what
//! the lines before it spent on sub-calls, so that a model never re-runs a
//! paid `map` that already ran, nor trusts one that did not.

use crate::diag::Diagnostic;
use crate::llm::Usage;
use crate::session::truncate::group;
use crate::syntax::span::SourceMap;

/// The line after a parse or check error.
pub const NOTHING_RAN: &str =
    "nothing ran: the code has errors, so none of it was run and no sub-calls were made";

/// The line after a runtime error: which line stopped the program, that
/// the lines before it ran, and the sub-calls spent between `before` and
/// `after`.
pub fn ran_until(d: &Diagnostic, sources: &SourceMap, before: &Usage, after: &Usage) -> String {
    let at = match d.span {
        Some(span) => {
            let file = sources.get(span.file);
            format!(
                "line {} stopped the program",
                file.locate(span.start as usize).0
            )
        }
        None => "the program stopped".to_string(),
    };
    let calls = after.calls.saturating_sub(before.calls);
    let cached = after.cache_hits.saturating_sub(before.cache_hits);
    let tokens = (after.input_tokens + after.output_tokens)
        .saturating_sub(before.input_tokens + before.output_tokens);
    let spent = if calls == 0 && cached == 0 {
        "no sub-calls were made".to_string()
    } else if calls == 0 {
        format!("no sub-calls were spent ({cached} answered from the cache)")
    } else {
        let mut s = format!(
            "{calls} sub-call{} spent ({} tokens",
            if calls == 1 { " was" } else { "s were" },
            group(tokens as usize)
        );
        if let (Some(a), Some(b)) = (after.cost_usd, before.cost_usd) {
            s.push_str(&format!(", ${:.4}", (a - b).max(0.0)));
        }
        if cached > 0 {
            s.push_str(&format!("; {cached} more answered from the cache"));
        }
        s.push(')');
        s
    };
    format!("{at}; the lines before it ran (their variables and output are kept) and {spent}")
}
