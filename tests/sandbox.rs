//! Confinement tests: what a sandboxed command may and may not do, and the
//! helper's own failure modes. Skipped (with a note) without Landlock.

// Test-only code: helpers outside `#[test]` functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command as StdCommand;
use std::time::Duration;

use pincer::sandbox::{
    Availability, SandboxPolicy, ShellOutcome, ShellResult, availability, run_shell, shell_command,
};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

const EXE: &str = env!("CARGO_BIN_EXE_pincer");

fn landlock_available(test: &str) -> bool {
    match availability() {
        Availability::Available { .. } => true,
        Availability::Unavailable { reason } => {
            eprintln!("note: skipping {test}: Landlock is unavailable: {reason}");
            false
        }
    }
}

struct Dirs {
    workspace: TempDir,
    temp: TempDir,
    outside: TempDir,
}

fn dirs() -> Dirs {
    Dirs {
        workspace: tempfile::tempdir().unwrap(),
        temp: tempfile::tempdir().unwrap(),
        outside: tempfile::tempdir().unwrap(),
    }
}

impl Dirs {
    fn policy(&self, allow_network: bool) -> SandboxPolicy {
        SandboxPolicy {
            workspace: self.workspace.path().to_path_buf(),
            temp_dir: self.temp.path().to_path_buf(),
            allow_network,
            env: Default::default(),
        }
    }

    async fn run(&self, command: &str, allow_network: bool) -> ShellResult {
        let policy = self.policy(allow_network);
        let cmd = shell_command(Path::new(EXE), &policy, &policy.workspace, command, true);
        run_shell(
            cmd,
            Duration::from_secs(10),
            64 * 1024,
            CancellationToken::new(),
        )
        .await
    }
}

fn assert_exited(result: &ShellResult, code: i32) {
    assert_eq!(result.outcome, ShellOutcome::Exited, "{result:?}");
    assert_eq!(result.exit_code, Some(code), "{result:?}");
}

#[tokio::test]
async fn writes_only_inside_workspace_and_temp() {
    if !landlock_available("writes_only_inside_workspace_and_temp") {
        return;
    }
    let d = dirs();
    let result = d
        .run(
            r#"echo a > in_ws && mkdir sub && touch sub/f && mv sub/f sub/g \
               && echo b > "$TMPDIR/in_tmp" && echo c > /dev/null && echo ok"#,
            false,
        )
        .await;
    assert_exited(&result, 0);
    assert_eq!(result.output, "ok\n");
    assert!(d.workspace.path().join("in_ws").is_file());
    assert!(d.workspace.path().join("sub/g").is_file());
    assert!(d.temp.path().join("in_tmp").is_file());

    let outside = d.outside.path().join("touched");
    let echoed = d.outside.path().join("echoed");
    for (command, target) in [
        (format!("touch {}", outside.display()), &outside),
        (format!("echo x > {}", echoed.display()), &echoed),
    ] {
        let result = d.run(&command, false).await;
        assert_eq!(result.outcome, ShellOutcome::Exited, "{result:?}");
        assert_ne!(
            result.exit_code,
            Some(0),
            "`{command}` succeeded: {result:?}"
        );
        // Landlock says EACCES; the read-only mount namespace says EROFS.
        assert!(
            result.output.contains("Permission denied")
                || result.output.contains("Read-only file system"),
            "{result:?}"
        );
        assert!(!target.exists(), "`{command}` created {}", target.display());
    }

    // Existing files outside can be neither changed nor removed.
    let existing = d.outside.path().join("existing");
    std::fs::write(&existing, "original").unwrap();
    let command = format!("echo changed > {0}; rm -f {0}; exit 0", existing.display());
    assert_exited(&d.run(&command, false).await, 0);
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "original");
}

#[tokio::test]
async fn reads_outside_the_workspace() {
    if !landlock_available("reads_outside_the_workspace") {
        return;
    }
    let d = dirs();
    let file = d.outside.path().join("note.txt");
    std::fs::write(&file, "hello from outside\n").unwrap();
    let command = format!("cat {} && ls / > /dev/null && echo listed", file.display());
    let result = d.run(&command, false).await;
    assert_exited(&result, 0);
    assert_eq!(result.output, "hello from outside\nlisted\n");
}

/// Run `bash -c 'exec 3<>/dev/tcp/127.0.0.1/PORT'` against a local listener;
/// returns the result and whether the listener got a connection.
async fn connect_to_local_listener(d: &Dirs, allow_network: bool) -> (ShellResult, bool) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let command = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected");
    let result = d.run(&format!("bash -c '{command}'"), allow_network).await;
    // A completed connect sits in the backlog until accepted.
    let accepted = match listener.accept() {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("accept failed: {e}"),
    };
    (result, accepted)
}

#[tokio::test]
async fn network_is_refused_unless_allowed() {
    if !landlock_available("network_is_refused_unless_allowed") {
        return;
    }
    let d = dirs();
    let (denied, accepted) = connect_to_local_listener(&d, false).await;
    assert_exited(&denied, 1);
    assert!(denied.output.contains("Permission denied"), "{denied:?}");
    assert!(
        !accepted,
        "the listener accepted a connection from a sandbox without network"
    );

    let (allowed, accepted) = connect_to_local_listener(&d, true).await;
    assert_exited(&allowed, 0);
    assert_eq!(allowed.output, "connected\n");
    assert!(
        accepted,
        "the listener saw no connection with allow_network"
    );
}

/// Landlock's ABI, or 0 without Landlock.
fn abi() -> u32 {
    match availability() {
        Availability::Available { abi } => *abi,
        Availability::Unavailable { .. } => 0,
    }
}

#[tokio::test]
async fn unix_sockets_inside_the_workspace() {
    if !landlock_available("unix_sockets_inside_the_workspace") {
        return;
    }
    let d = dirs();
    // socketpair() always works; a socket bound and connected inside the
    // workspace works where Landlock confines connects (ABI 9+) or when the
    // call has network; below ABI 9 without network socket() is refused,
    // because seccomp cannot see where a UNIX socket would connect.
    let script = r#"
        use Socket;
        socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!\n";
        print "pair ok\n";
        socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
        bind($s, pack_sockaddr_un("sock")) or die "bind: $!\n";
        listen($s, 1) or die "listen: $!\n";
        socket(my $c, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
        connect($c, pack_sockaddr_un("sock")) or die "connect: $!\n";
        print "unix ok\n";
    "#;
    let with_network = d.run(&format!("perl -e '{script}'"), true).await;
    assert_exited(&with_network, 0);
    assert_eq!(with_network.output, "pair ok\nunix ok\n");
    let _ = std::fs::remove_file(d.workspace.path().join("sock"));
    let without = d.run(&format!("perl -e '{script}'"), false).await;
    if abi() >= 9 {
        assert_exited(&without, 0);
        assert_eq!(without.output, "pair ok\nunix ok\n");
    } else {
        eprintln!(
            "note: Landlock ABI {} < 9: UNIX sockets need network approval",
            abi()
        );
        assert_eq!(without.outcome, ShellOutcome::Exited, "{without:?}");
        assert_ne!(without.exit_code, Some(0), "{without:?}");
        assert!(without.output.contains("pair ok\n"), "{without:?}");
        assert!(
            without.output.contains("socket: Permission denied"),
            "{without:?}"
        );
    }
}

#[tokio::test]
async fn exit_codes_and_missing_programs() {
    if !landlock_available("exit_codes_and_missing_programs") {
        return;
    }
    let d = dirs();
    assert_exited(&d.run("exit 3", false).await, 3);
    let missing = d.run("no-such-program-pincer-test", false).await;
    assert_exited(&missing, 127);
    assert!(missing.output.contains("not found"), "{missing:?}");
}

#[tokio::test]
async fn timeout_kills_the_sandboxed_group() {
    if !landlock_available("timeout_kills_the_sandboxed_group") {
        return;
    }
    let d = dirs();
    let policy = d.policy(false);
    let cmd = shell_command(
        Path::new(EXE),
        &policy,
        &policy.workspace,
        "sleep 30 & echo $!; sleep 30",
        true,
    );
    let result = run_shell(
        cmd,
        Duration::from_millis(300),
        4096,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(result.outcome, ShellOutcome::TimedOut, "{result:?}");
    assert!(result.duration < Duration::from_secs(3), "{result:?}");
    let pid: u32 = result.output.trim().parse().unwrap();
    let stat = format!("/proc/{pid}/stat");
    let gone = || std::fs::read_to_string(&stat).map_or(true, |s| s.contains(") Z "));
    for _ in 0..50 {
        if gone() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("background child {pid} survived the timeout");
}

fn helper(args: &[&str]) -> std::process::Output {
    StdCommand::new(EXE)
        .arg("__sandbox")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn helper_rejects_bad_arguments() {
    for args in [
        &["--bogus"][..],
        &[],
        &["--workspace", "/tmp", "--", "true"],
    ] {
        let out = helper(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("usage: pincer __sandbox"), "{stderr}");
    }
}

#[test]
fn helper_refuses_a_missing_workspace() {
    let d = dirs();
    let missing = d.outside.path().join("does-not-exist");
    let tmp = d.temp.path().to_str().unwrap();
    let marker = d.outside.path().join("ran");
    let command = format!("touch {}", marker.display());
    let out = helper(&[
        "--workspace",
        missing.to_str().unwrap(),
        "--tmp",
        tmp,
        "--",
        "/bin/sh",
        "-c",
        &command,
    ]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot apply Landlock"), "{stderr}");
    assert!(stderr.contains("does-not-exist"), "{stderr}");
    assert!(
        stderr.contains("refusing to run the command unsandboxed"),
        "{stderr}"
    );
    assert!(!marker.exists(), "the command ran despite the error");
}

#[test]
fn helper_reports_a_missing_program() {
    if !landlock_available("helper_reports_a_missing_program") {
        return;
    }
    let d = dirs();
    let ws = d.workspace.path().to_str().unwrap();
    let tmp = d.temp.path().to_str().unwrap();
    let out = helper(&["--workspace", ws, "--tmp", tmp, "--", "/no/such/program"]);
    assert_eq!(out.status.code(), Some(127), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/no/such/program: command not found"),
        "{stderr}"
    );
}

#[test]
fn availability_is_cached() {
    let first = availability();
    assert!(std::ptr::eq(first, availability()));
    if let Availability::Available { abi } = first {
        assert!(*abi >= 1);
    }
}
