//! Task spec → turn policy: which tools are offered, what each prompt category may spend, how
//! long the loop may run, whether a plan comes first, which tier answers. A table per task
//! type, adjusted by complexity; when unsure it errs toward more capability. The policy only
//! decides what is offered and spent: the user's mode and rules still decide what runs.

use crate::config::{Limits, PipelineConfig};
use crate::protocol::{
    ApprovalMode, Budgets, Complexity, LoopBounds, ModelTier, PolicyReport, Risk, TaskSpec,
    TaskType, ToolSet,
};

/// One row of the policy table.
struct Row {
    task: TaskType,
    tools: ToolSet,
    rounds: u32,
    plan_step: bool,
    skills: bool,
}

const fn row(task: TaskType, tools: ToolSet, rounds: u32, plan_step: bool, skills: bool) -> Row {
    Row {
        task,
        tools,
        rounds,
        plan_step,
        skills,
    }
}

const TABLE: &[Row] = &[
    row(TaskType::Answer, ToolSet::ReadOnly, 6, false, false),
    row(TaskType::Review, ToolSet::ReadOnly, 15, false, true),
    row(TaskType::CodeChange, ToolSet::Editing, 25, false, true),
    row(TaskType::Debug, ToolSet::Editing, 25, false, true),
    row(TaskType::Plan, ToolSet::ReadOnly, 15, true, true),
    row(TaskType::Operate, ToolSet::Editing, 20, false, true),
    row(TaskType::Research, ToolSet::Research, 10, false, true),
    row(TaskType::MemoryPersonal, ToolSet::Memory, 4, false, false),
    row(TaskType::Unknown, ToolSet::Full, 25, false, true),
];

/// Budgets (tokens) per category: tool-using turns and answer-only ones.
const BUDGETS_TOOLS: Budgets = Budgets {
    always_on: 1_200,
    retrieval: 800,
    injections: 1_500,
};
const BUDGETS_ANSWER: Budgets = Budgets {
    always_on: 400,
    retrieval: 300,
    injections: 0,
};

/// The read-only tools (also what plan mode and a restricted skill allow).
pub const READ_ONLY_TOOLS: &[&str] = &["read_file", "list_dir", "glob", "grep"];
const WEB_TOOLS: &[&str] = &["web_fetch"];
const EDIT_TOOLS: &[&str] = &["write_file", "edit_file", "shell"];
/// The memory tools (their specs come with the memory backend).
pub const MEMORY_TOOLS: &[&str] = &[
    "memory_search",
    "memory_get",
    "memory_write",
    "memory_forget",
];

/// What the policy needs besides the spec.
#[derive(Debug, Clone)]
pub struct PolicyInputs<'a> {
    pub config: &'a PipelineConfig,
    /// `[limits]`: the ceiling of every bound.
    pub limits: &'a Limits,
    pub mode: ApprovalMode,
    /// A restricted skill is active: read-only tools only.
    pub restricted: bool,
}

/// Decide the policy of one turn.
pub fn decide(spec: &TaskSpec, inputs: &PolicyInputs<'_>) -> PolicyReport {
    let row = TABLE
        .iter()
        .find(|r| r.task == spec.task)
        .unwrap_or(&TABLE[TABLE.len() - 1]);
    let mut notes = Vec::new();
    let mut name = super::spec::task_name(spec.task).to_string();
    let mut tools = row.tools;
    let mut rounds = row.rounds;
    let mut plan_step = row.plan_step;
    let mut skills = row.skills;
    match spec.complexity {
        Complexity::Trivial if spec.task == TaskType::Answer => {
            tools = ToolSet::None;
            // Room for one escalation: a call to a tool not offered widens the offer.
            rounds = 3;
            name.push_str("/trivial");
        }
        Complexity::Ambiguous => {
            tools = ToolSet::Full;
            rounds = u32::MAX;
            skills = true;
            name.push_str("/ambiguous");
            notes.push("ambiguous task: full tool set".into());
        }
        Complexity::MultiStep => {
            rounds = u32::MAX;
            plan_step |= matches!(
                spec.task,
                TaskType::CodeChange | TaskType::Debug | TaskType::Operate
            );
            name.push_str("/multi_step");
        }
        _ => {}
    }
    if let Some(pin) = inputs.config.pin {
        tools = pin;
        skills = pin != ToolSet::None;
        rounds = u32::MAX;
        name = format!("pinned:{}", tool_set_name(pin));
        notes.push("[pipeline] policy pins the tool set".into());
    } else if !inputs.config.narrow {
        tools = ToolSet::Full;
        skills = true;
        rounds = u32::MAX;
        name = "narrowing off".into();
        notes.push("[pipeline] narrow = false: full tool set every turn".into());
    }
    if inputs.mode == ApprovalMode::Plan && tools != ToolSet::None {
        notes.push("plan mode: read-only tools only".into());
    }
    if inputs.restricted && tools != ToolSet::None {
        notes.push("a restricted skill is active: read-only tools only".into());
    }
    let l = inputs.limits;
    let bounds = LoopBounds {
        max_rounds: rounds.min(l.max_rounds).max(1),
        max_tool_calls_per_round: l.max_tool_calls_per_round,
        max_consecutive_tool_errors: l.max_consecutive_tool_errors,
    };
    let tier = if spec.risk == Risk::High
        || matches!(
            spec.complexity,
            Complexity::MultiStep | Complexity::Ambiguous
        ) {
        ModelTier::Large
    } else {
        ModelTier::Small
    };
    PolicyReport {
        name,
        tool_set: tools,
        budgets: if tools == ToolSet::None {
            BUDGETS_ANSWER
        } else {
            BUDGETS_TOOLS
        },
        bounds,
        plan_step,
        skills,
        tier,
        notes,
    }
}

/// The tool names of a set, among those that exist (`available`), with mode and restriction
/// applied: plan mode and a restricted skill leave only read-only tools.
pub fn tool_names(
    policy: &PolicyReport,
    available: &[&str],
    mode: ApprovalMode,
    restricted: bool,
) -> Vec<String> {
    let wanted: Vec<&str> = match policy.tool_set {
        ToolSet::None => Vec::new(),
        ToolSet::ReadOnly => READ_ONLY_TOOLS.to_vec(),
        ToolSet::Research => [READ_ONLY_TOOLS, WEB_TOOLS].concat(),
        ToolSet::Editing => [READ_ONLY_TOOLS, EDIT_TOOLS].concat(),
        ToolSet::Memory => MEMORY_TOOLS.to_vec(),
        ToolSet::Full => available.to_vec(),
    };
    let read_only_only = mode == ApprovalMode::Plan || restricted;
    available
        .iter()
        .filter(|n| wanted.contains(n))
        .filter(|n| {
            !read_only_only
                || READ_ONLY_TOOLS.contains(n)
                || *n == &"memory_search"
                || *n == &"memory_get"
        })
        .map(|n| n.to_string())
        .collect()
}

pub fn tool_set_name(set: ToolSet) -> &'static str {
    match set {
        ToolSet::None => "none",
        ToolSet::ReadOnly => "read_only",
        ToolSet::Research => "research",
        ToolSet::Editing => "editing",
        ToolSet::Memory => "memory",
        ToolSet::Full => "full",
    }
}

/// The set named `name` (config and tests).
pub fn tool_set_by_name(name: &str) -> Option<ToolSet> {
    [
        ToolSet::None,
        ToolSet::ReadOnly,
        ToolSet::Research,
        ToolSet::Editing,
        ToolSet::Memory,
        ToolSet::Full,
    ]
    .into_iter()
    .find(|s| tool_set_name(*s) == name)
}
