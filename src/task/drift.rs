//! `task drift`: health checks (files and their content, directories, git clones, services
//! and their health URL, HTTP checks) compare what is observed with what the task wants.
//! Each drift gets proposals, smallest first — an artifact patch, then a `.cw` change shown
//! as a diff, then a runbook — each marked with whether the fix policy would let it apply by
//! itself. Drifted resources are marked in the state, so the next `plan` re-applies them.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::exec;
use super::fixes::{self, Budget, FixKind, Touches};
use super::ir::{Resource, Task};
use super::state::State;
use crate::task_cli::{TaskCli, TaskCliError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub id: String,
    pub observed: String,
    pub proposals: Vec<Proposal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub kind: FixKind,
    pub touches: Touches,
    pub text: String,
    /// Whether the policy would apply it without asking (and why not).
    pub automatic: Result<(), String>,
    /// It was applied automatically by this check (`[tasks] auto_fix`, `autofix.rs`).
    #[serde(default)]
    pub applied: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub task: String,
    pub checked: usize,
    pub drift: Vec<Drift>,
}

/// Observe every resource; `now` and `auto_enabled` feed the fix policy.
pub async fn check(task: &Task, state: &State, auto_enabled: bool, now: u64) -> Report {
    let mut drift = Vec::new();
    let file = task.file.display().to_string();
    for r in &task.resources {
        let Some(observed) = observe(task, r, state).await else {
            continue;
        };
        let proposals = propose(r, &file)
            .into_iter()
            .map(|(kind, touches, text)| Proposal {
                kind,
                touches,
                text,
                automatic: match fixes::auto_apply(auto_enabled, touches, now, &state.auto_fixes) {
                    Budget::Allowed => Ok(()),
                    Budget::Refused(why) => Err(why),
                },
                applied: false,
            })
            .collect();
        drift.push(Drift {
            id: r.id(),
            observed,
            proposals,
        });
    }
    Report {
        task: task.name.clone(),
        checked: task.resources.len(),
        drift,
    }
}

/// What is wrong with `r`, or `None` when it is as desired.
async fn observe(task: &Task, r: &Resource, state: &State) -> Option<String> {
    let Some(recorded) = state.resources.get(&r.id()) else {
        return Some("not applied yet".into());
    };
    let at = |k: &str| r.str_attr(k).map(|p| task.dir.join(p));
    match r.kind {
        "file" => {
            let path = at("path")?;
            match (std::fs::read(&path), r.str_attr("content")) {
                (Err(_), _) => Some(format!("{} is missing", path.display())),
                (Ok(now), Some(want))
                    if Sha256::digest(&now) != Sha256::digest(want.as_bytes()) =>
                {
                    Some(format!("{} was changed", path.display()))
                }
                _ => None,
            }
        }
        "directory" => {
            let path = at("path")?;
            (!path.is_dir()).then(|| format!("{} is missing", path.display()))
        }
        "git_repo" => {
            let path = at("path")?;
            (!path.join(".git").is_dir()).then(|| format!("no git clone at {}", path.display()))
        }
        "service" => {
            if !recorded.pid.is_some_and(exec::service_alive) {
                return Some("the service is not running".into());
            }
            let url = r.str_attr("health_url")?;
            match exec::http_status(url, Duration::from_secs(5)).await {
                Ok(s) if (200..300).contains(&s) => None,
                Ok(s) => Some(format!("{url} answers {s}")),
                Err(e) => Some(format!("{url} does not answer: {e}")),
            }
        }
        "http_check" => {
            let url = r.str_attr("url")?;
            let want = r.int_attr("expect_status").unwrap_or(200);
            // An automatic fix may have given the check more tries (`autofix.rs`).
            let tries = state
                .tuning
                .get(&r.id())
                .and_then(|t| t.get("retries"))
                .map_or(1, |n| u32::try_from(*n).unwrap_or(1).clamp(1, 600));
            let mut last = None;
            for attempt in 0..tries {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                match exec::http_status(url, Duration::from_secs(5)).await {
                    Ok(s) if i64::from(s) == want => return None,
                    Ok(s) => last = Some(format!("{url} answers {s}, not {want}")),
                    Err(e) => last = Some(format!("{url} does not answer: {e}")),
                }
            }
            last
        }
        _ => None,
    }
}

/// Fixes for a drifted resource, smallest first.
fn propose(r: &Resource, file: &str) -> Vec<(FixKind, Touches, String)> {
    let reapply = format!(
        "run `pincer task apply {file}`: the next plan re-applies {}",
        r.id()
    );
    match r.kind {
        "http_check" => {
            let retries = r.int_attr("retries").unwrap_or(5);
            vec![
                (
                    FixKind::ArtifactPatch,
                    Touches::HealthCheckTiming,
                    format!(
                        "give the check more time: retries {retries} → {}",
                        retries * 2
                    ),
                ),
                (
                    FixKind::CwChange,
                    Touches::HealthCheckTiming,
                    format!(
                        "--- {file}\n+++ {file}\n @@ http_check \"{}\" @@\n-  retries = {retries}\n+  retries = {}",
                        r.name,
                        retries * 2
                    ),
                ),
                (FixKind::Runbook, Touches::Reapply, reapply),
            ]
        }
        "service" => vec![
            (
                FixKind::ArtifactPatch,
                Touches::Logging,
                format!(
                    "keep the service's output: it is in .pincer/run/{}.log; read it for why it stopped",
                    r.id()
                ),
            ),
            (
                FixKind::CwChange,
                Touches::Ports,
                format!(
                    "if another process holds its port, move service \"{}\" to a free one in {file} (its start command and health_url)",
                    r.name
                ),
            ),
            (FixKind::Runbook, Touches::Reapply, reapply),
        ],
        _ => vec![(FixKind::Runbook, Touches::Reapply, reapply)],
    }
}

/// `pincer task drift FILE`: exit 0 when nothing drifted, 1 when something did (errors: 2,
/// from `task_cli::run`).
pub fn drift_cmd(
    cli: &TaskCli,
    file: &Path,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, TaskCliError> {
    let task = crate::task_cli::load(file)?;
    let store = crate::task_cli::store_for(cli, &task);
    let mut state = store.load(&task.name)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let auto_fix = crate::config::Config::load(&cli.paths.config_file())
        .map_err(|e| TaskCliError::Invalid(e.to_string()))?
        .tasks
        .auto_fix;
    let now = crate::task_cli::now_secs();
    let mut report = runtime.block_on(check(&task, &state, auto_fix, now));
    let mut marked = super::autofix::apply(&mut report, &mut state, auto_fix, now) > 0;
    for d in &report.drift {
        if let Some(r) = state.resources.get_mut(&d.id)
            && r.ok
        {
            r.ok = false;
            marked = true;
        }
    }
    if marked {
        store.save(&state)?;
    }
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&report).unwrap_or_default()
        )?;
    } else {
        write!(out, "{}", render(&report))?;
    }
    Ok(if report.drift.is_empty() {
        crate::task_cli::DRIFT_NONE
    } else {
        crate::task_cli::DRIFT_FOUND
    })
}

pub fn render(report: &Report) -> String {
    let mut s = format!(
        "task {}: {} resource(s) checked, {} drifted\n",
        report.task,
        report.checked,
        report.drift.len()
    );
    for d in &report.drift {
        s.push_str(&format!("DRIFT {}: {}\n", d.id, d.observed));
        for (i, p) in d.proposals.iter().enumerate() {
            let auto = match &p.automatic {
                Ok(()) if p.applied => "APPLIED automatically".to_string(),
                Ok(()) => "may apply automatically".to_string(),
                Err(why) => format!("asks: {why}"),
            };
            s.push_str(&format!("  {}. {:?} ({auto})\n", i + 1, p.kind));
            for line in p.text.lines() {
                s.push_str(&format!("     {line}\n"));
            }
        }
    }
    s
}
