//! `pincer serve` as a whole process (the binary cargo built for this profile; run it with
//! `cargo bench --bench serve` for release numbers) against the scripted mock model:
//!
//! - resident memory idle, and with 100 sessions open (100 event streams, one runtime each);
//! - first event byte after a send on loopback: POST a message → the first byte of the next
//!   event on an already open stream (median of 20);
//! - CPU ticks of the service over an idle window with one event stream connected
//!   (`PINCER_BENCH_IDLE_SECS`, default 30);
//! - events per second sustained to 10 clients: one reply of 2000 deltas, every client reads
//!   every event.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support {
    #[path = "../../tests/support/mock_server.rs"]
    #[allow(dead_code)]
    pub mod mock_server;
    #[allow(dead_code)]
    pub mod proc;
    #[path = "../../tests/support/pty.rs"]
    #[allow(dead_code)]
    pub mod pty;
}

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;
use support::mock_server::*;
use support::proc::{cpu_ticks, rss_kib};
use support::pty::write_mock_config;

struct Service {
    child: Child,
    base: String,
    token: String,
    http: reqwest::Client,
    _home: tempfile::TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(model_url: &str) -> Service {
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), model_url, "");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pincer"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args([
            "--message-burst",
            "100000",
            "--messages-per-minute",
            "100000",
        ])
        .current_dir(home.path())
        .env("PINCER_HOME", home.path())
        .env_remove("OPENAI_API_KEY")
        .env_remove("PINCER_BASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .unwrap();
    let (base, token) = url.split_once("/#token=").unwrap();
    Service {
        child,
        base: base.to_string(),
        token: token.to_string(),
        http: pincer::tls::client_builder().build().unwrap(),
        _home: home,
    }
}

impl Service {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn session(&self) -> String {
        let v = self.post("/api/sessions", serde_json::json!({})).await;
        v["id"].as_str().unwrap().to_string()
    }

    async fn stream(&self, id: &str) -> Events {
        let res = self
            .http
            .get(format!(
                "{}/api/sessions/{id}/events?token={}",
                self.base, self.token
            ))
            .send()
            .await
            .unwrap();
        Events {
            body: Box::pin(res.bytes_stream()),
            buf: String::new(),
        }
    }
}

type Body =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

struct Events {
    body: Body,
    buf: String,
}

impl Events {
    /// Read until an event containing `needle`; how many events were read.
    async fn until(&mut self, needle: &str) -> usize {
        let mut events = 0;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..end + 2).collect();
                if frame.contains("data: ") {
                    events += 1;
                    if frame.contains(needle) {
                        return events;
                    }
                }
            }
            let chunk = self.body.next().await.unwrap().unwrap();
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Wait for the next chunk of bytes.
    async fn next_bytes(&mut self) {
        let chunk = self.body.next().await.unwrap().unwrap();
        self.buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sends = 20;
    let deltas: Vec<String> = (0..2000).map(|i| format!("w{i} ")).collect();
    let delta_refs: Vec<&str> = deltas.iter().map(String::as_str).collect();
    let mut script: Vec<Reply> = (0..sends)
        .map(|_| Reply::sse(openai_sse(&["ok"], None)))
        .collect();
    script.push(Reply::sse(openai_sse(&delta_refs, None)));
    let server = MockServer::start(script).await;
    let svc = start(&server.url());
    let pid = svc.child.id();
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("resident idle: {:.1} MiB", rss_kib(pid) as f64 / 1024.0);

    // First event byte after a send.
    let id = svc.session().await;
    let mut events = svc.stream(&id).await;
    events.until("policy_configured").await;
    let mut firsts = Vec::new();
    for n in 0..sends {
        events.buf.clear();
        let start = Instant::now();
        svc.post(
            &format!("/api/sessions/{id}/messages"),
            serde_json::json!({ "text": format!("ping {n}") }),
        )
        .await;
        if events.buf.is_empty() {
            events.next_bytes().await;
        }
        firsts.push(start.elapsed());
        events.until("turn_finished").await;
    }
    firsts.sort();
    println!(
        "first event byte after a send: median {:.2} ms, min {:.2} ms, max {:.2} ms ({sends} sends)",
        ms(firsts[sends / 2]),
        ms(firsts[0]),
        ms(firsts[sends - 1])
    );

    // Idle CPU with a client connected.
    let idle_secs: u64 = std::env::var("PINCER_BENCH_IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t0 = cpu_ticks(pid);
    tokio::time::sleep(Duration::from_secs(idle_secs)).await;
    println!(
        "idle {idle_secs} s with one event stream connected: {} CPU ticks",
        cpu_ticks(pid) - t0
    );
    drop(events);

    // 100 open sessions.
    let mut open = Vec::new();
    for _ in 0..100 {
        let id = svc.session().await;
        let mut s = svc.stream(&id).await;
        s.until("policy_configured").await;
        open.push(s);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "resident with 100 sessions open: {:.1} MiB",
        rss_kib(pid) as f64 / 1024.0
    );
    drop(open);

    // Events per second to 10 clients.
    let id = svc.session().await;
    let mut clients = Vec::new();
    for _ in 0..10 {
        let mut c = svc.stream(&id).await;
        c.until("policy_configured").await;
        clients.push(c);
    }
    let start = Instant::now();
    svc.post(
        &format!("/api/sessions/{id}/messages"),
        serde_json::json!({ "text": "long" }),
    )
    .await;
    let counts =
        futures_util::future::join_all(clients.iter_mut().map(|c| c.until("turn_finished"))).await;
    let elapsed = start.elapsed();
    let total: usize = counts.iter().sum();
    println!(
        "10 clients: {total} events in {:.0} ms = {:.0} events/s delivered",
        ms(elapsed),
        total as f64 / elapsed.as_secs_f64()
    );
}
