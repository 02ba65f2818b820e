//! f-strings: splitting `f"...{expr:spec}..."` into text and expressions.
//!
//! The text between replacement fields has its escapes resolved and
//! `{{`/`}}` turned into braces. Each `{...}` runs to the `}` that closes
//! it, skipping brackets and string literals inside (quotes of the other
//! kind are allowed there); a `:` at the top level of the field starts the
//! format spec (`.2f`, `>8`, `,`). The expression is parsed by the same
//! grammar as any other, over its own range of the file, so its spans and
//! errors point into the original source.

use super::ast::FStringPart;
use super::literal::{self, StrToken};
use super::parser;
use super::span::{FileId, Span};
use crate::diag::Diagnostic;

/// The parts of the f-string `tok`, whose body starts at byte `at` of the
/// file. Problems are reported into `diags`.
pub fn parse(
    src: &str,
    file: FileId,
    tok: StrToken<'_>,
    at: usize,
    diags: &mut Vec<Diagnostic>,
) -> Vec<FStringPart> {
    let body = tok.body.as_bytes();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut seg = 0;
    let mut i = 0;
    let flush = |text: &mut String, from: usize, to: usize, diags: &mut Vec<Diagnostic>| {
        text.push_str(&literal::unescape(
            &tok.body[from..to],
            file,
            at + from,
            diags,
        ));
    };
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'{' if body.get(i + 1) == Some(&b'{') => {
                flush(&mut text, seg, i, diags);
                text.push('{');
                i += 2;
                seg = i;
            }
            b'}' if body.get(i + 1) == Some(&b'}') => {
                flush(&mut text, seg, i, diags);
                text.push('}');
                i += 2;
                seg = i;
            }
            b'}' => {
                diags.push(
                    Diagnostic::syntax(
                        Span::new(file, at + i, at + i + 1),
                        "single `}` in an f-string",
                    )
                    .hint("write `}}` for a literal `}`"),
                );
                i += 1;
            }
            b'{' => {
                flush(&mut text, seg, i, diags);
                if !text.is_empty() {
                    parts.push(FStringPart::Text(std::mem::take(&mut text).into()));
                }
                let Some(field) = scan_field(body, i + 1) else {
                    diags.push(
                        Diagnostic::syntax(
                            Span::new(file, at + i, at + i + 1),
                            "unclosed `{` in an f-string",
                        )
                        .hint("close the field with `}`; write `{{` for a literal `{`"),
                    );
                    seg = body.len();
                    break;
                };
                if let Some(part) = field_part(src, file, tok.body, at, i, &field, diags) {
                    parts.push(part);
                }
                i = field.close + 1;
                seg = i;
            }
            _ => i += 1,
        }
    }
    flush(&mut text, seg.min(body.len()), body.len(), diags);
    if !text.is_empty() {
        parts.push(FStringPart::Text(text.into()));
    }
    parts
}

/// Where a replacement field's pieces end, as offsets in the body.
#[derive(Debug, PartialEq, Eq)]
struct Field {
    /// End of the expression.
    expr_end: usize,
    /// Start of a `!r`-style conversion, if any.
    conversion: Option<usize>,
    /// Start of the spec (after the `:`), if any.
    spec: Option<usize>,
    /// The closing `}`.
    close: usize,
}

/// Finds the end of the field whose expression starts at `from`.
fn scan_field(body: &[u8], from: usize) -> Option<Field> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut expr_end = None;
    let mut conversion = None;
    let mut spec = None;
    let mut j = from;
    while j < body.len() {
        let c = body[j];
        if let Some(q) = quote {
            if c == b'\\' {
                j += 1;
            } else if c == q {
                quote = None;
            }
            j += 1;
            continue;
        }
        match c {
            b'"' | b'\'' if spec.is_none() => quote = Some(c),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' if depth > 0 => depth -= 1,
            b'}' if depth > 0 => depth -= 1,
            b'}' => {
                return Some(Field {
                    expr_end: expr_end.unwrap_or(j),
                    conversion,
                    spec,
                    close: j,
                });
            }
            b':' if depth == 0 && spec.is_none() => {
                expr_end.get_or_insert(j);
                spec = Some(j + 1);
            }
            b'!' if depth == 0
                && spec.is_none()
                && matches!(body.get(j + 1), Some(b'r' | b's' | b'a'))
                && matches!(body.get(j + 2), Some(b'}' | b':')) =>
            {
                expr_end.get_or_insert(j);
                conversion = Some(j);
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// Parses one field into an [`FStringPart::Expr`].
fn field_part(
    src: &str,
    file: FileId,
    body: &str,
    at: usize,
    open: usize,
    field: &Field,
    diags: &mut Vec<Diagnostic>,
) -> Option<FStringPart> {
    if let Some(c) = field.conversion {
        let conv = &body[c..c + 2];
        diags.push(
            Diagnostic::syntax(
                Span::new(file, at + c, at + c + 2),
                format!("rlq f-strings have no `{conv}` conversion"),
            )
            .hint(format!(
                "write `{{{}}}`; values are shown as by `print`",
                body[open + 1..c].trim()
            )),
        );
    }
    let expr_text = &body[open + 1..field.expr_end];
    if expr_text.trim().is_empty() {
        diags.push(
            Diagnostic::syntax(
                Span::new(file, at + open, at + field.close + 1),
                "empty `{}` in an f-string",
            )
            .hint("put an expression inside, or write `{{}}` for literal braces"),
        );
        return None;
    }
    let trimmed = expr_text.trim_end();
    if trimmed.ends_with('=')
        && !["==", "!=", "<=", ">="]
            .iter()
            .any(|op| trimmed.ends_with(op))
    {
        let name = trimmed.trim_end_matches('=').trim();
        diags.push(
            Diagnostic::syntax(
                Span::new(file, at + open, at + field.close + 1),
                "rlq f-strings have no `{x=}` form",
            )
            .hint(format!("write the label yourself: `{name}={{{name}}}`")),
        );
        return None;
    }
    let (expr, errs) = parser::expression(src, file, at + open + 1, at + field.expr_end);
    diags.extend(errs);
    let spec = field.spec.map(|s| body[s..field.close].into());
    Some(FStringPart::Expr { expr, spec })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_end_at_their_closing_brace() {
        let f = scan_field(b"x}", 0).unwrap();
        assert_eq!((f.expr_end, f.spec, f.close), (1, None, 1));
        let f = scan_field(b"r['a}']:>8} tail", 0).unwrap();
        assert_eq!((f.expr_end, f.spec, f.close), (7, Some(8), 10));
        let f = scan_field(b"xs[1:2]:.2f}", 0).unwrap();
        assert_eq!((f.expr_end, f.spec, f.close), (7, Some(8), 11));
        let f = scan_field(b"{a: 1}}", 0).unwrap();
        assert_eq!((f.expr_end, f.close), (6, 6));
        let f = scan_field(b"x!r}", 0).unwrap();
        assert_eq!((f.expr_end, f.conversion), (1, Some(1)));
        let f = scan_field(b"a != b}", 0).unwrap();
        assert_eq!((f.expr_end, f.conversion), (6, None));
        assert_eq!(scan_field(b"x", 0), None);
    }
}
