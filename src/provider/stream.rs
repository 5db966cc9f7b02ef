//! A reply as it arrives: bytes → SSE events → the API parser → stream items. Events the
//! parser skips are counted and logged here, and how the stream ended decides its error: nothing
//! usable is a bad response, a stream cut before its finish marker a retryable broken stream.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::sse::{SseDecoder, SseEvent};
use super::{EventParser, Parsed, ProviderError, Skip, StreamItem, anthropic, openai};
use crate::protocol::ProviderKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamState {
    Open,
    Ended,
}

pub(super) type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, ProviderError>> + Send>>;

/// A reply as it arrives.
pub struct ReplyStream {
    body: ByteStream,
    decoder: SseDecoder,
    parser: Box<dyn EventParser>,
    pending: VecDeque<StreamItem>,
    idle: Duration,
    state: StreamState,
    seen: Seen,
}

/// What a stream brought so far: decides how its end is reported.
#[derive(Debug, Default)]
struct Seen {
    /// Any SSE event at all.
    event: bool,
    /// An event of the API (not only skipped events and end markers).
    content: bool,
    skipped: u32,
    /// The start of a skipped event's data, for the error message: the first that is not
    /// JSON (an error page says most), else the first of any kind.
    sample: Option<(Skip, String)>,
}

impl Seen {
    fn skip(&mut self, why: Skip, ev: &SseEvent) {
        self.skipped += 1;
        let snippet: String = ev.data.trim().chars().take(80).collect();
        match why {
            Skip::Empty | Skip::Ping => {
                tracing::debug!(event = ?ev.event, ?why, "skipped a keep-alive or empty SSE event");
            }
            Skip::Unknown => {
                tracing::debug!(event = ?ev.event, data = %snippet, "skipped an SSE event of an unknown type");
            }
            Skip::NotJson => {
                tracing::warn!(event = ?ev.event, data = %snippet, "skipped SSE data that is not JSON");
            }
        }
        let better = match &self.sample {
            None => true,
            Some((kept, _)) => *kept != Skip::NotJson && why == Skip::NotJson,
        };
        if better && !snippet.is_empty() {
            self.sample = Some((why, snippet));
        }
    }

    /// The error for a stream that ended: `None` when it was a whole reply.
    fn end_error(&self, whole_reply: bool) -> Option<ProviderError> {
        if !self.event {
            return Some(ProviderError::BadResponse {
                message: "the provider closed the stream without sending a reply; check that base_url points at the API of the provider kind configured".into(),
            });
        }
        if !self.content {
            let sample = match &self.sample {
                Some((_, s)) => format!(", e.g. `{s}`"),
                None => String::new(),
            };
            return Some(ProviderError::BadResponse {
                message: format!(
                    "the provider's stream held nothing pincer can use ({} event(s) skipped{sample}); check that base_url points at the API of the provider kind configured",
                    self.skipped
                ),
            });
        }
        if whole_reply {
            return None;
        }
        // A broken stream: retried like a dropped connection (bounded by [network] max_retries).
        Some(ProviderError::Network {
            message: "the stream ended before the reply was complete (no end marker such as [DONE] or message_stop)".into(),
        })
    }
}

impl ReplyStream {
    pub(super) fn new(
        body: ByteStream,
        parser: Box<dyn EventParser>,
        idle: Duration,
    ) -> ReplyStream {
        ReplyStream {
            body,
            decoder: SseDecoder::new(),
            parser,
            pending: VecDeque::new(),
            idle,
            state: StreamState::Open,
            seen: Seen::default(),
        }
    }

    /// A stream over bytes already in memory (benchmarks, tests, replays).
    pub fn from_chunks(kind: ProviderKind, chunks: Vec<Bytes>) -> ReplyStream {
        let parser: Box<dyn EventParser> = match kind {
            ProviderKind::Openai => Box::new(openai::Parser::default()),
            ProviderKind::Anthropic => Box::new(anthropic::Parser::default()),
        };
        let body = futures_util::stream::iter(chunks.into_iter().map(Ok));
        ReplyStream::new(Box::pin(body), parser, Duration::from_secs(3600))
    }

    pub(super) fn finished_with(items: Vec<StreamItem>, idle: Duration) -> ReplyStream {
        ReplyStream {
            body: Box::pin(futures_util::stream::empty()),
            decoder: SseDecoder::new(),
            parser: Box::new(openai::Parser::default()),
            pending: items.into(),
            idle,
            state: StreamState::Ended,
            seen: Seen {
                event: true,
                content: true,
                ..Seen::default()
            },
        }
    }

    /// The next item; `None` when the reply is complete. An error ends the stream.
    pub async fn next(&mut self) -> Option<Result<StreamItem, ProviderError>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            if self.state == StreamState::Ended {
                return None;
            }
            let chunk = match tokio::time::timeout(self.idle, self.body.next()).await {
                Err(_) => {
                    self.state = StreamState::Ended;
                    return Some(Err(ProviderError::Stalled {
                        secs: self.idle.as_secs(),
                    }));
                }
                Ok(Some(Ok(chunk))) => chunk,
                Ok(Some(Err(e))) => {
                    self.state = StreamState::Ended;
                    return Some(Err(e));
                }
                Ok(None) => {
                    self.state = StreamState::Ended;
                    let mut events = Vec::new();
                    self.decoder.finish(&mut events);
                    if let Err(e) = self.handle(events) {
                        return Some(Err(e));
                    }
                    match self.seen.end_error(self.parser.whole_reply()) {
                        None => continue, // drain pending, then None
                        Some(err) => {
                            self.pending.clear();
                            return Some(Err(err));
                        }
                    }
                }
            };
            let mut events = Vec::new();
            if let Err(e) = self.decoder.push(&chunk, &mut events) {
                self.state = StreamState::Ended;
                return Some(Err(ProviderError::BadResponse {
                    message: e.to_string(),
                }));
            }
            if let Err(e) = self.handle(events) {
                self.state = StreamState::Ended;
                return Some(Err(e));
            }
            if self.parser.complete() {
                self.state = StreamState::Ended;
                if let Some(err) = self.seen.end_error(true) {
                    self.pending.clear();
                    return Some(Err(err));
                }
            }
        }
    }

    fn handle(&mut self, events: Vec<SseEvent>) -> Result<(), ProviderError> {
        for ev in events {
            self.seen.event = true;
            match self.parser.on_event(&ev, &mut self.pending)? {
                Parsed::Content => self.seen.content = true,
                Parsed::Marker => {}
                Parsed::Skipped(why) => self.seen.skip(why, &ev),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_stream_yields_items_then_none() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut s = ReplyStream::finished_with(
                vec![StreamItem::Text("hi".into())],
                Duration::from_secs(1),
            );
            assert_eq!(s.next().await, Some(Ok(StreamItem::Text("hi".into()))));
            assert_eq!(s.next().await, None);
        });
    }
}
