//! The transcript notice for a memory change: one line ("◆ remembered in MEMORY.md: prefers
//! tabs · Alt+U undoes · Ctrl+O diff"), the diff under it while tool output is expanded
//! (Ctrl+O), and what became of an undo.
//!
//! Alt+U undoes the newest change that can still be undone; it is a chord so it never takes a
//! letter from the composer. An undo is confirmed by a `MemoryChanged` with action `Undone`
//! and the same `change_id` as the change it undid; an `Undone` for an unknown id is shown as
//! a notice of its own.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::markdown::wrap_spans;
use super::theme::Theme;
use crate::protocol::{MemoryAction, MemoryChange};
use crate::text::sanitize;

/// The chord that undoes the newest memory change (shown in the notice and the help).
pub const UNDO_KEY: &str = "Alt+U";
/// Diff lines shown when expanded (a huge replace stays readable).
const DIFF_ROWS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoState {
    /// Not undone (undoable or not: see `MemoryChange::undoable`).
    Kept,
    /// `Op::UndoMemoryChange` was sent; the runtime has not confirmed it yet.
    Requested,
    Undone,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemoryCell {
    pub change: MemoryChange,
    pub expanded: bool,
    /// Alt+U would undo this change (the newest undoable one): the notice says so.
    pub latest: bool,
    pub undo: UndoState,
}

impl MemoryCell {
    pub fn new(change: MemoryChange, expanded: bool) -> MemoryCell {
        MemoryCell {
            change,
            expanded,
            latest: false,
            undo: UndoState::Kept,
        }
    }

    /// Alt+U may undo it.
    pub fn can_undo(&self) -> bool {
        self.change.undoable
            && self.undo == UndoState::Kept
            && self.change.action != MemoryAction::Undone
    }
}

pub fn layout(cell: &MemoryCell, width: u16, t: &Theme) -> Vec<Line<'static>> {
    let summary = cell.change.headline();
    let mut head = vec![Span::styled("◆ ", t.accent)];
    let mut tail = Vec::new();
    match cell.undo {
        UndoState::Undone => {
            head.push(Span::styled(
                summary,
                t.muted.add_modifier(Modifier::CROSSED_OUT),
            ));
            tail.push("undone".to_string());
        }
        UndoState::Requested => {
            head.push(Span::styled(summary, t.text));
            tail.push("undoing…".to_string());
        }
        UndoState::Kept => {
            head.push(Span::styled(summary, t.text));
            if cell.latest && cell.can_undo() {
                tail.push(format!("{UNDO_KEY} undoes"));
            }
        }
    }
    let has_diff = !cell.change.diff.trim().is_empty();
    if has_diff && !cell.expanded {
        tail.push("Ctrl+O diff".to_string());
    }
    if !tail.is_empty() {
        head.push(Span::styled(format!(" · {}", tail.join(" · ")), t.muted));
    }
    let mut lines = wrap_spans(head, width);
    if cell.expanded && has_diff {
        let body_width = width.saturating_sub(4).max(1);
        let clean = sanitize(&cell.change.diff);
        let all: Vec<&str> = clean.lines().collect();
        for raw in all.iter().take(DIFF_ROWS) {
            let style = if raw.starts_with("+++") || raw.starts_with("---") {
                t.muted
            } else if raw.starts_with("@@") {
                t.accent
            } else if raw.starts_with('+') {
                t.success
            } else if raw.starts_with('-') {
                t.error.remove_modifier(Modifier::BOLD)
            } else {
                t.muted
            };
            for row in wrap_spans(vec![Span::styled(raw.to_string(), style)], body_width) {
                let mut spans = vec![Span::styled("  │ ", t.border)];
                spans.extend(row.spans);
                lines.push(Line::from(spans));
            }
        }
        let hidden = all.len().saturating_sub(DIFF_ROWS);
        if hidden > 0 {
            lines.push(Line::from(Span::styled(
                format!("  … {hidden} more diff lines"),
                t.muted,
            )));
        }
    }
    lines
}
