//! The composer conventions' state and handlers: Ctrl+D, the expiring Ctrl+C arming, Ctrl+R
//! prompt search, Ctrl+G / Ctrl+X Ctrl+E editing in `$EDITOR`, `@` file completion, `!command`.
//! Their keys are rows of `keymap::BASE` (so the help lists them); the two popups are layers
//! (`Layer::PromptSearch`, `Layer::PathCompletion`), so keys, pastes and drawing reach them
//! through `layers::top` like every other layer; what leaves the UI is an `Effect`.

use std::path::Path;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::app::App;
use super::complete_path::{PathAction, PathCompletion, at_word};
use super::effect::Effect;
use super::keymap::BaseAction;
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
    /// The terminal reports Shift+Enter (advertised only then).
    pub shift_enter: bool,
    /// `@` file completion.
    pub paths: PathCompletion,
    /// An interrupt for the running turn was sent (a further Ctrl+C arms quitting instead).
    pub interrupt_sent: bool,
    /// Messages waiting in the runtime's queue (`queue_view.rs`).
    pub queue: super::queue_view::QueueView,
}

/// Before the base layer's key table: what the conventions watch for in every key. `Some`
/// when the key was taken.
pub fn before_base_key(app: &mut App, key: &KeyEvent) -> Option<Vec<Op>> {
    if let Some(ops) = super::queue_view::queue_key(app, key) {
        return Some(ops);
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if key.code == KeyCode::Enter && key.modifiers.contains(KeyModifiers::SHIFT) {
        app.conv.shift_enter = true;
    }
    if std::mem::take(&mut app.conv.ctrl_x) && ctrl && key.code == KeyCode::Char('e') {
        start_prompt_edit(app);
        return Some(Vec::new());
    }
    None
}

/// A key-table action of the conventions (`keymap::BaseAction`); false when not one of ours.
pub fn base_action(app: &mut App, action: BaseAction) -> bool {
    match action {
        BaseAction::Quit => app.effects.push(Effect::Quit),
        BaseAction::SearchPrompts => {
            app.conv.search = Some(PromptSearch::new(app.composer.history()));
        }
        BaseAction::EditPrompt => start_prompt_edit(app),
        BaseAction::EditChordPrefix => {
            app.conv.ctrl_x = true;
            app.hint = Some("Ctrl+X: Ctrl+E edits the prompt in $EDITOR".into());
        }
        _ => return false,
    }
    true
}

/// The composer's text changed: an `@word` being typed asks for the workspace's files (once
/// until the next turn ends).
pub fn after_composer_change(app: &mut App) {
    if !app.conv.paths.requested && at_word(&app.composer.text()).is_some() {
        app.conv.paths.requested = true;
        app.effects.ops([Op::ListFiles]);
    }
}

/// Is the `@` file list showing?
pub fn path_popup_open(app: &App) -> bool {
    app.conv.paths.is_open(&app.composer.text())
}

/// A key for the `@` file list layer: its own keys move and pick; the rest keep typing in the
/// composer (the base layer).
pub fn path_key(app: &mut App, key: KeyEvent, was_armed: bool) -> Vec<Op> {
    match app.conv.paths.key(key, &app.composer.text()) {
        PathAction::Pass => super::input::base_key(app, key, was_armed),
        PathAction::Handled => Vec::new(),
        PathAction::Complete(text) => {
            app.composer.set_text(&text);
            Vec::new()
        }
    }
}

/// A key for the Ctrl+R search layer: it takes every key.
pub fn search_key(app: &mut App, key: KeyEvent) -> Vec<Op> {
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

/// A paste for the Ctrl+R search layer: into its query.
pub fn search_paste(app: &mut App, text: &str) {
    if let Some(search) = app.conv.search.as_mut() {
        search.paste(text);
    }
}

/// Draw the Ctrl+R search layer above `composer`.
pub fn render_search(app: &App, frame: &mut Frame, composer: Rect) {
    if let Some(search) = &app.conv.search {
        search.render(frame, composer, &app.theme);
    }
}

/// Draw the `@` file list layer above `composer`.
pub fn render_paths(app: &App, frame: &mut Frame, composer: Rect) {
    let text = app.composer.text();
    app.conv.paths.render(frame, composer, &text, &app.theme);
}

fn start_prompt_edit(app: &mut App) {
    match prompt_edit::write_draft(&std::env::temp_dir(), &app.composer.expanded_text()) {
        Ok(path) => app.effects.push(Effect::EditPrompt(path)),
        Err(e) => app.push_error(ErrorKind::Internal, e),
    }
}

impl App {
    /// The editor closed on the prompt's draft file: its text becomes the composer's.
    pub fn after_prompt_edit(&mut self, path: &Path) {
        if let Err(e) = prompt_edit::read_back(path, &mut self.composer) {
            self.push_error(ErrorKind::Internal, e);
        }
    }

    /// At any event: an expired Ctrl+C arming takes its hint with it.
    pub fn expire_quit_arming(&mut self) {
        if self.conv.quit.expired(self.clock.now()) {
            self.quit_arming_ran_out();
        }
    }

    /// The arming's deadline passed (the loop's one wake for it): disarm, drop the hint.
    pub fn quit_arming_ran_out(&mut self) {
        self.conv.quit.disarm();
        if self.hint.as_deref() == Some(QUIT_HINT) {
            self.hint = None;
        }
    }
}

/// `!command` in the composer: the command to run (None for anything else, or a bare `!`).
pub fn bang_command(text: &str) -> Option<String> {
    let command = text.trim_start().strip_prefix('!')?.trim();
    (!command.is_empty()).then(|| command.to_string())
}

#[cfg(test)]
#[path = "input_state_tests.rs"]
mod tests;
