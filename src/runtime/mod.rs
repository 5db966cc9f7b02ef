//! The agent runtime: a task that owns the conversation, the provider and the store.
//! Front ends talk to it only through [`RuntimeHandle`]: `Op`s in, `Event`s out.

mod storage;
mod turn;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Overrides, ResolveError, ResolvedProvider, resolve_provider};
use crate::protocol::{
    ErrorKind, Event, Finding, NoticeLevel, OnboardingReport, Op, Role, TokenUsage, TurnOutcome,
};
use crate::provider::retry::RetryPolicy;
use crate::provider::{ChatMessage, ChatRequest, ProviderClient, probe};
use crate::store::{NewSession, title_from};

pub use storage::StoreHandle;
pub use turn::estimate_tokens;

/// Reads an environment variable; injectable so tests never depend on the real environment.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub fn real_env() -> EnvLookup {
    Arc::new(|k: &str| std::env::var(k).ok())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    New,
    /// Reopen the most recent session of the working directory.
    ContinueLast,
}

pub struct RuntimeSettings {
    pub config: Config,
    pub config_path: PathBuf,
    /// The provider chosen at start, or why none is usable.
    pub provider: Result<ResolvedProvider, ResolveError>,
    /// `None`: an in-memory database (nothing persists).
    pub database: Option<PathBuf>,
    pub cwd: String,
    pub resume: Resume,
    /// Problems found before the runtime started (config file errors), shown to the user.
    pub startup_errors: Vec<(ErrorKind, String)>,
    /// Look for local servers when no provider is usable (off in headless mode and most tests).
    pub probe_when_unconfigured: bool,
    pub env: EnvLookup,
}

pub struct RuntimeHandle {
    pub ops: UnboundedSender<Op>,
    pub events: UnboundedReceiver<Event>,
    pub join: JoinHandle<()>,
}

/// Start the runtime task on the current tokio runtime.
pub fn spawn(settings: RuntimeSettings) -> RuntimeHandle {
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let join = tokio::spawn(Runtime::new(settings, ev_tx).run(op_rx));
    RuntimeHandle {
        ops: op_tx,
        events: ev_rx,
        join,
    }
}

enum Wake {
    Op(Option<Op>),
    Probe(Vec<Finding>),
    TurnDone(Result<turn::TurnResult, tokio::task::JoinError>),
}

struct ActiveTurn {
    id: u64,
    cancel: CancellationToken,
    task: JoinHandle<turn::TurnResult>,
    started: Instant,
}

struct Runtime {
    settings: RuntimeSettings,
    events: UnboundedSender<Event>,
    provider: Option<ResolvedProvider>,
    client: Option<Arc<ProviderClient>>,
    store: Option<StoreHandle>,
    session_id: Option<String>,
    conversation: Vec<ChatMessage>,
    queue: VecDeque<String>,
    active: Option<ActiveTurn>,
    next_turn_id: u64,
    /// Why no provider is usable (onboarding), when none is.
    unconfigured_reason: Option<String>,
}

impl Runtime {
    fn new(mut settings: RuntimeSettings, events: UnboundedSender<Event>) -> Runtime {
        let (provider, unconfigured_reason) = match std::mem::replace(
            &mut settings.provider,
            Err(ResolveError::NothingConfigured {
                config_path: String::new(),
            }),
        ) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Runtime {
            settings,
            events,
            provider,
            client: None,
            store: None,
            session_id: None,
            conversation: Vec::new(),
            queue: VecDeque::new(),
            active: None,
            next_turn_id: 1,
            unconfigured_reason,
        }
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn error(&self, kind: ErrorKind, message: impl Into<String>) {
        self.emit(Event::Error {
            kind,
            message: message.into(),
            retryable: false,
        });
    }

    async fn run(mut self, mut ops: UnboundedReceiver<Op>) {
        let (probe_tx, mut probe_rx) = mpsc::unbounded_channel::<Vec<Finding>>();
        self.start(probe_tx).await;
        loop {
            let wake = tokio::select! {
                op = ops.recv() => Wake::Op(op),
                Some(findings) = probe_rx.recv() => Wake::Probe(findings),
                result = async {
                    match self.active.as_mut() {
                        Some(a) => (&mut a.task).await,
                        None => std::future::pending().await,
                    }
                } => Wake::TurnDone(result),
            };
            match wake {
                Wake::Op(None | Some(Op::Shutdown)) => break,
                Wake::Op(Some(op)) => self.handle(op).await,
                Wake::Probe(findings) => self.emit_onboarding(true, findings),
                Wake::TurnDone(result) => {
                    if let Some(active) = self.active.take() {
                        self.finish_turn(active, result).await;
                    }
                    self.start_next().await;
                }
            }
            if self.events.is_closed() {
                break;
            }
        }
        self.stop_active().await;
        self.emit(Event::ShutdownComplete);
    }

    async fn start(&mut self, probe_tx: UnboundedSender<Vec<Finding>>) {
        match StoreHandle::open(self.settings.database.clone()).await {
            Ok(store) => self.store = Some(store),
            Err(e) => self.error(
                ErrorKind::Storage,
                format!("{e} — this conversation will not be saved"),
            ),
        }
        let mut history = Vec::new();
        let mut session_tokens = 0;
        if self.settings.resume == Resume::ContinueLast {
            let cwd = self.settings.cwd.clone();
            if let Some(store) = &self.store {
                let found = store
                    .call(move |s| {
                        let Some(id) = s.latest_session_in(&cwd)? else {
                            return Ok(None);
                        };
                        Ok(Some((id.clone(), s.load_session(&id)?)))
                    })
                    .await;
                match found {
                    Ok(Some((id, loaded))) => {
                        if loaded.skipped_rows > 0 {
                            self.emit(Event::Notice {
                                level: NoticeLevel::Warning,
                                message: format!(
                                    "{} stored item(s) of this session could not be read and are left out",
                                    loaded.skipped_rows
                                ),
                            });
                        }
                        self.conversation = loaded
                            .items
                            .iter()
                            .filter(|i| !i.text.is_empty())
                            .map(|i| ChatMessage {
                                role: i.role,
                                content: i.text.clone(),
                            })
                            .collect();
                        history = loaded.items;
                        session_tokens = loaded.total_tokens;
                        self.session_id = Some(id);
                    }
                    Ok(None) => self.emit(Event::Notice {
                        level: NoticeLevel::Info,
                        message: "no earlier session in this directory: starting a new one".into(),
                    }),
                    Err(e) => self.error(
                        ErrorKind::Storage,
                        format!("cannot load the last session: {e}"),
                    ),
                }
            }
        }
        let input_history = match &self.store {
            Some(store) => store
                .call(|s| s.recent_prompts(200))
                .await
                .unwrap_or_default(),
            None => Vec::new(),
        };
        self.emit(Event::SessionConfigured {
            session_id: self.session_id.clone(),
            provider: self.provider.as_ref().map(ResolvedProvider::info),
            history,
            input_history,
            session_tokens,
        });
        for (kind, message) in std::mem::take(&mut self.settings.startup_errors) {
            self.error(kind, message);
        }
        if self.provider.is_none() {
            let probe = self.settings.probe_when_unconfigured;
            self.emit_onboarding(!probe, probe::env_findings(self.settings.env.as_ref()));
            if probe {
                let env = Arc::clone(&self.settings.env);
                tokio::spawn(async move {
                    let mut findings = probe::local_servers().await;
                    findings.extend(probe::env_findings(env.as_ref()));
                    let _ = probe_tx.send(findings);
                });
            }
        }
    }

    fn emit_onboarding(&self, probe_done: bool, findings: Vec<Finding>) {
        if self.provider.is_some() {
            return;
        }
        self.emit(Event::Onboarding {
            report: OnboardingReport {
                reason: self.unconfigured_reason.clone().unwrap_or_default(),
                probe_done,
                findings,
                config_path: self.settings.config_path.display().to_string(),
            },
        });
    }

    async fn handle(&mut self, op: Op) {
        match op {
            Op::UserMessage { text } => {
                if text.trim().is_empty() {
                    return;
                }
                if self.provider.is_none() {
                    self.error(
                        ErrorKind::NoProvider,
                        format!(
                            "{} — your message was not sent",
                            self.unconfigured_reason
                                .as_deref()
                                .unwrap_or("no model provider configured")
                        ),
                    );
                    return;
                }
                self.queue.push_back(text);
                if self.active.is_none() {
                    self.start_next().await;
                }
            }
            Op::Interrupt => {
                if let Some(active) = &self.active {
                    active.cancel.cancel();
                }
            }
            Op::NewSession => {
                self.stop_active().await;
                self.queue.clear();
                self.session_id = None;
                self.conversation.clear();
                let input_history = match &self.store {
                    Some(store) => store
                        .call(|s| s.recent_prompts(200))
                        .await
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                self.emit(Event::SessionConfigured {
                    session_id: None,
                    provider: self.provider.as_ref().map(ResolvedProvider::info),
                    history: Vec::new(),
                    input_history,
                    session_tokens: 0,
                });
            }
            Op::SetModel { name } => self.set_model(name.trim()),
            Op::Shutdown => {} // handled by the loop
        }
    }

    fn set_model(&mut self, name: &str) {
        let config = &self.settings.config;
        if name.is_empty() {
            let current = self
                .provider
                .as_ref()
                .map(|p| {
                    format!(
                        "{} / {}",
                        p.profile,
                        if p.model.is_empty() {
                            "(server default)"
                        } else {
                            &p.model
                        }
                    )
                })
                .unwrap_or_else(|| "none".into());
            self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: format!(
                    "current: {current}. Profiles: {}. Use /model PROFILE or /model MODEL-ID",
                    config.profile_names().join(", ")
                ),
            });
            return;
        }
        if config.providers.contains_key(name) {
            // Switching profile: the profile's own settings, not the start-up overrides.
            let env = Arc::clone(&self.settings.env);
            let scoped = move |k: &str| match k {
                "PINCER_MODEL" | "PINCER_BASE_URL" | "PINCER_PROVIDER" => None,
                _ => env(k),
            };
            let overrides = Overrides {
                provider: Some(name.to_string()),
                ..Overrides::default()
            };
            let path = self.settings.config_path.display().to_string();
            match resolve_provider(config, &overrides, &path, &scoped) {
                Ok(p) => {
                    self.provider = Some(p);
                    self.unconfigured_reason = None;
                }
                Err(e) => {
                    self.error(ErrorKind::Config, e.to_string());
                    return;
                }
            }
        } else {
            match self.provider.as_mut() {
                Some(p) => p.model = name.to_string(),
                None => {
                    self.error(
                        ErrorKind::NoProvider,
                        format!(
                            "`{name}` is not a profile ({}), and there is no provider to set a model on",
                            config.profile_names().join(", ")
                        ),
                    );
                    return;
                }
            }
        }
        self.client = None;
        if let Some(p) = &self.provider {
            self.emit(Event::ProviderChanged { provider: p.info() });
        }
    }

    fn client(&mut self) -> Result<Arc<ProviderClient>, String> {
        if let Some(c) = &self.client {
            return Ok(Arc::clone(c));
        }
        let provider = self.provider.clone().ok_or("no provider configured")?;
        let client = ProviderClient::new(provider, self.settings.config.network.clone())
            .map_err(|e| e.to_string())?;
        let client = Arc::new(client);
        self.client = Some(Arc::clone(&client));
        Ok(client)
    }

    /// Start the next queued message, if any and if idle.
    async fn start_next(&mut self) {
        if self.active.is_some() {
            return;
        }
        let Some(text) = self.queue.pop_front() else {
            return;
        };
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => {
                self.error(ErrorKind::Internal, e);
                return;
            }
        };
        self.emit(Event::UserMessage { text: text.clone() });
        self.persist_user(&text).await;
        self.conversation.push(ChatMessage {
            role: Role::User,
            content: text,
        });
        let turn_id = self.next_turn_id;
        self.next_turn_id += 1;
        let cancel = CancellationToken::new();
        let input = turn::TurnInput {
            turn_id,
            client,
            request: ChatRequest {
                system: self.settings.config.system_prompt.clone(),
                messages: self.conversation.clone(),
            },
            policy: RetryPolicy::from(&self.settings.config.network),
            cancel: cancel.clone(),
            events: self.events.clone(),
        };
        self.emit(Event::TurnStarted { turn_id });
        self.active = Some(ActiveTurn {
            id: turn_id,
            cancel,
            task: tokio::spawn(turn::run(input)),
            started: Instant::now(),
        });
    }

    async fn stop_active(&mut self) {
        if let Some(mut active) = self.active.take() {
            active.cancel.cancel();
            let result = (&mut active.task).await;
            self.finish_turn(active, result).await;
        }
    }

    async fn finish_turn(
        &mut self,
        active: ActiveTurn,
        result: Result<turn::TurnResult, tokio::task::JoinError>,
    ) {
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                self.error(
                    ErrorKind::Internal,
                    format!("the turn stopped unexpectedly: {e}"),
                );
                turn::TurnResult {
                    text: String::new(),
                    outcome: TurnOutcome::Failed,
                    usage: None,
                    resolved_model: None,
                }
            }
        };
        // The turn already announced the model the server chose; remember it.
        if let (Some(model), Some(p)) = (&result.resolved_model, self.provider.as_mut())
            && p.model.is_empty()
        {
            p.model = model.clone();
            self.client = None;
        }
        let interrupted = result.outcome != TurnOutcome::Completed;
        if !result.text.is_empty() || result.outcome == TurnOutcome::Completed {
            self.persist_assistant(&result.text, interrupted, result.usage)
                .await;
            if !result.text.is_empty() {
                self.conversation.push(ChatMessage {
                    role: Role::Assistant,
                    content: result.text.clone(),
                });
            }
            self.emit(Event::AssistantMessageDone {
                turn_id: active.id,
                text: result.text,
                interrupted,
            });
        }
        tracing::info!(
            turn = active.id,
            outcome = ?result.outcome,
            ms = active.started.elapsed().as_millis() as u64,
            "turn finished"
        );
        self.emit(Event::TurnFinished {
            turn_id: active.id,
            outcome: result.outcome,
            usage: result.usage,
            duration_ms: active.started.elapsed().as_millis() as u64,
        });
    }

    async fn persist_user(&mut self, text: &str) {
        let Some(store) = self.store.clone() else {
            return;
        };
        if self.session_id.is_none() {
            let id = crate::store::new_session_id();
            let provider = self.provider.as_ref();
            let row = NewSession {
                id: id.clone(),
                title: title_from(text),
                cwd: self.settings.cwd.clone(),
                provider: provider.map(|p| p.profile.clone()).unwrap_or_default(),
                model: provider.map(|p| p.model.clone()).unwrap_or_default(),
            };
            match store.call(move |s| s.create_session(&row)).await {
                Ok(()) => self.session_id = Some(id),
                Err(e) => {
                    self.storage_failed(e);
                    return;
                }
            }
        }
        self.append(Role::User, text.to_string(), false, None).await;
    }

    async fn persist_assistant(
        &mut self,
        text: &str,
        interrupted: bool,
        usage: Option<TokenUsage>,
    ) {
        self.append(Role::Assistant, text.to_string(), interrupted, usage)
            .await;
    }

    async fn append(
        &mut self,
        role: Role,
        text: String,
        interrupted: bool,
        usage: Option<TokenUsage>,
    ) {
        let (Some(store), Some(id)) = (self.store.clone(), self.session_id.clone()) else {
            return;
        };
        if let Err(e) = store
            .call(move |s| s.append_item(&id, role, &text, interrupted, usage))
            .await
        {
            self.storage_failed(e);
        }
    }

    /// Stop writing after the first failure (what is stored stays stored) and say so once.
    fn storage_failed(&mut self, e: crate::store::StoreError) {
        tracing::error!(%e, "storage failed");
        self.store = None;
        self.error(
            ErrorKind::Storage,
            format!("{e} — the rest of this session is kept in memory only"),
        );
    }
}
