//! The values of rlq.
//!
//! Values are immutable and cheap to clone (reference-counted), so
//! copy-on-write updates (`xs[i] = e`) never show through an alias. A string
//! is one user-visible type, [`Str`], backed either by a small owned string
//! or by a zero-copy [`View`] of a [`Source`] (the memory-mapped context, or
//! a large computed string given a source of its own so that it can be
//! indexed and searched like the context).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::context::source::Source;
use crate::search::{Groups, Matcher};
use crate::syntax::ast::{FnDef, Lambda};
pub use crate::syntax::shared_str::SharedStr;

use super::env::Locals;
pub use super::matches::MatchesOf;
use super::source_ref::SourceRef;
use crate::builtins::BuiltinRef;

/// Computed strings longer than this get a [`Source`] of their own, so that
/// character offsets and line lookups in them are indexed, not rescanned.
pub const VIEW_THRESHOLD: usize = 64 * 1024;

/// A value of rlq.
#[derive(Clone)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A 64-bit integer; overflow is an error.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string (owned, or a view of a source).
    Str(Str),
    /// A list.
    List(List),
    /// An insertion-ordered map with string or int keys.
    Record(Arc<Record>),
    /// One search hit.
    Match(Arc<MatchValue>),
    /// A compiled regular expression.
    Regex(Arc<RegexValue>),
    /// A function: builtin, `def` or lambda.
    Func(Func),
    /// A failed sub-call, kept in its place.
    Error(Arc<ErrorValue>),
}

impl Value {
    /// The name `type(x)` returns.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Record(_) => "record",
            Value::Match(_) => "match",
            Value::Regex(_) => "regex",
            Value::Func(_) => "function",
            Value::Error(_) => "error",
        }
    }

    /// Python truthiness: 0, 0.0, "", [], {}, null and false are false.
    #[inline]
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Record(r) => !r.is_empty(),
            Value::Error(_) => false,
            Value::Match(_) | Value::Regex(_) | Value::Func(_) => true,
        }
    }

    /// [`Self::truthy`] of a value that is used up: a bool or an int, the
    /// usual conditions, is taken apart without running drop glue (they
    /// own nothing).
    #[inline(always)]
    pub fn into_truthy(self) -> bool {
        let scalar = match &self {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            _ => None,
        };
        match scalar {
            Some(t) => {
                std::mem::forget(self);
                t
            }
            None => self.truthy(),
        }
    }

    /// The two ints of `x` and `y`, taken apart without running drop glue
    /// (ints own nothing), or both values back when either is not an int.
    #[inline(always)]
    pub fn int_pair(x: Value, y: Value) -> Result<(i64, i64), (Value, Value)> {
        if let (Value::Int(p), Value::Int(q)) = (&x, &y) {
            let pair = (*p, *q);
            std::mem::forget(x);
            std::mem::forget(y);
            return Ok(pair);
        }
        Err((x, y))
    }

    /// A string value from owned text.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Str::from_string(s.into()))
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::from_vec(items))
    }

    /// A record value.
    pub fn record(map: Record) -> Value {
        Value::Record(Arc::new(map))
    }
}

/// A string: owned text or a zero-copy view of a source.
#[derive(Clone)]
pub enum Str {
    /// A small string: computed (counted), or a literal of the program
    /// (interned).
    Owned(SharedStr),
    /// A byte range of a source (the context, or a large computed string).
    View(View),
}

/// A byte range of a [`Source`].
#[derive(Clone)]
pub struct View {
    /// The source.
    pub src: SourceRef,
    /// The byte range.
    pub range: Range<usize>,
}

impl View {
    /// A view of all of `bytes`, in a source of their own.
    pub fn of_owned(bytes: Vec<u8>) -> View {
        let len = bytes.len();
        View {
            src: SourceRef::new(Arc::new(Source::from_vec(bytes))),
            range: 0..len,
        }
    }

    /// The bytes of the view.
    pub fn bytes(&self) -> &[u8] {
        &self.src.bytes()[self.range.clone()]
    }

    /// The same view through this thread's handle on its source (see
    /// [`SourceRef::here`]).
    pub fn here(&self) -> View {
        View {
            src: self.src.here(),
            range: self.range.clone(),
        }
    }

    /// A sub-view by byte range relative to this view.
    pub fn sub(&self, range: Range<usize>) -> View {
        View {
            src: self.src.here(),
            range: self.range.start + range.start..self.range.start + range.end,
        }
    }
}

/// `parts` joined in one `Arc<str>`, allocated at its exact size.
fn joined_arc(parts: &[&str]) -> Arc<str> {
    let len = parts.iter().map(|p| p.len()).sum();
    let mut buf = Arc::<[u8]>::new_uninit_slice(len);
    let dst = Arc::get_mut(&mut buf).expect("a new Arc has no other owner");
    let mut at = 0;
    for part in parts {
        // SAFETY: `dst` has room for the parts' lengths summed, and `at`
        // plus this part's length is at most that sum.
        unsafe {
            std::ptr::copy_nonoverlapping(
                part.as_ptr(),
                dst.as_mut_ptr().add(at).cast::<u8>(),
                part.len(),
            );
        }
        at += part.len();
    }
    // SAFETY: the loop wrote every byte of `buf`.
    let bytes = unsafe { buf.assume_init() };
    // SAFETY: strings joined whole are UTF-8.
    unsafe { utf8_arc(bytes) }
}

/// Changes the case of the ASCII letters of `bytes`.
fn change_case(bytes: &mut [u8], upper: bool) {
    match upper {
        true => bytes.make_ascii_uppercase(),
        false => bytes.make_ascii_lowercase(),
    }
}

/// `bytes` as an `Arc<str>`, without a copy.
///
/// # Safety
/// `bytes` must be UTF-8.
unsafe fn utf8_arc(bytes: Arc<[u8]>) -> Arc<str> {
    debug_assert!(std::str::from_utf8(&bytes).is_ok());
    // SAFETY: `str` and `[u8]` have the same layout, and the caller
    // vouches that the bytes are UTF-8.
    unsafe { Arc::from_raw(Arc::into_raw(bytes) as *const str) }
}

/// Views shorter than this are checked for ASCII before UTF-8.
const SHORT: usize = 64;

impl Str {
    /// A string from owned text; large texts get a source of their own.
    pub fn from_string(s: String) -> Str {
        if s.len() > VIEW_THRESHOLD {
            Str::View(View::of_owned(s.into_bytes()))
        } else {
            Str::Owned(SharedStr::Counted(Arc::from(s)))
        }
    }

    /// Appends the text of `more` (as `self + more` takes it) where this
    /// string lies, when that needs no copy of it: this is a large computed
    /// string (a view of a buffer of its own, running to the buffer's end)
    /// that nothing else holds. `s += t` in a loop is then linear, as
    /// Python's is in a function. `false`, changing nothing, otherwise.
    pub fn append_in_place(&mut self, more: &Str) -> bool {
        let Str::View(v) = self else {
            return false;
        };
        if v.range.end != v.src.len() {
            return false;
        }
        let add = more.text();
        let appended = v
            .src
            .get_mut()
            .is_some_and(|src| src.append(add.as_bytes()));
        if appended {
            v.range.end += add.len();
        }
        appended
    }

    /// `a` then `b`, as `a + b`: a short result made in one allocation of
    /// its size (no `String` built first and copied), a long one a view
    /// of a buffer of its own.
    pub fn concat(a: &str, b: &str) -> Str {
        if a.len() + b.len() > VIEW_THRESHOLD {
            return Str::from_string([a, b].concat());
        }
        Str::Owned(SharedStr::Counted(joined_arc(&[a, b])))
    }

    /// `text` in upper (`upper`) or lower case when it is ASCII: a short
    /// result in one allocation of its size. `None` for other text, whose
    /// case change can change its length.
    pub fn ascii_case(text: &str, upper: bool) -> Option<Str> {
        if !text.is_ascii() {
            return None;
        }
        if text.len() > VIEW_THRESHOLD {
            let mut bytes = text.as_bytes().to_vec();
            change_case(&mut bytes, upper);
            return Some(Str::View(View::of_owned(bytes)));
        }
        let mut bytes: Arc<[u8]> = Arc::from(text.as_bytes());
        change_case(
            Arc::get_mut(&mut bytes).expect("a new Arc has no other owner"),
            upper,
        );
        // SAFETY: ASCII with its letters' case changed is ASCII.
        Some(Str::Owned(SharedStr::Counted(unsafe { utf8_arc(bytes) })))
    }

    /// A string from a `&str`.
    pub fn from_str_ref(s: &str) -> Str {
        if s.len() > VIEW_THRESHOLD {
            Str::from_string(s.to_string())
        } else {
            Str::Owned(s.into())
        }
    }

    /// The raw bytes (valid UTF-8 unless the context was not).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Str::Owned(s) => s.as_bytes(),
            Str::View(v) => v.bytes(),
        }
    }

    /// The text, with invalid UTF-8 shown as replacement characters.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Str::Owned(s) => Cow::Borrowed(s),
            // A view is checked on each use; simdutf8 checks a line of text
            // in a fraction of the time `std` takes, but hands inputs
            // shorter than its vectors to `std`: a short ASCII field (a
            // key, a number) is told apart by a plain scan first.
            Str::View(v) => {
                let bytes = v.bytes();
                if bytes.len() < SHORT && bytes.is_ascii() {
                    // SAFETY: ASCII bytes are valid UTF-8.
                    return Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) });
                }
                match simdutf8::basic::from_utf8(bytes) {
                    Ok(t) => Cow::Borrowed(t),
                    Err(_) => String::from_utf8_lossy(bytes),
                }
            }
        }
    }

    /// Length in bytes.
    pub fn byte_len(&self) -> usize {
        self.bytes().len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// Length in characters.
    pub fn char_len(&self) -> usize {
        match self {
            // ASCII is checked many bytes at a time: a loop that indexes a
            // computed string character by character stays quick.
            Str::Owned(s) if s.is_ascii() => s.len(),
            Str::Owned(s) => count_chars(s.as_bytes()),
            Str::View(v) => v.src.char_count(v.range.clone()),
        }
    }

    /// Byte offset (relative to the string) of character `chars`, or the
    /// byte length when `chars` is past the end.
    pub fn char_to_byte(&self, chars: usize) -> usize {
        match self {
            Str::Owned(s) if s.is_ascii() => chars.min(s.len()),
            Str::Owned(s) => s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i),
            Str::View(v) => v.src.char_to_byte(v.range.clone(), chars) - v.range.start,
        }
    }

    /// The character at index `n` (negative counts from the end), if there
    /// is one. An ASCII string is indexed by byte, after one check of its
    /// bytes: `s[i]` in a loop over a computed string does not count its
    /// characters at every step.
    pub fn char_at(&self, n: i64) -> Option<Str> {
        if let Str::Owned(s) = self {
            if s.is_ascii() {
                let k = super::ops::resolve_index(n, s.len())?;
                return Some(Str::Owned(s[k..k + 1].into()));
            }
        }
        let k = super::ops::resolve_index(n, self.char_len())?;
        Some(self.sub(self.char_to_byte(k)..self.char_to_byte(k + 1)))
    }

    /// Number of characters before byte offset `byte` (relative to the string).
    pub fn byte_to_char(&self, byte: usize) -> usize {
        match self {
            Str::Owned(s) => {
                let b = byte.min(s.len());
                count_chars(&s.as_bytes()[..b])
            }
            Str::View(v) => v
                .src
                .byte_to_char(v.range.start, v.range.start + byte.min(v.range.len())),
        }
    }

    /// The sub-string over a byte range (zero-copy for views).
    pub fn sub(&self, range: Range<usize>) -> Str {
        match self {
            Str::Owned(s) => {
                let bytes = &s.as_bytes()[range];
                Str::Owned(String::from_utf8_lossy(bytes).as_ref().into())
            }
            Str::View(v) => Str::View(v.sub(range)),
        }
    }

    /// The view this string is, if it is one.
    pub fn as_view(&self) -> Option<&View> {
        match self {
            Str::View(v) => Some(v),
            Str::Owned(_) => None,
        }
    }
}

/// Characters in a byte slice: bytes that are not UTF-8 continuation bytes.
pub fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl PartialEq for Str {
    /// Equal bytes; two views of one range of one source are equal at
    /// once (the match values of one search are made anew each time they
    /// are read, each with a view of the whole text searched).
    fn eq(&self, other: &Str) -> bool {
        if let (Str::View(a), Str::View(b)) = (self, other) {
            if a.range == b.range && a.src.same_source(&b.src) {
                return true;
            }
        }
        self.bytes() == other.bytes()
    }
}

impl Eq for Str {}

impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes().hash(state)
    }
}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Str) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str {
    /// Byte order, which for UTF-8 is code point order.
    fn cmp(&self, other: &Str) -> Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text())
    }
}

/// A list: materialised values, or the lines of a text or the ints of a
/// range, produced on demand.
#[derive(Clone)]
pub enum List {
    /// Values in order.
    Vec(Arc<Vec<Value>>),
    /// The lines of a view, produced on demand (`lines(context)` on a large
    /// file costs one newline count, not one value per line).
    Lines(Arc<LinesOf>),
    /// The ints of a `range()`, made as they are read (a loop over
    /// `range(n)` holds no list of n ints).
    Range(Arc<IntRange>),
    /// The matches of a `grep`, made as they are read (see
    /// [`MatchesOf`]).
    Matches(Arc<MatchesOf>),
}

/// The ints `start`, `start + step`, … of a `range()`, `len` of them.
pub struct IntRange {
    /// The first int.
    pub start: i64,
    /// The difference between neighbours (never zero).
    pub step: i64,
    /// How many ints there are.
    pub len: usize,
}

impl IntRange {
    /// Int `i` (which must be below `len`). Every item lies between the
    /// range's bounds, so the wrapped sum is the exact one even where
    /// `i * step` alone would overflow.
    #[inline]
    pub fn at(&self, i: usize) -> i64 {
        self.start.wrapping_add((i as i64).wrapping_mul(self.step))
    }
}

/// The lines of a view, as a lazy list.
pub struct LinesOf {
    /// The text.
    pub text: View,
    /// How many lines it has, counted when first asked: a loop over the
    /// lines reads the text once, not a second time to count them first.
    count: OnceLock<usize>,
}

impl LinesOf {
    /// How many lines there are.
    pub fn count(&self) -> usize {
        *self
            .count
            .get_or_init(|| self.text.src.line_count(self.text.range.clone()))
    }
}

impl List {
    /// A list of values.
    pub fn from_vec(items: Vec<Value>) -> List {
        List::Vec(Arc::new(items))
    }

    /// The lines of `text`, lazily.
    pub fn lines_of(text: View) -> List {
        List::Lines(Arc::new(LinesOf {
            text,
            count: OnceLock::new(),
        }))
    }

    /// An address identifying this list's storage: two lists with one
    /// identity hold the same items (shared structure compares in O(1)).
    pub fn identity(&self) -> usize {
        match self {
            List::Vec(v) => Arc::as_ptr(v) as *const u8 as usize,
            List::Lines(l) => Arc::as_ptr(l) as *const u8 as usize,
            List::Range(r) => Arc::as_ptr(r) as *const u8 as usize,
            List::Matches(m) => Arc::as_ptr(m) as *const u8 as usize,
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        match self {
            List::Vec(v) => v.len(),
            List::Lines(l) => l.count(),
            List::Range(r) => r.len,
            List::Matches(m) => m.len(),
        }
    }

    /// True when there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Item `i` (0-based), if present.
    pub fn get(&self, i: usize) -> Option<Value> {
        match self {
            List::Vec(v) => v.get(i).cloned(),
            List::Lines(l) => {
                let r = l.text.src.line_range(l.text.range.clone(), i)?;
                Some(Value::Str(Str::View(View {
                    src: l.text.src.here(),
                    range: r,
                })))
            }
            List::Range(r) => (i < r.len).then(|| Value::Int(r.at(i))),
            List::Matches(m) => m.get(i),
        }
    }

    /// The items where they lie, for a list of values (a list of lines
    /// has none until made).
    pub fn as_slice(&self) -> Option<&[Value]> {
        match self {
            List::Vec(v) => Some(v),
            List::Lines(_) | List::Range(_) | List::Matches(_) => None,
        }
    }

    /// All items, materialised (cheap for `Vec`).
    pub fn to_vec(&self) -> Arc<Vec<Value>> {
        match self {
            List::Vec(v) => v.clone(),
            List::Lines(_) | List::Range(_) | List::Matches(_) => Arc::new(self.iter().collect()),
        }
    }

    /// The items for changing in place: a list of lines is materialised,
    /// and shared items are copied first, so other holders never see the
    /// change.
    pub fn make_mut(&mut self) -> &mut Vec<Value> {
        if !matches!(self, List::Vec(_)) {
            *self = List::Vec(self.to_vec());
        }
        match self {
            List::Vec(v) => Arc::make_mut(v),
            List::Lines(_) | List::Range(_) | List::Matches(_) => {
                unreachable!("materialised above")
            }
        }
    }

    /// Items `range` as a new list.
    pub fn slice(&self, range: Range<usize>) -> List {
        match self {
            List::Vec(v) => List::from_vec(v[range].to_vec()),
            List::Lines(_) | List::Matches(_) => {
                List::from_vec(range.filter_map(|i| self.get(i)).collect())
            }
            List::Range(r) => List::Range(Arc::new(IntRange {
                start: r.at(range.start),
                step: r.step,
                len: range.len(),
            })),
        }
    }

    /// An iterator over the items.
    pub fn iter(&self) -> ListIter<'_> {
        ListIter {
            list: Cow::Borrowed(self),
            next: 0,
            lines_pos: None,
            here: None,
        }
    }

    /// The items of a list given up: moved out when nothing else holds
    /// them (a list just made, as `split(line, sep)` gives), else made or
    /// copied one at a time as [`List::iter`] makes them.
    pub fn into_values(self) -> Items {
        let list = match self {
            List::Vec(v) => match Arc::try_unwrap(v) {
                Ok(items) => return Items::Moved(items.into_iter()),
                Err(shared) => List::Vec(shared),
            },
            other => other,
        };
        Items::Walked(ListIter {
            list: Cow::Owned(list),
            next: 0,
            lines_pos: None,
            here: None,
        })
    }
}

/// The items of a list given up (see [`List::into_values`]).
pub enum Items {
    /// Moved out of a list nothing else held.
    Moved(std::vec::IntoIter<Value>),
    /// Made or copied from a list, one at a time.
    Walked(ListIter<'static>),
}

impl Iterator for Items {
    type Item = Value;

    #[inline]
    fn next(&mut self) -> Option<Value> {
        match self {
            Items::Moved(items) => items.next(),
            Items::Walked(items) => items.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Items::Moved(items) => items.size_hint(),
            Items::Walked(items) => items.size_hint(),
        }
    }
}

/// Iterator over a [`List`]; walks lines sequentially without index lookups.
pub struct ListIter<'a> {
    list: Cow<'a, List>,
    next: usize,
    lines_pos: Option<usize>,
    /// The handle the lines' views hold, taken on the thread that walks
    /// them when it takes the first (see [`SourceRef::here`]).
    here: Option<SourceRef>,
}

impl Iterator for ListIter<'_> {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        match &*self.list {
            List::Vec(v) => {
                let item = v.get(self.next).cloned();
                self.next += 1;
                item
            }
            List::Lines(l) => {
                let bytes = l.text.src.bytes();
                let end_all = l.text.range.end;
                let start = self.lines_pos.unwrap_or(l.text.range.start);
                // Past the last line's terminator, or at the end of a text
                // whose last line has none: as `lines()` counts.
                if start >= end_all {
                    return None;
                }
                let nl = memchr::memchr(b'\n', &bytes[start..end_all]).map(|i| start + i);
                let (line_end, next_start) = match nl {
                    Some(i) => (i, i + 1),
                    None => (end_all, end_all),
                };
                let line_end = if line_end > start && bytes[line_end - 1] == b'\r' {
                    line_end - 1
                } else {
                    line_end
                };
                self.lines_pos = Some(next_start);
                self.next += 1;
                let src = self.here.get_or_insert_with(|| l.text.src.here());
                Some(Value::Str(Str::View(View {
                    src: src.clone(),
                    range: start..line_end,
                })))
            }
            List::Range(r) => {
                let i = self.next;
                if i >= r.len {
                    return None;
                }
                self.next += 1;
                Some(Value::Int(r.at(i)))
            }
            List::Matches(m) => {
                let item = m.get(self.next);
                self.next += 1;
                item
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.list.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl Value {
    /// This value for work on another thread than the one that made it: a
    /// string view is given that thread's handle on its source, and the
    /// view it was comes back as the second half, to be dropped on the
    /// thread that made it. Items cut from the context on one thread and
    /// used and dropped on the others would make every thread update the
    /// count of one handle, and read the source through its cache line.
    /// Any other value is moved as it is.
    pub fn for_this_thread(self) -> (Value, Option<Value>) {
        match &self {
            Value::Str(Str::View(v)) => (Value::Str(Str::View(v.here())), Some(self)),
            _ => (self, None),
        }
    }
}

/// A record key: a string or an int.
#[derive(Clone, PartialOrd, Ord, Debug)]
pub enum Key {
    /// A string key.
    Str(SharedStr),
    /// An int key.
    Int(i64),
}

impl Key {
    /// The key as a value.
    pub fn to_value(&self) -> Value {
        match self {
            Key::Str(s) => Value::Str(Str::Owned(s.clone())),
            Key::Int(i) => Value::Int(*i),
        }
    }
}

/// Keys written in a program share one string per name, so equal keys
/// are most often the same string: the address is compared first.
impl PartialEq for Key {
    #[inline]
    fn eq(&self, other: &Key) -> bool {
        match (self, other) {
            (Key::Str(a), Key::Str(b)) => same_text(a, b),
            (Key::Int(a), Key::Int(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Key::Str(s) => KeyRef::Str(Cow::Borrowed(s)).hash(state),
            Key::Int(i) => KeyRef::Int(*i).hash(state),
        }
    }
}

/// A record key borrowed from a value, to look a key up without
/// allocating one; it hashes and compares as the [`Key`] it stands for.
#[derive(Debug)]
pub enum KeyRef<'a> {
    /// A string key.
    Str(Cow<'a, str>),
    /// An int key.
    Int(i64),
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            KeyRef::Str(s) => {
                state.write_u8(0);
                s.as_ref().hash(state);
            }
            KeyRef::Int(i) => {
                state.write_u8(1);
                i.hash(state);
            }
        }
    }
}

impl hashbrown::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        match (self, key) {
            (KeyRef::Str(a), Key::Str(b)) => same_text(a, b),
            (KeyRef::Int(a), Key::Int(b)) => a == b,
            _ => false,
        }
    }
}

impl KeyRef<'_> {
    /// The owned key.
    pub fn to_key(&self) -> Key {
        match self {
            KeyRef::Str(s) => Key::Str(SharedStr::from(s.as_ref())),
            KeyRef::Int(i) => Key::Int(*i),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Str(s) => f.write_str(s),
            Key::Int(i) => write!(f, "{i}"),
        }
    }
}

/// Whether `a` and `b` are the same text, shared or not: names and record
/// keys written in a program share one string, so the address is compared
/// first (after the lengths).
#[inline(always)]
pub fn same_text(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Different names of one length mostly differ in their first byte:
    // that settles it without a call to compare the rest.
    std::ptr::eq(a.as_ptr(), b.as_ptr()) || a.as_bytes().first() == b.as_bytes().first() && a == b
}

pub use super::record::Record;

/// One search hit.
pub struct MatchValue {
    /// The text that was searched.
    pub hay: Str,
    /// Byte range of the match, relative to `hay`.
    pub range: Range<usize>,
    /// Byte ranges of the capture groups, relative to `hay`.
    pub groups: Groups,
    /// Lines of context asked for with `around=`.
    pub around: usize,
    /// Name of the document the match lies in, when `hay` is the context.
    pub doc: Option<Arc<str>>,
    /// Where that document lies in the context source, in bytes, when the
    /// context has several documents: `.line` then counts from its start,
    /// and `.around` stays inside it.
    pub doc_range: Option<Range<usize>>,
}

/// A compiled regex value (`re"..."`, `regex(s)`).
pub struct RegexValue {
    /// The pattern as written.
    pub source: Arc<str>,
    /// The compiled matcher.
    pub matcher: Matcher,
    /// The pattern for `replace` (the regex crate's `$1` replacement
    /// syntax), compiled on first use.
    replacer: std::sync::OnceLock<Result<regex::Regex, String>>,
}

impl RegexValue {
    /// A regex value for `source`, compiled into `matcher`.
    pub fn new(source: Arc<str>, matcher: Matcher) -> RegexValue {
        RegexValue {
            source,
            matcher,
            replacer: std::sync::OnceLock::new(),
        }
    }

    /// The pattern as the regex crate compiles it for replacing (multi-line,
    /// as every search is), or why it cannot be.
    pub fn replacer(&self) -> Result<&regex::Regex, &str> {
        self.replacer
            .get_or_init(|| {
                regex::Regex::new(&format!("(?m){}", self.source)).map_err(|e| {
                    // The regex crate draws a multi-line caret picture; the
                    // line that says what is wrong is enough here.
                    let text = e.to_string();
                    let reason = text.lines().rev().find_map(|l| l.strip_prefix("error: "));
                    reason.unwrap_or(text.trim()).to_string()
                })
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

/// A function value.
#[derive(Clone)]
pub enum Func {
    /// A built-in function.
    Builtin(BuiltinRef),
    /// A `def`.
    Def(Arc<DefValue>),
    /// A lambda.
    Lambda(Arc<LambdaValue>),
}

/// A `def` and the locals it closed over (none at top level).
pub struct DefValue {
    /// The definition.
    pub def: Arc<FnDef>,
    /// Locals of the enclosing function when defined inside one.
    pub captured: Option<Locals<'static>>,
}

/// A lambda and the locals it closed over.
pub struct LambdaValue {
    /// The lambda.
    pub lambda: Arc<Lambda>,
    /// Locals of the enclosing function (empty at top level).
    pub captured: Locals<'static>,
}

impl Func {
    /// The function's name for messages.
    pub fn name(&self) -> String {
        match self {
            Func::Builtin(b) => b.name().to_string(),
            Func::Def(d) => d.def.name.to_string(),
            Func::Lambda(_) => "<lambda>".to_string(),
        }
    }
}

/// A failed sub-call, as a value: it stays in its place in a list, and
/// using it in an operation is an error that names the call.
#[derive(Debug)]
pub struct ErrorValue {
    /// What went wrong, one line.
    pub message: String,
    /// Where the call was made (`file:line:col`).
    pub site: String,
}

impl Str {
    /// Number of lines, as `lines()` counts them.
    pub fn line_count(&self) -> usize {
        match self {
            Str::View(v) => v.src.line_count(v.range.clone()),
            Str::Owned(s) => {
                let b = s.as_bytes();
                let nl = memchr::memchr_iter(b'\n', b).count();
                if b.is_empty() || b.ends_with(b"\n") {
                    nl
                } else {
                    nl + 1
                }
            }
        }
    }

    /// 1-based line number of byte offset `byte` (relative to the string).
    pub fn line_number(&self, byte: usize) -> usize {
        match self {
            Str::View(v) => v
                .src
                .line_number(v.range.start, v.range.start + byte.min(v.range.len())),
            Str::Owned(s) => {
                let b = &s.as_bytes()[..byte.min(s.len())];
                memchr::memchr_iter(b'\n', b).count() + 1
            }
        }
    }

    /// Byte range (relative) of the line holding `byte`, without terminator.
    pub fn line_around(&self, byte: usize) -> Range<usize> {
        match self {
            Str::View(v) => {
                let r = v
                    .src
                    .line_around(v.range.clone(), v.range.start + byte.min(v.range.len()));
                r.start - v.range.start..r.end - v.range.start
            }
            Str::Owned(s) => {
                let b = s.as_bytes();
                let byte = byte.min(b.len());
                let start = memchr::memrchr(b'\n', &b[..byte]).map_or(0, |i| i + 1);
                let mut end = memchr::memchr(b'\n', &b[byte..]).map_or(b.len(), |i| byte + i);
                if end > start && b[end - 1] == b'\r' {
                    end -= 1;
                }
                start..end
            }
        }
    }

    /// Byte range (relative) of line `i` (0-based), without terminator.
    pub fn line_range(&self, i: usize) -> Option<Range<usize>> {
        match self {
            Str::View(v) => v
                .src
                .line_range(v.range.clone(), i)
                .map(|r| r.start - v.range.start..r.end - v.range.start),
            Str::Owned(s) => {
                let b = s.as_bytes();
                let mut start = 0;
                for _ in 0..i {
                    start = memchr::memchr(b'\n', &b[start..])? + start + 1;
                }
                if start >= b.len() {
                    return None;
                }
                let mut end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |n| start + n);
                if end > start && b[end - 1] == b'\r' {
                    end -= 1;
                }
                Some(start..end)
            }
        }
    }
}

impl MatchValue {
    /// The matched text.
    pub fn text(&self) -> Str {
        self.hay.sub(self.range.clone())
    }

    /// Character offset of the start in the searched text.
    pub fn start_char(&self) -> usize {
        self.hay.byte_to_char(self.range.start)
    }

    /// Character offset of the end in the searched text.
    pub fn end_char(&self) -> usize {
        self.hay.byte_to_char(self.range.end)
    }

    /// 1-based line of the start, counted as `lines()` counts: in the
    /// match's own document when the context has several, else in the
    /// searched text.
    pub fn line(&self) -> usize {
        match (&self.doc_range, self.hay.as_view()) {
            (Some(doc), Some(v)) => v
                .src
                .line_number(doc.start, v.range.start + self.range.start),
            _ => self.searched_line(),
        }
    }

    /// 1-based line of the start in the searched text.
    pub fn searched_line(&self) -> usize {
        self.hay.line_number(self.range.start)
    }

    /// 1-based line of the start in the whole context, when the searched
    /// text is part of it (else the line in the searched text).
    pub fn context_line(&self) -> usize {
        match (self.doc.is_some(), self.hay.as_view()) {
            (true, Some(v)) => v.src.line_number(0, v.range.start + self.range.start),
            _ => self.searched_line(),
        }
    }

    /// The whole line holding the start.
    pub fn line_text(&self) -> Str {
        self.hay.sub(self.hay.line_around(self.range.start))
    }

    /// Capture group `k` (an index below the number of groups): its text,
    /// or null when it did not take part.
    pub fn group(&self, k: usize) -> Value {
        self.groups
            .get(k)
            .map_or(Value::Null, |r| Value::Str(self.hay.sub(r)))
    }

    /// Capture groups: text, or null where a group did not take part.
    pub fn groups(&self) -> Vec<Value> {
        (0..self.groups.len()).map(|k| self.group(k)).collect()
    }

    /// The `around` lines before, the line, and the `around` lines after,
    /// joined with `\n`.
    pub fn around_text(&self) -> Str {
        let line = self.searched_line() - 1;
        let first = line.saturating_sub(self.around);
        // The match's document, relative to the searched text.
        let doc = match (&self.doc_range, self.hay.as_view()) {
            (Some(d), Some(v)) => {
                d.start.saturating_sub(v.range.start)..d.end.saturating_sub(v.range.start)
            }
            _ => 0..usize::MAX,
        };
        let mut start = None;
        let mut end = 0;
        for i in first..=line + self.around {
            match self.hay.line_range(i) {
                Some(r) if r.start < doc.start => {}
                Some(r) if r.start >= doc.end && i > line => break,
                Some(r) => {
                    start.get_or_insert(r.start);
                    end = r.end;
                }
                None => break,
            }
        }
        match start {
            Some(s) => self.hay.sub(s..end.max(s)),
            None => self.line_text(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::source::Source;

    fn texts(list: impl Iterator<Item = Value>) -> Vec<String> {
        list.map(|v| match v {
            Value::Str(s) => s.text().to_string(),
            other => panic!("not a string: {}", other.type_name()),
        })
        .collect()
    }

    fn ints(list: impl Iterator<Item = Value>) -> Vec<i64> {
        list.map(|v| match v {
            Value::Int(i) => i,
            other => panic!("not an int: {}", other.type_name()),
        })
        .collect()
    }

    /// `s += t` grows a large string nothing else holds where it lies (a
    /// loop of appends is linear), and copies one that is held elsewhere
    /// or small.
    #[test]
    fn a_joined_or_case_changed_string_is_the_one_std_makes() {
        let big = "é".repeat(VIEW_THRESHOLD / 2);
        for (a, b) in [
            ("", ""),
            ("ab", ""),
            ("", "東"),
            ("héllo ", "wörld 🎉"),
            (&*big, "x"),
        ] {
            let joined = Str::concat(a, b);
            assert_eq!(joined.text(), format!("{a}{b}"));
            assert_eq!(
                matches!(joined, Str::View(_)),
                a.len() + b.len() > VIEW_THRESHOLD
            );
        }
        let long = "Mixed Case ASCII. ".repeat(VIEW_THRESHOLD / 8);
        for text in ["", "Label: HUMAN 42", &*long] {
            let upper = Str::ascii_case(text, true).expect("ASCII");
            let lower = Str::ascii_case(text, false).expect("ASCII");
            assert_eq!(upper.text(), text.to_uppercase());
            assert_eq!(lower.text(), text.to_lowercase());
        }
        // Other text changes length with its case: left to std.
        assert!(Str::ascii_case("straße", true).is_none());
    }

    #[test]
    fn a_large_string_nothing_else_holds_grows_in_place() {
        let more = Str::from_str_ref("é!");
        let mut s = Str::from_string("x".repeat(VIEW_THRESHOLD + 1));
        assert!(s.append_in_place(&more));
        assert_eq!(s.byte_len(), VIEW_THRESHOLD + 4);
        assert!(s.text().ends_with("xé!"));
        let copy = s.clone();
        assert!(!s.append_in_place(&more), "a copy holds it");
        drop(copy);
        assert!(s.append_in_place(&more));
        assert!(s.text().ends_with("é!é!"));
        let mut small = Str::from_str_ref("abc");
        assert!(!small.append_in_place(&more), "a small string is copied");
    }

    /// A range walked, indexed and sliced gives the ints a list of the
    /// same ints gives, near the ends of the int range too (where
    /// `i * step` alone overflows).
    #[test]
    fn a_range_reads_as_the_list_of_its_ints() {
        let (min, max) = (i64::MIN + 1, i64::MAX);
        for (start, step, len) in [
            (0, 1, 0),
            (0, 1, 7),
            (5, -2, 6),
            (-3, 4, 5),
            (min, 1 << 62, 4),
            (max, -(1 << 62), 4),
            (max - 10, 3, 4),
        ] {
            let range = List::Range(Arc::new(IntRange { start, step, len }));
            let expected: Vec<i64> = (0..len as i128)
                .map(|i| (i128::from(start) + i * i128::from(step)) as i64)
                .collect();
            let list = List::from_vec(expected.iter().map(|&i| Value::Int(i)).collect());
            assert_eq!(range.len(), len);
            assert_eq!(ints(range.iter()), expected, "walked {start} {step} {len}");
            assert_eq!(ints(range.clone().into_values()), expected);
            assert_eq!(ints((0..len + 1).filter_map(|i| range.get(i))), expected);
            assert_eq!(ints(range.to_vec().iter().cloned()), expected);
            for a in 0..=len {
                for b in a..=len {
                    assert_eq!(
                        ints(range.slice(a..b).iter()),
                        ints(list.slice(a..b).iter()),
                        "slice {a}..{b} of {start} {step} {len}"
                    );
                }
            }
            let mut grown = range.clone();
            grown.make_mut().push(Value::Int(1));
            assert_eq!(grown.len(), len + 1);
            assert_eq!(range.len(), len, "the range itself is unchanged");
        }
    }

    #[test]
    fn lines_walked_in_order_are_the_lines_counted_and_indexed() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "\n\n",
            "x\n\ny\n\n",
        ] {
            // A view of the middle of a larger source, and of all of it.
            let padded = format!("<<{text}>>");
            for (whole, range) in [(text, 0..text.len()), (&padded[..], 2..2 + text.len())] {
                let src = SourceRef::new(Arc::new(Source::from_vec(whole.as_bytes().to_vec())));
                let walked = texts(
                    List::lines_of(View {
                        src: src.clone(),
                        range: range.clone(),
                    })
                    .iter(),
                );
                let list = List::lines_of(View { src, range });
                let indexed = texts((0..list.len()).filter_map(|i| list.get(i)));
                let expected: Vec<String> = text.lines().map(str::to_string).collect();
                assert_eq!(walked, expected, "walked {text:?}");
                assert_eq!(indexed, expected, "indexed {text:?}");
            }
        }
    }
}
