//! `[mcp_servers.NAME]`: MCP servers pincer connects to as a client — a command over stdio or a
//! URL over streamable HTTP — with which of their tools are offered and how long to wait.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use crate::protocol::ApprovalMode;

/// How pincer reaches one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpTransport {
    /// A child process speaking MCP on stdin/stdout (stderr goes to the log).
    Stdio {
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
        cwd: Option<String>,
    },
    /// Streamable HTTP.
    Http {
        url: String,
        /// Name of the environment variable holding a bearer token.
        bearer_token_env: Option<String>,
        headers: BTreeMap<String, String>,
    },
}

/// One configured server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServerConfig {
    pub name: String,
    pub transport: McpTransport,
    pub enabled: bool,
    /// When set, only these tools are offered.
    pub enabled_tools: Option<Vec<String>>,
    pub disabled_tools: Vec<String>,
    pub startup_timeout: Duration,
    pub tool_timeout: Duration,
    /// The approval mode for this server's tools (else the session's).
    pub mode: Option<ApprovalMode>,
    /// Believe the server's `readOnlyHint` annotations (a read-only tool then runs like
    /// `read_file`). Off by default: annotations are the server's claims.
    pub trust_annotations: bool,
    /// Where it was configured ("user config", "project config").
    pub source: String,
}

impl McpServerConfig {
    /// Whether `tool` (the server's own name) is offered.
    pub fn offers(&self, tool: &str) -> bool {
        let listed = |list: &[String]| list.iter().any(|t| t == tool);
        self.enabled_tools.as_deref().is_none_or(listed) && !listed(&self.disabled_tools)
    }
}

pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileMcpServer {
    command: Option<Spanned<String>>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    cwd: Option<String>,
    url: Option<Spanned<String>>,
    bearer_token_env: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    enabled: Option<bool>,
    enabled_tools: Option<Vec<String>>,
    #[serde(default)]
    disabled_tools: Vec<String>,
    startup_timeout: Option<Spanned<u64>>,
    tool_timeout: Option<Spanned<u64>>,
    mode: Option<Spanned<String>>,
    #[serde(default)]
    trust_annotations: bool,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.contains("__")
        // `a_` would make `mcp__a___t`, which a rule `mcp__a__*` for server `a` also names.
        && !name.ends_with('_')
}

fn seconds(
    value: Option<Spanned<u64>>,
    key: &str,
    default: Duration,
    at: &dyn Fn(usize, String, &str) -> ConfigError,
) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if (1..=3600).contains(v.get_ref()) => Ok(Duration::from_secs(v.into_inner())),
        Some(v) => Err(at(
            v.span().start,
            format!("{key} = {} is out of range", v.get_ref()),
            &format!("use seconds between 1 and 3600, e.g. {key} = 30"),
        )),
    }
}

/// Check every `[mcp_servers.NAME]` table; `span_of(name)` gives the table's place.
pub(super) fn resolve(
    servers: BTreeMap<String, Spanned<FileMcpServer>>,
    source: &str,
    at: &dyn Fn(usize, String, &str) -> ConfigError,
) -> Result<Vec<McpServerConfig>, ConfigError> {
    let mut out = Vec::new();
    for (name, table) in servers {
        let start = table.span().start;
        let f = table.into_inner();
        if !valid_name(&name) {
            return Err(at(
                start,
                format!("MCP server name `{name}` cannot be used in tool names"),
                "use letters, digits, `-` and `_` (no `__`, no `_` at the end), at most 32 characters, e.g. [mcp_servers.git]",
            ));
        }
        let transport = match (f.command, f.url) {
            (Some(cmd), None) if !cmd.get_ref().trim().is_empty() => McpTransport::Stdio {
                command: cmd.into_inner(),
                args: f.args,
                env: f.env,
                cwd: f.cwd,
            },
            (None, Some(url)) => {
                let u = url.get_ref();
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err(at(
                        url.span().start,
                        format!("url `{u}` is not an http(s) URL"),
                        "use the server's streamable HTTP endpoint, e.g. url = \"http://127.0.0.1:8000/mcp\"",
                    ));
                }
                McpTransport::Http {
                    url: url.into_inner(),
                    bearer_token_env: f.bearer_token_env,
                    headers: f.headers,
                }
            }
            (Some(_), Some(url)) => {
                return Err(at(
                    url.span().start,
                    format!("[mcp_servers.{name}] has both command and url"),
                    "keep command (a local server over stdio) or url (streamable HTTP), not both",
                ));
            }
            _ => {
                return Err(at(
                    start,
                    format!("[mcp_servers.{name}] says neither how to start nor where to reach it"),
                    "add command = \"…\" (with args = […]) for a local server, or url = \"http://…\"",
                ));
            }
        };
        let mode = match f.mode {
            None => None,
            Some(m) => Some(ApprovalMode::parse(m.get_ref()).ok_or_else(|| {
                at(
                    m.span().start,
                    format!("unknown mode `{}`", m.get_ref()),
                    "use mode = \"plan\", \"ask\", \"auto-edit\" or \"yolo\"",
                )
            })?),
        };
        out.push(McpServerConfig {
            transport,
            enabled: f.enabled.unwrap_or(true),
            enabled_tools: f.enabled_tools,
            disabled_tools: f.disabled_tools,
            startup_timeout: seconds(
                f.startup_timeout,
                "startup_timeout",
                DEFAULT_STARTUP_TIMEOUT,
                at,
            )?,
            tool_timeout: seconds(f.tool_timeout, "tool_timeout", DEFAULT_TOOL_TIMEOUT, at)?,
            mode,
            trust_annotations: f.trust_annotations,
            source: source.to_string(),
            name,
        });
    }
    Ok(out)
}

/// `[mcp]`: how MCP tools are offered to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpConfig {
    /// The share of the model's context window (percent) every MCP tool schema together may
    /// take; past it the tools are offered as `mcp_search` + `mcp_call` instead.
    pub schema_budget_percent: u8,
}

impl Default for McpConfig {
    fn default() -> Self {
        McpConfig {
            schema_budget_percent: 10,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileMcp {
    schema_budget_percent: Option<Spanned<i64>>,
}

impl FileMcp {
    /// A percentage out of 1–50 is an error at its place in the file.
    pub(super) fn resolve(
        self,
        at: &dyn Fn(usize, String, &str) -> ConfigError,
    ) -> Result<McpConfig, ConfigError> {
        let d = McpConfig::default();
        let Some(v) = self.schema_budget_percent else {
            return Ok(d);
        };
        match u8::try_from(*v.get_ref()) {
            Ok(p) if (1..=50).contains(&p) => Ok(McpConfig {
                schema_budget_percent: p,
            }),
            _ => Err(at(
                v.span().start,
                format!("schema_budget_percent = {} is out of range", v.get_ref()),
                "use a percentage of the context window between 1 and 50, e.g. schema_budget_percent = 10",
            )),
        }
    }
}

/// `[mcp_server]`: what `pincer mcp serve` offers another MCP client.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileMcpServe {
    tools: Option<Vec<Spanned<String>>>,
}

/// The tools `pincer mcp serve` offers when `[mcp_server] tools` is not set: read-only ones.
pub const DEFAULT_SERVE_TOOLS: &[&str] = &["read_file", "list_dir", "glob", "grep"];

impl FileMcpServe {
    pub(super) fn resolve(
        self,
        at: &dyn Fn(usize, String, &str) -> ConfigError,
    ) -> Result<Vec<String>, ConfigError> {
        let Some(tools) = self.tools else {
            return Ok(DEFAULT_SERVE_TOOLS.iter().map(|t| t.to_string()).collect());
        };
        let known = crate::policy::KNOWN_TOOLS;
        let mut out = Vec::new();
        for t in tools {
            if !known.contains(&t.get_ref().as_str()) {
                return Err(at(
                    t.span().start,
                    format!("`{}` is not one of pincer's tools", t.get_ref()),
                    &format!("use some of: {}", known.join(", ")),
                ));
            }
            out.push(t.into_inner());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{Config, TEMPLATE};

    fn parse(text: &str) -> Result<Config, super::ConfigError> {
        Config::parse(text, Path::new("/c/config.toml"))
    }

    #[test]
    fn schema_budget_percent_is_read_checked_where_it_is_and_shown() {
        assert_eq!(parse("").unwrap().mcp.schema_budget_percent, 10);
        let c = parse("[mcp]\nschema_budget_percent = 25\n").unwrap();
        assert_eq!(c.mcp.schema_budget_percent, 25);
        let shown = c.describe(Path::new("/c/config.toml"));
        assert!(
            shown.contains("[mcp]\nschema_budget_percent = 25\n"),
            "{shown}"
        );
        for bad in ["0", "51", "-3", "300", "100000000000"] {
            let e = parse(&format!(
                "theme = \"dark\"\n[mcp]\nschema_budget_percent = {bad}\n"
            ))
            .unwrap_err();
            assert_eq!(
                (e.line, e.path.as_str()),
                (3, "/c/config.toml"),
                "{bad}: {e}"
            );
            assert!(e.message.contains(bad), "{bad}: {e}");
            assert!(e.fix.contains("between 1 and 50"), "{bad}: {e}");
        }
        let e = parse("[mcp]\nschema_budget = 10\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn the_templates_mcp_block_is_valid_when_uncommented() {
        let uncommented =
            TEMPLATE.replace("# schema_budget_percent = 10", "schema_budget_percent = 10");
        assert_ne!(uncommented, TEMPLATE);
        assert_eq!(parse(&uncommented).unwrap().mcp.schema_budget_percent, 10);
    }
}
