//! The command line: what clap parses (`Cli` and its subcommands) and the fast path for a bare
//! `pincer`.

use clap::{Parser, Subcommand};

use pincer::config;
use pincer::protocol::{ApprovalMode, ExportFormat};

/// A terminal-first AI assistant.
#[derive(Parser, Debug, Default)]
#[command(name = "pincer", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Answer one prompt without the TUI and exit ("-" reads the prompt from stdin).
    #[arg(short = 'p', long = "prompt", value_name = "TEXT")]
    pub(crate) prompt: Option<String>,
    /// With -p: print every protocol event as one JSON line.
    #[arg(long, requires = "prompt")]
    pub(crate) json: bool,
    /// Reopen the last session of the current directory.
    #[arg(short = 'c', long = "continue", conflicts_with = "resume")]
    pub(crate) continue_last: bool,
    /// Reopen a stored session by id, id prefix or text of its title; alone, pick from a list.
    #[arg(short = 'r', long, value_name = "ID|TEXT", num_args = 0..=1, default_missing_value = "")]
    pub(crate) resume: Option<String>,
    /// Provider profile to use (openai, anthropic, ollama, llamacpp, lmstudio, vllm, or one from config).
    #[arg(long, value_name = "NAME")]
    pub(crate) provider: Option<String>,
    /// Model id to use with the provider.
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub(crate) model: Option<String>,
    /// Base URL of the provider's API (e.g. http://127.0.0.1:8080/v1).
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Work in DIR (the workspace tools may touch) instead of the current directory.
    #[arg(long = "cd", value_name = "DIR")]
    pub(crate) cd: Option<std::path::PathBuf>,
    /// How tool calls are gated: plan, ask (default), auto-edit, yolo.
    #[arg(long, value_name = "MODE", value_parser = parse_mode)]
    pub(crate) mode: Option<ApprovalMode>,
    /// Allow calls matching RULE without asking, e.g. --allow "shell: cargo test*" (repeatable).
    #[arg(long = "allow", value_name = "RULE")]
    pub(crate) allow: Vec<String>,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

fn parse_mode(s: &str) -> Result<ApprovalMode, String> {
    ApprovalMode::parse(s)
        .ok_or_else(|| format!("unknown mode `{s}`: use plan, ask, auto-edit or yolo"))
}

#[derive(Subcommand, Debug)]
pub(crate) enum AuditAction {
    /// Check the audit log's hash chain: OK with a count (exit 0), or the first broken row (exit 1).
    Verify,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// List the audit log of tool calls (newest last); `pincer audit verify` checks its hash chain.
    Audit {
        #[command(subcommand)]
        action: Option<AuditAction>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// How many entries (default 50).
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show or create the configuration file.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// List, show, export, import or delete stored sessions.
    Sessions {
        #[command(subcommand)]
        action: SessionsAction,
    },
    /// Keep provider keys in the encrypted secrets store (`api_key = "secret:NAME"`).
    Secrets {
        #[command(subcommand)]
        action: SecretsAction,
    },
    /// List, check, create, install or remove skills (folders with a SKILL.md).
    Skills {
        #[command(subcommand)]
        action: SkillsAction,
    },
    /// MCP servers: add, list, remove and test the ones pincer connects to; serve pincer's
    /// own tools to another MCP client.
    Mcp {
        #[command(subcommand)]
        action: McpAction,
    },
    /// Search, list, show, forget, pin, reindex, export or import long-term memory.
    Memory {
        #[command(subcommand)]
        action: pincer::memory_cli::MemoryCommand,
    },
    /// Declarative tasks: validate, plan, apply, status, drift or destroy a `.cw` file.
    #[cfg(feature = "tasks")]
    Task {
        #[command(subcommand)]
        action: pincer::task_cli::TaskCommand,
    },
    /// Run as a service: HTTP API, live events and a web page (loopback only unless --bind).
    #[cfg(feature = "serve")]
    Serve {
        /// Where to listen; anything but loopback is reachable from the network without TLS.
        #[arg(long, value_name = "ADDR:PORT", default_value = pincer::serve_cli::DEFAULT_BIND)]
        bind: std::net::SocketAddr,
        /// Replace the stored token with a new one (URLs printed before stop working).
        #[arg(long)]
        new_token: bool,
        /// Messages accepted at once before the rate applies (default 10).
        #[arg(long, value_name = "N", default_value_t = 10)]
        message_burst: u32,
        /// Messages accepted per minute after the burst (default 30).
        #[arg(long, value_name = "N", default_value_t = 30)]
        messages_per_minute: u32,
    },
    /// Print a shell completion script: `pincer completions bash > ~/.local/share/bash-completion/completions/pincer`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `pincer man > ~/.local/share/man/man1/pincer.1`.
    Man,
    /// Show what pincer would send for MESSAGE and why — task spec, decision trace, policy,
    /// prompt segments, tools — without calling any model.
    Explain {
        message: String,
        /// The diagnostics as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum McpAction {
    /// Add a server: `pincer mcp add NAME -- COMMAND ARGS…` (stdio) or `--url URL` (HTTP).
    Add {
        name: String,
        /// A streamable HTTP endpoint instead of a command.
        #[arg(long, conflicts_with = "command")]
        url: Option<String>,
        /// The command and its arguments (after `--`).
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// The configured servers (user config and this project's), without connecting.
    List,
    /// Remove a server from the user config.
    Rm { name: String },
    /// Connect to one server, list its tools with their schema sizes, and exit.
    Test { name: String },
    /// Speak MCP on stdin/stdout, offering pincer's tools (`[mcp_server] tools`; read-only by
    /// default) under the same rules as a headless run.
    #[cfg(feature = "mcp-server")]
    Serve,
}

#[derive(Subcommand, Debug)]
pub(crate) enum SecretsAction {
    /// Store a secret; the value is read from standard input (not echoed on a terminal).
    Set { name: String },
    /// Print a secret's value.
    Get { name: String },
    /// The names of the stored secrets.
    List,
    /// Remove a secret.
    Rm { name: String },
}

#[derive(Subcommand, Debug)]
pub(crate) enum SkillsAction {
    /// Every skill found, with its source, trust and status.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check SKILL.md files (a file, a skill folder, or a folder of skills; default: all);
    /// exits 1 when one is invalid.
    Validate { path: Option<std::path::PathBuf> },
    /// Create a skill from a template in your skills folder.
    New { name: String },
    /// Install a skill from a folder or a git URL as restricted (scanned first, asks).
    Install {
        src: String,
        /// Do not ask.
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Remove a user or installed skill.
    Rm { name: String },
}

#[derive(Subcommand, Debug)]
pub(crate) enum SessionsAction {
    /// Sessions of the current directory, newest first.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Every directory, archived sessions included.
        #[arg(long)]
        all: bool,
    },
    /// Print a session as Markdown.
    Show {
        /// Id, id prefix, or text of the title.
        id: String,
    },
    /// Write a session to stdout (or a file).
    Export {
        id: String,
        #[arg(long, value_parser = parse_format, default_value = "md")]
        format: ExportFormat,
        /// Write here instead of stdout.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Add a session exported with `--format jsonl`.
    Import { file: std::path::PathBuf },
    /// Delete a session and its messages.
    Rm { id: String },
}

fn parse_format(s: &str) -> Result<ExportFormat, String> {
    match s {
        "md" | "markdown" => Ok(ExportFormat::Markdown),
        "jsonl" | "json" => Ok(ExportFormat::Jsonl),
        _ => Err(format!("unknown format `{s}`: use md or jsonl")),
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum ConfigAction {
    /// Print where config.toml lives (and the other directories).
    Path,
    /// Print the configuration in effect.
    Show,
    /// Write a commented config.toml if none exists; with --provider, make that profile the
    /// default (in a new or an existing file).
    Init {
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(config::INIT_PROVIDERS))]
        provider: Option<String>,
    },
}

/// The command line. A bare `pincer` (the common start) is every field's default: that skips
/// building clap's whole command tree, a fifth of the instructions before the first frame.
/// Debug builds check that clap would have said the same.
pub(crate) fn parse_args() -> Cli {
    if std::env::args_os().len() > 1 {
        return Cli::parse();
    }
    debug_assert_eq!(
        format!("{:?}", Cli::default()),
        format!("{:?}", Cli::parse_from(["pincer"])),
        "a bare `pincer` must parse to Cli::default(): a field gained a default value"
    );
    Cli::default()
}
