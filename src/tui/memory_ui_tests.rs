//! Memory in the app, through `App::on_event` and `input::handle_key`: notices, Ctrl+O diff,
//! Alt+U undo, the pane's ops, `/memory`, `/init`.

use crate::protocol::SessionConfigured;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::protocol::{
    Event, MemoryEntry, MemoryKind, MemoryProvenance, MemoryScope, MemoryScopeFilter, ProviderInfo,
    ProviderKind,
};
use crate::tui::effect::Effect;

/// A key through the layer stack; the ops it queued (other effects stay queued).
fn handle_key(app: &mut App, ev: KeyEvent) -> Vec<Op> {
    crate::tui::layers::key(app, ev);
    let mut ops = Vec::new();
    for effect in app.effects.drain() {
        match effect {
            Effect::Op(op) => ops.push(op),
            other => app.effects.push(other),
        }
    }
    ops
}
use crate::tui::theme::Theme;

fn app() -> App {
    let mut app = App::new(Theme::dark());
    app.on_event(Event::SessionConfigured(SessionConfigured {
        session_id: None,
        provider: Some(ProviderInfo {
            profile: "p".into(),
            kind: ProviderKind::Openai,
            model: "m".into(),
            base_url: "u".into(),
        }),
        history: vec![],
        input_history: vec![],
        session_tokens: 0,
    }));
    app
}

fn change(id: u64, action: MemoryAction, summary: &str) -> MemoryChange {
    MemoryChange {
        change_id: id,
        action,
        scope: crate::protocol::MemoryScope::User,
        path: "MEMORY.md".into(),
        provenance: MemoryProvenance::Model,
        diff: "--- a/MEMORY.md\n+++ b/MEMORY.md\n@@ -1 +1,2 @@\n # Memory\n+- prefers tabs\n"
            .into(),
        summary: summary.into(),
        undoable: true,
    }
}

fn alt_u(app: &mut App) -> Vec<Op> {
    handle_key(app, KeyEvent::new(KeyCode::Char('u'), KeyModifiers::ALT))
}

fn key(app: &mut App, code: KeyCode) -> Vec<Op> {
    handle_key(app, KeyEvent::new(code, KeyModifiers::NONE))
}

/// Every transcript line as text, at width 100.
fn screen(app: &mut App) -> String {
    let (theme, hl) = (&app.theme, &app.highlighter);
    let mut out = String::new();
    for cell in &mut app.transcript.cells {
        for line in cell.lines(100, theme, hl) {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            out.push_str(text.trim_end());
            out.push('\n');
        }
    }
    out
}

#[test]
fn a_change_is_one_line_with_undo_and_diff_hints() {
    let mut a = app();
    a.on_event(Event::MemoryChanged(change(
        1,
        MemoryAction::Appended,
        "remembered in MEMORY.md: prefers tabs",
    )));
    assert_eq!(
        screen(&mut a),
        "◆ remembered in MEMORY.md: prefers tabs · Alt+U undoes · Ctrl+O diff\n"
    );
    // Ctrl+O shows the diff under it.
    handle_key(
        &mut a,
        KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL),
    );
    let text = screen(&mut a);
    assert!(
        text.starts_with("◆ remembered in MEMORY.md: prefers tabs · Alt+U undoes\n"),
        "{text}"
    );
    assert!(text.contains("  │ +- prefers tabs"), "{text}");
    assert!(text.contains("  │ @@ -1 +1,2 @@"), "{text}");
}

#[test]
fn alt_u_undoes_the_newest_change_and_the_confirmation_marks_it() {
    let mut a = app();
    a.on_event(Event::MemoryChanged(change(
        1,
        MemoryAction::Appended,
        "first",
    )));
    a.on_event(Event::MemoryChanged(change(
        2,
        MemoryAction::Appended,
        "second",
    )));
    let text = screen(&mut a);
    assert!(
        text.contains("◆ first · Ctrl+O diff\n"),
        "only the newest offers undo: {text}"
    );
    assert!(text.contains("◆ second · Alt+U undoes"), "{text}");

    assert_eq!(alt_u(&mut a), vec![Op::UndoMemoryChange { change_id: 2 }]);
    let text = screen(&mut a);
    assert!(text.contains("◆ second · undoing…"), "{text}");
    assert!(text.contains("◆ first · Alt+U undoes"), "{text}");

    // The runtime confirms with the same change id: no new cell, the old one says undone.
    a.on_event(Event::MemoryChanged(change(
        2,
        MemoryAction::Undone,
        "undid: second",
    )));
    let text = screen(&mut a);
    assert_eq!(a.transcript.cells.len(), 2, "{text}");
    assert!(text.contains("◆ second · undone"), "{text}");

    // Alt+U again: the one before.
    assert_eq!(alt_u(&mut a), vec![Op::UndoMemoryChange { change_id: 1 }]);
    // Nothing left: a notice, no op.
    assert!(alt_u(&mut a).is_empty());
    assert!(screen(&mut a).contains("no memory change to undo"));
}

#[test]
fn an_undone_event_for_an_unknown_change_is_its_own_notice() {
    let mut a = app();
    a.on_event(Event::MemoryChanged(change(
        9,
        MemoryAction::Undone,
        "undid a change to MEMORY.md",
    )));
    assert_eq!(a.transcript.cells.len(), 1);
    let text = screen(&mut a);
    assert!(text.starts_with("◆ undid a change to MEMORY.md"), "{text}");
    assert!(
        !text.contains("Alt+U"),
        "an undo is not undone again: {text}"
    );
}

#[test]
fn not_undoable_changes_offer_no_undo() {
    let mut a = app();
    let mut c = change(
        3,
        MemoryAction::Forgot,
        "forgot from MEMORY.md: prefers spaces",
    );
    c.undoable = false;
    a.on_event(Event::MemoryChanged(c));
    assert!(!screen(&mut a).contains("Alt+U"));
    assert!(alt_u(&mut a).is_empty());
}

#[test]
fn alt_u_never_takes_typing() {
    let mut a = app();
    a.on_event(Event::MemoryChanged(change(1, MemoryAction::Appended, "x")));
    for c in "use u".chars() {
        assert!(key(&mut a, KeyCode::Char(c)).is_empty());
    }
    assert_eq!(a.composer.text(), "use u");
}

#[test]
fn a_summary_cannot_draw_escape_sequences() {
    let mut a = app();
    a.on_event(Event::MemoryChanged(change(
        1,
        MemoryAction::Appended,
        "evil\x1b]0;title\x07\nnext",
    )));
    let text = screen(&mut a);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(text.starts_with("◆ evil]0;title next"), "{text}");
}

fn listing(query: &str, entries: Vec<MemoryEntry>) -> crate::protocol::MemoryListing {
    crate::protocol::MemoryListing {
        scope: MemoryScopeFilter::All,
        query: query.into(),
        entries,
        status: String::new(),
    }
}

fn entry(id: &str) -> MemoryEntry {
    MemoryEntry {
        id: id.into(),
        scope: MemoryScope::User,
        path: "MEMORY.md".into(),
        abs_path: "/data/memory/MEMORY.md".into(),
        lines: (4, 4),
        kind: MemoryKind::Semantic,
        provenance: MemoryProvenance::Model,
        created: 0,
        superseded: None,
        pinned: false,
        text: "prefers tabs".into(),
    }
}

#[test]
fn f4_and_slash_memory_open_the_pane_and_list() {
    let mut a = app();
    let list = vec![Op::ListMemory {
        scope: MemoryScopeFilter::All,
        query: String::new(),
    }];
    assert_eq!(key(&mut a, KeyCode::F(4)), list);
    assert!(a.memory_pane.is_some());
    assert_eq!(key(&mut a, KeyCode::Esc), Vec::<Op>::new());
    assert!(a.memory_pane.is_none());
    for c in "/memory".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    assert_eq!(key(&mut a, KeyCode::Enter), list);
    assert!(a.memory_pane.is_some());
}

#[test]
fn pane_keys_become_ops_and_editor_requests() {
    let mut a = app();
    key(&mut a, KeyCode::F(4));
    a.on_event(Event::MemoryList(listing("", vec![entry("m1")])));
    assert_eq!(
        key(&mut a, KeyCode::Char('p')),
        vec![Op::PinMemory {
            id: "m1".into(),
            pinned: true
        }]
    );
    assert!(key(&mut a, KeyCode::Char('f')).is_empty());
    assert_eq!(
        key(&mut a, KeyCode::Char('y')),
        vec![Op::ForgetMemory { id: "m1".into() }]
    );
    assert!(key(&mut a, KeyCode::Char('e')).is_empty());
    assert_eq!(
        a.effects.drain(),
        vec![Effect::EditAt("/data/memory/MEMORY.md".into(), 4)]
    );
    // The editor closed: the pane lists again.
    a.after_editor();
    assert_eq!(
        handle_key_effects(&mut a),
        vec![Op::ListMemory {
            scope: MemoryScopeFilter::All,
            query: String::new()
        }]
    );
    // Typing searches.
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(
        key(&mut a, KeyCode::Char('t')),
        vec![Op::ListMemory {
            scope: MemoryScopeFilter::All,
            query: "t".into()
        }]
    );
}

#[test]
fn a_change_while_the_pane_is_open_lists_again() {
    let mut a = app();
    key(&mut a, KeyCode::F(4));
    a.on_event(Event::MemoryList(listing("", vec![entry("m1")])));
    a.on_event(Event::MemoryChanged(change(1, MemoryAction::Appended, "x")));
    assert_eq!(
        handle_key_effects(&mut a),
        vec![Op::ListMemory {
            scope: MemoryScopeFilter::All,
            query: String::new()
        }]
    );
}

#[test]
fn slash_init_sends_the_fixed_request() {
    let mut a = app();
    for c in "/init".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    let ops = key(&mut a, KeyCode::Enter);
    assert_eq!(
        ops,
        vec![Op::UserMessage {
            text: INIT_REQUEST.to_string()
        }]
    );
    assert!(a.composer.is_empty());
    for must in [
        "AGENTS.md",
        "repository root",
        "already exists",
        "improve",
        "Build",
        "Test",
    ] {
        assert!(INIT_REQUEST.contains(must), "{must}");
    }
}

#[test]
fn slash_init_without_a_model_sends_nothing() {
    let mut a = App::new(Theme::dark());
    for c in "/init".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    assert!(key(&mut a, KeyCode::Enter).is_empty());
}

/// The ops queued so far.
fn handle_key_effects(app: &mut App) -> Vec<Op> {
    app.effects
        .drain()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Op(op) => Some(op),
            _ => None,
        })
        .collect()
}
