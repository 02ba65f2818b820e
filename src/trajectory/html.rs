//! The trajectory as one self-contained HTML file: styles and the one
//! small script are inline, a Content-Security-Policy forbids every fetch,
//! and all text from the trace is escaped. It shows, per session, the
//! answer and totals, a timeline of every model call, the cost of each
//! turn, and each turn's reply, code, output and error, with its sub-calls
//! (prompt and reply) folded in `<details>`; recursive sessions nest
//! inside the turn that started them. A script run (`rlmq run --trace`)
//! gets its answer or error, the same totals, and its calls in program
//! order grouped by call site, failed calls open and retries marked.

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::{cost, count, duration, group, Kind, Node, Totals, Trajectory};

/// Most characters of one text (an output, a reply) written into the page.
const MAX_TEXT: usize = 200_000;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The id of a node's element: unique across the runs of a file.
fn anchor(n: &Node) -> String {
    if n.run == 0 {
        n.id.to_string()
    } else {
        format!("r{}-{}", n.run, n.id)
    }
}

fn capped(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_TEXT {
        esc(s)
    } else {
        let head: String = s.chars().take(MAX_TEXT).collect();
        format!(
            "{}\n<span class=\"cut\">[… {} more characters in the trace file]</span>",
            esc(&head),
            group((n - MAX_TEXT) as u64)
        )
    }
}

const STYLE: &str = r#"
:root { --fg:#1d232b; --muted:#5c6773; --line:#d9dee4; --bg:#ffffff; --code:#f5f7f9; --root:#3867d6; --sub:#20a47b; --run:#c9a227; --err:#c0392b; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 24px 32px 64px; max-width: 1200px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 0; display: inline; }
.muted, .meta { color: var(--muted); } .meta span + span::before { content: " · "; }
.answer { border-left: 4px solid var(--root); background: var(--code); padding: 8px 12px; white-space: pre-wrap; margin: 10px 0; }
.answer.best { border-left-color: var(--run); } .answer.none { border-left-color: var(--err); }
pre { background: var(--code); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: 6px 0; }
pre.code { border-left: 3px solid var(--root); } pre.err { border-left: 3px solid var(--err); color: var(--err); }
.turn { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.turn.failed { border-color: var(--err); } .turn.final { border-color: var(--root); }
details { margin: 4px 0; } summary { cursor: pointer; color: var(--muted); }
details.call { border-left: 3px solid var(--sub); padding-left: 8px; } details.call.failed { border-left-color: var(--err); }
.session.nested { border-left: 3px dashed var(--muted); padding-left: 12px; margin: 8px 0 8px 4px; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border-bottom: 1px solid var(--line); padding: 3px 10px; text-align: right; } th:first-child, td:first-child { text-align: left; }
.bar { display: inline-block; height: 10px; background: var(--root); vertical-align: middle; }
.timeline { border: 1px solid var(--line); border-radius: 4px; background: #fbfcfd; }
.legend span { margin-right: 14px; } .sw { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
.tag { font-size: 12px; border-radius: 3px; padding: 0 5px; background: var(--code); border: 1px solid var(--line); }
.tag.err { color: var(--err); border-color: var(--err); } .cut { color: var(--muted); font-style: italic; }
.tools { float: right; } button { font: inherit; font-size: 12px; }
table.totals td:first-child { color: var(--muted); } table.totals td.bad { color: var(--err); font-weight: 600; }
.site { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; margin: 10px 0; } .site.failed { border-color: var(--err); }
"#;

const SCRIPT: &str = r#"
document.addEventListener("DOMContentLoaded", function () {
  function setAll(open) {
    var all = document.querySelectorAll("details");
    for (var i = 0; i < all.length; i++) { all[i].open = open; }
  }
  var e = document.getElementById("expand-all");
  var c = document.getElementById("collapse-all");
  if (e) { e.addEventListener("click", function () { setAll(true); }); }
  if (c) { c.addEventListener("click", function () { setAll(false); }); }
});
"#;

/// The report as one HTML document.
pub fn render(t: &Trajectory, title: &str) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n<script>{SCRIPT}</script>\n</head>\n<body>\n",
        esc(title)
    );
    let _ = write!(
        h,
        "<div class=\"tools\"><button id=\"expand-all\" type=\"button\">expand all</button> <button id=\"collapse-all\" type=\"button\">collapse all</button></div>\n<h1>{}</h1>\n",
        esc(title)
    );
    let is_run_event =
        |e: &Json| matches!(e.get("event").and_then(Json::as_str), Some("start" | "end"));
    let starts: Vec<&Json> = t.notes.iter().filter(|e| e["event"] == "start").collect();
    let ends: Vec<&Json> = t.notes.iter().filter(|e| e["event"] == "end").collect();
    if t.roots.is_empty() && starts.is_empty() && ends.is_empty() {
        h.push_str("<p class=\"muted\">The trace has no events with ids.</p>\n");
    }
    // Calls outside any session belong to script runs, one per run of the
    // file (the k-th `start` and `end` events with the k-th run's calls).
    let runs = starts.len().max(ends.len());
    let loose_runs = t
        .roots
        .iter()
        .filter(|n| n.kind != Kind::Session)
        .map(|n| n.run as usize + 1)
        .max()
        .unwrap_or(0);
    for k in 0..runs.max(loose_runs) {
        let calls: Vec<&Node> = t
            .roots
            .iter()
            .filter(|n| n.kind != Kind::Session && n.run as usize == k)
            .collect();
        script_run(
            &mut h,
            starts.get(k).copied(),
            ends.get(k).copied(),
            &calls,
            t,
        );
    }
    for n in t.roots.iter().filter(|n| n.kind == Kind::Session) {
        session(&mut h, n, t, false);
    }
    let others: Vec<&Json> = t.notes.iter().filter(|e| !is_run_event(e)).collect();
    if !others.is_empty() {
        h.push_str("<h2>Other events</h2>\n<details><summary>");
        let _ = write!(
            h,
            "{}",
            count(
                others.len() as u64,
                "event without an id",
                "events without an id"
            )
        );
        h.push_str("</summary>\n<pre>");
        for e in &others {
            h.push_str(&capped(&e.to_string()));
            h.push('\n');
        }
        h.push_str("</pre></details>\n");
    }
    if !t.problems.is_empty() {
        h.push_str("<h2>Unreadable lines</h2>\n<pre class=\"err\">");
        for p in &t.problems {
            h.push_str(&esc(p));
            h.push('\n');
        }
        h.push_str("</pre>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn session(h: &mut String, s: &Node, t: &Trajectory, nested: bool) {
    let _ = writeln!(
        h,
        "<section class=\"session{}\" id=\"session-{}\">",
        if nested { " nested" } else { "" },
        anchor(s)
    );
    let depth = s.u64("depth").unwrap_or(0);
    let _ = write!(
        h,
        "<h2>Session {}{}</h2>\n<p><b>Question:</b> {}</p>\n",
        s.id,
        if depth > 0 {
            format!(" (depth {depth})")
        } else {
            String::new()
        },
        esc(s.str("question").unwrap_or("(not recorded)"))
    );
    let mut meta = Vec::new();
    if let Some(m) = s.str("root_model") {
        meta.push(format!("root model <b>{}</b>", esc(m)));
    }
    if let Some(m) = s.str("sub_model") {
        meta.push(format!("sub-model <b>{}</b>", esc(m)));
    }
    if let Some(c) = s.get("context") {
        let docs = c.get("documents").and_then(|x| x.as_u64()).unwrap_or(0);
        let chars = c.get("chars").and_then(|x| x.as_u64()).unwrap_or(0);
        meta.push(format!(
            "context {}, {}",
            count(docs, "document", "documents"),
            count(chars, "character", "characters")
        ));
    }
    let turns: Vec<&Node> = s.children_of(Kind::Turn).collect();
    let (c, unknown) = s.cost_usd();
    let (ti, to) = s.tokens();
    meta.push(count(turns.len() as u64, "turn", "turns"));
    meta.push(count(s.subcall_count() as u64, "sub-call", "sub-calls"));
    meta.push(format!("{} → {} tokens", group(ti), group(to)));
    meta.push(cost(c, unknown));
    if let Some(ms) = s.f64("elapsed_ms") {
        meta.push(duration(ms as u64));
    }
    h.push_str("<p class=\"meta\">");
    for m in &meta {
        let _ = write!(h, "<span>{m}</span>");
    }
    h.push_str("</p>\n");
    let status = s.str("status").unwrap_or("unfinished");
    let class = match status {
        "final" => "",
        _ if s.str("answer").is_some_and(|a| !a.is_empty()) => " best",
        _ => " none",
    };
    let _ = write!(
        h,
        "<p><b>Answer</b> <span class=\"tag\">{}</span>{}</p>\n<div class=\"answer{class}\" id=\"answer-{}\">{}</div>\n",
        esc(status),
        s.str("reason").map(|r| format!(" <span class=\"muted\">{}</span>", esc(r))).unwrap_or_default(),
        anchor(s),
        capped(s.str("answer").unwrap_or("(no answer)"))
    );
    for (key, label) in [
        ("system_prompt", "system prompt"),
        ("first_message", "first message"),
    ] {
        if let Some(text) = s.str(key) {
            let _ = writeln!(
                h,
                "<details><summary>{label} ({} characters)</summary><pre>{}</pre></details>",
                group(text.chars().count() as u64),
                capped(text)
            );
        }
    }
    totals_table(
        h,
        &Totals::of(&s.children),
        &format!("totals-{}", anchor(s)),
    );
    if !nested {
        timeline(h, s, t);
    }
    cost_table(h, &turns);
    h.push_str("<h2>Turns</h2>\n");
    for turn_node in &turns {
        turn(h, turn_node, t);
    }
    for other in s.children.iter().filter(|c| c.kind != Kind::Turn) {
        h.push_str("<div class=\"turn\">");
        call(h, other, t);
        h.push_str("</div>\n");
    }
    h.push_str("</section>\n");
}

/// The totals as a table whose element id is `id`; failures and retries
/// stand out when there are any.
fn totals_table(h: &mut String, totals: &Totals, id: &str) {
    let tokens = if totals.prompt_cache_read_tokens > 0 {
        format!(
            "{} → {} ({} input from the prompt cache)",
            group(totals.input_tokens),
            group(totals.output_tokens),
            group(totals.prompt_cache_read_tokens)
        )
    } else {
        format!(
            "{} → {}",
            group(totals.input_tokens),
            group(totals.output_tokens)
        )
    };
    let bad = |n: u64| if n > 0 { " class=\"bad\"" } else { "" };
    let saved = match totals.prompt_cache_read_tokens {
        0 => String::new(),
        _ => format!(
            " (the prompt cache saved {})",
            cost(totals.prompt_cache_saved_usd, false)
        ),
    };
    let _ = writeln!(
        h,
        "<table class=\"totals\" id=\"{id}\"><tr><td>model calls</td><td>{}</td></tr>\
<tr><td>cache hits</td><td>{}</td></tr><tr><td>tokens</td><td>{tokens}</td></tr>\
<tr><td>cost</td><td>{}{saved}</td></tr><tr><td>retries</td><td{}>{}</td></tr>\
<tr><td>failed calls</td><td{}>{}</td></tr></table>",
        group(totals.calls),
        group(totals.cache_hits),
        cost(totals.cost_usd, totals.cost_unknown),
        bad(totals.retries),
        group(totals.retries),
        bad(totals.failures),
        group(totals.failures),
    );
}

/// `script.rlq:12:5` as `(12, 5)` for ordering; sites without a position
/// sort last.
fn site_position(site: &str) -> (u64, u64) {
    let mut parts = site.rsplitn(3, ':');
    let col = parts.next().and_then(|c| c.parse().ok());
    let line = parts.next().and_then(|l| l.parse().ok());
    match (line, col) {
        (Some(l), Some(c)) => (l, c),
        _ => (u64::MAX, u64::MAX),
    }
}

/// A script run: what ran over what, its answer or error, the totals, and
/// its calls grouped by call site in program order.
fn script_run(
    h: &mut String,
    start: Option<&Json>,
    end: Option<&Json>,
    calls: &[&Node],
    t: &Trajectory,
) {
    let field =
        |e: Option<&Json>, k: &str| e.and_then(|e| e.get(k)).filter(|v| !v.is_null()).cloned();
    let script = field(start, "script")
        .or_else(|| field(end, "script"))
        .and_then(|s| s.as_str().map(str::to_string))
        .unwrap_or_else(|| "(script not recorded)".into());
    let _ = writeln!(
        h,
        "<section class=\"run\"><h2>Script run: {}</h2>",
        esc(&script)
    );
    let mut meta = Vec::new();
    if let Some(d) = field(start, "documents").and_then(|v| v.as_u64()) {
        meta.push(format!("context {}", count(d, "document", "documents")));
    }
    if let Some(b) = field(start, "context_bytes").and_then(|v| v.as_u64()) {
        meta.push(count(b, "byte", "bytes"));
    }
    if let Some(ms) = field(end, "elapsed_ms").and_then(|v| v.as_u64()) {
        meta.push(duration(ms));
    }
    h.push_str("<p class=\"meta\">");
    for m in &meta {
        let _ = write!(h, "<span>{m}</span>");
    }
    h.push_str("</p>\n");
    match (end, field(end, "error")) {
        (None, _) => h.push_str("<p><span class=\"tag err\">unfinished</span> the trace has no end event: the run was stopped or is still going</p>\n"),
        (Some(_), Some(e)) => {
            let _ = writeln!(h, "<p><b>Error</b></p><pre class=\"err\">{}</pre>", capped(&e.as_str().map_or_else(|| e.to_string(), str::to_string)));
        }
        (Some(_), None) => {
            let answer = field(end, "answer").map_or("(no final value)".to_string(), |a| {
                a.as_str().map_or_else(|| a.to_string(), str::to_string)
            });
            let _ = writeln!(h, "<p><b>Final value</b></p><div class=\"answer\">{}</div>", capped(&answer));
        }
    }
    let run = calls.first().map_or(0, |n| n.run);
    totals_table(
        h,
        &Totals::of(calls.iter().copied()),
        &format!("totals-run-{run}"),
    );
    if calls.is_empty() {
        h.push_str("<p class=\"muted\">No model calls.</p>\n</section>\n");
        return;
    }
    let mut sites: Vec<(&str, Vec<&Node>)> = Vec::new();
    for n in calls {
        let site = n.str("site").unwrap_or("");
        match sites.iter_mut().find(|(s, _)| *s == site) {
            Some((_, v)) => v.push(n),
            None => sites.push((site, vec![n])),
        }
    }
    sites.sort_by_key(|(s, v)| (site_position(s), v.iter().map(|n| n.id).min()));
    h.push_str("<h2>Calls by call site</h2>\n");
    for (site, mut nodes) in sites {
        nodes.sort_by_key(|n| n.id);
        let totals = Totals::of(nodes.iter().copied());
        let _ = write!(
            h,
            "<div class=\"site{}\"><h3>{}</h3> <span class=\"meta\"><span>{}</span><span>{} → {} tokens</span><span>{}</span>",
            if totals.failures > 0 { " failed" } else { "" },
            esc(if site.is_empty() { "(no call site recorded)" } else { site }),
            count(nodes.len() as u64, "call", "calls"),
            group(totals.input_tokens),
            group(totals.output_tokens),
            cost(totals.cost_usd, totals.cost_unknown)
        );
        if totals.cache_hits > 0 {
            let _ = write!(
                h,
                "<span>{}</span>",
                count(totals.cache_hits, "cache hit", "cache hits")
            );
        }
        h.push_str("</span>");
        if totals.retries > 0 {
            let _ = write!(
                h,
                " <span class=\"tag err\">{}</span>",
                count(totals.retries, "retry", "retries")
            );
        }
        if totals.failures > 0 {
            let _ = write!(
                h,
                " <span class=\"tag err\">{} failed</span>",
                group(totals.failures)
            );
        }
        h.push('\n');
        for n in nodes {
            call(h, n, t);
        }
        h.push_str("</div>\n");
    }
    h.push_str("</section>\n");
}

fn cost_table(h: &mut String, turns: &[&Node]) {
    if turns.is_empty() {
        return;
    }
    h.push_str("<h2>Cost per turn</h2>\n<table class=\"costs\"><tr><th>turn</th><th>root tokens</th><th>sub-calls</th><th>sub-call tokens</th><th>cost</th><th></th><th>time</th></tr>\n");
    let costs: Vec<(f64, bool)> = turns.iter().map(|n| n.cost_usd()).collect();
    let max = costs.iter().map(|c| c.0).fold(0.0f64, f64::max);
    for (n, (c, unknown)) in turns.iter().zip(&costs) {
        let (ai, ao) = n.tokens();
        let ri = n.u64("input_tokens").unwrap_or(0);
        let ro = n.u64("output_tokens").unwrap_or(0);
        let width = if max > 0.0 {
            (c / max * 120.0).round()
        } else {
            0.0
        };
        let took = n.u64("latency_ms").unwrap_or(0) + n.f64("elapsed_ms").unwrap_or(0.0) as u64;
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#turn-{}\">{}</a></td><td>{} → {}</td><td>{}</td><td>{} → {}</td><td>{}</td><td><span class=\"bar\" style=\"width:{width}px\"></span></td><td>{}</td></tr>",
            anchor(n),
            n.u64("turn").unwrap_or(0),
            group(ri),
            group(ro),
            n.subcall_count(),
            group(ai - ri),
            group(ao - ro),
            cost(*c, *unknown),
            duration(took)
        );
    }
    h.push_str("</table>\n");
}

/// A bar of the timeline.
struct Bar {
    start: u64,
    end: u64,
    class: &'static str,
    label: String,
}

fn collect_bars(n: &Node, out: &mut Vec<Bar>) {
    match n.kind {
        Kind::Turn => {
            if let Some(end) = n.u64("ts") {
                let run = n.f64("elapsed_ms").unwrap_or(0.0) as u64;
                let model = n.u64("latency_ms").unwrap_or(0);
                let run_start = end.saturating_sub(run);
                let label = format!("turn {}", n.u64("turn").unwrap_or(0));
                out.push(Bar {
                    start: run_start.saturating_sub(model),
                    end: run_start,
                    class: "root",
                    label: format!("{label}: root model, {}", duration(model)),
                });
                out.push(Bar {
                    start: run_start,
                    end,
                    class: "run",
                    label: format!("{label}: code, {}", duration(run)),
                });
            }
        }
        Kind::SubCall => {
            if let Some((start, end)) = n.span_ms() {
                out.push(Bar {
                    start,
                    end,
                    class: if n.str("error").is_some() {
                        "err"
                    } else {
                        "sub"
                    },
                    label: format!(
                        "llm {}: {}, {}",
                        n.id,
                        n.str("model").unwrap_or("?"),
                        duration(end - start)
                    ),
                });
            }
        }
        _ => {}
    }
    for c in &n.children {
        collect_bars(c, out);
    }
}

fn timeline(h: &mut String, s: &Node, t: &Trajectory) {
    let mut bars = Vec::new();
    collect_bars(s, &mut bars);
    if bars.is_empty() {
        return;
    }
    let t0 = bars.iter().map(|b| b.start).min().unwrap_or(t.t0);
    let t1 = bars.iter().map(|b| b.end).max().unwrap_or(t.t1).max(t0 + 1);
    // Greedy lanes: root-model and code bars on the first lane, sub-calls below.
    let mut lanes: Vec<u64> = Vec::new();
    let mut placed = Vec::new();
    bars.sort_by_key(|b| (b.class == "sub" || b.class == "err", b.start));
    for b in &bars {
        let lane = if b.class == "root" || b.class == "run" {
            0
        } else {
            match lanes.iter().position(|&end| end <= b.start) {
                Some(l) => {
                    lanes[l] = b.end;
                    l + 1
                }
                None => {
                    lanes.push(b.end);
                    lanes.len()
                }
            }
        };
        placed.push((lane, b));
    }
    let width = 1100.0;
    let row = 14.0;
    let rows = lanes.len().min(60) + 1;
    let height = rows as f64 * row + 24.0;
    let span = (t1 - t0) as f64;
    h.push_str("<h2>Timeline</h2>\n<p class=\"legend\"><span><i class=\"sw\" style=\"background:var(--root)\"></i>root model</span><span><i class=\"sw\" style=\"background:var(--run)\"></i>code</span><span><i class=\"sw\" style=\"background:var(--sub)\"></i>sub-call</span><span><i class=\"sw\" style=\"background:var(--err)\"></i>failed sub-call</span></p>\n");
    let _ = writeln!(
        h,
        "<svg class=\"timeline\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"timeline of model calls\">"
    );
    for (lane, b) in placed {
        let lane = lane.min(60);
        let x = (b.start - t0) as f64 / span * (width - 20.0) + 10.0;
        let w = ((b.end - b.start) as f64 / span * (width - 20.0)).max(1.5);
        let y = lane as f64 * row + 4.0;
        let fill = match b.class {
            "root" => "#3867d6",
            "run" => "#c9a227",
            "err" => "#c0392b",
            _ => "#20a47b",
        };
        let _ = writeln!(
            h,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{fill}\"><title>{}</title></rect>",
            row - 3.0,
            esc(&b.label)
        );
    }
    let _ = writeln!(
        h,
        "<text x=\"10\" y=\"{:.1}\" font-size=\"11\" fill=\"#5c6773\">0</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#5c6773\" text-anchor=\"end\">{}</text></svg>",
        height - 6.0,
        width - 10.0,
        height - 6.0,
        esc(&duration(t1 - t0))
    );
}

fn turn(h: &mut String, n: &Node, t: &Trajectory) {
    let failed = n.get("error").is_some();
    let fin =
        n.get("final").is_some() && n.get("final_refused").and_then(|x| x.as_bool()) != Some(true);
    let _ = write!(
        h,
        "<div class=\"turn{}{}\" id=\"turn-{}\">\n<h3>Turn {}</h3> ",
        if failed { " failed" } else { "" },
        if fin { " final" } else { "" },
        anchor(n),
        n.u64("turn").unwrap_or(0)
    );
    let (c, unknown) = n.cost_usd();
    let mut meta = Vec::new();
    if let Some(m) = n.str("model") {
        meta.push(esc(m));
    }
    if let Some(ms) = n.u64("latency_ms") {
        meta.push(format!("model {}", duration(ms)));
    }
    if let Some(ms) = n.f64("elapsed_ms") {
        meta.push(format!("code {}", duration(ms as u64)));
    }
    meta.push(tokens_note(n).trim_start_matches(" · ").to_string());
    if let Some(cached) = n.u64("prompt_cache_read_tokens").filter(|c| *c > 0) {
        meta.push(format!("{} from the prompt cache", group(cached)));
    }
    meta.push(cost(c, unknown));
    h.push_str("<span class=\"meta\">");
    for m in &meta {
        let _ = write!(h, "<span>{m}</span>");
    }
    h.push_str("</span>\n");
    if let Some(r) = n.str("reply") {
        let _ = writeln!(
            h,
            "<details class=\"reply\"><summary>model reply ({} characters)</summary><pre>{}</pre></details>",
            group(r.chars().count() as u64),
            capped(r)
        );
    }
    match n.str("code") {
        Some(code) => {
            let _ = writeln!(h, "<pre class=\"code\">{}</pre>", capped(code));
        }
        None => {
            let what = match n.str("block") {
                Some("none") | None => "The reply had no rlq block: nothing ran.".to_string(),
                Some(lang) => format!("The reply had a {lang} block, not rlq: nothing ran."),
            };
            let _ = writeln!(h, "<p class=\"muted\">{}</p>", esc(&what));
        }
    }
    if let Some(out) = n.str("output") {
        if out.is_empty() {
            h.push_str("<p class=\"muted\">(no output)</p>\n");
        } else {
            let _ = writeln!(h, "<pre class=\"out\">{}</pre>", capped(out));
        }
    }
    if let Some(e) = n.str("error") {
        let _ = writeln!(h, "<pre class=\"err\">{}</pre>", capped(e));
    }
    if let Some(shown) = n.str("shown") {
        let _ = writeln!(
            h,
            "<details><summary>what the model was shown next{}</summary><pre>{}</pre></details>",
            if n.get("truncated").and_then(|x| x.as_bool()) == Some(true) {
                " (output cut)"
            } else {
                ""
            },
            capped(shown)
        );
    }
    if let Some(f) = n.str("final") {
        let refused = n.get("final_refused").and_then(|x| x.as_bool()) == Some(true);
        let _ = writeln!(
            h,
            "<p><span class=\"tag{}\">{}</span> {}</p>",
            if refused { " err" } else { "" },
            if refused {
                "final refused (no output seen yet)"
            } else {
                "final"
            },
            capped(f)
        );
    }
    let subs = n.subcall_count();
    if subs > 0 {
        let _ = writeln!(
            h,
            "<details class=\"calls\"><summary>{}</summary>",
            count(subs as u64, "sub-call", "sub-calls")
        );
        for c in &n.children {
            call(h, c, t);
        }
        h.push_str("</details>\n");
    } else {
        for c in &n.children {
            call(h, c, t);
        }
    }
    h.push_str("</div>\n");
}

/// ` · IN → OUT tokens`, marked when the counts are rlmq's own because the
/// provider did not report them.
fn tokens_note(n: &Node) -> String {
    let i = n.u64("input_tokens").unwrap_or(0);
    let o = n.u64("output_tokens").unwrap_or(0);
    let estimated = n.fields.get("usage_estimated") == Some(&serde_json::Value::Bool(true));
    format!(
        " · {} → {} tokens{}",
        group(i),
        group(o),
        if estimated { " (estimated)" } else { "" }
    )
}

fn call(h: &mut String, n: &Node, t: &Trajectory) {
    match n.kind {
        Kind::Session => session(h, n, t, true),
        Kind::Turn => turn(h, n, t),
        Kind::SubCall | Kind::Other => {
            let failed = n.str("error").is_some();
            let (c, unknown) = n.cost_usd();
            let retries = match n.retries {
                0 => String::new(),
                r => format!(
                    " · <span class=\"tag err\">{}</span>",
                    count(r.into(), "retry", "retries")
                ),
            };
            let _ = writeln!(
                h,
                "<details class=\"call{}\" id=\"call-{}\"{}><summary>{} {} · {} · {} chars · {}{}{}{}{}{retries}</summary>",
                if failed { " failed" } else { "" },
                anchor(n),
                if failed { " open" } else { "" },
                if n.kind == Kind::SubCall { "llm" } else { n.str("event").unwrap_or("event") },
                n.id,
                esc(n.str("model").unwrap_or("?")),
                group(n.u64("prompt_chars").unwrap_or(0)),
                duration(n.u64("latency_ms").unwrap_or(0)),
                format_args!(" · {}", cost(c, unknown)),
                tokens_note(n),
                if n.get("cached").and_then(|x| x.as_bool()) == Some(true) { " · cached" } else { "" },
                if failed { " · <span class=\"tag err\">failed</span>" } else { "" },
            );
            if let Some(site) = n.str("site").filter(|s| !s.is_empty()) {
                let _ = writeln!(h, "<p class=\"muted\">called at {}</p>", esc(site));
            }
            if let Some(p) = n.str("prompt") {
                let _ = writeln!(h, "<b>Prompt</b><pre>{}</pre>", capped(p));
            }
            if let Some(p) = n.str("text_head") {
                let _ = writeln!(
                    h,
                    "<b>Text</b> <span class=\"muted\">({} characters; the start)</span><pre>{}</pre>",
                    group(n.u64("text_chars").unwrap_or(0)),
                    capped(p)
                );
            }
            if let Some(r) = n.str("reply") {
                let _ = writeln!(h, "<b>Reply</b><pre>{}</pre>", capped(r));
            }
            if let Some(note) = n.str("summary") {
                let _ = writeln!(
                    h,
                    "<b>Older turns summarised</b> <span class=\"muted\">({} → {} tokens)</span><pre>{}</pre>",
                    group(n.u64("tokens_before").unwrap_or(0)),
                    group(n.u64("tokens_after").unwrap_or(0)),
                    capped(note)
                );
            }
            if let Some(e) = n.str("error") {
                let _ = writeln!(h, "<pre class=\"err\">{}</pre>", capped(e));
            }
            for c in &n.children {
                call(h, c, t);
            }
            h.push_str("</details>\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_nothing_is_fetched() {
        let t = super::super::read(
            r#"{"event":"session_start","id":1,"question":"<script>alert(1)</script>","ts":1}
{"event":"root","id":2,"parent":1,"reply":"a & b","latency_ms":5,"ts":10}
{"event":"turn","id":2,"parent":1,"turn":1,"code":"print(\"<b>\")","output":"<b>\n","elapsed_ms":1.0,"ts":11}
{"event":"subcall","id":3,"parent":2,"model":"m","reply":"x","latency_ms":2,"ts":11}
{"event":"session_end","id":1,"answer":"'x'","status":"final","ts":12}
"#,
        );
        let h = render(&t, "t");
        assert!(!h.contains("<script>alert"));
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(h.contains("print(&quot;&lt;b&gt;&quot;)"));
        for bad in ["src=\"http", "href=\"http", "url(", "@import"] {
            assert!(!h.contains(bad), "{bad}");
        }
        assert!(h.contains("<svg class=\"timeline\""));
        assert!(h.contains("id=\"turn-2\""));
    }

    #[test]
    fn estimated_usage_is_marked() {
        let trace = |estimated: bool| {
            super::super::read(&format!(
                r#"{{"event":"subcall","id":3,"model":"m","reply":"x","input_tokens":7,"output_tokens":1,"usage_estimated":{estimated},"latency_ms":2,"ts":11}}
"#
            ))
        };
        let h = render(&trace(true), "t");
        assert!(h.contains("7 → 1 tokens (estimated)"), "{h}");
        assert!(!render(&trace(false), "t").contains("(estimated)"));
    }
}
