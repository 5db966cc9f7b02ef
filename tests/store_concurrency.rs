//! Several writers on one store: separate OS processes (this test binary re-run as a writer,
//! and the real `pincer` binary in headless mode) and two runtimes on one database file.
//! Every check counts what was written against what was sent; nothing depends on timing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{SessionBusy, SessionItemsAppended};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use pincer::config::{Config, NetworkConfig};
use pincer::protocol::{ErrorKind, Event, Op};
use pincer::runtime::{self, Resume, RuntimeHandle, RuntimeSettings};
use pincer::store::{ItemKind, NewSession, Store};
use support::mock_server::*;

const ROUNDS: usize = 100;
/// Set in a child run of this binary: the database it writes to.
const WRITER_DB: &str = "PINCER_TEST_WRITER_DB";
const WRITER_NAME: &str = "PINCER_TEST_WRITER_NAME";
const SESSION: &str = "shared-session";

/// The writer process: `ROUNDS` rounds of what a turn stores (the user's message, a streamed
/// reply in parts, finished), with a session list in between. Runs only when spawned by
/// `two_processes_append_to_one_session_and_lose_nothing` (the environment says where).
#[test]
fn writer_process() {
    let (Ok(db), Ok(name)) = (std::env::var(WRITER_DB), std::env::var(WRITER_NAME)) else {
        return;
    };
    let store = Store::open(Path::new(&db)).unwrap();
    for round in 0..ROUNDS {
        store
            .append_item(
                SESSION,
                ItemKind::User,
                &format!("{name} asks {round}"),
                false,
                None,
            )
            .unwrap();
        let reply = store
            .begin_item_with(SESSION, ItemKind::Assistant, &format!("{name} "))
            .unwrap();
        store.append_part(reply, "answers ").unwrap();
        store.append_part(reply, &round.to_string()).unwrap();
        store
            .finish_item(reply, &format!("{name} answers {round}"), false, None)
            .unwrap();
        store.list_sessions(None, true, 100).unwrap();
    }
}

#[test]
fn two_processes_append_to_one_session_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pincer.db");
    Store::open(&db)
        .unwrap()
        .create_session(&NewSession {
            id: SESSION.into(),
            title: String::new(),
            cwd: "/w".into(),
            provider: String::new(),
            model: String::new(),
        })
        .unwrap();
    let writers: Vec<_> = ["one", "two"]
        .iter()
        .map(|name| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "store_concurrency::writer_process",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(WRITER_DB, &db)
                .env(WRITER_NAME, name)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for writer in writers {
        let out = writer.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "writer failed:\n{text}");
        assert!(!text.contains("locked"), "{text}");
    }
    let store = Store::open(&db).unwrap();
    let loaded = store.load_session(SESSION).unwrap();
    assert_eq!(loaded.items.len(), 2 * 2 * ROUNDS, "every item stored");
    assert!(
        loaded.items.iter().all(|i| !i.interrupted),
        "none half-written"
    );
    for name in ["one", "two"] {
        let mine: Vec<&str> = loaded
            .items
            .iter()
            .map(|i| i.content.as_str())
            .filter(|c| c.starts_with(name))
            .collect();
        let expected: Vec<String> = (0..ROUNDS)
            .flat_map(|r| [format!("{name} asks {r}"), format!("{name} answers {r}")])
            .collect();
        assert_eq!(mine, expected, "{name}'s items, whole and in order");
    }
    let summary = store.get_session(SESSION).unwrap().unwrap();
    assert_eq!(summary.message_count, (2 * 2 * ROUNDS) as u64);
}

#[test]
fn many_openers_of_a_new_database_migrate_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(dir.path().join("fresh.db"));
    let openers: Vec<_> = (0..6)
        .map(|_| {
            let db = Arc::clone(&db);
            std::thread::spawn(move || Store::open(&db).map(|s| s.schema_version().unwrap()))
        })
        .collect();
    let versions: Vec<i64> = openers
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] == w[1]), "{versions:?}");
}

// ---- the real binary, headless ----

fn pincer(home: &Path, args: &[&str]) -> Output {
    support::cli::pincer_command(home)
        .args(args)
        .current_dir(home)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn database(home: &Path) -> PathBuf {
    home.join("data").join("pincer.db")
}

/// Concurrent `pincer -c -p` runs of one session: each run's turn waits for the other's
/// (the session lease), sees every earlier message, and every reply is stored.
#[test]
fn concurrent_headless_continue_runs_store_every_reply() {
    const PER_PROCESS: usize = 12;
    let total = 1 + 2 * PER_PROCESS;
    let replies: Vec<String> = (0..total).map(|n| format!("reply-{n}")).collect();
    let server = MockServer::start_blocking(
        replies
            .iter()
            .map(|r| Reply::sse(openai_sse(&[r.as_str()], Some((1, 1)))))
            .collect(),
    );
    let home = tempfile::tempdir().unwrap();
    let home = home.path().canonicalize().unwrap();
    let url = format!("{}/v1", server.url());
    let first = pincer(&home, &["--base-url", &url, "--model", "m", "-p", "seed"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let runners: Vec<_> = ["a", "b"]
        .iter()
        .map(|name| {
            let home = home.clone();
            let url = url.clone();
            std::thread::spawn(move || {
                (0..PER_PROCESS)
                    .map(|n| {
                        let prompt = format!("{name}-{n}");
                        pincer(
                            &home,
                            &["--base-url", &url, "--model", "m", "-c", "-p", &prompt],
                        )
                    })
                    .collect::<Vec<Output>>()
            })
        })
        .collect();
    let mut stdout_replies = vec![String::from_utf8(first.stdout).unwrap()];
    for runner in runners {
        for out in runner.join().unwrap() {
            let stderr = String::from_utf8_lossy(&out.stderr).to_string();
            assert!(out.status.success(), "{stderr}");
            assert!(!stderr.contains("locked"), "{stderr}");
            stdout_replies.push(String::from_utf8(out.stdout).unwrap());
        }
    }
    let mut printed: Vec<String> = stdout_replies
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    printed.sort();
    let mut expected = replies.clone();
    expected.sort();
    assert_eq!(printed, expected, "each run printed its own reply");

    let store = Store::open(&database(&home)).unwrap();
    let sessions = store.list_sessions(None, true, 10).unwrap();
    assert_eq!(sessions.len(), 1, "every run continued the one session");
    let items = store.load_session(&sessions[0].id).unwrap().items;
    let mut stored: Vec<String> = items
        .iter()
        .filter(|i| i.kind == ItemKind::Assistant)
        .map(|i| i.content.clone())
        .collect();
    stored.sort();
    assert_eq!(stored, expected, "every reply stored, none dropped");
    assert_eq!(
        items.iter().filter(|i| i.kind == ItemKind::User).count(),
        total
    );
    // Turns never overlapped: the Nth request carries all N-1 earlier exchanges.
    for (n, request) in server.requests().iter().enumerate() {
        let json = request.json().unwrap();
        let users = json["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "user")
            .count();
        assert_eq!(users, n + 1, "request {n} saw every earlier message");
    }
}

/// `pincer sessions list` while another process streams a reply into the store.
#[test]
fn session_list_while_another_process_streams() {
    let mut steps = Vec::new();
    let sse = openai_sse(&["one ", "two ", "three ", "four"], None);
    for chunk in sse.chunks(sse.len() / 8 + 1) {
        steps.push(Step::Bytes(chunk.to_vec()));
        steps.push(Step::Pause(Duration::from_millis(40)));
    }
    let server = MockServer::start_blocking(vec![Reply::Sse(steps)]);
    let home = tempfile::tempdir().unwrap();
    let home = home.path().canonicalize().unwrap();
    let url = format!("{}/v1", server.url());
    let streamer = {
        let home = home.clone();
        std::thread::spawn(move || pincer(&home, &["--base-url", &url, "--model", "m", "-p", "go"]))
    };
    assert!(server.wait_for_requests_blocking(1, Duration::from_secs(120)));
    for _ in 0..10 {
        let out = pincer(&home, &["sessions", "list"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("locked"), "{stderr}");
    }
    let out = streamer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "one two three four"
    );
    let out = pincer(&home, &["sessions", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("go"));
}

// ---- two runtimes (front ends) on one database file ----

fn settings(url: &str, db: &Path, resume: Resume) -> RuntimeSettings {
    let config = Config {
        network: NetworkConfig {
            stream_idle_timeout_ms: 120_000,
            max_retries: 0,
            ..NetworkConfig::default()
        },
        ..Config::default()
    };
    let mut s = RuntimeSettings::new(
        config,
        Ok(support::events::mock_provider(url)),
        PathBuf::from("/work/project"),
    );
    s.database = Some(db.to_path_buf());
    s.env = Arc::new(|_: &str| None);
    s.tools_enabled = false;
    s.resume = resume;
    s
}

/// The next event, generous for a loaded machine.
async fn next(rt: &mut RuntimeHandle) -> Event {
    tokio::time::timeout(Duration::from_secs(120), rt.events.recv())
        .await
        .expect("an event within 120 s")
        .expect("runtime alive")
}

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

fn say(rt: &RuntimeHandle, text: &str) {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
}

fn finished(e: &Event) -> bool {
    matches!(e, Event::TurnFinished(_))
}

fn storage_errors(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Error {
                    kind: ErrorKind::Storage,
                    ..
                }
            )
        })
        .collect()
}

fn user_texts(request: &RecordedRequest) -> Vec<String> {
    request.json().unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] != "system")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Front end 2 has the session open; front end 1 writes to it; front end 2's next turn sends
/// the model what front end 1 wrote, and says so (`SessionItemsAppended`). And back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_front_end_sees_what_the_first_wrote() {
    let server = MockServer::start(
        ["r1", "r2", "r3", "r4"]
            .iter()
            .map(|r| Reply::sse(openai_sse(&[r], None)))
            .collect(),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pincer.db");
    let mut one = runtime::spawn(settings(&server.url(), &db, Resume::New));
    say(&one, "first");
    let events = until(&mut one, finished).await;
    let id = events
        .iter()
        .find_map(|e| match e {
            Event::SessionStored { session_id } => Some(session_id.clone()),
            _ => None,
        })
        .unwrap();

    let mut two = runtime::spawn(settings(&server.url(), &db, Resume::Id(id)));
    until(&mut two, |e| matches!(e, Event::SessionConfigured(_))).await;

    say(&one, "second");
    let events = until(&mut one, finished).await;
    assert!(storage_errors(&events).is_empty(), "{events:?}");

    say(&two, "third");
    let events = until(&mut two, finished).await;
    assert!(storage_errors(&events).is_empty(), "{events:?}");
    let appended = events
        .iter()
        .find_map(|e| match e {
            Event::SessionItemsAppended(SessionItemsAppended { count, items }) => {
                Some((*count, items.len()))
            }
            _ => None,
        })
        .expect("front end 2 is told about front end 1's items");
    assert_eq!(appended, (2, 2), "second + r2");
    assert_eq!(
        user_texts(&server.requests()[2]),
        vec!["first", "r1", "second", "r2", "third"]
    );

    say(&one, "fourth");
    let events = until(&mut one, finished).await;
    assert!(events.iter().any(|e| matches!(
        e,
        Event::SessionItemsAppended(SessionItemsAppended { count: 2, .. })
    )));
    assert_eq!(
        user_texts(&server.requests()[3]),
        vec!["first", "r1", "second", "r2", "third", "r3", "fourth"]
    );
    let store = Store::open(&db).unwrap();
    let sessions = store.list_sessions(None, true, 10).unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(store.load_session(&sessions[0].id).unwrap().items.len(), 8);
}

/// While front end 1 streams a reply, front end 2 opens the session (it must not seal the
/// reply being written) and sends a message: it is told the session is busy, waits, and runs
/// once front end 1's turn ends, with that reply in its request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_session_queues_the_second_front_end() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["settled"], None)),
        Reply::Sse(vec![
            Step::Bytes(
                b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial\"}}]}\n\n"
                    .to_vec(),
            ),
            Step::Stall,
        ]),
        Reply::sse(openai_sse(&["after"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pincer.db");
    let mut one = runtime::spawn(settings(&server.url(), &db, Resume::New));
    say(&one, "hello");
    let events = until(&mut one, finished).await;
    let id = events
        .iter()
        .find_map(|e| match e {
            Event::SessionStored { session_id } => Some(session_id.clone()),
            _ => None,
        })
        .unwrap();
    say(&one, "stream");
    until(&mut one, |e| matches!(e, Event::AssistantDelta(_))).await;

    let mut two = runtime::spawn(settings(&server.url(), &db, Resume::Id(id)));
    until(&mut two, |e| matches!(e, Event::SessionConfigured(_))).await;
    say(&two, "me too");
    let events = until(&mut two, |e| matches!(e, Event::SessionBusy(_))).await;
    assert!(matches!(
        events.last(),
        Some(Event::SessionBusy(SessionBusy { holder_pid: Some(pid), waiting: true })) if *pid == std::process::id()
    ));
    assert_eq!(
        server.requests().len(),
        2,
        "front end 2 did not start a turn"
    );

    one.ops.send(Op::Interrupt).unwrap();
    let events = until(&mut one, finished).await;
    assert!(storage_errors(&events).is_empty(), "{events:?}");

    let events = until(&mut two, finished).await;
    assert!(storage_errors(&events).is_empty(), "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::SessionItemsAppended(_)))
    );
    assert_eq!(
        user_texts(&server.requests()[2]),
        vec!["hello", "settled", "stream", "partial", "me too"]
    );
    let store = Store::open(&db).unwrap();
    let sessions = store.list_sessions(None, true, 10).unwrap();
    let items = store.load_session(&sessions[0].id).unwrap().items;
    let texts: Vec<&str> = items.iter().map(|i| i.content.as_str()).collect();
    assert_eq!(
        texts,
        vec!["hello", "settled", "stream", "partial", "me too", "after"]
    );
}
