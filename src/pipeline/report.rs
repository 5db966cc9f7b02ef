//! Plain-text rendering of a turn's diagnostics, shared by `pincer explain` and `/context`:
//! the task spec with its decision trace, the policy, the prompt segment by segment, the
//! tools offered and the model. No wall-clock values, so it can be snapshot-tested.

use super::policy::tool_set_name;
use super::prompt::category_name;
use super::spec::task_name;
use crate::protocol::{SegmentStatus, TargetKind, TurnDiagnostics};

fn debug_snake<T: std::fmt::Debug>(v: T) -> String {
    let mut out = String::new();
    for (i, c) in format!("{v:?}").chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub fn status_name(s: SegmentStatus) -> &'static str {
    match s {
        SegmentStatus::Admitted => "admitted",
        SegmentStatus::Trimmed => "trimmed",
        SegmentStatus::Rejected => "rejected",
    }
}

/// The lines of the report (no trailing newlines).
pub fn render(d: &TurnDiagnostics) -> Vec<String> {
    let s = &d.spec;
    let p = &d.policy;
    let mut out = Vec::new();
    out.push(format!(
        "task        {} · {} · risk {} · side effects {} · output {} · language {}",
        task_name(s.task),
        debug_snake(s.complexity),
        debug_snake(s.risk),
        debug_snake(s.side_effects),
        debug_snake(s.output),
        s.language
    ));
    if !s.targets.is_empty() {
        let targets: Vec<String> = s
            .targets
            .iter()
            .map(|t| {
                let kind = match t.kind {
                    TargetKind::Path => "path",
                    TargetKind::Url => "url",
                    TargetKind::Issue => "issue",
                };
                format!("{kind} {}", t.text)
            })
            .collect();
        out.push(format!("targets     {}", targets.join(", ")));
    }
    for fact in &s.session_facts {
        out.push(format!("session     {fact}"));
    }
    out.push("trace".into());
    for t in &s.trace {
        let ev = if t.evidence.is_empty() {
            String::new()
        } else {
            format!(" ← {}", t.evidence)
        };
        out.push(format!("  {:<13} {}{ev}", t.field, t.rule));
    }
    out.push(format!(
        "policy      {} · tools {} · rounds ≤ {} · calls/round ≤ {} · errors in a row ≤ {} · plan step {} · tier {}",
        p.name,
        tool_set_name(p.tool_set),
        p.bounds.max_rounds,
        p.bounds.max_tool_calls_per_round,
        p.bounds.max_consecutive_tool_errors,
        if p.plan_step { "yes" } else { "no" },
        debug_snake(p.tier)
    ));
    out.push(format!(
        "budgets     always-on {} · retrieval {} · injections {}",
        p.budgets.always_on, p.budgets.retrieval, p.budgets.injections
    ));
    for n in &p.notes {
        out.push(format!("note        {n}"));
    }
    out.push("segments".into());
    for seg in &d.segments {
        out.push(format!(
            "  {:<20} {:>6} tok  {:<8} {:<10} {}",
            seg.name,
            seg.tokens,
            status_name(seg.status),
            category_name(seg.category),
            seg.reason
        ));
    }
    let tools = if d.tools_offered.is_empty() {
        "none".to_string()
    } else {
        d.tools_offered.join(", ")
    };
    out.push(format!("tools       {tools} ({} tok)", d.tool_tokens));
    out.push(format!(
        "total       system {} + tools {} + conversation {} = {} tok (bytes / 4; {} as the provider counts)",
        d.system_tokens,
        d.tool_tokens,
        d.conversation_tokens,
        d.system_tokens + d.tool_tokens + d.conversation_tokens,
        d.calibrated_tokens
    ));
    out.push(format!(
        "model       {}",
        if d.model.is_empty() {
            "(none configured)"
        } else {
            &d.model
        }
    ));
    out
}
