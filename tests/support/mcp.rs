//! The MCP fixture server (`examples/mcp_fixture.rs`) for client and runtime tests, and the
//! runtime helpers of the MCP tests: a settings folder with servers and rules, waiting for
//! the servers to settle, one turn answered, what a request offered and the results it held.

use pincer::protocol::{ApprovalRequested, ToolCallFinished};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use pincer::config::{Config, McpServerConfig, McpTransport, NetworkConfig};
use pincer::protocol::{ApprovalDecision, Event, McpServerState, Op, ToolStatus};
use pincer::runtime::{RuntimeHandle, RuntimeSettings};
use serde_json::Value;

use super::events::{finished, mock_profile, mock_settings};

#[path = "patience.rs"]
mod patience;
pub use patience::patience;

/// The fixture binary: `PINCER_MCP_FIXTURE`, else `examples/mcp_fixture` of the running
/// test's (or bench's) profile — `cargo build --tests` builds it for tests; a bench needs
/// `cargo build --release --example mcp_fixture` (or `--profile dev`) first.
pub fn fixture_exe() -> PathBuf {
    if let Some(p) = std::env::var_os("PINCER_MCP_FIXTURE") {
        return PathBuf::from(p);
    }
    let deps = std::env::current_exe().unwrap();
    let profile_dir = deps.parent().and_then(|d| d.parent()).unwrap();
    let exe = profile_dir.join("examples").join("mcp_fixture");
    assert!(
        exe.exists(),
        "{} is missing: build the fixture in this profile (cargo build --example mcp_fixture, \
         with --release for release benches) or set PINCER_MCP_FIXTURE",
        exe.display()
    );
    exe
}

/// The fixture over stdio as server `name`, started with `args`.
pub fn fixture(name: &str, args: &[&str]) -> McpServerConfig {
    server(
        name,
        McpTransport::Stdio {
            command: fixture_exe().display().to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: BTreeMap::new(),
            cwd: None,
        },
    )
}

/// Server `name` over `transport`: enabled, every tool, patient timeouts, no approval mode
/// of its own.
pub fn server(name: &str, transport: McpTransport) -> McpServerConfig {
    McpServerConfig {
        name: name.to_string(),
        transport,
        enabled: true,
        enabled_tools: None,
        disabled_tools: Vec::new(),
        startup_timeout: patience(Duration::from_secs(15)),
        tool_timeout: patience(Duration::from_secs(15)),
        mode: None,
        trust_annotations: false,
        source: "test".into(),
    }
}

/// A temporary home with a workspace `ws` and a database, and the runtime's settings.
pub struct Setup {
    pub _tmp: tempfile::TempDir,
    pub settings: RuntimeSettings,
}

/// Settings talking to the mock model at `url`, with `servers` and allow / deny rules. Every
/// turn gets the full tool set (the narrowing has its own tests) unless the caller turns
/// `settings.config.pipeline.narrow` back on.
pub fn setup(url: &str, servers: Vec<McpServerConfig>, allow: &[&str], deny: &[&str]) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("ws")).unwrap();
    let mut config = Config {
        network: NetworkConfig {
            stream_idle_timeout_ms: 5_000,
            max_retries: 1,
            retry_base_delay_ms: 10,
            ..NetworkConfig::default()
        },
        mcp_servers: servers,
        ..Config::default()
    };
    config.pipeline.narrow = false;
    config.permissions.allow = allow.iter().map(|r| r.to_string()).collect();
    config.permissions.deny = deny.iter().map(|r| r.to_string()).collect();
    let mut settings = mock_settings(url, config, root.join("ws"));
    settings.database = Some(root.join("pincer.db"));
    Setup {
        _tmp: tmp,
        settings,
    }
}

/// Give the mock profile a configured context window of `window` tokens.
pub fn with_window(s: &mut Setup, url: &str, window: u64) {
    s.settings
        .config
        .providers
        .insert("mock".into(), mock_profile(url, Some(window)));
}

/// The next event, waiting patiently.
pub async fn next(rt: &mut RuntimeHandle) -> Event {
    let wait = patience(Duration::from_secs(15));
    tokio::time::timeout(wait, rt.events.recv())
        .await
        .expect("an event in time")
        .expect("runtime alive")
}

/// Events until every server is ready or failed (returns the last status).
pub async fn settled(rt: &mut RuntimeHandle) -> Vec<(String, McpServerState)> {
    loop {
        if let Event::McpStatus(s) = next(rt).await
            && s.counts().1 == 0
        {
            return s.servers.into_iter().map(|s| (s.name, s.state)).collect();
        }
    }
}

/// Run a turn answering each question with `decision`; the events of the turn.
pub async fn turn(rt: &mut RuntimeHandle, text: &str, decision: ApprovalDecision) -> Vec<Event> {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
    let mut seen = Vec::new();
    loop {
        let ev = next(rt).await;
        if let Event::ApprovalRequested(ApprovalRequested { request_id, .. }) = &ev {
            rt.ops
                .send(Op::ApprovalDecision {
                    request_id: *request_id,
                    decision: decision.clone(),
                })
                .unwrap();
        }
        let done = finished(&ev);
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

/// (status, output, decided by) of the call to `tool`.
pub fn result_of(events: &[Event], tool: &str) -> (ToolStatus, String, String) {
    events
        .iter()
        .find_map(|e| match e {
            Event::ToolCallFinished(ToolCallFinished {
                tool: t,
                status,
                output,
                decided_by,
                ..
            }) if t == tool => Some((*status, output.clone(), decided_by.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {tool} result in {events:#?}"))
}

/// The tool names a request offered.
pub fn offered(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The tool result messages of a request.
pub fn tool_messages(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["role"] == "tool")
                .filter_map(|m| m["content"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The first question of a turn: (tool, suggested rule).
pub fn asked(events: &[Event]) -> Option<(String, String)> {
    events.iter().find_map(|e| match e {
        Event::ApprovalRequested(ApprovalRequested {
            tool,
            suggested_rule,
            ..
        }) => Some((tool.clone(), suggested_rule.clone())),
        _ => None,
    })
}

/// The policy notes of the turn's diagnostics (which way MCP tools were offered).
pub fn policy_notes(events: &[Event]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            Event::TurnDiagnostics(d) => Some(d.policy.notes.join("\n")),
            _ => None,
        })
        .unwrap_or_default()
}
