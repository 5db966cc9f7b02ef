//! The session pane: browse, filter, resume, fork, rename, archive, delete and export the
//! stored sessions. No I/O: the caller feeds it lists (`set_sessions`) and previews
//! (`set_preview`) from runtime events, and turns the returned [`PaneAction`]s into `Op`s.
//!
//! Without a filter the rows are a fork tree (roots newest first, each fork right under its
//! parent); with a filter they are a flat list ranked by a fuzzy score (`nucleo-matcher`) over
//! title, first prompt and working dir. Drawing lives in `session_pane/render.rs`.

mod fit;
mod preview;
pub(crate) mod render;
mod rows;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use nucleo_matcher::{Config, Matcher, Utf32String};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use fit::{keep_visible, one_line, relative_day, relative_time, truncate};

use super::filter_list::{FilterKey, FilterList, Typing};

use crate::protocol::{ExportFormat, HistoryItem, SessionOrigin, SessionScope, SessionSummary};

/// Longest filter or title the pane takes (more is cut, e.g. from a huge paste).
const MAX_TYPED: usize = 200;

/// What the caller should do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneAction {
    None,
    /// Close the pane.
    Close,
    /// Switch to this session (`Op::ResumeSession`) and close the pane.
    Resume(String),
    /// Start a child of this whole session (`Op::ForkSession { before_item: None }`).
    Fork(String),
    Rename {
        id: String,
        title: String,
    },
    SetArchived {
        id: String,
        archived: bool,
    },
    Delete(String),
    Export {
        id: String,
        format: ExportFormat,
    },
    /// The scope was toggled: list again (`Op::ListSessions`).
    SetScope(SessionScope),
    /// The selection is on a session whose preview is not cached (`Op::PreviewSession`).
    NeedPreview(String),
}

/// What the keys edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Browse,
    /// A one-line editor prefilled with the title.
    Rename {
        id: String,
        text: String,
    },
    /// "Delete «title» and its N messages? y/n"
    ConfirmDelete {
        id: String,
    },
}

/// One visible row: an index into the sessions, its depth in the fork tree and the tree guides
/// drawn before the title ("│  └─ "; empty for roots and in the filtered list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub idx: usize,
    pub depth: u16,
    pub prefix: String,
}

pub struct SessionPane {
    scope: SessionScope,
    /// Every session of the last list, headless runs included.
    all: Vec<SessionSummary>,
    /// The sessions shown: `all` without the headless runs unless `show_headless` (the
    /// current session is always shown). Rows index into this.
    sessions: Vec<SessionSummary>,
    /// Decided: headless (`-p`) runs are hidden by default (they are scripts' output, not
    /// conversations); ^T shows them, marked "-p".
    show_headless: bool,
    current: Option<String>,
    /// Replaced by "~" in working dirs; set by the caller (not read from the environment).
    home: Option<String>,
    /// The rows (tree or ranked matches), the filter typed, the selection and scroll.
    list: FilterList<Row>,
    previews: HashMap<String, Vec<HistoryItem>>,
    /// Previews asked for and not yet received (each is asked once).
    requested: HashSet<String>,
    loading: bool,
    mode: Mode,
    /// A one-shot message in the legend line ("a title cannot be empty").
    notice: Option<String>,
    /// The row's neighbour when a delete was confirmed: selected when the list without the
    /// deleted session arrives (the next row, else the one before).
    after_delete: Option<String>,
    matcher: Matcher,
    /// Per session: title, first prompt, shortened cwd, converted once per list.
    haystacks: Vec<[Utf32String; 3]>,
    /// (score, index) of the matches, reused across keystrokes.
    scored: Vec<(u32, usize)>,
    /// The filter `scored` was computed for ("" when stale).
    ranked_for: String,
    /// Indices to score, reused across keystrokes.
    candidates: Vec<usize>,
}

impl std::fmt::Debug for SessionPane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionPane")
            .field("scope", &self.scope)
            .field("sessions", &self.sessions.len())
            .field("filter", &self.list.filter())
            .field("selected", &self.list.selected())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl SessionPane {
    /// An empty pane showing "loading…" until the first `set_sessions`.
    pub fn new(scope: SessionScope) -> SessionPane {
        SessionPane {
            scope,
            all: Vec::new(),
            sessions: Vec::new(),
            show_headless: false,
            current: None,
            home: None,
            list: FilterList::new(Typing::Always, MAX_TYPED),
            previews: HashMap::new(),
            requested: HashSet::new(),
            loading: true,
            mode: Mode::Browse,
            notice: None,
            after_delete: None,
            matcher: Matcher::new(Config::DEFAULT),
            haystacks: Vec::new(),
            scored: Vec::new(),
            ranked_for: String::new(),
            candidates: Vec::new(),
        }
    }

    /// The home dir shown as "~" (call before `set_sessions` so the filter sees "~/…" too).
    pub fn set_home(&mut self, home: Option<String>) {
        self.home = home.filter(|h| !h.is_empty() && h != "/");
        self.rebuild_haystacks();
        self.refresh_rows(true);
    }

    pub fn scope(&self) -> SessionScope {
        self.scope
    }

    pub fn filter(&self) -> &str {
        self.list.filter()
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    pub fn is_loading(&self) -> bool {
        self.loading
    }

    /// The sessions shown (headless runs only when `shows_headless`).
    pub fn sessions(&self) -> &[SessionSummary] {
        &self.sessions
    }

    pub fn shows_headless(&self) -> bool {
        self.show_headless
    }

    /// Headless runs in the last list that are not shown.
    pub fn hidden_count(&self) -> usize {
        self.all.len() - self.sessions.len()
    }

    /// A list arrived (`Event::SessionList`). A list for another scope than the pane's (an
    /// answer to a request made before Tab) is ignored. Keeps the selection on the same
    /// session when it is still listed; cached previews of sessions that changed are dropped.
    /// Returns `NeedPreview` when the selection lands on a session without a cached preview.
    pub fn set_sessions(
        &mut self,
        scope: SessionScope,
        sessions: Vec<SessionSummary>,
        current: Option<String>,
    ) -> PaneAction {
        if scope != self.scope {
            return PaneAction::None;
        }
        let changed: Vec<String> = self
            .all
            .iter()
            .filter(|old| {
                !sessions
                    .iter()
                    .any(|s| s.id == old.id && s.updated_ms == old.updated_ms)
            })
            .map(|s| s.id.clone())
            .collect();
        for id in &changed {
            self.previews.remove(id);
            self.requested.remove(id);
        }
        let mut keep_id = self.selected_id().map(str::to_string);
        if let Some(next) = self.after_delete.take()
            && !keep_id
                .as_deref()
                .is_some_and(|k| sessions.iter().any(|s| s.id == k))
        {
            keep_id = Some(next);
        }
        self.all = sessions;
        self.current = current;
        self.loading = false;
        self.apply_visibility();
        self.refresh_rows_keeping(keep_id, true);
        if let Mode::Rename { id, .. } | Mode::ConfirmDelete { id } = &self.mode
            && !self.sessions.iter().any(|s| &s.id == id)
        {
            self.mode = Mode::Browse;
        }
        self.preview_request()
    }

    /// `sessions` from `all`: headless runs left out unless shown or current.
    fn apply_visibility(&mut self) {
        let show = self.show_headless;
        let current = self.current.as_deref();
        self.sessions = self
            .all
            .iter()
            .filter(|s| {
                show || s.origin != SessionOrigin::Headless || current == Some(s.id.as_str())
            })
            .cloned()
            .collect();
        self.rebuild_haystacks();
    }

    /// ^T: show or hide the headless runs, keeping the selection when it stays listed.
    fn toggle_headless(&mut self) -> PaneAction {
        self.show_headless = !self.show_headless;
        let keep_id = self.selected_id().map(str::to_string);
        self.apply_visibility();
        self.refresh_rows_keeping(keep_id, true);
        self.preview_request()
    }

    /// A preview arrived (`Event::SessionPreview`).
    pub fn set_preview(&mut self, id: String, items: Vec<HistoryItem>) {
        self.requested.remove(&id);
        self.previews.insert(id, items);
    }

    /// The session under the cursor.
    pub fn selected_id(&self) -> Option<&str> {
        self.selected_session().map(|s| s.id.as_str())
    }

    fn selected_session(&self) -> Option<&SessionSummary> {
        self.list
            .selected_row()
            .and_then(|r| self.sessions.get(r.idx))
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PaneAction {
        self.notice = None;
        match &self.mode {
            Mode::Browse => self.browse_key(key),
            Mode::Rename { .. } => self.rename_key(key),
            Mode::ConfirmDelete { .. } => self.delete_key(key),
        }
    }

    fn browse_key(&mut self, key: KeyEvent) -> PaneAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.list.nav_key(key, false) {
            return self.preview_request();
        }
        match key.code {
            KeyCode::Esc if !self.list.filter().is_empty() => self.set_filter(String::new()),
            KeyCode::Esc => PaneAction::Close,
            KeyCode::Char('c') if ctrl => PaneAction::Close,
            KeyCode::Enter => match self.selected_session() {
                Some(s) if self.current.as_deref() == Some(s.id.as_str()) => PaneAction::Close,
                Some(s) => PaneAction::Resume(s.id.clone()),
                None => PaneAction::None,
            },
            KeyCode::Tab | KeyCode::BackTab => {
                self.scope = match self.scope {
                    SessionScope::ThisDirectory => SessionScope::All,
                    SessionScope::All => SessionScope::ThisDirectory,
                };
                self.all.clear();
                self.sessions.clear();
                self.haystacks.clear();
                self.ranked_for.clear();
                self.list.clear();
                self.loading = true;
                PaneAction::SetScope(self.scope)
            }
            KeyCode::Char('r') if ctrl => {
                if let Some(s) = self.selected_session() {
                    self.mode = Mode::Rename {
                        id: s.id.clone(),
                        text: one_line(&s.title),
                    };
                }
                PaneAction::None
            }
            KeyCode::Char('d') if ctrl => {
                if let Some(s) = self.selected_session() {
                    self.mode = Mode::ConfirmDelete { id: s.id.clone() };
                }
                PaneAction::None
            }
            KeyCode::Char('f') if ctrl => self.on_selected(|s| PaneAction::Fork(s.id.clone())),
            KeyCode::Char('a') if ctrl => self.on_selected(|s| PaneAction::SetArchived {
                id: s.id.clone(),
                archived: !s.archived,
            }),
            KeyCode::Char('e') if ctrl => self.on_selected(|s| PaneAction::Export {
                id: s.id.clone(),
                format: ExportFormat::Markdown,
            }),
            KeyCode::Char('j') if ctrl => self.on_selected(|s| PaneAction::Export {
                id: s.id.clone(),
                format: ExportFormat::Jsonl,
            }),
            KeyCode::Char('t') if ctrl => self.toggle_headless(),
            _ => match self.list.filter_key(key) {
                FilterKey::Changed => self.filter_changed(),
                FilterKey::Kept | FilterKey::Ignored => PaneAction::None,
            },
        }
    }

    fn on_selected(&self, f: impl FnOnce(&SessionSummary) -> PaneAction) -> PaneAction {
        self.selected_session().map(f).unwrap_or(PaneAction::None)
    }

    fn rename_key(&mut self, key: KeyEvent) -> PaneAction {
        let Mode::Rename { id, text } = &mut self.mode else {
            return PaneAction::None;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.mode = Mode::Browse,
            KeyCode::Char('c') if ctrl => self.mode = Mode::Browse,
            KeyCode::Enter => {
                let title = text.trim().to_string();
                if title.is_empty() {
                    self.notice = Some("a title cannot be empty".into());
                    return PaneAction::None;
                }
                let id = id.clone();
                self.mode = Mode::Browse;
                return PaneAction::Rename { id, title };
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Char(c) if !ctrl && !c.is_control() && text.chars().count() < MAX_TYPED => {
                text.push(c)
            }
            _ => {}
        }
        PaneAction::None
    }

    fn delete_key(&mut self, key: KeyEvent) -> PaneAction {
        let Mode::ConfirmDelete { id } = &self.mode else {
            return PaneAction::None;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') if !ctrl => {
                let id = id.clone();
                self.mode = Mode::Browse;
                self.after_delete = self.neighbour_of(&id);
                PaneAction::Delete(id)
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                self.mode = Mode::Browse;
                PaneAction::None
            }
            KeyCode::Char('c') if ctrl => {
                self.mode = Mode::Browse;
                PaneAction::None
            }
            _ => PaneAction::None,
        }
    }

    /// The id of the row after `id`'s row, else the one before it.
    fn neighbour_of(&self, id: &str) -> Option<String> {
        let rows = self.list.rows();
        let at = rows
            .iter()
            .position(|r| self.sessions.get(r.idx).is_some_and(|s| s.id == id))?;
        let pick = |k: usize| {
            rows.get(k)
                .and_then(|r| self.sessions.get(r.idx))
                .map(|s| s.id.clone())
        };
        pick(at + 1).or_else(|| at.checked_sub(1).and_then(pick))
    }

    /// A runtime notice while the pane is open (an export's path, a delete's result): shown in
    /// the legend line, since the transcript is hidden behind the pane.
    pub fn show_notice(&mut self, text: &str) {
        self.notice = Some(one_line(text));
    }

    /// Paste into the filter (or the rename line); newlines become spaces.
    pub fn paste(&mut self, text: &str) -> PaneAction {
        // A huge paste (10 MB) keeps only what a filter or a title can use.
        let head: String = text.chars().take(MAX_TYPED * 4).collect();
        let clean = one_line(&head);
        match &mut self.mode {
            Mode::Browse => match self.list.paste(&clean) {
                FilterKey::Changed => self.filter_changed(),
                FilterKey::Kept | FilterKey::Ignored => PaneAction::None,
            },
            Mode::Rename { text, .. } => {
                let room = MAX_TYPED.saturating_sub(text.chars().count());
                text.extend(clean.chars().take(room));
                PaneAction::None
            }
            Mode::ConfirmDelete { .. } => PaneAction::None,
        }
    }

    fn set_filter(&mut self, filter: String) -> PaneAction {
        match self.list.set_filter(filter) {
            FilterKey::Changed => self.filter_changed(),
            FilterKey::Kept | FilterKey::Ignored => PaneAction::None,
        }
    }

    /// The filter text changed: rank again, the best match selected.
    fn filter_changed(&mut self) -> PaneAction {
        self.refresh_rows(false);
        self.preview_request()
    }

    /// `NeedPreview` for the selected session, once, unless cached.
    fn preview_request(&mut self) -> PaneAction {
        let Some(id) = self.selected_id().map(str::to_string) else {
            return PaneAction::None;
        };
        if self.previews.contains_key(&id) || !self.requested.insert(id.clone()) {
            return PaneAction::None;
        }
        PaneAction::NeedPreview(id)
    }

    /// Recompute the rows: the tree without a filter, ranked matches with one. `keep` keeps
    /// the selection on the same session (a new list); otherwise the best match is selected.
    fn refresh_rows(&mut self, keep: bool) {
        let keep_id = if keep {
            self.selected_id().map(str::to_string)
        } else {
            None
        };
        self.refresh_rows_keeping(keep_id, keep);
    }

    fn refresh_rows_keeping(&mut self, keep_id: Option<String>, keep: bool) {
        let rows = if self.list.filter().trim().is_empty() {
            self.ranked_for.clear();
            rows::tree(&self.sessions)
        } else {
            self.rank()
        };
        if !keep {
            self.list.set_rows_from_top(rows);
            return;
        }
        let sessions = &self.sessions;
        self.list.set_rows(rows, |r| {
            keep_id
                .as_deref()
                .is_some_and(|id| sessions.get(r.idx).is_some_and(|s| s.id == id))
        });
    }
}
