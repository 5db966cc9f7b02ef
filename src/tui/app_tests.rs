//! The reducer: runtime events → UI state.

use super::*;
use crate::protocol::{
    AssistantDelta, AssistantMessageDone, Retrying, SessionBusy, SessionConfigured,
    SessionItemsAppended, TurnFinished, UserMessage,
};
use crate::protocol::{ErrorKind, HistoryItem, ProviderKind, TokenUsage, TurnOutcome};

pub(crate) fn configured() -> App {
    let mut app = App::new(Theme::dark());
    app.on_event(Event::SessionConfigured(SessionConfigured {
        session_id: None,
        provider: Some(ProviderInfo {
            profile: "local".into(),
            kind: ProviderKind::Openai,
            model: "m".into(),
            base_url: "http://127.0.0.1:1/v1".into(),
        }),
        history: vec![HistoryItem::User {
            text: "old".into(),
            item_id: None,
            pastes: Vec::new(),
        }],
        input_history: vec!["old".into()],
        session_tokens: 10,
    }));
    app
}

#[test]
fn model_names_fit_a_line() {
    assert_eq!(display_model(""), "server default");
    assert_eq!(
        display_model("/models/smol/SmolLM2.Q4.gguf"),
        "SmolLM2.Q4.gguf"
    );
    assert_eq!(
        display_model("meta-llama/llama-3.3-70b"),
        "meta-llama/llama-3.3-70b"
    );
    let long = display_model(&"x".repeat(100));
    assert_eq!(long.chars().count(), 40);
}

#[test]
fn a_turn_streams_then_finishes() {
    let mut app = configured();
    app.on_event(Event::UserMessage(UserMessage {
        text: "hi".into(),
        item_id: None,
        pastes: Vec::new(),
    }));
    app.on_event(Event::TurnStarted { turn_id: 1 });
    assert!(matches!(app.turn, TurnState::Thinking { .. }));
    app.on_event(Event::AssistantDelta(AssistantDelta {
        turn_id: 1,
        text: "Hel".into(),
    }));
    app.on_event(Event::AssistantDelta(AssistantDelta {
        turn_id: 1,
        text: "lo".into(),
    }));
    assert!(matches!(app.turn, TurnState::Streaming { .. }));
    app.on_event(Event::AssistantMessageDone(AssistantMessageDone {
        turn_id: 1,
        text: "Hello".into(),
        interrupted: false,
    }));
    app.on_event(Event::TurnFinished(TurnFinished {
        turn_id: 1,
        outcome: TurnOutcome::Completed,
        usage: Some(TokenUsage {
            input_tokens: 5,
            output_tokens: 2,
            estimated: false,
        }),
        duration_ms: 1500,
    }));
    assert_eq!(app.turn, TurnState::Idle);
    assert_eq!(app.session_tokens, 17);
    assert_eq!(app.transcript.cells.len(), 3);
    assert!(
        matches!(&app.transcript.cells[2].kind, CellKind::Assistant { text, streaming: false, .. } if text == "Hello")
    );
}

#[test]
fn retry_discards_partial_reply() {
    let mut app = configured();
    app.on_event(Event::TurnStarted { turn_id: 1 });
    app.on_event(Event::AssistantDelta(AssistantDelta {
        turn_id: 1,
        text: "par".into(),
    }));
    app.on_event(Event::Retrying(Retrying {
        turn_id: 1,
        attempt: 1,
        max_attempts: 3,
        delay_ms: 10,
        reason: "reset".into(),
        discard_partial: true,
    }));
    assert!(
        app.transcript
            .cells
            .iter()
            .all(|c| !matches!(c.kind, CellKind::Assistant { .. }))
    );
    assert!(matches!(app.turn, TurnState::Thinking { .. }));
}

#[test]
fn errors_and_provider_changes_show_in_transcript() {
    let mut app = configured();
    app.on_event(Event::Error {
        kind: ErrorKind::Auth,
        message: "set KEY".into(),
        retryable: false,
    });
    assert!(matches!(
        app.transcript.cells.last().unwrap().kind,
        CellKind::Error { .. }
    ));
    app.onboarding = Some(OnboardingReport::default());
    app.on_event(Event::ProviderChanged {
        provider: ProviderInfo {
            profile: "p".into(),
            kind: ProviderKind::Anthropic,
            model: "x".into(),
            base_url: "u".into(),
        },
    });
    assert!(app.onboarding.is_none());
    assert_eq!(app.provider.as_ref().unwrap().profile, "p");
}

#[test]
fn a_new_session_learns_its_id_so_fork_rename_and_export_work() {
    let mut app = App::new(Theme::dark());
    app.on_event(Event::SessionConfigured(SessionConfigured {
        session_id: None,
        provider: None,
        history: vec![],
        input_history: vec![],
        session_tokens: 0,
    }));
    assert!(app.export_current("md").is_empty(), "nothing stored yet");
    app.on_event(Event::SessionStored {
        session_id: "s1".into(),
    });
    app.on_event(Event::UserMessage(UserMessage {
        text: "first".into(),
        item_id: Some(7),
        pastes: Vec::new(),
    }));
    app.open_fork_picker();
    assert!(app.fork_picker.is_some());
    assert_eq!(app.export_current("md").len(), 1);
}

#[test]
fn items_from_another_pincer_are_appended_with_a_notice() {
    let mut app = configured();
    let before = app.transcript.cells.len();
    app.on_event(Event::SessionItemsAppended(SessionItemsAppended {
        items: vec![
            HistoryItem::User {
                text: "from elsewhere".into(),
                item_id: Some(7),
                pastes: Vec::new(),
            },
            HistoryItem::Assistant {
                text: "answer".into(),
                interrupted: false,
            },
        ],
        count: 2,
    }));
    let cells = &app.transcript.cells[before..];
    assert_eq!(cells.len(), 3, "a notice and the two items");
    assert!(matches!(&cells[1].kind, CellKind::User(u) if u.text == "from elsewhere"));
    assert!(matches!(&cells[2].kind, CellKind::Assistant { text, .. } if text == "answer"));
    assert_eq!(
        app.user_items.last(),
        Some(&(7, "from elsewhere".to_string()))
    );
}

#[test]
fn a_busy_session_shows_waiting_and_esc_can_stop_it() {
    let mut app = configured();
    app.queued = 1;
    app.on_event(Event::SessionBusy(SessionBusy {
        holder_pid: Some(42),
        waiting: true,
    }));
    assert!(app.turn.running(), "waiting looks like a running turn");
    assert!(matches!(
        &app.transcript.cells.last().unwrap().kind,
        CellKind::Notice { message, .. } if message.contains("pid 42")
    ));
    app.on_event(Event::SessionBusy(SessionBusy {
        holder_pid: None,
        waiting: false,
    }));
    assert!(!app.turn.running());
    assert_eq!(app.queued, 0);
}

#[test]
fn a_dropped_session_is_forgotten_so_nothing_acts_on_its_id() {
    let mut app = configured();
    app.on_event(Event::SessionStored {
        session_id: "s1".into(),
    });
    app.on_event(Event::UserMessage(UserMessage {
        text: "first".into(),
        item_id: Some(7),
        pastes: Vec::new(),
    }));
    app.on_event(Event::SessionDropped(crate::protocol::SessionDropped {
        session_id: "s1".into(),
    }));
    assert_eq!(app.session_id, None);
    assert!(app.user_items.is_empty(), "nothing left to fork from");
    assert!(
        app.export_current("md").is_empty(),
        "nothing stored to export"
    );
    assert!(app.transcript.cells.iter().any(|c| matches!(&c.kind,
        CellKind::Notice { message, .. } if message.contains("never reached a model"))));
}
