//! MCP (Model Context Protocol) as a client: servers from `[mcp_servers.NAME]` connected in the
//! background after the first frame, their tools offered as `mcp__SERVER__TOOL` behind the same
//! gate as every tool.

pub mod client;
pub mod hub;
pub mod names;
pub mod result;
#[cfg(feature = "mcp-server")]
pub mod server;
