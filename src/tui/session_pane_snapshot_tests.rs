//! Snapshots of the session pane and the fork picker (they are the spec: review by eye).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fork_picker::ForkPicker;
use super::session_pane::SessionPane;
use super::theme::Theme;
use crate::protocol::{HistoryItem, SessionScope, SessionSummary, ToolStatus};

const NOW: i64 = 1_790_000_000_000;
const MIN: i64 = 60_000;

fn draw(pane: &SessionPane, width: u16, height: u16) -> String {
    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            let area = f.area();
            pane.render(area, f.buffer_mut(), &theme, NOW)
        })
        .unwrap();
    terminal.backend().to_string()
}

fn session(id: &str, title: &str, minutes_ago: i64) -> SessionSummary {
    SessionSummary {
        id: id.into(),
        title: title.into(),
        created_ms: NOW - minutes_ago * MIN - 3_600_000,
        updated_ms: NOW - minutes_ago * MIN,
        cwd: "/home/me/src/pincer".into(),
        provider: "ollama".into(),
        model: "qwen2.5-coder".into(),
        message_count: 12,
        parent_id: None,
        archived: false,
        first_prompt: format!("{title} please"),
        origin: Default::default(),
    }
}

fn pane(scope: SessionScope, sessions: Vec<SessionSummary>, current: Option<&str>) -> SessionPane {
    let mut p = SessionPane::new(scope);
    p.set_home(Some("/home/me".into()));
    p.set_sessions(scope, sessions, current.map(str::to_string));
    p
}

fn three() -> Vec<SessionSummary> {
    let mut a = session("a", "Fix the failing parser test", 5);
    a.message_count = 12;
    let mut b = session("b", "Write the README install section", 3 * 60);
    b.message_count = 1;
    b.model = "claude-sonnet-4-5".into();
    let mut c = session("c", "", 60 * 24 * 4);
    c.message_count = 230;
    c.cwd = "/srv/work/very/deep/folder/of/a/monorepo/service".into();
    vec![a, b, c]
}

fn fork_tree() -> Vec<SessionSummary> {
    let mut parent = session("p", "Port the store to SQLite", 60);
    parent.message_count = 24;
    let mut f1 = session("f1", "Try WAL mode", 30);
    f1.parent_id = Some("p".into());
    let mut f2 = session("f2", "Try a single connection", 10);
    f2.parent_id = Some("p".into());
    let mut f3 = session("f3", "WAL with a busy timeout", 20);
    f3.parent_id = Some("f1".into());
    let mut other = session("o", "Fix the failing parser test", 60 * 30);
    other.message_count = 6;
    let mut old = session("old", "Old experiment with tokio-uring", 60 * 24 * 40);
    old.archived = true;
    old.message_count = 3;
    vec![parent, f1, f2, f3, other, old]
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn preview() -> Vec<HistoryItem> {
    vec![
        HistoryItem::User {
            text: "the parser test fails on nested lists, can you fix it?".into(),
            item_id: Some(1),
            pastes: Vec::new(),
        },
        HistoryItem::Tool {
            call_id: "c1".into(),
            tool: "shell".into(),
            summary: "cargo test".into(),
            status: ToolStatus::Error,
            decided_by: "user".into(),
            output: String::new(),
            exit_code: Some(101),
            duration_ms: 4000,
        },
        HistoryItem::Assistant {
            text: "The list parser drops the indent of nested items. I changed `indent_of` to \
                   count tabs as four spaces and added a test for it."
                .into(),
            interrupted: false,
        },
        HistoryItem::Tool {
            call_id: "c2".into(),
            tool: "shell".into(),
            summary: "cargo test".into(),
            status: ToolStatus::Ok,
            decided_by: "user".into(),
            output: String::new(),
            exit_code: Some(0),
            duration_ms: 4000,
        },
        HistoryItem::User {
            text: "great, now also handle\nblank lines between items".into(),
            item_id: Some(9),
            pastes: Vec::new(),
        },
        HistoryItem::Assistant {
            text: "Looking at how blank lines".into(),
            interrupted: true,
        },
    ]
}

#[test]
fn pane_empty() {
    let p = pane(SessionScope::ThisDirectory, Vec::new(), None);
    insta::assert_snapshot!(draw(&p, 80, 14));
}

#[test]
fn pane_loading() {
    let p = SessionPane::new(SessionScope::All);
    insta::assert_snapshot!(draw(&p, 80, 14));
}

#[test]
fn three_sessions() {
    let mut p = pane(SessionScope::ThisDirectory, three(), Some("a"));
    p.set_preview("a".into(), preview());
    insta::assert_snapshot!(draw(&p, 120, 30));
}

#[test]
fn three_sessions_narrow_preview_below() {
    let mut p = pane(SessionScope::ThisDirectory, three(), Some("a"));
    p.set_preview("a".into(), preview());
    insta::assert_snapshot!(draw(&p, 100, 24));
}

#[test]
fn filter_active() {
    let mut p = pane(SessionScope::All, fork_tree(), Some("p"));
    for c in "wal".chars() {
        p.handle_key(key(KeyCode::Char(c)));
    }
    insta::assert_snapshot!(draw(&p, 100, 16));
}

#[test]
fn filter_no_match() {
    let mut p = pane(SessionScope::All, fork_tree(), None);
    for c in "zebra".chars() {
        p.handle_key(key(KeyCode::Char(c)));
    }
    insta::assert_snapshot!(draw(&p, 80, 10));
}

#[test]
fn fork_tree_wide() {
    let p = pane(SessionScope::All, fork_tree(), Some("f1"));
    insta::assert_snapshot!(draw(&p, 100, 16));
}

#[test]
fn fork_tree_60_columns() {
    let mut p = pane(SessionScope::All, fork_tree(), Some("f1"));
    p.handle_key(key(KeyCode::Down));
    insta::assert_snapshot!(draw(&p, 60, 16));
}

#[test]
fn rename_mode() {
    let mut p = pane(SessionScope::ThisDirectory, three(), None);
    p.handle_key(ctrl('r'));
    for c in " (done)".chars() {
        p.handle_key(key(KeyCode::Char(c)));
    }
    insta::assert_snapshot!(draw(&p, 90, 10));
}

#[test]
fn rename_empty_refused() {
    let mut p = pane(SessionScope::ThisDirectory, three(), None);
    p.handle_key(ctrl('r'));
    p.handle_key(ctrl('u'));
    p.handle_key(key(KeyCode::Enter));
    insta::assert_snapshot!(draw(&p, 90, 10));
}

#[test]
fn confirm_delete() {
    let mut p = pane(SessionScope::ThisDirectory, three(), None);
    p.handle_key(ctrl('d'));
    insta::assert_snapshot!(draw(&p, 90, 10));
}

#[test]
fn preview_right_140_columns() {
    let mut p = pane(SessionScope::All, fork_tree(), Some("p"));
    p.handle_key(key(KeyCode::Down));
    p.handle_key(key(KeyCode::Down));
    p.set_preview("f1".into(), preview());
    insta::assert_snapshot!(draw(&p, 140, 24));
}

#[test]
fn tiny_areas_do_not_panic() {
    let mut p = pane(SessionScope::All, fork_tree(), Some("p"));
    p.set_preview("p".into(), preview());
    let theme = Theme::dark();
    for (w, h) in [
        (0, 0),
        (0, 5),
        (5, 0),
        (1, 1),
        (3, 2),
        (10, 3),
        (20, 5),
        (40, 8),
        (110, 6),
    ] {
        let area = ratatui::layout::Rect::new(0, 0, w, h);
        let mut buf = ratatui::buffer::Buffer::empty(area);
        p.render(area, &mut buf, &theme, NOW);
        // An area larger than the buffer is clipped too.
        p.render(
            ratatui::layout::Rect::new(0, 0, w + 7, h + 3),
            &mut buf,
            &theme,
            NOW,
        );
    }
    insta::assert_snapshot!("tiny_10x3", draw(&p, 10, 3));
}

#[test]
fn fork_picker() {
    let picker = ForkPicker::new(vec![
        (
            1,
            "the parser test fails on nested lists, can you fix it?".into(),
        ),
        (5, "now run clippy".into()),
        (
            9,
            "great, now also handle\nblank lines between items, and make sure the whole \
             thing still works with tabs"
                .into(),
        ),
    ]);
    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(80, 16)).unwrap();
    terminal
        .draw(|f| {
            let area = f.area();
            picker.render(area, f.buffer_mut(), &theme)
        })
        .unwrap();
    insta::assert_snapshot!(terminal.backend().to_string());
}
