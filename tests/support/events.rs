//! Driving the runtime through its Op/Event channel in tests.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pincer::config::{Config, NetworkConfig, Profile, ResolvedProvider};
use pincer::protocol::{Event, ProviderKind};
use pincer::runtime::{RuntimeHandle, RuntimeSettings};

// mcp.rs, pty.rs and mock_server.rs include it too: benches load any of them alone.
#[allow(clippy::duplicate_mod)]
#[path = "patience.rs"]
mod patience;

/// The next event (any kind), failing the test after 15 s scaled by `patience`.
pub async fn next(rt: &mut RuntimeHandle) -> Event {
    tokio::time::timeout(
        patience::patience(Duration::from_secs(15)),
        rt.events.recv(),
    )
    .await
    .expect("an event in time (15 s × PINCER_TEST_PATIENCE)")
    .expect("runtime alive")
}

/// Events up to and including the first one matching `stop`.
pub async fn until(rt: &mut RuntimeHandle, stop: impl Fn(&Event) -> bool) -> Vec<Event> {
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

pub fn finished(e: &Event) -> bool {
    matches!(e, Event::TurnFinished(_))
}

/// An OpenAI-style profile `mock` on the mock server at `url`, model `m`.
pub fn mock_provider(url: &str) -> ResolvedProvider {
    ResolvedProvider {
        profile: "mock".into(),
        kind: ProviderKind::Openai,
        base_url: format!("{url}/v1"),
        model: "m".into(),
        api_key: None,
        api_key_env: None,
        max_tokens: 256,
    }
}

/// The config profile behind [`mock_provider`], with a configured context `window` (pincer
/// then does not probe the mock server for one) or none (a guess from the model name).
pub fn mock_profile(url: &str, window: Option<u64>) -> Profile {
    Profile {
        kind: ProviderKind::Openai,
        base_url: format!("{url}/v1"),
        model: "m".into(),
        api_key_env: None,
        max_tokens: 256,
        context_window: window,
    }
}

/// Network settings for a local mock model: retries 5 ms apart, a stream that sends nothing
/// for `idle_ms` counts as stalled.
pub fn mock_network(idle_ms: u64) -> NetworkConfig {
    NetworkConfig {
        retry_base_delay_ms: 5,
        stream_idle_timeout_ms: idle_ms,
        ..NetworkConfig::default()
    }
}

/// Settings for a runtime on the mock model at `url` ([`mock_provider`]) with `config` in
/// `workspace`, seeing none of the developer's environment variables.
pub fn mock_settings(url: &str, config: Config, workspace: PathBuf) -> RuntimeSettings {
    let mut s = RuntimeSettings::new(config, Ok(mock_provider(url)), workspace);
    s.env = Arc::new(|_: &str| None);
    s
}
