//! "Fork from a message": a small modal listing the user messages of the current transcript,
//! newest first. Enter returns the message to fork before; the caller starts a child session
//! with the history before it (`Op::ForkSession { before_item: Some(id) }`) and puts the text
//! in the composer to edit. No I/O.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::markdown::wrap_spans;
use super::session_pane::render::{legend, padded};
use super::session_pane::{keep_visible, one_line, truncate};
use super::theme::Theme;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForkAction {
    None,
    Close,
    /// Fork with the history before `before_item`; `text` is the message, to edit and send.
    Fork {
        before_item: i64,
        text: String,
    },
}

#[derive(Debug, Default)]
pub struct ForkPicker {
    /// (item id, text), newest first.
    messages: Vec<(i64, String)>,
    selected: usize,
    scroll: Cell<usize>,
    page: Cell<usize>,
}

impl ForkPicker {
    /// `messages` in transcript order (oldest first), as `(item_id, text)`.
    pub fn new(mut messages: Vec<(i64, String)>) -> ForkPicker {
        messages.reverse();
        ForkPicker {
            messages,
            selected: 0,
            scroll: Cell::new(0),
            page: Cell::new(10),
        }
    }

    pub fn selected(&self) -> Option<&(i64, String)> {
        self.messages.get(self.selected)
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> ForkAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let last = self.messages.len().saturating_sub(1);
        let page = self.page.get().max(1);
        match key.code {
            KeyCode::Esc => return ForkAction::Close,
            KeyCode::Char('c') if ctrl => return ForkAction::Close,
            KeyCode::Enter => {
                return match self.selected() {
                    Some((id, text)) => ForkAction::Fork {
                        before_item: *id,
                        text: text.clone(),
                    },
                    None => ForkAction::None,
                };
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Char('p') if ctrl => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(last),
            KeyCode::Char('n') if ctrl => self.selected = (self.selected + 1).min(last),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(page),
            KeyCode::PageDown => self.selected = (self.selected + page).min(last),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = last,
            _ => {}
        }
        ForkAction::None
    }

    pub fn render(&self, frame_area: Rect, buf: &mut Buffer, theme: &Theme) {
        let rows = self.messages.len().clamp(1, 12) as u16;
        // border 2 + explanation 2 + blank + rows + blank + legend
        let want_h = rows + 7;
        let width = frame_area.width.saturating_sub(4).min(90);
        let height = want_h.min(frame_area.height);
        let area = Rect::new(
            frame_area.x + (frame_area.width - width) / 2,
            frame_area.y + (frame_area.height - height) / 2,
            width,
            height,
        )
        .intersection(buf.area);
        if area.is_empty() {
            return;
        }
        Clear.render(area, buf);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border)
            .title(Span::styled(
                " Fork from a message ",
                theme.accent.add_modifier(Modifier::BOLD),
            ));
        let inner = padded(block.inner(area));
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let w = usize::from(inner.width);
        let mut y = inner.y;
        let explain = "starts a new session with the conversation before the message you pick; \
                       the message goes back to the input to edit";
        let explain_lines = wrap_spans(vec![Span::styled(explain, theme.muted)], inner.width);
        let room = usize::from(inner.height.saturating_sub(2)).clamp(1, 2);
        for line in explain_lines.iter().take(room) {
            if y >= inner.bottom() {
                return;
            }
            buf.set_line(inner.x, y, line, inner.width);
            y += 1;
        }
        let mut list_h = inner.bottom().saturating_sub(y);
        if list_h >= 4 {
            let foot = legend(
                &super::keymap::legend(super::keymap::FORK),
                theme,
                inner.width,
                1,
            );
            for line in &foot {
                buf.set_line(inner.x, inner.bottom() - 1, line, inner.width);
            }
            y += 1; // blank after the explanation
            list_h = list_h.saturating_sub(3);
        }
        if list_h == 0 {
            return;
        }
        if self.messages.is_empty() {
            let line = Line::from(Span::styled(
                truncate("no messages to fork from yet", w),
                theme.muted,
            ));
            buf.set_line(inner.x, y, &line, inner.width);
            return;
        }
        let h = usize::from(list_h);
        self.page.set(h);
        let scroll = keep_visible(self.selected, self.scroll.get(), self.messages.len(), h);
        self.scroll.set(scroll);
        for (k, (_, text)) in self.messages.iter().enumerate().skip(scroll).take(h) {
            let selected = k == self.selected;
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let more = text.lines().filter(|l| !l.trim().is_empty()).count() > 1;
            let mut body = one_line(first);
            if more {
                body.push_str(" …");
            }
            let style = if selected {
                theme.text.add_modifier(Modifier::BOLD)
            } else {
                theme.text
            };
            let line = Line::from(vec![
                Span::styled(if selected { "› " } else { "  " }, theme.accent),
                Span::styled(truncate(&body, w.saturating_sub(2)), style),
            ]);
            let row_y = y + (k - scroll) as u16;
            buf.set_line(inner.x, row_y, &line, inner.width);
            if selected {
                buf.set_style(Rect::new(inner.x, row_y, inner.width, 1), theme.selection);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn newest_first_and_enter_forks() {
        let mut p = ForkPicker::new(vec![(1, "first".into()), (5, "second\nmore".into())]);
        assert_eq!(p.selected().map(|m| m.0), Some(5));
        assert_eq!(p.handle_key(key(KeyCode::Down)), ForkAction::None);
        assert_eq!(p.handle_key(key(KeyCode::Down)), ForkAction::None);
        assert_eq!(
            p.handle_key(key(KeyCode::Enter)),
            ForkAction::Fork {
                before_item: 1,
                text: "first".into()
            }
        );
        assert_eq!(p.handle_key(key(KeyCode::Up)), ForkAction::None);
        assert_eq!(p.selected().map(|m| m.0), Some(5));
        assert_eq!(p.handle_key(key(KeyCode::Esc)), ForkAction::Close);
    }

    #[test]
    fn empty_picker_is_safe() {
        let mut p = ForkPicker::new(Vec::new());
        assert_eq!(p.handle_key(key(KeyCode::Down)), ForkAction::None);
        assert_eq!(p.handle_key(key(KeyCode::Enter)), ForkAction::None);
        let theme = Theme::dark();
        for (w, h) in [(0, 0), (1, 1), (10, 3), (30, 5)] {
            let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
            p.render(Rect::new(0, 0, w, h), &mut buf, &theme);
        }
    }
}
