//! The web page in a real headless Chromium, driven through chromedriver's W3C WebDriver JSON
//! API: open the page with the token, send a message, see the streamed reply rendered, approve
//! a `write_file` from the approval card, find the file written. Runs the real binary
//! (`pincer serve --bind 127.0.0.1:0`) against the scripted mock model.
//!
//! Skipped, with a message saying so, only when chromium or chromedriver cannot be found
//! (`.ci/run` installs them: `apt-get install -y chromium chromium-driver`).

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::mock_server::*;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn patience() -> Duration {
    let factor = std::env::var("PINCER_TEST_PATIENCE")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(4)
        .max(1);
    Duration::from_secs(30) * factor
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Kills the child when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Driver {
    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = self.http.request(method.parse().unwrap(), url);
        let req = if method == "GET" || method == "DELETE" {
            req
        } else {
            req.json(&body)
        };
        let res: Value = req.send().await.unwrap().json().await.unwrap();
        res["value"].clone()
    }

    async fn script(&self, js: &str) -> Value {
        self.call("POST", "/execute/sync", json!({ "script": js, "args": [] }))
            .await
    }

    /// Wait until `js` returns something truthy; its value.
    async fn wait_for(&self, what: &str, js: &str) -> Value {
        let deadline = Instant::now() + patience();
        loop {
            let v = self.script(js).await;
            let failed = v.get("error").is_some();
            if !(failed || v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            let page = self
                .script("return document.body ? document.body.innerText : ''")
                .await;
            assert!(
                Instant::now() < deadline,
                "waited for {what} (last answer {v}); the page shows:\n{page}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call("POST", &format!("/element/{id}/click"), json!({}))
            .await;
    }
}

fn start_pincer(home: &Path, work: &Path, model_url: &str) -> (Killed, String) {
    // A configured context window: pincer does not ask the scripted server for it.
    support::pty::write_mock_config(home, model_url, "");
    let mut child = support::cli::pincer_command(home)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(home.join("serve.stderr")).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    (Killed(child), url)
}

async fn start_driver(driver: &Path, chrome: &Path, profile: &Path) -> (Killed, Driver) {
    let port = free_port();
    // Chromium writes beside its profile under $HOME too: keep all of it in the temp folder.
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .env("HOME", profile)
        .env("XDG_CONFIG_HOME", profile.join("config"))
        .env("XDG_CACHE_HOME", profile.join("cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Killed(child);
    let http = pincer::tls::client_builder().build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + patience();
    loop {
        let ready = match http.get(format!("{base}/status")).send().await {
            Ok(r) => r.json::<Value>().await.ok(),
            Err(_) => None,
        };
        if ready.is_some_and(|v| v["value"]["ready"] == true) {
            break;
        }
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caps = json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": {
        "binary": chrome,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=390,844", format!("--user-data-dir={}", profile.display())],
    }}}});
    let created: Value = http
        .post(format!("{base}/session"))
        .json(&caps)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = created["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no browser session: {created}"))
        .to_string();
    (
        child,
        Driver {
            http,
            base,
            session,
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_sends_streams_and_approves_a_write() {
    let chrome = on_path(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = on_path(&["chromedriver"]);
    let (Some(chrome), Some(driver)) = (chrome, driver) else {
        eprintln!(
            "SKIPPED serve_browser: chromium and chromedriver are not installed \
             (apt-get install -y chromium chromium-driver)"
        );
        return;
    };
    let reply = openai_sse(
        &[
            "Hello from ",
            "**pincer**",
            "!\n\n```rust\nfn main() {}\n```",
        ],
        None,
    );
    let server = MockServer::start(vec![
        Reply::Sse(split_every(&reply, &[60])),
        Reply::sse(openai_tool_calls(
            None,
            &[(
                "c1",
                "write_file",
                r#"{"path":"hello.txt","content":"written from the browser\n"}"#,
            )],
        )),
        Reply::sse(openai_sse(&["Done: hello.txt is written."], None)),
    ])
    .await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (_pincer, url) = start_pincer(home.path(), work.path(), &server.url());
    let (_chromedriver, browser) = start_driver(&driver, &chrome, profile.path()).await;
    let http = pincer::tls::client_builder().build().unwrap();
    let page = http.get(&url).send().await;
    assert!(
        page.is_ok_and(|p| p.status().is_success()),
        "the service answers: {}",
        std::fs::read_to_string(home.path().join("serve.stderr")).unwrap_or_default()
    );

    browser.call("POST", "/url", json!({ "url": url })).await;
    browser
        .wait_for(
            "the page to start",
            "return document.getElementById('status-conn').textContent === 'ready'",
        )
        .await;
    let fragment = browser.script("return location.hash").await;
    assert_eq!(fragment, json!(""), "the token leaves the address bar");

    browser.type_into("#input", "say hello\u{E007}").await;
    browser
        .wait_for(
            "the streamed reply",
            "return document.getElementById('transcript').innerText.includes('Hello from pincer!')",
        )
        .await;
    let bold = browser
        .script("return (document.querySelector('#transcript strong') || {}).textContent || ''")
        .await;
    assert_eq!(bold, json!("pincer"), "Markdown is rendered");
    let code = browser
        .script("return document.querySelectorAll('#transcript pre code .hl-kw').length")
        .await;
    assert!(code.as_u64().unwrap() >= 1, "code is highlighted");
    browser
        .wait_for(
            "the turn to end",
            "return document.getElementById('status-turn').textContent === 'idle'",
        )
        .await;

    browser.type_into("#input", "write hello.txt\u{E007}").await;
    browser
        .wait_for(
            "the approval card",
            "return !document.getElementById('approval').hidden",
        )
        .await;
    let preview = browser
        .script("return document.getElementById('approval-preview').innerText")
        .await;
    assert!(
        preview
            .as_str()
            .unwrap()
            .contains("+written from the browser"),
        "the diff preview: {preview}"
    );
    assert!(
        !work.path().join("hello.txt").exists(),
        "nothing before the answer"
    );
    browser.click("#approve-once").await;
    browser
        .wait_for(
            "the final reply",
            "return document.getElementById('transcript').innerText.includes('hello.txt is written')",
        )
        .await;
    assert_eq!(
        std::fs::read_to_string(work.path().join("hello.txt")).unwrap(),
        "written from the browser\n"
    );
    let hidden = browser
        .script("return document.getElementById('approval').hidden")
        .await;
    assert_eq!(hidden, json!(true), "the card closed");
    browser.call("DELETE", "", json!({})).await;
}
