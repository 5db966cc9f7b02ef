//! Memory for one workspace: file changes + index update + the undo log, listing and status.
//! Every method is blocking (files and SQLite): the runtime calls them on the store thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::params;

use super::dirs::MemoryDirs;
use super::edit::{self, Applied, MemoryError, WriteRequest};
use super::embed_sql::{self, CHUNKS, VectorStatus};
use super::format;
use super::index::{self, MemoryFile, SyncReport, project_key};
use super::search::{Hit, Query};
use super::vector_leg::VectorLeg;
use crate::config::MemoryConfig;
use crate::protocol::{
    MemoryAction, MemoryChange, MemoryEntry, MemoryListing, MemoryProvenance, MemoryScope,
    MemoryScopeFilter,
};
use crate::store::{Store, StoreError};

/// Changes kept for undo (oldest dropped first).
const UNDO_KEEP: usize = 100;

pub struct MemoryService {
    pub dirs: MemoryDirs,
    pub config: MemoryConfig,
    undo: Mutex<UndoLog>,
    /// The vector leg when `[memory.embeddings]` is set up (or one was given).
    vectors: Option<Arc<VectorLeg>>,
    /// Why `[memory.embeddings]` could not be used (shown by `memory status`).
    vector_problem: Option<String>,
}

#[derive(Default)]
struct UndoLog {
    next: u64,
    changes: HashMap<u64, Applied>,
}

impl MemoryService {
    pub fn new(dirs: MemoryDirs, config: MemoryConfig) -> MemoryService {
        let (vectors, vector_problem) = match config.embeddings.as_ref().map(VectorLeg::from_config)
        {
            None => (None, None),
            Some(Ok(leg)) => (Some(Arc::new(leg)), None),
            Some(Err(e)) => (None, Some(e.to_string())),
        };
        MemoryService {
            dirs,
            config,
            undo: Mutex::new(UndoLog::default()),
            vectors,
            vector_problem,
        }
    }

    /// Use `leg` for vectors (an in-process embedder: benchmarks, tests).
    pub fn with_vector_leg(mut self, leg: Arc<VectorLeg>) -> MemoryService {
        self.vectors = Some(leg);
        self.vector_problem = None;
        self
    }

    pub fn vector_leg(&self) -> Option<Arc<VectorLeg>> {
        self.vectors.clone()
    }

    /// Why `[memory.embeddings]` could not be used, when it could not.
    pub fn vector_problem(&self) -> Option<&str> {
        self.vector_problem.as_deref()
    }

    /// Whether search may add the vector leg now (configured, vectors of the model present,
    /// none stale).
    pub fn vectors_usable(&self, store: &Store) -> Result<bool, StoreError> {
        match &self.vectors {
            Some(leg) => Ok(leg.usable(store.connection())?),
            None => Ok(false),
        }
    }

    /// Ranked hits for `q`: text legs always, the vector leg too when `vector` (the query's
    /// embedding) is given and [`Self::vectors_usable`]; else text only.
    pub fn search(
        &self,
        store: &Store,
        q: &Query,
        vector: Option<Vec<f32>>,
    ) -> Result<Vec<Hit>, StoreError> {
        let mut q = q.clone();
        q.half_life_days = self.config.half_life_days;
        q.vector = None;
        q.matrix = None;
        if let (Some(leg), Some(v)) = (&self.vectors, vector)
            && leg.usable(store.connection())?
        {
            q.matrix = Some(leg.matrix(store.connection(), v.len())?);
            q.vector = Some((leg.settings().model.clone(), v));
        }
        super::search::search(store, &self.dirs, &q)
    }

    /// `pincer memory reindex`: the index rebuilt from the files and sessions, and vectors of
    /// another model or dimension (or of changed chunks) dropped so the next pass embeds them.
    pub fn reindex(&self, store: &Store) -> Result<SyncReport, StoreError> {
        let report = index::reindex(store, &self.dirs)?;
        if let Some(leg) = &self.vectors {
            let s = leg.settings();
            let dropped =
                embed_sql::drop_stale(store.connection(), &CHUNKS, &s.model, s.dimensions)?;
            tracing::info!(
                dropped,
                "memory vectors of another model or changed text dropped"
            );
        }
        Ok(report)
    }

    /// `memory_write`.
    pub fn write(
        &self,
        store: &Store,
        req: &WriteRequest,
        by: MemoryProvenance,
    ) -> Result<(MemoryChange, String), MemoryError> {
        let now = crate::store::now_ms() / 1000;
        let applied = edit::write(&self.dirs, self.config.core_max_lines, req, by, now)?;
        let id = applied.entry_id.clone();
        Ok((self.record(store, applied)?, id))
    }

    pub fn forget(&self, store: &Store, target: &str) -> Result<MemoryChange, MemoryError> {
        let applied = edit::forget(&self.dirs, target)?;
        self.record(store, applied)
    }

    pub fn pin(
        &self,
        store: &Store,
        target: &str,
        pinned: bool,
    ) -> Result<MemoryChange, MemoryError> {
        let applied = edit::set_pinned(&self.dirs, target, pinned)?;
        self.record(store, applied)
    }

    /// Undo a change made through this service (only if its file was not changed since).
    pub fn undo(&self, store: &Store, change_id: u64) -> Result<MemoryChange, MemoryError> {
        let change = self
            .log()
            .changes
            .get(&change_id)
            .cloned()
            .ok_or(MemoryError::NoSuchChange(change_id))?;
        let undone = edit::undo(&change)?;
        self.log().changes.remove(&change_id);
        self.reindex_file(store, &undone)?;
        Ok(to_change(change_id, &undone, false))
    }

    fn log(&self) -> std::sync::MutexGuard<'_, UndoLog> {
        self.undo.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, store: &Store, applied: Applied) -> Result<MemoryChange, MemoryError> {
        self.reindex_file(store, &applied)?;
        let mut log = self.log();
        log.next += 1;
        let id = log.next;
        if log.changes.len() >= UNDO_KEEP
            && let Some(oldest) = log.changes.keys().min().copied()
        {
            log.changes.remove(&oldest);
        }
        log.changes.insert(id, applied.clone());
        Ok(to_change(id, &applied, true))
    }

    fn reindex_file(&self, store: &Store, applied: &Applied) -> Result<(), MemoryError> {
        let file = MemoryFile {
            scope: applied.scope,
            project: match applied.scope {
                MemoryScope::User => String::new(),
                MemoryScope::Project => project_key(&self.dirs),
            },
            rel: applied.rel.clone(),
            abs: applied.abs.clone(),
        };
        index::sync_file(store, &file)?;
        Ok(())
    }

    /// Files changed on disk (watcher, start-up) and new session items.
    pub fn sync(&self, store: &Store) -> Result<SyncReport, StoreError> {
        index::sync(store, &self.dirs)
    }

    /// The entries for the pane: all scopes asked for, superseded ones included, filtered by
    /// `query` (case-insensitive substring of text or path).
    pub fn list(
        &self,
        store: &Store,
        scope: MemoryScopeFilter,
        query: &str,
    ) -> Result<MemoryListing, StoreError> {
        let key = project_key(&self.dirs);
        let mut stmt = store.connection().prepare_cached(
            "SELECT entry_id, scope, path, line_start, line_end, kind, provenance, created,
                    superseded, pinned, text
             FROM memory_chunks
             WHERE source = 'memory' AND ((scope = 'user' AND ?1) OR (scope = 'project' AND ?2 AND project = ?3))
             ORDER BY scope = 'project', path, line_start",
        )?;
        let q = query.trim().to_lowercase();
        let entries = stmt
            .query_map(
                params![
                    scope != MemoryScopeFilter::Project,
                    scope != MemoryScopeFilter::User,
                    key
                ],
                |r| {
                    let scope: String = r.get(1)?;
                    let path: String = r.get(2)?;
                    Ok(MemoryEntry {
                        id: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        scope: if scope == "project" {
                            MemoryScope::Project
                        } else {
                            MemoryScope::User
                        },
                        abs_path: self.dirs.user.join(&path).display().to_string(),
                        path,
                        lines: (r.get(3)?, r.get(4)?),
                        kind: format::parse_kind(&r.get::<_, String>(5)?)
                            .unwrap_or(crate::protocol::MemoryKind::Semantic),
                        provenance: format::parse_provenance(&r.get::<_, String>(6)?)
                            .unwrap_or(MemoryProvenance::User),
                        created: r.get(7)?,
                        superseded: r.get(8)?,
                        pinned: r.get(9)?,
                        text: r.get(10)?,
                    })
                },
            )?
            .filter_map(Result::ok)
            .filter(|e| {
                q.is_empty()
                    || e.text.to_lowercase().contains(&q)
                    || e.path.to_lowercase().contains(&q)
            })
            .collect();
        Ok(MemoryListing {
            scope,
            query: query.to_string(),
            entries,
            status: self.status(store)?.vectors,
        })
    }

    pub fn status(&self, store: &Store) -> Result<MemoryStatus, StoreError> {
        let mut status = status(store, &self.dirs)?;
        status.vectors = match (&self.vectors, &self.vector_problem) {
            (_, Some(problem)) => {
                format!("vectors: off — {problem}; text search only")
            }
            (Some(leg), None) => leg.status(store.connection())?.to_string(),
            (None, None) => VectorStatus::NotConfigured { suggestion: None }.to_string(),
        };
        Ok(status)
    }
}

fn to_change(change_id: u64, a: &Applied, undoable: bool) -> MemoryChange {
    MemoryChange {
        change_id,
        action: a.action,
        scope: a.scope,
        path: a.rel.clone(),
        provenance: a.provenance,
        diff: crate::tools::describe::unified_diff(
            &a.rel,
            a.before.as_deref().unwrap_or(""),
            a.after.as_deref().unwrap_or(""),
        ),
        summary: a.summary.clone(),
        undoable: undoable && a.action != MemoryAction::Undone,
    }
}

/// What `memory status` shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemoryStatus {
    pub files: usize,
    pub chunks: usize,
    pub session_items: usize,
    /// One line about the vector leg.
    pub vectors: String,
    /// Files that could not be indexed, each with what to do.
    pub problems: Vec<String>,
}

/// Counts for this workspace's view of the index (the vector line is filled by the service).
pub fn status(store: &Store, dirs: &MemoryDirs) -> Result<MemoryStatus, StoreError> {
    let conn = store.connection();
    let key = project_key(dirs);
    let visible = "(scope = 'user' OR (scope = 'project' AND project = ?1))";
    let files: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM memory_files WHERE {visible} AND problem IS NULL"),
        [&key],
        |r| r.get(0),
    )?;
    let chunks: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM memory_chunks WHERE source = 'memory' AND {visible}"),
        [&key],
        |r| r.get(0),
    )?;
    let sessions: i64 = conn.query_row(
        "SELECT COUNT(*) FROM memory_chunks WHERE source = 'session'",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT problem FROM memory_files WHERE {visible} AND problem IS NOT NULL ORDER BY path"
    ))?;
    let problems = stmt
        .query_map([&key], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(MemoryStatus {
        files: files as usize,
        chunks: chunks as usize,
        session_items: sessions as usize,
        vectors: String::new(),
        problems,
    })
}
