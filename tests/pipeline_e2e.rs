//! The pipeline through the real binary and the mock server: token targets measured on the
//! recorded request bodies (bytes / 4), the diagnostics event in `--json`, `pincer explain`
//! without any model, and a call to a tool the policy did not offer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::path::Path;
use std::process::{Output, Stdio};

use support::mock_server::*;

fn pincer(home: &Path, cwd: &Path, args: &[&str]) -> Output {
    support::cli::pincer_command(home)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn base(server: &MockServer) -> String {
    format!("{}/v1", server.url())
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A repository like a real one: `.git`, an AGENTS.md, some source.
fn repo(dir: &Path) {
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("AGENTS.md"),
        "# Agent notes\n\nRun `cargo test` before saying a change is done.\nKeep functions short; no unwrap outside tests.\nErrors say what went wrong and what to do.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "fn main() {\n    println!(\"hi\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
}

#[test]
fn what_is_two_plus_two_costs_at_most_600_tokens_in_a_fresh_home() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["4"], None))]);
    let home = tempfile::tempdir().unwrap();
    let out = pincer(
        home.path(),
        home.path(),
        &[
            "--base-url",
            &base(&server),
            "--model",
            "m",
            "-p",
            "What is 2+2?",
        ],
    );
    assert_eq!(ok(&out), "4\n");
    let req = &server.requests()[0];
    let tokens = req.body.len().div_ceil(4);
    eprintln!(
        "\"What is 2+2?\": first request {} bytes ≈ {tokens} tokens",
        req.body.len()
    );
    assert!(
        tokens <= 600,
        "{tokens} tokens: {}",
        String::from_utf8_lossy(&req.body)
    );
    let body = req.json().unwrap();
    assert!(
        body.get("tools")
            .is_none_or(|t| t.as_array().unwrap().is_empty()),
        "no tools for 2+2: {body}"
    );
}

#[test]
fn a_code_change_in_a_repository_costs_at_most_3000_tokens_before_tool_output() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["done"], None))]);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    repo(ws.path());
    let out = pincer(
        home.path(),
        ws.path(),
        &[
            "--base-url",
            &base(&server),
            "--model",
            "m",
            "-p",
            "Add a --verbose flag to src/main.rs that prints each step",
        ],
    );
    ok(&out);
    let req = &server.requests()[0];
    let tokens = req.body.len().div_ceil(4);
    eprintln!(
        "code change: first request {} bytes ≈ {tokens} tokens",
        req.body.len()
    );
    assert!(tokens <= 3_000, "{tokens} tokens");
    let body = req.json().unwrap();
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    for t in ["read_file", "edit_file", "write_file", "shell", "grep"] {
        assert!(
            tools.contains(&t),
            "{t} offered for a code change: {tools:?}"
        );
    }
    assert!(!tools.contains(&"web_fetch"), "{tools:?}");
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("Run `cargo test` before saying a change is done."),
        "AGENTS.md in the prompt: {system}"
    );
}

#[test]
fn json_output_has_one_diagnostics_event_per_turn_before_the_reply() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["4"], None))]);
    let home = tempfile::tempdir().unwrap();
    let out = pincer(
        home.path(),
        home.path(),
        &[
            "--base-url",
            &base(&server),
            "--model",
            "m",
            "-p",
            "What is 2+2?",
            "--json",
        ],
    );
    let stdout = ok(&out);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    let diag: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "turn_diagnostics")
        .collect();
    assert_eq!(diag.len(), 1, "{kinds:?}");
    let d = diag[0];
    assert_eq!(d["spec"]["task"], "answer");
    assert_eq!(d["spec"]["complexity"], "trivial");
    assert_eq!(d["policy"]["tool_set"], "none");
    assert_eq!(d["tools_offered"].as_array().unwrap().len(), 0);
    assert_eq!(d["model"], "m");
    let segments: Vec<(&str, &str)> = d["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert!(segments.contains(&("kernel", "admitted")), "{segments:?}");
    assert!(
        segments.contains(&("tool contract", "rejected")),
        "{segments:?}"
    );
    assert!(
        segments.contains(&("skills catalog", "rejected")),
        "{segments:?}"
    );
    let at = |k: &str| kinds.iter().position(|x| *x == k).unwrap();
    assert!(at("turn_diagnostics") < at("assistant_delta"), "{kinds:?}");
}

#[test]
fn explain_prints_the_plan_without_any_model() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    repo(ws.path());
    // No provider configured at all: explain needs none.
    let out = pincer(
        home.path(),
        ws.path(),
        &["explain", "Fix the failing test in tests/parse.rs"],
    );
    let text = ok(&out);
    assert!(
        text.starts_with("task        debug · bounded · risk medium"),
        "{text}"
    );
    assert!(text.contains("targets     path tests/parse.rs"), "{text}");
    assert!(
        text.contains("  task          debug.en ← failing"),
        "{text}"
    );
    assert!(text.contains("policy      debug · tools editing"), "{text}");
    assert!(text.contains("project instructions"), "{text}");
    assert!(
        text.contains("tools       read_file, list_dir, glob, grep, write_file, edit_file, shell"),
        "{text}"
    );
    assert!(text.contains("model       (none configured)"), "{text}");

    let out = pincer(
        home.path(),
        ws.path(),
        &["explain", "--json", "Was ist 2+2?"],
    );
    let d: serde_json::Value = serde_json::from_str(ok(&out).trim()).unwrap();
    assert_eq!(d["spec"]["task"], "answer");
    assert_eq!(d["spec"]["language"], "de");
    assert_eq!(d["policy"]["tool_set"], "none");
    // AGENTS.md is found but a trivial answer has no room for it.
    let seg = d["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "project instructions")
        .unwrap();
    assert_eq!(seg["status"], "rejected");
}

#[test]
fn a_call_to_a_tool_not_offered_gets_an_error_and_widens_the_offer() {
    let server = MockServer::start_blocking(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[("c1", "list_dir", r#"{"path":"src"}"#)],
        )),
        Reply::sse(openai_sse(&["4"], None)),
    ]);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("src")).unwrap();
    let out = pincer(
        home.path(),
        home.path(),
        &[
            "--base-url",
            &base(&server),
            "--model",
            "m",
            "-p",
            "What is 2+2?",
        ],
    );
    ok(&out);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let second = reqs[1].json().unwrap();
    let messages = second["messages"].as_array().unwrap();
    let result = messages.iter().find(|m| m["role"] == "tool").unwrap();
    let content = result["content"].as_str().unwrap();
    assert!(
        content.contains("`list_dir` was not offered for this task"),
        "{content}"
    );
    let tools = second["tools"].as_array().unwrap();
    assert!(
        tools.iter().any(|t| t["function"]["name"] == "list_dir"),
        "offered from the next round"
    );
    // The call is shown as the gate would describe it, not by its bare name.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("⚙ List src/"), "{stderr}");
}
