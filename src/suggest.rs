//! "Did you mean": the closest known name to a misspelt one.

/// The candidate closest to `name` by normalised Damerau-Levenshtein
/// similarity, if any is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let score = strsim::normalized_damerau_levenshtein(&lower, &c.to_lowercase());
        let prefix = c.len() >= 3 && (lower.starts_with(c) || c.starts_with(lower.as_str()));
        let score = if prefix { score.max(0.7) } else { score };
        if score >= 0.6 && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos() {
        assert_eq!(
            closest("lenght", ["len", "length_of", "lines"]),
            Some("len".to_string())
        );
        assert_eq!(
            closest("grpe", ["grep", "group_by"]),
            Some("grep".to_string())
        );
        assert_eq!(closest("zzzz", ["grep", "len"]), None);
    }
}
