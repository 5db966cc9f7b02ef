//! Leaving the full screen without losing the conversation: after the terminal is restored,
//! the transcript is printed into the terminal's own scrollback as plain text (messages as
//! their Markdown source, so code keeps its indentation and long lines are wrapped by the
//! terminal, not cut into pieces), then how to come back: `pincer --resume ID`.
//!
//! Printed rather than kept in an inline viewport: the full screen keeps its alternate-screen
//! drawing (panes, overlays, resize without reflow artefacts), and the scrollback still gets a
//! copy the user can select, search and copy from with the terminal's own tools.

use super::cells::CellKind;
use super::transcript::Transcript;

/// At most this many lines of transcript are printed (the tail); older ones stay in the store.
pub const MAX_PRINTED_LINES: usize = 5_000;

/// The plain-text copy of the transcript, newest last, at most `max_lines` lines (the tail).
pub fn transcript_text(transcript: &Transcript, max_lines: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for cell in &transcript.cells {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        push_cell(&cell.kind, &mut lines);
    }
    if lines.len() > max_lines {
        let dropped = lines.len() - max_lines;
        lines.drain(..dropped);
        lines.insert(0, format!("… {dropped} earlier lines not shown"));
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn push_cell(kind: &CellKind, lines: &mut Vec<String>) {
    let mut push_text = |prefix: &str, text: &str| {
        for (i, line) in text.lines().enumerate() {
            let lead = if i == 0 { prefix } else { "" };
            lines.push(format!("{lead}{line}"));
        }
    };
    match kind {
        CellKind::User(user) => push_text("› ", &user.folded_text()),
        CellKind::Assistant {
            text, interrupted, ..
        } => {
            push_text("", text);
            if *interrupted {
                lines.push("[interrupted]".into());
            }
        }
        CellKind::Error { message, .. } => push_text("error: ", message),
        CellKind::Notice { message, .. } => push_text("· ", message),
        CellKind::Tool(t) => {
            let status = t
                .status
                .map(|s| format!(" ({s:?})").to_lowercase())
                .unwrap_or_default();
            lines.push(format!("⚙ {}{status}", t.summary));
        }
        CellKind::Compaction { headline, .. } => push_text("· ", headline),
        CellKind::Memory(m) => push_text("· memory: ", &m.change.summary),
    }
}

/// The last line pincer prints: how to open this session again.
pub fn resume_hint(session_id: &str) -> String {
    format!("Resume this session with: pincer --resume {session_id}\n")
}

/// What is written to stdout once the terminal is restored.
pub fn farewell(transcript: &Transcript, session_id: Option<&str>) -> String {
    let mut out = transcript_text(transcript, MAX_PRINTED_LINES);
    if let Some(id) = session_id {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&resume_hint(id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::user_cell::UserCell;

    fn transcript(cells: Vec<CellKind>) -> Transcript {
        let mut t = Transcript::default();
        for c in cells {
            t.push(c);
        }
        t
    }

    #[test]
    fn code_keeps_its_indentation_and_long_lines_whole() {
        let long = format!("    let x = \"{}\";", "y".repeat(300));
        let t = transcript(vec![
            CellKind::User(UserCell::new("show me")),
            CellKind::Assistant {
                turn_id: None,
                text: format!("Here:\n\n```rust\nfn main() {{\n{long}\n}}\n```\n"),
                streaming: false,
                interrupted: false,
            },
        ]);
        let text = farewell(&t, Some("0193abc-1f2e"));
        assert!(text.starts_with("› show me\n\nHere:\n"), "{text}");
        assert!(text.contains(&format!("\n{long}\n")), "{text}");
        assert!(
            text.ends_with("\nResume this session with: pincer --resume 0193abc-1f2e\n"),
            "{text}"
        );
    }

    #[test]
    fn no_stored_session_no_hint_and_the_tail_is_kept() {
        let t = transcript(
            (0..10)
                .map(|i| CellKind::User(UserCell::new(format!("m{i}"))))
                .collect(),
        );
        assert!(!farewell(&t, None).contains("--resume"));
        let tail = transcript_text(&t, 3);
        assert_eq!(tail, "… 16 earlier lines not shown\n› m8\n\n› m9\n");
    }

    #[test]
    fn empty_transcript_prints_only_the_hint() {
        let t = Transcript::default();
        assert_eq!(farewell(&t, None), "");
        assert_eq!(
            farewell(&t, Some("id1")),
            "Resume this session with: pincer --resume id1\n"
        );
    }
}
