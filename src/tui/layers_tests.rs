//! The layer table test: for every combination of open layers, a key, a paste and a draw all
//! reach the same (top) layer, and only the base lets text into the composer.

use crate::protocol::{ApprovalRequested, SessionConfigured, ToolCallStarted};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::*;
use crate::protocol::{
    ApprovalPreview, DecisionKind, Event, ProviderInfo, ProviderKind, RiskLevel, SessionScope,
};
use crate::tui::fork_picker::ForkPicker;
use crate::tui::skill_ui::TrustRequest;
use crate::tui::theme::Theme;
use crate::tui::view;

fn configured() -> App {
    let mut app = App::new(Theme::dark());
    app.on_event(Event::SessionConfigured(SessionConfigured {
        session_id: Some("s1".into()),
        provider: Some(ProviderInfo {
            profile: "p".into(),
            kind: ProviderKind::Openai,
            model: "m".into(),
            base_url: "u".into(),
        }),
        history: vec![],
        input_history: vec!["earlier prompt".into()],
        session_tokens: 0,
    }));
    app.on_event(Event::TurnStarted { turn_id: 1 });
    app
}

fn open(app: &mut App, layer: Layer) {
    match layer {
        Layer::Base => {}
        Layer::PathCompletion => {
            app.composer.set_text("see @");
            app.on_event(Event::FileList(crate::protocol::FileListing {
                files: vec!["src/main.rs".into(), "README.md".into()],
                truncated: false,
            }));
        }
        Layer::PromptSearch => {
            app.conv.search = Some(crate::tui::prompt_search::PromptSearch::new(
                app.composer.history(),
            ));
        }
        Layer::Help => app.open_help(),
        Layer::Sessions => {
            let _ = app.open_sessions(SessionScope::ThisDirectory, "");
        }
        Layer::Skills => {
            let _ = app.open_skills_pane();
        }
        Layer::Memory => {
            let _ = app.open_memory_pane();
        }
        Layer::Task => {
            let _ = app.task_command("plan t.cw");
        }
        Layer::ForkPicker => app.fork_picker = Some(ForkPicker::new(vec![(1, "first".into())])),
        Layer::Trust => {
            app.trust_request = Some(TrustRequest {
                path: "/w".into(),
                folders: vec![".pincer/skills".into()],
            });
        }
        Layer::Approval => {
            app.on_event(Event::ToolCallStarted(ToolCallStarted {
                turn_id: 1,
                call_id: "c1".into(),
                tool: "shell".into(),
                summary: "Run `ls`".into(),
                risk: RiskLevel::Exec,
            }));
            app.on_event(Event::ApprovalRequested(ApprovalRequested {
                request_id: 1,
                call_id: "c1".into(),
                tool: "shell".into(),
                summary: "Run `ls`".into(),
                reason: "mode ask".into(),
                preview: ApprovalPreview::Command {
                    command: "ls".into(),
                    cwd: "~".into(),
                },
                decisions: vec![DecisionKind::ApproveOnce, DecisionKind::Deny],
                suggested_rule: "shell: ls".into(),
                session_rule: String::new(),
                taint: None,
            }));
        }
    }
}

/// The mask bit of `layer` (its place in `STACK`).
fn bit(layer: Layer) -> u32 {
    1 << STACK.iter().position(|l| *l == layer).unwrap_or(31)
}

/// Keys and pastes of these layers type into the composer: the base, and the `@` file list
/// (typing the word goes on under it).
fn types_into_composer(layer: Layer) -> bool {
    matches!(layer, Layer::Base | Layer::PathCompletion)
}

/// The app with exactly the layers in `mask` (bit i = `STACK[i]`) open.
fn app_with(mask: u32) -> (App, Layer) {
    let mut app = configured();
    let mut expected = Layer::Base;
    for (i, layer) in STACK.into_iter().enumerate() {
        if mask & (1 << i) != 0 {
            open(&mut app, layer);
            expected = layer;
        }
    }
    let _ = app.effects.drain();
    (app, expected)
}

/// Text only this layer draws, so seeing it means the layer is on top.
fn marker(layer: Layer) -> &'static str {
    match layer {
        Layer::Base => "Ask anything",
        Layer::PathCompletion => "╭ files │",
        Layer::PromptSearch => "╭ earlier prompts │",
        Layer::Help => "╭ Keys",
        Layer::Sessions => "╭ Sessions",
        Layer::Skills => "╭ Skills",
        Layer::Memory => "╭ Memory",
        Layer::Task => "╭ task plan t.cw",
        Layer::ForkPicker => "Fork from a message",
        Layer::Trust => "Trust this project?",
        Layer::Approval => "Approve shell?",
    }
}

fn draw(app: &mut App) -> (Layer, String) {
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut drawn = Layer::Base;
    terminal
        .draw(|f| drawn = view::render_layers(app, f))
        .unwrap();
    (drawn, terminal.backend().to_string())
}

#[test]
fn a_key_a_paste_and_a_draw_reach_the_same_layer_for_every_stack() {
    for mask in 0..(1u32 << STACK.len()) {
        let (mut app, expected) = app_with(mask);
        let what = format!("stack {:?}", open_layers(&app));
        assert_eq!(top(&app), expected, "{what}");

        let (drawn, screen) = draw(&mut app);
        assert_eq!(drawn, expected, "draw, {what}");
        assert!(
            screen.contains(marker(expected)),
            "{what}: {:?} is not on top:\n{screen}",
            expected
        );

        let before = app.composer.text();
        let keyed = key(
            &mut app,
            KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE),
        );
        assert_eq!(keyed, expected, "key, {what}");
        assert_eq!(
            app.composer.text() == format!("{before}x"),
            types_into_composer(expected),
            "key reached the composer: {what}"
        );

        let (mut app, _) = app_with(mask);
        let pasted = paste(&mut app, "PASTED");
        assert_eq!(pasted, expected, "paste, {what}");
        assert_eq!(
            app.composer.text().contains("PASTED"),
            types_into_composer(expected),
            "paste reached the composer: {what}"
        );
        let in_search = app
            .conv
            .search
            .as_ref()
            .is_some_and(|s| s.query() == "PASTED");
        assert_eq!(in_search, expected == Layer::PromptSearch, "{what}");
        let in_sessions = app
            .sessions
            .as_ref()
            .is_some_and(|p| p.filter() == "PASTED");
        let in_skills = app
            .skills_pane
            .as_ref()
            .is_some_and(|p| p.filter() == "PASTED");
        assert_eq!(in_sessions, expected == Layer::Sessions, "{what}");
        assert_eq!(in_skills, expected == Layer::Skills, "{what}");
        // The paste never answers a question or closes a picker.
        assert_eq!(app.approvals.is_open(), mask & bit(Layer::Approval) != 0);
        assert_eq!(app.trust_request.is_some(), mask & bit(Layer::Trust) != 0);
        assert_eq!(
            app.fork_picker.is_some(),
            mask & bit(Layer::ForkPicker) != 0
        );
    }
}

#[test]
fn a_paste_goes_into_the_open_rule_editor_on_one_line() {
    let (mut app, _) = app_with(bit(Layer::Approval));
    key(
        &mut app,
        KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE),
    );
    paste(&mut app, "too\nrisky");
    let editor = app.approvals.editor.as_ref().map(|(_, t)| t.as_str());
    assert_eq!(editor, Some("too risky"));
    assert!(app.composer.is_empty());
}

fn wheel(app: &mut App, kind: MouseEventKind) -> Layer {
    mouse(
        app,
        MouseEvent {
            kind,
            column: 10,
            row: 5,
            modifiers: KeyModifiers::NONE,
        },
    )
}

#[test]
fn the_wheel_scrolls_the_transcript_and_never_walks_history() {
    let (mut app, _) = app_with(0);
    for i in 0..60 {
        app.push_notice(crate::protocol::NoticeLevel::Info, format!("line {i}"));
    }
    draw(&mut app);
    assert_eq!(wheel(&mut app, MouseEventKind::ScrollUp), Layer::Base);
    assert_ne!(
        app.transcript.scroll,
        crate::tui::transcript::Scroll::Follow
    );
    assert!(app.composer.is_empty(), "the wheel walked the history");
    // Arrows while scrolled back scroll too (a wheel under alternate scroll sends arrows).
    key(&mut app, KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    assert!(
        app.composer.is_empty(),
        "Up walked the history while scrolled"
    );
    for _ in 0..40 {
        wheel(&mut app, MouseEventKind::ScrollDown);
    }
    assert_eq!(
        app.transcript.scroll,
        crate::tui::transcript::Scroll::Follow
    );
    // Back at the bottom, Up is the history again.
    key(&mut app, KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    assert_eq!(app.composer.text(), "earlier prompt");
}

#[test]
fn the_wheel_moves_through_a_pane_and_never_answers_a_question() {
    let (mut app, _) = app_with(bit(Layer::Trust));
    assert_eq!(wheel(&mut app, MouseEventKind::ScrollDown), Layer::Trust);
    assert!(app.trust_request.is_some());
    assert!(app.effects.drain().is_empty());
    let (mut app, _) = app_with(bit(Layer::Help));
    for _ in 0..3 {
        wheel(&mut app, MouseEventKind::ScrollDown);
    }
    assert_eq!(
        top(&app),
        Layer::Help,
        "the wheel scrolls the help, not closes it"
    );
}

#[test]
fn up_is_the_history_again_once_arrows_scrolled_back_to_the_bottom() {
    let (mut app, _) = app_with(0);
    for c in "first question".chars() {
        key(
            &mut app,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        );
    }
    key(&mut app, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    for i in 0..60 {
        app.push_notice(crate::protocol::NoticeLevel::Info, format!("line {i}"));
    }
    draw(&mut app);
    key(&mut app, KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE));
    for _ in 0..8 {
        key(&mut app, KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    }
    for _ in 0..60 {
        key(&mut app, KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    }
    assert_eq!(
        app.transcript.scroll,
        crate::tui::transcript::Scroll::Follow
    );
    key(&mut app, KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    assert_eq!(app.composer.text(), "first question");
}
