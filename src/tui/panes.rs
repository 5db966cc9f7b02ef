//! The session pane and the fork picker wired into the app: keys → pane actions → `Op`s, and
//! the runtime's answers back into the panes.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::App;
use super::fork_picker::{ForkAction, ForkPicker};
use super::session_pane::{PaneAction, SessionPane};
use crate::protocol::{ExportFormat, NoticeLevel, Op, SessionList, SessionPreview, SessionScope};

impl App {
    /// Open the session pane (F2, Ctrl+S, `/sessions`, `--resume`), filtered by `filter`.
    pub fn open_sessions(&mut self, scope: SessionScope, filter: &str) -> Vec<Op> {
        let mut pane = SessionPane::new(scope);
        pane.set_home(self.home.clone());
        if !filter.is_empty() {
            let _ = pane.paste(filter);
        }
        self.sessions = Some(pane);
        vec![Op::ListSessions { scope }]
    }

    /// Keys while the session pane is open.
    pub fn session_pane_key(&mut self, key: KeyEvent) -> Vec<Op> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.sessions = None;
            return Vec::new();
        }
        let Some(pane) = self.sessions.as_mut() else {
            return Vec::new();
        };
        let action = pane.handle_key(key);
        self.pane_action(action)
    }

    pub fn session_pane_paste(&mut self, text: &str) -> Vec<Op> {
        let Some(pane) = self.sessions.as_mut() else {
            return Vec::new();
        };
        let action = pane.paste(text);
        self.pane_action(action)
    }

    fn pane_action(&mut self, action: PaneAction) -> Vec<Op> {
        match action {
            PaneAction::None => Vec::new(),
            PaneAction::Close => {
                self.sessions = None;
                Vec::new()
            }
            PaneAction::Resume(id) => {
                self.sessions = None;
                if self.session_id.as_deref() == Some(id.as_str()) {
                    return Vec::new();
                }
                vec![Op::ResumeSession { id }]
            }
            PaneAction::Fork(id) => {
                self.sessions = None;
                vec![Op::ForkSession {
                    id,
                    before_item: None,
                }]
            }
            PaneAction::Rename { id, title } => vec![Op::RenameSession { id, title }],
            PaneAction::SetArchived { id, archived } => vec![Op::ArchiveSession { id, archived }],
            PaneAction::Delete(id) => vec![Op::DeleteSession { id }],
            PaneAction::Export { id, format } => vec![Op::ExportSession { id, format }],
            PaneAction::SetScope(scope) => vec![Op::ListSessions { scope }],
            PaneAction::NeedPreview(id) => vec![Op::PreviewSession { id }],
        }
    }

    /// `Event::SessionList`.
    pub(super) fn on_session_list(&mut self, list: SessionList) {
        if let Some(pane) = self.sessions.as_mut() {
            let action = pane.set_sessions(list.scope, list.sessions, list.current);
            let ops = self.pane_action(action);
            self.effects.ops(ops);
        }
    }

    /// `Event::Notice`: into the transcript, and into the session pane's legend while it is
    /// open (an export's path or a delete is confirmed where the user is looking).
    pub fn on_runtime_notice(&mut self, level: NoticeLevel, message: String) {
        if let Some(pane) = self.sessions.as_mut() {
            pane.show_notice(&message);
        }
        self.push_notice(level, message);
    }

    /// `Event::SessionPreview`.
    pub(super) fn on_session_preview(&mut self, preview: SessionPreview) {
        if let Some(pane) = self.sessions.as_mut() {
            pane.set_preview(preview.id, preview.items);
        }
    }

    /// `/fork`: pick one of this session's messages to branch from.
    pub fn open_fork_picker(&mut self) {
        if self.session_id.is_none() || self.user_items.is_empty() {
            self.push_notice(
                NoticeLevel::Info,
                "nothing to fork yet: send a message first (F2 forks a stored session)",
            );
            return;
        }
        self.fork_picker = Some(ForkPicker::new(self.user_items.clone()));
    }

    pub fn fork_picker_key(&mut self, key: KeyEvent) -> Vec<Op> {
        let Some(picker) = self.fork_picker.as_mut() else {
            return Vec::new();
        };
        match picker.handle_key(key) {
            ForkAction::None => Vec::new(),
            ForkAction::Close => {
                self.fork_picker = None;
                Vec::new()
            }
            ForkAction::Fork { before_item, text } => {
                self.fork_picker = None;
                let Some(id) = self.session_id.clone() else {
                    return Vec::new();
                };
                self.composer.set_text(&text);
                self.hint = Some("forked: edit the message and press Enter".into());
                vec![Op::ForkSession {
                    id,
                    before_item: Some(before_item),
                }]
            }
        }
    }

    /// `/rename TITLE` for the current session.
    pub fn rename_current(&mut self, title: String) -> Vec<Op> {
        match (&self.session_id, title.trim()) {
            (_, "") => {
                self.push_notice(
                    NoticeLevel::Info,
                    "/rename needs the new title: /rename TITLE (or r in the session pane, F2)",
                );
                Vec::new()
            }
            (None, _) => {
                self.push_notice(
                    NoticeLevel::Info,
                    "nothing to rename: this session is not stored yet",
                );
                Vec::new()
            }
            (Some(id), t) => {
                let op = Op::RenameSession {
                    id: id.clone(),
                    title: t.to_string(),
                };
                self.push_notice(NoticeLevel::Info, format!("renamed this session to «{t}»"));
                vec![op]
            }
        }
    }

    /// `/export [md|jsonl]` for the current session.
    pub fn export_current(&mut self, format: &str) -> Vec<Op> {
        let format = match format.trim() {
            "" | "md" | "markdown" => ExportFormat::Markdown,
            "jsonl" | "json" => ExportFormat::Jsonl,
            other => {
                self.push_notice(
                    NoticeLevel::Warning,
                    format!("unknown export format `{other}`: use /export md or /export jsonl"),
                );
                return Vec::new();
            }
        };
        match &self.session_id {
            Some(id) => vec![Op::ExportSession {
                id: id.clone(),
                format,
            }],
            None => {
                self.push_notice(
                    NoticeLevel::Info,
                    "nothing to export: this session is not stored yet",
                );
                Vec::new()
            }
        }
    }
}
