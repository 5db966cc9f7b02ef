//! pincer's MCP client against the fixture server (`examples/mcp_fixture.rs`) over stdio.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::collections::BTreeMap;
use std::time::Duration;

use pincer::config::{McpServerConfig, McpTransport};
use pincer::mcp::client::{Connection, McpError};
use pincer::mcp::hub::{Hub, HubUpdate, ServerState};
use serde_json::{Map, Value, json};
use support::mcp::fixture as server;
use tokio::sync::mpsc::unbounded_channel;

fn args(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

async fn connect(cfg: &McpServerConfig) -> Result<Connection, McpError> {
    let (tx, _rx) = unbounded_channel();
    Connection::connect(cfg, &std::env::temp_dir(), tx).await
}

#[tokio::test]
async fn lists_and_calls_tools() {
    let conn = connect(&server("fx", &["--noise"])).await.unwrap();
    let tools = conn.list_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(
        names.contains(&"echo") && names.contains(&"big"),
        "{names:?}"
    );

    let r = conn
        .call("echo", args(json!({"text": "hi"})))
        .await
        .unwrap();
    assert_eq!(
        pincer::mcp::result::render(&r),
        ("echo: hi".to_string(), false)
    );

    let r = conn.call("fail", Map::new()).await.unwrap();
    let (text, is_error) = pincer::mcp::result::render(&r);
    assert!(is_error && text.contains("on purpose"), "{text}");

    let r = conn.call("big", Map::new()).await.unwrap();
    assert_eq!(pincer::mcp::result::render(&r).0.len(), 200 * 1024);

    let r = conn.call("image", Map::new()).await.unwrap();
    assert!(
        pincer::mcp::result::render(&r)
            .0
            .starts_with("[image: image/png")
    );
    conn.shutdown().await;
}

#[tokio::test]
async fn a_crash_mid_call_is_an_error_not_a_hang() {
    let conn = connect(&server("fx", &[])).await.unwrap();
    let err = conn.call("crash", Map::new()).await.unwrap_err();
    assert!(matches!(err, McpError::Call { .. }), "{err}");
    conn.shutdown().await;
}

#[tokio::test]
async fn a_slow_call_is_abandoned_at_tool_timeout() {
    let mut cfg = server("fx", &[]);
    cfg.tool_timeout = Duration::from_secs(1);
    let conn = connect(&cfg).await.unwrap();
    let err = conn
        .call("slow", args(json!({"secs": 30})))
        .await
        .unwrap_err();
    assert!(
        matches!(err, McpError::CallTimeout { secs: 1, .. }),
        "{err}"
    );
    conn.shutdown().await;
}

#[tokio::test]
async fn start_failures_say_why() {
    let mut missing = server("gone", &[]);
    missing.transport = McpTransport::Stdio {
        command: "pincer-no-such-mcp-server".into(),
        args: vec![],
        env: BTreeMap::new(),
        cwd: None,
    };
    let err = connect(&missing).await.err().unwrap();
    assert!(matches!(err, McpError::CommandNotFound { .. }), "{err}");
    assert!(err.to_string().contains("not found"), "{err}");

    let mut slow = server("slow", &["--start-delay", "30", "--noise"]);
    slow.startup_timeout = Duration::from_secs(1);
    let err = connect(&slow).await.err().unwrap();
    let text = err.to_string();
    assert!(matches!(err, McpError::StartTimeout { .. }), "{text}");
    assert!(
        text.contains("startup_timeout") && text.contains("NOISE"),
        "{text}"
    );
}

async fn wait_ready(rx: &mut tokio::sync::mpsc::UnboundedReceiver<HubUpdate>) -> Vec<String> {
    let mut warnings = Vec::new();
    loop {
        let update = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("hub update")
            .expect("hub open");
        match update {
            HubUpdate::Warning(w) => warnings.push(w),
            HubUpdate::Status(s) => {
                if s.iter()
                    .all(|s| !matches!(s.state, ServerState::Connecting))
                {
                    return warnings;
                }
            }
        }
    }
}

#[tokio::test]
async fn the_hub_names_tools_refuses_collisions_and_follows_list_changes() {
    let (tx, mut rx) = unbounded_channel();
    let hub = Hub::new(
        vec![server("fixture", &["--collide", "--list-changed"])],
        std::env::temp_dir(),
        tx,
    );
    hub.start();
    let warnings = wait_ready(&mut rx).await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let names: Vec<String> = hub.offered().into_iter().map(|t| t.name).collect();
    assert!(
        names.contains(&"mcp__fixture__echo".to_string()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("dot")),
        "collisions refused: {names:?}"
    );
    assert!(!names.contains(&"mcp__fixture__late".to_string()));

    let (_, tool, conn) = hub.resolve("mcp__fixture__echo").unwrap();
    conn.call(&tool, args(json!({"text": "x"}))).await.unwrap();
    // The call made the fixture announce a new tool; the hub lists again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !hub.offered().iter().any(|t| t.name == "mcp__fixture__late") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "list_changed not followed"
        );
        let _ = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    }
    hub.shutdown().await;
}

fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .split(") ")
            .nth(1)
            .is_some_and(|rest| rest.starts_with('Z')),
        Err(_) => false,
    }
}

#[tokio::test]
async fn shutdown_leaves_no_process_behind() {
    let conn = connect(&server("fx", &[])).await.unwrap();
    let pid = conn.pid().unwrap();
    assert!(alive(pid));
    conn.shutdown().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while alive(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "fixture {pid} still running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
