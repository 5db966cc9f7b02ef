//! The message composer: a multi-line textarea with input history and collapsed large pastes.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use crate::protocol::{ComposedMessage, PasteSpan};

/// Pastes longer than this are kept whole but shown as one placeholder line.
pub const COLLAPSE_PASTE_CHARS: usize = 1000;
/// Most rows the composer grows to before it scrolls.
const MAX_ROWS: u16 = 8;

pub struct Composer {
    textarea: TextArea<'static>,
    /// (placeholder shown in the textarea, the pasted text it stands for)
    pastes: Vec<(String, String)>,
    history: Vec<String>,
    /// Position while walking the history; `None` when editing a fresh draft.
    history_pos: Option<usize>,
    draft: String,
}

impl Composer {
    pub fn new(theme: &Theme) -> Composer {
        let mut c = Composer {
            textarea: TextArea::default(),
            pastes: Vec::new(),
            history: Vec::new(),
            history_pos: None,
            draft: String::new(),
        };
        c.apply_theme(theme);
        c
    }

    pub fn apply_theme(&mut self, theme: &Theme) {
        let ta = &mut self.textarea;
        ta.set_wrap_mode(WrapMode::WordOrGlyph);
        ta.set_cursor_line_style(Style::default());
        ta.set_style(theme.text);
        ta.set_cursor_style(theme.text.add_modifier(ratatui::style::Modifier::REVERSED));
        ta.set_placeholder_text("Ask anything  ·  / for commands  ·  ? for help");
        ta.set_placeholder_style(theme.muted);
        ta.set_block(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme.border)
                .padding(ratatui::widgets::Padding::horizontal(1)),
        );
    }

    /// The text as shown (placeholders not expanded).
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.textarea.lines().iter().all(|l| l.is_empty())
    }

    pub fn clear(&mut self) {
        self.set_text("");
        self.pastes.clear();
        self.history_pos = None;
    }

    pub fn set_text(&mut self, text: &str) {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let block = self.textarea.block().cloned();
        let style = self.textarea.style();
        let placeholder = self.textarea.placeholder_text().to_string();
        let placeholder_style = self.textarea.placeholder_style();
        let cursor_style = self.textarea.cursor_style();
        let mut ta = TextArea::new(lines);
        ta.set_wrap_mode(WrapMode::WordOrGlyph);
        ta.set_cursor_line_style(Style::default());
        ta.set_style(style);
        ta.set_cursor_style(cursor_style);
        ta.set_placeholder_text(placeholder);
        if let Some(s) = placeholder_style {
            ta.set_placeholder_style(s);
        }
        if let Some(b) = block {
            ta.set_block(b);
        }
        ta.move_cursor(CursorMove::Bottom);
        ta.move_cursor(CursorMove::End);
        self.textarea = ta;
    }

    /// The text with collapsed pastes expanded (what would be sent).
    pub fn expanded_text(&self) -> String {
        self.composed().text
    }

    /// The message as it would be sent: placeholders replaced by what they stand for (each
    /// once, in the order they stand in the text), and where those pasted parts are.
    pub fn composed(&self) -> ComposedMessage {
        let typed = self.text();
        let mut out = ComposedMessage::default();
        let mut used = vec![false; self.pastes.len()];
        let mut rest = typed.as_str();
        loop {
            let next = self
                .pastes
                .iter()
                .enumerate()
                .filter(|(i, _)| !used[*i])
                .filter_map(|(i, (placeholder, _))| {
                    rest.find(placeholder.as_str()).map(|at| (at, i))
                })
                .min();
            let Some((at, i)) = next else { break };
            let (placeholder, content) = &self.pastes[i];
            used[i] = true;
            out.text.push_str(&rest[..at]);
            let start = out.text.len();
            out.text.push_str(content);
            out.pastes.push(PasteSpan {
                start,
                end: out.text.len(),
            });
            rest = &rest[at + placeholder.len()..];
        }
        out.text.push_str(rest);
        out
    }

    /// Replace everything (an edited prompt, a picked history entry): large text collapses
    /// like a paste.
    pub fn replace_all(&mut self, text: &str) {
        self.clear();
        if text.chars().count() > COLLAPSE_PASTE_CHARS {
            self.paste(text);
        } else {
            self.set_text(text);
        }
    }

    /// Earlier prompts, oldest first.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Take the message to send: placeholders expanded, composer cleared. `None` if blank.
    pub fn take_message(&mut self) -> Option<String> {
        self.take_composed().map(|m| m.text)
    }

    /// `take_message`, keeping where the pasted parts are.
    pub fn take_composed(&mut self) -> Option<ComposedMessage> {
        if self.text().trim().is_empty() {
            return None;
        }
        let message = self.composed();
        self.push_history(&message.text);
        self.clear();
        Some(message)
    }

    /// Bracketed paste: small pastes are typed in, large ones collapse to a placeholder.
    pub fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let chars = text.chars().count();
        if chars <= COLLAPSE_PASTE_CHARS {
            self.textarea.insert_str(&text);
            return;
        }
        let lines = text.lines().count();
        let placeholder = format!(
            "[pasted text #{} · {} chars · {} lines]",
            self.pastes.len() + 1,
            group_thousands(chars),
            group_thousands(lines)
        );
        self.textarea.insert_str(&placeholder);
        self.pastes.push((placeholder, text));
    }

    /// Keys the textarea handles (everything the app did not take).
    pub fn input(&mut self, key: KeyEvent) -> bool {
        self.history_pos = None;
        // Readline's Ctrl+U (delete to the start of the line), which every shell user types;
        // the text area alone would take it as undo.
        if key.code == KeyCode::Char('u') && key.modifiers == KeyModifiers::CONTROL {
            return self.textarea.delete_line_by_head();
        }
        self.textarea.input(key)
    }

    pub fn insert_newline(&mut self) {
        self.textarea.insert_newline();
    }

    pub fn cursor_on_first_line(&self) -> bool {
        self.textarea.cursor().0 == 0
    }

    pub fn cursor_on_last_line(&self) -> bool {
        self.textarea.cursor().0 + 1 >= self.textarea.lines().len()
    }

    /// The stored prompts (oldest first), from the runtime. Prompts typed here that it does
    /// not list yet stay, newest last: the first prompt may be sent before the runtime's
    /// answer arrives.
    pub fn set_history(&mut self, history: Vec<String>) {
        let stored: std::collections::HashSet<&str> = history.iter().map(String::as_str).collect();
        let typed: Vec<String> = std::mem::take(&mut self.history)
            .into_iter()
            .filter(|p| !stored.contains(p.as_str()))
            .collect();
        drop(stored);
        self.history = history;
        self.history.extend(typed);
        self.history_pos = None;
    }

    fn push_history(&mut self, entry: &str) {
        if self.history.last().map(String::as_str) != Some(entry) {
            self.history.push(entry.to_string());
        }
        self.history_pos = None;
    }

    /// Up at the top edge: an older entry. Returns false when there is none.
    pub fn history_prev(&mut self) -> bool {
        let pos = match self.history_pos {
            None if self.history.is_empty() => return false,
            None => {
                self.draft = self.text();
                self.history.len() - 1
            }
            Some(0) => return false,
            Some(p) => p - 1,
        };
        self.show_history(pos);
        true
    }

    /// Down at the bottom edge: a newer entry, then back to the draft.
    pub fn history_next(&mut self) -> bool {
        let Some(pos) = self.history_pos else {
            return false;
        };
        if pos + 1 >= self.history.len() {
            let draft = std::mem::take(&mut self.draft);
            self.pastes.clear();
            self.set_text(&draft);
            self.history_pos = None;
        } else {
            self.show_history(pos + 1);
        }
        true
    }

    fn show_history(&mut self, pos: usize) {
        let entry = self.history.get(pos).cloned().unwrap_or_default();
        self.pastes.clear();
        if entry.chars().count() > COLLAPSE_PASTE_CHARS {
            self.set_text("");
            self.paste(&entry);
        } else {
            self.set_text(&entry);
        }
        self.history_pos = Some(pos);
    }

    /// Rows needed for `width` columns, borders included.
    pub fn height(&self, width: u16) -> u16 {
        let inner = width.saturating_sub(4).max(1) as usize;
        let rows: usize = self
            .textarea
            .lines()
            .iter()
            .map(|l| (l.width() + 1).div_ceil(inner).max(1))
            .sum();
        (rows as u16).clamp(1, MAX_ROWS) + 2
    }

    pub fn render(&self, frame: &mut Frame, area: Rect) {
        frame.render_widget(&self.textarea, area);
    }
}

/// Is this key one of the newline chords (Shift+Enter, Alt+Enter, Ctrl+J)?
pub fn is_newline_key(key: &KeyEvent) -> bool {
    match key.code {
        KeyCode::Enter => key
            .modifiers
            .intersects(KeyModifiers::SHIFT | KeyModifiers::ALT | KeyModifiers::CONTROL),
        KeyCode::Char('j') => key.modifiers == KeyModifiers::CONTROL,
        _ => false,
    }
}

pub use crate::protocol::group_thousands;

#[cfg(test)]
mod tests {
    use super::*;

    fn composer() -> Composer {
        Composer::new(&Theme::dark())
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_prompt_sent_before_the_stored_history_arrives_is_kept() {
        let mut c = composer();
        c.set_text("typed first");
        c.take_message();
        c.set_history(vec!["older".into()]);
        assert_eq!(c.history(), ["older", "typed first"]);
        // Once the store lists it, it is not doubled.
        c.set_history(vec!["older".into(), "typed first".into()]);
        assert_eq!(c.history(), ["older", "typed first"]);
    }

    #[test]
    fn small_paste_is_inline_large_paste_collapses_and_expands() {
        let mut c = composer();
        c.paste("hi\r\n");
        assert_eq!(c.text(), "hi\n");
        let big = "x".repeat(10 * 1024 * 1024);
        c.paste(&big);
        assert!(
            c.text()
                .contains("[pasted text #1 · 10,485,760 chars · 1 lines]")
        );
        assert!(c.text().len() < 100);
        let msg = c.take_message().unwrap();
        assert_eq!(msg.len(), 3 + big.len());
        assert!(c.is_empty());
    }

    /// Each placeholder expands once, where it stands (the user may have moved or deleted
    /// them), and the message says where the pasted parts are — even when a pasted text
    /// contains another placeholder's wording.
    #[test]
    fn composed_message_marks_the_pasted_parts_where_they_stand() {
        let mut c = composer();
        let one = format!("ONE{}", "1".repeat(1200));
        let two = format!("TWO{}", "2".repeat(1300));
        c.paste(&one);
        c.paste(&two);
        let typed = c.text();
        let (p1, p2) = (&c.pastes[0].0.clone(), &c.pastes[1].0.clone());
        // Swap them and put text around.
        c.set_text(&format!("a {p2} b {p1} c"));
        let m = c.composed();
        assert_eq!(m.text, format!("a {two} b {one} c"));
        let parts: Vec<&str> = m.pastes.iter().map(|s| &m.text[s.start..s.end]).collect();
        assert_eq!(parts, vec![two.as_str(), one.as_str()]);
        // A deleted placeholder is simply not there.
        c.set_text(&format!("only {p1}"));
        assert_eq!(c.composed().pastes.len(), 1);
        assert!(typed.contains(p1.as_str()) && typed.contains(p2.as_str()));
        // A paste whose text looks like a placeholder is not expanded again.
        let mut c = composer();
        let sneaky = format!(
            "{}[pasted text #2 · 1,301 chars · 1 lines]",
            "s".repeat(1000)
        );
        c.paste(&sneaky);
        c.paste(&"z".repeat(1301));
        let m = c.take_composed().unwrap();
        assert_eq!(m.text, format!("{sneaky}{}", "z".repeat(1301)));
        assert_eq!(m.pastes.len(), 2);
    }

    #[test]
    fn history_walks_and_restores_draft() {
        let mut c = composer();
        c.set_history(vec!["one".into(), "two".into()]);
        c.set_text("draft");
        assert!(c.history_prev());
        assert_eq!(c.text(), "two");
        assert!(c.history_prev());
        assert_eq!(c.text(), "one");
        assert!(!c.history_prev());
        assert!(c.history_next());
        assert!(c.history_next());
        assert_eq!(c.text(), "draft");
        assert!(!c.history_next());
    }

    #[test]
    fn sent_messages_join_history_once() {
        let mut c = composer();
        c.set_text("same");
        c.take_message();
        c.set_text("same");
        c.take_message();
        assert!(c.history_prev());
        assert!(!c.history_prev());
    }

    #[test]
    fn typing_and_newline_chords() {
        let mut c = composer();
        c.input(key(KeyCode::Char('a')));
        c.insert_newline();
        c.input(key(KeyCode::Char('b')));
        assert_eq!(c.text(), "a\nb");
        assert!(!c.cursor_on_first_line());
        assert!(c.cursor_on_last_line());
        assert!(is_newline_key(&KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::SHIFT
        )));
        assert!(is_newline_key(&KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::ALT
        )));
        assert!(is_newline_key(&KeyEvent::new(
            KeyCode::Char('j'),
            KeyModifiers::CONTROL
        )));
        assert!(!is_newline_key(&key(KeyCode::Enter)));
    }

    #[test]
    fn ctrl_u_deletes_to_the_start_of_the_line_as_in_a_shell() {
        let mut c = composer();
        c.set_text("first line");
        c.insert_newline();
        for ch in "second".chars() {
            c.input(key(KeyCode::Char(ch)));
        }
        c.input(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(c.text(), "first line\n");
    }

    #[test]
    fn blank_message_is_not_taken() {
        let mut c = composer();
        c.set_text("  \n ");
        assert_eq!(c.take_message(), None);
    }

    #[test]
    fn height_grows_and_caps() {
        let mut c = composer();
        assert_eq!(c.height(40), 3);
        c.set_text(&"line\n".repeat(20));
        assert_eq!(c.height(40), MAX_ROWS + 2);
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1234567), "1,234,567");
    }
}
