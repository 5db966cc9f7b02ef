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
    UserMessage { text: String },
    /// Stop the running turn; the partial reply is kept and marked interrupted.
    Interrupt,
    /// Start a fresh session (the old one stays stored).
    NewSession,
    /// Switch model: a provider profile name, or a model id for the current profile.
    /// An empty name asks for the list of profiles.
    SetModel { name: String },
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
    /// A user message was accepted and is about to be sent.
    UserMessage {
        text: String,
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
    /// The runtime stopped; no more events follow.
    ShutdownComplete,
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

/// One stored message shown again when a session is resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub role: Role,
    pub text: String,
    pub interrupted: bool,
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
