//! Timing rlmq's primitives on a file: what `rlmq bench` runs.
//!
//! [`run`] maps the file once and times, each as the median of several runs
//! after a warm-up:
//!
//! - the **raw scan**, a newline count with memchr's SIMD counter on one
//!   thread: the memory-bandwidth reference every other row is compared to
//!   (and the same on all threads, and on a fresh map of the file);
//! - search: a literal (`count` and `grep`, on all threads and on one), a
//!   literal set, a regex with a usable literal, a regex whose literals are
//!   weak, a regex with no literal, a case-insensitive literal; the regexes
//!   on one thread and on all;
//! - cutting: `partition(size=...)` and `partition(by=...)`;
//! - the indexes: `len(lines(context))` (line index), `len(context)`
//!   (character index), `context[:2000]` and a 2,000-character slice at a
//!   character offset in the middle. Each run of these maps the file afresh,
//!   since the indexes are built once per mapping and then cached: the
//!   time is what a fresh `rlmq run` pays, mapping and unmapping included.
//!
//! Patterns not given on the command line are picked from the file
//! ([`pattern::defaults`]). [`report`] renders the result as a table or as
//! JSON.

pub mod pattern;
pub mod report;
pub mod timing;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use crate::context::Source;
use crate::search::{self, Matcher, PatternSpec, SearchError};
use pattern::Kind;
use timing::{measure, Timing};

/// What to time.
#[derive(Debug, Clone)]
pub struct Options {
    /// Timed runs per primitive; the median is reported. At least 1.
    pub runs: usize,
    /// Untimed runs before the timed ones.
    pub warmup: usize,
    /// Patterns to search for. A pattern of a kind (literal, set, regex)
    /// replaces the one the suite would pick from the file for that kind.
    pub patterns: Vec<PatternSpec>,
    /// What `partition(by=...)` splits before (default `re"^## "`).
    pub split: Option<PatternSpec>,
    /// Piece size of `partition(size=...)`, in characters.
    pub chunk_chars: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runs: 5,
            warmup: 1,
            patterns: Vec::new(),
            split: None,
            chunk_chars: 100_000,
        }
    }
}

/// One timed primitive.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was run, in rlq terms where there is one (`count`, `grep`,
    /// `len(context)`, ...).
    pub primitive: String,
    /// The pattern in rlq syntax, or an empty string.
    pub pattern: String,
    /// Threads the primitive could use.
    pub threads: usize,
    /// What it returned: matches, lines, characters or pieces.
    pub result: u64,
    /// The unit of `result`.
    pub unit: &'static str,
    /// The timed runs.
    pub timing: Timing,
    /// Bytes the primitive reads, for the GB/s column; `None` for the
    /// slices, which read only a little of the file.
    pub bytes: Option<u64>,
}

/// Everything [`run`] measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Threads in the parallel pool.
    pub threads: usize,
    /// Timed runs per primitive.
    pub runs: usize,
    /// Untimed warm-up runs per primitive.
    pub warmup: usize,
    /// The rows, the raw scan first.
    pub rows: Vec<Row>,
    /// Anonymous (private) resident memory of this process at the end, in
    /// bytes, where the system reports it.
    pub rss_anon: Option<u64>,
    /// Peak resident memory of this process (file-backed pages of the map
    /// included), in bytes, where the system reports it.
    pub peak_rss: Option<u64>,
}

impl Report {
    /// Median of the raw scan, the reference of the "× raw scan" column.
    pub fn scan_median(&self) -> Duration {
        self.rows
            .first()
            .map(|r| r.timing.median())
            .unwrap_or_default()
    }
}

/// Why the benchmark could not run.
#[derive(Debug)]
pub enum BenchError {
    /// The file cannot be opened, mapped or read.
    Open(PathBuf, io::Error),
    /// A pattern does not compile.
    Pattern(String, SearchError),
    /// The one-thread pool cannot be built.
    Threads(String),
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Open(p, e) => write!(f, "cannot open context `{}`: {e}", p.display()),
            BenchError::Pattern(p, e) => write!(f, "bad pattern {p}: {e}"),
            BenchError::Threads(e) => write!(f, "cannot start a one-thread pool: {e}"),
        }
    }
}

impl std::error::Error for BenchError {}

/// Compiles `spec`, naming it in the error.
fn compile(spec: &PatternSpec, ignore_case: bool) -> Result<Matcher, BenchError> {
    Matcher::new(spec, ignore_case).map_err(|e| BenchError::Pattern(pattern::display(spec), e))
}

/// The searches of the suite, in the order they are timed.
struct Search {
    primitive: &'static str,
    spec: PatternSpec,
    ignore_case: bool,
    /// Also time it on one thread.
    one_thread: bool,
    /// Collect the matches (with groups) instead of counting them.
    grep: bool,
}

/// The searches: the patterns given, and defaults for the kinds not given.
fn searches(bytes: &[u8], given: &[PatternSpec]) -> Vec<Search> {
    let has = |k: Kind| given.iter().any(|p| pattern::kind(p) == k);
    let d = pattern::defaults(bytes);
    let mut literals: Vec<String> = given
        .iter()
        .filter_map(|p| match p {
            PatternSpec::Literal(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    if !has(Kind::Literal) {
        literals.extend(d.literal);
    }
    let mut sets: Vec<Vec<String>> = given
        .iter()
        .filter_map(|p| match p {
            PatternSpec::Set(l) => Some(l.clone()),
            _ => None,
        })
        .collect();
    if !has(Kind::Set) && d.set.len() >= 2 {
        sets.push(d.set);
    }
    let mut regexes: Vec<(&'static str, String)> = given
        .iter()
        .filter_map(|p| match p {
            PatternSpec::Regex(r) => Some(("count", r.clone())),
            _ => None,
        })
        .collect();
    if !has(Kind::Regex) {
        if let Some(r) = d.regex_literal {
            regexes.push(("count (regex, literal)", r));
        }
        regexes.push((
            "count (regex, weak literal)",
            pattern::WEAK_LITERAL_REGEX.to_string(),
        ));
        regexes.push((
            "count (regex, no literal)",
            pattern::NO_LITERAL_REGEX.to_string(),
        ));
    }
    let mut out = Vec::new();
    for l in literals {
        let spec = PatternSpec::Literal(l);
        out.push(Search {
            primitive: "count",
            spec: spec.clone(),
            ignore_case: false,
            one_thread: true,
            grep: false,
        });
        out.push(Search {
            primitive: "grep",
            spec: spec.clone(),
            ignore_case: false,
            one_thread: false,
            grep: true,
        });
        out.push(Search {
            primitive: "count(ignore_case=true)",
            spec,
            ignore_case: true,
            one_thread: true,
            grep: false,
        });
    }
    for s in sets {
        out.push(Search {
            primitive: "count (set)",
            spec: PatternSpec::Set(s),
            ignore_case: false,
            one_thread: true,
            grep: false,
        });
    }
    for (primitive, r) in regexes {
        out.push(Search {
            primitive,
            spec: PatternSpec::Regex(r),
            ignore_case: false,
            one_thread: true,
            grep: false,
        });
    }
    out
}

/// Newlines in `bytes`, counted on all threads of the current pool.
fn count_newlines_parallel(bytes: &[u8]) -> usize {
    let chunk = (bytes.len() / (4 * rayon::current_num_threads().max(1))).max(1 << 20);
    bytes
        .par_chunks(chunk)
        .map(|c| memchr::memchr_iter(b'\n', c).count())
        .sum()
}

/// Runs the suite on `path`. `progress` is told the name of each primitive
/// before it is timed.
pub fn run(
    path: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, BenchError> {
    let open = || Source::map_file(path).map_err(|e| BenchError::Open(path.to_path_buf(), e));
    let src = open()?;
    let hay = src.bytes();
    let len = hay.len() as u64;
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|_| "rlmq-bench-1".into())
        .build()
        .map_err(|e| BenchError::Threads(e.to_string()))?;
    let all = rayon::current_num_threads().max(1);
    let (warmup, runs) = (opts.warmup, opts.runs.max(1));
    // Compile everything first: a bad pattern fails before any timing.
    let plan: Vec<(Search, Matcher)> = searches(hay, &opts.patterns)
        .into_iter()
        .map(|s| compile(&s.spec, s.ignore_case).map(|m| (s, m)))
        .collect::<Result<_, _>>()?;
    let split_spec = opts
        .split
        .clone()
        .unwrap_or_else(|| PatternSpec::Regex(pattern::SPLIT_REGEX.into()));
    let split = compile(&split_spec, false)?;

    let mut rows = Vec::new();
    let mut time = |primitive: &str,
                    pattern: String,
                    threads: usize,
                    unit: &'static str,
                    bytes: Option<u64>,
                    f: &mut dyn FnMut() -> Result<usize, BenchError>|
     -> Result<(), BenchError> {
        progress(&format!("{primitive} {pattern}"));
        let (result, timing) = measure(warmup, runs, f)?;
        rows.push(Row {
            primitive: primitive.to_string(),
            pattern,
            threads,
            result: result as u64,
            unit,
            timing,
            bytes,
        });
        Ok(())
    };

    // The reference first.
    time(
        "raw scan (memchr \\n count)",
        String::new(),
        1,
        "lines",
        Some(len),
        &mut || Ok(memchr::memchr_iter(b'\n', hay).count()),
    )?;
    time(
        "raw scan (memchr \\n count)",
        String::new(),
        all,
        "lines",
        Some(len),
        &mut || Ok(count_newlines_parallel(hay)),
    )?;
    time(
        "map + raw scan + unmap",
        String::new(),
        1,
        "lines",
        Some(len),
        &mut || {
            let s = open()?;
            Ok(memchr::memchr_iter(b'\n', s.bytes()).count())
        },
    )?;

    for (s, m) in &plan {
        let shown = pattern::display(&s.spec);
        let go = || -> Result<usize, BenchError> {
            Ok(if s.grep {
                search::find_all(hay, m, true, None).len()
            } else {
                search::count(hay, m)
            })
        };
        // `go` only reads: copy it for the parallel run.
        let mut par = go;
        time(
            s.primitive,
            shown.clone(),
            all,
            "matches",
            Some(len),
            &mut par,
        )?;
        if s.one_thread {
            time(s.primitive, shown, 1, "matches", Some(len), &mut || {
                one.install(go)
            })?;
        }
    }

    let size = opts.chunk_chars.max(1);
    time(
        &format!("partition(size={size})"),
        String::new(),
        all,
        "pieces",
        Some(len),
        &mut || {
            let s = open()?;
            Ok(search::chunk_by_chars(&s, 0..s.len(), size).len())
        },
    )?;
    time(
        "partition(by=...)",
        pattern::display(&split_spec),
        all,
        "pieces",
        Some(len),
        &mut || Ok(search::split_before(hay, &split, None).len()),
    )?;
    time(
        "len(lines(context))",
        String::new(),
        all,
        "lines",
        Some(len),
        &mut || {
            let s = open()?;
            Ok(s.line_count(0..s.len()))
        },
    )?;
    time(
        "len(context)",
        String::new(),
        all,
        "chars",
        Some(len),
        &mut || {
            let s = open()?;
            Ok(s.char_count(0..s.len()))
        },
    )?;
    time(
        "context[:2000]",
        String::new(),
        1,
        "bytes",
        None,
        &mut || {
            let s = open()?;
            let end = s.char_to_byte(0..s.len(), 2000);
            Ok(std::hint::black_box(&s.bytes()[..end]).len())
        },
    )?;
    time(
        "context[m:m+2000], m = len/2",
        String::new(),
        all,
        "bytes",
        None,
        &mut || {
            let s = open()?;
            let start = s.char_to_byte(0..s.len(), s.len() / 2);
            let end = s.char_to_byte(start..s.len(), 2000);
            Ok(std::hint::black_box(&s.bytes()[start..end]).len())
        },
    )?;

    let (rss_anon, peak_rss) = memory_status();
    Ok(Report {
        path: path.to_path_buf(),
        bytes: len,
        threads: all,
        runs,
        warmup,
        rows,
        rss_anon,
        peak_rss,
    })
}

/// `RssAnon` and `VmHWM` of this process from `/proc/self/status`, in
/// bytes (`None` where the system does not report them).
pub fn memory_status() -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| {
        status.lines().find_map(|l| {
            let rest = l.strip_prefix(name)?.strip_prefix(':')?;
            let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
            Some(kb * 1024)
        })
    };
    (field("RssAnon"), field("VmHWM"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_on_a_small_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!(
                "## Section {i}: Alpha Beta\n\nuser_id: {i} | label: spam | mail x{i}@host.com caf\u{e9}\n"
            ));
        }
        std::fs::write(&path, &text).unwrap();
        let opts = Options {
            runs: 1,
            warmup: 0,
            ..Options::default()
        };
        let mut seen = Vec::new();
        let r = run(&path, &opts, &mut |p| seen.push(p.to_string())).unwrap();
        assert_eq!(r.bytes, text.len() as u64);
        assert_eq!(r.rows.len(), seen.len());
        let row = |p: &str| r.rows.iter().find(|x| x.primitive == p).unwrap();
        assert_eq!(row("len(lines(context))").result, 6000);
        assert_eq!(row("len(context)").result, text.chars().count() as u64);
        assert_eq!(row("partition(by=...)").result, 2000);
        assert_eq!(row("count (regex, weak literal)").result, 2000);
        assert_eq!(row("raw scan (memchr \\n count)").result, 6000);
        assert!(r.rows.iter().all(|x| x.timing.runs.len() == 1));
        // Every parallel search equals its one-thread run.
        for w in r.rows.windows(2) {
            if w[0].primitive == w[1].primitive && w[0].pattern == w[1].pattern {
                assert_eq!(w[0].result, w[1].result, "{}", w[0].primitive);
            }
        }
    }

    #[test]
    fn given_patterns_replace_defaults_and_bad_ones_fail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, "ERROR one\nwarn two\nERROR three\n").unwrap();
        let opts = Options {
            runs: 1,
            warmup: 0,
            patterns: vec![PatternSpec::Literal("ERROR".into())],
            ..Options::default()
        };
        let r = run(&path, &opts, &mut |_| {}).unwrap();
        let counts: Vec<_> = r.rows.iter().filter(|x| x.primitive == "count").collect();
        assert_eq!(counts.len(), 2);
        assert!(counts
            .iter()
            .all(|x| x.pattern == "\"ERROR\"" && x.result == 2));
        let bad = Options {
            patterns: vec![PatternSpec::Regex("a(b".into())],
            ..opts
        };
        let e = run(&path, &bad, &mut |_| {}).unwrap_err();
        assert!(e.to_string().starts_with("bad pattern re\"a(b\""), "{e}");
        let missing = run(&dir.path().join("nope"), &Options::default(), &mut |_| {}).unwrap_err();
        assert!(
            missing.to_string().starts_with("cannot open context"),
            "{missing}"
        );
    }
}
