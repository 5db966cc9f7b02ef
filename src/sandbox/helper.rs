//! The hidden `pincer __sandbox` helper: confine this process, then exec.

use std::ffi::OsString;
use std::io::{self, ErrorKind};
use std::path::PathBuf;

use super::availability;
use super::ended::{self, Ended};
#[cfg(not(target_os = "linux"))]
use super::pgroup;
#[cfg(target_os = "linux")]
use super::{landlock, mounts, reaper, seccomp};

const USAGE: &str = "usage: pincer __sandbox --workspace DIR --tmp DIR [--allow-network] \
     [--unconfined] [--outlive-pincer] -- PROGRAM [ARG...]
(internal helper: pincer starts it itself to run a command confined to DIRs; with \
     --unconfined it only makes sure nothing the command started outlives it)";

/// Exit code when the sandbox cannot be set up (as a shell's "cannot execute").
const EXIT_CANNOT_CONFINE: i32 = 126;
/// Exit code for bad helper arguments.
const EXIT_USAGE: i32 = 2;
/// Exit code when the program does not exist (as a shell's "not found").
const EXIT_NOT_FOUND: i32 = 127;

#[derive(Debug, PartialEq, Eq)]
struct HelperArgs {
    workspace: PathBuf,
    temp_dir: PathBuf,
    allow_network: bool,
    unconfined: bool,
    /// `--outlive-pincer`: a task's service, which keeps running after pincer exits (still
    /// confined, still reaped when it is stopped).
    outlive: bool,
    program: OsString,
    args: Vec<OsString>,
}

fn parse(args: Vec<OsString>) -> Result<HelperArgs, String> {
    let mut workspace = None;
    let mut temp_dir = None;
    let mut allow_network = false;
    let mut unconfined = false;
    let mut outlive = false;
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        let slot = match arg.to_str() {
            Some("--") => {
                let program = iter.next().ok_or("no program after `--`")?;
                let workspace = workspace.ok_or("missing --workspace DIR")?;
                let temp_dir = temp_dir.ok_or("missing --tmp DIR")?;
                return Ok(HelperArgs {
                    workspace,
                    temp_dir,
                    allow_network,
                    unconfined,
                    outlive,
                    program,
                    args: iter.collect(),
                });
            }
            Some("--allow-network") => {
                allow_network = true;
                continue;
            }
            Some("--unconfined") => {
                unconfined = true;
                continue;
            }
            Some("--outlive-pincer") => {
                outlive = true;
                continue;
            }
            Some("--workspace") => &mut workspace,
            Some("--tmp") => &mut temp_dir,
            _ => return Err(format!("unexpected argument {arg:?}")),
        };
        let value = iter
            .next()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{} needs a directory", arg.to_string_lossy()))?;
        if slot.replace(PathBuf::from(value)).is_some() {
            return Err(format!("{} given twice", arg.to_string_lossy()));
        }
    }
    Err("missing `-- PROGRAM [ARG...]`".to_owned())
}

/// The hidden helper: parse its args, apply Landlock and seccomp (unless
/// `--unconfined`), then run the program after `--` as its child subreaper
/// (see `reaper`) and exit the way it did. On systems other than Linux
/// only `--unconfined` runs anything, and the program leads a process group
/// of its own instead (see `pgroup`).
///
/// Returns only on failure or with the program's exit code: 2 for bad
/// arguments (with usage text), 126 when the sandbox cannot be fully applied
/// (the command is then not run at all), 127 when the program does not exist
/// and 126 when it cannot be executed.
pub fn run_helper(args: Vec<OsString>) -> i32 {
    let args = match parse(args) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("pincer sandbox: {msg}\n{USAGE}");
            return EXIT_USAGE;
        }
    };
    if !args.unconfined
        && let Err(code) = confine(&args)
    {
        return code;
    }
    match run_command(&args) {
        Ok(ended) => ended::pass_on(ended),
        Err(err) => {
            let program = args.program.to_string_lossy();
            if err.kind() == ErrorKind::NotFound {
                eprintln!("pincer sandbox: {program}: command not found");
                EXIT_NOT_FOUND
            } else {
                eprintln!("pincer sandbox: cannot execute {program}: {err}");
                EXIT_CANNOT_CONFINE
            }
        }
    }
}

/// Runs the program as the helper's child, which stays its subreaper.
#[cfg(target_os = "linux")]
fn run_command(args: &HelperArgs) -> io::Result<Ended> {
    reaper::run_reaped(&args.program, &args.args, args.outlive)
}

/// Runs the program as the leader of a process group of its own (no
/// subreaper outside Linux).
#[cfg(not(target_os = "linux"))]
fn run_command(args: &HelperArgs) -> io::Result<Ended> {
    pgroup::run_grouped(&args.program, &args.args, args.outlive)
}

/// Read-only mounts outside the writable roots (best effort, see
/// [`mounts`]), Landlock, then the seccomp filter; `Err(exit code)` after
/// saying why.
#[cfg(target_os = "linux")]
fn confine(args: &HelperArgs) -> Result<(), i32> {
    if let (Ok(ws), Ok(tmp)) = (
        std::fs::canonicalize(&args.workspace),
        std::fs::canonicalize(&args.temp_dir),
    ) {
        match mounts::read_only_except(&[&ws, &tmp]) {
            Ok(()) => {
                let protected: Vec<_> = mounts::PROTECTED_IN_WORKSPACE
                    .iter()
                    .map(|rel| ws.join(rel))
                    .collect();
                if let Err(err) = mounts::read_only_dirs(&protected) {
                    tracing::debug!("sandbox: a protected folder stays writable: {err}");
                }
            }
            Err(err) => tracing::debug!("sandbox: no read-only mount namespace: {err}"),
        }
    }
    let abi = match landlock::restrict(availability(), &args.workspace, &args.temp_dir) {
        Ok(abi) => abi,
        Err(err) => {
            eprintln!(
                "pincer sandbox: cannot apply Landlock: {err} — refusing to run the command \
                 unsandboxed"
            );
            return Err(EXIT_CANNOT_CONFINE);
        }
    };
    let filter = seccomp::FilterOptions {
        deny_network: !args.allow_network,
        // Landlock confines pathname UNIX connects from ABI 9 on; before that,
        // UNIX sockets count as network (docker.sock, a session bus, tmux).
        deny_unix_sockets: !args.allow_network && abi < landlock::ABI_RESOLVE_UNIX,
    };
    if let Err(err) = seccomp::apply(filter) {
        eprintln!(
            "pincer sandbox: cannot apply the system-call filter (seccomp): {err} — refusing to \
             run the command; allow network for this call if it needs it"
        );
        return Err(EXIT_CANNOT_CONFINE);
    }
    Ok(())
}

/// Outside Linux there is nothing to confine with: the command is refused,
/// as on a Linux without Landlock. (pincer passes `--unconfined` there, since
/// [`availability`] reports the sandbox unavailable.)
#[cfg(not(target_os = "linux"))]
fn confine(_args: &HelperArgs) -> Result<(), i32> {
    let reason = match availability() {
        super::Availability::Unavailable { reason } => reason.as_str(),
        super::Availability::Available { .. } => "no sandbox on this system",
    };
    eprintln!(
        "pincer sandbox: cannot apply Landlock: {reason} — refusing to run the command \
         unsandboxed"
    );
    Err(EXIT_CANNOT_CONFINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_full_form() {
        let parsed = parse(os(&[
            "--workspace",
            "/w",
            "--tmp",
            "/t",
            "--allow-network",
            "--",
            "/bin/sh",
            "-c",
            "x",
        ]))
        .unwrap();
        assert_eq!(
            parsed,
            HelperArgs {
                workspace: "/w".into(),
                temp_dir: "/t".into(),
                allow_network: true,
                unconfined: false,
                outlive: false,
                program: "/bin/sh".into(),
                args: os(&["-c", "x"]),
            }
        );
    }

    #[test]
    fn a_service_may_outlive_pincer() {
        let parsed = parse(os(&[
            "--workspace",
            "/w",
            "--tmp",
            "/t",
            "--outlive-pincer",
            "--",
            "/bin/sh",
        ]))
        .unwrap();
        assert!(parsed.outlive && !parsed.unconfined);
    }

    #[test]
    fn args_after_separator_are_untouched() {
        let parsed = parse(os(&[
            "--tmp",
            "/t",
            "--workspace",
            "/w",
            "--",
            "ls",
            "--tmp",
        ]))
        .unwrap();
        assert!(!parsed.allow_network);
        assert_eq!(parsed.args, os(&["--tmp"]));
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            &[][..],
            &["--workspace", "/w", "--tmp", "/t"],
            &["--workspace", "/w", "--tmp", "/t", "--"],
            &["--workspace", "/w", "--", "ls"],
            &["--tmp", "/t", "--", "ls"],
            &["--workspace"],
            &["--workspace", "", "--tmp", "/t", "--", "ls"],
            &[
                "--workspace",
                "/a",
                "--workspace",
                "/b",
                "--tmp",
                "/t",
                "--",
                "ls",
            ],
            &["--bogus", "--", "ls"],
        ] {
            assert!(parse(os(bad)).is_err(), "{bad:?} should be rejected");
        }
    }
}
