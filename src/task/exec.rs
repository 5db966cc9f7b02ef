//! Running a validated bundle: files written beneath the build folder (no symlink followed),
//! then each step in order through the gate (the user's deny rules still refuse a step the
//! plan's approval covered) and the sandbox (`pincer __sandbox`, as `tools/shell.rs::run`),
//! with a timeout and captured output; the run stops at the first failure, naming the step.
//! A service's step is started detached (still inside the sandbox helper) and waited for
//! until its health check answers.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::bundle::{Bundle, Step, build_dir};
use super::plan::Plan;
use super::state::{StepRecord, hex};
use crate::provider::ToolCall;
use crate::runtime::SharedGate;
use crate::sandbox::{self, EnvFilter, SandboxPolicy, ShellOutcome};
use crate::tools::registry::ToolBox;
use crate::tools::{ToolContext, ToolLimits};

/// How steps are run.
pub struct Runner {
    /// pincer's executable (the sandbox helper).
    pub exe: PathBuf,
    pub sandboxed: bool,
    pub env: EnvFilter,
    pub temp_dir: PathBuf,
    /// The task's folder (canonical): steps run here and may write beneath it.
    pub task_dir: PathBuf,
    pub gate: SharedGate,
    pub default_timeout: Duration,
    /// Captured output kept per step (bytes).
    pub output_cap: usize,
    /// Stops the running step (its process group is killed) and the steps after it.
    pub cancel: CancellationToken,
}

/// What `Runner::run` reports as it goes.
#[derive(Debug)]
pub enum StepProgress<'a> {
    Started {
        index: usize,
        step: &'a Step,
    },
    Finished {
        index: usize,
        record: &'a StepRecord,
    },
}

/// Lines of a step's output kept in its record (and shown in the task pane).
pub const TAIL_LINES: usize = 20;
/// At most this many bytes of them.
const TAIL_BYTES: usize = 4000;

/// What a run did.
#[derive(Debug, Default)]
pub struct RunResult {
    pub steps: Vec<StepRecord>,
    /// The failed step's index and why.
    pub failed: Option<(usize, String)>,
    /// Service id → process group of what was started.
    pub services: BTreeMap<String, i32>,
}

/// Write the bundle's files; the sha256 of each (build-relative path → hash).
pub fn write_bundle(
    bundle: &Bundle,
    task_dir: &Path,
    name: &str,
) -> Result<BTreeMap<String, String>, String> {
    let build = task_dir.join(build_dir(name));
    if let Ok(m) = std::fs::symlink_metadata(&build) {
        if m.file_type().is_symlink() {
            return Err(format!(
                "{} is a symlink: refusing to write through it",
                build.display()
            ));
        }
        std::fs::remove_dir_all(&build)
            .map_err(|e| format!("cannot clear {}: {e}", build.display()))?;
    }
    let mut hashes = BTreeMap::new();
    for f in &bundle.files {
        let path = build.join(&f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mode = super::validate::parse_mode(&f.mode).unwrap_or(0o644) & 0o755;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(mode)
            .open(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        file.write_all(f.content.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot set the mode of {}: {e}", path.display()))?;
        hashes.insert(f.path.clone(), hex(&Sha256::digest(f.content.as_bytes())));
    }
    Ok(hashes)
}

/// The lines `apply` shows before asking: every step's command.
pub fn describe_steps(bundle: &Bundle) -> String {
    let mut s = String::new();
    for (i, step) in bundle.steps.iter().enumerate() {
        let mut flags = Vec::new();
        if step.network {
            flags.push("network");
        }
        if step.detach {
            flags.push("keeps running");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(", "))
        };
        s.push_str(&format!(
            "{:>3}. {}{flags}\n       $ {}\n",
            i + 1,
            step.purpose,
            step.command
        ));
        for file in bundle.files.iter().filter(|f| f.purpose == step.purpose) {
            describe_artifact(&mut s, file);
        }
    }
    s
}

/// Lines of an artifact shown in the one approval before they are cut.
const SHOWN_ARTIFACT_LINES: usize = 15;

/// The artifact a step runs, so the approval shows what the command will do, not only its
/// name: its path and its first [`SHOWN_ARTIFACT_LINES`] lines (control characters made
/// visible, so a script cannot redraw the question it is asked under).
fn describe_artifact(s: &mut String, file: &super::bundle::Artifact) {
    s.push_str(&format!("       {} ({}):\n", file.path, file.language));
    let lines: Vec<&str> = file.content.lines().collect();
    for line in lines.iter().take(SHOWN_ARTIFACT_LINES) {
        s.push_str(&format!("       │ {}\n", crate::text::sanitize(line)));
    }
    if lines.len() > SHOWN_ARTIFACT_LINES {
        s.push_str(&format!(
            "       │ … {} more line(s) in {}\n",
            lines.len() - SHOWN_ARTIFACT_LINES,
            file.path
        ));
    }
}

impl Runner {
    /// Run every step in order, stopping at the first failure or when cancelled. `log` gets
    /// each step's output; `progress` is told of each step as it starts and ends. `previous`
    /// holds the process groups of services started before (stopped before their step runs
    /// again).
    pub async fn run(
        &self,
        bundle: &Bundle,
        plan: &Plan,
        previous: &BTreeMap<String, i32>,
        log: &mut impl Write,
        progress: &mut impl FnMut(StepProgress<'_>),
    ) -> RunResult {
        let mut result = RunResult::default();
        let env: Vec<(String, String)> = bundle
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (i, step) in bundle.steps.iter().enumerate() {
            let id = step.purpose.split_once(' ').map_or("", |x| x.1).to_string();
            if self.cancel.is_cancelled() {
                let why = "interrupted before this step started";
                let mut skipped = record(step, None, "interrupted");
                skipped.output = why.into();
                progress(StepProgress::Finished {
                    index: i,
                    record: &skipped,
                });
                result.steps.push(skipped);
                result.failed = Some((i, why.into()));
                break;
            }
            if let Some(pgid) = previous.get(&id) {
                stop_service(*pgid);
            }
            progress(StepProgress::Started { index: i, step });
            let began = std::time::Instant::now();
            let _ = writeln!(
                log,
                "== step {}: {}\n$ {}",
                i + 1,
                step.purpose,
                step.command
            );
            let (mut record, why) = match self.refused(step) {
                Some(why) => (record(step, None, "refused"), Some(why)),
                None if step.detach => {
                    let action = plan.actions.iter().find(|a| a.purpose() == step.purpose);
                    match self.start_service(step, &env, &id).await {
                        Ok(pgid) => {
                            result.services.insert(id.clone(), pgid);
                            match action.map(health_of).unwrap_or_default() {
                                Some(h) => match self.healthy_or_cancelled(&h).await {
                                    Ok(()) => (record(step, None, "started, healthy"), None),
                                    Err(e) => (record(step, None, "unhealthy"), Some(e)),
                                },
                                None => (record(step, None, "started"), None),
                            }
                        }
                        Err(e) => (record(step, None, "not started"), Some(e)),
                    }
                }
                None => self.run_one(step, &env, log).await,
            };
            let _ = writeln!(log, "== {}", record.outcome);
            record.duration_ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
            if record.output.is_empty()
                && let Some(why) = &why
            {
                record.output = tail(why);
            }
            progress(StepProgress::Finished {
                index: i,
                record: &record,
            });
            result.steps.push(record);
            if let Some(why) = why {
                result.failed = Some((i, why));
                break;
            }
        }
        result
    }

    /// The gate's word on the step: `Some(why)` when the user's rules deny it.
    fn refused(&self, step: &Step) -> Option<String> {
        let ctx = self.tool_context();
        let args = serde_json::json!({"command": step.command, "network": step.network});
        let call = ToolCall {
            id: "task".into(),
            name: crate::tools::shell::NAME.into(),
            arguments: args.to_string(),
        };
        let prepared = match ToolBox::builtin().prepare(&ctx, &call) {
            Ok(p) => p,
            Err(r) => return Some(r.message),
        };
        match self.gate.lock().decide(&prepared, None) {
            crate::policy::Verdict::Deny { by, reason } => {
                Some(format!("refused by {by}: {reason}"))
            }
            _ => None,
        }
    }

    fn tool_context(&self) -> ToolContext {
        ToolContext {
            workspace: self.task_dir.clone(),
            temp_dir: self.temp_dir.clone(),
            limits: ToolLimits::default(),
            outside_workspace_approved: false,
        }
    }

    fn policy(&self, step: &Step) -> SandboxPolicy {
        SandboxPolicy {
            workspace: self.task_dir.clone(),
            temp_dir: self.temp_dir.clone(),
            allow_network: step.network,
            env: self.env.clone(),
        }
    }

    async fn run_one(
        &self,
        step: &Step,
        env: &[(String, String)],
        log: &mut impl Write,
    ) -> (StepRecord, Option<String>) {
        if let Err(e) = std::fs::create_dir_all(&self.temp_dir) {
            let why = format!("cannot create {}: {e}", self.temp_dir.display());
            return (record(step, None, "not started"), Some(why));
        }
        let timeout = step
            .timeout_secs
            .map(|s| Duration::from_secs(s.clamp(1, 3600)))
            .unwrap_or(self.default_timeout);
        let policy = self.policy(step);
        let mut cmd = sandbox::shell_command(
            &self.exe,
            &policy,
            &self.task_dir,
            &step.command,
            self.sandboxed,
        );
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let r = sandbox::run_shell(cmd, timeout, self.output_cap, self.cancel.child_token()).await;
        let plain = crate::text::strip_ansi(&r.output);
        let _ = log.write_all(plain.as_bytes());
        let tail: String = last_lines(&r.output, 5);
        let (mut rec, why) = judge(step, &r, timeout, tail);
        rec.output = self::tail(&plain);
        (rec, why)
    }
}

/// A finished command's record and, when it failed, why.
fn judge(
    step: &Step,
    r: &sandbox::ShellResult,
    timeout: Duration,
    tail: String,
) -> (StepRecord, Option<String>) {
    match &r.outcome {
        ShellOutcome::Exited if r.exit_code == Some(0) => (record(step, r.exit_code, "ok"), None),
        ShellOutcome::Exited => {
            let code = r
                .exit_code
                .map_or("a signal".to_string(), |c| format!("exit code {c}"));
            (
                record(step, r.exit_code, "failed"),
                Some(format!("{code}\n{tail}")),
            )
        }
        ShellOutcome::TimedOut => (
            record(step, None, "timed out"),
            Some(format!(
                "no result after {} s; the step and its children were killed",
                timeout.as_secs()
            )),
        ),
        ShellOutcome::Cancelled => (
            record(step, None, "interrupted"),
            Some("interrupted".into()),
        ),
        ShellOutcome::SpawnFailed(why) => (record(step, None, "not started"), Some(why.clone())),
    }
}

impl Runner {
    async fn healthy_or_cancelled(&self, h: &Health) -> Result<(), String> {
        tokio::select! {
            r = wait_healthy(h) => r,
            () = self.cancel.cancelled() => Err("interrupted while waiting for the health check".into()),
        }
    }

    /// Start a service's step and leave it running: its own process group, output to
    /// `.pincer/tasks/NAME/run/<id>.log`.
    async fn start_service(
        &self,
        step: &Step,
        env: &[(String, String)],
        id: &str,
    ) -> Result<i32, String> {
        let run_dir = self.task_dir.join(".pincer").join("run");
        std::fs::create_dir_all(&run_dir)
            .and_then(|()| std::fs::create_dir_all(&self.temp_dir))
            .map_err(|e| format!("cannot create {}: {e}", run_dir.display()))?;
        let log_path = run_dir.join(format!("{id}.log"));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let policy = self.policy(step);
        let mut cmd = sandbox::service_command(
            &self.exe,
            &policy,
            &self.task_dir,
            &step.command,
            self.sandboxed,
        );
        cmd.envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = cmd.spawn().map_err(|e| format!("could not start: {e}"))?;
        let pid = child.id().ok_or("the service ended at once")?;
        // Not waited for: it keeps running after pincer exits (reparented to init).
        drop(child);
        i32::try_from(pid).map_err(|e| e.to_string())
    }
}

fn record(step: &Step, exit_code: Option<i32>, outcome: &str) -> StepRecord {
    StepRecord {
        purpose: step.purpose.clone(),
        command: step.command.clone(),
        exit_code,
        outcome: outcome.into(),
        output: String::new(),
        duration_ms: 0,
    }
}

/// The last `TAIL_LINES` lines of `text`, at most `TAIL_BYTES` (cut at a char boundary).
pub fn tail(text: &str) -> String {
    let t = last_lines(text.trim_end(), TAIL_LINES);
    if t.len() <= TAIL_BYTES {
        return t;
    }
    let mut start = t.len() - TAIL_BYTES;
    while !t.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &t[start..])
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A health check to wait for.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub url: String,
    pub retries: u32,
    pub interval: Duration,
}

/// The health check a service action names, if any.
pub fn health_of(a: &super::plan::Action) -> Option<Health> {
    let url = a.args.get("health_url")?.as_str()?.to_string();
    let int = |k: &str, d: i64| a.args.get(k).and_then(|v| v.as_i64()).unwrap_or(d);
    Some(Health {
        url,
        retries: u32::try_from(int("health_retries", 20).clamp(1, 600)).unwrap_or(20),
        interval: Duration::from_secs(
            u64::try_from(int("health_interval_secs", 1).clamp(0, 60)).unwrap_or(1),
        ),
    })
}

/// The status an HTTP GET of `url` answers with.
pub async fn http_status(url: &str, timeout: Duration) -> Result<u16, String> {
    let client = crate::tls::client_builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    Ok(r.status().as_u16())
}

/// Retry the health check until it answers 2xx.
pub async fn wait_healthy(h: &Health) -> Result<(), String> {
    let mut last = String::new();
    for attempt in 0..h.retries {
        if attempt > 0 {
            tokio::time::sleep(h.interval).await;
        }
        match http_status(&h.url, Duration::from_secs(5)).await {
            Ok(s) if (200..300).contains(&s) => return Ok(()),
            Ok(s) => last = format!("status {s}"),
            Err(e) => last = e,
        }
    }
    Err(format!(
        "{} did not answer after {} tries (last: {last})",
        h.url, h.retries
    ))
}

/// Stop a service started by an earlier run: its process group, if it is still pincer's
/// sandbox helper (a recycled pid is left alone).
pub fn stop_service(pgid: i32) {
    if !sandbox::is_helper(pgid) {
        return;
    }
    // SAFETY: plain kill(2) on a process group we started.
    unsafe {
        libc::kill(-pgid, libc::SIGTERM);
    }
}

/// Whether a service started earlier is still running.
pub fn service_alive(pgid: i32) -> bool {
    sandbox::is_helper(pgid)
}

#[cfg(test)]
mod tests {
    use super::super::bundle::{Artifact, Bundle, Step};
    use super::describe_steps;

    #[test]
    fn the_approval_shows_what_each_step_runs_cut_and_without_terminal_controls() {
        let script: String = std::iter::once("#!/bin/sh\n\x1b[2Jecho hidden\n".to_string())
            .chain((0..20).map(|i| format!("echo line {i}\n")))
            .collect();
        let bundle = Bundle {
            files: vec![Artifact {
                path: "01-run.sh".into(),
                mode: "0755".into(),
                purpose: "create command.run".into(),
                language: "sh".into(),
                content: script,
            }],
            steps: vec![Step {
                purpose: "create command.run".into(),
                command: "sh .pincer/tasks/t/build/01-run.sh".into(),
                timeout_secs: None,
                network: false,
                detach: false,
            }],
            variables: Default::default(),
        };
        let shown = describe_steps(&bundle);
        assert!(
            shown.contains("$ sh .pincer/tasks/t/build/01-run.sh"),
            "{shown}"
        );
        assert!(shown.contains("01-run.sh (sh):"), "{shown}");
        assert!(shown.contains("[2Jecho hidden"), "{shown}");
        assert!(shown.contains("│ echo line 12"), "{shown}");
        assert!(!shown.contains("echo line 13"), "{shown}");
        assert!(shown.contains("… 7 more line(s) in 01-run.sh"), "{shown}");
        assert!(!shown.contains('\x1b'), "{shown}");
    }
}
