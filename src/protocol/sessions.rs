//! Session data shared by the runtime and the front ends beyond `types.rs`'s summary.

use serde::{Deserialize, Serialize};

/// Which front end started a session (`sessions.origin`): the pane marks and can hide the
/// headless runs so they do not bury the conversations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionOrigin {
    /// Started in the TUI (also every session stored before origins were recorded).
    #[default]
    Tui,
    /// A `pincer -p` run.
    Headless,
    /// Brought in by `pincer sessions import`.
    Import,
    /// Created through `pincer serve` (the web page or the HTTP API).
    Web,
    /// A `pincer task apply|destroy` or `/task apply` run: the plan, each step and its result.
    Task,
}

impl SessionOrigin {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionOrigin::Tui => "tui",
            SessionOrigin::Headless => "headless",
            SessionOrigin::Import => "import",
            SessionOrigin::Web => "web",
            SessionOrigin::Task => "task",
        }
    }

    /// The stored word back; a word a newer pincer wrote reads as `Tui` (shown, never hidden).
    pub fn from_stored(word: &str) -> SessionOrigin {
        match word {
            "headless" => SessionOrigin::Headless,
            "import" => SessionOrigin::Import,
            "web" => SessionOrigin::Web,
            "task" => SessionOrigin::Task,
            _ => SessionOrigin::Tui,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_round_trip_and_unknown_words_are_shown() {
        for o in [
            SessionOrigin::Tui,
            SessionOrigin::Headless,
            SessionOrigin::Import,
            SessionOrigin::Web,
            SessionOrigin::Task,
        ] {
            assert_eq!(SessionOrigin::from_stored(o.as_str()), o);
        }
        assert_eq!(SessionOrigin::from_stored("telegram"), SessionOrigin::Tui);
    }
}
