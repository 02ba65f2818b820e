//! Source positions: which file of the program a node came from, and where.
//!
//! A program is made of several source files (the script, the embedded
//! standard library, `-e` snippets). A [`Span`] names the file by a
//! [`FileId`] into the [`SourceMap`] and a byte range inside it; the map
//! turns it into a line, a column and the text of that line for diagnostics.

use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
pub type FileId = u32;

/// A byte range in one source file of the program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range lies in.
    pub file: FileId,
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span over `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span that covers both `self` and `other` (same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One source file: a display name and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// What diagnostics call the file (`script.rlq`, `<stdlib>`, `<-e>`).
    pub name: String,
    /// The whole text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Line (1-based), column (1-based, in characters) and the text of
    /// the line that holds byte `offset`.
    pub fn locate(&self, offset: usize) -> (usize, usize, &str) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |n| start + n);
        let mut col_byte = offset - start;
        while !self.text.is_char_boundary(start + col_byte) {
            col_byte -= 1;
        }
        let col = self.text[start..start + col_byte].chars().count() + 1;
        (line + 1, col, self.text[start..end].trim_end_matches('\r'))
    }
}

/// All source files of a program, addressed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        self.files.push(Arc::new(SourceFile {
            name: name.into(),
            text,
            line_starts,
        }));
        (self.files.len() - 1) as FileId
    }

    /// The file with id `id`.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        let text = &self.get(span.file).text;
        let end = (span.end as usize).min(text.len());
        let start = (span.start as usize).min(end);
        text.get(start..end).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_line_and_column() {
        let mut map = SourceMap::new();
        let id = map.add("t", "let a = 1\nlet é = 2\n");
        let (line, col, text) = map.get(id).locate(16);
        assert_eq!((line, col, text), (2, 6, "let é = 2"));
        assert_eq!(map.get(id).locate(0), (1, 1, "let a = 1"));
    }
}
