//! `pincer task validate|plan|apply|status|drift|destroy FILE.cw`: declarative tasks from the
//! command line (the module is `src/task/`).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;

use crate::config::Overrides;
use crate::paths::Paths;
use crate::protocol::ApprovalMode;
use crate::startup::{Launch, Startup};
use crate::task::bundle::Bundle;
use crate::task::exec::StepProgress;
use crate::task::plan;
use crate::task::state::{StateStore, task_id};
use crate::task::{Facts, Task, apply, exec, forge, session_log};

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
    apply::load(file, &env_lookup)
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
    let mut p = apply::prepare(file, &cli.paths.data_dir, destroy, &env_lookup)?;
    write!(out, "{}", plan::render(&p.plan))?;
    if p.plan.actions.is_empty() {
        return Ok(0);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let bundle = if no_ai {
        apply::templates_bundle(&p)?
    } else {
        writeln!(out, "compiling the plan with the model…")?;
        let task_dir = p.task_dir.clone();
        let ask = |messages| {
            let settings = settings(cli, &task_dir);
            Box::pin(crate::runtime::ask_once(
                settings,
                forge::FORGE_PROMPT,
                messages,
            )) as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>
        };
        runtime.block_on(forge::forge(
            &ask,
            &p.plan,
            &p.task.name,
            &p.task_dir,
            &p.facts,
        ))?
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
    let s = settings(cli, &p.task_dir);
    let runner = apply::runner(
        &s,
        crate::runtime::build_gate(&s),
        &p.task_dir,
        Duration::from_secs(step_timeout),
        tokio_util::sync::CancellationToken::new(),
    );
    let total = bundle.steps.len();
    let mut progress = |step: StepProgress<'_>| {
        if let StepProgress::Finished { index, record } = step {
            let _ = writeln!(
                out,
                "  [{}/{total}] {:<10} {}",
                index + 1,
                record.outcome,
                record.purpose
            );
        }
    };
    let applied = runtime.block_on(apply::execute(&runner, &mut p, &bundle, &mut progress))?;
    let (ok, line) = apply::outcome(&applied, &bundle);
    writeln!(out, "{line}")?;
    let verb = if destroy { "destroy" } else { "apply" };
    if let Err(e) = store_session(cli, &p, &bundle, &applied, verb, ok, &line) {
        let _ = writeln!(
            std::io::stderr(),
            "pincer: the run was not stored as a session ({e}); its log is {}",
            applied.log.display()
        );
    }
    Ok(u8::from(!ok))
}

/// The run as a session (origin `task`) in the user's store.
fn store_session(
    cli: &TaskCli,
    p: &apply::Prepared,
    bundle: &Bundle,
    applied: &apply::Applied,
    verb: &str,
    ok: bool,
    outcome: &str,
) -> Result<String, crate::store::StoreError> {
    let store = crate::store::Store::open(&cli.paths.database_file())?;
    let commands: Vec<(String, String)> = bundle
        .steps
        .iter()
        .map(|s| (s.purpose.clone(), s.command.clone()))
        .collect();
    session_log::store_run(
        &store,
        &session_log::RunLog {
            verb,
            name: &p.task.name,
            file: &p.task.file,
            cwd: &p.task_dir,
            plan: &plan::render(&p.plan),
            commands: &commands,
            steps: &applied.result.steps,
            ok,
            outcome,
        },
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
