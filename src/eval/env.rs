//! Variables: the globals of a program and the locals of a function call.
//!
//! Scope is Python's: blocks make no scope, a `def` or lambda call has its
//! own locals and reads enclosing names (the locals it closed over, then the
//! globals). Globals are only written by top-level statements, so while an
//! expression is evaluated they are shared read-only, which is what lets
//! `map` run a function on many threads at once.

use std::collections::HashMap;

use crate::syntax::ast::Name;

use super::value::Value;

/// The top-level variables of a program (they persist across the turns of
/// a session).
#[derive(Clone, Default)]
pub struct Globals {
    vars: HashMap<Name, Value, foldhash::fast::FixedState>,
}

impl Globals {
    /// No variables.
    pub fn new() -> Globals {
        Globals::default()
    }

    /// The value of `name`.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    /// Binds `name`.
    pub fn set(&mut self, name: Name, value: Value) {
        match self.vars.get_mut(&*name) {
            Some(slot) => *slot = value,
            None => {
                self.vars.insert(name, value);
            }
        }
    }

    /// The value of `name`, for changing in place.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.vars.get_mut(name)
    }

    /// All variables, sorted by name.
    pub fn sorted(&self) -> Vec<(&Name, &Value)> {
        let mut all: Vec<_> = self.vars.iter().collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// The names bound.
    pub fn names(&self) -> impl Iterator<Item = &Name> {
        self.vars.keys()
    }
}

/// The locals of one function call: few, so a small vector.
#[derive(Clone, Default)]
pub struct Locals {
    vars: Vec<(Name, Value)>,
}

impl Locals {
    /// No locals.
    pub fn new() -> Locals {
        Locals::default()
    }

    /// The value of `name`.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v)
    }

    /// The value of `name`, for changing in place.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.vars
            .iter_mut()
            .rev()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v)
    }

    /// Binds `name` (rebinding replaces).
    pub fn set(&mut self, name: Name, value: Value) {
        if let Some(slot) = self.vars.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        } else {
            self.vars.push((name, value));
        }
    }

    /// All locals in binding order.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &Value)> {
        self.vars.iter().map(|(n, v)| (n, v))
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
        locals: Locals,
    },
}

impl Scope<'_> {
    /// The value of `name`, locals first.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Scope::Top(g) => g.get(name),
            Scope::Local { globals, locals } => locals.get(name).or_else(|| globals.get(name)),
        }
    }

    /// Binds `name` in this scope.
    pub fn set(&mut self, name: Name, value: Value) {
        match self {
            Scope::Top(g) => g.set(name, value),
            Scope::Local { locals, .. } => locals.set(name, value),
        }
    }

    /// The value of `name` for changing in place; inside a call, a global
    /// is first copied into the locals (globals are read-only there).
    pub fn get_mut(&mut self, name: &Name) -> Option<&mut Value> {
        match self {
            Scope::Top(g) => g.get_mut(name),
            Scope::Local { globals, locals } => {
                if locals.get(name).is_none() {
                    let v = globals.get(name)?.clone();
                    locals.set(name.clone(), v);
                }
                locals.get_mut(name)
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
    pub fn locals(&self) -> Option<&Locals> {
        match self {
            Scope::Top(_) => None,
            Scope::Local { locals, .. } => Some(locals),
        }
    }

    /// What a lambda created here closes over.
    pub fn capture(&self) -> Locals {
        self.locals().cloned().unwrap_or_default()
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
