//! MCP client costs against the fixture server (`examples/mcp_fixture.rs`) over stdio:
//!
//! - `spawn_to_tools_listed`: spawn the server, MCP handshake, `tools/list`, stop it;
//! - `echo_round_trip`: one `tools/call` on a connected server (the per-call overhead);
//! - `list_200_tools`: `tools/list` of a server with 200 extra tools.
//!
//! Build the fixture in the same profile first:
//! `cargo build --release --example mcp_fixture && cargo bench --bench mcp_start`
//! (or point `PINCER_MCP_FIXTURE` at a fixture binary). `benches/mcp_cost.rs` sets these
//! against a direct call and counts a request's tokens with 200 tools.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support {
    #[path = "../../tests/support/events.rs"]
    pub mod events;
    #[path = "../../tests/support/mcp.rs"]
    pub mod mcp;
}

use divan::{Bencher, black_box};
use pincer::config::McpServerConfig;
use pincer::mcp::client::Connection;
use serde_json::{Map, Value, json};
use support::mcp::fixture;

fn main() {
    divan::main();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn connect(cfg: &McpServerConfig) -> Connection {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    Connection::connect(cfg, &std::env::temp_dir(), tx)
        .await
        .unwrap()
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn spawn_to_tools_listed(bencher: Bencher) {
    let rt = runtime();
    let cfg = fixture("fx", &[]);
    bencher.bench_local(|| {
        rt.block_on(async {
            let conn = connect(&cfg).await;
            let tools = conn.list_tools().await.unwrap();
            conn.shutdown().await;
            black_box(tools.len())
        })
    });
}

#[divan::bench(sample_count = 200)]
fn echo_round_trip(bencher: Bencher) {
    let rt = runtime();
    let conn = rt.block_on(connect(&fixture("fx", &[])));
    let args: Map<String, Value> = json!({"text": "ping"}).as_object().cloned().unwrap();
    bencher.bench_local(|| {
        rt.block_on(async {
            let r = conn.call("echo", args.clone()).await.unwrap();
            black_box(r)
        })
    });
    rt.block_on(conn.shutdown());
}

#[divan::bench(sample_count = 50)]
fn list_200_tools(bencher: Bencher) {
    let rt = runtime();
    let conn = rt.block_on(connect(&fixture("fx", &["--many", "200"])));
    bencher
        .bench_local(|| rt.block_on(async { black_box(conn.list_tools().await.unwrap().len()) }));
    rt.block_on(conn.shutdown());
}
