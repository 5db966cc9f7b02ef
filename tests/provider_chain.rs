//! Tiered routing and the resilient provider chain (issue 13 items 5–6), driven through the
//! runtime's Op/Event channel against scripted mock servers — one server per profile, so the
//! request counts show which profile was asked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{AssistantMessageDone, TurnFinished};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pincer::config::{Config, ResolvedProvider};
use pincer::protocol::{ErrorKind, Event, HealthChange, ModelTier, Op, ProviderKind, TurnOutcome};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use support::mock_server::*;

fn profile(name: &str, server: &MockServer) -> String {
    format!(
        // A configured window: a switch does not ask the (scripted) server for one.
        "[providers.{name}]\nkind = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"{name}-model\"\ncontext_window = 32768\n",
        server.url()
    )
}

const NETWORK: &str =
    "[network]\nmax_retries = 1\nretry_base_delay_ms = 1\nretry_max_delay_ms = 5\n";

fn current(name: &str, server: &MockServer) -> ResolvedProvider {
    ResolvedProvider {
        profile: name.into(),
        kind: ProviderKind::Openai,
        base_url: format!("{}/v1", server.url()),
        model: format!("{name}-model"),
        api_key: None,
        api_key_env: None,
        max_tokens: 256,
    }
}

fn start(
    toml: &str,
    provider: ResolvedProvider,
    tools: bool,
    cache: Option<&Path>,
) -> RuntimeHandle {
    let config = Config::parse(toml, Path::new("/t/config.toml")).unwrap();
    let mut s = RuntimeSettings::new(config, Ok(provider), PathBuf::from("/work/project"));
    s.env = Arc::new(|_: &str| None);
    s.tools_enabled = tools;
    s.response_cache_dir = cache.map(Path::to_path_buf);
    runtime::spawn(s)
}

/// Send `text` and collect the events up to its `TurnFinished`.
async fn turn(rt: &mut RuntimeHandle, text: &str) -> Vec<Event> {
    rt.ops.send(Op::UserMessage { text: text.into() }).unwrap();
    let mut seen = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), rt.events.recv())
            .await
            .expect("an event within 30 s")
            .expect("runtime alive");
        let done = matches!(ev, Event::TurnFinished(_));
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

fn health(events: &[Event]) -> Vec<HealthChange> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ProviderHealth(h) => Some(h.change.clone()),
            _ => None,
        })
        .collect()
}

fn answered(events: &[Event]) -> Vec<(ModelTier, String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::TierAnswered(a) => Some((a.tier, a.profile.clone(), a.escalated)),
            _ => None,
        })
        .collect()
}

fn diagnosed_model(events: &[Event]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            Event::TurnDiagnostics(d) => Some(d.model.clone()),
            _ => None,
        })
        .expect("a diagnostics event")
}

fn reply_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantMessageDone(AssistantMessageDone { text, .. }) => Some(text.clone()),
            _ => None,
        })
        .collect()
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

fn errors(events: &[Event]) -> Vec<ErrorKind> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Error { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect()
}

fn ok(text: &str) -> Reply {
    Reply::sse(openai_sse(&[text], None))
}

fn routed(small: &MockServer, large: &MockServer) -> String {
    format!(
        "{}{}[routing]\nsmall = \"small\"\nlarge = \"large\"\n{NETWORK}",
        profile("small", small),
        profile("large", large)
    )
}

fn model_of(server: &MockServer, n: usize) -> String {
    server.requests()[n].json().unwrap()["model"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn trivial_question_goes_to_the_small_tier_work_to_the_large() {
    let small = MockServer::start(vec![ok("4")]).await;
    let large = MockServer::start(vec![ok("done")]).await;
    let mut rt = start(
        &routed(&small, &large),
        current("large", &large),
        false,
        None,
    );
    let ev = turn(&mut rt, "What is 2+2?").await;
    assert_eq!(reply_text(&ev), "4");
    assert_eq!(
        answered(&ev),
        vec![(ModelTier::Small, "small".into(), false)]
    );
    assert_eq!((small.requests().len(), large.requests().len()), (1, 0));
    assert_eq!(model_of(&small, 0), "small-model");
    assert_eq!(
        diagnosed_model(&ev),
        "small-model (profile small, small tier)",
        "the diagnostics (/context, --json) name the routed model, not the current one"
    );

    let ev = turn(
        &mut rt,
        "First refactor the parser in src/parse.rs, then update every caller, then run the tests",
    )
    .await;
    assert_eq!(reply_text(&ev), "done");
    assert_eq!(
        answered(&ev),
        vec![(ModelTier::Large, "large".into(), false)]
    );
    assert_eq!((small.requests().len(), large.requests().len()), (1, 1));
    assert!(health(&ev).is_empty());
}

#[tokio::test]
async fn small_tier_error_escalates_once_and_only_once() {
    // Both tiers fail: one escalation, then the large tier's failure is the turn's error.
    let small = MockServer::start(vec![openai_error(500, "boom"), openai_error(500, "boom")]).await;
    let large = MockServer::start(vec![openai_error(502, "down"), openai_error(502, "down")]).await;
    let mut rt = start(
        &routed(&small, &large),
        current("large", &large),
        false,
        None,
    );
    let ev = turn(&mut rt, "What is 2+2?").await;
    let escalations: Vec<_> = health(&ev)
        .into_iter()
        .filter(|h| matches!(h, HealthChange::Escalated { .. }))
        .collect();
    assert_eq!(escalations.len(), 1, "{ev:#?}");
    assert!(
        matches!(&escalations[0], HealthChange::Escalated { to, why } if to == "large" && why.contains("500")),
        "{escalations:?}"
    );
    assert_eq!(outcome(&ev), TurnOutcome::Failed);
    assert_eq!(
        errors(&ev),
        vec![ErrorKind::Server],
        "one error: the final one"
    );
    // 1 + max_retries on each tier, nothing more.
    assert_eq!((small.requests().len(), large.requests().len()), (2, 2));
}

#[tokio::test]
async fn empty_small_answer_escalates_and_says_which_tier_answered() {
    let small = MockServer::start(vec![ok("")]).await;
    let large = MockServer::start(vec![ok("4")]).await;
    let mut rt = start(
        &routed(&small, &large),
        current("large", &large),
        false,
        None,
    );
    let ev = turn(&mut rt, "What is 2+2?").await;
    assert_eq!(reply_text(&ev), "4");
    assert!(matches!(
        health(&ev).as_slice(),
        [HealthChange::Escalated { why, .. }] if why.contains("empty")
    ));
    assert_eq!(
        answered(&ev),
        vec![(ModelTier::Large, "large".into(), true)]
    );
    assert_eq!(outcome(&ev), TurnOutcome::Completed);
    assert!(errors(&ev).is_empty());
    // The large tier got the same conversation: the user's message, no empty reply.
    let msgs = large.requests()[0].json().unwrap()["messages"].clone();
    assert_eq!(
        msgs.as_array().unwrap().last().unwrap()["content"],
        "What is 2+2?"
    );
}

#[tokio::test]
async fn refusing_offered_tools_escalates_a_plain_answer_does_not() {
    let small = MockServer::start(vec![
        ok("Sorry, I don't have access to your files."),
        ok("Paris."),
    ])
    .await;
    let large = MockServer::start(vec![ok("Your notes say: buy milk.")]).await;
    let mut rt = start(
        &routed(&small, &large),
        current("large", &large),
        true,
        None,
    );
    let ev = turn(&mut rt, "read notes.txt and tell me what is in it").await;
    assert_eq!(reply_text(&ev), "Your notes say: buy milk.");
    assert!(
        small.requests()[0].json().unwrap()["tools"].is_array(),
        "tools offered"
    );
    assert_eq!(
        answered(&ev),
        vec![(ModelTier::Large, "large".into(), true)]
    );

    let ev = turn(&mut rt, "What is the capital of France?").await;
    assert_eq!(reply_text(&ev), "Paris.");
    assert!(health(&ev).is_empty());
    assert_eq!(large.requests().len(), 1);
}

#[tokio::test]
async fn a_pinned_model_always_wins() {
    let small = MockServer::start(vec![ok("small")]).await;
    let large = MockServer::start(vec![
        ok("large 1"),
        // `/model large` asks the server first (is it there, does it list the model?).
        Reply::Status {
            status: 200,
            headers: vec![],
            body: r#"{"data":[{"id":"large-model"}]}"#.into(),
        },
        ok("large 2"),
    ])
    .await;
    let config = Config::parse(&routed(&small, &large), Path::new("/t/c.toml")).unwrap();
    let mut s = RuntimeSettings::new(config, Ok(current("large", &large)), PathBuf::from("/w"));
    s.env = Arc::new(|_: &str| None);
    s.tools_enabled = false;
    s.model_pinned = true;
    let mut rt = runtime::spawn(s);
    let ev = turn(&mut rt, "What is 2+2?").await;
    assert_eq!(reply_text(&ev), "large 1");
    assert!(answered(&ev).is_empty(), "no routing: no tier");
    assert_eq!(small.requests().len(), 0);

    // /model pins as well.
    let mut rt = start(
        &routed(&small, &large),
        current("small", &small),
        false,
        None,
    );
    rt.ops
        .send(Op::SetModel {
            name: "large".into(),
        })
        .unwrap();
    let ev = turn(&mut rt, "What is 2+2?").await;
    assert_eq!(reply_text(&ev), "large 2");
    assert_eq!(small.requests().len(), 0);
}

fn with_failover(main: &MockServer, backup: &MockServer, extra: &str) -> String {
    format!(
        "{}failover = [\"backup\"]\n{}{NETWORK}{extra}",
        profile("main", main),
        profile("backup", backup)
    )
}

#[tokio::test]
async fn failover_on_5xx_after_retries() {
    let main = MockServer::start(vec![openai_error(503, "busy"), openai_error(500, "boom")]).await;
    let backup = MockServer::start(vec![ok("from backup")]).await;
    let mut rt = start(
        &with_failover(&main, &backup, ""),
        current("main", &main),
        false,
        None,
    );
    let ev = turn(&mut rt, "hello").await;
    assert_eq!(reply_text(&ev), "from backup");
    assert_eq!(outcome(&ev), TurnOutcome::Completed);
    assert!(errors(&ev).is_empty(), "{ev:#?}");
    assert!(matches!(
        health(&ev).as_slice(),
        [HealthChange::Failover { to, reason: ErrorKind::Server }] if to == "backup"
    ));
    assert!(
        ev.iter().any(|e| matches!(e, Event::Retrying(_))),
        "the primary's own retry came first"
    );
    assert_eq!((main.requests().len(), backup.requests().len()), (2, 1));
    assert_eq!(model_of(&backup, 0), "backup-model");
}

#[tokio::test]
async fn no_failover_on_auth_or_context_length() {
    for (reply, kind) in [
        (openai_error(401, "bad key"), ErrorKind::Auth),
        (openai_error(403, "forbidden"), ErrorKind::Auth),
        (
            openai_error(400, "This model's maximum context length is 8192 tokens"),
            ErrorKind::ContextLength,
        ),
    ] {
        let main = MockServer::start(vec![reply]).await;
        let backup = MockServer::start(vec![ok("never")]).await;
        let mut rt = start(
            &with_failover(&main, &backup, ""),
            current("main", &main),
            false,
            None,
        );
        let ev = turn(&mut rt, "hello").await;
        assert_eq!(errors(&ev), vec![kind]);
        assert!(health(&ev).is_empty(), "{ev:#?}");
        assert_eq!(
            (main.requests().len(), backup.requests().len()),
            (1, 0),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn breaker_opens_stops_retrying_and_skips_the_profile() {
    let main = MockServer::start(vec![openai_error(500, "a"), openai_error(500, "b")]).await;
    let backup = MockServer::start(vec![ok("b1"), ok("b2")]).await;
    let toml = with_failover(
        &main,
        &backup,
        "[breaker]\nfailures = 2\ncool_down_secs = 3600\n",
    )
    .replace("max_retries = 1", "max_retries = 5");
    let mut rt = start(&toml, current("main", &main), false, None);
    let ev = turn(&mut rt, "hello").await;
    assert_eq!(reply_text(&ev), "b1");
    assert!(
        matches!(
            health(&ev).as_slice(),
            [
                HealthChange::BreakerOpened {
                    failures: 2,
                    cool_down_secs: 3600
                },
                HealthChange::Failover { .. }
            ]
        ),
        "{:?}",
        health(&ev)
    );
    assert_eq!(
        main.requests().len(),
        2,
        "retries stop once the breaker opens"
    );

    let ev = turn(&mut rt, "again").await;
    assert_eq!(reply_text(&ev), "b2");
    assert!(matches!(
        health(&ev).as_slice(),
        [
            HealthChange::BreakerSkipped { .. },
            HealthChange::Failover { .. }
        ]
    ));
    assert_eq!(main.requests().len(), 2, "an open breaker sends nothing");
}

#[tokio::test]
async fn open_breaker_without_failover_is_a_clear_error() {
    let main = MockServer::start(vec![openai_error(500, "a")]).await;
    let toml = format!(
        "{}{NETWORK}[breaker]\nfailures = 1\n",
        profile("main", &main)
    );
    let mut rt = start(&toml, current("main", &main), false, None);
    let ev = turn(&mut rt, "hello").await;
    assert_eq!(errors(&ev), vec![ErrorKind::Server]);
    assert_eq!(main.requests().len(), 1);
    let ev = turn(&mut rt, "hello").await;
    let message = ev
        .iter()
        .find_map(|e| match e {
            Event::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        message.contains("skipped") && message.contains("/model"),
        "{message}"
    );
    assert_eq!(main.requests().len(), 1);
}

#[tokio::test]
async fn cache_answers_a_repeat_without_a_request() {
    let server = MockServer::start(vec![ok("4"), ok("5")]).await;
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "{}{NETWORK}[cache]\nresponses = true\n",
        profile("main", &server)
    );
    let mut rt = start(&toml, current("main", &server), false, Some(dir.path()));
    let ev = turn(&mut rt, "What is 2+2?").await;
    assert_eq!(reply_text(&ev), "4");
    assert!(health(&ev).is_empty());

    rt.ops.send(Op::NewSession).unwrap();
    let ev = turn(&mut rt, "What is 2+2?").await;
    assert_eq!(reply_text(&ev), "4");
    assert!(matches!(
        health(&ev).as_slice(),
        [HealthChange::CacheHit { .. }]
    ));
    assert_eq!(server.requests().len(), 1, "the hit sent no request");

    // Another conversation is another key.
    rt.ops.send(Op::NewSession).unwrap();
    let ev = turn(&mut rt, "What is 2+3?").await;
    assert_eq!(reply_text(&ev), "5");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn requests_with_tools_are_never_cached() {
    let server = MockServer::start(vec![ok("a"), ok("b")]).await;
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "{}{NETWORK}[cache]\nresponses = true\n",
        profile("main", &server)
    );
    let mut rt = start(&toml, current("main", &server), true, Some(dir.path()));
    // A task the policy offers tools for.
    turn(&mut rt, "list the files in src/").await;
    rt.ops.send(Op::NewSession).unwrap();
    let ev = turn(&mut rt, "list the files in src/").await;
    assert_eq!(reply_text(&ev), "b");
    assert_eq!(server.requests().len(), 2);
}

/// `pincer -p`: health events on stderr in text mode, as JSON lines with `--json`.
#[test]
fn headless_reports_failover_on_stderr_and_in_json() {
    for json in [false, true] {
        let main =
            MockServer::start_blocking(vec![openai_error(503, "busy"), openai_error(503, "busy")]);
        let backup = MockServer::start_blocking(vec![ok("from backup")]);
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("config")).unwrap();
        std::fs::write(
            home.path().join("config/config.toml"),
            format!(
                "default_provider = \"main\"\n{}",
                with_failover(&main, &backup, "")
            ),
        )
        .unwrap();
        let mut args = vec!["-p", "hello"];
        if json {
            args.push("--json");
        }
        let out = support::cli::pincer_command(home.path())
            .args(&args)
            .current_dir(home.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{stderr}");
        if json {
            let health: Vec<serde_json::Value> = stdout
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|v| v["event"] == "provider_health")
                .collect();
            assert_eq!(health.len(), 1, "{stdout}");
            assert_eq!(health[0]["change"]["kind"], "failover");
            assert_eq!(health[0]["change"]["to"], "backup");
            assert_eq!(health[0]["profile"], "main");
        } else {
            assert_eq!(stdout, "from backup\n");
            let lines: Vec<&str> = stderr
                .lines()
                .filter(|l| l.contains("trying backup"))
                .collect();
            assert_eq!(lines.len(), 1, "{stderr}");
        }
    }
}
