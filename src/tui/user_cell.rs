//! A user message in the transcript, as the user typed it: a long message folds after a few
//! rows, and each pasted part folds to a label and its first lines until Ctrl+O expands it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::markdown::{sanitize, wrap_spans};
use super::theme::Theme;
use crate::protocol::{PasteSpan, group_thousands};

/// A folded message shows this many rows.
pub const ROWS_SHOWN: usize = 20;
/// An expanded message shows at most this many rows (the session keeps the rest).
const EXPANDED_ROWS: usize = 2000;
/// A folded paste shows this many of its first lines.
const PASTE_PREVIEW_LINES: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCell {
    pub text: String,
    /// The parts of `text` the user pasted (checked: in order, on character boundaries).
    pastes: Vec<PasteSpan>,
    pub expanded: bool,
}

impl UserCell {
    pub fn new(text: impl Into<String>) -> UserCell {
        UserCell::pasted(text.into(), &[], false)
    }

    pub fn pasted(text: String, pastes: &[PasteSpan], expanded: bool) -> UserCell {
        let pastes = PasteSpan::valid_in(pastes, &text);
        UserCell {
            text,
            pastes,
            expanded,
        }
    }

    /// The message as typed: pasted parts as their labels (printed on exit, listed by the
    /// fork picker).
    pub fn folded_text(&self) -> String {
        PasteSpan::fold(&self.text, &self.pastes)
    }
}

/// Rows being laid out up to a cap; `folded` once something did not fit.
struct Rows {
    width: usize,
    cap: usize,
    rows: Vec<Line<'static>>,
    folded: bool,
}

impl Rows {
    fn push(&mut self, row: Line<'static>) {
        if self.rows.len() < self.cap {
            self.rows.push(row);
        } else {
            self.folded = true;
        }
    }

    /// Lines of text, wrapped; never wraps more of a line than can be shown (a 10 MB paste
    /// is one line).
    fn text(&mut self, text: &str, style: Style) {
        let clean = sanitize(text);
        for raw in clean.split('\n') {
            if self.rows.len() >= self.cap {
                self.folded = true;
                return;
            }
            let room = (self.cap - self.rows.len() + 1) * self.width;
            let piece: String = raw.chars().take(room).collect();
            self.folded |= piece.len() < raw.len();
            for row in wrap_spans(vec![Span::styled(piece, style)], self.width as u16) {
                self.push(row);
            }
        }
    }

    /// Typed text between folded pastes, which stand on their own rows: the newline or the
    /// spaces next to a paste only end a row.
    fn typed(&mut self, text: &str, after_paste: bool, before_paste: bool, theme: &Theme) {
        let mut text = text;
        if after_paste {
            text = text
                .strip_prefix('\n')
                .unwrap_or(text.trim_start_matches(' '));
        }
        text = if before_paste {
            let trimmed = text.trim_end_matches(' ');
            trimmed.strip_suffix('\n').unwrap_or(trimmed)
        } else {
            text.trim_end_matches('\n')
        };
        if !text.is_empty() {
            self.text(text, theme.text);
        }
    }

    /// A folded paste: its label, then its first lines cut to one row each.
    fn folded_paste(&mut self, pasted: &str, theme: &Theme) {
        let label = format!("{} · Ctrl+O shows it", PasteSpan::label(pasted));
        self.push(Line::from(Span::styled(label, theme.accent)));
        for line in pasted.lines().take(PASTE_PREVIEW_LINES) {
            let clean = sanitize(line);
            let mut row: String = clean.chars().take(self.width.saturating_sub(2)).collect();
            if row.len() < clean.len() {
                row.push('…');
            }
            self.push(Line::from(vec![
                Span::styled("│ ", theme.border),
                Span::styled(row, theme.muted),
            ]));
        }
    }
}

/// The cell's rows at `width`, marked `› `.
pub fn layout(cell: &UserCell, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let mut rows = Rows {
        width: width.saturating_sub(2).max(1) as usize,
        cap: if cell.expanded {
            EXPANDED_ROWS
        } else {
            ROWS_SHOWN
        },
        rows: Vec::new(),
        folded: false,
    };
    let text = cell.text.as_str();
    if cell.expanded || cell.pastes.is_empty() {
        rows.text(text.trim_end_matches('\n'), theme.text);
    } else {
        let mut at = 0;
        for s in &cell.pastes {
            rows.typed(&text[at..s.start], at > 0, true, theme);
            rows.folded_paste(&text[s.start..s.end], theme);
            at = s.end;
        }
        rows.typed(&text[at..], true, false, theme);
    }
    let mut body = rows.rows;
    if rows.folded {
        let more = format!(
            "… folded: {} lines, {} characters in all",
            group_thousands(text.lines().count()),
            group_thousands(text.chars().count())
        );
        body.push(Line::from(Span::styled(more, theme.muted)));
    }
    super::cells::indent(body, Span::styled("› ", theme.user), Span::raw("  "))
}

#[cfg(test)]
#[path = "user_cell_tests.rs"]
mod tests;
