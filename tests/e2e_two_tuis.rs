//! End to end: two TUIs (the real binary in two pseudo-terminals) take turns on one session.
//! Every message each one sends is stored, and each one's request to the model carries
//! everything the other wrote. Waits are generous (a loaded machine); nothing is timed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use pincer::store::{ItemKind, Store};
use support::mock_server::*;
use support::pty::{PtyApp, write_mock_config};

const ROUNDS: usize = 6;
const WAIT: Duration = Duration::from_secs(60);

fn wait_for(app: &PtyApp, needle: &str) {
    app.wait_until(&format!("{needle:?}"), WAIT, |s| s.contains(needle));
}

#[test]
fn two_tuis_alternating_on_one_session_lose_nothing() {
    let server = MockServer::start_blocking(
        (0..ROUNDS)
            .map(|r| Reply::sse(openai_sse(&[&format!("reply-{r}")], None)))
            .collect(),
    );
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let first = PtyApp::spawn(&[], home.path(), &[], 30, 110);
    wait_for(&first, "mock · mock-model");
    first.type_text("message-0\r");
    wait_for(&first, "reply-0");
    let second = PtyApp::spawn(&["-c"], home.path(), &[], 30, 110);
    wait_for(&second, "reply-0");

    let apps = [&first, &second];
    for round in 1..ROUNDS {
        let app = apps[round % 2];
        app.type_text(&format!("message-{round}\r"));
        wait_for(app, &format!("reply-{round}"));
        // What the other front end wrote in the previous round is on this screen too.
        if round >= 2 {
            wait_for(app, &format!("message-{}", round - 1));
        }
    }

    let requests = server.requests();
    assert_eq!(requests.len(), ROUNDS);
    for (n, request) in requests.iter().enumerate() {
        let json = request.json().unwrap();
        let texts: Vec<String> = json["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] != "system")
            .map(|m| m["content"].as_str().unwrap_or_default().to_string())
            .collect();
        let expected: Vec<String> = (0..n)
            .flat_map(|r| [format!("message-{r}"), format!("reply-{r}")])
            .chain([format!("message-{n}")])
            .collect();
        assert_eq!(
            texts, expected,
            "request {n} carries both front ends' messages"
        );
    }
    drop(first);
    drop(second);
    let store = Store::open(&home.path().join("data/pincer.db")).unwrap();
    let sessions = store.list_sessions(None, true, 10).unwrap();
    assert_eq!(sessions.len(), 1, "both front ends wrote one session");
    let items = store.load_session(&sessions[0].id).unwrap().items;
    let count = |kind| items.iter().filter(|i| i.kind == kind).count();
    assert_eq!(
        (count(ItemKind::User), count(ItemKind::Assistant)),
        (ROUNDS, ROUNDS),
        "stored items == sent messages and replies"
    );
}
