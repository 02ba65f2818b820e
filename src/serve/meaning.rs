//! What a chat request means to an RLM: the last user message is the
//! question; earlier messages, and parts of the last message longer than
//! `document_chars`, are documents of the context (short system messages
//! stay with the question as instructions). The same request read as an
//! ordinary conversation is kept for passing it straight to the root model.

use serde_json::Value;

use super::api::{ApiError, Message};
use crate::llm::{ChatMessage, Role};

/// A request read.
#[derive(Debug, Clone, PartialEq)]
pub struct Meaning {
    /// The question a session answers.
    pub question: String,
    /// Documents from the request, named `message N (role)` or
    /// `message N, part K`.
    pub documents: Vec<(String, Vec<u8>)>,
    /// Characters of all the messages' text.
    pub chars: usize,
    /// The system and developer messages, joined (for a passed-through
    /// completion).
    pub system: String,
    /// The other messages, as the root model would get them.
    pub conversation: Vec<ChatMessage>,
}

/// The text parts of a message's content.
fn parts(i: usize, content: &Value) -> Result<Vec<String>, ApiError> {
    match content {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let kind = p.get("type").and_then(Value::as_str).unwrap_or("text");
                match (kind, p.get("text").and_then(Value::as_str)) {
                    ("text", Some(t)) => Ok(t.to_string()),
                    ("text", None) => Err(ApiError::bad_request(
                        "invalid_content",
                        format!("messages[{i}].content[{j}] has no \"text\" string"),
                    )),
                    (other, _) => Err(ApiError::bad_request(
                        "unsupported_content",
                        format!("messages[{i}].content[{j}] is of type `{other}`: rlmq serve reads text parts only"),
                    )),
                }
            })
            .collect(),
        _ => Err(ApiError::bad_request(
            "invalid_content",
            format!("messages[{i}].content must be a string or a list of text parts"),
        )),
    }
}

/// Reads `messages`: parts of the last message longer than
/// `document_chars` become documents, and so do earlier system messages
/// longer than `question_chars`; a last message that is all documents asks
/// its last paragraph when that is at most `question_chars` long.
pub fn read(
    messages: &[Message],
    document_chars: usize,
    question_chars: usize,
) -> Result<Meaning, ApiError> {
    let Some((last, earlier)) = messages.split_last() else {
        return Err(ApiError::bad_request(
            "invalid_messages",
            "messages is empty: send at least one user message (the question)",
        ));
    };
    if last.role != "user" {
        return Err(ApiError::bad_request(
            "invalid_messages",
            format!(
                "the last message must be the user's (it is the question); it is `{}`",
                last.role
            ),
        ));
    }
    let mut m = Meaning {
        question: String::new(),
        documents: Vec::new(),
        chars: 0,
        system: String::new(),
        conversation: Vec::new(),
    };
    let mut instructions = Vec::new();
    for (i, msg) in messages.iter().enumerate() {
        let texts = parts(i, &msg.content)?;
        let joined = texts.join("\n");
        m.chars += joined.chars().count();
        let role = match msg.role.as_str() {
            "system" | "developer" => None,
            "user" | "tool" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            other => {
                return Err(ApiError::bad_request(
                    "invalid_role",
                    format!("messages[{i}].role `{other}` is not one of system, developer, user, assistant, tool"),
                ))
            }
        };
        match role {
            None => {
                if !m.system.is_empty() {
                    m.system.push_str("\n\n");
                }
                m.system.push_str(&joined);
            }
            Some(role) => m.conversation.push(ChatMessage {
                role,
                content: joined.clone(),
            }),
        }
        let n = i + 1;
        if i < earlier.len() {
            let long = joined.chars().count() > question_chars;
            if role.is_none() && !long {
                instructions.push(joined);
            } else if !joined.trim().is_empty() {
                m.documents
                    .push((format!("message {n} ({})", msg.role), joined.into_bytes()));
            }
            continue;
        }
        let mut asked = Vec::new();
        for (k, t) in texts.iter().enumerate() {
            if t.chars().count() > document_chars {
                let name = match texts.len() {
                    1 => format!("message {n} (user)"),
                    _ => format!("message {n}, part {}", k + 1),
                };
                m.documents.push((name, t.clone().into_bytes()));
            } else {
                asked.push(t.as_str());
            }
        }
        let mut question = asked.join("\n").trim().to_string();
        if question.is_empty() {
            question = implied_question(texts.last().map_or("", String::as_str), question_chars)
                .unwrap_or_else(|| {
                    format!(
                        "Do what the last user message asks; its text is the document named `{}`.",
                        m.documents.last().map_or("", |d| d.0.as_str())
                    )
                });
        }
        m.question = question;
    }
    if m.question.trim().is_empty() {
        return Err(ApiError::bad_request(
            "invalid_messages",
            "the last user message is empty: it must hold the question",
        ));
    }
    if !instructions.is_empty() {
        m.question = format!("{}\n\n{}", instructions.join("\n\n"), m.question);
    }
    Ok(m)
}

/// The question at the end of a long message: its last paragraph, when
/// that is short.
fn implied_question(text: &str, question_chars: usize) -> Option<String> {
    let trimmed = text.trim_end();
    let last = trimmed.rsplit("\n\n").next()?.trim();
    (!last.is_empty() && last.chars().count() <= question_chars && last.len() < trimmed.len())
        .then(|| last.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(role: &str, content: Value) -> Message {
        Message {
            role: role.into(),
            content,
            name: None,
            tool_call_id: None,
        }
    }

    #[test]
    fn a_short_request_is_its_question() {
        let m = read(
            &[
                msg("system", json!("Be brief.")),
                msg("user", json!("What is 2+2?")),
            ],
            100,
            100,
        )
        .unwrap();
        assert_eq!(m.question, "Be brief.\n\nWhat is 2+2?");
        assert!(m.documents.is_empty());
        assert_eq!(m.system, "Be brief.");
        assert_eq!(m.conversation.len(), 1);
    }

    #[test]
    fn long_parts_and_earlier_messages_become_documents() {
        let long = "x".repeat(50);
        let m = read(
            &[
                msg("user", json!("earlier")),
                msg("assistant", json!("reply")),
                msg(
                    "user",
                    json!([{"type": "text", "text": long}, {"type": "text", "text": "Count the x."}]),
                ),
            ],
            20,
            20,
        )
        .unwrap();
        assert_eq!(m.question, "Count the x.");
        let names: Vec<&str> = m.documents.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "message 1 (user)",
                "message 2 (assistant)",
                "message 3, part 1"
            ]
        );
    }

    #[test]
    fn a_whole_message_can_be_the_document() {
        let text = "Some notes.\n\nWhat do they say?";
        let m = read(&[msg("user", json!(text))], 0, 20).unwrap();
        assert_eq!(m.question, "What do they say?");
        assert_eq!(
            m.documents,
            [("message 1 (user)".to_string(), text.as_bytes().to_vec())]
        );
    }

    #[test]
    fn one_long_message_asks_its_last_paragraph() {
        let text = format!("{}\n\nHow many x?", "x".repeat(50));
        let m = read(&[msg("user", json!(text))], 20, 20).unwrap();
        assert_eq!(m.question, "How many x?");
        assert_eq!(m.documents[0].1.len(), text.len());
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let e = read(&[msg("assistant", json!("hi"))], 20, 20).unwrap_err();
        assert!(
            e.message.contains("last message must be the user's"),
            "{e:?}"
        );
        let e = read(
            &[msg("user", json!([{"type": "image_url", "image_url": {}}]))],
            20,
            20,
        )
        .unwrap_err();
        assert!(e.message.contains("`image_url`"), "{e:?}");
        let e = read(&[msg("robot", json!("x")), msg("user", json!("q"))], 20, 20).unwrap_err();
        assert!(e.message.contains("`robot`"), "{e:?}");
    }
}
