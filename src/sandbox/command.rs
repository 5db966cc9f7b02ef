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
/// `sandboxed = true`: `exe __sandbox --workspace W --tmp T [--allow-network]
/// -- /bin/sh -c COMMAND`; `false`: plain `/bin/sh -c COMMAND`. Both run in
/// their own process group with stdin null, stdout and stderr piped,
/// `kill_on_drop(true)` and the environment kept but with `TMPDIR=temp_dir`.
pub fn shell_command(
    exe: &Path,
    policy: &SandboxPolicy,
    cwd: &Path,
    command: &str,
    sandboxed: bool,
) -> Command {
    let mut cmd = if sandboxed {
        let mut cmd = Command::new(exe);
        cmd.arg("__sandbox")
            .arg("--workspace")
            .arg(&policy.workspace)
            .arg("--tmp")
            .arg(&policy.temp_dir);
        if policy.allow_network {
            cmd.arg("--allow-network");
        }
        cmd.arg("--").arg(SHELL);
        cmd
    } else {
        Command::new(SHELL)
    };
    cmd.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env("TMPDIR", &policy.temp_dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
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
        }
    }

    fn args(cmd: &Command) -> Vec<&OsStr> {
        cmd.as_std().get_args().collect()
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
        assert_eq!(cmd.as_std().get_program(), "/bin/sh");
        assert_eq!(args(&cmd), ["-c", "ls"]);
    }

    #[test]
    fn network_flag_only_when_allowed() {
        let cmd = shell_command(Path::new("/p"), &policy(false), Path::new("/w"), "ls", true);
        assert!(!args(&cmd).contains(&OsStr::new("--allow-network")));
    }
}
