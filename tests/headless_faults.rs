//! The real binary under provider and pipe faults: a stream retried after partial output is one
//! answer (text and `--json`, both APIs, stored session included); a stream that ends without
//! its finish marker is retried; a closed stdout ends `-p` and the subcommands quietly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::io::{BufRead, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::Duration;

use pincer::protocol::ProviderKind;
use support::mock_server::*;

const APIS: [ProviderKind; 2] = [ProviderKind::Openai, ProviderKind::Anthropic];
const WAIT: Duration = Duration::from_secs(60);

fn command(home: &Path, args: &[&str]) -> Command {
    let mut cmd = support::cli::pincer_command(home);
    cmd.args(args)
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn pincer(home: &Path, args: &[&str]) -> Output {
    command(home, args).output().unwrap()
}

/// A home whose config points the default profile at `server` with fast retries.
fn home_for(kind: ProviderKind, server: &MockServer) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let (kind, url) = match kind {
        ProviderKind::Openai => ("openai", format!("{}/v1", server.url())),
        ProviderKind::Anthropic => ("anthropic", server.url()),
    };
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/config.toml"),
        format!(
            "default_provider = \"mock\"\n[providers.mock]\nkind = \"{kind}\"\nbase_url = \"{url}\"\nmodel = \"m\"\n\n[network]\nretry_base_delay_ms = 10\nretry_max_delay_ms = 20\n"
        ),
    )
    .unwrap();
    home
}

fn sse(kind: ProviderKind, deltas: &[&str]) -> Vec<u8> {
    match kind {
        ProviderKind::Openai => openai_sse(deltas, None),
        ProviderKind::Anthropic => anthropic_sse(deltas, None),
    }
}

/// The first events of a reply, up to and including the one carrying `upto`.
fn head_through(body: &[u8], upto: &str) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let at = text.find(upto).unwrap();
    let end = at + text[at..].find("\n\n").unwrap() + 2;
    text.as_bytes()[..end].to_vec()
}

const DISCARDED: [&str; 2] = ["DISCARDED-", "partial"];
const FINAL: [&str; 2] = ["Final ", "answer"];

/// Attempt 1 streams partial text then breaks in `how`; attempt 2 is whole.
fn broken_then_whole(kind: ProviderKind, how: &str) -> Vec<Reply> {
    let partial = head_through(&sse(kind, &DISCARDED), "partial");
    let first = match how {
        "reset" => Reply::Sse(vec![
            Step::Bytes(partial),
            Step::Pause(Duration::from_millis(20)),
            Step::Reset,
        ]),
        // The body ends cleanly, but before finish_reason / message_stop.
        "no finish marker" => Reply::Sse(split_awkwardly(&partial)),
        _ => unreachable!(),
    };
    vec![first, Reply::sse(sse(kind, &FINAL))]
}

fn stored_transcript(home: &Path) -> String {
    let list = pincer(home, &["sessions", "list", "--all", "--json"]);
    let line = String::from_utf8(list.stdout).unwrap();
    let session: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let id = session["id"].as_str().unwrap();
    let shown = pincer(home, &["sessions", "show", id]);
    assert!(shown.status.success());
    String::from_utf8(shown.stdout).unwrap()
}

#[test]
fn retry_after_partial_output_prints_only_the_final_attempt_in_text_mode() {
    for kind in APIS {
        for how in ["reset", "no finish marker"] {
            let server = MockServer::start_blocking(broken_then_whole(kind, how));
            let home = home_for(kind, &server);
            let out = pincer(home.path(), &["-p", "hi"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{kind:?} {how}: {stderr}");
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                "Final answer\n",
                "{kind:?} {how}: stdout holds the final attempt only"
            );
            assert!(
                stderr.contains("retry 1/") && stderr.contains("partial reply is discarded"),
                "{kind:?} {how}: the retry is reported on stderr: {stderr}"
            );
            assert_eq!(server.requests().len(), 2);
            let stored = stored_transcript(home.path());
            assert!(
                stored.contains("Final answer") && !stored.contains("DISCARDED"),
                "{kind:?} {how}: the session stores the final attempt only:\n{stored}"
            );
        }
    }
}

#[test]
fn retry_after_partial_output_is_an_event_in_json_mode() {
    for kind in APIS {
        for how in ["reset", "no finish marker"] {
            let server = MockServer::start_blocking(broken_then_whole(kind, how));
            let home = home_for(kind, &server);
            let out = pincer(home.path(), &["-p", "hi", "--json"]);
            assert!(out.status.success(), "{kind:?} {how}");
            let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            let kind_of = |e: &serde_json::Value| e["event"].as_str().unwrap().to_string();
            let retry = events
                .iter()
                .position(|e| kind_of(e) == "retrying")
                .unwrap_or_else(|| panic!("{kind:?} {how}: a retrying event"));
            assert_eq!(events[retry]["discard_partial"], true, "{kind:?} {how}");
            let deltas = |range: &[serde_json::Value]| -> String {
                range
                    .iter()
                    .filter(|e| kind_of(e) == "assistant_delta")
                    .map(|e| e["text"].as_str().unwrap())
                    .collect()
            };
            assert_eq!(
                deltas(&events[..retry]),
                "DISCARDED-partial",
                "{kind:?} {how}"
            );
            assert_eq!(deltas(&events[retry..]), "Final answer", "{kind:?} {how}");
            let done: Vec<&serde_json::Value> = events
                .iter()
                .filter(|e| kind_of(e) == "assistant_message_done")
                .collect();
            assert_eq!(done.len(), 1, "{kind:?} {how}: one answer");
            assert_eq!(done[0]["text"], "Final answer", "{kind:?} {how}");
        }
    }
}

#[test]
fn a_stream_that_keeps_ending_without_its_finish_marker_fails_after_bounded_retries() {
    for kind in APIS {
        let cut = head_through(&sse(kind, &DISCARDED), "partial");
        let server = MockServer::start_blocking(vec![Reply::sse(cut); 10]);
        let home = home_for(kind, &server);
        let out = pincer(home.path(), &["-p", "hi"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{kind:?}: {stderr}");
        assert!(
            stderr.contains("end marker"),
            "{kind:?}: says why: {stderr}"
        );
        // 1 + max_retries (4 by default) attempts, then the last attempt's partial text.
        assert_eq!(server.requests().len(), 5, "{kind:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "DISCARDED-partial\n",
            "{kind:?}: only the last attempt's text"
        );
    }
}

/// Exit status of a command whose reader went away: 0, 141, or killed by SIGPIPE.
fn quiet_pipe_exit(status: ExitStatus) -> bool {
    matches!(status.code(), Some(0) | Some(141)) || status.signal() == Some(libc::SIGPIPE)
}

fn stderr_of(mut child: Child) -> (ExitStatus, String) {
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap(), stderr)
}

#[test]
fn subcommands_end_quietly_when_stdout_is_closed() {
    let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&["x"], None))]);
    let home = home_for(ProviderKind::Openai, &server);
    // A stored session, so `sessions list` has rows to print.
    assert!(pincer(home.path(), &["-p", "hi"]).status.success());
    for args in [
        &["sessions", "list", "--all"][..],
        &["sessions", "list", "--all", "--json"],
        &["config", "show"],
        &["config", "path"],
        &["audit"],
        &["skills", "list"],
    ] {
        let mut child = command(home.path(), args).spawn().unwrap();
        drop(child.stdout.take()); // the reader is gone before anything is written
        let (status, stderr) = stderr_of(child);
        assert!(quiet_pipe_exit(status), "{args:?}: {status:?}");
        assert_eq!(stderr, "", "{args:?}: no message");
    }
}

#[test]
fn headless_reply_into_a_reader_that_stops_early_ends_quietly() {
    let big = "0123456789abcdef".repeat(64 * 1024); // 1 MiB: more than a pipe holds
    for json in [false, true] {
        let server = MockServer::start_blocking(vec![Reply::sse(openai_sse(&[&big], None))]);
        let home = home_for(ProviderKind::Openai, &server);
        let mut args = vec!["-p", "hi"];
        if json {
            args.push("--json");
        }
        let mut child = command(home.path(), &args).spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        stdout.read_exact(&mut first).unwrap(); // `| head -c 16`
        drop(stdout);
        let (status, stderr) = stderr_of(child);
        assert!(quiet_pipe_exit(status), "json {json}: {status:?}");
        assert_eq!(stderr, "", "json {json}: no message, no panic");
    }
}

#[test]
fn headless_turn_stops_when_stdout_is_closed_mid_stream() {
    for kind in APIS {
        for json in [false, true] {
            let partial = head_through(&sse(kind, &["streaming ", "partial"]), "partial");
            let server = MockServer::start_blocking(vec![Reply::Sse(vec![
                Step::Bytes(partial),
                Step::Stall,
            ])]);
            let home = home_for(kind, &server);
            let mut args = vec!["-p", "hi"];
            if json {
                args.push("--json");
            }
            let mut child = command(home.path(), &args).spawn().unwrap();
            assert!(
                server.wait_for_requests_blocking(1, WAIT),
                "{kind:?} json {json}"
            );
            let stdout = child.stdout.take().unwrap();
            if json {
                // Read until the partial text was shown, so it is known to have arrived.
                let mut lines = std::io::BufReader::new(stdout).lines();
                let shown = lines.find(|l| l.as_ref().unwrap().contains("partial"));
                assert!(shown.is_some(), "the partial text as an event");
            } else {
                drop(stdout); // the reader goes away while the reply streams (unread)
            }
            assert!(
                server.wait_for_abandoned_blocking(1, WAIT),
                "{kind:?} json {json}: the stream is dropped, not left running"
            );
            let (status, stderr) = stderr_of(child);
            assert_eq!(status.code(), Some(141), "{kind:?} json {json}: {stderr}");
            assert_eq!(stderr, "", "{kind:?} json {json}");
            let stored = stored_transcript(home.path());
            assert!(
                !json || stored.contains("streaming partial"),
                "{kind:?} json {json}: the partial reply is kept as interrupted:\n{stored}"
            );
        }
    }
}

#[test]
fn sigterm_and_sighup_interrupt_the_turn_and_keep_the_partial_reply() {
    for (signal, code) in [
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
        (libc::SIGINT, 130),
    ] {
        let partial = head_through(
            &sse(ProviderKind::Openai, &["streaming ", "partial"]),
            "partial",
        );
        let server =
            MockServer::start_blocking(vec![Reply::Sse(vec![Step::Bytes(partial), Step::Stall])]);
        let home = home_for(ProviderKind::Openai, &server);
        let mut child = command(home.path(), &["-p", "hi", "--json"])
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let shown = lines.find(|l| l.as_ref().unwrap().contains("partial"));
        assert!(
            shown.is_some(),
            "signal {signal}: the partial text as an event"
        );
        // SAFETY: signalling our own child by its pid.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let rest: Vec<String> = lines.map(Result::unwrap).collect();
        assert!(
            rest.iter()
                .any(|l| l.contains("turn_finished") && l.contains("\"interrupted\"")),
            "signal {signal}: the turn ends interrupted: {rest:?}"
        );
        assert!(
            server.wait_for_abandoned_blocking(1, WAIT),
            "signal {signal}"
        );
        let (status, stderr) = stderr_of(child);
        assert_eq!(status.code(), Some(code), "signal {signal}: {stderr}");
        let stored = stored_transcript(home.path());
        assert!(
            stored.contains("streaming partial"),
            "signal {signal}:\n{stored}"
        );
    }
}

#[test]
fn on_a_terminal_text_streams_live_and_a_discarded_partial_reply_is_marked() {
    let server = MockServer::start_blocking(broken_then_whole(ProviderKind::Openai, "reset"));
    let home = home_for(ProviderKind::Openai, &server);
    let mut app = support::pty::PtyApp::spawn(&["-p", "hi"], home.path(), &[], 24, 100);
    app.wait_until("the final reply", WAIT, |s| s.contains("Final answer"));
    let status = app.wait_exit(WAIT).expect("pincer -p exits");
    let screen = String::from_utf8_lossy(&app.raw_output()).into_owned();
    assert!(status.success(), "{screen}");
    let at = |needle: &str| {
        screen
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} on the terminal: {screen:?}"))
    };
    // The partial reply was shown as it came, its line ended, the discard said, then the final.
    assert!(at("DISCARDED-partial\r\n") < at("partial reply is discarded"));
    assert!(at("partial reply is discarded") < at("Final answer"));
}
