//! End to end: the real binary in a pseudo-terminal against the scripted mock server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use pincer::store::Store;
use support::mock_server::*;
use support::pty::{PtyApp, write_mock_config};

/// The text of the last user message in a request body.
fn user_text(body: &serde_json::Value) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The first SSE event of an OpenAI stream (so a stall can follow real text).
fn first_event(body: &[u8]) -> Vec<u8> {
    let end = body.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    body[..end].to_vec()
}

#[test]
fn chat_streams_markdown_interrupts_a_stall_and_quits_with_ctrl_c_twice() {
    let answer = openai_sse(
        &[
            "Hello ",
            "from the **mock**.\n\n",
            "```rust\nfn main() {}\n```\n\n",
            "| a | b |\n|---|---|\n| 1 | 2 |\n",
        ],
        Some((21, 9)),
    );
    let stalled = openai_sse(&["partial answer ", "never"], None);
    let server = MockServer::start_blocking(vec![
        Reply::Sse(split_awkwardly(&answer)),
        Reply::Sse(vec![Step::Bytes(first_event(&stalled)), Step::Stall]),
    ]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 100);

    app.wait_for("mock · mock-model");
    app.type_text("hello pincer\r");
    app.wait_for("Hello from the mock.");
    app.wait_for("fn main() {}");
    app.wait_for("│ 1 │ 2 │");
    app.wait_for("last 30 tok");
    let screen = app.screen();
    assert!(screen.contains("› hello pincer"), "{screen}");
    assert!(
        !screen.contains("**"),
        "markdown is rendered, not shown raw:\n{screen}"
    );
    let sent = server.requests()[0].json().unwrap();
    assert_eq!(user_text(&sent), "hello pincer");

    // A stalled stream: Esc ends the turn, the partial text stays, the UI keeps answering.
    app.type_text("and now?\r");
    app.wait_for("partial answer");
    app.wait_for("streaming");
    app.send(b"\x1b");
    app.wait_for("interrupted");
    app.wait_until("idle", Duration::from_secs(5), |s| s.contains(" idle"));
    app.send(b"?");
    app.wait_for("╭ Keys");
    app.send(b"x");
    app.wait_until("help closed", Duration::from_secs(5), |s| {
        !s.contains("Keys · any key")
    });

    // Ctrl+C twice quits and restores the terminal.
    app.send(b"\x03");
    app.wait_for("press Ctrl+C again to quit");
    app.send(b"\x03");
    let status = app
        .wait_exit(Duration::from_secs(10))
        .expect("pincer exits");
    assert!(status.success(), "{status:?}");
    assert!(
        restored(&app.raw_output()),
        "left the alternate screen at exit"
    );

    let store = Store::open(&home.path().join("data/pincer.db")).unwrap();
    let cwd = home.path().display().to_string();
    let id = store
        .latest_session_in(&cwd)
        .unwrap()
        .expect("session stored");
    let items = store.load_session(&id).unwrap().items;
    assert_eq!(items.len(), 4, "{items:?}");
    assert!(items[3].interrupted && items[3].content == "partial answer ");
}

#[test]
fn continue_shows_the_previous_transcript() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["first reply"], None))]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 24, 80);
    app.wait_for("mock · mock-model");
    app.type_text("remember me\r");
    app.wait_for("first reply");
    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(10)).unwrap().success());

    let app = PtyApp::spawn(&["--continue"], home.path(), &[], 24, 80);
    app.wait_for("› remember me");
    app.wait_for("first reply");
}

#[test]
fn a_malformed_config_is_reported_with_its_line_and_the_program_still_runs() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "theme = \"dark\"\n[providers.x]\nkind = = \"openai\"\n",
    )
    .unwrap();
    let mut app = PtyApp::spawn(&[], home.path(), &[("PINCER_PROVIDER", "")], 30, 100);
    app.wait_for("config.toml:3:");
    app.wait_for("No model is configured yet");
    app.send(b"?");
    app.wait_for("╭ Keys");
    app.send(b"x");
    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(10)).unwrap().success());
}

#[test]
fn a_ten_megabyte_paste_is_kept_whole_and_shown_collapsed() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["got it"], None))]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    // A window the 2.6M-token message fits in (else the runtime rightly refuses to send it).
    let config = home.path().join("config/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("context_window = 32768", "context_window = 100000000"),
    )
    .unwrap();
    let app = PtyApp::spawn(&[], home.path(), &[], 24, 100);
    app.wait_for("mock · mock-model");
    let big = "0123456789abcdef".repeat(10 * 1024 * 1024 / 16);
    let started = std::time::Instant::now();
    let mut paste = b"\x1b[200~".to_vec();
    paste.extend_from_slice(big.as_bytes());
    paste.extend_from_slice(b"\x1b[201~");
    app.send(&paste);
    app.wait_until("collapsed paste", Duration::from_secs(60), |s| {
        s.contains("[pasted text #1 · 10,485,760 chars · 1 lines]")
    });
    eprintln!("paste shown after {:?}", started.elapsed());
    let started = std::time::Instant::now();
    app.send(b"\r");
    // Stored (redacted: one linear pass over 10 MB, slow in a debug build) and sent.
    app.wait_until("got it", Duration::from_secs(180), |s| s.contains("got it"));
    // The transcript keeps the paste folded too.
    app.wait_for("[pasted 1 line, 10,485,760 chars] · Ctrl+O shows it");
    eprintln!("sent and answered after {:?}", started.elapsed());
    assert!(server.wait_for_requests_blocking(1, Duration::from_secs(5)));
    let body = server.requests()[0].json().unwrap();
    assert_eq!(user_text(&body).len(), big.len());
}

#[test]
fn slash_popup_filters_and_runs_commands_locally() {
    let server = MockServer::start_blocking(vec![]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 24, 80);
    app.wait_for("mock · mock-model");
    app.type_text("/");
    app.wait_for("/model [NAME]");
    app.type_text("mo");
    app.wait_until("filtered popup", Duration::from_secs(5), |s| {
        s.contains("/model [NAME]") && !s.contains("/quit")
    });
    app.send(b"\t");
    app.type_text("bigger\r");
    app.wait_for("now using mock · bigger");
    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(10)).unwrap().success());
    // `/model NAME` probes the server (GET …/models); nothing is sent to the model.
    assert!(
        server.requests().iter().all(|r| r.method == "GET"),
        "commands never reach the model: {:?}",
        server
            .requests()
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );
}

/// The sequences that undo full-screen mode, after the last time it was entered (the
/// transcript printed on exit follows them).
fn restored(raw: &[u8]) -> bool {
    support::pty::restored(raw)
}

#[test]
fn sigterm_restores_the_terminal() {
    let server = MockServer::start_blocking(vec![]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 24, 80);
    app.wait_for("mock · mock-model");
    let pid = app.pid().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        app.wait_exit(Duration::from_secs(10)).is_some(),
        "exits on SIGTERM"
    );
    assert!(
        restored(&app.raw_output()),
        "terminal restored after SIGTERM"
    );
}

#[test]
fn a_panic_restores_the_terminal_and_says_what_happened() {
    let home = tempfile::tempdir().unwrap();
    let mut app = PtyApp::spawn(&[], home.path(), &[("PINCER_DEBUG_PANIC", "1")], 24, 80);
    let status = app
        .wait_exit(Duration::from_secs(10))
        .expect("exits after the panic");
    assert!(!status.success());
    let raw = app.raw_output();
    assert!(restored(&raw), "terminal restored after a panic");
    let text = String::from_utf8_lossy(&raw);
    let leave = text.find("\x1b[?1049l").unwrap();
    assert!(
        text[leave..].contains("panicking on purpose"),
        "the message is printed after leaving full-screen mode"
    );
}

#[test]
fn approval_overlay_no_yes_and_always() {
    let write = |id: &str| {
        Reply::sse(openai_tool_calls(
            Some("I'll write the file."),
            &[(
                id,
                "write_file",
                r#"{"path":"notes/hello.txt","content":"hello from the model\n"}"#,
            )],
        ))
    };
    let done = || Reply::sse(openai_sse(&["Done."], None));
    let server = MockServer::start_blocking(vec![
        write("c1"),
        done(),
        write("c2"),
        done(),
        write("c3"),
        done(),
        write("c4"),
        done(),
    ]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let target = home.path().join("notes/hello.txt");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 36, 100);
    app.wait_for("mock · mock-model");

    // n: denied, with a reason; nothing on disk.
    app.type_text("write a note\r");
    app.wait_for("Approve write_file?");
    app.wait_for("+hello from the model");
    app.wait_for("y yes");
    app.send(b"n");
    app.wait_for("reason (optional)");
    app.type_text("not yet\r");
    app.wait_for("denied");
    app.wait_until("turn over", Duration::from_secs(10), |s| {
        s.contains("ask · idle")
    });
    assert!(!target.exists());
    let sent = server.requests()[1].json().unwrap();
    assert!(
        sent.to_string().contains("not yet"),
        "the reason reached the model"
    );

    // y: written.
    app.type_text("try again\r");
    app.wait_for("Approve write_file?");
    app.send(b"y");
    app.wait_until("file written", Duration::from_secs(10), |_| target.exists());
    app.wait_until("turn over", Duration::from_secs(10), |s| {
        s.contains("ask · idle")
    });
    std::fs::remove_file(&target).unwrap();

    // a: the rule is shown, edited, saved; the next identical call runs without asking.
    app.type_text("and keep doing it\r");
    app.wait_for("Approve write_file?");
    app.send(b"a");
    app.wait_for("always allow: write_file: notes/**");
    app.send(b"\r");
    app.wait_until("file written", Duration::from_secs(10), |_| target.exists());
    app.wait_for("saved rule");
    let config = std::fs::read_to_string(home.path().join("config/config.toml")).unwrap();
    assert!(config.contains("write_file: notes/**"), "{config}");
    std::fs::remove_file(&target).unwrap();
    app.wait_until("turn over", Duration::from_secs(10), |s| {
        s.contains("ask · idle")
    });
    app.type_text("once more\r");
    app.wait_until(
        "file written without asking",
        Duration::from_secs(10),
        |_| target.exists(),
    );
    assert!(!app.screen().contains("Approve write_file?"));

    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(10)).unwrap().success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pincer"))
        .args(["audit"])
        .env("PINCER_HOME", home.path())
        .output()
        .unwrap();
    let audit = String::from_utf8(out.stdout).unwrap();
    assert_eq!(audit.matches("  write_file ").count(), 4, "{audit}");
    assert!(
        audit.contains("denied") && audit.contains("approved") && audit.contains("rule allow"),
        "{audit}"
    );
    // The user's three answers (n, y, a) are items of the session too.
    let store = Store::open(&home.path().join("data/pincer.db")).unwrap();
    let cwd = std::fs::canonicalize(home.path()).unwrap();
    let id = store
        .latest_session_in(&cwd.display().to_string())
        .unwrap()
        .unwrap();
    let approvals: Vec<String> = store
        .load_session(&id)
        .unwrap()
        .items
        .into_iter()
        .filter(|i| i.kind == pincer::store::ItemKind::Approval)
        .map(|i| i.content)
        .collect();
    assert_eq!(approvals.len(), 3, "{approvals:?}");
    assert!(approvals[0].contains("\"deny\""), "{approvals:?}");
    assert!(approvals[2].contains("approve_always"), "{approvals:?}");
}
