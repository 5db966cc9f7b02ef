//! The binary edge: parse arguments, pick a front end, turn errors into exit codes.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;

use args::{
    AuditAction, Cli, Command, ConfigAction, McpAction, SecretsAction, SessionsAction,
    SkillsAction, parse_args,
};
use pincer::config::{self, Overrides};
use pincer::paths::Paths;
use pincer::runtime::{Resume, real_env};
use pincer::session_cli::{self, ResumeTarget};
use pincer::skill_cli;
use pincer::startup::{Launch, Startup, workspace};

fn main() -> ExitCode {
    // The sandbox helper: re-executed by pincer itself for every shell command.
    let mut raw = std::env::args_os();
    if raw.nth(1).as_deref() == Some(std::ffi::OsStr::new("__sandbox")) {
        let code = pincer::sandbox::run_helper(raw.collect());
        return ExitCode::from(code.clamp(0, 255) as u8);
    }
    let cli = parse_args();
    if cli.command.is_some() {
        end_quietly_when_the_reader_goes_away();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) if e.chain().any(is_broken_pipe) => ExitCode::from(EXIT_OUTPUT_CLOSED),
        Err(e) => {
            // Not eprintln!: after a hang-up the terminal is gone and printing must not panic.
            let _ = writeln!(std::io::stderr(), "pincer: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// What a shell reports for a command ended by SIGPIPE (`pincer sessions list | head`).
const EXIT_OUTPUT_CLOSED: u8 = pincer::headless::EXIT_OUTPUT_CLOSED as u8;

/// The subcommands (`sessions`, `config`, `audit`, `skills`) behave like Unix filters: when the
/// reader of their output goes away they end at once by SIGPIPE, quietly (status 141), whatever
/// code is writing. The TUI and `-p` keep SIGPIPE ignored, as Rust sets it (they write to tool
/// pipes), and handle EPIPE as an error they act on.
fn end_quietly_when_the_reader_goes_away() {
    // SAFETY: called before any other thread exists; restores the default disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// An error caused by writing to a pipe whose reader went away.
fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn caused_by_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(is_broken_pipe)
}

/// Writes a line to stdout; a failure (the reader went away) ends the command via `?`.
macro_rules! out {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), $($arg)*)
    };
}

mod args;
mod audit_cmd;

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Some(Command::Completions { shell }) => return completions(*shell),
        Some(Command::Man) => return man_page(),
        _ => {}
    }
    let paths = Paths::from_env()?;
    match &cli.command {
        Some(Command::Config { action }) => return config_command(action, &paths),
        Some(Command::Audit {
            action: Some(AuditAction::Verify),
            ..
        }) => return audit_cmd::verify(&paths),
        Some(Command::Audit {
            action: None,
            json,
            limit,
        }) => return audit_cmd::list(&paths, *json, *limit),
        Some(Command::Sessions { action }) => return sessions_command(action, &paths, &cli),
        Some(Command::Skills { action }) => return skills_command(action, &paths, &cli),
        Some(Command::Secrets { action }) => return secrets_command(action, &paths),
        Some(Command::Mcp { action }) => return mcp_command(action, paths, &cli),
        Some(Command::Memory { action }) => return memory_command(action, &paths, &cli),
        #[cfg(feature = "tasks")]
        Some(Command::Task { action }) => {
            return Ok(ExitCode::from(task_command(action, paths, &cli)));
        }
        #[cfg(feature = "serve")]
        Some(Command::Serve { .. }) => return serve_command(paths, &cli),
        Some(Command::Explain { .. } | Command::Completions { .. } | Command::Man) | None => {}
    }
    if let Err(e) = pincer::logging::init(&paths.log_file())
        && cli.prompt.is_some()
    {
        let _ = writeln!(std::io::stderr(), "pincer: {e} (continuing without logs)");
    }
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "start");
    let overrides = Overrides {
        provider: cli.provider.clone(),
        model: cli.model.clone(),
        base_url: cli.base_url.clone(),
    };
    let workspace = workspace(cli.cd.as_deref()).map_err(anyhow::Error::msg)?;
    let mut pick_session = None;
    let resume = match (&cli.resume, cli.continue_last) {
        (Some(query), _) if query.trim().is_empty() => {
            pick_session = Some(String::new());
            Resume::New
        }
        (Some(query), _) => {
            match session_cli::resolve_resume(&paths.database_file(), query.trim())? {
                ResumeTarget::One(id) => Resume::Id(id),
                ResumeTarget::Pick(text) => {
                    pick_session = Some(text);
                    Resume::New
                }
            }
        }
        (None, true) => Resume::ContinueLast,
        (None, false) => Resume::New,
    };
    let launch = |interactive| Launch {
        workspace: workspace.clone(),
        resume: resume.clone(),
        pick_session: pick_session.clone(),
        interactive,
        mode: cli.mode,
        allow: cli.allow.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    tracing::debug!("start-up: async runtime built");

    if let Some(Command::Explain { message, json }) = &cli.command {
        let startup = Startup::load(paths, &overrides, real_env());
        if let Some(e) = &startup.config_error {
            anyhow::bail!("{e}");
        }
        let settings = startup.into_settings(launch(false));
        let d = runtime.block_on(pincer::runtime::explain(settings, message));
        if *json {
            out!("{}", serde_json::to_string(&d)?)?;
        } else {
            for line in pincer::pipeline::report::render(&d) {
                out!("{line}")?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    if let Some(prompt) = cli.prompt {
        let prompt = if prompt == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read the prompt from stdin")?;
            String::from_utf8_lossy(&buf).into_owned()
        } else {
            prompt
        };
        if prompt.trim().is_empty() {
            anyhow::bail!("the prompt is empty: pass text to -p, or pipe it in with -p -");
        }
        if let Some(text) = &pick_session {
            anyhow::bail!(
                "--resume {text:?} matches several sessions; with -p give one id (`pincer sessions list --all`)"
            );
        }
        let startup = Startup::load(paths, &overrides, real_env());
        if let Some(e) = &startup.config_error {
            anyhow::bail!("{e}");
        }
        let settings = startup.into_settings(launch(false));
        let code = runtime.block_on(pincer::headless::run(settings, prompt, cli.json));
        return Ok(ExitCode::from(code.clamp(0, 255) as u8));
    }

    let startup = Startup::load(paths, &overrides, real_env());
    tracing::debug!("start-up: config and provider loaded");
    runtime.block_on(pincer::tui::run(startup, launch(true)))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "serve")]
fn serve_command(paths: Paths, cli: &Cli) -> anyhow::Result<ExitCode> {
    let Some(Command::Serve {
        bind,
        new_token,
        message_burst,
        messages_per_minute,
    }) = cli.command
    else {
        return Ok(ExitCode::SUCCESS);
    };
    let overrides = Overrides {
        provider: cli.provider.clone(),
        model: cli.model.clone(),
        base_url: cli.base_url.clone(),
    };
    let req = pincer::serve_cli::ServeRequest {
        bind,
        new_token,
        rates: pincer::serve::Rates {
            message_burst,
            messages_per_minute,
            ..pincer::serve::Rates::default()
        },
        workspace: workspace(cli.cd.as_deref()).map_err(anyhow::Error::msg)?,
        mode: cli.mode,
        allow: cli.allow.clone(),
    };
    pincer::serve_cli::command(paths, overrides, req)?;
    Ok(ExitCode::SUCCESS)
}

fn config_command(action: &ConfigAction, paths: &Paths) -> anyhow::Result<ExitCode> {
    let file = paths.config_file();
    match action {
        ConfigAction::Path => {
            out!("{}", file.display())?;
            out!("# data:  {}", paths.data_dir.display())?;
            out!("# logs:  {}", paths.log_file().display())?;
            out!("# cache: {}", paths.cache_dir.display())?;
        }
        ConfigAction::Show => match config::Config::load(&file) {
            Ok(c) => {
                if !file.exists() {
                    out!(
                        "# no config file yet: these are the defaults (`pincer config init` writes one)"
                    )?;
                }
                write!(std::io::stdout(), "{}", c.describe(&file))?;
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "{e}");
                return Ok(ExitCode::from(2));
            }
        },
        ConfigAction::Init {
            provider: Some(name),
        } => {
            config::write_profile(&file, name, None)?;
            out!("{}: default_provider = {name:?}", file.display())?;
        }
        ConfigAction::Init { provider: None } => match config::init_file(&file)
            .with_context(|| format!("cannot write {}", file.display()))?
        {
            Some(p) => out!("wrote {}", p.display())?,
            None => out!("{} exists already; left unchanged", file.display())?,
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn sessions_command(action: &SessionsAction, paths: &Paths, cli: &Cli) -> anyhow::Result<ExitCode> {
    let db = paths.database_file();
    let mut out = std::io::stdout().lock();
    let result = match action {
        SessionsAction::List { json, all } => {
            let here = workspace(cli.cd.as_deref()).map_err(anyhow::Error::msg)?;
            let here = here.display().to_string();
            session_cli::list(&db, (!all).then_some(here.as_str()), *json, &mut out)
        }
        SessionsAction::Show { id } => session_cli::show(&db, id, &mut out),
        SessionsAction::Export { id, format, output } => match output {
            Some(file) => {
                let mut f = std::fs::File::create(file)
                    .with_context(|| format!("cannot create {}", file.display()))?;
                session_cli::export(&db, id, *format, &mut f)
                    .and_then(|()| Ok(writeln!(out, "wrote {}", file.display())?))
            }
            None => session_cli::export(&db, id, *format, &mut out),
        },
        SessionsAction::Import { file } => session_cli::import(&db, file, &mut out),
        SessionsAction::Rm { id } => session_cli::remove(&db, id, &mut out),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if caused_by_broken_pipe(&e) => Ok(ExitCode::from(EXIT_OUTPUT_CLOSED)),
        Err(e) => {
            drop(out);
            let _ = writeln!(std::io::stderr(), "pincer: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

fn memory_command(
    action: &pincer::memory_cli::MemoryCommand,
    paths: &Paths,
    cli: &Cli,
) -> anyhow::Result<ExitCode> {
    let here = workspace(cli.cd.as_deref()).map_err(anyhow::Error::msg)?;
    let config = config::Config::load(&paths.config_file())?;
    let dirs = pincer::memory::MemoryDirs::new(paths, &here);
    let mut out = std::io::stdout().lock();
    match pincer::memory_cli::run(
        action,
        &paths.database_file(),
        dirs,
        config.memory,
        &mut out,
    ) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(pincer::memory_cli::MemoryCliError::Io(e))
            if e.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            Ok(ExitCode::from(EXIT_OUTPUT_CLOSED))
        }
        Err(e) => {
            drop(out);
            let _ = writeln!(std::io::stderr(), "pincer: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

fn skills_command(action: &SkillsAction, paths: &Paths, cli: &Cli) -> anyhow::Result<ExitCode> {
    let here = workspace(cli.cd.as_deref()).map_err(anyhow::Error::msg)?;
    let config = match config::Config::load(&paths.config_file()) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "{e}\n(using the default settings for skills)"
            );
            config::Config::default()
        }
    };
    let trusted = config
        .trusted_projects
        .iter()
        .any(|t| std::fs::canonicalize(t).is_ok_and(|t| t == here));
    let roots = pincer::skills::SkillRoots::standard(
        paths,
        trusted.then_some(here),
        config.skills.include_claude,
    );
    let mut out = std::io::stdout().lock();
    let failed = |e: &dyn std::fmt::Display| {
        let _ = writeln!(std::io::stderr(), "pincer: {e}");
        Ok(ExitCode::from(2))
    };
    match action {
        SkillsAction::List { json } => skill_cli::list(&roots, *json, &mut out)?,
        SkillsAction::Validate { path } => {
            if !skill_cli::validate(path.as_deref(), &roots, &mut out)? {
                return Ok(ExitCode::from(1));
            }
        }
        SkillsAction::New { name } => {
            if let Err(e) = skill_cli::create(name, &roots, &mut out) {
                return failed(&e);
            }
        }
        SkillsAction::Install { src, yes } => {
            let mut input = std::io::stdin().lock();
            let temp = paths.cache_dir.join("tmp");
            match skill_cli::install(src, &roots, &temp, *yes, &mut input, &mut out) {
                Ok(true) => {}
                Ok(false) => return Ok(ExitCode::from(1)),
                Err(e) => return failed(&e),
            }
        }
        SkillsAction::Rm { name } => {
            if let Err(e) = skill_cli::rm(name, &roots, &mut out) {
                return failed(&e);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "tasks")]
fn task_command(action: &pincer::task_cli::TaskCommand, paths: Paths, cli: &Cli) -> u8 {
    use std::io::IsTerminal;
    let ctx = pincer::task_cli::TaskCli {
        paths,
        overrides: Overrides {
            provider: cli.provider.clone(),
            model: cli.model.clone(),
            base_url: cli.base_url.clone(),
        },
        mode: cli.mode,
        allow: cli.allow.clone(),
    };
    let tty = std::io::stdin().is_terminal();
    let mut input = std::io::stdin().lock();
    pincer::task_cli::run(action, &ctx, &mut std::io::stdout(), &mut input, tty)
}

fn secrets_command(action: &SecretsAction, paths: &Paths) -> anyhow::Result<ExitCode> {
    use pincer::secrets_cli::{Action, run};
    let action = match action {
        SecretsAction::Set { name } => Action::Set(name.clone()),
        SecretsAction::Get { name } => Action::Get(name.clone()),
        SecretsAction::List => Action::List,
        SecretsAction::Rm { name } => Action::Rm(name.clone()),
    };
    match run(&action, &paths.config_dir, &mut std::io::stdout()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("pincer: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// `pincer completions SHELL`: generated from the same definition the parser uses.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pincer", &mut buf);
    std::io::stdout().write_all(&buf)?;
    Ok(ExitCode::SUCCESS)
}

/// `pincer man`: the man page (name, synopsis, options, subcommands, version).
fn man_page() -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    std::io::stdout().write_all(&buf)?;
    Ok(ExitCode::SUCCESS)
}

fn mcp_command(action: &McpAction, paths: Paths, cli: &Cli) -> anyhow::Result<ExitCode> {
    use pincer::mcp_cli::{self, AddTarget};
    // Not locked: `mcp serve` writes stdout from tokio's blocking pool, and a lock held on
    // this thread would block every reply forever.
    let mut out = std::io::stdout();
    let config_path = paths.config_file();
    match action {
        McpAction::Add { name, url, command } => {
            let target = match url {
                Some(u) => AddTarget::Url(u.clone()),
                None => AddTarget::Command(command.clone()),
            };
            mcp_cli::add(&config_path, name, &target, &mut out)?;
            return Ok(ExitCode::SUCCESS);
        }
        McpAction::Rm { name } => {
            mcp_cli::rm(&config_path, name, &mut out)?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let config = pincer::config::Config::load(&config_path)?;
    let workspace = workspace(cli.cd.as_deref()).map_err(anyhow::Error::msg)?;
    let project =
        pincer::config::Config::load_project_mcp(&workspace.join(".pincer").join("config.toml"))?;
    let mut servers = config.mcp_servers.clone();
    servers.extend(project);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match action {
        McpAction::List => mcp_cli::list(&servers, &mut out)?,
        McpAction::Test { name } => {
            let Some(server) = servers.iter().find(|s| &s.name == name) else {
                anyhow::bail!(pincer::mcp_cli::McpCliError::Missing(name.clone()));
            };
            if let Err(e) = pincer::logging::init(&paths.log_file()) {
                let _ = writeln!(std::io::stderr(), "pincer: {e} (continuing without logs)");
            }
            runtime.block_on(mcp_cli::test(server, &workspace, &mut out))?;
        }
        #[cfg(feature = "mcp-server")]
        McpAction::Serve => {
            let _ = pincer::logging::init(&paths.log_file());
            let startup = Startup::load(paths, &Overrides::default(), real_env());
            let launch = Launch {
                workspace,
                resume: Resume::New,
                pick_session: None,
                interactive: false,
                mode: cli.mode,
                allow: cli.allow.clone(),
            };
            let settings = startup.into_settings(launch);
            let tools = settings.config.mcp_serve_tools.clone();
            let server = pincer::mcp::server::PincerServer::new(&settings, &tools);
            runtime
                .block_on(server.serve_stdio())
                .map_err(anyhow::Error::msg)?;
        }
        McpAction::Add { .. } | McpAction::Rm { .. } => {}
    }
    Ok(ExitCode::SUCCESS)
}
