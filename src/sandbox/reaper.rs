//! The helper's second job: stay the parent of the command and make sure
//! nothing it started outlives it.
//!
//! The helper is a child subreaper (`PR_SET_CHILD_SUBREAPER`): every orphan
//! below it — a `&` job, a `nohup`, a double-forked daemon, a process that
//! called `setsid()` and left the process group — is reparented to the helper
//! instead of to init. When the command exits (after a short grace period for
//! background jobs to finish writing), or when pincer asks it to stop
//! (SIGTERM, SIGINT, SIGHUP, or pincer dying: `PR_SET_PDEATHSIG`), the helper
//! walks `/proc` for its descendants, SIGKILLs them and reaps them until it has
//! no children left, then exits the way the command did.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, ErrorKind};
use std::time::{Duration, Instant};

use super::ended::Ended;

/// After the command exits, how long its background jobs may keep running.
const EXIT_GRACE: Duration = Duration::from_millis(200);
/// Kill rounds before giving up on a process tree that keeps forking.
const MAX_KILL_ROUNDS: usize = 10_000;

/// Spawn `program args`, wait for it, kill every leftover descendant, and
/// return how the command ended. `Err` when it could not be started. `outlive`: pincer's
/// own exit does not stop it (a task's service); a signal still does.
pub(super) fn run_reaped(
    program: &OsString,
    args: &[OsString],
    outlive: bool,
) -> io::Result<Ended> {
    // SAFETY: prctl with integer arguments only changes this process's flags.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        if !outlive {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
        }
    }
    let set = stop_signals();
    // SAFETY: blocks signals of this (single-threaded) process; `set` is valid.
    unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    let child = command_with_open_mask(program, args).spawn()?;
    let child_pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    // The parent may have died before PDEATHSIG was set.
    // SAFETY: getppid has no preconditions.
    let orphaned = !outlive && unsafe { libc::getppid() } == 1;
    let mut ended = None;
    let mut grace_until: Option<Instant> = None;
    if orphaned {
        kill_descendants();
        return Ok(Ended::Signal(libc::SIGKILL));
    }
    loop {
        let timeout = grace_until.map(|t| t.saturating_duration_since(Instant::now()));
        match wait_signal(&set, timeout) {
            Some(libc::SIGCHLD) | None => {}
            Some(sig) => {
                kill_descendants();
                return Ok(ended.unwrap_or(Ended::Signal(sig)));
            }
        }
        let no_children = reap_available(child_pid, &mut ended);
        if ended.is_some() && grace_until.is_none() {
            grace_until = Some(Instant::now() + EXIT_GRACE);
        }
        if no_children {
            // A subreaper without children has no descendants at all.
            return Ok(ended.unwrap_or(Ended::Signal(libc::SIGKILL)));
        }
        if grace_until.is_some_and(|t| Instant::now() >= t) {
            kill_descendants();
            return Ok(ended.unwrap_or(Ended::Signal(libc::SIGKILL)));
        }
    }
}

/// `program args`, started with no signal blocked: the mask blocked above for `sigwaitinfo` is
/// inherited across fork and exec, and a command started with SIGTERM, SIGINT, SIGHUP and
/// SIGCHLD blocked would ignore `kill` and `timeout` inside it and never see its children end.
fn command_with_open_mask(program: &OsString, args: &[OsString]) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    // SAFETY: runs in the forked child before exec; sigemptyset and sigprocmask are
    // async-signal-safe and touch only the closure's own stack.
    unsafe {
        cmd.pre_exec(|| {
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            if libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

fn stop_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t.
    unsafe {
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGCHLD, libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
    }
    set
}

/// Waits for one of the blocked signals, at most `timeout` when given.
/// `None` on timeout or interruption.
fn wait_signal(set: &libc::sigset_t, timeout: Option<Duration>) -> Option<i32> {
    // SAFETY: siginfo_t is plain data filled by the kernel.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let ret = match timeout {
        None => {
            // SAFETY: `set` and `info` are valid for the call.
            unsafe { libc::sigwaitinfo(set, &mut info) }
        }
        Some(t) => {
            let ts = libc::timespec {
                tv_sec: libc::time_t::try_from(t.as_secs()).unwrap_or(libc::time_t::MAX),
                tv_nsec: libc::c_long::from(i32::try_from(t.subsec_nanos()).unwrap_or(0)),
            };
            // SAFETY: `set`, `info` and `ts` are valid for the call.
            unsafe { libc::sigtimedwait(set, &mut info, &ts) }
        }
    };
    (ret > 0).then_some(ret)
}

/// Reaps every child that has exited, noting the command's own status.
/// Returns true when no children are left at all.
fn reap_available(command: libc::pid_t, ended: &mut Option<Ended>) -> bool {
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status into `status`.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid == 0 {
            return false;
        }
        if pid < 0 {
            return io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
        }
        if pid == command {
            *ended = Some(if libc::WIFSIGNALED(status) {
                Ended::Signal(libc::WTERMSIG(status))
            } else {
                Ended::Code(libc::WEXITSTATUS(status))
            });
        }
    }
}

/// SIGKILLs every descendant of this process and reaps them, round after
/// round (a dying parent hands its children to us), until none is left.
pub(super) fn kill_descendants() {
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    let mut ignored = None;
    for _ in 0..MAX_KILL_ROUNDS {
        for pid in descendants(me) {
            // SAFETY: plain kill(2) on a descendant; it cannot be reused
            // before we reap it, as it is our child or a child of one.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        if reap_available(0, &mut ignored) {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// All processes below `root` in the process tree, read from `/proc`.
pub(super) fn descendants(root: libc::pid_t) -> Vec<libc::pid_t> {
    let mut children: HashMap<libc::pid_t, Vec<libc::pid_t>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if let Ok(ppid) = parent_of(pid) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        if let Some(kids) = children.get(&pid) {
            found.extend(kids);
            queue.extend(kids);
        }
    }
    found
}

fn parent_of(pid: libc::pid_t) -> io::Result<libc::pid_t> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // "pid (comm) state ppid …" — comm may contain spaces and parentheses.
    let rest = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, "no comm"))?;
    rest.split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, "no ppid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_of_self() {
        // SAFETY: getpid/getppid have no preconditions.
        let (me, parent) = unsafe { (libc::getpid(), libc::getppid()) };
        assert_eq!(parent_of(me).unwrap(), parent);
    }
}
