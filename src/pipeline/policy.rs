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
/// applied: plan mode and a restricted skill leave only read-only tools. `read_only` names the
/// tools besides the built-in ones known to be read-only: MCP tools whose server's read-only
/// annotations the user trusts (`trust_annotations`), and `mcp_call` when it can reach one.
///
/// MCP tools are sorted by the same facts as built-in ones: a read-only one belongs to every
/// set that has the read-only tools; any other reaches outside like `web_fetch` and can act
/// like `shell`, so it belongs to the research, editing and full sets. The gate still decides
/// what runs, in the same order for both.
pub fn tool_names(
    policy: &PolicyReport,
    available: &[&str],
    read_only: &[&str],
    mode: ApprovalMode,
    restricted: bool,
) -> Vec<String> {
    let mcp = |n: &str| crate::mcp::names::is_mcp_tool(n);
    let mcp_read_only =
        |n: &str| mcp(n) && (n == crate::mcp::names::SEARCH || read_only.contains(&n));
    let is_read_only = |n: &str| {
        READ_ONLY_TOOLS.contains(&n)
            || n == "memory_search"
            || n == "memory_get"
            || mcp_read_only(n)
    };
    let wanted = |n: &str| match policy.tool_set {
        ToolSet::None => false,
        ToolSet::ReadOnly => READ_ONLY_TOOLS.contains(&n) || mcp_read_only(n),
        ToolSet::Research => READ_ONLY_TOOLS.contains(&n) || WEB_TOOLS.contains(&n) || mcp(n),
        ToolSet::Editing => READ_ONLY_TOOLS.contains(&n) || EDIT_TOOLS.contains(&n) || mcp(n),
        ToolSet::Memory => MEMORY_TOOLS.contains(&n),
        ToolSet::Full => true,
    };
    let read_only_only = mode == ApprovalMode::Plan || restricted;
    available
        .iter()
        .filter(|n| wanted(n))
        .filter(|n| !read_only_only || is_read_only(n))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(set: ToolSet) -> PolicyReport {
        PolicyReport {
            name: "test".into(),
            tool_set: set,
            budgets: BUDGETS_TOOLS,
            bounds: LoopBounds {
                max_rounds: 1,
                max_tool_calls_per_round: 1,
                max_consecutive_tool_errors: 1,
            },
            plan_step: false,
            skills: false,
            tier: ModelTier::Small,
            notes: Vec::new(),
        }
    }

    const AVAILABLE: &[&str] = &[
        "read_file",
        "write_file",
        "web_fetch",
        "memory_search",
        "mcp__git__status",
        "mcp__git__push",
        "mcp_search",
        "mcp_call",
    ];

    fn offer(
        set: ToolSet,
        read_only: &[&str],
        mode: ApprovalMode,
        restricted: bool,
    ) -> Vec<String> {
        tool_names(&report(set), AVAILABLE, read_only, mode, restricted)
    }

    /// Every (set, mode, restriction): an MCP tool is offered exactly where a built-in tool of
    /// its risk is — a trusted read-only one with `read_file`, any other with `web_fetch` /
    /// `write_file` — and `mcp_search` is read-only.
    #[test]
    fn mcp_tools_are_offered_where_builtin_tools_of_their_risk_are() {
        let trusted = ["mcp__git__status", "mcp_call"];
        let sets = [
            ToolSet::None,
            ToolSet::ReadOnly,
            ToolSet::Research,
            ToolSet::Editing,
            ToolSet::Memory,
            ToolSet::Full,
        ];
        let modes = [ApprovalMode::Plan, ApprovalMode::Ask, ApprovalMode::Yolo];
        for set in sets {
            for mode in modes {
                for restricted in [false, true] {
                    let names = offer(set, &trusted, mode, restricted);
                    let has = |n: &str| names.iter().any(|x| x == n);
                    let case = format!("{set:?} {mode:?} restricted {restricted}: {names:?}");
                    assert_eq!(has("mcp__git__status"), has("read_file"), "{case}");
                    assert_eq!(has("mcp_search"), has("read_file"), "{case}");
                    assert_eq!(has("mcp_call"), has("read_file"), "{case}");
                    let reaches_out = has("web_fetch") || has("write_file");
                    assert_eq!(has("mcp__git__push"), reaches_out, "{case}");
                }
            }
        }
    }

    /// Without trusted annotations no MCP tool counts as read-only (`mcp_call` neither): plan
    /// mode and the read-only set offer only the search.
    #[test]
    fn untrusted_annotations_make_nothing_read_only() {
        for names in [
            offer(ToolSet::Full, &[], ApprovalMode::Plan, false),
            offer(ToolSet::ReadOnly, &[], ApprovalMode::Ask, false),
            offer(ToolSet::Full, &[], ApprovalMode::Ask, true),
        ] {
            let mcp: Vec<&String> = names.iter().filter(|n| n.starts_with("mcp")).collect();
            assert_eq!(mcp, ["mcp_search"], "{names:?}");
        }
    }
}
