//! The selected skill's detail: status, why, where, then the first lines of its body.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::SkillsPane;
use super::rows::mark;
use crate::protocol::{SkillInfo, SkillState};
use crate::tui::markdown::{Highlighter, render_markdown, wrap_spans};
use crate::tui::session_pane::{one_line, truncate};
use crate::tui::theme::Theme;

/// Body lines looked at for the preview (the rest could never be shown).
const PREVIEW_LINES: usize = 200;

impl SkillsPane {
    /// Name and status, source and file, the detail, then the body's first lines.
    pub(super) fn draw_detail(&self, area: Rect, buf: &mut Buffer, t: &Theme, hl: &Highlighter) {
        let Some(s) = self.selected_skill() else {
            return;
        };
        let w = usize::from(area.width);
        // Most telling first: status, why, where; then the body.
        let mut lines = vec![status_line(s, t, w, false)];
        let detail = one_line(&s.detail);
        if !detail.is_empty() {
            let style = match s.status {
                SkillState::Error => t.error,
                SkillState::Warning | SkillState::Unavailable => t.warning,
                SkillState::Ok | SkillState::Shadowed => t.muted,
            };
            lines.extend(wrap_spans(vec![Span::styled(detail, style)], area.width));
        }
        let mut origin = vec![Span::styled(one_line(&s.source), t.muted)];
        if s.restricted {
            origin.push(Span::styled(" · ", t.muted));
            origin.push(Span::styled(
                "restricted: read-only tools while active",
                t.warning,
            ));
        }
        lines.extend(wrap_spans(origin, area.width));
        lines.extend(wrap_spans(
            vec![Span::styled(one_line(&s.path), t.muted)],
            area.width,
        ));
        lines.push(Line::default());
        let body_from = lines.len();
        lines.extend(self.preview_lines(s, t, hl, area.width));

        let h = usize::from(area.height);
        let cut = lines.len() > h;
        for (k, line) in lines.iter().take(h).enumerate() {
            let y = area.y + k as u16;
            if cut && k + 1 == h && k > body_from {
                // The body goes on: end the last shown line with "…".
                let text: String = line.spans.iter().map(|sp| sp.content.as_ref()).collect();
                let more = format!("{}…", truncate(&text, w.saturating_sub(1)));
                let more = Line::from(Span::styled(truncate(&more, w), t.muted));
                buf.set_line(area.x, y, &more, area.width);
            } else {
                buf.set_line(area.x, y, line, area.width);
            }
        }
    }

    /// The body rendered as Markdown (the transcript's renderer), its first lines only.
    fn preview_lines(
        &self,
        s: &SkillInfo,
        t: &Theme,
        hl: &Highlighter,
        width: u16,
    ) -> Vec<Line<'static>> {
        let note = |text: &str| vec![Line::from(Span::styled(text.to_string(), t.muted))];
        if s.status == SkillState::Shadowed {
            return note("no preview: a skill of this name higher up is used");
        }
        let Some(p) = self.previews.get(&s.name) else {
            return note("loading…");
        };
        if p.body.trim().is_empty() {
            return note("(the body is empty)");
        }
        let head: Vec<&str> = p.body.lines().take(PREVIEW_LINES).collect();
        render_markdown(&head.join("\n"), width, t, hl)
    }
}

/// "✓ name  ok" (`compact`: "✓ ok: detail" for the one-line status under a short list).
pub(super) fn status_line(s: &SkillInfo, t: &Theme, width: usize, compact: bool) -> Line<'static> {
    let (m, style) = mark(s.status, t);
    if compact {
        let detail = one_line(&s.detail);
        let text = if detail.is_empty() {
            format!("{} · {}", s.status.label(), one_line(&s.source))
        } else {
            format!("{}: {detail}", s.status.label())
        };
        return Line::from(vec![
            Span::styled(format!("{m} "), style),
            Span::styled(truncate(&text, width.saturating_sub(2)), style),
        ]);
    }
    let name = truncate(
        &one_line(&s.name),
        width.saturating_sub(4 + s.status.label().len()),
    );
    let used = name.width();
    let mut spans = vec![Span::styled(name, t.heading)];
    if used + 4 + s.status.label().len() <= width {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(format!("{m} {}", s.status.label()), style));
    }
    Line::from(spans)
}
