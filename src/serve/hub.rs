//! Sessions ↔ runtimes. One runtime per open session, started with `Resume::Id` and
//! `interactive: true` (the browser answers approvals). A pump task per runtime turns its
//! events into the session's [`EventLog`] and wakes the event streams.
//!
//! A runtime nobody watches is stopped once it is idle: when the last event stream leaves and
//! no turn runs or waits, or when a turn ends and nobody watches. No timer is involved.

use crate::protocol::{ApprovalRequested, SessionBusy};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::ApiError;
use super::events::{EventIds, EventLog, LOG_BUDGET_BYTES};
use crate::protocol::{ApprovalDecision, ErrorKind, Event, Op, SessionOrigin, SessionSummary};
use crate::runtime::{self, Resume, RuntimeSettings, StoreHandle};

/// Builds a runtime's settings for a session (`Resume::Id`) in a workspace; called for every
/// runtime the hub starts, so config changes apply to the next one.
pub type SettingsFactory = Arc<dyn Fn(Resume, PathBuf) -> RuntimeSettings + Send + Sync>;

/// What an open session's runtime is doing, as its events tell.
#[derive(Debug)]
struct SessionState {
    log: EventLog,
    /// Approval requests waiting for an answer, with the rule "always" would save.
    pending: HashMap<u64, String>,
    running: bool,
    /// Messages sent that no `turn_started` (or refusal) answered yet.
    awaiting: u32,
    watchers: u32,
    /// The session has no title yet: the first message names it.
    untitled: bool,
    /// Stopping: new work goes to a new runtime.
    closing: bool,
}

impl SessionState {
    fn idle(&self) -> bool {
        !self.running && self.awaiting == 0 && self.pending.is_empty()
    }
}

pub struct OpenSession {
    pub id: String,
    ops: UnboundedSender<Op>,
    state: Mutex<SessionState>,
    changed: watch::Sender<u64>,
    pump: Mutex<Option<JoinHandle<()>>>,
}

impl OpenSession {
    fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A receiver woken whenever the log grows or the session closes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The log's replay for a client that saw events up to `last_seen`, and whether the
    /// session has closed.
    pub fn replay(&self, last_seen: Option<u64>) -> (super::events::Replay, bool) {
        let st = self.lock();
        (st.log.replay(last_seen), st.log.closed)
    }
}

/// The service's sessions.
pub struct Hub {
    store: StoreHandle,
    factory: SettingsFactory,
    /// Where new sessions work (`pincer serve --cd`).
    workspace: PathBuf,
    sessions: Mutex<HashMap<String, Arc<OpenSession>>>,
    ids: EventIds,
    log_budget: usize,
}

/// Held by an event stream; dropping it (the client left) may stop an idle runtime.
pub struct Watching {
    hub: Arc<Hub>,
    pub session: Arc<OpenSession>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let close = {
            let mut st = self.session.lock();
            st.watchers = st.watchers.saturating_sub(1);
            Hub::should_close(&mut st)
        };
        if close {
            self.hub.close(&self.session);
        }
    }
}

impl Hub {
    pub async fn open_store(
        database: Option<PathBuf>,
        factory: SettingsFactory,
        workspace: PathBuf,
    ) -> Result<Arc<Hub>, crate::store::StoreError> {
        let store = StoreHandle::open(database).await?;
        Ok(Arc::new(Hub {
            store,
            factory,
            workspace,
            sessions: Mutex::new(HashMap::new()),
            ids: EventIds::seeded(),
            log_budget: LOG_BUDGET_BYTES,
        }))
    }

    pub fn store(&self) -> &StoreHandle {
        &self.store
    }

    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// Settings for the service's own workspace (skills, memory, provider).
    pub fn settings(&self) -> RuntimeSettings {
        (self.factory)(Resume::New, self.workspace.clone())
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<OpenSession>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `id` has a runtime, and whether a turn runs there.
    pub fn status(&self, id: &str) -> (bool, bool) {
        let session = self.map().get(id).cloned();
        match session {
            Some(s) => {
                let st = s.lock();
                (!st.closing, st.running)
            }
            None => (false, false),
        }
    }

    /// A stored session's summary, or 404.
    pub async fn summary(&self, id: &str) -> Result<SessionSummary, ApiError> {
        let key = id.to_string();
        self.store
            .call(move |s| s.get_session(&key))
            .await?
            .ok_or_else(|| ApiError::no_such_session(id))
    }

    /// A new stored session in the service's workspace, titled `title` (or by its first message).
    pub async fn create(&self, title: Option<String>) -> Result<SessionSummary, ApiError> {
        let settings = self.settings();
        let (provider, model) = match &settings.provider {
            Ok(p) => (p.profile.clone(), p.model.clone()),
            Err(_) => (String::new(), String::new()),
        };
        let row = crate::store::NewSession {
            id: crate::store::new_session_id(),
            title: title.map(|t| t.trim().to_string()).unwrap_or_default(),
            cwd: self.workspace.display().to_string(),
            provider,
            model,
        };
        let id = row.id.clone();
        self.store
            .call(move |s| s.create_session_from(&row, SessionOrigin::Web))
            .await?;
        self.summary(&id).await
    }

    /// The session's runtime, started if needed (404 for an unknown session).
    pub async fn open(self: &Arc<Self>, id: &str) -> Result<Arc<OpenSession>, ApiError> {
        if let Some(s) = self.live(id) {
            return Ok(s);
        }
        let summary = self.summary(id).await?;
        let workspace = std::fs::canonicalize(&summary.cwd)
            .ok()
            .filter(|p| p.is_dir())
            .unwrap_or_else(|| self.workspace.clone());
        // Read the config before taking the lock (a race may read it twice; one runtime wins).
        let mut settings = (self.factory)(Resume::Id(id.to_string()), workspace);
        settings.resume = Resume::Id(id.to_string());
        settings.interactive = true;
        let mut map = self.map();
        if let Some(s) = map.get(id).filter(|s| !s.lock().closing) {
            return Ok(Arc::clone(s));
        }
        let rt = runtime::spawn(settings);
        let (changed, _) = watch::channel(self.ids.current());
        let session = Arc::new(OpenSession {
            id: id.to_string(),
            ops: rt.ops,
            state: Mutex::new(SessionState {
                log: EventLog::new(self.ids.current(), self.log_budget),
                pending: HashMap::new(),
                running: false,
                awaiting: 0,
                watchers: 0,
                untitled: summary.title.is_empty(),
                closing: false,
            }),
            changed,
            pump: Mutex::new(None),
        });
        let pump = tokio::spawn(Arc::clone(self).pump(Arc::clone(&session), rt.events, rt.join));
        *session.pump.lock().unwrap_or_else(|p| p.into_inner()) = Some(pump);
        map.insert(id.to_string(), Arc::clone(&session));
        tracing::info!(session = id, "serve: runtime started");
        Ok(session)
    }

    /// The open, not closing, runtime of `id`.
    fn live(&self, id: &str) -> Option<Arc<OpenSession>> {
        self.map().get(id).filter(|s| !s.lock().closing).cloned()
    }

    /// Run `f` on the session's state with its runtime open (a closing one is replaced).
    async fn with_open<T>(
        self: &Arc<Self>,
        id: &str,
        mut f: impl FnMut(&Arc<OpenSession>, &mut SessionState) -> T,
    ) -> Result<T, ApiError> {
        for _ in 0..3 {
            let session = self.open(id).await?;
            let mut st = session.lock();
            if !st.closing {
                return Ok(f(&session, &mut st));
            }
        }
        Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "the session's runtime keeps stopping; try again in a moment",
        ))
    }

    /// Start watching a session's events (its runtime opened if needed).
    pub async fn watch(self: &Arc<Self>, id: &str) -> Result<Watching, ApiError> {
        let session = self
            .with_open(id, |session, st| {
                st.watchers += 1;
                Arc::clone(session)
            })
            .await?;
        Ok(Watching {
            hub: Arc::clone(self),
            session,
        })
    }

    /// Send a user message to the session (queued by the runtime when a turn runs).
    pub async fn send_message(self: &Arc<Self>, id: &str, text: String) -> Result<(), ApiError> {
        let name = self
            .with_open(id, |session, st| {
                st.awaiting += 1;
                let _ = session.ops.send(Op::UserMessage { text: text.clone() });
                std::mem::take(&mut st.untitled)
            })
            .await?;
        if name {
            let key = id.to_string();
            let title = crate::store::title_from(&text);
            if let Err(e) = self
                .store
                .call(move |s| s.rename_session(&key, &title))
                .await
            {
                tracing::warn!(%e, "serve: cannot title the session");
            }
        }
        Ok(())
    }

    /// Interrupt the running turn; false when none runs.
    pub fn interrupt(&self, id: &str) -> bool {
        let Some(session) = self.live(id) else {
            return false;
        };
        let st = session.lock();
        let running = st.running || st.awaiting > 0;
        if running {
            let _ = session.ops.send(Op::Interrupt);
        }
        running
    }

    /// Answer an approval request: the first answer wins; a later one (or one for a request
    /// that no longer waits) is a 409. The other clients see `approval_resolved`.
    pub fn answer(
        &self,
        id: &str,
        request_id: u64,
        answer: super::routes::ApprovalAnswer,
    ) -> Result<ApprovalDecision, ApiError> {
        let gone = || {
            ApiError::conflict(format!(
                "approval {request_id} no longer waits: it was answered (perhaps in another window) or its turn ended"
            ))
        };
        let session = self.live(id).ok_or_else(gone)?;
        let mut st = session.lock();
        let suggested = st.pending.remove(&request_id).ok_or_else(gone)?;
        let decision = answer.into_decision(suggested);
        let _ = session.ops.send(Op::ApprovalDecision {
            request_id,
            decision: decision.clone(),
        });
        let notice = serde_json::json!({
            "event": "approval_resolved",
            "request_id": request_id,
            "decision": decision,
        });
        let event_id = self.ids.next();
        st.log.push_notice(event_id, notice.to_string().into());
        drop(st);
        session.changed.send_replace(event_id);
        Ok(decision)
    }

    /// Stop the session's runtime (if open), then delete it from the store.
    pub async fn delete(&self, id: &str) -> Result<(), ApiError> {
        self.summary(id).await?;
        let open = self.map().remove(id);
        if let Some(session) = open {
            session.lock().closing = true;
            let _ = session.ops.send(Op::Interrupt);
            let _ = session.ops.send(Op::Shutdown);
            let pump = session
                .pump
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let Some(pump) = pump {
                let _ = pump.await;
            }
        }
        let key = id.to_string();
        self.store.call(move |s| s.delete_session(&key)).await?;
        self.store.remove_lease(id.to_string()).await;
        Ok(())
    }

    /// Stop every runtime and wait for them (service shutdown).
    pub async fn close_all(&self) {
        let all: Vec<_> = self.map().drain().map(|(_, s)| s).collect();
        for s in &all {
            s.lock().closing = true;
            let _ = s.ops.send(Op::Interrupt);
            let _ = s.ops.send(Op::Shutdown);
        }
        for s in all {
            let pump = s.pump.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(pump) = pump {
                let _ = pump.await;
            }
        }
    }

    /// How many runtimes are open (the bench and tests).
    pub fn open_count(&self) -> usize {
        self.map().len()
    }

    /// Nobody watches and nothing runs: mark closing (the caller stops the runtime).
    fn should_close(st: &mut SessionState) -> bool {
        if st.watchers == 0 && st.idle() && !st.closing {
            st.closing = true;
            return true;
        }
        false
    }

    fn close(&self, session: &Arc<OpenSession>) {
        let mut map = self.map();
        if map
            .get(&session.id)
            .is_some_and(|s| Arc::ptr_eq(s, session))
        {
            map.remove(&session.id);
        }
        drop(map);
        tracing::info!(session = %session.id, "serve: idle and unwatched, runtime stopped");
        let _ = session.ops.send(Op::Shutdown);
    }

    /// The runtime's events into the log until it stops.
    async fn pump(
        self: Arc<Self>,
        session: Arc<OpenSession>,
        mut events: UnboundedReceiver<Event>,
        join: JoinHandle<()>,
    ) {
        while let Some(event) = events.recv().await {
            let done = matches!(event, Event::ShutdownComplete);
            let json: Arc<str> = match serde_json::to_string(&event) {
                Ok(j) => j.into(),
                Err(e) => {
                    tracing::warn!(%e, "serve: an event could not be serialized");
                    continue;
                }
            };
            let id = self.ids.next();
            let close = {
                let mut st = session.lock();
                track(&mut st, &event);
                st.log.push_event(id, &event, json);
                matches!(event, Event::TurnFinished(_) | Event::Error { .. })
                    && Hub::should_close(&mut st)
            };
            session.changed.send_replace(id);
            if close {
                self.close(&session);
            }
            if done {
                break;
            }
        }
        let _ = join.await;
        session.lock().log.closed = true;
        session.changed.send_replace(self.ids.current());
        let mut map = self.map();
        if map
            .get(&session.id)
            .is_some_and(|s| Arc::ptr_eq(s, &session))
        {
            map.remove(&session.id);
        }
    }
}

/// What an event changes in the session's state.
fn track(st: &mut SessionState, event: &Event) {
    match event {
        Event::TurnStarted { .. } => {
            st.running = true;
            st.awaiting = st.awaiting.saturating_sub(1);
        }
        Event::TurnFinished(_) => {
            st.running = false;
            st.pending.clear();
        }
        Event::ApprovalRequested(ApprovalRequested {
            request_id,
            suggested_rule,
            ..
        }) => {
            st.pending.insert(*request_id, suggested_rule.clone());
        }
        Event::ApprovalWithdrawn { request_id } => {
            st.pending.remove(request_id);
        }
        // A message refused before any turn started (no provider).
        Event::Error {
            kind: ErrorKind::NoProvider,
            ..
        } => st.awaiting = st.awaiting.saturating_sub(1),
        // The wait for another pincer's turn was given up: the queued messages were dropped.
        Event::SessionBusy(SessionBusy { waiting: false, .. }) => st.awaiting = 0,
        _ => {}
    }
}
