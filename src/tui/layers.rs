//! The layer stack. At the base: the composer and the transcript (with the slash popup);
//! above it, in this order: the `@` file list and the Ctrl+R prompt search (popups of the
//! composer), help, the session pane, the skills pane, the memory pane, the fork picker, the
//! project trust question, the approval overlay. `top` is the ONE place that decides which
//! layer has focus: keys, pastes, mouse events and drawing all go through it, so a paste can
//! never land in the composer under an open question.
//!
//! A new pane or popup is one more `Layer` variant: its place in `STACK`, an `is_open` arm,
//! and one arm in each of `key`, `paste` and `view::draw_layer`.

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};

use super::app::{App, Overlay};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Composer + transcript (+ slash popup).
    Base,
    /// The `@` file list above the composer: its keys pick, other keys keep typing.
    PathCompletion,
    /// Ctrl+R: search earlier prompts.
    PromptSearch,
    Help,
    Sessions,
    Skills,
    Memory,
    /// `/task plan|apply`: the plan and the steps as they run.
    Task,
    ForkPicker,
    Trust,
    Approval,
}

/// The layers above the base, bottom to top.
pub const STACK: [Layer; 10] = [
    Layer::PathCompletion,
    Layer::PromptSearch,
    Layer::Help,
    Layer::Sessions,
    Layer::Skills,
    Layer::Memory,
    Layer::Task,
    Layer::ForkPicker,
    Layer::Trust,
    Layer::Approval,
];

/// Transcript rows one wheel notch scrolls.
pub const WHEEL_ROWS: usize = 3;

fn is_open(app: &App, layer: Layer) -> bool {
    match layer {
        Layer::Base => true,
        Layer::PathCompletion => super::input_state::path_popup_open(app),
        Layer::PromptSearch => app.conv.search.is_some(),
        Layer::Help => app.overlay == Some(Overlay::Help),
        Layer::Sessions => app.sessions.is_some(),
        Layer::Skills => app.skills_pane.is_some(),
        Layer::Memory => app.memory_pane.is_some(),
        Layer::Task => app.task_pane.as_ref().is_some_and(|p| p.visible),
        Layer::ForkPicker => app.fork_picker.is_some(),
        Layer::Trust => app.trust_request.is_some(),
        Layer::Approval => app.approvals.is_open(),
    }
}

/// The open layers, bottom (always `Base`) to top: the order they are drawn in.
pub fn open_layers(app: &App) -> Vec<Layer> {
    std::iter::once(Layer::Base)
        .chain(STACK.into_iter().filter(|l| is_open(app, *l)))
        .collect()
}

/// The layer that has focus.
pub fn top(app: &App) -> Layer {
    STACK
        .into_iter()
        .rev()
        .find(|l| is_open(app, *l))
        .unwrap_or(Layer::Base)
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// One key press, to the top layer. Returns the layer that took it.
pub fn key(app: &mut App, key: KeyEvent) -> Layer {
    let layer = top(app);
    if key.kind == KeyEventKind::Release {
        return layer;
    }
    let was_armed = app.conv.quit.take(app.clock.now());
    app.hint = None;
    let ops = match layer {
        // Approvals take every key until answered (Ctrl+C answers "no, stop").
        Layer::Approval => app
            .approvals
            .handle_key(key)
            .map(
                |(request_id, decision)| crate::protocol::Op::ApprovalDecision {
                    request_id,
                    decision,
                },
            )
            .into_iter()
            .collect(),
        Layer::Trust => app.trust_key(key),
        Layer::ForkPicker => app.fork_picker_key(key),
        Layer::Skills if is_ctrl_c(&key) => {
            app.skills_pane = None;
            Vec::new()
        }
        Layer::Skills => app.skills_pane_key(key),
        Layer::Sessions => app.session_pane_key(key),
        Layer::Memory => app.memory_pane_key(key),
        Layer::Task => app.task_pane_key(key),
        Layer::Help => {
            if help_scroll_key(app, &key) {
                return layer;
            }
            // Any other key closes the help; Ctrl+C still counts towards quitting.
            app.overlay = None;
            if !is_ctrl_c(&key) {
                return layer;
            }
            super::input::base_key(app, key, was_armed)
        }
        Layer::PromptSearch => super::input_state::search_key(app, key),
        Layer::PathCompletion => super::input_state::path_key(app, key, was_armed),
        Layer::Base => super::input::base_key(app, key, was_armed),
    };
    app.effects.ops(ops);
    layer
}

/// Up / Down / PgUp / PgDn / Home scroll the help; true when the key did.
fn help_scroll_key(app: &mut App, key: &KeyEvent) -> bool {
    let s = &mut app.help_scroll;
    match key.code {
        KeyCode::Up => *s = s.saturating_sub(1),
        KeyCode::Down => *s = s.saturating_add(1),
        KeyCode::PageUp => *s = s.saturating_sub(10),
        KeyCode::PageDown => *s = s.saturating_add(10),
        KeyCode::Home => *s = 0,
        _ => return false,
    }
    true
}

/// A bracketed paste, to the top layer. Only the base puts it in the composer.
pub fn paste(app: &mut App, text: &str) -> Layer {
    let layer = top(app);
    let ops = match layer {
        Layer::Approval => {
            app.approvals.paste(text);
            Vec::new()
        }
        // A question and a picker take no text: the paste is dropped, not passed down.
        Layer::Trust | Layer::ForkPicker | Layer::Task => Vec::new(),
        Layer::Help => {
            app.overlay = None;
            Vec::new()
        }
        Layer::Skills => app.skills_pane_paste(text),
        Layer::Sessions => app.session_pane_paste(text),
        Layer::Memory => app.memory_pane_paste(text),
        Layer::PromptSearch => {
            super::input_state::search_paste(app, text);
            Vec::new()
        }
        // Typing an `@word` goes on: a paste joins the composer.
        Layer::Base | Layer::PathCompletion => {
            super::input::base_paste(app, text);
            Vec::new()
        }
    };
    app.effects.ops(ops);
    layer
}

/// A mouse event. The wheel scrolls the transcript on the base and moves through lists in
/// panes (as Up / Down); clicks and drags are ignored (Shift+drag selects natively).
pub fn mouse(app: &mut App, ev: MouseEvent) -> Layer {
    let layer = top(app);
    let down = match ev.kind {
        MouseEventKind::ScrollUp => false,
        MouseEventKind::ScrollDown => true,
        _ => return layer,
    };
    match layer {
        Layer::Base => {
            let (theme, hl) = (&app.theme, &app.highlighter);
            if down {
                app.transcript.scroll_down(WHEEL_ROWS, theme, hl);
            } else {
                app.transcript.scroll_up(WHEEL_ROWS, theme, hl);
            }
        }
        // A question must be answered with a key: the wheel does not answer it.
        Layer::Trust => {}
        Layer::Approval
        | Layer::PathCompletion
        | Layer::PromptSearch
        | Layer::Help
        | Layer::Sessions
        | Layer::Skills
        | Layer::Memory
        | Layer::Task
        | Layer::ForkPicker => {
            let code = if down { KeyCode::Down } else { KeyCode::Up };
            let quit_arm = app.conv.quit;
            key(app, KeyEvent::new(code, KeyModifiers::NONE));
            app.conv.quit = quit_arm;
        }
    }
    layer
}

#[cfg(test)]
#[path = "layers_tests.rs"]
mod tests;
