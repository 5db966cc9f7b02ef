//! The background embedding pass and the query vector.
//!
//! A pass embeds, batch by batch, the chunks that have no vector for the configured model
//! (cache first, then the server), off the turn's path. It runs only when something asks for
//! it — the first frame is drawn, a re-index, a memory write, a session indexed — never on a
//! timer: [`EmbedWorker::kick`] starts one task, and kicks that arrive while it runs make it go
//! round once more, then it ends. A server that is down or slow ends the pass with the reason
//! kept for `memory status`; a dimension change mid-run stops it before anything of the new size
//! is stored.
//!
//! At search time [`QueryEmbedder::query_vector`] asks with the short query timeout; on failure
//! search goes on with text only and the reason is logged once (again only when it changes).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use super::embed::{EmbedClient, EmbedError};
use super::embed_sql::{self, ChunkTable, PendingChunk};

/// Access to the store's connection for the vector leg (the store decides which thread).
pub trait VectorDb: Send + Sync + 'static {
    fn with_conn<R>(&self, f: impl FnOnce(&Connection) -> R) -> R;
}

impl VectorDb for Mutex<Connection> {
    fn with_conn<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        let guard = self.lock().unwrap_or_else(|e| e.into_inner());
        f(&guard)
    }
}

/// What a pass failed on.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(
        "memory vectors could not be read or written ({0}); search uses text only — run \
         `pincer memory reindex` if it persists"
    )]
    Db(#[from] rusqlite::Error),
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Chunks given a vector (from the cache or the server).
    pub embedded: u64,
    /// Of those, taken from the cache.
    pub from_cache: u64,
    /// Requests sent to the server.
    pub requests: u64,
}

/// Why a pass is asked for (logged; no timer is ever among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    FirstFrame,
    Reindexed,
    MemoryWritten,
    SessionIndexed,
}

/// One pass: embed every chunk lacking a vector, `client.settings().batch` at a time.
pub async fn run_pass<D: VectorDb>(
    db: &D,
    client: &EmbedClient,
    chunks: &ChunkTable,
) -> Result<PassReport, PassError> {
    let model = client.settings().model.clone();
    let batch = client.settings().batch.max(1);
    let mut dim = match client.settings().dimensions {
        Some(d) => Some(d),
        None => db.with_conn(|c| embed_sql::indexed_dim(c, &model))?,
    };
    // Set once this pass fixed the dimension itself (from its first batch).
    let mut learned_here = false;
    let mut report = PassReport::default();
    let mut after = i64::MIN;
    loop {
        let pending = db.with_conn(|c| embed_sql::pending_chunks(c, chunks, after, batch))?;
        let Some(last) = pending.last() else {
            return Ok(report);
        };
        after = last.id;
        let texts: Vec<&str> = pending.iter().map(|p| p.text.as_str()).collect();
        let mut known = db.with_conn(|c| embed_sql::cached(c, &model, dim, &texts))?;
        let missing: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| !known.contains_key(*t))
            .collect();
        report.from_cache += (texts.len() - missing.len()) as u64;
        if !missing.is_empty() {
            report.requests += missing.len().div_ceil(batch) as u64;
            let fresh = client
                .embed(&missing, dim)
                .await
                .map_err(|e| changed_mid_run(e, learned_here))?;
            if dim.is_none() {
                dim = fresh.first().map(Vec::len);
                learned_here = true;
            }
            known.extend(missing.iter().map(|t| t.to_string()).zip(fresh));
        }
        let rows = rows_to_save(&pending, &known);
        db.with_conn(|c| embed_sql::save_vectors(c, &model, &rows))?;
        report.embedded += rows.len() as u64;
    }
}

/// A wrong dimension after this pass's own first batch fixed it: the server changed size.
fn changed_mid_run(e: EmbedError, learned_here: bool) -> EmbedError {
    match e {
        EmbedError::WrongDimension {
            model,
            expected,
            got,
        } if learned_here => EmbedError::DimensionChanged {
            model,
            before: expected,
            now: got,
        },
        e => e,
    }
}

fn rows_to_save<'a>(
    pending: &'a [PendingChunk],
    known: &'a std::collections::HashMap<String, Vec<f32>>,
) -> Vec<(i64, &'a str, &'a [f32])> {
    pending
        .iter()
        .filter_map(|p| Some((p.id, p.text.as_str(), known.get(&p.text)?.as_slice())))
        .collect()
}

/// The vector leg's last failure, shared by the worker and the query embedder, so
/// `memory status` can say it and the log gets each distinct reason once.
#[derive(Default)]
pub struct LastError(Mutex<Option<String>>);

impl LastError {
    fn lock(&self) -> MutexGuard<'_, Option<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record `reason`; true when it differs from the last one (then it is worth logging).
    pub fn set(&self, reason: String) -> bool {
        let mut last = self.lock();
        let new = last.as_deref() != Some(reason.as_str());
        *last = Some(reason);
        new
    }

    pub fn clear(&self) {
        *self.lock() = None;
    }

    pub fn get(&self) -> Option<String> {
        self.lock().clone()
    }
}

/// Runs passes on events, one at a time, coalescing kicks that arrive meanwhile.
pub struct EmbedWorker<D: VectorDb> {
    db: Arc<D>,
    client: Arc<EmbedClient>,
    chunks: ChunkTable,
    running: Arc<AtomicBool>,
    again: Arc<AtomicBool>,
    passes: Arc<AtomicU64>,
    last_error: Arc<LastError>,
}

impl<D: VectorDb> EmbedWorker<D> {
    pub fn new(
        db: Arc<D>,
        client: Arc<EmbedClient>,
        chunks: ChunkTable,
        last_error: Arc<LastError>,
    ) -> Self {
        EmbedWorker {
            db,
            client,
            chunks,
            running: Arc::default(),
            again: Arc::default(),
            passes: Arc::default(),
            last_error,
        }
    }

    /// Passes finished so far.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::SeqCst)
    }

    /// Ask for a pass. Starts a task on the current tokio runtime unless one runs; a running
    /// task goes round once more instead. Returns the task when one was started.
    pub fn kick(&self, why: Trigger) -> Option<tokio::task::JoinHandle<()>> {
        self.again.store(true, Ordering::SeqCst);
        if self.running.swap(true, Ordering::SeqCst) {
            tracing::debug!("memory vectors: {why:?} while a pass runs; it will go round again");
            return None;
        }
        tracing::debug!("memory vectors: pass started by {why:?}");
        let (db, client, chunks) = (self.db.clone(), self.client.clone(), self.chunks);
        let (running, again, passes) = (
            self.running.clone(),
            self.again.clone(),
            self.passes.clone(),
        );
        let last_error = self.last_error.clone();
        Some(tokio::spawn(async move {
            loop {
                while again.swap(false, Ordering::SeqCst) {
                    match run_pass(&*db, &client, &chunks).await {
                        Ok(r) => {
                            last_error.clear();
                            tracing::debug!("memory vectors: {r:?}");
                        }
                        Err(e) => {
                            if last_error.set(e.to_string()) {
                                tracing::warn!("memory vectors: {e}");
                            }
                        }
                    }
                    passes.fetch_add(1, Ordering::SeqCst);
                }
                running.store(false, Ordering::SeqCst);
                // A kick between the last check and the store above found `running` set and
                // left it to us: take it back and go round, unless another task already did.
                if !again.load(Ordering::SeqCst) || running.swap(true, Ordering::SeqCst) {
                    return;
                }
            }
        }))
    }
}

/// The query vector for search, with fallback to text search.
pub struct QueryEmbedder {
    client: Arc<EmbedClient>,
    last_error: Arc<LastError>,
}

impl QueryEmbedder {
    pub fn new(client: Arc<EmbedClient>, last_error: Arc<LastError>) -> Self {
        QueryEmbedder { client, last_error }
    }

    /// The vector for `query` (cache first), or `None` — search then runs on text alone. A
    /// failure's reason is logged the first time it is seen and kept for `memory status`.
    pub async fn query_vector<D: VectorDb>(&self, db: &D, query: &str) -> Option<Vec<f32>> {
        let s = self.client.settings();
        let dim = match s.dimensions {
            Some(d) => Some(d),
            None => db.with_conn(|c| embed_sql::indexed_dim(c, &s.model)).ok()?,
        };
        let hit = db.with_conn(|c| embed_sql::cached(c, &s.model, dim, &[query]));
        if let Some(v) = hit.ok().and_then(|mut m| m.remove(query)) {
            return Some(v);
        }
        match self.client.embed_query(query, dim).await {
            Ok(v) => {
                if let Err(e) = db.with_conn(|c| embed_sql::cache_put(c, &s.model, query, &v)) {
                    tracing::debug!("memory vectors: query cache write failed: {e}");
                }
                Some(v)
            }
            Err(e) => {
                let reason = format!("memory search fell back to text: {e}");
                if self.last_error.set(reason.clone()) {
                    tracing::warn!("{reason}");
                }
                None
            }
        }
    }
}
