//! End to end in a pseudo-terminal: a configured MCP server (the fixture) shows as ready in
//! the status line, the mock model calls its tool, the approval overlay asks, the result is
//! shown — and the server's stderr never reaches the screen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use support::mcp::fixture_exe;
use support::mock_server::*;
use support::pty::{PtyApp, write_mock_config};

#[test]
fn an_mcp_tool_is_ready_asked_for_run_and_shown_without_its_stderr() {
    let server = MockServer::start_blocking(vec![
        Reply::sse(openai_tool_calls(
            Some("Calling the echo tool."),
            &[("c1", "mcp__fx__echo", r#"{"text":"through the pty"}"#)],
        )),
        Reply::sse(openai_sse(&["Echoed."], None)),
    ]);
    let home = tempfile::tempdir().unwrap();
    let extra = format!(
        "[pipeline]\nnarrow = false\n\n[mcp_servers.fx]\ncommand = {:?}\nargs = [\"--noise\"]\n",
        fixture_exe().display().to_string()
    );
    write_mock_config(home.path(), &server.url(), &extra);
    let mut app = PtyApp::spawn(&[], home.path(), &[], 36, 120);
    app.wait_for("mock · mock-model");
    app.wait_for("MCP 1 ready");

    app.type_text("echo something\r");
    app.wait_for("Approve mcp__fx__echo?");
    app.send(b"y");
    app.wait_for("echo: through the pty");
    app.wait_until("turn over", Duration::from_secs(30), |s| s.contains("idle"));

    let sent = server.requests()[1].json().unwrap();
    assert!(sent.to_string().contains("echo: through the pty"));
    let raw = String::from_utf8_lossy(&app.raw_output()).into_owned();
    assert!(
        !raw.contains("NOISE"),
        "the server's stderr reached the screen"
    );

    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(30)).unwrap().success());
    let log = std::fs::read_to_string(home.path().join("state/pincer.log")).unwrap_or_default();
    assert!(log.contains("NOISE"), "the server's stderr goes to the log");
}
