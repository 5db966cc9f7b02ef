//! The list the session, skills and memory panes share: the rows, a filter typed as you go,
//! the selection, moving it by key, and the scroll window the drawing keeps it in.
//!
//! What a row is and how the filter picks rows stays with each pane (fuzzy ranking of
//! sessions, substring of skills, a search on the runtime's memory index): the pane computes
//! the rows and hands them over with [`FilterList::set_rows`]. Everything typed and moved is
//! here, so the three panes edit a filter, take a paste and move a selection alike.

use std::cell::Cell;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::session_pane::{keep_visible, one_line};

/// How letters reach the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// Every letter types (the session pane: its commands are on Ctrl).
    Always,
    /// Letters are commands until `/` starts the filter; Enter or Esc ends it (skills, memory).
    AfterSlash,
}

/// What a key did to the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    /// The filter text changed: compute the rows again.
    Changed,
    /// The key was the filter's (typing ended, or nothing to delete) but the text is the same.
    Kept,
    /// Not a filter key: the pane handles it.
    Ignored,
}

#[derive(Debug)]
pub struct FilterList<R> {
    rows: Vec<R>,
    selected: usize,
    filter: String,
    /// Longest filter kept (more is cut, e.g. from a huge paste).
    max_filter: usize,
    typing: Typing,
    /// `AfterSlash`: `/` was pressed and letters go to the filter.
    filtering: bool,
    /// First visible line; kept by the drawing, which knows the height.
    scroll: Cell<usize>,
    /// Lines shown at the last draw (the PgUp / PgDn step).
    page: Cell<usize>,
}

impl<R> FilterList<R> {
    pub fn new(typing: Typing, max_filter: usize) -> FilterList<R> {
        FilterList {
            rows: Vec::new(),
            selected: 0,
            filter: String::new(),
            max_filter,
            typing,
            filtering: false,
            scroll: Cell::new(0),
            page: Cell::new(10),
        }
    }

    pub fn rows(&self) -> &[R] {
        &self.rows
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn selected_row(&self) -> Option<&R> {
        self.rows.get(self.selected)
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// `AfterSlash`: letters go to the filter now.
    pub fn is_filtering(&self) -> bool {
        self.filtering
    }

    /// `/` in an `AfterSlash` list.
    pub fn start_filtering(&mut self) {
        self.filtering = true;
    }

    /// New rows. The selection goes to the first row `keep` accepts; without one it stays on
    /// the same row number (clamped).
    pub fn set_rows(&mut self, rows: Vec<R>, keep: impl Fn(&R) -> bool) {
        self.rows = rows;
        self.selected = match self.rows.iter().position(keep) {
            Some(i) => i,
            None => self.selected.min(self.last()),
        };
    }

    /// New rows for a new filter: the best (first) row selected, scrolled to the top.
    pub fn set_rows_from_top(&mut self, rows: Vec<R>) {
        self.rows = rows;
        self.selected = 0;
        self.scroll.set(0);
    }

    /// Forget the rows (a list for another scope is on its way).
    pub fn clear(&mut self) {
        self.rows.clear();
        self.selected = 0;
        self.scroll.set(0);
    }

    fn last(&self) -> usize {
        self.rows.len().saturating_sub(1)
    }

    pub fn move_by(&mut self, delta: isize) {
        let target = self.selected.saturating_add_signed(delta);
        self.move_to(target);
    }

    pub fn move_to(&mut self, row: usize) {
        self.selected = row.min(self.last());
    }

    /// The moving keys: ↑↓, Ctrl+P / Ctrl+N, PgUp / PgDn, Home / End, and j / k when
    /// `letters` (lists whose letters are commands). True when the key was one of them.
    pub fn nav_key(&mut self, key: KeyEvent, letters: bool) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let plain = !ctrl && !key.modifiers.contains(KeyModifiers::ALT);
        let page = self.page.get().max(1) as isize;
        match key.code {
            KeyCode::Up => self.move_by(-1),
            KeyCode::Down => self.move_by(1),
            KeyCode::Char('p') if ctrl => self.move_by(-1),
            KeyCode::Char('n') if ctrl => self.move_by(1),
            KeyCode::Char('k') if letters && plain => self.move_by(-1),
            KeyCode::Char('j') if letters && plain => self.move_by(1),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::PageDown => self.move_by(page),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(self.last()),
            _ => return false,
        }
        true
    }

    /// A key for the filter: letters (when typing), Backspace, Ctrl+U; in an `AfterSlash`
    /// list while filtering also Enter (stop typing) and Esc (clear and stop).
    pub fn filter_key(&mut self, key: KeyEvent) -> FilterKey {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let typing = self.typing == Typing::Always || self.filtering;
        match key.code {
            KeyCode::Char('u') if ctrl => self.set_filter(String::new()),
            KeyCode::Backspace => {
                let mut f = self.filter.clone();
                if f.pop().is_none() {
                    if self.filtering {
                        self.filtering = false;
                        return FilterKey::Kept;
                    }
                    return match self.typing {
                        Typing::Always => FilterKey::Kept,
                        Typing::AfterSlash => FilterKey::Ignored,
                    };
                }
                self.set_filter(f)
            }
            KeyCode::Enter if self.filtering => {
                self.filtering = false;
                FilterKey::Kept
            }
            KeyCode::Esc if self.filtering => {
                self.filtering = false;
                self.set_filter(String::new())
            }
            KeyCode::Char(c) if typing && !ctrl && !alt && !c.is_control() => {
                let mut f = self.filter.clone();
                f.push(c);
                self.set_filter(f)
            }
            _ => FilterKey::Ignored,
        }
    }

    /// A paste: one line, appended to the filter (and typing starts).
    pub fn paste(&mut self, text: &str) -> FilterKey {
        // A huge paste (10 MB) keeps only what a filter can use.
        let head: String = text.chars().take(self.max_filter * 4).collect();
        if self.typing == Typing::AfterSlash {
            self.filtering = true;
        }
        let f = format!("{}{}", self.filter, one_line(&head));
        self.set_filter(f)
    }

    /// Replace the filter (cut to the longest kept); `Changed` when the text differs.
    pub fn set_filter(&mut self, mut filter: String) -> FilterKey {
        if filter.chars().count() > self.max_filter {
            filter = filter.chars().take(self.max_filter).collect();
        }
        if filter == self.filter {
            return FilterKey::Kept;
        }
        self.filter = filter;
        FilterKey::Changed
    }

    /// The first line to draw so that line `focus` of `total` shows in `height` lines (kept
    /// from the last draw when it still does); remembers `height` as the page step. Lists
    /// whose rows are one line each pass the selection; others (memory's group headers) the
    /// selection's line.
    pub fn window(&self, focus: usize, total: usize, height: usize) -> usize {
        self.page.set(height.max(1));
        let scroll = keep_visible(focus, self.scroll.get(), total, height);
        self.scroll.set(scroll);
        scroll
    }

    /// Set the first visible line (a list that keeps its header above the selection).
    pub fn set_scroll(&self, scroll: usize) {
        self.scroll.set(scroll);
    }

    /// The visible rows for a list of one line per row: `(row number, row)` from the top.
    pub fn visible_rows(&self, height: usize) -> impl Iterator<Item = (usize, &R)> {
        let scroll = self.window(self.selected, self.rows.len(), height);
        self.rows.iter().enumerate().skip(scroll).take(height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn list(typing: Typing) -> FilterList<u32> {
        let mut l = FilterList::new(typing, 10);
        l.set_rows((0..30).collect(), |_| false);
        l
    }

    #[test]
    fn always_typing_takes_letters_backspace_and_ctrl_u() {
        let mut l = list(Typing::Always);
        assert_eq!(l.filter_key(key(KeyCode::Char('a'))), FilterKey::Changed);
        assert_eq!(l.filter_key(key(KeyCode::Char('b'))), FilterKey::Changed);
        assert_eq!(l.filter(), "ab");
        assert_eq!(l.filter_key(key(KeyCode::Backspace)), FilterKey::Changed);
        assert_eq!(l.filter(), "a");
        assert_eq!(l.filter_key(ctrl('u')), FilterKey::Changed);
        assert_eq!(l.filter_key(key(KeyCode::Backspace)), FilterKey::Kept);
        assert_eq!(l.filter_key(key(KeyCode::Enter)), FilterKey::Ignored);
        assert_eq!(l.filter_key(key(KeyCode::Esc)), FilterKey::Ignored);
    }

    #[test]
    fn after_slash_letters_are_commands_until_slash() {
        let mut l = list(Typing::AfterSlash);
        assert_eq!(l.filter_key(key(KeyCode::Char('e'))), FilterKey::Ignored);
        assert_eq!(l.filter_key(key(KeyCode::Backspace)), FilterKey::Ignored);
        l.start_filtering();
        assert_eq!(l.filter_key(key(KeyCode::Char('e'))), FilterKey::Changed);
        assert_eq!(l.filter_key(key(KeyCode::Enter)), FilterKey::Kept);
        assert!(!l.is_filtering());
        assert_eq!(l.filter(), "e", "Enter keeps the filter");
        l.start_filtering();
        assert_eq!(l.filter_key(key(KeyCode::Esc)), FilterKey::Changed);
        assert_eq!((l.filter(), l.is_filtering()), ("", false));
        // Backspace on an empty filter ends typing.
        l.start_filtering();
        assert_eq!(l.filter_key(key(KeyCode::Backspace)), FilterKey::Kept);
        assert!(!l.is_filtering());
    }

    #[test]
    fn pastes_are_one_line_and_cut() {
        let mut l = list(Typing::AfterSlash);
        let huge = "line one\nline two ".repeat(1_000_000);
        assert_eq!(l.paste(&huge), FilterKey::Changed);
        assert!(l.is_filtering());
        assert_eq!(l.filter(), "line one l");
        assert_eq!(l.paste("more"), FilterKey::Kept, "full");
    }

    #[test]
    fn moving_clamps_and_pages_by_what_was_drawn() {
        let mut l = list(Typing::Always);
        assert!(l.nav_key(key(KeyCode::Up), false));
        assert_eq!(l.selected(), 0);
        assert!(l.nav_key(key(KeyCode::End), false));
        assert_eq!(l.selected(), 29);
        assert!(l.nav_key(key(KeyCode::Home), false));
        let shown: Vec<u32> = l.visible_rows(7).map(|(_, r)| *r).collect();
        assert_eq!(shown, (0..7).collect::<Vec<_>>());
        assert!(l.nav_key(key(KeyCode::PageDown), false));
        assert_eq!(l.selected(), 7, "a page is what the last draw showed");
        let shown: Vec<u32> = l.visible_rows(7).map(|(_, r)| *r).collect();
        assert_eq!(shown.last(), Some(&7), "the selection is kept in view");
        assert!(
            !l.nav_key(key(KeyCode::Char('j')), false),
            "letters type here"
        );
        assert!(l.nav_key(ctrl('n'), false));
        assert_eq!(l.selected(), 8);
    }

    #[test]
    fn new_rows_keep_the_selected_row_or_its_number() {
        let mut l = list(Typing::Always);
        l.move_to(5);
        l.set_rows((3..30).collect(), |r| *r == 5);
        assert_eq!(l.selected_row(), Some(&5));
        l.set_rows(vec![1, 2], |r| *r == 5);
        assert_eq!(l.selected(), 1, "clamped");
        l.set_rows_from_top(vec![9, 8]);
        assert_eq!(l.selected_row(), Some(&9));
        l.set_rows(Vec::new(), |_| true);
        assert_eq!(l.selected_row(), None);
    }
}
