//! `/task plan|apply` through the runtime (`Op::Task` in, `Event::Task` out): the plan, the
//! compile (templates, or the scripted model through the runtime's chain), ONE approval with
//! every command, steps through the gate and the sandbox, the run stored as a `task` session;
//! refusals, a non-interactive front end, the user's deny rules, and a cancelled run.

#![cfg(feature = "tasks")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pincer::config::{Config, NetworkConfig, Permissions, ResolveError, ResolvedProvider};
use pincer::protocol::{
    ApprovalDecision, ApprovalPreview, Event, HistoryItem, Op, SessionOrigin, TaskAction,
    TaskChange, TaskOutcome, TaskRequest, ToolStatus,
};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use pincer::store::Store;
use support::events::mock_provider;
use support::mock_server::*;

const TWO_STEPS: &str = "task \"t\" {}\nfile \"a\" {\n  path    = \"out.txt\"\n  content = \"hi\"\n}\ncommand \"b\" {\n  run = \"echo b > b.txt\"\n}\n";

struct Setup {
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Setup {
    fn new(cw: &str) -> Setup {
        let s = Setup {
            home: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
        };
        std::fs::write(s.work.path().join("t.cw"), cw).unwrap();
        s
    }

    fn settings(&self, provider: Result<ResolvedProvider, ResolveError>) -> RuntimeSettings {
        let config = Config {
            network: NetworkConfig {
                retry_base_delay_ms: 5,
                stream_idle_timeout_ms: 10_000,
                ..NetworkConfig::default()
            },
            ..Config::default()
        };
        let workspace = std::fs::canonicalize(self.work.path()).unwrap();
        let mut s = RuntimeSettings::new(config, provider, workspace);
        s.config_path = self.home.path().join("config.toml");
        s.database = Some(self.db());
        s.temp_dir = self.home.path().join("tmp");
        s.env = Arc::new(|_: &str| None);
        s.exe = PathBuf::from(env!("CARGO_BIN_EXE_pincer"));
        s
    }

    fn db(&self) -> PathBuf {
        self.home.path().join("pincer.db")
    }

    fn no_model(&self) -> RuntimeSettings {
        self.settings(Err(ResolveError::NothingConfigured {
            config_path: "config.toml".into(),
        }))
    }

    fn file(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }
}

async fn next(rt: &mut RuntimeHandle) -> Event {
    tokio::time::timeout(Duration::from_secs(120), rt.events.recv())
        .await
        .expect("an event within 120 s")
        .expect("runtime alive")
}

/// Task events and approval requests up to and including `stop`.
async fn until(rt: &mut RuntimeHandle, stop: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let ev = next(rt).await;
        if !matches!(ev, Event::Task(_) | Event::ApprovalRequested(_)) {
            continue;
        }
        let done = stop(&ev);
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

fn asked(e: &Event) -> bool {
    matches!(e, Event::ApprovalRequested(_))
}

fn ended(e: &Event) -> bool {
    matches!(e, Event::Task(u) if matches!(u.change, TaskChange::Finished(_)))
}

fn outcome(events: &[Event]) -> TaskOutcome {
    events
        .iter()
        .find_map(|e| match e {
            Event::Task(u) => match &u.change {
                TaskChange::Finished(o) => Some(o.clone()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_else(|| panic!("no outcome in {events:?}"))
}

fn task(rt: &RuntimeHandle, action: TaskAction, file: &str, no_ai: bool) {
    rt.ops
        .send(Op::Task(TaskRequest {
            action,
            file: file.into(),
            no_ai,
        }))
        .unwrap();
}

fn answer(rt: &RuntimeHandle, events: &[Event], decision: ApprovalDecision) {
    let Some(Event::ApprovalRequested(pincer::protocol::ApprovalRequested { request_id, .. })) =
        events.last()
    else {
        panic!("no approval request: {events:?}")
    };
    rt.ops
        .send(Op::ApprovalDecision {
            request_id: *request_id,
            decision,
        })
        .unwrap();
}

fn preview_text(events: &[Event]) -> String {
    match events.last() {
        Some(Event::ApprovalRequested(pincer::protocol::ApprovalRequested {
            preview: ApprovalPreview::Text { text },
            ..
        })) => text.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn plan_shows_the_action_list_and_runs_nothing() {
    let t = Setup::new(TWO_STEPS);
    let mut rt = runtime::spawn(t.no_model());
    task(&rt, TaskAction::Plan, "t.cw", false);
    let events = until(&mut rt, ended).await;
    let Event::Task(first) = &events[0] else {
        panic!("{events:?}")
    };
    let TaskChange::Plan { lines, actions } = &first.change else {
        panic!("{events:?}")
    };
    assert_eq!(first.task, "t");
    assert_eq!(*actions, 2);
    let text = lines.join("\n");
    assert!(
        text.contains("create file.a") && text.contains("create command.b"),
        "{text}"
    );
    let o = outcome(&events);
    assert!(o.ok && o.message.contains("planned: 2 action(s)"), "{o:?}");
    assert!(!events.iter().any(asked));
    assert!(!t.file(".pincer").exists() && !t.file("out.txt").exists());
}

#[tokio::test]
async fn apply_asks_once_with_every_command_runs_the_steps_and_stores_a_task_session() {
    let t = Setup::new(TWO_STEPS);
    let mut rt = runtime::spawn(t.no_model());
    task(&rt, TaskAction::Apply, "t.cw", false);
    let events = until(&mut rt, asked).await;
    assert!(
        events.iter().any(|e| matches!(e, Event::Task(u)
            if matches!(&u.change, TaskChange::Compiling { by } if by.contains("no model is configured")))),
        "{events:?}"
    );
    let text = preview_text(&events);
    assert!(
        text.contains("$ sh .pincer/tasks/t/build/01-file-a.sh")
            && text.contains("$ sh .pincer/tasks/t/build/02-command-b.sh"),
        "every command is in the one approval: {text}"
    );
    assert!(
        !t.file("out.txt").exists(),
        "nothing runs before the answer"
    );
    answer(&rt, &events, ApprovalDecision::ApproveOnce);
    let events = until(&mut rt, ended).await;
    assert!(!events.iter().any(asked), "one approval only: {events:?}");
    let progress: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Task(u) => match &u.change {
                TaskChange::StepStarted { index } => Some(format!("start {index}")),
                TaskChange::StepFinished { index, outcome, .. } => {
                    Some(format!("end {index} {outcome}"))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(progress, ["start 0", "end 0 ok", "start 1", "end 1 ok"]);
    let o = outcome(&events);
    assert!(o.ok, "{o:?}");
    assert_eq!(std::fs::read_to_string(t.file("out.txt")).unwrap(), "hi");
    assert_eq!(std::fs::read_to_string(t.file("b.txt")).unwrap(), "b\n");

    // Stored like a session: origin task, title, the plan, each step, the outcome.
    let id = o.session_id.expect("stored as a session");
    let store = Store::open(&t.db()).unwrap();
    let row = store.get_session(&id).unwrap().unwrap();
    assert_eq!(row.origin, SessionOrigin::Task);
    assert_eq!(row.title, "task apply t");
    let history = runtime::rebuild(&store.load_session(&id).unwrap().items).history;
    let tools: Vec<(String, ToolStatus)> = history
        .iter()
        .filter_map(|h| match h {
            HistoryItem::Tool {
                summary, status, ..
            } => Some((summary.clone(), *status)),
            _ => None,
        })
        .collect();
    assert_eq!(tools.len(), 2, "{history:?}");
    assert!(tools[0].0.contains("create file.a") && tools[0].0.contains("01-file-a.sh"));
    assert!(tools.iter().all(|(_, s)| *s == ToolStatus::Ok));

    // Applied: the next plan has nothing to do.
    task(&rt, TaskAction::Apply, "t.cw", false);
    let again = until(&mut rt, ended).await;
    assert!(
        outcome(&again).message.contains("nothing to do"),
        "{again:?}"
    );
    assert!(!again.iter().any(asked));
}

#[tokio::test]
async fn a_denied_plan_runs_nothing() {
    let t = Setup::new(TWO_STEPS);
    let mut rt = runtime::spawn(t.no_model());
    task(&rt, TaskAction::Apply, "t.cw", true);
    let events = until(&mut rt, asked).await;
    answer(&rt, &events, ApprovalDecision::DenyAndStop);
    let events = until(&mut rt, ended).await;
    let o = outcome(&events);
    assert!(!o.ok && o.message.contains("not approved"), "{o:?}");
    assert!(!t.file("out.txt").exists() && !t.file("b.txt").exists());
    assert!(o.session_id.is_none());
}

#[tokio::test]
async fn without_a_front_end_to_ask_nothing_runs() {
    let t = Setup::new(TWO_STEPS);
    let mut s = t.no_model();
    s.interactive = false;
    let mut rt = runtime::spawn(s);
    task(&rt, TaskAction::Apply, "t.cw", true);
    let events = until(&mut rt, ended).await;
    assert!(!events.iter().any(asked));
    let o = outcome(&events);
    assert!(!o.ok && o.message.contains("--yes"), "{o:?}");
    assert!(!t.file("out.txt").exists());
}

#[tokio::test]
async fn the_model_compiles_through_the_runtimes_chain() {
    let t =
        Setup::new("task \"t\" {}\nfile \"a\" {\n  path    = \"out.txt\"\n  content = \"hi\"\n}\n");
    let bundle = serde_json::json!({
        "files": [{"path": "a.sh", "mode": "0755", "purpose": "create file.a", "language": "sh",
                   "content": "#!/bin/sh\nprintf model > out.txt\n"}],
        "steps": [{"purpose": "create file.a", "command": "sh .pincer/tasks/t/build/a.sh"}],
        "variables": {}
    });
    let server =
        MockServer::start(vec![Reply::sse(openai_sse(&[&bundle.to_string()], None))]).await;
    let mut rt = runtime::spawn(t.settings(Ok(mock_provider(&server.url()))));
    task(&rt, TaskAction::Apply, "t.cw", false);
    let events = until(&mut rt, asked).await;
    assert!(
        events.iter().any(|e| matches!(e, Event::Task(u)
            if matches!(&u.change, TaskChange::Compiling { by } if by.contains("the model (m)")))),
        "{events:?}"
    );
    assert!(preview_text(&events).contains("$ sh .pincer/tasks/t/build/a.sh"));
    answer(&rt, &events, ApprovalDecision::ApproveOnce);
    let o = outcome(&until(&mut rt, ended).await);
    assert!(o.ok, "{o:?}");
    assert_eq!(std::fs::read_to_string(t.file("out.txt")).unwrap(), "model");
    let asked_model = server.requests()[0].json().unwrap()["messages"].to_string();
    assert!(asked_model.contains("create file.a"), "{asked_model}");
}

#[tokio::test]
async fn the_users_deny_rules_still_refuse_an_approved_step() {
    let t = Setup::new(TWO_STEPS);
    let mut s = t.no_model();
    s.config.permissions = Permissions {
        deny: vec!["shell: sh .pincer/tasks/t/build/02-*".into()],
        ..Permissions::default()
    };
    let mut rt = runtime::spawn(s);
    task(&rt, TaskAction::Apply, "t.cw", true);
    let events = until(&mut rt, asked).await;
    answer(&rt, &events, ApprovalDecision::ApproveOnce);
    let events = until(&mut rt, ended).await;
    let o = outcome(&events);
    assert!(
        !o.ok
            && o.message
                .contains("step 2 (create command.b) failed: refused by rule deny"),
        "{o:?}"
    );
    assert!(t.file("out.txt").exists() && !t.file("b.txt").exists());
}

#[tokio::test]
async fn a_cancelled_run_kills_the_running_step_and_stops() {
    let t = Setup::new(
        "task \"t\" {}\ncommand \"hang\" {\n  run = \"sleep 600\"\n}\ncommand \"after\" {\n  run = \"echo x > after.txt\"\n  depends_on = [command.hang]\n}\n",
    );
    let mut rt = runtime::spawn(t.no_model());
    task(&rt, TaskAction::Apply, "t.cw", true);
    let events = until(&mut rt, asked).await;
    answer(&rt, &events, ApprovalDecision::ApproveOnce);
    until(
        &mut rt,
        |e| matches!(e, Event::Task(u) if matches!(u.change, TaskChange::StepStarted { index: 0 })),
    )
    .await;
    // A second run while this one goes on is refused, not queued.
    task(&rt, TaskAction::Plan, "t.cw", false);
    let busy = until(&mut rt, ended).await;
    assert!(
        outcome(&busy).message.contains("a task is running"),
        "{busy:?}"
    );
    task(&rt, TaskAction::Cancel, "", false);
    let events = until(&mut rt, ended).await;
    let o = outcome(&events);
    assert!(!o.ok && o.message.contains("interrupted"), "{o:?}");
    assert!(!t.file("after.txt").exists());
}

#[tokio::test]
async fn a_bad_file_is_reported_with_its_location() {
    let t = Setup::new("task \"t\" {}\nfile \"a\" {\n  path = var.missing\n}\n");
    let mut rt = runtime::spawn(t.no_model());
    task(&rt, TaskAction::Apply, "t.cw", true);
    let events = until(&mut rt, ended).await;
    let o = outcome(&events);
    assert!(
        !o.ok
            && o.message
                .contains("t.cw:3:10: missing variable `var.missing`"),
        "{o:?}"
    );
    task(&rt, TaskAction::Plan, "absent.cw", false);
    let o = outcome(&until(&mut rt, ended).await);
    assert!(!o.ok && o.message.contains("absent.cw"), "{o:?}");
}

#[tokio::test]
async fn a_watched_task_file_that_changes_gets_a_drift_notice() {
    let t = Setup::new(TWO_STEPS);
    let cw = std::fs::canonicalize(t.file("t.cw")).unwrap();
    let mut s = t.no_model();
    s.config.tasks.watch = vec!["t.cw".into()];
    let mut rt = runtime::spawn(s);
    // Started before the op loop: a first op's answer means the watch is in place.
    task(&rt, TaskAction::Plan, "t.cw", false);
    until(&mut rt, ended).await;

    std::fs::write(t.file("unrelated.txt"), "noise").unwrap();
    std::fs::write(&cw, format!("{TWO_STEPS}# edited\n")).unwrap();
    let notice = loop {
        match next(&mut rt).await {
            Event::Notice { message, .. } if message.starts_with("task ") => break message,
            _ => {}
        }
    };
    assert!(
        notice.contains("t.cw changed: 2 of 2 resource(s) drifted")
            && notice.contains("file.a: not applied yet"),
        "{notice}"
    );
    assert!(!notice.contains("unrelated"), "{notice}");
}
