//! A backtracking matcher that steps over whole characters, for the capture
//! groups of a match already found.
//!
//! The regex crate's bounded backtracker walks the byte-level NFA (several
//! states per UTF-8 character) and clears a visited set sized by states
//! times match length before every search. Over a match of a pattern such as
//! `^(.*) \|\| (\w+)$` it steps through every character forth and back that
//! way. [`Program`] is compiled from the pattern's HIR instead: a literal is
//! one comparison, a class one character, and a repetition of a class takes
//! its run in one loop and gives characters back one at a time, skipping
//! straight to the places where the literal that follows can start.
//!
//! It tries alternatives in the order the regex crate's NFA does (the same
//! shape for alternations, optional and repeated parts), so over the bounds
//! of a leftmost-first match the first path that reaches the end is that
//! match and its groups are the ones the crate reports. With no visited set
//! it only takes patterns where no unbounded repetition of a sub-pattern can
//! match the empty string, and gives up past a step budget proportional to
//! the match length: the caller then uses the crate's engines.

use regex_automata::util::look::{Look, LookMatcher};
use regex_syntax::hir::{Class, Hir, HirKind};

use super::group_table::UNSET;

/// Programs longer than this are not built.
const MAX_PROGRAM: usize = 10_000;
/// Steps allowed per byte of a match (plus one program length) before the
/// search gives up.
const STEPS_PER_BYTE: usize = 64;

/// One character class.
struct Set {
    /// Which ASCII bytes match.
    ascii: [bool; 128],
    /// The class is every character but `\n` (`.`): a run is the rest of
    /// the line, as far as it is valid UTF-8.
    dot: bool,
    /// For a byte class: which bytes 0x80..=0xFF match (bit `b - 0x80`).
    /// A byte class steps one byte; a Unicode class one UTF-8 character.
    high: Option<u128>,
    /// A Unicode class's ranges above ASCII, sorted.
    ranges: Box<[(char, char)]>,
}

impl Set {
    fn new(c: &Class) -> Set {
        let mut ascii = [false; 128];
        let mut add_ascii = |lo: u32, hi: u32| {
            for b in lo..=hi.min(0x7F) {
                ascii[b as usize] = true;
            }
        };
        let mut high = None;
        let mut ranges = Vec::new();
        match c {
            Class::Bytes(b) => {
                let mut bits = 0u128;
                for r in b.ranges() {
                    add_ascii(u32::from(r.start()), u32::from(r.end()));
                    for x in r.start().max(0x80)..=r.end() {
                        bits |= 1 << (x - 0x80);
                    }
                }
                high = Some(bits);
            }
            Class::Unicode(u) => {
                for r in u.ranges() {
                    add_ascii(u32::from(r.start()), u32::from(r.end()));
                    if u32::from(r.end()) >= 0x80 {
                        ranges.push((r.start().max('\u{80}'), r.end()));
                    }
                }
            }
        }
        let dot = ranges.len() == 1
            && ranges[0] == ('\u{80}', char::MAX)
            && (0..128).all(|b| ascii[b] == (b != usize::from(b'\n')));
        Set {
            ascii,
            dot,
            high,
            ranges: ranges.into_boxed_slice(),
        }
    }

    /// Where one character of the class at `at` ends, if one starts there
    /// and ends by `end`.
    #[inline(always)]
    fn step(&self, hay: &[u8], at: usize, end: usize) -> Option<usize> {
        let b = *hay[..end].get(at)?;
        if b < 0x80 {
            return self.ascii[usize::from(b)].then_some(at + 1);
        }
        if let Some(high) = self.high {
            return (high & (1 << (b - 0x80)) != 0).then_some(at + 1);
        }
        if self.ranges.is_empty() {
            return None;
        }
        let len = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return None,
        };
        let bytes = hay[..end].get(at..at + len)?;
        let c = std::str::from_utf8(bytes).ok()?.chars().next()?;
        let i = self.ranges.partition_point(|r| r.1 < c);
        (self.ranges.get(i)?.0 <= c).then_some(at + len)
    }

    /// Where a run of at most `max` characters of the class from `at` ends
    /// (by `end`).
    #[inline]
    fn run(&self, hay: &[u8], at: usize, end: usize, max: u32) -> usize {
        if self.dot && max == u32::MAX {
            let line = memchr::memchr(b'\n', &hay[at..end]).map_or(end, |i| at + i);
            return match std::str::from_utf8(&hay[at..line]) {
                Ok(_) => line,
                Err(e) => at + e.valid_up_to(),
            };
        }
        let mut p = at;
        let mut n = 0;
        while n < max {
            match hay[..end].get(p) {
                Some(&b) if b < 0x80 && self.ascii[usize::from(b)] => p += 1,
                Some(&b) if b < 0x80 => break,
                _ => match self.step(hay, p, end) {
                    Some(q) => p = q,
                    None => break,
                },
            }
            n += 1;
        }
        p
    }

    /// The start of the character of the class that ends at `at`, which
    /// [`step`](Self::step) took.
    #[inline]
    fn back(&self, hay: &[u8], at: usize) -> usize {
        let mut p = at - 1;
        if self.high.is_none() {
            while hay[p] & 0xC0 == 0x80 {
                p -= 1;
            }
        }
        p
    }

    /// The last place in `floor..=at` that a run of the class which took
    /// `floor..at` can give back to and where byte `next` (if known) stands
    /// before `end`.
    #[inline]
    fn settle(
        &self,
        hay: &[u8],
        floor: usize,
        at: usize,
        end: usize,
        next: Option<u8>,
    ) -> Option<usize> {
        let Some(b) = next else {
            return Some(at);
        };
        let top = (at + 1).min(end);
        if floor >= top {
            return None;
        }
        // An ASCII byte or a lead byte inside valid UTF-8 starts a
        // character: every place found is one the run can give back to.
        if !(0x80..0xC0).contains(&b) || self.high.is_some() {
            return memchr::memrchr(b, &hay[floor..top]).map(|i| floor + i);
        }
        let mut p = at;
        loop {
            if p < end && hay[p] == b {
                return Some(p);
            }
            if p == floor {
                return None;
            }
            p = self.back(hay, p);
        }
    }
}

/// How a run of a [`Program`] from a given start ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The match ends here; its groups were written.
    Match(usize),
    /// No match starts there.
    NoMatch,
    /// The step budget ran out: another engine must answer.
    GaveUp,
}

/// One instruction.
enum Inst {
    /// These bytes.
    Lit(Box<[u8]>),
    /// One character of a class.
    Class(Set),
    /// `min..=max` characters of a class, as many as possible first when
    /// greedy, as few as possible otherwise. `next` is the first byte of
    /// the literal that must follow, if one must.
    Repeat {
        set: Set,
        min: u32,
        max: u32,
        greedy: bool,
        next: Option<u8>,
    },
    /// An assertion about the position.
    Look(Look),
    /// Record the position in a slot.
    Save(usize),
    /// Go on at the first target; on failure, at the second.
    Split(usize, usize),
    /// Go on at the target.
    Jump(usize),
    /// The end of the pattern.
    Match,
}

/// An alternative to come back to, or an undo.
enum Frame {
    /// Try instruction `pc` at `at`.
    Alt { pc: usize, at: usize },
    /// Put a slot back.
    Restore { slot: usize, old: usize },
    /// A greedy repetition (instruction `pc - 1`) that ended at `at` gives
    /// one character back, down to `floor`.
    GiveBack { pc: usize, floor: usize, at: usize },
    /// A lazy repetition (instruction `pc`) that took `n` characters up to
    /// `at` takes one more.
    TakeMore { pc: usize, at: usize, n: u32 },
}

/// A pattern compiled for [`Program::captures`].
pub(crate) struct Program {
    insts: Vec<Inst>,
    slots: usize,
    look: LookMatcher,
}

/// Scratch space for one searcher.
#[derive(Default)]
pub(crate) struct Scratch {
    stack: Vec<Frame>,
    slots: Vec<usize>,
}

impl Program {
    /// The program for `hir`, or `None` when the pattern is not one it takes
    /// (an unbounded repetition of something that can match the empty
    /// string) or is too big.
    pub(crate) fn new(hir: &Hir) -> Option<Program> {
        let mut p = Program {
            insts: Vec::new(),
            slots: 0,
            look: LookMatcher::new(),
        };
        p.compile(hir)?;
        p.insts.push(Inst::Match);
        p.link_literals();
        Some(p)
    }

    /// Tells each repetition the first byte of the literal right after it
    /// (past any group boundaries).
    fn link_literals(&mut self) {
        for i in 0..self.insts.len() {
            if !matches!(self.insts[i], Inst::Repeat { .. }) {
                continue;
            }
            let after = self.insts[i + 1..]
                .iter()
                .find(|x| !matches!(x, Inst::Save(_)));
            let first = match after {
                Some(Inst::Lit(l)) => l.first().copied(),
                _ => None,
            };
            if let Inst::Repeat { next, .. } = &mut self.insts[i] {
                *next = first;
            }
        }
    }

    fn push(&mut self, i: Inst) -> Option<usize> {
        if self.insts.len() >= MAX_PROGRAM {
            return None;
        }
        self.insts.push(i);
        Some(self.insts.len() - 1)
    }

    fn compile(&mut self, h: &Hir) -> Option<()> {
        match h.kind() {
            HirKind::Empty => {}
            HirKind::Literal(l) => {
                self.push(Inst::Lit(l.0.clone()))?;
            }
            HirKind::Class(c) => {
                self.push(Inst::Class(Set::new(c)))?;
            }
            HirKind::Look(l) => {
                // Both crates number assertions alike.
                self.push(Inst::Look(Look::from_repr(l.as_repr())?))?;
            }
            HirKind::Capture(c) => {
                let slot = 2 * c.index as usize;
                self.slots = self.slots.max(slot + 2);
                self.push(Inst::Save(slot))?;
                self.compile(&c.sub)?;
                self.push(Inst::Save(slot + 1))?;
            }
            HirKind::Concat(subs) => {
                for s in subs {
                    self.compile(s)?;
                }
            }
            HirKind::Alternation(subs) => {
                let mut jumps = Vec::new();
                for (i, s) in subs.iter().enumerate() {
                    if i + 1 == subs.len() {
                        self.compile(s)?;
                        break;
                    }
                    let split = self.push(Inst::Split(0, 0))?;
                    self.compile(s)?;
                    jumps.push(self.push(Inst::Jump(0))?);
                    self.insts[split] = Inst::Split(split + 1, self.insts.len());
                }
                let end = self.insts.len();
                for j in jumps {
                    self.insts[j] = Inst::Jump(end);
                }
            }
            HirKind::Repetition(r) => {
                if let HirKind::Class(c) = r.sub.kind() {
                    self.push(Inst::Repeat {
                        set: Set::new(c),
                        min: r.min,
                        max: r.max.unwrap_or(u32::MAX),
                        greedy: r.greedy,
                        next: None,
                    })?;
                    return Some(());
                }
                for _ in 0..r.min {
                    self.compile(&r.sub)?;
                }
                let order = |next: usize, out: usize| {
                    if r.greedy {
                        Inst::Split(next, out)
                    } else {
                        Inst::Split(out, next)
                    }
                };
                match r.max {
                    None => {
                        if r.sub.properties().minimum_len() == Some(0) {
                            return None;
                        }
                        let split = self.push(Inst::Split(0, 0))?;
                        self.compile(&r.sub)?;
                        self.push(Inst::Jump(split))?;
                        self.insts[split] = order(split + 1, self.insts.len());
                    }
                    Some(max) => {
                        // Nested, all to one end: `x{0,2}` is `(?:x(?:x)?)?`.
                        let mut splits = Vec::new();
                        for _ in r.min..max {
                            splits.push(self.push(Inst::Split(0, 0))?);
                            self.compile(&r.sub)?;
                        }
                        let end = self.insts.len();
                        for s in splits {
                            self.insts[s] = order(s + 1, end);
                        }
                    }
                }
            }
        }
        Some(())
    }

    /// The leftmost-first match that starts at `start` and ends by `end`
    /// (no byte at or past `end` is read; look-around sees the whole
    /// haystack), with the slots of its groups 1.. in `out` (two a group,
    /// [`UNSET`] where a group took no part). The first path that reaches
    /// the end of the pattern is that match, so its end need not be known;
    /// with `to_end`, it is known to be `end` (the groups of a match already
    /// found), and a path that ends elsewhere means the search was wrong.
    pub(crate) fn run(
        &self,
        s: &mut Scratch,
        hay: &[u8],
        start: usize,
        end: usize,
        to_end: bool,
        out: &mut [usize],
    ) -> Outcome {
        s.stack.clear();
        s.slots.clear();
        s.slots.resize(self.slots, UNSET);
        let mut budget = (end - start + 1)
            .saturating_mul(STEPS_PER_BYTE)
            .saturating_add(self.insts.len());
        let mut pc = 0;
        let mut at = start;
        loop {
            if budget == 0 {
                return Outcome::GaveUp;
            }
            budget -= 1;
            let ok = match &self.insts[pc] {
                Inst::Lit(l) => match hay[..end].get(at..at + l.len()) {
                    Some(b) if b[0] == l[0] && b == &l[..] => {
                        at += l.len();
                        true
                    }
                    _ => false,
                },
                Inst::Class(set) => match set.step(hay, at, end) {
                    Some(p) => {
                        at = p;
                        true
                    }
                    None => false,
                },
                Inst::Repeat {
                    set,
                    min,
                    max,
                    greedy,
                    next,
                } => {
                    let mut n = 0;
                    let mut p = Some(at);
                    while n < *min {
                        p = p.and_then(|p| set.step(hay, p, end));
                        n += 1;
                    }
                    match p {
                        None => false,
                        Some(floor) => {
                            at = floor;
                            if *greedy {
                                let more = if *max == u32::MAX { *max } else { max - n };
                                at = set.run(hay, floor, end, more);
                                budget = budget.saturating_sub(at - floor);
                                match set.settle(hay, floor, at, end, *next) {
                                    Some(p) => {
                                        if p > floor {
                                            s.stack.push(Frame::GiveBack {
                                                pc: pc + 1,
                                                floor,
                                                at: p,
                                            });
                                        }
                                        at = p;
                                        true
                                    }
                                    None => false,
                                }
                            } else {
                                if n < *max {
                                    s.stack.push(Frame::TakeMore { pc, at, n });
                                }
                                true
                            }
                        }
                    }
                }
                Inst::Look(l) => self.look.matches(*l, hay, at),
                Inst::Save(slot) => {
                    s.stack.push(Frame::Restore {
                        slot: *slot,
                        old: s.slots[*slot],
                    });
                    s.slots[*slot] = at;
                    true
                }
                Inst::Split(a, b) => {
                    s.stack.push(Frame::Alt { pc: *b, at });
                    pc = *a;
                    continue;
                }
                Inst::Jump(t) => {
                    pc = *t;
                    continue;
                }
                Inst::Match if at == end || !to_end => {
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = s.slots.get(i + 2).copied().unwrap_or(UNSET);
                    }
                    return Outcome::Match(at);
                }
                // The first path to the end of the pattern is the
                // leftmost-first match, and it does not end at `end`.
                Inst::Match => return Outcome::NoMatch,
            };
            if ok {
                pc += 1;
                continue;
            }
            // Backtrack to the most recent alternative.
            loop {
                match s.stack.pop() {
                    None => return Outcome::NoMatch,
                    Some(Frame::Restore { slot, old }) => s.slots[slot] = old,
                    Some(Frame::Alt { pc: p, at: a }) => {
                        pc = p;
                        at = a;
                        break;
                    }
                    Some(Frame::GiveBack {
                        pc: p,
                        floor,
                        at: a,
                    }) => {
                        let Inst::Repeat { set, next, .. } = &self.insts[p - 1] else {
                            return Outcome::GaveUp;
                        };
                        let Some(b) = set.settle(hay, floor, set.back(hay, a), end, *next) else {
                            continue;
                        };
                        if b > floor {
                            s.stack.push(Frame::GiveBack {
                                pc: p,
                                floor,
                                at: b,
                            });
                        }
                        pc = p;
                        at = b;
                        break;
                    }
                    Some(Frame::TakeMore { pc: p, at: a, n }) => {
                        let Inst::Repeat { set, max, .. } = &self.insts[p] else {
                            return Outcome::GaveUp;
                        };
                        let Some(b) = set.step(hay, a, end) else {
                            continue;
                        };
                        if n + 1 < *max {
                            s.stack.push(Frame::TakeMore {
                                pc: p,
                                at: b,
                                n: n + 1,
                            });
                        }
                        pc = p + 1;
                        at = b;
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::matcher::parse;

    fn program(p: &str) -> Option<Program> {
        Program::new(&parse(p, false).unwrap())
    }

    /// Groups from the program over each of the regex crate's matches,
    /// against the crate's own.
    fn check(p: &str, hay: &str) {
        let prog = program(p).unwrap();
        let re = regex::RegexBuilder::new(p)
            .multi_line(true)
            .build()
            .unwrap();
        let mut s = Scratch::default();
        for c in re.captures_iter(hay) {
            let m = c.get(0).unwrap();
            let mut out = vec![0; 2 * (c.len() - 1)];
            assert!(
                prog.run(&mut s, hay.as_bytes(), m.start(), m.end(), true, &mut out)
                    == Outcome::Match(m.end()),
                "{p:?} over {hay:?}"
            );
            let want: Vec<usize> = (1..c.len())
                .flat_map(|g| c.get(g).map_or([UNSET, UNSET], |g| [g.start(), g.end()]))
                .collect();
            assert_eq!(out, want, "{p:?} over {hay:?}");
        }
    }

    #[test]
    fn groups_as_the_regex_crate_reports_them() {
        let row = "Date: 2024-03-01 || User: 12 || Instance: a || b || Label: x\r\n\
                   Date: 2024-03-02 || User: 7 || Instance: é ✓ 😀 || Label: Σας\n";
        check(
            r"^Date: (\d{4}-\d{2}-\d{2}) \|\| User: (\d+) \|\| Instance: (.*) \|\| Label: (\w+)$",
            row,
        );
        check(r"(.*) \|\| (.*?) \|\| (.+)\r?$", row);
        let text = "ab abc abcd bcd\r\nab\n\naaa b  é-é 12 x1y2\n";
        for p in [
            r"(a)|(b)",
            r"(x)?(y)?",
            r"()",
            r"(a*)(b*)",
            r"(\w*?)(\d+)",
            r"(.*?)(\d+)",
            r"(a|ab)(c|bcd)(d*)",
            r"(?:(a)|b)+",
            r"((a)|(b))+?",
            r"(\s+)(\S+)",
            r"(\w{2,4}?)(\w{0,3})",
            r"(a{2}|b{1,3})+",
            r"(a*){0,3}(b)",
            r"(?:(a)|(b)){2,}",
            r"(é+)(.)",
            r"(?i)(AB)(C?)",
            r"(\b\w+\b)\s(\b\w+)\b",
            r"^(.*)$",
            r"(?s)(b.*?)(\n\n)",
            r"(?-u:(\w+))",
        ] {
            check(p, text);
        }
    }

    #[test]
    fn refuses_unbounded_repetitions_of_empty_matches() {
        assert!(program("(a*)*").is_none());
        assert!(program("(?:a|)+b").is_none());
        assert!(program("(a*){0,3}").is_some());
        assert!(program("(a+)*").is_some());
    }

    #[test]
    fn gives_up_past_its_budget() {
        // The first branch fails only after trying both groups for every
        // a.
        let p = program("(?:(a)|(a))*x|(a*)").unwrap();
        let hay = "a".repeat(40);
        let mut out = vec![0; 6];
        let mut s = Scratch::default();
        assert_eq!(
            p.run(&mut s, hay.as_bytes(), 0, hay.len(), true, &mut out),
            Outcome::GaveUp
        );
        assert_eq!(
            p.run(&mut s, b"aa", 0, 2, true, &mut out),
            Outcome::Match(2)
        );
        assert_eq!(out, [UNSET, UNSET, UNSET, UNSET, 0, 2]);
    }
}
