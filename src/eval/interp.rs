//! The interpreter's shared state and entry point.
//!
//! A [`Runtime`] holds what one run shares across threads (the context, the
//! limits, compiled regexes, the sub-call backend); it evaluates a checked
//! [`Program`] against [`Globals`] that the caller keeps, so a session's
//! variables persist from one turn to the next. Statements take a mutable
//! [`Scope`]; expressions only read it, which is what lets `map` run a pure
//! function on many threads at once.
//!
//! The stages live beside this file: statements (`exec`), places and their
//! updates (`place`), expressions (`expr`), iteration and comprehensions
//! (`iterate`), calls (`call`), field/index/slice access (`access`), tree
//! walks (`walk`) and shared error messages (`errors`).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, RwLock};

use crate::context::Context;
use crate::diag::{Diagnostic, Stage};
use crate::search::{Matcher, PatternSpec};
use crate::syntax::ast::*;
use crate::syntax::span::{FileId, SourceMap, Span};

use super::env::{Globals, Scope};
use super::flow::{Flow, R};
use super::limits::{Limits, Meter};
use super::render::{display_within, Bound, Stop};
use super::value::*;

pub use super::access::slice_str;
pub use super::errors::error_value_used;
pub use super::walk::walk_expr;

/// What one run shares: the context, limits and caches.
pub struct Runtime {
    /// The documents.
    pub context: Arc<Context>,
    /// Counters and limits.
    pub meter: Meter,
    sources: RwLock<SourceMap>,
    regexes: Mutex<HashMap<Arc<str>, Arc<RegexValue>>>,
    pub(crate) effects: Mutex<HashMap<usize, super::effects::Effects>>,
    /// Where programs bind names that builtins have (see `shadow.rs`).
    pub(crate) shadows: Mutex<Vec<(Name, Span)>>,
    /// Models available to the run, if any.
    pub models: Option<super::models::Models>,
}

impl Runtime {
    /// A runtime over `context` with `limits`.
    pub fn new(context: Arc<Context>, limits: Limits) -> Runtime {
        Runtime {
            context,
            meter: Meter::new(limits),
            sources: RwLock::new(SourceMap::new()),
            regexes: Mutex::new(HashMap::new()),
            effects: Mutex::new(HashMap::new()),
            shadows: Mutex::new(Vec::new()),
            models: None,
        }
    }

    /// Adds a source file (a script, a turn of a session) and returns its id.
    pub fn add_source(&self, name: &str, text: &str) -> FileId {
        self.sources
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add(name, text)
    }

    /// A snapshot of the source files, for rendering diagnostics.
    pub fn sources(&self) -> SourceMap {
        self.sources
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `file:line:col` of a span.
    pub fn site(&self, span: Span) -> String {
        let map = self.sources.read().unwrap_or_else(|e| e.into_inner());
        let file = map.get(span.file);
        let (line, col, _) = file.locate(span.start as usize);
        format!("{}:{line}:{col}", file.name)
    }

    /// Globals holding `context` and `docs`.
    pub fn base_globals(&self) -> Globals {
        let mut g = Globals::new();
        let src = super::source_ref::SourceRef::new(self.context.source.clone());
        let len = src.len();
        g.set(
            Arc::from("context"),
            Value::Str(Str::View(View {
                src: src.clone(),
                range: 0..len,
            })),
        );
        let (name, text) = (SharedStr::intern("name"), SharedStr::intern("text"));
        let docs = self
            .context
            .docs
            .iter()
            .map(|d| {
                let mut r = Record::default();
                r.insert(
                    Key::Str(name.clone()),
                    Value::Str(Str::Owned(d.name.clone().into())),
                );
                r.insert(
                    Key::Str(text.clone()),
                    Value::Str(Str::View(View {
                        src: src.clone(),
                        range: d.range.clone(),
                    })),
                );
                Value::record(r)
            })
            .collect();
        g.set(Arc::from("docs"), Value::list(docs));
        g
    }

    /// Runs a program against `globals`, writing printed output to `out`.
    /// Returns the value given to `final`, if the program called it.
    pub fn run(
        &self,
        program: &Program,
        globals: &mut Globals,
        out: &mut dyn Write,
    ) -> Result<Option<Value>, Diagnostic> {
        let mut scope = Scope::Top(globals);
        match self.exec_block(&program.stmts, &mut scope, out) {
            Ok(()) => Ok(None),
            Err(Flow::Final(v)) => Ok(Some(v)),
            Err(Flow::Error(d)) => Err(*d),
            Err(Flow::Return(_)) => Err(Diagnostic::new(
                Stage::Runtime,
                "`return` outside a function",
            )
            .hint("use final(x) to end the program with a value")),
            Err(Flow::Break | Flow::Continue) => Err(Diagnostic::new(
                Stage::Runtime,
                "`break` or `continue` outside a loop",
            )),
        }
    }

    /// The text `print` shows for `v`, built within the memory and time
    /// left (and, when `printed`, the output left): a value that shares
    /// structure or is huge stops at the limit, not after it.
    pub fn shown(&self, v: &Value, printed: bool, span: Span) -> R<String> {
        let mut text = String::new();
        self.push_shown(&mut text, v, printed, span)?;
        Ok(text)
    }

    /// [`Runtime::shown`], appended to `text`. A scalar's text is written
    /// in place, bounded by size alone: only a list's or record's
    /// rendering can take long enough to need the time limit.
    pub fn push_shown(&self, text: &mut String, v: &Value, printed: bool, span: Span) -> R<()> {
        let room = self.meter.room(printed).saturating_sub(text.len());
        let done = match v {
            Value::Int(i) => {
                let mut digits = itoa::Buffer::new();
                let digits = digits.format(*i);
                if digits.len() > room {
                    Err(Stop::Size)
                } else {
                    text.push_str(digits);
                    Ok(())
                }
            }
            Value::Str(s) if s.byte_len() <= room => {
                text.push_str(&s.text());
                Ok(())
            }
            Value::Str(_) => Err(Stop::Size),
            _ => {
                let scalar = matches!(v, Value::Float(_) | Value::Bool(_) | Value::Null);
                let bound = Bound {
                    max_bytes: room,
                    deadline: if scalar { None } else { self.meter.deadline() },
                };
                display_within(v, &bound).map(|t| text.push_str(&t))
            }
        };
        done.map_err(|s| self.meter.stopped(s, printed).at(span).into())
    }

    /// Writes printed text (and a newline) to `out`, within the output limit.
    pub fn emit(&self, out: &mut dyn Write, text: &str, span: Span) -> R<()> {
        self.meter.output(text.len() + 1).map_err(|d| d.at(span))?;
        let ok = out
            .write_all(text.as_bytes())
            .and_then(|_| out.write_all(b"\n"));
        ok.map_err(|e| Diagnostic::runtime(span, format!("cannot write output: {e}")).into())
    }

    /// The compiled `re"..."` literal `src`: this thread's copy (see
    /// [`super::thread_copies`]), made from [`Self::regex`] the first time.
    pub fn regex_literal(&self, src: &Arc<str>) -> Result<Arc<RegexValue>, Diagnostic> {
        super::thread_copies::regex_here(src, || self.regex(src))
    }

    /// A compiled regex for `regex(s)` or a literal, cached by source in
    /// the runtime's table.
    pub fn regex(&self, src: &Arc<str>) -> Result<Arc<RegexValue>, Diagnostic> {
        let mut cache = self.regexes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = cache.get(src) {
            return Ok(r.clone());
        }
        let matcher = Matcher::new(&PatternSpec::Regex(src.to_string()), false)
            .map_err(|e| Diagnostic::new(Stage::Runtime, e.to_string()).hint(e.hint()))?;
        let r = Arc::new(RegexValue::new(src.clone(), matcher));
        cache.insert(src.clone(), r.clone());
        Ok(r)
    }
}
