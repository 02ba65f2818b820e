//! The context of a run: one [`Source`] and the documents in it.
//!
//! The context text is every document joined with `"\n\n"`. One regular file
//! is memory-mapped as is (one document, named by the path as given); any
//! other input — several files, a folder, a `.jsonl` file, standard input —
//! is gathered into one owned buffer. [`Context::load`] gives the rules.
//!
//! Submodules: [`source`] (the buffer and its character and line indexes),
//! `index` (the sparse checkpoint tables), `load` (inputs to documents).
//!
//! ```
//! use rlmq::context::Source;
//!
//! let src = Source::from_vec("naïve line\r\nsecond\n".as_bytes().to_vec());
//! let all = 0..src.len();
//! assert_eq!(src.char_count(all.clone()), 19);
//! assert_eq!(src.line_count(all.clone()), 2);
//! let first = src.line_range(all.clone(), 0).unwrap();
//! assert_eq!(&src.bytes()[first], "naïve line".as_bytes());
//! // The first 3 characters end at byte 4 ("ï" takes two bytes).
//! assert_eq!(src.char_to_byte(all, 3), 4);
//! ```

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

mod index;
mod load;
pub use load::read_bounded;
mod sigbus;
pub mod source;

pub use source::Source;

/// Everything the program can read: the source buffer and its documents.
#[derive(Debug, Clone)]
pub struct Context {
    /// The bytes of the context text, with their indexes.
    pub source: Arc<Source>,
    /// The documents, in order; their ranges do not overlap and are separated
    /// by `"\n\n"` in `source`.
    pub docs: Vec<Doc>,
}

/// One document of the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    /// The name shown to the program (`.doc`, `doc_of`): a path as given, a
    /// path relative to a context folder, or a JSONL record's `id`/`title`.
    pub name: Arc<str>,
    /// The document's text, as a byte range in the source (no separator).
    pub range: Range<usize>,
}

/// Where context text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextInput {
    /// A file or a folder; the path `-` means standard input.
    Path(PathBuf),
    /// Standard input, read to the end.
    Stdin,
    /// A document given as bytes (a string, a message of a request), named
    /// `name`.
    Bytes {
        /// The document's name.
        name: String,
        /// Its text.
        bytes: Vec<u8>,
    },
}

/// How to load the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Memory-map a single regular file (`false` is `--no-mmap`: read it
    /// into memory, safe against the file being truncated while rlmq runs).
    pub mmap: bool,
    /// The most bytes read into memory (a mapped file does not count).
    pub max_bytes: usize,
    /// When to give up reading (a device that never ends, a folder that is
    /// the whole disk).
    pub deadline: Option<std::time::Instant>,
    /// Follow symbolic links in folders that lead out of the folder
    /// (`--follow`); links that stay inside are always followed.
    pub follow: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            mmap: true,
            max_bytes: usize::MAX,
            deadline: None,
            follow: false,
        }
    }
}

impl Context {
    /// Loads the documents of `inputs`, in order.
    ///
    /// - One regular file: memory-mapped (read if `opts.mmap` is false), one
    ///   document named by the path as given.
    /// - [`ContextInput::Stdin`], or a special file (pipe, `/proc`): read to
    ///   the end, one document.
    /// - A folder: every regular file below it, recursively, sorted by path,
    ///   skipping symbolic links that lead out of the folder (unless
    ///   `opts.follow`), hidden files and folders (name starting with `.`),
    ///   unreadable files and binary files (a NUL byte in the first 8 KiB);
    ///   each a document named by its path relative to the folder.
    /// - A `.jsonl` file: one document per non-empty line, named by its `id`
    ///   or `title` field (else `line N`), with the text of its `text`,
    ///   `content` or `body` field (else the whole line).
    /// - [`ContextInput::Bytes`]: one document, as given.
    /// - Several inputs: their documents in the order given.
    ///
    /// Anything but a single mapped file is gathered into one owned buffer,
    /// documents joined with `"\n\n"`. A missing or unreadable input, a
    /// folder with no readable file, a JSONL line that is not JSON, or
    /// reading more than `opts.max_bytes` or past `opts.deadline` is a
    /// [`ContextError`].
    pub fn load(inputs: &[ContextInput], opts: &LoadOptions) -> Result<Context, ContextError> {
        load::load(inputs, opts)
    }

    /// The documents of files and folders, loaded as `--context` loads
    /// them (see [`Context::load`]).
    pub fn from_files<P: Into<PathBuf>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Context, ContextError> {
        let inputs: Vec<ContextInput> = paths
            .into_iter()
            .map(|p| ContextInput::Path(p.into()))
            .collect();
        load::load(&inputs, &LoadOptions::default())
    }

    /// A context of one document, `text`, named `text`.
    pub fn from_text(text: impl Into<String>) -> Context {
        Context::from_bytes(text.into().into_bytes())
    }

    /// A context of one document holding `bytes`, named `text`.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Context {
        let bytes = bytes.into();
        let len = bytes.len();
        Context {
            source: Arc::new(Source::from_vec(bytes)),
            docs: vec![Doc {
                name: "text".into(),
                range: 0..len,
            }],
        }
    }

    /// A context of named documents given as text, in order.
    pub fn from_documents<N, T>(docs: impl IntoIterator<Item = (N, T)>) -> Context
    where
        N: Into<String>,
        T: Into<Vec<u8>>,
    {
        let inputs: Vec<ContextInput> = docs
            .into_iter()
            .map(|(name, text)| ContextInput::Bytes {
                name: name.into(),
                bytes: text.into(),
            })
            .collect();
        load::load(&inputs, &LoadOptions::default()).expect("documents in memory always load")
    }

    /// This context with `more` documents after its own, in a new buffer
    /// (the text is copied once).
    pub fn with_documents(&self, more: Vec<(String, Vec<u8>)>) -> Context {
        load::extend(self, more)
    }

    /// A context with no text and no documents.
    pub fn empty() -> Context {
        Context {
            source: Arc::new(Source::from_vec(Vec::new())),
            docs: Vec::new(),
        }
    }

    /// The byte range of the whole context text.
    pub fn range(&self) -> Range<usize> {
        0..self.source.len()
    }

    /// The document that holds the byte at `byte` (a document's end offset
    /// counts as inside it, so an empty match at its end has a document).
    /// `None` for the separators between documents.
    pub fn doc_at(&self, byte: usize) -> Option<&Doc> {
        let i = self.docs.partition_point(|d| d.range.start <= byte);
        let d = self.docs.get(i.checked_sub(1)?)?;
        (byte <= d.range.end).then_some(d)
    }
}

/// Why the context could not be loaded. Displays as one line.
#[derive(Debug)]
pub struct ContextError {
    message: String,
    source: Option<io::Error>,
    limit: bool,
}

impl ContextError {
    pub(crate) fn new(message: impl Into<String>) -> ContextError {
        ContextError {
            message: message.into(),
            source: None,
            limit: false,
        }
    }

    /// A limit (size or time) reached while reading.
    pub(crate) fn limit(message: impl Into<String>) -> ContextError {
        ContextError {
            limit: true,
            ..ContextError::new(message)
        }
    }

    pub(crate) fn io(what: impl fmt::Display, err: io::Error) -> ContextError {
        ContextError {
            message: format!("{what}: {}", io_reason(&err)),
            source: Some(err),
            limit: false,
        }
    }

    /// True when a limit stopped the reading (not a missing or bad input).
    pub fn is_limit(&self) -> bool {
        self.limit
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The OS reason of an I/O error without its "(os error N)" tail.
fn io_reason(err: &io::Error) -> String {
    let s = err.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ContextError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_at_finds_documents_and_not_separators() {
        let ctx = Context {
            source: Arc::new(Source::from_vec(b"ab\n\n\n\ncd".to_vec())),
            docs: vec![
                Doc {
                    name: "a".into(),
                    range: 0..2,
                },
                Doc {
                    name: "empty".into(),
                    range: 4..4,
                },
                Doc {
                    name: "c".into(),
                    range: 6..8,
                },
            ],
        };
        let name = |b| ctx.doc_at(b).map(|d| &*d.name);
        assert_eq!(name(0), Some("a"));
        assert_eq!(name(2), Some("a"));
        assert_eq!(name(3), None);
        assert_eq!(name(4), Some("empty"));
        assert_eq!(name(5), None);
        assert_eq!(name(8), Some("c"));
        assert_eq!(name(9), None);
        assert_eq!(Context::empty().doc_at(0), None);
    }

    #[test]
    fn io_reason_drops_os_error_code() {
        let e = io::Error::from_raw_os_error(2);
        assert!(!io_reason(&e).contains("os error"));
    }
}
