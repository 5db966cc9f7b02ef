//! `pincer -p` against the mock server: stdout, stderr, exit codes, JSON events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::io::Write;
use std::process::{Output, Stdio};

use support::mock_server::*;

fn pincer(home: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = support::cli::pincer_command(home);
    cmd.args(args)
        .current_dir(home)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn base(server: &MockServer) -> String {
    format!("{}/v1", server.url())
}

#[test]
fn prompt_streams_reply_to_stdout_and_exits_zero() {
    let server = MockServer::start_blocking(vec![Reply::Sse(split_awkwardly(&openai_sse(
        &["Hé", "llo\x1b[31m red\x1b[0m", " 🦀"],
        Some((3, 4)),
    )))]);
    let home = tempfile::tempdir().unwrap();
    let out = pincer(
        home.path(),
        &["--base-url", &base(&server), "--model", "m", "-p", "hi"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, "Héllo[31m red[0m 🦀\n");
    assert!(
        !stdout.contains('\x1b'),
        "no escape codes in headless output"
    );
    assert_eq!(
        server.requests()[0].json().unwrap()["messages"][1]["content"],
        "hi"
    );
}

#[test]
fn prompt_from_stdin() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["ok"], None))]);
    let home = tempfile::tempdir().unwrap();
    let out = pincer(
        home.path(),
        &["--base-url", &base(&server), "--model", "m", "-p", "-"],
        Some("from stdin\n"),
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "ok\n");
    assert_eq!(
        server.requests()[0].json().unwrap()["messages"][1]["content"],
        "from stdin\n"
    );
}

#[test]
fn json_prints_one_event_per_line() {
    let server =
        MockServer::start_blocking(vec![Reply::sse(openai_sse(&["a", "b"], Some((1, 2))))]);
    let home = tempfile::tempdir().unwrap();
    let out = pincer(
        home.path(),
        &[
            "--base-url",
            &base(&server),
            "--model",
            "m",
            "-p",
            "x",
            "--json",
        ],
        None,
    );
    assert!(out.status.success());
    let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "session_configured",
            "context_usage",
            "policy_configured",
            "skills_changed",
            "session_stored",
            "user_message",
            "turn_diagnostics",
            "turn_started",
            "assistant_delta",
            "assistant_delta",
            "assistant_message_done",
            "turn_finished",
            "context_usage",
            "shutdown_complete"
        ]
    );
    assert_eq!(events[11]["usage"]["output_tokens"], 2);
    assert!(events[12]["window_tokens"].as_u64().unwrap() > 0);
}

#[test]
fn errors_go_to_stderr_with_exit_one() {
    let server = MockServer::start_blocking(vec![openai_error(401, "Incorrect API key provided")]);
    let home = tempfile::tempdir().unwrap();
    let out = pincer(
        home.path(),
        &["--base-url", &base(&server), "--model", "m", "-p", "x"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("authentication failed") && stderr.contains("Incorrect API key"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn no_provider_fails_fast_with_advice() {
    let home = tempfile::tempdir().unwrap();
    let out = pincer(home.path(), &["-p", "x"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("OPENAI_API_KEY") && stderr.contains("config.toml"),
        "{stderr}"
    );
}

#[test]
fn unknown_provider_and_bad_config_are_explained() {
    let home = tempfile::tempdir().unwrap();
    let out = pincer(home.path(), &["--provider", "nope", "-p", "x"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("unknown provider `nope`") && stderr.contains("ollama"),
        "{stderr}"
    );

    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/config.toml"),
        "default_provider = 3\n",
    )
    .unwrap();
    let out = pincer(home.path(), &["-p", "x"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("config.toml:1:"), "{stderr}");
}

#[test]
fn unreachable_server_is_a_clear_error_not_a_hang() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/config.toml"),
        "[network]\nmax_retries = 1\nretry_base_delay_ms = 10\n",
    )
    .unwrap();
    let out = pincer(
        home.path(),
        &["--base-url", &url, "--model", "m", "-p", "x"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("nothing is listening"), "{stderr}");
}

#[test]
fn config_commands() {
    let home = tempfile::tempdir().unwrap();
    let out = pincer(home.path(), &["config", "path"], None);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with(&home.path().join("config/config.toml").display().to_string())
    );
    let out = pincer(home.path(), &["config", "init"], None);
    assert!(out.status.success());
    assert!(home.path().join("config/config.toml").exists());
    let out = pincer(home.path(), &["config", "show"], None);
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(
        shown.contains("[providers.ollama]") && shown.contains("theme = \"dark\""),
        "{shown}"
    );
    std::fs::write(
        home.path().join("config/config.toml"),
        "[providers.x]\nkindd = 1\n",
    )
    .unwrap();
    let out = pincer(home.path(), &["config", "show"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("config.toml:2:1")
    );
}

#[test]
fn anthropic_profile_from_config() {
    let server = MockServer::start_blocking(vec![Reply::Sse(split_awkwardly(&crlf(
        &anthropic_sse(&["Bonjour ", "à toi"], Some((9, 4))),
    )))]);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/config.toml"),
        format!(
            "default_provider = \"claude\"\nsystem_prompt = \"be kind\"\n[providers.claude]\nkind = \"anthropic\"\nbase_url = \"{}\"\nmodel = \"claude-test\"\nmax_tokens = 77\n",
            server.url()
        ),
    )
    .unwrap();
    let out = pincer(home.path(), &["-p", "salut"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "Bonjour à toi\n");
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/messages");
    let body = req.json().unwrap();
    assert_eq!(
        (body["model"].as_str(), body["max_tokens"].as_u64()),
        (Some("claude-test"), Some(77))
    );
    assert!(
        body["system"].as_str().unwrap().ends_with("\n\nbe kind"),
        "the user's prompt follows pincer's"
    );
}

#[test]
fn tool_calls_headless_deny_unless_flags_allow_them() {
    let write = || {
        Reply::sse(openai_tool_calls(
            None,
            &[("c1", "write_file", r#"{"path":"out.txt","content":"x"}"#)],
        ))
    };
    let done = || Reply::sse(openai_sse(&["ok"], None));
    let server =
        MockServer::start_blocking(vec![write(), done(), write(), done(), write(), done()]);
    let home = tempfile::tempdir().unwrap();
    let base = base(&server);
    let args = |extra: &[&str]| {
        let mut a = vec![
            "--base-url",
            base.as_str(),
            "--model",
            "m",
            "-p",
            "write it",
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        pincer(home.path(), &refs, None)
    };
    let target = home.path().join("out.txt");

    let out = run(&[]);
    assert!(
        out.status.success(),
        "the turn completes; the call was denied"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("write_file: denied"), "{stderr}");
    assert!(!target.exists());
    let denial = server.requests()[1].json().unwrap().to_string();
    assert!(denial.contains("--allow"), "{denial}");

    let out = run(&["--allow", "write_file: out.txt"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("write_file: ok (rule allow: write_file: out.txt (--allow))")
    );
    assert!(target.exists());
    std::fs::remove_file(&target).unwrap();

    let out = run(&["--mode", "auto-edit", "--json"]);
    assert!(out.status.success());
    assert!(target.exists());
    let kinds: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        kinds.contains(&"tool_call_started".to_string())
            && kinds.contains(&"tool_call_finished".to_string()),
        "{kinds:?}"
    );

    let out = pincer(home.path(), &["--mode", "wild", "-p", "x"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("unknown mode `wild`")
    );
}

#[test]
fn the_text_of_separate_model_rounds_is_on_separate_lines() {
    let server = MockServer::start_blocking(vec![
        Reply::sse(openai_tool_calls(
            Some("Let me look."),
            &[("c1", "read_file", r#"{"path":"notes.txt"}"#)],
        )),
        Reply::sse(openai_sse(&["It says hi."], None)),
    ]);
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("notes.txt"), "hi\n").unwrap();
    let out = pincer(
        home.path(),
        &[
            "--base-url",
            &base(&server),
            "--model",
            "m",
            "-p",
            "read notes",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Let me look.\nIt says hi.\n"
    );
}
