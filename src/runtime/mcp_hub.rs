//! The runtime's MCP servers: the hub is created when the op loop starts — after the TUI drew
//! its first frame, never on the start-up path — from `[mcp_servers]` of the user config and,
//! once the project is trusted, of `.pincer/config.toml`. Its updates become
//! `Event::McpStatus` (the status line's counts), a one-line notice per failure and per refused
//! tool name. A headless run (no first frame) waits for the servers to settle before its turn.

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::Runtime;
use super::mcp_tool::{self, McpOffer, McpTurn};
use crate::config::{Config, McpServerConfig};
use crate::mcp::hub::{Hub, HubUpdate, ServerState, ServerStatus};
use crate::protocol::{Event, McpServerInfo, McpServerState, McpStatus, NoticeLevel};

/// The hub and what was already told about it.
pub(super) struct RuntimeMcp {
    pub hub: Hub,
    /// Servers whose failure was announced (a notice once per failure).
    announced: Vec<String>,
}

impl Runtime {
    /// The configured servers: the user's, then the trusted project's (a name in both: the
    /// project's is skipped with a notice).
    fn mcp_configs(&self) -> Vec<McpServerConfig> {
        let mut servers = self.settings.config.mcp_servers.clone();
        if !self.settings.project_trusted {
            return servers;
        }
        let path = self.settings.workspace.join(".pincer").join("config.toml");
        match Config::load_project_mcp(&path) {
            Ok(project) => {
                for s in project {
                    if servers.iter().any(|u| u.name == s.name) {
                        self.emit(Event::Notice {
                            level: NoticeLevel::Warning,
                            message: format!(
                                "MCP server `{}` of {} is also in your config; yours is used",
                                s.name,
                                path.display()
                            ),
                        });
                    } else {
                        servers.push(s);
                    }
                }
            }
            Err(e) => self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: e.to_string(),
            }),
        }
        servers
    }

    /// Connect the configured servers in the background.
    pub(super) fn start_mcp(&mut self, updates: UnboundedSender<HubUpdate>) {
        if !self.settings.tools_enabled {
            return;
        }
        let configs = self.mcp_configs();
        if configs.is_empty() {
            return;
        }
        let hub = Hub::new(configs, self.settings.workspace.clone(), updates)
            .with_env(self.settings.env.clone());
        hub.start();
        self.mcp = Some(RuntimeMcp {
            hub,
            announced: Vec::new(),
        });
    }

    /// Headless: wait until no server is still connecting (each is bounded by its
    /// `startup_timeout` and one retry), so the one turn gets the tools.
    pub(super) async fn settle_mcp(&mut self, updates: &mut UnboundedReceiver<HubUpdate>) {
        while self
            .mcp
            .as_ref()
            .is_some_and(|m| !m.hub.connecting().is_empty())
        {
            match updates.recv().await {
                Some(update) => self.on_mcp(update),
                None => break,
            }
        }
    }

    /// A hub update: the status event, and a notice for what the user should know.
    pub(super) fn on_mcp(&mut self, update: HubUpdate) {
        match update {
            HubUpdate::Warning(message) => self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message,
            }),
            HubUpdate::Status(servers) => {
                if let Some(m) = self.mcp.as_mut() {
                    let mut notices = Vec::new();
                    for s in &servers {
                        let failed = matches!(s.state, ServerState::Failed { .. });
                        let known = m.announced.contains(&s.name);
                        if let (ServerState::Failed { reason }, false) = (&s.state, known) {
                            notices.push(format!("MCP server {} failed: {reason}", s.name));
                            m.announced.push(s.name.clone());
                        } else if !failed && known {
                            m.announced.retain(|n| n != &s.name);
                        }
                    }
                    for message in notices {
                        self.emit(Event::Notice {
                            level: NoticeLevel::Warning,
                            message,
                        });
                    }
                }
                self.emit(Event::McpStatus(status_event(&servers)));
            }
        }
    }

    /// The MCP tool definitions for a plan, which are read-only, and the note saying which
    /// way they are offered.
    pub(super) fn mcp_offer(&self) -> Option<McpOffer> {
        let m = self.mcp.as_ref()?;
        let percent = self.settings.config.mcp.schema_budget_percent;
        mcp_tool::choose(&m.hub, self.window(), percent)
    }

    /// The MCP side of a turn whose offer is `offered`.
    pub(super) fn mcp_turn(&self, offered: &[String]) -> Option<McpTurn> {
        let m = self.mcp.as_ref()?;
        Some(McpTurn {
            hub: m.hub.clone(),
            search: offered.iter().any(|n| n == mcp_tool::SEARCH),
        })
    }

    /// A turn starting while servers connect goes without their tools and says so.
    pub(super) fn note_mcp_connecting(&self) {
        let Some(m) = self.mcp.as_ref() else { return };
        let connecting = m.hub.connecting();
        if !connecting.is_empty() {
            self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: format!(
                    "MCP server{} still connecting: {} — this turn goes without {} tools",
                    if connecting.len() == 1 { "" } else { "s" },
                    connecting.join(", "),
                    if connecting.len() == 1 {
                        "its"
                    } else {
                        "their"
                    },
                ),
            });
        }
    }

    /// Stop every server (on exit): closed, then signalled, never left running.
    pub(super) async fn stop_mcp(&mut self) {
        if let Some(m) = self.mcp.take() {
            m.hub.shutdown().await;
        }
    }
}

fn status_event(servers: &[ServerStatus]) -> McpStatus {
    McpStatus {
        servers: servers
            .iter()
            .map(|s| McpServerInfo {
                name: s.name.clone(),
                state: match &s.state {
                    ServerState::Connecting => McpServerState::Connecting,
                    ServerState::Ready { tools } => McpServerState::Ready { tools: *tools },
                    ServerState::Failed { reason } => McpServerState::Failed {
                        reason: reason.clone(),
                    },
                    ServerState::Disabled => McpServerState::Disabled,
                },
            })
            .collect(),
    }
}
