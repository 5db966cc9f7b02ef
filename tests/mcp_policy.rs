//! MCP tools under the pipeline's policy and the gate, decided by the same facts as built-in
//! tools: a tool is read-only only when its server's annotations say so and the user trusts
//! them (`trust_annotations`). Plan mode offers the read-only ones and refuses the rest (no
//! server `mode`, no rule lifts it), a read-only task set offers trusted read-only tools, and
//! `[mcp] schema_budget_percent` decides when the schemas give way to `mcp_search` +
//! `mcp_call`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use pincer::protocol::{ApprovalDecision, ApprovalMode, Op, ToolStatus};
use pincer::runtime;
use support::mcp::*;
use support::mock_server::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_mode_offers_trusted_read_only_tools_and_refuses_the_rest_whatever_the_server_mode() {
    let server = MockServer::start(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[
                ("c1", "mcp__fx__echo", r#"{"text":"planning"}"#),
                ("c2", "mcp__fx__fail", "{}"),
                ("c3", "mcp__un__echo", r#"{"text":"untrusted"}"#),
            ],
        )),
        Reply::sse(openai_sse(&["done"], None)),
    ])
    .await;
    // `fx` trusts its annotations (echo says read-only) and has its own mode yolo; `un` does
    // not trust them. A rule allows everything of both.
    let mut fx = fixture("fx", &[]);
    fx.trust_annotations = true;
    fx.mode = Some(ApprovalMode::Yolo);
    let un = fixture("un", &[]);
    let mut s = setup(
        &server.url(),
        vec![fx, un],
        &["mcp__fx__*", "mcp__un__*"],
        &[],
    );
    s.settings.mode_override = Some(ApprovalMode::Plan);
    let mut rt = runtime::spawn(s.settings);
    settled(&mut rt).await;
    let evs = turn(&mut rt, "look around", ApprovalDecision::ApproveOnce).await;
    assert!(asked(&evs).is_none(), "plan mode never asks: {evs:#?}");

    let (status, output, by) = result_of(&evs, "mcp__fx__echo");
    assert_eq!(
        (status, output.as_str()),
        (ToolStatus::Ok, "echo: planning"),
        "{by}"
    );
    for tool in ["mcp__fx__fail", "mcp__un__echo"] {
        let (status, output, by) = result_of(&evs, tool);
        assert_eq!(status, ToolStatus::Denied, "{tool}: {output}");
        assert_eq!(
            by, "mode plan",
            "{tool}: refused by the mode, not widened: {output}"
        );
    }

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for (i, r) in requests.iter().enumerate() {
        let names = offered(&r.json().unwrap());
        assert!(
            names.contains(&"mcp__fx__echo".to_string()),
            "request {i}: {names:?}"
        );
        assert!(
            names.contains(&"read_file".to_string()),
            "request {i}: {names:?}"
        );
        for held in [
            "mcp__fx__fail",
            "mcp__fx__big",
            "mcp__un__echo",
            "write_file",
        ] {
            assert!(
                !names.contains(&held.to_string()),
                "request {i} offers {held} in plan mode: {names:?}"
            );
        }
    }
    rt.ops.send(Op::Shutdown).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_task_is_offered_the_trusted_read_only_tools_and_an_editing_task_all() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["it explains"], None)),
        Reply::sse(openai_sse(&["it edits"], None)),
    ])
    .await;
    let mut fx = fixture("fx", &[]);
    fx.trust_annotations = true;
    let un = fixture("un", &[]);
    let mut s = setup(&server.url(), vec![fx, un], &[], &[]);
    s.settings.config.pipeline.narrow = true;
    let mut rt = runtime::spawn(s.settings);
    settled(&mut rt).await;
    turn(
        &mut rt,
        "Explain what src/lib.rs does",
        ApprovalDecision::Deny { reason: None },
    )
    .await;
    turn(
        &mut rt,
        "Add a --verbose flag to src/main.rs",
        ApprovalDecision::Deny { reason: None },
    )
    .await;

    let requests = server.requests();
    let read_only = offered(&requests[0].json().unwrap());
    assert!(
        read_only.contains(&"mcp__fx__echo".to_string()),
        "{read_only:?}"
    );
    for not in ["mcp__fx__fail", "mcp__un__echo", "write_file"] {
        assert!(
            !read_only.contains(&not.to_string()),
            "{not}: {read_only:?}"
        );
    }
    let editing = offered(&requests[1].json().unwrap());
    for tool in [
        "mcp__fx__echo",
        "mcp__fx__fail",
        "mcp__un__echo",
        "write_file",
    ] {
        assert!(editing.contains(&tool.to_string()), "{tool}: {editing:?}");
    }
    rt.ops.send(Op::Shutdown).unwrap();
}

/// One turn with the fixture offering 26 tools, a 20 000-token window and the budget at
/// `percent`: (offered names, the policy note).
async fn offer_at(percent: u8) -> (Vec<String>, String) {
    let server = MockServer::start(vec![Reply::sse(openai_sse(&["ok"], None))]).await;
    let mut s = setup(
        &server.url(),
        vec![fixture("fx", &["--many", "20"])],
        &[],
        &[],
    );
    with_window(&mut s, &server.url(), 20_000);
    s.settings.config.mcp.schema_budget_percent = percent;
    let mut rt = runtime::spawn(s.settings);
    settled(&mut rt).await;
    let evs = turn(&mut rt, "hello", ApprovalDecision::ApproveOnce).await;
    rt.ops.send(Op::Shutdown).unwrap();
    let names = offered(&server.requests()[0].json().unwrap());
    (names, policy_notes(&evs))
}

/// The schema tokens a note reports (`~N tokens`).
fn tokens_in(note: &str) -> u64 {
    let after = note.split('~').nth(1).unwrap_or_else(|| panic!("{note}"));
    after
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{note}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_schema_budget_is_the_threshold_of_the_search_fallback() {
    let (names, note) = offer_at(50).await;
    assert!(
        names.contains(&"mcp__fx__tool_019".to_string()),
        "{names:?}"
    );
    let tokens = tokens_in(&note);
    // The smallest percentage whose budget holds every schema, and the one below it.
    let fits = u8::try_from(tokens * 100 / 20_000 + 1).unwrap();
    assert!(
        (2..=50).contains(&fits),
        "{tokens} tokens: pick another window"
    );

    let (names, note) = offer_at(fits).await;
    assert!(
        names.contains(&"mcp__fx__echo".to_string()) && !names.contains(&"mcp_search".to_string()),
        "{fits}%: {names:?} {note}"
    );
    let (names, note) = offer_at(fits - 1).await;
    assert!(
        names.contains(&"mcp_search".to_string()) && names.contains(&"mcp_call".to_string()),
        "{}%: {names:?}",
        fits - 1
    );
    assert!(!names.iter().any(|n| n.starts_with("mcp__")), "{names:?}");
    assert!(
        note.contains(&format!("exceed {}%", fits - 1)) && note.contains("schema_budget_percent"),
        "{note}"
    );
}
