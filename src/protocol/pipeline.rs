//! What the pipeline decided before a model call, as data for front ends: the task spec with
//! its decision trace, the policy, the prompt's segments and the tools offered
//! (`Event::TurnDiagnostics` per turn, `Event::ContextReport` for `/context`, `pincer explain`).

use serde::{Deserialize, Serialize};

use super::ModelTier;

/// What kind of task a message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskType {
    /// A question answered from knowledge (no files involved).
    Answer,
    /// Explain or review existing code or text.
    Review,
    CodeChange,
    Debug,
    /// Architecture, design, a plan — no changes yet.
    Plan,
    /// Run commands or operate on the system (git, builds, installs).
    Operate,
    /// Read something on the web.
    Research,
    /// About the user: remember / forget / recall personal facts and preferences.
    MemoryPersonal,
    /// No rule decided: treated with full capability.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    Trivial,
    Bounded,
    MultiStep,
    Ambiguous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Low,
    Medium,
    High,
}

/// Whether the user wants things changed, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideEffects {
    None,
    /// Show what would change; do not change it.
    Proposed,
    Immediate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    Text,
    Explanation,
    Patch,
    Plan,
    CommandResult,
    Fact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Path,
    Url,
    Issue,
}

/// Something the message names: a file path, a URL, an issue reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    pub text: String,
}

/// Which rule decided a field, and on what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    pub field: String,
    pub rule: String,
    /// What matched (a keyword, a structure), empty for defaults.
    pub evidence: String,
}

/// The compiled task spec of one message (at most 12 fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    pub task: TaskType,
    pub complexity: Complexity,
    pub risk: Risk,
    pub side_effects: SideEffects,
    pub output: OutputKind,
    pub targets: Vec<Target>,
    /// "en" or "de": the language the keyword rules matched in.
    pub language: String,
    /// Facts of the session that changed a decision ("the last turn used tools").
    pub session_facts: Vec<String>,
    pub trace: Vec<TraceEntry>,
}

/// The tool set a policy offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolSet {
    None,
    ReadOnly,
    /// Read-only tools plus web_fetch.
    Research,
    Editing,
    Memory,
    Full,
}

/// Token budgets per prompt category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budgets {
    /// Kernel, mode, task brief, tool contract.
    pub always_on: u64,
    /// Core memory and retrieved snippets.
    pub retrieval: u64,
    /// Project instructions (AGENTS.md) and host injections (skills catalog).
    pub injections: u64,
}

/// Bounds of the agent loop for one turn (never above `[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopBounds {
    pub max_rounds: u32,
    pub max_tool_calls_per_round: u32,
    pub max_consecutive_tool_errors: u32,
}

/// What a turn may offer and spend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyReport {
    /// The policy table row, or `pinned:NAME` / `narrowing off`.
    pub name: String,
    pub tool_set: ToolSet,
    pub budgets: Budgets,
    pub bounds: LoopBounds,
    pub plan_step: bool,
    /// Offer the skills catalog and `activate_skill`.
    pub skills: bool,
    pub tier: ModelTier,
    /// Why the tool set is what it is (mode, restricted skill, pin).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentStatus {
    Admitted,
    Trimmed,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentCategory {
    AlwaysOn,
    Retrieval,
    Injections,
    /// The user's own `system_prompt`: always admitted.
    User,
}

/// One named part of the system prompt and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentReport {
    pub name: String,
    pub category: SegmentCategory,
    /// Estimated tokens of what was sent (of the whole text when rejected).
    pub tokens: u64,
    pub status: SegmentStatus,
    pub reason: String,
}

/// Everything decided for one request, before the model is called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnDiagnostics {
    /// 0 for `/context`'s "next request" and `pincer explain`.
    pub turn_id: u64,
    pub spec: TaskSpec,
    pub policy: PolicyReport,
    pub segments: Vec<SegmentReport>,
    pub tools_offered: Vec<String>,
    /// Estimated tokens of the tool schemas offered.
    pub tool_tokens: u64,
    /// Estimated tokens of the system prompt (admitted segments).
    pub system_tokens: u64,
    /// Estimated tokens of the conversation sent with it.
    pub conversation_tokens: u64,
    /// The whole request counted with the ratio providers reported so far (equal to the
    /// plain estimate before any report).
    pub calibrated_tokens: u64,
    pub model: String,
}

/// `/context`: the last request sent and what the next one would be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextReport {
    pub last: Option<TurnDiagnostics>,
    pub next: TurnDiagnostics,
}
