//! Event payloads about the session: what it holds, who else writes it, how full its context is.

use serde::{Deserialize, Serialize};

use super::*;

/// Sent once at start and after `NewSession` / a resumed session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionConfigured {
    /// `None` until the first message is stored.
    pub session_id: Option<String>,
    pub provider: Option<ProviderInfo>,
    /// Earlier messages when a session was resumed.
    pub history: Vec<HistoryItem>,
    /// Recent prompts (newest last) for the composer's Up/Down history.
    pub input_history: Vec<String>,
    /// Token totals of the (resumed) session.
    pub session_tokens: u64,
}

/// Another pincer (process or runtime) wrote to this session since this runtime last
/// looked; the model's conversation was reloaded from the store before this turn, and
/// `items` are the new ones for the transcript (`count` stored rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionItemsAppended {
    pub items: Vec<HistoryItem>,
    pub count: usize,
}

/// Another pincer runs a turn on this session (`holder_pid` when known). `waiting: true`:
/// queued messages run once it finishes; `waiting: false`: the wait was given up and the
/// queued messages were dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionBusy {
    pub holder_pid: Option<u32>,
    pub waiting: bool,
}

/// The stored sessions, newest first (answer to `ListSessions`, and again after a change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionList {
    pub scope: SessionScope,
    pub sessions: Vec<SessionSummary>,
    /// The session this runtime is in, if stored.
    pub current: Option<String>,
}

/// The last messages of a stored session (answer to `PreviewSession`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionPreview {
    pub id: String,
    pub items: Vec<HistoryItem>,
}

/// How full the model's context window is (after each turn and after compaction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextUsage {
    pub used_tokens: u64,
    pub window_tokens: u64,
    /// How the window size was learned (a guess is shown as such).
    #[serde(default)]
    pub window_source: WindowSource,
}

/// Older turns were replaced by a summary for the model; the transcript keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compacted {
    pub summary: String,
    pub replaced_messages: usize,
    pub tokens_before: u64,
    pub tokens_after: u64,
}

/// The session's first message never got an answer from a model (nothing listening, no
/// model, the server refused): the session was not kept. The next message starts a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionDropped {
    pub session_id: String,
}
