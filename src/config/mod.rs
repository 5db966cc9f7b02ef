//! `config.toml`: provider profiles, theme, network limits. Errors carry file:line:column and a fix.

mod context;
mod mcp;
mod memory;
mod pipeline;
mod profile_write;
mod ranges;
mod resolve;
mod routing;
mod show;
mod skills;
mod tasks;
mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::protocol::{ApprovalMode, ProviderKind};

pub use context::{ContextConfig, context_window};
pub use mcp::{McpConfig, McpServerConfig, McpTransport};
pub use memory::{EmbeddingsConfig, MemoryConfig};
pub use pipeline::{InstructionsConfig, PipelineConfig};
pub use profile_write::{INIT_PROVIDERS, write_profile};
pub use resolve::{Overrides, ResolveError, ResolvedProvider, is_local_url, resolve_provider};
pub use routing::{BreakerConfig, CacheConfig, ChainConfig, RoutingConfig};
pub use skills::SkillsConfig;
pub use tasks::TasksConfig;
pub use template::TEMPLATE;

/// The whole configuration after loading; defaults fill anything the file leaves out.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub default_provider: Option<String>,
    pub theme: String,
    pub system_prompt: Option<String>,
    /// Built-in profiles merged with the file's `[providers.NAME]` tables.
    pub providers: BTreeMap<String, Profile>,
    pub network: NetworkConfig,
    /// How tool calls are gated when no rule decides.
    pub mode: ApprovalMode,
    pub permissions: Permissions,
    pub limits: Limits,
    pub context: ContextConfig,
    pub skills: SkillsConfig,
    /// `[tasks]`: automatic drift fixes, watched task files.
    pub tasks: TasksConfig,
    pub memory: MemoryConfig,
    pub pipeline: PipelineConfig,
    pub instructions: InstructionsConfig,
    /// Projects whose skills and rules the user chose not to load (asked once).
    pub untrusted_projects: Vec<String>,
    /// Project folders whose `.pincer/config.toml` allow rules are honoured.
    pub trusted_projects: Vec<String>,
    /// `[tools.shell] pass_env`: secret-looking variables the shell inherits anyway.
    pub shell_pass_env: Vec<String>,
    /// `[mcp]`: how MCP tools are offered.
    pub mcp: McpConfig,
    /// `[mcp_servers.NAME]` of the user's config.
    pub mcp_servers: Vec<McpServerConfig>,
    /// `[mcp_server] tools`: what `pincer mcp serve` offers.
    pub mcp_serve_tools: Vec<String>,
    /// `[routing]`, `[breaker]`, `[cache]` and each profile's `failover`.
    pub chain: ChainConfig,
}

/// `[permissions]`: rule texts such as `shell: git status*` (validated when loaded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    pub allow: Vec<String>,
    pub ask: Vec<String>,
    pub deny: Vec<String>,
}

/// `[limits]`: bounds of the agent loop and of tool output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Model rounds for one user message.
    pub max_rounds: u32,
    pub max_tool_calls_per_round: u32,
    pub max_consecutive_tool_errors: u32,
    pub shell_timeout_secs: u64,
    /// Tool output handed to the model, after compression.
    pub tool_output_max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rounds: 25,
            max_tool_calls_per_round: 16,
            max_consecutive_tool_errors: 4,
            shell_timeout_secs: 120,
            tool_output_max_bytes: 16 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub kind: ProviderKind,
    pub base_url: String,
    /// Empty: ask the server which models it has (local servers).
    pub model: String,
    /// Environment variable holding the API key; `None` for keyless local servers.
    pub api_key_env: Option<String>,
    pub max_tokens: u32,
    /// The model's context window in tokens; `None`: guessed (see `context::context_window`).
    pub context_window: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    pub connect_timeout_ms: u64,
    /// A stream that sends nothing for this long is treated as stalled.
    pub stream_idle_timeout_ms: u64,
    /// Attempts after the first one for 429, 5xx and connection errors.
    pub max_retries: u32,
    pub retry_base_delay_ms: u64,
    pub retry_max_delay_ms: u64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            connect_timeout_ms: 10_000,
            stream_idle_timeout_ms: 120_000,
            max_retries: 4,
            retry_base_delay_ms: 1_000,
            retry_max_delay_ms: 30_000,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_provider: None,
            theme: "dark".into(),
            system_prompt: None,
            providers: builtin_profiles(),
            network: NetworkConfig::default(),
            mode: ApprovalMode::default(),
            permissions: Permissions::default(),
            limits: Limits::default(),
            context: ContextConfig::default(),
            skills: SkillsConfig::default(),
            tasks: TasksConfig::default(),
            memory: MemoryConfig::default(),
            pipeline: PipelineConfig::default(),
            instructions: InstructionsConfig::default(),
            untrusted_projects: Vec::new(),
            trusted_projects: Vec::new(),
            shell_pass_env: Vec::new(),
            mcp: McpConfig::default(),
            mcp_servers: Vec::new(),
            mcp_serve_tools: mcp::DEFAULT_SERVE_TOOLS
                .iter()
                .map(|t| t.to_string())
                .collect(),
            chain: ChainConfig::default(),
        }
    }
}

/// Profiles that exist without any config file.
fn builtin_profiles() -> BTreeMap<String, Profile> {
    let p = |kind, base_url: &str, model: &str, key: Option<&str>| Profile {
        kind,
        base_url: base_url.into(),
        model: model.into(),
        api_key_env: key.map(Into::into),
        max_tokens: 4096,
        context_window: None,
    };
    BTreeMap::from([
        (
            "openai".into(),
            p(
                ProviderKind::Openai,
                "https://api.openai.com/v1",
                "gpt-4.1-mini",
                Some("OPENAI_API_KEY"),
            ),
        ),
        (
            "anthropic".into(),
            p(
                ProviderKind::Anthropic,
                "https://api.anthropic.com",
                "claude-sonnet-4-5",
                Some("ANTHROPIC_API_KEY"),
            ),
        ),
        (
            "ollama".into(),
            p(ProviderKind::Openai, "http://127.0.0.1:11434/v1", "", None),
        ),
        (
            "llamacpp".into(),
            p(ProviderKind::Openai, "http://127.0.0.1:8080/v1", "", None),
        ),
        (
            "lmstudio".into(),
            p(ProviderKind::Openai, "http://127.0.0.1:1234/v1", "", None),
        ),
        (
            "vllm".into(),
            p(ProviderKind::Openai, "http://127.0.0.1:8000/v1", "", None),
        ),
    ])
}

/// A config problem, located in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}\n  fix: {fix}")]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub fix: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    default_provider: Option<Spanned<String>>,
    theme: Option<String>,
    system_prompt: Option<String>,
    #[serde(default)]
    providers: BTreeMap<String, Spanned<FileProfile>>,
    #[serde(default)]
    network: FileNetwork,
    mode: Option<Spanned<String>>,
    #[serde(default)]
    permissions: FilePermissions,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    context: context::FileContext,
    #[serde(default)]
    skills: skills::FileSkills,
    #[serde(default)]
    tasks: tasks::FileTasks,
    #[serde(default)]
    memory: memory::FileMemory,
    #[serde(default)]
    pipeline: pipeline::FilePipeline,
    #[serde(default)]
    instructions: pipeline::FileInstructions,
    untrusted_projects: Option<Vec<String>>,
    trusted_projects: Option<Vec<String>>,
    #[serde(default)]
    tools: FileTools,
    #[serde(default)]
    mcp: mcp::FileMcp,
    #[serde(default)]
    mcp_servers: BTreeMap<String, Spanned<mcp::FileMcpServer>>,
    #[serde(default)]
    mcp_server: mcp::FileMcpServe,
    #[serde(default)]
    routing: routing::FileRouting,
    #[serde(default)]
    breaker: routing::FileBreaker,
    #[serde(default)]
    cache: routing::FileCache,
}

/// `[tools]`: per-tool settings.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileTools {
    #[serde(default)]
    shell: FileShellTool,
}

/// `[tools.shell]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileShellTool {
    #[serde(default)]
    pass_env: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FilePermissions {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    ask: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    max_rounds: Option<Spanned<u32>>,
    max_tool_calls_per_round: Option<Spanned<u32>>,
    max_consecutive_tool_errors: Option<Spanned<u32>>,
    shell_timeout_secs: Option<Spanned<u64>>,
    tool_output_max_bytes: Option<Spanned<usize>>,
}

/// `<project>/.pincer/config.toml`: only permissions.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    #[serde(default)]
    permissions: FilePermissions,
    #[serde(default)]
    mcp_servers: BTreeMap<String, Spanned<mcp::FileMcpServer>>,
}

/// Validate rule texts, locating the first bad one.
fn check_rules(
    lists: FilePermissions,
    at: &dyn Fn(usize, String, &str) -> ConfigError,
) -> Result<Permissions, ConfigError> {
    let check = |list: Vec<Spanned<String>>| -> Result<Vec<String>, ConfigError> {
        list.into_iter()
            .map(|r| {
                let span = r.span();
                let text = r.into_inner();
                crate::policy::Rule::parse(&text)
                    .and_then(|rule| crate::policy::check_known_tool(&rule).map(|()| rule))
                    .map(|rule| rule.text().to_string())
                    .map_err(|e| {
                        at(
                            span.start,
                            e.to_string(),
                            "write rules as \"TOOL\" or \"TOOL: PATTERN\", e.g. \"shell: git status*\", \"write_file: src/**\", \"web_fetch: domain:docs.rs\"",
                        )
                    })
            })
            .collect()
    };
    Ok(Permissions {
        allow: check(lists.allow)?,
        ask: check(lists.ask)?,
        deny: check(lists.deny)?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProfile {
    kind: Option<ProviderKind>,
    base_url: Option<Spanned<String>>,
    model: Option<String>,
    api_key_env: Option<String>,
    /// `"secret:NAME"`: the key is read from the encrypted secrets store.
    api_key: Option<Spanned<String>>,
    max_tokens: Option<Spanned<u32>>,
    context_window: Option<Spanned<u64>>,
    /// Profiles tried after a transient failure (`routing.rs`).
    failover: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileNetwork {
    connect_timeout_ms: Option<Spanned<u64>>,
    stream_idle_timeout_ms: Option<Spanned<u64>>,
    max_retries: Option<Spanned<u32>>,
    retry_base_delay_ms: Option<Spanned<u64>>,
    retry_max_delay_ms: Option<Spanned<u64>>,
}

/// A config file's text through [`crate::fsread`] (`None`: the file does not exist).
fn read_config_file(path: &Path) -> Result<Option<String>, ConfigError> {
    crate::fsread::read_text_if_exists(path, crate::fsread::CONFIG_MAX).map_err(|e| {
        let fix = match e {
            crate::fsread::ReadError::NotUtf8 { .. } => "save the file as UTF-8",
            crate::fsread::ReadError::TooLarge { .. } => {
                "a config file is a few kilobytes; remove what does not belong in it"
            }
            crate::fsread::ReadError::NotRegular { .. } => {
                "replace it with a regular file (`pincer config init` writes one)"
            }
            _ => "check the file's permissions",
        };
        ConfigError {
            path: path.display().to_string(),
            line: e.line(),
            column: e.column(),
            message: e.reason(),
            fix: fix.into(),
        }
    })
}

/// 1-based (line, column) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

impl Config {
    /// Read `path`. A missing file is not an error (defaults); anything malformed is, and so is
    /// a file that is not a regular file, is over [`crate::fsread::CONFIG_MAX`] or not UTF-8.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match read_config_file(path)? {
            Some(text) => Config::parse(&text, path),
            None => Ok(Config::default()),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let at = |offset: usize, message: String, fix: &str| {
            let (line, column) = line_col(text, offset);
            ConfigError {
                path: path.display().to_string(),
                line,
                column,
                message,
                fix: fix.to_string(),
            }
        };
        let file: FileConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let message = e.message().trim().to_string();
            let fix = if message.contains("unknown field") {
                "remove the key or correct its spelling (see `pincer config init` for every key)"
            } else if message.contains("unknown variant") {
                "use kind = \"openai\" (any OpenAI-compatible server) or kind = \"anthropic\""
            } else {
                "correct the TOML syntax at this place"
            };
            at(offset, message, fix)
        })?;

        let mut config = Config::default();
        if let Some(theme) = file.theme {
            config.theme = theme;
        }
        config.system_prompt = file.system_prompt;
        let mut chain = routing::FileChain {
            routing: file.routing,
            breaker: file.breaker,
            cache: file.cache,
            failover: Vec::new(),
        };
        for (name, spanned) in file.providers {
            let span = spanned.span();
            let mut fp = spanned.into_inner();
            if let Some(list) = fp.failover.take() {
                chain.failover.push((name.clone(), list));
            }
            let base = config.providers.get(&name).cloned();
            let kind = match (fp.kind, &base) {
                (Some(k), _) => k,
                (None, Some(b)) => b.kind,
                (None, None) => {
                    return Err(at(
                        span.start,
                        format!("provider `{name}` has no `kind`"),
                        "add kind = \"openai\" or kind = \"anthropic\"",
                    ));
                }
            };
            let base_url = match (fp.base_url, &base) {
                (Some(url), _) => {
                    let value = url.get_ref().trim_end_matches('/').to_string();
                    if !(value.starts_with("http://") || value.starts_with("https://")) {
                        return Err(at(
                            url.span().start,
                            format!("base_url `{value}` is not an http(s) URL"),
                            "write it like \"http://127.0.0.1:8080/v1\"",
                        ));
                    }
                    value
                }
                (None, Some(b)) => b.base_url.clone(),
                (None, None) => {
                    return Err(at(
                        span.start,
                        format!("provider `{name}` has no `base_url`"),
                        "add base_url = \"http://HOST:PORT/v1\" (OpenAI-compatible) or \"https://api.anthropic.com\"",
                    ));
                }
            };
            let max_tokens = ranges::in_range(
                fp.max_tokens,
                base.as_ref().map(|b| b.max_tokens).unwrap_or(4096),
                "max_tokens",
                ranges::MAX_TOKENS,
                &at,
            )?;
            let context_window = match fp.context_window {
                Some(w) => Some(ranges::in_range(
                    Some(w),
                    0,
                    "context_window",
                    ranges::CONTEXT_WINDOW,
                    &at,
                )?),
                None => base.as_ref().and_then(|b| b.context_window),
            };
            let profile = Profile {
                kind,
                base_url,
                model: fp
                    .model
                    .or_else(|| base.as_ref().map(|b| b.model.clone()))
                    .unwrap_or_default(),
                api_key_env: match (fp.api_key, fp.api_key_env) {
                    // The secret reference travels in api_key_env; resolve.rs reads the store.
                    (Some(key), _) => Some(crate::secrets::parse_reference(key.get_ref()).map_err(
                        |e| at(key.span().start, e, "write api_key = \"secret:NAME\" and store the key with `pincer secrets set NAME`"),
                    )?),
                    (None, Some(v)) if v.trim().is_empty() => None,
                    (None, Some(v)) => Some(v),
                    (None, None) => base.and_then(|b| b.api_key_env),
                },
                max_tokens,
                context_window,
            };
            config.providers.insert(name, profile);
        }
        if let Some(default) = file.default_provider {
            if !config.providers.contains_key(default.get_ref()) {
                return Err(at(
                    default.span().start,
                    format!(
                        "default_provider `{}` is not a known profile",
                        default.get_ref()
                    ),
                    &format!(
                        "use one of: {} — or add a [providers.{}] table",
                        config.profile_names().join(", "),
                        default.get_ref()
                    ),
                ));
            }
            config.default_provider = Some(default.into_inner());
        }
        if let Some(mode) = file.mode {
            config.mode = ApprovalMode::parse(mode.get_ref()).ok_or_else(|| {
                at(
                    mode.span().start,
                    format!("unknown mode `{}`", mode.get_ref()),
                    "use mode = \"plan\", \"ask\", \"auto-edit\" or \"yolo\"",
                )
            })?;
        }
        config.permissions = check_rules(file.permissions, &at)?;
        config.limits = ranges::resolve_limits(file.limits, &at)?;
        config.context = file.context.resolve(&at)?;
        config.skills = file.skills.resolve(&at)?;
        config.tasks = file.tasks.resolve(&at)?;
        config.memory = file.memory.resolve(&at)?;
        config.pipeline = file.pipeline.resolve(&at)?;
        config.instructions = file.instructions.resolve();
        config.untrusted_projects = file.untrusted_projects.unwrap_or_default();
        config.trusted_projects = file.trusted_projects.unwrap_or_default();
        config.network = ranges::resolve_network(file.network, &at)?;
        config.shell_pass_env = file.tools.shell.pass_env;
        config.mcp = file.mcp.resolve(&at)?;
        config.mcp_servers = mcp::resolve(file.mcp_servers, "user config", &at)?;
        config.mcp_serve_tools = file.mcp_server.resolve(&at)?;
        config.chain = chain.resolve(&config.providers, &at)?;
        Ok(config)
    }

    /// Rules from a project's `.pincer/config.toml` (missing file: none).
    pub fn load_project(path: &Path) -> Result<Permissions, ConfigError> {
        Self::with_project_file(path, |file, at| check_rules(file.permissions, at))
    }

    /// `[mcp_servers.NAME]` of a project's `.pincer/config.toml` (missing file: none). Only
    /// started once the project is trusted.
    pub fn load_project_mcp(path: &Path) -> Result<Vec<McpServerConfig>, ConfigError> {
        Self::with_project_file(path, |file, at| {
            mcp::resolve(file.mcp_servers, "project config", at)
        })
    }

    fn with_project_file<T: Default>(
        path: &Path,
        take: impl FnOnce(
            ProjectFile,
            &dyn Fn(usize, String, &str) -> ConfigError,
        ) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let Some(text) = read_config_file(path)? else {
            return Ok(T::default());
        };
        let at = |offset: usize, message: String, fix: &str| {
            let (line, column) = line_col(&text, offset);
            ConfigError {
                path: path.display().to_string(),
                line,
                column,
                message,
                fix: fix.to_string(),
            }
        };
        let file: ProjectFile = toml::from_str(&text).map_err(|e| {
            at(
                e.span().map(|s| s.start).unwrap_or(0),
                e.message().trim().to_string(),
                "a project config holds [permissions] allow / ask / deny lists and \
                 [mcp_servers.NAME] tables",
            )
        })?;
        take(file, &at)
    }

    pub fn profile_names(&self) -> Vec<String> {
        self.providers.keys().cloned().collect()
    }

    /// `pincer config show`: valid TOML (keys never printed, only their variable names).
    pub fn describe(&self, path: &Path) -> String {
        show::describe(self, path)
    }
}

/// Write the commented template unless a config file exists already.
pub fn init_file(path: &Path) -> std::io::Result<Option<PathBuf>> {
    if path.exists() {
        return Ok(None);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, TEMPLATE)?;
    Ok(Some(path.to_path_buf()))
}

#[cfg(test)]
mod tests;
