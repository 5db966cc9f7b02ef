//! The runtime's handle on the store: every call runs on tokio's blocking pool.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::store::{Store, StoreError};

#[derive(Clone)]
pub struct StoreHandle(Arc<Mutex<Store>>);

impl StoreHandle {
    /// Open (and migrate) the database at `path`, or an in-memory one for `None`.
    pub async fn open(path: Option<PathBuf>) -> Result<StoreHandle, StoreError> {
        let store = tokio::task::spawn_blocking(move || match path {
            Some(p) => Store::open(&p),
            None => Store::open_in_memory(),
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))??;
        Ok(StoreHandle(Arc::new(Mutex::new(store))))
    }

    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let guard = inner
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&guard)
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))?
    }
}
