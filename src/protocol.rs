//! The only contract between front ends (TUI, headless, later MCP/web) and the agent runtime.
//!
//! Front ends send [`Op`]s and receive [`Event`]s over in-process tokio channels. Both types are
//! plain serde data so `pincer -p --json` can print every event as one JSON line.

use serde::{Deserialize, Serialize};

/// What a front end asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Send a user message. Queued when a turn is already running.
    UserMessage {
        text: String,
    },
    /// Stop the running turn; the partial reply is kept and marked interrupted.
    Interrupt,
    /// Start a fresh session (the old one stays stored).
    NewSession,
    /// Switch model: a provider profile name, or a model id for the current profile.
    /// An empty name asks for the list of profiles.
    SetModel {
        name: String,
    },
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
    /// Answer a `ProjectTrustRequest`: load (and remember) this project's skills and rules, or not.
    TrustProject {
        trust: bool,
    },
    /// Stop the runtime.
    Shutdown,
}

/// What the runtime tells front ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Sent once at start and after `NewSession` / a resumed session.
    SessionConfigured {
        /// `None` until the first message is stored.
        session_id: Option<String>,
        provider: Option<ProviderInfo>,
        /// Earlier messages when a session was resumed.
        history: Vec<HistoryItem>,
        /// Recent prompts (newest last) for the composer's Up/Down history.
        input_history: Vec<String>,
        /// Token totals of the (resumed) session.
        session_tokens: u64,
    },
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
    /// A user message was accepted and is about to be sent.
    UserMessage {
        text: String,
        /// Its stored row (for forking from it); `None` when nothing is stored.
        #[serde(default)]
        item_id: Option<i64>,
    },
    TurnStarted {
        turn_id: u64,
    },
    AssistantDelta {
        turn_id: u64,
        text: String,
    },
    /// The assistant message is complete (or was cut short).
    AssistantMessageDone {
        turn_id: u64,
        text: String,
        interrupted: bool,
    },
    /// A request failed transiently and is retried; any partial reply of this turn is discarded.
    Retrying {
        turn_id: u64,
        attempt: u32,
        max_attempts: u32,
        delay_ms: u64,
        reason: String,
    },
    TurnFinished {
        turn_id: u64,
        outcome: TurnOutcome,
        usage: Option<TokenUsage>,
        duration_ms: u64,
    },
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
    ToolCallStarted {
        turn_id: u64,
        call_id: String,
        tool: String,
        /// One line: "Run `cargo test` in ~/proj", "Edit src/main.rs".
        summary: String,
        risk: RiskLevel,
    },
    /// The policy asks the user. Answer with `Op::ApprovalDecision`.
    ApprovalRequested {
        request_id: u64,
        call_id: String,
        tool: String,
        summary: String,
        /// Why this asks ("mode ask: exec tools ask", "rule ask: shell: git push*").
        reason: String,
        preview: ApprovalPreview,
        decisions: Vec<DecisionKind>,
        /// The rule "always" would save; the user may edit it.
        suggested_rule: String,
    },
    /// A pending approval no longer needs an answer (an earlier answer covers it, or the
    /// turn stopped).
    ApprovalWithdrawn {
        request_id: u64,
    },
    ToolCallFinished {
        turn_id: u64,
        call_id: String,
        tool: String,
        status: ToolStatus,
        /// Who decided: "rule allow: shell: git status*", "mode yolo", "user", …
        decided_by: String,
        /// The whole output for the UI (capped); the model gets a compressed form.
        output: String,
        exit_code: Option<i32>,
        duration_ms: u64,
    },
    ModeChanged {
        mode: ApprovalMode,
    },
    /// The stored sessions, newest first (answer to `ListSessions`, and again after a change).
    SessionList {
        scope: SessionScope,
        sessions: Vec<SessionSummary>,
        /// The session this runtime is in, if stored.
        current: Option<String>,
    },
    /// The last messages of a stored session (answer to `PreviewSession`).
    SessionPreview {
        id: String,
        items: Vec<HistoryItem>,
    },
    /// How full the model's context window is (after each turn and after compaction).
    ContextUsage {
        used_tokens: u64,
        window_tokens: u64,
    },
    /// Older turns were replaced by a summary for the model; the transcript keeps them.
    Compacted {
        summary: String,
        replaced_messages: usize,
        tokens_before: u64,
        tokens_after: u64,
    },
    /// The skills as they are now (at start and after every change).
    SkillsChanged {
        skills: Vec<SkillInfo>,
        /// Where `n` creates a new skill (the per-user skills folder).
        user_dir: String,
        /// A restricted (installed) skill is active in this session: read-only tools only.
        restricted_active: bool,
    },
    /// The model activated a skill (restricted: read-only tools from now on in this session).
    SkillActivated {
        name: String,
        restricted: bool,
    },
    /// A new skill's SKILL.md was written (answer to `CreateSkill`).
    SkillCreated {
        name: String,
        path: String,
    },
    /// A skill's body (answer to `PreviewSkill`).
    SkillPreview {
        name: String,
        body: String,
    },
    /// The workspace has project skills (or rules) and is not trusted yet: ask once.
    ProjectTrustRequest {
        path: String,
        skill_folders: Vec<String>,
    },
    /// The runtime stopped; no more events follow.
    ShutdownComplete,
}

/// One skill as the skills pane and the slash popup show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillInfo {
    pub name: String,
    pub description: String,
    /// Where it was found: "project (.pincer/skills)", "user", "installed", "bundled", …
    pub source: String,
    /// Its SKILL.md (or `bundled:NAME`).
    pub path: String,
    pub restricted: bool,
    pub status: SkillState,
    /// Warnings, the error, why it is unavailable, or what shadows it.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillState {
    Ok,
    Warning,
    Error,
    Unavailable,
    Shadowed,
}

impl SkillState {
    pub fn label(self) -> &'static str {
        match self {
            SkillState::Ok => "ok",
            SkillState::Warning => "warning",
            SkillState::Error => "error",
            SkillState::Unavailable => "unavailable",
            SkillState::Shadowed => "shadowed",
        }
    }

    /// The model and `/name` can use it.
    pub fn usable(self) -> bool {
        matches!(self, SkillState::Ok | SkillState::Warning)
    }
}

/// Which sessions `ListSessions` returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionScope {
    /// Sessions started in the current workspace.
    #[default]
    ThisDirectory,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Markdown,
    Jsonl,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Markdown => "md",
            ExportFormat::Jsonl => "jsonl",
        }
    }
}

/// One stored session as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: String,
    pub title: String,
    /// Milliseconds since 1970.
    pub created_ms: i64,
    pub updated_ms: i64,
    pub cwd: String,
    pub provider: String,
    pub model: String,
    /// User and assistant messages.
    pub message_count: u64,
    /// The session this one was forked from.
    pub parent_id: Option<String>,
    pub archived: bool,
    /// The first user message (capped), for filtering.
    pub first_prompt: String,
}

/// The provider currently answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    /// Profile name from config (`openai`, `ollama`, `work`, …).
    pub profile: String,
    pub kind: ProviderKind,
    pub model: String,
    pub base_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI-compatible Chat Completions (OpenAI, Ollama, llama.cpp, vLLM, LM Studio, OpenRouter).
    Openai,
    /// Anthropic Messages.
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

/// One stored item shown again when a session is resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum HistoryItem {
    User {
        text: String,
        /// Its stored row (for forking from it).
        #[serde(default)]
        item_id: Option<i64>,
    },
    Assistant {
        text: String,
        interrupted: bool,
    },
    /// Older turns were summarised for the model from here on; the items above stay visible.
    Compaction {
        summary: String,
    },
    /// An error the user was shown during a turn (a failed request, a loop limit).
    Error {
        kind: ErrorKind,
        message: String,
    },
    Tool {
        call_id: String,
        tool: String,
        summary: String,
        status: ToolStatus,
        decided_by: String,
        output: String,
        exit_code: Option<i32>,
        duration_ms: u64,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// True when the provider did not report usage and pincer estimated it.
    pub estimated: bool,
}

impl TokenUsage {
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnOutcome {
    Completed,
    Interrupted,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 401/403: missing or wrong key.
    Auth,
    /// 429 after all retries.
    RateLimited,
    /// 5xx after all retries.
    Server,
    /// Connection refused/reset, DNS, TLS.
    Network,
    /// The stream stopped sending data.
    Timeout,
    /// The conversation does not fit the model's context window.
    ContextLength,
    /// The provider sent something pincer could not understand.
    BadResponse,
    /// Other 4xx (bad model name, bad request).
    Request,
    /// A loop limit (model rounds, tool calls, consecutive tool errors) ended the turn.
    LimitReached,
    /// No provider configured.
    NoProvider,
    Config,
    Storage,
    Internal,
}

impl ErrorKind {
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Auth => "authentication failed",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::Network => "network error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::ContextLength => "context window full",
            ErrorKind::BadResponse => "bad response",
            ErrorKind::Request => "request rejected",
            ErrorKind::LimitReached => "limit reached",
            ErrorKind::NoProvider => "no model configured",
            ErrorKind::Config => "config error",
            ErrorKind::Storage => "storage error",
            ErrorKind::Internal => "internal error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warning,
}

/// Result of looking for a usable model when none is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardingReport {
    /// Why no provider is usable (e.g. "OPENAI_API_KEY is not set").
    pub reason: String,
    /// False while the probe still runs.
    pub probe_done: bool,
    pub findings: Vec<Finding>,
    /// Path of the config file to edit.
    pub config_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What was found: "Ollama on 127.0.0.1:11434", "ANTHROPIC_API_KEY is set".
    pub label: String,
    /// The profile to pass to `--provider` / `/model` to use it, when usable.
    pub profile: Option<String>,
    /// Models the server listed (local servers only).
    pub models: Vec<String>,
}

/// How dangerous a tool call is; the gate and the UI use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    ReadOnly,
    Write,
    Exec,
    Network,
    Destructive,
}

impl RiskLevel {
    pub fn label(self) -> &'static str {
        match self {
            RiskLevel::ReadOnly => "read-only",
            RiskLevel::Write => "write",
            RiskLevel::Exec => "exec",
            RiskLevel::Network => "network",
            RiskLevel::Destructive => "destructive",
        }
    }
}

/// The gate's default for calls no rule decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalMode {
    /// Read-only tools only; everything else is denied.
    Plan,
    /// Read-only tools run; everything else asks.
    #[default]
    Ask,
    /// Writes inside the workspace run; exec and network ask.
    AutoEdit,
    /// Everything runs (still sandboxed and audited).
    Yolo,
}

impl ApprovalMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalMode::Plan => "plan",
            ApprovalMode::Ask => "ask",
            ApprovalMode::AutoEdit => "auto-edit",
            ApprovalMode::Yolo => "yolo",
        }
    }

    pub fn parse(s: &str) -> Option<ApprovalMode> {
        match s {
            "plan" => Some(ApprovalMode::Plan),
            "ask" => Some(ApprovalMode::Ask),
            "auto-edit" | "auto_edit" | "autoedit" => Some(ApprovalMode::AutoEdit),
            "yolo" => Some(ApprovalMode::Yolo),
            _ => None,
        }
    }
}

/// The user's answer to an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ApprovalDecision {
    ApproveOnce,
    /// Approve this tool + pattern for the rest of the session.
    ApproveSession,
    /// Save `rule` (e.g. `shell: git status*`) to the user's config and run.
    ApproveAlways {
        rule: String,
    },
    /// Tell the model it was denied (with the user's reason) and continue the turn.
    Deny {
        reason: Option<String>,
    },
    /// Deny and end the turn.
    DenyAndStop,
}

/// Which answers the UI may offer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    ApproveOnce,
    ApproveSession,
    ApproveAlways,
    Deny,
    DenyAndStop,
}

/// What the user is asked to approve, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalPreview {
    Command {
        command: String,
        cwd: String,
    },
    /// A unified diff of the file change.
    Diff {
        path: String,
        diff: String,
    },
    Text {
        text: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    Ok,
    /// The tool ran and failed (non-zero exit, missing file, bad arguments).
    Error,
    Denied,
    Interrupted,
    TimedOut,
}
