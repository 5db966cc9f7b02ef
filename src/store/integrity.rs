//! The open-time health check of the database file.
//!
//! `PRAGMA quick_check` runs on every open of an existing file. A damaged file is never
//! replaced silently:
//! - quick_check reports problems: the file (with its -wal / -shm) is copied to
//!   `<file>.damaged-<unix-seconds>` and kept in use;
//! - the file is not a database (or so damaged SQLite cannot read its schema): it is moved to
//!   `<file>.damaged-<unix-seconds>` and a fresh database is created.
//!
//! Either way the store carries a message for the user (`Store::integrity_report`).
//! Busy, locked or I/O errors never move anything: they fail the open.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode};

use super::StoreError;

/// How many of quick_check's messages the report quotes.
const QUOTED_PROBLEMS: usize = 2;

enum Health {
    Healthy,
    /// quick_check's messages.
    Problems(Vec<String>),
    /// SQLite cannot use the file at all.
    Unreadable(String),
}

fn check(conn: &Connection) -> Result<Health, rusqlite::Error> {
    let result = conn.prepare("PRAGMA quick_check").and_then(|mut stmt| {
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()
    });
    match result {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(Health::Healthy),
        Ok(rows) => Ok(Health::Problems(
            // One row may hold many lines; the "*** in database main ***" banner says nothing.
            rows.iter()
                .flat_map(|row| row.lines())
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("***"))
                .map(String::from)
                .collect(),
        )),
        Err(e) => match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                Ok(Health::Unreadable(e.to_string()))
            }
            _ => Err(e),
        },
    }
}

fn side_files(path: &Path) -> [(PathBuf, &'static str); 3] {
    let with = |suffix: &str| {
        let mut s = path.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    [
        (path.to_path_buf(), ""),
        (with("-wal"), "-wal"),
        (with("-shm"), "-shm"),
    ]
}

/// `<file>.damaged-<unix-seconds>`, with `-2`, `-3`, … when that is taken.
fn damaged_name(path: &Path) -> PathBuf {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let base = format!("{}.damaged-{secs}", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 2;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}-{n}"));
        n += 1;
    }
    candidate
}

/// Copy the database and its -wal / -shm to the damaged name; returns that name.
fn set_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let target = damaged_name(path);
    for (from, suffix) in side_files(path) {
        if !from.exists() {
            continue;
        }
        let mut to = target.as_os_str().to_owned();
        to.push(suffix);
        std::fs::copy(&from, &to).map_err(|e| StoreError::Damaged {
            path: path.display().to_string(),
            detail: format!("cannot write {}: {e}", PathBuf::from(&to).display()),
        })?;
    }
    Ok(target)
}

/// Open the file at `path`, checking an existing one first; returns the connection and, when
/// the file was damaged, the message for the user.
pub(super) fn open_checked(path: &Path) -> Result<(Connection, Option<String>), StoreError> {
    let open = |path: &Path| {
        Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })
    };
    let existing = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    let conn = open(path)?;
    if !existing {
        return Ok((conn, None));
    }
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let health = check(&conn).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    match health {
        Health::Healthy => Ok((conn, None)),
        Health::Problems(problems) => {
            // Copied while this connection is open, so SQLite has not folded the -wal in yet.
            let copy = set_aside(path)?;
            let quoted: Vec<&str> = problems
                .iter()
                .take(QUOTED_PROBLEMS)
                .map(String::as_str)
                .collect();
            let more = problems.len().saturating_sub(QUOTED_PROBLEMS);
            let more = if more > 0 {
                format!(" (and {more} more problems)")
            } else {
                String::new()
            };
            tracing::warn!(?problems, copy = %copy.display(), "session database damaged");
            let report = format!(
                "The session database {} is damaged: SQLite's check found {}{more}. A copy was saved as {}. \
                 Pincer keeps using the database, but some sessions may be missing or unreadable. \
                 To rescue what is readable, quit pincer and run `sqlite3 {} .recover | sqlite3 recovered.db`, \
                 then move recovered.db to {}.",
                path.display(),
                quoted.join("; "),
                copy.display(),
                copy.display(),
                path.display(),
            );
            Ok((conn, Some(report)))
        }
        Health::Unreadable(why) => {
            // Copy first, while the connection is open (closing may touch the -wal), then
            // remove the originals so a fresh database can take the name.
            let moved = set_aside(path)?;
            drop(conn);
            for (file, _) in side_files(path) {
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(StoreError::Damaged {
                            path: path.display().to_string(),
                            detail: format!(
                                "a copy is at {}, but {} cannot be removed: {e}",
                                moved.display(),
                                file.display()
                            ),
                        });
                    }
                }
            }
            tracing::warn!(%why, moved = %moved.display(), "session database unreadable; starting fresh");
            let report = format!(
                "The session database {} could not be read ({why}). It was moved to {} and a new, empty \
                 database was created, so earlier sessions are not listed. If that file was a pincer \
                 database, try `sqlite3 {} .recover | sqlite3 recovered.db` and move recovered.db to {} \
                 while pincer is not running.",
                path.display(),
                moved.display(),
                moved.display(),
                path.display(),
            );
            Ok((open(path)?, Some(report)))
        }
    }
}

#[cfg(test)]
#[path = "integrity_tests.rs"]
mod tests;
