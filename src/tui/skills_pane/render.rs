//! Drawing the skills pane: a bordered modal with the restricted-skill header, the filter (or
//! new-name) line, the rows, the selected skill's detail and body preview (right side when
//! wide, else below) and the legend. Never panics on tiny areas: parts that do not fit are
//! left out (legend, then detail, then columns).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};
use unicode_width::UnicodeWidthStr;

use super::{SkillsMode, SkillsPane, name_problem};
use crate::protocol::{SkillInfo, SkillState};
use crate::tui::markdown::{sanitize, wrap_spans};
use crate::tui::session_pane::render::{legend, modal_area, padded};
use crate::tui::session_pane::{one_line, truncate};
use crate::tui::theme::Theme;

/// From this frame width on the detail sits right of the list.
const RIGHT_DETAIL_MIN: u16 = 110;
/// The description keeps at least this many columns before source and tag are dropped.
const MIN_DESC: usize = 16;
/// Full source labels only when the description keeps this many columns.
const ROOMY_DESC: usize = 30;
const NAME_MAX_W: usize = 24;
const SOURCE_MAX_W: usize = 24;
const TAG: &str = "restricted";
/// Body lines looked at for the preview (the rest could never be shown).
const PREVIEW_LINES: usize = 200;

const BROWSE_KEYS: &[(&str, &str)] = &[
    ("↑↓", "move"),
    ("Enter", "use"),
    ("^E", "edit"),
    ("^N", "new"),
    ("^R", "reload"),
    ("Esc", "close"),
];
const NAME_KEYS: &[(&str, &str)] = &[("Enter", "create"), ("Esc", "cancel")];

/// The status mark of a row and its style.
fn mark(status: SkillState, t: &Theme) -> (&'static str, Style) {
    match status {
        SkillState::Ok => ("✓", t.success),
        SkillState::Warning => ("!", t.warning),
        SkillState::Error => ("✗", t.error),
        SkillState::Unavailable => ("⊘", t.muted),
        SkillState::Shadowed => ("↓", t.muted),
    }
}

/// `text` truncated and padded with spaces to exactly `width` columns.
fn pad(text: &str, width: usize) -> String {
    let mut s = truncate(text, width);
    let w = s.width();
    s.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    s
}

/// "project (.pincer/skills)" → "project": the source column when room is short (the detail
/// shows the whole label).
fn short_source(source: &str) -> &str {
    source.split(" (").next().unwrap_or(source)
}

/// Widths of the row columns (0 = left out); the description takes the rest.
struct Columns {
    name: usize,
    source: usize,
    /// Sources cut to their first word.
    short: bool,
    tag: bool,
    desc: usize,
}

impl Columns {
    fn fit(width: u16, skills: &[SkillInfo]) -> Columns {
        // "› ✓ " before the name.
        let avail = usize::from(width).saturating_sub(4);
        let widest = |f: &dyn Fn(&SkillInfo) -> String| {
            skills.iter().map(|s| f(s).width()).max().unwrap_or(0)
        };
        let name = widest(&|s| one_line(&s.name))
            .clamp(4, NAME_MAX_W)
            .min(avail);
        let mut rest = avail - name;
        let tag = skills.iter().any(|s| s.restricted) && rest >= 2 + TAG.len() + 2 + MIN_DESC;
        if tag {
            rest -= 2 + TAG.len();
        }
        let full = widest(&|s| one_line(&s.source)).min(SOURCE_MAX_W);
        let short_w = widest(&|s| one_line(short_source(&s.source))).min(SOURCE_MAX_W);
        // The full labels when the description keeps room for a phrase, else the short ones.
        let (source, short) = if full > 0 && rest >= 2 + full + 2 + ROOMY_DESC {
            (full, false)
        } else if short_w > 0 && rest >= 2 + short_w + 2 + MIN_DESC {
            (short_w, true)
        } else {
            (0, false)
        };
        if source > 0 {
            rest -= 2 + source;
        }
        Columns {
            name,
            source,
            short,
            tag,
            desc: rest.saturating_sub(2),
        }
    }
}

impl SkillsPane {
    /// Draw over `frame_area`.
    pub fn render(&self, frame_area: Rect, buf: &mut Buffer, theme: &Theme) {
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
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(t.border)
            .title(Span::styled(title, t.accent.add_modifier(Modifier::BOLD)));
        let inner = padded(block.inner(area));
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let mut body = inner;
        let mut top = |line: &Line<'_>, body: &mut Rect| {
            if body.height > 0 {
                buf.set_line(body.x, body.y, line, body.width);
                body.y += 1;
                body.height -= 1;
            }
        };
        if self.restricted_active && inner.height >= 4 {
            let header = Line::from(Span::styled(
                truncate(
                    "⚠ restricted skill active: the model gets read-only tools",
                    usize::from(inner.width),
                ),
                t.warning.add_modifier(Modifier::BOLD),
            ));
            top(&header, &mut body);
        }
        top(&self.top_line(t, inner.width), &mut body);

        let max_legend = if body.height >= 10 { 2 } else { 1 };
        let foot = self.footer(t, inner.width, max_legend);
        let foot_h = foot.len() as u16;
        if body.height > foot_h {
            for (k, line) in foot.iter().enumerate() {
                let y = body.bottom() - foot_h + k as u16;
                buf.set_line(body.x, y, line, body.width);
            }
            body.height -= foot_h;
        }
        if body.is_empty() {
            return;
        }
        if self.rows.is_empty() {
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
            self.draw_detail(detail, buf, t);
        } else if body.height >= 8 {
            // The list takes what its rows need (at least 3, at most 3/5), the detail the rest.
            let rows = u16::try_from(self.rows.len()).unwrap_or(u16::MAX);
            let list_h = rows.min(body.height * 3 / 5).max(3);
            let detail_h = body.height - list_h - 1;
            let list = Rect::new(body.x, body.y, body.width, list_h);
            let sep = "─".repeat(usize::from(body.width));
            buf.set_string(body.x, list.bottom(), sep, t.border);
            self.draw_list(list, buf, t);
            let detail = Rect::new(body.x, list.bottom() + 1, body.width, detail_h);
            self.draw_detail(detail, buf, t);
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
        let shown = truncate(&self.filter, w.saturating_sub(9));
        let used = 8 + shown.width() + 1;
        let mut spans = vec![
            Span::styled("filter: ", t.muted),
            Span::styled(shown, t.text),
            Span::styled("▏", t.accent),
        ];
        let hint = if self.filter.is_empty() {
            " type to filter by name or description".to_string()
        } else if self.loaded {
            format!("   {} of {}", self.rows.len(), self.skills.len())
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
        let keys = match self.mode {
            SkillsMode::Browse => BROWSE_KEYS,
            SkillsMode::NewName { .. } => NAME_KEYS,
        };
        let mut lines = Vec::new();
        if let Some(n) = &self.notice {
            let style = if n.error { t.error } else { t.muted };
            lines.push(Line::from(Span::styled(
                truncate(&one_line(&n.text), usize::from(width)),
                style,
            )));
        }
        lines.extend(legend(keys, t, width, max_lines));
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
            format!("no skill matches «{}»", one_line(&self.filter))
        };
        let lines = wrap_spans(vec![Span::styled(message, t.muted)], area.width);
        for (k, line) in lines.iter().take(usize::from(area.height)).enumerate() {
            buf.set_line(area.x, area.y + k as u16, line, area.width);
        }
    }

    fn draw_list(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let h = usize::from(area.height);
        if h == 0 || area.width == 0 {
            return;
        }
        self.page.set(h);
        let mut scroll = self.scroll.get();
        if self.selected < scroll {
            scroll = self.selected;
        } else if self.selected >= scroll + h {
            scroll = self.selected + 1 - h;
        }
        scroll = scroll.min(self.rows.len().saturating_sub(h));
        self.scroll.set(scroll);

        let cols = Columns::fit(area.width, &self.skills);
        for (k, &idx) in self.rows.iter().enumerate().skip(scroll).take(h) {
            let Some(s) = self.skills.get(idx) else {
                continue;
            };
            let selected = k == self.selected;
            let y = area.y + (k - scroll) as u16;
            buf.set_line(area.x, y, &row_line(s, &cols, selected, t), area.width);
            if selected {
                buf.set_style(Rect::new(area.x, y, area.width, 1), t.selection);
            }
        }
    }

    /// Name and status, source and file, the detail, then the body's first lines.
    fn draw_detail(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
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
        lines.extend(self.preview_lines(s, t, area.width));

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

    fn preview_lines(&self, s: &SkillInfo, t: &Theme, width: u16) -> Vec<Line<'static>> {
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
        let mut out = Vec::new();
        for raw in p.body.trim_start_matches('\n').lines().take(PREVIEW_LINES) {
            let clean = sanitize(raw).trim_end().to_string();
            if clean.is_empty() {
                out.push(Line::default());
            } else {
                out.extend(wrap_spans(vec![Span::styled(clean, t.text)], width));
            }
        }
        out
    }
}

/// "✓ name  ok" (`compact`: "✓ ok: detail" for the one-line status under a short list).
fn status_line(s: &SkillInfo, t: &Theme, width: usize, compact: bool) -> Line<'static> {
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

fn row_line(s: &SkillInfo, cols: &Columns, selected: bool, t: &Theme) -> Line<'static> {
    let (m, mark_style) = mark(s.status, t);
    let usable = s.status.usable();
    let name_style = if !usable {
        t.muted
    } else if selected {
        t.text.add_modifier(Modifier::BOLD)
    } else {
        t.text
    };
    let mut spans = vec![
        Span::styled(if selected { "›" } else { " " }, t.accent),
        Span::raw(" "),
        Span::styled(m, mark_style),
        Span::raw(" "),
        Span::styled(pad(&one_line(&s.name), cols.name), name_style),
    ];
    if cols.source > 0 {
        let source = if cols.short {
            short_source(&s.source)
        } else {
            &s.source
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(pad(&one_line(source), cols.source), t.muted));
    }
    if cols.tag {
        spans.push(Span::raw("  "));
        let tag = if s.restricted { TAG } else { "" };
        spans.push(Span::styled(pad(tag, TAG.len()), t.warning));
    }
    if cols.desc > 0 {
        // A skill without a description (an error) shows why instead.
        let desc = one_line(&s.description);
        let (text, style) = if desc.is_empty() {
            (
                one_line(&s.detail),
                mark_style.add_modifier(Modifier::ITALIC),
            )
        } else if usable {
            (desc, t.text)
        } else {
            (desc, t.muted)
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(truncate(&text, cols.desc), style));
    }
    Line::from(spans)
}
