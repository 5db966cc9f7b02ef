//! The composer conventions through the layer model: every key and paste goes through
//! `layers::key` / `layers::paste`, everything leaving the UI is read from the effect queue.

use super::*;
use crate::protocol::{ApprovalMode, Event, FileListing, NoticeLevel, ProviderInfo, ProviderKind};
use crate::protocol::{SessionConfigured, TurnFinished};
use crate::tui::layers::{self, Layer};
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
        input_history: vec!["earlier".into()],
        session_tokens: 0,
    }));
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    layers::key(app, KeyEvent::new(code, KeyModifiers::NONE));
    app.effects.drain()
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    layers::key(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    app.effects.drain()
}

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}

fn op(op: Op) -> Vec<Effect> {
    vec![Effect::Op(op)]
}

#[test]
fn bang_commands() {
    assert_eq!(bang_command("!echo hi"), Some("echo hi".into()));
    assert_eq!(bang_command("  ! ls -l "), Some("ls -l".into()));
    assert_eq!(bang_command("!"), None);
    assert_eq!(bang_command("say !this"), None);
}

#[test]
fn ctrl_d_quits_only_on_an_empty_composer() {
    let mut a = app();
    type_text(&mut a, "ab");
    assert!(
        ctrl(&mut a, 'd').is_empty(),
        "text in the composer: no quit"
    );
    assert_eq!(a.composer.text(), "ab");
    a.composer.clear();
    assert_eq!(ctrl(&mut a, 'd'), vec![Effect::Quit]);
}

#[test]
fn an_interrupting_ctrl_c_does_not_arm_quitting() {
    let mut a = app();
    a.on_event(Event::TurnStarted { turn_id: 1 });
    assert_eq!(ctrl(&mut a, 'c'), op(Op::Interrupt));
    assert!(!a.conv.quit.is_armed(a.clock.now()));
    // The interrupt is on its way: a second Ctrl+C arms, a third quits.
    assert!(ctrl(&mut a, 'c').is_empty());
    assert!(a.conv.quit.is_armed(a.clock.now()));
    assert_eq!(ctrl(&mut a, 'c'), vec![Effect::Quit]);
}

#[test]
fn esc_then_ctrl_c_arms_instead_of_interrupting_twice() {
    let mut a = app();
    a.on_event(Event::TurnStarted { turn_id: 1 });
    assert_eq!(press(&mut a, KeyCode::Esc), op(Op::Interrupt));
    assert!(ctrl(&mut a, 'c').is_empty());
    assert!(a.conv.quit.is_armed(a.clock.now()));
}

#[test]
fn an_expired_arming_does_not_quit_and_its_hint_goes_at_the_next_event() {
    let mut a = app();
    let t0 = a.clock.now();
    ctrl(&mut a, 'c');
    assert_eq!(a.hint.as_deref(), Some(QUIT_HINT));
    // Pretend the arming happened three seconds ago.
    a.conv.quit.arm(t0 - std::time::Duration::from_secs(3));
    a.on_event(Event::Notice {
        level: NoticeLevel::Info,
        message: "x".into(),
    });
    assert_eq!(a.hint, None);
    assert!(
        ctrl(&mut a, 'c').is_empty(),
        "expired: arms again instead of quitting"
    );
}

#[test]
fn the_wheel_keeps_an_arming() {
    let mut a = app();
    ctrl(&mut a, 'c');
    layers::mouse(
        &mut a,
        ratatui::crossterm::event::MouseEvent {
            kind: ratatui::crossterm::event::MouseEventKind::ScrollUp,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        },
    );
    assert_eq!(ctrl(&mut a, 'c'), vec![Effect::Quit]);
}

#[test]
fn exact_slash_name_wins_and_unknown_is_not_a_config_error() {
    let mut a = app();
    type_text(&mut a, "/mode");
    assert!(
        press(&mut a, KeyCode::Enter).is_empty(),
        "/mode shows the mode"
    );
    let screen = format!("{:?}", a.transcript.cells.last().map(|c| &c.kind));
    assert!(screen.contains("Modes: plan"), "{screen}");
    type_text(&mut a, "/bogus");
    press(&mut a, KeyCode::Enter);
    let last = format!("{:?}", a.transcript.cells.last().map(|c| &c.kind));
    assert!(
        last.contains("unknown command /bogus — /help lists them"),
        "{last}"
    );
    assert!(!last.contains("Config"), "{last}");
}

#[test]
fn mode_change_updates_status_without_a_transcript_line() {
    let mut a = app();
    let before = a.transcript.cells.len();
    a.on_event(Event::ModeChanged {
        mode: ApprovalMode::Yolo,
    });
    assert_eq!(a.mode, ApprovalMode::Yolo);
    assert_eq!(a.transcript.cells.len(), before);
}

#[test]
fn bang_runs_a_shell_command_but_not_during_a_reply() {
    let mut a = app();
    type_text(&mut a, "!echo hi");
    assert_eq!(
        press(&mut a, KeyCode::Enter),
        op(Op::RunShell {
            command: "echo hi".into()
        })
    );
    a.on_event(Event::TurnStarted { turn_id: 1 });
    type_text(&mut a, "!ls");
    assert!(press(&mut a, KeyCode::Enter).is_empty());
    assert_eq!(a.composer.text(), "!ls", "kept for later");
}

#[test]
fn ctrl_r_is_a_layer_that_takes_keys_and_pastes() {
    let mut a = app();
    ctrl(&mut a, 'r');
    assert_eq!(layers::top(&a), Layer::PromptSearch);
    assert_eq!(layers::paste(&mut a, "earl"), Layer::PromptSearch);
    assert!(a.composer.is_empty(), "the paste went to the search");
    // `?` would open the help on the base; here it is part of the query.
    press(&mut a, KeyCode::Char('?'));
    assert_eq!(layers::top(&a), Layer::PromptSearch);
    press(&mut a, KeyCode::Backspace);
    press(&mut a, KeyCode::Enter);
    assert_eq!(layers::top(&a), Layer::Base);
    assert_eq!(a.composer.text(), "earlier");
    assert_eq!(
        press(&mut a, KeyCode::Enter),
        op(Op::UserMessage {
            text: "earlier".into()
        }),
        "the next Enter sends it"
    );
}

#[test]
fn ctrl_c_closes_the_search_without_arming() {
    let mut a = app();
    ctrl(&mut a, 'r');
    assert!(ctrl(&mut a, 'c').is_empty());
    assert_eq!(layers::top(&a), Layer::Base);
    assert!(!a.conv.quit.is_armed(a.clock.now()));
}

fn listed(a: &mut App) {
    a.on_event(Event::FileList(FileListing {
        files: vec!["src/main.rs".into(), "README.md".into()],
        truncated: false,
    }));
}

#[test]
fn at_asks_for_files_once_and_the_list_is_a_layer() {
    let mut a = app();
    assert_eq!(type_text(&mut a, "see @"), op(Op::ListFiles));
    assert_eq!(layers::top(&a), Layer::Base, "no files yet: no list");
    listed(&mut a);
    assert_eq!(layers::top(&a), Layer::PathCompletion);
    // Typing goes on into the composer through the list.
    type_text(&mut a, "read");
    assert_eq!(a.composer.text(), "see @read");
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.composer.text(), "see @README.md ");
    assert_eq!(layers::top(&a), Layer::Base);
    assert!(
        type_text(&mut a, "@").is_empty(),
        "asked once until the turn ends"
    );
    a.on_event(Event::TurnStarted { turn_id: 1 });
    a.on_event(Event::TurnFinished(TurnFinished {
        outcome: crate::protocol::TurnOutcome::Completed,
        usage: None,
        duration_ms: 0,
        turn_id: 1,
    }));
    assert_eq!(type_text(&mut a, "x"), op(Op::ListFiles), "asked again");
}

#[test]
fn a_pasted_at_word_asks_for_files_too() {
    let mut a = app();
    assert_eq!(layers::paste(&mut a, "look at @src"), Layer::Base);
    assert_eq!(a.effects.drain(), op(Op::ListFiles));
    listed(&mut a);
    assert_eq!(layers::top(&a), Layer::PathCompletion);
    assert_eq!(layers::paste(&mut a, "/ma"), Layer::PathCompletion);
    assert_eq!(a.composer.text(), "look at @src/ma");
}

#[test]
fn esc_hides_the_file_list_and_does_not_interrupt() {
    let mut a = app();
    a.on_event(Event::TurnStarted { turn_id: 1 });
    type_text(&mut a, "@");
    listed(&mut a);
    assert!(press(&mut a, KeyCode::Esc).is_empty(), "no interrupt");
    assert_eq!(layers::top(&a), Layer::Base);
    assert_eq!(press(&mut a, KeyCode::Esc), op(Op::Interrupt));
}

#[test]
fn ctrl_g_edits_the_prompt_through_an_effect() {
    let mut a = app();
    type_text(&mut a, "draft");
    let effects = ctrl(&mut a, 'g');
    let [Effect::EditPrompt(path)] = effects.as_slice() else {
        panic!("Ctrl+G: {effects:?}");
    };
    assert_eq!(std::fs::read_to_string(path).unwrap(), "draft");
    std::fs::write(path, "edited\n").unwrap();
    a.after_prompt_edit(path);
    assert_eq!(a.composer.text(), "edited");
    assert!(!path.exists(), "the draft file is removed");
}

#[test]
fn ctrl_x_then_ctrl_e_edits_but_ctrl_e_alone_moves_the_cursor() {
    let mut a = app();
    type_text(&mut a, "ab");
    assert!(ctrl(&mut a, 'e').is_empty());
    assert!(ctrl(&mut a, 'x').is_empty());
    let effects = ctrl(&mut a, 'e');
    let [Effect::EditPrompt(path)] = effects.as_slice() else {
        panic!("Ctrl+X Ctrl+E: {effects:?}");
    };
    let _ = std::fs::remove_file(path);
}

#[test]
fn shift_enter_is_advertised_once_it_arrives() {
    let mut a = app();
    assert!(!a.conv.shift_enter);
    layers::key(&mut a, KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT));
    assert!(a.conv.shift_enter);
    assert!(a.composer.text().contains('\n'), "Shift+Enter is a newline");
}

#[test]
fn ctrl_r_finds_a_prompt_sent_in_this_session() {
    let mut a = app();
    type_text(&mut a, "explain the lease file");
    press(&mut a, KeyCode::Enter);
    ctrl(&mut a, 'r');
    type_text(&mut a, "lease");
    assert_eq!(
        a.conv.search.as_ref().and_then(|s| s.current()),
        Some("explain the lease file")
    );
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.composer.text(), "explain the lease file");
}

/// The text of the newest notice in the transcript.
fn last_notice(app: &App) -> Option<String> {
    app.transcript
        .cells
        .iter()
        .rev()
        .find_map(|c| match &c.kind {
            crate::tui::cells::CellKind::Notice { message, .. } => Some(message.clone()),
            _ => None,
        })
}

#[test]
fn rename_without_a_title_says_what_it_needs_and_sends_nothing() {
    let mut a = app();
    a.on_event(Event::SessionStored {
        session_id: "s1".into(),
    });
    // Enter on the popup's `/rename` completes it and waits for the title.
    type_text(&mut a, "/rename");
    assert!(press(&mut a, KeyCode::Enter).is_empty());
    assert_eq!(a.composer.text(), "/rename ");
    assert_eq!(last_notice(&a), None);
    // Enter again without one: it says what it needs, sends nothing, and clears the line.
    assert!(press(&mut a, KeyCode::Enter).is_empty());
    let notice = last_notice(&a).unwrap_or_default();
    assert!(notice.contains("needs the new title"), "{notice}");
    assert!(a.composer.is_empty());
    type_text(&mut a, "/rename    ");
    assert!(press(&mut a, KeyCode::Enter).is_empty());
    assert_eq!(a.transcript.cells.len(), 2, "a second notice");
    type_text(&mut a, "/rename  Parser fixes ");
    assert_eq!(
        press(&mut a, KeyCode::Enter),
        op(Op::RenameSession {
            id: "s1".into(),
            title: "Parser fixes".into(),
        })
    );
}
