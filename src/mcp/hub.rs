//! Every configured server: connected in the background (never before the first frame), each
//! retried once when it fails, its tools named and offered while it is ready, re-listed when it
//! says its tools changed, and stopped on exit. Nothing here runs while idle: tasks wake only on
//! a connection finishing, a server notification, or a call.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rmcp::model::Tool;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::client::{Connection, McpError, ServerSignal};
use super::names::{self, Named};
use crate::config::McpServerConfig;

/// Pause before the one retry of a server that failed to start.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Where one server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerState {
    Connecting,
    Ready { tools: usize },
    Failed { reason: String },
    Disabled,
}

/// One server as the status line and `pincer mcp list` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    pub name: String,
    pub state: ServerState,
}

/// What the hub tells the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubUpdate {
    /// A server changed state (the whole list, in name order).
    Status(Vec<ServerStatus>),
    /// A tool was refused (a name collision), once per set of tools.
    Warning(String),
}

/// A tool as offered to the model.
#[derive(Debug, Clone)]
pub struct OfferedTool {
    pub name: String,
    pub server: String,
    pub tool: Tool,
    /// The server's annotations say read-only and the user trusts them for this server.
    pub read_only: bool,
}

struct Slot {
    cfg: McpServerConfig,
    state: ServerState,
    conn: Option<Arc<Connection>>,
    tools: Vec<Tool>,
}

#[derive(Default)]
struct Inner {
    slots: BTreeMap<String, Slot>,
    offered: BTreeMap<String, Named>,
    warned: Vec<String>,
}

/// The MCP servers of one runtime.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Mutex<Inner>>,
    workspace: PathBuf,
    updates: UnboundedSender<HubUpdate>,
    /// Where `bearer_token_env` is looked up (the process environment unless set).
    env: Option<crate::runtime::EnvLookup>,
}

impl Hub {
    /// Servers from the config (nothing starts until [`Hub::start`]).
    pub fn new(
        configs: Vec<McpServerConfig>,
        workspace: PathBuf,
        updates: UnboundedSender<HubUpdate>,
    ) -> Hub {
        let mut inner = Inner::default();
        for cfg in configs {
            let state = if cfg.enabled {
                ServerState::Connecting
            } else {
                ServerState::Disabled
            };
            inner.slots.insert(
                cfg.name.clone(),
                Slot {
                    cfg,
                    state,
                    conn: None,
                    tools: Vec::new(),
                },
            );
        }
        Hub {
            inner: Arc::new(Mutex::new(inner)),
            workspace,
            updates,
            env: None,
        }
    }

    /// Look `bearer_token_env` up through `env` (the runtime's view of the environment).
    pub fn with_env(mut self, env: crate::runtime::EnvLookup) -> Hub {
        self.env = Some(env);
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.lock().slots.is_empty()
    }

    /// Connect every enabled server in the background.
    pub fn start(&self) {
        let (signals_tx, signals_rx) = unbounded_channel();
        let enabled: Vec<McpServerConfig> = self
            .lock()
            .slots
            .values()
            .filter(|s| s.cfg.enabled)
            .map(|s| s.cfg.clone())
            .collect();
        if enabled.is_empty() {
            return;
        }
        self.publish();
        for cfg in enabled {
            let hub = self.clone();
            let signals = signals_tx.clone();
            tokio::spawn(async move { hub.connect_with_retry(cfg, signals).await });
        }
        let hub = self.clone();
        tokio::spawn(async move { hub.listen(signals_rx).await });
    }

    async fn connect_with_retry(
        &self,
        cfg: McpServerConfig,
        signals: UnboundedSender<ServerSignal>,
    ) {
        let mut last = None;
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(RETRY_AFTER).await;
            }
            match self.connect_once(&cfg, signals.clone()).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(server = %cfg.name, attempt, "MCP server failed: {e}");
                    last = Some(e);
                }
            }
        }
        let reason = last.map_or_else(|| "failed".to_string(), |e| e.to_string());
        self.set_state(&cfg.name, ServerState::Failed { reason }, None, Vec::new());
    }

    async fn connect_once(
        &self,
        cfg: &McpServerConfig,
        signals: UnboundedSender<ServerSignal>,
    ) -> Result<(), McpError> {
        let conn = match &self.env {
            Some(env) => {
                Connection::connect_with_env(cfg, &self.workspace, signals, env.as_ref()).await?
            }
            None => Connection::connect(cfg, &self.workspace, signals).await?,
        };
        let tools = match conn.list_tools().await {
            Ok(t) => t,
            Err(e) => {
                conn.shutdown().await;
                return Err(e);
            }
        };
        let tools: Vec<Tool> = tools.into_iter().filter(|t| cfg.offers(&t.name)).collect();
        let count = tools.len();
        self.set_state(
            &cfg.name,
            ServerState::Ready { tools: count },
            Some(Arc::new(conn)),
            tools,
        );
        Ok(())
    }

    /// Server notifications: a changed tool list is fetched again at once.
    async fn listen(&self, mut signals: UnboundedReceiver<ServerSignal>) {
        while let Some(signal) = signals.recv().await {
            let ServerSignal::ToolsChanged { server } = signal;
            let conn = self.lock().slots.get(&server).and_then(|s| s.conn.clone());
            let Some(conn) = conn else { continue };
            match conn.list_tools().await {
                Ok(tools) => {
                    let cfg_offers = {
                        let inner = self.lock();
                        inner.slots.get(&server).map(|s| s.cfg.clone())
                    };
                    let Some(cfg) = cfg_offers else { continue };
                    let tools: Vec<Tool> =
                        tools.into_iter().filter(|t| cfg.offers(&t.name)).collect();
                    let count = tools.len();
                    self.set_state(
                        &server,
                        ServerState::Ready { tools: count },
                        Some(conn),
                        tools,
                    );
                }
                Err(e) => tracing::warn!(server = %server, "listing changed tools failed: {e}"),
            }
        }
    }

    fn set_state(
        &self,
        server: &str,
        state: ServerState,
        conn: Option<Arc<Connection>>,
        tools: Vec<Tool>,
    ) {
        let warnings = {
            let mut inner = self.lock();
            if let Some(slot) = inner.slots.get_mut(server) {
                slot.state = state;
                slot.conn = conn;
                slot.tools = tools;
            }
            rename(&mut inner)
        };
        for w in warnings {
            let _ = self.updates.send(HubUpdate::Warning(w));
        }
        self.publish();
    }

    fn publish(&self) {
        let _ = self.updates.send(HubUpdate::Status(self.status()));
    }

    /// Every server and where it is, in name order.
    pub fn status(&self) -> Vec<ServerStatus> {
        self.lock()
            .slots
            .values()
            .map(|s| ServerStatus {
                name: s.cfg.name.clone(),
                state: s.state.clone(),
            })
            .collect()
    }

    /// The tools offered now (ready servers only), in name order.
    pub fn offered(&self) -> Vec<OfferedTool> {
        let inner = self.lock();
        inner
            .offered
            .values()
            .filter_map(|n| {
                let slot = inner.slots.get(&n.server)?;
                let tool = slot.tools.iter().find(|t| t.name == n.tool)?;
                Some(OfferedTool {
                    name: n.offered.clone(),
                    server: n.server.clone(),
                    read_only: slot.cfg.trust_annotations
                        && tool
                            .annotations
                            .as_ref()
                            .and_then(|a| a.read_only_hint)
                            .unwrap_or(false),
                    tool: tool.clone(),
                })
            })
            .collect()
    }

    /// The server, the server's own tool name and the connection behind an offered name.
    pub fn resolve(&self, offered: &str) -> Option<(McpServerConfig, String, Arc<Connection>)> {
        let inner = self.lock();
        let named = inner.offered.get(offered)?;
        let slot = inner.slots.get(&named.server)?;
        Some((slot.cfg.clone(), named.tool.clone(), slot.conn.clone()?))
    }

    /// Names of servers still connecting (a turn starting now goes without their tools).
    pub fn connecting(&self) -> Vec<String> {
        self.lock()
            .slots
            .values()
            .filter(|s| s.state == ServerState::Connecting)
            .map(|s| s.cfg.name.clone())
            .collect()
    }

    /// Stop every server (on exit).
    pub async fn shutdown(&self) {
        let conns: Vec<Arc<Connection>> = {
            let mut inner = self.lock();
            inner
                .slots
                .values_mut()
                .filter_map(|s| s.conn.take())
                .collect()
        };
        let stops = conns.into_iter().map(|c| async move {
            match Arc::try_unwrap(c) {
                Ok(conn) => conn.shutdown().await,
                Err(shared) => shared.kill().await,
            }
        });
        futures_util::future::join_all(stops).await;
    }
}

/// Name every ready server's tools again; returns warnings not given before.
fn rename(inner: &mut Inner) -> Vec<String> {
    let all = inner
        .slots
        .values()
        .filter(|s| s.conn.is_some())
        .flat_map(|s| {
            s.tools
                .iter()
                .map(|t| (s.cfg.name.clone(), t.name.to_string()))
        });
    let (offered, warnings) = names::assign(all.collect::<Vec<_>>());
    inner.offered = offered;
    let fresh: Vec<String> = warnings
        .into_iter()
        .filter(|w| !inner.warned.contains(w))
        .collect();
    inner.warned.extend(fresh.iter().cloned());
    fresh
}
