//! End to end, in a pseudo-terminal: the mouse wheel as terminals send it (SGR mouse reports,
//! and arrow keys where a terminal turns the wheel into arrows — "alternate scroll"), and what
//! is left in the terminal on exit (the transcript and `pincer --resume ID`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use pincer::store::Store;
use support::mock_server::*;
use support::pty::{PtyApp, after_full_screen, restored, write_mock_config};

const WAIT: Duration = Duration::from_secs(30);

/// SGR (1006) wheel reports at column 10, row 5, as xterm / VTE / kitty / tmux send them.
const WHEEL_UP: &[u8] = b"\x1b[<64;10;5M";
const WHEEL_DOWN: &[u8] = b"\x1b[<65;10;5M";
/// What a terminal in alternate-scroll mode sends for the wheel (cursor keys, normal mode).
const ARROW_UP: &[u8] = b"\x1b[A";
const ARROW_DOWN: &[u8] = b"\x1b[B";

/// A reply taller than the screen, so there is something to scroll.
fn long_reply() -> Vec<u8> {
    let lines: Vec<String> = (1..=60).map(|i| format!("reply line {i}\n\n")).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    openai_sse(&refs, Some((10, 60)))
}

/// The mock's two replies: a long one, then a short one.
fn replies() -> Vec<Reply> {
    vec![
        Reply::sse(long_reply()),
        Reply::sse(openai_sse(&["short"], Some((1, 1)))),
    ]
}

/// pincer with a long reply on screen and "second question" last in the prompt history. (The
/// second prompt is typed once the session is surely configured.)
fn chatted(home: &std::path::Path, server: &MockServer) -> PtyApp {
    write_mock_config(home, &server.url(), "");
    let app = PtyApp::spawn(&[], home, &[], 24, 80);
    app.wait_for("mock · mock-model");
    app.type_text("first question\r");
    app.wait_until("the end of the reply", WAIT, |s| {
        s.contains("reply line 60")
    });
    app.wait_until("idle", WAIT, |s| s.contains(" idle"));
    app.type_text("second question\r");
    app.wait_until("the second reply", WAIT, |s| {
        s.contains("› second question") && s.contains("short") && s.contains(" idle")
    });
    app
}

fn composer_empty(screen: &str) -> bool {
    screen.contains("Ask anything")
}

#[test]
fn the_wheel_scrolls_the_transcript_and_never_recalls_a_prompt() {
    let server = MockServer::start_blocking(replies());
    let home = tempfile::tempdir().unwrap();
    let mut app = chatted(home.path(), &server);
    let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
    assert!(
        raw.contains("\x1b[?1000h") && raw.contains("\x1b[?1006h"),
        "button + SGR mouse reports requested"
    );
    assert!(
        !raw.contains("\x1b[?1003h") && !raw.contains("\x1b[?1002h"),
        "no motion reports: moving the mouse must not wake pincer"
    );

    for _ in 0..5 {
        app.send(WHEEL_UP);
    }
    app.wait_until("scrolled back by the wheel", WAIT, |s| {
        s.contains("scrolled · End") && !s.contains("reply line 60") && !s.contains("short")
    });
    let screen = app.screen();
    assert!(
        composer_empty(&screen),
        "the wheel recalled a prompt:\n{screen}"
    );

    for _ in 0..30 {
        app.send(WHEEL_DOWN);
    }
    app.wait_until("back at the bottom", WAIT, |s| {
        s.contains("short") && !s.contains("scrolled · End")
    });
    assert!(composer_empty(&app.screen()), "{}", app.screen());

    app.send(b"\x03");
    app.send(b"\x03");
    assert!(app.wait_exit(WAIT).is_some(), "exits");
    assert!(
        restored(&app.raw_output()),
        "mouse reports switched off again"
    );
}

#[test]
fn arrows_from_alternate_scroll_scroll_while_scrolled_back() {
    let server = MockServer::start_blocking(replies());
    let home = tempfile::tempdir().unwrap();
    let app = chatted(home.path(), &server);

    // Scrolled back (PgUp), the wheel-as-arrows keeps scrolling and recalls nothing.
    app.send(b"\x1b[5~");
    app.wait_until("scrolled back", WAIT, |s| {
        s.contains("scrolled · End") && !s.contains("short")
    });
    for _ in 0..6 {
        app.send(ARROW_UP);
    }
    app.wait_until("arrows scrolled further", WAIT, |s| {
        s.contains("scrolled · End") && composer_empty(s)
    });
    let before = app.screen();
    app.send(ARROW_UP);
    app.send(ARROW_UP);
    app.wait_until("one more row each", WAIT, |s| s != before);
    assert!(composer_empty(&app.screen()), "{}", app.screen());

    for _ in 0..60 {
        app.send(ARROW_DOWN);
    }
    app.wait_until("back at the bottom", WAIT, |s| {
        s.contains("short") && !s.contains("scrolled · End")
    });
    assert!(composer_empty(&app.screen()), "{}", app.screen());

    // Following the bottom again, Up is the prompt history.
    app.send(ARROW_UP);
    app.wait_until("history recalled", WAIT, |s| {
        s.contains("│ second question")
    });
}

#[test]
fn exit_leaves_the_transcript_and_the_resume_command() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(
        &["Here:\n\n```sh\n    indented --flag\n```\n"],
        Some((3, 5)),
    ))]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 24, 80);
    app.wait_for("mock · mock-model");
    app.type_text("show the command\r");
    app.wait_for("indented --flag");
    app.wait_until("idle", WAIT, |s| s.contains(" idle"));
    app.type_text("/quit\r");
    assert!(app.wait_exit(WAIT).unwrap().success());

    let raw = app.raw_output();
    assert!(restored(&raw), "terminal restored");
    let printed = after_full_screen(&raw);
    let store = Store::open(&home.path().join("data/pincer.db")).unwrap();
    let cwd = home.path().display().to_string();
    let id = store
        .latest_session_in(&cwd)
        .unwrap()
        .expect("session stored");
    assert!(
        printed.contains(&format!("pincer --resume {id}")),
        "resume hint with the stored id {id}:\n{printed}"
    );
    assert!(printed.contains("› show the command"), "{printed}");
    // Code as written: its indentation kept, no margin added.
    assert!(printed.contains("\n    indented --flag"), "{printed:?}");
    // What the terminal shows after exit (the primary screen) ends with the hint.
    app.wait_until("hint on the screen", WAIT, |s| {
        s.contains(&format!("pincer --resume {id}"))
    });
}

#[test]
fn exit_without_a_stored_session_prints_no_resume_hint() {
    let server = MockServer::start_blocking(vec![]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 24, 80);
    app.wait_for("mock · mock-model");
    app.send(b"\x03");
    app.wait_for("press Ctrl+C again to quit");
    app.send(b"\x03");
    assert!(app.wait_exit(WAIT).unwrap().success());
    let raw = app.raw_output();
    assert!(restored(&raw));
    assert!(!after_full_screen(&raw).contains("--resume"));
}
