//! Snapshots of the approval overlay and of tool cells.

use crate::protocol::{
    ApprovalRequested, AssistantDelta, SessionConfigured, ToolCallFinished, ToolCallRunning,
    ToolCallStarted, UserMessage,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::App;
use super::theme::Theme;
use super::view;
use crate::protocol::{
    ApprovalPreview, DecisionKind, Event, ProviderInfo, ProviderKind, RiskLevel, ToolStatus,
};

fn draw(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::render(app, f)).unwrap();
    terminal.backend().to_string()
}

fn app() -> App {
    let mut app = App::new(Theme::dark());
    app.on_event(Event::SessionConfigured(SessionConfigured {
        session_id: None,
        provider: Some(ProviderInfo {
            profile: "ollama".into(),
            kind: ProviderKind::Openai,
            model: "qwen2.5-coder".into(),
            base_url: "http://127.0.0.1:11434/v1".into(),
        }),
        history: vec![],
        input_history: vec![],
        session_tokens: 0,
    }));
    app.on_event(Event::UserMessage(UserMessage {
        text: "run the tests and fix the failure".into(),
        item_id: None,
        pastes: Vec::new(),
    }));
    app.on_event(Event::TurnStarted { turn_id: 1 });
    app
}

fn ask(app: &mut App, id: u64, tool: &str, summary: &str, preview: ApprovalPreview, rule: &str) {
    started(app, id, tool, summary);
    requested(app, id, tool, summary, preview, rule);
}

fn started(app: &mut App, id: u64, tool: &str, summary: &str) {
    app.on_event(Event::ToolCallStarted(ToolCallStarted {
        turn_id: 1,
        call_id: format!("c{id}"),
        tool: tool.into(),
        summary: summary.into(),
        risk: RiskLevel::Exec,
    }));
}

fn requested(
    app: &mut App,
    id: u64,
    tool: &str,
    summary: &str,
    preview: ApprovalPreview,
    rule: &str,
) {
    app.on_event(Event::ApprovalRequested(ApprovalRequested {
        request_id: id,
        call_id: format!("c{id}"),
        tool: tool.into(),
        summary: summary.into(),
        reason: "mode ask: exec tools ask".into(),
        preview,
        decisions: vec![
            DecisionKind::ApproveOnce,
            DecisionKind::ApproveSession,
            DecisionKind::ApproveAlways,
            DecisionKind::Deny,
            DecisionKind::DenyAndStop,
        ],
        suggested_rule: rule.into(),
        session_rule: String::new(),
        taint: None,
    }));
}

fn command(cmd: &str) -> ApprovalPreview {
    ApprovalPreview::Command {
        command: cmd.into(),
        cwd: "~/proj".into(),
    }
}

#[test]
fn shell_command() {
    let mut app = app();
    ask(
        &mut app,
        1,
        "shell",
        "Run `cargo test --quiet` in ~/proj",
        command("cargo test --quiet"),
        "shell: cargo test*",
    );
    insta::assert_snapshot!(draw(&mut app, 90, 24));
}

#[test]
fn edit_diff() {
    let mut app = app();
    let diff = "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,5 +1,5 @@\n pub fn add(a: i32, b: i32) -> i32 {\n-    a - b\n+    a + b\n }\n \n #[cfg(test)]\n";
    ask(
        &mut app,
        1,
        "edit_file",
        "Edit src/lib.rs",
        ApprovalPreview::Diff {
            path: "src/lib.rs".into(),
            diff: diff.into(),
        },
        "edit_file: src/**",
    );
    insta::assert_snapshot!(draw(&mut app, 90, 26));
}

#[test]
fn long_command_scrolls() {
    let mut app = app();
    let cmd: String = (1..=40)
        .map(|i| format!("echo step {i} && \\\n"))
        .collect::<String>()
        + "true";
    ask(
        &mut app,
        1,
        "shell",
        "Run `echo step 1 && \\…` in ~/proj",
        command(&cmd),
        "shell: echo step 1 && \\",
    );
    let first = draw(&mut app, 80, 20);
    assert!(
        first.contains("step 1 ") && !first.contains("step 40"),
        "{first}"
    );
    for _ in 0..60 {
        super::layers::key(
            &mut app,
            ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Down),
        );
    }
    insta::assert_snapshot!(draw(&mut app, 80, 20));
}

#[test]
fn two_queued_requests() {
    let mut app = app();
    ask(
        &mut app,
        1,
        "shell",
        "Run `git status` in ~/proj",
        command("git status"),
        "shell: git status*",
    );
    ask(
        &mut app,
        2,
        "web_fetch",
        "Fetch https://docs.rs/ratatui",
        ApprovalPreview::Text {
            text: "GET https://docs.rs/ratatui".into(),
        },
        "web_fetch: domain:docs.rs",
    );
    insta::assert_snapshot!(draw(&mut app, 90, 22));
}

#[test]
fn rule_editor() {
    let mut app = app();
    ask(
        &mut app,
        1,
        "shell",
        "Run `cargo test --quiet` in ~/proj",
        command("cargo test --quiet"),
        "shell: cargo test*",
    );
    super::layers::key(
        &mut app,
        ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Char('a')),
    );
    insta::assert_snapshot!(draw(&mut app, 90, 20));
}

#[test]
fn tool_cells_collapsed_and_expanded() {
    let mut app = app();
    app.on_event(Event::AssistantDelta(AssistantDelta {
        turn_id: 1,
        text: "Running the tests first.".into(),
    }));
    app.on_event(Event::ToolCallStarted(ToolCallStarted {
        turn_id: 1,
        call_id: "a".into(),
        tool: "shell".into(),
        summary: "Run `cargo test` in ~/proj".into(),
        risk: RiskLevel::Exec,
    }));
    let output: String = (1..=12)
        .map(|i| format!("test case_{i} ... ok\n"))
        .collect::<String>()
        + "test result: FAILED. 11 passed; 1 failed\n[exit code 101]";
    app.on_event(Event::ToolCallFinished(ToolCallFinished {
        turn_id: 1,
        call_id: "a".into(),
        tool: "shell".into(),
        status: ToolStatus::Error,
        decided_by: "user (once)".into(),
        output,
        exit_code: Some(101),
        duration_ms: 4210,
    }));
    app.on_event(Event::ToolCallStarted(ToolCallStarted {
        turn_id: 1,
        call_id: "b".into(),
        tool: "read_file".into(),
        summary: "Read src/lib.rs".into(),
        risk: RiskLevel::ReadOnly,
    }));
    app.on_event(Event::ToolCallFinished(ToolCallFinished { turn_id: 1, call_id: "b".into(), tool: "read_file".into(), status: ToolStatus::Ok, decided_by: "mode ask".into(), output: "src/lib.rs (lines 1–3 of 3)\n   1│ pub fn add(a: i32, b: i32) -> i32 {\n   2│     a - b\n   3│ }".into(), exit_code: None, duration_ms: 2 }));
    app.on_event(Event::ToolCallStarted(ToolCallStarted {
        turn_id: 1,
        call_id: "c".into(),
        tool: "write_file".into(),
        summary: "Write src/lib.rs".into(),
        risk: RiskLevel::Write,
    }));
    app.on_event(Event::ToolCallRunning(ToolCallRunning {
        turn_id: 1,
        call_id: "c".into(),
    }));
    // Allowed, waiting behind "c".
    app.on_event(Event::ToolCallStarted(ToolCallStarted {
        turn_id: 1,
        call_id: "d".into(),
        tool: "shell".into(),
        summary: "Run `cargo test` in ~/proj".into(),
        risk: RiskLevel::Exec,
    }));
    insta::assert_snapshot!("tool_cells_collapsed", draw(&mut app, 80, 22));
    app.toggle_tool_output();
    insta::assert_snapshot!("tool_cells_expanded", draw(&mut app, 80, 34));
}

/// A question in a turn that read untrusted content says so, and "this session" shows the
/// exact rule before it applies.
#[test]
fn tainted_turn_and_exact_session_rule_are_shown() {
    let mut app = app();
    started(&mut app, 1, "write_file", "Write ~/.bashrc");
    app.on_event(Event::ApprovalRequested(ApprovalRequested {
        request_id: 1,
        call_id: "c1".into(),
        tool: "write_file".into(),
        summary: "Write ~/.bashrc".into(),
        reason: "this turn has read untrusted content".into(),
        preview: ApprovalPreview::Text { text: "x".into() },
        decisions: vec![DecisionKind::ApproveOnce, DecisionKind::ApproveSession],
        suggested_rule: "write_file: /home/u/**".into(),
        session_rule: "write_file: /home/u/.bashrc".into(),
        taint: Some("a web page from http://evil.example/".into()),
    }));
    let screen = draw(&mut app, 100, 24);
    assert!(
        screen
            .contains("this turn has read untrusted content: a web page from http://evil.example/"),
        "{screen}"
    );
    let key = |c| {
        ratatui::crossterm::event::KeyEvent::new(
            ratatui::crossterm::event::KeyCode::Char(c),
            ratatui::crossterm::event::KeyModifiers::NONE,
        )
    };
    assert_eq!(app.approvals.handle_key(key('s')), None);
    let screen = draw(&mut app, 100, 24);
    assert!(
        screen.contains("allow this session: write_file: /home/u/.bashrc"),
        "{screen}"
    );
}
