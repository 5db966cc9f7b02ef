//! End to end: the composer conventions in the real binary in a pseudo-terminal — `!command`
//! through the gate into the conversation, Ctrl+D quits, Ctrl+R finds an earlier prompt.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use support::mock_server::*;
use support::pty::{PtyApp, write_mock_config};

/// Every user message of a request body, joined.
fn user_texts(body: &serde_json::Value) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn bang_command_asks_runs_and_reaches_the_next_request() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["Seen it."], None))]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 100);
    app.wait_for("mock · mock-model");

    app.type_text("!echo bang-output-42\r");
    // The shell tool's own gate: mode ask asks for a command.
    app.wait_for("Approve shell?");
    app.send(b"y");
    app.wait_for("bang-output-42");
    app.wait_until("idle again", Duration::from_secs(30), |s| {
        s.contains("ask · idle")
    });
    assert!(
        server.requests().is_empty(),
        "a !command alone sends nothing to the model"
    );

    app.type_text("what did it print?\r");
    app.wait_for("Seen it.");
    assert!(server.wait_for_requests_blocking(1, Duration::from_secs(30)));
    let sent = user_texts(&server.requests()[0].json().unwrap());
    assert!(sent.contains("!echo bang-output-42"), "{sent}");
    assert!(
        sent.contains("bang-output-42\n") || sent.matches("bang-output-42").count() >= 2,
        "{sent}"
    );
    assert!(sent.contains("what did it print?"), "{sent}");

    app.send(b"\x04");
    assert!(app.wait_exit(Duration::from_secs(30)).is_some());
}

#[test]
fn ctrl_d_on_an_empty_composer_quits_but_not_while_typing() {
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), "http://127.0.0.1:9", "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 24, 80);
    app.wait_for("mock · mock-model");
    app.type_text("abc");
    app.wait_for("abc");
    // Ctrl+D with text deletes forward (nothing at the end): still running.
    app.send(b"\x04");
    app.type_text("d");
    app.wait_for("abcd");
    app.send(b"\x03"); // clears the composer
    app.wait_until("composer cleared", Duration::from_secs(30), |s| {
        !s.contains("abcd")
    });
    app.send(b"\x04");
    let status = app.wait_exit(Duration::from_secs(30));
    assert!(status.is_some(), "Ctrl+D on an empty composer quits");
}

#[test]
fn ctrl_r_finds_an_earlier_prompt_and_enter_puts_it_in_the_composer() {
    let server = MockServer::start_blocking(vec![
        Reply::sse(openai_sse(&["one"], None)),
        Reply::sse(openai_sse(&["two"], None)),
        Reply::sse(openai_sse(&["three"], None)),
    ]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 100);
    app.wait_for("mock · mock-model");
    app.type_text("explain the lease file\r");
    app.wait_for("one");
    app.wait_until("idle", Duration::from_secs(30), |s| {
        s.contains("ask · idle")
    });
    app.type_text("fix the parser bug\r");
    app.wait_for("two");
    app.wait_until("idle", Duration::from_secs(30), |s| {
        s.contains("ask · idle")
    });

    app.send(b"\x12"); // Ctrl+R
    app.wait_for("earlier prompts");
    app.type_text("lease");
    app.wait_until("narrowed", Duration::from_secs(30), |s| {
        s.contains("search: lease") && !s.contains("fix the parser bug▏")
    });
    app.send(b"\r");
    app.wait_until("popup closed", Duration::from_secs(30), |s| {
        !s.contains("earlier prompts")
    });
    // The prompt is in the composer, not sent: Enter now sends it.
    assert_eq!(server.requests().len(), 2);
    app.send(b"\r");
    assert!(server.wait_for_requests_blocking(3, Duration::from_secs(30)));
    let sent = server.requests()[2].json().unwrap();
    let last = sent["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["content"], "explain the lease file");
    app.wait_for("three");
    app.send(b"\x04");
    assert!(app.wait_exit(Duration::from_secs(30)).is_some());
}

#[test]
fn at_completion_attaches_the_file_for_the_model() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["Read it."], None))]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    std::fs::create_dir_all(home.path().join("notes")).unwrap();
    std::fs::write(
        home.path().join("notes/plan-zebra.md"),
        "attached-content-7731\n",
    )
    .unwrap();
    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 100);
    app.wait_for("mock · mock-model");

    app.type_text("summarise @zebra");
    app.wait_for("Tab · Enter attach");
    app.wait_for("@notes/plan-zebra.md");
    app.send(b"\t");
    app.wait_for("summarise @notes/plan-zebra.md");
    app.send(b"\r");
    app.wait_for("Read it.");
    assert!(server.wait_for_requests_blocking(1, Duration::from_secs(30)));
    let sent = user_texts(&server.requests()[0].json().unwrap());
    assert!(sent.contains("summarise @notes/plan-zebra.md"), "{sent}");
    assert!(
        sent.contains("attached-content-7731"),
        "the file's content reached the model: {sent}"
    );
    let screen = app.screen();
    assert!(
        !screen.contains("› attached-content-7731"),
        "the transcript shows @path, not the content:\n{screen}"
    );
    app.send(b"\x04");
    assert!(app.wait_exit(Duration::from_secs(30)).is_some());
}
