//! End to end, memory: the real binary in a pseudo-terminal against the mock server — "remember
//! that I prefer tabs" makes the model call memory_write, the user quits, a new session's first
//! request carries the preference in its system prompt (core MEMORY.md); and a memory file
//! edited on disk while pincer runs is indexed by the watcher and found by memory_search.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use pincer::store::Store;
use support::mock_server::*;
use support::pty::{PtyApp, write_mock_config};

fn memory_dir(home: &Path) -> PathBuf {
    home.join("data/memory")
}

fn system_prompt(req: &RecordedRequest) -> String {
    let body = req.json().unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "system")
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn user_texts(req: &RecordedRequest) -> Vec<String> {
    let body = req.json().unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn remember_then_quit_and_a_new_session_has_the_preference_in_its_prompt() {
    let server = MockServer::start_blocking(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[(
                "c1",
                "memory_write",
                r#"{"text":"Prefers tabs over spaces for indentation."}"#,
            )],
        )),
        Reply::sse(openai_sse(&["Noted, tabs it is."], None)),
        Reply::sse(openai_sse(&["Hello again."], None)),
    ]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");

    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 110);
    app.wait_for("mock · mock-model");
    app.type_text("remember that I prefer tabs\r");
    app.wait_for("Noted, tabs it is.");
    let core = std::fs::read_to_string(memory_dir(home.path()).join("MEMORY.md")).unwrap();
    assert!(
        core.contains("Prefers tabs over spaces for indentation.") && core.contains("by=model"),
        "{core}"
    );
    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(30)).unwrap().success());
    // Before the write the prompt did not hold it.
    let requests = server.requests();
    assert!(!system_prompt(&requests[0]).contains("Prefers tabs"));

    // A new session (not resumed): nothing of the old conversation, the preference in the prompt.
    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 110);
    app.wait_for("mock · mock-model");
    app.type_text("hi\r");
    app.wait_for("Hello again.");
    let requests = server.requests();
    let next = requests.last().unwrap();
    assert_eq!(user_texts(next), vec!["hi".to_string()], "a fresh session");
    let system = system_prompt(next);
    assert!(
        system.contains("Prefers tabs over spaces for indentation."),
        "{system}"
    );
    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(30)).unwrap().success());
}

#[test]
fn a_memory_file_edited_while_pincer_runs_is_indexed_and_found() {
    let server = MockServer::start_blocking(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[("c1", "memory_search", r#"{"query":"wifi password hint"}"#)],
        )),
        Reply::sse(openai_sse(&["It is the cat's name."], None)),
    ]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    std::fs::create_dir_all(memory_dir(home.path())).unwrap();

    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 110);
    app.wait_for("mock · mock-model");
    let db = home.path().join("data/pincer.db");
    // The runtime has opened the store (and started the watcher) once the database exists.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !db.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::write(
        memory_dir(home.path()).join("notes.md"),
        "- The wifi password hint is the cat's name.\n",
    )
    .unwrap();
    // The watcher indexes it with no op from the user (checked in the database).
    let store = Store::open(&db).unwrap();
    let mut indexed = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while std::time::Instant::now() < deadline {
        let n: i64 = store
            .connection()
            .query_row(
                "SELECT count(*) FROM memory_chunks WHERE path = 'notes.md' AND text LIKE '%cat''s name%'",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if n == 1 {
            indexed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(indexed, "the watcher did not index the edited file");

    app.type_text("what was the wifi hint?\r");
    app.wait_for("It is the cat's name.");
    let requests = server.requests();
    let body = requests[1].json().unwrap();
    let tool_result = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .filter_map(|m| m["content"].as_str())
        .collect::<String>();
    assert!(
        tool_result.contains("The wifi password hint is the cat's name.")
            && tool_result.contains("notes.md"),
        "{tool_result}"
    );
    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(30)).unwrap().success());
}
