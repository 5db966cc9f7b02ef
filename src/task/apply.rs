//! One task run, the same for `pincer task apply|destroy` (`task_cli.rs`) and the TUI's
//! `/task apply` (`runtime/task_run.rs`): `prepare` (load the `.cw`, its state, the plan) →
//! a bundle (`templates_bundle`, or `forge::forge` with the model) → the caller's one
//! approval → `execute` (write the bundle, run the steps through the gate and the sandbox,
//! record the state and the run log) → `outcome`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::bundle::Bundle;
use super::exec::{self, RunResult, Runner, StepProgress};
use super::plan::{self, Plan, Verb};
use super::state::{ResourceState, RunRecord, State, StateStore, task_id};
use super::{Facts, Task, diag, validate};
use crate::runtime::{RuntimeSettings, SharedGate};
use crate::task_cli::{TaskCliError, now_secs};

/// A loaded task, its recorded state and the plan against it.
pub struct Prepared {
    pub task: Task,
    /// The task's folder (canonical when it exists): steps run here.
    pub task_dir: PathBuf,
    pub store: StateStore,
    pub state: State,
    pub plan: Plan,
    pub facts: Facts,
}

/// Load `file` (variables from `env`), its state under `data_dir`, and the plan (what
/// `destroy` removes when `destroy`).
pub fn prepare(
    file: &Path,
    data_dir: &Path,
    destroy: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Prepared, TaskCliError> {
    let task = load(file, env)?;
    let store = StateStore::new(data_dir, &task_id(&task.name, &task.file));
    let state = store.load(&task.name)?;
    let plan = if destroy {
        plan::destroy(&state)
    } else {
        plan::assemble(&task, &state)
    };
    let task_dir = std::fs::canonicalize(&task.dir).unwrap_or_else(|_| task.dir.clone());
    Ok(Prepared {
        task,
        task_dir,
        store,
        state,
        plan,
        facts: Facts::here(),
    })
}

/// The task at `file`, or its located errors as one message.
pub fn load(file: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Task, TaskCliError> {
    crate::task::load(file, env).map_err(|d| {
        TaskCliError::Invalid(format!(
            "{}{} error(s); nothing was run",
            diag::render(&d),
            d.len()
        ))
    })
}

/// The bundle the built-in templates compile, validated like the model's.
pub fn templates_bundle(p: &Prepared) -> Result<Bundle, TaskCliError> {
    let b = super::templates::compile(&p.plan, &p.task.name, &p.facts);
    let findings = validate::validate(&b, &p.plan, &p.task.name, &p.task_dir, &p.facts);
    if findings.is_empty() {
        return Ok(b);
    }
    let list: Vec<String> = findings.iter().map(|f| format!("  - {f}")).collect();
    Err(TaskCliError::Refused(format!(
        "the built-in templates produced a bundle that fails validation:\n{}\nnothing was run; change the task",
        list.join("\n")
    )))
}

/// How steps run for these settings: the gate given (the runtime's own, so session rules and
/// deny rules hold), the sandbox when the machine has one.
pub fn runner(
    settings: &RuntimeSettings,
    gate: SharedGate,
    task_dir: &Path,
    step_timeout: Duration,
    cancel: CancellationToken,
) -> Runner {
    Runner {
        exe: settings.exe.clone(),
        sandboxed: matches!(
            crate::sandbox::availability(),
            crate::sandbox::Availability::Available { .. }
        ),
        env: crate::tools::shell::env_filter(&settings.config),
        temp_dir: settings.temp_dir.clone(),
        task_dir: task_dir.to_path_buf(),
        gate,
        default_timeout: step_timeout.max(Duration::from_secs(1)),
        output_cap: 64 * 1024,
        cancel,
    }
}

/// What a run did and where its log is.
pub struct Applied {
    pub result: RunResult,
    pub log: PathBuf,
}

/// Write the bundle, run its steps, record the results in the state (saved atomically).
pub async fn execute(
    runner: &Runner,
    p: &mut Prepared,
    bundle: &Bundle,
    progress: &mut impl FnMut(StepProgress<'_>),
) -> Result<Applied, TaskCliError> {
    let hashes =
        exec::write_bundle(bundle, &p.task_dir, &p.task.name).map_err(TaskCliError::Refused)?;
    let started = now_secs();
    let log_path = p.store.run_log(started);
    if let Some(dir) = log_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut log = std::fs::File::create(&log_path)?;
    let previous: BTreeMap<String, i32> = p
        .state
        .resources
        .iter()
        .filter_map(|(id, r)| r.pid.map(|pid| (id.clone(), pid)))
        .collect();
    let result = runner
        .run(bundle, &p.plan, &previous, &mut log, progress)
        .await;
    record_results(&p.task, &mut p.state, &p.plan, &result);
    p.state.artifacts = hashes;
    p.state.last_run = Some(RunRecord {
        started,
        finished: now_secs(),
        ok: result.failed.is_none(),
        steps: result.steps.clone(),
        log: log_path.clone(),
    });
    p.store.save(&p.state)?;
    Ok(Applied {
        result,
        log: log_path,
    })
}

/// Whether the run succeeded, and the line that says so (or which step failed and why).
pub fn outcome(applied: &Applied, bundle: &Bundle) -> (bool, String) {
    match &applied.result.failed {
        None => (
            true,
            format!(
                "done: {} step(s) ran; log {}",
                applied.result.steps.len(),
                applied.log.display()
            ),
        ),
        Some((i, why)) => (
            false,
            format!(
                "step {} ({}) failed: {why}\nthe steps after it did not run; log {}",
                i + 1,
                bundle.steps.get(*i).map_or("?", |s| s.purpose.as_str()),
                applied.log.display()
            ),
        ),
    }
}

/// Each action whose steps all ran is recorded (deleted ones removed); the failed one is
/// recorded as failed so the next plan runs it again; the rest keep their old record.
fn record_results(task: &Task, state: &mut State, p: &Plan, result: &RunResult) {
    let failed_purpose = result
        .failed
        .as_ref()
        .and_then(|(i, _)| result.steps.get(*i))
        .map(|s| s.purpose.clone());
    for a in &p.actions {
        let purpose = a.purpose();
        let ran = result.steps.iter().any(|s| s.purpose == purpose);
        if !ran {
            continue;
        }
        let ok = failed_purpose.as_deref() != Some(purpose.as_str());
        if a.verb == Verb::Delete {
            if ok {
                state.resources.remove(&a.id);
            }
            continue;
        }
        let Some((order, r)) = task
            .resources
            .iter()
            .enumerate()
            .find(|(_, r)| r.id() == a.id)
        else {
            continue;
        };
        state.resources.insert(
            a.id.clone(),
            ResourceState {
                kind: a.kind.clone(),
                hash: plan::resource_hash(r),
                attrs: r.attrs.clone(),
                ok,
                order,
                pid: result.services.get(&a.id).copied(),
            },
        );
    }
}
