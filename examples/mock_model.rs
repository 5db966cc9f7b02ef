//! A scripted OpenAI-compatible model for trying pincer without any provider:
//!
//!     cargo run --example mock_model            # listens on 127.0.0.1:8765
//!     pincer --base-url http://127.0.0.1:8765/v1 --model demo
//!
//! Every request gets `assets/demo-reply.md`, streamed a few words at a time.
//! With `--tools`, replies alternate: a round of tool calls (write a file, run `ls -la`, read
//! the file back), then a short text answer — enough to try the approval overlay by hand.
//! `--fetch=URL` does the same with one `web_fetch` of URL, and `--remember=TEXT` with one
//! `memory_write` of TEXT (the notice, its undo key and the memory pane, by hand).
//!
//! `POST /v1/embeddings` answers deterministic 64-dimension vectors (a hashed bag of words), for
//! trying memory's vector leg (`[memory.embeddings] url = "http://127.0.0.1:8765/v1"`).
//! `--embeddings=down` (503), `--embeddings=slow` (answers after 5 s) or `--embeddings=dims:N`
//! (N-dimension vectors, e.g. to see the "wrong dimension" and "stale" messages).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/support/mock_server.rs"]
mod mock_server;

use std::time::Duration;

use mock_server::{EmbeddingsMode, MockServer, Reply, Step, openai_sse, openai_tool_calls};

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

fn tool_round() -> Reply {
    Reply::sse(openai_tool_calls(
        Some("Let me write the file and look around."),
        &[
            (
                "call_w",
                "write_file",
                r#"{"path":"demo/hello.txt","content":"hello from the demo model\n"}"#,
            ),
            ("call_s", "shell", r#"{"command":"ls -la demo"}"#),
            ("call_r", "read_file", r#"{"path":"demo/hello.txt"}"#),
        ],
    ))
}

/// A call of `tool` with `args`, then a short `answer`, alternately (`--fetch`, `--remember`).
fn call_then_answer(i: usize, tool: &str, args: serde_json::Value, answer: &[&str]) -> Reply {
    if i % 2 == 1 {
        return Reply::sse(openai_sse(answer, Some((50, 6))));
    }
    let args = args.to_string();
    Reply::sse(openai_tool_calls(None, &[("call_1", tool, args.as_str())]))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tools = args.iter().any(|a| a == "--tools");
    let fetch = args.iter().find_map(|a| a.strip_prefix("--fetch="));
    let remember = args.iter().find_map(|a| a.strip_prefix("--remember="));
    let port: u16 = args.iter().find_map(|p| p.parse().ok()).unwrap_or(8765);
    let script: Vec<Reply> = (0..1000)
        .map(|i| {
            if let Some(url) = fetch {
                let args = serde_json::json!({ "url": url });
                call_then_answer(i, "web_fetch", args, &["Fetched: ", "the page is above."])
            } else if let Some(text) = remember {
                let args = serde_json::json!({ "text": text });
                call_then_answer(
                    i,
                    "memory_write",
                    args,
                    &["Noted: ", "I will remember that."],
                )
            } else if !tools {
                reply()
            } else if i % 2 == 0 {
                tool_round()
            } else {
                Reply::sse(openai_sse(
                    &["Done: ", "the file is written and read back."],
                    Some((50, 12)),
                ))
            }
        })
        .collect();
    let server = MockServer::start_on(port, script).await;
    let embeddings = args.iter().find_map(|a| a.strip_prefix("--embeddings="));
    server.set_embeddings(match embeddings {
        Some("down") => EmbeddingsMode::Status(503),
        Some("slow") => EmbeddingsMode::Slow {
            delay: Duration::from_secs(5),
            dims: mock_server::embeddings::MOCK_DIMS,
        },
        Some(other) => EmbeddingsMode::Ok {
            dims: other
                .strip_prefix("dims:")
                .and_then(|n| n.parse().ok())
                .expect("--embeddings=down|slow|dims:N"),
        },
        None => EmbeddingsMode::default(),
    });
    println!("demo model on {}/v1 (Ctrl+C to stop)", server.url());
    let _ = tokio::signal::ctrl_c().await;
}
