//! One user message's turn: model rounds and tool calls in a bounded loop. Runs as its own task
//! so the op loop keeps answering (interrupts, approvals) meanwhile. Every item is stored as it
//! completes.

use crate::protocol::{AssistantMessageDone, ToolCallFinished, ToolCallStarted};
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::approvals::Approvals;
use super::gate::SharedGate;
use super::history::{StoredCall, StoredResult};
use super::model_call::{CallOutcome, resolve_model};
use super::reply_writer::ReplyWriter;
use super::skill_tool;
use super::storage::StoreHandle;
use super::tool_call;
use super::turn_plan;
use super::{compact, context};
use crate::config::{ContextConfig, Limits};
use crate::protocol::{ErrorKind, Event, TokenUsage, ToolStatus, TurnOutcome};
use crate::provider::retry::RetryPolicy;
use crate::provider::{ChatMessage, ChatRequest, ProviderClient, ToolCall};
use crate::store::{ItemKind, StoreError};
use crate::tools::ToolContext;
use crate::tools::registry::ToolBox;
use crate::tools::shell::ShellEnv;

/// Everything a turn needs; built by the op loop for each turn.
pub struct TurnEnv {
    pub turn_id: u64,
    pub client: Arc<ProviderClient>,
    pub system: Option<String>,
    /// Names of the tools the policy offers (`activate_skill` included when offered). A call
    /// to a tool not offered is answered with an error and widens the offer to every tool.
    pub offered: Vec<String>,
    pub toolbox: Arc<ToolBox>,
    pub tool_ctx: ToolContext,
    pub shell_env: ShellEnv,
    pub gate: SharedGate,
    pub approvals: Approvals,
    /// False in headless mode: what would ask is denied instead.
    pub interactive: bool,
    pub limits: Limits,
    pub retry: RetryPolicy,
    pub cancel: CancellationToken,
    pub events: UnboundedSender<Event>,
    pub store: Option<StoreHandle>,
    pub session_id: Option<String>,
    /// The system prompt without the compaction summary, the summary, and when to compact.
    pub base_system: Option<String>,
    pub summary: Option<String>,
    pub window: u64,
    pub context: ContextConfig,
    /// The skills catalog when skills are on (the `activate_skill` tool).
    pub skills: Option<Arc<crate::skills::Catalog>>,
    /// A restricted skill is active: read-only tools only (shared with the runtime).
    pub restricted: Arc<std::sync::atomic::AtomicBool>,
    /// Set once the turn has taken in untrusted content; tightens the gate for the rest of it.
    pub taint: Taint,
    /// Memory tools offered when set (`[memory] enabled`).
    pub memory: Option<Arc<crate::memory::MemoryService>>,
    /// The MCP servers' tools, when any server is configured.
    pub mcp: Option<super::mcp_tool::McpTurn>,
    /// Routing, breakers, failover, response cache (`chain/`), and this turn's tier.
    pub chain: Arc<super::chain::ProviderChain>,
    pub route: super::chain::Route,
}

/// What untrusted content a turn has taken in (the first source), shown with approval
/// requests. A new turn starts clean.
#[derive(Debug, Default)]
pub struct Taint(std::sync::Mutex<Option<String>>);

impl Taint {
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Marks the turn; the first source is kept.
    pub fn mark(&self, why: String) {
        let mut taint = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if taint.is_none() {
            tracing::info!(%why, "turn tainted");
            *taint = Some(why);
        }
    }
}

pub struct TurnResult {
    /// The conversation after the turn (assistant replies and tool results appended; older
    /// turns replaced when the turn compacted it).
    pub conversation: Vec<ChatMessage>,
    /// Set when the turn compacted the conversation: the new summary.
    pub compacted: Option<String>,
    /// Prompt + reply tokens of the last request, as the provider reported them.
    pub context_tokens: Option<u64>,
    pub outcome: TurnOutcome,
    pub usage: Option<TokenUsage>,
    /// Set when the server chose the model (profile without one).
    pub resolved_client: Option<Arc<ProviderClient>>,
    pub storage_error: Option<StoreError>,
    /// The model called tools in this turn.
    pub used_tools: bool,
    /// The turn took in untrusted content (nothing is learned from it for memory).
    pub tainted: bool,
    /// Bytes of the first request and the prompt tokens the provider reported for it.
    pub first_request: Option<(usize, u64)>,
}

struct Recorder {
    store: Option<StoreHandle>,
    session_id: Option<String>,
    error: Option<StoreError>,
}

impl Recorder {
    async fn append(
        &mut self,
        kind: ItemKind,
        content: String,
        interrupted: bool,
        usage: Option<TokenUsage>,
    ) {
        let (Some(store), Some(id)) = (self.store.clone(), self.session_id.clone()) else {
            return;
        };
        if let Err(e) = store
            .call(move |s| s.append_item(&id, kind, &content, interrupted, usage))
            .await
        {
            tracing::error!(%e, "storing an item failed");
            self.store = None;
            self.error = Some(e);
        }
    }

    async fn finish_reply(
        &mut self,
        writer: ReplyWriter,
        content: String,
        interrupted: bool,
        usage: Option<TokenUsage>,
    ) {
        if self.store.is_none() {
            return;
        }
        if let Err(e) = writer.finish(content, interrupted, usage).await {
            tracing::error!(%e, "storing a reply failed");
            self.store = None;
            self.error = Some(e);
        }
    }

    /// An error the user was shown, kept in the session so a resumed transcript has it.
    async fn notice(&mut self, kind: ErrorKind, message: &str) {
        let json = serde_json::json!({ "kind": kind, "message": message }).to_string();
        self.append(ItemKind::Notice, json, false, None).await;
    }

    async fn result(&mut self, stored: &StoredResult) {
        if let Ok(json) = serde_json::to_string(stored) {
            self.append(ItemKind::ToolResult, json, false, None).await;
        }
    }
}

fn add_usage(total: &mut Option<TokenUsage>, more: Option<TokenUsage>) {
    if let Some(m) = more {
        let t = total.get_or_insert_with(TokenUsage::default);
        t.input_tokens += m.input_tokens;
        t.output_tokens += m.output_tokens;
        t.estimated |= m.estimated;
    }
}

pub async fn run(mut env: TurnEnv, mut conversation: Vec<ChatMessage>) -> TurnResult {
    let mut result = TurnResult {
        conversation: Vec::new(),
        compacted: None,
        context_tokens: None,
        outcome: TurnOutcome::Completed,
        usage: None,
        resolved_client: None,
        storage_error: None,
        used_tools: false,
        tainted: false,
        first_request: None,
    };
    let mut rec = Recorder {
        store: env.store.clone(),
        session_id: env.session_id.clone(),
        error: None,
    };
    match resolve_model(&env.client, &env.cancel, &env.events).await {
        Ok(Some(client)) => {
            env.client = Arc::clone(&client);
            result.resolved_client = Some(client);
        }
        Ok(None) => {}
        Err(()) => {
            result.outcome = if env.cancel.is_cancelled() {
                TurnOutcome::Interrupted
            } else {
                TurnOutcome::Failed
            };
            result.conversation = conversation;
            return result;
        }
    }

    let mut consecutive_errors = 0u32;
    let mut round = 0u32;
    loop {
        round += 1;
        if round > env.limits.max_rounds {
            limit_reached(
                &env,
                &mut rec,
                format!(
                    "stopped after {} model rounds for one message ([limits] max_rounds); send a message to let it go on",
                    env.limits.max_rounds
                ),
            ).await;
            result.outcome = TurnOutcome::Failed;
            break;
        }
        if round > 1 {
            compact_if_full(&mut env, &mut conversation, &mut result, &mut rec).await;
        }
        let mode = if env.restricted.load(std::sync::atomic::Ordering::Relaxed) {
            // Read-only tools only while a restricted skill is active.
            crate::protocol::ApprovalMode::Plan
        } else {
            env.gate.lock().mode
        };
        let mut tools = env.toolbox.definitions(mode);
        if let Some(def) = env.skills.as_deref().and_then(skill_tool::definition) {
            tools.push(def);
        }
        if env.memory.is_some() && env.store.is_some() {
            let read_only = mode == crate::protocol::ApprovalMode::Plan;
            tools.extend(crate::tools::memory_specs::definitions(read_only));
        }
        // MCP tools are offered as the hub has them now (a changed list counts from the next
        // request) when the policy offered MCP at all: every one, or the read-only ones when
        // that is all the policy offered (a read-only task set, plan mode).
        let mcp_offered = env.offered.iter().any(|n| super::mcp_tool::is_mcp_name(n));
        if let Some(mcp) = env.mcp.as_ref().filter(|_| mcp_offered) {
            let mcp_read_only = mcp.read_only_names();
            let read_only = mode == crate::protocol::ApprovalMode::Plan
                || !env
                    .offered
                    .iter()
                    .any(|n| super::mcp_tool::is_mcp_name(n) && !mcp_read_only.contains(n));
            tools.extend(mcp.definitions(read_only));
        }
        tools.retain(|t| {
            env.offered.contains(&t.name) || (mcp_offered && super::mcp_tool::is_mcp_name(&t.name))
        });
        let request = ChatRequest {
            system: env.system.clone(),
            messages: conversation.clone(),
            tools,
        };
        let mut writer = ReplyWriter::new(rec.store.clone(), rec.session_id.clone());
        let ask = super::chain::Ask {
            current: &env.client,
            request: &request,
            retry: env.retry,
            cancel: &env.cancel,
            events: &env.events,
            turn_id: env.turn_id,
        };
        let reply = env.chain.ask(&mut env.route, ask, &mut writer).await;
        add_usage(&mut result.usage, reply.usage);
        if round == 1
            && let Some(u) = reply.usage.filter(|u| !u.estimated && u.input_tokens > 0)
        {
            result.first_request = Some((turn_plan::request_bytes(&request), u.input_tokens));
        }
        if let Some(u) = reply.usage.filter(|u| !u.estimated) {
            result.context_tokens = Some(u.total());
        }
        let interrupted = reply.outcome != CallOutcome::Completed;
        let has_calls = !reply.tool_calls.is_empty();
        if !reply.text.is_empty() || has_calls || reply.outcome == CallOutcome::Completed {
            rec.finish_reply(writer, reply.text.clone(), interrupted, reply.usage)
                .await;
        }
        // After the (partial) reply, as the user saw it.
        if let Some((kind, message)) = &reply.error {
            rec.notice(*kind, message).await;
        }
        if !reply.text.is_empty() || (!has_calls && reply.outcome == CallOutcome::Completed) {
            let _ = env
                .events
                .send(Event::AssistantMessageDone(AssistantMessageDone {
                    turn_id: env.turn_id,
                    text: reply.text.clone(),
                    interrupted,
                }));
        }
        if !reply.text.is_empty() || has_calls {
            let message = ChatMessage::Assistant {
                content: reply.text.clone(),
                tool_calls: reply.tool_calls.clone(),
            };
            conversation.push(message.clone());
        }
        for call in &reply.unrun_calls {
            tool_call::audit_unrun(&env, call, "reply cut off before the call was complete").await;
        }
        match reply.outcome {
            CallOutcome::Interrupted => {
                result.outcome = TurnOutcome::Interrupted;
                break;
            }
            CallOutcome::Failed => {
                result.outcome = TurnOutcome::Failed;
                break;
            }
            CallOutcome::Completed if !has_calls => break,
            CallOutcome::Completed => {}
        }
        for call in &reply.tool_calls {
            let stored = StoredCall {
                id: call.id.clone(),
                name: call.name.clone(),
                arguments: call.arguments.clone(),
                summary: String::new(),
            };
            if let Ok(json) = serde_json::to_string(&stored) {
                rec.append(ItemKind::ToolCall, json, false, None).await;
            }
        }

        let limit = env.limits.max_tool_calls_per_round as usize;
        if reply.tool_calls.len() > limit {
            let why = format!(
                "Not run: {} tool calls in one round is over the limit of {limit}; make fewer calls at a time.",
                reply.tool_calls.len()
            );
            finish_unrun(
                &env,
                &reply.tool_calls,
                &why,
                "limit: max_tool_calls_per_round",
                &mut conversation,
                &mut rec,
            )
            .await;
            limit_reached(
                &env,
                &mut rec,
                format!(
                    "the model asked for {} tool calls at once; the limit is {limit} ([limits] max_tool_calls_per_round)",
                    reply.tool_calls.len()
                ),
            ).await;
            result.outcome = TurnOutcome::Failed;
            break;
        }

        result.used_tools = true;
        // Calls to tools the policy did not offer: an error the model can act on, and every
        // tool offered from the next round.
        let (calls, unoffered) = split_unoffered(&env, &reply.tool_calls);
        if !unoffered.is_empty() {
            let why = format!(
                "Not run: {} {} not offered for this task. Every tool is offered from now on: call it again if you still need it.",
                unoffered
                    .iter()
                    .map(|c| format!("`{}`", c.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                if unoffered.len() == 1 { "was" } else { "were" }
            );
            finish_unrun(
                &env,
                &unoffered,
                &why,
                "not offered by the turn policy",
                &mut conversation,
                &mut rec,
            )
            .await;
            env.offered = all_tool_names(&env);
        }
        // Gate every call first: the questions queue up in the UI in order.
        let mut gated = Vec::with_capacity(calls.len());
        for call in &calls {
            gated.push(tool_call::gate(&env, call).await);
        }
        let mut stopped: Option<&str> = None;
        for g in gated {
            if stopped.is_none() && env.cancel.is_cancelled() {
                stopped = Some("Not run: the user interrupted the turn.");
            }
            let done = match stopped {
                Some(why) => tool_call::abandon(&env, g, why).await,
                None => tool_call::run(&env, g).await,
            };
            rec.result(&done.stored).await;
            conversation.push(done.message.clone());
            match done.status {
                ToolStatus::Ok => consecutive_errors = 0,
                ToolStatus::Error | ToolStatus::TimedOut => consecutive_errors += 1,
                ToolStatus::Denied | ToolStatus::Interrupted => {}
            }
            if stopped.is_none() && (done.stop_turn || env.cancel.is_cancelled()) {
                stopped = Some("Not run: the user stopped the turn.");
            }
        }
        if stopped.is_some() {
            result.outcome = TurnOutcome::Interrupted;
        }
        if stopped.is_some() {
            break;
        }
        if consecutive_errors >= env.limits.max_consecutive_tool_errors {
            limit_reached(
                &env,
                &mut rec,
                format!(
                    "stopped after {consecutive_errors} tool errors in a row ([limits] max_consecutive_tool_errors)"
                ),
            ).await;
            result.outcome = TurnOutcome::Failed;
            break;
        }
    }
    result.storage_error = rec.error;
    result.tainted = env.taint.get().is_some();
    result.conversation = conversation;
    result
}

/// Between rounds of a long tool loop: compact when the next request would overfill the window.
async fn compact_if_full(
    env: &mut TurnEnv,
    conversation: &mut Vec<ChatMessage>,
    result: &mut TurnResult,
    rec: &mut Recorder,
) {
    let before = compact::estimate(env.system.as_deref(), conversation);
    if !context::over_threshold(before, env.window, env.context.compact_at) {
        return;
    }
    let Some(stored) = context::compact_conversation(
        env.base_system.as_deref(),
        &mut env.summary,
        conversation,
        env.context.keep_turns,
        before,
    ) else {
        return;
    };
    let _ = env.events.send(context::full_notice(before, env.window));
    env.system = context::with_summary(env.base_system.as_deref(), env.summary.as_deref());
    if let Ok(json) = serde_json::to_string(&stored) {
        rec.append(ItemKind::Compaction, json, false, None).await;
    }
    let _ = env.events.send(context::compacted_event(&stored));
    result.compacted = env.summary.clone();
}

async fn limit_reached(env: &TurnEnv, rec: &mut Recorder, message: String) {
    rec.notice(ErrorKind::LimitReached, &message).await;
    let _ = env.events.send(Event::Error {
        kind: ErrorKind::LimitReached,
        message,
        retryable: false,
    });
}

/// The calls to run, and those naming an existing tool the policy did not offer (a name no
/// tool has goes on to the usual "no tool named" answer).
fn split_unoffered(env: &TurnEnv, calls: &[ToolCall]) -> (Vec<ToolCall>, Vec<ToolCall>) {
    let exists = |name: &str| {
        env.toolbox.spec(name).is_some()
            || (name == skill_tool::NAME && env.skills.is_some())
            || env.mcp.as_ref().is_some_and(|m| m.exists(name))
    };
    // Plan mode and a restricted skill hold back every tool that is not read-only: such a call
    // goes to the gate, which refuses it and says why (the mode), instead of widening the offer.
    let held_back_by_mode = |name: &str| {
        let read_only_mode = env.gate.lock().mode == crate::protocol::ApprovalMode::Plan
            || env.restricted.load(std::sync::atomic::Ordering::Relaxed);
        let mcp_not_read_only = || {
            super::mcp_tool::is_mcp_name(name)
                && env
                    .mcp
                    .as_ref()
                    .is_some_and(|m| m.exists(name) && !m.read_only(name))
        };
        read_only_mode
            && (env
                .toolbox
                .spec(name)
                .is_some_and(|s| s.risk != crate::protocol::RiskLevel::ReadOnly)
                || mcp_not_read_only())
    };
    calls.iter().cloned().partition(|c| {
        env.offered.contains(&c.name) || !exists(&c.name) || held_back_by_mode(&c.name)
    })
}

/// Every tool that exists (the offer after a call to one not offered).
fn all_tool_names(env: &TurnEnv) -> Vec<String> {
    let mut names: Vec<String> = env
        .toolbox
        .names()
        .into_iter()
        .map(str::to_string)
        .collect();
    if env
        .skills
        .as_deref()
        .and_then(skill_tool::definition)
        .is_some()
    {
        names.push(skill_tool::NAME.to_string());
    }
    if env.memory.is_some() && env.store.is_some() {
        names.extend(
            crate::tools::memory_specs::definitions(false)
                .into_iter()
                .map(|d| d.name),
        );
    }
    if let Some(mcp) = &env.mcp {
        names.extend(mcp.names());
    }
    names
}

/// Give calls that will not run a result each, so the conversation stays valid.
async fn finish_unrun(
    env: &TurnEnv,
    calls: &[ToolCall],
    why: &str,
    audit_reason: &str,
    conversation: &mut Vec<ChatMessage>,
    rec: &mut Recorder,
) {
    for call in calls {
        tool_call::audit_unrun(env, call, audit_reason).await;
        let summary = tool_call::unrun_summary(env, call);
        let (message, stored) = not_run(call, summary.clone(), why);
        let _ = env.events.send(Event::ToolCallStarted(ToolCallStarted {
            turn_id: env.turn_id,
            call_id: call.id.clone(),
            tool: call.name.clone(),
            summary,
            risk: crate::protocol::RiskLevel::ReadOnly,
        }));
        let _ = env.events.send(Event::ToolCallFinished(ToolCallFinished {
            turn_id: env.turn_id,
            call_id: call.id.clone(),
            tool: call.name.clone(),
            status: ToolStatus::Interrupted,
            decided_by: String::new(),
            output: why.to_string(),
            exit_code: None,
            duration_ms: 0,
        }));
        rec.result(&stored).await;
        conversation.push(message.clone());
    }
}

/// A result for a call that was never started (the turn stopped first).
fn not_run(call: &ToolCall, summary: String, why: &str) -> (ChatMessage, StoredResult) {
    let stored = StoredResult {
        call_id: call.id.clone(),
        tool: call.name.clone(),
        summary,
        status: ToolStatus::Interrupted,
        decided_by: String::new(),
        model_content: why.to_string(),
        output: why.to_string(),
        exit_code: None,
        duration_ms: 0,
    };
    (
        ChatMessage::ToolResult {
            call_id: call.id.clone(),
            content: why.to_string(),
            is_error: true,
        },
        stored,
    )
}
