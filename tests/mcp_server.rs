//! `pincer mcp serve` driven by rmcp's client over stdio: list, call, a denied call, the
//! allowlist.

#![cfg(feature = "mcp-server")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::path::Path;
use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;
use support::pty::write_config;

/// Generous on a loaded machine; a hang fails the test instead of blocking CI.
fn patience() -> Duration {
    let secs = std::env::var("PINCER_TEST_PATIENCE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(patience(), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within {:?}", patience()),
    }
}

struct Setup {
    _home: tempfile::TempDir,
    home: std::path::PathBuf,
    workspace: tempfile::TempDir,
}

fn setup(config: &str) -> Setup {
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), config);
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("notes.txt"), "alpha\nbeta\n").unwrap();
    Setup {
        home: home.path().to_path_buf(),
        _home: home,
        workspace,
    }
}

async fn serve(s: &Setup) -> RunningService<RoleClient, ()> {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pincer"));
    cmd.env("PINCER_HOME", &s.home)
        .arg("--cd")
        .arg(s.workspace.path())
        .args(["mcp", "serve"]);
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    within("handshake", ().serve(transport)).await.unwrap()
}

async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    args: serde_json::Value,
) -> (String, bool) {
    let mut params = CallToolRequestParams::new(tool.to_string());
    params.arguments = args.as_object().cloned();
    let result = within(tool, client.peer().call_tool(params)).await.unwrap();
    pincer::mcp::result::render(&result)
}

#[tokio::test]
async fn serves_read_only_tools_by_default() {
    let s = setup("");
    let client = serve(&s).await;
    let tools = within("tools/list", client.peer().list_all_tools())
        .await
        .unwrap();
    let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    assert_eq!(names, ["glob", "grep", "list_dir", "read_file"]);

    let (text, err) = call(&client, "read_file", json!({"path": "notes.txt"})).await;
    assert!(!err && text.contains("beta"), "{text}");

    let (text, err) = call(&client, "write_file", json!({"path": "x", "content": "y"})).await;
    assert!(err && text.contains("not served"), "{text}");
    assert!(!s.workspace.path().join("x").exists());
    within("close", client.cancel()).await.unwrap();
}

#[tokio::test]
async fn what_would_ask_is_denied_unless_a_rule_allows_it() {
    let s = setup("[mcp_server]\ntools = [\"read_file\", \"write_file\"]\n");
    let client = serve(&s).await;
    let (text, err) = call(
        &client,
        "write_file",
        json!({"path": "new.txt", "content": "hi"}),
    )
    .await;
    assert!(err && text.contains("cannot ask"), "{text}");
    assert!(!s.workspace.path().join("new.txt").exists());

    let outside = Path::new("/etc/hostname");
    let (text, err) = call(&client, "read_file", json!({"path": outside})).await;
    assert!(
        err,
        "a read outside the workspace asks, so it is refused: {text}"
    );
    within("close", client.cancel()).await.unwrap();

    let s = setup(
        "[mcp_server]\ntools = [\"write_file\"]\n[permissions]\nallow = [\"write_file: new.txt\"]\n",
    );
    let client = serve(&s).await;
    let (text, err) = call(
        &client,
        "write_file",
        json!({"path": "new.txt", "content": "hi"}),
    )
    .await;
    assert!(!err, "{text}");
    assert_eq!(
        std::fs::read_to_string(s.workspace.path().join("new.txt")).unwrap(),
        "hi"
    );
    within("close", client.cancel()).await.unwrap();
}

#[tokio::test]
async fn secrets_are_redacted_in_results() {
    let s = setup("");
    std::fs::write(
        s.workspace.path().join("env.txt"),
        "AWS_SECRET=AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let client = serve(&s).await;
    let (text, _) = call(&client, "read_file", json!({"path": "env.txt"})).await;
    assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"), "{text}");
    within("close", client.cancel()).await.unwrap();
}

/// Every path the served tools take stays beneath the workspace: `..`, absolute paths,
/// symlinks pointing out (to a folder, to a file), `/proc/self/…` — with and without a rule
/// allowing the tool — never show what is outside, neither its content nor its names.
#[tokio::test]
async fn served_tools_read_nothing_outside_the_workspace() {
    for config in [
        "",
        // A bare tool rule allows inside the workspace only; the fsat layer must hold anyway.
        "[permissions]\nallow = [\"read_file\", \"list_dir\", \"glob\", \"grep\"]\n",
    ] {
        let s = setup(config);
        let outside = tempfile::tempdir().unwrap();
        let out = outside.path().canonicalize().unwrap();
        std::fs::write(out.join("secret.txt"), "OUTSIDE-SECRET-4711\n").unwrap();
        let ws = s.workspace.path().canonicalize().unwrap();
        std::os::unix::fs::symlink(&out, ws.join("link")).unwrap();
        std::os::unix::fs::symlink(out.join("secret.txt"), ws.join("linkfile")).unwrap();
        let up = format!(
            "../{}/secret.txt",
            out.file_name().unwrap().to_string_lossy()
        );
        let abs = out.join("secret.txt").display().to_string();
        let via_proc = format!("/proc/self/root{abs}");
        let via_cwd = format!("/proc/self/cwd/{up}");
        let client = serve(&s).await;
        let attempts = [
            ("read_file", json!({"path": up})),
            ("read_file", json!({"path": abs})),
            ("read_file", json!({"path": "link/secret.txt"})),
            ("read_file", json!({"path": "linkfile"})),
            ("read_file", json!({"path": via_proc})),
            ("read_file", json!({"path": via_cwd})),
            ("read_file", json!({"path": "/proc/self/environ"})),
            ("list_dir", json!({"path": "link"})),
            ("list_dir", json!({"path": out.display().to_string()})),
            (
                "list_dir",
                json!({"path": format!("/proc/self/root{}", out.display())}),
            ),
            ("glob", json!({"pattern": "**/secret.txt"})),
            ("glob", json!({"pattern": "../**/secret.txt"})),
            ("glob", json!({"pattern": "*", "path": "link"})),
            (
                "glob",
                json!({"pattern": "*", "path": out.display().to_string()}),
            ),
            ("grep", json!({"pattern": "OUTSIDE"})),
            ("grep", json!({"pattern": "OUTSIDE", "path": "link"})),
            ("grep", json!({"pattern": "OUTSIDE", "path": "linkfile"})),
            ("grep", json!({"pattern": "OUTSIDE", "path": ".."})),
            ("grep", json!({"pattern": "OUTSIDE", "path": abs})),
        ];
        for (tool, args) in attempts {
            let (text, _) = call(&client, tool, args.clone()).await;
            // A listed name is a line of its own (a refusal may quote the path asked for).
            let lists_it = text
                .lines()
                .any(|l| l.trim().ends_with("secret.txt") && !l.trim().contains(' '));
            assert!(
                !text.contains("OUTSIDE-SECRET") && !lists_it,
                "config {config:?}: {tool} {args}: {text}"
            );
            assert!(!text.contains("PINCER_HOME="), "{tool} {args}: {text}");
        }
        // The workspace itself still reads.
        let (text, err) = call(&client, "read_file", json!({"path": "notes.txt"})).await;
        assert!(!err && text.contains("alpha"), "{text}");
        within("close", client.cancel()).await.unwrap();
    }
}
