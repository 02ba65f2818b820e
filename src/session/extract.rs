//! Finding the code in a root model's reply.
//!
//! The reply is prose and one ```` ```rlq ```` block. Only the **first**
//! rlq block runs: models keep writing after their code, inventing its
//! output and a "final answer", and none of that may count. The session
//! ends only through `final(...)` run inside code, never by scanning text.
//!
//! Fences are Markdown's: a line starting with three or more backticks or
//! tildes opens a block (its info string names the language), a line of at
//! least as many of the same character closes it, and a block left open
//! runs to the end of the reply. A block with no language counts as rlq
//! when no block is marked rlq. A block in another language (```` ```python
//! ````, ```` ```repl ````) is reported so that the model can be told, not
//! silently skipped.

/// What a reply holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extracted {
    /// Code to run.
    Code {
        /// The code of the first rlq block.
        code: String,
        /// Further rlq (or unmarked) blocks, ignored.
        ignored_blocks: usize,
        /// Characters after the block, ignored.
        ignored_chars: usize,
    },
    /// Only blocks in other languages; the first one's language.
    OtherLanguage(String),
    /// No code block at all.
    NoBlock,
}

/// One fenced block.
struct Block {
    lang: String,
    code: String,
    /// Byte offset just after the block (after its closing fence line).
    end: usize,
}

fn blocks(reply: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = Vec::new();
    let mut pos = 0;
    for line in reply.split_inclusive('\n') {
        lines.push((pos, line));
        pos += line.len();
    }
    let mut i = 0;
    while i < lines.len() {
        let (_, line) = lines[i];
        let Some((ch, n, info)) = opener(line) else {
            i += 1;
            continue;
        };
        let lang = info
            .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
            .next()
            .unwrap_or("")
            .trim_start_matches('.')
            .to_lowercase();
        let mut code = String::new();
        let mut j = i + 1;
        let mut end = reply.len();
        while j < lines.len() {
            let (start, l) = lines[j];
            if closes(l, ch, n) {
                end = start + l.len();
                break;
            }
            code.push_str(l);
            j += 1;
        }
        if code.ends_with('\n') {
            code.pop();
            if code.ends_with('\r') {
                code.pop();
            }
        }
        out.push(Block { lang, code, end });
        i = j + 1;
    }
    out
}

/// `(fence char, fence length, info string)` if `line` opens a block.
fn opener(line: &str) -> Option<(char, usize, &str)> {
    let t = line.trim_start_matches([' ', '\t']);
    let ch = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = t.chars().take_while(|c| *c == ch).count();
    if n < 3 {
        return None;
    }
    let info = t[n..].trim();
    if ch == '`' && info.contains('`') {
        return None; // inline code such as ```x``` on one line
    }
    Some((ch, n, info))
}

fn closes(line: &str, ch: char, n: usize) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().all(|c| c == ch) && t.chars().count() >= n
}

fn is_rlq(lang: &str) -> bool {
    matches!(lang, "rlq" | "rlmq")
}

/// The first rlq block of `reply`, or what was found instead.
pub fn extract(reply: &str) -> Extracted {
    let all = blocks(reply);
    let chosen = all
        .iter()
        .position(|b| is_rlq(&b.lang))
        .or_else(|| all.iter().position(|b| b.lang.is_empty()));
    match chosen {
        Some(i) => {
            let b = &all[i];
            let ignored_blocks = all[i + 1..]
                .iter()
                .filter(|x| is_rlq(&x.lang) || x.lang.is_empty())
                .count();
            Extracted::Code {
                code: b.code.clone(),
                ignored_blocks,
                ignored_chars: reply[b.end..].trim().chars().count(),
            }
        }
        None => match all.first() {
            Some(b) => Extracted::OtherLanguage(b.lang.clone()),
            None => Extracted::NoBlock,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(reply: &str) -> String {
        match extract(reply) {
            Extracted::Code { code, .. } => code,
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn runs_the_first_rlq_block_only() {
        let reply = "I'll look.\n```rlq\nprint(len(context))\n```\nOutput:\n```\n42\n```\nFINAL(42)\n```rlq\nfinal(42)\n```\n";
        match extract(reply) {
            Extracted::Code {
                code,
                ignored_blocks,
                ignored_chars,
            } => {
                assert_eq!(code, "print(len(context))");
                assert_eq!(ignored_blocks, 2);
                assert!(ignored_chars > 10);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_languages_are_reported() {
        assert_eq!(
            extract("```python\nprint(1)\n```"),
            Extracted::OtherLanguage("python".into())
        );
        assert_eq!(
            extract("Sure:\n```repl\nx = 1\n```\n"),
            Extracted::OtherLanguage("repl".into())
        );
        assert_eq!(extract("no code here"), Extracted::NoBlock);
        assert_eq!(extract("inline ```x``` only"), Extracted::NoBlock);
    }

    #[test]
    fn rlq_wins_over_an_earlier_block_of_another_language() {
        assert_eq!(code("```python\nx\n```\n```rlq\ny\n```"), "y");
        assert_eq!(code("```\nbare\n```"), "bare");
        assert_eq!(code("```RLQ {title}\nz\n```"), "z");
    }

    #[test]
    fn fences_of_other_lengths_and_unclosed_blocks() {
        assert_eq!(code("````rlq\na\n```\nb\n````\nrest"), "a\n```\nb");
        assert_eq!(code("~~~rlq\nq\n~~~"), "q");
        assert_eq!(code("```rlq\nprint(1)\nprint(2)"), "print(1)\nprint(2)");
        assert_eq!(code("  ```rlq\r\nx\r\n  ```\r\n"), "x");
    }
}
