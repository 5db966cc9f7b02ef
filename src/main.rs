//! The binary edge: parse arguments, pick a front end, turn errors into exit codes.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use pincer::config::{self, Overrides};
use pincer::paths::Paths;
use pincer::runtime::{Resume, real_env};
use pincer::startup::{Startup, current_dir};

/// A terminal-first AI assistant.
#[derive(Parser, Debug)]
#[command(name = "pincer", version, about, long_about = None)]
struct Cli {
    /// Answer one prompt without the TUI and exit ("-" reads the prompt from stdin).
    #[arg(short = 'p', long = "prompt", value_name = "TEXT")]
    prompt: Option<String>,
    /// With -p: print every protocol event as one JSON line.
    #[arg(long, requires = "prompt")]
    json: bool,
    /// Reopen the last session of the current directory.
    #[arg(short = 'c', long = "continue")]
    continue_last: bool,
    /// Provider profile to use (openai, anthropic, ollama, llamacpp, lmstudio, vllm, or one from config).
    #[arg(long, value_name = "NAME")]
    provider: Option<String>,
    /// Model id to use with the provider.
    #[arg(short = 'm', long, value_name = "MODEL")]
    model: Option<String>,
    /// Base URL of the provider's API (e.g. http://127.0.0.1:8080/v1).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show or create the configuration file.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigAction {
    /// Print where config.toml lives (and the other directories).
    Path,
    /// Print the configuration in effect.
    Show,
    /// Write a commented config.toml if none exists.
    Init,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pincer: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env()?;
    if let Some(Command::Config { action }) = &cli.command {
        return config_command(action, &paths);
    }
    if let Err(e) = pincer::logging::init(&paths.log_file())
        && cli.prompt.is_some()
    {
        eprintln!("pincer: {e} (continuing without logs)");
    }
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "start");
    let overrides = Overrides {
        provider: cli.provider.clone(),
        model: cli.model.clone(),
        base_url: cli.base_url.clone(),
    };
    let resume = if cli.continue_last {
        Resume::ContinueLast
    } else {
        Resume::New
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;

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
        let startup = Startup::load(paths, &overrides, real_env());
        if let Some(e) = &startup.config_error {
            anyhow::bail!("{e}");
        }
        let settings = startup.into_settings(current_dir(), resume, false);
        let code = runtime.block_on(pincer::headless::run(settings, prompt, cli.json));
        return Ok(ExitCode::from(code.clamp(0, 255) as u8));
    }

    let startup = Startup::load(paths, &overrides, real_env());
    runtime.block_on(pincer::tui::run(startup, current_dir(), resume))?;
    Ok(ExitCode::SUCCESS)
}

fn config_command(action: &ConfigAction, paths: &Paths) -> anyhow::Result<ExitCode> {
    let file = paths.config_file();
    match action {
        ConfigAction::Path => {
            println!("{}", file.display());
            println!("# data:  {}", paths.data_dir.display());
            println!("# logs:  {}", paths.log_file().display());
            println!("# cache: {}", paths.cache_dir.display());
        }
        ConfigAction::Show => match config::Config::load(&file) {
            Ok(c) => {
                if !file.exists() {
                    println!(
                        "# no config file yet: these are the defaults (`pincer config init` writes one)"
                    );
                }
                print!("{}", c.describe(&file));
            }
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::from(2));
            }
        },
        ConfigAction::Init => match config::init_file(&file)
            .with_context(|| format!("cannot write {}", file.display()))?
        {
            Some(p) => println!("wrote {}", p.display()),
            None => println!("{} exists already; left unchanged", file.display()),
        },
    }
    Ok(ExitCode::SUCCESS)
}
