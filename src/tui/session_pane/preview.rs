//! The preview of the selected session: its last messages, on the right of the list (wide)
//! or below it (one line each).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::SessionPane;
use super::fit::{one_line, shorten_home, truncate, truncate_left};
use super::render::title_of;
use crate::protocol::{HistoryItem, ToolStatus};
use crate::tui::markdown::wrap_spans;
use crate::tui::theme::Theme;

/// Text of one preview item looked at (the rest could never be shown).
const PREVIEW_CHARS: usize = 600;
/// Wrapped lines per preview item on the right.
const ITEM_LINES: usize = 4;

impl SessionPane {
    fn preview_state(&self, t: &Theme) -> Result<&[HistoryItem], Line<'static>> {
        let Some(id) = self.selected_id() else {
            return Err(Line::default());
        };
        match self.previews.get(id) {
            None => Err(Line::from(Span::styled("loading preview…", t.muted))),
            Some(items) if items.is_empty() => {
                Err(Line::from(Span::styled("no messages", t.muted)))
            }
            Some(items) => Ok(items),
        }
    }

    pub(super) fn draw_preview_below(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let items = match self.preview_state(t) {
            Ok(items) => items,
            Err(line) => {
                buf.set_line(area.x, area.y, &line, area.width);
                return;
            }
        };
        let lines: Vec<Line<'static>> = items
            .iter()
            .map(|i| item_line(i, t, usize::from(area.width)))
            .collect();
        let skip = lines.len().saturating_sub(usize::from(area.height));
        for (k, line) in lines.iter().skip(skip).enumerate() {
            buf.set_line(area.x, area.y + k as u16, line, area.width);
        }
    }

    pub(super) fn draw_preview_right(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let w = usize::from(area.width);
        let mut head = Vec::new();
        if let Some(s) = self.selected_session() {
            head.push(Line::from(Span::styled(
                truncate(&title_of(s), w),
                t.heading,
            )));
            let meta = format!(
                "{} · {}",
                shorten_home(&s.cwd, self.home.as_deref()),
                one_line(&s.model)
            );
            head.push(Line::from(Span::styled(truncate_left(&meta, w), t.muted)));
            head.push(Line::default());
        }
        let room = usize::from(area.height).saturating_sub(head.len());
        let mut body: Vec<Line<'static>> = Vec::new();
        match self.preview_state(t) {
            Err(line) => body.push(line),
            Ok(items) => {
                // The newest items that fit whole (the newest one at least partly), oldest first.
                let mut groups: Vec<Vec<Line<'static>>> = Vec::new();
                let mut used = 0;
                for item in items.iter().rev() {
                    let mut wrapped = wrap_spans(item_spans(item, t), area.width);
                    if wrapped.len() > ITEM_LINES {
                        wrapped.truncate(ITEM_LINES);
                        if let Some(last) = wrapped.last_mut() {
                            last.spans.push(Span::styled("…", t.muted));
                        }
                    }
                    let gap = usize::from(!groups.is_empty());
                    if !groups.is_empty() && used + gap + wrapped.len() > room {
                        break;
                    }
                    used += gap + wrapped.len();
                    groups.push(wrapped);
                }
                for (k, group) in groups.into_iter().rev().enumerate() {
                    if k > 0 {
                        body.push(Line::default());
                    }
                    body.extend(group);
                }
            }
        }
        for (k, line) in head.iter().chain(body.iter()).enumerate() {
            if k >= usize::from(area.height) {
                break;
            }
            buf.set_line(area.x, area.y + k as u16, line, area.width);
        }
    }
}

fn capped(text: &str) -> String {
    let cut: String = text.chars().take(PREVIEW_CHARS).collect();
    one_line(&cut)
}

/// Label, body and body style of one preview item.
fn item_parts(item: &HistoryItem, t: &Theme) -> (Span<'static>, String, Style) {
    match item {
        HistoryItem::User { text, .. } => (Span::styled("you: ", t.user), capped(text), t.text),
        HistoryItem::Assistant { text, interrupted } => (
            Span::styled(
                if *interrupted {
                    "assistant (interrupted): "
                } else {
                    "assistant: "
                },
                if *interrupted {
                    t.warning
                } else {
                    t.assistant.add_modifier(Modifier::BOLD)
                },
            ),
            capped(text),
            t.text,
        ),
        HistoryItem::Tool {
            tool,
            summary,
            status,
            ..
        } => {
            let st = match status {
                ToolStatus::Ok => "ok",
                ToolStatus::Error => "error",
                ToolStatus::Denied => "denied",
                ToolStatus::Interrupted => "interrupted",
                ToolStatus::TimedOut => "timed out",
            };
            (
                Span::styled("⚙ ", t.muted),
                format!("{}: {} — {st}", one_line(tool), capped(summary)),
                t.muted,
            )
        }
        HistoryItem::Compaction { .. } => (
            Span::styled("⋯ ", t.muted),
            "earlier turns summarised".into(),
            t.muted,
        ),
        HistoryItem::Error { kind, message } => (
            Span::styled("✗ ", t.error),
            format!("{}: {}", kind.label(), capped(message)),
            t.muted,
        ),
    }
}

fn item_spans(item: &HistoryItem, t: &Theme) -> Vec<Span<'static>> {
    let (label, body, style) = item_parts(item, t);
    vec![label, Span::styled(body, style)]
}

fn item_line(item: &HistoryItem, t: &Theme, width: usize) -> Line<'static> {
    let (label, body, style) = item_parts(item, t);
    let body = truncate(&body, width.saturating_sub(label.content.width()));
    Line::from(vec![label, Span::styled(body, style)])
}
