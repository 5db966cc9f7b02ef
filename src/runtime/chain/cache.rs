//! The opt-in response cache for requests without tools: key = SHA-256 of the provider's
//! address, the model, the system prompt and the messages; bounded in entries and age.
//!
//! Stored as a directory of files (`<cache dir>/responses/<key>.json`), one per reply, each
//! file's modification time set to when it was stored. Why files and not SQLite or memory: a
//! cache outlives the process (repeated `pincer -p` questions in a script hit it), one entry
//! is written whole by rename so a crash never leaves half an entry, no schema or lock is
//! shared with the session store, and eviction and ageing need only `readdir` + `stat`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::breaker::Clock;
use crate::config::CacheConfig;
use crate::provider::{ChatMessage, ChatRequest, ProviderClient};

/// A stored reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedReply {
    pub text: String,
}

pub struct ResponseCache {
    dir: PathBuf,
    config: CacheConfig,
    clock: Arc<dyn Clock>,
}

/// A hit: the reply and how old it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub reply: CachedReply,
    pub age_secs: u64,
}

impl ResponseCache {
    pub fn new(dir: PathBuf, config: CacheConfig, clock: Arc<dyn Clock>) -> ResponseCache {
        ResponseCache { dir, config, clock }
    }

    /// The key of a request to `client`, or `None` when the request may not be cached (it
    /// offers tools: its reply may act, and tool results change between runs).
    pub fn key(client: &ProviderClient, request: &ChatRequest) -> Option<String> {
        if !request.tools.is_empty() {
            return None;
        }
        let p = client.provider();
        let mut h = Sha256::new();
        let mut field = |tag: &str, text: &str| {
            // Length-prefixed so no two different requests hash the same bytes.
            h.update(tag.as_bytes());
            h.update((text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        };
        field("kind", p.kind.as_str());
        field("url", &p.base_url);
        field("model", &p.model);
        field("system", request.system.as_deref().unwrap_or(""));
        for m in &request.messages {
            match m {
                ChatMessage::User { content } => field("user", content),
                ChatMessage::Assistant {
                    content,
                    tool_calls,
                } => {
                    field("assistant", content);
                    for c in tool_calls {
                        field("call", &format!("{}\0{}\0{}", c.id, c.name, c.arguments));
                    }
                }
                ChatMessage::ToolResult {
                    call_id,
                    content,
                    is_error,
                } => field("result", &format!("{call_id}\0{is_error}\0{content}")),
            }
        }
        Some(hex(&h.finalize()))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    fn max_age_ms(&self) -> u64 {
        self.config.max_age_secs.saturating_mul(1000)
    }

    /// The stored reply for `key` unless it is older than `max_age_secs` (then it is removed).
    pub fn get(&self, key: &str) -> Option<Hit> {
        let path = self.path(key);
        let stored_ms = modified_ms(&path)?;
        let age_ms = self.clock.now_ms().saturating_sub(stored_ms);
        if age_ms > self.max_age_ms() {
            let _ = std::fs::remove_file(&path);
            return None;
        }
        let text = crate::fsread::read_text_if_exists(&path, crate::fsread::CONFIG_MAX * 8)
            .ok()
            .flatten()?;
        let reply: CachedReply = serde_json::from_str(&text).ok()?;
        Some(Hit {
            reply,
            age_secs: age_ms / 1000,
        })
    }

    /// Store a reply, then drop aged entries and the oldest beyond `max_entries`. Failures are
    /// logged: a cache that cannot write just misses next time.
    pub fn put(&self, key: &str, reply: &CachedReply) {
        if let Err(e) = self.write(key, reply) {
            tracing::warn!(%e, dir = %self.dir.display(), "response cache: storing a reply failed");
            return;
        }
        self.evict();
    }

    fn write(&self, key: &str, reply: &CachedReply) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{key}.{}.tmp", std::process::id()));
        let json = serde_json::to_vec(reply).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, json)?;
        let stamp = UNIX_EPOCH + Duration::from_millis(self.clock.now_ms());
        std::fs::File::options()
            .write(true)
            .open(&tmp)?
            .set_modified(stamp)?;
        std::fs::rename(&tmp, self.path(key))
    }

    /// Entries (path, stored at) newest first.
    fn entries(&self) -> Vec<(PathBuf, u64)> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut entries: Vec<(PathBuf, u64)> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter_map(|p| modified_ms(&p).map(|m| (p, m)))
            .collect();
        entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        entries
    }

    fn evict(&self) {
        let now = self.clock.now_ms();
        for (i, (path, stored)) in self.entries().into_iter().enumerate() {
            if i >= self.config.max_entries || now.saturating_sub(stored) > self.max_age_ms() {
                tracing::debug!(path = %path.display(), "response cache: evicted");
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// How many entries are stored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries().len()
    }
}

fn modified_ms(path: &Path) -> Option<u64> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let t = meta.modified().ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_millis() as u64)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::super::breaker::FakeClock;
    use super::*;
    use crate::config::{NetworkConfig, ResolvedProvider};
    use crate::protocol::ProviderKind;

    fn client(model: &str) -> ProviderClient {
        ProviderClient::new(
            ResolvedProvider {
                profile: "p".into(),
                kind: ProviderKind::Openai,
                base_url: "http://127.0.0.1:9/v1".into(),
                model: model.into(),
                api_key: None,
                api_key_env: None,
                max_tokens: 10,
            },
            NetworkConfig::default(),
        )
        .unwrap()
    }

    fn request(system: &str, user: &str) -> ChatRequest {
        ChatRequest {
            system: Some(system.into()),
            messages: vec![ChatMessage::user(user)],
            tools: Vec::new(),
        }
    }

    fn cache(dir: &Path, max_entries: usize, max_age_secs: u64) -> (ResponseCache, Arc<FakeClock>) {
        let clock = FakeClock::at(1_700_000_000_000);
        let c = ResponseCache::new(
            dir.join("responses"),
            CacheConfig {
                responses: true,
                max_entries,
                max_age_secs,
            },
            clock.clone(),
        );
        (c, clock)
    }

    fn reply(text: &str) -> CachedReply {
        CachedReply { text: text.into() }
    }

    #[test]
    fn key_covers_model_system_messages_and_refuses_tools() {
        let c = client("a");
        let base = ResponseCache::key(&c, &request("s", "hi")).unwrap();
        assert_eq!(ResponseCache::key(&c, &request("s", "hi")).unwrap(), base);
        assert_ne!(
            ResponseCache::key(&client("b"), &request("s", "hi")).unwrap(),
            base
        );
        assert_ne!(ResponseCache::key(&c, &request("t", "hi")).unwrap(), base);
        assert_ne!(ResponseCache::key(&c, &request("s", "ho")).unwrap(), base);
        // Moving text between fields never collides.
        assert_ne!(
            ResponseCache::key(&c, &request("sh", "i")).unwrap(),
            ResponseCache::key(&c, &request("s", "hi")).unwrap()
        );
        let mut with_tools = request("s", "hi");
        with_tools.tools.push(crate::provider::ToolDef {
            name: "read_file".into(),
            description: String::new(),
            parameters: serde_json::json!({}),
        });
        assert_eq!(ResponseCache::key(&c, &with_tools), None);
    }

    #[test]
    fn hit_after_put_with_its_age() {
        let dir = tempfile::tempdir().unwrap();
        let (c, clock) = cache(dir.path(), 10, 60);
        assert_eq!(c.get("k1"), None);
        c.put("k1", &reply("four"));
        clock.advance_ms(3_500);
        assert_eq!(
            c.get("k1"),
            Some(Hit {
                reply: reply("four"),
                age_secs: 3
            })
        );
    }

    #[test]
    fn ages_out() {
        let dir = tempfile::tempdir().unwrap();
        let (c, clock) = cache(dir.path(), 10, 60);
        c.put("k1", &reply("four"));
        clock.advance_ms(60_000);
        assert!(c.get("k1").is_some(), "exactly max_age is still fresh");
        clock.advance_ms(1);
        assert_eq!(c.get("k1"), None);
        assert_eq!(c.len(), 0, "an aged entry is removed when found");
    }

    #[test]
    fn bounded_oldest_evicted_first() {
        let dir = tempfile::tempdir().unwrap();
        let (c, clock) = cache(dir.path(), 2, 3_600);
        for k in ["k1", "k2", "k3"] {
            c.put(k, &reply(k));
            clock.advance_ms(1_000);
        }
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("k1"), None, "the oldest went");
        assert!(c.get("k2").is_some() && c.get("k3").is_some());
    }

    #[test]
    fn aged_entries_are_dropped_on_write() {
        let dir = tempfile::tempdir().unwrap();
        let (c, clock) = cache(dir.path(), 10, 10);
        c.put("old", &reply("x"));
        clock.advance_ms(11_000);
        c.put("new", &reply("y"));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn damaged_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let (c, _clock) = cache(dir.path(), 10, 60);
        c.put("k1", &reply("x"));
        std::fs::write(dir.path().join("responses/k1.json"), "not json").unwrap();
        assert_eq!(c.get("k1"), None);
    }
}
