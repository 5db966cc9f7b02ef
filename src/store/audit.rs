//! The append-only audit log of tool calls. Triggers refuse UPDATE and DELETE; every row since
//! schema version 4 carries a SHA-256 hash chain (`hash = sha256(prev_hash "\n" canonical row)`)
//! that [`Store::verify_audit`] checks. Rows written before version 4 stay unchained.

use rusqlite::params;
use sha2::{Digest, Sha256};

use super::{AuditRecord, Store, StoreError};

/// The schema version that started the hash chain (older rows are not covered).
pub const CHAIN_SINCE_VERSION: i64 = 4;

/// What [`Store::verify_audit`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Rows whose hash and link checked out.
    pub chained: usize,
    /// Rows from before the chain started (before schema version 4): not covered.
    pub unchained_before: usize,
    /// The first row that does not verify; rows before it are intact.
    pub broken: Option<BrokenRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenRow {
    pub id: i64,
    pub time: i64,
    pub tool: String,
    pub why: String,
}

/// The row's content as hashed: a JSON array of every column but the id and the hashes.
fn canonical(r: &AuditRecord) -> String {
    serde_json::json!([
        r.time,
        r.session_id,
        r.tool,
        r.arguments,
        r.decision,
        r.decided_by,
        r.status,
        r.exit_code,
        r.duration_ms
    ])
    .to_string()
}

/// `sha256(prev "\n" canonical)`, lowercase hex.
fn chain_hash(prev: &str, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(canonical(r).as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn record_from(r: &rusqlite::Row, offset: usize) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        time: r.get(offset)?,
        session_id: r.get(offset + 1)?,
        tool: r.get(offset + 2)?,
        arguments: r.get(offset + 3)?,
        decision: r.get(offset + 4)?,
        decided_by: r.get(offset + 5)?,
        status: r.get(offset + 6)?,
        exit_code: r.get(offset + 7)?,
        duration_ms: r.get::<_, i64>(offset + 8)?.max(0) as u64,
    })
}

impl Store {
    /// Append to the audit log, linked to the previous row by its hash (rows are never changed
    /// afterwards). One immediate transaction, so two processes never link to the same row.
    pub fn record_audit(&self, r: &AuditRecord) -> Result<(), StoreError> {
        // The same short IMMEDIATE transaction with a retry while busy as every other write:
        // the chain's previous hash is read under the write lock, so two processes never
        // link to the same row.
        // Every field through the leak detector, after decoding escapes and encodings.
        let r = &r.redacted();
        super::write::write(&self.conn, |tx| {
            let prev: String = tx
                .query_row(
                    "SELECT hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1",
                    [],
                    |row| row.get(0),
                )
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(String::new()),
                    e => Err(e),
                })?;
            let hash = chain_hash(&prev, r);
            tx.execute(
                "INSERT INTO audit (time, session_id, tool, arguments, decision, decided_by, status,
                                    exit_code, duration_ms, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    r.time,
                    r.session_id,
                    r.tool,
                    r.arguments,
                    r.decision,
                    r.decided_by,
                    r.status,
                    r.exit_code,
                    r.duration_ms as i64,
                    prev,
                    hash
                ],
            )?;
            Ok(())
        })
    }

    /// The newest `limit` audit rows, oldest first.
    pub fn list_audit(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT time, session_id, tool, arguments, decision, decided_by, status, exit_code, duration_ms
             FROM audit ORDER BY id DESC LIMIT ?1",
        )?;
        let mut rows: Vec<AuditRecord> = stmt
            .query_map(params![limit as i64], |r| record_from(r, 0))?
            .filter_map(Result::ok)
            .collect();
        rows.reverse();
        Ok(rows)
    }

    /// Walk the whole log in id order and check every row's link and hash.
    pub fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, prev_hash, hash, time, session_id, tool, arguments, decision, decided_by,
                    status, exit_code, duration_ms
             FROM audit ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = AuditVerification {
            chained: 0,
            unchained_before: 0,
            broken: None,
        };
        // The previous chained row's hash; `None` until the chain starts.
        let mut prev: Option<String> = None;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let stored_prev: Option<String> = row.get(1)?;
            let hash: Option<String> = row.get(2)?;
            let record = record_from(row, 3)?;
            let why = match (&hash, &prev) {
                (None, None) => {
                    out.unchained_before += 1;
                    continue;
                }
                (None, Some(_)) => Some(
                    "the row has no hash although the chain had started (written outside pincer)"
                        .to_string(),
                ),
                (Some(hash), _) => {
                    let expected_prev = prev.as_deref().unwrap_or("");
                    if stored_prev.as_deref() != Some(expected_prev) {
                        Some("its link does not match the previous row (a row before it was removed, inserted or changed)".to_string())
                    } else if *hash != chain_hash(expected_prev, &record) {
                        Some(
                            "its content does not match its hash (the row was changed)".to_string(),
                        )
                    } else {
                        None
                    }
                }
            };
            if let Some(why) = why {
                out.broken = Some(BrokenRow {
                    id,
                    time: record.time,
                    tool: record.tool,
                    why,
                });
                return Ok(out);
            }
            out.chained += 1;
            prev = hash;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: i64) -> AuditRecord {
        AuditRecord {
            time: i,
            session_id: None,
            tool: format!("t{i}"),
            arguments: "{}".into(),
            decision: "allowed".into(),
            decided_by: "mode yolo".into(),
            status: "ok".into(),
            exit_code: Some(0),
            duration_ms: 5,
        }
    }

    #[test]
    fn audit_round_trip() {
        let store = Store::open_in_memory().unwrap();
        for i in 0..3 {
            store.record_audit(&record(i)).unwrap();
        }
        let rows = store.list_audit(2).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.tool.as_str()).collect::<Vec<_>>(),
            vec!["t1", "t2"]
        );
        let v = store.verify_audit().unwrap();
        assert_eq!((v.chained, v.unchained_before, v.broken), (3, 0, None));
    }

    fn tamper(store: &Store, sql: &str) {
        store
            .conn
            .execute_batch(&format!(
                "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; {sql}"
            ))
            .unwrap();
    }

    #[test]
    fn updates_and_deletes_are_refused_with_a_clear_message() {
        let store = Store::open_in_memory().unwrap();
        store.record_audit(&record(1)).unwrap();
        for sql in ["UPDATE audit SET tool = 'x'", "DELETE FROM audit"] {
            let err = store.conn.execute(sql, []).unwrap_err().to_string();
            assert!(err.contains("the audit log is append-only"), "{err}");
        }
    }

    #[test]
    fn a_changed_row_is_named() {
        let store = Store::open_in_memory().unwrap();
        for i in 0..5 {
            store.record_audit(&record(i)).unwrap();
        }
        tamper(&store, "UPDATE audit SET decision = 'denied' WHERE id = 3");
        let v = store.verify_audit().unwrap();
        let broken = v.broken.unwrap();
        assert_eq!((v.chained, broken.id), (2, 3));
        assert!(broken.why.contains("content"), "{}", broken.why);
    }

    #[test]
    fn a_removed_row_breaks_the_next_link() {
        let store = Store::open_in_memory().unwrap();
        for i in 0..5 {
            store.record_audit(&record(i)).unwrap();
        }
        tamper(&store, "DELETE FROM audit WHERE id = 2");
        let broken = store.verify_audit().unwrap().broken.unwrap();
        assert_eq!(broken.id, 3);
        assert!(broken.why.contains("link"), "{}", broken.why);
    }

    #[test]
    fn a_first_row_removed_is_found() {
        let store = Store::open_in_memory().unwrap();
        for i in 0..3 {
            store.record_audit(&record(i)).unwrap();
        }
        tamper(&store, "DELETE FROM audit WHERE id = 1");
        assert_eq!(store.verify_audit().unwrap().broken.unwrap().id, 2);
    }

    #[test]
    fn a_rehashed_row_still_breaks_its_successor() {
        let store = Store::open_in_memory().unwrap();
        for i in 0..3 {
            store.record_audit(&record(i)).unwrap();
        }
        let mut forged = record(1);
        forged.decision = "denied".into();
        let prev: String = store
            .conn
            .query_row("SELECT hash FROM audit WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        let hash = chain_hash(&prev, &forged);
        tamper(
            &store,
            &format!("UPDATE audit SET decision = 'denied', hash = '{hash}' WHERE id = 2"),
        );
        let broken = store.verify_audit().unwrap().broken.unwrap();
        assert_eq!(broken.id, 3);
    }

    #[test]
    fn a_row_without_hash_after_the_start_is_found() {
        let store = Store::open_in_memory().unwrap();
        store.record_audit(&record(1)).unwrap();
        store
            .conn
            .execute(
                "INSERT INTO audit (time, tool, arguments, decision, decided_by, status, duration_ms)
                 VALUES (9, 'shell', '{}', 'allowed', 'x', 'ok', 1)",
                [],
            )
            .unwrap();
        assert_eq!(store.verify_audit().unwrap().broken.unwrap().id, 2);
    }
}
