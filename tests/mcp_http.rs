//! pincer's MCP client over streamable HTTP against a real rmcp HTTP server on loopback —
//! pincer's own server (`PincerServer`) served with rmcp's `StreamableHttpService` on hyper —
//! directly and through the hub: connect, list, call, custom headers, and a server
//! that is not there failing with a reason.

#![cfg(feature = "mcp-server")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pincer::config::{Config, McpServerConfig, McpTransport, ResolveError};
use pincer::mcp::client::Connection;
use pincer::mcp::server::PincerServer;
use pincer::runtime::RuntimeSettings;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use support::pty::write_config;
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
    serve_http_recording(workspace).await.0
}

/// The `Authorization` headers the server received (empty string: none).
type Seen = Arc<Mutex<Vec<String>>>;

/// As [`serve_http`], recording every request's `Authorization` header.
async fn serve_http_recording(workspace: PathBuf) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = StreamableHttpService::new(
        move || Ok(pincer_server(workspace.clone())),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let seen = Seen::default();
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            let record = record.clone();
            let svc =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let service = service.clone();
                    let auth = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    record.lock().unwrap().push(auth);
                    async move { Ok::<_, std::convert::Infallible>(service.handle(req).await) }
                });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (format!("http://{addr}/mcp"), seen)
}

fn http_server(name: &str, url: &str) -> McpServerConfig {
    support::mcp::server(
        name,
        McpTransport::Http {
            url: url.to_string(),
            bearer_token_env: None,
            headers: BTreeMap::from([("x-test".to_string(), "1".to_string())]),
        },
    )
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

/// A server with `bearer_token_env = var`.
fn with_token_env(url: &str, var: &str) -> McpServerConfig {
    let mut cfg = http_server("docs", url);
    if let McpTransport::Http {
        bearer_token_env, ..
    } = &mut cfg.transport
    {
        *bearer_token_env = Some(var.to_string());
    }
    cfg
}

const TOKEN: &str = "tok-3f9a1c77e2b4d5a6-never-shown";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bearer_token_is_sent_on_every_request_and_a_missing_variable_is_named() {
    let ws = tempfile::tempdir().unwrap();
    let (url, seen) = serve_http_recording(ws.path().canonicalize().unwrap()).await;
    let cfg = with_token_env(&url, "DOCS_MCP_TOKEN");
    let env = |name: &str| (name == "DOCS_MCP_TOKEN").then(|| TOKEN.to_string());
    let (tx, _rx) = unbounded_channel();
    let conn = Connection::connect_with_env(&cfg, ws.path(), tx, &env)
        .await
        .unwrap();
    assert_eq!(conn.list_tools().await.unwrap().len(), 2);
    conn.shutdown().await;
    let headers = seen.lock().unwrap().clone();
    assert!(headers.len() >= 2, "{headers:?}");
    let expected = format!("Bearer {TOKEN}");
    assert!(
        headers.iter().all(|h| h == &expected),
        "every request carries the token: {headers:?}"
    );

    // Unset or empty: a one-line error naming the variable and the server, nothing sent.
    for value in [None, Some(String::new())] {
        let before = seen.lock().unwrap().len();
        let env = move |_: &str| value.clone();
        let (tx, _rx) = unbounded_channel();
        let err = match Connection::connect_with_env(&cfg, ws.path(), tx, &env).await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("connected without the token"),
        };
        assert!(
            err.contains("DOCS_MCP_TOKEN") && err.contains("[mcp_servers.docs]"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        assert_eq!(
            seen.lock().unwrap().len(),
            before,
            "no request without the token"
        );
    }
}

/// `pincer mcp test docs` in `ws` with `PINCER_HOME=home`, the most verbose log, and the
/// token variable set to `token` (else unset).
async fn mcp_test(
    home: &std::path::Path,
    ws: &std::path::Path,
    token: Option<&'static str>,
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pincer"));
    cmd.args(["mcp", "test", "docs"])
        .current_dir(ws)
        .env("PINCER_HOME", home)
        .env("PINCER_LOG", "trace")
        .env_remove("PINCER_TEST_DOCS_TOKEN");
    if let Some(t) = token {
        cmd.env("PINCER_TEST_DOCS_TOKEN", t);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// `pincer mcp test` with the token in the environment (and the most verbose log): the
/// server gets it, neither the terminal nor the log shows it; without it, one line naming the
/// variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_reaches_the_screen_or_the_log() {
    let ws = tempfile::tempdir().unwrap();
    let (url, seen) = serve_http_recording(ws.path().canonicalize().unwrap()).await;
    let home = tempfile::tempdir().unwrap();
    write_config(
        home.path(),
        &format!(
            "[mcp_servers.docs]\nurl = {url:?}\nbearer_token_env = \"PINCER_TEST_DOCS_TOKEN\"\n"
        ),
    );
    let ok = mcp_test(home.path(), ws.path(), Some(TOKEN)).await;
    let stdout = String::from_utf8_lossy(&ok.stdout).to_string();
    let stderr = String::from_utf8_lossy(&ok.stderr).to_string();
    assert!(ok.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("mcp__docs__read_file"), "{stdout}");
    assert!(
        seen.lock().unwrap().iter().any(|h| h.contains(TOKEN)),
        "the server got the token"
    );
    let log = std::fs::read_to_string(home.path().join("state").join("pincer.log")).unwrap();
    assert!(!log.is_empty(), "the trace log was written");
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr), ("log", &log)] {
        assert!(!text.contains(TOKEN), "the token is in the {what}: {text}");
    }

    let missing = mcp_test(home.path(), ws.path(), None).await;
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr).to_string();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("PINCER_TEST_DOCS_TOKEN"), "{stderr}");
}
