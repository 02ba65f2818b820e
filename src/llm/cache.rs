//! The on-disk reply cache.
//!
//! The key is the BLAKE3 hash of everything that decides a reply: provider,
//! base URL, model, system prompt, reply limit, the `json` flag and the full
//! message (never the API key). Each reply is one file,
//! `<dir>/<first 2 hex digits>/<key>.json`, written crash-safely: to a
//! uniquely named temporary file in the same directory, then renamed over
//! the final name (an atomic step). A process killed at any point leaves
//! either the whole entry or none, plus at worst a stray `.tmp` file that
//! lookups never read. Every reply is written as soon as it arrives, so a
//! run killed mid-`map` keeps all replies that had come back. An entry
//! that cannot be read or does not carry its own key is treated as missing
//! and rewritten.
//!
//! Entries are not `fsync`ed: the system writes them out within seconds,
//! and an operating-system crash before it does can only lose the newest
//! entries or leave one torn, which lookups read as missing (the reply is
//! asked for again). Two `fsync`s per reply were a tenth of the CPU time
//! of a `map` of sub-calls, and made each call wait for the disk.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::error::LlmError;
use super::message::Message;

/// What goes into a cache key.
#[derive(Debug, Clone, Copy)]
pub struct KeyParts<'a> {
    /// `openai` or `anthropic`.
    pub provider: &'a str,
    /// Base URL.
    pub base_url: &'a str,
    /// Model name.
    pub model: &'a str,
    /// System prompt.
    pub system: &'a str,
    /// Reply limit in tokens.
    pub max_tokens: u64,
    /// Whether a JSON reply was asked for.
    pub json: bool,
    /// The full user message.
    pub message: Message<'a>,
}

impl KeyParts<'_> {
    /// The key: BLAKE3, in hex, over a version tag and each part preceded
    /// by its length (so no two different sets of parts can collide by
    /// concatenation, and a huge message is hashed without being copied).
    /// BLAKE3 rather than SHA-256 (the key of version 1): a `map` of
    /// sub-calls hashes every piece it sends, and BLAKE3 does it in less
    /// than half the time.
    pub fn key(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"rlmq-cache-v2");
        let max_tokens = self.max_tokens.to_le_bytes();
        let parts: [&[u8]; 6] = [
            self.provider.as_bytes(),
            self.base_url.as_bytes(),
            self.model.as_bytes(),
            self.system.as_bytes(),
            &max_tokens,
            &[u8::from(self.json)],
        ];
        for part in parts {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
        // The message's parts in turn: the hash of the joined message.
        h.update(&(self.message.len() as u64).to_le_bytes());
        for part in self.message.parts() {
            h.update(part.as_bytes());
        }
        h.finalize().to_hex().to_string()
    }
}

/// One cached reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Its key (checked on read).
    pub key: String,
    /// The model that answered.
    pub model: String,
    /// The reply text.
    pub text: String,
    /// Input tokens the original call was billed.
    pub input_tokens: u64,
    /// Output tokens the original call was billed.
    pub output_tokens: u64,
}

/// A cache directory.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    tmp_seq: AtomicU64,
}

impl Cache {
    /// Opens (creating it if needed) the cache in `dir`.
    pub fn open(dir: &Path) -> Result<Cache, LlmError> {
        fs::create_dir_all(dir).map_err(|e| {
            LlmError::Setup(format!(
                "cannot create the cache directory {}: {e} (set cache_dir in rlmq.toml, or run with --no-cache)",
                dir.display()
            ))
        })?;
        Ok(Cache {
            dir: dir.to_path_buf(),
            tmp_seq: AtomicU64::new(0),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry for `key` lives.
    pub fn path(&self, key: &str) -> PathBuf {
        let shard = key.get(..2).unwrap_or("xx");
        self.dir.join(shard).join(format!("{key}.json"))
    }

    /// The entry for `key`, if a whole, matching one is there.
    pub fn get(&self, key: &str) -> Option<Entry> {
        let bytes = fs::read(self.path(key)).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (entry.key == key).then_some(entry)
    }

    /// Writes `entry` crash-safely (see the module doc).
    pub fn put(&self, entry: &Entry) -> io::Result<()> {
        let path = self.path(&entry.key);
        let shard = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(shard)?;
        let tmp = shard.join(format!(
            ".{}.{}.{}.tmp",
            entry.key,
            std::process::id(),
            self.tmp_seq.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(&serde_json::to_vec(entry).map_err(io::Error::other)?)?;
            drop(f);
            fs::rename(&tmp, &path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(message: &str) -> KeyParts<'_> {
        KeyParts {
            provider: "openai",
            base_url: "http://127.0.0.1:1/v1",
            model: "m",
            system: "s",
            max_tokens: 10,
            json: false,
            message: Message::whole(message),
        }
    }

    #[test]
    fn a_message_in_parts_has_the_key_of_the_joined_message() {
        let joined = parts("Summarize.\n\nthe text");
        let in_parts = KeyParts {
            message: Message::about("Summarize.", "the text"),
            ..joined
        };
        assert_eq!(in_parts.key(), joined.key());
        let other = KeyParts {
            message: Message::about("Summarize", "the text"),
            ..joined
        };
        assert_ne!(other.key(), joined.key());
    }

    #[test]
    fn keys_differ_by_every_part() {
        let a = parts("hello");
        let mut keys = vec![a.key()];
        keys.push(KeyParts { json: true, ..a }.key());
        keys.push(
            KeyParts {
                max_tokens: 11,
                ..a
            }
            .key(),
        );
        keys.push(KeyParts { model: "n", ..a }.key());
        keys.push(KeyParts { system: "t", ..a }.key());
        keys.push(parts("hello ").key());
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 6);
        assert_eq!(a.key().len(), 64);
    }

    #[test]
    fn round_trip_and_partial_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let key = parts("x").key();
        assert_eq!(cache.get(&key), None);
        // A temp file left by a killed writer, and a torn final file.
        let shard = cache.path(&key).parent().unwrap().to_path_buf();
        fs::create_dir_all(&shard).unwrap();
        fs::write(shard.join(format!(".{key}.1.0.tmp")), b"{\"key\":").unwrap();
        assert_eq!(cache.get(&key), None);
        fs::write(cache.path(&key), b"{\"key\": \"abc").unwrap();
        assert_eq!(cache.get(&key), None);
        let entry = Entry {
            key: key.clone(),
            model: "m".into(),
            text: "reply".into(),
            input_tokens: 3,
            output_tokens: 1,
        };
        cache.put(&entry).unwrap();
        assert_eq!(cache.get(&key), Some(entry.clone()));
        // An entry stored under the wrong name is not trusted.
        let other = parts("y").key();
        fs::create_dir_all(cache.path(&other).parent().unwrap()).unwrap();
        fs::copy(cache.path(&key), cache.path(&other)).unwrap();
        assert_eq!(cache.get(&other), None);
        // No temp files of our own are left behind.
        let leftovers = fs::read_dir(&shard)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name.ends_with(".tmp") && !name.contains(".1.0.")
            })
            .count();
        assert_eq!(leftovers, 0);
    }
}
