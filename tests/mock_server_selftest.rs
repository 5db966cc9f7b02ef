//! Self-tests of the scripted mock model server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::io::{Read, Write};
use std::time::Duration;

use support::mock_server::*;

fn client() -> reqwest::Client {
    pincer::tls::client_builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

/// Read the whole body frame by frame.
async fn frames(mut resp: reqwest::Response) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.expect("body chunk") {
        out.push(chunk.to_vec());
    }
    out
}

fn events(bytes: &[u8]) -> Vec<(Option<String>, serde_json::Value)> {
    let text = std::str::from_utf8(bytes).unwrap();
    text.split("\n\n")
        .filter(|e| !e.is_empty() && *e != "data: [DONE]")
        .map(|e| {
            let mut name = None;
            let mut data = None;
            for line in e.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_string());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(d).expect("event data is JSON"));
                }
            }
            (name, data.expect("event has data"))
        })
        .collect()
}

#[tokio::test]
async fn awkwardly_split_sse_arrives_byte_identical() {
    let bytes = crlf(&openai_sse(&["héllo", " wörld 🦀", "\n"], Some((3, 5))));
    let steps = split_awkwardly(&bytes);
    assert!(steps.len() > 10);
    let server = MockServer::start(vec![Reply::Sse(steps.clone())]).await;
    let resp = client()
        .post(format!("{}/v1/chat/completions", server.url()))
        .json(&serde_json::json!({"stream": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let got = frames(resp).await;
    // Each HTTP chunk is delivered as its own body frame (or smaller), never merged.
    assert!(got.len() >= steps.len(), "{} < {}", got.len(), steps.len());
    assert!(got.iter().any(|f| std::str::from_utf8(f).is_err()));
    assert!(got.iter().any(|f| f.ends_with(b"\r")));
    assert_eq!(got.concat(), bytes);
}

#[tokio::test]
async fn split_every_cycles_sizes_and_reassembles() {
    let bytes = anthropic_sse(&["a", "ü"], None);
    let steps = split_every(&bytes, &[1, 3, 7]);
    let lens: Vec<usize> = steps
        .iter()
        .map(|s| match s {
            Step::Bytes(b) => b.len(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(&lens[..6], &[1, 3, 7, 1, 3, 7]);
    let server = MockServer::start(vec![Reply::Sse(steps)]).await;
    let resp = client().get(server.url()).send().await.unwrap();
    assert_eq!(frames(resp).await.concat(), bytes);
}

#[test]
fn builders_produce_provider_shaped_events() {
    let oa = openai_sse(&["Hel", "lo \"x\""], Some((10, 2)));
    assert!(oa.ends_with(b"data: [DONE]\n\n"));
    let ev = events(&oa);
    assert_eq!(ev.len(), 4);
    assert_eq!(ev[0].1["object"], "chat.completion.chunk");
    assert_eq!(ev[0].1["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(ev[0].1["choices"][0]["delta"]["content"], "Hel");
    assert_eq!(ev[1].1["choices"][0]["delta"]["content"], "lo \"x\"");
    assert!(ev[1].1["choices"][0]["delta"].get("role").is_none());
    assert_eq!(ev[2].1["choices"][0]["finish_reason"], "stop");
    assert_eq!(ev[3].1["choices"], serde_json::json!([]));
    assert_eq!(ev[3].1["usage"]["total_tokens"], 12);
    assert_eq!(events(&openai_sse(&["x"], None)).len(), 2);

    let an = anthropic_sse(&["Hi", " there"], Some((7, 3)));
    let ev = events(&an);
    let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    for (name, data) in &ev {
        assert_eq!(data["type"], name.as_deref().unwrap());
    }
    assert_eq!(ev[0].1["message"]["usage"]["input_tokens"], 7);
    assert_eq!(ev[4].1["delta"]["text"], " there");
    assert_eq!(ev[6].1["delta"]["stop_reason"], "end_turn");
    assert_eq!(ev[6].1["usage"]["output_tokens"], 3);

    let c = crlf(b"a\nb\r\nc\n\n");
    assert_eq!(c, b"a\r\nb\r\nc\r\n\r\n");
    assert_eq!(crlf(&c), c);
}

#[tokio::test]
async fn status_replies_carry_status_headers_and_body() {
    let server = MockServer::start(vec![
        with_header(openai_error(429, "slow down"), "Retry-After", "2"),
        anthropic_error(401, "authentication_error", "invalid x-api-key"),
    ])
    .await;
    let c = client();
    let r = c.get(server.url()).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(r.headers()["content-type"], "application/json");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["message"], "slow down");
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");

    let r = c.get(server.url()).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("retry-after").is_none());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "authentication_error");
}

#[tokio::test]
async fn requests_are_recorded_with_json_and_chunked_bodies() {
    let ok = || Reply::sse(openai_sse(&["ok"], None));
    let server = MockServer::start(vec![ok(), ok()]).await;
    let c = client();
    c.post(format!("{}/v1/messages?beta=true", server.url()))
        .header("X-Api-Key", "sk-test")
        .json(&serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hï"}]}))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let parts: Vec<Result<&'static str, std::io::Error>> = vec![Ok("{\"a\":"), Ok("[1,2]}")];
    c.post(format!("{}/chunked", server.url()))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            parts,
        )))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    assert!(server.wait_for_requests(2, Duration::from_secs(1)).await);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/v1/messages?beta=true");
    assert_eq!(reqs[0].header("x-api-key"), Some("sk-test"));
    assert_eq!(reqs[0].header("Content-Type"), Some("application/json"));
    assert!(reqs[0].headers.iter().all(|(k, _)| *k == k.to_lowercase()));
    assert_eq!(reqs[0].json().unwrap()["messages"][0]["content"], "hï");
    assert_eq!(reqs[1].header("transfer-encoding"), Some("chunked"));
    assert_eq!(reqs[1].json().unwrap(), serde_json::json!({"a": [1, 2]}));
}

#[tokio::test]
async fn stall_times_out_client_but_server_keeps_serving() {
    let server = MockServer::start(vec![
        Reply::Sse(vec![Step::Bytes(b"data: a\n\n".to_vec()), Step::Stall]),
        Reply::Status {
            status: 200,
            headers: vec![],
            body: "next".into(),
        },
    ])
    .await;
    let c = client();
    let mut resp = c.get(server.url()).send().await.unwrap();
    assert_eq!(resp.chunk().await.unwrap().unwrap(), &b"data: a\n\n"[..]);
    let stalled = tokio::time::timeout(Duration::from_millis(200), resp.chunk()).await;
    assert!(stalled.is_err(), "expected the read to time out");
    let r = c.get(server.url()).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "next");
}

#[tokio::test]
async fn reset_fails_the_body_after_some_bytes() {
    let server = MockServer::start(vec![Reply::Sse(vec![
        Step::Bytes(b"data: partial\n\n".to_vec()),
        Step::Pause(Duration::from_millis(30)),
        Step::Reset,
    ])])
    .await;
    let mut resp = client().get(server.url()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.chunk().await.unwrap().unwrap(),
        &b"data: partial\n\n"[..]
    );
    let err = resp.chunk().await.expect_err("body must fail after RST");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    let mut reset = false;
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            reset |= io.kind() == std::io::ErrorKind::ConnectionReset;
        }
        source = e.source();
    }
    assert!(reset, "expected ConnectionReset in {err:?}");
}

#[tokio::test]
async fn close_immediately_exhaustion_and_push() {
    let server = MockServer::start(vec![Reply::CloseImmediately]).await;
    let c = client();
    let err = c.get(server.url()).send().await.expect_err("no response");
    assert!(!err.is_timeout(), "{err:?}");

    let r = c
        .get(format!("{}/late", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body = r.text().await.unwrap();
    assert!(body.contains("mock script exhausted"), "{body}");
    assert!(body.contains("#1 (GET /late)"), "{body}");

    server.push(Reply::Status {
        status: 204,
        headers: vec![],
        body: String::new(),
    });
    let r = c.get(server.url()).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(server.requests().len(), 3);
    assert!(!server.wait_for_requests(4, Duration::from_millis(20)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_is_consistent_under_concurrency() {
    const N: usize = 24;
    let script = (0..N)
        .map(|i| Reply::Status {
            status: 200,
            headers: vec![],
            body: i.to_string(),
        })
        .collect();
    let server = MockServer::start(script).await;
    let c = client();
    let tasks: Vec<_> = (0..N)
        .map(|n| {
            let (c, url) = (c.clone(), server.url());
            tokio::spawn(async move {
                let r = c
                    .post(url)
                    .json(&serde_json::json!({ "n": n }))
                    .send()
                    .await
                    .unwrap();
                (n, r.text().await.unwrap().parse::<usize>().unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(server.wait_for_requests(N, Duration::from_secs(1)).await);
    let reqs = server.requests();
    assert_eq!(reqs.len(), N);
    // Request k in the log received script[k].
    for (n, index) in answers {
        assert_eq!(reqs[index].json().unwrap()["n"], n);
    }
}

fn raw_request(addr: std::net::SocketAddr, body: &str) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    write!(
        s,
        "POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    s
}

#[test]
fn start_blocking_serves_from_plain_test_and_stops_on_drop() {
    let server = MockServer::start_blocking(vec![
        Reply::Sse(vec![Step::Bytes(b"data: 1\n\n".to_vec())]),
        Reply::Sse(vec![Step::Stall]),
    ]);
    let mut s = raw_request(server.addr(), "{\"q\":1}");
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(resp.contains("transfer-encoding: chunked\r\n"), "{resp}");
    assert!(
        resp.ends_with("\r\n\r\n9\r\ndata: 1\n\n\r\n0\r\n\r\n"),
        "{resp:?}"
    );
    assert!(server.wait_for_requests_blocking(1, Duration::from_secs(1)));
    assert_eq!(server.requests()[0].json().unwrap()["q"], 1);

    // A stalled connection does not keep the server alive; dropping closes it.
    let mut s = raw_request(server.addr(), "");
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let addr = server.addr();
    drop(server);
    let mut rest = Vec::new();
    assert!(s.read_to_end(&mut rest).is_ok(), "closed, not timed out");
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn dropping_async_server_stops_listening() {
    let server = MockServer::start(vec![]).await;
    let addr = server.addr();
    drop(server);
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
    }
    panic!("server still listening after drop");
}
