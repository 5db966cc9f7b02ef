//! Entering and leaving the full-screen mode. The terminal is restored on every way out: normal
//! exit, error (guard drop), panic (hook) and signals (the loop exits, the guard drops).

use std::io::{BufWriter, Stdout, Write};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, KeyboardEnhancementFlags,
    PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// Mouse reporting for the wheel: button events (1000) in SGR encoding (1006), no motion
/// reports (1002/1003 would wake the process on every mouse move). Terminals then send the
/// wheel as `CSI < 64;x;y M` / `CSI < 65;x;y M` — xterm, VTE, kitty, iTerm2, Windows Terminal,
/// and tmux with or without `mouse on` (tmux forwards the pane's mouse mode). Selecting text
/// natively: Shift+drag (Option+drag in iTerm2).
pub struct EnableWheelReports;

impl ratatui::crossterm::Command for EnableWheelReports {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x1b[?1000h\x1b[?1006h")
    }
}

pub struct DisableWheelReports;

impl ratatui::crossterm::Command for DisableWheelReports {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x1b[?1006l\x1b[?1000l")
    }
}

pub type Backend = CrosstermBackend<BufWriter<Stdout>>;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: Terminal<Backend>,
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        enable_raw_mode()?;
        let mut out = std::io::stdout();
        // Kitty keyboard protocol: lets Shift+Enter arrive as such. Terminals that do not know
        // the sequence ignore it; no query (a query would wait for an answer on start-up).
        let setup = execute!(
            out,
            EnterAlternateScreen,
            EnableBracketedPaste,
            EnableWheelReports,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        );
        if let Err(e) = setup {
            restore();
            return Err(e);
        }
        let backend = CrosstermBackend::new(BufWriter::with_capacity(64 * 1024, std::io::stdout()));
        match Terminal::new(backend) {
            Ok(mut terminal) => {
                let _ = terminal.hide_cursor();
                Ok(TerminalGuard { terminal })
            }
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Give the terminal back (e.g. for an external editor); `resume` takes it again.
    pub fn suspend(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore();
    }

    pub fn resume(&mut self) -> std::io::Result<()> {
        enable_raw_mode()?;
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            EnableWheelReports,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        // A fresh Terminal on a cleared screen redraws everything on the next frame. Not
        // `Terminal::clear`: it asks the terminal for the cursor position, and that answer can
        // be lost while no one reads input (after an editor ran).
        execute!(
            std::io::stdout(),
            ratatui::crossterm::terminal::Clear(ratatui::crossterm::terminal::ClearType::All)
        )?;
        let backend = CrosstermBackend::new(BufWriter::with_capacity(64 * 1024, std::io::stdout()));
        self.terminal = Terminal::new(backend)?;
        let _ = self.terminal.hide_cursor();
        Ok(())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore();
    }
}

/// Undo everything `enter` did. Safe to call more than once.
pub fn restore() {
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        PopKeyboardEnhancementFlags,
        DisableWheelReports,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// On panic: restore the terminal first, log, then let the default hook print the message.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        tracing::error!("panic: {info}");
        previous(info);
    }));
}
