//! The query's vector outside the runtime (`pincer memory search`): the same check the runtime's
//! `memory_search` makes (an embedder configured, its vectors present and none stale) and the
//! same cached query embedding, on a small runtime of its own — or why the search runs on text
//! alone, in words the user can act on.

use std::sync::Mutex;

use super::embed_sql::VectorStatus;
use super::service::MemoryService;
use crate::store::{Store, StoreError};

/// How a search will run.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchMode {
    /// Text legs plus the vector leg, with the query's vector from `model`.
    Hybrid { model: String, vector: Vec<f32> },
    /// Text legs only, and why.
    TextOnly(String),
}

impl SearchMode {
    /// One line for the user: "hybrid (text + vectors of MODEL)" or "text only (WHY)".
    pub fn describe(&self) -> String {
        match self {
            SearchMode::Hybrid { model, .. } => format!("hybrid (text + vectors of {model})"),
            SearchMode::TextOnly(why) => format!("text only ({why})"),
        }
    }

    pub fn into_vector(self) -> Option<Vec<f32>> {
        match self {
            SearchMode::Hybrid { vector, .. } => Some(vector),
            SearchMode::TextOnly(_) => None,
        }
    }
}

/// How `service` would search for `query` now, embedding it (blocking) when the vector leg is
/// usable. Must not be called from inside an async runtime.
pub fn search_mode(
    service: &MemoryService,
    store: &Mutex<Store>,
    query: &str,
) -> Result<SearchMode, StoreError> {
    let Some(leg) = service.vector_leg() else {
        return Ok(SearchMode::TextOnly(match service.vector_problem() {
            Some(problem) => format!("[memory.embeddings] cannot be used: {problem}"),
            None => "no [memory.embeddings] in config.toml".into(),
        }));
    };
    let status = {
        let guard = store.lock().unwrap_or_else(|e| e.into_inner());
        if !service.vectors_usable(&guard)? {
            Some(leg.status(guard.connection())?)
        } else {
            None
        }
    };
    if let Some(status) = status {
        return Ok(SearchMode::TextOnly(not_usable(&status)));
    }
    if query.trim().is_empty() {
        return Ok(SearchMode::TextOnly("empty query".into()));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return Ok(SearchMode::TextOnly(format!(
                "cannot start the embedding client: {e}"
            )));
        }
    };
    let model = leg.settings().model.clone();
    Ok(match runtime.block_on(leg.query_vector(store, query)) {
        Some(vector) => SearchMode::Hybrid { model, vector },
        None => SearchMode::TextOnly(leg.last_error().unwrap_or_else(|| {
            format!("the embedding endpoint gave no vector for the query ({model})")
        })),
    })
}

fn not_usable(status: &VectorStatus) -> String {
    match status {
        VectorStatus::Stale { model, stale, .. } => format!(
            "{stale} vectors are not from {model}: run `pincer memory reindex`, then let pincer \
             embed the memory again"
        ),
        VectorStatus::Ready {
            embedded: 0,
            last_error: Some(e),
            ..
        } => format!("no vectors yet; the last embedding attempt failed: {e}"),
        VectorStatus::Ready { .. } => {
            "no vectors yet: pincer embeds the memory in the background while it runs".into()
        }
        VectorStatus::NotConfigured { .. } => "no [memory.embeddings] in config.toml".into(),
    }
}
