//! The trajectory drawn as a tree for a terminal: sessions, their turns
//! (code, output, error), the sub-calls each turn made, recursive sessions
//! under their call, and the answer with totals.

use std::fmt::Write as _;

use super::{cost, count, duration, group, Kind, Node, Trajectory};

/// How much to show.
#[derive(Debug, Clone, Copy)]
pub struct TreeOptions {
    /// Lines of code, of output and sub-calls shown per turn (0: all).
    pub lines: usize,
}

impl Default for TreeOptions {
    fn default() -> TreeOptions {
        TreeOptions { lines: 6 }
    }
}

/// The tree as text.
pub fn render(t: &Trajectory, opts: TreeOptions) -> String {
    let mut out = String::new();
    if t.roots.is_empty() {
        out.push_str("(the trace has no events with ids)\n");
    }
    let mut first = true;
    for n in t.roots.iter().filter(|n| n.kind == Kind::Session) {
        if !first {
            out.push('\n');
        }
        first = false;
        node(&mut out, n, "", "", opts);
    }
    // Calls made outside any session (`rlmq run --trace`), with the run's
    // end events: one list.
    let loose: Vec<&Node> = t.roots.iter().filter(|n| n.kind != Kind::Session).collect();
    let ends: Vec<String> = t
        .notes
        .iter()
        .filter(|e| e.get("event").and_then(|v| v.as_str()) == Some("end"))
        .map(|e| {
            let mut s = String::from("end");
            if let Some(a) = e.get("answer").filter(|a| !a.is_null()) {
                let a = a.as_str().map_or_else(|| a.to_string(), str::to_string);
                let _ = write!(s, " · answer {:?}", clip(&a, 80));
            }
            if let Some(err) = e.get("error").and_then(|v| v.as_str()) {
                let _ = write!(s, " · error: {}", clip(err, 80));
            }
            if let Some(ms) = e.get("elapsed_ms").and_then(|v| v.as_u64()) {
                let _ = write!(s, " · {}", duration(ms));
            }
            s
        })
        .collect();
    if !loose.is_empty() || !ends.is_empty() {
        if !first {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} outside a session",
            count(loose.len() as u64, "call", "calls")
        );
        let max = if opts.lines == 0 {
            usize::MAX
        } else {
            opts.lines.max(1) * 2
        };
        let shown = loose.len().min(max);
        let items = shown + usize::from(shown < loose.len()) + ends.len();
        let mut k = 0;
        for c in &loose[..shown] {
            k += 1;
            let (f, r) = if k == items {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            node(&mut out, c, f, r, opts);
        }
        if shown < loose.len() {
            k += 1;
            let f = if k == items { "└─ " } else { "├─ " };
            let _ = writeln!(
                out,
                "{f}… {} more; --lines 0 shows all",
                loose.len() - shown
            );
        }
        for e in ends {
            k += 1;
            let f = if k == items { "└─ " } else { "├─ " };
            let _ = writeln!(out, "{f}{e}");
        }
    }
    for p in &t.problems {
        let _ = writeln!(out, "warning: {p}");
    }
    out
}

/// One line of text, at most `max` characters, newlines shown as `⏎`.
pub fn clip(s: &str, max: usize) -> String {
    let flat: String = s
        .trim()
        .chars()
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect();
    if flat.chars().count() > max {
        let mut c: String = flat.chars().take(max.saturating_sub(1)).collect();
        c.push('…');
        c
    } else {
        flat
    }
}

fn tokens_text(n: &Node) -> String {
    let (i, o) = n.tokens();
    format!("{} → {} tokens", group(i), group(o))
}

fn headline(n: &Node) -> String {
    match n.kind {
        Kind::Session => {
            let mut h = format!("session {}", n.id);
            if let Some(d) = n.u64("depth").filter(|d| *d > 0) {
                let _ = write!(h, " (depth {d})");
            }
            if let Some(q) = n.str("question") {
                let _ = write!(h, ": {:?}", clip(q, 100));
            }
            h
        }
        Kind::Turn => {
            let mut h = format!(
                "turn {}",
                n.u64("turn").map_or("?".into(), |t| t.to_string())
            );
            if let Some(ms) = n.u64("latency_ms") {
                let _ = write!(h, " · model {}", duration(ms));
            }
            if let Some(ms) = n.f64("elapsed_ms") {
                let _ = write!(h, " · code {}", duration(ms as u64));
            }
            let (c, unknown) = n.cost_usd();
            let _ = write!(h, " · {} · {}", tokens_text(n), cost(c, unknown));
            let subs = n.subcall_count();
            if subs > 0 {
                let _ = write!(h, " · {}", count(subs as u64, "sub-call", "sub-calls"));
            }
            h
        }
        Kind::SubCall => {
            let mut h = format!("llm {}", n.id);
            if let Some(m) = n.str("model") {
                let _ = write!(h, " · {m}");
            }
            if let Some(c) = n.u64("prompt_chars") {
                let _ = write!(h, " · {} chars", group(c));
            }
            match (n.str("reply"), n.str("error")) {
                (_, Some(e)) => {
                    let _ = write!(h, " · FAILED: {}", clip(e, 80));
                }
                (Some(r), None) => {
                    let _ = write!(h, " → {:?}", clip(r, 60));
                }
                _ => {}
            }
            if let Some(ms) = n.u64("latency_ms") {
                let _ = write!(h, " · {}", duration(ms));
            }
            if n.get("cached").and_then(|v| v.as_bool()) == Some(true) {
                h.push_str(" · cached");
            }
            if n.retries > 0 {
                let _ = write!(
                    h,
                    " · {} retr{}",
                    n.retries,
                    if n.retries == 1 { "y" } else { "ies" }
                );
            }
            h
        }
        Kind::Other if n.str("event") == Some("compaction") => format!(
            "compaction before turn {}: {} → {} tokens{}",
            n.u64("turn").unwrap_or(0),
            group(n.u64("tokens_before").unwrap_or(0)),
            group(n.u64("tokens_after").unwrap_or(0)),
            n.str("error")
                .map_or(String::new(), |e| format!(" · FAILED: {}", clip(e, 80)))
        ),
        Kind::Other => format!("{} {}", n.str("event").unwrap_or("event"), n.id),
    }
}

/// Lines shown under a node before its children.
fn details(n: &Node, opts: TreeOptions) -> Vec<String> {
    let mut v = Vec::new();
    let limit = |len: usize| {
        if opts.lines == 0 {
            len
        } else {
            opts.lines.min(len)
        }
    };
    match n.kind {
        Kind::Session => {
            let mut models = Vec::new();
            if let Some(m) = n.str("root_model") {
                models.push(format!("root model {m}"));
            }
            if let Some(m) = n.str("sub_model") {
                models.push(format!("sub-model {m}"));
            }
            if let Some(c) = n.get("context") {
                let docs = c.get("documents").and_then(|x| x.as_u64()).unwrap_or(0);
                let chars = c.get("chars").and_then(|x| x.as_u64()).unwrap_or(0);
                models.push(format!(
                    "context {}, {}",
                    count(docs, "document", "documents"),
                    count(chars, "char", "chars")
                ));
            }
            if !models.is_empty() {
                v.push(models.join(" · "));
            }
        }
        Kind::Turn => {
            match n.str("code") {
                Some(code) => {
                    let lines: Vec<&str> = code.lines().collect();
                    let k = limit(lines.len());
                    for l in &lines[..k] {
                        v.push(format!("│ {l}"));
                    }
                    if k < lines.len() {
                        v.push(format!("│ … {} more lines of code", lines.len() - k));
                    }
                }
                None => {
                    let what = match n.str("block") {
                        Some("none") | None => "no rlq block in the reply: nothing ran".to_string(),
                        Some(lang) => format!("a ```{lang} block, not rlq: nothing ran"),
                    };
                    v.push(what);
                    if let Some(r) = n.str("reply") {
                        v.push(format!("reply: {:?}", clip(r, 100)));
                    }
                }
            }
            if let Some(out) = n.str("output").filter(|o| !o.is_empty()) {
                let lines: Vec<&str> = out.lines().collect();
                let k = limit(lines.len()).min(if opts.lines == 0 { usize::MAX } else { 3 });
                let cut = if n.get("truncated").and_then(|x| x.as_bool()) == Some(true) {
                    ", cut for the model"
                } else {
                    ""
                };
                v.push(format!(
                    "output: {} lines, {} chars{cut}",
                    group(lines.len() as u64),
                    group(out.chars().count() as u64)
                ));
                for l in &lines[..k] {
                    v.push(format!("  {}", clip(l, 120)));
                }
                if k < lines.len() {
                    v.push(format!("  … {} more lines", lines.len() - k));
                }
            }
            if let Some(e) = n.str("error_line").or(n.str("error")) {
                v.push(format!("error: {}", clip(e, 160)));
            }
            let refused = n.get("final_refused").and_then(|x| x.as_bool()) == Some(true);
            match (n.str("final"), refused) {
                (Some(f), true) => v.push(format!(
                    "final({:?}) REFUSED: the model had not seen any output yet; the session went on",
                    clip(f, 100)
                )),
                (Some(f), false) => v.push(format!("final: {:?}", clip(f, 100))),
                (None, _) => {}
            }
        }
        _ => {}
    }
    v
}

/// The closing line of a session: its answer and totals.
fn summary(n: &Node) -> Option<String> {
    if n.kind != Kind::Session {
        return None;
    }
    let status = n.str("status")?;
    let mut s = format!("end: {status}");
    if let Some(a) = n.str("answer") {
        let _ = write!(s, " · answer {:?}", clip(a, 100));
    }
    let turns = n.children_of(Kind::Turn).count();
    let (c, unknown) = n.cost_usd();
    let _ = write!(
        s,
        " · {} · {} · {} · {}",
        count(turns as u64, "turn", "turns"),
        count(n.subcall_count() as u64, "sub-call", "sub-calls"),
        tokens_text(n),
        cost(c, unknown)
    );
    if let Some(ms) = n.f64("elapsed_ms") {
        let _ = write!(s, " · {}", duration(ms as u64));
    }
    Some(s)
}

/// Bytes of branch lines drawn before a line's own text, at most (about
/// forty levels).
const MAX_INDENT: usize = 120;

fn node(out: &mut String, n: &Node, first: &str, rest: &str, opts: TreeOptions) {
    let _ = writeln!(out, "{first}{}", headline(n));
    let mut lines = details(n, opts);
    // Sub-calls beyond the limit are summarized in one line.
    let mut shown: Vec<&Node> = Vec::new();
    let subs: Vec<&Node> = n.children_of(Kind::SubCall).collect();
    let max_subs = if opts.lines == 0 {
        usize::MAX
    } else {
        opts.lines
    };
    let mut skipped = Vec::new();
    for c in &n.children {
        if c.kind == Kind::SubCall && subs.len() > max_subs {
            let pos = subs.iter().position(|s| std::ptr::eq(*s, c)).unwrap_or(0);
            if pos >= max_subs && c.children.is_empty() {
                skipped.push(c);
                continue;
            }
        }
        shown.push(c);
    }
    let end = summary(n);
    let more = if skipped.is_empty() {
        None
    } else {
        let failed = skipped.iter().filter(|c| c.str("error").is_some()).count();
        let n = skipped.len() as u64;
        Some(format!(
            "… {} more {} ({failed} failed); --lines 0 shows all",
            group(n),
            if n == 1 { "sub-call" } else { "sub-calls" }
        ))
    };
    let items = shown.len() + usize::from(more.is_some()) + usize::from(end.is_some());
    let bar = if items > 0 { "│  " } else { "   " };
    for l in lines.drain(..) {
        let _ = writeln!(out, "{rest}{bar}{l}");
    }
    let mut k = 0;
    for c in shown {
        k += 1;
        let last = k == items;
        let (f, r) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        // Past MAX_INDENT levels the branch lines stop growing: a chain
        // of thousands of nodes draws in space linear in its length.
        if rest.len() >= MAX_INDENT {
            node(out, c, &format!("{rest}{f}"), rest, opts);
        } else {
            node(out, c, &format!("{rest}{f}"), &format!("{rest}{r}"), opts);
        }
    }
    if let Some(m) = more {
        k += 1;
        let f = if k == items { "└─ " } else { "├─ " };
        let _ = writeln!(out, "{rest}{f}{m}");
    }
    if let Some(e) = end {
        let _ = writeln!(out, "{rest}└─ {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_final_reads_as_refused() {
        let t = super::super::read(
            r#"{"event":"session_start","id":1,"question":"q"}
{"event":"turn","id":2,"parent":1,"turn":1,"code":"final(1)","output":"","final":"1","final_refused":true}
{"event":"turn","id":3,"parent":1,"turn":2,"code":"final(2)","output":"","final":"2","final_refused":false}
"#,
        );
        let text = render(&t, TreeOptions::default());
        assert!(
            text.contains("final(\"1\") REFUSED: the model had not seen any output yet"),
            "{text}"
        );
        assert!(!text.contains("final: \"1\""), "{text}");
        assert!(text.contains("final: \"2\""), "{text}");
    }

    #[test]
    fn calls_outside_a_session_are_listed_with_the_run_end() {
        let t = super::super::read(
            r#"{"event":"subcall","id":1,"model":"m","reply":"a","latency_ms":3}
{"event":"subcall","id":2,"model":"m","error":"HTTP 500","latency_ms":3}
{"event":"end","answer":"2","elapsed_ms":10}
"#,
        );
        let text = render(&t, TreeOptions::default());
        assert_eq!(
            text,
            "2 calls outside a session\n├─ llm 1 · m → \"a\" · 3 ms\n├─ llm 2 · m · FAILED: HTTP 500 · 3 ms\n└─ end · answer \"2\" · 10 ms\n"
        );
    }
}
