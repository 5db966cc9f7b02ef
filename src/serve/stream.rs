//! `GET /api/sessions/:id/events`: Server-Sent Events of the session's protocol events, each
//! with its id. A reconnecting client sends `Last-Event-ID` (or `?last_event_id=`) and gets
//! exactly the events after it; see `events.rs` for what happens when that is no longer
//! possible.
//!
//! Keep-alive: a comment line every 45 s, and only while a client is connected. Common
//! reverse proxies and tunnels drop a connection idle for 60 s (nginx `proxy_read_timeout`,
//! AWS ALB's default idle timeout); 45 s stays below that with room for a slow write, and it
//! is also how soon a client that vanished without closing its socket is noticed. Nothing
//! runs while no client is connected.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::watch;

use super::error::ApiError;
use super::hub::Watching;
use super::routes::AppState;

/// How often an idle stream sends a comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(45);

/// What reconnecting browsers wait before trying again.
const RETRY: Duration = Duration::from_secs(2);

pub async fn events(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let last_seen = last_event_id(&headers, query.as_deref())?;
    st.hub.summary(&id).await?;
    let watching = st.hub.watch(&id).await?;
    let stream = event_stream(watching, last_seen);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// `Last-Event-ID` (what `EventSource` sends on reconnect), else `?last_event_id=`.
fn last_event_id(headers: &HeaderMap, query: Option<&str>) -> Result<Option<u64>, ApiError> {
    let from_query = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == "last_event_id").then_some(v)
        })
    });
    let raw = match headers.get("last-event-id") {
        Some(v) => Some(v.to_str().unwrap_or("")),
        None => from_query,
    };
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            ApiError::bad_request(format!(
                "Last-Event-ID `{text}` is not an event id: send the id of the last event received, or none"
            ))
        }),
    }
}

struct Client {
    watching: Watching,
    changes: watch::Receiver<u64>,
    last_seen: Option<u64>,
    queued: VecDeque<SseEvent>,
    greeted: bool,
}

fn event_stream(
    watching: Watching,
    last_seen: Option<u64>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let changes = watching.session.subscribe();
    let client = Client {
        watching,
        changes,
        last_seen,
        queued: VecDeque::new(),
        greeted: false,
    };
    futures_util::stream::unfold(client, |mut c| async move {
        loop {
            if let Some(ev) = c.queued.pop_front() {
                return Some((Ok(ev), c));
            }
            if !c.greeted {
                c.greeted = true;
                c.queued
                    .push_back(SseEvent::default().retry(RETRY).comment("pincer"));
                continue;
            }
            c.changes.borrow_and_update();
            let (replay, closed) = c.watching.session.replay(c.last_seen);
            if replay.gap {
                c.queued
                    .push_back(SseEvent::default().data(r#"{"event":"replay_gap"}"#));
            }
            for (id, json) in replay.events {
                c.last_seen = Some(id);
                c.queued.push_back(sse(id, &json));
            }
            if !c.queued.is_empty() {
                continue;
            }
            if closed || c.changes.changed().await.is_err() {
                return None;
            }
        }
    })
}

fn sse(id: u64, json: &Arc<str>) -> SseEvent {
    SseEvent::default().id(id.to_string()).data(&**json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_wins_over_the_query_and_garbage_is_refused() {
        let mut h = HeaderMap::new();
        assert_eq!(last_event_id(&h, None).unwrap(), None);
        assert_eq!(
            last_event_id(&h, Some("token=x&last_event_id=7")).unwrap(),
            Some(7)
        );
        h.insert("last-event-id", "9".parse().unwrap());
        assert_eq!(last_event_id(&h, Some("last_event_id=7")).unwrap(), Some(9));
        h.insert("last-event-id", "nine".parse().unwrap());
        assert!(last_event_id(&h, None).is_err());
    }
}
