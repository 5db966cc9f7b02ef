//! The one way every write goes: a short `BEGIN IMMEDIATE` transaction, retried a bounded number
//! of times while another process holds the write lock.
//!
//! Why IMMEDIATE: in WAL mode a deferred transaction that reads first and writes later cannot be
//! helped by the busy handler once another process committed in between (`SQLITE_BUSY_SNAPSHOT`:
//! its snapshot is stale); that surfaced as "database is locked". An immediate transaction takes
//! the write lock first (waiting in SQLite's busy handler, `BUSY_TIMEOUT`), then reads a fresh
//! snapshot. Should the lock stay busy longer than that, the whole transaction is run again a
//! few times (`ATTEMPTS`) before the caller gets [`StoreError::Busy`]. Writes are short (one item,
//! one part, one session row), so a waiting writer waits for at most a few of them.

use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

use super::StoreError;

/// How long SQLite's busy handler waits for the lock within one attempt.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts of one write transaction before giving up.
const ATTEMPTS: u32 = 6;

/// Whether `e` means "another connection holds the lock" (worth waiting for).
pub(super) fn is_busy(e: &StoreError) -> bool {
    match e {
        StoreError::Sql(e) | StoreError::Open { source: e, .. } => matches!(
            e.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        ),
        _ => false,
    }
}

/// Run `f` in a `BEGIN IMMEDIATE` transaction and commit; run it again (from the start, in a
/// new transaction) while the database is busy, up to `ATTEMPTS` times. `f` must therefore do
/// nothing outside the transaction that cannot be repeated.
pub(super) fn write<T>(
    conn: &Connection,
    mut f: impl FnMut(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .map_err(StoreError::from)
            .and_then(|tx| {
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            });
        match result {
            Err(e) if is_busy(&e) => {
                if attempt >= ATTEMPTS {
                    return Err(StoreError::Busy {
                        waited_ms: started.elapsed().as_millis() as u64,
                    });
                }
                tracing::warn!(attempt, "session database busy; trying the write again");
                // A little jitter so two waiting writers do not collide again in step.
                std::thread::sleep(Duration::from_millis(5 + fastrand::u64(..20)));
            }
            other => return other,
        }
    }
}

/// Run `f` (an open-time step such as setting the journal mode) again while the database is
/// busy, up to `ATTEMPTS` times.
pub(super) fn retry_busy<T>(mut f: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f() {
            Err(e) if is_busy(&e) => {
                if attempt >= ATTEMPTS {
                    return Err(StoreError::Busy {
                        waited_ms: started.elapsed().as_millis() as u64,
                    });
                }
                std::thread::sleep(Duration::from_millis(5 + fastrand::u64(..20)));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_connections() -> (tempfile::TempDir, Connection, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let a = Connection::open(&path).unwrap();
        a.pragma_update(None, "journal_mode", "WAL").unwrap();
        a.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        let b = Connection::open(&path).unwrap();
        b.busy_timeout(Duration::from_millis(1)).unwrap();
        (dir, a, b)
    }

    #[test]
    fn a_held_write_lock_is_waited_for_then_reported_as_busy() {
        let (_dir, a, b) = two_connections();
        let held = Transaction::new_unchecked(&a, TransactionBehavior::Immediate).unwrap();
        let mut runs = 0;
        let result = write(&b, |tx| {
            runs += 1;
            tx.execute("INSERT INTO t VALUES (1)", [])?;
            Ok(())
        });
        assert!(matches!(result, Err(StoreError::Busy { .. })), "{result:?}");
        assert_eq!(runs, 0, "the closure never runs without the lock");
        drop(held);
        write(&b, |tx| Ok(tx.execute("INSERT INTO t VALUES (2)", [])?)).unwrap();
        let n: i64 = a
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    /// The failure class behind "database is locked": a deferred transaction that read an old
    /// snapshot cannot write after another connection committed; an immediate one can.
    #[test]
    fn a_stale_snapshot_cannot_break_a_write() {
        let (_dir, a, b) = two_connections();
        b.busy_timeout(BUSY_TIMEOUT).unwrap();
        let deferred = b.unchecked_transaction().unwrap();
        let _: i64 = deferred
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        a.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let stale = deferred.execute("INSERT INTO t VALUES (2)", []);
        assert!(stale.is_err(), "the old way fails: {stale:?}");
        drop(deferred);
        let mut seen = 0;
        write(&b, |tx| {
            seen = tx.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?;
            tx.execute("INSERT INTO t VALUES (2)", [])?;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, 1, "the write read a fresh snapshot");
    }

    #[test]
    fn other_errors_are_not_retried() {
        let (_dir, _a, b) = two_connections();
        let mut runs = 0;
        let result = write(&b, |tx| {
            runs += 1;
            Ok(tx.execute("INSERT INTO missing VALUES (1)", [])?)
        });
        assert!(result.is_err());
        assert_eq!(runs, 1);
    }
}
