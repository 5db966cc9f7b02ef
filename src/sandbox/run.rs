//! Running a built command: timeout, cancellation, process-group cleanup and
//! bounded merged output.

use std::io;
use std::os::fd::OwnedFd;
#[cfg(target_os = "linux")]
use std::os::fd::{FromRawFd, RawFd};
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use tokio_util::sync::CancellationToken;

use super::output::OutputBuf;
use super::{ShellOutcome, ShellResult};

/// After the command itself exits, how long background jobs that still hold
/// stdout/stderr get to finish before the group is killed.
const EXIT_GRACE: Duration = Duration::from_millis(200);
/// After killing the group, how long to keep reading what is left in the
/// pipes. Only a process that left the group (setsid) can keep them open
/// past this.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(1);
/// Upper bound on reaping the killed command.
const REAP_LIMIT: Duration = Duration::from_secs(5);
const READ_CHUNK: usize = 8 * 1024;

/// Spawn `cmd` (built by [`super::shell_command`], so it leads its own
/// process group) and wait for it, at most `timeout`, until `cancel` fires.
///
/// When the command times out or is cancelled (or this future is dropped),
/// the helper gets SIGTERM and kills every descendant — it is their child
/// subreaper, so `setsid` and double forks do not escape — then the process
/// group gets SIGKILL as a backstop. After a normal exit the helper has done
/// that already (background jobs get a short grace period to finish writing). stdout and stderr
/// are merged in arrival order; beyond `max_output` bytes only the first and
/// last halves are kept, around an omission marker. Outside Linux the helper
/// has no subreaper: on SIGTERM it SIGKILLs the command's own process group.
pub async fn run_shell(
    mut cmd: Command,
    timeout: Duration,
    max_output: usize,
    cancel: CancellationToken,
) -> ShellResult {
    let start = Instant::now();
    if cancel.is_cancelled() {
        return finished(String::new(), None, ShellOutcome::Cancelled, start);
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(err) => {
            let program = cmd.as_std().get_program().to_string_lossy().into_owned();
            let msg = format!("cannot start {program}: {err}");
            return finished(String::new(), None, ShellOutcome::SpawnFailed(msg), start);
        }
    };
    let pgid = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok());
    // Kills the group if this future is dropped before it is done.
    let mut group = GroupKiller(pgid);
    // Watching the exit through a pidfd leaves the leader a zombie until
    // `child.wait()`, so its pid (the group id) cannot be reused before the
    // group is killed. (Without pidfds — before Linux 5.3, and on other
    // systems — the leader is reaped first, which leaves a tiny pid-reuse
    // window.)
    let pidfd = pgid.and_then(|pid| pidfd_open(pid).ok());
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let mut output = OutputBuf::new(max_output);
    let outcome = {
        let reading = read_merged(stdout, stderr, &mut output);
        tokio::pin!(reading);
        let mut reading_done = false;
        let exited = leader_exited(&mut child, pidfd.as_ref());
        tokio::pin!(exited);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);

        let outcome = loop {
            tokio::select! {
                () = cancel.cancelled() => break ShellOutcome::Cancelled,
                () = &mut deadline => break ShellOutcome::TimedOut,
                () = &mut exited => break ShellOutcome::Exited,
                () = &mut reading, if !reading_done => reading_done = true,
            }
        };
        if outcome == ShellOutcome::Exited && !reading_done {
            reading_done = tokio::time::timeout(EXIT_GRACE, &mut reading).await.is_ok();
        }
        if outcome != ShellOutcome::Exited {
            group.terminate_leader();
            let _ = tokio::time::timeout(REAP_LIMIT, &mut exited).await;
        }
        group.kill_now();
        if !reading_done {
            let _ = tokio::time::timeout(DRAIN_AFTER_KILL, &mut reading).await;
        }
        outcome
    };

    let status = match tokio::time::timeout(REAP_LIMIT, child.wait()).await {
        Ok(Ok(status)) => Some(status),
        Ok(Err(err)) => {
            tracing::warn!("waiting for the shell command failed: {err}");
            None
        }
        Err(_) => {
            tracing::warn!("the killed shell command did not exit within {REAP_LIMIT:?}");
            None
        }
    };
    let exit_code = match outcome {
        ShellOutcome::Exited => status.and_then(|s| s.code()),
        _ => None,
    };
    finished(output.finish(), exit_code, outcome, start)
}

fn finished(
    output: String,
    exit_code: Option<i32>,
    outcome: ShellOutcome,
    start: Instant,
) -> ShellResult {
    ShellResult {
        output,
        exit_code,
        outcome,
        duration: start.elapsed(),
    }
}

/// Resolves when the group leader has exited, without reaping it when a
/// pidfd is available.
async fn leader_exited(child: &mut Child, pidfd: Option<&AsyncFd<OwnedFd>>) {
    if let Some(fd) = pidfd
        && fd.readable().await.is_ok()
    {
        return;
    }
    let _ = child.wait().await;
}

#[cfg(target_os = "linux")]
fn pidfd_open(pid: libc::pid_t) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let raw = RawFd::try_from(ret).map_err(io::Error::other)?;
    // SAFETY: `raw` is a freshly opened descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: the AsyncFd owns `fd`, so it stays open and unchanged for its
    // whole lifetime.
    let registered = unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) };
    Ok(registered?)
}

/// No pidfds outside Linux: [`leader_exited`] waits with `child.wait()`,
/// which reaps the leader.
#[cfg(not(target_os = "linux"))]
fn pidfd_open(_pid: libc::pid_t) -> io::Result<AsyncFd<OwnedFd>> {
    Err(io::ErrorKind::Unsupported.into())
}

/// SIGKILLs the process group once when asked. When dropped unfinished (the
/// `run_shell` future was dropped mid-run) it sends the leader — the helper —
/// SIGTERM instead, so the helper can still kill what left the group.
struct GroupKiller(Option<libc::pid_t>);

impl GroupKiller {
    fn kill_now(&mut self) {
        if let Some(pgid) = self.0.take() {
            kill_group(pgid);
        }
    }

    /// Asks the helper to kill every descendant and exit.
    fn terminate_leader(&self) {
        if let Some(pid) = self.0
            && pid > 1
        {
            // SAFETY: plain kill(2) on our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        self.terminate_leader();
    }
}

fn kill_group(pgid: libc::pid_t) {
    if pgid <= 1 {
        return;
    }
    // SAFETY: plain kill(2) on the command's own process group.
    let ret = unsafe { libc::kill(-pgid, libc::SIGKILL) };
    if ret != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ESRCH) {
            tracing::warn!("killing process group {pgid} failed: {err}");
        }
    }
}

/// Read both pipes until both reach EOF, pushing chunks in arrival order.
async fn read_merged(
    mut stdout: Option<ChildStdout>,
    mut stderr: Option<ChildStderr>,
    output: &mut OutputBuf,
) {
    let mut out_buf = vec![0u8; READ_CHUNK];
    let mut err_buf = vec![0u8; READ_CHUNK];
    while stdout.is_some() || stderr.is_some() {
        tokio::select! {
            n = read_some(&mut stdout, &mut out_buf) => match n {
                Some(n) => output.push(&out_buf[..n]),
                None => stdout = None,
            },
            n = read_some(&mut stderr, &mut err_buf) => match n {
                Some(n) => output.push(&err_buf[..n]),
                None => stderr = None,
            },
        }
    }
}

/// `Some(n)` for a non-empty read; `None` at EOF or on error; pending
/// forever when the pipe is already closed.
async fn read_some<R: AsyncRead + Unpin>(pipe: &mut Option<R>, buf: &mut [u8]) -> Option<usize> {
    match pipe {
        Some(pipe) => match pipe.read(buf).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(n),
        },
        None => std::future::pending().await,
    }
}
