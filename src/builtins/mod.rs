//! The built-in functions of rlq: a registry of signatures and the code
//! behind them, one family per file.
//!
//! Each builtin is declared once with its signature as text
//! (`grep(text, pattern, ignore_case=false, around=0, max=null)`) and a
//! one-line doc. The signature drives argument binding, the arity checks of
//! `rlmq check`, and the builtin table of the language reference, so the
//! three cannot disagree.

mod args;
mod collections;
mod convert;
mod distinct;
mod functional;
#[cfg(test)]
mod inline_equiv;
mod io;
mod model;
mod partition;
mod search;
mod str_order;
mod text;

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

pub use args::{Args, CallCx, Slot};
pub use io::describe;
pub use text::nth_field;

use crate::diag::Diagnostic;
use crate::eval::flow::{Flow, R};
use crate::eval::value::Value;
use crate::syntax::ast::Name;
use crate::syntax::span::Span;

/// What calling a builtin can do besides returning a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing: it may run on many threads at once.
    Pure,
    /// Nothing, and it may be given failed sub-call values (`is_error`, `type`).
    Inspect,
    /// Writes output (`print`, `vars`).
    Output,
    /// Ends the program (`final`).
    Final,
    /// Calls a model (`llm`, `rlm`).
    Model,
}

/// A built-in function.
pub struct Builtin {
    /// Signature as written in the reference: `name(a, b=default, *rest)`.
    pub sig: &'static str,
    /// One line: what it returns.
    pub doc: &'static str,
    /// A few words for the system prompt's table (empty when the name and
    /// signature say it all).
    pub brief: &'static str,
    /// What calling it can do.
    pub effect: Effect,
    /// The implementation.
    pub run: fn(&mut CallCx<'_>, &Args<'_>) -> R<Value>,
}

/// A parameter parsed from a signature.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// Its name.
    pub name: &'static str,
    /// Whether a call must give it.
    pub required: bool,
    /// `*rest`: takes all remaining positional arguments.
    pub rest: bool,
}

/// A registered builtin with its parsed signature.
pub struct Entry {
    /// The name.
    pub name: &'static str,
    /// The declaration.
    pub builtin: &'static Builtin,
    /// Parameters in order.
    pub params: Vec<ParamSpec>,
    /// Whether a call giving every argument by position can bind them in
    /// place (see [`invoke_inline`]): no `*rest`, at most
    /// [`INLINE_PARAMS`] parameters.
    pub inline: bool,
}

/// Most parameters a builtin may have for [`invoke_inline`].
pub const INLINE_PARAMS: usize = 4;

/// A handle to a registered builtin.
#[derive(Clone, Copy)]
pub struct BuiltinRef(&'static Entry);

impl BuiltinRef {
    /// Its name.
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// True when it may run on many threads at once.
    pub fn is_pure(&self) -> bool {
        matches!(self.0.builtin.effect, Effect::Pure | Effect::Inspect)
    }

    /// The registry entry.
    pub fn entry(&self) -> &'static Entry {
        self.0
    }

    /// Whether `given` arguments, all by position, can be bound in place
    /// ([`invoke_inline`]).
    #[inline]
    pub fn takes_inline(&self, given: usize) -> bool {
        self.0.inline && given <= self.0.params.len()
    }
}

/// Python spellings accepted as aliases.
const ALIASES: &[(&str, &str)] = &[
    ("strip", "trim"),
    ("lstrip", "ltrim"),
    ("rstrip", "rtrim"),
    ("startswith", "starts_with"),
    ("endswith", "ends_with"),
    ("splitlines", "lines"),
    ("sorted", "sort"),
    ("reversed", "reverse"),
    ("dict", "record"),
    ("length", "len"),
    ("isdigit", "is_digit"),
    ("isalpha", "is_alpha"),
    ("isupper", "is_upper"),
    ("islower", "is_lower"),
];

/// Names models reach for that rlq does not have, with what to write.
const PYTHON_HINTS: &[(&str, &str)] = &[
    ("re", "rlq has no `re` module: write grep(t, re\"...\"), find(t, re\"...\"), count(t, re\"...\"), matches(s, re\"...\"), replace(t, re\"...\", new)"),
    ("set", "use unique(xs) for distinct items in first-seen order"),
    ("isinstance", "use type(x) == \"str\" (type names: str int float bool null list record match regex function error)"),
    ("open", "rlq has no file access: the document is `context` (and `docs` for several documents)"),
    ("input", "rlq has no input: the document is `context`"),
    ("import", "rlq has no imports: grep, count, partition, map, llm ... are built in"),
    ("math", "rlq has no math module: use round, abs, min, max, sum, pow, floor, ceil"),
    ("json_dumps", "use json(x)"),
    ("loads", "use parse_json(s)"),
    ("dumps", "use json(x)"),
    ("tuple", "rlq has lists only: [a, b]"),
    ("FINAL", "end with final(x)"),
    ("FINAL_VAR", "end with final(x), passing the variable itself"),
    ("SUBMIT", "end with final(x)"),
    ("llm_query", "use llm(prompt, text)"),
    ("llm_query_batched", "use xs | map(x => llm(prompt, x)): map runs the calls concurrently"),
    ("rlm_query", "use rlm(question, text)"),
    ("SHOW_VARS", "use vars()"),
    ("print_vars", "use vars()"),
    ("self", "rlq has no classes"),
    ("nonlocal", "a def cannot assign outer variables; return the value instead"),
    ("global", "a def cannot assign outer variables; return the value instead"),
    ("len_", "use len(x)"),
    ("index", "use index_of(s, x): the offset of x, or -1 when it is absent"),
];

/// The builtins by family, with the family's name.
fn families() -> [(&'static str, &'static [Builtin]); 8] {
    [
        ("text", text::BUILTINS),
        ("search", search::BUILTINS),
        ("cut", partition::BUILTINS),
        ("collections", collections::BUILTINS),
        ("functions", functional::BUILTINS),
        ("values", convert::BUILTINS),
        ("output", io::BUILTINS),
        ("models", model::BUILTINS),
    ]
}

struct Registry {
    entries: Vec<&'static Entry>,
    by_name: HashMap<&'static str, &'static Entry, foldhash::fast::FixedState>,
}

fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| {
        let mut entries = Vec::new();
        let mut by_name = HashMap::default();
        for (_, fam) in families() {
            for b in fam {
                let (name, params) = parse_sig(b.sig);
                let inline = params.len() <= INLINE_PARAMS && !params.iter().any(|p| p.rest);
                let e: &'static Entry = Box::leak(Box::new(Entry {
                    name,
                    builtin: b,
                    params,
                    inline,
                }));
                entries.push(e);
                by_name.insert(name, e);
            }
        }
        for (alias, target) in ALIASES {
            if let Some(e) = by_name.get(target).copied() {
                by_name.insert(alias, e);
            }
        }
        Registry { entries, by_name }
    })
}

fn parse_sig(sig: &'static str) -> (&'static str, Vec<ParamSpec>) {
    let open = sig.find('(').unwrap_or(sig.len());
    let name = &sig[..open];
    let inner = sig[open..].trim_start_matches('(');
    let inner = &inner[..inner.rfind(')').unwrap_or(inner.len())];
    let params = inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let rest = p.starts_with('*');
            let base = p.trim_start_matches('*');
            let (pname, has_default) = match base.find('=') {
                Some(i) => (&base[..i], true),
                None => (base, false),
            };
            ParamSpec {
                name: pname,
                required: !has_default && !rest,
                rest,
            }
        })
        .collect();
    (name, params)
}

/// The builtin called `name` (aliases included).
pub fn lookup(name: &str) -> Option<BuiltinRef> {
    registry().by_name.get(name).map(|e| BuiltinRef(e))
}

/// The builtin called `name` (or an alias) and its position in declaration
/// order, for [`at`].
pub fn lookup_indexed(name: &str) -> Option<(u32, BuiltinRef)> {
    let b = lookup(name)?;
    let i = registry()
        .entries
        .iter()
        .position(|e| std::ptr::eq(*e, b.0))?;
    Some((i as u32, b))
}

/// The builtin at position `index` in declaration order.
pub fn at(index: u32) -> Option<BuiltinRef> {
    registry()
        .entries
        .get(index as usize)
        .map(|e| BuiltinRef(e))
}

/// All builtin names (no aliases), in declaration order.
pub fn names() -> impl Iterator<Item = &'static str> {
    registry().entries.iter().map(|e| e.name)
}

/// All builtins, in declaration order.
pub fn all() -> impl Iterator<Item = &'static Entry> {
    registry().entries.iter().copied()
}

/// What to write instead of a Python name rlq lacks.
pub fn python_hint(name: &str) -> Option<&'static str> {
    PYTHON_HINTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, h)| *h)
}

/// Binds arguments to the builtin's parameters and runs it.
pub fn invoke(
    b: BuiltinRef,
    cx: &mut CallCx<'_>,
    args: Vec<Value>,
    kwargs: Vec<(Name, Value)>,
) -> R<Value> {
    let entry = b.0;
    let given = args.len();
    let (slots, rest) = bind(entry, args, kwargs).map_err(|m| usage_error(entry, cx.span, m))?;
    run(entry, cx, &Args::new(&slots, &rest, given))
}

/// Runs `b` with the first `given` of `slots` holding its arguments, all
/// given by position, and the others `None`: a call reaches a builtin that
/// [takes them inline](BuiltinRef::takes_inline) this way, with no vector
/// of arguments built.
pub fn invoke_inline(
    b: BuiltinRef,
    cx: &mut CallCx<'_>,
    slots: &[Slot<'_>; INLINE_PARAMS],
    given: usize,
) -> R<Value> {
    let entry = b.0;
    let slots = &slots[..entry.params.len()];
    all_required(entry, slots).map_err(|m| usage_error(entry, cx.span, m))?;
    run(entry, cx, &Args::new(slots, &[], given))
}

/// A call that does not fit the builtin's signature.
fn usage_error(entry: &Entry, span: Span, message: String) -> Flow {
    Diagnostic::runtime(span, message)
        .hint(format!("usage: {}", entry.builtin.sig))
        .into()
}

/// Runs a builtin on its bound arguments (a failed sub-call's value among
/// them is an error, but for the builtins that inspect or print it).
fn run(entry: &'static Entry, cx: &mut CallCx<'_>, args: &Args<'_>) -> R<Value> {
    if !matches!(entry.builtin.effect, Effect::Inspect | Effect::Output) {
        for v in args.all() {
            if let Value::Error(e) = v {
                return Err(crate::eval::interp::error_value_used(e, cx.span).into());
            }
        }
    }
    cx.name = entry.name;
    (entry.builtin.run)(cx, args)
}

/// Fails when a required parameter has no argument.
fn all_required(entry: &Entry, slots: &[Slot<'_>]) -> Result<(), String> {
    match entry
        .params
        .iter()
        .zip(slots)
        .find(|(p, s)| p.required && s.is_none())
    {
        Some((p, _)) => Err(format!(
            "{}() is missing the argument `{}`",
            entry.name, p.name
        )),
        None => Ok(()),
    }
}

/// The slots (one per parameter) and the `*rest` arguments of a call.
type Bound = (Vec<Slot<'static>>, Vec<Value>);

fn bind(
    entry: &'static Entry,
    mut args: Vec<Value>,
    kwargs: Vec<(Name, Value)>,
) -> Result<Bound, String> {
    let params = &entry.params;
    let fixed = params.iter().take_while(|p| !p.rest).count();
    let has_rest = fixed < params.len();
    if args.len() > fixed && !has_rest {
        return Err(format!(
            "{}() takes at most {} argument{}",
            entry.name,
            fixed,
            if fixed == 1 { "" } else { "s" }
        ));
    }
    let rest: Vec<Value> = if args.len() > fixed {
        args.drain(fixed..).collect()
    } else {
        Vec::new()
    };
    let mut slots: Vec<Slot<'static>> = args.into_iter().map(|v| Some(Cow::Owned(v))).collect();
    slots.resize_with(params.len(), || None);
    for (k, v) in kwargs {
        match params.iter().position(|p| *p.name == *k && !p.rest) {
            Some(i) if slots[i].is_none() => slots[i] = Some(Cow::Owned(v)),
            Some(_) => return Err(format!("{}() got two values for `{k}`", entry.name)),
            None => {
                let names: Vec<&str> = params.iter().filter(|p| !p.rest).map(|p| p.name).collect();
                let guess = crate::suggest::closest(&k, names.iter().copied());
                return Err(match guess {
                    Some(g) => format!(
                        "{}() has no parameter `{k}` (did you mean `{g}`?)",
                        entry.name
                    ),
                    None => format!("{}() has no parameter `{k}`", entry.name),
                });
            }
        }
    }
    all_required(entry, &slots)?;
    Ok((slots, rest))
}

/// The builtins for the system prompt: one line per family, each builtin
/// as its signature and brief.
pub fn prompt_table() -> String {
    let mut out = String::new();
    for (family, fam) in families() {
        let items: Vec<String> = fam
            .iter()
            .map(|b| match b.brief {
                "" => format!("`{}`", b.sig),
                brief => format!("`{}` {brief}", b.sig),
            })
            .collect();
        out.push_str(&format!("- {family}: {}\n", items.join("; ")));
    }
    out
}

/// Writes the builtin table (signature and doc) as markdown rows.
pub fn reference_table(out: &mut dyn Write) -> std::io::Result<()> {
    for e in all() {
        writeln!(out, "| `{}` | {} |", e.builtin.sig, e.builtin.doc)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_parse() {
        let (name, params) =
            parse_sig("grep(text, pattern, ignore_case=false, around=0, max=null)");
        assert_eq!(name, "grep");
        assert_eq!(params.len(), 5);
        assert!(params[1].required && !params[2].required);
        let (_, p) = parse_sig("print(*values)");
        assert!(p[0].rest);
    }

    #[test]
    fn every_name_is_unique_and_aliases_resolve() {
        let mut seen = std::collections::HashSet::new();
        for n in names() {
            assert!(seen.insert(n), "duplicate builtin {n}");
        }
        for (alias, target) in ALIASES {
            assert_eq!(lookup(alias).map(|b| b.name()), Some(*target));
        }
    }
}
