//! Onboarding's Ctrl+Y: `Op::WriteProfile` writes a working profile into config.toml (through
//! `config::write_profile`) and switches to it, so the next message is answered without a
//! restart; a profile pincer does not know is refused in words and nothing is written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::AssistantMessageDone;

use std::path::PathBuf;
use std::sync::Arc;

use pincer::config::{Config, ResolveError};
use pincer::protocol::{ErrorKind, Event, Op, WriteProfile};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use support::events::{finished, until};
use support::mock_server::*;

fn json(body: &str) -> Reply {
    Reply::Status {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into(),
    }
}

/// A config file with a `local` profile for the mock server and no default: pincer starts
/// unconfigured (as when the probe found a server the user has not chosen yet).
fn unconfigured(url: &str, dir: &std::path::Path) -> (RuntimeSettings, PathBuf) {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "# my settings\n[providers.local]\nkind = \"openai\"\nbase_url = \"{url}/v1\"\nmodel = \"\"\ncontext_window = 8192\n"
        ),
    )
    .unwrap();
    let config = Config::load(&path).unwrap();
    let reason = ResolveError::NothingConfigured {
        config_path: path.display().to_string(),
    };
    let mut s = RuntimeSettings::new(config, Err(reason), PathBuf::from("/w/onboarding"));
    s.config_path = path.clone();
    s.env = Arc::new(|_: &str| None);
    s.tools_enabled = false;
    (s, path)
}

async fn configured(rt: &mut RuntimeHandle) {
    until(rt, |e| matches!(e, Event::SessionConfigured(_))).await;
}

#[tokio::test]
async fn the_found_profile_is_written_and_the_session_starts_without_a_restart() {
    let server = MockServer::start(vec![
        json(r#"{"data":[{"id":"qwen3:4b"}]}"#),
        Reply::sse(openai_sse(&["hello ", "there"], None)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (s, path) = unconfigured(&server.url(), dir.path());
    let mut rt = runtime::spawn(s);
    configured(&mut rt).await;
    rt.ops
        .send(Op::WriteProfile(WriteProfile {
            profile: "local".into(),
            model: Some("qwen3:4b".into()),
        }))
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::ProviderChanged { .. })).await;
    assert!(
        evs.iter().any(|e| matches!(e, Event::Notice { message, .. } if message.contains("wrote local (qwen3:4b)"))),
        "{evs:?}"
    );
    let Some(Event::ProviderChanged { provider }) = evs.last() else {
        panic!()
    };
    assert_eq!(
        (provider.profile.as_str(), provider.model.as_str()),
        ("local", "qwen3:4b")
    );

    // The file: the default and the model set, the user's comment kept, and it loads.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# my settings"), "{text}");
    let written = Config::load(&path).unwrap();
    assert_eq!(written.default_provider.as_deref(), Some("local"));
    assert_eq!(written.providers["local"].model, "qwen3:4b");

    // The next message is answered by it.
    rt.ops.send(Op::UserMessage { text: "hi".into() }).unwrap();
    let evs = until(&mut rt, finished).await;
    assert!(
        evs.iter().any(
            |e| matches!(e, Event::AssistantMessageDone(AssistantMessageDone { text, .. }) if text == "hello there")
        ),
        "{evs:?}"
    );
    let requests = server.requests();
    assert_eq!(
        requests[0].path, "/v1/models",
        "the target was probed first"
    );
    assert_eq!(requests[1].json().unwrap()["model"], "qwen3:4b");
}

#[tokio::test]
async fn an_unknown_profile_is_refused_and_nothing_is_written() {
    let server = MockServer::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let (s, path) = unconfigured(&server.url(), dir.path());
    let before = std::fs::read_to_string(&path).unwrap();
    let mut rt = runtime::spawn(s);
    configured(&mut rt).await;
    rt.ops
        .send(Op::WriteProfile(WriteProfile {
            profile: "nope".into(),
            model: None,
        }))
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Error { .. })).await;
    let Some(Event::Error { kind, message, .. }) = evs.last() else {
        panic!()
    };
    assert_eq!(*kind, ErrorKind::Config);
    assert!(
        message.contains("nope") && message.contains("[providers.nope]"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert!(server.requests().is_empty());
}
