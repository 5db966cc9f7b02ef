//! `@` completion: while the word being typed at the end of the composer starts with `@`, a
//! popup lists the workspace's files (from the runtime: `Op::ListFiles` → `Event::FileList`,
//! asked once when `@` is typed and again after each turn), ranked fuzzily. Tab or Enter puts
//! the chosen path in; Esc hides the popup for that word. Pure state.

use std::cell::RefCell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::fuzzy::{Haystack, rank};
use super::theme::Theme;
use crate::protocol::FileListing;

/// Rows the popup lists at most.
const MAX_ROWS: usize = 8;

#[derive(Default)]
pub struct PathCompletion {
    listing: Option<FileListing>,
    /// The last ranking: (word, indices into the listing). Focus (`layers::top`), keys and
    /// drawing all ask for the items of the same word; the files are ranked once per word.
    ranked: RefCell<Option<(String, Vec<usize>)>>,
    /// `ListFiles` was sent and its answer is still valid (reset after each turn).
    pub requested: bool,
    selected: usize,
    /// Esc hid the popup for this word.
    dismissed: Option<String>,
}

pub enum PathAction {
    /// Not a popup key: the composer gets it.
    Pass,
    Handled,
    /// Replace the `@word` at the end of the composer with this text.
    Complete(String),
}

/// The `@word` being typed at the end of `text` (without the `@`).
pub fn at_word(text: &str) -> Option<&str> {
    if text.ends_with(char::is_whitespace) {
        return None;
    }
    let word = text.rsplit(char::is_whitespace).next()?;
    word.strip_prefix('@')
}

impl PathCompletion {
    pub fn set_listing(&mut self, listing: FileListing) {
        self.listing = Some(listing);
        self.ranked = RefCell::new(None);
        self.selected = 0;
    }

    /// A turn ended: files may have changed; the next `@` asks again.
    pub fn invalidate(&mut self) {
        self.requested = false;
    }

    /// The files offered for the composer text (best first), empty when no popup shows.
    pub fn items(&self, text: &str) -> Vec<&str> {
        let (Some(word), Some(listing)) = (at_word(text), &self.listing) else {
            return Vec::new();
        };
        if self.dismissed.as_deref() == Some(word) {
            return Vec::new();
        }
        let mut ranked = self.ranked.borrow_mut();
        if ranked.as_ref().is_none_or(|(w, _)| w != word) {
            let hits = rank(word, &listing.files, Haystack::Paths, 50);
            *ranked = Some((word.to_string(), hits));
        }
        let hits = ranked.as_ref().map_or(&[][..], |(_, h)| h.as_slice());
        hits.iter()
            .filter_map(|&i| listing.files.get(i).map(String::as_str))
            .collect()
    }

    /// The popup shows for this composer text.
    pub fn is_open(&self, text: &str) -> bool {
        !self.items(text).is_empty()
    }

    pub fn key(&mut self, key: KeyEvent, text: &str) -> PathAction {
        let items = self.items(text);
        if items.is_empty() || !key.modifiers.is_empty() {
            return PathAction::Pass;
        }
        let selected = self.selected.min(items.len() - 1);
        match key.code {
            KeyCode::Up => {
                self.selected = selected.checked_sub(1).unwrap_or(items.len() - 1);
                PathAction::Handled
            }
            KeyCode::Down => {
                self.selected = (selected + 1) % items.len();
                PathAction::Handled
            }
            KeyCode::Tab | KeyCode::Enter => {
                let path = items[selected].to_string();
                self.selected = 0;
                PathAction::Complete(complete(text, &path))
            }
            KeyCode::Esc => {
                self.dismissed = at_word(text).map(str::to_string);
                PathAction::Handled
            }
            _ => {
                self.selected = 0;
                PathAction::Pass
            }
        }
    }

    /// The popup, just above `composer`.
    pub fn render(&self, frame: &mut Frame, composer: Rect, text: &str, theme: &Theme) {
        let items = self.items(text);
        if items.is_empty() {
            return;
        }
        let rows = items.len().min(MAX_ROWS);
        let height = (rows as u16 + 2).min(composer.y);
        if height < 3 {
            return;
        }
        let area = Rect::new(
            composer.x,
            composer.y - height,
            composer.width.min(80),
            height,
        );
        let visible = (height - 2) as usize;
        let selected = self.selected.min(items.len() - 1);
        let first = selected.saturating_sub(visible.saturating_sub(1));
        let lines: Vec<Line> = items
            .iter()
            .enumerate()
            .skip(first)
            .take(visible)
            .map(|(i, path)| {
                let line = Line::from(Span::styled(format!(" @{path}"), theme.accent));
                if i == selected {
                    line.style(theme.selection)
                } else {
                    line
                }
            })
            .collect();
        let more = if self.listing.as_ref().is_some_and(|l| l.truncated) {
            " (first 20,000 files)"
        } else {
            ""
        };
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border)
                    .title(Span::styled(
                        format!(
                            " files{more} │ {} ",
                            super::keymap::hint_line(super::keymap::PATH_COMPLETION)
                        ),
                        theme.muted,
                    )),
            ),
            area,
        );
    }
}

/// `text` with its trailing `@word` replaced by `@path ` (quoted paths are not needed: the
/// runtime reads words).
fn complete(text: &str, path: &str) -> String {
    let cut = text.rfind(char::is_whitespace).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    format!("{}@{path} ", &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn completion() -> PathCompletion {
        let mut c = PathCompletion::default();
        c.set_listing(FileListing {
            files: ["README.md", "src/main.rs", "src/tui/mod.rs"]
                .map(String::from)
                .to_vec(),
            truncated: false,
        });
        c
    }

    #[test]
    fn at_word_is_the_last_word_only() {
        assert_eq!(at_word("look @src/ma"), Some("src/ma"));
        assert_eq!(at_word("@"), Some(""));
        assert_eq!(at_word("look @src "), None);
        assert_eq!(at_word("me@host"), None);
        assert_eq!(at_word("line\n@rea"), Some("rea"));
    }

    #[test]
    fn tab_completes_the_best_match() {
        let mut c = completion();
        assert_eq!(c.items("see @main")[0], "src/main.rs");
        match c.key(key(KeyCode::Tab), "see @main") {
            PathAction::Complete(t) => assert_eq!(t, "see @src/main.rs "),
            _ => panic!("Tab completes"),
        }
        assert!(c.items("see @src/main.rs ").is_empty());
    }

    #[test]
    fn down_then_enter_picks_the_next_and_esc_hides_for_the_word() {
        let mut c = completion();
        assert!(matches!(
            c.key(key(KeyCode::Down), "@"),
            PathAction::Handled
        ));
        match c.key(key(KeyCode::Enter), "@") {
            PathAction::Complete(t) => assert_eq!(t, "@src/main.rs "),
            _ => panic!("Enter completes"),
        }
        assert!(matches!(
            c.key(key(KeyCode::Esc), "@src"),
            PathAction::Handled
        ));
        assert!(c.items("@src").is_empty());
        assert!(!c.items("@src/").is_empty(), "a new word shows it again");
    }

    #[test]
    fn no_listing_or_no_match_passes_keys_through() {
        let mut empty = PathCompletion::default();
        assert!(matches!(
            empty.key(key(KeyCode::Enter), "@x"),
            PathAction::Pass
        ));
        let mut c = completion();
        assert!(matches!(
            c.key(key(KeyCode::Enter), "@zzzz"),
            PathAction::Pass
        ));
    }
}
