//! The tokens of rlq, as logos reads them from source text.
//!
//! Tokens borrow their text from the source. Literals keep their raw
//! slice (quotes and prefix included); the grammar's actions decode them,
//! so a bad escape becomes a diagnostic with an exact span rather than a
//! lexer failure.
//!
//! Some variants never come out of logos: the layout adapter
//! ([`super::layout`]) turns each `{` into [`Token::BlockOpen`] or
//! [`Token::RecordOpen`] and replaces anything already reported (an
//! unknown character, an unterminated string, a Python keyword) by
//! [`Token::Error`], which no grammar rule accepts. Spellings from other
//! languages (`&&`, `||`, `!`, `===`, `!==`, `++`, `--`) are lexed so that
//! they can be reported with the rlq spelling instead of as unknown
//! characters.

use logos::{Lexer, Logos};

/// What logos reports for text that is no token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LexError {
    /// A character that starts no token, such as `$` or `` ` ``.
    #[default]
    Unexpected,
    /// A `"""` or `'''` string with no closing quotes.
    UnterminatedTriple,
}

/// One token of rlq source.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(error = LexError)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
#[logos(skip r"\\\r?\n")]
pub enum Token<'src> {
    /// A line break; the layout adapter decides whether it ends a statement.
    #[token("\n")]
    Newline,
    /// `;`, which always ends a statement.
    #[token(";")]
    Semi,

    /// A name: `x`, `print`, `final`, `re` (when no quote follows).
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident(&'src str),
    /// An integer literal such as `42` or `1_000`.
    #[regex(r"[0-9][0-9_]*")]
    Int(&'src str),
    /// A float literal such as `1.5`, `1e3` or `2.5e-3`.
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*([eE][+-]?[0-9][0-9_]*)?")]
    #[regex(r"[0-9][0-9_]*[eE][+-]?[0-9][0-9_]*")]
    Float(&'src str),
    /// A string literal: `"..."`, `'...'`, `r"..."`, `"""..."""`, `'''...'''`.
    #[regex(r#""([^"\\\n]|\\.)*""#)]
    #[regex(r#"'([^'\\\n]|\\.)*'"#)]
    #[regex(r#"r"([^"\\\n]|\\.)*""#)]
    #[regex(r#"r'([^'\\\n]|\\.)*'"#)]
    #[token(r#"""""#, triple)]
    #[token("'''", triple)]
    #[token(r#"r""""#, triple)]
    #[token("r'''", triple)]
    Str(&'src str),
    /// A regex literal: `re"..."`, `re'...'`, `re"""..."""` (no escapes).
    #[regex(r#"re"([^"\\\n]|\\.)*""#)]
    #[regex(r#"re'([^'\\\n]|\\.)*'"#)]
    #[token(r#"re""""#, triple)]
    #[token("re'''", triple)]
    Regex(&'src str),
    /// An f-string: `f"..."`, `f'...'`, `f"""..."""`, `f'''...'''`.
    #[regex(r#"f"([^"\\\n]|\\.)*""#)]
    #[regex(r#"f'([^'\\\n]|\\.)*'"#)]
    #[token(r#"f""""#, triple)]
    #[token("f'''", triple)]
    FStr(&'src str),
    /// A one-line string whose closing quote is missing.
    #[regex(r#"(r|re|f)?"([^"\\\n]|\\.)*\\?"#)]
    #[regex(r#"(r|re|f)?'([^'\\\n]|\\.)*\\?"#)]
    UnterminatedStr(&'src str),

    /// `let`.
    #[token("let")]
    Let,
    /// `def`.
    #[token("def")]
    Def,
    /// `return`.
    #[token("return")]
    Return,
    /// `if`.
    #[token("if")]
    If,
    /// `elif`.
    #[token("elif")]
    Elif,
    /// `else`.
    #[token("else")]
    Else,
    /// `for`.
    #[token("for")]
    For,
    /// `in`.
    #[token("in")]
    In,
    /// `while`.
    #[token("while")]
    While,
    /// `break`.
    #[token("break")]
    Break,
    /// `continue`.
    #[token("continue")]
    Continue,
    /// `and`.
    #[token("and")]
    And,
    /// `or`.
    #[token("or")]
    Or,
    /// `not`.
    #[token("not")]
    Not,
    /// `is`.
    #[token("is")]
    Is,
    /// `true` or `True`.
    #[token("true")]
    #[token("True")]
    True,
    /// `false` or `False`.
    #[token("false")]
    #[token("False")]
    False,
    /// `null` or `None`.
    #[token("null")]
    #[token("None")]
    Null,

    /// `(`.
    #[token("(")]
    LParen,
    /// `)`.
    #[token(")")]
    RParen,
    /// `[`.
    #[token("[")]
    LBracket,
    /// `]`.
    #[token("]")]
    RBracket,
    /// `{` as written; the layout adapter replaces it.
    #[token("{")]
    LBrace,
    /// `}`.
    #[token("}")]
    RBrace,
    /// `,`.
    #[token(",")]
    Comma,
    /// `:`.
    #[token(":")]
    Colon,
    /// `.`.
    #[token(".")]
    Dot,
    /// `=`.
    #[token("=")]
    Assign,
    /// `+=`.
    #[token("+=")]
    AddAssign,
    /// `-=`.
    #[token("-=")]
    SubAssign,
    /// `*=`.
    #[token("*=")]
    MulAssign,
    /// `/=`.
    #[token("/=")]
    DivAssign,
    /// `//=`.
    #[token("//=")]
    FloorDivAssign,
    /// `%=`.
    #[token("%=")]
    ModAssign,
    /// `=>`.
    #[token("=>")]
    Arrow,
    /// `|`.
    #[token("|")]
    Pipe,
    /// `??`.
    #[token("??")]
    Coalesce,
    /// `?`, of the conditional `c ? a : b`.
    #[token("?")]
    Question,
    /// `==`.
    #[token("==")]
    EqEq,
    /// `!=`.
    #[token("!=")]
    NotEq,
    /// `<`.
    #[token("<")]
    Lt,
    /// `<=`.
    #[token("<=")]
    Le,
    /// `>`.
    #[token(">")]
    Gt,
    /// `>=`.
    #[token(">=")]
    Ge,
    /// `+`.
    #[token("+")]
    Plus,
    /// `-`.
    #[token("-")]
    Minus,
    /// `*`.
    #[token("*")]
    Star,
    /// `/`.
    #[token("/")]
    Slash,
    /// `//`.
    #[token("//")]
    SlashSlash,
    /// `%`.
    #[token("%")]
    Percent,
    /// `**`.
    #[token("**")]
    StarStar,

    /// `&&`, reported with `and` as the replacement.
    #[token("&&")]
    AmpAmp,
    /// `||`, reported with `or` as the replacement.
    #[token("||")]
    BarBar,
    /// `!`, reported with `not` as the replacement.
    #[token("!")]
    Bang,
    /// `===`, reported with `==` as the replacement.
    #[token("===")]
    EqEqEq,
    /// `!==`, reported with `!=` as the replacement.
    #[token("!==")]
    NotEqEq,
    /// `++`, reported with `+= 1` as the replacement.
    #[token("++")]
    PlusPlus,
    /// `--`, reported with `-= 1` as the replacement.
    #[token("--")]
    MinusMinus,

    /// A `{` that opens a block of statements (made by the layout adapter).
    BlockOpen,
    /// A `{` that opens a record literal (made by the layout adapter).
    RecordOpen,
    /// Text already reported as an error; no grammar rule accepts it.
    Error,
}

/// Scans a triple-quoted string to its closing quotes.
///
/// The token matched so far is the prefix and the opening quotes; a
/// backslash protects the character after it, as in Python.
fn triple<'src>(lex: &mut Lexer<'src, Token<'src>>) -> Result<&'src str, LexError> {
    let quote = lex.slice().as_bytes()[lex.slice().len() - 1];
    let rest = lex.remainder().as_bytes();
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'\\' => i += 2,
            q if q == quote && rest[i..].starts_with(&[quote; 3]) => {
                lex.bump(i + 3);
                return Ok(lex.slice());
            }
            _ => i += 1,
        }
    }
    lex.bump(rest.len());
    Err(LexError::UnterminatedTriple)
}

impl Token<'_> {
    /// True for tokens after which an expression is complete: names,
    /// literals and closing brackets. A `{` after one of these opens a
    /// block (`if x {`, `def f(a) {`); anywhere else it opens a record.
    pub fn ends_expression(&self) -> bool {
        matches!(
            self,
            Token::Ident(_)
                | Token::Int(_)
                | Token::Float(_)
                | Token::Str(_)
                | Token::Regex(_)
                | Token::FStr(_)
                | Token::True
                | Token::False
                | Token::Null
                | Token::RParen
                | Token::RBracket
                | Token::RBrace
        )
    }

    /// True for tokens that cannot end a statement, so that a line break
    /// after them continues the statement: binary operators, `=>`, `,`,
    /// `=` and the update operators.
    pub fn continues_line(&self) -> bool {
        matches!(
            self,
            Token::Comma
                | Token::Dot
                | Token::Assign
                | Token::AddAssign
                | Token::SubAssign
                | Token::MulAssign
                | Token::DivAssign
                | Token::FloorDivAssign
                | Token::ModAssign
                | Token::Arrow
                | Token::Pipe
                | Token::Coalesce
                | Token::Question
                | Token::EqEq
                | Token::NotEq
                | Token::Lt
                | Token::Le
                | Token::Gt
                | Token::Ge
                | Token::Plus
                | Token::Minus
                | Token::Star
                | Token::Slash
                | Token::SlashSlash
                | Token::Percent
                | Token::StarStar
                | Token::And
                | Token::Or
                | Token::Not
                | Token::In
                | Token::Is
                | Token::Else
                | Token::AmpAmp
                | Token::BarBar
                | Token::EqEqEq
                | Token::NotEqEq
        )
    }

    /// True for tokens that can only continue an expression, never start
    /// a statement: a line that begins with one (`| f`, `.map(g)`,
    /// `and c`) continues the line before. `+`, `-` and `not` are not
    /// among them, as they also start expressions, nor is `//`, which
    /// more likely starts a comment written in another language.
    pub fn only_continues(&self) -> bool {
        matches!(
            self,
            Token::Pipe
                | Token::Dot
                | Token::Coalesce
                | Token::Question
                | Token::Colon
                | Token::And
                | Token::Or
                | Token::In
                | Token::Is
                | Token::EqEq
                | Token::NotEq
                | Token::Lt
                | Token::Le
                | Token::Gt
                | Token::Ge
                | Token::Star
                | Token::Slash
                | Token::Percent
                | Token::StarStar
                | Token::Arrow
        )
    }

    /// How the token reads in a message: `` `let` ``, `name \`x\``, `end of line`.
    pub fn describe(&self) -> String {
        fn clip(s: &str) -> String {
            let first = s.lines().next().unwrap_or("");
            if first.chars().count() > 24 || first.len() < s.len() {
                let cut: String = first.chars().take(20).collect();
                format!("`{cut}...`")
            } else {
                format!("`{s}`")
            }
        }
        match self {
            Token::Newline => "end of line".into(),
            Token::Ident(s) => format!("name {}", clip(s)),
            Token::Int(s) | Token::Float(s) => format!("number {}", clip(s)),
            Token::Str(s) | Token::UnterminatedStr(s) => format!("string {}", clip(s)),
            Token::Regex(s) => format!("regex {}", clip(s)),
            Token::FStr(s) => format!("f-string {}", clip(s)),
            Token::Error => "invalid text".into(),
            other => format!("`{}`", other.spelling()),
        }
    }

    /// The fixed spelling of a punctuation or keyword token.
    pub fn spelling(&self) -> &'static str {
        match self {
            Token::Newline => "\\n",
            Token::Semi => ";",
            Token::Ident(_) => "name",
            Token::Int(_) | Token::Float(_) => "number",
            Token::Str(_) | Token::UnterminatedStr(_) => "string",
            Token::Regex(_) => "regex",
            Token::FStr(_) => "f-string",
            Token::Let => "let",
            Token::Def => "def",
            Token::Return => "return",
            Token::If => "if",
            Token::Elif => "elif",
            Token::Else => "else",
            Token::For => "for",
            Token::In => "in",
            Token::While => "while",
            Token::Break => "break",
            Token::Continue => "continue",
            Token::And => "and",
            Token::Or => "or",
            Token::Not => "not",
            Token::Is => "is",
            Token::True => "true",
            Token::False => "false",
            Token::Null => "null",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::LBrace | Token::BlockOpen | Token::RecordOpen => "{",
            Token::RBrace => "}",
            Token::Comma => ",",
            Token::Colon => ":",
            Token::Dot => ".",
            Token::Assign => "=",
            Token::AddAssign => "+=",
            Token::SubAssign => "-=",
            Token::MulAssign => "*=",
            Token::DivAssign => "/=",
            Token::FloorDivAssign => "//=",
            Token::ModAssign => "%=",
            Token::Arrow => "=>",
            Token::Pipe => "|",
            Token::Coalesce => "??",
            Token::Question => "?",
            Token::EqEq => "==",
            Token::NotEq => "!=",
            Token::Lt => "<",
            Token::Le => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::SlashSlash => "//",
            Token::Percent => "%",
            Token::StarStar => "**",
            Token::AmpAmp => "&&",
            Token::BarBar => "||",
            Token::Bang => "!",
            Token::EqEqEq => "===",
            Token::NotEqEq => "!==",
            Token::PlusPlus => "++",
            Token::MinusMinus => "--",
            Token::Error => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> Vec<Result<Token<'_>, LexError>> {
        Token::lexer(src).collect()
    }

    #[test]
    fn keywords_and_names() {
        assert_eq!(
            lex("let final re print True None"),
            vec![
                Ok(Token::Let),
                Ok(Token::Ident("final")),
                Ok(Token::Ident("re")),
                Ok(Token::Ident("print")),
                Ok(Token::True),
                Ok(Token::Null),
            ]
        );
    }

    #[test]
    fn string_prefixes() {
        assert_eq!(
            lex(r#"re"\d+" r'a\b' f"{x}" "q\"" 'it''s'"#),
            vec![
                Ok(Token::Regex(r#"re"\d+""#)),
                Ok(Token::Str(r"r'a\b'")),
                Ok(Token::FStr(r#"f"{x}""#)),
                Ok(Token::Str(r#""q\"""#)),
                Ok(Token::Str("'it'")),
                Ok(Token::Str("'s'")),
            ]
        );
    }

    #[test]
    fn triple_quoted_strings_span_lines() {
        let src = "f\"\"\"a\n\"b\" {x}\"\"\" 1";
        assert_eq!(
            lex(src),
            vec![
                Ok(Token::FStr("f\"\"\"a\n\"b\" {x}\"\"\"")),
                Ok(Token::Int("1"))
            ]
        );
        assert_eq!(lex("'''open\n"), vec![Err(LexError::UnterminatedTriple)]);
    }

    #[test]
    fn numbers() {
        assert_eq!(
            lex("1_000 1.5 1e3 2.5e-3 x.y"),
            vec![
                Ok(Token::Int("1_000")),
                Ok(Token::Float("1.5")),
                Ok(Token::Float("1e3")),
                Ok(Token::Float("2.5e-3")),
                Ok(Token::Ident("x")),
                Ok(Token::Dot),
                Ok(Token::Ident("y")),
            ]
        );
    }

    #[test]
    fn comments_and_unterminated() {
        assert_eq!(
            lex("x # note \"\n\"abc"),
            vec![
                Ok(Token::Ident("x")),
                Ok(Token::Newline),
                Ok(Token::UnterminatedStr("\"abc")),
            ]
        );
    }

    #[test]
    fn other_languages_operators() {
        assert_eq!(
            lex("&& || ! != === !== ++ -- //= //"),
            vec![
                Ok(Token::AmpAmp),
                Ok(Token::BarBar),
                Ok(Token::Bang),
                Ok(Token::NotEq),
                Ok(Token::EqEqEq),
                Ok(Token::NotEqEq),
                Ok(Token::PlusPlus),
                Ok(Token::MinusMinus),
                Ok(Token::FloorDivAssign),
                Ok(Token::SlashSlash),
            ]
        );
    }
}
