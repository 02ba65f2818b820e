//! Turning context inputs (files, folders, JSONL, standard input) into one
//! source and its documents. The rules are listed on [`Context::load`].

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::{Context, ContextError, ContextInput, Doc, LoadOptions, Source};

/// Documents are joined with this in the context text.
const SEPARATOR: &[u8] = b"\n\n";

/// A file with a NUL byte this early is binary and skipped in folders.
const BINARY_PROBE: usize = 8 * 1024;

pub(super) fn load(inputs: &[ContextInput], opts: &LoadOptions) -> Result<Context, ContextError> {
    if let [ContextInput::Path(p)] = inputs {
        if p.as_os_str() == "-" {
            // Standard input, gathered below.
        } else if let Some(ctx) = single_file(p, opts)? {
            return Ok(ctx);
        }
    }
    let mut b = Gather {
        opts: *opts,
        ..Gather::default()
    };
    for input in inputs {
        match input {
            ContextInput::Path(p) if p.as_os_str() == "-" => b.stdin()?,
            ContextInput::Stdin => b.stdin()?,
            ContextInput::Path(p) => b.path(p, opts)?,
            ContextInput::Bytes { name, bytes } => b.bytes(name, bytes),
        }
    }
    Ok(b.finish())
}

/// `ctx`'s documents, then `more`, gathered into one new buffer.
pub(super) fn extend(ctx: &Context, more: Vec<(String, Vec<u8>)>) -> Context {
    let mut b = Gather::default();
    let bytes = ctx.source.bytes();
    for d in &ctx.docs {
        b.bytes(&d.name, &bytes[d.range.clone()]);
    }
    for (name, text) in &more {
        b.bytes(name, text);
    }
    b.finish()
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn is_jsonl(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
}

fn file_error(p: &Path, err: io::Error) -> ContextError {
    ContextError::io(
        format_args!("cannot read context file `{}`", display(p)),
        err,
    )
}

/// One regular file that is not JSONL becomes the source itself (mapped
/// unless `--no-mmap`); anything else is gathered.
fn single_file(p: &Path, opts: &LoadOptions) -> Result<Option<Context>, ContextError> {
    let meta = fs::metadata(p).map_err(|e| file_error(p, e))?;
    if !meta.is_file() || is_jsonl(p) {
        return Ok(None);
    }
    let src = open_source(p, opts)?;
    let docs = vec![Doc {
        name: display(p).into(),
        range: 0..src.len(),
    }];
    Ok(Some(Context {
        source: Arc::new(src),
        docs,
    }))
}

fn open_source(p: &Path, opts: &LoadOptions) -> Result<Source, ContextError> {
    if !opts.mmap {
        let len = fs::metadata(p).map_err(|e| file_error(p, e))?.len();
        if len > opts.max_bytes as u64 {
            return Err(ContextError::limit(format!(
                "context file `{}` holds more than the {} MiB --max-memory allows (without --no-mmap it is mapped, not read)",
                display(p),
                opts.max_bytes >> 20
            )));
        }
    }
    let r = if opts.mmap {
        Source::map_file(p)
    } else {
        Source::read_file(p)
    };
    r.map_err(|e| file_error(p, e))
}

/// The owned buffer being assembled and its documents.
#[derive(Default)]
struct Gather {
    buf: Vec<u8>,
    docs: Vec<Doc>,
    opts: LoadOptions,
}

/// Bytes read at a time: the size and time limits are checked between reads.
const READ_CHUNK: usize = 1 << 16;

/// Appends everything `r` gives to `buf`, a chunk at a time, stopping with
/// an error once `buf` would pass `opts.max_bytes` or `opts.deadline` has
/// passed. `what` names the input in the error.
pub fn read_bounded(
    r: &mut dyn Read,
    buf: &mut Vec<u8>,
    opts: &LoadOptions,
    what: &str,
) -> Result<(), ContextError> {
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        check_deadline(opts, what)?;
        let n = match r.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ContextError::io(format_args!("cannot read {what}"), e)),
        };
        if buf.len().saturating_add(n) > opts.max_bytes {
            return Err(ContextError::limit(format!(
                "{what} holds more than the {} MiB --max-memory allows",
                opts.max_bytes >> 20
            )));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn check_deadline(opts: &LoadOptions, what: &str) -> Result<(), ContextError> {
    if opts.deadline.is_some_and(|d| std::time::Instant::now() > d) {
        return Err(ContextError::limit(format!(
            "reading {what} took longer than --max-time allows"
        )));
    }
    Ok(())
}

impl Gather {
    /// Appends the separator if a document came before; returns the length
    /// to truncate back to if this document is dropped, and its start.
    fn begin(&mut self) -> (usize, usize) {
        let undo = self.buf.len();
        if !self.docs.is_empty() {
            self.buf.extend_from_slice(SEPARATOR);
        }
        (undo, self.buf.len())
    }

    fn push_doc(&mut self, name: String, start: usize) {
        self.docs.push(Doc {
            name: name.into(),
            range: start..self.buf.len(),
        });
    }

    fn bytes(&mut self, name: &str, bytes: &[u8]) {
        let (_, start) = self.begin();
        self.buf.extend_from_slice(bytes);
        self.push_doc(name.to_string(), start);
    }

    fn finish(self) -> Context {
        Context {
            source: Arc::new(Source::from_vec(self.buf)),
            docs: self.docs,
        }
    }

    fn stdin(&mut self) -> Result<(), ContextError> {
        let (_, start) = self.begin();
        let opts = self.opts;
        read_bounded(
            &mut io::stdin().lock(),
            &mut self.buf,
            &opts,
            "the context from standard input",
        )?;
        self.push_doc("<stdin>".to_string(), start);
        Ok(())
    }

    fn path(&mut self, p: &Path, opts: &LoadOptions) -> Result<(), ContextError> {
        let meta = fs::metadata(p).map_err(|e| file_error(p, e))?;
        if meta.is_dir() {
            self.folder(p)
        } else if is_jsonl(p) {
            self.jsonl(p, opts)
        } else {
            let (_, start) = self.begin();
            let mut f = File::open(p).map_err(|e| file_error(p, e))?;
            let what = format!("context file `{}`", display(p));
            read_bounded(&mut f, &mut self.buf, opts, &what)?;
            self.push_doc(display(p), start);
            Ok(())
        }
    }

    fn folder(&mut self, dir: &Path) -> Result<(), ContextError> {
        let mut files = Vec::new();
        let top = fs::read_dir(dir).map_err(|e| {
            ContextError::io(
                format_args!("cannot read context folder `{}`", display(dir)),
                e,
            )
        })?;
        let what = format!("context folder `{}`", display(dir));
        let root = fs::canonicalize(dir)
            .map_err(|e| ContextError::io(format_args!("cannot read {what}"), e))?;
        let walker = Walker {
            root,
            opts: self.opts,
            what: &what,
        };
        walker.walk(top, Path::new(""), &mut files)?;
        let before = self.docs.len();
        let opts = self.opts;
        for (path, rel) in files {
            let (undo, start) = self.begin();
            // Only regular files are read: a device or FIFO in a folder is
            // skipped, never waited on.
            let ok = match File::open(&path) {
                Ok(mut f) if f.metadata().is_ok_and(|m| m.is_file()) => {
                    match read_bounded(&mut f, &mut self.buf, &opts, &what) {
                        Ok(()) => true,
                        Err(e) if e.is_limit() => return Err(e),
                        Err(_) => false,
                    }
                }
                _ => false,
            };
            let probe = &self.buf[start..self.buf.len().min(start + BINARY_PROBE)];
            if !ok || memchr::memchr(0, probe).is_some() {
                self.buf.truncate(undo);
                continue;
            }
            self.push_doc(rel, start);
        }
        if self.docs.len() == before {
            return Err(ContextError::new(format!(
                "context folder `{}` holds no readable files",
                display(dir)
            )));
        }
        Ok(())
    }

    fn jsonl(&mut self, p: &Path, opts: &LoadOptions) -> Result<(), ContextError> {
        let src = open_source(p, opts)?;
        for (i, line) in src.bytes().split(|&b| b == b'\n').enumerate() {
            let n = i + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = match i {
                0 => line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line),
                _ => line,
            };
            if line.trim_ascii().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_slice(line).map_err(|e| {
                ContextError::new(format!("`{}` line {n} is not valid JSON: {e}", display(p)))
            })?;
            let name = field(&value, &["id", "title"]).unwrap_or_else(|| format!("line {n}"));
            let (_, start) = self.begin();
            match field(&value, &["text", "content", "body"]) {
                Some(text) => self.buf.extend_from_slice(text.as_bytes()),
                None => self.buf.extend_from_slice(line),
            }
            self.push_doc(name, start);
            if self.buf.len() > self.opts.max_bytes {
                return Err(ContextError::limit(format!(
                    "context file `{}` holds more than the {} MiB --max-memory allows",
                    display(p),
                    self.opts.max_bytes >> 20
                )));
            }
            check_deadline(&self.opts, "the context")?;
        }
        Ok(())
    }
}

/// The first of `keys` present (and not null) in a JSON object, as text:
/// strings as they are, other values as JSON.
fn field(v: &Value, keys: &[&str]) -> Option<String> {
    let obj = v.as_object()?;
    keys.iter().find_map(|k| match obj.get(*k)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    })
}

/// Collects the regular files below a folder.
struct Walker<'a> {
    /// The folder, canonical: links that resolve outside it are skipped
    /// unless `opts.follow`.
    root: PathBuf,
    opts: LoadOptions,
    what: &'a str,
}

impl Walker<'_> {
    /// Collects the regular files below a folder, sorted by path, skipping
    /// hidden entries and anything unreadable. Symbolic links to files are
    /// followed when they stay inside the folder (or with `follow`); links
    /// to folders are not (no cycles). Stops at the deadline, and at as
    /// many files as the byte limit could hold.
    fn walk(
        &self,
        entries: fs::ReadDir,
        rel: &Path,
        out: &mut Vec<(PathBuf, String)>,
    ) -> Result<(), ContextError> {
        check_deadline(&self.opts, self.what)?;
        let mut entries: Vec<fs::DirEntry> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(fs::DirEntry::file_name);
        for e in entries {
            let name = e.file_name();
            if name.as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let path = e.path();
            let rel = rel.join(&name);
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if let Ok(sub) = fs::read_dir(&path) {
                    self.walk(sub, &rel, out)?;
                }
            } else if ft.is_file() || (ft.is_symlink() && self.link_ok(&path)) {
                out.push((path, rel_name(&rel)));
                if out.len().saturating_mul(SEPARATOR.len()) > self.opts.max_bytes {
                    return Err(ContextError::limit(format!(
                        "{} holds more files than the {} MiB --max-memory allows",
                        self.what,
                        self.opts.max_bytes >> 20
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether a link is read: it leads to a regular file, inside the
    /// folder unless links may leave it.
    fn link_ok(&self, path: &Path) -> bool {
        let Ok(target) = fs::canonicalize(path) else {
            return false;
        };
        (self.opts.follow || target.starts_with(&self.root))
            && fs::metadata(&target).is_ok_and(|m| m.is_file())
    }
}

/// A relative path as a document name, with `/` between components.
fn rel_name(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
