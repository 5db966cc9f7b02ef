//! What every tool gets: where the workspace is and the limits it must keep.

use std::path::PathBuf;
use std::time::Duration;

use crate::protocol::ToolStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolLimits {
    /// Largest file `read_file` returns (bytes); larger files need a line range.
    pub read_max_bytes: u64,
    /// Largest output handed to the model (bytes, after compression).
    pub model_output_max_bytes: usize,
    /// Largest output kept for the UI (bytes).
    pub display_output_max_bytes: usize,
    pub fetch_max_bytes: usize,
    pub fetch_timeout: Duration,
    pub shell_timeout: Duration,
    /// Most matches `grep` and entries `glob`/`list_dir` return.
    pub max_results: usize,
}

impl Default for ToolLimits {
    fn default() -> Self {
        ToolLimits {
            read_max_bytes: 256 * 1024,
            model_output_max_bytes: 16 * 1024,
            display_output_max_bytes: 1024 * 1024,
            fetch_max_bytes: 2 * 1024 * 1024,
            fetch_timeout: Duration::from_secs(20),
            shell_timeout: Duration::from_secs(120),
            max_results: 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolContext {
    /// The workspace root, canonical (symlinks resolved).
    pub workspace: PathBuf,
    /// A scratch directory tools and sandboxed commands may write to.
    pub temp_dir: PathBuf,
    pub limits: ToolLimits,
    /// Set per call when the policy (or the user) approved touching a path outside the
    /// workspace; without it tools refuse such paths.
    pub outside_workspace_approved: bool,
}

/// What a tool run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// The full text (the UI shows it; the model gets it compressed).
    pub text: String,
    pub status: ToolStatus,
    pub exit_code: Option<i32>,
}

impl ToolOutput {
    pub fn ok(text: impl Into<String>) -> ToolOutput {
        ToolOutput {
            text: text.into(),
            status: ToolStatus::Ok,
            exit_code: None,
        }
    }

    pub fn error(text: impl Into<String>) -> ToolOutput {
        ToolOutput {
            text: text.into(),
            status: ToolStatus::Error,
            exit_code: None,
        }
    }
}
