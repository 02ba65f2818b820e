//! The last user message of a call, held in its parts: a sub-call's
//! prompt, then a blank line and the text it is about. The text stays
//! where the program holds it (a piece of the mapped context, say): the
//! request body, the cache key and the trace's hash read the parts in
//! turn, so a piece is copied once, into the body, and never first joined
//! to its prompt in one string.

use std::borrow::Cow;

/// What comes between the prompt and the text.
const SEPARATOR: &str = "\n\n";

/// A user message: `head`, then, when there is a text, a blank line and
/// the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Message<'a> {
    head: &'a str,
    text: Option<&'a str>,
}

impl<'a> Message<'a> {
    /// A message that is `text` alone (a root-model turn, or a prompt with
    /// no text).
    pub fn whole(text: &'a str) -> Message<'a> {
        Message {
            head: text,
            text: None,
        }
    }

    /// `prompt`, a blank line, then `text`.
    pub fn about(prompt: &'a str, text: &'a str) -> Message<'a> {
        Message {
            head: prompt,
            text: Some(text),
        }
    }

    /// Its parts, in order: joined, they are the message.
    pub fn parts(&self) -> impl Iterator<Item = &'a str> + Clone {
        let rest = self.text.map(|text| [SEPARATOR, text]);
        std::iter::once(self.head).chain(rest.into_iter().flatten())
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.parts().map(str::len).sum()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the text starts in the joined message, when there is one.
    pub fn text_start(&self) -> Option<usize> {
        self.text.map(|_| self.head.len() + SEPARATOR.len())
    }

    /// Its characters.
    pub fn char_count(&self) -> usize {
        self.parts().map(|p| p.chars().count()).sum()
    }

    /// The message as one string: borrowed when it is one part, else a
    /// joined copy (for what must read it whole, a token count).
    pub fn joined(&self) -> Cow<'a, str> {
        match self.text {
            None => Cow::Borrowed(self.head),
            Some(_) => Cow::Owned(self.parts().collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_joined_are_the_message_and_say_where_the_text_starts() {
        let m = Message::about("Summarize.", "héllo\nworld");
        assert_eq!(m.joined(), "Summarize.\n\nhéllo\nworld");
        assert_eq!(m.len(), m.joined().len());
        assert_eq!(m.char_count(), m.joined().chars().count());
        let start = m.text_start().unwrap();
        assert_eq!(&m.joined()[start..], "héllo\nworld");
        let whole = Message::whole("just a prompt");
        assert!(matches!(whole.joined(), Cow::Borrowed("just a prompt")));
        assert_eq!(whole.text_start(), None);
        assert_eq!(whole.parts().count(), 1);
        assert!(Message::whole("").is_empty());
        assert_eq!(Message::about("", "").joined(), "\n\n");
    }
}
