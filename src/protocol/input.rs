//! Payloads of the composer conventions: the workspace's files for `@` completion; the
//! queue of messages sent while a turn runs.

use serde::{Deserialize, Serialize};

/// Files of the workspace (relative paths, `/`-separated), gitignore-aware, for `@`
/// completion (answer to `Op::ListFiles`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileListing {
    pub files: Vec<String>,
    /// The walk stopped at its cap; more files exist.
    pub truncated: bool,
}

/// One message waiting in the runtime's queue (sent while a turn ran). `text` is what the
/// user typed: a message, or `!command` for a shell command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedMessage {
    pub id: u64,
    pub text: String,
}

/// What is queued now, oldest first (sent whenever it changes).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueState {
    pub items: Vec<QueuedMessage>,
}

/// A queued message taken back (answer to `Op::WithdrawQueued`): it will not run; the front end
/// may put its text back in the composer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawnMessage {
    pub id: u64,
    pub text: String,
}
