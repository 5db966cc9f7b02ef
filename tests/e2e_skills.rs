//! End to end, skills: the real binary in a pseudo-terminal against the mock server. While
//! pincer runs, the test edits a SKILL.md on disk; the notice appears; `/name args` then sends
//! the new text (checked at the mock server). A broken edit is announced with its line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use support::mock_server::*;
use support::pty::{PtyApp, write_mock_config};

fn last_user_text(body: &serde_json::Value) -> String {
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

#[test]
fn an_edited_skill_reloads_while_running_and_slash_name_sends_the_new_text() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["Hello, Ada!"], None))]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let skill = home.path().join("config/skills/greet");
    std::fs::create_dir_all(&skill).unwrap();
    let file = skill.join("SKILL.md");
    std::fs::write(
        &file,
        "---\nname: greet\ndescription: Greet someone.\n---\nSay hi to $ARGUMENTS.\n",
    )
    .unwrap();
    let app = PtyApp::spawn(&[], home.path(), &[], 30, 110);
    app.wait_for("mock · mock-model");
    // The first scan is done once the popup offers the skill (edits before it are no change).
    app.type_text("/gre");
    app.wait_for("skill: Greet someone.");
    app.send(b"\x03"); // Ctrl+C clears the composer
    app.wait_until("the composer is empty", Duration::from_secs(10), |s| {
        !s.contains("skill: Greet someone.")
    });

    // Save by rename, the way many editors do.
    let tmp = skill.join(".SKILL.md.swp");
    std::fs::write(
        &tmp,
        "---\nname: greet\ndescription: Greet someone.\n---\nGreet $ARGUMENTS warmly, in French.\n",
    )
    .unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    app.wait_for("reloaded greet");

    // The popup offers the skill; /greet sends the new body.
    app.type_text("/gre");
    app.wait_for("skill: Greet someone.");
    app.type_text("et Ada\r");
    app.wait_for("Hello, Ada!");
    assert!(server.wait_for_requests_blocking(1, Duration::from_secs(5)));
    let body = server.requests()[0].json().unwrap();
    assert_eq!(last_user_text(&body), "Greet Ada warmly, in French.");

    // A broken edit: announced with its line, the skill is disabled.
    std::fs::write(&file, "---\nname: greet\n---\nno description\n").unwrap();
    app.wait_until("the broken notice", Duration::from_secs(10), |s| {
        s.contains("greet: line") && s.contains("disabled")
    });

    // The skills pane shows it as an error.
    app.send(b"\x1bOR"); // F3
    app.wait_until(
        "the pane lists greet as an error",
        Duration::from_secs(10),
        |s| s.contains("usable") && s.contains("✗ greet"),
    );
}
