//! `pincer task validate|plan|apply|status|drift|destroy FILE.cw`: declarative tasks from the
//! command line (the module is `src/task/`).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;

use crate::config::Overrides;
use crate::paths::Paths;
use crate::protocol::ApprovalMode;
use crate::startup::{Launch, Startup};
use crate::task::bundle::Bundle;
use crate::task::plan::{self, Plan, Verb};
use crate::task::state::{ResourceState, RunRecord, State, StateStore, task_id};
use crate::task::{Facts, Task, diag, exec, forge, templates, validate};

#[derive(Subcommand, Debug)]
pub enum TaskCommand {
    /// Check a .cw file (and its .cwvars); exits 1 with file:line:column errors.
    Validate { file: PathBuf },
    /// The action list and the diff against the recorded state (no model is called).
    Plan {
        file: PathBuf,
        /// The plan as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Show the plan, compile it (the model, or templates with --no-ai), validate, ask, run.
    Apply {
        file: PathBuf,
        /// Do not ask (for scripts); without a terminal and without --yes nothing runs.
        #[arg(short = 'y', long)]
        yes: bool,
        /// Compile with the built-in templates instead of the model.
        #[arg(long)]
        no_ai: bool,
        /// Kill a step after this many seconds (a step's own timeout wins).
        #[arg(long, default_value_t = 300)]
        step_timeout: u64,
    },
    /// The recorded state: resources, the last run, services.
    Status { file: PathBuf },
    /// Run the health checks and compare what is observed with what the task wants.
    /// Exit codes: 0 nothing drifted, 1 drift found, 2 an error (nothing was checked).
    Drift {
        file: PathBuf,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Remove what the task created (last first), after asking.
    Destroy {
        file: PathBuf,
        #[arg(short = 'y', long)]
        yes: bool,
        #[arg(long)]
        no_ai: bool,
    },
}

/// What the subcommand needs from the command line.
pub struct TaskCli {
    pub paths: Paths,
    pub overrides: Overrides,
    pub mode: Option<ApprovalMode>,
    pub allow: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TaskCliError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    State(#[from] crate::task::state::StateError),
    #[error("{0}")]
    Forge(#[from] forge::ForgeError),
    #[error("{0}")]
    Refused(String),
    #[error("could not write the output: {0}")]
    Output(#[from] std::io::Error),
}

type Out<'a> = &'a mut dyn Write;

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn env_lookup(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

pub fn load(file: &Path) -> Result<Task, TaskCliError> {
    crate::task::load(file, &env_lookup).map_err(|d| {
        TaskCliError::Invalid(format!(
            "{}{} error(s); nothing was run",
            diag::render(&d),
            d.len()
        ))
    })
}

pub fn store_for(cli: &TaskCli, task: &Task) -> StateStore {
    StateStore::new(&cli.paths.data_dir, &task_id(&task.name, &task.file))
}

/// Run one subcommand; the exit code.
pub fn run(cmd: &TaskCommand, cli: &TaskCli, out: Out, input: &mut dyn BufRead, tty: bool) -> u8 {
    let result = match cmd {
        TaskCommand::Validate { file } => validate_cmd(file, out),
        TaskCommand::Plan { file, json } => plan_cmd(cli, file, *json, out),
        TaskCommand::Apply {
            file,
            yes,
            no_ai,
            step_timeout,
        } => apply_cmd(
            cli,
            file,
            Confirm { yes: *yes, tty },
            *no_ai,
            *step_timeout,
            false,
            out,
            input,
        ),
        TaskCommand::Destroy { file, yes, no_ai } => apply_cmd(
            cli,
            file,
            Confirm { yes: *yes, tty },
            *no_ai,
            300,
            true,
            out,
            input,
        ),
        TaskCommand::Status { file } => status_cmd(cli, file, out),
        TaskCommand::Drift { file, json } => crate::task::drift::drift_cmd(cli, file, *json, out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = out.flush();
            let _ = writeln!(std::io::stderr(), "pincer: {e}");
            error_code(cmd)
        }
    }
}

/// The exit code of a command that failed: `drift` keeps 1 for "drift found", so its errors
/// exit 2; the others exit 1.
fn error_code(cmd: &TaskCommand) -> u8 {
    match cmd {
        TaskCommand::Drift { .. } => DRIFT_ERROR,
        _ => 1,
    }
}

/// `task drift`: nothing drifted.
pub const DRIFT_NONE: u8 = 0;
/// `task drift`: at least one resource drifted.
pub const DRIFT_FOUND: u8 = 1;
/// `task drift`: the check could not run (a bad file, a corrupted state).
pub const DRIFT_ERROR: u8 = 2;

fn validate_cmd(file: &Path, out: Out) -> Result<u8, TaskCliError> {
    let task = load(file)?;
    writeln!(
        out,
        "{}: OK — task {}, {} resource(s), {} variable(s)\nenvironment: {}",
        file.display(),
        task.name,
        task.resources.len(),
        task.variables.len(),
        Facts::here().describe()
    )?;
    Ok(0)
}

fn plan_cmd(cli: &TaskCli, file: &Path, json: bool, out: Out) -> Result<u8, TaskCliError> {
    let task = load(file)?;
    let state = store_for(cli, &task).load(&task.name)?;
    let p = plan::assemble(&task, &state);
    if json {
        writeln!(out, "{}", serde_json::to_string(&p).unwrap_or_default())?;
    } else {
        write!(out, "{}", plan::render(&p))?;
    }
    Ok(0)
}

/// How `apply` may get its yes.
struct Confirm {
    yes: bool,
    tty: bool,
}

#[allow(clippy::too_many_arguments)]
fn apply_cmd(
    cli: &TaskCli,
    file: &Path,
    confirm: Confirm,
    no_ai: bool,
    step_timeout: u64,
    destroy: bool,
    out: Out,
    input: &mut dyn BufRead,
) -> Result<u8, TaskCliError> {
    let task = load(file)?;
    let store = store_for(cli, &task);
    let state = store.load(&task.name)?;
    let p = if destroy {
        plan::destroy(&state)
    } else {
        plan::assemble(&task, &state)
    };
    write!(out, "{}", plan::render(&p))?;
    if p.actions.is_empty() {
        return Ok(0);
    }
    let facts = Facts::here();
    let task_dir = std::fs::canonicalize(&task.dir).unwrap_or_else(|_| task.dir.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let bundle = if no_ai {
        let b = templates::compile(&p, &task.name, &facts);
        let findings = validate::validate(&b, &p, &task.name, &task_dir, &facts);
        if !findings.is_empty() {
            let list: Vec<String> = findings.iter().map(|f| format!("  - {f}")).collect();
            return Err(TaskCliError::Refused(format!(
                "the built-in templates produced a bundle that fails validation:\n{}\nnothing was run; change the task",
                list.join("\n")
            )));
        }
        b
    } else {
        writeln!(out, "compiling the plan with the model…")?;
        let ask = |messages| {
            let settings = settings(cli, &task_dir);
            Box::pin(crate::runtime::ask_once(
                settings,
                forge::FORGE_PROMPT,
                messages,
            )) as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>
        };
        runtime.block_on(forge::forge(&ask, &p, &task.name, &task_dir, &facts))?
    };
    writeln!(out, "steps:\n{}", exec::describe_steps(&bundle))?;
    if !confirm.yes {
        if !confirm.tty {
            return Err(TaskCliError::Refused(
                "no terminal to ask on: nothing was run; pass --yes to run these steps unattended"
                    .into(),
            ));
        }
        write!(out, "Run these {} step(s)? [y/N] ", bundle.steps.len())?;
        out.flush()?;
        let mut answer = String::new();
        input.read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            writeln!(out, "nothing was run")?;
            return Ok(1);
        }
    }
    execute(
        cli,
        &task,
        &task_dir,
        &store,
        state,
        &p,
        &bundle,
        step_timeout,
        &runtime,
        out,
    )
}

fn settings(cli: &TaskCli, task_dir: &Path) -> crate::runtime::RuntimeSettings {
    let startup = Startup::load(
        cli.paths.clone(),
        &cli.overrides,
        crate::runtime::real_env(),
    );
    startup.into_settings(Launch {
        workspace: task_dir.to_path_buf(),
        resume: crate::runtime::Resume::New,
        pick_session: None,
        interactive: false,
        mode: cli.mode,
        allow: cli.allow.clone(),
    })
}

#[allow(clippy::too_many_arguments)]
fn execute(
    cli: &TaskCli,
    task: &Task,
    task_dir: &Path,
    store: &StateStore,
    mut state: State,
    p: &Plan,
    bundle: &Bundle,
    step_timeout: u64,
    runtime: &tokio::runtime::Runtime,
    out: Out,
) -> Result<u8, TaskCliError> {
    let hashes = exec::write_bundle(bundle, task_dir, &task.name).map_err(TaskCliError::Refused)?;
    let s = settings(cli, task_dir);
    let runner = exec::Runner {
        exe: s.exe.clone(),
        sandboxed: matches!(
            crate::sandbox::availability(),
            crate::sandbox::Availability::Available { .. }
        ),
        env: crate::tools::shell::env_filter(&s.config),
        temp_dir: s.temp_dir.clone(),
        task_dir: task_dir.to_path_buf(),
        gate: crate::runtime::build_gate(&s),
        default_timeout: Duration::from_secs(step_timeout.max(1)),
        output_cap: 64 * 1024,
    };
    let started = now_secs();
    let log_path = store.run_log(started);
    if let Some(dir) = log_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut log = std::fs::File::create(&log_path)?;
    let previous: BTreeMap<String, i32> = state
        .resources
        .iter()
        .filter_map(|(id, r)| r.pid.map(|p| (id.clone(), p)))
        .collect();
    let total = bundle.steps.len();
    let mut progress = |i: usize, r: &crate::task::state::StepRecord| {
        let _ = writeln!(out, "  [{}/{total}] {:<10} {}", i + 1, r.outcome, r.purpose);
    };
    let result = runtime.block_on(runner.run(bundle, p, &previous, &mut log, &mut progress));
    record_results(task, &mut state, p, &result);
    state.artifacts = hashes;
    state.last_run = Some(RunRecord {
        started,
        finished: now_secs(),
        ok: result.failed.is_none(),
        steps: result.steps.clone(),
        log: log_path.clone(),
    });
    store.save(&state)?;
    match &result.failed {
        None => {
            writeln!(
                out,
                "done: {} step(s) ran; log {}",
                result.steps.len(),
                log_path.display()
            )?;
            Ok(0)
        }
        Some((i, why)) => {
            writeln!(
                out,
                "step {} ({}) failed: {why}\nthe steps after it did not run; log {}",
                i + 1,
                bundle.steps[*i].purpose,
                log_path.display()
            )?;
            Ok(1)
        }
    }
}

/// Each action whose steps all ran is recorded (deleted ones removed); the failed one is
/// recorded as failed so the next plan runs it again; the rest keep their old record.
fn record_results(task: &Task, state: &mut State, p: &Plan, result: &exec::RunResult) {
    let failed_purpose = result
        .failed
        .as_ref()
        .map(|(i, _)| result.steps[*i].purpose.clone());
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

fn status_cmd(cli: &TaskCli, file: &Path, out: Out) -> Result<u8, TaskCliError> {
    let task = load(file)?;
    let store = store_for(cli, &task);
    let state = store.load(&task.name)?;
    writeln!(out, "task {} (state {})", task.name, store.file().display())?;
    if state.resources.is_empty() {
        writeln!(out, "nothing applied yet")?;
    }
    for (id, r) in &state.resources {
        let service = match r.pid {
            Some(p) if exec::service_alive(p) => format!("  running (process group {p})"),
            Some(_) => "  not running".into(),
            None => String::new(),
        };
        let ok = if r.ok { "ok" } else { "FAILED" };
        writeln!(out, "  {id:<30} {ok}{service}")?;
    }
    if let Some(run) = &state.last_run {
        writeln!(
            out,
            "last run: {} UTC, {}, {} step(s); log {}",
            crate::time::utc_seconds(i64::try_from(run.started).unwrap_or(0).saturating_mul(1000)),
            if run.ok { "ok" } else { "failed" },
            run.steps.len(),
            run.log.display()
        )?;
    }
    Ok(0)
}
