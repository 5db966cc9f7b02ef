//! Keys and pastes → UI state changes and `Op`s for the runtime.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::app::App;
use super::composer::is_newline_key;
use super::effect::Effect;
use super::input_state;
use super::keymap::{self, BaseAction};
use super::quit_arm::QUIT_HINT;
use super::slash::{self, Parsed};
use crate::protocol::{
    ApprovalMode, ComposedMessage, ErrorKind, NoticeLevel, Op, PasteSpan, SessionScope,
};

/// Shift+Tab: plan → ask → auto-edit → yolo → plan.
fn next_mode(mode: ApprovalMode) -> ApprovalMode {
    match mode {
        ApprovalMode::Plan => ApprovalMode::Ask,
        ApprovalMode::Ask => ApprovalMode::AutoEdit,
        ApprovalMode::AutoEdit => ApprovalMode::Yolo,
        ApprovalMode::Yolo => ApprovalMode::Plan,
    }
}

/// A key for the base layer (composer + transcript); `layers::key` routes here when no
/// overlay, pane or question is open. Returns what to send to the runtime.
pub fn base_key(app: &mut App, key: KeyEvent, was_armed: bool) -> Vec<Op> {
    if let Some(ops) = input_state::before_base_key(app, &key) {
        return ops;
    }
    if let Some(action) = keymap::base_action(&key, app.composer.is_empty()) {
        return base_action(app, action, was_armed);
    }
    match key.code {
        // While the transcript is scrolled back, arrows scroll it (a wheel under alternate
        // scroll arrives as arrows) instead of walking the prompt history.
        KeyCode::Up | KeyCode::Down
            if app.composer.is_empty()
                && key.modifiers.is_empty()
                && app.transcript.scroll != super::transcript::Scroll::Follow =>
        {
            let (theme, hl) = (&app.theme, &app.highlighter);
            if key.code == KeyCode::Up {
                app.transcript.scroll_up(1, theme, hl);
            } else {
                app.transcript.scroll_down(1, theme, hl);
            }
            return Vec::new();
        }
        _ => {}
    }

    let popup = popup_items(app);
    if !popup.is_empty() {
        match key.code {
            KeyCode::Up => {
                app.slash_selected = app.slash_selected.checked_sub(1).unwrap_or(popup.len() - 1);
                return Vec::new();
            }
            KeyCode::Down => {
                app.slash_selected = (app.slash_selected + 1) % popup.len();
                return Vec::new();
            }
            KeyCode::Tab => {
                if let Some(cmd) = popup.get(app.slash_selected.min(popup.len() - 1)) {
                    app.composer.set_text(&format!("/{} ", cmd.name));
                }
                return Vec::new();
            }
            KeyCode::Enter if key.modifiers.is_empty() => {
                if let Some(cmd) = popup.get(app.slash_selected.min(popup.len() - 1)) {
                    if cmd.args.starts_with('[') || cmd.args.is_empty() {
                        app.composer.set_text(&format!("/{}", cmd.name));
                    } else {
                        app.composer.set_text(&format!("/{} ", cmd.name));
                        return Vec::new();
                    }
                }
            }
            _ => {}
        }
    }

    if is_newline_key(&key) {
        app.composer.insert_newline();
        return Vec::new();
    }
    match key.code {
        KeyCode::Enter => return submit(app),
        KeyCode::Up if app.composer.cursor_on_first_line() && app.composer.history_prev() => {
            return Vec::new();
        }
        KeyCode::Down if app.composer.cursor_on_last_line() && app.composer.history_next() => {
            return Vec::new();
        }
        _ => {}
    }
    let before = app.composer.text();
    app.composer.input(key);
    if app.composer.text() != before {
        app.slash_dismissed = false;
        app.slash_selected = 0;
        input_state::after_composer_change(app);
    }
    Vec::new()
}

/// A bracketed paste for the base layer: into the composer.
pub fn base_paste(app: &mut App, text: &str) {
    app.conv.quit.disarm();
    app.composer.paste(text);
    app.slash_dismissed = false;
    input_state::after_composer_change(app);
}

pub fn popup_items(app: &App) -> Vec<slash::PopupItem> {
    if app.slash_dismissed || app.composer.text().contains('\n') || app.conv.search.is_some() {
        return Vec::new();
    }
    slash::matches_with_skills(&app.composer.text(), &app.skills)
}

/// Run a key-table action of the base layer.
fn base_action(app: &mut App, action: BaseAction, was_armed: bool) -> Vec<Op> {
    if input_state::base_action(app, action) {
        return Vec::new();
    }
    let (theme, hl) = (&app.theme, &app.highlighter);
    match action {
        BaseAction::ClearOrQuit => return ctrl_c(app, was_armed),
        BaseAction::Stop => return esc(app),
        BaseAction::Suspend => app.effects.push(Effect::Suspend),
        BaseAction::ToggleToolOutput => app.toggle_tool_output(),
        BaseAction::CycleMode => {
            return vec![Op::SetMode {
                mode: next_mode(app.mode),
            }];
        }
        BaseAction::Sessions => return app.open_sessions(SessionScope::ThisDirectory, ""),
        BaseAction::Skills => return app.open_skills_pane(),
        BaseAction::Memory => return app.open_memory_pane(),
        BaseAction::UndoMemory => return app.undo_memory_change(),
        BaseAction::Help => app.open_help(),
        BaseAction::UseFound => return app.use_found_profile(),
        BaseAction::PageUp if app.onboarding_shown() => app.scroll_onboarding(false),
        BaseAction::PageDown if app.onboarding_shown() => app.scroll_onboarding(true),
        BaseAction::PageUp => app.transcript.page_up(theme, hl),
        BaseAction::PageDown => app.transcript.page_down(theme, hl),
        BaseAction::Top => app.transcript.home(),
        BaseAction::Bottom => app.transcript.end(),
        BaseAction::Quit
        | BaseAction::SearchPrompts
        | BaseAction::EditPrompt
        | BaseAction::EditChordPrefix => {} // input_state::base_action
    }
    Vec::new()
}

/// Ctrl+C: clear the composer; else quit when armed; else interrupt a running turn (once:
/// that does not arm quitting); else arm quitting.
fn ctrl_c(app: &mut App, was_armed: bool) -> Vec<Op> {
    if !app.composer.is_empty() {
        app.composer.clear();
        return Vec::new();
    }
    if was_armed {
        app.effects.push(Effect::Quit);
        return Vec::new();
    }
    if app.turn.running() && !app.conv.interrupt_sent {
        return interrupt(app);
    }
    app.conv.quit.arm(app.clock.now());
    app.hint = Some(QUIT_HINT.into());
    Vec::new()
}

fn esc(app: &mut App) -> Vec<Op> {
    if !popup_items(app).is_empty() {
        app.slash_dismissed = true;
        return Vec::new();
    }
    if app.turn.running() {
        return interrupt(app);
    }
    Vec::new()
}

fn interrupt(app: &mut App) -> Vec<Op> {
    app.conv.interrupt_sent = true;
    app.hint = Some(super::app::INTERRUPTING.into());
    vec![Op::Interrupt]
}

fn submit(app: &mut App) -> Vec<Op> {
    let text = app.composer.text();
    if let Some(Parsed::Unknown(name)) = slash::parse(&text) {
        let args = text
            .trim_start()
            .trim_start_matches('/')
            .strip_prefix(name.as_str())
            .unwrap_or("")
            .trim();
        if let Some(op) = app.skill_command(&name, args) {
            app.composer.take_message();
            app.transcript.end();
            return vec![op];
        }
    }
    if let Some(cmd) = slash::parse(&text) {
        return run_command(app, cmd);
    }
    if let Some(command) = input_state::bang_command(&text) {
        if app.turn.running() {
            app.hint = Some(format!(
                "a reply is running: Enter again to run !{command} when it ends"
            ));
            return Vec::new();
        }
        app.composer.take_message();
        app.transcript.end();
        return vec![Op::RunShell { command }];
    }
    if app.provider.is_none() {
        app.push_error(
            ErrorKind::NoProvider,
            "no model is configured yet, so nothing was sent (your text is still in the composer). See the setup notes above, or /model PROFILE",
        );
        return Vec::new();
    }
    let Some(mut message) = app.composer.take_composed() else {
        return Vec::new();
    };
    literal_slash(&mut message);
    if app.turn.running() {
        app.queued += 1;
        app.hint = Some("queued: sent when the current reply ends".into());
    }
    app.transcript.end();
    if message.pastes.is_empty() {
        vec![Op::UserMessage { text: message.text }]
    } else {
        vec![Op::ComposedMessage(message)]
    }
}

/// `//text` sends `/text` (a message that starts with a slash, not a command); the pasted
/// parts move with the text.
fn literal_slash(message: &mut ComposedMessage) {
    let Some(rest) = message.text.trim_start().strip_prefix("//") else {
        return;
    };
    let shift = message.text.len() - rest.len() - 1;
    message.text = format!("/{rest}");
    message.pastes = message
        .pastes
        .iter()
        .filter(|p| p.start > shift)
        .map(|p| PasteSpan {
            start: p.start - shift,
            end: p.end - shift,
        })
        .collect();
}

fn run_command(app: &mut App, cmd: Parsed) -> Vec<Op> {
    app.composer.clear();
    app.slash_dismissed = false;
    app.slash_selected = 0;
    match cmd {
        Parsed::Help => {
            app.open_help();
            Vec::new()
        }
        Parsed::New => vec![Op::NewSession],
        Parsed::Model(name) => {
            vec![Op::SetModel { name }]
        }
        Parsed::Mode(name) => {
            if name.is_empty() {
                app.push_notice(
                    NoticeLevel::Info,
                    format!(
                        "mode: {}. Modes: plan, ask, auto-edit, yolo (/mode NAME, or Shift+Tab to cycle)",
                        super::app::mode_help(app.mode)
                    ),
                );
                return Vec::new();
            }
            match ApprovalMode::parse(&name) {
                Some(mode) => vec![Op::SetMode { mode }],
                None => {
                    app.push_error(
                        ErrorKind::Config,
                        format!("unknown mode `{name}`: use plan, ask, auto-edit or yolo"),
                    );
                    Vec::new()
                }
            }
        }
        Parsed::Sessions => app.open_sessions(SessionScope::ThisDirectory, ""),
        Parsed::Fork => {
            app.open_fork_picker();
            Vec::new()
        }
        Parsed::Rename(title) => app.rename_current(title),
        Parsed::Compact => vec![Op::Compact],
        Parsed::Context(draft) => vec![Op::ShowContext { draft }],
        Parsed::Skills => app.open_skills_pane(),
        Parsed::Memory => app.open_memory_pane(),
        Parsed::Task(args) => app.task_command(&args),
        Parsed::Init => app.init_agents_md(),
        Parsed::Export(format) => app.export_current(&format),
        Parsed::Copy => {
            match super::copy::copy_text(&app.transcript) {
                Some(text) => app.effects.push(Effect::Copy(text)),
                None => app.push_notice(NoticeLevel::Info, "nothing to copy yet: no reply"),
            }
            Vec::new()
        }
        Parsed::Quit => {
            app.effects.push(Effect::Quit);
            Vec::new()
        }
        Parsed::Unknown(name) => {
            app.push_notice(
                NoticeLevel::Warning,
                format!("unknown command /{name} — /help lists them (start with // to send text beginning with /)"),
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::SessionConfigured;
    use crate::protocol::{Event, ProviderInfo, ProviderKind};
    use crate::tui::app::Overlay;
    use crate::tui::theme::Theme;
    use ratatui::crossterm::event::KeyModifiers;

    fn app() -> App {
        let mut app = App::new(Theme::dark());
        app.on_event(Event::SessionConfigured(SessionConfigured {
            session_id: None,
            provider: Some(ProviderInfo {
                profile: "p".into(),
                kind: ProviderKind::Openai,
                model: "m".into(),
                base_url: "u".into(),
            }),
            history: vec![],
            input_history: vec!["earlier".into()],
            session_tokens: 0,
        }));
        app
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Op> {
        crate::tui::layers::key(app, KeyEvent::new(code, KeyModifiers::NONE));
        app.effects.take_ops()
    }

    /// A Ctrl chord; the effects it queued.
    fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
        crate::tui::layers::key(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
        app.effects.drain()
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }

    #[test]
    fn enter_sends_and_clears() {
        let mut a = app();
        type_text(&mut a, "hello");
        assert_eq!(
            press(&mut a, KeyCode::Enter),
            vec![Op::UserMessage {
                text: "hello".into()
            }]
        );
        assert!(a.composer.is_empty());
    }

    #[test]
    fn ctrl_c_clears_then_quits_on_second_press() {
        let mut a = app();
        type_text(&mut a, "draft");
        assert!(ctrl(&mut a, 'c').is_empty());
        assert!(a.composer.is_empty());
        assert!(ctrl(&mut a, 'c').is_empty());
        assert!(a.conv.quit.is_armed(a.clock.now()));
        assert_eq!(ctrl(&mut a, 'c'), vec![Effect::Quit]);
    }

    #[test]
    fn another_key_disarms_quit() {
        let mut a = app();
        ctrl(&mut a, 'c');
        press(&mut a, KeyCode::Char('x'));
        assert!(ctrl(&mut a, 'c').is_empty());
    }

    #[test]
    fn slash_commands_stay_local() {
        let mut a = app();
        type_text(&mut a, "/model big");
        assert_eq!(
            press(&mut a, KeyCode::Enter),
            vec![Op::SetModel { name: "big".into() }]
        );
        type_text(&mut a, "/new");
        assert_eq!(press(&mut a, KeyCode::Enter), vec![Op::NewSession]);
        type_text(&mut a, "/bogus");
        assert!(press(&mut a, KeyCode::Enter).is_empty());
        type_text(&mut a, "/he");
        assert!(press(&mut a, KeyCode::Enter).is_empty());
        assert_eq!(a.overlay, Some(Overlay::Help));
    }

    #[test]
    fn popup_tab_completes_and_esc_dismisses() {
        let mut a = app();
        type_text(&mut a, "/mo");
        assert_eq!(popup_items(&a).len(), 3, "model, mode and memory");
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.composer.text(), "/model ");
        assert!(popup_items(&a).is_empty());
        a.composer.clear();
        type_text(&mut a, "/");
        press(&mut a, KeyCode::Esc);
        assert!(popup_items(&a).is_empty());
    }

    #[test]
    fn double_slash_sends_literal_slash() {
        let mut a = app();
        type_text(&mut a, "//etc is a dir");
        assert_eq!(
            press(&mut a, KeyCode::Enter),
            vec![Op::UserMessage {
                text: "/etc is a dir".into()
            }]
        );
    }

    #[test]
    fn esc_interrupts_only_a_running_turn() {
        let mut a = app();
        assert!(press(&mut a, KeyCode::Esc).is_empty());
        a.on_event(Event::TurnStarted { turn_id: 1 });
        assert_eq!(press(&mut a, KeyCode::Esc), vec![Op::Interrupt]);
    }

    #[test]
    fn no_provider_keeps_the_text() {
        let mut a = App::new(Theme::dark());
        type_text(&mut a, "hello");
        assert!(press(&mut a, KeyCode::Enter).is_empty());
        assert_eq!(a.composer.text(), "hello");
    }

    #[test]
    fn question_mark_opens_help_only_on_empty_composer() {
        let mut a = app();
        press(&mut a, KeyCode::Char('?'));
        assert_eq!(a.overlay, Some(Overlay::Help));
        press(&mut a, KeyCode::Char('x'));
        assert_eq!(a.overlay, None);
        type_text(&mut a, "why?");
        assert_eq!(a.composer.text(), "why?");
    }

    #[test]
    fn up_walks_history() {
        let mut a = app();
        press(&mut a, KeyCode::Up);
        assert_eq!(a.composer.text(), "earlier");
        press(&mut a, KeyCode::Down);
        assert!(a.composer.is_empty());
    }
}
