//! An `App` holding a long transcript, for the frame benches (`render`, `tui_frames`): the
//! same session start and the same user / assistant turns a real session would deliver.

use pincer::protocol::{
    AssistantMessageDone, Event, ProviderInfo, ProviderKind, SessionConfigured, TurnFinished,
    TurnOutcome, UserMessage,
};
use pincer::tui::app::App;
use pincer::tui::theme::Theme;

/// A fresh App after the runtime said which provider it uses.
pub fn configured() -> App {
    let mut app = App::new(Theme::dark());
    app.on_event(Event::SessionConfigured(SessionConfigured {
        session_id: None,
        provider: Some(ProviderInfo {
            profile: "bench".into(),
            kind: ProviderKind::Openai,
            model: "m".into(),
            base_url: "http://127.0.0.1:1/v1".into(),
        }),
        history: vec![],
        input_history: vec![],
        session_tokens: 0,
    }));
    app
}

/// `messages` user + assistant messages (half each), every reply `reply` (Markdown).
pub fn app_with(messages: usize, reply: &str) -> App {
    let mut app = configured();
    for turn in 0..messages as u64 / 2 {
        app.on_event(Event::UserMessage(UserMessage {
            text: format!("question number {turn}: how does the loader work?"),
            item_id: None,
            pastes: Vec::new(),
        }));
        app.on_event(Event::TurnStarted { turn_id: turn });
        app.on_event(Event::AssistantMessageDone(AssistantMessageDone {
            turn_id: turn,
            text: reply.into(),
            interrupted: false,
        }));
        app.on_event(Event::TurnFinished(TurnFinished {
            turn_id: turn,
            outcome: TurnOutcome::Completed,
            usage: None,
            duration_ms: 10,
        }));
    }
    app
}
