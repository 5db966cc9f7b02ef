//! SQLite storage of sessions and their messages (rusqlite, bundled SQLite, WAL).
//!
//! The session row is written before its first item; each item is written when it completes,
//! or, for a reply being streamed, as an incomplete row plus small parts (`items.rs`).
//!
//! Several processes share one store (two TUIs, a TUI and headless runs). The model:
//! - every write is one short `BEGIN IMMEDIATE` transaction through `write::write`, which
//!   waits for the lock (busy timeout) and retries a bounded number of times — no write path
//!   reads a stale snapshot and fails with "database is locked";
//! - every item row records which `Store` wrote it (`writer`), so a runtime can find items of
//!   its session written by someone else since it last looked (`foreign_items_after`);
//! - one process at a time runs a turn on a session: it holds the session's lease (`lease.rs`,
//!   an `flock` released by the kernel when the holder dies). Only the lease holder seals
//!   incomplete items, so a live writer's streaming reply is never cut off by another process.
//!
//! Files: `items.rs` (append, stream, load), `sessions.rs` (list, find, rename, archive,
//! delete, fork), `transfer.rs` (Markdown / JSONL export, JSONL import), `integrity.rs`
//! (the open-time check that sets a damaged file aside), `write.rs` (the write transaction
//! every writer goes through), `lease.rs` (session leases), `audit.rs`, `migrations.rs`.

mod audit;
pub use audit::{AuditVerification, BrokenRow, CHAIN_SINCE_VERSION};
mod integrity;
mod items;
mod lease;
mod migrations;
mod sessions;
mod shown;
pub use shown::Shown;
#[cfg(test)]
mod test_support;
mod transfer;
mod write;

pub use lease::{LeaseAttempt, LeaseDir, SessionLease};

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use crate::protocol::SessionOrigin;

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
    #[error(
        "the session database stayed busy for {waited_ms} ms (another pincer is writing to it); nothing was written — try again, or close the other pincer"
    )]
    Busy { waited_ms: u64 },
    #[error(
        "cannot use the session lock file {path}: {source}. Check the folder's permissions and free space"
    )]
    Lease {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the storage worker stopped: {0}")]
    Worker(String),
    #[error("no stored session has the id {0}; list the sessions to see the ids there are")]
    NoSuchSession(String),
    #[error("no stored item has the id {0}; it may belong to a deleted session")]
    NoSuchItem(i64),
    #[error(
        "item {item} does not belong to session {session}; pick an item of that session as the fork point"
    )]
    ItemNotInSession { item: i64, session: String },
    #[error("item {0} is already finished; a streamed reply can be finished only once")]
    ItemFinished(i64),
    #[error("a session with the id {0} already exists; choose another id")]
    SessionExists(String),
    #[error("cannot import: line {line}: {problem}. Nothing was imported")]
    Import { line: usize, problem: String },
    #[error("cannot encode the export: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(
        "the session database {path} is damaged and could not be set aside ({detail}). Move it (and any {path}-wal / {path}-shm) to another place by hand, then start pincer again"
    )]
    Damaged { path: String, detail: String },
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
    /// How it is shown, when that differs from `content` (`Shown`, JSON).
    pub display: Option<String>,
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
    /// Marks the item rows this `Store` writes (process id + random), so items written by
    /// another process or runtime can be told apart.
    writer: String,
    /// What the open-time integrity check found and did (see `integrity.rs`).
    integrity: Option<String>,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// This process's id and a random part: unique per opened `Store`.
fn new_writer_id() -> String {
    format!("{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// A sortable, short session id: milliseconds since 1970 in hex, then 4 random hex digits.
pub fn new_session_id() -> String {
    format!("{:011x}-{:04x}", now_ms(), fastrand::u16(..))
}

/// The part of a session id that tells sessions apart: the random digits after the time
/// (ids of one day share their first characters). `--resume` accepts it.
pub fn short_id(id: &str) -> &str {
    match id.rsplit_once('-') {
        Some((_, random)) if !random.is_empty() => random,
        _ => id,
    }
}

/// How much of a message's first line a title is made from (a secret longer than this, cut
/// at its end, is beyond the title's 60 characters anyway).
const TITLE_SCAN_BYTES: usize = 4096;

/// At most `max` bytes of `s`, cut at a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A title from the first user message: its first non-empty line, at most 60 characters.
/// Only the start of that line is redacted and looked at (a 10 MB paste costs nothing here).
pub fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let head = &crate::redact::redact(prefix(line, TITLE_SCAN_BYTES));
    let line = head.lines().next().unwrap_or("").trim();
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}

impl Store {
    /// Open (creating and migrating as needed) the database at `path`.
    ///
    /// A file that fails SQLite's quick check is copied aside first and kept in use; a file
    /// that is not a database is moved aside and replaced by a fresh one. Either way
    /// [`Store::integrity_report`] says what happened.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let (conn, report) = write::retry_busy(|| integrity::open_checked(path))?;
        let store = write::retry_busy(|| Store::init(&conn))
            .map_err(|e| match e {
                StoreError::Sql(source) => StoreError::Open {
                    path: path.display().to_string(),
                    source,
                },
                other => other,
            })
            .map(|()| Store {
                conn,
                writer: new_writer_id(),
                integrity: report,
            })?;
        Ok(store)
    }

    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::init(&conn)?;
        Ok(Store {
            conn,
            writer: new_writer_id(),
            integrity: None,
        })
    }

    /// The connection, for the memory index (`memory::index` owns its tables).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// One short write transaction (see `write.rs`), for the memory index.
    pub fn transaction<T>(
        &self,
        f: impl FnMut(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        write::write(&self.conn, f)
    }

    /// Connection settings and migrations; safe to run again when the database was busy.
    fn init(conn: &Connection) -> Result<(), StoreError> {
        conn.busy_timeout(write::BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(conn)
    }

    /// A user-facing message when the open-time check found a damaged database (the copy's
    /// path and how to recover); `None` when the file was healthy.
    pub fn integrity_report(&self) -> Option<String> {
        self.integrity.clone()
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// A session started in the TUI (`create_session_from` names another front end).
    pub fn create_session(&self, s: &NewSession) -> Result<(), StoreError> {
        self.create_session_from(s, SessionOrigin::Tui)
    }

    pub fn create_session_from(
        &self,
        s: &NewSession,
        origin: SessionOrigin,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let inserted = write::write(&self.conn, |tx| {
            Ok(tx.execute(
                "INSERT INTO sessions (id, title, cwd, provider, model, created_at, updated_at,
                                       origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                params![
                    s.id,
                    s.title,
                    s.cwd,
                    s.provider,
                    s.model,
                    now,
                    origin.as_str()
                ],
            )?)
        });
        match inserted {
            Ok(_) => Ok(()),
            Err(StoreError::Sql(e))
                if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) =>
            {
                Err(StoreError::SessionExists(s.id.clone()))
            }
            Err(e) => Err(e),
        }
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

    /// Recent distinct user prompts, oldest first, for the composer history.
    pub fn recent_prompts(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        // As typed (`Shown`): a skill's `/name args`, not its body; no attachments or
        // `!command` outputs.
        let mut stmt = self.conn.prepare(
            "SELECT prompt FROM (
                SELECT id,
                       CASE json_extract(CASE WHEN json_valid(display) THEN display END, '$.shown')
                           WHEN 'typed' THEN json_extract(display, '$.text')
                           WHEN 'item' THEN NULL
                           ELSE content
                       END AS prompt
                FROM items WHERE kind = 'user' AND complete = 1)
             WHERE prompt IS NOT NULL
             GROUP BY prompt ORDER BY MAX(id) DESC LIMIT ?1",
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
    use crate::protocol::TokenUsage;

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
    fn a_taken_session_id_is_a_clear_error() {
        let store = Store::open_in_memory().unwrap();
        let id = session(&store, "/a");
        let again = NewSession {
            id: id.clone(),
            title: String::new(),
            cwd: "/b".into(),
            provider: String::new(),
            model: String::new(),
        };
        assert!(matches!(
            store.create_session(&again),
            Err(StoreError::SessionExists(taken)) if taken == id
        ));
    }

    #[test]
    fn titles() {
        assert_eq!(title_from("\n  hello world \nmore"), "hello world");
        assert!(title_from(&"x".repeat(100)).ends_with('…'));
    }
}
