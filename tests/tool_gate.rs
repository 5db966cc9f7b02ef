//! Tool calls through the runtime against the scripted mock model: nothing runs without the
//! decision the policy demands, in every mode. Side effects are counted on disk.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{ApprovalRequested, ToolCallFinished, TurnFinished};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pincer::config::{Config, Limits, NetworkConfig, Permissions, ResolvedProvider};
use pincer::protocol::{
    ApprovalDecision, ApprovalMode, ApprovalPreview, ErrorKind, Event, Op, ProviderKind,
    ToolStatus, TurnOutcome,
};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use serde_json::Value;
use support::mock_server::*;

struct Setup {
    server: MockServer,
    work: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Setup {
    async fn new(script: Vec<Reply>) -> Setup {
        Setup {
            server: MockServer::start(script).await,
            work: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn workspace(&self) -> PathBuf {
        std::fs::canonicalize(self.work.path()).unwrap()
    }

    fn config_path(&self) -> PathBuf {
        self.home.path().join("config.toml")
    }

    fn settings(&self, mode: ApprovalMode, interactive: bool) -> RuntimeSettings {
        let config = Config {
            mode,
            network: NetworkConfig {
                retry_base_delay_ms: 5,
                stream_idle_timeout_ms: 10_000,
                ..NetworkConfig::default()
            },
            ..Config::default()
        };
        let provider = ResolvedProvider {
            profile: "mock".into(),
            kind: ProviderKind::Openai,
            base_url: format!("{}/v1", self.server.url()),
            model: "m".into(),
            api_key: None,
            api_key_env: None,
            max_tokens: 100,
        };
        let mut s = RuntimeSettings::new(config, Ok(provider), self.workspace());
        s.config_path = self.config_path();
        s.database = Some(self.home.path().join("pincer.db"));
        s.temp_dir = self.home.path().join("tmp");
        s.env = Arc::new(|_: &str| None);
        s.interactive = interactive;
        s.exe = PathBuf::from(env!("CARGO_BIN_EXE_pincer"));
        s
    }
}

async fn next(rt: &mut RuntimeHandle) -> Event {
    tokio::time::timeout(Duration::from_secs(15), rt.events.recv())
        .await
        .expect("an event within 15 s")
        .expect("runtime alive")
}

async fn until(rt: &mut RuntimeHandle, stop: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let ev = next(rt).await;
        let done = stop(&ev);
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

fn finished(e: &Event) -> bool {
    matches!(e, Event::TurnFinished(_))
}

fn asked(e: &Event) -> bool {
    matches!(e, Event::ApprovalRequested(_))
}

async fn start(s: RuntimeSettings) -> RuntimeHandle {
    let mut rt = runtime::spawn(s);
    until(&mut rt, |e| matches!(e, Event::PolicyConfigured { .. })).await;
    rt
}

fn say(rt: &RuntimeHandle, text: &str) {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
}

fn tool_results(events: &[Event]) -> Vec<(ToolStatus, String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallFinished(ToolCallFinished {
                status,
                decided_by,
                output,
                ..
            }) => Some((*status, decided_by.clone(), output.clone())),
            _ => None,
        })
        .collect()
}

/// The tool result messages the model received in request `n`.
fn results_sent(server: &MockServer, n: usize) -> Vec<String> {
    server.requests()[n].json().unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn write_call(path: &str) -> Reply {
    Reply::sse(openai_tool_calls(
        None,
        &[(
            "c1",
            "write_file",
            &format!(r#"{{"path":{path:?},"content":"hi\n"}}"#),
        )],
    ))
}

fn done() -> Reply {
    Reply::sse(openai_sse(&["done"], None))
}

fn outcome(events: &[Event]) -> TurnOutcome {
    events
        .iter()
        .find_map(|e| match e {
            Event::TurnFinished(TurnFinished { outcome, .. }) => Some(*outcome),
            _ => None,
        })
        .unwrap()
}

#[tokio::test]
async fn ask_mode_deny_keeps_the_disk_untouched_and_tells_the_model() {
    let t = Setup::new(vec![write_call("out.txt"), done()]).await;
    let mut rt = start(t.settings(ApprovalMode::Ask, true)).await;
    say(&rt, "write it");
    let events = until(&mut rt, asked).await;
    let Some(Event::ApprovalRequested(ApprovalRequested {
        request_id,
        summary,
        preview,
        suggested_rule,
        reason,
        ..
    })) = events.last()
    else {
        panic!()
    };
    assert!(summary.contains("out.txt"), "{summary}");
    assert!(reason.contains("mode ask"), "{reason}");
    assert!(
        matches!(preview, ApprovalPreview::Diff { diff, .. } if diff.contains("+hi")),
        "{preview:?}"
    );
    assert_eq!(suggested_rule, "write_file: out.txt");
    assert!(
        !t.work.path().join("out.txt").exists(),
        "nothing before the answer"
    );
    rt.ops
        .send(Op::ApprovalDecision {
            request_id: *request_id,
            decision: ApprovalDecision::Deny {
                reason: Some("not there".into()),
            },
        })
        .unwrap();
    let events = until(&mut rt, finished).await;
    assert_eq!(tool_results(&events)[0].0, ToolStatus::Denied);
    assert!(!t.work.path().join("out.txt").exists());
    let sent = results_sent(&t.server, 1);
    assert!(
        sent[0].contains("denied") && sent[0].contains("not there"),
        "{sent:?}"
    );
}

#[tokio::test]
async fn approve_once_runs_it_and_the_audit_log_says_who_decided() {
    let t = Setup::new(vec![write_call("out.txt"), done()]).await;
    let mut rt = start(t.settings(ApprovalMode::Ask, true)).await;
    say(&rt, "write it");
    let Some(Event::ApprovalRequested(ApprovalRequested { request_id, .. })) =
        until(&mut rt, asked).await.pop()
    else {
        panic!()
    };
    rt.ops
        .send(Op::ApprovalDecision {
            request_id,
            decision: ApprovalDecision::ApproveOnce,
        })
        .unwrap();
    let events = until(&mut rt, finished).await;
    assert_eq!(tool_results(&events)[0].0, ToolStatus::Ok);
    assert_eq!(
        std::fs::read_to_string(t.work.path().join("out.txt")).unwrap(),
        "hi\n"
    );
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    let store = pincer::store::Store::open(&t.home.path().join("pincer.db")).unwrap();
    let audit = store.list_audit(10).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (
            audit[0].tool.as_str(),
            audit[0].decision.as_str(),
            audit[0].status.as_str()
        ),
        ("write_file", "approved", "ok")
    );
    assert!(audit[0].decided_by.starts_with("user"));
}

#[tokio::test]
async fn always_saves_a_rule_and_the_same_call_later_runs_without_asking() {
    let t = Setup::new(vec![
        write_call("out.txt"),
        done(),
        write_call("out.txt"),
        done(),
    ])
    .await;
    let mut rt = start(t.settings(ApprovalMode::Ask, true)).await;
    say(&rt, "write it");
    let Some(Event::ApprovalRequested(ApprovalRequested { request_id, .. })) =
        until(&mut rt, asked).await.pop()
    else {
        panic!()
    };
    rt.ops
        .send(Op::ApprovalDecision {
            request_id,
            decision: ApprovalDecision::ApproveAlways {
                rule: "write_file: out.txt".into(),
            },
        })
        .unwrap();
    until(&mut rt, finished).await;
    let saved = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(saved.contains("write_file: out.txt"), "{saved}");
    std::fs::remove_file(t.work.path().join("out.txt")).unwrap();
    say(&rt, "again");
    let events = until(&mut rt, finished).await;
    assert!(!events.iter().any(asked), "no second question");
    let results = tool_results(&events);
    assert_eq!(results[0].0, ToolStatus::Ok);
    assert!(
        results[0].1.contains("rule allow: write_file: out.txt"),
        "{results:?}"
    );
    assert!(t.work.path().join("out.txt").exists());
    // The saved file is a valid config with that rule.
    let config = Config::load(&t.config_path()).unwrap();
    assert_eq!(config.permissions.allow, vec!["write_file: out.txt"]);
}

#[tokio::test]
async fn approve_for_the_session_covers_the_suggested_pattern() {
    let call = |cmd: &str| {
        Reply::sse(openai_tool_calls(
            None,
            &[("c", "shell", &format!(r#"{{"command":{cmd:?}}}"#))],
        ))
    };
    let t = Setup::new(vec![
        call("echo one > a.txt"),
        done(),
        call("echo two > b.txt"),
        done(),
    ])
    .await;
    let mut rt = start(t.settings(ApprovalMode::Ask, true)).await;
    say(&rt, "one");
    let Some(Event::ApprovalRequested(ApprovalRequested {
        request_id,
        suggested_rule,
        ..
    })) = until(&mut rt, asked).await.pop()
    else {
        panic!()
    };
    assert_eq!(
        suggested_rule, "shell: echo one > a.txt",
        "compound commands suggest exact rules"
    );
    rt.ops
        .send(Op::ApprovalDecision {
            request_id,
            decision: ApprovalDecision::ApproveSession { rule: None },
        })
        .unwrap();
    until(&mut rt, finished).await;
    assert!(t.work.path().join("a.txt").exists());
    say(&rt, "two");
    let events = until(&mut rt, |e| finished(e) || asked(e)).await;
    assert!(
        asked(events.last().unwrap()),
        "a different command asks again"
    );
    assert!(!t.config_path().exists(), "session approvals are not saved");
}

#[tokio::test]
async fn headless_never_blocks_and_says_how_to_allow() {
    let t = Setup::new(vec![write_call("out.txt"), done()]).await;
    let mut rt = start(t.settings(ApprovalMode::Ask, false)).await;
    say(&rt, "write it");
    let events = until(&mut rt, finished).await;
    assert!(!events.iter().any(asked));
    assert_eq!(tool_results(&events)[0].0, ToolStatus::Denied);
    assert!(!t.work.path().join("out.txt").exists());
    let sent = results_sent(&t.server, 1);
    assert!(
        sent[0].contains("--allow \"write_file: out.txt\""),
        "{sent:?}"
    );
}

#[tokio::test]
async fn plan_mode_offers_and_runs_read_only_tools_only() {
    let t = Setup::new(vec![write_call("out.txt"), done()]).await;
    let mut s = t.settings(ApprovalMode::Plan, true);
    s.config.permissions = Permissions {
        allow: vec!["write_file".into()],
        ..Permissions::default()
    };
    let mut rt = start(s).await;
    say(&rt, "write it");
    let events = until(&mut rt, finished).await;
    assert!(!events.iter().any(asked));
    let results = tool_results(&events);
    assert_eq!(results[0].0, ToolStatus::Denied);
    assert!(results[0].1.contains("plan"), "{results:?}");
    assert!(!t.work.path().join("out.txt").exists());
    let offered: Vec<String> = t.server.requests()[0].json().unwrap()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        offered.contains(&"read_file".to_string()) && !offered.contains(&"write_file".to_string()),
        "{offered:?}"
    );
}

#[tokio::test]
async fn auto_edit_writes_but_asks_for_shell_and_yolo_runs_both() {
    let shell = Reply::sse(openai_tool_calls(
        None,
        &[("s", "shell", r#"{"command":"touch made-by-shell"}"#)],
    ));
    let t = Setup::new(vec![write_call("out.txt"), done(), shell.clone(), done()]).await;
    let mut rt = start(t.settings(ApprovalMode::AutoEdit, false)).await;
    say(&rt, "write");
    assert_eq!(
        tool_results(&until(&mut rt, finished).await)[0].0,
        ToolStatus::Ok
    );
    assert!(t.work.path().join("out.txt").exists());
    say(&rt, "shell");
    assert_eq!(
        tool_results(&until(&mut rt, finished).await)[0].0,
        ToolStatus::Denied
    );
    assert!(!t.work.path().join("made-by-shell").exists());

    let t = Setup::new(vec![shell, done()]).await;
    let mut rt = start(t.settings(ApprovalMode::Yolo, false)).await;
    say(&rt, "shell");
    let events = until(&mut rt, finished).await;
    assert_eq!(
        tool_results(&events)[0].0,
        ToolStatus::Ok,
        "{:?}",
        tool_results(&events)
    );
    assert!(t.work.path().join("made-by-shell").exists());
}

#[tokio::test]
async fn a_deny_rule_shadows_an_allow_rule() {
    let t = Setup::new(vec![write_call("secret.txt"), done()]).await;
    let mut s = t.settings(ApprovalMode::Yolo, true);
    s.config.permissions = Permissions {
        allow: vec!["write_file: *".into()],
        deny: vec!["write_file: secret.txt".into()],
        ..Permissions::default()
    };
    let mut rt = start(s).await;
    say(&rt, "x");
    let results = tool_results(&until(&mut rt, finished).await);
    assert_eq!(results[0].0, ToolStatus::Denied);
    assert!(
        results[0].1.contains("rule deny: write_file: secret.txt"),
        "{results:?}"
    );
    assert!(!t.work.path().join("secret.txt").exists());
}

#[tokio::test]
async fn malformed_arguments_and_unknown_tools_go_back_to_the_model() {
    let t = Setup::new(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[
                ("a", "write_file", r#"{"path": 5}"#),
                ("b", "launch_rockets", "{}"),
                ("c", "read_file", "{oops"),
            ],
        )),
        done(),
    ])
    .await;
    let mut rt = start(t.settings(ApprovalMode::Yolo, true)).await;
    say(&rt, "x");
    let events = until(&mut rt, finished).await;
    assert_eq!(outcome(&events), TurnOutcome::Completed);
    let sent = results_sent(&t.server, 1);
    assert_eq!(sent.len(), 3);
    assert!(sent[0].contains("path must be a string"), "{sent:?}");
    assert!(
        sent[1].contains("no tool named `launch_rockets`") && sent[1].contains("read_file"),
        "{sent:?}"
    );
    assert!(sent[2].contains("not valid JSON"), "{sent:?}");
    assert_eq!(std::fs::read_dir(t.work.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn paths_outside_the_workspace_ask_even_in_yolo() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "s3cret").unwrap();
    let t = Setup::new(vec![]).await;
    std::os::unix::fs::symlink(outside.path(), t.work.path().join("link")).unwrap();
    for (args, expect_in_summary) in [
        (
            r#"{"path":"../../../../../../etc/passwd"}"#.to_string(),
            "/etc/passwd",
        ),
        (r#"{"path":"link/secret"}"#.to_string(), "secret"),
    ] {
        t.server.push(Reply::sse(openai_tool_calls(
            None,
            &[("r", "read_file", &args)],
        )));
        t.server.push(done());
        // Interactive: asks, and denying keeps the content from the model.
        let mut rt = start(t.settings(ApprovalMode::Yolo, true)).await;
        say(&rt, "read");
        let Some(Event::ApprovalRequested(ApprovalRequested {
            request_id,
            reason,
            summary,
            ..
        })) = until(&mut rt, asked).await.pop()
        else {
            panic!()
        };
        assert!(reason.contains("outside the workspace"), "{reason}");
        assert!(summary.contains(expect_in_summary), "{summary}");
        rt.ops
            .send(Op::ApprovalDecision {
                request_id,
                decision: ApprovalDecision::Deny { reason: None },
            })
            .unwrap();
        until(&mut rt, finished).await;
        let n = t.server.requests().len();
        assert!(!results_sent(&t.server, n - 1)[0].contains("s3cret"));
        // Headless: denied without asking.
        t.server.push(Reply::sse(openai_tool_calls(
            None,
            &[("r", "read_file", &args)],
        )));
        t.server.push(done());
        let mut rt = start(t.settings(ApprovalMode::Yolo, false)).await;
        say(&rt, "read");
        let results = tool_results(&until(&mut rt, finished).await);
        assert_eq!(results[0].0, ToolStatus::Denied, "{results:?}");
    }
}

#[tokio::test]
async fn sandboxed_shell_cannot_reach_the_network_or_write_outside() {
    if !matches!(
        pincer::sandbox::availability(),
        pincer::sandbox::Availability::Available { .. }
    ) {
        eprintln!("skipped: no Landlock here");
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("escaped");
    let cmd = format!(
        "bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}' ; touch {}",
        target.display()
    );
    let t = Setup::new(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[(
                "s",
                "shell",
                &serde_json::json!({"command": cmd}).to_string(),
            )],
        )),
        done(),
    ])
    .await;
    let mut rt = start(t.settings(ApprovalMode::Yolo, false)).await;
    say(&rt, "try");
    let results = tool_results(&until(&mut rt, finished).await);
    assert_eq!(results[0].0, ToolStatus::Error, "{results:?}");
    assert!(listener.accept().is_err(), "the listener got no connection");
    assert!(!target.exists(), "nothing written outside the workspace");
}

#[tokio::test]
async fn the_loop_is_bounded() {
    let read = || Reply::sse(openai_tool_calls(None, &[("r", "list_dir", "{}")]));
    let t = Setup::new(vec![read(), read(), read(), read()]).await;
    let mut s = t.settings(ApprovalMode::Ask, true);
    s.config.limits = Limits {
        max_rounds: 2,
        ..Limits::default()
    };
    let mut rt = start(s).await;
    say(&rt, "loop");
    let events = until(&mut rt, finished).await;
    let err = events.iter().find_map(|e| match e {
        Event::Error {
            kind: ErrorKind::LimitReached,
            message,
            ..
        } => Some(message.clone()),
        _ => None,
    });
    assert!(err.unwrap().contains("max_rounds"));
    assert_eq!(t.server.requests().len(), 2);
    assert_eq!(outcome(&events), TurnOutcome::Failed);

    let missing = || {
        Reply::sse(openai_tool_calls(
            None,
            &[("r", "read_file", r#"{"path":"nope.txt"}"#)],
        ))
    };
    let t = Setup::new(vec![missing(), missing(), missing(), missing()]).await;
    let mut s = t.settings(ApprovalMode::Ask, true);
    s.config.limits = Limits {
        max_consecutive_tool_errors: 2,
        ..Limits::default()
    };
    let mut rt = start(s).await;
    say(&rt, "loop");
    let events = until(&mut rt, finished).await;
    assert!(events.iter().any(|e| matches!(e, Event::Error { kind: ErrorKind::LimitReached, message, .. } if message.contains("in a row"))));
    assert_eq!(t.server.requests().len(), 2);

    let many: Vec<(String, String, String)> = (0..5)
        .map(|i| (format!("c{i}"), "list_dir".to_string(), "{}".to_string()))
        .collect();
    let refs: Vec<(&str, &str, &str)> = many
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let t = Setup::new(vec![Reply::sse(openai_tool_calls(None, &refs))]).await;
    let mut s = t.settings(ApprovalMode::Ask, true);
    s.config.limits = Limits {
        max_tool_calls_per_round: 3,
        ..Limits::default()
    };
    let mut rt = start(s).await;
    say(&rt, "many");
    let events = until(&mut rt, finished).await;
    assert!(events.iter().any(|e| matches!(e, Event::Error { kind: ErrorKind::LimitReached, message, .. } if message.contains("max_tool_calls_per_round"))));
    assert!(
        tool_results(&events)
            .iter()
            .all(|r| r.0 == ToolStatus::Interrupted)
    );
}

#[tokio::test]
async fn interrupting_a_running_command_kills_it_and_a_pending_approval_runs_nothing() {
    let t = Setup::new(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[("s", "shell", r#"{"command":"sleep 30; touch late"}"#)],
        )),
        write_call("never.txt"),
    ])
    .await;
    let mut rt = start(t.settings(ApprovalMode::Yolo, true)).await;
    say(&rt, "sleep");
    until(&mut rt, |e| matches!(e, Event::ToolCallStarted(_))).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let begun = Instant::now();
    rt.ops.send(Op::Interrupt).unwrap();
    let events = until(&mut rt, finished).await;
    assert!(begun.elapsed() < Duration::from_secs(5));
    assert_eq!(tool_results(&events)[0].0, ToolStatus::Interrupted);
    assert_eq!(outcome(&events), TurnOutcome::Interrupted);

    let mut rt = start(t.settings(ApprovalMode::Ask, true)).await;
    say(&rt, "write");
    until(&mut rt, asked).await;
    rt.ops.send(Op::Interrupt).unwrap();
    let events = until(&mut rt, finished).await;
    assert_eq!(outcome(&events), TurnOutcome::Interrupted);
    assert!(!t.work.path().join("never.txt").exists());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!t.work.path().join("late").exists());
}

#[tokio::test]
async fn long_tool_output_reaches_the_model_compressed() {
    let cmd = r#"for i in $(seq 1 5000); do echo "line $i of a long build log"; done"#;
    let t = Setup::new(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[(
                "s",
                "shell",
                &serde_json::json!({"command": cmd}).to_string(),
            )],
        )),
        done(),
    ])
    .await;
    let mut rt = start(t.settings(ApprovalMode::Yolo, true)).await;
    say(&rt, "log");
    let events = until(&mut rt, finished).await;
    let shown = &tool_results(&events)[0].2;
    assert!(
        shown.contains("line 5000 of"),
        "the UI keeps the whole output"
    );
    let sent = &results_sent(&t.server, 1)[0];
    assert!(
        sent.len() <= Limits::default().tool_output_max_bytes + 200,
        "{}",
        sent.len()
    );
    assert!(
        sent.contains("line 1 of") && sent.contains("line 5000 of") && sent.contains("omitted"),
        "head, tail and a marker"
    );
}

#[tokio::test]
async fn anthropic_tool_use_round_trip() {
    let t = Setup::new(vec![
        Reply::sse(anthropic_tool_use(
            Some("Looking."),
            &[("toolu_1", "list_dir", "{}")],
        )),
        Reply::sse(anthropic_sse(&["Empty dir."], None)),
    ])
    .await;
    let mut s = t.settings(ApprovalMode::Ask, true);
    if let Ok(p) = &mut s.provider {
        p.kind = ProviderKind::Anthropic;
        p.base_url = t.server.url();
    }
    let mut rt = start(s).await;
    say(&rt, "what is here?");
    let events = until(&mut rt, finished).await;
    assert_eq!(outcome(&events), TurnOutcome::Completed);
    let body = t.server.requests()[1].json().unwrap();
    let msgs = body["messages"].as_array().unwrap();
    let last: &Value = msgs.last().unwrap();
    assert_eq!(last["content"][0]["type"], "tool_result");
    assert_eq!(last["content"][0]["tool_use_id"], "toolu_1");
    assert_eq!(msgs[1]["content"][1]["type"], "tool_use");
}

#[tokio::test]
async fn one_rounds_questions_queue_and_a_session_answer_covers_the_rest() {
    let t = Setup::new(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[
                ("a", "shell", r#"{"command":"cargo --version"}"#),
                ("b", "shell", r#"{"command":"cargo --help"}"#),
                ("c", "write_file", r#"{"path":"x.txt","content":"x"}"#),
            ],
        )),
        done(),
    ])
    .await;
    let mut rt = start(t.settings(ApprovalMode::Ask, true)).await;
    say(&rt, "go");
    let mut asked_ids = Vec::new();
    while asked_ids.len() < 3 {
        if let Event::ApprovalRequested(ApprovalRequested { request_id, .. }) = next(&mut rt).await
        {
            asked_ids.push(request_id);
        }
    }
    // All three are asked before anything runs; "this session", widened by the user to
    // `cargo*`, on the first covers the second.
    rt.ops
        .send(Op::ApprovalDecision {
            request_id: asked_ids[0],
            decision: ApprovalDecision::ApproveSession {
                rule: Some("shell: cargo*".into()),
            },
        })
        .unwrap();
    let events = until(&mut rt, |e| matches!(e, Event::ApprovalWithdrawn { .. })).await;
    assert!(
        matches!(events.last(), Some(Event::ApprovalWithdrawn { request_id }) if *request_id == asked_ids[1])
    );
    rt.ops
        .send(Op::ApprovalDecision {
            request_id: asked_ids[2],
            decision: ApprovalDecision::DenyAndStop,
        })
        .unwrap();
    let events = until(&mut rt, finished).await;
    let results = tool_results(&events);
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        results[0].1.contains("rule allow: shell: cargo*") || results[0].0 == ToolStatus::Ok,
        "{results:?}"
    );
    assert_eq!(results[1].0, ToolStatus::Denied);
    assert_eq!(outcome(&events), TurnOutcome::Interrupted);
    assert!(!t.work.path().join("x.txt").exists());
}
