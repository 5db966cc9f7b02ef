//! Driving the runtime through its Op/Event channel in tests.

use std::time::Duration;

use pincer::config::ResolvedProvider;
use pincer::protocol::{Event, ProviderKind};
use pincer::runtime::RuntimeHandle;

/// The next event (any kind), failing the test after 10 s.
pub async fn next(rt: &mut RuntimeHandle) -> Event {
    tokio::time::timeout(Duration::from_secs(10), rt.events.recv())
        .await
        .expect("an event within 10 s")
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
