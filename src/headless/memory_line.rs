//! Text mode: a memory change as one line on stderr (`--json` prints the event itself).

use crate::protocol::{MemoryChange, MemoryScope};

/// "memory: remembered in MEMORY.md: prefers tabs (user memory, by the model)": the summary on
/// one line, where it went and who wrote it. No diff (the JSON event has it).
pub fn memory_change_line(change: &MemoryChange) -> String {
    let summary = change.headline();
    let scope = match change.scope {
        MemoryScope::User => "user memory",
        MemoryScope::Project => "project memory",
    };
    let who = change.provenance.label();
    format!("memory: {summary} ({scope}, {who})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{MemoryAction, MemoryProvenance};

    fn change(summary: &str) -> MemoryChange {
        MemoryChange {
            change_id: 7,
            action: MemoryAction::Appended,
            scope: MemoryScope::User,
            path: "MEMORY.md".into(),
            provenance: MemoryProvenance::Model,
            diff: "--- a/MEMORY.md\n+++ b/MEMORY.md\n@@ -1 +1,2 @@\n # Memory\n+- prefers tabs\n"
                .into(),
            summary: summary.into(),
            undoable: true,
        }
    }

    #[test]
    fn one_line_with_summary_scope_and_author() {
        let line = memory_change_line(&change("remembered in MEMORY.md: prefers tabs"));
        assert_eq!(
            line,
            "memory: remembered in MEMORY.md: prefers tabs (user memory, by the model)"
        );
    }

    #[test]
    fn control_characters_and_newlines_cannot_break_the_line() {
        let line = memory_change_line(&change("evil\x1b[2J\nsecond line\r"));
        assert!(!line.contains('\x1b') && !line.contains('\n') && !line.contains('\r'));
        assert!(
            line.contains("evil") && line.contains("second line"),
            "{line}"
        );
    }

    #[test]
    fn without_a_summary_the_action_and_file_are_said() {
        let mut c = change("");
        c.action = MemoryAction::Forgot;
        c.scope = MemoryScope::Project;
        c.path = "projects/app-1a2b3c4d/MEMORY.md".into();
        assert_eq!(
            memory_change_line(&c),
            "memory: forgot from projects/app-1a2b3c4d/MEMORY.md (project memory, by the model)"
        );
    }
}
