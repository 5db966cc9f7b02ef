//! Provider clients against the scripted mock server: both APIs, odd chunk boundaries, errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use pincer::config::{NetworkConfig, ResolvedProvider};
use pincer::protocol::{ErrorKind, ProviderKind};
use pincer::provider::{ChatMessage, ChatRequest, ProviderClient, ProviderError, StreamItem};
use support::mock_server::*;

fn provider(kind: ProviderKind, url: &str, key: Option<&str>) -> ResolvedProvider {
    ResolvedProvider {
        profile: "mock".into(),
        kind,
        base_url: match kind {
            ProviderKind::Openai => format!("{url}/v1"),
            ProviderKind::Anthropic => url.to_string(),
        },
        model: "mock-model".into(),
        api_key: key.map(Into::into),
        api_key_env: Some("MOCK_API_KEY".into()),
        max_tokens: 256,
    }
}

fn network() -> NetworkConfig {
    NetworkConfig {
        stream_idle_timeout_ms: 400,
        ..NetworkConfig::default()
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        system: Some("be brief".into()),
        messages: vec![ChatMessage::user("hi")],
        tools: vec![],
    }
}

/// Collect text and usage; the error, if the stream ends with one.
async fn drain(
    client: &ProviderClient,
) -> (
    String,
    Option<(Option<u64>, Option<u64>)>,
    Option<ProviderError>,
) {
    let mut text = String::new();
    let mut usage = None;
    let mut stream = match client.stream(&request()).await {
        Ok(s) => s,
        Err(e) => return (text, usage, Some(e)),
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamItem::Text(t)) => text.push_str(&t),
            Ok(StreamItem::Usage { input, output }) => {
                let (i0, o0) = usage.unwrap_or((None, None));
                usage = Some((input.or(i0), output.or(o0)));
            }
            Ok(StreamItem::ToolCall(c)) => {
                text.push_str(&format!("<call {} {}>", c.name, c.arguments))
            }
            Err(e) => return (text, usage, Some(e)),
        }
    }
    (text, usage, None)
}

fn client(kind: ProviderKind, server: &MockServer) -> ProviderClient {
    ProviderClient::new(provider(kind, &server.url(), Some("sk-test")), network()).unwrap()
}

const DELTAS: &[&str] = &["Grüß", " dich, ", "🦀 — ", "naïve\ncafé"];

#[tokio::test]
async fn openai_stream_split_inside_utf8_and_crlf() {
    let body = crlf(&openai_sse(DELTAS, Some((11, 7))));
    let server = MockServer::start(vec![Reply::Sse(split_awkwardly(&body))]).await;
    let (text, usage, err) = drain(&client(ProviderKind::Openai, &server)).await;
    assert_eq!(err, None);
    assert_eq!(text, DELTAS.concat());
    assert_eq!(usage, Some((Some(11), Some(7))));

    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.header("authorization"), Some("Bearer sk-test"));
    let json = req.json().unwrap();
    assert_eq!(json["model"], "mock-model");
    assert_eq!(json["stream"], true);
    assert_eq!(json["messages"][0]["role"], "system");
}

#[tokio::test]
async fn openai_stream_one_byte_at_a_time() {
    let body = openai_sse(DELTAS, None);
    let server = MockServer::start(vec![Reply::Sse(split_every(&body, &[1, 2, 3]))]).await;
    let (text, usage, err) = drain(&client(ProviderKind::Openai, &server)).await;
    assert_eq!(
        (text.as_str(), usage, err),
        (DELTAS.concat().as_str(), None, None)
    );
}

#[tokio::test]
async fn anthropic_stream_split_awkwardly() {
    let body = crlf(&anthropic_sse(DELTAS, Some((20, 9))));
    let server = MockServer::start(vec![Reply::Sse(split_awkwardly(&body))]).await;
    let (text, usage, err) = drain(&client(ProviderKind::Anthropic, &server)).await;
    assert_eq!(err, None);
    assert_eq!(text, DELTAS.concat());
    assert_eq!(usage, Some((Some(20), Some(9))));
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.header("x-api-key"), Some("sk-test"));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.json().unwrap()["system"], "be brief");
}

#[tokio::test]
async fn invalid_utf8_split_across_chunks_is_replaced() {
    let mut body = b"data: {\"choices\":[{\"delta\":{\"content\":\"a".to_vec();
    body.extend_from_slice(&[0xE2, 0x82]); // a broken 3-byte sequence …
    body.extend_from_slice(b"b\"}}]}\n\ndata: [DONE]\n\n");
    let server = MockServer::start(vec![Reply::Sse(split_every(&body, &[1]))]).await;
    let (text, _, err) = drain(&client(ProviderKind::Openai, &server)).await;
    // serde_json refuses the lossy text or reads it with U+FFFD; either way no panic and a clear result.
    match err {
        None => assert!(text.starts_with('a') && text.ends_with('b'), "{text:?}"),
        Some(e) => assert_eq!(e.kind(), ErrorKind::BadResponse),
    }
}

#[tokio::test]
async fn auth_error_names_the_key_variable() {
    let server = MockServer::start(vec![openai_error(401, "Incorrect API key provided")]).await;
    let (_, _, err) = drain(&client(ProviderKind::Openai, &server)).await;
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.retryable());
    let msg = err.to_string();
    assert!(
        msg.contains("MOCK_API_KEY") && msg.contains("Incorrect API key"),
        "{msg}"
    );
}

#[tokio::test]
async fn rate_limit_carries_retry_after() {
    let reply = with_header(openai_error(429, "slow down"), "retry-after", "3");
    let server = MockServer::start(vec![reply]).await;
    let (_, _, err) = drain(&client(ProviderKind::Openai, &server)).await;
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert!(err.retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
}

#[tokio::test]
async fn server_error_is_retryable() {
    let server =
        MockServer::start(vec![anthropic_error(529, "overloaded_error", "Overloaded")]).await;
    let (_, _, err) = drain(&client(ProviderKind::Anthropic, &server)).await;
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(err.retryable() && err.to_string().contains("Overloaded"));
}

#[tokio::test]
async fn context_length_error_is_clear() {
    let server = MockServer::start(vec![openai_error(
        400,
        "This model's maximum context length is 4096 tokens. However, your messages resulted in 9000 tokens.",
    )])
    .await;
    let (_, _, err) = drain(&client(ProviderKind::Openai, &server)).await;
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::ContextLength);
    assert!(err.to_string().contains("/new"));
}

#[tokio::test]
async fn stall_times_out_with_partial_text() {
    let body = openai_sse(&["partial"], None);
    let first_event_end = body.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let server = MockServer::start(vec![Reply::Sse(vec![
        Step::Bytes(body[..first_event_end].to_vec()),
        Step::Stall,
    ])])
    .await;
    let (text, _, err) = drain(&client(ProviderKind::Openai, &server)).await;
    assert_eq!(text, "partial");
    assert_eq!(err.unwrap().kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn reset_mid_stream_is_a_retryable_network_error() {
    let body = openai_sse(&["one ", "two"], None);
    let server = MockServer::start(vec![Reply::Sse(vec![
        Step::Bytes(body[..body.len() / 2].to_vec()),
        Step::Pause(Duration::from_millis(30)),
        Step::Reset,
    ])])
    .await;
    let (_, _, err) = drain(&client(ProviderKind::Openai, &server)).await;
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.retryable());
}

#[tokio::test]
async fn empty_and_garbage_streams_are_bad_responses() {
    let server = MockServer::start(vec![
        Reply::Sse(vec![]),
        Reply::sse(b"data: <html>502 Bad Gateway</html>\n\n".to_vec()),
        Reply::sse(b"\xff\xfe garbage without fields \x00\n\n".to_vec()),
    ])
    .await;
    let c = client(ProviderKind::Openai, &server);
    for _ in 0..3 {
        let (_, _, err) = drain(&c).await;
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::BadResponse, "{err}");
        assert!(!err.to_string().is_empty());
    }
}

#[tokio::test]
async fn a_server_that_ignores_stream_true_still_works() {
    let server = MockServer::start(vec![Reply::Status {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: r#"{"choices":[{"message":{"role":"assistant","content":"whole"}}],"usage":{"prompt_tokens":2,"completion_tokens":1}}"#.into(),
    }])
    .await;
    let (text, usage, err) = drain(&client(ProviderKind::Openai, &server)).await;
    assert_eq!(
        (text.as_str(), usage, err),
        ("whole", Some((Some(2), Some(1))), None)
    );
}

#[tokio::test]
async fn unreachable_server_says_so() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = ProviderClient::new(provider(ProviderKind::Openai, &url, None), network()).unwrap();
    let (_, _, err) = drain(&c).await;
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.to_string().contains("nothing is listening"), "{err}");
}

#[tokio::test]
async fn lists_models() {
    let server = MockServer::start(vec![Reply::Status {
        status: 200,
        headers: vec![],
        body: r#"{"object":"list","data":[{"id":"smol"},{"id":"big"}]}"#.into(),
    }])
    .await;
    let models = client(ProviderKind::Openai, &server)
        .list_models()
        .await
        .unwrap();
    assert_eq!(models, vec!["smol", "big"]);
    assert_eq!(server.requests()[0].path, "/v1/models");
}

#[tokio::test]
async fn openai_tool_calls_stream_in_pieces() {
    let body = openai_tool_calls(
        Some("Let me look."),
        &[
            ("call_1", "read_file", r#"{"path":"src/main.rs"}"#),
            ("call_2", "list_dir", "{}"),
        ],
    );
    let server = MockServer::start(vec![Reply::Sse(split_every(&body, &[5, 13]))]).await;
    let (text, _, err) = drain(&client(ProviderKind::Openai, &server)).await;
    assert_eq!(err, None);
    assert_eq!(
        text,
        r#"Let me look.<call read_file {"path":"src/main.rs"}><call list_dir {}>"#
    );
}

#[tokio::test]
async fn anthropic_tool_use_streams_in_pieces() {
    let body = anthropic_tool_use(
        Some("Checking."),
        &[("toolu_1", "grep", r#"{"pattern":"fn main"}"#)],
    );
    let server = MockServer::start(vec![Reply::Sse(split_awkwardly(&crlf(&body)))]).await;
    let (text, usage, err) = drain(&client(ProviderKind::Anthropic, &server)).await;
    assert_eq!(err, None);
    assert_eq!(text, r#"Checking.<call grep {"pattern":"fn main"}>"#);
    assert_eq!(usage, Some((Some(10), Some(20))));
}
