//! Drawing the skills pane: a bordered modal with the restricted-skill header, the filter (or
//! new-name) line, the rows, the selected skill's detail and body preview (right side when
//! wide, else below) and the legend. Never panics on tiny areas: parts that do not fit are
//! left out (legend, then detail, then columns).

use crate::tui::keymap;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};
use unicode_width::UnicodeWidthStr;

use super::detail::status_line;
use super::{SkillsMode, SkillsPane, name_problem};
use crate::tui::markdown::Highlighter;
use crate::tui::markdown::wrap_spans;
use crate::tui::session_pane::render::{draw_footer, draw_header, legend, modal_area, pane_frame};
use crate::tui::session_pane::{one_line, truncate};
use crate::tui::theme::Theme;

/// From this frame width on the detail sits right of the list.
const RIGHT_DETAIL_MIN: u16 = 110;

impl SkillsPane {
    /// Draw over `frame_area`.
    pub fn render(&self, frame_area: Rect, buf: &mut Buffer, theme: &Theme, hl: &Highlighter) {
        let t = theme;
        let area = modal_area(frame_area).intersection(buf.area);
        if area.is_empty() {
            return;
        }
        Clear.render(area, buf);
        let title = if self.loaded {
            let usable = self.skills.iter().filter(|s| s.status.usable()).count();
            format!(" Skills ({}) — {usable} usable ", self.skills.len())
        } else {
            " Skills ".to_string()
        };
        let inner = pane_frame(title, area, buf, t);
        if inner.is_empty() {
            return;
        }
        let mut body = inner;
        if self.restricted_active && inner.height >= 4 {
            let header = Line::from(Span::styled(
                truncate(
                    "⚠ restricted skill active: the model gets read-only tools",
                    usize::from(inner.width),
                ),
                t.warning.add_modifier(Modifier::BOLD),
            ));
            draw_header(&header, &mut body, buf);
        }
        draw_header(&self.top_line(t, inner.width), &mut body, buf);

        let max_legend = if body.height >= 10 { 2 } else { 1 };
        let foot = self.footer(t, inner.width, max_legend);
        draw_footer(&foot, &mut body, buf);
        if body.is_empty() {
            return;
        }
        if self.list.rows().is_empty() {
            self.draw_message(body, buf, t);
            return;
        }

        if frame_area.width >= RIGHT_DETAIL_MIN && body.width >= 80 {
            let detail_w = (body.width / 3).min(60);
            let list = Rect::new(body.x, body.y, body.width - detail_w - 3, body.height);
            let sep_x = list.right() + 1;
            for y in body.top()..body.bottom() {
                buf.set_string(sep_x, y, "│", t.border);
            }
            self.draw_list(list, buf, t);
            let detail = Rect::new(sep_x + 2, body.y, detail_w, body.height);
            self.draw_detail(detail, buf, t, hl);
        } else if body.height >= 8 {
            // The list takes what its rows need (at least 3, at most 3/5), the detail the rest.
            let rows = u16::try_from(self.list.rows().len()).unwrap_or(u16::MAX);
            let list_h = rows.min(body.height * 3 / 5).max(3);
            let detail_h = body.height - list_h - 1;
            let list = Rect::new(body.x, body.y, body.width, list_h);
            let sep = "─".repeat(usize::from(body.width));
            buf.set_string(body.x, list.bottom(), sep, t.border);
            self.draw_list(list, buf, t);
            let detail = Rect::new(body.x, list.bottom() + 1, body.width, detail_h);
            self.draw_detail(detail, buf, t, hl);
        } else if body.height >= 4 {
            // Only the status line of the selected skill, under the list.
            let list = Rect::new(body.x, body.y, body.width, body.height - 1);
            self.draw_list(list, buf, t);
            if let Some(s) = self.selected_skill() {
                let line = status_line(s, t, usize::from(body.width), true);
                buf.set_line(body.x, list.bottom(), &line, body.width);
            }
        } else {
            self.draw_list(body, buf, t);
        }
    }

    fn top_line(&self, t: &Theme, width: u16) -> Line<'static> {
        let w = usize::from(width);
        if let SkillsMode::NewName { text } = &self.mode {
            let label = "new skill name: ";
            let shown = truncate(&one_line(text), w.saturating_sub(label.width() + 1));
            let mut spans = vec![
                Span::styled(label, t.accent),
                Span::styled(shown.clone(), t.text),
                Span::styled("▏", t.accent),
            ];
            let used = label.width() + shown.width() + 1;
            let hint = if text.is_empty() || name_problem(text).is_some() {
                "  lowercase letters, digits, hyphens".to_string()
            } else {
                let dir = one_line(self.user_dir.trim_end_matches('/'));
                format!("  → {dir}/{text}/SKILL.md")
            };
            spans.push(Span::styled(
                truncate(&hint, w.saturating_sub(used)),
                t.muted,
            ));
            return Line::from(spans);
        }
        let shown = truncate(self.list.filter(), w.saturating_sub(9));
        let used = 8 + shown.width() + 1;
        let mut spans = vec![
            Span::styled("filter: ", t.muted),
            Span::styled(shown, t.text),
        ];
        if self.list.is_filtering() {
            spans.push(Span::styled("▏", t.accent));
        }
        let hint = if self.list.filter().is_empty() && self.list.is_filtering() {
            " type to filter by name or description; Enter keeps it".to_string()
        } else if self.list.filter().is_empty() {
            " / filters by name or description".to_string()
        } else if self.loaded {
            format!("   {} of {}", self.list.rows().len(), self.skills.len())
        } else {
            String::new()
        };
        spans.push(Span::styled(
            truncate(&hint, w.saturating_sub(used)),
            t.muted,
        ));
        Line::from(spans)
    }

    /// The notice (if any) on its own line, then the keys.
    fn footer(&self, t: &Theme, width: u16, max_lines: usize) -> Vec<Line<'static>> {
        let keys = keymap::legend(match self.mode {
            SkillsMode::Browse => keymap::SKILLS,
            SkillsMode::NewName { .. } => keymap::SKILL_NAME,
            SkillsMode::ConfirmCopy { .. } => keymap::SKILL_COPY,
        });
        let mut lines = Vec::new();
        if let SkillsMode::ConfirmCopy { name } = &self.mode {
            let dir = if self.user_dir.is_empty() {
                "your skills folder".to_string()
            } else {
                one_line(&self.user_dir)
            };
            lines.push(Line::from(Span::styled(
                truncate(
                    &format!(
                        "{} is bundled (read-only). Copy it into {dir} and edit the copy?",
                        one_line(name)
                    ),
                    usize::from(width),
                ),
                t.warning.add_modifier(Modifier::BOLD),
            )));
        }
        if let Some(n) = &self.notice {
            let style = if n.error { t.error } else { t.muted };
            lines.push(Line::from(Span::styled(
                truncate(&one_line(&n.text), usize::from(width)),
                style,
            )));
        }
        lines.extend(legend(&keys, t, width, max_lines));
        lines
    }

    /// "loading…", the empty state, or "no skill matches".
    fn draw_message(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let message = if !self.loaded {
            "loading…".to_string()
        } else if self.skills.is_empty() {
            format!(
                "no skills yet — Ctrl+N creates one in {}, or put folders with SKILL.md in \
                 .pincer/skills/ of a project",
                one_line(&self.user_dir)
            )
        } else {
            format!("no skill matches «{}»", one_line(self.list.filter()))
        };
        let lines = wrap_spans(vec![Span::styled(message, t.muted)], area.width);
        for (k, line) in lines.iter().take(usize::from(area.height)).enumerate() {
            buf.set_line(area.x, area.y + k as u16, line, area.width);
        }
    }
}
