//! Versioned schema migrations, tracked in `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Each entry moves the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: sessions and their items
    "CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        cwd TEXT NOT NULL,
        provider TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        parent_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
        fork_item_id INTEGER,
        archived INTEGER NOT NULL DEFAULT 0
     );
     CREATE INDEX sessions_by_cwd ON sessions(cwd, updated_at);
     CREATE INDEX sessions_by_time ON sessions(updated_at);
     CREATE TABLE items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        content TEXT NOT NULL,
        interrupted INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER,
        output_tokens INTEGER,
        created_at INTEGER NOT NULL
     );
     CREATE INDEX items_by_session ON items(session_id, id);",
    // 2: the append-only audit log of tool calls
    "CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        session_id TEXT,
        tool TEXT NOT NULL,
        arguments TEXT NOT NULL,
        decision TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        status TEXT NOT NULL,
        exit_code INTEGER,
        duration_ms INTEGER NOT NULL
     );
     CREATE INDEX audit_by_time ON audit(time);
     CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
     CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 3: per-session counts for fast listing, forks by parent, replies streamed in parts
    "ALTER TABLE sessions ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE sessions ADD COLUMN first_prompt TEXT NOT NULL DEFAULT '';
     ALTER TABLE items ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;
     CREATE INDEX sessions_by_parent ON sessions(parent_id);
     CREATE INDEX items_incomplete ON items(session_id) WHERE complete = 0;
     CREATE TABLE item_parts (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (item_id, seq)
     ) WITHOUT ROWID;
     UPDATE sessions SET
        message_count = (SELECT COUNT(*) FROM items
                         WHERE items.session_id = sessions.id AND items.kind IN ('user', 'assistant')),
        first_prompt = COALESCE((SELECT substr(items.content, 1, 500) FROM items
                                 WHERE items.session_id = sessions.id AND items.kind = 'user'
                                   AND items.content <> ''
                                 ORDER BY items.id LIMIT 1), '');",
    // 4: which opened store wrote an item (several processes share one database)
    "ALTER TABLE items ADD COLUMN writer TEXT;",
    // 5: the audit log's hash chain (rows from before stay unchained) and clearer refusals
    "ALTER TABLE audit ADD COLUMN prev_hash TEXT;
     ALTER TABLE audit ADD COLUMN hash TEXT;
     DROP TRIGGER audit_no_update;
     DROP TRIGGER audit_no_delete;
     CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be changed (pincer audit verify checks the log)'); END;
     CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be deleted (pincer audit verify checks the log)'); END;",
    // 6: the memory index (derived from the memory files and the items; `memory reindex`
    //    rebuilds it): chunks, two FTS5 indexes over them, vectors and the embedding cache.
    "CREATE TABLE memory_chunks (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        entry_id TEXT,
        scope TEXT NOT NULL,
        project TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL DEFAULT '',
        line_start INTEGER NOT NULL DEFAULT 0,
        line_end INTEGER NOT NULL DEFAULT 0,
        kind TEXT NOT NULL,
        provenance TEXT NOT NULL,
        created INTEGER NOT NULL,
        superseded INTEGER,
        pinned INTEGER NOT NULL DEFAULT 0,
        core INTEGER NOT NULL DEFAULT 0,
        salience REAL NOT NULL DEFAULT 1.0,
        text_hash BLOB NOT NULL,
        text TEXT NOT NULL,
        session_id TEXT,
        item_id INTEGER
     );
     CREATE INDEX memory_chunks_by_file ON memory_chunks(scope, project, path);
     CREATE INDEX memory_chunks_by_entry ON memory_chunks(entry_id);
     CREATE UNIQUE INDEX memory_chunks_by_item ON memory_chunks(item_id) WHERE item_id IS NOT NULL;
     CREATE VIRTUAL TABLE memory_fts USING fts5(text, content='memory_chunks', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2');
     CREATE VIRTUAL TABLE memory_trigram USING fts5(text, content='memory_chunks', content_rowid='id',
        tokenize='trigram');
     INSERT INTO memory_fts(memory_fts, rank) VALUES('secure-delete', 1);
     INSERT INTO memory_trigram(memory_trigram, rank) VALUES('secure-delete', 1);
     CREATE TRIGGER memory_chunks_ai AFTER INSERT ON memory_chunks BEGIN
        INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
        INSERT INTO memory_trigram(rowid, text) VALUES (new.id, new.text);
     END;
     CREATE TRIGGER memory_chunks_ad AFTER DELETE ON memory_chunks BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO memory_trigram(memory_trigram, rowid, text) VALUES ('delete', old.id, old.text);
     END;
     CREATE TRIGGER memory_chunks_au AFTER UPDATE OF text ON memory_chunks BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO memory_trigram(memory_trigram, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
        INSERT INTO memory_trigram(rowid, text) VALUES (new.id, new.text);
     END;
     CREATE TRIGGER items_forget_chunks AFTER DELETE ON items BEGIN
        DELETE FROM memory_chunks WHERE item_id = old.id;
     END;
     CREATE TABLE memory_files (
        scope TEXT NOT NULL,
        project TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime INTEGER NOT NULL,
        hash BLOB,
        problem TEXT,
        PRIMARY KEY (scope, project, path)
     ) WITHOUT ROWID;
     CREATE TABLE memory_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
     CREATE TABLE memory_vectors (
        chunk_id INTEGER PRIMARY KEY REFERENCES memory_chunks(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        text_hash BLOB NOT NULL,
        vec BLOB NOT NULL
     );
     CREATE INDEX memory_vectors_by_model ON memory_vectors(model, dim);
     CREATE TABLE embedding_cache (
        key BLOB PRIMARY KEY,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vec BLOB NOT NULL
     );",
    // 7: which front end started a session ('tui' | 'headless' | 'import'); older rows
    // cannot tell and read as 'tui' (shown, never hidden)
    "ALTER TABLE sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'tui';",
    // 8: how a row is shown when that
    // differs from its content (`shown.rs`, JSON; NULL: the content)
    "ALTER TABLE items ADD COLUMN display TEXT;",
    // 9: a counter bumped by every change to the memory vectors, so the in-memory copy of
    //     them (`memory/vector_cache.rs`) checks it is current with one row read instead of a
    //     pass over the table's index (80 ms at 100k vectors).
    "INSERT OR IGNORE INTO memory_state (key, value) VALUES ('vectors_version', 0);
     CREATE TRIGGER memory_vectors_version_ai AFTER INSERT ON memory_vectors BEGIN
        INSERT INTO memory_state (key, value) VALUES ('vectors_version', 1)
           ON CONFLICT (key) DO UPDATE SET value = value + 1;
     END;
     CREATE TRIGGER memory_vectors_version_ad AFTER DELETE ON memory_vectors BEGIN
        INSERT INTO memory_state (key, value) VALUES ('vectors_version', 1)
           ON CONFLICT (key) DO UPDATE SET value = value + 1;
     END;
     CREATE TRIGGER memory_vectors_version_au AFTER UPDATE ON memory_vectors BEGIN
        INSERT INTO memory_state (key, value) VALUES ('vectors_version', 1)
           ON CONFLICT (key) DO UPDATE SET value = value + 1;
     END;",
];

/// How many characters of the first user message a session row keeps.
pub const FIRST_PROMPT_CHARS: usize = 500;

pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Bring the schema to `LATEST`. Each step is its own write transaction that reads the
/// version inside it, so two processes opening a new database at once migrate it once.
pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > LATEST {
        return Err(StoreError::TooNew {
            found: version,
            known: LATEST,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let target = index as i64 + 1;
        let migrated = super::write::write(conn, |tx| {
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now >= target {
                return Ok(false);
            }
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", target)?;
            Ok(true)
        })?;
        if migrated {
            tracing::info!(version = target, "database migrated");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_empty_to_latest_and_idempotent() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        migrate(&conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
    }

    /// Migration 7: rows stored before origins were recorded read as 'tui'; new rows keep
    /// the front end that made them.
    #[test]
    fn from_version_6_sessions_get_an_origin() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        for (index, sql) in MIGRATIONS.iter().enumerate().take(6) {
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", index as i64 + 1)
                .unwrap();
        }
        tx.commit().unwrap();
        conn.execute(
            "INSERT INTO sessions (id, cwd, created_at, updated_at) VALUES ('old', '/', 0, 0)",
            [],
        )
        .unwrap();
        migrate(&conn).unwrap();
        let origin: String = conn
            .query_row("SELECT origin FROM sessions WHERE id = 'old'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(origin, "tui");
        conn.execute(
            "INSERT INTO sessions (id, cwd, created_at, updated_at, origin)
             VALUES ('new', '/', 1, 1, 'headless')",
            [],
        )
        .unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sessions WHERE origin = 'headless'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn from_version_1_keeps_sessions() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(MIGRATIONS[0]).unwrap();
        tx.pragma_update(None, "user_version", 1).unwrap();
        tx.commit().unwrap();
        conn.execute(
            "INSERT INTO sessions (id, cwd, created_at, updated_at) VALUES ('s', '/', 0, 0)",
            [],
        )
        .unwrap();
        migrate(&conn).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
    }

    /// A real version-2 file with sessions, items and audit rows, opened by this build.
    #[test]
    fn from_version_2_file_backfills_counts_and_keeps_audit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pincer.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            for (index, sql) in MIGRATIONS[..2].iter().enumerate() {
                let tx = conn.transaction().unwrap();
                tx.execute_batch(sql).unwrap();
                tx.pragma_update(None, "user_version", index as i64 + 1)
                    .unwrap();
                tx.commit().unwrap();
            }
            let long = "ü".repeat(700);
            conn.execute_batch(&format!(
                "INSERT INTO sessions (id, title, cwd, created_at, updated_at) VALUES
                    ('a', 'A', '/x', 1, 5), ('b', '', '/x', 2, 6), ('c', 'C', '/y', 3, 3);
                 UPDATE sessions SET parent_id = 'a' WHERE id = 'c';
                 INSERT INTO items (session_id, kind, content, created_at) VALUES
                    ('a', 'tool_call', '{{}}', 1), ('a', 'user', '', 1),
                    ('a', 'user', 'first question', 2), ('a', 'assistant', 'answer', 3),
                    ('a', 'tool_result', '{{}}', 4), ('a', 'user', 'second', 5),
                    ('b', 'user', '{long}', 6), ('b', 'notice', 'n', 7);
                 INSERT INTO audit (time, session_id, tool, arguments, decision, decided_by,
                                    status, duration_ms)
                    VALUES (1, 'a', 'shell', '{{}}', 'allowed', 'mode yolo', 'ok', 3),
                           (2, NULL, 'read', '{{}}', 'denied', 'rule', 'denied', 0);"
            ))
            .unwrap();
        }
        let store = super::super::Store::open(&path).unwrap();
        assert_eq!(store.integrity_report(), None);
        assert_eq!(store.schema_version().unwrap(), LATEST);
        let a = store.get_session("a").unwrap().unwrap();
        assert_eq!(
            (a.message_count, a.first_prompt.as_str()),
            (4, "first question")
        );
        assert_eq!((a.title.as_str(), a.updated_ms), ("A", 5));
        let b = store.get_session("b").unwrap().unwrap();
        assert_eq!(b.message_count, 1);
        assert_eq!(b.first_prompt, "ü".repeat(FIRST_PROMPT_CHARS));
        let c = store.get_session("c").unwrap().unwrap();
        assert_eq!((c.message_count, c.first_prompt.as_str()), (0, ""));
        assert_eq!(c.parent_id.as_deref(), Some("a"));
        assert_eq!(store.load_session("a").unwrap().items.len(), 6);
        let audit = store.list_audit(10).unwrap();
        assert_eq!(
            audit.iter().map(|r| r.tool.as_str()).collect::<Vec<_>>(),
            vec!["shell", "read"]
        );
        // New writes keep counting from the backfilled numbers.
        store
            .append_item("b", super::super::ItemKind::Assistant, "ok", false, None)
            .unwrap();
        assert_eq!(store.get_session("b").unwrap().unwrap().message_count, 2);
    }

    #[test]
    fn audit_rows_cannot_be_changed() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        conn.execute(
            "INSERT INTO audit (time, tool, arguments, decision, decided_by, status, duration_ms)
             VALUES (1, 'shell', '{}', 'allowed', 'mode yolo', 'ok', 3)",
            [],
        )
        .unwrap();
        assert!(conn.execute("UPDATE audit SET tool = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM audit", []).is_err());
    }

    /// Audit rows from before the hash chain stay readable and unchained; new rows chain.
    #[test]
    fn audit_rows_from_version_3_stay_unchained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pincer.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            for (index, sql) in MIGRATIONS[..3].iter().enumerate() {
                let tx = conn.transaction().unwrap();
                tx.execute_batch(sql).unwrap();
                tx.pragma_update(None, "user_version", index as i64 + 1)
                    .unwrap();
                tx.commit().unwrap();
            }
            conn.execute_batch(
                "INSERT INTO audit (time, tool, arguments, decision, decided_by, status, duration_ms)
                 VALUES (1, 'shell', '{}', 'allowed', 'mode yolo', 'ok', 3),
                        (2, 'read_file', '{}', 'denied', 'rule', 'denied', 0);",
            )
            .unwrap();
        }
        let store = super::super::Store::open(&path).unwrap();
        let v = store.verify_audit().unwrap();
        assert_eq!((v.chained, v.unchained_before, v.broken), (0, 2, None));
        store
            .record_audit(&super::super::AuditRecord {
                time: 3,
                session_id: None,
                tool: "shell".into(),
                arguments: "{}".into(),
                decision: "allowed".into(),
                decided_by: "mode yolo".into(),
                status: "ok".into(),
                exit_code: None,
                duration_ms: 1,
            })
            .unwrap();
        let v = store.verify_audit().unwrap();
        assert_eq!((v.chained, v.unchained_before, v.broken), (1, 2, None));
        assert_eq!(store.list_audit(10).unwrap().len(), 3);
    }

    #[test]
    fn newer_schema_is_refused_untouched() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        assert!(matches!(migrate(&conn), Err(StoreError::TooNew { .. })));
    }
}
