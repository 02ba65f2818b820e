//! Substring search for the short needles that loops test over and over
//! (`"x" in line`, `contains(line, "x")`, `split(line, "||")`): building a
//! memmem finder costs more than searching a short line, so each thread
//! keeps the finders of the needles it used last.

use std::cell::RefCell;

use memchr::memmem::Finder;

/// Finders kept per thread.
const SLOTS: usize = 8;

thread_local! {
    static FINDERS: RefCell<Vec<Finder<'static>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a finder for `needle`, built once per thread and reused
/// while the needle stays among the last few used.
pub fn with_finder<T>(needle: &[u8], f: impl FnOnce(&Finder<'_>) -> T) -> T {
    FINDERS.with(|cell| {
        let Ok(mut cache) = cell.try_borrow_mut() else {
            // Re-entered from inside `f`: search without the cache.
            return f(&Finder::new(needle));
        };
        let i = match cache.iter().position(|x| x.needle() == needle) {
            Some(i) => i,
            None => {
                if cache.len() == SLOTS {
                    cache.remove(0);
                }
                cache.push(Finder::new(needle).into_owned());
                cache.len() - 1
            }
        };
        f(&cache[i])
    })
}

/// Byte offset of the first occurrence of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() == 1 {
        return memchr::memchr(needle[0], hay);
    }
    with_finder(needle, |f| f.find(hay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_memmem_with_many_needles() {
        let hay = b"alpha beta gamma delta epsilon zeta eta theta iota kappa";
        let needles: Vec<String> = hay
            .split(|&b| b == b' ')
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .chain(["", "a", "q", "ta ", "xyz"].map(String::from))
            .collect();
        for _ in 0..3 {
            for n in &needles {
                assert_eq!(
                    find(hay, n.as_bytes()),
                    memchr::memmem::find(hay, n.as_bytes()),
                    "{n:?}"
                );
            }
        }
    }
}
