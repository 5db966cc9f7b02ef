//! The JSON of events whose payloads are named structs is the flat object it always was
//! (`pincer -p --json`, `pincer serve`'s SSE): the tag, then the payload's fields.

use serde_json::{Value, json};

use super::*;

fn wire(event: &Event) -> Value {
    serde_json::to_value(event).unwrap()
}

/// Serialised exactly as `expected`, and read back to the same event.
fn round_trip(event: Event, expected: Value) {
    assert_eq!(wire(&event), expected);
    let back: Event = serde_json::from_value(expected).unwrap();
    assert_eq!(back, event);
}

#[test]
fn turn_events_stay_flat_objects() {
    round_trip(
        Event::UserMessage(UserMessage {
            text: "hi".into(),
            item_id: Some(3),
            pastes: vec![],
        }),
        json!({"event": "user_message", "text": "hi", "item_id": 3}),
    );
    round_trip(
        Event::TurnFinished(TurnFinished {
            turn_id: 1,
            outcome: TurnOutcome::Completed,
            usage: None,
            duration_ms: 5,
        }),
        json!({"event": "turn_finished", "turn_id": 1, "outcome": "completed", "usage": null, "duration_ms": 5}),
    );
    round_trip(
        Event::ToolCallFinished(ToolCallFinished {
            turn_id: 1,
            call_id: "c".into(),
            tool: "shell".into(),
            status: ToolStatus::Ok,
            decided_by: "user".into(),
            output: "out".into(),
            exit_code: Some(0),
            duration_ms: 2,
        }),
        json!({"event": "tool_call_finished", "turn_id": 1, "call_id": "c", "tool": "shell",
               "status": "ok", "decided_by": "user", "output": "out", "exit_code": 0, "duration_ms": 2}),
    );
}

#[test]
fn session_and_skill_events_stay_flat_objects() {
    round_trip(
        Event::SessionConfigured(SessionConfigured {
            session_id: None,
            provider: None,
            history: vec![],
            input_history: vec![],
            session_tokens: 7,
        }),
        json!({"event": "session_configured", "session_id": null, "provider": null,
               "history": [], "input_history": [], "session_tokens": 7}),
    );
    round_trip(
        Event::SkillCreated(SkillCreated {
            name: "n".into(),
            path: "/p".into(),
        }),
        json!({"event": "skill_created", "name": "n", "path": "/p"}),
    );
}

#[test]
fn fields_that_were_optional_on_the_wire_still_are() {
    // Older producers (and hand-written clients) leave out the defaulted fields.
    let event: Event =
        serde_json::from_value(json!({"event": "user_message", "text": "hi"})).unwrap();
    assert_eq!(
        event,
        Event::UserMessage(UserMessage {
            text: "hi".into(),
            item_id: None,
            pastes: vec![],
        })
    );
    let event: Event = serde_json::from_value(json!({"event": "retrying", "turn_id": 1,
        "attempt": 1, "max_attempts": 3, "delay_ms": 10, "reason": "r"}))
    .unwrap();
    assert!(matches!(
        event,
        Event::Retrying(Retrying {
            discard_partial: false,
            ..
        })
    ));
}
