//! `pincer serve`'s HTTP API on a random loopback port, in process, with the scripted mock
//! model: auth, every route, the event stream and its replay, approvals, limits, bad input.

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use pincer::config::Config;
use pincer::protocol::ApprovalMode;
use pincer::serve::{Hub, Rates, SettingsFactory, Token};
use serde_json::{Value, json};
use support::events::{mock_network, mock_settings};
use support::mock_server::*;

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// Generous: the machine may be loaded.
const WAIT: Duration = Duration::from_secs(60);

struct Service {
    base: String,
    http: reqwest::Client,
    work: tempfile::TempDir,
    _home: tempfile::TempDir,
    hub: Arc<Hub>,
    _server: MockServer,
}

async fn start(script: Vec<Reply>, rates: Rates) -> Service {
    let server = MockServer::start(script).await;
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let workspace = std::fs::canonicalize(work.path()).unwrap();
    let db = home.path().join("pincer.db");
    let (url, home_dir, db_path) = (server.url(), home.path().to_path_buf(), db.clone());
    let factory: SettingsFactory = Arc::new(move |_resume, workspace: PathBuf| {
        let config = Config {
            mode: ApprovalMode::Ask,
            network: mock_network(30_000),
            ..Config::default()
        };
        let mut s = mock_settings(&url, config, workspace);
        s.config_path = home_dir.join("config.toml");
        s.database = Some(db_path.clone());
        s.temp_dir = home_dir.join("tmp");
        s.exe = PathBuf::from(env!("CARGO_BIN_EXE_pincer"));
        s.memory_dir = Some(home_dir.join("memory"));
        s
    });
    let hub = Hub::open_store(Some(db), factory, workspace).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(pincer::serve::serve(
        listener,
        Arc::clone(&hub),
        Token::from_text(TOKEN),
        rates,
        std::future::pending(),
    ));
    Service {
        base,
        http: pincer::tls::client_builder().build().unwrap(),
        work,
        _home: home,
        hub,
        _server: server,
    }
}

impl Service {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn new_session(&self) -> String {
        let (status, body) = self.call("POST", "/api/sessions", None).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    async fn say(&self, id: &str, text: &str) {
        let (status, body) = self
            .call(
                "POST",
                &format!("/api/sessions/{id}/messages"),
                Some(json!({ "text": text })),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }

    async fn events(&self, id: &str, last: Option<u64>) -> Stream {
        let mut req = self.http.get(format!(
            "{}/api/sessions/{id}/events?token={TOKEN}",
            self.base
        ));
        if let Some(l) = last {
            req = req.header("Last-Event-ID", l.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Stream {
            body: Box::pin(res.bytes_stream()),
            buf: String::new(),
        }
    }
}

type Body =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// An event-stream reader: `(id, JSON)` per event.
struct Stream {
    body: Body,
    buf: String,
}

impl Stream {
    async fn next(&mut self) -> (Option<u64>, Value) {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if !data.is_empty() {
                    return (id, serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout(WAIT, self.body.next())
                .await
                .expect("an event in time")
                .expect("the stream is open")
                .unwrap();
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events up to and including the first `kind`.
    async fn until(&mut self, kind: &str) -> Vec<(Option<u64>, Value)> {
        let mut seen = Vec::new();
        loop {
            let ev = self.next().await;
            let done = ev.1["event"] == kind;
            seen.push(ev);
            if done {
                return seen;
            }
        }
    }
}

fn kinds(events: &[(Option<u64>, Value)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, v)| v["event"].as_str().unwrap_or("").to_string())
        .collect()
}

fn write_call(path: &str, content: &str) -> Reply {
    Reply::sse(openai_tool_calls(
        None,
        &[(
            "c1",
            "write_file",
            &format!(r#"{{"path":{path:?},"content":{content:?}}}"#),
        )],
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_right_token_get_401_json_and_nothing_else() {
    let svc = start(vec![], Rates::default()).await;
    let id = svc.new_session().await;
    let raw = |url: String| svc.http.get(url);
    for req in [
        raw(format!("{}/api/sessions", svc.base)),
        raw(format!("{}/api/sessions", svc.base)).bearer_auth("stale"),
        raw(format!("{}/api/sessions", svc.base)).bearer_auth(&TOKEN[1..]),
        // The query parameter is taken on the event stream only.
        raw(format!("{}/api/sessions?token={TOKEN}", svc.base)),
        raw(format!("{}/api/sessions/{id}/events?token=wrong", svc.base)),
        raw(format!("{}/api/nothing-here", svc.base)),
    ] {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        assert!(res.headers().get("access-control-allow-origin").is_none());
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], 401);
        assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
        assert!(body.get("sessions").is_none());
    }
    // The page itself is public (it holds no secret) and locked down by its CSP.
    let page = svc.http.get(format!("{}/", svc.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("/app.js") && !html.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_routes_create_list_show_rename_resume_fork_delete() {
    let svc = start(
        vec![Reply::sse(openai_sse(&["first ", "answer"], None))],
        Rates::default(),
    )
    .await;
    let (status, created) = svc
        .call("POST", "/api/sessions", Some(json!({ "title": "plans" })))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["title"], "plans");
    assert_eq!(created["origin"], "web");
    let id = created["id"].as_str().unwrap().to_string();

    let (status, list) = svc.call("GET", "/api/sessions", None).await;
    assert_eq!(status, 200);
    assert!(
        list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == id)
    );

    let mut events = svc.events(&id, None).await;
    svc.say(&id, "hello there").await;
    let seen = events.until("turn_finished").await;
    let done = seen
        .iter()
        .find(|(_, v)| v["event"] == "assistant_message_done")
        .unwrap();
    assert_eq!(done.1["text"], "first answer");

    let (status, shown) = svc.call("GET", &format!("/api/sessions/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["message_count"], 2);
    assert_eq!(shown["open"], true, "watched: its runtime stays");

    let (status, renamed) = svc
        .call(
            "PATCH",
            &format!("/api/sessions/{id}"),
            Some(json!({ "title": "renamed" })),
        )
        .await;
    assert_eq!((status, renamed["title"].clone()), (200, json!("renamed")));
    let (status, _) = svc
        .call(
            "PATCH",
            &format!("/api/sessions/{id}"),
            Some(json!({ "title": " " })),
        )
        .await;
    assert_eq!(status, 400);

    let (status, resumed) = svc
        .call("POST", &format!("/api/sessions/{id}/resume"), None)
        .await;
    assert_eq!((status, resumed["open"].clone()), (200, json!(true)));

    let (status, fork) = svc
        .call("POST", &format!("/api/sessions/{id}/fork"), None)
        .await;
    assert_eq!(status, 201, "{fork}");
    assert_eq!(fork["parent_id"], json!(id));
    assert_eq!(fork["message_count"], 2);
    let (status, bad_fork) = svc
        .call(
            "POST",
            &format!("/api/sessions/{id}/fork"),
            Some(json!({ "before_item": 999_999 })),
        )
        .await;
    assert_eq!(status, 400, "{bad_fork}");

    let (status, skills) = svc.call("GET", "/api/skills", None).await;
    assert_eq!(status, 200);
    assert!(skills["skills"].is_array());
    let (status, memory) = svc.call("GET", "/api/memory?query=x", None).await;
    assert_eq!(status, 200, "{memory}");
    assert!(memory["entries"].is_array());
    let (status, _) = svc.call("GET", "/api/memory?scope=nope", None).await;
    assert_eq!(status, 400);

    let (status, deleted) = svc
        .call("DELETE", &format!("/api/sessions/{id}"), None)
        .await;
    assert_eq!(status, 200, "{deleted}");
    // The watcher's stream ends with the runtime.
    tokio::time::timeout(WAIT, async {
        while let Some(chunk) = events.body.next().await {
            chunk.unwrap();
        }
    })
    .await
    .expect("the stream of a deleted session ends");
    let (status, gone) = svc.call("GET", &format!("/api/sessions/{id}"), None).await;
    assert_eq!(status, 404);
    assert!(gone["error"].as_str().unwrap().contains("no session"));
    let fork_id = fork["id"].as_str().unwrap();
    let (status, kept) = svc
        .call("GET", &format!("/api/sessions/{fork_id}"), None)
        .await;
    assert_eq!((status, kept["parent_id"].clone()), (200, Value::Null));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sessions_bad_json_and_wrong_routes_get_json_errors() {
    let svc = start(vec![], Rates::default()).await;
    let id = svc.new_session().await;
    for (method, path) in [
        ("GET", "/api/sessions/nope"),
        ("PATCH", "/api/sessions/nope"),
        ("DELETE", "/api/sessions/nope"),
        ("POST", "/api/sessions/nope/messages"),
        ("POST", "/api/sessions/nope/resume"),
        ("POST", "/api/sessions/nope/fork"),
        ("POST", "/api/sessions/nope/interrupt"),
        ("POST", "/api/sessions/nope/approvals/1"),
        ("GET", "/api/sessions/nope/events"),
    ] {
        let body = match method {
            "PATCH" => Some(json!({ "title": "t" })),
            "POST" if path.ends_with("messages") => Some(json!({ "text": "t" })),
            "POST" if path.contains("approvals") => Some(json!({ "decision": "deny" })),
            _ => None,
        };
        let (status, err) = svc.call(method, path, body).await;
        assert_eq!(status, 404, "{method} {path}: {err}");
        assert!(err["error"].as_str().unwrap().contains("nope"), "{err}");
    }
    let bad = svc
        .http
        .post(format!("{}/api/sessions/{id}/messages", svc.base))
        .bearer_auth(TOKEN)
        .body("{\"text\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let err: Value = bad.json().await.unwrap();
    assert!(err["error"].as_str().unwrap().contains("JSON"), "{err}");
    for (body, what) in [
        (json!({ "txt": "typo" }), "missing field"),
        (json!({ "text": "   " }), "empty"),
    ] {
        let (status, err) = svc
            .call("POST", &format!("/api/sessions/{id}/messages"), Some(body))
            .await;
        assert_eq!(status, 400);
        assert!(err["error"].as_str().unwrap().contains(what), "{err}");
    }
    let (status, err) = svc
        .call(
            "POST",
            &format!("/api/sessions/{id}/approvals/1"),
            Some(json!({ "decision": "maybe" })),
        )
        .await;
    assert_eq!(status, 400);
    assert!(err["error"].as_str().unwrap().contains("approve_once"));
    let (status, _) = svc
        .call(
            "POST",
            &format!("/api/sessions/{id}/approvals/x"),
            Some(json!({ "decision": "deny" })),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = svc.call("GET", "/api/nothing", None).await;
    assert_eq!(status, 404);
    let (status, err) = svc.call("PUT", "/api/sessions", None).await;
    assert_eq!(status, 405, "{err}");
    let bad_id = svc
        .http
        .get(format!(
            "{}/api/sessions/{id}/events?token={TOKEN}",
            svc.base
        ))
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status().as_u16(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_with_last_event_id_loses_and_repeats_nothing() {
    let svc = start(
        vec![Reply::Sse(split_every(
            &openai_sse(&["one ", "two ", "three ", "four ", "five"], Some((3, 5))),
            &[40],
        ))],
        Rates::default(),
    )
    .await;
    let id = svc.new_session().await;
    let mut steady = svc.events(&id, None).await;
    let mut flaky = svc.events(&id, None).await;
    svc.say(&id, "count").await;
    let all = steady.until("turn_finished").await;
    let before = flaky.until("assistant_delta").await;
    let last = before.last().unwrap().0.unwrap();
    drop(flaky);
    let mut again = svc.events(&id, Some(last)).await;
    let after = again.until("turn_finished").await;
    let ids = |evs: &[(Option<u64>, Value)]| evs.iter().map(|e| e.0.unwrap()).collect::<Vec<_>>();
    let mut joined = ids(&before);
    joined.extend(ids(&after));
    assert_eq!(joined, ids(&all), "the same events, each once, in order");
    assert!(kinds(&after).iter().all(|k| k != "replay_gap"));
    let text: String = after
        .iter()
        .chain(&before)
        .filter(|(_, v)| v["event"] == "assistant_delta")
        .map(|(_, v)| v["text"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(text.len(), "one two three four five".len());

    // An id the log does not know (an earlier service): a gap notice, then everything again.
    let mut stale = svc.events(&id, Some(5)).await;
    let (gap_id, gap) = stale.next().await;
    assert_eq!((gap_id, gap["event"].clone()), (None, json!("replay_gap")));
    let (first, configured) = stale.next().await;
    assert_eq!(configured["event"], "session_configured");
    assert_eq!(first, all[0].0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_answered_once_and_closes_in_every_window() {
    let svc = start(
        vec![
            write_call("out.txt", "from the api\n"),
            Reply::sse(openai_sse(&["written"], None)),
        ],
        Rates::default(),
    )
    .await;
    let id = svc.new_session().await;
    let mut a = svc.events(&id, None).await;
    let mut b = svc.events(&id, None).await;
    svc.say(&id, "write out.txt").await;
    let asked = a.until("approval_requested").await;
    let request = &asked.last().unwrap().1;
    assert_eq!(request["preview"]["kind"], "diff");
    assert!(
        request["preview"]["diff"]
            .as_str()
            .unwrap()
            .contains("+from the api")
    );
    let rid = request["request_id"].as_u64().unwrap();
    b.until("approval_requested").await;
    assert!(!svc.work.path().join("out.txt").exists());

    let path = format!("/api/sessions/{id}/approvals/{rid}");
    let first = svc.call("POST", &path, Some(json!({ "decision": "approve_once" })));
    let second = svc.call(
        "POST",
        &path,
        Some(json!({ "decision": "deny", "reason": "no" })),
    );
    let ((s1, r1), (s2, r2)) = tokio::join!(first, second);
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{r1} {r2}");
    let conflict = if s1 == 409 { &r1 } else { &r2 };
    assert!(
        conflict["error"]
            .as_str()
            .unwrap()
            .contains("no longer waits")
    );
    let won = if s1 == 200 { "approve_once" } else { "deny" };

    for stream in [&mut a, &mut b] {
        let rest = stream.until("turn_finished").await;
        let resolved: Vec<_> = rest
            .iter()
            .filter(|(_, v)| v["event"] == "approval_resolved")
            .collect();
        assert_eq!(resolved.len(), 1, "{:?}", kinds(&rest));
        assert_eq!(resolved[0].1["request_id"], rid);
        assert_eq!(resolved[0].1["decision"]["decision"], won);
    }
    let written = std::fs::read_to_string(svc.work.path().join("out.txt")).ok();
    if won == "approve_once" {
        assert_eq!(written.as_deref(), Some("from the api\n"));
    } else {
        assert_eq!(written, None);
    }
    let (status, _) = svc
        .call("POST", &path, Some(json!({ "decision": "approve_once" })))
        .await;
    assert_eq!(status, 409, "an answer after the turn ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_stops_a_stalled_turn() {
    let stalled = openai_sse(&["partial", " never"], None);
    let first = stalled.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let svc = start(
        vec![Reply::Sse(vec![
            Step::Bytes(stalled[..first].to_vec()),
            Step::Stall,
        ])],
        Rates::default(),
    )
    .await;
    let id = svc.new_session().await;
    let (_, idle) = svc
        .call("POST", &format!("/api/sessions/{id}/interrupt"), None)
        .await;
    assert_eq!(idle["interrupted"], false);
    let mut events = svc.events(&id, None).await;
    svc.say(&id, "go").await;
    events.until("assistant_delta").await;
    let (status, body) = svc
        .call("POST", &format!("/api/sessions/{id}/interrupt"), None)
        .await;
    assert_eq!((status, body["interrupted"].clone()), (200, json!(true)));
    let rest = events.until("turn_finished").await;
    assert_eq!(rest.last().unwrap().1["outcome"], "interrupted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_flood_gets_429_and_a_request_flood_too() {
    let rates = Rates {
        message_burst: 2,
        messages_per_minute: 1,
        request_burst: 1_000,
        requests_per_minute: 60_000,
    };
    let svc = start(
        vec![
            Reply::sse(openai_sse(&["a"], None)),
            Reply::sse(openai_sse(&["b"], None)),
        ],
        rates,
    )
    .await;
    let id = svc.new_session().await;
    let path = format!("/api/sessions/{id}/messages");
    let mut statuses = Vec::new();
    for n in 0..4 {
        let (status, body) = svc
            .call("POST", &path, Some(json!({ "text": format!("m{n}") })))
            .await;
        if status == 429 {
            assert!(
                body["error"].as_str().unwrap().contains("try again"),
                "{body}"
            );
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [202, 202, 429, 429]);
    let (status, _) = svc.call("GET", "/api/sessions", None).await;
    assert_eq!(status, 200, "other calls still work");

    let tight = start(
        vec![],
        Rates {
            request_burst: 3,
            requests_per_minute: 1,
            ..Rates::default()
        },
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(tight.call("GET", "/api/sessions", None).await.0);
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert!(statuses[3..].iter().all(|&s| s == 429), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_message_gets_413_and_the_service_keeps_serving() {
    let svc = start(
        vec![Reply::sse(openai_sse(&["fine"], None))],
        Rates::default(),
    )
    .await;
    let id = svc.new_session().await;
    let huge = json!({ "text": "x".repeat(10 * 1024 * 1024) });
    let (status, err) = svc
        .call("POST", &format!("/api/sessions/{id}/messages"), Some(huge))
        .await;
    assert_eq!(status, 413, "{err}");
    assert!(err["error"].as_str().unwrap().contains("limit"), "{err}");
    let (_, shown) = svc.call("GET", &format!("/api/sessions/{id}"), None).await;
    assert_eq!(shown["message_count"], 0, "nothing was stored");
    let mut events = svc.events(&id, None).await;
    svc.say(&id, "small").await;
    let seen = events.until("turn_finished").await;
    assert_eq!(seen.last().unwrap().1["outcome"], "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_turn_costs_nothing_and_the_runtime_stops_after_it() {
    let svc = start(
        vec![Reply::Sse(split_every(
            &openai_sse(&["slow ", "reply"], None),
            &[30],
        ))],
        Rates::default(),
    )
    .await;
    let id = svc.new_session().await;
    let mut events = svc.events(&id, None).await;
    svc.say(&id, "go").await;
    events.until("turn_started").await;
    drop(events);
    // The turn still completes and is stored; nobody watches, so the runtime stops after it.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, shown) = svc.call("GET", &format!("/api/sessions/{id}"), None).await;
        if shown["message_count"] == 2 && shown["open"] == false {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{shown}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(svc.hub.open_count(), 0);
    // A new watcher reopens it with the whole transcript.
    let mut again = svc.events(&id, None).await;
    let (_, configured) = again.next().await;
    assert_eq!(configured["event"], "session_configured");
    assert_eq!(configured["history"].as_array().unwrap().len(), 2);
}
