//! Key handling, tree and filter of the session pane (drawing: `session_pane_snapshot_tests`).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;

const NOW: i64 = 1_790_000_000_000;

pub(crate) fn session(id: &str, title: &str, minutes_ago: i64) -> SessionSummary {
    SessionSummary {
        id: id.into(),
        title: title.into(),
        created_ms: NOW - minutes_ago * 60_000 - 3_600_000,
        updated_ms: NOW - minutes_ago * 60_000,
        cwd: "/home/me/src/pincer".into(),
        provider: "ollama".into(),
        model: "qwen2.5-coder".into(),
        message_count: 4,
        parent_id: None,
        archived: false,
        first_prompt: format!("{title} please"),
        origin: Default::default(),
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn typed(pane: &mut SessionPane, text: &str) {
    for c in text.chars() {
        pane.handle_key(key(KeyCode::Char(c)));
    }
}

fn pane(sessions: Vec<SessionSummary>) -> SessionPane {
    let mut p = SessionPane::new(SessionScope::ThisDirectory);
    p.set_sessions(SessionScope::ThisDirectory, sessions, None);
    p
}

fn three() -> Vec<SessionSummary> {
    vec![
        session("a", "Fix the parser", 5),
        session("b", "Write the README", 60 * 3),
        session("c", "Refactor sandbox", 60 * 30),
    ]
}

fn visible(p: &SessionPane) -> Vec<(String, String)> {
    p.list
        .rows()
        .iter()
        .map(|r| (p.sessions[r.idx].id.clone(), r.prefix.clone()))
        .collect()
}

#[test]
fn typing_filters_and_esc_clears_then_closes() {
    let mut p = pane(three());
    typed(&mut p, "readme");
    assert_eq!(p.filter(), "readme");
    assert_eq!(p.selected_id(), Some("b"));
    assert_eq!(p.list.rows().len(), 1);
    p.handle_key(key(KeyCode::Backspace));
    assert_eq!(p.filter(), "readm");
    assert_eq!(p.handle_key(key(KeyCode::Esc)), PaneAction::None);
    assert_eq!(p.filter(), "");
    assert_eq!(p.list.rows().len(), 3);
    assert_eq!(p.handle_key(key(KeyCode::Esc)), PaneAction::Close);
}

#[test]
fn enter_resumes_and_current_just_closes() {
    let mut p = SessionPane::new(SessionScope::ThisDirectory);
    p.set_sessions(SessionScope::ThisDirectory, three(), Some("a".into()));
    assert_eq!(p.handle_key(key(KeyCode::Enter)), PaneAction::Close);
    p.handle_key(key(KeyCode::Down));
    assert_eq!(
        p.handle_key(key(KeyCode::Enter)),
        PaneAction::Resume("b".into())
    );
}

#[test]
fn delete_asks_first() {
    let mut p = pane(three());
    assert_eq!(p.handle_key(ctrl('d')), PaneAction::None);
    assert!(matches!(p.mode(), Mode::ConfirmDelete { id } if id == "a"));
    assert_eq!(p.handle_key(key(KeyCode::Char('n'))), PaneAction::None);
    assert_eq!(p.mode(), &Mode::Browse);
    assert_eq!(p.filter(), "", "n did not type into the filter");
    p.handle_key(ctrl('d'));
    assert_eq!(p.handle_key(key(KeyCode::Char('x'))), PaneAction::None);
    assert_eq!(p.handle_key(key(KeyCode::Enter)), PaneAction::None);
    assert_eq!(
        p.handle_key(key(KeyCode::Char('y'))),
        PaneAction::Delete("a".into())
    );
    assert_eq!(p.mode(), &Mode::Browse);
}

#[test]
fn rename_flow() {
    let mut p = pane(three());
    p.handle_key(ctrl('r'));
    assert_eq!(
        p.mode(),
        &Mode::Rename {
            id: "a".into(),
            text: "Fix the parser".into()
        }
    );
    p.handle_key(ctrl('u'));
    typed(&mut p, "   ");
    assert_eq!(p.handle_key(key(KeyCode::Enter)), PaneAction::None);
    assert!(p.notice.is_some(), "an empty title is refused");
    assert!(matches!(p.mode(), Mode::Rename { .. }));
    typed(&mut p, "Parser fixes");
    assert_eq!(
        p.handle_key(key(KeyCode::Enter)),
        PaneAction::Rename {
            id: "a".into(),
            title: "Parser fixes".into()
        }
    );
    assert_eq!(p.mode(), &Mode::Browse);
    p.handle_key(ctrl('r'));
    typed(&mut p, "x");
    assert_eq!(p.handle_key(key(KeyCode::Esc)), PaneAction::None);
    assert_eq!(p.mode(), &Mode::Browse);
    assert_eq!(p.filter(), "");
}

#[test]
fn tab_toggles_scope_and_ignores_stale_lists() {
    let mut p = pane(three());
    assert_eq!(
        p.handle_key(key(KeyCode::Tab)),
        PaneAction::SetScope(SessionScope::All)
    );
    assert!(p.is_loading());
    assert!(p.sessions().is_empty());
    p.set_sessions(SessionScope::ThisDirectory, three(), None);
    assert!(p.is_loading(), "an answer for the old scope is ignored");
    p.set_sessions(SessionScope::All, three(), None);
    assert!(!p.is_loading());
    assert_eq!(p.scope(), SessionScope::All);
    assert_eq!(
        p.handle_key(key(KeyCode::Tab)),
        PaneAction::SetScope(SessionScope::ThisDirectory)
    );
}

#[test]
fn need_preview_once_per_uncached_session() {
    let mut p = SessionPane::new(SessionScope::ThisDirectory);
    assert_eq!(
        p.set_sessions(SessionScope::ThisDirectory, three(), None),
        PaneAction::NeedPreview("a".into())
    );
    assert_eq!(
        p.handle_key(key(KeyCode::Down)),
        PaneAction::NeedPreview("b".into())
    );
    p.set_preview("b".into(), Vec::new());
    assert_eq!(p.handle_key(key(KeyCode::Up)), PaneAction::None, "asked");
    assert_eq!(p.handle_key(key(KeyCode::Down)), PaneAction::None, "cached");
    assert_eq!(
        p.handle_key(key(KeyCode::End)),
        PaneAction::NeedPreview("c".into())
    );
    assert_eq!(p.handle_key(key(KeyCode::Home)), PaneAction::None);
    // A changed session is asked again.
    let mut changed = three();
    changed[1].updated_ms += 1;
    p.set_sessions(SessionScope::ThisDirectory, changed, None);
    assert_eq!(
        p.handle_key(key(KeyCode::Down)),
        PaneAction::NeedPreview("b".into())
    );
}

#[test]
fn ctrl_keys_act_on_the_selection() {
    let mut p = pane(three());
    p.handle_key(ctrl('n'));
    assert_eq!(p.handle_key(ctrl('f')), PaneAction::Fork("b".into()));
    assert_eq!(
        p.handle_key(ctrl('a')),
        PaneAction::SetArchived {
            id: "b".into(),
            archived: true
        }
    );
    assert_eq!(
        p.handle_key(ctrl('e')),
        PaneAction::Export {
            id: "b".into(),
            format: ExportFormat::Markdown
        }
    );
    assert_eq!(
        p.handle_key(ctrl('j')),
        PaneAction::Export {
            id: "b".into(),
            format: ExportFormat::Jsonl
        }
    );
    p.handle_key(ctrl('p'));
    assert_eq!(p.selected_id(), Some("a"));
    let mut empty = pane(Vec::new());
    for k in [
        ctrl('f'),
        ctrl('a'),
        ctrl('d'),
        ctrl('r'),
        key(KeyCode::Enter),
    ] {
        assert_eq!(empty.handle_key(k), PaneAction::None);
    }
    assert_eq!(empty.mode(), &Mode::Browse);
}

#[test]
fn selection_follows_the_session_across_lists() {
    let mut p = pane(three());
    p.handle_key(key(KeyCode::Down));
    let mut more = three();
    more.insert(0, session("new", "Brand new", 0));
    p.set_sessions(SessionScope::ThisDirectory, more, None);
    assert_eq!(p.selected_id(), Some("b"));
}

pub(crate) fn fork_tree() -> Vec<SessionSummary> {
    let mut parent = session("p", "Port the store to SQLite", 60);
    parent.message_count = 24;
    let mut f1 = session("f1", "Try WAL mode", 30);
    f1.parent_id = Some("p".into());
    let mut f2 = session("f2", "Try a single connection", 10);
    f2.parent_id = Some("p".into());
    let mut f3 = session("f3", "WAL with a busy timeout", 20);
    f3.parent_id = Some("f1".into());
    let mut orphan = session("o", "Fork of a deleted session", 5);
    orphan.parent_id = Some("gone".into());
    let mut old = session("old", "Old experiment", 60 * 24 * 12);
    old.archived = true;
    vec![parent, f1, f2, f3, orphan, old]
}

#[test]
fn forks_sit_under_their_parent() {
    let p = pane(fork_tree());
    let rows = visible(&p);
    let want = [
        ("o", ""),
        ("p", ""),
        ("f2", "├─ "),
        ("f1", "└─ "),
        ("f3", "   └─ "),
        ("old", ""),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(rows, want);
}

#[test]
fn parent_cycles_still_show_every_session() {
    let mut a = session("a", "A", 1);
    a.parent_id = Some("b".into());
    let mut b = session("b", "B", 2);
    b.parent_id = Some("a".into());
    let mut c = session("c", "C", 3);
    c.parent_id = Some("c".into());
    let p = pane(vec![a, b, c]);
    assert_eq!(p.list.rows().len(), 3);
}

#[test]
fn filter_ranks_title_first_then_newest() {
    let mut sessions = three();
    let mut prompt_only = session("d", "Unrelated", 1);
    prompt_only.first_prompt = "the parser is broken".into();
    sessions.push(prompt_only);
    let mut older_same = session("e", "Fix the parser", 60 * 24);
    older_same.parent_id = Some("a".into());
    sessions.push(older_same);
    let mut p = pane(sessions);
    typed(&mut p, "parser");
    let ids: Vec<String> = visible(&p).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["a", "e", "d"]);
    typed(&mut p, " ~/src");
    assert_eq!(p.list.rows().len(), 0, "cwd is /home/…, no home set");
    p.set_home(Some("/home/me".into()));
    assert_eq!(p.list.rows().len(), 3, "matches title and cwd words");
}

#[test]
fn filters_ten_thousand_sessions() {
    let words = [
        "parser", "sandbox", "readme", "store", "tui", "provider", "tests",
    ];
    let sessions: Vec<SessionSummary> = (0..10_000)
        .map(|i| {
            let mut s = session(
                &format!("s{i}"),
                &format!("{} {} #{i}", words[i % 7], words[(i / 7) % 7]),
                i as i64,
            );
            s.cwd = format!("/home/me/src/project{}", i % 50);
            if i % 10 == 3 {
                s.parent_id = Some(format!("s{}", i - 3));
            }
            s
        })
        .collect();
    let mut p = pane(sessions);
    assert_eq!(p.list.rows().len(), 10_000);
    typed(&mut p, "sandbox");
    let n = p.list.rows().len();
    assert!(n > 2_000 && n < 10_000, "{n}");
    for r in p.list.rows() {
        let s = &p.sessions[r.idx];
        assert!(s.title.contains("sandbox"), "{}", s.title);
    }
    typed(&mut p, " tests");
    let both = p.list.rows().len();
    assert!(both > 0 && both < n, "{both}");
    let first = &p.sessions[p.list.rows()[0].idx];
    assert!(first.title.contains("sandbox") && first.title.contains("tests"));
    typed(&mut p, " project7");
    assert!(p.list.rows().len() < both);
    assert!(
        p.list.rows().is_empty() || p.list.rows().len() < 200,
        "{}",
        p.list.rows().len()
    );
    typed(&mut p, "zzzz");
    assert!(p.list.rows().is_empty());
    p.handle_key(key(KeyCode::Esc));
    assert_eq!(p.list.rows().len(), 10_000);
    let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 120, 40));
    p.render(buf.area, &mut buf, &crate::tui::theme::Theme::dark(), NOW);
}

#[test]
fn a_ten_megabyte_paste_is_cut_to_a_usable_filter() {
    let mut p = SessionPane::new(SessionScope::All);
    let huge = "x".repeat(10 * 1024 * 1024);
    let _ = p.paste(&huge);
    assert_eq!(p.filter().chars().count(), 200);
}

fn headless(id: &str, title: &str, minutes_ago: i64) -> SessionSummary {
    SessionSummary {
        origin: SessionOrigin::Headless,
        ..session(id, title, minutes_ago)
    }
}

#[test]
fn headless_runs_are_hidden_until_ctrl_t_and_the_current_one_always_shows() {
    let list = vec![
        session("a", "Fix the parser", 5),
        headless("h1", "summarise the log", 10),
        headless("h2", "count the lines", 20),
        session("b", "Write the README", 30),
    ];
    let mut p = SessionPane::new(SessionScope::All);
    p.set_sessions(SessionScope::All, list.clone(), Some("h2".into()));
    let ids = |p: &SessionPane| -> Vec<String> { visible(p).into_iter().map(|r| r.0).collect() };
    assert_eq!(
        ids(&p),
        ["a", "h2", "b"],
        "the current headless run stays listed"
    );
    assert_eq!(p.hidden_count(), 1);
    assert!(!p.shows_headless());

    p.handle_key(key(KeyCode::Down));
    assert_eq!(p.selected_id(), Some("h2"));
    p.handle_key(ctrl('t'));
    assert!(p.shows_headless());
    assert_eq!(ids(&p), ["a", "h1", "h2", "b"]);
    assert_eq!(
        p.selected_id(),
        Some("h2"),
        "the selection stays on its session"
    );
    assert_eq!(p.hidden_count(), 0);

    // A filter sees only what is shown.
    p.handle_key(ctrl('t'));
    typed(&mut p, "summarise");
    assert!(p.list.rows().is_empty(), "{:?}", visible(&p));
    p.handle_key(ctrl('t'));
    assert_eq!(p.selected_id(), Some("h1"));

    // A new list keeps the choice.
    p.set_sessions(SessionScope::All, list, None);
    assert!(p.shows_headless());
    assert_eq!(p.hidden_count(), 0);
}

#[test]
fn after_a_delete_the_selection_moves_to_the_neighbour() {
    let mut list = vec![
        session("a", "one", 1),
        session("b", "two", 2),
        session("c", "three", 3),
    ];
    let mut p = pane(list.clone());
    p.handle_key(key(KeyCode::Down));
    p.handle_key(ctrl('d'));
    assert_eq!(
        p.handle_key(key(KeyCode::Char('y'))),
        PaneAction::Delete("b".into())
    );
    list.remove(1);
    // The runtime's list after the delete also moved "a" (touched meanwhile) to the end.
    let a = list.remove(0);
    list.push(SessionSummary {
        updated_ms: a.updated_ms - 10 * 60_000,
        ..a
    });
    p.set_sessions(SessionScope::ThisDirectory, list.clone(), None);
    assert_eq!(p.selected_id(), Some("c"), "the row after the deleted one");

    // The last row deleted: the one before it.
    p.handle_key(key(KeyCode::End));
    assert_eq!(p.selected_id(), Some("a"));
    p.handle_key(ctrl('d'));
    p.handle_key(key(KeyCode::Char('y')));
    list.retain(|s| s.id != "a");
    p.set_sessions(SessionScope::ThisDirectory, list, None);
    assert_eq!(p.selected_id(), Some("c"));
}

#[test]
fn a_runtime_notice_shows_in_the_pane_until_the_next_key() {
    let mut p = pane(three());
    p.show_notice("exported to /x/exports/fix-the-parser.md\n");
    assert_eq!(
        p.notice.as_deref(),
        Some("exported to /x/exports/fix-the-parser.md")
    );
    p.handle_key(key(KeyCode::Down));
    assert_eq!(p.notice, None);
}
