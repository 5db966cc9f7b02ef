//! [`RecallIndex`] on pincer's real memory index and search: sessions go into the store's
//! `sessions` / `items` tables and are indexed by `memory::index::index_sessions`, memory notes
//! are written as entries of a Markdown memory file and indexed from it, and search is
//! `MemoryService::search` — FTS5 unicode61 + trigram legs, and for hybrid the vector leg,
//! filled by the same background pass (`embed_worker::run_pass`) the runtime uses, with an
//! in-process deterministic [`Embedder`] instead of an HTTP server.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use pincer::memory::embed::{EmbedError, EmbedSettings, Embedder};
use pincer::memory::embed_sql::CHUNKS;
use pincer::memory::embed_worker::run_pass;
use pincer::memory::index;
use pincer::memory::vector_leg::VectorLeg;
use pincer::memory::{MemoryDirs, MemoryService, Query};
use pincer::store::Store;
use rusqlite::params;

use super::longmem::{Loc, Memory, Session};
use super::recall_sqlite::{Embed, HitRef, RecallIndex};

/// A deterministic in-process embedding model (no network).
pub struct LocalEmbedder {
    settings: EmbedSettings,
    embed: Embed,
}

impl LocalEmbedder {
    pub fn new(embed: Embed, dims: usize) -> LocalEmbedder {
        let mut settings = EmbedSettings::new("in-process", "hashed-bag-of-words");
        settings.dimensions = Some(dims);
        settings.batch = 256;
        LocalEmbedder { settings, embed }
    }
}

impl Embedder for LocalEmbedder {
    fn settings(&self) -> &EmbedSettings {
        &self.settings
    }

    fn embed<'a>(
        &'a self,
        texts: &'a [&'a str],
        _expected: Option<usize>,
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, EmbedError>> {
        let out = texts.iter().map(|t| (self.embed)(t)).collect();
        Box::pin(async move { Ok(out) })
    }

    fn embed_query<'a>(
        &'a self,
        text: &'a str,
        _expected: Option<usize>,
    ) -> BoxFuture<'a, Result<Vec<f32>, EmbedError>> {
        let v = (self.embed)(text);
        Box::pin(async move { Ok(v) })
    }
}

pub struct RealRecall {
    _tmp: tempfile::TempDir,
    db: Arc<Mutex<Store>>,
    service: MemoryService,
    embedder: Option<Arc<LocalEmbedder>>,
    rt: tokio::runtime::Runtime,
    notes: PathBuf,
    cwd: String,
    /// Item id → where the benchmark put it; memory entry id → note.
    items: HashMap<i64, Loc>,
    entries: HashMap<String, Loc>,
    notes_text: String,
    now_s: i64,
}

impl RealRecall {
    pub fn new(embed: Option<(Embed, usize)>, now_ms: i64) -> RealRecall {
        let tmp = tempfile::tempdir().unwrap();
        let workspace = tmp.path().join("ws");
        std::fs::create_dir_all(&workspace).unwrap();
        let dirs = MemoryDirs::under(&tmp.path().join("memory"), &workspace);
        std::fs::create_dir_all(&dirs.user).unwrap();
        let cwd = dirs.project_root.to_string_lossy().into_owned();
        let notes = dirs.user.join("notes.md");
        let store = Store::open(&tmp.path().join("pincer.db")).unwrap();
        let embedder = embed.map(|(e, dims)| Arc::new(LocalEmbedder::new(e, dims)));
        let mut service = MemoryService::new(dirs, pincer::config::MemoryConfig::default());
        if let Some(e) = &embedder {
            let leg = VectorLeg::new(Arc::clone(e) as Arc<dyn Embedder>);
            service = service.with_vector_leg(Arc::new(leg));
        }
        RealRecall {
            _tmp: tmp,
            db: Arc::new(Mutex::new(store)),
            service,
            embedder,
            rt: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
            notes,
            cwd,
            items: HashMap::new(),
            entries: HashMap::new(),
            notes_text: String::new(),
            now_s: now_ms / 1000,
        }
    }

    /// The database `saved` (written by [`Self::save`] for the same dataset) instead
    /// of importing and indexing the dataset again; the item ids are read back from it.
    pub fn from_saved(
        embed: Option<(Embed, usize)>,
        now_ms: i64,
        saved: &std::path::Path,
        sessions: &[Session],
        memories: &[Memory],
    ) -> RealRecall {
        let mut index = RealRecall::new(embed, now_ms);
        // Opened where it is (no copy: 100k chunks with vectors are 400 MB); only the
        // workspace folder below changes in it.
        *index.db.lock().unwrap() = Store::open(saved).unwrap();
        // The saved sessions ran in the workspace of the run that saved them: move them here.
        index
            .store()
            .connection()
            .execute_batch(&format!(
                "UPDATE sessions SET cwd = '{cwd}';
                 UPDATE memory_chunks SET project = '{cwd}' WHERE scope = 'session';",
                cwd = index.cwd.replace('\'', "''")
            ))
            .unwrap();
        for session in sessions {
            let ids: Vec<i64> = {
                let store = index.store();
                let mut stmt = store
                    .connection()
                    .prepare("SELECT id FROM items WHERE session_id = ?1 ORDER BY id")
                    .unwrap();
                stmt.query_map([format!("bench-{}", session.id)], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            };
            for (item, id) in ids.into_iter().enumerate() {
                index.items.insert(
                    id,
                    Loc::Message {
                        session: session.id,
                        item,
                    },
                );
            }
        }
        for m in memories {
            index.add_memory(m);
        }
        std::fs::write(&index.notes, &index.notes_text).unwrap();
        index
    }

    /// Write the database to `path` (one file, for [`Self::from_saved`]).
    pub fn save(&self, path: &std::path::Path) {
        let _ = std::fs::remove_file(path);
        self.store()
            .connection()
            .execute("VACUUM INTO ?1", [path.to_string_lossy()])
            .unwrap();
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.db.lock().unwrap()
    }

    /// Store one session's items (not timed by the harness as indexing).
    pub fn store_session(&mut self, session: &Session) {
        let store = self.db.lock().unwrap();
        let sid = format!("bench-{}", session.id);
        let ids: Vec<i64> = store
            .transaction(|tx| {
                tx.execute(
                    "INSERT INTO sessions (id, cwd, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
                    params![sid, self.cwd, session.time_ms],
                )?;
                let mut ids = Vec::with_capacity(session.messages.len());
                for m in &session.messages {
                    tx.prepare_cached(
                        "INSERT INTO items (session_id, kind, content, created_at, complete)
                         VALUES (?1, ?2, ?3, ?4, 1)",
                    )?
                    .execute(params![sid, m.role, m.text, session.time_ms])?;
                    ids.push(tx.last_insert_rowid());
                }
                Ok(ids)
            })
            .unwrap();
        drop(store);
        for (item, id) in ids.into_iter().enumerate() {
            self.items.insert(
                id,
                Loc::Message {
                    session: session.id,
                    item,
                },
            );
        }
    }

    /// Index the stored items (what the runtime does after each turn).
    pub fn index_sessions(&self) -> usize {
        index::index_sessions(&self.store()).unwrap()
    }

    /// The background pass: embed every chunk lacking a vector.
    pub fn embed_pending(&self) {
        if let Some(e) = &self.embedder {
            let report = self
                .rt
                .block_on(run_pass(&*self.db, &**e, &CHUNKS))
                .unwrap();
            assert!(report.embedded > 0 || self.items.is_empty());
        }
    }
}

impl RecallIndex for RealRecall {
    fn add_session(&mut self, session: &Session) {
        self.store_session(session);
        self.index_sessions();
    }

    fn add_memory(&mut self, memory: &Memory) {
        let id = format!("{:08x}", memory.id);
        let date = pincer::time::utc_date(memory.time_ms);
        let text = memory.text.replace('\n', " ");
        self.notes_text
            .push_str(&format!("- {text} <!-- m:{id} by=user at={date} -->\n"));
        self.entries.insert(id, Loc::Memory(memory.id));
    }

    fn finish(&mut self) {
        std::fs::write(&self.notes, &self.notes_text).unwrap();
        let report = self.service.sync(&self.store()).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        self.embed_pending();
    }

    fn search(&self, query: &str, k: usize) -> Vec<HitRef> {
        let mut q = Query::new(query);
        q.k = k;
        q.now = self.now_s;
        let vector = self.embedder.as_ref().map(|e| (e.embed)(query));
        let hits = self.service.search(&self.store(), &q, vector).unwrap();
        hits.into_iter()
            .filter_map(|h| {
                let loc = match h.item_id {
                    Some(item) => *self.items.get(&item)?,
                    None => *self.entries.get(&h.id)?,
                };
                Some(HitRef {
                    loc,
                    relevance: h.relevance as f32,
                    bytes: h.snippet.len(),
                })
            })
            .collect()
    }
}
