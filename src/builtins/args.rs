//! What a builtin receives: its bound arguments ([`Args`]) and the call's
//! surroundings ([`CallCx`]): the runtime, the scope, the output, the span,
//! and typed accessors that fail with messages naming the builtin and the
//! parameter.

use rayon::prelude::*;
use std::borrow::Cow;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::diag::{Diagnostic, Stage};
use crate::eval::env::{Globals, Locals};
use crate::eval::flow::{Flow, R};
use crate::eval::interp::Runtime;
use crate::eval::limits::Meter;
use crate::eval::map_pool;
use crate::eval::render::{Bound, Stop};
use crate::eval::value::{Func, List, Str, Value};
use crate::search::{Matcher, PatternSpec};
use crate::syntax::span::Span;

/// How long a pure function's items run on the calling thread before the
/// rest of them are spread over all cores (see [`CallCx::apply_each`]).
const SERIAL_FOR: Duration = Duration::from_micros(200);

/// One parameter's argument, if given: a value of its own, or a
/// variable's read where it lies (no copy for the call).
pub type Slot<'a> = Option<Cow<'a, Value>>;

/// Arguments bound to a builtin's parameters.
pub struct Args<'a> {
    slots: &'a [Slot<'a>],
    rest: &'a [Value],
    positional: usize,
}

impl<'a> Args<'a> {
    /// Bound slots (one per parameter), extra positional arguments, and how
    /// many arguments were given by position.
    pub fn new(slots: &'a [Slot<'a>], rest: &'a [Value], positional: usize) -> Args<'a> {
        Args {
            slots,
            rest,
            positional,
        }
    }

    /// True when parameter `i` was given by position (not as `name=`).
    pub fn by_position(&self, i: usize) -> bool {
        i < self.positional
    }

    /// Parameter `i`, if given and not null.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.raw(i).filter(|v| !matches!(v, Value::Null))
    }

    /// Parameter `i` as given, null included.
    pub fn raw(&self, i: usize) -> Option<&Value> {
        self.slots.get(i).and_then(|s| s.as_deref())
    }

    /// The `*rest` arguments.
    pub fn rest(&self) -> &[Value] {
        self.rest
    }

    /// Every argument given.
    pub fn all(&self) -> impl Iterator<Item = &Value> {
        self.slots
            .iter()
            .flatten()
            .map(|v| &**v)
            .chain(self.rest.iter())
    }
}

/// The surroundings of one builtin call.
pub struct CallCx<'a> {
    /// The run.
    pub rt: &'a Runtime,
    /// The program's globals.
    pub globals: &'a Globals,
    /// The caller's locals, inside a function.
    pub locals: Option<&'a Locals<'a>>,
    /// Where printed output goes.
    pub out: &'a mut dyn Write,
    /// The call's span.
    pub span: Span,
    /// The builtin's name (set by the registry).
    pub name: &'static str,
}

impl CallCx<'_> {
    /// A runtime error at the call, prefixed with the builtin's name.
    pub fn fail(&self, message: impl std::fmt::Display) -> Flow {
        Diagnostic::runtime(self.span, format!("{}: {message}", self.name)).into()
    }

    /// A runtime error at the call, with a hint.
    pub fn fail_hint(&self, message: impl std::fmt::Display, hint: impl Into<String>) -> Flow {
        fail_hint_at(self.name, self.span, message, hint)
    }

    /// Counts `n` steps of work.
    pub fn tick(&self, n: u64) -> R<()> {
        self.rt.meter.ticks(n).map_err(|d| d.at(self.span).into())
    }

    /// Fails if `bytes` more would pass the memory limit.
    pub fn reserve(&self, bytes: usize) -> R<()> {
        self.rt
            .meter
            .check_memory(bytes)
            .map_err(|d| d.at(self.span).into())
    }

    /// The text of `v` by `how` ([`display_within`] or [`json_within`]),
    /// built only while it fits the memory and time left.
    ///
    /// [`display_within`]: crate::eval::render::display_within
    /// [`json_within`]: crate::eval::render::json_within
    pub fn render(&self, v: &Value, how: fn(&Value, &Bound) -> Result<String, Stop>) -> R<String> {
        let meter = &self.rt.meter;
        how(v, &meter.bound(false)).map_err(|s| meter.stopped(s, false).at(self.span).into())
    }

    /// How many more items of `bytes_each` bytes fit under the memory limit
    /// (a search collecting matches stops one past it).
    pub fn room_for(&self, bytes_each: usize) -> usize {
        self.rt.meter.memory_room() / bytes_each.max(1)
    }

    fn wrong(&self, i: usize, want: &str, got: &Value) -> Flow {
        let pname = crate::builtins::lookup(self.name)
            .and_then(|b| b.entry().params.get(i).map(|p| p.name))
            .unwrap_or("argument");
        let hint = match (want, got) {
            ("str", Value::List(_)) => "to work on each item use map/filter; to treat a list of lines as one text use join(xs, \"\\n\")",
            ("str", Value::Match(_)) => "use m.text (the matched text) or m.line_text (its line)",
            ("str", Value::Int(_) | Value::Float(_)) => "convert with str(x)",
            ("int", Value::Str(_)) => "convert with int(s)",
            ("list", Value::Str(_)) => "split it first: lines(t), split(t, sep) or partition(t, size=N)",
            ("function", _) => "pass a lambda such as x => x.name, or a def by name",
            (_, Value::Null) => "the value is null (nothing found?); check it first or use x ?? default",
            _ => "",
        };
        let d = Diagnostic::runtime(
            self.span,
            format!(
                "{}: `{pname}` must be {want}, got {}",
                self.name,
                got.type_name()
            ),
        );
        if hint.is_empty() { d } else { d.hint(hint) }.into()
    }

    fn required<'v>(&self, args: &'v Args, i: usize) -> R<&'v Value> {
        match args.raw(i) {
            Some(v) => Ok(v),
            None => {
                let pname = crate::builtins::lookup(self.name)
                    .and_then(|b| b.entry().params.get(i).map(|p| p.name))
                    .unwrap_or("argument");
                Err(self.fail(format!("missing `{pname}`")))
            }
        }
    }

    /// Parameter `i` as a string.
    pub fn str<'v>(&self, args: &'v Args, i: usize) -> R<&'v Str> {
        match self.required(args, i)? {
            Value::Str(s) => Ok(s),
            other => Err(self.wrong(i, "a str", other)),
        }
    }

    /// Optional parameter `i` as a string.
    pub fn opt_str<'v>(&self, args: &'v Args, i: usize) -> R<Option<&'v Str>> {
        match args.get(i) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(i, "a str", other)),
        }
    }

    /// Parameter `i` as an int (`default` when absent or null).
    pub fn int(&self, args: &Args, i: usize, default: Option<i64>) -> R<i64> {
        match (args.get(i), default) {
            (None, Some(d)) => Ok(d),
            (None, None) => Err(self.wrong(i, "an int", args.raw(i).unwrap_or(&Value::Null))),
            (Some(Value::Int(n)), _) => Ok(*n),
            (Some(Value::Bool(b)), _) => Ok(*b as i64),
            (Some(Value::Float(f)), _) if f.fract() == 0.0 => Ok(*f as i64),
            (Some(other), _) => Err(self.wrong(i, "an int", other)),
        }
    }

    /// Optional parameter `i` as an int.
    pub fn opt_int(&self, args: &Args, i: usize) -> R<Option<i64>> {
        match args.get(i) {
            None => Ok(None),
            Some(_) => self.int(args, i, None).map(Some),
        }
    }

    /// Parameter `i` as a bool (truthiness; `default` when absent).
    pub fn bool(&self, args: &Args, i: usize, default: bool) -> bool {
        args.get(i).map_or(default, Value::truthy)
    }

    /// Parameter `i` as a list.
    pub fn list(&self, args: &Args, i: usize) -> R<List> {
        match self.required(args, i)? {
            Value::List(l) => Ok(l.clone()),
            other => Err(self.wrong(i, "a list", other)),
        }
    }

    /// Parameter `i` iterated as Python iterates it: a list's items, a
    /// string's characters, a record's keys.
    pub fn iterable(&self, args: &Args, i: usize) -> R<List> {
        let v = self.required(args, i)?;
        python_items(v).ok_or_else(|| self.wrong(i, "a list, a string or a record", v))
    }

    /// Parameter `i` as a function.
    pub fn func(&self, args: &Args, i: usize) -> R<Func> {
        match self.required(args, i)? {
            Value::Func(f) => Ok(f.clone()),
            other => Err(self.wrong(i, "a function", other)),
        }
    }

    /// Optional parameter `i` as a function.
    pub fn opt_func(&self, args: &Args, i: usize) -> R<Option<Func>> {
        match args.get(i) {
            None => Ok(None),
            Some(Value::Func(f)) => Ok(Some(f.clone())),
            Some(other) => Err(self.wrong(i, "a function", other)),
        }
    }

    /// Parameter `i` as a search pattern: a string (literal), a list of
    /// strings (any of them), or a regex.
    pub fn pattern<'v>(&self, args: &'v Args, i: usize, ignore_case: bool) -> R<Cow<'v, Matcher>> {
        let spec = match self.required(args, i)? {
            Value::Str(s) => PatternSpec::Literal(s.text().into_owned()),
            // Lent, not copied: a copy would add to the count of a matcher
            // that the threads of a `map` share.
            Value::Regex(r) if !ignore_case => return Ok(Cow::Borrowed(&r.matcher)),
            Value::Regex(r) => PatternSpec::Regex(r.source.to_string()),
            Value::List(l) => {
                let mut lits = Vec::with_capacity(l.len());
                for x in l.iter() {
                    match x {
                        Value::Str(s) => lits.push(s.text().into_owned()),
                        other => {
                            return Err(self.fail_hint(
                                format!(
                                    "a pattern list must hold strings, got {}",
                                    other.type_name()
                                ),
                                "pass a list of literal strings, or one regex: re\"a|b\"",
                            ))
                        }
                    }
                }
                PatternSpec::Set(lits)
            }
            other => {
                return Err(self.fail_hint(
                    format!(
                        "a pattern must be a str, a list of str or a regex, got {}",
                        other.type_name()
                    ),
                    "write a literal \"ERROR\", a set [\"a\", \"b\"], or a regex re\"\\d+\"",
                ))
            }
        };
        Matcher::new(&spec, ignore_case)
            .map(Cow::Owned)
            .map_err(|e| {
                Diagnostic::runtime(self.span, format!("{}: {e}", self.name))
                    .hint(e.hint())
                    .into()
            })
    }

    /// Calls `f` with one argument.
    pub fn call_one(&mut self, f: &Func, x: Value) -> R<Value> {
        self.rt
            .call_one(f, x, self.globals, self.locals, self.out, self.span)
    }

    /// Calls `f` with positional arguments.
    pub fn call(&mut self, f: &Func, args: Vec<Value>) -> R<Value> {
        self.rt.call(
            f,
            args,
            Vec::new(),
            self.globals,
            self.locals,
            self.out,
            self.span,
        )
    }

    /// `f(x)` for every item, in order, as [`Self::apply_each`] gives them.
    pub fn apply_all(&mut self, items: &List, f: &Func) -> R<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        self.apply_each(items, f, |v| {
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    /// `f(x)` for every item, each handed to `each` in item order. A
    /// function that calls models fans out over concurrent calls (after
    /// checking the budget can pay for them); a pure function runs on all
    /// cores in batches (so neither a lazy list of lines nor the results
    /// are ever held whole); any other runs in order here.
    pub fn apply_each(
        &mut self,
        items: &List,
        f: &Func,
        mut each: impl FnMut(Value) -> R<()>,
    ) -> R<()> {
        let n = items.len();
        self.reserve(n.saturating_mul(32))?;
        let fx = self.rt.effects(f, self.globals);
        if n >= 2 && fx.model_sites > 0 {
            if let Some(calls) = self.rt.models.as_ref().and_then(|m| m.calls().ok()) {
                let needed = fx.model_sites.saturating_mul(n as u64);
                let all = items.to_vec();
                let whole = crate::eval::effects::item_call(f, self.globals);
                let texts: Vec<std::borrow::Cow<[u8]>> = all
                    .iter()
                    .map(|x| match x {
                        Value::Str(s) => std::borrow::Cow::Borrowed(s.bytes()),
                        other => crate::eval::render::display(other).into_bytes().into(),
                    })
                    .collect();
                let plan = crate::llm::MapPlan {
                    pieces: texts.iter().map(|t| &**t).collect(),
                    calls_per_item: fx.model_sites,
                    sent_whole: whole.is_some(),
                    model: whole.as_ref().and_then(|w| w.model.as_deref()),
                    max_tokens: whole.as_ref().and_then(|w| w.max_tokens),
                };
                calls.reserve_map(&plan).map_err(|e| {
                    let (stage, hint) = match e.kind {
                        crate::llm::CallErrorKind::PromptTooLarge { .. } => (
                            Stage::Runtime,
                            "cut the text into smaller pieces first: partition(t, size=N) with the size the message gives",
                        ),
                        _ => (
                            Stage::Limit,
                            "make fewer, larger calls: partition(t, size=N) with a larger N, or partition(xs, chars=N); or raise the limit the message names",
                        ),
                    };
                    Flow::from(
                        Diagnostic::new(stage, format!("{}: {}", self.name, e.message()))
                            .at(self.span)
                            .hint(hint),
                    )
                })?;
                drop(plan);
                drop(texts);
                let _progress = calls.progress_start(needed);
                // The requests in flight and one more per core: while as
                // many items as the backend's semaphore lets through wait on
                // the network, the others prepare their next request or
                // store their reply. No more: each holds its request body.
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                let workers = calls.config().concurrency.saturating_add(cores);
                let results = crate::eval::fanout::apply_concurrently(
                    self.rt,
                    &all,
                    f,
                    self.globals,
                    self.out,
                    self.span,
                    workers,
                )?;
                return results.into_iter().try_for_each(each);
            }
        }
        let mut iter = items.iter();
        if n < 2 || !fx.pure {
            for x in iter {
                each(self.call_one(f, x)?)?;
            }
            return Ok(());
        }
        // Handing items to the other cores costs tens of microseconds (far
        // more when their threads have gone to sleep), which a map over the
        // few fields of a line would pay in every round of a loop: items
        // run here, in order, until they have taken `SERIAL_FOR`, and only
        // those left then go to all cores.
        let started = Instant::now();
        while started.elapsed() < SERIAL_FOR {
            match iter.next() {
                Some(x) => each(self.call_one(f, x)?)?,
                None => return Ok(()),
            }
        }
        const BATCH: usize = 1 << 16;
        let (rt, globals, span) = (self.rt, self.globals, self.span);
        let depth = crate::eval::depth::current();
        let run = |x: Value| {
            let _depth = crate::eval::depth::inherit(depth);
            let mut sink = std::io::sink();
            let (x, made_here) = x.for_this_thread();
            (rt.call_one(f, x, globals, None, &mut sink, span), made_here)
        };
        // A list whose items are made on demand from shared parts (a
        // `grep`'s matches) has each made on the thread that runs it.
        let made_by_workers = matches!(items, List::Matches(_));
        let mut next = n - iter.size_hint().0;
        loop {
            let results = if made_by_workers {
                let batch = next..(next + BATCH).min(n);
                next = batch.end;
                if batch.is_empty() {
                    break;
                }
                on_all_cores(batch.into_par_iter(), &rt.meter, |i| {
                    run(items.get(i).unwrap_or(Value::Null))
                })
            } else {
                let batch: Vec<Value> = iter.by_ref().take(BATCH).collect();
                if batch.is_empty() {
                    break;
                }
                on_all_cores(batch.into_par_iter(), &rt.meter, run)
            };
            for (r, made_here) in results {
                drop(made_here);
                each(r?)?;
            }
        }
        Ok(())
    }
}

/// `run` over one batch of a pure `map`'s items on all cores, the results
/// in item order; each worker adds the steps it counted when its part ends.
fn on_all_cores<T: Send>(
    batch: impl IndexedParallelIterator<Item = T>,
    meter: &Meter,
    run: impl Fn(T) -> (R<Value>, Option<Value>) + Sync + Send,
) -> Vec<(R<Value>, Option<Value>)> {
    map_pool::install(|| batch.map_init(|| meter.settling(), |_, x| run(x)).collect())
}

/// [`CallCx::fail_hint`] where no call context can be borrowed (inside a
/// callback the context is running): a runtime error at `span`, prefixed
/// with the builtin's `name`, with `hint`.
pub fn fail_hint_at(
    name: &str,
    span: Span,
    message: impl std::fmt::Display,
    hint: impl Into<String>,
) -> Flow {
    Diagnostic::runtime(span, format!("{name}: {message}"))
        .hint(hint)
        .into()
}

/// A list of strings as a value.
pub fn str_list(items: impl IntoIterator<Item = Str>) -> Value {
    Value::list(items.into_iter().map(Value::Str).collect())
}

/// The items Python's iteration gives for `v`: a list's items, a string's
/// characters, a record's keys; `None` for other values.
pub fn python_items(v: &Value) -> Option<List> {
    match v {
        Value::List(l) => Some(l.clone()),
        Value::Str(s) => Some(List::from_vec(
            s.text()
                .chars()
                .map(|c| Value::str(c.to_string()))
                .collect(),
        )),
        Value::Record(r) => Some(List::from_vec(
            r.keys().map(crate::eval::value::Key::to_value).collect(),
        )),
        _ => None,
    }
}
