//! web_fetch checks every hop: a canary HTTP server on 127.0.0.1 must see no request across a
//! table of loopback / private / metadata spellings, fetched directly and reached through
//! redirect chains from an explicitly allowed start host (127.0.0.2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pincer::protocol::ToolStatus;
use pincer::tools::fetch::web_fetch_with;
use pincer::tools::net_guard::{AllowHosts, HopPolicy};
use pincer::tools::{ToolContext, ToolLimits};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Counts every connection it accepts; answers 200 "CANARY".
async fn canary() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nCANARY")
                    .await;
            });
        }
    });
    (port, hits)
}

/// On 127.0.0.2: `/r?to=URL` answers 302 to URL; `/chain/N?to=URL` redirects N times first.
async fn redirector() -> Option<String> {
    let listener = TcpListener::bind("127.0.0.2:0").await.ok()?;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (path, query) = target.split_once("?to=").unwrap_or((&target, ""));
                let to = percent_decode(query);
                let location = match path
                    .strip_prefix("/chain/")
                    .and_then(|n| n.parse::<u32>().ok())
                {
                    Some(n) if n > 0 => format!("/chain/{}?to={}", n - 1, query),
                    _ => to,
                };
                let reply = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    Some(format!("http://{addr}"))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if b[i] == b'%'
            && let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn ctx() -> ToolContext {
    ToolContext {
        workspace: std::env::temp_dir(),
        temp_dir: std::env::temp_dir(),
        limits: ToolLimits {
            fetch_timeout: Duration::from_secs(20),
            ..ToolLimits::default()
        },
        outside_workspace_approved: false,
    }
}

/// Every spelling of "this machine / the private network / the metadata service".
fn spellings(p: u16) -> Vec<String> {
    [
        "http://127.0.0.1:{p}/",
        "http://2130706433:{p}/",
        "http://0177.0.0.1:{p}/",
        "http://0x7f.1:{p}/",
        "http://0x7f000001:{p}/",
        "http://017700000001:{p}/",
        "http://127.1:{p}/",
        "http://127.0.1:{p}/",
        "http://127.000.000.001:{p}/",
        "http://127.0.0.1.:{p}/",
        "http://%31%32%37.0.0.1:{p}/",
        "http://１２７.０.０.１:{p}/",
        "http://[::ffff:127.0.0.1]:{p}/",
        "http://[::ffff:7f00:1]:{p}/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]:{p}/",
        "http://[::127.0.0.1]:{p}/",
        "http://[::1]:{p}/",
        "http://[0:0:0:0:0:0:0:1]:{p}/",
        "http://[64:ff9b::7f00:1]:{p}/",
        "http://[2002:7f00:1::]:{p}/",
        "http://localhost:{p}/",
        "http://localhost.:{p}/",
        "http://LOCALHOST:{p}/",
        "http://api.localhost:{p}/",
        "http://0.0.0.0:{p}/",
        "http://0:{p}/",
        "http://[::]:{p}/",
        "http://user:pw@127.0.0.1:{p}/",
        "http://example.com@127.0.0.1:{p}/",
        "http://127.0.0.1:{p}\\@example.com/",
        "https://127.0.0.1:{p}/",
        "http://10.0.0.1:{p}/",
        "http://192.168.0.1:{p}/",
        "http://172.16.0.1:{p}/",
        "http://100.64.0.1:{p}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://0xa9fea9fe/",
        "http://2852039166/",
        "http://[fe80::1]:{p}/",
        "http://224.0.0.1:{p}/",
    ]
    .iter()
    .map(|s| s.replace("{p}", &p.to_string()))
    .collect()
}

async fn fetch(url: &str, policy: &dyn HopPolicy) -> (ToolStatus, String) {
    let out = web_fetch_with(&ctx(), &json!({"url": url}), policy).await;
    (out.status, out.text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_spelling_reaches_the_canary() {
    let (port, hits) = canary().await;
    let cases = spellings(port);
    assert!(cases.len() >= 40, "{}", cases.len());
    let no_rules = AllowHosts(Vec::new());
    let mut opened = Vec::new();
    for url in &cases {
        let (status, text) = fetch(url, &no_rules).await;
        if status == ToolStatus::Ok || text.contains("CANARY") {
            opened.push(format!("{url}: {text}"));
        }
    }
    assert!(opened.is_empty(), "fetched:\n{}", opened.join("\n"));
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the canary saw a request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redirect_reaches_the_canary() {
    let (port, hits) = canary().await;
    let Some(start) = redirector().await else {
        eprintln!("skipped: cannot bind 127.0.0.2 on this machine");
        return;
    };
    // The start host is allowed explicitly; every hop after it is checked on its own.
    let allow_start = AllowHosts(vec!["127.0.0.2".into()]);
    let mut opened = Vec::new();
    let mut count = 0;
    for target in spellings(port) {
        for via in [
            format!("{start}/r?to={}", percent_encode(&target)),
            format!("{start}/chain/3?to={}", percent_encode(&target)),
        ] {
            count += 1;
            let (status, text) = fetch(&via, &allow_start).await;
            if status == ToolStatus::Ok || text.contains("CANARY") {
                opened.push(format!("{via} → {target}: {text}"));
            }
        }
    }
    // Protocol-relative and relative hops too.
    for to in [
        format!("//127.0.0.1:{port}/"),
        format!("//localhost:{port}/x"),
    ] {
        count += 1;
        let (status, text) = fetch(
            &format!("{start}/r?to={}", percent_encode(&to)),
            &allow_start,
        )
        .await;
        if status == ToolStatus::Ok {
            opened.push(format!("{to}: {text}"));
        }
    }
    assert!(count >= 80, "{count}");
    assert!(opened.is_empty(), "fetched:\n{}", opened.join("\n"));
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the canary saw a request");

    // Redirect loops stop after 5 hops.
    let (status, text) = fetch(&format!("{start}/chain/9?to=/x"), &allow_start).await;
    assert_eq!(status, ToolStatus::Error);
    assert!(text.contains("Too many redirects"), "{text}");
}

/// A policy whose rules deny one URL: a redirect there is not followed, even to a host that is
/// otherwise allowed.
struct DenyCanaryPath(u16);

impl HopPolicy for DenyCanaryPath {
    fn may_follow(&self, url: &str) -> Result<(), String> {
        if url.contains("/denied") {
            Err("rule deny: web_fetch: */denied".into())
        } else {
            Ok(())
        }
    }
    fn names_host(&self, url: &str) -> bool {
        url.contains("127.0.0.2") || url.contains(&format!("127.0.0.1:{}", self.0))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_judge_each_hop_and_named_hosts_are_reachable() {
    let (port, hits) = canary().await;
    let Some(start) = redirector().await else {
        eprintln!("skipped: cannot bind 127.0.0.2 on this machine");
        return;
    };
    let policy = DenyCanaryPath(port);
    let denied = format!("http://127.0.0.1:{port}/denied");
    let (status, text) = fetch(
        &format!("{start}/r?to={}", percent_encode(&denied)),
        &policy,
    )
    .await;
    assert_eq!(status, ToolStatus::Error);
    assert!(
        text.contains("was not followed") && text.contains("rule deny"),
        "{text}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);

    // A host a rule names explicitly is fetched, directly and through a redirect.
    let ok = format!("http://127.0.0.1:{port}/fine");
    let (status, text) = fetch(&ok, &policy).await;
    assert_eq!(status, ToolStatus::Ok, "{text}");
    assert!(text.contains("CANARY"));
    let (status, text) = fetch(&format!("{start}/r?to={}", percent_encode(&ok)), &policy).await;
    assert_eq!(status, ToolStatus::Ok, "{text}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
