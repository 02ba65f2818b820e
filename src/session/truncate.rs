//! Cutting a turn's output to what the root model is shown: the head and
//! the tail, on character boundaries (preferably at line ends), with one
//! line in the middle saying how much was cut.
//!
//! Models need the end of an output as much as its start (an error, a
//! count, the last item), so the budget is split evenly between the two.

/// A possibly shortened output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// What the model is shown.
    pub text: String,
    /// Characters left out (0 when the output fit).
    pub cut_chars: usize,
    /// Lines left out, whole or in part.
    pub cut_lines: usize,
}

impl Cut {
    /// True when something was left out.
    pub fn truncated(&self) -> bool {
        self.cut_chars > 0
    }
}

/// How far from the exact cut point a line end may be to cut there instead.
const SNAP: usize = 200;

/// Keeps at most `max_chars` characters of `text` (plus the marker line):
/// half from the head, half from the tail. `max_chars == 0` keeps nothing
/// but the marker.
pub fn truncate(text: &str, max_chars: usize) -> Cut {
    let total = text.chars().count();
    if total <= max_chars {
        return Cut {
            text: text.to_string(),
            cut_chars: 0,
            cut_lines: 0,
        };
    }
    let head_chars = max_chars / 2;
    let tail_chars = max_chars - head_chars;
    let mut head_end = byte_at(text, head_chars);
    let mut tail_start = byte_at(text, total - tail_chars);
    // Prefer cutting just after a newline near each point.
    if let Some(nl) = text[..head_end].rfind('\n') {
        if text[nl + 1..head_end].chars().count() <= SNAP {
            head_end = nl + 1;
        }
    }
    if let Some(nl) = text[tail_start..].find('\n') {
        if text[tail_start..tail_start + nl].chars().count() <= SNAP
            && tail_start + nl + 1 < text.len()
        {
            tail_start += nl + 1;
        }
    }
    let (head, middle, tail) = (
        &text[..head_end],
        &text[head_end..tail_start],
        &text[tail_start..],
    );
    let cut_chars = middle.chars().count();
    let cut_lines = middle.matches('\n').count() + usize::from(!middle.ends_with('\n'));
    let mut out = String::with_capacity(head.len() + tail.len() + 100);
    out.push_str(head);
    if !head.is_empty() && !head.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "[... {} characters ({} lines) cut from the middle of this output; print less: counts, head(), take() ...]\n",
        group(cut_chars),
        group(cut_lines)
    ));
    out.push_str(tail);
    Cut {
        text: out,
        cut_chars,
        cut_lines,
    }
}

/// The byte offset of the character at index `chars` (the end if past it).
fn byte_at(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// `1234567` as `1,234,567`.
pub fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_kept() {
        let c = truncate("abc\n", 10);
        assert_eq!(c.text, "abc\n");
        assert!(!c.truncated());
    }

    #[test]
    fn long_output_keeps_head_and_tail_and_says_what_was_cut() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let c = truncate(&text, 200);
        assert!(c.text.starts_with("line 0\n"));
        assert!(c.text.ends_with("line 999\n"));
        assert!(c.text.contains("characters ("));
        assert!(c.truncated());
        let kept = c.text.lines().filter(|l| l.starts_with("line")).count();
        assert_eq!(kept + c.cut_lines, 1000);
    }

    #[test]
    fn cuts_on_character_boundaries() {
        let text = "日本語".repeat(1000);
        for max in [0, 1, 2, 3, 7, 100] {
            let c = truncate(&text, max);
            assert!(c.truncated());
            assert_eq!(c.cut_chars, 3000 - max);
        }
    }

    #[test]
    fn groups_digits() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }
}
