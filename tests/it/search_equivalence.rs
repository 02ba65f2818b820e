//! The parallel search equals one sequential iteration, and the sequential
//! iteration equals the regex crate, for many patterns over generated texts
//! (every strategy checked against the others).
//!
//! Chunk sizes are forced small so that chunk boundaries fall everywhere:
//! inside matches, between `\r` and `\n`, inside runs of blank lines and
//! inside multi-byte characters' lines.

use super::common::Rng;
use rlmq::search::{
    count, count_with_chunk_size, find_all, find_all_sequential, find_all_with_chunk_size,
    find_first, is_match, Matcher, PatternSpec, RawMatch,
};

const WORDS: &[&str] = &[
    "the",
    "the",
    "the",
    "a",
    "a",
    "ab",
    "abc",
    "bcd",
    "x",
    "of",
    "and",
    "Sherlock",
    "Holmes",
    "café",
    "é",
    "naïve",
    "✓",
    "日本語",
    "😀",
    "line",
    "42",
    "2023",
    "END",
    "BEGIN",
    "K",
    "k",
    "straße",
    "ΣΑΣ",
    "foo_bar",
    "x1",
    "THE",
    "The",
];

const SEPS: &[&str] = &[
    " ", " ", " ", " ", " ", "  ", "\t", ", ", ". ", "\n", "\n", "\n\n", "\r\n", "\n \n", " \n",
    "\n\n\n", "",
];

/// Text of about `len` bytes; with `garbage`, stray invalid UTF-8 bytes too.
fn text(seed: u64, len: usize, garbage: bool) -> Vec<u8> {
    let mut r = Rng(seed | 1);
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        match r.below(200) {
            0 if garbage => out.extend_from_slice(&[0xFF, 0x80, 0xBF][..1 + r.below(3)]),
            1 => {
                let n = r.below(40);
                out.extend_from_slice(format!("user{n}@host{n}.com").as_bytes());
            }
            2 => {
                // A long line now and then.
                for _ in 0..r.below(3000) {
                    out.extend_from_slice(WORDS[r.below(WORDS.len())].as_bytes());
                    out.push(b' ');
                }
            }
            _ => {
                out.extend_from_slice(WORDS[r.below(WORDS.len())].as_bytes());
                out.extend_from_slice(SEPS[r.below(SEPS.len())].as_bytes());
            }
        }
    }
    out
}

const REGEXES: &[&str] = &[
    "the",
    r"\bthe\b",
    r"(?i)the",
    r"\w+",
    r"\d+",
    r"[A-Z][a-z]+ [A-Z][a-z]+",
    r"(\w+)@(\w+)\.com",
    r"(?P<word>[a-z]+)(?:, )?(\d+)?",
    r"^",
    r"$",
    r"^$",
    r"^\s*$",
    r"^\w+",
    r"\w+$",
    r"\A",
    r"\z",
    r"\A\w+",
    r"\w+\z",
    r"",
    r"x*",
    r"a|",
    r"|a",
    r"(?:)",
    r"\b",
    r"\B",
    r"\s",
    r"\s+",
    r"\s+?",
    r"\s*",
    r"\n",
    r"\n+",
    r"\n\n",
    r"\r\n",
    r"\r$",
    r"$\n^",
    r"a\nb",
    r"e\s+t",
    r"(?s)\n.{0,3}\n",
    r"[\s\S]{1,5}",
    r"(?s)BEGIN.*?END",
    r"(?s)b.{0,40}e",
    r"[^a-z]+",
    r"[^x]+",
    r"(a|ab)(c|bcd)",
    r"x{0}",
    r"(?U)\s+",
    r"é+",
    r"\p{L}+",
    r"\p{Greek}+",
    r"✓|😀",
    r"[^\x00-\x7F]+",
    r".",
    r"^.*$",
    r".*",
    r"(?s).",
    r"(?i)straße|σας",
    r"(?-u:\xFF)",
    r"(?-u:[\x80-\xFF])+",
    r"(?-u:.)",
    // Unicode word boundaries: searched a line at a time (see line_filter).
    r"\b\w+@\w+\.com\b",
    r"\b[A-Z]\w*\b",
    r"\B\w+\B",
    r"\b{start}\w+\b{end}",
    r"\<the\>",
    r"^\b|\b$",
    r"\b(\w+) (\w+)\b",
    r"(?i)\bSTRASSE\b|\bσας\b",
];

/// Patterns whose workers read to the end of the haystack: only on small texts.
const HEAVY: &[&str] = &[r"(?s).*", r"(?s)^.*", r"(?s).+x", r"[^\x00]+"];

fn regex(p: &str, ic: bool) -> Matcher {
    Matcher::new(&PatternSpec::Regex(p.to_string()), ic).unwrap()
}

fn pairs(ms: &[RawMatch]) -> Vec<(usize, usize)> {
    ms.iter().map(|m| (m.start, m.end)).collect()
}

/// Checks every driver path of `m` against the sequential one on `hay`.
fn check_paths(hay: &[u8], m: &Matcher, what: &str, chunk_sizes: &[usize], maxes: &[usize]) {
    let want = find_all_sequential(hay, m, true, None);
    let want_pairs = pairs(&want);
    for &size in chunk_sizes {
        let got = find_all_with_chunk_size(hay, m, true, None, size);
        if got != want {
            let at = got.iter().zip(&want).position(|(a, b)| a != b);
            panic!(
                "{what}: chunk {size}: {} vs {} matches, first difference at {at:?}: {:?} vs {:?}",
                got.len(),
                want.len(),
                at.and_then(|i| got.get(i)),
                at.and_then(|i| want.get(i)),
            );
        }
        assert_eq!(
            count_with_chunk_size(hay, m, size),
            want.len(),
            "{what}: count, chunk {size}"
        );
        for &max in maxes {
            let got = find_all_with_chunk_size(hay, m, false, Some(max), size);
            assert_eq!(
                pairs(&got),
                want_pairs[..max.min(want.len())],
                "{what}: max {max}, chunk {size}"
            );
            let got = find_all_with_chunk_size(hay, m, true, Some(max), size);
            assert_eq!(
                got,
                want[..max.min(want.len())],
                "{what}: max {max} with groups, chunk {size}"
            );
        }
    }
    assert_eq!(
        pairs(&find_all(hay, m, false, None)),
        want_pairs,
        "{what}: auto"
    );
    assert_eq!(count(hay, m), want.len(), "{what}: auto count");
    assert_eq!(
        find_first(hay, m, true),
        want.first().cloned(),
        "{what}: first"
    );
    assert_eq!(is_match(hay, m), !want.is_empty(), "{what}: is_match");
}

/// Checks the sequential iteration against the regex crate's `str` API.
fn check_against_regex_crate(hay: &str, p: &str, ic: bool, m: &Matcher) {
    let Ok(re) = regex::RegexBuilder::new(p)
        .multi_line(true)
        .case_insensitive(ic)
        .build()
    else {
        return; // A bytes-only pattern such as `(?-u:\xFF)`.
    };
    let ours = find_all_sequential(hay.as_bytes(), m, true, None);
    let theirs: Vec<RawMatch> = re
        .captures_iter(hay)
        .map(|c| {
            let m0 = c.get(0).unwrap();
            RawMatch {
                start: m0.start(),
                end: m0.end(),
                groups: if m.group_count() == 0 {
                    vec![]
                } else {
                    (1..c.len()).map(|g| c.get(g).map(|g| g.range())).collect()
                },
            }
        })
        .collect();
    assert_eq!(ours, theirs, "{p:?} (ignore_case {ic}) vs the regex crate");
}

#[test]
fn regexes_on_small_texts_with_tiny_chunks() {
    for seed in 1..=3u64 {
        let garbage = seed == 3;
        let hay = text(seed, 8_000 + seed as usize * 997, garbage);
        for &p in REGEXES.iter().chain(HEAVY) {
            for ic in [false, true] {
                if ic && seed > 2 {
                    continue;
                }
                let m = regex(p, ic);
                let what = format!("seed {seed} {p:?} ic={ic}");
                check_paths(&hay, &m, &what, &[1, 5, 300], &[1, 7]);
                if let Ok(s) = std::str::from_utf8(&hay) {
                    check_against_regex_crate(s, p, ic, &m);
                }
            }
        }
    }
}

/// Patterns that match nearly every character make millions of matches on
/// a multi-megabyte text; the small-text test covers them.
const DENSE: usize = 150_000;

#[test]
fn regexes_on_a_multi_megabyte_text() {
    let hay = text(99, 2 << 20, false);
    let s = std::str::from_utf8(&hay).unwrap();
    for &p in REGEXES {
        let m = regex(p, false);
        if count(&hay, &m) > DENSE {
            continue;
        }
        check_paths(&hay, &m, p, &[4096, 300_000], &[1, 100]);
        check_against_regex_crate(s, p, false, &m);
    }
}

#[test]
fn invalid_utf8_text() {
    let hay = text(7, 1 << 20, true);
    assert!(std::str::from_utf8(&hay).is_err());
    for &p in REGEXES {
        let m = regex(p, false);
        if count(&hay, &m) > DENSE {
            continue;
        }
        check_paths(&hay, &m, p, &[4096], &[1, 100]);
    }
}

#[test]
fn literals_and_sets() {
    let hay = text(5, 512 << 10, false);
    let s = std::str::from_utf8(&hay).unwrap();
    let literals = [
        "the",
        "the ",
        "Sherlock Holmes",
        "é",
        "😀",
        "\n",
        "\n\n",
        "\r\n",
        " \n",
        "zzz",
        "",
        "aa",
        "ΣΑΣ",
        "k",
    ];
    for lit in literals {
        for ic in [false, true] {
            let m = Matcher::new(&PatternSpec::Literal(lit.to_string()), ic).unwrap();
            let what = format!("literal {lit:?} ic={ic}");
            check_paths(&hay, &m, &what, &[64, 4096, 100_000], &[1, 100]);
            let escaped = regex_syntax::escape(lit);
            check_against_regex_crate(s, &escaped, ic, &m);
            if !ic && !lit.is_empty() {
                let want: Vec<usize> = s.match_indices(lit).map(|(i, _)| i).collect();
                let got: Vec<usize> = find_all(&hay, &m, false, None)
                    .iter()
                    .map(|m| m.start)
                    .collect();
                assert_eq!(got, want, "{what} vs str::match_indices");
            }
        }
    }
    let sets: [&[&str]; 6] = [
        &["the", "a", "ab"],
        &["ab", "abc", "bcd"],
        &["Sherlock", "Holmes", "END", "BEGIN"],
        &["\n\n", "\n", " "],
        &["", "a"],
        &["é", "ΣΑΣ", "the"],
    ];
    for set in sets {
        let lits: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        for ic in [false, true] {
            let m = Matcher::new(&PatternSpec::Set(lits.clone()), ic).unwrap();
            let what = format!("set {set:?} ic={ic}");
            check_paths(&hay, &m, &what, &[64, 4096, 100_000], &[1, 100]);
            let alt: Vec<String> = set.iter().map(|l| regex_syntax::escape(l)).collect();
            check_against_regex_crate(s, &format!("(?:{})", alt.join("|")), ic, &m);
        }
    }
    let none = Matcher::new(&PatternSpec::Set(vec![]), false).unwrap();
    assert!(find_all(&hay, &none, false, None).is_empty());
}

#[test]
fn auto_plan_on_a_text_past_the_parallel_threshold() {
    let hay = text(11, 9 << 20, false);
    for p in [
        r"\bthe\b",
        r"\s+",
        r"^$",
        r"(\w+)@(\w+)\.com",
        r"a\nb",
        r"(?s)BEGIN.*?END",
        "",
    ] {
        let m = regex(p, false);
        let want = find_all_sequential(&hay, &m, true, None);
        assert_eq!(find_all(&hay, &m, true, None), want, "{p}");
        assert_eq!(count(&hay, &m), want.len(), "{p}");
        assert_eq!(
            find_all(&hay, &m, false, Some(3)).len(),
            want.len().min(3),
            "{p}"
        );
        // A large max (the memory limit's) takes full-size waves.
        for max in [1 << 20, (1 << 20) + 12_345] {
            assert_eq!(
                pairs(&find_all(&hay, &m, false, Some(max))),
                pairs(&want[..want.len().min(max)]),
                "{p} max {max}"
            );
        }
    }
}

#[test]
fn haystack_slices_are_whole_strings() {
    // `^` and `\A` match at the start of a slice taken mid-line.
    let full = b"xx abc\nabc";
    let hay = &full[3..];
    let m = regex(r"\Aabc|^abc", false);
    let got = pairs(&find_all(hay, &m, false, None));
    assert_eq!(got, vec![(0, 3), (4, 7)]);
}

#[test]
fn degenerate_haystacks() {
    for hay in [&b""[..], b"\n", b"\n\n\n", b"\r\n", b"\xff\xfe", b"a"] {
        for &p in REGEXES.iter().chain(HEAVY) {
            check_paths(hay, &regex(p, false), p, &[1, 2], &[1, 2]);
        }
    }
}

/// A random regex over a tiny alphabet, built so that matches often cross
/// lines, are empty, or depend on anchors and priorities.
fn random_regex(r: &mut Rng, depth: usize) -> String {
    const ATOMS: &[&str] = &[
        "a", "b", " ", r"\n", r"\r", "é", r"\s", ".", "(?s:.)", "[^a]", "[ab]", "^", "$", r"\b",
        r"\B", r"\A", r"\z", "", r"\w", r"\W",
    ];
    if depth == 0 || r.below(3) == 0 {
        return ATOMS[r.below(ATOMS.len())].to_string();
    }
    let a = random_regex(r, depth - 1);
    match r.below(10) {
        0..=2 => format!("{a}{}", random_regex(r, depth - 1)),
        3 | 4 => format!("(?:{a}|{})", random_regex(r, depth - 1)),
        5 => format!("(?:{a})*"),
        6 => format!("(?:{a})+?"),
        7 => format!("({a})?"),
        8 => format!("(?:{a}){{0,3}}"),
        _ => format!("(?:{a})+"),
    }
}

#[test]
fn random_regexes_on_tiny_alphabet_texts() {
    let seed = std::env::var("RLMQ_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xDEC0DE);
    let rounds = std::env::var("RLMQ_FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(250);
    let mut r = Rng(seed);
    for round in 0..rounds {
        let pattern = random_regex(&mut r, 4);
        let Ok(m) = Matcher::new(&PatternSpec::Regex(pattern.clone()), false) else {
            continue;
        };
        let len = 200 + r.below(1500);
        let alphabet: &[&str] = &["a", "b", " ", "\n", "\n", "\r\n", "é", "ab"];
        let mut hay = String::new();
        while hay.len() < len {
            hay.push_str(alphabet[r.below(alphabet.len())]);
        }
        let sizes = [1 + r.below(4), 1 + r.below(40), 1 + r.below(400)];
        let what = format!("seed {seed} round {round} {pattern:?}");
        check_paths(hay.as_bytes(), &m, &what, &sizes, &[1, 3]);
        check_against_regex_crate(&hay, &pattern, false, &m);
    }
}

/// Patterns with capture groups: empty groups, groups that take no part,
/// repeated groups, lazy and greedy runs, Unicode classes, groups across
/// lines, and patterns the character backtracker refuses or gives up on.
const GROUPED: &[&str] = &[
    r"^Date: (\d{4}-\d{2}-\d{2}) \|\| User: (\d+) \|\| Instance: (.*) \|\| Label: (\w+)$",
    r"^Date: (\d{4})-\d{2}-\d{2} \|\| User: (\d+) \|\| Instance: (.*) \|\| Label: (\w+)$",
    r"(.*) \|\| (.*?) \|\| (.+)\r?$",
    r"(a)|(b)",
    r"(x)?(y)?",
    r"()",
    r"(the)(\s*)",
    r"(\w*?)(\d+)",
    r"(.*?)(\d+)",
    r"(a|ab)(c|bcd)(d*)",
    r"(?:(a)|b)+",
    r"((a)|(b))+?",
    r"(\s+)(\S+)",
    r"(\w{2,4}?)(\w{0,3})",
    r"(é+)(.)",
    r"(?i)(straße|ΣΑΣ)\s+(\w+)",
    r"(\p{L}+) (\p{L}+)",
    r"(\b\w+\b) (\w+)\b",
    r"^(.*)$",
    r"^(.*)\r$",
    r"(?s)(BEGIN)(.*?)(END)",
    r"(\r\n)(\w+)",
    r"(\n)(\n+)",
    r"(?:(\w)*)*",
    r"(?:(the)|(\w))+",
    r"(?:(a)|(a))*x|(\w+)",
    r"(?-u:(\xFF))",
    r"^(?:the|a) (\w+)",
    r"^\b(\w+)?",
    r"^(?:(a)|(b)|)",
];

/// OOLONG-like rows, with CRLF ends, Unicode, separators inside the
/// instance, and one row far longer than the regex crate's backtracker
/// takes.
fn rows() -> String {
    let mut r = Rng(77);
    let mut out = String::new();
    for i in 0..400 {
        let instance = match i % 7 {
            0 => "Who wrote it? || twice".to_string(),
            1 => "café ✓ naïve 😀".to_string(),
            2 => String::new(),
            3 if i == 3 => "word ".repeat(20_000),
            _ => (0..r.below(12))
                .map(|_| WORDS[r.below(WORDS.len())])
                .collect::<Vec<_>>()
                .join(" "),
        };
        let label = ["numeric", "entity", "Σας", "x_1", ""][i % 5];
        let end = if i % 3 == 0 { "\r\n" } else { "\n" };
        out.push_str(&format!(
            "Date: 2024-{:02}-{:02} || User: {} || Instance: {instance} || Label: {label}{end}",
            1 + i % 12,
            1 + i % 28,
            r.below(100_000)
        ));
    }
    out
}

#[test]
fn capture_groups_match_the_regex_crate() {
    let rows = rows();
    let mut hays = vec![rows.into_bytes(), text(31, 200_000, false)];
    hays.push(text(32, 100_000, true));
    for (i, hay) in hays.iter().enumerate() {
        for &p in GROUPED {
            let m = regex(p, false);
            let what = format!("haystack {i} {p:?}");
            check_paths(hay, &m, &what, &[4096], &[1]);
            if let Ok(s) = std::str::from_utf8(hay) {
                check_against_regex_crate(s, p, false, &m);
            }
        }
    }
}

/// Patterns whose matches start lines: the grouped search walks their lines
/// (one pass per line for the match and its groups), handing lines without
/// a match, and lines where the character program gives up, to the DFA.
const LINE_STARTING: &[&str] = &[
    r"^Date: (\d{4}-\d{2}-\d{2}) \|\| User: (\d+) \|\| Instance: (.*) \|\| Label: (\w+)$",
    r"^Date: (\d{4})-\d{2}-\d{2} \|\| User: (\d+) \|\| Instance: (.*) \|\| Label: (\w*)",
    r"^(\w*)$",
    r"^(.*)\r$",
    r"^(?:(a)|(a))*x|^(a*)",
    r"^(?:Date|(x)): (\S+)?",
    r"^(\p{L}+) (\w+)",
];

/// Rows, with lines that do not match between them, blank lines, lines
/// the character program gives up on, invalid UTF-8 and (with `last`) a
/// last line with no `\n`.
fn mixed_rows(garbage: bool, last: bool) -> Vec<u8> {
    let mut out = rows().into_bytes();
    let mut r = Rng(5);
    let mut mixed = Vec::new();
    for line in out.split_inclusive(|&b| b == b'\n') {
        mixed.extend_from_slice(line);
        match r.below(6) {
            0 => mixed.extend_from_slice(b"\n"),
            1 => mixed.extend_from_slice(b"not a row: Date: 2024-01-01 || User: 1\n"),
            2 => mixed.extend_from_slice(format!("{}\n", "a".repeat(40)).as_bytes()),
            3 if garbage => mixed.extend_from_slice(b"Date: \xFF\xFE caf\xC3 || User: 9\n"),
            _ => {}
        }
    }
    if last {
        mixed.extend_from_slice(b"Date: 2024-01-01 || User: 3 || Instance: end || Label: last");
    }
    out = mixed;
    out
}

#[test]
fn line_walk_equals_the_sequential_search() {
    for (garbage, last) in [(false, false), (false, true), (true, true)] {
        let hay = mixed_rows(garbage, last);
        for &p in LINE_STARTING {
            let m = regex(p, false);
            let what = format!("line walk {p:?} (garbage {garbage}, last {last})");
            check_paths(&hay, &m, &what, &[1, 7, 300, 4096], &[1, 2, 5, 1000]);
            if let Ok(s) = std::str::from_utf8(&hay) {
                check_against_regex_crate(s, p, false, &m);
            }
        }
    }
    for hay in [&b""[..], b"\n", b"a\n", b"\n\n", b"x"] {
        let m = regex(r"^(\w*)$", false);
        check_paths(
            hay,
            &m,
            &format!("line walk over {hay:?}"),
            &[1, 2],
            &[1, 3],
        );
    }
}

/// A regex searched over many small haystacks in turn (one line at a time,
/// as a loop does) reuses its caches and scratch space from one search to
/// the next: every search must still give what the regex crate gives.
#[test]
fn one_matcher_over_many_small_haystacks() {
    let rows = rows();
    let text = String::from_utf8(text(41, 20_000, false)).unwrap();
    let lines: Vec<&str> = rows
        .lines()
        .take(150)
        .chain(text.lines().take(150))
        .collect();
    for &p in GROUPED {
        let m = regex(p, false);
        for line in &lines {
            check_against_regex_crate(line, p, false, &m);
            let first = find_first(line.as_bytes(), &m, true);
            assert_eq!(
                first,
                find_all_sequential(line.as_bytes(), &m, true, None)
                    .first()
                    .cloned(),
                "{p:?} over {line:?}"
            );
        }
    }
}

/// A matcher with caches of its own (a thread's copy of a regex literal)
/// finds what the regex crate finds, used from two threads at once.
#[test]
fn matchers_with_caches_of_their_own_agree_across_threads() {
    let rows = rows();
    let lines: Vec<&str> = rows.lines().take(200).collect();
    for &p in GROUPED {
        let shared = regex(p, false);
        std::thread::scope(|s| {
            for _ in 0..2 {
                let own = shared.with_own_caches();
                let lines = &lines;
                s.spawn(move || {
                    for line in lines {
                        check_against_regex_crate(line, p, false, &own);
                    }
                });
            }
        });
    }
}
