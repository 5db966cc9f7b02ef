//! A scripted OpenAI-compatible model for trying pincer without any provider:
//!
//!     cargo run --example mock_model            # listens on 127.0.0.1:8765
//!     pincer --base-url http://127.0.0.1:8765/v1 --model demo
//!
//! Every request gets `assets/demo-reply.md`, streamed a few words at a time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/support/mock_server.rs"]
mod mock_server;

use std::time::Duration;

use mock_server::{MockServer, Reply, Step, openai_sse};

fn reply() -> Reply {
    let text = include_str!("../assets/demo-reply.md");
    let words: Vec<String> = text
        .split_inclusive(' ')
        .collect::<Vec<_>>()
        .chunks(3)
        .map(|c| c.concat())
        .collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let body = openai_sse(&refs, Some((42, refs.len() as u64)));
    let mut steps = Vec::new();
    for event in body
        .split_inclusive(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .chunks(2)
    {
        steps.push(Step::Bytes(event.concat()));
        steps.push(Step::Pause(Duration::from_millis(25)));
    }
    Reply::Sse(steps)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8765);
    let server = MockServer::start_on(port, (0..1000).map(|_| reply()).collect()).await;
    println!("demo model on {}/v1 (Ctrl+C to stop)", server.url());
    let _ = tokio::signal::ctrl_c().await;
}
