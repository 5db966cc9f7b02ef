//! Declarative tasks from a front end (`/task plan FILE`, `/task apply FILE`): the request and
//! the updates of a run. The runtime does the work (`runtime/task_run.rs`, the same path as
//! `pincer task apply`); the front end only shows it. The one approval of a run is an ordinary
//! `ApprovalRequested` listing every command.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAction {
    /// The action list and the diff against the recorded state; nothing is compiled or run.
    Plan,
    /// Plan, compile, validate, ask once, run.
    Apply,
    /// Stop the running task (the running step is killed; the steps after it do not run).
    Cancel,
}

/// `Op::Task`: plan or apply a `.cw` file (relative to the workspace), or cancel a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRequest {
    pub action: TaskAction,
    #[serde(default)]
    pub file: String,
    /// Compile with the built-in templates instead of the model.
    #[serde(default)]
    pub no_ai: bool,
}

/// One step as approved: what it is for and its command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStep {
    pub purpose: String,
    pub command: String,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskOutcome {
    /// Planned (for `plan`), or every step ran.
    pub ok: bool,
    /// One or a few lines: done, nothing to do, not approved, which step failed and why.
    pub message: String,
    /// The session the run was stored as (browse it in the session pane).
    #[serde(default)]
    pub session_id: Option<String>,
}

/// What changed in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskChange {
    /// The plan, as `pincer task plan` prints it; `actions`: how many steps it needs.
    Plan {
        lines: Vec<String>,
        actions: usize,
    },
    /// The plan goes to the model (or the built-in templates): `by` says which.
    Compiling {
        by: String,
    },
    /// The validated steps, each command as it will run (then the approval is asked).
    Steps {
        steps: Vec<TaskStep>,
    },
    StepStarted {
        index: usize,
    },
    StepFinished {
        index: usize,
        /// `ok`, `failed`, `timed out`, `refused`, `started, healthy`, …
        outcome: String,
        ok: bool,
        exit_code: Option<i32>,
        /// The last lines of its output.
        tail: String,
        duration_ms: u64,
    },
    Finished(TaskOutcome),
}

/// `Event::Task`: an update of the run of task `task` (its name; the file until it loaded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskUpdate {
    pub task: String,
    /// The `.cw` file as the request named it.
    pub file: String,
    pub change: TaskChange,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Event, Op};

    #[test]
    fn task_ops_and_events_round_trip_as_json() {
        let op = Op::Task(TaskRequest {
            action: TaskAction::Apply,
            file: "web.cw".into(),
            no_ai: true,
        });
        let json = serde_json::to_string(&op).unwrap_or_default();
        assert!(json.contains("\"op\":\"task\""), "{json}");
        assert_eq!(serde_json::from_str::<Op>(&json).ok(), Some(op));
        let ev = Event::Task(TaskUpdate {
            task: "web".into(),
            file: "web.cw".into(),
            change: TaskChange::StepFinished {
                index: 1,
                outcome: "ok".into(),
                ok: true,
                exit_code: Some(0),
                tail: "hi".into(),
                duration_ms: 3,
            },
        });
        let json = serde_json::to_string(&ev).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Event>(&json).ok(), Some(ev));
        let done = Event::Task(TaskUpdate {
            task: "web".into(),
            file: "web.cw".into(),
            change: TaskChange::Finished(TaskOutcome {
                ok: false,
                message: "not approved".into(),
                session_id: None,
            }),
        });
        let json = serde_json::to_string(&done).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Event>(&json).ok(), Some(done));
    }
}
