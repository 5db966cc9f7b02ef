//! Sessions through the Op/Event channel: list, preview, resume, fork, rename, archive, delete,
//! export; streamed replies written as they grow; compaction before the window fills.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{
    AssistantMessageDone, Compacted, SessionConfigured, SessionList, SessionPreview, TurnFinished,
};

use std::path::PathBuf;
use std::time::Duration;

use pincer::config::{Config, NetworkConfig};
use pincer::protocol::{Event, ExportFormat, HistoryItem, Op, SessionScope, SessionSummary};
use pincer::runtime::{self, Resume, RuntimeHandle, RuntimeSettings};
use pincer::store::{ItemKind, Store};
use support::events::{finished, mock_profile, mock_settings, until};
use support::mock_server::*;

fn settings(url: &str, db: PathBuf, workspace: &str, window: Option<u64>) -> RuntimeSettings {
    let mut config = Config {
        network: NetworkConfig {
            stream_idle_timeout_ms: 2_000,
            max_retries: 2,
            retry_base_delay_ms: 10,
            retry_max_delay_ms: 50,
            ..NetworkConfig::default()
        },
        ..Config::default()
    };
    config.context.keep_turns = 1;
    config
        .providers
        .insert("mock".into(), mock_profile(url, window));
    let mut s = mock_settings(url, config, PathBuf::from(workspace));
    s.database = Some(db);
    s.tools_enabled = false;
    s
}

async fn chat(rt: &mut RuntimeHandle, text: &str) -> Vec<Event> {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
    until(rt, finished).await
}

async fn list(
    rt: &mut RuntimeHandle,
    scope: SessionScope,
) -> (Vec<SessionSummary>, Option<String>) {
    rt.ops.send(Op::ListSessions { scope }).unwrap();
    let evs = until(rt, |e| matches!(e, Event::SessionList(_))).await;
    match evs.into_iter().last() {
        Some(Event::SessionList(SessionList {
            sessions, current, ..
        })) => (sessions, current),
        _ => unreachable!(),
    }
}

async fn configured(rt: &mut RuntimeHandle) -> (Option<String>, Vec<HistoryItem>) {
    let evs = until(rt, |e| matches!(e, Event::SessionConfigured(_))).await;
    match evs.into_iter().last() {
        Some(Event::SessionConfigured(SessionConfigured {
            session_id,
            history,
            ..
        })) => (session_id, history),
        _ => unreachable!(),
    }
}

fn texts(history: &[HistoryItem]) -> Vec<String> {
    history
        .iter()
        .filter_map(|h| match h {
            HistoryItem::User { text, .. } => Some(format!("you: {text}")),
            HistoryItem::Assistant { text, .. } => Some(format!("ai: {text}")),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn list_preview_resume_fork_rename_archive_delete_export() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["one"], None)),
        Reply::sse(openai_sse(&["two"], None)),
        Reply::sse(openai_sse(&["three"], None)),
        Reply::sse(openai_sse(&["four"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut rt = runtime::spawn(settings(&server.url(), db.clone(), "/w/a", None));
    configured(&mut rt).await;

    // Session A: two turns. Then session B: one turn.
    chat(&mut rt, "first question").await;
    chat(&mut rt, "second question").await;
    let (sessions, current) = list(&mut rt, SessionScope::ThisDirectory).await;
    assert_eq!(sessions.len(), 1);
    let a = sessions[0].clone();
    assert_eq!(current.as_deref(), Some(a.id.as_str()));
    assert_eq!(a.title, "first question");
    assert_eq!(a.message_count, 4);
    rt.ops.send(Op::NewSession).unwrap();
    configured(&mut rt).await;
    chat(&mut rt, "other topic").await;
    let (sessions, _) = list(&mut rt, SessionScope::ThisDirectory).await;
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].title, "other topic", "newest first");
    let b = sessions[0].clone();

    // Preview A without switching.
    rt.ops
        .send(Op::PreviewSession { id: a.id.clone() })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::SessionPreview(_))).await;
    let Some(Event::SessionPreview(SessionPreview { id, items })) = evs.last() else {
        panic!()
    };
    assert_eq!(id, &a.id);
    assert_eq!(texts(items).last().unwrap(), "ai: two");

    // Resume A: the transcript exactly as it was; the next message goes on from it.
    rt.ops.send(Op::ResumeSession { id: a.id.clone() }).unwrap();
    let (sid, history) = configured(&mut rt).await;
    assert_eq!(sid.as_deref(), Some(a.id.as_str()));
    assert_eq!(
        texts(&history),
        [
            "you: first question",
            "ai: one",
            "you: second question",
            "ai: two"
        ]
    );
    let user_ids: Vec<i64> = history
        .iter()
        .filter_map(|h| match h {
            HistoryItem::User { item_id, .. } => *item_id,
            _ => None,
        })
        .collect();
    assert_eq!(user_ids.len(), 2);

    // Fork A before its second question: the child has only the first turn.
    rt.ops
        .send(Op::ForkSession {
            id: a.id.clone(),
            before_item: Some(user_ids[1]),
        })
        .unwrap();
    let (child, history) = configured(&mut rt).await;
    let child = child.unwrap();
    assert_ne!(child, a.id);
    assert_eq!(texts(&history), ["you: first question", "ai: one"]);
    let evs = chat(&mut rt, "a different second question").await;
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::AssistantMessageDone(AssistantMessageDone { text, .. }) if text == "four"))
    );
    let sent = server.requests().last().unwrap().json().unwrap();
    let msgs: Vec<_> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] != "system")
        .collect();
    assert_eq!(
        msgs.len(),
        3,
        "the fork's history went to the model: {msgs:?}"
    );
    let (sessions, _) = list(&mut rt, SessionScope::ThisDirectory).await;
    let child_row = sessions.iter().find(|s| s.id == child).unwrap();
    assert_eq!(child_row.parent_id.as_deref(), Some(a.id.as_str()));

    // Rename, archive (hidden from this directory, shown in all), export, delete.
    rt.ops
        .send(Op::RenameSession {
            id: b.id.clone(),
            title: "renamed".into(),
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::SessionList(_))).await;
    let Some(Event::SessionList(SessionList { sessions, .. })) = evs.last() else {
        panic!()
    };
    assert!(
        sessions
            .iter()
            .any(|s| s.id == b.id && s.title == "renamed")
    );
    rt.ops
        .send(Op::ArchiveSession {
            id: b.id.clone(),
            archived: true,
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::SessionList(_))).await;
    let Some(Event::SessionList(SessionList { sessions, .. })) = evs.last() else {
        panic!()
    };
    assert!(
        !sessions.iter().any(|s| s.id == b.id),
        "archived sessions leave this directory's list"
    );
    let (all, _) = list(&mut rt, SessionScope::All).await;
    assert!(all.iter().any(|s| s.id == b.id && s.archived));

    rt.ops
        .send(Op::ExportSession {
            id: a.id.clone(),
            format: ExportFormat::Markdown,
        })
        .unwrap();
    let evs = until(
        &mut rt,
        |e| matches!(e, Event::Notice { message, .. } if message.starts_with("exported to")),
    )
    .await;
    let Some(Event::Notice { message, .. }) = evs.last() else {
        panic!()
    };
    let path = message.trim_start_matches("exported to ").to_string();
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(md.contains("second question") && md.contains("two"), "{md}");
    // Named after the title; a second export gets its own file instead of overwriting.
    let title_slug: String = a
        .title
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    assert!(
        path.ends_with(&format!("/{title_slug}.md")),
        "{path} for «{}»",
        a.title
    );
    rt.ops
        .send(Op::ExportSession {
            id: a.id.clone(),
            format: ExportFormat::Markdown,
        })
        .unwrap();
    let evs = until(
        &mut rt,
        |e| matches!(e, Event::Notice { message, .. } if message.starts_with("exported to")),
    )
    .await;
    let Some(Event::Notice { message, .. }) = evs.last() else {
        panic!()
    };
    assert!(
        message.ends_with(&format!("/{title_slug}-2.md")),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        md,
        "the first export is untouched"
    );

    rt.ops
        .send(Op::RenameSession {
            id: a.id.clone(),
            title: "  ".into(),
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Notice { .. })).await;
    assert!(
        matches!(evs.last(), Some(Event::Notice { message, .. }) if message.contains("/rename TITLE")),
        "{evs:?}"
    );

    rt.ops.send(Op::DeleteSession { id: a.id.clone() }).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::SessionList(_))).await;
    let Some(Event::SessionList(SessionList { sessions, .. })) = evs.last() else {
        panic!()
    };
    assert!(!sessions.iter().any(|s| s.id == a.id));
    let orphan = sessions.iter().find(|s| s.id == child).unwrap();
    assert_eq!(orphan.parent_id, None, "a fork outlives its deleted parent");
}

#[tokio::test]
async fn other_directories_are_listed_only_under_all() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["a"], None)),
        Reply::sse(openai_sse(&["b"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    for ws in ["/w/one", "/w/two"] {
        let mut rt = runtime::spawn(settings(&server.url(), db.clone(), ws, None));
        configured(&mut rt).await;
        chat(&mut rt, &format!("hello from {ws}")).await;
        rt.ops.send(Op::Shutdown).unwrap();
        until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    }
    let mut rt = runtime::spawn(settings(&server.url(), db, "/w/two", None));
    configured(&mut rt).await;
    let (here, _) = list(&mut rt, SessionScope::ThisDirectory).await;
    assert_eq!(here.len(), 1);
    assert_eq!(here[0].cwd, "/w/two");
    let (all, _) = list(&mut rt, SessionScope::All).await;
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn a_streaming_reply_is_on_disk_before_it_finishes() {
    let steps = vec![
        Step::Bytes(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"partial answer\"}}]}\n\n".to_vec(),
        ),
        Step::Stall,
    ];
    let server = MockServer::start(vec![Reply::Sse(steps)]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut rt = runtime::spawn(settings(&server.url(), db.clone(), "/w/a", None));
    configured(&mut rt).await;
    rt.ops
        .send(Op::UserMessage {
            text: "tell me".into(),
        })
        .unwrap();
    until(&mut rt, |e| matches!(e, Event::AssistantDelta(_))).await;
    // A second connection sees the partial reply while the stream is still open.
    let mut seen = String::new();
    for _ in 0..100 {
        let store = Store::open(&db).unwrap();
        let id = store.latest_session_in("/w/a").unwrap().unwrap();
        let loaded = store.load_session(&id).unwrap();
        if let Some(item) = loaded
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Assistant && !i.content.is_empty())
        {
            seen = item.content.clone();
            assert!(item.interrupted, "an unfinished reply reads as interrupted");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, "partial answer");
    rt.ops.send(Op::Interrupt).unwrap();
    until(&mut rt, finished).await;
    let store = Store::open(&db).unwrap();
    let id = store.latest_session_in("/w/a").unwrap().unwrap();
    let items = store.load_session(&id).unwrap().items;
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].content, "partial answer");
    assert!(items[1].interrupted);
}

#[tokio::test]
async fn a_crashed_reply_comes_back_sealed_and_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    {
        // What a kill -9 mid-stream leaves behind: an unfinished row with parts.
        let store = Store::open(&db).unwrap();
        store
            .create_session(&pincer::store::NewSession {
                id: "s1".into(),
                title: "t".into(),
                cwd: "/w/a".into(),
                provider: "mock".into(),
                model: "m".into(),
            })
            .unwrap();
        store
            .append_item("s1", ItemKind::User, "question", false, None)
            .unwrap();
        let item = store.begin_item("s1", ItemKind::Assistant).unwrap();
        store.append_part(item, "half of ").unwrap();
        store.append_part(item, "the answer").unwrap();
    }
    let server = MockServer::start(vec![Reply::sse(openai_sse(&["ok"], None))]).await;
    let mut s = settings(&server.url(), db.clone(), "/w/a", None);
    s.resume = Resume::ContinueLast;
    let mut rt = runtime::spawn(s);
    let evs = until(&mut rt, |e| matches!(e, Event::SessionConfigured(_))).await;
    let Some(Event::SessionConfigured(SessionConfigured { history, .. })) = evs.last() else {
        panic!()
    };
    // The notice follows the transcript (a front end clears its screen on SessionConfigured).
    let after = until(&mut rt, |e| matches!(e, Event::Notice { .. })).await;
    assert!(
        matches!(after.last(), Some(Event::Notice { message, .. }) if message.contains("cut off"))
    );
    assert!(
        matches!(&history[1], HistoryItem::Assistant { text, interrupted: true } if text == "half of the answer")
    );
    chat(&mut rt, "go on").await;
    let sent = server.requests()[0].json().unwrap();
    assert_eq!(
        sent["messages"][2]["content"], "half of the answer",
        "after the system prompt and the question"
    );
}

#[tokio::test]
async fn the_conversation_is_compacted_before_the_window_fills() {
    let replies = (0..4)
        .map(|i| Reply::sse(openai_sse(&[&format!("answer {i}")], None)))
        .collect();
    let server = MockServer::start(replies).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    // A 2,048-token window; each message is ~500 tokens.
    let mut rt = runtime::spawn(settings(&server.url(), db.clone(), "/w/a", Some(2048)));
    configured(&mut rt).await;
    let long = |n: usize| format!("request {n}: {}", "lorem ipsum ".repeat(170));
    let mut compacted = None;
    for n in 0..4 {
        let evs = chat(&mut rt, &long(n)).await;
        if let Some(e) = evs.iter().find(|e| matches!(e, Event::Compacted(_))) {
            assert!(
                evs.iter().any(
                    |e| matches!(e, Event::Notice { message, .. } if message.contains("compacting"))
                ),
                "the user is told first"
            );
            compacted = Some((n, e.clone()));
            break;
        }
    }
    let (
        n,
        Event::Compacted(Compacted {
            summary,
            replaced_messages,
            tokens_before,
            tokens_after,
        }),
    ) = compacted.expect("compacted")
    else {
        panic!()
    };
    assert!(replaced_messages >= 2);
    assert!(tokens_after < tokens_before);
    assert!(summary.contains("request 0"), "{summary}");
    let sent = server.requests().last().unwrap().json().unwrap();
    let msgs: Vec<_> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] != "system")
        .collect();
    assert_eq!(msgs.len(), 1, "only the last turn goes verbatim");
    let system = msgs_system(&sent);
    assert!(
        system.contains("Summary of the earlier conversation"),
        "{system}"
    );

    // Everything stays stored and visible; a resumed session sends the same compacted context.
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    let mut s = settings(&server.url(), db, "/w/a", Some(2048));
    s.resume = Resume::ContinueLast;
    let mut rt = runtime::spawn(s);
    let (_, history) = configured(&mut rt).await;
    let users = history
        .iter()
        .filter(|h| matches!(h, HistoryItem::User { .. }))
        .count();
    assert_eq!(users, n + 1, "no message is lost from the transcript");
    assert!(
        history
            .iter()
            .any(|h| matches!(h, HistoryItem::Compaction { .. }))
    );
    chat(&mut rt, "short").await;
    let sent = server.requests().last().unwrap().json().unwrap();
    assert!(msgs_system(&sent).contains("Summary of the earlier conversation"));
}

#[tokio::test]
async fn compact_on_demand_says_when_there_is_nothing_to_do() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["a"], None)),
        Reply::sse(openai_sse(&["b"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut rt = runtime::spawn(settings(&server.url(), dir.path().join("p.db"), "/w", None));
    configured(&mut rt).await;
    chat(&mut rt, "one").await;
    rt.ops.send(Op::Compact).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Notice { .. })).await;
    assert!(
        matches!(evs.last(), Some(Event::Notice { message, .. }) if message.contains("nothing to compact"))
    );
    chat(&mut rt, "two").await;
    // "one" / "a" are smaller than any summary of them: /compact keeps them and says so.
    rt.ops.send(Op::Compact).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Notice { .. })).await;
    assert!(
        matches!(evs.last(), Some(Event::Notice { message, .. }) if message.contains("would not make the context smaller")),
        "{evs:?}"
    );
    assert!(!evs.iter().any(|e| matches!(e, Event::Compacted(_))));
}

#[tokio::test]
async fn compact_on_demand_never_makes_the_context_bigger() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["a"], None)),
        Reply::sse(openai_sse(&["b"], None)),
        Reply::sse(openai_sse(&["c"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut rt = runtime::spawn(settings(&server.url(), dir.path().join("p.db"), "/w", None));
    configured(&mut rt).await;
    chat(&mut rt, &format!("one {}", "lorem ipsum ".repeat(800))).await;
    chat(&mut rt, "two").await;
    rt.ops.send(Op::Compact).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Compacted(_))).await;
    let Some(Event::Compacted(Compacted {
        replaced_messages: 2,
        tokens_before,
        tokens_after,
        ..
    })) = evs.last()
    else {
        panic!("{evs:?}")
    };
    assert!(
        tokens_after < tokens_before,
        "{tokens_after} < {tokens_before}"
    );
    // Compacting again: only the short turn is older now, and its summary would be bigger.
    chat(&mut rt, "three").await;
    rt.ops.send(Op::Compact).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Notice { .. })).await;
    assert!(
        matches!(evs.last(), Some(Event::Notice { message, .. }) if message.contains("would not make the context smaller")),
        "{evs:?}"
    );
}

fn msgs_system(body: &serde_json::Value) -> String {
    // OpenAI style: the system prompt is the first message when present.
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "system"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn compact_on_demand_can_ask_the_model_for_the_summary() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["a"], None)),
        Reply::sse(openai_sse(&["b"], None)),
        Reply::sse(openai_sse(
            &["What was asked: one. ", "Open questions: none."],
            None,
        )),
        Reply::sse(openai_sse(&["c"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&server.url(), dir.path().join("p.db"), "/w", None);
    s.config.context.model_summary = true;
    let mut rt = runtime::spawn(s);
    configured(&mut rt).await;
    chat(&mut rt, &format!("one {}", "lorem ipsum ".repeat(300))).await;
    chat(&mut rt, "two").await;
    rt.ops.send(Op::Compact).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Compacted(_))).await;
    let Some(Event::Compacted(Compacted { summary, .. })) = evs.last() else {
        panic!()
    };
    assert!(summary.contains("summarised by the model"), "{summary}");
    assert!(
        summary.contains("What was asked: one. Open questions: none."),
        "{summary}"
    );
    assert!(
        !evs.iter().any(|e| matches!(e, Event::AssistantDelta(_))),
        "the summary request streams nothing to the transcript"
    );
    let asked = server.requests()[2].json().unwrap();
    assert!(asked["tools"].as_array().is_none_or(|t| t.is_empty()));
    assert!(
        asked["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("USER: one")
    );
    chat(&mut rt, "three").await;
    let sent = server.requests()[3].json().unwrap();
    assert!(msgs_system(&sent).contains("Open questions: none."));
}

#[tokio::test]
async fn an_error_the_user_saw_is_in_the_resumed_transcript() {
    // Answered once first: a session whose first message never got an answer is not kept
    // (`a_first_message_that_never_reaches_a_model_leaves_no_session`).
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["hi"], None)),
        openai_error(500, "upstream broke"),
        openai_error(500, "upstream broke"),
        openai_error(500, "upstream broke"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut rt = runtime::spawn(settings(&server.url(), db.clone(), "/w/a", None));
    configured(&mut rt).await;
    chat(&mut rt, "hello").await;
    let evs = chat(&mut rt, "please").await;
    assert!(evs.iter().any(|e| matches!(e, Event::Error { .. })));
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;

    let mut s = settings(&server.url(), db, "/w/a", None);
    s.resume = Resume::ContinueLast;
    let mut rt = runtime::spawn(s);
    let (_, history) = configured(&mut rt).await;
    assert!(matches!(&history[2], HistoryItem::User { text, .. } if text == "please"));
    assert!(
        matches!(&history[3], HistoryItem::Error { kind: pincer::protocol::ErrorKind::Server, message } if message.contains("upstream broke")),
        "{history:?}"
    );
}

#[tokio::test]
async fn a_full_window_that_cannot_be_compacted_is_said_once() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["a"], None)),
        Reply::sse(openai_sse(&["b"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut rt = runtime::spawn(settings(
        &server.url(),
        dir.path().join("p.db"),
        "/w",
        Some(2048),
    ));
    configured(&mut rt).await;
    let huge = "word ".repeat(1_600);
    let evs = chat(&mut rt, &huge).await;
    let warned = |evs: &[Event]| {
        evs.iter().any(|e| {
            matches!(e, Event::Notice { message, .. } if message.contains("nothing can be compacted"))
        })
    };
    assert!(warned(&evs), "{evs:?}");
    let evs = chat(&mut rt, "more").await;
    assert!(!warned(&evs), "said once");
}

#[tokio::test]
async fn a_failed_request_adds_no_tokens_to_the_session() {
    // Every attempt streams some text, then the connection is reset: the turn fails.
    let broken = || {
        Reply::Sse(vec![
            Step::Bytes(
                b"data: {\"choices\":[{\"delta\":{\"content\":\"partial answer\"}}]}\n\n".to_vec(),
            ),
            Step::Reset,
        ])
    };
    let server = MockServer::start(vec![broken(), broken(), broken()]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut rt = runtime::spawn(settings(&server.url(), db.clone(), "/w/a", None));
    configured(&mut rt).await;
    let evs = chat(&mut rt, "please").await;
    let Some(Event::TurnFinished(TurnFinished { outcome, usage, .. })) = evs.last() else {
        panic!("{evs:?}")
    };
    assert_eq!(*outcome, pincer::protocol::TurnOutcome::Failed, "{evs:?}");
    assert_eq!(*usage, None, "failed-request tokens are not counted");
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    let mut s = settings(&server.url(), db, "/w/a", None);
    s.resume = Resume::ContinueLast;
    let mut rt = runtime::spawn(s);
    let evs = until(&mut rt, |e| matches!(e, Event::SessionConfigured(_))).await;
    assert!(
        matches!(
            evs.last(),
            Some(Event::SessionConfigured(SessionConfigured {
                session_tokens: 0,
                ..
            }))
        ),
        "{evs:?}"
    );
}

/// Decided: a run with no provider never reaches a model and leaves no session. A request
/// that reached a server (even one answered with an error) keeps its session, so the user can
/// resume it and try again (`an_error_the_user_saw_is_in_the_resumed_transcript`).
#[tokio::test]
async fn a_run_without_a_provider_leaves_no_session() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut s = settings("http://127.0.0.1:9", db, "/w/none", None);
    s.provider = Err(pincer::config::ResolveError::NothingConfigured {
        config_path: "/c/config.toml".into(),
    });
    let mut rt = runtime::spawn(s);
    configured(&mut rt).await;
    rt.ops
        .send(Op::UserMessage {
            text: "hello?".into(),
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Error { .. })).await;
    assert!(
        matches!(evs.last(), Some(Event::Error { message, .. }) if message.contains("not sent")),
        "{evs:?}"
    );
    let (all, current) = list(&mut rt, SessionScope::All).await;
    assert!(all.is_empty(), "{all:?}");
    assert_eq!(current, None);
}

/// `sessions.origin`: a runtime without a front end that can answer (headless `-p`) marks its
/// sessions, so the pane can hide them; an interactive one does not.
#[tokio::test]
async fn headless_sessions_are_marked_in_the_list() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["one"], None)),
        Reply::sse(openai_sse(&["two"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut s = settings(&server.url(), db.clone(), "/w/o", None);
    s.interactive = false;
    let mut rt = runtime::spawn(s);
    configured(&mut rt).await;
    chat(&mut rt, "from a script").await;
    drop(rt);
    let mut rt = runtime::spawn(settings(&server.url(), db, "/w/o", None));
    configured(&mut rt).await;
    chat(&mut rt, "from the tui").await;
    let (sessions, _) = list(&mut rt, SessionScope::ThisDirectory).await;
    let origin = |title: &str| {
        sessions
            .iter()
            .find(|s| s.title == title)
            .map(|s| s.origin)
            .unwrap()
    };
    assert_eq!(
        origin("from a script"),
        pincer::protocol::SessionOrigin::Headless
    );
    assert_eq!(origin("from the tui"), pincer::protocol::SessionOrigin::Tui);
}

/// A first message that never gets an answer from a model (the server refuses it) leaves no
/// session; the next message starts a new one holding only itself, which is also all the
/// model is sent. A session answered once keeps a later failure.
#[tokio::test]
async fn a_first_message_that_never_reaches_a_model_leaves_no_session() {
    let server = MockServer::start(vec![
        openai_error(401, "bad key"),
        Reply::sse(openai_sse(&["hello back"], None)),
        openai_error(401, "bad key"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut rt = runtime::spawn(settings(
        &server.url(),
        dir.path().join("p.db"),
        "/w/u",
        None,
    ));
    configured(&mut rt).await;
    let dropped = |evs: &[Event]| evs.iter().any(|e| matches!(e, Event::SessionDropped(_)));

    let evs = chat(&mut rt, "first try").await;
    assert!(dropped(&evs), "{evs:?}");
    let (all, current) = list(&mut rt, SessionScope::All).await;
    assert!(all.is_empty(), "{all:?}");
    assert_eq!(current, None);

    let evs = chat(&mut rt, "second try").await;
    assert!(!dropped(&evs), "{evs:?}");
    let (all, current) = list(&mut rt, SessionScope::All).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(current.as_deref(), Some(all[0].id.as_str()));
    assert_eq!(all[0].first_prompt, "second try");
    assert_eq!(all[0].message_count, 2);
    let sent = server.requests()[1].json().unwrap();
    let users: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(users, vec!["second try"], "the dropped message is not sent");

    let evs = chat(&mut rt, "third").await;
    assert!(!dropped(&evs), "an answered session is kept: {evs:?}");
    let (again, _) = list(&mut rt, SessionScope::All).await;
    let ids =
        |l: &[pincer::protocol::SessionSummary]| l.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&all));
}

/// Nothing listening at a loopback address: no session either.
#[tokio::test]
async fn nothing_listening_leaves_no_session() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/v1");
    let mut rt = runtime::spawn(settings(&url, dir.path().join("p.db"), "/w/d", None));
    configured(&mut rt).await;
    let evs = chat(&mut rt, "anyone there?").await;
    assert!(
        evs.iter().any(|e| matches!(e, Event::SessionDropped(_))),
        "{evs:?}"
    );
    let (all, _) = list(&mut rt, SessionScope::All).await;
    assert!(all.is_empty(), "{all:?}");
}
