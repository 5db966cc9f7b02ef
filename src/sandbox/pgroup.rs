//! The helper's second job where there is no child subreaper (every system
//! but Linux, macOS first): run the command in a process group of its own and
//! make sure that group does not outlive the call.
//!
//! The command leads a new process group. When it exits, the background jobs
//! it left in the group get a short grace period to finish writing, then the
//! group is SIGKILLed. When pincer asks the helper to stop (SIGTERM, SIGINT,
//! SIGHUP) or goes away itself (the helper's parent changes: there is no
//! `PR_SET_PDEATHSIG` here), the group is SIGKILLed at once. A process that
//! leaves the group (`setsid`, a daemon) is out of reach: without a subreaper
//! orphans are adopted by launchd (init), and nothing here can find them again.
//!
//! There is no `sigtimedwait` either (macOS), so the helper polls — the
//! command with `waitpid(WNOHANG)`, a flag its stop-signal handler sets, its
//! parent — with a pause that grows from 1 ms to 50 ms: a quick command is
//! noticed within a few milliseconds, a long one costs 20 wake-ups a second.
//! The stop signals are caught, not blocked: a blocked mask would be inherited
//! by the command (std does not reset it), while a caught signal goes back to
//! its default action at `exec`.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use super::ended::Ended;

/// After the command exits, how long its background jobs may keep running.
const EXIT_GRACE: Duration = Duration::from_millis(200);
/// The first pause between two polls; it doubles up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_millis(50);
/// The signals by which pincer asks the helper to stop.
const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

/// The last stop signal received; 0 while none has come.
static STOP: AtomicI32 = AtomicI32::new(0);

/// Spawn `program args` as the leader of a new process group, wait for it,
/// kill what is left of the group, and return how the command ended. `Err`
/// when it could not be started. `outlive`: pincer's own exit does not stop it
/// (a task's service); a stop signal still does.
pub(super) fn run_grouped(
    program: &OsString,
    args: &[OsString],
    outlive: bool,
) -> io::Result<Ended> {
    catch_stop_signals();
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() };
    if !outlive && parent == 1 {
        // pincer was gone before the helper started: run nothing.
        return Ok(Ended::Signal(libc::SIGKILL));
    }
    let child = std::process::Command::new(program)
        .args(args)
        .process_group(0)
        .spawn()?;
    let group = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    let mut ended: Option<Ended> = None;
    let mut grace_until: Option<Instant> = None;
    let mut pause = FIRST_PAUSE;
    loop {
        if let Some(sig) = stop_requested(parent, outlive) {
            kill_group(group);
            if ended.is_none() {
                reap(group, 0);
            }
            return Ok(ended.unwrap_or(Ended::Signal(sig)));
        }
        if ended.is_none() {
            ended = reap(group, libc::WNOHANG);
            if ended.is_some() {
                grace_until = Some(Instant::now() + EXIT_GRACE);
                pause = FIRST_PAUSE;
            }
        }
        if let Some(until) = grace_until {
            let left = group_alive(group);
            if !left || Instant::now() >= until {
                if left {
                    kill_group(group);
                }
                return Ok(ended.unwrap_or(Ended::Signal(libc::SIGKILL)));
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Notes a stop signal for the polling loop (only an atomic store, which is
/// async-signal-safe).
extern "C" fn note_stop(sig: libc::c_int) {
    STOP.store(sig, Ordering::Relaxed);
}

fn catch_stop_signals() {
    let handler = note_stop as extern "C" fn(libc::c_int);
    for sig in STOP_SIGNALS {
        // SAFETY: installs a handler that only stores into an atomic; `exec`
        // resets it to the default action in the command.
        unsafe { libc::signal(sig, handler as libc::sighandler_t) };
    }
}

/// The stop signal received, or SIGTERM when pincer is gone and the command
/// must not outlive it.
fn stop_requested(parent: libc::pid_t, outlive: bool) -> Option<libc::c_int> {
    let sig = STOP.load(Ordering::Relaxed);
    if sig != 0 {
        return Some(sig);
    }
    // SAFETY: getppid has no preconditions.
    (!outlive && unsafe { libc::getppid() } != parent).then_some(libc::SIGTERM)
}

/// Waits for the command (`flags` 0: until it exits; `WNOHANG`: only if it
/// has) and says how it ended. A command already reaped elsewhere (SIGCHLD
/// ignored) counts as killed.
fn reap(pid: libc::pid_t, flags: libc::c_int) -> Option<Ended> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes the status into `status`.
        let ret = unsafe { libc::waitpid(pid, &mut status, flags) };
        if ret == pid {
            return Some(if libc::WIFSIGNALED(status) {
                Ended::Signal(libc::WTERMSIG(status))
            } else {
                Ended::Code(libc::WEXITSTATUS(status))
            });
        }
        if ret == 0 {
            return None;
        }
        match io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::ECHILD) => return Some(Ended::Signal(libc::SIGKILL)),
            _ => return None,
        }
    }
}

/// Whether any process is left in the group (one that cannot be signalled
/// counts as left).
fn group_alive(group: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    let ret = unsafe { libc::kill(-group, 0) };
    ret == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn kill_group(group: libc::pid_t) {
    if group > 1 {
        // SAFETY: plain kill(2) on the command's own process group. Its id
        // is not reused while the leader is unreaped or the group has members;
        // after the leader exited it is only called when members were seen.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
}
