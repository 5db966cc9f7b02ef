//! The memory pane: every memory entry (user-scoped and this project's), grouped by scope and
//! file, with provenance and dates; a filter that searches as you type; the selected entry's
//! text; `e` opens its file in the editor at its line, `f` forgets it (after y/n), `p` pins or
//! unpins it, `s` shows or hides superseded entries.
//!
//! No I/O: the caller feeds it listings (`set_listing`, from `Event::MemoryList`) and turns the
//! returned [`MemoryPaneAction`]s into `Op`s or an editor run. The filter is a search on the
//! runtime's index (`Op::ListMemory { query }`, sent per keystroke; results replace the list),
//! not a local match, so it finds what `memory_search` finds. Letters are commands until `/`
//! starts the filter (as in the skills pane). Drawing lives in `memory_pane/render.rs`.

mod render;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::collections::HashMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::session_pane::one_line;
use crate::protocol::{MemoryEntry, MemoryListing, MemoryScope, MemoryScopeFilter};

/// Longest filter the pane takes (more is cut, e.g. from a huge paste).
const MAX_FILTER: usize = 200;

/// What the caller should do after a key or a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryPaneAction {
    None,
    Close,
    /// Ask for entries (`Op::ListMemory`): the filter or the scope changed.
    List {
        scope: MemoryScopeFilter,
        query: String,
    },
    /// Open this file in `$VISUAL` / `$EDITOR` at `line` (1-based), then list again.
    Edit {
        path: String,
        line: u32,
    },
    /// `Op::ForgetMemory` (the user answered y).
    Forget(String),
    /// `Op::PinMemory`.
    Pin {
        id: String,
        pinned: bool,
    },
}

/// What the keys do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryPaneMode {
    Browse,
    /// "Forget «…»? y/n"
    ConfirmForget {
        id: String,
    },
}

pub struct MemoryPane {
    scope: MemoryScopeFilter,
    entries: Vec<MemoryEntry>,
    /// The runtime's one-line status ("text search only (no embedding server)").
    status: String,
    /// False until the first listing: the pane shows "loading…".
    loaded: bool,
    /// `/` was pressed: letters go to the filter until Enter or Esc.
    filtering: bool,
    filter: String,
    /// The query last sent and not answered yet (answers to older queries are dropped).
    pending: Option<String>,
    show_superseded: bool,
    /// Indices into `entries` of the visible entries, in display order (scope, file, line).
    rows: Vec<usize>,
    selected: usize,
    /// First visible line of the list; kept by `render`, which knows the height.
    scroll: Cell<usize>,
    /// Lines the list showed at the last draw (PgUp / PgDn step).
    page: Cell<usize>,
    mode: MemoryPaneMode,
    /// A one-shot message in the legend line.
    notice: Option<String>,
}

impl std::fmt::Debug for MemoryPane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryPane")
            .field("scope", &self.scope)
            .field("entries", &self.entries.len())
            .field("filter", &self.filter)
            .field("selected", &self.selected)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryPane {
    fn default() -> Self {
        MemoryPane::new()
    }
}

impl MemoryPane {
    /// An empty pane showing "loading…" until the first listing. Send the action of
    /// [`MemoryPane::refresh_request`] to fill it.
    pub fn new() -> MemoryPane {
        MemoryPane {
            scope: MemoryScopeFilter::All,
            entries: Vec::new(),
            status: String::new(),
            loaded: false,
            filtering: false,
            filter: String::new(),
            pending: None,
            show_superseded: false,
            rows: Vec::new(),
            selected: 0,
            scroll: Cell::new(0),
            page: Cell::new(10),
            mode: MemoryPaneMode::Browse,
            notice: None,
        }
    }

    /// The listing to ask for when the pane opens (or after memory changed).
    pub fn refresh_request(&mut self) -> MemoryPaneAction {
        self.request()
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn scope(&self) -> MemoryScopeFilter {
        self.scope
    }

    pub fn mode(&self) -> &MemoryPaneMode {
        &self.mode
    }

    pub fn is_filtering(&self) -> bool {
        self.filtering
    }

    pub fn shows_superseded(&self) -> bool {
        self.show_superseded
    }

    /// The legend's one-shot message, if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The entry under the cursor.
    pub fn selected_entry(&self) -> Option<&MemoryEntry> {
        self.rows
            .get(self.selected)
            .and_then(|&i| self.entries.get(i))
    }

    /// The visible entries, in display order.
    pub fn visible(&self) -> impl Iterator<Item = &MemoryEntry> {
        self.rows.iter().filter_map(|&i| self.entries.get(i))
    }

    /// A listing arrived (`Event::MemoryList`). An answer to an older keystroke (another query
    /// or scope while a newer request is on its way) is dropped; a listing nobody asked for
    /// (sent after a change) for another query asks for ours again. Keeps the selection on the
    /// same entry when it is still listed.
    pub fn set_listing(&mut self, listing: MemoryListing) -> MemoryPaneAction {
        let ours = listing.scope == self.scope && listing.query.trim() == self.filter.trim();
        if !ours {
            if self.pending.is_some() {
                return MemoryPaneAction::None;
            }
            return self.request();
        }
        self.pending = None;
        let keep = self.selected_entry().map(|e| e.id.clone());
        self.entries = listing.entries;
        self.status = listing.status;
        self.loaded = true;
        self.refresh_rows(keep);
        if let MemoryPaneMode::ConfirmForget { id } = &self.mode
            && !self.entries.iter().any(|e| &e.id == id)
        {
            self.mode = MemoryPaneMode::Browse;
        }
        MemoryPaneAction::None
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> MemoryPaneAction {
        self.notice = None;
        match self.mode {
            MemoryPaneMode::Browse if self.filtering => self.filter_key(key),
            MemoryPaneMode::Browse => self.browse_key(key),
            MemoryPaneMode::ConfirmForget { .. } => self.confirm_key(key),
        }
    }

    fn filter_key(&mut self, key: KeyEvent) -> MemoryPaneAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => {
                self.filtering = false;
                self.set_filter(String::new())
            }
            KeyCode::Enter => {
                self.filtering = false;
                MemoryPaneAction::None
            }
            KeyCode::Backspace => {
                let mut f = std::mem::take(&mut self.filter);
                if f.pop().is_none() {
                    self.filtering = false;
                }
                self.set_filter(f)
            }
            KeyCode::Char('u') if ctrl => self.set_filter(String::new()),
            KeyCode::Char('c') if ctrl => MemoryPaneAction::Close,
            KeyCode::Char(c) if !ctrl && !alt && !c.is_control() => {
                let mut f = std::mem::take(&mut self.filter);
                f.push(c);
                self.set_filter(f)
            }
            KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown => {
                self.browse_key(key)
            }
            _ => MemoryPaneAction::None,
        }
    }

    fn browse_key(&mut self, key: KeyEvent) -> MemoryPaneAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let plain = !ctrl && !alt;
        let page = self.page.get().max(1) as isize;
        match key.code {
            KeyCode::Esc if !self.filter.is_empty() => self.set_filter(String::new()),
            KeyCode::Esc => MemoryPaneAction::Close,
            KeyCode::Char('q') if plain => MemoryPaneAction::Close,
            KeyCode::Char('c') if ctrl => MemoryPaneAction::Close,
            KeyCode::Up => self.move_by(-1),
            KeyCode::Char('k') if plain => self.move_by(-1),
            KeyCode::Char('p') if ctrl => self.move_by(-1),
            KeyCode::Down => self.move_by(1),
            KeyCode::Char('j') if plain => self.move_by(1),
            KeyCode::Char('n') if ctrl => self.move_by(1),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::PageDown => self.move_by(page),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(self.rows.len().saturating_sub(1)),
            KeyCode::Char('/') if plain => {
                self.filtering = true;
                MemoryPaneAction::None
            }
            KeyCode::Char('e') if plain => self.edit_selected(),
            KeyCode::Char('f') if plain => {
                if let Some(e) = self.selected_entry() {
                    self.mode = MemoryPaneMode::ConfirmForget { id: e.id.clone() };
                }
                MemoryPaneAction::None
            }
            KeyCode::Char('p') if plain => match self.selected_entry() {
                Some(e) => MemoryPaneAction::Pin {
                    id: e.id.clone(),
                    pinned: !e.pinned,
                },
                None => MemoryPaneAction::None,
            },
            KeyCode::Char('s') if plain => {
                self.show_superseded = !self.show_superseded;
                let keep = self.selected_entry().map(|e| e.id.clone());
                self.refresh_rows(keep);
                MemoryPaneAction::None
            }
            KeyCode::Tab | KeyCode::BackTab => {
                self.scope = next_scope(self.scope, key.code == KeyCode::BackTab);
                self.request()
            }
            KeyCode::Char('u') if ctrl => self.set_filter(String::new()),
            KeyCode::Backspace if !self.filter.is_empty() => {
                let mut f = std::mem::take(&mut self.filter);
                f.pop();
                self.set_filter(f)
            }
            _ => MemoryPaneAction::None,
        }
    }

    fn confirm_key(&mut self, key: KeyEvent) -> MemoryPaneAction {
        let MemoryPaneMode::ConfirmForget { id } = &self.mode else {
            return MemoryPaneAction::None;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') if !ctrl => {
                let id = id.clone();
                self.mode = MemoryPaneMode::Browse;
                MemoryPaneAction::Forget(id)
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                self.mode = MemoryPaneMode::Browse;
                MemoryPaneAction::None
            }
            KeyCode::Char('c') if ctrl => {
                self.mode = MemoryPaneMode::Browse;
                MemoryPaneAction::None
            }
            _ => MemoryPaneAction::None,
        }
    }

    fn edit_selected(&mut self) -> MemoryPaneAction {
        let Some(e) = self.selected_entry() else {
            return MemoryPaneAction::None;
        };
        if e.abs_path.trim().is_empty() {
            self.notice = Some("this entry has no file to open".into());
            return MemoryPaneAction::None;
        }
        MemoryPaneAction::Edit {
            path: e.abs_path.clone(),
            line: e.lines.0.max(1),
        }
    }

    /// Paste into the filter; newlines become spaces.
    pub fn paste(&mut self, text: &str) -> MemoryPaneAction {
        if self.mode != MemoryPaneMode::Browse {
            return MemoryPaneAction::None;
        }
        let head: String = text.chars().take(MAX_FILTER * 4).collect();
        let clean = one_line(&head);
        self.filtering = true;
        let f = format!("{}{clean}", self.filter);
        self.set_filter(f)
    }

    fn set_filter(&mut self, mut filter: String) -> MemoryPaneAction {
        if filter.chars().count() > MAX_FILTER {
            filter = filter.chars().take(MAX_FILTER).collect();
        }
        if filter == self.filter && self.pending.is_some() {
            return MemoryPaneAction::None;
        }
        self.filter = filter;
        self.request()
    }

    /// `List` for the current scope and filter, remembered as pending.
    fn request(&mut self) -> MemoryPaneAction {
        let query = self.filter.trim().to_string();
        self.pending = Some(query.clone());
        MemoryPaneAction::List {
            scope: self.scope,
            query,
        }
    }

    fn move_by(&mut self, delta: isize) -> MemoryPaneAction {
        let target = self.selected.saturating_add_signed(delta);
        self.move_to(target)
    }

    fn move_to(&mut self, row: usize) -> MemoryPaneAction {
        self.selected = row.min(self.rows.len().saturating_sub(1));
        MemoryPaneAction::None
    }

    /// The visible entries: superseded ones only when shown. Without a filter they are
    /// ordered by scope (user, then this project), file and line; with one the runtime's
    /// ranking is kept within each file group. The selection stays on `keep` when it is
    /// still visible, else on the same row number.
    fn refresh_rows(&mut self, keep: Option<String>) {
        let mut rows: Vec<usize> = (0..self.entries.len())
            .filter(|&i| {
                self.entries
                    .get(i)
                    .is_some_and(|e| self.show_superseded || e.superseded.is_none())
            })
            .collect();
        let ranked = !self.filter.trim().is_empty();
        // With a filter the groups follow the best hit of each file (the runtime's ranking).
        let mut group_first: HashMap<(MemoryScope, &str), usize> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            group_first.entry((e.scope, e.path.as_str())).or_insert(i);
        }
        let key = |i: &usize| {
            let Some(e) = self.entries.get(*i) else {
                return (usize::MAX, 0, String::new(), 0);
            };
            if ranked {
                let first = group_first
                    .get(&(e.scope, e.path.as_str()))
                    .copied()
                    .unwrap_or(*i);
                (first, 0, String::new(), *i)
            } else {
                (0, scope_rank(e.scope), e.path.clone(), e.lines.0 as usize)
            }
        };
        rows.sort_by_cached_key(key);
        self.rows = rows;
        let found = keep.and_then(|id| {
            self.rows
                .iter()
                .position(|&i| self.entries.get(i).is_some_and(|e| e.id == id))
        });
        self.selected = found.unwrap_or(self.selected.min(self.rows.len().saturating_sub(1)));
    }
}

fn scope_rank(scope: MemoryScope) -> u8 {
    match scope {
        MemoryScope::User => 0,
        MemoryScope::Project => 1,
    }
}

/// Tab: all → user → this project → all (Shift+Tab the other way).
fn next_scope(scope: MemoryScopeFilter, back: bool) -> MemoryScopeFilter {
    use MemoryScopeFilter::*;
    match (scope, back) {
        (All, false) | (Project, true) => User,
        (User, false) | (All, true) => Project,
        (Project, false) | (User, true) => All,
    }
}

/// "user" / "this project".
pub fn scope_label(scope: MemoryScope) -> &'static str {
    match scope {
        MemoryScope::User => "user",
        MemoryScope::Project => "this project",
    }
}

/// "all" / "user" / "this project".
pub fn scope_filter_label(scope: MemoryScopeFilter) -> &'static str {
    match scope {
        MemoryScopeFilter::All => "all",
        MemoryScopeFilter::User => "user",
        MemoryScopeFilter::Project => "this project",
    }
}
