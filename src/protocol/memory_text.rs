//! Words for memory data that every front end shows the same way (TUI notice, headless line).

use super::memory::{MemoryAction, MemoryChange, MemoryProvenance};
use crate::text::sanitize;

impl MemoryAction {
    /// "remembered in", "forgot from", … (followed by the file).
    pub fn verb(self) -> &'static str {
        match self {
            MemoryAction::Created => "created",
            MemoryAction::Appended => "remembered in",
            MemoryAction::Replaced => "changed",
            MemoryAction::Superseded => "superseded a memory in",
            MemoryAction::Forgot => "forgot from",
            MemoryAction::Pinned => "pinned a memory in",
            MemoryAction::Unpinned => "unpinned a memory in",
            MemoryAction::Undone => "undid a change to",
        }
    }
}

impl MemoryProvenance {
    /// "by you", "by the model", …
    pub fn label(self) -> &'static str {
        match self {
            MemoryProvenance::User => "by you",
            MemoryProvenance::Model => "by the model",
            MemoryProvenance::Imported => "imported",
            MemoryProvenance::ToolOutput => "by the model after untrusted content",
        }
    }
}

impl MemoryChange {
    /// The notice's text on one line, free of terminal controls: the runtime's summary, or
    /// "remembered in MEMORY.md" when it sent none.
    pub fn headline(&self) -> String {
        let summary = sanitize(self.summary.trim()).replace(['\n', '\r'], " ");
        if summary.is_empty() {
            let path = sanitize(&self.path).replace(['\n', '\r'], " ");
            format!("{} {path}", self.action.verb())
        } else {
            summary
        }
    }
}
