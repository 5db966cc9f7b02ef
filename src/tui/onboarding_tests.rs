//! The welcome screen without a model: snapshots per size, scrolling, Ctrl+Y.

use crate::protocol::SessionConfigured;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::App;
use super::layers::key as handle_key;
use super::theme::Theme;
use super::view;
use crate::protocol::{Event, Finding, OnboardingReport, Op, WriteProfile};

fn draw(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::render(app, f)).unwrap();
    terminal.backend().to_string()
}

fn unconfigured(findings: Vec<Finding>) -> App {
    let mut app = App::new(Theme::dark());
    app.on_event(Event::SessionConfigured(SessionConfigured {
        session_id: None,
        provider: None,
        history: vec![],
        input_history: vec![],
        session_tokens: 0,
    }));
    app.on_event(Event::Onboarding {
        report: OnboardingReport {
            reason: "no model provider configured: set OPENAI_API_KEY or ANTHROPIC_API_KEY, start a local server (Ollama, llama.cpp), or add a provider to /home/me/.config/pincer/config.toml".into(),
            probe_done: true,
            findings,
            config_path: "/home/me/.config/pincer/config.toml".into(),
        },
    });
    app
}

fn ollama() -> Vec<Finding> {
    vec![Finding {
        label: "Ollama on 127.0.0.1:11434".into(),
        profile: Some("ollama".into()),
        models: vec!["llama3.2".into(), "qwen2.5-coder".into()],
    }]
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Op> {
    handle_key(app, KeyEvent::new(code, mods));
    app.effects.take_ops()
}

#[test]
fn welcome_120x40() {
    let mut app = unconfigured(ollama());
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("Ctrl+Y"), "{screen}");
    assert!(
        screen.contains("mock_model"),
        "the demo model is mentioned:\n{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn welcome_80x24() {
    let mut app = unconfigured(ollama());
    insta::assert_snapshot!(draw(&mut app, 80, 24));
}

#[test]
fn welcome_40x15_scrolls() {
    let mut app = unconfigured(ollama());
    let first = draw(&mut app, 40, 15);
    assert!(
        first.contains("PgUp/PgDn"),
        "a cut box says it scrolls:\n{first}"
    );
    insta::assert_snapshot!("welcome_40x15_top", first);
    // PgDn until the end: the last line (config init) comes into view, and more PgDn stays.
    for _ in 0..40 {
        press(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    }
    let bottom = draw(&mut app, 40, 15);
    assert!(bottom.contains("config.toml"), "{bottom}");
    insta::assert_snapshot!("welcome_40x15_bottom", bottom);
    press(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    assert_eq!(draw(&mut app, 40, 15), bottom, "clamped at the end");
    for _ in 0..40 {
        press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    }
    assert_eq!(draw(&mut app, 40, 15), first, "back at the top");
}

#[test]
fn ctrl_y_writes_the_found_profile_then_the_screen_goes_when_the_model_is_set() {
    let mut app = unconfigured(ollama());
    let ops = press(&mut app, KeyCode::Char('y'), KeyModifiers::CONTROL);
    assert_eq!(
        ops,
        vec![Op::WriteProfile(WriteProfile {
            profile: "ollama".into(),
            model: Some("llama3.2".into()),
        })]
    );
    app.on_event(Event::ProviderChanged {
        provider: crate::protocol::ProviderInfo {
            profile: "ollama".into(),
            kind: crate::protocol::ProviderKind::Openai,
            model: "llama3.2".into(),
            base_url: "http://127.0.0.1:11434/v1".into(),
        },
    });
    assert!(!app.onboarding_shown());
    let screen = draw(&mut app, 80, 24);
    assert!(!screen.contains("Welcome to pincer"), "{screen}");
    // With a model, Ctrl+Y on an empty composer does nothing.
    assert!(press(&mut app, KeyCode::Char('y'), KeyModifiers::CONTROL).is_empty());
}

#[test]
fn ctrl_y_with_nothing_found_says_so() {
    let mut app = unconfigured(Vec::new());
    assert!(press(&mut app, KeyCode::Char('y'), KeyModifiers::CONTROL).is_empty());
    assert!(!draw(&mut app, 100, 40).contains("Ctrl+Y use"));
}
