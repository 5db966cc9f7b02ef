//! Payloads of the composer conventions: the workspace's files for `@` completion.

use serde::{Deserialize, Serialize};

/// Files of the workspace (relative paths, `/`-separated), gitignore-aware, for `@`
/// completion (answer to `Op::ListFiles`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileListing {
    pub files: Vec<String>,
    /// The walk stopped at its cap; more files exist.
    pub truncated: bool,
}
