//! One connection to one MCP server (rmcp): start it (a child process with its stderr sent to
//! the log, never the screen, or streamable HTTP), list its tools, call them with a timeout,
//! and stop it (the transport closed, then SIGTERM, then SIGKILL to its process group).

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, ClientConfig, Implementation, Tool};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::{McpServerConfig, McpTransport};

/// Lines of a server's stderr kept for the one-line failure message.
const STDERR_TAIL: usize = 5;

/// Why a server could not be used. Each message is one line that says what to do.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum McpError {
    #[error("command `{command}` not found — install it or fix [mcp_servers.{server}] command")]
    CommandNotFound { server: String, command: String },
    #[error("could not start `{command}`: {reason} — check [mcp_servers.{server}]")]
    Spawn {
        server: String,
        command: String,
        reason: String,
    },
    #[error(
        "no answer within {secs} s — raise [mcp_servers.{server}] startup_timeout if it is slow to start{tail}"
    )]
    StartTimeout {
        server: String,
        secs: u64,
        tail: String,
    },
    #[error("handshake failed: {reason}{tail}")]
    Handshake { reason: String, tail: String },
    #[error("listing tools failed: {0}")]
    ListTools(String),
    #[error("{tool} took longer than {secs} s (tool_timeout) and was abandoned")]
    CallTimeout { tool: String, secs: u64 },
    #[error("{tool} failed: {reason}")]
    Call { tool: String, reason: String },
    #[error(
        "bearer_token_env names {var}, which is not set — export {var} before starting pincer, or remove bearer_token_env from [mcp_servers.{server}]"
    )]
    MissingToken { server: String, var: String },
    #[error("bad header {name:?}: {reason} — fix [mcp_servers.{server}] headers")]
    Header {
        server: String,
        name: String,
        reason: String,
    },
}

/// What a server tells pincer between calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSignal {
    /// `notifications/tools/list_changed`: list again before the next request.
    ToolsChanged { server: String },
}

/// The client side's handler: passes notifications on, answers nothing else.
struct Notifier {
    server: String,
    signals: UnboundedSender<ServerSignal>,
}

impl ClientHandler for Notifier {
    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        info.client_info = Implementation::new("pincer", env!("CARGO_PKG_VERSION"));
        info
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.signals.send(ServerSignal::ToolsChanged {
            server: self.server.clone(),
        });
    }
}

/// The last lines a server wrote to stderr (all of them went to the log).
#[derive(Clone, Default)]
struct StderrTail(Arc<Mutex<VecDeque<String>>>);

impl StderrTail {
    fn push(&self, line: String) {
        if let Ok(mut tail) = self.0.lock() {
            if tail.len() == STDERR_TAIL {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }

    /// "; stderr: …" with the last line, or nothing.
    fn suffix(&self) -> String {
        self.0
            .lock()
            .ok()
            .and_then(|t| t.back().cloned())
            .map(|l| {
                let clean = crate::text::sanitize(&l).into_owned();
                let cut: String = clean.chars().take(160).collect();
                format!("; server said: {cut}")
            })
            .unwrap_or_default()
    }
}

/// A connected server.
pub struct Connection {
    pub server: String,
    service: RunningService<RoleClient, Notifier>,
    /// The process group of a stdio server.
    pgid: Option<i32>,
    tool_timeout: Duration,
}

impl Connection {
    /// Start or reach `cfg`'s server and complete the MCP handshake within its startup timeout
    /// (a bearer token is read from the process environment).
    pub async fn connect(
        cfg: &McpServerConfig,
        workspace: &Path,
        signals: UnboundedSender<ServerSignal>,
    ) -> Result<Connection, McpError> {
        Self::connect_with_env(cfg, workspace, signals, &|name| std::env::var(name).ok()).await
    }

    /// As [`Connection::connect`], reading `bearer_token_env` through `env`.
    pub async fn connect_with_env(
        cfg: &McpServerConfig,
        workspace: &Path,
        signals: UnboundedSender<ServerSignal>,
        env: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    ) -> Result<Connection, McpError> {
        let notifier = Notifier {
            server: cfg.name.clone(),
            signals,
        };
        let tail = StderrTail::default();
        let secs = cfg.startup_timeout.as_secs();
        let (service, pgid) = match &cfg.transport {
            McpTransport::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                let (transport, pgid) =
                    spawn_stdio(cfg, command, args, env, cwd, workspace, &tail)?;
                let started = tokio::time::timeout(cfg.startup_timeout, notifier.serve(transport));
                let service = match started.await {
                    Err(_) => {
                        kill_group(pgid).await;
                        return Err(McpError::StartTimeout {
                            server: cfg.name.clone(),
                            secs,
                            tail: tail.suffix(),
                        });
                    }
                    Ok(Err(e)) => {
                        kill_group(pgid).await;
                        return Err(McpError::Handshake {
                            reason: e.to_string(),
                            tail: tail.suffix(),
                        });
                    }
                    Ok(Ok(service)) => service,
                };
                (service, pgid)
            }
            McpTransport::Http {
                url,
                bearer_token_env,
                headers,
            } => {
                let token = bearer_token(cfg, bearer_token_env.as_deref(), env)?;
                let transport = http_transport(cfg, url, token, headers)?;
                let started = tokio::time::timeout(cfg.startup_timeout, notifier.serve(transport));
                let service = match started.await {
                    Err(_) => {
                        return Err(McpError::StartTimeout {
                            server: cfg.name.clone(),
                            secs,
                            tail: String::new(),
                        });
                    }
                    Ok(Err(e)) => {
                        return Err(McpError::Handshake {
                            reason: e.to_string(),
                            tail: String::new(),
                        });
                    }
                    Ok(Ok(service)) => service,
                };
                (service, None)
            }
        };
        Ok(Connection {
            server: cfg.name.clone(),
            service,
            pgid,
            tool_timeout: cfg.tool_timeout,
        })
    }

    /// Every tool the server lists (all pages).
    pub async fn list_tools(&self) -> Result<Vec<Tool>, McpError> {
        self.service
            .peer()
            .list_all_tools()
            .await
            .map_err(|e| McpError::ListTools(e.to_string()))
    }

    /// Call one tool (the server's own name) with a JSON object of arguments.
    pub async fn call(
        &self,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<rmcp::model::CallToolResult, McpError> {
        let mut params = CallToolRequestParams::new(tool.to_string());
        params.arguments = Some(arguments);
        let call = self.service.peer().call_tool(params);
        match tokio::time::timeout(self.tool_timeout, call).await {
            Err(_) => Err(McpError::CallTimeout {
                tool: tool.to_string(),
                secs: self.tool_timeout.as_secs(),
            }),
            Ok(Err(e)) => Err(McpError::Call {
                tool: tool.to_string(),
                reason: e.to_string(),
            }),
            Ok(Ok(result)) => Ok(result),
        }
    }

    /// Whether the connection is gone (the server exited or the stream closed).
    pub fn is_closed(&self) -> bool {
        self.service.is_closed()
    }

    /// The server's process id (also its process group), for a stdio server.
    pub fn pid(&self) -> Option<i32> {
        self.pgid
    }

    /// Kill the server's process group (when the connection is still shared elsewhere).
    pub async fn kill(&self) {
        kill_group(self.pgid).await;
    }

    /// Stop the server: close the transport and give it a moment to exit, then SIGTERM and
    /// SIGKILL its process group so nothing it started is left behind.
    pub async fn shutdown(mut self) {
        let closed = tokio::time::timeout(Duration::from_secs(2), self.service.close()).await;
        if closed.is_err() {
            tracing::warn!(server = %self.server, "MCP server did not close in 2 s; killing it");
        }
        kill_group(self.pgid).await;
    }
}

/// SIGTERM, then SIGKILL, to a server's process group (both harmless once it is gone).
async fn kill_group(pgid: Option<i32>) {
    let Some(pgid) = pgid.filter(|p| *p > 1) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals the process group we created; no memory
    // is touched.
    unsafe {
        libc::kill(-pgid, libc::SIGTERM);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    // SAFETY: as above.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

fn spawn_stdio(
    cfg: &McpServerConfig,
    command: &str,
    args: &[String],
    env: &std::collections::BTreeMap<String, String>,
    cwd: &Option<String>,
    workspace: &Path,
    tail: &StderrTail,
) -> Result<(TokioChildProcess, Option<i32>), McpError> {
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(args)
        .envs(env)
        .current_dir(cwd.as_deref().map_or(workspace.to_path_buf(), |c| {
            let c = Path::new(c);
            if c.is_absolute() {
                c.to_path_buf()
            } else {
                workspace.join(c)
            }
        }))
        .process_group(0)
        .kill_on_drop(true);
    let spawned = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn();
    let (transport, stderr) = spawned.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            McpError::CommandNotFound {
                server: cfg.name.clone(),
                command: command.to_string(),
            }
        } else {
            McpError::Spawn {
                server: cfg.name.clone(),
                command: command.to_string(),
                reason: e.to_string(),
            }
        }
    })?;
    let pgid = transport.id().and_then(|p| i32::try_from(p).ok());
    if let Some(stderr) = stderr {
        let server = cfg.name.clone();
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(target: "pincer::mcp::stderr", server = %server, "{line}");
                tail.push(line);
            }
        });
    }
    Ok((transport, pgid))
}

/// The token `bearer_token_env` names; a variable that is unset (or empty) is an error naming
/// it, not a connection without credentials. The value itself is never put into a message.
fn bearer_token(
    cfg: &McpServerConfig,
    var: Option<&str>,
    env: &(dyn Fn(&str) -> Option<String> + Send + Sync),
) -> Result<Option<String>, McpError> {
    let Some(var) = var else { return Ok(None) };
    match env(var) {
        Some(token) if !token.trim().is_empty() => Ok(Some(token.trim().to_string())),
        _ => Err(McpError::MissingToken {
            server: cfg.name.clone(),
            var: var.to_string(),
        }),
    }
}

fn http_transport(
    cfg: &McpServerConfig,
    url: &str,
    token: Option<String>,
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<StreamableHttpClientTransport<reqwest::Client>, McpError> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    // rmcp sends it as `Authorization: Bearer <token>`.
    config.auth_header = token;
    let mut custom = HashMap::new();
    for (name, value) in headers {
        let bad = |reason: String| McpError::Header {
            server: cfg.name.clone(),
            name: name.clone(),
            reason,
        };
        let n = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| bad(e.to_string()))?;
        let v = reqwest::header::HeaderValue::from_str(value).map_err(|e| bad(e.to_string()))?;
        custom.insert(n, v);
    }
    config.custom_headers = custom;
    let client = crate::tls::client_builder()
        .build()
        .map_err(|e| McpError::Handshake {
            reason: format!("cannot build the HTTP client: {e}"),
            tail: String::new(),
        })?;
    Ok(StreamableHttpClientTransport::with_client(client, config))
}
