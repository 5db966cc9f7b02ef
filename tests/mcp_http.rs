//! pincer's MCP client over streamable HTTP against a real rmcp HTTP server on loopback —
//! pincer's own server (`PincerServer`) served with rmcp's `StreamableHttpService` on hyper —
//! directly and through the hub: connect, list, call, custom headers, and a server
//! that is not there failing with a reason.

#![cfg(feature = "mcp-server")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pincer::config::{Config, McpServerConfig, McpTransport, ResolveError};
use pincer::mcp::client::Connection;
use pincer::mcp::server::PincerServer;
use pincer::runtime::RuntimeSettings;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;

fn pincer_server(workspace: PathBuf) -> PincerServer {
    let settings = RuntimeSettings::new(
        Config::default(),
        Err(ResolveError::NothingConfigured {
            config_path: String::new(),
        }),
        workspace,
    );
    PincerServer::new(
        &settings,
        &["read_file".to_string(), "list_dir".to_string()],
    )
}

/// Serve pincer's tools over streamable HTTP on a loopback port; the URL.
async fn serve_http(workspace: PathBuf) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = StreamableHttpService::new(
        move || Ok(pincer_server(workspace.clone())),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let svc = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}/mcp")
}

fn http_server(name: &str, url: &str) -> McpServerConfig {
    McpServerConfig {
        name: name.to_string(),
        transport: McpTransport::Http {
            url: url.to_string(),
            bearer_token_env: None,
            headers: BTreeMap::from([("x-test".to_string(), "1".to_string())]),
        },
        enabled: true,
        enabled_tools: None,
        disabled_tools: Vec::new(),
        startup_timeout: Duration::from_secs(60),
        tool_timeout: Duration::from_secs(60),
        mode: None,
        trust_annotations: false,
        source: "test".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_lists_and_calls_over_streamable_http() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), "over http\n").unwrap();
    let url = serve_http(ws.path().canonicalize().unwrap()).await;
    let (tx, _rx) = unbounded_channel();
    let conn = Connection::connect(&http_server("web", &url), ws.path(), tx)
        .await
        .unwrap();
    let mut names: Vec<String> = conn
        .list_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["list_dir", "read_file"]);
    let args = json!({"path": "notes.txt"}).as_object().cloned().unwrap();
    let result = conn.call("read_file", args).await.unwrap();
    let (text, is_error) = pincer::mcp::result::render(&result);
    assert!(!is_error && text.contains("over http"), "{text}");
    assert!(conn.pid().is_none(), "an HTTP server is no child process");
    conn.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_offers_http_tools_and_reports_an_unreachable_server() {
    let ws = tempfile::tempdir().unwrap();
    let url = serve_http(ws.path().canonicalize().unwrap()).await;
    // A port that was free a moment ago: nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/mcp", l.local_addr().unwrap())
    };
    let mut down = http_server("down", &closed);
    down.startup_timeout = Duration::from_secs(5);
    let (tx, mut rx) = unbounded_channel();
    let hub = pincer::mcp::hub::Hub::new(
        vec![http_server("web", &url), down],
        ws.path().to_path_buf(),
        tx,
    );
    hub.start();
    let deadline = Duration::from_secs(120);
    tokio::time::timeout(deadline, async {
        while !hub.connecting().is_empty() {
            rx.recv().await.unwrap();
        }
    })
    .await
    .expect("servers settle");
    let offered: Vec<String> = hub.offered().into_iter().map(|t| t.name).collect();
    assert_eq!(offered, ["mcp__web__list_dir", "mcp__web__read_file"]);
    let status = hub.status();
    let down = status.iter().find(|s| s.name == "down").unwrap();
    assert!(
        matches!(&down.state, pincer::mcp::hub::ServerState::Failed { reason } if !reason.is_empty()),
        "{down:?}"
    );
    hub.shutdown().await;
}
