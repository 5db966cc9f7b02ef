#![allow(dead_code)]
// Test support: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod cli;
pub mod events;
pub mod mcp;
pub mod memory;
pub mod mock_server;
pub mod pty;
pub mod rules;
