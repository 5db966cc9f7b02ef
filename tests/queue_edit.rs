//! The runtime's queue as the front end sees it: messages sent while a turn runs are listed
//! (`Event::Queue`, only on a change), and one can be taken back before it runs
//! (`Op::WithdrawQueued` → `Event::QueueWithdrawn`); a withdrawn message never reaches the model.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::UserMessage;

use std::path::PathBuf;
use std::time::Duration;

use pincer::config::{Config, NetworkConfig};
use pincer::protocol::{Event, NoticeLevel, Op, QueueState};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use support::events::{mock_network, mock_settings, until};
use support::mock_server::*;

fn settings(url: &str) -> RuntimeSettings {
    let config = Config {
        // The first reply stalls until it is interrupted: no idle timeout meanwhile.
        network: NetworkConfig {
            max_retries: 0,
            ..mock_network(600_000)
        },
        ..Config::default()
    };
    let mut s = mock_settings(url, config, PathBuf::from("/work/project"));
    s.database = None;
    s.tools_enabled = false;
    s
}

fn queue_of(e: &Event) -> Option<Vec<String>> {
    match e {
        Event::Queue(QueueState { items }) => Some(items.iter().map(|i| i.text.clone()).collect()),
        _ => None,
    }
}

fn queue_id(events: &[Event], text: &str) -> u64 {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Queue(q) => q.items.iter().find(|i| i.text == text).map(|i| i.id),
            _ => None,
        })
        .unwrap()
}

fn say(rt: &RuntimeHandle, text: &str) {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
}

#[tokio::test]
async fn queued_messages_are_listed_and_one_taken_back_never_runs() {
    let server = MockServer::start(vec![
        Reply::Sse(vec![
            Step::Bytes(
                b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial\"}}]}\n\n"
                    .to_vec(),
            ),
            Step::Stall,
        ]),
        Reply::sse(openai_sse(&["two"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(&server.url()));
    say(&rt, "first");
    let started = until(&mut rt, |e| matches!(e, Event::AssistantDelta(_))).await;
    assert!(
        !started.iter().any(|e| queue_of(e).is_some()),
        "nothing was queued, so no queue event: {started:?}"
    );

    say(&rt, "second");
    say(&rt, "third");
    rt.ops
        .send(Op::RunShell {
            command: "echo later".into(),
        })
        .unwrap();
    let listed = until(&mut rt, |e| queue_of(e).is_some_and(|q| q.len() == 3)).await;
    assert_eq!(
        queue_of(listed.last().unwrap()).unwrap(),
        ["second", "third", "!echo later"]
    );

    let third = queue_id(&listed, "third");
    let shell = queue_id(&listed, "!echo later");
    rt.ops.send(Op::WithdrawQueued { id: third }).unwrap();
    let taken = until(&mut rt, |e| queue_of(e).is_some_and(|q| q.len() == 2)).await;
    assert!(
        taken
            .iter()
            .any(|e| matches!(e, Event::QueueWithdrawn(w) if w.id == third && w.text == "third")),
        "{taken:?}"
    );
    assert_eq!(
        queue_of(taken.last().unwrap()).unwrap(),
        ["second", "!echo later"]
    );

    // Taking back the same one again: it is gone, and the user is told so.
    rt.ops.send(Op::WithdrawQueued { id: third }).unwrap();
    let late = until(&mut rt, |e| matches!(e, Event::Notice { .. })).await;
    assert!(matches!(
        late.last(),
        Some(Event::Notice { level: NoticeLevel::Info, message }) if message.contains("already started")
    ));
    rt.ops.send(Op::WithdrawQueued { id: shell }).unwrap();
    until(&mut rt, |e| queue_of(e).is_some_and(|q| q.len() == 1)).await;

    rt.ops.send(Op::Interrupt).unwrap();
    until(&mut rt, |e| matches!(e, Event::TurnFinished(_))).await;
    let next = until(&mut rt, |e| matches!(e, Event::TurnFinished(_))).await;
    let user = next.iter().find_map(|e| match e {
        Event::UserMessage(UserMessage { text, .. }) => Some(text.clone()),
        _ => None,
    });
    assert_eq!(user.as_deref(), Some("second"));
    assert!(
        next.iter()
            .any(|e| queue_of(e).is_some_and(|q| q.is_empty())),
        "the queue emptied: {next:?}"
    );
    assert!(server.wait_for_requests(2, Duration::from_secs(60)).await);
    let bodies: Vec<String> = server
        .requests()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).to_string())
        .collect();
    assert!(bodies[1].contains("second"));
    assert!(
        bodies
            .iter()
            .all(|b| !b.contains("third") && !b.contains("echo later")),
        "a withdrawn message reached the model"
    );
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
}
