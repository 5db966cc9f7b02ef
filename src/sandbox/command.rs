//! Building the `tokio::process::Command` for a shell string.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::SandboxPolicy;

/// The shell every command string is run with.
const SHELL: &str = "/bin/sh";

/// Build the command for `command` (a shell string run by `/bin/sh -c`) with
/// working directory `cwd`.
///
/// `exe __sandbox --workspace W --tmp T [--allow-network] [--unconfined]
/// -- /bin/sh -c COMMAND` (`--unconfined` when `sandboxed` is false: the
/// helper then only reaps). It runs in its own process group with stdin null,
/// stdout and stderr piped, and the environment kept but with
/// `TMPDIR=temp_dir` and without the secrets `policy.env` names. Not
/// `kill_on_drop`: SIGKILL would stop the helper before it kills what the
/// command left behind; [`super::run_shell`] sends it SIGTERM instead.
pub fn shell_command(
    exe: &Path,
    policy: &SandboxPolicy,
    cwd: &Path,
    command: &str,
    sandboxed: bool,
) -> Command {
    build(exe, policy, cwd, command, sandboxed, false)
}

/// As [`shell_command`], for a task's service: the helper (`--outlive-pincer`) keeps it
/// running after pincer exits; SIGTERM to its process group still stops it and all it started.
pub fn service_command(
    exe: &Path,
    policy: &SandboxPolicy,
    cwd: &Path,
    command: &str,
    sandboxed: bool,
) -> Command {
    build(exe, policy, cwd, command, sandboxed, true)
}

fn build(
    exe: &Path,
    policy: &SandboxPolicy,
    cwd: &Path,
    command: &str,
    sandboxed: bool,
    outlive: bool,
) -> Command {
    let mut cmd = Command::new(exe);
    cmd.arg("__sandbox")
        .arg("--workspace")
        .arg(&policy.workspace)
        .arg("--tmp")
        .arg(&policy.temp_dir);
    if policy.allow_network {
        cmd.arg("--allow-network");
    }
    if !sandboxed {
        cmd.arg("--unconfined");
    }
    if outlive {
        cmd.arg("--outlive-pincer");
    }
    cmd.arg("--").arg(SHELL);
    policy.env.apply(&mut cmd);
    cmd.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env("TMPDIR", &policy.temp_dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::path::PathBuf;

    fn policy(allow_network: bool) -> SandboxPolicy {
        SandboxPolicy {
            workspace: PathBuf::from("/w"),
            temp_dir: PathBuf::from("/t"),
            allow_network,
            env: Default::default(),
        }
    }

    fn args(cmd: &Command) -> Vec<&OsStr> {
        cmd.as_std().get_args().collect()
    }

    #[test]
    fn only_a_service_outlives_pincer() {
        let flag = std::ffi::OsStr::new("--outlive-pincer");
        let shell = shell_command(
            Path::new("/bin/pincer"),
            &policy(false),
            Path::new("/w"),
            "ls",
            true,
        );
        assert!(!args(&shell).contains(&flag));
        let service = service_command(
            Path::new("/bin/pincer"),
            &policy(true),
            Path::new("/w"),
            "ls",
            true,
        );
        let a = args(&service);
        let at = a.iter().position(|x| *x == flag);
        let sep = a.iter().position(|x| *x == std::ffi::OsStr::new("--"));
        assert!(at.is_some() && at < sep, "{a:?}");
    }

    #[test]
    fn sandboxed_invocation() {
        let cmd = shell_command(
            Path::new("/bin/pincer"),
            &policy(true),
            Path::new("/w"),
            "ls",
            true,
        );
        assert_eq!(cmd.as_std().get_program(), "/bin/pincer");
        assert_eq!(
            args(&cmd),
            [
                "__sandbox",
                "--workspace",
                "/w",
                "--tmp",
                "/t",
                "--allow-network",
                "--",
                "/bin/sh",
                "-c",
                "ls"
            ]
        );
        let tmpdir = cmd.as_std().get_envs().find(|(k, _)| *k == "TMPDIR");
        assert_eq!(tmpdir, Some((OsStr::new("TMPDIR"), Some(OsStr::new("/t")))));
        assert_eq!(cmd.as_std().get_current_dir(), Some(Path::new("/w")));
    }

    #[test]
    fn plain_invocation() {
        let cmd = shell_command(
            Path::new("/bin/pincer"),
            &policy(false),
            Path::new("/w"),
            "ls",
            false,
        );
        assert_eq!(cmd.as_std().get_program(), "/bin/pincer");
        assert_eq!(
            args(&cmd),
            [
                "__sandbox",
                "--workspace",
                "/w",
                "--tmp",
                "/t",
                "--unconfined",
                "--",
                "/bin/sh",
                "-c",
                "ls"
            ]
        );
    }

    #[test]
    fn secret_variables_are_removed() {
        // PATH is always set; naming it a provider key must remove it.
        let mut policy = policy(false);
        policy.env.secret_names = vec!["PATH".into()];
        let cmd = shell_command(Path::new("/p"), &policy, Path::new("/w"), "ls", true);
        let removed = cmd
            .as_std()
            .get_envs()
            .any(|(k, v)| k == "PATH" && v.is_none());
        assert!(removed);
    }

    #[test]
    fn network_flag_only_when_allowed() {
        let cmd = shell_command(Path::new("/p"), &policy(false), Path::new("/w"), "ls", true);
        assert!(!args(&cmd).contains(&OsStr::new("--allow-network")));
    }
}
