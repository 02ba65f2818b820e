//! History compaction: when a root conversation nears the root model's
//! window (`compact_at`, a share of its input limit), the turns before the
//! last one are summarised by the root model itself into a note, and the
//! conversation goes on as the first message with that note appended, the
//! last reply and the last output. The interpreter's variables are not
//! touched, and the trace keeps everything: every turn as it ran, and a
//! `compaction` event with the note, the turns it stands for and the
//! tokens before and after (its root call nested under it).

use std::sync::Arc;

use serde_json::json;

use super::prompt;
use crate::llm::{ChatMessage, ChatRequest, Role, SubCalls};

/// A conversation to compact, and where it sits.
pub struct History<'a> {
    /// The backend (its trace, ids and the summary call).
    pub calls: &'a Arc<SubCalls>,
    /// The root model.
    pub model: &'a str,
    /// The system prompt.
    pub system: &'a str,
    /// The first message as first sent (question and context facts).
    pub first: &'a str,
    /// Reply allowance of a root turn.
    pub max_tokens: Option<u32>,
    /// The session's trace id.
    pub session: u64,
    /// The session's depth.
    pub depth: u32,
}

impl History<'_> {
    /// Compacts `messages` before the root call of turn `turn` when they
    /// fill more than `compact_at` of the window and there are turns to
    /// summarise; `variables` describes the variables for the note. A
    /// failed summary call leaves the conversation as it was (and is
    /// traced).
    pub fn compact_if_full(
        &self,
        messages: &mut Vec<ChatMessage>,
        turn: u32,
        variables: &[(String, String)],
    ) {
        let c = self.calls;
        let (before, limit) =
            c.conversation_tokens(self.model, self.system, messages, self.max_tokens);
        let share = c.config().compact_at;
        // The first message, then reply and output per turn: keep the last
        // turn's pair, and summarise only when some turn comes before it.
        if (before as f64) <= share * limit as f64 || messages.len() < 5 {
            return;
        }
        let keep = messages.len() - 2;
        let last_summarised = turn.saturating_sub(2);
        let mut asked: Vec<ChatMessage> = messages[..keep].to_vec();
        if let Some(m) = asked.last_mut() {
            m.content
                .push_str(&prompt::compact_request(last_summarised));
        }
        let id = c.next_id();
        let reply = c.chat(&ChatRequest {
            system: self.system.to_string(),
            messages: asked,
            model: Some(self.model.to_string()),
            max_tokens: self.max_tokens,
            parent: Some(id),
            depth: self.depth,
        });
        let mut event = json!({
            "event": "compaction",
            "id": id,
            "parent": self.session,
            "session": self.session,
            "depth": self.depth,
            "turn": turn,
            "summarised_turns": [1, last_summarised],
            "tokens_before": before,
            "limit": limit,
            "compact_at": share,
        });
        let obj = event.as_object_mut().expect("an object");
        match reply {
            Ok(r) if !r.text.trim().is_empty() => {
                let mut first = self.first.to_string();
                first.push_str(&prompt::compact_note(last_summarised, &r.text, variables));
                let tail = messages.split_off(keep);
                *messages = vec![ChatMessage {
                    role: Role::User,
                    content: first,
                }];
                messages.extend(tail);
                let (after, _) =
                    c.conversation_tokens(self.model, self.system, messages, self.max_tokens);
                obj.insert("summary".into(), json!(r.text));
                obj.insert("tokens_after".into(), json!(after));
            }
            Ok(_) => {
                obj.insert("error".into(), json!("the summary was empty"));
            }
            Err(e) => {
                obj.insert("error".into(), json!(e.message()));
            }
        }
        if let Some(t) = c.trace() {
            t.event(event);
        }
    }
}
