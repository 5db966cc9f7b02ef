//! The only contract between front ends (TUI, headless, later MCP/web) and the agent runtime.
//!
//! Front ends send [`Op`]s and receive [`Event`]s over in-process tokio channels. Both types are
//! plain serde data so `pincer -p --json` can print every event as one JSON line.

mod chain;
mod input;
mod mcp;
mod memory;
mod memory_text;
mod models;
mod onboarding;
mod pipeline;
mod session_events;
mod sessions;
mod skill_events;
mod task;
mod turn_events;
mod types;

use serde::{Deserialize, Serialize};

pub use chain::*;
pub use input::*;
pub use mcp::*;
pub use memory::*;
pub use models::*;
pub use onboarding::*;
pub use pipeline::*;
pub use session_events::*;
pub use sessions::*;
pub use skill_events::*;
pub use task::*;
pub use turn_events::*;
pub use types::*;

/// What a front end asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Send a user message. Queued when a turn is already running.
    UserMessage {
        text: String,
    },
    /// `UserMessage` with the parts the user pasted marked (shown collapsed).
    ComposedMessage(ComposedMessage),
    /// Stop the running turn; the partial reply is kept and marked interrupted.
    Interrupt,
    /// Start a fresh session (the old one stays stored).
    NewSession,
    /// Switch model: a provider profile name, or a model id for the current profile. The
    /// target is probed first; an unreachable one is not switched to. An empty name lists
    /// (`ModelList`).
    SetModel {
        name: String,
    },
    /// Ask for the profiles and the server's models (answered by `ModelList`).
    ListModels,
    /// Answer an `ApprovalRequested` event.
    ApprovalDecision {
        request_id: u64,
        decision: ApprovalDecision,
    },
    /// Change how tool calls are gated from now on.
    SetMode {
        mode: ApprovalMode,
    },
    /// Ask for the stored sessions (answered by `SessionList`).
    ListSessions {
        scope: SessionScope,
    },
    /// Ask for the last messages of a stored session (answered by `SessionPreview`).
    PreviewSession {
        id: String,
    },
    /// Switch to a stored session; its transcript comes back in `SessionConfigured`.
    ResumeSession {
        id: String,
    },
    /// Start a child session sharing the history of `id` before item `before_item`
    /// (the whole session when `None`) and switch to it.
    ForkSession {
        id: String,
        before_item: Option<i64>,
    },
    RenameSession {
        id: String,
        title: String,
    },
    ArchiveSession {
        id: String,
        archived: bool,
    },
    /// Delete a session and its items (its forks are kept, detached).
    DeleteSession {
        id: String,
    },
    /// Write a session to a file under the data dir's `exports/`; answered by a `Notice`.
    ExportSession {
        id: String,
        format: ExportFormat,
    },
    /// Compact the conversation now (older turns → a summary item).
    Compact,
    /// Send a skill's body (read fresh, `$ARGUMENTS` replaced) as a user message: `/name args`.
    UseSkill {
        name: String,
        args: String,
    },
    /// Ask for a skill's body for a preview (answered by `SkillPreview`).
    PreviewSkill {
        name: String,
    },
    /// Scan the skill folders again now (after the editor closed, or on request).
    ReloadSkills,
    /// Create a skill from the template in the per-user skills folder (answered by
    /// `SkillCreated`, after which the front end opens it in the editor).
    CreateSkill {
        name: String,
    },
    /// Copy a bundled skill into the user's skills folder to edit it (answered by
    /// `SkillCreated`, like `CreateSkill`).
    CopyBundledSkill(CopyBundledSkill),
    /// Answer a `ProjectTrustRequest`: load (and remember) this project's skills and rules, or not.
    TrustProject {
        trust: bool,
    },
    /// Ask for memory entries, filtered as the user types (answered by `MemoryList`).
    ListMemory {
        scope: MemoryScopeFilter,
        query: String,
    },
    /// Forget one memory entry: its text leaves the files, the index and the vectors.
    ForgetMemory {
        id: String,
    },
    PinMemory {
        id: String,
        pinned: bool,
    },
    /// Undo a change announced by `MemoryChanged`.
    UndoMemoryChange {
        change_id: u64,
    },
    /// `!command` from the composer: run it through the shell tool's gate (it may ask) and put
    /// its output in the conversation as context the user gave (the model sees it next turn).
    RunShell {
        command: String,
    },
    /// Ask for the workspace's files for `@` completion (answered by `FileList`).
    ListFiles,
    /// Take a queued message back before it runs (answered by `QueueWithdrawn`, or a notice
    /// when it already started).
    WithdrawQueued {
        id: u64,
    },
    /// Ask what the last request contained and what the next one would (answered by
    /// `ContextReport`); `draft` is the composer's text, planned as the next message.
    ShowContext {
        #[serde(default)]
        draft: String,
    },
    /// Onboarding: write a working profile for what the probe found, then use it.
    WriteProfile(WriteProfile),
    /// `/task plan|apply FILE`: a declarative task run by the runtime (answered by `Task`
    /// events; an apply asks one `ApprovalRequested` for all its commands).
    Task(TaskRequest),
    /// Stop the runtime.
    Shutdown,
}

/// What the runtime tells front ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Sent once at start and after `NewSession` / a resumed session.
    SessionConfigured(SessionConfigured),
    /// The active provider or model changed.
    ProviderChanged {
        provider: ProviderInfo,
    },
    /// No usable provider: what the start-up probe found and how to configure.
    Onboarding {
        report: OnboardingReport,
    },
    /// Sent once at start: how tool calls are gated and whether shell commands are sandboxed.
    PolicyConfigured {
        mode: ApprovalMode,
        workspace: String,
        sandbox: String,
    },
    /// The session got its stored row (with its first message): from now on it can be
    /// renamed, forked and exported by this id.
    SessionStored {
        session_id: String,
    },
    /// The stored session was deleted again: its first message never reached a model.
    SessionDropped(SessionDropped),
    /// Another pincer (process or runtime) wrote to this session since this runtime last
    /// looked; the model's conversation was reloaded from the store before this turn, and
    /// `items` are the new ones for the transcript (`count` stored rows).
    SessionItemsAppended(SessionItemsAppended),
    /// Another pincer runs a turn on this session (`holder_pid` when known). `waiting: true`:
    /// queued messages run once it finishes; `waiting: false`: the wait was given up and the
    /// queued messages were dropped.
    SessionBusy(SessionBusy),
    /// A user message was accepted and is about to be sent.
    UserMessage(UserMessage),
    TurnStarted {
        turn_id: u64,
    },
    AssistantDelta(AssistantDelta),
    /// The assistant message is complete (or was cut short).
    AssistantMessageDone(AssistantMessageDone),
    /// A request failed transiently and is retried. The reply streaming in this turn (the
    /// `AssistantDelta`s since the last `AssistantMessageDone`) is discarded: front ends drop
    /// what they showed of it, and the retry's reply starts from the beginning.
    Retrying(Retrying),
    TurnFinished(TurnFinished),
    Error {
        kind: ErrorKind,
        message: String,
        retryable: bool,
    },
    /// Informational message for the user (config warnings, model switched, …).
    Notice {
        level: NoticeLevel,
        message: String,
    },
    /// The model called a tool; it is being checked against the policy.
    ToolCallStarted(ToolCallStarted),
    /// A call the gate let through starts running now (until then it waits its turn).
    ToolCallRunning(ToolCallRunning),
    /// The policy asks the user. Answer with `Op::ApprovalDecision`.
    ApprovalRequested(ApprovalRequested),
    /// A pending approval no longer needs an answer (an earlier answer covers it, or the
    /// turn stopped).
    ApprovalWithdrawn {
        request_id: u64,
    },
    ToolCallFinished(ToolCallFinished),
    ModeChanged {
        mode: ApprovalMode,
    },
    /// The stored sessions, newest first (answer to `ListSessions`, and again after a change).
    SessionList(SessionList),
    /// The last messages of a stored session (answer to `PreviewSession`).
    SessionPreview(SessionPreview),
    /// How full the model's context window is (after each turn and after compaction).
    ContextUsage(ContextUsage),
    /// Older turns were replaced by a summary for the model; the transcript keeps them.
    Compacted(Compacted),
    /// The skills as they are now (at start and after every change).
    SkillsChanged(SkillsChanged),
    /// The model activated a skill (restricted: read-only tools from now on in this session).
    SkillActivated(SkillActivated),
    /// A new skill's SKILL.md was written (answer to `CreateSkill`).
    SkillCreated(SkillCreated),
    /// A skill's body (answer to `PreviewSkill`).
    SkillPreview(SkillPreview),
    /// The workspace has project skills (or rules) and is not trusted yet: ask once.
    ProjectTrustRequest(ProjectTrustRequest),
    /// Profiles and the server's models (answer to `ListModels` / `/model`).
    ModelList(ModelListing),
    /// Memory entries (answer to `ListMemory`, and again after a change).
    MemoryList(MemoryListing),
    /// Memory changed: a notice with the diff, undoable.
    MemoryChanged(MemoryChange),
    /// The workspace's files (answer to `ListFiles`).
    FileList(FileListing),
    /// The queued messages changed (sent only on a change).
    Queue(QueueState),
    /// A queued message was taken back (answer to `WithdrawQueued`).
    QueueWithdrawn(WithdrawnMessage),
    /// What the pipeline decided for a turn, before its first model call: spec, trace,
    /// policy, prompt segments, tools, model.
    TurnDiagnostics(Box<TurnDiagnostics>),
    /// Answer to `ShowContext`.
    ContextReport(Box<ContextReport>),
    /// A breaker change, failover, cache hit or tier escalation (one line for the user).
    ProviderHealth(ProviderHealth),
    /// Which tier answered under `[routing]` (the status line).
    TierAnswered(TierAnswer),
    /// The MCP servers changed state (the status line's counts).
    McpStatus(McpStatus),
    /// A task run's progress (answer to `Op::Task`).
    Task(TaskUpdate),
    /// The runtime stopped; no more events follow.
    ShutdownComplete,
}

#[cfg(test)]
#[path = "event_wire_tests.rs"]
mod event_wire_tests;
