//! The agent runtime: a task that owns the conversation, the provider, the policy and the store.
//! Front ends talk to it only through [`RuntimeHandle`]: `Op`s in, `Event`s out.

mod approvals;
mod attach;
mod auto_recall;
mod bang;
mod chain;
mod compact;
mod context;
mod export_name;
mod extract;
mod fetch_policy;
mod gate;
mod history;
mod mcp_hub;
mod mcp_tool;
mod memory;
mod memory_tool;
mod model_call;
mod models;
mod onboarding;
mod oneshot;
mod queue;
mod queue_edit;
mod reply_writer;
mod sessions;
mod skill_tool;
mod skills;
mod start;
mod storage;
#[cfg(feature = "tasks")]
mod task_job;
mod task_run;
mod tool_call;
mod turn;
mod turn_plan;
mod unanswered;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Permissions, ResolveError, ResolvedProvider};
use crate::protocol::{ApprovalMode, ErrorKind, Event, Finding, Op};
use crate::provider::{ChatMessage, ProviderClient};
use crate::tools::registry::ToolBox;

pub use gate::SharedGate;
pub use history::{Rebuilt, StoredCall, StoredResult, rebuild};
pub use memory_tool::render_hits as render_memory_hits;
pub use model_call::estimate_tokens;
pub use oneshot::ask_once;
pub use skill_tool::NAME as ACTIVATE_SKILL;
pub use start::build_gate;
pub use storage::StoreHandle;
pub use tool_call::status_name as status_label;
pub use turn_plan::explain;

use approvals::Approvals;

/// Reads an environment variable; injectable so tests never depend on the real environment.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub fn real_env() -> EnvLookup {
    Arc::new(|k: &str| std::env::var(k).ok())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    New,
    /// Reopen the most recent session of the working directory.
    ContinueLast,
    /// Reopen this session.
    Id(String),
}

pub struct RuntimeSettings {
    pub config: Config,
    pub config_path: PathBuf,
    /// The provider chosen at start, or why none is usable.
    pub provider: Result<ResolvedProvider, ResolveError>,
    /// `None`: an in-memory database (nothing persists).
    pub database: Option<PathBuf>,
    /// The workspace (canonical): tools work here, sessions are keyed by it.
    pub workspace: PathBuf,
    pub resume: Resume,
    /// Problems found before the runtime started (config file errors), shown to the user.
    pub startup_errors: Vec<(ErrorKind, String)>,
    /// Look for local servers when no provider is usable (off in headless mode and most tests).
    pub probe_when_unconfigured: bool,
    /// Ask a local server for its context window after start-up (TUI; off in headless mode
    /// and most tests, whose scripted servers answer only what they are asked).
    pub learn_window_at_start: bool,
    pub env: EnvLookup,
    /// A front end can answer approval requests (TUI); headless cannot.
    pub interactive: bool,
    /// `--mode`, over the config's mode.
    pub mode_override: Option<ApprovalMode>,
    /// `--allow RULE` rules for this run.
    pub extra_allow: Vec<String>,
    /// The project's `.pincer/config.toml` rules, and whether its allow rules are trusted.
    pub project_permissions: Permissions,
    pub project_trusted: bool,
    /// pincer's executable, re-executed as the sandbox helper for shell commands.
    pub exe: PathBuf,
    /// Scratch space for tools and sandboxed commands.
    pub temp_dir: PathBuf,
    /// Offer tools to the model at all.
    pub tools_enabled: bool,
    /// Where skills are read from; `None`: no skills (tests, embedders).
    pub skill_roots: Option<crate::skills::SkillRoots>,
    /// The memory folder (`<data>/memory`): core memory for the prompt, the memory tools and
    /// index; `None`: no memory (tests, embedders).
    pub memory_dir: Option<PathBuf>,
    /// `--model` / `--provider` (or their variables) chose the model: `[routing]` is off.
    pub model_pinned: bool,
    /// Where `[cache] responses = true` keeps replies; `None`: no response cache.
    pub response_cache_dir: Option<PathBuf>,
}

impl RuntimeSettings {
    /// Settings with defaults for everything but the essentials (tests and embedders).
    pub fn new(
        config: Config,
        provider: Result<ResolvedProvider, ResolveError>,
        workspace: PathBuf,
    ) -> Self {
        RuntimeSettings {
            config,
            config_path: PathBuf::from("config.toml"),
            provider,
            database: None,
            temp_dir: std::env::temp_dir().join(format!("pincer-{}", std::process::id())),
            workspace,
            resume: Resume::New,
            startup_errors: Vec::new(),
            probe_when_unconfigured: false,
            learn_window_at_start: false,
            env: real_env(),
            interactive: true,
            mode_override: None,
            extra_allow: Vec::new(),
            project_permissions: Permissions::default(),
            project_trusted: false,
            exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("pincer")),
            tools_enabled: true,
            skill_roots: None,
            memory_dir: None,
            model_pinned: false,
            response_cache_dir: None,
        }
    }
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
    /// A skill folder changed.
    Skills,
    /// A memory folder changed.
    Memory,
    Probe(Vec<Finding>),
    /// A server reported its context window.
    WindowLearned,
    Mcp(crate::mcp::hub::HubUpdate),
    TurnDone(Result<turn::TurnResult, tokio::task::JoinError>),
    /// The session's lease, waited for because another pincer held it.
    Lease(LeaseWaited),
}

type LeaseWaited =
    Result<Result<crate::store::SessionLease, crate::store::StoreError>, tokio::task::JoinError>;

struct ActiveTurn {
    id: u64,
    cancel: CancellationToken,
    task: JoinHandle<turn::TurnResult>,
    started: Instant,
}

pub(crate) struct Runtime {
    settings: RuntimeSettings,
    events: UnboundedSender<Event>,
    provider: Option<ResolvedProvider>,
    client: Option<Arc<ProviderClient>>,
    store: Option<StoreHandle>,
    session_id: Option<String>,
    /// The running turn's message created the session row (`unanswered.rs`).
    fresh_session: bool,
    conversation: Vec<ChatMessage>,
    /// Waiting messages with their ids (`queue_edit.rs`).
    queue: VecDeque<(u64, queue::Queued)>,
    queue_ids: queue_edit::QueueIds,
    active: Option<ActiveTurn>,
    next_turn_id: u64,
    /// Why no provider is usable (onboarding), when none is.
    unconfigured_reason: Option<String>,
    gate: SharedGate,
    approvals: Approvals,
    toolbox: Arc<ToolBox>,
    /// The latest compaction summary (sent in the system prompt).
    summary: Option<String>,
    /// Prompt + reply tokens the provider reported for the last request (0: unknown).
    reported_context: u64,
    /// Token total of the loaded session (shown in the status line).
    session_tokens: u64,
    /// Notices about a loaded session, sent right after its `SessionConfigured`.
    after_configured: Vec<Event>,
    /// The scope of the last `ListSessions`, for lists sent again after a change.
    list_scope: crate::protocol::SessionScope,
    skills: Option<skills::Skills>,
    /// Skills the loaded session activated (a restricted one keeps it read-only).
    session_skills: Vec<String>,
    /// The user was told the window is full and nothing can be compacted (once a session).
    warned_full: bool,
    /// The session's lease, held from storing a message until its turn finished (`queue.rs`).
    lease: Option<crate::store::SessionLease>,
    /// Waiting for the lease while another pincer runs a turn on this session.
    lease_wait: Option<JoinHandle<Result<crate::store::SessionLease, crate::store::StoreError>>>,
    /// The newest item of the session this runtime has taken in (items after it written by
    /// another pincer are loaded before the next turn).
    seen_item: i64,
    /// The id a new session will get (its lease is taken before its row is written).
    planned_session: Option<String>,
    /// The workspace's files for `@` completion, walked once until the next turn (`attach.rs`).
    file_cache: Option<crate::protocol::FileListing>,
    memory: Option<memory::RuntimeMemory>,
    /// The scope of the last `ListMemory`, for lists sent again after a change.
    memory_scope: crate::protocol::MemoryScopeFilter,
    /// The pipeline (`turn_plan.rs`): project instructions and core memory as last read,
    /// problems already reported, what the last turn was, the token calibration, and the last
    /// turn's diagnostics and system prompt.
    injections: turn_plan::Injections,
    reported_problems: Vec<String>,
    session_state: crate::pipeline::SessionState,
    calibration: crate::pipeline::Calibration,
    last_diagnostics: Option<crate::protocol::TurnDiagnostics>,
    last_system: Option<Option<String>>,
    /// Routing, breakers, failover and the response cache, shared by all turns.
    chain: Arc<chain::ProviderChain>,
    /// The start-up provider and the context windows servers reported (`models.rs`).
    models: models::ModelState,
    /// A running `[memory] extract` pass (`extract.rs`), cancelled by the next message.
    extraction: Option<CancellationToken>,
    /// MCP servers (`mcp_hub.rs`), once the op loop started.
    mcp: Option<mcp_hub::RuntimeMcp>,
    /// The `/task apply` run in progress (`task_run.rs`).
    task_run: task_run::TaskSlot,
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
        if let Some(key) = provider.as_ref().and_then(|p| p.api_key.as_deref()) {
            crate::redact::add_exact(key);
        }
        let models = models::ModelState::new(provider.clone());
        let gate = start::build_gate(&settings);
        let toolbox = Arc::new(ToolBox::builtin().with_hop_policy(Arc::new(gate.clone())));
        let chain = Arc::new(chain::ProviderChain::new(
            &settings.config,
            settings.config_path.display().to_string(),
            Arc::clone(&settings.env),
            settings.response_cache_dir.clone(),
            Arc::new(chain::breaker::SystemClock),
            settings.model_pinned,
        ));
        Runtime {
            chain,
            settings,
            events,
            provider,
            client: None,
            store: None,
            session_id: None,
            fresh_session: false,
            conversation: Vec::new(),
            queue: VecDeque::new(),
            queue_ids: Default::default(),
            active: None,
            next_turn_id: 1,
            unconfigured_reason,
            gate,
            approvals: Approvals::default(),
            toolbox,
            summary: None,
            reported_context: 0,
            session_tokens: 0,
            after_configured: Vec::new(),
            list_scope: crate::protocol::SessionScope::default(),
            skills: None,
            session_skills: Vec::new(),
            warned_full: false,
            lease: None,
            lease_wait: None,
            seen_item: 0,
            planned_session: None,
            file_cache: None,
            memory: None,
            memory_scope: crate::protocol::MemoryScopeFilter::default(),
            injections: Default::default(),
            reported_problems: Vec::new(),
            session_state: Default::default(),
            calibration: Default::default(),
            last_diagnostics: None,
            last_system: None,
            models,
            extraction: None,
            mcp: None,
            task_run: Default::default(),
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
        let (skills_tx, mut skills_rx) = mpsc::unbounded_channel::<()>();
        let (memory_tx, mut memory_rx) = mpsc::unbounded_channel::<()>();
        self.start(probe_tx, skills_tx).await;
        self.start_memory(memory_tx);
        self.start_task_watch();
        let (mcp_tx, mut mcp_rx) = mpsc::unbounded_channel();
        self.start_mcp(mcp_tx);
        if !self.settings.interactive {
            self.settle_mcp(&mut mcp_rx).await;
        }
        let mut window_learned = self.models.take_learned();
        if self.settings.learn_window_at_start {
            self.learn_window();
        }
        loop {
            let active = self.active.as_mut();
            let lease_wait = self.lease_wait.as_mut();
            let wake = tokio::select! {
                op = ops.recv() => Wake::Op(op),
                Some(findings) = probe_rx.recv() => Wake::Probe(findings),
                Some(()) = window_learned.recv() => Wake::WindowLearned,
                Some(update) = mcp_rx.recv() => Wake::Mcp(update),
                Some(()) = skills_rx.recv() => {
                    // One rescan for a burst of changes.
                    while skills_rx.try_recv().is_ok() {}
                    Wake::Skills
                }
                Some(()) = memory_rx.recv() => {
                    while memory_rx.try_recv().is_ok() {}
                    Wake::Memory
                }
                result = async {
                    match active {
                        Some(a) => (&mut a.task).await,
                        None => std::future::pending().await,
                    }
                } => Wake::TurnDone(result),
                result = async {
                    match lease_wait {
                        Some(w) => w.await,
                        None => std::future::pending().await,
                    }
                } => Wake::Lease(result),
            };
            match wake {
                Wake::Op(None | Some(Op::Shutdown)) => break,
                Wake::Op(Some(op)) => self.handle(op).await,
                Wake::Probe(findings) => self.emit_onboarding(true, findings),
                Wake::WindowLearned => self.emit_context_usage(),
                Wake::Mcp(update) => self.on_mcp(update),
                Wake::Skills => self.rescan_skills(false).await,
                Wake::Memory => self.sync_memory(),
                Wake::TurnDone(result) => {
                    self.file_cache = None;
                    if let Some(active) = self.active.take() {
                        self.finish_turn(active, result).await;
                    }
                    self.sync_memory();
                    self.start_next().await;
                }
                Wake::Lease(result) => self.lease_waited(result).await,
            }
            self.emit_queue_if_changed();
            if self.events.is_closed() {
                break;
            }
        }
        self.task_run.cancel();
        self.stop_active().await;
        self.stop_mcp().await;
        self.emit(Event::ShutdownComplete);
    }

    async fn handle(&mut self, op: Op) {
        match op {
            Op::UserMessage { text } => self.user_message(text, Vec::new()).await,
            Op::ComposedMessage(m) => self.user_message(m.text, m.pastes).await,
            Op::Interrupt => {
                if let Some(active) = &self.active {
                    active.cancel.cancel();
                } else {
                    self.stop_waiting();
                }
            }
            Op::NewSession => {
                self.stop_active().await;
                self.queue.clear();
                self.leave_session();
                self.gate.lock().end_session();
                self.session_id = None;
                self.conversation.clear();
                self.summary = None;
                self.reported_context = 0;
                self.session_tokens = 0;
                self.reset_restricted();
                self.session_skills.clear();
                self.warned_full = false;
                self.session_state = Default::default();
                self.last_system = None;
                self.configured(Vec::new()).await;
            }
            Op::SetModel { name } => self.set_model(name.trim()).await,
            Op::ListModels => self.list_models(),
            Op::ApprovalDecision {
                request_id,
                decision,
            } => {
                if !self.approvals.resolve(request_id, decision) {
                    tracing::debug!(
                        request_id,
                        "approval answer for a request no longer waiting"
                    );
                }
            }
            Op::SetMode { mode } => {
                self.gate.lock().mode = mode;
                self.emit(Event::ModeChanged { mode });
            }
            Op::ListSessions { scope } => self.list_sessions(scope).await,
            Op::PreviewSession { id } => self.preview_session(id).await,
            Op::ResumeSession { id } => self.resume_session(id).await,
            Op::ForkSession { id, before_item } => self.fork_session(id, before_item).await,
            Op::RenameSession { id, title } => self.rename_session(id, title).await,
            Op::ArchiveSession { id, archived } => self.archive_session(id, archived).await,
            Op::DeleteSession { id } => self.delete_session(id).await,
            Op::ExportSession { id, format } => self.export_session(id, format).await,
            Op::UseSkill { name, args } => self.use_skill(name, args).await,
            Op::PreviewSkill { name } => self.preview_skill(name).await,
            Op::ReloadSkills => self.rescan_skills(true).await,
            Op::CreateSkill { name } => self.create_skill(name).await,
            Op::CopyBundledSkill(req) => self.copy_bundled_skill(req.name).await,
            Op::TrustProject { trust } => self.trust_project(trust).await,
            Op::Compact => {
                if self.active.is_some() {
                    self.emit(Event::Notice {
                        level: crate::protocol::NoticeLevel::Info,
                        message: "a reply is running: /compact again when it is done (or Esc)"
                            .into(),
                    });
                } else {
                    self.maybe_compact(context::Trigger::User).await;
                }
            }
            op @ (Op::ListMemory { .. }
            | Op::ForgetMemory { .. }
            | Op::PinMemory { .. }
            | Op::UndoMemoryChange { .. }) => self.handle_memory_op(op).await,
            Op::RunShell { command } => self.run_shell(command).await,
            Op::ListFiles => self.list_files().await,
            Op::WithdrawQueued { id } => self.withdraw_queued(id),
            Op::ShowContext { draft } => self.show_context(draft).await,
            Op::WriteProfile(req) => self.write_profile(req).await,
            Op::Task(req) => self.task_op(req),
            Op::Shutdown => {} // handled by the loop
        }
    }

    async fn input_history(&self) -> Vec<String> {
        match &self.store {
            Some(store) => store
                .call(|s| s.recent_prompts(200))
                .await
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}
