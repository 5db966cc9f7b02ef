//! The task pane: its reducer, keys, `/task` arguments, and snapshots at 80x24 (they are the
//! spec: review by eye; durations come from the events, never from a clock).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::layers::{self, Layer};

fn update(change: TaskChange) -> TaskUpdate {
    TaskUpdate {
        task: "web".into(),
        file: "examples/tasks/web/web.cw".into(),
        change,
    }
}

fn step(purpose: &str, command: &str) -> TaskStep {
    TaskStep {
        purpose: purpose.into(),
        command: command.into(),
    }
}

fn finished(index: usize, ok: bool, outcome: &str, code: Option<i32>, tail: &str) -> TaskChange {
    TaskChange::StepFinished {
        index,
        outcome: outcome.into(),
        ok,
        exit_code: code,
        tail: tail.into(),
        duration_ms: 1250,
    }
}

/// A run of the web example: planned, compiled, two steps done, the third running.
fn running_pane() -> TaskPane {
    let mut p = TaskPane::new(TaskAction::Apply, "examples/tasks/web/web.cw");
    for change in [
        TaskChange::Plan {
            lines: vec![
                "task web: 4 action(s)".into(),
                "  + create directory.site".into(),
                "  + create file.index".into(),
                "  + create service.web".into(),
                "  + create http_check.home".into(),
            ],
            actions: 4,
        },
        TaskChange::Compiling {
            by: "the built-in templates".into(),
        },
        TaskChange::Steps {
            steps: vec![
                step(
                    "create directory.site",
                    "sh .pincer/tasks/web/build/01-directory-site.sh",
                ),
                step(
                    "create file.index",
                    "sh .pincer/tasks/web/build/02-file-index.sh",
                ),
                step(
                    "create service.web",
                    "exec python3 -m http.server 8080 --bind 127.0.0.1",
                ),
                step(
                    "create http_check.home",
                    "sh .pincer/tasks/web/build/04-http_check-home.sh",
                ),
            ],
        },
        TaskChange::StepStarted { index: 0 },
        finished(0, true, "ok", Some(0), ""),
        TaskChange::StepStarted { index: 1 },
        finished(1, true, "ok", Some(0), "wrote site/index.html"),
        TaskChange::StepStarted { index: 2 },
    ] {
        p.apply(update(change));
    }
    p
}

fn draw(pane: &TaskPane, width: u16, height: u16) -> String {
    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            let area = f.area();
            pane.render(area, f.buffer_mut(), &theme)
        })
        .unwrap();
    terminal.backend().to_string()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl_c() -> KeyEvent {
    KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
}

#[test]
fn a_running_apply_at_80x24() {
    insta::assert_snapshot!(draw(&running_pane(), 80, 24));
}

#[test]
fn a_failed_step_shows_its_output_and_the_outcome_at_80x24() {
    let mut p = running_pane();
    p.apply(update(finished(
        2,
        false,
        "unhealthy",
        None,
        "Traceback (most recent call last):\nOSError: [Errno 98] Address already in use",
    )));
    p.apply(update(TaskChange::Finished(TaskOutcome {
        ok: false,
        message: "step 3 (create service.web) failed: http://127.0.0.1:8080/ did not answer\nthe steps after it did not run; log run.log".into(),
        session_id: Some("s1".into()),
    })));
    let shot = draw(&p, 80, 24);
    assert!(shot.contains("Address already in use"), "{shot}");
    assert!(shot.contains("failed"), "{shot}");
    insta::assert_snapshot!(shot);
}

#[test]
fn the_pane_follows_the_end_until_scrolled() {
    let mut p = running_pane();
    // Many steps: the running one stays in view at the bottom.
    let steps: Vec<TaskStep> = (0..30)
        .map(|i| step(&format!("create command.c{i}"), &format!("sh c{i}.sh")))
        .collect();
    p.apply(update(TaskChange::Steps { steps }));
    p.apply(update(TaskChange::StepStarted { index: 29 }));
    let shot = draw(&p, 80, 24);
    assert!(shot.contains("create command.c29"), "{shot}");
    assert!(!shot.contains("  plan"), "scrolled past the plan: {shot}");
    p.handle_key(key(KeyCode::Home));
    let top = draw(&p, 80, 24);
    assert!(
        top.contains("plan") && !top.contains("command.c29"),
        "{top}"
    );
    p.handle_key(key(KeyCode::End));
    assert!(draw(&p, 80, 24).contains("create command.c29"));
}

#[test]
fn keys_hide_and_stop() {
    let mut p = running_pane();
    assert_eq!(p.handle_key(ctrl_c()), TaskPaneAction::Stop);
    assert_eq!(p.handle_key(key(KeyCode::Esc)), TaskPaneAction::Hide);
    p.apply(update(TaskChange::Finished(TaskOutcome {
        ok: true,
        message: "done".into(),
        session_id: None,
    })));
    assert!(!p.running());
    assert_eq!(p.handle_key(ctrl_c()), TaskPaneAction::Hide);
}

#[test]
fn task_arguments_parse() {
    assert_eq!(parse_args(""), TaskCommand::Show);
    assert_eq!(
        parse_args("plan a.cw"),
        TaskCommand::Run(TaskRequest {
            action: TaskAction::Plan,
            file: "a.cw".into(),
            no_ai: false
        })
    );
    assert_eq!(
        parse_args("apply --no-ai dir/a.cw"),
        TaskCommand::Run(TaskRequest {
            action: TaskAction::Apply,
            file: "dir/a.cw".into(),
            no_ai: true
        })
    );
    assert!(matches!(parse_args("cancel"), TaskCommand::Run(r) if r.action == TaskAction::Cancel));
    assert!(
        matches!(parse_args("apply"), TaskCommand::Usage(u) if u.contains("name the task file"))
    );
    assert!(matches!(parse_args("destroy a.cw"), TaskCommand::Usage(u) if u.contains("unknown")));
    assert!(matches!(parse_args("plan a.cw b.cw"), TaskCommand::Usage(u) if u.contains("`b.cw`")));
}

#[test]
fn slash_task_opens_the_pane_and_sends_the_op_and_the_approval_stays_on_top() {
    let mut app = App::new(Theme::dark());
    let ops = app.task_command("apply web.cw");
    assert_eq!(
        ops,
        vec![Op::Task(TaskRequest {
            action: TaskAction::Apply,
            file: "web.cw".into(),
            no_ai: false
        })]
    );
    assert_eq!(layers::top(&app), Layer::Task);
    // A second run while one goes on is not sent.
    assert!(app.task_command("plan other.cw").is_empty());

    // The run's one approval comes above the pane.
    app.on_event(crate::protocol::Event::ApprovalRequested(
        crate::protocol::ApprovalRequested {
            request_id: 7,
            call_id: "task-web".into(),
            tool: "task".into(),
            summary: "Run 4 step(s) of task web".into(),
            reason: "a task run asks once for all its steps".into(),
            preview: crate::protocol::ApprovalPreview::Text {
                text: "  1. create file.a\n       $ sh a.sh\n".into(),
            },
            decisions: vec![
                crate::protocol::DecisionKind::ApproveOnce,
                crate::protocol::DecisionKind::DenyAndStop,
            ],
            suggested_rule: String::new(),
            session_rule: String::new(),
            taint: None,
        },
    ));
    assert_eq!(layers::top(&app), Layer::Approval);

    // Esc hides the pane once the approval is answered; `/task` shows it again.
    app.approvals.clear();
    layers::key(&mut app, key(KeyCode::Esc));
    assert_eq!(layers::top(&app), Layer::Base);
    app.on_event(crate::protocol::Event::Task(update(TaskChange::Finished(
        TaskOutcome {
            ok: true,
            message: "done: 4 step(s) ran".into(),
            session_id: Some("s".into()),
        },
    ))));
    assert_eq!(
        layers::top(&app),
        Layer::Base,
        "an update does not reopen it"
    );
    assert!(app.task_command("").is_empty());
    assert_eq!(layers::top(&app), Layer::Task);
}

#[test]
fn task_is_offered_in_the_popup_and_listed_in_help() {
    let names: Vec<String> = crate::tui::slash::matches_with_skills("/ta", &[])
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names.first().map(String::as_str), Some("task"));
    assert!(
        crate::tui::keymap::help_sections()
            .iter()
            .any(|(title, _)| title.contains("/task"))
    );
}
