//! Odd provider bytes, the same table for both APIs: empty data, comments, unknown event types,
//! keep-alive pings, garbage lines, CRLF / CR line ends, a byte-order mark, any split. Each case
//! runs through the real HTTP path (mock server) and through `ReplyStream::from_chunks`; the
//! reply must be the same as without the odd bytes. Only a stream with nothing usable is an
//! error, and a stream that stops before its finish marker is a retryable broken stream.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use bytes::Bytes;
use pincer::config::{NetworkConfig, ResolvedProvider};
use pincer::protocol::{ErrorKind, ProviderKind};
use pincer::provider::{
    ChatMessage, ChatRequest, ProviderClient, ProviderError, ReplyStream, StreamItem,
};
use support::mock_server::*;

const DELTAS: &[&str] = &["Grüß", " dich, ", "🦀 — ", "naïve\ncafé"];
const APIS: [ProviderKind; 2] = [ProviderKind::Openai, ProviderKind::Anthropic];

fn reply(kind: ProviderKind) -> Vec<u8> {
    match kind {
        ProviderKind::Openai => openai_sse(DELTAS, Some((11, 7))),
        ProviderKind::Anthropic => anthropic_sse(DELTAS, Some((11, 7))),
    }
}

/// The events of an SSE body (each without its blank line).
fn events(body: &[u8]) -> Vec<String> {
    String::from_utf8(body.to_vec())
        .unwrap()
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// `insert` before the first event, between all events and after the last.
fn between(body: &[u8], insert: &str) -> Vec<u8> {
    let mut out = insert.to_string();
    for e in events(body) {
        out.push_str(&e);
        out.push_str("\n\n");
        out.push_str(insert);
    }
    out.into_bytes()
}

const EMPTY_DATA: &str = "data:\n\ndata: \n\n";
const COMMENTS: &str = ": ping\n\n:\n: keep-alive 2024\n";
const UNKNOWN_TYPE: &str = "event: future_thing\ndata: {\"type\":\"future_thing\",\"x\":1}\n\ndata: {\"object\":\"unknown\"}\n\n";
const PING: &str = "event: ping\ndata: {\"type\": \"ping\"}\n\nevent: ping\ndata:\n\n";
const GARBAGE_LINES: &str = "<html>502 Bad Gateway</html>\noops: what\nid: 7\nretry: 100\n\n";
const NOT_JSON: &str = "data: not json at all\n\ndata: {\"unterminated\": \n\n";

type Transform = fn(&[u8]) -> Vec<u8>;

fn cases() -> Vec<(&'static str, Transform)> {
    vec![
        ("empty data", |b| between(b, EMPTY_DATA)),
        ("comment lines", |b| between(b, COMMENTS)),
        ("unknown event types", |b| between(b, UNKNOWN_TYPE)),
        ("keep-alive pings", |b| between(b, PING)),
        ("garbage lines", |b| between(b, GARBAGE_LINES)),
        ("data that is not JSON", |b| between(b, NOT_JSON)),
        ("CRLF line ends", crlf),
        ("CR line ends", |b| {
            b.iter()
                .map(|&c| if c == b'\n' { b'\r' } else { c })
                .collect()
        }),
        ("byte-order mark", |b| {
            [b"\xEF\xBB\xBF".as_slice(), b].concat()
        }),
        ("everything at once", |b| {
            let all = [
                EMPTY_DATA,
                COMMENTS,
                UNKNOWN_TYPE,
                PING,
                GARBAGE_LINES,
                NOT_JSON,
            ]
            .concat();
            [b"\xEF\xBB\xBF".as_slice(), &crlf(&between(b, &all))].concat()
        }),
    ]
}

fn provider(kind: ProviderKind, url: &str) -> ResolvedProvider {
    ResolvedProvider {
        profile: "mock".into(),
        kind,
        base_url: match kind {
            ProviderKind::Openai => format!("{url}/v1"),
            ProviderKind::Anthropic => url.to_string(),
        },
        model: "mock-model".into(),
        api_key: Some("sk-test".into()),
        api_key_env: None,
        max_tokens: 256,
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        system: None,
        messages: vec![ChatMessage::user("hi")],
        tools: vec![],
    }
}

/// Text, output usage and the error that ended the stream, if any.
async fn drain(mut stream: ReplyStream) -> (String, Option<u64>, Option<ProviderError>) {
    let mut text = String::new();
    let mut output = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamItem::Text(t)) => text.push_str(&t),
            Ok(StreamItem::Usage { output: o, .. }) => output = o.or(output),
            Ok(StreamItem::ToolCall(c)) => text.push_str(&format!("<call {}>", c.name)),
            Err(e) => return (text, output, Some(e)),
        }
    }
    (text, output, None)
}

async fn over_http(
    kind: ProviderKind,
    steps: Vec<Step>,
) -> (String, Option<u64>, Option<ProviderError>) {
    let server = MockServer::start(vec![Reply::Sse(steps)]).await;
    let network = NetworkConfig {
        stream_idle_timeout_ms: 30_000,
        ..NetworkConfig::default()
    };
    let client = ProviderClient::new(provider(kind, &server.url()), network).unwrap();
    match client.stream(&request()).await {
        Ok(stream) => drain(stream).await,
        Err(e) => (String::new(), None, Some(e)),
    }
}

fn in_memory(kind: ProviderKind, body: &[u8], size: usize) -> ReplyStream {
    let chunks = body.chunks(size).map(Bytes::copy_from_slice).collect();
    ReplyStream::from_chunks(kind, chunks)
}

#[tokio::test]
async fn odd_bytes_table_in_memory_every_split_both_apis() {
    for kind in APIS {
        for (name, transform) in cases() {
            let body = transform(&reply(kind));
            for size in [1, 2, 3, 7, body.len()] {
                let got = drain(in_memory(kind, &body, size)).await;
                assert_eq!(
                    got,
                    (DELTAS.concat(), Some(7), None),
                    "{kind:?} / {name} / chunks of {size}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_bytes_table_over_http_both_apis() {
    for kind in APIS {
        for (name, transform) in cases() {
            let body = transform(&reply(kind));
            let got = over_http(kind, split_awkwardly(&body)).await;
            assert_eq!(got, (DELTAS.concat(), Some(7), None), "{kind:?} / {name}");
        }
        // Every byte its own HTTP chunk, with all the odd bytes at once.
        let (name, everything) = cases().pop().unwrap();
        let body = everything(&reply(kind));
        let got = over_http(kind, split_every(&body, &[1])).await;
        assert_eq!(
            got,
            (DELTAS.concat(), Some(7), None),
            "{kind:?} / {name} / 1-byte chunks"
        );
    }
}

/// The API's end-of-stream event.
fn end_marker(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Openai => "data: [DONE]\n\n",
        ProviderKind::Anthropic => "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    }
}

#[tokio::test]
async fn a_stream_of_only_odd_bytes_is_a_clear_error_both_apis() {
    let odd = [
        EMPTY_DATA,
        COMMENTS,
        UNKNOWN_TYPE,
        PING,
        GARBAGE_LINES,
        NOT_JSON,
    ]
    .concat();
    for kind in APIS {
        for body in [odd.clone(), format!("{odd}{}", end_marker(kind))] {
            let (text, _, err) = drain(in_memory(kind, body.as_bytes(), 5)).await;
            let err = err.unwrap_or_else(|| panic!("{kind:?}: no error for {body:?}"));
            assert_eq!(err.kind(), ErrorKind::BadResponse, "{kind:?}: {err}");
            assert!(!err.retryable());
            let msg = err.to_string();
            assert!(
                msg.contains("nothing pincer can use") && msg.contains("not json at all"),
                "{kind:?}: the message says what came: {msg}"
            );
            assert!(msg.contains("base_url"), "and what to check: {msg}");
            assert!(text.is_empty());
        }
        let (_, _, err) = over_http(kind, vec![]).await;
        let msg = err.unwrap().to_string();
        assert!(msg.contains("without sending a reply"), "{kind:?}: {msg}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_before_its_finish_marker_is_a_retryable_broken_stream() {
    for kind in APIS {
        let all = events(&reply(kind));
        let keep = |drop: &[&str]| -> String {
            all.iter()
                .filter(|e| !drop.iter().any(|d| e.contains(d)))
                .map(|e| format!("{e}\n\n"))
                .collect()
        };
        let (finish, end) = match kind {
            ProviderKind::Openai => (r#""finish_reason":"stop""#, "[DONE]"),
            ProviderKind::Anthropic => ("message_delta", "message_stop"),
        };
        // Without the finish event and the end marker: broken, whatever arrived.
        let cut = keep(&[finish, end]);
        for (how, got) in [
            ("in memory", drain(in_memory(kind, cut.as_bytes(), 4)).await),
            (
                "over HTTP",
                over_http(kind, split_awkwardly(cut.as_bytes())).await,
            ),
        ] {
            let (text, _, err) = got;
            let err = err.unwrap_or_else(|| panic!("{kind:?} {how}: a cut stream is an error"));
            assert_eq!(err.kind(), ErrorKind::Network, "{kind:?} {how}: {err}");
            assert!(err.retryable(), "{kind:?} {how}");
            assert!(err.to_string().contains("end marker"), "{err}");
            assert_eq!(
                text,
                DELTAS.concat(),
                "{kind:?} {how}: the partial text came first"
            );
        }
        // The finish event (finish_reason / stop_reason) without the end marker is whole.
        let whole = keep(&[end]);
        let (text, _, err) = drain(in_memory(kind, whole.as_bytes(), 4)).await;
        assert_eq!(
            (text.as_str(), err),
            (DELTAS.concat().as_str(), None),
            "{kind:?}"
        );
    }
}
