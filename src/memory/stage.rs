//! New index rows go into `memory_chunks` in one statement, not one statement per row.
//!
//! The chunk triggers feed the two FTS5 indexes, and FTS5 writes its pending terms to disk as
//! a new segment at every statement savepoint. Row-by-row inserts therefore left one tiny
//! segment per row, which the same transaction then merged again: indexing a 1,000-message
//! session spent most of its time merging. Rows are staged in a temporary table (no triggers,
//! no index) and moved over with one `INSERT … SELECT`: one savepoint, one segment.

use rusqlite::{Transaction, params};

use crate::store::StoreError;

/// Every column of `memory_chunks` but `id`, in the order [`Chunk`] binds them.
const COLUMNS: &str = "source, entry_id, scope, project, path, line_start, line_end, kind, \
                       provenance, created, superseded, pinned, core, text_hash, text, \
                       session_id, item_id";

/// One row bound for `memory_chunks`.
pub(super) struct Chunk<'a> {
    pub source: &'a str,
    pub entry_id: Option<&'a str>,
    pub scope: &'a str,
    pub project: &'a str,
    pub path: &'a str,
    pub lines: (i64, i64),
    pub kind: &'a str,
    pub provenance: &'a str,
    pub created: i64,
    pub superseded: Option<i64>,
    pub pinned: bool,
    pub core: bool,
    pub text_hash: Vec<u8>,
    pub text: &'a str,
    pub session: Option<&'a str>,
    pub item_id: Option<i64>,
}

/// Rows collected for one transaction, written by [`Stage::commit`].
pub(super) struct Stage<'t, 'c> {
    tx: &'t Transaction<'c>,
    staged: usize,
}

impl<'t, 'c> Stage<'t, 'c> {
    pub fn new(tx: &'t Transaction<'c>) -> Result<Self, StoreError> {
        tx.execute_batch(&format!(
            "CREATE TEMP TABLE IF NOT EXISTS chunk_stage ({COLUMNS});
             DELETE FROM temp.chunk_stage;"
        ))?;
        Ok(Stage { tx, staged: 0 })
    }

    pub fn add(&mut self, c: &Chunk<'_>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO temp.chunk_stage ({COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
            ))?
            .execute(params![
                c.source,
                c.entry_id,
                c.scope,
                c.project,
                c.path,
                c.lines.0,
                c.lines.1,
                c.kind,
                c.provenance,
                c.created,
                c.superseded,
                c.pinned,
                c.core,
                c.text_hash,
                c.text,
                c.session,
                c.item_id
            ])?;
        self.staged += 1;
        Ok(())
    }

    /// Moves the staged rows into `memory_chunks` in the order they were added (rows whose
    /// item is already indexed are skipped); returns how many were staged.
    pub fn commit(self) -> Result<usize, StoreError> {
        if self.staged > 0 {
            self.tx.execute_batch(&format!(
                "INSERT OR IGNORE INTO memory_chunks ({COLUMNS})
                    SELECT {COLUMNS} FROM temp.chunk_stage ORDER BY rowid;
                 DELETE FROM temp.chunk_stage;"
            ))?;
        }
        Ok(self.staged)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::Store;

    fn chunk<'a>(text: &'a str, item: Option<i64>) -> Chunk<'a> {
        Chunk {
            source: "session",
            entry_id: None,
            scope: "session",
            project: "/p",
            path: "",
            lines: (0, 0),
            kind: "episodic",
            provenance: "user",
            created: 1,
            superseded: None,
            pinned: false,
            core: false,
            text_hash: vec![1, 2],
            text,
            session: Some("s"),
            item_id: item,
        }
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn staged_rows_reach_the_table_and_both_text_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("p.db")).unwrap();
        let texts: Vec<String> = (0..300)
            .map(|i| format!("planted word{i} 東京タワー"))
            .collect();
        let staged = store
            .transaction(|tx| {
                let mut stage = Stage::new(tx)?;
                for (i, t) in texts.iter().enumerate() {
                    stage.add(&chunk(t, Some(i as i64 + 1)))?;
                }
                stage.commit()
            })
            .unwrap();
        assert_eq!(staged, 300);
        assert_eq!(count(&store, "SELECT count(*) FROM memory_chunks"), 300);
        let word = "SELECT count(*) FROM memory_fts WHERE memory_fts MATCH 'word299'";
        assert_eq!(count(&store, word), 1);
        let cjk = "SELECT count(*) FROM memory_trigram WHERE memory_trigram MATCH '京タワ'";
        assert_eq!(count(&store, cjk), 300);
        // The same items again are skipped, and the stage is empty for the next batch.
        store
            .transaction(|tx| {
                let mut stage = Stage::new(tx)?;
                stage.add(&chunk("planted again", Some(1)))?;
                stage.commit()
            })
            .unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM memory_chunks"), 300);
        assert_eq!(count(&store, "SELECT count(*) FROM temp.chunk_stage"), 0);
    }
}
