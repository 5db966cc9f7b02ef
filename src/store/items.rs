//! Items: finished ones appended in one go, replies streamed as an incomplete row plus parts.
//!
//! A streamed reply is `begin_item` (an incomplete row with empty content), then one small
//! `append_part` INSERT per chunk (never rewriting the growing text), then `finish_item`
//! (final content, parts deleted, session counted, one transaction). After a crash the row
//! stays incomplete: `load_session` shows it as content + parts, interrupted, and
//! `seal_incomplete` makes that permanent.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::migrations::FIRST_PROMPT_CHARS;
use super::write::write;
use super::{ItemKind, LoadedSession, Shown, Store, StoreError, StoredItem, now_ms, title_from};
use crate::protocol::TokenUsage;

/// The columns `read_item` expects, in order.
const ITEM_COLUMNS: &str =
    "id, kind, content, interrupted, input_tokens, output_tokens, complete, display";

/// Counts a finished item into its session row, in the caller's transaction: `updated_at`
/// (never moved back), `message_count` for user and assistant items, and for a user item
/// `first_prompt` and the title when they are still empty. Fails with `NoSuchSession`.
pub(super) fn count_item(
    conn: &Connection,
    session_id: &str,
    kind: &str,
    content: &str,
    now: i64,
) -> Result<(), StoreError> {
    let counted = i64::from(kind == "user" || kind == "assistant");
    let (prompt, title) = if kind == "user" {
        let prompt: String = content.chars().take(FIRST_PROMPT_CHARS).collect();
        (prompt, title_from(content))
    } else {
        (String::new(), String::new())
    };
    let changed = conn
        .prepare_cached(
            "UPDATE sessions SET
                updated_at = MAX(updated_at, ?2),
                message_count = message_count + ?3,
                first_prompt = CASE WHEN first_prompt = '' THEN ?4 ELSE first_prompt END,
                title = CASE WHEN title = '' THEN ?5 ELSE title END
             WHERE id = ?1",
        )?
        .execute(params![session_id, now, counted, prompt, title])?;
    if changed == 0 {
        return Err(StoreError::NoSuchSession(session_id.to_string()));
    }
    Ok(())
}

/// The parts of a streamed item joined in order.
pub(super) fn parts_text(conn: &Connection, item_id: i64) -> rusqlite::Result<String> {
    let mut stmt =
        conn.prepare_cached("SELECT text FROM item_parts WHERE item_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query(params![item_id])?;
    let mut text = String::new();
    while let Some(row) = rows.next()? {
        text.push_str(row.get_ref(0)?.as_str()?);
    }
    Ok(text)
}

/// One row selected with `ITEM_COLUMNS`: the item (an incomplete one as content + parts,
/// interrupted) and its tokens, or `None` for a kind this build does not know.
fn read_item(conn: &Connection, row: &Row) -> rusqlite::Result<Option<(StoredItem, u64)>> {
    let kind: String = row.get(1)?;
    let Some(kind) = ItemKind::parse(&kind) else {
        return Ok(None);
    };
    let id: i64 = row.get(0)?;
    let mut content: String = row.get(2)?;
    let mut interrupted: bool = row.get(3)?;
    let input: Option<i64> = row.get(4)?;
    let output: Option<i64> = row.get(5)?;
    let complete: bool = row.get(6)?;
    let display: Option<String> = row.get(7)?;
    if !complete {
        content.push_str(&parts_text(conn, id)?);
        interrupted = true;
    }
    let tokens = input.unwrap_or(0).max(0) as u64 + output.unwrap_or(0).max(0) as u64;
    Ok(Some((
        StoredItem {
            id,
            kind,
            content,
            interrupted,
            display,
        },
        tokens,
    )))
}

/// `NoSuchItem` or `ItemFinished`, whichever explains why `item_id` cannot take parts.
fn not_streaming(conn: &Connection, item_id: i64) -> StoreError {
    match conn
        .query_row(
            "SELECT complete FROM items WHERE id = ?1",
            params![item_id],
            |r| r.get::<_, bool>(0),
        )
        .optional()
    {
        Ok(Some(_)) => StoreError::ItemFinished(item_id),
        Ok(None) => StoreError::NoSuchItem(item_id),
        Err(e) => StoreError::Sql(e),
    }
}

impl Store {
    /// Append one finished item; returns its id. The session's counts, first prompt and (when
    /// empty) title follow in the same transaction.
    pub fn append_item(
        &self,
        session_id: &str,
        kind: ItemKind,
        content: &str,
        interrupted: bool,
        usage: Option<TokenUsage>,
    ) -> Result<i64, StoreError> {
        self.insert_item(session_id, kind, content, interrupted, usage, None)
    }

    /// A user item whose content (what the model gets) is not what the user saw (`shown`).
    pub fn append_user_shown(
        &self,
        session_id: &str,
        content: &str,
        shown: &Shown,
    ) -> Result<i64, StoreError> {
        self.insert_item(
            session_id,
            ItemKind::User,
            content,
            false,
            None,
            Some(shown),
        )
    }

    fn insert_item(
        &self,
        session_id: &str,
        kind: ItemKind,
        content: &str,
        interrupted: bool,
        usage: Option<TokenUsage>,
        shown: Option<&Shown>,
    ) -> Result<i64, StoreError> {
        let now = now_ms();
        // Secrets never reach the database (the leak detector, `redact.rs`).
        let content: &str = &crate::redact::redact_cow(content);
        let display = shown.map(|s| crate::redact::redact_cow(&s.to_json()).into_owned());
        // What a user item counts as (first prompt, title): what the user typed.
        let counted = Shown::prompt(shown, content).unwrap_or("");
        write(&self.conn, |tx| {
            count_item(tx, session_id, kind.as_str(), counted, now)?;
            tx.prepare_cached(
                "INSERT INTO items (session_id, kind, content, interrupted, input_tokens,
                                    output_tokens, created_at, writer, display)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                session_id,
                kind.as_str(),
                content,
                interrupted,
                usage.map(|u| u.input_tokens as i64),
                usage.map(|u| u.output_tokens as i64),
                now,
                self.writer,
                display
            ])?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Start an item that arrives in parts (a streamed reply); returns its id. Until
    /// `finish_item` it is stored incomplete and is not counted in the session.
    pub fn begin_item(&self, session_id: &str, kind: ItemKind) -> Result<i64, StoreError> {
        self.begin_item_with(session_id, kind, "")
    }

    /// `begin_item` with the first text already in it (one transaction, so a crash never
    /// leaves an empty row behind).
    pub fn begin_item_with(
        &self,
        session_id: &str,
        kind: ItemKind,
        first: &str,
    ) -> Result<i64, StoreError> {
        let now = now_ms();
        write(&self.conn, |tx| {
            let changed = tx.execute(
                "UPDATE sessions SET updated_at = MAX(updated_at, ?2) WHERE id = ?1",
                params![session_id, now],
            )?;
            if changed == 0 {
                return Err(StoreError::NoSuchSession(session_id.to_string()));
            }
            tx.execute(
                "INSERT INTO items (session_id, kind, content, interrupted, created_at, complete,
                                    writer)
                 VALUES (?1, ?2, ?4, 0, ?3, 0, ?5)",
                params![session_id, kind.as_str(), now, first, self.writer],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Store the next part of an item started with `begin_item`: one small INSERT.
    pub fn append_part(&self, item_id: i64, text: &str) -> Result<(), StoreError> {
        write(&self.conn, |tx| {
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO item_parts (item_id, seq, text)
                     SELECT ?1, COALESCE((SELECT MAX(seq) FROM item_parts WHERE item_id = ?1), -1) + 1, ?2
                     WHERE EXISTS (SELECT 1 FROM items WHERE id = ?1 AND complete = 0)",
                )?
                .execute(params![item_id, text])?;
            if inserted == 0 {
                return Err(not_streaming(tx, item_id));
            }
            Ok(())
        })
    }

    /// Finish an item started with `begin_item`: the final content replaces the parts, and
    /// the session is counted and touched, in one transaction.
    pub fn finish_item(
        &self,
        item_id: i64,
        content: &str,
        interrupted: bool,
        usage: Option<TokenUsage>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        // Secrets never reach the database (the leak detector, `redact.rs`).
        let content: &str = &crate::redact::redact_cow(content);
        write(&self.conn, |tx| {
            let row: Option<(String, String, bool)> = tx
                .query_row(
                    "SELECT session_id, kind, complete FROM items WHERE id = ?1",
                    params![item_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((session_id, kind, complete)) = row else {
                return Err(StoreError::NoSuchItem(item_id));
            };
            if complete {
                return Err(StoreError::ItemFinished(item_id));
            }
            tx.execute(
                "UPDATE items SET content = ?2, interrupted = ?3, input_tokens = ?4,
                output_tokens = ?5, complete = 1
             WHERE id = ?1",
                params![
                    item_id,
                    content,
                    interrupted,
                    usage.map(|u| u.input_tokens as i64),
                    usage.map(|u| u.output_tokens as i64)
                ],
            )?;
            tx.execute(
                "DELETE FROM item_parts WHERE item_id = ?1",
                params![item_id],
            )?;
            count_item(tx, &session_id, &kind, content, now)?;
            Ok(())
        })
    }

    /// Make the session's incomplete items (left by a crash) permanent: content + parts,
    /// interrupted, counted. Returns how many there were. Call it when resuming a session.
    ///
    /// Only a process holding the session's lease may call it (`lease.rs`): an incomplete
    /// item of a session nobody holds was left by a writer that is gone.
    pub fn seal_incomplete(&self, session_id: &str) -> Result<usize, StoreError> {
        write(&self.conn, |tx| {
            super::sessions::require_session(tx, session_id)?;
            let open: Vec<(i64, String, String)> = tx
                .prepare(
                    "SELECT id, kind, content FROM items
                 WHERE session_id = ?1 AND complete = 0 ORDER BY id",
                )?
                .query_map(params![session_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            for (id, kind, mut content) in open.iter().cloned() {
                content.push_str(&parts_text(tx, id)?);
                let content = crate::redact::redact_cow(&content).into_owned();
                tx.execute(
                    "UPDATE items SET content = ?2, complete = 1, interrupted = 1 WHERE id = ?1",
                    params![id, content],
                )?;
                tx.execute("DELETE FROM item_parts WHERE item_id = ?1", params![id])?;
                // 0: sealing does not make the session newer than its last real activity.
                count_item(tx, session_id, &kind, &content, 0)?;
            }
            Ok(open.len())
        })
    }

    /// Every item of a session, oldest first; an unknown session loads as empty.
    pub fn load_session(&self, session_id: &str) -> Result<LoadedSession, StoreError> {
        // One read transaction: a writer finishing an item between its row and its parts
        // cannot make the text disappear.
        let tx = self.conn.unchecked_transaction()?;
        let mut loaded = LoadedSession::default();
        {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE session_id = ?1 ORDER BY id"
            ))?;
            let mut rows = stmt.query(params![session_id])?;
            while let Some(row) = rows.next()? {
                match read_item(&tx, row) {
                    Ok(Some((item, tokens))) => {
                        loaded.total_tokens += tokens;
                        loaded.items.push(item);
                    }
                    Ok(None) | Err(_) => loaded.skipped_rows += 1,
                }
            }
        }
        tx.commit()?;
        Ok(loaded)
    }

    /// Whether anything but the user's messages and notices is stored in the session: a
    /// model's reply, a tool call or result, an approval, a compaction.
    pub fn has_more_than_messages(&self, session_id: &str) -> Result<bool, StoreError> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM items
                 WHERE session_id = ?1 AND kind NOT IN ('user', 'notice'))",
            )?
            .query_row(params![session_id], |r| r.get::<_, bool>(0))?;
        Ok(found)
    }

    /// The last `n` items of a session, oldest first (for previews).
    pub fn last_items(&self, session_id: &str, n: usize) -> Result<Vec<StoredItem>, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        super::sessions::require_session(&tx, session_id)?;
        let mut items = Vec::new();
        {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE session_id = ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            let limit = i64::try_from(n).unwrap_or(i64::MAX);
            let mut rows = stmt.query(params![session_id, limit])?;
            while let Some(row) = rows.next()? {
                if let Ok(Some((item, _))) = read_item(&tx, row) {
                    items.push(item);
                }
            }
        }
        tx.commit()?;
        items.reverse();
        Ok(items)
    }

    /// Drop an incomplete item and its parts (a retried request discards its partial reply).
    /// Finished items are never deleted this way; an unknown or finished id changes nothing.
    pub fn delete_item(&self, item_id: i64) -> Result<(), StoreError> {
        write(&self.conn, |tx| {
            tx.execute(
                "DELETE FROM item_parts WHERE item_id = ?1
               AND EXISTS (SELECT 1 FROM items WHERE id = ?1 AND complete = 0)",
                params![item_id],
            )?;
            tx.execute(
                "DELETE FROM items WHERE id = ?1 AND complete = 0",
                params![item_id],
            )?;
            Ok(())
        })
    }

    /// Ids of the items of `session_id` after item `after` that another `Store` (another
    /// process or runtime) wrote, oldest first.
    pub fn foreign_items_after(
        &self,
        session_id: &str,
        after: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM items WHERE session_id = ?1 AND id > ?2
               AND (writer IS NULL OR writer <> ?3) ORDER BY id",
        )?;
        let ids = stmt
            .query_map(params![session_id, after, self.writer], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    /// The newest item id of a session up to which every item is finished: just before its
    /// first incomplete item (a reply another process is still streaming), else its last item
    /// (0 when it has none). Items after it are taken in again once they are finished.
    pub fn settled_item_id(&self, session_id: &str) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(
                (SELECT MIN(id) - 1 FROM items WHERE session_id = ?1 AND complete = 0),
                (SELECT MAX(id) FROM items WHERE session_id = ?1),
                0)",
            params![session_id],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
#[path = "items_tests.rs"]
mod tests;
