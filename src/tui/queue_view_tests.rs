use crate::protocol::{SessionConfigured, UserMessage};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::protocol::{Event, ProviderInfo, ProviderKind};
use crate::tui::effect::Effect;
use crate::tui::layers;
use crate::tui::theme::Theme;

fn running() -> App {
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
        input_history: vec!["from history".into()],
        session_tokens: 0,
    }));
    app.on_event(Event::UserMessage(UserMessage {
        text: "first".into(),
        item_id: None,
        pastes: Vec::new(),
    }));
    app.on_event(Event::TurnStarted { turn_id: 1 });
    app
}

fn queue(app: &mut App, texts: &[&str]) {
    let items = texts
        .iter()
        .enumerate()
        .map(|(i, t)| QueuedMessage {
            id: i as u64 + 1,
            text: t.to_string(),
        })
        .collect();
    app.on_event(Event::Queue(QueueState { items }));
}

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Op> {
    layers::key(app, KeyEvent::new(code, mods));
    app.effects
        .drain()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Op(op) => Some(op),
            _ => None,
        })
        .collect()
}

fn draw(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::tui::view::render(app, f)).unwrap();
    terminal.backend().to_string()
}

#[test]
fn queued_messages_show_above_the_composer() {
    let mut app = running();
    queue(&mut app, &["second question", "!cargo test"]);
    assert_eq!(app.queued, 2);
    insta::assert_snapshot!(draw(&mut app, 60, 12));
}

#[test]
fn a_long_queue_shows_the_newest_and_a_count() {
    let mut app = running();
    queue(&mut app, &["a", "b", "c", "d", "e"]);
    let screen = draw(&mut app, 60, 14);
    assert!(screen.contains("… 2 more queued"), "{screen}");
    assert!(screen.contains("queued: e  ↑ edit"), "{screen}");
    assert!(!screen.contains("queued: b"), "{screen}");
}

#[test]
fn up_takes_the_last_back_then_esc_cancels_without_interrupting() {
    let mut app = running();
    queue(&mut app, &["second", "third"]);
    assert_eq!(
        key(&mut app, KeyCode::Up, KeyModifiers::NONE),
        vec![Op::WithdrawQueued { id: 2 }]
    );
    assert!(
        app.composer.is_empty(),
        "nothing until the runtime gives it back"
    );
    app.on_event(Event::QueueWithdrawn(WithdrawnMessage {
        id: 2,
        text: "third".into(),
    }));
    queue(&mut app, &["second"]);
    assert_eq!(app.composer.text(), "third");
    assert_eq!(app.hint.as_deref(), Some(EDITING_HINT));
    assert!(key(&mut app, KeyCode::Esc, KeyModifiers::NONE).is_empty());
    assert!(app.composer.is_empty());
    // Esc again is the usual stop.
    assert_eq!(
        key(&mut app, KeyCode::Esc, KeyModifiers::NONE),
        vec![Op::Interrupt]
    );
}

#[test]
fn ctrl_u_cancels_and_enter_queues_again() {
    let mut app = running();
    queue(&mut app, &["second"]);
    key(&mut app, KeyCode::Up, KeyModifiers::NONE);
    app.on_event(Event::QueueWithdrawn(WithdrawnMessage {
        id: 1,
        text: "second".into(),
    }));
    assert!(key(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL).is_empty());
    assert!(app.composer.is_empty());

    queue(&mut app, &["again"]);
    key(&mut app, KeyCode::Up, KeyModifiers::NONE);
    app.on_event(Event::QueueWithdrawn(WithdrawnMessage {
        id: 1,
        text: "again".into(),
    }));
    key(&mut app, KeyCode::Char('!'), KeyModifiers::NONE);
    assert_eq!(
        key(&mut app, KeyCode::Enter, KeyModifiers::NONE),
        vec![Op::UserMessage {
            text: "again!".into()
        }]
    );
    assert!(!app.conv.queue.editing);
}

#[test]
fn up_walks_the_history_when_nothing_is_queued() {
    let mut app = running();
    assert!(key(&mut app, KeyCode::Up, KeyModifiers::NONE).is_empty());
    assert_eq!(app.composer.text(), "from history");
}

#[test]
fn a_message_taken_back_while_typing_is_kept_as_a_notice() {
    let mut app = running();
    queue(&mut app, &["second"]);
    key(&mut app, KeyCode::Up, KeyModifiers::NONE);
    key(&mut app, KeyCode::Char('x'), KeyModifiers::NONE);
    app.on_event(Event::QueueWithdrawn(WithdrawnMessage {
        id: 1,
        text: "second".into(),
    }));
    assert_eq!(app.composer.text(), "x");
    let last = format!("{:?}", app.transcript.cells.last().map(|c| &c.kind));
    assert!(
        last.contains("taken back from the queue (not sent): second"),
        "{last}"
    );
}

#[test]
fn one_line_flattens_and_cuts_by_width() {
    assert_eq!(one_line("a\nb", 10), "a b");
    assert_eq!(one_line("abcdef", 4), "abc…");
    assert_eq!(one_line("日本語", 4), "日…");
    assert_eq!(one_line("abc", 0), "");
}
