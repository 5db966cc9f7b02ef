//! The vector leg of one workspace's memory: the configured embedder (`[memory.embeddings]`,
//! or an in-process one), the last failure shared by the background worker and the query
//! vector, whether search may use vectors now, and the worker over a store.
//!
//! Search uses the vector leg only when [`VectorLeg::usable`]: vectors of the configured model
//! exist and none of another model or dimension is left (after a model change search uses text
//! until `pincer memory reindex` drops the stale ones).

use std::sync::Arc;

use rusqlite::Connection;

use super::embed::{EmbedClient, EmbedError, EmbedSettings, Embedder};
use super::embed_sql::{self, CHUNKS, VectorStatus};
use super::embed_worker::{EmbedWorker, LastError, QueryEmbedder, VectorDb};
use super::vector_cache::{VectorCache, VectorMatrix};
use crate::config::EmbeddingsConfig;

pub struct VectorLeg {
    embedder: Arc<dyn Embedder>,
    last_error: Arc<LastError>,
    query: QueryEmbedder,
    cache: VectorCache,
}

impl VectorLeg {
    pub fn new(embedder: Arc<dyn Embedder>) -> VectorLeg {
        let last_error = Arc::new(LastError::default());
        VectorLeg {
            query: QueryEmbedder::new(Arc::clone(&embedder), Arc::clone(&last_error)),
            embedder,
            last_error,
            cache: VectorCache::default(),
        }
    }

    /// The HTTP embedder `[memory.embeddings]` describes (its API key read from the
    /// environment now).
    pub fn from_config(cfg: &EmbeddingsConfig) -> Result<VectorLeg, EmbedError> {
        let mut settings = EmbedSettings::new(&cfg.url, &cfg.model);
        settings.dimensions = cfg.dimensions;
        settings.batch = cfg.batch;
        let env = |k: &str| std::env::var(k).ok();
        let settings = settings.with_key_from_env(cfg.api_key_env.as_deref(), &env)?;
        Ok(VectorLeg::new(Arc::new(EmbedClient::new(settings)?)))
    }

    pub fn settings(&self) -> &EmbedSettings {
        self.embedder.settings()
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.get()
    }

    /// A background worker filling missing vectors in `db` (kicked on events, never a timer).
    pub fn worker<D: VectorDb>(&self, db: Arc<D>) -> EmbedWorker<D> {
        EmbedWorker::new(
            db,
            Arc::clone(&self.embedder),
            CHUNKS,
            Arc::clone(&self.last_error),
        )
    }

    /// The query's vector (cache first), or `None` when the embedder fails (reason kept).
    pub async fn query_vector<D: VectorDb>(&self, db: &D, text: &str) -> Option<Vec<f32>> {
        if text.trim().is_empty() {
            return None;
        }
        self.query.query_vector(db, text).await
    }

    /// Whether search may add the vector leg now.
    pub fn usable(&self, conn: &Connection) -> rusqlite::Result<bool> {
        let s = self.settings();
        embed_sql::leg_usable(conn, &s.model, s.dimensions)
    }

    /// The model's vectors of `dim` in memory (loaded again when the table changed).
    pub fn matrix(&self, conn: &Connection, dim: usize) -> rusqlite::Result<Arc<VectorMatrix>> {
        self.cache.get(conn, &self.settings().model, dim)
    }

    /// The state for `memory status`.
    pub fn status(&self, conn: &Connection) -> rusqlite::Result<VectorStatus> {
        embed_sql::embedding_status(
            conn,
            &CHUNKS,
            Some(self.settings()),
            self.last_error().as_deref(),
        )
    }
}
