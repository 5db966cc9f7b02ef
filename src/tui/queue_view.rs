//! Messages sent while a turn runs, shown above the composer until they start (the runtime
//! says what is queued: `Event::Queue`). ↑ on an empty composer takes the last one back
//! (`Op::WithdrawQueued` → `Event::QueueWithdrawn`) into the composer for editing; Enter queues
//! it again, Esc or Ctrl+U cancels it.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::app::App;
use crate::protocol::{NoticeLevel, Op, QueueState, QueuedMessage, WithdrawnMessage};

/// Queued messages listed at most (then "+N more").
const MAX_SHOWN: usize = 3;

/// The hint while a taken-back message is in the composer.
pub const EDITING_HINT: &str =
    "editing a queued message: Enter queues it again · Esc / Ctrl+U cancels it";

#[derive(Debug, Default)]
pub struct QueueView {
    /// What the runtime last said is queued, oldest first.
    pub items: Vec<QueuedMessage>,
    /// The composer holds a message taken back from the queue.
    pub editing: bool,
}

impl App {
    pub fn on_queue(&mut self, state: QueueState) {
        self.queued = state.items.len();
        self.conv.queue.items = state.items;
    }

    pub fn on_queue_withdrawn(&mut self, taken: WithdrawnMessage) {
        if self.composer.is_empty() {
            self.composer.replace_all(&taken.text);
            self.conv.queue.editing = true;
            self.hint = Some(EDITING_HINT.into());
        } else {
            // Something was typed meanwhile: the message is kept where it can be copied.
            self.push_notice(
                NoticeLevel::Info,
                format!("taken back from the queue (not sent): {}", taken.text),
            );
        }
    }
}

/// The queue's keys on the base layer, before the key table. `Some` when taken.
pub fn queue_key(app: &mut App, key: &KeyEvent) -> Option<Vec<Op>> {
    let plain = key.modifiers.is_empty();
    let ctrl_u = key.code == KeyCode::Char('u') && key.modifiers == KeyModifiers::CONTROL;
    if app.conv.queue.editing
        && !app.composer.is_empty()
        && ((plain && key.code == KeyCode::Esc) || ctrl_u)
    {
        app.composer.clear();
        app.conv.queue.editing = false;
        app.hint = Some("queued message cancelled".into());
        return Some(Vec::new());
    }
    if plain
        && key.code == KeyCode::Up
        && app.composer.is_empty()
        && app.transcript.scroll == super::transcript::Scroll::Follow
        && let Some(last) = app.conv.queue.items.last()
    {
        return Some(vec![Op::WithdrawQueued { id: last.id }]);
    }
    if plain && key.code == KeyCode::Enter {
        app.conv.queue.editing = false;
    }
    None
}

/// Rows the queue takes above the composer.
pub fn height(app: &App) -> u16 {
    let n = app.conv.queue.items.len();
    (n.min(MAX_SHOWN) + usize::from(n > MAX_SHOWN)) as u16
}

/// Draw the queued messages (oldest first; the last one says how to take it back).
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let items = &app.conv.queue.items;
    let width = usize::from(area.width);
    let mut lines: Vec<Line> = Vec::new();
    let skipped = items.len().saturating_sub(MAX_SHOWN);
    if skipped > 0 {
        lines.push(Line::from(Span::styled(
            format!("  … {skipped} more queued"),
            t.muted,
        )));
    }
    for (i, item) in items.iter().enumerate().skip(skipped) {
        let last = i + 1 == items.len();
        let tail = if last { "  ↑ edit" } else { "" };
        let lead = "  ↳ queued: ";
        let room = width.saturating_sub(lead.width() + tail.width());
        lines.push(Line::from(vec![
            Span::styled(lead, t.muted),
            Span::styled(one_line(&item.text, room), t.text),
            Span::styled(tail, t.muted),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// `text` on one line, cut to `width` columns with an ellipsis.
fn one_line(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            // Make room for the ellipsis.
            while used + 1 > width {
                match out.pop() {
                    Some(p) => used -= UnicodeWidthChar::width(p).unwrap_or(0),
                    None => return String::new(),
                }
            }
            out.push('…');
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "queue_view_tests.rs"]
mod tests;
