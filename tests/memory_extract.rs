//! `[memory] extract = true`: after a completed turn one extra model call proposes durable
//! facts; new ones are written (provenance model) with a `MemoryChanged` notice the user can
//! undo; a fact memory already holds is not written again; off by default; nothing is learned
//! from a turn that took in untrusted content.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pincer::config::{Config, NetworkConfig};
use pincer::protocol::{Event, MemoryAction, MemoryProvenance, Op};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use support::events::{finished, mock_provider, until};
use support::mock_server::*;

struct Dirs {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("ws")).unwrap();
    Dirs { _tmp: tmp, root }
}

fn settings(url: &str, d: &Dirs, extract: bool) -> RuntimeSettings {
    let mut config = Config {
        network: NetworkConfig {
            stream_idle_timeout_ms: 5_000,
            max_retries: 1,
            retry_base_delay_ms: 10,
            ..NetworkConfig::default()
        },
        ..Config::default()
    };
    config.memory.extract = extract;
    let mut s = RuntimeSettings::new(config, Ok(mock_provider(url)), d.root.join("ws"));
    s.env = Arc::new(|_: &str| None);
    s.database = Some(d.root.join("pincer.db"));
    s.memory_dir = Some(d.root.join("memory"));
    s
}

async fn turn(rt: &mut RuntimeHandle, text: &str) {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
    until(rt, finished).await;
}

/// The next `MemoryChanged`, or `None` when none comes within `secs`.
async fn memory_change(
    rt: &mut RuntimeHandle,
    secs: u64,
) -> Option<pincer::protocol::MemoryChange> {
    let wait = async {
        loop {
            if let Event::MemoryChanged(c) = support::events::next(rt).await {
                return c;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(secs), wait)
        .await
        .ok()
}

fn memory_text(d: &Dirs) -> String {
    let mut all = String::new();
    for entry in walk(&d.root.join("memory")) {
        all.push_str(&std::fs::read_to_string(entry).unwrap_or_default());
    }
    all
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_turn_proposes_facts_that_are_written_once_and_can_be_undone() {
    let d = dirs();
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["Sure, tabs it is."], None)),
        Reply::sse(openai_sse(
            &["- The user prefers tabs over spaces.\n- The project builds with cargo.\n"],
            None,
        )),
        Reply::sse(openai_sse(&["Noted again."], None)),
        Reply::sse(openai_sse(
            &["- The user prefers tabs over spaces.\n"],
            None,
        )),
    ])
    .await;
    let mut rt = runtime::spawn(settings(&server.url(), &d, true));

    turn(&mut rt, "I always indent with tabs, by the way").await;
    let first = memory_change(&mut rt, 60)
        .await
        .expect("a proposal written");
    let second = memory_change(&mut rt, 60)
        .await
        .expect("both facts written");
    assert_eq!(server.requests().len(), 2, "one extra call after the turn");
    let extraction = server.requests()[1].json().expect("a JSON request");
    assert!(
        extraction["tools"].as_array().is_none_or(|t| t.is_empty()),
        "no tools offered"
    );
    assert!(extraction.to_string().contains("I always indent with tabs"));
    for c in [&first, &second] {
        assert!(
            matches!(c.action, MemoryAction::Created | MemoryAction::Appended),
            "{c:?}"
        );
        assert_eq!(c.provenance, MemoryProvenance::Model);
        assert!(c.undoable);
    }
    let text = memory_text(&d);
    assert!(
        text.contains("The user prefers tabs over spaces."),
        "{text}"
    );
    assert!(text.contains("The project builds with cargo."), "{text}");

    // The same fact proposed again is not written a second time.
    turn(&mut rt, "tabs, remember").await;
    assert!(
        memory_change(&mut rt, 5).await.is_none(),
        "a duplicate was written"
    );
    assert_eq!(server.requests().len(), 4);
    assert_eq!(
        memory_text(&d).matches("prefers tabs over spaces").count(),
        1
    );

    // One key undoes a learned fact.
    rt.ops
        .send(Op::UndoMemoryChange {
            change_id: second.change_id,
        })
        .unwrap();
    let undone = memory_change(&mut rt, 30).await.expect("undo reported");
    assert_eq!(undone.action, MemoryAction::Undone);
    assert!(!memory_text(&d).contains("builds with cargo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_by_default_no_extra_call() {
    let d = dirs();
    let server = MockServer::start(vec![Reply::sse(openai_sse(&["Sure."], None))]).await;
    let mut rt = runtime::spawn(settings(&server.url(), &d, false));
    turn(&mut rt, "I always indent with tabs").await;
    assert!(memory_change(&mut rt, 3).await.is_none());
    assert_eq!(server.requests().len(), 1);
}
