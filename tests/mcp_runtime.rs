//! MCP through the runtime: the fixture server (`examples/mcp_fixture.rs`) configured in
//! `[mcp_servers]`, the mock model calling its tools. A call goes through the gate (asks in
//! ask mode, a `mcp__SERVER__*` rule allows it, a deny rule refuses it), its result reaches the
//! next request as untrusted content, many tools become the search fallback, and a turn that
//! starts while a server connects proceeds and says so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::collections::BTreeMap;

use pincer::config::McpTransport;
use pincer::protocol::{ApprovalDecision, Event, McpServerState, NoticeLevel, Op, ToolStatus};
use pincer::runtime;
use support::mcp::*;
use support::mock_server::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_call_reaches_the_mcp_tool_through_the_gate_and_its_result_the_next_request() {
    let server = MockServer::start(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[("c1", "mcp__fx__echo", r#"{"text":"hello from the model"}"#)],
        )),
        Reply::sse(openai_sse(&["done"], None)),
    ])
    .await;
    let s = setup(&server.url(), vec![fixture("fx", &["--noise"])], &[], &[]);
    let mut rt = runtime::spawn(s.settings);
    let status = settled(&mut rt).await;
    assert_eq!(
        status,
        [("fx".to_string(), McpServerState::Ready { tools: 6 })]
    );

    let evs = turn(&mut rt, "use the echo tool", ApprovalDecision::ApproveOnce).await;
    let (tool, rule) = asked(&evs).expect("ask mode asks before an MCP call");
    assert_eq!(
        (tool.as_str(), rule.as_str()),
        ("mcp__fx__echo", "mcp__fx__echo")
    );
    let (status, output, _) = result_of(&evs, "mcp__fx__echo");
    assert_eq!(status, ToolStatus::Ok, "{output}");
    assert_eq!(output, "echo: hello from the model");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = requests[0].json().unwrap();
    assert!(
        offered(&first).contains(&"mcp__fx__echo".to_string()),
        "{:?}",
        offered(&first)
    );
    let results = tool_messages(&requests[1].json().unwrap());
    assert_eq!(results.len(), 1);
    assert!(
        results[0].contains("echo: hello from the model"),
        "{}",
        results[0]
    );
    assert!(
        results[0].contains("untrusted"),
        "an MCP result is untrusted content for the model: {}",
        results[0]
    );
    rt.ops.send(Op::Shutdown).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_naming_the_server_allow_and_deny_without_asking() {
    let server = MockServer::start(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[
                ("c1", "mcp__fx__echo", r#"{"text":"one"}"#),
                ("c2", "mcp__fx__fail", "{}"),
            ],
        )),
        Reply::sse(openai_sse(&["done"], None)),
    ])
    .await;
    let s = setup(
        &server.url(),
        vec![fixture("fx", &[])],
        &["mcp__fx__*"],
        &["mcp__fx__fail"],
    );
    let mut rt = runtime::spawn(s.settings);
    settled(&mut rt).await;
    let evs = turn(&mut rt, "call them", ApprovalDecision::DenyAndStop).await;
    assert!(asked(&evs).is_none(), "a rule decided both: {evs:#?}");
    let (status, output, by) = result_of(&evs, "mcp__fx__echo");
    assert_eq!(status, ToolStatus::Ok, "{output}");
    assert!(by.contains("mcp__fx__*"), "{by}");
    let (status, _, by) = result_of(&evs, "mcp__fx__fail");
    assert_eq!(status, ToolStatus::Denied);
    assert!(by.contains("mcp__fx__fail"), "{by}");
    rt.ops.send(Op::Shutdown).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tools_are_offered_as_search_and_call() {
    let server = MockServer::start(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[("c1", "mcp_search", r#"{"query":"echo text"}"#)],
        )),
        Reply::sse(openai_tool_calls(
            None,
            &[(
                "c2",
                "mcp_call",
                r#"{"tool":"mcp__fx__echo","arguments":{"text":"via search"}}"#,
            )],
        )),
        Reply::sse(openai_sse(&["done"], None)),
    ])
    .await;
    let s = setup(
        &server.url(),
        vec![fixture("fx", &["--many", "200"])],
        &["mcp__fx__*"],
        &[],
    );
    let mut rt = runtime::spawn(s.settings);
    settled(&mut rt).await;
    let evs = turn(&mut rt, "find and call echo", ApprovalDecision::ApproveOnce).await;
    let (_, found, _) = result_of(&evs, "mcp_search");
    assert!(
        found
            .lines()
            .next()
            .unwrap_or("")
            .starts_with("mcp__fx__echo"),
        "{found}"
    );
    let (status, output, _) = result_of(&evs, "mcp_call");
    assert_eq!(
        (status, output.as_str()),
        (ToolStatus::Ok, "echo: via search")
    );

    let first = server.requests()[0].json().unwrap();
    let names = offered(&first);
    assert!(names.contains(&"mcp_search".to_string()) && names.contains(&"mcp_call".to_string()));
    assert!(
        !names.iter().any(|n| n.starts_with("mcp__")),
        "no schema of the 206 tools is sent: {names:?}"
    );
    let notes = policy_notes(&evs);
    assert!(notes.contains("mcp_search"), "{notes}");
    rt.ops.send(Op::Shutdown).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_while_a_server_connects_proceeds_without_it_and_says_so() {
    let server = MockServer::start(vec![Reply::sse(openai_sse(&["hi"], None))]).await;
    let s = setup(
        &server.url(),
        vec![fixture("slow", &["--start-delay", "600"])],
        &[],
        &[],
    );
    let mut rt = runtime::spawn(s.settings);
    let evs = turn(&mut rt, "hello", ApprovalDecision::ApproveOnce).await;
    let said = evs.iter().any(|e| {
        matches!(e, Event::Notice { level: NoticeLevel::Info, message }
            if message.contains("slow") && message.contains("still connecting"))
    });
    assert!(said, "{evs:#?}");
    let first = server.requests()[0].json().unwrap();
    assert!(!offered(&first).iter().any(|n| n.starts_with("mcp")));
    rt.ops.send(Op::Shutdown).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_start_is_reported_once_in_one_line() {
    let server = MockServer::start(vec![]).await;
    let mut broken = fixture("gone", &[]);
    broken.transport = McpTransport::Stdio {
        command: "/nonexistent/mcp-server".into(),
        args: Vec::new(),
        env: BTreeMap::new(),
        cwd: None,
    };
    let s = setup(&server.url(), vec![broken], &[], &[]);
    let mut rt = runtime::spawn(s.settings);
    let mut notices = Vec::new();
    let status = loop {
        match next(&mut rt).await {
            Event::Notice { message, .. } => notices.push(message),
            Event::McpStatus(s) if s.counts().1 == 0 => break s,
            _ => {}
        }
    };
    assert_eq!(status.counts(), (0, 0, 1));
    assert_eq!(status.summary(), "MCP 0 ready · 1 failed");
    // The notice follows the status it comes with.
    while notices.is_empty() {
        if let Event::Notice { message, .. } = next(&mut rt).await {
            notices.push(message);
        }
    }
    let failed: Vec<&String> = notices.iter().filter(|n| n.contains("gone")).collect();
    assert_eq!(failed.len(), 1, "{notices:?}");
    assert!(
        failed[0].contains("not found") && !failed[0].contains('\n'),
        "{}",
        failed[0]
    );
    rt.ops.send(Op::Shutdown).unwrap();
}
