//! The runtime's handle on the store: every call runs on tokio's blocking pool, and so does
//! taking a session's lease (see `store::LeaseDir`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use crate::store::{LeaseAttempt, LeaseDir, SessionLease, Store, StoreError};

#[derive(Clone)]
pub struct StoreHandle(Arc<Mutex<Store>>, LeaseDir);

impl StoreHandle {
    /// Open (and migrate) the database at `path`, or an in-memory one for `None`.
    pub async fn open(path: Option<PathBuf>) -> Result<StoreHandle, StoreError> {
        let leases = LeaseDir::for_database(path.as_deref());
        let store = tokio::task::spawn_blocking(move || match path {
            Some(p) => Store::open(&p),
            None => Store::open_in_memory(),
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))??;
        Ok(StoreHandle(Arc::new(Mutex::new(store)), leases))
    }

    /// Take the session's lease if it is free; else who holds it.
    pub async fn try_lease(&self, session_id: String) -> Result<LeaseAttempt, StoreError> {
        let leases = self.1.clone();
        tokio::task::spawn_blocking(move || leases.try_acquire(&session_id))
            .await
            .map_err(|e| StoreError::Worker(e.to_string()))?
    }

    /// Wait for the session's lease on the blocking pool. Dropping the handle gives up: the
    /// lease, once taken, is then released at once.
    pub fn wait_lease(&self, session_id: String) -> JoinHandle<Result<SessionLease, StoreError>> {
        let leases = self.1.clone();
        tokio::task::spawn_blocking(move || leases.acquire(&session_id))
    }

    /// Remove a deleted session's lease file (best effort).
    pub async fn remove_lease(&self, session_id: String) {
        let leases = self.1.clone();
        let _ = tokio::task::spawn_blocking(move || leases.remove(&session_id)).await;
    }

    /// The store itself, for the memory vector worker (`VectorDb` for `Mutex<Store>`).
    pub fn shared(&self) -> Arc<Mutex<Store>> {
        Arc::clone(&self.0)
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
