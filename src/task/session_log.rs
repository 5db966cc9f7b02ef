//! A task run stored like a session (origin `task`, title `task apply NAME`), so the session
//! pane can browse it and `pincer sessions show` print it: the request, the plan, each step as
//! the shell call it was (command, outcome, output tail) and the outcome. The CLI and the
//! runtime both store runs through `store_run`.

use std::path::Path;

use crate::protocol::{SessionOrigin, ToolStatus};
use crate::runtime::{StoredCall, StoredResult};
use crate::store::{ItemKind, NewSession, Store, StoreError, new_session_id};

use super::state::StepRecord;

/// What one run did, ready to store.
pub struct RunLog<'a> {
    /// `apply` or `destroy`.
    pub verb: &'a str,
    /// The task's name (from its `task` block).
    pub name: &'a str,
    /// The `.cw` file as the user named it.
    pub file: &'a Path,
    /// Where it ran (the session's directory).
    pub cwd: &'a Path,
    /// The plan as `plan::render` shows it.
    pub plan: &'a str,
    /// Every step's command (what was approved), in order.
    pub commands: &'a [(String, String)],
    /// The steps that ran (or were refused), in order.
    pub steps: &'a [StepRecord],
    pub ok: bool,
    /// The closing line: done, or which step failed and why.
    pub outcome: &'a str,
}

/// The session title of a run.
pub fn title(verb: &str, name: &str) -> String {
    format!("task {verb} {name}")
}

/// Store `run` as a new session; its id.
pub fn store_run(store: &Store, run: &RunLog<'_>) -> Result<String, StoreError> {
    let id = new_session_id();
    store.create_session_from(
        &NewSession {
            id: id.clone(),
            title: title(run.verb, run.name),
            cwd: run.cwd.display().to_string(),
            provider: String::new(),
            model: String::new(),
        },
        SessionOrigin::Task,
    )?;
    let request = format!("task {} {}", run.verb, run.file.display());
    store.append_item(&id, ItemKind::User, &request, false, None)?;
    store.append_item(&id, ItemKind::Assistant, &plan_text(run), false, None)?;
    for (i, step) in run.steps.iter().enumerate() {
        let call_id = format!("task-step-{}", i + 1);
        let call = StoredCall {
            id: call_id.clone(),
            name: "shell".into(),
            arguments: serde_json::json!({ "command": step.command }).to_string(),
            summary: format!("{}: {}", step.purpose, step.command),
        };
        store.append_item(&id, ItemKind::ToolCall, &to_json(&call), false, None)?;
        let result = StoredResult {
            call_id,
            tool: "shell".into(),
            summary: call.summary,
            status: status_of(step),
            decided_by: "the task's plan approval".into(),
            model_content: step.output.clone(),
            output: step_output(step),
            exit_code: step.exit_code,
            duration_ms: step.duration_ms,
        };
        store.append_item(&id, ItemKind::ToolResult, &to_json(&result), false, None)?;
    }
    let closing = if run.ok {
        run.outcome.to_string()
    } else {
        format!("**failed** — {}", run.outcome)
    };
    store.append_item(&id, ItemKind::Assistant, &closing, false, None)?;
    Ok(id)
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The plan and every approved command, as the assistant's first message.
fn plan_text(run: &RunLog<'_>) -> String {
    let mut s = format!("Plan for task `{}`:\n\n```\n{}```\n", run.name, run.plan);
    if !run.commands.is_empty() {
        s.push_str("\nSteps:\n\n```\n");
        for (i, (purpose, command)) in run.commands.iter().enumerate() {
            s.push_str(&format!("{:>3}. {purpose}\n       $ {command}\n", i + 1));
        }
        s.push_str("```\n");
    }
    s
}

fn status_of(step: &StepRecord) -> ToolStatus {
    match step.outcome.as_str() {
        "ok" | "started" | "started, healthy" => ToolStatus::Ok,
        "timed out" => ToolStatus::TimedOut,
        "refused" => ToolStatus::Denied,
        "interrupted" => ToolStatus::Interrupted,
        _ => ToolStatus::Error,
    }
}

fn step_output(step: &StepRecord) -> String {
    if step.output.is_empty() {
        step.outcome.clone()
    } else {
        format!("{}\n{}", step.outcome, step.output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::rebuild;

    fn step(purpose: &str, command: &str, outcome: &str, code: Option<i32>) -> StepRecord {
        StepRecord {
            purpose: purpose.into(),
            command: command.into(),
            exit_code: code,
            outcome: outcome.into(),
            output: format!("output of {purpose}"),
            duration_ms: 12,
        }
    }

    #[test]
    fn a_run_is_a_task_session_with_the_plan_and_every_step() {
        let store = Store::open_in_memory().unwrap();
        let steps = vec![
            step("create file.a", "sh a.sh", "ok", Some(0)),
            step("create command.b", "sh b.sh", "failed", Some(3)),
        ];
        let commands: Vec<(String, String)> = vec![
            ("create file.a".into(), "sh a.sh".into()),
            ("create command.b".into(), "sh b.sh".into()),
            ("create command.c".into(), "sh c.sh".into()),
        ];
        let run = RunLog {
            verb: "apply",
            name: "web",
            file: Path::new("web.cw"),
            cwd: Path::new("/w"),
            plan: "+ create file.a\n+ create command.b\n+ create command.c\n",
            commands: &commands,
            steps: &steps,
            ok: false,
            outcome: "step 2 (create command.b) failed: exit code 3",
        };
        let id = store_run(&store, &run).unwrap();
        let row = store.get_session(&id).unwrap().unwrap();
        assert_eq!(row.origin, SessionOrigin::Task);
        assert_eq!(row.title, "task apply web");
        assert_eq!(row.cwd, "/w");

        let loaded = store.load_session(&id).unwrap();
        let history = rebuild(&loaded.items).history;
        use crate::protocol::HistoryItem as H;
        assert!(matches!(&history[0], H::User { text, .. } if text == "task apply web.cw"));
        let H::Assistant { text: plan, .. } = &history[1] else {
            panic!("{history:?}")
        };
        assert!(
            plan.contains("+ create command.c") && plan.contains("$ sh c.sh"),
            "{plan}"
        );
        let H::Tool {
            status,
            exit_code,
            output,
            summary,
            ..
        } = &history[3]
        else {
            panic!("{history:?}")
        };
        assert_eq!(*status, ToolStatus::Error);
        assert_eq!(*exit_code, Some(3));
        assert!(output.contains("output of create command.b"), "{output}");
        assert!(summary.contains("sh b.sh"), "{summary}");
        assert!(matches!(
            &history[2],
            H::Tool {
                status: ToolStatus::Ok,
                ..
            }
        ));
        let H::Assistant { text: last, .. } = &history[4] else {
            panic!("{history:?}")
        };
        assert!(
            last.contains("failed") && last.contains("exit code 3"),
            "{last}"
        );
        assert_eq!(history.len(), 5);
    }

    #[test]
    fn outcomes_map_to_tool_statuses() {
        let s = |o: &str| status_of(&step("p", "c", o, None));
        assert_eq!(s("ok"), ToolStatus::Ok);
        assert_eq!(s("started, healthy"), ToolStatus::Ok);
        assert_eq!(s("unhealthy"), ToolStatus::Error);
        assert_eq!(s("timed out"), ToolStatus::TimedOut);
        assert_eq!(s("refused"), ToolStatus::Denied);
        assert_eq!(s("interrupted"), ToolStatus::Interrupted);
        assert_eq!(s("not started"), ToolStatus::Error);
    }
}
