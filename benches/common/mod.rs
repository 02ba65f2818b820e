//! A deterministic English-like text for benchmarks: Zipf-distributed
//! words, sentences and one paragraph per line, `## Section N: Title`
//! headers, OOLONG-like record blocks, e-mail addresses, a few Latin-1 and
//! other non-ASCII words, and RULER-style needles at fixed depths.
//!
//! Shared by `benches/search.rs`, `benches/interpreter.rs` and
//! `examples/probe.rs`; not part of the library.

use std::io::{self, Write};

/// Needle keys planted by [`generate`]; each sentence reads
/// "One of the special magic numbers for KEY is: VALUE.".
pub const NEEDLES: &[(&str, u32)] = &[
    ("jagged-harbor", 2_028_651),
    ("quiet-lantern", 7_310_044),
    ("brittle-orchard", 5_519_203),
    ("jagged-harbor", 9_104_377),
    ("hollow-meadow", 3_871_120),
    ("amber-circuit", 6_402_958),
    ("silent-quarry", 1_187_655),
];

const DEPTHS: &[f64] = &[0.001, 0.10, 0.25, 0.50, 0.75, 0.90, 0.999];

const COMMON: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "was", "for", "on",
    "are", "with", "as", "I", "his", "they", "be", "at", "one", "have", "this", "from", "or",
    "had", "by", "not", "word", "but", "what", "some", "we", "can", "out", "other", "were", "all",
    "there", "when", "up", "use", "your", "how", "said", "an", "each", "she", "which", "do",
    "their", "time", "if", "will", "way", "about", "many", "then", "them", "write", "would",
    "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two", "has", "look",
    "more", "day", "could", "go", "come", "did", "number", "sound", "no", "most", "people", "my",
    "over", "know", "water", "than", "call", "first", "who", "may", "down", "side", "been", "now",
    "find", "harbor", "village", "engineer", "teacher", "doctor", "farmer", "captain", "merchant",
    "traveler", "mountain", "river", "letter", "window",
];

const LATIN: &[&str] = &[
    "café",
    "naïve",
    "Zürich",
    "façade",
    "señor",
    "déjà",
    "über",
    "Ångström",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ran", "te", "vos", "dun", "shi", "pel", "qua", "ber", "nox", "tri", "zel",
    "ma", "gor", "fen", "li", "sto", "un", "wick", "har", "ol", "ept",
];
const LABELS: &[&str] = &[
    "spam", "ham", "news", "sports", "tech", "health", "travel", "food",
];

/// xorshift64*: tiny, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Roughly Zipf: small indexes much more likely.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

fn pseudo_words(r: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            (0..2 + r.below(3))
                .map(|_| SYLLABLES[r.below(SYLLABLES.len())])
                .collect()
        })
        .collect()
}

/// Writes about `size` bytes of text from `seed` to `out`.
pub fn generate(out: &mut impl Write, size: u64, seed: u64) -> io::Result<u64> {
    let mut r = Rng::new(seed);
    let rare = pseudo_words(&mut r, 40_000);
    let mut written = 0u64;
    let mut needle = 0;
    let mut section = 0;
    let mut line = String::with_capacity(4096);
    while written < size {
        line.clear();
        if needle < DEPTHS.len() && written as f64 >= DEPTHS[needle] * size as f64 {
            let (key, value) = NEEDLES[needle];
            line.push_str(&format!(
                "One of the special magic numbers for {key} is: {value}.\n"
            ));
            needle += 1;
        } else {
            match r.below(100) {
                0 => {
                    section += 1;
                    let t = &rare[r.below(rare.len())];
                    line.push_str(&format!("\n## Section {section}: {t}\n\n"));
                }
                1..=4 => {
                    for _ in 0..1 + r.below(12) {
                        let year = 2019 + r.below(6);
                        line.push_str(&format!(
                            "user_id: {} | date: {year}-{:02}-{:02} | label: {}\n",
                            10_000 + r.below(90_000),
                            1 + r.below(12),
                            1 + r.below(28),
                            LABELS[r.zipf(LABELS.len())],
                        ));
                    }
                }
                _ => paragraph(&mut r, &rare, &mut line),
            }
        }
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    Ok(written)
}

fn paragraph(r: &mut Rng, rare: &[String], line: &mut String) {
    for s in 0..2 + r.below(7) {
        if s > 0 {
            line.push(' ');
        }
        for w in 0..5 + r.below(18) {
            if w > 0 {
                line.push(' ');
            }
            let word: &str = match r.below(1000) {
                0..=1 => LATIN[r.below(LATIN.len())],
                2 => {
                    let n = r.below(1000);
                    line.push_str(&format!(
                        "{}{n}@{}.com",
                        rare[r.below(rare.len())],
                        rare[r.below(200)]
                    ));
                    continue;
                }
                3..=599 => COMMON[r.zipf(COMMON.len())],
                _ => &rare[r.zipf(rare.len())],
            };
            if w == 0 {
                let mut cs = word.chars();
                if let Some(c) = cs.next() {
                    line.extend(c.to_uppercase());
                    line.push_str(cs.as_str());
                }
            } else {
                line.push_str(word);
            }
        }
        line.push('.');
        if r.below(20) == 0 {
            // Two spaces after a full stop, now and then.
            line.push(' ');
        }
    }
    line.push('\n');
}

/// The generated text in memory.
#[allow(dead_code)]
pub fn generate_vec(size: u64, seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(size as usize + 8192);
    generate(&mut v, size, seed).expect("writing to a Vec cannot fail");
    v
}
