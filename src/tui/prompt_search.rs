//! Ctrl+R: search earlier prompts, reverse-i-search style. A popup over the composer lists the
//! input history newest first, narrowed fuzzily as the user types; Enter (or Tab) puts the
//! chosen prompt in the composer, Esc closes. Pure state; returns what to do.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::fuzzy::{Haystack, rank};
use super::theme::Theme;

/// Most matches listed.
const MAX_HITS: usize = 200;

pub enum SearchAction {
    Stay,
    Close,
    /// Put this prompt in the composer.
    Accept(String),
}

pub struct PromptSearch {
    /// The history, newest first.
    prompts: Vec<String>,
    query: String,
    hits: Vec<usize>,
    selected: usize,
}

impl PromptSearch {
    /// `history` oldest first, as the composer keeps it.
    pub fn new(history: &[String]) -> PromptSearch {
        let mut prompts: Vec<String> = Vec::with_capacity(history.len());
        for p in history.iter().rev() {
            if !prompts.contains(p) {
                prompts.push(p.clone());
            }
        }
        let mut s = PromptSearch {
            prompts,
            query: String::new(),
            hits: Vec::new(),
            selected: 0,
        };
        s.refresh();
        s
    }

    fn refresh(&mut self) {
        self.hits = rank(&self.query, &self.prompts, Haystack::Text, MAX_HITS);
        self.selected = 0;
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    /// The prompt Enter would take.
    pub fn current(&self) -> Option<&str> {
        self.hits
            .get(self.selected)
            .and_then(|&i| self.prompts.get(i))
            .map(String::as_str)
    }

    pub fn key(&mut self, key: KeyEvent) -> SearchAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => SearchAction::Close,
            KeyCode::Char('c' | 'g') if ctrl => SearchAction::Close,
            KeyCode::Enter | KeyCode::Tab => match self.current() {
                Some(p) => SearchAction::Accept(p.to_string()),
                None => SearchAction::Close,
            },
            KeyCode::Char('r') if ctrl => self.older(),
            KeyCode::Up => self.older(),
            KeyCode::Char('s') if ctrl => self.newer(),
            KeyCode::Down => self.newer(),
            KeyCode::Backspace => {
                self.query.pop();
                self.refresh();
                SearchAction::Stay
            }
            KeyCode::Char('u') if ctrl => {
                self.query.clear();
                self.refresh();
                SearchAction::Stay
            }
            KeyCode::Char(c) if !ctrl => {
                self.query.push(c);
                self.refresh();
                SearchAction::Stay
            }
            _ => SearchAction::Stay,
        }
    }

    /// A paste goes into the query (one line).
    pub fn paste(&mut self, text: &str) {
        self.query.push_str(&text.replace(['\r', '\n'], " "));
        self.refresh();
    }

    fn older(&mut self) -> SearchAction {
        if self.selected + 1 < self.hits.len() {
            self.selected += 1;
        }
        SearchAction::Stay
    }

    fn newer(&mut self) -> SearchAction {
        self.selected = self.selected.saturating_sub(1);
        SearchAction::Stay
    }

    /// The popup, just above `composer`.
    pub fn render(&self, frame: &mut Frame, composer: Rect, theme: &Theme) {
        let rows = (self.hits.len().max(1) as u16 + 3).min(12);
        let height = rows.min(composer.y);
        if height < 4 {
            return;
        }
        let area = Rect::new(composer.x, composer.y - height, composer.width, height);
        let visible = (height - 3) as usize;
        let first = self.selected.saturating_sub(visible.saturating_sub(1));
        let width = area.width.saturating_sub(4) as usize;
        let mut lines = vec![Line::from(vec![
            Span::styled(" search: ", theme.muted),
            Span::styled(self.query.clone(), theme.accent),
            Span::styled("▏", theme.accent),
        ])];
        if self.hits.is_empty() {
            lines.push(Line::from(Span::styled(
                if self.prompts.is_empty() {
                    " no earlier prompts yet"
                } else {
                    " no earlier prompt matches"
                },
                theme.muted,
            )));
        }
        for (row, &i) in self.hits.iter().enumerate().skip(first).take(visible) {
            let text = one_line(self.prompts.get(i).map_or("", String::as_str), width);
            let line = Line::from(Span::styled(format!(" {text}"), theme.text));
            lines.push(if row == self.selected {
                line.style(theme.selection)
            } else {
                line
            });
        }
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border)
                    .title(Span::styled(
                        format!(
                            " earlier prompts │ {} ",
                            super::keymap::hint_line(&super::keymap::PROMPT_SEARCH[1..])
                        ),
                        theme.muted,
                    )),
            ),
            area,
        );
    }
}

/// A prompt on one row: line breaks shown as `⏎`, cut with `…` to `width` characters.
fn one_line(text: &str, width: usize) -> String {
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if c == '\n' { '⏎' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    if flat.chars().count() <= width {
        return flat;
    }
    let mut cut: String = flat.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn history() -> Vec<String> {
        [
            "fix the parser",
            "run cargo test",
            "explain lease.rs",
            "run cargo test",
        ]
        .map(String::from)
        .to_vec()
    }

    fn typed(s: &mut PromptSearch, text: &str) {
        for c in text.chars() {
            s.key(key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn newest_first_without_duplicates() {
        let s = PromptSearch::new(&history());
        assert_eq!(
            s.prompts,
            vec!["run cargo test", "explain lease.rs", "fix the parser"]
        );
        assert_eq!(s.current(), Some("run cargo test"));
    }

    #[test]
    fn typing_narrows_and_enter_accepts() {
        let mut s = PromptSearch::new(&history());
        typed(&mut s, "parsr");
        assert_eq!(s.current(), Some("fix the parser"));
        match s.key(key(KeyCode::Enter)) {
            SearchAction::Accept(p) => assert_eq!(p, "fix the parser"),
            _ => panic!("Enter accepts"),
        }
    }

    #[test]
    fn ctrl_r_walks_older_and_stops_at_the_end() {
        let mut s = PromptSearch::new(&history());
        let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        s.key(ctrl_r);
        assert_eq!(s.current(), Some("explain lease.rs"));
        s.key(ctrl_r);
        s.key(ctrl_r);
        assert_eq!(s.current(), Some("fix the parser"));
        s.key(key(KeyCode::Down));
        assert_eq!(s.current(), Some("explain lease.rs"));
    }

    #[test]
    fn no_match_enter_closes_and_backspace_widens() {
        let mut s = PromptSearch::new(&history());
        typed(&mut s, "zzz");
        assert_eq!(s.current(), None);
        assert!(matches!(s.key(key(KeyCode::Enter)), SearchAction::Close));
        for _ in 0..3 {
            s.key(key(KeyCode::Backspace));
        }
        assert_eq!(s.current(), Some("run cargo test"));
        assert!(matches!(s.key(key(KeyCode::Esc)), SearchAction::Close));
    }

    #[test]
    fn paste_joins_the_query_on_one_line() {
        let mut s = PromptSearch::new(&history());
        s.paste("lease\n");
        assert_eq!(s.query(), "lease ");
        assert_eq!(s.current(), Some("explain lease.rs"));
    }

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\nb", 10), "a⏎b");
        assert_eq!(one_line("abcdef", 4), "abc…");
    }
}
