//! Reading a `json=true` reply.
//!
//! Models asked for JSON still wrap it: in a code fence (```` ```json ````),
//! or after a line of prose. The reply is tried as it is, then the inside
//! of its first code fence, then the span from the first `{` or `[` to the
//! last matching `}` or `]`. Anything else is an error carrying the start of
//! the reply.

use serde_json::Value;

/// Characters of the reply quoted when it is not JSON.
pub const EXCERPT_CHARS: usize = 80;

/// The JSON value in `text`, or an excerpt of `text` for the error.
pub fn parse(text: &str) -> Result<Value, String> {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str(t) {
        return Ok(v);
    }
    if let Some(inner) = fenced(t) {
        if let Ok(v) = serde_json::from_str(inner.trim()) {
            return Ok(v);
        }
    }
    for (open, close) in [('{', '}'), ('[', ']')] {
        if let (Some(a), Some(b)) = (t.find(open), t.rfind(close)) {
            if a < b {
                if let Ok(v) = serde_json::from_str(&t[a..=b]) {
                    return Ok(v);
                }
            }
        }
    }
    Err(t.chars().take(EXCERPT_CHARS).collect())
}

/// The body of the first ```` ``` ```` fence, without its info string.
fn fenced(t: &str) -> Option<&str> {
    let start = t.find("```")?;
    let after = &t[start + 3..];
    let body_start = after.find('\n')? + 1;
    let body = &after[body_start..];
    let end = body.find("```").unwrap_or(body.len());
    Some(&body[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_fenced_and_embedded() {
        assert_eq!(parse(" {\"a\": 1} ").unwrap(), json!({"a": 1}));
        assert_eq!(parse("```json\n[1, 2]\n```").unwrap(), json!([1, 2]));
        assert_eq!(parse("```\n\"x\"\n```").unwrap(), json!("x"));
        assert_eq!(
            parse("Here it is: {\"k\": [1]} hope it helps").unwrap(),
            json!({"k": [1]})
        );
        assert_eq!(parse("42").unwrap(), json!(42));
        assert_eq!(parse("not json at all").unwrap_err(), "not json at all");
        assert!(parse("```json\n{broken\n```").is_err());
        assert_eq!(
            parse(&"é".repeat(200)).unwrap_err().chars().count(),
            EXCERPT_CHARS
        );
    }
}
