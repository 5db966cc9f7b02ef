//! Memory through the Op/Event channel against the mock model: the tools (write with approval,
//! search, forget), `MemoryChanged` + undo, the memory ops, and the watcher picking up a file
//! edited on disk while the runtime runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{ApprovalRequested, ToolCallFinished};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pincer::config::{Config, NetworkConfig};
use pincer::protocol::{
    ApprovalDecision, Event, MemoryAction, MemoryProvenance, MemoryScopeFilter, Op, ToolStatus,
};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use support::events::{finished, mock_provider, until};
use support::mock_server::*;

struct Dirs {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Dirs {
    fn new() -> Dirs {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("ws")).unwrap();
        Dirs { _tmp: tmp, root }
    }
    fn memory(&self) -> PathBuf {
        self.root.join("memory")
    }
    fn db(&self) -> PathBuf {
        self.root.join("pincer.db")
    }
}

fn settings(url: &str, dirs: &Dirs) -> RuntimeSettings {
    let config = Config {
        network: NetworkConfig {
            stream_idle_timeout_ms: 5_000,
            max_retries: 1,
            retry_base_delay_ms: 10,
            ..NetworkConfig::default()
        },
        ..Config::default()
    };
    let mut s = RuntimeSettings::new(config, Ok(mock_provider(url)), dirs.root.join("ws"));
    s.env = Arc::new(|_: &str| None);
    s.database = Some(dirs.db());
    s.memory_dir = Some(dirs.memory());
    s
}

/// Run a turn, approving every question; the events of the turn.
async fn turn(rt: &mut RuntimeHandle, text: &str) -> Vec<Event> {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
    let mut seen = Vec::new();
    loop {
        let ev = until(rt, |e| {
            finished(e) || matches!(e, Event::ApprovalRequested(_))
        })
        .await;
        let last = ev.last().cloned();
        seen.extend(ev);
        match last {
            Some(Event::ApprovalRequested(ApprovalRequested { request_id, .. })) => {
                rt.ops
                    .send(Op::ApprovalDecision {
                        request_id,
                        decision: ApprovalDecision::ApproveOnce,
                    })
                    .unwrap();
            }
            _ => return seen,
        }
    }
}

fn tool_output(events: &[Event], tool: &str) -> (ToolStatus, String) {
    events
        .iter()
        .find_map(|e| match e {
            Event::ToolCallFinished(ToolCallFinished {
                tool: t,
                status,
                output,
                ..
            }) if t == tool => Some((*status, output.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {tool} result in {events:#?}"))
}

fn tool_names(body: &serde_json::Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remember_search_forget_and_undo_over_the_channel() {
    let dirs = Dirs::new();
    let server = MockServer::start(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[(
                "c1",
                "memory_write",
                r#"{"text":"Prefers tabs over spaces."}"#,
            )],
        )),
        Reply::sse(openai_sse(&["noted"], None)),
        Reply::sse(openai_tool_calls(
            None,
            &[("c2", "memory_search", r#"{"query":"tabs"}"#)],
        )),
        Reply::sse(openai_sse(&["found it"], None)),
        Reply::sse(openai_tool_calls(
            None,
            &[("c3", "memory_forget", r#"{"target":"tabs over spaces"}"#)],
        )),
        Reply::sse(openai_sse(&["forgotten"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs));
    let core = dirs.memory().join("MEMORY.md");

    let evs = turn(&mut rt, "remember that I prefer tabs").await;
    let (status, out) = tool_output(&evs, "memory_write");
    assert_eq!(status, ToolStatus::Ok, "{out}");
    let change = evs
        .iter()
        .find_map(|e| match e {
            Event::MemoryChanged(c) => Some(c.clone()),
            _ => None,
        })
        .expect("a MemoryChanged event");
    assert_eq!(change.action, MemoryAction::Created);
    assert_eq!(change.provenance, MemoryProvenance::Model);
    assert!(
        change.diff.contains("+- Prefers tabs over spaces."),
        "{}",
        change.diff
    );
    let text = std::fs::read_to_string(&core).unwrap();
    assert!(
        text.contains("Prefers tabs over spaces.") && text.contains("by=model"),
        "{text}"
    );
    let requests = server.requests();
    let first = &requests[0];
    let names = tool_names(&first.json().unwrap());
    for t in [
        "memory_search",
        "memory_get",
        "memory_write",
        "memory_forget",
    ] {
        assert!(names.iter().any(|n| n == t), "{t} not offered: {names:?}");
    }

    let evs = turn(&mut rt, "what do I prefer?").await;
    let (status, out) = tool_output(&evs, "memory_search");
    assert_eq!(status, ToolStatus::Ok);
    assert!(
        out.contains("Prefers tabs over spaces.") && out.contains("MEMORY.md"),
        "{out}"
    );

    let evs = turn(&mut rt, "forget that").await;
    let (status, out) = tool_output(&evs, "memory_forget");
    assert_eq!(status, ToolStatus::Ok, "{out}");
    let forgot = evs
        .iter()
        .find_map(|e| match e {
            Event::MemoryChanged(c) if c.action == MemoryAction::Forgot => Some(c.clone()),
            _ => None,
        })
        .expect("a forget notice");
    assert!(!std::fs::read_to_string(&core).unwrap().contains("tabs"));

    // Undo the forget: the file is back byte for byte, and the pane's list has the entry.
    rt.ops
        .send(Op::UndoMemoryChange {
            change_id: forgot.change_id,
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::MemoryList(_))).await;
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::MemoryChanged(c) if c.action == MemoryAction::Undone))
    );
    assert_eq!(std::fs::read_to_string(&core).unwrap(), text);
    let Some(Event::MemoryList(listing)) = evs.last() else {
        panic!()
    };
    assert!(
        listing
            .entries
            .iter()
            .any(|e| e.text == "Prefers tabs over spaces."),
        "{listing:?}"
    );
    // Undoing it again is refused with a notice, nothing changes.
    rt.ops
        .send(Op::UndoMemoryChange {
            change_id: forgot.change_id,
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Notice { .. })).await;
    assert!(
        matches!(evs.last(), Some(Event::Notice { message, .. }) if message.contains("no change"))
    );
    assert_eq!(std::fs::read_to_string(&core).unwrap(), text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_ops_list_pin_and_forget() {
    let dirs = Dirs::new();
    std::fs::create_dir_all(dirs.memory()).unwrap();
    std::fs::write(
        dirs.memory().join("MEMORY.md"),
        "- likes green\n- likes blue\n",
    )
    .unwrap();
    let server = MockServer::start(vec![]).await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs));
    rt.ops
        .send(Op::ListMemory {
            scope: MemoryScopeFilter::All,
            query: "green".into(),
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::MemoryList(_))).await;
    let Some(Event::MemoryList(listing)) = evs.last() else {
        panic!()
    };
    assert_eq!(listing.entries.len(), 1, "{listing:?}");
    let id = listing.entries[0].id.clone();
    rt.ops
        .send(Op::PinMemory {
            id: id.clone(),
            pinned: true,
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::MemoryList(_))).await;
    let Some(Event::MemoryList(listing)) = evs.last() else {
        panic!()
    };
    assert!(
        listing.entries.iter().any(|e| e.id == id && e.pinned),
        "{listing:?}"
    );
    rt.ops.send(Op::ForgetMemory { id: id.clone() }).unwrap();
    until(&mut rt, |e| matches!(e, Event::MemoryList(_))).await;
    assert_eq!(
        std::fs::read_to_string(dirs.memory().join("MEMORY.md")).unwrap(),
        "- likes blue\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_edited_on_disk_is_indexed_by_the_watcher() {
    let dirs = Dirs::new();
    std::fs::create_dir_all(dirs.memory()).unwrap();
    let server = MockServer::start(vec![]).await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs));
    until(&mut rt, |e| matches!(e, Event::SessionConfigured(_))).await;
    // Give the runtime its start (watcher set up right after); then edit like an editor would.
    rt.ops
        .send(Op::ListMemory {
            scope: MemoryScopeFilter::All,
            query: String::new(),
        })
        .unwrap();
    until(&mut rt, |e| matches!(e, Event::MemoryList(_))).await;
    std::fs::write(
        dirs.memory().join("notes.md"),
        "- the wifi password hint is the cat's name\n",
    )
    .unwrap();
    let store = pincer::store::Store::open(&dirs.db()).unwrap();
    let mut found = false;
    for _ in 0..300 {
        let n: i64 = store
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM memory_chunks WHERE text LIKE '%cat''s name%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if n == 1 {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "the watcher did not index the new file within 30 s");
    std::fs::remove_file(dirs.memory().join("notes.md")).unwrap();
    let mut gone = false;
    for _ in 0..300 {
        let n: i64 = store
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM memory_chunks WHERE path = 'notes.md'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if n == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "a deleted file's rows stayed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_fact_said_again_is_not_written_twice() {
    let dirs = Dirs::new();
    let write = |id: &str, text: &str| {
        let args = serde_json::json!({ "text": text }).to_string();
        Reply::sse(openai_tool_calls(
            None,
            &[(id, "memory_write", args.as_str())],
        ))
    };
    let server = MockServer::start(vec![
        write("c1", "Prefers tabs over spaces."),
        Reply::sse(openai_sse(&["noted"], None)),
        write("c2", "prefers  TABS over spaces"),
        Reply::sse(openai_sse(&["noted again"], None)),
        write("c3", "Prefers tabs over spaces, except in YAML."),
        Reply::sse(openai_sse(&["noted the exception"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs));
    let core = dirs.memory().join("MEMORY.md");

    turn(&mut rt, "remember that I prefer tabs").await;
    let evs = turn(&mut rt, "remember that I prefer tabs").await;
    let (status, out) = tool_output(&evs, "memory_write");
    assert_eq!(status, ToolStatus::Ok, "{out}");
    assert!(out.starts_with("Already remembered (id "), "{out}");
    assert!(
        !evs.iter().any(|e| matches!(e, Event::MemoryChanged(_))),
        "no change, no notice"
    );
    // A different fact that shares most of its words is still written.
    let evs = turn(&mut rt, "except in YAML").await;
    assert!(
        tool_output(&evs, "memory_write")
            .1
            .starts_with("Saved (id ")
    );
    let text = std::fs::read_to_string(&core).unwrap();
    assert_eq!(
        text.matches("Prefers tabs over spaces.").count(),
        1,
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "{text}");
}
