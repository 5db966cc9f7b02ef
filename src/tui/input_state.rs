//! The composer conventions' state and keys: Ctrl+D, the expiring Ctrl+C arming, Ctrl+R prompt
//! search, Ctrl+G / Ctrl+X Ctrl+E editing in `$EDITOR`, `!command`. `input.rs` offers every key
//! to [`convention_key`] first (after the overlays and panes above the composer); a popup of
//! this module, while open, takes keys and pastes.

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::app::App;
use super::complete_path::{PathAction, PathCompletion};
use super::prompt_edit;
use super::prompt_search::{PromptSearch, SearchAction};
use super::quit_arm::{QUIT_HINT, QuitArm};
use crate::protocol::{ErrorKind, Op};

#[derive(Default)]
pub struct InputState {
    pub quit: QuitArm,
    /// The Ctrl+R popup, when open.
    pub search: Option<PromptSearch>,
    /// Ctrl+X was pressed: Ctrl+E next opens the editor.
    ctrl_x: bool,
    /// The draft file open in the editor (Ctrl+G).
    prompt_file: Option<PathBuf>,
    /// The terminal reports Shift+Enter (advertised only then).
    pub shift_enter: bool,
    /// `@` file completion.
    pub paths: PathCompletion,
}

/// Keys of the conventions a popup of this module does not own. `None`: not ours, go on.
pub fn convention_key(app: &mut App, key: KeyEvent) -> Option<Vec<Op>> {
    if app.conv.search.is_some() {
        return Some(search_key(app, key));
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if key.code == KeyCode::Enter && key.modifiers.contains(KeyModifiers::SHIFT) {
        app.conv.shift_enter = true;
    }
    if std::mem::take(&mut app.conv.ctrl_x) && ctrl && key.code == KeyCode::Char('e') {
        return Some(start_prompt_edit(app));
    }
    match app.conv.paths.key(key, &app.composer.text()) {
        PathAction::Pass => {}
        PathAction::Handled => return Some(Vec::new()),
        PathAction::Complete(text) => {
            app.composer.set_text(&text);
            return Some(Vec::new());
        }
    }
    if key.code == KeyCode::Char('@') && !ctrl && !app.conv.paths.requested {
        // Asked once; the composer still gets the `@`.
        app.conv.paths.requested = true;
        app.outbox.push(Op::ListFiles);
    }
    match key.code {
        KeyCode::Char('d') if ctrl && app.composer.is_empty() => {
            app.quit_requested = true;
            Some(vec![Op::Shutdown])
        }
        KeyCode::Char('r') if ctrl => {
            app.conv.search = Some(PromptSearch::new(app.composer.history()));
            Some(Vec::new())
        }
        KeyCode::Char('g') if ctrl => Some(start_prompt_edit(app)),
        KeyCode::Char('x') if ctrl => {
            app.conv.ctrl_x = true;
            app.hint = Some("Ctrl+X: Ctrl+E edits the prompt in $EDITOR".into());
            Some(Vec::new())
        }
        _ => None,
    }
}

/// A paste while a popup of this module is open goes to it. True when taken.
pub fn convention_paste(app: &mut App, text: &str) -> bool {
    match app.conv.search.as_mut() {
        Some(search) => {
            search.paste(text);
            true
        }
        None => false,
    }
}

/// Draw this module's popup (if open) above the composer.
pub fn render_popups(app: &App, frame: &mut Frame, composer: Rect) {
    if let Some(search) = &app.conv.search {
        search.render(frame, composer, &app.theme);
    } else {
        let text = app.composer.text();
        app.conv.paths.render(frame, composer, &text, &app.theme);
    }
}

/// True when a popup of this module is open (the slash popup stays hidden meanwhile).
pub fn popup_open(app: &App) -> bool {
    app.conv.search.is_some()
}

fn search_key(app: &mut App, key: KeyEvent) -> Vec<Op> {
    let Some(search) = app.conv.search.as_mut() else {
        return Vec::new();
    };
    match search.key(key) {
        SearchAction::Stay => {}
        SearchAction::Close => app.conv.search = None,
        SearchAction::Accept(prompt) => {
            app.conv.search = None;
            app.composer.replace_all(&prompt);
        }
    }
    Vec::new()
}

fn start_prompt_edit(app: &mut App) -> Vec<Op> {
    match prompt_edit::write_draft(&std::env::temp_dir(), &app.composer.expanded_text()) {
        Ok(path) => {
            app.edit_request = Some(path.display().to_string());
            app.conv.prompt_file = Some(path);
        }
        Err(e) => app.push_error(ErrorKind::Internal, e),
    }
    Vec::new()
}

impl App {
    /// The editor closed: take the edited prompt back (when it was the prompt being edited).
    pub fn after_prompt_edit(&mut self) {
        if let Some(path) = self.conv.prompt_file.take()
            && let Err(e) = prompt_edit::read_back(&path, &mut self.composer)
        {
            self.push_error(ErrorKind::Internal, e);
        }
    }

    /// At any event: an expired Ctrl+C arming takes its hint with it (no timer runs for it).
    pub fn expire_quit_arming(&mut self) {
        if self.conv.quit.expired(self.clock.now()) {
            self.conv.quit.disarm();
            if self.hint.as_deref() == Some(QUIT_HINT) {
                self.hint = None;
            }
        }
    }
}

/// `!command` in the composer: the command to run (None for anything else, or a bare `!`).
pub fn bang_command(text: &str) -> Option<String> {
    let command = text.trim_start().strip_prefix('!')?.trim();
    (!command.is_empty()).then(|| command.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bang_commands() {
        assert_eq!(bang_command("!echo hi"), Some("echo hi".into()));
        assert_eq!(bang_command("  ! ls -l "), Some("ls -l".into()));
        assert_eq!(bang_command("!"), None);
        assert_eq!(bang_command("say !this"), None);
    }
}
