//! Payloads of the composer conventions: the workspace's files for `@` completion; the
//! queue of messages sent while a turn runs.

use serde::{Deserialize, Serialize};

/// Files of the workspace (relative paths, `/`-separated), gitignore-aware, for `@`
/// completion (answer to `Op::ListFiles`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileListing {
    pub files: Vec<String>,
    /// The walk stopped at its cap; more files exist.
    pub truncated: bool,
}

/// One message waiting in the runtime's queue (sent while a turn ran). `text` is what the
/// user typed: a message, or `!command` for a shell command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedMessage {
    pub id: u64,
    pub text: String,
}

/// What is queued now, oldest first (sent whenever it changes).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueState {
    pub items: Vec<QueuedMessage>,
}

/// A queued message taken back (answer to `Op::WithdrawQueued`): it will not run; the front end
/// may put its text back in the composer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawnMessage {
    pub id: u64,
    pub text: String,
}

/// A byte range of a user message's text that the user pasted (large pastes are shown
/// collapsed in the transcript). `start..end` lies on character boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasteSpan {
    pub start: usize,
    pub end: usize,
}

impl PasteSpan {
    /// The spans that fit `text` (in order, not overlapping, on character boundaries); the
    /// others are dropped, so a stale or foreign span can never cut a character.
    pub fn valid_in(spans: &[PasteSpan], text: &str) -> Vec<PasteSpan> {
        let mut kept: Vec<PasteSpan> = Vec::new();
        for s in spans {
            let after_previous = kept.last().is_none_or(|p| p.end <= s.start);
            if after_previous
                && s.start < s.end
                && s.end <= text.len()
                && text.is_char_boundary(s.start)
                && text.is_char_boundary(s.end)
            {
                kept.push(*s);
            }
        }
        kept
    }

    /// What a folded paste shows: `[pasted 2,345 lines, 80,123 chars]`.
    pub fn label(pasted: &str) -> String {
        let lines = pasted.lines().count().max(1);
        format!(
            "[pasted {} line{}, {} chars]",
            group_thousands(lines),
            if lines == 1 { "" } else { "s" },
            group_thousands(pasted.chars().count())
        )
    }

    /// `text` with each pasted part (of `spans`, checked) replaced by its label.
    pub fn fold(text: &str, spans: &[PasteSpan]) -> String {
        let mut out = String::new();
        let mut at = 0;
        for s in PasteSpan::valid_in(spans, text) {
            out.push_str(&text[at..s.start]);
            out.push_str(&PasteSpan::label(&text[s.start..s.end]));
            at = s.end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// `1234567` as `1,234,567`.
pub fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A user message as a front end composed it (`Op::ComposedMessage`): the text the model
/// gets, and which parts of it were pasted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ComposedMessage {
    pub text: String,
    #[serde(default)]
    pub pastes: Vec<PasteSpan>,
}
