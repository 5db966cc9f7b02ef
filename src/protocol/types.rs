//! The data the protocol's ops and events carry.

use serde::{Deserialize, Serialize};

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
    /// Which front end started it.
    #[serde(default)]
    pub origin: super::SessionOrigin,
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
        /// The parts of `text` the user pasted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pastes: Vec<super::PasteSpan>,
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
    /// Approve `rule` for the rest of the session (until `/new`, a resume or a fork). `None`:
    /// the request's `session_rule` (the exact call). The front end shows the rule first and
    /// lets the user edit (widen) it.
    ApproveSession {
        #[serde(default)]
        rule: Option<String>,
    },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_answer_without_a_rule_still_parses() {
        let d: ApprovalDecision =
            serde_json::from_str(r#"{"decision":"approve_session"}"#).unwrap();
        assert_eq!(d, ApprovalDecision::ApproveSession { rule: None });
        let d: ApprovalDecision =
            serde_json::from_str(r#"{"decision":"approve_session","rule":"shell: ls"}"#).unwrap();
        assert_eq!(
            d,
            ApprovalDecision::ApproveSession {
                rule: Some("shell: ls".into())
            }
        );
    }
}

/// Which tier of `[routing]` answers a turn: a small (often local) model for trivial and
/// bounded tasks, a large one for multi-step and risky ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelTier {
    Small,
    #[default]
    Large,
}
