//! The memory pane's keys and listings (drawing: `memory_pane_snapshot_tests.rs`).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::protocol::{MemoryKind, MemoryProvenance};

pub(crate) fn entry(
    id: &str,
    scope: MemoryScope,
    path: &str,
    line: u32,
    text: &str,
) -> MemoryEntry {
    MemoryEntry {
        id: id.into(),
        scope,
        path: path.into(),
        abs_path: format!("/home/me/.local/share/pincer/memory/{path}"),
        lines: (line, line),
        kind: MemoryKind::Semantic,
        provenance: MemoryProvenance::Model,
        created: 1_793_000_000,
        superseded: None,
        pinned: false,
        text: text.into(),
    }
}

fn listing(query: &str, entries: Vec<MemoryEntry>) -> MemoryListing {
    MemoryListing {
        scope: MemoryScopeFilter::All,
        query: query.into(),
        entries,
        status: String::new(),
    }
}

fn three() -> Vec<MemoryEntry> {
    let mut old = entry("m3", MemoryScope::User, "MEMORY.md", 2, "prefers spaces");
    old.superseded = Some(1_793_100_000);
    vec![
        entry(
            "p1",
            MemoryScope::Project,
            "projects/app-1a2b3c4d/MEMORY.md",
            1,
            "build with make",
        ),
        entry("m1", MemoryScope::User, "MEMORY.md", 1, "prefers tabs"),
        old,
    ]
}

fn loaded() -> MemoryPane {
    let mut pane = MemoryPane::new();
    let _ = pane.refresh_request();
    assert_eq!(
        pane.set_listing(listing("", three())),
        MemoryPaneAction::None
    );
    pane
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn ids(pane: &MemoryPane) -> Vec<&str> {
    pane.visible().map(|e| e.id.as_str()).collect()
}

#[test]
fn rows_group_user_before_project_and_hide_superseded() {
    let pane = loaded();
    assert_eq!(ids(&pane), ["m1", "p1"]);
    assert_eq!(pane.selected_entry().map(|e| e.id.as_str()), Some("m1"));
}

#[test]
fn key_table() {
    // (keys pressed on a fresh loaded pane, the last key's action, the mode after)
    let list = |q: &str| MemoryPaneAction::List {
        scope: MemoryScopeFilter::All,
        query: q.into(),
    };
    let edit_m1 = MemoryPaneAction::Edit {
        path: "/home/me/.local/share/pincer/memory/MEMORY.md".into(),
        line: 1,
    };
    let confirm = MemoryPaneMode::ConfirmForget { id: "m1".into() };
    let browse = MemoryPaneMode::Browse;
    #[rustfmt::skip]
    let table: Vec<(&str, Vec<KeyEvent>, MemoryPaneAction, MemoryPaneMode)> = vec![
        ("Esc closes", vec![key(KeyCode::Esc)], MemoryPaneAction::Close, browse.clone()),
        ("q closes", vec![ch('q')], MemoryPaneAction::Close, browse.clone()),
        ("Ctrl+C closes", vec![ctrl('c')], MemoryPaneAction::Close, browse.clone()),
        ("e edits at the line", vec![ch('e')], edit_m1.clone(), browse.clone()),
        ("Down then e edits the next", vec![key(KeyCode::Down), ch('e')], MemoryPaneAction::Edit {
            path: "/home/me/.local/share/pincer/memory/projects/app-1a2b3c4d/MEMORY.md".into(),
            line: 1,
        }, browse.clone()),
        ("j k move", vec![ch('j'), ch('k'), ch('e')], edit_m1.clone(), browse.clone()),
        ("p pins", vec![ch('p')], MemoryPaneAction::Pin { id: "m1".into(), pinned: true }, browse.clone()),
        ("f asks first", vec![ch('f')], MemoryPaneAction::None, confirm.clone()),
        ("f then y forgets", vec![ch('f'), ch('y')], MemoryPaneAction::Forget("m1".into()), browse.clone()),
        ("f then n keeps", vec![ch('f'), ch('n')], MemoryPaneAction::None, browse.clone()),
        ("f then Esc keeps", vec![ch('f'), key(KeyCode::Esc)], MemoryPaneAction::None, browse.clone()),
        ("f then other keys wait", vec![ch('f'), ch('x')], MemoryPaneAction::None, confirm.clone()),
        ("/ starts the search", vec![ch('/')], MemoryPaneAction::None, browse.clone()),
        ("typing searches", vec![ch('/'), ch('t')], list("t"), browse.clone()),
        ("each keystroke searches", vec![ch('/'), ch('t'), ch('a')], list("ta"), browse.clone()),
        ("letters are text while searching", vec![ch('/'), ch('e')], list("e"), browse.clone()),
        ("Backspace searches again", vec![ch('/'), ch('t'), ch('a'), key(KeyCode::Backspace)], list("t"), browse.clone()),
        ("Esc clears the search", vec![ch('/'), ch('t'), key(KeyCode::Esc)], list(""), browse.clone()),
        ("Tab changes the scope", vec![key(KeyCode::Tab)], MemoryPaneAction::List {
            scope: MemoryScopeFilter::User, query: String::new() }, browse.clone()),
        ("Shift+Tab the other way", vec![key(KeyCode::BackTab)], MemoryPaneAction::List {
            scope: MemoryScopeFilter::Project, query: String::new() }, browse.clone()),
        ("s is local", vec![ch('s')], MemoryPaneAction::None, browse.clone()),
        ("unknown keys do nothing", vec![ch('x')], MemoryPaneAction::None, browse.clone()),
    ];
    for (name, keys, want, mode) in table {
        let mut pane = loaded();
        let mut last = MemoryPaneAction::None;
        for k in keys {
            last = pane.handle_key(k);
        }
        assert_eq!(last, want, "{name}");
        assert_eq!(pane.mode(), &mode, "{name}");
    }
}

#[test]
fn s_toggles_superseded_entries() {
    let mut pane = loaded();
    pane.handle_key(ch('s'));
    assert!(pane.shows_superseded());
    assert_eq!(ids(&pane), ["m1", "m3", "p1"]);
    pane.handle_key(ch('s'));
    assert_eq!(ids(&pane), ["m1", "p1"]);
}

#[test]
fn pinned_entries_unpin() {
    let mut entries = three();
    entries[1].pinned = true;
    let mut pane = MemoryPane::new();
    let _ = pane.refresh_request();
    pane.set_listing(listing("", entries));
    assert_eq!(
        pane.handle_key(ch('p')),
        MemoryPaneAction::Pin {
            id: "m1".into(),
            pinned: false
        }
    );
}

#[test]
fn answers_to_older_keystrokes_are_dropped() {
    let mut pane = loaded();
    pane.handle_key(ch('/'));
    pane.handle_key(ch('t'));
    pane.handle_key(ch('a'));
    // The answer to "t" arrives after "ta" was sent: dropped.
    let stale = vec![entry("x", MemoryScope::User, "x.md", 1, "stale")];
    assert_eq!(
        pane.set_listing(listing("t", stale)),
        MemoryPaneAction::None
    );
    assert_eq!(ids(&pane), ["m1", "p1"], "still the old list");
    let hit = vec![entry(
        "m1",
        MemoryScope::User,
        "MEMORY.md",
        1,
        "prefers tabs",
    )];
    pane.set_listing(listing("ta", hit));
    assert_eq!(ids(&pane), ["m1"]);
}

#[test]
fn an_unasked_listing_for_another_query_asks_for_ours() {
    let mut pane = loaded();
    pane.handle_key(ch('/'));
    pane.handle_key(ch('t'));
    pane.set_listing(listing("t", three()));
    // Memory changed; the runtime sends its whole list: the pane asks for "t" again.
    let action = pane.set_listing(listing("", Vec::new()));
    assert_eq!(
        action,
        MemoryPaneAction::List {
            scope: MemoryScopeFilter::All,
            query: "t".into()
        }
    );
    assert_eq!(ids(&pane), ["p1", "m1"], "the list was not replaced");
}

#[test]
fn the_selection_stays_on_the_same_entry() {
    let mut pane = loaded();
    pane.handle_key(key(KeyCode::Down));
    assert_eq!(pane.selected_entry().map(|e| e.id.as_str()), Some("p1"));
    // A new list with an entry before it: still on p1.
    let mut entries = three();
    entries.push(entry("m0", MemoryScope::User, "AAA.md", 1, "first"));
    let _ = pane.refresh_request();
    pane.set_listing(listing("", entries));
    assert_eq!(ids(&pane), ["m0", "m1", "p1"]);
    assert_eq!(pane.selected_entry().map(|e| e.id.as_str()), Some("p1"));
    // p1 forgotten: the selection stays on the same row number.
    let _ = pane.refresh_request();
    pane.set_listing(listing("", three().into_iter().take(0).collect()));
    assert_eq!(pane.selected_entry(), None);
}

#[test]
fn a_forgotten_entry_ends_its_question() {
    let mut pane = loaded();
    pane.handle_key(ch('f'));
    let _ = pane.refresh_request();
    let rest: Vec<MemoryEntry> = three().into_iter().filter(|e| e.id != "m1").collect();
    pane.set_listing(listing("", rest));
    assert_eq!(pane.mode(), &MemoryPaneMode::Browse);
}

#[test]
fn filtered_results_keep_the_runtime_ranking_per_file() {
    let mut pane = loaded();
    pane.handle_key(ch('/'));
    pane.handle_key(ch('b'));
    // Ranked: the project file's hit first, then two hits in the user file (ranked 3, 2).
    let hits = vec![
        entry(
            "p1",
            MemoryScope::Project,
            "projects/app-1a2b3c4d/MEMORY.md",
            1,
            "build",
        ),
        entry("m9", MemoryScope::User, "MEMORY.md", 9, "b second"),
        entry("m2", MemoryScope::User, "MEMORY.md", 2, "b third"),
    ];
    pane.set_listing(listing("b", hits));
    assert_eq!(ids(&pane), ["p1", "m9", "m2"]);
}

#[test]
fn paste_searches_on_one_line_and_is_bounded() {
    let mut pane = loaded();
    let action = pane.paste("tabs\nspaces");
    assert_eq!(
        action,
        MemoryPaneAction::List {
            scope: MemoryScopeFilter::All,
            query: "tabs spaces".into()
        }
    );
    let huge = "x".repeat(10_000);
    pane.paste(&huge);
    assert_eq!(pane.filter().chars().count(), MAX_FILTER);
}

#[test]
fn an_empty_pane_ignores_entry_keys() {
    let mut pane = MemoryPane::new();
    for k in [ch('e'), ch('f'), ch('p'), key(KeyCode::Down)] {
        assert_eq!(pane.handle_key(k), MemoryPaneAction::None);
    }
    assert_eq!(pane.mode(), &MemoryPaneMode::Browse);
}
