//! The `shell` tool: a command run by `/bin/sh -c` in the workspace, sandboxed where Landlock
//! works, with a timeout, an output cap, and Esc killing the whole process group.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::specs::ToolSpec;
use super::{ToolContext, ToolOutput};
use crate::protocol::{RiskLevel, ToolStatus};
use crate::sandbox::{self, EnvFilter, SandboxPolicy, ShellOutcome};

pub const NAME: &str = "shell";
const MAX_TIMEOUT_SECS: u64 = 600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShellArgs {
    command: String,
    timeout_secs: Option<u64>,
    #[serde(default)]
    network: bool,
}

pub fn spec() -> ToolSpec {
    ToolSpec {
        name: NAME,
        description: "Run a shell command (/bin/sh -c) in the workspace directory and return its combined stdout and stderr and exit code. Commands are sandboxed: they can read anywhere but write (and change file modes or times) only inside the workspace and the temp dir, and have no network — nor, on older kernels, UNIX sockets — unless `network` is true (which the user must approve). Secret environment variables (API keys, tokens, passwords) are not passed. Background processes are killed when the command ends. Use it for builds, tests, git and other CLI tools; prefer the file tools for reading and editing files. Long output is shortened (test and compiler output are summarised). Default timeout 120 s.",
        schema: json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The command line, e.g. `cargo test --quiet`."},
                "timeout_secs": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_SECS, "description": "Kill the command after this many seconds (default 120)."},
                "network": {"type": "boolean", "description": "Allow network access (asks the user unless a rule allows it). Default false."}
            },
            "required": ["command"],
            "additionalProperties": false
        }),
        risk: RiskLevel::Exec,
    }
}

fn parse(args: &Value) -> Result<ShellArgs, String> {
    serde_json::from_value(args.clone()).map_err(|e| format!("invalid shell arguments: {e}"))
}

/// The command text, for rules and previews.
pub fn command(args: &Value) -> Option<String> {
    parse(args).ok().map(|a| a.command)
}

pub fn wants_network(args: &Value) -> bool {
    parse(args).is_ok_and(|a| a.network)
}

/// `Run `cargo test` in ~/proj`.
pub fn summary(ctx: &ToolContext, args: &Value) -> String {
    match parse(args) {
        Ok(a) => {
            let first = a.command.lines().next().unwrap_or("").trim();
            let mut shown: String = first.chars().take(80).collect();
            if shown.len() < a.command.trim().len() {
                shown.push('…');
            }
            let net = if a.network { " with network" } else { "" };
            format!("Run `{shown}` in {}{net}", home_relative(&ctx.workspace))
        }
        Err(_) => "shell (invalid arguments)".into(),
    }
}

/// Exec, or Network when the call asks for network, or Destructive for commands that delete
/// or rewrite history.
pub fn risk(args: &Value) -> RiskLevel {
    match parse(args) {
        Ok(a) if a.network => RiskLevel::Network,
        Ok(a) if looks_destructive(&a.command) => RiskLevel::Destructive,
        _ => RiskLevel::Exec,
    }
}

fn looks_destructive(command: &str) -> bool {
    let c = format!(
        " {} ",
        command.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let has = |needle: &str| c.contains(needle);
    (has(" rm ") && (has(" -r") || has(" -f") || has(" --recursive") || has(" --force")))
        || (has(" git push ") && (has(" --force") || has(" -f ")))
        || has(" git reset --hard")
        || (has(" git clean ") && has(" -f"))
        || has(" mkfs")
        || has(" dd ")
        || has(" shred ")
        || has(" truncate ")
}

fn home_relative(path: &std::path::Path) -> String {
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return if rest.as_os_str().is_empty() {
            "~".into()
        } else {
            format!("~/{}", rest.display())
        };
    }
    path.display().to_string()
}

/// How shell commands are started.
#[derive(Debug, Clone)]
pub struct ShellEnv {
    /// pincer's own executable (re-executed as the sandbox helper).
    pub exe: PathBuf,
    /// False where Landlock is unavailable: commands then run unconfined (after approval).
    pub sandboxed: bool,
    pub default_timeout: Duration,
    /// Variables kept out of the command's environment.
    pub env: EnvFilter,
}

/// The environment filter for `config`: every profile's `api_key_env` is a
/// secret besides the secret-looking names; `[tools.shell] pass_env` lets
/// named variables through.
pub fn env_filter(config: &crate::config::Config) -> EnvFilter {
    EnvFilter {
        secret_names: config
            .providers
            .values()
            .filter_map(|p| p.api_key_env.clone())
            .collect(),
        pass: config.shell_pass_env.clone(),
    }
}

pub async fn run(
    ctx: &ToolContext,
    args: &Value,
    env: &ShellEnv,
    cancel: CancellationToken,
) -> ToolOutput {
    let a = match parse(args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e),
    };
    if a.command.trim().is_empty() {
        return ToolOutput::error("the command is empty");
    }
    let timeout = a
        .timeout_secs
        .map(|s| Duration::from_secs(s.clamp(1, MAX_TIMEOUT_SECS)))
        .unwrap_or(env.default_timeout);
    let policy = SandboxPolicy {
        workspace: ctx.workspace.clone(),
        temp_dir: ctx.temp_dir.clone(),
        allow_network: a.network,
        env: env.env.clone(),
    };
    if let Err(e) = std::fs::create_dir_all(&ctx.temp_dir) {
        return ToolOutput::error(format!(
            "cannot create the temp dir {}: {e}",
            ctx.temp_dir.display()
        ));
    }
    let cmd = sandbox::shell_command(&env.exe, &policy, &ctx.workspace, &a.command, env.sandboxed);
    let result =
        sandbox::run_shell(cmd, timeout, ctx.limits.display_output_max_bytes, cancel).await;
    // Colours and cursor moves mean nothing to the model or the transcript.
    let mut text = crate::text::strip_ansi(&result.output).into_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let (status, tail) = match &result.outcome {
        ShellOutcome::Exited if result.exit_code == Some(0) => {
            (ToolStatus::Ok, "exit code 0".to_string())
        }
        ShellOutcome::Exited => (
            ToolStatus::Error,
            match result.exit_code {
                Some(code) => format!("exit code {code}"),
                None => "killed by a signal".to_string(),
            },
        ),
        ShellOutcome::TimedOut => (
            ToolStatus::TimedOut,
            format!(
                "timed out after {} s; the command and its children were killed",
                timeout.as_secs()
            ),
        ),
        ShellOutcome::Cancelled => (
            ToolStatus::Interrupted,
            "interrupted by the user".to_string(),
        ),
        ShellOutcome::SpawnFailed(why) => (ToolStatus::Error, format!("could not start: {why}")),
    };
    text.push_str(&format!("[{tail}]"));
    ToolOutput {
        text,
        status,
        exit_code: result.exit_code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_levels() {
        assert_eq!(risk(&json!({"command": "cargo test"})), RiskLevel::Exec);
        assert_eq!(
            risk(&json!({"command": "curl x", "network": true})),
            RiskLevel::Network
        );
        for c in [
            "rm -rf target",
            "git push --force origin",
            "git reset --hard HEAD~1",
            "sudo dd if=/dev/zero of=x",
        ] {
            assert_eq!(risk(&json!({"command": c})), RiskLevel::Destructive, "{c}");
        }
        assert_eq!(risk(&json!({"command": "rm notes.txt"})), RiskLevel::Exec);
    }

    #[test]
    fn summaries() {
        let ctx = ToolContext {
            workspace: PathBuf::from("/work/p"),
            temp_dir: PathBuf::from("/tmp/x"),
            limits: Default::default(),
            outside_workspace_approved: false,
        };
        assert_eq!(
            summary(&ctx, &json!({"command": "ls -la"})),
            "Run `ls -la` in /work/p"
        );
        assert!(summary(&ctx, &json!({"command": "a\nb"})).contains("`a…`"));
        assert_eq!(summary(&ctx, &json!({})), "shell (invalid arguments)");
    }
}
