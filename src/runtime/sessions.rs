//! Session ops: list, preview, resume, fork, rename, archive, delete, export. Every answer is an
//! event; the front end never touches the store.

use crate::protocol::{SessionConfigured, SessionItemsAppended, SessionList, SessionPreview};
use std::path::PathBuf;

use super::{Runtime, history};
use crate::config::ResolvedProvider;
use crate::protocol::{ErrorKind, Event, ExportFormat, HistoryItem, NoticeLevel, SessionScope};
use crate::store::{LeaseAttempt, StoredItem};

/// Sessions a list returns at most (far more than a person scrolls through).
const LIST_LIMIT: usize = 50_000;
/// Messages a preview shows.
const PREVIEW_ITEMS: usize = 12;

impl Runtime {
    fn no_store(&self) -> bool {
        if self.store.is_none() {
            self.error(
                ErrorKind::Storage,
                "sessions are not stored in this run (the database could not be opened)",
            );
            return true;
        }
        false
    }

    pub(super) async fn list_sessions(&mut self, scope: SessionScope) {
        self.list_scope = scope;
        let Some(store) = self.store.clone() else {
            self.emit(Event::SessionList(SessionList {
                scope,
                sessions: Vec::new(),
                current: None,
            }));
            return;
        };
        let cwd = match scope {
            SessionScope::ThisDirectory => Some(self.settings.workspace.display().to_string()),
            SessionScope::All => None,
        };
        let archived = scope == SessionScope::All;
        match store
            .call(move |s| s.list_sessions(cwd.as_deref(), archived, LIST_LIMIT))
            .await
        {
            Ok(sessions) => self.emit(Event::SessionList(SessionList {
                scope,
                sessions,
                current: self.session_id.clone(),
            })),
            Err(e) => self.error(ErrorKind::Storage, format!("cannot list sessions: {e}")),
        }
    }

    pub(super) async fn preview_session(&mut self, id: String) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let key = id.clone();
        match store.call(move |s| s.last_items(&key, PREVIEW_ITEMS)).await {
            Ok(items) => self.emit(Event::SessionPreview(SessionPreview {
                id,
                items: history::rebuild(&items).history,
            })),
            Err(e) => tracing::warn!(%e, "preview failed"),
        }
    }

    /// Switch to a stored session: stop the running turn, load it, show it.
    pub(super) async fn resume_session(&mut self, id: String) {
        if self.no_store() {
            return;
        }
        self.stop_active().await;
        self.queue.clear();
        match self.load_session(id).await {
            Some(history) => self.configured(history).await,
            None => self.flush_after_configured(),
        }
    }

    fn flush_after_configured(&mut self) {
        for event in std::mem::take(&mut self.after_configured) {
            self.emit(event);
        }
    }

    /// Load a stored session into the conversation (sealing a reply cut short by a crash);
    /// returns the transcript to show. `None` (and why) when it cannot be read.
    ///
    /// A reply still incomplete is sealed only when no other pincer holds the session's lease
    /// (else it is that pincer's reply, still streaming: it is shown as it is so far).
    pub(super) async fn load_session(&mut self, id: String) -> Option<Vec<HistoryItem>> {
        let store = self.store.clone()?;
        self.leave_session();
        let lease = match store.try_lease(id.clone()).await {
            Ok(LeaseAttempt::Acquired(lease)) => Some(lease),
            Ok(LeaseAttempt::Held { .. }) => None,
            Err(e) => {
                tracing::warn!(%e, "session lease unavailable; not sealing");
                None
            }
        };
        let key = id.clone();
        let loaded = store
            .call(move |s| {
                let sealed = match lease {
                    Some(_) => s.seal_incomplete(&key)?,
                    None => 0,
                };
                let seen = s.settled_item_id(&key)?;
                drop(lease);
                Ok((sealed, seen, s.load_session(&key)?))
            })
            .await;
        let (sealed, seen, loaded) = match loaded {
            Ok(v) => v,
            Err(e) => {
                // Shown after the transcript when this happens at start.
                self.after_configured.push(Event::Error {
                    kind: ErrorKind::Storage,
                    message: format!("cannot load session {id}: {e}"),
                    retryable: false,
                });
                return None;
            }
        };
        if sealed > 0 {
            self.after_configured.push(Event::Notice {
                level: NoticeLevel::Warning,
                message: "the last reply of this session was cut off when pincer stopped; it is kept, marked interrupted".into(),
            });
        }
        if loaded.skipped_rows > 0 {
            self.after_configured.push(Event::Notice {
                level: NoticeLevel::Warning,
                message: format!(
                    "{} stored item(s) of this session could not be read and are left out",
                    loaded.skipped_rows
                ),
            });
        }
        let rebuilt = history::rebuild(&loaded.items);
        self.conversation = rebuilt.messages;
        self.summary = rebuilt.summary;
        self.reported_context = 0;
        self.session_tokens = loaded.total_tokens;
        self.session_id = Some(id);
        self.seen_item = seen;
        // Session grants belong to the session they were given in (resume and fork too).
        self.gate.lock().end_session();
        self.reset_restricted();
        self.session_skills = super::skills::skills_used(&loaded.items);
        self.warned_full = false;
        self.apply_session_restriction(true);
        Some(rebuilt.history)
    }

    /// Before a turn, holding the lease: take in what another pincer wrote to this session
    /// since this runtime last looked. The conversation is rebuilt from the store (so the model
    /// sees those items, a compaction included), and the new items go to the transcript.
    pub(super) async fn sync_session(&mut self) {
        let (Some(store), Some(id)) = (self.store.clone(), self.session_id.clone()) else {
            return;
        };
        let after = self.seen_item;
        let found = store
            .call(move |s| {
                let foreign = s.foreign_items_after(&id, after)?;
                if foreign.is_empty() {
                    return Ok(None);
                }
                // Holding the lease: an incomplete item now is one whose writer is gone.
                s.seal_incomplete(&id)?;
                Ok(Some((foreign, s.load_session(&id)?)))
            })
            .await;
        let (foreign, loaded) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(e) => {
                self.error(
                    ErrorKind::Storage,
                    format!("cannot read what another pincer wrote to this session: {e}"),
                );
                return;
            }
        };
        let rebuilt = history::rebuild(&loaded.items);
        let new_items: Vec<StoredItem> = loaded
            .items
            .iter()
            .filter(|item| foreign.binary_search(&item.id).is_ok())
            .cloned()
            .collect();
        tracing::info!(
            count = foreign.len(),
            "session changed in another pincer; reloaded"
        );
        self.conversation = rebuilt.messages;
        self.summary = rebuilt.summary;
        self.session_tokens = loaded.total_tokens;
        self.reported_context = 0;
        self.seen_item = loaded.items.last().map_or(after, |item| item.id.max(after));
        self.emit(Event::SessionItemsAppended(SessionItemsAppended {
            items: history::rebuild(&new_items).history,
            count: foreign.len(),
        }));
    }

    /// Tell the front end which session it is in, with its transcript.
    pub(super) async fn configured(&mut self, history: Vec<HistoryItem>) {
        let input_history = self.input_history().await;
        self.emit(Event::SessionConfigured(SessionConfigured {
            session_id: self.session_id.clone(),
            provider: self.provider.as_ref().map(ResolvedProvider::info),
            history,
            input_history,
            session_tokens: self.session_tokens,
        }));
        // Notices about the loaded session go after it, or the transcript would clear them.
        self.flush_after_configured();
        self.emit_context_usage();
    }

    pub(super) async fn fork_session(&mut self, id: String, before_item: Option<i64>) {
        let Some(store) = self.store.clone() else {
            self.no_store();
            return;
        };
        self.stop_active().await;
        self.queue.clear();
        let new_id = crate::store::new_session_id();
        let child = new_id.clone();
        match store
            .call(move |s| s.fork_session(&id, before_item, &child))
            .await
        {
            Ok(summary) => {
                if let Some(history) = self.load_session(new_id).await {
                    self.configured(history).await;
                    self.emit(Event::Notice {
                        level: NoticeLevel::Info,
                        message: format!(
                            "forked «{}»: you are in the new session; the original is unchanged",
                            summary.title
                        ),
                    });
                } else {
                    self.flush_after_configured();
                }
            }
            Err(e) => self.error(ErrorKind::Storage, format!("cannot fork: {e}")),
        }
    }

    pub(super) async fn rename_session(&mut self, id: String, title: String) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let title = title.trim().to_string();
        if title.is_empty() {
            self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: "a session needs a title to be renamed: /rename TITLE".into(),
            });
            return;
        }
        if let Err(e) = store.call(move |s| s.rename_session(&id, &title)).await {
            self.error(ErrorKind::Storage, format!("cannot rename: {e}"));
        }
        self.list_sessions(self.list_scope).await;
    }

    pub(super) async fn archive_session(&mut self, id: String, archived: bool) {
        let Some(store) = self.store.clone() else {
            return;
        };
        if let Err(e) = store.call(move |s| s.set_archived(&id, archived)).await {
            self.error(ErrorKind::Storage, format!("cannot archive: {e}"));
        }
        self.list_sessions(self.list_scope).await;
    }

    pub(super) async fn delete_session(&mut self, id: String) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let current = self.session_id.as_deref() == Some(id.as_str());
        if current {
            self.stop_active().await;
            self.queue.clear();
        }
        let key = id.clone();
        match store.call(move |s| s.delete_session(&key)).await {
            Ok(()) => {
                store.remove_lease(id.clone()).await;
                if current {
                    self.leave_session();
                    self.session_id = None;
                    self.conversation.clear();
                    self.summary = None;
                    self.session_tokens = 0;
                    self.configured(Vec::new()).await;
                }
                self.emit(Event::Notice {
                    level: NoticeLevel::Info,
                    message: format!("deleted session {id}"),
                });
            }
            Err(e) => self.error(ErrorKind::Storage, format!("cannot delete: {e}")),
        }
        self.list_sessions(self.list_scope).await;
    }

    fn exports_dir(&self) -> Option<PathBuf> {
        let db = self.settings.database.as_ref()?;
        Some(db.parent()?.join("exports"))
    }

    pub(super) async fn export_session(&mut self, id: String, format: ExportFormat) {
        let (Some(store), Some(dir)) = (self.store.clone(), self.exports_dir()) else {
            self.error(
                ErrorKind::Storage,
                "nothing to export: sessions are not stored in this run",
            );
            return;
        };
        let result = store
            .call(move |s| {
                let title = s.get_session(&id)?.map(|x| x.title).unwrap_or_default();
                let text = match format {
                    ExportFormat::Markdown => s.export_markdown(&id)?,
                    ExportFormat::Jsonl => s.export_jsonl(&id)?,
                };
                Ok((super::export_name::export_stem(&title, &id), text))
            })
            .await;
        let written = result.map_err(|e| e.to_string()).and_then(|(stem, text)| {
            use std::io::Write as _;
            let (path, mut file) =
                super::export_name::create_unique(&dir, &stem, format.extension())
                    .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
            file.write_all(text.as_bytes())
                .map(|()| path.clone())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        });
        match written {
            Ok(path) => self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: format!("exported to {}", path.display()),
            }),
            Err(e) => self.error(ErrorKind::Storage, format!("export failed: {e}")),
        }
    }
}
