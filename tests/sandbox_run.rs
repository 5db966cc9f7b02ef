//! `run_shell` behaviour (unsandboxed, so it runs without Landlock too):
//! timeouts, cancellation, exit codes, output capture.

// Test-only code: helpers outside `#[test]` functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use pincer::sandbox::{SandboxPolicy, ShellOutcome, ShellResult, run_shell, shell_command};
use tokio_util::sync::CancellationToken;

const EXE: &str = env!("CARGO_BIN_EXE_pincer");

async fn run(
    command: &str,
    timeout: Duration,
    max: usize,
    cancel: CancellationToken,
) -> ShellResult {
    let dir = tempfile::tempdir().unwrap();
    let policy = SandboxPolicy {
        workspace: dir.path().to_path_buf(),
        temp_dir: dir.path().to_path_buf(),
        allow_network: false,
        env: Default::default(),
    };
    let cmd = shell_command(Path::new(EXE), &policy, dir.path(), command, false);
    run_shell(cmd, timeout, max, cancel).await
}

async fn run_simple(command: &str) -> ShellResult {
    run(
        command,
        Duration::from_secs(10),
        64 * 1024,
        CancellationToken::new(),
    )
    .await
}

/// True once `pid` is gone (or a zombie nobody reaps: it holds nothing).
fn is_dead(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "))
}

fn assert_dies(pid: u32) {
    for _ in 0..50 {
        if is_dead(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("process {pid} survived");
}

fn pids(output: &str) -> Vec<u32> {
    output.lines().map(|l| l.trim().parse().unwrap()).collect()
}

#[tokio::test]
async fn timeout_kills_the_whole_group() {
    let result = run(
        "echo $$; sleep 30 & echo $!; sleep 30",
        Duration::from_millis(300),
        4096,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(result.outcome, ShellOutcome::TimedOut, "{result:?}");
    assert_eq!(result.exit_code, None);
    assert!(result.duration >= Duration::from_millis(300), "{result:?}");
    assert!(result.duration < Duration::from_secs(3), "{result:?}");
    let pids = pids(&result.output);
    assert_eq!(pids.len(), 2, "{result:?}");
    pids.into_iter().for_each(assert_dies);
}

#[tokio::test]
async fn cancellation_kills_the_whole_group() {
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let result = run(
        "sleep 30 & echo $!; sleep 30",
        Duration::from_secs(30),
        4096,
        cancel,
    )
    .await;
    assert_eq!(result.outcome, ShellOutcome::Cancelled, "{result:?}");
    assert_eq!(result.exit_code, None);
    assert!(result.duration < Duration::from_secs(3), "{result:?}");
    pids(&result.output).into_iter().for_each(assert_dies);
}

#[tokio::test]
async fn dropping_the_future_kills_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let command = format!("sleep 30 & echo $! > {}; sleep 30", pid_file.display());
    let run = run(
        &command,
        Duration::from_secs(30),
        4096,
        CancellationToken::new(),
    );
    let dropped = tokio::time::timeout(Duration::from_millis(300), run).await;
    assert!(
        dropped.is_err(),
        "the command should still have been running"
    );
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_dies(pid);
}

#[tokio::test]
async fn already_cancelled_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let cancel = CancellationToken::new();
    cancel.cancel();
    let command = format!("touch {}", marker.display());
    let result = run(&command, Duration::from_secs(10), 4096, cancel).await;
    assert_eq!(result.outcome, ShellOutcome::Cancelled);
    assert!(!marker.exists());
}

#[tokio::test]
async fn background_jobs_do_not_outlive_a_normal_exit() {
    let result = run_simple("sleep 30 & echo $!").await;
    assert_eq!(result.outcome, ShellOutcome::Exited, "{result:?}");
    assert_eq!(result.exit_code, Some(0));
    assert!(result.duration < Duration::from_secs(3), "{result:?}");
    pids(&result.output).into_iter().for_each(assert_dies);
}

#[tokio::test]
async fn exit_codes_pass_through() {
    let result = run_simple("echo out; echo err >&2; exit 3").await;
    assert_eq!(result.outcome, ShellOutcome::Exited);
    assert_eq!(result.exit_code, Some(3));
    assert!(
        result.output.contains("out\n") && result.output.contains("err\n"),
        "{result:?}"
    );
    assert_eq!(run_simple("true").await.exit_code, Some(0));
    // Killed by a signal: no exit code.
    assert_eq!(run_simple("kill -9 $$").await.exit_code, None);
}

#[tokio::test]
async fn stdout_and_stderr_merge_in_arrival_order() {
    let result = run_simple("echo 1; sleep 0.05; echo 2 >&2; sleep 0.05; echo 3").await;
    assert_eq!(result.output, "1\n2\n3\n");
}

#[tokio::test]
async fn output_cap_keeps_head_and_tail() {
    let result = run(
        "seq 1 20000",
        Duration::from_secs(10),
        1000,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(result.exit_code, Some(0));
    // `seq 1 20000` prints 108,894 bytes; 1,000 are kept.
    let total: usize = (1..=20000).map(|n: u32| n.to_string().len() + 1).sum();
    assert_eq!(total, 108_894);
    let marker = "[… 107,894 bytes omitted …]";
    assert!(
        result.output.starts_with("1\n2\n3\n"),
        "{}",
        &result.output[..50]
    );
    assert!(result.output.ends_with("19999\n20000\n"));
    assert!(
        result.output.contains(&format!("\n{marker}\n")),
        "{}",
        result.output
    );
    assert!(result.output.len() <= 1000 + marker.len() + 2);
}

#[tokio::test]
async fn output_cap_bounds_a_flood() {
    // ~50 MB of output with a 10 KB cap: bounded memory, head and tail kept.
    let result = run(
        "echo first; head -c 50000000 /dev/zero | tr '\\0' x; echo; echo last",
        Duration::from_secs(20),
        10_000,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(result.exit_code, Some(0));
    assert!(result.output.starts_with("first\n"));
    assert!(result.output.ends_with("x\nlast\n"));
    assert!(result.output.contains("bytes omitted …]"));
}

#[tokio::test]
async fn non_utf8_output_is_lossy() {
    let result = run_simple(r"printf 'a\377\376b\n'").await;
    assert_eq!(result.exit_code, Some(0));
    assert_eq!(result.output, "a\u{fffd}\u{fffd}b\n");
}

#[tokio::test]
async fn missing_program_exits_127() {
    let result = run_simple("no-such-program-pincer-test").await;
    assert_eq!(result.outcome, ShellOutcome::Exited);
    assert_eq!(result.exit_code, Some(127));
    assert!(result.output.contains("not found"), "{result:?}");
}

#[tokio::test]
async fn spawn_failure_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let policy = SandboxPolicy {
        workspace: dir.path().to_path_buf(),
        temp_dir: dir.path().to_path_buf(),
        allow_network: false,
        env: Default::default(),
    };
    let exe = dir.path().join("no-such-pincer");
    let cmd = shell_command(&exe, &policy, dir.path(), "true", true);
    let result = run_shell(cmd, Duration::from_secs(5), 4096, CancellationToken::new()).await;
    match &result.outcome {
        ShellOutcome::SpawnFailed(msg) => assert!(msg.contains("no-such-pincer"), "{msg}"),
        other => panic!("expected SpawnFailed, got {other:?}"),
    }
    assert_eq!(result.exit_code, None);
}

#[tokio::test]
async fn the_command_starts_with_no_signal_blocked() {
    // The helper blocks the stop signals for itself; the command must not inherit that.
    let result = run_simple("grep SigBlk /proc/self/status").await;
    assert!(
        result.output.contains("SigBlk:\t0000000000000000"),
        "{result:?}"
    );
    // So a command can stop what it started (`kill`, `timeout`).
    let result = run_simple("sleep 30 & kill -TERM $!; wait $!; echo status $?").await;
    assert!(result.output.contains("status 143"), "{result:?}");
    assert!(result.duration < Duration::from_secs(9), "{result:?}");
}
