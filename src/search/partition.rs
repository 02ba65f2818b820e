//! Cutting a text into pieces: before each match, by a character budget, or
//! into a number of nearly equal parts. Every function returns byte ranges
//! in order that cover the text, with no empty piece.

use std::ops::Range;

use crate::context::Source;

use super::{find_all, Matcher};

/// Pieces of `hay` that each start at a match (relative ranges); text before
/// the first match is its own piece if it is not empty.
/// With `max`, at most that many matches are looked for (the pieces after
/// the last are one).
pub fn split_before(hay: &[u8], m: &Matcher, max: Option<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut prev = 0;
    for x in find_all(hay, m, false, max) {
        if x.start > prev {
            out.push(prev..x.start);
            prev = x.start;
        }
    }
    if prev < hay.len() {
        out.push(prev..hay.len());
    }
    out
}

/// Pieces of `range` (absolute ranges) of at most `max_chars` characters,
/// each cut just after a `\n`; a line longer than `max_chars` is cut at
/// `max_chars` characters (on a character boundary). `max_chars` 0 is taken
/// as 1. One pass over the text.
pub fn chunk_by_chars(src: &Source, range: Range<usize>, max_chars: usize) -> Vec<Range<usize>> {
    let end = range.end.min(src.len());
    let mut pos = range.start.min(end);
    let max = max_chars.max(1);
    let bytes = src.bytes();
    src.prepare_char_walk(pos..end);
    let mut out = Vec::new();
    while pos < end {
        let limit = src.char_to_byte(pos..end, max);
        if limit >= end {
            out.push(pos..end);
            break;
        }
        let cut = memchr::memrchr(b'\n', &bytes[pos..limit]).map_or(limit, |i| pos + i + 1);
        out.push(pos..cut);
        pos = cut;
    }
    out
}

/// `n` pieces of `range` (absolute ranges) of nearly equal size, cut at line
/// ends; fewer only when the text has fewer than `n` lines (then one piece
/// per line). `n` 0 is taken as 1.
pub fn chunk_n(src: &Source, range: Range<usize>, n: usize) -> Vec<Range<usize>> {
    let end = range.end.min(src.len());
    let r = range.start.min(end)..end;
    if r.is_empty() {
        return Vec::new();
    }
    let n = n.max(1);
    let lines = src.line_count(r.clone());
    let line_start = |c: usize| src.line_range(r.clone(), c).map_or(r.end, |l| l.start);
    let cuts: Vec<usize> = if lines <= n {
        (0..lines).collect()
    } else {
        let chars = src.char_count(r.clone());
        let mut cuts = vec![0];
        for i in 1..n {
            // Balanced by characters, the unit users see.
            let target_char = ((chars as u128 * i as u128) / n as u128) as usize;
            let target = src.char_to_byte(r.clone(), target_char);
            // The line after the one holding byte `target - 1`.
            let c = src.line_number(r.start, target.saturating_sub(1).max(r.start));
            let lo = cuts[i - 1] + 1;
            let hi = lines - (n - i);
            cuts.push(c.clamp(lo, hi));
        }
        cuts
    };
    let starts: Vec<usize> = cuts.into_iter().map(line_start).collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &s)| s..starts.get(i + 1).copied().unwrap_or(r.end))
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::PatternSpec;

    fn text(src: &Source, pieces: &[Range<usize>]) -> Vec<String> {
        pieces
            .iter()
            .map(|p| String::from_utf8_lossy(&src.bytes()[p.clone()]).into_owned())
            .collect()
    }

    #[test]
    fn split_before_matches() {
        let hay = b"intro\n## A\nx\n## B\ny";
        let m = Matcher::new(&PatternSpec::Regex("^## ".into()), false).unwrap();
        let p = split_before(hay, &m, None);
        let s = Source::from_vec(hay.to_vec());
        assert_eq!(text(&s, &p), ["intro\n", "## A\nx\n", "## B\ny"]);
        let none = Matcher::new(&PatternSpec::Literal("zzz".into()), false).unwrap();
        assert_eq!(split_before(hay, &none, None), vec![0..hay.len()]);
        let empty = Matcher::new(&PatternSpec::Regex("".into()), false).unwrap();
        assert_eq!(split_before(b"ab", &empty, None), vec![0..1, 1..2]);
        assert!(split_before(b"", &m, None).is_empty());
    }

    #[test]
    fn chunk_by_chars_cuts_after_newlines() {
        let s = Source::from_vec("ab\ncd\néééééé\nx".as_bytes().to_vec());
        let p = chunk_by_chars(&s, 0..s.len(), 5);
        assert_eq!(text(&s, &p), ["ab\n", "cd\n", "ééééé", "é\nx"]);
        let all = chunk_by_chars(&s, 0..s.len(), 1000);
        assert_eq!(all, vec![0..s.len()]);
        assert!(chunk_by_chars(&s, 3..3, 5).is_empty());
        assert_eq!(chunk_by_chars(&s, 0..3, 0).len(), 3);
    }

    /// `chunk_by_chars` done by walking characters one at a time.
    fn chunk_by_chars_naive(text: &str, max: usize) -> Vec<Range<usize>> {
        let (mut out, mut pos) = (Vec::new(), 0);
        while pos < text.len() {
            let limit = (text[pos..].char_indices().nth(max)).map_or(text.len(), |(i, _)| pos + i);
            if limit == text.len() {
                out.push(pos..limit);
                break;
            }
            let cut = text[pos..limit].rfind('\n').map_or(limit, |i| pos + i + 1);
            out.push(pos..cut);
            pos = cut;
        }
        out
    }

    #[test]
    fn chunk_by_chars_over_a_large_source_cuts_as_a_character_walk_does() {
        // Past the scan limit, so the character index is built first.
        let line = "naïve café — 東京 line of text\n";
        let text = line.repeat(9 * 1024 * 1024 / line.len() + 1) + "tail without newline ééé";
        let s = Source::from_vec(text.clone().into_bytes());
        for max in [1000, 65_536, 700_000] {
            assert_eq!(
                chunk_by_chars(&s, 0..s.len(), max),
                chunk_by_chars_naive(&text, max)
            );
        }
        assert!(s.index_heap_bytes() > 0, "the index was built");
        // A small part of a fresh copy is scanned, and cut the same way.
        let s = Source::from_vec(text.clone().into_bytes());
        let part = 3 * line.len()..9000 * line.len();
        let cut: Vec<Range<usize>> = chunk_by_chars_naive(&text[part.clone()], 5000)
            .into_iter()
            .map(|r| r.start + part.start..r.end + part.start)
            .collect();
        assert_eq!(chunk_by_chars(&s, part, 5000), cut);
        assert_eq!(s.index_heap_bytes(), 0, "no index for a small part");
    }

    #[test]
    fn chunk_n_even_pieces() {
        let body: String = (0..100).map(|i| format!("line {i:03}\n")).collect();
        let s = Source::from_vec(body.into_bytes());
        let p = chunk_n(&s, 0..s.len(), 4);
        assert_eq!(p.len(), 4);
        assert!(p.iter().all(|r| r.len() == 225), "{p:?}");
        let few = Source::from_vec(b"a\nb\nc".to_vec());
        assert_eq!(
            text(&few, &chunk_n(&few, 0..few.len(), 10)),
            ["a\n", "b\n", "c"]
        );
        // One huge line among short ones still gives n pieces.
        let mut t = "x".repeat(1000);
        t.push_str("\na\nb\nc\n");
        let s = Source::from_vec(t.into_bytes());
        let p = chunk_n(&s, 0..s.len(), 3);
        assert_eq!(p.len(), 3);
        assert_eq!(p.first().map(|r| r.start), Some(0));
        assert_eq!(p.last().map(|r| r.end), Some(s.len()));
        assert!(chunk_n(&s, 0..0, 3).is_empty());
    }
}
