//! What MCP tools cost a request and a call, against the fixture server
//! (`examples/mcp_fixture.rs`) over stdio and the scripted mock model:
//!
//! 1. **Request tokens with 200 MCP tools**: one turn with the fixture started `--many 200`
//!    (206 tools), in a 32k-token window (what pincer assumes for a local model): (a) the
//!    search fallback forced off (`[mcp] schema_budget_percent = 50`: every schema is sent),
//!    (b) the default budget (10 %: `mcp_search` + `mcp_call`), and no MCP server as the
//!    baseline; then the default budget in a 128k window, where 206 schemas still fit
//!    under 10 % by pincer's count. pincer's own estimate
//!    (`Event::TurnDiagnostics`: tool schemas, system prompt, conversation) and the bytes of
//!    the request body the model server received (all of it, and its `tools` array alone).
//!    Narrowing is off (`pipeline.narrow = false`): every built-in tool is offered as well.
//! 2. **Per-call overhead over a direct call**, the same work (the fixture's `echo`):
//!    - client level: the echo logic called in process vs `tools/call` through pincer's MCP
//!      client (`pincer::mcp::client::Connection::call`: JSON-RPC over the child's stdin and
//!      stdout, the fixture's rmcp server parsing and answering, the reply parsed back);
//!    - runtime level: a model-requested call of the built-in `read_file` (a 10-byte file)
//!      vs of `mcp__fx__echo`, timed from `Event::ToolCallStarted` to
//!      `Event::ToolCallFinished` as the front end receives them: both sides include
//!      argument parsing, the gate (an allow rule decides both), running, output capping and
//!      the untrusted-content envelope; the MCP side adds the hub lookup and the stdio round
//!      trip, the built-in side adds the `openat2` open and read.
//!
//! `cargo build --release --example mcp_fixture && cargo bench --bench mcp_cost`
//! (or `PINCER_MCP_FIXTURE=path`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support {
    #[path = "../../tests/support/events.rs"]
    pub mod events;
    #[path = "../../tests/support/mcp.rs"]
    pub mod mcp;
    #[path = "../../tests/support/mock_server.rs"]
    pub mod mock_server;
}

use std::hint::black_box;
use std::time::{Duration, Instant};

use pincer::config::McpServerConfig;
use pincer::mcp::client::Connection;
use pincer::protocol::{ApprovalDecision, Event, Op, ToolCallFinished, TurnDiagnostics};
use pincer::runtime::{self, RuntimeHandle};
use serde_json::{Map, Value, json};
use support::mcp::{Setup, fixture, next, policy_notes, settled, setup, turn, with_window};
use support::mock_server::*;

const LOCAL_WINDOW: u64 = 32_768;
const LARGE_WINDOW: u64 = 128_000;
const CLIENT_CALLS: usize = 500;
const RUNTIME_CALLS: usize = 25;

/// Settings with `servers`, a `window`-token window and `percent` as the MCP schema budget.
fn settings(url: &str, servers: Vec<McpServerConfig>, window: u64, percent: u8) -> Setup {
    let mut s = setup(url, servers, &["mcp__fx__*", "read_file"], &[]);
    s.settings.config.mcp.schema_budget_percent = percent;
    with_window(&mut s, url, window);
    s
}

/// One turn: the diagnostics pincer computed for its request, the request body as sent, and
/// pincer's note on how the MCP tools were offered.
async fn one_turn(
    servers: Vec<McpServerConfig>,
    window: u64,
    percent: u8,
) -> (TurnDiagnostics, Vec<u8>, String) {
    let server = MockServer::start(vec![Reply::sse(openai_sse(&["done"], None))]).await;
    let s = settings(&server.url(), servers.clone(), window, percent);
    let mut rt = runtime::spawn(s.settings);
    if !servers.is_empty() {
        settled(&mut rt).await;
    }
    let evs = turn(&mut rt, "look up record 7", ApprovalDecision::ApproveOnce).await;
    rt.ops.send(Op::Shutdown).unwrap();
    let notes = policy_notes(&evs);
    let diag = evs
        .into_iter()
        .find_map(|e| match e {
            Event::TurnDiagnostics(d) => Some(*d),
            _ => None,
        })
        .expect("a turn reports its diagnostics");
    let note = notes
        .lines()
        .find(|l| l.starts_with("MCP"))
        .unwrap_or("no MCP tools")
        .to_string();
    (diag, server.requests()[0].body.clone(), note)
}

fn request_row(label: &str, (diag, body, note): &(TurnDiagnostics, Vec<u8>, String)) {
    let json: Value = serde_json::from_slice(body).unwrap();
    let tools_bytes = json["tools"].to_string().len();
    let total = diag.tool_tokens + diag.system_tokens + diag.conversation_tokens;
    println!(
        "  {label:<36} {:>4} tools  schemas ~{:>6} tok  request ~{:>6} tok  body {:>7} B (tools {:>7} B)",
        diag.tools_offered.len(),
        diag.tool_tokens,
        total,
        body.len(),
        tools_bytes
    );
    println!("  {:<36} ({note})", "");
}

async fn request_tokens() {
    let many = || vec![fixture("fx", &["--many", "200"])];
    println!("request tokens, one turn (pincer's estimate: bytes / 4):");
    let none = one_turn(Vec::new(), LOCAL_WINDOW, 10).await;
    let all = one_turn(many(), LOCAL_WINDOW, 50).await;
    let search = one_turn(many(), LOCAL_WINDOW, 10).await;
    let large = one_turn(many(), LARGE_WINDOW, 10).await;
    request_row("32k: no MCP server", &none);
    request_row("32k: 206 MCP tools, all (50 %)", &all);
    request_row("32k: 206 MCP tools, default (10 %)", &search);
    request_row("128k: 206 MCP tools, default (10 %)", &large);
    println!(
        "  in 32k the fallback saves ~{} tokens and {} bytes a request",
        all.0.tool_tokens.saturating_sub(search.0.tool_tokens),
        all.1.len().saturating_sub(search.1.len())
    );
}

/// The fixture's `echo`, in process: what a direct call of the same work does.
fn echo(args: &Map<String, Value>) -> String {
    let t = args.get("text").and_then(Value::as_str).unwrap_or("");
    format!("echo: {t}")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn client_overhead() {
    let args: Map<String, Value> = json!({"text": "ping"}).as_object().cloned().unwrap();
    let direct = median(
        (0..CLIENT_CALLS)
            .map(|_| {
                let t = Instant::now();
                black_box(echo(black_box(&args)));
                t.elapsed()
            })
            .collect(),
    );
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let conn = Connection::connect(&fixture("fx", &[]), &std::env::temp_dir(), tx)
        .await
        .unwrap();
    let mut over_mcp = Vec::with_capacity(CLIENT_CALLS);
    for _ in 0..CLIENT_CALLS {
        let t = Instant::now();
        black_box(conn.call("echo", args.clone()).await.unwrap());
        over_mcp.push(t.elapsed());
    }
    conn.shutdown().await;
    let over_mcp = median(over_mcp);
    println!("per-call, client level (median of {CLIENT_CALLS}):");
    println!("  (in process: the fixture's echo function; via MCP: Connection::call → JSON-RPC");
    println!("   over the child's stdin → its rmcp server → the reply read back and parsed)");
    println!("  echo in process:                  {:>9.2} µs", us(direct));
    println!(
        "  echo via MCP stdio (Connection):  {:>9.2} µs",
        us(over_mcp)
    );
    println!(
        "  overhead of MCP over stdio:       {:>9.2} µs",
        us(over_mcp) - us(direct)
    );
}

/// The model calls `tool` with `args` in each of `n` turns; ToolCallStarted → ToolCallFinished.
async fn runtime_calls(tool: &str, args: &str) -> Vec<Duration> {
    let mut script = Vec::new();
    for i in 0..RUNTIME_CALLS {
        let id = format!("c{i}");
        script.push(Reply::sse(openai_tool_calls(None, &[(&id, tool, args)])));
        script.push(Reply::sse(openai_sse(&["done"], None)));
    }
    let server = MockServer::start(script).await;
    let s = settings(&server.url(), vec![fixture("fx", &[])], LARGE_WINDOW, 10);
    std::fs::write(s.settings.workspace.join("note.txt"), "echo: ping").unwrap();
    let mut rt = runtime::spawn(s.settings);
    settled(&mut rt).await;
    let mut times = Vec::new();
    for _ in 0..RUNTIME_CALLS {
        times.push(timed_call(&mut rt, tool).await);
    }
    rt.ops.send(Op::Shutdown).unwrap();
    times
}

/// One turn: the time between the call's start and finish events, checking it was allowed.
async fn timed_call(rt: &mut RuntimeHandle, tool: &str) -> Duration {
    rt.ops
        .send(Op::UserMessage {
            text: "call it".into(),
        })
        .unwrap();
    let mut started = None;
    let mut took = None;
    loop {
        match next(rt).await {
            Event::ToolCallStarted(_) => started = Some(Instant::now()),
            Event::ToolCallFinished(ToolCallFinished {
                tool: t,
                status,
                decided_by,
                ..
            }) => {
                took = started.map(|s| s.elapsed());
                assert_eq!(t, tool);
                assert!(
                    decided_by.contains("rule allow"),
                    "{decided_by}: {status:?}"
                );
            }
            Event::ApprovalRequested(_) => panic!("{tool} asked: the bench wants a rule"),
            Event::TurnFinished(_) => return took.expect("the model's call ran"),
            _ => {}
        }
    }
}

async fn runtime_overhead() {
    let builtin = median(runtime_calls("read_file", r#"{"path":"note.txt"}"#).await);
    let mcp = median(runtime_calls("mcp__fx__echo", r#"{"text":"ping"}"#).await);
    println!(
        "per-call, through the runtime (ToolCallStarted → ToolCallFinished, median of {RUNTIME_CALLS}):"
    );
    println!("  (both: parse, gate (an allow rule), run, cap, envelope, events; read_file adds");
    println!("   its openat2 + read, the MCP call the hub lookup and the stdio round trip)");
    println!(
        "  built-in read_file:               {:>9.2} µs",
        us(builtin)
    );
    println!("  mcp__fx__echo over stdio:         {:>9.2} µs", us(mcp));
    println!(
        "  difference:                       {:>9.2} µs",
        us(mcp) - us(builtin)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    request_tokens().await;
    client_overhead().await;
    runtime_overhead().await;
}
