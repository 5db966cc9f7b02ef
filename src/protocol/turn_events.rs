//! Event payloads of one turn: the user message, the reply as it streams, retries, tool calls
//! and the approvals they ask for.

use serde::{Deserialize, Serialize};

use super::*;

/// A user message was accepted and is about to be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMessage {
    pub text: String,
    /// Its stored row (for forking from it); `None` when nothing is stored.
    #[serde(default)]
    pub item_id: Option<i64>,
    /// The parts of `text` the user pasted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pastes: Vec<PasteSpan>,
}

/// Payload of `Event::AssistantDelta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssistantDelta {
    pub turn_id: u64,
    pub text: String,
}

/// The assistant message is complete (or was cut short).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssistantMessageDone {
    pub turn_id: u64,
    pub text: String,
    pub interrupted: bool,
}

/// A request failed transiently and is retried. The reply streaming in this turn (the
/// `AssistantDelta`s since the last `AssistantMessageDone`) is discarded: front ends drop
/// what they showed of it, and the retry's reply starts from the beginning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retrying {
    pub turn_id: u64,
    pub attempt: u32,
    pub max_attempts: u32,
    pub delay_ms: u64,
    pub reason: String,
    /// True when text of the failed attempt was already sent as `AssistantDelta`s and must
    /// be dropped (a stream that broke after partial output).
    #[serde(default)]
    pub discard_partial: bool,
}

/// Payload of `Event::TurnFinished`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnFinished {
    pub turn_id: u64,
    pub outcome: TurnOutcome,
    pub usage: Option<TokenUsage>,
    pub duration_ms: u64,
}

/// The model called a tool; it is being checked against the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallStarted {
    pub turn_id: u64,
    pub call_id: String,
    pub tool: String,
    /// One line: "Run `cargo test` in ~/proj", "Edit src/main.rs".
    pub summary: String,
    pub risk: RiskLevel,
}

/// A call the gate let through starts running now (until then it waits its turn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRunning {
    pub turn_id: u64,
    pub call_id: String,
}

/// The policy asks the user. Answer with `Op::ApprovalDecision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequested {
    pub request_id: u64,
    pub call_id: String,
    pub tool: String,
    pub summary: String,
    /// Why this asks ("mode ask: exec tools ask", "rule ask: shell: git push*").
    pub reason: String,
    pub preview: ApprovalPreview,
    pub decisions: Vec<DecisionKind>,
    /// The rule "always" would save; the user may edit it.
    pub suggested_rule: String,
    /// The rule "this session" would add: exactly this call (the user may widen it).
    #[serde(default)]
    pub session_rule: String,
    /// Set when the turn has taken in untrusted content (a web page, a file outside the
    /// workspace, networked shell output, an installed skill): what, so the front end can
    /// say why this asks.
    #[serde(default)]
    pub taint: Option<String>,
}

/// Payload of `Event::ToolCallFinished`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallFinished {
    pub turn_id: u64,
    pub call_id: String,
    pub tool: String,
    pub status: ToolStatus,
    /// Who decided: "rule allow: shell: git status*", "mode yolo", "user", …
    pub decided_by: String,
    /// The whole output for the UI (capped); the model gets a compressed form.
    pub output: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}
