//! MCP servers as the front ends see them: how many are ready, connecting or failed (the
//! status line), and why one failed (one line; the server's stderr stays in the log).

use serde::{Deserialize, Serialize};

/// Where one MCP server is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum McpServerState {
    Connecting,
    Ready { tools: usize },
    Failed { reason: String },
    Disabled,
}

/// One configured MCP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpServerInfo {
    pub name: String,
    #[serde(flatten)]
    pub state: McpServerState,
}

/// Every configured MCP server, in name order (`Event::McpStatus`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpStatus {
    pub servers: Vec<McpServerInfo>,
}

impl McpStatus {
    /// (ready, connecting, failed).
    pub fn counts(&self) -> (usize, usize, usize) {
        let count =
            |f: fn(&McpServerState) -> bool| self.servers.iter().filter(|s| f(&s.state)).count();
        (
            count(|s| matches!(s, McpServerState::Ready { .. })),
            count(|s| matches!(s, McpServerState::Connecting)),
            count(|s| matches!(s, McpServerState::Failed { .. })),
        )
    }

    /// The status line's words, e.g. `MCP 2 ready · 1 connecting · 1 failed`; empty when no
    /// server is enabled.
    pub fn summary(&self) -> String {
        let (ready, connecting, failed) = self.counts();
        if ready + connecting + failed == 0 {
            return String::new();
        }
        let mut parts = vec![format!("MCP {ready} ready")];
        if connecting > 0 {
            parts.push(format!("{connecting} connecting"));
        }
        if failed > 0 {
            parts.push(format!("{failed} failed"));
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_each_state() {
        let s = |name: &str, state| McpServerInfo {
            name: name.into(),
            state,
        };
        let status = McpStatus {
            servers: vec![
                s("a", McpServerState::Ready { tools: 3 }),
                s("b", McpServerState::Connecting),
                s("c", McpServerState::Failed { reason: "x".into() }),
                s("d", McpServerState::Disabled),
            ],
        };
        assert_eq!(status.summary(), "MCP 1 ready · 1 connecting · 1 failed");
        assert_eq!(McpStatus::default().summary(), "");
        let json = serde_json::to_string(&status.servers[0]).unwrap_or_default();
        assert_eq!(json, r#"{"name":"a","state":"ready","tools":3}"#);
    }
}
