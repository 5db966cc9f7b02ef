//! Memory in the runtime: the service for this workspace, the watcher on the memory folders
//! (a changed file is indexed again, a deleted one's rows go), session items indexed after each
//! turn, and the memory ops (list, forget, pin, undo). Indexing runs on the store thread in a
//! task of its own, never in the op loop.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::Runtime;
use crate::memory::{MemoryDirs, MemoryService};
use crate::protocol::{ErrorKind, Event, NoticeLevel};
use crate::skills::SkillWatcher;

/// The memory of a runtime: the service and the watcher on its folders.
pub(super) struct RuntimeMemory {
    pub service: Arc<MemoryService>,
    /// Dropped with the runtime (stops the watcher thread).
    _watcher: Option<SkillWatcher>,
}

impl Runtime {
    /// Set up memory when `[memory] enabled` and a store is open; index in the background.
    pub(super) fn start_memory(&mut self, wake: UnboundedSender<()>) {
        let s = &self.settings;
        let (Some(dir), Some(_)) = (s.memory_dir.clone(), &self.store) else {
            return;
        };
        if !s.config.memory.enabled {
            return;
        }
        let dirs = MemoryDirs::under(&dir, &s.workspace);
        let service = Arc::new(MemoryService::new(dirs.clone(), s.config.memory.clone()));
        let watcher = match SkillWatcher::start(vec![dirs.user.clone()], wake) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "memory folder not watched");
                None
            }
        };
        self.memory = Some(RuntimeMemory {
            service,
            _watcher: watcher,
        });
        self.sync_memory();
    }

    pub(super) fn memory_service(&self) -> Option<Arc<MemoryService>> {
        self.memory.as_ref().map(|m| Arc::clone(&m.service))
    }

    /// Index changed files and new session items, in a task of its own.
    pub(super) fn sync_memory(&self) {
        let (Some(service), Some(store)) = (self.memory_service(), self.store.clone()) else {
            return;
        };
        tokio::spawn(async move {
            match store.call(move |s| service.sync(s)).await {
                Ok(report) => {
                    for problem in &report.problems {
                        tracing::warn!(%problem, "memory");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "memory index not brought up to date"),
            }
        });
    }

    pub(super) async fn handle_memory_op(&mut self, op: crate::protocol::Op) {
        use crate::protocol::Op;
        let (Some(service), Some(store)) = (self.memory_service(), self.store.clone()) else {
            self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: "memory is off ([memory] enabled = false in config.toml, or no session database)".into(),
            });
            return;
        };
        let svc = Arc::clone(&service);
        let result = match op {
            Op::ListMemory { scope, query } => {
                self.memory_scope = scope;
                let listed = store
                    .call(move |s| {
                        svc.sync(s)?;
                        svc.list(s, scope, &query)
                    })
                    .await;
                match listed {
                    Ok(listing) => self.emit(Event::MemoryList(listing)),
                    Err(e) => self.error(ErrorKind::Storage, format!("cannot list memory: {e}")),
                }
                return;
            }
            Op::ForgetMemory { id } => store.call(move |s| Ok(svc.forget(s, &id))).await,
            Op::PinMemory { id, pinned } => store.call(move |s| Ok(svc.pin(s, &id, pinned))).await,
            Op::UndoMemoryChange { change_id } => {
                store.call(move |s| Ok(svc.undo(s, change_id))).await
            }
            _ => return,
        };
        match result {
            Ok(Ok(change)) => {
                self.emit(Event::MemoryChanged(change));
                let scope = self.memory_scope;
                if let Ok(listing) = store.call(move |s| service.list(s, scope, "")).await {
                    self.emit(Event::MemoryList(listing));
                }
            }
            Ok(Err(e)) => self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: e.to_string(),
            }),
            Err(e) => self.error(ErrorKind::Storage, format!("memory: {e}")),
        }
    }
}
