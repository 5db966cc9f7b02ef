//! The runtime driven through its Op/Event channel against the scripted mock server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{
    AssistantDelta, AssistantMessageDone, Retrying, SessionConfigured, TurnFinished, UserMessage,
};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pincer::config::{Config, NetworkConfig, ResolveError, ResolvedProvider};
use pincer::protocol::{ErrorKind, Event, HistoryItem, Op, ProviderKind, TurnOutcome};
use pincer::runtime::{self, Resume, RuntimeHandle, RuntimeSettings};
use pincer::store::Store;
use support::mock_server::*;

fn provider(url: &str, model: &str) -> ResolvedProvider {
    ResolvedProvider {
        profile: "mock".into(),
        kind: ProviderKind::Openai,
        base_url: format!("{url}/v1"),
        model: model.into(),
        api_key: None,
        api_key_env: None,
        max_tokens: 256,
    }
}

fn settings(
    provider: Result<ResolvedProvider, ResolveError>,
    db: Option<PathBuf>,
) -> RuntimeSettings {
    let config = Config {
        network: NetworkConfig {
            stream_idle_timeout_ms: 300,
            max_retries: 2,
            retry_base_delay_ms: 10,
            retry_max_delay_ms: 50,
            ..NetworkConfig::default()
        },
        ..Config::default()
    };
    let mut s = RuntimeSettings::new(config, provider, PathBuf::from("/work/project"));
    s.database = db;
    s.env = Arc::new(|_: &str| None);
    s.tools_enabled = false;
    s
}

/// The next event, skipping the informational `PolicyConfigured`, `ContextUsage`,
/// `SessionStored`, `TurnDiagnostics` and `TierAnswered` (the pipeline's own tests read those).
async fn next(rt: &mut RuntimeHandle) -> Event {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), rt.events.recv())
            .await
            .expect("an event within 10 s")
            .expect("runtime alive");
        if !matches!(
            ev,
            Event::PolicyConfigured { .. }
                | Event::ContextUsage(_)
                | Event::SessionStored { .. }
                | Event::TurnDiagnostics(_)
                | Event::TierAnswered(_)
        ) {
            return ev;
        }
    }
}

/// Events up to and including the first one matching `stop`.
async fn until(rt: &mut RuntimeHandle, stop: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let ev = next(rt).await;
        let done = stop(&ev);
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

fn finished(e: &Event) -> bool {
    matches!(e, Event::TurnFinished(_))
}

fn say(rt: &RuntimeHandle, text: &str) {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
}

fn reply_text(events: &[Event]) -> Option<(String, bool)> {
    events.iter().find_map(|e| match e {
        Event::AssistantMessageDone(AssistantMessageDone {
            text, interrupted, ..
        }) => Some((text.clone(), *interrupted)),
        _ => None,
    })
}

fn outcome(events: &[Event]) -> TurnOutcome {
    events
        .iter()
        .find_map(|e| match e {
            Event::TurnFinished(TurnFinished { outcome, .. }) => Some(*outcome),
            _ => None,
        })
        .unwrap()
}

#[tokio::test]
async fn a_turn_streams_stores_and_reports_usage() {
    let server = MockServer::start(vec![Reply::Sse(split_every(
        &openai_sse(&["Hel", "lo ", "**you**"], Some((12, 3))),
        &[7],
    ))])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pincer.db");
    let mut rt = runtime::spawn(settings(Ok(provider(&server.url(), "m")), Some(db.clone())));
    assert!(matches!(
        next(&mut rt).await,
        Event::SessionConfigured(SessionConfigured {
            session_id: None,
            ..
        })
    ));
    say(&rt, "hi there");
    let events = until(&mut rt, finished).await;
    assert!(
        matches!(&events[0], Event::UserMessage(UserMessage { text, .. }) if text == "hi there")
    );
    assert!(matches!(events[1], Event::TurnStarted { .. }));
    let deltas: String = events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantDelta(AssistantDelta { text, .. }) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, "Hello **you**");
    assert_eq!(reply_text(&events), Some(("Hello **you**".into(), false)));
    let Some(Event::TurnFinished(TurnFinished {
        usage: Some(usage),
        outcome,
        ..
    })) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*outcome, TurnOutcome::Completed);
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.estimated),
        (12, 3, false)
    );

    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    let store = Store::open(&db).unwrap();
    let id = store.latest_session_in("/work/project").unwrap().unwrap();
    let loaded = store.load_session(&id).unwrap();
    assert_eq!(loaded.items.len(), 2);
    assert_eq!(loaded.items[1].content, "Hello **you**");
    assert_eq!(loaded.total_tokens, 15);
}

#[tokio::test]
async fn rate_limit_is_retried_honouring_retry_after() {
    let server = MockServer::start(vec![
        with_header(openai_error(429, "slow down"), "retry-after", "0.05"),
        Reply::sse(openai_sse(&["ok"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(Ok(provider(&server.url(), "m")), None));
    next(&mut rt).await;
    say(&rt, "x");
    let events = until(&mut rt, finished).await;
    let retry = events
        .iter()
        .find_map(|e| match e {
            Event::Retrying(Retrying {
                attempt,
                delay_ms,
                reason,
                ..
            }) => Some((*attempt, *delay_ms, reason.clone())),
            _ => None,
        })
        .expect("a Retrying event");
    assert_eq!((retry.0, retry.1), (1, 50));
    assert!(retry.2.contains("429"));
    assert_eq!(reply_text(&events), Some(("ok".into(), false)));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = MockServer::start(vec![
        openai_error(500, "boom"),
        openai_error(502, "boom"),
        openai_error(503, "boom"),
        Reply::sse(openai_sse(&["never"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(Ok(provider(&server.url(), "m")), None));
    next(&mut rt).await;
    say(&rt, "x");
    let events = until(&mut rt, finished).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Retrying(_)))
            .count(),
        2
    );
    let err = events
        .iter()
        .find_map(|e| match e {
            Event::Error { kind, message, .. } => Some((*kind, message.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(err.0, ErrorKind::Server);
    assert!(
        err.1.contains("503") && err.1.contains("3 attempts"),
        "{}",
        err.1
    );
    assert_eq!(outcome(&events), TurnOutcome::Failed);
    assert_eq!(server.requests().len(), 3, "bounded: 1 + max_retries");
}

#[tokio::test]
async fn auth_errors_are_not_retried() {
    let server = MockServer::start(vec![openai_error(401, "bad key")]).await;
    let mut rt = runtime::spawn(settings(Ok(provider(&server.url(), "m")), None));
    next(&mut rt).await;
    say(&rt, "x");
    let events = until(&mut rt, finished).await;
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Error {
            kind: ErrorKind::Auth,
            ..
        }
    )));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn reset_mid_stream_retries_and_discards_the_partial_reply() {
    let body = openai_sse(&["first ", "attempt"], None);
    let server = MockServer::start(vec![
        Reply::Sse(vec![
            Step::Bytes(body[..body.len() / 2].to_vec()),
            Step::Pause(Duration::from_millis(20)),
            Step::Reset,
        ]),
        Reply::sse(openai_sse(&["second"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(Ok(provider(&server.url(), "m")), None));
    next(&mut rt).await;
    say(&rt, "x");
    let events = until(&mut rt, finished).await;
    assert!(events.iter().any(|e| matches!(e, Event::Retrying(_))));
    assert_eq!(reply_text(&events), Some(("second".into(), false)));
}

#[tokio::test]
async fn interrupt_during_a_stall_keeps_the_partial_reply() {
    let body = openai_sse(&["partial ", "never"], None);
    let first = body.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let server = MockServer::start(vec![
        Reply::Sse(vec![Step::Bytes(body[..first].to_vec()), Step::Stall]),
        Reply::sse(openai_sse(&["after"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut s = settings(Ok(provider(&server.url(), "m")), Some(db.clone()));
    s.config.network.stream_idle_timeout_ms = 60_000;
    let mut rt = runtime::spawn(s);
    next(&mut rt).await;
    say(&rt, "x");
    until(&mut rt, |e| matches!(e, Event::AssistantDelta(_))).await;
    rt.ops.send(Op::Interrupt).unwrap();
    let events = until(&mut rt, finished).await;
    assert_eq!(reply_text(&events), Some(("partial ".into(), true)));
    assert_eq!(outcome(&events), TurnOutcome::Interrupted);
    // still answering
    say(&rt, "again");
    let events = until(&mut rt, finished).await;
    assert_eq!(reply_text(&events), Some(("after".into(), false)));
    // the interrupted partial is in the next request's history
    let msgs = conversation(&server.requests()[1].json().unwrap());
    assert_eq!(msgs[1]["content"], "partial ");
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    let store = Store::open(&db).unwrap();
    let id = store.latest_session_in("/work/project").unwrap().unwrap();
    let items = store.load_session(&id).unwrap().items;
    assert!(items[1].interrupted && items[1].content == "partial ");
}

#[tokio::test]
async fn messages_sent_during_a_turn_are_queued_in_order() {
    let server = MockServer::start(vec![
        Reply::Sse(vec![
            Step::Pause(Duration::from_millis(100)),
            Step::Bytes(openai_sse(&["one"], None)),
        ]),
        Reply::sse(openai_sse(&["two"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(Ok(provider(&server.url(), "m")), None));
    next(&mut rt).await;
    say(&rt, "first");
    say(&rt, "second");
    let a = until(&mut rt, finished).await;
    let b = until(&mut rt, finished).await;
    assert_eq!(reply_text(&a).unwrap().0, "one");
    assert!(matches!(&b[0], Event::UserMessage(UserMessage { text, .. }) if text == "second"));
    assert_eq!(reply_text(&b).unwrap().0, "two");
    let history = conversation(&server.requests()[1].json().unwrap());
    assert_eq!(history.as_array().unwrap().len(), 3, "first, one, second");
}

#[tokio::test]
async fn continue_reopens_the_last_session_of_the_directory() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["remembered"], None)),
        Reply::sse(openai_sse(&["yes"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut rt = runtime::spawn(settings(Ok(provider(&server.url(), "m")), Some(db.clone())));
    next(&mut rt).await;
    say(&rt, "remember this");
    until(&mut rt, finished).await;
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;

    let mut s = settings(Ok(provider(&server.url(), "m")), Some(db));
    s.resume = Resume::ContinueLast;
    let mut rt = runtime::spawn(s);
    let Event::SessionConfigured(SessionConfigured {
        session_id,
        history,
        input_history,
        session_tokens,
        ..
    }) = next(&mut rt).await
    else {
        panic!()
    };
    assert!(session_id.is_some());
    assert_eq!(history.len(), 2);
    assert!(matches!(&history[0], HistoryItem::User { text, .. } if text == "remember this"));
    assert!(matches!(&history[1], HistoryItem::Assistant { text, .. } if text == "remembered"));
    assert_eq!(input_history, vec!["remember this"]);
    assert!(session_tokens > 0);
    say(&rt, "do you?");
    until(&mut rt, finished).await;
    let msgs = conversation(&server.requests()[1].json().unwrap());
    assert_eq!(msgs.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn set_model_switches_the_model_and_new_session_forgets() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["a"], None)),
        // The switch asks the server first (is it there, does it list the model?).
        Reply::Status {
            status: 200,
            headers: vec![],
            body: r#"{"data":[{"id":"small"},{"id":"large"}]}"#.into(),
        },
        Reply::sse(openai_sse(&["b"], None)),
    ])
    .await;
    let mut s = settings(Ok(provider(&server.url(), "small")), None);
    // A configured window: the switch does not ask the (scripted) server for one.
    let mut profile = s.config.providers["ollama"].clone();
    profile.context_window = Some(8192);
    s.config.providers.insert("mock".into(), profile);
    let mut rt = runtime::spawn(s);
    next(&mut rt).await;
    say(&rt, "one");
    until(&mut rt, finished).await;
    rt.ops
        .send(Op::SetModel {
            name: "large".into(),
        })
        .unwrap();
    let Event::ProviderChanged { provider } = next(&mut rt).await else {
        panic!()
    };
    assert_eq!(provider.model, "large");
    rt.ops.send(Op::NewSession).unwrap();
    assert!(matches!(
        next(&mut rt).await,
        Event::SessionConfigured(SessionConfigured {
            session_id: None,
            ..
        })
    ));
    say(&rt, "two");
    until(&mut rt, finished).await;
    assert_eq!(server.requests()[1].path, "/v1/models");
    let req = server.requests()[2].json().unwrap();
    assert_eq!(req["model"], "large");
    assert_eq!(
        conversation(&req).as_array().unwrap().len(),
        1,
        "new session has no history"
    );
}

#[tokio::test]
async fn a_profile_without_model_asks_the_server() {
    let server = MockServer::start(vec![
        Reply::Status {
            status: 200,
            headers: vec![],
            body: r#"{"data":[{"id":"smol"}]}"#.into(),
        },
        Reply::sse(openai_sse(&["hi"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut rt = runtime::spawn(settings(Ok(provider(&server.url(), "")), Some(db.clone())));
    next(&mut rt).await;
    say(&rt, "x");
    let events = until(&mut rt, finished).await;
    // The session row learns the model the server chose (the pane and `sessions list` show it).
    let store = Store::open(&db).unwrap();
    let listed = store.list_sessions(None, true, 10).unwrap();
    assert_eq!(listed[0].model, "smol");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ProviderChanged { provider } if provider.model == "smol"))
    );
    assert_eq!(server.requests()[1].json().unwrap()["model"], "smol");
}

#[tokio::test]
async fn without_a_provider_messages_are_refused_clearly() {
    let reason = ResolveError::NothingConfigured {
        config_path: "/c/config.toml".into(),
    };
    let mut rt = runtime::spawn(settings(Err(reason), None));
    assert!(matches!(
        next(&mut rt).await,
        Event::SessionConfigured(SessionConfigured { provider: None, .. })
    ));
    let Event::Onboarding { report } = next(&mut rt).await else {
        panic!()
    };
    assert!(report.reason.contains("OPENAI_API_KEY"));
    say(&rt, "hello?");
    let Event::Error { kind, message, .. } = next(&mut rt).await else {
        panic!()
    };
    assert_eq!(kind, ErrorKind::NoProvider);
    assert!(message.contains("not sent"));
}

#[tokio::test]
async fn an_unwritable_database_is_reported_and_chat_still_works() {
    let server = MockServer::start(vec![Reply::sse(openai_sse(&["fine"], None))]).await;
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a dir").unwrap();
    let mut rt = runtime::spawn(settings(
        Ok(provider(&server.url(), "m")),
        Some(blocker.join("p.db")),
    ));
    // The error follows SessionConfigured (a front end clears its screen on that event).
    let first = until(&mut rt, |e| matches!(e, Event::Error { .. })).await;
    assert!(
        first.iter().any(|e| matches!(
            e,
            Event::Error {
                kind: ErrorKind::Storage,
                ..
            }
        )),
        "{first:?}"
    );
    say(&rt, "x");
    let events = until(&mut rt, finished).await;
    assert_eq!(reply_text(&events).unwrap().0, "fine");
}

/// A request's messages without the system prompt (the pipeline always sends one).
fn conversation(body: &serde_json::Value) -> serde_json::Value {
    serde_json::Value::Array(
        body["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter(|m| m["role"] != "system")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
    )
}
