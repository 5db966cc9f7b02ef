//! SQLite storage of sessions and their messages (rusqlite, bundled SQLite, WAL).
//!
//! The session row is written before its first item; each item is written when it completes.

mod migrations;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

use crate::protocol::TokenUsage;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the session database {path}: {source}. Check the folder's permissions and free space"
    )]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create {path}: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the session database was written by a newer pincer (schema {found}, this build knows {known}); update pincer"
    )]
    TooNew { found: i64, known: i64 },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the storage worker stopped: {0}")]
    Worker(String),
}

/// A new session's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: String,
    pub title: String,
    pub cwd: String,
    pub provider: String,
    pub model: String,
}

/// What kind of item a row holds. Tool rows carry JSON in `content`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    User,
    Assistant,
    ToolCall,
    ToolResult,
    /// The user's answer to an approval request (JSON).
    Approval,
    /// A notice shown to the user (errors, warnings).
    Notice,
    /// A summary that replaces the older turns for the model (JSON, see runtime::compact).
    Compaction,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::User => "user",
            ItemKind::Assistant => "assistant",
            ItemKind::ToolCall => "tool_call",
            ItemKind::ToolResult => "tool_result",
            ItemKind::Approval => "approval",
            ItemKind::Notice => "notice",
            ItemKind::Compaction => "compaction",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        match s {
            "user" => Some(ItemKind::User),
            "assistant" => Some(ItemKind::Assistant),
            "tool_call" => Some(ItemKind::ToolCall),
            "tool_result" => Some(ItemKind::ToolResult),
            "approval" => Some(ItemKind::Approval),
            "notice" => Some(ItemKind::Notice),
            "compaction" => Some(ItemKind::Compaction),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    /// The row id (stable; forks name their fork point by it).
    pub id: i64,
    pub kind: ItemKind,
    pub content: String,
    pub interrupted: bool,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRecord {
    /// Milliseconds since 1970.
    pub time: i64,
    pub session_id: Option<String>,
    pub tool: String,
    /// The call's arguments with secrets redacted.
    pub arguments: String,
    /// allowed | approved | denied
    pub decision: String,
    /// What decided: "rule allow: …", "mode yolo", "user", …
    pub decided_by: String,
    /// ok | error | denied | interrupted | timed_out
    pub status: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}

/// What a resumed session brings back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadedSession {
    pub items: Vec<StoredItem>,
    pub total_tokens: u64,
    /// Rows that could not be read (shown as a notice, never fatal).
    pub skipped_rows: usize,
}

pub struct Store {
    conn: Connection,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A sortable, short session id: milliseconds since 1970 in hex, then 4 random hex digits.
pub fn new_session_id() -> String {
    format!("{:011x}-{:04x}", now_ms(), fastrand::u16(..))
}

/// A title from the first user message: its first non-empty line, at most 60 characters.
pub fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Store::init(conn)
    }

    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store { conn };
        migrations::migrate(&mut store.conn)?;
        Ok(store)
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    pub fn create_session(&self, s: &NewSession) -> Result<(), StoreError> {
        let now = now_ms();
        self.conn.execute(
            "INSERT INTO sessions (id, title, cwd, provider, model, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![s.id, s.title, s.cwd, s.provider, s.model, now],
        )?;
        Ok(())
    }

    /// Append one finished item; returns its id.
    pub fn append_item(
        &self,
        session_id: &str,
        kind: ItemKind,
        content: &str,
        interrupted: bool,
        usage: Option<TokenUsage>,
    ) -> Result<i64, StoreError> {
        let now = now_ms();
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO items (session_id, kind, content, interrupted, input_tokens, output_tokens, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                session_id,
                kind.as_str(),
                content,
                interrupted,
                usage.map(|u| u.input_tokens as i64),
                usage.map(|u| u.output_tokens as i64),
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "UPDATE sessions SET updated_at = ?2 WHERE id = ?1",
            params![session_id, now],
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// The most recently updated session started in `cwd`.
    pub fn latest_session_in(&self, cwd: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM sessions WHERE cwd = ?1 AND archived = 0
                 ORDER BY updated_at DESC, rowid DESC LIMIT 1",
                params![cwd],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn load_session(&self, session_id: &str) -> Result<LoadedSession, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, content, interrupted, input_tokens, output_tokens, id
             FROM items WHERE session_id = ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query(params![session_id])?;
        let mut loaded = LoadedSession::default();
        while let Some(row) = rows.next()? {
            let parsed = (|| -> rusqlite::Result<Option<StoredItem>> {
                let kind: String = row.get(0)?;
                let Some(kind) = ItemKind::parse(&kind) else {
                    return Ok(None);
                };
                let input: Option<i64> = row.get(3)?;
                let output: Option<i64> = row.get(4)?;
                loaded.total_tokens +=
                    input.unwrap_or(0).max(0) as u64 + output.unwrap_or(0).max(0) as u64;
                Ok(Some(StoredItem {
                    id: row.get(5)?,
                    kind,
                    content: row.get(1)?,
                    interrupted: row.get(2)?,
                }))
            })();
            match parsed {
                Ok(Some(item)) => loaded.items.push(item),
                Ok(None) | Err(_) => loaded.skipped_rows += 1,
            }
        }
        Ok(loaded)
    }

    /// Append to the audit log (rows are never changed afterwards).
    pub fn record_audit(&self, r: &AuditRecord) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO audit (time, session_id, tool, arguments, decision, decided_by, status, exit_code, duration_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                r.time,
                r.session_id,
                r.tool,
                r.arguments,
                r.decision,
                r.decided_by,
                r.status,
                r.exit_code,
                r.duration_ms as i64
            ],
        )?;
        Ok(())
    }

    /// The newest `limit` audit rows, oldest first.
    pub fn list_audit(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT time, session_id, tool, arguments, decision, decided_by, status, exit_code, duration_ms
             FROM audit ORDER BY id DESC LIMIT ?1",
        )?;
        let mut rows: Vec<AuditRecord> = stmt
            .query_map(params![limit as i64], |r| {
                Ok(AuditRecord {
                    time: r.get(0)?,
                    session_id: r.get(1)?,
                    tool: r.get(2)?,
                    arguments: r.get(3)?,
                    decision: r.get(4)?,
                    decided_by: r.get(5)?,
                    status: r.get(6)?,
                    exit_code: r.get(7)?,
                    duration_ms: r.get::<_, i64>(8)?.max(0) as u64,
                })
            })?
            .filter_map(Result::ok)
            .collect();
        rows.reverse();
        Ok(rows)
    }

    /// Recent distinct user prompts, oldest first, for the composer history.
    pub fn recent_prompts(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT content FROM items WHERE kind = 'user'
             GROUP BY content ORDER BY MAX(id) DESC LIMIT ?1",
        )?;
        let mut prompts: Vec<String> = stmt
            .query_map(params![limit as i64], |r| r.get::<_, String>(0))?
            .filter_map(Result::ok)
            .filter(|p| p.len() <= 10_000)
            .collect();
        prompts.reverse();
        Ok(prompts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(store: &Store, cwd: &str) -> String {
        let id = new_session_id();
        store
            .create_session(&NewSession {
                id: id.clone(),
                title: "t".into(),
                cwd: cwd.into(),
                provider: "p".into(),
                model: "m".into(),
            })
            .unwrap();
        id
    }

    #[test]
    fn items_round_trip_with_tokens() {
        let store = Store::open_in_memory().unwrap();
        let id = session(&store, "/a");
        store
            .append_item(&id, ItemKind::User, "hi", false, None)
            .unwrap();
        let usage = TokenUsage {
            input_tokens: 3,
            output_tokens: 4,
            estimated: false,
        };
        store
            .append_item(&id, ItemKind::Assistant, "hel", true, Some(usage))
            .unwrap();
        let loaded = store.load_session(&id).unwrap();
        assert_eq!(loaded.items.len(), 2);
        assert!(loaded.items[1].interrupted);
        assert_eq!(loaded.items[1].kind, ItemKind::Assistant);
        assert_eq!(loaded.total_tokens, 7);
    }

    #[test]
    fn latest_session_is_per_directory() {
        let store = Store::open_in_memory().unwrap();
        let a1 = session(&store, "/a");
        let b = session(&store, "/b");
        let a2 = session(&store, "/a");
        store
            .append_item(&a1, ItemKind::User, "later", false, None)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        store
            .append_item(&a1, ItemKind::User, "latest", false, None)
            .unwrap();
        assert_eq!(store.latest_session_in("/a").unwrap(), Some(a1));
        assert_eq!(store.latest_session_in("/b").unwrap(), Some(b));
        assert_eq!(store.latest_session_in("/c").unwrap(), None);
        let _ = a2;
    }

    #[test]
    fn unknown_rows_are_skipped_not_fatal() {
        let store = Store::open_in_memory().unwrap();
        let id = session(&store, "/a");
        store
            .append_item(&id, ItemKind::User, "ok", false, None)
            .unwrap();
        store
            .conn
            .execute(
                "INSERT INTO items (session_id, kind, content, created_at) VALUES (?1, 'alien', 'x', 0)",
                params![id],
            )
            .unwrap();
        let loaded = store.load_session(&id).unwrap();
        assert_eq!((loaded.items.len(), loaded.skipped_rows), (1, 1));
    }

    #[test]
    fn prompts_are_distinct_oldest_first() {
        let store = Store::open_in_memory().unwrap();
        let id = session(&store, "/a");
        for p in ["one", "two", "one", "three"] {
            store
                .append_item(&id, ItemKind::User, p, false, None)
                .unwrap();
        }
        assert_eq!(
            store.recent_prompts(10).unwrap(),
            vec!["two", "one", "three"]
        );
        assert_eq!(store.recent_prompts(1).unwrap(), vec!["three"]);
    }

    #[test]
    fn reopening_a_file_keeps_data_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/pincer.db");
        let id = {
            let store = Store::open(&path).unwrap();
            let id = session(&store, "/a");
            store
                .append_item(&id, ItemKind::User, "kept", false, None)
                .unwrap();
            id
        };
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::LATEST);
        assert_eq!(store.load_session(&id).unwrap().items[0].content, "kept");
    }

    #[test]
    fn audit_round_trip() {
        let store = Store::open_in_memory().unwrap();
        for i in 0..3 {
            store
                .record_audit(&AuditRecord {
                    time: i,
                    session_id: None,
                    tool: format!("t{i}"),
                    arguments: "{}".into(),
                    decision: "allowed".into(),
                    decided_by: "mode yolo".into(),
                    status: "ok".into(),
                    exit_code: Some(0),
                    duration_ms: 5,
                })
                .unwrap();
        }
        let rows = store.list_audit(2).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.tool.as_str()).collect::<Vec<_>>(),
            vec!["t1", "t2"]
        );
    }

    #[test]
    fn titles() {
        assert_eq!(title_from("\n  hello world \nmore"), "hello world");
        assert!(title_from(&"x".repeat(100)).ends_with('…'));
    }
}
