//! One tool call: validate → gate (maybe ask the user) → run → compress for the model →
//! report and audit. Every path ends in a tool result for the model, never in a crash.

use crate::protocol::{ApprovalRequested, ToolCallFinished, ToolCallRunning, ToolCallStarted};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::policy::{Verdict, exact_rule};
use crate::protocol::{ApprovalDecision, DecisionKind, Event, NoticeLevel, RiskLevel, ToolStatus};
use crate::provider::{ChatMessage, ToolCall};
use crate::redact::redact;
use crate::store::{AuditRecord, ItemKind, now_ms};
use crate::tools::envelope;
use crate::tools::registry::{Prepared, Rejected};

use super::history::StoredResult;
use super::skill_tool;
use super::turn::TurnEnv;

/// The outcome of one call.
pub struct CallDone {
    pub message: ChatMessage,
    pub stored: StoredResult,
    pub status: ToolStatus,
    /// The user chose "deny and stop".
    pub stop_turn: bool,
}

struct Finish {
    status: ToolStatus,
    decided_by: String,
    decision: &'static str,
    /// Full output for the UI.
    output: String,
    /// What the model gets.
    model_content: String,
    exit_code: Option<i32>,
    stop_turn: bool,
}

/// A call the gate has looked at, waiting for its turn to run.
pub struct Gated {
    call: ToolCall,
    summary: String,
    started: Instant,
    state: State,
}

enum State {
    /// Will not run (bad arguments, denied, headless ask).
    Done(Finish),
    Allowed {
        p: Prepared,
        by: String,
        /// The turn was already tainted when this was decided (no re-check needed).
        tainted: bool,
    },
    Asking {
        p: Prepared,
        request_id: u64,
        answer: oneshot::Receiver<ApprovalDecision>,
        /// The question already said the turn was tainted.
        tainted: bool,
    },
}

/// Check a call and decide; a call that needs the user is asked now, so several requests of
/// one round queue up in the UI in order.
pub async fn gate(env: &TurnEnv, call: &ToolCall) -> Gated {
    let started = Instant::now();
    if call.name == skill_tool::NAME && env.skills.is_some() {
        return skill_call(env, call, started).await;
    }
    let prepared = prepare(env, call);
    let (summary, risk) = match &prepared {
        Ok(p) => (p.summary.clone(), p.risk),
        Err(e) => (e.summary.clone(), RiskLevel::ReadOnly),
    };
    let _ = env.events.send(Event::ToolCallStarted(ToolCallStarted {
        turn_id: env.turn_id,
        call_id: call.id.clone(),
        tool: call.name.clone(),
        summary: summary.clone(),
        risk,
    }));
    let state = match prepared {
        Err(e) => State::Done(Finish {
            status: ToolStatus::Error,
            decided_by: "argument check".into(),
            decision: "rejected",
            output: e.message.clone(),
            model_content: e.message,
            exit_code: None,
            stop_turn: false,
        }),
        Ok(p) => decide(env, p).await,
    };
    Gated {
        call: call.clone(),
        summary,
        started,
        state,
    }
}

/// Parse and check a call with whoever runs it: memory tools, MCP tools or the toolbox.
fn prepare(env: &TurnEnv, call: &ToolCall) -> Result<Prepared, Rejected> {
    if super::memory_tool::handles(env, &call.name) {
        super::memory_tool::prepare(
            call,
            env.gate.lock().mode == crate::protocol::ApprovalMode::Plan,
        )
    } else if super::mcp_tool::handles(env, &call.name) {
        super::mcp_tool::prepare(env, call)
    } else {
        env.toolbox.prepare(&env.tool_ctx, call)
    }
}

/// The one line a call that will not run is shown with: what it would have done, as the gate
/// would have described it ("Write demo/hello.txt"), without deciding anything.
pub fn unrun_summary(env: &TurnEnv, call: &ToolCall) -> String {
    if call.name == skill_tool::NAME {
        return call.name.clone();
    }
    match prepare(env, call) {
        Ok(p) => p.summary,
        Err(e) => e.summary,
    }
}

/// `activate_skill`: read-only, never asks.
async fn skill_call(env: &TurnEnv, call: &ToolCall, started: Instant) -> Gated {
    let (summary, result) = skill_tool::run(env, call).await;
    let _ = env.events.send(Event::ToolCallStarted(ToolCallStarted {
        turn_id: env.turn_id,
        call_id: call.id.clone(),
        tool: call.name.clone(),
        summary: summary.clone(),
        risk: RiskLevel::ReadOnly,
    }));
    let (status, text) = match result {
        Ok(text) => (ToolStatus::Ok, text),
        Err(text) => (ToolStatus::Error, text),
    };
    if status == ToolStatus::Ok
        && let Some(name) = skill_tool::restricted_skill_named(env, call)
    {
        env.taint
            .mark(format!("the instructions of the installed skill {name}"));
    }
    Gated {
        call: call.clone(),
        summary,
        started,
        state: State::Done(Finish {
            status,
            decided_by: "skill (read-only)".into(),
            decision: "allowed",
            output: text.clone(),
            model_content: text,
            exit_code: None,
            stop_turn: false,
        }),
    }
}

async fn decide(env: &TurnEnv, p: Prepared) -> State {
    if p.risk != RiskLevel::ReadOnly && env.restricted.load(std::sync::atomic::Ordering::Relaxed) {
        return State::Done(denied(
            "restricted skill active",
            "Not run: a restricted (installed) skill is active in this session, so only read-only tools may run. Tell the user what you would do instead.".into(),
            false,
        ));
    }
    let taint = env.taint.get();
    let mut verdict = verdict(env, &p, taint.as_deref());
    if matches!(verdict, Verdict::Ask { .. }) && skill_tool::reads_a_skill_folder(env, &p) {
        verdict = Verdict::Allow {
            by: "skill folder (read-only)".into(),
        };
    }
    match verdict {
        Verdict::Allow { by } => State::Allowed {
            p,
            by,
            tainted: taint.is_some(),
        },
        Verdict::Deny { by, reason } => State::Done(denied(
            by.clone(),
            format!("Not run: {reason} ({by}). Do not retry it unchanged."),
            false,
        )),
        Verdict::Ask { reason } if !env.interactive => {
            let hint = if taint.is_some() {
                " This turn took in untrusted content, so it is refused; run it in a turn of its own.".to_string()
            } else {
                format!(
                    " The user can allow it with --allow \"{}\" or a different --mode.",
                    exact_or_suggested(env, &p)
                )
            };
            State::Done(denied(
                "no one to ask (headless)",
                format!(
                    "Not run: this call needs the user's approval ({reason}) and this run cannot ask.{hint}"
                ),
                false,
            ))
        }
        Verdict::Ask { reason } => {
            let preview = env.toolbox.preview(&env.tool_ctx, &p).await;
            let (request_id, answer) = env.approvals.register();
            let _ = env.events.send(Event::ApprovalRequested(ApprovalRequested {
                request_id,
                call_id: p.call_id.clone(),
                tool: p.name.clone(),
                summary: p.summary.clone(),
                reason,
                preview,
                decisions: vec![
                    DecisionKind::ApproveOnce,
                    DecisionKind::ApproveSession,
                    DecisionKind::ApproveAlways,
                    DecisionKind::Deny,
                    DecisionKind::DenyAndStop,
                ],
                suggested_rule: exact_or_suggested(env, &p),
                session_rule: exact_rule(&p.subject),
                taint: taint.clone(),
            }));
            State::Asking {
                p,
                request_id,
                answer,
                tainted: taint.is_some(),
            }
        }
    }
}

/// The gate's verdict, in the call's MCP server's own mode when it has one.
fn verdict(env: &TurnEnv, p: &Prepared, taint: Option<&str>) -> Verdict {
    let mode = super::mcp_tool::mode_for(env, p);
    env.gate.lock().decide_in(p, taint, mode)
}

/// The rule "always" offers: the suggested (wider) rule, or for a protected path the exact one
/// (a wider rule would not cover it).
fn exact_or_suggested(env: &TurnEnv, p: &Prepared) -> String {
    if env.gate.lock().protects(p).is_some() {
        exact_rule(&p.subject)
    } else {
        p.suggested_rule.clone()
    }
}

/// Wait for the answer if one is needed, run the call, report it.
pub async fn run(env: &TurnEnv, gated: Gated) -> CallDone {
    let Gated {
        call,
        summary,
        mut started,
        state,
    } = gated;
    // A call allowed before an earlier call of the same round tainted the turn is decided
    // again: what it may do depends on the turn as it is when it runs.
    let state = match state {
        State::Allowed {
            p, tainted: false, ..
        } if env.taint.get().is_some() => decide(env, p).await,
        // A question asked before the turn took in untrusted content is asked again, saying so.
        // (A "no" given meanwhile stands.)
        State::Asking {
            p,
            request_id,
            mut answer,
            tainted: false,
        } if env.taint.get().is_some() => match answer.try_recv() {
            Ok(d @ (ApprovalDecision::Deny { .. } | ApprovalDecision::DenyAndStop)) => {
                let (tx, answer) = oneshot::channel();
                let _ = tx.send(d);
                State::Asking {
                    p,
                    request_id,
                    answer,
                    tainted: true,
                }
            }
            _ => {
                env.approvals.forget(request_id);
                let _ = env.events.send(Event::ApprovalWithdrawn { request_id });
                decide(env, p).await
            }
        },
        other => other,
    };
    // Durations count the run, not the time spent waiting for its turn or for the user.
    let finish = match state {
        State::Done(f) => f,
        State::Allowed { p, by, .. } => {
            started = Instant::now();
            execute(env, &p, by, "allowed").await
        }
        State::Asking {
            p,
            request_id,
            answer,
            ..
        } => {
            // An earlier answer ("this session", "always") may cover this call by now.
            let taint = env.taint.get();
            let now = verdict(env, &p, taint.as_deref());
            if let Verdict::Allow { by } = now {
                env.approvals.forget(request_id);
                let _ = env.events.send(Event::ApprovalWithdrawn { request_id });
                started = Instant::now();
                execute(env, &p, by, "allowed").await
            } else {
                match await_answer(env, &p, request_id, answer).await {
                    Answer::Run(by) => {
                        started = Instant::now();
                        execute(env, &p, by, "approved").await
                    }
                    Answer::Stop(f) => f,
                }
            }
        }
    };
    complete(env, &call, summary, started, finish).await
}

/// The turn stopped before this call's turn came: withdraw its question, report it unrun.
pub async fn abandon(env: &TurnEnv, gated: Gated, why: &str) -> CallDone {
    if let State::Asking { request_id, .. } = &gated.state {
        env.approvals.forget(*request_id);
        let _ = env.events.send(Event::ApprovalWithdrawn {
            request_id: *request_id,
        });
    }
    let finish = Finish {
        status: ToolStatus::Interrupted,
        decided_by: String::new(),
        decision: "not run",
        output: why.to_string(),
        model_content: why.to_string(),
        exit_code: None,
        stop_turn: false,
    };
    complete(env, &gated.call, gated.summary, gated.started, finish).await
}

fn denied(by: impl Into<String>, message: String, stop_turn: bool) -> Finish {
    Finish {
        status: ToolStatus::Denied,
        decided_by: by.into(),
        decision: "denied",
        output: message.clone(),
        model_content: message,
        exit_code: None,
        stop_turn,
    }
}

async fn execute(
    env: &TurnEnv,
    p: &Prepared,
    decided_by: String,
    decision: &'static str,
) -> Finish {
    let _ = env.events.send(Event::ToolCallRunning(ToolCallRunning {
        turn_id: env.turn_id,
        call_id: p.call_id.clone(),
    }));
    if let Some(why) = untrusted_source(env, p) {
        env.taint.mark(why);
    }
    let mut ctx = env.tool_ctx.clone();
    ctx.outside_workspace_approved = !p.inside_workspace;
    let work = async {
        if super::memory_tool::handles(env, &p.name) {
            super::memory_tool::run(env, p).await
        } else if super::mcp_tool::handles(env, &p.name) {
            super::mcp_tool::run(env, p).await
        } else {
            env.toolbox
                .execute(&ctx, p, &env.shell_env, env.cancel.clone())
                .await
        }
    };
    let output = tokio::select! {
        out = work => out,
        _ = env.cancel.cancelled() => crate::tools::ToolOutput {
            text: "interrupted by the user".into(),
            status: ToolStatus::Interrupted,
            exit_code: None,
        },
    };
    // Secrets leave neither to the model, the store nor the front end.
    let output = crate::tools::ToolOutput {
        text: crate::redact::redact(&output.text),
        ..output
    };
    let model_content = envelope::model_content(p, &output.text, env.limits.tool_output_max_bytes);
    Finish {
        status: output.status,
        decided_by,
        decision,
        output: output.text,
        model_content,
        exit_code: output.exit_code,
        stop_turn: false,
    }
}

enum Answer {
    Run(String),
    Stop(Finish),
}

async fn await_answer(
    env: &TurnEnv,
    p: &Prepared,
    request_id: u64,
    answer: oneshot::Receiver<ApprovalDecision>,
) -> Answer {
    let decision = tokio::select! {
        d = answer => d.ok(),
        _ = env.cancel.cancelled() => None,
    };
    env.approvals.forget(request_id);
    if let Some(d) = &decision {
        record_approval(env, p, d).await;
    }
    let notice = |message: String| {
        let _ = env.events.send(Event::Notice {
            level: NoticeLevel::Warning,
            message,
        });
    };
    match decision {
        None => Answer::Stop(Finish {
            status: ToolStatus::Interrupted,
            decided_by: "interrupted before an answer".into(),
            decision: "denied",
            output: "Not run: the turn was interrupted while waiting for approval.".into(),
            model_content: "Not run: the turn was interrupted while waiting for approval.".into(),
            exit_code: None,
            stop_turn: true,
        }),
        Some(ApprovalDecision::ApproveOnce) => Answer::Run("user (once)".into()),
        Some(ApprovalDecision::ApproveSession { rule }) => {
            let rule = rule
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| exact_rule(&p.subject));
            let result = env.gate.lock().allow_for_session(&rule);
            match result {
                Ok(()) => Answer::Run(format!("user (this session: {rule})")),
                Err(e) => {
                    notice(format!("{e}; approved this call once"));
                    Answer::Run("user (once)".into())
                }
            }
        }
        Some(ApprovalDecision::ApproveAlways { rule }) => {
            let result = env.gate.lock().allow_always(&rule);
            match result {
                Ok(()) => {
                    let _ = env.events.send(Event::Notice {
                        level: NoticeLevel::Info,
                        message: format!("saved rule `{rule}` to your config"),
                    });
                }
                Err(e) => notice(format!("{e}; approved this call once")),
            }
            Answer::Run(format!("user (always: {rule})"))
        }
        Some(ApprovalDecision::Deny { reason }) => {
            let why = reason
                .filter(|r| !r.trim().is_empty())
                .map(|r| {
                    let r = r.trim();
                    let stop = if r.ends_with(['.', '!', '?']) {
                        ""
                    } else {
                        "."
                    };
                    format!(" The user said: {r}{stop}")
                })
                .unwrap_or_default();
            Answer::Stop(denied(
                "user",
                format!(
                    "The user denied this call.{why} Do not retry it unchanged; ask the user or take another approach."
                ),
                false,
            ))
        }
        Some(ApprovalDecision::DenyAndStop) => Answer::Stop(denied(
            "user",
            "The user denied this call and stopped the turn.".into(),
            true,
        )),
    }
}

/// The user's answer, stored as an `approval` item of the session.
async fn record_approval(env: &TurnEnv, p: &Prepared, decision: &ApprovalDecision) {
    let (Some(store), Some(session)) = (env.store.clone(), env.session_id.clone()) else {
        return;
    };
    let json = serde_json::json!({
        "call_id": p.call_id,
        "tool": p.name,
        "summary": p.summary,
        "decision": decision,
    })
    .to_string();
    if let Err(e) = store
        .call(move |s| s.append_item(&session, ItemKind::Approval, &json, false, None))
        .await
    {
        tracing::warn!(%e, "storing an approval failed");
    }
}

async fn complete(
    env: &TurnEnv,
    call: &ToolCall,
    summary: String,
    started: Instant,
    f: Finish,
) -> CallDone {
    let duration_ms = started.elapsed().as_millis() as u64;
    let output = cap(&f.output, env.tool_ctx.limits.display_output_max_bytes);
    let _ = env.events.send(Event::ToolCallFinished(ToolCallFinished {
        turn_id: env.turn_id,
        call_id: call.id.clone(),
        tool: call.name.clone(),
        status: f.status,
        decided_by: f.decided_by.clone(),
        output: output.clone(),
        exit_code: f.exit_code,
        duration_ms,
    }));
    audit(
        env,
        call,
        f.decision,
        &f.decided_by,
        f.status,
        f.exit_code,
        duration_ms,
    )
    .await;
    let stored = StoredResult {
        call_id: call.id.clone(),
        tool: call.name.clone(),
        summary,
        status: f.status,
        decided_by: f.decided_by,
        model_content: f.model_content.clone(),
        output,
        exit_code: f.exit_code,
        duration_ms,
    };
    CallDone {
        message: ChatMessage::ToolResult {
            call_id: call.id.clone(),
            content: f.model_content,
            is_error: f.status != ToolStatus::Ok,
        },
        stored,
        status: f.status,
        stop_turn: f.stop_turn,
    }
}

/// One audit row for a call the model made, whatever became of it.
async fn audit(
    env: &TurnEnv,
    call: &ToolCall,
    decision: &str,
    decided_by: &str,
    status: ToolStatus,
    exit_code: Option<i32>,
    duration_ms: u64,
) {
    let Some(store) = &env.store else {
        return;
    };
    let record = AuditRecord {
        time: now_ms(),
        session_id: env.session_id.clone(),
        tool: call.name.clone(),
        arguments: redact(&call.arguments),
        decision: decision.into(),
        decided_by: decided_by.into(),
        status: status_name(status).into(),
        exit_code,
        duration_ms,
    };
    if let Err(e) = store.call(move |s| s.record_audit(&record)).await {
        tracing::error!(%e, "audit write failed");
    }
}

/// The audit row of a call that was never gated (over a limit, or its reply was cut off).
pub async fn audit_unrun(env: &TurnEnv, call: &ToolCall, decided_by: &str) {
    audit(
        env,
        call,
        "not run",
        decided_by,
        ToolStatus::Interrupted,
        None,
        0,
    )
    .await;
}

/// What untrusted content running this call takes into the turn, if any: a web page, a file
/// outside the workspace (skill folders of trusted skills excepted), the output of a shell
/// command that may use the network (it asked for it, or there is no sandbox to stop it).
fn untrusted_source(env: &TurnEnv, p: &Prepared) -> Option<String> {
    use crate::policy::SubjectKind;
    if p.name.starts_with(crate::mcp::names::PREFIX) {
        return Some(format!("the result of the MCP tool {}", p.name));
    }
    match p.subject.kind {
        SubjectKind::Url => Some(format!("a web page from {}", p.subject.text)),
        SubjectKind::Path if !p.inside_workspace && p.risk == RiskLevel::ReadOnly => {
            match skill_tool::skill_folder_of(env, &p.subject.text) {
                Some(false) => None,
                Some(true) => Some(format!("a file of an installed skill: {}", p.subject.text)),
                None => Some(format!("a file outside the workspace: {}", p.subject.text)),
            }
        }
        SubjectKind::Command
            if crate::tools::shell::wants_network(&p.args) || !env.shell_env.sandboxed =>
        {
            Some(format!(
                "the output of a shell command with network access: {}",
                p.subject.text
            ))
        }
        _ => None,
    }
}

pub fn status_name(s: ToolStatus) -> &'static str {
    match s {
        ToolStatus::Ok => "ok",
        ToolStatus::Error => "error",
        ToolStatus::Denied => "denied",
        ToolStatus::Interrupted => "interrupted",
        ToolStatus::TimedOut => "timed_out",
    }
}

/// Keep at most `max` bytes: the head and the tail with a marker between.
fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let half = max / 2;
    let mut head_end = half;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - half;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!(
        "{}\n[… {} bytes not shown …]\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_keeps_head_and_tail_on_char_boundaries() {
        let text = "é".repeat(1000);
        let c = cap(&text, 101);
        assert!(c.starts_with('é') && c.ends_with('é'));
        assert!(c.contains("bytes not shown"));
        assert_eq!(cap("short", 100), "short");
    }
}
