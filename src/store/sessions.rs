//! Session rows: listing, lookup, rename, archive, delete, fork.
//!
//! Lists read only the `sessions` table: `message_count` and `first_prompt` are kept up to
//! date when items are written, so listing never touches `items`.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::migrations::FIRST_PROMPT_CHARS;
use super::write::write;
use super::{Shown, Store, StoreError, now_ms};
use crate::protocol::{SessionOrigin, SessionSummary};

/// The columns `summary_from_row` expects, in order.
const SUMMARY_COLUMNS: &str = "id, title, created_at, updated_at, cwd, provider, model, \
                               message_count, parent_id, archived, first_prompt, origin";

/// Newest first; sessions touched in the same millisecond by insertion order.
const NEWEST_FIRST: &str = "ORDER BY updated_at DESC, rowid DESC";

fn summary_from_row(r: &Row) -> rusqlite::Result<SessionSummary> {
    Ok(SessionSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        created_ms: r.get(2)?,
        updated_ms: r.get(3)?,
        cwd: r.get(4)?,
        provider: r.get(5)?,
        model: r.get(6)?,
        message_count: r.get::<_, i64>(7)?.max(0) as u64,
        parent_id: r.get(8)?,
        archived: r.get(9)?,
        first_prompt: r.get(10)?,
        origin: SessionOrigin::from_stored(&r.get::<_, String>(11)?),
    })
}

fn query_summaries(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<SessionSummary>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params, summary_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(super) fn summary(conn: &Connection, id: &str) -> Result<Option<SessionSummary>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {SUMMARY_COLUMNS} FROM sessions WHERE id = ?1"),
            params![id],
            summary_from_row,
        )
        .optional()?)
}

/// `NoSuchSession` unless a session row `id` exists.
pub(super) fn require_session(conn: &Connection, id: &str) -> Result<(), StoreError> {
    let found = conn
        .query_row("SELECT 1 FROM sessions WHERE id = ?1", params![id], |_| {
            Ok(())
        })
        .optional()?;
    found.ok_or_else(|| StoreError::NoSuchSession(id.to_string()))
}

/// Recompute `message_count` and `first_prompt` of one session from its items.
pub(super) fn recount(conn: &Connection, id: &str) -> Result<(), StoreError> {
    let first_prompt = first_typed_prompt(conn, id)?;
    conn.execute(
        "UPDATE sessions SET
            message_count = (SELECT COUNT(*) FROM items
                             WHERE items.session_id = sessions.id
                               AND items.kind IN ('user', 'assistant')),
            first_prompt = ?2
         WHERE id = ?1",
        params![id, first_prompt],
    )?;
    Ok(())
}

/// What `count_item` keeps as the first prompt, for rows copied in bulk (a fork, an import):
/// the first user row's typed text (its `display`, e.g. `/greet Ada` rather than the skill's
/// body), capped; rows the user did not type (an `@file` read) are skipped.
fn first_typed_prompt(conn: &Connection, id: &str) -> Result<String, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT content, display FROM items WHERE session_id = ?1 AND kind = 'user' ORDER BY id",
    )?;
    let mut rows = stmt.query(params![id])?;
    while let Some(row) = rows.next()? {
        let content: String = row.get(0)?;
        let display: Option<String> = row.get(1)?;
        let shown = Shown::parse(display.as_deref());
        match Shown::prompt(shown.as_ref(), &content) {
            Some(prompt) if !prompt.is_empty() => {
                return Ok(prompt.chars().take(FIRST_PROMPT_CHARS).collect());
            }
            _ => continue,
        }
    }
    Ok(String::new())
}

/// `text` for a LIKE pattern with `\` as the escape character.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Store {
    /// Sessions, newest `updated_at` first: those started in `cwd` (all when `None`),
    /// archived ones only when asked, at most `limit`.
    pub fn list_sessions(
        &self,
        cwd: Option<&str>,
        include_archived: bool,
        limit: usize,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let archived = if include_archived {
            ""
        } else {
            "AND archived = 0"
        };
        match cwd {
            Some(cwd) => query_summaries(
                &self.conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM sessions WHERE cwd = ?1 {archived}
                     {NEWEST_FIRST} LIMIT ?2"
                ),
                params![cwd, limit],
            ),
            None => query_summaries(
                &self.conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM sessions WHERE 1 {archived}
                     {NEWEST_FIRST} LIMIT ?1"
                ),
                params![limit],
            ),
        }
    }

    /// One session's summary, `None` when there is no such session.
    pub fn get_session(&self, id: &str) -> Result<Option<SessionSummary>, StoreError> {
        summary(&self.conn, id)
    }

    /// Sessions a user may mean by `query`: the exact id, else those whose id starts with it,
    /// else those whose title or first prompt contains it (any case). Newest first; archived
    /// sessions included. An empty query finds nothing.
    pub fn find_sessions(&self, query: &str) -> Result<Vec<SessionSummary>, StoreError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(exact) = summary(&self.conn, query)? {
            return Ok(vec![exact]);
        }
        let by_prefix = query_summaries(
            &self.conn,
            &format!(
                "SELECT {SUMMARY_COLUMNS} FROM sessions WHERE substr(id, 1, length(?1)) = ?1
                 {NEWEST_FIRST}"
            ),
            params![query],
        )?;
        if !by_prefix.is_empty() {
            return Ok(by_prefix);
        }
        // The random part after the time (what `short_id` shows): ids of one day share their
        // first characters, so the end is what tells them apart.
        if query.len() >= 3 && query.bytes().all(|b| b.is_ascii_hexdigit()) {
            let by_suffix = query_summaries(
                &self.conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM sessions
                     WHERE instr(id, '-') > 0
                       AND substr(id, instr(id, '-') + 1, length(?1)) = lower(?1)
                     {NEWEST_FIRST}"
                ),
                params![query],
            )?;
            if !by_suffix.is_empty() {
                return Ok(by_suffix);
            }
        }
        if query.is_ascii() {
            // LIKE ignores ASCII case, which is all an ASCII query needs.
            let pattern = format!("%{}%", like_escape(query));
            return query_summaries(
                &self.conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM sessions
                     WHERE title LIKE ?1 ESCAPE '\\' OR first_prompt LIKE ?1 ESCAPE '\\'
                     {NEWEST_FIRST}"
                ),
                params![pattern],
            );
        }
        let needle = query.to_lowercase();
        let all = query_summaries(
            &self.conn,
            &format!("SELECT {SUMMARY_COLUMNS} FROM sessions {NEWEST_FIRST}"),
            [],
        )?;
        Ok(all
            .into_iter()
            .filter(|s| {
                s.title.to_lowercase().contains(&needle)
                    || s.first_prompt.to_lowercase().contains(&needle)
            })
            .collect())
    }

    pub fn rename_session(&self, id: &str, title: &str) -> Result<(), StoreError> {
        let changed = write(&self.conn, |tx| {
            Ok(tx.execute(
                "UPDATE sessions SET title = ?2 WHERE id = ?1",
                params![id, title],
            )?)
        })?;
        if changed == 0 {
            return Err(StoreError::NoSuchSession(id.to_string()));
        }
        Ok(())
    }

    /// The model that answered, when it was only known after the session row was written
    /// (a profile without a model: the server chose).
    pub fn set_session_model(&self, id: &str, model: &str) -> Result<(), StoreError> {
        write(&self.conn, |tx| {
            tx.execute(
                "UPDATE sessions SET model = ?2 WHERE id = ?1 AND model = ''",
                params![id, model],
            )?;
            Ok(())
        })
    }

    pub fn set_archived(&self, id: &str, archived: bool) -> Result<(), StoreError> {
        let changed = write(&self.conn, |tx| {
            Ok(tx.execute(
                "UPDATE sessions SET archived = ?2 WHERE id = ?1",
                params![id, archived],
            )?)
        })?;
        if changed == 0 {
            return Err(StoreError::NoSuchSession(id.to_string()));
        }
        Ok(())
    }

    /// Delete a session with its items and their parts. Forks of it stay, with no parent.
    /// The audit log keeps its rows (it is append-only).
    pub fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        write(&self.conn, |tx| {
            require_session(tx, id)?;
            tx.execute(
                "DELETE FROM item_parts WHERE item_id IN
                (SELECT id FROM items WHERE session_id = ?1 AND complete = 0)",
                params![id],
            )?;
            tx.execute("DELETE FROM items WHERE session_id = ?1", params![id])?;
            tx.execute(
                "UPDATE sessions SET parent_id = NULL WHERE parent_id = ?1",
                params![id],
            )?;
            tx.execute("DELETE FROM sessions WHERE id = ?1", params![id])?;
            Ok(())
        })
    }

    /// A new session `new_id` continuing session `id` from just before item `before_item`
    /// (from its end when `None`): same directory, provider, model and title, with copies of
    /// the earlier items (kind, content, interrupted, tokens, time, order). One transaction.
    pub fn fork_session(
        &self,
        id: &str,
        before_item: Option<i64>,
        new_id: &str,
    ) -> Result<SessionSummary, StoreError> {
        let now = now_ms();
        write(&self.conn, |tx| {
            let parent =
                summary(tx, id)?.ok_or_else(|| StoreError::NoSuchSession(id.to_string()))?;
            let fork_item = match before_item {
                Some(item) => {
                    let owner: Option<String> = tx
                        .query_row(
                            "SELECT session_id FROM items WHERE id = ?1",
                            params![item],
                            |r| r.get(0),
                        )
                        .optional()?;
                    match owner {
                        None => return Err(StoreError::NoSuchItem(item)),
                        Some(owner) if owner != id => {
                            return Err(StoreError::ItemNotInSession {
                                item,
                                session: id.to_string(),
                            });
                        }
                        Some(_) => Some(item),
                    }
                }
                None => tx.query_row(
                    "SELECT MAX(id) FROM items WHERE session_id = ?1",
                    params![id],
                    |r| r.get::<_, Option<i64>>(0),
                )?,
            };
            if summary(tx, new_id)?.is_some() {
                return Err(StoreError::SessionExists(new_id.to_string()));
            }
            tx.execute(
                "INSERT INTO sessions (id, title, cwd, provider, model, created_at, updated_at,
                                   parent_id, fork_item_id, archived)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, 0)",
                params![
                    new_id,
                    parent.title,
                    parent.cwd,
                    parent.provider,
                    parent.model,
                    now,
                    id,
                    fork_item
                ],
            )?;
            // A reply still being streamed in the parent is copied as what has arrived so far.
            tx.execute(
            "INSERT INTO items (session_id, kind, content, interrupted, input_tokens,
                                output_tokens, created_at, complete, writer, display)
             SELECT ?1, kind,
                    CASE WHEN complete THEN content
                         ELSE content || COALESCE((SELECT group_concat(p.text, '' ORDER BY p.seq)
                                                   FROM item_parts p WHERE p.item_id = items.id), '')
                    END,
                    CASE WHEN complete THEN interrupted ELSE 1 END,
                    input_tokens, output_tokens, created_at, 1, ?4, display
             FROM items WHERE session_id = ?2 AND (?3 IS NULL OR id < ?3)
             ORDER BY id",
            params![new_id, id, before_item, self.writer],
        )?;
            recount(tx, new_id)?;
            summary(tx, new_id)?.ok_or_else(|| StoreError::NoSuchSession(new_id.into()))
        })
    }
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
