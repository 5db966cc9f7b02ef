//! The memory index in the store (migration 6): rows derived from the memory files and from
//! the sessions' user and assistant items; rebuildable from them at any time.
//!
//! Files are synced by comparing size + mtime with `memory_files`; only a changed file is read
//! and parsed again, and an entry whose text did not change keeps its row (and its vector).
//! A file that cannot be read keeps its old rows and gets a `problem` (shown by `memory
//! status`); a deleted file's rows go. Sessions are indexed incrementally: items after the
//! last one indexed (`memory_state.sessions_item`), stopping at a reply still streaming.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Transaction, params};

use super::dirs::MemoryDirs;
use super::format::{self, Entry};
use super::stage::{Chunk, Stage};
use crate::fsread::{self, MEMORY_FILE_MAX};
use crate::protocol::{MemoryKind, MemoryProvenance, MemoryScope};
use crate::store::{Store, StoreError};

/// How much of one session item is indexed.
const SESSION_ITEM_MAX_CHARS: usize = 8_000;
/// Items indexed per transaction.
const SESSION_BATCH: i64 = 2_000;
/// Memory files one folder may hold before the rest are left out (and reported).
const MAX_FILES_PER_FOLDER: usize = 1_000;

/// One memory file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryFile {
    pub scope: MemoryScope,
    /// The project key ("" for user scope).
    pub project: String,
    /// Relative to the user memory folder: `MEMORY.md`, `projects/<key>/build.md`.
    pub rel: String,
    pub abs: PathBuf,
}

impl MemoryFile {
    pub fn is_core(&self) -> bool {
        self.abs.file_name().is_some_and(|n| n == super::CORE_FILE)
    }
}

/// What a sync did and found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub files_indexed: usize,
    pub files_removed: usize,
    pub session_items: usize,
    /// One message per file that could not be read (its old rows kept).
    pub problems: Vec<String>,
}

pub fn project_key(dirs: &MemoryDirs) -> String {
    dirs.project
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn scope_name(scope: MemoryScope) -> &'static str {
    match scope {
        MemoryScope::User => "user",
        MemoryScope::Project => "project",
    }
}

/// The `.md` files of the user folder and of this project's folder (not other projects').
pub fn memory_files(dirs: &MemoryDirs) -> (Vec<MemoryFile>, Vec<String>) {
    let key = project_key(dirs);
    let mut problems = Vec::new();
    let mut files = list_md(&dirs.user, &mut problems)
        .into_iter()
        .map(|(name, abs)| MemoryFile {
            scope: MemoryScope::User,
            project: String::new(),
            rel: name,
            abs,
        })
        .collect::<Vec<_>>();
    files.extend(
        list_md(&dirs.project, &mut problems)
            .into_iter()
            .map(|(name, abs)| MemoryFile {
                scope: MemoryScope::Project,
                project: key.clone(),
                rel: format!("projects/{key}/{name}"),
                abs,
            }),
    );
    (files, problems)
}

fn list_md(dir: &Path, problems: &mut Vec<String>) -> Vec<(String, PathBuf)> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            problems.push(format!(
                "cannot list the memory folder {}: {e}; check its permissions",
                dir.display()
            ));
            return Vec::new();
        }
    };
    let mut out: Vec<(String, PathBuf)> = read
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            (name.ends_with(".md") && !name.starts_with('.')).then(|| (name, e.path()))
        })
        .collect();
    out.sort();
    if out.len() > MAX_FILES_PER_FOLDER {
        problems.push(format!(
            "{} holds {} memory files; only the first {MAX_FILES_PER_FOLDER} are indexed — merge some",
            dir.display(),
            out.len()
        ));
        out.truncate(MAX_FILES_PER_FOLDER);
    }
    out
}

/// Bring the index up to date with the files (changed files only) and new session items.
pub fn sync(store: &Store, dirs: &MemoryDirs) -> Result<SyncReport, StoreError> {
    let mut report = sync_files(store, dirs)?;
    report.session_items = index_sessions(store)?;
    Ok(report)
}

/// Re-read changed files, drop deleted ones.
pub fn sync_files(store: &Store, dirs: &MemoryDirs) -> Result<SyncReport, StoreError> {
    let (files, problems) = memory_files(dirs);
    let mut report = SyncReport {
        problems,
        ..SyncReport::default()
    };
    for file in &files {
        if let Some(problem) = sync_file(store, file)? {
            report.problems.push(problem);
        } else {
            report.files_indexed += 1;
        }
    }
    let key = project_key(dirs);
    let known: Vec<(String, String, String)> = {
        let mut stmt = store.connection().prepare_cached(
            "SELECT scope, project, path FROM memory_files
             WHERE scope = 'user' OR (scope = 'project' AND project = ?1)",
        )?;
        stmt.query_map([&key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    for (scope, project, path) in known {
        if !files
            .iter()
            .any(|f| f.rel == path && scope_name(f.scope) == scope)
        {
            remove_file_rows(store, &scope, &project, &path)?;
            report.files_removed += 1;
        }
    }
    Ok(report)
}

fn remove_file_rows(
    store: &Store,
    scope: &str,
    project: &str,
    path: &str,
) -> Result<(), StoreError> {
    store.transaction(|tx| {
        let ids: Vec<i64> = tx
            .prepare_cached(
                "SELECT id FROM memory_chunks WHERE source = 'memory' AND scope = ?1 AND project = ?2 AND path = ?3",
            )?
            .query_map(params![scope, project, path], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        super::embed_sql::forget_cached(tx, &ids)?;
        tx.execute(
            "DELETE FROM memory_chunks WHERE source = 'memory' AND scope = ?1 AND project = ?2 AND path = ?3",
            params![scope, project, path],
        )?;
        tx.execute(
            "DELETE FROM memory_files WHERE scope = ?1 AND project = ?2 AND path = ?3",
            params![scope, project, path],
        )?;
        Ok(())
    })
}

/// Index one file if it changed; `Some(problem)` when it could not be read.
pub fn sync_file(store: &Store, file: &MemoryFile) -> Result<Option<String>, StoreError> {
    let scope = scope_name(file.scope);
    let stat = match std::fs::metadata(&file.abs) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            remove_file_rows(store, scope, &file.project, &file.rel)?;
            return Ok(None);
        }
        Err(e) => {
            let problem = format!(
                "cannot read memory file {}: {e}; fix or remove it (its old index entries are kept)",
                file.abs.display()
            );
            record_problem(store, file, 0, 0, &problem)?;
            return Ok(Some(problem));
        }
    };
    let (size, mtime) = (
        stat.size() as i64,
        stat.mtime() * 1_000_000_000 + stat.mtime_nsec(),
    );
    let known: Option<(i64, i64, Option<String>)> = store
        .connection()
        .prepare_cached(
            "SELECT size, mtime, problem FROM memory_files WHERE scope = ?1 AND project = ?2 AND path = ?3",
        )?
        .query_row(params![scope, file.project, file.rel], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    if let Some((s, m, problem)) = known
        && s == size
        && m == mtime
    {
        return Ok(problem);
    }
    let text = match fsread::read_text(&file.abs, MEMORY_FILE_MAX) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => {
            // Deleted between the stat and the read.
            remove_file_rows(store, scope, &file.project, &file.rel)?;
            return Ok(None);
        }
        Err(e) => {
            let problem =
                format!("{e} (memory file left out of the index; its old entries are kept)");
            record_problem(store, file, size, mtime, &problem)?;
            return Ok(Some(problem));
        }
    };
    let entries = format::parse(&file.rel, &text);
    let hash = format::text_hash(&text);
    store.transaction(|tx| {
        apply_entries(tx, file, &entries, stat.mtime())?;
        tx.execute(
            "INSERT OR REPLACE INTO memory_files (scope, project, path, size, mtime, hash, problem)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
            params![scope, file.project, file.rel, size, mtime, hash],
        )?;
        Ok(())
    })?;
    Ok(None)
}

fn record_problem(
    store: &Store,
    file: &MemoryFile,
    size: i64,
    mtime: i64,
    problem: &str,
) -> Result<(), StoreError> {
    tracing::warn!(path = %file.abs.display(), %problem, "memory file not indexed");
    store.transaction(|tx| {
        tx.execute(
            "INSERT INTO memory_files (scope, project, path, size, mtime, hash, problem)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)
             ON CONFLICT (scope, project, path) DO UPDATE SET size = ?4, mtime = ?5, problem = ?6",
            params![
                scope_name(file.scope),
                file.project,
                file.rel,
                size,
                mtime,
                problem
            ],
        )?;
        Ok(())
    })
}

/// Replace the file's rows by `entries`; an entry whose id and text are unchanged keeps its row.
fn apply_entries(
    tx: &Transaction<'_>,
    file: &MemoryFile,
    entries: &[Entry],
    file_mtime: i64,
) -> Result<(), StoreError> {
    let scope = scope_name(file.scope);
    let mut old: HashMap<(String, Vec<u8>), i64> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT id, entry_id, text_hash FROM memory_chunks
             WHERE source = 'memory' AND scope = ?1 AND project = ?2 AND path = ?3",
        )?;
        let rows = stmt.query_map(params![scope, file.project, file.rel], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, entry, hash) = row?;
            old.insert((entry, hash), id);
        }
    }
    let core = file.is_core();
    let mut stage = Stage::new(tx)?;
    for e in entries {
        let hash = format::text_hash(&e.text);
        let created = e.meta.at.unwrap_or(file_mtime);
        let kind = format::kind_name(e.kind);
        let by = format::provenance_name(e.provenance());
        match old.remove(&(e.id.clone(), hash.clone())) {
            Some(id) => {
                tx.prepare_cached(
                    "UPDATE memory_chunks SET line_start = ?2, line_end = ?3, kind = ?4, provenance = ?5,
                        created = ?6, superseded = ?7, pinned = ?8, core = ?9 WHERE id = ?1",
                )?
                .execute(params![
                    id, e.line_start, e.line_end, kind, by, created, e.meta.superseded,
                    e.meta.pinned, core
                ])?;
                // The same normalized text: set only if it differs as written (case, spacing),
                // as setting it takes the row out of both FTS indexes and puts it back.
                tx.prepare_cached(
                    "UPDATE memory_chunks SET text = ?2 WHERE id = ?1 AND text IS NOT ?2",
                )?
                .execute(params![id, e.text])?;
            }
            None => stage.add(&Chunk {
                source: "memory",
                entry_id: Some(&e.id),
                scope,
                project: &file.project,
                path: &file.rel,
                lines: (i64::from(e.line_start), i64::from(e.line_end)),
                kind,
                provenance: by,
                created,
                superseded: e.meta.superseded,
                pinned: e.meta.pinned,
                core,
                text_hash: hash,
                text: &e.text,
                session: None,
                item_id: None,
            })?,
        }
    }
    stage.commit()?;
    let gone: Vec<i64> = old.into_values().collect();
    super::embed_sql::forget_cached(tx, &gone)?;
    for id in gone {
        tx.prepare_cached("DELETE FROM memory_chunks WHERE id = ?1")?
            .execute([id])?;
    }
    Ok(())
}

/// Index the user and assistant items written since the last call; returns how many.
pub fn index_sessions(store: &Store) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let (indexed, more) = store.transaction(index_session_batch)?;
        total += indexed;
        if !more {
            return Ok(total);
        }
    }
}

/// One batch: (items indexed, whether more may follow).
fn index_session_batch(tx: &Transaction<'_>) -> Result<(usize, bool), StoreError> {
    let last: i64 = tx
        .query_row(
            "SELECT value FROM memory_state WHERE key = 'sessions_item'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let rows: Vec<(i64, String, String, String, i64, bool, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT i.id, i.session_id, i.kind, i.content, i.created_at, i.complete, s.cwd
             FROM items i JOIN sessions s ON s.id = i.session_id
             WHERE i.id > ?1 ORDER BY i.id LIMIT ?2",
        )?;
        stmt.query_map(params![last, SESSION_BATCH], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?
    };
    let mut done = last;
    let mut stage = Stage::new(tx)?;
    for (id, session, kind, content, created_ms, complete, cwd) in &rows {
        if !complete {
            break; // a reply still streaming: index it (and what follows) next time
        }
        done = *id;
        let by = match kind.as_str() {
            "user" => MemoryProvenance::User,
            "assistant" => MemoryProvenance::Model,
            _ => continue,
        };
        let text: String = content
            .trim()
            .chars()
            .take(SESSION_ITEM_MAX_CHARS)
            .collect();
        if text.is_empty() {
            continue;
        }
        stage.add(&Chunk {
            source: "session",
            entry_id: None,
            scope: "session",
            project: cwd,
            path: "",
            lines: (0, 0),
            kind: format::kind_name(MemoryKind::Episodic),
            provenance: format::provenance_name(by),
            created: created_ms / 1000,
            superseded: None,
            pinned: false,
            core: false,
            text_hash: format::text_hash(&text),
            text: &text,
            session: Some(session),
            item_id: Some(*id),
        })?;
    }
    let indexed = stage.commit()?;
    if done > last {
        tx.execute(
            "INSERT OR REPLACE INTO memory_state (key, value) VALUES ('sessions_item', ?1)",
            [done],
        )?;
    }
    let more = rows.len() as i64 == SESSION_BATCH && rows.last().is_some_and(|r| r.0 == done);
    Ok((indexed, more))
}

/// Drop this workspace's memory rows and every session row, then build them again.
pub fn reindex(store: &Store, dirs: &MemoryDirs) -> Result<SyncReport, StoreError> {
    let key = project_key(dirs);
    store.transaction(|tx| {
        tx.execute(
            "DELETE FROM memory_chunks WHERE source = 'session'
                OR scope = 'user' OR (scope = 'project' AND project = ?1)",
            [&key],
        )?;
        tx.execute(
            "DELETE FROM memory_files WHERE scope = 'user' OR (scope = 'project' AND project = ?1)",
            [&key],
        )?;
        tx.execute("DELETE FROM memory_state WHERE key = 'sessions_item'", [])?;
        Ok(())
    })?;
    sync(store, dirs)
}
