//! Variables: the globals of a program and the locals of a function call.
//!
//! Scope is Python's: blocks make no scope, a `def` or lambda call has its
//! own locals and reads enclosing names (the locals it closed over, then the
//! globals). Globals are only written by top-level statements, so while an
//! expression is evaluated they are shared read-only, which is what lets
//! `map` run a function on many threads at once.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::syntax::ast::{Name, SlotHint};

use super::value::{same_text as same, Value};

/// A [`SlotHint`] with this bit set points into the globals; without it,
/// into the locals of a call.
pub const GLOBAL: u32 = 1 << 31;

/// A [`SlotHint`] with this bit set (and not [`GLOBAL`]) names a builtin,
/// by its position (a name's builtin never changes; whether a variable
/// hides it does).
pub const BUILTIN: u32 = 1 << 30;

/// The top-level variables of a program (they persist across the turns of
/// a session). Each name keeps its slot once bound, so a [`SlotHint`] can
/// find it again without hashing.
#[derive(Clone, Default)]
pub struct Globals {
    index: HashMap<Name, u32, foldhash::fast::FixedState>,
    slots: Vec<(Name, Value)>,
    /// The builtins (by position, see [`crate::builtins::at`]) that a
    /// variable's name hides, one bit each.
    hidden: Vec<u64>,
}

impl Globals {
    /// No variables.
    pub fn new() -> Globals {
        Globals::default()
    }

    /// The value of `name`.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&Value> {
        let i = *self.index.get(name)?;
        Some(&self.slots[i as usize].1)
    }

    /// The slot of `name`, trying `hint` first and remembering it there.
    #[inline(always)]
    fn slot(&self, name: &str, hint: &SlotHint) -> Option<usize> {
        let h = hint.get();
        if h & GLOBAL != 0 {
            let i = (h & !GLOBAL) as usize;
            if self.slots.get(i).is_some_and(|(n, _)| same(n, name)) {
                return Some(i);
            }
        }
        self.search(name, hint)
    }

    /// [`Self::slot`] when the hint does not point at `name`.
    #[inline(never)]
    fn search(&self, name: &str, hint: &SlotHint) -> Option<usize> {
        let i = *self.index.get(name)?;
        hint.set(i | GLOBAL);
        Some(i as usize)
    }

    /// The value of `name`, found through `hint`.
    #[inline(always)]
    pub fn find(&self, name: &str, hint: &SlotHint) -> Option<&Value> {
        self.slot(name, hint).map(|i| &self.slots[i].1)
    }

    /// Binds `name`.
    pub fn set(&mut self, name: Name, value: Value) {
        self.bind(&name, &SlotHint::default(), value);
    }

    /// Binds `name`, found through `hint` (the name is copied only when it
    /// is new).
    #[inline]
    pub fn bind(&mut self, name: &Name, hint: &SlotHint, value: Value) {
        match self.slot(name, hint) {
            Some(i) => self.slots[i].1 = value,
            None => {
                let i = self.slots.len() as u32;
                hint.set(i | GLOBAL);
                if let Some((b, _)) = crate::builtins::lookup_indexed(name) {
                    let (word, bit) = (b as usize / 64, b % 64);
                    if self.hidden.len() <= word {
                        self.hidden.resize(word + 1, 0);
                    }
                    self.hidden[word] |= 1 << bit;
                }
                self.index.insert(name.clone(), i);
                self.slots.push((name.clone(), value));
            }
        }
    }

    /// The value of `name`, found through `hint`, for changing in place.
    pub fn find_mut(&mut self, name: &str, hint: &SlotHint) -> Option<&mut Value> {
        self.slot(name, hint).map(|i| &mut self.slots[i].1)
    }

    /// Whether a variable has the name (or an alias) of the builtin at
    /// position `builtin`.
    #[inline]
    fn hides(&self, builtin: u32) -> bool {
        let (word, bit) = (builtin as usize / 64, builtin % 64);
        self.hidden.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    /// All variables, sorted by name.
    pub fn sorted(&self) -> Vec<(&Name, &Value)> {
        let mut all: Vec<_> = self.slots.iter().map(|(n, v)| (n, v)).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// The names bound.
    pub fn names(&self) -> impl Iterator<Item = &Name> {
        self.slots.iter().map(|(n, _)| n)
    }
}

/// The locals of one function call: few, so a small vector.
///
/// A name bound while the call runs is borrowed from the program (the
/// function's parameters and body outlive the call), so binding one
/// copies no string and updates no count: a shared name's count would be
/// updated on every call, by every thread of a `map` at once. What a
/// lambda closes over ([`Locals::captured`]) owns its names.
#[derive(Clone, Default)]
pub struct Locals<'n> {
    vars: Vec<(Cow<'n, Name>, Value)>,
}

impl<'n> Locals<'n> {
    /// No locals.
    pub fn new() -> Locals<'n> {
        Locals::default()
    }

    /// Room for `n` locals.
    pub fn with_capacity(n: usize) -> Locals<'n> {
        Locals {
            vars: Vec::with_capacity(n),
        }
    }

    /// A copy of these locals with room for `n` more (a call's frame over
    /// what its function captured: one allocation, not a copy and a grow).
    pub fn with_room(&self, n: usize) -> Locals<'n> {
        let mut vars = Vec::with_capacity(self.vars.len() + n);
        vars.extend(self.vars.iter().cloned());
        Locals { vars }
    }

    /// These locals, owning their names: what a lambda or `def` made here
    /// closes over.
    pub fn captured(&self) -> Locals<'static> {
        Locals {
            vars: self
                .vars
                .iter()
                .map(|(n, v)| (Cow::Owned(Name::clone(n)), v.clone()))
                .collect(),
        }
    }

    /// The value of `name`.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.slot(name, &SlotHint::default())
            .map(|i| &self.vars[i].1)
    }

    /// The slot of `name`, trying `hint` first and remembering it there.
    #[inline(always)]
    fn slot(&self, name: &str, hint: &SlotHint) -> Option<usize> {
        let h = hint.get();
        if h & GLOBAL == 0 {
            let i = h as usize;
            if self.vars.get(i).is_some_and(|(n, _)| same(n, name)) {
                return Some(i);
            }
        }
        self.search(name, hint)
    }

    /// [`Self::slot`] when the hint does not point at `name`.
    #[inline(never)]
    fn search(&self, name: &str, hint: &SlotHint) -> Option<usize> {
        let i = self.vars.iter().rposition(|(n, _)| same(n, name))?;
        hint.set(i as u32);
        Some(i)
    }

    /// The value of `name`, found through `hint`.
    #[inline(always)]
    pub fn find(&self, name: &str, hint: &SlotHint) -> Option<&Value> {
        self.slot(name, hint).map(|i| &self.vars[i].1)
    }

    /// The value of `name`, found through `hint`, for changing in place.
    pub fn find_mut(&mut self, name: &str, hint: &SlotHint) -> Option<&mut Value> {
        self.slot(name, hint).map(|i| &mut self.vars[i].1)
    }

    /// Binds `name` (rebinding replaces), owning the name.
    pub fn set(&mut self, name: Name, value: Value) {
        match self.slot(&name, &SlotHint::default()) {
            Some(i) => self.vars[i].1 = value,
            None => self.vars.push((Cow::Owned(name), value)),
        }
    }

    /// Binds a call's next parameter. Reads search from the last binding
    /// back, so a name given twice reads as the later one, as with [`set`](Self::set).
    #[inline]
    pub fn push_param(&mut self, name: &'n Name, value: Value) {
        self.vars.push((Cow::Borrowed(name), value));
    }

    /// Binds `name` (rebinding replaces), found through `hint`.
    #[inline]
    pub fn bind(&mut self, name: &'n Name, hint: &SlotHint, value: Value) {
        match self.slot(name, hint) {
            Some(i) => self.vars[i].1 = value,
            None => {
                hint.set(self.vars.len() as u32);
                self.vars.push((Cow::Borrowed(name), value));
            }
        }
    }

    /// All locals in binding order.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &Value)> {
        self.vars.iter().map(|(n, v)| (&**n, v))
    }
}

/// Where names are read and written while a statement runs.
pub enum Scope<'g> {
    /// Top level: reads and writes the globals.
    Top(&'g mut Globals),
    /// Inside a call: writes its locals, reads them and then the globals.
    Local {
        /// The program's globals, read-only.
        globals: &'g Globals,
        /// This call's locals.
        locals: Locals<'g>,
    },
}

impl<'g> Scope<'g> {
    /// The value of `name`, locals first.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.find(name, &SlotHint::default())
    }

    /// Whether `name`, the name of the builtin at position `builtin`, may
    /// be a variable here.
    #[inline]
    pub fn may_hide(&self, name: &str, builtin: u32) -> bool {
        match self {
            Scope::Top(g) => g.hides(builtin),
            Scope::Local { globals, locals } => {
                globals.hides(builtin) || locals.vars.iter().any(|(n, _)| same(n, name))
            }
        }
    }

    /// The value of `name`, locals first, found through `hint`.
    #[inline(always)]
    pub fn find(&self, name: &str, hint: &SlotHint) -> Option<&Value> {
        match self {
            Scope::Top(g) => g.find(name, hint),
            Scope::Local { globals, locals } => {
                locals.find(name, hint).or_else(|| globals.find(name, hint))
            }
        }
    }

    /// Binds `name` in this scope.
    pub fn set(&mut self, name: Name, value: Value) {
        match self {
            Scope::Top(g) => g.set(name, value),
            Scope::Local { locals, .. } => locals.set(name, value),
        }
    }

    /// Binds `name` in this scope, found through `hint`.
    #[inline]
    pub fn bind(&mut self, name: &'g Name, hint: &SlotHint, value: Value) {
        match self {
            Scope::Top(g) => g.bind(name, hint, value),
            Scope::Local { locals, .. } => locals.bind(name, hint, value),
        }
    }

    /// The value of `name` for changing in place, found through `hint`;
    /// inside a call, a global is first copied into the locals (globals
    /// are read-only there).
    pub fn find_mut(&mut self, name: &Name, hint: &SlotHint) -> Option<&mut Value> {
        match self {
            Scope::Top(g) => g.find_mut(name, hint),
            Scope::Local { globals, locals } => {
                if locals.find(name, hint).is_none() {
                    let v = globals.find(name, hint)?.clone();
                    locals.set(name.clone(), v);
                }
                locals.find_mut(name, hint)
            }
        }
    }

    /// The globals, read-only.
    pub fn globals(&self) -> &Globals {
        match self {
            Scope::Top(g) => g,
            Scope::Local { globals, .. } => globals,
        }
    }

    /// The locals, inside a call.
    pub fn locals(&self) -> Option<&Locals<'g>> {
        match self {
            Scope::Top(_) => None,
            Scope::Local { locals, .. } => Some(locals),
        }
    }

    /// What a lambda created here closes over.
    pub fn capture(&self) -> Locals<'static> {
        self.locals().map(Locals::captured).unwrap_or_default()
    }
}

/// Helper for messages: all names visible from a scope.
pub fn visible_names<'a>(scope: &'a Scope<'_>) -> Vec<&'a str> {
    let mut names: Vec<&str> = scope.globals().names().map(|n| &**n).collect();
    if let Some(l) = scope.locals() {
        names.extend(l.iter().map(|(n, _)| &**n));
    }
    names
}
