//! Trajectories: a trace file read back as the tree of what happened.
//!
//! A trace (`--trace t.jsonl`) is one JSON object per line. A session
//! writes `session_start`, then per turn a `root` event (the root model's
//! call) and a `turn` event (the code run, its output, what the model was
//! shown), `subcall` events for the `llm()` calls the code made, and
//! `session_end` with the answer and totals. Every event that has an `id`
//! and a `parent` hangs under its parent: turns under their session,
//! sub-calls under the turn that made them, recursive sessions under the
//! call or turn that started them. Events sharing an id (a turn's `root`
//! and `turn` events, a session's start and end) make one node. Ids are
//! unique within one run; a file that several runs appended to is read as
//! consecutive runs, a new one starting wherever an event repeats one
//! already seen (the same event name with the same id).
//!
//! - [`tree`]: the tree drawn for a terminal (`rlmq trace t.jsonl`);
//! - [`html`]: one self-contained HTML report (`rlmq trace --html`).

pub mod html;
pub mod tree;

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

/// What a node of the trajectory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A session: a question answered by a root model over a context.
    Session,
    /// One turn: a root model call and the code it ran.
    Turn,
    /// One `llm()` call made by code.
    SubCall,
    /// Anything else with an id (events of other writers).
    Other,
}

/// One node: the events that share an id, and the nodes under it.
#[derive(Debug, Clone)]
pub struct Node {
    /// The id shared by its events.
    pub id: u64,
    /// Which run of the file it belongs to (0 for the first).
    pub run: u32,
    /// What it is.
    pub kind: Kind,
    /// Its events' fields, merged (later events add fields, never replace).
    pub fields: Map<String, Json>,
    /// Retries recorded for it.
    pub retries: u32,
    /// The nodes whose parent it is, in trace order.
    pub children: Vec<Node>,
    /// Sums over the node and everything under it, computed once when the
    /// tree is put together (reading them is then O(1) at any depth).
    sums: Sums,
}

/// See [`Node::tokens`], [`Node::cost_usd`], [`Node::subcall_count`].
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    tokens: (u64, u64),
    cost: f64,
    cost_unknown: bool,
    subcalls: usize,
}

/// A whole trace file, read.
#[derive(Debug, Clone, Default)]
pub struct Trajectory {
    /// Nodes with no parent (or a parent not in the file), in trace order.
    pub roots: Vec<Node>,
    /// Events with no id (run-level events of other writers), in order.
    pub notes: Vec<Json>,
    /// Lines that could not be read, as `line N: reason`.
    pub problems: Vec<String>,
    /// Earliest time in the file (Unix ms), the origin of timelines.
    pub t0: u64,
    /// Latest time in the file (Unix ms).
    pub t1: u64,
}

impl Node {
    /// A field as text.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Json::as_str)
    }

    /// A field as a whole number.
    pub fn u64(&self, key: &str) -> Option<u64> {
        self.fields.get(key).and_then(Json::as_u64)
    }

    /// A field as a number.
    pub fn f64(&self, key: &str) -> Option<f64> {
        self.fields.get(key).and_then(Json::as_f64)
    }

    /// A field.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.fields.get(key).filter(|v| !v.is_null())
    }

    /// The children of one kind.
    pub fn children_of(&self, kind: Kind) -> impl Iterator<Item = &Node> {
        self.children.iter().filter(move |c| c.kind == kind)
    }

    /// When the node's work started and ended (Unix ms), from its `ts`
    /// (written when it ended) and its latency or elapsed time.
    pub fn span_ms(&self) -> Option<(u64, u64)> {
        let end = self.u64("ts")?;
        let took = match self.kind {
            Kind::Turn => {
                self.u64("latency_ms").unwrap_or(0) + self.f64("elapsed_ms").unwrap_or(0.0) as u64
            }
            Kind::Session => self.f64("elapsed_ms").unwrap_or(0.0) as u64,
            _ => self.u64("latency_ms").unwrap_or(0),
        };
        Some((end.saturating_sub(took), end))
    }

    /// Cost in USD of this node and everything under it, and whether some
    /// call's cost is unknown.
    pub fn cost_usd(&self) -> (f64, bool) {
        (self.sums.cost, self.sums.cost_unknown)
    }

    /// Input and output tokens of this node and everything under it
    /// (saturating: a forged trace cannot wrap them).
    pub fn tokens(&self) -> (u64, u64) {
        self.sums.tokens
    }

    /// Sub-calls under this node, at any depth (recursive sessions
    /// included).
    pub fn subcall_count(&self) -> usize {
        self.sums.subcalls
    }

    /// Computes [`Sums`] from the node's own fields and its children's
    /// totals (the children are complete).
    fn sum_up(&mut self) {
        let mut t = Sums::default();
        if self.kind != Kind::Session {
            t.tokens = (
                self.u64("input_tokens").unwrap_or(0),
                self.u64("output_tokens").unwrap_or(0),
            );
        }
        if matches!(self.kind, Kind::Turn | Kind::SubCall) {
            match self.f64("cost_usd") {
                Some(c) => t.cost += c,
                None => t.cost_unknown |= self.fields.contains_key("input_tokens"),
            }
        }
        for c in &self.children {
            let ct = c.sums;
            t.tokens.0 = t.tokens.0.saturating_add(ct.tokens.0);
            t.tokens.1 = t.tokens.1.saturating_add(ct.tokens.1);
            t.cost += ct.cost;
            t.cost_unknown |= ct.cost_unknown;
            t.subcalls = t
                .subcalls
                .saturating_add(ct.subcalls + usize::from(c.kind == Kind::SubCall));
        }
        self.sums = t;
    }
}

fn kind_of(event: &str) -> Option<Kind> {
    Some(match event {
        "session_start" | "session_end" => Kind::Session,
        "root" | "turn" => Kind::Turn,
        "subcall" => Kind::SubCall,
        "retry" | "cache_error" => return None,
        _ => Kind::Other,
    })
}

/// Reads a trace's text. Lines that are not JSON objects are reported in
/// [`Trajectory::problems`], not fatal: a trace cut short by a killed run
/// still reads.
pub fn read(text: &str) -> Trajectory {
    let mut t = Trajectory {
        t0: u64::MAX,
        ..Trajectory::default()
    };
    let mut nodes: Vec<Node> = Vec::new();
    let mut parent_of: Vec<Option<(u32, u64)>> = Vec::new();
    let mut index: HashMap<(u32, u64), usize> = HashMap::new();
    let mut retries: HashMap<(u32, u64), u32> = HashMap::new();
    let mut run = 0u32;
    let mut seen: std::collections::HashSet<(String, u64)> = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event: Json = match serde_json::from_str(line) {
            Ok(Json::Object(m)) => Json::Object(m),
            Ok(_) => {
                t.problems
                    .push(format!("line {}: not a JSON object", i + 1));
                continue;
            }
            Err(e) => {
                t.problems.push(format!("line {}: {e}", i + 1));
                continue;
            }
        };
        if let Some(ts) = event.get("ts").and_then(Json::as_u64) {
            t.t0 = t.t0.min(ts);
            t.t1 = t.t1.max(ts);
        }
        let name = event.get("event").and_then(Json::as_str).unwrap_or("");
        let id = event.get("id").and_then(Json::as_u64);
        let Some(id) = id else {
            t.notes.push(event);
            continue;
        };
        let Some(kind) = kind_of(name) else {
            if name == "retry" {
                *retries.entry((run, id)).or_default() += 1;
            } else {
                t.notes.push(event);
            }
            continue;
        };
        if !seen.insert((name.to_string(), id)) {
            run += 1;
            seen.clear();
            seen.insert((name.to_string(), id));
        }
        let Json::Object(fields) = event else {
            continue;
        };
        let parent = fields
            .get("parent")
            .and_then(Json::as_u64)
            .map(|p| (run, p));
        match index.get(&(run, id)) {
            Some(&at) if nodes[at].kind == kind => {
                let node = &mut nodes[at];
                for (k, v) in fields {
                    let keep = node.fields.get(&k).is_some_and(|old| !old.is_null());
                    if !keep || k == "ts" || k == "event" {
                        node.fields.insert(k, v);
                    }
                }
                if parent_of[at].is_none() {
                    parent_of[at] = parent;
                }
            }
            _ => {
                index.insert((run, id), nodes.len());
                parent_of.push(parent);
                nodes.push(Node {
                    id,
                    run,
                    kind,
                    fields,
                    retries: 0,
                    children: Vec::new(),
                    sums: Sums::default(),
                });
            }
        }
    }
    for n in &mut nodes {
        n.retries = retries.get(&(n.run, n.id)).copied().unwrap_or(0);
    }
    if t.t0 == u64::MAX {
        t.t0 = 0;
    }
    t.roots = assemble(nodes, &parent_of, &index);
    t
}

/// Puts every node under its parent, deepest first, so that each node is
/// complete before it moves into its parent. Parent links that form a
/// cycle are cut; no node is lost.
fn assemble(
    nodes: Vec<Node>,
    parent_of: &[Option<(u32, u64)>],
    index: &HashMap<(u32, u64), usize>,
) -> Vec<Node> {
    let n = nodes.len();
    let mut parent: Vec<Option<usize>> = parent_of
        .iter()
        .enumerate()
        .map(|(i, p)| p.and_then(|p| index.get(&p).copied()).filter(|&p| p != i))
        .collect();
    // Cut cycles in one pass: walk up from each node not yet seen; a walk
    // that meets its own path closes a cycle, cut at its last link.
    let mut state = vec![0u8; n]; // 0 unseen, 1 on the current walk, 2 done
    for i in 0..n {
        let mut path = Vec::new();
        let mut cur = Some(i);
        while let Some(c) = cur {
            match state[c] {
                2 => break,
                1 => {
                    if let Some(&last) = path.last() {
                        parent[last] = None;
                    }
                    break;
                }
                _ => {
                    state[c] = 1;
                    path.push(c);
                    cur = parent[c];
                }
            }
        }
        for c in path {
            state[c] = 2;
        }
    }
    let mut depth = vec![usize::MAX; n];
    for i in 0..n {
        let mut chain = Vec::new();
        let mut cur = Some(i);
        while let Some(c) = cur {
            if depth[c] != usize::MAX {
                break;
            }
            chain.push(c);
            cur = parent[c];
        }
        let base = cur.map_or(0, |c| depth[c] + 1);
        for (d, &c) in (base..).zip(chain.iter().rev()) {
            depth[c] = d;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(depth[i]));
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    let mut pending: Vec<Vec<(usize, Node)>> = (0..n).map(|_| Vec::new()).collect();
    let mut top = Vec::new();
    for i in order {
        let Some(mut node) = slots[i].take() else {
            continue;
        };
        let mut kids = std::mem::take(&mut pending[i]);
        kids.sort_by_key(|(k, _)| *k);
        node.children = kids.into_iter().map(|(_, k)| k).collect();
        node.sum_up();
        match parent[i] {
            Some(p) => pending[p].push((i, node)),
            None => top.push((i, node)),
        }
    }
    top.sort_by_key(|(k, _)| *k);
    top.into_iter().map(|(_, k)| k).collect()
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    crate::session::truncate::group(n as usize)
}

/// A count and its noun: `1 sub-call`, `2 sub-calls`, `1,000 documents`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group(n), if n == 1 { one } else { many })
}

/// What a set of nodes spent, summed over every call under them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    /// Calls sent to the provider (root turns and sub-calls).
    pub calls: u64,
    /// Calls answered from the reply cache.
    pub cache_hits: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Input tokens the provider read from its prompt cache.
    pub prompt_cache_read_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cost in USD of the calls whose cost is known.
    pub cost_usd: f64,
    /// Whether some call's cost is unknown.
    pub cost_unknown: bool,
    /// What the prompt cache saved, in USD.
    pub prompt_cache_saved_usd: f64,
    /// HTTP attempts repeated after a transient failure.
    pub retries: u64,
    /// Calls that ended in an error.
    pub failures: u64,
}

impl Totals {
    /// The totals of `nodes` and everything under them.
    pub fn of<'a>(nodes: impl IntoIterator<Item = &'a Node>) -> Totals {
        let mut t = Totals::default();
        for n in nodes {
            t.add(n);
        }
        t
    }

    fn add(&mut self, n: &Node) {
        let is_call = n.kind == Kind::SubCall
            || (n.kind == Kind::Turn && n.fields.contains_key("input_tokens"));
        if is_call {
            if n.get("cached").and_then(Json::as_bool) == Some(true) {
                self.cache_hits += 1;
            } else {
                self.calls += 1;
            }
            self.input_tokens = self
                .input_tokens
                .saturating_add(n.u64("input_tokens").unwrap_or(0));
            self.prompt_cache_read_tokens = self
                .prompt_cache_read_tokens
                .saturating_add(n.u64("prompt_cache_read_tokens").unwrap_or(0));
            self.output_tokens = self
                .output_tokens
                .saturating_add(n.u64("output_tokens").unwrap_or(0));
            match n.f64("cost_usd") {
                Some(c) => self.cost_usd += c,
                None => self.cost_unknown = true,
            }
            self.prompt_cache_saved_usd += n.f64("prompt_cache_saved_usd").unwrap_or(0.0);
            self.retries += u64::from(n.retries);
            // A turn's `error` is its code's; a call failed when its own
            // request did (`error_kind` is written for calls only).
            let failed = match n.kind {
                Kind::SubCall => n.get("error").is_some(),
                _ => n.get("error_kind").is_some(),
            };
            self.failures += u64::from(failed);
        }
        for c in &n.children {
            self.add(c);
        }
    }
}

/// A duration in ms as `850 ms`, `12.3 s` or `4 min 05 s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// A cost as `$0.0123`, with `+?` when some cost is unknown (`?` when
/// none is known).
pub fn cost(usd: f64, unknown: bool) -> String {
    if unknown && usd == 0.0 {
        return "$?".to_string();
    }
    let base = if usd == 0.0 {
        "$0".to_string()
    } else if usd < 0.01 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    };
    if unknown {
        format!("{base}+?")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_nest_by_parent_and_merge_by_id() {
        let text = r#"{"event":"session_start","id":1,"parent":null,"question":"q","ts":100}
{"event":"root","id":2,"parent":1,"reply":"```rlq\nx\n```","input_tokens":10,"output_tokens":5,"cost_usd":0.5,"latency_ms":20,"ts":120}
{"event":"subcall","id":3,"parent":2,"reply":"a","input_tokens":3,"output_tokens":1,"cost_usd":0.25,"latency_ms":5,"ts":130}
{"event":"retry","id":3,"attempt":1}
{"event":"session_start","id":5,"parent":2,"question":"inner","ts":131}
{"event":"session_end","id":5,"parent":2,"answer":"in","ts":140}
{"event":"turn","id":2,"parent":1,"turn":1,"code":"x","output":"","ts":141}
not json
{"event":"session_end","id":1,"parent":null,"answer":"42","ts":150}
"#;
        let t = read(text);
        assert_eq!(t.problems.len(), 1);
        assert_eq!(t.roots.len(), 1);
        let s = &t.roots[0];
        assert_eq!(s.kind, Kind::Session);
        assert_eq!(s.str("answer"), Some("42"));
        assert_eq!(s.str("question"), Some("q"));
        let turn = &s.children[0];
        assert_eq!(turn.kind, Kind::Turn);
        assert_eq!(turn.str("code"), Some("x"));
        assert!(turn.str("reply").is_some());
        assert_eq!(turn.children.len(), 2);
        assert_eq!(turn.children[0].retries, 1);
        assert_eq!(turn.children[1].kind, Kind::Session);
        assert_eq!(s.cost_usd(), (0.75, false));
        assert_eq!(s.tokens(), (13, 6));
        assert_eq!(s.subcall_count(), 1);
        assert_eq!((t.t0, t.t1), (100, 150));
    }

    #[test]
    fn appended_runs_are_read_apart() {
        let one = r#"{"event":"session_start","id":1,"question":"a"}
{"event":"root","id":2,"parent":1}
{"event":"session_end","id":1,"answer":"x"}
"#;
        let t = read(&format!("{one}{}", one.replace("\"a\"", "\"b\"")));
        assert_eq!(t.roots.len(), 2);
        assert_eq!(t.roots[1].str("question"), Some("b"));
        assert_eq!(t.roots[1].run, 1);
        assert_eq!(t.roots[0].children.len(), 1);
        assert_eq!(t.roots[1].children.len(), 1);
    }

    #[test]
    fn cycles_and_unknown_parents_do_not_lose_nodes() {
        let text = r#"{"event":"subcall","id":1,"parent":2}
{"event":"subcall","id":2,"parent":1}
{"event":"subcall","id":3,"parent":99}
"#;
        let t = read(text);
        let count: usize = t.roots.iter().map(|r| 1 + r.children.len()).sum();
        assert_eq!(count, 3);
    }
}
