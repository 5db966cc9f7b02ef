//! pincer: a terminal-first AI assistant.
//!
//! Data flows one way: key → [`protocol::Op`] → [`runtime`] → [`protocol::Event`] → UI state →
//! frame. See `docs/ARCHITECTURE.md` for the module map.

pub mod config;
pub mod fsread;
pub mod headless;
pub mod logging;
pub mod mcp;
pub mod mcp_cli;
pub mod memory;
pub mod memory_cli;
pub mod paths;
pub mod pipeline;
pub mod policy;
pub mod protocol;
pub mod provider;
pub mod redact;
pub mod runtime;
pub mod sandbox;
pub mod secrets;
pub mod secrets_cli;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(feature = "serve")]
pub mod serve_cli;
pub mod session_cli;
pub mod skill_cli;
pub mod skills;
pub mod startup;
pub mod store;
#[cfg(feature = "tasks")]
pub mod task;
#[cfg(feature = "tasks")]
pub mod task_cli;
pub mod text;
pub mod time;
pub mod tls;
pub mod tools;
pub mod tui;
