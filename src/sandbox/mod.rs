//! Run a model-requested shell command, confined to the workspace.
//!
//! pincer re-executes itself as a small helper (`pincer __sandbox …`, see
//! [`run_helper`]) that applies Landlock (read and execute everywhere, write
//! only beneath the workspace and a temp dir, no device nodes; from ABI 6 no
//! signals or abstract UNIX sockets outside the sandbox; from ABI 9 pathname
//! UNIX sockets only in the writable roots) and a seccomp filter (no device
//! nodes; unless the call may use the network, no IP sockets — and below
//! Landlock ABI 9 no UNIX sockets either, as seccomp cannot see where they
//! connect). It then runs the command as a child subreaper, so nothing the
//! command starts (`setsid`, double forks included) outlives the call.
//! Without Landlock (`sandboxed = false`) the helper runs `--unconfined`: the
//! subreaper only. Signals to processes outside the call are refused only
//! with Landlock ABI 6+; below that only the usual uid checks apply.
//! [`shell_command`] builds that invocation and [`run_shell`] runs it with a
//! timeout, a cancellation token and a bounded, merged capture of stdout and
//! stderr.
//!
//! Landlock, seccomp, mount namespaces and the subreaper are Linux's. On other
//! systems (macOS) [`availability`] always reports the sandbox unavailable, so
//! the gate asks before every command, and the helper runs `--unconfined`
//! there: the command leads a process group of its own, which is SIGKILLed
//! when the command exits (after the same grace period), times out or is
//! cancelled — a process that leaves the group escapes (see `pgroup`).

mod command;
mod ended;
mod env;
mod helper;
mod helper_pid;
#[cfg(target_os = "linux")]
mod landlock;
#[cfg(target_os = "linux")]
mod mounts;
mod output;
#[cfg(not(target_os = "linux"))]
mod pgroup;
#[cfg(target_os = "linux")]
mod reaper;
mod run;
#[cfg(target_os = "linux")]
mod seccomp;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

pub use command::{service_command, shell_command};
pub use env::{EnvFilter, looks_secret};
pub use helper::run_helper;
pub use helper_pid::is_helper;
pub use run::run_shell;

/// What a sandboxed command may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPolicy {
    /// Writable (and readable) beneath; usually the project directory.
    pub workspace: PathBuf,
    /// Writable scratch directory; exported to the command as `TMPDIR`.
    pub temp_dir: PathBuf,
    /// When false, the command cannot create IPv4/IPv6 (or packet) sockets,
    /// nor UNIX sockets where Landlock cannot confine where they connect.
    pub allow_network: bool,
    /// Environment variables kept out of the command (provider keys and
    /// secret-looking names) and the ones passed anyway.
    pub env: EnvFilter,
}

/// Whether Landlock can confine commands on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Landlock works; `abi` is the kernel's Landlock ABI version.
    Available { abi: u32 },
    /// Landlock cannot be used; `reason` says why and what to do.
    Unavailable { reason: String },
}

/// `LANDLOCK_CREATE_RULESET_VERSION` from `<linux/landlock.h>`.
#[cfg(target_os = "linux")]
const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;

/// Why there is no sandbox on systems other than Linux.
#[cfg(not(target_os = "linux"))]
const NOT_LINUX: &str = "Landlock is Linux-only: on this system commands run unconfined in the \
     workspace, with the approval gate still asking";

/// Whether Landlock works here. Probed once with
/// `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)` and
/// cached; cheap after the first call; never panics. Always
/// [`Availability::Unavailable`] on systems other than Linux.
pub fn availability() -> &'static Availability {
    static AVAILABILITY: OnceLock<Availability> = OnceLock::new();
    AVAILABILITY.get_or_init(probe)
}

#[cfg(target_os = "linux")]
fn probe() -> Availability {
    // SAFETY: with a NULL attribute pointer and size 0 this call only
    // reports the ABI version; it reads and writes no memory of ours.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if ret >= 1 {
        return match u32::try_from(ret) {
            Ok(abi) => Availability::Available { abi },
            Err(_) => Availability::Unavailable {
                reason: format!("the kernel reported an invalid Landlock ABI version ({ret})"),
            },
        };
    }
    let err = std::io::Error::last_os_error();
    let reason = match err.raw_os_error() {
        Some(libc::ENOSYS) => "this kernel has no Landlock support (it needs Linux 5.13 or \
             newer built with CONFIG_SECURITY_LANDLOCK=y)"
            .to_owned(),
        Some(libc::EOPNOTSUPP) => "Landlock is built into this kernel but disabled at boot \
             (add `landlock` to the `lsm=` kernel parameter)"
            .to_owned(),
        _ if ret == 0 => "the kernel reported Landlock ABI version 0".to_owned(),
        _ => format!("probing Landlock failed: {err}"),
    };
    Availability::Unavailable { reason }
}

/// No Landlock outside Linux: nothing to probe.
#[cfg(not(target_os = "linux"))]
fn probe() -> Availability {
    Availability::Unavailable {
        reason: NOT_LINUX.to_owned(),
    }
}

/// How a [`run_shell`] call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellOutcome {
    /// The command ran to completion (see [`ShellResult::exit_code`]).
    Exited,
    /// The timeout elapsed; the whole process group was killed.
    TimedOut,
    /// The cancellation token fired; the whole process group was killed.
    Cancelled,
    /// The process could not be started; the message says why.
    SpawnFailed(String),
}

/// The result of a [`run_shell`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellResult {
    /// stdout and stderr merged in arrival order (lossy UTF-8), head and
    /// tail kept with an omission marker when over the limit.
    pub output: String,
    /// The exit code; `None` when killed by a signal, timed out, cancelled
    /// or never started.
    pub exit_code: Option<i32>,
    /// How the run ended.
    pub outcome: ShellOutcome,
    /// Wall-clock time from spawn to the end of the call.
    pub duration: Duration,
}
