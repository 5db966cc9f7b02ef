//! The scrollable transcript. Only the cells on screen are laid out: following the bottom lays
//! out from the last cell upwards, a scrolled view from the top downwards.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::cells::{Cell, CellKind};
use super::markdown::Highlighter;
use super::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    /// Stick to the newest line.
    Follow,
    /// First visible row, counted from the top of the whole transcript.
    Top(usize),
}

pub struct Transcript {
    pub cells: Vec<Cell>,
    pub scroll: Scroll,
    /// Size of the area at the last render (for paging).
    viewport: (u16, u16),
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript {
            cells: Vec::new(),
            scroll: Scroll::Follow,
            viewport: (80, 24),
        }
    }
}

impl Transcript {
    pub fn push(&mut self, kind: CellKind) {
        self.cells.push(Cell::new(kind));
    }

    pub fn clear(&mut self) {
        self.cells.clear();
        self.scroll = Scroll::Follow;
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The reply cell still streaming for `turn_id`, if any.
    pub fn streaming_reply(&mut self, turn_id: u64) -> Option<&mut Cell> {
        self.cells.iter_mut().rev().find(|c| {
            matches!(c.kind, CellKind::Assistant { turn_id: Some(t), streaming: true, .. } if t == turn_id)
        })
    }

    pub fn remove_streaming_reply(&mut self, turn_id: u64) {
        self.cells.retain(|c| {
            !matches!(c.kind, CellKind::Assistant { turn_id: Some(t), streaming: true, .. } if t == turn_id)
        });
    }

    /// Separator row above every cell but the first.
    fn cell_rows(
        cell: &mut Cell,
        index: usize,
        width: u16,
        theme: &Theme,
        hl: &Highlighter,
    ) -> usize {
        cell.height(width, theme, hl) + usize::from(index > 0)
    }

    fn total_rows(&mut self, theme: &Theme, hl: &Highlighter) -> usize {
        let width = self.viewport.0;
        self.cells
            .iter_mut()
            .enumerate()
            .map(|(i, c)| Self::cell_rows(c, i, width, theme, hl))
            .sum()
    }

    fn page(&self) -> usize {
        (self.viewport.1 as usize).saturating_sub(2).max(1)
    }

    pub fn scroll_up(&mut self, rows: usize, theme: &Theme, hl: &Highlighter) {
        let height = self.viewport.1 as usize;
        let top = match self.scroll {
            Scroll::Follow => self.total_rows(theme, hl).saturating_sub(height),
            Scroll::Top(t) => t,
        };
        self.scroll = Scroll::Top(top.saturating_sub(rows));
    }

    pub fn scroll_down(&mut self, rows: usize, theme: &Theme, hl: &Highlighter) {
        if let Scroll::Top(t) = self.scroll {
            let height = self.viewport.1 as usize;
            let total = self.total_rows(theme, hl);
            let top = t + rows;
            self.scroll = if top + height >= total {
                Scroll::Follow
            } else {
                Scroll::Top(top)
            };
        }
    }

    pub fn page_up(&mut self, theme: &Theme, hl: &Highlighter) {
        self.scroll_up(self.page(), theme, hl);
    }

    pub fn page_down(&mut self, theme: &Theme, hl: &Highlighter) {
        self.scroll_down(self.page(), theme, hl);
    }

    pub fn home(&mut self) {
        self.scroll = Scroll::Top(0);
    }

    pub fn end(&mut self) {
        self.scroll = Scroll::Follow;
    }

    /// The rows visible in a `width` × `height` area.
    pub fn visible_lines(
        &mut self,
        width: u16,
        height: u16,
        theme: &Theme,
        hl: &Highlighter,
    ) -> Vec<Line<'static>> {
        self.viewport = (width, height);
        let height = height as usize;
        match self.scroll {
            Scroll::Follow => {
                let mut rows: Vec<Line<'static>> = Vec::with_capacity(height);
                for (i, cell) in self.cells.iter_mut().enumerate().rev() {
                    let lines = cell.lines(width, theme, hl);
                    let need = height - rows.len();
                    rows.extend(lines.iter().rev().take(need).cloned());
                    if i > 0 && rows.len() < height {
                        rows.push(Line::default());
                    }
                    if rows.len() >= height {
                        break;
                    }
                }
                rows.reverse();
                rows
            }
            Scroll::Top(top) => {
                let mut rows: Vec<Line<'static>> = Vec::with_capacity(height);
                let mut row = 0usize;
                for (i, cell) in self.cells.iter_mut().enumerate() {
                    if i > 0 {
                        if row >= top {
                            rows.push(Line::default());
                        }
                        row += 1;
                    }
                    let lines = cell.lines(width, theme, hl);
                    if row + lines.len() > top {
                        let skip = top.saturating_sub(row);
                        rows.extend(lines.iter().skip(skip).take(height + 1).cloned());
                    }
                    row += lines.len();
                    if rows.len() >= height {
                        break;
                    }
                }
                rows.truncate(height);
                if rows.len() < height && top > 0 {
                    // Scrolled past the end (e.g. after a resize): show the bottom instead.
                    self.scroll = Scroll::Follow;
                    return self.visible_lines(width, height as u16, theme, hl);
                }
                rows
            }
        }
    }

    pub fn render(&mut self, frame: &mut Frame, area: Rect, theme: &Theme, hl: &Highlighter) {
        let lines = self.visible_lines(area.width, area.height, theme, hl);
        write_lines(frame.buffer_mut(), area, &lines);
    }
}

/// The lines, one per row from the top of `area`, cut at its width. What a `Paragraph` of
/// unwrapped, left-aligned lines draws, without its two passes that set the (default) style
/// on every cell of the area: on the transcript that was a third of a frame's work.
pub fn write_lines(buf: &mut Buffer, area: Rect, lines: &[Line]) {
    let area = area.intersection(buf.area);
    for (line, y) in lines.iter().zip(area.top()..area.bottom()) {
        buf.set_line(area.x, y, line, area.width);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::user_cell::UserCell;

    fn transcript(n: usize) -> Transcript {
        let mut t = Transcript::default();
        for i in 0..n {
            t.push(CellKind::User(UserCell::new(format!("message {i}"))));
        }
        t
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn follow_shows_the_bottom() {
        let (theme, hl) = (Theme::dark(), Highlighter::new(None));
        let mut t = transcript(10);
        let rows = texts(&t.visible_lines(40, 3, &theme, &hl));
        assert_eq!(rows, vec!["› message 8", "", "› message 9"]);
    }

    #[test]
    fn paging_up_and_back_down_returns_to_follow() {
        let (theme, hl) = (Theme::dark(), Highlighter::new(None));
        let mut t = transcript(10);
        t.visible_lines(40, 5, &theme, &hl);
        t.page_up(&theme, &hl);
        assert_eq!(t.scroll, Scroll::Top(11));
        let rows = texts(&t.visible_lines(40, 5, &theme, &hl));
        assert_eq!(rows[0], "", "{rows:?}");
        t.home();
        assert_eq!(
            texts(&t.visible_lines(40, 5, &theme, &hl))[0],
            "› message 0"
        );
        for _ in 0..10 {
            t.page_down(&theme, &hl);
        }
        assert_eq!(t.scroll, Scroll::Follow);
    }

    #[test]
    fn top_view_is_stable_when_content_grows() {
        let (theme, hl) = (Theme::dark(), Highlighter::new(None));
        let mut t = transcript(10);
        t.visible_lines(40, 3, &theme, &hl);
        t.home();
        let before = texts(&t.visible_lines(40, 3, &theme, &hl));
        t.push(CellKind::User(UserCell::new("new")));
        assert_eq!(texts(&t.visible_lines(40, 3, &theme, &hl)), before);
    }

    #[test]
    fn written_lines_match_what_a_paragraph_draws() {
        use ratatui::style::{Color, Style};
        use ratatui::text::{Span, Text};
        use ratatui::widgets::{Paragraph, Widget};
        let lines = vec![
            Line::from(vec![
                Span::styled("red ", Style::new().fg(Color::Red)),
                Span::raw("plain"),
            ]),
            Line::styled("whole line styled", Style::new().bg(Color::Blue)),
            Line::from("wide 漢字漢字漢字 at the edge, and far too long for the area"),
            Line::from("tab\tand\u{7}bell"),
            Line::default(),
            Line::from("a row beyond the area"),
        ];
        let area = Rect::new(2, 1, 17, 4);
        // A frame starts from blank cells (a Paragraph leaves the cells hidden under a wide
        // character as they were; `set_line` blanks them, the same on a blank buffer).
        let blank = Buffer::empty(Rect::new(0, 0, 22, 6));
        let mut ours = blank.clone();
        write_lines(&mut ours, area, &lines);
        let mut theirs = blank;
        Paragraph::new(Text::from(lines)).render(area, &mut theirs);
        assert_eq!(ours, theirs);
    }
}
