//! `/model` through the Op/Event channel: listing profiles and the server's models, probing a
//! switch target first, the context window local servers report, and a refused loopback
//! connection retried at most once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{AssistantMessageDone, ContextUsage, Retrying};

use std::path::PathBuf;
use std::sync::Arc;

use pincer::config::{Config, NetworkConfig, Profile, ResolvedProvider};
use pincer::protocol::{ErrorKind, Event, Op, ProviderKind, WindowSource};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use support::events::{finished, mock_provider, until};
use support::mock_server::*;

fn settings(provider: ResolvedProvider) -> RuntimeSettings {
    let mut config = Config {
        network: NetworkConfig {
            max_retries: 4,
            retry_base_delay_ms: 10,
            retry_max_delay_ms: 20,
            ..NetworkConfig::default()
        },
        ..Config::default()
    };
    config.providers.insert(
        "mock".into(),
        Profile {
            kind: ProviderKind::Openai,
            base_url: provider.base_url.clone(),
            model: provider.model.clone(),
            api_key_env: None,
            max_tokens: 256,
            context_window: None,
        },
    );
    let mut s = RuntimeSettings::new(config, Ok(provider), PathBuf::from("/w"));
    s.env = Arc::new(|_: &str| None);
    s.tools_enabled = false;
    s
}

/// A loopback address where nothing listens.
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

fn json(body: &str) -> Reply {
    Reply::Status {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into(),
    }
}

fn not_found() -> Reply {
    Reply::Status {
        status: 404,
        headers: vec![],
        body: "{\"error\":\"not found\"}".into(),
    }
}

/// The window of the last event, a `ContextUsage`.
fn last_window(evs: &[Event]) -> (u64, WindowSource) {
    let Some(Event::ContextUsage(ContextUsage {
        window_tokens,
        window_source,
        ..
    })) = evs.last()
    else {
        panic!("the last event is not a ContextUsage: {:?}", evs.last())
    };
    (*window_tokens, *window_source)
}

async fn configured(rt: &mut RuntimeHandle) {
    until(rt, |e| matches!(e, Event::SessionConfigured(_))).await;
}

#[tokio::test]
async fn model_lists_profiles_the_start_up_provider_and_the_servers_models() {
    let server = MockServer::start(vec![json(
        r#"{"data":[{"id":"qwen3:4b"},{"id":"llama3.2"}]}"#,
    )])
    .await;
    // Started with --base-url: a "custom" profile that is not in the config.
    let mut p = mock_provider(&server.url());
    p.profile = "custom".into();
    p.model = String::new();
    let mut s = settings(p);
    s.config.providers.remove("mock");
    let mut rt = runtime::spawn(s);
    configured(&mut rt).await;
    rt.ops
        .send(Op::SetModel {
            name: String::new(),
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::ModelList(_))).await;
    let Some(Event::ModelList(listing)) = evs.last() else {
        panic!()
    };
    assert_eq!(listing.server_models, vec!["qwen3:4b", "llama3.2"]);
    assert_eq!(listing.server_error, None);
    assert_eq!(listing.current.as_ref().unwrap().profile, "custom");
    assert_eq!(listing.started_with.as_ref().unwrap().name, "custom");
    assert!(listing.profiles.iter().any(|p| p.name == "ollama"));
    assert_eq!(server.requests()[0].path, "/v1/models");
}

#[tokio::test]
async fn switching_to_an_unreachable_server_says_so_at_once_and_keeps_the_current_one() {
    let server = MockServer::start(vec![
        json(r#"{"data":[{"id":"m"}]}"#),
        Reply::sse(openai_sse(&["still here"], None)),
    ])
    .await;
    let mut s = settings(mock_provider(&server.url()));
    // A configured window: the switch does not ask the (scripted) server for one.
    s.config.providers.get_mut("mock").unwrap().context_window = Some(4096);
    s.config.providers.insert(
        "gone".into(),
        Profile {
            kind: ProviderKind::Openai,
            base_url: format!("{}/v1", dead_url()),
            model: "x".into(),
            api_key_env: None,
            max_tokens: 256,
            context_window: None,
        },
    );
    let mut rt = runtime::spawn(s);
    configured(&mut rt).await;
    rt.ops
        .send(Op::SetModel {
            name: "gone".into(),
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Error { .. })).await;
    let Some(Event::Error { kind, message, .. }) = evs.last() else {
        panic!()
    };
    assert_eq!(*kind, ErrorKind::Network);
    assert!(
        message.contains("not switched to gone") && message.contains("does not answer"),
        "{message}"
    );
    assert!(
        !evs.iter()
            .any(|e| matches!(e, Event::ProviderChanged { .. }))
    );
    // A model id on the reachable server switches (after asking it), and the next turn uses it.
    rt.ops.send(Op::SetModel { name: "m".into() }).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::ProviderChanged { .. })).await;
    let Some(Event::ProviderChanged { provider }) = evs.last() else {
        panic!()
    };
    assert_eq!(
        (provider.profile.as_str(), provider.model.as_str()),
        ("mock", "m")
    );
    rt.ops.send(Op::UserMessage { text: "hi".into() }).unwrap();
    let evs = until(&mut rt, finished).await;
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::AssistantMessageDone(AssistantMessageDone { text, .. }) if text == "still here")),
        "{evs:?} {:?}",
        server
            .requests()
            .iter()
            .map(|r| r.path.clone())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_llamacpp_server_reports_its_window_and_it_is_not_a_guess() {
    let server = MockServer::start(vec![json(
        r#"{"default_generation_settings":{"n_ctx":8192},"total_slots":1}"#,
    )])
    .await;
    let mut s = settings(mock_provider(&server.url()));
    s.learn_window_at_start = true;
    let mut rt = runtime::spawn(s);
    // A guess may come first; the server's answer follows.
    let evs = until(&mut rt, |e| {
        matches!(
            e,
            Event::ContextUsage(ContextUsage {
                window_source: WindowSource::Server,
                ..
            })
        )
    })
    .await;
    assert_eq!(last_window(&evs), (8192, WindowSource::Server));
    assert_eq!(server.requests()[0].path, "/props");
}

#[tokio::test]
async fn the_window_reported_for_the_server_default_stays_once_the_server_names_its_model() {
    // A profile without a model (`pincer --base-url …`): the window is asked at start, then
    // the first turn learns which model the server runs. The window is still the server's.
    let server = MockServer::start(vec![
        json(r#"{"default_generation_settings":{"n_ctx":8192}}"#), // /props at start
        json(r#"{"object":"list","data":[{"id":"smol"}]}"#),       // the turn: /v1/models
        Reply::sse(openai_sse(&["four"], None)),
    ])
    .await;
    let mut provider = mock_provider(&server.url());
    provider.model = String::new();
    let mut s = settings(provider);
    s.learn_window_at_start = true;
    let mut rt = runtime::spawn(s);
    until(&mut rt, |e| {
        matches!(
            e,
            Event::ContextUsage(ContextUsage {
                window_source: WindowSource::Server,
                ..
            })
        )
    })
    .await;
    rt.ops
        .send(Op::UserMessage {
            text: "What is 2+2?".into(),
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::TurnFinished(_))).await;
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::ProviderChanged { provider } if provider.model == "smol"))
    );
    let evs = until(&mut rt, |e| matches!(e, Event::ContextUsage(_))).await;
    assert_eq!(last_window(&evs), (8192, WindowSource::Server));
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, vec!["/props", "/v1/models", "/v1/chat/completions"]);
}

#[tokio::test]
async fn an_ollama_server_reports_its_window_through_api_show() {
    let server = MockServer::start(vec![
        not_found(),                                      // /props
        json(r#"{"object":"list","data":[{"id":"m"}]}"#), // /v1/models: no size
        json(r#"{"model_info":{"general.architecture":"qwen3","qwen3.context_length":40960}}"#),
    ])
    .await;
    let mut s = settings(mock_provider(&server.url()));
    s.learn_window_at_start = true;
    let mut rt = runtime::spawn(s);
    // A guess may come first; the server's answer follows.
    let evs = until(&mut rt, |e| {
        matches!(
            e,
            Event::ContextUsage(ContextUsage {
                window_source: WindowSource::Server,
                ..
            })
        )
    })
    .await;
    assert_eq!(last_window(&evs), (40960, WindowSource::Server));
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, vec!["/props", "/v1/models", "/api/show"]);
    assert_eq!(server.requests()[2].json().unwrap()["model"], "m");
}

#[tokio::test]
async fn a_window_nobody_reported_is_marked_as_a_guess() {
    let server = MockServer::start(vec![Reply::sse(openai_sse(&["ok"], None))]).await;
    let mut rt = runtime::spawn(settings(mock_provider(&server.url())));
    configured(&mut rt).await;
    rt.ops.send(Op::UserMessage { text: "hi".into() }).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::ContextUsage(_))).await;
    let Some(Event::ContextUsage(ContextUsage { window_source, .. })) = evs.last() else {
        panic!()
    };
    assert_eq!(*window_source, WindowSource::Guessed);
}

#[tokio::test]
async fn a_refused_loopback_connection_is_retried_once() {
    let mut rt = runtime::spawn(settings(mock_provider(&dead_url())));
    configured(&mut rt).await;
    rt.ops.send(Op::UserMessage { text: "hi".into() }).unwrap();
    let evs = until(&mut rt, finished).await;
    let retries = evs
        .iter()
        .filter(|e| matches!(e, Event::Retrying(_)))
        .count();
    assert_eq!(retries, 1, "{evs:?}");
    assert!(
        evs.iter().any(|e| matches!(
            e,
            Event::Retrying(Retrying {
                max_attempts: 1,
                ..
            })
        )),
        "the retry says it is the only one"
    );
    let error = evs.iter().find_map(|e| match e {
        Event::Error { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert!(
        error
            .as_deref()
            .is_some_and(|m| m.contains("connection refused")),
        "{error:?}"
    );
}
