//! Keys and pastes → UI state changes and `Op`s for the runtime.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, Overlay};
use super::composer::is_newline_key;
use super::input_state;
use super::quit_arm::QUIT_HINT;
use super::slash::{self, Parsed};
use crate::protocol::{ApprovalMode, ErrorKind, NoticeLevel, Op, SessionScope};

/// Shift+Tab: plan → ask → auto-edit → yolo → plan.
fn next_mode(mode: ApprovalMode) -> ApprovalMode {
    match mode {
        ApprovalMode::Plan => ApprovalMode::Ask,
        ApprovalMode::Ask => ApprovalMode::AutoEdit,
        ApprovalMode::AutoEdit => ApprovalMode::Yolo,
        ApprovalMode::Yolo => ApprovalMode::Plan,
    }
}

/// Handle one key press; returns what to send to the runtime.
pub fn handle_key(app: &mut App, key: KeyEvent) -> Vec<Op> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let was_armed = app.conv.quit.take(app.clock.now());
    let interrupting = app.hint.take().as_deref() == Some(super::app::INTERRUPTING);

    if app.approvals.is_open() {
        // Approvals take every key until answered (Ctrl+C answers "no, stop").
        return match app.approvals.handle_key(key) {
            Some((request_id, decision)) => vec![Op::ApprovalDecision {
                request_id,
                decision,
            }],
            None => Vec::new(),
        };
    }

    if app.trust_request.is_some() {
        return app.trust_key(key);
    }
    if app.fork_picker.is_some() {
        return app.fork_picker_key(key);
    }
    if app.skills_pane.is_some() {
        if key.code == KeyCode::Char('c') && ctrl {
            app.skills_pane = None;
            return Vec::new();
        }
        return app.skills_pane_key(key);
    }
    if app.sessions.is_some() {
        return app.session_pane_key(key);
    }

    if app.overlay.is_some() {
        // Any key closes the help; Ctrl+C still counts towards quitting.
        app.overlay = None;
        if !(ctrl && key.code == KeyCode::Char('c')) {
            return Vec::new();
        }
    }

    if let Some(ops) = input_state::convention_key(app, key) {
        return ops;
    }
    match key.code {
        KeyCode::Char('c') if ctrl => return ctrl_c(app, was_armed, interrupting),
        KeyCode::Char('z') if ctrl => {
            app.suspend_requested = true;
            return Vec::new();
        }
        KeyCode::Esc => return esc(app),
        KeyCode::Char('o') if ctrl => {
            app.toggle_tool_output();
            return Vec::new();
        }
        KeyCode::BackTab => {
            return vec![Op::SetMode {
                mode: next_mode(app.mode),
            }];
        }
        KeyCode::F(2) => return app.open_sessions(SessionScope::ThisDirectory, ""),
        KeyCode::Char('s') if ctrl => return app.open_sessions(SessionScope::ThisDirectory, ""),
        KeyCode::F(3) => return app.open_skills_pane(),
        KeyCode::F(1) => {
            app.overlay = Some(Overlay::Help);
            return Vec::new();
        }
        KeyCode::Char('?')
            if app.composer.is_empty()
                && key.modifiers.difference(KeyModifiers::SHIFT).is_empty() =>
        {
            app.overlay = Some(Overlay::Help);
            return Vec::new();
        }
        KeyCode::PageUp => {
            app.transcript.page_up(&app.theme, &app.highlighter);
            return Vec::new();
        }
        KeyCode::PageDown => {
            app.transcript.page_down(&app.theme, &app.highlighter);
            return Vec::new();
        }
        KeyCode::Home if ctrl || app.composer.is_empty() => {
            app.transcript.home();
            return Vec::new();
        }
        KeyCode::End if ctrl || app.composer.is_empty() => {
            app.transcript.end();
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
    }
    Vec::new()
}

/// Bracketed paste.
pub fn handle_paste(app: &mut App, text: &str) {
    if app.sessions.is_some() {
        let ops = app.session_pane_paste(text);
        app.outbox.extend(ops);
        return;
    }
    if app.skills_pane.is_some() {
        let ops = app.skills_pane_paste(text);
        app.outbox.extend(ops);
        return;
    }
    app.conv.quit.disarm();
    if input_state::convention_paste(app, text) {
        return;
    }
    app.overlay = None;
    app.composer.paste(text);
    app.slash_dismissed = false;
}

pub fn popup_items(app: &App) -> Vec<slash::PopupItem> {
    if app.slash_dismissed || app.composer.text().contains('\n') || input_state::popup_open(app) {
        return Vec::new();
    }
    slash::matches_with_skills(&app.composer.text(), &app.skills)
}

/// Ctrl+C: clear the composer; else interrupt a running turn (which does not arm quitting,
/// unless the interrupt is already on its way); else arm quitting, and quit when armed.
fn ctrl_c(app: &mut App, was_armed: bool, interrupting: bool) -> Vec<Op> {
    if !app.composer.is_empty() {
        app.composer.clear();
        return Vec::new();
    }
    if was_armed {
        app.quit_requested = true;
        return vec![Op::Shutdown];
    }
    if app.turn.running() && !interrupting {
        app.hint = Some(super::app::INTERRUPTING.into());
        return vec![Op::Interrupt];
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
        app.hint = Some(super::app::INTERRUPTING.into());
        return vec![Op::Interrupt];
    }
    Vec::new()
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
    let Some(mut message) = app.composer.take_message() else {
        return Vec::new();
    };
    if let Some(rest) = message.trim_start().strip_prefix("//") {
        message = format!("/{rest}");
    }
    if app.turn.running() {
        app.queued += 1;
        app.hint = Some("queued: sent when the current reply ends".into());
    }
    app.transcript.end();
    vec![Op::UserMessage { text: message }]
}

fn run_command(app: &mut App, cmd: Parsed) -> Vec<Op> {
    app.composer.clear();
    app.slash_dismissed = false;
    app.slash_selected = 0;
    match cmd {
        Parsed::Help => {
            app.overlay = Some(Overlay::Help);
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
        Parsed::Skills => app.open_skills_pane(),
        Parsed::Export(format) => app.export_current(&format),
        Parsed::Quit => {
            app.quit_requested = true;
            vec![Op::Shutdown]
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
    use crate::protocol::{Event, ProviderInfo, ProviderKind};
    use crate::tui::theme::Theme;

    fn app() -> App {
        let mut app = App::new(Theme::dark());
        app.on_event(Event::SessionConfigured {
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
        });
        app
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Op> {
        handle_key(app, KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn ctrl(app: &mut App, c: char) -> Vec<Op> {
        handle_key(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
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
        assert_eq!(ctrl(&mut a, 'c'), vec![Op::Shutdown]);
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
        assert_eq!(popup_items(&a).len(), 2, "model and mode");
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
    fn ctrl_d_quits_only_on_an_empty_composer() {
        let mut a = app();
        type_text(&mut a, "ab");
        assert!(ctrl(&mut a, 'd').is_empty());
        assert!(!a.quit_requested);
        a.composer.clear();
        assert_eq!(ctrl(&mut a, 'd'), vec![Op::Shutdown]);
        assert!(a.quit_requested);
    }

    #[test]
    fn an_interrupting_ctrl_c_does_not_arm_quitting() {
        let mut a = app();
        a.on_event(Event::TurnStarted { turn_id: 1 });
        assert_eq!(ctrl(&mut a, 'c'), vec![Op::Interrupt]);
        assert!(!a.conv.quit.is_armed(a.clock.now()));
        // The interrupt is on its way: a second Ctrl+C arms, a third quits.
        assert!(ctrl(&mut a, 'c').is_empty());
        assert!(a.conv.quit.is_armed(a.clock.now()));
        assert_eq!(ctrl(&mut a, 'c'), vec![Op::Shutdown]);
    }

    #[test]
    fn an_expired_arming_does_not_quit_and_its_hint_goes_at_the_next_event() {
        let mut a = app();
        let t0 = a.clock.now();
        ctrl(&mut a, 'c');
        assert_eq!(a.hint.as_deref(), Some(QUIT_HINT));
        // Pretend the arming happened three seconds ago.
        a.conv.quit.arm(t0 - std::time::Duration::from_secs(3));
        a.on_event(Event::Notice {
            level: NoticeLevel::Info,
            message: "x".into(),
        });
        assert_eq!(a.hint, None);
        assert!(
            ctrl(&mut a, 'c').is_empty(),
            "expired: arms again instead of quitting"
        );
        assert!(!a.quit_requested);
    }

    #[test]
    fn exact_slash_name_wins_and_unknown_is_not_a_config_error() {
        let mut a = app();
        type_text(&mut a, "/mode");
        assert!(
            press(&mut a, KeyCode::Enter).is_empty(),
            "/mode shows the mode"
        );
        let screen = format!("{:?}", a.transcript.cells.last().map(|c| &c.kind));
        assert!(screen.contains("Modes: plan"), "{screen}");
        type_text(&mut a, "/bogus");
        press(&mut a, KeyCode::Enter);
        let last = format!("{:?}", a.transcript.cells.last().map(|c| &c.kind));
        assert!(
            last.contains("unknown command /bogus — /help lists them"),
            "{last}"
        );
        assert!(!last.contains("Config"), "{last}");
    }

    #[test]
    fn mode_change_updates_status_without_a_transcript_line() {
        let mut a = app();
        let before = a.transcript.cells.len();
        a.on_event(Event::ModeChanged {
            mode: ApprovalMode::Yolo,
        });
        assert_eq!(a.mode, ApprovalMode::Yolo);
        assert_eq!(a.transcript.cells.len(), before);
    }

    #[test]
    fn bang_runs_a_shell_command_but_not_during_a_reply() {
        let mut a = app();
        type_text(&mut a, "!echo hi");
        assert_eq!(
            press(&mut a, KeyCode::Enter),
            vec![Op::RunShell {
                command: "echo hi".into()
            }]
        );
        a.on_event(Event::TurnStarted { turn_id: 1 });
        type_text(&mut a, "!ls");
        assert!(press(&mut a, KeyCode::Enter).is_empty());
        assert_eq!(a.composer.text(), "!ls", "kept for later");
    }

    #[test]
    fn ctrl_r_searches_and_takes_keys_and_pastes() {
        let mut a = app();
        ctrl(&mut a, 'r');
        assert!(a.conv.search.is_some());
        handle_paste(&mut a, "earl");
        assert!(a.composer.is_empty(), "the paste went to the search");
        press(&mut a, KeyCode::Enter);
        assert!(a.conv.search.is_none());
        assert_eq!(a.composer.text(), "earlier");
    }

    #[test]
    fn at_asks_for_files_once_and_tab_completes() {
        let mut a = app();
        type_text(&mut a, "see @");
        assert_eq!(a.outbox, vec![Op::ListFiles]);
        a.on_event(Event::FileList(crate::protocol::FileListing {
            files: vec!["src/main.rs".into(), "README.md".into()],
            truncated: false,
        }));
        type_text(&mut a, "read");
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.composer.text(), "see @README.md ");
        type_text(&mut a, "@");
        assert_eq!(a.outbox.len(), 1, "asked once until the next turn");
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
