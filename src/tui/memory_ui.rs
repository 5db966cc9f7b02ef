//! Memory in the app: the memory pane (F4, `/memory`) wired to ops, memory-change notices in
//! the transcript, Alt+U undo, and `/init`.

use ratatui::crossterm::event::KeyEvent;

use super::app::App;
use super::cells::CellKind;
use super::memory_cell::{MemoryCell, UndoState};
use super::memory_pane::{MemoryPane, MemoryPaneAction};
use crate::protocol::{MemoryAction, MemoryChange, MemoryListing, NoticeLevel, Op};

/// `/init`: what the model is asked to do (through the normal tools and the approval gate).
pub const INIT_REQUEST: &str = "Please write an AGENTS.md for this project: the instructions \
a coding assistant needs before working here.

First look at the project with your tools: the README and docs, the build files \
(Cargo.toml, package.json, pyproject.toml, go.mod, Makefile, CI workflows, …), the folder \
layout and a few representative source and test files. Find the repository root (the folder \
with .git).

If an AGENTS.md already exists at the repository root, read it and improve it with edits: \
keep what is still true, fix what is wrong or outdated, add what is missing. Do not replace \
it wholesale and do not drop the owner's own notes. Otherwise create AGENTS.md at the \
repository root.

Cover, concisely and only with what you verified in the files:
- Build: the exact commands to build and to check the code.
- Test: how to run all tests and a single test; what tests need (services, env vars).
- Lint and format: the commands CI runs.
- Layout: the main folders and what lives where, in a few lines.
- Conventions: naming, error handling, style rules, commit or PR habits that are visible \
in the code or config.
- Gotchas: anything surprising a newcomer would trip over.

Keep it short (well under 150 lines), use Markdown headings and bullet lists, prefer \
commands over prose, and do not invent anything you could not confirm. When done, say in \
two or three lines what you wrote or changed.";

impl App {
    /// F4 / `/memory`.
    pub fn open_memory_pane(&mut self) -> Vec<Op> {
        let mut pane = MemoryPane::new();
        let action = pane.refresh_request();
        self.memory_pane = Some(pane);
        self.memory_action(action)
    }

    pub fn memory_pane_key(&mut self, key: KeyEvent) -> Vec<Op> {
        let Some(pane) = self.memory_pane.as_mut() else {
            return Vec::new();
        };
        let action = pane.handle_key(key);
        self.memory_action(action)
    }

    pub fn memory_pane_paste(&mut self, text: &str) -> Vec<Op> {
        let Some(pane) = self.memory_pane.as_mut() else {
            return Vec::new();
        };
        let action = pane.paste(text);
        self.memory_action(action)
    }

    fn memory_action(&mut self, action: MemoryPaneAction) -> Vec<Op> {
        match action {
            MemoryPaneAction::None => Vec::new(),
            MemoryPaneAction::Close => {
                self.memory_pane = None;
                Vec::new()
            }
            MemoryPaneAction::List { scope, query } => vec![Op::ListMemory { scope, query }],
            MemoryPaneAction::Edit { path, line } => {
                self.effects.push(super::effect::Effect::EditAt(path, line));
                Vec::new()
            }
            MemoryPaneAction::Forget(id) => vec![Op::ForgetMemory { id }],
            MemoryPaneAction::Pin { id, pinned } => vec![Op::PinMemory { id, pinned }],
        }
    }

    /// `Event::MemoryList`: the open pane takes it (or asks again for its own query).
    pub fn on_memory_list(&mut self, listing: MemoryListing) {
        if let Some(pane) = self.memory_pane.as_mut() {
            let action = pane.set_listing(listing);
            let ops = self.memory_action(action);
            self.effects.ops(ops);
        }
    }

    /// The editor closed or memory changed: the open pane lists again.
    pub fn refresh_memory_pane(&mut self) {
        if let Some(pane) = self.memory_pane.as_mut() {
            let action = pane.refresh_request();
            let ops = self.memory_action(action);
            self.effects.ops(ops);
        }
    }

    /// `Event::MemoryChanged`: a notice cell (or, for the confirmation of an undo, the undone
    /// cell marked so), and the open pane lists again.
    pub fn on_memory_changed(&mut self, change: MemoryChange) {
        let undone_cell = (change.action == MemoryAction::Undone)
            .then(|| self.memory_cell_mut(change.change_id))
            .flatten();
        if let Some(cell) = undone_cell {
            cell.undo = UndoState::Undone;
        } else {
            let cell = MemoryCell::new(change, self.tools_expanded);
            self.transcript.push(CellKind::Memory(cell));
        }
        self.mark_latest_undoable();
        self.refresh_memory_pane();
    }

    /// Alt+U: undo the newest memory change that can still be undone.
    pub fn undo_memory_change(&mut self) -> Vec<Op> {
        let mut target = None;
        for c in self.transcript.cells.iter_mut().rev() {
            if let CellKind::Memory(m) = &mut c.kind
                && m.can_undo()
            {
                m.undo = UndoState::Requested;
                target = Some(m.change.change_id);
                c.invalidate();
                break;
            }
        }
        self.mark_latest_undoable();
        match target {
            Some(change_id) => vec![Op::UndoMemoryChange { change_id }],
            None => {
                self.push_notice(NoticeLevel::Info, "no memory change to undo");
                Vec::new()
            }
        }
    }

    /// The cell of `change_id`, invalidated for a new layout.
    fn memory_cell_mut(&mut self, change_id: u64) -> Option<&mut MemoryCell> {
        let cell = self.transcript.cells.iter_mut().rev().find(
            |c| matches!(&c.kind, CellKind::Memory(m) if m.change.change_id == change_id && m.change.action != MemoryAction::Undone),
        )?;
        cell.invalidate();
        match &mut cell.kind {
            CellKind::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// Only the cell Alt+U would undo says "Alt+U undoes".
    fn mark_latest_undoable(&mut self) {
        let mut found = false;
        for cell in self.transcript.cells.iter_mut().rev() {
            if let CellKind::Memory(m) = &mut cell.kind {
                let latest = !found && m.can_undo();
                found |= latest;
                if m.latest != latest {
                    m.latest = latest;
                    cell.invalidate();
                }
            }
        }
    }

    /// `/init`: ask the model to write (or improve) the project's AGENTS.md.
    pub fn init_agents_md(&mut self) -> Vec<Op> {
        if self.provider.is_none() {
            self.push_error(
                crate::protocol::ErrorKind::NoProvider,
                "no model is configured yet, so /init cannot run: see the setup notes above, or /model PROFILE",
            );
            return Vec::new();
        }
        if self.turn.running() {
            self.queued += 1;
            self.hint = Some("queued: /init runs when the current reply ends".into());
        }
        self.transcript.end();
        vec![Op::UserMessage {
            text: INIT_REQUEST.to_string(),
        }]
    }
}

#[cfg(test)]
#[path = "memory_ui_tests.rs"]
mod tests;
