//! Whether the terminal reports Shift+Enter, so it is only advertised where it works.

/// The newline chords to advertise: Shift+Enter only where the terminal reports it.
pub fn newline_keys(shift_enter: bool) -> &'static str {
    if shift_enter {
        super::keymap::NEWLINE_KEYS
    } else {
        "Alt+Enter · Ctrl+J"
    }
}

/// Does this terminal report Shift+Enter apart from Enter? Terminals known to speak the kitty
/// keyboard protocol (which pincer enables) say so in their environment; any other terminal is
/// believed once a Shift+Enter has actually arrived (`input_state::before_base_key`).
pub fn terminal_reports_shift_enter(var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| var(k).is_some_and(|v| !v.is_empty());
    if set("KITTY_WINDOW_ID") || set("WEZTERM_PANE") || set("GHOSTTY_RESOURCES_DIR") {
        return true;
    }
    let term = var("TERM").unwrap_or_default();
    let program = var("TERM_PROGRAM").unwrap_or_default();
    term == "xterm-kitty"
        || term == "xterm-ghostty"
        || term == "foot"
        || ["WezTerm", "ghostty", "kitty"].contains(&program.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shift_enter_only_for_terminals_that_report_it() {
        assert!(terminal_reports_shift_enter(env(&[(
            "TERM",
            "xterm-kitty"
        )])));
        assert!(terminal_reports_shift_enter(env(&[(
            "KITTY_WINDOW_ID",
            "1"
        )])));
        assert!(terminal_reports_shift_enter(env(&[(
            "TERM_PROGRAM",
            "WezTerm"
        )])));
        assert!(!terminal_reports_shift_enter(env(&[(
            "TERM",
            "xterm-256color"
        )])));
        assert!(!terminal_reports_shift_enter(env(&[(
            "KITTY_WINDOW_ID",
            ""
        )])));
        assert!(!terminal_reports_shift_enter(env(&[])));
    }

    #[test]
    fn newline_hint_follows_detection() {
        assert!(newline_keys(true).starts_with("Shift+Enter"));
        assert!(!newline_keys(false).contains("Shift"));
    }
}
