//! Snapshots of every screen and overlay through ratatui's TestBackend.

use crate::protocol::{
    AssistantDelta, AssistantMessageDone, Compacted, ContextUsage, ProjectTrustRequest,
    SessionConfigured, SkillActivated, SkillsChanged, TurnFinished, UserMessage,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Overlay};
use super::layers::key as handle_key;
use super::theme::Theme;
use super::view;
use crate::protocol::{
    ErrorKind, Event, Finding, OnboardingReport, ProviderInfo, ProviderKind, TokenUsage,
    TurnOutcome,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn draw(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::render(app, f)).unwrap();
    terminal.backend().to_string()
}

fn configured() -> App {
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
    app
}

const ANSWER: &str = "## Reading a file\n\nUse `std::fs::read_to_string` — it returns a **Result**:\n\n```rust\nfn main() -> std::io::Result<()> {\n    let text = std::fs::read_to_string(\"notes.md\")?;\n    println!(\"{text}\");\n    Ok(())\n}\n```\n\n| call | returns |\n|---|---|\n| `read` | `Vec<u8>` |\n| `read_to_string` | `String` |\n\n> Errors carry the path.\n";

fn with_answer(app: &mut App) {
    app.on_event(Event::UserMessage(UserMessage {
        text: "How do I read a file in Rust?".into(),
        item_id: None,
        pastes: Vec::new(),
    }));
    app.on_event(Event::TurnStarted { turn_id: 1 });
    for piece in ANSWER.split_inclusive(' ') {
        app.on_event(Event::AssistantDelta(AssistantDelta {
            turn_id: 1,
            text: piece.into(),
        }));
    }
    app.on_event(Event::AssistantMessageDone(AssistantMessageDone {
        turn_id: 1,
        text: ANSWER.into(),
        interrupted: false,
    }));
    app.on_event(Event::TurnFinished(TurnFinished {
        turn_id: 1,
        outcome: TurnOutcome::Completed,
        usage: Some(TokenUsage {
            input_tokens: 812,
            output_tokens: 164,
            estimated: false,
        }),
        duration_ms: 2340,
    }));
}

#[test]
fn empty_chat() {
    insta::assert_snapshot!(draw(&mut configured(), 80, 20));
}

#[test]
fn streamed_markdown_answer() {
    let mut app = configured();
    with_answer(&mut app);
    insta::assert_snapshot!(draw(&mut app, 80, 36));
}

#[test]
fn answer_at_40_columns() {
    let mut app = configured();
    with_answer(&mut app);
    insta::assert_snapshot!(draw(&mut app, 40, 40));
}

#[test]
fn interrupted_answer_and_error() {
    let mut app = configured();
    app.on_event(Event::UserMessage(UserMessage {
        text: "Tell me a long story".into(),
        item_id: None,
        pastes: Vec::new(),
    }));
    app.on_event(Event::TurnStarted { turn_id: 1 });
    app.on_event(Event::AssistantDelta(AssistantDelta {
        turn_id: 1,
        text: "Once upon a time".into(),
    }));
    app.on_event(Event::AssistantMessageDone(AssistantMessageDone {
        turn_id: 1,
        text: "Once upon a time".into(),
        interrupted: true,
    }));
    app.on_event(Event::TurnFinished(TurnFinished {
        turn_id: 1,
        outcome: TurnOutcome::Interrupted,
        usage: None,
        duration_ms: 900,
    }));
    app.on_event(Event::UserMessage(UserMessage {
        text: "again".into(),
        item_id: None,
        pastes: Vec::new(),
    }));
    app.on_event(Event::Error {
        kind: ErrorKind::Auth,
        message: "ollama refused the request (HTTP 401): invalid key. Fix: set OPENAI_API_KEY to your API key".into(),
        retryable: false,
    });
    insta::assert_snapshot!(draw(&mut app, 80, 16));
}

#[test]
fn slash_popup() {
    let mut app = configured();
    handle_key(
        &mut app,
        KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE),
    );
    insta::assert_snapshot!(draw(&mut app, 80, 14));
}

#[test]
fn help_120x40() {
    let mut app = configured();
    app.open_help();
    insta::assert_snapshot!(draw(&mut app, 120, 40));
}

#[test]
fn help_80x24() {
    let mut app = configured();
    app.open_help();
    insta::assert_snapshot!(draw(&mut app, 80, 24));
}

#[test]
fn help_40x15() {
    let mut app = configured();
    app.open_help();
    insta::assert_snapshot!(draw(&mut app, 40, 15));
}

/// Shift+Enter is listed only where the terminal reports it.
#[test]
fn help_advertises_shift_enter_only_when_reported() {
    let theme = Theme::dark();
    let text = |shift_enter| {
        super::help_view::help_lines(&theme, 78, 22, shift_enter)
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
            .collect::<String>()
    };
    assert!(text(true).contains("Shift+Enter · Alt+Enter · Ctrl+J"));
    assert!(!text(false).contains("Shift+Enter"));
    assert!(text(false).contains("Alt+Enter · Ctrl+J"));
}

/// At 80x24 the help lists every pane and every key (with its label) without scrolling,
/// every row fits its box; at 40x15 it scrolls, says so, and scrolling reaches the end.
#[test]
fn help_lists_everything_and_fits_at_80x24() {
    use unicode_width::UnicodeWidthStr;
    let theme = Theme::dark();
    let lines = super::help_view::help_lines(&theme, 78, 22, true);
    let rows: Vec<String> = lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    assert!(rows.len() <= 22, "{} rows: {rows:#?}", rows.len());
    for row in &rows {
        assert!(row.width() <= 78, "row wider than the box: {row:?}");
    }
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let all = squash(&rows.join(" "));
    for (title, keys) in super::keymap::help_sections() {
        assert!(all.contains(title), "{title} missing");
        for k in keys {
            let label = if k.short.is_empty() { k.long } else { k.short };
            let item = squash(&format!("{} {label}", k.keys));
            assert!(all.contains(&item), "{item} missing");
        }
    }
    let mut app = configured();
    app.open_help();
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("Keys · any key closes"), "{screen}");

    let mut app = configured();
    app.open_help();
    let top = draw(&mut app, 40, 15);
    assert!(
        top.contains("Keys 13/"),
        "the small box says it scrolls: {top}"
    );
    for _ in 0..200 {
        handle_key(&mut app, KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    }
    let end = draw(&mut app, 40, 15);
    assert_eq!(
        app.overlay,
        Some(Overlay::Help),
        "scrolling keeps the help open"
    );
    assert!(end.contains("any other key close"), "{end}");
    handle_key(
        &mut app,
        KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE),
    );
    assert_eq!(app.overlay, None);
}

#[test]
fn onboarding_screen() {
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
            findings: vec![Finding {
                label: "Ollama on 127.0.0.1:11434".into(),
                profile: Some("ollama".into()),
                models: vec!["llama3.2".into(), "qwen2.5-coder".into()],
            }],
            config_path: "/home/me/.config/pincer/config.toml".into(),
        },
    });
    insta::assert_snapshot!(draw(&mut app, 100, 30));
}

#[test]
fn running_turn_status_and_queued_message() {
    let mut app = configured();
    app.on_event(Event::UserMessage(UserMessage {
        text: "first".into(),
        item_id: None,
        pastes: Vec::new(),
    }));
    app.on_event(Event::TurnStarted { turn_id: 1 });
    app.queued = 1;
    let screen = draw(&mut app, 80, 8);
    assert!(screen.contains("thinking 0.0s · Esc to stop"), "{screen}");
    assert!(screen.contains("1 queued"), "{screen}");
}

fn compacted() -> App {
    let mut app = configured();
    app.on_event(Event::UserMessage(UserMessage {
        text: "third question".into(),
        item_id: Some(7),
        pastes: Vec::new(),
    }));
    app.on_event(Event::Notice {
        level: crate::protocol::NoticeLevel::Info,
        message: "the context window is 83% full (27200 of 32768 tokens): compacting older turns into a summary. Everything stays in the transcript above.".into(),
    });
    app.on_event(Event::Compacted(Compacted {
        summary: "Summary of the earlier conversation (12 messages compacted by pincer).\n\nWhat the user asked, in order:\n1. fix the parser\n2. run the tests\n\nTools used: edit_file ×1, shell ×2\nFiles touched: src/parse.rs (changed)".into(),
        replaced_messages: 12,
        tokens_before: 27_200,
        tokens_after: 3_100,
    }));
    app.on_event(Event::ContextUsage(ContextUsage {
        used_tokens: 3_100,
        window_tokens: 32_768,
        window_source: crate::protocol::WindowSource::Server,
    }));
    app
}

#[test]
fn compaction_cell_folded() {
    let mut app = compacted();
    insta::assert_snapshot!(draw(&mut app, 80, 12));
}

#[test]
fn compaction_cell_expanded() {
    let mut app = compacted();
    app.toggle_tool_output();
    insta::assert_snapshot!(draw(&mut app, 80, 20));
}

#[test]
fn skill_reload_notices() {
    let mut app = configured();
    app.on_event(Event::Notice {
        level: crate::protocol::NoticeLevel::Info,
        message: "reloaded code-review".into(),
    });
    app.on_event(Event::Notice {
        level: crate::protocol::NoticeLevel::Warning,
        message: "code-review: line 3: description missing — disabled".into(),
    });
    insta::assert_snapshot!(draw(&mut app, 80, 8));
}

#[test]
fn restricted_skill_status_and_notice() {
    let mut app = configured();
    app.on_event(Event::SkillActivated(SkillActivated {
        name: "web-scraper".into(),
        restricted: true,
    }));
    insta::assert_snapshot!(draw(&mut app, 100, 8));
}

#[test]
fn project_trust_question() {
    let mut app = configured();
    app.on_event(Event::ProjectTrustRequest(ProjectTrustRequest {
        path: "/home/me/src/shop".into(),
        skill_folders: vec!["/home/me/src/shop/.pincer/skills".into()],
    }));
    insta::assert_snapshot!(draw(&mut app, 100, 20));
}

#[test]
fn slash_popup_offers_skills() {
    let mut app = configured();
    app.on_event(Event::SkillsChanged(SkillsChanged {
        skills: vec![crate::protocol::SkillInfo {
            name: "explain-error".into(),
            description: "Explain a compiler error in plain words.".into(),
            source: "bundled".into(),
            path: "bundled:explain-error/SKILL.md".into(),
            restricted: false,
            status: crate::protocol::SkillState::Ok,
            detail: String::new(),
        }],
        user_dir: "/home/me/.config/pincer/skills".into(),
        restricted_active: false,
    }));
    for c in "/ex".chars() {
        handle_key(
            &mut app,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        );
    }
    insta::assert_snapshot!(draw(&mut app, 80, 10));
}
