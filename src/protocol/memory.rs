//! The data memory ops and events carry (the memory pane, notices when memory changes).

use serde::{Deserialize, Serialize};

/// Where a memory applies: everywhere, or only in the project (folder) it was made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryScope {
    User,
    Project,
}

/// Which memories a listing or search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryScopeFilter {
    User,
    Project,
    /// User-scoped plus this project's.
    #[default]
    All,
}

/// What kind of memory a chunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryKind {
    /// Something that happened ("on Monday we moved the API to v2").
    Episodic,
    /// A fact or preference ("the user prefers tabs").
    Semantic,
    /// How to do something ("release: bump, tag, push").
    Procedural,
}

/// Who put a memory there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryProvenance {
    /// Written by the user (their editor, the CLI).
    User,
    /// Written by the model through `memory_write`.
    Model,
    /// Brought in by `pincer memory import`.
    Imported,
    /// Written by the model in a turn that had taken in untrusted content (tool output).
    ToolOutput,
}

/// One memory entry as the pane lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEntry {
    /// Stable id (`memory forget ID`, `memory pin ID`).
    pub id: String,
    pub scope: MemoryScope,
    /// The file, relative to the memory folder ("MEMORY.md", "projects/app-1a2b3c4d/build.md").
    pub path: String,
    /// Absolute path of the file (for `e`: open in `$EDITOR`).
    pub abs_path: String,
    /// First and last line (1-based, inclusive).
    pub lines: (u32, u32),
    pub kind: MemoryKind,
    pub provenance: MemoryProvenance,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds when a correction replaced it; superseded entries are out of default recall.
    pub superseded: Option<i64>,
    pub pinned: bool,
    pub text: String,
}

/// The memory entries (answer to `Op::ListMemory`, and again after a change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryListing {
    pub scope: MemoryScopeFilter,
    pub query: String,
    pub entries: Vec<MemoryEntry>,
    /// One line: "text search only (no embedding server)", "12 chunks wait for vectors", …
    pub status: String,
}

/// What happened to memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryAction {
    Created,
    Appended,
    Replaced,
    Superseded,
    Forgot,
    Pinned,
    Unpinned,
    /// An earlier change was undone.
    Undone,
}

/// Memory changed (the model wrote or forgot, or the user did from the pane): a notice in the
/// transcript with the diff behind Ctrl+O, undoable with `Op::UndoMemoryChange`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryChange {
    /// For `Op::UndoMemoryChange`.
    pub change_id: u64,
    pub action: MemoryAction,
    pub scope: MemoryScope,
    /// The file, relative to the memory folder.
    pub path: String,
    pub provenance: MemoryProvenance,
    /// Unified diff of the file (before → after).
    pub diff: String,
    /// One line for the notice: "remembered in MEMORY.md: prefers tabs".
    pub summary: String,
    pub undoable: bool,
}
