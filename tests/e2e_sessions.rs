//! End to end, sessions: the real binary in a pseudo-terminal against the mock server — the
//! pane (filter, resume, fork), `--continue` after quitting, and kill -9 in the middle of
//! streamed replies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use pincer::store::{ItemKind, Store};
use support::mock_server::*;
use support::pty::{PtyApp, write_mock_config};

const F2: &[u8] = b"\x1bOQ";
const CTRL_F: &[u8] = b"\x06";

fn db(home: &std::path::Path) -> std::path::PathBuf {
    home.join("data/pincer.db")
}

#[test]
fn pane_filters_resumes_and_forks_then_continue_shows_the_same_transcript() {
    let server = MockServer::start_blocking(vec![
        Reply::sse(openai_sse(&["Alpha reply."], None)),
        Reply::sse(openai_sse(&["Beta reply."], None)),
        Reply::sse(openai_sse(&["Alpha again."], None)),
    ]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 110);
    app.wait_for("mock · mock-model");
    app.type_text("alpha topic\r");
    app.wait_for("Alpha reply.");
    app.type_text("/new\r");
    app.wait_until("the transcript is cleared", Duration::from_secs(10), |s| {
        !s.contains("Alpha reply.")
    });
    app.type_text("beta topic\r");
    app.wait_for("Beta reply.");
    // A brand-new session can be forked from its own messages at once.
    app.type_text("/fork\r");
    app.wait_for("Fork from a message");
    app.send(b"\x1b");
    app.wait_until("the picker closed", Duration::from_secs(10), |s| {
        !s.contains("Fork from a message")
    });

    // The pane lists both, newest first; typing filters; Enter resumes.
    app.send(F2);
    app.wait_for("Sessions");
    app.wait_for("alpha topic");
    app.type_text("alpha");
    app.wait_for("1 of 2");
    app.type_text("\r");
    app.wait_until("alpha resumed", Duration::from_secs(10), |s| {
        s.contains("› alpha topic") && s.contains("Alpha reply.") && !s.contains("Beta reply.")
    });
    app.type_text("and more\r");
    app.wait_for("Alpha again.");
    let sent = server.requests()[2].json().unwrap();
    let roles: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["role"].as_str())
        .filter(|r| *r != "system")
        .collect();
    assert_eq!(
        roles,
        ["user", "assistant", "user"],
        "the resumed history went to the model"
    );

    // Fork it from the pane: a child under its parent.
    app.send(F2);
    app.wait_for("Sessions");
    app.type_text("alpha");
    app.wait_until("filtered", Duration::from_secs(10), |s| {
        !s.contains("beta topic")
    });
    app.send(CTRL_F);
    app.wait_for("forked «alpha topic»");
    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(10)).unwrap().success());

    let store = Store::open(&db(home.path())).unwrap();
    let all = store.list_sessions(None, true, 100).unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
    let child = all.iter().find(|s| s.parent_id.is_some()).unwrap();
    let parent = all
        .iter()
        .find(|s| Some(&s.id) == child.parent_id.as_ref())
        .unwrap();
    assert_eq!(parent.title, "alpha topic");
    assert_eq!(child.message_count, 4);

    // --continue reopens the fork (the latest here) with the whole transcript.
    let app = PtyApp::spawn(&["--continue"], home.path(), &[], 30, 110);
    app.wait_for("› alpha topic");
    app.wait_for("Alpha reply.");
    app.wait_for("› and more");
    app.wait_for("Alpha again.");
}

#[test]
fn resume_with_text_matching_several_sessions_opens_the_pane_filtered() {
    let server = MockServer::start_blocking(vec![
        Reply::sse(openai_sse(&["r1"], None)),
        Reply::sse(openai_sse(&["r2"], None)),
    ]);
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut app = PtyApp::spawn(&[], home.path(), &[], 30, 110);
    app.wait_for("mock · mock-model");
    app.type_text("deploy the api\r");
    app.wait_for("r1");
    app.type_text("/new\r");
    app.type_text("deploy the web app\r");
    app.wait_for("r2");
    app.type_text("/quit\r");
    assert!(app.wait_exit(Duration::from_secs(10)).unwrap().success());

    let app = PtyApp::spawn(&["--resume", "deploy"], home.path(), &[], 30, 110);
    app.wait_for("Sessions");
    app.wait_for("deploy the api");
    app.wait_for("deploy the web app");
    app.type_text("api\r");
    app.wait_until("resumed", Duration::from_secs(10), |s| {
        s.contains("› deploy the api") && s.contains("r1")
    });
}

/// A reply of 40 chunks, 15 ms apart.
fn slow_reply(n: usize) -> Reply {
    let words: Vec<String> = (0..40).map(|i| format!("w{n}-{i} ")).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let bytes = openai_sse(&refs, None);
    let mut steps = Vec::new();
    for chunk in bytes.split_inclusive(|b| *b == b'\n') {
        steps.push(Step::Bytes(chunk.to_vec()));
        if chunk == b"\n" {
            steps.push(Step::Pause(Duration::from_millis(15)));
        }
    }
    Reply::Sse(steps)
}

#[test]
fn kill_9_during_streamed_replies_loses_no_completed_item() {
    const RUNS: usize = 20;
    let server = MockServer::start_blocking((0..RUNS).map(slow_reply).collect());
    let home = tempfile::tempdir().unwrap();
    write_mock_config(home.path(), &server.url(), "");
    let mut rng = fastrand::Rng::with_seed(7);
    for run in 0..RUNS {
        let args: &[&str] = if run == 0 { &[] } else { &["--continue"] };
        let mut app = PtyApp::spawn(args, home.path(), &[], 24, 100);
        app.wait_for("mock · mock-model");
        app.type_text(&format!("question {run}\r"));
        app.wait_for(&format!("w{run}-0"));
        let last = run == RUNS - 1;
        std::thread::sleep(Duration::from_millis(if last {
            60
        } else {
            rng.u64(0..700)
        }));
        let pid = app.pid().unwrap() as libc::pid_t;
        // SAFETY: sending a signal to the child this test started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        app.wait_exit(Duration::from_secs(10)).expect("killed");
        drop(app);

        let store = Store::open(&db(home.path())).unwrap();
        assert_eq!(
            store.integrity_report(),
            None,
            "integrity check passes after run {run}"
        );
        let id = store
            .latest_session_in(
                &std::fs::canonicalize(home.path())
                    .unwrap()
                    .display()
                    .to_string(),
            )
            .unwrap()
            .unwrap();
        let items = store.load_session(&id).unwrap().items;
        let questions: Vec<&str> = items
            .iter()
            .filter(|i| i.kind == ItemKind::User)
            .map(|i| i.content.as_str())
            .collect();
        let expected: Vec<String> = (0..=run).map(|r| format!("question {r}")).collect();
        assert_eq!(
            questions, expected,
            "every question is kept after run {run}"
        );
        let answers: Vec<&str> = items
            .iter()
            .filter(|i| i.kind == ItemKind::Assistant)
            .map(|i| i.content.as_str())
            .collect();
        // Every stored reply is a prefix of what was streamed; only the reply being written at
        // the kill may be missing (killed before its first chunk reached the disk).
        assert!(answers.len() >= run, "after run {run}: {answers:?}");
        for a in &answers {
            let r: usize = a
                .strip_prefix('w')
                .and_then(|t| t.split('-').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected reply {a:?}"));
            let full: String = (0..40).map(|i| format!("w{r}-{i} ")).collect();
            assert!(full.starts_with(a), "reply {r} is not a prefix: {a:?}");
        }
    }
    // The next start shows everything up to the crash, the last reply marked interrupted.
    let app = PtyApp::spawn(&["--continue"], home.path(), &[], 24, 100);
    app.wait_for(&format!("› question {}", RUNS - 1));
    app.wait_for("interrupted");
}
