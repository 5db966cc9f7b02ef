//! Before every model call, deterministically and without a model: the user's message is
//! compiled into a task spec (`spec.rs` by the rules in `rules.rs`), the spec picks a policy
//! (`policy.rs`: tools offered, budgets, loop bounds, tier), and the system prompt is
//! assembled from named segments within the policy's budgets (`prompt.rs`, project
//! instructions from `instructions.rs`). Token counts come from one estimator (`tokens.rs`).
//! The result carries a [`TurnDiagnostics`] for `/context`, `--json` and `pincer explain`.

pub mod instructions;
pub mod policy;
pub mod prompt;
pub mod report;
mod rules;
pub mod spec;
pub mod tokens;

pub use policy::{PolicyInputs, decide, tool_names, tool_set_by_name, tool_set_name};
pub use prompt::{Assembled, PromptInputs};
pub use spec::{SessionState, compile};
pub use tokens::{Calibration, estimate_tokens, tokens_of};

use crate::config::Config;
use crate::protocol::{ApprovalMode, TaskSpec, TurnDiagnostics};
use crate::provider::ToolDef;

/// Everything one turn's plan is made from.
#[derive(Debug, Clone)]
pub struct TurnInputs<'a> {
    pub message: &'a str,
    pub session: &'a SessionState,
    pub config: &'a Config,
    pub mode: ApprovalMode,
    pub restricted: bool,
    pub workspace: &'a str,
    /// Every tool that exists this turn (builtin tools, memory tools, `activate_skill`, MCP).
    pub tools: &'a [ToolDef],
    /// Tools besides the built-in ones known to be read-only (see [`tool_names`]).
    pub read_only_tools: &'a [String],
    pub instructions: &'a str,
    pub core_memory: &'a str,
    /// Snippets retrieved for this message (memory search with `[memory] auto_recall`).
    pub retrieved: &'a str,
    pub skills_catalog: &'a str,
    pub model: &'a str,
}

/// One turn's decisions: the prompt, the tools to offer, and the diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnPlan {
    pub system: Option<String>,
    /// Names of the tools offered (a subset of `TurnInputs::tools`).
    pub tools: Vec<String>,
    pub diagnostics: TurnDiagnostics,
}

/// Compile, decide and assemble.
pub fn plan_turn(inputs: &TurnInputs<'_>) -> TurnPlan {
    let spec = compile(inputs.message, inputs.session);
    plan_for_spec(spec, inputs)
}

/// Decide and assemble for an already compiled spec.
pub fn plan_for_spec(spec: TaskSpec, inputs: &TurnInputs<'_>) -> TurnPlan {
    let policy = decide(
        &spec,
        &PolicyInputs {
            config: &inputs.config.pipeline,
            limits: &inputs.config.limits,
            mode: inputs.mode,
            restricted: inputs.restricted,
        },
    );
    let available: Vec<&str> = inputs.tools.iter().map(|t| t.name.as_str()).collect();
    let read_only: Vec<&str> = inputs.read_only_tools.iter().map(String::as_str).collect();
    let mut tools = tool_names(
        &policy,
        &available,
        &read_only,
        inputs.mode,
        inputs.restricted,
    );
    let skill_tool = crate::runtime::ACTIVATE_SKILL;
    if policy.skills
        && policy.tool_set != crate::protocol::ToolSet::None
        && available.contains(&skill_tool)
        && !tools.iter().any(|t| t == skill_tool)
    {
        tools.push(skill_tool.to_string());
    }
    let assembled = prompt::admit(
        prompt::segments(
            &spec,
            &policy,
            &PromptInputs {
                workspace: inputs.workspace,
                mode: inputs.mode,
                tools_offered: !tools.is_empty(),
                instructions: inputs.instructions,
                core_memory: inputs.core_memory,
                retrieved: inputs.retrieved,
                skills_catalog: inputs.skills_catalog,
                user_prompt: inputs.config.system_prompt.as_deref().unwrap_or(""),
            },
        ),
        policy.budgets,
    );
    let tool_tokens = inputs
        .tools
        .iter()
        .filter(|t| tools.contains(&t.name))
        .map(tool_def_tokens)
        .sum();
    TurnPlan {
        system: assembled.text,
        diagnostics: TurnDiagnostics {
            turn_id: 0,
            spec,
            policy,
            segments: assembled.segments,
            tools_offered: tools.clone(),
            tool_tokens,
            system_tokens: assembled.tokens,
            conversation_tokens: 0,
            calibrated_tokens: 0,
            model: inputs.model.to_string(),
        },
        tools,
    }
}

/// Bytes of the envelope a request wraps each tool definition in, without its strings and
/// schema: OpenAI's `{"type":"function","function":{"name":…,"description":…,"parameters":…}}`,
/// the larger of the two APIs (Anthropic's `{"name":…,"description":…,"input_schema":…}` is 40).
const TOOL_ENVELOPE_BYTES: usize = 69;

/// Estimated tokens of one tool definition as sent: its name and description as JSON strings
/// (quotes and escapes included), its JSON schema and the request's envelope around them.
pub fn tool_def_tokens(def: &ToolDef) -> u64 {
    let quoted = |s: &str| serde_json::to_string(s).map_or(s.len() + 2, |q| q.len());
    estimate_tokens(
        quoted(&def.name)
            + quoted(&def.description)
            + def.parameters.to_string().len()
            + TOOL_ENVELOPE_BYTES,
    )
}
