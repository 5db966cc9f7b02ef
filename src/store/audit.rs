//! The append-only audit log of tool calls (triggers refuse UPDATE and DELETE).

use rusqlite::params;

use super::{AuditRecord, Store, StoreError};

impl Store {
    /// Append to the audit log (rows are never changed afterwards).
    pub fn record_audit(&self, r: &AuditRecord) -> Result<(), StoreError> {
        let r = &r.redacted();
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
