//! `pincer mcp add|list|rm|test|serve`: MCP servers from the command line.

use std::io::Write;
use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::config::{McpServerConfig, McpTransport};
use crate::mcp::client::Connection;

#[derive(Debug, thiserror::Error)]
pub enum McpCliError {
    #[error("could not read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path} is not valid TOML ({reason}); fix it first (`pincer config show` says where)")]
    Parse { path: String, reason: String },
    #[error("could not write {path}: {reason}")]
    Write { path: String, reason: String },
    #[error(
        "[mcp_servers.{0}] already exists in {1}; `pincer mcp rm {0}` first, or pick another name"
    )]
    Exists(String, String),
    #[error("no MCP server named `{0}`; `pincer mcp list` shows the configured ones")]
    Missing(String),
    #[error(
        "server name `{0}` cannot be used: letters, digits, `-` and `_` (no `__`), at most 32 characters"
    )]
    BadName(String),
    #[error("{0}")]
    Connect(String),
    #[error("could not write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// How `add` reaches the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddTarget {
    Command(Vec<String>),
    Url(String),
}

fn load(path: &Path) -> Result<DocumentMut, McpCliError> {
    let text = match crate::fsread::read_text_if_exists(path, crate::fsread::CONFIG_MAX) {
        Ok(t) => t.unwrap_or_default(),
        Err(e) => {
            return Err(McpCliError::Read {
                path: path.display().to_string(),
                reason: e.reason(),
            });
        }
    };
    text.parse::<DocumentMut>().map_err(|e| McpCliError::Parse {
        path: path.display().to_string(),
        reason: e.message().to_string(),
    })
}

fn save(path: &Path, doc: &DocumentMut) -> Result<(), McpCliError> {
    let err = |e: std::io::Error| McpCliError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, doc.to_string()).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.contains("__")
}

/// Add `[mcp_servers.NAME]` to the config file (comments and layout kept).
pub fn add(
    config: &Path,
    name: &str,
    target: &AddTarget,
    out: &mut dyn Write,
) -> Result<(), McpCliError> {
    if !valid_name(name) {
        return Err(McpCliError::BadName(name.to_string()));
    }
    let mut doc = load(config)?;
    let servers = doc.entry("mcp_servers").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let Some(servers) = servers.as_table_mut() else {
        return Err(McpCliError::Parse {
            path: config.display().to_string(),
            reason: "mcp_servers is not a table".into(),
        });
    };
    if servers.contains_key(name) {
        return Err(McpCliError::Exists(
            name.to_string(),
            config.display().to_string(),
        ));
    }
    let mut table = Table::new();
    match target {
        AddTarget::Command(argv) => {
            let (command, args) = argv.split_first().ok_or_else(|| {
                McpCliError::Connect(
                    "give the command after `--`, e.g. pincer mcp add git -- uvx mcp-server-git"
                        .into(),
                )
            })?;
            table.insert("command", value(command.as_str()));
            if !args.is_empty() {
                let arr: Array = args.iter().map(String::as_str).collect();
                table.insert("args", value(arr));
            }
        }
        AddTarget::Url(url) => {
            table.insert("url", value(url.as_str()));
        }
    }
    servers.insert(name, Item::Table(table));
    save(config, &doc)?;
    writeln!(
        out,
        "added [mcp_servers.{name}] to {}; `pincer mcp test {name}` connects and lists its tools",
        config.display()
    )?;
    Ok(())
}

/// Remove `[mcp_servers.NAME]`.
pub fn rm(config: &Path, name: &str, out: &mut dyn Write) -> Result<(), McpCliError> {
    let mut doc = load(config)?;
    let removed = doc
        .get_mut("mcp_servers")
        .and_then(Item::as_table_mut)
        .and_then(|t| t.remove(name));
    if removed.is_none() {
        return Err(McpCliError::Missing(name.to_string()));
    }
    save(config, &doc)?;
    writeln!(
        out,
        "removed [mcp_servers.{name}] from {}",
        config.display()
    )?;
    Ok(())
}

fn describe(s: &McpServerConfig) -> String {
    let how = match &s.transport {
        McpTransport::Stdio { command, args, .. } => {
            let mut line = command.clone();
            for a in args {
                line.push(' ');
                line.push_str(a);
            }
            line
        }
        McpTransport::Http { url, .. } => url.clone(),
    };
    let state = if s.enabled { "" } else { " (disabled)" };
    format!("{}{state}  {how}  [{}]", s.name, s.source)
}

/// Every configured server (not connected).
pub fn list(servers: &[McpServerConfig], out: &mut dyn Write) -> Result<(), McpCliError> {
    if servers.is_empty() {
        writeln!(
            out,
            "no MCP servers configured; add one with `pincer mcp add NAME -- COMMAND ARGS…` or `pincer mcp add NAME --url URL`"
        )?;
    }
    for s in servers {
        writeln!(out, "{}", describe(s))?;
    }
    Ok(())
}

/// Connect, list the tools with their schema sizes, disconnect.
pub async fn test(
    server: &McpServerConfig,
    workspace: &Path,
    out: &mut dyn Write,
) -> Result<(), McpCliError> {
    writeln!(out, "connecting to {} …", describe(server))?;
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let conn = Connection::connect(server, workspace, tx)
        .await
        .map_err(|e| McpCliError::Connect(format!("{}: {e}", server.name)))?;
    let tools = conn.list_tools().await;
    conn.shutdown().await;
    let tools = tools.map_err(|e| McpCliError::Connect(format!("{}: {e}", server.name)))?;
    let mut total = 0usize;
    for t in &tools {
        let schema = serde_json::to_string(&*t.input_schema).map_or(0, |s| s.len());
        let desc = t.description.as_deref().map_or(0, str::len);
        let tokens = (schema + desc + t.name.len()).div_ceil(4);
        total += tokens;
        let offered = if server.offers(&t.name) {
            ""
        } else {
            "  (not offered)"
        };
        writeln!(
            out,
            "  {:<40} ~{tokens:>5} tokens{offered}",
            crate::mcp::names::offered_name(&server.name, &t.name)
        )?;
    }
    writeln!(
        out,
        "{}: {} tools, ~{total} tokens of schemas in every request that offers them",
        server.name,
        tools.len()
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_keeps_comments_and_rm_removes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "# mine\nmode = \"ask\"\n").unwrap();
        let mut out = Vec::new();
        add(
            &path,
            "git",
            &AddTarget::Command(vec!["uvx".into(), "mcp-server-git".into()]),
            &mut out,
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine"), "{text}");
        let cfg = crate::config::Config::load(&path).unwrap();
        assert_eq!(cfg.mcp_servers.len(), 1);
        assert!(matches!(
            &cfg.mcp_servers[0].transport,
            McpTransport::Stdio { command, args, .. } if command == "uvx" && args == &["mcp-server-git"]
        ));
        let again = add(&path, "git", &AddTarget::Url("http://x".into()), &mut out);
        assert!(matches!(again, Err(McpCliError::Exists(..))));
        rm(&path, "git", &mut out).unwrap();
        assert!(
            crate::config::Config::load(&path)
                .unwrap()
                .mcp_servers
                .is_empty()
        );
        assert!(matches!(
            rm(&path, "git", &mut out),
            Err(McpCliError::Missing(_))
        ));
    }

    #[test]
    fn bad_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut out = Vec::new();
        for name in ["", "a b", "a__b", &"x".repeat(40)] {
            assert!(matches!(
                add(&path, name, &AddTarget::Url("http://x".into()), &mut out),
                Err(McpCliError::BadName(_))
            ));
        }
    }
}
